/*
 * beacon_req.c — GA4GH Beacon v2 request parsing and normalisation.
 *
 * Design. Every request parameter has one id (enum param) and one setter for text (query
 * string values, and JSON strings) and one for JSON values; GET and POST therefore share
 * all validation, and a parameter means the same wherever it appears. The sources are
 * read in a fixed order: path, query string, body. A parse context remembers which
 * parameters were set so that one given twice (query string and body, or flat and inside
 * "g_variant") is GN_EINVAL instead of a silent override; only list parameters (filters,
 * datasetIds, requestedSchemas) accumulate, and start/end may repeat inside the query
 * string (start=1&start=5).
 *
 * Untrusted input is bounded before it is looked at: body size (BEACON_REQ_MAX_BODY) and
 * JSON nesting (BEACON_REQ_MAX_DEPTH, checked by a byte scan before jansson sees the
 * text), path and query-string length, parameter count, and every string and list (the
 * BEACON_REQ_MAX_* limits). Query-string text is checked for NUL bytes and UTF-8 validity,
 * so every stored string can later be put into JSON. Names quoted in messages and
 * warnings go through strparse_quote(), so no control byte reaches a log or a response.
 *
 * Normalisation rules (what the handler may rely on):
 *  - requestedGranularity defaults to boolean, includeResultsetResponses to HIT, skip to 0,
 *    limit to 10, testMode to false (the schema defaults). Enum values are matched
 *    without regard to case. limit 0 ("all, or the maximum allowed", per the schema) and
 *    limits above BEACON_REQ_LIMIT_MAX become BEACON_REQ_LIMIT_MAX (the latter with a
 *    warning: the GDI portal asks for 100000); skip above BEACON_REQ_SKIP_MAX is refused
 *    because clamping it would silently return another page.
 *  - Integers may be JSON integers or decimal strings; JSON reals are refused. start and
 *    end take one or two values each, 0 <= v <= BEACON_REQ_MAX_POS, 0-based as sent
 *    (no coordinate shift happens here).
 *  - referenceBases/alternateBases are upper-cased and must match the schema's
 *    [ACGTUNRYSWKMBDHV.-]*. Other strings are kept as sent; in the query string an empty
 *    value means "not given" (HTML forms send empty fields), except for the bases, where
 *    "" is meaningful. In JSON, null means "not given".
 *  - Filters: a string is a term filter; an object with a value is alphanumeric
 *    (operator defaulting to "="); an object without value is a term filter.
 *  - The variant query is classified (beacon_req_variant_classify) after all sources are
 *    read:
 *      nothing given                                -> NONE
 *      genomicAlleleShortForm                       -> ALLELE (no start/end/geneId with it)
 *      geneId                                       -> GENE (no start/end with it)
 *      aminoacidChange without start                -> AMINOACID
 *      start[1], no end                             -> SEQUENCE: referenceName,
 *                                                      referenceBases and alternateBases
 *                                                      required, not both empty
 *      start[1], end[1]                             -> RANGE: referenceName; start <= end
 *      start[2], end[2]                             -> BRACKET: referenceName;
 *                                                      start[0] <= start[1], end[0] <= end[1],
 *                                                      start[0] <= end[1]
 *      anything else (end without start, one start with two ends, variantType alone...)
 *                                                   -> GN_EINVAL naming what is missing
 *    and variantMinLength <= variantMaxLength when both are given.
 */
#include "beacon_req.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "strparse.h"

/* ---- parameters --------------------------------------------------------------------- */

enum param {
    P_START,
    P_END,
    P_ASSEMBLY,
    P_REFNAME,
    P_REFBASES,
    P_ALTBASES,
    P_VTYPE,
    P_GENE,
    P_AA,
    P_ALLELE,
    P_MATE,
    P_MINLEN,
    P_MAXLEN, /* P_START..P_MAXLEN are the g_variant request parameters */
    P_SKIP,
    P_LIMIT,
    P_GRAN,
    P_RESULTSETS,
    P_TESTMODE,
    P_APIVERSION,
    P_SCHEMA,
    P_FILTERS,
    P_DATASETS,
    N_PARAMS
};

#define W_GET     1 /* a query-string name */
#define W_VARIANT 2 /* a g_variant request parameter name in JSON */

/* Names as the spec spells them; "geneid" and "allele" are the GET names of the default
 * model's endpoints.json, which disagree with the documentation's geneId and
 * genomicAlleleShortForm, so both are accepted. The first N_PARAMS entries are in enum
 * order, so pnames[p].name is the canonical name of parameter p. */
static const struct pname {
    const char *name;
    uint8_t p;
    uint8_t where;
} pnames[] = {
    {"start", P_START, W_GET | W_VARIANT},
    {"end", P_END, W_GET | W_VARIANT},
    {"assemblyId", P_ASSEMBLY, W_GET | W_VARIANT},
    {"referenceName", P_REFNAME, W_GET | W_VARIANT},
    {"referenceBases", P_REFBASES, W_GET | W_VARIANT},
    {"alternateBases", P_ALTBASES, W_GET | W_VARIANT},
    {"variantType", P_VTYPE, W_GET | W_VARIANT},
    {"geneId", P_GENE, W_GET | W_VARIANT},
    {"aminoacidChange", P_AA, W_GET | W_VARIANT},
    {"genomicAlleleShortForm", P_ALLELE, W_GET | W_VARIANT},
    {"mateName", P_MATE, W_GET | W_VARIANT},
    {"variantMinLength", P_MINLEN, W_GET | W_VARIANT},
    {"variantMaxLength", P_MAXLEN, W_GET | W_VARIANT},
    {"skip", P_SKIP, W_GET},
    {"limit", P_LIMIT, W_GET},
    {"requestedGranularity", P_GRAN, W_GET},
    {"includeResultsetResponses", P_RESULTSETS, W_GET},
    {"testMode", P_TESTMODE, W_GET},
    {"apiVersion", P_APIVERSION, W_GET},
    {"requestedSchema", P_SCHEMA, W_GET},
    {"filters", P_FILTERS, W_GET},
    {"datasetIds", P_DATASETS, W_GET},
    {"geneid", P_GENE, W_GET},
    {"allele", P_ALLELE, W_GET},
};

#define N_PNAMES (sizeof pnames / sizeof pnames[0])

/* The parameter named by the n bytes at s in the given namespace (W_GET or W_VARIANT), or
 * -1. Names are case-sensitive, as JSON keys and most servers' query parsers are. */
static int lookup_param(const char *s, size_t n, unsigned where)
{
    for (size_t i = 0; i < N_PNAMES; i++) {
        if ((pnames[i].where & where) && strlen(pnames[i].name) == n &&
            memcmp(pnames[i].name, s, n) == 0) {
            assert(pnames[pnames[i].p].p == pnames[i].p);
            return pnames[i].p;
        }
    }
    return -1;
}

#define SRC_GET  1
#define SRC_JSON 2

/* State of one parse. The result is built directly in *r (so the error path only has to
 * free it); seen[] is the only bookkeeping that does not belong in the result. */
struct ctx {
    struct beacon_req *r;
    struct gn_err *err;
    uint8_t seen[N_PARAMS]; /* SRC_* bits of where each parameter was set */
};

/* ---- small helpers ------------------------------------------------------------------ */


static void warn(struct beacon_req *r, const char *fmt, ...) GN_PRINTF(2, 3);

/* Adds a warning unless the same text is already there; past BEACON_REQ_MAX_WARNINGS only
 * counts it. Warnings never fail the request. */
static void warn(struct beacon_req *r, const char *fmt, ...)
{
    char buf[BEACON_REQ_WARNING_LEN];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < r->n_warnings; i++) {
        if (strcmp(r->warnings[i], buf) == 0) return;
    }
    if (r->n_warnings == BEACON_REQ_MAX_WARNINGS) {
        r->n_warnings_dropped++;
        return;
    }
    memcpy(r->warnings[r->n_warnings++], buf, sizeof buf);
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive match of (s, n) against the NUL-terminated word w. */
static int word_eq(const char *s, size_t n, const char *w)
{
    size_t i = 0;
    for (; i < n && w[i]; i++) {
        if (lower((unsigned char)s[i]) != lower((unsigned char)w[i])) return 0;
    }
    return i == n && w[i] == 0;
}

/* Index of (s, n) in the NULL-terminated list words (case-insensitive), or -1. */
static int word_index(const char *s, size_t n, const char *const *words)
{
    for (int i = 0; words[i]; i++) {
        if (word_eq(s, n, words[i])) return i;
    }
    return -1;
}

/* Drops spaces and tabs at both ends of (s, n): "start=1, 2" and "filters=a, b" are what
 * people type into URLs. */
static void trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t')) {
        (*n)--;
    }
}

/* Decodes %XX escapes of (s, n) into out (room for n bytes), and '+' into ' ' when plus.
 * Returns the decoded length, or -1 for a broken escape. */
static long pct_decode(const char *s, size_t n, char *out, int plus)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            const char *a, *b;
            if (n - i < 3 || !s[i + 1] || !s[i + 2]) return -1;
            a = strchr(hex, lower((unsigned char)s[i + 1]));
            b = strchr(hex, lower((unsigned char)s[i + 2]));
            if (!a || !b) return -1;
            out[k++] = (char)((a - hex) << 4 | (b - hex));
            i += 2;
        } else {
            out[k++] = (char)(plus && s[i] == '+' ? ' ' : s[i]);
        }
    }
    return (long)k;
}

/* ---- typed setters ------------------------------------------------------------------ */

/* Records that p was set from src; a second setting is an error, except for the lists and
 * for start/end repeated inside the query string. */
static int mark_seen(struct ctx *c, enum param p, int src, const char *where)
{
    if (p == P_FILTERS || p == P_DATASETS || p == P_SCHEMA) return GN_OK;
    if (c->seen[p] && !((p == P_START || p == P_END) && src == SRC_GET && c->seen[p] == SRC_GET)) {
        return gn_errf(c->err, GN_EINVAL, "'%s' is given more than once", where);
    }
    c->seen[p] |= (uint8_t)src;
    return GN_OK;
}

/* Copies (s, n) into *dst after checking size, NUL bytes and UTF-8. */
static int take_text(struct ctx *c, char **dst, const char *s, size_t n, size_t max,
                     const char *where)
{
    if (n > max) return gn_errf(c->err, GN_ELIMIT, "'%s' is longer than %zu bytes", where, max);
    if (memchr(s, 0, n) || !strparse_utf8_valid(s, n)) {
        return gn_errf(c->err, GN_EINVAL, "'%s' is not valid UTF-8 text", where);
    }
    gn_free(*dst);
    *dst = gn_strndup(s, n);
    return *dst ? GN_OK : gn_errf(c->err, GN_ENOMEM, "out of memory");
}

/* A name-like string: non-empty text. */
static int take_name(struct ctx *c, char **dst, const char *s, size_t n, const char *where)
{
    if (n == 0) return gn_errf(c->err, GN_EINVAL, "'%s' must not be empty", where);
    return take_text(c, dst, s, n, BEACON_REQ_MAX_TEXT, where);
}

/* Bases: upper-cased, IUPAC codes plus '.' and '-' as in the schema's pattern. */
static int take_bases(struct ctx *c, char **dst, const char *s, size_t n, const char *where)
{
    int rc = take_text(c, dst, s, n, BEACON_REQ_MAX_BASES, where);
    if (rc < 0) return rc;
    for (char *p = *dst; *p; p++) {
        if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
        if (!strchr("ACGTUNRYSWKMBDHV.-", *p)) {
            char tok[48];
            return gn_errf(c->err, GN_EINVAL,
                           "'%s' must be made of the bases ACGTUNRYSWKMBDHV.- (got '%s')", where,
                           strparse_quote(tok, s, n));
        }
    }
    return GN_OK;
}

/* Checks an integer value of parameter p: non-negative and within p's bound. Positions and
 * lengths past BEACON_REQ_MAX_POS are wrong (GN_EINVAL); a skip past BEACON_REQ_SKIP_MAX is
 * a limit of this server (GN_ELIMIT, a 400 like every limit on a value or a list); limit is
 * clamped later instead. */
static int check_count(struct ctx *c, enum param p, int64_t v, const char *where)
{
    int64_t max = p == P_SKIP ? BEACON_REQ_SKIP_MAX : p == P_LIMIT ? INT64_MAX : BEACON_REQ_MAX_POS;
    if (v < 0) {
        return gn_errf(c->err, GN_EINVAL, "'%s' must be >= 0 (got %lld)", where, (long long)v);
    }
    if (v > max) {
        return gn_errf(c->err, p == P_SKIP ? GN_ELIMIT : GN_EINVAL,
                       "'%s' is %lld, over the maximum %lld", where, (long long)v, (long long)max);
    }
    return GN_OK;
}

/* A decimal integer for parameter p from text; no sign other than '-', no exponent, no
 * thousands separators. */
static int parse_count(struct ctx *c, enum param p, const char *s, size_t n, const char *where,
                       int64_t *out)
{
    char tok[48];
    trim(&s, &n);
    if (strparse_i64_all(s, n, out) < 0) {
        return gn_errf(c->err, GN_EINVAL, "'%s' must be an integer (got '%s')", where,
                       strparse_quote(tok, s, n));
    }
    return check_count(c, p, *out, where);
}

/* Appends one position to the start (p == P_START) or end list. */
static int add_pos(struct ctx *c, enum param p, int64_t v, const char *where)
{
    struct beacon_req_variant *var = &c->r->variant;
    int64_t *arr = p == P_START ? var->start : var->end;
    int *cnt = p == P_START ? &var->n_start : &var->n_end;
    int rc = check_count(c, p, v, where);
    if (rc < 0) return rc;
    if (*cnt == 2) return gn_errf(c->err, GN_EINVAL, "'%s' takes at most 2 values", where);
    arr[(*cnt)++] = v;
    return GN_OK;
}

/* "7577120" or "5000000,7676592" (spaces around items allowed). */
static int add_pos_text(struct ctx *c, enum param p, const char *s, size_t n, const char *where)
{
    const char *end = s + n;
    for (;;) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *item_end = comma ? comma : end;
        int64_t v;
        int rc = parse_count(c, p, s, (size_t)(item_end - s), where, &v);
        if (rc < 0) return rc;
        if ((rc = add_pos(c, p, v, where)) < 0) return rc;
        if (!comma) return GN_OK;
        s = comma + 1;
    }
}

/* Appends one dataset id; the slot is NULL until the copy succeeds, so a failure leaves
 * nothing half-made for beacon_req_free(). */
static int add_dataset(struct ctx *c, const char *s, size_t n, const char *where)
{
    struct beacon_req *r = c->r;
    if (r->n_dataset_ids == BEACON_REQ_MAX_DATASETS) {
        return gn_errf(c->err, GN_ELIMIT, "more than %d dataset ids", BEACON_REQ_MAX_DATASETS);
    }
    r->dataset_ids[r->n_dataset_ids] = NULL;
    int rc = take_name(c, &r->dataset_ids[r->n_dataset_ids], s, n, where);
    if (rc == GN_OK) r->n_dataset_ids++;
    return rc;
}

/* Claims the next filter slot, with the spec's defaults. */
static struct beacon_req_filter *new_filter(struct ctx *c)
{
    struct beacon_req_filter *f;
    if (c->r->n_filters == BEACON_REQ_MAX_FILTERS) {
        gn_errf(c->err, GN_ELIMIT, "more than %d filters", BEACON_REQ_MAX_FILTERS);
        return NULL;
    }
    f = &c->r->filters[c->r->n_filters++];
    memset(f, 0, sizeof *f);
    f->include_descendants = 1;
    return f;
}

/* A filter given as a bare id (GET, or a string in the JSON array). */
static int add_term_filter(struct ctx *c, const char *s, size_t n, const char *where)
{
    struct beacon_req_filter *f = new_filter(c);
    if (!f) return GN_ELIMIT;
    return take_name(c, &f->id, s, n, where);
}

/* Calls add(item) for each non-empty item of a comma list (GET filters and datasetIds:
 * "a,b,", where an empty item is a trailing comma, not a value). */
static int each_item(struct ctx *c, const char *s, size_t n, const char *where,
                     int (*add)(struct ctx *, const char *, size_t, const char *))
{
    const char *end = s + n;
    while (s <= end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *item_end = comma ? comma : end;
        const char *item = s;
        size_t len = (size_t)(item_end - s);
        trim(&item, &len);
        if (len > 0) {
            int rc = add(c, item, len, where);
            if (rc < 0) return rc;
        }
        if (!comma) break;
        s = comma + 1;
    }
    return GN_OK;
}

/* GET requestedSchema=...: a requested schema without entity type. */
static int add_schema(struct ctx *c, const char *s, size_t n, const char *where)
{
    struct beacon_req *r = c->r;
    if (r->n_schemas == BEACON_REQ_MAX_SCHEMAS) {
        return gn_errf(c->err, GN_ELIMIT, "more than %d requested schemas", BEACON_REQ_MAX_SCHEMAS);
    }
    r->n_schemas++;
    return take_name(c, &r->schemas[r->n_schemas - 1].schema, s, n, where);
}

static const char *const gran_words[] = {"boolean", "count", "record", NULL};
static const char *const rs_words[] = {"HIT", "MISS", "ALL", "NONE", NULL};

/* Matches (s, n) against words (3 or 4 of them) without regard to case: clients send
 * "COUNT" and "all" as often as the spec's spelling. */
static int set_enum(struct ctx *c, const char *s, size_t n, const char *const *words,
                    const char *where, int *out)
{
    char tok[48];
    int i = word_index(s, n, words);
    if (i < 0) {
        return gn_errf(c->err, GN_EINVAL, "'%s' must be one of %s|%s|%s%s%s (got '%s')", where,
                       words[0], words[1], words[2], words[3] ? "|" : "", words[3] ? words[3] : "",
                       strparse_quote(tok, s, n));
    }
    *out = i;
    return GN_OK;
}

/* "true" or "false" in any case: the query-string form of a boolean, also accepted for
 * JSON strings. */
static int set_bool_text(struct ctx *c, const char *s, size_t n, const char *where, int *out)
{
    char tok[48];
    if (word_eq(s, n, "true") || word_eq(s, n, "false")) {
        *out = word_eq(s, n, "true");
        return GN_OK;
    }
    return gn_errf(c->err, GN_EINVAL, "'%s' must be true or false (got '%s')", where,
                   strparse_quote(tok, s, n));
}

/* Where each string-valued variant parameter lives. */
static char **variant_str(struct beacon_req_variant *v, enum param p)
{
    switch (p) {
    case P_ASSEMBLY:
        return &v->assembly_id;
    case P_REFNAME:
        return &v->reference_name;
    case P_REFBASES:
        return &v->reference_bases;
    case P_ALTBASES:
        return &v->alternate_bases;
    case P_VTYPE:
        return &v->variant_type;
    case P_GENE:
        return &v->gene_id;
    case P_AA:
        return &v->aminoacid_change;
    case P_ALLELE:
        return &v->allele_short_form;
    case P_MATE:
        return &v->mate_name;
    default:
        return NULL;
    }
}

/* Sets parameter p from text: a query-string value, or a JSON string. */
static int set_text(struct ctx *c, enum param p, const char *s, size_t n, int src,
                    const char *where)
{
    struct beacon_req *r = c->r;
    struct beacon_req_variant *v = &r->variant;
    int rc, e = 0;

    if ((rc = mark_seen(c, p, src, where)) < 0) return rc;
    switch (p) {
    case P_START:
    case P_END:
        return add_pos_text(c, p, s, n, where);
    case P_REFBASES:
    case P_ALTBASES:
        return take_bases(c, variant_str(v, p), s, n, where);
    case P_MINLEN:
        return parse_count(c, p, s, n, where, &v->min_length);
    case P_MAXLEN:
        return parse_count(c, p, s, n, where, &v->max_length);
    case P_SKIP:
        return parse_count(c, p, s, n, where, &r->skip);
    case P_LIMIT:
        return parse_count(c, p, s, n, where, &r->limit);
    case P_GRAN:
        if ((rc = set_enum(c, s, n, gran_words, where, &e)) < 0) return rc;
        r->granularity = (enum beacon_req_granularity)e;
        r->granularity_given = 1;
        return GN_OK;
    case P_RESULTSETS:
        if ((rc = set_enum(c, s, n, rs_words, where, &e)) < 0) return rc;
        r->resultsets = (enum beacon_req_resultsets)e;
        return GN_OK;
    case P_TESTMODE:
        return set_bool_text(c, s, n, where, &r->test_mode);
    case P_APIVERSION:
        return take_name(c, &r->api_version, s, n, where);
    case P_SCHEMA:
        return add_schema(c, s, n, where);
    case P_FILTERS:
        return each_item(c, s, n, where, add_term_filter);
    case P_DATASETS:
        return each_item(c, s, n, where, add_dataset);
    default:
        return take_name(c, variant_str(v, p), s, n, where);
    }
}

/* ---- the query string --------------------------------------------------------------- */

/* One name=value pair, both still encoded. scratch has room for the whole query string. */
static int query_pair(struct ctx *c, const char *s, size_t n, char *scratch)
{
    const char *eq = memchr(s, '=', n);
    size_t kn = eq ? (size_t)(eq - s) : n;
    long dn, dv;
    int p;
    char tok[48];

    dn = pct_decode(s, kn, scratch, 1);
    dv = eq ? pct_decode(eq + 1, n - kn - 1, scratch + kn, 1) : 0;
    if (dn < 0 || dv < 0) {
        return gn_errf(c->err, GN_EPARSE, "malformed percent-encoding in query parameter '%s'",
                       strparse_quote(tok, s, kn));
    }
    p = lookup_param(scratch, (size_t)dn, W_GET);
    if (p < 0) {
        warn(c->r, "unknown parameter '%s' ignored", strparse_quote(tok, scratch, (size_t)dn));
        return GN_OK;
    }
    /* An empty field of an HTML form means "not given"; for the bases "" is a value. */
    if (dv == 0 && p != P_REFBASES && p != P_ALTBASES) return GN_OK;
    return set_text(c, (enum param)p, scratch + kn, (size_t)dv, SRC_GET, pnames[p].name);
}

/* The query string: pairs split on '&' (empty pairs, as in "a=1&&b=2", are skipped),
 * decoded one at a time into a scratch buffer as long as the whole string. */
static int parse_query_string(struct ctx *c, const char *q, size_t qn)
{
    const char *end = q + qn;
    char *scratch = NULL;
    size_t npairs = 0;
    int rc = GN_OK;

    if (qn > BEACON_REQ_MAX_QUERY) {
        return gn_errf(c->err, GN_EURI, "query string is longer than %d bytes",
                       BEACON_REQ_MAX_QUERY);
    }
    if (qn == 0) return GN_OK;
    if (!(scratch = gn_malloc(qn))) return gn_errf(c->err, GN_ENOMEM, "out of memory");
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *pair_end = amp ? amp : end;
        if (pair_end > q) {
            if (++npairs > BEACON_REQ_MAX_PARAMS) {
                rc = gn_errf(c->err, GN_ELIMIT, "more than %d query parameters",
                             BEACON_REQ_MAX_PARAMS);
                goto out;
            }
            if ((rc = query_pair(c, q, (size_t)(pair_end - q), scratch)) < 0) goto out;
        }
        q = amp ? amp + 1 : end;
    }
out:
    gn_free(scratch);
    return rc;
}

/* ---- routing ------------------------------------------------------------------------ */

static const char *const entry_names[] = {"",         "g_variants", "individuals", "biosamples",
                                          "datasets", "cohorts",    "runs",        "analyses"};

#define N_ENTRIES ((int)(sizeof entry_names / sizeof entry_names[0]))
#define BIT(e)    (1u << (e))

/* The nested forms the default model defines: /{entry}/{id}/{target}. */
static const unsigned related[N_ENTRIES] = {
    [BEACON_REQ_ENTRY_G_VARIANTS] =
        BIT(BEACON_REQ_ENTRY_BIOSAMPLES) | BIT(BEACON_REQ_ENTRY_INDIVIDUALS),
    [BEACON_REQ_ENTRY_INDIVIDUALS] =
        BIT(BEACON_REQ_ENTRY_BIOSAMPLES) | BIT(BEACON_REQ_ENTRY_G_VARIANTS),
    [BEACON_REQ_ENTRY_BIOSAMPLES] = BIT(BEACON_REQ_ENTRY_ANALYSES) |
                                    BIT(BEACON_REQ_ENTRY_G_VARIANTS) | BIT(BEACON_REQ_ENTRY_RUNS),
    [BEACON_REQ_ENTRY_DATASETS] = BIT(BEACON_REQ_ENTRY_BIOSAMPLES) |
                                  BIT(BEACON_REQ_ENTRY_G_VARIANTS) |
                                  BIT(BEACON_REQ_ENTRY_INDIVIDUALS),
    [BEACON_REQ_ENTRY_COHORTS] = BIT(BEACON_REQ_ENTRY_INDIVIDUALS),
    [BEACON_REQ_ENTRY_RUNS] = BIT(BEACON_REQ_ENTRY_ANALYSES) | BIT(BEACON_REQ_ENTRY_G_VARIANTS),
    [BEACON_REQ_ENTRY_ANALYSES] = BIT(BEACON_REQ_ENTRY_G_VARIANTS),
};

static const struct {
    const char *name;
    enum beacon_req_endpoint ep;
} framework[] = {
    {"info", BEACON_REQ_EP_INFO},
    {"service-info", BEACON_REQ_EP_SERVICE_INFO},
    {"configuration", BEACON_REQ_EP_CONFIGURATION},
    {"entry_types", BEACON_REQ_EP_ENTRY_TYPES},
    {"map", BEACON_REQ_EP_MAP},
    {"filtering_terms", BEACON_REQ_EP_FILTERING_TERMS},
};

struct seg {
    const char *p;
    size_t n;
};

static int seg_is(const struct seg *s, const char *w)
{
    return strlen(w) == s->n && memcmp(s->p, w, s->n) == 0;
}

static enum beacon_req_entry entry_of(const struct seg *s)
{
    for (int e = 1; e < N_ENTRIES; e++) {
        if (seg_is(s, entry_names[e])) return (enum beacon_req_entry)e;
    }
    return BEACON_REQ_ENTRY_NONE;
}

/* Resolves decoded segments (the "api" prefix already dropped) into r; 1 when unknown. */
static int resolve(struct beacon_req *r, const struct seg *sg, int nseg)
{
    if (nseg == 0) {
        r->endpoint = BEACON_REQ_EP_ROOT;
        return 0;
    }
    if (nseg == 1) {
        for (size_t i = 0; i < sizeof framework / sizeof framework[0]; i++) {
            if (seg_is(&sg[0], framework[i].name)) {
                r->endpoint = framework[i].ep;
                return 0;
            }
        }
    }
    if (nseg > 3 || (r->entry = entry_of(&sg[0])) == BEACON_REQ_ENTRY_NONE) return 1;
    if (nseg == 1) {
        r->endpoint = BEACON_REQ_EP_ENTRIES;
    } else if (nseg == 2) {
        r->endpoint =
            seg_is(&sg[1], "filtering_terms") ? BEACON_REQ_EP_FILTERING_TERMS : BEACON_REQ_EP_ENTRY;
    } else if (seg_is(&sg[2], "filtering_terms")) {
        r->endpoint = BEACON_REQ_EP_FILTERING_TERMS;
        if (r->entry != BEACON_REQ_ENTRY_DATASETS && r->entry != BEACON_REQ_ENTRY_COHORTS) return 1;
    } else {
        r->endpoint = BEACON_REQ_EP_RELATED;
        r->target = entry_of(&sg[2]);
        if (r->target == BEACON_REQ_ENTRY_NONE || !(related[r->entry] & BIT(r->target))) return 1;
    }
    return 0;
}

/* Splits path (pn bytes, starting with '/') into at most 4 decoded segments in buf. */
static int split_path(struct ctx *c, const char *path, size_t pn, char *buf, struct seg *sg,
                      int *nseg)
{
    const char *s = path + 1, *end = path + pn;
    char tok[48];
    size_t used = 0;

    if (end > s && end[-1] == '/') end--; /* one trailing slash */
    *nseg = 0;
    while (s < end) {
        const char *slash = memchr(s, '/', (size_t)(end - s));
        const char *seg_end = slash ? slash : end;
        long dn;
        if (seg_end == s || *nseg == 4) goto notfound;
        if ((dn = pct_decode(s, (size_t)(seg_end - s), buf + used, 0)) < 0) {
            return gn_errf(c->err, GN_EPARSE, "malformed percent-encoding in path '%s'",
                           strparse_quote(tok, path, pn));
        }
        sg[*nseg].p = buf + used;
        sg[(*nseg)++].n = (size_t)dn;
        used += (size_t)dn;
        s = slash ? slash + 1 : end;
        if (slash && s == end) goto notfound; /* "//" at the end */
    }
    return GN_OK;
notfound:
    return gn_errf(c->err, GN_ENOTFOUND, "unknown endpoint '%s'", strparse_quote(tok, path, pn));
}

/* Resolves the path into r->endpoint/entry/target and copies the {id} segment, which is
 * the second one whenever there is one ("/individuals/filtering_terms" names the
 * collection's filtering terms, not an individual called "filtering_terms"). */
static int route(struct ctx *c, const char *path, size_t pn)
{
    char buf[BEACON_REQ_MAX_PATH];
    char tok[48];
    struct seg sg[4];
    int nseg, rc;

    if (pn > BEACON_REQ_MAX_PATH) {
        return gn_errf(c->err, GN_EURI, "path is longer than %d bytes", BEACON_REQ_MAX_PATH);
    }
    if (pn == 0 || path[0] != '/') {
        return gn_errf(c->err, GN_ENOTFOUND, "unknown endpoint '%s' (paths start with '/')",
                       strparse_quote(tok, path, pn));
    }
    if ((rc = split_path(c, path, pn, buf, sg, &nseg)) < 0) return rc;
    if (nseg > 0 && seg_is(&sg[0], "api")) {
        memmove(sg, sg + 1, (size_t)(nseg - 1) * sizeof sg[0]);
        nseg--;
    }
    if (resolve(c->r, sg, nseg)) {
        c->r->entry = c->r->target = BEACON_REQ_ENTRY_NONE;
        return gn_errf(c->err, GN_ENOTFOUND, "unknown endpoint '%s'",
                       strparse_quote(tok, path, pn));
    }
    if (nseg >= 2 && !(nseg == 2 && c->r->endpoint == BEACON_REQ_EP_FILTERING_TERMS)) {
        const struct seg *id = &sg[1];
        if (id->n > BEACON_REQ_MAX_ID) {
            return gn_errf(c->err, GN_EURI, "entry id is longer than %d bytes", BEACON_REQ_MAX_ID);
        }
        for (size_t i = 0; i < id->n; i++) {
            if ((unsigned char)id->p[i] < 0x20 || id->p[i] == 0x7f) {
                return gn_errf(c->err, GN_EINVAL, "entry id contains control characters");
            }
        }
        return take_text(c, &c->r->entry_id, id->p, id->n, BEACON_REQ_MAX_ID, "entry id");
    }
    return GN_OK;
}

/* ---- the JSON body ------------------------------------------------------------------ */

/* 1 when the nesting of arrays and objects in the text stays within BEACON_REQ_MAX_DEPTH.
 * Brackets inside strings do not count; malformed text is left for jansson to report. */
static int depth_ok(const char *s, size_t n)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\') {
                i++;
            } else if (ch == '"') {
                in_str = 0;
            }
        } else if (ch == '"') {
            in_str = 1;
        } else if (ch == '[' || ch == '{') {
            if (++depth > BEACON_REQ_MAX_DEPTH) return 0;
        } else if ((ch == ']' || ch == '}') && depth > 0) {
            depth--;
        }
    }
    return 1;
}

/* "'query.pagination.limit' must be an integer": the field path as the client wrote it. */
static int json_type_err(struct ctx *c, const char *where, const char *what)
{
    return gn_errf(c->err, GN_EINVAL, "'%s' must be %s", where, what);
}

/* A JSON integer (or a decimal string) as a count. */
static int json_count(struct ctx *c, enum param p, json_t *v, const char *where, int64_t *out)
{
    int rc;
    if (json_is_string(v)) {
        return set_text(c, p, json_string_value(v), json_string_length(v), SRC_JSON, where);
    }
    if (!json_is_integer(v)) return json_type_err(c, where, "an integer");
    if ((rc = mark_seen(c, p, SRC_JSON, where)) < 0) return rc;
    *out = (int64_t)json_integer_value(v);
    return check_count(c, p, *out, where);
}

/* start/end: an integer, a numeric string, or an array of 1 or 2 of those. */
static int json_positions(struct ctx *c, enum param p, json_t *v, const char *where)
{
    size_t i;
    json_t *it;
    int rc;

    if (json_is_string(v)) {
        return set_text(c, p, json_string_value(v), json_string_length(v), SRC_JSON, where);
    }
    if ((rc = mark_seen(c, p, SRC_JSON, where)) < 0) return rc;
    if (json_is_integer(v)) return add_pos(c, p, (int64_t)json_integer_value(v), where);
    if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > 2) {
        return json_type_err(c, where, "an array of 1 or 2 integers");
    }
    json_array_foreach(v, i, it)
    {
        if (json_is_integer(it)) {
            rc = add_pos(c, p, (int64_t)json_integer_value(it), where);
        } else if (json_is_string(it)) {
            rc = add_pos_text(c, p, json_string_value(it), json_string_length(it), where);
        } else {
            rc = json_type_err(c, where, "an array of 1 or 2 integers");
        }
        if (rc < 0) return rc;
    }
    return GN_OK;
}

/* A filter value: a string, or a number written as decimal text. */
static int filter_value(struct ctx *c, struct beacon_req_filter *f, json_t *v, const char *where)
{
    char num[40];
    if (json_is_string(v)) {
        return take_text(c, &f->value, json_string_value(v), json_string_length(v),
                         BEACON_REQ_MAX_TEXT, where);
    }
    if (json_is_integer(v)) {
        (void)snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        /* 15 significant digits reproduce any decimal a person typed. */
        (void)snprintf(num, sizeof num, "%.15g", json_real_value(v));
    } else {
        return json_type_err(c, where, "a string or a number");
    }
    return take_text(c, &f->value, num, strlen(num), BEACON_REQ_MAX_TEXT, where);
}

static const char *const op_words[] = {"=", "<", ">", "!", ">=", "<=", NULL};
static const char *const sim_words[] = {"exact", "high", "medium", "low", NULL};

/* One key of a filter object; `where` names the filter ("query.filters[2]"). */
static int filter_key(struct ctx *c, struct beacon_req_filter *f, const char *key, json_t *v,
                      const char *where)
{
    char w[96], tok[48];
    int e = 0, rc;

    (void)snprintf(w, sizeof w, "%s.%s", where, key);
    if (strcmp(key, "id") == 0) {
        if (!json_is_string(v)) return json_type_err(c, w, "a string");
        return take_name(c, &f->id, json_string_value(v), json_string_length(v), w);
    }
    if (strcmp(key, "value") == 0) return filter_value(c, f, v, w);
    if (strcmp(key, "scope") == 0) {
        if (!json_is_string(v)) return json_type_err(c, w, "a string");
        return take_name(c, &f->scope, json_string_value(v), json_string_length(v), w);
    }
    if (strcmp(key, "operator") == 0 || strcmp(key, "similarity") == 0) {
        int is_op = key[0] == 'o';
        if (!json_is_string(v)) return json_type_err(c, w, "a string");
        e = word_index(json_string_value(v), json_string_length(v), is_op ? op_words : sim_words);
        if (e < 0) {
            return gn_errf(c->err, GN_EINVAL, "'%s' must be one of %s (got '%s')", w,
                           is_op ? "= < > ! >= <=" : "exact high medium low",
                           strparse_quote(tok, json_string_value(v), json_string_length(v)));
        }
        if (is_op) {
            f->op = (enum beacon_req_filter_op)e;
        } else {
            f->similarity = (enum beacon_req_similarity)e;
        }
        return GN_OK;
    }
    if (strcmp(key, "includeDescendantTerms") == 0) {
        if (json_is_boolean(v)) {
            f->include_descendants = json_is_true(v);
            return GN_OK;
        }
        if (!json_is_string(v)) return json_type_err(c, w, "a boolean");
        if ((rc = set_bool_text(c, json_string_value(v), json_string_length(v), w, &e)) < 0) {
            return rc;
        }
        f->include_descendants = e;
        return GN_OK;
    }
    warn(c->r, "unknown key '%s' in %s ignored", strparse_quote(tok, key, strlen(key)), where);
    return GN_OK;
}

/* A filter object: {id, operator?, value?, scope?, includeDescendantTerms?, similarity?}.
 * Its kind follows from the value, as the spec's three filter schemas differ only in
 * which of these they require. */
static int filter_object(struct ctx *c, json_t *obj, const char *where)
{
    struct beacon_req_filter *f = new_filter(c);
    const char *key;
    json_t *v;
    int rc, has_op = 0;

    if (!f) return GN_ELIMIT;
    json_object_foreach(obj, key, v)
    {
        if (json_is_null(v)) continue;
        if (strcmp(key, "operator") == 0) has_op = 1;
        if ((rc = filter_key(c, f, key, v, where)) < 0) return rc;
    }
    if (!f->id) return gn_errf(c->err, GN_EINVAL, "'%s' has no 'id'", where);
    if (f->value) {
        f->kind = BEACON_REQ_FILTER_ALPHANUMERIC;
    } else if (has_op) {
        return gn_errf(c->err, GN_EINVAL, "'%s' has an operator but no 'value'", where);
    }
    return GN_OK;
}

/* query.filters: an array of strings and objects (or, tolerated, one comma-list string). */
static int json_filters(struct ctx *c, json_t *v, const char *where)
{
    char w[64];
    size_t i;
    json_t *it;
    int rc;

    if (json_is_string(v)) {
        return set_text(c, P_FILTERS, json_string_value(v), json_string_length(v), SRC_JSON, where);
    }
    if (!json_is_array(v)) return json_type_err(c, where, "an array");
    json_array_foreach(v, i, it)
    {
        (void)snprintf(w, sizeof w, "%s[%zu]", where, i);
        if (json_is_string(it)) {
            rc = add_term_filter(c, json_string_value(it), json_string_length(it), w);
        } else if (json_is_object(it)) {
            rc = filter_object(c, it, w);
        } else {
            rc = json_type_err(c, w, "a string or an object");
        }
        if (rc < 0) return rc;
    }
    return GN_OK;
}

/* datasetIds: an array of strings (or, tolerated, one comma-list string). */
static int json_datasets(struct ctx *c, json_t *v, const char *where)
{
    size_t i;
    json_t *it;
    int rc;

    if (json_is_string(v)) {
        return set_text(c, P_DATASETS, json_string_value(v), json_string_length(v), SRC_JSON,
                        where);
    }
    if (!json_is_array(v)) return json_type_err(c, where, "an array of strings");
    json_array_foreach(v, i, it)
    {
        if (!json_is_string(it)) return json_type_err(c, where, "an array of strings");
        if ((rc = add_dataset(c, json_string_value(it), json_string_length(it), where)) < 0) {
            return rc;
        }
    }
    return GN_OK;
}

/* Sets parameter p from a JSON value. null means "not given". */
static int set_json(struct ctx *c, enum param p, json_t *v, const char *where)
{
    struct beacon_req *r = c->r;
    char num[32];

    if (json_is_null(v)) return GN_OK;
    switch (p) {
    case P_START:
    case P_END:
        return json_positions(c, p, v, where);
    case P_MINLEN:
        return json_count(c, p, v, where, &r->variant.min_length);
    case P_MAXLEN:
        return json_count(c, p, v, where, &r->variant.max_length);
    case P_SKIP:
        return json_count(c, p, v, where, &r->skip);
    case P_LIMIT:
        return json_count(c, p, v, where, &r->limit);
    case P_FILTERS:
        return json_filters(c, v, where);
    case P_DATASETS:
        return json_datasets(c, v, where);
    case P_TESTMODE:
        if (json_is_boolean(v)) {
            int rc = mark_seen(c, p, SRC_JSON, where);
            r->test_mode = json_is_true(v);
            return rc;
        }
        break;
    case P_REFNAME:
        /* The spec documentation itself writes "referenceName": 17. */
        if (json_is_integer(v)) {
            (void)snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
            return set_text(c, p, num, strlen(num), SRC_JSON, where);
        }
        break;
    default:
        break;
    }
    if (!json_is_string(v)) {
        return json_type_err(c, where, p == P_TESTMODE ? "a boolean" : "a string");
    }
    return set_text(c, p, json_string_value(v), json_string_length(v), SRC_JSON, where);
}

/* One variant parameter, inside "g_variant" (wrapped) or directly in requestParameters. */
static int json_variant_key(struct ctx *c, const char *key, json_t *v, int wrapped)
{
    char w[96], tok[48];
    int p = lookup_param(key, strlen(key), W_VARIANT);
    if (p < 0) {
        warn(c->r, "unknown request parameter '%s%s' ignored", wrapped ? "g_variant." : "",
             strparse_quote(tok, key, strlen(key)));
        return GN_OK;
    }
    (void)snprintf(w, sizeof w, "query.requestParameters.%s%s", wrapped ? "g_variant." : "",
                   pnames[p].name);
    return set_json(c, (enum param)p, v, w);
}

/* requestParameters.g_variant, the form the spec and its examples use. */
static int json_g_variant(struct ctx *c, json_t *gv)
{
    const char *key;
    json_t *v;
    int rc;

    if (json_is_null(gv)) return GN_OK;
    if (!json_is_object(gv)) {
        return json_type_err(c, "query.requestParameters.g_variant", "an object");
    }
    json_object_foreach(gv, key, v)
    {
        if ((rc = json_variant_key(c, key, v, 1)) < 0) return rc;
    }
    return GN_OK;
}

/* requestParameters.datasets.datasetIds, as in the framework's MAX request example. */
static int json_datasets_param(struct ctx *c, json_t *ds)
{
    const char *key;
    json_t *v;
    char tok[48];
    int rc;

    if (json_is_null(ds)) return GN_OK;
    if (!json_is_object(ds)) {
        return json_type_err(c, "query.requestParameters.datasets", "an object");
    }
    json_object_foreach(ds, key, v)
    {
        if (strcmp(key, "datasetIds") == 0) {
            rc = json_datasets(c, v, "query.requestParameters.datasets.datasetIds");
            if (rc < 0) return rc;
        } else {
            warn(c->r, "unknown request parameter 'datasets.%s' ignored",
                 strparse_quote(tok, key, strlen(key)));
        }
    }
    return GN_OK;
}

/* query.requestParameters: a dictionary per entry type in the schema. Only g_variant and
 * datasets carry parameters this beacon understands; other keys are reported as warnings. */
static int json_request_params(struct ctx *c, json_t *rp)
{
    const char *key;
    json_t *v;
    int rc = GN_OK;

    if (json_is_null(rp)) return GN_OK;
    if (!json_is_object(rp)) return json_type_err(c, "query.requestParameters", "an object");
    json_object_foreach(rp, key, v)
    {
        if (strcmp(key, "g_variant") == 0) {
            rc = json_g_variant(c, v);
        } else if (strcmp(key, "datasets") == 0) {
            rc = json_datasets_param(c, v);
        } else if (strcmp(key, "datasetIds") == 0) {
            rc = json_datasets(c, v, "query.requestParameters.datasetIds");
        } else if (strcmp(key, "$schema") != 0) {
            /* Flat variant parameters, as the GDI portal sends them. */
            rc = json_variant_key(c, key, v, 0);
        }
        if (rc < 0) return rc;
    }
    return GN_OK;
}

/* query.pagination {skip, limit}; the page tokens of the schema are response-side. */
static int json_pagination(struct ctx *c, json_t *pg)
{
    const char *key;
    json_t *v;
    char tok[48];
    int rc = GN_OK;

    if (json_is_null(pg)) return GN_OK;
    if (!json_is_object(pg)) return json_type_err(c, "query.pagination", "an object");
    json_object_foreach(pg, key, v)
    {
        if (strcmp(key, "skip") == 0) {
            rc = set_json(c, P_SKIP, v, "query.pagination.skip");
        } else if (strcmp(key, "limit") == 0) {
            rc = set_json(c, P_LIMIT, v, "query.pagination.limit");
        } else if (strcmp(key, "currentPage") != 0 && strcmp(key, "nextPage") != 0 &&
                   strcmp(key, "previousPage") != 0) {
            /* Page tokens are schema-valid but this beacon issues none: silently ignored. */
            warn(c->r, "unknown key 'query.pagination.%s' ignored",
                 strparse_quote(tok, key, strlen(key)));
        }
        if (rc < 0) return rc;
    }
    return GN_OK;
}

/* One key of "query". Returns 1 when the key is not a query key. */
static int json_query_key(struct ctx *c, const char *key, json_t *v)
{
    if (strcmp(key, "requestParameters") == 0) return json_request_params(c, v);
    if (strcmp(key, "filters") == 0) return set_json(c, P_FILTERS, v, "query.filters");
    if (strcmp(key, "pagination") == 0) return json_pagination(c, v);
    if (strcmp(key, "requestedGranularity") == 0) {
        return set_json(c, P_GRAN, v, "query.requestedGranularity");
    }
    if (strcmp(key, "includeResultsetResponses") == 0) {
        return set_json(c, P_RESULTSETS, v, "query.includeResultsetResponses");
    }
    if (strcmp(key, "testMode") == 0) return set_json(c, P_TESTMODE, v, "query.testMode");
    if (strcmp(key, "$schema") == 0) return GN_OK;
    return 1;
}

/* One meta.requestedSchemas entry {entityType, schema}. The spec documentation's own
 * examples misspell "schema" as "schema:", which therefore only warns. */
static int json_schema_item(struct ctx *c, json_t *it, size_t i)
{
    struct beacon_req *r = c->r;
    struct beacon_req_schema *s;
    const char *key;
    json_t *v;
    char w[64], tok[48];
    int rc;

    (void)snprintf(w, sizeof w, "meta.requestedSchemas[%zu]", i);
    if (!json_is_object(it)) return json_type_err(c, w, "an object");
    if (r->n_schemas == BEACON_REQ_MAX_SCHEMAS) {
        return gn_errf(c->err, GN_ELIMIT, "more than %d requested schemas", BEACON_REQ_MAX_SCHEMAS);
    }
    s = &r->schemas[r->n_schemas++];
    json_object_foreach(it, key, v)
    {
        char **dst = strcmp(key, "entityType") == 0 ? &s->entity_type
                     : strcmp(key, "schema") == 0   ? &s->schema
                                                    : NULL;
        if (!dst) {
            warn(r, "unknown key '%s' in %s ignored", strparse_quote(tok, key, strlen(key)), w);
            continue;
        }
        if (json_is_null(v)) continue;
        if (!json_is_string(v)) return json_type_err(c, w, "an object of strings");
        if ((rc = take_name(c, dst, json_string_value(v), json_string_length(v), w)) < 0) return rc;
    }
    return GN_OK;
}

/* meta {apiVersion, requestedSchemas}. The schema requires meta and apiVersion, but
 * clients omit both and nothing in the answer depends on them, so neither is enforced. */
static int json_meta(struct ctx *c, json_t *meta)
{
    const char *key;
    json_t *v, *it;
    size_t i;
    char tok[48];
    int rc;

    if (json_is_null(meta)) return GN_OK;
    if (!json_is_object(meta)) return json_type_err(c, "meta", "an object");
    json_object_foreach(meta, key, v)
    {
        if (strcmp(key, "apiVersion") == 0) {
            if ((rc = set_json(c, P_APIVERSION, v, "meta.apiVersion")) < 0) return rc;
        } else if (strcmp(key, "requestedSchemas") == 0) {
            if (json_is_null(v)) continue;
            if (!json_is_array(v)) return json_type_err(c, "meta.requestedSchemas", "an array");
            json_array_foreach(v, i, it)
            {
                if ((rc = json_schema_item(c, it, i)) < 0) return rc;
            }
        } else if (strcmp(key, "$schema") != 0) {
            warn(c->r, "unknown key 'meta.%s' ignored", strparse_quote(tok, key, strlen(key)));
        }
    }
    return GN_OK;
}

/* The "query" object. */
static int json_query(struct ctx *c, json_t *q)
{
    const char *key;
    json_t *v;
    char tok[48];
    int rc;

    if (json_is_null(q)) return GN_OK;
    if (!json_is_object(q)) return json_type_err(c, "query", "an object");
    json_object_foreach(q, key, v)
    {
        if ((rc = json_query_key(c, key, v)) < 0) return rc;
        if (rc == 1) {
            warn(c->r, "unknown key 'query.%s' ignored", strparse_quote(tok, key, strlen(key)));
        }
    }
    return GN_OK;
}

/* The body's top level: meta, query, $schema, and query keys put beside "query" as the
 * spec documentation's examples do; anything else warns. */
static int json_top(struct ctx *c, json_t *root)
{
    const char *key;
    json_t *v;
    char tok[48];
    int rc;

    if (!json_is_object(root)) {
        return gn_errf(c->err, GN_EINVAL, "request body must be a JSON object");
    }
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "meta") == 0) {
            rc = json_meta(c, v);
        } else if (strcmp(key, "query") == 0) {
            rc = json_query(c, v);
        } else if (strcmp(key, "$schema") == 0) {
            rc = GN_OK;
        } else if ((rc = json_query_key(c, key, v)) == 1) {
            warn(c->r, "unknown key '%s' ignored", strparse_quote(tok, key, strlen(key)));
            rc = GN_OK;
        } else if (rc == GN_OK) {
            /* The spec documentation's examples put these beside "query". */
            warn(c->r, "'%s' belongs inside 'query'; accepted", key);
        }
        if (rc < 0) return rc;
    }
    return GN_OK;
}

/* 1 when (s, n) holds only JSON whitespace: curl -X POST and many clients send an empty
 * or blank body, which means "no body", not malformed JSON. */
static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return 0;
    }
    return 1;
}

/* The POST body. Duplicate keys are malformed (JSON_REJECT_DUPLICATES): with them the
 * meaning of a request would depend on which copy a parser keeps. */
static int parse_body(struct ctx *c, const char *body, size_t n)
{
    json_error_t je;
    json_t *root;
    char text[48];
    int rc;

    if (n > BEACON_REQ_MAX_BODY) {
        return gn_errf(c->err, GN_EPAYLOAD, "request body is larger than %zu bytes",
                       BEACON_REQ_MAX_BODY);
    }
    if (!depth_ok(body, n)) {
        return gn_errf(c->err, GN_ELIMIT, "JSON nesting is deeper than %d levels",
                       BEACON_REQ_MAX_DEPTH);
    }
    root = json_loadb(body, n, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        if (json_error_code(&je) == json_error_out_of_memory) {
            return gn_errf(c->err, GN_ENOMEM, "out of memory");
        }
        return gn_errf(c->err, GN_EPARSE, "malformed JSON at line %d column %d: %s", je.line,
                       je.column, strparse_quote(text, je.text, strlen(je.text)));
    }
    rc = json_top(c, root);
    json_decref(root);
    return rc;
}

/* ---- classification ----------------------------------------------------------------- */

static int vq_err(struct gn_err *err, const char *msg)
{
    return gn_errf(err, GN_EINVAL, "invalid variant query: %s", msg);
}

/* Queries with coordinates: sequence, range or bracket by the number of start and end
 * values, each with the parameters the documentation lists as required. */
static int classify_positional(struct beacon_req_variant *v, struct gn_err *err)
{
    if (!v->reference_name) return vq_err(err, "'start' needs 'referenceName'");
    if (v->n_start == 1 && v->n_end == 0) {
        if (!v->reference_bases || !v->alternate_bases) {
            return vq_err(err, "a sequence query (one 'start', no 'end') needs 'referenceBases' "
                               "and 'alternateBases'");
        }
        if (!v->reference_bases[0] && !v->alternate_bases[0]) {
            return vq_err(err, "'referenceBases' and 'alternateBases' are both empty");
        }
        v->kind = BEACON_REQ_VQ_SEQUENCE;
    } else if (v->n_start == 1 && v->n_end == 1) {
        if (v->start[0] > v->end[0]) return vq_err(err, "'start' is after 'end'");
        v->kind = BEACON_REQ_VQ_RANGE;
    } else if (v->n_start == 2 && v->n_end == 2) {
        if (v->start[0] > v->start[1] || v->end[0] > v->end[1]) {
            return vq_err(err, "bracket values must be in order [min, max]");
        }
        if (v->start[0] > v->end[1]) {
            return vq_err(err, "the start bracket is after the end bracket");
        }
        v->kind = BEACON_REQ_VQ_BRACKET;
    } else {
        return vq_err(err, "a bracket query needs two 'start' and two 'end' values, a range "
                           "query one of each");
    }
    return GN_OK;
}

int beacon_req_variant_classify(struct beacon_req_variant *v, struct gn_err *err)
{
    int rc = GN_OK;
    int any = v->n_start || v->n_end || v->assembly_id || v->reference_name || v->reference_bases ||
              v->alternate_bases || v->variant_type || v->gene_id || v->aminoacid_change ||
              v->allele_short_form || v->mate_name || v->min_length >= 0 || v->max_length >= 0;

    assert(v->n_start >= 0 && v->n_start <= 2 && v->n_end >= 0 && v->n_end <= 2);
    v->kind = BEACON_REQ_VQ_NONE;
    if (!any) return GN_OK;
    if (v->min_length >= 0 && v->max_length >= 0 && v->min_length > v->max_length) {
        return vq_err(err, "'variantMinLength' is greater than 'variantMaxLength'");
    }
    if (v->n_end && !v->n_start) return vq_err(err, "'end' needs 'start'");
    if (v->allele_short_form) {
        if (v->n_start || v->gene_id) {
            return vq_err(err,
                          "'genomicAlleleShortForm' cannot be combined with 'start' or 'geneId'");
        }
        v->kind = BEACON_REQ_VQ_ALLELE;
    } else if (v->gene_id) {
        if (v->n_start) return vq_err(err, "'geneId' cannot be combined with 'start'/'end'");
        v->kind = BEACON_REQ_VQ_GENE;
    } else if (v->n_start) {
        rc = classify_positional(v, err);
    } else if (v->aminoacid_change) {
        v->kind = BEACON_REQ_VQ_AMINOACID;
    } else {
        rc = vq_err(err, "give 'start' (with 'end' for a range or bracket query), 'geneId', "
                         "'aminoacidChange' or 'genomicAlleleShortForm'");
    }
    if (rc < 0) v->kind = BEACON_REQ_VQ_NONE;
    return rc;
}

/* ---- entry point -------------------------------------------------------------------- */

/* GET and POST are the only methods the Beacon API defines (HEAD and OPTIONS are the
 * HTTP layer's business). */
static int parse_method(struct ctx *c, const char *method)
{
    char tok[48];
    if (method && strcmp(method, "GET") == 0) {
        c->r->method = BEACON_REQ_GET;
    } else if (method && strcmp(method, "POST") == 0) {
        c->r->method = BEACON_REQ_POST;
    } else {
        return gn_errf(c->err, GN_EUNSUPPORTED, "method '%s' is not allowed (GET or POST)",
                       method ? strparse_quote(tok, method, strlen(method)) : "");
    }
    return GN_OK;
}

/* Defaults, the limit clamp and the version check, once every source is read. */
static void finish_options(struct ctx *c)
{
    struct beacon_req *r = c->r;
    char tok[48];

    if (!c->seen[P_LIMIT]) {
        r->limit = BEACON_REQ_LIMIT_DEFAULT;
    } else if (r->limit == 0) {
        r->limit = BEACON_REQ_LIMIT_MAX;
    } else if (r->limit > BEACON_REQ_LIMIT_MAX) {
        warn(r, "limit %lld is over the maximum %d; %d used", (long long)r->limit,
             BEACON_REQ_LIMIT_MAX, BEACON_REQ_LIMIT_MAX);
        r->limit = BEACON_REQ_LIMIT_MAX;
    }
    if (r->api_version) {
        const char *v = r->api_version + (r->api_version[0] == 'v' || r->api_version[0] == 'V');
        if (v[0] != '2' || (v[1] && v[1] != '.')) {
            warn(r, "apiVersion '%s' is not 2.x; answering as %s",
                 strparse_quote(tok, r->api_version, strlen(r->api_version)),
                 BEACON_REQ_API_VERSION);
        }
    }
}

/* Seven parameters, one over the house limit: they are the parts of an HTTP request, and a
 * struct for them would only be filled and emptied again by the one caller.
 * NOLINTNEXTLINE(readability-function-size) */
int beacon_req_parse(const char *method, const char *path, const char *query_string,
                     const char *body, size_t body_len, struct beacon_req *out, struct gn_err *err)
{
    struct ctx c;
    size_t pn;
    int rc;

    assert(out);
    memset(out, 0, sizeof *out);
    memset(&c, 0, sizeof c);
    c.r = out;
    c.err = err;
    out->variant.min_length = out->variant.max_length = -1;
    if (!path) path = "";
    pn = strcspn(path, "?#");
    if (!query_string && path[pn] == '?') query_string = path + pn + 1;
    if (!query_string) query_string = "";

    if ((rc = parse_method(&c, method)) < 0) goto fail;
    if ((rc = route(&c, path, pn)) < 0) goto fail;
    if ((rc = parse_query_string(&c, query_string, strcspn(query_string, "#"))) < 0) goto fail;
    if (body && !blank(body, body_len)) {
        if (out->method == BEACON_REQ_POST) {
            if ((rc = parse_body(&c, body, body_len)) < 0) goto fail;
        } else {
            warn(out, "request body ignored for GET");
        }
    }
    finish_options(&c);
    if ((rc = beacon_req_variant_classify(&out->variant, err)) < 0) goto fail;
    return GN_OK;
fail:
    beacon_req_free(out);
    return rc;
}

void beacon_req_free(struct beacon_req *r)
{
    if (!r) return;
    gn_free(r->entry_id);
    gn_free(r->api_version);
    for (size_t i = 0; i < r->n_schemas; i++) {
        gn_free(r->schemas[i].entity_type);
        gn_free(r->schemas[i].schema);
    }
    for (size_t i = 0; i < r->n_filters; i++) {
        gn_free(r->filters[i].id);
        gn_free(r->filters[i].value);
        gn_free(r->filters[i].scope);
    }
    for (size_t i = 0; i < r->n_dataset_ids; i++) {
        gn_free(r->dataset_ids[i]);
    }
    beacon_req_variant_reset(&r->variant);
    memset(r, 0, sizeof *r);
}

void beacon_req_variant_reset(struct beacon_req_variant *v)
{
    if (!v) return;
    for (int p = P_ASSEMBLY; p <= P_MATE; p++) {
        gn_free(*variant_str(v, (enum param)p));
    }
    memset(v, 0, sizeof *v);
    v->min_length = v->max_length = -1;
}

/* ---- receivedRequestSummary --------------------------------------------------------- */

/* json_object_set_new() releases the value on failure and refuses NULL, so a chain of
 * these needs one check at the end. */
static int put(json_t *o, const char *k, json_t *v)
{
    return json_object_set_new(o, k, v) < 0 ? -1 : 0;
}

static int put_str(json_t *o, const char *k, const char *s)
{
    return s ? put(o, k, json_string(s)) : 0;
}

static json_t *int_array(const int64_t *a, int n)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < n; i++) {
        if (json_array_append_new(arr, json_integer((json_int_t)a[i])) < 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* The normalised g_variant parameters: only those given, bases upper-cased, start/end as
 * arrays even when the client sent a single number or a string. */
static json_t *summary_variant(const struct beacon_req_variant *v)
{
    json_t *g = json_object();
    int bad = !g;

    if (bad) return NULL;
    bad |= put_str(g, "assemblyId", v->assembly_id);
    bad |= put_str(g, "referenceName", v->reference_name);
    if (v->n_start) bad |= put(g, "start", int_array(v->start, v->n_start));
    if (v->n_end) bad |= put(g, "end", int_array(v->end, v->n_end));
    bad |= put_str(g, "referenceBases", v->reference_bases);
    bad |= put_str(g, "alternateBases", v->alternate_bases);
    bad |= put_str(g, "variantType", v->variant_type);
    bad |= put_str(g, "geneId", v->gene_id);
    bad |= put_str(g, "aminoacidChange", v->aminoacid_change);
    bad |= put_str(g, "genomicAlleleShortForm", v->allele_short_form);
    bad |= put_str(g, "mateName", v->mate_name);
    if (v->min_length >= 0) bad |= put(g, "variantMinLength", json_integer(v->min_length));
    if (v->max_length >= 0) bad |= put(g, "variantMaxLength", json_integer(v->max_length));
    if (bad) {
        json_decref(g);
        return NULL;
    }
    return g;
}

/* requestParameters keyed by entry type, so each value is an object as the schema
 * (additionalProperties: object) requires; a flat echo of start[] would violate it. */
static json_t *summary_params(const struct beacon_req *r)
{
    json_t *rp = json_object(), *ds = NULL, *ids = NULL;
    int bad = !rp;

    if (!bad && r->variant.kind != BEACON_REQ_VQ_NONE) {
        bad |= put(rp, "g_variant", summary_variant(&r->variant));
    }
    if (!bad && r->n_dataset_ids) {
        /* Each put() owns its value from here on, also when it fails. */
        bad = put(rp, "datasets", ds = json_object());
        if (!bad) bad = put(ds, "datasetIds", ids = json_array());
        for (size_t i = 0; !bad && i < r->n_dataset_ids; i++) {
            bad = json_array_append_new(ids, json_string(r->dataset_ids[i])) < 0;
        }
    }
    if (bad) {
        json_decref(rp);
        return NULL;
    }
    return rp;
}

/* A filter as the schema's string: the id, or id, operator and value run together. */
static json_t *summary_filter(const struct beacon_req_filter *f)
{
    char *s;
    json_t *j;
    size_t a, b, cc;

    if (f->kind == BEACON_REQ_FILTER_TERM) return json_string(f->id);
    a = strlen(f->id);
    b = strlen(beacon_req_op_name(f->op));
    cc = strlen(f->value);
    if (!(s = gn_malloc(a + b + cc + 1))) return NULL;
    memcpy(s, f->id, a);
    memcpy(s + a, beacon_req_op_name(f->op), b);
    memcpy(s + a + b, f->value, cc + 1);
    j = json_string(s);
    gn_free(s);
    return j;
}

/* requestedSchemas is required in the summary; [] when none were asked for (minItems 0). */
static json_t *summary_schemas(const struct beacon_req *r)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < r->n_schemas; i++) {
        json_t *o = json_object();
        int bad = !o || put_str(o, "entityType", r->schemas[i].entity_type) ||
                  put_str(o, "schema", r->schemas[i].schema);
        if (bad || json_array_append_new(arr, o) < 0) {
            if (bad) json_decref(o);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

json_t *beacon_req_summary(const struct beacon_req *r)
{
    json_t *s = json_object(), *pg = NULL, *fl = NULL;
    int bad = !s;

    assert(r);
    if (bad) return NULL;
    bad |= put_str(s, "apiVersion", r->api_version ? r->api_version : BEACON_REQ_API_VERSION);
    bad |= put(s, "requestedSchemas", summary_schemas(r));
    bad |= !(pg = json_object()) || put(s, "pagination", pg);
    if (!bad) {
        bad |= put(pg, "skip", json_integer(r->skip));
        bad |= put(pg, "limit", json_integer(r->limit));
    }
    bad |= put_str(s, "requestedGranularity", beacon_req_granularity_name(r->granularity));
    bad |= put_str(s, "includeResultsetResponses", beacon_req_resultsets_name(r->resultsets));
    bad |= put(s, "testMode", json_boolean(r->test_mode));
    if (!bad && r->n_filters) {
        bad |= !(fl = json_array()) || put(s, "filters", fl);
        for (size_t i = 0; !bad && i < r->n_filters; i++) {
            bad |= json_array_append_new(fl, summary_filter(&r->filters[i])) < 0;
        }
    }
    if (!bad && (r->variant.kind != BEACON_REQ_VQ_NONE || r->n_dataset_ids)) {
        bad |= put(s, "requestParameters", summary_params(r));
    }
    if (bad) {
        json_decref(s);
        return NULL;
    }
    return s;
}

/* ---- names -------------------------------------------------------------------------- */

const char *beacon_req_entry_name(enum beacon_req_entry e)
{
    return (int)e >= 0 && (int)e < N_ENTRIES ? entry_names[e] : "";
}

const char *beacon_req_endpoint_name(enum beacon_req_endpoint ep)
{
    static const char *const names[] = {"root",        "info",   "service-info",    "configuration",
                                        "entry_types", "map",    "filtering_terms", "entries",
                                        "entry",       "related"};
    return (unsigned)ep < sizeof names / sizeof names[0] ? names[ep] : "";
}

const char *beacon_req_granularity_name(enum beacon_req_granularity g)
{
    return (unsigned)g < 3 ? gran_words[g] : "";
}

const char *beacon_req_resultsets_name(enum beacon_req_resultsets rs)
{
    return (unsigned)rs < 4 ? rs_words[rs] : "";
}

const char *beacon_req_vq_name(enum beacon_req_vq k)
{
    static const char *const names[] = {"none",
                                        "sequence",
                                        "range",
                                        "bracket",
                                        "geneId",
                                        "aminoacidChange",
                                        "genomicAlleleShortForm"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "";
}

const char *beacon_req_op_name(enum beacon_req_filter_op op)
{
    return (unsigned)op < 6 ? op_words[op] : "";
}
