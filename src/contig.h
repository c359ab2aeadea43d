/*
 * contig.h — reference builds, contig naming and the build check.
 *
 * A store has one build (GRCh37 or GRCh38). Its contig names follow that build's usual
 * style: GRCh38 "chr1".."chr22", "chrX", "chrY", "chrM"; GRCh37 "1".."22", "X", "Y",
 * "MT". Input names in either style are normalised to the store's. The primary
 * assembly lengths of both builds are known, so a VCF whose header declares GRCh37
 * lengths is refused by a GRCh38 store (and vice versa) instead of silently mixing.
 *
 * Thread safety: pure functions over constant tables.
 */
#ifndef GN_CONTIG_H
#define GN_CONTIG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum contig_build { CONTIG_BUILD_GRCH37 = 37, CONTIG_BUILD_GRCH38 = 38 };

#define CONTIG_N_PRIMARY 25 /* 1..22, X, Y, M */
#define CONTIG_NAME_MAX  255

/* Parses "GRCh37"/"hg19"/"37" or "GRCh38"/"hg38"/"38". GN_EINVAL otherwise. */
GN_MUST_CHECK int contig_build_parse(const char *s, enum contig_build *b);
const char *contig_build_name(enum contig_build b);

/* Writes the store-style name of contig name[0..n) into out (CONTIG_NAME_MAX + 1 bytes).
 * Primary contigs get the build's style; others are kept as given. Returns the primary
 * index 0..24 for primary contigs, -1 for others, GN_EINVAL for an unusable name. */
int contig_normalise(enum contig_build b, const char *name, size_t n,
                     char out[CONTIG_NAME_MAX + 1]);
/* Length of primary contig idx (0..24) in build b. */
int64_t contig_primary_length(enum contig_build b, int idx);
/* Store-style name of primary contig idx. */
const char *contig_primary_name(enum contig_build b, int idx);

#endif
