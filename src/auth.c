/*
 * auth.c — API tokens and the operator identity (auth.h).
 */
#include "auth.h"

#include <stdlib.h>

#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "passport.h"
#include "strparse.h"

static void sha256_hex(const char *s, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
    sodium_bin2hex(out, 65, h, sizeof h);
}

int auth_token_create(struct catalog *c, int64_t user, const char *label, const char *expires,
                      char out[AUTH_TOKEN_LEN + 1], int64_t *id, struct gn_err *err)
{
    unsigned char rnd[32];
    char hash[65];
    int rc;

    if (expires && strparse_date(expires, strlen(expires)) < 0) {
        return gn_errf(err, GN_EINVAL, "token expiry '%.40s' is not a date (YYYY-MM-DD)", expires);
    }
    if (sodium_init() < 0) return gn_errf(err, GN_EINTERNAL, "libsodium failed to initialise");
    randombytes_buf(rnd, sizeof rnd);
    memcpy(out, "gnt_", sizeof "gnt_"); /* its NUL is overwritten by the hex digits */
    sodium_bin2hex(out + 4, AUTH_TOKEN_LEN - 3, rnd, sizeof rnd);
    sodium_memzero(rnd, sizeof rnd);
    sha256_hex(out, hash);
    rc = catalog_token_add(c, user, hash, label, expires, id, err);
    if (rc < 0) sodium_memzero(out, AUTH_TOKEN_LEN + 1);
    return rc;
}

static int refuse(struct catalog *c, const struct pseudonym *key, const char *who, const char *role,
                  const char *hash, const char *reason, struct gn_err *err)
{
    struct policy_caller pc = {who, role, 0, NULL};
    char detail[160];
    int rc;
    (void)snprintf(detail, sizeof detail, "%s (token hash %.8s...)", reason,
                   hash); /* fixed reasons */
    rc = policy_audit(c, key, &pc, "", "auth.token", "denied", detail, NULL, NULL);
    if (rc < 0) {
        return gn_errf(err, rc, "token refused: %s (and the refusal could not be audited)", reason);
    }
    return gn_errf(err, GN_EDENIED, "token refused: %s", reason);
}

/* Whether a stored token expiry has passed at now ("YYYY-MM-DDTHH:MM:SSZ", UTC): 1 yes, 0 no,
 * -1 when it is unreadable. An expiry is a date, the token's last valid day in UTC (what
 * token create accepts), or an exact UTC time of the same form as now, which earlier
 * versions stored as given; both compare as strings in time order. Anything else ("never",
 * "31.12.2020") cannot be compared, and a token whose expiry cannot be read is refused
 * rather than left to never expire. */
static int token_expired(const char *expires, const char *now)
{
    size_t n = strlen(expires);
    if (strparse_date(expires, n < 10 ? n : 10) < 0) return -1;
    if (n == 10) return strncmp(now, expires, 10) > 0;
    if (n != 20 || expires[10] != 'T' || expires[13] != ':' || expires[16] != ':' ||
        expires[19] != 'Z') {
        return -1;
    }
    for (int i = 11; i < 19; i += 3) {
        int hi = expires[i] - '0', lo = expires[i + 1] - '0';
        if (hi < 0 || hi > 9 || lo < 0 || lo > 9 || hi * 10 + lo > (i == 11 ? 23 : 59)) return -1;
    }
    return strcmp(now, expires) > 0;
}

int auth_token_check(struct catalog *c, const struct pseudonym *key, const char *token,
                     struct auth_caller *out, struct gn_err *err)
{
    struct catalog_token t;
    char hash[65], now[32];
    time_t tt = time(NULL);
    struct tm tm;
    int rc;

    memset(out, 0, sizeof *out);
    if (sodium_init() < 0) return gn_errf(err, GN_EINTERNAL, "libsodium failed to initialise");
    sha256_hex(token, hash);
    if (strlen(token) != AUTH_TOKEN_LEN || strncmp(token, "gnt_", 4) != 0) {
        return refuse(c, key, "unknown", "", hash, "malformed token", err);
    }
    rc = catalog_token_find(c, hash, &t, NULL);
    if (rc == GN_ENOTFOUND) return refuse(c, key, "unknown", "", hash, "unknown token", err);
    if (rc < 0) return gn_errf(err, rc, "cannot look the token up");
    if ((rc = catalog_user_get_id(c, t.user, &out->user, err)) < 0) return rc;
    (void)snprintf(out->name, sizeof out->name, "%s", out->user.name); /* same size */
    if (t.revoked) return refuse(c, key, out->name, out->user.role, hash, "token revoked", err);
    gmtime_r(&tt, &tm);
    (void)strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm); /* 21 bytes of 32 */
    if (t.expires[0] && (rc = token_expired(t.expires, now)) != 0) {
        return refuse(c, key, out->name, out->user.role, hash,
                      rc < 0 ? "token expiry is not a valid date" : "token expired", err);
    }
    if (out->user.disabled) {
        return refuse(c, key, out->name, out->user.role, hash, "user disabled", err);
    }
    out->caller.name = out->name;
    out->caller.role = out->user.role;
    out->caller.user_id = out->user.id;
    return GN_OK;
}

void auth_operator(struct auth_caller *out)
{
    struct passwd pw, *res = NULL;
    char buf[1024];
    const char *login = "unknown";
    memset(out, 0, sizeof *out);
    if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res) login = res->pw_name;
    /* A login too long for the name is cut: the name only labels audit entries. */
    (void)snprintf(out->name, sizeof out->name, "local:%s", login);
    (void)snprintf(out->user.role, sizeof out->user.role, "steward");
    out->caller.name = out->name;
    out->caller.role = out->user.role;
}

/* Writes the settings key "passport.<what>:<iss>"; a cut key could name another issuer's
 * settings, so one that does not fit is an error. */
static int issuer_key(char *key, size_t cap, const char *what, const char *iss, struct gn_err *err)
{
    int n = snprintf(key, cap, "passport.%s:%s", what, iss);
    if (n < 0 || (size_t)n >= cap) {
        return gn_errf(err, GN_ELIMIT, "passport: trusted issuer name too long");
    }
    return GN_OK;
}

int auth_trust_load(struct catalog *c, struct passport_trust **out, struct gn_err *err)
{
    char *list = NULL, *jwks = NULL, key[600], roles[16];
    int rc;
    const size_t cap = PASSPORT_MAX_JWKS_BYTES + 1;

    *out = NULL;
    if (!(list = gn_malloc(cap)) || !(jwks = gn_malloc(cap))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = passport_trust_new(out, err)) < 0) goto out;
    rc = catalog_setting_get(c, "passport.issuers", list, cap, NULL);
    if (rc == GN_ENOTFOUND) {
        rc = gn_errf(err, GN_EDENIED, "passport refused: this node trusts no issuer");
        goto out;
    }
    if (rc < 0) goto out;
    for (char *sp = NULL, *iss = strtok_r(list, "\n", &sp); iss; iss = strtok_r(NULL, "\n", &sp)) {
        if ((rc = issuer_key(key, sizeof key, "jwks", iss, err)) < 0 ||
            (rc = catalog_setting_get(c, key, jwks, cap, err)) < 0) {
            goto out;
        }
        if ((rc = issuer_key(key, sizeof key, "roles", iss, err)) < 0 ||
            (rc = catalog_setting_get(c, key, roles, sizeof roles, err)) < 0) {
            goto out;
        }
        int64_t r = 0;
        if (strparse_i64_all(roles, strlen(roles), &r) < 0 || r < 0 || r > 3) {
            rc =
                gn_errf(err, GN_ECORRUPT, "passport: stored roles of issuer '%s' are invalid", iss);
            goto out;
        }
        if ((rc = passport_trust_add_jwks(*out, iss, (unsigned)r, jwks, strlen(jwks), err)) < 0) {
            goto out;
        }
    }
    if (catalog_setting_get(c, "passport.dataset_prefix", key, sizeof key, NULL) == GN_OK &&
        (rc = passport_trust_set_dataset_prefix(*out, key, err)) < 0) {
        goto out;
    }
    /* Without it, a token naming an audience ("aud") is refused (passport.h). */
    rc = catalog_setting_get(c, "passport.audience", key, sizeof key, NULL);
    if (rc == GN_OK && (rc = passport_trust_set_audience(*out, key, err)) < 0) goto out;
    if (rc < 0 && rc != GN_ENOTFOUND) {
        rc = gn_errf(err, rc, "cannot read setting passport.audience");
        goto out;
    }
    rc = GN_OK;
out:
    gn_free(list);
    gn_free(jwks);
    if (rc < 0) {
        passport_trust_free(*out);
        *out = NULL;
    }
    return rc;
}

int auth_is_jws(const char *tok, size_t len)
{
    size_t dots = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)tok[i];
        if (ch == '.') {
            dots++;
        } else if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                     (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')) {
            return 0;
        }
    }
    return dots == 2;
}

int auth_passport_check(struct catalog *c, const struct pseudonym *key,
                        const struct passport_trust *t, const char *tok, size_t len, int64_t now,
                        struct auth_caller *out, struct passport_result **pp, struct gn_err *err)
{
    int rc;

    memset(out, 0, sizeof *out);
    *pp = NULL;
    while (len && (tok[len - 1] == '\n' || tok[len - 1] == '\r' || tok[len - 1] == ' ')) {
        len--;
    }
    while (len && (*tok == ' ' || *tok == '\n' || *tok == '\r')) {
        tok++;
        len--;
    }
    if (!t) {
        rc = gn_errf(err, GN_EDENIED, "passport refused: this node trusts no issuer");
    } else {
        rc = passport_verify(t, tok, len, now, pp, err);
    }
    if (rc < 0) {
        struct policy_caller pc = {"passport", "", 0, NULL};
        char detail[GN_ERR_MSG_MAX];
        (void)snprintf(detail, sizeof detail, "%s", err->msg);
        if (policy_audit(c, key, &pc, "", "auth.passport", "denied", detail, NULL, NULL) < 0) {
            return gn_errf(err, rc, "%s (and the refusal could not be audited)", detail);
        }
        return rc == GN_EDENIED ? rc : gn_errf(err, GN_EDENIED, "%s", detail);
    }
    /* The name labels audit entries only; a subject longer than it is cut there. */
    (void)snprintf(out->name, sizeof out->name, "passport:%s", (*pp)->subject);
    (void)snprintf(out->user.role, sizeof out->user.role, "researcher");
    out->caller.name = out->name;
    out->caller.role = out->user.role;
    out->caller.passport = *pp;
    return GN_OK;
}
