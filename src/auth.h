/*
 * auth.h — who is calling: API tokens (stored only as SHA-256) and the node operator.
 *
 * A token is "gnt_" followed by 64 hex digits of randomness (libsodium); the catalog keeps
 * its SHA-256, so a leaked catalog reveals no usable token. A token is refused when
 * unknown, revoked, expired, or when its user is disabled; every refusal is audited with
 * its reason (the token itself is never logged, only the first 8 hex digits of its hash).
 *
 * GA4GH Passports are verified by passport.h; the resulting visas reach policy through
 * struct policy_caller.
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
 * once and cannot be recovered. expires: ISO date/time or NULL. */
GN_MUST_CHECK int auth_token_create(struct catalog *c, int64_t user, const char *label,
                                    const char *expires, char out[AUTH_TOKEN_LEN + 1], int64_t *id,
                                    struct gn_err *err);

/* Resolves a token to its user. GN_EDENIED with the reason (audited) when refused. */
GN_MUST_CHECK int auth_token_check(struct catalog *c, const struct pseudonym *key,
                                   const char *token, struct auth_caller *out, struct gn_err *err);

/* The node's operator: whoever can read the node's key file acts as steward, named
 * "local:<login>". */
void auth_operator(struct auth_caller *out);

#endif
