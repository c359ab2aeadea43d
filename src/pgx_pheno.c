/*
 * pgx_pheno.c — phenotype lookups over the CPIC tables.
 *
 * Each gene's file is parsed once by jansson and checked (types of every key read); the
 * parsed document is then kept and read directly, since lookups are by name in small
 * objects and the tables are immutable once loaded (jansson reads do not touch reference
 * counts, so concurrent lookups are safe).
 *
 * Activity values are decimal strings ("1.0", "0.25", "n/a"); they are read as integers
 * in hundredths so that sums are exact and compare equal to the table's score keys.
 */
#include "pgx_pheno.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

#define MAX_GENES 64

struct gene_table {
    char *gene;
    json_t *doc; /* owned, checked by check_table() */
};

struct pgx_phenos {
    struct gene_table t[MAX_GENES];
    uint32_t n;
};

struct pgx_phenos *pgx_phenos_new(void)
{
    return gn_calloc(1, sizeof(struct pgx_phenos));
}

void pgx_phenos_free(struct pgx_phenos *tables)
{
    if (!tables) return;
    for (uint32_t i = 0; i < tables->n; i++) {
        gn_free(tables->t[i].gene);
        json_decref(tables->t[i].doc);
    }
    gn_free(tables);
}

/* "1.25" → 125; -1 for anything else ("n/a", "", more than two decimals). */
static int hundredths(const char *s)
{
    int v = 0, frac = 0, nd = 0, seen = 0;
    if (!s) return -1;
    for (; *s >= '0' && *s <= '9' && v < 100000; s++, seen = 1)
        v = v * 10 + (*s - '0');
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9' && nd < 2; s++, nd++)
            frac = frac * 10 + (*s - '0');
    }
    if (*s || !seen) return -1;
    return v * 100 + (nd == 1 ? frac * 10 : frac);
}

static int all_strings(json_t *obj)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        if (!json_is_string(v)) return 0;
    }
    return 1;
}

/* Rows of n strings each. */
static int string_rows(const json_t *arr, size_t n)
{
    if (!arr) return 1;
    if (!json_is_array(arr) || json_array_size(arr) > PGX_PHENO_MAX_ROWS) return 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *r = json_array_get(arr, i);
        if (!json_is_array(r) || json_array_size(r) != n) return 0;
        for (size_t j = 0; j < n; j++) {
            if (!json_is_string(json_array_get(r, j))) return 0;
        }
    }
    return 1;
}

static int check_table(json_t *doc, struct gn_err *err)
{
    json_t *h = json_object_get(doc, "haplotypes"), *av = json_object_get(doc, "activityValues");
    if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "gene")))
        return gn_errf(err, GN_EPARSE, "phenotype table: no \"gene\"");
    if (!json_is_object(h) || !all_strings(h) || (av && (!json_is_object(av) || !all_strings(av))))
        return gn_errf(err, GN_EPARSE, "%s: \"haplotypes\"/\"activityValues\" not string maps",
                       json_string_value(json_object_get(doc, "gene")));
    if (!string_rows(json_object_get(doc, "activityScores"), 2) ||
        !string_rows(json_object_get(doc, "functionPairs"), 3) ||
        !string_rows(json_object_get(doc, "functionSingle"), 2))
        return gn_errf(err, GN_EPARSE, "%s: a lookup table is not rows of strings",
                       json_string_value(json_object_get(doc, "gene")));
    return GN_OK;
}

int pgx_phenos_add(struct pgx_phenos *tables, const char *json, size_t len, struct gn_err *err)
{
    json_error_t je;
    json_t *doc;
    int rc;
    uint32_t i;
    if (len > PGX_PHENO_MAX_BYTES)
        return gn_errf(err, GN_ELIMIT, "phenotype table larger than %u bytes", PGX_PHENO_MAX_BYTES);
    if (!(doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je)))
        return gn_errf(err, GN_EPARSE, "line %d: %s", je.line, je.text);
    if ((rc = check_table(doc, err)) < 0) goto fail;
    const char *gene = json_string_value(json_object_get(doc, "gene"));
    for (i = 0; i < tables->n && strcmp(tables->t[i].gene, gene); i++) {
    }
    if (i == MAX_GENES) {
        rc = gn_errf(err, GN_ELIMIT, "more than %d phenotype tables", MAX_GENES);
        goto fail;
    }
    if (i == tables->n) {
        if (!(tables->t[i].gene = gn_strdup(gene))) {
            rc = gn_errf(err, GN_ENOMEM, "out of memory");
            goto fail;
        }
        tables->n++;
    }
    json_decref(tables->t[i].doc);
    tables->t[i].doc = doc;
    return GN_OK;
fail:
    json_decref(doc);
    return rc;
}

int pgx_phenos_load(const char *dir, struct pgx_phenos **out, struct gn_err *err)
{
    struct pgx_phenos *t = pgx_phenos_new();
    DIR *d = NULL;
    struct dirent *de;
    char path[4096], *buf = NULL;
    int rc = GN_OK;
    *out = NULL;
    if (!t) return gn_errf(err, GN_ENOMEM, "out of memory");
    if (!(d = opendir(dir))) {
        rc = gn_errf(err, gn_err_from_errno(errno), "%s: %s", dir, strerror(errno));
        goto fail;
    }
    if (!(buf = gn_malloc(PGX_PHENO_MAX_BYTES + 1))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto fail;
    }
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name), len;
        FILE *f;
        if (n < 6 || strcmp(de->d_name + n - 5, ".json")) continue;
        (void)snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (!(f = fopen(path, "rb"))) {
            rc = gn_errf(err, GN_EIO, "%s: %s", path, strerror(errno));
            goto fail;
        }
        len = fread(buf, 1, PGX_PHENO_MAX_BYTES + 1, f);
        rc = ferror(f) ? GN_EIO : len > PGX_PHENO_MAX_BYTES ? GN_ELIMIT : GN_OK;
        fclose(f);
        if (rc < 0) {
            rc = gn_errf(err, rc, "%s: unreadable or larger than %u bytes", path,
                         PGX_PHENO_MAX_BYTES);
            goto fail;
        }
        if ((rc = pgx_phenos_add(t, buf, len, err)) < 0) {
            rc = gn_err_prefix(err, rc, "%s", path);
            goto fail;
        }
    }
    if (!t->n) {
        rc = gn_errf(err, GN_ENOTFOUND, "%s: no phenotype tables", dir);
        goto fail;
    }
    closedir(d);
    gn_free(buf);
    *out = t;
    return GN_OK;
fail:
    if (d) closedir(d);
    gn_free(buf);
    pgx_phenos_free(t);
    return rc;
}

static const json_t *table(const struct pgx_phenos *t, const char *gene)
{
    for (uint32_t i = 0; t && i < t->n; i++) {
        if (!strcmp(t->t[i].gene, gene)) return t->t[i].doc;
    }
    return NULL;
}

const char *pgx_phenos_version(const struct pgx_phenos *tables, const char *gene)
{
    return json_string_value(json_object_get(table(tables, gene), "version"));
}

/* Rank of a function text: lower is less function (for "lowest function" choices). */
static int function_rank(const char *f)
{
    if (!f) return 50;
    if (strstr(f, "No function") || strstr(f, "Malignant Hyperthermia")) return 0;
    if (strstr(f, "Decreased")) return 10;
    if (strstr(f, "Uncertain") || strstr(f, "Unknown")) return 20;
    return 30;
}

/* Function and activity (hundredths, -1 none) of one haplotype; "A + B" takes its lowest. */
static void hap_info(const json_t *doc, const char *hap, const char **fn, int *act)
{
    const json_t *h = json_object_get(doc, "haplotypes"),
                 *av = json_object_get(doc, "activityValues");
    char part[PGX_PHENO_TEXT];
    *fn = NULL;
    *act = -1;
    while (hap && *hap) {
        const char *plus = strstr(hap, " + ");
        size_t n = plus ? (size_t)(plus - hap) : strlen(hap);
        if (n >= sizeof part) n = sizeof part - 1;
        memcpy(part, hap, n);
        part[n] = 0;
        const char *f = json_string_value(json_object_get(h, part));
        int a = hundredths(json_string_value(json_object_get(av, part)));
        if (!*fn || function_rank(f) < function_rank(*fn)) *fn = f;
        if (a >= 0 && (*act < 0 || a < *act)) *act = a;
        if (!f) { /* an unknown component makes the haplotype unknown */
            *fn = NULL;
            *act = -1;
            return;
        }
        hap = plus ? plus + 3 : NULL;
    }
}

static void set_text(char *dst, const char *s)
{
    (void)snprintf(dst, PGX_PHENO_TEXT, "%s", s ? s : "");
}

int pgx_pheno_diplotype(const struct pgx_phenos *tables, const char *gene, const char *hap0,
                        const char *hap1, struct pgx_pheno *out)
{
    const json_t *doc = table(tables, gene), *rows;
    const char *f0, *f1 = NULL;
    int a0, a1 = -1;
    memset(out, 0, sizeof *out);
    if (!doc) return GN_ENOTFOUND;
    hap_info(doc, hap0, &f0, &a0);
    if (hap1) hap_info(doc, hap1, &f1, &a1);
    set_text(out->function[0], f0);
    set_text(out->function[1], f1);
    if ((rows = json_object_get(doc, "activityScores"))) {
        if (a0 < 0 || (hap1 && a1 < 0)) {
            set_text(out->phenotype, "Indeterminate");
            return GN_OK;
        }
        out->has_activity = 1;
        out->activity_x100 = a0 + (hap1 ? a1 : 0);
        for (size_t i = 0; i < json_array_size(rows); i++) {
            const json_t *r = json_array_get(rows, i);
            if (hundredths(json_string_value(json_array_get(r, 0))) == out->activity_x100) {
                set_text(out->phenotype, json_string_value(json_array_get(r, 1)));
                return GN_OK;
            }
        }
        set_text(out->phenotype, "Indeterminate");
        return GN_OK;
    }
    if (!f0 || (hap1 && !f1)) {
        set_text(out->phenotype, "Indeterminate");
        return GN_OK;
    }
    rows = json_object_get(doc, hap1 ? "functionPairs" : "functionSingle");
    for (size_t i = 0; i < json_array_size(rows); i++) {
        const json_t *r = json_array_get(rows, i);
        const char *x = json_string_value(json_array_get(r, 0));
        if (!hap1 && !strcmp(x, f0)) {
            set_text(out->phenotype, json_string_value(json_array_get(r, 1)));
            return GN_OK;
        }
        const char *y = json_string_value(json_array_get(r, 1));
        if (hap1 && ((!strcmp(x, f0) && !strcmp(y, f1)) || (!strcmp(x, f1) && !strcmp(y, f0)))) {
            set_text(out->phenotype, json_string_value(json_array_get(r, 2)));
            return GN_OK;
        }
    }
    return GN_OK; /* no CPIC phenotype for this gene (CYP4F2, IFNL3): left empty */
}

int pgx_pheno_by_variant(const struct pgx_phenos *tables, const struct pgx_match *m,
                         struct pgx_pheno *out)
{
    const json_t *doc = table(tables, m->gene->name);
    const char *lo[2] = {NULL, NULL}, *ref = m->gene->alleles[m->gene->ref_allele].name;
    int key[2] = {1 << 30, 1 << 30};
    memset(out, 0, sizeof *out);
    if (!doc) return GN_ENOTFOUND;
    for (uint32_t v = 0; v < m->n_vars; v++) {
        const char *fn;
        int act, k;
        hap_info(doc, m->vars[v].name, &fn, &act);
        k = act >= 0 ? act : function_rank(fn);
        for (int c = 0; c < m->vars[v].copies; c++) {
            if (k < key[0]) {
                key[1] = key[0];
                lo[1] = lo[0];
                key[0] = k;
                lo[0] = m->vars[v].name;
            } else if (k < key[1]) {
                key[1] = k;
                lo[1] = m->vars[v].name;
            }
        }
    }
    return pgx_pheno_diplotype(tables, m->gene->name, lo[0] ? lo[0] : ref, lo[1] ? lo[1] : ref,
                               out);
}

int pgx_pheno_of_score(const struct pgx_phenos *tables, const char *gene, int activity_x100,
                       struct pgx_pheno *out)
{
    const json_t *rows = json_object_get(table(tables, gene), "activityScores");
    memset(out, 0, sizeof *out);
    if (!rows) return GN_ENOTFOUND;
    out->has_activity = 1;
    out->activity_x100 = activity_x100;
    set_text(out->phenotype, "Indeterminate");
    for (size_t i = 0; i < json_array_size(rows); i++) {
        const json_t *r = json_array_get(rows, i);
        if (hundredths(json_string_value(json_array_get(r, 0))) == activity_x100) {
            set_text(out->phenotype, json_string_value(json_array_get(r, 1)));
            break;
        }
    }
    return GN_OK;
}

int pgx_pheno_score_of(const struct pgx_phenos *tables, const char *gene, const char *phenotype,
                       int *activity_x100)
{
    const json_t *rows = json_object_get(table(tables, gene), "activityScores");
    int n = 0;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        const json_t *r = json_array_get(rows, i);
        if (!strcmp(json_string_value(json_array_get(r, 1)), phenotype)) {
            *activity_x100 = hundredths(json_string_value(json_array_get(r, 0)));
            n++;
        }
    }
    return n == 1 && *activity_x100 >= 0 ? GN_OK : GN_ENOTFOUND;
}

int pgx_pheno_has_scores(const struct pgx_phenos *tables, const char *gene)
{
    return json_object_get(table(tables, gene), "activityScores") != NULL;
}

int pgx_pheno_has_gene(const struct pgx_phenos *tables, const char *gene)
{
    return table(tables, gene) != NULL;
}
