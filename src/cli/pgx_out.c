/*
 * pgx_out.c — the pgx report writers: JSON (jansson), TSV (one gene per line, then one
 * drug guideline per line) and a self-contained HTML page for a clinician (gene table
 * first, then the drugs, then the data versions; every text escaped).
 *
 * Every output states the definition, phenotype and guideline data versions.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pgx_cli.h"

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
        json_array_append_new(a, json_string(pgx_cli_pos_name(g, idx[k], buf, sizeof buf)));
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
    static char buf[16384]; /* single-threaded CLI */
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
    joined(a, 0, buf, sizeof buf);
    json_object_set_new(o, "recommendation", a->n_hits ? json_string(buf) : json_null());
    joined(a, 1, buf, sizeof buf);
    json_object_set_new(o, "strength", a->n_hits ? json_string(buf) : json_null());
    json_object_set_new(o, "guideline", json_string(a->guideline));
    json_object_set_new(o, "url", json_string(a->url));
    json_object_set_new(o, "why", json_string(a->why));
    json_object_set_new(o, "recommendations", recs);
    return o;
}

void pgx_out_json(const struct pgx_report *r)
{
    json_t *out = json_object(), *genes = json_array(), *drugs = json_array(), *ver = json_object();
    const char *v[4][2];
    char *s;
    versions(r, v);
    for (int k = 0; k < 4; k++)
        json_object_set_new(ver, v[k][0], json_string(v[k][1]));
    json_object_set_new(out, "sample", json_string(r->sample));
    json_object_set_new(out, "input", json_string(r->input));
    json_object_set_new(out, "definition_version", json_string(v[0][1]));
    json_object_set_new(out, "phenotype_version", json_string(v[1][1]));
    json_object_set_new(out, "data_versions", ver);
    for (uint32_t k = 0; k < r->n_genes; k++)
        json_array_append_new(genes, gene_json(&r->genes[k]));
    for (uint32_t k = 0; k < r->n_drugs; k++)
        json_array_append_new(drugs, drug_json(&r->drugs[k]));
    json_object_set_new(out, "genes", genes);
    json_object_set_new(out, "drugs", drugs);
    s = json_dumps(out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    if (s) printf("%s\n", s);
    free(s);
    json_decref(out);
}

/* A TSV field: tabs and newlines in free text become spaces. */
static void tsv_field(const char *s)
{
    for (; s && *s; s++)
        putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
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

void pgx_out_tsv(const struct pgx_report *r)
{
    const char *v[4][2];
    char buf[4096], sc[32];
    versions(r, v);
    printf("# sample %s; input %s; definitions %s; phenotypes %s; CPIC %s; DPWG %s\n", r->sample,
           r->input, v[0][1], v[1][1], v[2][1], v[3][1]);
    printf("gene\tdiplotypes\tphenotype\tactivity_score\tmissing_positions\tsource\n");
    for (uint32_t k = 0; k < r->n_genes; k++) {
        const struct pgx_gene_res *gr = &r->genes[k];
        diplotypes_text(gr, buf, sizeof buf);
        printf("%s\t%s\t", gr->gene, buf);
        tsv_field(gr->phenotype);
        printf("\t%s\t%u\t%s\n",
               gr->p.has_activity ? pgx_cli_score(gr->p.activity_x100, sc, sizeof sc) : "",
               gr->m.n_missing, gr->source);
    }
    printf("\ndrug\tsource\tanswer\tstrength\trecommendation\twhy\n");
    for (uint32_t k = 0; k < r->n_drugs; k++) {
        const struct pgx_guide_answer *a = &r->drugs[k];
        printf("%s\t%s\t%s\t", a->drug, a->source, pgx_answer_name(a->answer));
        joined(a, 1, buf, sizeof buf);
        tsv_field(buf);
        putchar('\t');
        joined(a, 0, buf, sizeof buf);
        tsv_field(buf);
        putchar('\t');
        tsv_field(a->why);
        putchar('\n');
    }
}

/* Text escaped for HTML element content and attribute values. */
static void h(const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", stdout);
            break;
        case '<':
            fputs("&lt;", stdout);
            break;
        case '>':
            fputs("&gt;", stdout);
            break;
        case '"':
            fputs("&quot;", stdout);
            break;
        case '\'':
            fputs("&#39;", stdout);
            break;
        default:
            putchar(*s);
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

static void html_genes(const struct pgx_report *r)
{
    char buf[4096], sc[32];
    printf("<h2>Genes</h2>\n<table><tr><th>Gene</th><th>Diplotype(s)</th><th>Phenotype</th>"
           "<th>Activity score</th><th>Source</th><th>Missing positions / notes</th></tr>\n");
    for (uint32_t k = 0; k < r->n_genes; k++) {
        const struct pgx_gene_res *gr = &r->genes[k];
        diplotypes_text(gr, buf, sizeof buf);
        printf("<tr><td>");
        h(gr->gene);
        printf("</td><td>");
        h(buf[0] ? buf : "—");
        printf("</td><td>");
        h(gr->phenotype[0] ? gr->phenotype : "—");
        printf("</td><td>%s</td><td>",
               gr->p.has_activity ? pgx_cli_score(gr->p.activity_x100, sc, sizeof sc) : "");
        h(gr->source);
        printf("</td><td class=small>");
        for (uint32_t i = 0; i < gr->m.n_missing; i++) {
            h(pgx_cli_pos_name(gr->m.gene, gr->m.missing[i], buf, sizeof buf));
            printf("%s", i + 1 < gr->m.n_missing ? ", " : " ");
        }
        h(gr->why);
        printf(" ");
        h(gr->note);
        printf("</td></tr>\n");
    }
    printf("</table>\n");
}

static void html_drugs(const struct pgx_report *r)
{
    printf("<h2>Drugs</h2>\n<table><tr><th>Drug</th><th>Answer</th><th>Recommendation</th>"
           "<th>Strength</th><th>Guideline</th></tr>\n");
    for (uint32_t k = 0; k < r->n_drugs; k++) {
        const struct pgx_guide_answer *a = &r->drugs[k];
        const char *cls = a->answer == PGX_ANSWER_CHANGE       ? "change"
                          : a->answer == PGX_ANSWER_CONSISTENT ? "consistent"
                                                               : "indeterminate";
        printf("<tr class=%s><td><b>", cls);
        h(a->drug);
        printf("</b></td><td>");
        h(pgx_answer_name(a->answer));
        printf("<div class=small>");
        h(a->why);
        printf("</div></td><td>");
        for (uint32_t x = 0; x < a->n_hits; x++) {
            printf("<p>");
            if (a->n_hits > 1) {
                printf("<i>");
                h(a->hits[x].population);
                printf(":</i> ");
            }
            h(a->hits[x].text);
            printf("</p>");
        }
        printf("</td><td>");
        for (uint32_t x = 0; x < a->n_hits; x++) {
            h(a->hits[x].strength);
            printf("%s", x + 1 < a->n_hits ? "<br>" : "");
        }
        printf("</td><td>");
        h(a->source);
        printf(": <a href=\"");
        h(a->url);
        printf("\">");
        h(a->guideline);
        printf("</a></td></tr>\n");
    }
    printf("</table>\n");
}

void pgx_out_html(const struct pgx_report *r)
{
    const char *v[4][2];
    versions(r, v);
    printf("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
           "<meta name=viewport content=\"width=device-width\"><title>Pharmacogenomic report — ");
    h(r->sample);
    printf("</title><style>%s</style></head><body>\n<h1>Pharmacogenomic report</h1>\n", CSS);
    printf("<p>Sample <b>");
    h(r->sample);
    printf("</b> (genotypes from the ");
    h(r->input);
    printf(").</p>\n");
    html_genes(r);
    html_drugs(r);
    printf("<h2>Data versions</h2>\n<ul>");
    for (int k = 0; k < 4; k++) {
        printf("<li>");
        h(v[k][0]);
        printf(": ");
        h(v[k][1]);
        printf("</li>");
    }
    printf("</ul>\n<p class=small>Consistent: the guideline's recommendation for this result is "
           "standard prescribing. Change recommended: it differs. Indeterminate: a gene the "
           "guideline needs has no determinate result (named above). Missing positions are "
           "never assumed reference. Generated by genomenode %s; allele definitions and "
           "guidelines from PharmCAT (MPL-2.0), CPIC (CC0) and ClinPGx/DPWG (CC BY-SA 4.0).</p>\n"
           "</body></html>\n",
           GENOMENODE_VERSION);
}
