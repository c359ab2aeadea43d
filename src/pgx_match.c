/*
 * pgx_match.c — the diplotype matcher (rules in pgx_match.h and docs/pgx.md).
 *
 * Design. PharmCAT describes its matcher as: generate every haplotype sequence the
 * unphased genotypes allow, match each sequence to named alleles, then pair sequences
 * into diplotypes. Enumerating sequences is exponential in the heterozygous positions, so
 * this matcher turns the question round: for each pair of named alleles (A, B) it asks
 * whether the genotypes can be split into A and B, one phase block at a time. Per
 * position and allele we precompute two bits — does the allele fit the first called
 * allele, does it fit the second — and a pair is consistent when every block has an
 * orientation under which A fits one side and B the other at all of the block's
 * positions. That is the same set of diplotypes as the enumeration (every split of
 * heterozygous positions across the two copies), in time linear in the positions per
 * pair. Alleles that do not fit a position on either side are filtered out first, so
 * pairs are formed only among the few candidates.
 *
 * Data layout: the fit of an allele at a position is two bits (bit 0: fits called allele
 * 0, bit 1: fits called allele 1). An allele that does not define a position fits there
 * exactly as the reference allele does, so only the reference's fits are stored
 * (ref_fit[i]) and an allele's own are computed at its defined positions — the cost of a
 * match is the number of positions plus the number of defined cells, not their product
 * (RYR1: 313 positions × 339 alleles). block[i] is -1 for missing or homozygous
 * positions, else the phase block of a heterozygous position.
 */
#include "pgx_match.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* Genes whose undocumented alleles are read as reference (the toxicity genes). */
static int undocumented_as_ref(const char *gene)
{
    static const char *const genes[] = {"CACNA1S", "DPYD", "NUDT15", "RYR1", "TPMT"};
    for (size_t i = 0; i < sizeof genes / sizeof genes[0]; i++) {
        if (!strcmp(gene, genes[i])) return 1;
    }
    return 0;
}

/* Genes called by their variants rather than by whole-haplotype match. */
static int by_variant_gene(const char *gene)
{
    return !strcmp(gene, "DPYD") || !strcmp(gene, "RYR1");
}

int pgx_name_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            const char *ea = a, *eb = b;
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            for (ea = a; *ea >= '0' && *ea <= '9'; ea++) {
            }
            for (eb = b; *eb >= '0' && *eb <= '9'; eb++) {
            }
            if (ea - a != eb - b) return ea - a < eb - b ? -1 : 1;
            int c = strncmp(a, b, (size_t)(ea - a));
            if (c) return c;
            a = ea;
            b = eb;
            continue;
        }
        if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

/* Working state of one match. */
#define CONV_MAX 128 /* bytes of a re-expressed allele, NUL included */

struct work {
    const struct pgx_gene *g;
    const char **a0, **a1; /* effective called alleles per position (NULL when missing) */
    int *block;            /* phase block of a heterozygous position, -1 otherwise */
    uint32_t n_blocks;
    uint8_t *ref_fit; /* fit bits of the reference allele per position */
    uint32_t *score;  /* per allele: defined present positions */
    uint8_t *mask;    /* per block, scratch */
    uint32_t *cand;   /* candidate alleles */
    uint32_t n_cand;
    char *conv; /* alleles re-expressed against the definition's REF: 2 per position */
};

static void work_free(struct work *w)
{
    gn_free(w->a0);
    gn_free(w->a1);
    gn_free(w->block);
    gn_free(w->ref_fit);
    gn_free(w->score);
    gn_free(w->mask);
    gn_free(w->cand);
    gn_free(w->conv);
}

/* Whether a haploid call is possible on chrom: chrX (males), chrY, the mitochondrion. */
static int haploid_chrom(const char *chrom)
{
    if (!strncmp(chrom, "chr", 3)) chrom += 3;
    return !strcmp(chrom, "X") || !strcmp(chrom, "Y") || !strcmp(chrom, "M") ||
           !strcmp(chrom, "MT");
}

static int push_u32(uint32_t **arr, uint32_t *n, uint32_t v)
{
    uint32_t *na = gn_reallocarray(*arr, (size_t)*n + 1, sizeof **arr);
    if (!na) return GN_ENOMEM;
    na[(*n)++] = v;
    *arr = na;
    return GN_OK;
}

static int is_documented(const struct pgx_pos *p, const char *s)
{
    if (!strcmp(p->ref, s)) return 1;
    for (uint32_t j = 0; j < p->n_alts; j++) {
        if (!strcmp(p->alts[j], s)) return 1;
    }
    return 0;
}

/* The haplotype of a heterozygous diploid call that carries the ALT, or -1. */
static int alt_hap(const struct pgx_obs *o)
{
    const char *r1 = o->ref1 ? o->ref1 : o->ref;
    if (!o->al[1]) return -1;
    int n0 = strcmp(o->al[0], o->ref) != 0, n1 = strcmp(o->al[1], r1) != 0;
    return n0 == n1 ? -1 : n0 ? 0 : 1;
}

void pgx_obs_merge(struct pgx_obs *o, const struct pgx_obs *nw)
{
    int h0 = alt_hap(o), h1 = alt_hap(nw);
    const char *alt0, *ref0, *alt1, *ref1;
    if (h0 < 0 || h1 < 0 || o->ref1) { /* not two plain heterozygous calls */
        memset(o, 0, sizeof *o);
        o->missing = o->conflict = 1;
        return;
    }
    alt0 = o->al[h0];
    ref0 = o->ref;
    alt1 = nw->al[h1];
    ref1 = nw->ref;
    if (o->phased && nw->phased && o->ps == nw->ps) {
        if (h0 == h1) { /* two ALTs at one position on one haplotype */
            memset(o, 0, sizeof *o);
            o->missing = o->conflict = 1;
            return;
        }
    } else {
        o->phased = 0;
        o->ps = 0;
        h0 = 0;
    }
    /* al[h0] = the first call's ALT (against ref0), the other copy the second's */
    o->al[h0] = alt0;
    o->al[1 - h0] = alt1;
    o->ref = h0 == 0 ? ref0 : ref1;
    o->ref1 = h0 == 0 ? ref1 : ref0;
    if (!strcmp(o->ref1, o->ref)) o->ref1 = NULL;
}

/* Reads the observations: missing, REF mismatches, undocumented alleles, phase blocks. */
static int read_obs(struct work *w, const struct pgx_obs *obs, struct pgx_match *m,
                    struct gn_err *err)
{
    const struct pgx_gene *g = w->g;
    int64_t *ps_of_block = NULL;
    int as_ref = undocumented_as_ref(g->name), rc = GN_OK, any_diploid = 0, any = 0;
    if (!(ps_of_block = gn_calloc(g->n_pos, sizeof *ps_of_block))) return GN_ENOMEM;
    for (uint32_t i = 0; i < g->n_pos; i++) {
        const struct pgx_obs *o = &obs[i];
        w->block[i] = -1;
        if (o->missing) {
            if ((rc = push_u32(&m->missing, &m->n_missing, i)) < 0) goto out;
            if (g->pos[i].required) m->missing_required = 1;
            continue;
        }
        if (!o->al[0]) {
            rc = gn_errf(err, GN_EINVAL, "%s %lld: call without alleles", g->name,
                         (long long)g->pos[i].pos);
            goto out;
        }
        if (!o->al[1] && !haploid_chrom(g->pos[i].chrom)) {
            /* One allele on an autosome is no genotype: neither a homozygous call nor one
             * copy of the allele. The position is missing, and listed as haploid. */
            if ((rc = push_u32(&m->haploid_pos, &m->n_haploid_pos, i)) < 0 ||
                (rc = push_u32(&m->missing, &m->n_missing, i)) < 0)
                goto out;
            if (g->pos[i].required) m->missing_required = 1;
            continue;
        }
        w->a0[i] = o->al[0];
        w->a1[i] = o->al[1] ? o->al[1] : o->al[0];
        const char *r0 = o->ref, *r1 = o->ref1 ? o->ref1 : o->ref;
        if ((r0 && strcmp(r0, g->pos[i].ref)) || (r1 && strcmp(r1, g->pos[i].ref))) {
            /* Another representation of the same alleles (the panel's C>CAT for the
             * definition's CAT>CATAT) is re-expressed; any other REF (an indel the input
             * could not resolve, another build) cannot be compared: the position counts as
             * missing. */
            if (!w->conv && !(w->conv = gn_malloc((size_t)g->n_pos * 2 * CONV_MAX))) {
                rc = GN_ENOMEM;
                goto out;
            }
            char *c0 = w->conv + (size_t)i * 2 * CONV_MAX, *c1 = c0 + CONV_MAX;
            if ((!r0 || pgx_pos_allele_as_def(&g->pos[i], r0, w->a0[i], c0, CONV_MAX)) &&
                (!r1 || pgx_pos_allele_as_def(&g->pos[i], r1, w->a1[i], c1, CONV_MAX))) {
                if (r0) w->a0[i] = c0;
                if (r1) w->a1[i] = c1;
            } else {
                w->a0[i] = w->a1[i] = NULL;
                if ((rc = push_u32(&m->mismatch, &m->n_mismatch, i)) < 0 ||
                    (rc = push_u32(&m->missing, &m->n_missing, i)) < 0)
                    goto out;
                if (g->pos[i].required) m->missing_required = 1;
                continue;
            }
        }
        any = 1;
        any_diploid |= o->al[1] != NULL;
        int u0 = !is_documented(&g->pos[i], w->a0[i]), u1 = !is_documented(&g->pos[i], w->a1[i]);
        if ((u0 || u1) && (rc = push_u32(&m->undocumented, &m->n_undocumented, i)) < 0) goto out;
        if (as_ref && u0) w->a0[i] = g->pos[i].ref;
        if (as_ref && u1) w->a1[i] = g->pos[i].ref;
        if (!strcmp(w->a0[i], w->a1[i])) continue;
        /* Heterozygous: its own block unless phased with others in the same set. */
        uint32_t b = w->n_blocks;
        for (uint32_t k = 0; o->phased && k < w->n_blocks; k++) {
            if (ps_of_block[k] == o->ps + 1) b = k; /* stored +1: 0 means unphased */
        }
        if (b == w->n_blocks) ps_of_block[w->n_blocks++] = o->phased ? o->ps + 1 : 0;
        w->block[i] = (int)b;
    }
    m->haploid = any && !any_diploid;
    m->phased = w->n_blocks <= 1;
out:
    gn_free(ps_of_block);
    if (rc == GN_ENOMEM) rc = gn_errf(err, rc, "%s: out of memory", g->name);
    return rc;
}

/* The fit bits of allele a at present position i. */
static uint8_t fit_of(const struct work *w, uint32_t a, uint32_t i)
{
    const char *d = w->g->alleles[a].seq[i];
    if (!d) return w->ref_fit[i];
    return (uint8_t)(pgx_allele_matches(d, w->a0[i], strlen(w->a0[i])) |
                     (pgx_allele_matches(d, w->a1[i], strlen(w->a1[i])) << 1));
}

/* Present scores of every allele; candidates are the alleles fitting every position. */
static int compute_fits(struct work *w, struct pgx_match *m)
{
    const struct pgx_gene *g = w->g;
    uint32_t ref_bad = 0;
    for (uint32_t i = 0; i < g->n_pos; i++) {
        if (!w->a0[i]) continue;
        const char *d = g->alleles[g->ref_allele].seq[i];
        w->ref_fit[i] = (uint8_t)(pgx_allele_matches(d, w->a0[i], strlen(w->a0[i])) |
                                  (pgx_allele_matches(d, w->a1[i], strlen(w->a1[i])) << 1));
        ref_bad += !w->ref_fit[i];
    }
    for (uint32_t a = 0; a < g->n_alleles; a++) {
        const struct pgx_allele *al = &g->alleles[a];
        uint32_t bad = ref_bad;
        for (uint32_t k = 0; k < al->score; k++) {
            uint32_t i = al->defined[k];
            if (!w->a0[i]) continue;
            w->score[a]++;
            bad -= !w->ref_fit[i];
            bad += !fit_of(w, a, i);
        }
        if (al->structural) continue;
        if (!al->reference && al->score && w->score[a] == 0) {
            if (push_u32(&m->uncallable, &m->n_uncallable, a) < 0) return GN_ENOMEM;
            continue;
        }
        if (!bad) w->cand[w->n_cand++] = a;
    }
    return GN_OK;
}

/* Whether the genotypes split into allele A on one copy and B on the other. */
static int pair_fits(struct work *w, uint32_t A, uint32_t B)
{
    const struct pgx_gene *g = w->g;
    memset(w->mask, 3, w->n_blocks ? w->n_blocks : 1);
    for (uint32_t i = 0; i < g->n_pos; i++) {
        if (!w->a0[i]) continue;
        uint8_t fa = fit_of(w, A, i), fb = fit_of(w, B, i);
        if (w->block[i] < 0) {
            if (!(fa & fb & 1)) return 0;
            continue;
        }
        uint8_t ok = (uint8_t)(((fa & 1) && (fb & 2)) | (((fa & 2) && (fb & 1)) << 1));
        if (!(w->mask[w->block[i]] &= ok)) return 0;
    }
    return 1;
}

/* Appends a diplotype of two haplotype names (copied; sorted, reference first). */
static int add_dip(struct pgx_match *m, const char *h0, const char *h1, int ref0, int ref1,
                   uint32_t score)
{
    struct pgx_dip *d, *nd;
    size_t n;
    if (m->n_dips == PGX_MATCH_MAX_DIPS) return GN_ELIMIT;
    (void)ref0; /* PharmCAT orders the two names by name alone, reference or not */
    (void)ref1;
    if (h1 && pgx_name_cmp(h1, h0) < 0) {
        const char *t = h0;
        h0 = h1;
        h1 = t;
    }
    if (!(nd = gn_reallocarray(m->dips, (size_t)m->n_dips + 1, sizeof *m->dips))) return GN_ENOMEM;
    m->dips = nd;
    d = &m->dips[m->n_dips];
    memset(d, 0, sizeof *d);
    d->score = score;
    n = strlen(h0) + (h1 ? strlen(h1) + 1 : 0) + 1;
    if (!(d->hap[0] = gn_strdup(h0)) || (h1 && !(d->hap[1] = gn_strdup(h1))) ||
        !(d->name = gn_malloc(n))) {
        gn_free(d->hap[0]);
        gn_free(d->hap[1]);
        return GN_ENOMEM;
    }
    (void)snprintf(d->name, n, h1 ? "%s/%s" : "%s", h0, h1 ? h1 : "");
    m->n_dips++;
    return GN_OK;
}

static int cmp_dip(const void *x, const void *y)
{
    const struct pgx_dip *a = x, *b = y;
    return pgx_name_cmp(a->name, b->name);
}

/* NAT2-style priorities: a tied set equal to a listed one keeps only its pick. */
static void apply_priority(const struct pgx_gene *g, struct pgx_match *m)
{
    for (uint32_t p = 0; p < g->n_prio && m->n_dips > 1; p++) {
        const struct pgx_priority *pr = &g->prio[p];
        uint32_t hit = 0, keep = UINT32_MAX;
        if (pr->n != m->n_dips) continue;
        for (uint32_t d = 0; d < m->n_dips; d++) {
            for (uint32_t j = 0; j < pr->n; j++) {
                if (!strcmp(pr->list[j], m->dips[d].name)) {
                    hit++;
                    break;
                }
            }
            if (!strcmp(pr->pick, m->dips[d].name)) keep = d;
        }
        if (hit != m->n_dips || keep == UINT32_MAX) continue;
        for (uint32_t d = 0; d < m->n_dips; d++) {
            if (d == keep) continue;
            gn_free(m->dips[d].name);
            gn_free(m->dips[d].hap[0]);
            gn_free(m->dips[d].hap[1]);
        }
        m->dips[0] = m->dips[keep];
        m->n_dips = 1;
    }
}

/* Whole-haplotype matching: every consistent pair of candidates, top score kept. */
static int match_pairs(struct work *w, struct pgx_match *m)
{
    const struct pgx_gene *g = w->g;
    uint32_t best = 0;
    int found = 0, rc;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t x = 0; x < w->n_cand; x++) {
            uint32_t A = w->cand[x], y_end = m->haploid ? x + 1 : w->n_cand;
            for (uint32_t y = x; y < y_end; y++) {
                uint32_t B = w->cand[y], s = w->score[A] + (m->haploid ? 0 : w->score[B]);
                if (pass == 0 ? (found && s <= best) : s != best) continue;
                if (!pair_fits(w, A, B)) continue;
                if (pass == 0) {
                    best = s;
                    found = 1;
                    continue;
                }
                const struct pgx_allele *a = &g->alleles[A], *b = &g->alleles[B];
                rc =
                    add_dip(m, a->name, m->haploid ? NULL : b->name, a->reference, b->reference, s);
                if (rc < 0) return rc;
            }
        }
        if (!found) return GN_OK;
    }
    qsort(m->dips, m->n_dips, sizeof *m->dips, cmp_dip);
    apply_priority(g, m);
    return GN_OK;
}

/*
 * Whether allele a is carried, and on which copies: returns a bit set (bit k: fits copy
 * k at all its defined present positions, orientation of each block taken as called),
 * plus in *any whether it fits with some orientation of the unphased blocks.
 */
static unsigned carried(struct work *w, uint32_t a, int *copies)
{
    const struct pgx_gene *g = w->g;
    unsigned sides = 3;
    int n_def = 0, hom = 1;
    memset(w->mask, 3, w->n_blocks ? w->n_blocks : 1);
    for (uint32_t k = 0; k < g->alleles[a].score; k++) {
        uint32_t i = g->alleles[a].defined[k];
        if (!w->a0[i]) continue;
        uint8_t f = fit_of(w, a, i);
        n_def++;
        if (!f) return *copies = 0, 0u;
        if (f != 3) hom = 0;
        sides &= f;
        if (w->block[i] >= 0 && !(w->mask[w->block[i]] &= f)) return *copies = 0, 0u;
    }
    if (!n_def) return *copies = 0, 0u;
    *copies = hom ? 2 : 1;
    return sides ? sides : 4u; /* 4: carried, but only with a re-orientation of blocks */
}

/* Whether allele a's defined present positions are a strict subset of b's, same alleles. */
static int absorbed_by(const struct work *w, uint32_t a, uint32_t b)
{
    const struct pgx_gene *g = w->g;
    int strict = 0;
    for (uint32_t i = 0; i < g->n_pos; i++) {
        const char *sa = g->alleles[a].seq[i], *sb = g->alleles[b].seq[i];
        if (!w->a0[i]) continue;
        if (sa && (!sb || strcmp(sa, sb))) return 0;
        if (!sa && sb) strict = 1;
    }
    return strict;
}

/* Joins the names of the alleles listed in idx (sorted) with " + ". */
static int join_names(const struct pgx_gene *g, const uint32_t *idx, uint32_t n, char **out)
{
    size_t len = 1;
    char *s;
    for (uint32_t k = 0; k < n; k++)
        len += strlen(g->alleles[idx[k]].name) + 3;
    if (!(s = gn_malloc(len))) return GN_ENOMEM;
    len = 0;
    for (uint32_t k = 0; k < n; k++) {
        size_t l = strlen(g->alleles[idx[k]].name);
        if (k) memcpy(s + len, " + ", 3), len += 3;
        memcpy(s + len, g->alleles[idx[k]].name, l);
        len += l;
    }
    s[len] = 0;
    *out = s;
    return GN_OK;
}

/* DPYD, RYR1: the named alleles carried, then a diplotype when phase or count allows. */
static int match_by_variant(struct work *w, struct pgx_match *m)
{
    const struct pgx_gene *g = w->g;
    uint32_t *onc[2] = {NULL, NULL}, n_on[2] = {0, 0}, total = 0;
    unsigned *side = NULL;
    int *cp = NULL, rc = GN_ENOMEM;
    char *names[2] = {NULL, NULL};
    if (!(side = gn_calloc(g->n_alleles, sizeof *side)) ||
        !(cp = gn_calloc(g->n_alleles, sizeof *cp)) ||
        !(onc[0] = gn_calloc(g->n_alleles, sizeof *onc[0])) ||
        !(onc[1] = gn_calloc(g->n_alleles, sizeof *onc[1])))
        goto out;
    for (uint32_t a = 0; a < g->n_alleles; a++) {
        if (a != g->ref_allele && !g->alleles[a].structural) side[a] = carried(w, a, &cp[a]);
    }
    /* Absorption: a carried allele inside a more specific carried one loses its copies. */
    for (uint32_t a = 0; a < g->n_alleles; a++) {
        for (uint32_t b = 0; side[a] && b < g->n_alleles; b++) {
            if (b != a && side[b] && absorbed_by(w, a, b)) cp[a] -= cp[b];
        }
    }
    for (uint32_t a = 0; a < g->n_alleles; a++) {
        if (!side[a] || cp[a] <= 0) continue;
        struct pgx_varhit *nv = gn_reallocarray(m->vars, (size_t)m->n_vars + 1, sizeof *nv);
        if (!nv) goto out;
        m->vars = nv;
        m->vars[m->n_vars++] = (struct pgx_varhit){g->alleles[a].name, a, cp[a]};
        total += (uint32_t)cp[a];
        for (int k = 0; k < 2; k++) {
            if (side[a] & (1u << k)) onc[k][n_on[k]++] = a;
        }
    }
    const char *ref = g->alleles[g->ref_allele].name;
    if (m->phased) { /* each copy named by the alleles fitting it, the more specific kept */
        for (int k = 0; k < 2; k++) {
            uint32_t n = 0;
            for (uint32_t x = 0; x < n_on[k]; x++) {
                int drop = 0;
                for (uint32_t y = 0; y < n_on[k] && !drop; y++)
                    drop = absorbed_by(w, onc[k][x], onc[k][y]);
                if (!drop) onc[k][n++] = onc[k][x];
            }
            if (n && (rc = join_names(g, onc[k], n, &names[k])) < 0) goto out;
        }
        rc = add_dip(m, names[0] ? names[0] : ref, names[1] ? names[1] : ref, !names[0], !names[1],
                     0);
    } else if (total <= 2) { /* two copies at most: the variants are the diplotype */
        const char *h[2] = {ref, ref};
        uint32_t k = 0;
        for (uint32_t v = 0; v < m->n_vars; v++) {
            for (int c = 0; c < m->vars[v].copies && k < 2; c++)
                h[k++] = m->vars[v].name;
        }
        rc = add_dip(m, h[0], h[1], h[0] == ref, h[1] == ref, 0);
    } else {
        m->by_variant = 1;
        rc = GN_OK;
    }
out:
    gn_free(side);
    gn_free(cp);
    gn_free(onc[0]);
    gn_free(onc[1]);
    gn_free(names[0]);
    gn_free(names[1]);
    return rc;
}

/* SLCO1B1 without a call: the rs4149056 (c.521T>C) genotype stands in. */
static int slco1b1_fallback(struct work *w, struct pgx_match *m)
{
    const struct pgx_gene *g = w->g;
    for (uint32_t i = 0; i < g->n_pos; i++) {
        char h0[64], h1[64];
        if (!g->pos[i].rsid || strcmp(g->pos[i].rsid, "rs4149056") || !w->a0[i]) continue;
        (void)snprintf(h0, sizeof h0, "rs4149056%s", w->a0[i]);
        (void)snprintf(h1, sizeof h1, "rs4149056%s", w->a1[i]);
        m->fallback = 1;
        return add_dip(m, h0, m->haploid ? NULL : h1, !strcmp(w->a0[i], g->pos[i].ref),
                       !strcmp(w->a1[i], g->pos[i].ref), 0);
    }
    return GN_OK;
}

int pgx_match_gene(const struct pgx_gene *g, const struct pgx_obs *obs, struct pgx_match *out,
                   struct gn_err *err)
{
    struct work w;
    int rc;
    memset(out, 0, sizeof *out);
    memset(&w, 0, sizeof w);
    out->gene = g;
    w.g = g;
    if (!(w.a0 = gn_calloc(g->n_pos, sizeof *w.a0)) ||
        !(w.a1 = gn_calloc(g->n_pos, sizeof *w.a1)) ||
        !(w.block = gn_calloc(g->n_pos, sizeof *w.block)) ||
        !(w.ref_fit = gn_calloc(g->n_pos, 1)) ||
        !(w.score = gn_calloc(g->n_alleles, sizeof *w.score)) ||
        !(w.mask = gn_calloc(g->n_pos + 1, 1)) ||
        !(w.cand = gn_calloc(g->n_alleles, sizeof *w.cand))) {
        rc = gn_errf(err, GN_ENOMEM, "%s: out of memory", g->name);
        goto out;
    }
    if ((rc = read_obs(&w, obs, out, err)) < 0) goto out;
    if ((rc = compute_fits(&w, out)) < 0) goto out;
    if (out->missing_required || out->n_missing == g->n_pos) goto out;
    if (by_variant_gene(g->name) && !out->haploid)
        rc = match_by_variant(&w, out);
    else
        rc = match_pairs(&w, out);
    if (rc == GN_OK && !out->n_dips && !strcmp(g->name, "SLCO1B1")) rc = slco1b1_fallback(&w, out);
    if (rc == GN_ELIMIT) { /* this gene cannot be called; the other genes still are */
        for (uint32_t d = 0; d < out->n_dips; d++) {
            gn_free(out->dips[d].name);
            gn_free(out->dips[d].hap[0]);
            gn_free(out->dips[d].hap[1]);
        }
        gn_free(out->dips);
        out->dips = NULL;
        out->n_dips = 0;
        out->too_many = 1;
        rc = GN_OK;
    } else if (rc < 0)
        rc = gn_errf(err, rc, "%s: out of memory", g->name);
out:
    work_free(&w);
    return rc;
}

void pgx_match_reset(struct pgx_match *m)
{
    for (uint32_t d = 0; d < m->n_dips; d++) {
        gn_free(m->dips[d].name);
        gn_free(m->dips[d].hap[0]);
        gn_free(m->dips[d].hap[1]);
    }
    gn_free(m->dips);
    gn_free(m->vars);
    gn_free(m->missing);
    gn_free(m->mismatch);
    gn_free(m->undocumented);
    gn_free(m->uncallable);
    gn_free(m->haploid_pos);
    memset(m, 0, sizeof *m);
}
