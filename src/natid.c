/*
 * natid.c — national identity number formats (see natid.h for the rules).
 *
 * Design: each format is one validate function over (ptr, len) that never reads past
 * the length and never relies on a NUL. The CPR code first extracts the ten digits into
 * a small local array (accepting the hyphen only after the 6th), then checks the date;
 * the array is wiped before returning, so the digits do not outlive the call on the
 * stack. Normalised output is written only after every check has passed.
 *
 * Error messages deliberately carry positions, field names and invalid date parts but
 * never the ID's characters (privacy: IDs must not reach logs).
 */
#include "natid.h"

#include <sodium.h>
#include <string.h>

#define CPR_DIGITS 10

static const struct natid_format formats[] = {
    {"cpr", natid_cpr_validate},
    {"opaque", natid_opaque_validate},
};

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int name_eq_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b)) return 0;
    }
    return *a == *b;
}

const struct natid_format *natid_format_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (name_eq_nocase(formats[i].name, name)) return &formats[i];
    }
    return NULL;
}

const struct natid_format *natid_format_at(size_t i)
{
    return i < sizeof formats / sizeof formats[0] ? &formats[i] : NULL;
}

/* Copies the ten digit values of a CPR number in either form into d. On failure sets err
 * to a reason naming a position or the length, never a character. */
static int cpr_digits(const char *s, size_t n, unsigned char d[CPR_DIGITS], struct gn_err *err)
{
    size_t k = 0;

    if (n != CPR_DIGITS && n != CPR_DIGITS + 1) {
        return gn_errf(err, GN_EPARSE,
                       "expected 10 digits (DDMMYYSSSS or DDMMYY-SSSS), got %zu characters", n);
    }
    if (n == CPR_DIGITS + 1 && s[6] != '-') {
        return gn_errf(err, GN_EPARSE, "11 characters but no '-' at position 7");
    }
    for (size_t i = 0; i < n; i++) {
        if (n == CPR_DIGITS + 1 && i == 6) continue;
        if (s[i] < '0' || s[i] > '9') {
            return gn_errf(err, GN_EPARSE, "character %zu is not a digit", i + 1);
        }
        d[k++] = (unsigned char)(s[i] - '0');
    }
    return GN_OK;
}

/* The CPR office's century rule: the 7th digit together with the two-digit year. */
static int cpr_year(int yy, int d7)
{
    if (d7 <= 3) return 1900 + yy;
    if (d7 == 4 || d7 == 9) return yy <= 36 ? 2000 + yy : 1900 + yy;
    return yy <= 57 ? 2000 + yy : 1800 + yy;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static const char *const month_names[12] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December",
};

/* Checks the date held in the digits; fills the outputs only on success. */
static int cpr_date(const unsigned char d[CPR_DIGITS], int *year, int *month, int *day,
                    struct gn_err *err)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int dd = d[0] * 10 + d[1], mm = d[2] * 10 + d[3], yy = d[4] * 10 + d[5];
    int y = cpr_year(yy, d[6]);

    if (mm < 1 || mm > 12) return gn_errf(err, GN_EPARSE, "month %d out of range", mm);
    if (dd < 1 || dd > 31) return gn_errf(err, GN_EPARSE, "day %d out of range", dd);
    if (dd > mdays[mm - 1] + (mm == 2 && is_leap(y))) {
        return gn_errf(err, GN_EPARSE, "%d %s %d does not exist", dd, month_names[mm - 1], y);
    }
    *year = y;
    *month = mm;
    *day = dd;
    return GN_OK;
}

/* Extracts and date-checks a CPR number; the digit copy never outlives the call. */
static int cpr_check(const char *s, size_t n, unsigned char d[CPR_DIGITS], int ymd[3],
                     struct gn_err *err)
{
    int rc = cpr_digits(s, n, d, err);
    if (rc == GN_OK) rc = cpr_date(d, &ymd[0], &ymd[1], &ymd[2], err);
    return rc;
}

int natid_cpr_validate(const char *s, size_t n, char *norm, size_t normsz, struct gn_err *err)
{
    unsigned char d[CPR_DIGITS];
    int ymd[3], rc;

    if (normsz < CPR_DIGITS + 1) {
        return gn_errf(err, GN_EINVAL, "normalisation buffer of %zu bytes is too small", normsz);
    }
    rc = cpr_check(s, n, d, ymd, err);
    if (rc == GN_OK) {
        for (size_t i = 0; i < CPR_DIGITS; i++) {
            norm[i] = (char)('0' + d[i]);
        }
        norm[CPR_DIGITS] = '\0';
    }
    sodium_memzero(d, sizeof d);
    return rc;
}

int natid_cpr_birth_date(const char *s, size_t n, int *year, int *month, int *day,
                         struct gn_err *err)
{
    unsigned char d[CPR_DIGITS] = {0};
    int ymd[3] = {0, 0, 0};
    int rc = cpr_check(s, n, d, ymd, err);

    sodium_memzero(d, sizeof d);
    if (rc < 0) return rc;
    *year = ymd[0];
    *month = ymd[1];
    *day = ymd[2];
    return GN_OK;
}

int natid_cpr_mod11_ok(const char *s, size_t n)
{
    static const int weights[CPR_DIGITS] = {4, 3, 2, 7, 6, 5, 4, 3, 2, 1};
    unsigned char d[CPR_DIGITS] = {0};
    int sum = 0;

    if (cpr_digits(s, n, d, NULL) < 0) return 0;
    for (size_t i = 0; i < CPR_DIGITS; i++) {
        sum += weights[i] * d[i];
    }
    sodium_memzero(d, sizeof d);
    return sum % 11 == 0;
}

int natid_opaque_validate(const char *s, size_t n, char *norm, size_t normsz, struct gn_err *err)
{
    if (n == 0) return gn_errf(err, GN_EPARSE, "empty");
    if (n > NATID_MAX_LEN) {
        return gn_errf(err, GN_EPARSE, "longer than %d characters", NATID_MAX_LEN);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c > '~') {
            return gn_errf(err, GN_EPARSE,
                           "character %zu is not a printable non-space ASCII character", i + 1);
        }
    }
    if (normsz < n + 1) {
        return gn_errf(err, GN_EINVAL, "normalisation buffer of %zu bytes is too small", normsz);
    }
    memcpy(norm, s, n);
    norm[n] = '\0';
    return GN_OK;
}
