/*
 * pseudonym.c — HMAC-SHA256 pseudonyms (libsodium), key generation and loading.
 *
 * The domain string is part of the MAC input, separated by a NUL, so a sample ID and
 * a national ID that happen to be equal never get the same pseudonym.
 */
#include "pseudonym.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

int pseudonym_keygen(const char *path, struct gn_err *err)
{
    unsigned char key[PSEUDONYM_KEY_BYTES];
    int fd, rc;

    if (sodium_init() < 0) return gn_errf(err, GN_EINTERNAL, "libsodium failed to initialise");
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return gn_errf(err, gn_err_from_errno(errno), "%s: %s", path, strerror(errno));
    randombytes_buf(key, sizeof key);
    rc = fsutil_write_full(fd, key, sizeof key, path, err);
    if (rc == GN_OK && fsync(fd) < 0) rc = gn_errf(err, GN_EIO, "%s: fsync failed", path);
    sodium_memzero(key, sizeof key);
    close(fd);
    if (rc < 0) unlink(path);
    return rc;
}

int pseudonym_load(struct pseudonym *ps, const char *path, struct gn_err *err)
{
    struct stat st;
    int fd, rc;

    if (sodium_init() < 0) return gn_errf(err, GN_EINTERNAL, "libsodium failed to initialise");
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return gn_errf(err, gn_err_from_errno(errno), "pseudonym key %s: %s", path,
                       strerror(errno));
    }
    if (fstat(fd, &st) < 0 || (st.st_mode & 077)) {
        close(fd);
        return gn_errf(err, GN_EDENIED, "pseudonym key %s must have mode 0600", path);
    }
    if (st.st_size != PSEUDONYM_KEY_BYTES) {
        close(fd);
        return gn_errf(err, GN_ECORRUPT, "pseudonym key %s: expected %d bytes", path,
                       PSEUDONYM_KEY_BYTES);
    }
    rc = fsutil_pread_full(fd, ps->key, sizeof ps->key, 0, path, err);
    close(fd);
    return rc;
}

static void hmac(const unsigned char key[PSEUDONYM_KEY_BYTES], const char *dom, const char *id,
                 size_t n, unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, PSEUDONYM_KEY_BYTES);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)dom, strlen(dom) + 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)id, n);
    crypto_auth_hmacsha256_final(&st, mac);
}

void pseudonym_of(const struct pseudonym *ps, const char *dom, const char *id, size_t n,
                  char out[PSEUDONYM_LEN + 1])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    hmac(ps->key, dom, id, n, mac);
    out[0] = 'g';
    out[1] = 'n';
    sodium_bin2hex(out + 2, PSEUDONYM_LEN - 1, mac, (PSEUDONYM_LEN - 2) / 2);
    sodium_memzero(mac, sizeof mac);
}

_Static_assert(sizeof(crypto_auth_hmacsha256_state) <= sizeof(((struct pseudonym_batch *)0)->st),
               "pseudonym_batch too small for libsodium's HMAC state");

void pseudonym_batch_init(const struct pseudonym *ps, const char *dom, struct pseudonym_batch *b)
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, ps->key, PSEUDONYM_KEY_BYTES);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)dom, strlen(dom) + 1);
    memcpy(b->st, &st, sizeof st);
    sodium_memzero(&st, sizeof st);
}

void pseudonym_batch_of(const struct pseudonym_batch *b, const char *id, size_t n,
                        char out[PSEUDONYM_LEN + 1])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    memcpy(&st, b->st, sizeof st); /* the state is plain data: copying it forks the MAC */
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)id, n);
    crypto_auth_hmacsha256_final(&st, mac);
    out[0] = 'g';
    out[1] = 'n';
    sodium_bin2hex(out + 2, PSEUDONYM_LEN - 1, mac, (PSEUDONYM_LEN - 2) / 2);
    sodium_memzero(mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
}

void pseudonym_batch_wipe(struct pseudonym_batch *b)
{
    if (b) sodium_memzero(b->st, sizeof b->st);
}

void pseudonym_derive(const struct pseudonym *ps, const char *project, struct pseudonym *out)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    hmac(ps->key, "project-key", project, strlen(project), mac);
    memcpy(out->key, mac, PSEUDONYM_KEY_BYTES);
    sodium_memzero(mac, sizeof mac);
}

void pseudonym_wipe(struct pseudonym *ps)
{
    if (ps) sodium_memzero(ps->key, sizeof ps->key);
}
