/*
 * cmd_pgx_store.c — `genomenode pgx DIR --sample ID` and `genomenode pgx DIR --all`: the
 * pgx report of one person, and the phenotype frequencies of everyone, read from the node's
 * genotype store.
 *
 * Both go through policy like every other read: the caller is authenticated (token,
 * Passport or the operator), policy decides which samples may be used (record level for
 * one person's report, counts for the population), and the access is audited with the
 * number of records read (policy_done) — for the one-person report naming the person's
 * pseudonym. Counts below the policy's small-count threshold are masked in --all.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "cli.h"
#include "pgx_cli.h"
#include "pgx_store.h"

int pgx_cli_store_open(struct pgx_store_src *s, const char *dir, const char *sample,
                       const struct cli_access *a, const struct pgx_defs *defs, struct gn_err *err)
{
    char detail[256];
    int rc;
    memset(s, 0, sizeof *s);
    s->defs = defs;
    if ((rc = cli_ctx_open(&s->cx, dir, CLI_SNAP, a, err)) < 0) return rc;
    s->opened = 1;
    if ((rc = cli_sample_id(&s->cx, sample, strlen(sample), &s->gid, err)) < 0) return rc;
    (void)snprintf(detail, sizeof detail, "pgx definition positions of one sample (%u genes)",
                   defs->n);
    if ((rc = cli_decide(&s->cx, a, "pgx", detail, GRAN_RECORD, &s->gid, 1, 1, &s->d, err)) < 0)
        return rc;
    s->decided = 1;
    if (!policy_allows(&s->d, s->gid))
        return gn_errf(err, GN_EDENIED, "sample '%s' is not available to this caller", sample);
    if (!(s->genes = gn_calloc(defs->n, sizeof *s->genes)) ||
        !(s->obs = gn_calloc(PGX_DEF_MAX_POSITIONS, sizeof *s->obs)))
        return gn_errf(err, GN_ENOMEM, "out of memory");
    for (uint32_t g = 0; g < defs->n; g++) {
        if ((rc = pgx_store_gene_read(s->cx.snap, defs->genes[g], &s->gid, 1, &s->genes[g], err)) <
            0)
            return rc;
        s->records += pgx_store_gene_records(s->genes[g]);
    }
    return GN_OK;
}

const struct pgx_obs *pgx_cli_store_obs(const void *src, uint32_t g)
{
    const struct pgx_store_src *s = src;
    pgx_store_gene_obs(s->genes[g], 0, s->obs);
    return s->obs;
}

int pgx_cli_store_done(struct pgx_store_src *s, struct gn_err *err)
{
    char name[256], ind[256];
    int rc;
    if ((rc = catalog_begin_read(s->cx.cat, err)) < 0) return rc;
    rc = catalog_sample_names(s->cx.cat, s->gid, name, ind, sizeof name, err);
    catalog_rollback(s->cx.cat);
    if (rc < 0) return rc;
    return policy_done(s->cx.cat, &s->cx.key, &s->d, (int64_t)s->records, ind[0] ? ind : name, err);
}

void pgx_cli_store_close(struct pgx_store_src *s)
{
    for (uint32_t g = 0; s->genes && g < s->defs->n; g++)
        pgx_store_gene_free(s->genes[g]);
    gn_free(s->genes);
    gn_free(s->obs);
    if (s->decided) policy_decision_free(&s->d);
    if (s->opened) cli_ctx_close(&s->cx);
    memset(s, 0, sizeof *s);
}

/* ---- --all: phenotype frequencies ------------------------------------------------------ */

#define MAX_PHENOS 64u

struct tally {
    char name[MAX_PHENOS][PGX_PHENO_TEXT];
    uint32_t count[MAX_PHENOS];
    uint32_t n;
};

static void tally_add(struct tally *t, const char *p)
{
    uint32_t i;
    for (i = 0; i < t->n && strcmp(t->name[i], p); i++) {
    }
    if (i == t->n) {
        if (t->n == MAX_PHENOS)
            i = MAX_PHENOS - 1; /* cannot happen with CPIC's tables; the last row takes it */
        else
            (void)snprintf(t->name[t->n++], PGX_PHENO_TEXT, "%s", p);
    }
    t->count[i]++;
}

/* Live samples of a count-level decision, in global id order. */
static int allowed_ids(struct cli_ctx *cx, const struct policy_decision *d, uint32_t **ids,
                       uint32_t *n, struct gn_err *err)
{
    uint32_t *all = NULL, na = 0, k = 0;
    int rc;
    if ((rc = policy_ids(d, &all, &na)) < 0) return gn_errf(err, rc, "out of memory");
    for (uint32_t i = 0; i < na; i++) {
        if (all[i] < cx->snap->man.next_sample &&
            !gtstore_manifest_is_deleted(&cx->snap->man, all[i]))
            all[k++] = all[i];
    }
    *ids = all;
    *n = k;
    return GN_OK;
}

/* What the population pass shares across genes. */
struct pop {
    struct cli_ctx *cx;
    const struct policy_decision *d;
    const struct pgx_phenos *ph;
    const uint32_t *ids;
    uint32_t n;
    struct pgx_obs *obs; /* scratch, PGX_DEF_MAX_POSITIONS */
    uint64_t records;
};

static void print_tally(const struct pop *P, const struct pgx_gene *g, const struct tally *t)
{
    for (uint32_t i = 0; i < t->n; i++) {
        int64_t shown;
        printf("%s\t%s\t", g->name, t->name[i]);
        if (policy_mask_count(P->d, t->count[i], &shown))
            printf("NA\tNA\n");
        else
            printf("%lld\t%.4f\n", (long long)shown, P->n ? (double)t->count[i] / P->n : 0.0);
    }
}

/* One gene for every allowed sample: match, phenotype, tally; prints the gene's rows. */
static int population_gene(struct pop *P, const struct pgx_gene *g, struct gn_err *err)
{
    struct pgx_store_gene *sg = NULL;
    struct pgx_obs *obs = P->obs;
    const struct pgx_phenos *ph = P->ph;
    uint32_t n = P->n;
    struct tally t;
    int rc;
    memset(&t, 0, sizeof t);
    if ((rc = pgx_store_gene_read(P->cx->snap, g, P->ids, n, &sg, err)) < 0) return rc;
    P->records += pgx_store_gene_records(sg);
    for (uint32_t k = 0; k < n; k++) {
        struct pgx_match m;
        struct pgx_pheno p;
        char why[64];
        pgx_store_gene_obs(sg, k, obs);
        if ((rc = pgx_match_gene(g, obs, &m, err)) < 0) {
            pgx_match_reset(&m);
            goto out;
        }
        pgx_cli_phenotype(ph, &m, &p, why, sizeof why);
        tally_add(&t, p.phenotype[0] ? p.phenotype : "(no CPIC phenotype)");
        pgx_match_reset(&m);
    }
    print_tally(P, g, &t);
out:
    pgx_store_gene_free(sg);
    return rc;
}

int pgx_cli_population(const char *dir, const struct cli_access *a, const struct pgx_defs *defs,
                       const struct pgx_phenos *ph, struct gn_err *err)
{
    struct cli_ctx cx;
    struct policy_decision d;
    struct pgx_obs *obs = NULL;
    uint32_t *ids = NULL, n = 0;
    uint64_t records = 0;
    struct timespec t0, t1;
    int rc, decided = 0;
    double ms;

    memset(&d, 0, sizeof d);
    (void)clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rc = cli_ctx_open(&cx, dir, CLI_SNAP, a, err)) < 0) return rc;
    if ((rc = cli_decide(&cx, a, "pgx-population", "phenotype frequencies per gene", GRAN_COUNT,
                         NULL, 0, 0, &d, err)) < 0)
        goto out;
    decided = 1;
    if ((rc = allowed_ids(&cx, &d, &ids, &n, err)) < 0) goto out;
    if (!(obs = gn_calloc(PGX_DEF_MAX_POSITIONS, sizeof *obs))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    printf("# pgx population: %u individuals allowed by policy; definitions %s; phenotypes %s\n", n,
           defs->version,
           pgx_phenos_version(ph, "CYP2C19") ? pgx_phenos_version(ph, "CYP2C19") : "unknown");
    printf("# CYP2D6 is called from SNVs/indels only (no copy number): shown, never used for "
           "recommendations\n");
    printf("gene\tphenotype\tcount\tfrequency\n");
    {
        struct pop P = {&cx, &d, ph, ids, n, obs, 0};
        for (uint32_t g = 0; g < defs->n && rc >= 0; g++)
            rc = population_gene(&P, defs->genes[g], err);
        records = P.records;
    }
    if (rc < 0) goto out;
    rc = policy_done(cx.cat, &cx.key, &d, (int64_t)records, NULL, err);
    (void)clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    fprintf(stderr, "pgx population: %u individuals, %.1f ms, %.3f ms per individual\n", n, ms,
            n ? ms / n : 0.0);
out:
    gn_free(obs);
    gn_free(ids);
    if (decided) policy_decision_free(&d);
    cli_ctx_close(&cx);
    return rc;
}
