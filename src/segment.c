/*
 * segment.c — writer and reader of immutable genotype segments.
 *
 * Layout (docs/format/segment.md is the specification):
 *
 *   header (128 bytes, CRC-32)  | blocks ... | sample table | callability | block index
 *
 * Each block holds whole records of one contig and is two zstd frames, each with the
 * CRC-32 of its compressed bytes in the index:
 *
 *   - the record table: positions, alleles, per-site AC/het/hom and per-record AN, and
 *     the length of every payload piece. Whole-population counts read only this frame.
 *   - the payload: per record a "shared" piece (missing calls, haploid samples, phase
 *     exceptions) then one piece per ALT site holding which haplotypes carry that ALT,
 *     either as a sparse carrier list or as two dense bitplanes (hap 0, hap 1),
 *     whichever is smaller. Sub-cohort counts are AND + popcount on the planes.
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
#include <zstd.h>

#include "alloc.h"
#include "buf.h"
#include "fsutil.h"

#define HEADER_BYTES         128
#define INDEX_ENTRY_BYTES    64
#define BLOCK_PAYLOAD_TARGET ((size_t)48 * 1024)
#define BLOCK_MAX_RECORDS    2048
#define BUF_MAX              ((size_t)1 << 31)

#define SHARED_MISSING   1u
#define SHARED_HAPLOID   2u
#define SHARED_PHASED    4u
#define SHARED_PHASE_EXC 8u

#define SITE_SPARSE 0
#define SITE_DENSE  1

static uint32_t crc(const void *p, size_t n)
{
    return (uint32_t)crc32(0L, (const Bytef *)p, (uInt)n);
}

static size_t plane_bytes(uint32_t n_samples)
{
    return ((size_t)n_samples + 63) / 64 * 8;
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

struct segment_writer {
    char *path;
    int fd;
    int finished;
    uint32_t n_samples;
    uint32_t *sample_ids;
    int level;
    uint32_t flags;
    uint64_t off; /* next write offset */
    uint64_t n_records, n_sites;
    /* current block */
    int blk_open;
    uint32_t blk_contig, blk_records, blk_sites;
    int64_t blk_first, blk_last, blk_prev_pos;
    struct gn_buf table, payload, comp, index, tmp;
    /* contig runs seen, to refuse a contig split in two runs */
    uint8_t *contig_seen;
    uint32_t contig_seen_cap;
    int have_contig;
    uint32_t cur_contig;
    int64_t cur_pos;
    uint32_t n_blocks;
    ZSTD_CCtx *cctx;
    struct callable *call; /* per sample, when SEGMENT_FLAG_CALLABILITY */
    uint32_t *carrier;     /* scratch: carriers of the site being encoded, code in low 2 bits */
};

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
    w->path = gn_strdup(path);
    w->sample_ids = gn_reallocarray(NULL, o->n_samples, sizeof *w->sample_ids);
    w->cctx = ZSTD_createCCtx();
    if (!w->path || !w->sample_ids || !w->cctx) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto fail;
    }
    memcpy(w->sample_ids, o->sample_ids, (size_t)o->n_samples * sizeof *w->sample_ids);
    w->n_samples = o->n_samples;
    w->level = o->zstd_level ? o->zstd_level : 3;
    w->flags = o->flags;
    if (w->flags & SEGMENT_FLAG_CALLABILITY) {
        w->call = gn_calloc(o->n_samples, sizeof *w->call);
        if (!w->call) {
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

uint64_t segment_writer_n_records(const struct segment_writer *w)
{
    return w->n_records;
}
uint64_t segment_file_bytes_of(const struct segment_writer *w)
{
    return w ? w->off : 0;
}

static int flush_block(struct segment_writer *w, struct gn_err *err)
{
    uint8_t e[INDEX_ENTRY_BYTES] = {0};
    size_t tc, pc;
    uint32_t tcrc, pcrc;
    int rc;

    if (!w->blk_open) return GN_OK;
    /* Compress the record table then the payload into one buffer, back to back. */
    gn_buf_reset(&w->comp);
    size_t bound = ZSTD_compressBound(w->table.len) + ZSTD_compressBound(w->payload.len);
    if ((rc = gn_buf_reserve(&w->comp, bound)) < 0) return gn_errf(err, rc, "out of memory");
    tc = ZSTD_compressCCtx(w->cctx, w->comp.data, bound, w->table.data, w->table.len, w->level);
    if (ZSTD_isError(tc)) return gn_errf(err, GN_EINTERNAL, "zstd: %s", ZSTD_getErrorName(tc));
    pc = ZSTD_compressCCtx(w->cctx, w->comp.data + tc, bound - tc, w->payload.data, w->payload.len,
                           w->level);
    if (ZSTD_isError(pc)) return gn_errf(err, GN_EINTERNAL, "zstd: %s", ZSTD_getErrorName(pc));
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
    if ((rc = gn_buf_append(&w->index, e, sizeof e)) < 0) return gn_errf(err, rc, "out of memory");
    w->off += tc + pc;
    w->n_blocks++;
    w->blk_open = 0;
    gn_buf_reset(&w->table);
    gn_buf_reset(&w->payload);
    return GN_OK;
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

/* Shared piece: missing haplotypes, haploid samples, phase default and exceptions.
 * Returns AN over all samples through *an. */
static int encode_shared(struct segment_writer *w, const struct gtrec *r, uint32_t *an)
{
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
    int def_phased = n_phased * 2 > n_dip;
    uint32_t n_exc = def_phased ? n_dip - n_phased : n_phased;
    flags = (uint8_t)((n_miss ? SHARED_MISSING : 0) | (n_hap ? SHARED_HAPLOID : 0) |
                      (def_phased ? SHARED_PHASED : 0) | (n_exc ? SHARED_PHASE_EXC : 0));
    if ((rc = gn_buf_put_u8(&w->payload, flags)) < 0) return rc;
    if (n_miss) {
        if ((rc = gn_buf_put_varint(&w->payload, n_miss)) < 0) return rc;
        prev = -1;
        for (uint32_t i = 0; i < n; i++) {
            unsigned code = (r->al[(size_t)2 * i] == GTREC_MISSING ? 1u : 0u) |
                            (r->al[(size_t)2 * i + 1] == GTREC_MISSING ? 2u : 0u);
            if (code && (rc = put_coded(&w->payload, &prev, i, code)) < 0) return rc;
        }
    }
    if (n_hap) {
        if ((rc = gn_buf_put_varint(&w->payload, n_hap)) < 0) return rc;
        prev = -1;
        for (uint32_t i = 0; i < n; i++) {
            if (r->al[(size_t)2 * i + 1] == GTREC_NONE &&
                (rc = put_delta(&w->payload, &prev, i)) < 0) {
                return rc;
            }
        }
    }
    if (n_exc) {
        if ((rc = gn_buf_put_varint(&w->payload, n_exc)) < 0) return rc;
        prev = -1;
        for (uint32_t i = 0; i < n; i++) {
            if (r->al[(size_t)2 * i + 1] == GTREC_NONE || (r->phased[i] != 0) == def_phased) {
                continue;
            }
            if ((rc = put_delta(&w->payload, &prev, i)) < 0) return rc;
        }
    }
    return GN_OK;
}

/* One ALT site: which haplotypes carry allele k. Sparse list or two bitplanes. */
static int encode_site(struct segment_writer *w, const struct gtrec *r, int16_t k, uint32_t *ac,
                       uint32_t *het, uint32_t *hom)
{
    uint32_t n = r->n_samples, nc = 0;
    size_t sparse = 0, dense = 1 + 2 * plane_bytes(n);
    int64_t prev = -1;
    int rc;

    *ac = *het = *hom = 0;
    if (!w->carrier && !(w->carrier = gn_reallocarray(NULL, n, sizeof *w->carrier)))
        return GN_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        if ((i & 3) == 0 && i + 4 <= n) { /* four 0/0 samples at once, the usual case */
            uint64_t q[2];
            memcpy(q, r->al + (size_t)2 * i, sizeof q);
            if ((q[0] | q[1]) == 0) {
                i += 3;
                continue;
            }
        }
        uint32_t pair;
        memcpy(&pair, r->al + (size_t)2 * i, sizeof pair);
        if (pair == 0) continue; /* 0/0, the usual genotype */
        int16_t a0 = r->al[(size_t)2 * i], a1 = r->al[(size_t)2 * i + 1];
        unsigned code = (a0 == k ? 1u : 0u) | (a1 == k ? 2u : 0u);
        if (!code) continue;
        *ac += (code & 1) + (code >> 1);
        if (code == 3 || a1 == GTREC_NONE || (a0 == k && a1 == GTREC_MISSING) ||
            (a1 == k && a0 == GTREC_MISSING)) {
            (*hom)++;
        } else {
            (*het)++;
        }
        sparse += varint_len((uint64_t)((int64_t)i - prev) << 2 | code);
        prev = i;
        w->carrier[nc++] = i << 2 | code; /* SEGMENT_MAX_SAMPLES < 2^30 */
    }
    sparse += 1 + varint_len(nc);
    if (sparse <= dense) {
        if ((rc = gn_buf_put_u8(&w->payload, SITE_SPARSE)) < 0) return rc;
        if ((rc = gn_buf_put_varint(&w->payload, nc)) < 0) return rc;
        prev = -1;
        for (uint32_t j = 0; j < nc; j++) /* the carriers noted by the counting pass */
            if ((rc = put_coded(&w->payload, &prev, w->carrier[j] >> 2, w->carrier[j] & 3u)) < 0)
                return rc;
        return GN_OK;
    }
    size_t pb = plane_bytes(n);
    if ((rc = gn_buf_put_u8(&w->payload, SITE_DENSE)) < 0) return rc;
    if ((rc = gn_buf_reserve(&w->payload, 2 * pb)) < 0) return rc;
    uint8_t *h0 = w->payload.data + w->payload.len, *h1 = h0 + pb;
    memset(h0, 0, 2 * pb);
    for (uint32_t b = 0; b < n / 8; b++) { /* whole bytes, branch-free */
        const int16_t *a = r->al + (size_t)16 * b;
        uint32_t v0 = 0, v1 = 0;
        for (uint32_t j = 0; j < 8; j++) {
            v0 |= (uint32_t)(a[2 * j] == k) << j;
            v1 |= (uint32_t)(a[2 * j + 1] == k) << j;
        }
        h0[b] = (uint8_t)v0;
        h1[b] = (uint8_t)v1;
    }
    for (uint32_t i = n & ~7u; i < n; i++) {
        if (r->al[(size_t)2 * i] == k) h0[i >> 3] |= (uint8_t)(1u << (i & 7));
        if (r->al[(size_t)2 * i + 1] == k) h1[i >> 3] |= (uint8_t)(1u << (i & 7));
    }
    w->payload.len += 2 * pb;
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

int segment_writer_add(struct segment_writer *w, const struct gtrec *r, struct gn_err *err)
{
    uint32_t an, ac, het, hom;
    size_t piece_start, site_start;
    int rc;

    if (r->n_samples != w->n_samples) {
        return gn_errf(err, GN_EINVAL, "record has %u samples, segment %u", r->n_samples,
                       w->n_samples);
    }
    if (r->pos < 1) return gn_errf(err, GN_EINVAL, "position %lld < 1", (long long)r->pos);
    if ((rc = check_order(w, r, err)) < 0) return rc;
    /* A block never splits the records of one position, so that readers find every
     * record of a position in one block. */
    if (w->blk_open && (w->blk_contig != r->contig ||
                        (r->pos != w->blk_last && (w->blk_records >= BLOCK_MAX_RECORDS ||
                                                   w->payload.len >= BLOCK_PAYLOAD_TARGET)))) {
        if ((rc = flush_block(w, err)) < 0) return rc;
    }
    if (!w->blk_open) {
        w->blk_open = 1;
        w->blk_contig = r->contig;
        w->blk_first = w->blk_prev_pos = r->pos;
        w->blk_records = w->blk_sites = 0;
    }
    /* Record table entry: pos delta, REF, AN, shared length, then per ALT its entry. */
    piece_start = w->payload.len;
    if ((rc = encode_shared(w, r, &an)) < 0) goto oom;
    gn_buf_reset(&w->tmp);
    if ((rc = gn_buf_put_varint(&w->table, (uint64_t)(r->pos - w->blk_prev_pos))) < 0) goto oom;
    if ((rc = gn_buf_put_str(&w->table, r->ref, strlen(r->ref))) < 0) goto oom;
    if ((rc = gn_buf_put_varint(&w->table, an)) < 0) goto oom;
    if ((rc = gn_buf_put_varint(&w->table, w->payload.len - piece_start)) < 0) goto oom;
    if ((rc = gn_buf_put_varint(&w->table, r->n_alt)) < 0) goto oom;
    for (uint32_t k = 0; k < r->n_alt; k++) {
        site_start = w->payload.len;
        if ((rc = encode_site(w, r, (int16_t)(k + 1), &ac, &het, &hom)) < 0) goto oom;
        if ((rc = gn_buf_put_str(&w->table, r->alt[k], strlen(r->alt[k]))) < 0) goto oom;
        if ((rc = gn_buf_put_varint(&w->table, ac)) < 0) goto oom;
        if ((rc = gn_buf_put_varint(&w->table, het)) < 0) goto oom;
        if ((rc = gn_buf_put_varint(&w->table, hom)) < 0) goto oom;
        if ((rc = gn_buf_put_varint(&w->table, w->payload.len - site_start)) < 0) goto oom;
    }
    w->blk_prev_pos = w->blk_last = r->pos;
    w->blk_records++;
    w->blk_sites += r->n_alt;
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
        if (last->contig == contig && start <= last->end + 1) {
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

static int write_section(struct segment_writer *w, const void *p, size_t n, uint64_t *off,
                         struct gn_err *err)
{
    *off = w->off;
    int rc = fsutil_write_full(w->fd, p, n, w->path, err);
    if (rc == GN_OK) w->off += n;
    return rc;
}

/* Serialises the callability intervals (zstd-compressed) into w->comp. */
static int encode_callability(struct segment_writer *w, size_t *rlen, struct gn_err *err)
{
    int rc = GN_OK;
    gn_buf_reset(&w->tmp);
    for (uint32_t i = 0; i < w->n_samples && rc == GN_OK; i++) {
        struct callable *c = &w->call[i];
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
    uint64_t samples_off, call_off = 0, index_off;
    size_t call_rlen = 0, call_clen = 0;
    uint32_t call_crc = 0;
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
    gn_free(w->carrier);
    gn_buf_free(&w->table);
    gn_buf_free(&w->payload);
    gn_buf_free(&w->comp);
    gn_buf_free(&w->index);
    gn_buf_free(&w->tmp);
    ZSTD_freeCCtx(w->cctx);
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
};

struct idpair {
    uint32_t global, local;
};

struct segment {
    char *path;
    int fd;
    uint64_t file_bytes;
    uint32_t flags, n_samples, n_blocks;
    uint64_t n_records, n_sites;
    uint32_t *sample_ids;
    struct idpair *by_global; /* sorted by global id */
    struct blkent *blk;
    /* callability: intervals of sample i are iv[call_off[i] .. call_off[i+1]) */
    uint64_t *call_off;
    struct segment_interval *iv;
};

#define CORRUPT(err, s, ...) gn_errf((err), GN_ECORRUPT, __VA_ARGS__)

static int cmp_idpair(const void *a, const void *b)
{
    const struct idpair *x = a, *y = b;
    return x->global < y->global ? -1 : x->global > y->global;
}

static int load_callability(struct segment *s, uint64_t off, uint32_t clen, uint32_t rlen,
                            uint32_t want_crc, struct gn_err *err)
{
    uint8_t *comp = NULL, *raw = NULL;
    struct gn_rd rd;
    uint64_t n_iv = 0, cap = 0;
    int rc;

    if (off + clen > s->file_bytes || rlen > SEGMENT_MAX_BLOCK_BYTES) {
        return CORRUPT(err, s, "%s: callability section out of bounds", s->path);
    }
    comp = gn_malloc(clen);
    raw = gn_malloc(rlen);
    s->call_off = gn_calloc((size_t)s->n_samples + 1, sizeof *s->call_off);
    if (!comp || !raw || !s->call_off) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = fsutil_pread_full(s->fd, comp, clen, off, s->path, err)) < 0) goto out;
    if (crc(comp, clen) != want_crc) {
        rc = CORRUPT(err, s, "%s: callability section checksum mismatch", s->path);
        goto out;
    }
    size_t got = ZSTD_decompress(raw, rlen, comp, clen);
    if (ZSTD_isError(got) || got != rlen) {
        rc = CORRUPT(err, s, "%s: callability section does not decompress", s->path);
        goto out;
    }
    gn_rd_init(&rd, raw, rlen);
    for (uint32_t i = 0; i < s->n_samples; i++) {
        uint64_t n = gn_rd_varint(&rd);
        s->call_off[i] = n_iv;
        if (rd.bad || n > rlen) break;
        if (n_iv + n > cap) {
            cap = (n_iv + n) * 2;
            struct segment_interval *iv = gn_reallocarray(s->iv, (size_t)cap, sizeof *iv);
            if (!iv) {
                rc = gn_errf(err, GN_ENOMEM, "out of memory");
                goto out;
            }
            s->iv = iv;
        }
        for (uint64_t j = 0; j < n; j++) {
            struct segment_interval *v = &s->iv[n_iv + j];
            v->contig = (uint32_t)gn_rd_varint(&rd);
            v->start = (int64_t)gn_rd_varint(&rd);
            v->end = v->start + (int64_t)gn_rd_varint(&rd);
            if (v->start < 1 || v->end < v->start ||
                (j && (v->contig < v[-1].contig ||
                       (v->contig == v[-1].contig && v->start <= v[-1].end)))) {
                rd.bad = 1;
            }
        }
        n_iv += n;
    }
    s->call_off[s->n_samples] = n_iv;
    if (rd.bad || rd.p != rd.end) {
        rc = CORRUPT(err, s, "%s: callability section malformed", s->path);
        goto out;
    }
    rc = GN_OK;
out:
    gn_free(comp);
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
    if (gn_le_u32(h + 8) != SEGMENT_VERSION) {
        rc = gn_errf(err, GN_EFORMAT, "%s: segment format version %u, this build reads %u", path,
                     gn_le_u32(h + 8), SEGMENT_VERSION);
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
    for (uint32_t r = 0; r < e->info.n_records && !rd.bad; r++) {
        struct segment_record *rec = &b->rec[r];
        size_t len;
        uint64_t d = gn_rd_varint(&rd);
        if (d > (uint64_t)(e->info.last_pos - pos)) rd.bad = 1;
        pos += (int64_t)d;
        rec->pos = pos;
        rec->ref = gn_rd_str(&rd, &len, GTREC_MAX_ALLELE_LEN);
        rec->ref_len = (uint32_t)len;
        rec->an = (uint32_t)gn_rd_varint(&rd);
        uint64_t shared = gn_rd_varint(&rd);
        uint64_t n_alt = gn_rd_varint(&rd);
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
            st->alt = gn_rd_str(&rd, &len, GTREC_MAX_ALLELE_LEN);
            st->alt_len = (uint32_t)len;
            st->ac = (uint32_t)gn_rd_varint(&rd);
            st->het = (uint32_t)gn_rd_varint(&rd);
            st->hom = (uint32_t)gn_rd_varint(&rd);
            uint64_t pl = gn_rd_varint(&rd);
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

int segment_block_load(const struct segment *s, uint32_t i, struct segment_block *b,
                       int need_payload, struct gn_err *err)
{
    const struct blkent *e;
    size_t clen, got;
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
    ZSTD_DCtx *dctx = thread_dctx();
    if (!dctx) return gn_errf(err, GN_ENOMEM, "out of memory");
    got = ZSTD_decompressDCtx(dctx, b->table, e->trlen, b->comp, e->tclen);
    if (ZSTD_isError(got) || got != e->trlen) {
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
        got = ZSTD_decompressDCtx(dctx, b->payload, e->prlen, b->comp + e->tclen, e->pclen);
        if (ZSTD_isError(got) || got != e->prlen) {
            return CORRUPT(err, s, "%s: block %u: payload does not decompress", s->path, i);
        }
        b->payload_len = e->prlen;
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

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8); /* planes are little-endian words; x86-64 and arm64 are LE */
    return v;
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

/* Reads the next entry of a delta-coded list; returns the sample index or -1 when bad. */
/* gn_rd_varint with the one- and two-byte cases inline: carrier deltas are small, and
 * this is the inner loop of every sub-cohort count. */
static inline uint64_t rd_varint(struct gn_rd *rd)
{
    if (rd->end - rd->p >= 2) {
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
    }
    return gn_rd_varint(rd);
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

/* Walks the shared piece for counting: AN over the mask, and (when haploid samples
 * exist) marks them in b->scratch. Returns the number of haploid samples marked. */
static int shared_for_stats(const struct segment *s, struct segment_block *b,
                            const struct segment_record *rec, uint32_t *an, uint32_t *n_hap_out)
{
    struct gn_rd rd;
    const uint64_t *m = b->mask;
    int64_t prev;
    unsigned code = 0;
    uint8_t flags;

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
            if (!m || bit_get(m, (uint32_t)i)) *an -= (code & 1) + (code >> 1);
        }
    }
    if (flags & SHARED_HAPLOID) {
        uint64_t n = gn_rd_varint(&rd);
        if (n > s->n_samples || ensure_scratch(s, b) < 0) return rd.bad ? GN_ECORRUPT : GN_ENOMEM;
        memset(b->scratch, 0, (size_t)b->scratch_words * 8);
        prev = -1;
        for (uint64_t j = 0; j < n; j++) {
            int64_t i = next_idx(&rd, &prev, s->n_samples, 0, &code);
            if (i < 0) return GN_ECORRUPT;
            if (!m || bit_get(m, (uint32_t)i)) {
                (*an)--;
                b->scratch[i >> 6] |= 1ull << (i & 63);
                (*n_hap_out)++;
            }
        }
    }
    return rd.bad ? GN_ECORRUPT : GN_OK;
}

/* AND + popcount over the bitplanes. Built twice: with the POPCNT instruction (x86-64
 * since 2008, chosen at run time) and portable; Debian's x86-64 baseline lacks it, and the
 * libgcc fallback costs a call per word. */
#define DENSE_STATS_BODY                                                                           \
    for (size_t w = 0; w < nw; w++) {                                                              \
        uint64_t a = load64(h0 + 8 * w) & m[w], c = load64(h1 + 8 * w) & m[w];                     \
        uint64_t hh = hap ? a & hap[w] : 0;                                                        \
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
    if (enc != SITE_SPARSE) goto bad;
    uint64_t n = gn_rd_varint(&rd);
    if (n > s->n_samples) goto bad;
    int64_t prev = -1;
    unsigned code = 0;
    for (uint64_t j = 0; j < n; j++) {
        int64_t i = next_idx(&rd, &prev, s->n_samples, 1, &code);
        if (i < 0) goto bad;
        if (!bit_get(m, (uint32_t)i)) continue;
        out->ac += (code & 1) + (code >> 1);
        if (code == 3 || (hap && bit_get(hap, (uint32_t)i))) {
            out->hom++;
        } else {
            out->het++;
        }
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
