/*
 * cmd_pheno.c — `genomenode phenopacket import|export` and `genomenode mme peer|search|
 * heartbeat` (docs/mme.md).
 *
 * Import resolves each phenopacket's subject to a person of the node without writing the
 * subject id anywhere: a sample id known to the node (its individual), a person pseudonym,
 * or a row of a sample manifest (--manifest, the ingest format: sample_id = the subject id,
 * national_id, sex, dataset, consent) whose person is created when new, with the sheet's
 * consent. The record (observed and excluded HPO terms, diseases, genes and variants)
 * replaces the person's earlier one. Both commands are steward actions, audited.
 */
#include <dirent.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "catalog.h"
#include "cli.h"
#include "duo.h"
#include "fsutil.h"
#include "hpo.h"
#include "ingest.h"
#include "mme.h"
#include "node.h"
#include "phenopacket.h"
#include "policy.h"
#include "pseudonym.h"
#include "samplesheet.h"
#include "strparse.h"

struct pheno_opt {
    const char *manifest, *dataset, *hpo, *person, *pseudonym, *out, *token_file;
    long timeout_ms;
    int all;
    struct cli_access acc;
};

static int parse_opts(const char *cmd, int argc, char **argv, struct pheno_opt *o)
{
    static const struct option lo[] = {{"manifest", required_argument, 0, 'm'},
                                       {"dataset", required_argument, 0, 'd'},
                                       {"hpo", required_argument, 0, 'H'},
                                       {"person", required_argument, 0, 'p'},
                                       {"pseudonym", required_argument, 0, 's'},
                                       {"out", required_argument, 0, 'o'},
                                       {"token-file", required_argument, 0, 'k'},
                                       {"timeout", required_argument, 0, 't'},
                                       {"all", no_argument, 0, 'a'},
                                       CLI_ACCESS_OPTIONS,
                                       {0, 0, 0, 0}};
    int c;
    int64_t v;
    memset(o, 0, sizeof *o);
    o->timeout_ms = 10000;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_access_opt(&o->acc, c, optarg)) continue;
        switch (c) {
        case 'm':
            o->manifest = optarg;
            break;
        case 'd':
            o->dataset = optarg;
            break;
        case 'H':
            o->hpo = optarg;
            break;
        case 'p':
            o->person = optarg;
            break;
        case 's':
            o->pseudonym = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'k':
            o->token_file = optarg;
            break;
        case 'a':
            o->all = 1;
            break;
        case 't':
            if (strparse_i64_all(optarg, strlen(optarg), &v) < 0 || v < 100 || v > 600000)
                return cli_usage_error(cmd, "bad --timeout '%s' (100..600000 ms)", optarg);
            o->timeout_ms = (long)v;
            break;
        default:
            return cli_usage_error(cmd, "unknown option%s", "");
        }
    }
    return 0;
}

static const char *hpo_path(const struct pheno_opt *o)
{
    return cli_hpo_index(o->hpo);
}

/* ---- import -------------------------------------------------------------------------- */

struct importer {
    struct cli_ctx *cx;
    struct samplesheet *sheet; /* national IDs already wiped; person[] holds pseudonyms */
    char (*person)[PSEUDONYM_LEN + 1];
    const struct hpo *h; /* may be NULL: terms are then only checked for form */
    const char *dataset;
    int warnings;
};

/* A manifest row names a person: known, or new with the sheet's sex and consent. */
static int person_from_row(struct importer *im, size_t i, struct catalog_individual *ind,
                           int64_t *ds, struct gn_err *err)
{
    const struct samplesheet_row *r = samplesheet_row(im->sheet, i);
    struct catalog *c = im->cx->cat;
    struct catalog_dataset d;
    int64_t id = 0;
    int rc;
    /* the sheet names the person's dataset: a --dataset that says otherwise would move the
     * record in or out of a matchmaking dataset without anyone noticing */
    if (im->dataset && strcmp(im->dataset, r->dataset))
        return gn_errf(err, GN_EINVAL,
                       "--dataset %s disagrees with the manifest's dataset %s for this subject "
                       "(manifest row %zu)",
                       im->dataset, r->dataset, i + 1);
    if ((rc = catalog_dataset_get(c, r->dataset, &d, err)) < 0) return rc;
    *ds = d.id;
    if (catalog_individual_get(c, im->person[i], ind, NULL) == GN_OK) return GN_OK;
    memset(ind, 0, sizeof *ind);
    (void)snprintf(ind->pseudonym, sizeof ind->pseudonym, "%s", im->person[i]);
    (void)snprintf(ind->sex, sizeof ind->sex, "%s", samplesheet_sex_name(r->sex));
    ind->year_of_birth = r->year_of_birth;
    (void)snprintf(ind->referral_group, sizeof ind->referral_group, "%s", r->referral_group);
    if ((rc = catalog_individual_add(c, ind, &id, err)) < 0) return rc;
    ind->id = id;
    if (!strcmp(r->consent, "clinical"))
        return catalog_consent_add(c, id, "clinical", "", "phenopacket-import", err);
    {
        struct duo_list l;
        char canon[CATALOG_TERMS_MAX + 1];
        if ((rc = duo_list_parse(&l, r->consent, strlen(r->consent), DUO_SIDE_USE, err)) < 0)
            return rc;
        duo_list_format(&l, 0, canon, sizeof canon);
        return catalog_consent_add(c, id, "research", canon, "phenopacket-import", err);
    }
}

static int resolve_subject(struct importer *im, const char *subject, struct catalog_individual *ind,
                           int64_t *ds, struct gn_err *err)
{
    struct catalog *c = im->cx->cat;
    char ps[PSEUDONYM_LEN + 1], sname[64], iname[64];
    uint32_t gid;
    int withdrawn, rc;
    *ds = 0;
    for (size_t i = 0; im->sheet && i < samplesheet_count(im->sheet); i++)
        if (!strcmp(samplesheet_row(im->sheet, i)->sample_id, subject))
            return person_from_row(im, i, ind, ds, err);
    if (strlen(subject) == PSEUDONYM_LEN && !strncmp(subject, "gn", 2) &&
        catalog_individual_get(c, subject, ind, NULL) == GN_OK) {
        rc = GN_OK;
    } else {
        pseudonym_of(&im->cx->key, "sample", subject, strlen(subject), ps);
        if (catalog_sample_lookup(c, ps, &gid, &withdrawn, NULL) < 0)
            return gn_errf(err, GN_ENOTFOUND,
                           "the subject is neither a sample known to the node, a person "
                           "pseudonym, nor in the manifest (--manifest)");
        if ((rc = catalog_sample_names(c, gid, sname, iname, sizeof sname, err)) < 0) return rc;
        if (!iname[0])
            return gn_errf(err, GN_ENOTFOUND,
                           "the subject's sample has no person (ingested without a manifest)");
        if ((rc = catalog_individual_get(c, iname, ind, err)) < 0) return rc;
        /* a re-import keeps the record's dataset; a first import takes the sample's */
        if (!im->dataset && (rc = catalog_phenopacket_dataset(c, ind->id, ds, err)) < 0) return rc;
        if (!im->dataset && !*ds && (rc = catalog_sample_dataset(c, gid, ds, err)) < 0) return rc;
    }
    /* a re-import keeps the record's dataset */
    if (!*ds && !im->dataset && (rc = catalog_phenopacket_dataset(c, ind->id, ds, err)) < 0)
        return rc;
    if (im->dataset) {
        struct catalog_dataset dd;
        if ((rc = catalog_dataset_get(c, im->dataset, &dd, err)) < 0) return rc;
        *ds = dd.id;
    }
    return GN_OK;
}

/* HPO ids against the index: unknown ones are warned about (kept: the index may be older
 * than the phenopacket), obsolete ones replaced by their current term. */
static void check_terms(struct importer *im, const char *file, struct phenopacket *pp,
                        char (*repl)[16])
{
    for (size_t i = 0; im->h && i < pp->n_ph; i++) {
        enum hpo_resolved how;
        struct gn_err e = GN_ERR_INIT;
        int t = hpo_resolve(im->h, pp->ph[i].term, strlen(pp->ph[i].term), &how, &e);
        if (t < 0) {
            fprintf(stderr, "genomenode phenopacket: warning: %s: %s unknown to HPO %s; kept\n",
                    file, pp->ph[i].term, hpo_str(im->h, im->h->version));
            im->warnings++;
        } else if (how != HPO_RESOLVED_CURRENT) {
            (void)hpo_term_name(im->h, (uint32_t)t, repl[i]);
            fprintf(stderr, "genomenode phenopacket: warning: %s: %s is obsolete; stored as %s\n",
                    file, pp->ph[i].term, repl[i]);
            pp->ph[i].term = repl[i];
            pp->ph[i].label = hpo_str(im->h, im->h->term_label[t]);
            im->warnings++;
        }
    }
}

static int import_one(struct importer *im, const char *file, struct gn_err *err)
{
    struct phenopacket *pp = NULL;
    struct catalog_individual ind;
    struct catalog_pheno rec = {0};
    struct catalog_phenotype *ph = NULL;
    struct catalog_diagnosis *dx = NULL;
    struct catalog_pheno_variant *var = NULL;
    char(*repl)[16] = NULL;
    char detail[300];
    int64_t ds = 0;
    int rc, in_tx = 0;

    if ((rc = phenopacket_load(file, &pp, err)) < 0) goto out;
    if (!(ph = gn_calloc(pp->n_ph + 1, sizeof *ph)) ||
        !(dx = gn_calloc(pp->n_dx + 1, sizeof *dx)) ||
        !(var = gn_calloc(pp->n_var + 1, sizeof *var)) || !(repl = gn_calloc(pp->n_ph + 1, 16))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    check_terms(im, file, pp, repl);
    if ((rc = catalog_begin(im->cx->cat, err)) < 0) goto out;
    in_tx = 1;
    if ((rc = resolve_subject(im, pp->subject, &ind, &ds, err)) < 0) goto out;
    for (size_t i = 0; i < pp->n_ph; i++) {
        ph[i].term = pp->ph[i].term;
        ph[i].label = pp->ph[i].label;
        ph[i].excluded = pp->ph[i].excluded;
        ph[i].onset = pp->ph[i].onset;
    }
    for (size_t i = 0; i < pp->n_dx; i++) {
        dx[i].disease = pp->dx[i].id;
        dx[i].label = pp->dx[i].label;
        dx[i].onset = pp->dx[i].onset;
    }
    for (size_t i = 0; i < pp->n_var; i++) {
        const struct phenopacket_variant *v = &pp->var[i];
        var[i] = (struct catalog_pheno_variant){v->gene, v->gene_id, v->assembly, v->chrom, v->pos,
                                                v->ref,  v->alt,     v->zygosity, v->hgvs};
    }
    rec = (struct catalog_pheno){ind.id,   ds,  ph,        pp->n_ph,    dx,
                                 pp->n_dx, var, pp->n_var, pp->age_last};
    (void)snprintf(detail, sizeof detail, "%zu phenotypes, %zu diagnoses, %zu variants", pp->n_ph,
                   pp->n_dx, pp->n_var);
    if ((rc = catalog_pheno_replace(im->cx->cat, &rec, im->cx->who.name, err)) < 0 ||
        (rc = policy_audit(im->cx->cat, &im->cx->key, &im->cx->who.caller, POLICY_PURPOSE_ADMIN,
                           "phenopacket.import", "done", detail, ind.pseudonym, err)) < 0 ||
        (rc = catalog_commit(im->cx->cat, err)) < 0)
        goto out;
    in_tx = 0;
    printf("%s\t%s\t%s\n", file, ind.pseudonym, detail);
out:
    if (in_tx) catalog_rollback(im->cx->cat);
    phenopacket_free(pp);
    gn_free(ph);
    gn_free(dx);
    gn_free(var);
    gn_free(repl);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The phenopacket files of path: itself, or the *.json files of a directory, sorted. */
static int list_files(const char *path, char ***files, size_t *n, struct gn_err *err)
{
    DIR *d = opendir(path);
    struct dirent *de;
    size_t cap = 0;
    *files = NULL;
    *n = 0;
    if (!d) {
        if (!(*files = gn_calloc(1, sizeof **files)) || !(**files = gn_malloc(strlen(path) + 1)))
            return gn_errf(err, GN_ENOMEM, "out of memory");
        memcpy(**files, path, strlen(path) + 1);
        *n = 1;
        return GN_OK;
    }
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        char full[4096];
        if (l < 6 || strcmp(de->d_name + l - 5, ".json") || de->d_name[0] == '.') continue;
        if (fsutil_path(full, sizeof full, path, de->d_name) < 0) continue;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nf = gn_reallocarray(*files, nc, sizeof *nf);
            if (!nf) break;
            *files = nf;
            cap = nc;
        }
        if (!((*files)[*n] = gn_malloc(strlen(full) + 1))) break;
        memcpy((*files)[(*n)++], full, strlen(full) + 1);
    }
    closedir(d);
    if (*n) qsort(*files, *n, sizeof **files, cmp_str);
    return GN_OK;
}

static int pheno_import(const char *dir, const char *what, const struct pheno_opt *o)
{
    struct gn_err err = GN_ERR_INIT;
    struct cli_ctx cx;
    struct importer im = {0};
    struct hpo *h = NULL;
    char **files = NULL;
    size_t n = 0, failed = 0;
    int rc;

    if ((rc = cli_ctx_open(&cx, dir, 0, &o->acc, &err)) < 0 ||
        (rc = policy_admin(cx.cat, &cx.key, &cx.who.caller, "phenopacket.import", &err)) < 0)
        goto out;
    im.cx = &cx;
    im.dataset = o->dataset;
    if (hpo_load(hpo_path(o), &h, NULL) < 0) {
        fprintf(stderr,
                "genomenode phenopacket: warning: no HPO index at %s; HPO ids are only "
                "checked for their form\n",
                hpo_path(o));
        h = NULL;
    }
    im.h = h;
    if (o->manifest) {
        struct samplesheet_opts so = {0};
        if ((rc = node_id_format(cx.cat, &so.id_format, &err)) < 0) goto out;
        so.check_consent = ingest_check_consent;
        so.check_dataset = ingest_check_dataset;
        so.ctx = cx.cat;
        if ((rc = samplesheet_read(o->manifest, &so, &im.sheet, &err)) < 0) goto out;
        if (!(im.person = gn_calloc(samplesheet_count(im.sheet) + 1, sizeof *im.person))) {
            rc = gn_errf(&err, GN_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < samplesheet_count(im.sheet); i++) {
            const struct samplesheet_row *r = samplesheet_row(im.sheet, i);
            pseudonym_of(&cx.key, "person", r->national_id, strlen(r->national_id), im.person[i]);
        }
        samplesheet_wipe_ids(im.sheet); /* national IDs never go further */
    }
    if ((rc = list_files(what, &files, &n, &err)) < 0) goto out;
    if (!n) {
        rc = gn_errf(&err, GN_ENOTFOUND, "%s: no *.json phenopackets", what);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct gn_err e = GN_ERR_INIT;
        if (import_one(&im, files[i], &e) < 0) {
            fprintf(stderr, "genomenode phenopacket: %s: %s\n", files[i], e.msg);
            failed++;
        }
    }
    fprintf(stderr, "imported %zu of %zu phenopacket(s), %d warning(s)\n", n - failed, n,
            im.warnings);
    if (failed) rc = gn_errf(&err, GN_EPARSE, "%zu phenopacket(s) not imported", failed);
out:
    for (size_t i = 0; i < n; i++)
        gn_free(files[i]);
    gn_free(files);
    gn_free(im.person);
    samplesheet_free(im.sheet);
    hpo_free(h);
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

/* ---- export -------------------------------------------------------------------------- */

struct exp_rows {
    struct phenopacket pp;
    size_t cap_ph, cap_dx, cap_var;
    const struct hpo *h;
    char **strs; /* owned copies of the row strings */
    size_t n_strs, cap_strs;
    int oom;
};

static const char *keep(struct exp_rows *x, const char *s)
{
    char *c;
    if (!s) return NULL;
    if (x->n_strs == x->cap_strs) {
        size_t nc = x->cap_strs ? x->cap_strs * 2 : 64;
        char **ns = gn_reallocarray(x->strs, nc, sizeof *ns);
        if (!ns) return NULL;
        x->strs = ns;
        x->cap_strs = nc;
    }
    if (!(c = gn_malloc(strlen(s) + 1))) return NULL;
    memcpy(c, s, strlen(s) + 1);
    x->strs[x->n_strs++] = c;
    return c;
}

#define GROW(arr, n, cap)                                                                          \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            size_t nc_ = (cap) ? (cap)*2 : 16;                                                     \
            void *na_ = gn_reallocarray((arr), nc_, sizeof *(arr));                                \
            if (!na_) return GN_ENOMEM;                                                            \
            (arr) = na_;                                                                           \
            (cap) = nc_;                                                                           \
        }                                                                                          \
    } while (0)

static int exp_row(void *ctx, const struct catalog_pheno_row *r)
{
    struct exp_rows *x = ctx;
    struct phenopacket *pp = &x->pp;
    if (r->kind == 'p') {
        const char *label = r->b;
        GROW(pp->ph, pp->n_ph, x->cap_ph);
        if ((!label || !*label) && x->h) {
            enum hpo_resolved how;
            int t = hpo_resolve(x->h, r->a, strlen(r->a), &how, NULL);
            if (t >= 0) label = hpo_str(x->h, x->h->term_label[t]);
        }
        pp->ph[pp->n_ph++] = (struct phenopacket_feature){keep(x, r->a), keep(x, label),
                                                          r->excluded, keep(x, r->onset)};
    } else if (r->kind == 'd') {
        GROW(pp->dx, pp->n_dx, x->cap_dx);
        pp->dx[pp->n_dx++] =
            (struct phenopacket_disease){keep(x, r->a), keep(x, r->b), keep(x, r->onset)};
    } else {
        GROW(pp->var, pp->n_var, x->cap_var);
        pp->var[pp->n_var++] = (struct phenopacket_variant){keep(x, r->var.gene),
                                                            keep(x, r->var.gene_id),
                                                            keep(x, r->var.assembly),
                                                            keep(x, r->var.chrom),
                                                            r->var.pos,
                                                            keep(x, r->var.ref),
                                                            keep(x, r->var.alt),
                                                            keep(x, r->var.zygosity),
                                                            keep(x, r->var.hgvs)};
    }
    return 0;
}

#define EXP_AGE_MAX 48

struct exp_list {
    int64_t *ids;
    char (*ps)[PSEUDONYM_LEN + 1];
    char (*sex)[16];
    char (*age)[EXP_AGE_MAX]; /* age at the last encounter, "" when unknown */
    size_t n, cap;
    const char *only; /* a pseudonym, or NULL for all */
};

static int exp_list(void *ctx, const struct catalog_phenopacket_view *v)
{
    struct exp_list *l = ctx;
    if (l->only && strcmp(l->only, v->pseudonym)) return 0;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        int64_t *ni = gn_reallocarray(l->ids, nc, sizeof *ni);
        char(*np)[PSEUDONYM_LEN + 1];
        char(*ns)[16];
        char(*na)[EXP_AGE_MAX];
        if (!ni) return GN_ENOMEM;
        l->ids = ni;
        if (!(np = gn_reallocarray(l->ps, nc, sizeof *np))) return GN_ENOMEM;
        l->ps = np;
        if (!(ns = gn_reallocarray(l->sex, nc, sizeof *ns))) return GN_ENOMEM;
        l->sex = ns;
        if (!(na = gn_reallocarray(l->age, nc, sizeof *na))) return GN_ENOMEM;
        l->age = na;
        l->cap = nc;
    }
    l->ids[l->n] = v->individual;
    (void)snprintf(l->ps[l->n], sizeof l->ps[l->n], "%s", v->pseudonym);
    (void)snprintf(l->sex[l->n], sizeof l->sex[l->n], "%s", v->sex ? v->sex : "");
    l->age[l->n][0] = '\0'; /* an age too long to keep whole is left out, not cut */
    if (v->age_last && strlen(v->age_last) < sizeof l->age[l->n])
        memcpy(l->age[l->n], v->age_last, strlen(v->age_last) + 1);
    l->n++;
    return 0;
}

static const char *pp_sex(const char *s)
{
    return !strcmp(s, "male")     ? "MALE"
           : !strcmp(s, "female") ? "FEMALE"
           : !strcmp(s, "other")  ? "OTHER_SEX"
                                  : "UNKNOWN_SEX";
}

static int export_one(struct cli_ctx *cx, const struct hpo *h, int64_t id, const char *ps,
                      const char *sex, const char *age, const char *outdir, struct gn_err *err)
{
    struct exp_rows x;
    char created[32], *doc = NULL, path[4096], name[64];
    size_t len = 0;
    time_t now = time(NULL);
    struct tm tm;
    int rc;
    memset(&x, 0, sizeof x);
    x.h = h;
    x.pp.id = ps;
    x.pp.subject = ps;
    x.pp.sex = pp_sex(sex);
    x.pp.age_last = *age ? age : NULL;
    (void)strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    if ((rc = catalog_pheno_rows(cx->cat, id, exp_row, &x, err)) < 0) {
        if (rc == GN_ENOMEM) gn_errf(err, rc, "out of memory");
        goto out;
    }
    if ((rc = phenopacket_write(&x.pp, created, h ? hpo_str(h, h->version) : NULL, &doc, &len,
                                err)) < 0)
        goto out;
    if (outdir) {
        (void)snprintf(name, sizeof name, "%s.json", ps);
        if (fsutil_path(path, sizeof path, outdir, name) < 0) {
            rc = gn_errf(err, GN_ELIMIT, "path too long");
            goto out;
        }
        if ((rc = fsutil_write_atomic(path, doc, len, 0600, err)) < 0) goto out;
    } else {
        printf("%s\n", doc);
    }
out:
    for (size_t i = 0; i < x.n_strs; i++)
        gn_free(x.strs[i]);
    gn_free(x.strs);
    gn_free(x.pp.ph);
    gn_free(x.pp.dx);
    gn_free(x.pp.var);
    gn_free(doc);
    return rc;
}

static int pheno_export(const char *dir, const struct pheno_opt *o)
{
    struct gn_err err = GN_ERR_INIT;
    struct cli_ctx cx;
    struct exp_list l = {0};
    struct hpo *h = NULL;
    char ps[PSEUDONYM_LEN + 1], *subjects = NULL;
    int rc;

    if ((rc = cli_ctx_open(&cx, dir, 0, &o->acc, &err)) < 0 ||
        (rc = policy_admin(cx.cat, &cx.key, &cx.who.caller, "phenopacket.export", &err)) < 0)
        goto out;
    if (o->person) {
        if ((rc = node_person_pseudonym(cx.cat, &cx.key, o->person, ps, &err)) < 0) goto out;
        l.only = ps;
    } else if (o->pseudonym) {
        l.only = o->pseudonym;
    } else if (!o->out) {
        rc = gn_errf(&err, GN_EINVAL, "exporting every record needs --out DIRECTORY");
        goto out;
    }
    if (hpo_load(hpo_path(o), &h, NULL) < 0) h = NULL;
    if ((rc = catalog_phenopacket_each(cx.cat, exp_list, &l, &err)) < 0) goto out;
    if (!l.n) {
        rc =
            gn_errf(&err, GN_ENOTFOUND, "no phenotype record%s", l.only ? " for this person" : "s");
        goto out;
    }
    if (o->out && (rc = fsutil_mkdir(o->out, &err)) < 0 && rc != GN_EEXIST) goto out;
    if (!(subjects = gn_calloc(l.n, PSEUDONYM_LEN + 1))) {
        rc = gn_errf(&err, GN_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < l.n; i++) {
        (void)snprintf(subjects + i * (PSEUDONYM_LEN + 1) - (i ? 1 : 0), PSEUDONYM_LEN + 2, "%s%s",
                       i ? "," : "", l.ps[i]);
    }
    /* The people's records are on record as disclosed before the first is written; the
     * outcome follows. */
    if ((rc = policy_audit(cx.cat, &cx.key, &cx.who.caller, POLICY_PURPOSE_ADMIN,
                           "phenopacket.export", "allowed", o->out ? "to a directory" : "to stdout",
                           subjects, &err)) < 0)
        goto out;
    for (size_t i = 0; i < l.n; i++) {
        if ((rc = export_one(&cx, h, l.ids[i], l.ps[i], l.sex[i], l.age[i], o->out, &err)) < 0)
            goto out;
    }
    rc = policy_audit(cx.cat, &cx.key, &cx.who.caller, POLICY_PURPOSE_ADMIN, "phenopacket.export",
                      "done", o->out ? "to a directory" : "to stdout", NULL, &err);
    if (rc == GN_OK && o->out) fprintf(stderr, "exported %zu phenopacket(s) to %s\n", l.n, o->out);
out:
    gn_free(l.ids);
    gn_free(l.age);
    gn_free(l.ps);
    gn_free(l.sex);
    gn_free(subjects);
    hpo_free(h);
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

int cmd_phenopacket(int argc, char **argv)
{
    struct pheno_opt o;
    int rc;
    if (argc < 2 || (strcmp(argv[1], "import") && strcmp(argv[1], "export")))
        return cli_usage_error("phenopacket", "expected import or export%s", "");
    if ((rc = parse_opts("phenopacket", argc - 1, argv + 1, &o))) return rc;
    optind++;
    if (!strcmp(argv[1], "import")) {
        if (optind + 2 != argc)
            return cli_usage_error("phenopacket", "phenopacket import DIR FILE|DIRECTORY%s", "");
        return pheno_import(argv[optind], argv[optind + 1], &o);
    }
    if (optind + 1 != argc) return cli_usage_error("phenopacket", "phenopacket export DIR%s", "");
    return pheno_export(argv[optind], &o);
}

/* ---- mme ----------------------------------------------------------------------------- */

static void print_peer(const char *name, const struct mme_peer_result *r, int heartbeat)
{
    struct mme_query *q = NULL;
    json_error_t je;
    json_t *doc = NULL, *res;
    if (!r->ok) {
        printf("{\"peer\":\"%s\",\"status\":\"error\",\"error\":\"%s\",\"seconds\":%.3f}\n", name,
               r->error, r->secs);
        return;
    }
    doc = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &je);
    res = doc ? json_object_get(doc, heartbeat ? "heartbeat" : "results") : NULL;
    if (!res || (!heartbeat && !json_is_array(res))) {
        printf("{\"peer\":\"%s\",\"status\":\"error\",\"error\":\"not an MME response\"}\n", name);
        json_decref(doc);
        return;
    }
    if (!heartbeat) { /* each result must be an MME result: checked, bad ones dropped */
        size_t i = 0;
        while (i < json_array_size(res)) {
            char *one = json_dumps(json_array_get(res, i), JSON_COMPACT);
            struct gn_err e = GN_ERR_INIT;
            if (!one || mme_query_parse(one, strlen(one), 1, &q, &e) < 0) {
                fprintf(stderr, "genomenode mme: peer %s: result %zu dropped: %s\n", name, i,
                        e.msg);
                (void)json_array_remove(res, i);
            } else {
                i++;
            }
            mme_query_free(q);
            q = NULL;
            gn_free(one);
        }
    }
    {
        json_t *o = json_pack("{s:s, s:s, s:f, s:O}", "peer", name, "status", "ok", "seconds",
                              r->secs, heartbeat ? "heartbeat" : "results", res);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (s) printf("%s\n", s);
        gn_free(s);
        json_decref(o);
    }
    json_decref(doc);
}

static int mme_search(const char *dir, const struct pheno_opt *o, int heartbeat)
{
    struct gn_err err = GN_ERR_INIT;
    struct cli_ctx cx;
    struct mme_peer *peers = NULL;
    struct mme_peer_result *res = NULL;
    struct hpo *h = NULL;
    size_t n = 0, ok = 0, n_ids = 0;
    int64_t *ids = NULL;
    char ps[PSEUDONYM_LEN + 1] = "", *req = NULL, detail[300];
    int rc;

    if ((rc = cli_ctx_open(&cx, dir, 0, &o->acc, &err)) < 0) goto out;
    if ((rc = mme_peers_load(dir, &peers, &n, &err)) < 0) goto out;
    if (!heartbeat) {
        struct mme_query *q = NULL;
        char *local = NULL, *subj = NULL;
        size_t nl = 0;
        int allowed = 0;
        if (o->person) {
            if ((rc = node_person_pseudonym(cx.cat, &cx.key, o->person, ps, &err)) < 0) goto out;
        } else if (o->pseudonym) {
            (void)snprintf(ps, sizeof ps, "%s", o->pseudonym);
        } else {
            rc = gn_errf(&err, GN_EINVAL, "mme search needs --person NATIONAL_ID or --pseudonym P");
            goto out;
        }
        /* Sending a person's record out is itself matchmaking: policy decides and audits. */
        (void)snprintf(detail, sizeof detail, "search for one local patient at %zu peer(s)", n);
        if ((rc = policy_matchmaking(cx.cat, &cx.key, &cx.who.caller, "mme.search", detail, &ids,
                                     &n_ids, &err)) < 0)
            goto out;
        for (size_t i = 0; i < n_ids; i++) {
            struct catalog_individual ind;
            if (catalog_individual_get(cx.cat, ps, &ind, NULL) == GN_OK && ind.id == ids[i])
                allowed = 1;
        }
        if (!allowed) {
            rc =
                policy_audit(cx.cat, &cx.key, &cx.who.caller, "matchmaking", "mme.search", "denied",
                             "the patient's consent or dataset does not allow "
                             "matchmaking",
                             ps, &err);
            rc = gn_errf(&err, rc < 0 ? rc : GN_EDENIED,
                         "access denied: the patient's consent or dataset does not allow "
                         "matchmaking");
            goto out;
        }
        if ((rc = mme_request_for(cx.cat, ps, &req, &err)) < 0) goto out;
        /* The patient's record is on record as going out before it does (and before this
         * node's own matches are printed); the outcome follows as "done". */
        (void)snprintf(detail, sizeof detail,
                       "the patient's record goes to %zu peer(s) and this node's matching; "
                       "answer follows",
                       n);
        if ((rc = policy_matchmaking_done(cx.cat, &cx.key, &cx.who.caller, "mme.search", "allowed",
                                          detail, 0, ps, &err)) < 0)
            goto out;
        /* this node's own matches, through the same scoring */
        if (hpo_load(hpo_path(o), &h, NULL) == GN_OK &&
            mme_query_parse(req, strlen(req), 0, &q, &err) == GN_OK &&
            mme_match(h, cx.cat, NULL, q, ids, n_ids, ps, &local, &subj, &nl, &err) == GN_OK) {
            printf("{\"peer\":\"local\",\"status\":\"ok\",%s\n", local + 1);
        }
        mme_query_free(q);
        gn_free(local);
        gn_free(subj);
    }
    if (n) {
        mme_global_init();
        if (!(res = gn_calloc(n, sizeof *res))) {
            rc = gn_errf(&err, GN_ENOMEM, "out of memory");
            goto out;
        }
        if ((rc = mme_peers_send(peers, n, heartbeat ? "/heartbeat" : "/match", req,
                                 req ? strlen(req) : 0, o->timeout_ms, res, &err)) < 0)
            goto out;
        for (size_t i = 0; i < n; i++) {
            print_peer(peers[i].name, &res[i], heartbeat);
            ok += res[i].ok;
        }
    }
    if (!heartbeat) {
        (void)snprintf(detail, sizeof detail, "sent to %zu peer(s), %zu answered", n, ok);
        rc = policy_matchmaking_done(cx.cat, &cx.key, &cx.who.caller, "mme.search", "done", detail,
                                     (int64_t)ok, NULL, &err);
    }
    fprintf(stderr, "%zu of %zu peer(s) answered\n", ok, n);
out:
    for (size_t i = 0; res && i < n; i++)
        mme_peer_result_clear(&res[i]);
    gn_free(res);
    if (peers) memset(peers, 0, n * sizeof *peers);
    gn_free(peers);
    gn_free(ids);
    gn_free(req);
    hpo_free(h);
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

static int mme_peer(int argc, char **argv, const struct pheno_opt *o)
{
    struct gn_err err = GN_ERR_INIT;
    struct cli_ctx cx;
    uint8_t *tok = NULL;
    size_t n = 0;
    int rc;
    if (optind + 4 != argc || strcmp(argv[optind], "add") || !o->token_file)
        return cli_usage_error("mme", "mme peer add DIR NAME URL --token-file FILE%s", "");
    if ((rc = cli_ctx_open(&cx, argv[optind + 1], 0, &o->acc, &err)) < 0 ||
        (rc = policy_admin(cx.cat, &cx.key, &cx.who.caller, "mme.peer", &err)) < 0)
        goto out;
    if ((rc = fsutil_read_all(o->token_file, 4096, &tok, &n, &err)) < 0) goto out;
    while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' '))
        n--;
    {
        char t[MME_PEER_TOKEN];
        if (n >= sizeof t) {
            rc = gn_errf(&err, GN_ELIMIT, "token longer than %d bytes", MME_PEER_TOKEN - 1);
            goto out;
        }
        memcpy(t, tok, n);
        t[n] = 0;
        rc = mme_peer_add(argv[optind + 1], argv[optind + 2], argv[optind + 3], t, &err);
        memset(t, 0, sizeof t);
    }
    if (rc == GN_OK &&
        (rc = policy_audit(cx.cat, &cx.key, &cx.who.caller, POLICY_PURPOSE_ADMIN, "mme.peer",
                           "done", argv[optind + 2], NULL, &err)) == GN_OK)
        printf("peer %s: %s\n", argv[optind + 2], argv[optind + 3]);
out:
    if (tok) memset(tok, 0, n);
    gn_free(tok);
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

int cmd_mme(int argc, char **argv)
{
    struct pheno_opt o;
    int rc;
    if (argc < 2 ||
        (strcmp(argv[1], "peer") && strcmp(argv[1], "search") && strcmp(argv[1], "heartbeat")))
        return cli_usage_error("mme", "expected peer, search or heartbeat%s", "");
    if ((rc = parse_opts("mme", argc - 1, argv + 1, &o))) return rc;
    optind++;
    if (!strcmp(argv[1], "peer")) return mme_peer(argc, argv, &o);
    if (optind + 1 != argc) return cli_usage_error("mme", "expected DIR%s", "");
    return mme_search(argv[optind], &o, !strcmp(argv[1], "heartbeat"));
}
