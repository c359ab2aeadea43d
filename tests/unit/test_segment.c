/*
 * Segment round trips on random genotype matrices with every feature the format has:
 * missing haplotypes, haploid calls, multi-allelic records, mixed phase, dense and
 * sparse sites; masked counts checked against brute force; damage detected.
 */
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

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
    uint64_t mask[(NS + 63) / 64] = {0};

    write_seg();
    ASSERT_OK(segment_open(&s, seg_path(), &err));
    for (uint32_t x = 0; x < NS; x++)
        if (x % 3 != 1) mask[x >> 6] |= 1ull << (x & 63);
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
                    if (c == 2 || (c == 1 && a1 == GTREC_NONE))
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
    uint64_t mask[(NS + 63) / 64] = {0};
    uint32_t i = 0, tiled = 0, few[3] = {3, 150, NS - 1};

    founders = 1;
    write_seg();
    ASSERT_OK(segment_open(&s, seg_path(), &err));
    for (uint32_t x = 0; x < NS; x++)
        if (x % 3 != 1) mask[x >> 6] |= 1ull << (x & 63);
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
                    if (c == 2 || (c == 1 && a1 == GTREC_NONE))
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

const struct test_case test_segment_cases[] = {{"segment_roundtrip", t_roundtrip},
                                               {"segment_masked_stats", t_masked_stats},
                                               {"segment_tiles", t_tiles},
                                               {"segment_damage", t_damage},
                                               {"segment_unsorted", t_unsorted},
                                               {"segment_codecs", t_codecs},
                                               {NULL, NULL}};
