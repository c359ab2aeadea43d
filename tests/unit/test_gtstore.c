/* Manifest round trip and damage detection; store init/commit/snapshot. */
#include "gtstore.h"
#include "segment.h"
#include "test.h"

static void t_manifest(void)
{
    struct gtstore *st;
    struct gtstore_manifest m;
    struct gn_err err = GN_ERR_INIT;
    char dir[512];
    uint32_t id, del = 7;

    snprintf(dir, sizeof dir, "%s/store", test_tmpdir());
    ASSERT_OK(gtstore_init(dir, CONTIG_BUILD_GRCH38, &err));
    ASSERT_EQ_INT(gtstore_init(dir, CONTIG_BUILD_GRCH38, &err), GN_EEXIST);
    ASSERT_OK(gtstore_open_writer(&st, dir, &err));
    ASSERT_OK(gtstore_contig_intern(st, "chrUn_KI270302v1", 2274, &id, &err));
    ASSERT_EQ_INT(id, 25);
    ASSERT_OK(gtstore_withdraw(st, &del, 1, &err));
    ASSERT_OK(gtstore_commit(st, &err));
    /* Second writer is refused while the first holds the lock. */
    struct gtstore *st2 = NULL;
    ASSERT_EQ_INT(gtstore_open_writer(&st2, dir, &err), GN_EBUSY);
    gtstore_close(st);
    ASSERT_OK(gtstore_manifest_read(dir, &m, &err));
    ASSERT_EQ_INT(m.n_contigs, 26);
    ASSERT_EQ_STR(m.contig[0].name, "chr1");
    ASSERT_EQ_INT(m.contig[0].length, 248956422);
    ASSERT_EQ_INT(gtstore_manifest_is_deleted(&m, 7), 1);
    ASSERT_EQ_INT(gtstore_manifest_is_deleted(&m, 8), 0);
    ASSERT_EQ_INT(m.generation, 1);
    gtstore_manifest_free(&m);
}

static void t_manifest_damage(void)
{
    static const char good[] = "genomenode-manifest 1\nbuild GRCh37\ngeneration 1\n";
    struct gtstore_manifest m;
    struct gn_err err = GN_ERR_INIT;
    /* No end line: an incomplete write. */
    ASSERT_EQ_INT(gtstore_manifest_parse(good, sizeof good - 1, &m, &err), GN_ECORRUPT);
    /* Wrong checksum. */
    static const char bad[] = "genomenode-manifest 1\nbuild GRCh37\nend 00000000\n";
    ASSERT_EQ_INT(gtstore_manifest_parse(bad, sizeof bad - 1, &m, &err), GN_ECORRUPT);
    ASSERT_TRUE(strstr(err.msg, "checksum") != NULL);
}

static void t_snapshot_empty(void)
{
    struct gtsnap *snap;
    struct gn_err err = GN_ERR_INIT;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/s2", test_tmpdir());
    ASSERT_OK(gtstore_init(dir, CONTIG_BUILD_GRCH37, &err));
    ASSERT_OK(gtsnap_open(&snap, dir, &err));
    ASSERT_EQ_INT(snap->n_seg, 0);
    gtsnap_free(snap);
    snprintf(dir, sizeof dir, "%s/none", test_tmpdir());
    ASSERT_EQ_INT(gtsnap_open(&snap, dir, &err), GN_ENOTFOUND);
}

/* A store at dir whose one segment holds a record on contig id `contig`, committed as an
 * ingest would (the segment writer does not know the manifest's contigs). */
static void store_with_contig(const char *dir, uint32_t contig)
{
    struct gtstore *st;
    struct segment_writer *w;
    struct gtrec r;
    struct gn_err err = GN_ERR_INIT;
    char path[4096];
    uint32_t ids[2] = {0, 1};
    const char *alt = "C";
    size_t alt_len = 1;
    struct segment_writer_opts o = {.n_samples = 2, .sample_ids = ids};

    ASSERT_OK(gtstore_init(dir, CONTIG_BUILD_GRCH37, &err));
    ASSERT_OK(gtstore_open_writer(&st, dir, &err));
    struct gtstore_manifest *m = gtstore_manifest(st);
    ASSERT_OK(gtstore_segment_path(path, sizeof path, dir, m->next_segment));
    gtrec_init(&r);
    ASSERT_OK(gtrec_set_alleles(&r, "A", 1, &alt, &alt_len, 1));
    ASSERT_OK(gtrec_reserve(&r, 2));
    r.contig = contig;
    r.pos = 1000;
    r.al[0] = 0;
    r.al[1] = 1;
    r.al[2] = r.al[3] = 0;
    r.phased[0] = r.phased[1] = 0;
    ASSERT_OK(segment_writer_open(&w, path, &o, &err));
    ASSERT_OK(segment_writer_add(w, &r, &err));
    ASSERT_OK(segment_writer_finish(w, &err));
    segment_writer_free(w);
    gtrec_free(&r);
    ASSERT_OK(gtstore_add_segment(st, m->next_segment, 2, 1, &err));
    m->next_segment++;
    m->next_sample = 2;
    ASSERT_OK(gtstore_commit(st, &err));
    gtstore_close(st);
}

/* A segment whose block index names a contig id the manifest does not have (a damaged or
 * hostile file with right checksums) is refused when the snapshot opens, naming the
 * segment: export read the contig's name past the manifest's array, freq dropped it. */
static void t_snapshot_contig(void)
{
    struct gtsnap *snap;
    struct gn_err err = GN_ERR_INIT;
    char dir[512];

    snprintf(dir, sizeof dir, "%s/ok", test_tmpdir());
    store_with_contig(dir, 24); /* GRCh37's 25 primary contigs: the last one */
    ASSERT_OK(gtsnap_open(&snap, dir, &err));
    ASSERT_EQ_INT(snap->man.n_contigs, 25);
    ASSERT_EQ_INT(snap->n_seg, 1);
    ASSERT_EQ_INT(segment_block_info(snap->seg[0], 0)->contig, 24);
    gtsnap_free(snap);

    snprintf(dir, sizeof dir, "%s/bad", test_tmpdir());
    store_with_contig(dir, 25);
    ASSERT_EQ_INT(gtsnap_open(&snap, dir, &err), GN_ECORRUPT);
    ASSERT_TRUE(strstr(err.msg, "segments/seg-00000001.gns") != NULL);
    ASSERT_TRUE(strstr(err.msg, "contig id 25") != NULL);
    ASSERT_TRUE(snap == NULL);
}

const struct test_case test_gtstore_cases[] = {{"gtstore_manifest", t_manifest},
                                               {"gtstore_manifest_damage", t_manifest_damage},
                                               {"gtstore_snapshot_empty", t_snapshot_empty},
                                               {"gtstore_snapshot_contig", t_snapshot_contig},
                                               {NULL, NULL}};
