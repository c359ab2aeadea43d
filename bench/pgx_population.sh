#!/bin/bash
# bench/pgx_population.sh — pharmacogenomics from the genotype store at population scale:
# the 3202 individuals of the 1000 Genomes high-coverage panel (PyPGx bundle, GRCh38,
# described in ../shared/data/SOURCES.md) ingested into a GRCh38 store, then
#
#   1. superpopulations derived from the data (private variants, below), then
#      `genomenode pgx DIR --all --groups`: phenotype frequencies per gene and
#      superpopulation, with the time per individual (target < 5 ms); and `--alleles`: the
#      called allele frequencies of single-position alleles against the panel's own
#      AF_<POP> (an independent check of the calls);
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

# ---- superpopulations, derived from the data ---------------------------------------------
# The panel has per-superpopulation allele counts (INFO AC_<POP>, AN_<POP>) but no sample →
# population file. A sample carrying an ALT at a biallelic site where AC == AC_<POP> > 0 (a
# variant private to POP) belongs to POP. Checked: no sample gets two populations. Samples
# left over are assigned only when exactly one population is short of its size (AN_<POP>/2
# at a site every sample is called at): that is then the only place they can be.
G="$D.groups.tsv"
for P in AFR AMR EAS EUR SAS; do
  bcftools view -m2 -M2 -i "INFO/AC>0 && INFO/AC==INFO/AC_$P" "$VCF" 2>/dev/null |
    bcftools query -i 'GT="alt"' -f "[%SAMPLE\t$P\n]" 2>/dev/null | sort -u
done > "$G.raw"
two=$(cut -f1 "$G.raw" | sort | uniq -d | wc -l)
bcftools query -f '%AN\t%AN_AFR\t%AN_AMR\t%AN_EAS\t%AN_EUR\t%AN_SAS\n' "$VCF" | awk -F'\t' -v n="$(bcftools query -l "$VCF" | wc -l)" '$1 == 2*n { print; exit }' > "$D.sizes"
bcftools query -l "$VCF" | sort > "$D.all_samples"
cut -f1 "$G.raw" | sort -u | comm -23 "$D.all_samples" - > "$D.left"
short=$(awk -F'\t' 'NR==FNR { c[$2]++; next }
  { split("AFR AMR EAS EUR SAS", p, " "); for (i = 1; i <= 5; i++) if ($(i+1)/2 != c[p[i]]) printf "%s:%d ", p[i], $(i+1)/2 - c[p[i]] }' "$G.raw" "$D.sizes")
cp "$G.raw" "$G"
nleft=$(wc -l < "$D.left")
case "$short" in
  *:*" "*:*) echo "populations short: $short; $nleft samples left unassigned" ;;
  ?*) p=${short%%:*}; k=${short#*:}; k=${k% }
      if [ "$k" = "$nleft" ]; then awk -v p="$p" '{ print $1 "\t" p }' "$D.left" >> "$G"; fi ;;
esac
printf '\nsuperpopulations from private variants: %d of %d samples assigned directly, %d in two populations, %d assigned as the only population short of its size (%s); sizes:' \
  "$(cut -f1 "$G.raw" | sort -u | wc -l)" "$(wc -l < "$D.all_samples")" "$two" "$(( $(wc -l < "$G") - $(wc -l < "$G.raw") ))" "${short:-none}"
cut -f2 "$G" | sort | uniq -c | awk '{ printf " %s %s", $2, $1 } END { print "" }'
[ "$two" = 0 ] || { echo "FAIL: a sample in two populations"; exit 1; }

"$GN" pgx "$D" --all --groups "$G" > "$D.all.tsv" 2> "$D.all.err" || { cat "$D.all.err"; exit 1; }
cat "$D.all.err"
"$GN" pgx "$D" --all --groups "$G" --alleles > "$D.alleles.tsv" 2>/dev/null || exit 1

# ---- phenotype frequencies per superpopulation (percent) --------------------------------
echo
awk -F'\t' '/^#/ || $1 == "gene" || $4 == "NA" { next }
  { k = $1 "\t" $3; f[k, $2] = $5 * 100; if (!(k in seen)) { seen[k] = 1; keys[++n] = k } }
  END { printf "%-8s %-34s %6s %6s %6s %6s %6s %6s\n", "gene", "phenotype", "all", "AFR", "AMR", "EAS", "EUR", "SAS"
        split("all AFR AMR EAS EUR SAS", P, " ")
        for (i = 1; i <= n; i++) { split(keys[i], kk, "\t"); printf "%-8s %-34s", kk[1], kk[2]
          for (j = 1; j <= 6; j++) printf " %6.1f", f[keys[i], P[j]]; printf "\n" } }' "$D.all.tsv"

# ---- beside CPIC's published ranges ---------------------------------------------------
# bench/cpic_phenotype_ranges.tsv: CPIC's "approximate % of patients across biogeographic
# groups" for the genes whose table could be read. Each superpopulation's frequency is set
# against the range twice: over every individual, and over the individuals with a
# determinate phenotype (Indeterminate and No call left out, as CPIC's frequencies, derived
# from allele frequencies, have none). CYP2D6 from SNVs alone (no copy number, 88 definition
# positions absent) is shown but not comparable.
RANGES=$(dirname "$0")/cpic_phenotype_ranges.tsv
printf '\n%-8s %-26s %-13s %6s %6s %6s %6s %6s %6s  %s\n' gene phenotype "CPIC range %" all AFR AMR EAS EUR SAS "verdict (determinate calls; in brackets over everyone)"
awk -F'\t' 'FILENAME == ARGV[1] { if (/^#/ || $1 == "gene") next; r[++n] = $0; next }
  /^#/ || $1 == "gene" || $4 == "NA" { next }
  { f[$1 "\t" $3, $2] = $5 * 100; if ($3 == "Indeterminate" || $3 == "No call") u[$1, $2] += $5 * 100 }
  END { split("all AFR AMR EAS EUR SAS", P, " "); w1 = w2 = cells = 0
        for (i = 1; i <= n; i++) { split(r[i], a, "\t"); k = a[1] "\t" a[2]; o1 = o2 = ""
          printf "%-8s %-26s %5s-%-7s", a[1], a[2], a[3], a[4]
          for (j = 1; j <= 6; j++) { raw = f[k, P[j]] + 0; d = 100 - u[a[1], P[j]]; v = d > 0 ? 100 * raw / d : 0
            printf " %6.1f", v
            if (j == 1 || a[1] == "CYP2D6") continue
            cells++
            if (v >= a[3] - 0.05 && v <= a[4] + 0.05) w1++; else o1 = o1 " " P[j]
            if (raw >= a[3] - 0.05 && raw <= a[4] + 0.05) w2++; else o2 = o2 " " P[j] }
          if (a[1] == "CYP2D6") print "  not comparable (SNVs only)"
          else printf "  %s [%s]\n", o1 == "" ? "all within" : "outside:" o1, o2 == "" ? "all within" : "outside:" o2 }
        printf "superpopulation frequencies within CPIC'"'"'s ranges (CYP2C19, TPMT): %d of %d over determinate calls, %d of %d over everyone\n", w1, cells, w2, cells }' "$RANGES" "$D.all.tsv"

# ---- called allele frequencies against the panel's own AF_<POP> ------------------------
# Alleles defined at one position (or the alleles sharing that position's ALT: TPMT *3A and
# *3C, SLCO1B1's c.521C alleles): the frequency of the called alleles per superpopulation
# must equal the INFO's AF_<POP> when every individual of the group has one diplotype call
# (called_alleles = 2 x group size).
printf 'CYP2C19\t*2\tchr10\t94781859\nCYP2C19\t*3\tchr10\t94780653\nCYP2C19\t*17\tchr10\t94761900\nCYP2C9\t*2\tchr10\t94942290\nCYP2C9\t*3\tchr10\t94981296\nCYP3A5\t*3\tchr7\t99672916\nTPMT\t*3A,*3C\tchr6\t18130687\nNUDT15\t*3\tchr13\t48045719\nSLCO1B1\t*5,*15,*17,*40,*45,*46,*47\tchr12\t21178615\n' > "$D.single.tsv"
while IFS=$'\t' read -r gene alleles chrom pos; do
  bcftools query -r "$chrom:$pos" -f '%POS\t%AF_AFR\t%AF_AMR\t%AF_EAS\t%AF_EUR\t%AF_SAS\t%AF\n' "$VCF" 2>/dev/null |
    awk -F'\t' -v p="$pos" '$1 == p' | head -1 | cut -f2- | sed "s|^|$gene\t$alleles\t|"
done < "$D.single.tsv" > "$D.af.tsv"
printf '\n%-8s %-22s %-5s %10s %10s %8s %s\n' gene alleles group called_af panel_af called result
awk -F'\t' 'FILENAME == ARGV[1] { af[++na] = $0; next }
  /^#/ || $1 == "gene" { next }
  { cnt[$1, $2, $3] = $5; called[$1, $2] = $4 }
  END { split("AFR AMR EAS EUR SAS all", P, " "); agree = 0; total = 0
        for (k = 1; k <= na; k++) { split(af[k], a, "\t"); gene = a[1]; m = split(a[2], al, ",")
          for (j = 1; j <= 6; j++) { c = 0; for (i = 1; i <= m; i++) c += cnt[gene, P[j], al[i]]
            d = called[gene, P[j]]; f = d ? c / d : 0; pa = a[2 + j]
            ok = (sprintf("%.4f", f) == sprintf("%.4f", pa)); total++; agree += ok
            printf "%-8s %-22.22s %-5s %10.4f %10.4f %8d %s\n", gene, a[2], P[j], f, pa, d, ok ? "agrees" : "differs" } }
        printf "called vs panel allele frequencies: %d of %d agree to 4 decimals\n", agree, total }' "$D.af.tsv" "$D.alleles.tsv"

S=$(bcftools query -l "$VCF" | head -1)
t0=$(date +%s.%N)
"$GN" pgx "$D" --sample "$S" --format json > "$D.one.json" || exit 1
t1=$(date +%s.%N)
printf '\none patient (%s), full report from cold start: %.0f ms; %s genes, %s drug guidelines\n' "$S" \
    "$(echo "($t1 - $t0) * 1000" | bc)" "$(jq '.genes | length' "$D.one.json")" "$(jq '.drugs | length' "$D.one.json")"
rm -f "$D".*.tsv "$D".*.err "$D".one.json "$D".groups.tsv.raw "$D".sizes "$D".all_samples "$D".left
