/*
 * contig.c — build tables (GRC primary assembly lengths) and name normalisation.
 *
 * Lengths are those of the GRCh37 and GRCh38 primary assemblies (NCBI assembly reports),
 * chrM being the rCRS (16,569 bp) in both.
 */
#include "contig.h"

#include <stdio.h>
#include <string.h>

static const int64_t len37[CONTIG_N_PRIMARY] = {
    249250621, 243199373, 198022430, 191154276, 180915260, 171115067, 159138663,
    146364022, 141213431, 135534747, 135006516, 133851895, 115169878, 107349540,
    102531392, 90354753,  81195210,  78077248,  59128983,  63025520,  48129895,
    51304566,  155270560, 59373566,  16569};
static const int64_t len38[CONTIG_N_PRIMARY] = {
    248956422, 242193529, 198295559, 190214555, 181538259, 170805979, 159345973,
    145138636, 138394717, 133797422, 135086622, 133275309, 114364328, 107043718,
    101991189, 90338345,  83257441,  80373285,  58617616,  64444167,  46709983,
    50818468,  156040895, 57227415,  16569};
static const char *const names37[CONTIG_N_PRIMARY] = {
    "1",  "2",  "3",  "4",  "5",  "6",  "7",  "8",  "9",  "10", "11", "12", "13",
    "14", "15", "16", "17", "18", "19", "20", "21", "22", "X",  "Y",  "MT"};
static const char *const names38[CONTIG_N_PRIMARY] = {
    "chr1",  "chr2",  "chr3",  "chr4",  "chr5",  "chr6",  "chr7",  "chr8",  "chr9",
    "chr10", "chr11", "chr12", "chr13", "chr14", "chr15", "chr16", "chr17", "chr18",
    "chr19", "chr20", "chr21", "chr22", "chrX",  "chrY",  "chrM"};

int contig_build_parse(const char *s, enum contig_build *b)
{
    if (!strcmp(s, "GRCh37") || !strcmp(s, "grch37") || !strcmp(s, "hg19") || !strcmp(s, "37")) {
        *b = CONTIG_BUILD_GRCH37;
        return GN_OK;
    }
    if (!strcmp(s, "GRCh38") || !strcmp(s, "grch38") || !strcmp(s, "hg38") || !strcmp(s, "38")) {
        *b = CONTIG_BUILD_GRCH38;
        return GN_OK;
    }
    return GN_EINVAL;
}

const char *contig_build_name(enum contig_build b)
{
    return b == CONTIG_BUILD_GRCH37 ? "GRCh37" : "GRCh38";
}

static int primary_index(const char *p, size_t n)
{
    if (n >= 3 && (p[0] == 'c' || p[0] == 'C') && (p[1] == 'h' || p[1] == 'H') &&
        (p[2] == 'r' || p[2] == 'R')) {
        p += 3;
        n -= 3;
    }
    if (n == 1 && (p[0] == 'X' || p[0] == 'x')) return 22;
    if (n == 1 && (p[0] == 'Y' || p[0] == 'y')) return 23;
    if ((n == 1 && (p[0] == 'M' || p[0] == 'm')) || (n == 2 && !memcmp(p, "MT", 2))) return 24;
    if (n == 0 || n > 2 || p[0] == '0') return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v >= 1 && v <= 22 ? v - 1 : -1;
}

int contig_normalise(enum contig_build b, const char *name, size_t n, char out[CONTIG_NAME_MAX + 1])
{
    int idx;
    if (n == 0 || n > CONTIG_NAME_MAX) return GN_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (name[i] <= ' ' || name[i] == 127 || name[i] == ':') return GN_EINVAL;
    }
    idx = primary_index(name, n);
    if (idx >= 0) {
        (void)snprintf(out, CONTIG_NAME_MAX + 1, "%s", contig_primary_name(b, idx)); /* short */
        return idx;
    }
    memcpy(out, name, n);
    out[n] = '\0';
    return -1;
}

int64_t contig_primary_length(enum contig_build b, int idx)
{
    if (idx < 0 || idx >= CONTIG_N_PRIMARY) return 0;
    return b == CONTIG_BUILD_GRCH37 ? len37[idx] : len38[idx];
}

const char *contig_primary_name(enum contig_build b, int idx)
{
    if (idx < 0 || idx >= CONTIG_N_PRIMARY) return NULL;
    return b == CONTIG_BUILD_GRCH37 ? names37[idx] : names38[idx];
}
