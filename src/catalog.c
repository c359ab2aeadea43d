/*
 * catalog.c — the catalog interface (catalog.h) over db.h.
 *
 * Every statement is prepared with bound parameters; nothing is built by printf.
 * Migrations are an ordered list of SQL scripts, with an engine-specific variant where
 * the two dialects differ; schema_version records how many ran.
 */
#include "catalog.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "db.h"

#define STMT_CACHE 4

struct catalog {
    struct db *db;
    /* Prepared statements of the per-sample hot paths (ingest of 10^5 samples), keyed by
     * the address of their SQL text; reset after each use so no read stays open. */
    const char *cache_sql[STMT_CACHE];
    struct db_stmt *cache_st[STMT_CACHE];
    void *audit_sink;
};

struct migration {
    const char *sql; /* both engines, or SQLite only when pg is set */
    const char *pg;  /* PostgreSQL variant, NULL when sql serves both */
};

/* Migration 5's triggers: any row change in a table that access decisions read bumps
 * catalog_state.generation (see catalog_generation). */
#define GEN_BUMP_SQLITE(t)                                                                         \
    "CREATE TRIGGER gen_" t "_ins AFTER INSERT ON " t                                              \
    " BEGIN UPDATE catalog_state SET generation = generation + 1; END;"                            \
    "CREATE TRIGGER gen_" t "_upd AFTER UPDATE ON " t                                              \
    " BEGIN UPDATE catalog_state SET generation = generation + 1; END;"                            \
    "CREATE TRIGGER gen_" t "_del AFTER DELETE ON " t                                              \
    " BEGIN UPDATE catalog_state SET generation = generation + 1; END;"
#define GEN_BUMP_PG(t)                                                                             \
    "CREATE TRIGGER gen_" t " AFTER INSERT OR UPDATE OR DELETE ON " t                              \
    " FOR EACH STATEMENT EXECUTE FUNCTION catalog_bump();"
/* clang-format off */
#define GEN_TRIGGERS(X)                                                                            \
    X("samples") X("individuals") X("datasets") X("consent_events") X("users") X("projects")     \
    X("project_members") X("tokens") X("grants") X("settings")
/* clang-format on */

/* clang-format off */
#define MIGRATION_6                                                                                \
    "ALTER TABLE datasets ADD COLUMN matchmaking INTEGER NOT NULL DEFAULT 0;"                       \
    "CREATE TABLE phenopackets(individual_id BIGINT PRIMARY KEY REFERENCES individuals(id),"       \
    " dataset_id BIGINT REFERENCES datasets(id), imported_at TEXT NOT NULL, actor TEXT NOT NULL);" \
    "CREATE TABLE phenotypes(individual_id BIGINT NOT NULL REFERENCES individuals(id),"            \
    " term TEXT NOT NULL, label TEXT NOT NULL, excluded INTEGER NOT NULL,"                         \
    " onset TEXT NOT NULL DEFAULT '');"                                                            \
    "CREATE INDEX phenotypes_by_individual ON phenotypes(individual_id);"                          \
    "CREATE INDEX phenotypes_by_term ON phenotypes(term);"                                         \
    "CREATE TABLE diagnoses(individual_id BIGINT NOT NULL REFERENCES individuals(id),"             \
    " disease TEXT NOT NULL, label TEXT NOT NULL);"                                                \
    "CREATE INDEX diagnoses_by_individual ON diagnoses(individual_id);"                            \
    "CREATE TABLE pheno_variants(individual_id BIGINT NOT NULL REFERENCES individuals(id),"        \
    " gene TEXT NOT NULL, gene_id TEXT NOT NULL, assembly TEXT NOT NULL, chrom TEXT NOT NULL,"     \
    " pos BIGINT NOT NULL, ref TEXT NOT NULL, alt TEXT NOT NULL, zygosity TEXT NOT NULL,"          \
    " hgvs TEXT NOT NULL);"                                                                        \
    "CREATE INDEX pheno_variants_by_individual ON pheno_variants(individual_id);"
#define GEN_PHENO(X) X("phenopackets") X("phenotypes")
#define MIGRATION_7                                                                                \
    "CREATE TABLE cohorts(id {ID}, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL,"          \
    " phenotypes TEXT NOT NULL, diagnoses TEXT NOT NULL, created_at TEXT NOT NULL,"                \
    " actor TEXT NOT NULL);"
#define MIGRATION_8                                                                                \
    "CREATE TABLE matchmaking_choices(id {ID},"                                                    \
    " individual_id BIGINT NOT NULL REFERENCES individuals(id), at TEXT NOT NULL,"                 \
    " allowed INTEGER NOT NULL CHECK (allowed IN (0, 1)), actor TEXT NOT NULL);"                   \
    "CREATE INDEX matchmaking_by_individual ON matchmaking_choices(individual_id, id);"
#define MIGRATION_9                                                                                \
    "ALTER TABLE diagnoses ADD COLUMN onset TEXT NOT NULL DEFAULT '';"                              \
    "ALTER TABLE phenopackets ADD COLUMN age_last TEXT NOT NULL DEFAULT '';"
/* clang-format on */

static const struct migration migrations[] = {
    /* 1: samples and batches */
    {"CREATE TABLE batches(name TEXT PRIMARY KEY, first_sample INTEGER NOT NULL,"
     " n_samples INTEGER NOT NULL, added_at TEXT NOT NULL);"
     "CREATE TABLE samples(id INTEGER PRIMARY KEY, pseudonym TEXT NOT NULL UNIQUE,"
     " batch TEXT NOT NULL REFERENCES batches(name), added_at TEXT NOT NULL, withdrawn_at TEXT);",
     NULL},
    /* 2: governance — individuals, datasets, consent history, users, projects, tokens,
     * grants, settings and the audit log */
    {"CREATE TABLE individuals(id {ID}, pseudonym TEXT NOT NULL UNIQUE, sex TEXT NOT NULL,"
     " year_of_birth INTEGER, referral_group TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL);"
     "CREATE TABLE datasets(id {ID}, name TEXT NOT NULL UNIQUE, terms TEXT NOT NULL,"
     " description TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL);"
     "ALTER TABLE samples ADD COLUMN individual_id BIGINT REFERENCES individuals(id);"
     "ALTER TABLE samples ADD COLUMN dataset_id BIGINT REFERENCES datasets(id);"
     "CREATE INDEX samples_by_individual ON samples(individual_id);"
     "CREATE TABLE consent_events(id {ID},"
     " individual_id BIGINT NOT NULL REFERENCES individuals(id), at TEXT NOT NULL,"
     " kind TEXT NOT NULL CHECK (kind IN ('clinical','research','withdrawn')),"
     " terms TEXT NOT NULL DEFAULT '', actor TEXT NOT NULL);"
     "CREATE INDEX consent_by_individual ON consent_events(individual_id, id);"
     "CREATE TABLE users(id {ID}, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL CHECK (role IN"
     " ('steward','clinician','researcher','peer-node','citizen','auditor')),"
     " individual TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, disabled_at TEXT);"
     "CREATE TABLE projects(id {ID}, name TEXT NOT NULL UNIQUE, purpose TEXT NOT NULL,"
     " approval TEXT NOT NULL, expires TEXT NOT NULL, created_at TEXT NOT NULL);"
     "CREATE TABLE project_members(project_id BIGINT NOT NULL REFERENCES projects(id),"
     " user_id BIGINT NOT NULL REFERENCES users(id), PRIMARY KEY (project_id, user_id));"
     "CREATE TABLE tokens(id {ID}, user_id BIGINT NOT NULL REFERENCES users(id),"
     " hash TEXT NOT NULL UNIQUE, label TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL,"
     " expires_at TEXT NOT NULL DEFAULT '', revoked_at TEXT);"
     "CREATE TABLE grants(user_id BIGINT NOT NULL DEFAULT 0, project_id BIGINT NOT NULL DEFAULT 0,"
     " dataset_id BIGINT NOT NULL REFERENCES datasets(id), granularity TEXT NOT NULL,"
     " granted_at TEXT NOT NULL, PRIMARY KEY (user_id, project_id, dataset_id));"
     "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
     "CREATE TABLE audit(seq BIGINT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,"
     " role TEXT NOT NULL, purpose TEXT NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL,"
     " records BIGINT NOT NULL, detail TEXT NOT NULL, subjects TEXT NOT NULL,"
     " prev TEXT NOT NULL, hash TEXT NOT NULL);"
     "CREATE INDEX audit_by_actor ON audit(actor);",
     NULL},
    /* 3: the audit log is append-only for the database as well */
    {"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
     " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
     "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
     " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
     "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
     " $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;"
     "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit"
     " FOR EACH ROW EXECUTE FUNCTION audit_append_only();"},
    /* 4: which store segment holds each sample (refreshed by ingest and compaction; the
     * store's manifest stays authoritative) */
    {"ALTER TABLE samples ADD COLUMN segment BIGINT;", NULL},
    /* 5: each dataset's Beacon security level, and a generation number that every change
     * to what access decisions read bumps (triggers), so decisions can be cached safely */
    {"ALTER TABLE datasets ADD COLUMN access TEXT NOT NULL DEFAULT 'controlled'"
     " CHECK (access IN ('public','registered','controlled'));"
     "CREATE TABLE catalog_state(id INTEGER PRIMARY KEY, generation BIGINT NOT NULL);"
     "INSERT INTO catalog_state VALUES(1, 0);" GEN_TRIGGERS(GEN_BUMP_SQLITE),
     "ALTER TABLE datasets ADD COLUMN access TEXT NOT NULL DEFAULT 'controlled'"
     " CHECK (access IN ('public','registered','controlled'));"
     "CREATE TABLE catalog_state(id INTEGER PRIMARY KEY, generation BIGINT NOT NULL);"
     "INSERT INTO catalog_state VALUES(1, 0);"
     "CREATE FUNCTION catalog_bump() RETURNS trigger LANGUAGE plpgsql AS"
     " $$ BEGIN UPDATE catalog_state SET generation = generation + 1; RETURN NULL; END "
     "$$;" GEN_TRIGGERS(GEN_BUMP_PG)},
    /* 6: phenotypes from phenopackets (observed and excluded HPO terms, diagnoses, the
     * genes and variants of the interpretation), one record per individual, and the
     * per-dataset matchmaking flag (Matchmaker Exchange, policy_matchmaking) */
    {MIGRATION_6 GEN_PHENO(GEN_BUMP_SQLITE), MIGRATION_6 GEN_PHENO(GEN_BUMP_PG)},
    /* 7: named cohorts defined by phenotype and diagnosis criteria (Beacon /cohorts, the
     * data commands' --cohort); criteria only, never a list of people */
    {MIGRATION_7 GEN_BUMP_SQLITE("cohorts"), MIGRATION_7 GEN_BUMP_PG("cohorts")},
    /* 8: each person's own say on Matchmaker Exchange (append-only; the newest row is the
     * current choice), beside their clinical or research consent (policy_matchmaking) */
    {MIGRATION_8 GEN_BUMP_SQLITE("matchmaking_choices"),
     MIGRATION_8 GEN_BUMP_PG("matchmaking_choices")},
    /* 9: from phenopackets, each diagnosis's onset and the subject's age at the last
     * encounter (the onset a disease ranking reads; exported again) */
    {MIGRATION_9, NULL},
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

static void cpy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap) n = cap - 1;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

/* Prepares sql and binds args ('t' text, 'i' int64_t *, 'n' null). */
static int prep(struct catalog *c, const char *sql, const char *types, const void *const *args,
                struct db_stmt **st, struct gn_err *err)
{
    int rc;
    if ((rc = db_prepare(c->db, sql, st, err)) < 0) return rc;
    for (int i = 0; types && types[i]; i++) {
        if (types[i] == 't') {
            rc = db_bind_text(*st, i + 1, args[i]);
        } else if (types[i] == 'i') {
            rc = db_bind_i64(*st, i + 1, *(const int64_t *)args[i]);
        } else {
            rc = db_bind_null(*st, i + 1);
        }
        if (rc < 0) {
            db_finalize(*st);
            *st = NULL;
            return gn_errf(err, rc, "catalog: cannot bind parameter %d", i + 1);
        }
    }
    return GN_OK;
}

/* As prep, through the statement cache (sql must be a string literal); the statement is the
 * cache's: callers db_reset it when done, never finalize it. */
static int prep_cached(struct catalog *c, const char *sql, const char *types,
                       const void *const *args, struct db_stmt **st, struct gn_err *err)
{
    int i, rc;
    for (i = 0; i < STMT_CACHE && c->cache_sql[i] && c->cache_sql[i] != sql; i++) {
    }
    if (i == STMT_CACHE) return gn_errf(err, GN_EINTERNAL, "catalog: statement cache full");
    if (!c->cache_sql[i]) {
        if ((rc = db_prepare(c->db, sql, &c->cache_st[i], err)) < 0) return rc;
        c->cache_sql[i] = sql;
    }
    *st = c->cache_st[i];
    db_reset(*st);
    for (int k = 0; types && types[k]; k++) {
        if (types[k] == 't')
            rc = db_bind_text(*st, k + 1, args[k]);
        else if (types[k] == 'i')
            rc = db_bind_i64(*st, k + 1, *(const int64_t *)args[k]);
        else
            rc = db_bind_null(*st, k + 1);
        if (rc < 0) return gn_errf(err, rc, "catalog: cannot bind parameter %d", k + 1);
    }
    return GN_OK;
}

static const char SQL_SAMPLE_LOOKUP[] =
    "SELECT id, CASE WHEN withdrawn_at IS NULL THEN 0 ELSE 1 END FROM samples WHERE pseudonym = ?";
static const char SQL_SAMPLE_NAMES[] =
    "SELECT s.pseudonym, i.pseudonym FROM samples s LEFT JOIN individuals i"
    " ON i.id = s.individual_id WHERE s.id = ?";
void catalog_set_audit_sink(struct catalog *c, void *sink)
{
    c->audit_sink = sink;
}

void *catalog_audit_sink(struct catalog *c)
{
    return c->audit_sink;
}

static const char SQL_GENERATION[] = "SELECT generation FROM catalog_state WHERE id = 1";
static const char SQL_SAMPLE_ADD[] =
    "INSERT INTO samples(id, pseudonym, batch, individual_id, dataset_id, added_at)"
    " VALUES(?,?,?,?,?,{NOW})";

static int run(struct catalog *c, const char *sql, const char *types, const void *const *args,
               struct gn_err *err)
{
    return db_run(c->db, sql, types, args, err);
}

/* Runs a query expected to return at most one row: fill(st, out) and GN_OK, GN_ENOTFOUND
 * when there is none (err left for the caller to word), or an error. */
static int get_one(struct catalog *c, const char *sql, const char *types, const void *const *args,
                   void (*fill)(struct db_stmt *st, void *out), void *out, struct gn_err *err)
{
    struct db_stmt *st = NULL;
    int rc = prep(c, sql, types, args, &st, err);
    if (rc < 0) return rc;
    if ((rc = db_step(st, err)) == 1) {
        fill(st, out);
        rc = GN_OK;
    } else if (rc == 0) {
        rc = GN_ENOTFOUND;
    }
    db_finalize(st);
    return rc;
}

static int migrate(struct catalog *c, struct gn_err *err)
{
    struct db_stmt *st = NULL;
    int64_t version = 0;
    int rc;

    if ((rc = db_exec(c->db, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)",
                      err)) < 0) {
        return rc;
    }
    if ((rc = db_begin(c->db, err)) < 0) return rc;
    if ((rc = prep(c, "SELECT max(version) FROM schema_version", NULL, NULL, &st, err)) < 0) {
        goto fail;
    }
    if ((rc = db_step(st, err)) < 0) goto fail;
    version = rc == 1 ? db_col_i64(st, 0) : 0;
    db_finalize(st);
    st = NULL;
    if (version > N_MIGRATIONS) {
        rc = gn_errf(err, GN_EFORMAT, "catalog schema %lld is newer than this build (%d)",
                     (long long)version, N_MIGRATIONS);
        goto fail;
    }
    for (int64_t v = version; v < N_MIGRATIONS; v++) {
        const struct migration *m = &migrations[v];
        int64_t nv = v + 1;
        const void *a[] = {&nv};
        const char *sql = db_engine(c->db) == DB_POSTGRES && m->pg ? m->pg : m->sql;
        if ((rc = db_exec(c->db, sql, err)) < 0) {
            gn_err_prefix(err, rc, "catalog migration %lld", (long long)nv);
            goto fail;
        }
        if ((rc = run(c, "INSERT INTO schema_version VALUES(?)", "i", a, err)) < 0) goto fail;
    }
    return db_commit(c->db, err);
fail:
    db_finalize(st);
    db_rollback(c->db);
    return rc;
}

int catalog_open(struct catalog **out, const char *target, struct gn_err *err)
{
    struct catalog *c;
    int rc;

    *out = NULL;
    if (!(c = gn_calloc(1, sizeof *c))) return gn_errf(err, GN_ENOMEM, "out of memory");
    if ((rc = db_open(&c->db, target, err)) < 0) goto fail;
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
    for (int i = 0; i < STMT_CACHE; i++)
        db_finalize(c->cache_st[i]);
    db_close(c->db);
    gn_free(c);
}

struct db *catalog_db(struct catalog *c)
{
    return c->db;
}
int catalog_begin(struct catalog *c, struct gn_err *err)
{
    return db_begin(c->db, err);
}
int catalog_begin_read(struct catalog *c, struct gn_err *err)
{
    return db_begin_read(c->db, err);
}

int catalog_commit(struct catalog *c, struct gn_err *err)
{
    return db_commit(c->db, err);
}
void catalog_rollback(struct catalog *c)
{
    if (c) db_rollback(c->db);
}

/* ---- batches and samples ---------------------------------------------------------- */

/* The people an uncommitted batch created: each has a sample at or above next_sample, none
 * below it, a consent event written by that batch ("ingest:NAME") and no other, no
 * phenotype record and no matchmaking say. A person created by phenopacket import (no
 * sample, consent by "phenopacket-import") or known from a committed batch is never one. */
static const char SQL_PURGE_PEOPLE[] =
    "SELECT DISTINCT s.individual_id FROM samples s WHERE s.id >= ? AND s.individual_id IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM samples o WHERE o.individual_id = s.individual_id AND o.id < ?)"
    " AND EXISTS (SELECT 1 FROM consent_events e WHERE e.individual_id = s.individual_id"
    "  AND e.actor = 'ingest:' || s.batch)"
    " AND NOT EXISTS (SELECT 1 FROM consent_events e WHERE e.individual_id = s.individual_id"
    "  AND e.actor <> 'ingest:' || s.batch)"
    " AND NOT EXISTS (SELECT 1 FROM phenopackets p WHERE p.individual_id = s.individual_id)"
    " AND NOT EXISTS (SELECT 1 FROM matchmaking_choices m WHERE m.individual_id = s.individual_id)";

static int purge_people(struct catalog *c, int64_t next, int64_t **ids, size_t *n,
                        struct gn_err *err)
{
    struct db_stmt *st = NULL;
    const void *a[] = {&next, &next};
    size_t cap = 0;
    int rc = prep(c, SQL_PURGE_PEOPLE, "ii", a, &st, err);
    if (rc < 0) return rc;
    while ((rc = db_step(st, err)) == 1) {
        if (*n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            int64_t *p = gn_reallocarray(*ids, ncap, sizeof *p);
            if (!p) {
                rc = gn_errf(err, GN_ENOMEM, "out of memory");
                break;
            }
            *ids = p;
            cap = ncap;
        }
        (*ids)[(*n)++] = db_col_i64(st, 0);
    }
    db_finalize(st);
    return rc < 0 ? rc : GN_OK;
}

int catalog_purge_uncommitted(struct catalog *c, uint32_t next_sample, struct gn_err *err)
{
    int64_t next = next_sample, left = 0, *ids = NULL;
    const void *a[] = {&next}, *a2[] = {&next, &next};
    size_t n = 0;
    int rc;
    struct db_stmt *st = NULL;

    /* Nothing left behind (the usual case): no transaction, no generation change. */
    if ((rc = prep(c,
                   "SELECT (SELECT count(*) FROM samples WHERE id >= ?)"
                   " + (SELECT count(*) FROM batches WHERE first_sample >= ?)",
                   "ii", a2, &st, err)) < 0)
        return rc;
    if ((rc = db_step(st, err)) == 1) left = db_col_i64(st, 0);
    db_finalize(st);
    if (rc < 0) return rc;
    if (!left) return GN_OK;

    /* All or nothing: a purge cut short would leave people without their consent. */
    if ((rc = catalog_begin(c, err)) < 0) return rc;
    if ((rc = purge_people(c, next, &ids, &n, err)) < 0) goto fail;
    for (size_t i = 0; i < n; i++) {
        const void *p[] = {&ids[i]};
        if ((rc = run(c, "DELETE FROM consent_events WHERE individual_id = ?", "i", p, err)) < 0)
            goto fail;
    }
    if ((rc = run(c, "DELETE FROM samples WHERE id >= ?", "i", a, err)) < 0) goto fail;
    if ((rc = run(c, "DELETE FROM batches WHERE first_sample >= ?", "i", a, err)) < 0) goto fail;
    for (size_t i = 0; i < n; i++) {
        const void *p[] = {&ids[i]};
        if ((rc = run(c, "DELETE FROM individuals WHERE id = ?", "i", p, err)) < 0) goto fail;
    }
    if ((rc = catalog_commit(c, err)) < 0) goto fail;
    gn_free(ids);
    return GN_OK;
fail:
    catalog_rollback(c);
    gn_free(ids);
    return gn_err_prefix(err, rc, "cannot remove what an unfinished ingest left");
}

int catalog_batch_add(struct catalog *c, const char *name, uint32_t first, uint32_t n,
                      struct gn_err *err)
{
    int64_t f = first, k = n;
    const void *a[] = {name, &f, &k};
    int rc =
        run(c, "INSERT INTO batches(name, first_sample, n_samples, added_at) VALUES(?,?,?,{NOW})",
            "tii", a, err);
    if (rc == GN_EEXIST) {
        return gn_errf(err, GN_EEXIST, "batch '%s' already exists in the store", name);
    }
    return rc < 0 ? rc : GN_OK;
}

int catalog_sample_add(struct catalog *c, uint32_t id, const char *pseudonym, const char *batch,
                       int64_t individual, int64_t dataset, struct gn_err *err)
{
    int64_t i = id;
    const void *a[] = {&i, pseudonym, batch, &individual, &dataset};
    const char types[6] = {'i', 't', 't', individual ? 'i' : 'n', dataset ? 'i' : 'n', '\0'};
    struct db_stmt *st = NULL;
    int rc = prep_cached(c, SQL_SAMPLE_ADD, types, a, &st, err);
    if (rc == GN_OK) {
        while ((rc = db_step(st, err)) == 1) {
        }
        db_reset(st);
    }
    return rc < 0 ? rc : GN_OK;
}

int catalog_sample_lookup(struct catalog *c, const char *pseudonym, uint32_t *id, int *withdrawn,
                          struct gn_err *err)
{
    struct db_stmt *st = NULL;
    const void *a[] = {pseudonym};
    int rc = prep_cached(c, SQL_SAMPLE_LOOKUP, "t", a, &st, err);
    if (rc < 0) return rc;
    if ((rc = db_step(st, err)) == 1) {
        *id = (uint32_t)db_col_i64(st, 0);
        if (withdrawn) *withdrawn = (int)db_col_i64(st, 1);
        rc = GN_OK;
    } else if (rc == 0) {
        rc = gn_errf(err, GN_ENOTFOUND, "sample not found");
    }
    db_reset(st);
    return rc;
}

int catalog_sample_names(struct catalog *c, uint32_t id, char *sample, char *individual, size_t cap,
                         struct gn_err *err)
{
    struct db_stmt *st = NULL;
    int64_t i = id;
    const void *a[] = {&i};
    int rc = prep_cached(c, SQL_SAMPLE_NAMES, "i", a, &st, err);
    if (rc < 0) return rc;
    if ((rc = db_step(st, err)) == 1) {
        cpy(sample, cap, db_col_text(st, 0));
        cpy(individual, cap, db_col_text(st, 1));
        rc = GN_OK;
    } else if (rc == 0) {
        rc = gn_errf(err, GN_ENOTFOUND, "sample %u not in catalog", id);
    }
    db_reset(st);
    return rc;
}

int catalog_sample_set_segment(struct catalog *c, uint32_t first, uint32_t n, uint32_t segment,
                               struct gn_err *err)
{
    int64_t lo = first, hi = (int64_t)first + n, sg = segment;
    const void *a[] = {&sg, &lo, &hi};
    int rc = run(c, "UPDATE samples SET segment = ? WHERE id >= ? AND id < ?", "iii", a, err);
    return rc < 0 ? rc : GN_OK;
}

int catalog_sample_set_segment_all(struct catalog *c, int64_t segment, struct gn_err *err)
{
    const void *a[] = {&segment};
    int rc = run(
        c, "UPDATE samples SET segment = CASE WHEN withdrawn_at IS NULL THEN CAST(? AS BIGINT) END",
        "i", a, err);
    return rc < 0 ? rc : GN_OK;
}

int catalog_sample_withdraw(struct catalog *c, uint32_t id, struct gn_err *err)
{
    int64_t i = id;
    const void *a[] = {&i};
    int rc = run(c, "UPDATE samples SET withdrawn_at = {NOW} WHERE id = ? AND withdrawn_at IS NULL",
                 "i", a, err);
    return rc < 0 ? rc : GN_OK;
}

int catalog_sample_count(struct catalog *c, int64_t *all, int64_t *live, struct gn_err *err)
{
    struct db_stmt *st = NULL;
    int rc = prep(c,
                  "SELECT count(*), coalesce(sum(CASE WHEN withdrawn_at IS NULL THEN 1 ELSE 0 END),"
                  " 0) FROM samples",
                  NULL, NULL, &st, err);
    if (rc < 0) return rc;
    if ((rc = db_step(st, err)) == 1) {
        *all = db_col_i64(st, 0);
        *live = db_col_i64(st, 1);
        rc = GN_OK;
    }
    db_finalize(st);
    return rc;
}

int catalog_sample_scan(struct catalog *c,
                        int (*cb)(void *ctx, const char *pseudonym, uint32_t id, int withdrawn),
                        void *ctx, struct gn_err *err)
{
    struct db_stmt *st = NULL;
    int rc = prep(c,
                  "SELECT pseudonym, id, CASE WHEN withdrawn_at IS NULL THEN 0 ELSE 1 END"
                  " FROM samples",
                  NULL, NULL, &st, err);
    if (rc < 0) return rc;
    while ((rc = db_step(st, err)) == 1) {
        const char *ps = db_col_text(st, 0);
        if (!ps) continue;
        if ((rc = cb(ctx, ps, (uint32_t)db_col_i64(st, 1), (int)db_col_i64(st, 2))) < 0) break;
    }
    db_finalize(st);
    return rc < 0 ? rc : GN_OK;
}

int catalog_sample_each(struct catalog *c, catalog_sample_cb cb, void *ctx, struct gn_err *err)
{
    struct db_stmt *st = NULL;
    int rc = prep(c,
                  "SELECT s.id, CASE WHEN s.withdrawn_at IS NULL THEN 0 ELSE 1 END, s.pseudonym,"
                  " i.pseudonym, d.name, d.terms, ce.kind, ce.terms, d.access, i.sex"
                  " FROM samples s LEFT JOIN individuals i ON i.id = s.individual_id"
                  " LEFT JOIN datasets d ON d.id = s.dataset_id"
                  /* no subquery for samples without an individual (ingests without a
                   * manifest): the same NULL, a third less time at 100,000 samples */
                  " LEFT JOIN consent_events ce ON ce.id = (CASE WHEN s.individual_id IS NULL"
                  "  THEN NULL ELSE (SELECT max(e.id) FROM consent_events e"
                  "  WHERE e.individual_id = s.individual_id) END)"
                  " ORDER BY s.id",
                  NULL, NULL, &st, err);
    if (rc < 0) return rc;
    while ((rc = db_step(st, err)) == 1) {
        struct catalog_sample_view v;
        v.id = (uint32_t)db_col_i64(st, 0);
        v.pseudonym = db_col_text(st, 2);
        v.individual = db_col_text(st, 3);
        v.dataset = db_col_text(st, 4);
        v.dataset_terms = db_col_text(st, 5);
        v.consent = db_col_text(st, 6);
        v.consent_terms = db_col_text(st, 7);
        v.dataset_access = db_col_text(st, 8);
        v.sex = db_col_text(st, 9);
        v.withdrawn = db_col_i64(st, 1) || (v.consent && !strcmp(v.consent, "withdrawn"));
        if ((rc = cb(ctx, &v)) < 0) break;
    }
    db_finalize(st);
    return rc < 0 ? rc : GN_OK;
}

/* ---- individuals -------------------------------------------------------------------- */

static void fill_individual(struct db_stmt *st, void *out)
{
    struct catalog_individual *o = out;
    o->id = db_col_i64(st, 0);
    cpy(o->pseudonym, sizeof o->pseudonym, db_col_text(st, 1));
    cpy(o->sex, sizeof o->sex, db_col_text(st, 2));
    o->year_of_birth = (int)db_col_i64(st, 3);
    cpy(o->referral_group, sizeof o->referral_group, db_col_text(st, 4));
}

int catalog_individual_get(struct catalog *c, const char *pseudonym, struct catalog_individual *out,
                           struct gn_err *err)
{
    const void *a[] = {pseudonym};
    int rc = get_one(c,
                     "SELECT id, pseudonym, sex, coalesce(year_of_birth, 0), referral_group"
                     " FROM individuals WHERE pseudonym = ?",
                     "t", a, fill_individual, out, err);
    return rc == GN_ENOTFOUND ? gn_errf(err, rc, "no such individual") : rc;
}

int catalog_individual_add(struct catalog *c, const struct catalog_individual *ind, int64_t *id,
                           struct gn_err *err)
{
    struct db_stmt *st = NULL;
    int64_t yob = ind->year_of_birth;
    const void *a[] = {ind->pseudonym, ind->sex, &yob, ind->referral_group};
    struct catalog_individual old = {0};
    int rc;

    rc = catalog_individual_get(c, ind->pseudonym, &old, NULL);
    if (rc == GN_OK) {
        *id = old.id;
        return gn_errf(err, GN_EEXIST, "individual %s already in the catalog", ind->pseudonym);
    }
    rc = prep(c,
              "INSERT INTO individuals(pseudonym, sex, year_of_birth, referral_group, created_at)"
              " VALUES(?,?,?,?,{NOW}) RETURNING id",
              yob ? "ttit" : "ttnt", a, &st, err);
    if (rc < 0) return rc;
    if ((rc = db_step(st, err)) == 1) {
        *id = db_col_i64(st, 0);
        rc = GN_OK;
    } else if (rc == 0) {
        rc = gn_errf(err, GN_EINTERNAL, "catalog: insert returned no id");
    }
    db_finalize(st);
    return rc;
}

int catalog_individual_samples(struct catalog *c, int64_t individual, uint32_t *ids, int cap,
                               struct gn_err *err)
{
    struct db_stmt *st = NULL;
    const void *a[] = {&individual};
    int rc =
        prep(c, "SELECT id FROM samples WHERE individual_id = ? ORDER BY id", "i", a, &st, err);
    int n = 0;
    if (rc < 0) return rc;
    while ((rc = db_step(st, err)) == 1) {
        if (n < cap) ids[n++] = (uint32_t)db_col_i64(st, 0);
    }
    db_finalize(st);
    return rc < 0 ? rc : n;
}

/* ---- datasets ----------------------------------------------------------------------- */

int catalog_dataset_add(struct catalog *c, const char *name, const char *terms,
                        const char *description, struct gn_err *err)
{
    const void *a[] = {name, terms, description ? description : ""};
    /* Names are read back into CATALOG_NAME_MAX + 1 byte fields: a longer one would be cut
     * there and could then equal another dataset's name. */
    if (strlen(name) > CATALOG_NAME_MAX) {
        return gn_errf(err, GN_ELIMIT, "dataset name too long (at most %d bytes)",
                       CATALOG_NAME_MAX);
    }
    int rc =
        run(c, "INSERT INTO datasets(name, terms, description, created_at) VALUES(?,?,?,{NOW})",
            "ttt", a, err);
    if (rc == GN_EEXIST) return gn_errf(err, rc, "dataset '%s' already exists", name);
    return rc < 0 ? rc : GN_OK;
}

int catalog_dataset_set_access(struct catalog *c, const char *name, const char *access,
                               struct gn_err *err)
{
    const void *a[] = {access, name};
    int rc;
    if (strcmp(access, "public") && strcmp(access, "registered") && strcmp(access, "controlled")) {
        return gn_errf(err, GN_EINVAL, "access must be public, registered or controlled, not '%s'",
                       access);
    }
    if ((rc = run(c, "UPDATE datasets SET access = ? WHERE name = ?", "tt", a, err)) < 0) return rc;
    return rc == 0 ? gn_errf(err, GN_ENOTFOUND, "no dataset '%s'", name) : GN_OK;
}

int catalog_generation(struct catalog *c, int64_t *gen, struct gn_err *err)
{
    struct db_stmt *st = NULL;
    int rc = prep_cached(c, SQL_GENERATION, NULL, NULL, &st, err);
    if (rc < 0) return rc;
    if ((rc = db_step(st, err)) == 1) {
        *gen = db_col_i64(st, 0);
        rc = GN_OK;
    } else if (rc == 0) {
        rc = gn_errf(err, GN_ECORRUPT, "catalog: catalog_state row missing");
    }
    db_reset(st);
    return rc;
}

static void fill_dataset(struct db_stmt *st, void *out)
{
    struct catalog_dataset *o = out;
    o->id = db_col_i64(st, 0);
    cpy(o->name, sizeof o->name, db_col_text(st, 1));
    cpy(o->terms, sizeof o->terms, db_col_text(st, 2));
    cpy(o->description, sizeof o->description, db_col_text(st, 3));
    cpy(o->access, sizeof o->access, db_col_text(st, 4));
}

int catalog_dataset_get(struct catalog *c, const char *name, struct catalog_dataset *out,
                        struct gn_err *err)
{
    const void *a[] = {name};
    int rc = get_one(c, "SELECT id, name, terms, description, access FROM datasets WHERE name = ?",
                     "t", a, fill_dataset, out, err);
    return rc == GN_ENOTFOUND ? gn_errf(err, rc, "no dataset '%s'", name) : rc;
}

int catalog_dataset_each(struct catalog *c, catalog_dataset_cb cb, void *ctx, struct gn_err *err)
{
    struct db_stmt *st = NULL;
    int rc = prep(c, "SELECT id, name, terms, description, access FROM datasets ORDER BY name",
                  NULL, NULL, &st, err);
    if (rc < 0) return rc;
    while ((rc = db_step(st, err)) == 1) {
        struct catalog_dataset d;
        fill_dataset(st, &d);
        if ((rc = cb(ctx, &d)) < 0) break;
    }
    db_finalize(st);
    return rc < 0 ? rc : GN_OK;
}

/* ---- consent ------------------------------------------------------------------------ */

int catalog_consent_add(struct catalog *c, int64_t individual, const char *kind, const char *terms,
                        const char *actor, struct gn_err *err)
{
    const void *a[] = {&individual, kind, terms ? terms : "", actor};
    int rc = run(c,
                 "INSERT INTO consent_events(individual_id, at, kind, terms, actor)"
                 " VALUES(?,{NOW},?,?,?)",
                 "ittt", a, err);
    return rc < 0 ? rc : GN_OK;
}

static void fill_consent(struct db_stmt *st, void *out)
{
    struct catalog_consent *o = out;
    o->id = db_col_i64(st, 0);
    cpy(o->at, sizeof o->at, db_col_text(st, 1));
    cpy(o->kind, sizeof o->kind, db_col_text(st, 2));
    cpy(o->terms, sizeof o->terms, db_col_text(st, 3));
    cpy(o->actor, sizeof o->actor, db_col_text(st, 4));
}

int catalog_consent_current(struct catalog *c, int64_t individual, struct catalog_consent *out,
                            struct gn_err *err)
{
    const void *a[] = {&individual};
    int rc = get_one(c,
                     "SELECT id, at, kind, terms, actor FROM consent_events WHERE individual_id = ?"
                     " ORDER BY id DESC LIMIT 1",
                     "i", a, fill_consent, out, err);
    return rc == GN_ENOTFOUND ? gn_errf(err, rc, "no consent on record") : rc;
}

int catalog_consent_each(struct catalog *c, int64_t individual, catalog_consent_cb cb, void *ctx,
                         struct gn_err *err)
{
    struct db_stmt *st = NULL;
    const void *a[] = {&individual};
    int rc = prep(c,
                  "SELECT id, at, kind, terms, actor FROM consent_events WHERE individual_id = ?"
                  " ORDER BY id",
                  "i", a, &st, err);
    if (rc < 0) return rc;
    while ((rc = db_step(st, err)) == 1) {
        struct catalog_consent e;
        fill_consent(st, &e);
        if ((rc = cb(ctx, &e)) < 0) break;
    }
    db_finalize(st);
    return rc < 0 ? rc : GN_OK;
}

int catalog_matchmaking_choice_add(struct catalog *c, int64_t individual, int allowed,
                                   const char *actor, struct gn_err *err)
{
    int64_t v = allowed ? 1 : 0;
    const void *a[] = {&individual, &v, actor};
    int rc = run(c,
                 "INSERT INTO matchmaking_choices(individual_id, at, allowed, actor)"
                 " VALUES(?,{NOW},?,?)",
                 "iit", a, err);
    return rc < 0 ? rc : GN_OK;
}

static void fill_choice(struct db_stmt *st, void *out)
{
    struct catalog_consent *o = out;
    o->id = db_col_i64(st, 0);
    cpy(o->at, sizeof o->at, db_col_text(st, 1));
    cpy(o->kind, sizeof o->kind, "matchmaking");
    cpy(o->terms, sizeof o->terms, db_col_i64(st, 2) ? "yes" : "no");
    cpy(o->actor, sizeof o->actor, db_col_text(st, 3));
}

int catalog_matchmaking_choice_get(struct catalog *c, int64_t individual,
                                   struct catalog_consent *out, struct gn_err *err)
{
    const void *a[] = {&individual};
    return get_one(c,
                   "SELECT id, at, allowed, actor FROM matchmaking_choices WHERE individual_id = ?"
                   " ORDER BY id DESC LIMIT 1",
                   "i", a, fill_choice, out, err);
}

/* ---- projects ----------------------------------------------------------------------- */

int catalog_project_add(struct catalog *c, const struct catalog_project *p, struct gn_err *err)
{
    const void *a[] = {p->name, p->purpose, p->approval, p->expires};
    int rc = run(c,
                 "INSERT INTO projects(name, purpose, approval, expires, created_at)"
                 " VALUES(?,?,?,?,{NOW})",
                 "tttt", a, err);
    if (rc == GN_EEXIST) return gn_errf(err, rc, "project '%s' already exists", p->name);
    return rc < 0 ? rc : GN_OK;
}

static void fill_project(struct db_stmt *st, void *out)
{
    struct catalog_project *o = out;
    o->id = db_col_i64(st, 0);
    cpy(o->name, sizeof o->name, db_col_text(st, 1));
    cpy(o->purpose, sizeof o->purpose, db_col_text(st, 2));
    cpy(o->approval, sizeof o->approval, db_col_text(st, 3));
    cpy(o->expires, sizeof o->expires, db_col_text(st, 4));
}

int catalog_project_get(struct catalog *c, const char *name, struct catalog_project *out,
                        struct gn_err *err)
{
    const void *a[] = {name};
    int rc = get_one(c, "SELECT id, name, purpose, approval, expires FROM projects WHERE name = ?",
                     "t", a, fill_project, out, err);
    return rc == GN_ENOTFOUND ? gn_errf(err, rc, "no project '%s'", name) : rc;
}

int catalog_project_member_add(struct catalog *c, int64_t project, int64_t user, struct gn_err *err)
{
    const void *a[] = {&project, &user};
    int rc = run(c, "INSERT INTO project_members(project_id, user_id) VALUES(?,?)", "ii", a, err);
    return rc < 0 ? rc : GN_OK;
}

int catalog_project_is_member(struct catalog *c, int64_t project, int64_t user, struct gn_err *err)
{
    struct db_stmt *st = NULL;
    const void *a[] = {&project, &user};
    int rc = prep(c, "SELECT 1 FROM project_members WHERE project_id = ? AND user_id = ?", "ii", a,
                  &st, err);
    if (rc < 0) return rc;
    rc = db_step(st, err);
    db_finalize(st);
    return rc;
}

/* ---- users, tokens, grants ------------------------------------------------------------ */

static const char USER_COLS[] =
    "SELECT id, name, role, individual, CASE WHEN disabled_at IS NULL THEN 0 ELSE 1 END FROM users";

static void fill_user(struct db_stmt *st, void *out)
{
    struct catalog_user *o = out;
    o->id = db_col_i64(st, 0);
    cpy(o->name, sizeof o->name, db_col_text(st, 1));
    cpy(o->role, sizeof o->role, db_col_text(st, 2));
    cpy(o->individual, sizeof o->individual, db_col_text(st, 3));
    o->disabled = (int)db_col_i64(st, 4);
}

int catalog_user_add(struct catalog *c, const struct catalog_user *u, int64_t *id,
                     struct gn_err *err)
{
    struct db_stmt *st = NULL;
    const void *a[] = {u->name, u->role, u->individual};
    int rc = prep(c,
                  "INSERT INTO users(name, role, individual, created_at) VALUES(?,?,?,{NOW})"
                  " RETURNING id",
                  "ttt", a, &st, err);
    if (rc < 0) return rc;
    if ((rc = db_step(st, err)) == 1) {
        if (id) *id = db_col_i64(st, 0);
        rc = GN_OK;
    } else if (rc == GN_EEXIST) {
        rc = gn_errf(err, rc, "user '%s' already exists", u->name);
    } else if (rc == GN_ECONFLICT) {
        rc = gn_errf(err, GN_EINVAL, "unknown role '%s'", u->role);
    }
    db_finalize(st);
    return rc;
}

static int user_get(struct catalog *c, const char *where, const char *type, const void *arg,
                    struct catalog_user *out, struct gn_err *err)
{
    char sql[256];
    const void *a[] = {arg};
    int rc;
    (void)snprintf(sql, sizeof sql, "%s WHERE %s", USER_COLS, where); /* fixed text, fits */
    rc = get_one(c, sql, type, a, fill_user, out, err);
    return rc == GN_ENOTFOUND ? gn_errf(err, rc, "no such user") : rc;
}

int catalog_user_get(struct catalog *c, const char *name, struct catalog_user *out,
                     struct gn_err *err)
{
    int rc = user_get(c, "name = ?", "t", name, out, err);
    if (rc == GN_ENOTFOUND) return gn_errf(err, rc, "no user '%s'", name);
    return rc;
}

int catalog_user_get_id(struct catalog *c, int64_t id, struct catalog_user *out, struct gn_err *err)
{
    return user_get(c, "id = ?", "i", &id, out, err);
}

int catalog_user_each(struct catalog *c, catalog_user_cb cb, void *ctx, struct gn_err *err)
{
    struct db_stmt *st = NULL;
    char sql[256];
    int rc;
    (void)snprintf(sql, sizeof sql, "%s ORDER BY name", USER_COLS); /* fixed text, fits */
    if ((rc = prep(c, sql, NULL, NULL, &st, err)) < 0) return rc;
    while ((rc = db_step(st, err)) == 1) {
        struct catalog_user u;
        fill_user(st, &u);
        if ((rc = cb(ctx, &u)) < 0) break;
    }
    db_finalize(st);
    return rc < 0 ? rc : GN_OK;
}

int catalog_token_add(struct catalog *c, int64_t user, const char *hash, const char *label,
                      const char *expires, int64_t *id, struct gn_err *err)
{
    struct db_stmt *st = NULL;
    const void *a[] = {&user, hash, label ? label : "", expires ? expires : ""};
    int rc = prep(c,
                  "INSERT INTO tokens(user_id, hash, label, expires_at, created_at)"
                  " VALUES(?,?,?,?,{NOW}) RETURNING id",
                  "itt"
                  "t",
                  a, &st, err);
    if (rc < 0) return rc;
    if ((rc = db_step(st, err)) == 1) {
        if (id) *id = db_col_i64(st, 0);
        rc = GN_OK;
    }
    db_finalize(st);
    return rc;
}

static void fill_token(struct db_stmt *st, void *out)
{
    struct catalog_token *o = out;
    o->id = db_col_i64(st, 0);
    o->user = db_col_i64(st, 1);
    cpy(o->label, sizeof o->label, db_col_text(st, 2));
    cpy(o->expires, sizeof o->expires, db_col_text(st, 3));
    o->revoked = (int)db_col_i64(st, 4);
}

int catalog_token_find(struct catalog *c, const char *hash, struct catalog_token *out,
                       struct gn_err *err)
{
    const void *a[] = {hash};
    int rc = get_one(c,
                     "SELECT id, user_id, label, expires_at,"
                     " CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END FROM tokens WHERE hash = ?",
                     "t", a, fill_token, out, err);
    return rc == GN_ENOTFOUND ? gn_errf(err, rc, "unknown token") : rc;
}

int catalog_token_revoke(struct catalog *c, int64_t id, struct gn_err *err)
{
    const void *a[] = {&id};
    int rc = run(c, "UPDATE tokens SET revoked_at = {NOW} WHERE id = ? AND revoked_at IS NULL", "i",
                 a, err);
    if (rc == 0) return gn_errf(err, GN_ENOTFOUND, "no live token %lld", (long long)id);
    return rc < 0 ? rc : GN_OK;
}

static const char *const gran_names[] = {"none", "boolean", "count", "record"};

const char *catalog_granularity_name(enum catalog_granularity g)
{
    return (unsigned)g < 4 ? gran_names[g] : "none";
}

int catalog_granularity_parse(const char *s, enum catalog_granularity *g)
{
    for (int i = 1; i < 4; i++) {
        if (!strcmp(s, gran_names[i])) {
            *g = (enum catalog_granularity)i;
            return GN_OK;
        }
    }
    return GN_EINVAL;
}

int catalog_grant_set(struct catalog *c, int64_t user, int64_t project, int64_t dataset,
                      enum catalog_granularity g, struct gn_err *err)
{
    const void *a[] = {&user, &project, &dataset, catalog_granularity_name(g)};
    int rc = run(c, "DELETE FROM grants WHERE user_id = ? AND project_id = ? AND dataset_id = ?",
                 "iii", a, err);
    if (rc < 0 || g == GRAN_NONE) return rc < 0 ? rc : GN_OK;
    rc = run(c,
             "INSERT INTO grants(user_id, project_id, dataset_id, granularity, granted_at)"
             " VALUES(?,?,?,?,{NOW})",
             "iiit", a, err);
    return rc < 0 ? rc : GN_OK;
}

int catalog_grant_each(struct catalog *c, int64_t user, int64_t project, catalog_grant_cb cb,
                       void *ctx, struct gn_err *err)
{
    struct db_stmt *st = NULL;
    const void *a[] = {&user, &project};
    int rc =
        prep(c,
             "SELECT d.name, g.granularity FROM grants g JOIN datasets d ON d.id = g.dataset_id"
             " WHERE (g.user_id = ? AND g.user_id <> 0 AND g.project_id = 0)"
             " OR (g.project_id = ? AND g.project_id <> 0 AND g.user_id = 0) ORDER BY d.name",
             "ii", a, &st, err);
    if (rc < 0) return rc;
    while ((rc = db_step(st, err)) == 1) {
        enum catalog_granularity g = GRAN_NONE;
        if (catalog_granularity_parse(db_col_text(st, 1), &g) < 0) continue;
        if ((rc = cb(ctx, db_col_text(st, 0), g)) < 0) break;
    }
    db_finalize(st);
    return rc < 0 ? rc : GN_OK;
}

/* ---- settings ----------------------------------------------------------------------- */

int catalog_setting_get(struct catalog *c, const char *key, char *out, size_t cap,
                        struct gn_err *err)
{
    struct db_stmt *st = NULL;
    const void *a[] = {key};
    int rc = prep(c, "SELECT value FROM settings WHERE key = ?", "t", a, &st, err);
    if (rc < 0) return rc;
    if ((rc = db_step(st, err)) == 1) {
        cpy(out, cap, db_col_text(st, 0));
        rc = GN_OK;
    } else if (rc == 0) {
        rc = gn_errf(err, GN_ENOTFOUND, "setting '%s' not set", key);
    }
    db_finalize(st);
    return rc;
}

int catalog_setting_set(struct catalog *c, const char *key, const char *value, struct gn_err *err)
{
    const void *a[] = {key, value};
    int rc = run(c, "DELETE FROM settings WHERE key = ?", "t", a, err);
    if (rc >= 0) rc = run(c, "INSERT INTO settings(key, value) VALUES(?,?)", "tt", a, err);
    return rc < 0 ? rc : GN_OK;
}

/* ---- phenotypes (phenopackets) ------------------------------------------------------ */

int catalog_dataset_set_matchmaking(struct catalog *c, const char *name, int on, struct gn_err *err)
{
    int64_t v = on ? 1 : 0;
    const void *a[] = {&v, name};
    int rc = run(c, "UPDATE datasets SET matchmaking = ? WHERE name = ?", "it", a, err);
    if (rc < 0) return rc;
    return rc == 0 ? gn_errf(err, GN_ENOTFOUND, "no dataset '%s'", name) : GN_OK;
}

/* ---- cohorts ------------------------------------------------------------------------ */

int catalog_cohort_add(struct catalog *c, const struct catalog_cohort *x, const char *actor,
                       struct gn_err *err)
{
    const void *a[] = {x->name, x->description, x->phenotypes, x->diagnoses, actor};
    if (!x->name[0] || strlen(x->name) > CATALOG_NAME_MAX) {
        return gn_errf(err, GN_EINVAL, "a cohort name has 1 to %d bytes", CATALOG_NAME_MAX);
    }
    int rc = run(c,
                 "INSERT INTO cohorts(name, description, phenotypes, diagnoses, created_at, actor)"
                 " VALUES(?,?,?,?,{NOW},?)",
                 "ttttt", a, err);
    if (rc == GN_EEXIST) return gn_errf(err, rc, "cohort '%s' already exists", x->name);
    return rc < 0 ? rc : GN_OK;
}

static void fill_cohort(struct db_stmt *st, void *out)
{
    struct catalog_cohort *o = out;
    o->id = db_col_i64(st, 0);
    cpy(o->name, sizeof o->name, db_col_text(st, 1));
    cpy(o->description, sizeof o->description, db_col_text(st, 2));
    cpy(o->phenotypes, sizeof o->phenotypes, db_col_text(st, 3));
    cpy(o->diagnoses, sizeof o->diagnoses, db_col_text(st, 4));
    cpy(o->created_at, sizeof o->created_at, db_col_text(st, 5));
}

#define COHORT_COLS "SELECT id, name, description, phenotypes, diagnoses, created_at FROM cohorts"

int catalog_cohort_get(struct catalog *c, const char *name, struct catalog_cohort *out,
                       struct gn_err *err)
{
    const void *a[] = {name};
    int rc = get_one(c, COHORT_COLS " WHERE name = ?", "t", a, fill_cohort, out, err);
    return rc == GN_ENOTFOUND ? gn_errf(err, rc, "no cohort '%.128s'", name) : rc;
}

int catalog_cohort_each(struct catalog *c, catalog_cohort_cb cb, void *ctx, struct gn_err *err)
{
    struct db_stmt *st = NULL;
    int rc = prep(c, COHORT_COLS " ORDER BY name", NULL, NULL, &st, err);
    if (rc < 0) return rc;
    while ((rc = db_step(st, err)) == 1) {
        struct catalog_cohort x;
        fill_cohort(st, &x);
        if ((rc = cb(ctx, &x)) < 0) break;
    }
    db_finalize(st);
    return rc < 0 ? rc : GN_OK;
}

int catalog_cohort_drop(struct catalog *c, const char *name, struct gn_err *err)
{
    const void *a[] = {name};
    int rc = run(c, "DELETE FROM cohorts WHERE name = ?", "t", a, err);
    if (rc < 0) return rc;
    return rc == 0 ? gn_errf(err, GN_ENOTFOUND, "no cohort '%.128s'", name) : GN_OK;
}

int catalog_pheno_replace(struct catalog *c, const struct catalog_pheno *p, const char *actor,
                          struct gn_err *err)
{
    const void *id[] = {&p->individual};
    int rc;
    static const char *const del[] = {"DELETE FROM phenotypes WHERE individual_id = ?",
                                      "DELETE FROM diagnoses WHERE individual_id = ?",
                                      "DELETE FROM pheno_variants WHERE individual_id = ?",
                                      "DELETE FROM phenopackets WHERE individual_id = ?"};
    for (size_t i = 0; i < sizeof del / sizeof del[0]; i++)
        if ((rc = run(c, del[i], "i", id, err)) < 0) return rc;
    {
        const void *a[] = {&p->individual, &p->dataset, actor, p->age_last ? p->age_last : ""};
        rc = run(c,
                 "INSERT INTO phenopackets(individual_id, dataset_id, imported_at, actor, age_last)"
                 " VALUES(?,?,{NOW},?,?)",
                 p->dataset ? "iitt" : "intt", a, err);
        if (rc < 0) return rc;
    }
    for (size_t i = 0; i < p->n_ph; i++) {
        const struct catalog_phenotype *t = &p->ph[i];
        int64_t ex = t->excluded ? 1 : 0;
        const void *a[] = {&p->individual, t->term, t->label ? t->label : "", &ex,
                           t->onset ? t->onset : ""};
        if ((rc = run(c,
                      "INSERT INTO phenotypes(individual_id, term, label, excluded, onset)"
                      " VALUES(?,?,?,?,?)",
                      "ittit", a, err)) < 0)
            return rc;
    }
    for (size_t i = 0; i < p->n_dx; i++) {
        const struct catalog_diagnosis *x = &p->dx[i];
        const void *a[] = {&p->individual, x->disease, x->label ? x->label : "",
                           x->onset ? x->onset : ""};
        if ((rc = run(c,
                      "INSERT INTO diagnoses(individual_id, disease, label, onset) VALUES(?,?,?,?)",
                      "ittt", a, err)) < 0)
            return rc;
    }
    for (size_t i = 0; i < p->n_var; i++) {
        const struct catalog_pheno_variant *v = &p->var[i];
#define S(x) ((x) ? (x) : "")
        const void *a[] = {&p->individual, S(v->gene), S(v->gene_id), S(v->assembly), S(v->chrom),
                           &v->pos,        S(v->ref),  S(v->alt),     S(v->zygosity), S(v->hgvs)};
#undef S
        if ((rc = run(c,
                      "INSERT INTO pheno_variants(individual_id, gene, gene_id, assembly, chrom,"
                      " pos, ref, alt, zygosity, hgvs) VALUES(?,?,?,?,?,?,?,?,?,?)",
                      "ittttitttt", a, err)) < 0)
            return rc;
    }
    return GN_OK;
}

static void fill_i64(struct db_stmt *st, void *out)
{
    *(int64_t *)out = db_col_i64(st, 0);
}

/* The one integer sql selects for key into *out; 0 when there is no row. */
static int i64_or_0(struct catalog *c, const char *sql, int64_t key, int64_t *out,
                    struct gn_err *err)
{
    const void *a[] = {&key};
    int rc = get_one(c, sql, "i", a, fill_i64, out, err);
    if (rc == GN_ENOTFOUND) *out = 0;
    return rc == GN_ENOTFOUND ? GN_OK : rc;
}

int catalog_sample_dataset(struct catalog *c, uint32_t sample, int64_t *ds, struct gn_err *err)
{
    return i64_or_0(c, "SELECT coalesce(dataset_id, 0) FROM samples WHERE id = ?", sample, ds, err);
}

int catalog_phenopacket_dataset(struct catalog *c, int64_t individual, int64_t *ds,
                                struct gn_err *err)
{
    return i64_or_0(c, "SELECT coalesce(dataset_id, 0) FROM phenopackets WHERE individual_id = ?",
                    individual, ds, err);
}

int catalog_phenopacket_each(struct catalog *c, catalog_phenopacket_cb cb, void *ctx,
                             struct gn_err *err)
{
    struct db_stmt *st = NULL;
    int rc = prep(c,
                  "SELECT p.individual_id, i.pseudonym, i.sex, d.name,"
                  " coalesce(d.matchmaking, 0), ce.kind, ce.terms, coalesce(mc.allowed, -1),"
                  " p.age_last"
                  " FROM phenopackets p JOIN individuals i ON i.id = p.individual_id"
                  " LEFT JOIN datasets d ON d.id = p.dataset_id"
                  " LEFT JOIN consent_events ce ON ce.id = (SELECT max(e.id) FROM consent_events e"
                  "  WHERE e.individual_id = p.individual_id)"
                  " LEFT JOIN matchmaking_choices mc ON mc.id = (SELECT max(m.id)"
                  "  FROM matchmaking_choices m WHERE m.individual_id = p.individual_id)"
                  " ORDER BY p.individual_id",
                  NULL, NULL, &st, err);
    if (rc < 0) return rc;
    while ((rc = db_step(st, err)) == 1) {
        struct catalog_phenopacket_view v;
        v.individual = db_col_i64(st, 0);
        v.pseudonym = db_col_text(st, 1);
        v.sex = db_col_text(st, 2);
        v.dataset = db_col_text(st, 3);
        v.matchmaking = (int)db_col_i64(st, 4);
        v.consent = db_col_text(st, 5);
        v.consent_terms = db_col_text(st, 6);
        v.mm_choice = (int)db_col_i64(st, 7);
        v.age_last = db_col_text(st, 8);
        if (!v.pseudonym) continue;
        if ((rc = cb(ctx, &v)) < 0) break;
    }
    db_finalize(st);
    return rc < 0 ? rc : GN_OK;
}

int catalog_pheno_rows(struct catalog *c, int64_t individual, catalog_pheno_row_cb cb, void *ctx,
                       struct gn_err *err)
{
    struct db_stmt *st = NULL;
    const void *a[] = {&individual, &individual};
    /* one statement: the three kinds of row, in insertion order within each. One person's
     * rows through the individual_id indexes: "? = 0 OR individual_id = ?" would read the
     * whole tables every time (the plan cannot depend on the value bound). */
#define PHENO_P                                                                                    \
    "SELECT individual_id, 'p', term, label, excluded, onset, '', '', '', 0, '', ''"               \
    " FROM phenotypes"
#define PHENO_D                                                                                    \
    "SELECT individual_id, 'd', disease, label, 0, onset, '', '', '', 0, '', '' FROM diagnoses"
#define PHENO_V                                                                                    \
    "SELECT individual_id, gene, gene_id, assembly, chrom, pos, ref, alt, zygosity, hgvs"          \
    " FROM pheno_variants"
#define ONE " WHERE individual_id = ?"
    int rc = individual ? prep(c, PHENO_P ONE " UNION ALL " PHENO_D ONE, "ii", a, &st, err)
                        : prep(c, PHENO_P " UNION ALL " PHENO_D, "", NULL, &st, err);
    if (rc < 0) return rc;
    while ((rc = db_step(st, err)) == 1) {
        struct catalog_pheno_row r = {0};
        r.individual = db_col_i64(st, 0);
        r.kind = db_col_text(st, 1) ? db_col_text(st, 1)[0] : 'p';
        r.a = db_col_text(st, 2);
        r.b = db_col_text(st, 3);
        r.excluded = (int)db_col_i64(st, 4);
        r.onset = db_col_text(st, 5);
        if (!r.a) continue;
        if ((rc = cb(ctx, &r)) < 0) break;
    }
    db_finalize(st);
    if (rc < 0) return rc;
    {
        struct db_stmt *sv = NULL;
        const void *b[] = {&individual};
        rc = individual ? prep(c, PHENO_V ONE, "i", b, &sv, err)
                        : prep(c, PHENO_V, "", NULL, &sv, err);
#undef PHENO_P
#undef PHENO_D
#undef PHENO_V
#undef ONE
        if (rc < 0) return rc;
        while ((rc = db_step(sv, err)) == 1) {
            struct catalog_pheno_row r = {0};
            r.individual = db_col_i64(sv, 0);
            r.kind = 'v';
            r.a = db_col_text(sv, 1);
            r.b = db_col_text(sv, 2);
            r.var.gene = r.a;
            r.var.gene_id = r.b;
            r.var.assembly = db_col_text(sv, 3);
            r.var.chrom = db_col_text(sv, 4);
            r.var.pos = db_col_i64(sv, 5);
            r.var.ref = db_col_text(sv, 6);
            r.var.alt = db_col_text(sv, 7);
            r.var.zygosity = db_col_text(sv, 8);
            r.var.hgvs = db_col_text(sv, 9);
            if (!r.a) continue;
            if ((rc = cb(ctx, &r)) < 0) break;
        }
        db_finalize(sv);
    }
    return rc < 0 ? rc : GN_OK;
}
