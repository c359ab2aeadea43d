/*
 * catalog.h — all metadata of a node, behind one interface: batches, samples,
 * individuals, datasets, consent, projects, users, API tokens, grants, settings, and
 * the storage of the audit log (whose chaining lives in audit.h).
 *
 * Two engines sit behind it through db.h: SQLite (embedded default, WAL) and PostgreSQL
 * (several server processes sharing one node). The SQL is written once; schema changes
 * are numbered migrations applied at open, inside a transaction, under the writer lock.
 *
 * No clear identifier is ever stored: individuals and samples are known by keyed-HMAC
 * pseudonyms (pseudonym.h); API tokens only by their SHA-256.
 *
 * Crash consistency with the store: the store's manifest is the commit point. Sample
 * rows are written before the manifest commit; rows whose id is not below the
 * manifest's next_sample belong to an ingest that never committed and are purged by
 * the next writer (catalog_purge_uncommitted), with the individuals only they created.
 *
 * Ownership: catalog_open returns an owned handle (catalog_close). Strings passed in are
 * borrowed; structs filled by the catalog hold fixed-size copies. Thread safety: one
 * thread at a time per handle; open one per thread.
 */
#ifndef GN_CATALOG_H
#define GN_CATALOG_H

#include <stdint.h>

#include "err.h"

struct db;
struct catalog;

/* Opens (and migrates) the catalog at target: a SQLite path or a PostgreSQL URI (db.h). */
GN_MUST_CHECK int catalog_open(struct catalog **c, const char *target, struct gn_err *err);
void catalog_close(struct catalog *c);
/* The underlying connection, for modules that keep their own tables (audit). */
struct db *catalog_db(struct catalog *c);

/* An opaque appender the audit module routes this handle's audit entries through (a
 * server's group commit, audit_batcher_attach); NULL by default. The catalog only keeps
 * the pointer. */
void catalog_set_audit_sink(struct catalog *c, void *sink);
void *catalog_audit_sink(struct catalog *c);

/* The catalog's generation: a number that grows with every change to samples,
 * individuals, datasets, consent, users, projects, members, tokens, grants or settings
 * (database triggers, so changes by other processes count too). Equal generations mean an
 * access decision made in between still holds. */
GN_MUST_CHECK int catalog_generation(struct catalog *c, int64_t *gen, struct gn_err *err);
GN_MUST_CHECK int catalog_begin(struct catalog *c, struct gn_err *err);
/* A read-only stretch of many lookups: one snapshot and one lock instead of one per
 * statement. End it with catalog_commit (or catalog_rollback). */
GN_MUST_CHECK int catalog_begin_read(struct catalog *c, struct gn_err *err);
GN_MUST_CHECK int catalog_commit(struct catalog *c, struct gn_err *err);
void catalog_rollback(struct catalog *c);

/* ---- batches and samples ---------------------------------------------------------- */

/* Deletes sample and batch rows of ingests that never committed (id >= next_sample) and
 * the people those ingests created (with their consent events), in one transaction.
 * People with a phenotype record, a matchmaking say, another consent event or a
 * committed sample stay (phenopacket import creates people without samples). */
GN_MUST_CHECK int catalog_purge_uncommitted(struct catalog *c, uint32_t next_sample,
                                            struct gn_err *err);
/* Records a batch; GN_EEXIST when the name is taken. */
GN_MUST_CHECK int catalog_batch_add(struct catalog *c, const char *name, uint32_t first_sample,
                                    uint32_t n_samples, struct gn_err *err);
/* individual and dataset are catalog ids, 0 when unknown (ingest without a manifest). */
GN_MUST_CHECK int catalog_sample_add(struct catalog *c, uint32_t id, const char *pseudonym,
                                     const char *batch, int64_t individual, int64_t dataset,
                                     struct gn_err *err);
/* Looks a pseudonym up: GN_ENOTFOUND when unknown; *withdrawn 1 when withdrawn. */
GN_MUST_CHECK int catalog_sample_lookup(struct catalog *c, const char *pseudonym, uint32_t *id,
                                        int *withdrawn, struct gn_err *err);
/* Calls cb for every sample (pseudonym borrowed for the call, global id, withdrawn flag),
 * in no particular order; a negative return from cb stops the walk and is returned. One
 * table scan: cheaper than tens of thousands of catalog_sample_lookup calls. */
GN_MUST_CHECK int catalog_sample_scan(struct catalog *c,
                                      int (*cb)(void *ctx, const char *pseudonym, uint32_t id,
                                                int withdrawn),
                                      void *ctx, struct gn_err *err);
/* Writes the pseudonym of sample id and of its individual ("" when none is recorded) into
 * sample and individual (cap bytes each, at least 32). One statement, kept prepared: exports
 * call it for every sample they name. */
GN_MUST_CHECK int catalog_sample_names(struct catalog *c, uint32_t id, char *sample,
                                       char *individual, size_t cap, struct gn_err *err);
GN_MUST_CHECK int catalog_sample_withdraw(struct catalog *c, uint32_t id, struct gn_err *err);
/* Records that samples [first, first + n) live in store segment `segment`. */
GN_MUST_CHECK int catalog_sample_set_segment(struct catalog *c, uint32_t first, uint32_t n,
                                             uint32_t segment, struct gn_err *err);
/* After a compaction into one segment: every live sample is there; withdrawn ones nowhere. */
GN_MUST_CHECK int catalog_sample_set_segment_all(struct catalog *c, int64_t segment,
                                                 struct gn_err *err);
/* Number of samples (committed or not) and of those not withdrawn. */
GN_MUST_CHECK int catalog_sample_count(struct catalog *c, int64_t *all, int64_t *live,
                                       struct gn_err *err);

/* What policy needs to know of every sample, in one pass. Strings are NULL when absent. */
struct catalog_sample_view {
    uint32_t id;
    int withdrawn;              /* sample withdrawn or its individual's consent withdrawn */
    const char *pseudonym;      /* the sample's */
    const char *individual;     /* the individual's pseudonym */
    const char *dataset;        /* dataset name */
    const char *dataset_terms;  /* the dataset's DUO terms */
    const char *consent;        /* current consent kind: "clinical", "research", "withdrawn" */
    const char *consent_terms;  /* DUO terms of a research consent */
    const char *dataset_access; /* "public", "registered", "controlled"; NULL without dataset */
    const char *sex;            /* the individual's; NULL without individual */
};
typedef int (*catalog_sample_cb)(void *ctx, const struct catalog_sample_view *v);
/* Calls cb for every sample in id order; a negative return from cb stops and is returned. */
GN_MUST_CHECK int catalog_sample_each(struct catalog *c, catalog_sample_cb cb, void *ctx,
                                      struct gn_err *err);

/* ---- individuals -------------------------------------------------------------------- */

#define CATALOG_NAME_MAX  128
#define CATALOG_TERMS_MAX 512

struct catalog_individual {
    int64_t id;
    char pseudonym[32];
    char sex[16];      /* "male", "female", "other", "unknown" */
    int year_of_birth; /* 0 when unknown */
    char referral_group[CATALOG_NAME_MAX + 1];
};

/* Adds an individual; GN_EEXIST (with *id set to the existing row) when the pseudonym is
 * known. */
GN_MUST_CHECK int catalog_individual_add(struct catalog *c, const struct catalog_individual *ind,
                                         int64_t *id, struct gn_err *err);
GN_MUST_CHECK int catalog_individual_get(struct catalog *c, const char *pseudonym,
                                         struct catalog_individual *out, struct gn_err *err);
/* Sample ids of an individual, into ids (cap entries); returns the count or an error. */
GN_MUST_CHECK int catalog_individual_samples(struct catalog *c, int64_t individual, uint32_t *ids,
                                             int cap, struct gn_err *err);

/* ---- datasets ----------------------------------------------------------------------- */

struct catalog_dataset {
    int64_t id;
    char name[CATALOG_NAME_MAX + 1];
    char terms[CATALOG_TERMS_MAX + 1]; /* DUO data-use terms, canonical form */
    char description[256];
    char access[16]; /* Beacon security level: "public", "registered" or "controlled" */
};

GN_MUST_CHECK int catalog_dataset_add(struct catalog *c, const char *name, const char *terms,
                                      const char *description, struct gn_err *err);
GN_MUST_CHECK int catalog_dataset_get(struct catalog *c, const char *name,
                                      struct catalog_dataset *out, struct gn_err *err);
/* Sets a dataset's security level: "public" (anonymous callers, at the granularity of the
 * setting public_granularity), "registered" (any authenticated caller, counts) or
 * "controlled" (grants only, the default). */
GN_MUST_CHECK int catalog_dataset_set_access(struct catalog *c, const char *name,
                                             const char *access, struct gn_err *err);
typedef int (*catalog_dataset_cb)(void *ctx, const struct catalog_dataset *d);
GN_MUST_CHECK int catalog_dataset_each(struct catalog *c, catalog_dataset_cb cb, void *ctx,
                                       struct gn_err *err);

/* ---- consent (append-only history; the newest event is the current state) ----------- */

struct catalog_consent {
    int64_t id;
    char at[32];
    char kind[16];                     /* "clinical", "research", "withdrawn" */
    char terms[CATALOG_TERMS_MAX + 1]; /* research: DUO terms; else empty */
    char actor[CATALOG_NAME_MAX + 1];
};

GN_MUST_CHECK int catalog_consent_add(struct catalog *c, int64_t individual, const char *kind,
                                      const char *terms, const char *actor, struct gn_err *err);
/* GN_ENOTFOUND when the individual has no consent on record. */
GN_MUST_CHECK int catalog_consent_current(struct catalog *c, int64_t individual,
                                          struct catalog_consent *out, struct gn_err *err);
typedef int (*catalog_consent_cb)(void *ctx, const struct catalog_consent *e);
GN_MUST_CHECK int catalog_consent_each(struct catalog *c, int64_t individual, catalog_consent_cb cb,
                                       void *ctx, struct gn_err *err);

/* ---- projects ----------------------------------------------------------------------- */

struct catalog_project {
    int64_t id;
    char name[CATALOG_NAME_MAX + 1];
    char purpose[CATALOG_TERMS_MAX + 1]; /* DUO terms of the approved purpose */
    char approval[CATALOG_NAME_MAX + 1]; /* ethics approval reference */
    char expires[16];                    /* YYYY-MM-DD, last valid day (UTC) */
};

GN_MUST_CHECK int catalog_project_add(struct catalog *c, const struct catalog_project *p,
                                      struct gn_err *err);
GN_MUST_CHECK int catalog_project_get(struct catalog *c, const char *name,
                                      struct catalog_project *out, struct gn_err *err);
GN_MUST_CHECK int catalog_project_member_add(struct catalog *c, int64_t project, int64_t user,
                                             struct gn_err *err);
/* 1 when user is a member of project, 0 when not. */
GN_MUST_CHECK int catalog_project_is_member(struct catalog *c, int64_t project, int64_t user,
                                            struct gn_err *err);

/* ---- users, tokens, grants ------------------------------------------------------------ */

struct catalog_user {
    int64_t id;
    char name[CATALOG_NAME_MAX + 1];
    char role[16];       /* steward, clinician, researcher, peer-node, citizen, auditor */
    char individual[32]; /* citizen: the pseudonym of the person they are; else empty */
    int disabled;
};

GN_MUST_CHECK int catalog_user_add(struct catalog *c, const struct catalog_user *u, int64_t *id,
                                   struct gn_err *err);
GN_MUST_CHECK int catalog_user_get(struct catalog *c, const char *name, struct catalog_user *out,
                                   struct gn_err *err);
GN_MUST_CHECK int catalog_user_get_id(struct catalog *c, int64_t id, struct catalog_user *out,
                                      struct gn_err *err);
typedef int (*catalog_user_cb)(void *ctx, const struct catalog_user *u);
GN_MUST_CHECK int catalog_user_each(struct catalog *c, catalog_user_cb cb, void *ctx,
                                    struct gn_err *err);

struct catalog_token {
    int64_t id;
    int64_t user;
    char label[CATALOG_NAME_MAX + 1];
    char expires[32]; /* ISO time, empty for none */
    int revoked;
};

/* hash: lowercase hex SHA-256 of the token secret. */
GN_MUST_CHECK int catalog_token_add(struct catalog *c, int64_t user, const char *hash,
                                    const char *label, const char *expires, int64_t *id,
                                    struct gn_err *err);
GN_MUST_CHECK int catalog_token_find(struct catalog *c, const char *hash, struct catalog_token *out,
                                     struct gn_err *err);
/* GN_ENOTFOUND when no such token (or already revoked). */
GN_MUST_CHECK int catalog_token_revoke(struct catalog *c, int64_t id, struct gn_err *err);

enum catalog_granularity { GRAN_NONE = 0, GRAN_BOOLEAN = 1, GRAN_COUNT = 2, GRAN_RECORD = 3 };
const char *catalog_granularity_name(enum catalog_granularity g);
/* GN_EINVAL for an unknown name. */
GN_MUST_CHECK int catalog_granularity_parse(const char *s, enum catalog_granularity *g);

/* Grants dataset to a user (project 0) or a project (user 0) at granularity g. A later
 * grant of the same pair replaces the earlier one. */
GN_MUST_CHECK int catalog_grant_set(struct catalog *c, int64_t user, int64_t project,
                                    int64_t dataset, enum catalog_granularity g,
                                    struct gn_err *err);
typedef int (*catalog_grant_cb)(void *ctx, const char *dataset, enum catalog_granularity g);
/* Grants held by user directly or through project (either may be 0). */
GN_MUST_CHECK int catalog_grant_each(struct catalog *c, int64_t user, int64_t project,
                                     catalog_grant_cb cb, void *ctx, struct gn_err *err);

/* ---- settings ----------------------------------------------------------------------- */

/* Copies the value into out; GN_ENOTFOUND when unset. */
GN_MUST_CHECK int catalog_setting_get(struct catalog *c, const char *key, char *out, size_t cap,
                                      struct gn_err *err);
GN_MUST_CHECK int catalog_setting_set(struct catalog *c, const char *key, const char *value,
                                      struct gn_err *err);

/* A person's own choice on Matchmaker Exchange (allowed 1: may be offered, 0: never),
 * appended to its history; the newest is the current one (policy_matchmaking). */
GN_MUST_CHECK int catalog_matchmaking_choice_add(struct catalog *c, int64_t individual, int allowed,
                                                 const char *actor, struct gn_err *err);
/* The current choice as a consent event (kind "matchmaking", terms "yes" or "no");
 * GN_ENOTFOUND (no message) when the person never gave one. */
GN_MUST_CHECK int catalog_matchmaking_choice_get(struct catalog *c, int64_t individual,
                                                 struct catalog_consent *out, struct gn_err *err);

/* ---- cohorts: named phenotype and diagnosis criteria (phenosel.h) ------------------- */

#define CATALOG_COHORT_CRITERIA_MAX 1024 /* bytes of each comma-separated list */

struct catalog_cohort {
    int64_t id;
    char name[CATALOG_NAME_MAX + 1];
    char description[256];
    char phenotypes[CATALOG_COHORT_CRITERIA_MAX + 1]; /* "HP:0001250,HP:0001263" or "" */
    char diagnoses[CATALOG_COHORT_CRITERIA_MAX + 1];  /* "OMIM:614959" or "" */
    char created_at[32];
};
/* Adds a cohort (the criteria are stored as given: the caller validates and canonicalises
 * them). Errors: GN_EEXIST (name taken), GN_EINVAL (empty or too long a name). */
GN_MUST_CHECK int catalog_cohort_add(struct catalog *c, const struct catalog_cohort *x,
                                     const char *actor, struct gn_err *err);
/* GN_ENOTFOUND (with a message naming it) when there is no such cohort. */
GN_MUST_CHECK int catalog_cohort_get(struct catalog *c, const char *name,
                                     struct catalog_cohort *out, struct gn_err *err);
typedef int (*catalog_cohort_cb)(void *ctx, const struct catalog_cohort *x);
/* Every cohort by name; a negative return of cb stops and is returned. */
GN_MUST_CHECK int catalog_cohort_each(struct catalog *c, catalog_cohort_cb cb, void *ctx,
                                      struct gn_err *err);
GN_MUST_CHECK int catalog_cohort_drop(struct catalog *c, const char *name, struct gn_err *err);

/* ---- phenotypes (phenopackets) -------------------------------------------------------- */

/* Whether a dataset's people may be offered to Matchmaker Exchange peers (policy.h,
 * policy_matchmaking); off by default. */
GN_MUST_CHECK int catalog_dataset_set_matchmaking(struct catalog *c, const char *name, int on,
                                                  struct gn_err *err);

struct catalog_phenotype {
    const char *term;  /* "HP:0001250" */
    const char *label; /* may be NULL */
    int excluded;      /* examined and absent */
    const char *onset; /* HPO onset term or ISO 8601 age, or NULL */
};
struct catalog_diagnosis {
    const char *disease; /* "OMIM:614959" */
    const char *label;
    const char *onset; /* as catalog_phenotype.onset */
};
struct catalog_pheno_variant {
    const char *gene;     /* symbol, "KCNT1" */
    const char *gene_id;  /* "HGNC:18865" or "" */
    const char *assembly; /* "GRCh38" or "" */
    const char *chrom;    /* "9" or "" */
    int64_t pos;          /* 1-based, 0 when unknown */
    const char *ref, *alt;
    const char *zygosity; /* GENO label: "heterozygous", "homozygous", ... or "" */
    const char *hgvs;     /* an HGVS expression or "" */
};
/* One individual's phenotype record (everything borrowed). */
struct catalog_pheno {
    int64_t individual;
    int64_t dataset; /* 0: none */
    const struct catalog_phenotype *ph;
    size_t n_ph;
    const struct catalog_diagnosis *dx;
    size_t n_dx;
    const struct catalog_pheno_variant *var;
    size_t n_var;
    const char *age_last; /* the age at the last encounter (ISO 8601 duration), or NULL */
};
/* Replaces the individual's phenotype record (a re-import replaces, never merges). Run it
 * inside a transaction (catalog_begin) so a failure leaves the old record. */
GN_MUST_CHECK int catalog_pheno_replace(struct catalog *c, const struct catalog_pheno *p,
                                        const char *actor, struct gn_err *err);

/* The dataset id of a sample, or of an individual's phenotype record, into *ds (0 when it
 * has none or there is no such sample or record): one indexed lookup each. */
GN_MUST_CHECK int catalog_sample_dataset(struct catalog *c, uint32_t sample, int64_t *ds,
                                         struct gn_err *err);
GN_MUST_CHECK int catalog_phenopacket_dataset(struct catalog *c, int64_t individual, int64_t *ds,
                                              struct gn_err *err);

/* What policy needs of every individual with a phenotype record. Strings NULL when absent. */
struct catalog_phenopacket_view {
    int64_t individual;
    const char *pseudonym;
    const char *sex;
    const char *dataset;       /* the record's dataset */
    int matchmaking;           /* the dataset's matchmaking flag */
    const char *consent;       /* current consent kind, NULL when none */
    const char *consent_terms; /* its DUO terms */
    int mm_choice;             /* their own matchmaking choice: 1 yes, 0 no, -1 none given */
    const char *age_last;      /* the record's age at the last encounter, "" when unknown */
};
typedef int (*catalog_phenopacket_cb)(void *ctx, const struct catalog_phenopacket_view *v);
GN_MUST_CHECK int catalog_phenopacket_each(struct catalog *c, catalog_phenopacket_cb cb, void *ctx,
                                           struct gn_err *err);

/* One row of a phenotype record: kind 'p' (a = term, b = label, excluded, onset), 'd'
 * (a = disease, b = label, onset) or 'v' (var; a = gene symbol, b = gene id). Borrowed for the
 * call. */
struct catalog_pheno_row {
    int64_t individual;
    char kind;
    const char *a, *b;
    int excluded;
    const char *onset;
    struct catalog_pheno_variant var;
};
typedef int (*catalog_pheno_row_cb)(void *ctx, const struct catalog_pheno_row *r);
/* Rows of one individual, or of all (individual 0): phenotypes and diagnoses first, then
 * variants. */
GN_MUST_CHECK int catalog_pheno_rows(struct catalog *c, int64_t individual, catalog_pheno_row_cb cb,
                                     void *ctx, struct gn_err *err);

#endif
