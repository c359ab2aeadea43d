/*
 * pgx_guide.h — drug recommendations: which CPIC or DPWG recommendation applies to a
 * patient's gene results, and whether it is the standard prescribing ("consistent"), a
 * change, or cannot be decided ("indeterminate").
 *
 * Data: data/pgx/guideline/guidelines.json, derived by data/pgx/derive_guidelines.py from
 * PharmCAT's CPIC and DPWG tables (see that script for the layout and the one place the
 * consistent/change rule is decided). Each drug entry is one guideline (a drug with a CPIC
 * and two DPWG guidelines has three entries). Each row has a key (gene → accepted values),
 * the recommendation text, its strength, its population and its change class.
 *
 * A row applies when every gene of its key has one of the patient's values for that gene:
 *   - CPIC ("lookup" rows): the phenotype ("Poor Metabolizer"), the activity score for
 *     CYP2C9/CYP2D6/DPYD ("1.0", "0.25"; scores of 3 and more also try CPIC's "≥3.0"-style
 *     keys), or HLA allele statuses ("*57:01 positive"); a gene without a result has the
 *     value "No Result" (some guidelines give advice from the other gene alone), an
 *     activity-score gene called without a score "n/a".
 *   - DPWG ("function" rows): the sorted pair of allele functions ("Decreased
 *     function/Normal function"); a gene without a diplotype has no value. DPWG also writes
 *     allele-specific functions ("Decreased function (CYP2C9*2)"): the caller lists the
 *     pairs most specific first, and the first pair that some row accepts is used.
 *
 * Answer: "change recommended" when an applicable row recommends a change (even with one
 * gene unknown: the known gene already asks for it); "consistent" when the applicable rows
 * are the standard recommendation (or the guideline has none for this phenotype) and every
 * gene of the guideline has a determinate result; otherwise "indeterminate", naming the
 * gene and why (no result, which positions are missing, indeterminate phenotype).
 *
 * Thread safety: loaded guidelines are immutable; answering is reentrant.
 */
#ifndef GN_PGX_GUIDE_H
#define GN_PGX_GUIDE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PGX_GUIDE_MAX_BYTES (8u << 20)
#define PGX_GUIDE_MAX_DRUGS 4096u
#define PGX_GUIDE_MAX_ROWS  4096u /* rows of one drug */
#define PGX_GUIDE_MAX_KEYS  16u   /* lookup values of one patient gene */
#define PGX_GUIDE_MAX_HITS  8u    /* applicable rows reported per drug (populations) */
#define PGX_GUIDE_WHY       768u

struct pgx_guides; /* opaque */

/* One patient gene as the lookup sees it. All pointers are borrowed. */
struct pgx_guide_gene {
    const char *gene;
    int known;                            /* 0: no result for this gene */
    int determinate;                      /* known, and not "Indeterminate"/"n/a" */
    const char *keys[PGX_GUIDE_MAX_KEYS]; /* CPIC lookup values (phenotype, score, statuses) */
    uint32_t n_keys;
    int has_activity; /* activity_x100 valid (for "≥" keys) */
    int activity_x100;
    const char *functions[4]; /* allele-function pairs, most specific first */
    uint32_t n_functions;
    const char *why;    /* reason when unknown or not determinate */
    const char *fn_why; /* reason when known but without allele functions, or NULL */
};

enum pgx_answer {
    PGX_ANSWER_CONSISTENT = 0,
    PGX_ANSWER_CHANGE = 1,
    PGX_ANSWER_INDETERMINATE = 2,
};

enum pgx_change { PGX_ROW_STANDARD = 0, PGX_ROW_CHANGE = 1, PGX_ROW_NO_RECOMMENDATION = 2 };

/* One applicable row; strings borrowed from the guidelines. */
struct pgx_guide_hit {
    const char *text, *strength, *population;
    enum pgx_change change;
};

/* One guideline's answer; strings borrowed from the guidelines except why. */
struct pgx_guide_answer {
    const char *drug, *source, *guideline, *url;
    enum pgx_answer answer;
    struct pgx_guide_hit hits[PGX_GUIDE_MAX_HITS];
    uint32_t n_hits;
    char why[PGX_GUIDE_WHY];
};

/*
 * Parses a guidelines document held in memory (not NUL-terminated; len bytes). Returns owned
 * in *out; free with pgx_guides_free(). Errors: GN_EPARSE (the drug and key named),
 * GN_ELIMIT, GN_ENOMEM.
 */
GN_MUST_CHECK int pgx_guides_parse(const char *json, size_t len, struct pgx_guides **out,
                                   struct gn_err *err);

/* Reads and parses path. Errors as pgx_guides_parse() plus GN_ENOTFOUND, GN_EIO. */
GN_MUST_CHECK int pgx_guides_load(const char *path, struct pgx_guides **out, struct gn_err *err);

void pgx_guides_free(struct pgx_guides *g);

/* The data version of source ("CPIC", "DPWG"); NULL when absent. Borrowed. */
const char *pgx_guides_version(const struct pgx_guides *g, const char *source);

/* Number of guideline entries; entry i's drug name, and the genes it uses (borrowed). */
uint32_t pgx_guides_count(const struct pgx_guides *g);
const char *pgx_guides_drug(const struct pgx_guides *g, uint32_t i);
uint32_t pgx_guides_n_genes(const struct pgx_guides *g, uint32_t i);
const char *pgx_guides_gene(const struct pgx_guides *g, uint32_t i, uint32_t k);

/* Whether gene appears in any guideline key with value (for HLA statuses: "*57:01 positive").
 * Calls fn(value, arg) once per distinct value of gene; returns the number of values. */
uint32_t pgx_guides_values(const struct pgx_guides *g, const char *gene,
                           void (*fn)(const char *value, void *arg), void *arg);

/*
 * Answers guideline entry i for the patient genes (n entries; genes the guideline needs but
 * not listed count as no result). Fills *out. Never fails.
 */
void pgx_guide_answer(const struct pgx_guides *g, uint32_t i, const struct pgx_guide_gene *genes,
                      uint32_t n, struct pgx_guide_answer *out);

/* "consistent", "change recommended", "indeterminate". */
const char *pgx_answer_name(enum pgx_answer a);

#endif
