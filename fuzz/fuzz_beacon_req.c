/*
 * fuzz_beacon_req.c — the Beacon v2 request parser on arbitrary bytes, read as a tiny HTTP
 * request: the first line is "METHOD PATH[?QUERY]" and everything after the first '\n' is
 * the body. A parsed request is also rendered as a receivedRequestSummary, so the summary
 * builder sees every shape the parser accepts.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "beacon_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    size_t line = nl ? (size_t)(nl - s) : size;
    const char *body = nl ? nl + 1 : NULL;
    size_t body_len = nl ? size - line - 1 : 0;
    char *head = gn_strndup(s, line); /* NUL-terminated method and path */
    char *sp;
    struct beacon_req r;
    struct gn_err err = GN_ERR_INIT;

    if (!head) return 0;
    sp = strchr(head, ' ');
    if (sp) *sp = 0;
    if (beacon_req_parse(head, sp ? sp + 1 : "", NULL, body, body_len, &r, &err) == GN_OK) {
        json_t *j = beacon_req_summary(&r);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        free(text); /* allocated by jansson */
        json_decref(j);
        beacon_req_free(&r);
    }
    gn_free(head);
    return 0;
}
