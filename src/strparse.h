/*
 * strparse.h — bounded, typed parsers for untrusted text.
 *
 * Every parser takes a cursor and an end pointer, never relies on a NUL terminator,
 * and advances the cursor only on success. Spans returned point into the caller's
 * bytes (borrowed). This replaces atoi/strtol/sscanf everywhere in src/.
 *
 * Thread safety: pure functions.
 */
#ifndef GN_STRPARSE_H
#define GN_STRPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct strparse_span {
    const char *p;
    size_t n;
};

/* Decimal integers; optional leading '-' for i64, commas not allowed. GN_EPARSE on no
 * digits or overflow. */
GN_MUST_CHECK int strparse_i64(const char **p, const char *end, int64_t *out);
GN_MUST_CHECK int strparse_u64(const char **p, const char *end, uint64_t *out);
/* Whole-string variants: the entire [s, s+n) must be the number. */
GN_MUST_CHECK int strparse_i64_all(const char *s, size_t n, int64_t *out);

/* Genomic region "CHROM", "CHROM:POS" or "CHROM:START-END" (1-based, inclusive;
 * thousands separators ',' accepted in positions as in samtools). Missing START is 1,
 * missing END is INT64_MAX. GN_EPARSE when malformed or START > END or START < 1. */
struct strparse_region {
    struct strparse_span chrom;
    int64_t start;
    int64_t end;
};
GN_MUST_CHECK int strparse_region(const char *s, size_t n, struct strparse_region *r);

/* Variant "CHROM:POS:REF:ALT" (also '-' as separator between POS, REF, ALT, as gnomAD
 * writes it). REF and ALT must be non-empty and made of ACGTN (any case) or be the
 * symbolic '*'. */
struct strparse_variant {
    struct strparse_span chrom;
    int64_t pos;
    struct strparse_span ref;
    struct strparse_span alt;
};
GN_MUST_CHECK int strparse_variant(const char *s, size_t n, struct strparse_variant *v);

/* Calendar date "YYYY-MM-DD": exactly 10 bytes, digits where the form has them, a month
 * 01-12 and a day that exists in that month (29 February in Gregorian leap years only),
 * year 0001-9999. Such dates compare as strings in date order. GN_EPARSE otherwise. */
GN_MUST_CHECK int strparse_date(const char *s, size_t n);

/* Writes a printable rendering of the n bytes at p, at most 40 of them followed by "..."
 * when longer, into out (NUL-terminated) and returns out. For error messages and warnings
 * that quote untrusted input: they reach terminals, logs and HTTP responses, so control
 * bytes and partial UTF-8 become '?', which keeps positions visible. */
#define STRPARSE_QUOTE_MAX 48
const char *strparse_quote(char out[STRPARSE_QUOTE_MAX], const char *p, size_t n);

/* Length (1-4) of the well-formed UTF-8 character at the start of the n bytes at p (no
 * overlong forms, surrogates or code points past U+10FFFF), or 0 when there is none. */
size_t strparse_utf8_char(const char *p, size_t n);
/* 1 when the n bytes at p are well-formed UTF-8 (a NUL byte counts as a character), else 0. */
int strparse_utf8_valid(const char *p, size_t n);

/* Writes the n bytes at p into out (cap bytes, NUL included; cap >= 4) as well-formed UTF-8
 * text for a message, a warning or an audit entry: each byte that does not belong to a
 * well-formed character becomes '?', and text that does not fit is cut at a character
 * boundary and ends in "...", so a cut never splits a character (JSON encoders refuse
 * such text). Quoting user text with "%.64s" instead is how a long non-ASCII value used to
 * turn a 400 into a failed response. Returns out. */
const char *strparse_utf8_cut(char *out, size_t cap, const char *p, size_t n);

#endif
