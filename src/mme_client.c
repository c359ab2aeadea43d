/*
 * mme_client.c — Matchmaker Exchange peers: the peers file and parallel requests with
 * libcurl (mme.h). A peer's failure stays in its own result.
 */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "alloc.h"
#include "dynlib.h"
#include "fsutil.h"
#include "mme.h"

#ifndef GN_LIBCURL_SONAME
#define GN_LIBCURL_SONAME "libcurl-gnutls.so.4"
#endif

/* libcurl, loaded on the first outgoing request (dynlib.h). */
static struct {
    __typeof__(curl_easy_cleanup) *curl_easy_cleanup;
    __typeof__(curl_easy_getinfo) *curl_easy_getinfo;
    __typeof__(curl_easy_init) *curl_easy_init;
    __typeof__(curl_easy_setopt) *curl_easy_setopt;
    __typeof__(curl_easy_strerror) *curl_easy_strerror;
    __typeof__(curl_global_init) *curl_global_init;
    __typeof__(curl_multi_add_handle) *curl_multi_add_handle;
    __typeof__(curl_multi_cleanup) *curl_multi_cleanup;
    __typeof__(curl_multi_info_read) *curl_multi_info_read;
    __typeof__(curl_multi_init) *curl_multi_init;
    __typeof__(curl_multi_perform) *curl_multi_perform;
    __typeof__(curl_multi_poll) *curl_multi_poll;
    __typeof__(curl_multi_remove_handle) *curl_multi_remove_handle;
    __typeof__(curl_multi_strerror) *curl_multi_strerror;
    __typeof__(curl_slist_append) *curl_slist_append;
    __typeof__(curl_slist_free_all) *curl_slist_free_all;
} cu;

static const struct dynlib_sym cu_syms[] = {
    {"curl_easy_cleanup", &cu.curl_easy_cleanup},
    {"curl_easy_getinfo", &cu.curl_easy_getinfo},
    {"curl_easy_init", &cu.curl_easy_init},
    {"curl_easy_setopt", &cu.curl_easy_setopt},
    {"curl_easy_strerror", &cu.curl_easy_strerror},
    {"curl_global_init", &cu.curl_global_init},
    {"curl_multi_add_handle", &cu.curl_multi_add_handle},
    {"curl_multi_cleanup", &cu.curl_multi_cleanup},
    {"curl_multi_info_read", &cu.curl_multi_info_read},
    {"curl_multi_init", &cu.curl_multi_init},
    {"curl_multi_perform", &cu.curl_multi_perform},
    {"curl_multi_poll", &cu.curl_multi_poll},
    {"curl_multi_remove_handle", &cu.curl_multi_remove_handle},
    {"curl_multi_strerror", &cu.curl_multi_strerror},
    {"curl_slist_append", &cu.curl_slist_append},
    {"curl_slist_free_all", &cu.curl_slist_free_all},
};
static struct dynlib cu_lib = DYNLIB_INIT(GN_LIBCURL_SONAME, "libcurl3-gnutls", cu_syms);
static pthread_once_t cu_once = PTHREAD_ONCE_INIT;

static void cu_global(void)
{
    (void)cu.curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Loads libcurl and initialises it once per process. */
static int cu_ready(struct gn_err *err)
{
    int rc = dynlib_load(&cu_lib, err);
    if (rc == GN_OK) pthread_once(&cu_once, cu_global);
    return rc;
}

void mme_global_init(void)
{
    struct gn_err err = GN_ERR_INIT;
    (void)cu_ready(&err); /* a failure is reported again by mme_peers_send */
}

void mme_peer_result_clear(struct mme_peer_result *r)
{
    if (!r) return;
    gn_free(r->body);
    memset(r, 0, sizeof *r);
}

static int field_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (!n || n >= max) return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f) return 0;
    return 1;
}

/* Parses the peers file: one "NAME URL TOKEN" line per peer, '#' comments. */
static int parse_peers(const char *p, size_t n, struct mme_peer **out, size_t *np,
                       struct gn_err *err)
{
    struct mme_peer *ps = gn_calloc(MME_MAX_PEERS, sizeof *ps);
    size_t k = 0, line = 0;
    const char *end = p + n;
    if (!ps) return gn_errf(err, GN_ENOMEM, "out of memory");
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
        char buf[1024], *f[3] = {0}, *save = NULL;
        size_t len = (size_t)(e - p);
        line++;
        if (len && p[len - 1] == '\r') len--;
        if (len >= sizeof buf) {
            gn_free(ps);
            return gn_errf(err, GN_EPARSE, "%s:%zu: line too long", MME_PEERS_FILE, line);
        }
        memcpy(buf, p, len);
        buf[len] = 0;
        p = nl ? nl + 1 : end;
        if (!len || buf[0] == '#') continue;
        f[0] = strtok_r(buf, " \t", &save);
        f[1] = f[0] ? strtok_r(NULL, " \t", &save) : NULL;
        f[2] = f[1] ? strtok_r(NULL, " \t", &save) : NULL;
        if (!f[2] || strtok_r(NULL, " \t", &save) || !field_ok(f[0], sizeof ps->name) ||
            !field_ok(f[1], sizeof ps->url) || !field_ok(f[2], sizeof ps->token) ||
            (strncmp(f[1], "http://", 7) && strncmp(f[1], "https://", 8))) {
            gn_free(ps);
            return gn_errf(err, GN_EPARSE, "%s:%zu: expected NAME http(s)://URL TOKEN",
                           MME_PEERS_FILE, line);
        }
        if (k == MME_MAX_PEERS) {
            gn_free(ps);
            return gn_errf(err, GN_ELIMIT, "%s: more than %d peers", MME_PEERS_FILE, MME_MAX_PEERS);
        }
        (void)snprintf(ps[k].name, sizeof ps[k].name, "%s", f[0]);
        (void)snprintf(ps[k].url, sizeof ps[k].url, "%s", f[1]);
        (void)snprintf(ps[k].token, sizeof ps[k].token, "%s", f[2]);
        k++;
    }
    *out = ps;
    *np = k;
    return GN_OK;
}

int mme_peers_load(const char *dir, struct mme_peer **peers, size_t *n, struct gn_err *err)
{
    char path[4096];
    struct stat sb;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc;
    *peers = NULL;
    *n = 0;
    if (fsutil_path(path, sizeof path, dir, MME_PEERS_FILE) < 0)
        return gn_errf(err, GN_ELIMIT, "path too long");
    if (stat(path, &sb) < 0) {
        if (errno == ENOENT) return GN_OK;
        return gn_errf(err, gn_err_from_errno(errno), "%s: cannot stat", path);
    }
    if (sb.st_mode & 077)
        return gn_errf(err, GN_EDENIED,
                       "%s holds peer tokens: it must not be readable by others "
                       "(chmod 600)",
                       path);
    if ((rc = fsutil_read_all(path, 1 << 20, &data, &len, err)) < 0) return rc;
    rc = parse_peers((const char *)data, len, peers, n, err);
    gn_free(data);
    return rc;
}

int mme_peer_add(const char *dir, const char *name, const char *url, const char *token,
                 struct gn_err *err)
{
    struct mme_peer *ps = NULL;
    size_t n = 0, o = 0, cap;
    char path[4096], *buf = NULL;
    int rc;
    if (!field_ok(name, sizeof ps->name) || !field_ok(url, sizeof ps->url) ||
        !field_ok(token, sizeof ps->token) ||
        (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
        return gn_errf(err, GN_EINVAL, "peer: NAME, an http(s):// URL and a TOKEN without spaces");
    if ((rc = mme_peers_load(dir, &ps, &n, err)) < 0) return rc;
    cap = (n + 1) * (sizeof ps->name + sizeof ps->url + sizeof ps->token + 4) + 128;
    if (!(buf = gn_malloc(cap))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    o += (size_t)snprintf(buf + o, cap - o, "# Matchmaker Exchange peers: NAME URL TOKEN\n");
    for (size_t i = 0; i < n; i++)
        if (strcmp(ps[i].name, name))
            o += (size_t)snprintf(buf + o, cap - o, "%s %s %s\n", ps[i].name, ps[i].url,
                                  ps[i].token);
    o += (size_t)snprintf(buf + o, cap - o, "%s %s %s\n", name, url, token);
    if (fsutil_path(path, sizeof path, dir, MME_PEERS_FILE) < 0) {
        rc = gn_errf(err, GN_ELIMIT, "path too long");
        goto out;
    }
    rc = fsutil_write_atomic(path, buf, o, 0600, err);
out:
    if (buf) memset(buf, 0, cap);
    gn_free(buf);
    if (ps) memset(ps, 0, MME_MAX_PEERS * sizeof *ps);
    gn_free(ps);
    return rc;
}

/* ---- requests ------------------------------------------------------------------------ */

struct xfer {
    struct mme_peer_result *r;
    size_t cap;
    struct curl_slist *hdr;
    char url[MME_PEER_URL + 32];
    struct timespec t0;
};

static size_t on_data(char *p, size_t sz, size_t nm, void *ud)
{
    struct xfer *x = ud;
    size_t n = sz * nm;
    if (x->r->len + n + 1 > MME_MAX_BYTES) return 0; /* aborts: response too large */
    if (x->r->len + n + 1 > x->cap) {
        size_t nc = (x->r->len + n + 1) * 2;
        char *nb = gn_reallocarray(x->r->body, nc, 1);
        if (!nb) return 0;
        x->r->body = nb;
        x->cap = nc;
    }
    memcpy(x->r->body + x->r->len, p, n);
    x->r->len += n;
    x->r->body[x->r->len] = 0;
    return n;
}

int mme_peers_send(const struct mme_peer *peers, size_t n, const char *path, const char *body,
                   size_t len, long timeout_ms, struct mme_peer_result *res, struct gn_err *err)
{
    int rc0 = cu_ready(err);
    if (rc0 < 0) return rc0;
    CURLM *m = cu.curl_multi_init();
    struct xfer *xs = gn_calloc(n + 1, sizeof *xs);
    CURL **hs = gn_calloc(n + 1, sizeof *hs);
    int running = 0, rc = GN_OK;
    if (!m || !xs || !hs) {
        rc = gn_errf(err, GN_ENOMEM, "cannot start the HTTP client");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct xfer *x = &xs[i];
        char tok[MME_PEER_TOKEN + 32];
        size_t ul = strlen(peers[i].url);
        memset(&res[i], 0, sizeof res[i]);
        x->r = &res[i];
        (void)snprintf(x->url, sizeof x->url, "%.*s%s",
                       (int)(ul && peers[i].url[ul - 1] == '/' ? ul - 1 : ul), peers[i].url, path);
        (void)snprintf(tok, sizeof tok, "X-Auth-Token: %s", peers[i].token);
        x->hdr = cu.curl_slist_append(x->hdr, tok);
        x->hdr = cu.curl_slist_append(x->hdr, "Content-Type: " MME_CONTENT_TYPE);
        x->hdr = cu.curl_slist_append(x->hdr, "Accept: " MME_CONTENT_TYPE);
        memset(tok, 0, sizeof tok);
        if (!x->hdr || !(hs[i] = cu.curl_easy_init())) {
            (void)snprintf(res[i].error, sizeof res[i].error, "out of memory");
            continue;
        }
        (void)cu.curl_easy_setopt(hs[i], CURLOPT_URL, x->url);
        (void)cu.curl_easy_setopt(hs[i], CURLOPT_HTTPHEADER, x->hdr);
        (void)cu.curl_easy_setopt(hs[i], CURLOPT_WRITEFUNCTION, on_data);
        (void)cu.curl_easy_setopt(hs[i], CURLOPT_WRITEDATA, x);
        (void)cu.curl_easy_setopt(hs[i], CURLOPT_TIMEOUT_MS, timeout_ms);
        (void)cu.curl_easy_setopt(hs[i], CURLOPT_CONNECTTIMEOUT_MS,
                                  timeout_ms < 5000 ? timeout_ms : 5000);
        (void)cu.curl_easy_setopt(hs[i], CURLOPT_NOSIGNAL, 1L);
        (void)cu.curl_easy_setopt(hs[i], CURLOPT_PROTOCOLS_STR, "http,https");
        (void)cu.curl_easy_setopt(hs[i], CURLOPT_FOLLOWLOCATION, 0L);
        (void)cu.curl_easy_setopt(hs[i], CURLOPT_PRIVATE, x);
        if (body) {
            (void)cu.curl_easy_setopt(hs[i], CURLOPT_POSTFIELDS, body);
            (void)cu.curl_easy_setopt(hs[i], CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        }
        clock_gettime(CLOCK_MONOTONIC, &x->t0);
        if (cu.curl_multi_add_handle(m, hs[i]) != CURLM_OK)
            (void)snprintf(res[i].error, sizeof res[i].error, "cannot start the request");
    }
    do {
        CURLMcode mc = cu.curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        if (mc == CURLM_OK && running) mc = cu.curl_multi_poll(m, NULL, 0, 200, NULL);
        while ((msg = cu.curl_multi_info_read(m, &left))) {
            struct xfer *x = NULL;
            struct timespec t;
            if (msg->msg != CURLMSG_DONE) continue;
            (void)cu.curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            (void)cu.curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &x->r->http);
            clock_gettime(CLOCK_MONOTONIC, &t);
            x->r->secs =
                (double)(t.tv_sec - x->t0.tv_sec) + (double)(t.tv_nsec - x->t0.tv_nsec) / 1e9;
            if (msg->data.result != CURLE_OK)
                (void)snprintf(x->r->error, sizeof x->r->error, "%s",
                               cu.curl_easy_strerror(msg->data.result));
            else if (x->r->http != 200)
                (void)snprintf(x->r->error, sizeof x->r->error, "HTTP %ld", x->r->http);
            else
                x->r->ok = 1;
        }
        if (mc != CURLM_OK) {
            rc = gn_errf(err, GN_EIO, "HTTP client: %s", cu.curl_multi_strerror(mc));
            break;
        }
    } while (running);
out:
    for (size_t i = 0; hs && i < n; i++) {
        if (hs[i]) {
            (void)cu.curl_multi_remove_handle(m, hs[i]);
            cu.curl_easy_cleanup(hs[i]);
        }
        cu.curl_slist_free_all(xs[i].hdr);
    }
    if (m) (void)cu.curl_multi_cleanup(m);
    gn_free(xs);
    gn_free(hs);
    return rc;
}
