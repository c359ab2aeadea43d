/*
 * pgx_cli.h — what cmd_pgx.c (gathering one patient's gene results and drug answers) and
 * pgx_out.c (writing them as JSON, TSV or HTML) share.
 *
 * Thread safety: CLI only, single-threaded.
 */
#ifndef GN_PGX_CLI_H
#define GN_PGX_CLI_H

#include <stdint.h>

#include "cli.h"
#include "pgx_def.h"
#include "pgx_guide.h"
#include "pgx_match.h"
#include "pgx_outside.h"
#include "pgx_pheno.h"

#define PGX_CLI_MAX_GENES (64u + 64u)
/* One allele's function term, allele-specific form included: "Decreased function (CYP2C9*2)" */
#define PGX_CLI_FN_TEXT (PGX_PHENO_TEXT + 2 * PGX_OUTSIDE_FIELD + 8)

/* One gene's result for the report. */
struct pgx_gene_res {
    const char *gene;                   /* borrowed (definitions or outside call) */
    const char *source;                 /* "vcf", "store" or "outside" */
    const struct pgx_gene *def;         /* the definition, NULL for outside-only genes */
    struct pgx_match m;                 /* VCF/store genes; zeroed otherwise */
    const struct pgx_outside_call *oc;  /* the outside call, or NULL */
    struct pgx_pheno p;                 /* phenotype, functions, activity */
    char phenotype[4 * PGX_PHENO_TEXT]; /* as shown ("Indeterminate", HLA statuses, …) */
    char keys[PGX_GUIDE_MAX_KEYS][4 * PGX_PHENO_TEXT + 16]; /* CPIC lookup values */
    char functions[4][2 * PGX_CLI_FN_TEXT + 2];             /* "f1/f2" pairs, most specific first */
    char why[1024];                                         /* why not known / not determinate */
    char note[1024];          /* mismatch between outside fields, fallback, … */
    struct pgx_guide_gene gg; /* the lookup view (points into the above) */
};

/* One report: the sample, the genes and the drug answers. */
struct pgx_report {
    const char *sample;
    const char *input; /* "vcf" or "store" */
    const struct pgx_defs *defs;
    const struct pgx_phenos *ph;
    const struct pgx_guides *guides;
    struct pgx_gene_res *genes; /* n_genes */
    uint32_t n_genes;
    struct pgx_guide_answer *drugs; /* n_drugs */
    uint32_t n_drugs;
};

/* "1.25" / "1.0" for an activity score in hundredths, into buf. */
const char *pgx_cli_score(int x100, char *buf, size_t n);
/* "chr7:99652770 rs776746" for position i of g, into buf. */
const char *pgx_cli_pos_name(const struct pgx_gene *g, uint32_t i, char *buf, size_t n);

/* The phenotype of a match: shared by every tied diplotype, else "Indeterminate" (why says
 * so); DPYD/RYR1 by variant. */
void pgx_cli_phenotype(const struct pgx_phenos *ph, const struct pgx_match *m, struct pgx_pheno *p,
                       char *why, size_t n);

/* One person's definition positions from the store (cmd_pgx_store.c). */
struct pgx_store_gene;
struct pgx_store_src {
    struct cli_ctx cx;
    struct policy_decision d;
    int opened, decided;
    uint32_t gid;
    const struct pgx_defs *defs;
    struct pgx_store_gene **genes; /* defs->n */
    struct pgx_obs *obs;           /* scratch for pgx_cli_store_obs */
    uint64_t records;
};
/* Opens the node, resolves the sample, asks policy (record level) and reads every gene. */
GN_MUST_CHECK int pgx_cli_store_open(struct pgx_store_src *s, const char *dir, const char *sample,
                                     const struct cli_access *a, const struct pgx_defs *defs,
                                     struct gn_err *err);
/* The observations of gene g (valid until the next call). */
const struct pgx_obs *pgx_cli_store_obs(const void *src, uint32_t g);
/* Audits the read (policy_done, naming the person). */
GN_MUST_CHECK int pgx_cli_store_done(struct pgx_store_src *s, struct gn_err *err);
void pgx_cli_store_close(struct pgx_store_src *s);
/* --all: phenotype frequencies per gene of every sample policy allows, TSV on stdout. */
GN_MUST_CHECK int pgx_cli_population(const char *dir, const struct cli_access *a,
                                     const struct pgx_defs *defs, const struct pgx_phenos *ph,
                                     struct gn_err *err);

void pgx_out_json(const struct pgx_report *r);
void pgx_out_tsv(const struct pgx_report *r);
void pgx_out_html(const struct pgx_report *r);

#endif
