/*
 * db.h — one small SQL interface over two engines: SQLite (embedded) and PostgreSQL.
 *
 * The catalog writes its SQL once, in the common dialect both engines accept, with '?'
 * placeholders; db turns them into $1..$n for PostgreSQL. Values travel as text or 64-bit
 * integers only (hashes are stored hex-encoded), which keeps the two engines' type
 * systems out of the callers. Schema scripts may use two tokens that differ between the
 * engines: {ID} (an auto-numbered integer primary key) and {NOW} (the current UTC time as
 * 'YYYY-MM-DDTHH:MM:SSZ' text).
 *
 * Errors map onto err.h: a unique or foreign-key violation is GN_EEXIST / GN_ECONFLICT, a
 * lock timeout or serialization failure GN_EBUSY, everything else GN_EIO; the message
 * carries the engine's text.
 *
 * Target strings: "sqlite:PATH" or a bare path for SQLite; "postgresql://..." or
 * "postgres://..." (a libpq URI) for PostgreSQL.
 *
 * Ownership: db_open returns an owned handle (db_close); a statement belongs to its
 * handle and is released with db_finalize. Column text stays valid until the next
 * db_step or db_finalize. Thread safety: one thread at a time per handle.
 */
#ifndef GN_DB_H
#define GN_DB_H

#include <stdint.h>

#include "err.h"

enum db_engine { DB_SQLITE, DB_POSTGRES };

struct db;
struct db_stmt;

GN_MUST_CHECK int db_open(struct db **out, const char *target, struct gn_err *err);
void db_close(struct db *db);
enum db_engine db_engine(const struct db *db);

/* Runs one or more statements without parameters ({ID} and {NOW} are expanded). */
GN_MUST_CHECK int db_exec(struct db *db, const char *sql, struct gn_err *err);

/* Transactions. db_begin takes the write lock at once (SQLite BEGIN IMMEDIATE; for
 * PostgreSQL a transaction-scoped advisory lock), so writers queue instead of failing.
 * db_rollback is safe to call when no transaction is open. */
GN_MUST_CHECK int db_begin(struct db *db, struct gn_err *err);
GN_MUST_CHECK int db_commit(struct db *db, struct gn_err *err);
/* A read transaction (no writer lock): consistent reads, one lock acquisition. */
GN_MUST_CHECK int db_begin_read(struct db *db, struct gn_err *err);
void db_rollback(struct db *db);
int db_in_transaction(const struct db *db);

GN_MUST_CHECK int db_prepare(struct db *db, const char *sql, struct db_stmt **out,
                             struct gn_err *err);
/* Parameters are numbered from 1; text is copied. */
GN_MUST_CHECK int db_bind_text(struct db_stmt *st, int i, const char *v);
GN_MUST_CHECK int db_bind_i64(struct db_stmt *st, int i, int64_t v);
GN_MUST_CHECK int db_bind_null(struct db_stmt *st, int i);
/* 1 when a row is ready, 0 when done, < 0 on error. */
GN_MUST_CHECK int db_step(struct db_stmt *st, struct gn_err *err);
/* Columns are numbered from 0. Text is NULL for SQL NULL. */
const char *db_col_text(struct db_stmt *st, int i);
int64_t db_col_i64(struct db_stmt *st, int i);
int db_col_null(struct db_stmt *st, int i);
/* Rows changed by the last completed INSERT/UPDATE/DELETE of st. */
int64_t db_changes(struct db_stmt *st);
/* Resets st for another execution with new bindings. */
void db_reset(struct db_stmt *st);
void db_finalize(struct db_stmt *st);

/*
 * Convenience: prepares sql, binds args described by types ('t' const char *, 'i'
 * int64_t, 'n' null), runs it to completion. Returns the number of changed rows (>= 0) or
 * an error. Arguments are passed as pointers: text as const char *, integers as
 * const int64_t *.
 */
GN_MUST_CHECK int db_run(struct db *db, const char *sql, const char *types, const void *const *args,
                         struct gn_err *err);

#endif
