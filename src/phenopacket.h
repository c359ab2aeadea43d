/*
 * phenopacket.h — GA4GH Phenopackets v2 (schema 2.0): a bounded reader of the parts
 * genomenode keeps, and a writer of valid phenopackets.
 *
 * Read: the subject (id, sex, time at last encounter), phenotypicFeatures (HPO terms,
 * observed or excluded, with onset), diseases (with onset) and interpretations (diagnosed diseases;
 * per genomic interpretation the gene and, when given, the variant's VCF record, zygosity and an
 * HGVS expression). Other fields are ignored. Limits: PHENOPACKET_MAX_BYTES of JSON,
 * PHENOPACKET_MAX_ITEMS entries per list, strings of at most PHENOPACKET_MAX_STR bytes (a VCF
 * record's ref and alt: PHENOPACKET_MAX_ALLELE), nesting as jansson allows (2048);
 * phenopacketSchemaVersion "2" or "2.x". Anything malformed is GN_EPARSE with the JSON path of the
 * offending field
 * ("phenotypicFeatures[3].type.id: 'HP:12' is not an HPO id"); the message never quotes
 * the subject id (it may be a national ID).
 *
 * Write: phenopacket_write() turns a struct phenopacket into a phenopacket v2 JSON
 * document (phenopacketSchemaVersion "2.0", metaData naming the HPO release).
 *
 * Ownership: phenopacket_parse returns an owned *out (phenopacket_free); its strings point
 * into the parsed JSON it holds. A struct phenopacket built by a caller for the writer is
 * the caller's (never passed to phenopacket_free). Thread safety: no shared state.
 */
#ifndef GN_PHENOPACKET_H
#define GN_PHENOPACKET_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PHENOPACKET_MAX_BYTES  (4u << 20)
#define PHENOPACKET_MAX_ITEMS  4096
#define PHENOPACKET_MAX_STR    1024
#define PHENOPACKET_MAX_ALLELE 65536 /* vcfRecord ref and alt: deletions spelled out */

struct phenopacket_feature {
    const char *term; /* "HP:0001250", checked ^HP:[0-9]{7}$ */
    const char *label;
    int excluded;
    const char *onset; /* "HP:0003577" or an ISO 8601 duration "P2M", or NULL; a gestational
                        * age reads as HP:0030674 (Antenatal onset) */
};

struct phenopacket_disease {
    const char *id; /* "OMIM:614959" (prefix:local) */
    const char *label;
    const char *onset; /* as phenopacket_feature.onset; NULL from interpretations */
};

struct phenopacket_variant {
    const char *gene;     /* symbol, never NULL */
    const char *gene_id;  /* "HGNC:18865" or NULL */
    const char *assembly; /* as written ("hg38", "GRCh38") or NULL */
    const char *chrom;
    int64_t pos; /* 0 when no VCF record */
    const char *ref, *alt;
    const char *zygosity; /* allelic state label or NULL */
    const char *hgvs;     /* hgvs.c (else hgvs.g, hgvs) expression or NULL */
};

struct phenopacket {
    const char *id;       /* the phenopacket's id */
    const char *subject;  /* subject.id: handle as identifying */
    const char *sex;      /* "MALE", "FEMALE", "OTHER_SEX", "UNKNOWN_SEX" */
    const char *age_last; /* subject.timeAtLastEncounter as phenopacket_feature.onset, or NULL */
    const char *schema_version;
    struct phenopacket_feature *ph;
    size_t n_ph;
    struct phenopacket_disease *dx;
    size_t n_dx;
    struct phenopacket_variant *var;
    size_t n_var;
    void *root_; /* the parsed JSON (json_t *), owned; NULL in a caller-built struct */
};

/* Parses the len bytes at p. */
GN_MUST_CHECK int phenopacket_parse(const char *p, size_t len, struct phenopacket **out,
                                    struct gn_err *err);
void phenopacket_free(struct phenopacket *pp);

/* Reads the file at path (at most PHENOPACKET_MAX_BYTES) and parses it as phenopacket_parse
 * does; *out is owned by the caller (phenopacket_free). */
GN_MUST_CHECK int phenopacket_load(const char *path, struct phenopacket **out, struct gn_err *err);

/* Writes pp as a phenopacket v2 document (pretty-printed) into an owned *out (gn_free) of
 * *len bytes. created: ISO time for metaData.created; hpo_version: the HPO release of the
 * labels (may be NULL). Labels that are NULL or empty are written as the id. */
GN_MUST_CHECK int phenopacket_write(const struct phenopacket *pp, const char *created,
                                    const char *hpo_version, char **out, size_t *len,
                                    struct gn_err *err);

/* 1 when s[0..n) is an HPO id "HP:" followed by exactly 7 digits. */
int phenopacket_is_hpo_id(const char *s, size_t n);

#endif
