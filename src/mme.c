/*
 * mme.c — Matchmaker Exchange: request parsing, scoring, the /match and /heartbeat
 * answers (mme.h). The peer client is in mme_client.c.
 */
#include "mme.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "auth.h"
#include "hpo_rank.h"
#include "phenopacket.h"
#include "policy.h"
#include "strparse.h"

/* ---- parsing ------------------------------------------------------------------------ */

void mme_query_free(struct mme_query *q)
{
    if (!q) return;
    gn_free(q->features);
    gn_free(q->genes);
    json_decref((json_t *)q->root_);
    gn_free(q);
}

static int bounded_str(const json_t *o, const char *k, size_t max, int required, const char **out,
                       const char *path, struct gn_err *err)
{
    const json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;
    *out = NULL;
    if (!v) return required ? gn_errf(err, GN_EPARSE, "%s.%s: missing", path, k) : GN_OK;
    if (!json_is_string(v)) return gn_errf(err, GN_EPARSE, "%s.%s: expected a string", path, k);
    if (json_string_length(v) > max)
        return gn_errf(err, GN_ELIMIT, "%s.%s: longer than %zu bytes", path, k, max);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return gn_errf(err, GN_EPARSE, "%s.%s: contains a NUL character", path, k);
    *out = json_string_value(v);
    if (required && !**out) return gn_errf(err, GN_EPARSE, "%s.%s: empty", path, k);
    return GN_OK;
}

/* An optional ageOfOnset of o into *out: an HPO id (^HP:[0-9]{7}$) or absent. */
static int onset_field(const json_t *o, const char **out, const char *path, struct gn_err *err)
{
    int rc = bounded_str(o, "ageOfOnset", 64, 0, out, path, err);
    if (rc < 0) return rc;
    if (*out && !phenopacket_is_hpo_id(*out, strlen(*out))) {
        char q[48];
        return gn_errf(err, GN_EPARSE, "%s.ageOfOnset: '%s' is not an HPO id (HP:nnnnnnn)", path,
                       strparse_utf8_cut(q, sizeof q, *out, strlen(*out)));
    }
    return GN_OK;
}

static int parse_patient(struct mme_query *q, const json_t *pt, struct gn_err *err)
{
    const json_t *fs, *gs, *ct;
    const char *s;
    int rc;
    if (!json_is_object(pt)) return gn_errf(err, GN_EPARSE, "patient: expected an object");
    if ((rc = bounded_str(pt, "id", 255, 1, &q->id, "patient", err)) < 0 ||
        (rc = bounded_str(pt, "label", 255, 0, &q->label, "patient", err)) < 0 ||
        (rc = onset_field(pt, &q->onset, "patient", err)) < 0)
        return rc;
    ct = json_object_get(pt, "contact");
    if (!json_is_object(ct)) return gn_errf(err, GN_EPARSE, "patient.contact: missing");
    if ((rc = bounded_str(ct, "name", 1024, 1, &s, "patient.contact", err)) < 0 ||
        (rc = bounded_str(ct, "href", 1024, 1, &s, "patient.contact", err)) < 0)
        return rc;
    fs = json_object_get(pt, "features");
    gs = json_object_get(pt, "genomicFeatures");
    if ((fs && !json_is_array(fs)) || (gs && !json_is_array(gs)))
        return gn_errf(err, GN_EPARSE, "patient.%s: expected an array",
                       fs && !json_is_array(fs) ? "features" : "genomicFeatures");
    if (json_array_size(fs) > MME_MAX_FEATURES)
        return gn_errf(err, GN_ELIMIT, "patient.features: more than %d", MME_MAX_FEATURES);
    if (json_array_size(gs) > MME_MAX_GENES)
        return gn_errf(err, GN_ELIMIT, "patient.genomicFeatures: more than %d", MME_MAX_GENES);
    if (!json_array_size(fs) && !json_array_size(gs))
        return gn_errf(err, GN_EPARSE, "patient: needs features or genomicFeatures");
    if (!(q->features = gn_calloc(json_array_size(fs) + 1, sizeof *q->features)) ||
        !(q->genes = gn_calloc(json_array_size(gs) + 1, sizeof *q->genes)))
        return gn_errf(err, GN_ENOMEM, "out of memory");
    for (size_t i = 0; i < json_array_size(fs); i++) {
        const json_t *f = json_array_get(fs, i);
        const char *obs = NULL;
        char path[48];
        struct mme_feature *mf = &q->features[q->n_features];
        (void)snprintf(path, sizeof path, "patient.features[%zu]", i);
        if (!json_is_object(f)) return gn_errf(err, GN_EPARSE, "%s: expected an object", path);
        if ((rc = bounded_str(f, "id", 64, 1, &mf->id, path, err)) < 0 ||
            (rc = bounded_str(f, "observed", 8, 0, &obs, path, err)) < 0 ||
            (rc = onset_field(f, &mf->onset, path, err)) < 0)
            return rc;
        if (!phenopacket_is_hpo_id(mf->id, strlen(mf->id))) {
            char quoted[48];
            return gn_errf(err, GN_EPARSE, "%s.id: '%s' is not an HPO id (HP:nnnnnnn)", path,
                           strparse_utf8_cut(quoted, sizeof quoted, mf->id, strlen(mf->id)));
        }
        if (obs && strcmp(obs, "yes") && strcmp(obs, "no"))
            return gn_errf(err, GN_EPARSE, "%s.observed: must be yes or no", path);
        mf->observed = !obs || !strcmp(obs, "yes");
        q->n_features++;
    }
    for (size_t i = 0; i < json_array_size(gs); i++) {
        const json_t *g = json_array_get(gs, i);
        char path[64];
        (void)snprintf(path, sizeof path, "patient.genomicFeatures[%zu]", i);
        if (!json_is_object(g)) return gn_errf(err, GN_EPARSE, "%s: expected an object", path);
        (void)snprintf(path, sizeof path, "patient.genomicFeatures[%zu].gene", i);
        if (!json_is_object(json_object_get(g, "gene")))
            return gn_errf(err, GN_EPARSE, "%s: missing", path);
        if ((rc = bounded_str(json_object_get(g, "gene"), "id", 64, 1, &q->genes[q->n_genes].id,
                              path, err)) < 0)
            return rc;
        q->n_genes++;
    }
    return GN_OK;
}

int mme_query_parse(const char *p, size_t len, int kind, struct mme_query **out, struct gn_err *err)
{
    struct mme_query *q = NULL;
    json_error_t je;
    json_t *root;
    int rc;
    *out = NULL;
    if (len > MME_MAX_BYTES)
        return gn_errf(err, GN_EPAYLOAD, "body larger than %u bytes", MME_MAX_BYTES);
    if (!(root = json_loadb(p, len, JSON_REJECT_DUPLICATES, &je)))
        return gn_errf(err, GN_EPARSE, "not JSON: line %d column %d: %s", je.line, je.column,
                       je.text);
    if (!(q = gn_calloc(1, sizeof *q))) {
        json_decref(root);
        return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    q->root_ = root;
    if (!json_is_object(root)) {
        rc = gn_errf(err, GN_EPARSE, "expected a JSON object");
        goto fail;
    }
    if (kind == 1) {
        const json_t *sc = json_object_get(root, "score"), *sp;
        sp = json_is_object(sc) ? json_object_get(sc, "patient") : NULL;
        if (!json_is_number(sp)) {
            rc = gn_errf(err, GN_EPARSE, "score.patient: missing or not a number");
            goto fail;
        }
        q->score = json_number_value(sp);
    }
    if (!json_object_get(root, "patient")) {
        rc = gn_errf(err, GN_EPARSE, "patient: missing");
        goto fail;
    }
    if ((rc = parse_patient(q, json_object_get(root, "patient"), err)) < 0) goto fail;
    *out = q;
    return GN_OK;
fail:
    mme_query_free(q);
    return rc;
}

int mme_route(const char *path)
{
    if (!strncmp(path, "/mme/", 5)) path += 4;
    return !strcmp(path, "/match") || !strcmp(path, "/heartbeat");
}

/* ---- candidates and the profile cache ------------------------------------------------- */

/* One person with a phenotype record, as scoring needs them: immutable once in a snap. */
struct cand {
    int64_t id;
    char pseudonym[32];
    char sex[16];
    uint32_t *obs; /* observed terms resolved, in row order (the similarity's sums follow it) */
    uint32_t n_obs, cap_obs;
    char **genes; /* symbols and gene ids, owned */
    uint32_t n_genes, cap_genes;
    uint32_t *closure; /* hpo_sim_closure of obs */
    uint32_t n_closure;
    double self; /* hpo_sim_self of obs */
    uint32_t n_used;
    uint32_t seq; /* order of arrival (building only) */
};

/* The profiles of a set of people, sorted by id. Immutable once built; in a cache it is
 * shared by reference (refs guarded by the cache's mutex). */
struct mme_snap {
    const struct hpo *h;
    int64_t gen;
    struct cand *c;
    size_t n, cap;
    unsigned refs;
};

struct mme_cache {
    pthread_mutex_t mu;     /* guards cur, refs of every snap, and the counters */
    pthread_mutex_t build;  /* held by the one request rebuilding (single flight) */
    struct mme_snap *cur;   /* NULL until the first /match */
    uint64_t builds, waits; /* snaps built; requests that waited for another's build */
};

static void snap_free(struct mme_snap *s)
{
    if (!s) return;
    for (size_t i = 0; s->c && i < s->n; i++) {
        for (uint32_t k = 0; k < s->c[i].n_genes; k++)
            gn_free(s->c[i].genes[k]);
        gn_free(s->c[i].genes);
        gn_free(s->c[i].obs);
        gn_free(s->c[i].closure);
    }
    gn_free(s->c);
    gn_free(s);
}

int mme_cache_new(struct mme_cache **out)
{
    struct mme_cache *k = gn_calloc(1, sizeof *k);
    *out = NULL;
    if (!k) return GN_ENOMEM;
    if (pthread_mutex_init(&k->mu, NULL)) {
        gn_free(k);
        return GN_ENOMEM;
    }
    if (pthread_mutex_init(&k->build, NULL)) {
        pthread_mutex_destroy(&k->mu);
        gn_free(k);
        return GN_ENOMEM;
    }
    *out = k;
    return GN_OK;
}

void mme_cache_stats(struct mme_cache *k, struct mme_cache_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!k) return;
    pthread_mutex_lock(&k->mu);
    st->builds = k->builds;
    st->waits = k->waits;
    st->people = k->cur ? k->cur->n : 0;
    pthread_mutex_unlock(&k->mu);
}

void mme_cache_free(struct mme_cache *k)
{
    if (!k) return;
    snap_free(k->cur); /* no reader left: the server has stopped */
    pthread_mutex_destroy(&k->build);
    pthread_mutex_destroy(&k->mu);
    gn_free(k);
}

static void snap_release(struct mme_cache *k, struct mme_snap *s)
{
    int last;
    if (!s) return;
    if (!k) {
        snap_free(s);
        return;
    }
    pthread_mutex_lock(&k->mu);
    last = --s->refs == 0;
    pthread_mutex_unlock(&k->mu);
    if (last) snap_free(s);
}

static struct cand *find(struct mme_snap *l, int64_t id)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l->c[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->n && l->c[lo].id == id ? &l->c[lo] : NULL;
}

static void set_view(struct cand *c, const struct catalog_phenopacket_view *v)
{
    (void)snprintf(c->pseudonym, sizeof c->pseudonym, "%s", v->pseudonym);
    (void)snprintf(c->sex, sizeof c->sex, "%s", v->sex ? v->sex : "");
}

/* Only the people already in the snap (the ids given). */
static int load_view(void *ctx, const struct catalog_phenopacket_view *v)
{
    struct cand *c = find(ctx, v->individual);
    if (c) set_view(c, v);
    return 0;
}

/* Everyone with a phenotype record (sorted afterwards). */
static int add_view(void *ctx, const struct catalog_phenopacket_view *v)
{
    struct mme_snap *l = ctx;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 256;
        struct cand *no = gn_reallocarray(l->c, nc, sizeof *no);
        if (!no) return GN_ENOMEM;
        l->c = no;
        l->cap = nc;
    }
    memset(&l->c[l->n], 0, sizeof l->c[l->n]);
    l->c[l->n].id = v->individual;
    l->c[l->n].seq = (uint32_t)l->n;
    set_view(&l->c[l->n++], v);
    return 0;
}

static int by_id_seq(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int add_gene(struct cand *c, const char *g)
{
    if (!g || !*g) return 0;
    for (uint32_t i = 0; i < c->n_genes; i++)
        if (!strcasecmp(c->genes[i], g)) return 0;
    if (c->n_genes == c->cap_genes) {
        uint32_t nc = c->cap_genes ? c->cap_genes * 2 : 4;
        char **ng = gn_reallocarray(c->genes, nc, sizeof *ng);
        if (!ng) return GN_ENOMEM;
        c->genes = ng;
        c->cap_genes = nc;
    }
    if (!(c->genes[c->n_genes] = gn_malloc(strlen(g) + 1))) return GN_ENOMEM;
    memcpy(c->genes[c->n_genes++], g, strlen(g) + 1);
    return 0;
}

static int load_row(void *ctx, const struct catalog_pheno_row *r)
{
    struct mme_snap *l = ctx;
    struct cand *c = find(l, r->individual);
    if (!c) return 0;
    if (r->kind == 'v') {
        int rc = add_gene(c, r->var.gene);
        return rc < 0 ? rc : add_gene(c, r->var.gene_id);
    }
    if (r->kind == 'p' && !r->excluded) {
        enum hpo_resolved how;
        int t = hpo_resolve(l->h, r->a, strlen(r->a), &how, NULL);
        if (t < 0) return 0; /* unknown to this HPO release: not comparable */
        if (c->n_obs == c->cap_obs) {
            uint32_t nc = c->cap_obs ? c->cap_obs * 2 : 16;
            uint32_t *no = gn_reallocarray(c->obs, nc, sizeof *no);
            if (!no) return GN_ENOMEM;
            c->obs = no;
            c->cap_obs = nc;
        }
        c->obs[c->n_obs++] = (uint32_t)t;
    }
    return 0;
}

/* The profiles of the people in ids (sorted), or of everyone with a phenotype record when
 * ids is NULL, read inside the caller's read transaction; owned *out (refs 1). */
static int snap_build(const struct hpo *h, struct catalog *c, const int64_t *ids, size_t n_ids,
                      struct mme_snap **out, struct gn_err *err)
{
    struct mme_snap *l = gn_calloc(1, sizeof *l);
    int rc;
    *out = NULL;
    if (!l) return gn_errf(err, GN_ENOMEM, "out of memory");
    l->h = h;
    l->refs = 1;
    if (ids) {
        if (!(l->c = gn_calloc(n_ids + 1, sizeof *l->c))) goto nomem;
        l->n = l->cap = n_ids;
        for (size_t i = 0; i < n_ids; i++)
            l->c[i].id = ids[i];
        if ((rc = catalog_phenopacket_each(c, load_view, l, err)) < 0) goto fail;
    } else {
        size_t m = 0;
        rc = catalog_phenopacket_each(c, add_view, l, err);
        if (rc == GN_ENOMEM) goto nomem; /* from add_view, without a message */
        if (rc < 0) goto fail;
        /* by id; a person seen twice keeps the last view, as load_view would */
        if (l->n) qsort(l->c, l->n, sizeof *l->c, by_id_seq);
        for (size_t i = 0; i < l->n; i++) {
            if (m && l->c[m - 1].id == l->c[i].id)
                l->c[m - 1] = l->c[i];
            else
                l->c[m++] = l->c[i];
        }
        l->n = m;
    }
    if ((rc = catalog_pheno_rows(c, 0, load_row, l, err)) < 0) {
        if (rc == GN_ENOMEM) goto nomem;
        goto fail;
    }
    for (size_t i = 0; i < l->n; i++) {
        struct cand *cd = &l->c[i];
        if (!cd->pseudonym[0]) continue;
        if ((rc = hpo_sim_closure(h, cd->obs, cd->n_obs, &cd->closure, &cd->n_closure, err)) < 0)
            goto fail;
        hpo_sim_self(h, cd->obs, cd->n_obs, &cd->self, &cd->n_used);
    }
    *out = l;
    return GN_OK;
nomem:
    rc = gn_errf(err, GN_ENOMEM, "out of memory");
fail:
    snap_free(l);
    return rc;
}

/* The cache's snap of generation gen and index h, with a reference taken, or NULL. */
static struct mme_snap *snap_take(struct mme_cache *k, const struct hpo *h, int64_t gen)
{
    struct mme_snap *s;
    pthread_mutex_lock(&k->mu);
    if ((s = k->cur) && s->gen == gen && s->h == h)
        s->refs++;
    else
        s = NULL;
    pthread_mutex_unlock(&k->mu);
    return s;
}

/* The cache's snap when it is of generation gen and this index, or a new one of everyone,
 * installed unless a newer one got there first. Owned reference in *out (snap_release).
 * Inside the caller's read transaction. Single flight: one request builds while the others
 * that found the same stale snap wait for it (k->build) and take what it installed; a
 * waiter whose transaction sees another generation than the one built builds its own. The
 * build runs outside k->mu, so requests on a current snap never wait for a build. */
static int snap_get(struct mme_cache *k, const struct hpo *h, struct catalog *c,
                    struct mme_snap **out, struct gn_err *err)
{
    struct mme_snap *s, *old = NULL;
    int64_t gen;
    int rc;
    *out = NULL;
    if ((rc = catalog_generation(c, &gen, err)) < 0) return rc;
    if ((*out = snap_take(k, h, gen))) return GN_OK;
    pthread_mutex_lock(&k->build);
    if ((*out = snap_take(k, h, gen))) { /* built while this request waited */
        pthread_mutex_unlock(&k->build);
        pthread_mutex_lock(&k->mu);
        k->waits++;
        pthread_mutex_unlock(&k->mu);
        return GN_OK;
    }
    if ((rc = snap_build(h, c, NULL, 0, &s, err)) < 0) {
        pthread_mutex_unlock(&k->build);
        return rc;
    }
    s->gen = gen;
    pthread_mutex_lock(&k->mu);
    k->builds++;
    if (!k->cur || k->cur->h != h || k->cur->gen < gen) {
        old = k->cur;
        k->cur = s;
        s->refs++; /* the cache's reference */
        if (old && --old->refs) old = NULL;
    }
    pthread_mutex_unlock(&k->mu);
    pthread_mutex_unlock(&k->build);
    snap_free(old); /* NULL unless the cache held the last reference */
    *out = s;
    return GN_OK;
}

/* A candidate's score for one query. */
struct scored {
    const struct cand *c;
    double score;
};

static int by_score(const void *a, const void *b)
{
    const struct scored *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return strcmp(x->c->pseudonym, y->c->pseudonym);
}

static int setting_int(struct catalog *c, const char *key, int64_t def, int64_t lo, int64_t hi)
{
    char buf[32];
    int64_t v;
    if (catalog_setting_get(c, key, buf, sizeof buf, NULL) < 0) return (int)def;
    if (strparse_i64_all(buf, strlen(buf), &v) < 0 || v < lo || v > hi) return (int)def;
    return (int)v;
}

/* The MME patient object of a local person (features, genomicFeatures, disorders). */
struct pj {
    json_t *features, *genomic, *disorders;
    char onset[16]; /* the patient's ageOfOnset: the first diagnosis onset */
};

/* A stored onset (an HPO onset term, or an ISO 8601 age: its band's term) as an MME
 * ageOfOnset into out; 0 when there is none to give. */
static int mme_onset(const char *onset, char out[16])
{
    enum hpo_onset_band b;
    if (!onset || !*onset) return 0;
    if (phenopacket_is_hpo_id(onset, strlen(onset))) {
        (void)snprintf(out, 16, "%.10s", onset);
        return 1;
    }
    if (hpo_onset_age(onset, strlen(onset), &b, NULL) < 0) return 0;
    (void)snprintf(out, 16, "HP:%07u", (unsigned)hpo_onset_band_term(b));
    return 1;
}

static const char *mme_assembly(const char *a)
{
    if (!a) return NULL;
    if (!strcasecmp(a, "hg38") || !strncmp(a, "GRCh38", 6)) return "GRCh38";
    if (!strcasecmp(a, "hg19") || !strncmp(a, "GRCh37", 6)) return "GRCh37";
    return NULL;
}

static int bases_ok(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!strchr("ACGT", *s)) return 0;
    return 1;
}

static int pj_row(void *ctx, const struct catalog_pheno_row *r)
{
    struct pj *p = ctx;
    char on[16];
    if (r->kind == 'p') {
        json_t *f = json_pack("{s:s, s:s}", "id", r->a, "observed", r->excluded ? "no" : "yes");
        if (f && !r->excluded && mme_onset(r->onset, on))
            json_object_set_new(f, "ageOfOnset", json_string(on));
        json_array_append_new(p->features, f);
    } else if (r->kind == 'd') {
        char id[64];
        if (!p->onset[0] && mme_onset(r->onset, on)) memcpy(p->onset, on, sizeof on);
        if (!strncmp(r->a, "OMIM:", 5))
            (void)snprintf(id, sizeof id, "MIM:%.40s", r->a + 5);
        else if (!strncmp(r->a, "ORPHA:", 6))
            (void)snprintf(id, sizeof id, "Orphanet:%.40s", r->a + 6);
        else
            (void)snprintf(id, sizeof id, "%.60s", r->a);
        if (!strncmp(id, "MIM:", 4) || !strncmp(id, "Orphanet:", 9))
            json_array_append_new(p->disorders, json_pack("{s:s}", "id", id));
    } else if (r->kind == 'v') {
        json_t *g = json_pack("{s:{s:s}}", "gene", "id", r->var.gene);
        const char *asm_ = mme_assembly(r->var.assembly), *chr = r->var.chrom;
        if (chr && !strncmp(chr, "chr", 3)) chr += 3;
        if (chr && !strcmp(chr, "MT")) chr = "M";
        if (g && asm_ && chr && *chr && r->var.pos > 0 && bases_ok(r->var.ref) &&
            bases_ok(r->var.alt)) {
            /* MME coordinates are 0-based, half-open */
            json_object_set_new(
                g, "variant",
                json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "assembly", asm_, "referenceName", chr,
                          "start", (json_int_t)(r->var.pos - 1), "end",
                          (json_int_t)(r->var.pos - 1 + (int64_t)strlen(r->var.ref)),
                          "referenceBase", r->var.ref, "alternativeBase", r->var.alt));
        }
        if (g && r->var.zygosity && !strcmp(r->var.zygosity, "heterozygous"))
            json_object_set_new(g, "zygosity", json_integer(1));
        else if (g && r->var.zygosity && !strcmp(r->var.zygosity, "homozygous"))
            json_object_set_new(g, "zygosity", json_integer(2));
        json_array_append_new(p->genomic, g);
    }
    return 0;
}

static json_t *patient_json(struct catalog *c, int64_t id, const char *pseudonym, const char *sex,
                            struct gn_err *err)
{
    struct pj p = {json_array(), json_array(), json_array(), ""};
    char name[CATALOG_NAME_MAX + 1] = "", href[512] = "";
    json_t *pt = NULL;
    if (catalog_setting_get(c, "mme_contact_name", name, sizeof name, NULL) < 0 &&
        catalog_setting_get(c, "beacon_name", name, sizeof name, NULL) < 0)
        (void)snprintf(name, sizeof name, "genomenode");
    if (catalog_setting_get(c, "mme_contact_href", href, sizeof href, NULL) < 0)
        (void)snprintf(href, sizeof href, "https://localhost/mme");
    if (!p.features || !p.genomic || !p.disorders || catalog_pheno_rows(c, id, pj_row, &p, err) < 0)
        goto out;
    pt = json_pack("{s:s, s:{s:s, s:s}, s:s}", "id", pseudonym, "contact", "name", name, "href",
                   href, "species", "NCBITaxon:9606");
    if (!pt) goto out;
    if (sex && !strcmp(sex, "male")) json_object_set_new(pt, "gender", json_string("MALE"));
    if (sex && !strcmp(sex, "female")) json_object_set_new(pt, "gender", json_string("FEMALE"));
    if (sex && !strcmp(sex, "other")) json_object_set_new(pt, "gender", json_string("OTHER"));
    if (p.onset[0]) json_object_set_new(pt, "ageOfOnset", json_string(p.onset));
    if (json_array_size(p.features)) json_object_set(pt, "features", p.features);
    if (json_array_size(p.genomic)) json_object_set(pt, "genomicFeatures", p.genomic);
    if (json_array_size(p.disorders)) json_object_set(pt, "disorders", p.disorders);
out:
    json_decref(p.features);
    json_decref(p.genomic);
    json_decref(p.disorders);
    return pt;
}

static int gene_shared(const struct mme_query *q, const struct cand *c)
{
    for (size_t i = 0; i < q->n_genes; i++)
        for (uint32_t k = 0; k < c->n_genes; k++)
            if (!strcasecmp(q->genes[i].id, c->genes[k])) return 1;
    return 0;
}

int mme_match(const struct hpo *h, struct catalog *c, struct mme_cache *cache,
              const struct mme_query *q, const int64_t *ids, size_t n_ids, const char *exclude,
              char **out, char **subjects, size_t *n_results, struct gn_err *err)
{
    struct mme_snap *snap = NULL;
    struct hpo_sim_query *sq = NULL;
    struct scored *order = NULL;
    uint32_t *qobs = NULL, nq = 0;
    json_t *doc = NULL, *results = NULL;
    size_t sub_len = 0, nr = 0;
    int rc = GN_OK, min_pct = setting_int(c, "mme_min_score", 50, 0, 100),
        max_n = setting_int(c, "mme_max_results", 20, 1, 1000);

    *out = *subjects = NULL;
    *n_results = 0;
    if (!(order = gn_calloc(n_ids + 1, sizeof *order)) ||
        !(qobs = gn_calloc(q->n_features + 1, sizeof *qobs)) || !(results = json_array()) ||
        !(*subjects = gn_calloc(1, n_ids * (PSEUDONYM_LEN + 1) + 1)))
        goto nomem;
    for (size_t i = 0; i < q->n_features; i++) {
        enum hpo_resolved how;
        int t;
        if (!q->features[i].observed) continue;
        t = hpo_resolve(h, q->features[i].id, strlen(q->features[i].id), &how, NULL);
        if (t >= 0) qobs[nq++] = (uint32_t)t; /* unknown terms cannot be compared: skipped */
    }
    if (q->n_features > 0 && nq && (rc = hpo_sim_query_new(h, qobs, nq, &sq, err)) < 0) goto out;
    if ((rc = catalog_begin_read(c, err)) < 0) goto out;
    if ((rc = cache ? snap_get(cache, h, c, &snap, err)
                    : snap_build(h, c, ids, n_ids, &snap, err)) < 0) {
        catalog_rollback(c);
        goto out;
    }
    for (size_t i = 0; i < n_ids; i++) {
        const struct cand *cd = find(snap, ids[i]);
        double p = 0, score;
        int has_p = q->n_features > 0, has_g = q->n_genes > 0;
        if (!cd || !cd->pseudonym[0] || (exclude && !strcmp(exclude, cd->pseudonym))) continue;
        if (has_p && nq) {
            struct hpo_sim_cand b = {cd->obs,       cd->n_obs, cd->closure,
                                     cd->n_closure, cd->self,  cd->n_used};
            p = hpo_sim_score(sq, &b); /* == hpo_rank_similarity(h, qobs, nq, cd->obs, ...) */
        }
        score = has_p && has_g ? (p + gene_shared(q, cd)) / 2 : has_g ? gene_shared(q, cd) : p;
        if (score * 100 + 1e-9 >= min_pct) order[nr++] = (struct scored){cd, score};
    }
    qsort(order, nr, sizeof *order, by_score);
    if (nr > (size_t)max_n) nr = (size_t)max_n;
    for (size_t i = 0; i < nr; i++) {
        const struct cand *cd = order[i].c;
        json_t *pt = patient_json(c, cd->id, cd->pseudonym, cd->sex, err);
        double s = (double)(int64_t)(order[i].score * 10000 + 0.5) / 10000;
        if (!pt) {
            catalog_rollback(c);
            rc = err && err->msg[0] ? GN_EIO : GN_ENOMEM;
            if (rc == GN_ENOMEM) goto nomem;
            goto out;
        }
        json_array_append_new(results,
                              json_pack("{s:{s:f}, s:o}", "score", "patient", s, "patient", pt));
        sub_len += (size_t)snprintf(*subjects + sub_len, PSEUDONYM_LEN + 2, "%s%s", i ? "," : "",
                                    cd->pseudonym);
    }
    if ((rc = catalog_commit(c, err)) < 0) goto out;
    if (!(doc = json_pack("{s:O}", "results", results)) || !(*out = json_dumps(doc, JSON_COMPACT)))
        goto nomem;
    *n_results = nr;
    goto out;
nomem:
    rc = gn_errf(err, GN_ENOMEM, "out of memory");
out:
    snap_release(cache, snap);
    hpo_sim_query_free(sq);
    gn_free(order);
    gn_free(qobs);
    json_decref(results);
    json_decref(doc);
    if (rc < 0) {
        gn_free(*out);
        gn_free(*subjects);
        *out = *subjects = NULL;
    }
    return rc;
}

struct find_ps {
    const char *ps;
    int64_t id;
    char sex[16];
};

static int find_ps(void *ctx, const struct catalog_phenopacket_view *v)
{
    struct find_ps *f = ctx;
    if (!strcmp(v->pseudonym, f->ps)) {
        f->id = v->individual;
        (void)snprintf(f->sex, sizeof f->sex, "%s", v->sex ? v->sex : "");
    }
    return 0;
}

int mme_request_for(struct catalog *c, const char *pseudonym, char **out, struct gn_err *err)
{
    struct find_ps f = {pseudonym, 0, ""};
    json_t *pt, *doc;
    int rc;
    *out = NULL;
    if ((rc = catalog_phenopacket_each(c, find_ps, &f, err)) < 0) return rc;
    if (!f.id) return gn_errf(err, GN_ENOTFOUND, "%s has no phenotype record", pseudonym);
    if (!(pt = patient_json(c, f.id, pseudonym, f.sex, err)))
        return err && err->msg[0] ? GN_EIO : gn_errf(err, GN_ENOMEM, "out of memory");
    if (!json_object_get(pt, "features") && !json_object_get(pt, "genomicFeatures")) {
        json_decref(pt);
        return gn_errf(err, GN_EINVAL, "%s has neither phenotypes nor genes to match on",
                       pseudonym);
    }
    doc = json_pack("{s:o}", "patient", pt);
    if (doc) *out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return *out ? GN_OK : gn_errf(err, GN_ENOMEM, "out of memory");
}

/* ---- the HTTP answers ---------------------------------------------------------------- */

static int answer_error(int status, const char *msg, char **out, size_t *len, int *st)
{
    char text[GN_ERR_MSG_MAX]; /* UTF-8 text whatever the message quotes */
    json_t *d = json_pack("{s:{s:i, s:s}}", "error", "errorCode", status, "errorMessage",
                          strparse_utf8_cut(text, sizeof text, msg, strlen(msg)));
    *out = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    if (!*out) return GN_ENOMEM;
    *len = strlen(*out);
    *st = status;
    return GN_OK;
}

static int type_ok(const char *t, int accept)
{
    if (!t || !*t) return 1;
    if (strstr(t, "application/vnd.ga4gh.matchmaker.v1.0+json") || strstr(t, "application/json"))
        return 1;
    return accept && (strstr(t, "*/*") != NULL);
}

int mme_handle(const struct hpo *h, struct mme_cache *cache, struct policy_cache *pc,
               struct catalog *c, const struct pseudonym *key, const struct mme_call *call,
               char **out, size_t *len, int *status, const char **ctype)
{
    struct gn_err err = GN_ERR_INIT;
    struct auth_caller who;
    struct mme_query *q = NULL;
    int64_t *ids = NULL;
    size_t n_ids = 0, n_res = 0;
    char *subjects = NULL, detail[300];
    const char *path = !strncmp(call->path, "/mme/", 5) ? call->path + 4 : call->path;
    int rc;

    *out = NULL;
    *ctype = MME_CONTENT_TYPE;
    if (!type_ok(call->accept, 1))
        return answer_error(406, "unsupported API version (Accept " MME_CONTENT_TYPE ")", out, len,
                            status);
    if (!call->token || !*call->token)
        return answer_error(401, "X-Auth-Token missing", out, len, status);
    if ((rc = auth_token_check(c, key, call->token, &who, &err)) < 0)
        return answer_error(rc == GN_EDENIED ? 401 : gn_err_http_status(rc), err.msg, out, len,
                            status);
    if (!strcmp(path, "/heartbeat")) {
        json_t *d;
        if (strcmp(who.caller.role, "peer-node") && strcmp(who.caller.role, "steward"))
            return answer_error(403, "heartbeat needs the peer-node role", out, len, status);
        d = json_pack("{s:{s:b, s:s, s:[s]}}", "heartbeat", "production", 1, "version", "1.0",
                      "accept", MME_CONTENT_TYPE);
        *out = d ? json_dumps(d, JSON_COMPACT) : NULL;
        json_decref(d);
        if (!*out) return GN_ENOMEM;
        *len = strlen(*out);
        *status = 200;
        return GN_OK;
    }
    if (strcmp(call->method, "POST")) return answer_error(405, "POST /match", out, len, status);
    if (!type_ok(call->ctype, 0))
        return answer_error(415, "Content-Type must be " MME_CONTENT_TYPE, out, len, status);
    if ((rc = mme_query_parse(call->body ? call->body : "", call->body_len, 0, &q, &err)) < 0) {
        rc = answer_error(rc == GN_ENOMEM ? 503 : 400, err.msg, out, len, status);
        goto out;
    }
    (void)snprintf(detail, sizeof detail, "query: %zu features, %zu genes", q->n_features,
                   q->n_genes);
    rc = pc ? policy_matchmaking_cached(pc, c, key, &who.caller, "mme.match", detail, &ids, &n_ids,
                                        &err)
            : policy_matchmaking(c, key, &who.caller, "mme.match", detail, &ids, &n_ids, &err);
    if (rc < 0) {
        rc = answer_error(rc == GN_EDENIED ? 403 : gn_err_http_status(rc), err.msg, out, len,
                          status);
        goto out;
    }
    if (!h) {
        rc = answer_error(503, "no HPO index loaded (genomenode hpo build; serve --hpo)", out, len,
                          status);
        goto out;
    }
    if ((rc = mme_match(h, c, cache, q, ids, n_ids, NULL, out, &subjects, &n_res, &err)) < 0) {
        rc = answer_error(gn_err_http_status(rc), err.msg, out, len, status);
        goto out;
    }
    (void)snprintf(detail + strlen(detail), sizeof detail - strlen(detail),
                   "; %zu matchable; %zu returned", n_ids, n_res);
    if ((rc = policy_matchmaking_done(c, key, &who.caller, "mme.match", "allowed", detail,
                                      (int64_t)n_res, subjects, &err)) < 0) {
        gn_free(*out);
        *out = NULL;
        rc = answer_error(503, "the exchange could not be audited", out, len, status);
        goto out;
    }
    *len = strlen(*out);
    *status = 200;
    rc = GN_OK;
out:
    mme_query_free(q);
    gn_free(ids);
    gn_free(subjects);
    return rc;
}
