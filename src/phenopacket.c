/*
 * phenopacket.c — Phenopackets v2 reader and writer (phenopacket.h).
 */
#include "phenopacket.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "fsutil.h"

int phenopacket_is_hpo_id(const char *s, size_t n)
{
    if (n != 10 || memcmp(s, "HP:", 3) != 0) return 0;
    for (size_t i = 3; i < 10; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

void phenopacket_free(struct phenopacket *pp)
{
    if (!pp) return;
    gn_free(pp->ph);
    gn_free(pp->dx);
    gn_free(pp->var);
    json_decref((json_t *)pp->root_);
    gn_free(pp);
}

/* ---- reading ------------------------------------------------------------------------ */

/* The string at key k of object o, at most max bytes: NULL when absent; GN_EPARSE when not
 * a string, GN_ELIMIT when too long (path names the field). */
static int str_at_max(const json_t *o, const char *k, const char **out, const char *path,
                      unsigned max, struct gn_err *err)
{
    const json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;
    *out = NULL;
    if (!v || json_is_null(v)) return GN_OK;
    if (!json_is_string(v)) return gn_errf(err, GN_EPARSE, "%s.%s: expected a string", path, k);
    if (json_string_length(v) > max)
        return gn_errf(err, GN_ELIMIT, "%s.%s: longer than %u bytes", path, k, max);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return gn_errf(err, GN_EPARSE, "%s.%s: contains a NUL character", path, k);
    *out = json_string_value(v);
    return GN_OK;
}

/* A string field of at most PHENOPACKET_MAX_STR bytes. */
static int str_at(const json_t *o, const char *k, const char **out, const char *path,
                  struct gn_err *err)
{
    return str_at_max(o, k, out, path, PHENOPACKET_MAX_STR, err);
}

/* An array at key k (NULL when absent), at most PHENOPACKET_MAX_ITEMS long. */
static int arr_at(const json_t *o, const char *k, const json_t **out, const char *path,
                  struct gn_err *err)
{
    const json_t *v = json_object_get(o, k);
    *out = NULL;
    if (!v || json_is_null(v)) return GN_OK;
    if (!json_is_array(v)) return gn_errf(err, GN_EPARSE, "%s%s: expected an array", path, k);
    if (json_array_size(v) > PHENOPACKET_MAX_ITEMS)
        return gn_errf(err, GN_ELIMIT, "%s%s: more than %d entries", path, k,
                       PHENOPACKET_MAX_ITEMS);
    *out = v;
    return GN_OK;
}

static int obj_or_absent(const json_t *v, const char *path, struct gn_err *err)
{
    if (v && !json_is_object(v)) return gn_errf(err, GN_EPARSE, "%s: expected an object", path);
    return GN_OK;
}

/* An ontology class {"id", "label"}: id required (non-empty) when the object is there. */
static int ontology_class(const json_t *o, const char *path, const char **id, const char **label,
                          struct gn_err *err)
{
    int rc;
    *id = *label = NULL;
    if ((rc = obj_or_absent(o, path, err)) < 0 || !o) return rc;
    if ((rc = str_at(o, "id", id, path, err)) < 0 ||
        (rc = str_at(o, "label", label, path, err)) < 0)
        return rc;
    if (!*id || !**id) return gn_errf(err, GN_EPARSE, "%s.id: missing", path);
    return GN_OK;
}

/* A TimeElement (onset, time at last encounter) as genomenode keeps it: the age's ISO 8601
 * duration, else the ontology class id, else for a gestational age HP:0030674 (Antenatal
 * onset); NULL when absent or of another kind (timestamp, interval). */
static int time_element(const json_t *on, const char *path, const char **out, struct gn_err *err)
{
    const json_t *age, *oc;
    const char *lab;
    int rc;
    *out = NULL;
    if ((rc = obj_or_absent(on, path, err)) < 0 || !on) return rc;
    age = json_object_get(on, "age");
    oc = json_object_get(on, "ontologyClass");
    if (age && (rc = str_at(age, "iso8601duration", out, path, err)) < 0) return rc;
    if (!*out && oc && (rc = ontology_class(oc, path, out, &lab, err)) < 0) return rc;
    if (!*out && json_object_get(on, "gestationalAge")) *out = "HP:0030674";
    return GN_OK;
}

static int features(struct phenopacket *pp, const json_t *root, struct gn_err *err)
{
    const json_t *a;
    char path[96];
    int rc;
    if ((rc = arr_at(root, "phenotypicFeatures", &a, "", err)) < 0 || !a) return rc;
    if (!(pp->ph = gn_calloc(json_array_size(a) + 1, sizeof *pp->ph))) return GN_ENOMEM;
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *f = json_array_get(a, i), *ex, *on;
        struct phenopacket_feature *t = &pp->ph[pp->n_ph];
        (void)snprintf(path, sizeof path, "phenotypicFeatures[%zu]", i);
        if (!json_is_object(f)) return gn_errf(err, GN_EPARSE, "%s: expected an object", path);
        (void)snprintf(path, sizeof path, "phenotypicFeatures[%zu].type", i);
        if (!json_object_get(f, "type")) return gn_errf(err, GN_EPARSE, "%s: missing", path);
        if ((rc = ontology_class(json_object_get(f, "type"), path, &t->term, &t->label, err)) < 0)
            return rc;
        if (!phenopacket_is_hpo_id(t->term, strlen(t->term)))
            return gn_errf(err, GN_EPARSE, "%s.id: '%.40s' is not an HPO id (HP:nnnnnnn)", path,
                           t->term);
        ex = json_object_get(f, "excluded");
        if (ex && !json_is_boolean(ex))
            return gn_errf(err, GN_EPARSE,
                           "phenotypicFeatures[%zu].excluded: expected true or false", i);
        t->excluded = ex && json_is_true(ex);
        on = json_object_get(f, "onset");
        (void)snprintf(path, sizeof path, "phenotypicFeatures[%zu].onset", i);
        if ((rc = time_element(on, path, &t->onset, err)) < 0) return rc;
        pp->n_ph++;
    }
    return GN_OK;
}

static int add_disease(struct phenopacket *pp, const char *id, const char *label, const char *onset,
                       const char *path, struct gn_err *err)
{
    const char *colon = id ? strchr(id, ':') : NULL;
    if (!colon || colon == id || !colon[1] || strchr(id, ' '))
        return gn_errf(err, GN_EPARSE, "%s.id: '%.40s' is not a CURIE (PREFIX:ID)", path,
                       id ? id : "");
    for (size_t i = 0; i < pp->n_dx; i++)
        if (!strcmp(pp->dx[i].id, id)) return GN_OK;
    pp->dx[pp->n_dx].id = id;
    pp->dx[pp->n_dx].label = label;
    pp->dx[pp->n_dx].onset = onset;
    pp->n_dx++;
    return GN_OK;
}

static int variant(struct phenopacket *pp, const json_t *gi, const char *path, struct gn_err *err)
{
    struct phenopacket_variant *v = &pp->var[pp->n_var];
    const json_t *vi = json_object_get(gi, "variantInterpretation"), *vd, *vcf, *ex;
    const json_t *gene = json_object_get(gi, "gene");
    char p2[256];
    int rc;
    memset(v, 0, sizeof *v);
    if (gene) { /* a GeneDescriptor alone */
        (void)snprintf(p2, sizeof p2, "%s.gene", path);
        if ((rc = obj_or_absent(gene, p2, err)) < 0) return rc;
        if ((rc = str_at(gene, "symbol", &v->gene, p2, err)) < 0 ||
            (rc = str_at(gene, "valueId", &v->gene_id, p2, err)) < 0)
            return rc;
    }
    if (vi) {
        (void)snprintf(p2, sizeof p2, "%s.variantInterpretation", path);
        if ((rc = obj_or_absent(vi, p2, err)) < 0) return rc;
        vd = json_object_get(vi, "variationDescriptor");
        (void)snprintf(p2, sizeof p2, "%s.variantInterpretation.variationDescriptor", path);
        if ((rc = obj_or_absent(vd, p2, err)) < 0) return rc;
        if (vd) {
            const json_t *gc = json_object_get(vd, "geneContext"), *as;
            const char *lab;
            if ((rc = obj_or_absent(gc, p2, err)) < 0) return rc;
            if (gc && ((rc = str_at(gc, "symbol", &v->gene, p2, err)) < 0 ||
                       (rc = str_at(gc, "valueId", &v->gene_id, p2, err)) < 0))
                return rc;
            vcf = json_object_get(vd, "vcfRecord");
            if ((rc = obj_or_absent(vcf, p2, err)) < 0) return rc;
            if (vcf) {
                const json_t *pos = json_object_get(vcf, "pos");
                if ((rc = str_at(vcf, "genomeAssembly", &v->assembly, p2, err)) < 0 ||
                    (rc = str_at(vcf, "chrom", &v->chrom, p2, err)) < 0 ||
                    (rc = str_at_max(vcf, "ref", &v->ref, p2, PHENOPACKET_MAX_ALLELE, err)) < 0 ||
                    (rc = str_at_max(vcf, "alt", &v->alt, p2, PHENOPACKET_MAX_ALLELE, err)) < 0)
                    return rc;
                /* proto3 JSON writes 64-bit integers as strings */
                if (json_is_integer(pos) && json_integer_value(pos) > 0) {
                    v->pos = (int64_t)json_integer_value(pos);
                } else if (json_is_string(pos)) {
                    const char *s = json_string_value(pos);
                    int64_t x = 0;
                    size_t k = 0;
                    for (; s[k] >= '0' && s[k] <= '9' && k < 12; k++)
                        x = x * 10 + (s[k] - '0');
                    if (s[k] || !k)
                        return gn_errf(err, GN_EPARSE, "%s.vcfRecord.pos: not a position", p2);
                    v->pos = x;
                } else if (pos) {
                    return gn_errf(err, GN_EPARSE, "%s.vcfRecord.pos: not a position", p2);
                }
                if (v->pos > ((int64_t)1 << 40))
                    return gn_errf(err, GN_EPARSE, "%s.vcfRecord.pos: out of range", p2);
            }
            as = json_object_get(vd, "allelicState");
            if (as && (rc = ontology_class(as, p2, &lab, &v->zygosity, err)) < 0) return rc;
            if (as && !v->zygosity) v->zygosity = lab;
            ex = json_object_get(vd, "expressions");
            if (ex && !json_is_array(ex))
                return gn_errf(err, GN_EPARSE, "%s.expressions: expected an array", p2);
            for (size_t k = 0; ex && k < json_array_size(ex) && k < 64; k++) {
                const char *syn = NULL, *val = NULL;
                if ((rc = str_at(json_array_get(ex, k), "syntax", &syn, p2, err)) < 0 ||
                    (rc = str_at(json_array_get(ex, k), "value", &val, p2, err)) < 0)
                    return rc;
                if (syn && val && (!v->hgvs || !strcmp(syn, "hgvs.c"))) v->hgvs = val;
            }
        }
    }
    if (!v->gene || !*v->gene) {
        if (!v->gene_id) return GN_OK; /* nothing genomenode keeps */
        v->gene = v->gene_id;
    }
    pp->n_var++;
    return GN_OK;
}

static int diagnoses(struct phenopacket *pp, const json_t *root, struct gn_err *err)
{
    const json_t *ds, *in;
    char path[128];
    size_t nd, ni, ng = 0;
    int rc;
    if ((rc = arr_at(root, "diseases", &ds, "", err)) < 0 ||
        (rc = arr_at(root, "interpretations", &in, "", err)) < 0)
        return rc;
    nd = ds ? json_array_size(ds) : 0;
    ni = in ? json_array_size(in) : 0;
    for (size_t i = 0; i < ni; i++) {
        const json_t *dg = json_object_get(json_array_get(in, i), "diagnosis");
        const json_t *g = json_is_object(dg) ? json_object_get(dg, "genomicInterpretations") : NULL;
        ng += json_is_array(g) ? json_array_size(g) : 0;
    }
    if (ng > PHENOPACKET_MAX_ITEMS)
        return gn_errf(err, GN_ELIMIT, "interpretations: more than %d genomic interpretations",
                       PHENOPACKET_MAX_ITEMS);
    if (!(pp->dx = gn_calloc(nd + ni + 1, sizeof *pp->dx)) ||
        !(pp->var = gn_calloc(ng + 1, sizeof *pp->var)))
        return GN_ENOMEM;
    for (size_t i = 0; i < nd; i++) {
        const json_t *d = json_array_get(ds, i), *ex;
        const char *id, *label, *onset;
        (void)snprintf(path, sizeof path, "diseases[%zu]", i);
        if (!json_is_object(d)) return gn_errf(err, GN_EPARSE, "%s: expected an object", path);
        ex = json_object_get(d, "excluded");
        if (ex && !json_is_boolean(ex))
            return gn_errf(err, GN_EPARSE, "diseases[%zu].excluded: expected true or false", i);
        if (ex && json_is_true(ex)) continue; /* ruled out: not a diagnosis */
        (void)snprintf(path, sizeof path, "diseases[%zu].onset", i);
        if ((rc = time_element(json_object_get(d, "onset"), path, &onset, err)) < 0) return rc;
        (void)snprintf(path, sizeof path, "diseases[%zu].term", i);
        if (!json_object_get(d, "term")) return gn_errf(err, GN_EPARSE, "%s: missing", path);
        if ((rc = ontology_class(json_object_get(d, "term"), path, &id, &label, err)) < 0 ||
            (rc = add_disease(pp, id, label, onset, path, err)) < 0)
            return rc;
    }
    for (size_t i = 0; i < ni; i++) {
        const json_t *it = json_array_get(in, i), *dg, *gis;
        const char *id, *label;
        (void)snprintf(path, sizeof path, "interpretations[%zu]", i);
        if (!json_is_object(it)) return gn_errf(err, GN_EPARSE, "%s: expected an object", path);
        dg = json_object_get(it, "diagnosis");
        (void)snprintf(path, sizeof path, "interpretations[%zu].diagnosis", i);
        if ((rc = obj_or_absent(dg, path, err)) < 0) return rc;
        if (!dg) continue;
        (void)snprintf(path, sizeof path, "interpretations[%zu].diagnosis.disease", i);
        if ((rc = ontology_class(json_object_get(dg, "disease"), path, &id, &label, err)) < 0)
            return rc;
        if (id && (rc = add_disease(pp, id, label, NULL, path, err)) < 0) return rc;
        gis = json_object_get(dg, "genomicInterpretations");
        if (gis && !json_is_array(gis))
            return gn_errf(err, GN_EPARSE, "%s: genomicInterpretations: expected an array", path);
        for (size_t k = 0; gis && k < json_array_size(gis); k++) {
            (void)snprintf(path, sizeof path,
                           "interpretations[%zu].diagnosis.genomicInterpretations[%zu]", i, k);
            if (!json_is_object(json_array_get(gis, k)))
                return gn_errf(err, GN_EPARSE, "%s: expected an object", path);
            if ((rc = variant(pp, json_array_get(gis, k), path, err)) < 0) return rc;
        }
    }
    return GN_OK;
}

/* What went wrong in a JSON text, never quoting it: jansson's je.text ends with the token
 * it stopped at ("... near '\"010185-1234\\x'"), which may be the subject's national ID. */
static const char *json_error_kind(const json_error_t *je)
{
    switch (json_error_code(je)) {
    case json_error_out_of_memory:
        return "out of memory";
    case json_error_stack_overflow:
        return "nested too deeply";
    case json_error_invalid_utf8:
        return "not valid UTF-8";
    case json_error_premature_end_of_input:
        return "the text ends early (truncated?)";
    case json_error_end_of_input_expected:
        return "text after the end of the document";
    case json_error_null_character:
    case json_error_null_byte_in_key:
        return "a NUL character";
    case json_error_duplicate_key:
        return "a key given twice in one object";
    case json_error_numeric_overflow:
        return "a number out of range";
    case json_error_invalid_syntax:
        return "invalid syntax (a bad token, escape or control character)";
    default:
        return "malformed";
    }
}

int phenopacket_parse(const char *p, size_t len, struct phenopacket **out, struct gn_err *err)
{
    struct phenopacket *pp = NULL;
    json_error_t je;
    json_t *root = NULL;
    const json_t *subj, *meta;
    int rc;

    *out = NULL;
    if (len > PHENOPACKET_MAX_BYTES)
        return gn_errf(err, GN_ELIMIT, "phenopacket larger than %u bytes", PHENOPACKET_MAX_BYTES);
    if (!(root = json_loadb(p, len, JSON_REJECT_DUPLICATES, &je)))
        return gn_errf(err, GN_EPARSE, "not JSON: line %d column %d: %s", je.line, je.column,
                       json_error_kind(&je));
    if (!(pp = gn_calloc(1, sizeof *pp))) {
        json_decref(root);
        return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    pp->root_ = root;
    if (!json_is_object(root)) {
        rc = gn_errf(err, GN_EPARSE, "not a phenopacket: the top level is not an object");
        goto fail;
    }
    meta = json_object_get(root, "metaData");
    if (!json_is_object(meta)) {
        rc = gn_errf(err, GN_EPARSE, "not a phenopacket v2: metaData missing");
        goto fail;
    }
    if ((rc = str_at(meta, "phenopacketSchemaVersion", &pp->schema_version, "metaData", err)) < 0)
        goto fail;
    /* "2.0", "2.0.2", and the bare "2" some published phenopackets carry */
    if (!pp->schema_version ||
        (strncmp(pp->schema_version, "2.", 2) != 0 && strcmp(pp->schema_version, "2") != 0)) {
        rc = gn_errf(err, GN_EFORMAT, "metaData.phenopacketSchemaVersion: '%.20s', not 2.x",
                     pp->schema_version ? pp->schema_version : "(missing)");
        goto fail;
    }
    if ((rc = str_at(root, "id", &pp->id, "", err)) < 0) goto fail;
    subj = json_object_get(root, "subject");
    if (!json_is_object(subj)) {
        rc = gn_errf(err, GN_EPARSE, "subject: missing (a phenopacket must name its subject)");
        goto fail;
    }
    if ((rc = str_at(subj, "id", &pp->subject, "subject", err)) < 0 ||
        (rc = str_at(subj, "sex", &pp->sex, "subject", err)) < 0 ||
        (rc = time_element(json_object_get(subj, "timeAtLastEncounter"),
                           "subject.timeAtLastEncounter", &pp->age_last, err)) < 0)
        goto fail;
    if (!pp->subject || !*pp->subject) {
        rc = gn_errf(err, GN_EPARSE, "subject.id: missing");
        goto fail;
    }
    if (pp->sex && strcmp(pp->sex, "MALE") && strcmp(pp->sex, "FEMALE") &&
        strcmp(pp->sex, "OTHER_SEX") && strcmp(pp->sex, "UNKNOWN_SEX")) {
        rc = gn_errf(err, GN_EPARSE, "subject.sex: '%.20s' is not a phenopacket sex", pp->sex);
        goto fail;
    }
    if ((rc = features(pp, root, err)) < 0 || (rc = diagnoses(pp, root, err)) < 0) goto fail;
    *out = pp;
    return GN_OK;
fail:
    if (rc == GN_ENOMEM) gn_errf(err, rc, "out of memory");
    phenopacket_free(pp);
    return rc;
}

/* ---- writing ------------------------------------------------------------------------ */

static json_t *oclass(const char *id, const char *label)
{
    return json_pack("{s:s, s:s}", "id", id, "label", label && *label ? label : id);
}

static const char *geno_id(const char *zyg)
{
    static const struct {
        const char *label, *id;
    } m[] = {{"heterozygous", "GENO:0000135"},
             {"homozygous", "GENO:0000136"},
             {"hemizygous", "GENO:0000134"}};
    for (size_t i = 0; zyg && i < sizeof m / sizeof m[0]; i++)
        if (!strcmp(zyg, m[i].label)) return m[i].id;
    return NULL;
}

static json_t *variant_json(const struct phenopacket *pp, const struct phenopacket_variant *v,
                            size_t i)
{
    json_t *vd = json_object(), *gi;
    char id[64];
    (void)snprintf(id, sizeof id, "variant-%zu", i + 1);
    json_object_set_new(vd, "id", json_string(id));
    json_object_set_new(vd, "geneContext",
                        json_pack("{s:s, s:s}", "valueId",
                                  v->gene_id && *v->gene_id ? v->gene_id : v->gene, "symbol",
                                  v->gene));
    if (v->hgvs && *v->hgvs)
        json_object_set_new(vd, "expressions",
                            json_pack("[{s:s, s:s}]", "syntax",
                                      strstr(v->hgvs, ":c.")   ? "hgvs.c"
                                      : strstr(v->hgvs, ":g.") ? "hgvs.g"
                                                               : "hgvs",
                                      "value", v->hgvs));
    if (v->pos > 0 && v->chrom && *v->chrom && v->ref && *v->ref && v->alt && *v->alt)
        json_object_set_new(vd, "vcfRecord",
                            json_pack("{s:s, s:s, s:I, s:s, s:s}", "genomeAssembly",
                                      v->assembly && *v->assembly ? v->assembly : "GRCh38", "chrom",
                                      v->chrom, "pos", (json_int_t)v->pos, "ref", v->ref, "alt",
                                      v->alt));
    json_object_set_new(vd, "moleculeContext", json_string("genomic"));
    if (geno_id(v->zygosity))
        json_object_set_new(vd, "allelicState", oclass(geno_id(v->zygosity), v->zygosity));
    gi = json_pack("{s:s, s:s, s:{s:o}}", "subjectOrBiosampleId", pp->subject,
                   "interpretationStatus", "CONTRIBUTORY", "variantInterpretation",
                   "variationDescriptor", vd);
    return gi;
}

/* metaData.resources must name every ontology whose terms the document uses: the disease
 * namespaces known here get their registry entries, any other prefix (of any length) a
 * bioregistry one. 0, or -1 when out of memory. */
static int add_disease_resource(json_t *res, const char *id)
{
    static const struct {
        const char *prefix, *id, *name, *url, *iri;
    } known[] = {{"OMIM", "omim", "An Online Catalog of Human Genes and Genetic Disorders",
                  "https://www.omim.org", "https://www.omim.org/entry/"},
                 {"ORPHA", "ordo", "Orphanet Rare Disease Ontology", "http://www.orpha.net/ordo",
                  "http://www.orpha.net/ORDO/Orphanet_"},
                 {"MONDO", "mondo", "Mondo Disease Ontology",
                  "http://purl.obolibrary.org/obo/mondo.owl",
                  "http://purl.obolibrary.org/obo/MONDO_"}};
    const char *colon = strchr(id, ':');
    size_t n = colon ? (size_t)(colon - id) : 0, i;
    char *prefix = NULL, *lower = NULL;
    json_t *r;
    int rc = -1;
    if (n == 0) return 0; /* not a CURIE: the reader refuses those */
    if (!(prefix = gn_malloc(n + 1)) || !(lower = gn_malloc(n + 1))) goto out;
    memcpy(prefix, id, n);
    prefix[n] = '\0';
    for (i = 0; i <= n; i++)
        lower[i] = (char)(prefix[i] >= 'A' && prefix[i] <= 'Z' ? prefix[i] - 'A' + 'a' : prefix[i]);
    rc = 0;
    json_array_foreach(res, i, r)
    {
        if (!strcmp(json_string_value(json_object_get(r, "namespacePrefix")), prefix)) goto out;
    }
    for (i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(known[i].prefix, prefix)) break;
    if (i < sizeof known / sizeof known[0])
        r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", known[i].id, "name", known[i].name,
                      "url", known[i].url, "version", "unknown", "namespacePrefix", prefix,
                      "iriPrefix", known[i].iri);
    else
        r = json_pack("{s:s, s:s, s:o, s:s, s:s, s:o}", "id", lower, "name", prefix, "url",
                      json_sprintf("https://bioregistry.io/registry/%s", lower), "version",
                      "unknown", "namespacePrefix", prefix, "iriPrefix",
                      json_sprintf("https://bioregistry.io/%s:", lower));
    if (!r || json_array_append_new(res, r) < 0) rc = -1;
out:
    gn_free(prefix);
    gn_free(lower);
    return rc;
}

int phenopacket_load(const char *path, struct phenopacket **out, struct gn_err *err)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc;
    *out = NULL;
    if ((rc = fsutil_read_all(path, PHENOPACKET_MAX_BYTES, &data, &len, err)) < 0) return rc;
    rc = phenopacket_parse((const char *)data, len, out, err); /* *out keeps no pointer into data */
    gn_free(data);
    return rc;
}

/* A TimeElement as time_element() keeps it (an ISO 8601 age, or an HPO onset term) back as
 * JSON; NULL when v is NULL, empty or neither. */
static json_t *time_json(const char *v)
{
    if (!v || !*v) return NULL;
    if (v[0] == 'P') return json_pack("{s:{s:s}}", "age", "iso8601duration", v);
    if (phenopacket_is_hpo_id(v, strlen(v)))
        return json_pack("{s:o}", "ontologyClass", oclass(v, NULL));
    return NULL;
}

int phenopacket_write(const struct phenopacket *pp, const char *created, const char *hpo_version,
                      char **out, size_t *len, struct gn_err *err)
{
    json_t *doc = json_object(), *ph = json_array(), *dis = json_array(), *res;
    int ok = doc && ph && dis;

    *out = NULL;
    if (ok) {
        json_t *subj =
            json_pack("{s:s, s:s}", "id", pp->subject, "sex", pp->sex ? pp->sex : "UNKNOWN_SEX");
        json_t *t = time_json(pp->age_last);
        if (subj && t)
            json_object_set_new(subj, "timeAtLastEncounter", t);
        else
            json_decref(t);
        json_object_set_new(doc, "id", json_string(pp->id));
        json_object_set_new(doc, "subject", subj);
    }
    for (size_t i = 0; ok && i < pp->n_ph; i++) {
        const struct phenopacket_feature *f = &pp->ph[i];
        json_t *o = json_pack("{s:o}", "type", oclass(f->term, f->label));
        if (!o) break;
        json_t *t = time_json(f->onset);
        if (f->excluded) json_object_set_new(o, "excluded", json_true());
        if (t) json_object_set_new(o, "onset", t);
        json_array_append_new(ph, o);
    }
    if (ok && pp->n_ph) json_object_set_new(doc, "phenotypicFeatures", json_incref(ph));
    if (ok && pp->n_dx) {
        json_t *in = json_array();
        for (size_t i = 0; i < pp->n_dx; i++) {
            json_t *gis = json_array(), *it;
            char id[64];
            for (size_t k = 0; i == 0 && k < pp->n_var; k++)
                json_array_append_new(gis, variant_json(pp, &pp->var[k], k));
            (void)snprintf(id, sizeof id, "interpretation-%zu", i + 1);
            it = json_pack("{s:s, s:s, s:{s:o}}", "id", id, "progressStatus", "SOLVED", "diagnosis",
                           "disease", oclass(pp->dx[i].id, pp->dx[i].label));
            if (it && json_array_size(gis))
                json_object_set(json_object_get(it, "diagnosis"), "genomicInterpretations", gis);
            json_decref(gis);
            json_array_append_new(in, it);
            json_t *d = json_pack("{s:o}", "term", oclass(pp->dx[i].id, pp->dx[i].label));
            json_t *t = time_json(pp->dx[i].onset);
            if (d && t)
                json_object_set_new(d, "onset", t);
            else
                json_decref(t);
            json_array_append_new(dis, d);
        }
        json_object_set_new(doc, "interpretations", in);
        json_object_set_new(doc, "diseases", json_incref(dis));
    }
    res = json_array();
    json_array_append_new(
        res, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", "hp", "name",
                       "human phenotype ontology", "url", "http://purl.obolibrary.org/obo/hp.owl",
                       "version", hpo_version && *hpo_version ? hpo_version : "unknown",
                       "namespacePrefix", "HP", "iriPrefix", "http://purl.obolibrary.org/obo/HP_"));
    if (pp->n_var)
        json_array_append_new(res, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", "geno", "name",
                                             "Genotype Ontology", "url",
                                             "http://purl.obolibrary.org/obo/geno.owl", "version",
                                             "unknown", "namespacePrefix", "GENO", "iriPrefix",
                                             "http://purl.obolibrary.org/obo/GENO_"));
    for (size_t i = 0; res && i < pp->n_dx; i++)
        if (add_disease_resource(res, pp->dx[i].id) < 0) ok = 0;
    if (ok)
        json_object_set_new(doc, "metaData",
                            json_pack("{s:s, s:s, s:o, s:s}", "created", created, "createdBy",
                                      "genomenode", "resources", res, "phenopacketSchemaVersion",
                                      "2.0"));
    else
        json_decref(res);
    if (ok) *out = json_dumps(doc, JSON_INDENT(2));
    json_decref(ph);
    json_decref(dis);
    json_decref(doc);
    if (!*out) return gn_errf(err, GN_ENOMEM, "out of memory");
    *len = strlen(*out);
    return GN_OK;
}
