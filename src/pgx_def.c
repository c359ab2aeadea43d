/*
 * pgx_def.c — loading PharmCAT allele definition files with jansson.
 *
 * The files come from outside the program (data/pgx/ or a directory the operator names),
 * so every value is checked before it is used: keys must be present with the right JSON
 * type, counts are capped (PGX_DEF_MAX_*), alleles must be VCF bases or one IUPAC code,
 * positions must be strictly increasing on one chromosome, and each named allele's array
 * must have one entry per position. The JSON is parsed whole by jansson (json_loadb with
 * a length, so no NUL is needed) and then copied into plain structs: the matcher never
 * touches jansson, and a gene is a few flat arrays it can walk quickly.
 *
 * Ownership: a gene owns all its strings; building one on an error path goes through the
 * same pgx_gene_free() as a finished one, so partial structures are always freeable
 * (arrays are allocated zeroed and their counts advance only after an entry is filled).
 */
#include "pgx_def.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"

/* Bases each IUPAC code stands for (upper case only, as in the definitions). */
static const char *iupac_bases(char c)
{
    switch (c) {
    case 'R':
        return "AG";
    case 'Y':
        return "CT";
    case 'S':
        return "CG";
    case 'W':
        return "AT";
    case 'K':
        return "GT";
    case 'M':
        return "AC";
    case 'B':
        return "CGT";
    case 'D':
        return "AGT";
    case 'H':
        return "ACT";
    case 'V':
        return "ACG";
    case 'N':
        return "ACGT";
    default:
        return NULL;
    }
}

int pgx_allele_matches(const char *def, const char *sample, size_t n)
{
    size_t dn = strlen(def);
    if (dn == n && memcmp(def, sample, n) == 0) return 1;
    if (dn == 1 && n == 1) {
        const char *b = iupac_bases(def[0]);
        return b && strchr(b, sample[0]) != NULL;
    }
    return 0;
}

int pgx_pos_allele_as_def(const struct pgx_pos *p, const char *ref, const char *allele, char *out,
                          size_t out_len)
{
    size_t dn = strlen(p->ref), rn = strlen(ref), an = strlen(allele);
    if (rn <= dn && !memcmp(p->ref, ref, rn)) { /* def REF = ref + tail: append the tail */
        if (an + (dn - rn) + 1 > out_len) return 0;
        memcpy(out, allele, an);
        memcpy(out + an, p->ref + rn, dn - rn + 1);
        return 1;
    }
    if (rn > dn && !memcmp(p->ref, ref, dn)) { /* ref = def REF + tail: the allele must end so */
        size_t tn = rn - dn;
        if (an < tn + 1 || memcmp(allele + an - tn, ref + dn, tn) || an - tn + 1 > out_len)
            return 0;
        memcpy(out, allele, an - tn);
        out[an - tn] = '\0';
        return 1;
    }
    return 0;
}

const char *pgx_allele_at(const struct pgx_gene *g, uint32_t allele, uint32_t i)
{
    const char *s = g->alleles[allele].seq[i];
    return s ? s : g->alleles[g->ref_allele].seq[i];
}

/* A definition allele: 1..PGX_DEF_MAX_SEQ of A/C/G/T, or exactly one IUPAC code. */
static int valid_seq(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > PGX_DEF_MAX_SEQ) return 0;
    if (n == 1 && iupac_bases(s[0])) return 1;
    for (size_t i = 0; i < n; i++) {
        if (!strchr("ACGT", s[i])) return 0;
    }
    return 1;
}

/* An owned copy of a JSON string member, checked for length; NULL value allowed when
 * nullable (sets *dst = NULL). */
static int get_str(const json_t *obj, const char *key, int nullable, char **dst, const char *ctx,
                   struct gn_err *err)
{
    const json_t *v = json_object_get(obj, key);
    *dst = NULL;
    if ((!v || json_is_null(v)) && nullable) return GN_OK;
    if (!json_is_string(v)) return gn_errf(err, GN_EPARSE, "%s: \"%s\" is not a string", ctx, key);
    if (json_string_length(v) > PGX_DEF_MAX_NAME || json_string_length(v) == 0)
        return gn_errf(err, GN_EPARSE, "%s: \"%s\" is empty or longer than %u bytes", ctx, key,
                       PGX_DEF_MAX_NAME);
    if (!(*dst = gn_strndup(json_string_value(v), json_string_length(v))))
        return gn_errf(err, GN_ENOMEM, "%s: out of memory", ctx);
    return GN_OK;
}

/* An owned copy of an allele string (bases or IUPAC), checked. */
static int get_seq(const json_t *v, char **dst, const char *ctx, struct gn_err *err)
{
    if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)) ||
        !valid_seq(json_string_value(v)))
        return gn_errf(err, GN_EPARSE, "%s: allele is not VCF bases or one IUPAC code", ctx);
    if (!(*dst = gn_strdup(json_string_value(v))))
        return gn_errf(err, GN_ENOMEM, "%s: out of memory", ctx);
    return GN_OK;
}

static void pos_free(struct pgx_pos *p)
{
    gn_free(p->chrom);
    gn_free(p->rsid);
    gn_free(p->ref);
    for (uint32_t j = 0; p->alts && j < p->n_alts; j++)
        gn_free(p->alts[j]);
    gn_free(p->alts);
}

static void allele_free(struct pgx_allele *a, uint32_t n_pos)
{
    gn_free(a->name);
    for (uint32_t j = 0; a->seq && j < n_pos; j++)
        gn_free(a->seq[j]);
    gn_free(a->seq);
    gn_free(a->defined);
}

void pgx_gene_free(struct pgx_gene *g)
{
    if (!g) return;
    for (uint32_t i = 0; g->pos && i < g->n_pos; i++)
        pos_free(&g->pos[i]);
    for (uint32_t i = 0; g->alleles && i < g->n_alleles; i++)
        allele_free(&g->alleles[i], g->n_pos);
    for (uint32_t i = 0; g->prio && i < g->n_prio; i++) {
        for (uint32_t j = 0; g->prio[i].list && j < g->prio[i].n; j++)
            gn_free(g->prio[i].list[j]);
        gn_free(g->prio[i].list);
        gn_free(g->prio[i].pick);
    }
    gn_free(g->prio);
    gn_free(g->pos);
    gn_free(g->alleles);
    gn_free(g->name);
    gn_free(g->chrom);
    gn_free(g->version);
    gn_free(g->build);
    gn_free(g->format);
    gn_free(g);
}

/* Rebuilds every allele's list of defined positions (after parsing or exemptions). */
static int reindex(struct pgx_gene *g, struct gn_err *err)
{
    for (uint32_t a = 0; a < g->n_alleles; a++) {
        struct pgx_allele *al = &g->alleles[a];
        uint32_t n = 0;
        gn_free(al->defined);
        if (!(al->defined = gn_calloc(al->score ? al->score : 1, sizeof *al->defined)))
            return gn_errf(err, GN_ENOMEM, "out of memory");
        for (uint32_t i = 0; i < g->n_pos; i++) {
            if (al->seq[i]) al->defined[n++] = i;
        }
    }
    return GN_OK;
}

/* One element of "variants". */
static int parse_pos(const json_t *v, struct pgx_pos *p, const char *gene, size_t i,
                     struct gn_err *err)
{
    char ctx[PGX_DEF_MAX_NAME + 64];
    const json_t *jp = json_object_get(v, "position"), *alts = json_object_get(v, "alts");
    int rc;
    (void)snprintf(ctx, sizeof ctx, "%s variant %zu", gene, i + 1);
    if (!json_is_object(v)) return gn_errf(err, GN_EPARSE, "%s: not an object", ctx);
    if (!json_is_integer(jp) || json_integer_value(jp) < 1 ||
        json_integer_value(jp) > ((json_int_t)1 << 40))
        return gn_errf(err, GN_EPARSE, "%s: \"position\" is not a positive integer", ctx);
    p->pos = (int64_t)json_integer_value(jp);
    (void)snprintf(ctx, sizeof ctx, "%s position %lld", gene, (long long)p->pos);
    if ((rc = get_str(v, "chromosome", 0, &p->chrom, ctx, err)) < 0) return rc;
    if ((rc = get_str(v, "rsid", 1, &p->rsid, ctx, err)) < 0) return rc;
    if ((rc = get_seq(json_object_get(v, "ref"), &p->ref, ctx, err)) < 0) return rc;
    if (!json_is_array(alts) || json_array_size(alts) > PGX_DEF_MAX_ALTS)
        return gn_errf(err, GN_EPARSE, "%s: \"alts\" is not an array of at most %u", ctx,
                       PGX_DEF_MAX_ALTS);
    if (json_array_size(alts) > 0 && !(p->alts = gn_calloc(json_array_size(alts), sizeof *p->alts)))
        return gn_errf(err, GN_ENOMEM, "%s: out of memory", ctx);
    for (size_t j = 0; j < json_array_size(alts); j++) {
        if ((rc = get_seq(json_array_get(alts, j), &p->alts[j], ctx, err)) < 0) return rc;
        p->n_alts++;
    }
    return GN_OK;
}

/* One element of "namedAlleles"; g->pos is complete. */
static int parse_allele(const json_t *v, struct pgx_gene *g, struct pgx_allele *a, size_t i,
                        struct gn_err *err)
{
    char ctx[2 * PGX_DEF_MAX_NAME + 64];
    const json_t *seq = json_object_get(v, "alleles");
    const json_t *ref = json_object_get(v, "reference"),
                 *sv = json_object_get(v, "structuralVariant");
    int rc;
    (void)snprintf(ctx, sizeof ctx, "%s named allele %zu", g->name, i + 1);
    if (!json_is_object(v)) return gn_errf(err, GN_EPARSE, "%s: not an object", ctx);
    if ((rc = get_str(v, "name", 0, &a->name, ctx, err)) < 0) return rc;
    (void)snprintf(ctx, sizeof ctx, "%s %s", g->name, a->name);
    if ((ref && !json_is_boolean(ref)) || (sv && !json_is_boolean(sv)))
        return gn_errf(err, GN_EPARSE, "%s: \"reference\"/\"structuralVariant\" not boolean", ctx);
    a->reference = json_is_true(ref);
    a->structural = json_is_true(sv);
    if (!json_is_array(seq) || json_array_size(seq) != g->n_pos)
        return gn_errf(err, GN_EPARSE, "%s: \"alleles\" must have one entry per position (%u)", ctx,
                       g->n_pos);
    if (!(a->seq = gn_calloc(g->n_pos ? g->n_pos : 1, sizeof *a->seq)))
        return gn_errf(err, GN_ENOMEM, "%s: out of memory", ctx);
    for (uint32_t j = 0; j < g->n_pos; j++) {
        const json_t *s = json_array_get(seq, j);
        if (json_is_null(s)) continue;
        char pctx[sizeof ctx + 32];
        (void)snprintf(pctx, sizeof pctx, "%s at %lld", ctx, (long long)g->pos[j].pos);
        if ((rc = get_seq(s, &a->seq[j], pctx, err)) < 0) return rc;
        a->score++;
    }
    return GN_OK;
}

static int parse_variants(const json_t *vars, struct pgx_gene *g, struct gn_err *err)
{
    int rc;
    if (!json_is_array(vars) || json_array_size(vars) == 0 ||
        json_array_size(vars) > PGX_DEF_MAX_POSITIONS)
        return gn_errf(err, GN_EPARSE, "%s: \"variants\" must be an array of 1..%u", g->name,
                       PGX_DEF_MAX_POSITIONS);
    if (!(g->pos = gn_calloc(json_array_size(vars), sizeof *g->pos)))
        return gn_errf(err, GN_ENOMEM, "out of memory");
    for (size_t i = 0; i < json_array_size(vars); i++) {
        struct pgx_pos *p = &g->pos[i];
        g->n_pos++; /* freeable from here on */
        if ((rc = parse_pos(json_array_get(vars, i), p, g->name, i, err)) < 0) return rc;
        if (strcmp(p->chrom, g->chrom) != 0)
            return gn_errf(err, GN_EPARSE, "%s position %lld: chromosome %s, gene is on %s",
                           g->name, (long long)p->pos, p->chrom, g->chrom);
        if (i > 0 && p->pos <= g->pos[i - 1].pos)
            return gn_errf(err, GN_EPARSE, "%s position %lld: positions not strictly increasing",
                           g->name, (long long)p->pos);
    }
    return GN_OK;
}

static int parse_alleles(const json_t *arr, struct pgx_gene *g, struct gn_err *err)
{
    int rc, n_ref = 0;
    if (!json_is_array(arr) || json_array_size(arr) == 0 ||
        json_array_size(arr) > PGX_DEF_MAX_ALLELES)
        return gn_errf(err, GN_EPARSE, "%s: \"namedAlleles\" must be an array of 1..%u", g->name,
                       PGX_DEF_MAX_ALLELES);
    if (!(g->alleles = gn_calloc(json_array_size(arr), sizeof *g->alleles)))
        return gn_errf(err, GN_ENOMEM, "out of memory");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        struct pgx_allele *a = &g->alleles[i];
        g->n_alleles++;
        if ((rc = parse_allele(json_array_get(arr, i), g, a, i, err)) < 0) return rc;
        for (size_t k = 0; k < i; k++) {
            if (!strcmp(g->alleles[k].name, a->name))
                return gn_errf(err, GN_EPARSE, "%s: named allele %s defined twice", g->name,
                               a->name);
        }
        if (!a->reference) continue;
        if (n_ref++)
            return gn_errf(err, GN_EPARSE, "%s: more than one reference named allele", g->name);
        if (a->score != g->n_pos)
            return gn_errf(err, GN_EPARSE, "%s: reference allele %s does not define every position",
                           g->name, a->name);
        g->ref_allele = (uint32_t)i;
    }
    if (!n_ref) return gn_errf(err, GN_EPARSE, "%s: no reference named allele", g->name);
    return GN_OK;
}

int pgx_gene_parse(const char *json, size_t len, struct pgx_gene **out, struct gn_err *err)
{
    json_error_t je;
    json_t *doc = NULL;
    struct pgx_gene *g = NULL;
    int rc;

    *out = NULL;
    if (len > PGX_DEF_MAX_BYTES)
        return gn_errf(err, GN_ELIMIT, "definition larger than %u bytes", PGX_DEF_MAX_BYTES);
    doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        rc = json_error_code(&je) == json_error_out_of_memory ? GN_ENOMEM : GN_EPARSE;
        rc = gn_errf(err, rc, "line %d: %s", je.line, je.text);
        goto fail;
    }
    if (!json_is_object(doc)) {
        rc = gn_errf(err, GN_EPARSE, "definition is not a JSON object");
        goto fail;
    }
    if (!(g = gn_calloc(1, sizeof *g))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = get_str(doc, "gene", 0, &g->name, "definition", err)) < 0) goto fail;
    if ((rc = get_str(doc, "chromosome", 0, &g->chrom, g->name, err)) < 0) goto fail;
    if ((rc = get_str(doc, "version", 0, &g->version, g->name, err)) < 0) goto fail;
    if ((rc = get_str(doc, "genomeBuild", 1, &g->build, g->name, err)) < 0) goto fail;
    if ((rc = get_str(doc, "formatVersion", 1, &g->format, g->name, err)) < 0) goto fail;
    if (g->format && strcmp(g->format, "2") != 0) {
        rc = gn_errf(err, GN_EUNSUPPORTED, "%s: definition format version %s (expected 2)", g->name,
                     g->format);
        goto fail;
    }
    if ((rc = parse_variants(json_object_get(doc, "variants"), g, err)) < 0) goto fail;
    if ((rc = parse_alleles(json_object_get(doc, "namedAlleles"), g, err)) < 0) goto fail;
    if ((rc = reindex(g, err)) < 0) goto fail;
    json_decref(doc);
    *out = g;
    return GN_OK;
fail:
    json_decref(doc);
    pgx_gene_free(g);
    return rc;
}

/* Drops position i from g: its column in every allele, then the position itself. */
static void drop_position(struct pgx_gene *g, uint32_t i)
{
    for (uint32_t a = 0; a < g->n_alleles; a++) {
        struct pgx_allele *al = &g->alleles[a];
        if (al->seq[i]) al->score--;
        gn_free(al->seq[i]);
        memmove(&al->seq[i], &al->seq[i + 1], (g->n_pos - i - 1) * sizeof *al->seq);
    }
    pos_free(&g->pos[i]);
    memmove(&g->pos[i], &g->pos[i + 1], (g->n_pos - i - 1) * sizeof *g->pos);
    g->n_pos--;
}

static void drop_allele(struct pgx_gene *g, uint32_t a)
{
    allele_free(&g->alleles[a], g->n_pos);
    memmove(&g->alleles[a], &g->alleles[a + 1], (g->n_alleles - a - 1) * sizeof *g->alleles);
    g->n_alleles--;
    if (g->ref_allele > a) g->ref_allele--;
}

static int exempt_positions(struct pgx_gene *g, const json_t *ex, struct gn_err *err)
{
    const json_t *ign = json_object_get(ex, "ignoredPositions");
    const json_t *req = json_object_get(ex, "requiredPositions");
    if ((ign && !json_is_array(ign)) || (req && !json_is_array(req)))
        return gn_errf(err, GN_EPARSE, "%s exemptions: positions are not arrays", g->name);
    for (size_t k = 0; k < json_array_size(ign) || k < json_array_size(req); k++) {
        const json_t *vi = json_array_get(ign, k), *vr = json_array_get(req, k);
        if ((vi && !json_is_integer(vi)) || (vr && !json_is_integer(vr)))
            return gn_errf(err, GN_EPARSE, "%s exemptions: a position is not an integer", g->name);
        for (uint32_t i = 0; i < g->n_pos; i++) {
            if (vr && g->pos[i].pos == json_integer_value(vr)) g->pos[i].required = 1;
        }
        for (uint32_t i = 0; vi && i < g->n_pos; i++) {
            if (g->pos[i].pos != json_integer_value(vi)) continue;
            if (g->n_pos == 1)
                return gn_errf(err, GN_EPARSE, "%s exemptions: cannot ignore its only position",
                               g->name);
            drop_position(g, i);
            break;
        }
    }
    return GN_OK;
}

static int exempt_alleles(struct pgx_gene *g, const json_t *ex, struct gn_err *err)
{
    const json_t *ign = json_object_get(ex, "ignoredAlleles");
    if (ign && !json_is_array(ign))
        return gn_errf(err, GN_EPARSE, "%s exemptions: ignoredAlleles is not an array", g->name);
    for (size_t k = 0; k < json_array_size(ign); k++) {
        const char *name = json_string_value(json_array_get(ign, k));
        if (!name) return gn_errf(err, GN_EPARSE, "%s exemptions: allele is not a string", g->name);
        for (uint32_t a = 0; a < g->n_alleles; a++) {
            if (strcmp(g->alleles[a].name, name) != 0) continue;
            if (a == g->ref_allele)
                return gn_errf(err, GN_EPARSE, "%s exemptions: cannot ignore the reference",
                               g->name);
            drop_allele(g, a);
            break;
        }
    }
    return GN_OK;
}

static int exempt_one_priority(struct pgx_gene *g, const json_t *p, struct gn_err *err)
{
    const json_t *list = json_object_get(p, "list");
    struct pgx_priority *pr = &g->prio[g->n_prio];
    int rc;
    if (!json_is_object(p) || !json_is_array(list) || json_array_size(list) < 2 ||
        json_array_size(list) > PGX_DEF_MAX_PRIORITY)
        return gn_errf(err, GN_EPARSE, "%s exemptions: a priority needs a list of 2..%u", g->name,
                       PGX_DEF_MAX_PRIORITY);
    if (!(pr->list = gn_calloc(json_array_size(list), sizeof *pr->list)))
        return gn_errf(err, GN_ENOMEM, "out of memory");
    g->n_prio++;
    for (size_t j = 0; j < json_array_size(list); j++) {
        const json_t *s = json_array_get(list, j);
        if (!json_is_string(s) || json_string_length(s) > PGX_DEF_MAX_NAME)
            return gn_errf(err, GN_EPARSE, "%s exemptions: a priority entry is not a name",
                           g->name);
        if (!(pr->list[j] = gn_strdup(json_string_value(s))))
            return gn_errf(err, GN_ENOMEM, "out of memory");
        pr->n++;
    }
    if ((rc = get_str(p, "pick", 0, &pr->pick, "exemptions priority", err)) < 0) return rc;
    return GN_OK;
}

int pgx_gene_exempt(struct pgx_gene *g, const char *json, size_t len, struct gn_err *err)
{
    json_error_t je;
    json_t *doc = NULL;
    const json_t *ex, *prio;
    int rc = GN_OK;

    if (len > PGX_DEF_MAX_BYTES)
        return gn_errf(err, GN_ELIMIT, "exemptions larger than %u bytes", PGX_DEF_MAX_BYTES);
    if (!(doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je)))
        return gn_errf(err, GN_EPARSE, "exemptions line %d: %s", je.line, je.text);
    if (!json_is_object(doc)) {
        rc = gn_errf(err, GN_EPARSE, "exemptions: not a JSON object");
        goto out;
    }
    if (!(ex = json_object_get(doc, g->name))) goto out;
    if (!json_is_object(ex)) {
        rc = gn_errf(err, GN_EPARSE, "%s exemptions: not an object", g->name);
        goto out;
    }
    if ((rc = exempt_positions(g, ex, err)) < 0) goto out;
    if ((rc = exempt_alleles(g, ex, err)) < 0) goto out;
    prio = json_object_get(ex, "unphasedDiplotypePriorities");
    if (prio && (!json_is_array(prio) || json_array_size(prio) > PGX_DEF_MAX_PRIORITY)) {
        rc = gn_errf(err, GN_EPARSE, "%s exemptions: priorities not an array of at most %u",
                     g->name, PGX_DEF_MAX_PRIORITY);
        goto out;
    }
    if (json_array_size(prio) && !g->prio &&
        !(g->prio = gn_calloc(json_array_size(prio), sizeof *g->prio))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; g->prio && i < json_array_size(prio) && g->n_prio < json_array_size(prio);
         i++) {
        if ((rc = exempt_one_priority(g, json_array_get(prio, i), err)) < 0) goto out;
    }
    rc = reindex(g, err);
out:
    json_decref(doc);
    return rc;
}

/* Reads a whole file of at most max bytes into an owned buffer. */
static int read_file(const char *path, size_t max, char **out, size_t *n, struct gn_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc;
    *out = NULL;
    if (fd < 0) return gn_errf(err, gn_err_from_errno(errno), "%s: %s", path, strerror(errno));
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb;
            if (cap >= max + 1) {
                rc = gn_errf(err, GN_ELIMIT, "%s: larger than %zu bytes", path, max);
                goto fail;
            }
            if (!(nb = gn_reallocarray(buf, ncap, 1))) {
                rc = gn_errf(err, GN_ENOMEM, "%s: out of memory", path);
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            rc = gn_errf(err, GN_EIO, "%s: %s", path, strerror(errno));
            goto fail;
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    if (len > max) {
        rc = gn_errf(err, GN_ELIMIT, "%s: larger than %zu bytes", path, max);
        goto fail;
    }
    close(fd);
    *out = buf;
    *n = len;
    return GN_OK;
fail:
    close(fd);
    gn_free(buf);
    return rc;
}

void pgx_defs_free(struct pgx_defs *defs)
{
    if (!defs) return;
    for (uint32_t i = 0; i < defs->n; i++)
        pgx_gene_free(defs->genes[i]);
    gn_free(defs->genes);
    gn_free(defs->version);
    gn_free(defs);
}

static int cmp_gene(const void *a, const void *b)
{
    const struct pgx_gene *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* Loads dir/name as one gene and appends it to defs. */
static int load_one(struct pgx_defs *defs, const char *dir, const char *name, const char *ex,
                    size_t ex_len, struct gn_err *err)
{
    char path[4096];
    char *buf = NULL;
    size_t len = 0;
    struct pgx_gene *g = NULL;
    int rc;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return gn_errf(err, GN_EINVAL, "path too long: %s/%s", dir, name);
    if ((rc = read_file(path, PGX_DEF_MAX_BYTES, &buf, &len, err)) < 0) return rc;
    rc = pgx_gene_parse(buf, len, &g, err);
    gn_free(buf);
    if (rc == GN_OK && ex) rc = pgx_gene_exempt(g, ex, ex_len, err);
    if (rc < 0) {
        pgx_gene_free(g);
        return gn_err_prefix(err, rc, "%s", path);
    }
    if (pgx_defs_find(defs, g->name)) {
        rc = gn_errf(err, GN_EPARSE, "%s: gene %s defined twice", path, g->name);
        pgx_gene_free(g);
        return rc;
    }
    defs->genes[defs->n++] = g;
    if (!defs->version || strcmp(g->version, defs->version) > 0) {
        gn_free(defs->version);
        if (!(defs->version = gn_strdup(g->version)))
            return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    return GN_OK;
}

int pgx_defs_load(const char *dir, struct pgx_defs **out, struct gn_err *err)
{
    static const char suffix[] = "_translation.json";
    struct pgx_defs *defs = NULL;
    DIR *d = NULL;
    struct dirent *de;
    char path[4096], *ex = NULL;
    size_t ex_len = 0;
    int rc;

    *out = NULL;
    if (!(d = opendir(dir)))
        return gn_errf(err, gn_err_from_errno(errno), "%s: %s", dir, strerror(errno));
    if (!(defs = gn_calloc(1, sizeof *defs)) ||
        !(defs->genes = gn_calloc(PGX_DEF_MAX_GENES, sizeof *defs->genes))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto fail;
    }
    (void)snprintf(path, sizeof path, "%s/exemptions.json", dir);
    if (access(path, F_OK) == 0 && (rc = read_file(path, PGX_DEF_MAX_BYTES, &ex, &ex_len, err)) < 0)
        goto fail;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n <= sizeof suffix - 1 || strcmp(de->d_name + n - (sizeof suffix - 1), suffix))
            continue;
        if (defs->n == PGX_DEF_MAX_GENES) {
            rc = gn_errf(err, GN_ELIMIT, "%s: more than %u genes", dir, PGX_DEF_MAX_GENES);
            goto fail;
        }
        if ((rc = load_one(defs, dir, de->d_name, ex, ex_len, err)) < 0) goto fail;
    }
    if (!defs->n) {
        rc = gn_errf(err, GN_ENOTFOUND, "%s: no *%s allele definitions", dir, suffix);
        goto fail;
    }
    qsort(defs->genes, defs->n, sizeof *defs->genes, cmp_gene);
    closedir(d);
    gn_free(ex);
    *out = defs;
    return GN_OK;
fail:
    if (d) closedir(d);
    gn_free(ex);
    pgx_defs_free(defs);
    return rc;
}

const struct pgx_gene *pgx_defs_find(const struct pgx_defs *defs, const char *name)
{
    for (uint32_t i = 0; defs && i < defs->n; i++) {
        if (!strcmp(defs->genes[i]->name, name)) return defs->genes[i];
    }
    return NULL;
}

int64_t pgx_gene_pos_index(const struct pgx_gene *g, int64_t pos)
{
    uint32_t lo = 0, hi = g->n_pos;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (g->pos[mid].pos < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < g->n_pos && g->pos[lo].pos == pos ? (int64_t)lo : -1;
}
