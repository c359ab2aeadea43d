/*
 * alloc.h — every heap allocation in genomenode goes through these wrappers.
 *
 * They add overflow-checked size arithmetic (gn_reallocarray), a single place to count
 * allocations, and fault injection: a build with -DGN_FAULT_INJECT fails the Nth
 * allocation when the environment variable GN_FAIL_ALLOC=N is set, so the torture pass
 * can prove every allocation failure is handled.
 *
 * Ownership: the returned pointers are owned by the caller and released with gn_free().
 * Thread safety: safe from any thread (the fault counter is atomic).
 */
#ifndef GN_ALLOC_H
#define GN_ALLOC_H

#include <stddef.h>

void *gn_malloc(size_t n);
void *gn_calloc(size_t nmemb, size_t size);
/* Resizes p to nmemb*size bytes; returns NULL on overflow or failure (p is left intact). */
void *gn_reallocarray(void *p, size_t nmemb, size_t size);
/* Returns an owned copy of the n bytes at s, NUL-terminated. */
char *gn_strndup(const char *s, size_t n);
char *gn_strdup(const char *s);
void gn_free(void *p);

#endif
