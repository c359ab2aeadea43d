/*
 * fuzz_hpo_src.c — the HPO release parsers (hp.obo, hp.json, phenotype.hpoa, the TSV
 * release, genes_to_phenotype, mim2gene_medgen) and the index build on arbitrary bytes.
 *
 * The first byte picks the parser of the rest (mod HPO_SRC_N_KINDS); when the input holds
 * a NUL byte, the part after it is added as the next kind too, so an ontology and its
 * annotations meet in one build. A built index must keep the invariants ranking relies on
 * (each term among its own ancestors, annotations on phenotype terms) and survive an
 * encode/decode round trip; then one ranking runs over it.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hpo.h"
#include "hpo_rank.h"
#include "hpo_src.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct hpo *h)
{
    struct hpo_ranker *r = NULL;
    struct hpo_score *sc;
    struct gn_buf b;
    struct hpo *h2 = NULL;
    uint32_t obs[2];
    struct hpo_query q = {obs, 0, obs, 0, NULL, 0, 0};
    for (uint32_t t = 0; t < h->n_terms; t++) {
        if (!hpo_is_ancestor(h, t, t)) abort();
    }
    for (uint32_t k = 0; k < h->dt_off[h->n_dis]; k++) {
        if (!(h->term_flags[h->dt_term[k]] & HPO_TERM_PHENO)) abort();
    }
    gn_buf_init(&b, 1u << 28);
    if (hpo_encode(h, &b, NULL) != GN_OK || hpo_decode(b.data, b.len, &h2, NULL) != GN_OK) abort();
    if (h2->n_terms != h->n_terms || h2->n_dis != h->n_dis) abort();
    hpo_free(h2);
    gn_buf_free(&b);
    if (hpo_ranker_new(h, NULL, &r, NULL) != GN_OK) return;
    sc = calloc(h->n_dis ? h->n_dis : 1, sizeof *sc);
    for (uint32_t t = 0; sc && t < h->n_terms && q.n_obs < 2; t++) {
        if (h->term_flags[t] & HPO_TERM_PHENO) obs[q.n_obs++] = t;
    }
    q.n_exc = q.n_obs > 1;
    if (sc && q.n_obs && hpo_rank_score(r, &q, sc, NULL) != GN_OK) abort();
    free(sc);
    hpo_ranker_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hpo_src *s = NULL;
    struct hpo *h = NULL;
    const char *p = (const char *)data + 1, *nul;
    size_t n;
    unsigned kind;
    if (size < 1) return 0;
    kind = data[0] % HPO_SRC_N_KINDS;
    n = size - 1;
    nul = memchr(p, 0, n);
    if (hpo_src_new(&s, NULL) != GN_OK) return 0;
    if (hpo_src_add(s, (enum hpo_src_kind)kind, p, nul ? (size_t)(nul - p) : n, "fuzz", NULL) ==
            GN_OK &&
        (!nul || hpo_src_add(s, (enum hpo_src_kind)((kind + 4) % HPO_SRC_N_KINDS), nul + 1,
                             n - (size_t)(nul - p) - 1, "fuzz2", NULL) == GN_OK) &&
        hpo_src_build(s, &h, NULL, NULL) == GN_OK) {
        check(h);
        hpo_free(h);
    }
    hpo_src_free(s);
    return 0;
}
