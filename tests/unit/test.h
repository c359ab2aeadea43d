/*
 * test.h — a small unit-test harness: typed assertions that print both sides, a test
 * table per module, and a runner (main.c) that forks each test with a timeout.
 */
#ifndef GN_TEST_H
#define GN_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
    const char *name;
    void (*fn)(void);
};

#define TEST_FAIL_(...)                                                                            \
    do {                                                                                           \
        fprintf(stderr, "    %s:%d: ", __FILE__, __LINE__);                                        \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        exit(1);                                                                                   \
    } while (0)

#define ASSERT_TRUE(c)                                                                             \
    do {                                                                                           \
        if (!(c)) TEST_FAIL_("expected true: %s", #c);                                             \
    } while (0)
#define ASSERT_EQ_INT(a, b)                                                                        \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) TEST_FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_);                        \
    } while (0)
#define ASSERT_EQ_STR(a, b)                                                                        \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (strcmp(a_, b_)) TEST_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, a_, b_);              \
    } while (0)
#define ASSERT_OK(expr)                                                                            \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ < 0) TEST_FAIL_("%s failed: %d", #expr, rc_);                                      \
    } while (0)

/* Each test file exports a table ending with {NULL, NULL}. */
extern const struct test_case test_strparse_cases[];
extern const struct test_case test_buf_cases[];
extern const struct test_case test_segment_cases[];
extern const struct test_case test_gtstore_cases[];
extern const struct test_case test_misc_cases[];
extern const struct test_case test_duo_cases[];
extern const struct test_case test_natid_cases[];
extern const struct test_case test_samplesheet_cases[];
extern const struct test_case test_passport_cases[];
extern const struct test_case test_beacon_req_cases[];
extern const struct test_case test_beacon_cases[];
extern const struct test_case test_pgx_cases[];
extern const struct test_case test_hpo_cases[];
extern const struct test_case test_phenopacket_cases[];

/* A fresh temporary directory for the current test (created by the runner). */
const char *test_tmpdir(void);

#endif
