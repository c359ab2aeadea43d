/*
 * segment.c — writer and reader of immutable genotype segments.
 *
 * Layout (docs/format/segment.md is the specification):
 *
 *   header (128 bytes, CRC-32)  | blocks ... | sample table | callability | phase sets |
 *   block index
 *
 * Each block holds whole records of one contig and is two compressed sections (LZ4
 * blocks, or zstd frames; the index says which), each with the CRC-32 of its compressed
 * bytes in the index:
 *
 *   - the record table: positions, alleles, per-site AC/het/hom and per-record AN, and
 *     the length of every payload piece. Whole-population counts read only this frame.
 *   - the payload: the block's haplotype tile (common sites, below), then per record a
 *     "shared" piece (missing calls, haploid samples, phase exceptions) then one piece per
 *     ALT site holding which haplotypes carry that ALT, either as a sparse carrier list,
 *     as two dense bitplanes (hap 0, hap 1), or as a column of the tile.
 *
 * The tile stores the block's common sites by haplotype: each distinct pattern of alleles
 * over those sites once, and per haplotype the number of its pattern. Haplotypes of a
 * population repeat over the span of a block (linkage disequilibrium), so this is far
 * smaller than bitplanes at scale (8x on 100,000 synthetic genomes), and a sub-cohort's
 * counts are a histogram of its haplotypes over patterns plus one sum per pattern. The
 * writer keeps a tile only when it is the smaller encoding.
 *
 * Why this shape: population WGS is dominated by rare variants (a handful of carriers,
 * a few bytes each as delta-coded varints) and hom-ref calls (which cost nothing); the
 * few common variants are dense and best served by bitplanes. Keeping hap 0 and hap 1
 * planes separate rather than "carrier/hom" planes keeps the allele order of each call
 * (0|1 vs 1|0), which phasing and faithful export need, at the same counting cost.
 * Blocks are capped at BLOCK_PAYLOAD_TARGET bytes of raw payload so that a point
 * lookup decompresses tens of kilobytes, not megabytes.
 *
 * Invariants checked by the writer: records sorted by position within a contig, each
 * contig in one run, alleles within GTREC limits, at most one ALT per haplotype.
 * Everything read back is bounds-checked; a failure is GN_ECORRUPT naming file and block.
 */
#include "segment.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <lz4.h>
#include <lz4hc.h>
#include <zstd.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "alloc.h"
#include "buf.h"
#include "fsutil.h"

#define HEADER_BYTES      128
#define INDEX_ENTRY_BYTES 64
/* Codec of a block, in its index entry (version 3; earlier versions are zstd). */
#define BLOCK_ZSTD           0
#define BLOCK_LZ4            1
#define LZ4_HC_LEVEL         3 /* decodes as fast as higher levels; ingest pays least */
#define BLOCK_PAYLOAD_TARGET ((size_t)48 * 1024)
#define BLOCK_MAX_RECORDS    512
#define BUF_MAX              ((size_t)1 << 31)

#define SHARED_MISSING   1u
#define SHARED_HAPLOID   2u
#define SHARED_PHASED    4u
#define SHARED_PHASE_EXC 8u

#define SITE_SPARSE 0
#define SITE_DENSE  1
#define SITE_TILED  2

#define TILE_MAX_COLS     512 /* sites in one block's tile */
#define TILE_HEADER_BYTES 16

static uint32_t crc(const void *p, size_t n)
{
    return (uint32_t)crc32(0L, (const Bytef *)p, (uInt)n);
}

static size_t plane_bytes(uint32_t n_samples)
{
    return ((size_t)n_samples + 63) / 64 * 8;
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8); /* planes are little-endian words; x86-64 and arm64 are LE */
    return v;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------------------------ */
/* Writer                                                                                */
/* ------------------------------------------------------------------------------------ */

struct callable {
    struct segment_interval *iv;
    uint32_t n, cap;
};

/* One sample's phase-set change points, in the order added (sorted at finish). */
struct phaselist {
    struct segment_phase_change *v;
    uint32_t n, cap;
};

/* One record of the open block, kept until the block is flushed (the record table is
 * written then, when every site's piece length is known). Offsets are into w->strs
 * (REF, ALT strings) and w->pieces (encoded shared pieces and non-candidate sites). */
struct wrec {
    int64_t pos;
    uint32_t ref_off, ref_len, an, shared_off, shared_len, n_alt;
};

struct wsite {
    uint32_t alt_off, alt_len, ac, het, hom;
    uint32_t piece_off, piece_len; /* in w->pieces; unused for candidates */
    int32_t cand;                  /* index of its planes in w->planes, or -1 */
};

struct segment_writer {
    char *path;
    int fd;
    int finished;
    uint32_t n_samples;
    uint32_t *sample_ids;
    int level;
    uint32_t codec; /* BLOCK_* */
    uint32_t flags;
    uint64_t off; /* next write offset */
    uint64_t n_records, n_sites;
    /* current block */
    int blk_open;
    uint32_t blk_contig, blk_records, blk_sites;
    int64_t blk_first, blk_last;
    struct wrec *rec;
    struct wsite *site;
    uint32_t rec_cap, site_cap;
    struct gn_buf strs, pieces;
    uint64_t *planes; /* candidate sites: hap-0 then hap-1 plane, words() words each */
    uint32_t n_cand, planes_cap;
    uint64_t *miss0, *miss1, *hapl; /* planes of the record being added */
    /* tile construction (flush_block) */
    uint64_t *pat;  /* 2n patterns of tile_pw words */
    uint32_t *hid;  /* pattern of each haplotype */
    uint32_t *rep;  /* a haplotype showing each pattern */
    uint32_t *htab; /* open-addressing hash of patterns (index + 1, 0 empty) */
    size_t pat_cap;
    struct gn_buf table, payload, comp, index, tmp;
    /* contig runs seen, to refuse a contig split in two runs */
    uint8_t *contig_seen;
    uint32_t contig_seen_cap;
    int have_contig;
    uint32_t cur_contig;
    int64_t cur_pos;
    uint32_t n_blocks;
    ZSTD_CCtx *cctx;
    void *lz4hc; /* LZ4 HC state, LZ4_sizeofStateHC() bytes: allocated per call otherwise */
    struct callable *call;   /* per sample, when SEGMENT_FLAG_CALLABILITY */
    struct phaselist *phase; /* per sample, when SEGMENT_FLAG_PHASESETS */
};

static size_t words_of(uint32_t n)
{
    return ((size_t)n + 63) / 64;
}

/* Sites carrying at least this many alleles are tile candidates: rarer ones are cheaper
 * as carrier lists whatever the haplotype structure. */
static uint32_t cand_min(uint32_t n)
{
    uint32_t m = (uint32_t)((2 * (uint64_t)n) / 256);
    return m < 8 ? 8 : m;
}

int segment_writer_open(struct segment_writer **out, const char *path,
                        const struct segment_writer_opts *o, struct gn_err *err)
{
    struct segment_writer *w = NULL;
    uint8_t zero[HEADER_BYTES] = {0};
    int rc;

    *out = NULL;
    if (o->n_samples == 0 || o->n_samples > SEGMENT_MAX_SAMPLES) {
        return gn_errf(err, GN_EINVAL, "%s: a segment needs 1..%u samples, got %u", path,
                       SEGMENT_MAX_SAMPLES, o->n_samples);
    }
    w = gn_calloc(1, sizeof *w);
    if (!w) return gn_errf(err, GN_ENOMEM, "out of memory");
    w->fd = -1;
    gn_buf_init(&w->table, BUF_MAX);
    gn_buf_init(&w->payload, BUF_MAX);
    gn_buf_init(&w->comp, BUF_MAX);
    gn_buf_init(&w->index, BUF_MAX);
    gn_buf_init(&w->tmp, BUF_MAX);
    gn_buf_init(&w->strs, BUF_MAX);
    gn_buf_init(&w->pieces, BUF_MAX);
    w->path = gn_strdup(path);
    w->sample_ids = gn_reallocarray(NULL, o->n_samples, sizeof *w->sample_ids);
    w->miss0 = gn_calloc(3 * words_of(o->n_samples), sizeof *w->miss0);
    w->cctx = ZSTD_createCCtx();
    w->lz4hc = gn_malloc((size_t)LZ4_sizeofStateHC());
    if (!w->path || !w->sample_ids || !w->miss0 || !w->cctx || !w->lz4hc) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto fail;
    }
    w->miss1 = w->miss0 + words_of(o->n_samples);
    w->hapl = w->miss1 + words_of(o->n_samples);
    memcpy(w->sample_ids, o->sample_ids, (size_t)o->n_samples * sizeof *w->sample_ids);
    w->n_samples = o->n_samples;
    w->level = o->zstd_level ? o->zstd_level : 3;
    if (o->codec != 0 && o->codec != SEGMENT_CODEC_LZ4 && o->codec != SEGMENT_CODEC_ZSTD) {
        rc = gn_errf(err, GN_EINVAL, "%s: unknown segment codec %d", path, o->codec);
        goto fail;
    }
    w->codec = o->codec == SEGMENT_CODEC_ZSTD ? BLOCK_ZSTD : BLOCK_LZ4;
    w->flags = o->flags;
    if (w->flags & SEGMENT_FLAG_CALLABILITY) {
        w->call = gn_calloc(o->n_samples, sizeof *w->call);
        if (!w->call) {
            rc = gn_errf(err, GN_ENOMEM, "out of memory");
            goto fail;
        }
    }
    if (w->flags & SEGMENT_FLAG_PHASESETS) {
        w->phase = gn_calloc(o->n_samples, sizeof *w->phase);
        if (!w->phase) {
            rc = gn_errf(err, GN_ENOMEM, "out of memory");
            goto fail;
        }
    }
    w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (w->fd < 0) {
        rc = gn_errf(err, gn_err_from_errno(errno), "%s: %s", path, strerror(errno));
        goto fail;
    }
    /* Placeholder header: a crash before finish leaves a file that fails its header CRC. */
    if ((rc = fsutil_write_full(w->fd, zero, sizeof zero, path, err)) < 0) goto fail;
    w->off = HEADER_BYTES;
    *out = w;
    return GN_OK;
fail:
    segment_writer_free(w);
    return rc;
}

uint64_t segment_writer_n_sites(const struct segment_writer *w)
{
    return w->n_sites;
}
uint64_t segment_file_bytes_of(const struct segment_writer *w)
{
    return w ? w->off : 0;
}

/* ---- bit planes ---- */

/* Popcount over planes, built with the POPCNT instruction where the CPU has it (chosen at
 * run time; Debian's x86-64 baseline lacks it and the libgcc fallback costs a call per
 * word) and portably otherwise. */
#define PLANE_COUNTS_BODY                                                                          \
    for (size_t i = 0; i < nw; i++) {                                                              \
        uint64_t a = h0[i], c = h1[i];                                                             \
        ac += (uint64_t)(__builtin_popcountll(a) + __builtin_popcountll(c));                       \
        hom += (uint64_t)__builtin_popcountll(a & c);                                              \
        car += (uint64_t)__builtin_popcountll(a | c);                                              \
        if (odd)                                                                                   \
            hom += (uint64_t)(__builtin_popcountll(a & (hapl[i] | miss1[i])) +                     \
                              __builtin_popcountll(c & miss0[i]));                                 \
    }

struct plane_counts {
    uint64_t ac, hom, car; /* car: samples carrying the allele at least once */
};

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("popcnt"))) static void
plane_counts_popcnt(const uint64_t *h0, const uint64_t *h1, const uint64_t *miss0,
                    const uint64_t *miss1, const uint64_t *hapl, int odd, size_t nw,
                    struct plane_counts *o)
{
    uint64_t ac = 0, hom = 0, car = 0;
    PLANE_COUNTS_BODY
    *o = (struct plane_counts){ac, hom, car};
}
#endif

static void plane_counts_portable(const uint64_t *h0, const uint64_t *h1, const uint64_t *miss0,
                                  const uint64_t *miss1, const uint64_t *hapl, int odd, size_t nw,
                                  struct plane_counts *o)
{
    uint64_t ac = 0, hom = 0, car = 0;
    PLANE_COUNTS_BODY
    *o = (struct plane_counts){ac, hom, car};
}

static int have_popcnt(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int have = -1; /* benign race: every thread computes the same value */
    if (have < 0) have = __builtin_cpu_supports("popcnt") ? 1 : 0;
    return have;
#else
    return 0;
#endif
}

/* AC, hom-alt and carrier counts of one allele from its planes. hom counts a sample with
 * the allele on both haplotypes, or on one with the other absent (haploid) or missing. */
static void plane_counts(const struct segment_writer *w, const uint64_t *h0, const uint64_t *h1,
                         int odd, struct plane_counts *o)
{
    size_t nw = words_of(w->n_samples);
#if defined(__x86_64__) && defined(__GNUC__)
    if (have_popcnt()) {
        plane_counts_popcnt(h0, h1, w->miss0, w->miss1, w->hapl, odd, nw, o);
        return;
    }
#endif
    plane_counts_portable(h0, h1, w->miss0, w->miss1, w->hapl, odd, nw, o);
}

/* Planes of allele k over samples [from, n): bit i of h0 (h1) set when hap 0 (hap 1) of
 * sample i carries k. from is a multiple of 64. */
static void build_planes_portable(const struct gtrec *r, int16_t k, uint64_t *h0, uint64_t *h1,
                                  uint32_t from)
{
    uint32_t n = r->n_samples;
    const int16_t *al = r->al;
    for (uint32_t wd = from / 64; (size_t)wd * 64 < n; wd++) {
        uint64_t v0 = 0, v1 = 0;
        for (uint32_t i = wd * 64, j = 0; j < 64 && i < n; i++, j++) {
            v0 |= (uint64_t)(al[2 * (size_t)i] == k) << j;
            v1 |= (uint64_t)(al[2 * (size_t)i + 1] == k) << j;
        }
        h0[wd] = v0;
        h1[wd] = v1;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
/* 16 samples (32 alleles) at a time: compare, pack to bytes in allele order, split even
 * (hap 0) from odd (hap 1) bytes, and one movemask gives both planes' 16 bits. */
__attribute__((target("avx2"))) static void build_planes_avx2(const struct gtrec *r, int16_t k,
                                                              uint64_t *h0, uint64_t *h1)
{
    uint32_t n = r->n_samples, full = n / 64;
    const __m256i kk = _mm256_set1_epi16(k);
    const __m256i split = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15, 0,
                                           2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    for (uint32_t wd = 0; wd < full; wd++) {
        const int16_t *a = r->al + (size_t)128 * wd;
        uint64_t v0 = 0, v1 = 0;
        for (int q = 0; q < 4; q++, a += 32) {
            __m256i c0 =
                _mm256_cmpeq_epi16(_mm256_loadu_si256((const __m256i *)(const void *)a), kk);
            __m256i c1 =
                _mm256_cmpeq_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(a + 16)), kk);
            __m256i p = _mm256_permute4x64_epi64(_mm256_packs_epi16(c0, c1), 0xD8);
            p = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(p, split), 0xD8);
            uint32_t m = (uint32_t)_mm256_movemask_epi8(p);
            v0 |= (uint64_t)(m & 0xffffu) << (16 * q);
            v1 |= (uint64_t)(m >> 16) << (16 * q);
        }
        h0[wd] = v0;
        h1[wd] = v1;
    }
    build_planes_portable(r, k, h0, h1, full * 64);
}
#endif

static void build_planes(const struct gtrec *r, int16_t k, uint64_t *h0, uint64_t *h1)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int have = -1; /* benign race: every thread computes the same value */
    if (have < 0) have = __builtin_cpu_supports("avx2") ? 1 : 0;
    if (have) {
        build_planes_avx2(r, k, h0, h1);
        return;
    }
#endif
    build_planes_portable(r, k, h0, h1, 0);
}

/* Appends (delta << 2 | code) for an increasing index list; prev starts at -1. */
static int put_coded(struct gn_buf *b, int64_t *prev, uint32_t idx, unsigned code)
{
    uint64_t d = (uint64_t)((int64_t)idx - *prev);
    *prev = idx;
    return gn_buf_put_varint(b, d << 2 | code);
}

static int put_delta(struct gn_buf *b, int64_t *prev, uint32_t idx)
{
    uint64_t d = (uint64_t)((int64_t)idx - *prev);
    *prev = idx;
    return gn_buf_put_varint(b, d);
}

/* A site piece from its planes: the carrier list or the two planes, whichever is smaller.
 * car is the number of carrier samples (plane_counts). */
static int put_site_planes(struct gn_buf *b, uint32_t n, const uint64_t *h0, const uint64_t *h1,
                           uint64_t car)
{
    size_t nw = words_of(n), pb = plane_bytes(n), dense = 1 + 2 * pb, sparse = 0;
    int64_t prev = -1;
    int rc;

    if (car + 2 <= dense) { /* each entry takes a byte at least: else dense wins anyway */
        sparse = 1 + varint_len(car);
        for (size_t wd = 0; wd < nw && sparse <= dense; wd++) {
            for (uint64_t x = h0[wd] | h1[wd]; x; x &= x - 1) {
                uint32_t i = (uint32_t)(wd * 64 + (unsigned)__builtin_ctzll(x));
                sparse += varint_len((uint64_t)((int64_t)i - prev) << 2 | 3u);
                prev = i;
            }
        }
    }
    if (sparse && sparse <= dense) {
        if ((rc = gn_buf_put_u8(b, SITE_SPARSE)) < 0) return rc;
        if ((rc = gn_buf_put_varint(b, car)) < 0) return rc;
        prev = -1;
        for (size_t wd = 0; wd < nw; wd++) {
            for (uint64_t x = h0[wd] | h1[wd]; x; x &= x - 1) {
                unsigned bit = (unsigned)__builtin_ctzll(x);
                unsigned code = (unsigned)((h0[wd] >> bit) & 1) | (unsigned)((h1[wd] >> bit) & 1)
                                                                      << 1;
                if ((rc = put_coded(b, &prev, (uint32_t)(wd * 64 + bit), code)) < 0) return rc;
            }
        }
        return GN_OK;
    }
    if ((rc = gn_buf_put_u8(b, SITE_DENSE)) < 0) return rc;
    if ((rc = gn_buf_reserve(b, 2 * pb)) < 0) return rc;
    for (size_t wd = 0; wd < nw; wd++) { /* little-endian words, cut to plane_bytes */
        for (size_t j = 0; j < 8 && wd * 8 + j < pb; j++) {
            b->data[b->len + wd * 8 + j] = (uint8_t)(h0[wd] >> (8 * j));
            b->data[b->len + pb + wd * 8 + j] = (uint8_t)(h1[wd] >> (8 * j));
        }
    }
    b->len += 2 * pb;
    return GN_OK;
}

/* ---- haplotype tiles ----
 *
 * A block's common sites (the candidates) are most cheaply stored, when haplotypes repeat,
 * as a tile: every haplotype's bits over those K sites form a K-bit pattern; the tile
 * holds each distinct pattern once and, per haplotype, the number of its pattern. Within
 * a block a population has few distinct haplotypes (long shared stretches: linkage
 * disequilibrium), so n_pat << 2n. Sub-cohort counting then histograms the cohort's
 * haplotypes over patterns once per block and sums per site, instead of walking each
 * site's genotypes. The writer builds the tile at flush and keeps it only when it is
 * smaller than the candidates' own pieces. */

/* Transposes a 64 x 64 bit matrix in place: bit i of a[j] becomes bit j of a[i]. */
static void transpose64(uint64_t a[64])
{
    uint64_t m = 0x00000000FFFFFFFFull;
    for (unsigned j = 32; j; j >>= 1, m ^= m << j) {
        for (unsigned k = 0; k < 64; k = ((k | j) + 1) & ~j) {
            uint64_t t = ((a[k] >> j) ^ a[k | j]) & m;
            a[k] ^= t << j;
            a[k | j] ^= t;
        }
    }
}

static uint64_t pat_hash(const uint64_t *p, uint32_t pw)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (uint32_t i = 0; i < pw; i++) {
        h ^= p[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return h;
}

static int tile_reserve(struct segment_writer *w, uint32_t pw, size_t tab)
{
    size_t nh = 2 * (size_t)w->n_samples, need = nh * pw;
    if (need > w->pat_cap) {
        uint64_t *p = gn_reallocarray(w->pat, need, sizeof *p);
        if (!p) return GN_ENOMEM;
        w->pat = p;
        w->pat_cap = need;
    }
    if (!w->hid) {
        w->hid = gn_reallocarray(NULL, nh, sizeof *w->hid);
        w->rep = gn_reallocarray(NULL, nh, sizeof *w->rep);
        w->htab = gn_reallocarray(NULL, tab, sizeof *w->htab);
        if (!w->hid || !w->rep || !w->htab) return GN_ENOMEM;
    }
    return GN_OK;
}

static size_t htab_size(uint32_t n)
{
    size_t t = 1;
    while (t < 4 * (size_t)n) /* load at most 1/2: 2n haplotypes */
        t <<= 1;
    return t;
}

/* Patterns of the candidate sites: fills w->hid (per haplotype) and w->rep (per pattern)
 * and returns the number of distinct patterns (0 on allocation failure). */
static uint32_t tile_patterns(struct segment_writer *w, uint32_t pw)
{
    uint32_t n = w->n_samples, n_pat = 0;
    size_t nw = words_of(n), nh = 2 * (size_t)n, tab = htab_size(n);

    if (tile_reserve(w, pw, tab) < 0) return 0;
    /* Transpose 64 columns x 64 samples at a time (planes: per column, bits over samples;
     * patterns: per haplotype, bits over columns). */
    for (uint32_t cw = 0; cw < pw; cw++) {
        uint32_t nc = w->n_cand - cw * 64 < 64 ? w->n_cand - cw * 64 : 64;
        for (size_t wd = 0; wd < nw; wd++) {
            for (size_t hp = 0; hp < 2; hp++) {
                uint64_t t[64] = {0};
                for (uint32_t j = 0; j < nc; j++)
                    t[j] = w->planes[(2 * ((size_t)cw * 64 + j) + hp) * nw + wd];
                transpose64(t);
                for (size_t b = 0; b < 64 && wd * 64 + b < n; b++)
                    w->pat[(2 * (wd * 64 + b) + hp) * pw + cw] = t[b];
            }
        }
    }
    memset(w->htab, 0, tab * sizeof *w->htab);
    for (size_t hh = 0; hh < nh; hh++) {
        const uint64_t *p = w->pat + hh * pw;
        size_t slot = (size_t)pat_hash(p, pw) & (tab - 1);
        for (;; slot = (slot + 1) & (tab - 1)) {
            uint32_t e = w->htab[slot];
            if (!e) {
                w->htab[slot] = ++n_pat;
                w->rep[n_pat - 1] = (uint32_t)hh;
                w->hid[hh] = n_pat - 1;
                break;
            }
            if (!memcmp(w->pat + (size_t)w->rep[e - 1] * pw, p, pw * sizeof *p)) {
                w->hid[hh] = e - 1;
                break;
            }
        }
    }
    return n_pat;
}

static unsigned id_bytes(uint32_t n_pat)
{
    return n_pat <= 256 ? 1 : n_pat <= 65536 ? 2 : 4;
}

/* Writes the tile (docs/format/segment.md) at the start of w->payload. */
static int put_tile(struct segment_writer *w, uint32_t n_pat, uint32_t pw)
{
    size_t nh = 2 * (size_t)w->n_samples;
    unsigned idb = id_bytes(n_pat);
    uint8_t h[TILE_HEADER_BYTES] = {0};
    int rc;

    gn_le_put_u32(h, w->n_cand);
    gn_le_put_u32(h + 4, n_pat);
    gn_le_put_u32(h + 8, idb);
    if ((rc = gn_buf_append(&w->payload, h, sizeof h)) < 0) return rc;
    if ((rc = gn_buf_reserve(&w->payload, (size_t)n_pat * pw * 8 + nh * idb)) < 0) return rc;
    uint8_t *o = w->payload.data + w->payload.len;
    for (uint32_t p = 0; p < n_pat; p++, o += (size_t)pw * 8) /* words are little-endian */
        memcpy(o, w->pat + (size_t)w->rep[p] * pw, (size_t)pw * 8);
    for (size_t hh = 0; hh < nh; hh++, o += idb) {
        uint32_t id = w->hid[hh];
        for (unsigned j = 0; j < idb; j++)
            o[j] = (uint8_t)(id >> (8 * j));
    }
    w->payload.len = (size_t)(o - w->payload.data);
    return GN_OK;
}

/* Estimated bytes of a candidate as its own piece (put_site_planes picks the exact one). */
static size_t own_piece_estimate(uint32_t n, uint64_t car)
{
    size_t dense = 1 + 2 * plane_bytes(n);
    if (!car) return 2;
    size_t sparse = 2 + (size_t)car * varint_len(((uint64_t)n / car) << 2);
    return sparse < dense ? sparse : dense;
}

/* Decides the block's tile: returns 1 and writes it to w->payload when it is smaller than
 * the candidates' own pieces. */
static int maybe_tile(struct segment_writer *w, int *tiled)
{
    uint32_t pw = (w->n_cand + 63) / 64, n_pat;
    size_t own = 0, nw = words_of(w->n_samples);

    *tiled = 0;
    if (w->n_cand < 2) return GN_OK;
    for (uint32_t c = 0; c < w->n_cand; c++) {
        const uint64_t *h0 = w->planes + (size_t)2 * c * nw, *h1 = h0 + nw;
        uint64_t car = 0;
        for (size_t i = 0; i < nw; i++)
            car += (uint64_t)__builtin_popcountll(h0[i] | h1[i]);
        own += own_piece_estimate(w->n_samples, car);
    }
    /* The tile cannot be smaller than its haplotype ids: skip the work when so. */
    if (2 * (size_t)w->n_samples + TILE_HEADER_BYTES >= own) return GN_OK;
    if (!(n_pat = tile_patterns(w, pw))) return GN_ENOMEM;
    size_t tile = TILE_HEADER_BYTES + (size_t)n_pat * pw * 8 +
                  2 * (size_t)w->n_samples * id_bytes(n_pat) + 3 * (size_t)w->n_cand;
    if (tile >= own) return GN_OK;
    *tiled = 1;
    return put_tile(w, n_pat, pw);
}

/* Composes the payload (tile, then per record its shared piece and site pieces) and the
 * record table of the open block, compresses both and writes them with an index entry. */
static int flush_block(struct segment_writer *w, struct gn_err *err)
{
    uint8_t e[INDEX_ENTRY_BYTES] = {0};
    size_t tc, pc, nw = words_of(w->n_samples);
    uint32_t tcrc, pcrc, si = 0;
    int64_t prev_pos;
    int rc, tiled;

    if (!w->blk_open) return GN_OK;
    gn_buf_reset(&w->payload);
    gn_buf_reset(&w->table);
    if ((rc = maybe_tile(w, &tiled)) < 0) goto oom;
    if ((rc = gn_buf_put_varint(&w->table, w->payload.len)) < 0) goto oom;
    prev_pos = w->blk_first;
    for (uint32_t r = 0; r < w->blk_records; r++) {
        const struct wrec *x = &w->rec[r];
        if ((rc = gn_buf_put_varint(&w->table, (uint64_t)(x->pos - prev_pos))) < 0 ||
            (rc = gn_buf_put_str(&w->table, (const char *)w->strs.data + x->ref_off, x->ref_len)) <
                0 ||
            (rc = gn_buf_put_varint(&w->table, x->an)) < 0 ||
            (rc = gn_buf_put_varint(&w->table, x->shared_len)) < 0 ||
            (rc = gn_buf_put_varint(&w->table, x->n_alt)) < 0 ||
            (rc = gn_buf_append(&w->payload, w->pieces.data + x->shared_off, x->shared_len)) < 0)
            goto oom;
        prev_pos = x->pos;
        for (uint32_t k = 0; k < x->n_alt; k++, si++) {
            const struct wsite *t = &w->site[si];
            size_t start = w->payload.len;
            if (t->cand < 0) {
                rc = gn_buf_append(&w->payload, w->pieces.data + t->piece_off, t->piece_len);
            } else if (tiled) {
                rc = gn_buf_put_u8(&w->payload, SITE_TILED);
                if (rc == GN_OK) rc = gn_buf_put_varint(&w->payload, (uint64_t)t->cand);
            } else {
                const uint64_t *h0 = w->planes + (size_t)2 * (uint32_t)t->cand * nw;
                uint64_t car = 0;
                for (size_t i = 0; i < nw; i++)
                    car += (uint64_t)__builtin_popcountll(h0[i] | h0[nw + i]);
                rc = put_site_planes(&w->payload, w->n_samples, h0, h0 + nw, car);
            }
            if (rc < 0 ||
                (rc = gn_buf_put_str(&w->table, (const char *)w->strs.data + t->alt_off,
                                     t->alt_len)) < 0 ||
                (rc = gn_buf_put_varint(&w->table, t->ac)) < 0 ||
                (rc = gn_buf_put_varint(&w->table, t->het)) < 0 ||
                (rc = gn_buf_put_varint(&w->table, t->hom)) < 0 ||
                (rc = gn_buf_put_varint(&w->table, w->payload.len - start)) < 0)
                goto oom;
        }
    }
    /* Compress the record table then the payload into one buffer, back to back. */
    if (w->table.len > SEGMENT_MAX_BLOCK_BYTES || w->payload.len > SEGMENT_MAX_BLOCK_BYTES)
        return gn_errf(err, GN_ELIMIT, "segment %s: block too large", w->path);
    gn_buf_reset(&w->comp);
    if (w->codec == BLOCK_LZ4) {
        int tb = LZ4_compressBound((int)w->table.len), pb = LZ4_compressBound((int)w->payload.len);
        if (tb <= 0 || pb <= 0)
            return gn_errf(err, GN_ELIMIT, "segment %s: block too large", w->path);
        if ((rc = gn_buf_reserve(&w->comp, (size_t)tb + (size_t)pb)) < 0) goto oom;
        int t =
            LZ4_compress_HC_extStateHC(w->lz4hc, (const char *)w->table.data, (char *)w->comp.data,
                                       (int)w->table.len, tb, LZ4_HC_LEVEL);
        int q = LZ4_compress_default((const char *)w->payload.data, (char *)w->comp.data + t,
                                     (int)w->payload.len, pb);
        if ((t <= 0 && w->table.len) || (q <= 0 && w->payload.len))
            return gn_errf(err, GN_EINTERNAL, "segment %s: LZ4 compression failed", w->path);
        tc = (size_t)(t > 0 ? t : 0);
        pc = (size_t)(q > 0 ? q : 0);
    } else {
        size_t bound = ZSTD_compressBound(w->table.len) + ZSTD_compressBound(w->payload.len);
        if ((rc = gn_buf_reserve(&w->comp, bound)) < 0) goto oom;
        tc = ZSTD_compressCCtx(w->cctx, w->comp.data, bound, w->table.data, w->table.len, w->level);
        if (ZSTD_isError(tc)) return gn_errf(err, GN_EINTERNAL, "zstd: %s", ZSTD_getErrorName(tc));
        pc = ZSTD_compressCCtx(w->cctx, w->comp.data + tc, bound - tc, w->payload.data,
                               w->payload.len, w->level);
        if (ZSTD_isError(pc)) return gn_errf(err, GN_EINTERNAL, "zstd: %s", ZSTD_getErrorName(pc));
    }
    tcrc = crc(w->comp.data, tc);
    pcrc = crc(w->comp.data + tc, pc);
    if ((rc = fsutil_write_full(w->fd, w->comp.data, tc + pc, w->path, err)) < 0) return rc;

    gn_le_put_u32(e + 0, w->blk_contig);
    gn_le_put_u32(e + 4, w->blk_records);
    gn_le_put_u64(e + 8, (uint64_t)w->blk_first);
    gn_le_put_u64(e + 16, (uint64_t)w->blk_last);
    gn_le_put_u64(e + 24, w->off);
    gn_le_put_u32(e + 32, (uint32_t)tc);
    gn_le_put_u32(e + 36, (uint32_t)w->table.len);
    gn_le_put_u32(e + 40, tcrc);
    gn_le_put_u32(e + 44, (uint32_t)pc);
    gn_le_put_u32(e + 48, (uint32_t)w->payload.len);
    gn_le_put_u32(e + 52, pcrc);
    gn_le_put_u32(e + 56, w->blk_sites);
    gn_le_put_u32(e + 60, w->codec);
    if ((rc = gn_buf_append(&w->index, e, sizeof e)) < 0) goto oom;
    w->off += tc + pc;
    w->n_blocks++;
    w->blk_open = 0;
    w->n_cand = 0;
    gn_buf_reset(&w->strs);
    gn_buf_reset(&w->pieces);
    return GN_OK;
oom:
    return gn_errf(err, rc, "segment %s: cannot encode block (%s)", w->path, gn_strerror(rc));
}

/* Shared piece (into w->pieces): missing haplotypes, haploid samples, phase default and
 * exceptions. Returns AN over all samples through *an, and whether any call is missing or
 * haploid through *odd (w->miss0, miss1 and hapl then hold them as planes). */
static int encode_shared(struct segment_writer *w, const struct gtrec *r, uint32_t *an, int *odd)
{
    struct gn_buf *b = &w->pieces;
    uint32_t n = r->n_samples, n_miss = 0, n_hap = 0, n_phased = 0, n_dip = 0;
    uint8_t flags = 0;
    int64_t prev;
    int rc;

    *an = 0;
    /* One pass for the counts and AN. Missing is -1 and "no second allele" -2, so a
     * negative first allele is a missing call. */
    uint32_t a_n = 0; /* a local, not *an: phased is a char array and may alias it */
    for (uint32_t i = 0; i < n; i++) { /* branch-free, so the compiler can vectorise it */
        int16_t a0 = r->al[(size_t)2 * i], a1 = r->al[(size_t)2 * i + 1];
        uint32_t hap = a1 == GTREC_NONE;
        n_hap += hap;
        n_dip += hap ^ 1u;
        n_phased += (hap ^ 1u) & (r->phased[i] != 0);
        n_miss += (uint32_t)(a0 < 0) | (uint32_t)(a1 == GTREC_MISSING);
        a_n += (uint32_t)(a0 >= 0) + (uint32_t)(a1 >= 0);
    }
    *an = a_n;
    *odd = n_miss || n_hap;
    if (*odd) {
        size_t nw = words_of(n);
        memset(w->miss0, 0, 3 * nw * sizeof *w->miss0);
        for (uint32_t i = 0; i < n; i++) {
            int16_t a0 = r->al[(size_t)2 * i], a1 = r->al[(size_t)2 * i + 1];
            uint64_t bit = 1ull << (i % 64);
            if (a0 < 0) w->miss0[i / 64] |= bit;
            if (a1 == GTREC_MISSING) w->miss1[i / 64] |= bit;
            if (a1 == GTREC_NONE) w->hapl[i / 64] |= bit;
        }
    }
    int def_phased = n_phased * 2 > n_dip;
    uint32_t n_exc = def_phased ? n_dip - n_phased : n_phased;
    flags = (uint8_t)((n_miss ? SHARED_MISSING : 0) | (n_hap ? SHARED_HAPLOID : 0) |
                      (def_phased ? SHARED_PHASED : 0) | (n_exc ? SHARED_PHASE_EXC : 0));
    if ((rc = gn_buf_put_u8(b, flags)) < 0) return rc;
    if (n_miss) {
        if ((rc = gn_buf_put_varint(b, n_miss)) < 0) return rc;
        prev = -1;
        for (uint32_t i = 0; i < n; i++) {
            unsigned code = (r->al[(size_t)2 * i] < 0 ? 1u : 0u) |
                            (r->al[(size_t)2 * i + 1] == GTREC_MISSING ? 2u : 0u);
            if (code && (rc = put_coded(b, &prev, i, code)) < 0) return rc;
        }
    }
    if (n_hap) {
        if ((rc = gn_buf_put_varint(b, n_hap)) < 0) return rc;
        prev = -1;
        for (uint32_t i = 0; i < n; i++) {
            if (r->al[(size_t)2 * i + 1] == GTREC_NONE && (rc = put_delta(b, &prev, i)) < 0) {
                return rc;
            }
        }
    }
    if (n_exc) {
        if ((rc = gn_buf_put_varint(b, n_exc)) < 0) return rc;
        prev = -1;
        for (uint32_t i = 0; i < n; i++) {
            if (r->al[(size_t)2 * i + 1] == GTREC_NONE || (r->phased[i] != 0) == def_phased) {
                continue;
            }
            if ((rc = put_delta(b, &prev, i)) < 0) return rc;
        }
    }
    return GN_OK;
}

/* ---- the same from BCF int8 GT values (struct gtrec.gt8) ---- */

/* Planes of allele k from int8 GT values: a value carries allele k when (v >> 1) == k + 1,
 * i.e. (v | 1) == 2k + 3. from is a multiple of 64. */
static void build_planes_gt8_portable(const uint8_t *g, uint32_t n, int16_t k, uint64_t *h0,
                                      uint64_t *h1, uint32_t from)
{
    uint8_t want = (uint8_t)(2 * k + 3);
    for (uint32_t wd = from / 64; (size_t)wd * 64 < n; wd++) {
        uint64_t v0 = 0, v1 = 0;
        for (uint32_t i = wd * 64, j = 0; j < 64 && i < n; i++, j++) {
            v0 |= (uint64_t)((g[2 * (size_t)i] | 1) == want) << j;
            v1 |= (uint64_t)((g[2 * (size_t)i + 1] | 1) == want) << j;
        }
        h0[wd] = v0;
        h1[wd] = v1;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
/* 16 samples (32 values) at a time: split even (hap 0) from odd (hap 1) bytes, compare, and
 * one movemask gives both planes' 16 bits. */
__attribute__((target("avx2"))) static void
build_planes_gt8_avx2(const uint8_t *g, uint32_t n, int16_t k, uint64_t *h0, uint64_t *h1)
{
    uint32_t full = n / 64;
    const __m256i kk = _mm256_set1_epi8((char)(2 * k + 3)), one = _mm256_set1_epi8(1);
    const __m256i split = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15, 0,
                                           2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    for (uint32_t wd = 0; wd < full; wd++) {
        const uint8_t *a = g + (size_t)128 * wd;
        uint64_t v0 = 0, v1 = 0;
        for (int q = 0; q < 4; q++, a += 32) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)a);
            v = _mm256_cmpeq_epi8(_mm256_or_si256(v, one), kk);
            v = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(v, split), 0xD8);
            uint32_t m = (uint32_t)_mm256_movemask_epi8(v);
            v0 |= (uint64_t)(m & 0xffffu) << (16 * q);
            v1 |= (uint64_t)(m >> 16) << (16 * q);
        }
        h0[wd] = v0;
        h1[wd] = v1;
    }
    build_planes_gt8_portable(g, n, k, h0, h1, full * 64);
}
#endif

static void build_planes_any(const struct gtrec *r, int16_t k, uint64_t *h0, uint64_t *h1)
{
    if (!r->gt8) {
        build_planes(r, k, h0, h1);
        return;
    }
#if defined(__x86_64__) && defined(__GNUC__)
    static int have = -1; /* benign race: every thread computes the same value */
    if (have < 0) have = __builtin_cpu_supports("avx2") ? 1 : 0;
    if (have) {
        build_planes_gt8_avx2(r->gt8, r->n_samples, k, h0, h1);
        return;
    }
#endif
    build_planes_gt8_portable(r->gt8, r->n_samples, k, h0, h1, 0);
}

/* Counts of the shared piece from int8 GT values: samples with a missing allele, missing
 * alleles, phased samples. Restrict-qualified and branch-free so that it vectorises. */
static void gt8_counts(const uint8_t *restrict g, uint32_t n, uint32_t *n_miss, uint32_t *miss_al,
                       uint32_t *n_phased)
{
    uint32_t ms = 0, ma = 0, ph = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t m0 = g[2 * (size_t)i] < 2, m1 = g[2 * (size_t)i + 1] < 2;
        ms += m0 | m1;
        ma += m0 + m1;
        ph += g[2 * (size_t)i + 1] & 1u;
    }
    *n_miss = ms;
    *miss_al = ma;
    *n_phased = ph;
}

/* encode_shared for a record in gt8 form (diploid: no haploid list). */
static int encode_shared_gt8(struct segment_writer *w, const struct gtrec *r, uint32_t *an,
                             int *odd)
{
    struct gn_buf *b = &w->pieces;
    const uint8_t *g = r->gt8;
    uint32_t n = r->n_samples, n_miss, miss_al, n_phased;
    int64_t prev;
    int rc;

    gt8_counts(g, n, &n_miss, &miss_al, &n_phased);
    *an = 2 * n - miss_al;
    *odd = n_miss != 0;
    if (*odd) {
        size_t nw = words_of(n);
        memset(w->miss0, 0, 3 * nw * sizeof *w->miss0);
        for (uint32_t i = 0; i < n; i++) {
            uint64_t bit = 1ull << (i % 64);
            if (g[2 * (size_t)i] < 2) w->miss0[i / 64] |= bit;
            if (g[2 * (size_t)i + 1] < 2) w->miss1[i / 64] |= bit;
        }
    }
    int def_phased = n_phased * 2 > n;
    uint32_t n_exc = def_phased ? n - n_phased : n_phased;
    uint8_t flags = (uint8_t)((n_miss ? SHARED_MISSING : 0) | (def_phased ? SHARED_PHASED : 0) |
                              (n_exc ? SHARED_PHASE_EXC : 0));
    if ((rc = gn_buf_put_u8(b, flags)) < 0) return rc;
    if (n_miss) {
        if ((rc = gn_buf_put_varint(b, n_miss)) < 0) return rc;
        prev = -1;
        for (uint32_t i = 0; i < n; i++) {
            unsigned code = (g[2 * (size_t)i] < 2 ? 1u : 0u) | (g[2 * (size_t)i + 1] < 2 ? 2u : 0u);
            if (code && (rc = put_coded(b, &prev, i, code)) < 0) return rc;
        }
    }
    if (n_exc) {
        if ((rc = gn_buf_put_varint(b, n_exc)) < 0) return rc;
        prev = -1;
        for (uint32_t i = 0; i < n; i++) {
            if ((int)(g[2 * (size_t)i + 1] & 1u) == def_phased) continue;
            if ((rc = put_delta(b, &prev, i)) < 0) return rc;
        }
    }
    return GN_OK;
}

static int check_order(struct segment_writer *w, const struct gtrec *r, struct gn_err *err)
{
    if (w->have_contig && r->contig == w->cur_contig) {
        if (r->pos < w->cur_pos) {
            return gn_errf(err, GN_EINVAL, "records not sorted: position %lld after %lld",
                           (long long)r->pos, (long long)w->cur_pos);
        }
        w->cur_pos = r->pos;
        return GN_OK;
    }
    if (r->contig >= w->contig_seen_cap) {
        uint32_t cap = r->contig + 64;
        uint8_t *s = gn_reallocarray(w->contig_seen, cap, 1);
        if (!s) return gn_errf(err, GN_ENOMEM, "out of memory");
        memset(s + w->contig_seen_cap, 0, cap - w->contig_seen_cap);
        w->contig_seen = s;
        w->contig_seen_cap = cap;
    }
    if (w->contig_seen[r->contig]) {
        return gn_errf(err, GN_EINVAL, "records not sorted: a contig appears in two separate runs");
    }
    w->contig_seen[r->contig] = 1;
    w->have_contig = 1;
    w->cur_contig = r->contig;
    w->cur_pos = r->pos;
    return GN_OK;
}

/* Room for one more record of up to n_alt sites and their planes. */
static int reserve_record(struct segment_writer *w, uint32_t n_alt)
{
    size_t nw = words_of(w->n_samples);
    if (w->blk_records == w->rec_cap) {
        uint32_t cap = w->rec_cap ? 2 * w->rec_cap : 256;
        struct wrec *r = gn_reallocarray(w->rec, cap, sizeof *r);
        if (!r) return GN_ENOMEM;
        w->rec = r;
        w->rec_cap = cap;
    }
    if (w->blk_sites + n_alt > w->site_cap) {
        uint32_t cap = 2 * (w->blk_sites + n_alt) + 256;
        struct wsite *t = gn_reallocarray(w->site, cap, sizeof *t);
        if (!t) return GN_ENOMEM;
        w->site = t;
        w->site_cap = cap;
    }
    if (w->n_cand + n_alt > w->planes_cap) {
        uint32_t cap = w->n_cand + n_alt + 16;
        uint64_t *p = gn_reallocarray(w->planes, (size_t)2 * cap * nw, sizeof *p);
        if (!p) return GN_ENOMEM;
        w->planes = p;
        w->planes_cap = cap;
    }
    return GN_OK;
}

/* One ALT site: its planes (kept as a tile candidate when common), counts, and for a rare
 * site its piece now. */
static int add_site(struct segment_writer *w, const struct gtrec *r, uint32_t k, int odd)
{
    size_t nw = words_of(w->n_samples);
    struct wsite *t = &w->site[w->blk_sites];
    uint64_t *h0 = w->planes + (size_t)2 * w->n_cand * nw, *h1 = h0 + nw;
    struct plane_counts pc;
    int rc;

    t->alt_off = (uint32_t)w->strs.len;
    t->alt_len = (uint32_t)strlen(r->alt[k]);
    if ((rc = gn_buf_append(&w->strs, r->alt[k], t->alt_len)) < 0) return rc;
    build_planes_any(r, (int16_t)(k + 1), h0, h1);
    plane_counts(w, h0, h1, odd, &pc);
    t->ac = (uint32_t)pc.ac;
    t->hom = (uint32_t)pc.hom;
    t->het = (uint32_t)(pc.car - pc.hom);
    t->cand = -1;
    if (pc.ac >= cand_min(w->n_samples) && w->n_cand < TILE_MAX_COLS) {
        t->cand = (int32_t)w->n_cand++; /* its planes stay where they are */
        return GN_OK;
    }
    t->piece_off = (uint32_t)w->pieces.len;
    if ((rc = put_site_planes(&w->pieces, w->n_samples, h0, h1, pc.car)) < 0) return rc;
    t->piece_len = (uint32_t)(w->pieces.len - t->piece_off);
    return GN_OK;
}

/* Bytes of rare-site and shared pieces at which a block closes: BLOCK_PAYLOAD_TARGET, or
 * 4 bytes per sample when more, so that the tile's per-haplotype pattern numbers (2-4
 * bytes per sample) are shared by hundreds of columns rather than a handful (at 100,000
 * samples 48 KiB of carrier lists is a few rare sites: the store was 1.8x larger). */
static size_t pieces_target(const struct segment_writer *w)
{
    size_t t = (size_t)4 * w->n_samples;
    return t > BLOCK_PAYLOAD_TARGET ? t : BLOCK_PAYLOAD_TARGET;
}

int segment_writer_add(struct segment_writer *w, const struct gtrec *r, struct gn_err *err)
{
    int rc, odd;

    if (r->n_samples != w->n_samples) {
        return gn_errf(err, GN_EINVAL, "record has %u samples, segment %u", r->n_samples,
                       w->n_samples);
    }
    if (r->pos < 1) return gn_errf(err, GN_EINVAL, "position %lld < 1", (long long)r->pos);
    if (r->n_alt > GTREC_MAX_ALT) return gn_errf(err, GN_ELIMIT, "too many ALT alleles");
    if ((rc = check_order(w, r, err)) < 0) return rc;
    /* A block never splits the records of one position, so that readers find every
     * record of a position in one block. */
    if (w->blk_open && (w->blk_contig != r->contig ||
                        (r->pos != w->blk_last && (w->blk_records >= BLOCK_MAX_RECORDS ||
                                                   w->pieces.len >= pieces_target(w) ||
                                                   w->n_cand + r->n_alt > TILE_MAX_COLS)))) {
        if ((rc = flush_block(w, err)) < 0) return rc;
    }
    if (!w->blk_open) {
        w->blk_open = 1;
        w->blk_contig = r->contig;
        w->blk_first = r->pos;
        w->blk_records = w->blk_sites = 0;
        w->n_cand = 0;
    }
    if ((rc = reserve_record(w, r->n_alt)) < 0) goto oom;
    struct wrec *x = &w->rec[w->blk_records];
    x->pos = r->pos;
    x->ref_off = (uint32_t)w->strs.len;
    x->ref_len = (uint32_t)strlen(r->ref);
    x->n_alt = r->n_alt;
    x->shared_off = (uint32_t)w->pieces.len;
    if ((rc = gn_buf_append(&w->strs, r->ref, x->ref_len)) < 0) goto oom;
    rc = r->gt8 ? encode_shared_gt8(w, r, &x->an, &odd) : encode_shared(w, r, &x->an, &odd);
    if (rc < 0) goto oom;
    x->shared_len = (uint32_t)(w->pieces.len - x->shared_off);
    for (uint32_t k = 0; k < r->n_alt; k++, w->blk_sites++)
        if ((rc = add_site(w, r, k, odd)) < 0) goto oom;
    w->blk_last = r->pos;
    w->blk_records++;
    w->n_records++;
    w->n_sites += r->n_alt;
    return GN_OK;
oom:
    return gn_errf(err, rc, "segment %s: cannot encode record (%s)", w->path, gn_strerror(rc));
}

int segment_writer_add_callable(struct segment_writer *w, uint32_t sample, uint32_t contig,
                                int64_t start, int64_t end, struct gn_err *err)
{
    struct callable *c;

    if (!w->call || sample >= w->n_samples || start < 1 || end < start) {
        return gn_errf(err, GN_EINVAL, "bad callable interval");
    }
    c = &w->call[sample];
    if (c->n) {
        struct segment_interval *last = &c->iv[c->n - 1];
        if (last->contig == contig && start >= last->start && start <= last->end + 1) {
            if (end > last->end) last->end = end;
            return GN_OK;
        }
    }
    if (c->n == c->cap) {
        uint32_t cap = c->cap ? c->cap * 2 : 16;
        struct segment_interval *iv = gn_reallocarray(c->iv, cap, sizeof *iv);
        if (!iv) return gn_errf(err, GN_ENOMEM, "out of memory");
        c->iv = iv;
        c->cap = cap;
    }
    c->iv[c->n++] = (struct segment_interval){contig, start, end};
    return GN_OK;
}

int segment_writer_add_phase_set(struct segment_writer *w, uint32_t sample, uint32_t contig,
                                 int64_t pos, uint64_t set, struct gn_err *err)
{
    struct phaselist *l;

    if (!w->phase || sample >= w->n_samples || pos < 1 || set > SEGMENT_MAX_PHASE_SET) {
        return gn_errf(err, GN_EINVAL, "bad phase-set change point");
    }
    l = &w->phase[sample];
    if (l->n && l->v[l->n - 1].contig == contig) {
        struct segment_phase_change *last = &l->v[l->n - 1];
        if (pos < last->pos) {
            return gn_errf(err, GN_EINVAL,
                           "%s: phase-set change points not sorted (%lld after %lld)", w->path,
                           (long long)pos, (long long)last->pos);
        }
        if (pos == last->pos) { /* one set per sample and position: the later one */
            last->set = set;
            return GN_OK;
        }
    }
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 16;
        struct segment_phase_change *v = gn_reallocarray(l->v, cap, sizeof *v);
        if (!v) return gn_errf(err, GN_ENOMEM, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (struct segment_phase_change){contig, pos, set};
    return GN_OK;
}

static int write_section(struct segment_writer *w, const void *p, size_t n, uint64_t *off,
                         struct gn_err *err)
{
    *off = w->off;
    int rc = fsutil_write_full(w->fd, p, n, w->path, err);
    if (rc == GN_OK) w->off += n;
    return rc;
}

static int cmp_interval(const void *a, const void *b)
{
    const struct segment_interval *x = a, *y = b;
    if (x->contig != y->contig) return x->contig < y->contig ? -1 : 1;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorts one sample's intervals by (contig, start) and merges the overlapping and adjacent
 * ones: contigs may come in any order (a gVCF whose header orders them unlike the store's
 * contig ids), and the reader accepts only sorted, disjoint intervals. */
static void callable_normalise(struct callable *c)
{
    uint32_t k = 0;
    if (c->n < 2) return;
    qsort(c->iv, c->n, sizeof *c->iv, cmp_interval);
    for (uint32_t j = 1; j < c->n; j++) {
        struct segment_interval *last = &c->iv[k];
        if (c->iv[j].contig == last->contig && c->iv[j].start <= last->end + 1) {
            if (c->iv[j].end > last->end) last->end = c->iv[j].end;
        } else {
            c->iv[++k] = c->iv[j];
        }
    }
    c->n = k + 1;
}

/* Serialises the callability intervals (zstd-compressed) into w->comp. */
static int encode_callability(struct segment_writer *w, size_t *rlen, struct gn_err *err)
{
    int rc = GN_OK;
    gn_buf_reset(&w->tmp);
    for (uint32_t i = 0; i < w->n_samples && rc == GN_OK; i++) {
        struct callable *c = &w->call[i];
        callable_normalise(c);
        rc = gn_buf_put_varint(&w->tmp, c->n);
        for (uint32_t j = 0; j < c->n && rc == GN_OK; j++) {
            rc = gn_buf_put_varint(&w->tmp, c->iv[j].contig);
            if (rc == GN_OK) rc = gn_buf_put_varint(&w->tmp, (uint64_t)c->iv[j].start);
            if (rc == GN_OK) {
                rc = gn_buf_put_varint(&w->tmp, (uint64_t)(c->iv[j].end - c->iv[j].start));
            }
        }
    }
    if (rc < 0) return gn_errf(err, rc, "out of memory");
    *rlen = w->tmp.len;
    gn_buf_reset(&w->comp);
    size_t bound = ZSTD_compressBound(w->tmp.len);
    if ((rc = gn_buf_reserve(&w->comp, bound)) < 0) return gn_errf(err, rc, "out of memory");
    size_t c = ZSTD_compressCCtx(w->cctx, w->comp.data, bound, w->tmp.data, w->tmp.len, w->level);
    if (ZSTD_isError(c)) return gn_errf(err, GN_EINTERNAL, "zstd: %s", ZSTD_getErrorName(c));
    w->comp.len = c;
    return GN_OK;
}

static int cmp_phase_change(const void *a, const void *b)
{
    const struct segment_phase_change *x = a, *y = b;
    if (x->contig != y->contig) return x->contig < y->contig ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Serialises the phase-set change points (zstd-compressed, as callability) into w->comp.
 * Each sample's points are sorted by (contig, pos): contigs may have come in any order. */
static int encode_phase_sets(struct segment_writer *w, size_t *rlen, struct gn_err *err)
{
    int rc = GN_OK;
    gn_buf_reset(&w->tmp);
    for (uint32_t i = 0; i < w->n_samples && rc == GN_OK; i++) {
        struct phaselist *l = &w->phase[i];
        if (l->n > 1) qsort(l->v, l->n, sizeof *l->v, cmp_phase_change);
        for (uint32_t j = 1; j < l->n; j++) {
            if (!cmp_phase_change(&l->v[j - 1], &l->v[j])) {
                return gn_errf(err, GN_EINVAL, "%s: contig %u came in two runs of phase sets",
                               w->path, l->v[j].contig);
            }
        }
        rc = gn_buf_put_varint(&w->tmp, l->n);
        for (uint32_t j = 0; j < l->n && rc == GN_OK; j++) {
            rc = gn_buf_put_varint(&w->tmp, l->v[j].contig);
            if (rc == GN_OK) rc = gn_buf_put_varint(&w->tmp, (uint64_t)l->v[j].pos);
            if (rc == GN_OK) rc = gn_buf_put_varint(&w->tmp, l->v[j].set);
        }
    }
    if (rc < 0) return gn_errf(err, rc, "out of memory");
    *rlen = w->tmp.len;
    gn_buf_reset(&w->comp);
    size_t bound = ZSTD_compressBound(w->tmp.len);
    if ((rc = gn_buf_reserve(&w->comp, bound)) < 0) return gn_errf(err, rc, "out of memory");
    size_t c = ZSTD_compressCCtx(w->cctx, w->comp.data, bound, w->tmp.data, w->tmp.len, w->level);
    if (ZSTD_isError(c)) return gn_errf(err, GN_EINTERNAL, "zstd: %s", ZSTD_getErrorName(c));
    w->comp.len = c;
    return GN_OK;
}

static int cmp_entry(const void *a, const void *b)
{
    const uint8_t *x = a, *y = b;
    uint32_t cx = gn_le_u32(x), cy = gn_le_u32(y);
    uint64_t px = gn_le_u64(x + 8), py = gn_le_u64(y + 8);
    if (cx != cy) return cx < cy ? -1 : 1;
    return px < py ? -1 : px > py;
}

int segment_writer_finish(struct segment_writer *w, struct gn_err *err)
{
    uint8_t h[HEADER_BYTES] = {0};
    uint64_t samples_off, call_off = 0, phase_off = 0, index_off;
    size_t call_rlen = 0, call_clen = 0, phase_rlen = 0, phase_clen = 0;
    uint32_t call_crc = 0, phase_crc = 0;
    int rc;

    if ((rc = flush_block(w, err)) < 0) return rc;
    /* Sample table. */
    gn_buf_reset(&w->tmp);
    for (uint32_t i = 0; i < w->n_samples; i++) {
        if ((rc = gn_buf_put_u32(&w->tmp, w->sample_ids[i])) < 0) return gn_errf(err, rc, "oom");
    }
    uint32_t samples_crc = crc(w->tmp.data, w->tmp.len);
    if ((rc = write_section(w, w->tmp.data, w->tmp.len, &samples_off, err)) < 0) return rc;
    if (w->flags & SEGMENT_FLAG_CALLABILITY) {
        if ((rc = encode_callability(w, &call_rlen, err)) < 0) return rc;
        call_clen = w->comp.len;
        call_crc = crc(w->comp.data, w->comp.len);
        if ((rc = write_section(w, w->comp.data, w->comp.len, &call_off, err)) < 0) return rc;
    }
    if (w->flags & SEGMENT_FLAG_PHASESETS) {
        if ((rc = encode_phase_sets(w, &phase_rlen, err)) < 0) return rc;
        phase_clen = w->comp.len;
        phase_crc = crc(w->comp.data, w->comp.len);
        if ((rc = write_section(w, w->comp.data, w->comp.len, &phase_off, err)) < 0) return rc;
    }
    /* Block index, sorted by (contig, first position) whatever the input's contig order. */
    qsort(w->index.data, w->n_blocks, INDEX_ENTRY_BYTES, cmp_entry);
    uint32_t index_crc = crc(w->index.data, w->index.len);
    if ((rc = write_section(w, w->index.data, w->index.len, &index_off, err)) < 0) return rc;

    memcpy(h, SEGMENT_MAGIC, sizeof SEGMENT_MAGIC - 1); /* 8 bytes, no NUL in the file */
    gn_le_put_u32(h + 8, SEGMENT_VERSION);
    gn_le_put_u32(h + 12, w->flags);
    gn_le_put_u32(h + 16, w->n_samples);
    gn_le_put_u32(h + 20, w->n_blocks);
    gn_le_put_u64(h + 24, w->n_records);
    gn_le_put_u64(h + 32, w->n_sites);
    gn_le_put_u64(h + 40, samples_off);
    gn_le_put_u32(h + 48, (uint32_t)((uint64_t)w->n_samples * 4));
    gn_le_put_u32(h + 52, samples_crc);
    gn_le_put_u64(h + 56, call_off);
    gn_le_put_u32(h + 64, (uint32_t)call_clen);
    gn_le_put_u32(h + 68, (uint32_t)call_rlen);
    gn_le_put_u32(h + 72, call_crc);
    gn_le_put_u64(h + 80, index_off);
    gn_le_put_u32(h + 88, (uint32_t)w->index.len);
    gn_le_put_u32(h + 92, index_crc);
    gn_le_put_u64(h + 96, phase_off);
    gn_le_put_u32(h + 104, (uint32_t)phase_clen);
    gn_le_put_u32(h + 108, (uint32_t)phase_rlen);
    gn_le_put_u32(h + 112, phase_crc);
    gn_le_put_u32(h + 124, crc(h, 124));
    if (pwrite(w->fd, h, sizeof h, 0) != (ssize_t)sizeof h) {
        return gn_errf(err, GN_EIO, "%s: writing header: %s", w->path, strerror(errno));
    }
    if (fsync(w->fd) < 0) return gn_errf(err, GN_EIO, "%s: fsync: %s", w->path, strerror(errno));
    w->finished = 1;
    return GN_OK;
}

void segment_writer_free(struct segment_writer *w)
{
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    if (!w->finished && w->fd >= 0 && w->path) unlink(w->path);
    if (w->call) {
        for (uint32_t i = 0; i < w->n_samples; i++) {
            gn_free(w->call[i].iv);
        }
        gn_free(w->call);
    }
    if (w->phase) {
        for (uint32_t i = 0; i < w->n_samples; i++) {
            gn_free(w->phase[i].v);
        }
        gn_free(w->phase);
    }
    gn_free(w->rec);
    gn_free(w->site);
    gn_free(w->planes);
    gn_free(w->miss0);
    gn_free(w->pat);
    gn_free(w->hid);
    gn_free(w->rep);
    gn_free(w->htab);
    gn_buf_free(&w->strs);
    gn_buf_free(&w->pieces);
    gn_buf_free(&w->table);
    gn_buf_free(&w->payload);
    gn_buf_free(&w->comp);
    gn_buf_free(&w->index);
    gn_buf_free(&w->tmp);
    ZSTD_freeCCtx(w->cctx);
    gn_free(w->lz4hc);
    gn_free(w->contig_seen);
    gn_free(w->sample_ids);
    gn_free(w->path);
    gn_free(w);
}

/* ------------------------------------------------------------------------------------ */
/* Reader                                                                                */
/* ------------------------------------------------------------------------------------ */

struct blkent {
    struct segment_block_info info;
    uint64_t off;
    uint32_t tclen, trlen, tcrc, pclen, prlen, pcrc;
    uint32_t codec; /* BLOCK_* */
};

struct idpair {
    uint32_t global, local;
};

struct segment {
    char *path;
    int fd;
    uint64_t file_bytes;
    uint32_t version, flags, n_samples, n_blocks;
    uint64_t n_records, n_sites;
    uint32_t *sample_ids;
    struct idpair *by_global; /* sorted by global id */
    struct blkent *blk;
    /* callability: intervals of sample i are iv[call_off[i] .. call_off[i+1]) */
    uint64_t *call_off;
    struct segment_interval *iv;
    /* phase sets: change points of sample i are pc[pc_off[i] .. pc_off[i+1]) */
    uint64_t *pc_off;
    struct segment_phase_change *pc;
};

#define CORRUPT(err, s, ...) gn_errf((err), GN_ECORRUPT, __VA_ARGS__)

static int cmp_idpair(const void *a, const void *b)
{
    const struct idpair *x = a, *y = b;
    return x->global < y->global ? -1 : x->global > y->global;
}

/* Reads the zstd section of clen bytes at off (CRC want_crc) and decompresses it into *raw
 * (owned by the caller, exactly rlen bytes). what names it in messages. */
static int read_section(struct segment *s, uint64_t off, uint32_t clen, uint32_t rlen,
                        uint32_t want_crc, const char *what, uint8_t **raw, struct gn_err *err)
{
    uint8_t *comp = NULL;
    int rc;
    *raw = NULL;
    if (off < HEADER_BYTES || off > s->file_bytes || clen > s->file_bytes - off ||
        rlen > SEGMENT_MAX_BLOCK_BYTES) {
        return CORRUPT(err, s, "%s: %s section out of bounds", s->path, what);
    }
    comp = gn_malloc(clen ? clen : 1);
    *raw = gn_malloc(rlen ? rlen : 1);
    if (!comp || !*raw) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = fsutil_pread_full(s->fd, comp, clen, off, s->path, err)) < 0) goto fail;
    if (crc(comp, clen) != want_crc) {
        rc = CORRUPT(err, s, "%s: %s section checksum mismatch", s->path, what);
        goto fail;
    }
    size_t got = ZSTD_decompress(*raw, rlen, comp, clen);
    if (ZSTD_isError(got) || got != rlen) {
        rc = CORRUPT(err, s, "%s: %s section does not decompress", s->path, what);
        goto fail;
    }
    gn_free(comp);
    return GN_OK;
fail:
    gn_free(comp);
    gn_free(*raw);
    *raw = NULL;
    return rc;
}

static int load_callability(struct segment *s, uint64_t off, uint32_t clen, uint32_t rlen,
                            uint32_t want_crc, struct gn_err *err)
{
    uint8_t *raw = NULL;
    struct gn_rd rd;
    uint64_t n_iv = 0, cap = 0;
    int rc;

    if ((rc = read_section(s, off, clen, rlen, want_crc, "callability", &raw, err)) < 0) return rc;
    if (!(s->call_off = gn_calloc((size_t)s->n_samples + 1, sizeof *s->call_off))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    gn_rd_init(&rd, raw, rlen);
    for (uint32_t i = 0; i < s->n_samples && !rd.bad; i++) {
        uint64_t n = gn_rd_varint(&rd);
        s->call_off[i] = n_iv;
        /* an interval takes 3 bytes at least */
        if (rd.bad || n > (uint64_t)(rd.end - rd.p) / 3) {
            rd.bad = 1;
            break;
        }
        for (uint64_t j = 0; j < n; j++) {
            if (n_iv == cap) { /* grown as parsed, never by a count read from the file */
                struct segment_interval *iv =
                    gn_reallocarray(s->iv, cap ? 2 * cap : 64, sizeof *iv);
                if (!iv) {
                    rc = gn_errf(err, GN_ENOMEM, "out of memory");
                    goto out;
                }
                s->iv = iv;
                cap = cap ? 2 * cap : 64;
            }
            struct segment_interval *v = &s->iv[n_iv];
            uint64_t contig = gn_rd_varint(&rd), start = gn_rd_varint(&rd), len = gn_rd_varint(&rd);
            if (rd.bad || contig > UINT32_MAX || start < 1 || start > INT64_MAX ||
                len > (uint64_t)INT64_MAX - start) {
                rd.bad = 1;
                break;
            }
            v->contig = (uint32_t)contig;
            v->start = (int64_t)start;
            v->end = (int64_t)(start + len);
            if (j && (v->contig < v[-1].contig ||
                      (v->contig == v[-1].contig && v->start <= v[-1].end))) {
                rd.bad = 1;
                break;
            }
            n_iv++;
        }
    }
    if (rd.bad || rd.p != rd.end) {
        rc = CORRUPT(err, s, "%s: callability section malformed", s->path);
        goto out;
    }
    s->call_off[s->n_samples] = n_iv;
    rc = GN_OK;
out:
    gn_free(raw);
    return rc;
}

static int load_phase_sets(struct segment *s, uint64_t off, uint32_t clen, uint32_t rlen,
                           uint32_t want_crc, struct gn_err *err)
{
    uint8_t *raw = NULL;
    struct gn_rd rd;
    uint64_t n_pc = 0, cap = 0;
    int rc;

    if ((rc = read_section(s, off, clen, rlen, want_crc, "phase-set", &raw, err)) < 0) return rc;
    if (!(s->pc_off = gn_calloc((size_t)s->n_samples + 1, sizeof *s->pc_off))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    gn_rd_init(&rd, raw, rlen);
    for (uint32_t i = 0; i < s->n_samples; i++) {
        uint64_t n = gn_rd_varint(&rd);
        s->pc_off[i] = n_pc;
        /* a point takes 3 bytes at least */
        if (rd.bad || n > (uint64_t)(rd.end - rd.p) / 3) {
            rd.bad = 1;
            break;
        }
        for (uint64_t j = 0; j < n; j++) {
            if (n_pc + j == cap) { /* grown as parsed, never by a count read from the file */
                struct segment_phase_change *pc =
                    gn_reallocarray(s->pc, cap ? 2 * cap : 64, sizeof *pc);
                if (!pc) {
                    rc = gn_errf(err, GN_ENOMEM, "out of memory");
                    goto out;
                }
                s->pc = pc;
                cap = cap ? 2 * cap : 64;
            }
            struct segment_phase_change *v = &s->pc[n_pc + j];
            uint64_t contig = gn_rd_varint(&rd), pos = gn_rd_varint(&rd);
            v->set = gn_rd_varint(&rd);
            if (contig > UINT32_MAX || pos < 1 || pos > INT64_MAX ||
                v->set > SEGMENT_MAX_PHASE_SET) {
                rd.bad = 1;
                break;
            }
            v->contig = (uint32_t)contig;
            v->pos = (int64_t)pos;
            if (j &&
                (v->contig < v[-1].contig || (v->contig == v[-1].contig && v->pos <= v[-1].pos))) {
                rd.bad = 1;
                break;
            }
        }
        if (rd.bad) break;
        n_pc += n;
    }
    if (rd.bad || rd.p != rd.end) {
        rc = CORRUPT(err, s, "%s: phase-set section malformed", s->path);
        goto out;
    }
    s->pc_off[s->n_samples] = n_pc;
    rc = GN_OK;
out:
    gn_free(raw);
    return rc;
}

static int parse_index(struct segment *s, const uint8_t *p, struct gn_err *err)
{
    for (uint32_t i = 0; i < s->n_blocks; i++, p += INDEX_ENTRY_BYTES) {
        struct blkent *b = &s->blk[i];
        b->info.contig = gn_le_u32(p);
        b->info.n_records = gn_le_u32(p + 4);
        b->info.first_pos = (int64_t)gn_le_u64(p + 8);
        b->info.last_pos = (int64_t)gn_le_u64(p + 16);
        b->off = gn_le_u64(p + 24);
        b->tclen = gn_le_u32(p + 32);
        b->trlen = gn_le_u32(p + 36);
        b->tcrc = gn_le_u32(p + 40);
        b->pclen = gn_le_u32(p + 44);
        b->prlen = gn_le_u32(p + 48);
        b->pcrc = gn_le_u32(p + 52);
        b->info.n_sites = gn_le_u32(p + 56);
        b->codec = s->version >= 3 ? gn_le_u32(p + 60) : BLOCK_ZSTD;
        if (b->codec != BLOCK_ZSTD && b->codec != BLOCK_LZ4) {
            return CORRUPT(err, s, "%s: block index entry %u: unknown codec %u", s->path, i,
                           b->codec);
        }
        if (b->off < HEADER_BYTES || b->off > s->file_bytes ||
            (uint64_t)b->tclen + b->pclen > s->file_bytes - b->off ||
            b->trlen > SEGMENT_MAX_BLOCK_BYTES || b->prlen > SEGMENT_MAX_BLOCK_BYTES ||
            b->info.first_pos < 1 || b->info.last_pos < b->info.first_pos ||
            b->info.n_records == 0 || b->info.n_records > b->trlen || b->info.n_sites > b->trlen) {
            return CORRUPT(err, s, "%s: block index entry %u is invalid", s->path, i);
        }
        if (i &&
            (b->info.contig < b[-1].info.contig ||
             (b->info.contig == b[-1].info.contig && b->info.first_pos < b[-1].info.last_pos))) {
            return CORRUPT(err, s, "%s: block index not sorted at entry %u", s->path, i);
        }
    }
    return GN_OK;
}

int segment_open(struct segment **out, const char *path, struct gn_err *err)
{
    struct segment *s = NULL;
    uint8_t h[HEADER_BYTES], *tmp = NULL;
    struct stat st;
    int rc;

    *out = NULL;
    s = gn_calloc(1, sizeof *s);
    if (!s || !(s->path = gn_strdup(path))) {
        gn_free(s);
        return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        rc = gn_errf(err, gn_err_from_errno(errno), "%s: %s", path, strerror(errno));
        goto fail;
    }
    if (fstat(s->fd, &st) < 0) {
        rc = gn_errf(err, GN_EIO, "%s: stat: %s", path, strerror(errno));
        goto fail;
    }
    s->file_bytes = (uint64_t)st.st_size;
    if (s->file_bytes < HEADER_BYTES) {
        rc = CORRUPT(err, s, "%s: too short to be a segment", path);
        goto fail;
    }
    if ((rc = fsutil_pread_full(s->fd, h, sizeof h, 0, path, err)) < 0) goto fail;
    if (memcmp(h, SEGMENT_MAGIC, 8) != 0) {
        rc = CORRUPT(err, s, "%s: not a genomenode segment (bad magic)", path);
        goto fail;
    }
    if (gn_le_u32(h + 124) != crc(h, 124)) {
        rc = CORRUPT(err, s, "%s: header checksum mismatch (incomplete or damaged)", path);
        goto fail;
    }
    s->version = gn_le_u32(h + 8);
    if (s->version < 1 || s->version > SEGMENT_VERSION) {
        rc = gn_errf(err, GN_EFORMAT, "%s: segment format version %u, this build reads 1..%u", path,
                     s->version, SEGMENT_VERSION);
        goto fail;
    }
    s->flags = gn_le_u32(h + 12);
    s->n_samples = gn_le_u32(h + 16);
    s->n_blocks = gn_le_u32(h + 20);
    s->n_records = gn_le_u64(h + 24);
    s->n_sites = gn_le_u64(h + 32);
    uint64_t samples_off = gn_le_u64(h + 40), index_off = gn_le_u64(h + 80);
    uint32_t samples_len = gn_le_u32(h + 48), index_len = gn_le_u32(h + 88);
    if (s->n_samples == 0 || s->n_samples > SEGMENT_MAX_SAMPLES ||
        samples_len != s->n_samples * 4u || samples_off > s->file_bytes ||
        samples_len > s->file_bytes - samples_off || index_off > s->file_bytes ||
        index_len > s->file_bytes - index_off ||
        (uint64_t)index_len != (uint64_t)s->n_blocks * INDEX_ENTRY_BYTES) {
        rc = CORRUPT(err, s, "%s: header fields out of bounds", path);
        goto fail;
    }
    /* Sample table. */
    tmp = gn_malloc(samples_len > index_len ? samples_len : index_len);
    s->sample_ids = gn_reallocarray(NULL, s->n_samples, sizeof *s->sample_ids);
    s->by_global = gn_reallocarray(NULL, s->n_samples, sizeof *s->by_global);
    s->blk = gn_calloc(s->n_blocks ? s->n_blocks : 1, sizeof *s->blk);
    if (!tmp || !s->sample_ids || !s->by_global || !s->blk) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = fsutil_pread_full(s->fd, tmp, samples_len, samples_off, path, err)) < 0) goto fail;
    if (crc(tmp, samples_len) != gn_le_u32(h + 52)) {
        rc = CORRUPT(err, s, "%s: sample table checksum mismatch", path);
        goto fail;
    }
    int sorted = 1;
    for (uint32_t i = 0; i < s->n_samples; i++) {
        s->sample_ids[i] = gn_le_u32(tmp + 4 * (size_t)i);
        s->by_global[i] = (struct idpair){s->sample_ids[i], i};
        sorted &= i == 0 || s->sample_ids[i] > s->sample_ids[i - 1];
    }
    /* An ingest hands out consecutive ids, so the table is usually sorted already. */
    if (!sorted) qsort(s->by_global, s->n_samples, sizeof *s->by_global, cmp_idpair);
    for (uint32_t i = 1; i < s->n_samples; i++) {
        if (s->by_global[i].global == s->by_global[i - 1].global) {
            rc = CORRUPT(err, s, "%s: sample id %u appears twice", path, s->by_global[i].global);
            goto fail;
        }
    }
    /* Block index. */
    if ((rc = fsutil_pread_full(s->fd, tmp, index_len, index_off, path, err)) < 0) goto fail;
    if (crc(tmp, index_len) != gn_le_u32(h + 92)) {
        rc = CORRUPT(err, s, "%s: block index checksum mismatch", path);
        goto fail;
    }
    if ((rc = parse_index(s, tmp, err)) < 0) goto fail;
    if (s->flags & SEGMENT_FLAG_CALLABILITY) {
        rc = load_callability(s, gn_le_u64(h + 56), gn_le_u32(h + 64), gn_le_u32(h + 68),
                              gn_le_u32(h + 72), err);
        if (rc < 0) goto fail;
    }
    /* Versions 1 to 3 have no phase sets: bytes 96..115 were reserved there. */
    if (s->version >= 4 && (s->flags & SEGMENT_FLAG_PHASESETS)) {
        rc = load_phase_sets(s, gn_le_u64(h + 96), gn_le_u32(h + 104), gn_le_u32(h + 108),
                             gn_le_u32(h + 112), err);
        if (rc < 0) goto fail;
    }
    gn_free(tmp);
    *out = s;
    return GN_OK;
fail:
    gn_free(tmp);
    segment_close(s);
    return rc;
}

void segment_close(struct segment *s)
{
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    gn_free(s->path);
    gn_free(s->sample_ids);
    gn_free(s->by_global);
    gn_free(s->blk);
    gn_free(s->call_off);
    gn_free(s->iv);
    gn_free(s->pc_off);
    gn_free(s->pc);
    gn_free(s);
}

const char *segment_path(const struct segment *s)
{
    return s->path;
}
uint32_t segment_n_samples(const struct segment *s)
{
    return s->n_samples;
}
const uint32_t *segment_sample_ids(const struct segment *s)
{
    return s->sample_ids;
}
uint64_t segment_n_records(const struct segment *s)
{
    return s->n_records;
}
uint64_t segment_n_sites(const struct segment *s)
{
    return s->n_sites;
}
uint64_t segment_file_bytes(const struct segment *s)
{
    return s->file_bytes;
}
uint32_t segment_n_blocks(const struct segment *s)
{
    return s->n_blocks;
}
int segment_has_callability(const struct segment *s)
{
    return s->call_off != NULL;
}
int segment_has_phase_sets(const struct segment *s)
{
    return s->pc_off != NULL;
}

const struct segment_block_info *segment_block_info(const struct segment *s, uint32_t i)
{
    return i < s->n_blocks ? &s->blk[i].info : NULL;
}

uint32_t segment_find_block(const struct segment *s, uint32_t contig, int64_t pos)
{
    uint32_t lo = 0, hi = s->n_blocks;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct segment_block_info *b = &s->blk[mid].info;
        if (b->contig < contig || (b->contig == contig && b->last_pos < pos)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

int64_t segment_local_index(const struct segment *s, uint32_t global_id)
{
    struct idpair key = {global_id, 0}, *hit;
    hit = bsearch(&key, s->by_global, s->n_samples, sizeof key, cmp_idpair);
    return hit ? (int64_t)hit->local : -1;
}

void segment_block_init(struct segment_block *b)
{
    memset(b, 0, sizeof *b);
    b->index = UINT32_MAX;
}

void segment_block_free(struct segment_block *b)
{
    if (!b) return;
    gn_free(b->rec);
    gn_free(b->site);
    gn_free(b->table);
    gn_free(b->payload);
    gn_free(b->comp);
    gn_free(b->scratch);
    gn_free(b->tile_ac);
    gn_free(b->tile_hist);
    segment_block_init(b);
}

static int grow(uint8_t **p, size_t *cap, size_t need)
{
    if (need <= *cap) return GN_OK;
    uint8_t *q = gn_reallocarray(*p, need, 1);
    if (!q) return GN_ENOMEM;
    *p = q;
    *cap = need;
    return GN_OK;
}

/* gn_rd_varint with the one- to three-byte cases inline: carrier deltas and record-table
 * fields are small, and these are the inner loops of sub-cohort counts and of every block
 * load (a point lookup parses a whole record table). */
static inline uint64_t rd_varint(struct gn_rd *rd)
{
    if (rd->end - rd->p >= 3) {
        uint8_t a = rd->p[0];
        if (a < 0x80) {
            rd->p++;
            return a;
        }
        uint8_t b = rd->p[1];
        if (b < 0x80) {
            rd->p += 2;
            return (uint64_t)(a & 0x7f) | (uint64_t)b << 7;
        }
        uint8_t c = rd->p[2];
        if (c < 0x80) {
            rd->p += 3;
            return (uint64_t)(a & 0x7f) | (uint64_t)(b & 0x7f) << 7 | (uint64_t)c << 14;
        }
    }
    return gn_rd_varint(rd);
}

/* gn_rd_str with rd_varint. */
static inline const char *rd_str(struct gn_rd *rd, size_t *n, size_t max)
{
    uint64_t len = rd_varint(rd);
    if (rd->bad || len > max || len > (uint64_t)(rd->end - rd->p)) {
        rd->bad = 1;
        *n = 0;
        return NULL;
    }
    const char *p = (const char *)rd->p;
    rd->p += len;
    *n = (size_t)len;
    return p;
}

static int parse_table(const struct segment *s, const struct blkent *e, struct segment_block *b,
                       uint32_t i, struct gn_err *err)
{
    struct gn_rd rd;
    int64_t pos = e->info.first_pos;
    uint64_t cursor = 0;
    uint32_t ns = 0;

    if (e->info.n_records > b->rec_cap) {
        struct segment_record *r = gn_reallocarray(b->rec, e->info.n_records, sizeof *r);
        if (!r) return gn_errf(err, GN_ENOMEM, "out of memory");
        b->rec = r;
        b->rec_cap = e->info.n_records;
    }
    if (e->info.n_sites > b->site_cap) {
        struct segment_site *st = gn_reallocarray(b->site, e->info.n_sites, sizeof *st);
        if (!st) return gn_errf(err, GN_ENOMEM, "out of memory");
        b->site = st;
        b->site_cap = e->info.n_sites;
    }
    gn_rd_init(&rd, b->table, e->trlen);
    if (s->version >= 2) { /* the tile's bytes open the payload */
        uint64_t tl = rd_varint(&rd);
        if (tl > e->prlen) rd.bad = 1;
        cursor = tl;
    }
    b->tile_len = (uint32_t)cursor;
    for (uint32_t r = 0; r < e->info.n_records && !rd.bad; r++) {
        struct segment_record *rec = &b->rec[r];
        size_t len;
        uint64_t d = rd_varint(&rd);
        if (d > (uint64_t)(e->info.last_pos - pos)) rd.bad = 1;
        pos += (int64_t)d;
        rec->pos = pos;
        rec->ref = rd_str(&rd, &len, GTREC_MAX_ALLELE_LEN);
        rec->ref_len = (uint32_t)len;
        rec->an = (uint32_t)rd_varint(&rd);
        uint64_t shared = rd_varint(&rd);
        uint64_t n_alt = rd_varint(&rd);
        if (n_alt > GTREC_MAX_ALT || ns + n_alt > e->info.n_sites || shared > e->prlen ||
            cursor + shared > e->prlen || !rec->ref || rec->ref_len == 0) {
            rd.bad = 1;
            break;
        }
        rec->shared_off = (uint32_t)cursor;
        rec->shared_len = (uint32_t)shared;
        cursor += shared;
        rec->n_alt = (uint32_t)n_alt;
        rec->first_site = ns;
        for (uint32_t k = 0; k < n_alt && !rd.bad; k++, ns++) {
            struct segment_site *st = &b->site[ns];
            st->alt = rd_str(&rd, &len, GTREC_MAX_ALLELE_LEN);
            st->alt_len = (uint32_t)len;
            st->ac = (uint32_t)rd_varint(&rd);
            st->het = (uint32_t)rd_varint(&rd);
            st->hom = (uint32_t)rd_varint(&rd);
            uint64_t pl = rd_varint(&rd);
            if (!st->alt || len == 0 || pl > e->prlen || cursor + pl > e->prlen) rd.bad = 1;
            st->payload_off = (uint32_t)cursor;
            st->payload_len = (uint32_t)pl;
            cursor += pl;
        }
    }
    if (rd.bad || rd.p != rd.end || ns != e->info.n_sites || cursor != e->prlen ||
        pos != e->info.last_pos) {
        return CORRUPT(err, s, "%s: block %u: record table is malformed", s->path, i);
    }
    b->n_records = e->info.n_records;
    b->n_sites = ns;
    return GN_OK;
}

/* One zstd decompression context per thread, kept for the thread's life: ZSTD_decompress
 * would allocate (and page-fault in) a fresh one on every block, which dominated point
 * lookups and REF checks. Freed by the key's destructor when a thread ends. */
static pthread_key_t dctx_key;
static pthread_once_t dctx_once = PTHREAD_ONCE_INIT;
static int dctx_key_ok;

static void dctx_free(void *p)
{
    ZSTD_freeDCtx(p);
}

static void dctx_init(void)
{
    dctx_key_ok = pthread_key_create(&dctx_key, dctx_free) == 0;
}

static ZSTD_DCtx *thread_dctx(void)
{
    ZSTD_DCtx *d;
    if (pthread_once(&dctx_once, dctx_init) != 0 || !dctx_key_ok) return NULL;
    if (!(d = pthread_getspecific(dctx_key)) && (d = ZSTD_createDCtx()) &&
        pthread_setspecific(dctx_key, d) != 0) {
        ZSTD_freeDCtx(d);
        d = NULL;
    }
    return d;
}

/* Decompresses a section of untrusted bytes into exactly rlen bytes at dst; 0 if it does
 * not decode to that. LZ4_decompress_safe never reads or writes outside its buffers. */
static int block_decompress(uint32_t codec, ZSTD_DCtx *dctx, uint8_t *dst, uint32_t rlen,
                            const uint8_t *src, uint32_t clen)
{
    if (codec == BLOCK_LZ4) {
        if (rlen == 0) return clen == 0;
        if (rlen > INT32_MAX || clen > INT32_MAX) return 0;
        return LZ4_decompress_safe((const char *)src, (char *)dst, (int)clen, (int)rlen) ==
               (int)rlen;
    }
    size_t got = ZSTD_decompressDCtx(dctx, dst, rlen, src, clen);
    return !ZSTD_isError(got) && got == rlen;
}

/* Checks the block's tile (untrusted bytes) and points the block at it: sizes exact and
 * pattern bits past the last column clear. Pattern numbers are checked where they are
 * read (a cohort count reads only the cohort's). */
static int parse_tile(const struct segment *s, struct segment_block *b, uint32_t i,
                      struct gn_err *err)
{
    const uint8_t *t = b->payload;
    uint64_t nh = 2 * (uint64_t)s->n_samples;

    b->tile_cols = b->tile_npat = b->tile_idb = b->tile_pw = 0;
    b->tile_pat = b->tile_ids = NULL;
    b->tile_ac_ok = 0;
    if (!b->tile_len) return GN_OK;
    if (b->tile_len < TILE_HEADER_BYTES) goto bad;
    uint32_t cols = gn_le_u32(t), npat = gn_le_u32(t + 4), idb = gn_le_u32(t + 8);
    if (cols == 0 || cols > b->n_sites || npat == 0 || npat > nh ||
        (idb != 1 && idb != 2 && idb != 4) || gn_le_u32(t + 12) != 0)
        goto bad;
    uint64_t pw = (cols + 63) / 64, pat_bytes = (uint64_t)npat * pw * 8;
    if ((uint64_t)TILE_HEADER_BYTES + pat_bytes + nh * idb != b->tile_len) goto bad;
    b->tile_pat = t + TILE_HEADER_BYTES;
    b->tile_ids = b->tile_pat + pat_bytes;
    if (cols % 64) {
        uint64_t pad = ~0ull << (cols % 64);
        for (uint32_t p = 0; p < npat; p++)
            if (load64(b->tile_pat + ((uint64_t)p * pw + pw - 1) * 8) & pad) goto bad;
    }
    b->tile_cols = cols;
    b->tile_npat = npat;
    b->tile_idb = idb;
    b->tile_pw = (uint32_t)pw;
    return GN_OK;
bad:
    b->tile_pat = b->tile_ids = NULL;
    return CORRUPT(err, s, "%s: block %u: haplotype tile is malformed", s->path, i);
}

int segment_block_load(const struct segment *s, uint32_t i, struct segment_block *b,
                       int need_payload, struct gn_err *err)
{
    const struct blkent *e;
    size_t clen;
    int rc;

    if (i >= s->n_blocks) return gn_errf(err, GN_EINVAL, "block %u out of range", i);
    if (b->index == i && (b->has_payload || !need_payload)) return GN_OK;
    e = &s->blk[i];
    b->index = UINT32_MAX;
    b->has_payload = 0;
    clen = (size_t)e->tclen + (need_payload ? e->pclen : 0);
    if (grow(&b->comp, &b->comp_cap, clen) < 0 ||
        grow(&b->table, &b->table_cap, e->trlen + 1) < 0) {
        return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    if ((rc = fsutil_pread_full(s->fd, b->comp, clen, e->off, s->path, err)) < 0) return rc;
    if (crc(b->comp, e->tclen) != e->tcrc) {
        return CORRUPT(err, s, "%s: block %u: record table checksum mismatch", s->path, i);
    }
    ZSTD_DCtx *dctx = NULL;
    if (e->codec == BLOCK_ZSTD && !(dctx = thread_dctx()))
        return gn_errf(err, GN_ENOMEM, "out of memory");
    if (!block_decompress(e->codec, dctx, b->table, e->trlen, b->comp, e->tclen)) {
        return CORRUPT(err, s, "%s: block %u: record table does not decompress", s->path, i);
    }
    if ((rc = parse_table(s, e, b, i, err)) < 0) return rc;
    if (need_payload) {
        if (crc(b->comp + e->tclen, e->pclen) != e->pcrc) {
            return CORRUPT(err, s, "%s: block %u: payload checksum mismatch", s->path, i);
        }
        if (grow(&b->payload, &b->payload_cap, e->prlen + 1) < 0) {
            return gn_errf(err, GN_ENOMEM, "out of memory");
        }
        if (!block_decompress(e->codec, dctx, b->payload, e->prlen, b->comp + e->tclen, e->pclen)) {
            return CORRUPT(err, s, "%s: block %u: payload does not decompress", s->path, i);
        }
        b->payload_len = e->prlen;
        if ((rc = parse_tile(s, b, i, err)) < 0) return rc;
        b->has_payload = 1;
    }
    b->index = i;
    b->contig = e->info.contig;
    return GN_OK;
}

/* ------------------------------------------------------------------------------------ */
/* Payload decoding                                                                      */
/* ------------------------------------------------------------------------------------ */

static inline int bit_get(const uint64_t *m, uint32_t i)
{
    return (int)((m[i >> 6] >> (i & 63)) & 1);
}


void segment_block_set_mask(struct segment_block *b, const struct segment *s, const uint64_t *mask)
{
    uint32_t words = (s->n_samples + 63) / 64, pop = 0;
    b->mask = mask;
    if (mask) {
        for (uint32_t w = 0; w < words; w++) {
            pop += (uint32_t)__builtin_popcountll(mask[w]);
        }
    }
    b->mask_pop = mask ? pop : s->n_samples;
    b->tile_ac_ok = 0;
}

/* Pattern number of haplotype h (2i: hap 0 of sample i, 2i + 1: hap 1) in the tile; not
 * yet checked against tile_npat. */
static inline uint32_t tile_id(const struct segment_block *b, uint64_t h)
{
    const uint8_t *p = b->tile_ids;
    if (b->tile_idb == 1) return p[h];
    if (b->tile_idb == 2) return (uint32_t)p[2 * h] | (uint32_t)p[2 * h + 1] << 8;
    return gn_le_u32(p + 4 * h);
}

/* Bit col of haplotype h's pattern: 0 or 1, or -1 when its pattern number is out of range. */
static inline int tile_bit(const struct segment_block *b, uint64_t h, uint32_t col)
{
    uint32_t pat = tile_id(b, h);
    if (pat >= b->tile_npat) return -1;
    const uint8_t *w = b->tile_pat + ((size_t)pat * b->tile_pw + col / 64) * 8;
    return (int)((load64(w) >> (col % 64)) & 1);
}

/* ac[c] += hist[p] for every bit c of every pattern p: the pattern's count added to the
 * columns it carries. ac holds pw * 64 counters. */
static void tile_colsum_portable(const uint8_t *pat, uint32_t pw, uint32_t np, const uint32_t *hist,
                                 uint32_t *ac)
{
    for (uint32_t p = 0; p < np; p++) {
        uint32_t c = hist[p];
        if (!c) continue;
        const uint8_t *q = pat + (size_t)p * pw * 8;
        for (uint32_t wd = 0; wd < pw; wd++)
            for (uint64_t x = load64(q + 8 * (size_t)wd); x; x &= x - 1)
                ac[wd * 64 + (unsigned)__builtin_ctzll(x)] += c;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The same with 64 counters in four registers per pattern word and masked adds: cost per
 * pattern word, not per set bit. */
__attribute__((target("avx512f"))) static void
tile_colsum_avx512(const uint8_t *pat, uint32_t pw, uint32_t np, const uint32_t *hist, uint32_t *ac)
{
    for (uint32_t wd = 0; wd < pw; wd++) {
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        for (uint32_t p = 0; p < np; p++) {
            uint32_t c = hist[p];
            if (!c) continue;
            uint64_t x = load64(pat + ((size_t)p * pw + wd) * 8);
            __m512i cv = _mm512_set1_epi32((int)c);
            a0 = _mm512_mask_add_epi32(a0, (__mmask16)x, a0, cv);
            a1 = _mm512_mask_add_epi32(a1, (__mmask16)(x >> 16), a1, cv);
            a2 = _mm512_mask_add_epi32(a2, (__mmask16)(x >> 32), a2, cv);
            a3 = _mm512_mask_add_epi32(a3, (__mmask16)(x >> 48), a3, cv);
        }
        uint32_t *o = ac + (size_t)wd * 64;
        _mm512_storeu_si512((void *)o, _mm512_add_epi32(_mm512_loadu_si512((const void *)o), a0));
        _mm512_storeu_si512((void *)(o + 16),
                            _mm512_add_epi32(_mm512_loadu_si512((const void *)(o + 16)), a1));
        _mm512_storeu_si512((void *)(o + 32),
                            _mm512_add_epi32(_mm512_loadu_si512((const void *)(o + 32)), a2));
        _mm512_storeu_si512((void *)(o + 48),
                            _mm512_add_epi32(_mm512_loadu_si512((const void *)(o + 48)), a3));
    }
}
#endif

static void tile_colsum(const uint8_t *pat, uint32_t pw, uint32_t np, const uint32_t *hist,
                        uint32_t *ac)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int have = -1; /* benign race: every thread computes the same value */
    if (have < 0) have = __builtin_cpu_supports("avx512f") ? 1 : 0;
    if (have) {
        tile_colsum_avx512(pat, pw, np, hist, ac);
        return;
    }
#endif
    tile_colsum_portable(pat, pw, np, hist, ac);
}

/* AC of every tile column over the mask: the mask's haplotypes counted per pattern, then
 * each pattern's count added to the columns it carries. */
static int tile_counts(const struct segment *s, struct segment_block *b)
{
    uint32_t np = b->tile_npat, words = (s->n_samples + 63) / 64;
    if (np > b->tile_hist_cap) {
        uint32_t *h = gn_reallocarray(b->tile_hist, np, sizeof *h);
        if (!h) return GN_ENOMEM;
        b->tile_hist = h;
        b->tile_hist_cap = np;
    }
    uint32_t ncnt = b->tile_pw * 64; /* whole words of counters */
    if (ncnt > b->tile_ac_cap) {
        uint32_t *a = gn_reallocarray(b->tile_ac, ncnt, sizeof *a);
        if (!a) return GN_ENOMEM;
        b->tile_ac = a;
        b->tile_ac_cap = ncnt;
    }
    uint32_t *hist = b->tile_hist, *ac = b->tile_ac;
    memset(hist, 0, (size_t)np * sizeof *hist);
    memset(ac, 0, (size_t)ncnt * sizeof *ac);
    for (uint32_t wd = 0; wd < words; wd++) {
        uint64_t x = b->mask ? b->mask[wd] : ~0ull;
        if (wd == words - 1 && s->n_samples % 64) x &= (1ull << (s->n_samples % 64)) - 1;
        for (; x; x &= x - 1) {
            uint64_t i = (uint64_t)wd * 64 + (unsigned)__builtin_ctzll(x);
            uint32_t p0 = tile_id(b, 2 * i), p1 = tile_id(b, 2 * i + 1);
            if (p0 >= np || p1 >= np) return GN_ECORRUPT;
            hist[p0]++;
            hist[p1]++;
        }
    }
    tile_colsum(b->tile_pat, b->tile_pw, np, hist, ac);
    b->tile_ac_ok = 1;
    return GN_OK;
}

static int ensure_scratch(const struct segment *s, struct segment_block *b)
{
    uint32_t words = (s->n_samples + 63) / 64;
    if (b->scratch_words >= words) return GN_OK;
    uint64_t *p = gn_calloc(words, sizeof *p);
    if (!p) return GN_ENOMEM;
    gn_free(b->scratch);
    b->scratch = p;
    b->scratch_words = words;
    return GN_OK;
}

static inline int64_t next_idx(struct gn_rd *rd, int64_t *prev, uint32_t n, int coded,
                               unsigned *code)
{
    uint64_t v = rd_varint(rd);
    uint64_t d = coded ? v >> 2 : v;
    if (coded) *code = (unsigned)(v & 3);
    if (rd->bad || d == 0 || d > (uint64_t)n || *prev + (int64_t)d >= (int64_t)n ||
        (coded && *code == 0)) {
        rd->bad = 1;
        return -1;
    }
    *prev += (int64_t)d;
    return *prev;
}

/* Marks sample i in b->scratch, clearing it first when it is the first mark. */
static int mark_one_hap(const struct segment *s, struct segment_block *b, int64_t i,
                        uint32_t *n_marked)
{
    if (*n_marked == 0) {
        if (ensure_scratch(s, b) < 0) return GN_ENOMEM;
        memset(b->scratch, 0, (size_t)b->scratch_words * 8);
    }
    b->scratch[i >> 6] |= 1ull << (i & 63);
    (*n_marked)++;
    return GN_OK;
}

/* Walks the shared piece for counting: AN over the mask, and marks in b->scratch the asked
 * samples with one haplotype only, haploid or half-called (one haplotype missing, `1/.`):
 * carrying the allele, they count as hom-alt, as in the writer's precomputed counts
 * (plane_counts). *n_hap_out: how many were marked (0: scratch left as it was). */
static int shared_for_stats(const struct segment *s, struct segment_block *b,
                            const struct segment_record *rec, uint32_t *an, uint32_t *n_hap_out)
{
    struct gn_rd rd;
    const uint64_t *m = b->mask;
    int64_t prev;
    unsigned code = 0;
    uint8_t flags;
    int rc;

    gn_rd_init(&rd, b->payload + rec->shared_off, rec->shared_len);
    flags = gn_rd_u8(&rd);
    *an = 2 * b->mask_pop;
    *n_hap_out = 0;
    if (flags & SHARED_MISSING) {
        uint64_t n = gn_rd_varint(&rd);
        if (n > s->n_samples) return GN_ECORRUPT;
        prev = -1;
        for (uint64_t j = 0; j < n; j++) {
            int64_t i = next_idx(&rd, &prev, s->n_samples, 1, &code);
            if (i < 0) return GN_ECORRUPT;
            if (m && !bit_get(m, (uint32_t)i)) continue;
            *an -= (code & 1) + (code >> 1);
            if (code != 3 && (rc = mark_one_hap(s, b, i, n_hap_out)) < 0) return rc;
        }
    }
    if (flags & SHARED_HAPLOID) {
        uint64_t n = gn_rd_varint(&rd);
        if (n > s->n_samples) return GN_ECORRUPT;
        prev = -1;
        for (uint64_t j = 0; j < n; j++) {
            int64_t i = next_idx(&rd, &prev, s->n_samples, 0, &code);
            if (i < 0) return GN_ECORRUPT;
            if (m && !bit_get(m, (uint32_t)i)) continue;
            (*an)--;
            if ((rc = mark_one_hap(s, b, i, n_hap_out)) < 0) return rc;
        }
    }
    return rd.bad ? GN_ECORRUPT : GN_OK;
}

/* AND + popcount over the bitplanes; hh holds the one-haplotype samples (hap, from
 * shared_for_stats) with one copy, counted hom-alt. Built twice: with the POPCNT
 * instruction (x86-64 since 2008, chosen at run time) and portable; Debian's x86-64 baseline
 * lacks it, and the libgcc fallback costs a call per word. */
#define DENSE_STATS_BODY                                                                           \
    for (size_t w = 0; w < nw; w++) {                                                              \
        uint64_t a = load64(h0 + 8 * w) & m[w], c = load64(h1 + 8 * w) & m[w];                     \
        uint64_t hh = hap ? (a ^ c) & hap[w] : 0;                                                  \
        ac += (uint32_t)(__builtin_popcountll(a) + __builtin_popcountll(c));                       \
        hom += (uint32_t)(__builtin_popcountll(a & c) + __builtin_popcountll(hh));                 \
        het += (uint32_t)(__builtin_popcountll(a ^ c) - __builtin_popcountll(hh));                 \
    }

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("popcnt"))) static void
dense_stats_popcnt(const uint8_t *h0, const uint8_t *h1, const uint64_t *m, const uint64_t *hap,
                   size_t nw, struct segment_stats *out)
{
    uint32_t ac = 0, het = 0, hom = 0;
    DENSE_STATS_BODY
    out->ac += ac;
    out->het += het;
    out->hom += hom;
}
#endif

static void dense_stats_portable(const uint8_t *h0, const uint8_t *h1, const uint64_t *m,
                                 const uint64_t *hap, size_t nw, struct segment_stats *out)
{
    uint32_t ac = 0, het = 0, hom = 0;
    DENSE_STATS_BODY
    out->ac += ac;
    out->het += het;
    out->hom += hom;
}

static void dense_stats(const uint8_t *h0, const uint8_t *h1, const uint64_t *m,
                        const uint64_t *hap, size_t nw, struct segment_stats *out)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int have = -1; /* benign race: every thread computes the same value */
    if (have < 0) have = __builtin_cpu_supports("popcnt") ? 1 : 0;
    if (have) {
        dense_stats_popcnt(h0, h1, m, hap, nw, out);
        return;
    }
#endif
    dense_stats_portable(h0, h1, m, hap, nw, out);
}

int segment_site_stats(const struct segment *s, struct segment_block *b, uint32_t r, uint32_t k,
                       struct segment_stats *out, struct gn_err *err)
{
    const struct segment_record *rec = &b->rec[r];
    const struct segment_site *st = &b->site[k];
    const uint64_t *m = b->mask, *hap;
    uint32_t n_hap;
    struct gn_rd rd;
    int rc;

    if (!m) {
        *out = (struct segment_stats){st->ac, rec->an, st->het, st->hom};
        return GN_OK;
    }
    if (b->mask_pop == 0) { /* no sample of this segment asked: nothing to decode */
        *out = (struct segment_stats){0, 0, 0, 0};
        return GN_OK;
    }
    if (!b->has_payload) return gn_errf(err, GN_EINTERNAL, "masked count needs the payload");
    if ((rc = shared_for_stats(s, b, rec, &out->an, &n_hap)) < 0) goto bad;
    hap = n_hap ? b->scratch : NULL;
    out->ac = out->het = out->hom = 0;
    gn_rd_init(&rd, b->payload + st->payload_off, st->payload_len);
    uint8_t enc = gn_rd_u8(&rd);
    if (enc == SITE_DENSE) {
        size_t pb = plane_bytes(s->n_samples);
        const uint8_t *h0 = gn_rd_bytes(&rd, pb), *h1 = gn_rd_bytes(&rd, pb);
        if (!h0 || !h1 || rd.p != rd.end) goto bad;
        dense_stats(h0, h1, m, hap, pb / 8, out);
        return GN_OK;
    }
    if (enc == SITE_TILED) {
        uint64_t col = gn_rd_varint(&rd);
        if (rd.bad || rd.p != rd.end || !b->tile_pat || col >= b->tile_cols) goto bad;
        if (!b->tile_ac_ok && (rc = tile_counts(s, b)) < 0) goto bad;
        out->ac = b->tile_ac[col];
        if (b->ac_only) return GN_OK;
        uint32_t words = (s->n_samples + 63) / 64;
        for (uint32_t wd = 0; wd < words; wd++) {
            for (uint64_t x = m[wd]; x; x &= x - 1) {
                uint64_t i = (uint64_t)wd * 64 + (unsigned)__builtin_ctzll(x);
                if (i >= s->n_samples) break;
                int b0 = tile_bit(b, 2 * i, (uint32_t)col),
                    b1 = tile_bit(b, 2 * i + 1, (uint32_t)col);
                if (b0 < 0 || b1 < 0) goto bad;
                unsigned c = (unsigned)b0 | (unsigned)b1 << 1;
                if (!c) continue;
                if (c == 3 || (hap && bit_get(hap, (uint32_t)i)))
                    out->hom++;
                else
                    out->het++;
            }
        }
        return GN_OK;
    }
    if (enc != SITE_SPARSE) goto bad;
    uint64_t n = gn_rd_varint(&rd);
    if (n > s->n_samples) goto bad;
    int64_t prev = -1;
    unsigned code = 0;
    /* Branch-free in the mask test: a random cohort makes "is this carrier asked?" a coin
     * toss the branch predictor loses, on every carrier of every rare site. */
    if (b->ac_only) {
        uint32_t ac = 0;
        for (uint64_t j = 0; j < n; j++) {
            int64_t i = next_idx(&rd, &prev, s->n_samples, 1, &code);
            if (i < 0) goto bad;
            ac += (uint32_t)bit_get(m, (uint32_t)i) * ((code & 1) + (code >> 1));
        }
        out->ac = ac;
    } else {
        uint32_t ac = 0, hom = 0, sel_n = 0;
        for (uint64_t j = 0; j < n; j++) {
            int64_t i = next_idx(&rd, &prev, s->n_samples, 1, &code);
            if (i < 0) goto bad;
            unsigned sel = (unsigned)bit_get(m, (uint32_t)i);
            unsigned both = code == 3 || (hap && bit_get(hap, (uint32_t)i));
            ac += sel * ((code & 1) + (code >> 1));
            hom += sel & both;
            sel_n += sel;
        }
        out->ac = ac;
        out->hom = hom;
        out->het = sel_n - hom;
    }
    if (rd.bad || rd.p != rd.end) goto bad;
    return GN_OK;
bad:
    if (rc == GN_ENOMEM) return gn_errf(err, GN_ENOMEM, "out of memory");
    return CORRUPT(err, s, "%s: block %u: genotype payload of record at %lld is malformed", s->path,
                   b->index, (long long)rec->pos);
}

/* Position of sample i in the sorted list, or -1. */
static int64_t find_local(const uint32_t *local, uint32_t n, int64_t i)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if ((int64_t)local[mid] < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && (int64_t)local[lo] == i ? (int64_t)lo : -1;
}

/* The shared piece and the sites of a record, decoded into out for the samples in local
 * (sorted, distinct), or for every sample when local is NULL. The lists are walked and each
 * entry looked up, so a small subset costs what the lists cost, not the segment's size. */
static int decode_shared_subset(const struct segment *s, const struct segment_block *b,
                                const struct segment_record *rec, const uint32_t *local,
                                uint32_t nl, struct gtrec *out)
{
    struct gn_rd rd;
    uint32_t n = s->n_samples;
    int64_t prev, j;
    unsigned code = 0;
    uint8_t flags, def;
    uint64_t cnt;

    gn_rd_init(&rd, b->payload + rec->shared_off, rec->shared_len);
    flags = gn_rd_u8(&rd);
    def = (flags & SHARED_PHASED) ? 1 : 0;
    for (uint32_t x = 0; x < nl; x++) {
        out->al[(size_t)2 * x] = out->al[(size_t)2 * x + 1] = 0;
        out->phased[x] = def;
    }
    for (int list = 0; list < 3; list++) {
        static const uint8_t flag[3] = {SHARED_MISSING, SHARED_HAPLOID, SHARED_PHASE_EXC};
        if (!(flags & flag[list])) continue;
        cnt = gn_rd_varint(&rd);
        if (cnt > n) return GN_ECORRUPT;
        prev = -1;
        for (uint64_t k = 0; k < cnt; k++) {
            int64_t i = next_idx(&rd, &prev, n, list == 0, &code);
            if (i < 0) return GN_ECORRUPT;
            if ((j = local ? find_local(local, nl, i) : i) < 0) continue;
            if (list == 0) {
                if (code & 1) out->al[(size_t)2 * j] = GTREC_MISSING;
                if (code & 2) out->al[(size_t)2 * j + 1] = GTREC_MISSING;
            } else if (list == 1) {
                out->al[(size_t)2 * j + 1] = GTREC_NONE;
                out->phased[j] = 0;
            } else {
                out->phased[j] = (uint8_t)!def;
            }
        }
    }
    return rd.bad || rd.p != rd.end ? GN_ECORRUPT : GN_OK;
}

static int decode_site_subset(const struct segment *s, const struct segment_block *b,
                              const struct segment_site *st, int16_t k, const uint32_t *local,
                              uint32_t nl, struct gtrec *out)
{
    struct gn_rd rd;
    uint32_t n = s->n_samples;

    gn_rd_init(&rd, b->payload + st->payload_off, st->payload_len);
    uint8_t enc = gn_rd_u8(&rd);
    if (enc == SITE_DENSE) {
        size_t pb = plane_bytes(n);
        const uint8_t *h0 = gn_rd_bytes(&rd, pb), *h1 = gn_rd_bytes(&rd, pb);
        if (!h0 || !h1 || rd.p != rd.end) return GN_ECORRUPT;
        for (uint32_t x = 0; x < nl; x++) {
            uint32_t i = local ? local[x] : x;
            if ((h0[i >> 3] >> (i & 7)) & 1) out->al[(size_t)2 * x] = k;
            if ((h1[i >> 3] >> (i & 7)) & 1) {
                if (out->al[(size_t)2 * x + 1] == GTREC_NONE) return GN_ECORRUPT;
                out->al[(size_t)2 * x + 1] = k;
            }
        }
        return GN_OK;
    }
    if (enc == SITE_TILED) {
        uint64_t col = gn_rd_varint(&rd);
        if (rd.bad || rd.p != rd.end || !b->tile_pat || col >= b->tile_cols) return GN_ECORRUPT;
        for (uint32_t x = 0; x < nl; x++) {
            uint64_t i = local ? local[x] : x;
            int b0 = tile_bit(b, 2 * i, (uint32_t)col), b1 = tile_bit(b, 2 * i + 1, (uint32_t)col);
            if (b0 < 0 || b1 < 0) return GN_ECORRUPT;
            if (b0) out->al[(size_t)2 * x] = k;
            if (b1) {
                if (out->al[(size_t)2 * x + 1] == GTREC_NONE) return GN_ECORRUPT;
                out->al[(size_t)2 * x + 1] = k;
            }
        }
        return GN_OK;
    }
    if (enc != SITE_SPARSE) return GN_ECORRUPT;
    uint64_t nc = gn_rd_varint(&rd);
    if (nc > n) return GN_ECORRUPT;
    int64_t prev = -1, j;
    unsigned code = 0;
    for (uint64_t c = 0; c < nc; c++) {
        int64_t i = next_idx(&rd, &prev, n, 1, &code);
        if (i < 0) return GN_ECORRUPT;
        if ((j = local ? find_local(local, nl, i) : i) < 0) continue;
        if (code & 1) out->al[(size_t)2 * j] = k;
        if (code & 2) {
            if (out->al[(size_t)2 * j + 1] == GTREC_NONE) return GN_ECORRUPT;
            out->al[(size_t)2 * j + 1] = k;
        }
    }
    return rd.bad || rd.p != rd.end ? GN_ECORRUPT : GN_OK;
}

int segment_record_decode_subset(const struct segment *s, struct segment_block *b, uint32_t r,
                                 const uint32_t *local, uint32_t n_local, struct gtrec *out,
                                 struct gn_err *err)
{
    const struct segment_record *rec = &b->rec[r];
    const char *alts[GTREC_MAX_ALT];
    size_t alt_len[GTREC_MAX_ALT];
    int rc;

    if (!b->has_payload) return gn_errf(err, GN_EINTERNAL, "record decode needs the payload");
    for (uint32_t k = 0; k < rec->n_alt; k++) {
        alts[k] = b->site[rec->first_site + k].alt;
        alt_len[k] = b->site[rec->first_site + k].alt_len;
    }
    if ((rc = gtrec_set_alleles(out, rec->ref, rec->ref_len, alts, alt_len, rec->n_alt)) < 0 ||
        (rc = gtrec_reserve(out, n_local)) < 0)
        return gn_errf(err, rc, "cannot decode record: %s", gn_strerror(rc));
    out->contig = b->contig;
    out->pos = rec->pos;
    if (decode_shared_subset(s, b, rec, local, n_local, out) < 0) goto bad;
    for (uint32_t k = 0; k < rec->n_alt; k++)
        if (decode_site_subset(s, b, &b->site[rec->first_site + k], (int16_t)(k + 1), local,
                               n_local, out) < 0)
            goto bad;
    return GN_OK;
bad:
    return CORRUPT(err, s, "%s: block %u: genotype payload of record at %lld is malformed", s->path,
                   b->index, (long long)rec->pos);
}

int segment_record_decode(const struct segment *s, struct segment_block *b, uint32_t r,
                          struct gtrec *out, struct gn_err *err)
{
    return segment_record_decode_subset(s, b, r, NULL, s->n_samples, out, err);
}

/* ------------------------------------------------------------------------------------ */
/* Callability                                                                           */
/* ------------------------------------------------------------------------------------ */

int segment_sample_callable(const struct segment *s, uint32_t i, uint32_t contig, int64_t pos)
{
    if (!s->call_off || i >= s->n_samples) return 0;
    uint64_t lo = s->call_off[i], hi = s->call_off[i + 1];
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        const struct segment_interval *v = &s->iv[mid];
        if (v->contig < contig || (v->contig == contig && v->end < pos)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < s->call_off[i + 1] && s->iv[lo].contig == contig && s->iv[lo].start <= pos;
}

uint32_t segment_callable_count(const struct segment *s, uint32_t contig, int64_t pos,
                                const uint64_t *mask)
{
    uint32_t n = 0;
    if (!s->call_off) return 0;
    for (uint32_t i = 0; i < s->n_samples; i++) {
        if ((!mask || bit_get(mask, i)) && segment_sample_callable(s, i, contig, pos)) n++;
    }
    return n;
}

uint64_t segment_callable_intervals(const struct segment *s, uint32_t sample,
                                    const struct segment_interval **iv)
{
    if (!s->call_off || sample >= s->n_samples) {
        *iv = NULL;
        return 0;
    }
    *iv = s->iv + s->call_off[sample];
    return s->call_off[sample + 1] - s->call_off[sample];
}

/* ------------------------------------------------------------------------------------ */
/* Phase sets                                                                            */
/* ------------------------------------------------------------------------------------ */

uint64_t segment_phase_changes(const struct segment *s, uint32_t sample,
                               const struct segment_phase_change **pc)
{
    if (!s->pc_off || sample >= s->n_samples) {
        *pc = NULL;
        return 0;
    }
    *pc = s->pc + s->pc_off[sample];
    return s->pc_off[sample + 1] - s->pc_off[sample];
}

uint64_t segment_phase_set(const struct segment *s, uint32_t sample, uint32_t contig, int64_t pos)
{
    if (!s->pc_off || sample >= s->n_samples) return 0;
    uint64_t lo = s->pc_off[sample], hi = s->pc_off[sample + 1];
    while (lo < hi) { /* the first point after (contig, pos) */
        uint64_t mid = lo + (hi - lo) / 2;
        const struct segment_phase_change *v = &s->pc[mid];
        if (v->contig < contig || (v->contig == contig && v->pos <= pos)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == s->pc_off[sample] || s->pc[lo - 1].contig != contig) return 0;
    return s->pc[lo - 1].set;
}
