/*
 * query.h — the read side of the store: counts, frequencies, one sample's genotypes and
 * export, over a pinned snapshot.
 *
 * Counts are per ALT allele (multi-allelic records split, keeping REF and each ALT as
 * given, like `bcftools norm -m-`). AN counts called alleles of the selected samples;
 * samples of a batch without the site count only where their gVCF declared the position
 * callable. Withdrawn samples never count.
 *
 * Ownership: callers own snapshots, masks and output handles; rows passed to callbacks
 * are borrowed for the duration of the call. Thread safety: one query per thread; a
 * snapshot may be shared.
 */
#ifndef GN_QUERY_H
#define GN_QUERY_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "gtstore.h"

struct query_row {
    const char *chrom;
    int64_t pos;
    const char *ref;
    uint32_t ref_len;
    const char *alt;
    uint32_t alt_len;
    uint32_t ac, an, het, hom;
};

/* Calls row() for every ALT allele in [start, end] of contig (UINT32_MAX: all), in
 * position order then as ingested. masks: per segment (NULL: every live sample). A
 * non-zero return from row() stops the scan and is returned. */
GN_MUST_CHECK int query_freq(const struct gtsnap *snap, uint32_t contig, int64_t start, int64_t end,
                             uint64_t *const *masks,
                             int (*row)(void *ctx, const struct query_row *r), void *ctx,
                             struct gn_err *err);

/* flags of query_freq_par: rows need AC and AN only (het and hom may be left 0) */
#define QUERY_AC_AN_ONLY 1u

/* Formats one row: appends its text to b. Called on scanning threads, concurrently, so
 * it may only read ctx. 0, or a negative GN_* code that stops the scan. */
typedef int query_fmt_fn(const void *ctx, struct gn_buf *b, const struct query_row *r);
/* Writes len bytes of formatted rows, in genome order, on the calling thread. 0, or
 * non-zero to stop (reported as GN_EIO). */
typedef int query_out_fn(void *ctx, const void *data, size_t len);

/* As query_freq, scanning on up to threads threads (chunks of the genome): rows are
 * formatted by fmt on the scanning threads and their text handed to out in order on the
 * calling thread; *n_rows counts them. threads < 2 scans on the calling thread. flags:
 * QUERY_* (0: rows as query_freq gives them). */
GN_MUST_CHECK int query_freq_par(const struct gtsnap *snap, uint32_t contig, int64_t start,
                                 int64_t end, uint64_t *const *masks, unsigned threads,
                                 unsigned flags, query_fmt_fn *fmt, const void *fctx,
                                 query_out_fn *out, void *octx, uint64_t *n_rows,
                                 struct gn_err *err);

/* Counts one variant. GN_OK with zero counts (and AN from callability) when absent. */
GN_MUST_CHECK int query_count(const struct gtsnap *snap, uint32_t contig, int64_t pos,
                              const char *ref, const char *alt, uint64_t *const *masks,
                              struct query_row *out, int *found, struct gn_err *err);

/* Writes records of the region as VCF/BCF to path ("-" for stdout; format from fmt:
 * "w" VCF, "wz" VCF.gz, "wb" BCF) for the samples ids (NULL: all live), named by names
 * (n_ids strings, or all live samples'). With nonref_only, records where none of the
 * samples carries an ALT are skipped. */
struct query_export_opts {
    uint32_t contig;
    int64_t start, end;
    const uint32_t *ids;
    uint32_t n_ids;
    const char *const *names; /* pseudonyms for the output samples, in output order */
    const char *path;
    const char *mode;
    int nonref_only;
};
GN_MUST_CHECK int query_export(const struct gtsnap *snap, const struct query_export_opts *o,
                               uint64_t *n_written, struct gn_err *err);

#endif
