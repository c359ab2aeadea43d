/*
 * gen_mosaic.c - synthetic genotype cohorts for the genomenode benchmarks.
 *
 * PURPOSE
 *   Real cohorts of 10^5 samples cannot be shipped with the project, and the
 *   public 1000 Genomes panels have at most a few thousand samples.  This
 *   program turns a small *phased reference panel* (VCF/BCF) into a large
 *   cohort of N synthetic diploid samples whose haplotypes are mosaics of the
 *   real panel haplotypes, following the copying model of
 *
 *     Li N, Stephens M (2003). Modeling linkage disequilibrium and identifying
 *     recombination hotspots using single-nucleotide polymorphism data.
 *     Genetics 165:2213-2233.
 *
 *   Every synthetic haplotype starts by copying one randomly chosen panel
 *   haplotype and, between two consecutive sites, jumps to another randomly
 *   chosen panel haplotype with probability
 *
 *       p = 1 - exp(-rate * d)
 *
 *   where d is the physical distance in Mb (or, with --cm-tag, the genetic
 *   distance in cM read from an INFO tag) and rate is --switch-rate (switches
 *   per Mb or per cM, default 1).  The result keeps the panel's sites, alleles,
 *   allele frequencies and local LD structure, while each synthetic sample is
 *   new.  An optional per-allele "mutation" rate (--mut-rate, default 0, i.e.
 *   mutation-free copying) flips copied alleles (REF <-> a random ALT) to add
 *   rare variation that is absent from the panel.
 *
 * OUTPUT
 *   A compressed BCF with the panel's records (CHROM, POS, ID, REF, ALT, FILTER
 *   kept; multi-allelic sites kept as they are; QUAL and INFO dropped) and a
 *   single FORMAT/GT field, always phased ("a|b").  Samples are named
 *   <prefix>000001, <prefix>000002, ... (default prefix "S").  Missing
 *   alleles in the panel are copied as missing; a haploid panel call (e.g.
 *   male chrX) is copied as if both haplotypes of that panel sample carried it.
 *
 * PERFORMANCE
 *   The panel is streamed record by record (bcf_srs, so --region works on an
 *   indexed input).  The program keeps, per synthetic haplotype, only the index
 *   of the panel haplotype it currently copies, so memory is O(N) and
 *   independent of the number of sites.  Switch events are sampled by
 *   geometric skipping, so the cost per site is O(N) for the copy itself plus
 *   O(number of switches) for the random numbers.  At 100,000 samples the
 *   run time is dominated by BGZF compression of the output.
 *
 * BUILD (from the repository root; htslib only)
 *   mkdir -p build/bench
 *   cc -std=c11 -O2 -Wall -Wextra bench/gen_mosaic.c \
 *      $(pkg-config --cflags --libs htslib) -lm -o build/bench/gen_mosaic
 *
 * USAGE
 *   gen_mosaic [options] PANEL.vcf.gz|PANEL.bcf -o OUT.bcf
 *     -n, --samples N        synthetic diploid samples (default 1000)
 *     -s, --seed S           RNG seed (default 1)
 *     -k, --sites-limit K    stop after the first K records (default: all)
 *     -r, --region REG       only records in REG (chr:beg-end; needs an index)
 *     -R, --switch-rate R    template switches per Mb (or per cM) (default 1)
 *     -c, --cm-tag TAG       use INFO/TAG (genetic position, cM) for distances
 *     -m, --mut-rate M       per-allele probability of flipping an allele (0)
 *     -p, --prefix P         sample name prefix (default "S")
 *     -l, --level L          BGZF compression level 0-9 (default: htslib's)
 *     -t, --threads T        extra compression threads (default 0)
 *     -x, --index            also write OUT.bcf.csi
 *     -o, --output FILE      output BCF (required; "-" = stdout)
 *     -q, --quiet            no progress report on stderr
 *
 * EXAMPLE
 *   build/bench/gen_mosaic -n 100000 -s 42 --index -o cohort.bcf \
 *       ../shared/data/vcf/shapeit4_1kgp_EUR_chr20/1kgp_EUR503_chr20_1-4Mb_GRCh37.vcf.gz
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <htslib/hts.h>
#include <htslib/synced_bcf_reader.h>
#include <htslib/vcf.h>

/* ------------------------------------------------------------------------ */
/* Random numbers: xoshiro256** seeded through splitmix64 (public domain     */
/* algorithms by Blackman & Vigna).  Fast, reproducible across platforms.    */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint64_t s[4];
} rng_t;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void rng_seed(rng_t *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

/* Uniform double in (0, 1]: never 0, so log() is always finite. */
static inline double rng_unit(rng_t *r)
{
    return ((double)(rng_next(r) >> 11) + 1.0) * 0x1.0p-53;
}

/* Uniform integer in [0, n); the modulo bias is < n / 2^64 (negligible). */
static inline uint32_t rng_below(rng_t *r, uint32_t n)
{
    return (uint32_t)(rng_next(r) % n);
}

/*
 * Geometric skipping: given an event probability p per trial, return the
 * number of trials to skip before the next event (0 = the very next trial).
 * Used to visit only the haplotypes that switch (or mutate) at a site.
 * inv_log1mp = 1 / log(1 - p), precomputed by the caller.
 */
static inline uint64_t rng_geom_skip(rng_t *r, double inv_log1mp)
{
    double g = floor(log(rng_unit(r)) * inv_log1mp);
    return g >= 1.8e19 ? UINT64_MAX : (uint64_t)g;
}

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    const char *in_fn, *out_fn, *region, *cm_tag, *prefix;
    uint32_t n_samples;
    uint64_t seed;
    long long sites_limit; /* < 0: all */
    double switch_rate;    /* switches per Mb (or per cM with cm_tag) */
    double mut_rate;       /* per-allele flip probability */
    int level;             /* -1: htslib default */
    int threads;
    int write_index;
    int quiet;
} opts_t;

static void usage(FILE *fp)
{
    fputs("Usage: gen_mosaic [options] PANEL.vcf.gz|PANEL.bcf -o OUT.bcf\n"
          "Build a synthetic phased cohort by Li & Stephens mosaic copying of a\n"
          "phased reference panel.\n\n"
          "  -n, --samples N        synthetic diploid samples (default 1000)\n"
          "  -s, --seed S           RNG seed (default 1)\n"
          "  -k, --sites-limit K    stop after the first K records (default all)\n"
          "  -r, --region REG       only records in REG (needs an indexed panel)\n"
          "  -R, --switch-rate R    template switches per Mb (per cM with -c) (default 1)\n"
          "  -c, --cm-tag TAG       use INFO/TAG (cM) instead of physical distance\n"
          "  -m, --mut-rate M       per-allele probability of flipping an allele (default 0)\n"
          "  -p, --prefix P         sample name prefix (default S -> S000001 ...)\n"
          "  -l, --level L          BGZF compression level 0-9 (default htslib's)\n"
          "  -t, --threads T        extra compression threads (default 0)\n"
          "  -x, --index            also write OUT.csi index (OUT must be a file)\n"
          "  -o, --output FILE      output BCF (required; '-' for stdout)\n"
          "  -q, --quiet            no progress on stderr\n"
          "  -h, --help             this help\n",
          fp);
}

static int parse_ll(const char *s, long long lo, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < lo) return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

static int parse_opts(int argc, char **argv, opts_t *o)
{
    static const struct option lopts[] = {{"samples", required_argument, NULL, 'n'},
                                          {"seed", required_argument, NULL, 's'},
                                          {"sites-limit", required_argument, NULL, 'k'},
                                          {"region", required_argument, NULL, 'r'},
                                          {"switch-rate", required_argument, NULL, 'R'},
                                          {"cm-tag", required_argument, NULL, 'c'},
                                          {"mut-rate", required_argument, NULL, 'm'},
                                          {"prefix", required_argument, NULL, 'p'},
                                          {"level", required_argument, NULL, 'l'},
                                          {"threads", required_argument, NULL, 't'},
                                          {"index", no_argument, NULL, 'x'},
                                          {"output", required_argument, NULL, 'o'},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof(*o));
    o->n_samples = 1000;
    o->seed = 1;
    o->sites_limit = -1;
    o->switch_rate = 1.0;
    o->level = -1;
    o->prefix = "S";

    int c;
    long long v;
    while ((c = getopt_long(argc, argv, "n:s:k:r:R:c:m:p:l:t:xo:qh", lopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (parse_ll(optarg, 1, &v) || v > 100000000LL) {
                fprintf(stderr, "gen_mosaic: bad --samples '%s'\n", optarg);
                return -1;
            }
            o->n_samples = (uint32_t)v;
            break;
        case 's':
            if (parse_ll(optarg, 0, &v)) {
                fprintf(stderr, "gen_mosaic: bad --seed '%s'\n", optarg);
                return -1;
            }
            o->seed = (uint64_t)v;
            break;
        case 'k':
            if (parse_ll(optarg, 0, &v)) {
                fprintf(stderr, "gen_mosaic: bad --sites-limit '%s'\n", optarg);
                return -1;
            }
            o->sites_limit = v;
            break;
        case 'r':
            o->region = optarg;
            break;
        case 'R':
            if (parse_double(optarg, 0.0, 1e9, &o->switch_rate)) {
                fprintf(stderr, "gen_mosaic: bad --switch-rate '%s'\n", optarg);
                return -1;
            }
            break;
        case 'c':
            o->cm_tag = optarg;
            break;
        case 'm':
            if (parse_double(optarg, 0.0, 1.0, &o->mut_rate)) {
                fprintf(stderr, "gen_mosaic: bad --mut-rate '%s' (0..1)\n", optarg);
                return -1;
            }
            break;
        case 'p':
            o->prefix = optarg;
            break;
        case 'l':
            if (parse_ll(optarg, 0, &v) || v > 9) {
                fprintf(stderr, "gen_mosaic: bad --level '%s' (0..9)\n", optarg);
                return -1;
            }
            o->level = (int)v;
            break;
        case 't':
            if (parse_ll(optarg, 0, &v) || v > 256) {
                fprintf(stderr, "gen_mosaic: bad --threads '%s'\n", optarg);
                return -1;
            }
            o->threads = (int)v;
            break;
        case 'x':
            o->write_index = 1;
            break;
        case 'o':
            o->out_fn = optarg;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc - 1 || !o->out_fn) {
        usage(stderr);
        return -1;
    }
    o->in_fn = argv[optind];
    if (o->write_index && strcmp(o->out_fn, "-") == 0) {
        fprintf(stderr, "gen_mosaic: --index needs a file output\n");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Header                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * Output header = panel header minus its samples, INFO and FORMAT
 * definitions (contigs, FILTERs and other meta lines are kept), plus GT and
 * the synthetic sample names.
 */
static bcf_hdr_t *make_out_header(const bcf_hdr_t *ih, const opts_t *o, int argc, char **argv)
{
    bcf_hdr_t *oh = bcf_hdr_subset(ih, 0, NULL, NULL);
    if (!oh) return NULL;
    bcf_hdr_remove(oh, BCF_HL_INFO, NULL);
    bcf_hdr_remove(oh, BCF_HL_FMT, NULL);
    if (bcf_hdr_append(oh, "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">") < 0)
        goto fail;

    /* Record how the file was made. */
    kstring_t ks = {0, 0, NULL};
    ksprintf(&ks, "##gen_mosaicCommand=");
    for (int i = 0; i < argc; i++)
        ksprintf(&ks, "%s%s", i ? " " : "", argv[i]);
    if (bcf_hdr_append(oh, ks.s) < 0) {
        free(ks.s);
        goto fail;
    }
    ks.l = 0;
    ksprintf(
        &ks,
        "##gen_mosaicModel=<ID=LiStephens2003,Description=\"mosaic copying of panel haplotypes\","
        "Samples=%" PRIu32 ",Seed=%" PRIu64 ",SwitchRate=%g,SwitchUnit=%s,MutRate=%g>",
        o->n_samples, o->seed, o->switch_rate, o->cm_tag ? "cM" : "Mb", o->mut_rate);
    if (bcf_hdr_append(oh, ks.s) < 0) {
        free(ks.s);
        goto fail;
    }

    /* Sample names: prefix + zero-padded 1-based index (at least 6 digits). */
    int width = 6;
    for (uint32_t n = o->n_samples; n >= 1000000; n /= 10)
        width++;
    for (uint32_t i = 0; i < o->n_samples; i++) {
        ks.l = 0;
        ksprintf(&ks, "%s%0*" PRIu32, o->prefix, width, i + 1);
        if (bcf_hdr_add_sample(oh, ks.s) < 0) {
            free(ks.s);
            goto fail;
        }
    }
    free(ks.s);
    if (bcf_hdr_sync(oh) < 0) goto fail;
    return oh;
fail:
    bcf_hdr_destroy(oh);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Main loop                                                                 */
/* ------------------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    opts_t o;
    if (parse_opts(argc, argv, &o)) return 2;

    int ret = 1;
    bcf_srs_t *sr = bcf_sr_init();
    htsFile *out = NULL;
    bcf_hdr_t *oh = NULL;
    bcf1_t *orec = bcf_init();
    int32_t *pgt = NULL, *ogt = NULL;
    uint32_t *src = NULL;
    float *cm = NULL;
    int npgt = 0, ncm = 0;
    int *fmap = NULL;
    char *idx_fn = NULL;
    if (!sr || !orec) goto done;

    /* ---- open the panel ------------------------------------------------- */
    if (o.region) {
        sr->require_index = 1;
        if (bcf_sr_set_regions(sr, o.region, 0) < 0) {
            fprintf(stderr, "gen_mosaic: bad region '%s'\n", o.region);
            goto done;
        }
    }
    if (!bcf_sr_add_reader(sr, o.in_fn)) {
        fprintf(stderr, "gen_mosaic: cannot open %s: %s\n", o.in_fn, bcf_sr_strerror(sr->errnum));
        goto done;
    }
    bcf_hdr_t *ih = bcf_sr_get_header(sr, 0);
    int n_panel = bcf_hdr_nsamples(ih);
    if (n_panel < 1) {
        fprintf(stderr, "gen_mosaic: panel %s has no samples\n", o.in_fn);
        goto done;
    }
    /* Panel haplotypes: two per panel sample (diploid panel assumed). */
    const uint32_t n_hap_panel = 2u * (uint32_t)n_panel;
    const size_t n_hap = 2u * (size_t)o.n_samples;

    /* ---- open the output ------------------------------------------------ */
    oh = make_out_header(ih, &o, argc, argv);
    if (!oh) {
        fprintf(stderr, "gen_mosaic: failed to build the output header\n");
        goto done;
    }
    char mode[4] = "wb"; /* "wb" or "wbN" with N = 0..9 */
    if (o.level >= 0 && o.level <= 9) {
        mode[2] = (char)('0' + o.level);
        mode[3] = '\0';
    }
    out = hts_open(o.out_fn, mode);
    if (!out) {
        fprintf(stderr, "gen_mosaic: cannot write %s: %s\n", o.out_fn, strerror(errno));
        goto done;
    }
    if (o.threads > 0) hts_set_threads(out, o.threads);
    if (bcf_hdr_write(out, oh) < 0) {
        fprintf(stderr, "gen_mosaic: failed to write the header\n");
        goto done;
    }
    if (o.write_index) {
        size_t l = strlen(o.out_fn);
        idx_fn = malloc(l + 5);
        if (!idx_fn) goto done;
        memcpy(idx_fn, o.out_fn, l);
        memcpy(idx_fn + l, ".csi", 5);
        /* On-the-fly indexing is only trusted without compression threads:
         * with htslib 1.16, threaded output of records larger than a BGZF
         * block gave a corrupt .csi.  With threads the index is built after
         * the file is closed (see the end of main). */
        if (o.threads == 0 && bcf_idx_init(out, oh, 14, idx_fn) < 0) {
            fprintf(stderr, "gen_mosaic: cannot initialise the index\n");
            goto done;
        }
    }

    /* FILTER ids differ between the two headers: map by name lazily. */
    const int n_fmap = ih->n[BCF_DT_ID];
    fmap = malloc(sizeof(int) * (size_t)(n_fmap > 0 ? n_fmap : 1));
    if (!fmap) goto done;
    for (int i = 0; i < n_fmap; i++)
        fmap[i] = -2; /* -2: not looked up yet */

    /* ---- per-haplotype state -------------------------------------------- */
    src = malloc(sizeof(uint32_t) * n_hap);
    ogt = malloc(sizeof(int32_t) * n_hap);
    if (!src || !ogt) {
        fprintf(stderr, "gen_mosaic: out of memory\n");
        goto done;
    }
    rng_t rng;
    rng_seed(&rng, o.seed);
    /* Separate stream for mutations so --mut-rate does not change the mosaic. */
    rng_t rng_mut;
    rng_seed(&rng_mut, o.seed ^ 0x6D75746174696F6EULL);
    const double inv_log1m_mut = o.mut_rate > 0 && o.mut_rate < 1 ? 1.0 / log1p(-o.mut_rate) : 0;

    int prev_rid = -1;
    double prev_x = 0; /* previous site's position, Mb or cM */
    long long n_sites = 0, n_switch = 0, n_mut = 0;
    const double t0 = now_s();
    double t_report = t0;

    /* ---- stream the panel ----------------------------------------------- */
    while (o.sites_limit < 0 || n_sites < o.sites_limit) {
        int nr = bcf_sr_next_line(sr);
        if (nr <= 0) break;
        bcf1_t *rec = bcf_sr_get_line(sr, 0);
        if (!rec) continue;
        if (bcf_unpack(rec, BCF_UN_ALL) < 0) {
            fprintf(stderr, "gen_mosaic: cannot parse record %lld\n", n_sites + 1);
            goto done;
        }

        /* Map contig and allele count. */
        const char *chrom = bcf_seqname(ih, rec);
        int orid = bcf_hdr_name2id(oh, chrom);
        if (orid < 0) {
            fprintf(stderr,
                    "gen_mosaic: contig '%s' is not declared in the panel header; "
                    "add ##contig lines first (bcftools reheader / annotate)\n",
                    chrom);
            goto done;
        }
        const int n_allele = rec->n_allele;

        /* Position used for the switch probability. */
        double x = (double)rec->pos / 1e6; /* Mb */
        if (o.cm_tag) {
            int nv = bcf_get_info_float(ih, rec, o.cm_tag, &cm, &ncm);
            if (nv < 1 || bcf_float_is_missing(cm[0])) {
                fprintf(stderr, "gen_mosaic: %s:%" PRIhts_pos " has no INFO/%s\n", chrom,
                        rec->pos + 1, o.cm_tag);
                goto done;
            }
            x = cm[0];
        }

        /* ---- template switches (Li & Stephens transition) ---------------- */
        if (rec->rid != prev_rid) {
            /* New contig (or first site): independent fresh templates. */
            for (size_t j = 0; j < n_hap; j++)
                src[j] = rng_below(&rng, n_hap_panel);
            prev_rid = rec->rid;
        } else {
            double d = x - prev_x;
            if (d < 0) d = 0; /* unsorted input or a non-monotone map: no switch */
            double p = -expm1(-o.switch_rate * d); /* 1 - exp(-rate*d) */
            if (p >= 1.0) {
                for (size_t j = 0; j < n_hap; j++)
                    src[j] = rng_below(&rng, n_hap_panel);
                n_switch += (long long)n_hap;
            } else if (p > 0 && n_hap_panel > 1) {
                const double inv = 1.0 / log1p(-p);
                uint64_t j = rng_geom_skip(&rng, inv);
                while (j < n_hap) {
                    /* switch to a different panel haplotype, uniformly */
                    uint32_t nsrc = rng_below(&rng, n_hap_panel - 1);
                    src[j] = nsrc >= src[j] ? nsrc + 1 : nsrc;
                    n_switch++;
                    uint64_t skip = rng_geom_skip(&rng, inv);
                    if (skip >= (uint64_t)n_hap) break;
                    j += 1 + skip;
                }
            }
        }
        prev_x = x;

        /* ---- copy alleles ------------------------------------------------- */
        int ngt = bcf_get_genotypes(ih, rec, &pgt, &npgt);
        if (ngt <= 0) {
            /* No GT in this record: everything missing. */
            for (size_t j = 0; j < n_hap; j++)
                ogt[j] = (j & 1) ? bcf_gt_missing | 1 : bcf_gt_missing;
        } else {
            const int ploidy = ngt / n_panel;
            if (ploidy == 2) {
                /* Haploid calls (vector_end in the 2nd slot) copy the 1st. */
                for (int i = 0; i < n_panel; i++)
                    if (pgt[2 * i + 1] == bcf_int32_vector_end) pgt[2 * i + 1] = pgt[2 * i];
            } else {
                /* Haploid record (or > 2 alleles per sample): rebuild a
                 * 2-slot vector from the first one or two alleles. */
                if (ploidy < 1) {
                    fprintf(stderr, "gen_mosaic: bad GT at %s:%" PRIhts_pos "\n", chrom,
                            rec->pos + 1);
                    goto done;
                }
                int32_t *tmp = malloc(sizeof(int32_t) * 2 * (size_t)n_panel);
                if (!tmp) goto done;
                for (int i = 0; i < n_panel; i++) {
                    int32_t a = pgt[i * ploidy];
                    int32_t b = ploidy > 1 ? pgt[i * ploidy + 1] : bcf_int32_vector_end;
                    tmp[2 * i] = a;
                    tmp[2 * i + 1] = b == bcf_int32_vector_end ? a : b;
                }
                free(pgt);
                pgt = tmp;
                npgt = 2 * n_panel;
            }
            /* Re-encode the panel alleles once as output values: first
             * allele unphased-flag, second phased ("a|b"), missing kept. */
            for (uint32_t h = 0; h < n_hap_panel; h++) {
                int32_t v = pgt[h];
                int allele =
                    (v == bcf_int32_vector_end || bcf_gt_is_missing(v)) ? -1 : bcf_gt_allele(v);
                pgt[h] = allele < 0 ? bcf_gt_missing : bcf_gt_unphased(allele);
            }
            /* The hot loop: a gather from a cache-resident table. */
            for (size_t j = 0; j < n_hap; j += 2) {
                ogt[j] = pgt[src[j]];
                ogt[j + 1] = pgt[src[j + 1]] | 1; /* phased bit on 2nd allele */
            }
        }

        /* ---- optional mutations: flip REF <-> random ALT ------------------ */
        if (o.mut_rate > 0 && n_allele > 1) {
            uint64_t j = o.mut_rate >= 1 ? 0 : rng_geom_skip(&rng_mut, inv_log1m_mut);
            while (j < n_hap) {
                int32_t v = ogt[j];
                if (!bcf_gt_is_missing(v)) {
                    int a = bcf_gt_allele(v);
                    int na = a != 0 ? 0 : 1 + (int)rng_below(&rng_mut, (uint32_t)(n_allele - 1));
                    ogt[j] = (j & 1) ? bcf_gt_phased(na) : bcf_gt_unphased(na);
                    n_mut++;
                }
                uint64_t skip = o.mut_rate >= 1 ? 0 : rng_geom_skip(&rng_mut, inv_log1m_mut);
                if (skip >= (uint64_t)n_hap) break;
                j += 1 + skip;
            }
        }

        /* ---- build and write the output record ---------------------------- */
        bcf_clear(orec);
        orec->rid = orid;
        orec->pos = rec->pos;
        bcf_float_set_missing(orec->qual);
        if (bcf_update_id(oh, orec, rec->d.id) < 0 ||
            bcf_update_alleles(oh, orec, (const char **)rec->d.allele, n_allele) < 0) {
            fprintf(stderr, "gen_mosaic: cannot set ID/alleles at %s:%" PRIhts_pos "\n", chrom,
                    rec->pos + 1);
            goto done;
        }
        if (rec->d.n_flt > 0) {
            int flt[64], nf = 0;
            for (int i = 0; i < rec->d.n_flt && nf < 64; i++) {
                int fid = rec->d.flt[i];
                if (fid < 0 || fid >= n_fmap)
                    continue; /* FILTER added to the header after start-up */
                if (fmap[fid] == -2)
                    fmap[fid] = bcf_hdr_id2int(oh, BCF_DT_ID, bcf_hdr_int2id(ih, BCF_DT_ID, fid));
                if (fmap[fid] >= 0) flt[nf++] = fmap[fid];
            }
            if (nf > 0 && bcf_update_filter(oh, orec, flt, nf) < 0) goto done;
        }
        if (bcf_update_genotypes(oh, orec, ogt, (int)n_hap) < 0) {
            fprintf(stderr, "gen_mosaic: cannot set GT at %s:%" PRIhts_pos "\n", chrom,
                    rec->pos + 1);
            goto done;
        }
        if (bcf_write(out, oh, orec) < 0) {
            fprintf(stderr, "gen_mosaic: write error at %s:%" PRIhts_pos "\n", chrom, rec->pos + 1);
            goto done;
        }
        n_sites++;

        if (!o.quiet && (n_sites & 1023) == 0) {
            double t = now_s();
            if (t - t_report >= 10.0) {
                fprintf(stderr, "gen_mosaic: %lld sites, %s:%" PRIhts_pos ", %.1f s\n", n_sites,
                        chrom, rec->pos + 1, t - t0);
                t_report = t;
            }
        }
    }
    if (sr->errnum) {
        fprintf(stderr, "gen_mosaic: read error: %s\n", bcf_sr_strerror(sr->errnum));
        goto done;
    }
    if (o.write_index && o.threads == 0 && bcf_idx_save(out) < 0) {
        fprintf(stderr, "gen_mosaic: cannot save index %s\n", idx_fn);
        goto done;
    }
    if (!o.quiet)
        fprintf(stderr,
                "gen_mosaic: wrote %lld sites x %" PRIu32 " samples from %d panel samples "
                "(%lld switches = %.2f per haplotype, %lld mutations) in %.1f s\n",
                n_sites, o.n_samples, n_panel, n_switch, (double)n_switch / (double)n_hap, n_mut,
                now_s() - t0);
    ret = 0;

done:
    if (out && hts_close(out) < 0 && ret == 0) {
        fprintf(stderr, "gen_mosaic: error closing %s\n", o.out_fn);
        ret = 1;
    }
    if (ret == 0 && o.write_index && o.threads > 0 &&
        bcf_index_build3(o.out_fn, idx_fn, 14, o.threads) != 0) {
        fprintf(stderr, "gen_mosaic: cannot index %s\n", o.out_fn);
        ret = 1;
    }
    if (oh) bcf_hdr_destroy(oh);
    if (sr) bcf_sr_destroy(sr);
    if (orec) bcf_destroy(orec);
    free(pgt);
    free(ogt);
    free(src);
    free(cm);
    free(fmap);
    free(idx_fn);
    return ret;
}
