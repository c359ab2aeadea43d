/* Beacon v2 request parser: every request of testdata/beacon/ (real clients and the spec
 * documentation), GET forms, routing, variant query classification, each error class,
 * warnings for unknown fields, and the receivedRequestSummary rendering. */
#include <jansson.h>

#include "alloc.h"
#include "beacon_req.h"
#include "fsutil.h"
#include "test.h"

#define FIX "testdata/beacon/"

/* ---- helpers ---------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    struct gn_err err = GN_ERR_INIT;
    char *s;

    if (fsutil_read_all(path, 1 << 20, &buf, &n, &err) < 0) TEST_FAIL_("%s", err.msg);
    s = gn_strndup((const char *)buf, n);
    gn_free(buf);
    ASSERT_TRUE(s != NULL);
    *len = n;
    return s;
}

/* Parses or fails the test with the parser's message. */
static void parse_ok(struct beacon_req *r, const char *method, const char *path, const char *qs,
                     const char *body)
{
    struct gn_err err = GN_ERR_INIT;
    if (beacon_req_parse(method, path, qs, body, body ? strlen(body) : 0, r, &err) < 0)
        TEST_FAIL_("%s %s ? %s: %s", method, path, qs ? qs : "", err.msg);
}

/* Expects failure with code and a message containing needle. */
static void parse_fails(const char *method, const char *path, const char *qs, const char *body,
                        int code, const char *needle)
{
    struct gn_err err = GN_ERR_INIT;
    struct beacon_req r;
    int rc = beacon_req_parse(method, path, qs, body, body ? strlen(body) : 0, &r, &err);
    if (rc != code) {
        TEST_FAIL_("%s %s ? %s [%s]: got %s (%s), want %s", method, path, qs ? qs : "",
                   body ? body : "", gn_err_name(rc), err.msg, gn_err_name(code));
    }
    if (needle && !strstr(err.msg, needle))
        TEST_FAIL_("message \"%s\" lacks \"%s\"", err.msg, needle);
    ASSERT_TRUE(r.n_filters == 0 && r.entry_id == NULL && r.variant.reference_name == NULL);
}

static int has_warning(const struct beacon_req *r, const char *needle)
{
    for (size_t i = 0; i < r->n_warnings; i++) {
        if (strstr(r->warnings[i], needle)) return 1;
    }
    return 0;
}

static void expect_warning(const struct beacon_req *r, const char *needle)
{
    if (!has_warning(r, needle)) {
        fprintf(stderr, "    warnings:\n");
        for (size_t i = 0; i < r->n_warnings; i++)
            fprintf(stderr, "      %s\n", r->warnings[i]);
        TEST_FAIL_("no warning containing \"%s\"", needle);
    }
}

static void no_warnings(const struct beacon_req *r)
{
    if (r->n_warnings) TEST_FAIL_("unexpected warning: %s", r->warnings[0]);
}

/* The summary as canonical compact JSON (sorted keys); the caller frees. */
static char *summary_text(const struct beacon_req *r)
{
    json_t *j = beacon_req_summary(r);
    char *s;
    ASSERT_TRUE(j != NULL);
    s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    ASSERT_TRUE(s != NULL);
    return s;
}

static void expect_summary(const struct beacon_req *r, const char *want)
{
    char *s = summary_text(r);
    if (strcmp(s, want)) TEST_FAIL_("summary\n      got  %s\n      want %s", s, want);
    free(s); /* allocated by jansson */
}

/* ---- the request files ------------------------------------------------------------- */

static void parse_file(struct beacon_req *r, const char *path, const char *file)
{
    size_t n;
    char *body = slurp(file, &n);
    struct gn_err err = GN_ERR_INIT;
    if (beacon_req_parse("POST", path, NULL, body, n, r, &err) < 0)
        TEST_FAIL_("%s: %s", file, err.msg);
    gn_free(body);
}

static void t_gdi_requests(void)
{
    struct beacon_req r;

    /* The portal asks for 100000 datasets: clamped, with a warning, not refused. */
    parse_file(&r, "/api/datasets", FIX "gdi-aggregated-datasets.request.json");
    ASSERT_EQ_INT(r.method, BEACON_REQ_POST);
    ASSERT_EQ_INT(r.endpoint, BEACON_REQ_EP_ENTRIES);
    ASSERT_EQ_INT(r.entry, BEACON_REQ_ENTRY_DATASETS);
    ASSERT_EQ_STR(r.api_version, "2.0");
    ASSERT_EQ_INT(r.limit, BEACON_REQ_LIMIT_MAX);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_NONE);
    ASSERT_EQ_INT(r.n_warnings, 1);
    expect_warning(&r, "limit 100000 is over the maximum 1000");
    beacon_req_free(&r);

    /* Flat requestParameters and "start" as a string. */
    parse_file(&r, "/api/g_variants", FIX "gdi-aggregated-g_variants.request.json");
    no_warnings(&r);
    ASSERT_EQ_INT(r.entry, BEACON_REQ_ENTRY_G_VARIANTS);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_SEQUENCE);
    ASSERT_EQ_STR(r.variant.assembly_id, "GRCh37");
    ASSERT_EQ_STR(r.variant.reference_name, "3");
    ASSERT_EQ_INT(r.variant.n_start, 1);
    ASSERT_EQ_INT(r.variant.start[0], 45864731);
    ASSERT_EQ_INT(r.variant.n_end, 0);
    ASSERT_EQ_STR(r.variant.reference_bases, "T");
    ASSERT_EQ_STR(r.variant.alternate_bases, "C");
    ASSERT_EQ_INT(r.limit, 100);
    ASSERT_EQ_INT(r.skip, 0);
    ASSERT_EQ_INT(r.granularity, BEACON_REQ_BOOLEAN);
    ASSERT_EQ_INT(r.granularity_given, 0);
    beacon_req_free(&r);

    /* A filter {id, value, scope} without operator: alphanumeric, "=". */
    parse_file(&r, "/individuals", FIX "gdi-sensitive-individuals.request.json");
    no_warnings(&r);
    ASSERT_EQ_INT(r.entry, BEACON_REQ_ENTRY_INDIVIDUALS);
    ASSERT_EQ_INT(r.n_filters, 1);
    ASSERT_EQ_INT(r.filters[0].kind, BEACON_REQ_FILTER_ALPHANUMERIC);
    ASSERT_EQ_STR(r.filters[0].id, "sex");
    ASSERT_EQ_STR(r.filters[0].value, "NCIT:C16576");
    ASSERT_EQ_STR(r.filters[0].scope, "individual");
    ASSERT_EQ_INT(r.filters[0].op, BEACON_REQ_OP_EQ);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_SEQUENCE);
    ASSERT_EQ_INT(r.variant.start[0], 40015127);
    beacon_req_free(&r);
}

static void t_spec_doc_requests(void)
{
    struct beacon_req r;

    parse_file(&r, "/g_variants", FIX "spec-doc-sequence-query.request.json");
    no_warnings(&r);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_SEQUENCE);
    ASSERT_EQ_STR(r.variant.reference_name, "NC_000017.11");
    ASSERT_EQ_INT(r.variant.start[0], 7577120);
    ASSERT_EQ_INT(r.granularity, BEACON_REQ_RECORD);
    ASSERT_EQ_INT(r.granularity_given, 1);
    ASSERT_EQ_INT(r.skip, 0);
    ASSERT_EQ_INT(r.limit, 5);
    beacon_req_free(&r);

    parse_file(&r, "/g_variants", FIX "spec-doc-range-query.request.json");
    no_warnings(&r);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_RANGE);
    ASSERT_EQ_INT(r.variant.start[0], 7572837);
    ASSERT_EQ_INT(r.variant.end[0], 7578641);
    ASSERT_EQ_INT(r.granularity, BEACON_REQ_COUNT);
    ASSERT_EQ_INT(r.limit, BEACON_REQ_LIMIT_DEFAULT);
    beacon_req_free(&r);

    parse_file(&r, "/g_variants", FIX "spec-doc-bracket-query.request.json");
    no_warnings(&r);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_BRACKET);
    ASSERT_EQ_INT(r.variant.n_start, 2);
    ASSERT_EQ_INT(r.variant.start[0], 5000000);
    ASSERT_EQ_INT(r.variant.start[1], 7676592);
    ASSERT_EQ_INT(r.variant.end[0], 7669607);
    ASSERT_EQ_INT(r.variant.end[1], 10000000);
    ASSERT_EQ_STR(r.variant.variant_type, "DEL");
    ASSERT_EQ_STR(r.variant.assembly_id, "GRCh38");
    beacon_req_free(&r);

    parse_file(&r, "/g_variants", FIX "spec-doc-geneid-query.request.json");
    no_warnings(&r);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_GENE);
    ASSERT_EQ_STR(r.variant.gene_id, "EIF4A1");
    ASSERT_EQ_INT(r.variant.max_length, 1000000);
    ASSERT_EQ_INT(r.variant.min_length, -1);
    ASSERT_EQ_INT(r.granularity, BEACON_REQ_BOOLEAN);
    ASSERT_EQ_INT(r.granularity_given, 1);
    beacon_req_free(&r);
}

/* ---- GET ---------------------------------------------------------------------------- */

static void t_get_forms(void)
{
    struct beacon_req r;

    /* The spec documentation's bracket query, comma lists. */
    parse_ok(&r, "GET", "/g_variants",
             "assemblyId=GRCh38&referenceName=17&start=43045703,43045709&end=43045715,43045720"
             "&variantType=INDEL",
             NULL);
    no_warnings(&r);
    ASSERT_EQ_INT(r.method, BEACON_REQ_GET);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_BRACKET);
    ASSERT_EQ_INT(r.variant.start[1], 43045709);
    ASSERT_EQ_INT(r.variant.end[0], 43045715);
    ASSERT_EQ_STR(r.variant.variant_type, "INDEL");
    beacon_req_free(&r);

    /* Percent-decoding, repeated start/end, the query string inside the path. */
    parse_ok(&r, "GET",
             "/api/g_variants/?referenceName=refseq%3ANC_000002.12&start=0&start=54700000"
             "&end=63900000&end=242193529&variantType=EFO%3A0030070",
             NULL, NULL);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_BRACKET);
    ASSERT_EQ_STR(r.variant.reference_name, "refseq:NC_000002.12");
    ASSERT_EQ_INT(r.variant.start[0], 0);
    ASSERT_EQ_INT(r.variant.end[1], 242193529);
    ASSERT_EQ_STR(r.variant.variant_type, "EFO:0030070");
    beacon_req_free(&r);

    /* Sequence query, lower-case bases, datasetIds and filters as comma lists, options. */
    parse_ok(&r, "GET", "/g_variants",
             "datasetIds=TEST,DS2,&referenceName=NC_000017.11&start=7577120&referenceBases=g"
             "&alternateBases=a&filters=HP:0001,+NCIT:C3&limit=0&skip=2"
             "&requestedGranularity=COUNT&includeResultsetResponses=all&testMode=true"
             "&assemblyId=&apiVersion=v2.0.1",
             NULL);
    no_warnings(&r);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_SEQUENCE);
    ASSERT_EQ_STR(r.variant.reference_bases, "G");
    ASSERT_EQ_STR(r.variant.alternate_bases, "A");
    ASSERT_TRUE(r.variant.assembly_id == NULL); /* empty form field */
    ASSERT_EQ_INT(r.n_dataset_ids, 2);
    ASSERT_EQ_STR(r.dataset_ids[1], "DS2");
    ASSERT_EQ_INT(r.n_filters, 2);
    ASSERT_EQ_STR(r.filters[1].id, "NCIT:C3");
    ASSERT_EQ_INT(r.filters[1].kind, BEACON_REQ_FILTER_TERM);
    ASSERT_EQ_INT(r.limit, BEACON_REQ_LIMIT_MAX);
    ASSERT_EQ_INT(r.skip, 2);
    ASSERT_EQ_INT(r.granularity, BEACON_REQ_COUNT);
    ASSERT_EQ_INT(r.resultsets, BEACON_REQ_RS_ALL);
    ASSERT_EQ_INT(r.test_mode, 1);
    ASSERT_EQ_STR(r.api_version, "v2.0.1");
    beacon_req_free(&r);

    /* The OpenAPI spellings geneid and allele; an insertion with empty referenceBases. */
    parse_ok(&r, "GET", "/g_variants", "geneid=TP53&variantType=SO%3A0000667", NULL);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_GENE);
    ASSERT_EQ_STR(r.variant.gene_id, "TP53");
    beacon_req_free(&r);
    parse_ok(&r, "GET", "/g_variants", "allele=NM_004006.2%3Ac.4375C%3ET", NULL);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_ALLELE);
    ASSERT_EQ_STR(r.variant.allele_short_form, "NM_004006.2:c.4375C>T");
    beacon_req_free(&r);
    parse_ok(&r, "GET", "/g_variants", "referenceName=1&start=99&referenceBases=&alternateBases=TT",
             NULL);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_SEQUENCE);
    ASSERT_EQ_STR(r.variant.reference_bases, "");
    beacon_req_free(&r);

    /* aminoacidChange alone, and with geneId (a gene query restricted by it). */
    parse_ok(&r, "GET", "/g_variants", "aminoacidChange=V600E", NULL);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_AMINOACID);
    beacon_req_free(&r);
    parse_ok(&r, "GET", "/g_variants", "aminoacidChange=V600E&geneId=BRAF", NULL);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_GENE);
    ASSERT_EQ_STR(r.variant.aminoacid_change, "V600E");
    beacon_req_free(&r);

    /* No parameters at all: defaults. */
    parse_ok(&r, "GET", "/individuals", NULL, NULL);
    ASSERT_EQ_INT(r.limit, BEACON_REQ_LIMIT_DEFAULT);
    ASSERT_EQ_INT(r.skip, 0);
    ASSERT_EQ_INT(r.resultsets, BEACON_REQ_RS_HIT);
    ASSERT_EQ_INT(r.granularity, BEACON_REQ_BOOLEAN);
    ASSERT_EQ_INT(r.test_mode, 0);
    ASSERT_TRUE(r.api_version == NULL);
    beacon_req_free(&r);
}

/* Query string and body together: options from the URL, the query from the body. */
static void t_get_and_post(void)
{
    struct beacon_req r;
    parse_ok(&r, "POST", "/g_variants", "limit=3&filters=EFO:0009655",
             "{\"meta\":{\"apiVersion\":\"2.0\"},\"query\":{\"filters\":[\"NCIT:C48725\"],"
             "\"requestParameters\":{\"g_variant\":{\"referenceName\":\"1\",\"start\":[5],"
             "\"end\":[10]}}}}");
    no_warnings(&r);
    ASSERT_EQ_INT(r.limit, 3);
    ASSERT_EQ_INT(r.n_filters, 2);
    ASSERT_EQ_STR(r.filters[0].id, "EFO:0009655");
    ASSERT_EQ_STR(r.filters[1].id, "NCIT:C48725");
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_RANGE);
    beacon_req_free(&r);

    parse_fails("POST", "/g_variants", "limit=3", "{\"query\":{\"pagination\":{\"limit\":4}}}",
                GN_EINVAL, "'query.pagination.limit' is given more than once");
    parse_fails("POST", "/g_variants", "start=3",
                "{\"query\":{\"requestParameters\":{\"start\":[4]}}}", GN_EINVAL,
                "given more than once");
    parse_fails("POST", "/g_variants", NULL,
                "{\"query\":{\"requestParameters\":{\"start\":[4],\"g_variant\":{\"start\":[4]}}}}",
                GN_EINVAL, "given more than once");
}

/* ---- routing ------------------------------------------------------------------------ */

static const struct {
    const char *path;
    enum beacon_req_endpoint ep;
    enum beacon_req_entry entry, target;
    const char *id;
} routes[] = {
    {"/", BEACON_REQ_EP_ROOT, BEACON_REQ_ENTRY_NONE, BEACON_REQ_ENTRY_NONE, NULL},
    {"/api", BEACON_REQ_EP_ROOT, BEACON_REQ_ENTRY_NONE, BEACON_REQ_ENTRY_NONE, NULL},
    {"/api/", BEACON_REQ_EP_ROOT, BEACON_REQ_ENTRY_NONE, BEACON_REQ_ENTRY_NONE, NULL},
    {"/info", BEACON_REQ_EP_INFO, BEACON_REQ_ENTRY_NONE, BEACON_REQ_ENTRY_NONE, NULL},
    {"/api/service-info", BEACON_REQ_EP_SERVICE_INFO, BEACON_REQ_ENTRY_NONE, BEACON_REQ_ENTRY_NONE,
     NULL},
    {"/configuration", BEACON_REQ_EP_CONFIGURATION, BEACON_REQ_ENTRY_NONE, BEACON_REQ_ENTRY_NONE,
     NULL},
    {"/entry_types/", BEACON_REQ_EP_ENTRY_TYPES, BEACON_REQ_ENTRY_NONE, BEACON_REQ_ENTRY_NONE,
     NULL},
    {"/map", BEACON_REQ_EP_MAP, BEACON_REQ_ENTRY_NONE, BEACON_REQ_ENTRY_NONE, NULL},
    {"/filtering_terms", BEACON_REQ_EP_FILTERING_TERMS, BEACON_REQ_ENTRY_NONE,
     BEACON_REQ_ENTRY_NONE, NULL},
    {"/g_variants", BEACON_REQ_EP_ENTRIES, BEACON_REQ_ENTRY_G_VARIANTS, BEACON_REQ_ENTRY_NONE,
     NULL},
    {"/api/individuals/", BEACON_REQ_EP_ENTRIES, BEACON_REQ_ENTRY_INDIVIDUALS,
     BEACON_REQ_ENTRY_NONE, NULL},
    {"/biosamples", BEACON_REQ_EP_ENTRIES, BEACON_REQ_ENTRY_BIOSAMPLES, BEACON_REQ_ENTRY_NONE,
     NULL},
    {"/runs", BEACON_REQ_EP_ENTRIES, BEACON_REQ_ENTRY_RUNS, BEACON_REQ_ENTRY_NONE, NULL},
    {"/analyses", BEACON_REQ_EP_ENTRIES, BEACON_REQ_ENTRY_ANALYSES, BEACON_REQ_ENTRY_NONE, NULL},
    {"/cohorts", BEACON_REQ_EP_ENTRIES, BEACON_REQ_ENTRY_COHORTS, BEACON_REQ_ENTRY_NONE, NULL},
    {"/g_variants/rs123", BEACON_REQ_EP_ENTRY, BEACON_REQ_ENTRY_G_VARIANTS, BEACON_REQ_ENTRY_NONE,
     "rs123"},
    {"/g_variants/a%2Fb%20c/biosamples", BEACON_REQ_EP_RELATED, BEACON_REQ_ENTRY_G_VARIANTS,
     BEACON_REQ_ENTRY_BIOSAMPLES, "a/b c"},
    {"/g_variants/v/individuals", BEACON_REQ_EP_RELATED, BEACON_REQ_ENTRY_G_VARIANTS,
     BEACON_REQ_ENTRY_INDIVIDUALS, "v"},
    {"/api/datasets/ds1/g_variants", BEACON_REQ_EP_RELATED, BEACON_REQ_ENTRY_DATASETS,
     BEACON_REQ_ENTRY_G_VARIANTS, "ds1"},
    {"/individuals/NA12878/g_variants", BEACON_REQ_EP_RELATED, BEACON_REQ_ENTRY_INDIVIDUALS,
     BEACON_REQ_ENTRY_G_VARIANTS, "NA12878"},
    {"/cohorts/c1/individuals", BEACON_REQ_EP_RELATED, BEACON_REQ_ENTRY_COHORTS,
     BEACON_REQ_ENTRY_INDIVIDUALS, "c1"},
    {"/biosamples/b1/runs", BEACON_REQ_EP_RELATED, BEACON_REQ_ENTRY_BIOSAMPLES,
     BEACON_REQ_ENTRY_RUNS, "b1"},
    {"/runs/r1/analyses", BEACON_REQ_EP_RELATED, BEACON_REQ_ENTRY_RUNS, BEACON_REQ_ENTRY_ANALYSES,
     "r1"},
    {"/analyses/a1/g_variants", BEACON_REQ_EP_RELATED, BEACON_REQ_ENTRY_ANALYSES,
     BEACON_REQ_ENTRY_G_VARIANTS, "a1"},
    {"/individuals/filtering_terms", BEACON_REQ_EP_FILTERING_TERMS, BEACON_REQ_ENTRY_INDIVIDUALS,
     BEACON_REQ_ENTRY_NONE, NULL},
    {"/datasets/d1/filtering_terms", BEACON_REQ_EP_FILTERING_TERMS, BEACON_REQ_ENTRY_DATASETS,
     BEACON_REQ_ENTRY_NONE, "d1"},
};

static const char *const bad_routes[] = {
    "/foo",
    "/g_variants/x/cohorts",
    "/cohorts/c/g_variants",
    "/info/x",
    "/g_variants//",
    "/a/b/c/d/e",
    "g_variants",
    "",
    "/api/api/info",
    "/G_VARIANTS",
    "/individuals/x/filtering_terms",
    "/g_variants/x/biosamples/y",
    "//info",
};

static void t_routing(void)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        struct beacon_req r;
        parse_ok(&r, "GET", routes[i].path, NULL, NULL);
        if (r.endpoint != routes[i].ep || r.entry != routes[i].entry ||
            r.target != routes[i].target) {
            TEST_FAIL_("%s: endpoint %s entry '%s' target '%s'", routes[i].path,
                       beacon_req_endpoint_name(r.endpoint), beacon_req_entry_name(r.entry),
                       beacon_req_entry_name(r.target));
        }
        if (routes[i].id) {
            ASSERT_TRUE(r.entry_id != NULL);
            ASSERT_EQ_STR(r.entry_id, routes[i].id);
        } else {
            ASSERT_TRUE(r.entry_id == NULL);
        }
        beacon_req_free(&r);
    }
    for (size_t i = 0; i < sizeof bad_routes / sizeof bad_routes[0]; i++)
        parse_fails("GET", bad_routes[i], NULL, NULL, GN_ENOTFOUND, "unknown endpoint");
    parse_fails("GET", "/g_variants/%zz", NULL, NULL, GN_EPARSE, "percent-encoding");
    parse_fails("GET", "/g_variants/a%01b", NULL, NULL, GN_EINVAL, "control characters");
    parse_fails("GET", "/g_variants/%ff", NULL, NULL, GN_EINVAL, "UTF-8");
    parse_fails("DELETE", "/g_variants", NULL, NULL, GN_EUNSUPPORTED, "'DELETE' is not allowed");
    parse_fails(NULL, "/g_variants", NULL, NULL, GN_EUNSUPPORTED, NULL);
    parse_fails("get", "/g_variants", NULL, NULL, GN_EUNSUPPORTED, NULL);
    ASSERT_EQ_STR(beacon_req_entry_name(BEACON_REQ_ENTRY_COHORTS), "cohorts");
    ASSERT_EQ_STR(beacon_req_endpoint_name(BEACON_REQ_EP_RELATED), "related");
}

/* ---- classification ----------------------------------------------------------------- */

static const struct {
    const char *g_variant; /* the g_variant object */
    enum beacon_req_vq kind;
    const char *error; /* NULL: valid */
} vq_cases[] = {
    {"{}", BEACON_REQ_VQ_NONE, NULL},
    {"{\"referenceName\":\"1\",\"start\":[10],\"referenceBases\":\"A\",\"alternateBases\":\"T\"}",
     BEACON_REQ_VQ_SEQUENCE, NULL},
    {"{\"referenceName\":\"1\",\"start\":10,\"referenceBases\":\"AT\",\"alternateBases\":\"\"}",
     BEACON_REQ_VQ_SEQUENCE, NULL},
    {"{\"referenceName\":17,\"start\":[345675],\"end\":[345681]}", BEACON_REQ_VQ_RANGE, NULL},
    {"{\"referenceName\":\"1\",\"start\":[\"5\"],\"end\":[\"5\"],\"alternateBases\":\"T\"}",
     BEACON_REQ_VQ_RANGE, NULL},
    {"{\"referenceName\":\"1\",\"start\":[0,5],\"end\":[7,9],\"variantType\":\"DUP\","
     "\"mateName\":\"2\",\"variantMinLength\":0,\"variantMaxLength\":\"100\"}",
     BEACON_REQ_VQ_BRACKET, NULL},
    {"{\"geneId\":\"TP53\",\"variantType\":\"DEL\"}", BEACON_REQ_VQ_GENE, NULL},
    {"{\"aminoacidChange\":\"V600E\"}", BEACON_REQ_VQ_AMINOACID, NULL},
    {"{\"genomicAlleleShortForm\":\"NM_004006.2:c.4375C>T\"}", BEACON_REQ_VQ_ALLELE, NULL},
    {"{\"referenceName\":\"1\",\"start\":[10],\"alternateBases\":\"T\"}", BEACON_REQ_VQ_NONE,
     "needs 'referenceBases' and 'alternateBases'"},
    {"{\"referenceName\":\"1\",\"start\":[10],\"variantType\":\"DEL\"}", BEACON_REQ_VQ_NONE,
     "sequence query"},
    {"{\"referenceName\":\"1\",\"start\":[10],\"referenceBases\":\"\",\"alternateBases\":\"\"}",
     BEACON_REQ_VQ_NONE, "both empty"},
    {"{\"start\":[10],\"end\":[20]}", BEACON_REQ_VQ_NONE, "'start' needs 'referenceName'"},
    {"{\"referenceName\":\"1\",\"start\":[10,20],\"end\":[30]}", BEACON_REQ_VQ_NONE,
     "bracket query needs two 'start' and two 'end'"},
    {"{\"referenceName\":\"1\",\"start\":[10],\"end\":[20,30]}", BEACON_REQ_VQ_NONE,
     "bracket query"},
    {"{\"referenceName\":\"1\",\"start\":[10,20]}", BEACON_REQ_VQ_NONE, "bracket query"},
    {"{\"referenceName\":\"1\",\"start\":[30],\"end\":[20]}", BEACON_REQ_VQ_NONE,
     "'start' is after 'end'"},
    {"{\"referenceName\":\"1\",\"start\":[20,10],\"end\":[30,40]}", BEACON_REQ_VQ_NONE, "in order"},
    {"{\"referenceName\":\"1\",\"start\":[50,60],\"end\":[30,40]}", BEACON_REQ_VQ_NONE,
     "start bracket is after the end bracket"},
    {"{\"referenceName\":\"1\",\"end\":[20]}", BEACON_REQ_VQ_NONE, "'end' needs 'start'"},
    {"{\"referenceName\":\"1\",\"start\":[-1],\"end\":[20]}", BEACON_REQ_VQ_NONE,
     "'query.requestParameters.g_variant.start' must be >= 0"},
    {"{\"referenceName\":\"1\",\"start\":[1,2,3],\"end\":[20]}", BEACON_REQ_VQ_NONE,
     "an array of 1 or 2 integers"},
    {"{\"referenceName\":\"1\",\"start\":[],\"end\":[20]}", BEACON_REQ_VQ_NONE,
     "an array of 1 or 2 integers"},
    {"{\"referenceName\":\"1\",\"start\":[1.5],\"end\":[20]}", BEACON_REQ_VQ_NONE,
     "an array of 1 or 2 integers"},
    {"{\"referenceName\":\"1\",\"start\":\"1,2,3\"}", BEACON_REQ_VQ_NONE, "at most 2 values"},
    {"{\"referenceName\":\"1\",\"start\":[\"x\"],\"end\":[2]}", BEACON_REQ_VQ_NONE,
     "must be an integer (got 'x')"},
    {"{\"referenceName\":\"1\",\"start\":[1],\"end\":[2000000000000000]}", BEACON_REQ_VQ_NONE,
     "over the maximum"},
    {"{\"geneId\":\"TP53\",\"start\":[1],\"end\":[2]}", BEACON_REQ_VQ_NONE,
     "'geneId' cannot be combined"},
    {"{\"genomicAlleleShortForm\":\"x\",\"geneId\":\"TP53\"}", BEACON_REQ_VQ_NONE,
     "'genomicAlleleShortForm' cannot be combined"},
    {"{\"assemblyId\":\"GRCh38\",\"variantType\":\"DEL\"}", BEACON_REQ_VQ_NONE, "give 'start'"},
    {"{\"geneId\":\"X\",\"variantMinLength\":10,\"variantMaxLength\":5}", BEACON_REQ_VQ_NONE,
     "'variantMinLength' is greater"},
    {"{\"referenceName\":\"1\",\"start\":[1],\"referenceBases\":\"AXG\",\"alternateBases\":\"T\"}",
     BEACON_REQ_VQ_NONE, "must be made of the bases"},
    {"{\"referenceName\":\"\",\"start\":[1],\"end\":[2]}", BEACON_REQ_VQ_NONE,
     "'query.requestParameters.g_variant.referenceName' must not be empty"},
    {"{\"referenceName\":true,\"start\":[1],\"end\":[2]}", BEACON_REQ_VQ_NONE,
     "'query.requestParameters.g_variant.referenceName' must be a string"},
    {"{\"geneId\":[\"TP53\"]}", BEACON_REQ_VQ_NONE, "'query.requestParameters.g_variant.geneId'"},
    {"{\"geneId\":\"TP53\",\"variantMaxLength\":1.5}", BEACON_REQ_VQ_NONE, "must be an integer"},
};

static void t_classify(void)
{
    char body[512];
    for (size_t i = 0; i < sizeof vq_cases / sizeof vq_cases[0]; i++) {
        struct beacon_req r;
        (void)snprintf(body, sizeof body, "{\"query\":{\"requestParameters\":{\"g_variant\":%s}}}",
                       vq_cases[i].g_variant);
        if (vq_cases[i].error) {
            parse_fails("POST", "/g_variants", NULL, body, GN_EINVAL, vq_cases[i].error);
            continue;
        }
        parse_ok(&r, "POST", "/g_variants", NULL, body);
        if (r.variant.kind != vq_cases[i].kind) {
            TEST_FAIL_("%s: kind %s, want %s", vq_cases[i].g_variant,
                       beacon_req_vq_name(r.variant.kind), beacon_req_vq_name(vq_cases[i].kind));
        }
        no_warnings(&r);
        beacon_req_free(&r);
    }
    /* Called directly on a hand-built query. */
    struct beacon_req_variant v;
    struct gn_err err = GN_ERR_INIT;
    memset(&v, 0, sizeof v);
    v.min_length = v.max_length = -1;
    ASSERT_OK(beacon_req_variant_classify(&v, &err));
    ASSERT_EQ_INT(v.kind, BEACON_REQ_VQ_NONE);
    v.n_start = 1;
    ASSERT_EQ_INT(beacon_req_variant_classify(&v, &err), GN_EINVAL);
    ASSERT_TRUE(strstr(err.msg, "referenceName") != NULL);
    ASSERT_EQ_INT(v.kind, BEACON_REQ_VQ_NONE);
    ASSERT_EQ_STR(beacon_req_vq_name(BEACON_REQ_VQ_BRACKET), "bracket");
}

/* ---- options and filters ------------------------------------------------------------ */

static void t_filters(void)
{
    struct beacon_req r;
    parse_ok(&r, "POST", "/biosamples", NULL,
             "{\"meta\":{\"apiVersion\":\"v2.0\"},\"query\":{\"filters\":["
             "\"BTO:0000199\","
             "{\"id\":\"HP:0002664\",\"includeDescendantTerms\":false,\"scope\":\"biosamples\","
             "\"similarity\":\"high\"},"
             "{\"id\":\"age\",\"operator\":\">=\",\"value\":\"P70Y\",\"scope\":\"individuals\"},"
             "{\"id\":\"bmi\",\"operator\":\"<\",\"value\":25.5},"
             "{\"id\":\"n\",\"operator\":\"!\",\"value\":3,\"includeDescendantTerms\":\"TRUE\"},"
             "{\"id\":\"demographic.ethnicity:asian\",\"scope\":null}]}}");
    no_warnings(&r);
    ASSERT_EQ_INT(r.n_filters, 6);
    ASSERT_EQ_INT(r.filters[0].kind, BEACON_REQ_FILTER_TERM);
    ASSERT_EQ_INT(r.filters[0].include_descendants, 1);
    ASSERT_TRUE(r.filters[0].scope == NULL);
    ASSERT_EQ_INT(r.filters[1].include_descendants, 0);
    ASSERT_EQ_INT(r.filters[1].similarity, BEACON_REQ_SIM_HIGH);
    ASSERT_EQ_STR(r.filters[1].scope, "biosamples");
    ASSERT_EQ_INT(r.filters[2].kind, BEACON_REQ_FILTER_ALPHANUMERIC);
    ASSERT_EQ_INT(r.filters[2].op, BEACON_REQ_OP_GE);
    ASSERT_EQ_STR(r.filters[3].value, "25.5");
    ASSERT_EQ_INT(r.filters[3].op, BEACON_REQ_OP_LT);
    ASSERT_EQ_STR(r.filters[4].value, "3");
    ASSERT_EQ_INT(r.filters[4].op, BEACON_REQ_OP_NE);
    ASSERT_EQ_INT(r.filters[5].kind, BEACON_REQ_FILTER_TERM);
    ASSERT_EQ_STR(beacon_req_op_name(BEACON_REQ_OP_LE), "<=");
    beacon_req_free(&r);

    parse_fails("POST", "/individuals", NULL, "{\"query\":{\"filters\":[{\"operator\":\"=\"}]}}",
                GN_EINVAL, "'query.filters[0]' has no 'id'");
    parse_fails("POST", "/individuals", NULL,
                "{\"query\":{\"filters\":[\"a\",{\"id\":\"age\",\"operator\":\">\"}]}}", GN_EINVAL,
                "'query.filters[1]' has an operator but no 'value'");
    parse_fails("POST", "/individuals", NULL,
                "{\"query\":{\"filters\":[{\"id\":\"age\",\"operator\":\"~\",\"value\":\"1\"}]}}",
                GN_EINVAL, "'query.filters[0].operator' must be one of");
    parse_fails("POST", "/individuals", NULL,
                "{\"query\":{\"filters\":[{\"id\":\"x\",\"similarity\":\"some\"}]}}", GN_EINVAL,
                "'query.filters[0].similarity'");
    parse_fails("POST", "/individuals", NULL, "{\"query\":{\"filters\":[{\"id\":5}]}}", GN_EINVAL,
                "'query.filters[0].id' must be a string");
    parse_fails("POST", "/individuals", NULL, "{\"query\":{\"filters\":[7]}}", GN_EINVAL,
                "'query.filters[0]' must be a string or an object");
    parse_fails("POST", "/individuals", NULL, "{\"query\":{\"filters\":{\"id\":\"x\"}}}", GN_EINVAL,
                "'query.filters' must be an array");
    parse_fails("POST", "/individuals", NULL,
                "{\"query\":{\"filters\":[{\"id\":\"x\",\"value\":true}]}}", GN_EINVAL,
                "'query.filters[0].value' must be a string or a number");
    parse_fails("POST", "/individuals", NULL,
                "{\"query\":{\"filters\":[{\"id\":\"x\",\"includeDescendantTerms\":\"maybe\"}]}}",
                GN_EINVAL, "must be true or false");
}

static void t_options(void)
{
    struct beacon_req r;
    parse_ok(&r, "POST", "/datasets", NULL,
             "{\"$schema\":\"beaconRequestBody.json\",\"meta\":{\"apiVersion\":\"2.0\","
             "\"requestedSchemas\":[{\"entityType\":\"dataset\",\"schema\":\"ga4gh-dataset-v2\"}]},"
             "\"query\":{\"includeResultsetResponses\":\"MISS\",\"testMode\":true,"
             "\"pagination\":{\"skip\":\"20\",\"limit\":\"50\",\"currentPage\":\"x\"},"
             "\"requestedGranularity\":\"Record\",\"requestParameters\":{\"datasets\":"
             "{\"datasetIds\":[\"DatasetXYZ\",\"Dataset123\"]}}}}");
    no_warnings(&r);
    ASSERT_EQ_INT(r.n_schemas, 1);
    ASSERT_EQ_STR(r.schemas[0].entity_type, "dataset");
    ASSERT_EQ_STR(r.schemas[0].schema, "ga4gh-dataset-v2");
    ASSERT_EQ_INT(r.resultsets, BEACON_REQ_RS_MISS);
    ASSERT_EQ_INT(r.test_mode, 1);
    ASSERT_EQ_INT(r.skip, 20);
    ASSERT_EQ_INT(r.limit, 50);
    ASSERT_EQ_INT(r.granularity, BEACON_REQ_RECORD);
    ASSERT_EQ_INT(r.n_dataset_ids, 2);
    ASSERT_EQ_STR(r.dataset_ids[0], "DatasetXYZ");
    beacon_req_free(&r);

    parse_fails("POST", "/datasets", NULL, "{\"query\":{\"requestedGranularity\":\"records\"}}",
                GN_EINVAL, "'query.requestedGranularity' must be one of boolean|count|record");
    parse_fails("GET", "/datasets", "includeResultsetResponses=SOME", NULL, GN_EINVAL,
                "'includeResultsetResponses' must be one of HIT|MISS|ALL|NONE");
    parse_fails("GET", "/datasets", "testMode=yes", NULL, GN_EINVAL,
                "'testMode' must be true or false");
    parse_fails("POST", "/datasets", NULL, "{\"query\":{\"testMode\":1}}", GN_EINVAL,
                "'query.testMode' must be a boolean");
    parse_fails("GET", "/datasets", "limit=ten", NULL, GN_EINVAL,
                "'limit' must be an integer (got 'ten')");
    parse_fails("POST", "/datasets", NULL, "{\"query\":{\"pagination\":{\"limit\":-1}}}", GN_EINVAL,
                "'query.pagination.limit' must be >= 0");
    parse_fails("POST", "/datasets", NULL, "{\"query\":{\"pagination\":[]}}", GN_EINVAL,
                "'query.pagination' must be an object");
    parse_fails("POST", "/datasets", NULL, "{\"meta\":{\"apiVersion\":2}}", GN_EINVAL,
                "'meta.apiVersion' must be a string");
    parse_fails("POST", "/datasets", NULL, "{\"meta\":{\"requestedSchemas\":[\"x\"]}}", GN_EINVAL,
                "'meta.requestedSchemas[0]' must be an object");
    parse_fails("POST", "/datasets", NULL, "{\"query\":{\"requestParameters\":[]}}", GN_EINVAL,
                "'query.requestParameters' must be an object");
    parse_fails("POST", "/datasets", NULL, "{\"query\":\"x\"}", GN_EINVAL,
                "'query' must be an object");
    parse_fails("POST", "/datasets", NULL, "{\"meta\":[]}", GN_EINVAL, "'meta' must be an object");
    parse_fails("POST", "/datasets", NULL,
                "{\"query\":{\"requestParameters\":{\"datasetIds\":[\"a\",1]}}}", GN_EINVAL,
                "'query.requestParameters.datasetIds' must be an array of strings");
}

/* ---- error classes ------------------------------------------------------------------ */

static void t_errors(void)
{
    struct beacon_req r;
    char *big, *deep;
    size_t i;

    /* Malformed JSON: line and column, GN_EPARSE. */
    parse_fails("POST", "/g_variants", NULL,
                "{\"meta\": {\"apiVersion\": \"2.0\"},\n  \"query\": }", GN_EPARSE,
                "malformed JSON at line 2 column");
    parse_fails("POST", "/g_variants", NULL, "{\"a\":1,\"a\":2}", GN_EPARSE, "duplicate");
    parse_fails("POST", "/g_variants", NULL, "{\"a\":1} trailing", GN_EPARSE, "malformed JSON");
    parse_fails("POST", "/g_variants", NULL, "[1,2]", GN_EINVAL, "must be a JSON object");
    parse_fails("POST", "/g_variants", NULL, "\"x\"", GN_EPARSE, "malformed JSON");
    /* Query-string encoding and text. */
    parse_fails("GET", "/g_variants", "referenceName=%G1", NULL, GN_EPARSE,
                "malformed percent-encoding in query parameter 'referenceName'");
    parse_fails("GET", "/g_variants", "referenceName=%", NULL, GN_EPARSE, "percent-encoding");
    parse_fails("GET", "/g_variants", "referenceName=a%00b&start=1&end=2", NULL, GN_EINVAL,
                "'referenceName' is not valid UTF-8 text");
    parse_fails("GET", "/g_variants", "geneId=%C3%28", NULL, GN_EINVAL, "UTF-8");
    parse_fails("GET", "/g_variants", "referenceName=1&start=1,,2&end=3,4", NULL, GN_EINVAL,
                "'start' must be an integer");
    parse_fails("GET", "/g_variants", "referenceName=1&start=1&start=2&start=3", NULL, GN_EINVAL,
                "'start' takes at most 2 values");
    parse_fails("GET", "/g_variants", "limit=1&limit=2", NULL, GN_EINVAL,
                "'limit' is given more than once");

    /* Limits. */
    big = gn_malloc(BEACON_REQ_MAX_BODY + 2);
    ASSERT_TRUE(big != NULL);
    memset(big, ' ', BEACON_REQ_MAX_BODY + 1);
    big[0] = '{';
    big[BEACON_REQ_MAX_BODY] = '}';
    big[BEACON_REQ_MAX_BODY + 1] = 0;
    parse_fails("POST", "/g_variants", NULL, big, GN_EPAYLOAD, "request body is larger than");
    big[BEACON_REQ_MAX_BODY] = ' ';
    big[BEACON_REQ_MAX_BODY - 1] = '}';
    ASSERT_EQ_INT(beacon_req_parse("POST", "/g_variants", NULL, big, BEACON_REQ_MAX_BODY, &r, NULL),
                  GN_OK);
    beacon_req_free(&r);
    gn_free(big);

    deep = gn_malloc(200);
    ASSERT_TRUE(deep != NULL);
    /* {"a":[[[...]]]} : the object plus 31 arrays is the deepest accepted. */
    for (int depth = 32; depth <= 33; depth++) {
        size_t k = 0;
        k += (size_t)snprintf(deep + k, 200 - k, "{\"a\":");
        for (i = 1; i < (size_t)depth; i++)
            deep[k++] = '[';
        for (i = 1; i < (size_t)depth; i++)
            deep[k++] = ']';
        deep[k++] = '}';
        deep[k] = 0;
        if (depth == 32) {
            parse_ok(&r, "POST", "/g_variants", NULL, deep);
            expect_warning(&r, "unknown key 'a' ignored");
            beacon_req_free(&r);
        } else {
            parse_fails("POST", "/g_variants", NULL, deep, GN_ELIMIT, "deeper than 32");
        }
    }
    /* Brackets inside strings do not count. */
    parse_ok(&r, "POST", "/g_variants", NULL,
             "{\"meta\":{\"apiVersion\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"\"}}");
    beacon_req_free(&r);
    gn_free(deep);

    char q[BEACON_REQ_MAX_FILTERS * 8 + 64];
    size_t k = (size_t)snprintf(q, sizeof q, "filters=");
    for (i = 0; i <= BEACON_REQ_MAX_FILTERS; i++)
        k += (size_t)snprintf(q + k, sizeof q - k, "F:%zu,", i);
    parse_fails("GET", "/individuals", q, NULL, GN_ELIMIT, "more than 64 filters");
    parse_fails("GET", "/individuals", "skip=1000001", NULL, GN_ELIMIT, "'skip' is 1000001");
    parse_fails("GET", "/individuals",
                "x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1"
                "&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1"
                "&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1"
                "&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1&x=1",
                NULL, GN_ELIMIT, "more than 64 query parameters");
    char *longq = gn_malloc(BEACON_REQ_MAX_QUERY + 16);
    ASSERT_TRUE(longq != NULL);
    memcpy(longq, "geneId=", 7);
    memset(longq + 7, 'A', BEACON_REQ_MAX_QUERY);
    longq[BEACON_REQ_MAX_QUERY + 7] = 0;
    parse_fails("GET", "/g_variants", longq, NULL, GN_EURI, "query string is longer");
    longq[BEACON_REQ_MAX_TEXT + 8] = 0;
    parse_fails("GET", "/g_variants", longq, NULL, GN_ELIMIT, "'geneId' is longer than 1024");
    gn_free(longq);
    parse_fails("GET", "/api/g_variants/../info", NULL, NULL, GN_ENOTFOUND,
                "unknown endpoint '/api/g_variants/../info'");
}

/* The HTTP status each refusal becomes: 413 only for a body too large, 414 for a URI too
 * long, 400 for a value out of range or too many items. */
static void t_http_status(void)
{
    struct gn_err err = GN_ERR_INIT;
    struct beacon_req r;
    char *big = gn_malloc(BEACON_REQ_MAX_BODY + 2), *longp = gn_malloc(BEACON_REQ_MAX_PATH + 64);
    char q[BEACON_REQ_MAX_FILTERS * 8 + 64], ds[BEACON_REQ_MAX_DATASETS * 8 + 64];
    size_t k;
    struct {
        const char *method, *path, *qs, *body;
        int status;
    } c[] = {
        {"GET", "/api/individuals", "skip=1000001", NULL, 400},
        {"POST", "/api/individuals", NULL, "{\"query\":{\"pagination\":{\"skip\":1000001}}}", 400},
        {"GET", "/api/individuals", q, NULL, 400},
        {"GET", "/api/individuals", ds, NULL, 400},
        {"GET", "/api/g_variants", NULL, NULL, 200},
        {"POST", "/api/g_variants", NULL, big, 413},
        {"GET", longp, NULL, NULL, 414},
    };
    ASSERT_TRUE(big && longp);
    memset(big, ' ', BEACON_REQ_MAX_BODY + 1);
    big[0] = '{';
    big[BEACON_REQ_MAX_BODY] = '}';
    big[BEACON_REQ_MAX_BODY + 1] = 0;
    memcpy(longp, "/api/individuals/", 17);
    memset(longp + 17, 'x', BEACON_REQ_MAX_PATH);
    longp[BEACON_REQ_MAX_PATH + 17] = 0;
    k = (size_t)snprintf(q, sizeof q, "filters=");
    for (size_t i = 0; i <= BEACON_REQ_MAX_FILTERS; i++)
        k += (size_t)snprintf(q + k, sizeof q - k, "F:%zu,", i);
    k = (size_t)snprintf(ds, sizeof ds, "datasetIds=");
    for (size_t i = 0; i <= BEACON_REQ_MAX_DATASETS; i++)
        k += (size_t)snprintf(ds + k, sizeof ds - k, "D%zu,", i);
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        int rc = beacon_req_parse(c[i].method, c[i].path, c[i].qs, c[i].body,
                                  c[i].body ? strlen(c[i].body) : 0, &r, &err);
        if (gn_err_http_status(rc) != c[i].status)
            TEST_FAIL_("case %zu: %s (%s) is HTTP %d, want %d", i, gn_err_name(rc), err.msg,
                       gn_err_http_status(rc), c[i].status);
        beacon_req_free(&r);
    }
    /* an {id} over its limit in a path within the limit: the URI is too long too */
    memcpy(longp, "/api/individuals/", 17);
    memset(longp + 17, 'x', BEACON_REQ_MAX_ID + 1);
    longp[BEACON_REQ_MAX_ID + 18] = 0;
    parse_fails("GET", longp, NULL, NULL, GN_EURI, "entry id is longer than 256");
    gn_free(big);
    gn_free(longp);
}

/* beacon_req_variant_reset releases what the parser allocated (LSan and the torture pass
 * see a leak otherwise) and leaves "no variant parameter". */
static void t_variant_reset(void)
{
    struct beacon_req r;
    parse_ok(&r, "GET", "/g_variants",
             "referenceName=20&start=5&referenceBases=ACGT&alternateBases=A&assemblyId=GRCh37&"
             "variantType=DEL&variantMinLength=1",
             NULL);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_SEQUENCE);
    beacon_req_variant_reset(&r.variant);
    ASSERT_TRUE(r.variant.reference_name == NULL && r.variant.reference_bases == NULL &&
                r.variant.alternate_bases == NULL && r.variant.assembly_id == NULL &&
                r.variant.variant_type == NULL);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_NONE);
    ASSERT_EQ_INT(r.variant.n_start, 0);
    ASSERT_EQ_INT(r.variant.min_length, -1);
    ASSERT_EQ_INT(r.variant.max_length, -1);
    beacon_req_variant_reset(&r.variant); /* twice, and NULL: harmless */
    beacon_req_variant_reset(NULL);
    beacon_req_free(&r);
}

/* ---- warnings ----------------------------------------------------------------------- */

static void t_warnings(void)
{
    struct beacon_req r;
    parse_ok(&r, "POST", "/g_variants", "foo=1&bar&%01x=2",
             "{\"meta\":{\"apiVersion\":\"2.0\",\"beaconId\":\"x\",\"requestedSchemas\":"
             "[{\"entityType\":\"genomicVariation\",\"schema:\":\"typo\"}]},"
             "\"extra\":{},\"requestedGranularity\":\"count\","
             "\"query\":{\"requestParameters\":{\"g_variant\":{\"referenceName\":\"1\","
             "\"start\":[1],\"end\":[5],\"colour\":\"red\"},\"individual\":{},"
             "\"datasets\":{\"datasetIds\":[\"d\"],\"other\":1}},"
             "\"filters\":[{\"id\":\"x\",\"weight\":2}],\"pagination\":{\"page\":1},"
             "\"sort\":\"asc\"}}");
    expect_warning(&r, "unknown parameter 'foo' ignored");
    expect_warning(&r, "unknown parameter 'bar' ignored");
    expect_warning(&r, "unknown parameter '?x' ignored");
    expect_warning(&r, "unknown key 'meta.beaconId' ignored");
    expect_warning(&r, "unknown key 'schema:' in meta.requestedSchemas[0] ignored");
    expect_warning(&r, "unknown key 'extra' ignored");
    expect_warning(&r, "'requestedGranularity' belongs inside 'query'; accepted");
    expect_warning(&r, "unknown request parameter 'g_variant.colour' ignored");
    expect_warning(&r, "unknown request parameter 'individual' ignored");
    expect_warning(&r, "unknown request parameter 'datasets.other' ignored");
    expect_warning(&r, "unknown key 'weight' in query.filters[0] ignored");
    expect_warning(&r, "unknown key 'query.pagination.page' ignored");
    expect_warning(&r, "unknown key 'query.sort' ignored");
    ASSERT_EQ_INT(r.n_warnings, 13);
    ASSERT_EQ_INT(r.granularity, BEACON_REQ_COUNT);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_RANGE);
    beacon_req_free(&r);

    /* A GET body is ignored and a foreign apiVersion noted. */
    parse_ok(&r, "GET", "/info", "apiVersion=v1.1", "{\"meta\":{}}");
    expect_warning(&r, "apiVersion 'v1.1' is not 2.x; answering as v2.1.1");
    expect_warning(&r, "request body ignored for GET");
    ASSERT_EQ_INT(r.n_warnings, 2);
    beacon_req_free(&r);

    /* Warnings are capped; a repeated one is not new. */
    parse_ok(&r, "GET", "/info",
             "a1=&a2=&a3=&a4=&a5=&a6=&a7=&a8=&a9=&a10=&a11=&a12=&a13=&a14=&a15=&a16=&a1=&a17=&a18=",
             NULL);
    expect_warning(&r, "unknown parameter 'a16' ignored");
    ASSERT_EQ_INT(r.n_warnings, BEACON_REQ_MAX_WARNINGS);
    ASSERT_EQ_INT(r.n_warnings_dropped, 2);
    ASSERT_TRUE(!has_warning(&r, "'a17'"));
    beacon_req_free(&r);

    /* A blank POST body is no body, and null means "not given". */
    parse_ok(&r, "POST", "/g_variants", NULL, " \r\n");
    no_warnings(&r);
    beacon_req_free(&r);
    parse_ok(&r, "POST", "/g_variants", NULL,
             "{\"meta\":null,\"query\":{\"requestParameters\":{\"g_variant\":{\"assemblyId\":null,"
             "\"geneId\":\"BRCA2\"}},\"filters\":null,\"pagination\":{\"limit\":null}}}");
    no_warnings(&r);
    ASSERT_TRUE(r.variant.assembly_id == NULL);
    ASSERT_EQ_INT(r.variant.kind, BEACON_REQ_VQ_GENE);
    ASSERT_EQ_INT(r.limit, BEACON_REQ_LIMIT_DEFAULT);
    beacon_req_free(&r);
}

/* ---- receivedRequestSummary --------------------------------------------------------- */

static void t_summary(void)
{
    struct beacon_req r;

    /* The minimal summary: every required property, the defaults. */
    parse_ok(&r, "GET", "/info", NULL, NULL);
    expect_summary(&r, "{\"apiVersion\":\"v2.1.1\",\"includeResultsetResponses\":\"HIT\","
                       "\"pagination\":{\"limit\":10,\"skip\":0},\"requestedGranularity\":"
                       "\"boolean\",\"requestedSchemas\":[],\"testMode\":false}");
    beacon_req_free(&r);

    parse_file(&r, "/individuals", FIX "gdi-sensitive-individuals.request.json");
    expect_summary(&r, "{\"apiVersion\":\"2.0\",\"filters\":[\"sex=NCIT:C16576\"],"
                       "\"includeResultsetResponses\":\"HIT\",\"pagination\":{\"limit\":100,"
                       "\"skip\":0},\"requestParameters\":{\"g_variant\":{\"alternateBases\":\"A\","
                       "\"assemblyId\":\"GRCh37\",\"referenceBases\":\"G\",\"referenceName\":\"3\","
                       "\"start\":[40015127]}},\"requestedGranularity\":\"boolean\","
                       "\"requestedSchemas\":[],\"testMode\":false}");
    beacon_req_free(&r);

    parse_ok(&r, "GET", "/g_variants",
             "referenceName=X&start=5,10&end=20,30&variantType=DUP&variantMinLength=1"
             "&variantMaxLength=99&mateName=Y&datasetIds=d1,d2&filters=HP:1&limit=2000"
             "&requestedGranularity=count&testMode=TRUE&includeResultsetResponses=NONE"
             "&requestedSchema=s1&assemblyId=hg38",
             NULL);
    expect_summary(&r, "{\"apiVersion\":\"v2.1.1\",\"filters\":[\"HP:1\"],"
                       "\"includeResultsetResponses\":\"NONE\",\"pagination\":{\"limit\":1000,"
                       "\"skip\":0},\"requestParameters\":{\"datasets\":{\"datasetIds\":[\"d1\","
                       "\"d2\"]},\"g_variant\":{\"assemblyId\":\"hg38\",\"end\":[20,30],"
                       "\"mateName\":\"Y\",\"referenceName\":\"X\",\"start\":[5,10],"
                       "\"variantMaxLength\":99,\"variantMinLength\":1,\"variantType\":\"DUP\"}},"
                       "\"requestedGranularity\":\"count\",\"requestedSchemas\":[{\"schema\":"
                       "\"s1\"}],\"testMode\":true}");
    beacon_req_free(&r);

    parse_ok(&r, "POST", "/g_variants", NULL,
             "{\"meta\":{\"requestedSchemas\":[{\"entityType\":\"genomicVariation\"}]},"
             "\"query\":{\"requestParameters\":{\"g_variant\":{\"genomicAlleleShortForm\":"
             "\"NM_004006.2:c.4375C>T\",\"assemblyId\":\"GRCh38\"}},\"filters\":[{\"id\":\"a\","
             "\"operator\":\"<=\",\"value\":\"5\"}]}}");
    expect_summary(&r, "{\"apiVersion\":\"v2.1.1\",\"filters\":[\"a<=5\"],"
                       "\"includeResultsetResponses\":\"HIT\",\"pagination\":{\"limit\":10,"
                       "\"skip\":0},\"requestParameters\":{\"g_variant\":{\"assemblyId\":"
                       "\"GRCh38\",\"genomicAlleleShortForm\":\"NM_004006.2:c.4375C>T\"}},"
                       "\"requestedGranularity\":\"boolean\",\"requestedSchemas\":[{\"entityType\":"
                       "\"genomicVariation\"}],\"testMode\":false}");
    beacon_req_free(&r);
}

static void t_free(void)
{
    struct beacon_req r;
    beacon_req_free(NULL);
    /* After a failure the struct is empty and freeing it again is harmless. */
    const char *bad = "{\"query\":{\"filters\":[\"a\",\"b\",7]}}";
    ASSERT_EQ_INT(beacon_req_parse("POST", "/g_variants", NULL, bad, strlen(bad), &r, NULL),
                  GN_EINVAL);
    ASSERT_EQ_INT(r.n_filters, 0);
    beacon_req_free(&r);
    /* A body that is not NUL-terminated: only body_len bytes are read. */
    parse_ok(&r, "GET", "/info", NULL, NULL);
    beacon_req_free(&r);
    ASSERT_EQ_INT(beacon_req_parse("POST", "/info", NULL, "{}GARBAGE", 2, &r, NULL), GN_OK);
    beacon_req_free(&r);
}

const struct test_case test_beacon_req_cases[] = {
    {"beacon_req_gdi_requests", t_gdi_requests},
    {"beacon_req_spec_doc_requests", t_spec_doc_requests},
    {"beacon_req_get_forms", t_get_forms},
    {"beacon_req_get_and_post", t_get_and_post},
    {"beacon_req_routing", t_routing},
    {"beacon_req_classify", t_classify},
    {"beacon_req_filters", t_filters},
    {"beacon_req_options", t_options},
    {"beacon_req_errors", t_errors},
    {"beacon_req_http_status", t_http_status},
    {"beacon_req_variant_reset", t_variant_reset},
    {"beacon_req_warnings", t_warnings},
    {"beacon_req_summary", t_summary},
    {"beacon_req_free", t_free},
    {NULL, NULL},
};
