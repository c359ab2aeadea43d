/*
 * pgx_outside.h — PharmCAT's outside-call file: gene results called by other tools (CYP2D6
 * copy number, HLA typing, MT-RNR1), read from untrusted bytes.
 *
 * Format (PharmCAT "Outside Call Format"): tab-separated text, one gene per line; lines
 * starting with '#' and blank lines are ignored. Up to four fields:
 *
 *     GENE <TAB> diplotype or single allele <TAB> phenotype <TAB> activity score
 *
 * The gene is required; at least one of the other three must be given (empty fields and
 * missing trailing fields are allowed). A diplotype is "A/B" or one allele ("1555A>G").
 *
 * The parser is bounded (PGX_OUTSIDE_MAX_*), never relies on a NUL terminator, accepts
 * CRLF line ends, and rejects: more than four fields, an empty gene or a gene that is not
 * an HGNC-like symbol, a line with nothing but the gene, control bytes, an activity score
 * that is not a non-negative decimal with at most two places, a diplotype with more than
 * two alleles or an empty allele, and a gene given twice. Errors name the line and reason.
 * Whether the gene and alleles exist is the caller's check (it has the tables).
 *
 * Thread safety: reentrant; a result is immutable once returned.
 */
#ifndef GN_PGX_OUTSIDE_H
#define GN_PGX_OUTSIDE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PGX_OUTSIDE_MAX_BYTES (1u << 20)
#define PGX_OUTSIDE_MAX_CALLS 64u
#define PGX_OUTSIDE_FIELD     128u /* bytes of one field, with NUL */

struct pgx_outside_call {
    char gene[PGX_OUTSIDE_FIELD];
    char diplotype[PGX_OUTSIDE_FIELD]; /* "" when not given */
    char hap[2][PGX_OUTSIDE_FIELD];    /* the diplotype's alleles; hap[1] "" for one allele */
    char phenotype[PGX_OUTSIDE_FIELD]; /* "" when not given */
    int has_activity;
    int activity_x100; /* the activity score in hundredths */
    uint32_t line;     /* 1-based line of the file */
};

struct pgx_outside {
    struct pgx_outside_call calls[PGX_OUTSIDE_MAX_CALLS];
    uint32_t n;
};

/*
 * Parses len bytes at p into *out (caller storage, overwritten). Errors: GN_EPARSE ("line
 * N: reason"), GN_ELIMIT (too large, too many calls, a field too long; the line named).
 */
GN_MUST_CHECK int pgx_outside_parse(const char *p, size_t len, struct pgx_outside *out,
                                    struct gn_err *err);

/* Reads path (at most PGX_OUTSIDE_MAX_BYTES) and parses it; errors are prefixed by path.
 * Adds GN_ENOTFOUND and GN_EIO. */
GN_MUST_CHECK int pgx_outside_load(const char *path, struct pgx_outside *out, struct gn_err *err);

/* The call for gene, or NULL. Borrowed from o. */
const struct pgx_outside_call *pgx_outside_find(const struct pgx_outside *o, const char *gene);

#endif
