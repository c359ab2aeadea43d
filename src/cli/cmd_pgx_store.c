/*
 * cmd_pgx_store.c — `genomenode pgx DIR --sample ID` and `genomenode pgx DIR --all`: the
 * pgx report of one person, and the phenotype frequencies of everyone, read from the node's
 * genotype store.
 *
 * Both go through policy like every other read: the caller is authenticated (token,
 * Passport or the operator), policy decides which samples may be used (record level for
 * one person's report, counts for the population), and the access is audited with the
 * number of records read (policy_done) — for the one-person report naming the person's
 * pseudonym, before the report is written; --all, which prints as it goes, is on record
 * (policy_start) before its first row. Counts below the policy's small-count threshold are
 * masked in --all.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "cli.h"
#include "fsutil.h"
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
#define MAX_GROUPS 64u /* groups named in a --groups file */
#define GROUP_NAME 64u
#define NO_GROUP   0xFFu

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

/* Sample → group from a --groups file: group index per allowed sample (NO_GROUP when the
 * file does not name it). */
struct groups {
    char name[MAX_GROUPS][GROUP_NAME];
    uint32_t n;
    uint8_t *of; /* per index into the allowed ids */
    uint32_t size[MAX_GROUPS];
};

static int ids_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* One line "SAMPLE<TAB>GROUP": the sample resolved through its pseudonym (an unknown sample
 * is an error; a withdrawn one is skipped), its group numbered in order of appearance. */
static int group_line(struct cli_ctx *cx, struct groups *G, const uint32_t *ids, uint32_t n,
                      const char *p, size_t l, unsigned line, const char *path, struct gn_err *err)
{
    const char *tab = memchr(p, '\t', l), *gname;
    char ps[PSEUDONYM_LEN + 1];
    size_t gl;
    uint32_t gid = 0, g;
    const uint32_t *hit;
    int wd = 0, rc;
    if (!tab || tab == p || (size_t)(tab - p) + 1 >= l)
        return gn_errf(err, GN_EPARSE, "%s: line %u: expected SAMPLE<TAB>GROUP", path, line);
    gname = tab + 1;
    gl = l - (size_t)(gname - p);
    if (gl >= GROUP_NAME || memchr(gname, '\t', gl))
        return gn_errf(err, GN_EPARSE, "%s: line %u: group name too long or extra field", path,
                       line);
    pseudonym_of(&cx->key, "sample", p, (size_t)(tab - p), ps);
    rc = catalog_sample_lookup(cx->cat, ps, &gid, &wd, NULL);
    if (rc == GN_ENOTFOUND)
        return gn_errf(err, rc, "%s: line %u: sample '%.*s' is not in the store", path, line,
                       (int)(tab - p), p);
    if (rc < 0) return gn_errf(err, rc, "catalog lookup failed");
    if (wd || !(hit = bsearch(&gid, ids, n, sizeof *ids, ids_cmp)))
        return GN_OK; /* withdrawn, or not allowed by policy: not counted */
    for (g = 0; g < G->n && (strlen(G->name[g]) != gl || memcmp(G->name[g], gname, gl)); g++) {
    }
    if (g == G->n) {
        if (G->n == MAX_GROUPS)
            return gn_errf(err, GN_ELIMIT, "%s: more than %u groups", path, MAX_GROUPS);
        (void)snprintf(G->name[G->n++], GROUP_NAME, "%.*s", (int)gl, gname);
    }
    if (G->of[hit - ids] != NO_GROUP && G->of[hit - ids] != g)
        return gn_errf(err, GN_EPARSE, "%s: line %u: sample '%.*s' is in two groups", path, line,
                       (int)(tab - p), p);
    if (G->of[hit - ids] == NO_GROUP) G->size[g]++;
    G->of[hit - ids] = (uint8_t)g;
    return GN_OK;
}

static int groups_load(struct cli_ctx *cx, const char *path, const uint32_t *ids, uint32_t n,
                       struct groups *G, struct gn_err *err)
{
    uint8_t *data = NULL;
    size_t len;
    unsigned line = 0;
    int rc;
    if (!(G->of = gn_malloc(n ? n : 1))) return gn_errf(err, GN_ENOMEM, "out of memory");
    memset(G->of, NO_GROUP, n ? n : 1);
    if ((rc = fsutil_read_all(path, (size_t)64 << 20, &data, &len, err)) < 0) return rc;
    if ((rc = catalog_begin_read(cx->cat, err)) < 0) goto out;
    for (const char *p = (const char *)data, *end = p + len; p < end && rc >= 0;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p)), *e = eol ? eol : end;
        size_t l = (size_t)(e - p);
        line++;
        while (l && (p[l - 1] == '\r' || p[l - 1] == ' ')) {
            l--;
        }
        if (l && p[0] != '#') rc = group_line(cx, G, ids, n, p, l, line, path, err);
        p = e + 1;
    }
    catalog_rollback(cx->cat);
out:
    gn_free(data);
    return rc;
}

/* What the population pass shares across genes. */
struct pop {
    struct cli_ctx *cx;
    const struct policy_decision *d;
    const struct pgx_phenos *ph;
    uint32_t *ids; /* owned */
    uint32_t n;
    struct pgx_obs *obs; /* scratch, PGX_DEF_MAX_POSITIONS */
    uint64_t records;
    const struct groups *G; /* NULL without --groups */
    struct tally *t;        /* [0] everyone, [1 + g] group g */
    uint32_t *alleles;      /* (1 + groups) × n_alleles: alleles in single-diplotype calls */
    uint32_t *called;       /* (1 + groups): alleles counted */
    int alleles_table;      /* --alleles: allele rows instead of phenotype rows */
};

static void print_count(const struct pop *P, uint32_t count, uint32_t denom)
{
    int64_t shown;
    if (policy_mask_count(P->d, count, &shown))
        printf("NA\tNA\n");
    else
        printf("%lld\t%.4f\n", (long long)shown, denom ? (double)count / denom : 0.0);
}

static void print_tally(const struct pop *P, const struct pgx_gene *g)
{
    uint32_t ng = P->G ? 1 + P->G->n : 1;
    for (uint32_t k = 0; k < ng; k++) {
        for (uint32_t i = 0; i < P->t[k].n; i++) {
            printf("%s\t", g->name);
            if (P->G) printf("%s\t", k ? P->G->name[k - 1] : "all");
            printf("%s\t", P->t[k].name[i]);
            print_count(P, P->t[k].count[i], k ? P->G->size[k - 1] : P->n);
        }
    }
}

/* The allele counts of one gene (with --groups): every allele seen in a single-diplotype
 * call, per group, over the alleles of such calls. */
static void print_alleles(const struct pop *P, const struct pgx_gene *g)
{
    uint32_t ng = P->G ? 1 + P->G->n : 1;
    for (uint32_t k = 0; k < ng; k++) {
        for (uint32_t a = 0; a < g->n_alleles; a++) {
            uint32_t c = P->alleles[k * g->n_alleles + a];
            if (!c) continue;
            printf("%s\t", g->name);
            if (P->G) printf("%s\t", k ? P->G->name[k - 1] : "all");
            printf("%s\t%u\t", g->alleles[a].name, P->called[k]);
            print_count(P, c, P->called[k]);
        }
    }
}

static void count_alleles(struct pop *P, const struct pgx_gene *g, const struct pgx_match *m,
                          uint32_t grp)
{
    if (m->by_variant || m->n_dips != 1) return;
    for (int h = 0; h < 2 && m->dips[0].hap[h]; h++) {
        uint32_t a;
        for (a = 0; a < g->n_alleles && strcmp(g->alleles[a].name, m->dips[0].hap[h]); a++) {
        }
        if (a == g->n_alleles) continue;
        P->alleles[a]++;
        P->called[0]++;
        if (P->G && grp != NO_GROUP) {
            P->alleles[(1 + grp) * g->n_alleles + a]++;
            P->called[1 + grp]++;
        }
    }
}

/* One gene for every allowed sample: match, phenotype, tally; prints the gene's rows. */
static int population_gene(struct pop *P, const struct pgx_gene *g, struct gn_err *err)
{
    struct pgx_store_gene *sg = NULL;
    uint32_t ng = P->G ? 1 + P->G->n : 1;
    int rc;
    memset(P->t, 0, ng * sizeof *P->t);
    if (P->alleles_table) {
        gn_free(P->alleles);
        if (!(P->alleles =
                  gn_calloc((size_t)ng * (g->n_alleles ? g->n_alleles : 1), sizeof *P->alleles)))
            return gn_errf(err, GN_ENOMEM, "out of memory");
        memset(P->called, 0, ng * sizeof *P->called);
    }
    if ((rc = pgx_store_gene_read(P->cx->snap, g, P->ids, P->n, &sg, err)) < 0) return rc;
    P->records += pgx_store_gene_records(sg);
    for (uint32_t k = 0; k < P->n; k++) {
        struct pgx_match m;
        struct pgx_pheno p;
        char why[64];
        const char *name;
        pgx_store_gene_obs(sg, k, P->obs);
        if ((rc = pgx_match_gene(g, P->obs, &m, err)) < 0) {
            pgx_match_reset(&m);
            goto out;
        }
        pgx_report_phenotype(P->ph, &m, &p, why, sizeof why);
        name = p.phenotype[0] ? p.phenotype : "(no CPIC phenotype)";
        tally_add(&P->t[0], name);
        if (P->G && P->G->of[k] != NO_GROUP) tally_add(&P->t[1 + P->G->of[k]], name);
        if (P->alleles_table) count_alleles(P, g, &m, P->G ? P->G->of[k] : NO_GROUP);
        pgx_match_reset(&m);
    }
    if (P->alleles_table)
        print_alleles(P, g);
    else
        print_tally(P, g);
out:
    pgx_store_gene_free(sg);
    return rc;
}

static void population_header(const struct pgx_defs *defs, const struct pgx_phenos *ph,
                              const struct pop *P)
{
    const struct groups *G = P->G;
    uint32_t n = P->n;
    printf("# pgx population: %u individuals allowed by policy; definitions %s; phenotypes %s\n", n,
           defs->version,
           pgx_phenos_version(ph, "CYP2C19") ? pgx_phenos_version(ph, "CYP2C19") : "unknown");
    printf("# CYP2D6 is called from SNVs/indels only (no copy number): shown, never used for "
           "recommendations\n");
    if (G) {
        printf("# groups:");
        for (uint32_t g = 0; g < G->n; g++)
            printf(" %s=%u", G->name[g], G->size[g]);
        printf("\n");
    }
    if (P->alleles_table)
        printf("# alleles of the individuals with one diplotype call (ties and DPYD/RYR1 left "
               "out)\ngene\t%sallele\tcalled_alleles\tcount\tfrequency\n",
               G ? "group\t" : "");
    else
        printf("gene\t%sphenotype\tcount\tfrequency\n", G ? "group\t" : "");
}

int pgx_cli_population(const char *dir, const struct cli_access *a, const struct pgx_defs *defs,
                       const struct pgx_phenos *ph, const char *groups, int alleles,
                       struct gn_err *err)
{
    struct cli_ctx cx;
    struct policy_decision d;
    struct groups *G = NULL;
    struct pop P;
    struct timespec t0, t1;
    int rc, decided = 0;
    double ms;

    memset(&d, 0, sizeof d);
    memset(&P, 0, sizeof P);
    (void)clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rc = cli_ctx_open(&cx, dir, CLI_SNAP, a, err)) < 0) return rc;
    if ((rc = cli_decide(&cx, a, "pgx-population",
                         groups ? "phenotype frequencies per gene and group"
                                : "phenotype frequencies per gene",
                         GRAN_COUNT, NULL, 0, 0, &d, err)) < 0)
        goto out;
    decided = 1;
    P.cx = &cx;
    P.d = &d;
    P.ph = ph;
    if ((rc = allowed_ids(&cx, &d, &P.ids, &P.n, err)) < 0) goto out;
    if (groups) {
        if (!(G = gn_calloc(1, sizeof *G))) {
            rc = gn_errf(err, GN_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = groups_load(&cx, groups, P.ids, P.n, G, err)) < 0) goto out;
        P.G = G;
    }
    if (!(P.obs = gn_calloc(PGX_DEF_MAX_POSITIONS, sizeof *P.obs)) ||
        !(P.t = gn_calloc(1 + MAX_GROUPS, sizeof *P.t)) ||
        !(P.called = gn_calloc(1 + MAX_GROUPS, sizeof *P.called))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    P.alleles_table = alleles;
    /* on record before the first row is printed; the records read are recorded after */
    if ((rc = policy_start(cx.cat, &cx.key, &d, NULL, err)) < 0) goto out;
    population_header(defs, ph, &P);
    for (uint32_t g = 0; g < defs->n && rc >= 0; g++)
        rc = population_gene(&P, defs->genes[g], err);
    if (rc < 0) goto out;
    rc = policy_done(cx.cat, &cx.key, &d, (int64_t)P.records, NULL, err);
    (void)clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    fprintf(stderr, "pgx population: %u individuals, %.1f ms, %.3f ms per individual\n", P.n, ms,
            P.n ? ms / P.n : 0.0);
out:
    gn_free(P.obs);
    gn_free(P.t);
    gn_free(P.called);
    gn_free(P.alleles);
    gn_free(P.ids);
    if (G) gn_free(G->of);
    gn_free(G);
    if (decided) policy_decision_free(&d);
    cli_ctx_close(&cx);
    return rc;
}
