/*
 * fuzz_pgx_http.c — the GET /pgx/{id} request parser on arbitrary bytes.
 *
 * A parse that succeeds must give what the handler relies on: a non-empty id without
 * control bytes, NUL-terminated within its bound, a drug that is empty or printable, and
 * a known format.
 */
#include <stdlib.h>
#include <string.h>

#include "pgx_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable(const char *s, size_t cap)
{
    const char *nul = memchr(s, 0, cap);
    if (!nul) abort();
    for (; s < nul; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pgx_http_req rq;
    struct gn_err err = GN_ERR_INIT;
    if (pgx_http_parse((const char *)data, size, &rq, &err) != GN_OK) {
        if (!err.msg[0]) abort();
        return 0;
    }
    if (!rq.id[0]) abort();
    printable(rq.id, sizeof rq.id);
    printable(rq.drug, sizeof rq.drug);
    if (rq.format != PGX_FORMAT_JSON && rq.format != PGX_FORMAT_TSV && rq.format != PGX_FORMAT_HTML)
        abort();
    return 0;
}
