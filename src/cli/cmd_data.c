/*
 * cmd_data.c — the commands that load and read genotypes: init, ingest, count, freq,
 * genotypes, export, stats, compact, withdraw, lookup-bench. Every read goes through
 * policy (cli_decide) and is audited.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "catalog.h"
#include "cli.h"
#include "contig.h"
#include "err.h"
#include "fsutil.h"
#include "gtstore.h"
#include "hpo.h"
#include "ingest.h"
#include "log.h"
#include "node.h"
#include "phenosel.h"
#include "policy.h"
#include "pseudonym.h"
#include "query.h"
#include "strparse.h"

/* ---- commands ---- */

int cmd_init(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    enum contig_build build = CONTIG_BUILD_GRCH38;
    const char *catalog = NULL;
    static const struct option lo[] = {
        {"build", required_argument, 0, 'b'}, {"catalog", required_argument, 0, 'c'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "b:c:", lo, NULL)) != -1) {
        if (c == 'c') {
            catalog = optarg;
            continue;
        }
        if (c != 'b') return cli_usage_error("init", "unknown option%s", "");
        if (contig_build_parse(optarg, &build) < 0) {
            return cli_usage_error("init", "unknown build '%s' (GRCh37 or GRCh38)", optarg);
        }
    }
    if (optind + 1 != argc) return cli_usage_error("init", "expected one directory%s", "");
    if (node_init(argv[optind], build, catalog, &err) < 0) return cli_fail(&err);
    printf("initialised %s store in %s\n", contig_build_name(build), argv[optind]);
    return 0;
}

static void progress_line(void *ctx, const struct ingest_progress *p)
{
    (void)ctx;
    double rate = p->elapsed > 0 ? (double)p->records / p->elapsed : 0;
    if (p->fraction > 0.01 && !p->done) {
        (void)fprintf(stderr, "\r%s: %llu records, %.0f/s, %.0f%%, ETA %.0fs   ", p->file,
                      (unsigned long long)p->records, rate, 100 * p->fraction,
                      p->elapsed / p->fraction - p->elapsed);
    } else {
        (void)fprintf(stderr, "\r%s: %llu records, %.0f/s   ", p->file,
                      (unsigned long long)p->records, rate);
    }
    if (p->done) (void)fputc('\n', stderr);
}

int cmd_ingest(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct ingest_opts o = {0};
    struct ingest_result res = {0};
    struct cli_ctx cx;
    struct cli_access acc = {0};
    char detail[300];
    int rc;
    static const struct option lo[] = {
        {"batch", required_argument, 0, 'b'}, {"manifest", required_argument, 0, 'm'},
        {"token", required_argument, 0, 'T'}, {"threads", required_argument, 0, 't'},
        {"quiet", no_argument, 0, 'q'},       {0, 0, 0, 0}};
    int c, quiet = 0;
    int64_t th = 2;
    o.threads = -1; /* ingest picks: the CPUs left over by its reader and encoder */
    while ((c = getopt_long(argc, argv, "b:t:q", lo, NULL)) != -1) {
        if (c == 'b') {
            o.batch = optarg;
        } else if (c == 'm') {
            o.manifest = optarg;
        } else if (c == 'T') {
            acc.token = optarg;
        } else if (c == 't') {
            if (strparse_i64_all(optarg, strlen(optarg), &th) < 0 || th < 0 || th > 64) {
                return cli_usage_error("ingest", "bad --threads '%s'", optarg);
            }
            o.threads = (int)th;
        } else if (c == 'q') {
            quiet = 1;
        } else {
            return cli_usage_error("ingest", "unknown option%s", "");
        }
    }
    if (!o.batch) return cli_usage_error("ingest", "--batch NAME is required%s", "");
    if (argc - optind < 2) {
        return cli_usage_error("ingest", "expected DIR and at least one FILE%s", "");
    }
    if (!quiet && isatty(2)) o.progress = progress_line;
    if ((rc = cli_ctx_open(&cx, argv[optind], 0, &acc, &err)) == GN_OK &&
        (rc = policy_admin(cx.cat, &cx.key, &cx.who.caller, "ingest", &err)) == GN_OK &&
        (rc = ingest_run(argv[optind], (const char *const *)argv + optind + 1,
                         (uint32_t)(argc - optind - 1), &o, &res, &err)) == GN_OK) {
        (void)snprintf(detail, sizeof detail, "batch %s: %u files, %u samples%s", o.batch,
                       res.n_files, res.n_samples, o.manifest ? ", with manifest" : "");
        rc = policy_audit(cx.cat, &cx.key, &cx.who.caller, POLICY_PURPOSE_ADMIN, "ingest", "done",
                          detail, NULL, &err);
    }
    cli_ctx_close(&cx);
    if (rc < 0) return cli_fail(&err);
    printf("batch %s: %u files, %u samples, %llu records, %llu reference blocks, %llu bytes\n",
           o.batch, res.n_files, res.n_samples, (unsigned long long)res.n_records,
           (unsigned long long)res.n_ref_blocks, (unsigned long long)res.bytes_written);
    return 0;
}

struct data_opt {
    const char *samples;
    const char *region;
    const char *sample;
    const char *out;
    const char *phenotype; /* cohort criteria (phenosel.h) */
    const char *diagnosis;
    const char *cohort; /* a defined cohort's name: its criteria join the two above */
    struct cli_access acc;
};

static int parse_common(const char *cmd, int argc, char **argv, struct data_opt *so)
{
    static const struct option lo[] = {{"samples", required_argument, 0, 'S'},
                                       {"region", required_argument, 0, 'r'},
                                       {"sample", required_argument, 0, 's'},
                                       {"output", required_argument, 0, 'o'},
                                       {"phenotype", required_argument, 0, 'H'},
                                       {"diagnosis", required_argument, 0, 'D'},
                                       {"cohort", required_argument, 0, 'C'},
                                       CLI_ACCESS_OPTIONS,
                                       {0, 0, 0, 0}};
    int c;
    memset(so, 0, sizeof *so);
    while ((c = getopt_long(argc, argv, "S:r:s:o:", lo, NULL)) != -1) {
        if (c == 'S') {
            so->samples = optarg;
        } else if (c == 'r') {
            so->region = optarg;
        } else if (c == 's') {
            so->sample = optarg;
        } else if (c == 'o') {
            so->out = optarg;
        } else if (c == 'H') {
            so->phenotype = optarg;
        } else if (c == 'D') {
            so->diagnosis = optarg;
        } else if (c == 'C') {
            so->cohort = optarg;
        } else if (!cli_access_opt(&so->acc, c, optarg)) {
            return cli_usage_error(cmd, "unknown option%s", "");
        }
    }
    return 0;
}

/* Keeps in ids (n of them, increasing) only those also in sel (n_sel, increasing). */
static uint32_t intersect(uint32_t *ids, uint32_t n, const uint32_t *sel, uint32_t n_sel)
{
    uint32_t i = 0, j = 0, k = 0;
    while (i < n && j < n_sel) {
        if (ids[i] < sel[j]) {
            i++;
        } else if (ids[i] > sel[j]) {
            j++;
        } else {
            ids[k++] = ids[i++];
            j++;
        }
    }
    return k;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Joins list a and b (either may be NULL or empty) with a comma into out (n bytes). */
static int join_lists(char *out, size_t n, const char *a, const char *b, struct gn_err *err)
{
    int w = snprintf(out, n, "%s%s%s", a ? a : "", a && *a && b && *b ? "," : "", b ? b : "");
    if (w < 0 || (size_t)w >= n) return gn_errf(err, GN_ELIMIT, "cohort criteria too long");
    return GN_OK;
}

/* The samples matching --phenotype/--diagnosis/--cohort into *ids (owned); their
 * description into crit. Loads the HPO index only when terms are given. */
static int select_pheno(struct cli_ctx *cx, const struct data_opt *so, uint32_t **ids, uint32_t *n,
                        char *crit, size_t crit_len, struct gn_err *err)
{
    struct hpo *h = NULL;
    struct phenosel *ps = NULL;
    struct catalog_cohort co;
    char note[512], terms[2 * CATALOG_COHORT_CRITERIA_MAX + 2],
        dx[2 * CATALOG_COHORT_CRITERIA_MAX + 2];
    int rc;
    memset(&co, 0, sizeof co);
    if (so->cohort && (rc = catalog_cohort_get(cx->cat, so->cohort, &co, err)) < 0) return rc;
    if ((rc = join_lists(terms, sizeof terms, co.phenotypes, so->phenotype, err)) < 0 ||
        (rc = join_lists(dx, sizeof dx, co.diagnoses, so->diagnosis, err)) < 0)
        return rc;
    if (terms[0] && (rc = cli_hpo_load(NULL, &h, err)) < 0) return rc;
    if ((rc = phenosel_new(h, terms, dx, &ps, note, sizeof note, err)) == 0) {
        size_t at = 0;
        if (note[0]) fprintf(stderr, "genomenode: note: %s\n", note);
        if (so->cohort) {
            int w = snprintf(crit, crit_len, "cohort %s: ", so->cohort);
            at = w > 0 && (size_t)w < crit_len ? (size_t)w : 0;
        }
        (void)phenosel_describe(ps, crit + at, crit_len - at);
        rc = phenosel_samples(ps, cx->cat, ids, n, err);
    }
    phenosel_free(ps);
    hpo_free(h);
    return rc;
}

/* Opens the node, reads the cohort (--samples, or the one --sample, narrowed by
 * --phenotype/--diagnosis) and asks policy. */
static int open_and_decide(struct cli_ctx *cx, const char *dir, const struct data_opt *so,
                           const char *action, enum catalog_granularity need,
                           struct policy_decision *d, struct gn_err *err)
{
    uint32_t *ids = NULL, n = 0, one, *sel = NULL, n_sel = 0;
    char detail[1200], crit[600] = "";
    int rc, has = 0;

    memset(d, 0, sizeof *d);
    if ((rc = cli_ctx_open(cx, dir, CLI_SNAP, &so->acc, err)) < 0) return rc;
    if (so->samples) {
        if ((rc = cli_read_samples(cx, so->samples, &ids, &n, err)) < 0) return rc;
        has = 1;
    } else if (so->sample) {
        if ((rc = cli_sample_id(cx, so->sample, strlen(so->sample), &one, err)) < 0) return rc;
        ids = &one;
        n = 1;
        has = 1;
    }
    if (so->phenotype || so->diagnosis || so->cohort) {
        if ((rc = select_pheno(cx, so, &sel, &n_sel, crit, sizeof crit, err)) < 0) goto done;
        if (has) {
            if (n > 1) qsort(ids, n, sizeof *ids, cmp_u32);
            n = intersect(ids, n, sel, n_sel);
        } else {
            ids = sel;
            n = n_sel;
            sel = NULL;
            has = 1;
        }
    }
    (void)snprintf(detail, sizeof detail, "region %s; cohort %s%u%s%s",
                   so->region ? so->region : "all", has ? "" : "all, ", has ? n : 0,
                   crit[0] ? "; " : "", crit);
    rc = cli_decide(cx, &so->acc, action, detail, need, ids, n, has, d, err);
done:
    if (ids != &one) gn_free(ids);
    gn_free(sel);
    return rc;
}

static void print_count(const struct policy_decision *d, int64_t v)
{
    int64_t shown;
    if (policy_mask_count(d, v, &shown)) {
        (void)fputs("NA", stdout);
    } else {
        printf("%lld", (long long)shown);
    }
}

/* Decimal digits of v at p; returns the end. */
static char *put_u64(char *p, uint64_t v)
{
    char t[20];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = t[--n];
    return p;
}

/* One TSV row, on a scanning thread (ctx, the decision, is only read). printf's format
 * parsing cost more than the counting on an 80,000-row answer, so the row is assembled
 * by hand. */
static int freq_fmt(const void *ctx, struct gn_buf *b, const struct query_row *r)
{
    const struct policy_decision *d = ctx;
    size_t cl = strlen(r->chrom), need = cl + r->ref_len + r->alt_len + 4 * 21 + 8;
    int64_t shown;
    int rc;
    if ((rc = gn_buf_reserve(b, need)) < 0) return rc;
    char *p0 = (char *)b->data + b->len, *p = p0;
    memcpy(p, r->chrom, cl);
    p += cl;
    *p++ = '\t';
    p = put_u64(p, (uint64_t)r->pos);
    *p++ = '\t';
    memcpy(p, r->ref, r->ref_len);
    p += r->ref_len;
    *p++ = '\t';
    memcpy(p, r->alt, r->alt_len);
    p += r->alt_len;
    *p++ = '\t';
    if (policy_mask_count(d, r->ac, &shown)) {
        memcpy(p, "NA", 2);
        p += 2;
    } else {
        if (shown < 0) {
            *p++ = '-';
            shown = -shown;
        }
        p = put_u64(p, (uint64_t)shown);
    }
    *p++ = '\t';
    p = put_u64(p, r->an);
    *p++ = '\n';
    b->len += (size_t)(p - p0);
    return 0;
}

static int freq_out(void *ctx, const void *data, size_t len)
{
    (void)ctx;
    return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

int cmd_freq(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct data_opt so;
    struct cli_ctx cx;
    struct policy_decision d;
    uint64_t **masks = NULL, n_rows = 0;
    uint32_t contig;
    int64_t start, end;
    int rc;

    if ((rc = parse_common("freq", argc, argv, &so))) return rc;
    if (optind + 1 != argc) return cli_usage_error("freq", "expected DIR%s", "");
    if ((rc = open_and_decide(&cx, argv[optind], &so, "freq", GRAN_COUNT, &d, &err)) == GN_OK &&
        (rc = cli_parse_region(cx.snap, so.region, &contig, &start, &end, &err)) == GN_OK &&
        (rc = cli_masks(&cx, &d, &masks, &err)) == GN_OK &&
        (rc = policy_start(cx.cat, &cx.key, &d, NULL, &err)) == GN_OK) {
        /* on record before the first byte: a reader that stops early (head) still is */
        printf("CHROM\tPOS\tREF\tALT\tAC\tAN\n");
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        unsigned th = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (unsigned)ncpu;
        rc = query_freq_par(cx.snap, contig, start, end, masks, th, QUERY_AC_AN_ONLY, freq_fmt, &d,
                            freq_out, NULL, &n_rows, &err);
        if (rc == GN_OK) rc = policy_done(cx.cat, &cx.key, &d, (int64_t)n_rows, NULL, &err);
    }
    if (cx.snap) gtsnap_masks_free(cx.snap, masks);
    policy_decision_free(&d);
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

int cmd_count(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct data_opt so;
    struct strparse_variant v;
    struct query_row row;
    struct cli_ctx cx;
    struct policy_decision d;
    uint64_t **masks = NULL;
    char norm[CONTIG_NAME_MAX + 1], ref[GTREC_MAX_ALLELE_LEN + 1], alt[GTREC_MAX_ALLELE_LEN + 1];
    int rc, found = 0;

    if ((rc = parse_common("count", argc, argv, &so))) return rc;
    if (optind + 2 != argc) {
        return cli_usage_error("count", "expected DIR and CHROM:POS:REF:ALT%s", "");
    }
    const char *q = argv[optind + 1];
    if (strparse_variant(q, strlen(q), &v) < 0) {
        return cli_usage_error("count", "bad variant '%s' (expected CHROM:POS:REF:ALT)", q);
    }
    if ((rc = open_and_decide(&cx, argv[optind], &so, "count", GRAN_COUNT, &d, &err)) == GN_OK &&
        (rc = cli_masks(&cx, &d, &masks, &err)) == GN_OK) {
        int64_t id = -1;
        if (contig_normalise(cx.snap->man.build, v.chrom.p, v.chrom.n, norm) != GN_EINVAL) {
            id = gtstore_manifest_contig(&cx.snap->man, norm);
        }
        memcpy(ref, v.ref.p, v.ref.n);
        ref[v.ref.n] = '\0';
        memcpy(alt, v.alt.p, v.alt.n);
        alt[v.alt.n] = '\0';
        memset(&row, 0, sizeof row);
        if (id >= 0) {
            rc = query_count(cx.snap, (uint32_t)id, v.pos, ref, alt, masks, &row, &found, &err);
        }
        /* the answer is one line, complete here: its entry (records 1) goes first */
        if (rc == GN_OK && (rc = policy_done(cx.cat, &cx.key, &d, 1, NULL, &err)) == GN_OK) {
            int64_t ac;
            int masked = policy_mask_count(&d, row.ac, &ac);
            printf("{\"variant\":\"%s:%lld:%s:%s\",\"found\":%s,\"ac\":", id >= 0 ? norm : "",
                   (long long)v.pos, ref, alt, found ? "true" : "false");
            print_count(&d, row.ac);
            printf(",\"an\":%u,\"het\":", row.an);
            print_count(&d, row.het);
            printf(",\"hom_alt\":");
            print_count(&d, row.hom);
            if (masked) {
                printf(",\"af\":null,\"suppressed\":true}\n");
            } else {
                printf(",\"af\":%.6g}\n", row.an ? (double)ac / row.an : 0.0);
            }
        }
    }
    if (cx.snap) gtsnap_masks_free(cx.snap, masks);
    policy_decision_free(&d);
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

/* Pseudonyms of the given global ids, in order, as owned strings; and the comma-joined
 * individual pseudonyms (sample pseudonyms where no individual is known) for the audit. */
static char **names_for(struct cli_ctx *cx, const uint32_t *ids, uint32_t n, const char *project,
                        char **subjects, struct gn_err *err)
{
    struct pseudonym pk;
    char **names = gn_calloc((size_t)n + 1, sizeof *names);
    char buf[64], ind[64];
    size_t len = 0;
    *subjects = gn_malloc((size_t)n * (PSEUDONYM_LEN + 1) + 1);
    if (project && *project) pseudonym_derive(&cx->key, project, &pk);
    if (!names || !*subjects) goto fail;
    (*subjects)[0] = '\0';
    /* one read transaction for the n lookups (one lock, one snapshot) */
    if (catalog_begin_read(cx->cat, err) < 0) goto fail;
    for (uint32_t i = 0; i < n; i++) {
        char proj[PSEUDONYM_LEN + 1];
        if (catalog_sample_names(cx->cat, ids[i], buf, ind, sizeof buf, err) < 0) goto fail;
        /* Under a project the output names samples in the project's own pseudonym space. */
        if (project && *project) pseudonym_of(&pk, "sample", buf, strlen(buf), proj);
        if (!(names[i] = gn_strdup(project && *project ? proj : buf))) goto fail;
        len += (size_t)snprintf(*subjects + len, PSEUDONYM_LEN + 2, "%s%s", i ? "," : "",
                                ind[0] ? ind : buf);
    }
    catalog_rollback(cx->cat); /* read-only */
    if (project && *project) pseudonym_wipe(&pk);
    return names;
fail:
    catalog_rollback(cx->cat);
    if (project && *project) pseudonym_wipe(&pk);
    for (uint32_t j = 0; names && j < n; j++) {
        gn_free(names[j]);
    }
    gn_free(names);
    gn_free(*subjects);
    *subjects = NULL;
    if (!err->code) gn_errf(err, GN_ENOMEM, "out of memory");
    return NULL;
}

static int run_export(struct cli_ctx *cx, const struct data_opt *so, const uint32_t *ids,
                      uint32_t n, const char *path, const char *mode, int nonref,
                      struct policy_decision *d, struct gn_err *err)
{
    struct query_export_opts o = {0};
    uint64_t written = 0;
    char **names = NULL, *subjects = NULL;
    const uint32_t *all;
    uint32_t n_all;
    struct gtmerge *m = NULL;
    int rc, to_file = strcmp(path, "-") != 0, existed = to_file && access(path, F_OK) == 0;

    if ((rc = cli_parse_region(cx->snap, so->region, &o.contig, &o.start, &o.end, err)) < 0) {
        return rc;
    }
    if (!ids) { /* every live sample, in the order gtmerge uses */
        if ((rc = gtmerge_new(cx->snap, UINT32_MAX, 1, 1, NULL, 0, &m, err)) < 0) return rc;
        all = gtmerge_samples(m, &n_all);
        names = names_for(cx, all, n_all, d->project, &subjects, err);
        n = n_all;
    } else {
        names = names_for(cx, ids, n, d->project, &subjects, err);
    }
    if (!names) {
        gtmerge_free(m);
        return err->code;
    }
    o.ids = ids;
    o.n_ids = n;
    o.names = (const char *const *)names;
    o.path = path;
    o.mode = mode;
    o.nonref_only = nonref;
    /* The access and the people in it are on record before the file or stdout sees a byte;
     * the records written are recorded after. */
    if ((rc = policy_start(cx->cat, &cx->key, d, subjects, err)) == GN_OK) {
        rc = query_export(cx->snap, &o, &written, err);
        if (rc == GN_OK) rc = policy_done(cx->cat, &cx->key, d, (int64_t)written, subjects, err);
        /* A failed export leaves no file behind: not a partial one, and not a complete one
         * whose outcome could not be recorded. A file that was there before and could not
         * be opened is not ours to remove. */
        if (rc < 0 && to_file && (!existed || written > 0)) (void)unlink(path);
    }
    for (uint32_t i = 0; i < n; i++) {
        gn_free(names[i]);
    }
    gn_free(names);
    gn_free(subjects);
    gtmerge_free(m);
    return rc;
}

/* The allowed ids of a record-level decision, or NULL (*n 0) when it covers every live
 * sample of the snapshot and no cohort was asked for. */
static int export_ids(struct cli_ctx *cx, const struct data_opt *so,
                      const struct policy_decision *d, uint32_t **ids, uint32_t *n,
                      struct gn_err *err)
{
    uint32_t *all = NULL, k = 0, na = 0;
    int rc;
    *ids = NULL;
    *n = 0;
    if ((rc = policy_ids(d, &all, &na)) < 0) return gn_errf(err, rc, "out of memory");
    for (uint32_t i = 0; i < na; i++) {
        if (all[i] < cx->snap->man.next_sample &&
            !gtstore_manifest_is_deleted(&cx->snap->man, all[i])) {
            all[k++] = all[i];
        }
    }
    if (!so->samples && !so->sample && k == cx->snap->n_live_samples) {
        gn_free(all);
        return GN_OK;
    }
    if (k == 0) {
        gn_free(all);
        return gn_errf(err, GN_ENOTFOUND, "no sample to export");
    }
    *ids = all;
    *n = k;
    return GN_OK;
}

static const char *mode_for(const char *path)
{
    size_t n = strlen(path);
    if (n >= 4 && !strcmp(path + n - 4, ".bcf")) return "wb";
    if (n >= 3 && !strcmp(path + n - 3, ".gz")) return "wz";
    return "w";
}

/* The record-level commands: genotypes (one sample, non-reference records, VCF on stdout)
 * and export (a cohort, every record, to a file). One body, told apart by the arguments. */
static int record_command(const char *name, int argc, char **argv, int one_sample)
{
    struct gn_err err = GN_ERR_INIT;
    struct data_opt so;
    struct cli_ctx cx;
    struct policy_decision d;
    uint32_t *ids = NULL, n = 0;
    int rc;

    if ((rc = parse_common(name, argc, argv, &so))) return rc;
    if (optind + 1 != argc || (one_sample ? !so.sample : !so.out)) {
        return cli_usage_error(name,
                               one_sample ? "expected DIR and --sample ID%s"
                                          : "expected DIR and -o OUT.{vcf,vcf.gz,bcf}%s",
                               "");
    }
    if ((rc = open_and_decide(&cx, argv[optind], &so, name, GRAN_RECORD, &d, &err)) == GN_OK &&
        (rc = export_ids(&cx, &so, &d, &ids, &n, &err)) == GN_OK) {
        if (one_sample) (void)fflush(stdout);
        rc = run_export(&cx, &so, ids, n, one_sample ? "-" : so.out,
                        one_sample ? "w" : mode_for(so.out), one_sample, &d, &err);
    }
    gn_free(ids);
    policy_decision_free(&d);
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

int cmd_genotypes(int argc, char **argv)
{
    return record_command("genotypes", argc, argv, 1);
}

int cmd_export(int argc, char **argv)
{
    return record_command("export", argc, argv, 0);
}

int cmd_stats(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct gtsnap *snap = NULL;
    uint64_t bytes = 0, gts = 0, sites = 0, records = 0;
    if (cli_wants_help(argc, argv)) return cli_print_help("stats");
    if (argc != 2) return cli_usage_error("stats", "expected DIR%s", "");
    if (gtsnap_open(&snap, argv[1], &err) < 0) return cli_fail(&err);
    for (uint32_t i = 0; i < snap->n_seg; i++) {
        bytes += segment_file_bytes(snap->seg[i]);
        sites += segment_n_sites(snap->seg[i]);
        records += segment_n_records(snap->seg[i]);
        gts += segment_n_sites(snap->seg[i]) * segment_n_samples(snap->seg[i]);
    }
    printf("{\"build\":\"%s\",\"samples\":%llu,\"withdrawn\":%u,\"segments\":%u,\"records\":%llu,"
           "\"sites\":%llu,\"genotypes\":%llu,\"bytes\":%llu,\"bits_per_genotype\":%.4f,"
           "\"generation\":%llu}\n",
           contig_build_name(snap->man.build), (unsigned long long)snap->n_live_samples,
           snap->man.n_deleted, snap->n_seg, (unsigned long long)records, (unsigned long long)sites,
           (unsigned long long)gts, (unsigned long long)bytes,
           gts ? 8.0 * (double)bytes / (double)gts : 0.0, (unsigned long long)snap->man.generation);
    gtsnap_free(snap);
    return 0;
}

int cmd_compact(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct data_opt so;
    struct gtstore *st = NULL;
    struct cli_ctx cx;
    const struct gtstore_manifest *m;
    char detail[120];
    int rc;

    if ((rc = parse_common("compact", argc, argv, &so))) return rc;
    if (optind + 1 != argc) return cli_usage_error("compact", "expected DIR%s", "");
    if (so.phenotype || so.diagnosis || so.cohort)
        return cli_usage_error("compact",
                               "--phenotype/--diagnosis/--cohort select a cohort to read%s", "");
    if ((rc = cli_ctx_open(&cx, argv[optind], 0, &so.acc, &err)) == GN_OK &&
        (rc = policy_admin(cx.cat, &cx.key, &cx.who.caller, "compact", &err)) == GN_OK &&
        (rc = gtstore_open_writer(&st, argv[optind], &err)) == GN_OK &&
        (rc = gtstore_compact(st, &err)) == GN_OK) {
        m = gtstore_manifest(st);
        /* The manifest committed; the catalog's segment column follows it. */
        rc = catalog_sample_set_segment_all(cx.cat, m->n_segments ? (int64_t)m->seg[0].id : -1,
                                            &err);
        (void)snprintf(detail, sizeof detail, "%u segment(s) after", m->n_segments);
        if (rc == GN_OK) {
            rc = policy_audit(cx.cat, &cx.key, &cx.who.caller, POLICY_PURPOSE_ADMIN, "compact",
                              "done", detail, NULL, &err);
        }
        if (rc == GN_OK) printf("compacted %s: %u segment(s)\n", argv[optind], m->n_segments);
    }
    gtstore_close(st);
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}

int cmd_withdraw(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct data_opt so;
    struct cli_ctx cx;
    uint32_t gid;
    char ps[64], ind[64];
    int rc;

    if ((rc = parse_common("withdraw", argc, argv, &so))) return rc;
    if (optind + 1 != argc || !so.sample) {
        return cli_usage_error("withdraw", "expected DIR and --sample ID%s", "");
    }
    if (so.phenotype || so.diagnosis || so.cohort)
        return cli_usage_error("withdraw",
                               "--phenotype/--diagnosis/--cohort select a cohort to read%s", "");
    if ((rc = cli_ctx_open(&cx, argv[optind], CLI_SNAP, &so.acc, &err)) == GN_OK &&
        (rc = policy_admin(cx.cat, &cx.key, &cx.who.caller, "sample.withdraw", &err)) == GN_OK &&
        (rc = cli_sample_id(&cx, so.sample, strlen(so.sample), &gid, &err)) == GN_OK &&
        (rc = catalog_sample_names(cx.cat, gid, ps, ind, sizeof ind, &err)) == GN_OK &&
        (rc = node_withdraw(argv[optind], cx.cat, &gid, 1, &err)) == GN_OK) {
        rc = policy_audit(cx.cat, &cx.key, &cx.who.caller, POLICY_PURPOSE_ADMIN, "sample.withdraw",
                          "done", ps, ind[0] ? ind : ps, &err);
    }
    cli_ctx_close(&cx);
    if (rc < 0) return cli_fail(&err);
    printf("withdrawn: excluded from every query from now on; run compact to purge\n");
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

struct pick {
    uint64_t seen, want;
    uint32_t n, cap;
    struct query_row *rows;
    char (*str)[2][64];
    uint64_t rng;
};

static int pick_row(void *ctx, const struct query_row *r)
{
    struct pick *p = ctx;
    p->rng = p->rng * 6364136223846793005ull + 1442695040888963407ull;
    p->seen++;
    uint64_t j = p->n < p->cap ? p->n : (p->rng >> 33) % p->seen;
    if (j >= p->cap || r->ref_len >= 64 || r->alt_len >= 64) return 0;
    if (p->n < p->cap) p->n++;
    p->rows[j] = *r;
    memcpy(p->str[j][0], r->ref, r->ref_len);
    p->str[j][0][r->ref_len] = '\0';
    memcpy(p->str[j][1], r->alt, r->alt_len);
    p->str[j][1][r->alt_len] = '\0';
    return 0;
}

/* In-process lookup latency: N random sites (reservoir-sampled), each a fresh count. */
int cmd_lookup_bench(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct gtsnap *snap = NULL;
    static const struct option lo[] = {{"n", required_argument, 0, 'n'}, {0, 0, 0, 0}};
    struct pick p = {0};
    int64_t n = 10000;
    int c, rc = 0;

    while ((c = getopt_long(argc, argv, "n:", lo, NULL)) != -1) {
        if (c != 'n' || strparse_i64_all(optarg, strlen(optarg), &n) < 0 || n < 1 || n > 10000000) {
            return cli_usage_error("lookup-bench", "bad option%s", "");
        }
    }
    if (optind + 1 != argc) return cli_usage_error("lookup-bench", "expected DIR%s", "");
    if (gtsnap_open(&snap, argv[optind], &err) < 0) return cli_fail(&err);
    p.cap = 4096;
    p.rng = 42;
    p.rows = gn_calloc(p.cap, sizeof *p.rows);
    p.str = gn_calloc(p.cap, sizeof *p.str);
    double *lat = gn_calloc((size_t)n, sizeof *lat);
    if (!p.rows || !p.str || !lat ||
        query_freq(snap, UINT32_MAX, 1, INT64_MAX, NULL, pick_row, &p, &err) < 0 || p.n == 0) {
        rc = 1;
        goto out;
    }
    for (int64_t i = 0; i < n; i++) {
        uint32_t j = (uint32_t)(i % p.n);
        struct query_row row = {0};
        int found;
        int64_t cid = gtstore_manifest_contig(&snap->man, p.rows[j].chrom);
        double t0 = now_us();
        if (query_count(snap, (uint32_t)cid, p.rows[j].pos, p.str[j][0], p.str[j][1], NULL, &row,
                        &found, &err) < 0) {
            rc = 1;
            goto out;
        }
        lat[i] = now_us() - t0;
    }
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
    printf("{\"n\":%lld,\"p50_us\":%.2f,\"p99_us\":%.2f}\n", (long long)n, lat[n / 2],
           lat[(n * 99) / 100]);
out:
    gn_free(lat);
    gn_free(p.rows);
    gn_free(p.str);
    gtsnap_free(snap);
    return rc ? cli_fail(&err) : 0;
}
