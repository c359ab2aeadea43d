/*
 * hpo.c — the HPO index in memory and on disk: lookups, and the encoder/decoder of the
 * index file (docs/format/hpo-index.md).
 *
 * The file is a 24-byte header (magic "GNHPOIX\0", format version, CRC-32 of the
 * payload, payload length) and one payload of little-endian u32 arrays in a fixed order.
 * The decoder trusts nothing: every count is bounded by the bytes left, every string
 * offset must fall inside the blob (which must end in NUL), every term, disease and gene
 * index inside its table, every CSR offset list must start at 0 and never decrease, term
 * ids and disease/gene keys must be strictly increasing (lookups bisect them) and each
 * term's ancestor list must be increasing and contain the term itself (ranking relies on
 * it), and no term may count more diseases than there are, nor all terms together more
 * disease-term pairs than the annotations' ancestors hold (the ranker sizes its postings by
 * these counts and checks them exactly as it fills them). So a corrupted or hostile index
 * is an error, never an out-of-bounds read nor a huge allocation.
 *
 * Derived data (information content) is recomputed on load, not stored: it is one pass.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "alloc.h"
#include "fsutil.h"
#include "hpo.h"
#include "strparse.h"

static const uint8_t hpo_magic[8] = {'G', 'N', 'H', 'P', 'O', 'I', 'X', 0};
#define HDR_BYTES 24u

void hpo_free(struct hpo *h)
{
    if (!h) return;
    gn_free(h->strings);
    gn_free(h->term_id);
    gn_free(h->term_label);
    gn_free(h->term_flags);
    gn_free(h->term_repl);
    gn_free(h->term_ndis);
    gn_free(h->par_off);
    gn_free(h->par);
    gn_free(h->anc_off);
    gn_free(h->anc);
    gn_free(h->ic);
    gn_free(h->alt_id);
    gn_free(h->alt_term);
    gn_free(h->dis_id);
    gn_free(h->dis_label);
    gn_free(h->dt_off);
    gn_free(h->dt_term);
    gn_free(h->dt_freq);
    gn_free(h->dn_off);
    gn_free(h->dn_term);
    gn_free(h->dg_off);
    gn_free(h->dg_gene);
    gn_free(h->gene_ncbi);
    gn_free(h->gene_sym);
    gn_free(h->gt_off);
    gn_free(h->gt_term);
    gn_free(h->dis_onset);
    gn_free(h);
}

int hpo_parse_id(const char *s, size_t n, uint32_t *id, struct gn_err *err)
{
    const char *p = s, *end = s + n;
    const char *u = NULL;
    uint32_t v = 0;
    char q[STRPARSE_QUOTE_MAX];

    /* An OBO PURL (http://purl.obolibrary.org/obo/HP_0001250): keep the last segment. */
    for (const char *c = s; c < end; c++) {
        if (*c == '/') u = c + 1;
    }
    if (u) p = u;
    if (end - p < 4 || p[0] != 'H' || p[1] != 'P' || (p[2] != ':' && p[2] != '_')) goto bad;
    p += 3;
    if (end - p > 8) goto bad;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') goto bad;
        v = v * 10 + (uint32_t)(*p - '0');
    }
    *id = v;
    return GN_OK;
bad:
    return gn_errf(err, GN_EPARSE, "not an HPO id: '%s'", strparse_quote(q, s, n));
}

uint32_t hpo_term_index(const struct hpo *h, uint32_t id)
{
    uint32_t lo = 0, hi = h->n_terms;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (h->term_id[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < h->n_terms && h->term_id[lo] == id ? lo : HPO_NONE;
}

static uint32_t alt_index(const struct hpo *h, uint32_t id)
{
    uint32_t lo = 0, hi = h->n_alt;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (h->alt_id[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < h->n_alt && h->alt_id[lo] == id ? h->alt_term[lo] : HPO_NONE;
}

uint32_t hpo_resolve_id(const struct hpo *h, uint32_t id, enum hpo_resolved *how)
{
    uint32_t t = hpo_term_index(h, id);
    *how = HPO_RESOLVED_CURRENT;
    if (t == HPO_NONE) {
        if ((t = alt_index(h, id)) == HPO_NONE) return HPO_NONE;
        *how = HPO_RESOLVED_ALT;
    }
    /* Follow replaced_by (bounded: a chain longer than the table is a cycle). */
    for (uint32_t k = 0; h->term_flags[t] & HPO_TERM_OBSOLETE; k++) {
        if (h->term_repl[t] == HPO_NONE || k > h->n_terms) return HPO_NONE;
        t = h->term_repl[t];
        *how = HPO_RESOLVED_REPLACED;
    }
    return t;
}

int hpo_resolve(const struct hpo *h, const char *s, size_t n, enum hpo_resolved *how,
                struct gn_err *err)
{
    uint32_t id, t;
    int rc;
    char q[STRPARSE_QUOTE_MAX];

    *how = HPO_RESOLVED_CURRENT;
    if ((rc = hpo_parse_id(s, n, &id, err)) < 0) return rc;
    if ((t = hpo_resolve_id(h, id, how)) != HPO_NONE) return (int)t;
    if (hpo_term_index(h, id) != HPO_NONE || alt_index(h, id) != HPO_NONE)
        return gn_errf(err, GN_ENOTFOUND, "HPO term %s is obsolete with no replacement",
                       strparse_quote(q, s, n));
    return gn_errf(err, GN_ENOTFOUND, "unknown HPO term %s (HPO %s)", strparse_quote(q, s, n),
                   hpo_str(h, h->version));
}

const char *hpo_term_name(const struct hpo *h, uint32_t t, char buf[16])
{
    (void)snprintf(buf, 16, "HP:%07u", t < h->n_terms ? h->term_id[t] : 0u);
    return buf;
}

int hpo_is_ancestor(const struct hpo *h, uint32_t a, uint32_t t)
{
    uint32_t lo = h->anc_off[t], hi = h->anc_off[t + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (h->anc[mid] < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < h->anc_off[t + 1] && h->anc[lo] == a;
}

/* strcmp of the n bytes at s (no NUL needed) against the NUL-terminated k. */
static int keycmp(const char *s, size_t n, const char *k)
{
    size_t kl = strlen(k);
    int c = memcmp(s, k, n < kl ? n : kl);
    if (c) return c;
    return n < kl ? -1 : n > kl;
}

static uint32_t find_key(const struct hpo *h, const uint32_t *keys, uint32_t nk, const char *s,
                         size_t n)
{
    uint32_t lo = 0, hi = nk;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (keycmp(s, n, hpo_str(h, keys[mid])) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nk && keycmp(s, n, hpo_str(h, keys[lo])) == 0 ? lo : HPO_NONE;
}

uint32_t hpo_disease_index(const struct hpo *h, const char *s, size_t n)
{
    return find_key(h, h->dis_id, h->n_dis, s, n);
}

uint32_t hpo_gene_index(const struct hpo *h, const char *s, size_t n)
{
    uint64_t v = 0;
    if (n > 9 && !memcmp(s, "NCBIGene:", 9)) {
        for (size_t i = 9; i < n && v < UINT32_MAX; i++) {
            if (s[i] < '0' || s[i] > '9') return HPO_NONE;
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
        for (uint32_t g = 0; g < h->n_genes; g++) {
            if (h->gene_ncbi[g] == v) return g;
        }
        return HPO_NONE;
    }
    return find_key(h, h->gene_sym, h->n_genes, s, n);
}

/* ---- onset ------------------------------------------------------------------------- */

#define BANDS(lo, hi) ((uint16_t)(((1u << ((hi) + 1)) - 1u) & ~((1u << (lo)) - 1u)))

static const struct {
    uint32_t id;
    uint16_t bands;
} onset_terms[] = {
    {3577u, BANDS(HPO_ONSET_CONGENITAL, HPO_ONSET_CONGENITAL)},
    {3581u, BANDS(HPO_ONSET_YOUNG_ADULT, HPO_ONSET_LATE)}, /* Adult onset */
    {3584u, BANDS(HPO_ONSET_LATE, HPO_ONSET_LATE)},
    {3593u, BANDS(HPO_ONSET_INFANTILE, HPO_ONSET_INFANTILE)},
    {3596u, BANDS(HPO_ONSET_MIDDLE_AGE, HPO_ONSET_MIDDLE_AGE)},
    {3621u, BANDS(HPO_ONSET_JUVENILE, HPO_ONSET_JUVENILE)},
    {3623u, BANDS(HPO_ONSET_NEONATAL, HPO_ONSET_NEONATAL)},
    {11462u, BANDS(HPO_ONSET_YOUNG_ADULT, HPO_ONSET_YOUNG_ADULT)},
    {11463u, BANDS(HPO_ONSET_CHILDHOOD, HPO_ONSET_CHILDHOOD)},
    {30674u, BANDS(HPO_ONSET_ANTENATAL, HPO_ONSET_ANTENATAL)},
    {410280u, BANDS(HPO_ONSET_INFANTILE, HPO_ONSET_JUVENILE)}, /* Pediatric onset */
};

int hpo_csr_invert(const uint32_t *off, const uint32_t *val, const uint8_t *freq, uint32_t nrows,
                   uint32_t nv, uint32_t **ioff, uint32_t **irow, uint8_t **ifreq)
{
    uint32_t total = off[nrows], *cur;
    if (!(*ioff = gn_calloc((size_t)nv + 1, sizeof **ioff)) ||
        !(*irow = gn_calloc(total ? total : 1, sizeof **irow)) ||
        (ifreq && !(*ifreq = gn_calloc(total ? total : 1, 1))))
        return GN_ENOMEM;
    for (uint32_t k = 0; k < total; k++)
        (*ioff)[val[k] + 1]++;
    for (uint32_t v = 0; v < nv; v++)
        (*ioff)[v + 1] += (*ioff)[v];
    if (!(cur = gn_calloc((size_t)nv + 1, sizeof *cur))) return GN_ENOMEM;
    memcpy(cur, *ioff, ((size_t)nv + 1) * sizeof *cur);
    for (uint32_t row = 0; row < nrows; row++) {
        for (uint32_t k = off[row]; k < off[row + 1]; k++) {
            uint32_t at = cur[val[k]]++;
            (*irow)[at] = row;
            if (ifreq) (*ifreq)[at] = freq[k];
        }
    }
    gn_free(cur);
    return GN_OK;
}

uint16_t hpo_onset_bands(const struct hpo *h, uint32_t t)
{
    uint16_t bands = HPO_ONSET_ALL;
    int found = 0;
    if (t >= h->n_terms) return 0;
    for (uint32_t k = h->anc_off[t]; k < h->anc_off[t + 1]; k++) {
        uint32_t id = h->term_id[h->anc[k]];
        for (size_t i = 0; i < sizeof onset_terms / sizeof *onset_terms; i++) {
            if (onset_terms[i].id != id) continue;
            bands &= onset_terms[i].bands; /* the most specific ancestor narrows the set */
            found = 1;
        }
    }
    return found ? bands : 0;
}

int hpo_onset_age(const char *s, size_t n, enum hpo_onset_band *band, struct gn_err *err)
{
    static const char units[] = "YMWD";
    static const double unit_days[] = {365.25, 30.4375, 7.0, 1.0};
    const char *p = s, *end = s + n;
    double days = 0;
    size_t next = 0; /* units must come in the order Y M W D, each at most once */
    int any = 0;
    char q[STRPARSE_QUOTE_MAX];
    if (p == end || *p++ != 'P') goto bad;
    while (p < end && *p != 'T') {
        uint32_t v = 0;
        const char *u;
        int digits = 0;
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
            if (++digits > 6) goto bad;
            v = v * 10 + (uint32_t)(*p - '0');
        }
        if (!digits || p == end || !(u = memchr(units + next, *p, sizeof units - 1 - next)))
            goto bad;
        days += v * unit_days[u - units];
        next = (size_t)(u - units) + 1;
        any = 1;
        p++;
    }
    if (!any) goto bad;
    *band = days < 1             ? HPO_ONSET_CONGENITAL
            : days <= 28         ? HPO_ONSET_NEONATAL
            : days < 365.25      ? HPO_ONSET_INFANTILE
            : days < 5 * 365.25  ? HPO_ONSET_CHILDHOOD
            : days < 16 * 365.25 ? HPO_ONSET_JUVENILE
            : days < 40 * 365.25 ? HPO_ONSET_YOUNG_ADULT
            : days < 60 * 365.25 ? HPO_ONSET_MIDDLE_AGE
                                 : HPO_ONSET_LATE;
    return GN_OK;
bad:
    return gn_errf(err, GN_EPARSE, "not an ISO 8601 age (e.g. P6M, P2Y3M, P10D): '%s'",
                   strparse_quote(q, s, n));
}

uint32_t hpo_onset_band_term(enum hpo_onset_band b)
{
    static const uint32_t ids[HPO_ONSET_N] = {30674u, 3577u,  3623u, 3593u, 11463u,
                                              3621u,  11462u, 3596u, 3584u};
    return (unsigned)b < HPO_ONSET_N ? ids[b] : 0;
}

const char *hpo_onset_band_name(enum hpo_onset_band b)
{
    static const char *const names[HPO_ONSET_N] = {"antenatal",   "congenital", "neonatal",
                                                   "infantile",   "childhood",  "juvenile",
                                                   "young_adult", "middle_age", "late"};
    return (unsigned)b < HPO_ONSET_N ? names[b] : "?";
}

int hpo_finish(struct hpo *h, struct gn_err *err)
{
    double n = h->n_dis ? (double)h->n_dis : 1.0;
    if (!h->dis_onset && !(h->dis_onset = gn_calloc(h->n_dis ? h->n_dis : 1, sizeof *h->dis_onset)))
        return gn_errf(err, GN_ENOMEM, "HPO onset bands");
    gn_free(h->ic);
    if (!(h->ic = gn_calloc(h->n_terms ? h->n_terms : 1, sizeof *h->ic)))
        return gn_errf(err, GN_ENOMEM, "HPO information content");
    for (uint32_t t = 0; t < h->n_terms; t++)
        h->ic[t] = log(n / (double)(h->term_ndis[t] ? h->term_ndis[t] : 1));
    return GN_OK;
}

/* ---- encoding ---------------------------------------------------------------------- */

static int put_u32s(struct gn_buf *b, const uint32_t *a, uint32_t n)
{
    int rc;
    if ((rc = gn_buf_reserve(b, (size_t)n * 4)) < 0) return rc;
    for (uint32_t i = 0; i < n; i++)
        gn_le_put_u32(b->data + b->len + (size_t)i * 4, a[i]);
    b->len += (size_t)n * 4;
    return GN_OK;
}

/* A CSR list: the n+1 offsets then the off[n] values. */
static int put_csr(struct gn_buf *b, const uint32_t *off, const uint32_t *v, uint32_t n)
{
    int rc;
    if ((rc = put_u32s(b, off, n + 1)) < 0) return rc;
    return put_u32s(b, v, off[n]);
}

static int encode_payload(const struct hpo *h, struct gn_buf *b)
{
    int rc = GN_OK;
    const uint32_t nt = h->n_terms, nd = h->n_dis, ng = h->n_genes;
    if ((rc = gn_buf_put_u32(b, h->strings_len)) < 0) return rc;
    if ((rc = gn_buf_append(b, h->strings, h->strings_len)) < 0) return rc;
    if ((rc = gn_buf_put_u32(b, h->version)) < 0 || (rc = gn_buf_put_u32(b, h->source)) < 0)
        return rc;
    if ((rc = gn_buf_put_u32(b, nt)) < 0 || (rc = put_u32s(b, h->term_id, nt)) < 0 ||
        (rc = put_u32s(b, h->term_label, nt)) < 0 ||
        (rc = gn_buf_append(b, h->term_flags, nt)) < 0 ||
        (rc = put_u32s(b, h->term_repl, nt)) < 0 || (rc = put_u32s(b, h->term_ndis, nt)) < 0 ||
        (rc = put_csr(b, h->par_off, h->par, nt)) < 0 ||
        (rc = put_csr(b, h->anc_off, h->anc, nt)) < 0)
        return rc;
    if ((rc = gn_buf_put_u32(b, h->n_alt)) < 0 || (rc = put_u32s(b, h->alt_id, h->n_alt)) < 0 ||
        (rc = put_u32s(b, h->alt_term, h->n_alt)) < 0)
        return rc;
    if ((rc = gn_buf_put_u32(b, nd)) < 0 || (rc = put_u32s(b, h->dis_id, nd)) < 0 ||
        (rc = put_u32s(b, h->dis_label, nd)) < 0 ||
        (rc = put_csr(b, h->dt_off, h->dt_term, nd)) < 0 ||
        (rc = gn_buf_append(b, h->dt_freq, h->dt_off[nd])) < 0 ||
        (rc = put_csr(b, h->dn_off, h->dn_term, nd)) < 0 || (rc = gn_buf_put_u32(b, ng)) < 0 ||
        (rc = put_csr(b, h->dg_off, h->dg_gene, nd)) < 0)
        return rc;
    if ((rc = put_u32s(b, h->gene_ncbi, ng)) < 0 || (rc = put_u32s(b, h->gene_sym, ng)) < 0 ||
        (rc = put_csr(b, h->gt_off, h->gt_term, ng)) < 0)
        return rc;
    for (uint32_t d = 0; d < nd; d++) /* version 2: onset bands (hpo_finish sets dis_onset) */
        if ((rc = gn_buf_put_u16(b, h->dis_onset[d])) < 0) return rc;
    return GN_OK;
}

int hpo_encode(const struct hpo *h, struct gn_buf *out, struct gn_err *err)
{
    int rc;
    size_t start = out->len;
    uint32_t crc;
    if ((rc = gn_buf_append(out, hpo_magic, sizeof hpo_magic)) < 0 ||
        (rc = gn_buf_put_u32(out, HPO_INDEX_VERSION)) < 0 || (rc = gn_buf_put_u32(out, 0)) < 0 ||
        (rc = gn_buf_put_u64(out, 0)) < 0 || (rc = encode_payload(h, out)) < 0)
        return gn_errf(err, rc, "encoding the HPO index: %s", gn_strerror(rc));
    crc = (uint32_t)crc32(0L, out->data + start + HDR_BYTES, (uInt)(out->len - start - HDR_BYTES));
    gn_le_put_u32(out->data + start + 12, crc);
    gn_le_put_u64(out->data + start + 16, (uint64_t)(out->len - start - HDR_BYTES));
    return GN_OK;
}

/* ---- decoding ---------------------------------------------------------------------- */

/* Reads n u32 values, each < lim (lim 0: any), into an owned array. */
static uint32_t *get_u32s(struct gn_rd *r, uint32_t n, uint32_t lim)
{
    const uint8_t *p;
    uint32_t *a;
    if ((size_t)(r->end - r->p) / 4 < n) {
        r->bad = 1;
        return NULL;
    }
    p = gn_rd_bytes(r, (size_t)n * 4);
    if (!p || !(a = gn_calloc(n ? n : 1, sizeof *a))) {
        r->bad = 1;
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        a[i] = gn_le_u32(p + (size_t)i * 4);
        if (lim && a[i] >= lim) r->bad = 1;
    }
    return a;
}

/* Reads a CSR list of n rows whose values are < lim; 0 or sets r->bad. */
static void get_csr(struct gn_rd *r, uint32_t n, uint32_t lim, uint32_t **off, uint32_t **v)
{
    if (n == UINT32_MAX) {
        r->bad = 1;
        return;
    }
    *off = get_u32s(r, n + 1, 0);
    if (r->bad) return;
    if ((*off)[0] != 0) r->bad = 1;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        if ((*off)[i + 1] < (*off)[i]) r->bad = 1;
    }
    if (r->bad) return;
    *v = get_u32s(r, (*off)[n], lim ? lim : UINT32_MAX);
}

static int strings_ok(const struct hpo *h, const uint32_t *off, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (off[i] >= h->strings_len) return 0;
    }
    return 1;
}

static int keys_sorted(const struct hpo *h, const uint32_t *k, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        if (strcmp(hpo_str(h, k[i - 1]), hpo_str(h, k[i])) >= 0) return 0;
    }
    return 1;
}

/* The invariants lookups and ranking rely on (see the file comment). */
static int terms_ok(const struct hpo *h)
{
    uint64_t ndis = 0, bound = 0;
    for (uint32_t t = 0; t < h->n_terms; t++) {
        int self = 0;
        if (h->term_ndis[t] > h->n_dis) return 0;
        ndis += h->term_ndis[t];
        if (t && h->term_id[t] <= h->term_id[t - 1]) return 0;
        if (h->term_repl[t] != HPO_NONE && h->term_repl[t] >= h->n_terms) return 0;
        for (uint32_t k = h->anc_off[t]; k < h->anc_off[t + 1]; k++) {
            if (k > h->anc_off[t] && h->anc[k] <= h->anc[k - 1]) return 0;
            self |= h->anc[k] == t;
        }
        if (!self) return 0;
    }
    for (uint32_t a = 1; a < h->n_alt; a++) {
        if (h->alt_id[a] <= h->alt_id[a - 1]) return 0;
    }
    for (uint32_t d = 0; d < h->n_dis; d++) {
        for (uint32_t k = h->dt_off[d]; k < h->dt_off[d + 1]; k++) {
            uint32_t t = h->dt_term[k];
            if (h->dt_freq[k] > 100 && h->dt_freq[k] != HPO_FREQ_UNKNOWN) return 0;
            bound += h->anc_off[t + 1] - h->anc_off[t];
        }
    }
    return ndis <= bound;
}

static void decode_payload(struct gn_rd *r, struct hpo *h, uint32_t version)
{
    const uint8_t *p;
    uint32_t nt, nd, ng;
    h->strings_len = gn_rd_u32(r);
    if (r->bad || h->strings_len == 0 || !(p = gn_rd_bytes(r, h->strings_len)) ||
        p[h->strings_len - 1] != 0 || !(h->strings = gn_malloc(h->strings_len))) {
        r->bad = 1;
        return;
    }
    memcpy(h->strings, p, h->strings_len);
    h->version = gn_rd_u32(r);
    h->source = gn_rd_u32(r);
    nt = h->n_terms = gn_rd_u32(r);
    if (r->bad || nt == 0 || nt > (size_t)(r->end - r->p) / 4) goto bad;
    h->term_id = get_u32s(r, nt, 0);
    h->term_label = get_u32s(r, nt, h->strings_len);
    if (r->bad || !(p = gn_rd_bytes(r, nt)) || !(h->term_flags = gn_malloc(nt))) goto bad;
    memcpy(h->term_flags, p, nt);
    h->term_repl = get_u32s(r, nt, 0);
    h->term_ndis = get_u32s(r, nt, 0);
    if (r->bad) return;
    get_csr(r, nt, nt, &h->par_off, &h->par);
    if (r->bad) return;
    get_csr(r, nt, nt, &h->anc_off, &h->anc);
    h->n_alt = gn_rd_u32(r);
    if (r->bad || h->n_alt > (size_t)(r->end - r->p) / 8) goto bad;
    h->alt_id = get_u32s(r, h->n_alt, 0);
    h->alt_term = get_u32s(r, h->n_alt, nt);
    nd = h->n_dis = gn_rd_u32(r);
    if (r->bad || nd > (size_t)(r->end - r->p) / 8) goto bad;
    h->dis_id = get_u32s(r, nd, h->strings_len);
    h->dis_label = get_u32s(r, nd, h->strings_len);
    if (r->bad) return;
    get_csr(r, nd, nt, &h->dt_off, &h->dt_term);
    if (r->bad || !(p = gn_rd_bytes(r, h->dt_off[nd])) ||
        !(h->dt_freq = gn_malloc(h->dt_off[nd] ? h->dt_off[nd] : 1)))
        goto bad;
    memcpy(h->dt_freq, p, h->dt_off[nd]);
    get_csr(r, nd, nt, &h->dn_off, &h->dn_term);
    if (r->bad) return;
    ng = h->n_genes = gn_rd_u32(r);
    if (r->bad || ng > (size_t)(r->end - r->p) / 8) goto bad;
    get_csr(r, nd, ng ? ng : 1, &h->dg_off, &h->dg_gene);
    if (r->bad) return;
    if (ng == 0 && h->dg_off[nd] != 0) goto bad;
    h->gene_ncbi = get_u32s(r, ng, 0);
    h->gene_sym = get_u32s(r, ng, h->strings_len);
    if (r->bad) return;
    get_csr(r, ng, nt, &h->gt_off, &h->gt_term);
    if (r->bad || version < 2) return; /* version 1: onset unknown (hpo_finish) */
    if (nd > (size_t)(r->end - r->p) / 2 ||
        !(h->dis_onset = gn_calloc(nd ? nd : 1, sizeof *h->dis_onset)))
        goto bad;
    for (uint32_t d = 0; d < nd; d++)
        if ((h->dis_onset[d] = gn_rd_u16(r)) & ~HPO_ONSET_ALL) goto bad;
    return;
bad:
    r->bad = 1;
}

int hpo_decode(const uint8_t *p, size_t n, struct hpo **out, struct gn_err *err)
{
    struct hpo *h = NULL;
    struct gn_rd r;
    uint64_t len;
    const char *what;
    int rc;

    *out = NULL;
    if (n < HDR_BYTES || memcmp(p, hpo_magic, sizeof hpo_magic))
        return gn_errf(err, GN_EFORMAT, "not a genomenode HPO index (bad magic)");
    if (gn_le_u32(p + 8) < 1 || gn_le_u32(p + 8) > HPO_INDEX_VERSION)
        return gn_errf(err, GN_EFORMAT, "HPO index format version %u, this build reads 1 to %u",
                       gn_le_u32(p + 8), HPO_INDEX_VERSION);
    len = gn_le_u64(p + 16);
    if (len != n - HDR_BYTES)
        return gn_errf(err, GN_ECORRUPT, "HPO index: payload is %zu bytes, header says %llu",
                       n - HDR_BYTES, (unsigned long long)len);
    if ((uint32_t)crc32(0L, p + HDR_BYTES, (uInt)len) != gn_le_u32(p + 12))
        return gn_errf(err, GN_ECORRUPT, "HPO index: checksum mismatch");
    if (!(h = gn_calloc(1, sizeof *h))) return gn_errf(err, GN_ENOMEM, "HPO index");
    gn_rd_init(&r, p + HDR_BYTES, (size_t)len);
    decode_payload(&r, h, gn_le_u32(p + 8));
    if (r.bad && !h->strings) {
        rc = gn_errf(err, GN_ECORRUPT, "HPO index: malformed string table");
        goto fail;
    }
    what = r.bad || r.p != r.end                                         ? "layout"
           : h->version >= h->strings_len || h->source >= h->strings_len ? "version string"
           : !strings_ok(h, h->dis_id, h->n_dis) || !strings_ok(h, h->dis_label, h->n_dis)
               ? "disease strings"
           : !keys_sorted(h, h->dis_id, h->n_dis)     ? "disease order"
           : !keys_sorted(h, h->gene_sym, h->n_genes) ? "gene order"
           : !terms_ok(h)                             ? "terms"
                                                      : NULL;
    if (what) {
        rc = gn_errf(err, GN_ECORRUPT, "HPO index: malformed or inconsistent content (%s)", what);
        goto fail;
    }
    if ((rc = hpo_finish(h, err)) < 0) goto fail;
    *out = h;
    return GN_OK;
fail:
    hpo_free(h);
    return rc;
}

int hpo_save(const struct hpo *h, const char *path, struct gn_err *err)
{
    struct gn_buf b;
    int rc;
    gn_buf_init(&b, HPO_INDEX_MAX);
    if ((rc = hpo_encode(h, &b, err)) >= 0)
        rc = fsutil_write_atomic(path, b.data, b.len, 0644, err);
    gn_buf_free(&b);
    return rc;
}

int hpo_load(const char *path, struct hpo **out, struct gn_err *err)
{
    uint8_t *data = NULL;
    size_t n = 0;
    int rc;
    *out = NULL;
    if ((rc = fsutil_read_all(path, HPO_INDEX_MAX, &data, &n, err)) < 0) return rc;
    rc = hpo_decode(data, n, out, err);
    if (rc < 0) (void)gn_err_prefix(err, rc, "%s", path);
    gn_free(data);
    return rc;
}
