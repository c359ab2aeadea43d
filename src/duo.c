/*
 * duo.c — DUO term table, term-list parser and formatter, and the purpose matcher.
 *
 * Table. duo_table.inc is generated from data/duo/ (scripts/gen-duo-table) and sorted by
 * branch, then id, so table order is canonical order. What a term *means* to the matcher
 * (its role) is not in the ontology files; it is the switch in role_of() below, keyed by
 * the numeric part of the id, so a regenerated table with new terms still parses them
 * and the matcher treats unknown roles conservatively (a use term it does not understand
 * makes the verdict conditional).
 *
 * Parsing. The input is untrusted (CLI, TSV manifests, catalog rows): it is walked with a
 * cursor over (s, n) and never needs a NUL; every token, qualifier and count is bounded
 * by the DUO_* limits; error messages quote tokens through strparse_quote(), which replaces
 * unprintable bytes. Parsing collects raw items and qualifiers first and then writes the
 * canonical layout (one item per distinct term, qualifiers sorted and unique), so two
 * spellings of the same list always produce byte-identical struct contents and strings.
 *
 * Matching follows the EBISPOT/DUO README ("How does querying work when using DUO?",
 * "Research Purpose to Query") and the DUOS "Version 2" business rules in
 * DataBiosphere/consent-ontology docs/Algorithms.md, as pinned down by
 * testdata/duo/matching-cases.json:
 *
 *  1. Categories. Each research category the purpose declares must be admitted by at
 *     least one permission of the use list ("ALL conditions of the purpose"):
 *       general  (GRU, NRES, DUO:0000034/35)        <- NRES, GRU
 *       health   (HMB, DUO:0000036..39, DUO:0000040 without a disease)
 *                                                   <- NRES, GRU, HMB
 *       disease X (DS(X), DUO:0000040(X); one per disease)
 *                                                   <- NRES, GRU, HMB, DS(Y) when X is Y or
 *                                                      a descendant of Y ("queries are made
 *                                                      at the most specific level")
 *       ancestry (POA, DUO:0000032/33)              <- NRES, GRU, POA (HMB excludes it)
 *     A purpose naming no category is health research when it names method development,
 *     research control or clinical care, and general research otherwise. Method
 *     development alone is therefore not within a DS-only consent (a DS consent does not
 *     allow general methods work outside the disease).
 *  2. Prohibitions deny unless the purpose declares the term that satisfies them:
 *     NPU (purpose declares NPU or NPUNCU: a not-for-profit requester), NCU (declares NCU
 *     or NPUNCU: a non-commercial use), NPUNCU (both), GSO (declares GSO or DUO:0000038
 *     genetic research), NPOA (no ancestry category in the purpose), NMDS (a purpose with
 *     method development passes only when one of its diseases matches a DS of the use
 *     list). A purpose declaring clinical care (CC) needs CC or NRES in the use list.
 *     An undeclared property counts against the purpose: a purpose that does not say it
 *     is non-commercial is treated as commercial.
 *  3. Conditions a data access process checks and an ontology match cannot (IRB, PUB,
 *     COL, RTN, MOR, TS, US, PS, IS, GS, RS, and any use term without a known role) give
 *     DUO_CONDITIONAL unless the purpose declares the same term; when the use term has
 *     qualifiers (GS(X), PS(Y)...), the purpose's same term must name at least one and
 *     only qualifiers from that set.
 *  The first failed rule in this order gives the denial reason; otherwise every unmet
 *  condition is listed.
 */
#include "duo.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strparse.h"

#include "duo_table.inc"

#define N_TERMS (sizeof terms / sizeof terms[0])

/* ---- roles: what each term means to the parser and the matcher ---------------------- */

/* Roles, in groups: permissions (NRES..POA), prohibitions (NPU..GSO), conditions checked by
 * a data access process (IRB..RS), the permission-extending modifier CC, and research
 * purpose terms (METHODS..DISEASECAT). */
enum role {
    R_OTHER,
    R_NRES,
    R_GRU,
    R_HMB,
    R_DS,
    R_POA,
    R_NPU,
    R_NCU,
    R_NPUNCU,
    R_NMDS,
    R_NPOA,
    R_GSO,
    R_IRB,
    R_PUB,
    R_COL,
    R_RTN,
    R_MOR,
    R_TS,
    R_US,
    R_PS,
    R_IS,
    R_GS,
    R_RS,
    R_CC,
    R_METHODS,
    R_POPULATION,
    R_ANCESTRY,
    R_AGE,
    R_GENDER,
    R_CONTROL,
    R_BIOMED,
    R_GENETIC,
    R_DRUG,
    R_DISEASECAT
};

/* What a term accepts in parentheses. */
enum qual_kind { Q_NONE, Q_DISEASE_REQUIRED, Q_DISEASE_OPTIONAL, Q_ANY };

enum category { CAT_GENERAL, CAT_HEALTH, CAT_DISEASE, CAT_ANCESTRY };

static int id_number(const struct duo_term *t)
{
    int v = 0;
    for (const char *p = t->id + 4; *p; p++) {
        v = v * 10 + (*p - '0');
    }
    return v;
}

/* The role and qualifier kind of each DUO term the matcher knows, by id number. Keyed by
 * number rather than table index so that regenerating the table (which may renumber rows)
 * cannot silently give a term another term's meaning. */
static const struct role_def {
    uint8_t num;
    uint8_t role; /* enum role */
    uint8_t qual; /* enum qual_kind */
} role_defs[] = {{4, R_NRES, Q_NONE},
                 {42, R_GRU, Q_NONE},
                 {6, R_HMB, Q_NONE},
                 {7, R_DS, Q_DISEASE_REQUIRED},
                 {11, R_POA, Q_NONE},
                 {45, R_NPU, Q_NONE},
                 {46, R_NCU, Q_NONE},
                 {18, R_NPUNCU, Q_NONE},
                 {15, R_NMDS, Q_NONE},
                 {44, R_NPOA, Q_NONE},
                 {16, R_GSO, Q_NONE},
                 {21, R_IRB, Q_NONE},
                 {19, R_PUB, Q_NONE},
                 {20, R_COL, Q_NONE},
                 {29, R_RTN, Q_NONE},
                 {24, R_MOR, Q_ANY},
                 {25, R_TS, Q_ANY},
                 {26, R_US, Q_ANY},
                 {27, R_PS, Q_ANY},
                 {28, R_IS, Q_ANY},
                 {22, R_GS, Q_ANY},
                 {12, R_RS, Q_ANY},
                 {43, R_CC, Q_NONE},
                 {31, R_METHODS, Q_NONE},
                 {32, R_POPULATION, Q_ANY},
                 {33, R_ANCESTRY, Q_NONE},
                 {34, R_AGE, Q_NONE},
                 {35, R_GENDER, Q_NONE},
                 {36, R_CONTROL, Q_NONE},
                 {37, R_BIOMED, Q_NONE},
                 {38, R_GENETIC, Q_NONE},
                 {39, R_DRUG, Q_NONE},
                 {40, R_DISEASECAT, Q_DISEASE_OPTIONAL}};

static const struct role_def *role_def_of(const struct duo_term *t)
{
    static const struct role_def other = {0, R_OTHER, Q_NONE};
    int num = id_number(t);
    for (size_t i = 0; i < sizeof role_defs / sizeof role_defs[0]; i++) {
        if (role_defs[i].num == num) return &role_defs[i];
    }
    return &other;
}

static enum role role_of(const struct duo_term *t)
{
    return (enum role)role_def_of(t)->role;
}

static enum qual_kind qual_kind_of(const struct duo_term *t)
{
    return (enum qual_kind)role_def_of(t)->qual;
}

/* ---- the table ---------------------------------------------------------------------- */

size_t duo_term_count(void)
{
    return N_TERMS;
}

const struct duo_term *duo_term_at(size_t i)
{
    return i < N_TERMS ? &terms[i] : NULL;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t';
}

/* Case-insensitive equality of (s, n) with the NUL-terminated z. */
static int eq_nocase(const char *s, size_t n, const char *z)
{
    size_t i = 0;
    for (; i < n && z[i]; i++) {
        if (lower((unsigned char)s[i]) != lower((unsigned char)z[i])) return 0;
    }
    return i == n && !z[i];
}

/* Like eq_nocase, but a run of blanks in s matches one space in the label z. */
static int eq_label(const char *s, size_t n, const char *z)
{
    size_t i = 0;
    while (i < n && *z) {
        if (is_space((unsigned char)s[i])) {
            if (*z != ' ') return 0;
            while (i < n && is_space((unsigned char)s[i])) {
                i++;
            }
            z++;
            continue;
        }
        if (lower((unsigned char)s[i]) != lower((unsigned char)*z)) return 0;
        i++, z++;
    }
    return i == n && !*z;
}

/* "DUO:0000042", "duo:0000042" or "DUO_0000042" (the OBO IRI form, as in
 * http://purl.obolibrary.org/obo/DUO_0000042, which people copy from ontology browsers). */
static const struct duo_term *find_id(const char *s, size_t n)
{
    if (n != 11 || lower((unsigned char)s[0]) != 'd' || lower((unsigned char)s[1]) != 'u' ||
        lower((unsigned char)s[2]) != 'o' || (s[3] != ':' && s[3] != '_')) {
        return NULL;
    }
    for (size_t k = 4; k < 11; k++) {
        if (s[k] < '0' || s[k] > '9') return NULL;
    }
    for (size_t i = 0; i < N_TERMS; i++) {
        if (!memcmp(terms[i].id + 4, s + 4, 7)) return &terms[i];
    }
    return NULL;
}

const struct duo_term *duo_term_find(const char *s, size_t n)
{
    const struct duo_term *t;
    assert(s || n == 0);
    if (n == 0) return NULL;
    if ((t = find_id(s, n))) return t;
    for (size_t i = 0; i < N_TERMS; i++) {
        if (terms[i].shorthand[0] && eq_nocase(s, n, terms[i].shorthand)) return &terms[i];
    }
    for (size_t i = 0; i < N_TERMS; i++) {
        if (eq_label(s, n, terms[i].label)) return &terms[i];
    }
    return NULL;
}

int duo_term_is_a(const struct duo_term *t, const struct duo_term *ancestor)
{
    assert(t >= terms && t < terms + N_TERMS);
    /* The generator rejects cycles, so the walk ends; the bound is belt and braces. */
    for (size_t steps = 0; steps <= N_TERMS; steps++) {
        if (t == ancestor) return 1;
        if (t->parent < 0) return 0;
        t = &terms[t->parent];
    }
    return 0;
}

/* ---- parsing ------------------------------------------------------------------------ */

/* Raw parse state: items and qualifiers in input order, before canonicalisation. Each
 * qualifier is copied (normalised, NUL-terminated) into text. Everything is sized by the
 * DUO_* limits, so parsing needs no allocation and cannot fail for want of memory: the
 * policy module parses one consent per sample, and a stack struct is the cheapest home.
 * text holds at most every input byte plus one NUL per qualifier. */
struct raw {
    size_t n_items, n_quals, text_len;
    uint8_t item_term[DUO_ITEMS_MAX];
    uint8_t qual_item[DUO_QUALS_MAX]; /* raw item index of each qualifier */
    uint16_t qual_off[DUO_QUALS_MAX];
    char text[DUO_TEXT_MAX + DUO_QUALS_MAX];
};


static int is_qual_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '/' || c == '+' || c == '-';
}

/* prefix ":" local, prefix = letter *(alnum / "_" / "." / "-"), local = 1*(same).
 * Disease qualifiers are compared as strings and handed to the caller's hierarchy, so
 * they are held to CURIE shape: a free-text "DS(cancer)" would never match anything and
 * is better refused at input time than silently denied later. */
static int is_curie(const char *q, size_t n)
{
    const char *colon = memchr(q, ':', n);
    size_t plen;
    if (!colon || colon == q || colon == q + n - 1) return 0;
    plen = (size_t)(colon - q);
    if (!((q[0] >= 'A' && q[0] <= 'Z') || (q[0] >= 'a' && q[0] <= 'z'))) return 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)q[i];
        if (i == plen) continue;
        if (c == ':' || c == '/' || c == '+' || !is_qual_char(c)) return 0;
    }
    return 1;
}

/* A term's display name: its shorthand, or "id (label)" when it has none. */
static const char *term_name(char *buf, size_t cap, const struct duo_term *t)
{
    if (t->shorthand[0]) return t->shorthand;
    (void)snprintf(buf, cap, "%s (%s)", t->id, t->label);
    return buf;
}

/* Validates the qualifier (q, n) of the raw item `item` and stores it in r. */
static int add_qual(struct raw *r, size_t item, const char *q, size_t n, struct gn_err *err)
{
    const struct duo_term *t = &terms[r->item_term[item]];
    enum qual_kind kind = qual_kind_of(t);
    char tok[48], name[128];
    char *dst;

    if (kind == Q_NONE) {
        return gn_errf(err, GN_EPARSE, "DUO term %s takes no qualifier (got '%s')",
                       term_name(name, sizeof name, t), strparse_quote(tok, q, n));
    }
    if (n > DUO_QUAL_MAX) {
        return gn_errf(err, GN_ELIMIT, "DUO qualifier '%s' is longer than %d bytes",
                       strparse_quote(tok, q, n), DUO_QUAL_MAX);
    }
    if ((kind == Q_DISEASE_REQUIRED || kind == Q_DISEASE_OPTIONAL) && !is_curie(q, n)) {
        return gn_errf(err, GN_EPARSE, "%s needs a disease id such as MONDO:0005148, got '%s'",
                       term_name(name, sizeof name, t), strparse_quote(tok, q, n));
    }
    if (r->n_quals == DUO_QUALS_MAX) {
        return gn_errf(err, GN_ELIMIT, "more than %d DUO qualifiers", DUO_QUALS_MAX);
    }
    assert(r->text_len + n + 1 <= sizeof r->text);
    dst = r->text + r->text_len;
    memcpy(dst, q, n);
    dst[n] = 0;
    /* Disease CURIE prefixes are case-insensitive in practice; store them upper-case. */
    if (kind != Q_ANY) {
        for (size_t i = 0; i < n && dst[i] != ':'; i++) {
            if (dst[i] >= 'a' && dst[i] <= 'z') dst[i] = (char)(dst[i] - 'a' + 'A');
        }
    }
    r->qual_item[r->n_quals] = (uint8_t)item;
    r->qual_off[r->n_quals++] = (uint16_t)r->text_len;
    r->text_len += n + 1;
    return GN_OK;
}

/* Looks up the term token (s, n), already trimmed, checks it suits side, and appends a
 * raw item. A token that is not a term but contains '-' is read as term "-" qualifier:
 * "DS-X" is how the consent-codes paper and DUOS write a disease restriction, so curators
 * will type it. The whole token is tried first because some labels contain '-'
 * ("non-commercial use only"). */
static int add_term(struct raw *r, const char *s, size_t n, enum duo_side side, struct gn_err *err)
{
    const struct duo_term *t = duo_term_find(s, n);
    const char *dash = NULL, *q = NULL;
    size_t tn = n;
    char tok[48], name[128];

    if (!t && (dash = memchr(s, '-', n))) {
        tn = (size_t)(dash - s);
        while (tn > 0 && is_space((unsigned char)s[tn - 1])) {
            tn--;
        }
        q = dash + 1;
        while (q < s + n && is_space((unsigned char)*q)) {
            q++;
        }
        t = duo_term_find(s, tn);
    }
    if (!t) return gn_errf(err, GN_EPARSE, "unknown DUO term '%s'", strparse_quote(tok, s, n));
    if (t->flags & DUO_TERM_OBSOLETE) {
        return gn_errf(err, GN_EPARSE, "DUO term %s (%s) is obsolete", t->id, t->label);
    }
    if (t->flags & DUO_TERM_ROOT) {
        return gn_errf(err, GN_EPARSE, "DUO term %s (%s) is a grouping class, not a usable term",
                       t->id, t->label);
    }
    if (side == DUO_SIDE_USE && (t->flags & DUO_TERM_PURPOSE)) {
        return gn_errf(err, GN_EPARSE,
                       "DUO term %s describes a research purpose; it cannot restrict data use",
                       term_name(name, sizeof name, t));
    }
    if (r->n_items == DUO_ITEMS_MAX) {
        return gn_errf(err, GN_ELIMIT, "more than %d DUO terms", DUO_ITEMS_MAX);
    }
    r->item_term[r->n_items++] = (uint8_t)(t - terms);
    if (!q) return GN_OK;
    if (q == s + n || !is_qual_char((unsigned char)*q)) {
        return gn_errf(err, GN_EPARSE, "empty or malformed qualifier in '%s'",
                       strparse_quote(tok, s, n));
    }
    for (const char *e = q; e < s + n; e++) {
        if (!is_qual_char((unsigned char)*e)) {
            return gn_errf(err, GN_EPARSE, "malformed qualifier in '%s'",
                           strparse_quote(tok, s, n));
        }
    }
    return add_qual(r, r->n_items - 1, q, (size_t)(s + n - q), err);
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && is_space((unsigned char)*p)) {
        p++;
    }
    return p;
}

/* Parses "(" qual *(qsep qual) ")" at *pp for the last raw item. */
static int parse_quals(struct raw *r, const char **pp, const char *end, struct gn_err *err)
{
    const char *p = *pp + 1, *q;
    char tok[48], name[128];
    const struct duo_term *t = &terms[r->item_term[r->n_items - 1]];
    int rc;

    for (;;) {
        p = skip_space(p, end);
        for (q = p; p < end && is_qual_char((unsigned char)*p); p++) {
            continue;
        }
        if (p == q && p < end && (*p == ')' || *p == ',' || *p == ';' || *p == '|')) {
            return gn_errf(err, GN_EPARSE, "empty qualifier in the qualifiers of %s",
                           term_name(name, sizeof name, t));
        }
        if (p == q) break;
        if ((rc = add_qual(r, r->n_items - 1, q, (size_t)(p - q), err)) < 0) return rc;
        p = skip_space(p, end);
        if (p < end && *p == ')') {
            *pp = p + 1;
            return GN_OK;
        }
        if (p == end || (*p != ',' && *p != ';' && *p != '|')) break;
        p++;
    }
    if (p == end) {
        return gn_errf(err, GN_EPARSE, "missing ')' after the qualifiers of %s",
                       term_name(name, sizeof name, t));
    }
    return gn_errf(err, GN_EPARSE, "unexpected '%s' in the qualifiers of %s",
                   strparse_quote(tok, p, 1), term_name(name, sizeof name, t));
}

/* Fills r from (s, n): the grammar in duo.h. A term token runs to the next separator or
 * parenthesis, so full labels with inner spaces are one token, and "GRU HMB" is reported
 * as one unknown term rather than silently read as two. */
static int parse_raw(struct raw *r, const char *s, size_t n, enum duo_side side, struct gn_err *err)
{
    const char *p = s, *end = s + n, *t, *te;
    char tok[48];
    int rc;

    for (;;) {
        p = skip_space(p, end);
        for (t = p; p < end && *p != ',' && *p != ';' && *p != '(' && *p != ')'; p++) {
            continue;
        }
        for (te = p; te > t && is_space((unsigned char)te[-1]); te--) {
            continue;
        }
        if (te == t) {
            if (p < end && *p == ')') break;
            return gn_errf(err, GN_EPARSE, "empty DUO term at byte %zu", (size_t)(t - s));
        }
        if ((rc = add_term(r, t, (size_t)(te - t), side, err)) < 0) return rc;
        if (p < end && *p == '(' && (rc = parse_quals(r, &p, end, err)) < 0) return rc;
        p = skip_space(p, end);
        if (p == end) return GN_OK;
        if (*p != ',' && *p != ';') break;
        p++;
    }
    return gn_errf(err, GN_EPARSE, "unexpected '%s' at byte %zu of the DUO term list",
                   strparse_quote(tok, p, 1), (size_t)(p - s));
}

/* Writes the canonical layout of r into l (see the file comment). Merging the qualifiers
 * of a repeated term is meaning-preserving on both sides: a use list DS(A),DS(B) permits
 * A or B exactly as DS(A,B) does, and a purpose DS(A),DS(B) must have both admitted
 * either way. Items follow table order, which the generator made canonical. */
static void canonicalise(struct duo_list *l, const struct raw *r, enum duo_side side)
{
    uint8_t idx[DUO_QUALS_MAX];
    size_t text_len = 0;

    memset(l, 0, sizeof *l);
    l->side = (uint8_t)side;
    for (size_t ti = 0; ti < N_TERMS; ti++) {
        size_t nq = 0, item;
        int present = 0;
        for (size_t i = 0; i < r->n_items; i++) {
            present |= r->item_term[i] == ti;
        }
        if (!present) continue;
        /* Insertion sort of this term's qualifiers, dropping duplicates. */
        for (size_t k = 0; k < r->n_quals; k++) {
            const char *qs = r->text + r->qual_off[k];
            size_t at = 0;
            int cmp = 1;
            if (r->item_term[r->qual_item[k]] != ti) continue;
            while (at < nq && (cmp = strcmp(r->text + r->qual_off[idx[at]], qs)) < 0) {
                at++;
            }
            if (at < nq && cmp == 0) continue;
            memmove(idx + at + 1, idx + at, nq - at);
            idx[at] = (uint8_t)k;
            nq++;
        }
        item = l->n_items++;
        l->items[item].term = (uint8_t)ti;
        l->items[item].first_q = l->n_quals;
        l->items[item].n_q = (uint8_t)nq;
        for (size_t k = 0; k < nq; k++) {
            const char *qs = r->text + r->qual_off[idx[k]];
            size_t qn = strlen(qs) + 1;
            assert(text_len + qn <= sizeof l->text);
            memcpy(l->text + text_len, qs, qn);
            l->qoff[l->n_quals++] = (uint16_t)text_len;
            text_len += qn;
        }
    }
}

/* Checks rules about whole lists once the terms are known. */
static int check_list(const struct duo_list *l, struct gn_err *err)
{
    int has_permission = 0;

    if (l->n_items == 0) return gn_errf(err, GN_EPARSE, "empty DUO term list");
    for (size_t i = 0; i < l->n_items; i++) {
        const struct duo_term *t = &terms[l->items[i].term];
        if (qual_kind_of(t) == Q_DISEASE_REQUIRED && l->items[i].n_q == 0) {
            const char *nm = t->shorthand[0] ? t->shorthand : t->id;
            return gn_errf(err, GN_EPARSE, "%s needs a disease id, e.g. %s(MONDO:0005148)", nm, nm);
        }
        has_permission |= (t->flags & DUO_TERM_PERMISSION) != 0;
    }
    if (l->side == DUO_SIDE_USE && !has_permission) {
        return gn_errf(err, GN_EPARSE,
                       "DUO data use terms need a permission (NRES, GRU, HMB, DS or POA)");
    }
    return GN_OK;
}

int duo_list_parse(struct duo_list *l, const char *s, size_t n, enum duo_side side,
                   struct gn_err *err)
{
    struct raw r;
    int rc;

    assert(l && (s || n == 0));
    assert(side == DUO_SIDE_USE || side == DUO_SIDE_PURPOSE);
    l->n_items = l->n_quals = 0;
    l->side = (uint8_t)side;
    if (n > DUO_TEXT_MAX) {
        return gn_errf(err, GN_ELIMIT, "DUO term list longer than %d bytes", DUO_TEXT_MAX);
    }
    r.n_items = r.n_quals = r.text_len = 0;
    if (skip_space(s, s + n) == s + n) return gn_errf(err, GN_EPARSE, "empty DUO term list");
    if ((rc = parse_raw(&r, s, n, side, err)) < 0) return rc;
    canonicalise(l, &r, side);
    if ((rc = check_list(l, err)) < 0) {
        l->n_items = l->n_quals = 0;
        return rc;
    }
    return GN_OK;
}

int duo_validate(const char *s, size_t n, enum duo_side side, struct gn_err *err)
{
    struct duo_list l;
    return duo_list_parse(&l, s, n, side, err);
}

/* ---- accessors and formatting ------------------------------------------------------- */

size_t duo_list_count(const struct duo_list *l)
{
    return l->n_items;
}

const struct duo_term *duo_list_term(const struct duo_list *l, size_t i)
{
    assert(i < l->n_items);
    return &terms[l->items[i].term];
}

size_t duo_list_nquals(const struct duo_list *l, size_t i)
{
    assert(i < l->n_items);
    return l->items[i].n_q;
}

const char *duo_list_qual(const struct duo_list *l, size_t i, size_t j)
{
    assert(i < l->n_items && j < l->items[i].n_q);
    return l->text + l->qoff[l->items[i].first_q + j];
}

int duo_list_find(const struct duo_list *l, const struct duo_term *t)
{
    for (size_t i = 0; i < l->n_items; i++) {
        if (&terms[l->items[i].term] == t) return (int)i;
    }
    return -1;
}

/* An snprintf-style sink: counts everything, stores what fits, keeps a NUL. Both the
 * formatter (which reports the needed length) and the fixed-size reason buffer (which
 * truncates) write through it, so neither can overrun. */
struct sink {
    char *buf;
    size_t cap, len;
};

static void sink_put(struct sink *k, const char *s, size_t n)
{
    if (k->cap > 0 && k->len < k->cap - 1) {
        size_t room = k->cap - 1 - k->len;
        memcpy(k->buf + k->len, s, n < room ? n : room);
        k->buf[k->len + (n < room ? n : room)] = 0;
    }
    k->len += n;
}

static void sink_puts(struct sink *k, const char *s)
{
    sink_put(k, s, strlen(s));
}

static void GN_PRINTF(2, 3) sink_printf(struct sink *k, const char *fmt, ...)
{
    char tmp[DUO_REASON_MAX];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) sink_put(k, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Item i in canonical syntax; with only_q >= 0, just that one qualifier. */
static void put_item(struct sink *k, const struct duo_list *l, size_t i, long only_q,
                     unsigned flags)
{
    const struct duo_term *t = &terms[l->items[i].term];
    size_t nq = l->items[i].n_q;
    sink_puts(k, (flags & DUO_FMT_IDS) || !t->shorthand[0] ? t->id : t->shorthand);
    if (nq == 0) return;
    sink_put(k, "(", 1);
    for (size_t j = 0; j < nq; j++) {
        if (only_q >= 0 && (size_t)only_q != j) continue;
        if (only_q < 0 && j > 0) sink_put(k, ",", 1);
        sink_puts(k, duo_list_qual(l, i, j));
    }
    sink_put(k, ")", 1);
}

size_t duo_list_format(const struct duo_list *l, unsigned flags, char *out, size_t cap)
{
    struct sink k = {out, cap, 0};
    if (cap > 0) out[0] = 0;
    for (size_t i = 0; i < l->n_items; i++) {
        if (i > 0) sink_put(&k, ",", 1);
        put_item(&k, l, i, -1, flags);
    }
    return k.len;
}

/* ---- matching ----------------------------------------------------------------------- */

struct matcher {
    const struct duo_list *use, *purpose;
    const struct duo_disease_ops *dis;
    struct sink reason;
};

static enum role item_role(const struct duo_list *l, size_t i)
{
    return role_of(&terms[l->items[i].term]);
}

static int has_role(const struct duo_list *l, enum role r)
{
    for (size_t i = 0; i < l->n_items; i++) {
        if (item_role(l, i) == r) return 1;
    }
    return 0;
}

/* Equality always matches, so a NULL hierarchy still gives exact-disease matching; only
 * a return of exactly 1 counts, so a callback reporting an error (< 0) cannot grant use. */
static int disease_is_a(const struct matcher *m, const char *child, const char *ancestor)
{
    if (!strcmp(child, ancestor)) return 1;
    return m->dis && m->dis->is_a && m->dis->is_a(m->dis->ctx, child, ancestor) == 1;
}

/* 1 when some DS qualifier of the use list is disease or one of its ancestors. */
static int use_ds_covers(const struct matcher *m, const char *disease)
{
    for (size_t i = 0; i < m->use->n_items; i++) {
        if (item_role(m->use, i) != R_DS) continue;
        for (size_t j = 0; j < m->use->items[i].n_q; j++) {
            if (disease_is_a(m, disease, duo_list_qual(m->use, i, j))) return 1;
        }
    }
    return 0;
}

/* 1 when a permission of the use list admits the category (disease for CAT_DISEASE). */
static int admits(const struct matcher *m, enum category c, const char *disease)
{
    for (size_t i = 0; i < m->use->n_items; i++) {
        switch (item_role(m->use, i)) {
        case R_NRES:
        case R_GRU:
            return 1;
        case R_HMB:
            if (c == CAT_HEALTH || c == CAT_DISEASE) return 1;
            break;
        case R_POA:
            if (c == CAT_ANCESTRY) return 1;
            break;
        default:
            break;
        }
    }
    return c == CAT_DISEASE && use_ds_covers(m, disease);
}

/* The use list's permissions, for messages: "DS(MONDO:1),HMB". */
static void put_permissions(struct sink *k, const struct duo_list *use)
{
    int first = 1;
    for (size_t i = 0; i < use->n_items; i++) {
        if (!(terms[use->items[i].term].flags & DUO_TERM_PERMISSION)) continue;
        if (!first) sink_put(k, ",", 1);
        put_item(k, use, i, -1, 0);
        first = 0;
    }
    if (first) sink_puts(k, "(no permission)");
}

/* Checks one purpose category; on failure writes the denial reason and returns 0. The
 * purpose element is item i (qualifier q, or all when q < 0), or described by what when
 * i < 0. */
static int check_category(struct matcher *m, enum category c, long i, long q, const char *what)
{
    const char *disease = c == CAT_DISEASE ? duo_list_qual(m->purpose, (size_t)i, (size_t)q) : 0;
    char name[128];
    if (admits(m, c, disease)) return 1;
    sink_puts(&m->reason, "denied: purpose ");
    if (i < 0) {
        sink_puts(&m->reason, what);
    } else if (!terms[m->purpose->items[i].term].shorthand[0] && m->purpose->items[i].n_q == 0) {
        sink_puts(&m->reason, term_name(name, sizeof name, &terms[m->purpose->items[i].term]));
    } else {
        put_item(&m->reason, m->purpose, (size_t)i, q, 0);
    }
    sink_puts(&m->reason, " is not within consent ");
    put_permissions(&m->reason, m->use);
    return 0;
}

/* The research category a purpose term declares, or -1 for none. Age and gender category
 * research are not necessarily health research, so they need a general permission; drug
 * development, genetic research and research controls are biomedical; a disease category
 * with a disease is treated as DS on that disease. */
static int category_of(const struct duo_list *p, size_t i)
{
    switch (item_role(p, i)) {
    case R_GRU:
    case R_NRES:
    case R_AGE:
    case R_GENDER:
        return CAT_GENERAL;
    case R_HMB:
    case R_BIOMED:
    case R_GENETIC:
    case R_DRUG:
    case R_CONTROL:
        return CAT_HEALTH;
    case R_DS:
        return CAT_DISEASE;
    case R_DISEASECAT:
        return p->items[i].n_q ? CAT_DISEASE : CAT_HEALTH;
    case R_POA:
    case R_POPULATION:
    case R_ANCESTRY:
        return CAT_ANCESTRY;
    default:
        return -1;
    }
}

/* Rule 1 of the file comment. */
static int check_categories(struct matcher *m)
{
    const struct duo_list *p = m->purpose;
    int n_cat = 0;
    for (size_t i = 0; i < p->n_items; i++) {
        int c = category_of(p, i);
        if (c < 0) continue;
        n_cat++;
        if (c != CAT_DISEASE) {
            if (!check_category(m, (enum category)c, (long)i, -1, NULL)) return 0;
            continue;
        }
        for (size_t j = 0; j < p->items[i].n_q; j++) {
            if (!check_category(m, CAT_DISEASE, (long)i, (long)j, NULL)) return 0;
        }
    }
    if (n_cat > 0) return 1;
    if (has_role(p, R_METHODS)) {
        return check_category(m, CAT_HEALTH, -1, -1, "DUO:0000031 (method development)");
    }
    if (has_role(p, R_CC)) return check_category(m, CAT_HEALTH, -1, -1, "CC (clinical care use)");
    return check_category(m, CAT_GENERAL, -1, -1, "(no research category: general research)");
}

/* NMDS: method development passes only through a disease matched by a DS of the use.
 * This is the DUOS rule taken literally: with NMDS and no DS at all (GRU,NMDS), no
 * method development is allowed, since there is no disease bound to stay within. */
static int methods_within_disease(const struct matcher *m)
{
    const struct duo_list *p = m->purpose;
    for (size_t i = 0; i < p->n_items; i++) {
        if (category_of(p, i) != CAT_DISEASE) continue;
        for (size_t j = 0; j < p->items[i].n_q; j++) {
            if (use_ds_covers(m, duo_list_qual(p, i, j))) return 1;
        }
    }
    return 0;
}

static int purpose_has_ancestry(const struct duo_list *p)
{
    for (size_t i = 0; i < p->n_items; i++) {
        if (category_of(p, i) == CAT_ANCESTRY) return 1;
    }
    return 0;
}

/* Rule 2 for one use term; on failure writes the denial reason and returns 0. */
static int check_prohibition(struct matcher *m, enum role r)
{
    const struct duo_list *p = m->purpose;
    int npu = has_role(p, R_NPU) || has_role(p, R_NPUNCU);
    int ncu = has_role(p, R_NCU) || has_role(p, R_NPUNCU);
    const char *why = NULL;

    switch (r) {
    case R_NPU:
        if (!npu) {
            why = "consent requires NPU (not for profit organisation use only) but the "
                  "purpose does not declare a not-for-profit requester (NPU)";
        }
        break;
    case R_NCU:
        if (!ncu) {
            why = "consent requires NCU (non-commercial use only) but the purpose is "
                  "commercial (it does not declare NCU)";
        }
        break;
    case R_NPUNCU:
        if (!npu || !ncu) {
            why = "consent requires NPUNCU (not for profit, non commercial use "
                  "only) but the purpose does not declare both NPU and NCU";
        }
        break;
    case R_GSO:
        if (!has_role(p, R_GSO) && !has_role(p, R_GENETIC)) {
            why = "consent requires GSO (genetic studies only) but the purpose does not declare "
                  "genetic research (GSO or DUO:0000038)";
        }
        break;
    case R_NPOA:
        if (purpose_has_ancestry(p)) {
            why = "consent prohibits population origins or ancestry research (NPOA)";
        }
        break;
    case R_NMDS:
        if (has_role(p, R_METHODS) && !methods_within_disease(m)) {
            why = "consent prohibits methods research outside its disease restriction (NMDS) "
                  "and the purpose's method development is not within a matching DS disease";
        }
        break;
    default:
        break;
    }
    if (!why) return 1;
    sink_puts(&m->reason, "denied: ");
    sink_puts(&m->reason, why);
    return 0;
}

/* 1 when every qualifier of purpose item pi is among those of use item ui. A qualified
 * use condition reads as "limited to these" (GS(DE,FR): Germany or France), so the
 * purpose must name where it operates, and only within that set. */
static int quals_within(const struct matcher *m, size_t ui, size_t pi)
{
    const struct duo_list *u = m->use, *p = m->purpose;
    if (p->items[pi].n_q == 0) return 0;
    for (size_t j = 0; j < p->items[pi].n_q; j++) {
        int found = 0;
        for (size_t k = 0; k < u->items[ui].n_q && !found; k++) {
            found = !strcmp(duo_list_qual(p, pi, j), duo_list_qual(u, ui, k));
        }
        if (!found) return 0;
    }
    return 1;
}

/* Rule 3 for use item ui: 1 when the purpose declares it (within its qualifiers). */
static int condition_met(const struct matcher *m, size_t ui)
{
    int pi = duo_list_find(m->purpose, &terms[m->use->items[ui].term]);
    if (pi < 0) return 0;
    return m->use->items[ui].n_q == 0 || quals_within(m, ui, (size_t)pi);
}

/* Conditions are R_IRB..R_RS; a use term the matcher has no rule for is one too. */
static int is_condition(enum role r)
{
    return r == R_OTHER || (r >= R_IRB && r <= R_RS);
}

/* Rules 2 and 3; returns the verdict and completes the reason. Every prohibition is
 * checked before any condition so that a request which can never be granted is denied
 * outright instead of being sent to a data access committee to discover that. */
static enum duo_verdict check_restrictions(struct matcher *m)
{
    const struct duo_list *u = m->use;
    size_t n_unmet = 0;

    if (has_role(m->purpose, R_CC) && !has_role(u, R_CC) && !has_role(u, R_NRES)) {
        sink_puts(&m->reason, "denied: purpose is clinical care use (CC) but consent does not "
                              "allow it");
        return DUO_DENIED;
    }
    for (size_t i = 0; i < u->n_items; i++) {
        if (!check_prohibition(m, item_role(u, i))) return DUO_DENIED;
    }
    for (size_t i = 0; i < u->n_items; i++) {
        if (!is_condition(item_role(u, i)) || condition_met(m, i)) continue;
        sink_puts(&m->reason, n_unmet++ ? ", " : "conditional: consent requires ");
        put_item(&m->reason, u, i, -1, 0);
        sink_printf(&m->reason, " (%s)", terms[u->items[i].term].label);
    }
    if (n_unmet) {
        sink_puts(&m->reason, ", which the purpose does not declare");
        return DUO_CONDITIONAL;
    }
    return DUO_ALLOWED;
}

/* The reason is always written, even for callers that pass res == NULL to a local copy,
 * so there is a single code path; it costs a few hundred bytes of formatting. */
enum duo_verdict duo_match(const struct duo_list *use, const struct duo_list *purpose,
                           const struct duo_disease_ops *dis, struct duo_result *res)
{
    struct duo_result local;
    struct matcher m;
    enum duo_verdict v;

    assert(use && purpose);
    assert(use->side == DUO_SIDE_USE && purpose->side == DUO_SIDE_PURPOSE);
    if (!res) res = &local;
    m.use = use;
    m.purpose = purpose;
    m.dis = dis;
    m.reason.buf = res->reason;
    m.reason.cap = sizeof res->reason;
    m.reason.len = 0;
    res->reason[0] = 0;

    if (!check_categories(&m)) {
        v = DUO_DENIED;
    } else if ((v = check_restrictions(&m)) == DUO_ALLOWED) {
        char pbuf[DUO_TEXT_MAX];
        (void)duo_list_format(purpose, 0, pbuf, sizeof pbuf);
        sink_printf(&m.reason, "allowed: purpose %s is within consent ", pbuf);
        put_permissions(&m.reason, use);
    }
    res->verdict = v;
    return v;
}

const char *duo_verdict_name(enum duo_verdict v)
{
    switch (v) {
    case DUO_ALLOWED:
        return "allowed";
    case DUO_CONDITIONAL:
        return "conditional";
    case DUO_DENIED:
        return "denied";
    }
    return "?";
}
