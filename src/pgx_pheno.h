/*
 * pgx_pheno.h — diplotype → allele function / activity score → phenotype, from the CPIC
 * phenotype tables in data/pgx/phenotype/<GENE>.json (derived from PharmCAT's; see
 * data/pgx/README.md):
 *
 *     { "gene": "CYP2C9", "version": "...",
 *       "haplotypes": {"*1": "Normal function", ...},          allele → function
 *       "activityValues": {"*1": "1.0", "*2": "0.5", ...},     activity-score genes only
 *       "activityScores": [["1.5", "Intermediate Metabolizer"], ...]   score → phenotype
 *       "functionPairs": [["Normal function", "No function", "Intermediate ..."], ...]
 *       "functionSingle": [["Normal function", "Normal"], ...] }   one-allele calls (G6PD)
 *
 * Activity-score genes (CYP2C9, CYP2D6, DPYD) sum the two alleles' activity values and
 * look the score up; the others look up the unordered pair of functions. A haplotype
 * made of several alleles ("A + B", DPYD/RYR1 with phase) takes its lowest-activity (or,
 * without activity values, the first listed function of its) component. Single-position
 * genes (ABCG2, VKORC1, IFNL3) are ordinary entries whose alleles are named after the
 * variant. An allele missing from the table gives "Indeterminate".
 *
 * Thread safety: loaded tables are immutable; lookups are reentrant.
 */
#ifndef GN_PGX_PHENO_H
#define GN_PGX_PHENO_H

#include <stdint.h>

#include "err.h"
#include "pgx_match.h"

#define PGX_PHENO_MAX_BYTES (1u << 20)
#define PGX_PHENO_MAX_ROWS  4096u
#define PGX_PHENO_TEXT      160u /* bytes of a phenotype or function text, with NUL */

struct pgx_phenos; /* opaque: every gene's table */

/* A phenotype answer. activity_x100 is the activity score times 100 when has_activity. */
struct pgx_pheno {
    char phenotype[PGX_PHENO_TEXT];   /* "Intermediate Metabolizer"; "" when none applies */
    char function[2][PGX_PHENO_TEXT]; /* the two alleles' functions ("" when unknown) */
    int has_activity;
    int activity_x100;
};

/*
 * Loads every <GENE>.json of dir. Returns owned tables in *out; free with
 * pgx_phenos_free(). Errors: GN_ENOTFOUND, GN_EIO, GN_EPARSE (the file and key named),
 * GN_ELIMIT, GN_ENOMEM.
 */
GN_MUST_CHECK int pgx_phenos_load(const char *dir, struct pgx_phenos **out, struct gn_err *err);

/* Parses one gene's table held in memory into tables (adds or replaces the gene). */
GN_MUST_CHECK int pgx_phenos_add(struct pgx_phenos *tables, const char *json, size_t len,
                                 struct gn_err *err);

/* An empty set of tables (for pgx_phenos_add); free with pgx_phenos_free(). */
struct pgx_phenos *pgx_phenos_new(void);

void pgx_phenos_free(struct pgx_phenos *tables);

/* The phenotype data version of gene (NULL when the gene has no table). Borrowed. */
const char *pgx_phenos_version(const struct pgx_phenos *tables, const char *gene);

/*
 * The phenotype of diplotype hap0/hap1 of gene (hap1 NULL for a one-allele call).
 * Returns GN_OK, or GN_ENOTFOUND when the gene has no table (out->phenotype "").
 */
int pgx_pheno_diplotype(const struct pgx_phenos *tables, const char *gene, const char *hap0,
                        const char *hap1, struct pgx_pheno *out);

/*
 * The phenotype of a variant-called gene (m->by_variant, DPYD/RYR1): the two
 * lowest-activity (or lowest-function) alleles found, counting homozygous ones twice,
 * the reference filling up to two. Returns as pgx_pheno_diplotype().
 */
int pgx_pheno_by_variant(const struct pgx_phenos *tables, const struct pgx_match *m,
                         struct pgx_pheno *out);

/*
 * The phenotype of an activity score given directly (an outside call): out->phenotype is
 * the table's phenotype for activity_x100, "Indeterminate" when the table has no such
 * score. Returns GN_ENOTFOUND when gene is not an activity-score gene.
 */
int pgx_pheno_of_score(const struct pgx_phenos *tables, const char *gene, int activity_x100,
                       struct pgx_pheno *out);

/* The one activity score (hundredths) whose phenotype is phenotype; GN_ENOTFOUND when none
 * or several scores have it (CYP2C9 "Poor Metabolizer" is 0 or 0.5: no single score). */
int pgx_pheno_score_of(const struct pgx_phenos *tables, const char *gene, const char *phenotype,
                       int *activity_x100);

/* Whether gene is an activity-score gene (its table maps scores to phenotypes). */
int pgx_pheno_has_scores(const struct pgx_phenos *tables, const char *gene);

/* Whether gene has a phenotype table. */
int pgx_pheno_has_gene(const struct pgx_phenos *tables, const char *gene);

#endif
