/*
 * fuzz_segment.c — the segment reader on arbitrary bytes: open, load every block with
 * payload, decode every record, count every site under a mask and look up phase sets. Any outcome
 * but a GN_E* return (crash, sanitizer report, hang) is a bug.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/gn-fuzz-seg-XXXXXX";
    struct gn_err err = GN_ERR_INIT;
    struct segment *s = NULL;
    struct segment_block b;
    struct gtrec r;
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    segment_block_init(&b);
    gtrec_init(&r);
    if (segment_open(&s, path, &err) == GN_OK) {
        uint64_t mask[1 << 10] = {0};
        uint32_t words = (segment_n_samples(s) + 63) / 64;
        for (uint32_t w = 0; w < words && w < (1 << 10); w++)
            mask[w] = 0x5555555555555555ull;
        if (segment_n_samples(s) % 64)
            if (words <= (1 << 10)) mask[words - 1] &= (1ull << (segment_n_samples(s) % 64)) - 1;
        for (uint32_t i = 0; i < segment_n_blocks(s) && i < 64; i++) {
            if (segment_block_load(s, i, &b, 1, &err) < 0) continue;
            for (uint32_t k = 0; k < b.n_records; k++) {
                if (segment_record_decode(s, &b, k, &r, &err) < 0) break;
                {
                    const uint32_t few[3] = {0, 2, 5}; /* the subset decoder, sorted locals */
                    uint32_t nf = segment_n_samples(s) > 5 ? 3 : 1;
                    if (segment_record_decode_subset(s, &b, k, few, nf, &r, &err) < 0) break;
                }
                for (uint32_t t = 0; t < b.rec[k].n_alt; t++) {
                    struct segment_stats st;
                    segment_block_set_mask(&b, s, words <= (1 << 10) ? mask : NULL);
                    if (segment_site_stats(s, &b, k, b.rec[k].first_site + t, &st, &err) < 0) break;
                }
            }
        }
        (void)segment_callable_count(s, 0, 100, NULL);
        for (uint32_t i = 0; i < segment_n_samples(s) && i < 64; i++) {
            const struct segment_phase_change *pc;
            uint64_t n = segment_phase_changes(s, i, &pc);
            for (uint64_t j = 0; j < n && j < 64; j++)
                (void)segment_phase_set(s, i, pc[j].contig, pc[j].pos - (int64_t)(j & 1));
        }
    }
    segment_block_free(&b);
    gtrec_free(&r);
    segment_close(s);
    unlink(path);
    return 0;
}
