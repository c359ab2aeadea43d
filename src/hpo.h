/*
 * hpo.h — the Human Phenotype Ontology as genomenode uses it: terms and their is_a
 * hierarchy, the disease→phenotype annotations (OMIM, Orphanet, DECIPHER), disease genes
 * and gene→phenotype links, held in one compact index (docs/format/hpo-index.md).
 *
 * The index is built once from the official files or the TSV release (hpo_src.h,
 * `genomenode hpo build`), written with hpo_save() and read back with hpo_load(). A
 * loaded struct hpo is a set of flat arrays: terms sorted by their numeric id (HP:0001250
 * is 1250), parents and ancestors (each term's closure, itself included) as CSR lists,
 * diseases sorted by their id string with their annotated terms, NOT terms and genes,
 * and genes sorted by symbol. All strings live in one blob and are named by offset.
 *
 * Only terms below "Phenotypic abnormality" (HP:0000118) are kept in disease annotations:
 * inheritance and modifier terms describe the disease, not the patient. Onset terms
 * (below HP:0003674) are kept apart, as each disease's set of onset age bands
 * (enum hpo_onset_band, dis_onset), which a patient's age of onset is compared with. Obsolete
 * terms stay in the term table with their replacement (replaced_by), alternative ids map
 * to their primary term, and annotations are stored on current terms only.
 *
 * Ownership: every pointer in struct hpo is owned by it; free with hpo_free().
 * Thread safety: a built or loaded struct hpo is immutable and may be shared by any number
 * of threads; all functions here are reentrant.
 */
#ifndef GN_HPO_H
#define GN_HPO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define HPO_NONE          UINT32_MAX
#define HPO_ROOT_ID       1u   /* HP:0000001 All */
#define HPO_PHENO_ID      118u /* HP:0000118 Phenotypic abnormality */
#define HPO_FREQ_UNKNOWN  255u /* dt_freq value when the annotation gives no frequency */
#define HPO_INDEX_MAX     (512u << 20)
#define HPO_INDEX_VERSION 2u /* writes 2; reads 1 (no onset bands) and 2 */

enum hpo_term_flag {
    HPO_TERM_OBSOLETE = 1u, /* obsolete; term_repl names the replacement when known */
    HPO_TERM_PHENO = 2u     /* HP:0000118 or below it */
};

/*
 * Age-of-onset bands, youngest first, as HPO's onset terms (below HP:0003674 Onset) define
 * them. A set of bands is a bit mask (bit b = band b); 0 means unknown. Broader HPO terms
 * are several bands (Pediatric onset: infantile to juvenile; Adult onset: the last three).
 */
enum hpo_onset_band {
    HPO_ONSET_ANTENATAL,   /* HP:0030674, before birth */
    HPO_ONSET_CONGENITAL,  /* HP:0003577, at birth */
    HPO_ONSET_NEONATAL,    /* HP:0003623, the first 28 days */
    HPO_ONSET_INFANTILE,   /* HP:0003593, 28 days to one year */
    HPO_ONSET_CHILDHOOD,   /* HP:0011463, 1 to 5 years */
    HPO_ONSET_JUVENILE,    /* HP:0003621, 5 to 15 years */
    HPO_ONSET_YOUNG_ADULT, /* HP:0011462, 16 to 40 years */
    HPO_ONSET_MIDDLE_AGE,  /* HP:0003596, 40 to 60 years */
    HPO_ONSET_LATE,        /* HP:0003584, after 60 years */
    HPO_ONSET_N
};
#define HPO_ONSET_ALL ((1u << HPO_ONSET_N) - 1u)

struct hpo {
    char *strings; /* NUL-separated strings; every *_label, *_id, *_sym is an offset */
    uint32_t strings_len;
    uint32_t version;     /* offset: HPO release ("2025-01-16") */
    uint32_t source;      /* offset: which inputs built the index */
    uint32_t n_terms;     /* terms, by increasing numeric id */
    uint32_t *term_id;    /* numeric id: HP:0001250 → 1250 */
    uint32_t *term_label; /* offset */
    uint8_t *term_flags;  /* enum hpo_term_flag */
    uint32_t *term_repl;  /* obsolete term → current term index, else HPO_NONE */
    uint32_t *term_ndis;  /* diseases annotated with the term or a descendant */
    uint32_t *par_off;    /* n_terms + 1; parents of t are par[par_off[t] .. par_off[t+1]) */
    uint32_t *par;
    uint32_t *anc_off; /* n_terms + 1; ancestors incl. t itself, increasing index */
    uint32_t *anc;
    double *ic; /* information content ln(n_dis / max(1, term_ndis)); derived, not stored */
    uint32_t n_alt;
    uint32_t *alt_id;   /* alternative numeric ids, increasing */
    uint32_t *alt_term; /* → term index */
    uint32_t n_dis;
    uint32_t *dis_id;    /* offset of "OMIM:154700"; diseases sorted by this string */
    uint32_t *dis_label; /* offset */
    uint32_t *dt_off;    /* n_dis + 1; annotated terms, increasing index */
    uint32_t *dt_term;
    uint8_t *dt_freq; /* percent 0..100 or HPO_FREQ_UNKNOWN */
    uint32_t *dn_off; /* n_dis + 1; NOT annotations (the disease excludes the term) */
    uint32_t *dn_term;
    uint32_t *dg_off; /* n_dis + 1; genes of the disease (gene indices) */
    uint32_t *dg_gene;
    uint32_t n_genes;
    uint32_t *gene_ncbi; /* NCBI Gene id */
    uint32_t *gene_sym;  /* offset; genes sorted by symbol */
    uint32_t *gt_off;    /* n_genes + 1; HPO terms linked to the gene */
    uint32_t *gt_term;
    uint16_t *dis_onset; /* n_dis; onset bands annotated (mask of enum hpo_onset_band), 0 none */
};

/* The string at offset off of h's blob (borrowed). */
static inline const char *hpo_str(const struct hpo *h, uint32_t off)
{
    return h->strings + off;
}

/* Frees h and everything it owns; NULL is a no-op. */
void hpo_free(struct hpo *h);

/*
 * Parses "HP:0001250" (also "HP_0001250" and an OBO PURL ending in HP_0001250) from the n
 * bytes at s into its numeric id. GN_EPARSE when malformed (message names the text).
 */
GN_MUST_CHECK int hpo_parse_id(const char *s, size_t n, uint32_t *id, struct gn_err *err);

/* Index of the term with numeric id (primary ids only), or HPO_NONE. */
uint32_t hpo_term_index(const struct hpo *h, uint32_t id);

/* How hpo_resolve() got to the term it returns. */
enum hpo_resolved { HPO_RESOLVED_CURRENT, HPO_RESOLVED_ALT, HPO_RESOLVED_REPLACED };

/*
 * Resolves the HPO id in the n bytes at s to a current term: a primary id, an alternative
 * id (*how = HPO_RESOLVED_ALT) or an obsolete id with a replacement (HPO_RESOLVED_REPLACED).
 * Returns the term index (>= 0). Errors: GN_EPARSE (not an HPO id), GN_ENOTFOUND (unknown,
 * or obsolete without replacement; the message says which).
 */
GN_MUST_CHECK int hpo_resolve(const struct hpo *h, const char *s, size_t n, enum hpo_resolved *how,
                              struct gn_err *err);

/* The current term for numeric id (primary, alternative, or obsolete with a replacement),
 * or HPO_NONE; *how says which. */
uint32_t hpo_resolve_id(const struct hpo *h, uint32_t id, enum hpo_resolved *how);

/* Writes "HP:0001250" for term index t into buf (at least 11 bytes); returns buf. */
const char *hpo_term_name(const struct hpo *h, uint32_t t, char buf[16]);

/* 1 when a is t or an ancestor of t. */
int hpo_is_ancestor(const struct hpo *h, uint32_t a, uint32_t t);

/* Index of the disease with id "OMIM:154700" (n bytes at s), or HPO_NONE. */
uint32_t hpo_disease_index(const struct hpo *h, const char *s, size_t n);

/* Index of the gene with this symbol (exact) or "NCBIGene:ID", or HPO_NONE. */
uint32_t hpo_gene_index(const struct hpo *h, const char *s, size_t n);

/*
 * Inverts a CSR list (rows 0 .. nrows → values < nv) into values → rows, rows increasing
 * within each value; freq (optional, one byte per entry) follows its entry. The three
 * outputs are owned by the caller (gn_free), also when GN_ENOMEM is returned.
 */
GN_MUST_CHECK int hpo_csr_invert(const uint32_t *off, const uint32_t *val, const uint8_t *freq,
                                 uint32_t nrows, uint32_t nv, uint32_t **ioff, uint32_t **irow,
                                 uint8_t **ifreq);

/* The onset bands of term t: its own when t is one of the onset terms of enum
 * hpo_onset_band (or Pediatric / Adult onset), else those of the most specific such terms
 * among its ancestors (Fetal onset: antenatal); 0 when t is not below Onset or no band
 * applies (Puerperal onset). */
uint16_t hpo_onset_bands(const struct hpo *h, uint32_t t);

/*
 * The onset band of an age given as an ISO 8601 duration ("P6M", "P2Y3M", "P10D", "P3W";
 * years, months, weeks, days; a time part is ignored), in the n bytes at s: at birth
 * (P0D, under one day) congenital, then by the limits of enum hpo_onset_band. GN_EPARSE
 * when malformed.
 */
GN_MUST_CHECK int hpo_onset_age(const char *s, size_t n, enum hpo_onset_band *band,
                                struct gn_err *err);

/* The numeric id of the HPO term that names band b (HPO_ONSET_INFANTILE: 3593, Infantile
 * onset), 0 when b is not a band. */
uint32_t hpo_onset_band_term(enum hpo_onset_band b);

/* "antenatal", "congenital", ... for band b. */
const char *hpo_onset_band_name(enum hpo_onset_band b);

/* Fills the derived arrays (ic) of a struct hpo whose stored arrays are set, and gives a
 * struct hpo without dis_onset an all-unknown one. */
GN_MUST_CHECK int hpo_finish(struct hpo *h, struct gn_err *err);

/*
 * Serialises h into out (docs/format/hpo-index.md): magic, version, payload length,
 * CRC-32 of the payload, then the sections. GN_ENOMEM/GN_ELIMIT.
 */
GN_MUST_CHECK int hpo_encode(const struct hpo *h, struct gn_buf *out, struct gn_err *err);

/*
 * Decodes an index image (n bytes at p, borrowed) into an owned struct hpo; free with
 * hpo_free(). Every count, offset and index is checked: GN_EFORMAT (magic or version),
 * GN_ECORRUPT (checksum, bounds, ordering), GN_ENOMEM.
 */
GN_MUST_CHECK int hpo_decode(const uint8_t *p, size_t n, struct hpo **out, struct gn_err *err);

/* hpo_encode() written atomically to path (mode 0644). */
GN_MUST_CHECK int hpo_save(const struct hpo *h, const char *path, struct gn_err *err);

/* Reads and decodes the index file at path. Errors as hpo_decode(), GN_ENOTFOUND, GN_EIO. */
GN_MUST_CHECK int hpo_load(const char *path, struct hpo **out, struct gn_err *err);

#endif
