/*
 * mme.c — Matchmaker Exchange: request parsing, scoring, the /match and /heartbeat
 * answers (mme.h). The peer client is in mme_client.c.
 */
#include "mme.h"

#include <jansson.h>
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

static int parse_patient(struct mme_query *q, const json_t *pt, struct gn_err *err)
{
    const json_t *fs, *gs, *ct;
    const char *s;
    int rc;
    if (!json_is_object(pt)) return gn_errf(err, GN_EPARSE, "patient: expected an object");
    if ((rc = bounded_str(pt, "id", 255, 1, &q->id, "patient", err)) < 0 ||
        (rc = bounded_str(pt, "label", 255, 0, &q->label, "patient", err)) < 0)
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
            (rc = bounded_str(f, "observed", 8, 0, &obs, path, err)) < 0)
            return rc;
        if (!phenopacket_is_hpo_id(mf->id, strlen(mf->id)))
            return gn_errf(err, GN_EPARSE, "%s.id: '%.40s' is not an HPO id (HP:nnnnnnn)", path,
                           mf->id);
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
        return gn_errf(err, GN_ELIMIT, "body larger than %u bytes", MME_MAX_BYTES);
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

/* ---- candidates and scores ----------------------------------------------------------- */

struct cand {
    int64_t id;
    char pseudonym[32];
    char sex[16];
    uint32_t *obs;
    uint32_t n_obs, cap_obs;
    char **genes; /* symbols and gene ids, owned */
    uint32_t n_genes, cap_genes;
    double score;
};

struct load {
    const struct hpo *h;
    struct cand *c;
    size_t n;
};

static struct cand *find(struct load *l, int64_t id)
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

static int load_view(void *ctx, const struct catalog_phenopacket_view *v)
{
    struct cand *c = find(ctx, v->individual);
    if (c) {
        (void)snprintf(c->pseudonym, sizeof c->pseudonym, "%s", v->pseudonym);
        (void)snprintf(c->sex, sizeof c->sex, "%s", v->sex ? v->sex : "");
    }
    return 0;
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
    struct load *l = ctx;
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

static int by_score(const void *a, const void *b)
{
    const struct cand *x = *(const struct cand *const *)a, *y = *(const struct cand *const *)b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return strcmp(x->pseudonym, y->pseudonym);
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
};

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
    if (r->kind == 'p') {
        json_array_append_new(p->features, json_pack("{s:s, s:s}", "id", r->a, "observed",
                                                     r->excluded ? "no" : "yes"));
    } else if (r->kind == 'd') {
        char id[64];
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
    struct pj p = {json_array(), json_array(), json_array()};
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

int mme_match(const struct hpo *h, struct catalog *c, const struct mme_query *q, const int64_t *ids,
              size_t n_ids, const char *exclude, char **out, char **subjects, size_t *n_results,
              struct gn_err *err)
{
    struct load l = {h, NULL, n_ids};
    struct cand **order = NULL;
    uint32_t *qobs = NULL, nq = 0;
    json_t *doc = NULL, *results = NULL;
    size_t sub_len = 0, nr = 0;
    int rc = GN_OK, min_pct = setting_int(c, "mme_min_score", 50, 0, 100),
        max_n = setting_int(c, "mme_max_results", 20, 1, 1000);

    *out = *subjects = NULL;
    *n_results = 0;
    if (!(l.c = gn_calloc(n_ids + 1, sizeof *l.c)) ||
        !(order = gn_calloc(n_ids + 1, sizeof *order)) ||
        !(qobs = gn_calloc(q->n_features + 1, sizeof *qobs)) || !(results = json_array()) ||
        !(*subjects = gn_calloc(1, n_ids * (PSEUDONYM_LEN + 1) + 1)))
        goto nomem;
    for (size_t i = 0; i < n_ids; i++)
        l.c[i].id = ids[i];
    for (size_t i = 0; i < q->n_features; i++) {
        enum hpo_resolved how;
        int t;
        if (!q->features[i].observed) continue;
        t = hpo_resolve(h, q->features[i].id, strlen(q->features[i].id), &how, NULL);
        if (t >= 0) qobs[nq++] = (uint32_t)t; /* unknown terms cannot be compared: skipped */
    }
    if ((rc = catalog_begin_read(c, err)) < 0) goto out;
    if ((rc = catalog_phenopacket_each(c, load_view, &l, err)) < 0 ||
        (rc = catalog_pheno_rows(c, 0, load_row, &l, err)) < 0) {
        catalog_rollback(c);
        goto out;
    }
    for (size_t i = 0; i < n_ids; i++) {
        struct cand *cd = &l.c[i];
        double p = 0;
        int has_p = q->n_features > 0, has_g = q->n_genes > 0;
        if (!cd->pseudonym[0] || (exclude && !strcmp(exclude, cd->pseudonym))) continue;
        if (has_p && nq &&
            (rc = hpo_rank_similarity(h, qobs, nq, cd->obs, cd->n_obs, &p, err)) < 0) {
            catalog_rollback(c);
            goto out;
        }
        cd->score = has_p && has_g ? (p + gene_shared(q, cd)) / 2 : has_g ? gene_shared(q, cd) : p;
        if (cd->score * 100 + 1e-9 >= min_pct) order[nr++] = cd;
    }
    qsort(order, nr, sizeof *order, by_score);
    if (nr > (size_t)max_n) nr = (size_t)max_n;
    for (size_t i = 0; i < nr; i++) {
        json_t *pt = patient_json(c, order[i]->id, order[i]->pseudonym, order[i]->sex, err);
        double s = (double)(int64_t)(order[i]->score * 10000 + 0.5) / 10000;
        if (!pt) {
            catalog_rollback(c);
            rc = err && err->msg[0] ? GN_EIO : GN_ENOMEM;
            if (rc == GN_ENOMEM) goto nomem;
            goto out;
        }
        json_array_append_new(results,
                              json_pack("{s:{s:f}, s:o}", "score", "patient", s, "patient", pt));
        sub_len += (size_t)snprintf(*subjects + sub_len, PSEUDONYM_LEN + 2, "%s%s", i ? "," : "",
                                    order[i]->pseudonym);
    }
    if ((rc = catalog_commit(c, err)) < 0) goto out;
    if (!(doc = json_pack("{s:O}", "results", results)) || !(*out = json_dumps(doc, JSON_COMPACT)))
        goto nomem;
    *n_results = nr;
    goto out;
nomem:
    rc = gn_errf(err, GN_ENOMEM, "out of memory");
out:
    for (size_t i = 0; l.c && i < n_ids; i++) {
        for (uint32_t k = 0; k < l.c[i].n_genes; k++)
            gn_free(l.c[i].genes[k]);
        gn_free(l.c[i].genes);
        gn_free(l.c[i].obs);
    }
    gn_free(l.c);
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
    json_t *d = json_pack("{s:{s:i, s:s}}", "error", "errorCode", status, "errorMessage", msg);
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

int mme_handle(const struct hpo *h, struct catalog *c, const struct pseudonym *key,
               const struct mme_call *call, char **out, size_t *len, int *status,
               const char **ctype)
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
    if ((rc = policy_matchmaking(c, key, &who.caller, "mme.match", detail, &ids, &n_ids, &err)) <
        0) {
        rc = answer_error(rc == GN_EDENIED ? 403 : gn_err_http_status(rc), err.msg, out, len,
                          status);
        goto out;
    }
    if (!h) {
        rc = answer_error(503, "no HPO index loaded (genomenode hpo build; serve --hpo)", out, len,
                          status);
        goto out;
    }
    if ((rc = mme_match(h, c, q, ids, n_ids, NULL, out, &subjects, &n_res, &err)) < 0) {
        rc = answer_error(gn_err_http_status(rc), err.msg, out, len, status);
        goto out;
    }
    (void)snprintf(detail + strlen(detail), sizeof detail - strlen(detail),
                   "; %zu matchable; %zu returned", n_ids, n_res);
    if ((rc = policy_matchmaking_done(c, key, &who.caller, "mme.match", detail, (int64_t)n_res,
                                      subjects, &err)) < 0) {
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
