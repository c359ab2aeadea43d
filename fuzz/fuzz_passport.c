/*
 * fuzz_passport.c — the GA4GH Passport verifier on arbitrary bytes, as a Passport JWS,
 * against the trust set of testdata/passport/ (broker and DAC JWKS compiled in, so the
 * binary needs no files) at a fixed time inside the fixtures' validity.
 */
#include <string.h>

#include "passport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW ((int64_t)1796083200) /* 2026-12-01T00:00:00Z */

static const char broker_jwks[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"2GeEN64-L9X827i5QdJcnums1obQRDZQPnaGtRcL6MLe6Y9KrcP4s"
    "Fk6lEVU9EEKIX4Z_w2LMMQ9KbZKRFcypIqSl4WOZ6D0EA6LzonjK1KJuK5_qDklfqVFnAvsqrKwLQyfM"
    "CMbrbAK4FcFdQPd--l5qRhrsDWJpQfmNarqcaj9Ezyau2lXBTqBBNXQQBeBt8ofn7uGkO-1tJXLAS5Y-"
    "m6EeWOPHC13HCONQnLiViuXhe6WF8FKaN4DLCjpiCDeWYyErQpOM3aJSf49ZZb_heXkYpfiGd7VaBbqF"
    "D9c-bzNqDJj7kIffxDmT7mzBwKcHnnn4zXZJo4ad7dK3fBS5Q\",\"e\":\"AQAB\",\"kid\":\"broker-key-"
    "1\",\"alg\":\"RS256\",\"use\":\"sig\"}]}";

static const char dac_jwks[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"w_Hh_1OK85uKNBVx6ymh8gugbi74JxVN9i-N1CXNo4EWihDskGrR1"
    "vJ1wCpf197eqrkNa7ZhX1fa5HawgQN7O6lX3aysZuON3NC1626hWTZ57pxWHdA2k72N7490qzUw22YEE"
    "Jhv0dwlxIs6VnkuCEsHnIebTupFLFppu1jTtj4LHO3gGdqUQBdR8TG2_9fLCKTiUA4NzfNA101jvhyt7"
    "lJiD2feeW6n8OCXzYt4cB0ndQKek6vqRaEEXYgB7IuSon0EXmpjofChzaTx5AKdJoGB7sOLB741T2yEk"
    "ZjT75CPyw3LJBGYNBKrtbRUwhsjQHp7b1Ha0NcMPKQ6eQ00KQ\",\"e\":\"AQAB\",\"kid\":\"dac-key-1\","
    "\"alg\":\"RS256\",\"use\":\"sig\"}]}";

/* Built once and kept for the life of the process (immutable, as in a server). */
static struct passport_trust *trust(void)
{
    static struct passport_trust *t;
    struct gn_err err = GN_ERR_INIT;

    if (t) return t;
    if (passport_trust_new(&t, &err) < 0 ||
        passport_trust_add_jwks(t, "http://127.0.0.1:8089/broker/",
                                PASSPORT_ROLE_BROKER | PASSPORT_ROLE_VISA, broker_jwks,
                                sizeof broker_jwks - 1, &err) < 0 ||
        passport_trust_add_jwks(t, "http://127.0.0.1:8089/dac/", PASSPORT_ROLE_VISA, dac_jwks,
                                sizeof dac_jwks - 1, &err) < 0 ||
        passport_trust_set_dataset_prefix(t, "https://node.example.org/datasets/", &err) < 0) {
        passport_trust_free(t);
        t = NULL;
    }
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct passport_trust *t = trust();
    struct passport_result *r = NULL;
    struct gn_err err = GN_ERR_INIT;

    if (!t) return 0;
    if (passport_verify(t, (const char *)data, size, FUZZ_NOW, &r, &err) == GN_OK) {
        /* touch everything the result owns */
        size_t n = strlen(r->subject) + strlen(r->issuer);
        for (size_t i = 0; i < r->n_grants; i++) {
            n += strlen(r->grants[i].dataset);
        }
        for (size_t i = 0; i < r->n_rejected; i++) {
            n += strlen(r->rejected[i].reason);
        }
        (void)n;
        (void)passport_has_dataset(r, "DS-0001");
        passport_result_free(r);
    }
    return 0;
}
