/*
 * audit.c — the hash-chained audit log (audit.h).
 */
#include "audit.h"

#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "db.h"
#include "strparse.h"

static const char ZERO_HASH[AUDIT_HASH_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static void put_field(crypto_auth_hmacsha256_state *st, const char *s)
{
    char len[24];
    size_t n = s ? strlen(s) : 0;
    int k = snprintf(len, sizeof len, "%zu:", n);
    crypto_auth_hmacsha256_update(st, (const unsigned char *)len, (unsigned long long)k);
    if (n) crypto_auth_hmacsha256_update(st, (const unsigned char *)s, n);
}

static void chain_hash(const struct pseudonym *key, const struct audit_entry *e,
                       char out[AUDIT_HASH_HEX + 1])
{
    struct pseudonym k;
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char seq[24], rec[24];

    pseudonym_derive(key, "audit-chain", &k);
    (void)snprintf(seq, sizeof seq, "%" PRId64, e->seq); /* 24 bytes hold any int64 */
    (void)snprintf(rec, sizeof rec, "%" PRId64, e->records);
    crypto_auth_hmacsha256_init(&st, k.key, sizeof k.key);
    put_field(&st, seq);
    put_field(&st, e->at);
    put_field(&st, e->actor);
    put_field(&st, e->role);
    put_field(&st, e->purpose);
    put_field(&st, e->action);
    put_field(&st, e->outcome);
    put_field(&st, rec);
    put_field(&st, e->detail);
    put_field(&st, e->subjects);
    put_field(&st, e->prev);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, AUDIT_HASH_HEX + 1, mac, sizeof mac);
    pseudonym_wipe(&k);
    sodium_memzero(&st, sizeof st);
}

static const char COLS[] = "SELECT seq, at, actor, role, purpose, action, outcome, records, detail,"
                           " subjects, prev, hash FROM audit";

static void fill(struct db_stmt *st, struct audit_entry *e)
{
    e->seq = db_col_i64(st, 0);
    e->at = db_col_text(st, 1);
    e->actor = db_col_text(st, 2);
    e->role = db_col_text(st, 3);
    e->purpose = db_col_text(st, 4);
    e->action = db_col_text(st, 5);
    e->outcome = db_col_text(st, 6);
    e->records = db_col_i64(st, 7);
    e->detail = db_col_text(st, 8);
    e->subjects = db_col_text(st, 9);
    e->prev = db_col_text(st, 10);
    e->hash = db_col_text(st, 11);
}

static int batch_append(struct audit_batcher *b, const struct audit_entry *e, struct gn_err *err);
static int append_direct(struct catalog *c, const struct pseudonym *key,
                         const struct audit_entry *in, struct gn_err *err);

/* The entry with its text fields as UTF-8 text. Entries are shown as JSON (audit show) and
 * chained over their bytes, so a field that is not UTF-8 (a byte cut that split a
 * character, raw bytes from a request) is stored with each stray byte as '?'
 * (strparse_utf8_cut) rather than refused: an access must not go unrecorded for the way a
 * parameter was spelt. *buf holds the cleaned copies (owned, gn_free; NULL when every field
 * was text already). */
static int entry_text(const struct audit_entry *in, struct audit_entry *out, char **buf)
{
    const char **f[7] = {&out->actor,   &out->role,   &out->purpose, &out->action,
                         &out->outcome, &out->detail, &out->subjects};
    size_t total = 0;
    int bad = 0;
    char *p;
    *out = *in;
    *buf = NULL;
    for (int i = 0; i < 7; i++) {
        size_t n = *f[i] ? strlen(*f[i]) : 0;
        bad |= n && !strparse_utf8_valid(*f[i], n);
        total += n + 1;
    }
    if (!bad) return GN_OK;
    if (!(p = *buf = gn_malloc(total))) return GN_ENOMEM;
    for (int i = 0; i < 7; i++) {
        size_t n;
        if (!*f[i]) continue;
        n = strlen(*f[i]);
        *f[i] = strparse_utf8_cut(p, n + 1, *f[i], n); /* same length: nothing is cut */
        p += n + 1;
    }
    return GN_OK;
}

int audit_append(struct catalog *c, const struct pseudonym *key, const struct audit_entry *in,
                 struct gn_err *err)
{
    struct audit_entry e;
    char *buf;
    int rc;
    if (entry_text(in, &e, &buf) < 0) return gn_errf(err, GN_ENOMEM, "out of memory");
    if (catalog_audit_sink(c) && !db_in_transaction(catalog_db(c)))
        rc = batch_append(catalog_audit_sink(c), &e, err);
    else
        rc = append_direct(c, key, &e, err);
    gn_free(buf);
    return rc;
}

static int append_direct(struct catalog *c, const struct pseudonym *key,
                         const struct audit_entry *in, struct gn_err *err)
{
    struct db *db = catalog_db(c);
    struct db_stmt *st = NULL;
    struct audit_entry e = *in;
    char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1], at[32];
    int own_tx = !db_in_transaction(db), rc;
    time_t now = time(NULL);
    struct tm tm;

    if (own_tx && (rc = db_begin(db, err)) < 0) return rc;
    if ((rc = db_prepare(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &st, err)) <
        0) {
        goto fail;
    }
    if ((rc = db_step(st, err)) < 0) goto fail;
    if (rc == 1) {
        e.seq = db_col_i64(st, 0) + 1;
        /* A longer (corrupt) stored hash is cut here and then fails audit_verify. */
        (void)snprintf(prev, sizeof prev, "%s", db_col_text(st, 1) ? db_col_text(st, 1) : "");
    } else {
        e.seq = 1;
        memcpy(prev, ZERO_HASH, sizeof prev);
    }
    db_finalize(st);
    st = NULL;

    gmtime_r(&now, &tm);
    (void)strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm); /* 21 bytes of 32 */
    e.at = at;
    e.prev = prev;
    if (!e.actor) e.actor = "";
    if (!e.role) e.role = "";
    if (!e.purpose) e.purpose = "";
    if (!e.action) e.action = "";
    if (!e.outcome) e.outcome = "";
    if (!e.detail) e.detail = "";
    if (!e.subjects) e.subjects = "";
    chain_hash(key, &e, hash);

    if ((rc =
             db_prepare(db,
                        "INSERT INTO audit(seq, at, actor, role, purpose, action, outcome, records,"
                        " detail, subjects, prev, hash) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                        &st, err)) < 0) {
        goto fail;
    }
    if ((rc = db_bind_i64(st, 1, e.seq)) < 0 || (rc = db_bind_text(st, 2, e.at)) < 0 ||
        (rc = db_bind_text(st, 3, e.actor)) < 0 || (rc = db_bind_text(st, 4, e.role)) < 0 ||
        (rc = db_bind_text(st, 5, e.purpose)) < 0 || (rc = db_bind_text(st, 6, e.action)) < 0 ||
        (rc = db_bind_text(st, 7, e.outcome)) < 0 || (rc = db_bind_i64(st, 8, e.records)) < 0 ||
        (rc = db_bind_text(st, 9, e.detail)) < 0 || (rc = db_bind_text(st, 10, e.subjects)) < 0 ||
        (rc = db_bind_text(st, 11, e.prev)) < 0 || (rc = db_bind_text(st, 12, hash)) < 0) {
        rc = gn_errf(err, rc, "audit: cannot bind");
        goto fail;
    }
    if ((rc = db_step(st, err)) < 0) goto fail;
    db_finalize(st);
    st = NULL;
    if (own_tx && (rc = db_commit(db, err)) < 0) return gn_err_prefix(err, rc, "audit append");
    return GN_OK;
fail:
    db_finalize(st);
    if (own_tx) db_rollback(db);
    return gn_err_prefix(err, rc, "audit append");
}

int audit_verify(struct catalog *c, const struct pseudonym *key, int64_t *n, struct gn_err *err)
{
    struct db *db = catalog_db(c);
    struct db_stmt *st = NULL;
    char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1];
    int64_t expect = 1;
    int rc;

    *n = 0;
    memcpy(prev, ZERO_HASH, sizeof prev);
    if ((rc = db_prepare(db,
                         "SELECT seq, at, actor, role, purpose, action, outcome, records,"
                         " detail, subjects, prev, hash FROM audit ORDER BY seq",
                         &st, err)) < 0) {
        return rc;
    }
    while ((rc = db_step(st, err)) == 1) {
        struct audit_entry e;
        fill(st, &e);
        if (e.seq > expect) {
            rc = gn_errf(err, GN_ECORRUPT, "audit entry %" PRId64 " is missing (deleted)%s", expect,
                         e.seq > expect + 1 ? " and others after it" : "");
            break;
        }
        if (e.seq < expect) {
            rc = gn_errf(err, GN_ECORRUPT, "audit entry %" PRId64 " appears twice (inserted)",
                         e.seq);
            break;
        }
        if (!e.prev || strcmp(e.prev, prev) != 0) {
            rc = gn_errf(err, GN_ECORRUPT,
                         "audit entry %" PRId64 " does not follow entry %" PRId64
                         " (inserted, deleted or reordered)",
                         e.seq, e.seq - 1);
            break;
        }
        chain_hash(key, &e, hash);
        if (!e.hash || strcmp(e.hash, hash) != 0) {
            rc = gn_errf(err, GN_ECORRUPT,
                         "audit entry %" PRId64 " does not match its hash (changed or forged)",
                         e.seq);
            break;
        }
        memcpy(prev, hash, sizeof prev);
        expect++;
        (*n)++;
    }
    db_finalize(st);
    return rc < 0 ? rc : GN_OK;
}

int audit_each(struct catalog *c, const struct audit_filter *f, audit_cb cb, void *ctx,
               struct gn_err *err)
{
    struct db *db = catalog_db(c);
    struct db_stmt *st = NULL;
    char sql[512], like[96];
    int rc, k = 0;

    if (f && f->person) {
        for (const char *p = f->person; *p; p++) {
            if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z'))) {
                return gn_errf(err, GN_EINVAL, "audit: a person filter is a pseudonym");
            }
        }
        if (strlen(f->person) > 64) return gn_errf(err, GN_EINVAL, "audit: pseudonym too long");
    }
    /* COLS and the filters are fixed text, well under sizeof sql. */
    (void)snprintf(sql, sizeof sql, "%s WHERE 1 = 1%s%s%s ORDER BY seq", COLS,
                   f && f->person ? " AND subjects LIKE ?" : "",
                   f && f->actor ? " AND actor = ?" : "",
                   f && f->purpose ? " AND purpose = ?" : "");
    if ((rc = db_prepare(db, sql, &st, err)) < 0) return rc;
    if (f && f->person) {
        /* Pseudonyms are fixed-length hex, so a substring match is exact. */
        (void)snprintf(like, sizeof like, "%%%s%%", f->person); /* person: <= 64 bytes */
        if ((rc = db_bind_text(st, ++k, like)) < 0) goto out;
    }
    if (f && f->actor && (rc = db_bind_text(st, ++k, f->actor)) < 0) goto out;
    if (f && f->purpose && (rc = db_bind_text(st, ++k, f->purpose)) < 0) goto out;
    while ((rc = db_step(st, err)) == 1) {
        struct audit_entry e;
        fill(st, &e);
        if ((rc = cb(ctx, &e)) < 0) break;
    }
out:
    db_finalize(st);
    return rc < 0 ? rc : GN_OK;
}

/* ---- group commit ------------------------------------------------------------------ */

struct batch_item {
    struct batch_item *next;
    struct audit_entry e;      /* strings point into text[] */
    int done, rc;              /* set by the writer; the waiting thread then frees the item */
    struct defer_group *group; /* deferred: the writer frees the item and reports here */
    char msg[160];
    size_t text_len;
    char text[]; /* the entry's strings, NUL-separated; wiped after use */
};

/* The entries one thread queued between audit_defer_begin and audit_defer_end. */
struct defer_group {
    unsigned pending; /* queued, not yet committed (under the batcher's mutex) */
    int rc;           /* the first failure, else GN_OK */
    int ended;        /* audit_defer_end ran: done may be called */
    void (*done)(void *ctx, int rc);
    void *ctx;
    struct defer_group *next_fire;
};

/* Deferral state of the calling thread (audit_defer_begin/end). */
static _Thread_local int tl_defer;
static _Thread_local struct defer_group *tl_group;
static _Thread_local struct audit_batcher *tl_batcher;

struct audit_batcher {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    pthread_t thread;
    struct catalog *cat;
    const struct pseudonym *key;
    struct batch_item *head, *tail;
    uint64_t n_entries, n_batches;
    int stop;
};

static void *batch_main(void *arg)
{
    struct audit_batcher *b = arg;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        struct batch_item *list, *it, *next;
        struct gn_err err = GN_ERR_INIT;
        uint64_t n = 0;
        int rc;
        while (!b->head && !b->stop)
            pthread_cond_wait(&b->work, &b->mu);
        if (!b->head) break;
        list = b->head;
        b->head = b->tail = NULL;
        pthread_mutex_unlock(&b->mu);

        /* the items stay ours until marked done below */
        rc = db_begin(catalog_db(b->cat), &err);
        for (it = list; it && rc == GN_OK; it = it->next) {
            rc = append_direct(b->cat, b->key, &it->e, &err);
            n++;
        }
        if (rc == GN_OK) {
            rc = db_commit(catalog_db(b->cat), &err);
        } else {
            db_rollback(catalog_db(b->cat));
        }

        struct defer_group *fire = NULL;
        int waiters = 0;
        pthread_mutex_lock(&b->mu);
        if (rc == GN_OK) {
            b->n_entries += n;
            b->n_batches++;
        }
        for (it = list; it; it = next) {
            next = it->next;
            if (it->group) {
                struct defer_group *g = it->group;
                if (rc < 0 && g->rc == GN_OK) g->rc = rc;
                if (--g->pending == 0 && g->ended) {
                    g->next_fire = fire;
                    fire = g;
                }
                sodium_memzero(it->text, it->text_len); /* subjects are pseudonyms */
                gn_free(it);
                continue;
            }
            it->rc = rc;
            if (rc < 0) (void)snprintf(it->msg, sizeof it->msg, "%.150s", err.msg);
            it->done = 1;
            waiters = 1;
        }
        if (waiters) pthread_cond_broadcast(&b->done);
        pthread_mutex_unlock(&b->mu);
        /* deferred callers learn the outcome outside the lock */
        while (fire) {
            struct defer_group *g = fire;
            fire = g->next_fire;
            g->done(g->ctx, g->rc);
            gn_free(g);
        }
        pthread_mutex_lock(&b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

static int batch_append(struct audit_batcher *b, const struct audit_entry *e, struct gn_err *err)
{
    const char *f[7] = {e->actor,   e->role,   e->purpose, e->action,
                        e->outcome, e->detail, e->subjects};
    size_t len[7], total = 0;
    struct batch_item *it;
    char *p;
    int rc;

    for (int i = 0; i < 7; i++) {
        len[i] = f[i] ? strlen(f[i]) : 0;
        total += len[i] + 1;
    }
    if (!(it = gn_malloc(sizeof *it + total))) return gn_errf(err, GN_ENOMEM, "out of memory");
    memset(it, 0, sizeof *it);
    p = it->text;
    const char **dst[7] = {&it->e.actor,   &it->e.role,   &it->e.purpose, &it->e.action,
                           &it->e.outcome, &it->e.detail, &it->e.subjects};
    for (int i = 0; i < 7; i++) {
        if (len[i]) memcpy(p, f[i], len[i]);
        p[len[i]] = '\0';
        *dst[i] = p;
        p += len[i] + 1;
    }
    it->e.records = e->records;
    it->text_len = total;

    if (tl_defer) {
        if (!tl_group) {
            if (!(tl_group = gn_calloc(1, sizeof *tl_group))) {
                gn_free(it);
                return gn_errf(err, GN_ENOMEM, "out of memory");
            }
            tl_batcher = b;
        } else if (tl_batcher != b) {
            gn_free(it);
            return gn_errf(err, GN_EINTERNAL, "audit: one deferral spans two audit writers");
        }
        it->group = tl_group;
    }
    pthread_mutex_lock(&b->mu);
    if (b->tail)
        b->tail->next = it;
    else
        b->head = it;
    b->tail = it;
    pthread_cond_signal(&b->work);
    if (it->group) { /* the writer owns the item now */
        it->group->pending++;
        pthread_mutex_unlock(&b->mu);
        return GN_OK;
    }
    while (!it->done)
        pthread_cond_wait(&b->done, &b->mu);
    pthread_mutex_unlock(&b->mu);
    rc = it->rc < 0 ? gn_errf(err, it->rc, "audit append: %s", it->msg) : GN_OK;
    sodium_memzero(it->text, it->text_len); /* subjects are pseudonyms */
    gn_free(it);
    return rc;
}
int audit_batcher_start(struct audit_batcher **out, const char *target, const struct pseudonym *key,
                        struct gn_err *err)
{
    struct audit_batcher *b = gn_calloc(1, sizeof *b);
    int rc;
    *out = NULL;
    if (!b) return gn_errf(err, GN_ENOMEM, "out of memory");
    b->key = key;
    if ((rc = catalog_open(&b->cat, target, err)) < 0) {
        gn_free(b);
        return rc;
    }
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->work, NULL);
    pthread_cond_init(&b->done, NULL);
    if (pthread_create(&b->thread, NULL, batch_main, b) != 0) {
        catalog_close(b->cat);
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->work);
        pthread_cond_destroy(&b->done);
        gn_free(b);
        return gn_errf(err, GN_ENOMEM, "cannot start the audit writer thread");
    }
    *out = b;
    return GN_OK;
}

void audit_defer_begin(void)
{
    tl_defer = 1;
    tl_group = NULL;
    tl_batcher = NULL;
}

int audit_defer_end(void (*done)(void *ctx, int rc), void *ctx, int *rc)
{
    struct defer_group *g = tl_group;
    struct audit_batcher *b = tl_batcher;
    tl_defer = 0;
    tl_group = NULL;
    tl_batcher = NULL;
    *rc = GN_OK;
    if (!g) return 0;
    pthread_mutex_lock(&b->mu);
    g->ended = 1;
    if (g->pending == 0) {
        pthread_mutex_unlock(&b->mu);
        *rc = g->rc;
        gn_free(g);
        return 0;
    }
    g->done = done;
    g->ctx = ctx;
    pthread_mutex_unlock(&b->mu);
    return 1;
}

void audit_batcher_attach(struct audit_batcher *b, struct catalog *c)
{
    catalog_set_audit_sink(c, b);
}

void audit_batcher_stats(struct audit_batcher *b, uint64_t *entries, uint64_t *batches)
{
    pthread_mutex_lock(&b->mu);
    *entries = b->n_entries;
    *batches = b->n_batches;
    pthread_mutex_unlock(&b->mu);
}

void audit_batcher_stop(struct audit_batcher *b)
{
    if (!b) return;
    pthread_mutex_lock(&b->mu);
    b->stop = 1;
    pthread_cond_signal(&b->work);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->thread, NULL);
    catalog_close(b->cat);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->work);
    pthread_cond_destroy(&b->done);
    gn_free(b);
}
