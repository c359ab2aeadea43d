/*
 * pseudonym.h — keyed-HMAC pseudonyms for sample and national identifiers.
 *
 * Identifiers never reach disk in clear: every sample ID is replaced at ingest by
 * HMAC-SHA256(key, "sample\0" || id), truncated to 96 bits and written as "gn" + 24 hex
 * digits. The 32-byte key lives in its own file (mode 0600), which an operator may keep
 * on separate storage. Without the key a pseudonym cannot be reversed or recomputed;
 * with it, a steward can recompute one from a known ID (never the other way).
 *
 * Per-project pseudonyms come from a key derived for the project, so two projects'
 * exports cannot be linked.
 *
 * Thread safety: a struct pseudonym is immutable after pseudonym_load(); share freely.
 */
#ifndef GN_PSEUDONYM_H
#define GN_PSEUDONYM_H

#include <stddef.h>

#include "err.h"

#define PSEUDONYM_KEY_BYTES 32
#define PSEUDONYM_LEN       26 /* "gn" + 24 hex digits, without the NUL */

struct pseudonym {
    unsigned char key[PSEUDONYM_KEY_BYTES];
};

/* Creates a new random key file at path with mode 0600; GN_EEXIST if present. */
GN_MUST_CHECK int pseudonym_keygen(const char *path, struct gn_err *err);
/* Loads the key; refuses a key file readable by group or others (GN_EDENIED). */
GN_MUST_CHECK int pseudonym_load(struct pseudonym *ps, const char *path, struct gn_err *err);
/* Writes the pseudonym of the n bytes at id, in domain dom ("sample", "person"), into out
 * (PSEUDONYM_LEN + 1 bytes). */
void pseudonym_of(const struct pseudonym *ps, const char *dom, const char *id, size_t n,
                  char out[PSEUDONYM_LEN + 1]);
/* HMAC state with the key and the domain already absorbed, for computing many
 * pseudonyms of one domain: the two key-block compressions are done once, not per ID
 * (a 30,000-sample cohort file spends half its HMAC time there otherwise). Holds key
 * material: wipe with pseudonym_batch_wipe. */
struct pseudonym_batch {
    unsigned char st[512]; /* a crypto_auth_hmacsha256_state (checked in pseudonym.c) */
};
void pseudonym_batch_init(const struct pseudonym *ps, const char *dom, struct pseudonym_batch *b);
/* As pseudonym_of in the batch's domain. */
void pseudonym_batch_of(const struct pseudonym_batch *b, const char *id, size_t n,
                        char out[PSEUDONYM_LEN + 1]);
void pseudonym_batch_wipe(struct pseudonym_batch *b);
/* Derives the key of a project's pseudonym space into out. */
void pseudonym_derive(const struct pseudonym *ps, const char *project, struct pseudonym *out);
/* Wipes the key from memory. */
void pseudonym_wipe(struct pseudonym *ps);

#endif
