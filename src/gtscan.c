/*
 * gtscan.c — reading a snapshot in genome order: position scans, merged records and
 * compaction.
 *
 * gtscan walks every segment's blocks with one cursor per segment and yields, position
 * by position, which records of which segment lie there (a k-way merge on (contig,
 * pos); the writer guarantees a position's records share one block). Site-level
 * queries (counts, frequencies) consume this directly and never build genotype
 * matrices.
 *
 * gtmerge builds full genotype records across segments for export, one-sample fetches
 * and compaction. Records of different segments are the same record when position, REF
 * and the ALT list are equal (and, for repeated identical records, the same occurrence
 * number). A sample whose segment has no such record is hom-ref if its gVCF declared
 * the position callable and missing otherwise, which is exactly what a joint call of
 * the two batches would have said about it.
 */
#include "gtstore.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"

struct cursor {
    uint32_t bi, ri, r1;
    int done, pending;
    int empty;                 /* the mask selects no sample: record tables only, counts are zero */
    struct segment_block *blk; /* own_blk, or the caller's (gtscan_opts.blocks) */
    struct segment_block own_blk;
};

struct gtscan {
    const struct gtsnap *snap;
    struct gtscan_opts o;
    struct cursor *cur;
    struct gtscan_seg *out;
};

static int seg_used(const struct gtscan *sc, uint32_t i)
{
    return !sc->o.use_seg || sc->o.use_seg[i];
}

static const uint64_t *seg_mask(const struct gtscan *sc, uint32_t i)
{
    return sc->o.masks ? sc->o.masks[i] : NULL;
}

/* Positions the cursor on the first record at or after (its block, its ri) that lies
 * in the region, loading blocks as needed. */
static int cursor_settle(struct gtscan *sc, uint32_t i, struct gn_err *err)
{
    struct cursor *c = &sc->cur[i];
    const struct segment *s = sc->snap->seg[i];
    int rc;

    while (!c->done) {
        const struct segment_block_info *bi = segment_block_info(s, c->bi);
        if (!bi || (sc->o.contig != UINT32_MAX &&
                    (bi->contig != sc->o.contig || bi->first_pos > sc->o.end))) {
            c->done = 1;
            break;
        }
        int decode = sc->o.decode || (seg_mask(sc, i) != NULL && !c->empty);
        if (c->blk->index != c->bi || (decode && !c->blk->has_payload) ||
            c->blk->mask != seg_mask(sc, i)) {
            if ((rc = segment_block_load(s, c->bi, c->blk, decode, err)) < 0) return rc;
            segment_block_set_mask(c->blk, s, seg_mask(sc, i));
        }
        c->blk->ac_only = sc->o.ac_only;
        while (c->ri < c->blk->n_records && sc->o.contig != UINT32_MAX &&
               c->blk->rec[c->ri].pos < sc->o.start) {
            c->ri++;
        }
        if (c->ri < c->blk->n_records) {
            if (sc->o.contig != UINT32_MAX && c->blk->rec[c->ri].pos > sc->o.end) c->done = 1;
            break;
        }
        c->bi++;
        c->ri = 0;
    }
    return GN_OK;
}

int gtscan_new(const struct gtsnap *snap, const struct gtscan_opts *o, struct gtscan **out,
               struct gn_err *err)
{
    struct gtscan *sc;
    int rc;

    *out = NULL;
    if (!(sc = gn_calloc(1, sizeof *sc))) return gn_errf(err, GN_ENOMEM, "out of memory");
    sc->snap = snap;
    sc->o = *o;
    sc->cur = gn_calloc(snap->n_seg + 1, sizeof *sc->cur);
    sc->out = gn_calloc(snap->n_seg + 1, sizeof *sc->out);
    if (!sc->cur || !sc->out) {
        gtscan_free(sc);
        return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < snap->n_seg; i++) {
        struct cursor *c = &sc->cur[i];
        segment_block_init(&c->own_blk);
        c->blk = o->blocks ? &o->blocks[i] : &c->own_blk;
        if (!seg_used(sc, i)) {
            c->done = 1;
            continue;
        }
        if (seg_mask(sc, i)) {
            const uint64_t *m = seg_mask(sc, i);
            uint32_t words = (segment_n_samples(snap->seg[i]) + 63) / 64;
            c->empty = 1;
            for (uint32_t w = 0; w < words && c->empty; w++)
                c->empty = m[w] == 0;
        }
        c->bi = o->contig == UINT32_MAX ? 0 : segment_find_block(snap->seg[i], o->contig, o->start);
        if ((rc = cursor_settle(sc, i, err)) < 0) {
            gtscan_free(sc);
            return rc;
        }
    }
    *out = sc;
    return GN_OK;
}

void gtscan_free(struct gtscan *sc)
{
    if (!sc) return;
    if (sc->cur) {
        for (uint32_t i = 0; i < sc->snap->n_seg; i++) {
            segment_block_free(&sc->cur[i].own_blk);
        }
    }
    gn_free(sc->cur);
    gn_free(sc->out);
    gn_free(sc);
}

int gtscan_next(struct gtscan *sc, struct gtscan_pos *out, struct gn_err *err)
{
    uint32_t n = sc->snap->n_seg, best_contig = UINT32_MAX;
    int64_t best_pos = INT64_MAX;
    int rc, any = 0;

    for (uint32_t i = 0; i < n; i++) {
        struct cursor *c = &sc->cur[i];
        if (c->pending) {
            c->pending = 0;
            c->ri = c->r1;
            if ((rc = cursor_settle(sc, i, err)) < 0) return rc;
        }
        if (c->done) continue;
        const struct segment_record *r = &c->blk->rec[c->ri];
        if (!any || c->blk->contig < best_contig ||
            (c->blk->contig == best_contig && r->pos < best_pos)) {
            best_contig = c->blk->contig;
            best_pos = r->pos;
            any = 1;
        }
    }
    if (!any) return 0;
    for (uint32_t i = 0; i < n; i++) {
        struct cursor *c = &sc->cur[i];
        sc->out[i] = (struct gtscan_seg){c->blk, 0, 0};
        if (c->done || c->blk->contig != best_contig || c->blk->rec[c->ri].pos != best_pos)
            continue;
        c->r1 = c->ri;
        while (c->r1 < c->blk->n_records && c->blk->rec[c->r1].pos == best_pos) {
            c->r1++;
        }
        sc->out[i].r0 = c->ri;
        sc->out[i].r1 = c->r1;
        c->pending = 1;
    }
    out->contig = best_contig;
    out->pos = best_pos;
    out->n_seg = n;
    out->seg = sc->out;
    return 1;
}

/* ------------------------------------------------------------------------------------ */
/* Merged records                                                                        */
/* ------------------------------------------------------------------------------------ */

struct mrec {
    uint32_t seg0, rec0; /* where the key was first seen */
    uint32_t occ;        /* occurrence of this key within seg0's position group */
    int32_t *comp;       /* per segment: record index in that block, or -1 */
};

struct gtmerge {
    const struct gtsnap *snap;
    struct gtscan *scan;
    struct gtscan_pos pos;
    uint32_t n_out;
    uint32_t *out_ids, *out_seg, *out_local;
    uint8_t *use_seg;
    struct mrec *q;
    uint32_t q_n, q_cap, q_next;
    int32_t *comp_pool;
    struct gtrec *dec; /* per segment decode buffer */
    /* Small outputs decode only their samples: per segment the sorted local indices asked
     * for (NULL: decode the whole record), and each output's place among them. */
    uint32_t **sub, *sub_n, *out_pos;
};

void gtmerge_free(struct gtmerge *m)
{
    if (!m) return;
    gtscan_free(m->scan);
    if (m->dec) {
        for (uint32_t i = 0; i < m->snap->n_seg; i++) {
            gtrec_free(&m->dec[i]);
        }
    }
    gn_free(m->dec);
    if (m->sub)
        for (uint32_t i = 0; i < m->snap->n_seg; i++)
            gn_free(m->sub[i]);
    gn_free(m->sub);
    gn_free(m->sub_n);
    gn_free(m->out_pos);
    gn_free(m->out_ids);
    gn_free(m->out_seg);
    gn_free(m->out_local);
    gn_free(m->use_seg);
    gn_free(m->q);
    gn_free(m->comp_pool);
    gn_free(m);
}

const uint32_t *gtmerge_samples(const struct gtmerge *m, uint32_t *n)
{
    *n = m->n_out;
    return m->out_ids;
}

static int merge_samples(struct gtmerge *m, const uint32_t *ids, uint32_t n_ids, struct gn_err *err)
{
    const struct gtsnap *snap = m->snap;
    uint64_t total = ids ? n_ids : snap->n_live_samples;

    m->out_ids = gn_reallocarray(NULL, total + 1, sizeof *m->out_ids);
    m->out_seg = gn_reallocarray(NULL, total + 1, sizeof *m->out_seg);
    m->out_local = gn_reallocarray(NULL, total + 1, sizeof *m->out_local);
    m->use_seg = gn_calloc(snap->n_seg + 1, 1);
    if (!m->out_ids || !m->out_seg || !m->out_local || !m->use_seg) {
        return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    m->n_out = 0;
    if (ids) {
        for (uint32_t j = 0; j < n_ids; j++) {
            uint32_t s, l;
            if (gtsnap_find_sample(snap, ids[j], &s, &l) < 0) {
                return gn_errf(err, GN_ENOTFOUND, "sample %u is not in the store", ids[j]);
            }
            m->out_ids[m->n_out] = ids[j];
            m->out_seg[m->n_out] = s;
            m->out_local[m->n_out++] = l;
            m->use_seg[s] = 1;
        }
        return GN_OK;
    }
    for (uint32_t s = 0; s < snap->n_seg; s++) {
        const uint32_t *sid = segment_sample_ids(snap->seg[s]);
        for (uint32_t l = 0; l < segment_n_samples(snap->seg[s]); l++) {
            if (snap->live[s] && !(snap->live[s][l >> 6] >> (l & 63) & 1)) continue;
            m->out_ids[m->n_out] = sid[l];
            m->out_seg[m->n_out] = s;
            m->out_local[m->n_out++] = l;
            m->use_seg[s] = 1;
        }
    }
    return GN_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Per segment, the sorted local indices wanted when they are few (under 1/16 of the
 * segment), so emit can decode just those. */
static int plan_subsets(struct gtmerge *m, struct gn_err *err)
{
    const struct gtsnap *snap = m->snap;
    uint32_t n = snap->n_seg;
    if (!(m->sub = gn_calloc(n + 1, sizeof *m->sub)) ||
        !(m->sub_n = gn_calloc(n + 1, sizeof *m->sub_n)) ||
        !(m->out_pos = gn_reallocarray(NULL, (size_t)m->n_out + 1, sizeof *m->out_pos)))
        return gn_errf(err, GN_ENOMEM, "out of memory");
    for (uint32_t j = 0; j < m->n_out; j++)
        m->sub_n[m->out_seg[j]]++;
    for (uint32_t s = 0; s < n; s++) {
        if (!m->sub_n[s] || (uint64_t)m->sub_n[s] * 16 >= segment_n_samples(snap->seg[s])) {
            m->sub_n[s] = 0;
            continue;
        }
        if (!(m->sub[s] = gn_reallocarray(NULL, m->sub_n[s], sizeof **m->sub)))
            return gn_errf(err, GN_ENOMEM, "out of memory");
        m->sub_n[s] = 0;
    }
    for (uint32_t j = 0; j < m->n_out; j++) {
        uint32_t s = m->out_seg[j];
        if (m->sub[s]) m->sub[s][m->sub_n[s]++] = m->out_local[j];
    }
    for (uint32_t s = 0; s < n; s++) {
        uint32_t k = 0;
        if (!m->sub[s]) continue;
        qsort(m->sub[s], m->sub_n[s], sizeof **m->sub, cmp_u32);
        for (uint32_t i = 0; i < m->sub_n[s]; i++) /* distinct */
            if (!k || m->sub[s][k - 1] != m->sub[s][i]) m->sub[s][k++] = m->sub[s][i];
        m->sub_n[s] = k;
    }
    for (uint32_t j = 0; j < m->n_out; j++) {
        uint32_t s = m->out_seg[j];
        if (!m->sub[s]) continue;
        const uint32_t *p =
            bsearch(&m->out_local[j], m->sub[s], m->sub_n[s], sizeof **m->sub, cmp_u32);
        m->out_pos[j] = (uint32_t)(p - m->sub[s]);
    }
    return GN_OK;
}

int gtmerge_new(const struct gtsnap *snap, uint32_t contig, int64_t start, int64_t end,
                const uint32_t *ids, uint32_t n_ids, struct gtmerge **out, struct gn_err *err)
{
    struct gtmerge *m;
    struct gtscan_opts o = {contig, start, end, NULL, NULL, 1, NULL, 0};
    int rc;

    *out = NULL;
    if (!(m = gn_calloc(1, sizeof *m))) return gn_errf(err, GN_ENOMEM, "out of memory");
    m->snap = snap;
    m->dec = gn_calloc(snap->n_seg + 1, sizeof *m->dec);
    if (!m->dec) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < snap->n_seg; i++) {
        gtrec_init(&m->dec[i]);
    }
    if ((rc = merge_samples(m, ids, n_ids, err)) < 0) goto fail;
    if ((rc = plan_subsets(m, err)) < 0) goto fail;
    o.use_seg = m->use_seg;
    if ((rc = gtscan_new(snap, &o, &m->scan, err)) < 0) goto fail;
    if (!m->scan) {
        rc = gn_errf(err, GN_EINTERNAL, "merge: no scan");
        goto fail;
    }
    *out = m;
    return GN_OK;
fail:
    gtmerge_free(m);
    return rc;
}

static int same_record(const struct segment_block *a, uint32_t ra, const struct segment_block *b,
                       uint32_t rb)
{
    const struct segment_record *x = &a->rec[ra], *y = &b->rec[rb];
    if (x->ref_len != y->ref_len || x->n_alt != y->n_alt ||
        memcmp(x->ref, y->ref, x->ref_len) != 0) {
        return 0;
    }
    for (uint32_t k = 0; k < x->n_alt; k++) {
        const struct segment_site *s = &a->site[x->first_site + k],
                                  *t = &b->site[y->first_site + k];
        if (s->alt_len != t->alt_len || memcmp(s->alt, t->alt, s->alt_len) != 0) return 0;
    }
    return 1;
}

/* Appends a merged record whose first component is record r of segment s. */
static void queue_add(struct gtmerge *m, uint32_t s, uint32_t r, uint32_t occ)
{
    uint32_t n = m->snap->n_seg;
    struct mrec *q = &m->q[m->q_n];
    q->seg0 = s;
    q->rec0 = r;
    q->occ = occ;
    q->comp = m->comp_pool + (size_t)m->q_n * n;
    for (uint32_t t = 0; t < n; t++) {
        q->comp[t] = -1;
    }
    m->q_n++;
}

/* Index of the queued merged record that record r of segment s (its occ-th occurrence of
 * the key) joins, or m->q_n when it starts a new one. */
static uint32_t queue_find(const struct gtmerge *m, uint32_t s, uint32_t r, uint32_t occ)
{
    const struct segment_block *blk = m->pos.seg[s].blk;
    uint32_t j;
    for (j = 0; j < m->q_n; j++) {
        const struct mrec *q = &m->q[j];
        if (q->comp[s] < 0 && q->occ == occ &&
            same_record(m->pos.seg[q->seg0].blk, q->rec0, blk, r)) {
            break;
        }
    }
    return j;
}

/* Groups the records of the current position into merged records (m->q). */
static int build_queue(struct gtmerge *m, struct gn_err *err)
{
    uint32_t n = m->snap->n_seg, total = 0;
    for (uint32_t s = 0; s < n; s++) {
        total += m->pos.seg[s].r1 - m->pos.seg[s].r0;
    }
    if (total > m->q_cap) {
        struct mrec *q = gn_reallocarray(m->q, total, sizeof *q);
        int32_t *pool = gn_reallocarray(m->comp_pool, (size_t)total * n, sizeof *pool);
        if (q) m->q = q;
        if (pool) m->comp_pool = pool;
        if (!q || !pool) return gn_errf(err, GN_ENOMEM, "out of memory");
        m->q_cap = total;
    }
    m->q_n = m->q_next = 0;
    for (uint32_t s = 0; s < n; s++) {
        const struct gtscan_seg *g = &m->pos.seg[s];
        for (uint32_t r = g->r0; r < g->r1; r++) {
            /* occurrence of this key among earlier records of the same segment */
            uint32_t occ = 0, j;
            for (uint32_t r2 = g->r0; r2 < r; r2++) {
                occ += same_record(g->blk, r2, g->blk, r);
            }
            j = queue_find(m, s, r, occ);
            if (j == m->q_n) queue_add(m, s, r, occ);
            m->q[j].comp[s] = (int32_t)r;
        }
    }
    return GN_OK;
}

static int emit(struct gtmerge *m, const struct mrec *q, struct gtrec *out, struct gn_err *err)
{
    const struct gtsnap *snap = m->snap;
    int rc;

    for (uint32_t s = 0; s < snap->n_seg; s++) {
        if (q->comp[s] < 0 || !m->use_seg[s]) continue;
        if (m->sub[s])
            rc = segment_record_decode_subset(snap->seg[s], m->pos.seg[s].blk, (uint32_t)q->comp[s],
                                              m->sub[s], m->sub_n[s], &m->dec[s], err);
        else
            rc = segment_record_decode(snap->seg[s], m->pos.seg[s].blk, (uint32_t)q->comp[s],
                                       &m->dec[s], err);
        if (rc < 0) return rc;
    }
    const struct gtrec *src = &m->dec[q->seg0];
    {
        size_t lens[GTREC_MAX_ALT];
        for (uint32_t k = 0; k < src->n_alt; k++) {
            lens[k] = strlen(src->alt[k]);
        }
        if ((rc = gtrec_set_alleles(out, src->ref, strlen(src->ref), (const char *const *)src->alt,
                                    lens, src->n_alt)) < 0 ||
            (rc = gtrec_reserve(out, m->n_out)) < 0) {
            return gn_errf(err, rc, "out of memory");
        }
    }
    out->contig = m->pos.contig;
    out->pos = m->pos.pos;
    for (uint32_t j = 0; j < m->n_out; j++) {
        uint32_t s = m->out_seg[j], l = m->out_local[j];
        if (q->comp[s] >= 0) {
            uint32_t d = m->sub[s] ? m->out_pos[j] : l; /* index in the decoded record */
            out->al[(size_t)2 * j] = m->dec[s].al[(size_t)2 * d];
            out->al[(size_t)2 * j + 1] = m->dec[s].al[(size_t)2 * d + 1];
            out->phased[j] = m->dec[s].phased[d];
        } else {
            int16_t v =
                segment_sample_callable(snap->seg[s], l, out->contig, out->pos) ? 0 : GTREC_MISSING;
            out->al[(size_t)2 * j] = out->al[(size_t)2 * j + 1] = v;
            out->phased[j] = 0;
        }
    }
    return GN_OK;
}

int gtmerge_next(struct gtmerge *m, struct gtrec *out, struct gn_err *err)
{
    int rc;
    while (m->q_next >= m->q_n) {
        rc = gtscan_next(m->scan, &m->pos, err);
        if (rc <= 0) return rc;
        if ((rc = build_queue(m, err)) < 0) return rc;
    }
    if ((rc = emit(m, &m->q[m->q_next++], out, err)) < 0) return rc;
    return 1;
}

/* ------------------------------------------------------------------------------------ */
/* Compaction                                                                            */
/* ------------------------------------------------------------------------------------ */

/* Copies the callable intervals of the n samples ids into the new segment. */
static int copy_callable(struct segment_writer *w, const struct gtsnap *snap, const uint32_t *ids,
                         uint32_t n, struct gn_err *err)
{
    uint32_t seg, local;
    int rc;

    for (uint32_t j = 0; j < n; j++) {
        const struct segment_interval *iv;
        if ((rc = gtsnap_find_sample(snap, ids[j], &seg, &local)) < 0) return rc;
        uint64_t k = segment_callable_intervals(snap->seg[seg], local, &iv);
        for (uint64_t t = 0; t < k; t++) {
            rc = segment_writer_add_callable(w, j, iv[t].contig, iv[t].start, iv[t].end, err);
            if (rc < 0) return rc;
        }
    }
    return GN_OK;
}

/* Copies the phase-set change points of the n samples ids into the new segment. */
static int copy_phase_sets(struct segment_writer *w, const struct gtsnap *snap, const uint32_t *ids,
                           uint32_t n, struct gn_err *err)
{
    uint32_t seg, local;
    int rc;

    for (uint32_t j = 0; j < n; j++) {
        const struct segment_phase_change *pc;
        if ((rc = gtsnap_find_sample(snap, ids[j], &seg, &local)) < 0) return rc;
        uint64_t k = segment_phase_changes(snap->seg[seg], local, &pc);
        for (uint64_t t = 0; t < k; t++) {
            rc = segment_writer_add_phase_set(w, j, pc[t].contig, pc[t].pos, pc[t].set, err);
            if (rc < 0) return rc;
        }
    }
    return GN_OK;
}

static int compact_write(struct gtstore *st, const struct gtsnap *snap, uint32_t seg_id,
                         uint64_t *n_sites, uint32_t *n_samples, struct gn_err *err)
{
    struct segment_writer *w = NULL;
    struct gtmerge *m = NULL;
    struct gtrec rec;
    char path[4096];
    uint32_t flags = 0, n;
    const uint32_t *ids;
    int rc;

    gtrec_init(&rec);
    for (uint32_t s = 0; s < snap->n_seg; s++) {
        if (segment_has_callability(snap->seg[s])) flags |= SEGMENT_FLAG_CALLABILITY;
        if (segment_has_phase_sets(snap->seg[s])) flags |= SEGMENT_FLAG_PHASESETS;
    }
    if ((rc = gtmerge_new(snap, UINT32_MAX, 1, INT64_MAX, NULL, 0, &m, err)) < 0) goto out;
    if (!m) {
        rc = gn_errf(err, GN_EINTERNAL, "compaction: no merge");
        goto out;
    }
    ids = gtmerge_samples(m, &n);
    *n_samples = n;
    if (n == 0) goto out; /* everyone withdrawn: the store becomes empty */
    if ((rc = gtstore_segment_path(path, sizeof path, gtstore_dir(st), seg_id)) < 0) goto out;
    struct segment_writer_opts wo = {.n_samples = n, .sample_ids = ids, .flags = flags};
    if ((rc = segment_writer_open(&w, path, &wo, err)) < 0) goto out;
    while ((rc = gtmerge_next(m, &rec, err)) == 1) {
        if ((rc = segment_writer_add(w, &rec, err)) < 0) goto out;
    }
    if (rc < 0) goto out;
    if ((flags & SEGMENT_FLAG_CALLABILITY) && (rc = copy_callable(w, snap, ids, n, err)) < 0)
        goto out;
    if ((flags & SEGMENT_FLAG_PHASESETS) && (rc = copy_phase_sets(w, snap, ids, n, err)) < 0)
        goto out;
    if ((rc = segment_writer_finish(w, err)) < 0) goto out;
    *n_sites = segment_writer_n_sites(w);
out:
    segment_writer_free(w);
    gtmerge_free(m);
    gtrec_free(&rec);
    return rc;
}

int gtstore_compact(struct gtstore *st, struct gn_err *err)
{
    struct gtstore_manifest *man = gtstore_manifest(st);
    struct gtsnap *snap = NULL;
    uint32_t *old = NULL, n_old, n_samples = 0, seg_id;
    uint64_t n_sites = 0;
    char path[4096];
    int rc;

    if (man->n_segments <= 1 && man->n_deleted == 0) return GN_OK; /* nothing to do */
    if ((rc = gtsnap_open(&snap, gtstore_dir(st), err)) < 0) return rc;
    n_old = snap->n_seg;
    if (!(old = gn_reallocarray(NULL, n_old + 1, sizeof *old))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < n_old; i++) {
        old[i] = man->seg[i].id;
    }
    seg_id = man->next_segment;
    if ((rc = compact_write(st, snap, seg_id, &n_sites, &n_samples, err)) < 0) goto out;
    /* Commit: the new segment replaces every old one; purged samples leave the list. */
    man->next_segment = seg_id + 1;
    man->n_segments = 0;
    man->n_deleted = 0;
    if (n_samples && (rc = gtstore_add_segment(st, seg_id, n_samples, n_sites, err)) < 0) goto out;
    if ((rc = gtstore_commit(st, err)) < 0) goto out;
    /* Old files go only after the commit; open readers keep their descriptors. */
    for (uint32_t i = 0; i < n_old; i++) {
        if (gtstore_segment_path(path, sizeof path, gtstore_dir(st), old[i]) == GN_OK &&
            unlink(path) < 0) {
            log_warn("cannot remove old segment %s", path);
        }
    }
    /* The commit is made; a removal lost to a power loss leaves an orphan that the next
     * writer removes, so a failure here is only worth a warning. */
    struct gn_err werr = GN_ERR_INIT;
    if (n_old && gtstore_sync_segments(st, &werr) < 0) log_warn("%s", werr.msg);
out:
    gn_free(old);
    gtsnap_free(snap);
    return rc;
}
