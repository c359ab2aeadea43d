/*
 * pgx_http.h — GET /pgx/{id}: one patient's pharmacogenomic report for their clinician,
 * from the node's genotype store, over HTTP (docs/pgx.md, "Over HTTP").
 *
 *   GET /pgx/{sample_id or national_id}?drug=NAME&format=json|html|tsv
 *   Authorization: Bearer <API token of a user with role clinician>
 *
 * The answer is the document `genomenode pgx DIR --sample ID --format F [--drug NAME]`
 * prints (pgx_report.h builds and writes both), with input "store". Access is policy's
 * clinician own-treatment path (policy.h: rq->patient is the person's pseudonym; record
 * level for that one person), and the read is audited by policy_done with the number of
 * records read and the person's pseudonym. Errors are JSON objects {"error": {"errorCode",
 * "errorMessage"}}: 401 without (or with a refused) credential, 403 when policy refuses,
 * 404 for an unknown or withdrawn patient (only a caller policy would let act for a
 * patient learns that: anyone else gets the 403), 400 for an unknown drug, a bad format or
 * a malformed query (an {id} or drug that is not UTF-8 text included), 414 for a path over
 * PGX_HTTP_MAX_QUERY bytes, 405 for a method other than GET/HEAD, 503 without the pgx data.
 * An allowed request is audited even when its report then fails (500).
 *
 * The {id} is a sample ID, or failing that a national ID in the node's format (the
 * person's first live sample). Both are percent-decoded; IDs are never logged or audited,
 * only pseudonyms.
 *
 * Ownership: answers are owned by the caller (gn_free). Thread safety: one call per
 * thread with the thread's own catalog handle and snapshot; the struct pgx_data is shared
 * read-only.
 */
#ifndef GN_PGX_HTTP_H
#define GN_PGX_HTTP_H

#include <stddef.h>

#include "catalog.h"
#include "err.h"
#include "gtstore.h"
#include "pgx_report.h"
#include "policy.h"
#include "pseudonym.h"

#define PGX_HTTP_MAX_ID    128  /* bytes of a decoded {id} */
#define PGX_HTTP_MAX_DRUG  128  /* bytes of a decoded drug name */
#define PGX_HTTP_MAX_QUERY 1024 /* bytes of the raw path with query string */

/* A parsed request. */
struct pgx_http_req {
    char id[PGX_HTTP_MAX_ID + 1];
    char drug[PGX_HTTP_MAX_DRUG + 1]; /* "" for every relevant guideline */
    enum pgx_format format;
};

/* 1 when path (query string allowed) is under /pgx/. */
int pgx_http_route(const char *path);

/* Parses "/pgx/{id}?drug=..&format=.." (len bytes, no NUL needed). Parameters may come in
 * any order, each at most once; unknown parameters are refused. GN_EPARSE (bad escape,
 * empty id, unknown parameter or format, control bytes, text that is not UTF-8), GN_ELIMIT
 * (an id or drug over its limit) or GN_EURI (a path over PGX_HTTP_MAX_QUERY), with the
 * reason. */
GN_MUST_CHECK int pgx_http_parse(const char *path, size_t len, struct pgx_http_req *rq,
                                 struct gn_err *err);

/* One request. who is NULL without a credential; refuse_status non-zero when the credential
 * was refused (its message in refuse_msg). */
struct pgx_http_call {
    const char *method;
    const char *path; /* as sent, with the query string */
    const struct policy_caller *who;
    int refuse_status;
    const char *refuse_msg;
};

/* Answers call into an owned *out with *status and *ctype (a static string). data may be
 * NULL (the pgx data could not be loaded: 503). Returns GN_OK unless out of memory or the
 * catalog or store fails (then the caller answers 503); refusals are answers. */
GN_MUST_CHECK int pgx_http_handle(const struct pgx_data *data, struct catalog *c,
                                  const struct pseudonym *key, const struct gtsnap *snap,
                                  const struct pgx_http_call *call, char **out, size_t *len,
                                  int *status, const char **ctype);

#endif
