/*
 * natid.h — national identity number formats: validation and normalisation.
 *
 * Formats are pluggable. A format is a name and a validate function; the built-in ones
 * sit in a table looked up by name (natid_format_find), and a caller may equally pass a
 * struct natid_format of its own to anything that takes one (samplesheet does). To add a
 * country, write its validate function and add a row to the table in natid.c.
 *
 * Built-in formats:
 *   "cpr"     Danish CPR number, DDMMYY-SSSS or DDMMYYSSSS, normalised to 10 digits.
 *             The birth date must exist, with the century taken from the 7th digit as
 *             the CPR office defines it:
 *               7th digit 0-3   19YY
 *               7th digit 4, 9  20YY when YY <= 36, else 19YY
 *               7th digit 5-8   20YY when YY <= 57, else 18YY
 *             The modulus-11 check is NOT required (numbers failing it have been issued
 *             since 2007); natid_cpr_mod11_ok() offers it separately.
 *   "opaque"  1..64 printable, non-space ASCII characters, kept as they are. For testing
 *             and for countries without a format of their own yet.
 *
 * Privacy: national IDs must never reach disk or logs. Error messages written by the
 * validators never contain the ID or any of its characters; they give the field or the
 * 1-based character position and what is wrong, and they carry no subject ("day 32 out
 * of range"): callers prefix their own context ("sheet.tsv:7: field 'national_id': ").
 * A date that fails the calendar check is named in the message ("29 February 2001 does
 * not exist"); a date that does not exist is not anyone's birth date.
 *
 * Thread safety: pure functions over immutable tables; safe from any thread.
 */
#ifndef GN_NATID_H
#define GN_NATID_H

#include <stddef.h>

#include "err.h"

/* Longest ID, in bytes, that any built-in format accepts, and the size of a buffer that
 * holds any normalised ID with its NUL. Custom formats should keep within it. */
#define NATID_MAX_LEN  64
#define NATID_NORM_MAX (NATID_MAX_LEN + 1)

/*
 * A national ID format.
 *
 * validate() checks the n bytes at s (borrowed, not NUL-terminated, untrusted) and on
 * success writes the normalised ID, NUL-terminated, into norm (normsz bytes; the caller
 * owns it) and returns GN_OK. On failure it returns GN_EPARSE with the reason in err
 * (which may be NULL), never mentioning the ID's characters, and leaves norm untouched;
 * GN_EINVAL when normsz is too small (NATID_NORM_MAX always suffices).
 */
struct natid_format {
    const char *name;
    int (*validate)(const char *s, size_t n, char *norm, size_t normsz, struct gn_err *err);
};

/* The built-in format called name (ASCII case-insensitive), or NULL when there is none.
 * The returned pointer is static. */
const struct natid_format *natid_format_find(const char *name);

/* The i-th built-in format (i from 0), or NULL past the end; for listing them. */
const struct natid_format *natid_format_at(size_t i);

/* The validate functions of the built-in formats, as described above. */
GN_MUST_CHECK int natid_cpr_validate(const char *s, size_t n, char *norm, size_t normsz,
                                     struct gn_err *err);
GN_MUST_CHECK int natid_opaque_validate(const char *s, size_t n, char *norm, size_t normsz,
                                        struct gn_err *err);

/* Whether the n bytes at s are a CPR number (either form; the date is not checked here)
 * whose weighted digit sum (weights 4 3 2 7 6 5 4 3 2 1) is divisible by 11. Returns 1 or
 * 0, and 0 for anything that is not 10 digits with an optional '-' after the 6th. */
GN_MUST_CHECK int natid_cpr_mod11_ok(const char *s, size_t n);

/* Decodes the birth date of a CPR number (either form) into *year (four digits, century
 * applied), *month (1..12) and *day (1..31). GN_EPARSE, with the reason in err, when s is
 * not a valid CPR number; the outputs are then untouched. */
GN_MUST_CHECK int natid_cpr_birth_date(const char *s, size_t n, int *year, int *month, int *day,
                                       struct gn_err *err);

#endif
