/*
 * cmd_hpo.c — the phenotype commands:
 *
 *   genomenode hpo build [--from DIR] [FILE...] [--out INDEX]
 *   genomenode hpo info [--index INDEX]
 *   genomenode hpo twins [--index INDEX]
 *   genomenode hpo eval --cases TSV [--max-terms N] [--max-excluded N] [--ties half|share|strict]
 *                       [--param K=V]... [--features FILE]
 *   genomenode rank [DIR --sample ID --gene-regions BED [--max-af F] [access options]]
 *                   --hpo HP:..,HP:.. [--exclude HP:..] [--genes SYM,..]
 *                   [--top N] [--format json|tsv] [--method M] [--index INDEX]
 *
 * The index defaults to $GENOMENODE_HPO_INDEX, else data/hpo/hpo.gnhpo; `hpo build`
 * without inputs reads data/hpo (the HPO 2025-01-16 release shipped with the code). Every
 * answer names the HPO release it was computed with, as the HPO licence asks.
 *
 * With a node DIR and --sample, the sample's genotypes in the BED's gene regions are read
 * from the store through policy (record level, one sample, like `genotypes --sample`, and
 * audited by policy_done naming the person's pseudonym); genes where it carries an allele
 * rarer than --max-af in the node (generegion.h) join the --genes as candidate genes.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "cli.h"
#include "fsutil.h"
#include "generegion.h"
#include "hpo.h"
#include "hpo_rank.h"
#include "hpo_src.h"
#include "hpo_twin.h"
#include "phenopacket.h"
#include "strparse.h"

#define HPO_DEFAULT_DIR "data/hpo"
#define HPO_MAX_QUERY   1024u /* terms or genes in one query */
#define HPO_ATTRIBUTION                                                                            \
    "Human Phenotype Ontology (https://hpo.jax.org), Robinson lab / Monarch Initiative"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- hpo build / info ------------------------------------------------------------------ */

static void print_stats(const struct hpo *h, const struct hpo_src_stats *st, double ms,
                        const char *out)
{
    printf("HPO %s (%s)\n", hpo_str(h, h->version), hpo_str(h, h->source));
    printf("terms %u (obsolete %u, alternative ids %u), is_a edges %u (%u dropped)\n", st->terms,
           st->obsolete, st->alt_ids, st->edges, st->edges_unknown);
    printf("diseases %u, annotations %u (%u with frequency, %u NOT), genes %u, disease-gene "
           "links %u, gene-phenotype links %u\n",
           st->diseases, st->annotations, st->with_frequency, st->not_annotations, st->genes,
           st->disease_genes, st->gene_terms);
    printf("onset: %u diseases with onset bands (from %u onset rows)\n", st->with_onset,
           st->onset_annotations);
    printf("annotation rows: %u moved from obsolete/alternative ids, %u unknown terms dropped, "
           "%u non-phenotype (inheritance, modifier, ...) dropped; %u mim2gene rows without an "
           "annotated disease\n",
           st->ann_remapped, st->ann_unknown_term, st->ann_not_phenotype, st->mim_without_disease);
    printf("wrote %s in %.0f ms\n", out, ms);
}

static int hpo_build(int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, 0, 'f'}, {"out", required_argument, 0, 'o'}, {0, 0, 0, 0}};
    struct gn_err err = GN_ERR_INIT;
    struct hpo_src *s = NULL;
    struct hpo *h = NULL;
    struct hpo_src_stats st;
    const char *from = NULL, *out = cli_hpo_index(NULL);
    double t0 = now_ms();
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'f')
            from = optarg;
        else if (c == 'o')
            out = optarg;
        else
            return cli_usage_error("hpo", "unknown option%s", "");
    }
    if ((rc = hpo_src_new(&s, &err)) < 0) goto fail;
    if (optind == argc && (rc = hpo_src_add_dir(s, from ? from : HPO_DEFAULT_DIR, &err)) < 0)
        goto fail;
    if (optind < argc && from) return cli_usage_error("hpo", "--from DIR or FILEs, not both%s", "");
    for (int i = optind; i < argc; i++) {
        int kind = hpo_src_kind_of(argv[i]);
        if (kind < 0)
            return cli_usage_error("hpo", "cannot tell the format of '%s' from its name", argv[i]);
        if ((rc = hpo_src_add_file(s, (enum hpo_src_kind)kind, argv[i], &err)) < 0) goto fail;
    }
    if ((rc = hpo_src_build(s, &h, &st, &err)) < 0) goto fail;
    if (h->n_dis == 0) {
        rc = gn_errf(&err, GN_EINVAL, "no disease annotations in the inputs");
        goto fail;
    }
    if ((rc = hpo_save(h, out, &err)) < 0) goto fail;
    print_stats(h, &st, now_ms() - t0, out);
    hpo_free(h);
    hpo_src_free(s);
    return 0;
fail:
    hpo_free(h);
    hpo_src_free(s);
    return cli_fail(&err);
}

static int hpo_info(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct hpo *h = NULL;
    struct hpo_ranker *r = NULL;
    const char *index = argc > 2 && !strcmp(argv[1], "--index") ? argv[2] : cli_hpo_index(NULL);
    double t0 = now_ms(), t1;
    if (cli_hpo_load(index, &h, &err) < 0) return cli_fail(&err);
    t1 = now_ms();
    if (hpo_ranker_new(h, NULL, &r, &err) < 0) {
        hpo_free(h);
        return cli_fail(&err);
    }
    printf("{\"hpo_version\": \"%s\", \"source\": \"%s\", \"terms\": %u, \"diseases\": %u, "
           "\"annotations\": %u, \"genes\": %u, \"twins\": %u, \"load_ms\": %.1f, "
           "\"ranker_ms\": %.1f}\n",
           hpo_str(h, h->version), hpo_str(h, h->source), h->n_terms, h->n_dis, h->dt_off[h->n_dis],
           h->n_genes, hpo_rank_n_twins(r), t1 - t0, now_ms() - t1);
    hpo_ranker_free(r);
    hpo_free(h);
    return 0;
}

/* hpo twins: the OMIM/Orphanet pairs the default ranker lists as one disease, one per line
 * (TSV: omim_id omim_label orpha_id orpha_label pass), for a curator to audit. */
static int hpo_twins(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct hpo_rank_params p;
    struct hpo_twins tw;
    struct hpo *h = NULL;
    const char *index = argc > 2 && !strcmp(argv[1], "--index") ? argv[2] : cli_hpo_index(NULL);
    int rc;
    if (argc > 1 && !(argc == 3 && !strcmp(argv[1], "--index")))
        return cli_usage_error("hpo", "twins takes only --index INDEX%s", "");
    if (cli_hpo_load(index, &h, &err) < 0) return cli_fail(&err);
    hpo_rank_params_default(&p);
    if ((rc = hpo_twins_find(h, (int)p.twins, &tw)) < 0) {
        (void)gn_errf(&err, rc, "HPO twins: %s", gn_strerror(rc));
        hpo_free(h);
        return cli_fail(&err);
    }
    printf("# HPO %s\nomim_id\tomim_label\torpha_id\torpha_label\tpass\n", hpo_str(h, h->version));
    for (uint32_t i = 0; i < tw.n_pairs; i++) {
        uint32_t a = tw.pair_omim[i], b = tw.twin[a];
        printf("%s\t%s\t%s\t%s\t%u\n", hpo_str(h, h->dis_id[a]), hpo_str(h, h->dis_label[a]),
               hpo_str(h, h->dis_id[b]), hpo_str(h, h->dis_label[b]), (unsigned)tw.pair_pass[i]);
    }
    hpo_twins_free(&tw);
    hpo_free(h);
    return 0;
}

/* ---- query terms -------------------------------------------------------------------------- */

struct term_list {
    uint32_t v[HPO_MAX_QUERY];
    uint32_t n;
};

/* Resolves the HPO ids in s (separated by ',' ';' or spaces) into l. Unknown ids and
 * non-phenotype terms are warned about and skipped, obsolete ones mapped; a malformed id
 * is an error. An onset term (HP:0003593 Infantile onset) adds its bands to *onset when
 * onset is not NULL. warn (may be NULL) collects the warnings as JSON strings. */
static int parse_terms(const struct hpo *h, const char *s, size_t n, struct term_list *l,
                       uint16_t *onset, json_t *warn, int quiet, struct gn_err *err)
{
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *e = p;
        char msg[600], q[STRPARSE_QUOTE_MAX], b1[16], b2[16];
        enum hpo_resolved how;
        uint16_t bands;
        int t;
        while (e < end && *e != ',' && *e != ';' && *e != ' ')
            e++;
        if (e == p) {
            p++;
            continue;
        }
        t = hpo_resolve(h, p, (size_t)(e - p), &how, err);
        msg[0] = 0;
        if (t == GN_EPARSE) return t;
        if (t < 0) {
            (void)snprintf(msg, sizeof msg, "%s; ignored", err->msg);
        } else if (how == HPO_RESOLVED_REPLACED || how == HPO_RESOLVED_ALT) {
            (void)snprintf(msg, sizeof msg, "%s is %s; using %s (%s)",
                           strparse_quote(q, p, (size_t)(e - p)),
                           how == HPO_RESOLVED_ALT ? "an alternative id" : "obsolete",
                           hpo_term_name(h, (uint32_t)t, b1), hpo_str(h, h->term_label[t]));
        } else if (!(h->term_flags[t] & HPO_TERM_PHENO) && onset &&
                   (bands = hpo_onset_bands(h, (uint32_t)t))) {
            *onset |= bands; /* the patient's onset, not a feature */
            t = -1;
        } else if (!(h->term_flags[t] & HPO_TERM_PHENO)) {
            (void)snprintf(msg, sizeof msg, "%s (%s) is not a phenotypic abnormality; ignored",
                           hpo_term_name(h, (uint32_t)t, b2), hpo_str(h, h->term_label[t]));
            t = -1;
        }
        if (msg[0] && !quiet) fprintf(stderr, "genomenode rank: warning: %s\n", msg);
        if (msg[0] && warn) json_array_append_new(warn, json_string(msg));
        if (t >= 0) {
            uint32_t k = 0;
            while (k < l->n && l->v[k] != (uint32_t)t)
                k++;
            if (k == l->n) {
                if (l->n == HPO_MAX_QUERY)
                    return gn_errf(err, GN_ELIMIT, "more than %u terms", HPO_MAX_QUERY);
                l->v[l->n++] = (uint32_t)t;
            }
        }
        p = e;
    }
    return GN_OK;
}

/* The onset bands of an HPO onset term (HP:0003593) or an ISO 8601 age (P6M) in the n bytes
 * at s. GN_EPARSE / GN_ENOTFOUND / GN_EINVAL (a term that is not an onset) with a message. */
static int parse_onset(const struct hpo *h, const char *s, size_t n, uint16_t *bands,
                       struct gn_err *err)
{
    enum hpo_resolved how;
    enum hpo_onset_band b;
    char q[STRPARSE_QUOTE_MAX];
    int t, rc;
    if (n && s[0] == 'P') {
        if ((rc = hpo_onset_age(s, n, &b, err)) < 0) return rc;
        *bands = (uint16_t)(1u << b);
        return GN_OK;
    }
    if ((t = hpo_resolve(h, s, n, &how, err)) < 0) return t;
    if (!(*bands = hpo_onset_bands(h, (uint32_t)t)))
        return gn_errf(err, GN_EINVAL, "%s is not an onset term (HP:0003674) nor an age (P6M)",
                       strparse_quote(q, s, n));
    return GN_OK;
}

/* Every band up to the one of the age at examination: the onset cannot be later. */
static int parse_age(const char *s, uint16_t *bands, struct gn_err *err)
{
    enum hpo_onset_band b;
    int rc;
    if ((rc = hpo_onset_age(s, strlen(s), &b, err)) < 0) return rc;
    *bands = (uint16_t)((1u << (b + 1)) - 1u);
    return GN_OK;
}

/* A phenopacket's onset bands: its disease's onset, else its observed features' earliest
 * onset, else (*from_age = 1) every band up to the age at the last encounter; 0: unknown. */
static uint16_t pp_onset(const struct hpo *h, const struct phenopacket *pp, int *from_age)
{
    struct gn_err err = GN_ERR_INIT;
    uint16_t bands = 0, feat = 0, b;
    *from_age = 0;
    for (size_t i = 0; i < pp->n_dx && !bands; i++) {
        if (pp->dx[i].onset &&
            parse_onset(h, pp->dx[i].onset, strlen(pp->dx[i].onset), &b, &err) >= 0)
            bands = b;
    }
    for (size_t k = 0; k < pp->n_ph && !bands; k++) {
        const struct phenopacket_feature *f = &pp->ph[k]; /* the feature of earliest onset */
        uint16_t lo;
        if (f->excluded || !f->onset || parse_onset(h, f->onset, strlen(f->onset), &b, &err) < 0)
            continue;
        lo = (uint16_t)(b & (~b + 1u));
        if (!feat || lo < (uint16_t)(feat & (~feat + 1u))) feat = b;
    }
    if (!bands) bands = feat;
    if (!bands && pp->age_last && pp->age_last[0] == 'P' &&
        parse_age(pp->age_last, &b, &err) >= 0) {
        bands = b;
        *from_age = 1;
    }
    return bands;
}

/* --phenopacket FILE: its observed features into obs (an onset term among them into
 * *onset), its excluded ones into exc, and its onset bands into *pp_bands (*pp_age: they
 * come from the age at the last encounter). */
static int pp_query(const struct hpo *h, const char *file, struct term_list *obs,
                    struct term_list *exc, uint16_t *onset, uint16_t *pp_bands, int *pp_age,
                    json_t *warn, struct gn_err *err)
{
    struct phenopacket *pp = NULL;
    int rc = phenopacket_load(file, &pp, err);
    if (rc < 0) { /* name the file once (reading errors already do) */
        if (strncmp(err->msg, file, strlen(file))) gn_err_prefix(err, rc, "%s: ", file);
        goto out;
    }
    for (size_t k = 0; k < pp->n_ph; k++) {
        const struct phenopacket_feature *f = &pp->ph[k];
        if ((rc = parse_terms(h, f->term, strlen(f->term), f->excluded ? exc : obs,
                              f->excluded ? NULL : onset, warn, 0, err)) < 0)
            goto out;
    }
    *pp_bands = pp_onset(h, pp, pp_age);
out:
    phenopacket_free(pp);
    return rc;
}

static int parse_genes(const struct hpo *h, const char *s, struct term_list *l, json_t *warn,
                       int quiet, struct gn_err *err)
{
    const char *p = s, *end = s + strlen(s);
    while (p < end) {
        const char *e = p;
        char q[STRPARSE_QUOTE_MAX], msg[128];
        uint32_t g;
        while (e < end && *e != ',' && *e != ';' && *e != ' ')
            e++;
        if (e == p) {
            p++;
            continue;
        }
        g = hpo_gene_index(h, p, (size_t)(e - p));
        if (g == HPO_NONE) {
            (void)snprintf(msg, sizeof msg, "gene %s has no disease in HPO %s; ignored",
                           strparse_quote(q, p, (size_t)(e - p)), hpo_str(h, h->version));
            if (!quiet) fprintf(stderr, "genomenode rank: warning: %s\n", msg);
            if (warn) json_array_append_new(warn, json_string(msg));
        } else if (l->n < HPO_MAX_QUERY) {
            l->v[l->n++] = g;
        } else {
            return gn_errf(err, GN_ELIMIT, "more than %u genes", HPO_MAX_QUERY);
        }
        p = e;
    }
    return GN_OK;
}

static int parse_param(struct hpo_rank_params *p, const char *kv)
{
    static const struct {
        const char *k;
        size_t off;
    } keys[] = {{"freq_unknown", offsetof(struct hpo_rank_params, freq_unknown)},
                {"exc_unknown", offsetof(struct hpo_rank_params, exc_unknown)},
                {"exc_floor", offsetof(struct hpo_rank_params, exc_floor)},
                {"partial_scale", offsetof(struct hpo_rank_params, partial_scale)},
                {"partial_floor", offsetof(struct hpo_rank_params, partial_floor)},
                {"partial_cap", offsetof(struct hpo_rank_params, partial_cap)},
                {"not_lr", offsetof(struct hpo_rank_params, not_lr)},
                {"w_bma", offsetof(struct hpo_rank_params, w_bma)},
                {"w_set", offsetof(struct hpo_rank_params, w_set)},
                {"size_exp", offsetof(struct hpo_rank_params, size_exp)},
                {"w_rev", offsetof(struct hpo_rank_params, w_rev)},
                {"w_unshared", offsetof(struct hpo_rank_params, w_unshared)},
                {"twins", offsetof(struct hpo_rank_params, twins)},
                {"w_z", offsetof(struct hpo_rank_params, w_z)},
                {"w_exact", offsetof(struct hpo_rank_params, w_exact)},
                {"w_onset", offsetof(struct hpo_rank_params, w_onset)},
                {"onset_eps", offsetof(struct hpo_rank_params, onset_eps)},
                {"gene_log10", offsetof(struct hpo_rank_params, gene_log10)},
                {"gene_sim_bonus", offsetof(struct hpo_rank_params, gene_sim_bonus)}};
    const char *eq = strchr(kv, '=');
    char *end;
    double v;
    if (!eq) return -1;
    v = strtod(eq + 1, &end);
    if (*end || end == eq + 1) return -1;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strlen(keys[i].k) == (size_t)(eq - kv) && !strncmp(kv, keys[i].k, (size_t)(eq - kv))) {
            *(double *)((char *)p + keys[i].off) = v;
            return 0;
        }
    }
    return -1;
}

/* ---- rank --------------------------------------------------------------------------------- */

struct rank_opt {
    const char *hpo, *exclude, *genes, *sample, *format, *index;
    const char *onset, *age;   /* --onset TERM|AGE, --age AGE */
    const char *phenopacket;   /* --phenopacket FILE: terms, excluded terms and onset */
    const char *dir, *regions; /* node directory and gene-region BED of --sample */
    double max_af;
    struct cli_access acc;
    enum hpo_rank_method method;
    long top;
    struct hpo_rank_params p;
};

static int parse_method(const char *s, enum hpo_rank_method *m)
{
    for (int i = 0; i < HPO_RANK_N; i++) {
        if (!strcmp(s, hpo_rank_method_name((enum hpo_rank_method)i))) {
            *m = (enum hpo_rank_method)i;
            return 0;
        }
    }
    return -1;
}

static int rank_opts(int argc, char **argv, struct rank_opt *o)
{
    static const struct option opts[] = {{"hpo", required_argument, 0, 'h'},
                                         {"exclude", required_argument, 0, 'x'},
                                         {"genes", required_argument, 0, 'g'},
                                         {"sample", required_argument, 0, 's'},
                                         {"top", required_argument, 0, 'n'},
                                         {"format", required_argument, 0, 'f'},
                                         {"method", required_argument, 0, 'm'},
                                         {"index", required_argument, 0, 'i'},
                                         {"param", required_argument, 0, 'p'},
                                         {"gene-regions", required_argument, 0, 'r'},
                                         {"max-af", required_argument, 0, 'a'},
                                         {"onset", required_argument, 0, 'O'},
                                         {"age", required_argument, 0, 'A'},
                                         {"phenopacket", required_argument, 0, 'P'},
                                         CLI_ACCESS_OPTIONS,
                                         {0, 0, 0, 0}};
    int c;
    char *end;
    memset(o, 0, sizeof *o);
    o->max_af = 0.01;
    o->format = "json";
    o->index = cli_hpo_index(NULL);
    o->method = HPO_RANK_COMBINED;
    o->top = 10;
    hpo_rank_params_default(&o->p);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            o->hpo = optarg;
            break;
        case 'x':
            o->exclude = optarg;
            break;
        case 'g':
            o->genes = optarg;
            break;
        case 's':
            o->sample = optarg;
            break;
        case 'f':
            o->format = optarg;
            break;
        case 'i':
            o->index = optarg;
            break;
        case 'n':
            o->top = strtol(optarg, &end, 10);
            if (*end || o->top < 1)
                return cli_usage_error("rank", "--top N needs N >= 1, not '%s'", optarg);
            break;
        case 'm':
            if (parse_method(optarg, &o->method) < 0)
                return cli_usage_error(
                    "rank", "--method must be resnik, bma, lr, set or combined, not '%s'", optarg);
            break;
        case 'p':
            if (parse_param(&o->p, optarg) < 0)
                return cli_usage_error("rank", "bad --param '%s'", optarg);
            break;
        case 'r':
            o->regions = optarg;
            break;
        case 'O':
            o->onset = optarg;
            break;
        case 'A':
            o->age = optarg;
            break;
        case 'P':
            o->phenopacket = optarg;
            break;
        case 'a':
            o->max_af = strtod(optarg, &end);
            if (*end || end == optarg || !(o->max_af > 0 && o->max_af <= 1))
                return cli_usage_error("rank", "--max-af F needs 0 < F <= 1, not '%s'", optarg);
            break;
        default:
            if (!cli_access_opt(&o->acc, c, optarg))
                return cli_usage_error("rank", "unknown option%s", "");
        }
    }
    if (!o->hpo && !o->phenopacket)
        return cli_usage_error("rank", "--hpo HP:...,HP:... or --phenopacket FILE is required%s",
                               "");
    if (strcmp(o->format, "json") && strcmp(o->format, "tsv"))
        return cli_usage_error("rank", "--format must be json or tsv, not '%s'", o->format);
    if (optind < argc) o->dir = argv[optind++];
    if (optind != argc) return cli_usage_error("rank", "unexpected argument '%s'", argv[optind]);
    if (o->sample && (!o->dir || !o->regions))
        return cli_usage_error("rank", "--sample ID needs a node DIR and --gene-regions BED%s", "");
    if (!o->sample && (o->dir || o->regions))
        return cli_usage_error("rank", "a node DIR and --gene-regions go with --sample ID%s", "");
    return 0;
}

static json_t *term_json(const struct hpo *h, uint32_t t)
{
    char b[16];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(hpo_term_name(h, t, b)));
    json_object_set_new(o, "label", json_string(hpo_str(h, h->term_label[t])));
    return o;
}

static json_t *terms_json(const struct hpo *h, const struct term_list *l)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < l->n; i++)
        json_array_append_new(a, term_json(h, l->v[i]));
    return a;
}

static json_t *matches_json(const struct hpo *h, const struct hpo_match *m, uint32_t n)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < n; i++) {
        json_t *o = json_object();
        char b[16];
        json_object_set_new(o, "query", json_string(hpo_term_name(h, m[i].query, b)));
        json_object_set_new(o, "query_label", json_string(hpo_str(h, h->term_label[m[i].query])));
        json_object_set_new(o, "match", json_string(hpo_match_kind_name(m[i].kind)));
        if (m[i].dterm != HPO_NONE) {
            json_object_set_new(o, "disease_term", json_string(hpo_term_name(h, m[i].dterm, b)));
            json_object_set_new(o, "disease_term_label",
                                json_string(hpo_str(h, h->term_label[m[i].dterm])));
        }
        if (m[i].mica != HPO_NONE) {
            json_object_set_new(o, "common_ancestor", json_string(hpo_term_name(h, m[i].mica, b)));
            json_object_set_new(o, "ic", json_real(m[i].ic));
        }
        json_array_append_new(a, o);
    }
    return a;
}

/* "HP:0001250=exact;HP:0004322~HP:0000002" for the TSV: = exact/implied/specific, ~ partial. */
static void print_matches_tsv(const struct hpo *h, const struct hpo_match *m, uint32_t n)
{
    int first = 1;
    for (uint32_t i = 0; i < n; i++) {
        char b[16], c[16];
        if (m[i].kind == HPO_MATCH_NONE) continue;
        printf("%s%s:%s", first ? "" : ";", hpo_term_name(h, m[i].query, b),
               hpo_match_kind_name(m[i].kind));
        if (m[i].dterm != HPO_NONE && m[i].dterm != m[i].query)
            printf(":%s", hpo_term_name(h, m[i].dterm, c));
        first = 0;
    }
    if (first) printf("-");
}

/* ---- --sample: gene evidence from the node's store --------------------------------------- */

/* One rare allele of the sample in a gene's region. */
struct gene_var {
    char gene[GENEREGION_MAX_SYMBOL + 1];
    char *variant; /* CHROM:POS:REF:ALT, owned */
    char gt[48];
    uint32_t ac, an, own;
};

struct sample_ev {
    struct gene_var *v;
    uint32_t n, cap;
    uint32_t regions;
    uint64_t records; /* records read where the sample carries a non-reference allele */
    int threshold;    /* the node's small-count threshold (policy): other carriers' alleles
                       * between 1 and threshold - 1 hide the node's counts */
};

static void sample_ev_free(struct sample_ev *ev)
{
    for (uint32_t i = 0; i < ev->n; i++)
        gn_free(ev->v[i].variant);
    gn_free(ev->v);
    memset(ev, 0, sizeof *ev);
}

static int take_hit(void *ctx, const struct generegion_hit *hit)
{
    struct sample_ev *ev = ctx;
    size_t n = strlen(hit->chrom) + strlen(hit->ref) + strlen(hit->alt) + 24;
    char *v = gn_malloc(n);
    if (!v) return GN_ENOMEM;
    (void)snprintf(v, n, "%s:%lld:%s:%s", hit->chrom, (long long)hit->pos, hit->ref, hit->alt);
    for (uint32_t i = 0; i < ev->n; i++) { /* overlapping regions of one gene: once */
        if (!strcmp(ev->v[i].gene, hit->gene) && !strcmp(ev->v[i].variant, v)) {
            gn_free(v);
            return 0;
        }
    }
    if (ev->n == ev->cap) {
        uint32_t cap = ev->cap ? 2 * ev->cap : 16;
        struct gene_var *nv = gn_reallocarray(ev->v, cap, sizeof *nv);
        if (!nv) {
            gn_free(v);
            return GN_ENOMEM;
        }
        ev->v = nv;
        ev->cap = cap;
    }
    struct gene_var *g = &ev->v[ev->n++];
    (void)snprintf(g->gene, sizeof g->gene, "%s", hit->gene);
    (void)snprintf(g->gt, sizeof g->gt, "%s", hit->genotype);
    g->variant = v;
    g->ac = hit->ac;
    g->an = hit->an;
    g->own = hit->own;
    return 0;
}

/* Reads the sample's rare alleles in the gene regions through policy (record level, one
 * sample) and audits the read. A malformed BED is refused before anything is asked. */
static int sample_evidence(const struct rank_opt *o, struct sample_ev *ev, struct gn_err *err)
{
    struct cli_ctx cx;
    struct policy_decision d;
    struct generegion_set *gs = NULL;
    char detail[300], name[256], ind[256];
    uint32_t gid;
    int rc, decided = 0;

    memset(&d, 0, sizeof d);
    if ((rc = cli_ctx_open(&cx, o->dir, CLI_SNAP, &o->acc, err)) < 0) goto out;
    if ((rc = generegion_load(o->regions, cx.snap->man.build, &gs, err)) < 0) goto out;
    ev->regions = gs->n;
    if ((rc = cli_sample_id(&cx, o->sample, strlen(o->sample), &gid, err)) < 0) goto out;
    (void)snprintf(detail, sizeof detail,
                   "rank: one sample's genotypes in %u gene regions, alleles below AF %g", gs->n,
                   o->max_af);
    if ((rc = cli_decide(&cx, &o->acc, "rank", detail, GRAN_RECORD, &gid, 1, 1, &d, err)) < 0)
        goto out;
    decided = 1;
    if (!policy_allows(&d, gid)) {
        rc = gn_errf(err, GN_EDENIED, "sample '%s' is not available to this caller", o->sample);
        goto out;
    }
    ev->threshold = d.small_threshold;
    rc = generegion_sample_scan(cx.snap, gs, gid, o->max_af, take_hit, ev, &ev->records, err);
    if (rc > 0 || rc == GN_ENOMEM) rc = gn_errf(err, GN_ENOMEM, "out of memory");
    if (rc < 0) goto out;
    if ((rc = catalog_begin_read(cx.cat, err)) < 0) goto out;
    rc = catalog_sample_names(cx.cat, gid, name, ind, sizeof name, err);
    catalog_rollback(cx.cat);
    if (rc < 0) goto out;
    rc = policy_done(cx.cat, &cx.key, &d, (int64_t)ev->records, ind[0] ? ind : name, err);
out:
    if (decided) policy_decision_free(&d);
    generegion_free(gs);
    cli_ctx_close(&cx);
    return rc;
}

/* Adds the genes of the sample's variants to l (once each); genes HPO does not link to a
 * disease are warned about. */
static int sample_genes(const struct hpo *h, const struct sample_ev *ev, struct term_list *l,
                        json_t *warn, struct gn_err *err)
{
    for (uint32_t i = 0; i < ev->n; i++) {
        uint32_t g = hpo_gene_index(h, ev->v[i].gene, strlen(ev->v[i].gene)), k = 0;
        char msg[200];
        int seen = 0;
        for (uint32_t j = 0; j < i; j++)
            seen |= !strcmp(ev->v[j].gene, ev->v[i].gene);
        if (seen) continue;
        if (g == HPO_NONE) {
            (void)snprintf(msg, sizeof msg,
                           "gene %s (rare variants of the sample) has no disease in HPO %s",
                           ev->v[i].gene, hpo_str(h, h->version));
            fprintf(stderr, "genomenode rank: warning: %s\n", msg);
            json_array_append_new(warn, json_string(msg));
            continue;
        }
        while (k < l->n && l->v[k] != g)
            k++;
        if (k < l->n) continue;
        if (l->n == HPO_MAX_QUERY)
            return gn_errf(err, GN_ELIMIT, "more than %u genes", HPO_MAX_QUERY);
        l->v[l->n++] = g;
    }
    return GN_OK;
}

/* The variants that gave gene sym its evidence, as JSON. */
static json_t *gene_vars_json(const struct sample_ev *ev, const char *sym)
{
    json_t *a = json_array();
    for (uint32_t i = 0; ev && i < ev->n; i++) {
        const struct gene_var *g = &ev->v[i];
        if (strcmp(g->gene, sym)) continue;
        json_t *o = json_object();
        json_object_set_new(o, "variant", json_string(g->variant));
        json_object_set_new(o, "genotype", json_string(g->gt));
        /* The node's counts are everyone's: the alleles of people other than this sample,
         * when fewer than the small-count threshold, would count them; then none is given. */
        uint32_t others = g->ac > g->own ? g->ac - g->own : 0;
        int hide = others > 0 && others < (uint32_t)(ev->threshold > 0 ? ev->threshold : 0);
        json_object_set_new(o, "node_af",
                            hide ? json_null() : json_real(g->an ? (double)g->ac / g->an : 0));
        json_object_set_new(o, "node_ac", hide ? json_null() : json_integer(g->ac));
        json_object_set_new(o, "node_an", hide ? json_null() : json_integer(g->an));
        if (hide)
            json_object_set_new(o, "node_counts", json_string("below the small-count threshold"));
        json_array_append_new(a, o);
    }
    return a;
}

struct rank_run {
    const struct hpo *h;
    struct hpo_ranker *r;
    struct hpo_score *sc;
    uint32_t *order;
    struct hpo_match *m;
    struct term_list *obs, *exc, *genes;
    const struct sample_ev *ev; /* --sample's variants, or NULL */
    uint32_t n_opt_genes;       /* genes[0 .. n_opt_genes) came from --genes */
    int age_only;               /* the onset bands come from --age alone */
};

/* Onset bands as JSON: the band names and, for the query, where they came from. */
static json_t *bands_json(uint16_t bands)
{
    json_t *a = json_array();
    for (int b = 0; b < HPO_ONSET_N; b++)
        if (bands & (1u << b))
            json_array_append_new(a, json_string(hpo_onset_band_name((enum hpo_onset_band)b)));
    return a;
}

static json_t *onset_json(uint16_t bands, int age_only)
{
    json_t *o = json_object();
    json_object_set_new(o, "bands", bands_json(bands));
    json_object_set_new(o, "from", json_string(age_only ? "age" : "onset"));
    return o;
}

static json_t *result_json(const struct rank_run *x, const struct rank_opt *o,
                           const struct hpo_query *q, uint32_t i)
{
    const struct hpo *h = x->h;
    uint32_t d = x->order[i], v = x->sc[d].via, nm = hpo_rank_explain(x->r, q, v, x->m);
    const struct hpo_score *s = &x->sc[d];
    int genes = x->genes->n > 0;
    json_t *o2 = json_object(), *sc = json_object();
    json_object_set_new(o2, "rank", json_integer(i + 1));
    json_object_set_new(o2, "disease_id", json_string(hpo_str(h, h->dis_id[d])));
    json_object_set_new(o2, "label", json_string(hpo_str(h, h->dis_label[d])));
    if (hpo_rank_twin(x->r, d) != HPO_NONE) /* the Orphanet entry of the same disease */
        json_object_set_new(o2, "same_as",
                            json_string(hpo_str(h, h->dis_id[hpo_rank_twin(x->r, d)])));
    if (v != d) /* the twin's annotations matched better: the terms and onset below are its */
        json_object_set_new(o2, "matched_annotations_of", json_string(hpo_str(h, h->dis_id[v])));
    json_object_set_new(o2, "score", json_real(hpo_rank_final(x->r, s, o->method, genes)));
    for (int k = 0; k < HPO_RANK_N; k++)
        json_object_set_new(sc, hpo_rank_method_name((enum hpo_rank_method)k), json_real(s->s[k]));
    json_object_set_new(o2, "phenotype_scores", sc);
    if (h->dis_onset[v]) json_object_set_new(o2, "onset_bands", bands_json(h->dis_onset[v]));
    if (q->onset && h->dis_onset[v]) json_object_set_new(o2, "onset_log10_lr", json_real(s->onset));
    json_object_set_new(o2, "gene_evidence",
                        s->gene != HPO_NONE ? json_string(hpo_str(h, h->gene_sym[s->gene]))
                                            : json_null());
    if (x->ev && s->gene != HPO_NONE)
        json_object_set_new(o2, "gene_variants",
                            gene_vars_json(x->ev, hpo_str(h, h->gene_sym[s->gene])));
    json_object_set_new(o2, "matched_terms", matches_json(h, x->m, nm));
    return o2;
}

static void print_rank(const struct rank_run *x, const struct rank_opt *o,
                       const struct hpo_query *q, json_t *warn, double load_ms, double rank_ms)
{
    const struct hpo *h = x->h;
    uint32_t top = (uint32_t)(o->top < (long)h->n_dis ? o->top : (long)h->n_dis);
    /* the Orphanet twins of OMIM entries (hpo_rank_twin) sort last and are not listed */
    while (top && isinf(x->sc[x->order[top - 1]].s[o->method]))
        top--;
    if (!strcmp(o->format, "tsv")) {
        printf("# HPO %s (%s); method %s\n", hpo_str(h, h->version), HPO_ATTRIBUTION,
               hpo_rank_method_name(o->method));
        printf("rank\tdisease_id\tscore\tlabel\tgene\tmatched_terms\n");
        for (uint32_t i = 0; i < top; i++) {
            uint32_t d = x->order[i], nm = hpo_rank_explain(x->r, q, x->sc[d].via, x->m);
            printf("%u\t%s\t%.4f\t%s\t%s\t", i + 1, hpo_str(h, h->dis_id[d]),
                   hpo_rank_final(x->r, &x->sc[d], o->method, x->genes->n > 0),
                   hpo_str(h, h->dis_label[d]),
                   x->sc[d].gene != HPO_NONE ? hpo_str(h, h->gene_sym[x->sc[d].gene]) : "-");
            print_matches_tsv(h, x->m, nm);
            printf("\n");
        }
        return;
    }
    json_t *out = json_object(), *qj = json_object(), *res = json_array(), *gj = json_array();
    json_object_set_new(out, "hpo_version", json_string(hpo_str(h, h->version)));
    json_object_set_new(out, "hpo_source", json_string(hpo_str(h, h->source)));
    json_object_set_new(out, "attribution", json_string(HPO_ATTRIBUTION));
    json_object_set_new(out, "method", json_string(hpo_rank_method_name(o->method)));
    json_object_set_new(qj, "observed", terms_json(h, x->obs));
    json_object_set_new(qj, "excluded", terms_json(h, x->exc));
    for (uint32_t g = 0; g < x->genes->n; g++)
        json_array_append_new(gj, json_string(hpo_str(h, h->gene_sym[x->genes->v[g]])));
    json_object_set_new(qj, "genes", gj);
    if (q->onset) json_object_set_new(qj, "onset", onset_json(q->onset, x->age_only));
    if (x->ev) {
        json_t *sj = json_object(), *ge = json_array();
        json_object_set_new(sj, "gene_regions", json_string(o->regions));
        json_object_set_new(sj, "regions", json_integer(x->ev->regions));
        json_object_set_new(sj, "max_af", json_real(o->max_af));
        json_object_set_new(sj, "records_read", json_integer((json_int_t)x->ev->records));
        /* every gene with evidence: where it came from and, from the sample, its variants */
        for (uint32_t g = 0; g < x->genes->n; g++) {
            const char *sym = hpo_str(h, h->gene_sym[x->genes->v[g]]);
            json_t *e = json_object(), *vars = gene_vars_json(x->ev, sym);
            int from_opt = 0;
            for (uint32_t k = 0; k < x->n_opt_genes; k++)
                from_opt |= x->genes->v[k] == x->genes->v[g];
            if (g >= x->n_opt_genes && from_opt) {
                json_decref(e);
                json_decref(vars);
                continue;
            }
            json_object_set_new(e, "gene", json_string(sym));
            json_object_set_new(e, "from_genes_option", json_boolean(from_opt));
            json_object_set_new(e, "variants", vars);
            json_array_append_new(ge, e);
        }
        json_object_set_new(sj, "gene_evidence", ge);
        json_object_set_new(qj, "sample", sj);
    }
    json_object_set_new(out, "query", qj);
    json_object_set_new(out, "warnings", json_incref(warn));
    json_object_set_new(out, "diseases_ranked", json_integer(h->n_dis));
    for (uint32_t i = 0; i < top; i++)
        json_array_append_new(res, result_json(x, o, q, i));
    json_object_set_new(out, "results", res);
    json_object_set_new(out, "load_ms", json_real(load_ms));
    json_object_set_new(out, "rank_ms", json_real(rank_ms));
    char *s = json_dumps(out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    if (s) printf("%s\n", s);
    free(s);
    json_decref(out);
}

int cmd_rank(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct rank_opt o;
    struct rank_run x;
    struct hpo *h = NULL;
    struct hpo_query q;
    struct sample_ev ev;
    json_t *warn = json_array();
    double t0, t1, t2;
    uint16_t onset = 0, age = 0, pp_bands = 0;
    int rc, pp_age = 0;

    memset(&x, 0, sizeof x);
    memset(&ev, 0, sizeof ev);
    if (cli_wants_help(argc, argv)) return cli_print_help("rank");
    if ((rc = rank_opts(argc, argv, &o))) {
        json_decref(warn);
        return rc;
    }
    t0 = now_ms();
    if ((rc = cli_hpo_load(o.index, &h, &err)) < 0) goto fail;
    x.h = h;
    if ((rc = hpo_ranker_new(h, &o.p, &x.r, &err)) < 0) goto fail;
    t1 = now_ms();
    x.obs = gn_calloc(1, sizeof *x.obs);
    x.exc = gn_calloc(1, sizeof *x.exc);
    x.genes = gn_calloc(1, sizeof *x.genes);
    x.sc = gn_calloc(h->n_dis, sizeof *x.sc);
    x.order = gn_calloc(h->n_dis, sizeof *x.order);
    x.m = gn_calloc(2 * HPO_MAX_QUERY, sizeof *x.m);
    if (!x.obs || !x.exc || !x.genes || !x.sc || !x.order || !x.m) {
        rc = gn_errf(&err, GN_ENOMEM, "rank");
        goto fail;
    }
    if (o.hpo && (rc = parse_terms(h, o.hpo, strlen(o.hpo), x.obs, &onset, warn, 0, &err)) < 0)
        goto fail;
    if (o.exclude &&
        (rc = parse_terms(h, o.exclude, strlen(o.exclude), x.exc, NULL, warn, 0, &err)) < 0)
        goto fail;
    if (o.phenopacket &&
        (rc = pp_query(h, o.phenopacket, x.obs, x.exc, &onset, &pp_bands, &pp_age, warn, &err)) < 0)
        goto fail;
    /* the onset: --onset, an onset term, the phenopacket's onset, --age, its age */
    if (o.onset && (rc = parse_onset(h, o.onset, strlen(o.onset), &onset, &err)) < 0) goto fail;
    if (!onset && !pp_age) onset = pp_bands;
    if (o.age && (rc = parse_age(o.age, &age, &err)) < 0) goto fail;
    if (!o.age && pp_age) age = pp_bands;
    x.age_only = !onset && age;
    if (!onset) onset = age;
    if (o.genes && (rc = parse_genes(h, o.genes, x.genes, warn, 0, &err)) < 0) goto fail;
    if (!x.obs->n) {
        rc = o.hpo ? gn_errf(&err, GN_EINVAL, "no usable observed HPO term in --hpo '%s'", o.hpo)
                   : gn_errf(&err, GN_EINVAL, "%s: no usable observed HPO term", o.phenopacket);
        goto fail;
    }
    x.n_opt_genes = x.genes->n;
    if (o.sample) {
        if ((rc = sample_evidence(&o, &ev, &err)) < 0 ||
            (rc = sample_genes(h, &ev, x.genes, warn, &err)) < 0)
            goto fail;
        x.ev = &ev;
    }
    q = (struct hpo_query){x.obs->v, x.obs->n, x.exc->v, x.exc->n, x.genes->v, x.genes->n, onset};
    t2 = now_ms();
    if ((rc = hpo_rank_score(x.r, &q, x.sc, &err)) < 0 ||
        (rc = hpo_rank_order(x.r, x.sc, h->n_dis, o.method, x.genes->n > 0, x.order, &err)) < 0)
        goto fail;
    print_rank(&x, &o, &q, warn, t1 - t0, now_ms() - t2);
fail:
    sample_ev_free(&ev);
    json_decref(warn);
    gn_free(x.obs);
    gn_free(x.exc);
    gn_free(x.genes);
    gn_free(x.sc);
    gn_free(x.order);
    gn_free(x.m);
    hpo_ranker_free(x.r);
    hpo_free(h);
    return rc < 0 ? cli_fail(&err) : 0;
}

/* ---- hpo eval ---------------------------------------------------------------------------- */

/* Keeps at most max of l's terms, chosen by a shuffle seeded from the case id (the same
 * subset on every run). max < 0 keeps all. */
static void subsample(struct term_list *l, long max, const char *id, size_t idn)
{
    uint64_t x = 1469598103934665603ull;
    for (size_t i = 0; i < idn; i++)
        x = (x ^ (uint8_t)id[i]) * 1099511628211ull;
    if (max < 0 || (uint32_t)max >= l->n) return;
    for (uint32_t i = l->n - 1; i > 0; i--) {
        uint32_t j, t;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        j = (uint32_t)(x % (i + 1));
        t = l->v[i];
        l->v[i] = l->v[j];
        l->v[j] = t;
    }
    l->n = (uint32_t)max;
}

struct eval_opt {
    const char *cases, *index;
    long max_terms, max_excluded;
    enum hpo_ties ties;
    int same_source; /* diagnostic: rank only among diseases of the case's source (OMIM) */
    struct hpo_rank_params p;
    const char *features;     /* --features FILE */
    const char *phenopackets; /* --phenopackets DIR: the cases' files, for their onset */
};

static int eval_opts(int argc, char **argv, struct eval_opt *o)
{
    static const struct option opts[] = {
        {"cases", required_argument, 0, 'c'},        {"index", required_argument, 0, 'i'},
        {"max-terms", required_argument, 0, 't'},    {"max-excluded", required_argument, 0, 'x'},
        {"param", required_argument, 0, 'p'},        {"ties", required_argument, 0, 'T'},
        {"same-source", no_argument, 0, 'S'},        {"features", required_argument, 0, 'F'},
        {"phenopackets", required_argument, 0, 'P'}, {0, 0, 0, 0}};
    int c;
    char *end;
    memset(o, 0, sizeof *o);
    o->index = cli_hpo_index(NULL);
    o->max_terms = o->max_excluded = -1;
    hpo_rank_params_default(&o->p);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'c') {
            o->cases = optarg;
        } else if (c == 'i') {
            o->index = optarg;
        } else if (c == 'S') {
            o->same_source = 1;
        } else if (c == 'F') {
            o->features = optarg;
        } else if (c == 'P') {
            o->phenopackets = optarg;
        } else if (c == 'T') {
            if (!strcmp(optarg, "half"))
                o->ties = HPO_TIES_HALF;
            else if (!strcmp(optarg, "share"))
                o->ties = HPO_TIES_SHARE;
            else if (!strcmp(optarg, "strict"))
                o->ties = HPO_TIES_STRICT;
            else
                return cli_usage_error("hpo", "--ties half|share|strict, not '%s'", optarg);
        } else if (c == 't' || c == 'x') {
            long v = strtol(optarg, &end, 10);
            if (*end || v < 0) return cli_usage_error("hpo", "bad count '%s'", optarg);
            *(c == 't' ? &o->max_terms : &o->max_excluded) = v;
        } else if (c != 'p' || parse_param(&o->p, optarg) < 0) {
            return cli_usage_error("hpo", "bad option or --param%s", "");
        }
    }
    if (!o->cases) return cli_usage_error("hpo", "eval needs --cases TSV%s", "");
    return 0;
}

/*
 * hpo eval --features FILE (a diagnostic for studying score combinations, bench/hpo-rerank.py):
 * per evaluated case, one row for each of the FEAT_TOP best diseases by the combined score
 * (phenotype only) and for the case's own disease wherever it ranks. Columns as in
 * FEAT_HEADER: how the patient's terms relate to the disease's annotations (exact, implied
 * by a more specific annotation, more specific than one, partial), their information
 * content, the disease→patient side, and facts of the disease itself.
 */
#define FEAT_TOP 200u
#define FEAT_HEADER                                                                                \
    "case\trank\ttarget\tdisease\tcombined\tlr\tresnik\tbma\tset\trev\tn_annot\tn_obs\tn_exact\t"  \
    "n_implied\tn_specific\tn_partial\tn_shown\tic_obs\tic_explained\tsim_unexplained\tic_annot\t" \
    "ic_shown\tn_excluded_has\tomim\thas_gene\ttwin\n"

struct feat {
    FILE *out;
    uint32_t *order; /* n_dis */
    uint32_t *mark;  /* n_terms: generation stamps */
    uint32_t *pmark; /* n_terms: the patient's closure */
    uint32_t gen;
};

/* One disease's row: mark d's closure (g) and its annotated terms (gd), then walk the
 * patient's terms against them and d's terms against the patient's closure (pg). */
static void feat_row(struct feat *ft, const struct rank_run *x, const struct hpo_query *q,
                     const char *id, size_t idn, uint32_t rank, uint32_t d, uint32_t target,
                     uint32_t pg)
{
    const struct hpo *h = x->h;
    const struct hpo_score *s = &x->sc[d];
    uint32_t g = ++ft->gen, gd = ++ft->gen, *mk = ft->mark;
    uint32_t n_annot = h->dt_off[d + 1] - h->dt_off[d], n_shown = 0, n_used = 0;
    uint32_t n_exact = 0, n_impl = 0, n_spec = 0, n_part = 0, n_exh = 0;
    double ic_annot = 0, ic_shown = 0, rev = 0, ic_q = 0, ic_expl = 0, sim_unexpl = 0;
    for (uint32_t k = h->dt_off[d]; k < h->dt_off[d + 1]; k++) {
        uint32_t t = h->dt_term[k];
        double best = 0;
        for (uint32_t j = h->anc_off[t]; j < h->anc_off[t + 1]; j++) {
            uint32_t a = h->anc[j];
            mk[a] = g;
            if (ft->pmark[a] == pg && (h->term_flags[a] & HPO_TERM_PHENO) && h->ic[a] > best)
                best = h->ic[a];
        }
        ic_annot += h->ic[t];
        rev += best;
        if (ft->pmark[t] == pg) n_shown++, ic_shown += h->ic[t];
    }
    for (uint32_t k = h->dt_off[d]; k < h->dt_off[d + 1]; k++)
        mk[h->dt_term[k]] = gd;
    for (uint32_t i = 0; i < q->n_obs; i++) {
        uint32_t t = q->obs[i];
        double best = 0;
        int spec = 0;
        if (!(h->term_flags[t] & HPO_TERM_PHENO)) continue;
        n_used++;
        ic_q += h->ic[t];
        if (mk[t] == gd || mk[t] == g) {
            *(mk[t] == gd ? &n_exact : &n_impl) += 1;
            ic_expl += h->ic[t];
            continue;
        }
        for (uint32_t j = h->anc_off[t]; j < h->anc_off[t + 1]; j++) {
            uint32_t a = h->anc[j];
            spec |= mk[a] == gd;
            if ((mk[a] == g || mk[a] == gd) && (h->term_flags[a] & HPO_TERM_PHENO) &&
                h->ic[a] > best)
                best = h->ic[a];
        }
        *(spec ? &n_spec : &n_part) += 1;
        sim_unexpl += best;
    }
    for (uint32_t i = 0; i < q->n_exc; i++)
        n_exh += mk[q->exc[i]] == g || mk[q->exc[i]] == gd;
    fprintf(
        ft->out,
        "%.*s\t%u\t%d\t%s\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\t%u\t%u\t%u\t%u\t%u\t%u\t%u\t%.6g\t"
        "%.6g\t%.6g\t%.6g\t%.6g\t%u\t%d\t%d\t%d\n",
        (int)idn, id, rank, d == target, hpo_str(h, h->dis_id[d]), s->s[HPO_RANK_COMBINED],
        s->s[HPO_RANK_LR], s->s[HPO_RANK_RESNIK], s->s[HPO_RANK_BMA], s->s[HPO_RANK_SET],
        n_annot ? rev / n_annot : 0, n_annot, n_used, n_exact, n_impl, n_spec, n_part, n_shown,
        ic_q, ic_expl, sim_unexpl, ic_annot, ic_shown, n_exh,
        !strncmp(hpo_str(h, h->dis_id[d]), "OMIM:", 5), h->dg_off[d + 1] > h->dg_off[d],
        hpo_rank_twin(x->r, d) != HPO_NONE);
}

static int feat_case(struct feat *ft, const struct rank_run *x, const struct hpo_query *q,
                     uint32_t target, const char *id, size_t idn, struct gn_err *err)
{
    const struct hpo *h = x->h;
    uint32_t pg = ++ft->gen;
    int rc = hpo_rank_order(x->r, x->sc, h->n_dis, HPO_RANK_COMBINED, 0, ft->order, err);
    if (rc < 0) return rc;
    for (uint32_t i = 0; i < q->n_obs; i++) {
        for (uint32_t j = h->anc_off[q->obs[i]]; j < h->anc_off[q->obs[i] + 1]; j++)
            ft->pmark[h->anc[j]] = pg;
    }
    for (uint32_t i = 0; i < h->n_dis; i++) {
        uint32_t d = ft->order[i];
        if (x->sc[d].s[HPO_RANK_COMBINED] == -HUGE_VAL) break; /* Orphanet twins, last */
        if (i < FEAT_TOP || d == target) feat_row(ft, x, q, id, idn, i + 1, d, target, pg);
        if (i >= FEAT_TOP && d == target) break;
    }
    return GN_OK;
}

/* The onset bands (pp_onset) of a case's phenopacket for `hpo eval --phenopackets`; 0:
 * unknown, or the file unreadable (warned about once, counted in *bad). */
static uint16_t case_onset(const struct hpo *h, const char *dir, const char *path, size_t n,
                           uint32_t *bad)
{
    struct gn_err err = GN_ERR_INIT;
    struct phenopacket *pp = NULL;
    char file[4096];
    uint16_t bands = 0;
    int from_age;
    if ((size_t)snprintf(file, sizeof file, "%s/%.*s", dir, (int)n, path) >= sizeof file ||
        phenopacket_load(file, &pp, &err) < 0) {
        if (!(*bad)++) fprintf(stderr, "hpo eval: warning: %s (onset unknown)\n", err.msg);
    } else {
        bands = pp_onset(h, pp, &from_age);
    }
    phenopacket_free(pp);
    return bands;
}

/* One case line of index_dev.tsv: id, path, disease_id, label, genes, n_present,
 * n_excluded, annotated, present_hpo, excluded_hpo, variants. Prints its ranks. */
static void eval_case(const struct rank_run *x, const struct eval_opt *o, struct feat *ft,
                      struct strparse_span *f, double *ms, uint32_t *n_onset, uint32_t *bad)
{
    const struct hpo *h = x->h;
    struct gn_err err = GN_ERR_INIT;
    struct hpo_query q;
    uint32_t d = hpo_disease_index(h, f[2].p, f[2].n);
    /* an Orphanet answer with an OMIM twin is ranked as that twin (one entry, one disease) */
    if (d != HPO_NONE && hpo_rank_twin(x->r, d) != HPO_NONE && !strncmp(f[2].p, "ORPHA:", 6))
        d = hpo_rank_twin(x->r, d);
    const char *slash = memchr(f[1].p, '/', f[1].n);
    char gbuf[512];
    double t0;
    x->obs->n = x->exc->n = x->genes->n = 0;
    if (parse_terms(h, f[8].p, f[8].n, x->obs, NULL, NULL, 1, &err) < 0 ||
        parse_terms(h, f[9].p, f[9].n, x->exc, NULL, NULL, 1, &err) < 0)
        x->obs->n = 0;
    (void)snprintf(gbuf, sizeof gbuf, "%.*s", (int)f[4].n, f[4].p);
    if (parse_genes(h, gbuf, x->genes, NULL, 1, &err) < 0) x->genes->n = 0;
    subsample(x->obs, o->max_terms, f[0].p, f[0].n);
    subsample(x->exc, o->max_excluded, f[0].p, f[0].n);
    printf("%.*s\t%.*s\t%.*s\t%d\t%u\t%u", (int)f[0].n, f[0].p,
           (int)(slash ? (size_t)(slash - f[1].p) : f[1].n), f[1].p, (int)f[2].n, f[2].p,
           d != HPO_NONE, x->obs->n, x->exc->n);
    q = (struct hpo_query){x->obs->v, x->obs->n, x->exc->v, x->exc->n, x->genes->v, x->genes->n, 0};
    if (o->phenopackets && d != HPO_NONE)
        *n_onset += (q.onset = case_onset(h, o->phenopackets, f[1].p, f[1].n, bad)) != 0;
    t0 = now_ms();
    if (d == HPO_NONE || hpo_rank_score(x->r, &q, x->sc, &err) < 0) {
        for (int g = 0; g < 2 * HPO_RANK_N; g++)
            printf("\tNA");
        printf("\n");
        return;
    }
    *ms += now_ms() - t0;
    if (o->same_source) { /* diseases of another source (ORPHA for an OMIM case) drop out */
        const char *c = memchr(f[2].p, ':', f[2].n);
        size_t pl = c ? (size_t)(c - f[2].p) + 1 : f[2].n;
        for (uint32_t i = 0; i < h->n_dis; i++) {
            if (strncmp(hpo_str(h, h->dis_id[i]), f[2].p, pl))
                for (int m = 0; m < HPO_RANK_N; m++)
                    x->sc[i].s[m] = -1e300;
        }
    }
    if (ft && feat_case(ft, x, &q, d, f[0].p, f[0].n, &err) < 0) fprintf(stderr, "%s\n", err.msg);
    for (int g = 0; g < 2; g++) {
        for (int m = 0; m < HPO_RANK_N; m++)
            printf("\t%g",
                   hpo_rank_of(x->r, x->sc, h->n_dis, (enum hpo_rank_method)m, g, d, o->ties));
    }
    printf("\n");
}

static int hpo_eval(int argc, char **argv)
{
    struct gn_err err = GN_ERR_INIT;
    struct eval_opt o;
    struct rank_run x;
    struct feat ft;
    struct hpo *h = NULL;
    uint8_t *data = NULL;
    size_t n = 0;
    uint32_t cases = 0, n_onset = 0, bad = 0;
    double ms = 0;
    int rc;

    memset(&x, 0, sizeof x);
    memset(&ft, 0, sizeof ft);
    if ((rc = eval_opts(argc, argv, &o))) return rc;
    if ((rc = cli_hpo_load(o.index, &h, &err)) < 0) goto fail;
    x.h = h;
    if ((rc = hpo_ranker_new(h, &o.p, &x.r, &err)) < 0) goto fail;
    x.obs = gn_calloc(1, sizeof *x.obs);
    x.exc = gn_calloc(1, sizeof *x.exc);
    x.genes = gn_calloc(1, sizeof *x.genes);
    x.sc = gn_calloc(h->n_dis, sizeof *x.sc);
    if (!x.obs || !x.exc || !x.genes || !x.sc) {
        rc = gn_errf(&err, GN_ENOMEM, "eval");
        goto fail;
    }
    if ((rc = fsutil_read_all(o.cases, 256u << 20, &data, &n, &err)) < 0) goto fail;
    if (o.features) {
        ft.order = gn_calloc(h->n_dis, sizeof *ft.order);
        ft.mark = gn_calloc(h->n_terms, sizeof *ft.mark);
        ft.pmark = gn_calloc(h->n_terms, sizeof *ft.pmark);
        if (!ft.order || !ft.mark || !ft.pmark) {
            rc = gn_errf(&err, GN_ENOMEM, "eval");
            goto fail;
        }
        if (!(ft.out = fopen(o.features, "w"))) {
            rc = gn_errf(&err, GN_EIO, "%s: %s", o.features, strerror(errno));
            goto fail;
        }
        fputs(FEAT_HEADER, ft.out);
    }
    printf("# HPO %s\ncase\tcohort\tdisease\tannotated\tn_obs\tn_exc", hpo_str(h, h->version));
    for (int g = 0; g < 2; g++) {
        for (int m = 0; m < HPO_RANK_N; m++)
            printf("\t%s%s", hpo_rank_method_name((enum hpo_rank_method)m), g ? "+genes" : "");
    }
    printf("\n");
    for (const char *p = (const char *)data, *end = p + n; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        struct strparse_span f[11];
        const char *e = nl ? nl : end, *c = p;
        unsigned k = 0;
        for (; k < 11; k++) { /* fields of this line */
            const char *t = memchr(c, '\t', (size_t)(e - c));
            f[k].p = c;
            f[k].n = (size_t)((t ? t : e) - c);
            if (!t) break;
            c = t + 1;
        }
        if (*p != '#' && k >= 9 && !(f[0].n == 2 && !memcmp(f[0].p, "id", 2))) {
            eval_case(&x, &o, ft.out ? &ft : NULL, f, &ms, &n_onset, &bad);
            cases++;
        }
        p = nl ? nl + 1 : end;
    }
    fprintf(stderr, "hpo eval: %u cases, mean scoring time %.2f ms per case\n", cases,
            cases ? ms / cases : 0);
    if (o.phenopackets)
        fprintf(stderr, "hpo eval: onset known for %u cases, %u phenopackets unreadable\n", n_onset,
                bad);
fail:
    if (ft.out && fclose(ft.out) && rc >= 0)
        rc = gn_errf(&err, GN_EIO, "%s: %s", o.features, strerror(errno));
    gn_free(ft.order);
    gn_free(ft.mark);
    gn_free(ft.pmark);
    gn_free(data);
    gn_free(x.obs);
    gn_free(x.exc);
    gn_free(x.genes);
    gn_free(x.sc);
    hpo_ranker_free(x.r);
    hpo_free(h);
    return rc < 0 ? cli_fail(&err) : 0;
}

int cmd_hpo(int argc, char **argv)
{
    if (cli_wants_help(argc, argv) || argc < 2) return cli_print_help("hpo");
    if (!strcmp(argv[1], "build")) return hpo_build(argc - 1, argv + 1);
    if (!strcmp(argv[1], "info")) return hpo_info(argc - 1, argv + 1);
    if (!strcmp(argv[1], "twins")) return hpo_twins(argc - 1, argv + 1);
    if (!strcmp(argv[1], "eval")) return hpo_eval(argc - 1, argv + 1);
    return cli_usage_error("hpo", "unknown subcommand '%s'", argv[1]);
}
