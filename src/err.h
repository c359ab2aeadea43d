/*
 * err.h — the one table of status codes, and the caller-owned error detail.
 *
 * Every fallible function in genomenode returns int: 0 (GN_OK) on success, a negative
 * GN_E* on failure. Positive values appear only where a function documents them as
 * counts. The codes, their names, messages and the HTTP status a server answers with
 * all come from the single X-macro GN_ERR_MAP, so they cannot drift apart.
 *
 * Details travel in a struct gn_err owned by the caller: a fixed buffer, so nothing is
 * allocated on an error path. Any function taking one accepts NULL.
 *
 * Includes nothing from the domain. Thread safety: all functions are reentrant.
 */
#ifndef GN_ERR_H
#define GN_ERR_H

#include <stddef.h>

#define GN_MUST_CHECK   __attribute__((warn_unused_result))
#define GN_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* X(name, value, http_status, message) */
#define GN_ERR_MAP(X)                                                                              \
    X(OK, 0, 200, "success")                                                                       \
    X(ENOMEM, -1, 503, "out of memory")                                                            \
    X(EIO, -2, 500, "input/output error")                                                          \
    X(EINVAL, -3, 400, "invalid argument")                                                         \
    X(EPARSE, -4, 400, "malformed input")                                                          \
    X(ENOTFOUND, -5, 404, "not found")                                                             \
    X(EEXIST, -6, 409, "already exists")                                                           \
    X(ECORRUPT, -7, 500, "data corruption detected")                                               \
    X(EBUSY, -8, 409, "resource busy (locked by another writer)")                                  \
    X(EFORMAT, -9, 500, "unsupported on-disk format version")                                      \
    X(ELIMIT, -10, 400, "limit exceeded")                                                          \
    X(EDENIED, -11, 403, "access denied")                                                          \
    X(ECONFLICT, -12, 409, "conflicts with stored data")                                           \
    X(EUNSUPPORTED, -13, 501, "not supported")                                                     \
    X(EINTERNAL, -14, 500, "internal error")                                                       \
    X(ERATE, -15, 429, "query budget exhausted")                                                   \
    X(EPAYLOAD, -16, 413, "request body too large")                                                \
    X(EURI, -17, 414, "request URI too long")

enum gn_status {
#define GN__ENUM(name, val, http, msg) GN_##name = (val),
    GN_ERR_MAP(GN__ENUM)
#undef GN__ENUM
};

#define GN_ERR_MSG_MAX 512

/* Caller-owned error detail. Initialise with GN_ERR_INIT or zero it. */
struct gn_err {
    int code;                 /* the GN_E* last set, GN_OK when none */
    char msg[GN_ERR_MSG_MAX]; /* human-readable, names file/line/field where known */
};

#define GN_ERR_INIT                                                                                \
    {                                                                                              \
        0,                                                                                         \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/* Sets err (if non-NULL) to code and the formatted message; returns code. */
int gn_errf(struct gn_err *err, int code, const char *fmt, ...) GN_PRINTF(3, 4);

/* Prefixes the existing message with more context ("while ingesting x: ..."). Returns err->code
 * (or code when err is NULL). */
int gn_err_prefix(struct gn_err *err, int code, const char *fmt, ...) GN_PRINTF(3, 4);

/* Converts an errno value to a GN_E* code (EIO for most, ENOMEM, ENOENT → ENOTFOUND, ...). */
int gn_err_from_errno(int e);

/* Static strings for a code: its message, its short name ("EPARSE"), its HTTP status. */
const char *gn_strerror(int code);
const char *gn_err_name(int code);
int gn_err_http_status(int code);

#endif
