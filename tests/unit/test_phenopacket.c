/*
 * test_phenopacket.c — the Phenopackets v2 reader and writer: errors that never quote the
 * input, diseases' excluded flag, interpretation and variant status.
 */
#include <string.h>

#include "alloc.h"

#include "phenopacket.h"
#include "test.h"

#define META "\"metaData\":{\"phenopacketSchemaVersion\":\"2.0\"}"

/* parse text; expect failure with a message holding want and not holding avoid */
static void parse_fails(const char *text, const char *want, const char *avoid)
{
    struct phenopacket *pp = NULL;
    struct gn_err e = GN_ERR_INIT;
    int rc = phenopacket_parse(text, strlen(text), &pp, &e);
    if (rc >= 0) TEST_FAIL_("parsed: %s", text);
    if (!strstr(e.msg, want)) TEST_FAIL_("message \"%s\" lacks \"%s\"", e.msg, want);
    if (avoid && strstr(e.msg, avoid)) TEST_FAIL_("message \"%s\" quotes \"%s\"", e.msg, avoid);
    ASSERT_TRUE(pp == NULL);
}

static void test_json_errors_quote_nothing(void)
{
    parse_fails("{\"subject\": {\"id\": \"010185-1234\\x\"}, " META "}", "line 1 column", "010185");
    parse_fails("{\"subject\": {\"id\": \"010185-1234\\x\"}, " META "}", "invalid syntax", "1234");
    parse_fails("{\"subject\": {\"id\": \"010185-1234", "ends early", "010185");
    parse_fails("{\n\"subject\": {\"id\": \"a\", \"010185-1234\": 1, \"010185-1234\": 2}, " META
                "}",
                "line 2 column", "010185");
    parse_fails("{\"subject\": {\"id\": \"a\", \"010185-1234\": 1, \"010185-1234\": 2}, " META "}",
                "given twice", "1234");
    parse_fails("{\"subject\": {\"id\": \"010185-1234\"}} 010185-1234", "after the end", "010185");
}

static void test_disease_excluded(void)
{
    struct phenopacket *pp = NULL;
    struct gn_err e = GN_ERR_INIT;
    const char *ok = "{\"subject\":{\"id\":\"s\"}," META ",\"diseases\":["
                     "{\"term\":{\"id\":\"OMIM:999999\",\"label\":\"x\"},\"excluded\":true},"
                     "{\"term\":{\"id\":\"OMIM:154700\",\"label\":\"y\"},\"excluded\":false}]}";
    parse_fails("{\"subject\":{\"id\":\"s\"}," META
                ",\"diseases\":[{\"term\":{\"id\":\"OMIM:999999\"},"
                "\"excluded\":\"true\"}]}",
                "diseases[0].excluded: expected true or false", NULL);
    parse_fails("{\"subject\":{\"id\":\"s\"}," META
                ",\"diseases\":[{\"term\":{\"id\":\"OMIM:999999\"},"
                "\"excluded\":1}]}",
                "diseases[0].excluded: expected true or false", NULL);
    ASSERT_OK(phenopacket_parse(ok, strlen(ok), &pp, &e));
    ASSERT_EQ_INT(pp->n_dx, 1);
    ASSERT_EQ_STR(pp->dx[0].id, "OMIM:154700");
    phenopacket_free(pp);
}

static void test_long_disease_prefix(void)
{
    char id[200], want[200];
    struct phenopacket_disease dx = {id, "a disease", NULL};
    struct phenopacket pp = {0};
    struct gn_err e = GN_ERR_INIT;
    char *out = NULL;
    size_t len = 0;
    memset(id, 'X', 150);
    memcpy(id + 150, ":1", 3);
    (void)snprintf(want, sizeof want, "\"namespacePrefix\": \"%.150s\"", id);
    pp.id = pp.subject = "gn0";
    pp.dx = &dx;
    pp.n_dx = 1;
    ASSERT_OK(phenopacket_write(&pp, "2024-01-01T00:00:00Z", NULL, &out, &len, &e));
    if (!strstr(out, want)) TEST_FAIL_("no resource for the 150-byte prefix");
    ASSERT_TRUE(strstr(out, "https://bioregistry.io/xxxxxxxxxx") != NULL);
    gn_free(out);
}

const struct test_case test_phenopacket_cases[] = {
    {"phenopacket_json_errors_quote_nothing", test_json_errors_quote_nothing},
    {"phenopacket_disease_excluded", test_disease_excluded},
    {"phenopacket_long_disease_prefix", test_long_disease_prefix},
    {NULL, NULL},
};
