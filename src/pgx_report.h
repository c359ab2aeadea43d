/*
 * pgx_report.h — one patient's pharmacogenomic report: the gene results (matcher or
 * outside calls), the drug answers (CPIC/DPWG, pgx_guide) and its JSON, TSV and HTML
 * renderings (docs/pgx.md describes every field).
 *
 * The CLI (`genomenode pgx`) and the server (GET /pgx/{id}, pgx_http.h) both build their
 * answer here, so the same genotypes give the same document through either.
 *
 * Ownership: struct pgx_data owns the loaded tables (pgx_data_free); a struct pgx_report
 * borrows them and the genotype source, and owns its genes and drugs (pgx_report_reset).
 * Writers append to a caller's capped struct gn_buf.
 *
 * Thread safety: a loaded struct pgx_data is immutable and may be shared by threads; a
 * struct pgx_report is used by one thread at a time.
 */
#ifndef GN_PGX_REPORT_H
#define GN_PGX_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "pgx_def.h"
#include "pgx_guide.h"
#include "pgx_match.h"
#include "pgx_outside.h"
#include "pgx_pheno.h"

#define PGX_REPORT_MAX_GENES (64u + 64u)
/* One allele's function term, allele-specific form included: "Decreased function (CYP2C9*2)" */
#define PGX_REPORT_FN_TEXT (PGX_PHENO_TEXT + 2 * PGX_OUTSIDE_FIELD + 8)
/* A drug's joined recommendation text in JSON */
#define PGX_REPORT_TEXT_MAX 16384
/* The most a rendered report may take (a full report is about 200 KB of JSON) */
#define PGX_REPORT_MAX_BYTES (16u << 20)

/* The data a report is made from: definitions, phenotype tables, guidelines. */
struct pgx_data {
    struct pgx_defs *defs;
    struct pgx_phenos *ph;
    struct pgx_guides *guides; /* NULL when loaded without (the population pass) */
};

/* Loads DIR/definition, DIR/phenotype and (with_guides) DIR/guideline/guidelines.json.
 * On error nothing is left allocated. */
GN_MUST_CHECK int pgx_data_load(const char *dir, int with_guides, struct pgx_data *d,
                                struct gn_err *err);
void pgx_data_free(struct pgx_data *d);

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
    char functions[4][2 * PGX_REPORT_FN_TEXT + 2];          /* "f1/f2" pairs, most specific first */
    char why[1024];                                         /* why not known / not determinate */
    char fn_why[512];         /* why there are no DPWG allele functions (tied diplotypes) */
    char note[1024];          /* mismatch between outside fields, fallback, … */
    struct pgx_guide_gene gg; /* the lookup view (points into the above) */
};

/* One report: the sample, the genes and the drug answers. The caller sets sample, input,
 * defs, ph and guides; pgx_report_build fills the rest. */
struct pgx_report {
    const char *sample;
    const char *input; /* "vcf" or "store" */
    const struct pgx_defs *defs;
    const struct pgx_phenos *ph;
    const struct pgx_guides *guides;
    struct pgx_gene_res *genes; /* n_genes, owned */
    uint32_t n_genes;
    struct pgx_guide_answer *drugs; /* n_drugs, owned */
    uint32_t n_drugs;
};

/* Where the genotypes come from: obs(src, g) gives the observations of definition gene g
 * (defs->n entries; valid until the next call). */
struct pgx_report_in {
    const struct pgx_obs *(*obs)(const void *src, uint32_t g);
    const void *src;
    const struct pgx_outside *outside; /* outside calls, or NULL */
    const char *outside_path;          /* named in errors about them */
    const char *drug;                  /* answer this drug only, or NULL for every relevant */
};

/* Gathers the gene results and the drug answers. Errors: GN_ENOTFOUND for a drug no
 * guideline names, GN_EPARSE for an outside call the tables do not know (line named),
 * GN_ENOMEM. Call pgx_report_reset afterwards in every case. */
GN_MUST_CHECK int pgx_report_build(struct pgx_report *r, const struct pgx_report_in *in,
                                   struct gn_err *err);
void pgx_report_reset(struct pgx_report *r);
/* 1 when a CPIC or DPWG guideline names drug (case-insensitive). */
int pgx_report_drug_known(const struct pgx_guides *g, const char *drug);

enum pgx_format { PGX_FORMAT_JSON, PGX_FORMAT_TSV, PGX_FORMAT_HTML };
/* "json", "tsv", "html" → *f; GN_EINVAL otherwise. */
GN_MUST_CHECK int pgx_format_parse(const char *s, enum pgx_format *f);
/* The HTTP Content-Type of a format (static string). */
const char *pgx_format_type(enum pgx_format f);
/* Appends the report in format f to out. GN_ENOMEM, or GN_ELIMIT past out's cap. */
GN_MUST_CHECK int pgx_report_write(const struct pgx_report *r, enum pgx_format f,
                                   struct gn_buf *out);

/* "1.25" / "1.0" for an activity score in hundredths, into buf. */
const char *pgx_report_score(int x100, char *buf, size_t n);
/* "chr7:99652770 rs776746" for position i of g, into buf. */
const char *pgx_report_pos_name(const struct pgx_gene *g, uint32_t i, char *buf, size_t n);
/* The phenotype of a match: shared by every tied diplotype, else "Indeterminate" (why says
 * so); DPYD/RYR1 by variant. */
void pgx_report_phenotype(const struct pgx_phenos *ph, const struct pgx_match *m,
                          struct pgx_pheno *p, char *why, size_t n);

#endif
