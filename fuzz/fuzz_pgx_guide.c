/*
 * fuzz_pgx_guide.c — the recommendation-table parser on arbitrary bytes, then one answer per
 * parsed guideline for a fixed patient (every gene unknown, then CYP2D6 with a high score),
 * so the lookup walks whatever keys were accepted.
 */
#include <stdlib.h>
#include <string.h>

#include "pgx_guide.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pgx_guides *g = NULL;
    struct gn_err err = GN_ERR_INIT;
    struct pgx_guide_gene p = {.gene = "CYP2D6",
                               .known = 1,
                               .determinate = 1,
                               .n_keys = 1,
                               .has_activity = 1,
                               .activity_x100 = 325,
                               .n_functions = 1};
    struct pgx_guide_answer a;
    p.keys[0] = "3.25";
    p.functions[0] = "Normal function/Normal function";
    if (pgx_guides_parse((const char *)data, size, &g, &err) != GN_OK) return 0;
    for (uint32_t i = 0; i < pgx_guides_count(g); i++) {
        pgx_guide_answer(g, i, NULL, 0, &a);
        if (a.n_hits > PGX_GUIDE_MAX_HITS || strlen(a.why) >= sizeof a.why) abort();
        pgx_guide_answer(g, i, &p, 1, &a);
        if (a.answer > PGX_ANSWER_INDETERMINATE) abort();
    }
    pgx_guides_free(g);
    return 0;
}
