/*
 * samplesheet.c — the sample manifest parser (the format is specified in samplesheet.h).
 *
 * Design. The parser walks the borrowed input once, line by line, with memchr; it never
 * relies on a NUL terminator, so binary input and embedded NULs are just bytes that fail
 * a field check. A line is cut into field spans by column (the header's order mapped to
 * the fixed enum col), every field is checked locally, and only then are the strings
 * copied into the sheet and the caller's callbacks asked about dataset and consent, so
 * callbacks (possibly database lookups) run only for otherwise good rows. The first
 * error ends the parse; the partial sheet is freed, IDs wiped.
 *
 * Data layout. Strings live in two chunked arenas owned by the sheet: one for the
 * normalised national IDs and one for everything else. Chunks are never reallocated, so
 * row pointers stay valid and, more to the point, no copy of an ID is ever left behind in
 * freed memory by a realloc; wiping the ID arena is enough to erase every ID the sheet
 * holds. The row array itself holds only pointers and may grow by realloc.
 *
 * Duplicates are found as rows arrive, with two open-addressing hash sets of row indices
 * (by national ID and by sample_id) keyed with SipHash under a per-parse random key, so
 * that a crafted sheet cannot degrade them to quadratic time. Each slot keeps 32 bits of
 * the hash beside the index, which keeps probes and rehashes within the table. They live only
 * during the parse. Reporting duplicates in the same pass keeps errors in line order.
 *
 * Privacy invariant: no message built here contains bytes of a data row other than a
 * year of birth; the national ID validator's own messages follow the same rule.
 */
#include "samplesheet.h"

#include <assert.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "fsutil.h"
#include "strparse.h"

#define ARENA_BLOCK           65536
#define HEADER_NAME_SHOWN_MAX 32 /* longest unknown column name quoted back in a message */

enum col {
    COL_NATIONAL_ID,
    COL_SAMPLE_ID,
    COL_SEX,
    COL_DATASET,
    COL_CONSENT,
    COL_YEAR_OF_BIRTH,
    COL_REFERRAL_GROUP,
    N_COLS
};
#define N_REQUIRED 5 /* the first five of enum col */

static const char *const col_names[N_COLS] = {
    "national_id", "sample_id", "sex", "dataset", "consent", "year_of_birth", "referral_group",
};

struct arena_blk {
    struct arena_blk *next;
    size_t used, cap;
    char data[];
};

struct arena {
    struct arena_blk *head;
};

struct samplesheet {
    struct samplesheet_row *rows;
    size_t n, cap;
    struct arena text; /* sample_id, dataset, consent, referral_group */
    struct arena ids;  /* normalised national IDs only; wiped before release */
};

/* A slot holds a row index + 1 (0 marks a free slot) and 32 bits of its key's hash, so
 * probing and growing never touch the rows. cap is a power of two. */
struct idxslot {
    uint32_t row1;
    uint32_t hash;
};

struct idxset {
    struct idxslot *slot;
    size_t cap, n;
    enum col key; /* COL_NATIONAL_ID or COL_SAMPLE_ID */
};

struct parser {
    const char *name;
    const struct samplesheet_opts *opts;
    struct samplesheet *sh;
    struct gn_err *err;
    long line;
    int have_header;
    size_t n_cols;
    enum col colmap[N_COLS]; /* header position -> column */
    int has[N_COLS];
    int max_year;
    unsigned char hkey[crypto_shorthash_KEYBYTES];
    struct idxset by_id, by_sample;
};

/* ---- arenas ---------------------------------------------------------------------- */

static char *arena_copy(struct arena *a, const char *s, size_t n)
{
    struct arena_blk *b = a->head;
    char *d;

    if (!b || b->cap - b->used < n + 1) {
        size_t cap = n + 1 > ARENA_BLOCK ? n + 1 : ARENA_BLOCK;
        b = gn_malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    d = b->data + b->used;
    memcpy(d, s, n);
    d[n] = '\0';
    b->used += n + 1;
    return d;
}

static void arena_wipe(struct arena *a)
{
    for (struct arena_blk *b = a->head; b; b = b->next) {
        sodium_memzero(b->data, b->used);
    }
}

static void arena_free(struct arena *a)
{
    struct arena_blk *b = a->head;
    while (b) {
        struct arena_blk *next = b->next;
        gn_free(b);
        b = next;
    }
    a->head = NULL;
}

/* ---- messages -------------------------------------------------------------------- */

static int line_err(struct parser *ps, int code, const char *fmt, ...) GN_PRINTF(3, 4);
static int field_err(struct parser *ps, enum col c, int code, const char *fmt, ...) GN_PRINTF(4, 5);

/* "NAME:LINE: <reason>", or with a column "NAME:LINE: field 'COLUMN': <reason>". */
static int vmsg(struct parser *ps, int code, const char *column, const char *fmt, va_list ap)
    GN_PRINTF(4, 0);
static int vmsg(struct parser *ps, int code, const char *column, const char *fmt, va_list ap)
{
    char reason[GN_ERR_MSG_MAX];

    /* The analyzer of clang-tidy 14 loses track of va_start across this call (va_list is an
     * array type on x86-64); both callers start ap.
     * NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
    (void)vsnprintf(reason, sizeof reason, fmt, ap);
    if (!column) return gn_errf(ps->err, code, "%s:%ld: %s", ps->name, ps->line, reason);
    return gn_errf(ps->err, code, "%s:%ld: field '%s': %s", ps->name, ps->line, column, reason);
}

static int line_err(struct parser *ps, int code, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vmsg(ps, code, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

static int field_err(struct parser *ps, enum col c, int code, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vmsg(ps, code, col_names[c], fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- duplicate detection --------------------------------------------------------- */

/* 32 bits of the keyed hash: enough for any table this parser builds (at most 2^24 slots). */
static uint32_t hash_bytes(const struct parser *ps, const char *p, size_t n)
{
    unsigned char h[crypto_shorthash_BYTES];
    uint32_t v;

    crypto_shorthash(h, (const unsigned char *)p, n, ps->hkey);
    memcpy(&v, h, sizeof v);
    return v;
}

static const char *row_key(const struct samplesheet_row *r, enum col key)
{
    return key == COL_NATIONAL_ID ? r->national_id : r->sample_id;
}

/* The index of the row whose key is the n bytes at p, or SIZE_MAX. Rows are looked at
 * only on a hash match, so a probe costs no pointer chasing. */
static size_t idxset_find(const struct parser *ps, const struct idxset *set, const char *p,
                          size_t n)
{
    size_t mask = set->cap - 1;
    uint32_t h;

    if (!set->cap) return SIZE_MAX;
    h = hash_bytes(ps, p, n);
    for (size_t i = h & mask; set->slot[i].row1; i = (i + 1) & mask) {
        const char *k;
        if (set->slot[i].hash != h) continue;
        k = row_key(&ps->sh->rows[set->slot[i].row1 - 1], set->key);
        if (strlen(k) == n && memcmp(k, p, n) == 0) return set->slot[i].row1 - 1;
    }
    return SIZE_MAX;
}

static void idxset_put(struct idxslot *slot, size_t cap, struct idxslot v)
{
    size_t i = v.hash & (cap - 1);

    while (slot[i].row1) {
        i = (i + 1) & (cap - 1);
    }
    slot[i] = v;
}

/* Adds row index row; keeps the load factor below 0.7 (10 million rows fit 2^24 slots). */
static int idxset_insert(struct parser *ps, struct idxset *set, size_t row)
{
    const char *k = row_key(&ps->sh->rows[row], set->key);
    struct idxslot v;

    if ((set->n + 1) * 10 > set->cap * 7) {
        size_t cap = set->cap ? set->cap * 2 : 1024;
        struct idxslot *slot = gn_calloc(cap, sizeof *slot);
        if (!slot) return GN_ENOMEM;
        for (size_t i = 0; i < set->cap; i++) {
            if (set->slot[i].row1) idxset_put(slot, cap, set->slot[i]);
        }
        gn_free(set->slot);
        set->slot = slot;
        set->cap = cap;
    }
    assert(row < SAMPLESHEET_MAX_ROWS);
    v.row1 = (uint32_t)row + 1;
    v.hash = hash_bytes(ps, k, strlen(k));
    idxset_put(set->slot, set->cap, v);
    set->n++;
    return GN_OK;
}

/* ---- the header ------------------------------------------------------------------ */

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int col_lookup(const char *p, size_t n)
{
    for (int c = 0; c < N_COLS; c++) {
        size_t i = 0;
        if (strlen(col_names[c]) != n) continue;
        while (i < n && ascii_lower((unsigned char)p[i]) == col_names[c][i]) {
            i++;
        }
        if (i == n) return c;
    }
    return -1;
}

/* An unknown column name is quoted back only when it cannot be a data value such as a
 * national ID (letters and '_' only, short): when the header line is missing, the first
 * data row is read as the header. */
static int unknown_column(struct parser *ps, const char *p, size_t n, size_t pos)
{
    int shown = n <= HEADER_NAME_SHOWN_MAX;
    for (size_t i = 0; i < n && shown; i++) {
        int c = ascii_lower((unsigned char)p[i]);
        shown = (c >= 'a' && c <= 'z') || c == '_';
    }
    if (!shown) {
        return line_err(ps, GN_EPARSE,
                        "header: column %zu is not a known column name (name not shown; "
                        "is the header line missing?)",
                        pos);
    }
    return line_err(ps, GN_EPARSE,
                    "header: unknown column '%.*s' (column %zu); known columns: national_id, "
                    "sample_id, sex, dataset, consent, year_of_birth, referral_group",
                    (int)n, p, pos);
}

static int header_parse(struct parser *ps, const char *p, size_t len)
{
    size_t pos[N_COLS] = {0}; /* 1-based header position of each column, 0 when absent */
    const char *s = p, *end = p + len;
    size_t k = 0;

    for (;;) {
        const char *tab = memchr(s, '\t', (size_t)(end - s));
        const char *fe = tab ? tab : end;
        int c;

        k++;
        if (fe == s) return line_err(ps, GN_EPARSE, "header: column %zu has no name", k);
        if ((c = col_lookup(s, (size_t)(fe - s))) < 0) {
            return unknown_column(ps, s, (size_t)(fe - s), k);
        }
        if (pos[c]) {
            return line_err(ps, GN_EPARSE,
                            "header: column '%s' appears twice (columns %zu and %zu)", col_names[c],
                            pos[c], k);
        }
        /* Every column so far is distinct and known, so k cannot pass N_COLS. */
        assert(k <= N_COLS);
        pos[c] = k;
        ps->colmap[k - 1] = (enum col)c;
        ps->has[c] = 1;
        if (!tab) break;
        s = tab + 1;
    }
    for (int c = 0; c < N_REQUIRED; c++) {
        if (!pos[c]) {
            return line_err(ps, GN_EPARSE, "header: missing required column '%s'", col_names[c]);
        }
    }
    ps->n_cols = k;
    ps->have_header = 1;
    return GN_OK;
}

/* ---- field checks ---------------------------------------------------------------- */

/* 1..max printable ASCII bytes, no space at either end. */
static int check_ascii(struct parser *ps, enum col c, const struct strparse_span *f, size_t max)
{
    if (f->n == 0) return field_err(ps, c, GN_EPARSE, "empty");
    if (f->n > max) return field_err(ps, c, GN_EPARSE, "longer than %zu characters", max);
    for (size_t i = 0; i < f->n; i++) {
        unsigned char ch = (unsigned char)f->p[i];
        if (ch < 0x20 || ch > 0x7e) {
            return field_err(ps, c, GN_EPARSE, "character %zu is a control character or not ASCII",
                             i + 1);
        }
    }
    if (f->p[0] == ' ' || f->p[f->n - 1] == ' ') {
        return field_err(ps, c, GN_EPARSE, "leading or trailing space");
    }
    return GN_OK;
}

/* Length of the well-formed UTF-8 sequence at s (n bytes available), 0 when malformed:
 * overlong forms, surrogates and code points past U+10FFFF are rejected. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    uint32_t cp, min;
    size_t len;

    if (s[0] < 0x80) return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2, cp = s[0] & 0x1fu, min = 0x80;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3, cp = s[0] & 0x0fu, min = 0x800;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4, cp = s[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

/* 0..max UTF-8 characters without control characters; empty is fine. */
static int check_utf8(struct parser *ps, enum col c, const struct strparse_span *f, size_t max)
{
    const unsigned char *s = (const unsigned char *)f->p;
    size_t chars = 0;

    for (size_t i = 0; i < f->n; chars++) {
        size_t len = utf8_seq(s + i, f->n - i);
        if (len == 0) return field_err(ps, c, GN_EPARSE, "invalid UTF-8 at byte %zu", i + 1);
        if (len == 1 && (s[i] < 0x20 || s[i] == 0x7f)) {
            return field_err(ps, c, GN_EPARSE, "control character at byte %zu", i + 1);
        }
        i += len;
    }
    if (chars > max) return field_err(ps, c, GN_EPARSE, "longer than %zu characters", max);
    return GN_OK;
}

static int span_eq_nocase(const struct strparse_span *f, const char *lit)
{
    size_t i = 0;
    if (strlen(lit) != f->n) return 0;
    while (i < f->n && ascii_lower((unsigned char)f->p[i]) == lit[i]) {
        i++;
    }
    return i == f->n;
}

static int parse_sex(struct parser *ps, const struct strparse_span *f, enum samplesheet_sex *out)
{
    static const struct {
        const char *word;
        enum samplesheet_sex sex;
    } words[] = {
        {"male", SAMPLESHEET_SEX_MALE},   {"m", SAMPLESHEET_SEX_MALE},
        {"1", SAMPLESHEET_SEX_MALE},      {"female", SAMPLESHEET_SEX_FEMALE},
        {"f", SAMPLESHEET_SEX_FEMALE},    {"2", SAMPLESHEET_SEX_FEMALE},
        {"other", SAMPLESHEET_SEX_OTHER}, {"unknown", SAMPLESHEET_SEX_UNKNOWN},
    };

    if (f->n == 0) return field_err(ps, COL_SEX, GN_EPARSE, "empty (write 'unknown')");
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (span_eq_nocase(f, words[i].word)) {
            *out = words[i].sex;
            return GN_OK;
        }
    }
    return field_err(ps, COL_SEX, GN_EPARSE,
                     "not one of male, female, other, unknown, M, F, 1 (male), 2 (female)");
}

static int parse_year(struct parser *ps, const struct strparse_span *f, int *out)
{
    int y = 0;

    *out = 0;
    if (f->n == 0) return GN_OK; /* unknown */
    if (f->n != 4) return field_err(ps, COL_YEAR_OF_BIRTH, GN_EPARSE, "expected 4 digits");
    for (size_t i = 0; i < 4; i++) {
        if (f->p[i] < '0' || f->p[i] > '9') {
            return field_err(ps, COL_YEAR_OF_BIRTH, GN_EPARSE, "expected 4 digits");
        }
        y = y * 10 + (f->p[i] - '0');
    }
    if (y < SAMPLESHEET_MIN_YEAR || y > ps->max_year) {
        return field_err(ps, COL_YEAR_OF_BIRTH, GN_EPARSE, "%d is outside %d..%d", y,
                         SAMPLESHEET_MIN_YEAR, ps->max_year);
    }
    *out = y;
    return GN_OK;
}

/* ---- data rows ------------------------------------------------------------------- */

/* Cuts a line into spans by column; the count must match the header's. */
static int row_split(struct parser *ps, const char *p, size_t len, struct strparse_span f[N_COLS])
{
    const char *s = p, *end = p + len;
    size_t k = 0;

    for (;;) {
        const char *tab = memchr(s, '\t', (size_t)(end - s));
        const char *fe = tab ? tab : end;
        if (k < ps->n_cols) {
            f[ps->colmap[k]].p = s;
            f[ps->colmap[k]].n = (size_t)(fe - s);
        }
        k++;
        if (!tab) break;
        s = tab + 1;
    }
    if (k != ps->n_cols) {
        return line_err(ps, GN_EPARSE, "expected %zu fields, got %zu", ps->n_cols, k);
    }
    return GN_OK;
}

/* The national ID: valid in the caller's format, normalised into norm, not seen before. */
static int row_national_id(struct parser *ps, const struct strparse_span *f,
                           char norm[NATID_NORM_MAX])
{
    struct gn_err sub;
    size_t dup;
    int rc;

    sub.code = GN_OK;
    sub.msg[0] = '\0';
    rc = ps->opts->id_format->validate(f->p, f->n, norm, NATID_NORM_MAX, &sub);
    if (rc < 0) {
        return field_err(ps, COL_NATIONAL_ID, rc, "%s", sub.msg[0] ? sub.msg : gn_strerror(rc));
    }
    norm[NATID_NORM_MAX - 1] = '\0'; /* a custom format's bug must not overrun */
    if (!norm[0]) return field_err(ps, COL_NATIONAL_ID, GN_EPARSE, "empty");
    dup = idxset_find(ps, &ps->by_id, norm, strlen(norm));
    if (dup != SIZE_MAX) {
        return field_err(ps, COL_NATIONAL_ID, GN_EPARSE, "same national ID as line %ld",
                         ps->sh->rows[dup].line);
    }
    return GN_OK;
}

/* Every check that needs neither a copy nor a callback. */
static int row_check(struct parser *ps, const struct strparse_span f[N_COLS],
                     struct samplesheet_row *r, char norm[NATID_NORM_MAX])
{
    size_t dup;
    int rc;

    if ((rc = row_national_id(ps, &f[COL_NATIONAL_ID], norm)) < 0) return rc;
    rc = check_ascii(ps, COL_SAMPLE_ID, &f[COL_SAMPLE_ID], SAMPLESHEET_MAX_SAMPLE_ID);
    if (rc < 0) return rc;
    dup = idxset_find(ps, &ps->by_sample, f[COL_SAMPLE_ID].p, f[COL_SAMPLE_ID].n);
    if (dup != SIZE_MAX) {
        return field_err(ps, COL_SAMPLE_ID, GN_EPARSE, "same sample_id as line %ld",
                         ps->sh->rows[dup].line);
    }
    if ((rc = parse_sex(ps, &f[COL_SEX], &r->sex)) < 0) return rc;
    if (ps->has[COL_YEAR_OF_BIRTH]) {
        if ((rc = parse_year(ps, &f[COL_YEAR_OF_BIRTH], &r->year_of_birth)) < 0) return rc;
    }
    if (ps->has[COL_REFERRAL_GROUP]) {
        rc = check_utf8(ps, COL_REFERRAL_GROUP, &f[COL_REFERRAL_GROUP],
                        SAMPLESHEET_MAX_REFERRAL_GROUP);
        if (rc < 0) return rc;
    }
    rc = check_ascii(ps, COL_DATASET, &f[COL_DATASET], SAMPLESHEET_MAX_DATASET);
    if (rc < 0) return rc;
    return check_ascii(ps, COL_CONSENT, &f[COL_CONSENT], SAMPLESHEET_MAX_CONSENT);
}

static int run_callback(struct parser *ps, enum col c,
                        int (*fn)(void *ctx, const char *s, struct gn_err *err), const char *s)
{
    struct gn_err sub;
    int rc;

    if (!fn) return GN_OK;
    sub.code = GN_OK;
    sub.msg[0] = '\0'; /* not GN_ERR_INIT: no need to clear 512 bytes per row */
    rc = fn(ps->opts->ctx, s, &sub);
    if (rc >= 0) return GN_OK;
    return field_err(ps, c, rc, "%s", sub.msg[0] ? sub.msg : gn_strerror(rc));
}

static char *text_copy(struct samplesheet *sh, const struct strparse_span *f)
{
    return arena_copy(&sh->text, f->p, f->n);
}

/* Copies a checked row into the sheet, asks the callbacks, then commits it. */
static int row_store(struct parser *ps, const struct strparse_span f[N_COLS],
                     struct samplesheet_row *r, const char *norm)
{
    struct samplesheet *sh = ps->sh;
    int rc;

    r->national_id = arena_copy(&sh->ids, norm, strlen(norm));
    r->sample_id = text_copy(sh, &f[COL_SAMPLE_ID]);
    r->dataset = text_copy(sh, &f[COL_DATASET]);
    r->consent = text_copy(sh, &f[COL_CONSENT]);
    r->referral_group = ps->has[COL_REFERRAL_GROUP] ? text_copy(sh, &f[COL_REFERRAL_GROUP]) : "";
    if (!r->national_id || !r->sample_id || !r->dataset || !r->consent || !r->referral_group) {
        return line_err(ps, GN_ENOMEM, "out of memory");
    }
    if ((rc = run_callback(ps, COL_DATASET, ps->opts->check_dataset, r->dataset)) < 0) return rc;
    if ((rc = run_callback(ps, COL_CONSENT, ps->opts->check_consent, r->consent)) < 0) return rc;

    if (sh->n == sh->cap) {
        size_t cap = sh->cap ? sh->cap * 2 : 64;
        struct samplesheet_row *rows = gn_reallocarray(sh->rows, cap, sizeof *rows);
        if (!rows) return line_err(ps, GN_ENOMEM, "out of memory");
        sh->rows = rows;
        sh->cap = cap;
    }
    sh->rows[sh->n++] = *r;
    if (idxset_insert(ps, &ps->by_id, sh->n - 1) < 0 ||
        idxset_insert(ps, &ps->by_sample, sh->n - 1) < 0) {
        return line_err(ps, GN_ENOMEM, "out of memory");
    }
    return GN_OK;
}

static int row_parse(struct parser *ps, const char *p, size_t len)
{
    struct strparse_span f[N_COLS];
    struct samplesheet_row r;
    char norm[NATID_NORM_MAX];
    int rc;

    if (ps->sh->n >= SAMPLESHEET_MAX_ROWS) {
        return line_err(ps, GN_ELIMIT, "more than %d samples", SAMPLESHEET_MAX_ROWS);
    }
    memset(f, 0, sizeof f);
    memset(&r, 0, sizeof r);
    r.line = ps->line;
    rc = row_split(ps, p, len, f);
    if (rc == GN_OK) rc = row_check(ps, f, &r, norm);
    if (rc == GN_OK) rc = row_store(ps, f, &r, norm);
    sodium_memzero(norm, sizeof norm);
    return rc;
}

/* ---- the sheet ------------------------------------------------------------------- */

static int current_year(void)
{
    time_t now = time(NULL);
    struct tm tm;

    if (now == (time_t)-1 || !gmtime_r(&now, &tm)) return 9999; /* no clock: no upper bound */
    return tm.tm_year + 1900;
}

static int parse_lines(struct parser *ps, const char *data, size_t n)
{
    const char *p = data, *end = data + n;
    int rc;

    if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);

        ps->line++;
        if (len > 0 && p[len - 1] == '\r') len--;
        if (len > SAMPLESHEET_MAX_LINE) {
            return line_err(ps, GN_ELIMIT, "line longer than %d bytes", SAMPLESHEET_MAX_LINE);
        }
        if (len > 0 && p[0] != '#') {
            rc = ps->have_header ? row_parse(ps, p, len) : header_parse(ps, p, len);
            if (rc < 0) return rc;
        }
        p = nl ? nl + 1 : end;
    }
    if (!ps->have_header) {
        return gn_errf(ps->err, GN_EPARSE,
                       "%s: no header line (required columns: national_id, sample_id, sex, "
                       "dataset, consent)",
                       ps->name);
    }
    return GN_OK;
}

int samplesheet_parse(const char *data, size_t n, const char *name,
                      const struct samplesheet_opts *opts, struct samplesheet **out,
                      struct gn_err *err)
{
    struct parser ps;
    int rc;

    assert(out);
    *out = NULL;
    memset(&ps, 0, sizeof ps);
    ps.name = name ? name : "<memory>";
    ps.opts = opts;
    ps.err = err;
    ps.by_id.key = COL_NATIONAL_ID;
    ps.by_sample.key = COL_SAMPLE_ID;
    if (!opts || !opts->id_format || !opts->id_format->validate) {
        return gn_errf(err, GN_EINVAL, "%s: no national ID format given", ps.name);
    }
    if (sodium_init() < 0) return gn_errf(err, GN_EINTERNAL, "libsodium failed to initialise");
    ps.max_year = opts->max_year > 0 ? opts->max_year : current_year();
    randombytes_buf(ps.hkey, sizeof ps.hkey);
    if (!(ps.sh = gn_calloc(1, sizeof *ps.sh))) {
        rc = gn_errf(err, GN_ENOMEM, "%s: out of memory", ps.name);
        goto fail;
    }
    if ((rc = parse_lines(&ps, data ? data : "", data ? n : 0)) < 0) goto fail;
    gn_free(ps.by_id.slot);
    gn_free(ps.by_sample.slot);
    *out = ps.sh;
    return GN_OK;
fail:
    gn_free(ps.by_id.slot);
    gn_free(ps.by_sample.slot);
    samplesheet_free(ps.sh);
    return rc;
}

int samplesheet_read(const char *path, const struct samplesheet_opts *opts,
                     struct samplesheet **out, struct gn_err *err)
{
    uint8_t *data = NULL;
    size_t n = 0;
    int rc;

    *out = NULL;
    if ((rc = fsutil_read_all(path, SAMPLESHEET_MAX_BYTES, &data, &n, err)) < 0) return rc;
    rc = samplesheet_parse((const char *)data, n, path, opts, out, err);
    sodium_memzero(data, n);
    gn_free(data);
    return rc;
}

size_t samplesheet_count(const struct samplesheet *sh)
{
    return sh ? sh->n : 0;
}

const struct samplesheet_row *samplesheet_row(const struct samplesheet *sh, size_t i)
{
    assert(sh && i < sh->n);
    return &sh->rows[i];
}

void samplesheet_wipe_ids(struct samplesheet *sh)
{
    if (sh) arena_wipe(&sh->ids);
}

void samplesheet_free(struct samplesheet *sh)
{
    if (!sh) return;
    arena_wipe(&sh->ids);
    arena_free(&sh->ids);
    arena_free(&sh->text);
    gn_free(sh->rows);
    gn_free(sh);
}

const char *samplesheet_sex_name(enum samplesheet_sex sex)
{
    switch (sex) {
    case SAMPLESHEET_SEX_MALE:
        return "male";
    case SAMPLESHEET_SEX_FEMALE:
        return "female";
    case SAMPLESHEET_SEX_OTHER:
        return "other";
    case SAMPLESHEET_SEX_UNKNOWN:
        break;
    }
    return "unknown";
}
