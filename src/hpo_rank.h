/*
 * hpo_rank.h — phenotype-driven ranking of every annotated disease for one patient.
 *
 * A patient is a set of observed HPO terms, a set of excluded terms (examined and
 * absent) and optionally candidate genes (genes with rare variants). Each disease gets
 * one score per method (docs/hpo.md has the formulas and the evaluation):
 *
 *   HPO_RANK_RESNIK    one-sided Resnik best-match average: the mean over observed terms
 *                      of the information content of the most informative common ancestor
 *                      with any of the disease's terms (the usual baseline)
 *   HPO_RANK_BMA       Phenomizer-style symmetric best-match average: the mean of the
 *                      patient→disease and disease→patient averages
 *   HPO_RANK_LR        LIRICAL-style likelihood ratio: log10 of the product over observed
 *                      terms of P(term | disease) / P(term | background) (the lr method alone
 *                      also divides a matched term by annotation-set size^size_exp), with partial
 *                      credit through common ancestors, and over excluded terms of the
 *                      chance the disease lacks the feature; NOT annotations count against
 *   HPO_RANK_SET       Phrank-style set similarity: the sum of the marginal information
 *                      content (IC(a) minus its most informative parent's) over the terms that
 *                      are ancestors of both a patient term and a disease term, each once
 *   HPO_RANK_COMBINED  the likelihood ratio plus weighted symmetric BMA and set scores and
 *                      the share of the observed terms the disease is annotated with exactly
 *                      (w_exact), the weights tuned on the development cases (docs/hpo.md)
 *
 * When the patient's age of onset is known (struct hpo_query.onset) and the disease has
 * onset annotations, the likelihood ratio (and so the combined score) also counts
 * P(onset | disease) / P(onset | background): the disease's onset bands share 1 - onset_eps,
 * every band onset_eps / HPO_ONSET_N (onsets outside the annotated bands do occur), and the
 * background is the mean over the diseases with onset bands.
 *
 * Information content is computed from the annotations: IC(t) = ln(N / n_t) with n_t the
 * diseases annotated with t or a descendant. A disease linked to a candidate gene gets the
 * gene bonus of the method (struct hpo_rank_params) and records which gene.
 *
 * Ownership: a ranker borrows the struct hpo (which must outlive it) and owns its derived
 * postings and scratch space; free with hpo_ranker_free().
 * Thread safety: a ranker holds per-query scratch: use one per thread (hpo_ranker_new is
 * cheap relative to loading the index, ~20 ms).
 */
#ifndef GN_HPO_RANK_H
#define GN_HPO_RANK_H

#include <stdint.h>

#include "err.h"
#include "hpo.h"

enum hpo_rank_method {
    HPO_RANK_RESNIK,
    HPO_RANK_BMA,
    HPO_RANK_LR,
    HPO_RANK_SET,
    HPO_RANK_COMBINED,
    HPO_RANK_N
};

/* Tunable constants of the scores (defaults from hpo_rank_params_default()). */
struct hpo_rank_params {
    double freq_unknown;  /* P(term | disease) when the annotation gives no frequency */
    double exc_unknown;   /* same, for judging an excluded term the disease has */
    double exc_floor;     /* lower bound of 1 - P(term | disease) for an excluded term */
    double partial_scale; /* non-matching term: LR = partial_scale / P(MICA | background) */
    double partial_floor; /* ... and never below this */
    double partial_cap;   /* ... nor above this */
    double not_lr;        /* LR of an observed term the disease is annotated NOT to have */
    double w_bma;         /* weight of the symmetric BMA in the combined score */
    double w_set;         /* weight of the set score in the combined score */
    double size_exp;      /* LR of a matched term times (annotations of the disease / 20)^-size_exp:
                           * a term is less likely given a disease with many features */
    double w_rev;         /* extra weight of the disease→patient average in the combined score */
    double w_unshared;    /* set score: minus this times the marginal IC of the disease's
                           * closure not shared with the patient (large annotation sets) */
    double w_z;           /* weight of the calibrated z-score in the combined score; 0: off
                           * (no calibration pass at ranker set-up) */
    double w_exact;       /* combined score: plus this times the share of the observed terms the
                           * disease is annotated with exactly (not only through a descendant) */
    double gene_log10;    /* log10 LR of a candidate gene hit (LR, set, combined): decisive */
    double gene_sim_bonus; /* added to Resnik/BMA scores of candidate-gene diseases */
    double w_onset;        /* weight of the onset log10 LR in the lr and combined scores; 0: off */
    double onset_eps;      /* share of P(onset | disease) spread over every band */
    double twins; /* 1: an OMIM entry and the one Orphanet entry with the same label are one
                   * disease: the OMIM entry scores the better of the two, the Orphanet
                   * one is not ranked (hpo_rank_twin); 2: also when the labels have the
                   * same words in another order ("Hyperoxaluria, primary, type I" and
                   * "Primary hyperoxaluria type 1"); 3: also the one OMIM and the one
                   * Orphanet entry of a gene, when the labels share a word (the Orphanet
                   * entry's gene, when the inputs give it none, is the one gene whose
                   * phenotype links hold all its annotations); 4 (the default): also an
                   * Orphanet entry of one gene and that gene's OMIM entry with clearly the
                   * most alike annotations (hpo_twin.h); 0: off */
};

void hpo_rank_params_default(struct hpo_rank_params *p);

/* A patient: current term indices (resolved with hpo_resolve()), gene indices, and the
 * onset bands the patient's age of onset may lie in (mask of enum hpo_onset_band; 0:
 * unknown; an age at examination without an onset is every band up to that age). */
struct hpo_query {
    const uint32_t *obs;
    uint32_t n_obs;
    const uint32_t *exc;
    uint32_t n_exc;
    const uint32_t *genes;
    uint32_t n_genes;
    uint16_t onset;
};

/* The scores of one disease: phenotype only, and the candidate gene it carries. */
struct hpo_score {
    double s[HPO_RANK_N];
    double onset;  /* the onset's weighted log10 LR within the lr and combined scores (0: none) */
    uint32_t gene; /* the first candidate gene linked to the disease, or HPO_NONE */
    uint32_t via;  /* the entry whose annotations gave the combined score and the onset: the
                    * disease itself, or its Orphanet twin when that one scored better */
};

struct hpo_ranker;

/* Builds the postings (diseases per term, direct and through descendants) for h. */
GN_MUST_CHECK int hpo_ranker_new(const struct hpo *h, const struct hpo_rank_params *p,
                                 struct hpo_ranker **out, struct gn_err *err);
void hpo_ranker_free(struct hpo_ranker *r);

/*
 * Scores every disease for q into sc[0 .. h->n_dis). Terms outside the phenotype subtree
 * are ignored. GN_EINVAL when q has no observed term.
 */
GN_MUST_CHECK int hpo_rank_score(struct hpo_ranker *r, const struct hpo_query *q,
                                 struct hpo_score *sc, struct gn_err *err);

/* The final score of method m: the phenotype score plus the gene bonus when with_genes. */
double hpo_rank_final(const struct hpo_ranker *r, const struct hpo_score *sc,
                      enum hpo_rank_method m, int with_genes);

/* Fills order[0 .. n) with the disease indices by decreasing final score (ties: by id). */
GN_MUST_CHECK int hpo_rank_order(const struct hpo_ranker *r, const struct hpo_score *sc, uint32_t n,
                                 enum hpo_rank_method m, int with_genes, uint32_t *order,
                                 struct gn_err *err);

/* How hpo_rank_of counts diseases with exactly d's score. */
enum hpo_ties {
    HPO_TIES_HALF,  /* 1 + higher + half the tied (expected rank under a random tie order) */
    HPO_TIES_SHARE, /* 1 + higher: tied diseases share the best rank ("tie-aware") */
    HPO_TIES_STRICT /* 1 + higher + tied: every tie counts against d */
};

/* With the twins parameter, the other entry of d's OMIM/Orphanet pair (same folded label),
 * else HPO_NONE. The Orphanet entry of a pair scores -HUGE_VAL (listed under its OMIM
 * twin, never ranked). */
uint32_t hpo_rank_twin(const struct hpo_ranker *r, uint32_t d);

/* How many OMIM/Orphanet pairs the ranker lists as one disease (0 with twins off). */
uint32_t hpo_rank_n_twins(const struct hpo_ranker *r);

/* The rank of disease d (1 = best), ties counted as said: for evaluation. */
double hpo_rank_of(const struct hpo_ranker *r, const struct hpo_score *sc, uint32_t n,
                   enum hpo_rank_method m, int with_genes, uint32_t d, enum hpo_ties ties);

/* How one patient term relates to a disease. */
enum hpo_match_kind {
    HPO_MATCH_EXACT,         /* the disease is annotated with the term */
    HPO_MATCH_IMPLIED,       /* the disease has a more specific term (query is an ancestor) */
    HPO_MATCH_SPECIFIC,      /* the query is more specific than a disease term */
    HPO_MATCH_PARTIAL,       /* only a common ancestor below the root */
    HPO_MATCH_NONE,          /* nothing in common below the phenotype root */
    HPO_MATCH_EXCLUDED_HAS,  /* an excluded term the disease has (evidence against) */
    HPO_MATCH_NOT_ANNOTATED, /* an observed term the disease is annotated NOT to have */
};

struct hpo_match {
    uint32_t query; /* the patient's term */
    uint32_t dterm; /* the disease term matched, HPO_NONE when none */
    uint32_t mica;  /* most informative common ancestor, HPO_NONE when none */
    double ic;      /* IC of mica */
    enum hpo_match_kind kind;
};

/*
 * Explains disease d for q: one entry per observed term (its best match), then one per
 * excluded term the disease has. out needs q->n_obs + q->n_exc entries; returns the count.
 */
uint32_t hpo_rank_explain(const struct hpo_ranker *r, const struct hpo_query *q, uint32_t d,
                          struct hpo_match *out);

const char *hpo_rank_method_name(enum hpo_rank_method m);
const char *hpo_match_kind_name(enum hpo_match_kind k);

/*
 * Patient-to-patient phenotype similarity in [0, 1] (Matchmaker Exchange): the symmetric
 * Resnik best-match average of the two term sets, divided by the mean of each set's own
 * (the mean IC of its terms), so identical sets score 1 and sets sharing only the root
 * score 0. Uses the index's information content only (no ranker). Terms outside the
 * phenotype subtree or HPO_NONE are ignored; *out is 0 when either side has none left.
 */
GN_MUST_CHECK int hpo_rank_similarity(const struct hpo *h, const uint32_t *a, uint32_t na,
                                      const uint32_t *b, uint32_t nb, double *out,
                                      struct gn_err *err);

/*
 * hpo_rank_similarity prepared for one query against many candidates (Matchmaker Exchange
 * over every local person): the same value, bit for bit, with each candidate's side
 * computed once and kept (struct hpo_sim_cand) and the query's once per query.
 *
 * A candidate: its terms exactly as they would be passed to hpo_rank_similarity (order and
 * repeats matter to the floating-point sums), the sorted distinct ancestors of its phenotype
 * terms (hpo_sim_closure) and its own mean IC and phenotype term count (hpo_sim_self). The
 * arrays are borrowed.
 */
struct hpo_sim_cand {
    const uint32_t *terms;
    uint32_t n_terms;
    const uint32_t *closure;
    uint32_t n_closure;
    double self;     /* mean IC of the phenotype terms (hpo_sim_self) */
    uint32_t n_used; /* phenotype terms counted (hpo_sim_self) */
};

/* The sorted, distinct ancestors (self included) of the phenotype terms of t[0..n), as an
 * owned array (gn_free; never NULL on success, even when *n_out is 0). */
GN_MUST_CHECK int hpo_sim_closure(const struct hpo *h, const uint32_t *t, uint32_t n,
                                  uint32_t **out, uint32_t *n_out, struct gn_err *err);
/* The mean IC of the phenotype terms of t[0..n) into *self (0 when none) and their count. */
void hpo_sim_self(const struct hpo *h, const uint32_t *t, uint32_t n, double *self,
                  uint32_t *n_used);

/* A query prepared for hpo_sim_score: owned (hpo_sim_query_free); holds scratch, so one
 * thread at a time. Borrows h (which must outlive it) and copies the terms. */
struct hpo_sim_query;
GN_MUST_CHECK int hpo_sim_query_new(const struct hpo *h, const uint32_t *a, uint32_t na,
                                    struct hpo_sim_query **out, struct gn_err *err);
void hpo_sim_query_free(struct hpo_sim_query *q);
/* Exactly hpo_rank_similarity(h, a, na, b->terms, b->n_terms) for the query's a. */
double hpo_sim_score(struct hpo_sim_query *q, const struct hpo_sim_cand *b);

#endif
