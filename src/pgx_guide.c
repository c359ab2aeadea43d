/*
 * pgx_guide.c — the recommendation tables and the drug check.
 *
 * The document is parsed once by jansson, every key the lookup reads is type-checked and
 * bounded, and the drugs and rows are indexed into C arrays whose strings point into the
 * parsed document (kept alive, immutable; jansson reads do not touch reference counts, so
 * concurrent answers are safe). A row's key stays a jansson object: keys have one or two
 * genes and a handful of values, so a linear look is cheaper than building sets.
 *
 * The answer rule (header) is deliberately asymmetric: a recommendation to change that
 * follows from the genes that are known stands even when another gene of the guideline is
 * unknown, but "consistent" is only said when every gene of the guideline has a determinate
 * result — a missing gene can only ever turn a standard answer into a change.
 */
#include "pgx_guide.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

#define MAX_DRUG_GENES 8u
#define MAX_TEXTS      65536u
#define MAX_KEY_VALUES 64u

struct row {
    json_t *key; /* gene → [values], checked (not modified) */
    const char *text, *strength, *population;
    enum pgx_change change;
};

struct drug {
    const char *drug, *source, *guideline, *url;
    int by_function; /* DPWG rows: allele-function pairs */
    const char *genes[MAX_DRUG_GENES];
    uint32_t n_genes;
    struct row *rows;
    uint32_t n_rows;
};

struct pgx_guides {
    json_t *doc;
    struct drug *drugs;
    uint32_t n;
};

void pgx_guides_free(struct pgx_guides *g)
{
    if (!g) return;
    for (uint32_t i = 0; g->drugs && i < g->n; i++)
        gn_free(g->drugs[i].rows);
    gn_free(g->drugs);
    json_decref(g->doc);
    gn_free(g);
}

static const char *str_field(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* A row key: a non-empty object of gene → non-empty array of strings. */
static int check_key(json_t *key)
{
    const char *gene;
    json_t *vals;
    if (!json_is_object(key) || !json_object_size(key) || json_object_size(key) > MAX_DRUG_GENES)
        return 0;
    json_object_foreach(key, gene, vals)
    {
        if (!json_is_array(vals) || !json_array_size(vals) ||
            json_array_size(vals) > MAX_KEY_VALUES)
            return 0;
        for (size_t j = 0; j < json_array_size(vals); j++) {
            if (!json_is_string(json_array_get(vals, j))) return 0;
        }
    }
    return 1;
}

static int parse_row(const json_t *r, const json_t *texts, struct row *out)
{
    const json_t *ti = json_array_get(r, 1), *ch = json_array_get(r, 4);
    if (!json_is_array(r) || json_array_size(r) != 5 || !check_key(json_array_get(r, 0)) ||
        !json_is_integer(ti) || json_integer_value(ti) < 0 ||
        (size_t)json_integer_value(ti) >= json_array_size(texts) ||
        !json_is_string(json_array_get(r, 2)) || !json_is_string(json_array_get(r, 3)) ||
        !json_is_integer(ch) || json_integer_value(ch) < 0 || json_integer_value(ch) > 2)
        return 0;
    out->key = json_array_get(r, 0);
    out->text = json_string_value(json_array_get(texts, (size_t)json_integer_value(ti)));
    out->strength = json_string_value(json_array_get(r, 2));
    out->population = json_string_value(json_array_get(r, 3));
    out->change = (enum pgx_change)json_integer_value(ch);
    return 1;
}

static int parse_drug(const json_t *o, const json_t *texts, struct drug *d, struct gn_err *err)
{
    const json_t *genes = json_object_get(o, "genes"), *recs = json_object_get(o, "recs");
    const char *match = str_field(o, "match");
    memset(d, 0, sizeof *d);
    d->drug = str_field(o, "drug");
    d->source = str_field(o, "source");
    d->guideline = str_field(o, "guideline");
    d->url = str_field(o, "url");
    if (!d->drug || !d->source || !d->guideline || !d->url || !match ||
        (strcmp(match, "lookup") && strcmp(match, "function")))
        return gn_errf(err, GN_EPARSE, "drug %s: drug/source/guideline/url/match missing",
                       d->drug ? d->drug : "?");
    d->by_function = !strcmp(match, "function");
    if (!json_is_array(genes) || json_array_size(genes) > MAX_DRUG_GENES)
        return gn_errf(err, GN_EPARSE, "drug %s: \"genes\" not an array of at most %u", d->drug,
                       MAX_DRUG_GENES);
    for (size_t k = 0; k < json_array_size(genes); k++) {
        if (!(d->genes[k] = json_string_value(json_array_get(genes, k))))
            return gn_errf(err, GN_EPARSE, "drug %s: gene %zu not a string", d->drug, k);
    }
    d->n_genes = (uint32_t)json_array_size(genes);
    if (!json_is_array(recs) || json_array_size(recs) > PGX_GUIDE_MAX_ROWS)
        return gn_errf(err, GN_EPARSE, "drug %s: \"recs\" not an array of at most %u rows", d->drug,
                       PGX_GUIDE_MAX_ROWS);
    if (json_array_size(recs) && !(d->rows = gn_calloc(json_array_size(recs), sizeof *d->rows)))
        return gn_errf(err, GN_ENOMEM, "out of memory");
    for (size_t k = 0; k < json_array_size(recs); k++, d->n_rows++) {
        if (!parse_row(json_array_get(recs, k), texts, &d->rows[k]))
            return gn_errf(err, GN_EPARSE, "drug %s (%s): row %zu malformed", d->drug, d->source,
                           k);
    }
    return GN_OK;
}

int pgx_guides_parse(const char *json, size_t len, struct pgx_guides **out, struct gn_err *err)
{
    struct pgx_guides *g = NULL;
    const json_t *texts, *drugs, *fv;
    json_error_t je;
    int rc;
    *out = NULL;
    if (len > PGX_GUIDE_MAX_BYTES)
        return gn_errf(err, GN_ELIMIT, "guidelines larger than %u bytes", PGX_GUIDE_MAX_BYTES);
    if (!(g = gn_calloc(1, sizeof *g))) return gn_errf(err, GN_ENOMEM, "out of memory");
    if (!(g->doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je))) {
        rc = gn_errf(err, GN_EPARSE, "line %d: %s", je.line, je.text);
        goto fail;
    }
    fv = json_object_get(g->doc, "formatVersion");
    texts = json_object_get(g->doc, "texts");
    drugs = json_object_get(g->doc, "drugs");
    if (!json_is_integer(fv) || json_integer_value(fv) != 1) {
        rc = gn_errf(err, GN_EPARSE, "\"formatVersion\" is not 1");
        goto fail;
    }
    if (!json_is_array(texts) || json_array_size(texts) > MAX_TEXTS || !json_is_array(drugs) ||
        json_array_size(drugs) > PGX_GUIDE_MAX_DRUGS) {
        rc = gn_errf(err, GN_EPARSE, "\"texts\"/\"drugs\" missing or too long");
        goto fail;
    }
    for (size_t k = 0; k < json_array_size(texts); k++) {
        if (!json_is_string(json_array_get(texts, k))) {
            rc = gn_errf(err, GN_EPARSE, "text %zu is not a string", k);
            goto fail;
        }
    }
    if (!json_is_object(json_object_get(g->doc, "sources"))) {
        rc = gn_errf(err, GN_EPARSE, "\"sources\" missing");
        goto fail;
    }
    if (json_array_size(drugs) &&
        !(g->drugs = gn_calloc(json_array_size(drugs), sizeof *g->drugs))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t k = 0; k < json_array_size(drugs); k++) {
        g->n++; /* counted first so that pgx_guides_free() frees a half-parsed drug */
        if ((rc = parse_drug(json_array_get(drugs, k), texts, &g->drugs[k], err)) < 0) goto fail;
    }
    *out = g;
    return GN_OK;
fail:
    pgx_guides_free(g);
    return rc;
}

int pgx_guides_load(const char *path, struct pgx_guides **out, struct gn_err *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len;
    int rc;
    *out = NULL;
    if (!f) return gn_errf(err, gn_err_from_errno(errno), "%s: %s", path, strerror(errno));
    if (!(buf = gn_malloc(PGX_GUIDE_MAX_BYTES + 1))) {
        fclose(f);
        return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    len = fread(buf, 1, PGX_GUIDE_MAX_BYTES + 1, f);
    rc = ferror(f) ? GN_EIO : GN_OK;
    fclose(f);
    if (rc < 0)
        rc = gn_errf(err, rc, "%s: read error", path);
    else if ((rc = pgx_guides_parse(buf, len, out, err)) < 0)
        rc = gn_err_prefix(err, rc, "%s", path);
    gn_free(buf);
    return rc;
}

const char *pgx_guides_version(const struct pgx_guides *g, const char *source)
{
    return str_field(json_object_get(json_object_get(g->doc, "sources"), source), "version");
}

uint32_t pgx_guides_count(const struct pgx_guides *g)
{
    return g ? g->n : 0;
}

const char *pgx_guides_drug(const struct pgx_guides *g, uint32_t i)
{
    return i < g->n ? g->drugs[i].drug : NULL;
}

uint32_t pgx_guides_n_genes(const struct pgx_guides *g, uint32_t i)
{
    return i < g->n ? g->drugs[i].n_genes : 0;
}

const char *pgx_guides_gene(const struct pgx_guides *g, uint32_t i, uint32_t k)
{
    return i < g->n && k < g->drugs[i].n_genes ? g->drugs[i].genes[k] : NULL;
}

struct seen_values {
    const char *v[256];
    uint32_t n;
};

/* Calls fn for each value of vals not seen before; returns 0 once the set is full. */
static int each_new_value(struct seen_values *seen, const json_t *vals,
                          void (*fn)(const char *value, void *arg), void *arg)
{
    for (size_t j = 0; j < json_array_size(vals); j++) {
        const char *v = json_string_value(json_array_get(vals, j));
        uint32_t s;
        for (s = 0; s < seen->n && strcmp(seen->v[s], v) != 0; s++) {
        }
        if (s < seen->n) continue;
        if (seen->n == sizeof seen->v / sizeof *seen->v) return 0;
        seen->v[seen->n++] = v;
        fn(v, arg);
    }
    return 1;
}

uint32_t pgx_guides_values(const struct pgx_guides *g, const char *gene,
                           void (*fn)(const char *value, void *arg), void *arg)
{
    struct seen_values seen;
    seen.n = 0;
    for (uint32_t i = 0; i < g->n; i++) {
        for (uint32_t r = 0; r < g->drugs[i].n_rows; r++) {
            if (!each_new_value(&seen, json_object_get(g->drugs[i].rows[r].key, gene), fn, arg))
                return seen.n;
        }
    }
    return seen.n;
}

const char *pgx_answer_name(enum pgx_answer a)
{
    return a == PGX_ANSWER_CONSISTENT ? "consistent"
           : a == PGX_ANSWER_CHANGE   ? "change recommended"
                                      : "indeterminate";
}

static const struct pgx_guide_gene *find_gene(const struct pgx_guide_gene *genes, uint32_t n,
                                              const char *name)
{
    for (uint32_t k = 0; k < n; k++) {
        if (genes[k].gene && !strcmp(genes[k].gene, name)) return &genes[k];
    }
    return NULL;
}

static int in_values(const json_t *vals, const char *v)
{
    for (size_t j = 0; v && j < json_array_size(vals); j++) {
        if (!strcmp(json_string_value(json_array_get(vals, j)), v)) return 1;
    }
    return 0;
}

/* "≥3.25"-style key accepted by a score (hundredths) when the threshold is at most it. */
static int geq_accepts(const char *v, int x100)
{
    static const char geq[] = "\xe2\x89\xa5"; /* U+2265 in UTF-8 */
    int whole = 0, frac = 0, nd = 0;
    if (strncmp(v, geq, 3)) return 0;
    for (v += 3; *v >= '0' && *v <= '9' && whole < 1000; v++)
        whole = whole * 10 + (*v - '0');
    if (*v == '.') {
        for (v++; *v >= '0' && *v <= '9' && nd < 2; v++, nd++)
            frac = frac * 10 + (*v - '0');
    }
    if (*v) return 0;
    return whole * 100 + (nd == 1 ? frac * 10 : frac) <= x100;
}

/* Whether patient gene p (NULL: absent) has one of vals. Pass: for lookup rows, 1 also
 * accepts "≥x" keys; for function rows, the index of the function pair tried. */
static int gene_matches(const struct drug *d, const struct pgx_guide_gene *p, const json_t *vals,
                        int pass)
{
    int geq = pass == 1;
    if (d->by_function)
        return p && p->known && (uint32_t)pass < p->n_functions &&
               in_values(vals, p->functions[pass]);
    if (!p || !p->known) return in_values(vals, "No Result");
    for (uint32_t k = 0; k < p->n_keys; k++) {
        if (in_values(vals, p->keys[k])) return 1;
    }
    if (geq && p->has_activity && p->activity_x100 >= 300) {
        for (size_t j = 0; j < json_array_size(vals); j++) {
            if (geq_accepts(json_string_value(json_array_get(vals, j)), p->activity_x100)) return 1;
        }
    }
    return 0;
}

static int row_applies(const struct drug *d, const struct row *r,
                       const struct pgx_guide_gene *genes, uint32_t n, int pass)
{
    const char *gene;
    json_t *vals;
    json_object_foreach(r->key, gene, vals)
    {
        if (!gene_matches(d, find_gene(genes, n, gene), vals, pass)) return 0;
    }
    return 1;
}

static void add_hit(struct pgx_guide_answer *out, const struct row *r)
{
    for (uint32_t h = 0; h < out->n_hits; h++) { /* same advice for another key: once */
        if (!strcmp(out->hits[h].text, r->text) && !strcmp(out->hits[h].population, r->population))
            return;
    }
    if (out->n_hits == PGX_GUIDE_MAX_HITS) return;
    out->hits[out->n_hits].text = r->text;
    out->hits[out->n_hits].strength = r->strength;
    out->hits[out->n_hits].population = r->population;
    out->hits[out->n_hits].change = r->change;
    out->n_hits++;
}

/* Appends one clause to out->why ("; " between clauses; silently cut when full). */
static void why_add(struct pgx_guide_answer *out, const char *clause)
{
    size_t used = strlen(out->why), n = strlen(clause);
    if (used + 8 >= sizeof out->why) return;
    if (used) {
        memcpy(out->why + used, "; ", 2);
        used += 2;
    }
    if (n > sizeof out->why - used - 1) n = sizeof out->why - used - 1;
    memcpy(out->why + used, clause, n);
    out->why[used + n] = 0;
}

/* The patient's result for gene as said in a why ("CYP2C19 Poor Metabolizer", "CYP2D6
 * activity score 1.0", "HLA-B *58:01 negative"): the patient's value that row r accepts,
 * else the first. Written into buf. */
static const char *result_text(const struct drug *d, const struct pgx_guide_gene *p,
                               const struct row *r, const char *gene, char *buf, size_t n)
{
    const char *v = NULL;
    const json_t *vals = r ? json_object_get(r->key, gene) : NULL;
    if (!p || !p->known) return "no result";
    if (d->by_function) {
        for (uint32_t k = 0; k < p->n_functions && !v; k++) {
            if (in_values(vals, p->functions[k])) v = p->functions[k];
        }
        return v ? v : p->n_functions ? p->functions[p->n_functions - 1] : "no allele functions";
    }
    for (uint32_t k = 0; k < p->n_keys && !v; k++) {
        if (in_values(vals, p->keys[k])) v = p->keys[k];
    }
    if (!v) v = p->n_keys && p->keys[0] ? p->keys[0] : "no result";
    (void)snprintf(buf, n, "%s%s", p->has_activity || !strcmp(v, "n/a") ? "activity score " : "",
                   v);
    return buf;
}

/* Genes of the guideline whose result is missing or not determinate; returns how many. */
static int note_unknown(const struct drug *d, const struct pgx_guide_gene *genes, uint32_t n,
                        struct pgx_guide_answer *out)
{
    int bad = 0;
    for (uint32_t k = 0; k < d->n_genes; k++) {
        const struct pgx_guide_gene *p = find_gene(genes, n, d->genes[k]);
        char c[PGX_GUIDE_WHY];
        if (!p || !p->known) {
            (void)snprintf(c, sizeof c, "%s: no result (%s)", d->genes[k],
                           p && p->why ? p->why : "not called and no outside call");
        } else if (d->by_function && !p->n_functions) {
            (void)snprintf(c, sizeof c, "%s: %s", d->genes[k],
                           p->fn_why ? p->fn_why
                           : !p->determinate && p->why
                               ? p->why
                               : "DPWG rows need allele functions; no diplotype");
        } else if (!p->determinate && !d->by_function) {
            char b[256];
            (void)snprintf(c, sizeof c, "%s: result not determinate (%s)", d->genes[k],
                           p->why ? p->why : result_text(d, p, NULL, d->genes[k], b, sizeof b));
        } else {
            continue;
        }
        why_add(out, c);
        bad++;
    }
    return bad;
}

void pgx_guide_answer(const struct pgx_guides *g, uint32_t i, const struct pgx_guide_gene *genes,
                      uint32_t n, struct pgx_guide_answer *out)
{
    const struct drug *d = &g->drugs[i];
    int any_change = 0, any_standard = 0, bad;
    const struct row *first = NULL;
    memset(out, 0, sizeof *out);
    out->drug = d->drug;
    out->source = d->source;
    out->guideline = d->guideline;
    out->url = d->url;
    for (int pass = 0; pass < (d->by_function ? 4 : 2) && !out->n_hits; pass++) {
        for (uint32_t r = 0; r < d->n_rows; r++) {
            if (!row_applies(d, &d->rows[r], genes, n, pass)) continue;
            add_hit(out, &d->rows[r]);
            if (!first) first = &d->rows[r];
        }
    }
    for (uint32_t h = 0; h < out->n_hits; h++) {
        any_change |= out->hits[h].change == PGX_ROW_CHANGE;
        any_standard |= out->hits[h].change == PGX_ROW_STANDARD;
    }
    for (uint32_t k = 0; k < d->n_genes && out->n_hits; k++) {
        char c[PGX_GUIDE_WHY], b[256];
        (void)snprintf(
            c, sizeof c, "%s %s", d->genes[k],
            result_text(d, find_gene(genes, n, d->genes[k]), first, d->genes[k], b, sizeof b));
        why_add(out, c);
    }
    if (any_change) {
        out->answer = PGX_ANSWER_CHANGE;
        why_add(out, "the guideline recommends a change from standard prescribing");
        (void)note_unknown(d, genes, n, out);
        return;
    }
    if (out->n_hits)
        why_add(out, any_standard ? "the guideline's recommendation is standard prescribing"
                                  : "the guideline makes no genotype-based recommendation");
    bad = note_unknown(d, genes, n, out);
    if (!out->n_hits && !bad) why_add(out, "no recommendation row matches these results");
    out->answer = out->n_hits && !bad ? PGX_ANSWER_CONSISTENT : PGX_ANSWER_INDETERMINATE;
}
