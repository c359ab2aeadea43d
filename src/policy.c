/*
 * policy.c — access decisions (policy.h).
 *
 * A decision walks every sample once (catalog_sample_each joins samples, individuals,
 * datasets and each person's newest consent event). DUO matching is cached per distinct
 * terms string, so a national cohort with a handful of consent forms costs a handful of
 * matches, not one per person.
 */
#include "policy.h"

#include <stdarg.h>
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
#define GRANTS_MAX  256

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
    int registered_all; /* Passport registered access: count on every dataset */
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
    char reason[400], detail[1024];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    /* The reason and detail are for people: cut when too long, like any message. */
    (void)vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
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

static enum catalog_granularity granted(const struct walk *w, const char *dataset)
{
    enum catalog_granularity g = GRAN_NONE;
    if (!dataset) return GRAN_NONE;
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
    return g;
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
    if (v->withdrawn || !in_cohort(w, v->id)) return GN_OK;
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
    if (granted(w, v->dataset) < w->rq->need) {
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

static int today_after(const char *expires)
{
    char today[16];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    (void)strftime(today, sizeof today, "%Y-%m-%d", &tm); /* 11 bytes of 16 */
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

int policy_decide(struct catalog *c, const struct pseudonym *key, const struct policy_caller *who,
                  const struct policy_request *rq, struct policy_decision *d, struct gn_err *err)
{
    struct walk *w = NULL;
    struct catalog_project proj;
    int64_t all = 0, live = 0;
    int rc;
    const char *role = who->role ? who->role : "";

    memset(d, 0, sizeof *d);
    if (!(w = gn_calloc(1, sizeof *w))) return gn_errf(err, GN_ENOMEM, "out of memory");
    w->who = who;
    w->rq = rq;
    w->d = d;
    /* The decision's labels feed only its audit entry: cut when too long. */
    (void)snprintf(d->actor, sizeof d->actor, "%s", who->name ? who->name : "");
    (void)snprintf(d->role, sizeof d->role, "%s", role);
    (void)snprintf(d->action, sizeof d->action, "%s", rq->action ? rq->action : "");
    (void)snprintf(d->detail, sizeof d->detail, "%s", rq->detail ? rq->detail : "");

    if ((rc = load_settings(c, d, err)) < 0) goto out;

    if (!strcmp(role, "steward")) {
        if (rq->project || rq->patient) {
            rc = deny(c, key, who, rq, err, "a steward acts for administration, not a project");
            goto out;
        }
        w->admin = 1;
        (void)snprintf(d->purpose, sizeof d->purpose, "%s", POLICY_PURPOSE_ADMIN);
        d->granularity = GRAN_RECORD;
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
        if (!rq->purpose_terms) {
            rc = deny(c, key, who, rq, err, "a Passport caller must state its purpose (DUO terms)");
            goto out;
        }
        if (duo_list_parse(&w->purpose, rq->purpose_terms, strlen(rq->purpose_terms),
                           DUO_SIDE_PURPOSE, err) < 0) {
            rc =
                deny(c, key, who, rq, err, "bad purpose: %s", err ? err->msg : "invalid DUO terms");
            goto out;
        }
        w->has_purpose = 1;
        w->registered_all = who->passport->registered_access;
        (void)snprintf(d->purpose, sizeof d->purpose, "%s", rq->purpose_terms);
        d->granularity = rq->need;
    } else {
        if (!rq->project) {
            rc =
                deny(c, key, who, rq, err, "research access needs an approved project (--project)");
            goto out;
        }
        if ((rc = catalog_project_get(c, rq->project, &proj, NULL)) < 0) {
            rc = rc == GN_ENOTFOUND ? deny(c, key, who, rq, err, "no project '%s'", rq->project)
                                    : gn_errf(err, rc, "cannot read project");
            goto out;
        }
        if (today_after(proj.expires)) {
            rc = deny(c, key, who, rq, err, "project '%s' expired on %s", proj.name, proj.expires);
            goto out;
        }
        if (who->user_id && (rc = catalog_project_is_member(c, proj.id, who->user_id, err)) != 1) {
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
        if ((rc = catalog_grant_each(c, who->user_id, proj.id, add_grant, w, err)) < 0) goto out;
        if (who->passport) w->registered_all = who->passport->registered_access;
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

    if (w->has_purpose && d->n_allowed == 0) {
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

int policy_done(struct catalog *c, const struct pseudonym *key, const struct policy_decision *d,
                int64_t records, const char *subjects, struct gn_err *err)
{
    struct audit_entry e = {0};
    char detail[700];
    (void)snprintf(detail, sizeof detail, "%s%s%u samples in scope, granularity %s", d->detail,
                   d->detail[0] ? "; " : "", d->n_allowed,
                   catalog_granularity_name(d->granularity));
    e.actor = d->actor;
    e.role = d->role;
    e.purpose = d->purpose;
    e.action = d->action;
    e.outcome = "allowed";
    e.records = records;
    e.detail = detail;
    e.subjects = subjects;
    return audit_append(c, key, &e, err);
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
    gn_free(d->bits);
    d->bits = NULL;
    d->n_bits = d->n_allowed = 0;
}
