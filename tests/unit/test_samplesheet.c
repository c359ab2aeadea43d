/* Sample sheets: a good sheet in every dialect we accept, one case per error class with
 * the exact "NAME:LINE: ..." message, callbacks, limits, wiping, and privacy of messages.
 * National IDs are synthetic CPR numbers of people born in the 2040s and 2050s. */
#include <stdio.h>

#include "samplesheet.h"
#include "test.h"

#define H "national_id\tsample_id\tsex\tdataset\tconsent\n"

struct cb_ctx {
    int n_dataset, n_consent;
};

static int check_dataset(void *ctx, const char *name, struct gn_err *err)
{
    ((struct cb_ctx *)ctx)->n_dataset++;
    if (!strcmp(name, "cohort1") || !strcmp(name, "cohort2")) return GN_OK;
    return gn_errf(err, GN_ENOTFOUND, "no such dataset");
}

/* Accepts comma-separated lists of a few DUO codes, and "clinical". */
static int check_consent(void *ctx, const char *terms, struct gn_err *err)
{
    static const char *const known[] = {"GRU", "HMB", "NPU", "clinical"};
    ((struct cb_ctx *)ctx)->n_consent++;
    for (const char *p = terms; *p;) {
        size_t n = strcspn(p, ","), k;
        for (k = 0; k < sizeof known / sizeof known[0]; k++) {
            if (strlen(known[k]) == n && !memcmp(known[k], p, n)) break;
        }
        if (k == sizeof known / sizeof known[0]) {
            return gn_errf(err, GN_EPARSE, "unknown DUO term at offset %zu", (size_t)(p - terms));
        }
        p += n + (p[n] == ',');
    }
    return GN_OK;
}

static struct cb_ctx ctx;

static struct samplesheet_opts opts_cpr(void)
{
    struct samplesheet_opts o;
    memset(&o, 0, sizeof o);
    o.id_format = natid_format_find("cpr");
    o.check_consent = check_consent;
    o.check_dataset = check_dataset;
    o.ctx = &ctx;
    o.max_year = 2024;
    return o;
}

static int parse(const char *text, struct samplesheet **sh, struct gn_err *err)
{
    struct samplesheet_opts o = opts_cpr();
    return samplesheet_parse(text, strlen(text), "sheet.tsv", &o, sh, err);
}

static void t_good(void)
{
    static const char text[] =
        "\xef\xbb\xbf# sample manifest, synthetic\r\n"
        "\r\n"
        "Sample_ID\tNATIONAL_ID\tConsent\tsex\treferral_group\tdataset\tyear_of_birth\r\n"
        "S1\t010140-5000\tGRU\tmale\tRegion Sj\xc3\xa6lland\tcohort1\t1950\r\n"
        "# a comment between rows\n"
        "\n"
        "S 2\t0202455000\tHMB,NPU\tF\t\tcohort2\t\n"
        "S3\t0303506000\tclinical\t1\tpaediatrics\tcohort1\t2024\n"
        "S4\t0404507000\tGRU\t2\tx\tcohort1\t1880\n"
        "S5\t0505508000\tGRU\tOther\tx\tcohort1\t1880\n"
        "S6\t060650-8001\tGRU\tunknown\tx\tcohort1\t1880";
    struct gn_err err = GN_ERR_INIT;
    struct samplesheet *sh = NULL;
    const struct samplesheet_row *r;

    ASSERT_OK(parse(text, &sh, &err));
    ASSERT_EQ_INT(samplesheet_count(sh), 6);
    r = samplesheet_row(sh, 0);
    ASSERT_EQ_STR(r->national_id, "0101405000");
    ASSERT_EQ_STR(r->sample_id, "S1");
    ASSERT_EQ_STR(r->dataset, "cohort1");
    ASSERT_EQ_STR(r->consent, "GRU");
    ASSERT_EQ_STR(r->referral_group, "Region Sj\xc3\xa6lland");
    ASSERT_EQ_INT(r->sex, SAMPLESHEET_SEX_MALE);
    ASSERT_EQ_INT(r->year_of_birth, 1950);
    ASSERT_EQ_INT(r->line, 4);
    r = samplesheet_row(sh, 1);
    ASSERT_EQ_STR(r->sample_id, "S 2");
    ASSERT_EQ_STR(r->consent, "HMB,NPU");
    ASSERT_EQ_STR(r->referral_group, "");
    ASSERT_EQ_INT(r->sex, SAMPLESHEET_SEX_FEMALE);
    ASSERT_EQ_INT(r->year_of_birth, 0);
    ASSERT_EQ_INT(r->line, 7);
    ASSERT_EQ_INT(samplesheet_row(sh, 2)->sex, SAMPLESHEET_SEX_MALE);
    ASSERT_EQ_INT(samplesheet_row(sh, 2)->year_of_birth, 2024);
    ASSERT_EQ_INT(samplesheet_row(sh, 3)->sex, SAMPLESHEET_SEX_FEMALE);
    ASSERT_EQ_INT(samplesheet_row(sh, 4)->sex, SAMPLESHEET_SEX_OTHER);
    r = samplesheet_row(sh, 5);
    ASSERT_EQ_INT(r->sex, SAMPLESHEET_SEX_UNKNOWN);
    ASSERT_EQ_STR(r->national_id, "0606508001");
    ASSERT_EQ_STR(r->referral_group, "x");
    ASSERT_EQ_INT(r->line, 11);
    ASSERT_EQ_STR(samplesheet_sex_name(r->sex), "unknown");
    ASSERT_EQ_STR(samplesheet_sex_name(SAMPLESHEET_SEX_OTHER), "other");
    samplesheet_free(sh);
}

static void t_minimal(void)
{
    struct gn_err err = GN_ERR_INIT;
    struct samplesheet *sh = NULL;

    ASSERT_OK(parse(H "0101405000\tS1\tm\tcohort1\tGRU\n", &sh, &err));
    ASSERT_EQ_INT(samplesheet_count(sh), 1);
    ASSERT_EQ_STR(samplesheet_row(sh, 0)->referral_group, "");
    ASSERT_EQ_INT(samplesheet_row(sh, 0)->year_of_birth, 0);
    samplesheet_free(sh);

    /* A header and no samples is a valid, empty sheet; the caller decides. */
    ASSERT_OK(parse("# nothing yet\n" H, &sh, &err));
    ASSERT_EQ_INT(samplesheet_count(sh), 0);
    samplesheet_free(sh);
    samplesheet_free(NULL);
    samplesheet_wipe_ids(NULL);
}

static void t_errors(void)
{
    static const struct {
        const char *text;
        int rc;
        const char *msg;
    } cases[] = {
        /* column counts */
        {H "0101405000\tS1\tmale\tcohort1\tGRU\n0202455000\tS2\tmale\tcohort1\n", GN_EPARSE,
         "sheet.tsv:3: expected 5 fields, got 4"},
        {H "#\n\n0101405000\tS1\tmale\tcohort1\tGRU\t\n", GN_EPARSE,
         "sheet.tsv:4: expected 5 fields, got 6"},
        {H "\t\t\t\t\n", GN_EPARSE,
         "sheet.tsv:2: field 'national_id': expected 10 digits (DDMMYYSSSS or DDMMYY-SSSS), got "
         "0 characters"},
        /* national IDs */
        {H "3201405000\tS1\tmale\tcohort1\tGRU\n", GN_EPARSE,
         "sheet.tsv:2: field 'national_id': day 32 out of range"},
        {H "0101405000\tS1\tmale\tcohort1\tGRU\n2902495000\tS2\tmale\tcohort1\tGRU\n", GN_EPARSE,
         "sheet.tsv:3: field 'national_id': 29 February 2049 does not exist"},
        {H "0113405000\tS1\tmale\tcohort1\tGRU\n", GN_EPARSE,
         "sheet.tsv:2: field 'national_id': month 13 out of range"},
        {H "01AB405000\tS1\tmale\tcohort1\tGRU\n", GN_EPARSE,
         "sheet.tsv:2: field 'national_id': character 3 is not a digit"},
        {H "0101405000\tS1\tmale\tcohort1\tGRU\n"
           "0202455000\tS2\tmale\tcohort1\tGRU\n"
           "010140-5000\tS3\tmale\tcohort1\tGRU\n",
         GN_EPARSE, "sheet.tsv:4: field 'national_id': same national ID as line 2"},
        /* sample IDs */
        {H "0101405000\tS1\tmale\tcohort1\tGRU\n"
           "# S1 again below\n"
           "0202455000\tS2\tmale\tcohort1\tGRU\n"
           "0303505000\tS1\tmale\tcohort1\tGRU\n",
         GN_EPARSE, "sheet.tsv:5: field 'sample_id': same sample_id as line 2"},
        {H "0101405000\t\tmale\tcohort1\tGRU\n", GN_EPARSE,
         "sheet.tsv:2: field 'sample_id': empty"},
        {H "0101405000\tS1 \tmale\tcohort1\tGRU\n", GN_EPARSE,
         "sheet.tsv:2: field 'sample_id': leading or trailing space"},
        {H "0101405000\tS\xc3\xa6\tmale\tcohort1\tGRU\n", GN_EPARSE,
         "sheet.tsv:2: field 'sample_id': character 2 is a control character or not ASCII"},
        /* sex */
        {H "0101405000\tS1\tmalee\tcohort1\tGRU\n", GN_EPARSE,
         "sheet.tsv:2: field 'sex': not one of male, female, other, unknown, M, F, 1 (male), 2 "
         "(female)"},
        {H "0101405000\tS1\t\tcohort1\tGRU\n", GN_EPARSE,
         "sheet.tsv:2: field 'sex': empty (write 'unknown')"},
        /* year of birth */
        {"national_id\tsample_id\tsex\tdataset\tconsent\tyear_of_birth\n"
         "0101405000\tS1\tmale\tcohort1\tGRU\t1879\n",
         GN_EPARSE, "sheet.tsv:2: field 'year_of_birth': 1879 is outside 1880..2024"},
        {"national_id\tsample_id\tsex\tdataset\tconsent\tyear_of_birth\n"
         "0101405000\tS1\tmale\tcohort1\tGRU\t2025\n",
         GN_EPARSE, "sheet.tsv:2: field 'year_of_birth': 2025 is outside 1880..2024"},
        {"national_id\tsample_id\tsex\tdataset\tconsent\tyear_of_birth\n"
         "0101405000\tS1\tmale\tcohort1\tGRU\t19x0\n",
         GN_EPARSE, "sheet.tsv:2: field 'year_of_birth': expected 4 digits"},
        {"national_id\tsample_id\tsex\tdataset\tconsent\tyear_of_birth\n"
         "0101405000\tS1\tmale\tcohort1\tGRU\t01950\n",
         GN_EPARSE, "sheet.tsv:2: field 'year_of_birth': expected 4 digits"},
        /* referral group */
        {"national_id\tsample_id\tsex\tdataset\tconsent\treferral_group\n"
         "0101405000\tS1\tmale\tcohort1\tGRU\tab\xc3(\n",
         GN_EPARSE, "sheet.tsv:2: field 'referral_group': invalid UTF-8 at byte 3"},
        {"national_id\tsample_id\tsex\tdataset\tconsent\treferral_group\n"
         "0101405000\tS1\tmale\tcohort1\tGRU\ta\rb\n",
         GN_EPARSE, "sheet.tsv:2: field 'referral_group': control character at byte 2"},
        {"national_id\tsample_id\tsex\tdataset\tconsent\treferral_group\n"
         "0101405000\tS1\tmale\tcohort1\tGRU\t\xed\xa0\x80\n",
         GN_EPARSE, "sheet.tsv:2: field 'referral_group': invalid UTF-8 at byte 1"},
        /* callbacks */
        {H "0101405000\tS1\tmale\tcohort1\tGRU\n0202455000\tS2\tmale\tnope\tGRU\n", GN_ENOTFOUND,
         "sheet.tsv:3: field 'dataset': no such dataset"},
        {H "0101405000\tS1\tmale\tcohort1\tHMB,XYZ\n", GN_EPARSE,
         "sheet.tsv:2: field 'consent': unknown DUO term at offset 4"},
        {H "0101405000\tS1\tmale\tcohort1\t\n", GN_EPARSE, "sheet.tsv:2: field 'consent': empty"},
        /* header */
        {"national_id\tsample_id\tsex\tdataset\n0101405000\tS1\tmale\tcohort1\n", GN_EPARSE,
         "sheet.tsv:1: header: missing required column 'consent'"},
        {"# header follows\nnational_id\tsample_id\tsex\tdataset\tconsent\tcolour\n", GN_EPARSE,
         "sheet.tsv:2: header: unknown column 'colour' (column 6); known columns: national_id, "
         "sample_id, sex, dataset, consent, year_of_birth, referral_group"},
        {"national_id\tsample_id\tsex\tdataset\tconsent\tSEX\n", GN_EPARSE,
         "sheet.tsv:1: header: column 'sex' appears twice (columns 3 and 6)"},
        {"national_id\tsample_id\tsex\tdataset\tconsent\t\n", GN_EPARSE,
         "sheet.tsv:1: header: column 6 has no name"},
        {"0101405000\tS1\tmale\tcohort1\tGRU\n", GN_EPARSE,
         "sheet.tsv:1: header: column 1 is not a known column name (name not shown; is the "
         "header line missing?)"},
        {"# only a comment\n\r\n", GN_EPARSE,
         "sheet.tsv: no header line (required columns: national_id, sample_id, sex, dataset, "
         "consent)"},
        {"", GN_EPARSE,
         "sheet.tsv: no header line (required columns: national_id, sample_id, sex, dataset, "
         "consent)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gn_err err = GN_ERR_INIT;
        struct samplesheet *sh = (struct samplesheet *)&err; /* must be reset to NULL */
        int rc = parse(cases[i].text, &sh, &err);
        if (rc != cases[i].rc || strcmp(err.msg, cases[i].msg) != 0) {
            fprintf(stderr, "    case %zu\n", i);
        }
        ASSERT_EQ_INT(rc, cases[i].rc);
        ASSERT_EQ_STR(err.msg, cases[i].msg);
        ASSERT_TRUE(sh == NULL);
    }
}

/* No message repeats a national ID, not even when the columns are swapped so that the ID
 * sits in another field, nor when the header is missing. */
static void t_privacy(void)
{
    static const char *const sheets[] = {
        "national_id\tsex\tsample_id\tdataset\tconsent\n0101405000\tS1\t0202455123\tcohort1\tGRU\n",
        "national_id\tsample_id\tsex\tdataset\tconsent\nS1\t0202455123\tmale\tcohort1\tGRU\n",
        "national_id\tsample_id\tsex\tdataset\tconsent\n0101405000\tS1\tmale\t0202455123\tGRU\n",
        "national_id\tsample_id\tsex\tdataset\tconsent\n"
        "0101405000\tS1\tmale\tcohort1\t0202455123\n",
        "0202455123\tS1\tmale\tcohort1\tGRU\n",
        "national_id\tsample_id\tsex\tdataset\tconsent\tyear_of_birth\n"
        "0101405000\tS1\tmale\tcohort1\tGRU\t0202455123\n",
        "national_id\tsample_id\tsex\tdataset\tconsent\n0202455123\tS1\tmale\tcohort1\tGRU\n"
        "020245-5123\tS2\tmale\tcohort1\tGRU\n",
        "national_id\tsample_id\tsex\tdataset\tconsent\n3202455123\tS1\tmale\tcohort1\tGRU\n",
    };
    for (size_t i = 0; i < sizeof sheets / sizeof sheets[0]; i++) {
        struct gn_err err = GN_ERR_INIT;
        struct samplesheet *sh = NULL;
        ASSERT_TRUE(parse(sheets[i], &sh, &err) < 0);
        ASSERT_TRUE(err.msg[0] != '\0');
        if (strstr(err.msg, "5123")) TEST_FAIL_("case %zu leaks the ID: %s", i, err.msg);
    }
}

static void t_callbacks(void)
{
    struct samplesheet_opts o = opts_cpr();
    struct gn_err err = GN_ERR_INIT;
    struct samplesheet *sh = NULL;
    static const char text[] = H "0101405000\tS1\tmale\tanything\tNOT-DUO\n"
                                 "0202455000\tS2\tmale\tcohort1\tGRU\n";
    static const char opaque[] = H "SE-19121212-1212\tS1\tmale\tx\tGRU\n";

    memset(&ctx, 0, sizeof ctx);
    ASSERT_OK(parse(H "0101405000\tS1\tmale\tcohort1\tGRU\n0202455000\tS2\tmale\tcohort2\tHMB\n",
                    &sh, &err));
    ASSERT_EQ_INT(ctx.n_dataset, 2);
    ASSERT_EQ_INT(ctx.n_consent, 2);
    samplesheet_free(sh);

    /* A row failing a local check never reaches the callbacks. */
    memset(&ctx, 0, sizeof ctx);
    ASSERT_EQ_INT(parse(H "0101405000\tS1\tmaybe\tcohort1\tGRU\n", &sh, &err), GN_EPARSE);
    ASSERT_EQ_INT(ctx.n_dataset + ctx.n_consent, 0);

    /* NULL callbacks skip the checks. */
    o.check_consent = NULL;
    o.check_dataset = NULL;
    ASSERT_OK(samplesheet_parse(text, strlen(text), NULL, &o, &sh, &err));
    ASSERT_EQ_INT(samplesheet_count(sh), 2);
    ASSERT_EQ_STR(samplesheet_row(sh, 0)->consent, "NOT-DUO");
    samplesheet_free(sh);

    /* A format is required; the opaque one accepts other countries' IDs. */
    o.id_format = NULL;
    ASSERT_EQ_INT(samplesheet_parse(text, strlen(text), NULL, &o, &sh, &err), GN_EINVAL);
    ASSERT_EQ_INT(samplesheet_parse(text, strlen(text), NULL, NULL, &sh, &err), GN_EINVAL);
    o.id_format = natid_format_find("opaque");
    ASSERT_OK(samplesheet_parse(opaque, strlen(opaque), "m", &o, &sh, &err));
    ASSERT_EQ_STR(samplesheet_row(sh, 0)->national_id, "SE-19121212-1212");
    samplesheet_free(sh);
}

static void t_wipe(void)
{
    struct gn_err err = GN_ERR_INIT;
    struct samplesheet *sh = NULL;

    ASSERT_OK(parse(H "010140-5000\tS1\tmale\tcohort1\tGRU\n0202455000\tS2\tfemale\tcohort2\tHMB\n",
                    &sh, &err));
    ASSERT_EQ_STR(samplesheet_row(sh, 1)->national_id, "0202455000");
    samplesheet_wipe_ids(sh);
    for (size_t i = 0; i < samplesheet_count(sh); i++) {
        const struct samplesheet_row *r = samplesheet_row(sh, i);
        ASSERT_EQ_STR(r->national_id, "");
        ASSERT_TRUE(memchr(r->national_id, '5', 10) == NULL); /* the whole ID, not just [0] */
    }
    ASSERT_EQ_STR(samplesheet_row(sh, 0)->sample_id, "S1");
    ASSERT_EQ_STR(samplesheet_row(sh, 1)->consent, "HMB");
    samplesheet_wipe_ids(sh); /* idempotent */
    samplesheet_free(sh);
}

/* Bytes, not strings: NULs, binary, no final newline, lone CRs, the line-length limit. */
static void t_bytes(void)
{
    static const char nul_row[] = H "0101405000\tS\0001\tmale\tcohort1\tGRU\n";
    static const char no_nl[] = H "0101405000\tS1\tmale\tcohort1\tGRU";
    struct samplesheet_opts o = opts_cpr();
    struct gn_err err = GN_ERR_INIT;
    struct samplesheet *sh = NULL;
    char *big;
    size_t n;

    ASSERT_EQ_INT(samplesheet_parse(nul_row, sizeof nul_row - 1, "b", &o, &sh, &err), GN_EPARSE);
    ASSERT_EQ_STR(err.msg, "b:2: field 'sample_id': character 2 is a control character or not "
                           "ASCII");
    /* Only n bytes are read: cut the sheet before its last newline. */
    ASSERT_OK(samplesheet_parse(no_nl, sizeof no_nl - 1, "b", &o, &sh, &err));
    ASSERT_EQ_INT(samplesheet_count(sh), 1);
    ASSERT_EQ_STR(samplesheet_row(sh, 0)->consent, "GRU");
    samplesheet_free(sh);
    ASSERT_EQ_INT(samplesheet_parse(no_nl, sizeof no_nl - 2, "b", &o, &sh, &err), GN_EPARSE);
    ASSERT_EQ_STR(err.msg, "b:2: field 'consent': unknown DUO term at offset 0");
    ASSERT_EQ_INT(samplesheet_parse(NULL, 0, "b", &o, &sh, &err), GN_EPARSE);
    ASSERT_TRUE(sh == NULL);

    /* A line one byte over the limit, then one exactly at it (as a comment). */
    n = strlen(H) + SAMPLESHEET_MAX_LINE + 2;
    big = calloc(1, n + 1);
    ASSERT_TRUE(big != NULL);
    memcpy(big, H, strlen(H));
    memset(big + strlen(H), '#', SAMPLESHEET_MAX_LINE + 1);
    big[n - 1] = '\n';
    ASSERT_EQ_INT(samplesheet_parse(big, n, "b", &o, &sh, &err), GN_ELIMIT);
    ASSERT_EQ_STR(err.msg, "b:2: line longer than 65536 bytes");
    big[n - 2] = '\r'; /* the CR is not counted */
    ASSERT_OK(samplesheet_parse(big, n, "b", &o, &sh, &err));
    ASSERT_EQ_INT(samplesheet_count(sh), 0);
    samplesheet_free(sh);
    free(big);
}

static void t_read_file(void)
{
    struct samplesheet_opts o = opts_cpr();
    struct gn_err err = GN_ERR_INIT;
    struct samplesheet *sh = NULL;
    char path[512], msg[600];
    FILE *f;

    snprintf(path, sizeof path, "%s/manifest.tsv", test_tmpdir());
    f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    fputs(H "0101405000\tS1\tmale\tcohort1\tGRU\n0202455000\tS2\tmale\tcohort1\tGRU\n"
            "0303505000\tS3\tmale\tcohort1\tXYZ\n",
          f);
    fclose(f);
    ASSERT_EQ_INT(samplesheet_read(path, &o, &sh, &err), GN_EPARSE);
    snprintf(msg, sizeof msg, "%s:4: field 'consent': unknown DUO term at offset 0", path);
    ASSERT_EQ_STR(err.msg, msg);

    f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    fputs(H "0101405000\tS1\tmale\tcohort1\tGRU\n", f);
    fclose(f);
    ASSERT_OK(samplesheet_read(path, &o, &sh, &err));
    ASSERT_EQ_INT(samplesheet_count(sh), 1);
    samplesheet_free(sh);

    snprintf(path, sizeof path, "%s/absent.tsv", test_tmpdir());
    ASSERT_EQ_INT(samplesheet_read(path, &o, &sh, &err), GN_ENOTFOUND);
    ASSERT_TRUE(sh == NULL);
}

/* Enough rows to grow the row array and the duplicate sets several times. */
static void t_many(void)
{
    struct samplesheet_opts o = opts_cpr();
    struct gn_err err = GN_ERR_INIT;
    struct samplesheet *sh = NULL;
    size_t cap = (size_t)5000 * 64, len = 0, n = 0;
    char *text = malloc(cap);

    ASSERT_TRUE(text != NULL);
    len += (size_t)snprintf(text, cap, "%s", H);
    for (int m = 1; m <= 12; m++) {
        for (int d = 1; d <= 28; d++) {
            for (int s = 0; s < 10; s++, n++) {
                len += (size_t)snprintf(text + len, cap - len,
                                        "%02d%02d45%d%03d\tS%zu\tmale\tcohort1\tGRU\n", d, m,
                                        5 + s % 4, s, n);
            }
        }
    }
    ASSERT_OK(samplesheet_parse(text, len, "big", &o, &sh, &err));
    ASSERT_EQ_INT(samplesheet_count(sh), n);
    ASSERT_EQ_STR(samplesheet_row(sh, n - 1)->sample_id, "S3359");
    samplesheet_free(sh);
    /* The same sheet plus one duplicate at the very end. */
    len += (size_t)snprintf(text + len, cap - len, "%s", "1506455004\tSX\tmale\tcohort1\tGRU\n");
    ASSERT_EQ_INT(samplesheet_parse(text, len, "big", &o, &sh, &err), GN_EPARSE);
    ASSERT_EQ_STR(err.msg, "big:3362: field 'national_id': same national ID as line 1546");
    free(text);
}

const struct test_case test_samplesheet_cases[] = {
    {"samplesheet_good", t_good},           {"samplesheet_minimal", t_minimal},
    {"samplesheet_errors", t_errors},       {"samplesheet_privacy", t_privacy},
    {"samplesheet_callbacks", t_callbacks}, {"samplesheet_wipe", t_wipe},
    {"samplesheet_bytes", t_bytes},         {"samplesheet_read_file", t_read_file},
    {"samplesheet_many", t_many},           {NULL, NULL},
};
