/*
 * passport.h — verification of GA4GH Passports and their Visas (ga4gh/data-security
 * AAI/ga4gh_passport_v1.md) against a configured set of trusted issuers.
 *
 * A Passport is a JWS (compact serialisation) signed by a Broker whose payload carries
 * the claim "ga4gh_passport_v1": an array of Visa JWS strings, each signed by its own
 * Visa Issuer and carrying a "ga4gh_visa_v1" object {type, asserted, value, source,
 * by, conditions}. passport_verify() checks the outer token, then every Visa, and
 * returns what the verified Visas grant: registered access and a list of datasets.
 *
 * Trust model. The caller builds a struct passport_trust: issuer URL (the exact "iss"
 * string, compared case-sensitively) → the issuer's JWKS, plus the role(s) the issuer
 * may play (Broker, Visa Issuer). A token is accepted only when:
 *   - its header "alg" is RS256 or ES256 ("none", HMAC and anything else are refused,
 *     so an HS256 token keyed with an RSA public key can never verify);
 *   - its "iss" is a trusted issuer allowed in that role, and its header "kid" names
 *     a key of that issuer whose type matches "alg" (and whose JWK "alg", if any, is the
 *     same). Keys come only from the trust set; jku/jwk/x5u/x5c headers are ignored;
 *   - the signature verifies;
 *   - "exp" is present and in the future, "iat" is present, and "iat"/"nbf" are not
 *     more than PASSPORT_CLOCK_SKEW seconds in the future. Time is a parameter;
 *   - "aud" (RFC 7519 4.1.3), when present (a string or an array of strings), includes
 *     the trust set's audience (passport_trust_set_audience, compared exactly); a token
 *     with "aud" is refused when the trust set has no audience ("audience not
 *     configured"). A token without "aud" is accepted: GA4GH Passports often omit it.
 * A Visa whose signature did not verify never contributes anything.
 *
 * Subjects. A Visa counts for the Passport's user when its "sub" equals the Passport's
 * "sub", or when a verified, unconditioned LinkedIdentities Visa links its {sub, iss}
 * pair to that subject (directly or through a chain of such Visas).
 *
 * Conditions. A Visa with a non-empty "conditions" claim is accepted only when the
 * disjunctive-normal-form conditions match other accepted Visas without conditions;
 * the match types "const", "pattern" and "split_pattern" are supported, and an unknown
 * match type or a malformed clause never matches.
 *
 * Limits: the Passport is at most PASSPORT_MAX_TOKEN_BYTES and holds at most
 * PASSPORT_MAX_VISAS Visas; every string handled is bounded by the token.
 *
 * Ownership: passport_trust_new() and passport_verify() return owned objects, released
 * with passport_trust_free() / passport_result_free() (NULL is a no-op). Every other
 * pointer argument is borrowed for the duration of the call.
 *
 * Thread safety: a struct passport_trust is immutable once built and may be shared by
 * any number of threads calling passport_verify() concurrently; building it (add/set)
 * is single-threaded. A struct passport_result belongs to one thread at a time.
 */
#ifndef GN_PASSPORT_H
#define GN_PASSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PASSPORT_MAX_TOKEN_BYTES 65536  /* whole Passport JWS */
#define PASSPORT_MAX_VISAS       100    /* entries of ga4gh_passport_v1 */
#define PASSPORT_MAX_JWKS_BYTES  262144 /* one JWKS document */
#define PASSPORT_MAX_KEYS        64     /* keys per issuer */
#define PASSPORT_MAX_ISSUERS     256    /* issuers per trust set */
#define PASSPORT_CLOCK_SKEW      60     /* seconds of tolerated clock drift for iat/nbf */

/* The Registered Access version of the spec (ResearcherStatus + AcceptedTermsAndPolicies). */
#define PASSPORT_REGISTERED_ACCESS_URL "https://doi.org/10.1038/s41431-018-0219-y"

/* Roles an issuer may play; or them together. */
#define PASSPORT_ROLE_BROKER 1u /* may sign the outer Passport */
#define PASSPORT_ROLE_VISA   2u /* may sign Visas */

/* X(name, string): why a token was refused. The strings are stable and may be logged. */
#define PASSPORT_REASON_MAP(X)                                                                     \
    X(OK, "ok")                                                                                    \
    X(MALFORMED, "malformed")                                                                      \
    X(TOO_LARGE, "too large")                                                                      \
    X(WRONG_TYPE, "wrong token type")                                                              \
    X(BAD_ALG, "unsupported alg")                                                                  \
    X(NO_KID, "kid missing")                                                                       \
    X(UNTRUSTED_ISSUER, "untrusted issuer")                                                        \
    X(KID_NOT_FOUND, "kid not found")                                                              \
    X(KEY_MISMATCH, "alg does not match key")                                                      \
    X(BAD_SIGNATURE, "bad signature")                                                              \
    X(MISSING_CLAIM, "missing claim")                                                              \
    X(BAD_CLAIM, "invalid claim")                                                                  \
    X(EXPIRED, "expired")                                                                          \
    X(NOT_YET_VALID, "not yet valid")                                                              \
    X(BAD_VISA, "invalid visa object")                                                             \
    X(UNSUPPORTED_TYPE, "unsupported visa type")                                                   \
    X(SUBJECT_MISMATCH, "subject mismatch")                                                        \
    X(AUDIENCE, "audience mismatch")                                                               \
    X(NO_AUDIENCE, "audience not configured")                                                      \
    X(CONDITIONS, "conditions not met")                                                            \
    X(TOO_MANY_LINKS, "too many linked identities")

enum passport_reason {
#define PASSPORT__ENUM(name, str) PASSPORT_R_##name,
    PASSPORT_REASON_MAP(PASSPORT__ENUM)
#undef PASSPORT__ENUM
};

/* A dataset granted by an accepted ControlledAccessGrants Visa. All strings owned by
 * the result. */
struct passport_grant {
    char *dataset;    /* value without the trust set's dataset prefix (else = value) */
    char *value;      /* the Visa "value" exactly as asserted */
    char *source;     /* the granting organisation ("source") */
    char *by;         /* authority ("by"; required for this Visa type) */
    char *issuer;     /* the Visa's "iss" */
    int64_t asserted; /* "asserted" */
    int64_t expires;  /* the Visa's "exp" */
    int conditional;  /* 1 when the grant carried conditions (which were met) */
};

/* A Visa that was not used, and why. */
struct passport_rejection {
    size_t index; /* position in ga4gh_passport_v1 */
    enum passport_reason code;
    const char *reason; /* static, = passport_reason_str(code) */
    int verified;       /* 1 when the signature verified (the fields below are
                         * authentic); 0 means they are only what the token claims */
    char *issuer;       /* "iss" (claimed unless verified); NULL if unreadable */
    char *type;         /* ga4gh_visa_v1.type; NULL unless verified */
    char *value;        /* ga4gh_visa_v1.value; NULL unless verified */
};

/* The outcome of a verified Passport. Read-only for callers; owned by the result. */
struct passport_result {
    char *subject;         /* the Passport "sub" */
    char *issuer;          /* the Passport "iss" (the Broker) */
    int64_t expires;       /* the Passport "exp" */
    int registered_access; /* 1: accepted ResearcherStatus and AcceptedTermsAndPolicies
                            * Visas, both with value PASSPORT_REGISTERED_ACCESS_URL */
    size_t n_visas;        /* entries in ga4gh_passport_v1 */
    struct passport_grant *grants;
    size_t n_grants;
    struct passport_rejection *rejected;
    size_t n_rejected;
};

struct passport_trust; /* opaque: issuers, their keys (OpenSSL EVP_PKEY), dataset prefix */

/* Creates an empty trust set. Returns owned *out; free with passport_trust_free().
 * GN_ENOMEM, GN_EINTERNAL (libsodium failed to initialise). */
GN_MUST_CHECK int passport_trust_new(struct passport_trust **out, struct gn_err *err);
void passport_trust_free(struct passport_trust *t);

/* Trusts issuer (the exact "iss" string) in roles (PASSPORT_ROLE_*) with the keys of the
 * JWKS document in the len bytes at jwks. Supported keys: kty RSA (2048..8192 bits) and
 * kty EC crv P-256, with a "kid"; keys with another kty/crv, "use" other than "sig", an
 * "alg" other than RS256/ES256, or no "kid" are skipped. GN_EPARSE for malformed JSON or a
 * malformed supported key, a duplicate kid or no usable key; GN_EINVAL for private key
 * material ("d") or bad arguments; GN_EEXIST if the issuer is already trusted; GN_ELIMIT
 * past the PASSPORT_MAX_* limits; GN_ENOMEM. Borrows all arguments. */
GN_MUST_CHECK int passport_trust_add_jwks(struct passport_trust *t, const char *issuer,
                                          unsigned roles, const char *jwks, size_t len,
                                          struct gn_err *err);
/* As passport_trust_add_jwks(), reading the JWKS from the file at path (GN_EIO, GN_ENOTFOUND,
 * GN_ELIMIT past PASSPORT_MAX_JWKS_BYTES). */
GN_MUST_CHECK int passport_trust_add_jwks_file(struct passport_trust *t, const char *issuer,
                                               unsigned roles, const char *path,
                                               struct gn_err *err);
/* Sets the URL prefix under which this node's datasets are granted (for example
 * "https://node.example.org/datasets/"): a grant whose value starts with it gets the rest
 * as its dataset id. Without a prefix the dataset id is the whole value. GN_ENOMEM. */
GN_MUST_CHECK int passport_trust_set_dataset_prefix(struct passport_trust *t, const char *prefix,
                                                    struct gn_err *err);
/* Sets this node's audience identifier (for example "https://node.example.org/"): a token
 * whose "aud" claim is present must name it (see the trust model above). Without one, any
 * token carrying "aud" is refused. GN_EINVAL for an empty audience, GN_ENOMEM. */
GN_MUST_CHECK int passport_trust_set_audience(struct passport_trust *t, const char *audience,
                                              struct gn_err *err);

/* Verifies the Passport JWS in the len bytes at token (no NUL needed; no surrounding
 * whitespace allowed) at time now (seconds since the epoch). On success returns GN_OK and an
 * owned *out (free with passport_result_free()) listing the grants of the accepted Visas
 * and every refused Visa with its reason. If the Passport itself is refused, *out is NULL,
 * err->msg starts with "passport rejected: <reason>" (a passport_reason string), and the
 * return is GN_EDENIED (signature, issuer, key, time, type, audience), GN_EPARSE (malformed) or
 * GN_ELIMIT (over PASSPORT_MAX_TOKEN_BYTES or PASSPORT_MAX_VISAS). GN_ENOMEM, GN_EINTERNAL
 * (OpenSSL failure). Borrows t and token. */
GN_MUST_CHECK int passport_verify(const struct passport_trust *t, const char *token, size_t len,
                                  int64_t now, struct passport_result **out, struct gn_err *err);
void passport_result_free(struct passport_result *r);

/* 1 if the result grants dataset (compared with each grant's dataset id and value, exact and
 * case-sensitive), else 0. A NULL result grants nothing. */
int passport_has_dataset(const struct passport_result *r, const char *dataset);

/* The static string of a reason ("expired", "bad signature", ...). */
const char *passport_reason_str(enum passport_reason reason);

#endif
