/*
 * test_beacon.c — beacon_handle end to end without a socket, over a node made in the test's
 * temporary directory (empty store, SQLite catalog): what the handler does with the memory a
 * request makes it allocate. The answers themselves are checked over HTTP by
 * tests/cli/beacon*.sh.
 */
#include <malloc.h>
#include <stdlib.h>

#include "alloc.h"
#include "beacon.h"
#include "gtstore.h"
#include "node.h"
#include "test.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

struct fixture {
    struct catalog *c;
    struct pseudonym key;
    struct gtsnap *snap;
    struct beacon *b;
    struct policy_budget *budget;
};

static void fixture_open(struct fixture *fx)
{
    char dir[300], target[4096], keyp[4096];
    struct gn_err err = GN_ERR_INIT;
    (void)unsetenv("GENOMENODE_CATALOG");
    (void)unsetenv("GENOMENODE_KEY");
    (void)snprintf(dir, sizeof dir, "%s/node", test_tmpdir());
    if (node_init(dir, CONTIG_BUILD_GRCH37, NULL, &err) < 0) TEST_FAIL_("node_init: %s", err.msg);
    ASSERT_OK(node_catalog_target(target, sizeof target, dir));
    ASSERT_OK(node_key_path(keyp, sizeof keyp, dir));
    if (catalog_open(&fx->c, target, &err) < 0 || pseudonym_load(&fx->key, keyp, &err) < 0 ||
        gtsnap_open(&fx->snap, dir, &err) < 0)
        TEST_FAIL_("cannot open the node: %s", err.msg);
    ASSERT_OK(beacon_new(&fx->b));
    ASSERT_OK(policy_budget_new(&fx->budget));
}

static void fixture_close(struct fixture *fx)
{
    beacon_free(fx->b);
    policy_budget_free(fx->budget);
    gtsnap_free(fx->snap);
    catalog_close(fx->c);
}

/* One anonymous request; returns the HTTP status. */
static int request(struct fixture *fx, const char *method, const char *path, const char *body)
{
    struct policy_caller anon = {"anonymous", "anonymous", 0, NULL};
    struct beacon_call call = {0};
    char *out = NULL;
    size_t len = 0;
    int status = 0;
    call.who = &anon;
    call.client = "anonymous@unit";
    call.method = method;
    call.path = path;
    call.body = body;
    call.body_len = body ? strlen(body) : 0;
    ASSERT_OK(
        beacon_handle(fx->b, fx->c, &fx->key, fx->snap, fx->budget, &call, &out, &len, &status));
    gn_free(out);
    return status;
}

/* Bytes the C library's allocator has handed out and not had back (0 under ASan, whose
 * allocator glibc does not see: LSan checks there instead). */
static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks;
}

/* /g_variants/{id} replaces the request's variant parameters with the path's: the strings
 * the parser made for them (here 2 x 60,000 bases) must be released, not overwritten. */
static void t_variant_id_no_leak(void)
{
    struct fixture fx = {0};
    size_t n = 60000, before, after;
    char *body = gn_malloc(2 * n + 256);
    int k;
    ASSERT_TRUE(body != NULL);
    k = snprintf(body, 256,
                 "{\"query\":{\"requestParameters\":{\"referenceName\":\"20\",\"start\":[99],"
                 "\"assemblyId\":\"GRCh37\",\"referenceBases\":\"");
    memset(body + k, 'A', n);
    k += (int)n;
    k += snprintf(body + k, 64, "\",\"alternateBases\":\"");
    memset(body + k, 'C', n);
    k += (int)n;
    (void)snprintf(body + k, 64, "\"}}}");
    fixture_open(&fx);
    for (int i = 0; i < 3; i++) /* caches, the people table, SQLite's pages: warmed up */
        ASSERT_EQ_INT(request(&fx, "POST", "/api/g_variants/20:100:A:G", body), 200);
    before = heap_in_use();
    for (int i = 0; i < 10; i++)
        ASSERT_EQ_INT(request(&fx, "POST", "/api/g_variants/20:100:A:G", body), 200);
    after = heap_in_use();
    if (after > before + 256 * 1024)
        TEST_FAIL_("10 requests kept %zu bytes (about 120 KB each: the bases were leaked)",
                   after - before);
    fixture_close(&fx);
    gn_free(body);
#if defined(__SANITIZE_ADDRESS__)
    ASSERT_EQ_INT(__lsan_do_recoverable_leak_check(), 0);
#endif
}

const struct test_case test_beacon_cases[] = {
    {"beacon_variant_id_no_leak", t_variant_id_no_leak},
    {NULL, NULL},
};
