/*
 * Segment round trips on random genotype matrices with every feature the format has:
 * missing haplotypes, haploid calls, multi-allelic records, mixed phase, dense and
 * sparse sites; masked counts checked against brute force; damage detected.
 */
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "segment.h"
#include "test.h"

#define NS   300
#define NREC 400

static uint64_t rng = 12345;
static int codec; /* SEGMENT_CODEC_* for write_seg; 0: the default */
static uint32_t rnd(uint32_t n)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng >> 33) % n;
}

/* With founders set, haplotypes copy one of 8 founder haplotypes (as in a population with
 * linkage disequilibrium), so common sites go into haplotype tiles. */
static int founders;

static int16_t founder_allele(uint32_t f, uint32_t i, uint32_t n_alt)
{
    uint32_t x = (f * 2654435761u) ^ (i * 40503u);
    x ^= x >> 13;
    x *= 0x5bd1e995u;
    x ^= x >> 15;
    return x % 3 == 0 ? (int16_t)(1 + x / 3 % n_alt) : 0;
}

/* Fills record i deterministically; freq controls dense vs sparse. */
static void make_rec(struct gtrec *r, uint32_t i)
{
    const char *alts[3] = {"C", "GT", "*"};
    size_t lens[3] = {1, 2, 1};
    uint32_t n_alt = 1 + (i % 7 == 0) + (i % 11 == 0);
    ASSERT_OK(gtrec_set_alleles(r, "A", 1, alts, lens, n_alt));
    ASSERT_OK(gtrec_reserve(r, NS));
    r->contig = i < NREC / 2 ? 0 : 3;
    r->pos = 1000 + (int64_t)i * 10 + (i % 5 == 0 ? 0 : 1);
    uint32_t freq = i % 3 == 0 ? 2 : 200; /* per mille: rare or common */
    for (uint32_t s = 0; s < NS; s++) {
        for (int h = 0; h < 2; h++) {
            uint32_t x = rnd(1000);
            r->al[2 * s + h] = x < freq ? (int16_t)(1 + rnd(n_alt)) : x > 990 ? GTREC_MISSING : 0;
            if (founders && freq > 2 && x <= 990)
                r->al[2 * s + h] = founder_allele((s * 2 + (uint32_t)h) * 7 % 8, i, n_alt);
        }
        if (r->contig == 3 && s % 4 == 0) r->al[2 * s + 1] = GTREC_NONE; /* haploid */
        r->phased[s] = r->al[2 * s + 1] == GTREC_NONE ? 0 : (rnd(10) != 0);
    }
}

static const char *seg_path(void)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/s.gns", test_tmpdir());
    return p;
}

static void write_seg(void)
{
    struct segment_writer *w;
    struct gtrec r;
    uint32_t ids[NS];
    struct gn_err err = GN_ERR_INIT;
    for (uint32_t s = 0; s < NS; s++)
        ids[s] = 1000 + s * 2;
    struct segment_writer_opts o = {
        .n_samples = NS, .sample_ids = ids, .flags = SEGMENT_FLAG_CALLABILITY, .codec = codec};
    gtrec_init(&r);
    rng = 12345;
    (void)unlink(seg_path());
    ASSERT_OK(segment_writer_open(&w, seg_path(), &o, &err));
    for (uint32_t i = 0; i < NREC; i++) {
        make_rec(&r, i);
        ASSERT_OK(segment_writer_add(w, &r, &err));
    }
    ASSERT_OK(segment_writer_add_callable(w, 5, 0, 1, 500, &err));
    ASSERT_OK(segment_writer_add_callable(w, 5, 0, 501, 900, &err)); /* merged */
    ASSERT_OK(segment_writer_add_callable(w, 5, 3, 10, 20, &err));
    /* contigs out of id order (a gVCF ordering them unlike the store) and overlapping
     * intervals out of order: the writer sorts and merges them */
    ASSERT_OK(segment_writer_add_callable(w, 7, 3, 100, 200, &err));
    ASSERT_OK(segment_writer_add_callable(w, 7, 0, 5000, 6000, &err));
    ASSERT_OK(segment_writer_add_callable(w, 7, 0, 4000, 5200, &err));
    ASSERT_OK(segment_writer_add_callable(w, 7, 2, 1, 10, &err));
    ASSERT_OK(segment_writer_finish(w, &err));
    segment_writer_free(w);
    gtrec_free(&r);
}

static void t_roundtrip(void)
{
    struct segment *s;
    struct segment_block b;
    struct gtrec want, got;
    struct gn_err err = GN_ERR_INIT;
    uint32_t i = 0;

    write_seg();
    ASSERT_OK(segment_open(&s, seg_path(), &err));
    ASSERT_EQ_INT(segment_n_samples(s), NS);
    ASSERT_EQ_INT(segment_n_records(s), NREC);
    ASSERT_EQ_INT(segment_local_index(s, 1000 + 2 * 17), 17);
    ASSERT_EQ_INT(segment_local_index(s, 1001), -1);
    gtrec_init(&want);
    gtrec_init(&got);
    segment_block_init(&b);
    rng = 12345;
    for (uint32_t bi = 0; bi < segment_n_blocks(s); bi++) {
        ASSERT_OK(segment_block_load(s, bi, &b, 1, &err));
        for (uint32_t r = 0; r < b.n_records; r++, i++) {
            make_rec(&want, i);
            ASSERT_OK(segment_record_decode(s, &b, r, &got, &err));
            ASSERT_EQ_INT(got.pos, want.pos);
            ASSERT_EQ_INT(got.contig, want.contig);
            ASSERT_EQ_INT(got.n_alt, want.n_alt);
            for (uint32_t x = 0; x < 2 * NS; x++)
                ASSERT_EQ_INT(got.al[x], want.al[x]);
            for (uint32_t x = 0; x < NS; x++)
                if (want.al[2 * x + 1] != GTREC_NONE) ASSERT_EQ_INT(got.phased[x], want.phased[x]);
        }
    }
    ASSERT_EQ_INT(i, NREC);
    ASSERT_EQ_INT(segment_sample_callable(s, 5, 0, 900), 1);
    ASSERT_EQ_INT(segment_sample_callable(s, 5, 0, 901), 0);
    ASSERT_EQ_INT(segment_sample_callable(s, 5, 3, 15), 1);
    ASSERT_EQ_INT(segment_sample_callable(s, 6, 0, 15), 0);
    ASSERT_EQ_INT(segment_callable_count(s, 0, 100, NULL), 1);
    ASSERT_EQ_INT(segment_sample_callable(s, 7, 0, 3999), 0);
    ASSERT_EQ_INT(segment_sample_callable(s, 7, 0, 4000), 1);
    ASSERT_EQ_INT(segment_sample_callable(s, 7, 0, 5100), 1);
    ASSERT_EQ_INT(segment_sample_callable(s, 7, 0, 6000), 1);
    ASSERT_EQ_INT(segment_sample_callable(s, 7, 0, 6001), 0);
    ASSERT_EQ_INT(segment_sample_callable(s, 7, 2, 10), 1);
    ASSERT_EQ_INT(segment_sample_callable(s, 7, 3, 150), 1);
    ASSERT_EQ_INT(segment_sample_callable(s, 7, 3, 201), 0);
    segment_block_free(&b);
    gtrec_free(&want);
    gtrec_free(&got);
    segment_close(s);
}

/* Masked AC/AN/het/hom equal a brute-force count over decoded genotypes. */
static void t_masked_stats(void)
{
    struct segment *s;
    struct segment_block b;
    struct gtrec g;
    struct gn_err err = GN_ERR_INIT;
    uint64_t mask[(NS + 63) / 64] = {0}, full[(NS + 63) / 64] = {0};

    write_seg();
    ASSERT_OK(segment_open(&s, seg_path(), &err));
    for (uint32_t x = 0; x < NS; x++) {
        if (x % 3 != 1) mask[x >> 6] |= 1ull << (x & 63);
        full[x >> 6] |= 1ull << (x & 63);
    }
    segment_block_init(&b);
    gtrec_init(&g);
    for (uint32_t bi = 0; bi < segment_n_blocks(s); bi++) {
        ASSERT_OK(segment_block_load(s, bi, &b, 1, &err));
        for (uint32_t r = 0; r < b.n_records; r++) {
            ASSERT_OK(segment_record_decode(s, &b, r, &g, &err));
            for (uint32_t k = 0; k < b.rec[r].n_alt; k++) {
                struct segment_stats st, all;
                uint32_t ac = 0, an = 0, het = 0, hom = 0;
                int16_t a = (int16_t)(k + 1);
                for (uint32_t x = 0; x < NS; x++) {
                    if (!(mask[x >> 6] >> (x & 63) & 1)) continue;
                    int16_t a0 = g.al[2 * x], a1 = g.al[2 * x + 1];
                    uint32_t c = (a0 == a) + (a1 == a);
                    an += (a0 >= 0) + (a1 >= 0);
                    ac += c;
                    if (c == 2 || (c == 1 && (a0 < 0 || a1 < 0))) /* haploid or half-call */
                        hom++;
                    else if (c == 1)
                        het++;
                }
                segment_block_set_mask(&b, s, mask);
                ASSERT_OK(segment_site_stats(s, &b, r, b.rec[r].first_site + k, &st, &err));
                ASSERT_EQ_INT(st.ac, ac);
                ASSERT_EQ_INT(st.an, an);
                ASSERT_EQ_INT(st.het, het);
                ASSERT_EQ_INT(st.hom, hom);
                segment_block_set_mask(&b, s, NULL);
                ASSERT_OK(segment_site_stats(s, &b, r, b.rec[r].first_site + k, &all, &err));
                ASSERT_TRUE(all.ac >= st.ac && all.an >= st.an);
                /* every sample asked: the masked count equals the writer's precomputed one */
                segment_block_set_mask(&b, s, full);
                ASSERT_OK(segment_site_stats(s, &b, r, b.rec[r].first_site + k, &st, &err));
                ASSERT_EQ_INT(st.ac, all.ac);
                ASSERT_EQ_INT(st.an, all.an);
                ASSERT_EQ_INT(st.het, all.het);
                ASSERT_EQ_INT(st.hom, all.hom);
                segment_block_set_mask(&b, s, NULL);
            }
        }
    }
    segment_block_free(&b);
    gtrec_free(&g);
    segment_close(s);
}

/* Flipping any byte of a block is reported as corruption naming file and block. */
static void t_damage(void)
{
    struct segment *s;
    struct segment_block b;
    struct gn_err err = GN_ERR_INIT;
    int fd;
    uint8_t c;

    write_seg();
    fd = open(seg_path(), O_RDWR);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ_INT(pread(fd, &c, 1, 200), 1);
    c ^= 0x40;
    ASSERT_EQ_INT(pwrite(fd, &c, 1, 200), 1);
    close(fd);
    ASSERT_OK(segment_open(&s, seg_path(), &err));
    segment_block_init(&b);
    int rc = segment_block_load(s, 0, &b, 1, &err);
    ASSERT_EQ_INT(rc, GN_ECORRUPT);
    ASSERT_TRUE(strstr(err.msg, "block 0") != NULL);
    ASSERT_TRUE(strstr(err.msg, "s.gns") != NULL);
    segment_block_free(&b);
    segment_close(s);
    /* A truncated file (a crash mid-write) fails at open, never later. */
    ASSERT_EQ_INT(truncate(seg_path(), 100), 0);
    ASSERT_EQ_INT(segment_open(&s, seg_path(), &err), GN_ECORRUPT);
}

static uint32_t file_u32(int fd, uint64_t off)
{
    uint8_t b[4] = {0};
    ASSERT_EQ_INT(pread(fd, b, 4, (off_t)off), 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void file_put_u32(int fd, uint64_t off, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    ASSERT_EQ_INT(pwrite(fd, b, 4, (off_t)off), 4);
}

static uint64_t file_u64(int fd, uint64_t off)
{
    return file_u32(fd, off) | (uint64_t)file_u32(fd, off + 4) << 32;
}

/* Both codecs round-trip and count alike, and each block says which one it used (LZ4 by
 * default). A section whose checksum is right but whose bytes do not decode to its stated
 * size is corruption, not a crash. */
static void t_codecs(void)
{
    static const int codecs[] = {SEGMENT_CODEC_ZSTD, 0, SEGMENT_CODEC_LZ4};
    static const uint32_t on_disk[] = {0, 1, 1};
    for (int c = 0; c < 3; c++) {
        codec = codecs[c];
        t_roundtrip();
        t_masked_stats();
        int fd = open(seg_path(), O_RDONLY);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ_INT(file_u32(fd, 8), SEGMENT_VERSION);
        uint64_t index = file_u64(fd, 80);
        uint32_t n_blocks = file_u32(fd, 20);
        ASSERT_TRUE(n_blocks > 1);
        for (uint32_t i = 0; i < n_blocks; i++)
            ASSERT_EQ_INT(file_u32(fd, index + 64 * i + 60), on_disk[c]);
        close(fd);
    }
    codec = 0;

    /* garbage in block 0's payload, with its checksum made right */
    write_seg();
    int fd = open(seg_path(), O_RDWR);
    ASSERT_TRUE(fd >= 0);
    uint64_t index = file_u64(fd, 80), off = file_u64(fd, index + 24);
    uint32_t tclen = file_u32(fd, index + 32), pclen = file_u32(fd, index + 44);
    uint8_t *p = malloc(pclen);
    ASSERT_TRUE(p != NULL);
    ASSERT_EQ_INT(pread(fd, p, pclen, (off_t)(off + tclen)), (long)pclen);
    for (uint32_t i = pclen / 2; i < pclen; i++)
        p[i] = (uint8_t)(0xf0 ^ i);
    ASSERT_EQ_INT(pwrite(fd, p, pclen, (off_t)(off + tclen)), (long)pclen);
    file_put_u32(fd, index + 52, (uint32_t)crc32(0, p, pclen));
    free(p);
    /* and the index's checksum, then the header's, made right too */
    uint32_t ilen = file_u32(fd, 88);
    uint8_t *ix = malloc(ilen), h[124];
    ASSERT_TRUE(ix != NULL);
    ASSERT_EQ_INT(pread(fd, ix, ilen, (off_t)index), (long)ilen);
    file_put_u32(fd, 92, (uint32_t)crc32(0, ix, ilen));
    free(ix);
    ASSERT_EQ_INT(pread(fd, h, sizeof h, 0), (long)sizeof h);
    file_put_u32(fd, 124, (uint32_t)crc32(0, h, sizeof h));
    close(fd);
    struct segment *s;
    struct segment_block b;
    struct gn_err err = GN_ERR_INIT;
    ASSERT_OK(segment_open(&s, seg_path(), &err));
    segment_block_init(&b);
    ASSERT_OK(segment_block_load(s, 0, &b, 0, &err)); /* the record table is intact */
    ASSERT_EQ_INT(segment_block_load(s, 0, &b, 1, &err), GN_ECORRUPT);
    ASSERT_TRUE(strstr(err.msg, "block 0: payload does not decompress") != NULL);
    segment_block_free(&b);
    segment_close(s);
}

/* Haplotype tiles: records built from 8 founder haplotypes round-trip (whole and subset
 * decodes), and masked counts equal brute force. */
static void t_tiles(void)
{
    struct segment *s;
    struct segment_block b;
    struct gtrec want, got;
    struct gn_err err = GN_ERR_INIT;
    uint64_t mask[(NS + 63) / 64] = {0}, full[(NS + 63) / 64] = {0};
    uint32_t i = 0, tiled = 0, few[3] = {3, 150, NS - 1};

    founders = 1;
    write_seg();
    ASSERT_OK(segment_open(&s, seg_path(), &err));
    for (uint32_t x = 0; x < NS; x++) {
        if (x % 3 != 1) mask[x >> 6] |= 1ull << (x & 63);
        full[x >> 6] |= 1ull << (x & 63);
    }
    gtrec_init(&want);
    gtrec_init(&got);
    segment_block_init(&b);
    rng = 12345;
    for (uint32_t bi = 0; bi < segment_n_blocks(s); bi++) {
        ASSERT_OK(segment_block_load(s, bi, &b, 1, &err));
        tiled += b.tile_len > 0;
        for (uint32_t r = 0; r < b.n_records; r++, i++) {
            make_rec(&want, i);
            ASSERT_OK(segment_record_decode(s, &b, r, &got, &err));
            for (uint32_t x = 0; x < 2 * NS; x++)
                ASSERT_EQ_INT(got.al[x], want.al[x]);
            ASSERT_OK(segment_record_decode_subset(s, &b, r, few, 3, &got, &err));
            for (uint32_t x = 0; x < 3; x++) {
                ASSERT_EQ_INT(got.al[2 * x], want.al[2 * few[x]]);
                ASSERT_EQ_INT(got.al[2 * x + 1], want.al[2 * few[x] + 1]);
            }
            for (uint32_t k = 0; k < want.n_alt; k++) {
                struct segment_stats st;
                uint32_t ac = 0, het = 0, hom = 0;
                int16_t a = (int16_t)(k + 1);
                for (uint32_t x = 0; x < NS; x++) {
                    if (!(mask[x >> 6] >> (x & 63) & 1)) continue;
                    int16_t a0 = want.al[2 * x], a1 = want.al[2 * x + 1];
                    uint32_t c = (a0 == a) + (a1 == a);
                    ac += c;
                    if (c == 2 || (c == 1 && (a0 < 0 || a1 < 0))) /* haploid or half-call */
                        hom++;
                    else if (c == 1)
                        het++;
                }
                for (int only = 0; only < 2; only++) {
                    segment_block_set_mask(&b, s, mask);
                    b.ac_only = only;
                    ASSERT_OK(segment_site_stats(s, &b, r, b.rec[r].first_site + k, &st, &err));
                    ASSERT_EQ_INT(st.ac, ac);
                    if (!only) {
                        ASSERT_EQ_INT(st.het, het);
                        ASSERT_EQ_INT(st.hom, hom);
                    }
                }
                b.ac_only = 0;
                /* every sample asked: the same het/hom as the writer's precomputed counts */
                struct segment_stats all;
                segment_block_set_mask(&b, s, NULL);
                ASSERT_OK(segment_site_stats(s, &b, r, b.rec[r].first_site + k, &all, &err));
                segment_block_set_mask(&b, s, full);
                ASSERT_OK(segment_site_stats(s, &b, r, b.rec[r].first_site + k, &st, &err));
                ASSERT_EQ_INT(st.ac, all.ac);
                ASSERT_EQ_INT(st.het, all.het);
                ASSERT_EQ_INT(st.hom, all.hom);
                segment_block_set_mask(&b, s, NULL);
            }
        }
    }
    founders = 0;
    ASSERT_EQ_INT(i, NREC);
    ASSERT_TRUE(tiled > 0);
    segment_block_free(&b);
    gtrec_free(&want);
    gtrec_free(&got);
    segment_close(s);
}

static void t_unsorted(void)
{
    struct segment_writer *w;
    struct gtrec r;
    uint32_t ids[NS];
    struct gn_err err = GN_ERR_INIT;
    for (uint32_t x = 0; x < NS; x++)
        ids[x] = x;
    struct segment_writer_opts o = {.n_samples = NS, .sample_ids = ids};
    gtrec_init(&r);
    ASSERT_OK(segment_writer_open(&w, seg_path(), &o, &err));
    make_rec(&r, 5);
    ASSERT_OK(segment_writer_add(w, &r, &err));
    make_rec(&r, 2);
    ASSERT_EQ_INT(segment_writer_add(w, &r, &err), GN_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "not sorted") != NULL);
    segment_writer_free(w);
    ASSERT_TRUE(access(seg_path(), F_OK) != 0); /* unfinished file removed */
    gtrec_free(&r);
}

/* Makes the header checksum right again after a test changed header bytes. */
static void fix_header_crc(int fd)
{
    uint8_t h[124];
    ASSERT_EQ_INT(pread(fd, h, sizeof h, 0), (long)sizeof h);
    file_put_u32(fd, 124, (uint32_t)crc32(0, h, sizeof h));
}

static void file_put_u64(int fd, uint64_t off, uint64_t v)
{
    file_put_u32(fd, off, (uint32_t)v);
    file_put_u32(fd, off + 4, (uint32_t)(v >> 32));
}

/* A segment with phase sets: write_seg's records, phase-set change points added out of
 * contig order (sample 1: contig 3 before contig 0) and one replaced at its position. */
static void write_phase_seg(void)
{
    struct segment_writer *w;
    struct gtrec r;
    uint32_t ids[NS];
    struct gn_err err = GN_ERR_INIT;
    for (uint32_t x = 0; x < NS; x++)
        ids[x] = 1000 + x * 2;
    struct segment_writer_opts o = {.n_samples = NS,
                                    .sample_ids = ids,
                                    .flags = SEGMENT_FLAG_CALLABILITY | SEGMENT_FLAG_PHASESETS};
    gtrec_init(&r);
    rng = 12345;
    (void)unlink(seg_path());
    ASSERT_OK(segment_writer_open(&w, seg_path(), &o, &err));
    for (uint32_t i = 0; i < NREC; i++) {
        make_rec(&r, i);
        ASSERT_OK(segment_writer_add(w, &r, &err));
    }
    ASSERT_OK(segment_writer_add_callable(w, 5, 0, 1, 500, &err));
    ASSERT_OK(segment_writer_add_phase_set(w, 1, 3, 100, 5, &err));
    ASSERT_OK(segment_writer_add_phase_set(w, 1, 3, 200, 0, &err));
    ASSERT_OK(segment_writer_add_phase_set(w, 1, 3, 300, 7, &err));
    ASSERT_OK(segment_writer_add_phase_set(w, 1, 0, 50, 2, &err));
    ASSERT_OK(segment_writer_add_phase_set(w, 1, 0, 80, 9, &err));
    ASSERT_OK(segment_writer_add_phase_set(w, 1, 0, 80, 4, &err)); /* replaces 9 */
    ASSERT_OK(segment_writer_add_phase_set(w, 7, 0, 1, 1, &err));
    ASSERT_OK(segment_writer_add_phase_set(w, NS - 1, 5, 10, SEGMENT_MAX_PHASE_SET, &err));
    /* refused: unsorted within a contig, position 0, a set beyond PS's range */
    ASSERT_EQ_INT(segment_writer_add_phase_set(w, 1, 0, 60, 3, &err), GN_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "not sorted") != NULL);
    ASSERT_EQ_INT(segment_writer_add_phase_set(w, 2, 0, 0, 3, &err), GN_EINVAL);
    ASSERT_EQ_INT(segment_writer_add_phase_set(w, 2, 0, 9, SEGMENT_MAX_PHASE_SET + 1, &err),
                  GN_EINVAL);
    ASSERT_EQ_INT(segment_writer_add_phase_set(w, NS, 0, 9, 1, &err), GN_EINVAL);
    ASSERT_OK(segment_writer_finish(w, &err));
    segment_writer_free(w);
    gtrec_free(&r);
}

/* Phase sets round-trip: the set in force at and between change points, per sample and
 * contig, 0 before a contig's first point and on contigs without any. */
static void t_phase_sets(void)
{
    struct segment *s;
    struct gn_err err = GN_ERR_INIT;
    const struct segment_phase_change *pc;

    write_phase_seg();
    int fd = open(seg_path(), O_RDONLY);
    ASSERT_TRUE(fd >= 0);
    ASSERT_EQ_INT(file_u32(fd, 8), 4);
    ASSERT_EQ_INT(file_u32(fd, 12), SEGMENT_FLAG_CALLABILITY | SEGMENT_FLAG_PHASESETS);
    ASSERT_TRUE(file_u64(fd, 96) >= 128 && file_u32(fd, 104) > 0);
    close(fd);
    ASSERT_OK(segment_open(&s, seg_path(), &err));
    ASSERT_EQ_INT(segment_has_phase_sets(s), 1);
    static const struct {
        uint32_t sample, contig;
        int64_t pos;
        uint64_t set;
    } q[] = {
        {1, 0, 1, 0},         {1, 0, 49, 0},     {1, 0, 50, 2},
        {1, 0, 79, 2},        {1, 0, 80, 4},     {1, 0, 81, 4},
        {1, 0, 1000000, 4},   {1, 1, 100, 0},    {1, 2, 500, 0},
        {1, 3, 99, 0},        {1, 3, 100, 5},    {1, 3, 199, 5},
        {1, 3, 200, 0},       {1, 3, 299, 0},    {1, 3, 300, 7},
        {1, 3, INT64_MAX, 7}, {1, 4, 1, 0},      {0, 0, 50, 0},
        {2, 0, 60, 0},        {7, 0, 1, 1},      {7, 0, 99999, 1},
        {7, 3, 100, 0},       {NS - 1, 5, 9, 0}, {NS - 1, 5, 10, SEGMENT_MAX_PHASE_SET},
        {NS, 0, 50, 0},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        uint64_t got = segment_phase_set(s, q[i].sample, q[i].contig, q[i].pos);
        if (got != q[i].set)
            TEST_FAIL_("sample %u contig %u pos %lld: set %llu, want %llu", q[i].sample,
                       q[i].contig, (long long)q[i].pos, (unsigned long long)got,
                       (unsigned long long)q[i].set);
    }
    ASSERT_EQ_INT(segment_phase_changes(s, 1, &pc), 5);
    ASSERT_EQ_INT(pc[0].contig, 0);
    ASSERT_EQ_INT(pc[0].pos, 50);
    ASSERT_EQ_INT(pc[1].set, 4);
    ASSERT_EQ_INT(pc[4].contig, 3);
    ASSERT_EQ_INT(pc[4].set, 7);
    ASSERT_EQ_INT(segment_phase_changes(s, 0, &pc), 0);
    ASSERT_EQ_INT(segment_phase_changes(s, NS, &pc), 0);
    ASSERT_EQ_INT(segment_sample_callable(s, 5, 0, 500), 1); /* callability untouched */
    segment_close(s);

    /* a writer without SEGMENT_FLAG_PHASESETS takes none and writes no section */
    write_seg();
    ASSERT_OK(segment_open(&s, seg_path(), &err));
    ASSERT_EQ_INT(segment_has_phase_sets(s), 0);
    ASSERT_EQ_INT(segment_phase_set(s, 1, 0, 50), 0);
    segment_close(s);
}

/* Replaces the phase-set section by raw (compressed here), checksums made right. */
static void put_phase_section(const uint8_t *raw, size_t n)
{
    uint8_t comp[256];
    size_t c = ZSTD_compress(comp, sizeof comp, raw, n, 3);
    ASSERT_TRUE(!ZSTD_isError(c));
    int fd = open(seg_path(), O_RDWR);
    ASSERT_TRUE(fd >= 0);
    off_t end = lseek(fd, 0, SEEK_END);
    ASSERT_EQ_INT(pwrite(fd, comp, c, end), (long)c);
    file_put_u64(fd, 96, (uint64_t)end);
    file_put_u32(fd, 104, (uint32_t)c);
    file_put_u32(fd, 108, (uint32_t)n);
    file_put_u32(fd, 112, (uint32_t)crc32(0, comp, (uInt)c));
    fix_header_crc(fd);
    close(fd);
}

/* A damaged phase-set section fails the open as corruption, whatever is wrong with it. */
static void t_phase_damage(void)
{
    struct segment *s;
    struct gn_err err = GN_ERR_INIT;
    uint8_t raw[NS + 16];

    write_phase_seg();
    int fd = open(seg_path(), O_RDWR);
    ASSERT_TRUE(fd >= 0);
    uint64_t off = file_u64(fd, 96);
    uint8_t c;
    ASSERT_EQ_INT(pread(fd, &c, 1, (off_t)off + 2), 1);
    c ^= 0x10;
    ASSERT_EQ_INT(pwrite(fd, &c, 1, (off_t)off + 2), 1);
    close(fd);
    ASSERT_EQ_INT(segment_open(&s, seg_path(), &err), GN_ECORRUPT);
    ASSERT_TRUE(strstr(err.msg, "phase-set section checksum mismatch") != NULL);
    ASSERT_TRUE(strstr(err.msg, "s.gns") != NULL);

    /* out of the file */
    write_phase_seg();
    fd = open(seg_path(), O_RDWR);
    ASSERT_TRUE(fd >= 0);
    file_put_u64(fd, 96, (uint64_t)1 << 40);
    fix_header_crc(fd);
    close(fd);
    ASSERT_EQ_INT(segment_open(&s, seg_path(), &err), GN_ECORRUPT);
    ASSERT_TRUE(strstr(err.msg, "phase-set section out of bounds") != NULL);

    /* sections with right checksums but wrong content: sample 0's points unsorted, at
     * position 0, a set beyond PS's range, a count past the end, a sample missing, bytes
     * left over */
    static const uint8_t bad[][8] = {
        {2, 0, 20, 1, 0, 10, 2}, {1, 0, 0, 1}, {1, 0, 5, 0x81, 0x80, 0x80, 0x80, 0x08},
        {0xff, 0x7f, 0, 5, 1},   {0},          {0}};
    static const size_t bad_len[] = {7, 4, 8, 5, 0, 1};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        write_phase_seg();
        memset(raw, 0, sizeof raw);
        memcpy(raw, bad[k], bad_len[k]);
        /* every other sample: no points; case 4 one sample short, case 5 one byte over */
        size_t n = bad_len[k] ? bad_len[k] + (NS - 1) : NS - 1;
        if (k == 5) n = NS + 1;
        put_phase_section(raw, n);
        int rc = segment_open(&s, seg_path(), &err);
        if (rc != GN_ECORRUPT) TEST_FAIL_("case %zu: open gave %d", k, rc);
        ASSERT_TRUE(strstr(err.msg, "phase-set section malformed") != NULL);
    }
    /* and the same path with a well-formed section opens */
    write_phase_seg();
    memset(raw, 0, sizeof raw);
    memcpy(raw, (const uint8_t[]){2, 0, 10, 1, 0, 20, 2}, 7);
    put_phase_section(raw, 7 + NS - 1);
    ASSERT_OK(segment_open(&s, seg_path(), &err));
    ASSERT_EQ_INT(segment_phase_set(s, 0, 0, 15), 1);
    ASSERT_EQ_INT(segment_phase_set(s, 0, 0, 20), 2);
    ASSERT_EQ_INT(segment_phase_set(s, 1, 0, 80), 0);
    segment_close(s);
}

/* Replaces the callability section by raw (compressed here), checksums made right. */
static void put_callab_section(const uint8_t *raw, size_t n)
{
    size_t cap = ZSTD_compressBound(n);
    uint8_t *comp = malloc(cap);
    ASSERT_TRUE(comp != NULL);
    size_t c = ZSTD_compress(comp, cap, raw, n, 3);
    ASSERT_TRUE(!ZSTD_isError(c));
    int fd = open(seg_path(), O_RDWR);
    ASSERT_TRUE(fd >= 0);
    off_t end = lseek(fd, 0, SEEK_END);
    ASSERT_EQ_INT(pwrite(fd, comp, c, end), (long)c);
    file_put_u64(fd, 56, (uint64_t)end);
    file_put_u32(fd, 64, (uint32_t)c);
    file_put_u32(fd, 68, (uint32_t)n);
    file_put_u32(fd, 72, (uint32_t)crc32(0, comp, (uInt)c));
    fix_header_crc(fd);
    close(fd);
    free(comp);
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    for (; v >= 0x80; v >>= 7)
        p[n++] = (uint8_t)(v | 0x80);
    p[n++] = (uint8_t)v;
    return n;
}

/* A malformed callability section fails the open as corruption: a count the bytes left
 * cannot hold (allocating nothing by it), a sample's count past the end of the section
 * (once accepted, leaving the per-sample offsets out of order), an end past INT64_MAX (a
 * signed overflow), a contig id beyond 32 bits, unsorted or overlapping intervals. */
static void t_callab_damage(void)
{
    struct segment *s;
    struct gn_err err = GN_ERR_INIT;
    static uint8_t raw[NS + 64];
    struct {
        const char *what;
        uint8_t b[48];
        size_t len;
    } bad[] = {
        {"sample 1's count past the end", {1, 0, 10, 5, 0xff, 0xff, 0xff, 0x7f}, 8},
        {"two intervals, bytes for one", {2, 0, 10, 5}, 4},
        {"unsorted", {2, 0, 20, 1, 0, 10, 2}, 7},
        {"overlapping", {2, 0, 10, 5, 0, 15, 2}, 7},
        {"start 0", {1, 0, 0, 5}, 4},
        {"contig beyond 32 bits", {1, 0x80, 0x80, 0x80, 0x80, 0x10, 10, 5}, 8},
        {"", {0}, 0}, /* start + length past INT64_MAX, filled below */
        {"", {0}, 0}, /* start past INT64_MAX, filled below */
    };
    size_t nb = sizeof bad / sizeof bad[0], k;
    k = nb - 2;
    bad[k].what = "end past INT64_MAX";
    bad[k].b[0] = 1;
    bad[k].len = 2;
    bad[k].len += put_varint(bad[k].b + bad[k].len, (uint64_t)1 << 62);
    bad[k].len += put_varint(bad[k].b + bad[k].len, ((uint64_t)1 << 62) + 5);
    bad[k + 1].what = "start past INT64_MAX";
    bad[k + 1].b[0] = 1;
    bad[k + 1].len = 2;
    bad[k + 1].len += put_varint(bad[k + 1].b + bad[k + 1].len, ((uint64_t)1 << 63) + 1);
    bad[k + 1].len += put_varint(bad[k + 1].b + bad[k + 1].len, 1);
    for (k = 0; k < nb; k++) {
        write_seg();
        memset(raw, 0, sizeof raw);
        memcpy(raw, bad[k].b, bad[k].len);
        /* the first case ends with sample 1's count; the others give every other sample
         * no intervals */
        put_callab_section(raw, k == 0 ? bad[k].len : bad[k].len + (NS - 1));
        int rc = segment_open(&s, seg_path(), &err);
        if (rc != GN_ECORRUPT) TEST_FAIL_("%s: open gave %d", bad[k].what, rc);
        ASSERT_TRUE(strstr(err.msg, "callability section malformed") != NULL);
        ASSERT_TRUE(strstr(err.msg, "s.gns") != NULL);
    }

    /* 8 MB of zeros (a few hundred bytes compressed) claiming 8 million intervals: refused
     * without an allocation by that count (the old bound, the section's length, let it
     * through: 384 MB reserved and half of it written before the first check failed) */
    size_t big = (size_t)8 << 20;
    uint8_t *z = calloc(big, 1);
    ASSERT_TRUE(z != NULL);
    put_varint(z, big - 8);
    write_seg();
    put_callab_section(z, big);
    free(z);
    struct rusage ru0, ru1;
    ASSERT_EQ_INT(getrusage(RUSAGE_SELF, &ru0), 0);
    ASSERT_EQ_INT(segment_open(&s, seg_path(), &err), GN_ECORRUPT);
    ASSERT_EQ_INT(getrusage(RUSAGE_SELF, &ru1), 0);
    ASSERT_TRUE(strstr(err.msg, "callability section malformed") != NULL);
    if (ru1.ru_maxrss - ru0.ru_maxrss > 64 * 1024) /* KiB: the section itself is 8 MiB */
        TEST_FAIL_("opening it grew the peak RSS by %ld KiB", ru1.ru_maxrss - ru0.ru_maxrss);

    /* a well-formed section written the same way opens and reads back */
    write_seg();
    memset(raw, 0, sizeof raw);
    memcpy(raw, (const uint8_t[]){2, 0, 10, 5, 3, 20, 0}, 7);
    put_callab_section(raw, 7 + NS - 1);
    ASSERT_OK(segment_open(&s, seg_path(), &err));
    ASSERT_EQ_INT(segment_sample_callable(s, 0, 0, 15), 1);
    ASSERT_EQ_INT(segment_sample_callable(s, 0, 0, 16), 0);
    ASSERT_EQ_INT(segment_sample_callable(s, 0, 3, 20), 1);
    ASSERT_EQ_INT(segment_sample_callable(s, 1, 0, 12), 0);
    const struct segment_interval *iv;
    ASSERT_EQ_INT(segment_callable_intervals(s, 0, &iv), 2);
    ASSERT_EQ_INT(iv[1].end, 20);
    for (uint32_t x = 1; x < NS; x++)
        ASSERT_EQ_INT(segment_callable_intervals(s, x, &iv), 0);
    segment_close(s);
}

/* A version 3 file (this writer's output without phase sets, version field 3) still reads;
 * in versions 1 to 3 flag bit 1 and bytes 96..115 were reserved and are ignored. */
static void t_phase_v3(void)
{
    struct segment *s;
    struct segment_block b;
    struct gtrec want, got;
    struct gn_err err = GN_ERR_INIT;

    write_phase_seg();
    int fd = open(seg_path(), O_RDWR);
    ASSERT_TRUE(fd >= 0);
    file_put_u32(fd, 8, 3);
    file_put_u64(fd, 96, 0xdeadbeefull); /* would be out of bounds in version 4 */
    fix_header_crc(fd);
    close(fd);
    ASSERT_OK(segment_open(&s, seg_path(), &err));
    ASSERT_EQ_INT(segment_has_phase_sets(s), 0);
    ASSERT_EQ_INT(segment_phase_set(s, 1, 0, 80), 0);
    ASSERT_EQ_INT(segment_sample_callable(s, 5, 0, 500), 1);
    gtrec_init(&want);
    gtrec_init(&got);
    segment_block_init(&b);
    rng = 12345;
    uint32_t i = 0;
    for (uint32_t bi = 0; bi < segment_n_blocks(s); bi++) {
        ASSERT_OK(segment_block_load(s, bi, &b, 1, &err));
        for (uint32_t r = 0; r < b.n_records; r++, i++) {
            make_rec(&want, i);
            ASSERT_OK(segment_record_decode(s, &b, r, &got, &err));
            for (uint32_t x = 0; x < 2 * NS; x++)
                ASSERT_EQ_INT(got.al[x], want.al[x]);
        }
    }
    ASSERT_EQ_INT(i, NREC);
    segment_block_free(&b);
    gtrec_free(&want);
    gtrec_free(&got);
    segment_close(s);
    /* the same bytes as version 4 are refused */
    fd = open(seg_path(), O_RDWR);
    ASSERT_TRUE(fd >= 0);
    file_put_u32(fd, 8, 4);
    fix_header_crc(fd);
    close(fd);
    ASSERT_EQ_INT(segment_open(&s, seg_path(), &err), GN_ECORRUPT);
    /* a version 5 file is a format error */
    fd = open(seg_path(), O_RDWR);
    ASSERT_TRUE(fd >= 0);
    file_put_u32(fd, 8, 5);
    fix_header_crc(fd);
    close(fd);
    ASSERT_EQ_INT(segment_open(&s, seg_path(), &err), GN_EFORMAT);
}

const struct test_case test_segment_cases[] = {{"segment_roundtrip", t_roundtrip},
                                               {"segment_masked_stats", t_masked_stats},
                                               {"segment_tiles", t_tiles},
                                               {"segment_damage", t_damage},
                                               {"segment_unsorted", t_unsorted},
                                               {"segment_codecs", t_codecs},
                                               {"segment_phase_sets", t_phase_sets},
                                               {"segment_phase_damage", t_phase_damage},
                                               {"segment_phase_v3", t_phase_v3},
                                               {"segment_callab_damage", t_callab_damage},
                                               {NULL, NULL}};
