/*
 * mme.h — Matchmaker Exchange (MME API v1.0, docs/mme.md): finding patients with similar
 * phenotypes and candidate genes at this node and at peer nodes.
 *
 * Server side: POST /match (also /mme/match) takes {"patient": {...}} with content type
 * application/vnd.ga4gh.matchmaker.v1.0+json and the peer's X-Auth-Token (an API token of
 * a peer-node user, auth.h), and answers {"results": [{"score": {"patient": s}, "patient":
 * {...}}]} for the people policy_matchmaking allows (policy.h: the one place that decides),
 * best first. GET /heartbeat (also /mme/heartbeat) says the API version accepted. Every
 * exchange is audited (policy_matchmaking_done) with the pseudonyms returned.
 *
 * Score in [0, 1]: p = hpo_rank_similarity of the two patients' observed HPO terms, g = 1
 * when they share a gene (symbol or HGNC id, case-insensitive), else 0. With phenotypes
 * and genes on the query: (p + g) / 2; phenotypes only: p; genes only: g. Results below
 * the setting mme_min_score (default 0.5) are not returned; at most mme_max_results
 * (default 20).
 *
 * Client side: peers are listed in DIR/mme_peers (mode 0600: NAME URL TOKEN per line,
 * written by mme_peer_add); mme_peers_send posts one request to every peer in parallel
 * (libcurl multi) with connect and total timeouts: a peer that fails, times out or
 * answers something that is not an MME response is reported in its result and never fails
 * the others.
 *
 * Candidates' profiles: scoring needs every matchable person's observed HPO terms (with
 * their ancestor closure and own information content, hpo_sim_cand) and genes. A struct
 * mme_cache keeps them for the whole node, for the catalog generation they were read at
 * (catalog_generation: phenotype records, consent, datasets and matchmaking choices all
 * bump it), so a /match reads the catalog only for the results it returns. Which people
 * are offered is still decided per request by policy_matchmaking; the cache only replaces
 * loading their profiles, and the results are the same as without it.
 *
 * Ownership: mme_query_parse returns an owned query (mme_query_free); mme_cache_new an
 * owned cache (mme_cache_free, once no request uses it). Thread safety: a struct mme_query
 * is not shared; mme_handle needs the caller's catalog handle (one per thread) and borrows
 * the shared, immutable struct hpo. A struct mme_cache is shared by all threads: it holds
 * an immutable, reference-counted snapshot of the profiles, swapped under its mutex when
 * the generation moves (the new one is built outside that mutex by the first request that
 * found the old one stale, while later requests of the same generation wait for it instead
 * of building their own: single flight; readers of a current snapshot take a reference and
 * never block each other for longer than a pointer copy). mme_global_init once per process before
 * any thread uses the client.
 */
#ifndef GN_MME_H
#define GN_MME_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "err.h"
#include "hpo.h"
#include "pseudonym.h"

#define MME_CONTENT_TYPE "application/vnd.ga4gh.matchmaker.v1.0+json"
#define MME_MAX_FEATURES 512
#define MME_MAX_GENES    64
#define MME_MAX_BYTES    (1u << 20)
#define MME_PEERS_FILE   "mme_peers"
#define MME_MAX_PEERS    32
#define MME_PEER_TOKEN   256
#define MME_PEER_URL     512

/* A patient as MME describes it (request or result); strings borrowed from the JSON the
 * query holds. */
struct mme_gene {
    const char *id; /* symbol, HGNC id, Ensembl or Entrez id as sent */
};
struct mme_feature {
    const char *id;    /* "HP:0001250" */
    int observed;      /* "yes" (default) or "no" */
    const char *onset; /* ageOfOnset "HP:0003593", or NULL */
};
struct mme_query {
    const char *id;
    const char *label;
    const char *onset; /* patient.ageOfOnset "HP:0003577", or NULL */
    struct mme_feature *features;
    size_t n_features;
    struct mme_gene *genes;
    size_t n_genes;
    double score; /* results: score.patient; requests: 0 */
    void *root_;  /* owned json_t */
};

/* Parses an MME request body {"patient": {...}} (kind 0) or one result entry's JSON
 * (kind 1, {"score":..., "patient":...}). GN_EPARSE with the field named, GN_EPAYLOAD for a
 * body over MME_MAX_BYTES, GN_ELIMIT past the other limits above. Features need ^HP:[0-9]{7}$; a
 * patient needs an id, a contact with name and href, and at least one feature or genomic feature.
 */
GN_MUST_CHECK int mme_query_parse(const char *p, size_t len, int kind, struct mme_query **out,
                                  struct gn_err *err);
void mme_query_free(struct mme_query *q);

/* 1 when the path (without query string, optionally under /mme) is an MME route. */
int mme_route(const char *path);

/* One HTTP request for the MME routes, and its answer. */
struct mme_call {
    const char *method; /* "GET", "POST" */
    const char *path;
    const char *token;  /* X-Auth-Token, or NULL */
    const char *ctype;  /* Content-Type, or NULL */
    const char *accept; /* Accept, or NULL */
    const char *body;
    size_t body_len;
};

/* The profile cache of a serving process (see above): GN_OK or GN_ENOMEM. */
struct mme_cache;
struct policy_cache; /* policy.h */
GN_MUST_CHECK int mme_cache_new(struct mme_cache **out);
void mme_cache_free(struct mme_cache *k);

/* What the cache has done (the server's /metrics): snapshots built, requests that waited
 * for another request's build instead of building, and people in the current snapshot.
 * k may be NULL (all zero). */
struct mme_cache_stats {
    uint64_t builds, waits, people;
};
void mme_cache_stats(struct mme_cache *k, struct mme_cache_stats *st);

/* Answers call into an owned *out (gn_free) with *status and *ctype (static string). h may
 * be NULL (no HPO index: /match answers 503). cache: the process's profile cache, or NULL
 * (profiles read for this call). pc: the calling thread's policy cache (the people
 * policy_matchmaking offers, kept per catalog generation: policy_matchmaking_cached), or
 * NULL (decided from the catalog on this call). GN_OK unless out of memory; refusals are
 * answers (401, 403, 400, 406, 415) with an MME-style {"error": ...} object. */
GN_MUST_CHECK int mme_handle(const struct hpo *h, struct mme_cache *cache, struct policy_cache *pc,
                             struct catalog *c, const struct pseudonym *key,
                             const struct mme_call *call, char **out, size_t *len, int *status,
                             const char **ctype);

/* Scores query q against the people in ids (sorted catalog ids, from policy_matchmaking) and
 * builds the MME response document {"results": [...]} into an owned *out (gn_free); the
 * comma-separated pseudonyms of the people returned into an owned *subjects (gn_free);
 * *n_results. exclude: a pseudonym never returned (the query patient itself), or NULL.
 * cache: profiles from the shared cache (rebuilt there when the catalog generation has
 * moved), or NULL to read the profiles of ids for this call only (the CLI). */
GN_MUST_CHECK int mme_match(const struct hpo *h, struct catalog *c, struct mme_cache *cache,
                            const struct mme_query *q, const int64_t *ids, size_t n_ids,
                            const char *exclude, char **out, char **subjects, size_t *n_results,
                            struct gn_err *err);

/* The MME request {"patient": {...}} for the local person with this pseudonym (their
 * phenotype record), as an owned string (gn_free). GN_ENOTFOUND without a record. */
GN_MUST_CHECK int mme_request_for(struct catalog *c, const char *pseudonym, char **out,
                                  struct gn_err *err);

/* ---- peers (client) ------------------------------------------------------------------ */

struct mme_peer {
    char name[64];
    char url[MME_PEER_URL]; /* base URL; /match and /heartbeat are appended */
    char token[MME_PEER_TOKEN];
};

struct mme_peer_result {
    int ok;    /* 1: an MME response arrived */
    long http; /* HTTP status, 0 when none */
    char error[256];
    char *body; /* owned (gn_free): the response body */
    size_t len;
    double secs;
};

void mme_global_init(void);
/* Reads DIR/mme_peers into an owned array (gn_free); refuses a file readable by others. A
 * missing file is zero peers. */
GN_MUST_CHECK int mme_peers_load(const char *dir, struct mme_peer **peers, size_t *n,
                                 struct gn_err *err);
/* Adds or replaces a peer in DIR/mme_peers (written atomically, mode 0600). */
GN_MUST_CHECK int mme_peer_add(const char *dir, const char *name, const char *url,
                               const char *token, struct gn_err *err);
/* Sends body to path ("/match" POST, "/heartbeat" GET when body is NULL) at every peer in
 * parallel; res[i] gets peer i's outcome. timeout_ms bounds each whole exchange. Returns GN_OK
 * unless the client cannot start at all; per-peer failures are in res. */
GN_MUST_CHECK int mme_peers_send(const struct mme_peer *peers, size_t n, const char *path,
                                 const char *body, size_t len, long timeout_ms,
                                 struct mme_peer_result *res, struct gn_err *err);
void mme_peer_result_clear(struct mme_peer_result *r);

#endif
