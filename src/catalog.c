/*
 * catalog.c — the catalog interface and its SQLite backend.
 *
 * Every statement is prepared with bound parameters; nothing is built by printf.
 * Migrations are an ordered list of SQL scripts; schema_version records how many ran.
 */
#include "catalog.h"

#include <sqlite3.h>
#include <string.h>
#include <time.h>

#include "alloc.h"

struct catalog {
    sqlite3 *db;
};

static const char *const migrations[] = {
    /* 1: samples and batches */
    "CREATE TABLE batches(name TEXT PRIMARY KEY, first_sample INTEGER NOT NULL,"
    " n_samples INTEGER NOT NULL, added_at TEXT NOT NULL);"
    "CREATE TABLE samples(id INTEGER PRIMARY KEY, pseudonym TEXT NOT NULL UNIQUE,"
    " batch TEXT NOT NULL REFERENCES batches(name), added_at TEXT NOT NULL, withdrawn_at TEXT);",
};

static int sql_err(struct catalog *c, struct gn_err *err, const char *what)
{
    int code = sqlite3_errcode(c->db);
    int rc = code == SQLITE_BUSY || code == SQLITE_LOCKED ? GN_EBUSY
             : code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? GN_ECORRUPT
             : code == SQLITE_CONSTRAINT ? GN_EEXIST
             : code == SQLITE_NOMEM ? GN_ENOMEM : GN_EIO;
    return gn_errf(err, rc, "catalog: %s: %s", what, sqlite3_errmsg(c->db));
}

static int exec(struct catalog *c, const char *sql, struct gn_err *err)
{
    if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK) return sql_err(c, err, sql);
    return GN_OK;
}

static void now_iso(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int migrate(struct catalog *c, struct gn_err *err)
{
    sqlite3_stmt *st = NULL;
    int version = 0, rc;
    const int n = (int)(sizeof migrations / sizeof migrations[0]);

    if ((rc = exec(c, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)", err)) < 0)
        return rc;
    if (sqlite3_prepare_v2(c->db, "SELECT max(version) FROM schema_version", -1, &st, NULL) !=
        SQLITE_OK)
        return sql_err(c, err, "reading schema version");
    if (sqlite3_step(st) == SQLITE_ROW) version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > n)
        return gn_errf(err, GN_EFORMAT, "catalog schema %d is newer than this build (%d)", version, n);
    for (int v = version; v < n; v++) {
        if ((rc = exec(c, "BEGIN IMMEDIATE", err)) < 0) return rc;
        if ((rc = exec(c, migrations[v], err)) < 0) {
            catalog_rollback(c);
            return rc;
        }
        if (sqlite3_prepare_v2(c->db, "INSERT INTO schema_version VALUES(?)", -1, &st, NULL) !=
            SQLITE_OK) {
            catalog_rollback(c);
            return sql_err(c, err, "schema version");
        }
        sqlite3_bind_int(st, 1, v + 1);
        rc = sqlite3_step(st) == SQLITE_DONE ? GN_OK : sql_err(c, err, "schema version");
        sqlite3_finalize(st);
        if (rc < 0 || (rc = exec(c, "COMMIT", err)) < 0) {
            catalog_rollback(c);
            return rc;
        }
    }
    return GN_OK;
}

int catalog_open(struct catalog **out, const char *path, struct gn_err *err)
{
    struct catalog *c;
    int rc;

    *out = NULL;
    if (!(c = gn_calloc(1, sizeof *c))) return gn_errf(err, GN_ENOMEM, "out of memory");
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = gn_errf(err, GN_EIO, "catalog %s: %s", path,
                     c->db ? sqlite3_errmsg(c->db) : "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(c->db, 5000);
    if ((rc = exec(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
                   err)) < 0)
        goto fail;
    if ((rc = migrate(c, err)) < 0) goto fail;
    *out = c;
    return GN_OK;
fail:
    catalog_close(c);
    return rc;
}

void catalog_close(struct catalog *c)
{
    if (!c) return;
    sqlite3_close(c->db);
    gn_free(c);
}

int catalog_begin(struct catalog *c, struct gn_err *err) { return exec(c, "BEGIN IMMEDIATE", err); }
int catalog_commit(struct catalog *c, struct gn_err *err) { return exec(c, "COMMIT", err); }
void catalog_rollback(struct catalog *c)
{
    if (c && !sqlite3_get_autocommit(c->db)) sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Runs one statement with up to three bound values: 'i' integer, 't' text. */
static int run(struct catalog *c, const char *sql, const char *types, const void *a,
               const void *b, const void *d, struct gn_err *err)
{
    sqlite3_stmt *st = NULL;
    const void *args[3] = {a, b, d};
    int rc;

    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) return sql_err(c, err, sql);
    for (int i = 0; types[i]; i++) {
        if (types[i] == 'i') sqlite3_bind_int64(st, i + 1, *(const int64_t *)args[i]);
        else sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_TRANSIENT);
    }
    rc = sqlite3_step(st);
    rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? GN_OK : sql_err(c, err, sql);
    sqlite3_finalize(st);
    return rc;
}

int catalog_purge_uncommitted(struct catalog *c, uint32_t next_sample, struct gn_err *err)
{
    int64_t n = next_sample;
    int rc = run(c, "DELETE FROM samples WHERE id >= ?", "i", &n, NULL, NULL, err);
    if (rc == GN_OK)
        rc = run(c, "DELETE FROM batches WHERE first_sample >= ?", "i", &n, NULL, NULL, err);
    return rc;
}

int catalog_batch_add(struct catalog *c, const char *name, uint32_t first, uint32_t n,
                      struct gn_err *err)
{
    char now[32], sql[] = "INSERT INTO batches(name, first_sample, n_samples, added_at) "
                          "VALUES(?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ','now'))";
    sqlite3_stmt *st = NULL;
    int rc;

    now_iso(now);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) return sql_err(c, err, sql);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, first);
    sqlite3_bind_int64(st, 3, n);
    rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT)
        rc = gn_errf(err, GN_EEXIST, "batch '%s' already exists in the store", name);
    else rc = rc == SQLITE_DONE ? GN_OK : sql_err(c, err, "adding batch");
    sqlite3_finalize(st);
    return rc;
}

int catalog_sample_add(struct catalog *c, uint32_t id, const char *pseudonym, const char *batch,
                       struct gn_err *err)
{
    char now[32];
    int64_t i = id;
    now_iso(now);
    return run(c, "INSERT INTO samples(id, pseudonym, batch, added_at) VALUES(?, ?, ?, "
                  "strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
               "itt", &i, pseudonym, batch, err);
}

int catalog_sample_lookup(struct catalog *c, const char *pseudonym, uint32_t *id, int *withdrawn,
                          struct gn_err *err)
{
    static const char sql[] = "SELECT id, withdrawn_at IS NOT NULL FROM samples WHERE pseudonym = ?";
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) return sql_err(c, err, sql);
    sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = (uint32_t)sqlite3_column_int64(st, 0);
        if (withdrawn) *withdrawn = sqlite3_column_int(st, 1);
        rc = GN_OK;
    } else if (rc == SQLITE_DONE) {
        rc = gn_errf(err, GN_ENOTFOUND, "sample not found");
    } else {
        rc = sql_err(c, err, "sample lookup");
    }
    sqlite3_finalize(st);
    return rc;
}

int catalog_sample_pseudonym(struct catalog *c, uint32_t id, char *out, size_t cap,
                             struct gn_err *err)
{
    static const char sql[] = "SELECT pseudonym FROM samples WHERE id = ?";
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) return sql_err(c, err, sql);
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *p = sqlite3_column_text(st, 0);
        size_t n = p ? strlen((const char *)p) : 0;
        if (n >= cap) n = cap - 1;
        memcpy(out, p ? (const char *)p : "", n);
        out[n] = '\0';
        rc = GN_OK;
    } else {
        rc = rc == SQLITE_DONE ? gn_errf(err, GN_ENOTFOUND, "sample %u not in catalog", id)
                               : sql_err(c, err, "sample pseudonym");
    }
    sqlite3_finalize(st);
    return rc;
}

int catalog_sample_withdraw(struct catalog *c, uint32_t id, struct gn_err *err)
{
    int64_t i = id;
    return run(c, "UPDATE samples SET withdrawn_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') "
                  "WHERE id = ? AND withdrawn_at IS NULL",
               "i", &i, NULL, NULL, err);
}
