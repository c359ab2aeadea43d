/*
 * pgx_store.c — one gene's definition positions for some samples, from the store.
 *
 * Layout: per definition position up to PGX_STORE_RECS (16) record slots (the allele strings
 * of each record read there, copied), and a cell per (position, sample): which slot, the
 * two allele indices and the phase flag. A cell left unset means no record: the sample's
 * callability decides between reference and missing when obs are built. A phased call's
 * phase set comes from its segment's phase-set section when obs are built: set s > 0 gives
 * ps = s - 1, the PS the VCF had, and set 0 ps 0, so pgx_match joins and separates calls
 * exactly as it does reading the VCF.
 */
#include "pgx_store.h"

#include <string.h>

#include "alloc.h"
#include "gtrec.h"
#include "segment.h"

#define PGX_STORE_RECS                                                                             \
    16u /* records kept per position (split multi-allelics); past it, a                            \
         * sample carrying an ALT of one of the rest is missing there */

struct slot {
    char **al; /* n_al strings: REF then ALTs (owned) */
    uint32_t n_al;
};

struct cell {
    int16_t a[2];
    uint8_t slot;  /* of a[0] (and a[1] unless slot1); 1-based; 0: no record */
    uint8_t slot1; /* of a[1] when merged from another record; 0: slot */
    uint8_t phased;
    uint8_t conflict; /* non-reference calls of split records that are not one genotype */
    uint8_t nocall;   /* a record here had no call: only a homozygous ALT call decides */
};

struct pgx_store_gene {
    const struct gtsnap *snap;
    const struct pgx_gene *g;
    const uint32_t *ids;
    uint32_t n;
    uint32_t contig;
    int has_contig;
    struct slot *slots; /* n_pos * PGX_STORE_RECS */
    struct cell *cells; /* n_pos * n */
    uint64_t records;
};

void pgx_store_gene_free(struct pgx_store_gene *sg)
{
    if (!sg) return;
    for (size_t i = 0; sg->slots && i < (size_t)sg->g->n_pos * PGX_STORE_RECS; i++) {
        for (uint32_t a = 0; a < sg->slots[i].n_al; a++)
            gn_free(sg->slots[i].al[a]);
        gn_free(sg->slots[i].al);
    }
    gn_free(sg->slots);
    gn_free(sg->cells);
    gn_free(sg);
}

uint64_t pgx_store_gene_records(const struct pgx_store_gene *sg)
{
    return sg->records;
}

static int keep_slot(struct slot *s, const struct gtrec *r)
{
    if (!(s->al = gn_calloc((size_t)r->n_alt + 1, sizeof *s->al))) return GN_ENOMEM;
    if (!(s->al[0] = gn_strdup(r->ref))) return GN_ENOMEM;
    s->n_al = 1;
    for (uint32_t a = 0; a < r->n_alt; a++, s->n_al++) {
        if (!(s->al[a + 1] = gn_strdup(r->alt[a]))) return GN_ENOMEM;
    }
    return GN_OK;
}

static int nonref(const struct cell *c)
{
    return c->slot && (c->a[0] > 0 || c->a[1] > 0);
}

/* The haplotype of a heterozygous diploid cell that carries the ALT, or -1. */
static int alt_hap(const struct cell *c)
{
    if (c->a[1] < 0 || c->a[0] < 0 || (c->a[0] > 0) == (c->a[1] > 0)) return -1;
    return c->a[0] > 0 ? 0 : 1;
}

/* Merges the non-reference call nc of another record at the same position into the
 * non-reference cell c, as pgx_obs_merge does for VCF input: two heterozygous calls give
 * one ALT per copy; anything else is a conflict (unknown). */
static void merge_cell(struct cell *c, const struct cell *nc)
{
    int h0 = alt_hap(c), h1 = alt_hap(nc);
    int16_t alt0, alt1;
    uint8_t s0 = c->slot;
    if (h0 < 0 || h1 < 0 || c->slot1 || (c->phased && nc->phased && h0 == h1)) {
        c->conflict = 1;
        return;
    }
    alt0 = c->a[h0];
    alt1 = nc->a[h1];
    if (!(c->phased && nc->phased)) {
        c->phased = 0;
        h0 = 0;
    }
    c->a[h0] = alt0;
    c->a[1 - h0] = alt1;
    c->slot = h0 == 0 ? s0 : nc->slot;
    c->slot1 = h0 == 0 ? nc->slot : s0;
}

/* One record at definition position i: keeps its alleles and each sample's call where it
 * is the first record there, or carries an ALT where the earlier one did not. */
static int take_record(struct pgx_store_gene *sg, uint32_t i, const struct gtrec *r)
{
    struct slot *slots = &sg->slots[(size_t)i * PGX_STORE_RECS];
    uint32_t s;
    int rc;
    for (s = 0; s < PGX_STORE_RECS && slots[s].n_al; s++) {
    }
    if (s == PGX_STORE_RECS) {
        /* more split records than kept: a sample that carries an ALT of one of the rest (or
         * has no call there) cannot be called at this position, never as if the record
         * were absent; a sample with the reference there loses nothing */
        for (uint32_t k = 0; k < sg->n; k++) {
            int16_t a0 = r->al[(size_t)2 * k], a1 = r->al[(size_t)2 * k + 1];
            if (a0 != 0 || (a1 != 0 && a1 != GTREC_NONE))
                sg->cells[(size_t)i * sg->n + k].conflict = 1;
        }
        return GN_OK;
    }
    if ((rc = keep_slot(&slots[s], r)) < 0) return rc;
    sg->records++;
    for (uint32_t k = 0; k < sg->n; k++) {
        struct cell *c = &sg->cells[(size_t)i * sg->n + k], nc;
        nc.a[0] = r->al[(size_t)2 * k];
        nc.a[1] = r->al[(size_t)2 * k + 1];
        nc.slot = (uint8_t)(s + 1);
        nc.slot1 = 0;
        nc.phased = r->phased[k];
        nc.conflict = 0;
        nc.nocall = 0;
        if (c->conflict) continue;
        /* a record without a call hides what its ALT would have said (as in pgx_vcf.c):
         * only a homozygous ALT call of another record decides the position, in any order */
        if (nc.a[0] == GTREC_MISSING || nc.a[1] == GTREC_MISSING || c->nocall) {
            int nc_miss = nc.a[0] == GTREC_MISSING || nc.a[1] == GTREC_MISSING;
            int nc_hom = !nc_miss && nc.a[0] > 0 && (nc.a[1] == GTREC_NONE || nc.a[1] == nc.a[0]);
            int c_hom = c->slot && !c->slot1 && c->a[0] > 0 &&
                        (c->a[1] == GTREC_NONE || c->a[1] == c->a[0]);
            int c_miss = !c->slot || c->a[0] == GTREC_MISSING || c->a[1] == GTREC_MISSING;
            if (nc_miss) {
                if (!c_hom) *c = nc;
            } else if (nc_hom && c_miss) {
                *c = nc;
            } else if (nc_hom) {
                merge_cell(c, &nc);
            }
            c->nocall = 1;
            continue;
        }
        if (!c->slot || (!nonref(c) && nonref(&nc))) {
            *c = nc;
        } else if (nonref(c) && nonref(&nc)) {
            merge_cell(c, &nc);
        }
    }
    return GN_OK;
}

int pgx_store_gene_read(const struct gtsnap *snap, const struct pgx_gene *g, const uint32_t *ids,
                        uint32_t n, struct pgx_store_gene **out, struct gn_err *err)
{
    struct pgx_store_gene *sg = NULL;
    struct gtmerge *m = NULL;
    struct gtrec r;
    int64_t c, end;
    int rc;
    gtrec_init(&r);
    *out = NULL;
    if (snap->man.build != CONTIG_BUILD_GRCH38)
        return gn_errf(err, GN_EUNSUPPORTED, "the store is %s; the allele definitions are GRCh38",
                       contig_build_name(snap->man.build));
    if (!(sg = gn_calloc(1, sizeof *sg)) ||
        !(sg->slots = gn_calloc((size_t)g->n_pos * PGX_STORE_RECS, sizeof *sg->slots)) ||
        !(sg->cells = gn_calloc((size_t)g->n_pos * (n ? n : 1), sizeof *sg->cells))) {
        rc = gn_errf(err, GN_ENOMEM, "out of memory");
        goto fail;
    }
    sg->snap = snap;
    sg->g = g;
    sg->ids = ids;
    sg->n = n;
    if ((c = gtstore_manifest_contig(&snap->man, g->pos[0].chrom)) >= 0) {
        sg->contig = (uint32_t)c;
        sg->has_contig = 1;
        end = g->pos[g->n_pos - 1].pos + (int64_t)strlen(g->pos[g->n_pos - 1].ref);
        if ((rc = gtmerge_new(snap, sg->contig, g->pos[0].pos, end, ids, n, &m, err)) < 0)
            goto fail;
        while ((rc = gtmerge_next(m, &r, err)) == 1) {
            int64_t i = pgx_gene_pos_index(g, r.pos);
            if (i >= 0 && (rc = take_record(sg, (uint32_t)i, &r)) < 0) {
                rc = gn_errf(err, rc, "out of memory");
                goto fail;
            }
        }
        if (rc < 0) goto fail;
    }
    gtmerge_free(m);
    gtrec_free(&r);
    *out = sg;
    return GN_OK;
fail:
    gtmerge_free(m);
    gtrec_free(&r);
    pgx_store_gene_free(sg);
    return rc;
}

/* Whether sample k's gVCF declared contig:pos callable (no record there: reference). */
static int callable(const struct pgx_store_gene *sg, uint32_t k, int64_t pos)
{
    uint32_t seg, local;
    if (!sg->has_contig || gtsnap_find_sample(sg->snap, sg->ids[k], &seg, &local) != GN_OK)
        return 0;
    return segment_sample_callable(sg->snap->seg[seg], local, sg->contig, pos);
}

/* The ps of sample k's phased call at pos: its VCF PS, 0 when it had none. */
static int64_t phase_set(const struct pgx_store_gene *sg, uint32_t k, int64_t pos)
{
    uint32_t seg, local;
    if (!sg->has_contig || gtsnap_find_sample(sg->snap, sg->ids[k], &seg, &local) != GN_OK)
        return 0;
    uint64_t set = segment_phase_set(sg->snap->seg[seg], local, sg->contig, pos);
    return set ? (int64_t)(set - 1) : 0;
}

void pgx_store_gene_obs(const struct pgx_store_gene *sg, uint32_t k, struct pgx_obs *obs)
{
    const struct pgx_gene *g = sg->g;
    for (uint32_t i = 0; i < g->n_pos; i++) {
        const struct cell *c = &sg->cells[(size_t)i * sg->n + k];
        struct pgx_obs *o = &obs[i];
        memset(o, 0, sizeof *o);
        if (!c->slot) {
            if (callable(sg, k, g->pos[i].pos)) {
                o->al[0] = o->al[1] = o->ref = g->pos[i].ref;
            } else {
                o->missing = 1;
            }
            continue;
        }
        const struct slot *s = &sg->slots[(size_t)i * PGX_STORE_RECS + c->slot - 1];
        const struct slot *s1 =
            c->slot1 ? &sg->slots[(size_t)i * PGX_STORE_RECS + c->slot1 - 1] : s;
        if (c->conflict || c->a[0] < 0 || (uint32_t)c->a[0] >= s->n_al ||
            c->a[1] == GTREC_MISSING || (c->a[1] >= 0 && (uint32_t)c->a[1] >= s1->n_al)) {
            o->missing = 1; /* no call, half a call or conflicting calls: unknown */
            o->conflict = c->conflict;
            continue;
        }
        o->al[0] = s->al[c->a[0]];
        o->al[1] = c->a[1] == GTREC_NONE ? NULL : s1->al[c->a[1]];
        o->phased = c->phased;
        if (o->phased) o->ps = phase_set(sg, k, g->pos[i].pos);
        o->ref = s->al[0];
        o->ref1 = s1 != s ? s1->al[0] : NULL;
    }
}
