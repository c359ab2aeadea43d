#!/bin/bash
# Phenotypes and diagnoses as cohort criteria of the data commands (--phenotype,
# --diagnosis): the 11 real phenopackets of testdata/phenopackets imported for 11 panel
# samples, then freq/count/export of the people an HPO term (with every term below it), a
# set of terms, a diagnosis or a combination selects, compared with bcftools on the samples
# an independent reference computes from the phenopacket JSON and the HPO release's TSV
# (tests/cli/pheno-ref.js); policy still decides on the selected cohort (a withdrawn person
# drops out); obsolete ids are mapped and said; unknown and malformed criteria are errors;
# the audit trail names the criteria.
# Usage: tests/cli/pheno-cohort.sh BUILD_DIR   (ends with "N passed, M failed")
set -u
B=${1:-build/asan}
GN="$B/genomenode"
T=$(mktemp -d /tmp/gn-pcohort-XXXXXX)
[ -n "${KEEP:-}" ] && echo "keeping $T"
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
EUR=testdata/1kgp_EUR503_chr20_1-4Mb_GRCh37.vcf.gz
. tests/cli/lib.sh
HPO=data/hpo

hpo_index

# --- a node: the 503-sample panel; a researcher with a project granted DS1
N="$T/n"
panel_node "$N"
"$GN" user add "$N" alice --role researcher >/dev/null
"$GN" project add "$N" P1 --purpose HMB --approval ETH-2026-01 --expires 2099-12-31 >/dev/null
"$GN" project join "$N" P1 alice >/dev/null
"$GN" grant "$N" --dataset DS1 --project P1 --level count >/dev/null
"$GN" setting "$N" small_count_threshold 0 >/dev/null
TA=$("$GN" token create "$N" --user alice)
A=(--token "$TA" --project P1)

# the phenopackets' subjects become 11 consented DS1 samples (one person each)
import_panel_phenopackets "$N"
ref() { node tests/cli/pheno-ref.js "$T/map.tsv" "$HPO" "$@"; }

# freq_case LABEL REF_SAMPLES_FILE ARGS...: freq with the criteria == bcftools on the samples
freq_case() {
  local label=$1 want=$2; shift 2
  local n; n=$(grep -c . "$want")
  bcftools view -S "$want" --force-samples "$EUR" 2>/dev/null | bref /dev/stdin > "$T/want.ref"
  "$GN" freq "$N" "${A[@]}" "$@" 2> "$T/freq.err" | tail -n +2 > "$T/got.gn"
  if [ "$n" -gt 0 ] && cmp -s "$T/want.ref" "$T/got.gn"; then ok "$label: freq == bcftools on the $n reference samples"
  else ko "$label: freq differs from bcftools on the $n reference samples ($(head -c 300 "$T/freq.err"))"; fi
}

# --- single terms, with descendants: a leaf-ish term, its ancestors, the root of phenotypes
ref samples HP:0001250 > "$T/seiz.txt"
freq_case "Seizure (HP:0001250)" "$T/seiz.txt" --phenotype HP:0001250
ref samples HP:0000118 > "$T/all.txt"
freq_case "Phenotypic abnormality (HP:0000118) selects all 11" "$T/all.txt" --phenotype HP:0000118
expect "  ... and that is 11 samples" '[ "$(grep -c . "$T/all.txt")" = 11 ]'
ref terms > "$T/terms.txt"
# every 4th observed term, with descendants: each against the reference
bad=0; n=0
while read -r t; do
  n=$((n + 1))
  ref samples "$t" > "$T/t.txt"
  "$GN" freq "$N" "${A[@]}" --phenotype "$t" 2>/dev/null | tail -n +2 | awk -F'\t' '$6 != "" { an[$6]++ } END { for (a in an) print a }' | sort -n | tail -1 > "$T/an.txt"
  # AN at a site every sample called is twice the cohort size
  [ "$(cat "$T/an.txt")" = "$(( 2 * $(grep -c . "$T/t.txt") ))" ] || { bad=$((bad + 1)); echo "  $t: AN $(cat "$T/an.txt"), reference $(grep -c . "$T/t.txt") samples"; }
done < <(awk 'NR % 4 == 1' "$T/terms.txt")
expect "every 4th observed term ($n): cohort size (AN/2) == reference" '[ $bad = 0 ] && [ $n -gt 8 ]'

# --- several terms are an AND
t2=$(ref terms | while read -r t; do c=$(ref samples "HP:0001250,$t" | grep -c .); [ "$c" -gt 0 ] && [ "$c" -lt "$(grep -c . "$T/seiz.txt")" ] && { echo "$t"; break; }; done)
ref samples "HP:0001250,$t2" > "$T/and.txt"
freq_case "Seizure AND $t2 ($(grep -c . "$T/and.txt") of $(grep -c . "$T/seiz.txt"))" "$T/and.txt" --phenotype "HP:0001250,$t2"

# --- diagnoses, and a diagnosis with a phenotype
ref dx-samples OMIM:614959 > "$T/dee.txt"
freq_case "diagnosis OMIM:614959 (DEE14)" "$T/dee.txt" --diagnosis OMIM:614959
ref dx-samples OMIM:154700 > "$T/mfs.txt"
freq_case "diagnosis OMIM:154700 (Marfan)" "$T/mfs.txt" --diagnosis OMIM:154700
comm -12 <(sort "$T/mfs.txt") <(ref samples HP:0001166 | sort) > "$T/mfs_ar.txt"
freq_case "Marfan AND Arachnodactyly (HP:0001166)" "$T/mfs_ar.txt" --diagnosis OMIM:154700 --phenotype HP:0001166
"$GN" freq "$N" "${A[@]}" --diagnosis OMIM:614959,OMIM:154700 2>/dev/null | tail -n +2 | awk -F'\t' '$6 > 0' > "$T/none.gn"
expect "two different diagnoses (AND) select nobody: every AN is 0" '[ ! -s "$T/none.gn" ]'

# --- with --samples: the intersection
awk 'NR > 1 && NR % 2 { print $2 }' "$T/man.tsv" > "$T/first.txt"   # every other sample
comm -12 <(sort "$T/first.txt") <(sort "$T/seiz.txt") > "$T/seiz_first.txt"
freq_case "--samples FILE AND Seizure ($(grep -c . "$T/seiz_first.txt") samples)" "$T/seiz_first.txt" --samples "$T/first.txt" --phenotype HP:0001250

# --- count and export take the same criteria
read -r c1 c2 c3 c4 _ < <(bref "$EUR" | awk '$5 > 50' | sed -n 10p)
bcftools view -S "$T/seiz.txt" "$EUR" 2>/dev/null | bref /dev/stdin | awk -v p="$c2" -v a="$c4" '$2 == p && $4 == a' > "$T/one.ref"
read -r _ _ _ _ rac ran < "$T/one.ref"
expect "count --phenotype == bcftools (ac $rac, an $ran)" \
  '"$GN" count "$N" "${A[@]}" "$c1:$c2:$c3:$c4" --phenotype HP:0001250 | grep -q "\"ac\":$rac,\"an\":$ran"'

# --- policy decides after selection: a withdrawn person drops out of the cohort
w=$(head -1 "$T/seiz.txt")
"$GN" withdraw "$N" --sample "$w" >/dev/null
grep -v -x "$w" "$T/seiz.txt" > "$T/seiz_w.txt"
freq_case "after withdrawing one seizure patient" "$T/seiz_w.txt" --phenotype HP:0001250

# --- obsolete and alternative ids are mapped and said
read -r obs cur < <(ref obsolete | head -1)
if [ -n "${obs:-}" ]; then
  "$GN" freq "$N" "${A[@]}" --phenotype "$obs" 2> "$T/obs.err" | tail -n +2 > "$T/obs.gn"
  "$GN" freq "$N" "${A[@]}" --phenotype "$cur" 2>/dev/null | tail -n +2 > "$T/cur.gn"
  expect "obsolete $obs counts as $cur, and says so" \
    'cmp -s "$T/obs.gn" "$T/cur.gn" && grep -q "$obs is obsolete, counted as $cur" "$T/obs.err"'
else
  ko "no obsolete term with an observed replacement in the phenopackets"
fi

# --- bad criteria: a clear error, nothing printed
bad_case() { # label expected-message args...
  local l=$1 m=$2; shift 2
  local msg; msg=$("$GN" freq "$N" "${A[@]}" "$@" 2>&1 >"$T/bad.out")
  if [ $? -ne 0 ] && echo "$msg" | grep -q -- "$m" && [ ! -s "$T/bad.out" ]; then ok "error: $l"
  else ko "error: $l ($msg)"; fi
}
bad_case "unknown term" "HP:9999999" --phenotype HP:9999999
bad_case "not an HPO id" "HPX:1" --phenotype HPX:1
bad_case "empty item" "empty item" --phenotype HP:0001250,
bad_case "disease id without prefix" "bad disease id '614959'" --diagnosis 614959
GENOMENODE_HPO_INDEX="$T/none.gnhpo" "$GN" freq "$N" "${A[@]}" --phenotype HP:0001250 > "$T/bad.out" 2> "$T/bad.err"
expect "error: a missing HPO index names it and how to build one" \
  '[ $? -ne 0 ] && grep -q "none.gnhpo" "$T/bad.err" && grep -q "hpo build" "$T/bad.err" && [ ! -s "$T/bad.out" ]'
"$GN" compact "$N" --phenotype HP:0001250 >/dev/null 2>&1
expect "compact refuses cohort criteria (exit 2)" '[ $? = 2 ]'

# --- the audit trail names the criteria of each query
expect "audit: the query's criteria are recorded" \
  '"$GN" audit show "$N" --user alice | grep "\"action\":\"freq\"" | grep -q "phenotype HP:0001166; diagnosis OMIM:154700"'
expect "audit chain verifies" '"$GN" audit verify "$N" >/dev/null'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
