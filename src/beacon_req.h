/*
 * beacon_req.h — the GA4GH Beacon v2 request parser: one HTTP request (method, path,
 * query string, JSON body) in, one normalised struct beacon_req out, ready for a handler
 * to execute. No I/O and no query execution happen here.
 *
 * What is accepted (Beacon v2.1.1 framework, beaconRequestBody.json, and the default
 * model's endpoints.json and genomicVariations/requestParameters.json):
 *
 *   Paths   "/", "/info", "/service-info", "/configuration", "/entry_types", "/map",
 *           "/filtering_terms"; an entry type "/g_variants", "/individuals", "/biosamples",
 *           "/datasets", "/cohorts", "/runs", "/analyses"; one record "/{type}/{id}"; the
 *           nested forms of the spec "/{type}/{id}/{type2}" (for example
 *           /datasets/{id}/g_variants, /g_variants/{id}/biosamples, /cohorts/{id}/individuals);
 *           "/{type}/filtering_terms" and "/datasets|cohorts/{id}/filtering_terms". An
 *           optional leading "/api" segment and one trailing '/' are ignored; {id} is
 *           percent-decoded. Anything else is GN_ENOTFOUND.
 *   GET     parameters from the query string (percent-decoded, '+' is a space): the
 *           variant parameters, skip, limit, requestedGranularity,
 *           includeResultsetResponses, testMode, apiVersion, requestedSchema, filters and
 *           datasetIds. start/end, filters and datasetIds take comma lists; start and end
 *           may also be repeated (start=1&start=5).
 *   POST    a JSON object {"meta": {...}, "query": {...}}; the query string, when present,
 *           is read too, first. A GET body is ignored (with a warning).
 *
 * Tolerance, as real clients do not follow the spec: numbers may come as numeric strings
 * ("start": "45864731"), a single start/end value need not be in an array, the variant
 * parameters may sit directly in requestParameters without the "g_variant" wrapper, a
 * filter may be a plain string or an object without operator, referenceName may be a
 * JSON integer, and query options misplaced at the top level of the body (as in the spec
 * documentation's examples) are accepted with a warning. Unknown keys and parameters are
 * never errors: each yields a warning string in the result, which the response reports.
 *
 * Normalisation: see beacon_req.c's opening comment (defaults, limit clamping, variant
 * query classification, base upper-casing).
 *
 * Ownership: a struct beacon_req is caller storage; beacon_req_parse() fills it with heap
 * copies of every string, released by beacon_req_free(). Nothing points into the caller's
 * input after the call. beacon_req_summary() returns owned JSON (json_decref()).
 *
 * Thread safety: all functions are reentrant; a filled struct beacon_req may be read from
 * several threads.
 */
#ifndef GN_BEACON_REQ_H
#define GN_BEACON_REQ_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

/* ---- limits ------------------------------------------------------------------------- */

#define BEACON_REQ_MAX_BODY      ((size_t)1 << 20) /* bytes of JSON body (1 MiB); more: GN_EPAYLOAD */
#define BEACON_REQ_MAX_DEPTH     32                /* JSON nesting of arrays and objects */
#define BEACON_REQ_MAX_PATH      2048              /* bytes of path */
#define BEACON_REQ_MAX_QUERY     16384             /* bytes of query string */
#define BEACON_REQ_MAX_PARAMS    64                /* name=value pairs in the query string */
#define BEACON_REQ_MAX_FILTERS   64                /* filters kept; more is GN_ELIMIT */
#define BEACON_REQ_MAX_DATASETS  64                /* datasetIds kept; more is GN_ELIMIT */
#define BEACON_REQ_MAX_SCHEMAS   8     /* meta.requestedSchemas kept; more is GN_ELIMIT */
#define BEACON_REQ_MAX_TEXT      1024  /* bytes of any string except bases */
#define BEACON_REQ_MAX_BASES     65536 /* bytes of referenceBases / alternateBases */
#define BEACON_REQ_MAX_ID        256   /* bytes of the {id} path segment */
#define BEACON_REQ_MAX_POS       ((int64_t)1 << 40) /* start/end/length values, far beyond any contig */
#define BEACON_REQ_MAX_WARNINGS  16                 /* warnings kept; later ones are counted only */
#define BEACON_REQ_WARNING_LEN   160                /* bytes of one warning, NUL included */
#define BEACON_REQ_LIMIT_DEFAULT 10                 /* pagination.limit when not given (spec) */
#define BEACON_REQ_LIMIT_MAX     1000               /* larger limits, and 0 ("all"), become this */
#define BEACON_REQ_SKIP_MAX      1000000            /* pagination.skip beyond is GN_ELIMIT */

/* apiVersion echoed in the summary when the request named none. */
#define BEACON_REQ_API_VERSION "v2.1.1"

/* ---- routing ------------------------------------------------------------------------ */

enum beacon_req_method { BEACON_REQ_GET = 0, BEACON_REQ_POST = 1 };

enum beacon_req_endpoint {
    BEACON_REQ_EP_ROOT = 0,        /* "/" */
    BEACON_REQ_EP_INFO,            /* "/info" */
    BEACON_REQ_EP_SERVICE_INFO,    /* "/service-info" */
    BEACON_REQ_EP_CONFIGURATION,   /* "/configuration" */
    BEACON_REQ_EP_ENTRY_TYPES,     /* "/entry_types" */
    BEACON_REQ_EP_MAP,             /* "/map" */
    BEACON_REQ_EP_FILTERING_TERMS, /* "/filtering_terms", "/{entry}/filtering_terms" or
                                    * "/{entry}/{id}/filtering_terms" (entry, entry_id say which) */
    BEACON_REQ_EP_ENTRIES,         /* "/{entry}": a query over all records of entry */
    BEACON_REQ_EP_ENTRY,           /* "/{entry}/{id}": one record */
    BEACON_REQ_EP_RELATED,         /* "/{entry}/{id}/{target}": target records linked to it */
};

/* Entry types, by their path segment. NONE for framework endpoints. */
enum beacon_req_entry {
    BEACON_REQ_ENTRY_NONE = 0,
    BEACON_REQ_ENTRY_G_VARIANTS,
    BEACON_REQ_ENTRY_INDIVIDUALS,
    BEACON_REQ_ENTRY_BIOSAMPLES,
    BEACON_REQ_ENTRY_DATASETS,
    BEACON_REQ_ENTRY_COHORTS,
    BEACON_REQ_ENTRY_RUNS,
    BEACON_REQ_ENTRY_ANALYSES,
};

/* ---- query options ------------------------------------------------------------------ */

enum beacon_req_granularity {
    BEACON_REQ_BOOLEAN = 0, /* the spec default */
    BEACON_REQ_COUNT,
    BEACON_REQ_RECORD,
};

enum beacon_req_resultsets {
    BEACON_REQ_RS_HIT = 0, /* the spec default */
    BEACON_REQ_RS_MISS,
    BEACON_REQ_RS_ALL,
    BEACON_REQ_RS_NONE,
};

/* ---- filters ------------------------------------------------------------------------ */

enum beacon_req_filter_kind {
    BEACON_REQ_FILTER_TERM = 0,     /* ontology or custom term: id only (plain string or object
                                     * without value); the handler's filtering-terms table tells
                                     * which */
    BEACON_REQ_FILTER_ALPHANUMERIC, /* id, operator, value */
};

enum beacon_req_filter_op {
    BEACON_REQ_OP_EQ = 0, /* "=" (default) */
    BEACON_REQ_OP_LT,     /* "<" */
    BEACON_REQ_OP_GT,     /* ">" */
    BEACON_REQ_OP_NE,     /* "!" */
    BEACON_REQ_OP_GE,     /* ">=" */
    BEACON_REQ_OP_LE,     /* "<=" */
};

enum beacon_req_similarity {
    BEACON_REQ_SIM_EXACT = 0, /* default */
    BEACON_REQ_SIM_HIGH,
    BEACON_REQ_SIM_MEDIUM,
    BEACON_REQ_SIM_LOW,
};

struct beacon_req_filter {
    enum beacon_req_filter_kind kind;
    char *id;    /* never NULL nor empty */
    char *value; /* ALPHANUMERIC: the value (numbers are given as their decimal text); TERM: NULL */
    char *scope; /* entry type the filter applies to, as sent; NULL when absent */
    enum beacon_req_filter_op op;
    int include_descendants; /* 1 unless the request said false */
    enum beacon_req_similarity similarity;
};

/* ---- the variant query -------------------------------------------------------------- */

/* Query kinds of the Beacon v2 variant query documentation. */
enum beacon_req_vq {
    BEACON_REQ_VQ_NONE = 0,  /* no variant parameter given */
    BEACON_REQ_VQ_SEQUENCE,  /* referenceName, start[1], referenceBases, alternateBases */
    BEACON_REQ_VQ_RANGE,     /* referenceName, start[1], end[1] (+ variantType, bases, ...) */
    BEACON_REQ_VQ_BRACKET,   /* referenceName, start[2], end[2] (+ variantType, ...) */
    BEACON_REQ_VQ_GENE,      /* geneId (+ variantType, alternateBases, aminoacidChange, ...) */
    BEACON_REQ_VQ_AMINOACID, /* aminoacidChange without geneId or coordinates */
    BEACON_REQ_VQ_ALLELE,    /* genomicAlleleShortForm (HGVS) */
};

/* Strings are NULL when absent; "" is a value (an empty referenceBases is an insertion, an
 * empty alternateBases a deletion). Coordinates are 0-based as in the spec: start
 * inclusive, end exclusive; n_start/n_end say how many of start[]/end[] are used. */
struct beacon_req_variant {
    enum beacon_req_vq kind;
    char *assembly_id;
    char *reference_name;
    char *reference_bases; /* upper case, [ACGTUNRYSWKMBDHV.-]* */
    char *alternate_bases; /* upper case, [ACGTUNRYSWKMBDHV.-]* */
    char *variant_type;
    char *gene_id;
    char *aminoacid_change;
    char *allele_short_form; /* genomicAlleleShortForm */
    char *mate_name;
    int n_start, n_end;
    int64_t start[2], end[2];
    int64_t min_length, max_length; /* variantMinLength/MaxLength; -1 when absent */
};

/* ---- the request -------------------------------------------------------------------- */

struct beacon_req_schema {
    char *entity_type; /* NULL when absent */
    char *schema;      /* NULL when absent */
};

struct beacon_req {
    enum beacon_req_method method;
    enum beacon_req_endpoint endpoint;
    enum beacon_req_entry entry;  /* first path segment's entry type, NONE for framework */
    enum beacon_req_entry target; /* RELATED only: the entry type asked for */
    char *entry_id;               /* decoded {id}; NULL when the path has none */

    char *api_version; /* meta.apiVersion as sent; NULL when absent */
    struct beacon_req_schema schemas[BEACON_REQ_MAX_SCHEMAS];
    size_t n_schemas;

    enum beacon_req_granularity granularity;
    int granularity_given; /* 1 when the request named one */
    enum beacon_req_resultsets resultsets;
    int64_t skip;  /* 0..BEACON_REQ_SKIP_MAX, default 0 */
    int64_t limit; /* 1..BEACON_REQ_LIMIT_MAX, default BEACON_REQ_LIMIT_DEFAULT */
    int test_mode;

    struct beacon_req_filter filters[BEACON_REQ_MAX_FILTERS]; /* ANDed, in request order */
    size_t n_filters;
    char *dataset_ids[BEACON_REQ_MAX_DATASETS];
    size_t n_dataset_ids;

    struct beacon_req_variant variant;

    /* "unknown parameter 'foo' ignored" and the like, in the order met; printable ASCII. */
    char warnings[BEACON_REQ_MAX_WARNINGS][BEACON_REQ_WARNING_LEN];
    size_t n_warnings;
    size_t n_warnings_dropped; /* further warnings not kept */
};

/* Parses one HTTP request into *out, which is overwritten (any previous contents are not
 * freed) and then owns copies of everything it needs.
 *   method        "GET" or "POST" (case-sensitive, as in HTTP).
 *   path          the URL path, e.g. "/api/g_variants"; when query_string is NULL, a '?' in
 *                 path starts the query string.
 *   query_string  the raw query string without '?', still percent-encoded; NULL or "" for
 *                 none.
 *   body, body_len the request body (need not be NUL-terminated); NULL/0 or blank for none.
 * Returns GN_OK, or:
 *   GN_ENOTFOUND     unknown path;
 *   GN_EUNSUPPORTED  a method other than GET or POST;
 *   GN_EPARSE        malformed JSON ("malformed JSON at line L column C: ...") or a broken
 *                    percent-escape;
 *   GN_EINVAL        a wrong type or value (the message names the field) or an invalid
 *                    variant query (see beacon_req_variant_classify);
 *   GN_EPAYLOAD      a body over BEACON_REQ_MAX_BODY (HTTP 413);
 *   GN_EURI          a path, query string or {id} over BEACON_REQ_MAX_PATH, _QUERY or _ID
 *                    (HTTP 414);
 *   GN_ELIMIT        nesting depth, a string, a list, the number of query parameters or skip
 *                    over the other BEACON_REQ_MAX_* limits (HTTP 400: a bad value, not a
 *                    large request);
 *   GN_ENOMEM.
 * On failure *out holds nothing (beacon_req_free() on it is harmless). Borrows all inputs. */
GN_MUST_CHECK int beacon_req_parse(const char *method, const char *path, const char *query_string,
                                   const char *body, size_t body_len, struct beacon_req *out,
                                   struct gn_err *err);

/* Releases everything r owns and zeroes *r (r itself is caller storage). NULL is a no-op. */
void beacon_req_free(struct beacon_req *r);

/* Releases the strings of the variant query v and resets it to "no variant parameter"
 * (kind NONE, no start/end, min/max length -1), so that a handler may replace a parsed
 * variant query with its own (a /g_variants/{id} path) without leaking what the request
 * carried. NULL is a no-op. */
void beacon_req_variant_reset(struct beacon_req_variant *v);

/* Classifies the variant parameters in *v and sets v->kind (rules in beacon_req.c).
 * Returns GN_OK, or GN_EINVAL with a message naming what is missing or inconsistent
 * (sequence query without referenceBases, bracket with one end value, start > end...);
 * v->kind is then BEACON_REQ_VQ_NONE. beacon_req_parse() calls it; it is exported for
 * handlers that build a query themselves. */
GN_MUST_CHECK int beacon_req_variant_classify(struct beacon_req_variant *v, struct gn_err *err);

/* Renders r as the receivedRequestSummary section of a Beacon response
 * (responses/sections/beaconReceivedRequestSummary.json): apiVersion (the request's, else
 * BEACON_REQ_API_VERSION), requestedSchemas, pagination {skip, limit} as normalised,
 * requestedGranularity, includeResultsetResponses, testMode, and when present filters
 * (strings: a term's id, or id+operator+value such as "age>=P70Y", since the schema
 * types them as strings) and requestParameters ({"g_variant": {...}} with the normalised
 * variant parameters, {"datasets": {"datasetIds": [...]}}). Returns owned JSON to release
 * with json_decref(), or NULL when out of memory. Borrows r. */
json_t *beacon_req_summary(const struct beacon_req *r);

/* Static names: the path segment of an entry type ("g_variants"; "" for NONE), an endpoint
 * ("entries", "filtering_terms"...), "boolean"/"count"/"record", "HIT"/"MISS"/"ALL"/"NONE",
 * the variant query kind ("sequence", "range", "bracket", "geneId", "aminoacidChange",
 * "genomicAlleleShortForm", "none"), and a filter operator ("=", ">="...). */
const char *beacon_req_entry_name(enum beacon_req_entry e);
const char *beacon_req_endpoint_name(enum beacon_req_endpoint ep);
const char *beacon_req_granularity_name(enum beacon_req_granularity g);
const char *beacon_req_resultsets_name(enum beacon_req_resultsets rs);
const char *beacon_req_vq_name(enum beacon_req_vq k);
const char *beacon_req_op_name(enum beacon_req_filter_op op);

#endif
