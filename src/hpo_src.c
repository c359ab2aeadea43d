/*
 * hpo_src.c — parsers of the HPO release files and the builder of the index.
 *
 * Parsing only records raw facts in flat growable arrays (terms with numeric ids, edges as
 * id pairs, annotations as disease index + term id, links as id pairs); nothing is
 * resolved until hpo_src_build(), so the inputs may come in any order and any mix of
 * formats. Disease ids are interned through an open-addressing hash so that 270,000
 * annotation rows store each disease string once; every string lives in one blob that
 * becomes the index's string table.
 *
 * The build sorts terms by id, orders them parents-first (Kahn's algorithm, which also
 * detects cycles) and computes each term's ancestor set as the union of its parents'
 * sets, so the closure costs one pass. Annotation terms are resolved through alternative
 * ids and replaced_by chains; terms outside "Phenotypic abnormality" are dropped from
 * annotations (when the ontology has HP:0000118; small test ontologies without it keep
 * everything). term_ndis, the number of diseases annotated with a term or any descendant,
 * is the basis of the information content used by ranking.
 */
#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "alloc.h"
#include "buf.h"
#include "hpo_src.h"
#include "strparse.h"

struct src_term {
    uint32_t id, label, repl; /* repl: replacement numeric id, 0 when none */
    uint8_t obsolete;
};
struct src_pair {
    uint32_t a, b;
};
struct src_ann {
    uint32_t dis, term; /* interned disease, numeric term id */
    uint8_t freq, neg;
};

struct hpo_src {
    struct gn_buf str; /* string blob; offset 0 is "" */
    struct src_term *terms;
    uint32_t n_terms, cap_terms;
    struct src_pair *edges; /* child id, parent id */
    uint32_t n_edges, cap_edges;
    struct src_pair *alts; /* alt id, primary id */
    uint32_t n_alts, cap_alts;
    struct src_pair *dis; /* id offset, label offset */
    uint32_t n_dis, cap_dis;
    uint32_t *dhash; /* disease index + 1, open addressing */
    uint32_t hcap;
    struct src_ann *ann;
    uint32_t n_ann, cap_ann;
    struct src_pair *dgenes; /* interned disease, NCBI gene */
    uint32_t n_dgenes, cap_dgenes;
    struct src_pair *mim; /* OMIM number, NCBI gene (resolved at build) */
    uint32_t n_mim, cap_mim;
    struct src_pair *gterm; /* NCBI gene, term id */
    uint32_t n_gterm, cap_gterm;
    struct src_pair *gsym; /* NCBI gene, symbol offset */
    uint32_t n_gsym, cap_gsym;
    char onto_version[64], ann_version[64];
    char source[256];
};

static const char *const kind_name[HPO_SRC_N_KINDS] = {"hp.obo",          "hp.json",
                                                       "hpo_terms.tsv",   "hpo_is_a.tsv",
                                                       "phenotype.hpoa",  "disease_to_hpo.tsv",
                                                       "gene_to_hpo.tsv", "mim2gene_medgen"};

/* ---- small helpers --------------------------------------------------------------- */

/* Ensures room for one more element in *a (n used, *cap allocated, at most lim). */
static int grow(void **a, uint32_t n, uint32_t *cap, size_t size, uint32_t lim)
{
    void *p;
    uint32_t nc;
    if (n < *cap) return GN_OK;
    if (n >= lim) return GN_ELIMIT;
    nc = *cap ? (*cap > lim / 2 ? lim : *cap * 2) : 256;
    if (!(p = gn_reallocarray(*a, nc, size))) return GN_ENOMEM;
    *a = p;
    *cap = nc;
    return GN_OK;
}

#define PUSH(s, arr, val, lim, err, name)                                                          \
    do {                                                                                           \
        int rc_ =                                                                                  \
            grow((void **)&(s)->arr, (s)->n_##arr, &(s)->cap_##arr, sizeof *(s)->arr, (lim));      \
        if (rc_ < 0) return gn_errf((err), rc_, "%s: too many rows", (name));                      \
        (s)->arr[(s)->n_##arr++] = (val);                                                          \
    } while (0)

static int put_string(struct hpo_src *s, const char *p, size_t n, uint32_t *off)
{
    int rc;
    if (n > HPO_SRC_MAX_LINE) n = HPO_SRC_MAX_LINE;
    *off = (uint32_t)s->str.len;
    if ((rc = gn_buf_append(&s->str, p, n)) < 0 || (rc = gn_buf_put_u8(&s->str, 0)) < 0) return rc;
    return GN_OK;
}

static uint32_t hash_bytes(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    return h;
}

static int rehash(struct hpo_src *s)
{
    uint32_t nc = s->hcap ? s->hcap * 2 : 1024;
    uint32_t *t = gn_calloc(nc, sizeof *t);
    if (!t) return GN_ENOMEM;
    for (uint32_t d = 0; d < s->n_dis; d++) {
        const char *k = (const char *)s->str.data + s->dis[d].a;
        uint32_t i = hash_bytes(k, strlen(k)) & (nc - 1);
        while (t[i])
            i = (i + 1) & (nc - 1);
        t[i] = d + 1;
    }
    gn_free(s->dhash);
    s->dhash = t;
    s->hcap = nc;
    return GN_OK;
}

/* Interns the disease id (with its label, the first one seen) and returns its index. */
static int intern_disease(struct hpo_src *s, struct strparse_span id, struct strparse_span label,
                          uint32_t *out)
{
    uint32_t i, lab;
    struct src_pair d;
    int rc;
    if (s->n_dis * 2 >= s->hcap && (rc = rehash(s)) < 0) return rc;
    i = hash_bytes(id.p, id.n) & (s->hcap - 1);
    while (s->dhash[i]) {
        const char *k = (const char *)s->str.data + s->dis[s->dhash[i] - 1].a;
        if (strlen(k) == id.n && !memcmp(k, id.p, id.n)) {
            *out = s->dhash[i] - 1;
            /* A disease first met in a gene file has no label yet. */
            if (label.n && !s->str.data[s->dis[*out].b])
                return put_string(s, label.p, label.n, &s->dis[*out].b);
            return GN_OK;
        }
        i = (i + 1) & (s->hcap - 1);
    }
    if ((rc = grow((void **)&s->dis, s->n_dis, &s->cap_dis, sizeof *s->dis, HPO_SRC_MAX_ROWS)) < 0)
        return rc;
    if ((rc = put_string(s, id.p, id.n, &d.a)) < 0) return rc;
    if ((rc = put_string(s, label.p, label.n, &lab)) < 0) return rc;
    d.b = lab;
    s->dis[s->n_dis] = d;
    s->dhash[i] = ++s->n_dis;
    *out = s->n_dis - 1;
    return GN_OK;
}

static int disease_lookup(const struct hpo_src *s, const char *p, size_t n, uint32_t *out)
{
    uint32_t i;
    if (!s->hcap) return 0;
    i = hash_bytes(p, n) & (s->hcap - 1);
    while (s->dhash[i]) {
        const char *k = (const char *)s->str.data + s->dis[s->dhash[i] - 1].a;
        if (strlen(k) == n && !memcmp(k, p, n)) {
            *out = s->dhash[i] - 1;
            return 1;
        }
        i = (i + 1) & (s->hcap - 1);
    }
    return 0;
}

int hpo_src_new(struct hpo_src **out, struct gn_err *err)
{
    struct hpo_src *s = gn_calloc(1, sizeof *s);
    if (!s) return gn_errf(err, GN_ENOMEM, "HPO builder");
    gn_buf_init(&s->str, HPO_SRC_MAX_STRINGS);
    if (gn_buf_put_u8(&s->str, 0) < 0) {
        hpo_src_free(s);
        return gn_errf(err, GN_ENOMEM, "HPO builder");
    }
    *out = s;
    return GN_OK;
}

void hpo_src_free(struct hpo_src *s)
{
    if (!s) return;
    gn_buf_free(&s->str);
    gn_free(s->terms);
    gn_free(s->edges);
    gn_free(s->alts);
    gn_free(s->dis);
    gn_free(s->dhash);
    gn_free(s->ann);
    gn_free(s->dgenes);
    gn_free(s->mim);
    gn_free(s->gterm);
    gn_free(s->gsym);
    gn_free(s);
}

/* ---- line and field scanning -------------------------------------------------------- */

struct lines {
    const char *p, *end, *name;
    uint32_t no;
};

/* Next line (without "\n" or "\r\n") into *l; 0 at the end, GN_EPARSE when too long. */
static int next_line(struct lines *ls, struct strparse_span *l, struct gn_err *err)
{
    const char *nl;
    if (ls->p >= ls->end) return 0;
    nl = memchr(ls->p, '\n', (size_t)(ls->end - ls->p));
    if (!nl) nl = ls->end;
    l->p = ls->p;
    l->n = (size_t)(nl - ls->p);
    ls->p = nl < ls->end ? nl + 1 : ls->end;
    ls->no++;
    if (l->n && l->p[l->n - 1] == '\r') l->n--;
    if (l->n > HPO_SRC_MAX_LINE)
        return gn_errf(err, GN_EPARSE, "%s:%u: line longer than %u bytes", ls->name, ls->no,
                       HPO_SRC_MAX_LINE);
    return 1;
}

#define MAX_FIELDS 16

/* Splits l at tabs into at most MAX_FIELDS spans; returns the count (extra tabs stay in
 * the last field). */
static unsigned split_tabs(struct strparse_span l, struct strparse_span *f)
{
    unsigned k = 0;
    const char *p = l.p, *end = l.p + l.n;
    for (;;) {
        const char *t = k + 1 < MAX_FIELDS ? memchr(p, '\t', (size_t)(end - p)) : NULL;
        f[k].p = p;
        f[k].n = (size_t)((t ? t : end) - p);
        k++;
        if (!t) return k;
        p = t + 1;
    }
}

static int span_eq(struct strparse_span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && !memcmp(s.p, lit, n);
}

static struct strparse_span trim(struct strparse_span s)
{
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.n--;
    }
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
        s.n--;
    return s;
}

static int line_id(struct lines *ls, struct strparse_span f, uint32_t *id, struct gn_err *err)
{
    int rc = hpo_parse_id(f.p, f.n, id, err);
    if (rc < 0) (void)gn_err_prefix(err, rc, "%s:%u", ls->name, ls->no);
    return rc;
}

static void set_version(char *dst, size_t cap, struct strparse_span v)
{
    char q[STRPARSE_QUOTE_MAX];
    v = trim(v);
    if (v.n > 40) v.n = 40;
    (void)snprintf(dst, cap, "%s", strparse_quote(q, v.p, v.n));
}

/* "#hpo_version\t2025-01-16" in the TSV release; returns 1 when l was that line. */
static int tsv_version(struct strparse_span l, char *dst, size_t cap)
{
    static const char key[] = "#hpo_version\t";
    if (l.n <= sizeof key - 1 || memcmp(l.p, key, sizeof key - 1)) return 0;
    set_version(dst, cap, (struct strparse_span){l.p + sizeof key - 1, l.n - (sizeof key - 1)});
    return 1;
}

static int parse_u32(struct strparse_span f, uint32_t *v)
{
    int64_t x;
    if (f.n == 0 || f.n > 10 || strparse_i64_all(f.p, f.n, &x) < 0 || x < 0 || x > UINT32_MAX)
        return GN_EPARSE;
    *v = (uint32_t)x;
    return GN_OK;
}

/* ---- TSV release ------------------------------------------------------------------ */

static int add_terms_tsv(struct hpo_src *s, struct lines *ls, struct gn_err *err)
{
    struct strparse_span l, f[MAX_FIELDS];
    int rc;
    while ((rc = next_line(ls, &l, err)) > 0) {
        struct src_term t = {0, 0, 0, 0};
        unsigned nf;
        if (tsv_version(l, s->onto_version, sizeof s->onto_version) || !l.n || l.p[0] == '#')
            continue;
        nf = split_tabs(l, f);
        if (nf < 2)
            return gn_errf(err, GN_EPARSE,
                           "%s:%u: expected term_id, name, obsolete, "
                           "replaced_by",
                           ls->name, ls->no);
        if ((rc = line_id(ls, f[0], &t.id, err)) < 0) return rc;
        if ((rc = put_string(s, f[1].p, f[1].n, &t.label)) < 0)
            return gn_errf(err, rc, "%s: string table full", ls->name);
        t.obsolete = nf > 2 && span_eq(f[2], "1");
        if (nf > 3 && f[3].n && (rc = line_id(ls, f[3], &t.repl, err)) < 0) return rc;
        PUSH(s, terms, t, HPO_SRC_MAX_TERMS, err, ls->name);
    }
    return rc;
}

static int add_is_a_tsv(struct hpo_src *s, struct lines *ls, struct gn_err *err)
{
    struct strparse_span l, f[MAX_FIELDS];
    int rc;
    while ((rc = next_line(ls, &l, err)) > 0) {
        struct src_pair e;
        if (tsv_version(l, s->onto_version, sizeof s->onto_version) || !l.n || l.p[0] == '#')
            continue;
        if (split_tabs(l, f) < 2)
            return gn_errf(err, GN_EPARSE, "%s:%u: expected child, parent", ls->name, ls->no);
        if ((rc = line_id(ls, f[0], &e.a, err)) < 0 || (rc = line_id(ls, f[1], &e.b, err)) < 0)
            return rc;
        PUSH(s, edges, e, HPO_SRC_MAX_ROWS, err, ls->name);
    }
    return rc;
}

/* An identifier kept as a C string and sorted on (a disease id, a gene symbol): 1 to 64
 * printable ASCII bytes, no space; a NUL or control byte would make two keys that differ
 * in the file equal in the index. */
static int ident_ok(struct strparse_span v)
{
    if (!v.n || v.n > 64) return 0;
    for (size_t i = 0; i < v.n; i++)
        if ((unsigned char)v.p[i] <= ' ' || (unsigned char)v.p[i] > '~') return 0;
    return 1;
}

static int disease_id_ok(struct strparse_span v)
{
    return ident_ok(v) && memchr(v.p, ':', v.n) != NULL;
}

static int add_annotation(struct hpo_src *s, struct lines *ls, struct strparse_span *f,
                          const int *col, uint8_t freq, struct gn_err *err)
{
    struct src_ann a = {0, 0, freq, 0};
    int rc;
    if ((rc = line_id(ls, f[col[1]], &a.term, err)) < 0) return rc;
    if (!disease_id_ok(f[col[0]]))
        return gn_errf(err, GN_EPARSE, "%s:%u: disease id is not PREFIX:ID", ls->name, ls->no);
    if ((rc = intern_disease(s, f[col[0]], f[col[2]], &a.dis)) < 0)
        return gn_errf(err, rc, "%s:%u: too many diseases", ls->name, ls->no);
    a.neg = col[3] >= 0 && span_eq(f[col[3]], "NOT");
    PUSH(s, ann, a, HPO_SRC_MAX_ROWS, err, ls->name);
    return GN_OK;
}

static int add_disease_tsv(struct hpo_src *s, struct lines *ls, struct gn_err *err)
{
    static const int col[4] = {0, 2, 1, -1}; /* disease, term, label, qualifier */
    struct strparse_span l, f[MAX_FIELDS];
    int rc;
    while ((rc = next_line(ls, &l, err)) > 0) {
        if (tsv_version(l, s->ann_version, sizeof s->ann_version) || !l.n || l.p[0] == '#')
            continue;
        if (split_tabs(l, f) < 3)
            return gn_errf(err, GN_EPARSE, "%s:%u: expected disease_id, disease_name, hpo_id",
                           ls->name, ls->no);
        if ((rc = add_annotation(s, ls, f, col, HPO_FREQ_UNKNOWN, err)) < 0) return rc;
    }
    return rc;
}

/* ---- phenotype.hpoa ----------------------------------------------------------------- */

/* HPO frequency terms HP:0040280..HP:0040285 → the middle of their range, in percent. */
static int freq_term(uint32_t id, uint8_t *pct)
{
    static const uint8_t mid[6] = {100, 90, 55, 17, 2, 0};
    if (id < 40280 || id > 40285) return GN_EPARSE;
    *pct = mid[id - 40280];
    return GN_OK;
}

/* "", "HP:0040281", "3/7" or "40%" → percent or HPO_FREQ_UNKNOWN. */
static int parse_freq(struct strparse_span f, uint8_t *pct)
{
    const char *slash;
    uint32_t a, b, id;
    f = trim(f);
    *pct = HPO_FREQ_UNKNOWN;
    if (!f.n) return GN_OK;
    if (f.n > 3 && f.p[0] == 'H') {
        if (hpo_parse_id(f.p, f.n, &id, NULL) < 0) return GN_EPARSE;
        return freq_term(id, pct);
    }
    if (f.p[f.n - 1] == '%') {
        double v = 0, scale = 0;
        for (size_t i = 0; i + 1 < f.n; i++) {
            if (f.p[i] == '.' && scale == 0) {
                scale = 1;
            } else if (f.p[i] >= '0' && f.p[i] <= '9' && v < 1000) {
                v = v * 10 + (f.p[i] - '0');
                scale *= 10;
            } else {
                return GN_EPARSE;
            }
        }
        if (scale > 1) v /= scale;
        if (f.n == 1 || v > 100) return GN_EPARSE;
        *pct = (uint8_t)(v + 0.5);
        return GN_OK;
    }
    slash = memchr(f.p, '/', f.n);
    if (!slash) return GN_EPARSE;
    if (parse_u32((struct strparse_span){f.p, (size_t)(slash - f.p)}, &a) < 0 ||
        parse_u32((struct strparse_span){slash + 1, (size_t)(f.p + f.n - slash - 1)}, &b) < 0 ||
        b == 0 || a > b)
        return GN_EPARSE;
    *pct = (uint8_t)((100.0 * a) / b + 0.5);
    return GN_OK;
}

static void hpoa_comment(struct hpo_src *s, struct strparse_span l)
{
    static const char *const keys[] = {"#version:", "#date:"};
    for (size_t k = 0; k < 2; k++) {
        size_t n = strlen(keys[k]);
        if (l.n > n && !memcmp(l.p, keys[k], n) && !s->ann_version[0])
            set_version(s->ann_version, sizeof s->ann_version,
                        (struct strparse_span){l.p + n, l.n - n});
    }
}

static int add_hpoa(struct hpo_src *s, struct lines *ls, struct gn_err *err)
{
    static const int col[4] = {0, 3, 1, 2};
    struct strparse_span l, f[MAX_FIELDS];
    int rc;
    while ((rc = next_line(ls, &l, err)) > 0) {
        unsigned nf;
        uint8_t freq;
        if (!l.n) continue;
        if (l.p[0] == '#') {
            hpoa_comment(s, l);
            continue;
        }
        nf = split_tabs(l, f);
        if (span_eq(f[0], "database_id") || span_eq(f[0], "DatabaseID")) continue; /* header */
        if (nf < 4)
            return gn_errf(err, GN_EPARSE, "%s:%u: %u columns, phenotype.hpoa has 12", ls->name,
                           ls->no, nf);
        /* Aspect (column 11): P phenotype, C clinical course (its onset terms become the
         * disease's onset bands); I and M describe the disease, not the patient. Rows
         * missing the column (some DECIPHER rows) are taken as P. */
        if (nf > 10 && f[10].n && !span_eq(f[10], "P") && !span_eq(f[10], "C")) continue;
        if (nf > 7 && parse_freq(f[7], &freq) < 0)
            return gn_errf(err, GN_EPARSE, "%s:%u: bad frequency (HP:00402xx, n/m or x%%)",
                           ls->name, ls->no);
        if (nf <= 7) freq = HPO_FREQ_UNKNOWN;
        if ((rc = add_annotation(s, ls, f, col, freq, err)) < 0) return rc;
    }
    return rc;
}

/* ---- genes ---------------------------------------------------------------------------- */

static int add_gene_tsv(struct hpo_src *s, struct lines *ls, struct gn_err *err)
{
    struct strparse_span l, f[MAX_FIELDS];
    int rc;
    while ((rc = next_line(ls, &l, err)) > 0) {
        struct src_pair gt, gs;
        unsigned nf;
        if (tsv_version(l, s->ann_version, sizeof s->ann_version) || !l.n || l.p[0] == '#')
            continue;
        nf = split_tabs(l, f);
        if (span_eq(f[0], "ncbi_gene_id")) continue; /* genes_to_phenotype.txt header */
        if (nf < 3 || parse_u32(f[0], &gt.a) < 0 || !f[1].n)
            return gn_errf(err, GN_EPARSE, "%s:%u: expected ncbi_gene_id, gene_symbol, hpo_id",
                           ls->name, ls->no);
        if ((rc = line_id(ls, f[2], &gt.b, err)) < 0) return rc;
        if (!ident_ok(f[1]))
            return gn_errf(err, GN_EPARSE, "%s:%u: bad gene symbol", ls->name, ls->no);
        PUSH(s, gterm, gt, HPO_SRC_MAX_ROWS, err, ls->name);
        if (!s->n_gsym || s->gsym[s->n_gsym - 1].a != gt.a) {
            gs.a = gt.a;
            if ((rc = put_string(s, f[1].p, f[1].n, &gs.b)) < 0)
                return gn_errf(err, rc, "%s: string table full", ls->name);
            PUSH(s, gsym, gs, HPO_SRC_MAX_ROWS, err, ls->name);
        }
        if (nf > 5 && f[5].n) { /* genes_to_phenotype.txt: the disease of the link */
            struct src_pair dg = {0, gt.a};
            if (!disease_id_ok(f[5]))
                return gn_errf(err, GN_EPARSE, "%s:%u: disease id is not PREFIX:ID", ls->name,
                               ls->no);
            if ((rc = intern_disease(s, f[5], (struct strparse_span){"", 0}, &dg.a)) < 0)
                return gn_errf(err, rc, "%s:%u: too many diseases", ls->name, ls->no);
            PUSH(s, dgenes, dg, HPO_SRC_MAX_ROWS, err, ls->name);
        }
    }
    return rc;
}

static int add_mim2gene(struct hpo_src *s, struct lines *ls, struct gn_err *err)
{
    struct strparse_span l, f[MAX_FIELDS];
    int rc;
    while ((rc = next_line(ls, &l, err)) > 0) {
        struct src_pair m;
        if (!l.n || l.p[0] == '#') continue;
        if (split_tabs(l, f) < 3 || parse_u32(f[0], &m.a) < 0)
            return gn_errf(err, GN_EPARSE, "%s:%u: expected MIM number, GeneID, type", ls->name,
                           ls->no);
        if (!span_eq(f[2], "phenotype") || span_eq(f[1], "-")) continue;
        if (parse_u32(f[1], &m.b) < 0)
            return gn_errf(err, GN_EPARSE, "%s:%u: GeneID is not a number", ls->name, ls->no);
        PUSH(s, mim, m, HPO_SRC_MAX_ROWS, err, ls->name);
    }
    return rc;
}

/* ---- hp.obo --------------------------------------------------------------------------- */

/* The value of "key: value" lines (trailing " ! comment" and "{...}" qualifiers cut). */
static int obo_tag(struct strparse_span l, const char *key, struct strparse_span *v)
{
    size_t n = strlen(key);
    if (l.n <= n + 1 || memcmp(l.p, key, n) || l.p[n] != ':') return 0;
    v->p = l.p + n + 1;
    v->n = l.n - n - 1;
    *v = trim(*v);
    return 1;
}

static struct strparse_span obo_first_word(struct strparse_span v)
{
    size_t i = 0;
    while (i < v.n && v.p[i] != ' ' && v.p[i] != '\t')
        i++;
    v.n = i;
    return v;
}

/* Flushes the [Term] stanza being read. */
static int obo_flush(struct hpo_src *s, struct src_term *t, int *in_term, const char *name,
                     struct gn_err *err)
{
    if (*in_term && t->id) PUSH(s, terms, *t, HPO_SRC_MAX_TERMS, err, name);
    *in_term = 0;
    memset(t, 0, sizeof *t);
    return GN_OK;
}

static int obo_line(struct hpo_src *s, struct lines *ls, struct strparse_span l, struct src_term *t,
                    struct gn_err *err)
{
    struct strparse_span v;
    struct src_pair e;
    int rc;
    if (obo_tag(l, "id", &v)) {
        if (hpo_parse_id(v.p, v.n, &t->id, NULL) < 0) t->id = 0; /* not an HP term: skipped */
    } else if (obo_tag(l, "name", &v)) {
        if ((rc = put_string(s, v.p, v.n, &t->label)) < 0)
            return gn_errf(err, rc, "%s: string table full", ls->name);
    } else if (obo_tag(l, "is_obsolete", &v)) {
        t->obsolete = span_eq(v, "true");
    } else if (obo_tag(l, "replaced_by", &v)) {
        if ((rc = line_id(ls, obo_first_word(v), &t->repl, err)) < 0) return rc;
    } else if (obo_tag(l, "alt_id", &v) && t->id) {
        if ((rc = line_id(ls, obo_first_word(v), &e.a, err)) < 0) return rc;
        e.b = t->id;
        PUSH(s, alts, e, HPO_SRC_MAX_ROWS, err, ls->name);
    } else if (obo_tag(l, "is_a", &v) && t->id) {
        if (hpo_parse_id(obo_first_word(v).p, obo_first_word(v).n, &e.b, NULL) < 0)
            return GN_OK; /* a parent outside HP (cross-ontology): not ours */
        e.a = t->id;
        PUSH(s, edges, e, HPO_SRC_MAX_ROWS, err, ls->name);
    }
    return GN_OK;
}

static int add_obo(struct hpo_src *s, struct lines *ls, struct gn_err *err)
{
    struct strparse_span l, v;
    struct src_term t;
    int rc, in_term = 0;
    memset(&t, 0, sizeof t);
    while ((rc = next_line(ls, &l, err)) > 0) {
        l = trim(l);
        if (!l.n || l.p[0] == '!') continue;
        if (l.p[0] == '[') {
            if ((rc = obo_flush(s, &t, &in_term, ls->name, err)) < 0) return rc;
            in_term = span_eq(l, "[Term]");
            continue;
        }
        if (!in_term) {
            if (obo_tag(l, "data-version", &v)) {
                static const char pre[] = "hp/releases/";
                if (v.n > sizeof pre - 1 && !memcmp(v.p, pre, sizeof pre - 1)) {
                    v.p += sizeof pre - 1;
                    v.n -= sizeof pre - 1;
                }
                set_version(s->onto_version, sizeof s->onto_version, v);
            }
            continue;
        }
        if (!memchr(l.p, ':', l.n))
            return gn_errf(err, GN_EPARSE, "%s:%u: expected 'tag: value'", ls->name, ls->no);
        if ((rc = obo_line(s, ls, l, &t, err)) < 0) return rc;
    }
    if (rc < 0) return rc;
    return obo_flush(s, &t, &in_term, ls->name, err);
}

/* ---- hp.json (OBO Graphs) ------------------------------------------------------------ */

static const char *jstr(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The release date inside ".../hp/releases/2024-04-26/hp.json". */
static void json_version(struct hpo_src *s, const json_t *g)
{
    const char *v = jstr(json_object_get(g, "meta"), "version");
    const char *r = v ? strstr(v, "/releases/") : NULL;
    if (r) {
        const char *e = strchr(r + 10, '/');
        size_t n = e ? (size_t)(e - r - 10) : strlen(r + 10);
        set_version(s->onto_version, sizeof s->onto_version, (struct strparse_span){r + 10, n});
    }
}

static int json_node(struct hpo_src *s, const json_t *node, const char *name, struct gn_err *err)
{
    struct src_term t = {0, 0, 0, 0};
    const char *id = jstr(node, "id"), *lbl = jstr(node, "lbl");
    const json_t *meta = json_object_get(node, "meta"), *bpv, *v;
    size_t i;
    int rc;
    if (!id || hpo_parse_id(id, strlen(id), &t.id, NULL) < 0) return GN_OK; /* not HP */
    if (lbl && (rc = put_string(s, lbl, strlen(lbl), &t.label)) < 0)
        return gn_errf(err, rc, "%s: string table full", name);
    t.obsolete = json_is_true(json_object_get(meta, "deprecated"));
    bpv = json_object_get(meta, "basicPropertyValues");
    json_array_foreach(bpv, i, v)
    {
        const char *pred = jstr(v, "pred"), *val = jstr(v, "val");
        struct src_pair e = {0, t.id};
        if (!pred || !val) continue;
        if (strstr(pred, "IAO_0100001")) { /* term replaced by */
            if (hpo_parse_id(val, strlen(val), &t.repl, NULL) < 0) t.repl = 0;
        } else if (strstr(pred, "hasAlternativeId") &&
                   hpo_parse_id(val, strlen(val), &e.a, NULL) == GN_OK) {
            PUSH(s, alts, e, HPO_SRC_MAX_ROWS, err, name);
        }
    }
    PUSH(s, terms, t, HPO_SRC_MAX_TERMS, err, name);
    return GN_OK;
}

static int add_json(struct hpo_src *s, const char *p, size_t n, const char *name,
                    struct gn_err *err)
{
    json_error_t je;
    json_t *root = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je), *g, *v;
    size_t i;
    int rc = GN_OK;
    if (!root) return gn_errf(err, GN_EPARSE, "%s:%d: %s", name, je.line, je.text);
    g = json_array_get(json_object_get(root, "graphs"), 0);
    if (!json_is_object(g) || !json_is_array(json_object_get(g, "nodes"))) {
        rc = gn_errf(err, GN_EPARSE, "%s: not an OBO Graphs document (graphs[0].nodes)", name);
        goto out;
    }
    json_version(s, g);
    json_array_foreach(json_object_get(g, "nodes"), i, v)
    {
        if ((rc = json_node(s, v, name, err)) < 0) goto out;
    }
    json_array_foreach(json_object_get(g, "edges"), i, v)
    {
        const char *sub = jstr(v, "sub"), *pred = jstr(v, "pred"), *obj = jstr(v, "obj");
        struct src_pair e;
        if (!sub || !pred || !obj || strcmp(pred, "is_a")) continue;
        if (hpo_parse_id(sub, strlen(sub), &e.a, NULL) < 0 ||
            hpo_parse_id(obj, strlen(obj), &e.b, NULL) < 0)
            continue;
        if ((rc = grow((void **)&s->edges, s->n_edges, &s->cap_edges, sizeof *s->edges,
                       HPO_SRC_MAX_ROWS)) < 0) {
            rc = gn_errf(err, rc, "%s: too many edges", name);
            goto out;
        }
        s->edges[s->n_edges++] = e;
    }
out:
    json_decref(root);
    return rc;
}

/* ---- entry points ----------------------------------------------------------------------- */

int hpo_src_add(struct hpo_src *s, enum hpo_src_kind kind, const char *p, size_t n,
                const char *name, struct gn_err *err)
{
    struct lines ls = {p, p + n, name ? name : "input", 0};
    size_t used = strlen(s->source);
    int rc;
    assert((unsigned)kind < HPO_SRC_N_KINDS);
    switch (kind) {
    case HPO_SRC_OBO:
        rc = add_obo(s, &ls, err);
        break;
    case HPO_SRC_JSON:
        rc = add_json(s, p, n, ls.name, err);
        break;
    case HPO_SRC_TERMS_TSV:
        rc = add_terms_tsv(s, &ls, err);
        break;
    case HPO_SRC_IS_A_TSV:
        rc = add_is_a_tsv(s, &ls, err);
        break;
    case HPO_SRC_HPOA:
        rc = add_hpoa(s, &ls, err);
        break;
    case HPO_SRC_DISEASE_TSV:
        rc = add_disease_tsv(s, &ls, err);
        break;
    case HPO_SRC_GENE_TSV:
        rc = add_gene_tsv(s, &ls, err);
        break;
    default:
        rc = add_mim2gene(s, &ls, err);
        break;
    }
    if (rc >= 0 && used + 32 < sizeof s->source)
        (void)snprintf(s->source + used, sizeof s->source - used, "%s%s", used ? " + " : "",
                       kind_name[kind]);
    return rc < 0 ? rc : GN_OK;
}

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

int hpo_src_kind_of(const char *path)
{
    const char *b = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char base[256];
    (void)snprintf(base, sizeof base, "%s", b);
    if (ends_with(base, ".gz")) base[strlen(base) - 3] = 0;
    if (ends_with(base, ".obo")) return HPO_SRC_OBO;
    if (ends_with(base, ".json")) return HPO_SRC_JSON;
    if (ends_with(base, ".hpoa")) return HPO_SRC_HPOA;
    if (strstr(base, "hpo_terms")) return HPO_SRC_TERMS_TSV;
    if (strstr(base, "is_a")) return HPO_SRC_IS_A_TSV;
    if (strstr(base, "disease_to_hpo")) return HPO_SRC_DISEASE_TSV;
    if (strstr(base, "gene_to_hpo") || strstr(base, "genes_to_phenotype")) return HPO_SRC_GENE_TSV;
    if (strstr(base, "mim2gene")) return HPO_SRC_MIM2GENE;
    return -1;
}

/* Reads a whole file, gunzipping when it is gzip (zlib reads plain files as they are). */
static int read_gz(const char *path, char **out, size_t *n, struct gn_err *err)
{
    gzFile z = gzopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (!z) return gn_errf(err, GN_ENOTFOUND, "%s: cannot open", path);
    for (;;) {
        int got;
        if (cap - len < (1u << 20)) {
            size_t nc = cap ? cap * 2 : (4u << 20);
            char *p;
            if (nc > (size_t)HPO_SRC_MAX_FILE + (1u << 20))
                nc = (size_t)HPO_SRC_MAX_FILE + (1u << 20);
            if (nc <= cap || !(p = gn_reallocarray(buf, nc, 1))) {
                gn_free(buf);
                (void)gzclose(z);
                return gn_errf(err, nc <= cap ? GN_ELIMIT : GN_ENOMEM, "%s: larger than %u bytes",
                               path, HPO_SRC_MAX_FILE);
            }
            buf = p;
            cap = nc;
        }
        got = gzread(z, buf + len, (unsigned)(cap - len > (1u << 30) ? (1u << 30) : cap - len));
        if (got < 0) {
            gn_free(buf);
            (void)gzclose(z);
            return gn_errf(err, GN_EIO, "%s: read or decompression error", path);
        }
        if (got == 0) break;
        len += (size_t)got;
    }
    (void)gzclose(z);
    *out = buf;
    *n = len;
    return GN_OK;
}

int hpo_src_add_file(struct hpo_src *s, enum hpo_src_kind kind, const char *path,
                     struct gn_err *err)
{
    char *buf = NULL;
    size_t n = 0;
    int rc;
    if ((rc = read_gz(path, &buf, &n, err)) < 0) return rc;
    rc = hpo_src_add(s, kind, buf, n, path, err);
    gn_free(buf);
    return rc;
}

/* Adds dir/name or dir/name.gz when one exists; returns 1 when added, 0 when absent. */
static int try_add(struct hpo_src *s, const char *dir, const char *name, enum hpo_src_kind k,
                   struct gn_err *err)
{
    char path[4096];
    struct stat st;
    int rc;
    for (int gz = 0; gz < 2; gz++) {
        if (snprintf(path, sizeof path, "%s/%s%s", dir, name, gz ? ".gz" : "") >= (int)sizeof path)
            return gn_errf(err, GN_ELIMIT, "path too long: %s", dir);
        if (stat(path, &st) == 0) {
            if ((rc = hpo_src_add_file(s, k, path, err)) < 0) return rc;
            return 1;
        }
    }
    return 0;
}

int hpo_src_add_dir(struct hpo_src *s, const char *dir, struct gn_err *err)
{
    int rc;
    if ((rc = try_add(s, dir, "hp.json", HPO_SRC_JSON, err)) == 0 &&
        (rc = try_add(s, dir, "hp.obo", HPO_SRC_OBO, err)) == 0) {
        if ((rc = try_add(s, dir, "hpo_terms.tsv", HPO_SRC_TERMS_TSV, err)) < 0) return rc;
        if (rc == 0)
            return gn_errf(err, GN_ENOTFOUND, "%s: no hp.json, hp.obo or hpo_terms.tsv", dir);
        if ((rc = try_add(s, dir, "hpo_is_a.tsv", HPO_SRC_IS_A_TSV, err)) <= 0)
            return rc < 0
                       ? rc
                       : gn_errf(err, GN_ENOTFOUND, "%s: hpo_terms.tsv without hpo_is_a.tsv", dir);
    }
    if (rc < 0) return rc;
    if ((rc = try_add(s, dir, "phenotype.hpoa", HPO_SRC_HPOA, err)) == 0 &&
        (rc = try_add(s, dir, "disease_to_hpo.tsv", HPO_SRC_DISEASE_TSV, err)) == 0)
        return gn_errf(err, GN_ENOTFOUND, "%s: no phenotype.hpoa or disease_to_hpo.tsv", dir);
    if (rc < 0) return rc;
    if ((rc = try_add(s, dir, "genes_to_phenotype.txt", HPO_SRC_GENE_TSV, err)) == 0)
        rc = try_add(s, dir, "gene_to_hpo.tsv", HPO_SRC_GENE_TSV, err);
    if (rc < 0) return rc;
    if ((rc = try_add(s, dir, "mim2gene_medgen", HPO_SRC_MIM2GENE, err)) < 0) return rc;
    return GN_OK;
}

/* ---- build ---------------------------------------------------------------------------- */

struct build {
    const struct hpo_src *s;
    struct hpo *h;
    struct gn_buf str; /* the index's string table: the builder's, then additions */
    struct hpo_src_stats st;
    uint32_t *dis_new; /* builder disease → index disease, HPO_NONE when dropped */
    struct gn_err *err;
};

static int cmp_term(const void *a, const void *b)
{
    const struct src_term *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_pair(const void *a, const void *b)
{
    const struct src_pair *x = a, *y = b;
    if (x->a != y->a) return x->a < y->a ? -1 : 1;
    return x->b < y->b ? -1 : x->b > y->b;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts pairs and removes duplicates; returns the new count. */
static uint32_t sort_unique(struct src_pair *p, uint32_t n)
{
    uint32_t k = 0;
    if (!n) return 0;
    qsort(p, n, sizeof *p, cmp_pair);
    for (uint32_t i = 1; i < n; i++) {
        if (p[i].a != p[k].a || p[i].b != p[k].b) p[++k] = p[i];
    }
    return k + 1;
}

/* A CSR list of n rows from sorted (row, value) pairs. */
static int pairs_to_csr(const struct src_pair *p, uint32_t np, uint32_t n, uint32_t **off,
                        uint32_t **val)
{
    if (!(*off = gn_calloc((size_t)n + 1, sizeof **off)) ||
        !(*val = gn_calloc(np ? np : 1, sizeof **val)))
        return GN_ENOMEM;
    for (uint32_t i = 0; i < np; i++) {
        (*off)[p[i].a + 1]++;
        (*val)[i] = p[i].b;
    }
    for (uint32_t r = 0; r < n; r++)
        (*off)[r + 1] += (*off)[r];
    return GN_OK;
}

static int build_terms(struct build *b)
{
    const struct hpo_src *s = b->s;
    struct hpo *h = b->h;
    struct src_term *t = NULL;
    uint32_t n = 0;
    int rc = GN_ENOMEM;
    if (!s->n_terms) return gn_errf(b->err, GN_EPARSE, "no ontology terms in the inputs");
    if (!(t = gn_reallocarray(NULL, s->n_terms, sizeof *t))) goto fail;
    memcpy(t, s->terms, (size_t)s->n_terms * sizeof *t);
    qsort(t, s->n_terms, sizeof *t, cmp_term);
    for (uint32_t i = 0; i < s->n_terms; i++) { /* duplicates: the later, labelled one wins */
        if (n && t[n - 1].id == t[i].id) {
            if (t[i].label) t[n - 1] = t[i];
        } else {
            t[n++] = t[i];
        }
    }
    h->n_terms = n;
    if (!(h->term_id = gn_calloc(n, sizeof *h->term_id)) ||
        !(h->term_label = gn_calloc(n, sizeof *h->term_label)) ||
        !(h->term_flags = gn_calloc(n, 1)) ||
        !(h->term_repl = gn_calloc(n, sizeof *h->term_repl)) ||
        !(h->term_ndis = gn_calloc(n, sizeof *h->term_ndis)))
        goto fail;
    for (uint32_t i = 0; i < n; i++) {
        h->term_id[i] = t[i].id;
        h->term_label[i] = t[i].label;
        h->term_flags[i] = t[i].obsolete ? HPO_TERM_OBSOLETE : 0;
        b->st.obsolete += t[i].obsolete;
    }
    for (uint32_t i = 0; i < n; i++) {
        h->term_repl[i] = t[i].repl ? hpo_term_index(h, t[i].repl) : HPO_NONE;
        if (h->term_repl[i] == i) h->term_repl[i] = HPO_NONE;
    }
    b->st.terms = n;
    rc = GN_OK;
fail:
    gn_free(t);
    return rc < 0 ? gn_errf(b->err, rc, "HPO terms: %s", gn_strerror(rc)) : rc;
}

static int build_alts(struct build *b)
{
    struct hpo *h = b->h;
    struct src_pair *a = NULL;
    uint32_t n = 0;
    if (!(a = gn_reallocarray(NULL, b->s->n_alts ? b->s->n_alts : 1, sizeof *a)) ||
        !(h->alt_id = gn_calloc(b->s->n_alts ? b->s->n_alts : 1, sizeof *h->alt_id)) ||
        !(h->alt_term = gn_calloc(b->s->n_alts ? b->s->n_alts : 1, sizeof *h->alt_term))) {
        gn_free(a);
        return gn_errf(b->err, GN_ENOMEM, "HPO alternative ids");
    }
    for (uint32_t i = 0; i < b->s->n_alts; i++) {
        uint32_t t = hpo_term_index(h, b->s->alts[i].b);
        if (t == HPO_NONE || hpo_term_index(h, b->s->alts[i].a) != HPO_NONE) continue;
        a[n].a = b->s->alts[i].a;
        a[n++].b = t;
    }
    qsort(a, n, sizeof *a, cmp_pair);
    for (uint32_t i = 0; i < n; i++) { /* an alt id claimed twice: the first term keeps it */
        if (h->n_alt && h->alt_id[h->n_alt - 1] == a[i].a) continue;
        h->alt_id[h->n_alt] = a[i].a;
        h->alt_term[h->n_alt++] = a[i].b;
    }
    b->st.alt_ids = h->n_alt;
    gn_free(a);
    return GN_OK;
}

static int build_parents(struct build *b)
{
    struct hpo *h = b->h;
    struct src_pair *e = gn_reallocarray(NULL, b->s->n_edges ? b->s->n_edges : 1, sizeof *e);
    uint32_t n = 0;
    int rc;
    if (!e) return gn_errf(b->err, GN_ENOMEM, "HPO edges");
    for (uint32_t i = 0; i < b->s->n_edges; i++) {
        uint32_t c = hpo_term_index(h, b->s->edges[i].a), p = hpo_term_index(h, b->s->edges[i].b);
        if (c == HPO_NONE || p == HPO_NONE || c == p) {
            b->st.edges_unknown++;
            continue;
        }
        e[n].a = c;
        e[n++].b = p;
    }
    n = sort_unique(e, n);
    b->st.edges = n;
    rc = pairs_to_csr(e, n, h->n_terms, &h->par_off, &h->par);
    gn_free(e);
    return rc < 0 ? gn_errf(b->err, rc, "HPO edges") : GN_OK;
}

/* Kahn's algorithm over the parent lists: order[] lists every term after its parents.
 * Returns GN_EPARSE (naming a term on the cycle) when the is_a graph is not acyclic. */
static int topo_order(struct build *b, uint32_t *order)
{
    struct hpo *h = b->h;
    uint32_t nt = h->n_terms, head = 0, tail = 0;
    uint32_t *indeg = gn_calloc(nt, sizeof *indeg), *coff = gn_calloc((size_t)nt + 1, sizeof *coff);
    uint32_t *child = gn_calloc(h->par_off[nt] ? h->par_off[nt] : 1, sizeof *child);
    int rc = GN_OK;
    if (!indeg || !coff || !child) {
        rc = gn_errf(b->err, GN_ENOMEM, "HPO closure");
        goto out;
    }
    for (uint32_t t = 0; t < nt; t++) {
        indeg[t] = h->par_off[t + 1] - h->par_off[t];
        for (uint32_t k = h->par_off[t]; k < h->par_off[t + 1]; k++)
            coff[h->par[k] + 1]++;
    }
    for (uint32_t t = 0; t < nt; t++)
        coff[t + 1] += coff[t];
    for (uint32_t t = 0; t < nt; t++) {
        for (uint32_t k = h->par_off[t]; k < h->par_off[t + 1]; k++)
            child[coff[h->par[k]]++] = t;
    }
    for (uint32_t t = nt; t > 0; t--) /* coff[p] now ends p's children: shift back */
        coff[t] = coff[t - 1];
    coff[0] = 0;
    for (uint32_t t = 0; t < nt; t++) {
        if (!indeg[t]) order[tail++] = t;
    }
    while (head < tail) {
        uint32_t p = order[head++];
        for (uint32_t k = coff[p]; k < coff[p + 1]; k++) {
            if (--indeg[child[k]] == 0) order[tail++] = child[k];
        }
    }
    if (tail != nt) {
        uint32_t t = 0;
        while (t < nt && !indeg[t])
            t++;
        rc = gn_errf(b->err, GN_EPARSE, "the is_a graph has a cycle through HP:%07u",
                     t < nt ? h->term_id[t] : 0);
    }
out:
    gn_free(indeg);
    gn_free(coff);
    gn_free(child);
    return rc;
}

/* Each term's ancestors (itself included) = the union of its parents' ancestors. */
static int build_closure(struct build *b)
{
    struct hpo *h = b->h;
    uint32_t nt = h->n_terms, total = 0;
    uint32_t *order = gn_calloc(nt, sizeof *order), *stamp = gn_calloc(nt, sizeof *stamp);
    uint32_t *start = gn_calloc(nt, sizeof *start), *len = gn_calloc(nt, sizeof *len);
    uint32_t *tmp = NULL, cap = 0;
    int rc = GN_ENOMEM;
    if (!order || !stamp || !start || !len) goto fail;
    if ((rc = topo_order(b, order)) < 0) goto fail;
    for (uint32_t i = 0; i < nt; i++) {
        uint32_t t = order[i], n0 = total;
        for (uint32_t k = h->par_off[t]; k <= h->par_off[t + 1]; k++) {
            uint32_t p = k < h->par_off[t + 1] ? h->par[k] : HPO_NONE;
            uint32_t from = p == HPO_NONE ? 0 : start[p], cnt = p == HPO_NONE ? 1 : len[p];
            for (uint32_t j = 0; j < cnt; j++) {
                uint32_t a = p == HPO_NONE ? t : tmp[from + j];
                if (stamp[a] == t + 1) continue;
                stamp[a] = t + 1;
                if ((rc = grow((void **)&tmp, total, &cap, sizeof *tmp, HPO_SRC_MAX_ANC)) < 0)
                    goto fail;
                tmp[total++] = a;
            }
        }
        start[t] = n0;
        len[t] = total - n0;
        qsort(tmp + n0, len[t], sizeof *tmp, cmp_u32);
    }
    rc = GN_ENOMEM;
    if (!(h->anc_off = gn_calloc((size_t)nt + 1, sizeof *h->anc_off)) ||
        !(h->anc = gn_calloc(total ? total : 1, sizeof *h->anc)))
        goto fail;
    for (uint32_t t = 0; t < nt; t++) {
        h->anc_off[t + 1] = h->anc_off[t] + len[t];
        memcpy(h->anc + h->anc_off[t], tmp + start[t], (size_t)len[t] * sizeof *tmp);
    }
    rc = GN_OK;
fail:
    if (rc < 0 && rc != GN_EPARSE) (void)gn_errf(b->err, rc, "HPO closure: %s", gn_strerror(rc));
    gn_free(order);
    gn_free(stamp);
    gn_free(start);
    gn_free(len);
    gn_free(tmp);
    return rc;
}

static void build_flags(struct build *b)
{
    struct hpo *h = b->h;
    uint32_t pheno = hpo_term_index(h, HPO_PHENO_ID);
    for (uint32_t t = 0; t < h->n_terms; t++) {
        int in = pheno == HPO_NONE ? h->term_id[t] != HPO_ROOT_ID : hpo_is_ancestor(h, pheno, t);
        if (in) h->term_flags[t] |= HPO_TERM_PHENO;
    }
}

/* Annotation records resolved to current phenotype terms, for one sort. */
struct rann {
    uint32_t dis, term; /* builder disease, term index */
    uint8_t neg, freq;
};

static int cmp_rann(const void *a, const void *b)
{
    const struct rann *x = a, *y = b;
    if (x->dis != y->dis) return x->dis < y->dis ? -1 : 1;
    if (x->neg != y->neg) return x->neg < y->neg ? -1 : 1;
    return x->term < y->term ? -1 : x->term > y->term;
}

static const struct hpo_src *g_sort_src; /* qsort has no context pointer (C11) */

static int cmp_dis_id(const void *a, const void *b)
{
    const struct hpo_src *s = g_sort_src;
    return strcmp((const char *)s->str.data + s->dis[*(const uint32_t *)a].a,
                  (const char *)s->str.data + s->dis[*(const uint32_t *)b].a);
}

/* Resolves annotation terms, keeps diseases with a phenotype annotation (sorted by id),
 * fills the dt and dn lists and the diseases' onset bands (from their onset terms). */
static int build_annotations(struct build *b, struct rann *r)
{
    const struct hpo_src *s = b->s;
    struct hpo *h = b->h;
    uint32_t n = 0, nd = 0, *keep = NULL, *cur = NULL;
    uint16_t *onset = NULL; /* per builder disease */
    int rc = GN_ENOMEM;
    if (!(onset = gn_calloc(s->n_dis ? s->n_dis : 1, sizeof *onset))) goto fail;
    for (uint32_t i = 0; i < s->n_ann; i++) {
        enum hpo_resolved how;
        uint32_t t = hpo_resolve_id(h, s->ann[i].term, &how);
        uint16_t bands;
        if (t == HPO_NONE) {
            b->st.ann_unknown_term++;
            continue;
        }
        if (!(h->term_flags[t] & HPO_TERM_PHENO)) {
            if (!s->ann[i].neg && (bands = hpo_onset_bands(h, t)) != 0) {
                onset[s->ann[i].dis] |= bands;
                b->st.onset_annotations++;
            } else {
                b->st.ann_not_phenotype++;
            }
            continue;
        }
        b->st.ann_remapped += how != HPO_RESOLVED_CURRENT;
        r[n++] = (struct rann){s->ann[i].dis, t, s->ann[i].neg, s->ann[i].freq};
    }
    qsort(r, n, sizeof *r, cmp_rann);
    if (!(b->dis_new = gn_calloc(s->n_dis ? s->n_dis : 1, sizeof *b->dis_new)) ||
        !(keep = gn_calloc(s->n_dis ? s->n_dis : 1, sizeof *keep)))
        goto fail;
    for (uint32_t d = 0; d < s->n_dis; d++)
        b->dis_new[d] = HPO_NONE;
    for (uint32_t i = 0; i < n; i++) { /* a disease is kept when it has a positive row */
        if (!r[i].neg && (!nd || keep[nd - 1] != r[i].dis)) keep[nd++] = r[i].dis;
    }
    g_sort_src = s;
    qsort(keep, nd, sizeof *keep, cmp_dis_id);
    for (uint32_t d = 0; d < nd; d++)
        b->dis_new[keep[d]] = d;
    h->n_dis = nd;
    if (!(h->dis_id = gn_calloc(nd ? nd : 1, sizeof *h->dis_id)) ||
        !(h->dis_label = gn_calloc(nd ? nd : 1, sizeof *h->dis_label)) ||
        !(h->dt_off = gn_calloc((size_t)nd + 1, sizeof *h->dt_off)) ||
        !(h->dn_off = gn_calloc((size_t)nd + 1, sizeof *h->dn_off)) ||
        !(h->dt_term = gn_calloc(n ? n : 1, sizeof *h->dt_term)) ||
        !(h->dt_freq = gn_calloc(n ? n : 1, 1)) ||
        !(h->dn_term = gn_calloc(n ? n : 1, sizeof *h->dn_term)) ||
        !(h->dis_onset = gn_calloc(nd ? nd : 1, sizeof *h->dis_onset)))
        goto fail;
    for (uint32_t d = 0; d < nd; d++) {
        h->dis_id[d] = s->dis[keep[d]].a;
        h->dis_label[d] = s->dis[keep[d]].b;
        h->dis_onset[d] = onset[keep[d]];
        b->st.with_onset += onset[keep[d]] != 0;
    }
    for (uint32_t i = 0; i < n; i++) { /* r is sorted by builder disease: count per row */
        uint32_t d = b->dis_new[r[i].dis];
        int dup =
            i && r[i - 1].dis == r[i].dis && r[i - 1].neg == r[i].neg && r[i - 1].term == r[i].term;
        if (d == HPO_NONE || dup) continue;
        (r[i].neg ? h->dn_off : h->dt_off)[d + 1]++;
    }
    for (uint32_t d = 0; d < nd; d++) {
        h->dt_off[d + 1] += h->dt_off[d];
        h->dn_off[d + 1] += h->dn_off[d];
    }
    if (!(cur = gn_calloc((size_t)nd * 2 + 1, sizeof *cur))) goto fail;
    for (uint32_t d = 0; d < nd; d++) {
        cur[2 * d] = h->dt_off[d];
        cur[2 * d + 1] = h->dn_off[d];
    }
    for (uint32_t i = 0; i < n; i++) { /* within a disease r is sorted by (neg, term) */
        uint32_t d = b->dis_new[r[i].dis];
        int dup =
            i && r[i - 1].dis == r[i].dis && r[i - 1].neg == r[i].neg && r[i - 1].term == r[i].term;
        if (d == HPO_NONE) continue;
        if (r[i].neg) {
            if (!dup) h->dn_term[cur[2 * d + 1]++] = r[i].term;
            continue;
        }
        if (!dup) {
            h->dt_term[cur[2 * d]] = r[i].term;
            h->dt_freq[cur[2 * d]++] = r[i].freq;
        } else if (r[i].freq != HPO_FREQ_UNKNOWN) { /* known beats unknown, then the larger */
            uint8_t *f = &h->dt_freq[cur[2 * d] - 1];
            if (*f == HPO_FREQ_UNKNOWN || r[i].freq > *f) *f = r[i].freq;
        }
    }
    for (uint32_t k = 0; k < h->dt_off[nd]; k++)
        b->st.with_frequency += h->dt_freq[k] != HPO_FREQ_UNKNOWN;
    b->st.diseases = nd;
    b->st.annotations = h->dt_off[nd];
    b->st.not_annotations = h->dn_off[nd];
    rc = GN_OK;
fail:
    gn_free(keep);
    gn_free(cur);
    gn_free(onset);
    return rc < 0 ? gn_errf(b->err, rc, "HPO annotations") : rc;
}

static const char *g_sort_str; /* string blob for cmp_gene_sym */

static int cmp_gene_sym(const void *a, const void *b)
{
    const struct src_pair *x = a, *y = b; /* (ncbi, symbol offset) */
    int c = strcmp(g_sort_str + x->b, g_sort_str + y->b);
    if (c) return c;
    return x->a < y->a ? -1 : x->a > y->a;
}

static uint32_t gene_of(const struct src_pair *by_ncbi, uint32_t n, uint32_t ncbi)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (by_ncbi[mid].a < ncbi)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && by_ncbi[lo].a == ncbi ? by_ncbi[lo].b : HPO_NONE;
}

/* The gene table: every NCBI gene named by any input, with its symbol (or "NCBIGene:ID"),
 * sorted by symbol; by_ncbi receives (ncbi, gene index) sorted by ncbi. */
static int build_gene_table(struct build *b, struct src_pair *g, struct src_pair *by_ncbi,
                            uint32_t *ng)
{
    const struct hpo_src *s = b->s;
    uint32_t n = 0, k = 0;
    int rc;
    for (uint32_t i = 0; i < s->n_gsym; i++)
        g[n++] = s->gsym[i];
    for (uint32_t i = 0; i < s->n_dgenes; i++)
        g[n++] = (struct src_pair){s->dgenes[i].b, 0};
    for (uint32_t i = 0; i < s->n_mim; i++)
        g[n++] = (struct src_pair){s->mim[i].b, 0};
    for (uint32_t i = 0; i < s->n_gterm; i++)
        g[n++] = (struct src_pair){s->gterm[i].a, 0};
    qsort(g, n, sizeof *g, cmp_pair); /* by ncbi, then offset: a real symbol (> 0) last */
    for (uint32_t i = 0; i < n; i++) {
        if (k && g[k - 1].a == g[i].a) {
            if (!g[k - 1].b) g[k - 1].b = g[i].b;
            continue;
        }
        g[k++] = g[i];
    }
    g_sort_str = (const char *)b->str.data;
    for (int pass = 0; pass < 2; pass++) {
        uint32_t prev = 0;                 /* the previous entry's symbol before any renaming */
        for (uint32_t i = 0; i < k; i++) { /* no symbol, or one already taken */
            uint32_t cur = g[i].b;
            int dup = pass && i && !strcmp(g_sort_str + prev, g_sort_str + cur);
            prev = cur;
            if (cur && !dup) continue;
            char name[32];
            int len = snprintf(name, sizeof name, "NCBIGene:%u", g[i].a);
            g[i].b = (uint32_t)b->str.len;
            if ((rc = gn_buf_append(&b->str, name, (size_t)len + 1)) < 0) return rc;
            g_sort_str = (const char *)b->str.data;
        }
        qsort(g, k, sizeof *g, cmp_gene_sym);
    }
    for (uint32_t i = 0; i < k; i++)
        by_ncbi[i] = (struct src_pair){g[i].a, i};
    qsort(by_ncbi, k, sizeof *by_ncbi, cmp_pair);
    *ng = k;
    return GN_OK;
}

static int build_genes(struct build *b)
{
    const struct hpo_src *s = b->s;
    struct hpo *h = b->h;
    size_t cap = (size_t)s->n_gsym + s->n_dgenes + s->n_mim + s->n_gterm + 1;
    struct src_pair *g = gn_reallocarray(NULL, cap, sizeof *g);
    struct src_pair *by = gn_reallocarray(NULL, cap, sizeof *by), *p = NULL;
    uint32_t ng = 0, np = 0;
    int rc = GN_ENOMEM;
    if (!g || !by || !(p = gn_reallocarray(NULL, cap, sizeof *p))) goto fail;
    if ((rc = build_gene_table(b, g, by, &ng)) < 0) goto fail;
    h->n_genes = ng;
    rc = GN_ENOMEM;
    if (!(h->gene_ncbi = gn_calloc(ng ? ng : 1, sizeof *h->gene_ncbi)) ||
        !(h->gene_sym = gn_calloc(ng ? ng : 1, sizeof *h->gene_sym)))
        goto fail;
    for (uint32_t i = 0; i < ng; i++) {
        h->gene_ncbi[i] = g[i].a;
        h->gene_sym[i] = g[i].b;
    }
    for (uint32_t i = 0; i < s->n_dgenes; i++) {
        uint32_t d = b->dis_new[s->dgenes[i].a];
        if (d != HPO_NONE) p[np++] = (struct src_pair){d, gene_of(by, ng, s->dgenes[i].b)};
    }
    for (uint32_t i = 0; i < s->n_mim; i++) {
        char id[32];
        uint32_t sd;
        int len = snprintf(id, sizeof id, "OMIM:%u", s->mim[i].a);
        if (!disease_lookup(s, id, (size_t)len, &sd) || b->dis_new[sd] == HPO_NONE) {
            b->st.mim_without_disease++;
            continue;
        }
        p[np++] = (struct src_pair){b->dis_new[sd], gene_of(by, ng, s->mim[i].b)};
    }
    np = sort_unique(p, np);
    b->st.disease_genes = np;
    if ((rc = pairs_to_csr(p, np, h->n_dis, &h->dg_off, &h->dg_gene)) < 0) goto fail;
    np = 0;
    for (uint32_t i = 0; i < s->n_gterm; i++) {
        enum hpo_resolved how;
        uint32_t t = hpo_resolve_id(h, s->gterm[i].b, &how);
        if (t != HPO_NONE) p[np++] = (struct src_pair){gene_of(by, ng, s->gterm[i].a), t};
    }
    np = sort_unique(p, np);
    b->st.gene_terms = np;
    b->st.genes = ng;
    rc = pairs_to_csr(p, np, ng, &h->gt_off, &h->gt_term);
fail:
    gn_free(g);
    gn_free(by);
    gn_free(p);
    return rc < 0 ? gn_errf(b->err, rc, "HPO genes: %s", gn_strerror(rc)) : GN_OK;
}

/* term_ndis: the diseases annotated with each term or a descendant. */
static int build_ndis(struct build *b)
{
    struct hpo *h = b->h;
    uint32_t *stamp = gn_calloc(h->n_terms, sizeof *stamp);
    if (!stamp) return gn_errf(b->err, GN_ENOMEM, "HPO term counts");
    for (uint32_t d = 0; d < h->n_dis; d++) {
        for (uint32_t k = h->dt_off[d]; k < h->dt_off[d + 1]; k++) {
            uint32_t t = h->dt_term[k];
            for (uint32_t j = h->anc_off[t]; j < h->anc_off[t + 1]; j++) {
                if (stamp[h->anc[j]] == d + 1) continue;
                stamp[h->anc[j]] = d + 1;
                h->term_ndis[h->anc[j]]++;
            }
        }
    }
    gn_free(stamp);
    return GN_OK;
}

static int build_strings(struct build *b)
{
    const struct hpo_src *s = b->s;
    char src[512];
    const char *v = s->onto_version[0]  ? s->onto_version
                    : s->ann_version[0] ? s->ann_version
                                        : "unknown";
    int rc;
    b->h->version = (uint32_t)b->str.len;
    if ((rc = gn_buf_append(&b->str, v, strlen(v) + 1)) < 0) return rc;
    (void)snprintf(src, sizeof src, "%s; ontology %s, annotations %s", s->source,
                   s->onto_version[0] ? s->onto_version : "unknown",
                   s->ann_version[0] ? s->ann_version : "unknown");
    b->h->source = (uint32_t)b->str.len;
    if ((rc = gn_buf_append(&b->str, src, strlen(src) + 1)) < 0) return rc;
    b->h->strings_len = (uint32_t)b->str.len;
    b->h->strings = (char *)b->str.data;
    b->str.data = NULL;
    return GN_OK;
}

int hpo_src_build(const struct hpo_src *s, struct hpo **out, struct hpo_src_stats *stats,
                  struct gn_err *err)
{
    struct build b;
    struct rann *r = NULL;
    int rc;

    memset(&b, 0, sizeof b);
    b.s = s;
    b.err = err;
    *out = NULL;
    gn_buf_init(&b.str, HPO_SRC_MAX_STRINGS + (1u << 20));
    if (!(b.h = gn_calloc(1, sizeof *b.h)) || gn_buf_append(&b.str, s->str.data, s->str.len) < 0 ||
        !(r = gn_calloc(s->n_ann ? s->n_ann : 1, sizeof *r))) {
        rc = gn_errf(err, GN_ENOMEM, "HPO build");
        goto fail;
    }
    if ((rc = build_terms(&b)) < 0 || (rc = build_alts(&b)) < 0 || (rc = build_parents(&b)) < 0 ||
        (rc = build_closure(&b)) < 0)
        goto fail;
    build_flags(&b);
    if ((rc = build_annotations(&b, r)) < 0 || (rc = build_genes(&b)) < 0 ||
        (rc = build_ndis(&b)) < 0)
        goto fail;
    if ((rc = build_strings(&b)) < 0) {
        rc = gn_errf(err, rc, "HPO string table");
        goto fail;
    }
    if ((rc = hpo_finish(b.h, err)) < 0) goto fail;
    if (stats) *stats = b.st;
    *out = b.h;
    b.h = NULL;
fail:
    hpo_free(b.h);
    gn_buf_free(&b.str);
    gn_free(b.dis_new);
    gn_free(r);
    return rc < 0 ? rc : GN_OK;
}
