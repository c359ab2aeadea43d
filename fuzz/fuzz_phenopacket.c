/*
 * fuzz_phenopacket.c — the Phenopackets v2 reader on arbitrary bytes; whatever parses is
 * written back out (phenopacket_write) and must parse again.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "phenopacket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gn_err err = GN_ERR_INIT;
    struct phenopacket *pp = NULL, *again = NULL;
    char *out = NULL;
    size_t len = 0;

    if (phenopacket_parse((const char *)data, size, &pp, &err) < 0) return 0;
    if (pp->id &&
        phenopacket_write(pp, "2026-01-01T00:00:00Z", "2025-01-16", &out, &len, &err) == 0) {
        if (phenopacket_parse(out, len, &again, &err) < 0) __builtin_trap();
        if (again->n_ph != pp->n_ph) __builtin_trap();
        phenopacket_free(again);
        gn_free(out);
    }
    phenopacket_free(pp);
    return 0;
}
