/*
 * fuzz_phenosel.c — the cohort criteria parser (phenosel_new) on arbitrary bytes, as the
 * diagnosis list of --diagnosis and of a stored cohort (the HPO-term list goes through
 * hpo_resolve, fuzzed with the index). Invariant: an accepted list written back by
 * phenosel_lists parses again to the same list.
 */
#include <stdlib.h>
#include <string.h>

#include "phenosel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gn_err err = GN_ERR_INIT;
    struct phenosel *s = NULL, *again = NULL;
    char *list = malloc(size + 1), terms[16], dx[8192], dx2[8192];
    if (!list) return 0;
    memcpy(list, data, size);
    list[size] = '\0';
    if (phenosel_new(NULL, NULL, list, &s, NULL, 0, &err) == GN_OK) {
        if (phenosel_lists(s, terms, sizeof terms, dx, sizeof dx, &err) == GN_OK) {
            if (terms[0] || !dx[0]) __builtin_trap();
            if (phenosel_new(NULL, NULL, dx, &again, NULL, 0, &err) != GN_OK) __builtin_trap();
            if (phenosel_lists(again, terms, sizeof terms, dx2, sizeof dx2, &err) != GN_OK ||
                strcmp(dx, dx2) != 0)
                __builtin_trap();
            phenosel_free(again);
        }
        phenosel_free(s);
    }
    free(list);
    return 0;
}
