/*
 * gtrec.h — one variant record with every sample's genotype, in memory.
 *
 * This is the currency between ingest (VCF → record), the segment writer and reader,
 * and export (record → VCF). A record is one VCF line after normalisation: a contig id
 * of the store, a 1-based position, a REF and n_alt ALT alleles, and for each sample two
 * allele slots and a phase flag.
 *
 * Allele slots hold 0 (REF), 1..n_alt, GTREC_MISSING (a '.' call) or GTREC_NONE (no
 * such slot: the second slot of a haploid call). A sample's ploidy is 2 unless al[2i+1]
 * is GTREC_NONE. Ploidy above 2 is refused at ingest.
 *
 * Ownership: a struct gtrec owns its arrays; reuse one per reader (gtrec_reserve keeps
 * capacity) and release with gtrec_free(). Thread safety: one thread at a time.
 */
#ifndef GN_GTREC_H
#define GN_GTREC_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define GTREC_MISSING        (-1)
#define GTREC_NONE           (-2)
#define GTREC_MAX_ALT        1024  /* alleles per record; more is refused */
#define GTREC_MAX_ALLELE_LEN 65535 /* bytes in one allele string */

struct gtrec {
    uint32_t contig;
    int64_t pos; /* 1-based */
    uint32_t n_alt;
    uint32_t n_samples;
    char *ref;  /* NUL-terminated, points into str */
    char **alt; /* n_alt pointers into str */
    /* Per sample, 2 slots; phased[i] is 1 when sample i's call is phased. */
    int16_t *al;
    uint8_t *phased;
    /* Optional compact form, set by ingest's fast path for the segment writer: when not
     * NULL, al and phased are not filled and gt8 holds per sample two BCF int8 GT values
     * ((allele + 1) << 1 | phased bit), each an allele index 0..n_alt or missing (0 or 1):
     * diploid, no symbolic allele. Borrowed; only segment_writer_add reads it. */
    const uint8_t *gt8;
    /* private storage */
    char *str;
    size_t str_cap;
    uint32_t alt_cap;
    uint32_t sample_cap;
};

void gtrec_init(struct gtrec *r);
void gtrec_free(struct gtrec *r);
/* Makes room for n_samples samples (arrays are not cleared). */
GN_MUST_CHECK int gtrec_reserve(struct gtrec *r, uint32_t n_samples);
/* Sets REF and the ALT list (copies the strings). GN_ELIMIT past GTREC_MAX_ALT. */
GN_MUST_CHECK int gtrec_set_alleles(struct gtrec *r, const char *ref, size_t ref_len,
                                    const char *const *alt, const size_t *alt_len, uint32_t n_alt);

#endif
