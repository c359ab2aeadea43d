/*
 * passport.c — GA4GH Passport and Visa verification (see passport.h for the contract).
 *
 * Design. Every token goes through one pipeline, jws_check(), that trusts nothing it has
 * not verified:
 *
 *   split "h.p.s" → header JSON → typ/crit/alg/kid → payload JSON → "iss" → issuer and
 *   role in the trust set → key by kid, key type = alg → signature → exp/iat/nbf/sub
 *
 * Only "iss" and "kid" are read before the signature is checked, and only to choose the
 * key among the ones the operator configured; nothing else from an unverified token is
 * used, and a token's own jku/jwk/x5u/x5c headers are never looked at.
 *
 * Why OpenSSL EVP and not libjwt for the signature: libjwt 1.10's jwt_decode() takes the
 * algorithm from the token header (an HS256 token "verified" with an RSA public key PEM
 * becomes an HMAC keyed with the PEM bytes, the classic alg confusion), and it refuses
 * every "typ" other than "JWT", so it cannot verify a GA4GH token at all
 * ("vnd.ga4gh.passport+jwt", "vnd.ga4gh.visa+jwt"). We therefore fix the algorithm from
 * the key the trust set chose and call EVP_DigestVerify() directly: RS256 is
 * RSASSA-PKCS1-v1_5 with SHA-256; ES256 is ECDSA P-256 with SHA-256, whose JWS signature
 * is the raw 64-byte r||s and is re-encoded to DER for OpenSSL. JWKs become EVP_PKEYs
 * through EVP_PKEY_fromdata() and are checked with EVP_PKEY_public_check(). Base64url is
 * libsodium's strict decoder (no padding, no stray characters, no non-zero trailing
 * bits); JSON is jansson with duplicate keys rejected, so there is one reading of every
 * header and payload.
 *
 * After every Visa has been through jws_check() and its ga4gh_visa_v1 object has been
 * validated, three passes over the verified Visas decide what counts:
 *   1. linking: unconditioned LinkedIdentities Visas connected to the Passport subject
 *      add their {sub, iss} pairs to the set of identities of the user, to a fixpoint;
 *   2. subjects: a Visa whose {sub, iss} is not the user's is refused;
 *   3. conditions: a Visa with conditions is kept only if some OR-branch has every
 *      clause matched by an accepted Visa without conditions (the spec forbids
 *      evaluating conditions against conditioned Visas, so there is no recursion and the
 *      order of evaluation does not matter).
 *
 * Bounds: the Passport is at most PASSPORT_MAX_TOKEN_BYTES, so every decoded string is
 * smaller; at most PASSPORT_MAX_VISAS Visas, LINK_VISAS_MAX LinkedIdentities Visas of
 * LINK_ENTRIES_MAX entries each, COND_CLAUSES_MAX condition clauses per Visa, and pattern
 * matching only on strings up to GLOB_MAX bytes (its cost is at most their product).
 */
#include "passport.h"

#include <assert.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "dynlib.h"
#include "fsutil.h"

#ifndef GN_LIBCRYPTO_SONAME
#define GN_LIBCRYPTO_SONAME "libcrypto.so.3"
#endif

/* OpenSSL's libcrypto, loaded when the first trust set is made (dynlib.h): linking it
 * cost every command about 3 ms of start-up, and only Passport checks use it. */
static struct {
    __typeof__(BN_bin2bn) *BN_bin2bn;
    __typeof__(BN_free) *BN_free;
    __typeof__(CRYPTO_free) *CRYPTO_free;
    __typeof__(ECDSA_SIG_free) *ECDSA_SIG_free;
    __typeof__(ECDSA_SIG_new) *ECDSA_SIG_new;
    __typeof__(ECDSA_SIG_set0) *ECDSA_SIG_set0;
    __typeof__(ERR_clear_error) *ERR_clear_error;
    __typeof__(EVP_DigestVerify) *EVP_DigestVerify;
    __typeof__(EVP_DigestVerifyInit) *EVP_DigestVerifyInit;
    __typeof__(EVP_MD_CTX_free) *EVP_MD_CTX_free;
    __typeof__(EVP_MD_CTX_new) *EVP_MD_CTX_new;
    __typeof__(EVP_PKEY_CTX_free) *EVP_PKEY_CTX_free;
    __typeof__(EVP_PKEY_CTX_new_from_name) *EVP_PKEY_CTX_new_from_name;
    __typeof__(EVP_PKEY_CTX_new_from_pkey) *EVP_PKEY_CTX_new_from_pkey;
    __typeof__(EVP_PKEY_free) *EVP_PKEY_free;
    __typeof__(EVP_PKEY_fromdata) *EVP_PKEY_fromdata;
    __typeof__(EVP_PKEY_fromdata_init) *EVP_PKEY_fromdata_init;
    __typeof__(EVP_PKEY_get_bits) *EVP_PKEY_get_bits;
    __typeof__(EVP_PKEY_get_size) *EVP_PKEY_get_size;
    __typeof__(EVP_PKEY_public_check) *EVP_PKEY_public_check;
    __typeof__(EVP_sha256) *EVP_sha256;
    __typeof__(OSSL_PARAM_BLD_free) *OSSL_PARAM_BLD_free;
    __typeof__(OSSL_PARAM_BLD_new) *OSSL_PARAM_BLD_new;
    __typeof__(OSSL_PARAM_BLD_push_BN) *OSSL_PARAM_BLD_push_BN;
    __typeof__(OSSL_PARAM_BLD_push_octet_string) *OSSL_PARAM_BLD_push_octet_string;
    __typeof__(OSSL_PARAM_BLD_push_utf8_string) *OSSL_PARAM_BLD_push_utf8_string;
    __typeof__(OSSL_PARAM_BLD_to_param) *OSSL_PARAM_BLD_to_param;
    __typeof__(OSSL_PARAM_free) *OSSL_PARAM_free;
    __typeof__(i2d_ECDSA_SIG) *i2d_ECDSA_SIG;
} ossl;

static const struct dynlib_sym ossl_syms[] = {
    {"BN_bin2bn", &ossl.BN_bin2bn},
    {"BN_free", &ossl.BN_free},
    {"CRYPTO_free", &ossl.CRYPTO_free},
    {"ECDSA_SIG_free", &ossl.ECDSA_SIG_free},
    {"ECDSA_SIG_new", &ossl.ECDSA_SIG_new},
    {"ECDSA_SIG_set0", &ossl.ECDSA_SIG_set0},
    {"ERR_clear_error", &ossl.ERR_clear_error},
    {"EVP_DigestVerify", &ossl.EVP_DigestVerify},
    {"EVP_DigestVerifyInit", &ossl.EVP_DigestVerifyInit},
    {"EVP_MD_CTX_free", &ossl.EVP_MD_CTX_free},
    {"EVP_MD_CTX_new", &ossl.EVP_MD_CTX_new},
    {"EVP_PKEY_CTX_free", &ossl.EVP_PKEY_CTX_free},
    {"EVP_PKEY_CTX_new_from_name", &ossl.EVP_PKEY_CTX_new_from_name},
    {"EVP_PKEY_CTX_new_from_pkey", &ossl.EVP_PKEY_CTX_new_from_pkey},
    {"EVP_PKEY_free", &ossl.EVP_PKEY_free},
    {"EVP_PKEY_fromdata", &ossl.EVP_PKEY_fromdata},
    {"EVP_PKEY_fromdata_init", &ossl.EVP_PKEY_fromdata_init},
    {"EVP_PKEY_get_bits", &ossl.EVP_PKEY_get_bits},
    {"EVP_PKEY_get_size", &ossl.EVP_PKEY_get_size},
    {"EVP_PKEY_public_check", &ossl.EVP_PKEY_public_check},
    {"EVP_sha256", &ossl.EVP_sha256},
    {"OSSL_PARAM_BLD_free", &ossl.OSSL_PARAM_BLD_free},
    {"OSSL_PARAM_BLD_new", &ossl.OSSL_PARAM_BLD_new},
    {"OSSL_PARAM_BLD_push_BN", &ossl.OSSL_PARAM_BLD_push_BN},
    {"OSSL_PARAM_BLD_push_octet_string", &ossl.OSSL_PARAM_BLD_push_octet_string},
    {"OSSL_PARAM_BLD_push_utf8_string", &ossl.OSSL_PARAM_BLD_push_utf8_string},
    {"OSSL_PARAM_BLD_to_param", &ossl.OSSL_PARAM_BLD_to_param},
    {"OSSL_PARAM_free", &ossl.OSSL_PARAM_free},
    {"i2d_ECDSA_SIG", &ossl.i2d_ECDSA_SIG},
};
static struct dynlib ossl_lib = DYNLIB_INIT(GN_LIBCRYPTO_SONAME, "libssl3", ossl_syms);

#define LINK_VISAS_MAX   16   /* LinkedIdentities Visas considered per Passport */
#define LINK_ENTRIES_MAX 16   /* "sub,iss" entries per LinkedIdentities value */
#define COND_CLAUSES_MAX 64   /* condition clauses (over all OR branches) per Visa */
#define GLOB_MAX         1024 /* longest pattern / string given to the pattern matcher */
#define RSA_MIN_BITS     2048
#define RSA_MAX_BYTES    1024 /* 8192-bit modulus */

enum key_kind { KEY_RSA, KEY_EC };

struct trust_key {
    char *kid;
    enum key_kind kind; /* RSA keys verify RS256 only, EC P-256 keys ES256 only */
    EVP_PKEY *pkey;
};

struct trust_issuer {
    char *iss;
    unsigned roles;
    struct trust_key *keys;
    size_t n_keys;
};

struct passport_trust {
    struct trust_issuer *issuers;
    size_t n_issuers;
    char *dataset_prefix; /* NULL when unset */
    char *audience;       /* this node's "aud" identifier; NULL when unset */
};

/* One checked token. The string pointers borrow from payload. */
struct jws {
    enum passport_reason reason; /* PASSPORT_R_OK while the token is acceptable */
    int verified;                /* the signature verified */
    json_t *payload;             /* owned; NULL when unreadable */
    const char *iss;             /* claimed until verified is set */
    const char *sub;
    int64_t exp;
};

enum visa_kind { VK_UNKNOWN, VK_RESEARCHER, VK_TERMS, VK_GRANT, VK_AFFILIATION, VK_LINKED };

struct visa {
    struct jws jws;
    enum visa_kind kind;
    const char *type, *value, *source, *by; /* borrowed from jws.payload; by may be NULL */
    json_t *conditions;                     /* borrowed; NULL when absent or empty */
    int64_t asserted;
};

struct ident {
    const char *sub; /* borrowed */
    const char *iss;
};

/* A parsed LinkedIdentities value: the entries point into buf (owned, decoded in place). */
struct link {
    struct visa *visa;
    char *buf;
    struct ident e[LINK_ENTRIES_MAX];
    size_t n;
    int used; /* absorbed into the user's identities */
};

/* Everything one passport_verify() call works on. */
struct vctx {
    const struct passport_trust *t;
    int64_t now;
    struct jws outer;
    struct visa *visas;
    size_t n_visas;
    struct link links[LINK_VISAS_MAX];
    size_t n_links;
    struct ident known[LINK_VISAS_MAX * (LINK_ENTRIES_MAX + 1)]; /* the user's identities */
    size_t n_known;
};

static const char *const reason_strs[] = {
#define PASSPORT__STR(name, str) str,
    PASSPORT_REASON_MAP(PASSPORT__STR)
#undef PASSPORT__STR
};

const char *passport_reason_str(enum passport_reason reason)
{
    if ((size_t)reason >= sizeof reason_strs / sizeof reason_strs[0]) return "unknown";
    return reason_strs[reason];
}

/* ---- small helpers ---------------------------------------------------------------- */

static const char *jstr(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* a > b + slack, without overflow for any int64 values. */
static int later_than(int64_t a, int64_t b, int64_t slack)
{
    return a > b && (uint64_t)a - (uint64_t)b > (uint64_t)slack;
}

/* A NumericDate claim: 1 and *v when present, 0 when absent, -1 when not a number.
 * RFC 7519 allows fractional seconds, so reals are accepted (truncated) as long as they
 * fit an int64; strings such as "4102444800" are not numbers and are refused. */
static int claim_time(const json_t *obj, const char *key, int64_t *v)
{
    const json_t *x = json_object_get(obj, key);
    if (!x) return 0;
    if (json_is_integer(x)) {
        *v = (int64_t)json_integer_value(x);
        return 1;
    }
    if (json_is_real(x)) {
        double d = json_real_value(x);
        if (!(d > -9.0e18 && d < 9.0e18)) return -1;
        *v = (int64_t)d;
        return 1;
    }
    return -1;
}

/* Decodes unpadded base64url [s, s+n) into an owned, NUL-terminated buffer. GN_EPARSE for
 * anything libsodium's strict decoder refuses. */
static int b64url_decode(const char *s, size_t n, unsigned char **out, size_t *out_n)
{
    size_t cap = n / 4 * 3 + 3;
    unsigned char *buf = gn_malloc(cap + 1);

    *out = NULL;
    if (!buf) return GN_ENOMEM;
    if (sodium_base642bin(buf, cap, s, n, NULL, out_n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
        gn_free(buf);
        return GN_EPARSE;
    }
    buf[*out_n] = '\0';
    *out = buf;
    return GN_OK;
}

/* Parses base64url-encoded JSON that must be an object. GN_EPARSE, GN_ENOMEM. */
static int b64url_json(const char *s, size_t n, json_t **out)
{
    unsigned char *raw;
    size_t rn;
    json_error_t je;
    int rc = b64url_decode(s, n, &raw, &rn);

    *out = NULL;
    if (rc < 0) return rc;
    *out = json_loadb((const char *)raw, rn, JSON_REJECT_DUPLICATES, &je);
    gn_free(raw);
    if (!*out) return json_error_code(&je) == json_error_out_of_memory ? GN_ENOMEM : GN_EPARSE;
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return GN_EPARSE;
    }
    return GN_OK;
}

/* ---- JWK → EVP_PKEY ----------------------------------------------------------------- */

/* The base64url member name of a JWK, decoded: 1..max bytes. */
static int jwk_bytes(const json_t *jwk, const char *name, size_t max, unsigned char **out,
                     size_t *n)
{
    const char *s = jstr(jwk, name);
    int rc;

    *out = NULL;
    if (!s) return GN_EPARSE;
    rc = b64url_decode(s, strlen(s), out, n);
    if (rc < 0) return rc;
    if (*n == 0 || *n > max) {
        gn_free(*out);
        *out = NULL;
        return GN_EPARSE;
    }
    return GN_OK;
}

/* Builds a public key of OpenSSL type name ("RSA", "EC") from bld and checks it. */
static int pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out)
{
    OSSL_PARAM *params = ossl.OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = NULL, *chk = NULL;
    int rc = GN_ENOMEM;

    *out = NULL;
    if (!params) goto out;
    ctx = ossl.EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (!ctx) goto out;
    rc = GN_EPARSE;
    if (ossl.EVP_PKEY_fromdata_init(ctx) != 1 ||
        ossl.EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        goto out;
    }
    chk = ossl.EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL);
    if (!chk) {
        rc = GN_ENOMEM;
        goto out;
    }
    if (ossl.EVP_PKEY_public_check(chk) == 1) rc = GN_OK;
out:
    if (rc < 0) {
        ossl.EVP_PKEY_free(*out);
        *out = NULL;
    }
    ossl.EVP_PKEY_CTX_free(chk);
    ossl.EVP_PKEY_CTX_free(ctx);
    ossl.OSSL_PARAM_free(params);
    ossl.ERR_clear_error();
    return rc;
}

static int jwk_rsa(const json_t *jwk, EVP_PKEY **out)
{
    unsigned char *n = NULL, *e = NULL;
    size_t nn, en;
    BIGNUM *bn = NULL, *be = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    int rc;

    *out = NULL;
    if ((rc = jwk_bytes(jwk, "n", RSA_MAX_BYTES, &n, &nn)) < 0) goto out;
    if ((rc = jwk_bytes(jwk, "e", 8, &e, &en)) < 0) goto out;
    rc = GN_ENOMEM;
    bn = ossl.BN_bin2bn(n, (int)nn, NULL);
    be = ossl.BN_bin2bn(e, (int)en, NULL);
    bld = ossl.OSSL_PARAM_BLD_new();
    if (!bn || !be || !bld) goto out;
    if (!ossl.OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
        !ossl.OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be)) {
        goto out;
    }
    if ((rc = pkey_fromdata("RSA", bld, out)) < 0) goto out;
    if (ossl.EVP_PKEY_get_bits(*out) < RSA_MIN_BITS) {
        ossl.EVP_PKEY_free(*out);
        *out = NULL;
        rc = GN_EPARSE;
    }
out:
    ossl.OSSL_PARAM_BLD_free(bld);
    ossl.BN_free(bn);
    ossl.BN_free(be);
    gn_free(n);
    gn_free(e);
    return rc;
}

static int jwk_ec_p256(const json_t *jwk, EVP_PKEY **out)
{
    unsigned char *x = NULL, *y = NULL, pub[65];
    size_t xn, yn;
    OSSL_PARAM_BLD *bld = NULL;
    int rc;

    *out = NULL;
    if ((rc = jwk_bytes(jwk, "x", 32, &x, &xn)) < 0) goto out;
    if ((rc = jwk_bytes(jwk, "y", 32, &y, &yn)) < 0) goto out;
    rc = GN_EPARSE;
    if (xn != 32 || yn != 32) goto out; /* RFC 7518 6.2.1.2: full-length coordinates */
    pub[0] = 0x04;                      /* uncompressed point */
    memcpy(pub + 1, x, 32);
    memcpy(pub + 33, y, 32);
    rc = GN_ENOMEM;
    bld = ossl.OSSL_PARAM_BLD_new();
    if (!bld) goto out;
    if (!ossl.OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !ossl.OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub)) {
        goto out;
    }
    rc = pkey_fromdata("EC", bld, out);
out:
    ossl.OSSL_PARAM_BLD_free(bld);
    gn_free(x);
    gn_free(y);
    return rc;
}

/* Reads key i of a JWKS into k. Returns 1 when added, 0 when skipped as unsupported,
 * a negative GN_E* on error. */
static int key_from_jwk(const json_t *jwk, size_t i, struct trust_key *k, struct gn_err *err)
{
    static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "k"};
    const char *kty = jstr(jwk, "kty"), *use = jstr(jwk, "use"), *alg = jstr(jwk, "alg");
    const char *kid = jstr(jwk, "kid"), *crv = jstr(jwk, "crv");
    int rc;

    if (!json_is_object(jwk)) return gn_errf(err, GN_EPARSE, "key %zu is not an object", i);
    for (size_t m = 0; m < sizeof private_members / sizeof private_members[0]; m++) {
        if (json_object_get(jwk, private_members[m])) {
            return gn_errf(err, GN_EINVAL, "key %zu holds private key material", i);
        }
    }
    if (!kty) return gn_errf(err, GN_EPARSE, "key %zu has no kty", i);
    if (json_object_get(jwk, "use") && (!use || strcmp(use, "sig") != 0)) return 0;
    if (!kid || !*kid) return 0; /* tokens select keys by kid only */
    if (strcmp(kty, "RSA") == 0 && (!alg || strcmp(alg, "RS256") == 0)) {
        k->kind = KEY_RSA;
        rc = jwk_rsa(jwk, &k->pkey);
    } else if (strcmp(kty, "EC") == 0 && crv && strcmp(crv, "P-256") == 0 &&
               (!alg || strcmp(alg, "ES256") == 0)) {
        k->kind = KEY_EC;
        rc = jwk_ec_p256(jwk, &k->pkey);
    } else {
        return 0;
    }
    if (rc == GN_EPARSE) {
        return gn_errf(err, rc, "key %zu (kid %.64s): malformed or weak %s key", i, kid, kty);
    }
    if (rc < 0) return gn_errf(err, rc, "key %zu: %s", i, gn_strerror(rc));
    k->kid = gn_strdup(kid);
    if (!k->kid) {
        ossl.EVP_PKEY_free(k->pkey);
        k->pkey = NULL;
        return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    return 1;
}

static void issuer_clear(struct trust_issuer *is)
{
    for (size_t i = 0; i < is->n_keys; i++) {
        gn_free(is->keys[i].kid);
        ossl.EVP_PKEY_free(is->keys[i].pkey);
    }
    gn_free(is->keys);
    gn_free(is->iss);
    memset(is, 0, sizeof *is);
}

static const struct trust_issuer *issuer_find(const struct passport_trust *t, const char *iss)
{
    for (size_t i = 0; i < t->n_issuers; i++) {
        if (strcmp(t->issuers[i].iss, iss) == 0) return &t->issuers[i];
    }
    return NULL;
}

/* Fills is->keys from the "keys" array of a JWKS document. Unsupported keys are skipped
 * rather than refused, because real JWKS endpoints also publish encryption keys and other
 * algorithms; a supported key that is malformed fails the whole document, because silently
 * dropping it would hide a configuration error until tokens start failing. */
static int jwks_keys(const json_t *doc, struct trust_issuer *is, struct gn_err *err)
{
    const json_t *keys = json_object_get(doc, "keys");
    size_t n = json_array_size(keys);

    if (!json_is_array(keys)) return gn_errf(err, GN_EPARSE, "no \"keys\" array");
    if (n > PASSPORT_MAX_KEYS) {
        return gn_errf(err, GN_ELIMIT, "%zu keys (max %d)", n, PASSPORT_MAX_KEYS);
    }
    is->keys = gn_calloc(n ? n : 1, sizeof *is->keys);
    if (!is->keys) return gn_errf(err, GN_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        struct trust_key *k = &is->keys[is->n_keys];
        int rc = key_from_jwk(json_array_get(keys, i), i, k, err);
        if (rc <= 0) {
            if (rc < 0) return rc;
            continue;
        }
        is->n_keys++;
        for (size_t j = 0; j + 1 < is->n_keys; j++) {
            if (strcmp(is->keys[j].kid, k->kid) == 0) {
                return gn_errf(err, GN_EPARSE, "duplicate kid %.64s", k->kid);
            }
        }
    }
    if (is->n_keys == 0) return gn_errf(err, GN_EPARSE, "no usable RS256/ES256 key");
    return GN_OK;
}

/* ---- trust set ---------------------------------------------------------------------- */

int passport_trust_new(struct passport_trust **out, struct gn_err *err)
{
    int rc;

    *out = NULL;
    if (sodium_init() < 0) return gn_errf(err, GN_EINTERNAL, "libsodium failed to initialise");
    if ((rc = dynlib_load(&ossl_lib, err)) < 0) return rc; /* every key and check needs it */
    *out = gn_calloc(1, sizeof **out);
    if (!*out) return gn_errf(err, GN_ENOMEM, "out of memory");
    return GN_OK;
}

void passport_trust_free(struct passport_trust *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n_issuers; i++) {
        issuer_clear(&t->issuers[i]);
    }
    gn_free(t->issuers);
    gn_free(t->dataset_prefix);
    gn_free(t->audience);
    gn_free(t);
}

int passport_trust_add_jwks(struct passport_trust *t, const char *issuer, unsigned roles,
                            const char *jwks, size_t len, struct gn_err *err)
{
    const unsigned all = PASSPORT_ROLE_BROKER | PASSPORT_ROLE_VISA;
    struct trust_issuer is;
    struct trust_issuer *grown;
    json_t *doc = NULL;
    json_error_t je;
    int rc;

    memset(&is, 0, sizeof is);
    if (!t || !issuer || !*issuer || (!jwks && len) || !roles || (roles & ~all)) {
        return gn_errf(err, GN_EINVAL, "passport_trust_add_jwks: bad arguments");
    }
    if (issuer_find(t, issuer)) {
        return gn_errf(err, GN_EEXIST, "issuer %.200s is already trusted", issuer);
    }
    if (t->n_issuers >= PASSPORT_MAX_ISSUERS) {
        return gn_errf(err, GN_ELIMIT, "more than %d trusted issuers", PASSPORT_MAX_ISSUERS);
    }
    if (len > PASSPORT_MAX_JWKS_BYTES) {
        rc = gn_errf(err, GN_ELIMIT, "JWKS larger than %d bytes", PASSPORT_MAX_JWKS_BYTES);
        goto fail;
    }
    doc = json_loadb(jwks ? jwks : "", len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(doc)) {
        rc = gn_errf(err, GN_EPARSE, "not a JSON object (line %d: %.100s)", je.line, je.text);
        goto fail;
    }
    if ((rc = jwks_keys(doc, &is, err)) < 0) goto fail;
    is.iss = gn_strdup(issuer);
    grown = is.iss ? gn_reallocarray(t->issuers, t->n_issuers + 1, sizeof *t->issuers) : NULL;
    if (!grown) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto fail;
    }
    t->issuers = grown;
    is.roles = roles;
    t->issuers[t->n_issuers++] = is;
    json_decref(doc);
    return GN_OK;
fail:
    issuer_clear(&is);
    json_decref(doc);
    return gn_err_prefix(err, rc, "JWKS of issuer %.200s", issuer);
}

int passport_trust_add_jwks_file(struct passport_trust *t, const char *issuer, unsigned roles,
                                 const char *path, struct gn_err *err)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    int rc = fsutil_read_all(path, PASSPORT_MAX_JWKS_BYTES, &buf, &n, err);

    if (rc < 0) return rc;
    rc = passport_trust_add_jwks(t, issuer, roles, (const char *)buf, n, err);
    if (rc < 0) gn_err_prefix(err, rc, "%s", path);
    gn_free(buf);
    return rc;
}

int passport_trust_set_dataset_prefix(struct passport_trust *t, const char *prefix,
                                      struct gn_err *err)
{
    char *p;

    if (!t || !prefix) {
        return gn_errf(err, GN_EINVAL, "passport_trust_set_dataset_prefix: bad arguments");
    }
    if (!(p = gn_strdup(prefix))) return gn_errf(err, GN_ENOMEM, "out of memory");
    gn_free(t->dataset_prefix);
    t->dataset_prefix = p;
    return GN_OK;
}

int passport_trust_set_audience(struct passport_trust *t, const char *audience, struct gn_err *err)
{
    char *a;

    if (!t || !audience || !*audience) {
        return gn_errf(err, GN_EINVAL, "passport_trust_set_audience: bad arguments");
    }
    if (!(a = gn_strdup(audience))) return gn_errf(err, GN_ENOMEM, "out of memory");
    gn_free(t->audience);
    t->audience = a;
    return GN_OK;
}

/* ---- one JWS ------------------------------------------------------------------------ */

struct jws_parts {
    const char *h, *p, *s; /* header, payload, signature (base64url) */
    size_t hn, pn, sn;
};

/* Splits the compact serialisation into exactly three segments (a JWE has five). */
static int jws_split(const char *tok, size_t len, struct jws_parts *pt)
{
    const char *end = tok + len, *d1, *d2;

    if (!len) return -1;
    d1 = memchr(tok, '.', len);
    if (!d1) return -1;
    d2 = memchr(d1 + 1, '.', (size_t)(end - d1 - 1));
    if (!d2 || memchr(d2 + 1, '.', (size_t)(end - d2 - 1))) return -1;
    pt->h = tok;
    pt->hn = (size_t)(d1 - tok);
    pt->p = d1 + 1;
    pt->pn = (size_t)(d2 - d1 - 1);
    pt->s = d2 + 1;
    pt->sn = (size_t)(end - d2 - 1);
    return pt->hn && pt->pn ? 0 : -1;
}

/* "typ" is optional; when present it must name a JWT of the role's kind (RFC 7515 4.1.9:
 * case-insensitive, "application/" may be omitted). A Visa cannot pose as a Passport. */
static int typ_ok(const char *typ, unsigned role)
{
    if (strncasecmp(typ, "application/", 12) == 0) typ += 12;
    if (strcasecmp(typ, "JWT") == 0 || strcasecmp(typ, "at+jwt") == 0) return 1;
    if (role == PASSPORT_ROLE_BROKER) return strcasecmp(typ, "vnd.ga4gh.passport+jwt") == 0;
    return strcasecmp(typ, "vnd.ga4gh.visa+jwt") == 0;
}

static enum passport_reason header_check(const json_t *hdr, unsigned role, enum key_kind *kind,
                                         const char **kid)
{
    const char *typ = jstr(hdr, "typ"), *alg = jstr(hdr, "alg");

    if (json_object_get(hdr, "typ") && !typ) return PASSPORT_R_MALFORMED;
    if (typ && !typ_ok(typ, role)) return PASSPORT_R_WRONG_TYPE;
    /* We understand no JWS extension, so "crit" can never be satisfied (RFC 7515 4.1.11). */
    if (json_object_get(hdr, "crit")) return PASSPORT_R_MALFORMED;
    if (!alg) return PASSPORT_R_BAD_ALG;
    if (strcmp(alg, "RS256") == 0) {
        *kind = KEY_RSA;
    } else if (strcmp(alg, "ES256") == 0) {
        *kind = KEY_EC;
    } else {
        return PASSPORT_R_BAD_ALG; /* none, HS*, PS*, RS384, ... */
    }
    *kid = jstr(hdr, "kid");
    return *kid ? PASSPORT_R_OK : PASSPORT_R_NO_KID;
}

/* The issuer must be trusted for this role: a Visa Issuer's key must not be able to mint
 * Passports. The key is then the one named by kid among that issuer's keys only, so a kid
 * of another issuer never matches, and its type fixes the algorithm. */
static enum passport_reason key_select(const struct passport_trust *t, const char *iss,
                                       unsigned role, const char *kid, enum key_kind kind,
                                       const struct trust_key **out)
{
    const struct trust_issuer *is = issuer_find(t, iss);

    if (!is || !(is->roles & role)) return PASSPORT_R_UNTRUSTED_ISSUER;
    for (size_t i = 0; i < is->n_keys; i++) {
        if (strcmp(is->keys[i].kid, kid) != 0) continue;
        if (is->keys[i].kind != kind) return PASSPORT_R_KEY_MISMATCH;
        *out = &is->keys[i];
        return PASSPORT_R_OK;
    }
    return PASSPORT_R_KID_NOT_FOUND;
}

/* Verifies sig over msg with the algorithm implied by the key's kind; *ok = 1 when valid.
 * Lengths are checked before OpenSSL sees anything: an RS256 signature is exactly the
 * modulus size and an ES256 one exactly 64 bytes, so nothing odd reaches the verifier. */
static int sig_verify(const struct trust_key *k, const char *msg, size_t n,
                      const unsigned char *sig, size_t sn, int *ok)
{
    EVP_MD_CTX *md = NULL;
    ECDSA_SIG *es = NULL;
    BIGNUM *r = NULL, *s = NULL;
    unsigned char *der = NULL;
    const unsigned char *vsig = sig;
    size_t vn = sn;
    int rc = GN_ENOMEM;

    *ok = 0;
    if (k->kind == KEY_EC) {
        int dn;
        if (sn != 64) return GN_OK; /* RFC 7518 3.4: exactly R || S, 32 bytes each */
        {
            r = ossl.BN_bin2bn(sig, 32, NULL);
        }
        s = ossl.BN_bin2bn(sig + 32, 32, NULL);
        es = ossl.ECDSA_SIG_new();
        if (!r || !s || !es || ossl.ECDSA_SIG_set0(es, r, s) != 1) goto out;
        r = s = NULL; /* owned by es */
        dn = ossl.i2d_ECDSA_SIG(es, &der);
        if (dn <= 0) goto out;
        vsig = der;
        vn = (size_t)dn;
    } else if (sn != (size_t)ossl.EVP_PKEY_get_size(k->pkey)) {
        return GN_OK;
    }
    if (!(md = ossl.EVP_MD_CTX_new())) goto out;
    rc = GN_EINTERNAL;
    if (ossl.EVP_DigestVerifyInit(md, NULL, ossl.EVP_sha256(), NULL, k->pkey) != 1) goto out;
    *ok = ossl.EVP_DigestVerify(md, vsig, vn, (const unsigned char *)msg, n) == 1;
    rc = GN_OK;
out:
    ossl.EVP_MD_CTX_free(md);
    ossl.CRYPTO_free(der, OPENSSL_FILE, OPENSSL_LINE);
    ossl.ECDSA_SIG_free(es);
    ossl.BN_free(r);
    ossl.BN_free(s);
    ossl.ERR_clear_error();
    return rc;
}

/* RFC 7519 4.1.3: a token that names its audience is for those recipients only. "aud" is a
 * string or an array of strings; this node accepts the token only when one of them is its
 * own identifier (exact, case-sensitive). With no identifier configured, a token meant for
 * some audience cannot be shown to be meant for this node, so it is refused (fail closed). */
static enum passport_reason audience_check(const json_t *payload, const char *audience)
{
    const json_t *aud = json_object_get(payload, "aud"), *v;
    size_t i;
    int found = 0;

    if (!aud) return PASSPORT_R_OK;
    if (json_is_string(aud)) {
        found = audience && strcmp(json_string_value(aud), audience) == 0;
    } else if (json_is_array(aud)) {
        json_array_foreach(aud, i, v)
        {
            if (!json_is_string(v)) return PASSPORT_R_BAD_CLAIM;
            found |= audience && strcmp(json_string_value(v), audience) == 0;
        }
    } else {
        return PASSPORT_R_BAD_CLAIM;
    }
    if (!audience) return PASSPORT_R_NO_AUDIENCE;
    return found ? PASSPORT_R_OK : PASSPORT_R_AUDIENCE;
}

/* The registered claims of a token whose signature verified. */
static enum passport_reason claims_check(struct jws *j, int64_t now, const char *audience)
{
    int64_t iat = 0, nbf = 0;
    int r;

    j->sub = jstr(j->payload, "sub");
    if (!j->sub || !*j->sub) return PASSPORT_R_MISSING_CLAIM;
    if ((r = claim_time(j->payload, "exp", &j->exp)) <= 0) {
        return r ? PASSPORT_R_BAD_CLAIM : PASSPORT_R_MISSING_CLAIM;
    }
    if ((r = claim_time(j->payload, "iat", &iat)) <= 0) {
        return r ? PASSPORT_R_BAD_CLAIM : PASSPORT_R_MISSING_CLAIM;
    }
    if ((r = claim_time(j->payload, "nbf", &nbf)) < 0) return PASSPORT_R_BAD_CLAIM;
    if (r == 0) nbf = iat;
    if (now >= j->exp) return PASSPORT_R_EXPIRED; /* first: an expired token is just that */
    if (iat > j->exp) return PASSPORT_R_BAD_CLAIM;
    if (later_than(iat, now, PASSPORT_CLOCK_SKEW) || later_than(nbf, now, PASSPORT_CLOCK_SKEW)) {
        return PASSPORT_R_NOT_YET_VALID;
    }
    return audience_check(j->payload, audience);
}

/* Checks one token for role (PASSPORT_ROLE_BROKER or _VISA) and fills j; j->reason says
 * whether it is acceptable. Returns GN_OK, or GN_ENOMEM/GN_EINTERNAL (j must still be
 * cleared with jws_clear()). */
static int jws_check(const struct passport_trust *t, const char *tok, size_t len, unsigned role,
                     int64_t now, struct jws *j)
{
    struct jws_parts pt;
    json_t *hdr = NULL;
    unsigned char *sig = NULL;
    const struct trust_key *key = NULL;
    const char *kid = NULL;
    enum key_kind kind = KEY_RSA;
    size_t sn = 0;
    int rc = GN_OK, ok = 0;

    memset(j, 0, sizeof *j);
    j->reason = PASSPORT_R_TOO_LARGE;
    if (len > PASSPORT_MAX_TOKEN_BYTES) goto out;
    j->reason = PASSPORT_R_MALFORMED;
    if (jws_split(tok, len, &pt) < 0) goto out;
    if ((rc = b64url_json(pt.h, pt.hn, &hdr)) < 0) goto out;
    if ((j->reason = header_check(hdr, role, &kind, &kid)) != PASSPORT_R_OK) goto out;
    j->reason = PASSPORT_R_MALFORMED;
    if ((rc = b64url_json(pt.p, pt.pn, &j->payload)) < 0) goto out;
    j->iss = jstr(j->payload, "iss");
    j->reason = PASSPORT_R_MISSING_CLAIM;
    if (!j->iss) goto out;
    if ((j->reason = key_select(t, j->iss, role, kid, kind, &key)) != PASSPORT_R_OK) goto out;
    j->reason = PASSPORT_R_BAD_SIGNATURE;
    if ((rc = b64url_decode(pt.s, pt.sn, &sig, &sn)) < 0) goto out;
    if ((rc = sig_verify(key, tok, pt.hn + 1 + pt.pn, sig, sn, &ok)) < 0 || !ok) goto out;
    j->verified = 1;
    j->reason = claims_check(j, now, t->audience);
out:
    json_decref(hdr);
    gn_free(sig);
    /* A malformed segment is a property of the token, not a failure of this call. */
    return rc == GN_EPARSE ? GN_OK : rc;
}

static void jws_clear(struct jws *j)
{
    json_decref(j->payload);
    memset(j, 0, sizeof *j);
}

/* ---- Visa objects ------------------------------------------------------------------- */

static enum visa_kind visa_kind_of(const char *type)
{
    static const struct {
        const char *name;
        enum visa_kind kind;
    } types[] = {{"ResearcherStatus", VK_RESEARCHER},
                 {"AcceptedTermsAndPolicies", VK_TERMS},
                 {"ControlledAccessGrants", VK_GRANT},
                 {"AffiliationAndRole", VK_AFFILIATION},
                 {"LinkedIdentities", VK_LINKED}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(type, types[i].name) == 0) return types[i].kind;
    }
    return VK_UNKNOWN;
}

/* Total number of clauses in a conditions array, or -1 when it is not an array of arrays. */
static long conditions_count(const json_t *conds)
{
    size_t i;
    const json_t *branch;
    long n = 0;

    json_array_foreach(conds, i, branch)
    {
        if (!json_is_array(branch)) return -1;
        n += (long)json_array_size(branch);
    }
    return n;
}

/* Validates the ga4gh_visa_v1 object of a verified Visa and fills v. */
static enum passport_reason visa_object(struct visa *v, int64_t now)
{
    const json_t *o = json_object_get(v->jws.payload, "ga4gh_visa_v1");
    json_t *conds;
    long n_clauses;

    if (!json_is_object(o)) return PASSPORT_R_BAD_VISA;
    v->type = jstr(o, "type");
    v->value = jstr(o, "value");
    v->source = jstr(o, "source");
    v->by = jstr(o, "by");
    if (!v->type || !v->value || !v->source) return PASSPORT_R_BAD_VISA;
    if (json_object_get(o, "by") && !v->by) return PASSPORT_R_BAD_VISA;
    if (claim_time(o, "asserted", &v->asserted) != 1) return PASSPORT_R_BAD_VISA;
    if (later_than(v->asserted, now, PASSPORT_CLOCK_SKEW)) return PASSPORT_R_NOT_YET_VALID;
    conds = json_object_get(o, "conditions");
    if (conds && !json_is_array(conds)) return PASSPORT_R_BAD_VISA;
    n_clauses = conditions_count(conds);
    if (n_clauses < 0 || n_clauses > COND_CLAUSES_MAX) return PASSPORT_R_BAD_VISA;
    v->conditions = json_array_size(conds) ? conds : NULL; /* [] means no conditions */
    v->kind = visa_kind_of(v->type);
    switch (v->kind) {
    case VK_UNKNOWN:
        return PASSPORT_R_UNSUPPORTED_TYPE; /* the spec: ignore custom types we do not know */
    case VK_TERMS:
    case VK_GRANT:
        return v->by ? PASSPORT_R_OK : PASSPORT_R_BAD_VISA; /* "MUST include by" */
    case VK_AFFILIATION:
        return strchr(v->value, '@') ? PASSPORT_R_OK : PASSPORT_R_BAD_VISA;
    case VK_LINKED:
        /* Links are evaluated before conditions, so conditioned links are not supported;
         * the spec requires refusing what cannot be evaluated. */
        return v->conditions ? PASSPORT_R_BAD_VISA : PASSPORT_R_OK;
    case VK_RESEARCHER:
        break;
    }
    return PASSPORT_R_OK;
}

/* Checks every entry of ga4gh_passport_v1. A bad Visa is recorded and skipped, never fatal:
 * the spec has the clearinghouse ignore what it cannot use, and one stale Visa must not
 * cost the user every other grant. */
static int visas_check(struct vctx *c, const json_t *arr)
{
    size_t n = json_array_size(arr);

    c->visas = gn_calloc(n ? n : 1, sizeof *c->visas);
    if (!c->visas) return GN_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct visa *v = &c->visas[i];
        const json_t *el = json_array_get(arr, i);
        int rc;
        c->n_visas = i + 1;
        if (!json_is_string(el)) {
            v->jws.reason = PASSPORT_R_MALFORMED;
            continue;
        }
        rc = jws_check(c->t, json_string_value(el), json_string_length(el), PASSPORT_ROLE_VISA,
                       c->now, &v->jws);
        if (rc < 0) return rc;
        if (v->jws.reason == PASSPORT_R_OK) v->jws.reason = visa_object(v, c->now);
    }
    return GN_OK;
}

/* ---- LinkedIdentities --------------------------------------------------------------- */

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Percent-decodes [s, e) in place and NUL-terminates it; -1 on a bad escape or %00 (an
 * embedded NUL would make the decoded identity compare equal to a shorter one). */
static int pct_decode_inplace(char *s, const char *e)
{
    char *w = s;
    for (char *r = s; r < e;) {
        int hi, lo;
        if (*r != '%') {
            *w++ = *r++;
            continue;
        }
        if (e - r < 3) return -1;
        hi = hexval(r[1]);
        lo = hexval(r[2]);
        if (hi < 0 || lo < 0 || (hi | lo) == 0) return -1;
        *w++ = (char)(hi << 4 | lo);
        r += 3;
    }
    *w = '\0';
    return 0;
}

/* Parses "sub,iss;sub,iss" (both URI-encoded) into l. GN_EPARSE, GN_ELIMIT, GN_ENOMEM. */
static int link_parse(struct link *l, const char *value)
{
    char *p, *end;

    if (!(l->buf = gn_strdup(value))) return GN_ENOMEM;
    p = l->buf;
    end = p + strlen(p);
    while (p <= end) {
        char *semi = memchr(p, ';', (size_t)(end - p));
        char *comma;
        if (!semi) semi = end;
        comma = memchr(p, ',', (size_t)(semi - p));
        if (!comma || memchr(comma + 1, ',', (size_t)(semi - comma - 1))) return GN_EPARSE;
        if (l->n == LINK_ENTRIES_MAX) return GN_ELIMIT;
        if (pct_decode_inplace(p, comma) < 0 || pct_decode_inplace(comma + 1, semi) < 0) {
            return GN_EPARSE;
        }
        if (!*p || !comma[1]) return GN_EPARSE;
        l->e[l->n].sub = p;
        l->e[l->n].iss = comma + 1;
        l->n++;
        p = semi + 1;
    }
    return GN_OK;
}

/* Is {sub, iss} the Passport's user? Its own subject counts under any issuer, as the
 * Broker vouches for the subjects of the Visas it bundles; linked pairs count exactly. */
static int ident_is_user(const struct vctx *c, const char *sub, const char *iss)
{
    if (strcmp(sub, c->outer.sub) == 0) return 1;
    for (size_t i = 0; i < c->n_known; i++) {
        if (strcmp(c->known[i].sub, sub) == 0 && strcmp(c->known[i].iss, iss) == 0) return 1;
    }
    return 0;
}

static int link_touches_user(const struct vctx *c, const struct link *l)
{
    if (ident_is_user(c, l->visa->jws.sub, l->visa->jws.iss)) return 1;
    for (size_t i = 0; i < l->n; i++) {
        if (ident_is_user(c, l->e[i].sub, l->e[i].iss)) return 1;
    }
    return 0;
}

static void link_absorb(struct vctx *c, struct link *l)
{
    /* Each link is absorbed once and has at most LINK_ENTRIES_MAX entries: known fits. */
    assert(c->n_known + l->n + 1 <= sizeof c->known / sizeof c->known[0]);
    c->known[c->n_known].sub = l->visa->jws.sub;
    c->known[c->n_known++].iss = l->visa->jws.iss;
    for (size_t i = 0; i < l->n; i++) {
        c->known[c->n_known++] = l->e[i];
    }
    l->used = 1;
}

/* Grows the user's identities from the accepted LinkedIdentities Visas, to a fixpoint
 * (links are symmetric: the Visa says all the listed identities are one person). */
static int links_resolve(struct vctx *c)
{
    int changed = 1;

    for (size_t i = 0; i < c->n_visas; i++) {
        struct visa *v = &c->visas[i];
        struct link *l = &c->links[c->n_links];
        int rc;
        if (v->jws.reason != PASSPORT_R_OK || v->kind != VK_LINKED) continue;
        if (c->n_links == LINK_VISAS_MAX) {
            v->jws.reason = PASSPORT_R_TOO_MANY_LINKS;
            continue;
        }
        c->n_links++;
        l->visa = v;
        rc = link_parse(l, v->value);
        if (rc == GN_ENOMEM) return rc;
        if (rc < 0) {
            v->jws.reason = rc == GN_ELIMIT ? PASSPORT_R_TOO_MANY_LINKS : PASSPORT_R_BAD_VISA;
        }
    }
    while (changed) {
        changed = 0;
        for (size_t i = 0; i < c->n_links; i++) {
            struct link *l = &c->links[i];
            if (l->used || l->visa->jws.reason != PASSPORT_R_OK || !link_touches_user(c, l)) {
                continue;
            }
            link_absorb(c, l);
            changed = 1;
        }
    }
    return GN_OK;
}

/* ---- conditions ------------------------------------------------------------------- */

static const char *utf8_next(const char *s, const char *end)
{
    s++;
    while (s < end && ((unsigned char)*s & 0xC0) == 0x80) {
        s++;
    }
    return s;
}

/* Full-string match of [s, se) against pattern [p, pe): '?' is one character, '*' any
 * run. Iterative with one backtrack point, so O(|p|·|s|) time and no recursion. */
static int glob_match(const char *p, const char *pe, const char *s, const char *se)
{
    const char *star_p = NULL, *star_s = NULL;

    if (pe - p > GLOB_MAX || se - s > GLOB_MAX) return 0;
    while (s < se) {
        if (p < pe && *p == '*') {
            star_p = ++p;
            star_s = s;
        } else if (p < pe && *p == '?') {
            p++;
            s = utf8_next(s, se);
        } else if (p < pe && *p == *s) {
            p++;
            s++;
        } else if (star_p) {
            p = star_p;
            s = star_s = utf8_next(star_s, se);
        } else {
            return 0;
        }
    }
    while (p < pe && *p == '*') {
        p++;
    }
    return p == pe;
}

/* Matches one "<match-type>:<match-value>" against a Visa claim value. */
static int claim_match(const char *want, const char *have)
{
    const char *pat;

    if (strncmp(want, "const:", 6) == 0) return strcmp(want + 6, have) == 0;
    if (strncmp(want, "pattern:", 8) == 0) {
        pat = want + 8;
        return glob_match(pat, pat + strlen(pat), have, have + strlen(have));
    }
    if (strncmp(want, "split_pattern:", 14) == 0) {
        const char *end = have + strlen(have);
        pat = want + 14;
        for (const char *seg = have; seg <= end;) {
            const char *semi = memchr(seg, ';', (size_t)(end - seg));
            if (!semi) semi = end;
            if (glob_match(pat, pat + strlen(pat), seg, semi)) return 1;
            seg = semi + 1;
        }
        return 0;
    }
    return 0; /* unknown match types never match */
}

static const char *visa_claim(const struct visa *v, const char *name)
{
    if (strcmp(name, "value") == 0) return v->value;
    if (strcmp(name, "source") == 0) return v->source;
    if (strcmp(name, "by") == 0) return v->by;
    return NULL;
}

/* A clause is an object with a string "type" and at least one other string claim among
 * value/source/by (conditions, timestamps and unknown claims make it invalid). */
static int clause_valid(json_t *clause)
{
    const char *key;
    json_t *val;
    size_t n = 0;

    if (!json_is_object(clause) || !json_is_string(json_object_get(clause, "type"))) return 0;
    json_object_foreach(clause, key, val)
    {
        if (!json_is_string(val)) return 0;
        if (strcmp(key, "type") == 0) continue;
        if (strcmp(key, "value") != 0 && strcmp(key, "source") != 0 && strcmp(key, "by") != 0) {
            return 0;
        }
        n++;
    }
    return n > 0;
}

static int clause_matches(json_t *clause, const struct visa *v)
{
    const char *key;
    json_t *val;

    if (strcmp(jstr(clause, "type"), v->type) != 0) return 0;
    json_object_foreach(clause, key, val)
    {
        const char *have;
        if (strcmp(key, "type") == 0) continue;
        have = visa_claim(v, key);
        if (!have || !claim_match(json_string_value(val), have)) return 0;
    }
    return 1;
}

/* Some accepted Visa without conditions matches every claim of the clause. */
static int clause_satisfied(const struct vctx *c, json_t *clause)
{
    if (!clause_valid(clause)) return 0;
    for (size_t i = 0; i < c->n_visas; i++) {
        const struct visa *v = &c->visas[i];
        if (v->jws.reason == PASSPORT_R_OK && !v->conditions && clause_matches(clause, v)) return 1;
    }
    return 0;
}

/* DNF: the outer array ORs branches, each branch ANDs clauses (an empty branch fails). */
static int conditions_met(const struct vctx *c, const json_t *conds)
{
    size_t i, j;
    json_t *branch, *clause;

    json_array_foreach(conds, i, branch)
    {
        int all = json_array_size(branch) > 0;
        json_array_foreach(branch, j, clause)
        {
            if (!clause_satisfied(c, clause)) {
                all = 0;
                break;
            }
        }
        if (all) return 1;
    }
    return 0;
}

/* Refuses Visas of other people, then conditioned Visas whose conditions fail. */
static void visas_decide(struct vctx *c)
{
    for (size_t i = 0; i < c->n_visas; i++) {
        struct visa *v = &c->visas[i];
        if (v->jws.reason == PASSPORT_R_OK && !ident_is_user(c, v->jws.sub, v->jws.iss)) {
            v->jws.reason = PASSPORT_R_SUBJECT_MISMATCH;
        }
    }
    /* Conditioned Visas are never candidates, so deciding them in place is order-free. */
    for (size_t i = 0; i < c->n_visas; i++) {
        struct visa *v = &c->visas[i];
        if (v->jws.reason == PASSPORT_R_OK && v->conditions && !conditions_met(c, v->conditions)) {
            v->jws.reason = PASSPORT_R_CONDITIONS;
        }
    }
}

/* ---- result ------------------------------------------------------------------------- */

static int has_accepted(const struct vctx *c, enum visa_kind kind, const char *value)
{
    for (size_t i = 0; i < c->n_visas; i++) {
        const struct visa *v = &c->visas[i];
        if (v->jws.reason == PASSPORT_R_OK && v->kind == kind && strcmp(v->value, value) == 0) {
            return 1;
        }
    }
    return 0;
}

/* gn_strdup that maps NULL to NULL and counts failures in *fails. */
static char *dup_opt(const char *s, int *fails)
{
    char *d;
    if (!s) return NULL;
    if (!(d = gn_strdup(s))) (*fails)++;
    return d;
}

static int grant_fill(struct passport_grant *g, const struct visa *v, const char *prefix)
{
    size_t pn = prefix ? strlen(prefix) : 0;
    const char *id = v->value;
    int fails = 0;

    if (pn && strncmp(id, prefix, pn) == 0 && id[pn]) id += pn;
    g->dataset = dup_opt(id, &fails);
    g->value = dup_opt(v->value, &fails);
    g->source = dup_opt(v->source, &fails);
    g->by = dup_opt(v->by, &fails);
    g->issuer = dup_opt(v->jws.iss, &fails);
    g->asserted = v->asserted;
    g->expires = v->jws.exp;
    g->conditional = v->conditions != NULL;
    return fails ? GN_ENOMEM : GN_OK;
}

static int rejection_fill(struct passport_rejection *rj, const struct visa *v, size_t index)
{
    int fails = 0;

    rj->index = index;
    rj->code = v->jws.reason;
    rj->reason = passport_reason_str(v->jws.reason);
    rj->verified = v->jws.verified;
    rj->issuer = dup_opt(v->jws.iss, &fails);
    if (v->jws.verified) {
        /* read afresh: visa_object() has not run on a token that failed its claims */
        const json_t *o = json_object_get(v->jws.payload, "ga4gh_visa_v1");
        rj->type = dup_opt(jstr(o, "type"), &fails);
        rj->value = dup_opt(jstr(o, "value"), &fails);
    }
    return fails ? GN_ENOMEM : GN_OK;
}

/* Copies what the caller needs out of the JSON documents, which die with the context.
 * Arrays are sized for the worst case (every Visa a grant or a rejection), so filling
 * them cannot fail half-way except on a string copy. */
static int result_build(const struct vctx *c, struct passport_result **out)
{
    struct passport_result *r = gn_calloc(1, sizeof *r);
    int rc = GN_ENOMEM, fails = 0;

    if (!r) return GN_ENOMEM;
    r->subject = dup_opt(c->outer.sub, &fails);
    r->issuer = dup_opt(c->outer.iss, &fails);
    r->expires = c->outer.exp;
    r->n_visas = c->n_visas;
    r->registered_access = has_accepted(c, VK_RESEARCHER, PASSPORT_REGISTERED_ACCESS_URL) &&
                           has_accepted(c, VK_TERMS, PASSPORT_REGISTERED_ACCESS_URL);
    r->grants = gn_calloc(c->n_visas ? c->n_visas : 1, sizeof *r->grants);
    r->rejected = gn_calloc(c->n_visas ? c->n_visas : 1, sizeof *r->rejected);
    if (fails || !r->grants || !r->rejected) goto fail;
    for (size_t i = 0; i < c->n_visas; i++) {
        const struct visa *v = &c->visas[i];
        if (v->jws.reason != PASSPORT_R_OK) {
            if ((rc = rejection_fill(&r->rejected[r->n_rejected++], v, i)) < 0) goto fail;
        } else if (v->kind == VK_GRANT) {
            rc = grant_fill(&r->grants[r->n_grants++], v, c->t->dataset_prefix);
            if (rc < 0) goto fail;
        }
    }
    *out = r;
    return GN_OK;
fail:
    passport_result_free(r);
    return rc;
}

void passport_result_free(struct passport_result *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_grants; i++) {
        struct passport_grant *g = &r->grants[i];
        gn_free(g->dataset);
        gn_free(g->value);
        gn_free(g->source);
        gn_free(g->by);
        gn_free(g->issuer);
    }
    for (size_t i = 0; i < r->n_rejected; i++) {
        gn_free(r->rejected[i].issuer);
        gn_free(r->rejected[i].type);
        gn_free(r->rejected[i].value);
    }
    gn_free(r->grants);
    gn_free(r->rejected);
    gn_free(r->subject);
    gn_free(r->issuer);
    gn_free(r);
}

int passport_has_dataset(const struct passport_result *r, const char *dataset)
{
    /* Both forms are exact matches: the short id only exists for grants under the
     * configured prefix, so a grant for another node's URL never matches a local id. */
    if (!r || !dataset) return 0;
    for (size_t i = 0; i < r->n_grants; i++) {
        if (strcmp(r->grants[i].dataset, dataset) == 0 ||
            strcmp(r->grants[i].value, dataset) == 0) {
            return 1;
        }
    }
    return 0;
}

/* ---- entry point -------------------------------------------------------------------- */

static void vctx_clear(struct vctx *c)
{
    for (size_t i = 0; i < c->n_links; i++) {
        gn_free(c->links[i].buf);
    }
    for (size_t i = 0; i < c->n_visas; i++) {
        jws_clear(&c->visas[i].jws);
    }
    gn_free(c->visas);
    jws_clear(&c->outer);
}

static int outer_refused(enum passport_reason reason, struct gn_err *err)
{
    int code = GN_EDENIED;
    if (reason == PASSPORT_R_MALFORMED) code = GN_EPARSE;
    if (reason == PASSPORT_R_TOO_LARGE) code = GN_ELIMIT;
    if (reason == PASSPORT_R_NO_AUDIENCE) {
        return gn_errf(err, code,
                       "passport rejected: %s (the token names its audience in \"aud\"; "
                       "configure this node's audience identifier to accept such tokens)",
                       passport_reason_str(reason));
    }
    return gn_errf(err, code, "passport rejected: %s", passport_reason_str(reason));
}

int passport_verify(const struct passport_trust *t, const char *token, size_t len, int64_t now,
                    struct passport_result **out, struct gn_err *err)
{
    struct vctx *c = NULL;
    const json_t *arr;
    int rc;

    if (out) *out = NULL;
    if (!t || !out || (!token && len)) {
        return gn_errf(err, GN_EINVAL, "passport_verify: bad arguments");
    }
    if (len > PASSPORT_MAX_TOKEN_BYTES) return outer_refused(PASSPORT_R_TOO_LARGE, err);
    /* The context holds fixed arrays (a few KiB): keep it off the stack. */
    if (!(c = gn_calloc(1, sizeof *c))) return gn_errf(err, GN_ENOMEM, "out of memory");
    c->t = t;
    c->now = now;
    if ((rc = jws_check(t, token ? token : "", len, PASSPORT_ROLE_BROKER, now, &c->outer)) < 0) {
        goto fail;
    }
    if (c->outer.reason != PASSPORT_R_OK) {
        rc = outer_refused(c->outer.reason, err);
        goto out;
    }
    arr = json_object_get(c->outer.payload, "ga4gh_passport_v1");
    if (!json_is_array(arr)) {
        rc = gn_errf(err, GN_EPARSE, "passport rejected: malformed (no ga4gh_passport_v1 array)");
        goto out;
    }
    if (json_array_size(arr) > PASSPORT_MAX_VISAS) {
        rc = gn_errf(err, GN_ELIMIT, "passport rejected: too large (%zu visas, max %d)",
                     json_array_size(arr), PASSPORT_MAX_VISAS);
        goto out;
    }
    if ((rc = visas_check(c, arr)) < 0 || (rc = links_resolve(c)) < 0) goto fail;
    visas_decide(c);
    if ((rc = result_build(c, out)) < 0) goto fail;
    goto out;
fail:
    gn_errf(err, rc, "passport verification: %s", gn_strerror(rc));
out:
    vctx_clear(c);
    gn_free(c);
    return rc;
}
