/*
 * alloc.c — allocation wrappers with overflow checks and optional fault injection.
 *
 * Under GN_FAULT_INJECT, GN_FAIL_ALLOC=N makes the Nth allocation (1-based) return
 * NULL. Only that one fails, so a test can walk N upwards and check that each failure
 * surfaces as GN_ENOMEM rather than a crash or a half-written store.
 */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef GN_FAULT_INJECT
#include <stdatomic.h>
static atomic_long alloc_count;
static long fail_at = -1;

static int should_fail(void)
{
    if (fail_at < 0) {
        const char *s = getenv("GN_FAIL_ALLOC");
        long v = 0;
        for (; s && *s >= '0' && *s <= '9'; s++)
            v = v * 10 + (*s - '0');
        fail_at = v;
    }
    return fail_at > 0 && atomic_fetch_add(&alloc_count, 1) + 1 == fail_at;
}
#else
static int should_fail(void)
{
    return 0;
}
#endif

void *gn_malloc(size_t n)
{
    if (should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *gn_calloc(size_t nmemb, size_t size)
{
    if (should_fail()) return NULL;
    return calloc(nmemb ? nmemb : 1, size ? size : 1);
}

void *gn_reallocarray(void *p, size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size) return NULL;
    if (should_fail()) return NULL;
    size_t n = nmemb * size;
    return realloc(p, n ? n : 1);
}

char *gn_strndup(const char *s, size_t n)
{
    char *d = gn_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *gn_strdup(const char *s)
{
    return gn_strndup(s, strlen(s));
}

void gn_free(void *p)
{
    free(p);
}
