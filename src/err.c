/*
 * err.c — status-code table lookups and the fixed-buffer error detail.
 *
 * The table itself lives in err.h (GN_ERR_MAP); this file only expands it into lookup
 * switches. gn_errf() formats into the caller's buffer with vsnprintf, which truncates
 * safely: error paths never allocate.
 */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int gn_errf(struct gn_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        /* Truncation is acceptable: the message is for people and stays bounded. */
        (void)vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int gn_err_prefix(struct gn_err *err, int code, const char *fmt, ...)
{
    char head[GN_ERR_MSG_MAX], old[GN_ERR_MSG_MAX];
    va_list ap;

    if (!err) return code;
    va_start(ap, fmt);
    (void)vsnprintf(head, sizeof head, fmt, ap); /* cut like the message itself */
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is acceptable here: the message is for people and stays bounded. */
    size_t hn = strnlen(head, sizeof head - 1);
    memcpy(err->msg, head, hn);
    size_t pos = hn;
    if (pos + 2 < sizeof err->msg) {
        err->msg[pos++] = ':';
        err->msg[pos++] = ' ';
    }
    size_t on = strnlen(old, sizeof old - 1);
    if (on > sizeof err->msg - 1 - pos) on = sizeof err->msg - 1 - pos;
    memcpy(err->msg + pos, old, on);
    err->msg[pos + on] = '\0';
    if (err->code == GN_OK) err->code = code;
    return err->code;
}

int gn_err_from_errno(int e)
{
    switch (e) {
    case ENOMEM:
        return GN_ENOMEM;
    case ENOENT:
        return GN_ENOTFOUND;
    case EEXIST:
        return GN_EEXIST;
    case EINVAL:
        return GN_EINVAL;
    case EWOULDBLOCK:
        return GN_EBUSY;
    default:
        return GN_EIO;
    }
}

const char *gn_strerror(int code)
{
    switch (code) {
#define GN__MSG(name, val, http, msg)                                                              \
    case (val):                                                                                    \
        return (msg);
        GN_ERR_MAP(GN__MSG)
#undef GN__MSG
    }
    return "unknown error";
}

const char *gn_err_name(int code)
{
    switch (code) {
#define GN__NAME(name, val, http, msg)                                                             \
    case (val):                                                                                    \
        return #name;
        GN_ERR_MAP(GN__NAME)
#undef GN__NAME
    }
    return "EUNKNOWN";
}

int gn_err_http_status(int code)
{
    /* A table rather than a switch: several codes share a status, and a switch would have
     * identical neighbouring branches. */
    static const struct {
        int code, http;
    } map[] = {
#define GN__HTTP(name, val, http, msg) {(val), (http)},
        GN_ERR_MAP(GN__HTTP)
#undef GN__HTTP
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (map[i].code == code) return map[i].http;
    }
    return 500;
}
