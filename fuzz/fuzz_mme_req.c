/*
 * fuzz_mme_req.c — the Matchmaker Exchange request and result parser (mme_query_parse) on
 * arbitrary bytes, as a request body and as one result entry.
 */
#include <string.h>

#include "mme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gn_err err = GN_ERR_INIT;
    struct mme_query *q = NULL;

    for (int kind = 0; kind < 2; kind++) {
        if (mme_query_parse((const char *)data, size, kind, &q, &err) == 0) {
            if (!q->id || (!q->n_features && !q->n_genes)) __builtin_trap();
            for (size_t i = 0; i < q->n_features; i++)
                if (strlen(q->features[i].id) != 10) __builtin_trap();
            mme_query_free(q);
        }
    }
    return 0;
}
