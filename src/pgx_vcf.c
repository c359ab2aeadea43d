/*
 * pgx_vcf.c — reading one sample's calls at the definition positions with htslib.
 *
 * The whole file is streamed once (PharmCAT-style inputs are small; a WGS VCF is read
 * sequentially at htslib speed), each record looked up among the genes on its chromosome
 * by binary search over the sorted definition positions. Allele strings are copied into
 * the result, so the obs arrays stay valid after the htslib record is reused.
 */
#include "pgx_vcf.h"

#include <htslib/vcf.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "strparse.h"

struct pgx_vcf {
    const struct pgx_defs *defs;
    struct pgx_obs **obs; /* per gene, n_pos entries */
    char **strings;       /* every copied allele, freed with the result */
    size_t n_strings, cap_strings;
    char *sample;
    uint32_t ps_unread; /* phased calls whose PS could not be read: taken as unphased */
};

void pgx_vcf_free(struct pgx_vcf *v)
{
    if (!v) return;
    for (uint32_t g = 0; v->obs && g < v->defs->n; g++)
        gn_free(v->obs[g]);
    for (size_t i = 0; i < v->n_strings; i++)
        gn_free(v->strings[i]);
    gn_free(v->strings);
    gn_free(v->obs);
    gn_free(v->sample);
    gn_free(v);
}

const struct pgx_obs *pgx_vcf_obs(const struct pgx_vcf *v, uint32_t gene)
{
    return v->obs[gene];
}

const char *pgx_vcf_sample(const struct pgx_vcf *v)
{
    return v->sample;
}

static const char *keep(struct pgx_vcf *v, const char *s)
{
    if (v->n_strings == v->cap_strings) {
        size_t nc = v->cap_strings ? v->cap_strings * 2 : 256;
        char **ns = gn_reallocarray(v->strings, nc, sizeof *ns);
        if (!ns) return NULL;
        v->strings = ns;
        v->cap_strings = nc;
    }
    if (!(v->strings[v->n_strings] = gn_strdup(s))) return NULL;
    return v->strings[v->n_strings++];
}

static const char *strip_chr(const char *c)
{
    return strncmp(c, "chr", 3) == 0 ? c + 3 : c;
}

/* GRCh37 lengths of the chromosomes (every one differs from GRCh38's). */
static const struct {
    const char *name;
    long long len;
} grch37_len[] = {
    {"1", 249250621},  {"2", 243199373},  {"3", 198022430},  {"4", 191154276},  {"5", 180915260},
    {"6", 171115067},  {"7", 159138663},  {"8", 146364022},  {"9", 141213431},  {"10", 135534747},
    {"11", 135006516}, {"12", 133851895}, {"13", 115169878}, {"14", 107349540}, {"15", 102531392},
    {"16", 90354753},  {"17", 81195210},  {"18", 78077248},  {"19", 59128983},  {"20", 63025520},
    {"21", 48129895},  {"22", 51304566},  {"X", 155270560},  {"Y", 59373566},
};

/* Whether text names GRCh37 (GRCh37, hg19, b37, hs37d5, human_g1k_v37, …). */
static int names_grch37(const char *v)
{
    static const char *const marks[] = {"GRCh37", "grch37", "hg19",    "HG19",   "b37",
                                        "B37",    "hs37",   "g1k_v37", "NCBI37", "ncbi37"};
    for (size_t k = 0; k < sizeof marks / sizeof marks[0]; k++) {
        if (strstr(v, marks[k])) return 1;
    }
    return 0;
}

/*
 * Refuses a header that says GRCh37: ##reference or ##assembly naming it, a ##contig whose
 * assembly names it, or a ##contig of a chromosome with its GRCh37 length. A header that
 * says nothing of the build is read (the definitions' REF alleles are checked per position).
 */
static int check_build(const bcf_hdr_t *h, struct gn_err *err)
{
    for (int i = 0; i < h->nhrec; i++) {
        const bcf_hrec_t *r = h->hrec[i];
        if (!r->key) continue;
        if (r->value && (!strcmp(r->key, "reference") || !strcmp(r->key, "assembly")) &&
            names_grch37(r->value))
            return gn_errf(err, GN_EUNSUPPORTED,
                           "the VCF's ##%s is %s (GRCh37): PharmCAT definitions are GRCh38", r->key,
                           r->value);
        if (strcmp(r->key, "contig")) continue;
        const char *id = NULL, *len = NULL;
        for (int k = 0; k < r->nkeys; k++) {
            if (!strcmp(r->keys[k], "ID")) id = r->vals[k];
            if (!strcmp(r->keys[k], "length")) len = r->vals[k];
            if (!strcmp(r->keys[k], "assembly") && names_grch37(r->vals[k]))
                return gn_errf(err, GN_EUNSUPPORTED,
                               "the VCF's ##contig assembly is %s (GRCh37): PharmCAT "
                               "definitions are GRCh38",
                               r->vals[k]);
        }
        if (!id || !len) continue;
        for (size_t k = 0; k < sizeof grch37_len / sizeof grch37_len[0]; k++) {
            if (!strcmp(strip_chr(id), grch37_len[k].name) && atoll(len) == grch37_len[k].len)
                return gn_errf(err, GN_EUNSUPPORTED,
                               "the VCF's ##contig %s has length %s, GRCh37's: PharmCAT "
                               "definitions are GRCh38",
                               id, len);
        }
    }
    return GN_OK;
}

struct reader {
    int32_t *gt, *ps;
    int gt_cap, ps_cap;
    char **pss; /* FORMAT/PS read as strings (undeclared, or declared String) */
    int pss_cap;
};

/*
 * The phase set of a phased call of sample s: *ps, or 0 (the chromosome-wide default) when
 * the record has no PS. PS is Integer in the VCF spec; when it is undeclared (htslib then
 * declares it String) or declared with another type, the values are read as strings and
 * must be integers. Returns 1 when the call keeps its phase, 0 when its PS cannot be read
 * (the call is then unphased: never one chromosome-wide set for every such call).
 */
static int phase_set(const bcf_hdr_t *h, bcf1_t *rec, int s, struct reader *rd, int64_t *ps)
{
    int n = bcf_get_format_int32(h, rec, "PS", &rd->ps, &rd->ps_cap);
    int64_t v;
    *ps = 0;
    if (n == -3) return 1; /* declared, not in this record */
    if (n > s) {
        if (rd->ps[s] != bcf_int32_missing && rd->ps[s] != bcf_int32_vector_end) *ps = rd->ps[s];
        return 1;
    }
    if (n != -1 && n != -2) return 0;
    n = bcf_get_format_string(h, rec, "PS", &rd->pss, &rd->pss_cap);
    if (n == -3) return 1;
    if (n <= 0 || !rd->pss) return 0;
    const char *str = rd->pss[s];
    size_t len = strlen(str);
    if (len == 1 && str[0] == '.') return 1;
    if (strparse_i64_all(str, len, &v) < 0 || v < 0) return 0;
    *ps = v;
    return 1;
}

/* Stores the call of sample s in rec at position i of gene g. */
static int store_call(struct pgx_vcf *v, uint32_t g, uint32_t i, const bcf_hdr_t *h, bcf1_t *rec,
                      int s, struct reader *rd)
{
    struct pgx_obs *o = &v->obs[g][i];
    int n = bcf_get_genotypes(h, rec, &rd->gt, &rd->gt_cap);
    int ploidy = n > 0 ? n / bcf_hdr_nsamples(h) : 0;
    int32_t *gt = rd->gt + (size_t)s * (size_t)(ploidy > 0 ? ploidy : 0);
    struct pgx_obs nw;
    memset(&nw, 0, sizeof nw);
    nw.missing = 1;
    if (ploidy >= 1 && !bcf_gt_is_missing(gt[0]) && gt[0] != bcf_int32_vector_end) {
        int haploid = ploidy == 1 || gt[1] == bcf_int32_vector_end;
        int a0 = bcf_gt_allele(gt[0]), a1 = haploid ? a0 : bcf_gt_allele(gt[1]);
        if ((haploid || !bcf_gt_is_missing(gt[1])) && a0 < rec->n_allele && a1 < rec->n_allele &&
            a0 >= 0 && a1 >= 0) {
            nw.missing = 0;
            nw.al[0] = keep(v, rec->d.allele[a0]);
            nw.al[1] = haploid ? NULL : keep(v, rec->d.allele[a1]);
            nw.ref = keep(v, rec->d.allele[0]);
            if (!nw.al[0] || (!haploid && !nw.al[1]) || !nw.ref) return GN_ENOMEM;
            nw.phased = !haploid && bcf_gt_is_phased(gt[1]);
            if (nw.phased && !phase_set(h, rec, s, rd, &nw.ps)) {
                nw.phased = 0;
                nw.ps = 0;
                v->ps_unread++;
            }
        }
    }
    /* A record without a call hides what its ALT would have said: the position is then
     * known only from a homozygous non-reference call of another record (both copies
     * named), whatever the order of the records. */
    if (o->conflict) return GN_OK;
    if (nw.missing || o->nocall) {
        int hom =
            !nw.missing && strcmp(nw.al[0], nw.ref) && (!nw.al[1] || !strcmp(nw.al[0], nw.al[1]));
        int o_hom =
            !o->missing && strcmp(o->al[0], o->ref) && (!o->al[1] || !strcmp(o->al[0], o->al[1]));
        if (nw.missing) {
            if (!o_hom) {
                memset(o, 0, sizeof *o);
                o->missing = 1;
            }
        } else if (hom && o->missing) {
            *o = nw;
        } else if (hom) {
            pgx_obs_merge(o, &nw);
        }
        o->nocall = 1;
        return GN_OK;
    }
    /* a duplicate position: a non-reference call wins over a reference or missing one, and
     * two non-reference calls (split records) are merged or, when they cannot be, unknown */
    if (!o->missing && nw.missing) return GN_OK;
    if (!o->missing && !strcmp(nw.al[0], nw.ref) && (!nw.al[1] || !strcmp(nw.al[1], nw.ref)))
        return GN_OK;
    if (!o->missing && (strcmp(o->al[0], o->ref) || (o->al[1] && strcmp(o->al[1], o->ref)))) {
        pgx_obs_merge(o, &nw);
        return GN_OK;
    }
    *o = nw;
    return GN_OK;
}

static int read_records(struct pgx_vcf *v, htsFile *fp, bcf_hdr_t *h, int s, const char *path,
                        struct gn_err *err)
{
    bcf1_t *rec = bcf_init();
    struct reader rd = {NULL, NULL, 0, 0, NULL, 0};
    int rc = GN_OK, r;
    long line = 0;
    if (!rec) return gn_errf(err, GN_ENOMEM, "out of memory");
    while ((r = bcf_read(fp, h, rec)) == 0) {
        line++;
        /* A contig or INFO/FORMAT tag missing from the header is added by htslib (with a
         * warning) and the record parsed; PharmCAT reads such files (its hand-written test
         * VCFs have an undeclared INFO flag), so only other errors refuse the record. */
        if (rec->errcode & ~(BCF_ERR_CTG_UNDEF | BCF_ERR_TAG_UNDEF)) {
            rc = gn_errf(err, GN_EPARSE, "%s: record %ld is malformed (htslib error %d)", path,
                         line, rec->errcode);
            break;
        }
        const char *chrom = strip_chr(bcf_seqname(h, rec));
        for (uint32_t g = 0; g < v->defs->n; g++) {
            const struct pgx_gene *gene = v->defs->genes[g];
            int64_t i;
            if (strcmp(strip_chr(gene->chrom), chrom)) continue;
            if ((i = pgx_gene_pos_index(gene, rec->pos + 1)) < 0) continue;
            if (bcf_unpack(rec, BCF_UN_ALL) < 0 ||
                store_call(v, g, (uint32_t)i, h, rec, s, &rd) < 0) {
                rc = gn_errf(err, GN_ENOMEM, "%s: record %ld: cannot decode", path, line);
                goto out;
            }
        }
    }
    if (rc == GN_OK && r < -1)
        rc = gn_errf(err, GN_EPARSE, "%s: unreadable after record %ld", path, line);
    if (rc == GN_OK && v->ps_unread)
        log_warn("%s: %u phased calls at definition positions have a PS that is not an integer; "
                 "read as unphased",
                 path, v->ps_unread);
out:
    gn_free(rd.gt); /* htslib-allocated (realloc) buffers; gn_free is free */
    gn_free(rd.ps);
    if (rd.pss) gn_free(rd.pss[0]);
    gn_free(rd.pss);
    bcf_destroy(rec);
    return rc;
}

int pgx_vcf_read(const char *path, const char *sample, const struct pgx_defs *defs,
                 struct pgx_vcf **out, struct gn_err *err)
{
    htsFile *fp = NULL;
    bcf_hdr_t *h = NULL;
    struct pgx_vcf *v = NULL;
    int rc, s = 0;
    *out = NULL;
    if (!(fp = hts_open(path, "r")))
        return gn_errf(err, GN_ENOTFOUND, "%s: cannot open as VCF/BCF", path);
    if (!(h = bcf_hdr_read(fp))) {
        rc = gn_errf(err, GN_EPARSE, "%s: no readable VCF header", path);
        goto fail;
    }
    if ((rc = check_build(h, err)) < 0) goto fail;
    if (bcf_hdr_nsamples(h) == 0) {
        rc = gn_errf(err, GN_EUNSUPPORTED, "%s: no samples", path);
        goto fail;
    }
    if (sample && (s = bcf_hdr_id2int(h, BCF_DT_SAMPLE, sample)) < 0) {
        rc = gn_errf(err, GN_ENOTFOUND, "%s: no sample %s", path, sample);
        goto fail;
    }
    if (!(v = gn_calloc(1, sizeof *v)) || !(v->obs = gn_calloc(defs->n, sizeof *v->obs)) ||
        !(v->sample = gn_strdup(h->samples[s]))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto fail;
    }
    v->defs = defs;
    for (uint32_t g = 0; g < defs->n; g++) {
        if (!(v->obs[g] = gn_calloc(defs->genes[g]->n_pos, sizeof *v->obs[g]))) {
            rc = gn_errf(err, GN_ENOMEM, "out of memory");
            goto fail;
        }
        for (uint32_t i = 0; i < defs->genes[g]->n_pos; i++)
            v->obs[g][i].missing = 1;
    }
    if ((rc = read_records(v, fp, h, s, path, err)) < 0) goto fail;
    bcf_hdr_destroy(h);
    hts_close(fp);
    *out = v;
    return GN_OK;
fail:
    pgx_vcf_free(v);
    if (h) bcf_hdr_destroy(h);
    if (fp) hts_close(fp);
    return rc;
}
