/* Manifest round trip and damage detection; store init/commit/snapshot. */
#include "gtstore.h"
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

const struct test_case test_gtstore_cases[] = {{"gtstore_manifest", t_manifest},
                                               {"gtstore_manifest_damage", t_manifest_damage},
                                               {"gtstore_snapshot_empty", t_snapshot_empty},
                                               {NULL, NULL}};
