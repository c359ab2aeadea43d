/*
 * pgx_outside.c — the outside-call TSV parser.
 *
 * One pass over the bytes with a cursor: each line is cut at '\n' (a trailing '\r' is
 * dropped), then into at most four fields at tabs, each copied into a fixed-size field of
 * the result after its checks, so nothing is allocated and nothing reads past len.
 */
#include "pgx_outside.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

/* A field: [b, e). */
struct span {
    const char *b, *e;
};

static int copy_field(char *dst, struct span s, uint32_t line, const char *what, struct gn_err *err)
{
    size_t n = (size_t)(s.e - s.b);
    if (n >= PGX_OUTSIDE_FIELD)
        return gn_errf(err, GN_ELIMIT, "line %u: %s longer than %u bytes", line, what,
                       PGX_OUTSIDE_FIELD - 1);
    memcpy(dst, s.b, n);
    dst[n] = 0;
    return GN_OK;
}

/* HGNC-like: letters, digits, '-', starting with a letter ("CYP2D6", "HLA-B", "MT-RNR1"). */
static int gene_symbol_ok(struct span s)
{
    if (s.e == s.b || !((*s.b >= 'A' && *s.b <= 'Z') || (*s.b >= 'a' && *s.b <= 'z'))) return 0;
    for (const char *c = s.b; c < s.e; c++) {
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_'))
            return 0;
    }
    return 1;
}

/* "2.25" → 225; -1 unless digits with an optional point and at most two decimals. */
static int score_x100(struct span s)
{
    int v = 0, frac = 0, nd = 0, digits = 0;
    const char *c = s.b;
    for (; c < s.e && *c >= '0' && *c <= '9'; c++, digits++) {
        if (v > 100000) return -1;
        v = v * 10 + (*c - '0');
    }
    if (c < s.e && *c == '.') {
        for (c++; c < s.e && *c >= '0' && *c <= '9'; c++, nd++) {
            if (nd == 2) return -1;
            frac = frac * 10 + (*c - '0');
        }
    }
    if (c != s.e || !digits) return -1;
    return v * 100 + (nd == 1 ? frac * 10 : frac);
}

static struct span trim(struct span s)
{
    while (s.b < s.e && (*s.b == ' '))
        s.b++;
    while (s.e > s.b && (s.e[-1] == ' '))
        s.e--;
    return s;
}

static int parse_diplotype(struct pgx_outside_call *c, struct span s, struct gn_err *err)
{
    const char *slash = memchr(s.b, '/', (size_t)(s.e - s.b));
    struct span a = {s.b, slash ? slash : s.e}, b = {slash ? slash + 1 : s.e, s.e};
    int rc;
    if (slash && memchr(slash + 1, '/', (size_t)(s.e - slash - 1)))
        return gn_errf(err, GN_EPARSE, "line %u: diplotype '%.*s' has more than two alleles",
                       c->line, (int)(s.e - s.b), s.b);
    a = trim(a);
    b = trim(b);
    if (a.b == a.e || (slash && b.b == b.e))
        return gn_errf(err, GN_EPARSE, "line %u: diplotype '%.*s' has an empty allele", c->line,
                       (int)(s.e - s.b), s.b);
    if ((rc = copy_field(c->diplotype, s, c->line, "diplotype", err)) < 0) return rc;
    if ((rc = copy_field(c->hap[0], a, c->line, "allele", err)) < 0) return rc;
    return slash ? copy_field(c->hap[1], b, c->line, "allele", err) : GN_OK;
}

static int parse_line(struct span l, uint32_t line, struct pgx_outside *out, struct gn_err *err)
{
    struct span f[4];
    int nf = 0, rc;
    const char *c = l.b;
    struct pgx_outside_call *call;
    for (const char *x = l.b; x < l.e; x++) {
        if ((unsigned char)*x < 0x20 && *x != '\t')
            return gn_errf(err, GN_EPARSE, "line %u: control byte 0x%02x", line,
                           (unsigned)(unsigned char)*x);
    }
    while (1) {
        const char *tab = memchr(c, '\t', (size_t)(l.e - c));
        if (nf == 4)
            return gn_errf(err, GN_EPARSE, "line %u: more than 4 tab-separated fields", line);
        f[nf].b = c;
        f[nf].e = tab ? tab : l.e;
        f[nf] = trim(f[nf]);
        nf++;
        if (!tab) break;
        c = tab + 1;
    }
    while (nf < 4)
        f[nf++] = (struct span){l.e, l.e};
    if (!gene_symbol_ok(f[0]))
        return gn_errf(err, GN_EPARSE, "line %u: '%.*s' is not a gene symbol", line,
                       (int)(f[0].e - f[0].b > 40 ? 40 : f[0].e - f[0].b), f[0].b);
    if (f[1].b == f[1].e && f[2].b == f[2].e && f[3].b == f[3].e)
        return gn_errf(err, GN_EPARSE,
                       "line %u: %.*s has no diplotype, phenotype or activity score", line,
                       (int)(f[0].e - f[0].b), f[0].b);
    if (out->n == PGX_OUTSIDE_MAX_CALLS)
        return gn_errf(err, GN_ELIMIT, "line %u: more than %u calls", line, PGX_OUTSIDE_MAX_CALLS);
    call = &out->calls[out->n];
    memset(call, 0, sizeof *call);
    call->line = line;
    if ((rc = copy_field(call->gene, f[0], line, "gene", err)) < 0) return rc;
    if (pgx_outside_find(out, call->gene))
        return gn_errf(err, GN_EPARSE, "line %u: %s is given twice", line, call->gene);
    if (f[1].b != f[1].e && (rc = parse_diplotype(call, f[1], err)) < 0) return rc;
    if ((rc = copy_field(call->phenotype, f[2], line, "phenotype", err)) < 0) return rc;
    if (f[3].b != f[3].e) {
        if ((call->activity_x100 = score_x100(f[3])) < 0)
            return gn_errf(err, GN_EPARSE, "line %u: activity score '%.*s' is not a number", line,
                           (int)(f[3].e - f[3].b > 40 ? 40 : f[3].e - f[3].b), f[3].b);
        call->has_activity = 1;
    }
    out->n++;
    return GN_OK;
}

int pgx_outside_parse(const char *p, size_t len, struct pgx_outside *out, struct gn_err *err)
{
    const char *end = p + len;
    uint32_t line = 0;
    int rc;
    out->n = 0;
    if (len > PGX_OUTSIDE_MAX_BYTES)
        return gn_errf(err, GN_ELIMIT, "larger than %u bytes", PGX_OUTSIDE_MAX_BYTES);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        struct span l = {p, nl ? nl : end};
        line++;
        p = nl ? nl + 1 : end;
        if (l.e > l.b && l.e[-1] == '\r') l.e--;
        if (l.b == l.e || *l.b == '#') continue;
        if ((rc = parse_line(l, line, out, err)) < 0) return rc;
    }
    return GN_OK;
}

int pgx_outside_load(const char *path, struct pgx_outside *out, struct gn_err *err)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t len;
    int rc;
    out->n = 0;
    if (!f) return gn_errf(err, gn_err_from_errno(errno), "%s: %s", path, strerror(errno));
    if (!(buf = gn_malloc(PGX_OUTSIDE_MAX_BYTES + 1))) {
        fclose(f);
        return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    len = fread(buf, 1, PGX_OUTSIDE_MAX_BYTES + 1, f);
    rc = ferror(f) ? gn_errf(err, GN_EIO, "read error") : pgx_outside_parse(buf, len, out, err);
    fclose(f);
    gn_free(buf);
    return rc < 0 ? gn_err_prefix(err, rc, "%s", path) : GN_OK;
}

const struct pgx_outside_call *pgx_outside_find(const struct pgx_outside *o, const char *gene)
{
    for (uint32_t i = 0; i < o->n; i++) {
        if (!strcmp(o->calls[i].gene, gene)) return &o->calls[i];
    }
    return NULL;
}
