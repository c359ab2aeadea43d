/* National ID formats: CPR dates and centuries, normalisation, mod-11, opaque IDs, and
 * that no message ever repeats the ID. The CPR numbers here are synthetic: most are
 * born in the future (2030s-2050s) or on dates that do not exist. */
#include "natid.h"
#include "test.h"

static void t_cpr_valid(void)
{
    static const struct {
        const char *in, *norm;
        int year, month, day;
    } cases[] = {
        {"0101001234", "0101001234", 1900, 1, 1}, /* 7th digit 0-3: 1900s */
        {"311200-3000", "3112003000", 1900, 12, 31},
        {"010100-4234", "0101004234", 2000, 1, 1}, /* 4: 2000s up to YY 36 */
        {"0101364000", "0101364000", 2036, 1, 1},
        {"0101374000", "0101374000", 1937, 1, 1}, /* 4: 1900s from YY 37 */
        {"0101369000", "0101369000", 2036, 1, 1}, /* 9 behaves as 4 */
        {"0101379000", "0101379000", 1937, 1, 1},
        {"0101405234", "0101405234", 2040, 1, 1}, /* 5-8: 2000s up to YY 57 */
        {"0101578000", "0101578000", 2057, 1, 1},
        {"0101585234", "0101585234", 1858, 1, 1}, /* 5-8: 1800s from YY 58 */
        {"0101996000", "0101996000", 1899, 1, 1},
        {"290200-4234", "2902004234", 2000, 2, 29}, /* 2000 is a leap year */
        {"2902485000", "2902485000", 2048, 2, 29},
        {"2902885000", "2902885000", 1888, 2, 29},
        {"3112555000", "3112555000", 2055, 12, 31},
        {"300455-5000", "3004555000", 2055, 4, 30},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gn_err err = GN_ERR_INIT;
        char norm[NATID_NORM_MAX];
        int y = 0, m = 0, d = 0;
        ASSERT_OK(natid_cpr_validate(cases[i].in, strlen(cases[i].in), norm, sizeof norm, &err));
        ASSERT_EQ_STR(norm, cases[i].norm);
        ASSERT_OK(natid_cpr_birth_date(cases[i].in, strlen(cases[i].in), &y, &m, &d, &err));
        ASSERT_EQ_INT(y, cases[i].year);
        ASSERT_EQ_INT(m, cases[i].month);
        ASSERT_EQ_INT(d, cases[i].day);
    }
}

static void t_cpr_invalid(void)
{
    static const struct {
        const char *in, *msg;
    } cases[] = {
        {"2902001000", "29 February 1900 does not exist"},
        {"290200-1000", "29 February 1900 does not exist"},
        {"2902014000", "29 February 2001 does not exist"},
        {"290249-5000", "29 February 2049 does not exist"},
        {"3002405000", "30 February 2040 does not exist"},
        {"3104405000", "31 April 2040 does not exist"},
        {"3101405000", NULL}, /* valid, for contrast */
        {"3201405000", "day 32 out of range"},
        {"0001405000", "day 0 out of range"},
        {"0113405000", "month 13 out of range"},
        {"0100405000", "month 0 out of range"},
        {"010140500", "expected 10 digits (DDMMYYSSSS or DDMMYY-SSSS), got 9 characters"},
        {"", "expected 10 digits (DDMMYYSSSS or DDMMYY-SSSS), got 0 characters"},
        {"010140-50001", "expected 10 digits (DDMMYYSSSS or DDMMYY-SSSS), got 12 characters"},
        {"01014050001", "11 characters but no '-' at position 7"},
        {"010140 5000", "11 characters but no '-' at position 7"},
        {"01014-05000", "11 characters but no '-' at position 7"},
        {"01A1405000", "character 3 is not a digit"},
        {"010140-50x0", "character 10 is not a digit"},
        {"010140500-", "character 10 is not a digit"},
        {"01014050\xc3\xa6", "character 9 is not a digit"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gn_err err = GN_ERR_INIT;
        char norm[NATID_NORM_MAX] = "untouched";
        int rc = natid_cpr_validate(cases[i].in, strlen(cases[i].in), norm, sizeof norm, &err);
        if (!cases[i].msg) {
            ASSERT_OK(rc);
            continue;
        }
        ASSERT_EQ_INT(rc, GN_EPARSE);
        ASSERT_EQ_STR(err.msg, cases[i].msg);
        ASSERT_EQ_STR(norm, "untouched");
        /* Privacy: the serial part never shows up. */
        ASSERT_TRUE(strstr(err.msg, "5000") == NULL && strstr(err.msg, "1000") == NULL);
    }
}

static void t_cpr_bounded(void)
{
    /* Only n bytes are read: trailing bytes and a missing NUL do not matter. */
    static const char buf[13] = {'0', '1', '0', '1', '4', '0', '5', '0', '0', '0', 'x', 'y', 'z'};
    struct gn_err err = GN_ERR_INIT;
    char norm[NATID_NORM_MAX], small[10];

    ASSERT_OK(natid_cpr_validate(buf, 10, norm, sizeof norm, &err));
    ASSERT_EQ_STR(norm, "0101405000");
    ASSERT_EQ_INT(natid_cpr_validate(buf, 13, norm, sizeof norm, &err), GN_EPARSE);
    ASSERT_EQ_INT(natid_cpr_validate(buf, 10, small, sizeof small, &err), GN_EINVAL);
    ASSERT_EQ_INT(natid_cpr_validate(buf, 10, norm, sizeof norm, NULL), GN_OK);
    ASSERT_EQ_INT(natid_cpr_validate(buf, 9, norm, sizeof norm, NULL), GN_EPARSE);
}

static void t_cpr_mod11(void)
{
    ASSERT_EQ_INT(natid_cpr_mod11_ok("0101405001", 10), 1);
    ASSERT_EQ_INT(natid_cpr_mod11_ok("010140-5001", 11), 1);
    ASSERT_EQ_INT(natid_cpr_mod11_ok("0101001008", 10), 1);
    ASSERT_EQ_INT(natid_cpr_mod11_ok("0101405000", 10), 0);
    ASSERT_EQ_INT(natid_cpr_mod11_ok("010140500", 9), 0);
    ASSERT_EQ_INT(natid_cpr_mod11_ok("01014x5001", 10), 0);
    ASSERT_EQ_INT(natid_cpr_mod11_ok("", 0), 0);
    /* A number failing mod-11 is still a valid CPR number (issued since 2007). */
    {
        char norm[NATID_NORM_MAX];
        ASSERT_OK(natid_cpr_validate("0101405000", 10, norm, sizeof norm, NULL));
    }
}

static void t_opaque(void)
{
    char long_id[NATID_MAX_LEN + 2], norm[NATID_NORM_MAX], small[4];
    struct gn_err err = GN_ERR_INIT;

    ASSERT_OK(natid_opaque_validate("SE-19121212_1212", 16, norm, sizeof norm, &err));
    ASSERT_EQ_STR(norm, "SE-19121212_1212");
    memset(long_id, 'x', sizeof long_id);
    ASSERT_OK(natid_opaque_validate(long_id, NATID_MAX_LEN, norm, sizeof norm, &err));
    ASSERT_EQ_INT(strlen(norm), NATID_MAX_LEN);
    ASSERT_EQ_INT(natid_opaque_validate(long_id, NATID_MAX_LEN + 1, norm, sizeof norm, &err),
                  GN_EPARSE);
    ASSERT_EQ_STR(err.msg, "longer than 64 characters");
    ASSERT_EQ_INT(natid_opaque_validate("", 0, norm, sizeof norm, &err), GN_EPARSE);
    ASSERT_EQ_STR(err.msg, "empty");
    ASSERT_EQ_INT(natid_opaque_validate("ab c", 4, norm, sizeof norm, &err), GN_EPARSE);
    ASSERT_EQ_STR(err.msg, "character 3 is not a printable non-space ASCII character");
    ASSERT_EQ_INT(natid_opaque_validate("a\0b", 3, norm, sizeof norm, &err), GN_EPARSE);
    ASSERT_EQ_STR(err.msg, "character 2 is not a printable non-space ASCII character");
    ASSERT_EQ_INT(natid_opaque_validate("\xc3\xa6", 2, norm, sizeof norm, &err), GN_EPARSE);
    ASSERT_EQ_INT(natid_opaque_validate("abcd", 4, small, sizeof small, &err), GN_EINVAL);
    ASSERT_OK(natid_opaque_validate("abc", 3, small, sizeof small, &err));
}

static void t_format_table(void)
{
    const struct natid_format *f = natid_format_find("cpr");
    char norm[NATID_NORM_MAX];
    size_t n = 0;

    ASSERT_TRUE(f != NULL);
    ASSERT_EQ_STR(f->name, "cpr");
    ASSERT_OK(f->validate("010140-5000", 11, norm, sizeof norm, NULL));
    ASSERT_TRUE(natid_format_find("CPR") == f);
    ASSERT_TRUE(natid_format_find("opaque") != NULL);
    ASSERT_TRUE(natid_format_find("opaque")->validate == natid_opaque_validate);
    ASSERT_TRUE(natid_format_find("cp") == NULL);
    ASSERT_TRUE(natid_format_find("cprx") == NULL);
    ASSERT_TRUE(natid_format_find("") == NULL);
    ASSERT_TRUE(natid_format_find(NULL) == NULL);
    while (natid_format_at(n)) {
        n++;
    }
    ASSERT_EQ_INT(n, 2);
}

const struct test_case test_natid_cases[] = {
    {"natid_cpr_valid", t_cpr_valid},
    {"natid_cpr_invalid", t_cpr_invalid},
    {"natid_cpr_bounded", t_cpr_bounded},
    {"natid_cpr_mod11", t_cpr_mod11},
    {"natid_opaque", t_opaque},
    {"natid_format_table", t_format_table},
    {NULL, NULL},
};
