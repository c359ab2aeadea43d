/*
 * buf.h — growable byte buffer with a hard cap, little-endian and varint helpers.
 *
 * A struct gn_buf is caller-provided storage (init/reset/free); it grows by doubling
 * up to the cap given at init and fails cleanly with GN_ELIMIT beyond it, so no
 * untrusted input can make it grow without bound. Hot loops reuse one buffer and call
 * gn_buf_reset() between uses.
 *
 * Readers (struct gn_rd) walk a borrowed byte range with bounds checks on every read;
 * a short read sets rd->bad and returns 0, so decoders check once at the end.
 *
 * Thread safety: a buffer is used by one thread at a time.
 */
#ifndef GN_BUF_H
#define GN_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"

struct gn_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max; /* hard cap in bytes */
};

void gn_buf_init(struct gn_buf *b, size_t max);
void gn_buf_reset(struct gn_buf *b); /* len = 0, keeps memory */
void gn_buf_free(struct gn_buf *b);  /* releases memory; b may be reused after init */
/* Ensures room for n more bytes. GN_ENOMEM or GN_ELIMIT on failure. */
GN_MUST_CHECK int gn_buf_reserve(struct gn_buf *b, size_t n);
GN_MUST_CHECK int gn_buf_append(struct gn_buf *b, const void *p, size_t n);
GN_MUST_CHECK int gn_buf_put_u8(struct gn_buf *b, uint8_t v);
GN_MUST_CHECK int gn_buf_put_u16(struct gn_buf *b, uint16_t v);
GN_MUST_CHECK int gn_buf_put_u32(struct gn_buf *b, uint32_t v);
GN_MUST_CHECK int gn_buf_put_u64(struct gn_buf *b, uint64_t v);
GN_MUST_CHECK int gn_buf_put_varint(struct gn_buf *b, uint64_t v);
/* Appends a varint length then the bytes. */
GN_MUST_CHECK int gn_buf_put_str(struct gn_buf *b, const char *s, size_t n);

static inline void gn_le_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static inline void gn_le_put_u64(uint8_t *p, uint64_t v)
{
    gn_le_put_u32(p, (uint32_t)v);
    gn_le_put_u32(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t gn_le_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t gn_le_u64(const uint8_t *p)
{
    return (uint64_t)gn_le_u32(p) | (uint64_t)gn_le_u32(p + 4) << 32;
}

/* Bounded reader over borrowed bytes. */
struct gn_rd {
    const uint8_t *p;
    const uint8_t *end;
    int bad; /* set on any out-of-bounds or malformed read */
};

static inline void gn_rd_init(struct gn_rd *r, const void *p, size_t n)
{
    r->p = p;
    r->end = r->p + n;
    r->bad = 0;
}
uint8_t gn_rd_u8(struct gn_rd *r);
uint16_t gn_rd_u16(struct gn_rd *r);
uint32_t gn_rd_u32(struct gn_rd *r);
uint64_t gn_rd_u64(struct gn_rd *r);
uint64_t gn_rd_varint(struct gn_rd *r);
/* Returns a pointer to the next n bytes (borrowed) or NULL and sets bad. */
const uint8_t *gn_rd_bytes(struct gn_rd *r, size_t n);
/* Reads a varint length then bytes; *n receives the length; at most max bytes. */
const char *gn_rd_str(struct gn_rd *r, size_t *n, size_t max);

#endif
