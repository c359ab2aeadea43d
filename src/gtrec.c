/*
 * gtrec.c — storage management for struct gtrec. See gtrec.h.
 */
#include "gtrec.h"

#include <string.h>

#include "alloc.h"

void gtrec_init(struct gtrec *r)
{
    memset(r, 0, sizeof *r);
}

void gtrec_free(struct gtrec *r)
{
    if (!r) return;
    gn_free(r->str);
    gn_free(r->alt);
    gn_free(r->al);
    gn_free(r->phased);
    memset(r, 0, sizeof *r);
}

int gtrec_reserve(struct gtrec *r, uint32_t n_samples)
{
    if (n_samples > r->sample_cap) {
        int16_t *al = gn_reallocarray(r->al, (size_t)n_samples * 2, sizeof *al);
        if (!al) return GN_ENOMEM;
        r->al = al;
        uint8_t *ph = gn_reallocarray(r->phased, n_samples, 1);
        if (!ph) return GN_ENOMEM;
        r->phased = ph;
        r->sample_cap = n_samples;
    }
    r->n_samples = n_samples;
    return GN_OK;
}

int gtrec_set_alleles(struct gtrec *r, const char *ref, size_t ref_len, const char *const *alt,
                      const size_t *alt_len, uint32_t n_alt)
{
    size_t need = ref_len + 1, off;

    if (n_alt > GTREC_MAX_ALT || ref_len > GTREC_MAX_ALLELE_LEN) return GN_ELIMIT;
    for (uint32_t i = 0; i < n_alt; i++) {
        if (alt_len[i] > GTREC_MAX_ALLELE_LEN) return GN_ELIMIT;
        need += alt_len[i] + 1;
    }
    if (need > r->str_cap) {
        char *s = gn_reallocarray(r->str, need, 1);
        if (!s) return GN_ENOMEM;
        r->str = s;
        r->str_cap = need;
    }
    if (n_alt > r->alt_cap) {
        char **a = gn_reallocarray(r->alt, n_alt, sizeof *a);
        if (!a) return GN_ENOMEM;
        r->alt = a;
        r->alt_cap = n_alt;
    }
    memcpy(r->str, ref, ref_len);
    r->str[ref_len] = '\0';
    r->ref = r->str;
    off = ref_len + 1;
    for (uint32_t i = 0; i < n_alt; i++) {
        memcpy(r->str + off, alt[i], alt_len[i]);
        r->str[off + alt_len[i]] = '\0';
        r->alt[i] = r->str + off;
        off += alt_len[i] + 1;
    }
    r->n_alt = n_alt;
    return GN_OK;
}
