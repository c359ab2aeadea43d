/*
 * phenosel.c — phenotype and diagnosis criteria of a cohort (phenosel.h).
 *
 * One pass over the phenotype records: every person with a record gets a bit mask of the
 * criteria their rows satisfy (bit k: criterion k), then one pass over the samples keeps
 * those whose person has every bit. A term criterion is matched by hpo_is_ancestor (a
 * binary search in the recorded term's closure), so no expansion of the ontology is ever
 * built, whatever the term.
 */
#include "phenosel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

struct phenosel {
    const struct hpo *h; /* borrowed */
    uint32_t term[PHENOSEL_MAX_CRITERIA];
    uint32_t n_terms;
    char dx[PHENOSEL_MAX_CRITERIA][PHENOSEL_MAX_ID + 1];
    uint32_t n_dx;
};

/* Calls fn(ctx, item, len) for each comma-separated item of list; an empty item is
 * GN_EINVAL. */
static int each_item(const char *list, const char *what,
                     int (*fn)(void *ctx, const char *s, size_t n, struct gn_err *err), void *ctx,
                     struct gn_err *err)
{
    const char *p = list;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int rc;
        while (n && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == 0) return gn_errf(err, GN_EINVAL, "empty item in the %s list '%s'", what, list);
        if ((rc = fn(ctx, p, n, err)) < 0) return rc;
        if (!e) return GN_OK;
        p = e + 1;
    }
}

struct add_ctx {
    struct phenosel *s;
    char *note;
    size_t note_len;
};

static int add_term(void *ctx, const char *p, size_t n, struct gn_err *err)
{
    struct add_ctx *a = ctx;
    struct phenosel *s = a->s;
    enum hpo_resolved how = HPO_RESOLVED_CURRENT;
    int t;
    if (s->n_terms + s->n_dx >= PHENOSEL_MAX_CRITERIA)
        return gn_errf(err, GN_EINVAL, "more than %u cohort criteria", PHENOSEL_MAX_CRITERIA);
    if ((t = hpo_resolve(s->h, p, n, &how, err)) < 0) return t;
    if (how != HPO_RESOLVED_CURRENT && a->note) {
        char cur[16];
        size_t used = strlen(a->note);
        (void)snprintf(a->note + used, a->note_len - used, "%s%.*s is %s, counted as %s",
                       used ? "; " : "", (int)n, p,
                       how == HPO_RESOLVED_ALT ? "an alternative id" : "obsolete",
                       hpo_term_name(s->h, (uint32_t)t, cur));
    }
    s->term[s->n_terms++] = (uint32_t)t;
    return GN_OK;
}

static int add_dx(void *ctx, const char *p, size_t n, struct gn_err *err)
{
    struct phenosel *s = ((struct add_ctx *)ctx)->s;
    const char *colon = memchr(p, ':', n);
    if (s->n_terms + s->n_dx >= PHENOSEL_MAX_CRITERIA)
        return gn_errf(err, GN_EINVAL, "more than %u cohort criteria", PHENOSEL_MAX_CRITERIA);
    if (n > PHENOSEL_MAX_ID || !colon || colon == p || colon == p + n - 1)
        return gn_errf(err, GN_EPARSE,
                       "bad disease id '%.*s' (expected PREFIX:ID, e.g. OMIM:614959)",
                       (int)(n > PHENOSEL_MAX_ID ? PHENOSEL_MAX_ID : n), p);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f)
            return gn_errf(err, GN_EPARSE,
                           "bad disease id '%.*s' (contains a blank or control byte)", (int)n, p);
    }
    memcpy(s->dx[s->n_dx], p, n);
    s->dx[s->n_dx++][n] = '\0';
    return GN_OK;
}

int phenosel_new(const struct hpo *h, const char *terms, const char *diagnoses,
                 struct phenosel **out, char *note, size_t note_len, struct gn_err *err)
{
    struct phenosel *s;
    struct add_ctx a = {NULL, note_len ? note : NULL, note_len};
    int rc = GN_OK;

    *out = NULL;
    if (a.note) a.note[0] = '\0';
    if (terms && !*terms) terms = NULL;
    if (diagnoses && !*diagnoses) diagnoses = NULL;
    if (!terms && !diagnoses) return gn_errf(err, GN_EINVAL, "no phenotype or diagnosis criteria");
    if (terms && !h) return gn_errf(err, GN_EINVAL, "phenotype criteria need the HPO index");
    if (!(s = gn_calloc(1, sizeof *s))) return gn_errf(err, GN_ENOMEM, "out of memory");
    s->h = h;
    a.s = s;
    if ((terms && (rc = each_item(terms, "phenotype", add_term, &a, err)) < 0) ||
        (diagnoses && (rc = each_item(diagnoses, "diagnosis", add_dx, &a, err)) < 0)) {
        phenosel_free(s);
        return rc;
    }
    *out = s;
    return GN_OK;
}

void phenosel_free(struct phenosel *s)
{
    gn_free(s);
}

const char *phenosel_describe(const struct phenosel *s, char *buf, size_t n)
{
    size_t at = 0;
    if (!n) return buf;
    buf[0] = '\0';
    for (uint32_t k = 0; k < s->n_terms && at < n; k++) {
        char name[16];
        int w = snprintf(buf + at, n - at, "%s%s", k ? "," : "phenotype ",
                         hpo_term_name(s->h, s->term[k], name));
        if (w < 0) break;
        at += (size_t)w;
    }
    for (uint32_t k = 0; k < s->n_dx && at < n; k++) {
        int w = snprintf(buf + at, n - at, "%s%s",
                         k            ? ","
                         : s->n_terms ? "; diagnosis "
                                      : "diagnosis ",
                         s->dx[k]);
        if (w < 0) break;
        at += (size_t)w;
    }
    return buf;
}

/* Appends item to the comma-separated list in buf (n bytes); 0, or -1 when it would not fit. */
static int append_item(char *buf, size_t n, size_t *at, const char *item)
{
    int w = snprintf(buf + *at, n - *at, "%s%s", *at ? "," : "", item);
    if (w < 0 || (size_t)w >= n - *at) return -1;
    *at += (size_t)w;
    return 0;
}

int phenosel_lists(const struct phenosel *s, char *terms, size_t tn, char *dx, size_t dn,
                   struct gn_err *err)
{
    size_t at = 0;
    if (!tn || !dn) return gn_errf(err, GN_EINVAL, "no room for the criteria");
    terms[0] = dx[0] = '\0';
    for (uint32_t k = 0; k < s->n_terms; k++) {
        char name[16];
        if (append_item(terms, tn, &at, hpo_term_name(s->h, s->term[k], name)) < 0)
            return gn_errf(err, GN_ELIMIT, "phenotype criteria longer than %zu bytes", tn - 1);
    }
    at = 0;
    for (uint32_t k = 0; k < s->n_dx; k++) {
        if (append_item(dx, dn, &at, s->dx[k]) < 0)
            return gn_errf(err, GN_ELIMIT, "diagnosis criteria longer than %zu bytes", dn - 1);
    }
    return GN_OK;
}

/* ---- selection ---------------------------------------------------------------------- */

struct person {
    int64_t id;      /* catalog individual id */
    char *pseudonym; /* owned */
    uint64_t mask;   /* criteria met */
};

struct sel {
    const struct phenosel *s;
    struct person *p;
    uint32_t n, cap;
    uint64_t all; /* mask of every criterion */
    uint32_t *ids;
    uint32_t n_ids, cap_ids;
};

static int cmp_person_id(const void *a, const void *b)
{
    const struct person *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_person_pseudonym(const void *a, const void *b)
{
    return strcmp(((const struct person *)a)->pseudonym, ((const struct person *)b)->pseudonym);
}

/* bsearch key for a pseudonym: only the string is compared */
static int cmp_key_pseudonym(const void *key, const void *b)
{
    return strcmp(key, ((const struct person *)b)->pseudonym);
}

static int on_record(void *ctx, const struct catalog_phenopacket_view *v)
{
    struct sel *q = ctx;
    if (!v->pseudonym) return GN_OK;
    if (q->n == q->cap) {
        uint32_t nc = q->cap ? q->cap * 2 : 256;
        struct person *x = gn_reallocarray(q->p, nc, sizeof *x);
        if (!x) return GN_ENOMEM;
        q->p = x;
        q->cap = nc;
    }
    if (!(q->p[q->n].pseudonym = gn_strdup(v->pseudonym))) return GN_ENOMEM;
    q->p[q->n].id = v->individual;
    q->p[q->n++].mask = 0;
    return GN_OK;
}

static int on_row(void *ctx, const struct catalog_pheno_row *r)
{
    struct sel *q = ctx;
    const struct phenosel *s = q->s;
    struct person key = {r->individual, NULL, 0}, *m;
    if (r->kind == 'v' || (r->kind == 'p' && (r->excluded || !s->n_terms)) ||
        (r->kind == 'd' && !s->n_dx))
        return GN_OK;
    if (!(m = bsearch(&key, q->p, q->n, sizeof *q->p, cmp_person_id))) return GN_OK;
    if (r->kind == 'd') {
        for (uint32_t k = 0; k < s->n_dx; k++)
            if (!strcmp(r->a, s->dx[k])) m->mask |= (uint64_t)1 << (s->n_terms + k);
        return GN_OK;
    }
    uint32_t num, t;
    enum hpo_resolved how;
    if (hpo_parse_id(r->a, strlen(r->a), &num, NULL) < 0) return GN_OK; /* checked on import */
    if ((t = hpo_resolve_id(s->h, num, &how)) == HPO_NONE) return GN_OK;
    for (uint32_t k = 0; k < s->n_terms; k++)
        if (hpo_is_ancestor(s->h, s->term[k], t)) m->mask |= (uint64_t)1 << k;
    return GN_OK;
}

static int on_sample(void *ctx, const struct catalog_sample_view *v)
{
    struct sel *q = ctx;
    struct person *m;
    if (!v->individual) return GN_OK;
    m = bsearch(v->individual, q->p, q->n, sizeof *q->p, cmp_key_pseudonym);
    if (!m || m->mask != q->all) return GN_OK;
    if (q->n_ids == q->cap_ids) {
        uint32_t nc = q->cap_ids ? q->cap_ids * 2 : 256;
        uint32_t *x = gn_reallocarray(q->ids, nc, sizeof *x);
        if (!x) return GN_ENOMEM;
        q->ids = x;
        q->cap_ids = nc;
    }
    q->ids[q->n_ids++] = v->id;
    return GN_OK;
}

int phenosel_samples(const struct phenosel *s, struct catalog *c, uint32_t **ids, uint32_t *n,
                     struct gn_err *err)
{
    struct sel q = {s, NULL, 0, 0, 0, NULL, 0, 0};
    uint32_t nc = s->n_terms + s->n_dx;
    int rc;

    *ids = NULL;
    *n = 0;
    q.all = nc == 64 ? UINT64_MAX : ((uint64_t)1 << nc) - 1;
    if ((rc = catalog_phenopacket_each(c, on_record, &q, err)) < 0) goto fail;
    qsort(q.p, q.n, sizeof *q.p, cmp_person_id);
    if (q.n && (rc = catalog_pheno_rows(c, 0, on_row, &q, err)) < 0) goto fail;
    qsort(q.p, q.n, sizeof *q.p, cmp_person_pseudonym);
    if (q.n && (rc = catalog_sample_each(c, on_sample, &q, err)) < 0) goto fail;
    if (!q.ids && !(q.ids = gn_malloc(sizeof *q.ids))) {
        rc = GN_ENOMEM;
        goto fail;
    }
    *ids = q.ids; /* catalog_sample_each visits in id order */
    *n = q.n_ids;
    q.ids = NULL;
    rc = GN_OK;
fail:
    for (uint32_t i = 0; i < q.n; i++)
        gn_free(q.p[i].pseudonym);
    gn_free(q.p);
    gn_free(q.ids);
    return rc == GN_ENOMEM ? gn_errf(err, rc, "out of memory") : rc;
}
