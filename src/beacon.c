/*
 * beacon.c — the Beacon v2 service (beacon.h).
 *
 * A request goes: parse (beacon_req) → budget (policy_budget_take) → decision
 * (policy_decide_cached, a discovery request) → per dataset: the allowed samples, narrowed
 * by the filters, as per-segment masks (cached per decision and snapshot) → counts from the
 * store (query_count / query_freq) or the people table → the response → audit
 * (policy_done).
 *
 * The people table (sample id → individual, sex, pseudonyms) is read from the catalog once
 * per catalog generation, so a query touches the catalog only to read its generation. It
 * also holds what the phenopackets imported into the node say of each individual
 * (catalog_pheno_rows): the observed HPO terms, resolved once to current terms of the
 * server's HPO index (beacon_set_hpo), and the diagnoses. Phenotype and diagnosis filters
 * are evaluated against it per request into one byte per individual (struct filt.ind_ok);
 * a term filter with descendants is a walk over each person's few terms asking
 * hpo_is_ancestor (a binary search in the term's closure), so no ontology expansion is
 * ever materialised. Excluded phenotypes are not kept: "examined and absent" never
 * matches a filter.
 */
#include "beacon.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "alloc.h"
#include "beacon_req.h"
#include "contig.h"
#include "duo.h"
#include "gtrec.h"
#include "gtstore.h"
#include "hpo.h"
#include "log.h"
#include "query.h"
#include "strparse.h"

#define API_VERSION "v2.1.1"
#define MASK_SLOTS  32
#define DX_ID_LEN   48 /* "OMIM:614959", "ORPHA:1234", "MONDO:0012345"; longer ids are cut */

/* sex codes of the people table */
enum { SEX_UNKNOWN = 0, SEX_FEMALE, SEX_MALE, SEX_OTHER, SEX_NONE };
static const char *const sex_id[] = {"NCIT:C17998", "NCIT:C16576", "NCIT:C20197", "NCIT:C17998",
                                     "NCIT:C17998"};
static const char *const sex_label[] = {"unknown", "female", "male", "unknown", "unknown"};

struct people {
    int64_t gen; /* catalog generation read at; -1 when empty */
    uint32_t n;  /* sample ids covered */
    uint8_t *sex;
    uint32_t *ind;                    /* sample → individual index, UINT32_MAX without one */
    char (*sname)[PSEUDONYM_LEN + 1]; /* sample pseudonyms */
    char (*iname)[PSEUDONYM_LEN + 1]; /* individual pseudonyms, by index */
    uint32_t n_ind, cap_ind;
    uint32_t *hash; /* open addressing over iname: index + 1, 0 empty */
    uint32_t hash_cap;
    uint8_t *ind_live; /* by individual index: has a sample not withdrawn */
    /* phenotype records: observed terms of individual i are [ph_off[i], ph_off[i+1]) */
    uint32_t n_ph_ind; /* individuals covered by ph_off (n_ind once loaded) */
    uint32_t *ph_off;
    uint32_t *ph_num;  /* numeric HP id as imported (HP:0001250 → 1250) */
    uint32_t *ph_term; /* current term index in the HPO index; HPO_NONE: unknown, no index */
    uint32_t n_dx;     /* diagnoses, one row per (individual, disease) */
    uint32_t *dx_ind;
    char (*dx_id)[DX_ID_LEN];
    uint32_t *terms; /* distinct current numeric ids of live people's observed terms */
    uint32_t n_terms;
    uint32_t *dxs; /* indices into dx_id of distinct live diagnoses */
    uint32_t n_dxs;
    uint32_t *dx_slot; /* by diagnosis row: its index in dxs; UINT32_MAX for people not live */
};

struct mask_slot {
    uint64_t serial; /* decision */
    uint32_t ds;     /* dataset index in it */
    uint32_t filt;   /* filter signature (sex bits) */
    const struct gtsnap *snap;
    uint64_t snap_gen;
    uint32_t n_seg;
    uint64_t **masks; /* NULL: every live sample */
    uint64_t used;
    int full;
};

struct settings {
    char id[128], name[128], org[128];
};

/* Under a project the API names individuals and samples by the project's pseudonyms of the
 * node's (pseudonym_derive), so that two projects' answers cannot be linked, nor mapped to
 * the node's own ids (which Matchmaker Exchange hands to peers). An id sent under a project
 * is looked up among that project's pseudonyms only, in this reverse map: every individual
 * and sample of the people table, built on the first lookup by id for a project and kept
 * while the people table and the project stay the same. */
struct proj_id {
    char name[PSEUDONYM_LEN + 1];
    uint8_t kind; /* 'i': an individual (ix: people index); 's': a sample (ix: global id) */
    uint32_t ix;
};

struct proj_ids {
    char project[CATALOG_NAME_MAX + 1];
    int64_t gen;       /* the people table's generation it was built from; -1: none */
    struct proj_id *v; /* sorted by kind, then name */
    uint32_t n;
};

struct beacon {
    struct policy_cache *pc;
    const struct hpo *hpo; /* borrowed, shared read-only; NULL: none */
    struct settings st;    /* the beacon_* settings, read at catalog generation st_gen */
    int64_t st_gen;
    struct people people;
    struct proj_ids pid;
    struct mask_slot mask[MASK_SLOTS];
    uint64_t tick;
};

/* ---- lifecycle ---------------------------------------------------------------------- */

int beacon_new(struct beacon **b)
{
    int rc;
    if (!(*b = gn_calloc(1, sizeof **b))) return GN_ENOMEM;
    (*b)->people.gen = -1;
    (*b)->pid.gen = -1;
    (*b)->st_gen = -1;
    if ((rc = policy_cache_new(&(*b)->pc)) < 0) {
        gn_free(*b);
        *b = NULL;
        return rc;
    }
    return GN_OK;
}

static void mask_slot_clear(struct mask_slot *m)
{
    if (m->masks) {
        for (uint32_t i = 0; i < m->n_seg; i++)
            gn_free(m->masks[i]);
        gn_free(m->masks);
    }
    memset(m, 0, sizeof *m);
}

static void people_clear(struct people *p)
{
    gn_free(p->sex);
    gn_free(p->ind);
    gn_free(p->sname);
    gn_free(p->iname);
    gn_free(p->hash);
    gn_free(p->ind_live);
    gn_free(p->ph_off);
    gn_free(p->ph_num);
    gn_free(p->ph_term);
    gn_free(p->dx_ind);
    gn_free(p->dx_id);
    gn_free(p->terms);
    gn_free(p->dxs);
    gn_free(p->dx_slot);
    memset(p, 0, sizeof *p);
    p->gen = -1;
}

void beacon_set_hpo(struct beacon *b, const struct hpo *h)
{
    b->hpo = h;
    people_clear(&b->people); /* the terms were resolved against the previous index */
}

void beacon_free(struct beacon *b)
{
    if (!b) return;
    for (int i = 0; i < MASK_SLOTS; i++)
        mask_slot_clear(&b->mask[i]);
    people_clear(&b->people);
    gn_free(b->pid.v);
    policy_cache_free(b->pc);
    gn_free(b);
}

/* ---- the people table --------------------------------------------------------------- */

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int people_intern(struct people *p, const char *name, uint32_t *idx)
{
    uint64_t h = name_hash(name);
    uint32_t i = (uint32_t)(h & (p->hash_cap - 1));
    while (p->hash[i]) {
        if (!strcmp(p->iname[p->hash[i] - 1], name)) {
            *idx = p->hash[i] - 1;
            return GN_OK;
        }
        i = (i + 1) & (p->hash_cap - 1);
    }
    if (p->n_ind == p->cap_ind) {
        uint32_t nc = p->cap_ind ? p->cap_ind * 2 : 1024;
        void *n = gn_reallocarray(p->iname, nc, sizeof *p->iname);
        if (!n) return GN_ENOMEM;
        p->iname = n;
        if (!(n = gn_reallocarray(p->ind_live, nc, 1))) return GN_ENOMEM;
        p->ind_live = n;
        p->cap_ind = nc;
    }
    p->ind_live[p->n_ind] = 0;
    (void)snprintf(p->iname[p->n_ind], sizeof p->iname[0], "%s", name);
    p->hash[i] = p->n_ind + 1;
    *idx = p->n_ind++;
    return GN_OK;
}

static int people_visit(void *ctx, const struct catalog_sample_view *v)
{
    struct people *p = ctx;
    if (v->id >= p->n) return GN_OK;
    p->sex[v->id] = !v->sex                     ? SEX_NONE
                    : !strcmp(v->sex, "female") ? SEX_FEMALE
                    : !strcmp(v->sex, "male")   ? SEX_MALE
                    : !strcmp(v->sex, "other")  ? SEX_OTHER
                                                : SEX_UNKNOWN;
    (void)snprintf(p->sname[v->id], sizeof p->sname[0], "%s", v->pseudonym ? v->pseudonym : "");
    if (v->individual) {
        int rc = people_intern(p, v->individual, &p->ind[v->id]);
        if (rc == GN_OK && !v->withdrawn) p->ind_live[p->ind[v->id]] = 1;
        return rc;
    }
    return GN_OK;
}

/* Index of the individual with this pseudonym among those with samples, or UINT32_MAX. */
static uint32_t people_find(const struct people *p, const char *name)
{
    uint32_t i = (uint32_t)(name_hash(name) & (p->hash_cap - 1));
    while (p->hash[i]) {
        if (!strcmp(p->iname[p->hash[i] - 1], name)) return p->hash[i] - 1;
        i = (i + 1) & (p->hash_cap - 1);
    }
    return UINT32_MAX;
}

/* By people index: 1 for the individuals with a sample the decision allows in one of its
 * datasets, the people the caller may see. Owned (gn_free); NULL when out of memory. */
static uint8_t *people_visible(const struct people *p, const struct policy_decision *d)
{
    uint8_t *vis = gn_calloc(p->n_ind + 1, 1);
    for (uint32_t k = 0; vis && k < d->n_ds; k++) {
        for (uint32_t w = 0; w < (d->n_bits + 63) / 64; w++) {
            uint64_t x = d->ds[k].bits[w];
            while (x) {
                uint32_t id = w * 64 + (uint32_t)__builtin_ctzll(x);
                x &= x - 1;
                if (id < p->n && p->ind[id] != UINT32_MAX) vis[p->ind[id]] = 1;
            }
        }
    }
    return vis;
}

/* ---- project pseudonyms (struct proj_ids) ------------------------------------------- */

static int cmp_proj_id(const void *a, const void *b)
{
    const struct proj_id *x = a, *y = b;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Builds m for project from the people table: each individual's and sample's pseudonym in
 * the project's space, as answer_people names them. */
static int proj_ids_build(struct proj_ids *m, const struct people *p, const struct pseudonym *key,
                          const char *project)
{
    struct pseudonym pkey;
    struct pseudonym_batch bi, bs;
    uint32_t n = 0;
    gn_free(m->v);
    m->v = NULL;
    m->n = 0;
    m->gen = -1;
    if (!(m->v = gn_reallocarray(NULL, (size_t)p->n_ind + p->n + 1, sizeof *m->v)))
        return GN_ENOMEM;
    pseudonym_derive(key, project, &pkey);
    pseudonym_batch_init(&pkey, "individual", &bi);
    pseudonym_batch_init(&pkey, "sample", &bs);
    pseudonym_wipe(&pkey);
    for (uint32_t i = 0; i < p->n_ind; i++) {
        pseudonym_batch_of(&bi, p->iname[i], strlen(p->iname[i]), m->v[n].name);
        m->v[n].kind = 'i';
        m->v[n++].ix = i;
    }
    for (uint32_t id = 0; id < p->n; id++) {
        if (!p->sname[id][0]) continue; /* an id the catalog does not use */
        pseudonym_batch_of(&bs, p->sname[id], strlen(p->sname[id]), m->v[n].name);
        m->v[n].kind = 's';
        m->v[n++].ix = id;
    }
    pseudonym_batch_wipe(&bi);
    pseudonym_batch_wipe(&bs);
    qsort(m->v, n, sizeof *m->v, cmp_proj_id);
    m->n = n;
    m->gen = p->gen;
    (void)snprintf(m->project, sizeof m->project, "%s", project);
    return GN_OK;
}

/* What project's pseudonym id names: the people index of an individual (kind 'i') or the
 * global id of a sample ('s') into *out, UINT32_MAX when it names nothing. Needs the people
 * table loaded. */
static int proj_lookup(struct beacon *b, const struct pseudonym *key, const char *project,
                       uint8_t kind, const char *id, uint32_t *out)
{
    struct proj_ids *m = &b->pid;
    struct proj_id k = {.kind = kind}, *hit;
    int rc;
    *out = UINT32_MAX;
    if (m->gen != b->people.gen || strcmp(m->project, project) != 0) {
        if ((rc = proj_ids_build(m, &b->people, key, project)) < 0) return rc;
    }
    if (strlen(id) > PSEUDONYM_LEN) return GN_OK;
    memcpy(k.name, id, strlen(id) + 1);
    if ((hit = bsearch(&k, m->v, m->n, sizeof *m->v, cmp_proj_id))) *out = hit->ix;
    return GN_OK;
}

/* ---- phenotype records of the people table ------------------------------------------ */

struct ph_map {
    int64_t id;  /* catalog individual id */
    uint32_t ix; /* people index */
};
struct ph_row {
    uint32_t ix, num, term;
};
struct ph_load {
    struct people *p;
    const struct hpo *h;
    struct ph_map *map;
    uint32_t n_map, cap_map;
    struct ph_row *rows;
    uint32_t n_rows, cap_rows;
    uint32_t cap_dx;
};

/* Grows *arr (of *cap elements of size sz) to hold one more than n. */
static int grow(void *arr, uint32_t n, uint32_t *cap, size_t sz)
{
    void **a = arr;
    if (n < *cap) return GN_OK;
    uint32_t nc = *cap ? *cap * 2 : 256;
    void *x = nc > *cap ? gn_reallocarray(*a, nc, sz) : NULL;
    if (!x) return GN_ENOMEM;
    *a = x;
    *cap = nc;
    return GN_OK;
}

static int ph_view(void *ctx, const struct catalog_phenopacket_view *v)
{
    struct ph_load *l = ctx;
    uint32_t ix = v->pseudonym ? people_find(l->p, v->pseudonym) : UINT32_MAX;
    if (ix == UINT32_MAX) return GN_OK; /* nobody the Beacon can count: no sample */
    if (grow(&l->map, l->n_map, &l->cap_map, sizeof *l->map) < 0) return GN_ENOMEM;
    l->map[l->n_map].id = v->individual;
    l->map[l->n_map++].ix = ix;
    return GN_OK;
}

static int cmp_map(const void *a, const void *b)
{
    const struct ph_map *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static int ph_row(void *ctx, const struct catalog_pheno_row *r)
{
    struct ph_load *l = ctx;
    struct people *p = l->p;
    struct ph_map key = {r->individual, 0}, *m;
    if (r->kind == 'v' || (r->kind == 'p' && r->excluded)) return GN_OK;
    m = bsearch(&key, l->map, l->n_map, sizeof *l->map, cmp_map);
    if (!m) return GN_OK;
    if (r->kind == 'd') {
        if (grow(&p->dx_ind, p->n_dx, &l->cap_dx, sizeof *p->dx_ind) < 0) return GN_ENOMEM;
        uint32_t at = p->n_dx;
        if (!p->dx_id || at == 0 || (at & (at - 1)) == 0) {
            /* dx_id follows dx_ind's capacity (which doubles from 256) */
            void *x = gn_reallocarray(p->dx_id, l->cap_dx, sizeof *p->dx_id);
            if (!x) return GN_ENOMEM;
            p->dx_id = x;
        }
        p->dx_ind[at] = m->ix;
        (void)snprintf(p->dx_id[at], sizeof p->dx_id[0], "%s", r->a);
        p->n_dx++;
        return GN_OK;
    }
    uint32_t num;
    enum hpo_resolved how;
    if (hpo_parse_id(r->a, strlen(r->a), &num, NULL) < 0) return GN_OK; /* checked on import */
    if (grow(&l->rows, l->n_rows, &l->cap_rows, sizeof *l->rows) < 0) return GN_ENOMEM;
    l->rows[l->n_rows].ix = m->ix;
    l->rows[l->n_rows].num = num;
    l->rows[l->n_rows++].term = l->h ? hpo_resolve_id(l->h, num, &how) : HPO_NONE;
    return GN_OK;
}

static int cmp_u32v(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The distinct current ids of live people's observed terms, and their distinct diagnoses
 * with each diagnosis row's place among them (for /filtering_terms). */
static int ph_present(struct people *p, const struct hpo *h)
{
    uint32_t n = 0;
    if (!(p->terms = gn_reallocarray(NULL, p->ph_off[p->n_ph_ind] + 1, sizeof *p->terms)) ||
        !(p->dxs = gn_reallocarray(NULL, p->n_dx + 1, sizeof *p->dxs)) ||
        !(p->dx_slot = gn_reallocarray(NULL, p->n_dx + 1, sizeof *p->dx_slot)))
        return GN_ENOMEM;
    for (uint32_t i = 0; i < p->n_ph_ind; i++) {
        if (!p->ind_live[i]) continue;
        for (uint32_t k = p->ph_off[i]; k < p->ph_off[i + 1]; k++)
            p->terms[n++] = p->ph_term[k] != HPO_NONE ? h->term_id[p->ph_term[k]] : p->ph_num[k];
    }
    if (n) qsort(p->terms, n, sizeof *p->terms, cmp_u32v);
    p->n_terms = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!p->n_terms || p->terms[p->n_terms - 1] != p->terms[i])
            p->terms[p->n_terms++] = p->terms[i];
    for (uint32_t k = 0; k < p->n_dx; k++) {
        uint32_t j = 0;
        p->dx_slot[k] = UINT32_MAX;
        if (!p->ind_live[p->dx_ind[k]]) continue;
        while (j < p->n_dxs && strcmp(p->dx_id[p->dxs[j]], p->dx_id[k]))
            j++;
        if (j == p->n_dxs) p->dxs[p->n_dxs++] = k;
        p->dx_slot[k] = j;
    }
    return GN_OK;
}

/* Reads the phenotype records of the people with samples into p (CSR by individual). */
static int people_load_pheno(struct people *p, struct catalog *c, const struct hpo *h,
                             struct gn_err *err)
{
    struct ph_load l = {p, h, NULL, 0, 0, NULL, 0, 0, 0};
    int rc;
    if ((rc = catalog_phenopacket_each(c, ph_view, &l, err)) < 0) goto fail;
    if (l.n_map == 0) return GN_OK; /* nobody counted has a phenotype record */
    qsort(l.map, l.n_map, sizeof *l.map, cmp_map);
    if ((rc = catalog_pheno_rows(c, 0, ph_row, &l, err)) < 0) goto fail;
    p->n_ph_ind = p->n_ind;
    rc = GN_ENOMEM;
    if (!(p->ph_off = gn_calloc(p->n_ind + 2, sizeof *p->ph_off)) ||
        !(p->ph_num = gn_reallocarray(NULL, l.n_rows + 1, sizeof *p->ph_num)) ||
        !(p->ph_term = gn_reallocarray(NULL, l.n_rows + 1, sizeof *p->ph_term)))
        goto fail;
    for (uint32_t k = 0; k < l.n_rows; k++)
        p->ph_off[l.rows[k].ix + 2]++;
    for (uint32_t i = 2; i <= p->n_ind + 1; i++)
        p->ph_off[i] += p->ph_off[i - 1];
    /* ph_off[i + 1] is the next free slot of individual i while filling */
    for (uint32_t k = 0; k < l.n_rows; k++) {
        uint32_t at = p->ph_off[l.rows[k].ix + 1]++;
        p->ph_num[at] = l.rows[k].num;
        p->ph_term[at] = l.rows[k].term;
    }
    rc = ph_present(p, h);
fail:
    gn_free(l.map);
    gn_free(l.rows);
    return rc == GN_ENOMEM ? gn_errf(err, rc, "out of memory") : rc;
}

static int people_load(struct people *p, struct catalog *c, const struct hpo *h, int64_t gen,
                       struct gn_err *err)
{
    int64_t all = 0, live = 0;
    int rc;
    if (p->gen == gen) return GN_OK;
    people_clear(p);
    if ((rc = catalog_sample_count(c, &all, &live, err)) < 0) return rc;
    p->n = (uint32_t)all;
    p->hash_cap = 1024;
    while (p->hash_cap < 2 * p->n + 2)
        p->hash_cap *= 2;
    if (!(p->sex = gn_calloc(p->n + 1, 1)) || !(p->ind = gn_calloc(p->n + 1, sizeof *p->ind)) ||
        !(p->ind_live = gn_calloc(1, 1)) || !(p->sname = gn_calloc(p->n + 1, sizeof *p->sname)) ||
        !(p->hash = gn_calloc(p->hash_cap, sizeof *p->hash))) {
        people_clear(p);
        return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    memset(p->ind, 0xff, (p->n + 1) * sizeof *p->ind);
    if ((rc = catalog_sample_each(c, people_visit, p, err)) < 0 ||
        (rc = people_load_pheno(p, c, h, err)) < 0) {
        people_clear(p);
        return rc == GN_ENOMEM ? gn_errf(err, rc, "out of memory") : rc;
    }
    p->gen = gen;
    return GN_OK;
}

/* ---- responses ---------------------------------------------------------------------- */

struct resp {
    json_t *doc;
    int status;
};

/* The beacon_* settings, read again only when the catalog generation changed (gen -1:
 * unknown, read them). */
static void read_settings(struct beacon *b, struct catalog *c, int64_t gen, struct settings *s)
{
    if (gen >= 0 && gen == b->st_gen) {
        *s = b->st;
        return;
    }
    if (catalog_setting_get(c, "beacon_id", s->id, sizeof s->id, NULL) < 0)
        (void)snprintf(s->id, sizeof s->id, "org.genomenode.node");
    if (catalog_setting_get(c, "beacon_name", s->name, sizeof s->name, NULL) < 0)
        (void)snprintf(s->name, sizeof s->name, "genomenode Beacon");
    if (catalog_setting_get(c, "beacon_organization", s->org, sizeof s->org, NULL) < 0)
        (void)snprintf(s->org, sizeof s->org, "genomenode");
    b->st = *s;
    b->st_gen = gen;
}

static json_t *schema_ref(const char *entity)
{
    char url[160];
    (void)snprintf(url, sizeof url, "beacon-v2-default-model:%s:defaultSchema", entity);
    return json_pack("[{s:s, s:s}]", "entityType", entity, "schema", url);
}

static const char *entity_of(enum beacon_req_entry e)
{
    switch (e) {
    case BEACON_REQ_ENTRY_G_VARIANTS:
        return "genomicVariation";
    case BEACON_REQ_ENTRY_INDIVIDUALS:
        return "individual";
    case BEACON_REQ_ENTRY_BIOSAMPLES:
        return "biosample";
    case BEACON_REQ_ENTRY_DATASETS:
        return "dataset";
    case BEACON_REQ_ENTRY_COHORTS:
        return "cohort";
    case BEACON_REQ_ENTRY_RUNS:
        return "run";
    case BEACON_REQ_ENTRY_ANALYSES:
        return "analysis";
    default:
        return "beacon";
    }
}

/* meta of a query response (beaconResponseMeta) */
static json_t *query_meta(const struct settings *st, const struct beacon_req *r,
                          enum beacon_req_entry e, const char *granularity)
{
    json_t *summary = r ? beacon_req_summary(r) : NULL;
    if (!summary) {
        summary = json_pack("{s:s, s:[], s:{s:i, s:i}, s:s}", "apiVersion", API_VERSION,
                            "requestedSchemas", "pagination", "skip", 0, "limit",
                            BEACON_REQ_LIMIT_DEFAULT, "requestedGranularity", "boolean");
    }
    return json_pack("{s:s, s:s, s:o, s:s, s:o, s:b}", "beaconId", st->id, "apiVersion",
                     API_VERSION, "returnedSchemas", schema_ref(entity_of(e)),
                     "returnedGranularity", granularity, "receivedRequestSummary", summary,
                     "testMode", r ? r->test_mode : 0);
}

static json_t *info_meta(const struct settings *st)
{
    return json_pack("{s:s, s:s, s:[]}", "beaconId", st->id, "apiVersion", API_VERSION,
                     "returnedSchemas");
}

static void set_error(struct resp *rs, const struct settings *st, const struct beacon_req *r,
                      int status, const char *msg)
{
    char text[GN_ERR_MSG_MAX]; /* UTF-8 text whatever the message quotes */
    json_decref(rs->doc);
    rs->status = status;
    rs->doc = json_pack("{s:o, s:{s:i, s:s}}", "meta",
                        query_meta(st, r, r ? r->entry : BEACON_REQ_ENTRY_NONE,
                                   r ? beacon_req_granularity_name(r->granularity) : "boolean"),
                        "error", "errorCode", status, "errorMessage",
                        strparse_utf8_cut(text, sizeof text, msg, strlen(msg)));
}

/* ---- framework endpoints ------------------------------------------------------------ */

static const struct {
    enum beacon_req_entry e;
    const char *id, *name, *path, *term, *term_label;
} served[] = {
    {BEACON_REQ_ENTRY_G_VARIANTS, "genomicVariation", "Genomic Variants", "g_variants",
     "ENSGLOSSARY:0000092", "Variant"},
    {BEACON_REQ_ENTRY_INDIVIDUALS, "individual", "Individuals", "individuals", "NCIT:C25190",
     "Person"},
    {BEACON_REQ_ENTRY_BIOSAMPLES, "biosample", "Biological Samples", "biosamples", "NCIT:C70699",
     "Biospecimen"},
    {BEACON_REQ_ENTRY_DATASETS, "dataset", "Datasets", "datasets", "NCIT:C47824", "Data set"},
    {BEACON_REQ_ENTRY_COHORTS, "cohort", "Cohorts", "cohorts", "NCIT:C61512", "Cohort"},
};
#define N_SERVED (sizeof served / sizeof served[0])

static json_t *entry_types(void)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < N_SERVED; i++) {
        char url[160];
        (void)snprintf(url, sizeof url, "beacon-v2-default-model:%s:defaultSchema", served[i].id);
        json_object_set_new(o, served[i].id,
                            json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s}, s:b}",
                                      "id", served[i].id, "name", served[i].name,
                                      "partOfSpecification", "Beacon v2.1.1", "defaultSchema", "id",
                                      url, "name", served[i].name, "referenceToSchemaDefinition",
                                      url, "schemaVersion", API_VERSION, "ontologyTermForThisType",
                                      "id", served[i].term, "label", served[i].term_label,
                                      "nonFilteredQueriesAllowed", 1));
    }
    return o;
}

static json_t *endpoint_sets(void)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < N_SERVED; i++) {
        char root[64], one[80];
        (void)snprintf(root, sizeof root, "/api/%s", served[i].path);
        (void)snprintf(one, sizeof one, "/api/%s/{id}", served[i].path);
        json_object_set_new(o, served[i].id,
                            json_pack("{s:s, s:s, s:s}", "entryType", served[i].id, "rootUrl", root,
                                      "singleEntryUrl", one));
    }
    return o;
}

static json_t *term_json(const char *id, const char *label)
{
    return json_pack("{s:s, s:s, s:s, s:[s,s,s]}", "type", "ontologyTerm", "id", id, "label", label,
                     "scopes", "individuals", "biosamples", "g_variants");
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* How many of the people vis marks carry each of p->terms (into *hp) and each diagnosis of
 * p->dxs (into *dx), every person counted once per term. Owned arrays (gn_free). */
static int term_counts(const struct people *p, const struct hpo *h, const uint8_t *vis,
                       uint32_t **hp, uint32_t **dx)
{
    uint32_t *last = NULL, np = 0;
    uint64_t *pairs = NULL;
    int rc = GN_ENOMEM;
    *hp = gn_calloc(p->n_terms + 1, sizeof **hp);
    *dx = gn_calloc(p->n_dxs + 1, sizeof **dx);
    if (!*hp || !*dx || !(last = gn_calloc(p->n_terms + 1, sizeof *last)) ||
        !(pairs = gn_reallocarray(NULL, p->n_dx + 1, sizeof *pairs)))
        goto out;
    for (uint32_t i = 0; i < p->n_ph_ind; i++) {
        if (!vis[i]) continue;
        for (uint32_t k = p->ph_off[i]; k < p->ph_off[i + 1]; k++) {
            uint32_t num = p->ph_term[k] != HPO_NONE ? h->term_id[p->ph_term[k]] : p->ph_num[k];
            const uint32_t *t = bsearch(&num, p->terms, p->n_terms, sizeof *p->terms, cmp_u32v);
            if (!t || last[t - p->terms] == i + 1) continue; /* the person counted already */
            last[t - p->terms] = i + 1;
            (*hp)[t - p->terms]++;
        }
    }
    /* diagnosis rows are in no order: (diagnosis, person) pairs, each counted once */
    for (uint32_t k = 0; k < p->n_dx; k++)
        if (p->dx_slot[k] != UINT32_MAX && vis[p->dx_ind[k]])
            pairs[np++] = (uint64_t)p->dx_slot[k] << 32 | p->dx_ind[k];
    if (np) qsort(pairs, np, sizeof *pairs, cmp_u64);
    for (uint32_t k = 0; k < np; k++)
        if (k == 0 || pairs[k] != pairs[k - 1]) (*dx)[pairs[k] >> 32]++;
    rc = GN_OK;
out:
    gn_free(last);
    gn_free(pairs);
    if (rc < 0) {
        gn_free(*hp);
        gn_free(*dx);
        *hp = *dx = NULL;
    }
    return rc;
}

/* A term is listed when at least this many of the people the caller may see carry it: one
 * at record level, the small-count threshold below it (a term of fewer people would tell
 * that they are on the node, as a small count would). */
static int term_listed(const struct policy_decision *d, enum catalog_granularity g, uint32_t n)
{
    return n > 0 && (g >= GRAN_RECORD || (int64_t)n >= d->small_threshold);
}

/* The sex terms, then the HPO terms and diagnoses of the people the caller may see (hp and
 * dx: their counts, term_counts) that term_listed lets through; *listed counts the latter. */
static json_t *filtering_terms(const struct people *p, const struct hpo *h, const uint32_t *hp,
                               const uint32_t *dx, const struct policy_decision *d,
                               enum catalog_granularity g, int64_t *listed)
{
    json_t *a = json_array(), *res;
    char name[16];
    int omim = 0, any_hp = 0;
    for (int s = SEX_UNKNOWN; a && s <= SEX_MALE; s++)
        json_array_append_new(a, term_json(sex_id[s], sex_label[s]));
    for (uint32_t i = 0; a && i < p->n_terms; i++) {
        if (!term_listed(d, g, hp[i])) continue;
        uint32_t t = h ? hpo_term_index(h, p->terms[i]) : HPO_NONE;
        (void)snprintf(name, sizeof name, "HP:%07u", (unsigned)p->terms[i]);
        json_array_append_new(a,
                              term_json(name, t != HPO_NONE ? hpo_str(h, h->term_label[t]) : name));
        any_hp = 1;
        (*listed)++;
    }
    for (uint32_t i = 0; a && i < p->n_dxs; i++) {
        if (!term_listed(d, g, dx[i])) continue;
        const char *id = p->dx_id[p->dxs[i]];
        uint32_t k = h ? hpo_disease_index(h, id, strlen(id)) : HPO_NONE;
        omim |= !strncmp(id, "OMIM:", 5);
        json_array_append_new(a, term_json(id, k != HPO_NONE ? hpo_str(h, h->dis_label[k]) : id));
        (*listed)++;
    }
    res = json_pack("[{s:s, s:s, s:s, s:s, s:s}]", "id", "ncit", "name", "NCI Thesaurus", "url",
                    "http://purl.obolibrary.org/obo/ncit.owl", "nameSpacePrefix", "NCIT",
                    "iriPrefix", "http://purl.obolibrary.org/obo/NCIT_");
    if (res && any_hp) {
        json_array_append_new(res,
                              json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", "hp", "name",
                                        "Human Phenotype Ontology", "url",
                                        "http://purl.obolibrary.org/obo/hp.owl", "version",
                                        h ? hpo_str(h, h->version) : "unknown", "nameSpacePrefix",
                                        "HP", "iriPrefix", "http://purl.obolibrary.org/obo/HP_"));
    }
    if (res && omim) {
        json_array_append_new(res, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", "omim", "name",
                                             "Online Mendelian Inheritance in Man", "url",
                                             "https://omim.org", "nameSpacePrefix", "OMIM",
                                             "iriPrefix", "https://omim.org/entry/"));
    }
    return json_pack("{s:o, s:o}", "filteringTerms", a, "resources", res);
}

/* The endpoints that describe the service (/filtering_terms is a query: handle_terms). */
static void framework(struct resp *rs, const struct settings *st, const struct beacon_req *r,
                      const struct gtsnap *snap)
{
    json_t *m = info_meta(st), *body = NULL;
    switch (r->endpoint) {
    case BEACON_REQ_EP_ROOT:
    case BEACON_REQ_EP_INFO:
        body = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:{s:s, s:I}}", "id", st->id,
                         "name", st->name, "apiVersion", API_VERSION, "environment", "prod",
                         "organization", "id", st->org, "name", st->org, "description",
                         "genomenode: a national genome node's Beacon v2", "info", "assembly",
                         contig_build_name(snap->man.build), "generation",
                         (json_int_t)snap->man.generation);
        break;
    case BEACON_REQ_EP_SERVICE_INFO:
        json_decref(m);
        rs->doc = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s}, s:s, s:s}", "id", st->id,
                            "name", st->name, "type", "group", "org.ga4gh", "artifact", "beacon",
                            "version", API_VERSION, "organization", "name", st->org, "url",
                            "https://example.org", "version", API_VERSION, "environment", "prod");
        rs->status = 200;
        return;
    case BEACON_REQ_EP_CONFIGURATION:
        body = json_pack("{s:s, s:{s:s}, s:{s:s, s:[s,s,s]}, s:o}", "$schema",
                         "beaconConfigurationSchema.json", "maturityAttributes", "productionStatus",
                         "PROD", "securityAttributes", "defaultGranularity", "boolean",
                         "securityLevels", "PUBLIC", "REGISTERED", "CONTROLLED", "entryTypes",
                         entry_types());
        break;
    case BEACON_REQ_EP_ENTRY_TYPES:
        body = json_pack("{s:o}", "entryTypes", entry_types());
        break;
    case BEACON_REQ_EP_MAP:
        body = json_pack("{s:s, s:o}", "$schema", "beaconMapSchema.json", "endpointSets",
                         endpoint_sets());
        break;
    default:
        break;
    }
    rs->doc = json_pack("{s:o, s:o}", "meta", m, "response", body ? body : json_object());
    rs->status = 200;
}

/* ---- filters ------------------------------------------------------------------------ */

/* The filters of one request: sex as a bit set over SEX_* (0: no sex filter); phenotype
 * and diagnosis filters as one byte per individual; unknown filters noted. */
struct filt {
    uint32_t sex;       /* allowed sex codes; 0 = any */
    int none;           /* a filter nobody can match */
    uint8_t *ind_ok;    /* owned; by people index: passes every phenotype and diagnosis filter;
                         * NULL when the request has none */
    const uint8_t *vis; /* borrowed; by people index: the people the caller may see
                         * (people_visible), whom alone a diagnosis filter is looked for among
                         * to tell "not available on this node"; NULL: everyone */
    char warn[8][200];
    int n_warn;
};

static void filt_free(struct filt *f)
{
    gn_free(f->ind_ok);
    f->ind_ok = NULL;
}

__attribute__((format(printf, 2, 3))) static void filt_warn(struct filt *f, const char *fmt, ...)
{
    va_list ap;
    if (f->n_warn >= 8) return;
    va_start(ap, fmt);
    (void)vsnprintf(f->warn[f->n_warn++], sizeof f->warn[0], fmt, ap);
    va_end(ap);
}

/* Marks in m the individuals with observed term t (numeric id num): the term itself, or
 * with desc any term below it. Without an index (h NULL) only the same id matches. */
static void mark_term(const struct people *p, const struct hpo *h, uint32_t t, uint32_t num,
                      int desc, uint8_t *m)
{
    for (uint32_t i = 0; i < p->n_ph_ind; i++) {
        for (uint32_t k = p->ph_off[i]; k < p->ph_off[i + 1] && !m[i]; k++) {
            uint32_t x = p->ph_term[k];
            if (!h)
                m[i] = p->ph_num[k] == num;
            else
                m[i] = x != HPO_NONE && (x == t || (desc && hpo_is_ancestor(h, t, x)));
        }
    }
}

/* An HP: filter into m. Returns 0 when it can match nobody (unknown term), else 1. */
static int filter_hpo(const struct people *p, const struct hpo *h,
                      const struct beacon_req_filter *x, uint32_t num, struct filt *f, uint8_t *m)
{
    uint32_t t = HPO_NONE;
    char name[16], id[48];
    (void)strparse_utf8_cut(id, sizeof id, x->id, strlen(x->id));
    if (h) {
        enum hpo_resolved how;
        t = hpo_resolve_id(h, num, &how);
        if (t == HPO_NONE) {
            filt_warn(f,
                      "filter '%s' is not a current term of HPO %s (unknown, or obsolete "
                      "without replacement): it matches no record",
                      id, hpo_str(h, h->version));
            return 0;
        }
        if (how == HPO_RESOLVED_REPLACED) {
            filt_warn(f, "filter '%s' is obsolete in HPO %s: evaluated as its replacement %s", id,
                      hpo_str(h, h->version), hpo_term_name(h, t, name));
        }
    } else if (x->include_descendants) {
        filt_warn(f,
                  "no HPO index on this node: filter '%s' matches the term itself, not its "
                  "descendant terms",
                  id);
    }
    mark_term(p, h, t, num, x->include_descendants, m);
    return 1;
}

/* A diagnosis filter ("OMIM:614959") into m. Returns 0 when nobody vis marks has it (NULL:
 * nobody on the node): whether someone the caller may not see has a diagnosis is not for
 * the caller to learn, so the answer is then the one an absent diagnosis gets. */
static int filter_dx(const struct people *p, const char *id, const uint8_t *vis, uint8_t *m)
{
    int any = 0;
    for (uint32_t k = 0; k < p->n_dx; k++) {
        if (strcmp(p->dx_id[k], id)) continue;
        m[p->dx_ind[k]] = 1;
        any |= !vis || vis[p->dx_ind[k]];
    }
    return any;
}

/* One phenotype or diagnosis filter, ANDed into f->ind_ok (allocated on first use).
 * Returns 1 when evaluated, 0 when the node cannot evaluate it, GN_ENOMEM. */
static int filter_person(const struct people *p, const struct hpo *h,
                         const struct beacon_req_filter *x, struct filt *f)
{
    uint32_t num;
    uint8_t *m;
    int known;
    if (x->kind != BEACON_REQ_FILTER_TERM || x->op != BEACON_REQ_OP_EQ || !strchr(x->id, ':'))
        return 0;
    if (!f->ind_ok) {
        if (!(f->ind_ok = gn_calloc(p->n_ph_ind + 1, 1))) return GN_ENOMEM;
        memset(f->ind_ok, 1, p->n_ph_ind + 1);
    }
    if (!(m = gn_calloc(p->n_ph_ind + 1, 1))) return GN_ENOMEM;
    if (!strncmp(x->id, "HP:", 3) && hpo_parse_id(x->id, strlen(x->id), &num, NULL) == GN_OK)
        known = filter_hpo(p, h, x, num, f, m);
    else
        known = filter_dx(p, x->id, f->vis, m);
    for (uint32_t i = 0; i < p->n_ph_ind; i++)
        f->ind_ok[i] &= m[i];
    gn_free(m);
    return known;
}

static int sex_code(const char *id)
{
    for (int s = SEX_UNKNOWN; s <= SEX_MALE; s++)
        if (!strcmp(id, sex_id[s])) return s;
    if (!strcmp(id, "female")) return SEX_FEMALE;
    if (!strcmp(id, "male")) return SEX_MALE;
    return -1;
}

static int filters_read(const struct beacon *b, const struct beacon_req *r, struct filt *f)
{
    char id[128];
    int rc;
    for (size_t i = 0; i < r->n_filters; i++) {
        const struct beacon_req_filter *x = &r->filters[i];
        const char *term = x->id;
        int s;
        if (x->value && (!strcmp(x->id, "sex") || !strcmp(x->id, "NCIT:C28421"))) term = x->value;
        if ((s = sex_code(term)) >= 0 && x->op == BEACON_REQ_OP_EQ) {
            uint32_t bit = 1u << s;
            if (s == SEX_UNKNOWN) bit |= 1u << SEX_OTHER | 1u << SEX_NONE;
            /* filters are ANDed: two different sexes match nobody */
            f->sex = f->sex ? f->sex & bit : bit;
            if (!f->sex) f->none = 1;
            continue;
        }
        if ((rc = filter_person(&b->people, b->hpo, x, f)) < 0) return rc;
        if (rc == 1) continue;
        f->none = 1;
        filt_warn(f, "filter '%s' is not available on this node: it matches no record",
                  strparse_utf8_cut(id, sizeof id, x->id, strlen(x->id)));
    }
    return GN_OK;
}

/* ---- samples of one dataset, filtered, as masks ------------------------------------- */

static int in_ids(const uint32_t *ids, uint32_t n, uint32_t id)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && ids[lo] == id;
}

static int sample_ok(const struct people *p, const struct filt *f, uint32_t id)
{
    if (f->none) return 0;
    if (f->ind_ok && (id >= p->n || p->ind[id] >= p->n_ph_ind || !f->ind_ok[p->ind[id]])) return 0;
    if (!f->sex) return 1;
    return id < p->n && (f->sex >> p->sex[id] & 1);
}

/* The masks of dataset k's samples passing the filters (and the cohort). Returns 1 when
 * they belong to the mask cache, 0 when the caller must release them, or an error. */
static int dataset_masks(struct beacon *b, const struct gtsnap *snap,
                         const struct policy_decision *d, uint32_t k, const struct filt *f,
                         const uint32_t *cohort, uint32_t n_cohort, uint64_t ***masks,
                         struct gn_err *err)
{
    const struct policy_dataset *ds = &d->ds[k];
    struct mask_slot *m = NULL;
    uint32_t *ids = NULL, n = 0, victim = 0, sig = f->sex | (uint32_t)f->none << 8;
    int rc, cacheable = !cohort && !f->ind_ok; /* phenotype filters: not worth a slot */

    for (uint32_t i = 0; cacheable && i < MASK_SLOTS; i++) {
        struct mask_slot *s = &b->mask[i];
        if (s->full && s->serial == d->serial && s->ds == k && s->filt == sig && s->snap == snap &&
            s->snap_gen == snap->man.generation) {
            s->used = ++b->tick;
            *masks = s->masks;
            return 1; /* the slot's */
        }
        if (!s->full || (b->mask[victim].full && s->used < b->mask[victim].used)) victim = i;
    }
    if (!(ids = gn_reallocarray(NULL, ds->n_allowed + 1, sizeof *ids))) goto nomem;
    for (uint32_t w = 0; w < (d->n_bits + 63) / 64; w++) {
        uint64_t x = ds->bits[w];
        while (x) {
            uint32_t id = w * 64 + (uint32_t)__builtin_ctzll(x);
            x &= x - 1;
            if (!sample_ok(&b->people, f, id)) continue;
            if (cohort && !in_ids(cohort, n_cohort, id)) continue;
            ids[n++] = id;
        }
    }
    {
        /* every live sample allowed: no masks, the precomputed counts serve */
        uint32_t live = 0;
        for (uint32_t i = 0; i < n; i++)
            live += !gtstore_manifest_is_deleted(&snap->man, ids[i]);
        if (live == snap->n_live_samples && live > 0) {
            *masks = NULL;
        } else if ((rc = gtsnap_masks_new(snap, ids, n, masks, err)) < 0) {
            gn_free(ids);
            return rc;
        }
        if (n == 0) {
            /* nobody: masks that select no one */
            if (!*masks && (rc = gtsnap_masks_new(snap, ids, 0, masks, err)) < 0) {
                gn_free(ids);
                return rc;
            }
        }
    }
    gn_free(ids);
    if (!cacheable) return GN_OK;
    m = &b->mask[victim];
    mask_slot_clear(m);
    m->serial = d->serial;
    m->ds = k;
    m->filt = sig;
    m->snap = snap;
    m->snap_gen = snap->man.generation;
    m->n_seg = snap->n_seg;
    m->masks = *masks;
    m->used = ++b->tick;
    m->full = 1;
    return 1; /* cached: owned by the slot */
nomem:
    return gn_errf(err, GN_ENOMEM, "out of memory");
}

static void masks_release(const struct gtsnap *snap, uint64_t **masks, int cached)
{
    if (!cached) gtsnap_masks_free(snap, masks);
}

/* ---- variant queries ---------------------------------------------------------------- */

struct vq {
    uint32_t contig;
    int64_t lo, hi;           /* VCF positions scanned (1-based, inclusive) */
    int64_t end_lo, end_hi;   /* bracket: allowed 0-based ends; else -1 */
    const char *ref, *alt;    /* exact bases, or NULL */
    const char *vtype;        /* SNP, MNP, INDEL, DEL, INS, or NULL */
    int64_t min_len, max_len; /* -1 when absent */
};

static int bases_match(const char *want, const char *got, uint32_t n)
{
    size_t w = strlen(want);
    if (w != n) return 0;
    for (size_t i = 0; i < w; i++) {
        if (want[i] != 'N' && want[i] != got[i]) return 0;
    }
    return 1;
}

static const char *vtype_of(const struct query_row *r)
{
    if (r->ref_len == 1 && r->alt_len == 1) return "SNP";
    if (r->ref_len == r->alt_len) return "MNP";
    return r->ref_len > r->alt_len ? "DEL" : "INS";
}

static int row_wanted(const struct vq *q, const struct query_row *r)
{
    int64_t end0 = r->pos - 1 + r->ref_len; /* 0-based exclusive end */
    int64_t len = r->ref_len > r->alt_len ? r->ref_len - r->alt_len : r->alt_len - r->ref_len;
    const char *t = vtype_of(r);
    if (r->alt_len == 0 || r->alt[0] == '*' || r->alt[0] == '<') return 0;
    if (q->ref && !bases_match(q->ref, r->ref, r->ref_len)) return 0;
    if (q->alt && !bases_match(q->alt, r->alt, r->alt_len)) return 0;
    if (q->end_lo >= 0 && (end0 < q->end_lo || end0 > q->end_hi)) return 0;
    if (q->vtype) {
        if (!strcmp(q->vtype, "INDEL")) {
            if (strcmp(t, "DEL") && strcmp(t, "INS")) return 0;
        } else if (strcmp(q->vtype, t)) {
            return 0;
        }
    }
    if (q->min_len >= 0 && len < q->min_len) return 0;
    if (q->max_len >= 0 && len > q->max_len) return 0;
    return 1;
}

/* Builds the scan from the request; GN_EINVAL/EUNSUPPORTED with a message otherwise. */
static int vq_from_request(const struct gtsnap *snap, const struct beacon_req *r, struct vq *q,
                           struct gn_err *err)
{
    const struct beacon_req_variant *v = &r->variant;
    char norm[CONTIG_NAME_MAX + 1], text[72]; /* quoted user text: at most 68 bytes and "..." */
    enum contig_build b;
    int64_t id;

    memset(q, 0, sizeof *q);
    q->end_lo = q->end_hi = q->min_len = q->max_len = -1;
    switch (v->kind) {
    case BEACON_REQ_VQ_SEQUENCE:
    case BEACON_REQ_VQ_RANGE:
    case BEACON_REQ_VQ_BRACKET:
        break;
    case BEACON_REQ_VQ_NONE:
        return gn_errf(err, GN_EINVAL,
                       "a g_variants query needs referenceName and start (sequence, range or "
                       "bracket query)");
    default:
        return gn_errf(err, GN_EUNSUPPORTED,
                       "%s queries are not supported by this node (it has no gene or protein "
                       "annotation); use a sequence, range or bracket query",
                       beacon_req_vq_name(v->kind));
    }
    if (v->assembly_id) {
        (void)strparse_utf8_cut(text, sizeof text, v->assembly_id, strlen(v->assembly_id));
        if (contig_build_parse(v->assembly_id, &b) < 0) {
            return gn_errf(err, GN_EINVAL, "unknown assemblyId '%s'", text);
        }
        if (b != snap->man.build) {
            return gn_errf(err, GN_EINVAL, "this node holds %s data; assemblyId '%s' asked",
                           contig_build_name(snap->man.build), text);
        }
    }
    if (contig_normalise(snap->man.build, v->reference_name, strlen(v->reference_name), norm) ==
        GN_EINVAL) {
        return gn_errf(
            err, GN_EINVAL, "bad referenceName '%s'",
            strparse_utf8_cut(text, sizeof text, v->reference_name, strlen(v->reference_name)));
    }
    id = gtstore_manifest_contig(&snap->man, norm);
    q->contig = id < 0 ? UINT32_MAX - 1 : (uint32_t)id; /* unknown contig: nothing found */
    q->ref = v->reference_bases && *v->reference_bases ? v->reference_bases : NULL;
    q->alt = v->alternate_bases && *v->alternate_bases ? v->alternate_bases : NULL;
    q->vtype = v->variant_type;
    q->min_len = v->min_length;
    q->max_len = v->max_length;
    if (v->kind == BEACON_REQ_VQ_SEQUENCE) {
        q->lo = q->hi = v->start[0] + 1;
    } else if (v->kind == BEACON_REQ_VQ_RANGE) {
        q->lo = v->start[0] + 1;
        q->hi = v->end[0]; /* variants starting in [start, end) */
    } else {
        q->lo = v->start[0] + 1;
        q->hi = v->start[1] + 1;
        q->end_lo = v->end[0];
        q->end_hi = v->end[1];
    }
    if (q->hi < q->lo) q->hi = q->lo;
    return GN_OK;
}

struct hit {
    char *chrom, *ref, *alt;
    int64_t pos;
    uint32_t ac, an, het, hom;
};

/* The page of one dataset's answer: rows skip+1 .. skip+keep of those wanted are kept, the
 * first skip only counted, so a large skip costs a scan and no memory. */
struct hits {
    struct hit *h;
    size_t n, cap;
    const struct vq *q;
    int64_t total; /* variants with ac > 0 */
    int64_t skip;  /* rows counted but not kept, before the page */
    size_t keep;   /* rows kept: the page's limit */
};

static char *dupn(const char *s, size_t n)
{
    char *d = gn_malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int hit_row(void *ctx, const struct query_row *r)
{
    struct hits *hs = ctx;
    struct hit *h;
    if (!row_wanted(hs->q, r) || r->ac == 0) return 0;
    hs->total++;
    if (hs->total <= hs->skip || hs->n >= hs->keep) return 0;
    if (hs->n == hs->cap) {
        size_t nc = hs->cap ? hs->cap * 2 : 16;
        struct hit *n = gn_reallocarray(hs->h, nc, sizeof *n);
        if (!n) return GN_ENOMEM;
        hs->h = n;
        hs->cap = nc;
    }
    h = &hs->h[hs->n];
    memset(h, 0, sizeof *h);
    if (!(h->chrom = dupn(r->chrom, strlen(r->chrom))) || !(h->ref = dupn(r->ref, r->ref_len)) ||
        !(h->alt = dupn(r->alt, r->alt_len))) {
        gn_free(h->chrom);
        gn_free(h->ref);
        return GN_ENOMEM;
    }
    h->pos = r->pos;
    h->ac = r->ac;
    h->an = r->an;
    h->het = r->het;
    h->hom = r->hom;
    hs->n++;
    return 0;
}

static void hits_free(struct hits *hs)
{
    for (size_t i = 0; i < hs->n; i++) {
        gn_free(hs->h[i].chrom);
        gn_free(hs->h[i].ref);
        gn_free(hs->h[i].alt);
    }
    gn_free(hs->h);
    memset(hs, 0, sizeof *hs);
}

static int run_vq(const struct gtsnap *snap, const struct vq *q, uint64_t *const *masks,
                  struct hits *hs, struct gn_err *err)
{
    hs->q = q;
    if (q->contig == UINT32_MAX - 1) return GN_OK;
    int rc = query_freq(snap, q->contig, q->lo, q->hi, masks, hit_row, hs, err);
    if (rc == GN_ENOMEM) return gn_errf(err, rc, "out of memory");
    return rc < 0 ? rc : GN_OK;
}

static json_t *variant_json(const struct gtsnap *snap, const struct settings *st,
                            const struct policy_decision *d, const struct policy_dataset *ds,
                            const struct hit *h, int64_t *suppressed)
{
    char vid[512], seq[300];
    int64_t ac, an, shown_ac;
    json_t *v;
    (void)snprintf(vid, sizeof vid, "%s:%" PRId64 ":%.200s:%.200s", h->chrom, h->pos, h->ref,
                   h->alt);
    (void)snprintf(seq, sizeof seq, "%s:%s", contig_build_name(snap->man.build), h->chrom);
    /* SNP and MNP as such; insertions and deletions are INDEL in the default model */
    struct query_row shape = {.ref_len = (uint32_t)strlen(h->ref),
                              .alt_len = (uint32_t)strlen(h->alt)};
    const char *vtype = vtype_of(&shape);
    if (!strcmp(vtype, "DEL") || !strcmp(vtype, "INS")) vtype = "INDEL";
    v = json_pack("{s:s, s:{s:s, s:s, s:s, s:{s:s, s:s, s:{s:s, s:{s:s, s:I}, s:{s:s, s:I}}}}}",
                  "variantInternalId", vid, "variation", "variantType", vtype, "referenceBases",
                  h->ref, "alternateBases", h->alt, "location", "type", "SequenceLocation",
                  "sequence_id", seq, "interval", "type", "SequenceInterval", "start", "type",
                  "Number", "value", (json_int_t)(h->pos - 1), "end", "type", "Number", "value",
                  (json_int_t)(h->pos - 1 + (int64_t)strlen(h->ref)));
    if (!v) return NULL;
    ac = h->ac;
    an = h->an;
    struct policy_decision capped = *d;
    capped.granularity = ds->cap;
    if (policy_mask_count(&capped, ac, &shown_ac)) {
        (*suppressed)++;
        json_object_set_new(v, "info",
                            json_pack("{s:s}", "frequency",
                                      "suppressed: fewer carriers than the "
                                      "node's small-count threshold"));
        return v;
    }
    json_object_set_new(
        v, "frequencyInPopulations",
        json_pack("[{s:s, s:s, s:s, s:[{s:s, s:f, s:I, s:I, s:I, s:I}]}]", "source", st->name,
                  "sourceReference", st->id, "version", "consented population of the dataset",
                  "frequencies", "population", ds->name, "alleleFrequency",
                  an > 0 ? (double)shown_ac / (double)an : 0.0, "alleleCount", (json_int_t)shown_ac,
                  "alleleNumber", (json_int_t)an, "alleleCountHomozygous",
                  (json_int_t)(shown_ac == ac ? h->hom : 0), "alleleCountHeterozygous",
                  (json_int_t)(shown_ac == ac ? h->het : 0)));
    return v;
}

/* ---- entry queries ------------------------------------------------------------------ */

struct answer {
    json_t *sets;  /* resultSets */
    int64_t total; /* sum of results */
    int exists;
    int64_t records; /* records returned, for the audit */
    enum catalog_granularity g;
};

static json_t *result_set(const char *id, int exists, int64_t count, json_t *results,
                          enum catalog_granularity g)
{
    json_t *rs = json_pack("{s:s, s:s, s:b, s:I, s:o}", "id", id, "setType", "dataset", "exists",
                           exists, "resultsCount", (json_int_t)(g >= GRAN_COUNT ? count : 0),
                           "results", results ? results : json_array());
    return rs;
}

static int answer_variants(struct beacon *b, const struct gtsnap *snap, const struct settings *st,
                           const struct beacon_req *r, const struct policy_decision *d,
                           const struct filt *f, const uint32_t *cohort, uint32_t n_cohort,
                           struct answer *a, struct gn_err *err)
{
    struct vq q;
    int rc;
    if ((rc = vq_from_request(snap, r, &q, err)) < 0) return rc;
    for (uint32_t k = 0; k < d->n_ds; k++) {
        struct hits hs = {0};
        uint64_t **masks = NULL;
        int cached;
        json_t *results;
        int64_t suppressed = 0;
        hs.skip = r->skip;
        hs.keep = a->g >= GRAN_COUNT ? (size_t)r->limit : 0;
        if ((cached = dataset_masks(b, snap, d, k, f, cohort, n_cohort, &masks, err)) < 0) {
            return cached;
        }
        rc = run_vq(snap, &q, masks, &hs, err);
        masks_release(snap, masks, cached);
        if (rc < 0) {
            hits_free(&hs);
            return rc;
        }
        results = json_array();
        for (size_t i = 0; results && i < hs.n; i++) {
            json_array_append_new(results,
                                  variant_json(snap, st, d, &d->ds[k], &hs.h[i], &suppressed));
            a->records++;
        }
        if (a->g < GRAN_COUNT) json_array_clear(results);
        a->exists |= hs.total > 0;
        a->total += hs.total;
        json_t *set = result_set(d->ds[k].name, hs.total > 0, hs.total, results, a->g);
        if (suppressed)
            json_object_set_new(
                set, "info", json_pack("{s:I}", "suppressedFrequencies", (json_int_t)suppressed));
        json_array_append_new(a->sets, set);
        hits_free(&hs);
    }
    return GN_OK;
}

static json_t *ontology(const char *id, const char *label)
{
    return json_pack("{s:s, s:s}", "id", id, "label", label);
}

/* individuals or biosamples: counts from the people table */
static int answer_people(struct beacon *b, const struct beacon_req *r,
                         const struct policy_decision *d, const struct pseudonym *key,
                         const struct filt *f, const uint32_t *cohort, uint32_t n_cohort,
                         int individuals, struct answer *a, struct gn_err *err)
{
    const struct people *p = &b->people;
    struct pseudonym pkey;
    uint8_t *seen = NULL;
    if (d->project[0]) pseudonym_derive(key, d->project, &pkey);
    if (individuals && !(seen = gn_calloc(p->n_ind + 1, 1))) {
        return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    for (uint32_t k = 0; k < d->n_ds; k++) {
        const struct policy_dataset *ds = &d->ds[k];
        int64_t count = 0, shown;
        json_t *results = json_array();
        if (seen) memset(seen, 0, p->n_ind + 1);
        for (uint32_t id = 0; id < d->n_bits && id < p->n; id++) {
            if (!(ds->bits[id >> 6] >> (id & 63) & 1) || !sample_ok(p, f, id)) continue;
            if (cohort && !in_ids(cohort, n_cohort, id)) continue;
            const char *name = p->sname[id];
            if (individuals) {
                uint32_t ix = p->ind[id];
                if (ix == UINT32_MAX || seen[ix]) continue;
                seen[ix] = 1;
                name = p->iname[ix];
            }
            count++;
            if (a->g < GRAN_RECORD || count <= r->skip || count > r->skip + r->limit) continue;
            char shown_name[PSEUDONYM_LEN + 1];
            if (d->project[0]) {
                pseudonym_of(&pkey, individuals ? "individual" : "sample", name, strlen(name),
                             shown_name);
                name = shown_name;
            }
            if (individuals) {
                json_array_append_new(
                    results, json_pack("{s:s, s:o}", "id", name, "sex",
                                       ontology(sex_id[p->sex[id]], sex_label[p->sex[id]])));
            } else {
                /* the person too by the project's pseudonym: a node id next to a project's
                 * sample id would link the project's answers to everyone else's */
                const char *person = p->ind[id] == UINT32_MAX ? "" : p->iname[p->ind[id]];
                char shown_person[PSEUDONYM_LEN + 1];
                if (d->project[0] && *person) {
                    pseudonym_of(&pkey, "individual", person, strlen(person), shown_person);
                    person = shown_person;
                }
                json_array_append_new(
                    results, json_pack("{s:s, s:s, s:o, s:o}", "id", name, "individualId", person,
                                       "biosampleStatus", ontology("NCIT:C17998", "Unknown"),
                                       "sampleOriginType", ontology("NCIT:C17998", "Unknown")));
            }
            a->records++;
        }
        struct policy_decision capped = *d;
        capped.granularity = a->g;
        if (policy_mask_count(&capped, count, &shown)) shown = 0;
        a->exists |= count > 0;
        a->total += shown;
        json_array_append_new(a->sets, result_set(ds->name, count > 0, shown, results, a->g));
    }
    if (d->project[0]) pseudonym_wipe(&pkey);
    gn_free(seen);
    return GN_OK;
}

struct ds_list {
    json_t *arr;
    const struct policy_decision *d;
    const char *only;
};

static int ds_visit(void *ctx, const struct catalog_dataset *x)
{
    struct ds_list *l = ctx;
    for (uint32_t k = 0; k < l->d->n_ds; k++) {
        if (strcmp(l->d->ds[k].name, x->name) != 0) continue;
        if (l->only && strcmp(l->only, x->name) != 0) continue;
        json_t *terms = json_array();
        struct duo_list dl;
        if (duo_list_parse(&dl, x->terms, strlen(x->terms), DUO_SIDE_USE, NULL) == GN_OK) {
            for (size_t i = 0; i < duo_list_count(&dl); i++) {
                const struct duo_term *t = duo_list_term(&dl, i);
                json_array_append_new(terms,
                                      json_pack("{s:s, s:s}", "id", t->id, "label", t->label));
            }
        }
        json_t *info = json_pack("{s:s}", "securityLevel", x->access);
        if (!info) {
            json_decref(terms);
            return GN_ENOMEM;
        }
        /* the samples the caller may use, counted as any count: only at count level or above
         * on this dataset, and never between 1 and the small-count threshold below record */
        struct policy_decision capped = *l->d;
        int64_t shown;
        capped.granularity = l->d->ds[k].cap;
        if (capped.granularity >= GRAN_COUNT &&
            !policy_mask_count(&capped, l->d->ds[k].n_allowed, &shown))
            json_object_set_new(info, "samplesAvailable", json_integer(shown));
        json_array_append_new(l->arr,
                              json_pack("{s:s, s:s, s:s, s:{s:o}, s:o}", "id", x->name, "name",
                                        x->name, "description", x->description, "dataUseConditions",
                                        "duoDataUse", terms, "info", info));
    }
    return GN_OK;
}

/* ---- cohorts (catalog.h: named phenotype and diagnosis criteria) --------------------- */

/* Each item of a cohort's comma-separated criteria list as a filter with descendants,
 * ANDed into f exactly as the same ids sent as Beacon filters. */
/* The next id of a stored comma-separated criteria list (catalog_cohort) into id; its
 * length, 0 at the end. *p advances past it. */
static size_t next_id(const char **p, char id[CATALOG_COHORT_CRITERIA_MAX + 1])
{
    size_t n;
    while (**p == ',')
        (*p)++;
    n = strcspn(*p, ",");
    if (n > CATALOG_COHORT_CRITERIA_MAX) n = CATALOG_COHORT_CRITERIA_MAX; /* catalog bound */
    memcpy(id, *p, n);
    id[n] = '\0';
    *p += strcspn(*p, ",");
    return n;
}

static int cohort_filters(const struct beacon *b, const char *list, struct filt *f)
{
    char id[CATALOG_COHORT_CRITERIA_MAX + 1];
    for (const char *p = list; next_id(&p, id);) {
        struct beacon_req_filter x = {.kind = BEACON_REQ_FILTER_TERM,
                                      .id = id,
                                      .op = BEACON_REQ_OP_EQ,
                                      .include_descendants = 1};
        int rc = filter_person(&b->people, b->hpo, &x, f);
        if (rc < 0) return rc;
        if (rc == 0) f->none = 1; /* nobody on the node has it */
    }
    return GN_OK;
}

/* Individuals with an allowed sample passing f, over every dataset of the decision. */
static int64_t count_individuals(const struct people *p, const struct policy_decision *d,
                                 const struct filt *f, uint8_t *seen)
{
    int64_t n = 0;
    memset(seen, 0, p->n_ind + 1);
    for (uint32_t k = 0; k < d->n_ds; k++) {
        const struct policy_dataset *ds = &d->ds[k];
        for (uint32_t id = 0; id < d->n_bits && id < p->n; id++) {
            uint32_t ix = p->ind[id];
            if (!(ds->bits[id >> 6] >> (id & 63) & 1) || ix == UINT32_MAX || seen[ix] ||
                !sample_ok(p, f, id))
                continue;
            seen[ix] = 1;
            n++;
        }
    }
    return n;
}

struct cohort_list {
    struct beacon *b;
    const struct policy_decision *d;
    enum catalog_granularity g; /* cohortSize only from count up */
    const char *only;           /* /cohorts/{id} */
    json_t *arr;
    uint8_t *seen;
    int rc;
};

/* A criteria list as Beacon phenotypicConditions (HP terms) or diseaseConditions. */
static json_t *criteria_json(const struct hpo *h, const char *list, int terms)
{
    json_t *a = json_array();
    char id[CATALOG_COHORT_CRITERIA_MAX + 1];
    size_t n;
    for (const char *p = list; a && (n = next_id(&p, id));) {
        const char *label = id;
        uint32_t num, t;
        if (terms && h && hpo_parse_id(id, n, &num, NULL) == GN_OK &&
            (t = hpo_term_index(h, num)) != HPO_NONE)
            label = hpo_str(h, h->term_label[t]);
        if (!terms && h && (t = hpo_disease_index(h, id, n)) != HPO_NONE)
            label = hpo_str(h, h->dis_label[t]);
        json_array_append_new(
            a, json_pack("{s:o}", terms ? "featureType" : "diseaseCode", ontology(id, label)));
    }
    return a;
}

static int cohort_visit(void *ctx, const struct catalog_cohort *x)
{
    struct cohort_list *l = ctx;
    struct filt f = {0};
    json_t *crit, *o;
    if (l->only && strcmp(l->only, x->name) != 0) return GN_OK;
    if (!(crit = json_object())) return GN_ENOMEM;
    if (x->phenotypes[0])
        json_object_set_new(crit, "phenotypicConditions",
                            criteria_json(l->b->hpo, x->phenotypes, 1));
    if (x->diagnoses[0])
        json_object_set_new(crit, "diseaseConditions", criteria_json(l->b->hpo, x->diagnoses, 0));
    o = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}], s:o}", "id", x->name, "name",
                  x->description[0] ? x->description : x->name, "cohortType", "beacon-defined",
                  "cohortDataTypes", "id", "OBI:0000070", "label", "genotyping assay", "id",
                  "OGMS:0000015", "label", "clinical history", "inclusionCriteria", crit);
    if (!o) return GN_ENOMEM;
    json_array_append_new(l->arr, o);
    if (l->g >= GRAN_COUNT) {
        struct policy_decision capped = *l->d;
        int64_t shown;
        int rc = cohort_filters(l->b, x->phenotypes, &f);
        if (rc == GN_OK) rc = cohort_filters(l->b, x->diagnoses, &f);
        if (rc < 0) {
            filt_free(&f);
            return rc;
        }
        capped.granularity = l->g;
        if (!policy_mask_count(&capped, count_individuals(&l->b->people, l->d, &f, l->seen),
                               &shown))
            json_object_set_new(o, "cohortSize", json_integer(shown));
        filt_free(&f);
    }
    return GN_OK;
}

/* ---- the handler -------------------------------------------------------------------- */

/* A collections answer (datasets, cohorts): the entries in arr (stolen), which describe
 * collections rather than people, so they are returned as records. */
static void collections_doc(struct resp *rs, struct answer *a, const struct settings *st,
                            const struct beacon_req *r, enum beacon_req_entry e, json_t *arr)
{
    a->total = (int64_t)json_array_size(arr);
    a->exists = a->total > 0;
    a->records = a->total;
    rs->doc = json_pack("{s:o, s:{s:b, s:I}, s:{s:o}}", "meta", query_meta(st, r, e, "record"),
                        "responseSummary", "exists", a->exists, "numTotalResults",
                        (json_int_t)a->total, "response", "collections", arr);
    rs->status = 200;
}

static int cohort_of_individual(struct catalog *c, const char *id, uint32_t **ids, uint32_t *n,
                                struct gn_err *err)
{
    struct catalog_individual ind;
    int rc = catalog_individual_get(c, id, &ind, err);
    if (rc < 0) return rc;
    if (!(*ids = gn_calloc(64, sizeof **ids))) return gn_errf(err, GN_ENOMEM, "out of memory");
    if ((rc = catalog_individual_samples(c, ind.id, *ids, 64, err)) < 0) return rc;
    *n = (uint32_t)rc;
    for (uint32_t i = 1; i < *n; i++) /* sort: few entries */
        for (uint32_t j = i; j > 0 && (*ids)[j - 1] > (*ids)[j]; j--) {
            uint32_t t = (*ids)[j];
            (*ids)[j] = (*ids)[j - 1];
            (*ids)[j - 1] = t;
        }
    return GN_OK;
}

/* The audit entry of an allowed decision whose request then failed, with no record given:
 * every access the decision allowed is on record, whatever happens after it. */
static void audit_failed(struct catalog *c, const struct pseudonym *key,
                         const struct policy_decision *d)
{
    struct gn_err aerr = GN_ERR_INIT;
    if (policy_done(c, key, d, 0, NULL, &aerr) < 0)
        log_warn("an allowed Beacon request that failed could not be audited: %s", aerr.msg);
}

/* The samples (sorted global ids, owned *ids) of what /individuals/{id} or /biosamples/{id}
 * names: under a project that exists, the id is one of the project's pseudonyms and nothing
 * else (a node id must not resolve there: it would map the node's ids to the project's);
 * without one, a node pseudonym. GN_ENOTFOUND when it names nobody. Under a project that
 * does not exist the cohort is empty: policy refuses the request (and audits it) as it
 * would any other under that project. Needs the people table loaded. */
static int record_cohort(struct beacon *b, struct catalog *c, const struct pseudonym *key,
                         const char *project, const struct beacon_req *r, uint32_t **ids,
                         uint32_t *n, struct gn_err *err)
{
    struct catalog_project proj;
    int individual = r->entry == BEACON_REQ_ENTRY_INDIVIDUALS, withdrawn, rc;
    const char *id = r->entry_id;
    uint32_t one = UINT32_MAX;

    *ids = NULL;
    *n = 0;
    if (project) {
        struct gn_err perr = GN_ERR_INIT;
        rc = catalog_project_get(c, project, &proj, &perr);
        if (rc == GN_ENOTFOUND) {
            *ids = gn_calloc(1, sizeof **ids);
            return *ids ? GN_OK : gn_errf(err, GN_ENOMEM, "out of memory");
        }
        if (rc < 0) return gn_errf(err, rc, "%s", perr.msg);
        if ((rc = proj_lookup(b, key, proj.name, individual ? 'i' : 's', id, &one)) < 0)
            return gn_errf(err, rc, "out of memory");
        if (one == UINT32_MAX) return GN_ENOTFOUND;
        if (individual) id = b->people.iname[one]; /* the node's pseudonym of that person */
    }
    if (individual) return cohort_of_individual(c, id, ids, n, err);
    if (one == UINT32_MAX && (rc = catalog_sample_lookup(c, id, &one, &withdrawn, err)) < 0)
        return rc;
    if (!(*ids = gn_calloc(1, sizeof **ids))) return gn_errf(err, GN_ENOMEM, "out of memory");
    (*ids)[0] = one;
    *n = 1;
    return GN_OK;
}

/* One variant id "chrom:pos:ref:alt" (pos 1-based) into a sequence query. */
static int variant_id_query(struct beacon_req *r, struct gn_err *err)
{
    char buf[BEACON_REQ_MAX_ID + 1], *p[4], *save = NULL;
    int n = 0;
    int64_t pos;
    (void)snprintf(buf, sizeof buf, "%s", r->entry_id);
    for (char *t = strtok_r(buf, ":", &save); t && n < 4; t = strtok_r(NULL, ":", &save))
        p[n++] = t;
    if (n != 4 || strparse_i64_all(p[1], strlen(p[1]), &pos) < 0 || pos < 1) {
        return gn_errf(err, GN_EINVAL, "variant id must be CHROM:POS:REF:ALT (POS 1-based)");
    }
    /* the path names the variant: whatever the request's parameters said is released */
    beacon_req_variant_reset(&r->variant);
    if (!(r->variant.reference_name = dupn(p[0], strlen(p[0]))) ||
        !(r->variant.reference_bases = dupn(p[2], strlen(p[2]))) ||
        !(r->variant.alternate_bases = dupn(p[3], strlen(p[3])))) {
        return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    r->variant.start[0] = pos - 1;
    r->variant.n_start = 1;
    return beacon_req_variant_classify(&r->variant, err);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The samples (global ids, ascending) carrying the variant a /g_variants/{id}/... path names:
 * at least one copy of its ALT. Every live sample is looked at here; which of them the
 * caller may see is the decision's business. */
static int carriers_of_variant(const struct gtsnap *snap, const struct beacon_req *r,
                               uint32_t **ids, uint32_t *n, struct gn_err *err)
{
    struct vq q;
    struct gtmerge *m = NULL;
    struct gtrec rec;
    uint32_t n_s = 0, cap = 16;
    int rc;

    *n = 0;
    gtrec_init(&rec);
    if (!(*ids = gn_malloc(cap * sizeof **ids))) return gn_errf(err, GN_ENOMEM, "out of memory");
    if ((rc = vq_from_request(snap, r, &q, err)) < 0) goto out;
    if (q.contig == UINT32_MAX - 1) goto out; /* a contig the store does not hold */
    if ((rc = gtmerge_new(snap, q.contig, q.lo, q.lo, NULL, 0, &m, err)) < 0) goto out;
    const uint32_t *gid = gtmerge_samples(m, &n_s);
    while ((rc = gtmerge_next(m, &rec, err)) == 1) {
        if (rec.pos != q.lo || strcmp(rec.ref, q.ref)) continue;
        for (uint32_t a = 0; a < rec.n_alt; a++) {
            if (strcmp(rec.alt[a], q.alt)) continue;
            for (uint32_t i = 0; i < rec.n_samples && i < n_s; i++) {
                if (rec.al[2 * i] != (int16_t)(a + 1) && rec.al[2 * i + 1] != (int16_t)(a + 1))
                    continue;
                if (*n == cap) {
                    uint32_t *g = gn_reallocarray(*ids, cap *= 2, sizeof **ids);
                    if (!g) {
                        rc = gn_errf(err, GN_ENOMEM, "out of memory");
                        goto out;
                    }
                    *ids = g;
                }
                (*ids)[(*n)++] = gid[i];
            }
        }
    }
    if (rc == 0) qsort(*ids, *n, sizeof **ids, cmp_u32);
out:
    gtmerge_free(m);
    gtrec_free(&rec);
    return rc < 0 ? rc : GN_OK;
}

/* The datasets a request names for policy: the path's /datasets/{id}, else its datasetIds
 * (none: every dataset). only_ds (one slot) holds the path's id while rq is used. */
static void request_datasets(const struct beacon_req *r, const char **only_ds,
                             struct policy_request *rq)
{
    if (r->entry == BEACON_REQ_ENTRY_DATASETS && r->entry_id) {
        only_ds[0] = r->entry_id;
        rq->datasets = only_ds;
        rq->n_datasets = 1;
    } else if (r->n_dataset_ids) {
        rq->datasets = (const char *const *)r->dataset_ids;
        rq->n_datasets = r->n_dataset_ids;
    }
}

static int handle_query(struct beacon *b, struct catalog *c, const struct pseudonym *key,
                        const struct gtsnap *snap, struct policy_budget *budget,
                        const struct beacon_call *call, const struct settings *st, int64_t gen,
                        struct beacon_req *r, struct resp *rs, struct gn_err *err)
{
    enum beacon_req_entry e = r->endpoint == BEACON_REQ_EP_RELATED ? r->target : r->entry;
    struct policy_request rq = {0};
    struct policy_decision d = {0};
    struct answer a = {0};
    struct filt f = {0};
    const char *only_ds[1];
    uint32_t *cohort = NULL, n_cohort = 0;
    uint8_t *vis = NULL;
    struct catalog_cohort co;
    char detail[512], refname[132], coname[132];
    int rc, have_co = 0, decided = 0, done = 0;

    if (e == BEACON_REQ_ENTRY_RUNS || e == BEACON_REQ_ENTRY_ANALYSES) {
        return gn_errf(err, GN_EUNSUPPORTED, "entry type '%s' is not served by this node",
                       beacon_req_entry_name(e));
    }
    if ((rc = policy_budget_take(budget, b->pc, c, key, call->who, call->client, "beacon", err)) <
        0) {
        return rc;
    }

    /* what the path names */
    rq.need = GRAN_BOOLEAN;
    request_datasets(r, only_ds, &rq);
    if (r->entry == BEACON_REQ_ENTRY_G_VARIANTS && r->entry_id) {
        if ((rc = variant_id_query(r, err)) < 0) return rc;
        if (e == BEACON_REQ_ENTRY_INDIVIDUALS || e == BEACON_REQ_ENTRY_BIOSAMPLES) {
            /* the people carrying it, within what the decision allows */
            if ((rc = carriers_of_variant(snap, r, &cohort, &n_cohort, err)) < 0) goto out;
        }
    }
    if (r->entry == BEACON_REQ_ENTRY_COHORTS && r->entry_id) {
        /* a cohort named in the path must exist: 404 otherwise */
        if ((rc = catalog_cohort_get(c, r->entry_id, &co, err)) < 0) return rc;
        have_co = 1;
    }
    if ((rc = people_load(&b->people, c, b->hpo, gen, err)) < 0) goto out;
    if ((r->entry == BEACON_REQ_ENTRY_INDIVIDUALS || r->entry == BEACON_REQ_ENTRY_BIOSAMPLES) &&
        r->entry_id) {
        /* one person's or sample's records: record level */
        rq.need = GRAN_RECORD;
        rc = record_cohort(b, c, key, call->project, r, &cohort, &n_cohort, err);
        if (rc == GN_ENOTFOUND)
            rc = gn_errf(err, rc, "no such %s", beacon_req_entry_name(r->entry));
        if (rc < 0) goto out;
        rq.cohort = cohort;
        rq.n_cohort = n_cohort;
        rq.has_cohort = 1;
    }
    /* the audit entry's parameters: user text cut at a character boundary, so the entry
     * stays UTF-8 text (a byte cut could end inside a character) */
    (void)snprintf(
        detail, sizeof detail, "beacon %s %s %s%s%s%s%s", call->method, beacon_req_entry_name(e),
        beacon_req_vq_name(r->variant.kind), r->variant.reference_name ? " " : "",
        r->variant.reference_name
            ? strparse_utf8_cut(refname, sizeof refname, r->variant.reference_name,
                                strlen(r->variant.reference_name))
            : "",
        have_co ? " cohort " : "",
        have_co ? strparse_utf8_cut(coname, sizeof coname, co.name, strlen(co.name)) : "");
    rq.action = "beacon";
    rq.detail = detail;
    rq.discovery = 1;
    rq.project = call->project;
    rq.purpose_terms = call->purpose;
    if ((rc = policy_decide_cached(b->pc, c, key, call->who, &rq, &d, err)) < 0) goto out;
    decided = 1;
    if (!(vis = people_visible(&b->people, &d))) goto nomem;
    f.vis = vis;
    if ((rc = filters_read(b, r, &f)) < 0) goto nomem;
    if (have_co && e != BEACON_REQ_ENTRY_COHORTS) { /* /cohorts/{id}/individuals */
        if ((rc = cohort_filters(b, co.phenotypes, &f)) < 0 ||
            (rc = cohort_filters(b, co.diagnoses, &f)) < 0)
            goto nomem;
    }

    /* returned granularity: requested, capped by the lowest cap of the datasets answered */
    a.g = (enum catalog_granularity)(r->granularity + 1); /* BOOLEAN=1, COUNT=2, RECORD=3 */
    for (uint32_t k = 0; k < d.n_ds; k++)
        if (d.ds[k].cap < a.g) a.g = d.ds[k].cap;
    if (rq.need == GRAN_RECORD && a.g < GRAN_RECORD) a.g = GRAN_RECORD; /* policy said record */
    if (!(a.sets = json_array())) goto nomem;

    switch (e) {
    case BEACON_REQ_ENTRY_G_VARIANTS:
        rc = answer_variants(b, snap, st, r, &d, &f, cohort, n_cohort, &a, err);
        break;
    case BEACON_REQ_ENTRY_INDIVIDUALS:
    case BEACON_REQ_ENTRY_BIOSAMPLES:
        rc = answer_people(b, r, &d, key, &f, cohort, n_cohort, e == BEACON_REQ_ENTRY_INDIVIDUALS,
                           &a, err);
        break;
    case BEACON_REQ_ENTRY_DATASETS: {
        struct ds_list l = {json_array(), &d, r->entry_id};
        if (!l.arr) goto nomem;
        if ((rc = catalog_dataset_each(c, ds_visit, &l, err)) < 0) {
            json_decref(l.arr);
            goto out;
        }
        collections_doc(rs, &a, st, r, e, l.arr);
        goto audited;
    }
    case BEACON_REQ_ENTRY_COHORTS: {
        /* the definitions are metadata, the sizes aggregates: shown when every dataset
         * answered allows counts, whatever granularity was requested */
        struct cohort_list l = {
            b, &d, d.n_ds ? GRAN_RECORD : GRAN_NONE, r->entry_id, json_array(), NULL, GN_OK};
        for (uint32_t k = 0; k < d.n_ds; k++)
            if (d.ds[k].cap < l.g) l.g = d.ds[k].cap;
        if (!l.arr || !(l.seen = gn_calloc(b->people.n_ind + 1, 1))) {
            json_decref(l.arr);
            goto nomem;
        }
        rc = catalog_cohort_each(c, cohort_visit, &l, err);
        gn_free(l.seen);
        if (rc < 0) {
            json_decref(l.arr);
            if (rc == GN_ENOMEM) goto nomem;
            goto out;
        }
        collections_doc(rs, &a, st, r, e, l.arr);
        goto audited;
    }
    default:
        rc = gn_errf(err, GN_EUNSUPPORTED, "unsupported entry type");
        break;
    }
    if (rc < 0) goto out;

    {
        const char *gname = catalog_granularity_name(a.g > GRAN_NONE ? a.g : GRAN_BOOLEAN);
        json_t *summary = json_pack("{s:b}", "exists", a.exists);
        if (a.g >= GRAN_COUNT)
            json_object_set_new(summary, "numTotalResults", json_integer(a.total));
        if (a.g == GRAN_BOOLEAN || a.g == GRAN_NONE || r->resultsets == BEACON_REQ_RS_NONE) {
            rs->doc = json_pack("{s:o, s:o}", "meta", query_meta(st, r, e, gname),
                                "responseSummary", summary);
        } else {
            /* HIT: only sets with results; MISS: only those without; ALL: every one */
            json_t *keep = json_array();
            size_t i;
            json_t *set;
            json_array_foreach(a.sets, i, set)
            {
                int ex = json_is_true(json_object_get(set, "exists"));
                if (r->resultsets == BEACON_REQ_RS_ALL ||
                    (r->resultsets == BEACON_REQ_RS_HIT && ex) ||
                    (r->resultsets == BEACON_REQ_RS_MISS && !ex))
                    json_array_append(keep, set);
            }
            rs->doc = json_pack("{s:o, s:o, s:{s:o}}", "meta", query_meta(st, r, e, gname),
                                "responseSummary", summary, "response", "resultSets", keep);
        }
        rs->status = 200;
        if (rs->doc && (f.n_warn || r->n_warnings || d.n_ds == 0)) {
            json_t *w = json_array();
            for (int i = 0; i < f.n_warn; i++)
                json_array_append_new(w, json_string(f.warn[i]));
            for (size_t i = 0; i < r->n_warnings; i++)
                json_array_append_new(w, json_string(r->warnings[i]));
            if (d.n_ds == 0)
                json_array_append_new(w, json_string("no dataset on this node is open to this "
                                                     "caller for this purpose"));
            json_object_set_new(rs->doc, "info", json_pack("{s:o}", "warnings", w));
        }
    }
audited:
    if (!rs->doc) goto nomem;
    done = 1;
    rc = policy_done(c, key, &d, a.records, NULL, err);
    goto out;
nomem:
    rc = gn_errf(err, GN_ENOMEM, "out of memory");
out:
    if (decided && !done) audit_failed(c, key, &d);
    json_decref(a.sets);
    policy_decision_free(&d);
    gn_free(cohort);
    gn_free(vis);
    filt_free(&f);
    return rc;
}

/* /filtering_terms (also under an entry type or a dataset): a query like any other, since
 * the terms say what the people on the node have. It takes one unit of the budget, asks
 * policy which people the caller may see (a discovery request, as /individuals does), lists
 * only the terms enough of them carry (term_listed) and is audited with the number of terms
 * listed. */
static int handle_terms(struct beacon *b, struct catalog *c, const struct pseudonym *key,
                        struct policy_budget *budget, const struct beacon_call *call,
                        const struct settings *st, int64_t gen, const struct beacon_req *r,
                        struct resp *rs, struct gn_err *err)
{
    struct policy_request rq = {0};
    struct policy_decision d = {0};
    enum catalog_granularity g = GRAN_RECORD;
    const char *only_ds[1];
    uint8_t *vis = NULL;
    uint32_t *hp = NULL, *dx = NULL;
    int64_t listed = 0;
    json_t *body;
    char detail[64];
    int rc, done = 0;

    if ((rc = policy_budget_take(budget, b->pc, c, key, call->who, call->client, "beacon", err)) <
        0)
        return rc;
    request_datasets(r, only_ds, &rq);
    (void)snprintf(detail, sizeof detail, "beacon %s filtering_terms", call->method);
    rq.action = "beacon";
    rq.detail = detail;
    rq.need = GRAN_BOOLEAN;
    rq.discovery = 1;
    rq.project = call->project;
    rq.purpose_terms = call->purpose;
    if ((rc = policy_decide_cached(b->pc, c, key, call->who, &rq, &d, err)) < 0) return rc;
    if ((rc = people_load(&b->people, c, b->hpo, gen, err)) < 0) goto out;
    for (uint32_t k = 0; k < d.n_ds; k++)
        if (d.ds[k].cap < g) g = d.ds[k].cap;
    rc = GN_ENOMEM;
    if (!(vis = people_visible(&b->people, &d)) ||
        term_counts(&b->people, b->hpo, vis, &hp, &dx) < 0 ||
        !(body = filtering_terms(&b->people, b->hpo, hp, dx, &d, g, &listed)))
        goto out;
    if (!(rs->doc = json_pack("{s:o, s:o}", "meta", info_meta(st), "response", body))) goto out;
    rs->status = 200;
    done = 1;
    rc = policy_done(c, key, &d, listed, NULL, err);
out:
    if (rc == GN_ENOMEM && !err->msg[0]) rc = gn_errf(err, rc, "out of memory");
    if (!done) audit_failed(c, key, &d);
    policy_decision_free(&d);
    gn_free(vis);
    gn_free(hp);
    gn_free(dx);
    return rc;
}

int beacon_handle(struct beacon *b, struct catalog *c, const struct pseudonym *key,
                  const struct gtsnap *snap, struct policy_budget *budget,
                  const struct beacon_call *call, char **out, size_t *len, int *status)
{
    struct beacon_req r;
    struct gn_err err = GN_ERR_INIT;
    struct settings st;
    struct resp rs = {NULL, 500};
    int64_t gen = -1;
    int rc, parsed = 0;

    *out = NULL;
    *len = 0;
    /* one read of the catalog generation serves the whole request */
    int rc_gen = policy_cache_begin(b->pc, c, &gen, &err);
    read_settings(b, c, gen, &st);
    rc = rc_gen < 0 ? rc_gen
                    : beacon_req_parse(call->method, call->path, call->query, call->body,
                                       call->body_len, &r, &err);
    if (rc == GN_OK && call->refuse_status) {
        parsed = 1;
        set_error(&rs, &st, &r, call->refuse_status, call->refuse_msg ? call->refuse_msg : "");
    } else if (call->refuse_status) {
        set_error(&rs, &st, NULL, call->refuse_status, call->refuse_msg ? call->refuse_msg : "");
        rc = GN_OK;
    } else if (rc == GN_OK) {
        parsed = 1;
        if (r.endpoint == BEACON_REQ_EP_ENTRIES || r.endpoint == BEACON_REQ_EP_ENTRY ||
            r.endpoint == BEACON_REQ_EP_RELATED) {
            rc = handle_query(b, c, key, snap, budget, call, &st, gen, &r, &rs, &err);
        } else if (r.endpoint == BEACON_REQ_EP_FILTERING_TERMS) {
            rc = handle_terms(b, c, key, budget, call, &st, gen, &r, &rs, &err);
        } else {
            framework(&rs, &st, &r, snap);
        }
    }
    if (rc < 0) {
        set_error(&rs, &st, parsed ? &r : NULL, gn_err_http_status(rc),
                  err.msg[0] ? err.msg : gn_strerror(rc));
    }
    if (parsed) beacon_req_free(&r);
    if (!rs.doc) return GN_ENOMEM;
    *out = json_dumps(rs.doc, JSON_COMPACT);
    json_decref(rs.doc);
    if (!*out) return GN_ENOMEM;
    *len = strlen(*out);
    *status = rs.status;
    return GN_OK;
}
