/*
 * fuzz_generegion.c — the gene-region BED parser on arbitrary bytes, for both builds.
 *
 * A parse that succeeds must give what the sample scan relies on: at most the bounded
 * number of regions, each with a non-empty contig and gene symbol no longer than the bound,
 * 0 <= start < end, and its line number; a failure must say why.
 */
#include <stdlib.h>
#include <string.h>

#include "generegion.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum contig_build builds[] = {CONTIG_BUILD_GRCH37, CONTIG_BUILD_GRCH38};
    for (size_t k = 0; k < sizeof builds / sizeof builds[0]; k++) {
        struct generegion_set *s = NULL;
        struct gn_err err = GN_ERR_INIT;
        if (generegion_parse((const char *)data, size, "fuzz.bed", builds[k], &s, &err) != GN_OK) {
            if (!err.msg[0] || s) abort();
            continue;
        }
        if (!s || s->n > GENEREGION_MAX_ROWS) abort();
        for (uint32_t i = 0; i < s->n; i++) {
            const struct generegion *r = &s->r[i];
            if (!r->chrom || !r->chrom[0] || !r->gene || !r->gene[0]) abort();
            if (strlen(r->gene) > GENEREGION_MAX_SYMBOL) abort();
            if (r->start < 0 || r->end <= r->start || r->line == 0) abort();
        }
        generegion_free(s);
    }
    return 0;
}
