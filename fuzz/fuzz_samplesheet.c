/* fuzz_samplesheet.c — the sample-sheet parser on arbitrary bytes, with the CPR format
 * and callbacks that accept a few datasets and DUO codes, so that deep rows are reached. */
#include <stdint.h>
#include <string.h>

#include "samplesheet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_dataset(void *ctx, const char *name, struct gn_err *err)
{
    (void)ctx;
    if (!strcmp(name, "cohort1") || !strcmp(name, "cohort2")) return GN_OK;
    return gn_errf(err, GN_ENOTFOUND, "no such dataset");
}

static int check_consent(void *ctx, const char *terms, struct gn_err *err)
{
    (void)ctx;
    if (strspn(terms, "GRUHMBNP,clinical") == strlen(terms)) return GN_OK;
    return gn_errf(err, GN_EPARSE, "unknown DUO term");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct samplesheet_opts o;
    struct samplesheet *sh = NULL;
    struct gn_err err = GN_ERR_INIT;

    memset(&o, 0, sizeof o);
    o.id_format = natid_format_find("cpr");
    o.check_dataset = check_dataset;
    o.check_consent = check_consent;
    o.max_year = 2024;
    if (samplesheet_parse((const char *)data, size, "fuzz", &o, &sh, &err) == GN_OK) {
        for (size_t i = 0; i < samplesheet_count(sh); i++) {
            const struct samplesheet_row *r = samplesheet_row(sh, i);
            /* Invariants of an accepted sheet: a normalised CPR, a sample name. */
            if (strlen(r->national_id) != 10 || !r->sample_id[0]) __builtin_trap();
        }
        samplesheet_wipe_ids(sh);
        samplesheet_free(sh);
    }
    return 0;
}
