/*
 * ingest.c — VCF/BCF/gVCF → segments, pseudonymised, committed as one batch.
 *
 * Flow: take the writer lock; purge catalog rows of uncommitted ingests; for each file
 * read the header (samples → pseudonyms, contigs → store ids, build check), then stream
 * records through htslib into a new segment; finally write catalog rows and commit the
 * manifest. Every failure before the commit unlinks the new segments and rolls the
 * catalog back, so the store is unchanged.
 *
 * Record normalisation: symbolic <NON_REF>/<*> alleles (gVCF) are dropped and calls of
 * them become missing; a record whose only ALT is such an allele (or ".") is a
 * reference block and only adds callability. Ploidy above 2 is refused.
 *
 * Phase sets: when the header declares FORMAT/PS (Integer), the reader takes PS with each
 * record and the writer gives the segment a change point wherever a sample's phased,
 * called genotype is in another set (PS + 1; 0 without PS) than its last phased one on the
 * contig (each contig starting in set 0). Unphased and missing calls change nothing.
 */
#include "ingest.h"

#include <htslib/bgzf.h>
#include <htslib/hts.h>
#include <htslib/vcf.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "catalog.h"
#include "contig.h"
#include "duo.h"
#include "gtrec.h"
#include "gtstore.h"
#include "log.h"
#include "natid.h"
#include "node.h"
#include "pseudonym.h"
#include "samplesheet.h"
#include "segment.h"
#include "strparse.h"

#define INGEST_MAX_SAMPLES (1u << 24)

struct infile {
    const char *path;
    uint32_t n_samples;
    uint32_t first_id;
    uint32_t seg_id;
    char (*pseud)[PSEUDONYM_LEN + 1];
    int32_t *row; /* manifest row of each sample, -1 without manifest */
    struct segment_writer *w;
    /* phase sets (the header declares FORMAT/PS); used by the file's writer thread */
    int has_ps;
    uint64_t *ps_last; /* per sample, the set of its last phased call on ps_contig */
    uint32_t ps_contig;
    int ps_started;
};

/* A manifest row, by sample ID, with its person pseudonym (the national ID is wiped as
 * soon as this is computed). */
struct sheet_ent {
    const char *sample_id;
    uint32_t row;
    int used;
    char person[PSEUDONYM_LEN + 1];
};

struct ingest {
    const struct ingest_opts *o;
    struct gtstore *st;
    struct gtstore_manifest *man;
    struct catalog *cat;
    struct pseudonym key;
    struct infile *f;
    uint32_t n_files;
    char (*seen)[PSEUDONYM_LEN + 1]; /* pseudonyms of the batch so far, sorted */
    size_t n_seen;
    struct samplesheet *sheet;
    struct sheet_ent *ents;             /* sorted by sample_id */
    char last_ds[CATALOG_NAME_MAX + 1]; /* the dataset record_person resolved last */
    int64_t last_ds_id;
    size_t n_ents;
    struct gtsnap *snap;          /* the store before this batch, for REF checks */
    struct segment_block *refblk; /* per snapshot segment, cached record tables */
    struct ingest_result *res;
    /* per-file header maps */
    uint32_t *rid_map; /* htslib rid -> store contig id */
    int n_rid;
    /* progress */
    time_t last_draw;
    uint64_t file_bytes;
    const char *cur_path;
};

/* ---- headers ---- */

static int map_contigs(struct ingest *in, const char *path, bcf_hdr_t *h, struct gn_err *err)
{
    int n = 0, rc;
    const char **names = bcf_hdr_seqnames(h, &n);
    char norm[CONTIG_NAME_MAX + 1];

    gn_free(in->rid_map);
    in->rid_map = gn_calloc((size_t)n + 1, sizeof *in->rid_map);
    if (!in->rid_map) {
        free(names);
        return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    in->n_rid = n;
    for (int i = 0; i < n; i++) {
        int prim = contig_normalise(in->man->build, names[i], strlen(names[i]), norm);
        int64_t len = 0;
        bcf_hrec_t *hr = bcf_hdr_get_hrec(h, BCF_HL_CTG, "ID", names[i], NULL);
        if (hr) {
            int k = bcf_hrec_find_key(hr, "length");
            if (k >= 0 && strparse_i64_all(hr->vals[k], strlen(hr->vals[k]), &len) < 0) len = 0;
        }
        if (prim == GN_EINVAL) {
            rc = gn_errf(err, GN_EPARSE, "%s: contig name '%s' is not usable", path, names[i]);
            free(names); /* htslib-allocated */
            return rc;
        }
        if (prim >= 0 && len > 0 && len != contig_primary_length(in->man->build, prim)) {
            rc = gn_errf(err, GN_ECONFLICT,
                         "%s: contig %s has length %lld but the store is %s (length %lld): "
                         "the file is from another build",
                         path, names[i], (long long)len, contig_build_name(in->man->build),
                         (long long)contig_primary_length(in->man->build, prim));
            free(names);
            return rc;
        }
        uint32_t id;
        if ((rc = gtstore_contig_intern(in->st, norm, len, &id, err)) < 0) {
            free(names);
            return rc;
        }
        in->rid_map[i] = id;
    }
    free(names);
    return GN_OK;
}

static int cmp_ent(const void *a, const void *b)
{
    return strcmp(((const struct sheet_ent *)a)->sample_id,
                  ((const struct sheet_ent *)b)->sample_id);
}

int ingest_check_consent(void *ctx, const char *terms, struct gn_err *err)
{
    (void)ctx;
    if (!strcmp(terms, "clinical")) return GN_OK;
    return duo_validate(terms, strlen(terms), DUO_SIDE_USE, err);
}

int ingest_check_dataset(void *ctx, const char *name, struct gn_err *err)
{
    struct catalog_dataset d;
    int rc = catalog_dataset_get(ctx, name, &d, err);
    if (rc == GN_ENOTFOUND)
        return gn_errf(err, GN_ENOTFOUND, "no dataset '%s' (create it with dataset add)", name);
    return rc;
}

/* Reads and checks the manifest, turns national IDs into person pseudonyms and wipes
 * them. */
static int load_manifest(struct ingest *in, struct gn_err *err)
{
    struct samplesheet_opts so = {0};
    int rc;

    if ((rc = node_id_format(in->cat, &so.id_format, err)) < 0) return rc;
    so.check_consent = ingest_check_consent;
    so.check_dataset = ingest_check_dataset;
    so.ctx = in->cat;
    if ((rc = samplesheet_read(in->o->manifest, &so, &in->sheet, err)) < 0) return rc;
    in->n_ents = samplesheet_count(in->sheet);
    if (!(in->ents = gn_calloc(in->n_ents ? in->n_ents : 1, sizeof *in->ents)))
        return gn_errf(err, GN_ENOMEM, "out of memory");
    for (size_t i = 0; i < in->n_ents; i++) {
        const struct samplesheet_row *r = samplesheet_row(in->sheet, i);
        in->ents[i].sample_id = r->sample_id;
        in->ents[i].row = (uint32_t)i;
        pseudonym_of(&in->key, "person", r->national_id, strlen(r->national_id),
                     in->ents[i].person);
    }
    samplesheet_wipe_ids(in->sheet);
    qsort(in->ents, in->n_ents, sizeof *in->ents, cmp_ent);
    return GN_OK;
}

static const char *sex_name(enum samplesheet_sex s)
{
    switch (s) {
    case SAMPLESHEET_SEX_MALE:
        return "male";
    case SAMPLESHEET_SEX_FEMALE:
        return "female";
    case SAMPLESHEET_SEX_OTHER:
        return "other";
    default:
        return "unknown";
    }
}

/* The catalog rows of one manifest sample: its individual (new, with the manifest's
 * consent as the first consent event, or known from an earlier batch), its dataset. */
static int record_person(struct ingest *in, const struct sheet_ent *e, int64_t *ind, int64_t *ds,
                         struct gn_err *err)
{
    const struct samplesheet_row *r = samplesheet_row(in->sheet, e->row);
    struct catalog_individual ci = {0};
    struct catalog_dataset d;
    char actor[CATALOG_NAME_MAX + 1];
    int rc;

    /* Rows of a manifest name a few datasets; remember the last one's id. */
    if (!in->last_ds_id || strcmp(in->last_ds, r->dataset) != 0) {
        if ((rc = catalog_dataset_get(in->cat, r->dataset, &d, err)) < 0) return rc;
        (void)snprintf(in->last_ds, sizeof in->last_ds, "%s", d.name);
        in->last_ds_id = d.id;
    }
    *ds = in->last_ds_id;
    snprintf(ci.pseudonym, sizeof ci.pseudonym, "%s", e->person);
    snprintf(ci.sex, sizeof ci.sex, "%s", sex_name(r->sex));
    ci.year_of_birth = r->year_of_birth;
    snprintf(ci.referral_group, sizeof ci.referral_group, "%s", r->referral_group);
    rc = catalog_individual_add(in->cat, &ci, ind, err);
    if (rc == GN_EEXIST) return GN_OK; /* a known person's new sample: consent stands */
    if (rc < 0)
        return gn_err_prefix(err, rc, "manifest line %ld: cannot record the individual", r->line);
    snprintf(actor, sizeof actor, "ingest:%s", in->o->batch);
    if (!strcmp(r->consent, "clinical"))
        return catalog_consent_add(in->cat, *ind, "clinical", "", actor, err);
    {
        struct duo_list l;
        char canon[CATALOG_TERMS_MAX + 1];
        if ((rc = duo_list_parse(&l, r->consent, strlen(r->consent), DUO_SIDE_USE, err)) < 0)
            return rc;
        duo_list_format(&l, 0, canon, sizeof canon);
        return catalog_consent_add(in->cat, *ind, "research", canon, actor, err);
    }
}

static int cmp_ps(const void *a, const void *b)
{
    return memcmp(a, b, PSEUDONYM_LEN + 1);
}

/* No sample twice in the batch: the file's pseudonyms sorted, against each other and
 * against the sorted pseudonyms of the earlier files. O(n log n) in the batch's samples. */
static int check_batch_dups(struct ingest *in, struct infile *f, bcf_hdr_t *h, struct gn_err *err)
{
    char(*tmp)[PSEUDONYM_LEN + 1] = NULL, (*all)[PSEUDONYM_LEN + 1];
    const char *dup = NULL;
    uint32_t n = f->n_samples;
    int rc = GN_OK;

    if (!(tmp = gn_reallocarray(NULL, n, sizeof *tmp)))
        return gn_errf(err, GN_ENOMEM, "out of memory");
    memcpy(tmp, f->pseud, (size_t)n * sizeof *tmp);
    qsort(tmp, n, sizeof *tmp, cmp_ps);
    for (uint32_t i = 0; !dup && i < n; i++)
        if ((i && !memcmp(tmp[i], tmp[i - 1], sizeof *tmp)) ||
            (in->n_seen && bsearch(tmp[i], in->seen, in->n_seen, sizeof *tmp, cmp_ps)))
            dup = tmp[i];
    if (dup) {
        /* name the first duplicated sample in column order */
        for (uint32_t i = 0; i < n; i++) {
            char(*e)[PSEUDONYM_LEN + 1] = bsearch(f->pseud[i], tmp, n, sizeof *tmp, cmp_ps);
            int twice =
                (in->n_seen && bsearch(f->pseud[i], in->seen, in->n_seen, sizeof *tmp, cmp_ps)) ||
                (e > tmp && !memcmp(e[-1], e[0], sizeof *tmp)) ||
                (e + 1 < tmp + n && !memcmp(e[1], e[0], sizeof *tmp));
            if (twice) {
                rc = gn_errf(err, GN_EEXIST, "%s: sample '%s' appears twice in the batch", f->path,
                             h->samples[i]);
                break;
            }
        }
        goto out;
    }
    if (!(all = gn_reallocarray(in->seen, (size_t)in->n_seen + n, sizeof *all))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    in->seen = all;
    memcpy(all + in->n_seen, tmp, (size_t)n * sizeof *tmp);
    in->n_seen += n;
    qsort(in->seen, in->n_seen, sizeof *tmp, cmp_ps);
out:
    gn_free(tmp);
    return rc;
}

/* Pseudonyms of the file's samples, their manifest rows, and (lookup) none in the store. */
static int check_sample_ids(struct ingest *in, struct infile *f, bcf_hdr_t *h, int lookup,
                            struct gn_err *err)
{
    struct pseudonym_batch pb;
    int rc = GN_OK;

    pseudonym_batch_init(&in->key, "sample", &pb);
    for (uint32_t i = 0; i < f->n_samples && rc == GN_OK; i++) {
        const char *id = h->samples[i];
        uint32_t gid;
        int wd = 0;
        pseudonym_batch_of(&pb, id, strlen(id), f->pseud[i]);
        f->row[i] = -1;
        if (in->sheet) {
            struct sheet_ent key = {id, 0, 0, {0}}, *e;
            e = bsearch(&key, in->ents, in->n_ents, sizeof *in->ents, cmp_ent);
            if (!e) {
                rc = gn_errf(err, GN_EINVAL, "%s: sample '%s' is not in the manifest", f->path, id);
                break;
            }
            e->used = 1;
            f->row[i] = (int32_t)(e - in->ents);
        }
        if (!lookup) continue;
        rc = catalog_sample_lookup(in->cat, f->pseud[i], &gid, &wd, NULL);
        if (rc == GN_OK) {
            rc = gn_errf(err, GN_EEXIST, "%s: sample '%s' is already in the store%s", f->path, id,
                         wd ? " (withdrawn)" : "");
        } else if (rc == GN_ENOTFOUND) {
            rc = GN_OK;
        } else {
            rc = gn_errf(err, rc, "%s: catalog lookup failed", f->path);
        }
    }
    pseudonym_batch_wipe(&pb);
    return rc;
}

static int check_samples(struct ingest *in, uint32_t fi, bcf_hdr_t *h, struct gn_err *err)
{
    struct infile *f = &in->f[fi];
    uint32_t n = (uint32_t)bcf_hdr_nsamples(h);

    if (n == 0) return gn_errf(err, GN_EINVAL, "%s: has no samples (a sites-only VCF)", f->path);
    if (n > INGEST_MAX_SAMPLES)
        return gn_errf(err, GN_ELIMIT, "%s: %u samples exceeds the limit", f->path, n);
    f->n_samples = n;
    f->pseud = gn_reallocarray(NULL, n, sizeof *f->pseud);
    f->row = gn_reallocarray(NULL, n, sizeof *f->row);
    if (!f->pseud || !f->row) return gn_errf(err, GN_ENOMEM, "out of memory");
    /* One read transaction for the lookups (each would otherwise lock and unlock the
     * database: 100,000 samples took 0.5 s), none at all while the catalog has no sample. */
    int64_t n_known = 1, n_live;
    int rc = catalog_begin_read(in->cat, err);
    if (rc == GN_OK) rc = catalog_sample_count(in->cat, &n_known, &n_live, err);
    if (rc == GN_OK) rc = check_sample_ids(in, f, h, n_known > 0, err);
    catalog_rollback(in->cat); /* read-only */
    if (rc < 0) return rc;
    return check_batch_dups(in, f, h, err);
}


/* ---- records ---- */

static int is_symbolic_ref(const char *a)
{
    return !strcmp(a, "<NON_REF>") || !strcmp(a, "<*>") || !strcmp(a, "<X>") || !strcmp(a, ".");
}

/* REF must agree with what the store holds at the same position: one is a prefix of the
 * other (different-length REFs legitimately start at one position: SNV vs deletion). */
static int check_ref(struct ingest *in, const struct gtrec *r, const char *path, const char *where,
                     struct gn_err *err)
{
    for (uint32_t s = 0; in->snap && s < in->snap->n_seg; s++) {
        const struct segment *seg = in->snap->seg[s];
        uint32_t bi = segment_find_block(seg, r->contig, r->pos);
        const struct segment_block_info *info = segment_block_info(seg, bi);
        struct segment_block *b = &in->refblk[s];
        int rc;
        if (!info || info->contig != r->contig || info->first_pos > r->pos) continue;
        if ((rc = segment_block_load(seg, bi, b, 0, err)) < 0) return rc;
        uint32_t lo = 0, hi = b->n_records; /* records are sorted by position */
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (b->rec[mid].pos < r->pos)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (uint32_t k = lo; k < b->n_records && b->rec[k].pos == r->pos; k++) {
            const struct segment_record *x = &b->rec[k];
            size_t n = strlen(r->ref);
            size_t m = n < x->ref_len ? n : x->ref_len;
            if (strncasecmp(x->ref, r->ref, m) != 0)
                return gn_errf(err, GN_ECONFLICT,
                               "%s: %s: REF %s at %s:%lld disagrees with the store's REF %.*s",
                               path, where, r->ref, in->man->contig[r->contig].name,
                               (long long)r->pos, (int)x->ref_len, x->ref);
        }
    }
    return GN_OK;
}

static int decode_gt(const int32_t *gt, int mp, const int *remap, int n_allele, struct gtrec *r,
                     uint32_t i)
{
    const int32_t *g = gt + (size_t)i * mp;
    int16_t a[2] = {GTREC_MISSING, GTREC_NONE};

    r->phased[i] = 0;
    for (int j = 0; j < mp && j < 2; j++) {
        if (g[j] == bcf_int32_vector_end) break;
        if (bcf_gt_is_missing(g[j])) {
            a[j] = GTREC_MISSING;
        } else {
            int al = bcf_gt_allele(g[j]);
            if (al < 0 || al >= n_allele) return -1;
            a[j] = (int16_t)remap[al];
        }
        if (j == 1) {
            r->phased[i] = bcf_gt_is_phased(g[j]) ? 1 : 0;
            if (a[1] == GTREC_NONE) a[1] = GTREC_MISSING;
        }
    }
    if (mp > 2 && g[2] != bcf_int32_vector_end) return -2;
    r->al[2 * i] = a[0];
    r->al[2 * i + 1] = a[1];
    return 0;
}

struct rdstate {
    int32_t *gt;
    int gt_cap;
    int remap[GTREC_MAX_ALT + 2];
};

/* Records in flight: as many as fit in about 64 MiB of genotypes, between 8 and 256. */
#define PIPE_SLOTS 256
#define PIPE_BYTES ((size_t)64 << 20)

/* One parsed record on its way from the reader to the writer. */
struct slot {
    struct gtrec rec;
    bcf1_t *b;    /* the htslib record, read into the slot: rec.gt8 may point into it */
    int refblock; /* callability only (no ALT left) */
    int64_t end;  /* refblock: last position covered */
    int32_t *ps;  /* FORMAT/PS values, n_ps of them (0: the record has none) */
    int ps_cap, n_ps;
    char where[64]; /* "line N" / "record N", for messages */
};

struct pipe {
    pthread_mutex_t mu;
    pthread_cond_t cv_put, cv_get;
    struct slot slot[PIPE_SLOTS];
    unsigned head, tail;            /* consumed / published counts */
    unsigned n_slots;               /* slots in use for this file */
    int writer_waits, reader_waits; /* who sleeps on a condition: signal only then */
    int closed;                     /* the reader is done */
    int rc;                         /* the writer's status */
    struct gn_err err;              /* the writer's error detail */
    struct ingest *in;
    struct infile *f;
};

static void draw_progress(struct ingest *in, htsFile *fp, uint64_t n, time_t t0, int done)
{
    time_t now = time(NULL);
    struct ingest_progress p;
    if (!in->o->progress || (!done && now == in->last_draw)) return;
    in->last_draw = now;
    p.elapsed = difftime(now, t0);
    BGZF *bg = fp->format.compression == bgzf ? fp->fp.bgzf : NULL;
    p.fraction = bg && in->file_bytes ? (double)(bgzf_tell(bg) >> 16) / (double)in->file_bytes : -1;
    p.records = n;
    p.done = done;
    p.file = in->cur_path;
    in->o->progress(in->o->progress_ctx, &p);
}

/* Diploid int8 GT values, all allele indices or missing, with the identity allele map:
 * the stored allele is the index (-1 missing) and the phase bit is the second value's.
 * Not inlined and restrict-qualified so that both loops are vectorised. */
__attribute__((noinline)) static void gt8_plain(const uint8_t *restrict g, size_t n2,
                                                int16_t *restrict al, uint8_t *restrict ph)
{
    for (size_t j = 0; j < n2; j++)
        al[j] = (int16_t)((int16_t)(g[j] >> 1) - 1);
    for (size_t i = 0; i < n2 / 2; i++)
        ph[i] = (uint8_t)(g[2 * i + 1] & 1);
}

/* Converts the current htslib record into in's gtrec and hands it to the writer (or,
 * for a reference block, records callability only). */
static int rec_one(struct ingest *in, struct infile *f, bcf_hdr_t *h, struct rdstate *rs,
                   struct slot *sl, struct gn_err *err)
{
    bcf1_t *b = sl->b;
    struct gtrec *r = &sl->rec;
    const char *where = sl->where;
    const char *alts[GTREC_MAX_ALT];
    size_t alt_len[GTREC_MAX_ALT];
    uint32_t n_keep = 0;
    int rc, ngt, mp;

    if (bcf_unpack(b, BCF_UN_STR | BCF_UN_FMT) < 0)
        return gn_errf(err, GN_EPARSE, "%s: %s: cannot unpack record", f->path, where);
    if (b->rid < 0 || b->rid >= in->n_rid)
        return gn_errf(err, GN_EPARSE, "%s: %s: unknown contig", f->path, where);
    if (b->n_allele < 1 || b->n_allele > GTREC_MAX_ALT + 1)
        return gn_errf(err, GN_ELIMIT, "%s: %s: %d alleles (limit %d)", f->path, where, b->n_allele,
                       GTREC_MAX_ALT + 1);
    rs->remap[0] = 0;
    for (int a = 1; a < b->n_allele; a++) {
        if (is_symbolic_ref(b->d.allele[a])) {
            rs->remap[a] = GTREC_MISSING;
            continue;
        }
        rs->remap[a] = (int)++n_keep;
        alts[n_keep - 1] = b->d.allele[a];
        alt_len[n_keep - 1] = strlen(b->d.allele[a]);
    }
    r->contig = in->rid_map[b->rid];
    r->pos = (int64_t)b->pos + 1;
    if ((rc = gtrec_set_alleles(r, b->d.allele[0], strlen(b->d.allele[0]), alts, alt_len, n_keep)) <
        0)
        return gn_errf(err, rc, "%s: %s: alleles: %s", f->path, where, gn_strerror(rc));
    r->gt8 = NULL;
    /* The usual BCF shape, diploid GT stored as int8 with every sample a plain allele or
     * missing, is decoded straight from the record; anything else goes through htslib. */
    {
        int16_t lut8[GTREC_MAX_ALT + 3];
        bcf_fmt_t *gf = bcf_get_fmt(h, b, "GT");
        if (gf && gf->type == BCF_BT_INT8 && gf->n == 2 && gf->size == 2 && gf->p &&
            b->n_sample == f->n_samples && b->n_allele < 63) {
            const uint8_t *g = gf->p;
            size_t n2 = (size_t)2 * f->n_samples;
            uint8_t top = (uint8_t)(2 * b->n_allele + 1), over = 0;
            int ident = 1;
            /* Every value an allele index or missing: as unsigned bytes, none above top
             * (vector ends and other negative values are >= 128). Branch-free passes, so
             * the compiler vectorises them. */
            for (size_t j = 0; j < n2; j++)
                over |= (uint8_t)(g[j] > top);
            for (int a = 0; a < b->n_allele; a++)
                ident &= rs->remap[a] == a;
            r->gt8 = NULL;
            if (!over && ident && n_keep > 0) {
                /* no symbolic allele: the writer encodes straight from the BCF values
                 * (the slot owns b until the writer is done with it) */
                r->gt8 = g;
                goto decoded;
            }
            if (!over && ident) { /* stored allele = index, -1 missing */
                gt8_plain(g, n2, r->al, r->phased);
                goto decoded;
            }
            if (!over) {
                lut8[0] = GTREC_MISSING;
                for (int a = 0; a < b->n_allele; a++)
                    lut8[a + 1] = (int16_t)rs->remap[a];
                for (size_t i = 0; i < f->n_samples; i++) {
                    r->al[2 * i] = lut8[g[2 * i] >> 1];
                    r->al[2 * i + 1] = lut8[g[2 * i + 1] >> 1];
                    r->phased[i] = (uint8_t)(g[2 * i + 1] & 1);
                }
                goto decoded;
            }
        }
    }
    ngt = bcf_get_genotypes(h, b, &rs->gt, &rs->gt_cap);
    mp = ngt > 0 ? ngt / (int)f->n_samples : 0;
    if (ngt > 0 && mp > 2)
        return gn_errf(err, GN_EUNSUPPORTED, "%s: %s: ploidy %d (at most 2 supported)", f->path,
                       where, mp);
    /* Allele index + 1 (0: missing) -> stored allele, for the diploid fast path. */
    int16_t lut[GTREC_MAX_ALT + 3];
    uint32_t lim = (uint32_t)b->n_allele;
    lut[0] = GTREC_MISSING;
    for (int a = 0; a < b->n_allele; a++)
        lut[a + 1] = (int16_t)rs->remap[a];
    for (uint32_t i = 0; i < f->n_samples; i++) {
        if (ngt <= 0) {
            r->al[2 * i] = r->al[2 * i + 1] = GTREC_MISSING;
            r->phased[i] = 0;
            continue;
        }
        if (mp == 2) { /* two values, both alleles or missing: no vector end, no range issue */
            const int32_t *g = rs->gt + (size_t)2 * i;
            if (g[0] >= 0 && g[1] >= 0 && ((uint32_t)g[0] >> 1) <= lim &&
                ((uint32_t)g[1] >> 1) <= lim) {
                r->al[(size_t)2 * i] = lut[(uint32_t)g[0] >> 1];
                r->al[(size_t)2 * i + 1] = lut[(uint32_t)g[1] >> 1];
                r->phased[i] = (uint8_t)(g[1] & 1);
                continue;
            }
        }
        int d = decode_gt(rs->gt, mp, rs->remap, b->n_allele, r, i);
        if (d == -1)
            return gn_errf(err, GN_EPARSE, "%s: %s: sample %s: GT allele index out of range",
                           f->path, where, h->samples[i]);
    }
decoded:
    /* No ALT left: a reference block (gVCF) or a monomorphic site, i.e. callability. */
    sl->refblock = n_keep == 0;
    sl->n_ps = 0;
    if (f->has_ps && !sl->refblock) {
        int n = bcf_get_format_int32(h, b, "PS", &sl->ps, &sl->ps_cap);
        sl->n_ps = n >= (int)f->n_samples ? n : 0; /* absent or unusable: no PS */
    }
    sl->end = (int64_t)b->pos + b->rlen;
    return GN_OK;
}

/* Sample i's call in r is phased with both alleles called. */
static int phased_called(const struct gtrec *r, uint32_t i)
{
    if (r->gt8) {
        const uint8_t *g = r->gt8 + (size_t)2 * i;
        return (g[1] & 1) && g[0] >= 2 && g[1] >= 2; /* 0 and 1: missing */
    }
    return r->phased[i] && r->al[(size_t)2 * i] >= 0 && r->al[(size_t)2 * i + 1] >= 0;
}

/* Change points for the phase sets of r's phased calls (docs/format/segment.md). */
static int add_phase_sets(struct infile *f, const struct slot *sl, struct gn_err *err)
{
    const struct gtrec *r = &sl->rec;
    uint32_t per = (uint32_t)sl->n_ps / f->n_samples;
    int rc;
    if (!f->ps_started || r->contig != f->ps_contig) {
        memset(f->ps_last, 0, (size_t)f->n_samples * sizeof *f->ps_last);
        f->ps_contig = r->contig;
        f->ps_started = 1;
    }
    for (uint32_t i = 0; i < f->n_samples; i++) {
        if (!phased_called(r, i)) continue;
        uint64_t set = 0;
        if (per) {
            int32_t v = sl->ps[(size_t)i * per];
            if (v != bcf_int32_missing && v != bcf_int32_vector_end && v >= 0)
                set = (uint64_t)v + 1;
        }
        if (set == f->ps_last[i]) continue;
        f->ps_last[i] = set;
        if ((rc = segment_writer_add_phase_set(f->w, i, r->contig, r->pos, set, err)) < 0)
            return rc;
    }
    return GN_OK;
}

/* The writer's half of a record: REF check against the store, then the segment. */
static int emit(struct ingest *in, struct infile *f, struct slot *sl, struct gn_err *err)
{
    struct gtrec *r = &sl->rec;
    int rc;
    if (sl->refblock) {
        in->res->n_ref_blocks++;
        for (uint32_t i = 0; i < f->n_samples; i++) {
            if (r->al[2 * i] < 0) continue;
            if ((rc = segment_writer_add_callable(f->w, i, r->contig, r->pos, sl->end, err)) < 0)
                return gn_err_prefix(err, rc, "%s: %s", f->path, sl->where);
        }
        return GN_OK;
    }
    if ((rc = check_ref(in, r, f->path, sl->where, err)) < 0) return rc;
    if ((rc = segment_writer_add(f->w, r, err)) < 0)
        return gn_err_prefix(err, rc, "%s: %s", f->path, sl->where);
    if (f->has_ps && (rc = add_phase_sets(f, sl, err)) < 0)
        return gn_err_prefix(err, rc, "%s: %s", f->path, sl->where);
    in->res->n_records++;
    return GN_OK;
}

/* ---- the reader/writer pipeline ----
 *
 * One thread parses (htslib decode, genotype unpacking), another encodes (REF check,
 * segment writer, zstd); up to PIPE_SLOTS records are in flight. The writer owns the segment
 * writer, the REF-check cache and the result counters; the reader everything else. */

static void *writer_main(void *arg)
{
    struct pipe *p = arg;
    for (;;) {
        struct slot *sl;
        pthread_mutex_lock(&p->mu);
        while (p->head == p->tail && !p->closed) {
            p->writer_waits = 1;
            pthread_cond_wait(&p->cv_get, &p->mu);
            p->writer_waits = 0;
        }
        if (p->head == p->tail) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        sl = &p->slot[p->head % p->n_slots];
        pthread_mutex_unlock(&p->mu);
        int rc = emit(p->in, p->f, sl, &p->err);
        pthread_mutex_lock(&p->mu);
        p->head++;
        if (rc < 0) p->rc = rc;
        /* wake a waiting reader once half the slots are free, or on failure */
        if (p->reader_waits && (rc < 0 || p->tail - p->head <= p->n_slots / 2))
            pthread_cond_signal(&p->cv_put);
        pthread_mutex_unlock(&p->mu);
        if (rc < 0) break;
    }
    return NULL;
}

/* A free slot for the reader, or NULL when the writer has failed. */
static struct slot *pipe_acquire(struct pipe *p)
{
    struct slot *sl = NULL;
    pthread_mutex_lock(&p->mu);
    while (p->tail - p->head >= p->n_slots && p->rc == GN_OK) {
        p->reader_waits = 1;
        pthread_cond_wait(&p->cv_put, &p->mu);
        p->reader_waits = 0;
    }
    if (p->rc == GN_OK) sl = &p->slot[p->tail % p->n_slots];
    pthread_mutex_unlock(&p->mu);
    return sl;
}

/* Publishes the slot; wakes a waiting writer only once a few records are ready, so that a
 * writer faster than the reader is not woken (a futex round trip) for every record. */
static void pipe_publish(struct pipe *p)
{
    pthread_mutex_lock(&p->mu);
    p->tail++;
    if (p->writer_waits && p->tail - p->head >= (p->n_slots < 16 ? 1 : 8))
        pthread_cond_signal(&p->cv_get);
    pthread_mutex_unlock(&p->mu);
}

static void pipe_close(struct pipe *p)
{
    pthread_mutex_lock(&p->mu);
    p->closed = 1;
    pthread_cond_signal(&p->cv_get);
    pthread_mutex_unlock(&p->mu);
}

static int read_file(struct ingest *in, uint32_t fi, struct gn_err *err)
{
    struct infile *f = &in->f[fi];
    htsFile *fp = NULL;
    bcf_hdr_t *h = NULL;
    struct rdstate rs = {0};
    struct pipe *pp;
    pthread_t writer;
    struct stat sb;
    long nrec = 0;
    time_t t0 = time(NULL);
    int rc, is_bcf, started = 0;

    if (!(pp = gn_calloc(1, sizeof *pp))) return gn_errf(err, GN_ENOMEM, "out of memory");
    pthread_mutex_init(&pp->mu, NULL);
    pthread_cond_init(&pp->cv_put, NULL);
    pthread_cond_init(&pp->cv_get, NULL);
    for (int i = 0; i < PIPE_SLOTS; i++)
        gtrec_init(&pp->slot[i].rec);
    if (!(fp = hts_open(f->path, "r"))) {
        rc = gn_errf(err, GN_ENOTFOUND, "%s: cannot open as VCF/BCF", f->path);
        goto out;
    }
    if (fp->format.category != variant_data) {
        rc = gn_errf(err, GN_EPARSE, "%s: not a VCF or BCF file", f->path);
        goto out;
    }
    is_bcf = fp->format.format == bcf;
    /* The reader and the encoder keep two CPUs busy; decompression threads beyond those
     * only contend for them (measured on 2 CPUs: ingest 9.0 s without, 10.5 s with 2). */
    int bgzf_threads = in->o->threads;
    if (bgzf_threads < 0) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        bgzf_threads = ncpu > 2 ? (ncpu - 2 > 4 ? 4 : (int)ncpu - 2) : 0;
    }
    if (bgzf_threads > 0) hts_set_threads(fp, bgzf_threads);
    in->cur_path = f->path;
    in->file_bytes = stat(f->path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
    if (!(h = bcf_hdr_read(fp))) {
        rc = gn_errf(err, GN_EPARSE, "%s: malformed header", f->path);
        goto out;
    }
    if ((rc = map_contigs(in, f->path, h, err)) < 0) goto out;
    if ((rc = check_samples(in, fi, h, err)) < 0) goto out;
    {
        uint32_t *ids = gn_reallocarray(NULL, f->n_samples, sizeof *ids);
        char path[4096];
        if (!ids) {
            rc = gn_errf(err, GN_ENOMEM, "out of memory");
            goto out;
        }
        f->first_id = in->man->next_sample;
        for (uint32_t i = 0; i < f->n_samples; i++)
            ids[i] = f->first_id + i;
        in->man->next_sample += f->n_samples;
        f->seg_id = in->man->next_segment++;
        /* FORMAT/PS as an integer: the segment keeps phase sets (none: no cost) */
        int ps_id = bcf_hdr_id2int(h, BCF_DT_ID, "PS");
        f->has_ps = ps_id >= 0 && bcf_hdr_idinfo_exists(h, BCF_HL_FMT, ps_id) &&
                    bcf_hdr_id2type(h, BCF_HL_FMT, ps_id) == BCF_HT_INT;
        if (f->has_ps && !(f->ps_last = gn_calloc(f->n_samples, sizeof *f->ps_last))) {
            gn_free(ids);
            rc = gn_errf(err, GN_ENOMEM, "out of memory");
            goto out;
        }
        struct segment_writer_opts wo = {.n_samples = f->n_samples,
                                         .sample_ids = ids,
                                         .flags = SEGMENT_FLAG_CALLABILITY |
                                                  (f->has_ps ? SEGMENT_FLAG_PHASESETS : 0)};
        rc = gtstore_segment_path(path, sizeof path, gtstore_dir(in->st), f->seg_id);
        if (rc == GN_OK) rc = segment_writer_open(&f->w, path, &wo, err);
        gn_free(ids);
        if (rc < 0) goto out;
    }
    /* per slot: al and phased (5 bytes a sample) and the BCF record (2 for int8 GT) */
    pp->n_slots = (unsigned)(PIPE_BYTES / ((size_t)f->n_samples * 7 + 256));
    if (pp->n_slots < 8) pp->n_slots = 8;
    if (pp->n_slots > PIPE_SLOTS) pp->n_slots = PIPE_SLOTS;
    for (unsigned i = 0; i < pp->n_slots; i++)
        if ((rc = gtrec_reserve(&pp->slot[i].rec, f->n_samples)) < 0 ||
            !(pp->slot[i].b = bcf_init())) {
            rc = gn_errf(err, GN_ENOMEM, "out of memory");
            goto out;
        }
    pp->in = in;
    pp->f = f;
    if (pthread_create(&writer, NULL, writer_main, pp) != 0) {
        rc = gn_errf(err, GN_EINTERNAL, "cannot start the writer thread");
        goto out;
    }
    started = 1;
    for (;;) {
        struct slot *sl;
        if (!(sl = pipe_acquire(pp))) break; /* the writer failed: its error wins */
        bcf1_t *b = sl->b;                   /* read into the slot: the writer may use it */
        int r = bcf_read(fp, h, b);
        nrec++;
        if (r == -1) break;
        /* A VCF's physical line: htslib counts the lines it reads (fp->lineno, header
         * included), whereas its header records are not the header's lines (it adds a
         * PASS filter the file may lack and drops repeated lines). */
        if (is_bcf)
            snprintf(sl->where, sizeof sl->where, "record %ld", nrec);
        else
            snprintf(sl->where, sizeof sl->where, "line %lld", (long long)fp->lineno);
        if (r == 0 && b->errcode == BCF_ERR_CTG_UNDEF && b->rid >= in->n_rid) {
            /* A contig used but not declared: htslib added it to the header, as bcftools
             * does; map it like any other contig (build checks still apply by name). */
            if ((rc = map_contigs(in, f->path, h, err)) < 0) goto out;
            b->errcode = 0;
        }
        if (r < -1 || b->errcode) {
            rc = gn_errf(err, GN_EPARSE, "%s: %s: malformed record (htslib error %d%s)", f->path,
                         sl->where, b->errcode,
                         b->errcode & BCF_ERR_CTG_UNDEF   ? ": contig not in header"
                         : b->errcode & BCF_ERR_TAG_UNDEF ? ": tag not in header"
                         : b->errcode & BCF_ERR_NCOLS     ? ": wrong number of columns"
                                                          : "");
            goto out;
        }
        if ((rc = rec_one(in, f, h, &rs, sl, err)) < 0) goto out;
        pipe_publish(pp);
        if ((nrec & 4095) == 0) draw_progress(in, fp, (uint64_t)nrec, t0, 0);
    }
    rc = GN_OK;
out:
    if (started) {
        pipe_close(pp);
        pthread_join(writer, NULL);
        if (rc == GN_OK && pp->rc < 0) {
            rc = pp->rc;
            if (err) *err = pp->err;
        }
    }
    if (rc == GN_OK) draw_progress(in, fp, (uint64_t)nrec - 1, t0, 1);
    for (int i = 0; i < PIPE_SLOTS; i++) {
        gtrec_free(&pp->slot[i].rec);
        if (pp->slot[i].b) bcf_destroy(pp->slot[i].b);
        free(pp->slot[i].ps); /* htslib-allocated */
    }
    pthread_mutex_destroy(&pp->mu);
    pthread_cond_destroy(&pp->cv_put);
    pthread_cond_destroy(&pp->cv_get);
    gn_free(pp);
    gn_free(rs.gt);
    if (h) bcf_hdr_destroy(h);
    if (fp) hts_close(fp);
    return rc;
}

static void ingest_cleanup(struct ingest *in)
{
    for (uint32_t i = 0; i < in->n_files; i++) {
        segment_writer_free(in->f[i].w); /* unlinks unfinished segments */
        gn_free(in->f[i].pseud);
        gn_free(in->f[i].row);
        gn_free(in->f[i].ps_last);
    }
    if (in->snap && in->refblk)
        for (uint32_t s = 0; s < in->snap->n_seg; s++)
            segment_block_free(&in->refblk[s]);
    gn_free(in->refblk);
    gtsnap_free(in->snap);
    gn_free(in->f);
    gn_free(in->rid_map);
    pseudonym_wipe(&in->key);
    if (in->ents) sodium_memzero(in->ents, in->n_ents * sizeof *in->ents);
    gn_free(in->ents);
    gn_free(in->seen);
    samplesheet_free(in->sheet);
    catalog_close(in->cat);
    gtstore_close(in->st);
}

static int open_parts(struct ingest *in, const char *dir, struct gn_err *err)
{
    char path[4096];
    int rc;

    if ((rc = gtstore_open_writer(&in->st, dir, err)) < 0) return rc;
    in->man = gtstore_manifest(in->st);
    if (node_key_path(path, sizeof path, dir) < 0) return gn_errf(err, GN_ELIMIT, "path too long");
    if ((rc = pseudonym_load(&in->key, path, err)) < 0) return rc;
    if (node_catalog_target(path, sizeof path, dir) < 0)
        return gn_errf(err, GN_ELIMIT, "path too long");
    if ((rc = catalog_open(&in->cat, path, err)) < 0) return rc;
    if ((rc = catalog_purge_uncommitted(in->cat, in->man->next_sample, err)) < 0) return rc;
    if ((rc = gtsnap_open(&in->snap, dir, err)) < 0) return rc;
    in->refblk = gn_calloc(in->snap->n_seg + 1, sizeof *in->refblk);
    if (!in->refblk) return gn_errf(err, GN_ENOMEM, "out of memory");
    for (uint32_t s = 0; s < in->snap->n_seg; s++)
        segment_block_init(&in->refblk[s]);
    return GN_OK;
}

/* Catalog rows first, then the manifest: the manifest rename is the commit point. */
static int commit_batch(struct ingest *in, struct gn_err *err)
{
    uint32_t first = in->n_files ? in->f[0].first_id : 0, total = 0;
    int rc;

    for (uint32_t i = 0; i < in->n_files; i++) {
        if ((rc = segment_writer_finish(in->f[i].w, err)) < 0) return rc;
        total += in->f[i].n_samples;
        rc = gtstore_add_segment(in->st, in->f[i].seg_id, in->f[i].n_samples,
                                 segment_writer_n_sites(in->f[i].w), err);
        if (rc < 0) return rc;
    }
    if ((rc = catalog_begin(in->cat, err)) < 0) return rc;
    if ((rc = catalog_batch_add(in->cat, in->o->batch, first, total, err)) < 0) goto fail;
    for (uint32_t i = 0; i < in->n_files; i++)
        for (uint32_t j = 0; j < in->f[i].n_samples; j++) {
            int64_t ind = 0, ds = 0;
            if (in->f[i].row[j] >= 0 &&
                (rc = record_person(in, &in->ents[in->f[i].row[j]], &ind, &ds, err)) < 0)
                goto fail;
            if ((rc = catalog_sample_add(in->cat, in->f[i].first_id + j, in->f[i].pseud[j],
                                         in->o->batch, ind, ds, err)) < 0)
                goto fail;
        }
    for (uint32_t i = 0; i < in->n_files; i++)
        if ((rc = catalog_sample_set_segment(in->cat, in->f[i].first_id, in->f[i].n_samples,
                                             in->f[i].seg_id, err)) < 0)
            goto fail;
    if ((rc = catalog_commit(in->cat, err)) < 0) goto fail;
    if ((rc = gtstore_commit(in->st, err)) < 0) return rc;
    /* Committed: the segments are the store's now; keep the writers from unlinking them. */
    in->res->n_samples = total;
    return GN_OK;
fail:
    catalog_rollback(in->cat);
    return rc;
}

int ingest_run(const char *dir, const char *const *files, uint32_t n_files,
               const struct ingest_opts *o, struct ingest_result *res, struct gn_err *err)
{
    struct ingest in;
    int rc;

    memset(&in, 0, sizeof in);
    memset(res, 0, sizeof *res);
    in.o = o;
    in.res = res;
    if (!o->batch || !*o->batch) return gn_errf(err, GN_EINVAL, "a batch name is required");
    if (n_files == 0) return gn_errf(err, GN_EINVAL, "no input files");
    if ((rc = open_parts(&in, dir, err)) < 0) goto out;
    if (!(in.f = gn_calloc(n_files, sizeof *in.f))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    in.n_files = n_files;
    for (uint32_t i = 0; i < n_files; i++)
        in.f[i].path = files[i];
    if (o->manifest && (rc = load_manifest(&in, err)) < 0) goto out;
    for (uint32_t i = 0; i < n_files; i++)
        if ((rc = read_file(&in, i, err)) < 0) goto out;
    for (size_t i = 0; i < in.n_ents; i++)
        if (!in.ents[i].used) {
            rc = gn_errf(err, GN_EINVAL, "%s:%ld: sample '%s' is in none of the input files",
                         o->manifest, samplesheet_row(in.sheet, in.ents[i].row)->line,
                         in.ents[i].sample_id);
            goto out;
        }
    res->n_files = n_files;
    rc = commit_batch(&in, err);
    for (uint32_t i = 0; rc == GN_OK && i < n_files; i++)
        res->bytes_written += segment_file_bytes_of(in.f[i].w);
out:
    if (rc < 0) gn_err_prefix(err, rc, "batch '%s' rejected, store unchanged", o->batch);
    ingest_cleanup(&in);
    return rc;
}
