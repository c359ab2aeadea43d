/*
 * cmd_pgx.c — `genomenode pgx`: one patient's star-allele diplotypes, phenotypes and drug
 * recommendations, from a VCF or from the node's genotype store, plus outside calls.
 *
 *   genomenode pgx --vcf FILE [--sample ID] [--outside FILE] [--drug NAME]
 *                  [--format json|html|tsv] [--data DIR]
 *   genomenode pgx DIR --sample ID [...]           (the store; through policy, audited)
 *   genomenode pgx DIR --all [--format tsv]        (phenotype frequencies of everyone allowed)
 *
 * Gathering is here; the writers are in pgx_out.c. Each gene's result comes from the
 * matcher (source "vcf"/"store") unless the outside-call file names the gene, which then
 * overrides it (source "outside", as PharmCAT does). The drug answers come from
 * pgx_guide over every gene result; without --drug, every guideline with a gene that has a
 * result is answered.
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
    const char *vcf, *sample, *format, *data, *drug, *outside, *dir;
    int all;
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
    if (strcmp(o->format, "json") && strcmp(o->format, "tsv") && strcmp(o->format, "html"))
        return cli_usage_error("pgx", "--format must be json, html or tsv, not '%s'", o->format);
    return 0;
}

const char *pgx_cli_score(int x100, char *buf, size_t n)
{
    if (x100 % 10 == 0)
        (void)snprintf(buf, n, "%d.%d", x100 / 100, (x100 % 100) / 10);
    else
        (void)snprintf(buf, n, "%d.%02d", x100 / 100, x100 % 100);
    return buf;
}

const char *pgx_cli_pos_name(const struct pgx_gene *g, uint32_t i, char *buf, size_t n)
{
    (void)snprintf(buf, n, "%s:%lld%s%s", g->pos[i].chrom, (long long)g->pos[i].pos,
                   g->pos[i].rsid ? " " : "", g->pos[i].rsid ? g->pos[i].rsid : "");
    return buf;
}

static void append(char *dst, size_t cap, const char *sep, const char *s)
{
    size_t used = strlen(dst);
    if (used + 1 < cap) (void)snprintf(dst + used, cap - used, "%s%s", used && sep ? sep : "", s);
}

void pgx_cli_phenotype(const struct pgx_phenos *ph, const struct pgx_match *m, struct pgx_pheno *p,
                       char *why, size_t n)
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
            (void)snprintf(why, n, "%u tied diplotypes differ in phenotype", m->n_dips);
        }
    }
    if (!m->n_dips && !p->phenotype[0])
        (void)snprintf(p->phenotype, sizeof p->phenotype, "No call");
}

/* An allele function as DPWG writes it. The CPIC tables of CYP2C9 and DPYD give activity
 * values instead ("1.0", "0.5", "0.0"): CPIC's own function terms for those values. */
static const char *function_term(const char *f)
{
    if (!((f[0] >= '0' && f[0] <= '9') && f[1] == '.')) return f;
    if (f[0] >= '1') return "Normal function";
    return !strcmp(f, "0.0") ? "No function" : "Decreased function";
}

static void pair(char *dst, size_t n, const char *a, const char *b)
{
    int swap = strcmp(a, b) > 0;
    (void)snprintf(dst, n, "%s/%s", swap ? b : a, swap ? a : b);
}

/* The allele-function pairs DPWG rows are matched on, most specific first: with one
 * diplotype, DPWG's allele-specific terms ("Decreased function (CYP2C9*2)") for both
 * alleles, then for one, then the plain terms. */
static void function_pairs(struct pgx_gene_res *gr)
{
    const char *f0 = function_term(gr->p.function[0]), *f1 = function_term(gr->p.function[1]);
    const struct pgx_dip *d = gr->m.n_dips == 1 && !gr->m.by_variant ? &gr->m.dips[0] : NULL;
    const char *h0 = d ? d->hap[0] : gr->oc ? gr->oc->hap[0] : NULL;
    const char *h1 = d ? d->hap[1] : gr->oc ? gr->oc->hap[1] : NULL;
    char s0[PGX_CLI_FN_TEXT], s1[PGX_CLI_FN_TEXT];
    size_t n = sizeof gr->functions[0];
    int k = 0;
    memset(gr->functions, 0, sizeof gr->functions);
    if (!gr->p.function[0][0] || !gr->p.function[1][0]) return;
    if (h0 && h1 && h0[0] == '*' && h1[0] == '*') {
        (void)snprintf(s0, sizeof s0, "%s (%s%s)", f0, gr->gene, h0);
        (void)snprintf(s1, sizeof s1, "%s (%s%s)", f1, gr->gene, h1);
        pair(gr->functions[k++], n, s0, s1);
        pair(gr->functions[k++], n, s0, f1);
        pair(gr->functions[k++], n, f0, s1);
    }
    pair(gr->functions[k], n, f0, f1);
}

/* The lookup view of a gene result whose phenotype (and keys, for HLA) are set. */
static void finish_lookup(const struct pgx_report *r, struct pgx_gene_res *gr, int known)
{
    struct pgx_guide_gene *gg = &gr->gg;
    int scores = pgx_pheno_has_scores(r->ph, gr->gene);
    memset(gg, 0, sizeof *gg);
    gg->gene = gr->gene;
    gg->known = known;
    if (known && strncmp(gr->gene, "HLA-", 4)) {
        if (scores)
            (void)snprintf(gr->keys[0], sizeof gr->keys[0], "%s",
                           gr->p.has_activity
                               ? pgx_cli_score(gr->p.activity_x100, gr->keys[1], sizeof gr->keys[1])
                               : "n/a");
        else
            (void)snprintf(gr->keys[0], sizeof gr->keys[0], "%s", gr->phenotype);
        gr->keys[1][0] = 0;
    }
    for (uint32_t k = 0; known && k < PGX_GUIDE_MAX_KEYS && gr->keys[k][0]; k++)
        gg->keys[gg->n_keys++] = gr->keys[k];
    gg->has_activity = gr->p.has_activity;
    gg->activity_x100 = gr->p.activity_x100;
    gg->determinate =
        known && strcmp(gr->phenotype, "Indeterminate") && (!scores || gr->p.has_activity);
    if (gg->determinate) gr->why[0] = 0;
    if (known && scores && !gr->p.has_activity && !gr->why[0])
        (void)snprintf(gr->why, sizeof gr->why, "no activity score for %s", gr->gene);
    function_pairs(gr);
    for (uint32_t k = 0; k < 4 && gr->functions[k][0]; k++)
        gg->functions[gg->n_functions++] = gr->functions[k];
    gg->why = gr->why[0] ? gr->why : NULL;
}

/* A gene called by the matcher (VCF or store). */
static void fill_from_match(const struct pgx_report *r, struct pgx_gene_res *gr)
{
    const struct pgx_match *m = &gr->m;
    int called = m->n_dips > 0 || m->by_variant;
    char buf[256];
    pgx_cli_phenotype(r->ph, m, &gr->p, gr->why, sizeof gr->why);
    (void)snprintf(gr->phenotype, sizeof gr->phenotype, "%s", called ? gr->p.phenotype : "No call");
    if (!called) {
        if (m->missing_required)
            (void)snprintf(gr->why, sizeof gr->why, "a required position is missing");
        else if (m->n_missing)
            (void)snprintf(gr->why, sizeof gr->why, "not called; %u definition positions missing",
                           m->n_missing);
        else
            (void)snprintf(gr->why, sizeof gr->why,
                           "not called; the genotypes fit no named allele");
        for (uint32_t k = 0; k < m->n_missing && k < 4; k++)
            append(gr->why, sizeof gr->why, k ? ", " : ": ",
                   pgx_cli_pos_name(m->gene, m->missing[k], buf, sizeof buf));
        if (m->n_missing > 4) append(gr->why, sizeof gr->why, NULL, ", …");
    }
    if (m->fallback) (void)snprintf(gr->note, sizeof gr->note, "called from rs4149056 alone");
    if (called && !strcmp(gr->gene, "CYP2D6")) {
        /* As PharmCAT by default: SNVs and indels cannot see CYP2D6 copy number (*5
         * deletion, duplications, hybrids), so the call is shown but not used for drugs. */
        (void)snprintf(gr->why, sizeof gr->why,
                       "CYP2D6 from SNVs/indels cannot see copy number; not used for "
                       "recommendations without an outside call (--outside)");
        (void)snprintf(gr->note, sizeof gr->note, "%s", gr->why);
        called = 0;
    }
    finish_lookup(r, gr, called);
}

struct hla_ctx {
    struct pgx_gene_res *gr;
    uint32_t n;
};

/* "*57:01" carried by allele a ("*57:01", "*57:01:01", "HLA-B*57:01")? */
static int hla_carries(const char *a, const char *want)
{
    const char *star = strchr(a, '*');
    size_t n = strlen(want);
    return star && !strncmp(star, want, n) && (star[n] == 0 || star[n] == ':');
}

static void hla_status(const char *value, void *arg)
{
    struct hla_ctx *h = arg;
    const struct pgx_outside_call *oc = h->gr->oc;
    size_t n = strlen(value);
    char allele[64];
    if (n < 10 || n > 60 || strcmp(value + n - 9, " positive") || h->n >= PGX_GUIDE_MAX_KEYS)
        return;
    (void)snprintf(allele, sizeof allele, "%.*s", (int)(n - 9), value);
    (void)snprintf(h->gr->keys[h->n], sizeof h->gr->keys[0], "%s %s", allele,
                   hla_carries(oc->hap[0], allele) ||
                           (oc->hap[1][0] && hla_carries(oc->hap[1], allele))
                       ? "positive"
                       : "negative");
    append(h->gr->phenotype, sizeof h->gr->phenotype, ", ", h->gr->keys[h->n]);
    h->n++;
}

struct value_find {
    const char *want;
    const char *found;
    uint32_t n;
};

static void value_find_cb(const char *value, void *arg)
{
    struct value_find *f = arg;
    f->n++;
    if (!strcasecmp(value, f->want)) f->found = value;
}

/* An outside phenotype must be one the guidelines know for the gene (when they know any):
 * a misspelt phenotype would otherwise silently match nothing. */
static int check_phenotype(const struct pgx_report *r, const struct pgx_outside_call *oc,
                           const char *path, const char **canon, struct gn_err *err)
{
    struct value_find f = {oc->phenotype, NULL, 0};
    (void)pgx_guides_values(r->guides, oc->gene, value_find_cb, &f);
    *canon = f.found ? f.found : oc->phenotype;
    if (f.n && !f.found && !pgx_pheno_has_scores(r->ph, oc->gene))
        return gn_errf(err, GN_EPARSE,
                       "%s: line %u: '%s' is not a phenotype of %s in the guidelines", path,
                       oc->line, oc->phenotype, oc->gene);
    return GN_OK;
}

static int outside_hla(const struct pgx_report *r, struct pgx_gene_res *gr, const char *path,
                       struct gn_err *err)
{
    const struct pgx_outside_call *oc = gr->oc;
    struct hla_ctx h = {gr, 0};
    const char *canon;
    int rc;
    if (oc->diplotype[0] &&
        (!strchr(oc->hap[0], '*') || (oc->hap[1][0] && !strchr(oc->hap[1], '*'))))
        return gn_errf(err, GN_EPARSE, "%s: line %u: HLA alleles are written *57:01, not '%s'",
                       path, oc->line, oc->diplotype);
    if (oc->diplotype[0]) (void)pgx_guides_values(r->guides, oc->gene, hla_status, &h);
    if (oc->phenotype[0]) {
        if ((rc = check_phenotype(r, oc, path, &canon, err)) < 0) return rc;
        if (h.n)
            (void)snprintf(gr->note, sizeof gr->note, "phenotype given; diplotype statuses were %s",
                           gr->phenotype);
        (void)snprintf(gr->keys[0], sizeof gr->keys[0], "%s", canon);
        gr->keys[1][0] = 0;
        (void)snprintf(gr->phenotype, sizeof gr->phenotype, "%s", canon);
    }
    finish_lookup(r, gr, 1);
    return GN_OK;
}

/* Looks an outside allele up; MT-RNR1 calls are accepted with or without the "m." prefix. */
static int outside_diplotype(const struct pgx_report *r, struct pgx_gene_res *gr, const char *path,
                             struct gn_err *err)
{
    const struct pgx_outside_call *oc = gr->oc;
    char h[2][PGX_OUTSIDE_FIELD + 2];
    for (int k = 0; k < 2; k++) {
        struct pgx_pheno q;
        (void)snprintf(h[k], sizeof h[k], "%s", oc->hap[k]);
        if (!h[k][0]) continue;
        (void)pgx_pheno_diplotype(r->ph, oc->gene, h[k], NULL, &q);
        if (!q.function[0][0] && strncmp(h[k], "m.", 2)) {
            (void)snprintf(h[k], sizeof h[k], "m.%s", oc->hap[k]);
            (void)pgx_pheno_diplotype(r->ph, oc->gene, h[k], NULL, &q);
        }
        if (!q.function[0][0])
            return gn_errf(err, GN_EPARSE, "%s: line %u: %s allele '%s' is not in the CPIC table",
                           path, oc->line, oc->gene, oc->hap[k]);
    }
    (void)pgx_pheno_diplotype(r->ph, oc->gene, h[0], h[1][0] ? h[1] : NULL, &gr->p);
    (void)snprintf(gr->phenotype, sizeof gr->phenotype, "%s", gr->p.phenotype);
    return GN_OK;
}

static int apply_outside(const struct pgx_report *r, struct pgx_gene_res *gr, const char *path,
                         struct gn_err *err)
{
    const struct pgx_outside_call *oc = gr->oc;
    int scores = pgx_pheno_has_scores(r->ph, oc->gene), rc;
    char buf[32];
    const char *canon;
    pgx_match_reset(&gr->m);
    memset(&gr->p, 0, sizeof gr->p);
    gr->source = "outside";
    gr->phenotype[0] = gr->why[0] = gr->note[0] = gr->keys[0][0] = 0;
    if (!strncmp(oc->gene, "HLA-", 4)) return outside_hla(r, gr, path, err);
    if (oc->diplotype[0] && pgx_pheno_has_gene(r->ph, oc->gene) &&
        (rc = outside_diplotype(r, gr, path, err)) < 0)
        return rc;
    if (oc->has_activity && scores) {
        struct pgx_pheno q;
        (void)pgx_pheno_of_score(r->ph, oc->gene, oc->activity_x100, &q);
        if (oc->diplotype[0] && (!gr->p.has_activity || gr->p.activity_x100 != oc->activity_x100))
            (void)snprintf(gr->note, sizeof gr->note,
                           "the activity score given overrides the diplotype's (%s)",
                           gr->p.has_activity ? pgx_cli_score(gr->p.activity_x100, buf, sizeof buf)
                                              : "n/a");
        memcpy(q.function, gr->p.function, sizeof q.function);
        gr->p = q;
        (void)snprintf(gr->phenotype, sizeof gr->phenotype, "%s", q.phenotype);
    } else if (oc->has_activity) {
        (void)snprintf(gr->note, sizeof gr->note,
                       "activity score ignored: %s is not an activity-score gene", oc->gene);
    }
    if (oc->phenotype[0]) {
        if ((rc = check_phenotype(r, oc, path, &canon, err)) < 0) return rc;
        if (gr->phenotype[0] && strcasecmp(gr->phenotype, canon))
            (void)snprintf(gr->note, sizeof gr->note, "phenotype given overrides '%s'",
                           gr->phenotype);
        if (scores && !oc->has_activity && !oc->diplotype[0]) {
            gr->p.has_activity =
                pgx_pheno_score_of(r->ph, oc->gene, canon, &gr->p.activity_x100) == GN_OK;
            if (!gr->p.has_activity)
                (void)snprintf(gr->why, sizeof gr->why,
                               "phenotype '%s' spans several activity scores; give the score",
                               canon);
        }
        if (!scores || !oc->has_activity)
            (void)snprintf(gr->phenotype, sizeof gr->phenotype, "%s", canon);
    }
    finish_lookup(r, gr, 1);
    return GN_OK;
}

/* Outside genes must be genes genomenode knows: a definition, a phenotype table or a guideline. */
static int outside_gene_known(const struct pgx_report *r, const char *gene)
{
    struct value_find f = {"", NULL, 0};
    if (pgx_defs_find(r->defs, gene) != NULL || pgx_pheno_has_gene(r->ph, gene)) return 1;
    (void)pgx_guides_values(r->guides, gene, value_find_cb, &f);
    return f.n > 0;
}

/* The gene results: every definition gene from obs(gene index), outside calls on top. */
static int gather_genes(struct pgx_report *r, const struct pgx_outside *out, const char *opath,
                        const struct pgx_obs *(*obs)(const void *src, uint32_t g), const void *src,
                        struct gn_err *err)
{
    int rc;
    for (uint32_t k = 0; out && k < out->n; k++) {
        if (!outside_gene_known(r, out->calls[k].gene))
            return gn_errf(err, GN_EPARSE, "%s: line %u: gene '%s' is not supported", opath,
                           out->calls[k].line, out->calls[k].gene);
    }
    for (uint32_t g = 0; g < r->defs->n; g++) {
        struct pgx_gene_res *gr = &r->genes[r->n_genes++];
        gr->gene = r->defs->genes[g]->name;
        gr->def = r->defs->genes[g];
        gr->source = r->input;
        if ((rc = pgx_match_gene(r->defs->genes[g], obs(src, g), &gr->m, err)) < 0) return rc;
        fill_from_match(r, gr);
        if (out && (gr->oc = pgx_outside_find(out, gr->gene)) &&
            (rc = apply_outside(r, gr, opath, err)) < 0)
            return rc;
    }
    for (uint32_t k = 0; out && k < out->n; k++) {
        struct pgx_gene_res *gr;
        if (pgx_defs_find(r->defs, out->calls[k].gene) != NULL) continue;
        gr = &r->genes[r->n_genes++];
        gr->gene = out->calls[k].gene;
        gr->oc = &out->calls[k];
        if ((rc = apply_outside(r, gr, opath, err)) < 0) return rc;
    }
    return GN_OK;
}

static int answer_cmp(const void *a, const void *b)
{
    const struct pgx_guide_answer *x = a, *y = b;
    int c = strcasecmp(x->drug, y->drug);
    return c ? c : strcmp(x->source, y->source);
}

/* The drug answers: --drug's guidelines, or every guideline with a gene that has a result. */
static int gather_drugs(struct pgx_report *r, const char *drug, struct gn_err *err)
{
    struct pgx_guide_gene gg[PGX_CLI_MAX_GENES];
    uint32_t n = pgx_guides_count(r->guides);
    for (uint32_t k = 0; k < r->n_genes; k++)
        gg[k] = r->genes[k].gg;
    if (!(r->drugs = gn_calloc(n ? n : 1, sizeof *r->drugs)))
        return gn_errf(err, GN_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        int relevant = 0;
        if (drug) {
            relevant = !strcasecmp(drug, pgx_guides_drug(r->guides, i));
        } else {
            for (uint32_t k = 0; k < pgx_guides_n_genes(r->guides, i) && !relevant; k++) {
                for (uint32_t j = 0; j < r->n_genes; j++)
                    relevant |=
                        gg[j].known && !strcmp(gg[j].gene, pgx_guides_gene(r->guides, i, k));
            }
        }
        if (relevant) pgx_guide_answer(r->guides, i, gg, r->n_genes, &r->drugs[r->n_drugs++]);
    }
    if (drug && !r->n_drugs)
        return gn_errf(err, GN_ENOTFOUND,
                       "unknown drug '%s': no CPIC or DPWG guideline names it (data/pgx/guideline)",
                       drug);
    qsort(r->drugs, r->n_drugs, sizeof *r->drugs, answer_cmp);
    return GN_OK;
}

static const struct pgx_obs *vcf_obs(const void *src, uint32_t g)
{
    return pgx_vcf_obs(src, g);
}

/* Definitions, phenotype tables and guidelines from the data directory. */
static int load_data(const char *data, struct pgx_defs **defs, struct pgx_phenos **ph,
                     struct pgx_guides **guides, struct gn_err *err)
{
    char dir[4096];
    int rc;
    (void)snprintf(dir, sizeof dir, "%s/definition", data);
    if ((rc = pgx_defs_load(dir, defs, err)) < 0) return rc;
    (void)snprintf(dir, sizeof dir, "%s/phenotype", data);
    if ((rc = pgx_phenos_load(dir, ph, err)) < 0) return rc;
    if (!guides) return GN_OK;
    (void)snprintf(dir, sizeof dir, "%s/guideline/guidelines.json", data);
    return pgx_guides_load(dir, guides, err);
}

static void report_reset(struct pgx_report *r)
{
    for (uint32_t k = 0; r->genes && k < r->n_genes; k++)
        pgx_match_reset(&r->genes[k].m);
    gn_free(r->genes);
    gn_free(r->drugs);
}

int cmd_pgx(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct pgx_opt o;
    struct pgx_defs *defs = NULL;
    struct pgx_phenos *ph = NULL;
    struct pgx_guides *guides = NULL;
    struct pgx_vcf *v = NULL;
    struct pgx_outside *out = NULL;
    struct pgx_report r;
    struct pgx_store_src st;
    int rc;

    memset(&r, 0, sizeof r);
    memset(&st, 0, sizeof st);
    if (cli_wants_help(argc, argv)) return cli_print_help("pgx");
    if ((rc = parse_opts(argc, argv, &o))) return rc;
    if ((rc = load_data(o.data, &defs, &ph, o.all ? NULL : &guides, &err)) < 0) goto done;
    if (o.all) {
        rc = pgx_cli_population(o.dir, &o.access, defs, ph, &err);
        goto done;
    }
    if (o.outside) {
        if (!(out = gn_calloc(1, sizeof *out))) {
            rc = gn_errf(&err, GN_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = pgx_outside_load(o.outside, out, &err)) < 0) goto done;
    }
    if (!(r.genes = gn_calloc(PGX_CLI_MAX_GENES, sizeof *r.genes))) {
        rc = gn_errf(&err, GN_ENOMEM, "out of memory");
        goto done;
    }
    r.defs = defs;
    r.ph = ph;
    r.guides = guides;
    if (o.vcf) {
        if ((rc = pgx_vcf_read(o.vcf, o.sample, defs, &v, &err)) < 0) goto done;
        r.sample = pgx_vcf_sample(v);
        r.input = "vcf";
        rc = gather_genes(&r, out, o.outside, vcf_obs, v, &err);
    } else {
        if ((rc = pgx_cli_store_open(&st, o.dir, o.sample, &o.access, defs, &err)) < 0) goto done;
        r.sample = o.sample;
        r.input = "store";
        if ((rc = gather_genes(&r, out, o.outside, pgx_cli_store_obs, &st, &err)) >= 0)
            rc = pgx_cli_store_done(&st, &err);
    }
    if (rc < 0 || (rc = gather_drugs(&r, o.drug, &err)) < 0) goto done;
    if (!strcmp(o.format, "tsv"))
        pgx_out_tsv(&r);
    else if (!strcmp(o.format, "html"))
        pgx_out_html(&r);
    else
        pgx_out_json(&r);
    rc = 0;
done:
    report_reset(&r);
    pgx_cli_store_close(&st);
    gn_free(out);
    pgx_vcf_free(v);
    pgx_guides_free(guides);
    pgx_phenos_free(ph);
    pgx_defs_free(defs);
    return rc < 0 ? cli_fail(&err) : rc;
}
