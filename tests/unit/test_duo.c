/* DUO terms: table look-ups, term-list parsing and errors, canonical form, matching rules,
 * and every case of testdata/duo/matching-cases.json. */
#include <jansson.h>

#include "duo.h"
#include "test.h"

static void parse_or_fail(struct duo_list *l, const char *s, enum duo_side side)
{
    struct gn_err err = GN_ERR_INIT;
    if (duo_list_parse(l, s, strlen(s), side, &err) < 0)
        TEST_FAIL_("duo_list_parse(\"%s\"): %s", s, err.msg);
}

static void t_table(void)
{
    const struct duo_term *gru = duo_term_find("GRU", 3), *ds, *hmb, *npu, *npuncu, *old;
    ASSERT_TRUE(duo_term_count() >= 30);
    ASSERT_TRUE(gru != NULL);
    ASSERT_EQ_STR(gru->id, "DUO:0000042");
    ASSERT_EQ_STR(gru->label, "general research use");
    ASSERT_TRUE(duo_term_find("gru", 3) == gru);
    ASSERT_TRUE(duo_term_find("DUO:0000042", 11) == gru);
    ASSERT_TRUE(duo_term_find("duo:0000042", 11) == gru);
    ASSERT_TRUE(duo_term_find("DUO_0000042", 11) == gru);
    ASSERT_TRUE(duo_term_find("General  Research use", 21) == gru);
    ASSERT_TRUE(duo_term_find("GRUX", 4) == NULL);
    ASSERT_TRUE(duo_term_find("DUO:0000099", 11) == NULL);
    ASSERT_TRUE(duo_term_find("GRU", 0) == NULL);
    ASSERT_TRUE(duo_term_find("GRUNT", 3) == gru); /* only n bytes are read */

    ds = duo_term_find("DS", 2);
    hmb = duo_term_find("HMB", 3);
    npu = duo_term_find("NPU", 3);
    npuncu = duo_term_find("NPUNCU", 6);
    ASSERT_TRUE(ds && hmb && npu && npuncu);
    ASSERT_TRUE(duo_term_is_a(ds, hmb));
    ASSERT_TRUE(duo_term_is_a(ds, gru));
    ASSERT_TRUE(duo_term_is_a(ds, ds));
    ASSERT_TRUE(!duo_term_is_a(hmb, ds));
    ASSERT_TRUE(duo_term_is_a(npu, npuncu));
    ASSERT_TRUE(ds->flags & DUO_TERM_PERMISSION);
    ASSERT_TRUE(npu->flags & DUO_TERM_MODIFIER);
    /* The vendored hierarchy spells NPOA's id correctly and gets its shorthand from CSV. */
    ASSERT_EQ_STR(duo_term_find("NPOA", 4)->id, "DUO:0000044");
    old = duo_term_find("DUO:0000005", 11);
    ASSERT_TRUE(old && (old->flags & DUO_TERM_OBSOLETE));
    ASSERT_TRUE(duo_term_find("method development", 18)->flags & DUO_TERM_PURPOSE);
    ASSERT_TRUE(duo_term_at(duo_term_count()) == NULL);
    for (size_t i = 0; i < duo_term_count(); i++) {
        const struct duo_term *t = duo_term_at(i);
        ASSERT_EQ_INT(strlen(t->id), 11);
        ASSERT_TRUE(t->parent < (int)duo_term_count());
        ASSERT_TRUE(duo_term_find(t->id, 11) == t);
        if (t->shorthand[0]) ASSERT_TRUE(duo_term_find(t->shorthand, strlen(t->shorthand)) == t);
    }
}

static const struct {
    const char *in;
    enum duo_side side;
    const char *canon, *canon_ids;
} ok_cases[] = {
    {"GRU", DUO_SIDE_USE, "GRU", "DUO:0000042"},
    {"hmb, npu", DUO_SIDE_USE, "HMB,NPU", "DUO:0000006,DUO:0000045"},
    {"DUO:0000007(MONDO:0005148)", DUO_SIDE_USE, "DS(MONDO:0005148)", "DUO:0000007(MONDO:0005148)"},
    {"DS-mondo:0005148", DUO_SIDE_USE, "DS(MONDO:0005148)", "DUO:0000007(MONDO:0005148)"},
    {"ds( MONDO:2 | mondo:1 ); HMB; DS(MONDO:1)", DUO_SIDE_USE, "HMB,DS(MONDO:1,MONDO:2)",
     "DUO:0000006,DUO:0000007(MONDO:1,MONDO:2)"},
    {"NCU,GRU,IRB", DUO_SIDE_USE, "GRU,IRB,NCU", "DUO:0000042,DUO:0000021,DUO:0000046"},
    {"general research use; non-commercial use only", DUO_SIDE_USE, "GRU,NCU",
     "DUO:0000042,DUO:0000046"},
    {"  GRU ,GRU\t", DUO_SIDE_USE, "GRU", "DUO:0000042"},
    {"GS(DE;FR),GRU,PS(proj-1)", DUO_SIDE_USE, "GRU,GS(DE,FR),PS(proj-1)",
     "DUO:0000042,DUO:0000022(DE,FR),DUO:0000027(proj-1)"},
    {"method development, DS(MONDO:1)", DUO_SIDE_PURPOSE, "DS(MONDO:1),DUO:0000031",
     "DUO:0000007(MONDO:1),DUO:0000031"},
    {"NCU", DUO_SIDE_PURPOSE, "NCU", "DUO:0000046"},
    {"DUO:0000040(doid:1612),DUO_0000038", DUO_SIDE_PURPOSE, "DUO:0000038,DUO:0000040(DOID:1612)",
     "DUO:0000038,DUO:0000040(DOID:1612)"},
};

static void t_parse_ok(void)
{
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        struct duo_list l, again;
        char buf[DUO_TEXT_MAX], buf2[DUO_TEXT_MAX];
        parse_or_fail(&l, ok_cases[i].in, ok_cases[i].side);
        ASSERT_EQ_INT(duo_list_format(&l, 0, buf, sizeof buf), strlen(ok_cases[i].canon));
        ASSERT_EQ_STR(buf, ok_cases[i].canon);
        ASSERT_EQ_INT(duo_list_format(&l, DUO_FMT_IDS, buf2, sizeof buf2),
                      strlen(ok_cases[i].canon_ids));
        ASSERT_EQ_STR(buf2, ok_cases[i].canon_ids);
        /* Both canonical forms parse back to the same list. */
        parse_or_fail(&again, buf2, ok_cases[i].side);
        ASSERT_EQ_INT(duo_list_format(&again, 0, buf2, sizeof buf2), strlen(buf));
        ASSERT_EQ_STR(buf2, buf);
        ASSERT_OK(duo_validate(ok_cases[i].in, strlen(ok_cases[i].in), ok_cases[i].side, NULL));
    }
}

static void t_parse_errors(void)
{
    static char long_list[DUO_TEXT_MAX + 2], many[200], long_qual[100], many_quals[400];
    static const struct {
        const char *in;
        enum duo_side side;
        int rc;
        const char *msg;
    } cases[] = {
        {"", DUO_SIDE_USE, GN_EPARSE, "empty DUO term list"},
        {" \t ", DUO_SIDE_PURPOSE, GN_EPARSE, "empty DUO term list"},
        {"FOO", DUO_SIDE_USE, GN_EPARSE, "unknown DUO term 'FOO'"},
        {"GRU,Foo Bar", DUO_SIDE_USE, GN_EPARSE, "unknown DUO term 'Foo Bar'"},
        {"GRU HMB", DUO_SIDE_USE, GN_EPARSE, "unknown DUO term 'GRU HMB'"},
        {"GRU,", DUO_SIDE_USE, GN_EPARSE, "empty DUO term at byte 4"},
        {"GRU,,HMB", DUO_SIDE_USE, GN_EPARSE, "empty DUO term at byte 4"},
        {"DS", DUO_SIDE_USE, GN_EPARSE, "DS needs a disease id"},
        {"DS()", DUO_SIDE_USE, GN_EPARSE, "empty qualifier"},
        {"DS(MONDO:1,)", DUO_SIDE_USE, GN_EPARSE, "empty qualifier"},
        {"DS(MONDO:1", DUO_SIDE_USE, GN_EPARSE, "missing ')'"},
        {"DS(MONDO:1 MONDO:2)", DUO_SIDE_USE, GN_EPARSE, "unexpected 'M' in the qualifiers"},
        {"DS(melanoma)", DUO_SIDE_USE, GN_EPARSE, "DS needs a disease id such as"},
        {"DS(:1)", DUO_SIDE_USE, GN_EPARSE, "DS needs a disease id such as"},
        {"DS-", DUO_SIDE_USE, GN_EPARSE, "qualifier"},
        {"GRU,NPU(X)", DUO_SIDE_USE, GN_EPARSE, "DUO term NPU takes no qualifier (got 'X')"},
        {"GRU-X", DUO_SIDE_USE, GN_EPARSE, "GRU takes no qualifier"},
        {"NPU", DUO_SIDE_USE, GN_EPARSE, "need a permission"},
        {"GRU,DUO:0000031", DUO_SIDE_USE, GN_EPARSE, "DUO:0000031 (method development) describes"},
        {"DUO:0000005", DUO_SIDE_PURPOSE, GN_EPARSE, "DUO:0000005 (obsolete"},
        {"DUO:0000001", DUO_SIDE_USE, GN_EPARSE, "grouping class"},
        {"DUO:0000017", DUO_SIDE_PURPOSE, GN_EPARSE, "grouping class"},
        {"GRU)", DUO_SIDE_USE, GN_EPARSE, "unexpected ')' at byte 3"},
        {"GRU(", DUO_SIDE_USE, GN_EPARSE, "missing ')'"},
        {"GRU\x01", DUO_SIDE_USE, GN_EPARSE, "unknown DUO term 'GRU?'"},
        {"DS(MONDO:1)x", DUO_SIDE_USE, GN_EPARSE, "unexpected 'x' at byte 11"},
        {"GRU,GS(DE\xff)", DUO_SIDE_USE, GN_EPARSE, "unexpected '?' in the qualifiers of GS"},
        {long_list, DUO_SIDE_USE, GN_ELIMIT, "longer than 512 bytes"},
        {many, DUO_SIDE_USE, GN_ELIMIT, "more than 32 DUO terms"},
        {long_qual, DUO_SIDE_USE, GN_ELIMIT, "longer than 64 bytes"},
        {many_quals, DUO_SIDE_USE, GN_ELIMIT, "more than 32 DUO qualifiers"},
    };
    size_t k = 0;

    memset(long_list, ' ', DUO_TEXT_MAX - 3);
    memcpy(long_list + DUO_TEXT_MAX - 3, "GRU,", 4); /* 513 bytes */
    for (int i = 0; i < 33; i++)
        k += (size_t)snprintf(many + k, sizeof many - k, "GRU,");
    many[k - 1] = 0;
    snprintf(long_qual, sizeof long_qual, "GS(%065d)", 0);
    k = (size_t)snprintf(many_quals, sizeof many_quals, "DS(");
    for (int i = 0; i < 33; i++)
        k += (size_t)snprintf(many_quals + k, sizeof many_quals - k, "M:%d,", i);
    many_quals[k - 1] = ')';

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct duo_list l;
        struct gn_err err = GN_ERR_INIT;
        int rc = duo_list_parse(&l, cases[i].in, strlen(cases[i].in), cases[i].side, &err);
        if (rc != cases[i].rc || !strstr(err.msg, cases[i].msg))
            TEST_FAIL_("case %zu \"%.40s\": rc %d (want %d), message \"%s\" lacks \"%s\"", i,
                       cases[i].in, rc, cases[i].rc, err.msg, cases[i].msg);
        ASSERT_EQ_INT(duo_list_count(&l), 0);
        ASSERT_EQ_INT(duo_validate(cases[i].in, strlen(cases[i].in), cases[i].side, NULL),
                      cases[i].rc);
    }
}

static void t_accessors_and_format(void)
{
    struct duo_list l;
    char small[8];
    parse_or_fail(&l, "NPU,DS(MONDO:2,MONDO:1)", DUO_SIDE_USE);
    ASSERT_EQ_INT(duo_list_count(&l), 2);
    ASSERT_EQ_STR(duo_list_term(&l, 0)->shorthand, "DS");
    ASSERT_EQ_INT(duo_list_nquals(&l, 0), 2);
    ASSERT_EQ_STR(duo_list_qual(&l, 0, 0), "MONDO:1");
    ASSERT_EQ_STR(duo_list_qual(&l, 0, 1), "MONDO:2");
    ASSERT_EQ_INT(duo_list_nquals(&l, 1), 0);
    ASSERT_EQ_INT(duo_list_find(&l, duo_term_find("NPU", 3)), 1);
    ASSERT_EQ_INT(duo_list_find(&l, duo_term_find("GRU", 3)), -1);
    /* snprintf contract: full length returned, output truncated and terminated. */
    ASSERT_EQ_INT(duo_list_format(&l, 0, small, sizeof small), strlen("DS(MONDO:1,MONDO:2),NPU"));
    ASSERT_EQ_STR(small, "DS(MOND");
    ASSERT_EQ_INT(duo_list_format(&l, 0, NULL, 0), 23);
    ASSERT_EQ_STR(duo_verdict_name(DUO_ALLOWED), "allowed");
    ASSERT_EQ_STR(duo_verdict_name(DUO_CONDITIONAL), "conditional");
    ASSERT_EQ_STR(duo_verdict_name(DUO_DENIED), "denied");
}

/* The disease hierarchy the JSON cases assume: neoplasm above NSCLC and melanoma. */
static int test_is_a(void *ctx, const char *child, const char *ancestor)
{
    (void)ctx;
    return !strcmp(ancestor, "MONDO:0005070") &&
           (!strcmp(child, "MONDO:0005233") || !strcmp(child, "MONDO:0005105"));
}

static const struct duo_disease_ops test_diseases = {test_is_a, NULL};

static void t_match_rules(void)
{
    static const struct {
        const char *use, *purpose;
        enum duo_verdict v;
        const char *reason;
    } cases[] = {
        {"GRU", "HMB", DUO_ALLOWED, "allowed: purpose HMB is within consent GRU"},
        {"DS(MONDO:0005105)", "HMB", DUO_DENIED,
         "denied: purpose HMB is not within consent DS(MONDO:0005105)"},
        {"HMB", "GRU", DUO_DENIED, "purpose GRU is not within consent HMB"},
        {"HMB", "NCU", DUO_DENIED, "general research) is not within consent HMB"},
        {"GRU,NPU", "GRU", DUO_DENIED, "consent requires NPU"},
        {"GRU,NPU", "GRU,NPU", DUO_ALLOWED, "allowed"},
        {"GRU,NCU", "HMB,NPU", DUO_DENIED, "consent requires NCU (non-commercial use only) but"},
        {"GRU,NPUNCU", "GRU,NPU", DUO_DENIED, "NPUNCU"},
        {"GRU,NPUNCU", "GRU,NPU,NCU", DUO_ALLOWED, "allowed"},
        {"GRU,NPU,NCU", "GRU,NPUNCU", DUO_ALLOWED, "allowed"},
        {"HMB,GSO", "HMB", DUO_DENIED, "GSO"},
        {"HMB,GSO", "genetic research", DUO_ALLOWED, "allowed"},
        {"HMB,GSO", "DS(MONDO:1),GSO", DUO_ALLOWED, "allowed"},
        {"GRU,NPOA", "POA", DUO_DENIED, "NPOA"},
        {"GRU,NPOA", "HMB", DUO_ALLOWED, "allowed"},
        {"POA", "ancestry research", DUO_ALLOWED, "allowed"},
        {"POA", "HMB", DUO_DENIED, "not within consent POA"},
        {"HMB", "DS(MONDO:1),POA", DUO_DENIED, "purpose POA is not within consent HMB"},
        {"GRU,IRB,PUB", "GRU", DUO_CONDITIONAL,
         "conditional: consent requires PUB (publication required), IRB (ethics approval "
         "required), which the purpose does not declare"},
        {"GRU,IRB,PUB", "GRU,IRB", DUO_CONDITIONAL, "consent requires PUB (publication"},
        {"GRU,IRB,PUB", "GRU,IRB,PUB", DUO_ALLOWED, "allowed"},
        {"GRU,NCU,IRB", "GRU", DUO_DENIED, "NCU"}, /* a denial beats a condition */
        {"GRU,GS(DE,FR)", "GRU,GS(DE)", DUO_ALLOWED, "allowed"},
        {"GRU,GS(DE,FR)", "GRU,GS(US)", DUO_CONDITIONAL, "GS(DE,FR) (geographical restriction)"},
        {"GRU,GS(DE,FR)", "GRU,GS", DUO_CONDITIONAL, "GS(DE,FR)"},
        {"GRU,GS", "GRU,GS(DE)", DUO_ALLOWED, "allowed"},
        {"HMB", "CC", DUO_DENIED, "clinical care use (CC) but consent does not allow it"},
        {"HMB,CC", "CC", DUO_ALLOWED, "allowed"},
        {"NRES", "CC", DUO_ALLOWED, "allowed"},
        {"DS(MONDO:0005070),NMDS", "DS(MONDO:0005105),method development", DUO_ALLOWED, "allowed"},
        {"DS(MONDO:0005070),NMDS", "method development", DUO_DENIED,
         "purpose DUO:0000031 (method development) is not within consent DS(MONDO:0005070)"},
        {"GRU,NMDS", "DS(MONDO:0005105),DUO:0000031", DUO_DENIED, "NMDS"},
        {"GRU,NMDS", "DS(MONDO:0005105)", DUO_ALLOWED, "allowed"},
        {"DS(MONDO:1),DS(MONDO:2)", "DS(MONDO:2)", DUO_ALLOWED, "allowed"},
        {"DS(MONDO:1,MONDO:2)", "DS(MONDO:1,MONDO:3)", DUO_DENIED,
         "purpose DS(MONDO:3) is not within consent DS(MONDO:1,MONDO:2)"},
        {"DS(MONDO:0005070)", "DUO:0000040(MONDO:0005233)", DUO_ALLOWED, "allowed"},
        {"DS(MONDO:0005070)", "DUO:0000040", DUO_DENIED, "DUO:0000040 (disease category"},
        {"NRES,NCU", "POA", DUO_DENIED, "NCU"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct duo_list use, purpose;
        struct duo_result res;
        enum duo_verdict v;
        parse_or_fail(&use, cases[i].use, DUO_SIDE_USE);
        parse_or_fail(&purpose, cases[i].purpose, DUO_SIDE_PURPOSE);
        v = duo_match(&use, &purpose, &test_diseases, &res);
        if (v != cases[i].v || res.verdict != v || !strstr(res.reason, cases[i].reason))
            TEST_FAIL_("use \"%s\" purpose \"%s\": %s \"%s\", want %s with \"%s\"", cases[i].use,
                       cases[i].purpose, duo_verdict_name(v), res.reason,
                       duo_verdict_name(cases[i].v), cases[i].reason);
        ASSERT_EQ_INT(duo_match(&use, &purpose, &test_diseases, NULL), v);
    }
}

static void t_match_without_hierarchy(void)
{
    struct duo_list use, purpose;
    struct duo_result res;
    parse_or_fail(&use, "DS(MONDO:0005070)", DUO_SIDE_USE);
    parse_or_fail(&purpose, "DS(MONDO:0005105)", DUO_SIDE_PURPOSE);
    ASSERT_EQ_INT(duo_match(&use, &purpose, NULL, &res), DUO_DENIED);
    ASSERT_EQ_INT(duo_match(&use, &purpose, &test_diseases, &res), DUO_ALLOWED);
    ASSERT_EQ_STR(res.reason,
                  "allowed: purpose DS(MONDO:0005105) is within consent DS(MONDO:0005070)");
    parse_or_fail(&purpose, "DS(mondo:0005070)", DUO_SIDE_PURPOSE); /* prefix case-folded */
    ASSERT_EQ_INT(duo_match(&use, &purpose, NULL, &res), DUO_ALLOWED);
}

/* ---- testdata/duo/matching-cases.json ------------------------------------------------ */

static void append(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(buf);
    if (n + strlen(s) + 2 > cap) TEST_FAIL_("term string too long");
    if (n) strcat(buf, ",");
    strcat(buf, s);
}

/* dataset_duo: ["DUO:...", {"id": "DUO:...", "modifiers": ["MONDO:..."]}, ...] */
static void use_string(json_t *arr, char *buf, size_t cap)
{
    size_t i, j;
    json_t *v, *m;
    buf[0] = 0;
    ASSERT_TRUE(json_is_array(arr));
    json_array_foreach(arr, i, v)
    {
        char item[256];
        if (json_is_string(v)) {
            append(buf, cap, json_string_value(v));
            continue;
        }
        ASSERT_TRUE(json_is_string(json_object_get(v, "id")));
        snprintf(item, sizeof item, "%s(", json_string_value(json_object_get(v, "id")));
        json_array_foreach(json_object_get(v, "modifiers"), j, m)
        {
            if (j) strcat(item, ",");
            strcat(item, json_string_value(m));
        }
        strcat(item, ")");
        append(buf, cap, item);
    }
}

/* purpose: {"disease": X, "population_origins_ancestry": b, "methods_development": b,
 * "commercial": b, "for_profit_requester": b, "irb_approval_provided": b} as purpose terms.
 * Only a declaration becomes a term: commercial=false is NCU, for_profit_requester=false is
 * NPU, irb_approval_provided=true is IRB. A purpose naming no research category is GRU. */
static void purpose_string(json_t *obj, char *buf, size_t cap)
{
    const char *key;
    json_t *v;
    int category = 0;
    buf[0] = 0;
    json_object_foreach(obj, key, v)
    {
        char item[128];
        if (!strcmp(key, "disease")) {
            snprintf(item, sizeof item, "DS(%s)", json_string_value(v));
            append(buf, cap, item);
            category = 1;
        } else if (!strcmp(key, "population_origins_ancestry")) {
            if (json_is_true(v)) {
                append(buf, cap, "POA");
                category = 1;
            }
        } else if (!strcmp(key, "methods_development")) {
            if (json_is_true(v)) {
                append(buf, cap, "method development");
                category = 1;
            }
        } else if (!strcmp(key, "commercial")) {
            if (json_is_false(v)) append(buf, cap, "NCU");
        } else if (!strcmp(key, "for_profit_requester")) {
            if (json_is_false(v)) append(buf, cap, "NPU");
        } else if (!strcmp(key, "irb_approval_provided")) {
            if (json_is_true(v)) append(buf, cap, "IRB");
        } else {
            TEST_FAIL_("matching-cases.json: purpose key \"%s\" has no mapping", key);
        }
    }
    if (!category) append(buf, cap, "GRU");
}

static void t_matching_cases(void)
{
    json_error_t jerr;
    json_t *root =
        json_load_file("testdata/duo/matching-cases.json", JSON_REJECT_DUPLICATES, &jerr);
    json_t *cases, *c;
    size_t i;
    int failed = 0;

    if (!root) TEST_FAIL_("testdata/duo/matching-cases.json: %s (line %d)", jerr.text, jerr.line);
    cases = json_object_get(root, "cases");
    ASSERT_TRUE(json_array_size(cases) >= 13);
    json_array_foreach(cases, i, c)
    {
        char use_s[DUO_TEXT_MAX], purpose_s[DUO_TEXT_MAX];
        struct duo_list use, purpose;
        struct duo_result res;
        json_t *expect = json_object_get(c, "expect");
        enum duo_verdict want;

        if (json_is_true(expect))
            want = DUO_ALLOWED;
        else if (json_is_false(expect))
            want = DUO_DENIED;
        else if (json_is_string(expect) && !strcmp(json_string_value(expect), "conditional"))
            want = DUO_CONDITIONAL;
        else
            TEST_FAIL_("case %zu: unknown expect value", i);

        use_string(json_object_get(c, "dataset_duo"), use_s, sizeof use_s);
        purpose_string(json_object_get(c, "purpose"), purpose_s, sizeof purpose_s);
        parse_or_fail(&use, use_s, DUO_SIDE_USE);
        parse_or_fail(&purpose, purpose_s, DUO_SIDE_PURPOSE);
        if (duo_match(&use, &purpose, &test_diseases, &res) != want) {
            fprintf(stderr,
                    "    case %" JSON_INTEGER_FORMAT ": use \"%s\" purpose \"%s\": %s; want %s\n",
                    json_integer_value(json_object_get(c, "id")), use_s, purpose_s, res.reason,
                    duo_verdict_name(want));
            failed++;
        }
    }
    json_decref(root);
    ASSERT_EQ_INT(failed, 0);
}

const struct test_case test_duo_cases[] = {{"duo_table", t_table},
                                           {"duo_parse_ok", t_parse_ok},
                                           {"duo_parse_errors", t_parse_errors},
                                           {"duo_accessors_format", t_accessors_and_format},
                                           {"duo_match_rules", t_match_rules},
                                           {"duo_match_no_hierarchy", t_match_without_hierarchy},
                                           {"duo_matching_cases_json", t_matching_cases},
                                           {NULL, NULL}};
