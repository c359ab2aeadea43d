/*
 * cmd_pgx.c — `genomenode pgx`: one patient's star-allele diplotypes, phenotypes and drug
 * recommendations, from a VCF or from the node's genotype store, plus outside calls.
 *
 *   genomenode pgx --vcf FILE [--sample ID] [--outside FILE] [--drug NAME]
 *                  [--format json|html|tsv] [--data DIR]
 *   genomenode pgx DIR --sample ID [...]           (the store; through policy, audited)
 *   genomenode pgx DIR --all [--format tsv]        (phenotype frequencies of everyone allowed)
 *
 * Options and sources are here; the report (gathering gene results, drug answers, and the
 * JSON/TSV/HTML writers) is the library's pgx_report.c, which the server's GET /pgx/{id}
 * uses too.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "cli.h"
#include "pgx_cli.h"
#include "pgx_vcf.h"

struct pgx_opt {
    const char *vcf, *sample, *format, *data, *drug, *outside, *dir, *groups;
    int all, alleles;
    struct cli_access access;
};

static int parse_opts(int argc, char **argv, struct pgx_opt *o)
{
    static const struct option opts[] = {{"vcf", required_argument, 0, 'v'},
                                         {"sample", required_argument, 0, 's'},
                                         {"format", required_argument, 0, 'f'},
                                         {"data", required_argument, 0, 'd'},
                                         {"drug", required_argument, 0, 'g'},
                                         {"outside", required_argument, 0, 'o'},
                                         {"all", no_argument, 0, 'a'},
                                         {"groups", required_argument, 0, 'G'},
                                         {"alleles", no_argument, 0, 'L'},
                                         CLI_ACCESS_OPTIONS,
                                         {0, 0, 0, 0}};
    int c;
    memset(o, 0, sizeof *o);
    o->format = "json";
    o->data = getenv("GENOMENODE_PGX_DATA") ? getenv("GENOMENODE_PGX_DATA") : "data/pgx";
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (cli_access_opt(&o->access, c, optarg)) continue;
        switch (c) {
        case 'v':
            o->vcf = optarg;
            break;
        case 's':
            o->sample = optarg;
            break;
        case 'f':
            o->format = optarg;
            break;
        case 'd':
            o->data = optarg;
            break;
        case 'g':
            o->drug = optarg;
            break;
        case 'o':
            o->outside = optarg;
            break;
        case 'a':
            o->all = 1;
            break;
        case 'G':
            o->groups = optarg;
            break;
        case 'L':
            o->alleles = 1;
            break;
        default:
            return cli_usage_error("pgx", "unknown option%s", "");
        }
    }
    if (optind < argc) o->dir = argv[optind++];
    if (optind != argc) return cli_usage_error("pgx", "unexpected argument '%s'", argv[optind]);
    if (!o->vcf == !o->dir)
        return cli_usage_error("pgx", "give either --vcf FILE or a node DIR%s", "");
    if (o->dir && !o->all && !o->sample)
        return cli_usage_error("pgx", "with a node DIR, give --sample ID or --all%s", "");
    if (o->all && (o->vcf || o->sample || o->drug || o->outside))
        return cli_usage_error("pgx", "--all takes a node DIR only%s", "");
    if ((o->groups || o->alleles) && !o->all)
        return cli_usage_error("pgx", "--groups and --alleles go with --all%s", "");
    if (strcmp(o->format, "json") && strcmp(o->format, "tsv") && strcmp(o->format, "html"))
        return cli_usage_error("pgx", "--format must be json, html or tsv, not '%s'", o->format);
    return 0;
}

static const struct pgx_obs *vcf_obs(const void *src, uint32_t g)
{
    return pgx_vcf_obs(src, g);
}

int cmd_pgx(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct pgx_opt o;
    struct pgx_data data = {0};
    struct pgx_vcf *v = NULL;
    struct pgx_outside *out = NULL;
    struct pgx_report r;
    struct pgx_report_in in = {0};
    struct pgx_store_src st;
    struct gn_buf b;
    enum pgx_format fmt = PGX_FORMAT_JSON;
    int rc;

    memset(&r, 0, sizeof r);
    memset(&st, 0, sizeof st);
    gn_buf_init(&b, PGX_REPORT_MAX_BYTES);
    if (cli_wants_help(argc, argv)) return cli_print_help("pgx");
    if ((rc = parse_opts(argc, argv, &o))) return rc;
    if (pgx_format_parse(o.format, &fmt) < 0) return EXIT_USAGE; /* checked by parse_opts */
    if ((rc = pgx_data_load(o.data, !o.all, &data, &err)) < 0) goto done;
    if (o.all) {
        rc = pgx_cli_population(o.dir, &o.access, data.defs, data.ph, o.groups, o.alleles, &err);
        goto done;
    }
    if (o.drug && !pgx_report_drug_known(data.guides, o.drug)) {
        rc = gn_errf(&err, GN_ENOTFOUND,
                     "unknown drug '%s': no CPIC or DPWG guideline names it (data/pgx/guideline)",
                     o.drug);
        goto done;
    }
    if (o.outside) {
        if (!(out = gn_calloc(1, sizeof *out))) {
            rc = gn_errf(&err, GN_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = pgx_outside_load(o.outside, out, &err)) < 0) goto done;
    }
    r.defs = data.defs;
    r.ph = data.ph;
    r.guides = data.guides;
    in.outside = out;
    in.outside_path = o.outside;
    in.drug = o.drug;
    if (o.vcf) {
        if ((rc = pgx_vcf_read(o.vcf, o.sample, data.defs, &v, &err)) < 0) goto done;
        r.sample = pgx_vcf_sample(v);
        r.input = "vcf";
        in.obs = vcf_obs;
        in.src = v;
        rc = pgx_report_build(&r, &in, &err);
    } else {
        if ((rc = pgx_cli_store_open(&st, o.dir, o.sample, &o.access, data.defs, &err)) < 0)
            goto done;
        r.sample = o.sample;
        r.input = "store";
        in.obs = pgx_cli_store_obs;
        in.src = &st;
        /* the sample's records were read: the access is on record whatever the report
         * does next (a failed report keeps its own message) */
        struct gn_err e2 = GN_ERR_INIT;
        rc = pgx_report_build(&r, &in, &err);
        int rc2 = pgx_cli_store_done(&st, rc < 0 ? &e2 : &err);
        if (rc >= 0) rc = rc2;
    }
    if (rc < 0) goto done;
    if ((rc = pgx_report_write(&r, fmt, &b)) < 0) {
        rc = gn_errf(&err, rc, "cannot render the report");
        goto done;
    }
    if (b.len && fwrite(b.data, 1, b.len, stdout) != b.len) {
        rc = gn_errf(&err, GN_EIO, "cannot write the report");
        goto done;
    }
    rc = 0;
done:
    gn_buf_free(&b);
    pgx_report_reset(&r);
    pgx_cli_store_close(&st);
    gn_free(out);
    pgx_vcf_free(v);
    pgx_data_free(&data);
    return rc < 0 ? cli_fail(&err) : rc;
}
