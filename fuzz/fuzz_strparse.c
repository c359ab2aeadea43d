/* fuzz_strparse.c — region and variant parsers (query strings) on arbitrary bytes. */
#include "strparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct strparse_region r;
    struct strparse_variant v;
    int64_t x;
    int rc = strparse_region((const char *)data, size, &r);
    rc |= strparse_variant((const char *)data, size, &v);
    rc |= strparse_i64_all((const char *)data, size, &x);
    return rc & 0;
}
