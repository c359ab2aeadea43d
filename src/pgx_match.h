/*
 * pgx_match.h — calling a gene's diplotype from one sample's genotypes at the definition
 * positions (PharmCAT's Named Allele Matcher rules, re-implemented from its documentation).
 *
 * Input: one struct pgx_obs per definition position (same order as gene->pos): the two
 * alleles in VCF form, whether the call was phased and its phase set, or missing. A
 * missing position is never assumed to be reference: it is dropped from every named
 * allele (scores count only the positions the sample has), a named allele whose every
 * defining position is missing is "uncallable", and each missing position is listed.
 *
 * Rules (see docs/pgx.md for the long form):
 *  - A named allele carries the reference named allele's allele where it defines none.
 *    Its score is the number of present positions it defines; a diplotype's score is
 *    the sum of its two alleles' scores.
 *  - A diplotype A/B is consistent with the genotypes when, for every phase block, one of
 *    the two ways of putting the block's alleles on the two copies gives A on one copy and
 *    B on the other at every position. An unphased heterozygous position is its own
 *    block, so every split of heterozygous positions is tried; phased calls sharing a
 *    phase set (PS, or chromosome-wide without PS) form one block. Homozygous positions
 *    fit either way. Of the consistent diplotypes, all with the top score are reported.
 *  - NAT2-style tie priorities from exemptions.json pick one of a known tied set.
 *  - Required positions (exemptions) missing → no call.
 *  - DPYD and RYR1 are called by variant: each named allele found (with its copy count),
 *    the more specific allele absorbing the less specific (HapB3 absorbs its intronic
 *    SNP); with phase known, each copy is named by the alleles on it (joined by " + ");
 *    unphased, the variants form a diplotype when they fill at most two copies, and
 *    otherwise the phenotype comes from the two lowest-function variants (pgx_pheno).
 *  - Alleles not in a gene's definition ("undocumented") are listed; in the toxicity genes
 *    (DPYD, RYR1, CACNA1S, TPMT, NUDT15) they are read as reference, elsewhere the copy
 *    carrying them matches no named allele.
 *  - SLCO1B1 with no call falls back to the rs4149056 genotype ("rs4149056T/rs4149056C").
 *  - A call given against another REF at the same position is re-expressed in the
 *    definition's representation when it is the same sequence written differently
 *    (pgx_pos_allele_as_def: the panel's C>CAT is the definition's CAT>CATAT); any other
 *    REF is listed as a mismatch and the position treated as missing.
 *
 * Thread safety: reentrant; a gene may be matched from many threads at once.
 */
#ifndef GN_PGX_MATCH_H
#define GN_PGX_MATCH_H

#include <stdint.h>

#include "err.h"
#include "pgx_def.h"

#define PGX_MATCH_MAX_DIPS 256u /* tied diplotypes reported; beyond this, no call */

/* One sample's call at one definition position. All pointers are borrowed. */
struct pgx_obs {
    const char *al[2]; /* the two alleles, VCF form; al[1] NULL for a haploid call */
    int missing;       /* no call or not covered: unknown, never reference */
    int phased;        /* the call was phased ('|') */
    int64_t ps;        /* phase set when phased; 0 = phased across the chromosome */
    const char *ref;   /* the REF the input gave, NULL when unknown */
    const char *ref1;  /* REF of al[1] when it came from another record at this position
                        * (split multi-allelic records, e.g. the UGT1A1 TA repeat written
                        * as C>CAT and CAT>C); NULL: ref */
    int conflict;      /* calls of split records that cannot be one genotype (missing too) */
    int nocall;        /* a record at this position had no call: only a homozygous
                        * non-reference call of another record still decides it */
};

/*
 * Merges into o (a non-reference call) the non-reference call nw of another record at the
 * same position (split multi-allelic records). Two heterozygous calls become one call with
 * an ALT of each (by haplotype when both are phased in the same set, else unphased); any
 * other pair (a homozygous ALT with another ALT, two ALTs on one haplotype, a haploid call)
 * cannot be one genotype and leaves o missing. Pointers are copied, not the strings.
 */
void pgx_obs_merge(struct pgx_obs *o, const struct pgx_obs *nw);

/* One called diplotype; strings are owned by the result. */
struct pgx_dip {
    char *name;   /* "*1/ *2" without the space; a single haplotype name for haploid calls */
    char *hap[2]; /* the two haplotype names; hap[1] NULL when haploid */
    uint32_t score;
};

/* A named allele found by variant (DPYD, RYR1): name borrowed from the gene. */
struct pgx_varhit {
    const char *name;
    uint32_t allele; /* index into gene->alleles */
    int copies;      /* 1 heterozygous, 2 homozygous */
};

struct pgx_match {
    const struct pgx_gene *gene; /* borrowed */
    struct pgx_dip *dips;        /* n_dips top-scoring diplotypes, sorted by name */
    uint32_t n_dips;
    struct pgx_varhit *vars; /* variant-called genes: the named alleles found */
    uint32_t n_vars;
    int by_variant;    /* no diplotype: phenotype from the lowest-function vars */
    uint32_t *missing; /* n_missing position indices without a call */
    uint32_t n_missing;
    uint32_t *mismatch; /* position indices whose input REF differs */
    uint32_t n_mismatch;
    uint32_t *undocumented; /* position indices with an allele not in the definition */
    uint32_t n_undocumented;
    uint32_t *uncallable; /* allele indices with every defining position missing */
    uint32_t n_uncallable;
    uint32_t *haploid_pos; /* position indices with a haploid call on an autosome (also in
                            * missing: one allele is no genotype there) */
    uint32_t n_haploid_pos;
    int missing_required; /* a required position is missing: no call */
    int phased;           /* all heterozygous positions in one phase block */
    int fallback;         /* SLCO1B1 called from rs4149056 alone */
    int haploid;          /* every present call was haploid */
    int too_many;         /* more than PGX_MATCH_MAX_DIPS diplotypes fit equally: no call */
};

/*
 * Matches gene g against obs (g->n_pos entries, borrowed). Fills *out, which the caller
 * releases with pgx_match_reset() (also after an error). No call is not an error: it
 * leaves n_dips == 0 and by_variant == 0 (too_many when more than PGX_MATCH_MAX_DIPS
 * diplotypes fit equally: sparse data cannot tell them apart). Errors: GN_ENOMEM, GN_EINVAL
 * (an obs with a NULL first allele that is not marked missing).
 */
GN_MUST_CHECK int pgx_match_gene(const struct pgx_gene *g, const struct pgx_obs *obs,
                                 struct pgx_match *out, struct gn_err *err);

/* Frees what a match result owns and zeroes it; safe on a zeroed or reset result. */
void pgx_match_reset(struct pgx_match *m);

/* Compares two allele or diplotype names in PharmCAT's display order (numbers within
 * names compared by value: *2 < *10). */
int pgx_name_cmp(const char *a, const char *b);

#endif
