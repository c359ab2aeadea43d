/*
 * gtstore.h — the genotype store: a directory of immutable segments and the manifest
 * that names the live ones.
 *
 *   DIR/MANIFEST          which segments are live, contigs, withdrawn samples (text,
 *                         CRC-32; docs/format/manifest.md), replaced atomically
 *   DIR/LOCK              flock()ed by the one writer
 *   DIR/segments/seg-N.gns  segments (docs/format/segment.md)
 *
 * Concurrency: one writer (gtstore_open_writer takes an exclusive lock) and any number
 * of readers, which never lock: a reader reads the manifest once and opens its
 * segments (gtsnap_open); the open file descriptors keep those segments readable even
 * if a compaction replaces and unlinks them meanwhile. A commit is the atomic rename of
 * a new manifest, so a reader sees the store before or after a commit, never between.
 * Crash safety follows: a writer killed at any point leaves at most an orphan segment
 * file, removed by the next writer.
 *
 * Samples are identified by global ids (uint32) handed out by the store; the store
 * knows nothing about people. Withdrawn samples are listed in the manifest and masked
 * out of every read at once; compaction then purges their genotypes.
 *
 * Ownership: open/new functions return owned objects, released by the matching
 * close/free (NULL is a no-op). Thread safety: a struct gtsnap is read-only and may be
 * shared; scans (struct gtscan) are per thread. A writer is used by one thread.
 */
#ifndef GN_GTSTORE_H
#define GN_GTSTORE_H

#include <stdint.h>

#include "contig.h"
#include "err.h"
#include "gtrec.h"
#include "segment.h"

#define GTSTORE_MANIFEST_VERSION 1
#define GTSTORE_MAX_SEGMENTS     65536
#define GTSTORE_MAX_CONTIGS      100000

struct gtstore_contig {
    char *name;
    int64_t length; /* 0 when unknown */
};

struct gtstore_segref {
    uint32_t id;
    uint32_t n_samples;
    uint64_t n_sites;
};

struct gtstore_manifest {
    enum contig_build build;
    uint64_t generation;
    uint32_t next_sample;
    uint32_t next_segment;
    uint32_t n_contigs;
    struct gtstore_contig *contig;
    uint32_t n_segments;
    struct gtstore_segref *seg;
    uint32_t n_deleted;
    uint32_t *deleted; /* sorted, unique global sample ids */
};

/* Creates DIR (and DIR/segments) with an empty manifest. GN_EEXIST if a store is there. */
GN_MUST_CHECK int gtstore_init(const char *dir, enum contig_build build, struct gn_err *err);
/* Reads DIR's manifest into m (owned; free with gtstore_manifest_free). */
GN_MUST_CHECK int gtstore_manifest_read(const char *dir, struct gtstore_manifest *m,
                                        struct gn_err *err);
void gtstore_manifest_free(struct gtstore_manifest *m);
/* Parses manifest text (untrusted; bounded). Exposed for the fuzz target. */
GN_MUST_CHECK int gtstore_manifest_parse(const char *p, size_t n, struct gtstore_manifest *m,
                                         struct gn_err *err);
/* Path of segment id in dir: "DIR/segments/seg-%08u.gns". */
GN_MUST_CHECK int gtstore_segment_path(char *buf, size_t cap, const char *dir, uint32_t id);
/* Contig id of a store-style name, or -1. */
int64_t gtstore_manifest_contig(const struct gtstore_manifest *m, const char *name);
int gtstore_manifest_is_deleted(const struct gtstore_manifest *m, uint32_t global_id);

/* ---- writer ---- */

struct gtstore;

/* Takes the writer lock (GN_EBUSY if held), loads the manifest and removes orphan
 * segment files a crashed writer left behind. */
GN_MUST_CHECK int gtstore_open_writer(struct gtstore **st, const char *dir, struct gn_err *err);
void gtstore_close(struct gtstore *st);
/* The writer's working copy of the manifest; edit it, then gtstore_commit(). */
struct gtstore_manifest *gtstore_manifest(struct gtstore *st);
const char *gtstore_dir(const struct gtstore *st);
/* Contig id for a store-style name; adds it to the working manifest when absent. */
GN_MUST_CHECK int gtstore_contig_intern(struct gtstore *st, const char *name, int64_t length,
                                        uint32_t *id, struct gn_err *err);
/* Adds a finished segment to the working manifest. */
GN_MUST_CHECK int gtstore_add_segment(struct gtstore *st, uint32_t id, uint32_t n_samples,
                                      uint64_t n_sites, struct gn_err *err);
/* Marks global sample ids withdrawn in the working manifest. */
GN_MUST_CHECK int gtstore_withdraw(struct gtstore *st, const uint32_t *ids, uint32_t n,
                                   struct gn_err *err);
/* Durably replaces the manifest with the working copy (generation + 1), after fsync()ing
 * DIR/segments so that every segment file it names is durable first. */
GN_MUST_CHECK int gtstore_commit(struct gtstore *st, struct gn_err *err);
/* fsync()s DIR/segments: after removing segment files, makes the removals durable. */
GN_MUST_CHECK int gtstore_sync_segments(struct gtstore *st, struct gn_err *err);
/* Merges all live segments into one, purging withdrawn samples, and commits. Readers
 * keep their snapshots. A crash leaves the previous state. */
GN_MUST_CHECK int gtstore_compact(struct gtstore *st, struct gn_err *err);

/* ---- readers ---- */

struct gtsnap {
    char *dir;
    struct gtstore_manifest man;
    uint32_t n_seg;
    struct segment **seg;
    uint64_t **live; /* per segment: local mask of non-withdrawn samples, or NULL if all */
    uint64_t n_live_samples;
};

/* Pins the current manifest and opens its segments. */
GN_MUST_CHECK int gtsnap_open(struct gtsnap **snap, const char *dir, struct gn_err *err);
void gtsnap_free(struct gtsnap *snap);

/* Per-segment local masks (out[i] owned, NULL meaning "all samples") for the global ids
 * in ids (any order; NULL ids means every live sample). Withdrawn samples are always
 * excluded. Free with gtsnap_masks_free. */
GN_MUST_CHECK int gtsnap_masks_new(const struct gtsnap *snap, const uint32_t *ids, uint32_t n,
                                   uint64_t ***out, struct gn_err *err);
void gtsnap_masks_free(const struct gtsnap *snap, uint64_t **masks);
/* Locates a global sample: segment index and local index; GN_ENOTFOUND if not live. */
GN_MUST_CHECK int gtsnap_find_sample(const struct gtsnap *snap, uint32_t global_id, uint32_t *seg,
                                     uint32_t *local);

/* ---- scans: all records of the snapshot in (contig, pos) order ---- */

struct gtscan_opts {
    uint32_t contig;              /* UINT32_MAX: every contig */
    int64_t start, end;           /* 1-based inclusive, within contig */
    const uint64_t *const *masks; /* per segment (NULL array: no masks) */
    const uint8_t *use_seg;       /* per segment 0/1 (NULL: all) */
    int decode;                   /* load payloads of every used segment */
    /* per segment, caller-provided block storage (segment_block_init'ed) that the scan
     * uses and leaves loaded, so that consecutive scans of one thread reuse buffers and
     * the block at a chunk boundary; NULL: the scan owns its blocks. Borrowed. */
    struct segment_block *blocks;
    int ac_only; /* masked counts need AC and AN only (segment_block.ac_only) */
};

/* One position: for each segment, the records [r0, r1) of block blk at this position
 * (r0 == r1 when the segment has none). */
struct gtscan_seg {
    struct segment_block *blk;
    uint32_t r0, r1;
};

struct gtscan_pos {
    uint32_t contig;
    int64_t pos;
    uint32_t n_seg;
    struct gtscan_seg *seg; /* borrowed from the scan; valid until the next call */
};

struct gtscan;

GN_MUST_CHECK int gtscan_new(const struct gtsnap *snap, const struct gtscan_opts *o,
                             struct gtscan **scan, struct gn_err *err);
/* Advances to the next position. Returns 1 and fills out, 0 at the end, < 0 on error. */
GN_MUST_CHECK int gtscan_next(struct gtscan *scan, struct gtscan_pos *out, struct gn_err *err);
void gtscan_free(struct gtscan *scan);

/* ---- merged records: the union of segments' records as one genotype matrix ---- */

struct gtmerge;

/* Iterates records of the region merged across segments, for the given samples (global
 * ids, output order; NULL: every live sample in segment order). Records with the same
 * position, REF and ALT list in several segments become one record; a sample whose
 * segment lacks a record is hom-ref where its gVCF said callable, else missing. */
GN_MUST_CHECK int gtmerge_new(const struct gtsnap *snap, uint32_t contig, int64_t start,
                              int64_t end, const uint32_t *ids, uint32_t n_ids, struct gtmerge **m,
                              struct gn_err *err);
/* 1 with a record in out, 0 at end, < 0 on error. */
GN_MUST_CHECK int gtmerge_next(struct gtmerge *m, struct gtrec *out, struct gn_err *err);
/* Global ids of the output samples, in output order (borrowed). */
const uint32_t *gtmerge_samples(const struct gtmerge *m, uint32_t *n);
void gtmerge_free(struct gtmerge *m);

#endif
