/*
 * cli.c — helpers shared by the command files (cli.h).
 */
#include "cli.h"

#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "contig.h"
#include "fsutil.h"
#include "hpo.h"
#include "node.h"
#include "passport.h"
#include "strparse.h"

int cli_usage_error(const char *cmd, const char *fmt, const char *arg)
{
    const struct cmd *c = cli_find_cmd(cmd);
    (void)fprintf(stderr, "genomenode %s: ", cmd);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    (void)fprintf(stderr, fmt, arg ? arg : "");
#pragma GCC diagnostic pop
    (void)fprintf(stderr, "\nusage: genomenode %s\n", c ? c->usage : cmd);
    return EXIT_USAGE;
}

int cli_fail(const struct gn_err *err)
{
    (void)fprintf(stderr, "genomenode: error: %s\n",
                  err->msg[0] ? err->msg : gn_strerror(err->code));
    return 1;
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    }
    return 0;
}

int cli_print_help(const char *name)
{
    const struct cmd *c = cli_find_cmd(name);
    printf("usage: genomenode %s\n\n%s\n", c->usage, c->help);
    return 0;
}

const char *cli_hpo_index(const char *opt)
{
    const char *e = getenv("GENOMENODE_HPO_INDEX");
    return opt ? opt : e && *e ? e : "data/hpo/hpo.gnhpo";
}

int cli_hpo_load(const char *opt, struct hpo **h, struct gn_err *err)
{
    int rc = hpo_load(cli_hpo_index(opt), h, err);
    if (rc < 0)
        (void)gn_err_prefix(err, rc,
                            "cannot load the HPO index (build one with `genomenode hpo build`)");
    return rc;
}

int cli_access_opt(struct cli_access *a, int c, const char *arg)
{
    switch (c) {
    case CLI_OPT_TOKEN:
        a->token = arg;
        return 1;
    case CLI_OPT_PROJECT:
        a->project = arg;
        return 1;
    case CLI_OPT_PATIENT:
        a->patient = arg;
        return 1;
    case CLI_OPT_PASSPORT:
        a->passport = arg;
        return 1;
    case CLI_OPT_PURPOSE:
        a->purpose = arg;
        return 1;
    default:
        return 0;
    }
}

/* Verifies the Passport in path; its subject becomes the caller. A refused Passport is
 * audited like a refused token (auth_passport_check). */
static int passport_caller(struct cli_ctx *c, const char *path, struct gn_err *err)
{
    struct passport_trust *t = NULL;
    uint8_t *tok = NULL;
    size_t n = 0;
    int rc;

    if ((rc = fsutil_read_all(path, PASSPORT_MAX_TOKEN_BYTES + 2, &tok, &n, err)) < 0) return rc;
    rc = auth_trust_load(c->cat, &t, err);
    if (rc < 0 && rc != GN_EDENIED) goto out;
    rc = auth_passport_check(c->cat, &c->key, t, (const char *)tok, n, (int64_t)time(NULL), &c->who,
                             &c->passport, err);
out:
    passport_trust_free(t);
    gn_free(tok);
    return rc;
}

int cli_ctx_open(struct cli_ctx *c, const char *dir, unsigned flags, const struct cli_access *a,
                 struct gn_err *err)
{
    char path[4096];
    const char *token = a && a->token ? a->token : getenv("GENOMENODE_TOKEN");
    int rc;

    memset(c, 0, sizeof *c);
    if ((flags & CLI_SNAP) && (rc = gtsnap_open(&c->snap, dir, err)) < 0) return rc;
    if (node_catalog_target(path, sizeof path, dir) < 0) return gn_errf(err, GN_ELIMIT, "path");
    if ((rc = catalog_open(&c->cat, path, err)) < 0) return rc;
    if (node_key_path(path, sizeof path, dir) < 0) return gn_errf(err, GN_ELIMIT, "path");
    if ((rc = pseudonym_load(&c->key, path, err)) < 0) return rc;
    if (a && a->passport) {
        if (token && *token) {
            return gn_errf(err, GN_EINVAL, "give either a token or a passport, not both");
        }
        return passport_caller(c, a->passport, err);
    }
    if (token && *token) return auth_token_check(c->cat, &c->key, token, &c->who, err);
    auth_operator(&c->who);
    return GN_OK;
}

void cli_ctx_close(struct cli_ctx *c)
{
    gtsnap_free(c->snap);
    passport_result_free(c->passport);
    catalog_close(c->cat);
    pseudonym_wipe(&c->key);
    memset(c, 0, sizeof *c);
}

/* The verdict on a sample ID given its catalog lookup (rc, withdrawn flag, global id). */
static int sample_verdict(struct cli_ctx *c, int rc, int wd, uint32_t gid, const char *id, size_t n,
                          struct gn_err *err)
{
    if (rc == GN_ENOTFOUND) {
        return gn_errf(err, rc, "sample '%.*s' is not in the store", (int)n, id);
    }
    if (rc < 0) return gn_errf(err, rc, "catalog lookup failed");
    if (wd || (c->snap && gtstore_manifest_is_deleted(&c->snap->man, gid))) {
        return gn_errf(err, GN_ENOTFOUND, "sample '%.*s' has been withdrawn", (int)n, id);
    }
    return GN_OK;
}

int cli_sample_id(struct cli_ctx *c, const char *id, size_t n, uint32_t *gid, struct gn_err *err)
{
    char ps[PSEUDONYM_LEN + 1];
    int wd = 0, rc;
    pseudonym_of(&c->key, "sample", id, n, ps);
    rc = catalog_sample_lookup(c->cat, ps, gid, &wd, NULL);
    return sample_verdict(c, rc, wd, *gid, id, n, err);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* One requested sample ID of a cohort file, and what the catalog says about it. */
struct want {
    const char *id;
    size_t n;
    uint64_t key; /* ps_key(ps) */
    char ps[PSEUDONYM_LEN + 1];
    int rc, wd;
    uint32_t gid;
};

struct want_set {
    struct want *w;
    uint32_t n;
    /* open-addressing hash of w by pseudonym: key bits 32..63 << 32 | index + 1 (0: empty),
     * so that a probe compares in the table (512 KiB) rather than in w (2 MiB) */
    uint64_t *tab;
    size_t tab_size;
    const struct pseudonym *key;
};

/* The first 16 hex digits of a pseudonym: an HMAC output, so already a good hash. */
static uint64_t ps_key(const char *ps)
{
    uint64_t k = 0;
    for (int j = 2; j < 18 && ps[j]; j++) {
        unsigned char ch = (unsigned char)ps[j];
        k = k << 4 | ((uint64_t)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10) & 15u);
    }
    return k;
}

/* Pseudonyms of every requested ID, then the hash over them. Runs on its own thread
 * while the samples table is read. */
static void *wants_hash(void *arg)
{
    struct want_set *ws = arg;
    struct pseudonym_batch pb;

    pseudonym_batch_init(ws->key, "sample", &pb);
    for (uint32_t i = 0; i < ws->n; i++) {
        pseudonym_batch_of(&pb, ws->w[i].id, ws->w[i].n, ws->w[i].ps);
        ws->w[i].key = ps_key(ws->w[i].ps);
        ws->w[i].rc = GN_ENOTFOUND;
    }
    pseudonym_batch_wipe(&pb);
    for (uint32_t i = 0; ws->tab && i < ws->n; i++) {
        size_t slot = (size_t)ws->w[i].key & (ws->tab_size - 1);
        while (ws->tab[slot])
            slot = (slot + 1) & (ws->tab_size - 1);
        ws->tab[slot] = (ws->w[i].key & ~0xffffffffull) | (i + 1);
    }
    return NULL;
}

/* Marks every requested ID with this pseudonym. */
static void want_mark(struct want_set *ws, const char *ps, uint32_t id, int withdrawn)
{
    uint64_t key = ps_key(ps);
    size_t slot = (size_t)key & (ws->tab_size - 1);
    for (uint64_t e; (e = ws->tab[slot]) != 0; slot = (slot + 1) & (ws->tab_size - 1)) {
        if ((e ^ key) >> 32) continue;
        struct want *w = &ws->w[(uint32_t)e - 1];
        if (w->key != key || strcmp(w->ps, ps) != 0) continue;
        w->rc = GN_OK;
        w->wd = withdrawn;
        w->gid = id;
    }
}

/* The samples table, read into memory (the scan runs beside the HMACs). */
struct srow {
    uint32_t id;
    int wd;
    char ps[PSEUDONYM_LEN + 1];
};

struct srows {
    struct srow *r;
    size_t n, cap;
};

static int srow_keep(void *ctx, const char *ps, uint32_t id, int withdrawn)
{
    struct srows *s = ctx;
    size_t len = strlen(ps);
    if (len > PSEUDONYM_LEN) return 0; /* not a pseudonym this build makes: never wanted */
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4096;
        struct srow *r = gn_reallocarray(s->r, cap, sizeof *r);
        if (!r) return GN_ENOMEM;
        s->r = r;
        s->cap = cap;
    }
    s->r[s->n].id = id;
    s->r[s->n].wd = withdrawn;
    memcpy(s->r[s->n].ps, ps, len + 1);
    s->n++;
    return 0;
}

/* A cohort is resolved by one scan of the samples table when that reads fewer rows than
 * about six indexed lookups per ID would cost (2 us a lookup, 0.3 us a scanned row), and
 * otherwise by one lookup per ID. Without the store's size, from this many IDs. */
#define COHORT_SCAN_MIN     2048
#define COHORT_SCAN_PER_ROW 6

static int resolve_wants(struct cli_ctx *c, struct want_set *ws, struct gn_err *err)
{
    struct srows rows = {0};
    pthread_t tid;
    int rc = GN_OK, threaded;

    ws->key = &c->key;
    uint64_t rows_total = c->snap ? c->snap->man.next_sample : 0;
    int scan =
        rows_total ? (uint64_t)ws->n * COHORT_SCAN_PER_ROW >= rows_total : ws->n >= COHORT_SCAN_MIN;
    if (!scan) {
        (void)wants_hash(ws); /* no table: pseudonyms only */
        for (uint32_t i = 0; i < ws->n && rc == GN_OK; i++) {
            struct want *w = &ws->w[i];
            w->rc = catalog_sample_lookup(c->cat, w->ps, &w->gid, &w->wd, NULL);
            if (w->rc < 0 && w->rc != GN_ENOTFOUND)
                rc = gn_errf(err, w->rc, "catalog lookup failed");
        }
        return rc;
    }
    for (ws->tab_size = 1; ws->tab_size < 2 * (size_t)ws->n;)
        ws->tab_size <<= 1;
    if (!(ws->tab = gn_calloc(ws->tab_size, sizeof *ws->tab)))
        return gn_errf(err, GN_ENOMEM, "out of memory");
    threaded = pthread_create(&tid, NULL, wants_hash, ws) == 0;
    rc = catalog_sample_scan(c->cat, srow_keep, &rows, err);
    if (threaded)
        pthread_join(tid, NULL);
    else
        (void)wants_hash(ws);
    if (rc == GN_ENOMEM) rc = gn_errf(err, rc, "out of memory");
    for (size_t i = 0; rc == GN_OK && i < rows.n; i++)
        want_mark(ws, rows.r[i].ps, rows.r[i].id, rows.r[i].wd);
    gn_free(rows.r);
    return rc;
}

int cli_read_samples(struct cli_ctx *c, const char *path, uint32_t **ids, uint32_t *n,
                     struct gn_err *err)
{
    uint8_t *data = NULL;
    size_t len;
    struct want_set ws = {0};
    uint32_t cap = 0;
    int rc;

    *ids = NULL;
    *n = 0;
    if ((rc = fsutil_read_all(path, (size_t)1 << 30, &data, &len, err)) < 0) return rc;
    /* The IDs: one per line, trailing blanks and '#' lines ignored. */
    const char *p = (const char *)data, *end = p + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *e = eol ? eol : end;
        size_t l = (size_t)(e - p);
        while (l && (p[l - 1] == '\r' || p[l - 1] == ' ' || p[l - 1] == '\t')) {
            l--;
        }
        if (l && p[0] != '#') {
            if (ws.n == cap) {
                cap = cap ? cap * 2 : 256;
                struct want *t = gn_reallocarray(ws.w, cap, sizeof *t);
                if (!t) {
                    rc = gn_errf(err, GN_ENOMEM, "out of memory");
                    goto out;
                }
                ws.w = t;
            }
            ws.w[ws.n++] = (struct want){.id = p, .n = l};
        }
        p = e + 1;
    }
    if ((rc = catalog_begin_read(c->cat, err)) < 0) goto out;
    rc = resolve_wants(c, &ws, err);
    catalog_rollback(c->cat); /* read-only: nothing to keep */
    if (rc < 0) goto out;
    if (ws.n && !(*ids = gn_reallocarray(NULL, ws.n, sizeof **ids))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < ws.n; i++) {
        struct want *w = &ws.w[i];
        if (sample_verdict(c, w->rc, w->wd, w->gid, w->id, w->n, err) < 0) {
            (void)fprintf(stderr, "genomenode: warning: %s; skipped\n", err->msg);
            continue;
        }
        (*ids)[(*n)++] = w->gid;
    }
    if (*n) qsort(*ids, *n, sizeof **ids, cmp_u32);
    err->code = GN_OK;
    rc = GN_OK;
out:
    if (rc < 0) {
        gn_free(*ids);
        *ids = NULL;
        *n = 0;
    }
    gn_free(ws.w);
    gn_free(ws.tab);
    gn_free(data);
    return rc;
}

int cli_parse_region(const struct gtsnap *snap, const char *s, uint32_t *contig, int64_t *start,
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
    if (strparse_region(s, strlen(s), &r) < 0) {
        return gn_errf(err, GN_EINVAL, "bad region '%s' (expected CHROM[:START[-END]])", s);
    }
    if (contig_normalise(snap->man.build, r.chrom.p, r.chrom.n, norm) == GN_EINVAL) {
        return gn_errf(err, GN_EINVAL, "bad contig in '%s'", s);
    }
    int64_t id = gtstore_manifest_contig(&snap->man, norm);
    if (id < 0) return gn_errf(err, GN_ENOTFOUND, "contig '%s' is not in the store", norm);
    *contig = (uint32_t)id;
    *start = r.start;
    *end = r.end;
    return GN_OK;
}

int cli_decide(struct cli_ctx *c, const struct cli_access *a, const char *action,
               const char *detail, enum catalog_granularity need, const uint32_t *cohort,
               uint32_t n_cohort, int has_cohort, struct policy_decision *d, struct gn_err *err)
{
    struct policy_request rq = {0};
    char patient[PSEUDONYM_LEN + 1];

    rq.action = action;
    rq.detail = detail;
    rq.project = a ? a->project : NULL;
    rq.purpose_terms = a ? a->purpose : NULL;
    rq.need = need;
    rq.cohort = cohort;
    rq.n_cohort = n_cohort;
    rq.has_cohort = has_cohort;
    if (a && a->patient) {
        /* The patient is named by national ID; the catalog knows only its pseudonym. */
        int rc = node_person_pseudonym(c->cat, &c->key, a->patient, patient, err);
        if (rc < 0) return rc;
        rq.patient = patient;
    }
    return policy_decide(c->cat, &c->key, &c->who.caller, &rq, d, err);
}

int cli_masks(struct cli_ctx *c, const struct policy_decision *d, uint64_t ***masks,
              struct gn_err *err)
{
    uint32_t *ids = NULL, n = 0, live = 0;
    int rc;

    *masks = NULL;
    for (uint32_t i = 0; i < d->n_bits && i < c->snap->man.next_sample; i++) {
        if (policy_allows(d, i) && !gtstore_manifest_is_deleted(&c->snap->man, i)) live++;
    }
    if (live == c->snap->n_live_samples) return GN_OK; /* everyone: precomputed counts serve */
    if ((rc = policy_ids(d, &ids, &n)) < 0) return gn_errf(err, rc, "out of memory");
    rc = gtsnap_masks_new(c->snap, ids, n, masks, err);
    gn_free(ids);
    return rc;
}
