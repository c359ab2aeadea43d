/*
 * cmd_cohort.c — `genomenode cohort define|list|drop`: named cohorts defined by phenotype
 * and diagnosis criteria (phenosel.h). A cohort stores criteria, never a list of people: who
 * is in it is decided at each use from the imported phenopackets, and whether they may be
 * counted by policy. The data commands take it as --cohort NAME and the Beacon server lists
 * it under /cohorts (README, "Cohorts"). Defining and dropping are steward changes, audited.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "cli.h"
#include "hpo.h"
#include "phenosel.h"
#include "policy.h"

struct cohort_opt {
    const char *phenotype, *diagnosis, *description, *hpo;
    struct cli_access acc;
};

static int parse_opts(int argc, char **argv, struct cohort_opt *o)
{
    static const struct option lo[] = {{"phenotype", required_argument, 0, 'H'},
                                       {"diagnosis", required_argument, 0, 'D'},
                                       {"description", required_argument, 0, 'd'},
                                       {"hpo", required_argument, 0, 'i'},
                                       CLI_ACCESS_OPTIONS,
                                       {0, 0, 0, 0}};
    int c;
    memset(o, 0, sizeof *o);
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'H') {
            o->phenotype = optarg;
        } else if (c == 'D') {
            o->diagnosis = optarg;
        } else if (c == 'd') {
            o->description = optarg;
        } else if (c == 'i') {
            o->hpo = optarg;
        } else if (!cli_access_opt(&o->acc, c, optarg)) {
            return cli_usage_error("cohort", "unknown option%s", "");
        }
    }
    return 0;
}

/* A cohort name is its Beacon id, a path segment: letters, digits, '.', '_' and '-'. */
static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CATALOG_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

/* Validates the criteria against the HPO index and fills x with their canonical form. */
static int criteria(const struct cohort_opt *o, struct catalog_cohort *x, struct gn_err *err)
{
    struct hpo *h = NULL;
    struct phenosel *s = NULL;
    char note[512];
    int rc;
    if (o->phenotype && *o->phenotype && (rc = cli_hpo_load(o->hpo, &h, err)) < 0) return rc;
    if ((rc = phenosel_new(h, o->phenotype, o->diagnosis, &s, note, sizeof note, err)) == GN_OK) {
        if (note[0]) fprintf(stderr, "genomenode: note: %s\n", note);
        rc = phenosel_lists(s, x->phenotypes, sizeof x->phenotypes, x->diagnoses,
                            sizeof x->diagnoses, err);
    }
    phenosel_free(s);
    hpo_free(h);
    return rc;
}

static int print_cohort(void *ctx, const struct catalog_cohort *x)
{
    (void)ctx;
    printf("%s\t%s\t%s\t%s\n", x->name, x->phenotypes[0] ? x->phenotypes : "-",
           x->diagnoses[0] ? x->diagnoses : "-", x->description);
    return 0;
}

int cmd_cohort(int argc, char **argv)
{
    static const char *const usage = "cohort define DIR NAME (--phenotype HP:..[,..] | "
                                     "--diagnosis ID[,..])... [--description TEXT] | list DIR | "
                                     "drop DIR NAME";
    struct gn_err err = GN_ERR_INIT;
    struct cohort_opt o;
    struct cli_ctx cx;
    struct catalog_cohort x;
    char detail[2 * CATALOG_COHORT_CRITERIA_MAX + CATALOG_NAME_MAX + 32];
    int rc, s;

    memset(&cx, 0, sizeof cx);
    if (argc < 2) return cli_usage_error("cohort", "%s", usage);
    s = !strcmp(argv[1], "define") ? 0
        : !strcmp(argv[1], "list") ? 1
        : !strcmp(argv[1], "drop") ? 2
                                   : -1;
    if (s < 0) return cli_usage_error("cohort", "unknown subcommand '%s'", argv[1]);
    if ((rc = parse_opts(argc - 1, argv + 1, &o))) return rc;
    optind++;
    if (optind + (s == 1 ? 1 : 2) != argc) return cli_usage_error("cohort", "%s", usage);
    if (s == 1) {
        if ((rc = cli_ctx_open(&cx, argv[optind], 0, &o.acc, &err)) == GN_OK)
            rc = catalog_cohort_each(cx.cat, print_cohort, NULL, &err);
        goto done;
    }
    if (!valid_name(argv[optind + 1])) {
        return cli_usage_error("cohort",
                               "bad cohort name '%s' (1 to 128 letters, digits, '.', '_', '-')",
                               argv[optind + 1]);
    }
    memset(&x, 0, sizeof x);
    (void)snprintf(x.name, sizeof x.name, "%s", argv[optind + 1]);
    if (s == 0) {
        if (!o.phenotype && !o.diagnosis) return cli_usage_error("cohort", "%s", usage);
        if (o.description && strlen(o.description) >= sizeof x.description) {
            return cli_usage_error("cohort", "--description longer than 255 bytes%s", "");
        }
        (void)snprintf(x.description, sizeof x.description, "%s",
                       o.description ? o.description : "");
        if ((rc = criteria(&o, &x, &err)) < 0) goto done;
    }
    if ((rc = cli_ctx_open(&cx, argv[optind], 0, &o.acc, &err)) < 0) goto done;
    if ((rc = policy_admin(cx.cat, &cx.key, &cx.who.caller, s ? "cohort.drop" : "cohort.define",
                           &err)) < 0)
        goto done;
    rc = s ? catalog_cohort_drop(cx.cat, x.name, &err)
           : catalog_cohort_add(cx.cat, &x, cx.who.name, &err);
    if (rc < 0) goto done;
    (void)snprintf(detail, sizeof detail, "%s%s%s%s%s", x.name,
                   x.phenotypes[0] ? " phenotype " : "", x.phenotypes,
                   x.diagnoses[0] ? " diagnosis " : "", x.diagnoses);
    if ((rc = policy_audit(cx.cat, &cx.key, &cx.who.caller, POLICY_PURPOSE_ADMIN,
                           s ? "cohort.drop" : "cohort.define", "done", detail, NULL, &err)) < 0)
        goto done;
    if (s)
        printf("cohort %s dropped\n", x.name);
    else
        printf("cohort %s defined (%s%s%s%s%s)\n", x.name, x.phenotypes[0] ? "phenotype " : "",
               x.phenotypes, x.phenotypes[0] && x.diagnoses[0] ? "; " : "",
               x.diagnoses[0] ? "diagnosis " : "", x.diagnoses);
done:
    cli_ctx_close(&cx);
    return rc < 0 ? cli_fail(&err) : 0;
}
