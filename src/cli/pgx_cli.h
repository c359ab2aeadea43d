/*
 * pgx_cli.h — what cmd_pgx.c (the pgx command) and cmd_pgx_store.c (its store paths)
 * share. The report itself (gathering and writers) is the library's: pgx_report.h.
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
#include "pgx_report.h"

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
/* --all: phenotype frequencies per gene of every sample policy allows, TSV on stdout; with
 * groups (a SAMPLE<TAB>GROUP file) also per group; with alleles, the allele counts of the
 * single-diplotype calls instead of the phenotypes. */
GN_MUST_CHECK int pgx_cli_population(const char *dir, const struct cli_access *a,
                                     const struct pgx_defs *defs, const struct pgx_phenos *ph,
                                     const char *groups, int alleles, struct gn_err *err);


#endif
