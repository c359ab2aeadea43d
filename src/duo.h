/*
 * duo.h — GA4GH Data Use Ontology (DUO) terms: the term table, term-list parsing and
 * canonical formatting, and matching a research purpose against data use terms.
 *
 * A person's research consent and a dataset each carry a list of DUO terms ("use
 * terms": permissions such as GRU, HMB, DS(MONDO:0005105), POA, NRES, plus modifiers such
 * as NPU, NCU, IRB). A research project carries a list in the same syntax describing its
 * purpose ("purpose terms"). duo_match() says whether the purpose is allowed by one use
 * list, with a human-readable reason. The ontology (ids, shorthands, labels, subclass
 * links) is compiled in from data/duo/ by scripts/gen-duo-table; nothing is read at run
 * time.
 *
 * Term-list syntax (the same for use and purpose lists, on the CLI and in manifests):
 *
 *     list      = item *( sep item )           sep  = "," or ";"   (spaces ignored)
 *     item      = term [ "(" qual *( qsep qual ) ")" ]      qsep = "," or ";" or "|"
 *               / term "-" qual                              (DUOS style: DS-MONDO:0005105)
 *     term      = shorthand (GRU, hmb, NPU ... any case)
 *               / id (DUO:0000042, also duo:0000042 or DUO_0000042)
 *               / full label (general research use ... any case; one space between words)
 *     qual      = 1*64 of [A-Za-z0-9_.:/+-], e.g. MONDO:0005148
 *
 * Qualifiers are what Beacon v2 dataUseConditions and our test vectors call the
 * "modifiers" of a term: DS(X) names a disease, GS(X) a region, PS(X) a project and so on.
 * DS requires at least one disease CURIE (prefix:local). Qualifiers are accepted only on
 * DS, RS, GS, MOR, TS, US, PS, IS, DUO:0000032 (population research) and DUO:0000040
 * (disease category research); any other term given one is an error. A CURIE prefix
 * of a disease is normalised to upper case (mondo:1 -> MONDO:1).
 *
 * Canonical form (duo_list_format): one item per distinct term in table order
 * (permissions, modifiers, research purposes; by id within each), qualifiers of a
 * repeated term merged, sorted and de-duplicated, shorthands where DUO has one and ids
 * otherwise (or ids throughout with DUO_FMT_IDS), "," between items and no spaces:
 * "hmb; DS-mondo:2, Ds(MONDO:1)" -> "HMB,DS(MONDO:1,MONDO:2)".
 *
 * Matching rules are in duo.c's opening comment; in short, every research category of
 * the purpose must fall within some permission of the use list (DS by disease, through
 * a caller-supplied disease hierarchy); prohibitions (NPU, NCU, NPUNCU, NMDS, NPOA, GSO)
 * deny unless the purpose declares the matching term; conditions that a data access
 * process must check (IRB, PUB, COL, RTN, MOR, TS, US, PS, IS, GS, RS) make the verdict
 * DUO_CONDITIONAL unless the purpose declares them.
 *
 * Ownership: struct duo_list is caller-provided storage holding copies of everything it
 * needs; nothing in this module allocates. Term pointers point into the static table.
 * Thread safety: all functions are reentrant; the table is immutable; a struct duo_list
 * may be read from many threads once parsed.
 */
#ifndef GN_DUO_H
#define GN_DUO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* ---- the term table ----------------------------------------------------------------- */

enum duo_term_flag {
    DUO_TERM_PERMISSION = 1 << 0, /* under DUO:0000001 data use permission */
    DUO_TERM_MODIFIER = 1 << 1,   /* under DUO:0000017 data use modifier */
    DUO_TERM_PURPOSE = 1 << 2,    /* a research purpose (investigation) term */
    DUO_TERM_OBSOLETE = 1 << 3,   /* deprecated; rejected by the parser */
    DUO_TERM_ROOT = 1 << 4,       /* a branch root (grouping class); rejected by the parser */
};

/* One ontology term. Transparent and immutable; all strings are static. */
struct duo_term {
    const char *id;        /* "DUO:0000042" */
    const char *shorthand; /* "GRU"; "" when DUO defines none */
    const char *label;     /* "general research use" */
    int parent;            /* table index of the direct superclass, -1 for none */
    unsigned flags;        /* enum duo_term_flag bits */
};

/* Number of terms in the table, and term i (NULL when i is out of range). */
size_t duo_term_count(void);
const struct duo_term *duo_term_at(size_t i);

/* Looks up the n bytes at s (not NUL-terminated) as an id, a shorthand or a full label,
 * as described for "term" above. Returns a table entry (obsolete and root terms included)
 * or NULL when unknown. */
const struct duo_term *duo_term_find(const char *s, size_t n);

/* 1 when t is ancestor or a subclass of it (reflexive), 0 otherwise. Both must be table
 * entries. */
int duo_term_is_a(const struct duo_term *t, const struct duo_term *ancestor);

/* ---- term lists --------------------------------------------------------------------- */

#define DUO_TEXT_MAX  512 /* longest term-list string accepted, in bytes */
#define DUO_ITEMS_MAX 32  /* distinct terms in one list */
#define DUO_QUALS_MAX 32  /* qualifiers in one list, over all terms */
#define DUO_QUAL_MAX  64  /* bytes in one qualifier */

/* Which side a list describes. A use list (consent or dataset) must hold at least one
 * permission (NRES, GRU, HMB, DS, POA) and may not hold research-purpose terms
 * (DUO:0000031..40); a purpose list may hold any usable term. */
enum duo_side { DUO_SIDE_USE = 0, DUO_SIDE_PURPOSE = 1 };

/* A parsed, canonicalised term list. Caller-provided storage (about 700 bytes); the fields
 * are private — use the accessors below. */
struct duo_list {
    uint8_t side;
    uint8_t n_items;
    uint8_t n_quals;
    struct {
        uint8_t term;    /* table index */
        uint8_t first_q; /* index into qoff of its first qualifier */
        uint8_t n_q;
    } items[DUO_ITEMS_MAX];
    uint16_t qoff[DUO_QUALS_MAX]; /* offsets of NUL-terminated qualifiers in text */
    char text[DUO_TEXT_MAX + DUO_QUALS_MAX];
};

/* Parses the n bytes at s (no NUL needed) into *l, replacing its contents, and puts the
 * list in canonical order. Returns GN_OK; GN_EPARSE for malformed input, an unknown term,
 * an obsolete or root term, a misplaced or missing qualifier, or a term not allowed on
 * this side (err names the offending token); GN_ELIMIT past the DUO_* limits. On failure
 * *l is left empty. Borrows s. */
GN_MUST_CHECK int duo_list_parse(struct duo_list *l, const char *s, size_t n, enum duo_side side,
                                 struct gn_err *err);

/* Checks the n bytes at s as duo_list_parse would, without keeping the result (manifest
 * and catalog validation). Same returns. */
GN_MUST_CHECK int duo_validate(const char *s, size_t n, enum duo_side side, struct gn_err *err);

/* Accessors of a parsed list: item count, the term of item i, its qualifier count and
 * its qualifier j (a NUL-terminated string owned by the list). Indices must be in range
 * (asserted). */
size_t duo_list_count(const struct duo_list *l);
const struct duo_term *duo_list_term(const struct duo_list *l, size_t i);
size_t duo_list_nquals(const struct duo_list *l, size_t i);
const char *duo_list_qual(const struct duo_list *l, size_t i, size_t j);

/* Index of the item holding term t, or -1 when the list lacks it. */
int duo_list_find(const struct duo_list *l, const struct duo_term *t);

#define DUO_FMT_IDS 1u /* print DUO ids instead of shorthands */

/* Writes the canonical string of l into out (cap bytes, always NUL-terminated when
 * cap > 0) like snprintf: returns the length the full string needs, excluding the NUL, so
 * a return >= cap means it was truncated. The result parses back to an equal list. */
size_t duo_list_format(const struct duo_list *l, unsigned flags, char *out, size_t cap);

/* ---- matching ----------------------------------------------------------------------- */

/* A disease hierarchy, supplied by the caller (a MONDO subset, a test table...).
 * is_a returns 1 when disease child equals ancestor or descends from it, 0 otherwise;
 * both are CURIEs as stored in a list. It must be safe to call from the matching
 * thread. */
struct duo_disease_ops {
    int (*is_a)(void *ctx, const char *child, const char *ancestor);
    void *ctx;
};

enum duo_verdict {
    DUO_DENIED = 0,      /* the use terms do not permit the purpose */
    DUO_CONDITIONAL = 1, /* permitted once a data access process checks the conditions named */
    DUO_ALLOWED = 2,     /* permitted */
};

#define DUO_REASON_MAX 320

struct duo_result {
    enum duo_verdict verdict;
    /* "allowed: ...", "conditional: ..." or "denied: ..."; truncated to fit. */
    char reason[DUO_REASON_MAX];
};

/* Decides whether the purpose list is permitted by the use list (a consent or a
 * dataset's terms), fills *res (which may be NULL) and returns the verdict. dis may be
 * NULL: diseases then match only when equal. Borrows everything; cannot fail. use must be
 * a DUO_SIDE_USE list and purpose a DUO_SIDE_PURPOSE list (asserted). */
enum duo_verdict duo_match(const struct duo_list *use, const struct duo_list *purpose,
                           const struct duo_disease_ops *dis, struct duo_result *res);

/* "allowed", "conditional" or "denied". */
const char *duo_verdict_name(enum duo_verdict v);

#endif
