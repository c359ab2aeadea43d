/*
 * pgx_def.h — PharmCAT allele definitions: the positions of each pharmacogene and the named
 * alleles (star alleles, named variants) defined over them.
 *
 * One definition file (data/pgx/definition/<GENE>_translation.json, PharmCAT's
 * "translation" format version 2, kept as a subset of its keys) describes one gene:
 *
 *     { "formatVersion": "2", "version": "2025-11-05-00-25", "gene": "CYP3A5",
 *       "chromosome": "chr7", "genomeBuild": "GRCh38.p14",
 *       "variants": [ {"chromosome": "chr7", "position": 99652770, "rsid": "rs41303343",
 *                      "ref": "T", "alts": ["TA"]}, ... ],
 *       "namedAlleles": [ {"name": "*1", "alleles": ["T", "C", ...], "reference": true},
 *                         {"name": "*3", "alleles": [null, null, null, "C", null]}, ...] }
 *
 * Alleles are in VCF form (the allele a VCF record at that position carries: "T", "TA",
 * "CAT", "CATAT"), or a single IUPAC ambiguity code (R, Y, S, W, K, M, B, D, H, V, N)
 * standing for any of its bases. A null allele means the allele does not define that
 * position: it is taken to carry the reference named allele's base there, and does not
 * count towards its score. The reference named allele (exactly one, "reference": true)
 * defines every position. A named allele's score is the number of positions it defines.
 *
 * exemptions.json (PharmCAT's per-gene exemptions) is applied by pgx_gene_exempt(): it
 * removes ignored positions and alleles, and records required positions and the tie
 * priorities for unphased calls (NAT2).
 *
 * Limits (PGX_DEF_MAX_*) bound everything read from a file; a file beyond them is an
 * error, not a truncation. All strings in the structs are owned by the gene.
 *
 * Thread safety: a loaded struct pgx_gene / pgx_defs is immutable and may be shared by
 * any number of threads; loading is reentrant.
 */
#ifndef GN_PGX_DEF_H
#define GN_PGX_DEF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PGX_DEF_MAX_BYTES     (8u << 20) /* one definition or exemptions file */
#define PGX_DEF_MAX_POSITIONS 1024u
#define PGX_DEF_MAX_ALLELES   2048u
#define PGX_DEF_MAX_ALTS      16u
#define PGX_DEF_MAX_SEQ       1024u /* bytes of one allele */
#define PGX_DEF_MAX_NAME      256u  /* bytes of a gene, allele, rsid or version string */
#define PGX_DEF_MAX_GENES     64u
#define PGX_DEF_MAX_PRIORITY  64u /* unphased tie-priority rules per gene */

/* One position of a gene definition. */
struct pgx_pos {
    char *chrom; /* "chr7" */
    int64_t pos; /* 1-based, as in VCF */
    char *rsid;  /* NULL when the definition gives none */
    char *ref;   /* the GRCh38 reference allele, VCF form */
    char **alts; /* n_alts alternate alleles, VCF form */
    uint32_t n_alts;
    int required; /* exemptions: a call needs this position */
};

/* One named allele. */
struct pgx_allele {
    char *name;
    char **seq;        /* n_pos entries; NULL where the allele does not define the position */
    uint32_t score;    /* number of non-NULL entries */
    uint32_t *defined; /* the score indices of the non-NULL entries, increasing */
    int reference;     /* the gene's reference named allele */
    int structural;    /* defined by a structural variant (not callable from SNVs/indels) */
};

/* Exemption: when the top unphased diplotypes are exactly `list`, report only `pick`. */
struct pgx_priority {
    char **list; /* n diplotype names such as *1 slash *6 */
    uint32_t n;
    char *pick;
};

struct pgx_gene {
    char *name;          /* "CYP3A5" */
    char *chrom;         /* "chr7" */
    char *version;       /* definition data version */
    char *build;         /* "GRCh38.p14" */
    char *format;        /* definition format version ("2") */
    struct pgx_pos *pos; /* n_pos, sorted by position */
    uint32_t n_pos;
    struct pgx_allele *alleles; /* n_alleles, in file order */
    uint32_t n_alleles;
    uint32_t ref_allele; /* index of the reference named allele */
    struct pgx_priority *prio;
    uint32_t n_prio;
};

/* All genes of a definition directory. */
struct pgx_defs {
    struct pgx_gene **genes; /* n, sorted by name */
    uint32_t n;
    char *version; /* data version shared by the files (the newest when they differ) */
};

/*
 * Parses one definition file held in memory (json, len bytes; no NUL needed). On success
 * *out is owned by the caller; free with pgx_gene_free(). Errors: GN_EPARSE (not JSON, a
 * missing or mistyped key, an allele that is neither bases nor one IUPAC code, positions
 * out of order, not exactly one reference allele, an array length that does not match the
 * positions — the message names the gene, allele and position), GN_ELIMIT, GN_ENOMEM.
 */
GN_MUST_CHECK int pgx_gene_parse(const char *json, size_t len, struct pgx_gene **out,
                                 struct gn_err *err);

/*
 * Applies this gene's entry of exemptions.json (json, len bytes) to g: ignored positions
 * and alleles are removed (scores recomputed), required positions flagged, tie
 * priorities recorded. A document without an entry for the gene changes nothing.
 * Errors as pgx_gene_parse(); on error g is unchanged or only partly exempted and should
 * be freed.
 */
GN_MUST_CHECK int pgx_gene_exempt(struct pgx_gene *g, const char *json, size_t len,
                                  struct gn_err *err);

/* Frees a gene; NULL is a no-op. */
void pgx_gene_free(struct pgx_gene *g);

/*
 * Loads every "<GENE>_translation.json" of directory dir and applies dir/exemptions.json
 * when present. Returns owned defs in *out; free with pgx_defs_free(). Errors: GN_ENOTFOUND
 * (no such directory, or no definition in it), GN_EIO, and the parse errors above with
 * the file name prefixed.
 */
GN_MUST_CHECK int pgx_defs_load(const char *dir, struct pgx_defs **out, struct gn_err *err);

/* Frees defs; NULL is a no-op. */
void pgx_defs_free(struct pgx_defs *defs);

/* The gene named name (case-sensitive), or NULL. Borrows defs; the result lives as long. */
const struct pgx_gene *pgx_defs_find(const struct pgx_defs *defs, const char *name);

/*
 * Whether a sample allele (VCF form, n bytes) is what definition allele `def` stands for:
 * equal strings, or def is one IUPAC code covering the single base of the sample allele.
 */
int pgx_allele_matches(const char *def, const char *sample, size_t n);

/*
 * Re-expresses a sample allele given against another REF at the same position in the
 * definition's representation: a REF that is a prefix of the definition's (the panel's
 * `C>CAT` for the definition's `CAT>CATAT`) gets the rest of the definition's REF appended
 * (the bases after it are reference); a REF that extends the definition's by a suffix loses
 * that suffix, which the allele must then end with. Writes the result (NUL-terminated) into
 * out and returns 1; returns 0 when the allele has no such form or does not fit out_len.
 */
int pgx_pos_allele_as_def(const struct pgx_pos *p, const char *ref, const char *allele, char *out,
                          size_t out_len);

/* The allele the named allele carries at position i: its own, or the reference's. */
const char *pgx_allele_at(const struct pgx_gene *g, uint32_t allele, uint32_t i);

/* Index in g->pos of the definition position at pos (1-based; positions strictly increase),
 * or -1 when the gene defines none there. */
int64_t pgx_gene_pos_index(const struct pgx_gene *g, int64_t pos);

#endif
