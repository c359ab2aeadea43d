/*
 * cli.h — what the command files of the CLI share: the command table entry, usage and
 * error reporting, opening a node for a command, and asking policy for access.
 *
 * Only the CLI prints and exits; everything below it returns status codes (err.h).
 */
#ifndef GN_CLI_H
#define GN_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "auth.h"
#include "catalog.h"
#include "err.h"
#include "gtstore.h"
#include "policy.h"
#include "pseudonym.h"

#include "version.h"
#define EXIT_USAGE 2

struct cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage;
    const char *help;
};

const struct cmd *cli_find_cmd(const char *name);
/* Prints "genomenode CMD: <message>" and the command's usage to stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, const char *arg);
/* Prints the error to stderr; returns 1. */
int cli_fail(const struct gn_err *err);
int cli_wants_help(int argc, char **argv);
int cli_print_help(const char *name);

/* Who is asking and for what: --token (or GENOMENODE_TOKEN), --project, --patient. */
struct cli_access {
    const char *token;
    const char *project;
    const char *patient;  /* national ID of the clinician's patient */
    const char *passport; /* file holding a GA4GH Passport JWT */
    const char *purpose;  /* a Passport caller's purpose, DUO terms */
};
/* getopt_long values of the access options: above every character, so that no command's
 * own options (single characters) can take one of them or be taken by one. */
enum cli_access_code {
    CLI_OPT_TOKEN = 0x100,
    CLI_OPT_PROJECT,
    CLI_OPT_PATIENT,
    CLI_OPT_PASSPORT,
    CLI_OPT_PURPOSE
};
/* getopt_long entries for the access options (values enum cli_access_code). */
#define CLI_ACCESS_OPTIONS                                                                         \
    {"token", required_argument, 0, CLI_OPT_TOKEN},                                                \
        {"project", required_argument, 0, CLI_OPT_PROJECT},                                        \
        {"patient", required_argument, 0, CLI_OPT_PATIENT},                                        \
        {"passport", required_argument, 0, CLI_OPT_PASSPORT},                                      \
    {                                                                                              \
        "purpose", required_argument, 0, CLI_OPT_PURPOSE                                           \
    }
/* The HPO index to use: opt when given, else $GENOMENODE_HPO_INDEX, else
 * data/hpo/hpo.gnhpo (borrowed). */
const char *cli_hpo_index(const char *opt);

struct hpo;
/* Loads the HPO index cli_hpo_index(opt) into *h (hpo_free); an index that cannot be
 * loaded is an error naming the file and how to build one. */
GN_MUST_CHECK int cli_hpo_load(const char *opt, struct hpo **h, struct gn_err *err);

/* Handles c when it is an access option: returns 1 if consumed. */
int cli_access_opt(struct cli_access *a, int c, const char *arg);

struct passport_result;
struct cli_ctx {
    struct gtsnap *snap; /* NULL unless CLI_SNAP */
    struct catalog *cat;
    struct pseudonym key;
    struct auth_caller who;
    struct passport_result *passport; /* a verified Passport, when --passport was given */
};
#define CLI_SNAP 1u
/* Opens the node's catalog and key (and snapshot with CLI_SNAP) and authenticates the
 * caller: the token's user, the subject of a Passport verified against the node's trusted
 * issuers (genomenode trust), or the operator (steward) when neither is given. */
GN_MUST_CHECK int cli_ctx_open(struct cli_ctx *c, const char *dir, unsigned flags,
                               const struct cli_access *a, struct gn_err *err);
void cli_ctx_close(struct cli_ctx *c);

/* Original sample ID → global id through the pseudonym and the catalog. */
GN_MUST_CHECK int cli_sample_id(struct cli_ctx *c, const char *id, size_t n, uint32_t *gid,
                                struct gn_err *err);
/* Reads a file of sample IDs (one per line; blank lines and #comments skipped), sorted. */
GN_MUST_CHECK int cli_read_samples(struct cli_ctx *c, const char *path, uint32_t **ids, uint32_t *n,
                                   struct gn_err *err);
GN_MUST_CHECK int cli_parse_region(const struct gtsnap *snap, const char *s, uint32_t *contig,
                                   int64_t *start, int64_t *end, struct gn_err *err);

/* Asks policy for access at granularity need, with an optional cohort (sorted ids). */
GN_MUST_CHECK int cli_decide(struct cli_ctx *c, const struct cli_access *a, const char *action,
                             const char *detail, enum catalog_granularity need,
                             const uint32_t *cohort, uint32_t n_cohort, int has_cohort,
                             struct policy_decision *d, struct gn_err *err);
/* Per-segment masks for a decision; NULL masks when it allows every live sample. */
GN_MUST_CHECK int cli_masks(struct cli_ctx *c, const struct policy_decision *d, uint64_t ***masks,
                            struct gn_err *err);

/* Commands: cmd_data.c (genotypes) and cmd_gov.c (governance). */
int cmd_init(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_freq(int argc, char **argv);
int cmd_count(int argc, char **argv);
int cmd_genotypes(int argc, char **argv);
int cmd_pgx(int argc, char **argv);
int cmd_hpo(int argc, char **argv);
int cmd_rank(int argc, char **argv);
int cmd_phenopacket(int argc, char **argv);
int cmd_mme(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_compact(int argc, char **argv);
int cmd_withdraw(int argc, char **argv);
int cmd_lookup_bench(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_dataset(int argc, char **argv);
int cmd_cohort(int argc, char **argv);
int cmd_project(int argc, char **argv);
int cmd_grant(int argc, char **argv);
int cmd_consent(int argc, char **argv);
int cmd_setting(int argc, char **argv);
int cmd_duo(int argc, char **argv);
int cmd_pseudonym(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_trust(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
