/*
 * hpo_twin.c — OMIM/Orphanet twins (hpo_twin.h): four passes over the disease labels, the
 * gene links and the annotation sets, each among the entries the passes before left
 * unpaired.
 */
#include "hpo_twin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* A disease label folded for comparison: lower case, every run of other characters one
 * space, no space at the ends ("Marfan syndrome" == "MARFAN SYNDROME;"). */
static void fold_label(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    int gap = 0;
    for (; *s && n + 2 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        int alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z');
        if (!alnum) {
            gap = n > 0;
            continue;
        }
        if (gap) out[n++] = ' ';
        gap = 0;
        out[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
    out[n] = '\0';
}

static int cmp_word(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* A disease label as a sorted set of words, for the second pass (level 2): lower case,
 * roman numerals i..x as digits (also with a letter after "type": "type IIA" == "type 2A"), and the
 * words that OMIM's inverted titles and Orphanet's natural ones add or drop ("type", "syndrome",
 * "with", ...) left out, so "Hyperoxaluria, primary, type III" == "Primary hyperoxaluria type 3".
 * An eponym written with a hyphen between capitalised names ("Shprintzen-Goldberg") stays one
 * ordered word: "Goldberg-Shprintzen syndrome" is another disease. */
static void fold_words(const char *s, char *out, size_t cap)
{
    static const char *const stop[] = {"type", "syndrome", "disease", "with", "due",
                                       "to",   "the",      "of",      "and",  "form"};
    static const char *const roman[] = {"i",  "ii",  "iii",  "iv", "v",
                                        "vi", "vii", "viii", "ix", "x"};
    static const char *const arabic[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"};
    char buf[256], sub[64][4];
    const char *w[64];
    size_t n = 0, nw = 0, o = 0;
    const char *p = s;
    int after_type = 0;
    while (nw < sizeof w / sizeof w[0] && n + 2 < sizeof buf) {
        char *t = buf + n;
        int keep = 1, was_type = after_type;
        while (*p && !isalnum((unsigned char)*p))
            p++;
        if (!*p) break;
        for (const char *b = p;;) { /* one word */
            while (isalnum((unsigned char)*p) && n + 2 < sizeof buf)
                buf[n++] = (char)tolower((unsigned char)*p++);
            if (*p != '-' || !isupper((unsigned char)b[0]) || !islower((unsigned char)b[1]) ||
                !isupper((unsigned char)p[1]) || n + 2 >= sizeof buf)
                break;
            buf[n++] = '-'; /* Capitalised-Capitalised: one eponym */
            b = ++p;
        }
        buf[n++] = '\0';
        while (isalnum((unsigned char)*p)) /* a word cut at the buffer's end */
            p++;
        after_type = !strcmp(t, "type");
        for (size_t k = 0; keep && k < sizeof stop / sizeof stop[0]; k++)
            keep = strcmp(t, stop[k]) != 0;
        if (!keep) continue;
        w[nw] = t;
        for (size_t k = 0; k < sizeof roman / sizeof roman[0]; k++) {
            size_t rl = strlen(roman[k]);
            if (!strcmp(t, roman[k])) {
                w[nw] = arabic[k];
            } else if (was_type && !strncmp(t, roman[k], rl) && islower((unsigned char)t[rl]) &&
                       !t[rl + 1]) { /* "type IA" == "type 1A"; "in", "xy" stay words */
                snprintf(sub[nw], sizeof sub[nw], "%s%c", arabic[k], t[rl]);
                w[nw] = sub[nw];
            }
        }
        nw++;
    }
    qsort(w, nw, sizeof *w, cmp_word);
    out[0] = '\0';
    for (size_t i = 0; i < nw; i++) {
        int k = snprintf(out + o, cap - o, "%s%s", i ? " " : "", w[i]);
        if (k < 0 || (size_t)k >= cap - o) break;
        o += (size_t)k;
    }
}

struct twin_key {
    char label[256];
    uint32_t d;
};

static int cmp_twin_key(const void *a, const void *b)
{
    const struct twin_key *x = a, *y = b;
    int c = strcmp(x->label, y->label);
    return c ? c : (x->d > y->d) - (x->d < y->d);
}

/* Pairs the OMIM and the Orphanet entry of every key carried by exactly those two diseases,
 * neither of them already paired. */
static void pair_by_key(const struct hpo *h, struct hpo_twins *tw, struct twin_key *k,
                        void (*fold)(const char *, char *, size_t), uint8_t pass)
{
    for (uint32_t d = 0; d < h->n_dis; d++) {
        fold(hpo_str(h, h->dis_label[d]), k[d].label, sizeof k[d].label);
        k[d].d = d;
    }
    qsort(k, h->n_dis, sizeof *k, cmp_twin_key);
    for (uint32_t i = 0; i < h->n_dis;) {
        uint32_t j = i + 1;
        while (j < h->n_dis && !strcmp(k[i].label, k[j].label))
            j++;
        /* diseases are sorted by id and equal labels by index, so an OMIM entry ("OM...")
         * comes before its Orphanet twin ("OR...") */
        if (j == i + 2 && k[i].label[0]) {
            uint32_t a = k[i].d, b = k[i + 1].d;
            if (tw->twin[a] == HPO_NONE && tw->twin[b] == HPO_NONE &&
                !strncmp(hpo_str(h, h->dis_id[a]), "OMIM:", 5) &&
                !strncmp(hpo_str(h, h->dis_id[b]), "ORPHA:", 6)) {
                tw->twin[a] = b;
                tw->twin[b] = a;
                tw->pair_pass[tw->n_pairs] = pass;
                tw->pair_omim[tw->n_pairs++] = a;
            }
        }
        i = j;
    }
}

/* Whether two labels share a word that names something: folded words of three letters or
 * more, other than the ones every kind of label uses ("syndrome", "autosomal", ...). */
static int share_word(const char *a, const char *b)
{
    static const char *const common[] = {
        "type",       "syndrome",      "disease",    "with",      "without",    "due",
        "the",        "and",           "form",       "autosomal", "recessive",  "dominant",
        "linked",     "related",       "congenital", "familial",  "hereditary", "isolated",
        "deficiency", "disorder",      "onset",      "early",     "late",       "infantile",
        "juvenile",   "adult",         "childhood",  "classic",   "severe",     "mild",
        "primary",    "susceptibility"};
    char fa[256], fb[256];
    fold_label(a, fa, sizeof fa);
    fold_label(b, fb, sizeof fb);
    for (char *w = fa; *w;) {
        size_t n = strcspn(w, " ");
        int skip = n < 3;
        for (size_t k = 0; !skip && k < sizeof common / sizeof common[0]; k++)
            skip = strlen(common[k]) == n && !strncmp(w, common[k], n);
        for (const char *v = fb; !skip && *v;) {
            size_t m = strcspn(v, " ");
            if (m == n && !strncmp(v, w, n)) return 1;
            v += m + (v[m] == ' ');
        }
        w += n + (w[n] == ' ');
    }
    return 0;
}

static int cmp_u32_asc(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

/* Whether a label names a deletion, duplication or aneuploidy ("2q37 microdeletion
 * syndrome", "Trisomy 13", "... with mitochondrial DNA deletions") rather than the disease
 * of one gene. */
static int chromosomal(const char *label)
{
    static const char *const words[] = {"deletion",         "deletions",         "microdeletion",
                                        "microdeletions",   "duplication",       "duplications",
                                        "microduplication", "microduplications", "trisomy",
                                        "monosomy",         "tetrasomy",         "triploidy"};
    char f[256];
    fold_label(label, f, sizeof f);
    for (char *w = f; *w;) {
        size_t n = strcspn(w, " ");
        for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
            if (strlen(words[k]) == n && !strncmp(w, words[k], n)) return 1;
        w += n + (w[n] == ' ');
    }
    return 0;
}

/* Fourth pass (level 4), among the entries still unpaired: an Orphanet entry with one gene
 * (its own, or the one inferred in pair_by_gene: one_gene) pairs with the OMIM entry of
 * that gene (of that gene alone) whose annotations are most like its own, by the Jaccard
 * index of the two annotation sets, when that index is at least TWIN_MIN_JACCARD, every
 * other OMIM entry of the gene scores at most TWIN_MARGIN times as much, no other Orphanet
 * entry chooses the same OMIM entry, and both labels or neither name a chromosomal
 * imbalance. For a gene with several OMIM entries ("Gillespie syndrome" beside two
 * spinocerebellar ataxias of ITPR1) this finds the one the Orphanet entry describes. */
#define TWIN_MIN_JACCARD 0.3
#define TWIN_MARGIN      0.5
static int pair_by_profile(const struct hpo *h, struct hpo_twins *tw, const uint32_t *one_gene)
{
    uint32_t nd = h->n_dis, *gd_off = NULL, *gd_dis = NULL, *mark = NULL, *choice = NULL;
    uint8_t *claims = NULL;
    int rc = GN_ENOMEM;
    if (!(mark = gn_calloc(h->n_terms + 1, sizeof *mark)) ||
        !(choice = gn_calloc(nd + 1, sizeof *choice)) || !(claims = gn_calloc(nd + 1, 1)) ||
        hpo_csr_invert(h->dg_off, h->dg_gene, NULL, nd, h->n_genes, &gd_off, &gd_dis, NULL) < 0)
        goto out;
    for (uint32_t b = 0; b < nd; b++) {
        uint32_t g = one_gene[b], best = HPO_NONE, nb = h->dt_off[b + 1] - h->dt_off[b];
        double j1 = 0, j2 = 0;
        choice[b] = HPO_NONE;
        if (g == HPO_NONE || tw->twin[b] != HPO_NONE) continue;
        for (uint32_t k = h->dt_off[b]; k < h->dt_off[b + 1]; k++)
            mark[h->dt_term[k]] = b + 1;
        for (uint32_t i = gd_off[g]; i < gd_off[g + 1]; i++) {
            uint32_t a = gd_dis[i], shared = 0, na = h->dt_off[a + 1] - h->dt_off[a];
            double jac;
            if (h->dg_off[a + 1] - h->dg_off[a] != 1 ||
                strncmp(hpo_str(h, h->dis_id[a]), "OMIM:", 5))
                continue;
            for (uint32_t k = h->dt_off[a]; k < h->dt_off[a + 1]; k++)
                shared += mark[h->dt_term[k]] == b + 1;
            jac = na + nb > shared ? (double)shared / (na + nb - shared) : 0;
            if (jac > j1) {
                j2 = j1;
                j1 = jac;
                best = a;
            } else if (jac > j2) {
                j2 = jac;
            }
        }
        if (best == HPO_NONE || tw->twin[best] != HPO_NONE || j1 < TWIN_MIN_JACCARD ||
            j2 > TWIN_MARGIN * j1 ||
            chromosomal(hpo_str(h, h->dis_label[best])) != chromosomal(hpo_str(h, h->dis_label[b])))
            continue;
        choice[b] = best;
        if (claims[best] < 2) claims[best]++;
    }
    for (uint32_t b = 0; b < nd; b++) {
        uint32_t a = choice[b];
        if (a == HPO_NONE || claims[a] != 1) continue;
        tw->twin[a] = b;
        tw->twin[b] = a;
        tw->pair_pass[tw->n_pairs] = 4;
        tw->pair_omim[tw->n_pairs++] = a;
    }
    rc = GN_OK;
out:
    gn_free(gd_off);
    gn_free(gd_dis);
    gn_free(mark);
    gn_free(choice);
    gn_free(claims);
    return rc;
}

/* Third pass (level 3), among the entries still unpaired: an Orphanet entry without
 * genes of its own gets the gene(s) whose phenotype links contain every one of its
 * annotations (genes_to_phenotype is the union of the annotations of a gene's diseases);
 * a gene with exactly one OMIM entry (of that gene alone) and exactly one such Orphanet
 * entry pairs them when their labels share a word. Level 4 goes on to pair_by_profile with
 * each Orphanet entry's gene when it has exactly one. */
static int pair_by_gene(const struct hpo *h, struct hpo_twins *tw, int level)
{
    uint32_t ng = h->n_genes, *gsort = NULL, *tg_off = NULL, *tg_gene = NULL;
    uint32_t *n_om = NULL, *om = NULL, *n_or = NULL, *orp = NULL, *cand = NULL, *one = NULL;
    int rc = GN_ENOMEM;
    if (!ng) return GN_OK;
    if (!(gsort = gn_calloc(h->gt_off[ng] + 1, sizeof *gsort)) ||
        !(n_om = gn_calloc(ng, sizeof *n_om)) || !(om = gn_calloc(ng, sizeof *om)) ||
        !(n_or = gn_calloc(ng, sizeof *n_or)) || !(orp = gn_calloc(ng, sizeof *orp)) ||
        !(cand = gn_calloc(ng, sizeof *cand)) || !(one = gn_calloc(h->n_dis + 1, sizeof *one)))
        goto out;
    memcpy(gsort, h->gt_term, (size_t)h->gt_off[ng] * sizeof *gsort);
    for (uint32_t g = 0; g < ng; g++)
        qsort(gsort + h->gt_off[g], h->gt_off[g + 1] - h->gt_off[g], sizeof *gsort, cmp_u32_asc);
    if (hpo_csr_invert(h->gt_off, h->gt_term, NULL, ng, h->n_terms, &tg_off, &tg_gene, NULL) < 0)
        goto out;
    for (uint32_t d = 0; d < h->n_dis; d++) {
        const char *id = hpo_str(h, h->dis_id[d]);
        uint32_t ndg = h->dg_off[d + 1] - h->dg_off[d], nc = 0, t0 = HPO_NONE;
        one[d] = HPO_NONE;
        if (!strncmp(id, "OMIM:", 5)) {
            if (ndg != 1) {
                for (uint32_t k = h->dg_off[d]; k < h->dg_off[d + 1]; k++)
                    n_om[h->dg_gene[k]] += 2; /* a gene of a multi-gene entry: never unique */
                continue;
            }
            uint32_t g = h->dg_gene[h->dg_off[d]];
            n_om[g]++;
            om[g] = d;
            continue;
        }
        if (strncmp(id, "ORPHA:", 6)) continue;
        if (ndg) {
            for (uint32_t k = h->dg_off[d]; k < h->dg_off[d + 1] && nc < ng; k++)
                cand[nc++] = h->dg_gene[k];
        } else {
            if (h->dt_off[d] == h->dt_off[d + 1]) continue;
            for (uint32_t k = h->dt_off[d]; k < h->dt_off[d + 1]; k++) { /* the rarest term */
                uint32_t t = h->dt_term[k];
                if (t0 == HPO_NONE || tg_off[t + 1] - tg_off[t] < tg_off[t0 + 1] - tg_off[t0])
                    t0 = t;
            }
            for (uint32_t j = tg_off[t0]; j < tg_off[t0 + 1]; j++) {
                uint32_t g = tg_gene[j], all = 1;
                for (uint32_t k = h->dt_off[d]; all && k < h->dt_off[d + 1]; k++)
                    all = bsearch(&h->dt_term[k], gsort + h->gt_off[g],
                                  h->gt_off[g + 1] - h->gt_off[g], sizeof *gsort,
                                  cmp_u32_asc) != NULL;
                if (all && (!nc || cand[nc - 1] != g) && nc < ng) cand[nc++] = g;
            }
        }
        for (uint32_t i = 0; i < nc; i++) {
            n_or[cand[i]] += nc == 1 ? 1 : 2;
            orp[cand[i]] = d;
        }
        if (nc == 1) one[d] = cand[0];
    }
    for (uint32_t g = 0; g < ng; g++) {
        uint32_t a = om[g], b = orp[g];
        if (n_om[g] != 1 || n_or[g] != 1 || tw->twin[a] != HPO_NONE || tw->twin[b] != HPO_NONE)
            continue;
        if (!share_word(hpo_str(h, h->dis_label[a]), hpo_str(h, h->dis_label[b]))) continue;
        tw->twin[a] = b;
        tw->twin[b] = a;
        tw->pair_pass[tw->n_pairs] = 3;
        tw->pair_omim[tw->n_pairs++] = a;
    }
    rc = level >= 4 ? pair_by_profile(h, tw, one) : GN_OK;
out:
    gn_free(one);
    gn_free(gsort);
    gn_free(tg_off);
    gn_free(tg_gene);
    gn_free(n_om);
    gn_free(om);
    gn_free(n_or);
    gn_free(orp);
    gn_free(cand);
    return rc;
}

int hpo_twins_find(const struct hpo *h, int level, struct hpo_twins *tw)
{
    struct twin_key *k = gn_calloc(h->n_dis + 1, sizeof *k);
    int rc = GN_ENOMEM;
    memset(tw, 0, sizeof *tw);
    if (!k || !(tw->twin = gn_calloc(h->n_dis + 1, sizeof *tw->twin)) ||
        !(tw->pair_omim = gn_calloc(h->n_dis / 2 + 1, sizeof *tw->pair_omim)) ||
        !(tw->pair_pass = gn_calloc(h->n_dis / 2 + 1, sizeof *tw->pair_pass)))
        goto out;
    for (uint32_t d = 0; d < h->n_dis; d++)
        tw->twin[d] = HPO_NONE;
    rc = GN_OK;
    if (level >= 1) pair_by_key(h, tw, k, fold_label, 1);
    if (level >= 2) pair_by_key(h, tw, k, fold_words, 2);
    if (level >= 3) rc = pair_by_gene(h, tw, level);
out:
    gn_free(k);
    if (rc < 0) hpo_twins_free(tw);
    return rc;
}

void hpo_twins_free(struct hpo_twins *tw)
{
    if (!tw) return;
    gn_free(tw->twin);
    gn_free(tw->pair_omim);
    gn_free(tw->pair_pass);
    memset(tw, 0, sizeof *tw);
}
