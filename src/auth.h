/*
 * auth.h — who is calling: API tokens (stored only as SHA-256) and the node operator.
 *
 * A token is "gnt_" followed by 64 hex digits of randomness (libsodium); the catalog keeps
 * its SHA-256, so a leaked catalog reveals no usable token. A token is refused when
 * unknown, revoked, expired (or its expiry cannot be read), or when its user is disabled;
 * every refusal is audited with
 * its reason (the token itself is never logged, only the first 8 hex digits of its hash).
 *
 * GA4GH Passports are verified by passport.h against the issuers the node trusts (settings
 * written by `genomenode trust`, loaded by auth_trust_load); the verified visas reach policy
 * through struct policy_caller. A refused Passport is audited like a refused token.
 *
 * Ownership: a struct auth_caller is caller storage holding copies. Thread safety: as the
 * catalog handle.
 */
#ifndef GN_AUTH_H
#define GN_AUTH_H

#include "catalog.h"
#include "err.h"
#include "policy.h"
#include "pseudonym.h"

#define AUTH_TOKEN_LEN 68 /* "gnt_" + 64 hex digits */

struct auth_caller {
    struct catalog_user user; /* id 0 for the operator */
    char name[CATALOG_NAME_MAX + 1];
    struct policy_caller caller; /* points into this struct */
};

/* Creates a token for user; writes it into out (AUTH_TOKEN_LEN + 1 bytes). It is shown
 * once and cannot be recovered. expires: NULL (no expiry) or the last valid day, UTC,
 * YYYY-MM-DD (strparse_date; anything else is GN_EINVAL). auth_token_check refuses a
 * token whose stored expiry is neither such a date nor an exact UTC time
 * YYYY-MM-DDTHH:MM:SSZ (as earlier versions stored): it fails closed. */
GN_MUST_CHECK int auth_token_create(struct catalog *c, int64_t user, const char *label,
                                    const char *expires, char out[AUTH_TOKEN_LEN + 1], int64_t *id,
                                    struct gn_err *err);

/* Resolves a token to its user. GN_EDENIED with the reason (audited) when refused. */
GN_MUST_CHECK int auth_token_check(struct catalog *c, const struct pseudonym *key,
                                   const char *token, struct auth_caller *out, struct gn_err *err);

struct passport_trust;
struct passport_result;

/* Builds the trust set from the catalog settings passport.issuers, passport.jwks:<iss>,
 * passport.roles:<iss>, passport.dataset_prefix and passport.audience (this node's "aud"
 * identifier; unset: tokens carrying "aud" are refused). Returns an owned *out (free with
 * passport_trust_free). GN_EDENIED when the node trusts no issuer; GN_EPARSE for a stored
 * JWKS that no longer parses. */
GN_MUST_CHECK int auth_trust_load(struct catalog *c, struct passport_trust **out,
                                  struct gn_err *err);

/* Verifies the Passport JWS in the len bytes at tok (surrounding whitespace is ignored) at
 * time now. On success fills out as the caller "passport:<sub>" with role researcher and
 * returns the owned verified Passport in *pp (out->caller.passport points to it: keep *pp
 * alive while out is used, free it with passport_result_free). A refusal is audited and
 * returned as GN_EDENIED with the reason. t may be NULL (no issuer trusted: refused). */
GN_MUST_CHECK int auth_passport_check(struct catalog *c, const struct pseudonym *key,
                                      const struct passport_trust *t, const char *tok, size_t len,
                                      int64_t now, struct auth_caller *out,
                                      struct passport_result **pp, struct gn_err *err);

/* 1 when a bearer credential looks like a JWS (three base64url parts), i.e. a Passport
 * rather than an API token. */
int auth_is_jws(const char *tok, size_t len);

/* The node's operator: whoever can read the node's key file acts as steward, named
 * "local:<login>". */
void auth_operator(struct auth_caller *out);

#endif
