/*
 * fuzz_phenopacket.c — the Phenopackets v2 reader on arbitrary bytes; whatever parses is
 * written back out (phenopacket_write) and must parse again, with the same features,
 * diseases and the TimeElements the writer keeps (onsets, the time at the last encounter).
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "phenopacket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A kept TimeElement read back (b) is the one written (a) when the writer keeps it: an ISO
 * 8601 age ("P...") or an HPO term; any other kind is left out of the output. */
static int same(const char *b, const char *a)
{
    if (a && a[0] != 'P' && !phenopacket_is_hpo_id(a, strlen(a))) a = NULL;
    return (!a && !b) || (a && b && !strcmp(a, b));
}

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
        if (again->n_ph != pp->n_ph || again->n_dx != pp->n_dx) __builtin_trap();
        if (!same(again->age_last, pp->age_last)) __builtin_trap();
        for (size_t i = 0; i < pp->n_ph; i++)
            if (!same(again->ph[i].onset, pp->ph[i].onset)) __builtin_trap();
        for (size_t i = 0; i < pp->n_dx; i++)
            if (!same(again->dx[i].onset, pp->dx[i].onset)) __builtin_trap();
        phenopacket_free(again);
        gn_free(out);
    }
    phenopacket_free(pp);
    return 0;
}
