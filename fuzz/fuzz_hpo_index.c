/*
 * fuzz_hpo_index.c — the HPO index decoder (docs/format/hpo-index.md) on arbitrary bytes.
 *
 * The checksum would reject nearly every mutation before the structure is looked at, so
 * the target recomputes it over whatever payload it is given: the decoder's own bounds,
 * ordering and closure checks are what is exercised. A decoded index must then support a
 * ranker and one ranking without any out-of-bounds access.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "buf.h"
#include "hpo.h"
#include "hpo_rank.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *p;
    struct hpo *h = NULL;
    struct hpo_ranker *r = NULL;
    if (size < 24 || !(p = malloc(size))) return 0;
    memcpy(p, data, size);
    gn_le_put_u64(p + 16, (uint64_t)(size - 24));
    gn_le_put_u32(p + 12, (uint32_t)crc32(0L, p + 24, (uInt)(size - 24)));
    if (hpo_decode(p, size, &h, NULL) == GN_OK) {
        if (hpo_ranker_new(h, NULL, &r, NULL) == GN_OK && h->n_dis) {
            struct hpo_score *sc = calloc(h->n_dis, sizeof *sc);
            uint32_t t = 0;
            struct hpo_query q = {&t, 1, &t, 1, &t, h->n_genes ? 1 : 0, 0};
            while (t < h->n_terms && !(h->term_flags[t] & HPO_TERM_PHENO))
                t++;
            if (sc && t < h->n_terms && hpo_rank_score(r, &q, sc, NULL) != GN_OK) abort();
            free(sc);
        }
        hpo_ranker_free(r);
        hpo_free(h);
    }
    free(p);
    return 0;
}
