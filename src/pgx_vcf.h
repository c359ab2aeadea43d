/*
 * pgx_vcf.h — one sample's genotypes at every definition position, read from a VCF/BCF
 * with htslib, as the per-gene struct pgx_obs arrays pgx_match_gene() takes.
 *
 * A definition position is matched by chromosome ("chr7" and "7" alike) and POS. Every
 * position the file does not list, or lists with a missing GT (./., a half-missing call),
 * is missing — never reference. Phasing comes from the GT separator and the PS field.
 * When a position appears more than once (split multi-allelic records), a record with a
 * non-reference call wins over a reference one. A header naming GRCh37/hg19 as its
 * reference is refused (the definitions are GRCh38).
 *
 * Thread safety: reading is reentrant; a result is immutable once returned.
 */
#ifndef GN_PGX_VCF_H
#define GN_PGX_VCF_H

#include "err.h"
#include "pgx_def.h"
#include "pgx_match.h"

struct pgx_vcf; /* opaque */

/*
 * Reads path for sample (NULL: the first sample) at every position of defs. Returns owned
 * in *out; free with pgx_vcf_free(). Errors: GN_ENOTFOUND (file or sample), GN_EIO,
 * GN_EPARSE (htslib cannot read a record; the line is named), GN_EUNSUPPORTED (a GRCh37
 * header, or no samples), GN_ENOMEM.
 */
GN_MUST_CHECK int pgx_vcf_read(const char *path, const char *sample, const struct pgx_defs *defs,
                               struct pgx_vcf **out, struct gn_err *err);

/* The observations for defs->genes[gene] (gene->n_pos entries). Borrowed from v. */
const struct pgx_obs *pgx_vcf_obs(const struct pgx_vcf *v, uint32_t gene);

/* The sample name read (borrowed). */
const char *pgx_vcf_sample(const struct pgx_vcf *v);

void pgx_vcf_free(struct pgx_vcf *v);

#endif
