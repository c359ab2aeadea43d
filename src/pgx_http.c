/*
 * pgx_http.c — GET /pgx/{id} (pgx_http.h): the clinician's pharmacogenomic report over
 * HTTP.
 *
 * Order of the checks, and why:
 *   1. method, data, request syntax: answered without touching the catalog;
 *   2. the credential: no credential is 401 before any lookup, so an anonymous caller
 *      learns nothing about which IDs exist;
 *   3. the drug: an unknown drug is 400 before any genotype is read;
 *   4. the patient: the {id} is resolved to a sample and its person's pseudonym; an
 *      unknown one is still put to policy (with a pseudonym that names nobody), so a caller
 *      who may not act for patients gets policy's 403 whatever the ID, and only a clinician
 *      (whom policy then refuses for want of samples) is told 404;
 *   5. policy_decide with the own-treatment purpose (record level, that person only);
 *   6. the store read, the report, and policy_done naming the person's pseudonym.
 * Everything after policy_decide that fails still leaves the decision's audit entry.
 */
#include "pgx_http.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "node.h"
#include "pgx_store.h"
#include "strparse.h"

#define JSON_TYPE "application/json"

int pgx_http_route(const char *path)
{
    return !strncmp(path, "/pgx/", 5) || !strcmp(path, "/pgx");
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes [p, end) into dst (cap bytes with the NUL); '+' is a space in query
 * values (plus = 1). Control bytes and NUL are refused, and so is text that is not UTF-8:
 * no sample or drug is named so, and the value is quoted in messages. */
static int decode(const char *p, const char *end, int plus, char *dst, size_t cap, const char *what,
                  struct gn_err *err)
{
    size_t o = 0;
    while (p < end) {
        int c = (unsigned char)*p++;
        if (c == '%') {
            int hi, lo;
            if (end - p < 2 || (hi = hexval(p[0])) < 0 || (lo = hexval(p[1])) < 0)
                return gn_errf(err, GN_EPARSE, "bad percent escape in %s", what);
            c = hi << 4 | lo;
            p += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        if (c < 0x20 || c == 0x7f) return gn_errf(err, GN_EPARSE, "control byte in %s", what);
        if (o + 1 >= cap) return gn_errf(err, GN_ELIMIT, "%s too long", what);
        dst[o++] = (char)c;
    }
    dst[o] = 0;
    if (!strparse_utf8_valid(dst, o)) return gn_errf(err, GN_EPARSE, "%s is not UTF-8 text", what);
    return GN_OK;
}

/* One name=value pair of the query string. */
static int param(const char *p, const char *end, struct pgx_http_req *rq, int *seen,
                 struct gn_err *err)
{
    const char *eq = memchr(p, '=', (size_t)(end - p));
    size_t nl = eq ? (size_t)(eq - p) : (size_t)(end - p);
    char fmt[16];
    int rc;
    if (!eq) return gn_errf(err, GN_EPARSE, "query parameter without a value");
    if (nl == 4 && !memcmp(p, "drug", 4) && !(*seen & 1)) {
        *seen |= 1;
        if ((rc = decode(eq + 1, end, 1, rq->drug, sizeof rq->drug, "drug", err)) < 0) return rc;
        return rq->drug[0] ? GN_OK : gn_errf(err, GN_EPARSE, "empty drug");
    }
    if (nl == 6 && !memcmp(p, "format", 6) && !(*seen & 2)) {
        *seen |= 2;
        if ((rc = decode(eq + 1, end, 1, fmt, sizeof fmt, "format", err)) < 0 ||
            pgx_format_parse(fmt, &rq->format) < 0)
            return gn_errf(err, GN_EPARSE, "format must be json, html or tsv");
        return GN_OK;
    }
    char name[40];
    return gn_errf(err, GN_EPARSE, "unknown or repeated query parameter '%s' (drug, format)",
                   strparse_utf8_cut(name, sizeof name, p, nl));
}

int pgx_http_parse(const char *path, size_t len, struct pgx_http_req *rq, struct gn_err *err)
{
    const char *end = path + len, *q, *p;
    int seen = 0, rc;
    memset(rq, 0, sizeof *rq);
    rq->format = PGX_FORMAT_JSON;
    if (len > PGX_HTTP_MAX_QUERY) return gn_errf(err, GN_EURI, "request path too long");
    if (len < 5 || memcmp(path, "/pgx/", 5))
        return gn_errf(err, GN_EPARSE, "expected /pgx/{sample or person id}");
    q = memchr(path, '?', len);
    if (!q) q = end;
    if (memchr(path + 5, '/', (size_t)(q - path - 5)))
        return gn_errf(err, GN_EPARSE, "expected /pgx/{sample or person id}");
    if ((rc = decode(path + 5, q, 0, rq->id, sizeof rq->id, "id", err)) < 0) return rc;
    if (!rq->id[0]) return gn_errf(err, GN_EPARSE, "expected /pgx/{sample or person id}");
    for (p = q < end ? q + 1 : end; p < end;) {
        const char *amp = memchr(p, '&', (size_t)(end - p)), *e = amp ? amp : end;
        if (e > p && (rc = param(p, e, rq, &seen, err)) < 0) return rc;
        p = amp ? amp + 1 : end;
    }
    return GN_OK;
}

/* {"error": {"errorCode": status, "errorMessage": msg}} as the answer; msg is made UTF-8
 * text first, so no message can turn the answer into a failure. */
static int answer_error(int status, const char *msg, char **out, size_t *len, int *st,
                        const char **ctype)
{
    char text[GN_ERR_MSG_MAX];
    json_t *o = json_pack("{s:{s:i,s:s}}", "error", "errorCode", status, "errorMessage",
                          strparse_utf8_cut(text, sizeof text, msg, strlen(msg)));
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s) return GN_ENOMEM;
    *len = strlen(s);
    *out = gn_malloc(*len + 1);
    if (*out) memcpy(*out, s, *len + 1);
    free(s);
    if (!*out) return GN_ENOMEM;
    *st = status;
    *ctype = JSON_TYPE;
    return GN_OK;
}

/* The patient behind the {id}: a live sample, else a national ID's first live sample. On
 * GN_OK *gid and ind (the person's pseudonym, "" when none is recorded) are set;
 * GN_ENOTFOUND when neither resolves. */
static int resolve(struct catalog *c, const struct pseudonym *key, const struct gtsnap *snap,
                   const char *id, uint32_t *gid, char *ind, size_t cap, struct gn_err *err)
{
    char ps[PSEUDONYM_LEN + 1], name[PSEUDONYM_LEN + 64];
    struct catalog_individual person;
    uint32_t ids[64];
    int wd = 0, rc, n;
    struct gn_err ignore = GN_ERR_INIT;
    pseudonym_of(key, "sample", id, strlen(id), ps);
    rc = catalog_sample_lookup(c, ps, gid, &wd, err);
    if (rc == GN_OK && !wd && !gtstore_manifest_is_deleted(&snap->man, *gid)) {
        if ((rc = catalog_begin_read(c, err)) < 0) return rc;
        rc = catalog_sample_names(c, *gid, name, ind, cap, err);
        catalog_rollback(c);
        return rc;
    }
    if (rc < 0 && rc != GN_ENOTFOUND) return rc;
    /* A national ID: malformed ones are simply not found (the message would echo it). */
    if (node_person_pseudonym(c, key, id, ps, &ignore) < 0) return GN_ENOTFOUND;
    if ((rc = catalog_individual_get(c, ps, &person, &ignore)) < 0) return GN_ENOTFOUND;
    if ((n = catalog_individual_samples(c, person.id, ids, 64, err)) < 0) return n;
    for (int k = 0; k < n; k++) {
        if (ids[k] < snap->man.next_sample && !gtstore_manifest_is_deleted(&snap->man, ids[k])) {
            *gid = ids[k];
            (void)snprintf(ind, cap, "%s", ps);
            return GN_OK;
        }
    }
    return GN_ENOTFOUND;
}

/* The genotypes of one person, gene by gene, for pgx_report_build. */
struct one {
    struct pgx_store_gene **genes;
    struct pgx_obs *obs;
};

static const struct pgx_obs *one_obs(const void *src, uint32_t g)
{
    const struct one *o = src;
    pgx_store_gene_obs(o->genes[g], 0, o->obs);
    return o->obs;
}

/* Reads, reports and renders the allowed patient. */
static int report(const struct pgx_data *data, const struct gtsnap *snap,
                  const struct pgx_http_req *rq, uint32_t gid, uint64_t *records, struct gn_buf *b,
                  struct gn_err *err)
{
    const struct pgx_defs *defs = data->defs;
    struct one o = {0};
    struct pgx_report r = {0};
    struct pgx_report_in in = {0};
    int rc = GN_OK;
    if (!(o.genes = gn_calloc(defs->n ? defs->n : 1, sizeof *o.genes)) ||
        !(o.obs = gn_calloc(PGX_DEF_MAX_POSITIONS, sizeof *o.obs))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t g = 0; g < defs->n; g++) {
        if ((rc = pgx_store_gene_read(snap, defs->genes[g], &gid, 1, &o.genes[g], err)) < 0)
            goto out;
        *records += pgx_store_gene_records(o.genes[g]);
    }
    r.sample = rq->id;
    r.input = "store";
    r.defs = defs;
    r.ph = data->ph;
    r.guides = data->guides;
    in.obs = one_obs;
    in.src = &o;
    in.drug = rq->drug[0] ? rq->drug : NULL;
    if ((rc = pgx_report_build(&r, &in, err)) < 0) goto out;
    if ((rc = pgx_report_write(&r, rq->format, b)) < 0)
        rc = gn_errf(err, rc, "cannot render the report");
out:
    pgx_report_reset(&r);
    for (uint32_t g = 0; o.genes && g < defs->n; g++)
        pgx_store_gene_free(o.genes[g]);
    gn_free(o.genes);
    gn_free(o.obs);
    return rc;
}

/* Policy, then the report and its audit entry; the answer in b or an error status. */
static int decide_and_report(const struct pgx_data *data, struct catalog *c,
                             const struct pseudonym *key, const struct gtsnap *snap,
                             const struct pgx_http_call *call, const struct pgx_http_req *rq,
                             struct gn_buf *b, int *status, struct gn_err *err)
{
    struct policy_request prq = {0};
    struct policy_decision d;
    char ind[PSEUDONYM_LEN + 64] = "", detail[256];
    uint32_t gid = 0;
    uint64_t records = 0;
    int rc, found;

    rc = resolve(c, key, snap, rq->id, &gid, ind, sizeof ind, err);
    if (rc < 0 && rc != GN_ENOTFOUND) return rc;
    found = rc == GN_OK;
    (void)snprintf(detail, sizeof detail, "pgx report over HTTP (%u genes%s%.100s)", data->defs->n,
                   rq->drug[0] ? ", drug " : "", rq->drug);
    prq.action = "pgx";
    prq.detail = detail;
    prq.patient = found && ind[0] ? ind : "-"; /* "-": names nobody */
    prq.need = GRAN_RECORD;
    prq.cohort = &gid;
    prq.n_cohort = found;
    prq.has_cohort = 1;
    if ((rc = policy_decide(c, key, call->who, &prq, &d, err)) == GN_EDENIED) {
        int clinician = call->who->role && !strcmp(call->who->role, "clinician");
        *status = !found && clinician ? 404 : 403;
        if (*status == 404) {
            char id[72];
            (void)gn_errf(err, GN_ENOTFOUND, "no sample or person '%s' in the store",
                          strparse_utf8_cut(id, sizeof id, rq->id, strlen(rq->id)));
        }
        return GN_OK;
    }
    if (rc < 0) return rc;
    if (!found || !policy_allows(&d, gid)) { /* cannot happen: the cohort is that person */
        policy_decision_free(&d);
        *status = 403;
        (void)gn_errf(err, GN_EDENIED, "that patient is not available to this caller");
        return GN_OK;
    }
    /* The decision allowed an access: its audit entry is written whatever the report does,
     * with the records read so far; a failed report keeps its own message. */
    rc = report(data, snap, rq, gid, &records, b, err);
    {
        struct gn_err aerr = GN_ERR_INIT;
        int arc = policy_done(c, key, &d, (int64_t)records, ind, rc < 0 ? &aerr : err);
        if (rc >= 0) rc = arc;
    }
    policy_decision_free(&d);
    if (rc < 0) return rc;
    *status = 200;
    return GN_OK;
}

int pgx_http_handle(const struct pgx_data *data, struct catalog *c, const struct pseudonym *key,
                    const struct gtsnap *snap, const struct pgx_http_call *call, char **out,
                    size_t *len, int *status, const char **ctype)
{
    struct gn_err err = GN_ERR_INIT;
    struct pgx_http_req rq;
    struct gn_buf b;
    int rc, st = 0;

    *out = NULL;
    *len = 0;
    if (strcmp(call->method, "GET") && strcmp(call->method, "HEAD"))
        return answer_error(405, "GET /pgx/{id} only", out, len, status, ctype);
    if ((rc = pgx_http_parse(call->path, strlen(call->path), &rq, &err)) < 0)
        return answer_error(gn_err_http_status(rc), err.msg, out, len, status, ctype);
    if (call->refuse_status)
        return answer_error(call->refuse_status, call->refuse_msg, out, len, status, ctype);
    if (!call->who)
        return answer_error(401, "a clinician's API token is needed (Authorization: Bearer)", out,
                            len, status, ctype);
    if (!data || !data->guides)
        return answer_error(503, "the pgx data is not loaded on this node", out, len, status,
                            ctype);
    if (rq.drug[0] && !pgx_report_drug_known(data->guides, rq.drug))
        return answer_error(400, "unknown drug: no CPIC or DPWG guideline names it", out, len,
                            status, ctype);
    gn_buf_init(&b, PGX_REPORT_MAX_BYTES);
    rc = decide_and_report(data, c, key, snap, call, &rq, &b, &st, &err);
    if (rc == GN_ENOMEM) {
        gn_buf_free(&b);
        return rc;
    }
    if (rc < 0) {
        gn_buf_free(&b);
        return answer_error(rc == GN_ENOTFOUND ? 400 : 500, err.msg[0] ? err.msg : gn_strerror(rc),
                            out, len, status, ctype);
    }
    if (st != 200) {
        gn_buf_free(&b);
        return answer_error(st, err.msg[0] ? err.msg : gn_strerror(GN_EDENIED), out, len, status,
                            ctype);
    }
    *out = (char *)b.data; /* handed over: gn_buf memory is gn_malloc'd */
    *len = b.len;
    *status = 200;
    *ctype = pgx_format_type(rq.format);
    return GN_OK;
}
