/*
 * generegion.h — gene regions from a BED file, and one sample's rare variants in them.
 *
 * The project ships no genome-wide gene annotation, so `genomenode rank DIR --sample ID`
 * takes the regions of the genes to look at as BED (chrom, 0-based start, end, gene
 * symbol; further columns ignored; '#', 'track' and 'browser' lines and blank lines
 * skipped). Contig names are normalised to the store's build (contig_normalise).
 *
 * generegion_sample_scan reads one sample's genotypes in every region (gtmerge, only that
 * sample decoded) and reports each non-reference allele it carries whose frequency in the
 * node's own population (AC/AN over every live sample, query_count without a mask: the
 * precomputed counts) is below max_af. The caller decides access (policy) and audits.
 *
 * Ownership: a set owns its rows and strings; free with generegion_free().
 * Thread safety: a set is read-only after parsing and may be shared.
 */
#ifndef GN_GENEREGION_H
#define GN_GENEREGION_H

#include <stddef.h>
#include <stdint.h>

#include "contig.h"
#include "err.h"
#include "gtstore.h"

#define GENEREGION_MAX_BYTES   (64u << 20) /* a BED file larger than this is refused */
#define GENEREGION_MAX_ROWS    1000000u
#define GENEREGION_MAX_SYMBOL  64u   /* bytes of a gene symbol */
#define GENEREGION_MAX_VARIANT 1000u /* variant alleles reported per scan; more is an error */

struct generegion {
    const char *chrom; /* store-style name */
    int64_t start;     /* 0-based, inclusive */
    int64_t end;       /* exclusive */
    const char *gene;
    uint32_t line; /* line of the file, for messages */
};

struct generegion_set {
    struct generegion *r;
    uint32_t n;
    char *str; /* storage of the strings */
};

/* Parses BED text; name (the file's) is used in messages: "NAME:LINE: ...". */
GN_MUST_CHECK int generegion_parse(const char *text, size_t n, const char *name,
                                   enum contig_build b, struct generegion_set **out,
                                   struct gn_err *err);
/* Reads and parses a BED file (at most GENEREGION_MAX_BYTES). */
GN_MUST_CHECK int generegion_load(const char *path, enum contig_build b,
                                  struct generegion_set **out, struct gn_err *err);
void generegion_free(struct generegion_set *s);

/* One rare allele the sample carries in a gene's region (strings borrowed for the call). */
struct generegion_hit {
    const char *gene;
    const char *chrom;
    int64_t pos;
    const char *ref, *alt;
    const char *genotype; /* the sample's call, VCF style: "0/1", "1|1", "1" */
    uint32_t ac, an;      /* the node's population counts of the allele */
    uint32_t own;         /* the sample's own copies of the allele (1 or 2), within ac */
};

/* Calls hit() for each rare non-reference allele of sample gid (a global id) in every
 * region, in the file's region order then position order; *n_records counts the records
 * read where the sample carries a non-reference allele. A non-zero return of hit() stops
 * the scan and is returned. Regions on contigs the store lacks are skipped. */
GN_MUST_CHECK int generegion_sample_scan(const struct gtsnap *snap, const struct generegion_set *s,
                                         uint32_t gid, double max_af,
                                         int (*hit)(void *ctx, const struct generegion_hit *h),
                                         void *ctx, uint64_t *n_records, struct gn_err *err);

#endif
