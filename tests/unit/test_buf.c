/* Buffers: varint round trips, the hard cap, bounds-checked reads. */
#include "buf.h"
#include "test.h"

static void t_varint(void)
{
    struct gn_buf b;
    struct gn_rd rd;
    static const uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, UINT64_MAX};
    gn_buf_init(&b, 1024);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        ASSERT_OK(gn_buf_put_varint(&b, vals[i]));
    gn_rd_init(&rd, b.data, b.len);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        ASSERT_TRUE(gn_rd_varint(&rd) == vals[i]);
    ASSERT_EQ_INT(rd.bad, 0);
    ASSERT_EQ_INT(gn_rd_varint(&rd), 0);
    ASSERT_EQ_INT(rd.bad, 1); /* reading past the end marks the reader bad */
    gn_buf_free(&b);
}

static void t_cap(void)
{
    struct gn_buf b;
    uint8_t x[100] = {0};
    gn_buf_init(&b, 150);
    ASSERT_OK(gn_buf_append(&b, x, 100));
    ASSERT_EQ_INT(gn_buf_append(&b, x, 51), GN_ELIMIT);
    ASSERT_OK(gn_buf_append(&b, x, 50));
    ASSERT_EQ_INT(b.len, 150);
    gn_buf_free(&b);
}

static void t_truncated_varint(void)
{
    static const uint8_t bad[] = {0x80, 0x80, 0x80};
    struct gn_rd rd;
    gn_rd_init(&rd, bad, sizeof bad);
    (void)gn_rd_varint(&rd);
    ASSERT_EQ_INT(rd.bad, 1);
}

const struct test_case test_buf_cases[] = {{"buf_varint", t_varint},
                                           {"buf_cap", t_cap},
                                           {"buf_truncated_varint", t_truncated_varint},
                                           {NULL, NULL}};
