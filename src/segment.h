/*
 * segment.h — one immutable segment of the genotype store: its writer and its reader.
 *
 * A segment holds the genotypes of one ingest batch (or of a compaction's output):
 * its samples × its variant records. It is written once, front to back, by a
 * segment_writer, made durable by segment_writer_finish(), and never changed again.
 * The on-disk layout (magic, version, block index, per-block LZ4 or zstd compressed
 * sections with CRC-32, site encodings) is specified in docs/format/segment.md.
 *
 * Samples inside a segment are addressed by local index 0..n_samples-1; the segment
 * stores each one's global sample id (assigned by the store). Contigs are the store's
 * contig ids. Records are sorted by (contig, pos); a record is a VCF line with all its
 * ALT alleles, each ALT a "site" with its own precomputed AC, het and hom-alt counts.
 *
 * Sample masks are bitmaps of 64-bit words over local indices (bit i of word i/64).
 *
 * Ownership: segment_writer_open/segment_open return owned objects (free with
 * segment_writer_free/segment_close). struct segment_block is caller-provided storage
 * that segment_block_load fills and reuses; release with segment_block_free.
 *
 * Thread safety: a struct segment is read-only after open and may be shared by threads
 * that each use their own struct segment_block. A writer is used by one thread.
 */
#ifndef GN_SEGMENT_H
#define GN_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "gtrec.h"

#define SEGMENT_MAGIC            "GNSEG\r\n\032"
#define SEGMENT_VERSION          4  /* written; versions 1 to 4 are read */
#define SEGMENT_FLAG_CALLABILITY 1u /* the callability section is present */
#define SEGMENT_FLAG_PHASESETS   2u /* the phase-set section is present (version 4) */

/* How the writer compresses blocks (each block records its own; readers take both).
 * LZ4 is the default: it decompresses 3-4x faster than zstd, which is what a sub-cohort
 * scan spent most of its time on, for segments about 35% larger. */
#define SEGMENT_CODEC_LZ4  1
#define SEGMENT_CODEC_ZSTD 2

/* Caps that bound what a reader accepts from a file (untrusted bytes). */
#define SEGMENT_MAX_SAMPLES     (1u << 26)
#define SEGMENT_MAX_BLOCK_BYTES (1u << 30)
#define SEGMENT_MAX_PHASE_SET   ((uint64_t)INT32_MAX + 1) /* PS is a 32-bit VCF integer */

struct segment_writer_opts {
    uint32_t n_samples;
    const uint32_t *sample_ids; /* borrowed; global ids, n_samples of them */
    int codec;                  /* SEGMENT_CODEC_*; 0 means the default (LZ4) */
    int zstd_level;             /* with SEGMENT_CODEC_ZSTD; 0 means the default (3) */
    uint32_t flags;             /* SEGMENT_FLAG_* */
};

struct segment_writer;

/* Creates path (which must not exist) and prepares to write. */
GN_MUST_CHECK int segment_writer_open(struct segment_writer **w, const char *path,
                                      const struct segment_writer_opts *o, struct gn_err *err);
/* Appends a record. Records must come sorted by pos within a contig, and each contig in
 * one run. r->n_samples must equal the writer's. GN_EINVAL names the problem otherwise. */
GN_MUST_CHECK int segment_writer_add(struct segment_writer *w, const struct gtrec *r,
                                     struct gn_err *err);
/* Declares that sample (local index) was called, hom-ref unless a record says otherwise,
 * over contig:start-end (1-based, inclusive), as a gVCF reference block says. Intervals of
 * one sample must come in (contig, start) order; adjacent ones are merged. */
GN_MUST_CHECK int segment_writer_add_callable(struct segment_writer *w, uint32_t sample,
                                              uint32_t contig, int64_t start, int64_t end,
                                              struct gn_err *err);
/* Declares that from contig:pos on (1-based), the phased genotypes of sample (local index)
 * on that contig are in phase set `set` (a VCF FORMAT/PS value + 1; 0 is the default set,
 * phased calls without PS), until its next change point on the contig. Each contig starts
 * in set 0. Points of one sample must come in position order within a contig, a contig in
 * one run; a second point at the same position replaces the first. Needs
 * SEGMENT_FLAG_PHASESETS; set is at most SEGMENT_MAX_PHASE_SET. */
GN_MUST_CHECK int segment_writer_add_phase_set(struct segment_writer *w, uint32_t sample,
                                               uint32_t contig, int64_t pos, uint64_t set,
                                               struct gn_err *err);
/* Writes index and header and fsyncs the file. After this the segment is complete. */
GN_MUST_CHECK int segment_writer_finish(struct segment_writer *w, struct gn_err *err);
/* Frees the writer; removes the file unless finish succeeded. NULL is a no-op. */
void segment_writer_free(struct segment_writer *w);
/* Bytes of the file once finished. */
uint64_t segment_file_bytes_of(const struct segment_writer *w);
/* ALT sites written so far (one per ALT of each record; the header's n_sites). */
uint64_t segment_writer_n_sites(const struct segment_writer *w);

/* ---- reader ---- */

struct segment;

struct segment_block_info {
    uint32_t contig;
    uint32_t n_records;
    uint32_t n_sites;
    int64_t first_pos;
    int64_t last_pos;
};

struct segment_site {
    const char *alt; /* points into the block's table (not NUL-terminated) */
    uint32_t alt_len;
    uint32_t ac, het, hom; /* over all samples of the segment */
    uint32_t payload_off, payload_len;
};

struct segment_record {
    int64_t pos;
    const char *ref; /* not NUL-terminated */
    uint32_t ref_len;
    uint32_t n_alt;
    uint32_t first_site; /* index into block->site */
    uint32_t an;         /* called alleles over all samples */
    uint32_t shared_off, shared_len;
};

struct segment_block {
    uint32_t index; /* which block is loaded; UINT32_MAX when none */
    uint32_t contig;
    uint32_t n_records, n_sites;
    struct segment_record *rec;
    struct segment_site *site;
    int has_payload;
    /* private decode storage, reused across loads */
    uint8_t *table, *payload, *comp;
    size_t table_cap, payload_cap, comp_cap, payload_len;
    uint32_t rec_cap, site_cap;
    uint64_t *scratch; /* one bitmap of n_samples bits */
    uint32_t scratch_words;
    const uint64_t *mask; /* set by segment_block_set_mask; NULL means all samples */
    uint32_t mask_pop;
    /* Set by the caller: masked counts need AC and AN only, so het and hom of sites in a
     * haplotype tile are left 0 (counting them costs a pass over the cohort per site). */
    int ac_only;
    /* the block's haplotype tile (docs/format/segment.md), when it has one */
    uint32_t tile_len, tile_cols, tile_npat, tile_idb, tile_pw;
    const uint8_t *tile_pat, *tile_ids; /* into payload */
    uint32_t *tile_ac, *tile_hist;      /* AC per tile column under the mask, cached */
    uint32_t tile_ac_cap, tile_hist_cap;
    int tile_ac_ok;
};

struct segment_stats {
    uint32_t ac, an, het, hom;
};

/* Opens and validates header, sample table, index, callability and phase sets (checksums,
 * bounds, order). */
GN_MUST_CHECK int segment_open(struct segment **s, const char *path, struct gn_err *err);
void segment_close(struct segment *s);

const char *segment_path(const struct segment *s);
uint32_t segment_n_samples(const struct segment *s);
const uint32_t *segment_sample_ids(const struct segment *s); /* borrowed */
uint64_t segment_n_records(const struct segment *s);
uint64_t segment_n_sites(const struct segment *s);
uint64_t segment_file_bytes(const struct segment *s);
uint32_t segment_n_blocks(const struct segment *s);
const struct segment_block_info *segment_block_info(const struct segment *s, uint32_t i);
/* Index of the first block of contig whose last_pos >= pos (n_blocks when none). */
uint32_t segment_find_block(const struct segment *s, uint32_t contig, int64_t pos);
/* Local index of a global sample id, or -1. */
int64_t segment_local_index(const struct segment *s, uint32_t global_id);
int segment_has_callability(const struct segment *s);
/* 1 when the segment has a phase-set section (version 4 written with one). */
int segment_has_phase_sets(const struct segment *s);

void segment_block_init(struct segment_block *b);
void segment_block_free(struct segment_block *b);
/* Loads block i; with need_payload also the genotype payload. Checks CRCs and bounds:
 * GN_ECORRUPT names the file and block. */
GN_MUST_CHECK int segment_block_load(const struct segment *s, uint32_t i, struct segment_block *b,
                                     int need_payload, struct gn_err *err);

/* Sets the sample mask (borrowed; ceil(n_samples/64) words, bits past n_samples zero) that
 * segment_site_stats counts over; NULL means every sample. Call again whenever the mask's
 * content changes: its population count is cached here. */
void segment_block_set_mask(struct segment_block *b, const struct segment *s, const uint64_t *mask);
/* Counts of one site (index into b->site) of record rec over the block's mask. The block
 * must hold payload when a mask is set. */
GN_MUST_CHECK int segment_site_stats(const struct segment *s, struct segment_block *b, uint32_t rec,
                                     uint32_t site, struct segment_stats *out, struct gn_err *err);
/* Decodes all genotypes of record rec into out (contig, pos, alleles, al, phased). */
GN_MUST_CHECK int segment_record_decode(const struct segment *s, struct segment_block *b,
                                        uint32_t rec, struct gtrec *out, struct gn_err *err);
/* As segment_record_decode, for the n_local samples at the sorted, distinct local indices
 * only (local NULL: all n_local = n_samples): out holds n_local samples in that order. Costs what
 * the record's lists cost, not the segment's size (one person's genotypes out of 10^5). */
GN_MUST_CHECK int segment_record_decode_subset(const struct segment *s, struct segment_block *b,
                                               uint32_t rec, const uint32_t *local,
                                               uint32_t n_local, struct gtrec *out,
                                               struct gn_err *err);
/* Number of samples in mask (NULL: all) that a gVCF declared callable at contig:pos.
 * Samples without callability information count as not called. */
uint32_t segment_callable_count(const struct segment *s, uint32_t contig, int64_t pos,
                                const uint64_t *mask);
struct segment_interval {
    uint32_t contig;
    int64_t start, end; /* 1-based, inclusive */
};
/* The callable intervals of a local sample (borrowed; sorted); returns how many. */
uint64_t segment_callable_intervals(const struct segment *s, uint32_t sample,
                                    const struct segment_interval **iv);
/* 1 when local sample is callable at contig:pos. */
int segment_sample_callable(const struct segment *s, uint32_t sample, uint32_t contig, int64_t pos);

/* A phase-set change point: from contig:pos on, the sample's phased calls on the contig are
 * in phase set `set` (VCF PS + 1; 0 the default set of phased calls without PS). */
struct segment_phase_change {
    uint32_t contig;
    int64_t pos;
    uint64_t set;
};
/* The phase-set change points of a local sample (borrowed; sorted by (contig, pos), strictly);
 * returns how many (0 without a phase-set section). */
uint64_t segment_phase_changes(const struct segment *s, uint32_t sample,
                               const struct segment_phase_change **pc);
/* The phase set in force for local sample at contig:pos: that of its last change point on
 * contig at or before pos; 0 (the default set) when there is none or no section. */
uint64_t segment_phase_set(const struct segment *s, uint32_t sample, uint32_t contig, int64_t pos);

#endif
