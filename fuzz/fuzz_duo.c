/*
 * fuzz_duo.c — the DUO term-list parser and matcher on arbitrary bytes.
 *
 * The input is split at the first newline: the part before is parsed as data use terms,
 * the part after as purpose terms (and the whole input is parsed on both sides too).
 * When both parse, they are matched; every parsed list must also survive a canonical
 * round trip: formatting it and parsing the result gives the same canonical string.
 */
#include <stdlib.h>
#include <string.h>

#include "duo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A toy disease hierarchy: a CURIE descends from any CURIE that is a prefix of it. */
static int prefix_is_a(void *ctx, const char *child, const char *ancestor)
{
    (void)ctx;
    return strncmp(child, ancestor, strlen(ancestor)) == 0;
}

static void round_trip(const struct duo_list *l, enum duo_side side)
{
    char a[DUO_TEXT_MAX + 1], b[DUO_TEXT_MAX + 1];
    struct duo_list again;
    for (unsigned flags = 0; flags <= DUO_FMT_IDS; flags++) {
        size_t n = duo_list_format(l, flags, a, sizeof a);
        if (n > DUO_TEXT_MAX) continue; /* too long to parse back; not an error */
        if (duo_list_parse(&again, a, n, side, NULL) != GN_OK) abort();
        if (duo_list_format(&again, flags, b, sizeof b) != n || memcmp(a, b, n)) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct duo_disease_ops dis = {prefix_is_a, NULL};
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    size_t n1 = nl ? (size_t)(nl - s) : size;
    struct duo_list use, purpose, whole;
    struct duo_result res;
    struct gn_err err = GN_ERR_INIT;
    int ok_use, ok_purpose;

    if (duo_list_parse(&whole, s, size, DUO_SIDE_USE, &err) == GN_OK)
        round_trip(&whole, DUO_SIDE_USE);
    if (duo_list_parse(&whole, s, size, DUO_SIDE_PURPOSE, &err) == GN_OK)
        round_trip(&whole, DUO_SIDE_PURPOSE);
    (void)duo_term_find(s, size);

    ok_use = duo_list_parse(&use, s, n1, DUO_SIDE_USE, &err) == GN_OK;
    ok_purpose =
        nl && duo_list_parse(&purpose, nl + 1, size - n1 - 1, DUO_SIDE_PURPOSE, &err) == GN_OK;
    if (ok_use) round_trip(&use, DUO_SIDE_USE);
    if (ok_purpose) round_trip(&purpose, DUO_SIDE_PURPOSE);
    if (ok_use && ok_purpose) {
        enum duo_verdict v = duo_match(&use, &purpose, &dis, &res);
        if (v != res.verdict || strlen(res.reason) >= sizeof res.reason) abort();
        (void)duo_match(&use, &purpose, NULL, NULL);
    }
    return 0;
}
