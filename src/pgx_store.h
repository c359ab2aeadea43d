/*
 * pgx_store.h — the genotypes of some samples at one gene's definition positions, read
 * from the node's genotype store (a pinned snapshot), as the struct pgx_obs the matcher
 * takes.
 *
 * One gene at a time: a merged scan (gtmerge) of the gene's span for the given samples,
 * keeping the records whose position is a definition position. A position with no record
 * is reference for a sample whose gVCF declared it callable there, and missing otherwise —
 * never assumed reference. Where several records share a position (split multi-allelic
 * sites), a non-reference call wins over a reference one (as pgx_vcf). Phased calls carry
 * no phase set in the store, so phase is chromosome-wide (ps 0). Access control is the
 * caller's (policy decides the samples; see src/cli/cmd_pgx_store.c).
 *
 * Thread safety: a struct pgx_store_gene is used by one thread at a time; different genes
 * may be read from one snapshot in parallel.
 */
#ifndef GN_PGX_STORE_H
#define GN_PGX_STORE_H

#include <stdint.h>

#include "err.h"
#include "gtstore.h"
#include "pgx_def.h"
#include "pgx_match.h"

struct pgx_store_gene; /* opaque */

/*
 * Reads gene g at its definition positions for the samples ids (global ids, n of them,
 * live in snap). Returns owned in *out; free with pgx_store_gene_free(). Errors:
 * GN_EUNSUPPORTED (a GRCh37 store: the definitions are GRCh38), GN_ENOMEM, and the
 * store's read errors.
 */
GN_MUST_CHECK int pgx_store_gene_read(const struct gtsnap *snap, const struct pgx_gene *g,
                                      const uint32_t *ids, uint32_t n, struct pgx_store_gene **out,
                                      struct gn_err *err);

/* Fills obs (g->n_pos entries) for sample k (index into ids). Strings are borrowed from
 * sg and stay valid until pgx_store_gene_free(). */
void pgx_store_gene_obs(const struct pgx_store_gene *sg, uint32_t k, struct pgx_obs *obs);

/* Records read that were definition positions (for the audit). */
uint64_t pgx_store_gene_records(const struct pgx_store_gene *sg);

void pgx_store_gene_free(struct pgx_store_gene *sg);

#endif
