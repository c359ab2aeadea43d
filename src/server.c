/*
 * server.c — the HTTP server (server.h) on libmicrohttpd's internal thread pool.
 * Routes: /health, /metrics, Matchmaker Exchange (mme.c), GET /pgx/{id} (pgx_http.c), and
 * every other path to the Beacon (beacon.c).
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "audit.h"
#include "auth.h"
#include "beacon.h"
#include "catalog.h"
#include "db.h"
#include "dynlib.h"
#include "fsutil.h"
#include "gtstore.h"
#include "hpo.h"
#include "log.h"
#include "mme.h"
#include "node.h"
#include "passport.h"
#include "pgx_http.h"
#include "pgx_report.h"
#include "policy.h"
#include "pseudonym.h"
#include "segment.h"

#define MAX_WORKERS 64

/* ---- metrics ---------------------------------------------------------------------- */

enum ep {
    EP_HEALTH,
    EP_METRICS,
    EP_G_VARIANTS,
    EP_INDIVIDUALS,
    EP_BIOSAMPLES,
    EP_DATASETS,
    EP_COHORTS,
    EP_FRAMEWORK,
    EP_MME,
    EP_PGX,
    EP_OTHER,
    EP_N
};
static const char *const ep_name[EP_N] = {"health",     "metrics",  "g_variants", "individuals",
                                          "biosamples", "datasets", "cohorts",    "framework",
                                          "mme",        "pgx",      "other"};
static const int codes[] = {200, 400, 401, 403, 404, 405, 406, 413, 414, 415, 429, 500, 503};
#define N_CODES (sizeof codes / sizeof codes[0])
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])

struct metrics {
    atomic_uint_fast64_t requests[EP_N][N_CODES];
    atomic_uint_fast64_t hist[EP_N][N_BUCKETS + 1];
    atomic_uint_fast64_t sum_us[EP_N];
    atomic_uint_fast64_t denied;
};

#ifndef GN_LIBMHD_SONAME
#define GN_LIBMHD_SONAME "libmicrohttpd.so.12"
#endif

/* libmicrohttpd, loaded when the server starts (dynlib.h). */
static struct {
    __typeof__(MHD_add_response_header) *MHD_add_response_header;
    __typeof__(MHD_create_response_from_buffer) *MHD_create_response_from_buffer;
    __typeof__(MHD_destroy_response) *MHD_destroy_response;
    __typeof__(MHD_get_connection_info) *MHD_get_connection_info;
    __typeof__(MHD_get_daemon_info) *MHD_get_daemon_info;
    __typeof__(MHD_lookup_connection_value) *MHD_lookup_connection_value;
    __typeof__(MHD_queue_response) *MHD_queue_response;
    __typeof__(MHD_quiesce_daemon) *MHD_quiesce_daemon;
    __typeof__(MHD_resume_connection) *MHD_resume_connection;
    __typeof__(MHD_start_daemon) *MHD_start_daemon;
    __typeof__(MHD_stop_daemon) *MHD_stop_daemon;
    __typeof__(MHD_suspend_connection) *MHD_suspend_connection;
} mhd;

static const struct dynlib_sym mhd_syms[] = {
    {"MHD_add_response_header", &mhd.MHD_add_response_header},
    {"MHD_create_response_from_buffer", &mhd.MHD_create_response_from_buffer},
    {"MHD_destroy_response", &mhd.MHD_destroy_response},
    {"MHD_get_connection_info", &mhd.MHD_get_connection_info},
    {"MHD_get_daemon_info", &mhd.MHD_get_daemon_info},
    {"MHD_lookup_connection_value", &mhd.MHD_lookup_connection_value},
    {"MHD_queue_response", &mhd.MHD_queue_response},
    {"MHD_quiesce_daemon", &mhd.MHD_quiesce_daemon},
    {"MHD_resume_connection", &mhd.MHD_resume_connection},
    {"MHD_start_daemon", &mhd.MHD_start_daemon},
    {"MHD_stop_daemon", &mhd.MHD_stop_daemon},
    {"MHD_suspend_connection", &mhd.MHD_suspend_connection},
};
static struct dynlib mhd_lib = DYNLIB_INIT(GN_LIBMHD_SONAME, "libmicrohttpd12", mhd_syms);

/* ---- workers: one catalog connection and snapshot each ----------------------------- */

struct worker {
    struct catalog *cat;
    struct beacon *bx;
    struct policy_cache *mpc; /* /match: the people policy offers, per catalog generation */
    struct gtsnap *snap;
    struct timespec man_mtime;
    ino_t man_ino;
    int busy;
};

struct server {
    const struct server_opts *o;
    struct pseudonym key;
    struct worker w[MAX_WORKERS];
    unsigned n_workers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct metrics m;
    char manifest_path[4096];
    struct policy_budget *budget;
    struct audit_batcher *audit;
    /* The trusted Passport issuers, rebuilt when the catalog generation moves (`genomenode
     * trust` writes settings, which bump it). Verifiers hold the read lock. */
    pthread_rwlock_t trust_lock;
    struct passport_trust *trust; /* NULL: no issuer trusted (or not loaded yet) */
    int64_t trust_gen;            /* generation the set was built at; -1 before */
    pthread_mutex_t susp_mu;      /* orders suspend (handler) against resume (audit writer) */
    atomic_uint n_suspended;      /* connections waiting for their audit entries */
    struct hpo *hpo;              /* the HPO index for Matchmaker Exchange, or NULL */
    struct mme_cache *mme;        /* candidates' profiles for /match (thread-safe, mme.h) */
    /* The pgx data for GET /pgx/{id}, loaded on the first such request (most nodes serve
     * Beacon only, and the tables take a moment to load); pgx_state: 0 not tried, 1
     * loaded, -1 failed (answers 503). */
    pthread_mutex_t pgx_mu;
    int pgx_state;
    struct pgx_data pgx;
};

/* Per-request state kept by libmicrohttpd between calls. */
struct req {
    char *uri; /* as sent, with the query string */
    char *body;
    size_t len, cap;
    int too_big;
    int started;
    struct timespec t0;
    /* A Beacon answer held (connection suspended) until its audit entries are durable.
     * audit_done, audit_rc and suspended are guarded by server.susp_mu. */
    struct server *srv;
    struct MHD_Connection *conn;
    char *out;
    size_t out_len;
    int out_status;
    const char *out_type; /* static string */
    enum ep out_ep;
    int held, suspended, audit_done, audit_rc;
};

static double elapsed_s(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void count(struct server *s, enum ep e, int status, double secs)
{
    size_t c = 0, b = 0;
    while (c < N_CODES - 1 && codes[c] != status)
        c++;
    if (codes[c] != status) c = N_CODES - 2; /* unknown codes are counted as 500 */
    atomic_fetch_add(&s->m.requests[e][c], 1);
    while (b < N_BUCKETS && secs > buckets[b])
        b++;
    atomic_fetch_add(&s->m.hist[e][b], 1);
    atomic_fetch_add(&s->m.sum_us[e], (uint_fast64_t)(secs * 1e6));
    if (status == 403) atomic_fetch_add(&s->m.denied, 1);
}

/* Reopens the worker's snapshot when the manifest was replaced since. */
static int refresh(struct server *s, struct worker *w, struct gn_err *err)
{
    struct stat sb;
    if (stat(s->manifest_path, &sb) < 0)
        return gn_errf(err, gn_err_from_errno(errno), "%s: cannot stat", s->manifest_path);
    if (w->snap && sb.st_ino == w->man_ino && sb.st_mtim.tv_sec == w->man_mtime.tv_sec &&
        sb.st_mtim.tv_nsec == w->man_mtime.tv_nsec)
        return GN_OK;
    struct gtsnap *n = NULL;
    int rc = gtsnap_open(&n, s->o->dir, err);
    if (rc < 0) return rc;
    gtsnap_free(w->snap);
    w->snap = n;
    w->man_ino = sb.st_ino;
    w->man_mtime = sb.st_mtim;
    return GN_OK;
}

/* Verifies a Passport sent as the bearer credential, with the trust set of the current
 * catalog generation. */
static int passport_check(struct server *s, struct worker *w, const char *tok,
                          struct auth_caller *who, struct passport_result **pp, struct gn_err *err)
{
    int64_t gen = -1;
    int rc = catalog_generation(w->cat, &gen, err);
    if (rc < 0) return rc;
    pthread_rwlock_rdlock(&s->trust_lock);
    if (s->trust_gen != gen) {
        pthread_rwlock_unlock(&s->trust_lock);
        pthread_rwlock_wrlock(&s->trust_lock);
        if (s->trust_gen != gen) {
            struct passport_trust *t = NULL;
            rc = auth_trust_load(w->cat, &t, err);
            if (rc < 0 && rc != GN_EDENIED) {
                pthread_rwlock_unlock(&s->trust_lock);
                return rc;
            }
            passport_trust_free(s->trust);
            s->trust = t;
            s->trust_gen = gen;
        }
        pthread_rwlock_unlock(&s->trust_lock);
        pthread_rwlock_rdlock(&s->trust_lock);
    }
    rc = auth_passport_check(w->cat, &s->key, s->trust, tok, strlen(tok), (int64_t)time(NULL), who,
                             pp, err);
    pthread_rwlock_unlock(&s->trust_lock);
    return rc;
}

static struct worker *borrow(struct server *s)
{
    struct worker *w = NULL;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        for (unsigned i = 0; i < s->n_workers && !w; i++)
            if (!s->w[i].busy) w = &s->w[i];
        if (w) break;
        pthread_cond_wait(&s->cv, &s->mu);
    }
    w->busy = 1;
    pthread_mutex_unlock(&s->mu);
    return w;
}

static void give_back(struct server *s, struct worker *w)
{
    pthread_mutex_lock(&s->mu);
    w->busy = 0;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* ---- responses -------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, int status, const char *type,
                             const char *body, size_t len)
{
    struct MHD_Response *r =
        mhd.MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ok;
    if (!r) return MHD_NO;
    mhd.MHD_add_response_header(r, "Content-Type", type);
    mhd.MHD_add_response_header(r, "Cache-Control", "no-store");
    /* RFC 7235: a 401 names the scheme that would do; every credential here (API tokens,
     * Passports; MME's X-Auth-Token holds an API token too) is a bearer credential */
    if (status == 401)
        mhd.MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"genomenode\"");
    ok = mhd.MHD_queue_response(c, (unsigned)status, r);
    mhd.MHD_destroy_response(r);
    return ok;
}

/* A JSON error object (the shape Beacon v2 uses: {"error": {"errorCode", "errorMessage"}}). */
static enum MHD_Result reply_error(struct MHD_Connection *c, int status, const char *msg)
{
    char body[1024];
    size_t o = 0;
    o += (size_t)snprintf(body, sizeof body, "{\"error\":{\"errorCode\":%d,\"errorMessage\":\"",
                          status);
    for (const char *p = msg; *p && o + 8 < sizeof body; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\') {
            body[o++] = '\\';
            body[o++] = (char)ch;
        } else if (ch < 0x20) {
            o += (size_t)snprintf(body + o, sizeof body - o, "\\u%04x", ch);
        } else {
            body[o++] = (char)ch;
        }
    }
    o += (size_t)snprintf(body + o, sizeof body - o, "\"}}");
    return reply(c, status, "application/json", body, o < sizeof body ? o : sizeof body - 1);
}

static int metrics_text(struct server *s, struct worker *w, char **out, size_t *len)
{
    size_t cap = 64 * 1024, o = 0;
    char *b = gn_malloc(cap);
    uint64_t bytes = 0, samples = 0;
    if (!b) return GN_ENOMEM;
#define P(...)                                                                                     \
    do {                                                                                           \
        int k_ = snprintf(b + o, cap - o, __VA_ARGS__);                                            \
        if (k_ > 0) o += (size_t)k_ < cap - o ? (size_t)k_ : cap - o - 1;                          \
    } while (0)
    P("# HELP genomenode_http_requests_total HTTP requests by endpoint and status.\n");
    P("# TYPE genomenode_http_requests_total counter\n");
    for (int e = 0; e < EP_N; e++)
        for (size_t c = 0; c < N_CODES; c++) {
            uint64_t v = atomic_load(&s->m.requests[e][c]);
            if (v)
                P("genomenode_http_requests_total{endpoint=\"%s\",code=\"%d\"} %llu\n", ep_name[e],
                  codes[c], (unsigned long long)v);
        }
    P("# HELP genomenode_http_request_seconds Request latency.\n");
    P("# TYPE genomenode_http_request_seconds histogram\n");
    for (int e = 0; e < EP_N; e++) {
        uint64_t cum = 0;
        for (size_t k = 0; k <= N_BUCKETS; k++) {
            cum += atomic_load(&s->m.hist[e][k]);
            if (k < N_BUCKETS)
                P("genomenode_http_request_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
                  ep_name[e], buckets[k], (unsigned long long)cum);
            else
                P("genomenode_http_request_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
                  ep_name[e], (unsigned long long)cum);
        }
        P("genomenode_http_request_seconds_sum{endpoint=\"%s\"} %.6f\n", ep_name[e],
          (double)atomic_load(&s->m.sum_us[e]) / 1e6);
        P("genomenode_http_request_seconds_count{endpoint=\"%s\"} %llu\n", ep_name[e],
          (unsigned long long)cum);
    }
    P("# HELP genomenode_policy_denied_total Requests refused by policy.\n");
    P("# TYPE genomenode_policy_denied_total counter\n");
    P("genomenode_policy_denied_total %llu\n", (unsigned long long)atomic_load(&s->m.denied));
    {
        struct mme_cache_stats ms;
        mme_cache_stats(s->mme, &ms);
        P("# HELP genomenode_mme_profile_builds_total Matchmaker Exchange profile snapshots "
          "built.\n# TYPE genomenode_mme_profile_builds_total counter\n");
        P("genomenode_mme_profile_builds_total %llu\n", (unsigned long long)ms.builds);
        P("# HELP genomenode_mme_profile_waits_total Requests that waited for another's "
          "snapshot build.\n# TYPE genomenode_mme_profile_waits_total counter\n");
        P("genomenode_mme_profile_waits_total %llu\n", (unsigned long long)ms.waits);
        P("# HELP genomenode_mme_profile_people People in the current profile snapshot.\n"
          "# TYPE genomenode_mme_profile_people gauge\n");
        P("genomenode_mme_profile_people %llu\n", (unsigned long long)ms.people);
    }
    if (w->snap) {
        for (uint32_t i = 0; i < w->snap->n_seg; i++)
            bytes += segment_file_bytes(w->snap->seg[i]);
        samples = w->snap->n_live_samples;
        P("# HELP genomenode_store_bytes Bytes of live segments.\n# TYPE genomenode_store_bytes "
          "gauge\n");
        P("genomenode_store_bytes %llu\n", (unsigned long long)bytes);
        P("# HELP genomenode_store_samples Live samples.\n# TYPE genomenode_store_samples gauge\n");
        P("genomenode_store_samples %llu\n", (unsigned long long)samples);
        P("# HELP genomenode_store_segments Live segments.\n# TYPE genomenode_store_segments "
          "gauge\n");
        P("genomenode_store_segments %u\n", w->snap->n_seg);
    }
#undef P
    *out = b;
    *len = o;
    return GN_OK;
}

/* ---- the request handler ---------------------------------------------------------- */

/* The whole request URI (libmicrohttpd hands the access handler only the path). */
static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct req *rq = gn_calloc(1, sizeof *rq);
    (void)cls;
    (void)c;
    if (!rq) return NULL;
    clock_gettime(CLOCK_MONOTONIC, &rq->t0);
    if (uri && strlen(uri) <= 65536 && (rq->uri = gn_malloc(strlen(uri) + 1))) strcpy(rq->uri, uri);
    return rq;
}

static enum ep classify(const char *url)
{
    static const struct {
        const char *seg;
        enum ep e;
    } m[] = {{"g_variants", EP_G_VARIANTS},
             {"individuals", EP_INDIVIDUALS},
             {"biosamples", EP_BIOSAMPLES},
             {"datasets", EP_DATASETS},
             {"cohorts", EP_COHORTS}};
    if (!strcmp(url, "/health")) return EP_HEALTH;
    if (!strcmp(url, "/metrics")) return EP_METRICS;
    if (mme_route(url)) return EP_MME;
    if (pgx_http_route(url)) return EP_PGX;
    if (!strncmp(url, "/api", 4) && (url[4] == '/' || !url[4])) url += 4;
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        size_t n = strlen(m[i].seg);
        if (url[0] == '/' && !strncmp(url + 1, m[i].seg, n) && (!url[n + 1] || url[n + 1] == '/'))
            return m[i].e;
    }
    return EP_FRAMEWORK;
}

/* Called by the audit writer once a held answer's entries are committed. */
static void audit_durable(void *ctx, int rc)
{
    struct req *rq = ctx;
    struct server *s = rq->srv;
    pthread_mutex_lock(&s->susp_mu);
    rq->audit_rc = rc;
    rq->audit_done = 1;
    if (rq->suspended) mhd.MHD_resume_connection(rq->conn);
    pthread_mutex_unlock(&s->susp_mu);
}

/* Sends an answer that waited for its audit entries (or 503 when they failed: an access
 * that is not on record is not answered). */
static enum MHD_Result send_held(struct server *s, struct MHD_Connection *c, struct req *rq)
{
    enum MHD_Result ok;
    int status = rq->out_status;
    pthread_mutex_lock(&s->susp_mu);
    if (rq->suspended) {
        rq->suspended = 0;
        atomic_fetch_sub(&s->n_suspended, 1);
    }
    pthread_mutex_unlock(&s->susp_mu);
    rq->held = 0;
    if (!rq->out || status == 503) {
        status = 503;
        ok = reply_error(c, status, "out of memory");
    } else if (rq->audit_rc < 0) {
        status = 503;
        ok = reply_error(c, status, "the access could not be audited");
    } else {
        ok = reply(c, status, rq->out_type ? rq->out_type : "application/json", rq->out,
                   rq->out_len);
    }
    gn_free(rq->out);
    rq->out = NULL;
    count(s, rq->out_ep, status, elapsed_s(&rq->t0));
    return ok;
}

/* The Matchmaker Exchange routes (mme.h): X-Auth-Token instead of a bearer credential. */
static int mme_route_call(struct server *s, struct worker *w, struct MHD_Connection *c,
                          const char *method, const char *url, const struct req *rq, char **out,
                          size_t *len, int *status, const char **type)
{
    struct mme_call mc = {0};
    mc.method = method;
    mc.path = url;
    mc.token = mhd.MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Auth-Token");
    mc.ctype = mhd.MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    mc.accept = mhd.MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    mc.body = rq->body;
    mc.body_len = rq->len;
    return mme_handle(s->hpo, s->mme, w->mpc, w->cat, &s->key, &mc, out, len, status, type);
}

/* The pgx data, loaded once (see struct server); NULL when it cannot be. */
static const struct pgx_data *pgx_data_get(struct server *s)
{
    pthread_mutex_lock(&s->pgx_mu);
    if (s->pgx_state == 0) {
        struct gn_err err = GN_ERR_INIT;
        const char *dir = s->o->pgx_data ? s->o->pgx_data : "data/pgx";
        s->pgx_state = pgx_data_load(dir, 1, &s->pgx, &err) == GN_OK ? 1 : -1;
        if (s->pgx_state < 0) log_warn("no pgx data (%s): /pgx answers 503", err.msg);
    }
    pthread_mutex_unlock(&s->pgx_mu);
    return s->pgx_state > 0 ? &s->pgx : NULL;
}

/* GET /pgx/{id} (pgx_http.h): the bearer credential checked above, or its refusal. */
static int pgx_route_call(struct server *s, struct worker *w, const char *method,
                          const struct req *rq, const char *url, const struct policy_caller *who,
                          int refuse_status, const char *refuse_msg, char **out, size_t *len,
                          int *status, const char **type)
{
    struct pgx_http_call pc = {0};
    pc.method = method;
    pc.path = rq->uri ? rq->uri : url;
    pc.who = who;
    pc.refuse_status = refuse_status;
    pc.refuse_msg = refuse_msg;
    return pgx_http_handle(pgx_data_get(s), w->cat, &s->key, w->snap, &pc, out, len, status, type);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    struct server *s = cls;
    struct req *rq = *con_cls;
    struct gn_err err = GN_ERR_INIT;
    enum ep e = EP_OTHER;
    enum MHD_Result ok;
    int status;
    (void)version;

    if (!rq) return MHD_NO; /* uri_seen ran out of memory */
    if (rq->held) return send_held(s, c, rq);
    if (!rq->started) { /* first call: headers only */
        rq->started = 1;
        return MHD_YES;
    }
    if (*upload_size) { /* body chunks, bounded */
        if (!rq->too_big) {
            if (rq->len + *upload_size > s->o->max_body) {
                rq->too_big = 1;
            } else {
                if (rq->len + *upload_size + 1 > rq->cap) {
                    size_t nc = (rq->len + *upload_size + 1) * 2;
                    char *nb = gn_reallocarray(rq->body, nc, 1);
                    if (!nb) return MHD_NO;
                    rq->body = nb;
                    rq->cap = nc;
                }
                memcpy(rq->body + rq->len, upload, *upload_size);
                rq->len += *upload_size;
                rq->body[rq->len] = '\0';
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }

    e = classify(url);
    if (rq->too_big) {
        status = 413;
        ok = reply_error(c, status, "request body too large");
        count(s, e, status, elapsed_s(&rq->t0));
        return ok;
    }
    if (strcmp(method, "GET") && strcmp(method, "POST") && strcmp(method, "HEAD")) {
        status = 405;
        ok = reply_error(c, status, "method not allowed");
        count(s, e, status, elapsed_s(&rq->t0));
        return ok;
    }

    struct worker *w = borrow(s);
    struct auth_caller who;
    struct passport_result *pp = NULL; /* a verified Passport caller's visas */
    struct policy_caller anon = {"anonymous", "anonymous", 0, NULL};
    char client[192];
    const char *authz = mhd.MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    int rc = refresh(s, w, &err), unauth = 0;
    if (rc == GN_OK && authz) {
        if (strncmp(authz, "Bearer ", 7) != 0) {
            rc = gn_errf(&err, GN_EINVAL, "Authorization must be 'Bearer <token>'");
        } else {
            const char *cred = authz + 7;
            rc = auth_is_jws(cred, strlen(cred))
                     ? passport_check(s, w, cred, &who, &pp, &err)
                     : auth_token_check(w->cat, &s->key, cred, &who, &err);
            unauth = rc == GN_EDENIED; /* refused (and audited) by auth: 401, not 403 */
        }
    }
    if (rc < 0 && (e == EP_HEALTH || e == EP_METRICS)) {
        status = unauth ? 401 : gn_err_http_status(rc);
        ok = reply_error(c, status, err.msg[0] ? err.msg : gn_strerror(rc));
    } else if (e == EP_HEALTH) {
        char body[256];
        int n = snprintf(body, sizeof body,
                         "{\"status\":\"ok\",\"samples\":%llu,\"segments\":%u,\"generation\":%llu}",
                         (unsigned long long)w->snap->n_live_samples, w->snap->n_seg,
                         (unsigned long long)w->snap->man.generation);
        status = 200;
        ok = reply(c, status, "application/json", body, (size_t)n);
    } else if (e == EP_METRICS) {
        char *text = NULL;
        size_t len = 0;
        if (metrics_text(s, w, &text, &len) < 0) {
            status = 503;
            ok = reply_error(c, status, "out of memory");
        } else {
            status = 200;
            ok = reply(c, status, "text/plain; version=0.0.4", text, len);
        }
        gn_free(text);
    } else {
        struct beacon_call call = {0};
        char *out = NULL;
        size_t len = 0;
        const union MHD_ConnectionInfo *ci =
            mhd.MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        char addr[64] = "unknown";
        if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
            (void)inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, addr,
                            sizeof addr);
        if (rc < 0) { /* refused before the Beacon: the spec's error object all the same */
            call.refuse_status = unauth ? 401 : gn_err_http_status(rc);
            call.refuse_msg = err.msg[0] ? err.msg : gn_strerror(rc);
        }
        call.who = authz && rc == GN_OK ? &who.caller : &anon;
        if (authz && rc == GN_OK)
            (void)snprintf(client, sizeof client, "%s", who.caller.name);
        else
            (void)snprintf(client, sizeof client, "anonymous@%s", addr);
        call.client = client;
        call.project = mhd.MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Project");
        call.purpose = mhd.MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Purpose");
        call.method = strcmp(method, "HEAD") ? method : "GET";
        call.path = rq->uri ? rq->uri : url;
        call.body = rq->body;
        call.body_len = rq->len;
        rq->srv = s; /* read by audit_durable, which may run before audit_defer_end returns */
        rq->conn = c;
        const char *type = "application/json";
        audit_defer_begin();
        if (e == EP_MME) /* Matchmaker Exchange: its own token header and module */
            rc = mme_route_call(s, w, c, method, url, rq, &out, &len, &status, &type);
        else if (e == EP_PGX) /* the clinician's pgx report */
            rc = pgx_route_call(s, w, method, rq, url, authz && rc == GN_OK ? &who.caller : NULL,
                                call.refuse_status, call.refuse_msg, &out, &len, &status, &type);
        else
            rc = beacon_handle(w->bx, w->cat, &s->key, w->snap, s->budget, &call, &out, &len,
                               &status);
        int arc, pending = audit_defer_end(audit_durable, rq, &arc);
        if (rc == GN_OK && status == 404 && e == EP_FRAMEWORK) e = EP_OTHER; /* no such path */
        if (pending) { /* hold the answer; the thread serves others meanwhile */
            give_back(s, w);
            passport_result_free(pp);
            rq->out = out; /* NULL when out of memory */
            rq->out_len = len;
            rq->out_status = rc == GN_OK ? status : 503;
            rq->out_type = type;
            rq->out_ep = e;
            rq->held = 1;
            pthread_mutex_lock(&s->susp_mu);
            if (!rq->audit_done) {
                atomic_fetch_add(&s->n_suspended, 1);
                mhd.MHD_suspend_connection(c);
                rq->suspended = 1;
                pthread_mutex_unlock(&s->susp_mu);
                return MHD_YES;
            }
            pthread_mutex_unlock(&s->susp_mu);
            return send_held(s, c, rq);
        }
        if (rc < 0 || arc < 0) {
            status = 503;
            ok = reply_error(c, status,
                             rc < 0 ? "out of memory" : "the access could not be audited");
        } else {
            ok = reply(c, status, type, out, len);
        }
        gn_free(out);
    }
    give_back(s, w);
    passport_result_free(pp);
    count(s, e, status, elapsed_s(&rq->t0));
    return ok;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct req *rq = *con_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (!rq) return;
    gn_free(rq->uri);
    gn_free(rq->body);
    gn_free(rq->out);
    gn_free(rq);
    *con_cls = NULL;
}

/* ---- start and stop --------------------------------------------------------------- */

static void close_workers(struct server *s)
{
    for (unsigned i = 0; i < s->n_workers; i++) {
        gtsnap_free(s->w[i].snap);
        if (s->w[i].cat) catalog_set_audit_sink(s->w[i].cat, NULL);
        catalog_close(s->w[i].cat);
        beacon_free(s->w[i].bx);
        policy_cache_free(s->w[i].mpc);
    }
    audit_batcher_stop(s->audit);
    policy_budget_free(s->budget);
}

int server_run(const struct server_opts *o, struct gn_err *err)
{
    struct server *s;
    struct MHD_Daemon *d = NULL;
    struct sockaddr_in sa;
    char target[4096], keyp[4096];
    uint8_t *cert = NULL, *tkey = NULL;
    size_t n_cert = 0, n_key = 0;
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    int rc;

    if ((rc = dynlib_load(&mhd_lib, err)) < 0) return rc;
    /* A query decodes blocks into buffers of a few MB; glibc would mmap and munmap each
     * one, and every munmap shoots down TLBs on all cores. Keep them on the heap. */
    (void)mallopt(M_MMAP_THRESHOLD, 64 << 20);
    (void)mallopt(M_TRIM_THRESHOLD, 256 << 20);
    if (!(s = gn_calloc(1, sizeof *s))) return gn_errf(err, GN_ENOMEM, "out of memory");
    s->o = o;
    s->n_workers = o->threads ? o->threads : 2;
    if (s->n_workers > MAX_WORKERS) s->n_workers = MAX_WORKERS;
    pthread_mutex_init(&s->mu, NULL);
    pthread_rwlock_init(&s->trust_lock, NULL);
    pthread_mutex_init(&s->susp_mu, NULL);
    pthread_mutex_init(&s->pgx_mu, NULL);
    s->trust_gen = -1;
    pthread_cond_init(&s->cv, NULL);
    if ((rc = fsutil_path(s->manifest_path, sizeof s->manifest_path, o->dir, "MANIFEST")) < 0 ||
        (rc = node_catalog_target(target, sizeof target, o->dir)) < 0 ||
        (rc = node_key_path(keyp, sizeof keyp, o->dir)) < 0) {
        rc = gn_errf(err, GN_ELIMIT, "path too long");
        goto out;
    }
    if ((rc = pseudonym_load(&s->key, keyp, err)) < 0) goto out;
    if (o->hpo_index) { /* Matchmaker Exchange and Beacon phenotype filters use it; optional */
        struct gn_err herr = GN_ERR_INIT;
        if (hpo_load(o->hpo_index, &s->hpo, &herr) < 0) {
            log_warn(
                "no HPO index (%s): /match answers 503, Beacon HP: filters match exact terms only",
                herr.msg);
            s->hpo = NULL;
        }
    }
    if ((rc = policy_budget_new(&s->budget)) < 0 || (rc = mme_cache_new(&s->mme)) < 0) goto nomem;
    if ((rc = audit_batcher_start(&s->audit, target, &s->key, err)) < 0) goto out;
    for (unsigned i = 0; i < s->n_workers; i++) {
        if ((rc = catalog_open(&s->w[i].cat, target, err)) < 0) goto out;
        /* The audit log grows the catalog file all the time: with SQLite's mmap every
         * reader would unmap and map it again at each transaction (a TLB shootdown on every
         * core each time). Server connections read through the page cache instead. */
        if (db_engine(catalog_db(s->w[i].cat)) == DB_SQLITE &&
            (rc = db_exec(catalog_db(s->w[i].cat), "PRAGMA mmap_size=0", err)) < 0)
            goto out;
        audit_batcher_attach(s->audit, s->w[i].cat);
        if ((rc = beacon_new(&s->w[i].bx)) < 0 || (rc = policy_cache_new(&s->w[i].mpc)) < 0)
            goto nomem;
        beacon_set_hpo(s->w[i].bx, s->hpo);
        if ((rc = refresh(s, &s->w[i], err)) < 0) goto out;
    }
    if (o->tls_cert && o->tls_key) {
        if ((rc = fsutil_read_all(o->tls_cert, 1 << 20, &cert, &n_cert, err)) < 0 ||
            (rc = fsutil_read_all(o->tls_key, 1 << 20, &tkey, &n_key, err)) < 0)
            goto out;
        /* NUL-terminated PEM for GnuTLS */
        uint8_t *c2 = gn_reallocarray(cert, n_cert + 1, 1), *k2;
        if (!c2) goto nomem;
        cert = c2;
        cert[n_cert] = 0;
        if (!(k2 = gn_reallocarray(tkey, n_key + 1, 1))) goto nomem;
        tkey = k2;
        tkey[n_key] = 0;
        flags |= MHD_USE_TLS;
    }
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(o->port);
    if (inet_pton(AF_INET, o->addr ? o->addr : "127.0.0.1", &sa.sin_addr) != 1) {
        rc = gn_errf(err, GN_EINVAL, "bad listen address '%s'", o->addr);
        goto out;
    }
    if (cert)
        d = mhd.MHD_start_daemon(
            flags, o->port, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
            MHD_OPTION_THREAD_POOL_SIZE, s->n_workers, MHD_OPTION_CONNECTION_TIMEOUT,
            o->timeout_s ? o->timeout_s : 30, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
            MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_URI_LOG_CALLBACK, uri_seen, s,
            MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, tkey, MHD_OPTION_END);
    else
        d = mhd.MHD_start_daemon(flags, o->port, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, s->n_workers,
                                 MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s ? o->timeout_s : 30,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
                                 MHD_OPTION_NOTIFY_COMPLETED, completed, s,
                                 MHD_OPTION_URI_LOG_CALLBACK, uri_seen, s, MHD_OPTION_END);
    if (!d) {
        rc = gn_errf(err, GN_EIO, "cannot listen on %s:%u (in use, or bad TLS files)",
                     o->addr ? o->addr : "127.0.0.1", o->port);
        goto out;
    }
    if (o->ready) {
        const union MHD_DaemonInfo *di = mhd.MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        o->ready(o->ready_ctx, di ? di->port : o->port);
    }
    while (!*o->stop)
        usleep(100 * 1000);
    {
        /* Stop accepting, let requests in flight finish, then stop. */
        MHD_socket ls = mhd.MHD_quiesce_daemon(d);
        unsigned waited = 0, grace = (o->grace_s ? o->grace_s : 10) * 10;
        if (ls != MHD_INVALID_SOCKET) close(ls);
        for (; waited < grace; waited++) {
            const union MHD_DaemonInfo *di =
                mhd.MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
            if (!di || di->num_connections == 0) break;
            usleep(100 * 1000);
        }
    }
    /* libmicrohttpd must not be stopped with a suspended connection: answers waiting for
     * their audit entries are sent first (the writer always finishes a batch). */
    for (unsigned waited = 0; atomic_load(&s->n_suspended) && waited < 600; waited++)
        usleep(50 * 1000);
    mhd.MHD_stop_daemon(d);
    rc = GN_OK;
    goto out;
nomem:
    rc = gn_errf(err, GN_ENOMEM, "out of memory");
out:
    close_workers(s);
    pseudonym_wipe(&s->key);
    gn_free(cert);
    if (tkey) sodium_memzero(tkey, n_key);
    gn_free(tkey);
    pthread_mutex_destroy(&s->mu);
    mme_cache_free(s->mme);
    hpo_free(s->hpo);
    passport_trust_free(s->trust);
    pthread_rwlock_destroy(&s->trust_lock);
    pthread_mutex_destroy(&s->susp_mu);
    pgx_data_free(&s->pgx);
    pthread_mutex_destroy(&s->pgx_mu);
    pthread_cond_destroy(&s->cv);
    gn_free(s);
    return rc;
}
