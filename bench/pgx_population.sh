#!/bin/bash
# bench/pgx_population.sh — pharmacogenomics from the genotype store at population scale:
# the 3202 individuals of the 1000 Genomes high-coverage panel (PyPGx bundle, GRCh38,
# described in ../shared/data/SOURCES.md) ingested into a GRCh38 store, then
#
#   1. `genomenode pgx DIR --all`: phenotype frequencies per gene, next to CPIC's published
#      frequency ranges for the common metabolizer phenotypes (table below), with the time
#      per individual (target < 5 ms);
#   2. `genomenode pgx DIR --sample ID`: one person's full report (genes and drugs) from a
#      cold start (new process, data files and store opened afresh; target < 1 s).
#
# Skips (exit 0, saying so) when the panel is not there. Usage:
#   bench/pgx_population.sh [BIN]      BIN defaults to build/release/genomenode
# Environment: PGX_1KGP (the VCF), KEEP=1 keeps the store in build/pgx-1kgp.
set -u
GN=${1:-build/release/genomenode}
VCF=${PGX_1KGP:-../shared/data/vcf/pypgx-bundle_1kgp/1kgp_pgx_GRCh38.vcf.gz}
[ -f "$VCF" ] || VCF=/work/shared/data/vcf/pypgx-bundle_1kgp/1kgp_pgx_GRCh38.vcf.gz
if [ ! -f "$VCF" ]; then echo "SKIP pgx population: 1kgp_pgx_GRCh38.vcf.gz not found (set PGX_1KGP)"; exit 0; fi
[ -x "$GN" ] || { echo "no binary $GN (make BUILD=release)"; exit 1; }
D=build/pgx-1kgp
rm -rf "$D"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$D"' EXIT
"$GN" init "$D" --build GRCh38 >/dev/null
t0=$(date +%s.%N)
"$GN" ingest "$D" --batch 1kgp --quiet "$VCF"
t1=$(date +%s.%N)
printf 'ingest: %.1f s\n' "$(echo "$t1 - $t0" | bc)"

"$GN" pgx "$D" --all > "$D.all.tsv" 2> "$D.all.err" || { cat "$D.all.err"; exit 1; }
cat "$D.all.err"
# CPIC's published phenotype frequencies (CPIC frequency tables, ranges across the
# biogeographical groups, percent); the 1000G panel mixes five superpopulations, so its
# overall frequency should fall inside (or near) each range.
cat > "$D.cpic.tsv" <<'EOF'
CYP2C19	Poor Metabolizer	0.3	16
CYP2C19	Intermediate Metabolizer	18	46
CYP2C19	Normal Metabolizer	30	60
CYP2C19	Rapid Metabolizer	1	27
CYP2C19	Ultrarapid Metabolizer	0.1	5
CYP2C9	Normal Metabolizer	60	90
CYP2C9	Intermediate Metabolizer	10	36
CYP2C9	Poor Metabolizer	0.1	4
CYP3A5	Poor Metabolizer	6	90
CYP3A5	Intermediate Metabolizer	8	45
CYP3A5	Normal Metabolizer	0.5	45
TPMT	Normal Metabolizer	86	96
TPMT	Intermediate Metabolizer	4	14
NUDT15	Normal Metabolizer	65	99
NUDT15	Intermediate Metabolizer	1	30
SLCO1B1	Normal Function	40	80
SLCO1B1	Decreased Function	15	35
SLCO1B1	Poor Function	0.1	3
UGT1A1	Normal Metabolizer	25	55
UGT1A1	Intermediate Metabolizer	35	55
UGT1A1	Poor Metabolizer	1	25
CYP2B6	Normal Metabolizer	25	50
CYP2B6	Intermediate Metabolizer	35	50
CYP2B6	Poor Metabolizer	3	25
EOF
echo
printf '%-8s %-32s %7s %9s   %s\n' gene phenotype count 1000G% "CPIC range %"
awk -F'\t' 'NR==FNR { lo[$1"\t"$2]=$3; hi[$1"\t"$2]=$4; next }
            /^#/ || $1 == "gene" { next }
            { k=$1"\t"$2; r = (k in lo) ? sprintf("%s-%s%s", lo[k], hi[k], ($4*100 >= lo[k]*0.5 && $4*100 <= hi[k]*1.5) ? "" : "  (outside)") : "";
              printf "%-8s %-32s %7s %8.2f   %s\n", $1, $2, $3, $4*100, r }' "$D.cpic.tsv" "$D.all.tsv"

S=$(bcftools query -l "$VCF" | head -1)
t0=$(date +%s.%N)
"$GN" pgx "$D" --sample "$S" --format json > "$D.one.json" || exit 1
t1=$(date +%s.%N)
printf '\none patient (%s), full report from cold start: %.0f ms; %s genes, %s drug guidelines\n' "$S" \
    "$(echo "($t1 - $t0) * 1000" | bc)" "$(jq '.genes | length' "$D.one.json")" "$(jq '.drugs | length' "$D.one.json")"
rm -f "$D".*.tsv "$D".*.err "$D".one.json
