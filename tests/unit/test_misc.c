/* Error table, pseudonyms, contig normalisation. */
#include <sys/stat.h>

#include "contig.h"
#include "err.h"
#include "pseudonym.h"
#include "test.h"

static void t_err(void)
{
    struct gn_err e = GN_ERR_INIT;
    ASSERT_EQ_STR(gn_err_name(GN_EPARSE), "EPARSE");
    ASSERT_EQ_INT(gn_err_http_status(GN_EPARSE), 400);
    ASSERT_EQ_INT(gn_err_http_status(GN_EDENIED), 403);
    ASSERT_EQ_INT(gn_errf(&e, GN_ECORRUPT, "block %d", 3), GN_ECORRUPT);
    gn_err_prefix(&e, GN_EIO, "file %s", "x");
    ASSERT_EQ_STR(e.msg, "file x: block 3");
    ASSERT_EQ_INT(e.code, GN_ECORRUPT);
}

static void t_pseudonym(void)
{
    struct pseudonym a, b;
    struct gn_err err = GN_ERR_INIT;
    char path[512], p1[PSEUDONYM_LEN + 1], p2[PSEUDONYM_LEN + 1], p3[PSEUDONYM_LEN + 1];
    struct stat st;

    snprintf(path, sizeof path, "%s/key", test_tmpdir());
    ASSERT_OK(pseudonym_keygen(path, &err));
    ASSERT_EQ_INT(stat(path, &st), 0);
    ASSERT_EQ_INT(st.st_mode & 0777, 0600);
    ASSERT_EQ_INT(pseudonym_keygen(path, &err), GN_EEXIST);
    ASSERT_OK(pseudonym_load(&a, path, &err));
    pseudonym_of(&a, "sample", "NA12878", 7, p1);
    pseudonym_of(&a, "sample", "NA12878", 7, p2);
    pseudonym_of(&a, "person", "NA12878", 7, p3);
    ASSERT_EQ_STR(p1, p2);
    ASSERT_TRUE(strcmp(p1, p3) != 0); /* domains separate */
    ASSERT_EQ_INT(strlen(p1), PSEUDONYM_LEN);
    pseudonym_derive(&a, "project-1", &b);
    pseudonym_of(&b, "sample", "NA12878", 7, p2);
    ASSERT_TRUE(strcmp(p1, p2) != 0); /* projects cannot link */
    ASSERT_EQ_INT(chmod(path, 0644), 0);
    ASSERT_EQ_INT(pseudonym_load(&a, path, &err), GN_EDENIED);
}

static void t_contig(void)
{
    char out[CONTIG_NAME_MAX + 1];
    ASSERT_EQ_INT(contig_normalise(CONTIG_BUILD_GRCH38, "20", 2, out), 19);
    ASSERT_EQ_STR(out, "chr20");
    ASSERT_EQ_INT(contig_normalise(CONTIG_BUILD_GRCH37, "chrX", 4, out), 22);
    ASSERT_EQ_STR(out, "X");
    ASSERT_EQ_INT(contig_normalise(CONTIG_BUILD_GRCH37, "chrM", 4, out), 24);
    ASSERT_EQ_STR(out, "MT");
    ASSERT_EQ_INT(contig_normalise(CONTIG_BUILD_GRCH38, "GL000192.1", 10, out), -1);
    ASSERT_EQ_STR(out, "GL000192.1");
    ASSERT_EQ_INT(contig_normalise(CONTIG_BUILD_GRCH38, "a b", 3, out), GN_EINVAL);
    ASSERT_EQ_INT(contig_primary_length(CONTIG_BUILD_GRCH37, 19), 63025520);
}

const struct test_case test_misc_cases[] = {
    {"err_table", t_err}, {"pseudonym", t_pseudonym}, {"contig", t_contig}, {NULL, NULL}};
