/*
 * audit.h — the append-only, hash-chained record of every access.
 *
 * Each entry holds who (actor, role), when, the purpose or project, the kind of access,
 * its outcome, how many records it returned, a free-text detail, and the pseudonyms of
 * the individuals whose records it returned or changed. Never a genotype, never a
 * national ID or original sample ID.
 *
 * Chain: entry n carries prev = hash(n-1) (64 zeros for entry 1) and
 *   hash = HMAC-SHA256(K, len:field ... for seq, at, actor, role, purpose, action, outcome,
 *                      records, detail, subjects, prev)
 * with K derived from the node's pseudonym key for the domain "audit-chain". Without the
 * key nobody can forge an entry that verifies, even with write access to the catalog; the
 * catalog also refuses UPDATE and DELETE on the table (triggers). audit_verify walks the
 * chain in sequence order and names the first entry that was changed, deleted, inserted
 * or moved.
 *
 * Appends are serialised by the catalog's writer lock, so several server processes on one
 * PostgreSQL catalog keep one chain.
 *
 * Ownership: strings in entries passed to callbacks are borrowed for the call.
 * Thread safety: as the catalog handle.
 */
#ifndef GN_AUDIT_H
#define GN_AUDIT_H

#include <stdint.h>

#include "catalog.h"
#include "err.h"
#include "pseudonym.h"

#define AUDIT_HASH_HEX 64

struct audit_entry {
    int64_t seq;
    const char *at;    /* ISO-8601 UTC; filled by audit_append */
    const char *actor; /* user name, or "local:<unix user>" for the node's operator */
    const char *role;
    const char *purpose;  /* project name, "own-treatment", "administration", ... */
    const char *action;   /* e.g. "freq", "export", "consent.withdraw", "pseudonym.reidentify" */
    const char *outcome;  /* "allowed", "denied" or "done" */
    int64_t records;      /* rows or records returned (0 for denials) */
    const char *detail;   /* parameters or the reason of a denial; no identifiers in clear */
    const char *subjects; /* comma-separated individual pseudonyms, or "" */
    const char *prev, *hash;
};

/* Appends e (seq, at, prev and hash are computed). Runs in its own transaction unless the
 * catalog is already inside one, in which case it joins it (the entry commits or rolls
 * back with the change it records). Text fields are stored as UTF-8: a byte that does not
 * belong to a well-formed character is stored as '?' (strparse_utf8_cut). */
GN_MUST_CHECK int audit_append(struct catalog *c, const struct pseudonym *key,
                               const struct audit_entry *e, struct gn_err *err);

/* Group commit, for servers answering many queries a second: one writer thread appends
 * the entries of all threads waiting at a moment in one transaction (one fsync), and each
 * waits until its entry is durable, so no answer leaves before its audit entry is on disk.
 * After audit_batcher_attach(b, c), audit_append on c (outside a transaction) goes through
 * b. audit_batcher_start opens its own catalog handle on target; audit_batcher_stop
 * drains the queue and joins the thread (detach every handle first). */
struct audit_batcher;
GN_MUST_CHECK int audit_batcher_start(struct audit_batcher **b, const char *target,
                                      const struct pseudonym *key, struct gn_err *err);
void audit_batcher_attach(struct audit_batcher *b, struct catalog *c);
void audit_batcher_stop(struct audit_batcher *b);
/* Deferred appends, for a server that holds each response until its audit entries are
 * durable without holding a thread. Between audit_defer_begin() and audit_defer_end() on
 * one thread, audit_append through a batcher returns as soon as the entry is queued.
 * audit_defer_end returns 0 when nothing is outstanding (*rc: GN_OK, or the failure of an
 * entry already committed), or 1 when entries are still queued: done(ctx, rc) is then
 * called once, from the writer thread, after the last of them is committed (rc < 0 when
 * any failed: the response must not be sent). done must not call into the batcher. */
void audit_defer_begin(void);
int audit_defer_end(void (*done)(void *ctx, int rc), void *ctx, int *rc);

/* Entries committed so far and transactions used (for /metrics). */
void audit_batcher_stats(struct audit_batcher *b, uint64_t *entries, uint64_t *batches);

/* Verifies the whole chain. GN_OK with *n entries checked, or GN_ECORRUPT naming the first
 * bad entry and what is wrong with it. */
GN_MUST_CHECK int audit_verify(struct catalog *c, const struct pseudonym *key, int64_t *n,
                               struct gn_err *err);

struct audit_filter {
    const char *person; /* individual pseudonym */
    const char *actor;
    const char *purpose;
};
typedef int (*audit_cb)(void *ctx, const struct audit_entry *e);
/* Calls cb for every entry matching all the non-NULL filter fields, in sequence order. */
GN_MUST_CHECK int audit_each(struct catalog *c, const struct audit_filter *f, audit_cb cb,
                             void *ctx, struct gn_err *err);

#endif
