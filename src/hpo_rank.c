/*
 * hpo_rank.c — scoring all diseases against one patient (see hpo_rank.h, docs/hpo.md).
 *
 * Everything is organised around postings built once per ranker:
 *   post(a)  the diseases whose annotation closure contains term a (annotated with a or a
 *            descendant), each with the highest frequency among those annotations;
 *   dpost(a) the diseases annotated with a itself;
 *   npost(a) the diseases annotated NOT a.
 * For an observed term q, walking q's ancestors a (most of them few and general) and their
 * post(a) lists gives, for every disease at once, the IC of the most informative common
 * ancestor of q and any disease term (the Resnik similarity) without ever comparing term
 * pairs: MICA(q, D) = max { IC(a) : a in anc(q), D in post(a) }. The same walk finds the
 * likelihood-ratio cases: D in post(q) means the disease implies q; D in dpost(a) for a
 * proper ancestor a of q means the patient's term is more specific than the disease's.
 * The reverse direction of the symmetric BMA marks the union of the patient's ancestors,
 * propagates "best marked ancestor" to every term once, and averages it over each
 * disease's terms. A query costs O(sum of the postings of the query terms' ancestors +
 * terms + annotations): a few milliseconds for 12,600 diseases.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hpo_rank.h"
#include "hpo_twin.h"

struct hpo_ranker {
    const struct hpo *h;
    struct hpo_rank_params p;
    uint32_t *post_off, *post_dis; /* n_terms + 1 */
    uint8_t *post_freq;
    uint32_t *dpost_off, *dpost_dis;
    uint8_t *dpost_freq;
    uint32_t *npost_off, *npost_dis;
    uint32_t *gd_off, *gd_dis; /* gene → diseases */
    float lut_pos[256], lut_exc[256];
    /* scratch */
    float *simq, *lrq, *mt;
    double *marg;     /* n_terms: marginal IC */
    double *dtot;     /* n_dis: marginal IC summed over the disease's closure */
    float *dfac;      /* n_dis: log10 size factor of a matched term's LR (lr method only) */
    uint32_t *nmatch; /* n_dis: observed terms the disease implies or generalises */
    uint32_t *nexact; /* n_dis: observed terms the disease is annotated with, as they are */
    double *set;      /* n_dis */
    double *resnik, *lr;
    uint32_t *stamp;  /* n_dis */
    uint32_t *tstamp; /* n_terms */
    uint32_t qno;
    /* calibration (w_z != 0): per disease, mean and sd of one random term's Resnik
     * similarity and log10 LR; zs the query's z-score */
    float *mu_s, *sd_s, *mu_l, *sd_l;
    double *zs;
    double onset_bg[HPO_ONSET_N]; /* P(band | background) over diseases with onset bands */
    struct hpo_twins tw;          /* when p.twins: OMIM/Orphanet pairs (hpo_twin.h) */
};

void hpo_rank_params_default(struct hpo_rank_params *p)
{
    p->freq_unknown = 0.5;
    p->exc_unknown = 0.0;
    p->exc_floor = 0.05;
    p->partial_scale = 0.05;
    p->partial_floor = 0.05;
    p->partial_cap = 1.0;
    p->not_lr = 0.01;
    p->w_bma = 1.0;
    p->w_set = 0.5;
    p->w_rev = 0.0;
    p->size_exp = 0.15;
    p->w_unshared = 0.0;
    p->twins = 4.0;
    p->w_z = 0.0;
    p->w_exact = 10.0;
    p->w_onset = 2.0;
    p->onset_eps = 0.1;
    p->gene_log10 = 100.0;
    p->gene_sim_bonus = 100.0;
}

const char *hpo_rank_method_name(enum hpo_rank_method m)
{
    static const char *const n[HPO_RANK_N] = {"resnik", "bma", "lr", "set", "combined"};
    return (unsigned)m < HPO_RANK_N ? n[m] : "?";
}

const char *hpo_match_kind_name(enum hpo_match_kind k)
{
    static const char *const n[] = {"exact",        "implied", "more_specific",
                                    "partial",      "none",    "excluded_but_annotated",
                                    "annotated_not"};
    return (unsigned)k < sizeof n / sizeof n[0] ? n[k] : "?";
}

void hpo_ranker_free(struct hpo_ranker *r)
{
    if (!r) return;
    gn_free(r->post_off);
    gn_free(r->post_dis);
    gn_free(r->post_freq);
    gn_free(r->dpost_off);
    gn_free(r->dpost_dis);
    gn_free(r->dpost_freq);
    gn_free(r->npost_off);
    gn_free(r->npost_dis);
    gn_free(r->gd_off);
    gn_free(r->gd_dis);
    gn_free(r->simq);
    gn_free(r->lrq);
    gn_free(r->mt);
    gn_free(r->marg);
    gn_free(r->dtot);
    gn_free(r->dfac);
    gn_free(r->nmatch);
    gn_free(r->nexact);
    gn_free(r->set);
    gn_free(r->resnik);
    gn_free(r->mu_s);
    gn_free(r->sd_s);
    gn_free(r->mu_l);
    gn_free(r->sd_l);
    hpo_twins_free(&r->tw);
    gn_free(r->zs);
    gn_free(r->lr);
    gn_free(r->stamp);
    gn_free(r->tstamp);
    gn_free(r);
}

static uint8_t freq_max(uint8_t a, uint8_t b)
{
    if (a == HPO_FREQ_UNKNOWN) return b;
    if (b == HPO_FREQ_UNKNOWN) return a;
    return a > b ? a : b;
}

/* post(a): diseases whose closure contains a, with the highest frequency below a. */
static int build_post(struct hpo_ranker *r)
{
    const struct hpo *h = r->h;
    uint32_t nt = h->n_terms, *pos = NULL, *cur = NULL;
    int rc = GN_ENOMEM;
    if (!(r->post_off = gn_calloc((size_t)nt + 1, sizeof *r->post_off)) ||
        !(pos = gn_calloc(nt, sizeof *pos)))
        goto out;
    for (uint32_t t = 0; t < nt; t++) /* term_ndis is exactly |post(t)| */
        r->post_off[t + 1] = r->post_off[t] + h->term_ndis[t];
    if (!(r->post_dis = gn_calloc(r->post_off[nt] ? r->post_off[nt] : 1, sizeof *r->post_dis)) ||
        !(r->post_freq = gn_calloc(r->post_off[nt] ? r->post_off[nt] : 1, 1)) ||
        !(cur = gn_calloc((size_t)nt + 1, sizeof *cur)))
        goto out;
    memcpy(cur, r->post_off, ((size_t)nt + 1) * sizeof *cur);
    for (uint32_t d = 0; d < h->n_dis; d++) {
        for (uint32_t k = h->dt_off[d]; k < h->dt_off[d + 1]; k++) {
            uint32_t t = h->dt_term[k];
            for (uint32_t j = h->anc_off[t]; j < h->anc_off[t + 1]; j++) {
                uint32_t a = h->anc[j];
                if (r->tstamp[a] == d + 1) {
                    r->post_freq[pos[a]] = freq_max(r->post_freq[pos[a]], h->dt_freq[k]);
                    continue;
                }
                if (cur[a] >= r->post_off[a + 1]) { /* term_ndis disagrees: corrupt index */
                    rc = GN_ECORRUPT;
                    goto out;
                }
                r->tstamp[a] = d + 1;
                pos[a] = cur[a]++;
                r->post_dis[pos[a]] = d;
                r->post_freq[pos[a]] = h->dt_freq[k];
            }
        }
    }
    rc = GN_OK;
out:
    gn_free(pos);
    gn_free(cur);
    return rc;
}

static void score_observed(struct hpo_ranker *r, uint32_t q);

/*
 * Phenomizer-style calibration: how a disease scores against one random patient term. The
 * terms are drawn (fixed seed) from the pooled disease annotations, so "random" follows
 * what patients are annotated with; HPO_RANK_CAL_TERMS draws give each disease the mean and
 * standard deviation of its per-term Resnik similarity and log10 LR. A query of n terms
 * then has z = (S - n mu) / (sqrt(n) sd) per score: a disease with a large, general
 * annotation set that matches anything well is no longer favoured for it.
 */
#define HPO_RANK_CAL_TERMS 400
static int calibrate(struct hpo_ranker *r)
{
    const struct hpo *h = r->h;
    uint32_t nd = h->n_dis, nrows = h->dt_off[h->n_dis];
    uint64_t x = 0x9e3779b97f4a7c15ull;
    double *s1 = NULL, *s2 = NULL, *l1 = NULL, *l2 = NULL;
    int rc = GN_ENOMEM;
    if (!(r->mu_s = gn_calloc(nd + 1, sizeof *r->mu_s)) ||
        !(r->sd_s = gn_calloc(nd + 1, sizeof *r->sd_s)) ||
        !(r->mu_l = gn_calloc(nd + 1, sizeof *r->mu_l)) ||
        !(r->sd_l = gn_calloc(nd + 1, sizeof *r->sd_l)) ||
        !(r->zs = gn_calloc(nd + 1, sizeof *r->zs)) || !(s1 = gn_calloc(nd + 1, sizeof *s1)) ||
        !(s2 = gn_calloc(nd + 1, sizeof *s2)) || !(l1 = gn_calloc(nd + 1, sizeof *l1)) ||
        !(l2 = gn_calloc(nd + 1, sizeof *l2)))
        goto out;
    for (int i = 0; nrows && i < HPO_RANK_CAL_TERMS; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint32_t q = h->dt_term[x % nrows];
        memset(r->resnik, 0, (size_t)nd * sizeof *r->resnik);
        memset(r->lr, 0, (size_t)nd * sizeof *r->lr);
        score_observed(r, q);
        for (uint32_t d = 0; d < nd; d++) {
            s1[d] += r->resnik[d], s2[d] += r->resnik[d] * r->resnik[d];
            l1[d] += r->lr[d], l2[d] += r->lr[d] * r->lr[d];
        }
    }
    for (uint32_t d = 0; d < nd; d++) {
        double n = HPO_RANK_CAL_TERMS, ms = s1[d] / n, ml = l1[d] / n;
        double vs = s2[d] / n - ms * ms, vl = l2[d] / n - ml * ml;
        r->mu_s[d] = (float)ms;
        r->mu_l[d] = (float)ml;
        r->sd_s[d] = (float)sqrt(vs > 1e-6 ? vs : 1e-6);
        r->sd_l[d] = (float)sqrt(vl > 1e-6 ? vl : 1e-6);
    }
    rc = GN_OK;
out:
    gn_free(s1);
    gn_free(s2);
    gn_free(l1);
    gn_free(l2);
    return rc;
}


uint32_t hpo_rank_n_twins(const struct hpo_ranker *r)
{
    return r->tw.n_pairs;
}

uint32_t hpo_rank_twin(const struct hpo_ranker *r, uint32_t d)
{
    return r->tw.twin && d < r->h->n_dis ? r->tw.twin[d] : HPO_NONE;
}

static unsigned popcount16(uint16_t v)
{
    unsigned n = 0;
    for (; v; v &= (uint16_t)(v - 1))
        n++;
    return n;
}

/* P(the patient's onset lies in bands q | disease with onset bands m), see hpo_rank.h. */
static double onset_p(const struct hpo_ranker *r, uint16_t q, uint16_t m)
{
    double eps = r->p.onset_eps;
    return (1 - eps) * popcount16(q & m) / popcount16(m) + eps * popcount16(q) / HPO_ONSET_N;
}

static void onset_background(struct hpo_ranker *r)
{
    const struct hpo *h = r->h;
    uint32_t n = 0;
    memset(r->onset_bg, 0, sizeof r->onset_bg);
    for (uint32_t d = 0; d < h->n_dis; d++) {
        if (!h->dis_onset[d]) continue;
        for (int b = 0; b < HPO_ONSET_N; b++)
            r->onset_bg[b] += onset_p(r, (uint16_t)(1u << b), h->dis_onset[d]);
        n++;
    }
    for (int b = 0; b < HPO_ONSET_N; b++)
        r->onset_bg[b] = n ? r->onset_bg[b] / n : 1.0 / HPO_ONSET_N;
}

/* Each disease's weighted log10 LR of the patient's onset bands q into sc[].onset (0 when
 * q, the disease's bands or w_onset is 0). */
static void onset_scores(const struct hpo_ranker *r, uint16_t q, struct hpo_score *sc)
{
    const struct hpo *h = r->h;
    double bgq = 0;
    for (uint32_t d = 0; d < h->n_dis; d++)
        sc[d].onset = 0;
    if (!q || r->p.w_onset == 0) return;
    for (int b = 0; b < HPO_ONSET_N; b++)
        if (q & (1u << b)) bgq += r->onset_bg[b];
    for (uint32_t d = 0; d < h->n_dis; d++)
        if (h->dis_onset[d])
            sc[d].onset = r->p.w_onset * log10(onset_p(r, q, h->dis_onset[d]) / bgq);
}

int hpo_ranker_new(const struct hpo *h, const struct hpo_rank_params *p, struct hpo_ranker **out,
                   struct gn_err *err)
{
    struct hpo_ranker *r = gn_calloc(1, sizeof *r);
    uint32_t nd = h->n_dis ? h->n_dis : 1, nt = h->n_terms;
    int rc = GN_ENOMEM;
    *out = NULL;
    if (!r) goto fail;
    r->h = h;
    if (p)
        r->p = *p;
    else
        hpo_rank_params_default(&r->p);
    for (int f = 0; f < 256; f++) {
        r->lut_pos[f] = f <= 100 ? (float)(f / 100.0) : (float)r->p.freq_unknown;
        r->lut_exc[f] = f <= 100 ? (float)(f / 100.0) : (float)r->p.exc_unknown;
    }
    if (!(r->simq = gn_calloc(nd, sizeof *r->simq)) || !(r->lrq = gn_calloc(nd, sizeof *r->lrq)) ||
        !(r->resnik = gn_calloc(nd, sizeof *r->resnik)) ||
        !(r->lr = gn_calloc(nd, sizeof *r->lr)) || !(r->stamp = gn_calloc(nd, sizeof *r->stamp)) ||
        !(r->mt = gn_calloc(nt, sizeof *r->mt)) || !(r->marg = gn_calloc(nt, sizeof *r->marg)) ||
        !(r->set = gn_calloc(nd, sizeof *r->set)) ||
        !(r->tstamp = gn_calloc(nt, sizeof *r->tstamp)))
        goto fail;
    if ((rc = build_post(r)) < 0) goto fail;
    for (uint32_t t = 0; t < nt; t++) { /* marginal IC: what t adds over its parents */
        double best = 0;
        for (uint32_t k = h->par_off[t]; k < h->par_off[t + 1]; k++) {
            if (h->ic[h->par[k]] > best) best = h->ic[h->par[k]];
        }
        r->marg[t] = h->ic[t] > best ? h->ic[t] - best : 0;
    }
    memset(r->tstamp, 0, (size_t)nt * sizeof *r->tstamp);
    rc = GN_ENOMEM;
    if (!(r->dtot = gn_calloc(nd, sizeof *r->dtot)) ||
        !(r->dfac = gn_calloc(nd, sizeof *r->dfac)) ||
        !(r->nmatch = gn_calloc(nd, sizeof *r->nmatch)) ||
        !(r->nexact = gn_calloc(nd, sizeof *r->nexact)))
        goto fail;
    for (uint32_t d = 0; d < h->n_dis; d++) {
        uint32_t n = h->dt_off[d + 1] - h->dt_off[d];
        r->dfac[d] = (float)(-r->p.size_exp * log10((n ? n : 1) / 20.0));
    }
    for (uint32_t t = 0; t < nt; t++) {
        if (!(h->term_flags[t] & HPO_TERM_PHENO)) continue;
        for (uint32_t k = r->post_off[t]; k < r->post_off[t + 1]; k++)
            r->dtot[r->post_dis[k]] += r->marg[t];
    }
    if (hpo_csr_invert(h->dt_off, h->dt_term, h->dt_freq, h->n_dis, nt, &r->dpost_off,
                       &r->dpost_dis, &r->dpost_freq) < 0 ||
        hpo_csr_invert(h->dn_off, h->dn_term, NULL, h->n_dis, nt, &r->npost_off, &r->npost_dis,
                       NULL) < 0 ||
        hpo_csr_invert(h->dg_off, h->dg_gene, NULL, h->n_dis, h->n_genes, &r->gd_off, &r->gd_dis,
                       NULL) < 0)
        goto fail;
    onset_background(r);
    if (r->p.w_z != 0 && (rc = calibrate(r)) < 0) goto fail;
    if (r->p.twins != 0 && (rc = hpo_twins_find(h, (int)r->p.twins, &r->tw)) < 0) goto fail;
    *out = r;
    return GN_OK;
fail:
    hpo_ranker_free(r);
    return gn_errf(err, rc, "HPO ranker: %s", gn_strerror(rc));
}

/* P(term | background): the share of diseases annotated with t or below, never 0 or 1. */
static double bg(const struct hpo *h, uint32_t t)
{
    double n = h->n_dis ? (double)h->n_dis : 1.0;
    double c = h->term_ndis[t] ? (double)h->term_ndis[t] : 0.5;
    return c / (n + 1.0);
}

/* One observed term: Resnik similarity and log LR into every disease's accumulators. */
static void score_observed(struct hpo_ranker *r, uint32_t q)
{
    const struct hpo *h = r->h;
    const struct hpo_rank_params *p = &r->p;
    uint32_t nd = h->n_dis;
    memset(r->simq, 0, (size_t)nd * sizeof *r->simq);
    memset(r->lrq, 0, (size_t)nd * sizeof *r->lrq);
    r->qno++;
    for (uint32_t j = h->anc_off[q]; j < h->anc_off[q + 1]; j++) {
        uint32_t a = h->anc[j];
        float ic = (float)h->ic[a];
        if (!(h->term_flags[a] & HPO_TERM_PHENO)) continue; /* the root and its kin */
        for (uint32_t k = r->post_off[a]; k < r->post_off[a + 1]; k++) {
            uint32_t d = r->post_dis[k];
            if (ic > r->simq[d]) r->simq[d] = ic;
        }
        if (a == q) { /* the disease has q or a descendant: it implies q */
            for (uint32_t k = r->dpost_off[q]; k < r->dpost_off[q + 1]; k++)
                r->nexact[r->dpost_dis[k]]++; /* ... annotated with q itself */
            float inv = (float)(1.0 / bg(h, q));
            for (uint32_t k = r->post_off[a]; k < r->post_off[a + 1]; k++) {
                float v = r->lut_pos[r->post_freq[k]] * inv;
                if (v > r->lrq[r->post_dis[k]]) r->lrq[r->post_dis[k]] = v;
            }
        } else { /* the disease has a, an ancestor of q: P(q|D) ~ f P(q|a) */
            float inv = (float)(1.0 / bg(h, a));
            for (uint32_t k = r->dpost_off[a]; k < r->dpost_off[a + 1]; k++) {
                float v = r->lut_pos[r->dpost_freq[k]] * inv;
                if (v > r->lrq[r->dpost_dis[k]]) r->lrq[r->dpost_dis[k]] = v;
            }
        }
        for (uint32_t k = r->npost_off[a]; k < r->npost_off[a + 1]; k++) {
            uint32_t d = r->npost_dis[k]; /* the disease excludes q (or an ancestor) */
            if (r->stamp[d] == r->qno) continue;
            r->stamp[d] = r->qno;
            r->lr[d] += log10(p->not_lr);
        }
    }
    for (uint32_t d = 0; d < nd; d++) {
        double v = r->lrq[d];
        r->resnik[d] += r->simq[d];
        if (v > 0) r->nmatch[d]++;
        if (v <= 0) {
            v = p->partial_scale * exp((double)r->simq[d]);
            v = v < p->partial_floor ? p->partial_floor : v > p->partial_cap ? p->partial_cap : v;
        }
        r->lr[d] += log10(v);
    }
}

/* One excluded term: diseases that have it (or a descendant) lose 1 - f. */
static void score_excluded(struct hpo_ranker *r, uint32_t x, double *base)
{
    const struct hpo *h = r->h;
    double b = bg(h, x);
    if (!(h->term_flags[x] & HPO_TERM_PHENO)) return;
    if (b > 0.999) b = 0.999;
    *base += -log10(1.0 - b);
    for (uint32_t k = r->post_off[x]; k < r->post_off[x + 1]; k++) {
        double miss = 1.0 - r->lut_exc[r->post_freq[k]];
        r->lr[r->post_dis[k]] += log10(miss < r->p.exc_floor ? r->p.exc_floor : miss);
    }
}

/* Disease → patient half of the symmetric BMA: mean over the disease's terms of the best
 * IC among their ancestors that are also ancestors of a patient term. */
static void score_reverse(struct hpo_ranker *r, const uint32_t *obs, uint32_t n_obs, double *rev)
{
    const struct hpo *h = r->h;
    r->qno++;
    for (uint32_t i = 0; i < n_obs; i++) {
        for (uint32_t j = h->anc_off[obs[i]]; j < h->anc_off[obs[i] + 1]; j++)
            r->tstamp[h->anc[j]] = r->qno;
    }
    memset(r->set, 0, (size_t)h->n_dis * sizeof *r->set);
    for (uint32_t a = 0; a < h->n_terms; a++) { /* set score: shared ancestors, each once */
        if (r->tstamp[a] != r->qno || !(h->term_flags[a] & HPO_TERM_PHENO)) continue;
        for (uint32_t k = r->post_off[a]; k < r->post_off[a + 1]; k++)
            r->set[r->post_dis[k]] += r->marg[a];
    }
    for (uint32_t t = 0; t < h->n_terms; t++) {
        float best = 0;
        for (uint32_t j = h->anc_off[t]; j < h->anc_off[t + 1]; j++) {
            uint32_t a = h->anc[j];
            if (r->tstamp[a] == r->qno && (float)h->ic[a] > best) best = (float)h->ic[a];
        }
        r->mt[t] = best;
    }
    for (uint32_t d = 0; d < h->n_dis; d++) {
        double s = 0;
        uint32_t n = h->dt_off[d + 1] - h->dt_off[d];
        for (uint32_t k = h->dt_off[d]; k < h->dt_off[d + 1]; k++)
            s += r->mt[h->dt_term[k]];
        rev[d] = n ? s / n : 0;
    }
}

int hpo_rank_score(struct hpo_ranker *r, const struct hpo_query *q, struct hpo_score *sc,
                   struct gn_err *err)
{
    const struct hpo *h = r->h;
    uint32_t nd = h->n_dis, n_used = 0;
    double base = 0;
    if (!q->n_obs) return gn_errf(err, GN_EINVAL, "no observed HPO terms to rank by");
    memset(r->resnik, 0, (size_t)nd * sizeof *r->resnik);
    memset(r->lr, 0, (size_t)nd * sizeof *r->lr);
    memset(r->nmatch, 0, (size_t)nd * sizeof *r->nmatch);
    memset(r->nexact, 0, (size_t)nd * sizeof *r->nexact);
    for (uint32_t i = 0; i < q->n_obs; i++) {
        assert(q->obs[i] < h->n_terms);
        if (!(h->term_flags[q->obs[i]] & HPO_TERM_PHENO)) continue;
        score_observed(r, q->obs[i]);
        n_used++;
    }
    if (!n_used)
        return gn_errf(err, GN_EINVAL, "none of the observed terms is a phenotypic abnormality");
    if (r->zs) {
        double n = n_used, rn = sqrt(n);
        for (uint32_t d = 0; d < nd; d++)
            r->zs[d] = (r->resnik[d] - n * r->mu_s[d]) / (rn * r->sd_s[d]) +
                       (r->lr[d] - n * r->mu_l[d]) / (rn * r->sd_l[d]);
    }
    for (uint32_t i = 0; i < q->n_exc; i++)
        score_excluded(r, q->exc[i], &base);
    onset_scores(r, q->onset & HPO_ONSET_ALL, sc);
    for (uint32_t d = 0; d < nd; d++) {
        sc[d].s[HPO_RANK_RESNIK] = r->resnik[d] / n_used;
        sc[d].s[HPO_RANK_LR] = r->lr[d] + base + r->nmatch[d] * (double)r->dfac[d] + sc[d].onset;
        sc[d].gene = HPO_NONE;
        sc[d].via = d;
    }
    score_reverse(r, q->obs, q->n_obs, r->resnik); /* resnik is free again: reuse it */
    for (uint32_t d = 0; d < nd; d++) {
        sc[d].s[HPO_RANK_BMA] = 0.5 * (sc[d].s[HPO_RANK_RESNIK] + r->resnik[d]);
        sc[d].s[HPO_RANK_SET] = r->set[d] - r->p.w_unshared * (r->dtot[d] - r->set[d]);
        sc[d].s[HPO_RANK_COMBINED] = r->lr[d] + base + r->p.w_bma * sc[d].s[HPO_RANK_BMA] +
                                     r->p.w_set * sc[d].s[HPO_RANK_SET] + r->p.w_rev * r->resnik[d];
        if (r->zs) sc[d].s[HPO_RANK_COMBINED] += r->p.w_z * r->zs[d];
        sc[d].s[HPO_RANK_COMBINED] += r->p.w_exact * r->nexact[d] / n_used + sc[d].onset;
    }
    for (uint32_t g = 0; g < q->n_genes; g++) {
        uint32_t gi = q->genes[g];
        if (gi >= h->n_genes) continue;
        for (uint32_t k = r->gd_off[gi]; k < r->gd_off[gi + 1]; k++) {
            if (sc[r->gd_dis[k]].gene == HPO_NONE) sc[r->gd_dis[k]].gene = gi;
        }
    }
    for (uint32_t i = 0; i < r->tw.n_pairs; i++) { /* OMIM entry: the better of the pair */
        uint32_t d = r->tw.pair_omim[i], o = r->tw.twin[d];
        if (sc[o].s[HPO_RANK_COMBINED] > sc[d].s[HPO_RANK_COMBINED]) {
            sc[d].onset = sc[o].onset;
            sc[d].via = o;
        }
        for (int m = 0; m < HPO_RANK_N; m++)
            if (sc[o].s[m] > sc[d].s[m]) sc[d].s[m] = sc[o].s[m];
        if (sc[d].gene == HPO_NONE) sc[d].gene = sc[o].gene;
        for (int m = 0; m < HPO_RANK_N; m++)
            sc[o].s[m] = -HUGE_VAL; /* the Orphanet twin: never ranked */
        sc[o].gene = HPO_NONE;
    }
    return GN_OK;
}

double hpo_rank_final(const struct hpo_ranker *r, const struct hpo_score *sc,
                      enum hpo_rank_method m, int with_genes)
{
    double s = sc->s[m];
    if (with_genes && sc->gene != HPO_NONE)
        s += m == HPO_RANK_RESNIK || m == HPO_RANK_BMA ? r->p.gene_sim_bonus : r->p.gene_log10;
    return s;
}

struct order_key {
    double s;
    uint32_t d;
};

static int cmp_key(const void *a, const void *b)
{
    const struct order_key *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return x->d < y->d ? -1 : x->d > y->d;
}

int hpo_rank_order(const struct hpo_ranker *r, const struct hpo_score *sc, uint32_t n,
                   enum hpo_rank_method m, int with_genes, uint32_t *order, struct gn_err *err)
{
    struct order_key *k = gn_calloc(n ? n : 1, sizeof *k);
    if (!k) return gn_errf(err, GN_ENOMEM, "ranking");
    for (uint32_t d = 0; d < n; d++) {
        k[d].s = hpo_rank_final(r, &sc[d], m, with_genes);
        k[d].d = d;
    }
    qsort(k, n, sizeof *k, cmp_key);
    for (uint32_t i = 0; i < n; i++)
        order[i] = k[i].d;
    gn_free(k);
    return GN_OK;
}

double hpo_rank_of(const struct hpo_ranker *r, const struct hpo_score *sc, uint32_t n,
                   enum hpo_rank_method m, int with_genes, uint32_t d, enum hpo_ties ties)
{
    double s = hpo_rank_final(r, &sc[d], m, with_genes);
    uint32_t gt = 0, eq = 0;
    for (uint32_t i = 0; i < n; i++) {
        double v = hpo_rank_final(r, &sc[i], m, with_genes);
        gt += v > s;
        eq += v == s && i != d;
    }
    return ties == HPO_TIES_SHARE    ? 1.0 + gt
           : ties == HPO_TIES_STRICT ? 1.0 + gt + eq
                                     : 1.0 + gt + eq / 2.0;
}

/* The most informative common ancestor of terms a and b (both ancestor lists sorted). */
static uint32_t mica(const struct hpo *h, uint32_t a, uint32_t b)
{
    uint32_t i = h->anc_off[a], j = h->anc_off[b], best = HPO_NONE;
    while (i < h->anc_off[a + 1] && j < h->anc_off[b + 1]) {
        if (h->anc[i] < h->anc[j]) {
            i++;
        } else if (h->anc[i] > h->anc[j]) {
            j++;
        } else {
            uint32_t c = h->anc[i];
            if ((h->term_flags[c] & HPO_TERM_PHENO) && (best == HPO_NONE || h->ic[c] > h->ic[best]))
                best = c;
            i++;
            j++;
        }
    }
    return best;
}

static struct hpo_match match_term(const struct hpo *h, uint32_t q, uint32_t d)
{
    struct hpo_match m = {q, HPO_NONE, HPO_NONE, 0, HPO_MATCH_NONE};
    for (uint32_t k = h->dn_off[d]; k < h->dn_off[d + 1]; k++) {
        if (hpo_is_ancestor(h, h->dn_term[k], q)) {
            m.dterm = h->dn_term[k];
            m.kind = HPO_MATCH_NOT_ANNOTATED;
            return m;
        }
    }
    for (uint32_t k = h->dt_off[d]; k < h->dt_off[d + 1]; k++) {
        uint32_t t = h->dt_term[k], c = mica(h, q, t);
        enum hpo_match_kind kind = t == q                     ? HPO_MATCH_EXACT
                                   : hpo_is_ancestor(h, q, t) ? HPO_MATCH_IMPLIED
                                   : hpo_is_ancestor(h, t, q) ? HPO_MATCH_SPECIFIC
                                                              : HPO_MATCH_PARTIAL;
        if (c == HPO_NONE) continue;
        if (m.mica == HPO_NONE || kind < m.kind || (kind == m.kind && h->ic[c] > m.ic)) {
            m.dterm = t;
            m.mica = c;
            m.ic = h->ic[c];
            m.kind = kind;
        }
    }
    return m;
}

uint32_t hpo_rank_explain(const struct hpo_ranker *r, const struct hpo_query *q, uint32_t d,
                          struct hpo_match *out)
{
    const struct hpo *h = r->h;
    uint32_t n = 0;
    for (uint32_t i = 0; i < q->n_obs; i++)
        out[n++] = match_term(h, q->obs[i], d);
    for (uint32_t i = 0; i < q->n_exc; i++) {
        uint32_t x = q->exc[i];
        for (uint32_t k = h->dt_off[d]; k < h->dt_off[d + 1]; k++) {
            if (hpo_is_ancestor(h, x, h->dt_term[k])) {
                out[n++] =
                    (struct hpo_match){x, h->dt_term[k], x, h->ic[x], HPO_MATCH_EXCLUDED_HAS};
                break;
            }
        }
    }
    return n;
}

/* ---- patient-to-patient similarity -------------------------------------------------- */

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* The sorted, distinct ancestors (self included) of the phenotype terms of t[0..n). */
static uint32_t *anc_union(const struct hpo *h, const uint32_t *t, uint32_t n, uint32_t *out_n)
{
    size_t total = 0, k = 0;
    uint32_t *u;
    for (uint32_t i = 0; i < n; i++)
        if (t[i] < h->n_terms && (h->term_flags[t[i]] & HPO_TERM_PHENO))
            total += h->anc_off[t[i] + 1] - h->anc_off[t[i]];
    if (!(u = gn_calloc(total ? total : 1, sizeof *u))) return NULL;
    for (uint32_t i = 0; i < n; i++)
        if (t[i] < h->n_terms && (h->term_flags[t[i]] & HPO_TERM_PHENO))
            for (uint32_t j = h->anc_off[t[i]]; j < h->anc_off[t[i] + 1]; j++)
                u[k++] = h->anc[j];
    qsort(u, k, sizeof *u, cmp_u32);
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (!m || u[m - 1] != u[i]) u[m++] = u[i];
    *out_n = (uint32_t)m;
    return u;
}

/* Mean over phenotype terms q of a of max IC(x), x in anc(q) and in the set s; *self gets
 * the mean IC of the terms (the most the first mean can be); *n the terms counted. */
static double one_side(const struct hpo *h, const uint32_t *a, uint32_t na, const uint32_t *s,
                       uint32_t ns, double *self, uint32_t *n)
{
    double sum = 0, own = 0;
    uint32_t cnt = 0;
    for (uint32_t i = 0; i < na; i++) {
        uint32_t q = a[i];
        double best = 0;
        if (q >= h->n_terms || !(h->term_flags[q] & HPO_TERM_PHENO)) continue;
        for (uint32_t j = h->anc_off[q]; j < h->anc_off[q + 1]; j++) {
            uint32_t x = h->anc[j];
            if (h->ic[x] > best && bsearch(&x, s, ns, sizeof *s, cmp_u32)) best = h->ic[x];
        }
        sum += best;
        own += h->ic[q];
        cnt++;
    }
    *self = cnt ? own / cnt : 0;
    *n = cnt;
    return cnt ? sum / cnt : 0;
}

int hpo_rank_similarity(const struct hpo *h, const uint32_t *a, uint32_t na, const uint32_t *b,
                        uint32_t nb, double *out, struct gn_err *err)
{
    uint32_t nua = 0, nub = 0, ca, cb;
    uint32_t *ua = anc_union(h, a, na, &nua), *ub = anc_union(h, b, nb, &nub);
    double sa, sb, ab, ba;
    int rc = GN_OK;
    *out = 0;
    if (!ua || !ub) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    ab = one_side(h, a, na, ub, nub, &sa, &ca);
    ba = one_side(h, b, nb, ua, nua, &sb, &cb);
    if (ca && cb && sa + sb > 0) {
        *out = (ab + ba) / (sa + sb);
        if (*out > 1) *out = 1;
        if (*out < 0) *out = 0;
    }
out:
    gn_free(ua);
    gn_free(ub);
    return rc;
}

/* ---- the same, prepared for one query against many candidates ------------------------ */

struct hpo_sim_query {
    const struct hpo *h;
    /* the query's phenotype terms in order, each with its ancestors of positive IC by
     * decreasing IC: the first one in a candidate's closure is the best match */
    uint32_t n_q;
    uint32_t *qanc_off; /* n_q + 1 */
    uint32_t *qanc;
    double self;         /* mean IC of the query's phenotype terms */
    uint8_t *in_closure; /* n_terms: 1 for the query's ancestors (self included) */
    double *rev;         /* n_terms: best IC of t's ancestors in the query's closure... */
    uint8_t *rev_ok;     /* ... once computed */
    uint32_t *stamp;     /* n_terms: the current candidate's closure */
    uint32_t stamp_no;
};

int hpo_sim_closure(const struct hpo *h, const uint32_t *t, uint32_t n, uint32_t **out,
                    uint32_t *n_out, struct gn_err *err)
{
    *n_out = 0;
    if (!(*out = anc_union(h, t, n, n_out))) return gn_errf(err, GN_ENOMEM, "out of memory");
    return GN_OK;
}

void hpo_sim_self(const struct hpo *h, const uint32_t *t, uint32_t n, double *self,
                  uint32_t *n_used)
{
    double own = 0; /* summed in order, as one_side does */
    uint32_t cnt = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (t[i] >= h->n_terms || !(h->term_flags[t[i]] & HPO_TERM_PHENO)) continue;
        own += h->ic[t[i]];
        cnt++;
    }
    *self = cnt ? own / cnt : 0;
    *n_used = cnt;
}

void hpo_sim_query_free(struct hpo_sim_query *q)
{
    if (!q) return;
    gn_free(q->qanc_off);
    gn_free(q->qanc);
    gn_free(q->in_closure);
    gn_free(q->rev);
    gn_free(q->rev_ok);
    gn_free(q->stamp);
    gn_free(q);
}

struct ic_key {
    double ic;
    uint32_t t;
};

static int cmp_ic_desc(const void *x, const void *y)
{
    const struct ic_key *a = x, *b = y;
    if (a->ic != b->ic) return a->ic > b->ic ? -1 : 1;
    return a->t < b->t ? -1 : a->t > b->t;
}

int hpo_sim_query_new(const struct hpo *h, const uint32_t *a, uint32_t na,
                      struct hpo_sim_query **out, struct gn_err *err)
{
    struct hpo_sim_query *q = gn_calloc(1, sizeof *q);
    struct ic_key *keys = NULL;
    size_t total = 0, k = 0;
    uint32_t nt = h->n_terms;
    *out = NULL;
    if (!q) goto nomem;
    q->h = h;
    for (uint32_t i = 0; i < na; i++)
        if (a[i] < nt && (h->term_flags[a[i]] & HPO_TERM_PHENO))
            total += h->anc_off[a[i] + 1] - h->anc_off[a[i]];
    if (!(q->qanc_off = gn_calloc((size_t)na + 1, sizeof *q->qanc_off)) ||
        !(q->qanc = gn_calloc(total ? total : 1, sizeof *q->qanc)) ||
        !(keys = gn_calloc(total ? total : 1, sizeof *keys)) ||
        !(q->in_closure = gn_calloc(nt ? nt : 1, 1)) ||
        !(q->rev = gn_calloc(nt ? nt : 1, sizeof *q->rev)) ||
        !(q->rev_ok = gn_calloc(nt ? nt : 1, 1)) ||
        !(q->stamp = gn_calloc(nt ? nt : 1, sizeof *q->stamp)))
        goto nomem;
    hpo_sim_self(h, a, na, &q->self, &q->n_q);
    q->n_q = 0;
    for (uint32_t i = 0; i < na; i++) {
        size_t m = 0;
        if (a[i] >= nt || !(h->term_flags[a[i]] & HPO_TERM_PHENO)) continue;
        for (uint32_t j = h->anc_off[a[i]]; j < h->anc_off[a[i] + 1]; j++) {
            uint32_t x = h->anc[j];
            q->in_closure[x] = 1;
            if (h->ic[x] > 0) keys[m++] = (struct ic_key){h->ic[x], x};
        }
        qsort(keys, m, sizeof *keys, cmp_ic_desc);
        for (size_t j = 0; j < m; j++)
            q->qanc[k++] = keys[j].t;
        q->qanc_off[++q->n_q] = (uint32_t)k;
    }
    gn_free(keys);
    *out = q;
    return GN_OK;
nomem:
    gn_free(keys);
    hpo_sim_query_free(q);
    return gn_errf(err, GN_ENOMEM, "out of memory");
}

double hpo_sim_score(struct hpo_sim_query *q, const struct hpo_sim_cand *b)
{
    const struct hpo *h = q->h;
    double ab = 0, ba = 0, sum = 0, v;
    uint32_t cnt = 0;
    if (!q->n_q || !b->n_used || q->self + b->self <= 0) return 0;
    /* query → candidate: per query term, the most informative of its ancestors in the
     * candidate's closure (one_side(a, closure(b)): the same maximum, found first) */
    if (++q->stamp_no == 0) {
        memset(q->stamp, 0, (size_t)h->n_terms * sizeof *q->stamp);
        q->stamp_no = 1;
    }
    for (uint32_t k = 0; k < b->n_closure; k++)
        q->stamp[b->closure[k]] = q->stamp_no;
    for (uint32_t i = 0; i < q->n_q; i++) {
        double best = 0;
        for (uint32_t j = q->qanc_off[i]; j < q->qanc_off[i + 1]; j++) {
            if (q->stamp[q->qanc[j]] == q->stamp_no) {
                best = h->ic[q->qanc[j]];
                break;
            }
        }
        sum += best;
    }
    ab = sum / q->n_q;
    /* candidate → query: per candidate term, the best of its ancestors in the query's
     * closure, remembered per term across candidates */
    sum = 0;
    for (uint32_t i = 0; i < b->n_terms; i++) {
        uint32_t t = b->terms[i];
        if (t >= h->n_terms || !(h->term_flags[t] & HPO_TERM_PHENO)) continue;
        if (!q->rev_ok[t]) {
            double best = 0;
            for (uint32_t j = h->anc_off[t]; j < h->anc_off[t + 1]; j++) {
                uint32_t x = h->anc[j];
                if (h->ic[x] > best && q->in_closure[x]) best = h->ic[x];
            }
            q->rev[t] = best;
            q->rev_ok[t] = 1;
        }
        sum += q->rev[t];
        cnt++;
    }
    ba = cnt ? sum / cnt : 0;
    v = (ab + ba) / (q->self + b->self);
    if (v > 1) v = 1;
    if (v < 0) v = 0;
    return v;
}
