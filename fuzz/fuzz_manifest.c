/* fuzz_manifest.c — the manifest parser on arbitrary bytes. */
#include "gtstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gtstore_manifest m;
    struct gn_err err = GN_ERR_INIT;
    if (gtstore_manifest_parse((const char *)data, size, &m, &err) == GN_OK)
        gtstore_manifest_free(&m);
    return 0;
}
