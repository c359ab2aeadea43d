/*
 * policy.h — the one place that decides what a request may touch, and records it.
 *
 * Given the caller (a user and role, the grants they hold directly or through a project,
 * or the visas of a verified GA4GH Passport), the purpose (an approved project, a
 * clinician's own-treatment of one patient, or the operator's administration) and the
 * request (the granularity a feature needs, an optional cohort), policy_decide returns
 * the set of samples the request may use, as a bitmap over the store's global sample ids:
 *
 *     consent ∩ dataset terms ∩ grants ∩ cohort − withdrawn
 *
 * and the granularity allowed. It reads the catalog afresh on every call, so a withdrawal
 * or a revoked grant holds from the next request, without restart.
 *
 * Every decision is audited: a denial here, with its reason; an allowed access before its
 * data leaves, by policy_start (streamed answers, then policy_done with the records
 * returned) or by policy_done alone (answers held until their entry is durable). Features
 * never decide access themselves and never write the audit log directly.
 *
 * Roles:
 *   steward    administration: every sample not withdrawn, record level.
 *   clinician  own-treatment of one patient (record level, that person's samples, any
 *              consent but withdrawal); or a project/grants like a researcher.
 *   researcher an approved, unexpired project they are a member of: samples whose
 *              research consent and dataset terms both permit the project's purpose
 *              (DUO), in datasets granted to the user or the project at the granularity
 *              asked for.
 *   peer-node  as researcher, at most count level.
 *   citizen, auditor   no genotype access.
 * A Passport caller (no local user) gets count level on every dataset with registered
 * access (ResearcherStatus + AcceptedTermsAndPolicies) and record level on datasets named
 * by ControlledAccessGrants visas; its purpose terms are matched like a project's. It is
 * member of no project and never acts for one: naming a project is a denial.
 *   anonymous  (no credentials, the Beacon's public level) discovery requests only.
 *
 * Dataset security levels (catalog_dataset_set_access), as Beacon v2 defines them: a
 * "public" dataset is open to every caller, anonymous ones included, at the granularity
 * of the setting public_granularity (default boolean); a "registered" dataset gives any
 * authenticated caller counts; a "controlled" dataset needs a grant or a visa. Consent
 * and dataset terms always apply, matched against the project's purpose, the Passport
 * caller's stated purpose, or the setting discovery_purpose (default DUO:0000042, general
 * research use) for discovery requests made without a project.
 *
 * Discovery requests (Beacon) ask with discovery = 1: no project is needed, the answer is
 * per dataset (policy_decision.ds: each dataset's cap and samples), and a caller allowed
 * nothing gets an empty decision rather than a denial (a Beacon then says "no"). Naming
 * a dataset the caller may not see is still a denial.
 *
 * Small counts: answers below record level never reveal a count between 1 and
 * threshold - 1 (setting "small_count_threshold", default 5): they are suppressed, or
 * rounded up to the threshold when "small_count_mode" is "round".
 *
 * Ownership: a decision owns its bitmaps (policy_decision_free), unless borrowed from a
 * cache. Thread safety: as the catalog handle passed in; a policy_budget is shared.
 */
#ifndef GN_POLICY_H
#define GN_POLICY_H

#include <stdint.h>

#include "catalog.h"
#include "err.h"
#include "pseudonym.h"

struct passport_result;

#define POLICY_PURPOSE_OWN_TREATMENT "own-treatment"
#define POLICY_PURPOSE_ADMIN         "administration"

struct policy_caller {
    const char *name; /* user name; "local:<unix user>" for the node's operator */
    const char *role; /* steward, clinician, researcher, peer-node, citizen, auditor */
    int64_t user_id;  /* catalog id, 0 for the operator or a Passport caller */
    const struct passport_result *passport; /* verified passport, or NULL */
};

struct policy_request {
    const char *action;        /* for the audit log: "freq", "count", "export", ... */
    const char *detail;        /* request parameters for the audit log (no identifiers) */
    const char *project;       /* project name, or NULL */
    const char *purpose_terms; /* Passport callers: DUO purpose terms */
    const char *patient;       /* own-treatment: the patient's individual pseudonym */
    enum catalog_granularity need;
    const uint32_t *cohort; /* optional restriction to these global sample ids (sorted) */
    uint32_t n_cohort;
    int has_cohort;
    int discovery;               /* Beacon-style: per-dataset answer, see above */
    const char *const *datasets; /* optional restriction to these dataset names */
    size_t n_datasets;
};

/* One dataset in a discovery decision: the most the caller may see of it and which of its
 * samples the request may use. */
struct policy_dataset {
    char name[CATALOG_NAME_MAX + 1];
    enum catalog_granularity cap;
    uint32_t n_allowed;
    uint64_t *bits; /* over the same ids as policy_decision.bits */
};

struct policy_decision {
    uint64_t *bits;  /* bit i set: global sample id i may be used */
    uint32_t n_bits; /* samples covered by the bitmap */
    uint32_t n_allowed;
    enum catalog_granularity granularity;
    int small_threshold; /* counts in [1, small_threshold) are masked below record level */
    int small_round;     /* 1: round up to the threshold; 0: suppress */
    /* under a project: record-level answers name samples by the project's pseudonyms
     * (pseudonym_derive), so two projects' exports cannot be linked; else empty */
    char project[CATALOG_NAME_MAX + 1];
    /* for policy_done */
    char actor[CATALOG_NAME_MAX + 1], role[16], purpose[CATALOG_NAME_MAX + 1];
    char action[64];
    char detail[512];
    struct policy_dataset *ds; /* discovery requests: the datasets with samples allowed */
    uint32_t n_ds;
    int started;     /* policy_start has recorded the access (policy_done then closes it) */
    int borrowed;    /* bits and ds belong to a policy_cache (policy_decide_cached) */
    uint64_t serial; /* unique per decision made (cached copies keep it): a cache key */
};

/* Decides; GN_OK with *d filled, or GN_EDENIED with the reason in err (already audited). */
GN_MUST_CHECK int policy_decide(struct catalog *c, const struct pseudonym *key,
                                const struct policy_caller *who, const struct policy_request *rq,
                                struct policy_decision *d, struct gn_err *err);

/* Decision cache for a server thread. A decision is kept while the catalog generation
 * (catalog_generation) and the date stay the same, keyed by caller, purpose and request
 * (requests with a cohort or a Passport are never cached). On a hit no decision is made
 * again: the cache holds only allowed decisions, and denials are decided and audited
 * every time. A decision returned by policy_decide_cached borrows the cache's bitmaps: it
 * stays valid until the next call on the same cache; free it with policy_decision_free as
 * usual. The cache also remembers the query budget settings (policy_budget_take). One
 * cache per thread. */
struct policy_cache;
GN_MUST_CHECK int policy_cache_new(struct policy_cache **pc);
/* Starts a request: reads the catalog generation once (into *gen when not NULL); the
 * cache's calls until the next begin use it instead of reading it again. Without a begin,
 * each call reads the generation itself. */
GN_MUST_CHECK int policy_cache_begin(struct policy_cache *pc, struct catalog *c, int64_t *gen,
                                     struct gn_err *err);
void policy_cache_free(struct policy_cache *pc);
GN_MUST_CHECK int policy_decide_cached(struct policy_cache *pc, struct catalog *c,
                                       const struct pseudonym *key, const struct policy_caller *who,
                                       const struct policy_request *rq, struct policy_decision *d,
                                       struct gn_err *err);

/* Query budget against re-identification by many queries (Shringarpure & Bustamante
 * 2015): each client (a user name, or "anonymous@ADDRESS") may make at most the setting
 * query_budget queries (default 10000; 0 is unlimited) per window of
 * query_budget_window seconds (default 3600). policy_budget_take counts one query and
 * returns GN_OK, or GN_ERATE with a message saying when the window ends (the refusal is
 * audited). Shared by all threads (internally locked); settings come through the
 * caller's cache. */
struct policy_budget;
GN_MUST_CHECK int policy_budget_new(struct policy_budget **b);
void policy_budget_free(struct policy_budget *b);
GN_MUST_CHECK int policy_budget_take(struct policy_budget *b, struct policy_cache *pc,
                                     struct catalog *c, const struct pseudonym *key,
                                     const struct policy_caller *who, const char *client,
                                     const char *action, struct gn_err *err);

/* Records the access of an allowed decision before any of its data leaves: an entry with
 * outcome "allowed", no records yet, and the individuals whose records will be returned
 * (comma-separated pseudonyms, or NULL for aggregates). For commands that stream their
 * answer (the CLI's freq, export, genotypes, pgx --all): an answer cut short (a closed pipe,
 * a full disk, a crash) is still on record. Nothing may be written before it returns GN_OK;
 * on failure nothing may be written at all. The server, which holds each answer until its
 * entry is durable, records with policy_done alone. */
GN_MUST_CHECK int policy_start(struct catalog *c, const struct pseudonym *key,
                               struct policy_decision *d, const char *subjects, struct gn_err *err);

/* Records the completed access: records returned and the individuals whose records were
 * returned (comma-separated pseudonyms, or NULL for aggregates). Without policy_start this
 * is the access's one entry (outcome "allowed"), to be appended before the answer is
 * released; after policy_start it closes that entry's access with outcome "done" and the
 * records returned (subjects are then already on record and not repeated). */
GN_MUST_CHECK int policy_done(struct catalog *c, const struct pseudonym *key,
                              const struct policy_decision *d, int64_t records,
                              const char *subjects, struct gn_err *err);

/* Administrative actions (catalog changes, withdrawal, compaction, re-identification):
 * GN_OK for a steward, else GN_EDENIED (audited). */
GN_MUST_CHECK int policy_admin(struct catalog *c, const struct pseudonym *key,
                               const struct policy_caller *who, const char *action,
                               struct gn_err *err);

/* Listing the catalog's metadata (what: "user" or "dataset"; the audit action is
 * "<what>.list"). Users, with the person pseudonyms of citizen users, are listed to
 * stewards only. Datasets (name, DUO terms, security level, description: no personal
 * data) are listed to stewards and to the roles that may be granted them (researcher,
 * clinician, peer-node), who need their names and terms to ask for access; citizens,
 * auditors and anyone else are refused. GN_OK when allowed, else GN_EDENIED (audited).
 * The caller then builds the listing and records it with policy_listed before printing. */
GN_MUST_CHECK int policy_list(struct catalog *c, const struct pseudonym *key,
                              const struct policy_caller *who, const char *what,
                              struct gn_err *err);
/* Records an allowed listing (outcome "allowed"): rows listed and the person pseudonyms it
 * shows (comma-separated, or NULL). Call it before the listing is printed. */
GN_MUST_CHECK int policy_listed(struct catalog *c, const struct pseudonym *key,
                                const struct policy_caller *who, const char *what, int64_t rows,
                                const char *subjects, struct gn_err *err);

/* Records an action outside data access (catalog changes, re-identification, ...). */
GN_MUST_CHECK int policy_audit(struct catalog *c, const struct pseudonym *key,
                               const struct policy_caller *who, const char *purpose,
                               const char *action, const char *outcome, const char *detail,
                               const char *subjects, struct gn_err *err);

static inline int policy_allows(const struct policy_decision *d, uint32_t id)
{
    return id < d->n_bits && (d->bits[id >> 6] >> (id & 63) & 1);
}

/* The allowed ids in ascending order into an owned array (gn_free). */
GN_MUST_CHECK int policy_ids(const struct policy_decision *d, uint32_t **ids, uint32_t *n);

/* Masks a count for the decision's granularity: returns 1 and sets *shown to -1 when it
 * must be suppressed, else 0 with *shown the value to report (possibly rounded). */
int policy_mask_count(const struct policy_decision *d, int64_t count, int64_t *shown);

/*
 * Matchmaker Exchange (docs/mme.md) — the one place that says who may be offered to a
 * matchmaking peer. The caller must be a peer-node user (a peer's X-Auth-Token) or a
 * steward (the node's own search); anyone else is denied (audited). A person is matchable
 * when all of these hold:
 *   - they have a phenotype record (genomenode phenopacket import) in a dataset whose
 *     matchmaking flag is on (genomenode dataset matchmaking DIR NAME on);
 *   - their current consent is clinical or research: matching serves the diagnosis of
 *     the patient (and of the peer's patient); no consent on record or a withdrawal
 *     excludes them, from the next request on;
 *   - their own matchmaking choice (genomenode consent matchmaking) is yes, or they gave
 *     none and the setting matchmaking_consent is optout (the default; optin: only those
 *     who said yes). A no always excludes them.
 * On GN_OK *ids holds the matchable individuals' catalog ids in increasing order (owned,
 * gn_free; *n may be 0). action names the exchange for the audit log ("mme.match",
 * "mme.search"); the exchange is then recorded with policy_matchmaking_done.
 */
GN_MUST_CHECK int policy_matchmaking(struct catalog *c, const struct pseudonym *key,
                                     const struct policy_caller *who, const char *action,
                                     const char *detail, int64_t **ids, size_t *n,
                                     struct gn_err *err);
/* policy_matchmaking through a thread's policy_cache (the server's /match): the people
 * offered depend only on the catalog once the caller's role is allowed, so they are read
 * once per catalog generation and date and copied out on later calls; the role check, and
 * the audited refusal, happen on every call. */
GN_MUST_CHECK int policy_matchmaking_cached(struct policy_cache *pc, struct catalog *c,
                                            const struct pseudonym *key,
                                            const struct policy_caller *who, const char *action,
                                            const char *detail, int64_t **ids, size_t *n,
                                            struct gn_err *err);
/* Records a matchmaking exchange: outcome "allowed" (the exchange, before anything leaves;
 * or, for an answer built whole before it is sent, the exchange and its results) or "done"
 * (the outcome of an exchange recorded as allowed before), results returned (or received)
 * and the pseudonyms of the local people named in it (comma-separated, or ""). */
GN_MUST_CHECK int policy_matchmaking_done(struct catalog *c, const struct pseudonym *key,
                                          const struct policy_caller *who, const char *action,
                                          const char *outcome, const char *detail, int64_t results,
                                          const char *subjects, struct gn_err *err);

void policy_decision_free(struct policy_decision *d);

#endif
