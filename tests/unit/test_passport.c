/*
 * test_passport.c — GA4GH Passport / Visa verification.
 *
 * The fixture Passport (testdata/passport/, synthetic, RS256, *TESTONLY* keys) must give
 * the outcomes of testdata/passport/expected.json. Every other token is minted here at
 * test time with libjwt (which we use only to sign: see passport.c for why it cannot
 * verify) using the fixture private keys, throw-away RSA/P-256 keys generated with
 * OpenSSL, or deliberately wrong keys and algorithms.
 *
 * libjwt 1.10 always writes "typ":"JWT", so tokens that need a particular header are signed
 * by mint_hdr() with OpenSSL instead. All tokens built here are owned; free with gn_free().
 */
#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "alloc.h"
#include "fsutil.h"
#include "passport.h"
#include "test.h"

#define FIX      "testdata/passport/"
#define BROKER   "http://127.0.0.1:8089/broker/"
#define DAC      "http://127.0.0.1:8089/dac/"
#define DATASETS "https://node.example.org/datasets/"
#define ECISS    "https://ec.example.org/"
#define NOW      ((int64_t)1796083200) /* 2026-12-01T00:00:00Z */
#define IAT      ((int64_t)1767225600) /* 2026-01-01, iat/asserted of the fixtures */
#define FAR      ((int64_t)4102444800) /* 2100-01-01, exp of the valid fixtures */
#define RA_URL   "https://doi.org/10.1038/s41431-018-0219-y"

/* ---- helpers ---------------------------------------------------------------------- */

/* Reads a fixture into an owned NUL-terminated string without trailing whitespace. */
static char *slurp(const char *path, size_t *len)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    struct gn_err err = GN_ERR_INIT;
    char *s;

    if (fsutil_read_all(path, 1 << 20, &buf, &n, &err) < 0) TEST_FAIL_("%s", err.msg);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) {
        n--;
    }
    s = gn_strndup((const char *)buf, n);
    gn_free(buf);
    ASSERT_TRUE(s != NULL);
    if (len) *len = n;
    return s;
}

static struct passport_trust *fixture_trust(void)
{
    struct passport_trust *t = NULL;
    struct gn_err err = GN_ERR_INIT;

    ASSERT_OK(passport_trust_new(&t, &err));
    ASSERT_OK(passport_trust_add_jwks_file(t, BROKER, PASSPORT_ROLE_BROKER | PASSPORT_ROLE_VISA,
                                           FIX "broker-jwks.json", &err));
    ASSERT_OK(passport_trust_add_jwks_file(t, DAC, PASSPORT_ROLE_VISA, FIX "dac-jwks.json", &err));
    ASSERT_OK(passport_trust_set_dataset_prefix(t, DATASETS, &err));
    return t;
}

static struct passport_result *verify_ok(const struct passport_trust *t, const char *tok)
{
    struct passport_result *r = NULL;
    struct gn_err err = GN_ERR_INIT;
    int rc = passport_verify(t, tok, strlen(tok), NOW, &r, &err);

    if (rc != GN_OK) TEST_FAIL_("passport_verify: %d %s", rc, err.msg);
    ASSERT_TRUE(r != NULL);
    return r;
}

static void expect_refused_at(const struct passport_trust *t, const char *tok, size_t len,
                              int64_t now, int code, const char *reason)
{
    struct passport_result *r = NULL;
    struct gn_err err = GN_ERR_INIT;
    int rc = passport_verify(t, tok, len, now, &r, &err);

    ASSERT_TRUE(r == NULL);
    ASSERT_EQ_INT(rc, code);
    if (reason && !strstr(err.msg, reason)) {
        TEST_FAIL_("expected \"%s\" in error \"%s\"", reason, err.msg);
    }
}

static void expect_refused(const struct passport_trust *t, const char *tok, int code,
                           const char *reason)
{
    expect_refused_at(t, tok, strlen(tok), NOW, code, reason);
}

static const struct passport_rejection *rejection_at(const struct passport_result *r, size_t i)
{
    for (size_t k = 0; k < r->n_rejected; k++) {
        if (r->rejected[k].index == i) return &r->rejected[k];
    }
    TEST_FAIL_("visa %zu was not rejected", i);
    return NULL;
}

static void expect_rejected(const struct passport_result *r, size_t i, const char *reason)
{
    const struct passport_rejection *rj = rejection_at(r, i);
    ASSERT_EQ_STR(rj->reason, reason);
    ASSERT_EQ_STR(passport_reason_str(rj->code), reason);
}

/* A signing identity: algorithm, private key (PEM, or raw secret for HS256), kid. */
struct signer {
    const char *alg;
    char *key;
    size_t key_len;
    const char *kid; /* NULL: no kid header */
};

static struct signer signer_file(const char *path, const char *kid)
{
    struct signer s = {"RS256", NULL, 0, kid};
    s.key = slurp(path, &s.key_len);
    return s;
}

static char *pem_private(EVP_PKEY *pk, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL, *s;
    long n;

    ASSERT_TRUE(b != NULL);
    ASSERT_EQ_INT(PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL), 1);
    n = BIO_get_mem_data(b, &data);
    s = gn_strndup(data, (size_t)n);
    BIO_free(b);
    ASSERT_TRUE(s != NULL);
    *len = (size_t)n;
    return s;
}

/* The SubjectPublicKeyInfo PEM of a private key file: what an attacker can download. */
static char *pem_public_of(const char *path, size_t *len)
{
    char *priv = slurp(path, NULL);
    BIO *in = BIO_new_mem_buf(priv, -1), *out = BIO_new(BIO_s_mem());
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
    char *data = NULL, *s;
    long n;

    ASSERT_TRUE(pk != NULL && out != NULL);
    ASSERT_EQ_INT(PEM_write_bio_PUBKEY(out, pk), 1);
    n = BIO_get_mem_data(out, &data);
    s = gn_strndup(data, (size_t)n);
    *len = (size_t)n;
    EVP_PKEY_free(pk);
    BIO_free(in);
    BIO_free(out);
    gn_free(priv);
    return s;
}

/* Signs payload (stolen) with libjwt. libjwt 1.10 overwrites typ with "JWT" whatever we
 * ask; the argument documents intent. */
static char *mint(const struct signer *s, const char *typ, json_t *payload)
{
    jwt_t *jwt = NULL;
    char *json = json_dumps(payload, JSON_COMPACT), *tok, *lib;
    jwt_alg_t alg = jwt_str_alg(s->alg);

    int rc;

    json_decref(payload);
    ASSERT_TRUE(json != NULL);
    ASSERT_EQ_INT(jwt_new(&jwt), 0);
    rc = jwt_add_grants_json(jwt, json);
    if (s->kid) rc |= jwt_add_header(jwt, "kid", s->kid);
    if (typ) rc |= jwt_add_header(jwt, "typ", typ);
    if (alg == JWT_ALG_NONE) {
        rc |= jwt_set_alg(jwt, alg, NULL, 0);
    } else {
        rc |= jwt_set_alg(jwt, alg, (const unsigned char *)s->key, (int)s->key_len);
    }
    ASSERT_EQ_INT(rc, 0);
    lib = jwt_encode_str(jwt);
    ASSERT_TRUE(lib != NULL);
    tok = gn_strdup(lib);
    free(lib); /* malloc()ed by libjwt */
    jwt_free(jwt);
    free(json);
    return tok;
}

/* What a Visa says. exp 0 means FAR; conditions is JSON text or NULL. */
struct vspec {
    const char *iss, *sub, *type, *value, *by, *conditions;
    int64_t exp;
};

static char *visa(const struct signer *s, const struct vspec *v)
{
    json_t *obj = json_pack("{s:s, s:I, s:s, s:s}", "type", v->type, "asserted", (json_int_t)IAT,
                            "value", v->value, "source", "https://example.org");
    ASSERT_TRUE(obj != NULL);
    if (v->by) json_object_set_new(obj, "by", json_string(v->by));
    if (v->conditions) {
        json_t *c = json_loads(v->conditions, 0, NULL);
        ASSERT_TRUE(c != NULL);
        json_object_set_new(obj, "conditions", c);
    }
    return mint(s, "vnd.ga4gh.visa+jwt",
                json_pack("{s:s, s:s, s:I, s:I, s:o}", "iss", v->iss, "sub", v->sub, "iat",
                          (json_int_t)IAT, "exp", (json_int_t)(v->exp ? v->exp : FAR),
                          "ga4gh_visa_v1", obj));
}

/* The payload of a Passport for user-0001 by iss holding the n visas (borrowed). */
static json_t *passport_payload(const char *iss, int64_t exp, char *const *visas, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, json_string(visas[i]));
    }
    return json_pack("{s:s, s:s, s:I, s:I, s:s, s:o}", "iss", iss, "sub", "user-0001", "iat",
                     (json_int_t)IAT, "exp", (json_int_t)exp, "jti", "p-test", "ga4gh_passport_v1",
                     arr);
}

static char *passport(const struct signer *s, const char *iss, char *const *visas, size_t n)
{
    return mint(s, "vnd.ga4gh.passport+jwt", passport_payload(iss, FAR, visas, n));
}

static void free_all(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        gn_free(v[i]);
    }
}

/* A Visa of visas.json by name (owned; free with gn_free). */
static char *fixture_visa(const char *name)
{
    json_t *doc = json_load_file(FIX "visas.json", 0, NULL);
    char *s;
    ASSERT_TRUE(doc != NULL);
    s = gn_strdup(json_string_value(json_object_get(doc, name)));
    json_decref(doc);
    ASSERT_TRUE(s != NULL);
    return s;
}

static char *b64url(const unsigned char *p, size_t n)
{
    size_t cap = sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = gn_malloc(cap);
    ASSERT_TRUE(s != NULL);
    sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return s;
}

/* Replaces the payload of tok by the compact JSON of payload (stolen), keeping the header
 * and signature: a tampered token. Owned; free with gn_free. */
static char *with_payload(const char *tok, json_t *payload)
{
    const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    char *json = json_dumps(payload, JSON_COMPACT), *mid, *out;
    size_t n;

    json_decref(payload);
    mid = b64url((const unsigned char *)json, strlen(json));
    n = (size_t)(d1 - tok) + strlen(mid) + strlen(d2) + 2;
    out = gn_malloc(n);
    ASSERT_TRUE(out != NULL);
    snprintf(out, n, "%.*s.%s%s", (int)(d1 - tok), tok, mid, d2);
    free(json);
    gn_free(mid);
    return out;
}

/* The decoded payload of a token (no verification). */
static json_t *payload_of(const char *tok)
{
    const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    unsigned char buf[65536];
    size_t n = 0;
    ASSERT_EQ_INT(sodium_base642bin(buf, sizeof buf, d1 + 1, (size_t)(d2 - d1 - 1), NULL, &n, NULL,
                                    sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  0);
    return json_loadb((const char *)buf, n, 0, NULL);
}

/* Signs payload (stolen) under the raw header text hdr with RSASSA-PKCS1-v1_5/SHA-256 and
 * the PEM private key of s, whatever hdr says: full control over the header. */
static char *mint_hdr(const struct signer *s, const char *hdr, json_t *payload)
{
    char *json = json_dumps(payload, JSON_COMPACT), *hb, *pb, *sb, *input, *out;
    BIO *bio = BIO_new_mem_buf(s->key, (int)s->key_len);
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char sig[1024];
    size_t sl = sizeof sig, n;

    json_decref(payload);
    ASSERT_TRUE(json != NULL && pk != NULL && md != NULL);
    hb = b64url((const unsigned char *)hdr, strlen(hdr));
    pb = b64url((const unsigned char *)json, strlen(json));
    n = strlen(hb) + strlen(pb) + 2;
    input = gn_malloc(n);
    ASSERT_TRUE(input != NULL);
    snprintf(input, n, "%s.%s", hb, pb);
    ASSERT_EQ_INT(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk), 1);
    ASSERT_EQ_INT(EVP_DigestSign(md, sig, &sl, (const unsigned char *)input, strlen(input)), 1);
    sb = b64url(sig, sl);
    n += strlen(sb) + 1;
    out = gn_malloc(n);
    ASSERT_TRUE(out != NULL);
    snprintf(out, n, "%s.%s", input, sb);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    BIO_free(bio);
    free(json);
    gn_free(hb);
    gn_free(pb);
    gn_free(sb);
    gn_free(input);
    return out;
}

/* ---- the fixtures and expected.json --------------------------------------------- */

/* expected.json writes true/false or a sentence starting with "true"/"false". */
static int expected_bool(const json_t *v)
{
    if (json_is_boolean(v)) return json_is_true(v);
    ASSERT_TRUE(json_is_string(v));
    return strncmp(json_string_value(v), "true", 4) == 0;
}

static void t_passport_fixture(void)
{
    struct passport_trust *t = fixture_trust();
    char *tok = slurp(FIX "passport.jwt", NULL);
    struct passport_result *r = verify_ok(t, tok);
    json_t *exp = json_load_file(FIX "expected.json", 0, NULL), *v;
    const char *ds;

    ASSERT_TRUE(exp != NULL);
    ASSERT_EQ_STR(r->subject, json_string_value(json_object_get(exp, "subject")));
    ASSERT_EQ_STR(r->issuer, BROKER);
    ASSERT_EQ_INT(r->expires, FAR);
    ASSERT_EQ_INT(r->n_visas, 8);
    ASSERT_EQ_INT(r->registered_access, expected_bool(json_object_get(exp, "registered_access")));
    ASSERT_EQ_INT(r->registered_access, 1);
    json_object_foreach(json_object_get(exp, "expected_dataset_access"), ds, v)
    {
        if (passport_has_dataset(r, ds) != expected_bool(v)) {
            TEST_FAIL_("%s: got %d, expected.json says %s", ds, passport_has_dataset(r, ds),
                       json_is_string(v) ? json_string_value(v) : json_dumps(v, 0));
        }
    }
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0001"), 1);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0002"), 1);
    ASSERT_EQ_INT(passport_has_dataset(r, DATASETS "DS-0001"), 1); /* the full value too */
    ASSERT_EQ_INT(passport_has_dataset(r, "ds-0001"), 0);          /* case-sensitive */
    passport_result_free(r);
    json_decref(exp);
    gn_free(tok);
    passport_trust_free(t);
}

/* What each fixture Visa became, in detail. */
static void t_passport_fixture_details(void)
{
    struct passport_trust *t = fixture_trust();
    char *tok = slurp(FIX "passport.jwt", NULL);
    struct passport_result *r = verify_ok(t, tok);

    ASSERT_EQ_INT(r->n_grants, 2);
    ASSERT_EQ_STR(r->grants[0].dataset, "DS-0001");
    ASSERT_EQ_STR(r->grants[0].issuer, DAC);
    ASSERT_EQ_STR(r->grants[0].by, "dac");
    ASSERT_EQ_INT(r->grants[0].conditional, 0);
    ASSERT_EQ_STR(r->grants[1].dataset, "DS-0002");
    ASSERT_EQ_INT(r->grants[1].conditional, 1);
    /* 0 RS, 1 terms, 2 affiliation, 3 DS1, 4 DS2, 5 DS3 expired, 6 DS4 forged, 7 DS5 other */
    ASSERT_EQ_INT(r->n_rejected, 3);
    expect_rejected(r, 5, "expired");
    ASSERT_EQ_INT(rejection_at(r, 5)->verified, 1);
    ASSERT_EQ_STR(rejection_at(r, 5)->value, DATASETS "DS-0003");
    expect_rejected(r, 6, "bad signature");
    ASSERT_EQ_INT(rejection_at(r, 6)->verified, 0);
    ASSERT_TRUE(rejection_at(r, 6)->value == NULL); /* nothing unverified is reported */
    ASSERT_EQ_STR(rejection_at(r, 6)->issuer, DAC);
    expect_rejected(r, 7, "subject mismatch");
    passport_result_free(r);
    gn_free(tok);
    passport_trust_free(t);
}

/* Re-packs fixture Visas into new Passports signed with the broker's test key. */
static void t_passport_fixture_subsets(void)
{
    struct passport_trust *t = fixture_trust();
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    char *v[3] = {fixture_visa("grantDS2_conditional"), fixture_visa("researcherStatus"),
                  fixture_visa("affiliation")};
    char *p;
    struct passport_result *r;

    p = passport(&broker, BROKER, v, 2); /* no AffiliationAndRole, no terms */
    r = verify_ok(t, p);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0002"), 0);
    expect_rejected(r, 0, "conditions not met");
    ASSERT_EQ_INT(r->registered_access, 0); /* ResearcherStatus alone is not enough */
    passport_result_free(r);
    gn_free(p);

    p = passport(&broker, BROKER, v, 3);
    r = verify_ok(t, p);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0002"), 1);
    ASSERT_EQ_INT(r->n_rejected, 0);
    passport_result_free(r);
    gn_free(p);

    for (size_t i = 0; i < 3; i++) {
        gn_free(v[i]);
    }
    gn_free(broker.key);
    passport_trust_free(t);
}

/* ---- the outer Passport ----------------------------------------------------------- */

static void t_passport_expired(void)
{
    struct passport_trust *t = fixture_trust();
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    char *tok = slurp(FIX "passport.jwt", NULL), *p;

    expect_refused_at(t, tok, strlen(tok), FAR, GN_EDENIED, "passport rejected: expired");
    expect_refused_at(t, tok, strlen(tok), FAR + 100, GN_EDENIED, "expired");
    /* a Passport minted already expired */
    p = mint(&broker, NULL, passport_payload(BROKER, NOW - 1, NULL, 0));
    expect_refused(t, p, GN_EDENIED, "passport rejected: expired");
    gn_free(p);
    p = mint(&broker, NULL, passport_payload(BROKER, NOW, NULL, 0)); /* exp == now: expired */
    expect_refused(t, p, GN_EDENIED, "expired");
    gn_free(p);
    /* and an empty, still valid one is fine */
    p = mint(&broker, NULL, passport_payload(BROKER, NOW + 1, NULL, 0));
    passport_result_free(verify_ok(t, p));
    gn_free(p);
    gn_free(tok);
    gn_free(broker.key);
    passport_trust_free(t);
}

static void t_passport_tampered(void)
{
    struct passport_trust *t = fixture_trust();
    char *tok = slurp(FIX "passport.jwt", NULL), *bad;
    json_t *pl = payload_of(tok);
    size_t n = strlen(tok), sig = (size_t)(strrchr(tok, '.') - tok) + 1;

    /* change the subject and re-encode: valid JSON, signature no longer matches */
    json_object_set_new(pl, "sub", json_string("user-0002"));
    bad = with_payload(tok, pl);
    expect_refused(t, bad, GN_EDENIED, "passport rejected: bad signature");
    gn_free(bad);
    /* flip single bytes of the payload and the signature: never accepted */
    for (size_t i = (size_t)(strchr(tok, '.') - tok) + 1; i < n; i += 37) {
        char *c = gn_strdup(tok);
        struct passport_result *r = NULL;
        c[i] = c[i] == 'A' ? 'B' : 'A';
        ASSERT_TRUE(passport_verify(t, c, n, NOW, &r, NULL) < 0);
        ASSERT_TRUE(r == NULL);
        if (i >= sig) expect_refused(t, c, GN_EDENIED, "bad signature");
        gn_free(c);
    }
    gn_free(tok);
    passport_trust_free(t);
}

/* A tampered Visa inside a correctly signed Passport is refused, not used. */
static void t_passport_tampered_visa(void)
{
    struct passport_trust *t = fixture_trust();
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    char *ds1 = fixture_visa("grantDS1"), *v[1], *p;
    json_t *pl = payload_of(ds1);
    struct passport_result *r;

    json_object_set_new(json_object_get(pl, "ga4gh_visa_v1"), "value",
                        json_string(DATASETS "DS-0009"));
    v[0] = with_payload(ds1, pl);
    p = passport(&broker, BROKER, v, 1);
    r = verify_ok(t, p);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0009"), 0);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0001"), 0);
    expect_rejected(r, 0, "bad signature");
    passport_result_free(r);
    gn_free(p);
    gn_free(v[0]);
    gn_free(ds1);
    gn_free(broker.key);
    passport_trust_free(t);
}

static void t_passport_alg_none(void)
{
    struct passport_trust *t = fixture_trust();
    struct signer none = {"none", NULL, 0, "broker-key-1"};
    struct signer none_dac = {"none", NULL, 0, "dac-key-1"};
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    struct vspec g = {DAC, "user-0001", "ControlledAccessGrants", DATASETS "DS-0001", "dac", NULL,
                      0};
    char *v[1], *p;
    struct passport_result *r;

    p = passport(&none, BROKER, NULL, 0);
    ASSERT_TRUE(p[strlen(p) - 1] == '.'); /* "header.payload." */
    expect_refused(t, p, GN_EDENIED, "passport rejected: unsupported alg");
    gn_free(p);
    v[0] = visa(&none_dac, &g);
    p = passport(&broker, BROKER, v, 1);
    r = verify_ok(t, p);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0001"), 0);
    expect_rejected(r, 0, "unsupported alg");
    passport_result_free(r);
    gn_free(p);
    free_all(v, 1);
    gn_free(broker.key);
    passport_trust_free(t);
}

/* HS256 "signed" with the issuer's public key as the HMAC secret must never verify. */
static void t_passport_hs256_confusion(void)
{
    struct passport_trust *t = fixture_trust();
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    struct signer hs_broker = {"HS256", NULL, 0, "broker-key-1"};
    struct signer hs_dac = {"HS256", NULL, 0, "dac-key-1"};
    struct vspec g = {DAC, "user-0001", "ControlledAccessGrants", DATASETS "DS-0001", "dac", NULL,
                      0};
    char *v[1], *p;
    struct passport_result *r;

    hs_broker.key = pem_public_of(FIX "broker-private-TESTONLY.pem", &hs_broker.key_len);
    hs_dac.key = pem_public_of(FIX "dac-private-TESTONLY.pem", &hs_dac.key_len);
    p = passport(&hs_broker, BROKER, NULL, 0);
    expect_refused(t, p, GN_EDENIED, "passport rejected: unsupported alg");
    gn_free(p);
    gn_free(hs_broker.key); /* the JWKS document itself as the secret */
    hs_broker.key = slurp(FIX "broker-jwks.json", &hs_broker.key_len);
    p = passport(&hs_broker, BROKER, NULL, 0);
    expect_refused(t, p, GN_EDENIED, "unsupported alg");
    gn_free(p);
    v[0] = visa(&hs_dac, &g);
    p = passport(&broker, BROKER, v, 1);
    r = verify_ok(t, p);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0001"), 0);
    expect_rejected(r, 0, "unsupported alg");
    passport_result_free(r);
    gn_free(p);
    free_all(v, 1);
    gn_free(hs_broker.key);
    gn_free(hs_dac.key);
    gn_free(broker.key);
    passport_trust_free(t);
}

/* A JWKS publishing the P-256 public key of pk under kid. Owned; free with gn_free. */
static char *ec_jwks(EVP_PKEY *pk, const char *kid)
{
    BIGNUM *x = NULL, *y = NULL;
    unsigned char xb[32], yb[32];
    char *xs, *ys, *doc, *out;
    json_t *o;

    ASSERT_EQ_INT(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
    ASSERT_EQ_INT(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y), 1);
    ASSERT_EQ_INT(BN_bn2binpad(x, xb, 32), 32);
    ASSERT_EQ_INT(BN_bn2binpad(y, yb, 32), 32);
    xs = b64url(xb, 32);
    ys = b64url(yb, 32);
    o = json_pack("{s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:s}]}", "keys", "kty", "EC", "crv", "P-256",
                  "x", xs, "y", ys, "kid", kid, "alg", "ES256", "use", "sig");
    doc = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    out = gn_strdup(doc);
    free(doc);
    gn_free(xs);
    gn_free(ys);
    BN_free(x);
    BN_free(y);
    return out;
}

static void t_passport_es256(void)
{
    struct passport_trust *t = fixture_trust();
    struct gn_err err = GN_ERR_INIT;
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    struct signer ec = {"ES256", NULL, 0, "ec-1"};
    struct signer dac = signer_file(FIX "dac-private-TESTONLY.pem", "dac-key-1");
    struct vspec g1 = {
        ECISS, "user-0001", "ControlledAccessGrants", DATASETS "DS-0100", "dac", NULL, 0};
    struct vspec g2 = {DAC, "user-0001", "ControlledAccessGrants", DATASETS "DS-0001", "dac", NULL,
                       0};
    char *jwks, *v[2], *p;
    struct passport_result *r;

    ASSERT_TRUE(pk != NULL);
    jwks = ec_jwks(pk, "ec-1");
    ec.key = pem_private(pk, &ec.key_len);
    ASSERT_OK(passport_trust_add_jwks(t, ECISS, PASSPORT_ROLE_BROKER | PASSPORT_ROLE_VISA, jwks,
                                      strlen(jwks), &err));
    v[0] = visa(&ec, &g1);
    v[1] = visa(&dac, &g2);
    p = passport(&ec, ECISS, v, 2);
    r = verify_ok(t, p); /* an ES256 Passport holding an ES256 and an RS256 Visa */
    ASSERT_EQ_STR(r->issuer, ECISS);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0100"), 1);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0001"), 1);
    ASSERT_EQ_INT(r->n_rejected, 0);
    passport_result_free(r);
    gn_free(p);
    /* the EC key claiming the broker's RSA kid, and the broker's kid with ES256 */
    ec.kid = "broker-key-1";
    p = passport(&ec, BROKER, NULL, 0);
    expect_refused(t, p, GN_EDENIED, "passport rejected: alg does not match key");
    gn_free(p);
    ec.kid = "ec-1"; /* signed by the EC key, but claiming the broker as issuer */
    p = passport(&ec, BROKER, NULL, 0);
    expect_refused(t, p, GN_EDENIED, "kid not found");
    gn_free(p);
    free_all(v, 2);
    gn_free(jwks);
    gn_free(ec.key);
    gn_free(dac.key);
    EVP_PKEY_free(pk);
    passport_trust_free(t);
}

/* Signed with a key the node does not trust, under a trusted issuer and kid. */
static void t_passport_spoofed_kid(void)
{
    struct passport_trust *t = fixture_trust();
    struct signer dac_as_broker = signer_file(FIX "dac-private-TESTONLY.pem", "broker-key-1");
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    EVP_PKEY *rogue = EVP_RSA_gen(2048);
    struct signer rogue_dac = {"RS256", NULL, 0, "dac-key-1"};
    struct vspec g = {DAC, "user-0001", "ControlledAccessGrants", DATASETS "DS-0001", "dac", NULL,
                      0};
    char *v[1], *p;
    struct passport_result *r;

    ASSERT_TRUE(rogue != NULL);
    rogue_dac.key = pem_private(rogue, &rogue_dac.key_len);
    p = passport(&dac_as_broker, BROKER, NULL, 0);
    expect_refused(t, p, GN_EDENIED, "passport rejected: bad signature");
    gn_free(p);
    v[0] = visa(&rogue_dac, &g);
    p = passport(&broker, BROKER, v, 1);
    r = verify_ok(t, p);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0001"), 0);
    expect_rejected(r, 0, "bad signature");
    passport_result_free(r);
    gn_free(p);
    free_all(v, 1);
    gn_free(rogue_dac.key);
    gn_free(dac_as_broker.key);
    gn_free(broker.key);
    EVP_PKEY_free(rogue);
    passport_trust_free(t);
}

static void t_passport_issuer_and_kid(void)
{
    struct passport_trust *t = fixture_trust();
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    struct signer dac = signer_file(FIX "dac-private-TESTONLY.pem", "dac-key-1");
    struct vspec g = {"https://evil.example.org/",
                      "user-0001",
                      "ControlledAccessGrants",
                      DATASETS "DS-0001",
                      "dac",
                      NULL,
                      0};
    char *v[1], *p;
    struct passport_result *r;

    p = passport(&broker, "https://evil.example.org/", NULL, 0);
    expect_refused(t, p, GN_EDENIED, "passport rejected: untrusted issuer");
    gn_free(p);
    p = passport(&broker, "http://127.0.0.1:8089/broker", NULL, 0); /* no trailing slash */
    expect_refused(t, p, GN_EDENIED, "untrusted issuer");
    gn_free(p);
    p = passport(&dac, DAC, NULL, 0); /* a Visa issuer may not sign Passports */
    expect_refused(t, p, GN_EDENIED, "untrusted issuer");
    gn_free(p);
    broker.kid = "broker-key-2";
    p = passport(&broker, BROKER, NULL, 0);
    expect_refused(t, p, GN_EDENIED, "passport rejected: kid not found");
    gn_free(p);
    broker.kid = NULL;
    p = passport(&broker, BROKER, NULL, 0);
    expect_refused(t, p, GN_EDENIED, "passport rejected: kid missing");
    gn_free(p);
    broker.kid = "broker-key-1";
    v[0] = visa(&dac, &g); /* right key, untrusted issuer */
    p = passport(&broker, BROKER, v, 1);
    r = verify_ok(t, p);
    expect_rejected(r, 0, "untrusted issuer");
    ASSERT_EQ_INT(r->n_grants, 0);
    passport_result_free(r);
    gn_free(p);
    free_all(v, 1);
    gn_free(broker.key);
    gn_free(dac.key);
    passport_trust_free(t);
}

static void t_passport_garbage(void)
{
    struct passport_trust *t = fixture_trust();
    static const char *const junk[] = {"",           ".",         "..",
                                       "...",        "a.b.c",     "x",
                                       "eyJ.eyJ.",   "e30.e30.",  "e30.e30.e30",
                                       "W10.e30.AA", "a.b.c.d.e", "eyJhbGciOiJSUzI1NiJ9..sig",
                                       "!!!.???.***"};
    char *tok = slurp(FIX "passport.jwt", NULL);
    size_t n = strlen(tok);
    struct passport_result *r = NULL;

    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        ASSERT_TRUE(passport_verify(t, junk[i], strlen(junk[i]), NOW, &r, NULL) < 0);
        ASSERT_TRUE(r == NULL);
    }
    expect_refused(t, "a.b.c", GN_EPARSE, "passport rejected: malformed");
    for (size_t k = 0; k < n; k++) { /* every truncation */
        ASSERT_TRUE(passport_verify(t, tok, k, NOW, &r, NULL) < 0);
        ASSERT_TRUE(r == NULL);
    }
    tok[n - 1] = '\0'; /* the NUL inside the length */
    ASSERT_TRUE(passport_verify(t, tok, n, NOW, &r, NULL) < 0);
    gn_free(tok);
    passport_trust_free(t);
}

static void t_passport_size_and_args(void)
{
    struct passport_trust *t = fixture_trust();
    struct passport_result *r = NULL;
    char *big = gn_malloc(PASSPORT_MAX_TOKEN_BYTES + 2);

    ASSERT_TRUE(big != NULL);
    memset(big, 'A', PASSPORT_MAX_TOKEN_BYTES + 1);
    big[PASSPORT_MAX_TOKEN_BYTES + 1] = '\0';
    expect_refused(t, big, GN_ELIMIT, "too large");
    ASSERT_EQ_INT(passport_verify(NULL, "x", 1, NOW, &r, NULL), GN_EINVAL);
    ASSERT_EQ_INT(passport_verify(t, "x", 1, NOW, NULL, NULL), GN_EINVAL);
    gn_free(big);
    passport_trust_free(t);
}

/* The trailing newline of the fixture file is not part of a token. */
static void t_passport_whitespace(void)
{
    struct passport_trust *t = fixture_trust();
    uint8_t *raw = NULL;
    size_t n = 0;
    struct passport_result *r = NULL;

    ASSERT_OK(fsutil_read_all(FIX "passport.jwt", 1 << 20, &raw, &n, NULL));
    ASSERT_EQ_INT(raw[n - 1], '\n');
    ASSERT_EQ_INT(passport_verify(t, (const char *)raw, n, NOW, &r, NULL), GN_EDENIED);
    ASSERT_OK(passport_verify(t, (const char *)raw, n - 1, NOW, &r, NULL));
    passport_result_free(r);
    gn_free(raw);
    passport_trust_free(t);
}

static void t_passport_claims(void)
{
    struct passport_trust *t = fixture_trust();
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    static const struct {
        const char *key, *json, *reason; /* json NULL: delete the claim */
        int code;
    } cases[] = {
        {"exp", NULL, "missing claim", GN_EDENIED},
        {"exp", "\"4102444800\"", "invalid claim", GN_EDENIED},
        {"iat", NULL, "missing claim", GN_EDENIED},
        {"iat", "1796083261", "not yet valid", GN_EDENIED}, /* now + 61 s */
        {"iat", "4102444801", "invalid claim", GN_EDENIED}, /* after exp */
        {"nbf", "1796090000", "not yet valid", GN_EDENIED},
        {"sub", NULL, "missing claim", GN_EDENIED},
        {"sub", "\"\"", "missing claim", GN_EDENIED},
        {"iss", NULL, "missing claim", GN_EDENIED},
        {"ga4gh_passport_v1", NULL, "malformed", GN_EPARSE},
        {"ga4gh_passport_v1", "{}", "malformed", GN_EPARSE},
    };
    char *p;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *pl = passport_payload(BROKER, FAR, NULL, 0);
        if (cases[i].json) {
            json_object_set_new(pl, cases[i].key, json_loads(cases[i].json, JSON_DECODE_ANY, NULL));
        } else {
            json_object_del(pl, cases[i].key);
        }
        p = mint(&broker, NULL, pl);
        expect_refused(t, p, cases[i].code, cases[i].reason);
        gn_free(p);
    }
    /* iat 59 s in the future is clock skew, not an error */
    {
        json_t *pl = passport_payload(BROKER, FAR, NULL, 0);
        json_object_set_new(pl, "iat", json_integer(NOW + 59));
        p = mint(&broker, NULL, pl);
        passport_result_free(verify_ok(t, p));
        gn_free(p);
    }
    gn_free(broker.key);
    passport_trust_free(t);
}

/* RFC 7519 4.1.3: a token with "aud" must name this node's audience; one without is fine. */
static void t_passport_audience(void)
{
    struct passport_trust *t = fixture_trust(), *none = fixture_trust();
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    struct signer dac = signer_file(FIX "dac-private-TESTONLY.pem", "dac-key-1");
    struct gn_err err = GN_ERR_INIT;
    static const struct {
        const char *aud, *reason; /* aud NULL: no claim; reason NULL: accepted */
    } cases[] = {
        {NULL, NULL},
        {"\"https://node.example.org/\"", NULL},
        {"[\"https://other.example.org/\", \"https://node.example.org/\"]", NULL},
        {"\"https://other.example.org/\"", "passport rejected: audience mismatch"},
        {"[\"https://other.example.org/\"]", "passport rejected: audience mismatch"},
        {"[]", "passport rejected: audience mismatch"},
        {"\"https://node.example.org\"", "audience mismatch"}, /* exact, no normalising */
        {"\"HTTPS://NODE.EXAMPLE.ORG/\"", "audience mismatch"},
        {"42", "passport rejected: invalid claim"},
        {"[\"https://node.example.org/\", 7]", "passport rejected: invalid claim"},
    };
    char *p, *v[1];
    struct passport_result *r;

    ASSERT_OK(passport_trust_set_audience(t, "https://node.example.org/", &err));
    ASSERT_EQ_INT(passport_trust_set_audience(t, "", NULL), GN_EINVAL);
    ASSERT_EQ_INT(passport_trust_set_audience(NULL, "x", NULL), GN_EINVAL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *pl = passport_payload(BROKER, FAR, NULL, 0);
        if (cases[i].aud) {
            json_object_set_new(pl, "aud", json_loads(cases[i].aud, JSON_DECODE_ANY, NULL));
        }
        p = mint(&broker, NULL, pl);
        if (cases[i].reason) {
            expect_refused(t, p, GN_EDENIED, cases[i].reason);
        } else {
            passport_result_free(verify_ok(t, p));
        }
        /* with no audience configured: only tokens without "aud" pass, and the refusal says
         * what to do (a malformed "aud" is just that) */
        if (cases[i].reason && strstr(cases[i].reason, "invalid claim")) {
            expect_refused(none, p, GN_EDENIED, "passport rejected: invalid claim");
        } else if (cases[i].aud) {
            expect_refused(none, p, GN_EDENIED, "passport rejected: audience not configured");
            expect_refused(none, p, GN_EDENIED, "configure this node's audience identifier");
        } else {
            passport_result_free(verify_ok(none, p));
        }
        gn_free(p);
    }
    /* a Visa meant for another audience is not used; one meant for this node is */
    for (int right = 0; right < 2; right++) {
        json_t *obj = json_pack("{s:s, s:I, s:s, s:s, s:s}", "type", "ControlledAccessGrants",
                                "asserted", (json_int_t)IAT, "value", DATASETS "DS-0001", "source",
                                "https://example.org", "by", "dac");
        v[0] = mint(&dac, "vnd.ga4gh.visa+jwt",
                    json_pack("{s:s, s:s, s:I, s:I, s:s, s:o}", "iss", DAC, "sub", "user-0001",
                              "iat", (json_int_t)IAT, "exp", (json_int_t)FAR, "aud",
                              right ? "https://node.example.org/" : "https://other.example.org/",
                              "ga4gh_visa_v1", obj));
        p = passport(&broker, BROKER, v, 1);
        r = verify_ok(t, p);
        ASSERT_EQ_INT(passport_has_dataset(r, "DS-0001"), right);
        if (!right) expect_rejected(r, 0, "audience mismatch");
        passport_result_free(r);
        gn_free(p);
        gn_free(v[0]);
    }
    gn_free(broker.key);
    gn_free(dac.key);
    passport_trust_free(t);
    passport_trust_free(none);
}

static void t_passport_header(void)
{
    static const struct {
        const char *hdr, *reason; /* reason NULL: accepted */
    } cases[] = {
        {"{\"alg\":\"RS256\",\"kid\":\"broker-key-1\",\"typ\":\"vnd.ga4gh.passport+jwt\"}", NULL},
        {"{\"alg\":\"RS256\",\"kid\":\"broker-key-1\"}", NULL},
        {"{\"alg\":\"RS256\",\"kid\":\"broker-key-1\",\"typ\":\"application/"
         "vnd.ga4gh.passport+JWT\"}",
         NULL},
        {"{\"alg\":\"RS256\",\"kid\":\"broker-key-1\",\"typ\":\"at+jwt\"}", NULL},
        /* jku/x5u are never fetched; the node's own keys decide */
        {"{\"alg\":\"RS256\",\"kid\":\"broker-key-1\",\"jku\":\"https://evil.example.org/jwks\"}",
         NULL},
        {"{\"alg\":\"RS256\",\"kid\":\"broker-key-1\",\"typ\":\"vnd.ga4gh.visa+jwt\"}",
         "wrong token type"},
        {"{\"alg\":\"RS256\",\"kid\":\"broker-key-1\",\"typ\":\"text/html\"}", "wrong token type"},
        {"{\"alg\":\"RS256\",\"kid\":\"broker-key-1\",\"typ\":7}", "malformed"},
        {"{\"alg\":\"RS256\",\"kid\":\"broker-key-1\",\"crit\":[\"exp\"],\"exp\":1}", "malformed"},
        {"{\"alg\":\"none\",\"alg\":\"RS256\",\"kid\":\"broker-key-1\"}", "malformed"},
        {"[\"RS256\"]", "malformed"},
        {"{\"alg\":\"rs256\",\"kid\":\"broker-key-1\"}", "unsupported alg"},
        {"{\"alg\":\"RS512\",\"kid\":\"broker-key-1\"}", "unsupported alg"},
        {"{\"alg\":\"PS256\",\"kid\":\"broker-key-1\"}", "unsupported alg"},
        {"{\"alg\":\"HS256\",\"kid\":\"broker-key-1\"}", "unsupported alg"},
        {"{\"alg\":\"ES256\",\"kid\":\"broker-key-1\"}", "alg does not match key"},
        {"{\"kid\":\"broker-key-1\"}", "unsupported alg"},
        {"{\"alg\":\"RS256\",\"kid\":7}", "kid missing"},
    };
    struct passport_trust *t = fixture_trust();
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    char *p, *ra = fixture_visa("researcherStatus");

    expect_refused(t, ra, GN_EDENIED, "passport rejected: wrong token type"); /* a Visa */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        p = mint_hdr(&broker, cases[i].hdr, passport_payload(BROKER, FAR, NULL, 0));
        if (cases[i].reason) {
            int code = strcmp(cases[i].reason, "malformed") == 0 ? GN_EPARSE : GN_EDENIED;
            expect_refused(t, p, code, cases[i].reason);
        } else {
            passport_result_free(verify_ok(t, p));
        }
        gn_free(p);
    }
    gn_free(ra);
    gn_free(broker.key);
    passport_trust_free(t);
}

/* A token carrying its own key (jwk header) is still judged by the node's keys only. */
static void t_passport_embedded_jwk(void)
{
    struct passport_trust *t = fixture_trust();
    EVP_PKEY *rogue = EVP_RSA_gen(2048);
    struct signer r = {"RS256", NULL, 0, NULL};
    BIGNUM *n = NULL;
    unsigned char nb[256];
    char *ns, hdr[1024], *p;

    ASSERT_TRUE(rogue != NULL);
    r.key = pem_private(rogue, &r.key_len);
    ASSERT_EQ_INT(EVP_PKEY_get_bn_param(rogue, OSSL_PKEY_PARAM_RSA_N, &n), 1);
    ASSERT_EQ_INT(BN_bn2binpad(n, nb, sizeof nb), (int)sizeof nb);
    ns = b64url(nb, sizeof nb);
    snprintf(hdr, sizeof hdr,
             "{\"alg\":\"RS256\",\"kid\":\"rogue\",\"jwk\":{\"kty\":\"RSA\",\"kid\":\"rogue\","
             "\"e\":\"AQAB\",\"n\":\"%s\"}}",
             ns);
    p = mint_hdr(&r, hdr, passport_payload(BROKER, FAR, NULL, 0));
    expect_refused(t, p, GN_EDENIED, "passport rejected: kid not found");
    gn_free(p);
    snprintf(hdr, sizeof hdr,
             "{\"alg\":\"RS256\",\"kid\":\"broker-key-1\",\"jwk\":{\"kty\":\"RSA\",\"kid\":"
             "\"broker-key-1\","
             "\"e\":\"AQAB\",\"n\":\"%s\"}}",
             ns);
    p = mint_hdr(&r, hdr, passport_payload(BROKER, FAR, NULL, 0));
    expect_refused(t, p, GN_EDENIED, "passport rejected: bad signature");
    gn_free(p);
    gn_free(ns);
    gn_free(r.key);
    BN_free(n);
    EVP_PKEY_free(rogue);
    passport_trust_free(t);
}

/* Visas with the wrong typ inside a good Passport. */
static void t_passport_visa_typ(void)
{
    struct passport_trust *t = fixture_trust();
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    struct signer dac = signer_file(FIX "dac-private-TESTONLY.pem", "dac-key-1");
    struct vspec g = {DAC, "user-0001", "ControlledAccessGrants", DATASETS "DS-0001", "dac", NULL,
                      0};
    char *tmp = visa(&dac, &g), *v[2], *p;
    json_t *pl = payload_of(tmp);
    struct passport_result *r;

    v[0] = mint_hdr(&dac,
                    "{\"alg\":\"RS256\",\"kid\":\"dac-key-1\",\"typ\":\"vnd.ga4gh.passport+jwt\"}",
                    json_incref(pl));
    v[1] = mint_hdr(&dac,
                    "{\"alg\":\"RS256\",\"kid\":\"dac-key-1\",\"typ\":\"vnd.ga4gh.visa+jwt\"}", pl);
    p = passport(&broker, BROKER, v, 2);
    r = verify_ok(t, p);
    expect_rejected(r, 0, "wrong token type");
    ASSERT_EQ_INT(r->n_rejected, 1);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0001"), 1);
    passport_result_free(r);
    gn_free(p);
    free_all(v, 2);
    gn_free(tmp);
    gn_free(broker.key);
    gn_free(dac.key);
    passport_trust_free(t);
}

static void t_passport_limits(void)
{
    struct passport_trust *t = fixture_trust();
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    char *v[PASSPORT_MAX_VISAS + 1], *p;
    json_t *pl;
    struct passport_result *r;

    for (size_t i = 0; i <= PASSPORT_MAX_VISAS; i++) {
        v[i] = (char *)"not.a-jws";
    }
    p = passport(&broker, BROKER, v, PASSPORT_MAX_VISAS + 1);
    expect_refused(t, p, GN_ELIMIT, "too large");
    gn_free(p);
    p = passport(&broker, BROKER, v, PASSPORT_MAX_VISAS);
    r = verify_ok(t, p);
    ASSERT_EQ_INT(r->n_rejected, PASSPORT_MAX_VISAS);
    expect_rejected(r, 99, "malformed");
    passport_result_free(r);
    gn_free(p);
    /* a non-string entry is one malformed Visa, not a malformed Passport */
    pl = passport_payload(BROKER, FAR, NULL, 0);
    json_array_append_new(json_object_get(pl, "ga4gh_passport_v1"), json_integer(7));
    p = mint(&broker, NULL, pl);
    r = verify_ok(t, p);
    expect_rejected(r, 0, "malformed");
    passport_result_free(r);
    gn_free(p);
    gn_free(broker.key);
    passport_trust_free(t);
}

/* ---- Visa semantics --------------------------------------------------------------- */

static void t_passport_visa_objects(void)
{
    struct passport_trust *t = fixture_trust();
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    struct signer dac = signer_file(FIX "dac-private-TESTONLY.pem", "dac-key-1");
    struct vspec s[] = {
        {DAC, "user-0001", "ControlledAccessGrants", DATASETS "DS-0001", NULL, NULL, 0}, /* no by */
        {BROKER, "user-0001", "AffiliationAndRole", "faculty-example.org", "so", NULL,
         0}, /* no @ */
        {DAC, "user-0001", "https://example.org/custom", "x", "dac", NULL, 0},
        {DAC, "user-0001", "ControlledAccessGrants", DATASETS "DS-0001", "dac", "[7]", 0},
        {BROKER, "user-0001", "ResearcherStatus", RA_URL, "so", NULL, 0},
        {BROKER, "user-0001", "AcceptedTermsAndPolicies", RA_URL, NULL, NULL, 0}, /* no by */
        {DAC, "user-0001", "ControlledAccessGrants", DATASETS "DS-0007", "dac", "[]", 0},
    };
    enum { N = sizeof s / sizeof s[0] };
    char *v[N], *p;
    struct passport_result *r;

    for (size_t i = 0; i < N; i++) {
        v[i] = visa(strcmp(s[i].iss, DAC) ? &broker : &dac, &s[i]);
    }
    p = passport(&broker, BROKER, v, N);
    r = verify_ok(t, p);
    expect_rejected(r, 0, "invalid visa object");
    expect_rejected(r, 1, "invalid visa object");
    expect_rejected(r, 2, "unsupported visa type");
    expect_rejected(r, 3, "invalid visa object");
    expect_rejected(r, 5, "invalid visa object");
    ASSERT_EQ_INT(r->registered_access, 0);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0001"), 0);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0007"), 1); /* empty conditions = none */
    ASSERT_EQ_INT(r->n_rejected, 5);
    passport_result_free(r);
    gn_free(p);
    free_all(v, N);
    gn_free(broker.key);
    gn_free(dac.key);
    passport_trust_free(t);
}

/* DS-0005 is granted to someone-else; a LinkedIdentities Visa can make it ours. */
static void t_passport_linked_identities(void)
{
    struct passport_trust *t = fixture_trust();
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    struct signer dac = signer_file(FIX "dac-private-TESTONLY.pem", "dac-key-1");
    struct vspec link_ok = {BROKER,
                            "user-0001",
                            "LinkedIdentities",
                            "someone-else,http%3A%2F%2F127.0.0.1%3A8089%2Fdac%2F",
                            "system",
                            NULL,
                            0};
    struct vspec link_wrong_iss = {BROKER,
                                   "user-0001",
                                   "LinkedIdentities",
                                   "someone-else,https%3A%2F%2Fother.example.org%2F",
                                   "system",
                                   NULL,
                                   0};
    struct vspec link_expired = link_ok;
    struct vspec chain1 = {BROKER,
                           "user-0001",
                           "LinkedIdentities",
                           "alice,http%3A%2F%2F127.0.0.1%3A8089%2Fdac%2F",
                           "system",
                           NULL,
                           0};
    struct vspec chain2 = {DAC,
                           "alice",
                           "LinkedIdentities",
                           "bob,x;someone-else,http%3A%2F%2F127.0.0.1%3A8089%2Fdac%2F",
                           "system",
                           NULL,
                           0};
    struct vspec stray = {DAC, "carol", "LinkedIdentities", "dave,x", "system", NULL, 0};
    struct vspec bad = {BROKER, "user-0001", "LinkedIdentities", "no-comma", "system", NULL, 0};
    char *v[4], *p;
    struct passport_result *r;

    link_expired.exp = NOW - 10;
    v[0] = fixture_visa("grantDS5_othersub");
    v[1] = visa(&broker, &link_ok);
    p = passport(&broker, BROKER, v, 2);
    r = verify_ok(t, p);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0005"), 1);
    ASSERT_EQ_INT(r->n_rejected, 0);
    passport_result_free(r);
    gn_free(p);
    gn_free(v[1]);

    v[1] = visa(&broker, &link_wrong_iss); /* same sub, other issuer: not a link */
    v[2] = visa(&broker, &link_expired);
    v[3] = visa(&broker, &bad);
    p = passport(&broker, BROKER, v, 4);
    r = verify_ok(t, p);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0005"), 0);
    expect_rejected(r, 0, "subject mismatch");
    expect_rejected(r, 2, "expired");
    expect_rejected(r, 3, "invalid visa object");
    passport_result_free(r);
    gn_free(p);
    free_all(v + 1, 3);

    v[1] = visa(&dac, &chain2); /* alice ↔ someone-else, then user-0001 ↔ alice */
    v[2] = visa(&broker, &chain1);
    v[3] = visa(&dac, &stray);
    p = passport(&broker, BROKER, v, 4);
    r = verify_ok(t, p);
    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0005"), 1);
    expect_rejected(r, 3, "subject mismatch"); /* carol ↔ dave is not connected to us */
    ASSERT_EQ_INT(r->n_rejected, 1);
    passport_result_free(r);
    gn_free(p);
    free_all(v + 1, 3);
    gn_free(v[0]);
    gn_free(broker.key);
    gn_free(dac.key);
    passport_trust_free(t);
}

struct cond_case {
    const char *conditions;
    const char *affiliation; /* value of the AffiliationAndRole Visa */
    int granted;
};

static void t_passport_conditions(void)
{
    static const struct cond_case cases[] = {
        {"[[{\"type\":\"AffiliationAndRole\",\"value\":\"const:faculty@example.org\",\"by\":"
         "\"const:so\"}]]",
         "faculty@example.org", 1},
        {"[[{\"type\":\"AffiliationAndRole\",\"value\":\"const:faculty@example.org\"}]]",
         "student@example.org", 0},
        {"[[{\"type\":\"AffiliationAndRole\",\"value\":\"pattern:faculty@*\"}]]",
         "faculty@other.org", 1},
        {"[[{\"type\":\"AffiliationAndRole\",\"value\":\"pattern:fac?lty@*.org\"}]]",
         "faculty@x.org", 1},
        {"[[{\"type\":\"AffiliationAndRole\",\"value\":\"pattern:fac?lty@*.org\"}]]",
         "faculty@x.com", 0},
        {"[[{\"type\":\"AffiliationAndRole\",\"value\":\"split_pattern:faculty@*\"}]]",
         "member@a.org;faculty@b.org", 1},
        {"[[{\"type\":\"AffiliationAndRole\",\"value\":\"pattern:faculty@*\"}]]",
         "member@a.org;faculty@b.org", 0},
        {"[[{\"type\":\"AffiliationAndRole\",\"value\":\"regex:.*\"}]]", "faculty@example.org", 0},
        {"[[{\"type\":\"AffiliationAndRole\",\"value\":\"faculty@example.org\"}]]",
         "faculty@example.org", 0},                                          /* no match type */
        {"[[{\"type\":\"AffiliationAndRole\"}]]", "faculty@example.org", 0}, /* type only */
        {"[[{\"value\":\"const:faculty@example.org\"}]]", "faculty@example.org", 0},
        {"[[{\"type\":\"AffiliationAndRole\",\"asserted\":\"const:1767225600\"}]]",
         "faculty@example.org", 0},
        {"[[{\"type\":\"AffiliationAndRole\",\"by\":\"const:system\"}]]", "faculty@example.org", 0},
        {"[[]]", "faculty@example.org", 0},
        /* OR: the first branch fails, the second holds */
        {"[[{\"type\":\"AffiliationAndRole\",\"value\":\"const:x@y\"}],"
         "[{\"type\":\"ResearcherStatus\",\"value\":\"const:" RA_URL "\"}]]",
         "faculty@example.org", 1},
        /* AND: both must hold */
        {"[[{\"type\":\"AffiliationAndRole\",\"value\":\"pattern:*\"},"
         "{\"type\":\"ResearcherStatus\",\"value\":\"const:nope\"}]]",
         "faculty@example.org", 0},
        /* a clause matched only by a conditioned Visa (the grant itself) does not count */
        {"[[{\"type\":\"ControlledAccessGrants\",\"value\":\"pattern:*\"}]]", "faculty@example.org",
         0},
    };
    struct passport_trust *t = fixture_trust();
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    struct signer dac = signer_file(FIX "dac-private-TESTONLY.pem", "dac-key-1");

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct vspec g = {DAC,
                          "user-0001",
                          "ControlledAccessGrants",
                          DATASETS "DS-0002",
                          "dac",
                          cases[i].conditions,
                          0};
        struct vspec a = {
            BROKER, "user-0001", "AffiliationAndRole", cases[i].affiliation, "so", NULL, 0};
        struct vspec rs = {BROKER, "user-0001", "ResearcherStatus", RA_URL, "so", NULL, 0};
        char *v[3] = {visa(&dac, &g), visa(&broker, &a), visa(&broker, &rs)};
        char *p = passport(&broker, BROKER, v, 3);
        struct passport_result *r = verify_ok(t, p);
        if (passport_has_dataset(r, "DS-0002") != cases[i].granted) {
            TEST_FAIL_("case %zu (%s vs %s): granted %d", i, cases[i].conditions,
                       cases[i].affiliation, !cases[i].granted);
        }
        if (!cases[i].granted) expect_rejected(r, 0, "conditions not met");
        passport_result_free(r);
        gn_free(p);
        free_all(v, 3);
    }
    gn_free(broker.key);
    gn_free(dac.key);
    passport_trust_free(t);
}

/* The affiliation a condition relies on must itself be valid. */
static void t_passport_conditions_need_valid_visas(void)
{
    struct passport_trust *t = fixture_trust();
    struct signer broker = signer_file(FIX "broker-private-TESTONLY.pem", "broker-key-1");
    struct vspec a_exp = {BROKER, "user-0001", "AffiliationAndRole", "faculty@example.org", "so",
                          NULL,   NOW - 1};
    struct vspec a_other = {
        BROKER, "someone-else", "AffiliationAndRole", "faculty@example.org", "so", NULL, 0};
    char *v[3] = {fixture_visa("grantDS2_conditional"), visa(&broker, &a_exp),
                  visa(&broker, &a_other)};
    char *p = passport(&broker, BROKER, v, 3);
    struct passport_result *r = verify_ok(t, p);

    ASSERT_EQ_INT(passport_has_dataset(r, "DS-0002"), 0);
    expect_rejected(r, 0, "conditions not met");
    expect_rejected(r, 1, "expired");
    expect_rejected(r, 2, "subject mismatch");
    passport_result_free(r);
    gn_free(p);
    gn_free(v[0]);
    free_all(v + 1, 2);
    gn_free(broker.key);
    passport_trust_free(t);
}

/* ---- trust set ---------------------------------------------------------------------- */

static int add_jwks(struct passport_trust *t, const char *iss, const char *jwks)
{
    struct gn_err err = GN_ERR_INIT;
    return passport_trust_add_jwks(t, iss, PASSPORT_ROLE_VISA, jwks, strlen(jwks), &err);
}

static void t_passport_trust_errors(void)
{
    struct passport_trust *t = NULL;
    struct gn_err err = GN_ERR_INIT;
    char *broker = slurp(FIX "broker-jwks.json", NULL);
    static const struct {
        const char *jwks;
        int code;
    } cases[] = {
        {"not json", GN_EPARSE},
        {"{}", GN_EPARSE},
        {"{\"keys\":[]}", GN_EPARSE},
        /* a secret key has no business in a JWKS */
        {"{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\",\"kid\":\"x\"}]}", GN_EINVAL},
        /* nothing usable: unsupported kty, use enc, another alg */
        {"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\",\"kid\":\"x\"}]}",
         GN_EPARSE},
        {"{\"keys\":[{\"kty\":\"RSA\",\"use\":\"enc\",\"kid\":\"e\"},"
         "{\"kty\":\"RSA\",\"alg\":\"RS512\",\"kid\":\"r\"}]}",
         GN_EPARSE},
        /* malformed supported keys */
        {"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\",\"kid\":\"x\"}"
         "]}",
         GN_EPARSE},
        {"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"kid\":\"x\"}]}", GN_EPARSE},
        {"{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\"}]}", GN_EPARSE},
    };

    ASSERT_OK(passport_trust_new(&t, &err));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = add_jwks(t, BROKER, cases[i].jwks);
        if (rc != cases[i].code) TEST_FAIL_("case %zu: %d != %d", i, rc, cases[i].code);
    }
    ASSERT_OK(add_jwks(t, BROKER, broker));
    ASSERT_EQ_INT(add_jwks(t, BROKER, broker), GN_EEXIST);
    ASSERT_EQ_INT(passport_trust_add_jwks(t, "b", 0, broker, strlen(broker), &err), GN_EINVAL);
    ASSERT_EQ_INT(passport_trust_add_jwks(t, "b", 8, broker, strlen(broker), &err), GN_EINVAL);
    ASSERT_TRUE(passport_trust_add_jwks_file(t, "c", PASSPORT_ROLE_VISA, FIX "missing.json", &err) <
                0);
    ASSERT_EQ_INT(passport_has_dataset(NULL, "DS-0001"), 0);
    passport_result_free(NULL);
    passport_trust_free(NULL);
    passport_trust_free(t);
    gn_free(broker);
}

/* add_jwks() of the broker JWKS with its key changed by edit (a JSON object merged in,
 * stolen), and listed twice when twin is set. */
static int add_edited_key(struct passport_trust *t, json_t *edit, int twin)
{
    json_t *doc = json_load_file(FIX "broker-jwks.json", 0, NULL);
    json_t *keys = json_object_get(doc, "keys");
    char *s;
    int rc;

    ASSERT_TRUE(doc != NULL);
    json_object_update(json_array_get(keys, 0), edit);
    json_decref(edit);
    if (twin) json_array_append(keys, json_array_get(keys, 0));
    s = json_dumps(doc, 0);
    rc = add_jwks(t, "a", s);
    free(s);
    json_decref(doc);
    return rc;
}

static void t_passport_trust_keys(void)
{
    struct passport_trust *t = NULL;
    struct gn_err err = GN_ERR_INIT;
    EVP_PKEY *weak = EVP_RSA_gen(1024);
    BIGNUM *n = NULL;
    unsigned char nb[128];
    char *ns;

    ASSERT_OK(passport_trust_new(&t, &err));
    ASSERT_EQ_INT(add_edited_key(t, json_object(), 1), GN_EPARSE); /* the same kid twice */
    /* a private RSA member */
    ASSERT_EQ_INT(add_edited_key(t, json_pack("{s:s}", "d", "AQAB"), 0), GN_EINVAL);
    /* a 1024-bit RSA key is refused */
    ASSERT_TRUE(weak != NULL);
    ASSERT_EQ_INT(EVP_PKEY_get_bn_param(weak, OSSL_PKEY_PARAM_RSA_N, &n), 1);
    ASSERT_EQ_INT(BN_bn2binpad(n, nb, sizeof nb), (int)sizeof nb);
    ns = b64url(nb, sizeof nb);
    ASSERT_EQ_INT(add_edited_key(t, json_pack("{s:s}", "n", ns), 0), GN_EPARSE);
    ASSERT_OK(add_edited_key(t, json_object(), 0)); /* and unedited it is fine */
    passport_trust_free(t);
    gn_free(ns);
    BN_free(n);
    EVP_PKEY_free(weak);
}

static void t_passport_reason_strings(void)
{
    ASSERT_EQ_STR(passport_reason_str(PASSPORT_R_EXPIRED), "expired");
    ASSERT_EQ_STR(passport_reason_str(PASSPORT_R_UNTRUSTED_ISSUER), "untrusted issuer");
    ASSERT_EQ_STR(passport_reason_str(PASSPORT_R_BAD_SIGNATURE), "bad signature");
    ASSERT_EQ_STR(passport_reason_str(PASSPORT_R_KID_NOT_FOUND), "kid not found");
    ASSERT_EQ_STR(passport_reason_str(PASSPORT_R_SUBJECT_MISMATCH), "subject mismatch");
    ASSERT_EQ_STR(passport_reason_str((enum passport_reason)999), "unknown");
}

const struct test_case test_passport_cases[] = {
    {"passport_fixture", t_passport_fixture},
    {"passport_fixture_details", t_passport_fixture_details},
    {"passport_fixture_subsets", t_passport_fixture_subsets},
    {"passport_expired", t_passport_expired},
    {"passport_tampered", t_passport_tampered},
    {"passport_tampered_visa", t_passport_tampered_visa},
    {"passport_alg_none", t_passport_alg_none},
    {"passport_hs256_confusion", t_passport_hs256_confusion},
    {"passport_es256", t_passport_es256},
    {"passport_spoofed_kid", t_passport_spoofed_kid},
    {"passport_issuer_and_kid", t_passport_issuer_and_kid},
    {"passport_garbage", t_passport_garbage},
    {"passport_size_and_args", t_passport_size_and_args},
    {"passport_whitespace", t_passport_whitespace},
    {"passport_claims", t_passport_claims},
    {"passport_audience", t_passport_audience},
    {"passport_header", t_passport_header},
    {"passport_embedded_jwk", t_passport_embedded_jwk},
    {"passport_visa_typ", t_passport_visa_typ},
    {"passport_limits", t_passport_limits},
    {"passport_visa_objects", t_passport_visa_objects},
    {"passport_linked_identities", t_passport_linked_identities},
    {"passport_conditions", t_passport_conditions},
    {"passport_conditions_need_valid_visas", t_passport_conditions_need_valid_visas},
    {"passport_trust_errors", t_passport_trust_errors},
    {"passport_trust_keys", t_passport_trust_keys},
    {"passport_reason_strings", t_passport_reason_strings},
    {NULL, NULL},
};
