/*
 * query.c — counts, frequencies and VCF/BCF export over a snapshot.
 *
 * Frequencies never decode genotypes unless a mask asks for it: with no sub-cohort and
 * no withdrawn samples, each site's AC/AN come from the block's record table, so a
 * whole-population scan reads only the small record-table frames. With a mask, the
 * payload is decoded and counted with AND + popcount on the bitplanes.
 *
 * Sites of several segments at one position are matched on (REF, ALT, occurrence):
 * the same allele ingested in two batches is one row with summed counts.
 */
#include "query.h"

#include <htslib/hts.h>
#include <htslib/vcf.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

struct key {
    uint32_t seg, rec, site, occ;
    struct query_row row;
    uint64_t seen; /* bit per segment that had this key (first 64 segments) */
    uint8_t *seen_all;
};

struct fstate {
    struct key *k;
    uint32_t n, cap;
    uint8_t *seen; /* n_seg bytes per key */
    size_t seen_cap;
};

static int same_site(const struct segment_block *a, uint32_t ra, uint32_t sa,
                     const struct segment_block *b, uint32_t rb, uint32_t sb)
{
    const struct segment_record *x = &a->rec[ra], *y = &b->rec[rb];
    const struct segment_site *s = &a->site[sa], *t = &b->site[sb];
    return x->ref_len == y->ref_len && s->alt_len == t->alt_len &&
           !memcmp(x->ref, y->ref, x->ref_len) && !memcmp(s->alt, t->alt, s->alt_len);
}

static int group_position(const struct gtsnap *snap, const struct gtscan_pos *p, struct fstate *fs,
                          struct gn_err *err)
{
    uint32_t total = 0;
    int rc;

    for (uint32_t s = 0; s < p->n_seg; s++) {
        for (uint32_t r = p->seg[s].r0; r < p->seg[s].r1; r++) {
            total += p->seg[s].blk->rec[r].n_alt;
        }
    }
    if (total > fs->cap) {
        struct key *k = gn_reallocarray(fs->k, total, sizeof *k);
        if (!k) return gn_errf(err, GN_ENOMEM, "out of memory");
        fs->k = k;
        fs->cap = total;
    }
    if ((size_t)total * p->n_seg > fs->seen_cap) {
        uint8_t *sn = gn_reallocarray(fs->seen, (size_t)total * p->n_seg, 1);
        if (!sn) return gn_errf(err, GN_ENOMEM, "out of memory");
        fs->seen = sn;
        fs->seen_cap = (size_t)total * p->n_seg;
    }
    fs->n = 0;
    for (uint32_t s = 0; s < p->n_seg; s++) {
        struct segment_block *b = p->seg[s].blk;
        for (uint32_t r = p->seg[s].r0; r < p->seg[s].r1; r++) {
            for (uint32_t t = 0; t < b->rec[r].n_alt; t++) {
                uint32_t site = b->rec[r].first_site + t, occ = 0, j;
                struct segment_stats st;
                for (uint32_t r2 = p->seg[s].r0; r2 < r; r2++) {
                    for (uint32_t t2 = 0; t2 < b->rec[r2].n_alt; t2++) {
                        occ += same_site(b, r2, b->rec[r2].first_site + t2, b, r, site);
                    }
                }
                for (j = 0; j < fs->n; j++) {
                    struct key *k = &fs->k[j];
                    if (!fs->seen[(size_t)j * p->n_seg + s] && k->occ == occ &&
                        same_site(p->seg[k->seg].blk, k->rec, k->site, b, r, site)) {
                        break;
                    }
                }
                if (j == fs->n) {
                    /* the sizes above counted every ALT of the position: never more keys */
                    if (j >= fs->cap || (size_t)(j + 1) * p->n_seg > fs->seen_cap) {
                        return gn_errf(err, GN_EINTERNAL, "frequency: more sites than counted");
                    }
                    struct key *k = &fs->k[fs->n++];
                    memset(k, 0, sizeof *k);
                    k->seg = s;
                    k->rec = r;
                    k->site = site;
                    k->occ = occ;
                    k->row.chrom = snap->man.contig[p->contig].name;
                    k->row.pos = p->pos;
                    k->row.ref = b->rec[r].ref;
                    k->row.ref_len = b->rec[r].ref_len;
                    k->row.alt = b->site[site].alt;
                    k->row.alt_len = b->site[site].alt_len;
                    memset(fs->seen + (size_t)j * p->n_seg, 0, p->n_seg);
                }
                if ((rc = segment_site_stats(snap->seg[s], b, r, site, &st, err)) < 0) return rc;
                fs->seen[(size_t)j * p->n_seg + s] = 1;
                fs->k[j].row.ac += st.ac;
                fs->k[j].row.an += st.an;
                fs->k[j].row.het += st.het;
                fs->k[j].row.hom += st.hom;
            }
        }
    }
    return GN_OK;
}

/* Samples of segments without the site: hom-ref where their gVCF said callable. */
static void add_callable(const struct gtsnap *snap, const struct gtscan_pos *p,
                         uint64_t *const *masks, struct fstate *fs)
{
    for (uint32_t s = 0; s < p->n_seg; s++) {
        if (!segment_has_callability(snap->seg[s])) continue;
        const uint64_t *m = masks ? masks[s] : snap->live[s];
        uint32_t c = 0;
        int counted = 0;
        for (uint32_t j = 0; j < fs->n; j++) {
            if (fs->seen[(size_t)j * p->n_seg + s]) continue;
            if (!counted) {
                c = segment_callable_count(snap->seg[s], p->contig, p->pos, m);
                counted = 1;
            }
            fs->k[j].row.an += 2 * c;
        }
    }
}

/* query_freq with caller-provided block storage (NULL: the scan's own). */
static int freq_scan(const struct gtsnap *snap, uint32_t contig, int64_t start, int64_t end,
                     uint64_t *const *masks, struct segment_block *blocks, unsigned flags,
                     int (*row)(void *ctx, const struct query_row *r), void *ctx,
                     struct gn_err *err)
{
    struct gtscan *sc = NULL;
    struct gtscan_pos p;
    struct fstate fs = {0};
    const uint64_t *const *mk =
        masks ? (const uint64_t *const *)masks : (const uint64_t *const *)snap->live;
    struct gtscan_opts o = {contig, start, end,    mk,
                            NULL,   0,     blocks, (flags & QUERY_AC_AN_ONLY) != 0};
    int rc;

    if ((rc = gtscan_new(snap, &o, &sc, err)) < 0) return rc;
    while ((rc = gtscan_next(sc, &p, err)) == 1) {
        if ((rc = group_position(snap, &p, &fs, err)) < 0) break;
        add_callable(snap, &p, masks, &fs);
        for (uint32_t j = 0; j < fs.n && rc >= 0; j++) {
            if ((rc = row(ctx, &fs.k[j].row)) != 0) break;
        }
        if (rc != 0) break; /* an error, or row() asked to stop */
    }
    gn_free(fs.k);
    gn_free(fs.seen);
    gtscan_free(sc);
    return rc;
}

int query_freq(const struct gtsnap *snap, uint32_t contig, int64_t start, int64_t end,
               uint64_t *const *masks, int (*row)(void *ctx, const struct query_row *r), void *ctx,
               struct gn_err *err)
{
    return freq_scan(snap, contig, start, end, masks, NULL, 0, row, ctx, err);
}

/* ---- the same scan on several threads ----
 *
 * The genome is cut into chunks at block boundaries of the largest segment (a position
 * never straddles two chunks); workers scan chunks and format their rows into the chunk's
 * text, and the caller's thread writes the texts in genome order. Formatting on the workers
 * keeps the caller's thread (the only one that must be in order) to one write per chunk;
 * keeping rows as structs with copied alleles for it to format cost more than the
 * formatting. Workers run at most a window of chunks ahead of the writer, so memory stays
 * bounded. */

#define PAR_MAX_CHUNKS (1u << 20)
#define PAR_TEXT_MAX   ((size_t)1 << 30)

struct par_chunk {
    uint32_t contig;
    int64_t start, end;
    struct gn_buf text;
    uint64_t n_rows;
    int rc, done;
    struct gn_err err;
};

struct par {
    const struct gtsnap *snap;
    uint64_t *const *masks;
    unsigned flags;
    query_fmt_fn *fmt;
    const void *fctx;
    struct par_chunk *ch;
    uint32_t n_ch, next, printed, window;
    int stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

struct par_sink {
    const struct par *p;
    struct par_chunk *c;
};

static int format_row(void *ctx, const struct query_row *r)
{
    struct par_sink *k = ctx;
    int rc = k->p->fmt(k->p->fctx, &k->c->text, r);
    if (rc < 0) return rc;
    k->c->n_rows++;
    return 0;
}

static void *par_worker(void *arg)
{
    struct par *p = arg;
    /* Block buffers of this thread, kept across its chunks: fresh ones per chunk cost page
     * faults, and a chunk often starts in the block where this thread's last one ended. */
    struct segment_block *blocks = gn_calloc(p->snap->n_seg + 1, sizeof *blocks);
    for (uint32_t s = 0; blocks && s < p->snap->n_seg; s++)
        segment_block_init(&blocks[s]);
    for (;;) {
        uint32_t i;
        pthread_mutex_lock(&p->mu);
        while (!p->stop && p->next < p->n_ch && p->next >= p->printed + p->window)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop || p->next >= p->n_ch) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        i = p->next++;
        pthread_mutex_unlock(&p->mu);
        struct par_chunk *c = &p->ch[i];
        struct par_sink k = {p, c};
        int rc = freq_scan(p->snap, c->contig, c->start, c->end, p->masks, blocks, p->flags,
                           format_row, &k, &c->err);
        pthread_mutex_lock(&p->mu);
        c->rc = rc;
        if (rc < 0 && !c->err.msg[0]) c->rc = gn_errf(&c->err, rc, "%s", gn_strerror(rc));
        c->done = 1;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    for (uint32_t s = 0; blocks && s < p->snap->n_seg; s++)
        segment_block_free(&blocks[s]);
    gn_free(blocks);
    return NULL;
}

/* Chunks: per contig, cut at every step-th block of the largest segment. Two passes: count,
 * then fill (the table is sized to what the store needs, not to PAR_MAX_CHUNKS: zeroing a
 * megabyte showed in every small query). */
static uint32_t cut_chunks(struct par *p, const struct segment *big, uint32_t nb, uint32_t step,
                           uint32_t contig, int64_t start, int64_t end)
{
    const struct gtsnap *snap = p->snap;
    uint32_t n = 0;
    for (uint32_t c = 0; c < snap->man.n_contigs; c++) {
        if (contig != UINT32_MAX && c != contig) continue;
        int64_t lo = contig == UINT32_MAX ? 1 : start, hi = contig == UINT32_MAX ? INT64_MAX : end;
        int64_t from = lo;
        for (uint32_t b = big ? segment_find_block(big, c, lo) : nb; b < nb; b += step) {
            const struct segment_block_info *bi = segment_block_info(big, b);
            if (!bi || bi->contig != c || bi->first_pos > hi) break;
            if (bi->first_pos > from) {
                if (p->ch)
                    p->ch[n] =
                        (struct par_chunk){.contig = c, .start = from, .end = bi->first_pos - 1};
                n++;
                from = bi->first_pos;
            }
        }
        if (p->ch) p->ch[n] = (struct par_chunk){.contig = c, .start = from, .end = hi};
        n++;
    }
    return n;
}

static int plan_chunks(struct par *p, unsigned threads, uint32_t contig, int64_t start, int64_t end)
{
    const struct gtsnap *snap = p->snap;
    const struct segment *big = NULL;
    uint32_t nb = 0;
    for (uint32_t s = 0; s < snap->n_seg; s++)
        if (segment_n_blocks(snap->seg[s]) >= nb) {
            big = snap->seg[s];
            nb = segment_n_blocks(big);
        }
    /* About 8 chunks per thread balance the load; more cost a wake-up of the printer each
     * (on the 3,202-sample panel, chunks of one block meant 300 context switches a query).
     * At most 64 blocks a chunk bounds the rows held in the window. */
    uint32_t step = nb / (8 * threads);
    step = step < 1 ? 1 : step > 64 ? 64 : step;
    uint32_t n = cut_chunks(p, big, nb, step, contig, start, end);
    if (n > PAR_MAX_CHUNKS) return GN_ELIMIT;
    if (!(p->ch = gn_calloc(n + 1, sizeof *p->ch))) return GN_ENOMEM;
    p->n_ch = cut_chunks(p, big, nb, step, contig, start, end);
    return GN_OK;
}

/* One thread: the rows formatted and written as they come. */
struct serial_sink {
    query_fmt_fn *fmt;
    const void *fctx;
    query_out_fn *out;
    void *octx;
    struct gn_buf text;
    uint64_t n_rows;
};

static int serial_row(void *ctx, const struct query_row *r)
{
    struct serial_sink *k = ctx;
    int rc = k->fmt(k->fctx, &k->text, r);
    if (rc < 0) return rc;
    k->n_rows++;
    if (k->text.len >= 60000) {
        rc = k->out(k->octx, k->text.data, k->text.len);
        gn_buf_reset(&k->text);
    }
    return rc;
}

static int freq_serial(const struct gtsnap *snap, uint32_t contig, int64_t start, int64_t end,
                       uint64_t *const *masks, unsigned flags, query_fmt_fn *fmt, const void *fctx,
                       query_out_fn *out, void *octx, uint64_t *n_rows, struct gn_err *err)
{
    struct serial_sink k = {fmt, fctx, out, octx, {0}, 0};
    gn_buf_init(&k.text, PAR_TEXT_MAX);
    int rc = freq_scan(snap, contig, start, end, masks, NULL, flags, serial_row, &k, err);
    if (rc == GN_OK && k.text.len) rc = out(octx, k.text.data, k.text.len);
    if (rc > 0)
        rc = gn_errf(err, GN_EIO, "writing the rows failed");
    else if (rc < 0 && !err->msg[0])
        rc = gn_errf(err, rc, "%s", gn_strerror(rc));
    gn_buf_free(&k.text);
    *n_rows = k.n_rows;
    return rc;
}

int query_freq_par(const struct gtsnap *snap, uint32_t contig, int64_t start, int64_t end,
                   uint64_t *const *masks, unsigned threads, unsigned flags, query_fmt_fn *fmt,
                   const void *fctx, query_out_fn *out, void *octx, uint64_t *n_rows,
                   struct gn_err *err)
{
    struct par p = {0};
    pthread_t tid[16];
    unsigned started = 0;
    int rc = GN_OK;

    *n_rows = 0;
    if (threads < 2)
        return freq_serial(snap, contig, start, end, masks, flags, fmt, fctx, out, octx, n_rows,
                           err);
    if (threads > 16) threads = 16;
    p.snap = snap;
    p.masks = masks;
    p.flags = flags;
    p.fmt = fmt;
    p.fctx = fctx;
    p.window = 4 * threads;
    if ((rc = plan_chunks(&p, threads, contig, start, end)) < 0) {
        gn_free(p.ch);
        /* too fine a genome for the chunk table: one thread does it all */
        return rc == GN_ELIMIT ? freq_serial(snap, contig, start, end, masks, flags, fmt, fctx, out,
                                             octx, n_rows, err)
                               : gn_errf(err, rc, "out of memory");
    }
    for (uint32_t i = 0; i < p.n_ch; i++)
        gn_buf_init(&p.ch[i].text, PAR_TEXT_MAX);
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    for (; started < threads; started++)
        if (pthread_create(&tid[started], NULL, par_worker, &p) != 0) break;
    if (!started) {
        rc = freq_serial(snap, contig, start, end, masks, flags, fmt, fctx, out, octx, n_rows, err);
        goto out;
    }
    for (uint32_t i = 0; i < p.n_ch && rc == GN_OK; i++) {
        struct par_chunk *c = &p.ch[i];
        pthread_mutex_lock(&p.mu);
        while (!c->done)
            pthread_cond_wait(&p.cv, &p.mu);
        pthread_mutex_unlock(&p.mu);
        if (c->rc < 0) {
            rc = c->rc;
            if (err) *err = c->err;
        } else if (c->text.len && out(octx, c->text.data, c->text.len) != 0) {
            rc = gn_errf(err, GN_EIO, "writing the rows failed");
        }
        *n_rows += c->n_rows;
        gn_buf_free(&c->text);
        pthread_mutex_lock(&p.mu);
        p.printed = i + 1;
        if (rc != GN_OK) p.stop = 1;
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
    }
    pthread_mutex_lock(&p.mu);
    p.stop = 1;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
out:
    for (unsigned t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    for (uint32_t i = 0; i < p.n_ch; i++)
        gn_buf_free(&p.ch[i].text);
    gn_free(p.ch);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    return rc;
}

struct count_ctx {
    const char *ref, *alt;
    struct query_row *out;
    int found;
};

static int count_row(void *vctx, const struct query_row *r)
{
    struct count_ctx *c = vctx;
    if (c->found) return 0;
    if (r->ref_len == strlen(c->ref) && r->alt_len == strlen(c->alt) &&
        !strncasecmp(r->ref, c->ref, r->ref_len) && !strncasecmp(r->alt, c->alt, r->alt_len)) {
        *c->out = *r;
        c->found = 1;
    } else if (!c->found && c->out->an < r->an) {
        c->out->an = r->an; /* the position is called: AN from its records */
    }
    return 0;
}

int query_count(const struct gtsnap *snap, uint32_t contig, int64_t pos, const char *ref,
                const char *alt, uint64_t *const *masks, struct query_row *out, int *found,
                struct gn_err *err)
{
    struct count_ctx c = {ref, alt, out, 0};
    int rc;
    memset(out, 0, sizeof *out);
    rc = query_freq(snap, contig, pos, pos, masks, count_row, &c, err);
    if (rc < 0) return rc;
    *found = c.found;
    if (!c.found) {
        /* Absent allele: nobody carries it; AN is what the position's calls say. */
        out->ac = out->het = out->hom = 0;
        if (out->an == 0) {
            for (uint32_t s = 0; s < snap->n_seg; s++) {
                out->an += 2 * segment_callable_count(snap->seg[s], contig, pos,
                                                      masks ? masks[s] : snap->live[s]);
            }
        }
    }
    return GN_OK;
}

/* ---- export ---- */

static bcf_hdr_t *export_header(const struct gtsnap *snap, const struct query_export_opts *o,
                                uint32_t n, int with_ps, struct gn_err *err)
{
    bcf_hdr_t *h = bcf_hdr_init("w");
    char line[1024];
    if (!h) goto oom;
    if (bcf_hdr_append(h, "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">") < 0) {
        goto oom;
    }
    if (with_ps &&
        bcf_hdr_append(h, "##FORMAT=<ID=PS,Number=1,Type=Integer,Description=\"Phase set\">") < 0)
        goto oom;
    /* Contig names are at most CONTIG_NAME_MAX bytes: the lines below always fit. */
    (void)snprintf(line, sizeof line, "##source=genomenode;reference=%s",
                   contig_build_name(snap->man.build));
    if (bcf_hdr_append(h, line) < 0) goto oom;
    for (uint32_t i = 0; i < snap->man.n_contigs; i++) {
        const struct gtstore_contig *c = &snap->man.contig[i];
        if (c->length > 0) {
            (void)snprintf(line, sizeof line, "##contig=<ID=%s,length=%lld>", c->name,
                           (long long)c->length);
        } else {
            (void)snprintf(line, sizeof line, "##contig=<ID=%s>", c->name);
        }
        if (bcf_hdr_append(h, line) < 0) goto oom;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (bcf_hdr_add_sample(h, o->names[i]) < 0) goto oom;
    }
    if (bcf_hdr_sync(h) < 0) goto oom;
    return h;
oom:
    if (h) bcf_hdr_destroy(h);
    gn_errf(err, GN_ENOMEM, "cannot build the VCF header");
    return NULL;
}

static int export_record(bcf_hdr_t *h, bcf1_t *b, const struct gtrec *r, const char *chrom,
                         int32_t *gt)
{
    const char *al[GTREC_MAX_ALT + 1];
    bcf_clear(b);
    b->rid = bcf_hdr_name2id(h, chrom);
    b->pos = r->pos - 1;
    al[0] = r->ref;
    for (uint32_t k = 0; k < r->n_alt; k++) {
        al[k + 1] = r->alt[k];
    }
    if (bcf_update_alleles(h, b, al, (int)r->n_alt + 1) < 0) return -1;
    for (uint32_t i = 0; i < r->n_samples; i++) {
        int16_t a0 = r->al[(size_t)2 * i], a1 = r->al[(size_t)2 * i + 1];
        gt[(size_t)2 * i] = a0 < 0 ? bcf_gt_missing : bcf_gt_unphased(a0);
        if (a1 == GTREC_NONE) {
            gt[(size_t)2 * i + 1] = bcf_int32_vector_end;
        } else if (a1 < 0) {
            gt[(size_t)2 * i + 1] = r->phased[i] ? bcf_gt_phased(-1) : bcf_gt_missing;
        } else {
            gt[(size_t)2 * i + 1] = r->phased[i] ? bcf_gt_phased(a1) : bcf_gt_unphased(a1);
        }
    }
    return bcf_update_genotypes(h, b, gt, (int)r->n_samples * 2);
}

/* FORMAT/PS of r's phased, called genotypes whose set is not the default (the PS they were
 * ingested with); seg and local locate each output sample. Nothing when none has one. */
static int export_ps(bcf_hdr_t *h, bcf1_t *b, const struct gtsnap *snap, const struct gtrec *r,
                     const uint32_t *seg, const uint32_t *local, int32_t *ps)
{
    int any = 0;
    for (uint32_t i = 0; i < r->n_samples; i++) {
        uint64_t set = 0;
        ps[i] = bcf_int32_missing;
        if (r->phased[i] && r->al[(size_t)2 * i] >= 0 && r->al[(size_t)2 * i + 1] >= 0)
            set = segment_phase_set(snap->seg[seg[i]], local[i], r->contig, r->pos);
        if (set) {
            ps[i] = (int32_t)(set - 1); /* at most INT32_MAX: the reader checks */
            any = 1;
        }
    }
    return any ? bcf_update_format_int32(h, b, "PS", ps, (int)r->n_samples) : 0;
}

int query_export(const struct gtsnap *snap, const struct query_export_opts *o, uint64_t *n_written,
                 struct gn_err *err)
{
    struct gtmerge *m = NULL;
    struct gtrec r;
    htsFile *fp = NULL;
    bcf_hdr_t *h = NULL;
    bcf1_t *b = NULL;
    int32_t *gt = NULL, *ps = NULL;
    uint32_t n, *seg = NULL, *local = NULL;
    int rc, with_ps = 0;

    *n_written = 0;
    gtrec_init(&r);
    if ((rc = gtmerge_new(snap, o->contig, o->start, o->end, o->ids, o->n_ids, &m, err)) < 0) {
        goto out;
    }
    const uint32_t *ids = gtmerge_samples(m, &n);
    for (uint32_t s = 0; s < snap->n_seg; s++)
        with_ps |= segment_has_phase_sets(snap->seg[s]);
    if (with_ps) { /* where each output sample's phase sets are */
        seg = gn_reallocarray(NULL, (size_t)n + 1, sizeof *seg);
        local = gn_reallocarray(NULL, (size_t)n + 1, sizeof *local);
        ps = gn_reallocarray(NULL, (size_t)n + 1, sizeof *ps);
        if (!seg || !local || !ps) {
            rc = gn_errf(err, GN_ENOMEM, "out of memory");
            goto out;
        }
        for (uint32_t j = 0; j < n; j++) {
            if ((rc = gtsnap_find_sample(snap, ids[j], &seg[j], &local[j])) < 0) {
                rc = gn_errf(err, rc, "sample %u is in no segment", ids[j]);
                goto out;
            }
        }
    }
    if (!(h = export_header(snap, o, n, with_ps, err))) {
        rc = GN_ENOMEM;
        goto out;
    }
    if (!(fp = hts_open(o->path, o->mode))) {
        rc = gn_errf(err, GN_EIO, "%s: cannot open for writing", o->path);
        goto out;
    }
    if (bcf_hdr_write(fp, h) < 0 || !(b = bcf_init()) ||
        !(gt = gn_reallocarray(NULL, (size_t)n * 2 + 2, sizeof *gt))) {
        rc = gn_errf(err, GN_EIO, "%s: cannot write header", o->path);
        goto out;
    }
    while ((rc = gtmerge_next(m, &r, err)) == 1) {
        if (o->nonref_only) {
            int any = 0;
            for (uint32_t i = 0; i < 2 * n && !any; i++) {
                any = r.al[i] > 0;
            }
            if (!any) continue;
        }
        if (export_record(h, b, &r, snap->man.contig[r.contig].name, gt) < 0 ||
            (with_ps && export_ps(h, b, snap, &r, seg, local, ps) < 0) || bcf_write(fp, h, b) < 0) {
            rc = gn_errf(err, GN_EIO, "%s: write failed", o->path);
            goto out;
        }
        (*n_written)++;
    }
out:
    gn_free(gt);
    gn_free(ps);
    gn_free(seg);
    gn_free(local);
    if (b) bcf_destroy(b);
    if (fp && hts_close(fp) < 0 && rc >= 0) rc = gn_errf(err, GN_EIO, "%s: close failed", o->path);
    if (h) bcf_hdr_destroy(h);
    gtmerge_free(m);
    gtrec_free(&r);
    return rc < 0 ? rc : GN_OK;
}
