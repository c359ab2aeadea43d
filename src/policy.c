/*
 * policy.c — access decisions (policy.h).
 *
 * A decision walks every sample once (catalog_sample_each joins samples, individuals,
 * datasets and each person's newest consent event). DUO matching is cached per distinct
 * terms string, so a national cohort with a handful of consent forms costs a handful of
 * matches, not one per person.
 */
#include "policy.h"

#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "audit.h"
#include "duo.h"
#include "passport.h"
#include "strparse.h"

#define MATCH_CACHE 64

static atomic_uint_fast64_t decision_serial;
#define GRANTS_MAX 256

struct match_cache {
    char terms[MATCH_CACHE][CATALOG_TERMS_MAX + 1];
    int verdict[MATCH_CACHE];
    int n;
};

struct grant {
    char dataset[CATALOG_NAME_MAX + 1];
    enum catalog_granularity g;
};

struct walk {
    const struct policy_caller *who;
    const struct policy_request *rq;
    struct policy_decision *d;
    struct duo_list purpose;
    int has_purpose;     /* research-style matching of consent and dataset terms */
    int admin;           /* steward: everything not withdrawn */
    const char *patient; /* own-treatment: only this individual */
    struct grant grants[GRANTS_MAX];
    int n_grants;
    int registered_all;                  /* Passport registered access: count on every dataset */
    int authenticated;                   /* a known caller: "registered" datasets give counts */
    int peer;                            /* peer node: never more than counts */
    enum catalog_granularity public_cap; /* what "public" datasets give anyone */
    uint32_t ds_last;                    /* discovery: index of the last dataset touched */
    struct match_cache cache;
    uint32_t cohort_pos;
    /* why samples were left out, for the denial message */
    uint32_t n_seen, no_consent, clinical_only, consent_denied, dataset_denied, not_granted;
};

static int deny(struct catalog *c, const struct pseudonym *key, const struct policy_caller *who,
                const struct policy_request *rq, struct gn_err *err, const char *fmt, ...)
    GN_PRINTF(6, 7);

static int deny(struct catalog *c, const struct pseudonym *key, const struct policy_caller *who,
                const struct policy_request *rq, struct gn_err *err, const char *fmt, ...)
{
    char raw[GN_ERR_MSG_MAX], reason[400], detail[1024];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    /* The reason and detail are for people: cut when too long, like any message, at a
     * character boundary (they quote names from the request). */
    (void)vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    (void)strparse_utf8_cut(reason, sizeof reason, raw, strlen(raw));
    (void)snprintf(detail, sizeof detail, "%s%s%s", reason, rq->detail ? "; request: " : "",
                   rq->detail ? rq->detail : "");
    rc = policy_audit(c, key, who,
                      rq->project   ? rq->project
                      : rq->patient ? POLICY_PURPOSE_OWN_TREATMENT
                                    : "",
                      rq->action, "denied", detail, NULL, NULL);
    if (rc < 0) {
        return gn_errf(err, rc, "access denied: %s (and the denial could not be audited)", reason);
    }
    return gn_errf(err, GN_EDENIED, "access denied: %s", reason);
}

static int cached_match(struct walk *w, const char *terms)
{
    struct duo_list use;
    size_t n = strlen(terms);
    int v;

    for (int i = 0; i < w->cache.n; i++) {
        if (!strcmp(w->cache.terms[i], terms)) return w->cache.verdict[i];
    }
    /* Terms are validated when stored; a list that no longer parses permits nothing. */
    if (duo_list_parse(&use, terms, n, DUO_SIDE_USE, NULL) < 0) {
        v = DUO_DENIED;
    } else {
        v = duo_match(&use, &w->purpose, NULL, NULL);
    }
    if (w->cache.n < MATCH_CACHE && n <= CATALOG_TERMS_MAX) {
        memcpy(w->cache.terms[w->cache.n], terms, n + 1);
        w->cache.verdict[w->cache.n++] = v;
    }
    return v;
}

static enum catalog_granularity granted(const struct walk *w, const char *dataset,
                                        const char *access)
{
    enum catalog_granularity g = GRAN_NONE;
    if (!dataset) return GRAN_NONE;
    if (access && !strcmp(access, "public")) {
        g = w->public_cap;
    } else if (access && !strcmp(access, "registered") && w->authenticated) {
        g = GRAN_COUNT;
    }
    for (int i = 0; i < w->n_grants; i++) {
        if (!strcmp(w->grants[i].dataset, dataset) && w->grants[i].g > g) g = w->grants[i].g;
    }
    if (w->who->passport) {
        if (passport_has_dataset(w->who->passport, dataset)) {
            g = GRAN_RECORD;
        } else if (w->registered_all && g < GRAN_COUNT) {
            g = GRAN_COUNT;
        }
    }
    if (w->peer && g > GRAN_COUNT) g = GRAN_COUNT;
    return g;
}

static int dataset_named(const struct policy_request *rq, const char *dataset)
{
    if (!rq->n_datasets) return 1;
    for (size_t i = 0; i < rq->n_datasets; i++) {
        if (dataset && !strcmp(rq->datasets[i], dataset)) return 1;
    }
    return 0;
}

/* Discovery: marks sample id in its dataset's entry, creating the entry on first use. */
static int ds_mark(struct walk *w, const char *dataset, enum catalog_granularity cap, uint32_t id)
{
    struct policy_decision *d = w->d;
    uint32_t i = w->ds_last;
    if (i >= d->n_ds || strcmp(d->ds[i].name, dataset) != 0) {
        for (i = 0; i < d->n_ds && strcmp(d->ds[i].name, dataset) != 0; i++) {
        }
    }
    if (i == d->n_ds) {
        struct policy_dataset *n = gn_reallocarray(d->ds, d->n_ds + 1, sizeof *n);
        if (!n) return GN_ENOMEM;
        d->ds = n;
        memset(&n[i], 0, sizeof n[i]);
        (void)snprintf(n[i].name, sizeof n[i].name, "%s", dataset);
        n[i].cap = cap;
        if (!(n[i].bits = gn_calloc((d->n_bits + 63) / 64 + 1, sizeof *n[i].bits))) {
            return GN_ENOMEM;
        }
        d->n_ds++;
    }
    w->ds_last = i;
    if (cap > d->ds[i].cap) d->ds[i].cap = cap;
    d->ds[i].bits[id >> 6] |= 1ull << (id & 63);
    d->ds[i].n_allowed++;
    return GN_OK;
}

static int in_cohort(struct walk *w, uint32_t id)
{
    const struct policy_request *rq = w->rq;
    if (!rq->has_cohort) return 1;
    while (w->cohort_pos < rq->n_cohort && rq->cohort[w->cohort_pos] < id) {
        w->cohort_pos++;
    }
    return w->cohort_pos < rq->n_cohort && rq->cohort[w->cohort_pos] == id;
}

static int visit(void *ctx, const struct catalog_sample_view *v)
{
    struct walk *w = ctx;
    struct policy_decision *d = w->d;

    if (v->id >= d->n_bits) return GN_OK;
    enum catalog_granularity g = GRAN_RECORD;
    if (v->withdrawn || !in_cohort(w, v->id)) return GN_OK;
    if (!dataset_named(w->rq, v->dataset)) return GN_OK;
    w->n_seen++;
    if (w->admin) goto allow;
    if (w->patient) {
        if (v->individual && !strcmp(v->individual, w->patient)) goto allow;
        return GN_OK;
    }
    /* research-style use: consent, dataset terms, grants */
    if (!v->consent) {
        w->no_consent++;
        return GN_OK;
    }
    if (strcmp(v->consent, "research") != 0) {
        w->clinical_only++;
        return GN_OK;
    }
    if ((g = granted(w, v->dataset, v->dataset_access)) < w->rq->need ||
        (w->rq->discovery && g < GRAN_BOOLEAN)) {
        w->not_granted++;
        return GN_OK;
    }
    if (cached_match(w, v->consent_terms ? v->consent_terms : "") != DUO_ALLOWED) {
        w->consent_denied++;
        return GN_OK;
    }
    if (cached_match(w, v->dataset_terms ? v->dataset_terms : "") != DUO_ALLOWED) {
        w->dataset_denied++;
        return GN_OK;
    }
allow:
    if (w->rq->discovery) {
        if (!v->dataset) return GN_OK; /* Beacon answers are per dataset */
        if (ds_mark(w, v->dataset, g, v->id) < 0) return GN_ENOMEM;
    }
    d->bits[v->id >> 6] |= 1ull << (v->id & 63);
    d->n_allowed++;
    return GN_OK;
}

static int add_grant(void *ctx, const char *dataset, enum catalog_granularity g)
{
    struct walk *w = ctx;
    int n;
    if (w->n_grants >= GRANTS_MAX) return GN_OK;
    n = snprintf(w->grants[w->n_grants].dataset, sizeof w->grants[0].dataset, "%s", dataset);
    /* A cut name could equal another dataset's: such a grant is left out (fail closed). */
    if (n < 0 || (size_t)n >= sizeof w->grants[0].dataset) return GN_OK;
    w->grants[w->n_grants++].g = g;
    return GN_OK;
}

/* Today's date in UTC, YYYY-MM-DD (11 bytes of 16). */
static void today_utc(char out[16])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    (void)strftime(out, 16, "%Y-%m-%d", &tm);
}

static int today_after(const char *expires)
{
    char today[16];
    today_utc(today);
    return strcmp(today, expires) > 0;
}

static int load_settings(struct catalog *c, struct policy_decision *d, struct gn_err *err)
{
    char v[64];
    int rc;
    d->small_threshold = 5;
    d->small_round = 0;
    rc = catalog_setting_get(c, "small_count_threshold", v, sizeof v, NULL);
    if (rc == GN_OK) {
        int64_t t;
        if (strparse_i64_all(v, strlen(v), &t) < 0 || t < 0 || t > 1000000) {
            return gn_errf(err, GN_EINVAL, "setting small_count_threshold: bad value '%s'", v);
        }
        d->small_threshold = (int)t;
    } else if (rc != GN_ENOTFOUND) {
        return gn_errf(err, rc, "cannot read settings");
    }
    rc = catalog_setting_get(c, "small_count_mode", v, sizeof v, NULL);
    if (rc == GN_OK) d->small_round = !strcmp(v, "round");
    return GN_OK;
}

/* A setting's value, or def when it is not set. */
static int setting_or(struct catalog *c, const char *name, const char *def, char *out, size_t cap,
                      struct gn_err *err)
{
    int rc = catalog_setting_get(c, name, out, cap, NULL);
    if (rc == GN_ENOTFOUND) {
        (void)snprintf(out, cap, "%s", def);
        return GN_OK;
    }
    return rc < 0 ? gn_errf(err, rc, "cannot read setting %s", name) : GN_OK;
}

/* Discovery without a project: the purpose of the setting discovery_purpose, the levels of
 * public and registered datasets. */
static int discovery_setup(struct catalog *c, struct walk *w, int purpose_given, struct gn_err *err)
{
    char v[CATALOG_TERMS_MAX + 1];
    int rc;
    if ((rc = setting_or(c, "public_granularity", "boolean", v, sizeof v, err)) < 0) return rc;
    if (catalog_granularity_parse(v, &w->public_cap) < 0) {
        return gn_errf(err, GN_EINVAL, "setting public_granularity: bad value '%s'", v);
    }
    if (purpose_given) return GN_OK;
    if ((rc = setting_or(c, "discovery_purpose", "DUO:0000042", v, sizeof v, err)) < 0) return rc;
    if (duo_list_parse(&w->purpose, v, strlen(v), DUO_SIDE_PURPOSE, err) < 0) {
        return gn_err_prefix(err, GN_EINVAL, "setting discovery_purpose");
    }
    w->has_purpose = 1;
    /* a label for the audit entry: cut when too long */
    (void)snprintf(w->d->purpose, sizeof w->d->purpose, "discovery %.100s", v);
    return GN_OK;
}

int policy_decide(struct catalog *c, const struct pseudonym *key, const struct policy_caller *who,
                  const struct policy_request *rq, struct policy_decision *d, struct gn_err *err)
{
    struct walk *w = NULL;
    struct catalog_project proj;
    int64_t all = 0, live = 0;
    int rc;
    const char *role = who->role ? who->role : "";

    memset(d, 0, sizeof *d);
    d->serial = atomic_fetch_add(&decision_serial, 1) + 1;
    if (!(w = gn_calloc(1, sizeof *w))) return gn_errf(err, GN_ENOMEM, "out of memory");
    w->who = who;
    w->rq = rq;
    w->d = d;
    /* The decision's labels feed only its audit entry: cut when too long. */
    (void)snprintf(d->actor, sizeof d->actor, "%s", who->name ? who->name : "");
    (void)snprintf(d->role, sizeof d->role, "%s", role);
    (void)snprintf(d->action, sizeof d->action, "%s", rq->action ? rq->action : "");
    if (rq->detail)
        (void)strparse_utf8_cut(d->detail, sizeof d->detail, rq->detail, strlen(rq->detail));

    if ((rc = load_settings(c, d, err)) < 0) goto out;

    if (!strcmp(role, "steward")) {
        if (rq->project || rq->patient) {
            rc = deny(c, key, who, rq, err, "a steward acts for administration, not a project");
            goto out;
        }
        w->admin = 1;
        (void)snprintf(d->purpose, sizeof d->purpose, "%s", POLICY_PURPOSE_ADMIN);
        d->granularity = GRAN_RECORD;
    } else if (!strcmp(role, "anonymous")) {
        if (!rq->discovery || rq->project || rq->patient) {
            rc = deny(c, key, who, rq, err, "anonymous callers may only ask discovery queries");
            goto out;
        }
        if ((rc = discovery_setup(c, w, 0, err)) < 0) goto out;
        d->granularity = rq->need;
    } else if (!strcmp(role, "citizen") || !strcmp(role, "auditor")) {
        rc = deny(c, key, who, rq, err, "role %s has no access to genotypes", role);
        goto out;
    } else if (rq->patient) {
        if (strcmp(role, "clinician") != 0) {
            rc = deny(c, key, who, rq, err,
                      "only a clinician may act for a patient's own treatment");
            goto out;
        }
        w->patient = rq->patient;
        (void)snprintf(d->purpose, sizeof d->purpose, "%s", POLICY_PURPOSE_OWN_TREATMENT);
        d->granularity = GRAN_RECORD;
    } else if (who->passport && !rq->project) {
        w->registered_all = w->authenticated = who->passport->registered_access;
        if (rq->discovery && (rc = discovery_setup(c, w, rq->purpose_terms != NULL, err)) < 0) {
            goto out;
        }
        if (!rq->purpose_terms && !rq->discovery) {
            rc = deny(c, key, who, rq, err, "a Passport caller must state its purpose (DUO terms)");
            goto out;
        }
        if (rq->purpose_terms) {
            if (duo_list_parse(&w->purpose, rq->purpose_terms, strlen(rq->purpose_terms),
                               DUO_SIDE_PURPOSE, err) < 0) {
                rc = deny(c, key, who, rq, err, "bad purpose: %s",
                          err ? err->msg : "invalid DUO terms");
                goto out;
            }
            w->has_purpose = 1;
            (void)snprintf(d->purpose, sizeof d->purpose, "%s", rq->purpose_terms);
        }
        d->granularity = rq->need;
    } else if (!rq->project && rq->discovery) {
        /* a known user without a project: their own grants, public and registered data */
        w->authenticated = 1;
        w->peer = !strcmp(role, "peer-node");
        if ((rc = discovery_setup(c, w, 0, err)) < 0) goto out;
        if ((rc = catalog_grant_each(c, who->user_id, 0, add_grant, w, err)) < 0) goto out;
        d->granularity = rq->need;
    } else {
        if (!rq->project) {
            rc =
                deny(c, key, who, rq, err, "research access needs an approved project (--project)");
            goto out;
        }
        /* A project's grants belong to its members, who are catalog users. A caller that is
         * none (a Passport caller: user_id 0) has no membership to check, so it never acts
         * for a project: its access comes from its visas and stated purpose alone. Refused
         * before the project is looked up, so the answer says nothing about the project. */
        if (!who->user_id || who->passport) {
            rc = deny(c, key, who, rq, err,
                      "%s is not a user of this node and cannot act for a project (a Passport "
                      "caller states its purpose instead; its visas decide)",
                      who->name ? who->name : "the caller");
            goto out;
        }
        if ((rc = catalog_project_get(c, rq->project, &proj, NULL)) < 0) {
            rc = rc == GN_ENOTFOUND ? deny(c, key, who, rq, err, "no project '%s'", rq->project)
                                    : gn_errf(err, rc, "cannot read project");
            goto out;
        }
        /* A stored expiry that is not a date cannot be compared: refused, not endless. */
        if (strparse_date(proj.expires, strlen(proj.expires)) < 0) {
            rc = deny(c, key, who, rq, err, "project '%s' has no valid expiry date", proj.name);
            goto out;
        }
        if (today_after(proj.expires)) {
            rc = deny(c, key, who, rq, err, "project '%s' expired on %s", proj.name, proj.expires);
            goto out;
        }
        if ((rc = catalog_project_is_member(c, proj.id, who->user_id, err)) != 1) {
            rc = rc < 0 ? rc
                        : deny(c, key, who, rq, err, "%s is not a member of project '%s'",
                               who->name, proj.name);
            goto out;
        }
        if (!strcmp(role, "peer-node") && rq->need > GRAN_COUNT) {
            rc = deny(c, key, who, rq, err, "a peer node gets aggregates only");
            goto out;
        }
        if (duo_list_parse(&w->purpose, proj.purpose, strlen(proj.purpose), DUO_SIDE_PURPOSE,
                           NULL) < 0) {
            rc = deny(c, key, who, rq, err, "project '%s' has an invalid purpose", proj.name);
            goto out;
        }
        w->has_purpose = 1;
        w->authenticated = 1;
        w->peer = !strcmp(role, "peer-node");
        if ((rc = discovery_setup(c, w, 1, err)) < 0) goto out;
        if ((rc = catalog_grant_each(c, who->user_id, proj.id, add_grant, w, err)) < 0) goto out;
        (void)snprintf(d->purpose, sizeof d->purpose, "%s", proj.name);
        (void)snprintf(d->project, sizeof d->project, "%s", proj.name);
        d->granularity = rq->need;
    }
    if (d->granularity < rq->need) {
        rc = deny(c, key, who, rq, err, "%s access is not allowed for this purpose",
                  catalog_granularity_name(rq->need));
        goto out;
    }

    if ((rc = catalog_sample_count(c, &all, &live, err)) < 0) goto out;
    d->n_bits = (uint32_t)all;
    if (!(d->bits = gn_calloc((d->n_bits + 63) / 64 + 1, sizeof *d->bits))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = catalog_sample_each(c, visit, w, err)) < 0) goto out;

    if (rq->discovery) {
        /* nothing allowed is an empty answer; a dataset named but not open is a denial */
        for (size_t i = 0; i < rq->n_datasets; i++) {
            uint32_t k = 0;
            while (k < d->n_ds && strcmp(d->ds[k].name, rq->datasets[i]) != 0)
                k++;
            if (k == d->n_ds) {
                rc = deny(c, key, who, rq, err,
                          "dataset '%s' is unknown or not open to this caller at %s level",
                          rq->datasets[i], catalog_granularity_name(rq->need));
                goto out;
            }
        }
        for (uint32_t k = 0; k < d->n_ds; k++) {
            if (d->ds[k].cap > d->granularity) d->granularity = d->ds[k].cap;
        }
    } else if (w->has_purpose && d->n_allowed == 0) {
        rc = deny(c, key, who, rq, err,
                  "no sample may be used for this purpose (%u considered: %u without consent on "
                  "record, %u clinical use only, %u not granted at %s level, %u whose consent "
                  "does not permit it, %u whose dataset terms do not)",
                  w->n_seen, w->no_consent, w->clinical_only, w->not_granted,
                  catalog_granularity_name(rq->need), w->consent_denied, w->dataset_denied);
        goto out;
    }
    if (w->patient && d->n_allowed == 0) {
        rc = deny(c, key, who, rq, err, "no samples of that patient are available");
        goto out;
    }
    rc = GN_OK;
out:
    gn_free(w);
    if (rc < 0) policy_decision_free(d);
    return rc;
}

int policy_admin(struct catalog *c, const struct pseudonym *key, const struct policy_caller *who,
                 const char *action, struct gn_err *err)
{
    struct policy_request rq = {0};
    if (who->role && !strcmp(who->role, "steward")) return GN_OK;
    rq.action = action;
    return deny(c, key, who, &rq, err, "%s needs the steward role (caller is %s)", action,
                who->role && *who->role ? who->role : "unknown");
}

int policy_list(struct catalog *c, const struct pseudonym *key, const struct policy_caller *who,
                const char *what, struct gn_err *err)
{
    struct policy_request rq = {0};
    const char *role = who->role ? who->role : "";
    char action[64];
    int datasets = !strcmp(what, "dataset");

    if (!strcmp(role, "steward")) return GN_OK;
    if (datasets &&
        (!strcmp(role, "researcher") || !strcmp(role, "clinician") || !strcmp(role, "peer-node"))) {
        return GN_OK;
    }
    (void)snprintf(action, sizeof action, "%s.list", what); /* a label: cut when too long */
    rq.action = action;
    return deny(c, key, who, &rq, err, "%s needs the steward role%s (caller is %s)", action,
                datasets ? " or one that may be granted datasets" : "", *role ? role : "unknown");
}

int policy_listed(struct catalog *c, const struct pseudonym *key, const struct policy_caller *who,
                  const char *what, int64_t rows, const char *subjects, struct gn_err *err)
{
    struct audit_entry e = {0};
    char action[64], detail[96];
    /* labels: cut when too long */
    (void)snprintf(action, sizeof action, "%s.list", what);
    (void)snprintf(detail, sizeof detail, "%lld rows listed", (long long)rows);
    e.actor = who->name ? who->name : "";
    e.role = who->role ? who->role : "";
    e.purpose = e.role[0] && !strcmp(e.role, "steward") ? POLICY_PURPOSE_ADMIN : "";
    e.action = action;
    e.outcome = "allowed";
    e.records = rows;
    e.detail = detail;
    e.subjects = subjects;
    return audit_append(c, key, &e, err);
}

int policy_audit(struct catalog *c, const struct pseudonym *key, const struct policy_caller *who,
                 const char *purpose, const char *action, const char *outcome, const char *detail,
                 const char *subjects, struct gn_err *err)
{
    struct audit_entry e = {0};
    e.actor = who && who->name ? who->name : "";
    e.role = who && who->role ? who->role : "";
    e.purpose = purpose;
    e.action = action;
    e.outcome = outcome;
    e.detail = detail;
    e.subjects = subjects;
    return audit_append(c, key, &e, err);
}

/* The audit entry of an allowed decision (policy_start, policy_done). */
static int decision_entry(struct catalog *c, const struct pseudonym *key,
                          const struct policy_decision *d, const char *outcome, int64_t records,
                          const char *note, const char *subjects, struct gn_err *err)
{
    struct audit_entry e = {0};
    char detail[740];
    /* The detail is for people: cut when too long, like any message. */
    (void)snprintf(detail, sizeof detail, "%s%s%u samples in scope, granularity %s%s", d->detail,
                   d->detail[0] ? "; " : "", d->n_allowed, catalog_granularity_name(d->granularity),
                   note);
    e.actor = d->actor;
    e.role = d->role;
    e.purpose = d->purpose;
    e.action = d->action;
    e.outcome = outcome;
    e.records = records;
    e.detail = detail;
    e.subjects = subjects;
    return audit_append(c, key, &e, err);
}

int policy_start(struct catalog *c, const struct pseudonym *key, struct policy_decision *d,
                 const char *subjects, struct gn_err *err)
{
    int rc;
    assert(!d->started);
    /* audit_append returns once the entry is committed (outside a transaction it is its
     * own), so the access is on record before the caller writes anything. */
    if ((rc = decision_entry(c, key, d, "allowed", 0, "; answer follows", subjects, err)) < 0) {
        return rc;
    }
    d->started = 1;
    return GN_OK;
}

int policy_done(struct catalog *c, const struct pseudonym *key, const struct policy_decision *d,
                int64_t records, const char *subjects, struct gn_err *err)
{
    if (d->started) return decision_entry(c, key, d, "done", records, "", NULL, err);
    return decision_entry(c, key, d, "allowed", records, "", subjects, err);
}

int policy_ids(const struct policy_decision *d, uint32_t **ids, uint32_t *n)
{
    uint32_t k = 0;
    *ids = NULL;
    *n = 0;
    if (!(*ids = gn_reallocarray(NULL, d->n_allowed ? d->n_allowed : 1, sizeof **ids))) {
        return GN_ENOMEM;
    }
    for (uint32_t i = 0; i < d->n_bits; i++) {
        if (policy_allows(d, i)) (*ids)[k++] = i;
    }
    *n = k;
    return GN_OK;
}

int policy_mask_count(const struct policy_decision *d, int64_t count, int64_t *shown)
{
    *shown = count;
    if (d->granularity >= GRAN_RECORD || count <= 0 || count >= d->small_threshold) return 0;
    if (d->small_round) {
        *shown = d->small_threshold;
        return 0;
    }
    *shown = -1;
    return 1;
}

void policy_decision_free(struct policy_decision *d)
{
    if (!d) return;
    if (!d->borrowed) {
        gn_free(d->bits);
        for (uint32_t i = 0; i < d->n_ds; i++)
            gn_free(d->ds[i].bits);
        gn_free(d->ds);
    }
    d->bits = NULL;
    d->ds = NULL;
    d->n_ds = 0;
    d->n_bits = d->n_allowed = 0;
    d->borrowed = 0;
}

/* ---- decision cache ---------------------------------------------------------------- */

#define CACHE_SLOTS 16
#define CACHE_KEY   1024

struct cache_slot {
    char key[CACHE_KEY];
    int64_t gen;
    uint64_t used;
    int full;
    struct policy_decision d;
};

struct policy_cache {
    struct cache_slot slot[CACHE_SLOTS];
    uint64_t tick;
    /* policy_matchmaking_cached: the people offered, at mm_gen on mm_day (mm_ids NULL: none) */
    int64_t *mm_ids;
    size_t mm_n;
    int64_t mm_gen;
    char mm_day[16];
    int64_t gen; /* generation the budget settings below were read at; -1 never */
    int64_t budget, window;
    int64_t now_gen; /* the request's generation (policy_cache_begin); -1 before */
};

int policy_cache_begin(struct policy_cache *pc, struct catalog *c, int64_t *gen, struct gn_err *err)
{
    int rc = catalog_generation(c, &pc->now_gen, err);
    if (rc < 0) {
        pc->now_gen = -1;
        return rc;
    }
    if (gen) *gen = pc->now_gen;
    return GN_OK;
}

/* The request's generation: the one policy_cache_begin read, else read now. */
static int request_gen(struct policy_cache *pc, struct catalog *c, int64_t *gen, struct gn_err *err)
{
    if (pc->now_gen >= 0) {
        *gen = pc->now_gen;
        return GN_OK;
    }
    return catalog_generation(c, gen, err);
}

int policy_cache_new(struct policy_cache **pc)
{
    if (!(*pc = gn_calloc(1, sizeof **pc))) return GN_ENOMEM;
    (*pc)->gen = -1;
    (*pc)->now_gen = -1;
    (*pc)->mm_gen = -1;
    return GN_OK;
}

void policy_cache_free(struct policy_cache *pc)
{
    if (!pc) return;
    for (int i = 0; i < CACHE_SLOTS; i++)
        policy_decision_free(&pc->slot[i].d);
    gn_free(pc->mm_ids);
    gn_free(pc);
}

/* The cache key: everything a decision depends on besides the catalog. 0 when the request
 * must not be cached. */
static int cache_key(const struct policy_caller *who, const struct policy_request *rq, char *k,
                     size_t cap)
{
    char today[16];
    size_t o;
    int n;
    if (rq->has_cohort || who->passport) return 0;
    today_utc(today);
    n = snprintf(k, cap, "%s|%s|%s|%lld|%s|%s|%s|%d|%d", today, who->name ? who->name : "",
                 who->role ? who->role : "", (long long)who->user_id,
                 rq->project ? rq->project : "", rq->purpose_terms ? rq->purpose_terms : "",
                 rq->patient ? rq->patient : "", (int)rq->need, rq->discovery);
    if (n < 0 || (size_t)n >= cap) return 0;
    o = (size_t)n;
    for (size_t i = 0; i < rq->n_datasets; i++) {
        n = snprintf(k + o, cap - o, "|%s", rq->datasets[i]);
        if (n < 0 || (size_t)n >= cap - o) return 0;
        o += (size_t)n;
    }
    return 1;
}

static int decision_copy(struct policy_decision *dst, const struct policy_decision *src)
{
    size_t words = (src->n_bits + 63) / 64 + 1;
    *dst = *src;
    dst->bits = NULL;
    dst->ds = NULL;
    dst->n_ds = 0;
    dst->borrowed = 0;
    if (!(dst->bits = gn_reallocarray(NULL, words, sizeof *dst->bits))) goto nomem;
    memcpy(dst->bits, src->bits, words * sizeof *dst->bits);
    if (src->n_ds) {
        if (!(dst->ds = gn_calloc(src->n_ds, sizeof *dst->ds))) goto nomem;
        for (uint32_t i = 0; i < src->n_ds; i++) {
            dst->ds[i] = src->ds[i];
            dst->ds[i].bits = NULL;
            dst->n_ds = i + 1;
            if (!(dst->ds[i].bits = gn_reallocarray(NULL, words, sizeof *dst->bits))) goto nomem;
            memcpy(dst->ds[i].bits, src->ds[i].bits, words * sizeof *dst->bits);
        }
    }
    return GN_OK;
nomem:
    policy_decision_free(dst);
    return GN_ENOMEM;
}

int policy_decide_cached(struct policy_cache *pc, struct catalog *c, const struct pseudonym *key,
                         const struct policy_caller *who, const struct policy_request *rq,
                         struct policy_decision *d, struct gn_err *err)
{
    char k[CACHE_KEY];
    int64_t gen;
    int rc, victim = 0;
    struct cache_slot *sl;

    if (!cache_key(who, rq, k, sizeof k)) return policy_decide(c, key, who, rq, d, err);
    if ((rc = request_gen(pc, c, &gen, err)) < 0) return rc;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        sl = &pc->slot[i];
        if (sl->full && sl->gen == gen && !strcmp(sl->key, k)) {
            sl->used = ++pc->tick;
            *d = sl->d;
            d->borrowed = 1;
            /* this request's own labels for its audit entry */
            (void)snprintf(d->action, sizeof d->action, "%s", rq->action ? rq->action : "");
            d->detail[0] = 0;
            if (rq->detail)
                (void)strparse_utf8_cut(d->detail, sizeof d->detail, rq->detail,
                                        strlen(rq->detail));
            return GN_OK;
        }
        if (!pc->slot[victim].full) continue;
        if (!sl->full || sl->used < pc->slot[victim].used) victim = i;
    }
    if ((rc = policy_decide(c, key, who, rq, d, err)) < 0) return rc;
    sl = &pc->slot[victim];
    policy_decision_free(&sl->d);
    sl->full = 0;
    if (decision_copy(&sl->d, d) == GN_OK) {
        (void)snprintf(sl->key, sizeof sl->key, "%s", k);
        sl->gen = gen;
        sl->used = ++pc->tick;
        sl->full = 1;
    }
    return GN_OK;
}

/* ---- query budget ------------------------------------------------------------------ */

#define BUDGET_SLOTS 4096
#define BUDGET_PROBE 32
#define BUDGET_KEY   160

struct budget_slot {
    char client[BUDGET_KEY];
    int64_t window_start;
    int64_t used;
};

struct policy_budget {
    pthread_mutex_t mu;
    struct budget_slot slot[BUDGET_SLOTS];
};

int policy_budget_new(struct policy_budget **b)
{
    if (!(*b = gn_calloc(1, sizeof **b))) return GN_ENOMEM;
    pthread_mutex_init(&(*b)->mu, NULL);
    return GN_OK;
}

void policy_budget_free(struct policy_budget *b)
{
    if (!b) return;
    pthread_mutex_destroy(&b->mu);
    gn_free(b);
}

static int budget_settings(struct policy_cache *pc, struct catalog *c, struct gn_err *err)
{
    char v[32];
    int64_t gen, x;
    int rc;
    if ((rc = request_gen(pc, c, &gen, err)) < 0) return rc;
    if (gen == pc->gen) return GN_OK;
    if ((rc = setting_or(c, "query_budget", "10000", v, sizeof v, err)) < 0) return rc;
    if (strparse_i64_all(v, strlen(v), &x) < 0 || x < 0) {
        return gn_errf(err, GN_EINVAL, "setting query_budget: bad value '%s'", v);
    }
    pc->budget = x;
    if ((rc = setting_or(c, "query_budget_window", "3600", v, sizeof v, err)) < 0) return rc;
    if (strparse_i64_all(v, strlen(v), &x) < 0 || x < 1) {
        return gn_errf(err, GN_EINVAL, "setting query_budget_window: bad value '%s'", v);
    }
    pc->window = x;
    pc->gen = gen;
    return GN_OK;
}

int policy_budget_take(struct policy_budget *b, struct policy_cache *pc, struct catalog *c,
                       const struct pseudonym *key, const struct policy_caller *who,
                       const char *client, const char *action, struct gn_err *err)
{
    int64_t now = (int64_t)time(NULL), left = 0;
    uint64_t h = 1469598103934665603ull;
    int rc, over = 0;
    struct policy_request rq = {0};

    if ((rc = budget_settings(pc, c, err)) < 0) return rc;
    if (pc->budget == 0) return GN_OK;
    for (const char *p = client; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    pthread_mutex_lock(&b->mu);
    {
        struct budget_slot *hit = NULL, *free_slot = NULL;
        for (int i = 0; i < BUDGET_PROBE && !hit; i++) {
            struct budget_slot *sl = &b->slot[(h + (uint64_t)i) % BUDGET_SLOTS];
            if (sl->client[0] && !strncmp(sl->client, client, BUDGET_KEY - 1)) {
                hit = sl;
            } else if (!free_slot && (!sl->client[0] || now - sl->window_start >= pc->window)) {
                free_slot = sl; /* empty, or its window is over: reusable */
            }
        }
        if (!hit && free_slot) {
            hit = free_slot;
            (void)snprintf(hit->client, sizeof hit->client, "%s", client);
            hit->window_start = now;
            hit->used = 0;
        }
        if (!hit) {
            over = 1; /* the table is full of active clients: refuse rather than forget */
        } else {
            if (now - hit->window_start >= pc->window) {
                hit->window_start = now;
                hit->used = 0;
            }
            if (hit->used >= pc->budget) {
                over = 1;
                left = hit->window_start + pc->window - now;
            } else {
                hit->used++;
            }
        }
    }
    pthread_mutex_unlock(&b->mu);
    if (!over) return GN_OK;
    rq.action = action;
    rq.detail = "query budget exhausted";
    rc = deny(c, key, who, &rq, err, "query budget of %lld queries per %lld s used up",
              (long long)pc->budget, (long long)pc->window);
    if (rc != GN_EDENIED) return rc;
    return gn_errf(err, GN_ERATE,
                   "query budget exhausted: %lld queries per %lld s; try again in %lld s",
                   (long long)pc->budget, (long long)pc->window, (long long)(left > 0 ? left : 1));
}

/* ---- Matchmaker Exchange ------------------------------------------------------------ */

struct mm_walk {
    int64_t *ids;
    size_t n, cap;
    int opt_in; /* setting matchmaking_consent = optin: only those who said yes */
};

static int mm_visit(void *ctx, const struct catalog_phenopacket_view *v)
{
    struct mm_walk *w = ctx;
    int consent_ok =
        v->consent && (!strcmp(v->consent, "clinical") || !strcmp(v->consent, "research"));
    int choice_ok = v->mm_choice == 1 || (v->mm_choice < 0 && !w->opt_in);
    if (!v->matchmaking || !consent_ok || !choice_ok) return 0;
    if (w->n == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 64;
        int64_t *ni = gn_reallocarray(w->ids, nc, sizeof *ni);
        if (!ni) return GN_ENOMEM;
        w->ids = ni;
        w->cap = nc;
    }
    w->ids[w->n++] = v->individual;
    return 0;
}

/* The caller may take part in matchmaking at all (peer nodes and stewards): GN_OK, or the
 * refusal, audited. */
static int mm_role(struct catalog *c, const struct pseudonym *key, const struct policy_caller *who,
                   const char *action, const char *detail, struct gn_err *err)
{
    struct policy_request rq = {0};
    rq.action = action;
    rq.detail = detail;
    if (!who->role || (strcmp(who->role, "peer-node") && strcmp(who->role, "steward")))
        return deny(c, key, who, &rq, err, "matchmaking needs the peer-node role (caller is %s)",
                    who->role && *who->role ? who->role : "anonymous");
    return GN_OK;
}

/* The people matchmaking may offer (policy_matchmaking's rules), read from the catalog. */
static int mm_people(struct catalog *c, int64_t **ids, size_t *n, struct gn_err *err)
{
    struct mm_walk w = {0};
    char mode[16];
    int rc;
    *ids = NULL;
    *n = 0;
    if ((rc = setting_or(c, "matchmaking_consent", "optout", mode, sizeof mode, err)) < 0)
        return rc;
    w.opt_in = !strcmp(mode, "optin");
    if ((rc = catalog_phenopacket_each(c, mm_visit, &w, err)) < 0) {
        gn_free(w.ids);
        return rc == GN_ENOMEM ? gn_errf(err, rc, "out of memory") : rc;
    }
    *ids = w.ids;
    *n = w.n;
    return GN_OK;
}

int policy_matchmaking(struct catalog *c, const struct pseudonym *key,
                       const struct policy_caller *who, const char *action, const char *detail,
                       int64_t **ids, size_t *n, struct gn_err *err)
{
    int rc;
    *ids = NULL;
    *n = 0;
    if ((rc = mm_role(c, key, who, action, detail, err)) < 0) return rc;
    return mm_people(c, ids, n, err);
}

int policy_matchmaking_cached(struct policy_cache *pc, struct catalog *c,
                              const struct pseudonym *key, const struct policy_caller *who,
                              const char *action, const char *detail, int64_t **ids, size_t *n,
                              struct gn_err *err)
{
    char today[16];
    int64_t gen;
    int rc;
    *ids = NULL;
    *n = 0;
    if ((rc = mm_role(c, key, who, action, detail, err)) < 0) return rc;
    if ((rc = request_gen(pc, c, &gen, err)) < 0) return rc;
    today_utc(today);
    if (pc->mm_gen != gen || strcmp(pc->mm_day, today)) {
        int64_t *v;
        size_t m;
        if ((rc = mm_people(c, &v, &m, err)) < 0) return rc;
        gn_free(pc->mm_ids);
        pc->mm_ids = v;
        pc->mm_n = m;
        pc->mm_gen = gen;
        (void)snprintf(pc->mm_day, sizeof pc->mm_day, "%s", today);
    }
    if (!(*ids = gn_reallocarray(NULL, pc->mm_n + 1, sizeof **ids)))
        return gn_errf(err, GN_ENOMEM, "out of memory");
    if (pc->mm_n) memcpy(*ids, pc->mm_ids, pc->mm_n * sizeof **ids);
    *n = pc->mm_n;
    return GN_OK;
}

int policy_matchmaking_done(struct catalog *c, const struct pseudonym *key,
                            const struct policy_caller *who, const char *action,
                            const char *outcome, const char *detail, int64_t results,
                            const char *subjects, struct gn_err *err)
{
    struct audit_entry e = {0};
    e.actor = who && who->name ? who->name : "";
    e.role = who && who->role ? who->role : "";
    e.purpose = "matchmaking";
    e.action = action;
    e.outcome = outcome;
    e.records = results;
    e.detail = detail ? detail : "";
    e.subjects = subjects ? subjects : "";
    return audit_append(c, key, &e, err);
}
