/*
 * generegion.c — gene regions from BED, and one sample's rare alleles in them.
 */
#include "generegion.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "fsutil.h"
#include "gtrec.h"
#include "query.h"
#include "strparse.h"

#define MAX_COORD ((int64_t)1 << 40)

void generegion_free(struct generegion_set *s)
{
    if (!s) return;
    gn_free(s->r);
    gn_free(s->str);
    gn_free(s);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Field k of line [p, e) split on tabs (spaces tolerated); at most max fields. */
static unsigned split(const char *p, const char *e, struct strparse_span *f, unsigned max)
{
    unsigned k = 0;
    while (p < e && k < max) {
        while (p < e && is_space(*p))
            p++;
        if (p == e) break;
        f[k].p = p;
        while (p < e && !is_space(*p))
            p++;
        f[k].n = (size_t)(p - f[k].p);
        k++;
    }
    return k;
}

static int starts(const char *p, size_t n, const char *w)
{
    size_t k = strlen(w);
    return n >= k && !memcmp(p, w, k) && (n == k || is_space(p[k]));
}

int generegion_parse(const char *text, size_t n, const char *name, enum contig_build b,
                     struct generegion_set **out, struct gn_err *err)
{
    struct generegion_set *s = NULL;
    size_t lines = 1, cap, used = 0;
    uint32_t line = 0;
    char q[STRPARSE_QUOTE_MAX];
    int rc;
    *out = NULL;
    for (size_t i = 0; i < n; i++)
        lines += text[i] == '\n';
    if (lines > GENEREGION_MAX_ROWS + 1000u)
        return gn_errf(err, GN_ELIMIT, "%s: more than %u lines", name, GENEREGION_MAX_ROWS);
    cap = n + 8 * lines + 1; /* strings: a normalised contig name grows by at most "chr" */
    if (!(s = gn_calloc(1, sizeof *s)) || !(s->r = gn_calloc(lines, sizeof *s->r)) ||
        !(s->str = gn_malloc(cap))) {
        generegion_free(s);
        return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    for (const char *p = text, *end = text + n; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
        struct strparse_span f[4];
        char chrom[CONTIG_NAME_MAX + 1];
        int64_t st, en;
        size_t cl;
        line++;
        if (e > p && e[-1] == '\r') e--;
        const char *l = p;
        p = nl ? nl + 1 : end;
        while (l < e && is_space(*l))
            l++;
        if (l == e || *l == '#' || starts(l, (size_t)(e - l), "track") ||
            starts(l, (size_t)(e - l), "browser"))
            continue;
        if (split(l, e, f, 4) < 4) {
            rc = gn_errf(err, GN_EPARSE,
                         "%s:%u: expected chrom, start, end and gene symbol (BED), got %s", name,
                         line, strparse_quote(q, l, (size_t)(e - l)));
            goto fail;
        }
        if (f[0].n > CONTIG_NAME_MAX || contig_normalise(b, f[0].p, f[0].n, chrom) == GN_EINVAL) {
            rc = gn_errf(err, GN_EPARSE, "%s:%u: bad contig name %s", name, line,
                         strparse_quote(q, f[0].p, f[0].n));
            goto fail;
        }
        if (strparse_i64_all(f[1].p, f[1].n, &st) < 0 || st < 0 || st >= MAX_COORD) {
            rc = gn_errf(err, GN_EPARSE, "%s:%u: bad start %s (a 0-based position)", name, line,
                         strparse_quote(q, f[1].p, f[1].n));
            goto fail;
        }
        if (strparse_i64_all(f[2].p, f[2].n, &en) < 0 || en > MAX_COORD) {
            rc = gn_errf(err, GN_EPARSE, "%s:%u: bad end %s", name, line,
                         strparse_quote(q, f[2].p, f[2].n));
            goto fail;
        }
        if (en <= st) {
            rc = gn_errf(err, GN_EPARSE, "%s:%u: end %lld is not after start %lld", name, line,
                         (long long)en, (long long)st);
            goto fail;
        }
        if (f[3].n > GENEREGION_MAX_SYMBOL) {
            rc = gn_errf(err, GN_EPARSE, "%s:%u: gene symbol %s longer than %u bytes", name, line,
                         strparse_quote(q, f[3].p, f[3].n), GENEREGION_MAX_SYMBOL);
            goto fail;
        }
        for (size_t i = 0; i < f[3].n; i++) {
            unsigned char c = (unsigned char)f[3].p[i];
            if (c < 0x21 || c > 0x7e || c == ',' || c == ';') {
                rc = gn_errf(err, GN_EPARSE, "%s:%u: bad gene symbol %s", name, line,
                             strparse_quote(q, f[3].p, f[3].n));
                goto fail;
            }
        }
        cl = strlen(chrom);
        if (used + cl + f[3].n + 2 > cap) {
            rc = gn_errf(err, GN_EINTERNAL, "%s:%u: string storage", name, line);
            goto fail;
        }
        struct generegion *r = &s->r[s->n++];
        memcpy(s->str + used, chrom, cl + 1);
        r->chrom = (const char *)(uintptr_t)used; /* offsets until the storage is final */
        used += cl + 1;
        memcpy(s->str + used, f[3].p, f[3].n);
        s->str[used + f[3].n] = '\0';
        r->gene = (const char *)(uintptr_t)used;
        used += f[3].n + 1;
        r->start = st;
        r->end = en;
        r->line = line;
        if (s->n > GENEREGION_MAX_ROWS) {
            rc = gn_errf(err, GN_ELIMIT, "%s: more than %u regions", name, GENEREGION_MAX_ROWS);
            goto fail;
        }
    }
    for (uint32_t i = 0; i < s->n; i++) {
        s->r[i].chrom = s->str + (uintptr_t)s->r[i].chrom;
        s->r[i].gene = s->str + (uintptr_t)s->r[i].gene;
    }
    if (s->n == 0) {
        rc = gn_errf(err, GN_EPARSE, "%s: no region", name);
        goto fail;
    }
    *out = s;
    return GN_OK;
fail:
    generegion_free(s);
    return rc;
}

int generegion_load(const char *path, enum contig_build b, struct generegion_set **out,
                    struct gn_err *err)
{
    uint8_t *data = NULL;
    size_t n = 0;
    int rc = fsutil_read_all(path, GENEREGION_MAX_BYTES, &data, &n, err);
    *out = NULL;
    if (rc < 0) return rc; /* the message names the file */
    rc = generegion_parse((const char *)data, n, path, b, out, err);
    gn_free(data);
    return rc;
}

static void genotype_text(const struct gtrec *r, char *out, size_t cap)
{
    int16_t a0 = r->al[0], a1 = r->al[1];
    char x[8], y[8];
    (void)snprintf(x, sizeof x, "%d", a0);
    (void)snprintf(y, sizeof y, "%d", a1);
    if (a1 == GTREC_NONE)
        (void)snprintf(out, cap, "%s", a0 == GTREC_MISSING ? "." : x);
    else
        (void)snprintf(out, cap, "%s%c%s", a0 == GTREC_MISSING ? "." : x, r->phased[0] ? '|' : '/',
                       a1 == GTREC_MISSING ? "." : y);
}

int generegion_sample_scan(const struct gtsnap *snap, const struct generegion_set *s, uint32_t gid,
                           double max_af, int (*hit)(void *ctx, const struct generegion_hit *h),
                           void *ctx, uint64_t *n_records, struct gn_err *err)
{
    struct gtmerge *m = NULL;
    struct gtrec r;
    uint32_t reported = 0;
    int rc = GN_OK;
    *n_records = 0;
    gtrec_init(&r);
    for (uint32_t i = 0; i < s->n && rc >= 0; i++) {
        const struct generegion *g = &s->r[i];
        int64_t c = gtstore_manifest_contig(&snap->man, g->chrom);
        if (c < 0) continue;
        if ((rc = gtmerge_new(snap, (uint32_t)c, g->start + 1, g->end, &gid, 1, &m, err)) < 0)
            break;
        while ((rc = gtmerge_next(m, &r, err)) == 1) {
            int16_t al[2] = {r.al[0], r.al[1] == GTREC_NONE ? GTREC_MISSING : r.al[1]};
            char gt[48];
            if (r.pos <= g->start || r.pos > g->end) continue;
            if (al[0] < 1 && al[1] < 1) continue;
            (*n_records)++;
            genotype_text(&r, gt, sizeof gt);
            for (int k = 0; k < 2; k++) {
                struct query_row row;
                int found = 0;
                if (al[k] < 1 || (uint32_t)al[k] > r.n_alt || (k == 1 && al[1] == al[0])) continue;
                memset(&row, 0, sizeof row);
                if ((rc = query_count(snap, (uint32_t)c, r.pos, r.ref, r.alt[al[k] - 1], NULL, &row,
                                      &found, err)) < 0)
                    goto out;
                if (!found || row.an == 0 || (double)row.ac / row.an >= max_af) continue;
                if (++reported > GENEREGION_MAX_VARIANT) {
                    rc = gn_errf(err, GN_ELIMIT,
                                 "more than %u rare alleles in the gene regions; narrow the "
                                 "regions or lower --max-af",
                                 GENEREGION_MAX_VARIANT);
                    goto out;
                }
                struct generegion_hit h = {
                    g->gene, g->chrom,         r.pos,
                    r.ref,   r.alt[al[k] - 1], gt,
                    row.ac,  row.an,           (uint32_t)(al[0] == al[k]) + (al[1] == al[k])};
                if ((rc = hit(ctx, &h)) != 0) goto out;
            }
        }
        gtmerge_free(m);
        m = NULL;
    }
out:
    gtmerge_free(m);
    gtrec_free(&r);
    return rc < 0 ? rc : rc > 0 ? rc : GN_OK;
}
