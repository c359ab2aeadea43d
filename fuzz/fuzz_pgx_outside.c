/*
 * fuzz_pgx_outside.c — the outside-call TSV parser on arbitrary bytes.
 *
 * A parse that succeeds must satisfy what the CLI relies on: at most the bounded number of
 * calls, every gene non-empty and unique, every call with a diplotype, phenotype or score,
 * a diplotype's first allele non-empty, and NUL-terminated fields.
 */
#include <stdlib.h>
#include <string.h>

#include "pgx_outside.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pgx_outside o;
    struct gn_err err = GN_ERR_INIT;
    if (pgx_outside_parse((const char *)data, size, &o, &err) != GN_OK) {
        if (!err.msg[0]) abort();
        return 0;
    }
    if (o.n > PGX_OUTSIDE_MAX_CALLS) abort();
    for (uint32_t i = 0; i < o.n; i++) {
        const struct pgx_outside_call *c = &o.calls[i];
        if (!c->gene[0] || memchr(c->gene, 0, sizeof c->gene) == NULL) abort();
        if (pgx_outside_find(&o, c->gene) != c) abort();
        if (!c->diplotype[0] && !c->phenotype[0] && !c->has_activity) abort();
        if (c->diplotype[0] && !c->hap[0][0]) abort();
        if (c->has_activity && c->activity_x100 < 0) abort();
    }
    return 0;
}
