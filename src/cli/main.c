/*
 * main.c — the genomenode command line: git-style subcommands over the modules.
 *
 * This file is the only place (with log.c) that prints and exits. Each command parses
 * its flags, calls into the library and turns a GN_E* status into a message and exit
 * code: 0 success, 1 failure, 2 usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "catalog.h"
#include "contig.h"
#include "err.h"
#include "fsutil.h"
#include "gtstore.h"
#include "ingest.h"
#include "log.h"
#include "node.h"
#include "pseudonym.h"
#include "query.h"
#include "strparse.h"

#define GENOMENODE_VERSION "0.1.0"
#define EXIT_USAGE 2

struct cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage;
    const char *help;
};

static const struct cmd *find_cmd(const char *name);

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    const struct cmd *c = find_cmd(cmd);
    fprintf(stderr, "genomenode %s: ", cmd);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    fprintf(stderr, fmt, arg ? arg : "");
#pragma GCC diagnostic pop
    fprintf(stderr, "\nusage: genomenode %s\n", c ? c->usage : cmd);
    return EXIT_USAGE;
}

static int fail(const struct gn_err *err)
{
    fprintf(stderr, "genomenode: error: %s\n", err->msg[0] ? err->msg : gn_strerror(err->code));
    return 1;
}

static int wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    return 0;
}

static int print_help(const char *name)
{
    const struct cmd *c = find_cmd(name);
    printf("usage: genomenode %s\n\n%s\n", c->usage, c->help);
    return 0;
}

/* ---- shared helpers ---- */

struct ctx {
    struct gtsnap *snap;
    struct catalog *cat;
    struct pseudonym key;
    int have_key;
};

static int ctx_open(struct ctx *c, const char *dir, int need_key, struct gn_err *err)
{
    char path[4096];
    int rc;
    memset(c, 0, sizeof *c);
    if ((rc = gtsnap_open(&c->snap, dir, err)) < 0) return rc;
    if (node_catalog_target(path, sizeof path, dir) < 0) return gn_errf(err, GN_ELIMIT, "path");
    if ((rc = catalog_open(&c->cat, path, err)) < 0) return rc;
    if (need_key) {
        if (node_key_path(path, sizeof path, dir) < 0) return gn_errf(err, GN_ELIMIT, "path");
        if ((rc = pseudonym_load(&c->key, path, err)) < 0) return rc;
        c->have_key = 1;
    }
    return GN_OK;
}

static void ctx_close(struct ctx *c)
{
    gtsnap_free(c->snap);
    catalog_close(c->cat);
    pseudonym_wipe(&c->key);
}

/* Original sample ID → global id through the pseudonym and the catalog. */
static int sample_id(struct ctx *c, const char *id, size_t n, uint32_t *gid, struct gn_err *err)
{
    char ps[PSEUDONYM_LEN + 1];
    int wd = 0, rc;
    pseudonym_of(&c->key, "sample", id, n, ps);
    rc = catalog_sample_lookup(c->cat, ps, gid, &wd, NULL);
    if (rc == GN_ENOTFOUND) return gn_errf(err, rc, "sample '%.*s' is not in the store", (int)n, id);
    if (rc < 0) return gn_errf(err, rc, "catalog lookup failed");
    if (wd || gtstore_manifest_is_deleted(&c->snap->man, *gid))
        return gn_errf(err, GN_ENOTFOUND, "sample '%.*s' has been withdrawn", (int)n, id);
    return GN_OK;
}

/* Reads a file of sample IDs (one per line; blank lines and #comments skipped). */
static int read_samples(struct ctx *c, const char *path, uint32_t **ids, uint32_t *n,
                        struct gn_err *err)
{
    uint8_t *data = NULL;
    size_t len;
    uint32_t cap = 0;
    int rc;

    *ids = NULL;
    *n = 0;
    if ((rc = fsutil_read_all(path, (size_t)1 << 30, &data, &len, err)) < 0) return rc;
    const char *p = (const char *)data, *end = p + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *e = eol ? eol : end;
        size_t l = (size_t)(e - p);
        while (l && (p[l - 1] == '\r' || p[l - 1] == ' ' || p[l - 1] == '\t')) l--;
        if (l && p[0] != '#') {
            uint32_t gid;
            if ((rc = sample_id(c, p, l, &gid, err)) < 0) {
                if (rc != GN_ENOTFOUND) goto fail;
                fprintf(stderr, "genomenode: warning: %s; skipped\n", err->msg);
            } else {
                if (*n == cap) {
                    cap = cap ? cap * 2 : 256;
                    uint32_t *t = gn_reallocarray(*ids, cap, sizeof *t);
                    if (!t) {
                        rc = gn_errf(err, GN_ENOMEM, "out of memory");
                        goto fail;
                    }
                    *ids = t;
                }
                (*ids)[(*n)++] = gid;
            }
        }
        p = e + 1;
    }
    gn_free(data);
    err->code = GN_OK;
    return GN_OK;
fail:
    gn_free(data);
    gn_free(*ids);
    *ids = NULL;
    return rc;
}

static int parse_region(const struct gtsnap *snap, const char *s, uint32_t *contig, int64_t *start,
                        int64_t *end, struct gn_err *err)
{
    struct strparse_region r;
    char norm[CONTIG_NAME_MAX + 1];
    if (!s) {
        *contig = UINT32_MAX;
        *start = 1;
        *end = INT64_MAX;
        return GN_OK;
    }
    if (strparse_region(s, strlen(s), &r) < 0)
        return gn_errf(err, GN_EINVAL, "bad region '%s' (expected CHROM[:START[-END]])", s);
    if (contig_normalise(snap->man.build, r.chrom.p, r.chrom.n, norm) == GN_EINVAL)
        return gn_errf(err, GN_EINVAL, "bad contig in '%s'", s);
    int64_t id = gtstore_manifest_contig(&snap->man, norm);
    if (id < 0) return gn_errf(err, GN_ENOTFOUND, "contig '%s' is not in the store", norm);
    *contig = (uint32_t)id;
    *start = r.start;
    *end = r.end;
    return GN_OK;
}

/* ---- commands ---- */

static int cmd_init(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    enum contig_build build = CONTIG_BUILD_GRCH38;
    const char *catalog = NULL;
    static const struct option lo[] = {{"build", required_argument, 0, 'b'},
                                       {"catalog", required_argument, 0, 'c'},
                                       {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "b:c:", lo, NULL)) != -1) {
        if (c == 'c') {
            catalog = optarg;
            continue;
        }
        if (c != 'b') return usage_error("init", "unknown option%s", "");
        if (contig_build_parse(optarg, &build) < 0)
            return usage_error("init", "unknown build '%s' (GRCh37 or GRCh38)", optarg);
    }
    if (optind + 1 != argc) return usage_error("init", "expected one directory%s", "");
    if (node_init(argv[optind], build, catalog, &err) < 0) return fail(&err);
    printf("initialised %s store in %s\n", contig_build_name(build), argv[optind]);
    return 0;
}

static void progress_line(void *ctx, const struct ingest_progress *p)
{
    (void)ctx;
    double rate = p->elapsed > 0 ? (double)p->records / p->elapsed : 0;
    if (p->fraction > 0.01 && !p->done)
        fprintf(stderr, "\r%s: %llu records, %.0f/s, %.0f%%, ETA %.0fs   ", p->file,
                (unsigned long long)p->records, rate, 100 * p->fraction,
                p->elapsed / p->fraction - p->elapsed);
    else
        fprintf(stderr, "\r%s: %llu records, %.0f/s   ", p->file, (unsigned long long)p->records,
                rate);
    if (p->done) fputc('\n', stderr);
}

static int cmd_ingest(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct ingest_opts o = {0};
    struct ingest_result res;
    static const struct option lo[] = {{"batch", required_argument, 0, 'b'},
                                       {"threads", required_argument, 0, 't'},
                                       {"quiet", no_argument, 0, 'q'},
                                       {0, 0, 0, 0}};
    int c, quiet = 0;
    int64_t th = 2;
    o.threads = 2;
    while ((c = getopt_long(argc, argv, "b:t:q", lo, NULL)) != -1) {
        if (c == 'b') o.batch = optarg;
        else if (c == 't') {
            if (strparse_i64_all(optarg, strlen(optarg), &th) < 0 || th < 0 || th > 64)
                return usage_error("ingest", "bad --threads '%s'", optarg);
            o.threads = (int)th;
        } else if (c == 'q') quiet = 1;
        else return usage_error("ingest", "unknown option%s", "");
    }
    if (!o.batch) return usage_error("ingest", "--batch NAME is required%s", "");
    if (argc - optind < 2) return usage_error("ingest", "expected DIR and at least one FILE%s", "");
    if (!quiet && isatty(2)) o.progress = progress_line;
    if (ingest_run(argv[optind], (const char *const *)argv + optind + 1,
                   (uint32_t)(argc - optind - 1), &o, &res, &err) < 0)
        return fail(&err);
    printf("batch %s: %u files, %u samples, %llu records, %llu reference blocks, %llu bytes\n",
           o.batch, res.n_files, res.n_samples, (unsigned long long)res.n_records,
           (unsigned long long)res.n_ref_blocks, (unsigned long long)res.bytes_written);
    return 0;
}

struct samples_opt {
    const char *samples;
    const char *region;
    const char *sample;
    const char *out;
};

static int parse_common(const char *cmd, int argc, char **argv, struct samples_opt *so)
{
    static const struct option lo[] = {{"samples", required_argument, 0, 'S'},
                                       {"region", required_argument, 0, 'r'},
                                       {"sample", required_argument, 0, 's'},
                                       {"output", required_argument, 0, 'o'},
                                       {0, 0, 0, 0}};
    int c;
    memset(so, 0, sizeof *so);
    while ((c = getopt_long(argc, argv, "S:r:s:o:", lo, NULL)) != -1) {
        if (c == 'S') so->samples = optarg;
        else if (c == 'r') so->region = optarg;
        else if (c == 's') so->sample = optarg;
        else if (c == 'o') so->out = optarg;
        else return usage_error(cmd, "unknown option%s", "");
    }
    return 0;
}

static int masks_for(struct ctx *cx, const char *samples, uint64_t ***masks, struct gn_err *err)
{
    uint32_t *ids = NULL, n = 0;
    int rc;
    *masks = NULL;
    if (!samples) return GN_OK;
    if ((rc = read_samples(cx, samples, &ids, &n, err)) < 0) return rc;
    rc = gtsnap_masks_new(cx->snap, ids, n, masks, err);
    gn_free(ids);
    return rc;
}

static int print_row(void *ctx, const struct query_row *r)
{
    (void)ctx;
    printf("%s\t%lld\t%.*s\t%.*s\t%u\t%u\n", r->chrom, (long long)r->pos, (int)r->ref_len, r->ref,
           (int)r->alt_len, r->alt, r->ac, r->an);
    return 0;
}

static int cmd_freq(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct samples_opt so;
    struct ctx cx;
    uint64_t **masks = NULL;
    uint32_t contig;
    int64_t start, end;
    int rc;

    if ((rc = parse_common("freq", argc, argv, &so))) return rc;
    if (optind + 1 != argc) return usage_error("freq", "expected DIR%s", "");
    if ((rc = ctx_open(&cx, argv[optind], so.samples != NULL, &err)) == GN_OK &&
        (rc = parse_region(cx.snap, so.region, &contig, &start, &end, &err)) == GN_OK &&
        (rc = masks_for(&cx, so.samples, &masks, &err)) == GN_OK) {
        printf("CHROM\tPOS\tREF\tALT\tAC\tAN\n");
        rc = query_freq(cx.snap, contig, start, end, masks, print_row, NULL, &err);
    }
    gtsnap_masks_free(cx.snap, masks);
    ctx_close(&cx);
    return rc < 0 ? fail(&err) : 0;
}

static int cmd_count(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct samples_opt so;
    struct strparse_variant v;
    struct query_row row;
    struct ctx cx;
    uint64_t **masks = NULL;
    char norm[CONTIG_NAME_MAX + 1], ref[GTREC_MAX_ALLELE_LEN + 1], alt[GTREC_MAX_ALLELE_LEN + 1];
    int rc, found = 0;

    if ((rc = parse_common("count", argc, argv, &so))) return rc;
    if (optind + 2 != argc) return usage_error("count", "expected DIR and CHROM:POS:REF:ALT%s", "");
    const char *q = argv[optind + 1];
    if (strparse_variant(q, strlen(q), &v) < 0)
        return usage_error("count", "bad variant '%s' (expected CHROM:POS:REF:ALT)", q);
    if ((rc = ctx_open(&cx, argv[optind], so.samples != NULL, &err)) == GN_OK &&
        (rc = masks_for(&cx, so.samples, &masks, &err)) == GN_OK) {
        int64_t id = -1;
        if (contig_normalise(cx.snap->man.build, v.chrom.p, v.chrom.n, norm) != GN_EINVAL)
            id = gtstore_manifest_contig(&cx.snap->man, norm);
        memcpy(ref, v.ref.p, v.ref.n);
        ref[v.ref.n] = '\0';
        memcpy(alt, v.alt.p, v.alt.n);
        alt[v.alt.n] = '\0';
        memset(&row, 0, sizeof row);
        if (id >= 0)
            rc = query_count(cx.snap, (uint32_t)id, v.pos, ref, alt, masks, &row, &found, &err);
        if (rc == GN_OK)
            printf("{\"variant\":\"%s:%lld:%s:%s\",\"found\":%s,\"ac\":%u,\"an\":%u,\"het\":%u,"
                   "\"hom_alt\":%u,\"af\":%.6g}\n",
                   id >= 0 ? norm : "", (long long)v.pos, ref, alt, found ? "true" : "false",
                   row.ac, row.an, row.het, row.hom, row.an ? (double)row.ac / row.an : 0.0);
    }
    gtsnap_masks_free(cx.snap, masks);
    ctx_close(&cx);
    return rc < 0 ? fail(&err) : 0;
}

/* Pseudonyms of the given global ids, in order, as owned strings. */
static char **names_for(struct ctx *cx, const uint32_t *ids, uint32_t n, struct gn_err *err)
{
    char **names = gn_calloc((size_t)n + 1, sizeof *names);
    char buf[64];
    if (!names) return NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (catalog_sample_pseudonym(cx->cat, ids[i], buf, sizeof buf, err) < 0 ||
            !(names[i] = gn_strdup(buf))) {
            for (uint32_t j = 0; j < i; j++) gn_free(names[j]);
            gn_free(names);
            return NULL;
        }
    }
    return names;
}

static int run_export(struct ctx *cx, const struct samples_opt *so, const uint32_t *ids,
                      uint32_t n, const char *path, const char *mode, int nonref,
                      struct gn_err *err)
{
    struct query_export_opts o = {0};
    uint64_t written;
    char **names = NULL;
    const uint32_t *all;
    uint32_t n_all;
    struct gtmerge *m = NULL;
    int rc;

    if ((rc = parse_region(cx->snap, so->region, &o.contig, &o.start, &o.end, err)) < 0) return rc;
    if (!ids) { /* every live sample, in the order gtmerge uses */
        if ((rc = gtmerge_new(cx->snap, UINT32_MAX, 1, 1, NULL, 0, &m, err)) < 0) return rc;
        all = gtmerge_samples(m, &n_all);
        names = names_for(cx, all, n_all, err);
        n = n_all;
    } else {
        names = names_for(cx, ids, n, err);
    }
    if (!names) {
        gtmerge_free(m);
        return err->code ? err->code : gn_errf(err, GN_ENOMEM, "out of memory");
    }
    o.ids = ids;
    o.n_ids = n;
    o.names = (const char *const *)names;
    o.path = path;
    o.mode = mode;
    o.nonref_only = nonref;
    rc = query_export(cx->snap, &o, &written, err);
    for (uint32_t i = 0; i < n; i++) gn_free(names[i]);
    gn_free(names);
    gtmerge_free(m);
    return rc;
}

static int cmd_genotypes(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct samples_opt so;
    struct ctx cx;
    uint32_t gid;
    int rc;

    if ((rc = parse_common("genotypes", argc, argv, &so))) return rc;
    if (optind + 1 != argc || !so.sample)
        return usage_error("genotypes", "expected DIR and --sample ID%s", "");
    if ((rc = ctx_open(&cx, argv[optind], 1, &err)) == GN_OK &&
        (rc = sample_id(&cx, so.sample, strlen(so.sample), &gid, &err)) == GN_OK) {
        fflush(stdout);
        rc = run_export(&cx, &so, &gid, 1, "-", "w", 1, &err);
    }
    ctx_close(&cx);
    return rc < 0 ? fail(&err) : 0;
}

static const char *mode_for(const char *path)
{
    size_t n = strlen(path);
    if (n >= 4 && !strcmp(path + n - 4, ".bcf")) return "wb";
    if (n >= 3 && !strcmp(path + n - 3, ".gz")) return "wz";
    return "w";
}

static int cmd_export(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct samples_opt so;
    struct ctx cx;
    uint32_t *ids = NULL, n = 0;
    int rc;

    if ((rc = parse_common("export", argc, argv, &so))) return rc;
    if (optind + 1 != argc || !so.out)
        return usage_error("export", "expected DIR and -o OUT.{vcf,vcf.gz,bcf}%s", "");
    if ((rc = ctx_open(&cx, argv[optind], so.samples != NULL, &err)) == GN_OK &&
        (!so.samples || (rc = read_samples(&cx, so.samples, &ids, &n, &err)) == GN_OK))
        rc = run_export(&cx, &so, so.samples ? ids : NULL, n, so.out, mode_for(so.out), 0, &err);
    gn_free(ids);
    ctx_close(&cx);
    return rc < 0 ? fail(&err) : 0;
}

static int cmd_stats(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct gtsnap *snap = NULL;
    uint64_t bytes = 0, gts = 0, sites = 0, records = 0;
    if (wants_help(argc, argv)) return print_help("stats");
    if (argc != 2) return usage_error("stats", "expected DIR%s", "");
    if (gtsnap_open(&snap, argv[1], &err) < 0) return fail(&err);
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
           snap->man.n_deleted, snap->n_seg, (unsigned long long)records,
           (unsigned long long)sites, (unsigned long long)gts, (unsigned long long)bytes,
           gts ? 8.0 * (double)bytes / (double)gts : 0.0, (unsigned long long)snap->man.generation);
    gtsnap_free(snap);
    return 0;
}

static int cmd_compact(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct gtstore *st = NULL;
    if (wants_help(argc, argv)) return print_help("compact");
    if (argc != 2) return usage_error("compact", "expected DIR%s", "");
    if (gtstore_open_writer(&st, argv[1], &err) < 0 || gtstore_compact(st, &err) < 0) {
        gtstore_close(st);
        return fail(&err);
    }
    printf("compacted %s: %u segment(s)\n", argv[1], gtstore_manifest(st)->n_segments);
    gtstore_close(st);
    return 0;
}

static int cmd_withdraw(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct samples_opt so;
    struct gtstore *st = NULL;
    struct ctx cx;
    uint32_t gid;
    int rc;

    if ((rc = parse_common("withdraw", argc, argv, &so))) return rc;
    if (optind + 1 != argc || !so.sample)
        return usage_error("withdraw", "expected DIR and --sample ID%s", "");
    if ((rc = ctx_open(&cx, argv[optind], 1, &err)) == GN_OK &&
        (rc = sample_id(&cx, so.sample, strlen(so.sample), &gid, &err)) == GN_OK &&
        (rc = gtstore_open_writer(&st, argv[optind], &err)) == GN_OK &&
        (rc = catalog_sample_withdraw(cx.cat, gid, &err)) == GN_OK &&
        (rc = gtstore_withdraw(st, &gid, 1, &err)) == GN_OK)
        rc = gtstore_commit(st, &err);
    gtstore_close(st);
    ctx_close(&cx);
    if (rc < 0) return fail(&err);
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
static int cmd_lookup_bench(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct gtsnap *snap = NULL;
    static const struct option lo[] = {{"n", required_argument, 0, 'n'}, {0, 0, 0, 0}};
    struct pick p = {0};
    int64_t n = 10000;
    int c, rc = 0;

    while ((c = getopt_long(argc, argv, "n:", lo, NULL)) != -1) {
        if (c != 'n' || strparse_i64_all(optarg, strlen(optarg), &n) < 0 || n < 1 || n > 10000000)
            return usage_error("lookup-bench", "bad option%s", "");
    }
    if (optind + 1 != argc) return usage_error("lookup-bench", "expected DIR%s", "");
    if (gtsnap_open(&snap, argv[optind], &err) < 0) return fail(&err);
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
        struct query_row row;
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
    return rc ? fail(&err) : 0;
}

static const struct cmd commands[] = {
    {"init", cmd_init, "init DIR [--build GRCh37|GRCh38] [--catalog postgresql://...]",
     "Creates a node directory: genotype store, catalog and pseudonym key (mode 0600).\n"
     "The catalog is embedded SQLite unless --catalog (or GENOMENODE_CATALOG) names a\n"
     "PostgreSQL database."},
    {"ingest", cmd_ingest, "ingest DIR --batch NAME [--threads N] [--quiet] FILE...",
     "Loads VCF, VCF.gz, BCF or gVCF files as one batch, all or nothing. Sample IDs are\n"
     "pseudonymised; gVCF reference blocks become callability."},
    {"count", cmd_count, "count DIR CHROM:POS:REF:ALT [--samples FILE]",
     "Prints {\"ac\",\"an\",\"het\",\"hom_alt\",\"af\"} for one variant as JSON."},
    {"freq", cmd_freq, "freq DIR [--region CHROM:START-END] [--samples FILE]",
     "Prints CHROM POS REF ALT AC AN per ALT allele. --samples: file of sample IDs, one per line."},
    {"genotypes", cmd_genotypes, "genotypes DIR --sample ID [--region R]",
     "Prints one sample's non-reference genotypes as VCF (named by pseudonym)."},
    {"export", cmd_export, "export DIR [--region R] [--samples FILE] -o OUT.{vcf,vcf.gz,bcf}",
     "Writes the genotypes as VCF/BCF with pseudonyms as sample names."},
    {"stats", cmd_stats, "stats DIR", "Prints samples, sites, segments, bytes and bits per genotype."},
    {"compact", cmd_compact, "compact DIR",
     "Merges all segments into one and purges withdrawn samples; readers are unaffected."},
    {"withdraw", cmd_withdraw, "withdraw DIR --sample ID",
     "Withdraws a sample: excluded from every query at once, purged by the next compact."},
    {"lookup-bench", cmd_lookup_bench, "lookup-bench DIR [--n N]",
     "Measures in-process single-variant lookup latency (p50/p99, microseconds) as JSON."},
};

static const struct cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name)) return &commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: genomenode <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %s\n", commands[i].usage);
    fprintf(f, "\ngenomenode <command> --help for details; genomenode --version.\n");
}

int main(int argc, char **argv)
{
    const struct cmd *c;
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("genomenode %s\n", GENOMENODE_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!(c = find_cmd(argv[1]))) {
        fprintf(stderr, "genomenode: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (getenv("GENOMENODE_DEBUG")) log_set_level(LOG_LEVEL_DEBUG);
    if (wants_help(argc - 1, argv + 1)) return print_help(c->name);
    opterr = 0;
    optind = 1;
    return c->fn(argc - 1, argv + 1);
}
