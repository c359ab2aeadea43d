/*
 * audit.c — the hash-chained audit log (audit.h).
 */
#include "audit.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"

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

int audit_append(struct catalog *c, const struct pseudonym *key, const struct audit_entry *in,
                 struct gn_err *err)
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
