/*
 * fuzz_pgx_def.c — the PharmCAT allele-definition parser and the exemptions parser on
 * arbitrary bytes.
 *
 * The input is split at its first NUL byte: the part before is parsed as one gene's
 * definition file, the part after (if any) as exemptions.json applied to that gene. A
 * parsed gene must satisfy the invariants the matcher relies on: exactly one reference
 * allele that defines every position, scores equal to the defined positions, positions
 * strictly increasing, every allele one of the forms pgx_allele_matches() accepts.
 */
#include <stdlib.h>
#include <string.h>

#include "pgx_def.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct pgx_gene *g)
{
    const struct pgx_allele *ref = &g->alleles[g->ref_allele];
    if (!ref->reference || ref->score != g->n_pos || g->n_pos == 0) abort();
    for (uint32_t i = 1; i < g->n_pos; i++) {
        if (g->pos[i].pos <= g->pos[i - 1].pos) abort();
    }
    for (uint32_t a = 0; a < g->n_alleles; a++) {
        uint32_t s = 0;
        for (uint32_t i = 0; i < g->n_pos; i++) {
            const char *seq = pgx_allele_at(g, a, i);
            if (!seq || !*seq) abort();
            s += g->alleles[a].seq[i] != NULL;
            (void)pgx_allele_matches(seq, g->pos[i].ref, strlen(g->pos[i].ref));
        }
        if (s != g->alleles[a].score) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nul = memchr(s, 0, size);
    size_t n1 = nul ? (size_t)(nul - s) : size;
    struct pgx_gene *g = NULL;
    struct gn_err err = GN_ERR_INIT;

    if (pgx_gene_parse(s, n1, &g, &err) != GN_OK) return 0;
    check(g);
    if (nul && pgx_gene_exempt(g, nul + 1, size - n1 - 1, &err) == GN_OK) check(g);
    pgx_gene_free(g);
    return 0;
}
