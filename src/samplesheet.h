/*
 * samplesheet.h — the sample manifest given to `genomenode ingest --manifest FILE`.
 *
 * A sample sheet is a tab-separated text file. The first line that is neither empty nor
 * a comment is the header; it names the columns, in any order, ASCII case-insensitive:
 *
 *   national_id     required  the person's national ID, checked and normalised by the
 *                             caller's struct natid_format (e.g. CPR 010100-1234 becomes
 *                             0101001234)
 *   sample_id       required  the sample's name in the VCF header; 1..256 printable ASCII
 *                             characters (inner spaces allowed, not at either end)
 *   sex             required  male, female, other or unknown (any case); also M and F,
 *                             and 1 (male) and 2 (female) as PLINK and ISO/IEC 5218 write
 *                             them. Nothing else, not even empty: write "unknown".
 *   dataset         required  name of the dataset the sample joins, 1..128 printable ASCII
 *                             characters; its existence is checked by the caller's
 *                             check_dataset callback
 *   consent         required  DUO consent term list as one string ("GRU", "HMB,NPU",
 *                             "clinical" = clinical use only, opted out of research),
 *                             1..256 printable ASCII characters; the terms are checked by
 *                             the caller's check_consent callback
 *   year_of_birth   optional  4 digits, 1880..the current year; an empty cell is unknown
 *   referral_group  optional  free UTF-8 text of at most 128 characters, no control
 *                             characters; may be empty
 *
 * Any other column name is an error, and so is a required column that is missing or a
 * column given twice. After the header every line is one sample with exactly as many
 * tab-separated fields as the header has columns. Fields are taken exactly as written
 * (no trimming, no quoting); only a trailing CR is stripped from each line, and a UTF-8
 * byte-order mark at the very start is skipped. Empty lines and lines starting with '#'
 * are skipped everywhere. Lines are numbered from 1 counting every physical line.
 *
 * Validation is all-or-nothing: the first bad line rejects the whole sheet, with a
 * message "NAME:LINE: field 'consent': <reason>" (or "NAME:LINE: expected 5 fields,
 * got 4", "NAME:LINE: header: ..."). The same national ID twice (after normalisation)
 * and the same sample_id twice are errors naming both lines.
 *
 * Privacy: national IDs must never reach disk or logs. Error messages never contain a
 * national ID, nor any field value of a data row (a misplaced column could hold one); a
 * header column name is quoted only when it is made of letters and '_' alone. The
 * normalised IDs live in memory of their own which samplesheet_wipe_ids() and
 * samplesheet_free() zero with sodium_memzero(). samplesheet_read() zeroes its copy of the
 * file; the bytes given to samplesheet_parse() are the caller's to wipe.
 *
 * Limits: a line is at most SAMPLESHEET_MAX_LINE bytes, a sheet at most
 * SAMPLESHEET_MAX_ROWS samples, a file at most SAMPLESHEET_MAX_BYTES; beyond them the
 * parse fails with GN_ELIMIT. Binary input, NUL bytes and a missing final newline are
 * handled like any other malformed or well-formed text.
 *
 * Thread safety: a parsed sheet is immutable and may be read from many threads;
 * samplesheet_wipe_ids() and samplesheet_free() need exclusive access. The callbacks run
 * on the parsing thread.
 */
#ifndef GN_SAMPLESHEET_H
#define GN_SAMPLESHEET_H

#include <stddef.h>

#include "err.h"
#include "natid.h"

#define SAMPLESHEET_MAX_LINE           65536             /* bytes, without the newline */
#define SAMPLESHEET_MAX_ROWS           10000000          /* samples per sheet */
#define SAMPLESHEET_MAX_BYTES          ((size_t)1 << 30) /* file size for samplesheet_read() */
#define SAMPLESHEET_MAX_SAMPLE_ID      256               /* bytes */
#define SAMPLESHEET_MAX_DATASET        128               /* bytes */
#define SAMPLESHEET_MAX_CONSENT        256               /* bytes */
#define SAMPLESHEET_MAX_REFERRAL_GROUP 128               /* UTF-8 characters */
#define SAMPLESHEET_MIN_YEAR           1880

enum samplesheet_sex {
    SAMPLESHEET_SEX_UNKNOWN = 0,
    SAMPLESHEET_SEX_MALE,
    SAMPLESHEET_SEX_FEMALE,
    SAMPLESHEET_SEX_OTHER,
};

/* One sample. The strings are NUL-terminated and borrowed from the sheet: they live until
 * samplesheet_free(). */
struct samplesheet_row {
    const char *national_id; /* normalised; "" after samplesheet_wipe_ids() */
    const char *sample_id;
    const char *dataset;
    const char *consent;        /* as written; the callback vouched for it */
    const char *referral_group; /* "" when the column is absent or the cell empty */
    enum samplesheet_sex sex;
    int year_of_birth; /* 0 when the column is absent or the cell empty */
    long line;         /* 1-based line of the sheet, for later messages */
};

/*
 * How to check a sheet. id_format is required. A callback returns GN_OK to accept the
 * value (NUL-terminated, borrowed for the call) or a negative GN_E* with the reason in
 * err; the parse then fails with that code and "NAME:LINE: field 'dataset': <reason>". A
 * NULL callback skips that check. Both receive ctx and are called once per data row,
 * after the row's other fields have passed. A callback's reason should not quote the
 * value: in a sheet with misplaced columns it could be a national ID.
 */
struct samplesheet_opts {
    const struct natid_format *id_format; /* borrowed */
    int (*check_consent)(void *ctx, const char *terms, struct gn_err *err);
    int (*check_dataset)(void *ctx, const char *name, struct gn_err *err);
    void *ctx;
    int max_year; /* latest year_of_birth accepted; 0 means the current year (UTC) */
};

struct samplesheet; /* opaque */

/* Parses the n bytes at data (borrowed, untrusted, need not be NUL-terminated). name is
 * used in messages only (NULL: "<memory>"). On success *out receives a sheet: returns
 * owned; free with samplesheet_free(). On failure *out is NULL and the code is GN_EPARSE
 * (bad sheet), GN_ELIMIT, GN_ENOMEM, GN_EINVAL (no id_format) or a callback's code. */
GN_MUST_CHECK int samplesheet_parse(const char *data, size_t n, const char *name,
                                    const struct samplesheet_opts *opts, struct samplesheet **out,
                                    struct gn_err *err);

/* Reads the regular file at path and parses it as samplesheet_parse() does, naming it by
 * its path in messages. The file's bytes are wiped from memory before returning. */
GN_MUST_CHECK int samplesheet_read(const char *path, const struct samplesheet_opts *opts,
                                   struct samplesheet **out, struct gn_err *err);

/* Number of samples, and the i-th of them (i < count; borrowed from the sheet). */
size_t samplesheet_count(const struct samplesheet *sh);
const struct samplesheet_row *samplesheet_row(const struct samplesheet *sh, size_t i);

/* Zeroes every national ID (sodium_memzero) once the caller has pseudonymised them; the
 * rows' national_id become "". Idempotent; NULL is a no-op. */
void samplesheet_wipe_ids(struct samplesheet *sh);

/* Wipes the national IDs and releases the sheet. NULL is a no-op. */
void samplesheet_free(struct samplesheet *sh);

/* "male", "female", "other" or "unknown". */
const char *samplesheet_sex_name(enum samplesheet_sex sex);

#endif
