/*
 * phenosel.h — phenotype and diagnosis criteria of a cohort: the node's samples whose
 * person's phenotype record (imported phenopackets, catalog.h) has every listed observed
 * HPO term (the term itself or any term below it, through the HPO index) and every listed
 * diagnosis. The data commands take them as --phenotype and --diagnosis.
 *
 * A term is resolved once against the index: an alternative id maps to its primary term,
 * an obsolete id to its replacement (phenosel_new says so in *note); an unknown id, or an
 * obsolete one without replacement, is an error. Excluded features ("examined and absent")
 * never match. Terms recorded in the catalog are resolved the same way, so a record written
 * with an id that is now obsolete still matches its replacement.
 *
 * Selection only picks samples; whether they may be counted is policy's decision (consent,
 * withdrawal, project), taken afterwards on the resulting cohort like on a --samples file.
 *
 * Ownership: a struct phenosel owns its criteria; free with phenosel_free(). It borrows the
 * struct hpo given to phenosel_new(), which must outlive it.
 * Thread safety: read-only after phenosel_new(); phenosel_samples() may run concurrently on
 * distinct catalog handles.
 */
#ifndef GN_PHENOSEL_H
#define GN_PHENOSEL_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "err.h"
#include "hpo.h"

#define PHENOSEL_MAX_CRITERIA 64u /* terms plus diagnoses */
#define PHENOSEL_MAX_ID       64u /* bytes of one disease id */

struct phenosel;

/*
 * Parses the comma-separated HPO ids in terms and disease ids ("OMIM:614959",
 * "ORPHA:1899") in diagnoses; either may be NULL or empty, not both. h is needed when terms
 * are given (else it may be NULL). note (may be NULL) receives, when any id was mapped, a
 * line such as "HP:0000976 is obsolete, counted as HP:0000964"; "" otherwise.
 * Errors: GN_EINVAL (no criteria, an empty item, too many, no index for terms), GN_EPARSE
 * (not an HPO id, a disease id without "PREFIX:"), GN_ENOTFOUND (unknown term).
 */
GN_MUST_CHECK int phenosel_new(const struct hpo *h, const char *terms, const char *diagnoses,
                               struct phenosel **out, char *note, size_t note_len,
                               struct gn_err *err);

/* Frees s; NULL is a no-op. */
void phenosel_free(struct phenosel *s);

/* Writes the criteria as "phenotype HP:0001250,HP:0000707; diagnosis OMIM:614959" into
 * buf (truncated to n bytes); returns buf. */
const char *phenosel_describe(const struct phenosel *s, char *buf, size_t n);

/* The criteria in canonical form, as phenosel_new() takes them back: the current ids of
 * the terms ("HP:0001250,HP:0001263", replacements for obsolete ones) into terms (tn
 * bytes) and the disease ids into dx (dn bytes); "" for an empty list. Errors: GN_ELIMIT
 * when a list does not fit. */
GN_MUST_CHECK int phenosel_lists(const struct phenosel *s, char *terms, size_t tn, char *dx,
                                 size_t dn, struct gn_err *err);

/*
 * The ids of the samples whose person matches every criterion, increasing, into *ids
 * (owned by the caller, gn_free; never NULL on success) and their number into *n (0 when
 * nobody matches). Withdrawn samples are included: policy excludes them.
 * Errors: those of the catalog, GN_ENOMEM.
 */
GN_MUST_CHECK int phenosel_samples(const struct phenosel *s, struct catalog *c, uint32_t **ids,
                                   uint32_t *n, struct gn_err *err);

#endif
