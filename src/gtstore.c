/*
 * gtstore.c — store directory, manifest, writer lock and commits, snapshots and masks.
 *
 * The manifest is small text so an operator can read it (docs/format/manifest.md):
 *
 *   genomenode-manifest 1
 *   build GRCh38
 *   generation 7
 *   next_sample 3202
 *   next_segment 5
 *   contig chr1 248956422        (contig ids are the order of these lines)
 *   segment 4 3202 79602         (id, samples, sites)
 *   deleted 17                   (a withdrawn global sample id)
 *   end 1a2b3c4d                 (CRC-32 of every byte before this line)
 *
 * It is parsed with bounded parsers and a damaged manifest (bad CRC, unknown keys, out
 * of range values) is reported as corruption, never half-used.
 */
#include "gtstore.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "alloc.h"
#include "buf.h"
#include "fsutil.h"
#include "log.h"
#include "strparse.h"

#define MANIFEST_MAX_BYTES ((size_t)64 << 20)

struct gtstore {
    char *dir;
    int lock_fd;
    struct gtstore_manifest man;
};

void gtstore_manifest_free(struct gtstore_manifest *m)
{
    if (!m) return;
    for (uint32_t i = 0; i < m->n_contigs; i++) {
        gn_free(m->contig[i].name);
    }
    gn_free(m->contig);
    gn_free(m->seg);
    gn_free(m->deleted);
    memset(m, 0, sizeof *m);
}

int gtstore_segment_path(char *buf, size_t cap, const char *dir, uint32_t id)
{
    int n = snprintf(buf, cap, "%s/segments/seg-%08u.gns", dir, id);
    return n < 0 || (size_t)n >= cap ? GN_ELIMIT : GN_OK;
}

int64_t gtstore_manifest_contig(const struct gtstore_manifest *m, const char *name)
{
    for (uint32_t i = 0; i < m->n_contigs; i++) {
        if (!strcmp(m->contig[i].name, name)) return i;
    }
    return -1;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int gtstore_manifest_is_deleted(const struct gtstore_manifest *m, uint32_t id)
{
    return m->n_deleted && bsearch(&id, m->deleted, m->n_deleted, sizeof id, cmp_u32) != NULL;
}

/* ---- manifest text ---- */

static int push_contig(struct gtstore_manifest *m, const char *name, size_t n, int64_t len)
{
    if (m->n_contigs >= GTSTORE_MAX_CONTIGS) return GN_ELIMIT;
    struct gtstore_contig *c = gn_reallocarray(m->contig, m->n_contigs + 1, sizeof *c);
    if (!c) return GN_ENOMEM;
    m->contig = c;
    if (!(c[m->n_contigs].name = gn_strndup(name, n))) return GN_ENOMEM;
    c[m->n_contigs++].length = len;
    return GN_OK;
}

static int push_u32(uint32_t **arr, uint32_t *n, uint32_t v, uint32_t max)
{
    if (*n >= max) return GN_ELIMIT;
    uint32_t *a = gn_reallocarray(*arr, (size_t)*n + 1, sizeof *a);
    if (!a) return GN_ENOMEM;
    a[(*n)++] = v;
    *arr = a;
    return GN_OK;
}

/* Reads the space-separated field starting at *p within the line [*p, end). */
static struct strparse_span field(const char **p, const char *end)
{
    struct strparse_span s;
    while (*p < end && **p == ' ') {
        (*p)++;
    }
    s.p = *p;
    while (*p < end && **p != ' ') {
        (*p)++;
    }
    s.n = (size_t)(*p - s.p);
    return s;
}

static int field_u64(const char **p, const char *end, uint64_t max, uint64_t *v)
{
    struct strparse_span s = field(p, end);
    int64_t x;
    if (strparse_i64_all(s.p, s.n, &x) < 0 || x < 0 || (uint64_t)x > max) return GN_EPARSE;
    *v = (uint64_t)x;
    return GN_OK;
}

static int parse_line(struct gtstore_manifest *m, const char *p, const char *end)
{
    struct strparse_span key = field(&p, end);
    uint64_t a, b, c;
    int rc;

#define KEY(k) (key.n == sizeof(k) - 1 && !memcmp(key.p, k, key.n))
    if (KEY("build")) {
        struct strparse_span v = field(&p, end);
        char tmp[16];
        if (v.n == 0 || v.n >= sizeof tmp) return GN_EPARSE;
        memcpy(tmp, v.p, v.n);
        tmp[v.n] = '\0';
        if (contig_build_parse(tmp, &m->build) < 0) return GN_EPARSE;
    } else if (KEY("generation")) {
        if (field_u64(&p, end, UINT64_MAX >> 1, &a) < 0) return GN_EPARSE;
        m->generation = a;
    } else if (KEY("next_sample")) {
        if (field_u64(&p, end, UINT32_MAX, &a) < 0) return GN_EPARSE;
        m->next_sample = (uint32_t)a;
    } else if (KEY("next_segment")) {
        if (field_u64(&p, end, UINT32_MAX, &a) < 0) return GN_EPARSE;
        m->next_segment = (uint32_t)a;
    } else if (KEY("contig")) {
        struct strparse_span name = field(&p, end);
        if (name.n == 0 || name.n > CONTIG_NAME_MAX || field_u64(&p, end, INT64_MAX, &a) < 0) {
            return GN_EPARSE;
        }
        if ((rc = push_contig(m, name.p, name.n, (int64_t)a)) < 0) return rc;
    } else if (KEY("segment")) {
        if (field_u64(&p, end, UINT32_MAX, &a) < 0 || field_u64(&p, end, UINT32_MAX, &b) < 0 ||
            field_u64(&p, end, UINT64_MAX >> 1, &c) < 0) {
            return GN_EPARSE;
        }
        if (m->n_segments >= GTSTORE_MAX_SEGMENTS) return GN_ELIMIT;
        struct gtstore_segref *s = gn_reallocarray(m->seg, m->n_segments + 1, sizeof *s);
        if (!s) return GN_ENOMEM;
        m->seg = s;
        s[m->n_segments++] = (struct gtstore_segref){(uint32_t)a, (uint32_t)b, c};
    } else if (KEY("deleted")) {
        if (field_u64(&p, end, UINT32_MAX, &a) < 0) return GN_EPARSE;
        if ((rc = push_u32(&m->deleted, &m->n_deleted, (uint32_t)a, UINT32_MAX)) < 0) return rc;
    } else {
        return GN_EPARSE;
    }
#undef KEY
    return field(&p, end).n == 0 ? GN_OK : GN_EPARSE;
}

int gtstore_manifest_parse(const char *text, size_t n, struct gtstore_manifest *m,
                           struct gn_err *err)
{
    static const char head[] = "genomenode-manifest ";
    const char *p = text, *end = text + n, *eol, *trailer;
    long line = 1;
    int rc;

    memset(m, 0, sizeof *m);
    /* The trailer "end XXXXXXXX\n" closes the file; its CRC covers everything before. */
    if (n < sizeof head + 14 || memcmp(text, head, sizeof head - 1) != 0) {
        return gn_errf(err, GN_ECORRUPT, "manifest: not a genomenode manifest");
    }
    trailer = end - 13;
    if (memcmp(trailer, "end ", 4) != 0 || end[-1] != '\n' || trailer[-1] != '\n') {
        return gn_errf(err, GN_ECORRUPT, "manifest: missing end line (incomplete write?)");
    }
    {
        uint32_t want = 0;
        for (int i = 0; i < 8; i++) {
            char c = trailer[4 + i];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0) return gn_errf(err, GN_ECORRUPT, "manifest: bad checksum field");
            want = want << 4 | (uint32_t)d;
        }
        if ((uint32_t)crc32(0L, (const Bytef *)text, (uInt)(trailer - text)) != want) {
            return gn_errf(err, GN_ECORRUPT, "manifest: checksum mismatch");
        }
    }
    eol = memchr(p, '\n', (size_t)(trailer - p));
    {
        const char *q = p + sizeof head - 1;
        int64_t ver;
        if (!eol || strparse_i64_all(q, (size_t)(eol - q), &ver) < 0) {
            return gn_errf(err, GN_ECORRUPT, "manifest: bad version line");
        }
        if (ver != GTSTORE_MANIFEST_VERSION) {
            return gn_errf(err, GN_EFORMAT, "manifest version %lld; this build reads %d",
                           (long long)ver, GTSTORE_MANIFEST_VERSION);
        }
    }
    for (p = eol + 1, line = 2; p < trailer; p = eol + 1, line++) {
        eol = memchr(p, '\n', (size_t)(trailer - p));
        if (!eol) eol = trailer - 1;
        if ((rc = parse_line(m, p, eol)) < 0) {
            gtstore_manifest_free(m);
            return gn_errf(err, rc == GN_EPARSE ? GN_ECORRUPT : rc, "manifest line %ld: %s", line,
                           rc == GN_EPARSE ? "malformed" : gn_strerror(rc));
        }
    }
    if (m->build != CONTIG_BUILD_GRCH37 && m->build != CONTIG_BUILD_GRCH38) {
        gtstore_manifest_free(m);
        return gn_errf(err, GN_ECORRUPT, "manifest: no build line");
    }
    if (m->n_deleted) qsort(m->deleted, m->n_deleted, sizeof *m->deleted, cmp_u32);
    for (uint32_t i = 0; i < m->n_segments; i++) {
        if (m->seg[i].id >= m->next_segment) {
            gtstore_manifest_free(m);
            return gn_errf(err, GN_ECORRUPT, "manifest: segment id beyond next_segment");
        }
    }
    return GN_OK;
}

int gtstore_manifest_read(const char *dir, struct gtstore_manifest *m, struct gn_err *err)
{
    char path[4096];
    uint8_t *data = NULL;
    size_t n;
    int rc;

    if (fsutil_path(path, sizeof path, dir, "MANIFEST") < 0) {
        return gn_errf(err, GN_ELIMIT, "path too long");
    }
    if ((rc = fsutil_read_all(path, MANIFEST_MAX_BYTES, &data, &n, err)) < 0) {
        if (rc == GN_ENOTFOUND) {
            return gn_errf(err, rc, "%s is not a genomenode store (no MANIFEST; run init)", dir);
        }
        return rc;
    }
    rc = gtstore_manifest_parse((const char *)data, n, m, err);
    if (rc < 0) gn_err_prefix(err, rc, "%s", path);
    gn_free(data);
    return rc;
}

static int manifest_write(const char *dir, const struct gtstore_manifest *m, struct gn_err *err)
{
    struct gn_buf b;
    char line[512], path[4096];
    int rc = GN_OK, n;

    gn_buf_init(&b, MANIFEST_MAX_BYTES);
#define PUT(...)                                                                                   \
    do {                                                                                           \
        n = snprintf(line, sizeof line, __VA_ARGS__);                                              \
        if (rc == GN_OK) rc = gn_buf_append(&b, line, (size_t)n);                                  \
    } while (0)
    PUT("genomenode-manifest %d\n", GTSTORE_MANIFEST_VERSION);
    PUT("build %s\n", contig_build_name(m->build));
    PUT("generation %llu\n", (unsigned long long)m->generation);
    PUT("next_sample %u\n", m->next_sample);
    PUT("next_segment %u\n", m->next_segment);
    for (uint32_t i = 0; i < m->n_contigs; i++) {
        PUT("contig %s %lld\n", m->contig[i].name, (long long)m->contig[i].length);
    }
    for (uint32_t i = 0; i < m->n_segments; i++) {
        PUT("segment %u %u %llu\n", m->seg[i].id, m->seg[i].n_samples,
            (unsigned long long)m->seg[i].n_sites);
    }
    for (uint32_t i = 0; i < m->n_deleted; i++) {
        PUT("deleted %u\n", m->deleted[i]);
    }
    if (rc == GN_OK) {
        uint32_t c = (uint32_t)crc32(0L, b.data, (uInt)b.len);
        PUT("end %08x\n", c);
    }
#undef PUT
    if (rc < 0) {
        gn_buf_free(&b);
        return gn_errf(err, rc, "manifest: %s", gn_strerror(rc));
    }
    if (fsutil_path(path, sizeof path, dir, "MANIFEST") < 0) {
        rc = GN_ELIMIT;
    } else {
        rc = fsutil_write_atomic(path, b.data, b.len, 0644, err);
    }
    gn_buf_free(&b);
    return rc;
}

int gtstore_init(const char *dir, enum contig_build build, struct gn_err *err)
{
    struct gtstore_manifest m;
    char path[4096];
    struct stat st;
    int rc;

    if (fsutil_path(path, sizeof path, dir, "MANIFEST") < 0) {
        return gn_errf(err, GN_ELIMIT, "path too long");
    }
    if (stat(path, &st) == 0) return gn_errf(err, GN_EEXIST, "%s already holds a store", dir);
    if ((rc = fsutil_mkdir(dir, err)) < 0) return rc;
    if (fsutil_path(path, sizeof path, dir, "segments") < 0) {
        return gn_errf(err, GN_ELIMIT, "path too long");
    }
    if ((rc = fsutil_mkdir(path, err)) < 0) return rc;
    memset(&m, 0, sizeof m);
    m.build = build;
    m.next_segment = 1;
    for (int i = 0; i < CONTIG_N_PRIMARY; i++) {
        const char *nm = contig_primary_name(build, i);
        if ((rc = push_contig(&m, nm, strlen(nm), contig_primary_length(build, i))) < 0) {
            gtstore_manifest_free(&m);
            return gn_errf(err, rc, "out of memory");
        }
    }
    rc = manifest_write(dir, &m, err);
    gtstore_manifest_free(&m);
    return rc;
}

/* ---- writer ---- */

/* Removes segment files that the manifest does not name: leftovers of a writer that
 * died before its commit. Only the lock holder calls this. */
static int remove_orphans(struct gtstore *st, struct gn_err *err)
{
    char path[4096];
    DIR *d;
    struct dirent *e;

    if (fsutil_path(path, sizeof path, st->dir, "segments") < 0) {
        return gn_errf(err, GN_ELIMIT, "path too long");
    }
    if (!(d = opendir(path))) return gn_errf(err, GN_EIO, "%s: %s", path, strerror(errno));
    while ((e = readdir(d))) {
        const char *nm = e->d_name;
        uint64_t id = 0;
        const char *p = nm + 4;
        int live = 0;
        if (strncmp(nm, "seg-", 4) != 0) continue;
        if (strparse_u64(&p, nm + strlen(nm), &id) < 0) continue;
        for (uint32_t i = 0; i < st->man.n_segments; i++) {
            if (st->man.seg[i].id == id && !strcmp(p, ".gns")) live = 1;
        }
        if (live) continue;
        char full[4096 + 300];
        (void)snprintf(full, sizeof full, "%s/%s", path, nm); /* path < 4096, nm < 256 */
        log_info("removing orphan segment %s", full);
        if (unlink(full) < 0 && errno != ENOENT) {
            log_warn("cannot remove %s: %s", full, strerror(errno));
        }
    }
    closedir(d);
    return GN_OK;
}

int gtstore_open_writer(struct gtstore **out, const char *dir, struct gn_err *err)
{
    struct gtstore *st;
    char path[4096];
    int rc;

    *out = NULL;
    if (!(st = gn_calloc(1, sizeof *st)) || !(st->dir = gn_strdup(dir))) {
        gn_free(st);
        return gn_errf(err, GN_ENOMEM, "out of memory");
    }
    st->lock_fd = -1;
    if ((rc = gtstore_manifest_read(dir, &st->man, err)) < 0) goto fail;
    if (fsutil_path(path, sizeof path, dir, "LOCK") < 0) {
        rc = gn_errf(err, GN_ELIMIT, "path too long");
        goto fail;
    }
    if ((rc = fsutil_lock(path, err)) < 0) goto fail;
    st->lock_fd = rc;
    /* Re-read under the lock: another writer may have committed meanwhile. */
    gtstore_manifest_free(&st->man);
    if ((rc = gtstore_manifest_read(dir, &st->man, err)) < 0) goto fail;
    if ((rc = remove_orphans(st, err)) < 0) goto fail;
    *out = st;
    return GN_OK;
fail:
    gtstore_close(st);
    return rc;
}

void gtstore_close(struct gtstore *st)
{
    if (!st) return;
    fsutil_unlock(st->lock_fd);
    gtstore_manifest_free(&st->man);
    gn_free(st->dir);
    gn_free(st);
}

struct gtstore_manifest *gtstore_manifest(struct gtstore *st)
{
    return &st->man;
}
const char *gtstore_dir(const struct gtstore *st)
{
    return st->dir;
}

int gtstore_contig_intern(struct gtstore *st, const char *name, int64_t length, uint32_t *id,
                          struct gn_err *err)
{
    int64_t i = gtstore_manifest_contig(&st->man, name);
    int rc;
    if (i >= 0) {
        *id = (uint32_t)i;
        return GN_OK;
    }
    if ((rc = push_contig(&st->man, name, strlen(name), length)) < 0) {
        return gn_errf(err, rc, "contig %s: %s", name, gn_strerror(rc));
    }
    *id = st->man.n_contigs - 1;
    return GN_OK;
}

int gtstore_add_segment(struct gtstore *st, uint32_t id, uint32_t n_samples, uint64_t n_sites,
                        struct gn_err *err)
{
    struct gtstore_manifest *m = &st->man;
    if (m->n_segments >= GTSTORE_MAX_SEGMENTS) {
        return gn_errf(err, GN_ELIMIT, "too many segments; run compact");
    }
    struct gtstore_segref *s = gn_reallocarray(m->seg, m->n_segments + 1, sizeof *s);
    if (!s) return gn_errf(err, GN_ENOMEM, "out of memory");
    m->seg = s;
    s[m->n_segments++] = (struct gtstore_segref){id, n_samples, n_sites};
    return GN_OK;
}

int gtstore_withdraw(struct gtstore *st, const uint32_t *ids, uint32_t n, struct gn_err *err)
{
    struct gtstore_manifest *m = &st->man;
    for (uint32_t i = 0; i < n; i++) {
        if (gtstore_manifest_is_deleted(m, ids[i])) continue;
        if (push_u32(&m->deleted, &m->n_deleted, ids[i], UINT32_MAX) < 0) {
            return gn_errf(err, GN_ENOMEM, "out of memory");
        }
        qsort(m->deleted, m->n_deleted, sizeof *m->deleted, cmp_u32);
    }
    return GN_OK;
}

/* fsync()s DIR/segments, making the creation (or removal) of its files durable. */
static int sync_segments_dir(const char *dir, struct gn_err *err)
{
    char path[4096];
    if (fsutil_path(path, sizeof path, dir, "segments") < 0) {
        return gn_errf(err, GN_ELIMIT, "path too long");
    }
    return fsutil_fsync_dir(path, err);
}

int gtstore_commit(struct gtstore *st, struct gn_err *err)
{
    int rc;
    /* The segments the new manifest names must outlive a power loss before it does: their
     * bytes were fsynced by segment_writer_finish, their directory entries are here. */
    if ((rc = sync_segments_dir(st->dir, err)) < 0) return rc;
    st->man.generation++;
    return manifest_write(st->dir, &st->man, err);
}

int gtstore_sync_segments(struct gtstore *st, struct gn_err *err)
{
    return sync_segments_dir(st->dir, err);
}

/* ---- snapshots ---- */

void gtsnap_free(struct gtsnap *snap)
{
    if (!snap) return;
    for (uint32_t i = 0; i < snap->n_seg; i++) {
        segment_close(snap->seg[i]);
        gn_free(snap->live[i]);
    }
    gn_free(snap->seg);
    gn_free(snap->live);
    gtstore_manifest_free(&snap->man);
    gn_free(snap->dir);
    gn_free(snap);
}

static int snap_try_open(struct gtsnap *snap, struct gn_err *err)
{
    char path[4096];
    int rc;

    snap->seg = gn_calloc(snap->man.n_segments + 1, sizeof(struct segment *));
    snap->live = gn_calloc(snap->man.n_segments + 1, sizeof *snap->live);
    if (!snap->seg || !snap->live) return gn_errf(err, GN_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < snap->man.n_segments; i++) {
        if (gtstore_segment_path(path, sizeof path, snap->dir, snap->man.seg[i].id) < 0) {
            return gn_errf(err, GN_ELIMIT, "path too long");
        }
        if ((rc = segment_open(&snap->seg[i], path, err)) < 0) return rc;
        snap->n_seg = i + 1;
        struct segment *s = snap->seg[i];
        /* Every read names a record's contig by the manifest's array: a contig id past it
         * (a damaged or hostile file) is refused here, once. The index is sorted by contig
         * (segment_open checks), so its last block holds the largest id. */
        uint32_t nb = segment_n_blocks(s);
        if (nb && segment_block_info(s, nb - 1)->contig >= snap->man.n_contigs) {
            return gn_errf(err, GN_ECORRUPT,
                           "%s: block %u names contig id %u, but the manifest has %u contigs", path,
                           nb - 1, segment_block_info(s, nb - 1)->contig, snap->man.n_contigs);
        }
        uint32_t n = segment_n_samples(s), dels = 0;
        const uint32_t *ids = segment_sample_ids(s);
        for (uint32_t j = 0; j < n; j++) {
            dels += gtstore_manifest_is_deleted(&snap->man, ids[j]);
        }
        snap->n_live_samples += n - dels;
        if (!dels) continue;
        uint64_t *mk = gn_calloc((n + 63) / 64, sizeof *mk);
        if (!mk) return gn_errf(err, GN_ENOMEM, "out of memory");
        for (uint32_t j = 0; j < n; j++) {
            if (!gtstore_manifest_is_deleted(&snap->man, ids[j])) mk[j >> 6] |= 1ull << (j & 63);
        }
        snap->live[i] = mk;
    }
    return GN_OK;
}

int gtsnap_open(struct gtsnap **out, const char *dir, struct gn_err *err)
{
    struct gtsnap *snap = NULL;
    int rc = GN_OK;

    *out = NULL;
    /* A compaction may unlink a segment between our manifest read and its open: then
     * the manifest has moved on, and reading it again gives a consistent set. */
    for (int attempt = 0; attempt < 8; attempt++) {
        gtsnap_free(snap);
        if (!(snap = gn_calloc(1, sizeof *snap)) || !(snap->dir = gn_strdup(dir))) {
            gn_free(snap);
            return gn_errf(err, GN_ENOMEM, "out of memory");
        }
        if ((rc = gtstore_manifest_read(dir, &snap->man, err)) < 0) break;
        rc = snap_try_open(snap, err);
        if (rc != GN_ENOTFOUND) break;
    }
    if (rc < 0) {
        gtsnap_free(snap);
        return rc;
    }
    *out = snap;
    return GN_OK;
}

void gtsnap_masks_free(const struct gtsnap *snap, uint64_t **masks)
{
    if (!masks) return;
    for (uint32_t i = 0; i < snap->n_seg; i++) {
        gn_free(masks[i]);
    }
    gn_free(masks);
}

int gtsnap_masks_new(const struct gtsnap *snap, const uint32_t *ids, uint32_t n, uint64_t ***out,
                     struct gn_err *err)
{
    uint64_t **mk = gn_calloc(snap->n_seg + 1, sizeof *mk);
    *out = NULL;
    if (!mk) return gn_errf(err, GN_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < snap->n_seg; i++) {
        uint32_t ns = segment_n_samples(snap->seg[i]), words = (ns + 63) / 64;
        if (!ids && !snap->live[i]) continue; /* all samples: NULL mask, the fast path */
        if (!(mk[i] = gn_calloc(words, sizeof **mk))) {
            gtsnap_masks_free(snap, mk);
            return gn_errf(err, GN_ENOMEM, "out of memory");
        }
        if (!ids) {
            memcpy(mk[i], snap->live[i], (size_t)words * 8);
            continue;
        }
        for (uint32_t j = 0; j < n; j++) {
            int64_t l = segment_local_index(snap->seg[i], ids[j]);
            if (l >= 0 && (!snap->live[i] || (snap->live[i][l >> 6] >> (l & 63) & 1))) {
                mk[i][l >> 6] |= 1ull << (l & 63);
            }
        }
    }
    *out = mk;
    return GN_OK;
}

int gtsnap_find_sample(const struct gtsnap *snap, uint32_t id, uint32_t *seg, uint32_t *local)
{
    if (gtstore_manifest_is_deleted(&snap->man, id)) return GN_ENOTFOUND;
    for (uint32_t i = 0; i < snap->n_seg; i++) {
        int64_t l = segment_local_index(snap->seg[i], id);
        if (l >= 0) {
            *seg = i;
            *local = (uint32_t)l;
            return GN_OK;
        }
    }
    return GN_ENOTFOUND;
}
