/*
 * hpo_src.h — building an HPO index (hpo.h) from the files HPO publishes.
 *
 * A struct hpo_src collects terms, is_a edges, alternative ids, disease annotations,
 * disease genes and gene→phenotype links from any mix of these inputs, then
 * hpo_src_build() resolves and checks them into a struct hpo:
 *
 *   ontology     hp.obo (OBO 1.2 flat file), hp.json (OBO-Graphs JSON), or the TSV
 *                release: hpo_terms.tsv (term_id, name, obsolete, replaced_by) and
 *                hpo_is_a.tsv (child, parent)
 *   annotations  phenotype.hpoa (12 columns: database_id, disease_name, qualifier (NOT),
 *                hpo_id, reference, evidence, onset, frequency, sex, modifier, aspect,
 *                biocuration), or disease_to_hpo.tsv (disease_id, disease_name, hpo_id)
 *   genes        genes_to_phenotype.txt (ncbi_gene_id, gene_symbol, hpo_id, hpo_name,
 *                frequency, disease_id) or gene_to_hpo.tsv (ncbi_gene_id, gene_symbol,
 *                hpo_id); mim2gene_medgen (NCBI: OMIM phenotype number → GeneID)
 *
 * Any file may be gzip-compressed. "#" lines are comments except the version lines each
 * format carries ("#hpo_version", "#version:", "data-version:", the JSON graph's
 * version). Every parser is bounded: line lengths, field counts and table sizes have hard
 * limits (HPO_SRC_MAX_*), a row that breaks the format is an error naming file and line,
 * and rows that are well-formed but unusable (a term the ontology lacks, an aspect other
 * than P) are counted in struct hpo_src_stats, not fatal.
 *
 * Ownership: hpo_src_new() returns an owned builder; free with hpo_src_free(). Parsers
 * borrow their input bytes. hpo_src_build() returns an owned struct hpo (hpo_free()).
 * Thread safety: a builder is used by one thread at a time.
 */
#ifndef GN_HPO_SRC_H
#define GN_HPO_SRC_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hpo.h"

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define HPO_SRC_MAX_ROWS (1u << 16)
#else
#define HPO_SRC_MAX_ROWS (1u << 25) /* annotation or link rows of one kind */
#endif
#define HPO_SRC_MAX_FILE    (1u << 30) /* decompressed bytes of one input file */
#define HPO_SRC_MAX_LINE    (1u << 16)
#define HPO_SRC_MAX_TERMS   (1u << 21)
#define HPO_SRC_MAX_ANC     (1u << 26) /* ancestor entries over all terms */
#define HPO_SRC_MAX_STRINGS (1u << 28)

/* The input formats, for hpo_src_add(). */
enum hpo_src_kind {
    HPO_SRC_OBO,
    HPO_SRC_JSON,
    HPO_SRC_TERMS_TSV,
    HPO_SRC_IS_A_TSV,
    HPO_SRC_HPOA,
    HPO_SRC_DISEASE_TSV,
    HPO_SRC_GENE_TSV,
    HPO_SRC_MIM2GENE,
    HPO_SRC_N_KINDS
};

/* What a build kept and dropped (for the build report). */
struct hpo_src_stats {
    uint32_t terms, obsolete, alt_ids, edges, diseases, annotations, not_annotations;
    uint32_t with_frequency, genes, disease_genes, gene_terms;
    uint32_t edges_unknown;       /* is_a edges naming a term not in the ontology */
    uint32_t ann_unknown_term;    /* annotations with a term unknown or obsolete w/o replacement */
    uint32_t ann_remapped;        /* annotations moved from an obsolete or alternative id */
    uint32_t ann_not_phenotype;   /* inheritance, modifier... (not under HP:0000118), and
                                   * onset terms of no band */
    uint32_t onset_annotations;   /* onset rows turned into onset bands */
    uint32_t with_onset;          /* diseases with onset bands */
    uint32_t mim_without_disease; /* mim2gene rows for diseases without annotations */
};

struct hpo_src;

GN_MUST_CHECK int hpo_src_new(struct hpo_src **out, struct gn_err *err);
void hpo_src_free(struct hpo_src *s);

/*
 * Parses one input of the given kind held in memory (n bytes at p, no NUL needed; name is
 * used in messages). Errors: GN_EPARSE (message names file and line), GN_ELIMIT, GN_ENOMEM.
 * On error the builder holds what was parsed before the bad line and should be freed.
 */
GN_MUST_CHECK int hpo_src_add(struct hpo_src *s, enum hpo_src_kind kind, const char *p, size_t n,
                              const char *name, struct gn_err *err);

/* The kind a file name implies (hp.obo, hp.json, *.hpoa, hpo_terms.tsv, ..., optionally
 * .gz), or -1. */
int hpo_src_kind_of(const char *path);

/* Reads the (possibly gzip-compressed) file at path and adds it as hpo_src_add(). */
GN_MUST_CHECK int hpo_src_add_file(struct hpo_src *s, enum hpo_src_kind kind, const char *path,
                                   struct gn_err *err);

/*
 * Adds the inputs found in dir by their standard names: the ontology from hp.json, else
 * hp.obo, else hpo_terms.tsv + hpo_is_a.tsv; annotations from phenotype.hpoa, else
 * disease_to_hpo.tsv; genes from genes_to_phenotype.txt, else gene_to_hpo.tsv; and
 * mim2gene_medgen when present (each name also with .gz). GN_ENOTFOUND when the
 * ontology or the annotations are missing.
 */
GN_MUST_CHECK int hpo_src_add_dir(struct hpo_src *s, const char *dir, struct gn_err *err);

/*
 * Resolves everything into an index: terms sorted, is_a closure computed (a cycle is
 * GN_EPARSE), annotations moved to current terms, diseases without a phenotype
 * annotation dropped, disease genes linked. stats may be NULL. The builder is unchanged.
 */
GN_MUST_CHECK int hpo_src_build(const struct hpo_src *s, struct hpo **out,
                                struct hpo_src_stats *stats, struct gn_err *err);

#endif
