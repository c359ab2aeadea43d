/* Table-driven tests of the bounded parsers (regions, variants, integers). */
#include "strparse.h"
#include "test.h"

static void t_region(void)
{
    static const struct {
        const char *in;
        const char *chrom;
        int64_t start, end;
        int rc;
    } cases[] = {
        {"chr1:100-200", "chr1", 100, 200, GN_OK},
        {"1:1,000-2,000", "1", 1000, 2000, GN_OK},
        {"X", "X", 1, INT64_MAX, GN_OK},
        {"20:5", "20", 5, 5, GN_OK},
        {"20:5-", "20", 5, INT64_MAX, GN_OK},
        {"1:200-100", "", 0, 0, GN_EPARSE},
        {"1:0-10", "", 0, 0, GN_EPARSE},
        {":1-2", "", 0, 0, GN_EPARSE},
        {"1:a-b", "", 0, 0, GN_EPARSE},
        {"1:1-99999999999999999999", "", 0, 0, GN_EPARSE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct strparse_region r;
        int rc = strparse_region(cases[i].in, strlen(cases[i].in), &r);
        ASSERT_EQ_INT(rc, cases[i].rc);
        if (rc < 0) continue;
        ASSERT_EQ_INT(r.chrom.n, strlen(cases[i].chrom));
        ASSERT_TRUE(!memcmp(r.chrom.p, cases[i].chrom, r.chrom.n));
        ASSERT_EQ_INT(r.start, cases[i].start);
        ASSERT_EQ_INT(r.end, cases[i].end);
    }
}

static void t_variant(void)
{
    static const struct {
        const char *in;
        int64_t pos;
        const char *ref, *alt;
        int rc;
    } cases[] = {
        {"chr7:117559590:ATCT:A", 117559590, "ATCT", "A", GN_OK},
        {"1-55051215-G-GA", 0, "", "", GN_EPARSE}, /* chrom must end with ':' */
        {"1:55051215-G-GA", 55051215, "G", "GA", GN_OK},
        {"1:5:G:*", 5, "G", "*", GN_OK},
        {"1:5:G:", 0, "", "", GN_EPARSE},
        {"1:5:Q:A", 0, "", "", GN_EPARSE},
        {"1:0:A:C", 0, "", "", GN_EPARSE},
        {"1:5:A", 0, "", "", GN_EPARSE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct strparse_variant v;
        int rc = strparse_variant(cases[i].in, strlen(cases[i].in), &v);
        ASSERT_EQ_INT(rc, cases[i].rc);
        if (rc < 0) continue;
        ASSERT_EQ_INT(v.pos, cases[i].pos);
        ASSERT_EQ_INT(v.ref.n, strlen(cases[i].ref));
        ASSERT_TRUE(!memcmp(v.ref.p, cases[i].ref, v.ref.n));
        ASSERT_EQ_INT(v.alt.n, strlen(cases[i].alt));
    }
}

static void t_i64(void)
{
    int64_t v;
    ASSERT_OK(strparse_i64_all("-9223372036854775808", 20, &v));
    ASSERT_TRUE(v == INT64_MIN);
    ASSERT_EQ_INT(strparse_i64_all("9223372036854775808", 19, &v), GN_EPARSE);
    ASSERT_EQ_INT(strparse_i64_all("12a", 3, &v), GN_EPARSE);
    ASSERT_EQ_INT(strparse_i64_all("", 0, &v), GN_EPARSE);
    /* No NUL terminator needed: parse only the first two bytes of "123". */
    ASSERT_OK(strparse_i64_all("123", 2, &v));
    ASSERT_EQ_INT(v, 12);
}

static void t_date(void)
{
    static const struct {
        const char *in;
        int rc;
    } cases[] = {
        {"2030-12-31", GN_OK},      {"2024-02-29", GN_OK},
        {"2000-02-29", GN_OK},      {"0001-01-01", GN_OK},
        {"2023-02-29", GN_EPARSE},  {"1900-02-29", GN_EPARSE},
        {"2030-04-31", GN_EPARSE},  {"2030-13-01", GN_EPARSE},
        {"2030-00-10", GN_EPARSE},  {"2030-01-00", GN_EPARSE},
        {"0000-01-01", GN_EPARSE},  {"31.12.2020", GN_EPARSE},
        {"never", GN_EPARSE},       {"", GN_EPARSE},
        {"2030-1-011", GN_EPARSE},  {"2030-+1-01", GN_EPARSE},
        {" 2030-1-01", GN_EPARSE},  {"2030/12/31", GN_EPARSE},
        {"2030-12-31Z", GN_EPARSE}, {"2030-12-31T00:00:00Z", GN_EPARSE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ASSERT_EQ_INT(strparse_date(cases[i].in, strlen(cases[i].in)), cases[i].rc);
    }
    /* No NUL terminator needed: the first 10 bytes only. */
    ASSERT_OK(strparse_date("2030-12-31 and more", 10));
}

/* User text quoted in a message: cut at a character boundary, stray bytes as '?', so the
 * result is always UTF-8 (JSON encoders refuse anything else). */
static void t_utf8_cut(void)
{
    static const struct {
        const char *in;
        size_t cap;
        const char *out;
    } c[] = {
        {"", 8, ""},
        {"abc", 4, "abc"},          /* fits exactly: not cut */
        {"abcd", 4, "..."},         /* one byte too many */
        {"abcdefgh", 8, "abcd..."}, /* cut, "..." kept within cap */
        {"a\xc3\xa9\xc3\xa9\xc3\xa9", 8, "a\xc3\xa9\xc3\xa9\xc3\xa9"}, /* "aééé" fits */
        {"a\xc3\xa9\xc3\xa9\xc3\xa9", 7, "a\xc3\xa9..."},              /* never inside an "é" */
        {"a\xc3\xa9\xc3\xa9\xc3\xa9", 6, "a..."},
        {"\xe2\x82\xac\xe2\x82\xac", 7, "\xe2\x82\xac\xe2\x82\xac"}, /* "€€": fits */
        {"\xff", 8, "?"},                                            /* not UTF-8 */
        {"a\xc3", 8, "a?"},                                          /* a character cut short */
        {"\xc0\xaf\xed\xa0\x80", 8, "?????"},                        /* overlong form, surrogate */
        {"\xf4\x90\x80\x80", 8, "????"},                             /* past U+10FFFF */
        {"\xf0\x9f\x98\x80!", 8, "\xf0\x9f\x98\x80!"},               /* four bytes */
    };
    char out[16];
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        strparse_utf8_cut(out, c[i].cap, c[i].in, strlen(c[i].in));
        if (strcmp(out, c[i].out)) TEST_FAIL_("case %zu: \"%s\" != \"%s\"", i, out, c[i].out);
        ASSERT_TRUE(strlen(out) < c[i].cap);
        ASSERT_EQ_INT(strparse_utf8_valid(out, strlen(out)), 1);
    }
    /* 40 "é" cut at 64 bytes (the old "%.64s"): 30 of them and "...", valid UTF-8 */
    char in[81], big[72];
    for (int i = 0; i < 40; i++)
        memcpy(in + 2 * i, "\xc3\xa9", 2);
    in[80] = 0;
    strparse_utf8_cut(big, 65, in, 80);
    ASSERT_EQ_INT(strlen(big), 63);
    ASSERT_EQ_INT(strparse_utf8_valid(big, strlen(big)), 1);
    ASSERT_EQ_INT(strparse_utf8_valid("\xc3\xa9", 2), 1);
    ASSERT_EQ_INT(strparse_utf8_valid("\xc3", 1), 0);
    ASSERT_EQ_INT(strparse_utf8_char("\xe2\x82\xac", 3), 3);
    ASSERT_EQ_INT(strparse_utf8_char("\xe2\x82", 2), 0);
}

const struct test_case test_strparse_cases[] = {
    {"strparse_region", t_region}, {"strparse_variant", t_variant},   {"strparse_i64", t_i64},
    {"strparse_date", t_date},     {"strparse_utf8_cut", t_utf8_cut}, {NULL, NULL}};
