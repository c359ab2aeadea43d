/*
 * cmd_pgx.c — `genomenode pgx --vcf FILE [--sample ID] [--format json|tsv] [--data DIR]`:
 * star-allele diplotypes and phenotypes of one sample from a VCF.
 *
 * The report lists every gene of the definitions: all top-scoring diplotypes, the
 * phenotype and activity score, the missing positions by name (never assumed
 * reference), REF mismatches, undocumented alleles and uncallable alleles, and the data
 * versions used. JSON is built with jansson; TSV has one line per gene.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pgx_def.h"
#include "pgx_match.h"
#include "pgx_pheno.h"
#include "pgx_vcf.h"

struct pgx_opt {
    const char *vcf, *sample, *format, *data;
};

static int parse_opts(int argc, char **argv, struct pgx_opt *o)
{
    static const struct option opts[] = {{"vcf", required_argument, 0, 'v'},
                                         {"sample", required_argument, 0, 's'},
                                         {"format", required_argument, 0, 'f'},
                                         {"data", required_argument, 0, 'd'},
                                         {0, 0, 0, 0}};
    int c;
    memset(o, 0, sizeof *o);
    o->format = "json";
    o->data = getenv("GENOMENODE_PGX_DATA") ? getenv("GENOMENODE_PGX_DATA") : "data/pgx";
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
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
        default:
            return cli_usage_error("pgx", "unknown option%s", "");
        }
    }
    if (!o->vcf)
        return cli_usage_error("pgx", "--vcf FILE is required (store input: %s)", "not yet");
    if (strcmp(o->format, "json") && strcmp(o->format, "tsv"))
        return cli_usage_error("pgx", "--format must be json or tsv, not '%s'", o->format);
    if (optind != argc) return cli_usage_error("pgx", "unexpected argument '%s'", argv[optind]);
    return 0;
}

/* "chr7:99652770 rs776746" for position i of g, into buf. */
static const char *pos_name(const struct pgx_gene *g, uint32_t i, char *buf, size_t n)
{
    (void)snprintf(buf, n, "%s:%lld%s%s", g->pos[i].chrom, (long long)g->pos[i].pos,
                   g->pos[i].rsid ? " " : "", g->pos[i].rsid ? g->pos[i].rsid : "");
    return buf;
}

static json_t *pos_list(const struct pgx_gene *g, const uint32_t *idx, uint32_t n)
{
    json_t *a = json_array();
    char buf[256];
    for (uint32_t k = 0; a && k < n; k++)
        json_array_append_new(a, json_string(pos_name(g, idx[k], buf, sizeof buf)));
    return a;
}

/* The phenotype of a match: shared by every tied diplotype, else "Indeterminate". */
static void phenotype_of(const struct pgx_phenos *ph, const struct pgx_match *m,
                         struct pgx_pheno *p)
{
    memset(p, 0, sizeof *p);
    if (m->by_variant) {
        (void)pgx_pheno_by_variant(ph, m, p);
        return;
    }
    for (uint32_t d = 0; d < m->n_dips; d++) {
        struct pgx_pheno q;
        (void)pgx_pheno_diplotype(ph, m->gene->name, m->dips[d].hap[0], m->dips[d].hap[1], &q);
        if (d == 0) {
            *p = q;
        } else if (strcmp(p->phenotype, q.phenotype) || p->activity_x100 != q.activity_x100) {
            (void)snprintf(p->phenotype, sizeof p->phenotype, "Indeterminate");
            p->has_activity = 0;
        }
    }
    if (!m->n_dips && !p->phenotype[0])
        (void)snprintf(p->phenotype, sizeof p->phenotype, "%s", "No call");
}

static json_t *gene_json(const struct pgx_match *m, const struct pgx_pheno *p)
{
    const struct pgx_gene *g = m->gene;
    json_t *o = json_object(), *dips = json_array(), *vars = json_array(), *unc = json_array();
    for (uint32_t d = 0; d < m->n_dips; d++)
        json_array_append_new(dips, json_string(m->dips[d].name));
    for (uint32_t v = 0; v < m->n_vars; v++) {
        char buf[512];
        (void)snprintf(buf, sizeof buf, "%s (%s)", m->vars[v].name,
                       m->vars[v].copies == 2 ? "homozygous" : "heterozygous");
        json_array_append_new(vars, json_string(buf));
    }
    for (uint32_t k = 0; k < m->n_uncallable; k++)
        json_array_append_new(unc, json_string(g->alleles[m->uncallable[k]].name));
    json_object_set_new(o, "gene", json_string(g->name));
    json_object_set_new(o, "source", json_string("vcf"));
    json_object_set_new(o, "diplotypes", dips);
    json_object_set_new(o, "phenotype", p->phenotype[0] ? json_string(p->phenotype) : json_null());
    json_object_set_new(o, "activity_score",
                        p->has_activity ? json_real(p->activity_x100 / 100.0) : json_null());
    json_object_set_new(o, "missing_positions", pos_list(g, m->missing, m->n_missing));
    json_object_set_new(o, "ref_mismatches", pos_list(g, m->mismatch, m->n_mismatch));
    json_object_set_new(o, "undocumented_alleles", pos_list(g, m->undocumented, m->n_undocumented));
    json_object_set_new(o, "uncallable_alleles", unc);
    json_object_set_new(o, "variants_found", vars);
    json_object_set_new(o, "phased", json_boolean(m->phased));
    if (m->fallback) json_object_set_new(o, "note", json_string("called from rs4149056 alone"));
    if (m->missing_required)
        json_object_set_new(o, "note", json_string("a required position is missing: no call"));
    return o;
}

static void print_tsv_line(const struct pgx_match *m, const struct pgx_pheno *p)
{
    printf("%s\t", m->gene->name);
    for (uint32_t d = 0; d < m->n_dips; d++)
        printf("%s%s", d ? ";" : "", m->dips[d].name);
    for (uint32_t v = 0; v < m->n_vars && m->by_variant; v++)
        printf("%s%s", v ? ";" : "", m->vars[v].name);
    printf("\t%s\t", p->phenotype);
    if (p->has_activity) printf("%.2f", p->activity_x100 / 100.0);
    printf("\t%u\n", m->n_missing);
}

int cmd_pgx(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct pgx_opt o;
    struct pgx_defs *defs = NULL;
    struct pgx_phenos *ph = NULL;
    struct pgx_vcf *v = NULL;
    json_t *out = NULL, *genes = NULL;
    char dir[4096];
    int rc;

    if (cli_wants_help(argc, argv)) return cli_print_help("pgx");
    if ((rc = parse_opts(argc, argv, &o))) return rc;
    (void)snprintf(dir, sizeof dir, "%s/definition", o.data);
    if ((rc = pgx_defs_load(dir, &defs, &err)) < 0) goto fail;
    (void)snprintf(dir, sizeof dir, "%s/phenotype", o.data);
    if ((rc = pgx_phenos_load(dir, &ph, &err)) < 0) goto fail;
    if ((rc = pgx_vcf_read(o.vcf, o.sample, defs, &v, &err)) < 0) goto fail;
    out = json_object();
    genes = json_array();
    json_object_set_new(out, "sample", json_string(pgx_vcf_sample(v)));
    json_object_set_new(out, "definition_version", json_string(defs->version));
    json_object_set_new(out, "phenotype_version",
                        json_string(pgx_phenos_version(ph, "CYP2C19")
                                        ? pgx_phenos_version(ph, "CYP2C19")
                                        : "unknown"));
    if (!strcmp(o.format, "tsv")) {
        printf("# sample %s; definitions %s\n", pgx_vcf_sample(v), defs->version);
        printf("gene\tdiplotypes\tphenotype\tactivity_score\tmissing_positions\n");
    }
    for (uint32_t g = 0; g < defs->n; g++) {
        struct pgx_match m;
        struct pgx_pheno p;
        if ((rc = pgx_match_gene(defs->genes[g], pgx_vcf_obs(v, g), &m, &err)) < 0) {
            pgx_match_reset(&m);
            goto fail;
        }
        phenotype_of(ph, &m, &p);
        if (!strcmp(o.format, "tsv"))
            print_tsv_line(&m, &p);
        else
            json_array_append_new(genes, gene_json(&m, &p));
        pgx_match_reset(&m);
    }
    json_object_set_new(out, "genes", genes);
    if (!strcmp(o.format, "json")) {
        char *s = json_dumps(out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        if (s) printf("%s\n", s);
        free(s);
    }
    json_decref(out);
    pgx_vcf_free(v);
    pgx_phenos_free(ph);
    pgx_defs_free(defs);
    return 0;
fail:
    json_decref(out);
    pgx_vcf_free(v);
    pgx_phenos_free(ph);
    pgx_defs_free(defs);
    return cli_fail(&err);
}
