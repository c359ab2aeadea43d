/*
 * server.h — the node's HTTP front door (libmicrohttpd).
 *
 * A thread pool answers requests; each request borrows a worker context (its own catalog
 * connection, the node key, a store snapshot refreshed when the manifest changes), so no
 * handle is shared between threads. Requests are bounded (body size, header memory,
 * connection timeout); a bad request gets a 4xx with a JSON error object, never a crash.
 *
 * Routes: /health, /metrics (Prometheus text); /match and /heartbeat (also under /mme/)
 * go to Matchmaker Exchange (mme.h, authenticated by X-Auth-Token); GET /pgx/{id} is a
 * clinician's pharmacogenomic report (pgx_http.h, bearer token, policy's own-treatment
 * path); every other path is a Beacon v2 request (beacon.h), answered by the worker's
 * beacon context.
 *
 * Authentication: "Authorization: Bearer <credential>": an API token, or a GA4GH Passport
 * JWT verified against the trusted issuers (auth.h; the trust set is rebuilt when the
 * catalog generation moves); no header means the anonymous public caller
 * ("anonymous@ADDRESS" for its query budget). The X-Project header names the project a
 * caller acts for, X-Purpose a Passport-style DUO purpose. Access itself is decided by
 * policy, never here.
 *
 * Audit: entries of all workers are group-committed by one audit_batcher. A Beacon answer
 * is held, its connection suspended, until its entries are durable (audit_defer_begin/
 * end); then it is sent, or replaced by a 503 if the audit failed. Threads never wait for
 * an fsync, so two of them serve many connections.
 *
 * Shutdown: server_run returns after *stop becomes non-zero (a signal handler in main sets
 * it): the listening socket closes first, requests in flight finish (up to a grace
 * period), then the daemon stops.
 *
 * Ownership: options are borrowed for the duration of server_run. Thread safety: one
 * server_run per process.
 */
#ifndef GN_SERVER_H
#define GN_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct server_opts {
    const char *dir;                /* the node directory */
    const char *addr;               /* listen address (IPv4 dotted), default 127.0.0.1 */
    uint16_t port;                  /* default 8080; 0 picks a free port */
    unsigned threads;               /* worker threads, default 2 */
    size_t max_body;                /* bytes, default 1 MiB */
    unsigned timeout_s;             /* idle connection timeout, default 30 */
    unsigned grace_s;               /* shutdown grace period, default 10 */
    const char *tls_cert, *tls_key; /* PEM files: HTTPS when both are set */
    const char *hpo_index;          /* HPO index for Matchmaker Exchange (/match), or NULL */
    const char *pgx_data;           /* pgx data directory for /pgx (default data/pgx) */
    volatile sig_atomic_t *stop;    /* set non-zero to shut down */
    /* Called once listening, with the port actually bound (for port 0). */
    void (*ready)(void *ctx, uint16_t port);
    void *ready_ctx;
};

GN_MUST_CHECK int server_run(const struct server_opts *o, struct gn_err *err);

#endif
