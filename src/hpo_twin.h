/*
 * hpo_twin.h — OMIM/Orphanet twins: the OMIM entry and the Orphanet entry that describe one
 * disease, found from the index alone (the TSV release carries no cross-references between
 * the two sources). The ranker lists a pair as one disease (hpo_rank.h, docs/hpo.md).
 *
 * Four passes by level, each among the entries the passes before left unpaired:
 *   1  labels that fold to the same text: lower case, every run of other characters one
 *      space ("Achondroplasia" and "ACHONDROPLASIA;");
 *   2  labels with the same set of words: roman numerals as digits (also with a letter
 *      after "type": "type IA" is "type 1A"), ten words every kind of label adds or drops
 *      ("type", "syndrome", ...) left out, and an eponym joined by a hyphen between
 *      capitalised names kept as one ordered word ("Goldberg-Shprintzen" is not
 *      "Shprintzen-Goldberg");
 *   3  the only OMIM entry of a gene (of that gene alone) and its only Orphanet entry, when
 *      their labels share a word that names something. An Orphanet entry without genes of
 *      its own takes the gene(s) whose phenotype links hold every one of its annotations
 *      (genes_to_phenotype is the union of the annotations of a gene's diseases); one
 *      held by several genes counts for each and so pairs with none;
 *   4  an Orphanet entry of one gene (its own or so inferred) and the OMIM entry of that
 *      gene (of that gene alone) whose annotation set is most like its own: a Jaccard
 *      index of at least 0.3, every other OMIM entry of the gene at most half of it, no
 *      other Orphanet entry choosing the same OMIM entry, and both labels or neither naming
 *      a deletion, duplication or aneuploidy ("Loeys-Dietz syndrome 3" and
 *      "Aneurysm-osteoarthritis syndrome", SMAD3).
 * A key (label, word set) carried by more than two entries, or by two of one source, pairs
 * nothing.
 *
 * Ownership: hpo_twins_find fills a caller-owned struct whose arrays it allocates; free
 * them with hpo_twins_free. The struct hpo is only read.
 */
#ifndef GN_HPO_TWIN_H
#define GN_HPO_TWIN_H

#include <stdint.h>

#include "err.h"
#include "hpo.h"

struct hpo_twins {
    uint32_t *twin;      /* n_dis: the other entry of d's pair, else HPO_NONE */
    uint32_t *pair_omim; /* the OMIM entry of each pair */
    uint8_t *pair_pass;  /* the pass (level, 1-4) that found each pair */
    uint32_t n_pairs;
};

/* Pairs h's entries up to level (0: none; see above). GN_OK, or GN_ENOMEM with *tw empty. */
GN_MUST_CHECK int hpo_twins_find(const struct hpo *h, int level, struct hpo_twins *tw);
/* Frees tw's arrays and empties it; NULL is a no-op. */
void hpo_twins_free(struct hpo_twins *tw);

#endif
