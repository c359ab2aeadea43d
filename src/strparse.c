/*
 * strparse.c — bounded parsers for numbers, regions and variant keys.
 *
 * Design: each parser works on [p, end) only. Overflow is detected before it happens
 * (v > (max - d) / 10). Region and variant grammars are deliberately small; anything
 * outside them is GN_EPARSE, never a guess.
 */
#include "strparse.h"

#include <stdint.h>
#include <string.h>

static int parse_digits(const char **p, const char *end, uint64_t max, uint64_t *out, int commas)
{
    const char *s = *p;
    uint64_t v = 0;
    int nd = 0;

    while (s < end && ((*s >= '0' && *s <= '9') || (commas && *s == ',' && nd))) {
        if (*s != ',') {
            unsigned d = (unsigned)(*s - '0');
            if (v > (max - d) / 10) return GN_EPARSE;
            v = v * 10 + d;
            nd++;
        }
        s++;
    }
    if (!nd) return GN_EPARSE;
    *p = s;
    *out = v;
    return GN_OK;
}

int strparse_u64(const char **p, const char *end, uint64_t *out)
{
    return parse_digits(p, end, UINT64_MAX, out, 0);
}

int strparse_i64(const char **p, const char *end, int64_t *out)
{
    const char *s = *p;
    int neg = 0;
    uint64_t v;

    if (s < end && *s == '-') {
        neg = 1;
        s++;
    }
    if (parse_digits(&s, end, neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX, &v, 0) < 0) {
        return GN_EPARSE;
    }
    *out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    *p = s;
    return GN_OK;
}

int strparse_i64_all(const char *s, size_t n, int64_t *out)
{
    const char *p = s, *end = s + n;
    if (strparse_i64(&p, end, out) < 0 || p != end) return GN_EPARSE;
    return GN_OK;
}

/* The value of the n decimal digits at s, or -1 when one is not a digit. */
static int digits_at(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int strparse_date(const char *s, size_t n)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    if (n != 10 || s[4] != '-' || s[7] != '-') return GN_EPARSE;
    y = digits_at(s, 4);
    m = digits_at(s + 5, 2);
    d = digits_at(s + 8, 2);
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return GN_EPARSE;
    if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return GN_EPARSE;
    return GN_OK;
}

/* Positions: 1-based, at most 2^40 (far beyond any contig), commas allowed. */
static int parse_pos(const char **p, const char *end, int64_t *out)
{
    uint64_t v;
    if (parse_digits(p, end, (uint64_t)1 << 40, &v, 1) < 0 || v < 1) return GN_EPARSE;
    *out = (int64_t)v;
    return GN_OK;
}

static int chrom_char_ok(char c)
{
    return c > ' ' && c < 127 && c != ':' && c != ',' && c != '"' && c != '\'' && c != '\\';
}

int strparse_region(const char *s, size_t n, struct strparse_region *r)
{
    const char *p = s, *end = s + n, *colon;

    colon = memchr(s, ':', n);
    r->chrom.p = s;
    r->chrom.n = colon ? (size_t)(colon - s) : n;
    if (r->chrom.n == 0 || r->chrom.n > 255) return GN_EPARSE;
    for (size_t i = 0; i < r->chrom.n; i++) {
        if (!chrom_char_ok(s[i])) return GN_EPARSE;
    }
    r->start = 1;
    r->end = INT64_MAX;
    if (!colon) return GN_OK;
    p = colon + 1;
    if (parse_pos(&p, end, &r->start) < 0) return GN_EPARSE;
    if (p == end) {
        r->end = r->start;
        return GN_OK;
    }
    if (*p++ != '-') return GN_EPARSE;
    if (p == end) return GN_OK; /* "chr:100-" means to the end */
    if (parse_pos(&p, end, &r->end) < 0 || p != end || r->end < r->start) return GN_EPARSE;
    return GN_OK;
}

static int allele_ok(const char *a, size_t n)
{
    if (n == 0 || n > 65535) return 0;
    if (n == 1 && a[0] == '*') return 1;
    for (size_t i = 0; i < n; i++) {
        if (!strchr("ACGTNacgtn", a[i]) || a[i] == '\0') return 0;
    }
    return 1;
}

int strparse_variant(const char *s, size_t n, struct strparse_variant *v)
{
    const char *end = s + n, *p, *sep;

    sep = memchr(s, ':', n);
    if (!sep || sep == s || sep - s > 255) return GN_EPARSE;
    v->chrom.p = s;
    v->chrom.n = (size_t)(sep - s);
    for (size_t i = 0; i < v->chrom.n; i++) {
        if (!chrom_char_ok(s[i])) return GN_EPARSE;
    }
    p = sep + 1;
    if (parse_pos(&p, end, &v->pos) < 0) return GN_EPARSE;
    if (p == end || (*p != ':' && *p != '-')) return GN_EPARSE;
    p++;
    v->ref.p = p;
    while (p < end && *p != ':' && *p != '-') {
        p++;
    }
    v->ref.n = (size_t)(p - v->ref.p);
    if (p == end) return GN_EPARSE;
    p++;
    v->alt.p = p;
    v->alt.n = (size_t)(end - p);
    if (!allele_ok(v->ref.p, v->ref.n) || !allele_ok(v->alt.p, v->alt.n)) return GN_EPARSE;
    return GN_OK;
}

const char *strparse_quote(char out[STRPARSE_QUOTE_MAX], const char *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < 40; i++) {
        unsigned char c = (unsigned char)p[i];
        out[k++] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
    }
    if (n > 40) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = 0;
    return out;
}

size_t strparse_utf8_char(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    unsigned c, lo = 0x80, hi = 0xbf;
    size_t k;
    if (n == 0) return 0;
    c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        k = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
        k = 2;
        lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlong form */
        hi = c == 0xed ? 0x9f : 0xbf; /* no surrogate */
    } else if (c >= 0xf0 && c <= 0xf4) {
        k = 3;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf; /* nothing past U+10FFFF */
    } else {
        return 0;
    }
    if (n <= k || s[1] < lo || s[1] > hi) return 0;
    for (size_t j = 2; j <= k; j++) {
        if (s[j] < 0x80 || s[j] > 0xbf) return 0;
    }
    return k + 1;
}

int strparse_utf8_valid(const char *p, size_t n)
{
    size_t i = 0, k;
    while (i < n) {
        if (!(k = strparse_utf8_char(p + i, n - i))) return 0;
        i += k;
    }
    return 1;
}

const char *strparse_utf8_cut(char *out, size_t cap, const char *p, size_t n)
{
    size_t i = 0, o = 0;
    int fits = n < cap; /* a replaced byte takes one byte: the text keeps its length */
    if (cap == 0) return out;
    while (i < n) {
        size_t k = strparse_utf8_char(p + i, n - i), w = k ? k : 1;
        /* When the text is cut, each character kept leaves room for "..." and the NUL. */
        if (!fits && o + w + 4 > cap) {
            if (cap >= 4) {
                memcpy(out + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (k)
            memcpy(out + o, p + i, k);
        else
            out[o] = '?';
        o += w;
        i += w;
    }
    out[o] = 0;
    return out;
}
