/*
 * beacon.h — the GA4GH Beacon v2 service: one parsed request (beacon_req.h) in, one
 * response document out, answered from the node's store and catalog.
 *
 * What it answers (Beacon v2.1.1 framework and default model):
 *   /, /info, /service-info, /configuration, /entry_types, /map, /filtering_terms;
 *   /g_variants: sequence, range and bracket queries (0-based, half-open coordinates as
 *     the spec says; assemblyId checked against the store's build; variantType, min/max
 *     length), per dataset: exists, the number of variants, and each variant with its
 *     allele count, number and frequency in that dataset's consented population
 *     (frequencyInPopulations); /g_variants/{chrom:pos:ref:alt};
 *   /individuals and /biosamples: counts, and records at record level (pseudonyms only);
 *     /individuals/{id}, /individuals/{id}/g_variants and /biosamples/{id};
 *   /datasets (the datasets the caller may use, with their DUO terms), /datasets/{id} and
 *     the nested /datasets/{id}/{g_variants|individuals|biosamples};
 *   /cohorts: none are defined on this node (an empty collection).
 * Filters (ANDed): sex (NCIT:C16576 female, NCIT:C20197 male, NCIT:C17998 unknown, also as
 * {"id": "sex", "value": "NCIT:..."}); HPO terms ("HP:0001250", includeDescendantTerms
 * true by default) matching the individuals whose imported phenopacket has the term as an
 * observed feature, or with descendants any term below it in the server's HPO index
 * (beacon_set_hpo; obsolete ids through their replacement, with a warning); diagnoses
 * ("OMIM:614959", exact id) of the imported phenopackets. They apply to /individuals,
 * /biosamples and the counts of /g_variants alike. A filter this node cannot evaluate
 * (unknown terms, or a diagnosis none of the people the caller may see has) matches no one
 * and is reported as a warning in info. /filtering_terms is a query like the others (budget,
 * decision, audit): the sex terms, and the HPO terms and diagnoses carried by at least the
 * small-count threshold of the people the caller may see (at least one at record level).
 *
 * Under a project (X-Project) every individual and sample id given or taken is the
 * project's pseudonym of the node's (pseudonym_derive): /individuals and /biosamples records
 * (individualId included) name them so, and /individuals/{id} and /biosamples/{id} resolve
 * the project's ids only, never the node's.
 *
 * Access is never decided here: every query asks policy (discovery request, per-dataset
 * caps; see policy.h) and the returned granularity is the requested one capped by the
 * lowest cap among the datasets answered. Below record level, counts between 1 and the
 * small-count threshold are suppressed (the variant's frequencies are left out) or
 * rounded, as policy says; /datasets gives samplesAvailable by the same rule, and only at
 * count level or above. Each query first takes one unit of the caller's query budget (429
 * past it) and ends with its audit entry (policy_done), also when it fails after policy
 * allowed it.
 *
 * Ownership: a struct beacon is one thread's state (decision cache, mask cache, the
 * people table); the catalog, key, snapshot and budget are borrowed per call. The
 * response body is owned by the caller (gn_free).
 */
#ifndef GN_BEACON_H
#define GN_BEACON_H

#include <stddef.h>

#include "catalog.h"
#include "err.h"
#include "gtstore.h"
#include "policy.h"
#include "pseudonym.h"

struct beacon;

GN_MUST_CHECK int beacon_new(struct beacon **b);
void beacon_free(struct beacon *b);

struct hpo;
/* The HPO index phenotype filters are evaluated with (borrowed; it must outlive b and is
 * only read, so one index serves every worker's struct beacon). NULL: none, HP: filters then
 * match the exact term only. Call before the first request. */
void beacon_set_hpo(struct beacon *b, const struct hpo *h);

struct beacon_call {
    const struct policy_caller *who;
    const char *client;  /* budget key: the user's name, or "anonymous@ADDRESS" */
    const char *project; /* X-Project header, or NULL */
    const char *purpose; /* X-Purpose header (DUO terms), or NULL */
    const char *method, *path, *query;
    const char *body;
    size_t body_len;
    /* When refuse_status is non-zero the request was refused before it reached the Beacon
     * (authentication): the answer is the spec's error object with this status and message,
     * and nothing else is done. */
    int refuse_status;
    const char *refuse_msg;
};

/* Answers one request: *status is the HTTP status and *out an owned JSON document (a
 * Beacon response, or the spec's error response). Returns GN_OK whenever a response was
 * built (errors included), or GN_ENOMEM. */
GN_MUST_CHECK int beacon_handle(struct beacon *b, struct catalog *c, const struct pseudonym *key,
                                const struct gtsnap *snap, struct policy_budget *budget,
                                const struct beacon_call *call, char **out, size_t *len,
                                int *status);

#endif
