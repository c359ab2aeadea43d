/*
 * pgx_report.c — one patient's pharmacogenomic report (pgx_report.h): gene results from the
 * matcher or from outside calls, the drug answers over them, and the JSON, TSV and HTML
 * writers. Shared by the CLI (`genomenode pgx`) and the server (GET /pgx/{id}, pgx_http.c),
 * so both answer byte for byte the same document for the same genotypes.
 *
 * Gathering: each gene's result comes from the matcher (source "vcf"/"store") unless the
 * outside-call file names the gene, which then overrides it (source "outside", as PharmCAT
 * does). The drug answers come from pgx_guide over every gene result; without a drug, every
 * guideline with a gene that has a result is answered.
 *
 * Writing: every writer appends to a caller's capped struct gn_buf (no stdio), so the same
 * code serves a terminal and an HTTP body. Every output states the definition, phenotype and
 * guideline data versions. The HTML is one self-contained page for a clinician (gene table
 * first, then the drugs, then the data versions; every text escaped; no scripts).
 *
 * Nothing here keeps state between calls: reports on different threads share only the
 * immutable loaded data.
 */
#include "pgx_report.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "strparse.h"
#include "version.h"

const char *pgx_report_score(int x100, char *buf, size_t n)
{
    if (x100 % 10 == 0)
        (void)snprintf(buf, n, "%d.%d", x100 / 100, (x100 % 100) / 10);
    else
        (void)snprintf(buf, n, "%d.%02d", x100 / 100, x100 % 100);
    return buf;
}

const char *pgx_report_pos_name(const struct pgx_gene *g, uint32_t i, char *buf, size_t n)
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

void pgx_report_phenotype(const struct pgx_phenos *ph, const struct pgx_match *m,
                          struct pgx_pheno *p, char *why, size_t n)
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

struct term_find {
    const char *term;
    int found;
};

static void term_find_cb(const char *value, void *arg)
{
    struct term_find *t = arg;
    const char *p = strstr(value, t->term);
    size_t n = strlen(t->term);
    if (p && (p[n] == 0 || p[n] == '/')) t->found = 1;
}

/* Whether a DPWG row of gene names the allele-specific term ("Decreased function (CYP2C9*2)"). */
static int term_known(const struct pgx_report *r, const char *gene, const char *term)
{
    struct term_find t = {term, 0};
    if (r->guides) (void)pgx_guides_values(r->guides, gene, term_find_cb, &t);
    return t.found;
}

/* The allele-function pairs of one diplotype, most specific first: DPWG's allele-specific
 * terms for both alleles, then for one, then the plain terms. Only the specific terms some
 * DPWG row uses are listed, so that two diplotypes have the same list exactly when every
 * DPWG lookup gives them the same answer. Returns how many (0 without both functions). */
static uint32_t dip_pairs(const struct pgx_report *r, const char *gene, const char *fa,
                          const char *fb, const char *h0, const char *h1,
                          char out[4][2 * PGX_REPORT_FN_TEXT + 2])
{
    const char *f0 = function_term(fa), *f1 = function_term(fb);
    char s0[PGX_REPORT_FN_TEXT], s1[PGX_REPORT_FN_TEXT];
    size_t n = sizeof out[0];
    uint32_t k = 0;
    int k0, k1;
    memset(out, 0, 4 * sizeof out[0]);
    if (!fa[0] || !fb[0]) return 0;
    if (h0 && h1 && h0[0] == '*' && h1[0] == '*') {
        (void)snprintf(s0, sizeof s0, "%s (%s%s)", f0, gene, h0);
        (void)snprintf(s1, sizeof s1, "%s (%s%s)", f1, gene, h1);
        k0 = term_known(r, gene, s0);
        k1 = term_known(r, gene, s1);
        if (k0 && k1) pair(out[k++], n, s0, s1);
        if (k0) pair(out[k++], n, s0, f1);
        if (k1) pair(out[k++], n, f0, s1);
    }
    pair(out[k++], n, f0, f1);
    return k;
}

/* The allele-function pairs DPWG rows are matched on. With tied diplotypes, only when every
 * tied diplotype gives the same pairs; otherwise none, and fn_why says why (DPWG is then
 * indeterminate, as CPIC is when the tied phenotypes differ). */
static void function_pairs(const struct pgx_report *r, struct pgx_gene_res *gr)
{
    const struct pgx_match *m = &gr->m;
    int tied = m->n_dips > 1 && !m->by_variant;
    const struct pgx_dip *d = m->n_dips >= 1 && !m->by_variant ? &m->dips[0] : NULL;
    const char *h0 = d ? d->hap[0] : gr->oc ? gr->oc->hap[0] : NULL;
    const char *h1 = d ? d->hap[1] : gr->oc ? gr->oc->hap[1] : NULL;
    char other[4][2 * PGX_REPORT_FN_TEXT + 2];
    memset(gr->functions, 0, sizeof gr->functions);
    gr->fn_why[0] = 0;
    if (!tied) {
        (void)dip_pairs(r, gr->gene, gr->p.function[0], gr->p.function[1], h0, h1, gr->functions);
        return;
    }
    for (uint32_t i = 0; i < m->n_dips; i++) {
        struct pgx_pheno q;
        char(*dst)[2 * PGX_REPORT_FN_TEXT + 2] = i ? other : gr->functions;
        if (i) memset(other, 0, sizeof other); /* compared whole with gr->functions below */
        (void)pgx_pheno_diplotype(r->ph, gr->gene, m->dips[i].hap[0], m->dips[i].hap[1], &q);
        if (!dip_pairs(r, gr->gene, q.function[0], q.function[1], m->dips[i].hap[0],
                       m->dips[i].hap[1], dst) ||
            (i && memcmp(other, gr->functions, sizeof other))) {
            (void)snprintf(gr->fn_why, sizeof gr->fn_why,
                           "%u tied diplotypes differ in allele functions (%.64s/%.64s: %.200s)",
                           m->n_dips, m->dips[i].hap[0], m->dips[i].hap[1],
                           q.function[0][0] && q.function[1][0] ? dst[0] : "unknown");
            memset(gr->functions, 0, sizeof gr->functions);
            return;
        }
    }
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
                           gr->p.has_activity ? pgx_report_score(gr->p.activity_x100, gr->keys[1],
                                                                 sizeof gr->keys[1])
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
    function_pairs(r, gr);
    for (uint32_t k = 0; k < 4 && gr->functions[k][0]; k++)
        gg->functions[gg->n_functions++] = gr->functions[k];
    gg->why = gr->why[0] ? gr->why : NULL;
    gg->fn_why = gr->fn_why[0] ? gr->fn_why : NULL;
}

/* Appends ": pos, pos, …" naming the first four of the n definition positions idx. */
static void append_positions(char *dst, size_t cap, const struct pgx_gene *g, const uint32_t *idx,
                             uint32_t n)
{
    char buf[256];
    for (uint32_t k = 0; k < n && k < 4; k++)
        append(dst, cap, k ? ", " : ": ", pgx_report_pos_name(g, idx[k], buf, sizeof buf));
    if (n > 4) append(dst, cap, NULL, ", …");
}

/* A gene called by the matcher (VCF or store). */
static void fill_from_match(const struct pgx_report *r, struct pgx_gene_res *gr)
{
    const struct pgx_match *m = &gr->m;
    int called = m->n_dips > 0 || m->by_variant;
    pgx_report_phenotype(r->ph, m, &gr->p, gr->why, sizeof gr->why);
    (void)snprintf(gr->phenotype, sizeof gr->phenotype, "%s", called ? gr->p.phenotype : "No call");
    if (!called) {
        if (m->too_many)
            (void)snprintf(gr->why, sizeof gr->why,
                           "not called; more than %u diplotypes fit the genotypes equally",
                           PGX_MATCH_MAX_DIPS);
        else if (m->missing_required)
            (void)snprintf(gr->why, sizeof gr->why, "a required position is missing");
        else if (m->n_missing)
            (void)snprintf(gr->why, sizeof gr->why, "not called; %u definition positions missing",
                           m->n_missing);
        else
            (void)snprintf(gr->why, sizeof gr->why,
                           "not called; the genotypes fit no named allele");
        append_positions(gr->why, sizeof gr->why, m->gene, m->missing, m->n_missing);
    }
    if (m->fallback) (void)snprintf(gr->note, sizeof gr->note, "called from rs4149056 alone");
    if (m->n_haploid_pos) {
        (void)snprintf(gr->note, sizeof gr->note,
                       "haploid calls on an autosome are no genotype; read as missing");
        append_positions(gr->note, sizeof gr->note, m->gene, m->haploid_pos, m->n_haploid_pos);
    }
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

/* Whether allele a of gene carries want ("*57:01"): 1 when its fields start with want's
 * ("*57:01", "*57:01:02", "HLA-B*57:01"), 0 when they differ, -1 when a cannot tell: fewer
 * fields that agree ("*57", a low-resolution typing), a field that is not digits (with at
 * most one letter after the last: "*57:01N"), or another locus ("HLA-A*57:01" for HLA-B). */
static int hla_carries(const char *a, const char *gene, const char *want)
{
    const char *star = strchr(a, '*'), *p, *w = want + 1;
    int shorter = 0;
    if (!star || want[0] != '*') return -1;
    if (star != a && ((size_t)(star - a) != strlen(gene) || strncmp(a, gene, strlen(gene))))
        return -1;
    for (p = star + 1;;) { /* the allele's own form, field by field */
        size_t d = strspn(p, "0123456789");
        if (!d) return -1;
        p += d;
        if (*p == ':') {
            p++;
            continue;
        }
        if (*p && ((*p < 'A' || *p > 'Z') || p[1])) return -1;
        break;
    }
    for (p = star + 1; *w;) { /* want's fields against the allele's */
        size_t dw = strcspn(w, ":"), dp = strspn(p, "0123456789");
        if (!dp) {
            shorter = 1;
            break;
        }
        if (dw != dp || strncmp(w, p, dw)) return 0;
        w += dw + (w[dw] == ':');
        p += dp;
        if (*p == ':')
            p++;
        else if (*w) {
            shorter = 1;
            break;
        }
    }
    return shorter ? -1 : 1;
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
    int c0 = hla_carries(oc->hap[0], h->gr->gene, allele),
        c1 = oc->hap[1][0] ? hla_carries(oc->hap[1], h->gr->gene, allele) : 0;
    (void)snprintf(h->gr->keys[h->n], sizeof h->gr->keys[0], "%s %s", allele,
                   c0 == 1 || c1 == 1 ? "positive"
                   : c0 < 0 || c1 < 0 ? "indeterminate"
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

#define DISAGREE "outside call fields disagree"

/* Adds one disagreement between an outside call's fields to gr->why. */
static void disagree(struct pgx_gene_res *gr, const char *clause)
{
    if (strncmp(gr->why, DISAGREE, sizeof DISAGREE - 1))
        (void)snprintf(gr->why, sizeof gr->why, "%s: %s", DISAGREE, clause);
    else
        append(gr->why, sizeof gr->why, "; ", clause);
}

/*
 * An outside call (not HLA). PharmCAT's outside-call precedence: the phenotype and activity
 * score given are what the lookups use; the diplotype gives them only when they are not
 * given. When given fields contradict each other (a diplotype whose CPIC phenotype or
 * activity score differs from the one given, a phenotype that is not the given activity
 * score's), nothing decides which is right: the gene is shown "Indeterminate" with the
 * disagreement, and every source's lookup (CPIC keys, DPWG functions) is indeterminate.
 */
static int apply_outside(const struct pgx_report *r, struct pgx_gene_res *gr, const char *path,
                         struct gn_err *err)
{
    const struct pgx_outside_call *oc = gr->oc;
    int scores = pgx_pheno_has_scores(r->ph, oc->gene), rc, dip = 0;
    char b1[32], b2[400];
    const char *canon;
    struct pgx_pheno dp;
    pgx_match_reset(&gr->m);
    memset(&gr->p, 0, sizeof gr->p);
    gr->source = "outside";
    gr->phenotype[0] = gr->why[0] = gr->note[0] = gr->keys[0][0] = 0;
    if (!strncmp(oc->gene, "HLA-", 4)) return outside_hla(r, gr, path, err);
    if (oc->diplotype[0] && pgx_pheno_has_gene(r->ph, oc->gene)) {
        if ((rc = outside_diplotype(r, gr, path, err)) < 0) return rc;
        dip = 1;
    }
    dp = gr->p;
    if (oc->has_activity && scores) {
        struct pgx_pheno q;
        (void)pgx_pheno_of_score(r->ph, oc->gene, oc->activity_x100, &q);
        if (dip && dp.has_activity && dp.activity_x100 != oc->activity_x100) {
            (void)snprintf(b2, sizeof b2, "diplotype %s has activity score %s, ", oc->diplotype,
                           pgx_report_score(dp.activity_x100, b1, sizeof b1));
            append(b2, sizeof b2, NULL, "activity score given ");
            append(b2, sizeof b2, NULL, pgx_report_score(oc->activity_x100, b1, sizeof b1));
            disagree(gr, b2);
        }
        memcpy(q.function, dp.function, sizeof q.function);
        gr->p = q;
        (void)snprintf(gr->phenotype, sizeof gr->phenotype, "%s", q.phenotype);
    } else if (oc->has_activity) {
        (void)snprintf(gr->note, sizeof gr->note,
                       "activity score ignored: %s is not an activity-score gene", oc->gene);
    }
    if (oc->phenotype[0]) {
        if ((rc = check_phenotype(r, oc, path, &canon, err)) < 0) return rc;
        if (scores && oc->has_activity) {
            if (gr->p.phenotype[0] && strcasecmp(gr->p.phenotype, canon)) {
                (void)snprintf(b2, sizeof b2, "phenotype given %s, activity score given %s is %s",
                               canon, pgx_report_score(oc->activity_x100, b1, sizeof b1),
                               gr->p.phenotype);
                disagree(gr, b2);
            }
        } else if (dip && dp.phenotype[0] && strcasecmp(dp.phenotype, canon)) {
            (void)snprintf(b2, sizeof b2, "phenotype given %s, diplotype ", canon);
            append(b2, sizeof b2, NULL, oc->diplotype); /* cut when long, never overrun */
            append(b2, sizeof b2, NULL, " is ");
            append(b2, sizeof b2, NULL, dp.phenotype);
            disagree(gr, b2);
        }
        if (scores && !oc->has_activity && !dip) {
            gr->p.has_activity =
                pgx_pheno_score_of(r->ph, oc->gene, canon, &gr->p.activity_x100) == GN_OK;
            if (!gr->p.has_activity)
                (void)snprintf(gr->why, sizeof gr->why,
                               "phenotype '%s' spans several activity scores; give the score",
                               canon);
        }
        (void)snprintf(gr->phenotype, sizeof gr->phenotype, "%s", canon);
    }
    if (!strncmp(gr->why, DISAGREE, sizeof DISAGREE - 1)) {
        /* Which field is right cannot be told: no lookup rests on any of them. */
        (void)snprintf(gr->phenotype, sizeof gr->phenotype, "Indeterminate");
        gr->p.has_activity = 0;
        memset(gr->p.function, 0, sizeof gr->p.function);
        finish_lookup(r, gr, 1);
        gr->gg.n_keys = 0; /* not even "n/a": no CPIC row may match */
        return GN_OK;
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
    struct pgx_guide_gene gg[PGX_REPORT_MAX_GENES];
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

int pgx_data_load(const char *dir, int with_guides, struct pgx_data *d, struct gn_err *err)
{
    char path[4096];
    int rc;
    memset(d, 0, sizeof *d);
    if ((size_t)snprintf(path, sizeof path, "%s/guideline/guidelines.json", dir) >= sizeof path)
        return gn_errf(err, GN_ELIMIT, "pgx data directory name too long");
    (void)snprintf(path, sizeof path, "%s/definition", dir);
    if ((rc = pgx_defs_load(path, &d->defs, err)) < 0) goto fail;
    (void)snprintf(path, sizeof path, "%s/phenotype", dir);
    if ((rc = pgx_phenos_load(path, &d->ph, err)) < 0) goto fail;
    if (!with_guides) return GN_OK;
    (void)snprintf(path, sizeof path, "%s/guideline/guidelines.json", dir);
    if ((rc = pgx_guides_load(path, &d->guides, err)) < 0) goto fail;
    return GN_OK;
fail:
    pgx_data_free(d);
    return rc;
}

void pgx_data_free(struct pgx_data *d)
{
    pgx_guides_free(d->guides);
    pgx_phenos_free(d->ph);
    pgx_defs_free(d->defs);
    memset(d, 0, sizeof *d);
}

int pgx_report_drug_known(const struct pgx_guides *g, const char *drug)
{
    uint32_t n = g ? pgx_guides_count(g) : 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!strcasecmp(drug, pgx_guides_drug(g, i))) return 1;
    }
    return 0;
}

int pgx_report_build(struct pgx_report *r, const struct pgx_report_in *in, struct gn_err *err)
{
    int rc;
    r->genes = NULL;
    r->drugs = NULL;
    r->n_genes = r->n_drugs = 0;
    if (!(r->genes = gn_calloc(PGX_REPORT_MAX_GENES, sizeof *r->genes)))
        return gn_errf(err, GN_ENOMEM, "out of memory");
    if ((rc = gather_genes(r, in->outside, in->outside_path, in->obs, in->src, err)) < 0) return rc;
    return gather_drugs(r, in->drug, err);
}

void pgx_report_reset(struct pgx_report *r)
{
    for (uint32_t k = 0; r->genes && k < r->n_genes; k++)
        pgx_match_reset(&r->genes[k].m);
    gn_free(r->genes);
    gn_free(r->drugs);
    r->genes = NULL;
    r->drugs = NULL;
    r->n_genes = r->n_drugs = 0;
}

/* ---- writers ------------------------------------------------------------------------- */

/* A writer: the buffer and the first error (later appends are skipped). */
struct wr {
    struct gn_buf *b;
    int rc;
};

static void ws(struct wr *w, const char *s)
{
    if (w->rc == GN_OK) w->rc = gn_buf_append(w->b, s, strlen(s));
}

static void wc(struct wr *w, int ch)
{
    char c = (char)ch;
    if (w->rc == GN_OK) w->rc = gn_buf_append(w->b, &c, 1);
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
W(struct wr *w, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    int n;
    if (w->rc != GN_OK) return;
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        w->rc = GN_EINVAL;
    } else if ((size_t)n < sizeof small) {
        w->rc = gn_buf_append(w->b, small, (size_t)n);
    } else if ((w->rc = gn_buf_reserve(w->b, (size_t)n + 1)) == GN_OK) {
        va_start(ap, fmt);
        (void)vsnprintf((char *)w->b->data + w->b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        w->b->len += (size_t)n;
    }
}

/* Versions of the data used, as (label, value) pairs. */
static void versions(const struct pgx_report *r, const char *v[4][2])
{
    const char *pv = pgx_phenos_version(r->ph, "CYP2C19");
    v[0][0] = "definitions";
    v[0][1] = r->defs->version;
    v[1][0] = "phenotypes";
    v[1][1] = pv ? pv : "unknown";
    v[2][0] = "CPIC";
    v[2][1] = r->guides ? pgx_guides_version(r->guides, "CPIC") : NULL;
    v[3][0] = "DPWG";
    v[3][1] = r->guides ? pgx_guides_version(r->guides, "DPWG") : NULL;
    for (int k = 2; k < 4; k++) {
        if (!v[k][1]) v[k][1] = "unknown";
    }
}

static json_t *pos_list(const struct pgx_gene *g, const uint32_t *idx, uint32_t n)
{
    json_t *a = json_array();
    char buf[256];
    for (uint32_t k = 0; a && g && k < n; k++)
        json_array_append_new(a, json_string(pgx_report_pos_name(g, idx[k], buf, sizeof buf)));
    return a;
}

static json_t *gene_json(const struct pgx_gene_res *gr)
{
    const struct pgx_match *m = &gr->m;
    json_t *o = json_object(), *dips = json_array(), *vars = json_array(), *unc = json_array();
    char buf[512];
    for (uint32_t d = 0; d < m->n_dips; d++)
        json_array_append_new(dips, json_string(m->dips[d].name));
    if (gr->oc && gr->oc->diplotype[0]) json_array_append_new(dips, json_string(gr->oc->diplotype));
    for (uint32_t v = 0; v < m->n_vars; v++) {
        (void)snprintf(buf, sizeof buf, "%s (%s)", m->vars[v].name,
                       m->vars[v].copies == 2 ? "homozygous" : "heterozygous");
        json_array_append_new(vars, json_string(buf));
    }
    for (uint32_t k = 0; k < m->n_uncallable; k++)
        json_array_append_new(unc, json_string(m->gene->alleles[m->uncallable[k]].name));
    json_object_set_new(o, "gene", json_string(gr->gene));
    json_object_set_new(o, "source", json_string(gr->source));
    json_object_set_new(o, "diplotypes", dips);
    json_object_set_new(o, "phenotype",
                        gr->phenotype[0] ? json_string(gr->phenotype) : json_null());
    json_object_set_new(o, "activity_score",
                        gr->p.has_activity ? json_real(gr->p.activity_x100 / 100.0) : json_null());
    json_object_set_new(o, "missing_positions", pos_list(m->gene, m->missing, m->n_missing));
    json_object_set_new(o, "ref_mismatches", pos_list(m->gene, m->mismatch, m->n_mismatch));
    json_object_set_new(o, "undocumented_alleles",
                        pos_list(m->gene, m->undocumented, m->n_undocumented));
    json_object_set_new(o, "uncallable_alleles", unc);
    json_object_set_new(o, "variants_found", vars);
    json_object_set_new(o, "phased", json_boolean(m->phased));
    json_object_set_new(o, "lookup", gr->gg.n_keys ? json_string(gr->gg.keys[0]) : json_null());
    if (gr->why[0]) json_object_set_new(o, "why", json_string(gr->why));
    if (gr->note[0]) json_object_set_new(o, "note", json_string(gr->note));
    return o;
}

/* The recommendation of an answer as one string: the text, or "[population] text | …". */
static void joined(const struct pgx_guide_answer *a, int strength, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = 0;
    for (uint32_t h = 0; h < a->n_hits && used + 1 < n; h++) {
        const struct pgx_guide_hit *x = &a->hits[h];
        if (strength) {
            if (h && strstr(buf, x->strength)) continue;
            used += (size_t)snprintf(buf + used, n - used, "%s%s", h ? "; " : "", x->strength);
        } else if (a->n_hits == 1) {
            used += (size_t)snprintf(buf + used, n - used, "%s", x->text);
        } else {
            used += (size_t)snprintf(buf + used, n - used, "%s[%s] %s", h ? " | " : "",
                                     x->population, x->text);
        }
        if (used >= n) used = n - 1;
    }
}

static json_t *drug_json(const struct pgx_guide_answer *a)
{
    json_t *o = json_object(), *recs = json_array();
    char *buf = gn_malloc(PGX_REPORT_TEXT_MAX);
    if (!buf) {
        json_decref(o);
        json_decref(recs);
        return NULL;
    }
    for (uint32_t h = 0; h < a->n_hits; h++) {
        json_t *x = json_object();
        json_object_set_new(x, "population", json_string(a->hits[h].population));
        json_object_set_new(x, "recommendation", json_string(a->hits[h].text));
        json_object_set_new(x, "strength", json_string(a->hits[h].strength));
        json_array_append_new(recs, x);
    }
    json_object_set_new(o, "drug", json_string(a->drug));
    json_object_set_new(o, "source", json_string(a->source));
    json_object_set_new(o, "answer", json_string(pgx_answer_name(a->answer)));
    joined(a, 0, buf, PGX_REPORT_TEXT_MAX);
    json_object_set_new(o, "recommendation", a->n_hits ? json_string(buf) : json_null());
    joined(a, 1, buf, PGX_REPORT_TEXT_MAX);
    json_object_set_new(o, "strength", a->n_hits ? json_string(buf) : json_null());
    gn_free(buf);
    json_object_set_new(o, "guideline", json_string(a->guideline));
    json_object_set_new(o, "url", json_string(a->url));
    json_object_set_new(o, "why", json_string(a->why));
    json_object_set_new(o, "recommendations", recs);
    return o;
}

static void out_json(struct wr *w, const struct pgx_report *r)
{
    json_t *out = json_object(), *genes = json_array(), *drugs = json_array(), *ver = json_object();
    const char *v[4][2];
    char *s, sample[1024];
    versions(r, v);
    for (int k = 0; k < 4; k++)
        json_object_set_new(ver, v[k][0], json_string(v[k][1]));
    /* a VCF's sample name is any bytes: as UTF-8, or json_string() drops it */
    json_object_set_new(out, "sample",
                        json_string(r->sample ? strparse_utf8_cut(sample, sizeof sample, r->sample,
                                                                  strlen(r->sample))
                                              : ""));
    json_object_set_new(out, "input", json_string(r->input));
    json_object_set_new(out, "definition_version", json_string(v[0][1]));
    json_object_set_new(out, "phenotype_version", json_string(v[1][1]));
    json_object_set_new(out, "data_versions", ver);
    for (uint32_t k = 0; k < r->n_genes; k++)
        json_array_append_new(genes, gene_json(&r->genes[k]));
    for (uint32_t k = 0; k < r->n_drugs; k++) {
        json_t *d = drug_json(&r->drugs[k]);
        if (!d || json_array_append_new(drugs, d) < 0) w->rc = GN_ENOMEM;
    }
    json_object_set_new(out, "genes", genes);
    json_object_set_new(out, "drugs", drugs);
    s = json_dumps(out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    if (s)
        W(w, "%s\n", s);
    else
        w->rc = GN_ENOMEM;
    free(s);
    json_decref(out);
}

/* A TSV field: tabs and newlines in free text become spaces. */
static void tsv_field(struct wr *w, const char *s)
{
    for (; s && *s; s++)
        wc(w, *s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

static void diplotypes_text(const struct pgx_gene_res *gr, char *buf, size_t n)
{
    size_t used = 0;
    const struct pgx_match *m = &gr->m;
    buf[0] = 0;
    for (uint32_t d = 0; d < m->n_dips && used + 1 < n; d++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", d ? ";" : "", m->dips[d].name);
    for (uint32_t v = 0; m->by_variant && v < m->n_vars && used + 1 < n; v++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", v ? ";" : "", m->vars[v].name);
    if (gr->oc && gr->oc->diplotype[0] && used + 1 < n)
        (void)snprintf(buf + used, n - used, "%s", gr->oc->diplotype);
}

static void out_tsv(struct wr *w, const struct pgx_report *r)
{
    const char *v[4][2];
    char buf[4096], sc[32];
    versions(r, v);
    W(w, "# sample %s; input %s; definitions %s; phenotypes %s; CPIC %s; DPWG %s\n", r->sample,
      r->input, v[0][1], v[1][1], v[2][1], v[3][1]);
    W(w, "gene\tdiplotypes\tphenotype\tactivity_score\tmissing_positions\tsource\n");
    for (uint32_t k = 0; k < r->n_genes; k++) {
        const struct pgx_gene_res *gr = &r->genes[k];
        diplotypes_text(gr, buf, sizeof buf);
        W(w, "%s\t%s\t", gr->gene, buf);
        tsv_field(w, gr->phenotype);
        W(w, "\t%s\t%u\t%s\n",
          gr->p.has_activity ? pgx_report_score(gr->p.activity_x100, sc, sizeof sc) : "",
          gr->m.n_missing, gr->source);
    }
    W(w, "\ndrug\tsource\tanswer\tstrength\trecommendation\twhy\n");
    for (uint32_t k = 0; k < r->n_drugs; k++) {
        const struct pgx_guide_answer *a = &r->drugs[k];
        W(w, "%s\t%s\t%s\t", a->drug, a->source, pgx_answer_name(a->answer));
        joined(a, 1, buf, sizeof buf);
        tsv_field(w, buf);
        wc(w, '\t');
        joined(a, 0, buf, sizeof buf);
        tsv_field(w, buf);
        wc(w, '\t');
        tsv_field(w, a->why);
        wc(w, '\n');
    }
}

/* Text escaped for HTML element content and attribute values. */
static void h(struct wr *w, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            ws(w, "&amp;");
            break;
        case '<':
            ws(w, "&lt;");
            break;
        case '>':
            ws(w, "&gt;");
            break;
        case '"':
            ws(w, "&quot;");
            break;
        case '\'':
            ws(w, "&#39;");
            break;
        default:
            wc(w, *s);
        }
    }
}

static const char CSS[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;max-width:72em;color:#222}"
    "h1{font-size:1.4em;margin:0}h2{font-size:1.15em;margin-top:1.4em}"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3em .5em;"
    "text-align:left;vertical-align:top}th{background:#f2f2f2}"
    ".change{background:#fde2e1}.consistent{background:#e3f4e1}.indeterminate{background:#fff4d6}"
    ".small{font-size:.85em;color:#555}@media print{body{margin:0}}";

static void html_genes(struct wr *w, const struct pgx_report *r)
{
    char buf[4096], sc[32];
    W(w, "<h2>Genes</h2>\n<table><tr><th>Gene</th><th>Diplotype(s)</th><th>Phenotype</th>"
         "<th>Activity score</th><th>Source</th><th>Missing positions / notes</th></tr>\n");
    for (uint32_t k = 0; k < r->n_genes; k++) {
        const struct pgx_gene_res *gr = &r->genes[k];
        diplotypes_text(gr, buf, sizeof buf);
        W(w, "<tr><td>");
        h(w, gr->gene);
        W(w, "</td><td>");
        h(w, buf[0] ? buf : "—");
        W(w, "</td><td>");
        h(w, gr->phenotype[0] ? gr->phenotype : "—");
        W(w, "</td><td>%s</td><td>",
          gr->p.has_activity ? pgx_report_score(gr->p.activity_x100, sc, sizeof sc) : "");
        h(w, gr->source);
        W(w, "</td><td class=small>");
        for (uint32_t i = 0; i < gr->m.n_missing; i++) {
            h(w, pgx_report_pos_name(gr->m.gene, gr->m.missing[i], buf, sizeof buf));
            W(w, "%s", i + 1 < gr->m.n_missing ? ", " : " ");
        }
        h(w, gr->why);
        W(w, " ");
        h(w, gr->note);
        W(w, "</td></tr>\n");
    }
    W(w, "</table>\n");
}

static void html_drugs(struct wr *w, const struct pgx_report *r)
{
    W(w, "<h2>Drugs</h2>\n<table><tr><th>Drug</th><th>Answer</th><th>Recommendation</th>"
         "<th>Strength</th><th>Guideline</th></tr>\n");
    for (uint32_t k = 0; k < r->n_drugs; k++) {
        const struct pgx_guide_answer *a = &r->drugs[k];
        const char *cls = a->answer == PGX_ANSWER_CHANGE       ? "change"
                          : a->answer == PGX_ANSWER_CONSISTENT ? "consistent"
                                                               : "indeterminate";
        W(w, "<tr class=%s><td><b>", cls);
        h(w, a->drug);
        W(w, "</b></td><td>");
        h(w, pgx_answer_name(a->answer));
        W(w, "<div class=small>");
        h(w, a->why);
        W(w, "</div></td><td>");
        for (uint32_t x = 0; x < a->n_hits; x++) {
            W(w, "<p>");
            if (a->n_hits > 1) {
                W(w, "<i>");
                h(w, a->hits[x].population);
                W(w, ":</i> ");
            }
            h(w, a->hits[x].text);
            W(w, "</p>");
        }
        W(w, "</td><td>");
        for (uint32_t x = 0; x < a->n_hits; x++) {
            h(w, a->hits[x].strength);
            W(w, "%s", x + 1 < a->n_hits ? "<br>" : "");
        }
        W(w, "</td><td>");
        h(w, a->source);
        W(w, ": <a href=\"");
        h(w, a->url);
        W(w, "\">");
        h(w, a->guideline);
        W(w, "</a></td></tr>\n");
    }
    W(w, "</table>\n");
}

static void out_html(struct wr *w, const struct pgx_report *r)
{
    const char *v[4][2];
    versions(r, v);
    W(w, "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
         "<meta name=viewport content=\"width=device-width\"><title>Pharmacogenomic report — ");
    h(w, r->sample);
    W(w, "</title><style>%s</style></head><body>\n<h1>Pharmacogenomic report</h1>\n", CSS);
    W(w, "<p>Sample <b>");
    h(w, r->sample);
    W(w, "</b> (genotypes from the ");
    h(w, r->input);
    W(w, ").</p>\n");
    html_genes(w, r);
    html_drugs(w, r);
    W(w, "<h2>Data versions</h2>\n<ul>");
    for (int k = 0; k < 4; k++) {
        W(w, "<li>");
        h(w, v[k][0]);
        W(w, ": ");
        h(w, v[k][1]);
        W(w, "</li>");
    }
    W(w,
      "</ul>\n<p class=small>Consistent: the guideline's recommendation for this result is "
      "standard prescribing. Change recommended: it differs. Indeterminate: a gene the "
      "guideline needs has no determinate result (named above). Missing positions are "
      "never assumed reference. Generated by genomenode %s; allele definitions and "
      "guidelines from PharmCAT (MPL-2.0), CPIC (CC0) and ClinPGx/DPWG (CC BY-SA 4.0).</p>\n"
      "</body></html>\n",
      GENOMENODE_VERSION);
}

int pgx_format_parse(const char *s, enum pgx_format *f)
{
    if (!strcmp(s, "json"))
        *f = PGX_FORMAT_JSON;
    else if (!strcmp(s, "tsv"))
        *f = PGX_FORMAT_TSV;
    else if (!strcmp(s, "html"))
        *f = PGX_FORMAT_HTML;
    else
        return GN_EINVAL;
    return GN_OK;
}

const char *pgx_format_type(enum pgx_format f)
{
    return f == PGX_FORMAT_HTML  ? "text/html; charset=utf-8"
           : f == PGX_FORMAT_TSV ? "text/tab-separated-values; charset=utf-8"
                                 : "application/json";
}

int pgx_report_write(const struct pgx_report *r, enum pgx_format f, struct gn_buf *out)
{
    struct wr w = {out, GN_OK};
    if (f == PGX_FORMAT_TSV)
        out_tsv(&w, r);
    else if (f == PGX_FORMAT_HTML)
        out_html(&w, r);
    else
        out_json(&w, r);
    return w.rc;
}
