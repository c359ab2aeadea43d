/*
 * main.c — the genomenode command line: git-style subcommands over the modules.
 *
 * This file is the only place (with log.c) that prints and exits. Each command parses
 * its flags, calls into the library and turns a GN_E* status into a message and exit
 * code: 0 success, 1 failure, 2 usage error.
 */
#include <getopt.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"


static const struct cmd commands[] = {
    {"init", cmd_init, "init DIR [--build GRCh37|GRCh38] [--catalog postgresql://...]",
     "Creates a node directory: genotype store, catalog and pseudonym key (mode 0600).\n"
     "The catalog is embedded SQLite unless --catalog (or GENOMENODE_CATALOG) names a\n"
     "PostgreSQL database."},
    {"ingest", cmd_ingest,
     "ingest DIR --batch NAME [--manifest TSV] [--threads N] "
     "[--quiet] FILE...",
     "Loads VCF, VCF.gz, BCF or gVCF files as one batch, all or nothing. Sample IDs are\n"
     "pseudonymised; gVCF reference blocks become callability."},
    {"count", cmd_count, "count DIR CHROM:POS:REF:ALT [COHORT] [ACCESS]",
     "Prints {\"ac\",\"an\",\"het\",\"hom_alt\",\"af\"} for one variant as JSON. het:\n"
     "samples with one copy of the ALT and another called allele (0/1, 1/2); hom_alt:\n"
     "samples with the ALT on every called haplotype: 1/1, a haploid 1 or a half-call\n"
     "(1/., ./1), as bcftools' AC_Hom and AC_Hemi."},
    {"freq", cmd_freq, "freq DIR [--region CHROM:START-END] [COHORT] [ACCESS]",
     "Prints CHROM POS REF ALT AC AN per ALT allele.\n"
     "COHORT: --samples FILE (sample IDs, one per line), --phenotype HP:ID[,HP:ID...]\n"
     "(people whose phenopacket records every listed feature or a term below it),\n"
     "--diagnosis ID[,ID...] (every listed diagnosis, e.g. OMIM:614959), --cohort NAME (a\n"
     "cohort defined with `genomenode cohort define`); given together, a sample must meet\n"
     "all of them. Phenotypes use the HPO index ($GENOMENODE_HPO_INDEX\n"
     "or data/hpo/hpo.gnhpo)."},
    {"genotypes", cmd_genotypes, "genotypes DIR --sample ID [--region R] [ACCESS]",
     "Prints one sample's non-reference genotypes as VCF (named by pseudonym)."},
    {"export", cmd_export, "export DIR [--region R] [COHORT] -o OUT.{vcf,vcf.gz,bcf} [ACCESS]",
     "Writes the genotypes as VCF/BCF with pseudonyms as sample names."},
    {"pgx", cmd_pgx,
     "pgx (--vcf FILE [--sample ID] | DIR --sample ID | DIR --all [--groups FILE] [--alleles]) "
     "[--outside FILE] [--drug NAME] [--format json|html|tsv] [--data DIR]",
     "Pharmacogenomics: star-allele diplotypes (PharmCAT definitions), CPIC phenotypes and "
     "the CPIC/DPWG drug check (consistent, change recommended, indeterminate, and why); "
     "outside calls (CYP2D6, HLA-A/B, MT-RNR1) in PharmCAT's TSV format. Missing positions "
     "are named, never assumed reference. --all: phenotype frequencies of everyone policy "
     "allows (--groups: SAMPLE<TAB>GROUP file, per group too; --alleles: allele counts of "
     "single-diplotype calls). Data: data/pgx or --data."},
    {"hpo", cmd_hpo,
     "hpo build [--from DIR | FILE...] [--out INDEX] | info [--index INDEX] | twins [--index "
     "INDEX] | eval --cases TSV "
     "[--max-terms N] [--max-excluded N] [--param K=V] [--features FILE] [--phenopackets DIR]",
     "Builds the HPO index from hp.obo/hp.json, phenotype.hpoa, genes_to_phenotype.txt,\n"
     "mim2gene_medgen or the TSV release (default: data/hpo, the HPO 2025-01-16 release) into\n"
     "INDEX (default $GENOMENODE_HPO_INDEX or data/hpo/hpo.gnhpo); shows it; lists the\n"
     "OMIM/Orphanet entries the ranker lists as one disease (TSV, with the pass that paired\n"
     "them); or ranks the\n"
     "cases of a phenopacket index TSV and prints each case's rank per method (docs/hpo.md);\n"
     "--phenopackets DIR reads each case's file (the TSV's path) for its age of onset."},
    {"rank", cmd_rank,
     "rank [DIR --sample ID --gene-regions BED [--max-af F] [--token T] [--project P] "
     "[--patient NATIONAL_ID]] --hpo HP:..,HP:.. | --phenopacket FILE [--exclude HP:..] "
     "[--genes SYMBOL,..] [--onset HP:..|AGE] [--age AGE] [--top N] [--format json|tsv] "
     "[--method resnik|bma|lr|set|combined] [--index INDEX]",
     "Ranks every annotated disease (OMIM, Orphanet) by the patient's observed and excluded\n"
     "HPO terms; candidate genes raise their diseases. The age of onset (an HPO onset term,\n"
     "also accepted in --hpo, or an ISO 8601 age such as P6M; --age: the age at examination\n"
     "when the onset is unknown) counts for or against diseases by their onset annotations.\n"
     "--phenopacket FILE (GA4GH Phenopacket v2) gives the observed and excluded features and\n"
     "the onset (the disease's, else the earliest feature's, else the age at the last\n"
     "encounter); --hpo and --exclude add terms, --onset and --age win over the file's. Prints\n"
     "rank, disease, score, label and the matched terms, with the HPO version. With a node\n"
     "DIR and --sample ID, the sample's genotypes are read from the store (through policy\n"
     "like `genotypes --sample`, same access options, audited): a gene of the BED file\n"
     "(chrom, 0-based start, end, symbol) in whose regions the sample carries a non-reference\n"
     "allele with node frequency (AC/AN of every live sample) below --max-af (default 0.01)\n"
     "becomes a candidate gene, in addition to --genes; the JSON names the variants\n"
     "(CHROM:POS:REF:ALT, genotype, AF) of each gene."},
    {"phenopacket", cmd_phenopacket,
     "phenopacket import DIR FILE|DIRECTORY [--manifest SHEET] [--dataset D] [--hpo INDEX] | "
     "export DIR [--person NATIONAL_ID | --pseudonym P | --out DIRECTORY]",
     "Imports GA4GH Phenopackets v2 (observed and excluded HPO terms, diagnoses, genes and\n"
     "variants) for people of the node: the subject id is a sample id known to the node, a\n"
     "person pseudonym, or a manifest row (ingest format) with the national ID. Exports them\n"
     "as phenopackets named by pseudonym. Steward only; audited."},
    {"mme", cmd_mme,
     "mme peer add DIR NAME URL --token-file FILE | search DIR (--person NATIONAL_ID | "
     "--pseudonym P) [--timeout MS] | heartbeat DIR",
     "Matchmaker Exchange (docs/mme.md): registers a peer node (its URL and the token it gave\n"
     "us), searches this node and every peer for patients like a local one (JSON line per\n"
     "peer; a failing peer never fails the search), or pings the peers."},
    {"stats", cmd_stats, "stats DIR",
     "Prints samples, sites, segments, bytes and bits per genotype."},
    {"compact", cmd_compact, "compact DIR",
     "Merges all segments into one and purges withdrawn samples; readers are unaffected."},
    {"withdraw", cmd_withdraw, "withdraw DIR --sample ID",
     "Withdraws a sample: excluded from every query at once, purged by the next compact."},
    {"user", cmd_user, "user add|list DIR [NAME --role ROLE [--person NATIONAL_ID]]",
     "Adds a user (steward, clinician, researcher, peer-node, citizen, auditor) or lists them\n"
     "(steward only; audited with the citizens' person pseudonyms it shows).\n"
     "A citizen is linked to their person by national ID (kept only as a pseudonym)."},
    {"token", cmd_token,
     "token create|revoke DIR (--user NAME [--label L] [--expires YYYY-MM-DD] | --id N)",
     "Creates an API token (printed once; only its SHA-256 is stored; valid through the\n"
     "--expires day, UTC) or revokes one."},
    {"dataset", cmd_dataset,
     "dataset add|list|access|matchmaking DIR [NAME --terms DUO [--description TEXT] | NAME "
     "LEVEL | NAME on|off]",
     "Adds a dataset with its DUO data-use terms, lists datasets (stewards, and researchers,\n"
     "clinicians and peer nodes, who may be granted them; audited), sets its Beacon security\n"
     "level, or lets Matchmaker Exchange offer its people (docs/mme.md)."},
    {"cohort", cmd_cohort,
     "cohort define DIR NAME [--phenotype HP:..,..] [--diagnosis ID,..] [--description TEXT] "
     "[--hpo INDEX] | list DIR | drop DIR NAME",
     "Defines a named cohort by phenotype (every listed HPO term or one below it) and\n"
     "diagnosis criteria, lists or drops them. A cohort holds criteria, not people: its\n"
     "members are found at each use (--cohort NAME of freq, count and export; Beacon\n"
     "/cohorts), and policy decides who may be counted. Steward only; audited."},
    {"project", cmd_project,
     "project add DIR NAME --purpose DUO --approval REF --expires YYYY-MM-DD | join DIR PROJECT "
     "USER",
     "Registers an approved project (purpose as DUO terms, ethics approval, expiry) or adds a\n"
     "member."},
    {"grant", cmd_grant,
     "grant DIR --dataset D (--user U | --project P) --level boolean|count|record|none",
     "Grants (or with none, removes) access to a dataset at a granularity."},
    {"consent", cmd_consent,
     "consent set|withdraw|show DIR --person NATIONAL_ID [--clinical | --research DUO] | "
     "matchmaking DIR --person NATIONAL_ID yes|no",
     "Records a person's consent (clinical use only, or research under DUO terms), withdraws\n"
     "it (their samples leave every answer from the next query), shows its history, or\n"
     "records their own choice on Matchmaker Exchange (no: never offered to peers)."},
    {"setting", cmd_setting,
     "setting DIR small_count_threshold N | small_count_mode suppress|round | "
     "national_id_format cpr|opaque | public_granularity boolean|count|record | "
     "discovery_purpose DUO | query_budget N | query_budget_window SECONDS | "
     "beacon_id|beacon_name|beacon_organization TEXT | matchmaking_consent optout|optin",
     "Sets how aggregate answers below record level hide small counts (default: suppress\n"
     "counts below 5), or the national ID format (default cpr; set it before the first\n"
     "ingest with a manifest)."},
    {"duo", cmd_duo, "duo match --consent TERMS --purpose TERMS",
     "Prints allowed, conditional or denied with the reason (exit 0 only when allowed)."},
    {"pseudonym", cmd_pseudonym, "pseudonym DIR --id NATIONAL_ID [--project P]",
     "Steward re-identification: the person's pseudonym (and per-project pseudonym); audited."},
    {"audit", cmd_audit, "audit verify|show DIR [--person NATIONAL_ID | --user U | --project P]",
     "Verifies the hash chain (names the first bad entry) or lists accesses as JSON lines."},
    {"trust", cmd_trust,
     "trust add DIR ISSUER JWKS_FILE [--role broker|visa|both] | prefix DIR URL | audience DIR ID",
     "Trusts a GA4GH Passport broker or visa issuer with its public keys (JWKS), sets the\n"
     "URL prefix under which ControlledAccessGrants name this node's datasets, or sets this\n"
     "node's audience identifier: a Passport or Visa with an \"aud\" claim must name it (with\n"
     "none set, such tokens are refused; tokens without \"aud\" are accepted)."},
    {"serve", cmd_serve,
     "serve DIR [--listen ADDR:PORT] [--threads N] [--tls-cert PEM --tls-key PEM] [--hpo INDEX] "
     "[--pgx-data DIR]",
     "Runs the HTTP server (default 127.0.0.1:8080) until SIGTERM: /health, /metrics, Beacon\n"
     "v2, Matchmaker Exchange /match and /heartbeat (--hpo: the HPO index, default\n"
     "$GENOMENODE_HPO_INDEX or data/hpo/hpo.gnhpo), and a clinician's pharmacogenomic\n"
     "report GET /pgx/{id}?drug=NAME&format=json|html|tsv (--pgx-data: default\n"
     "$GENOMENODE_PGX_DATA or data/pgx).\n"
     "Requests in flight finish before it stops."},
    {"lookup-bench", cmd_lookup_bench, "lookup-bench DIR [--n N]",
     "Measures in-process single-variant lookup latency (p50/p99, microseconds) as JSON."},
};

const struct cmd *cli_find_cmd(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (!strcmp(commands[i].name, name)) return &commands[i];
    }
    return NULL;
}

static void usage(FILE *f)
{
    (void)fprintf(f, "usage: genomenode <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        (void)fprintf(f, "  %s\n", commands[i].usage);
    }
    (void)fprintf(
        f, "\nACCESS: --token T (or GENOMENODE_TOKEN) [--project P | --patient NATIONAL_ID],\n"
           "        or --passport FILE --purpose DUO; none: the node's operator (steward).\n"
           "Every read and change is decided by policy and audited.\n");
    (void)fprintf(f, "\ngenomenode <command> --help for details; genomenode --version.\n");
}

int main(int argc, char **argv)
{
    const struct cmd *c;
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("genomenode %s\n", GENOMENODE_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!(c = cli_find_cmd(argv[1]))) {
        (void)fprintf(stderr, "genomenode: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (getenv("GENOMENODE_DEBUG")) log_set_level(LOG_LEVEL_DEBUG);
#if defined(__GLIBC__)
    /* A one-shot command allocates and frees block buffers, cohort tables and joins of tens
     * of MB: kept on the heap and reused, they are not mapped and page-faulted afresh each
     * time (a 100,000-sample cohort query: 5% less wall time). Not for the long-running
     * server, whose memory should go back to the system. */
    if (strcmp(c->name, "serve") != 0) {
        (void)mallopt(M_MMAP_THRESHOLD, 256 << 20);
        (void)mallopt(M_TRIM_THRESHOLD, 256 << 20);
        (void)mallopt(M_TOP_PAD, 64 << 20);
    }
#endif
    if (cli_wants_help(argc - 1, argv + 1)) return cli_print_help(c->name);
    opterr = 0;
    optind = 1;
    return c->fn(argc - 1, argv + 1);
}
