/*
 * buf.c — capped growable buffers and bounds-checked readers.
 *
 * Varints are LEB128 (7 bits per byte, low first), at most 10 bytes for a uint64_t;
 * a longer run or a short buffer marks the reader bad instead of reading past it.
 */
#include "buf.h"

#include "alloc.h"

void gn_buf_init(struct gn_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void gn_buf_reset(struct gn_buf *b)
{
    b->len = 0;
}

void gn_buf_free(struct gn_buf *b)
{
    if (!b) return;
    gn_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int gn_buf_reserve(struct gn_buf *b, size_t n)
{
    size_t need, cap;
    uint8_t *d;

    if (n > b->max || b->len > b->max - n) return GN_ELIMIT;
    need = b->len + n;
    if (need <= b->cap) return GN_OK;
    cap = b->cap ? b->cap : 256;
    while (cap < need) {
        cap = cap > b->max / 2 ? b->max : cap * 2;
    }
    d = gn_reallocarray(b->data, cap, 1);
    if (!d) return GN_ENOMEM;
    b->data = d;
    b->cap = cap;
    return GN_OK;
}

int gn_buf_append(struct gn_buf *b, const void *p, size_t n)
{
    int rc = gn_buf_reserve(b, n);
    if (rc < 0) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    return GN_OK;
}

int gn_buf_put_u8(struct gn_buf *b, uint8_t v)
{
    return gn_buf_append(b, &v, 1);
}

int gn_buf_put_u16(struct gn_buf *b, uint16_t v)
{
    uint8_t p[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    return gn_buf_append(b, p, 2);
}

int gn_buf_put_u32(struct gn_buf *b, uint32_t v)
{
    uint8_t p[4];
    gn_le_put_u32(p, v);
    return gn_buf_append(b, p, 4);
}

int gn_buf_put_u64(struct gn_buf *b, uint64_t v)
{
    uint8_t p[8];
    gn_le_put_u64(p, v);
    return gn_buf_append(b, p, 8);
}

int gn_buf_put_varint(struct gn_buf *b, uint64_t v)
{
    uint8_t p[10];
    size_t n = 0;
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        p[n++] = (uint8_t)(c | (v ? 0x80 : 0));
    } while (v);
    return gn_buf_append(b, p, n);
}

int gn_buf_put_str(struct gn_buf *b, const char *s, size_t n)
{
    int rc = gn_buf_put_varint(b, n);
    if (rc < 0) return rc;
    return gn_buf_append(b, s, n);
}

const uint8_t *gn_rd_bytes(struct gn_rd *r, size_t n)
{
    const uint8_t *p = r->p;
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        return NULL;
    }
    r->p += n;
    return p;
}

uint8_t gn_rd_u8(struct gn_rd *r)
{
    const uint8_t *p = gn_rd_bytes(r, 1);
    return p ? p[0] : 0;
}

uint16_t gn_rd_u16(struct gn_rd *r)
{
    const uint8_t *p = gn_rd_bytes(r, 2);
    return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}

uint32_t gn_rd_u32(struct gn_rd *r)
{
    const uint8_t *p = gn_rd_bytes(r, 4);
    return p ? gn_le_u32(p) : 0;
}

uint64_t gn_rd_u64(struct gn_rd *r)
{
    const uint8_t *p = gn_rd_bytes(r, 8);
    return p ? gn_le_u64(p) : 0;
}

uint64_t gn_rd_varint(struct gn_rd *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->bad || r->p >= r->end) break;
        uint8_t c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) return v;
    }
    r->bad = 1;
    return 0;
}

const char *gn_rd_str(struct gn_rd *r, size_t *n, size_t max)
{
    uint64_t len = gn_rd_varint(r);
    if (len > max) {
        r->bad = 1;
        *n = 0;
        return NULL;
    }
    *n = (size_t)len;
    return (const char *)gn_rd_bytes(r, (size_t)len);
}
