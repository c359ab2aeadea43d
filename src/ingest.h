/*
 * ingest.h — loading VCF, VCF.gz, BCF and gVCF files into the store as one batch.
 *
 * A batch is all-or-nothing: every file is parsed and written to a new segment first,
 * then the catalog rows and the manifest are committed. Any error (malformed record,
 * duplicate sample, REF disagreeing with the store, unknown or wrong-build contig,
 * unsorted input) rejects the whole batch with a message naming file, line and reason,
 * and leaves the store as it was.
 *
 * Sample IDs are pseudonymised with the store's key before anything is written.
 * gVCF reference blocks are not stored as variants; they become callability intervals
 * so that AN stays right when batches were called separately.
 *
 * Thread safety: takes the store's writer lock; one ingest at a time per store.
 */
#ifndef GN_INGEST_H
#define GN_INGEST_H

#include <stdint.h>

#include "err.h"

struct ingest_progress {
    const char *file;
    uint64_t records;
    double elapsed;  /* seconds */
    double fraction; /* of the compressed file read, or -1 when unknown */
    int done;
};

struct ingest_opts {
    const char *batch; /* batch name, required */
    /* Sample manifest (samplesheet.h): every sample of the files must be in it and every
     * row in the files. National IDs, in the node's format (node_id_format), become person
     * pseudonyms; individuals, their first consent and dataset membership are recorded with the
     * samples. NULL: no manifest (samples are then known by pseudonym only, with no consent on
     * record). */
    const char *manifest;
    int threads; /* BGZF decompression threads (0: none; < 0: the CPUs beyond two, at most 4) */
    /* Called about once a second while reading, and once at the end of each file. */
    void (*progress)(void *ctx, const struct ingest_progress *p);
    void *progress_ctx;
};

struct ingest_result {
    uint32_t n_files;
    uint32_t n_samples;
    uint64_t n_records;
    uint64_t n_ref_blocks;
    uint64_t bytes_written;
};

GN_MUST_CHECK int ingest_run(const char *dir, const char *const *files, uint32_t n_files,
                             const struct ingest_opts *o, struct ingest_result *res,
                             struct gn_err *err);

/* Sample-manifest checks (samplesheet_opts callbacks), shared by every importer of a
 * manifest: consent is "clinical" or valid DUO use terms; the dataset exists in the catalog
 * (ctx: the struct catalog *), else GN_ENOTFOUND naming it. */
GN_MUST_CHECK int ingest_check_consent(void *ctx, const char *terms, struct gn_err *err);
GN_MUST_CHECK int ingest_check_dataset(void *ctx, const char *name, struct gn_err *err);

#endif
