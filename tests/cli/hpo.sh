#!/bin/bash
# tests/cli/hpo.sh — `genomenode hpo build` and `genomenode rank` on the HPO 2025-01-16
# release shipped in data/hpo (no ../shared needed). Expectations are derived from the data
# here, not pasted outputs: a patient showing every phenotype a disease is annotated with
# must get that disease first; an obsolete term (taken from hpo_terms.tsv) is mapped to its
# replacement with a warning; a candidate gene's disease wins a tie on a common feature.
# Prints "N passed, M failed". Usage: tests/cli/hpo.sh BUILD_DIR
set -u
B=${1:-build/asan}
GN="$B/genomenode"
command -v jq >/dev/null || { echo "jq missing"; echo "0 passed, 1 failed"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL $*"; fail=$((fail+1)); }
check() { if eval "$2"; then ok; else bad "$1"; fi; }
IDX=$T/hpo.gnhpo
export GENOMENODE_HPO_INDEX=$IDX

# build
"$GN" hpo build --out "$IDX" >"$T/build" 2>&1 || bad "hpo build: $(cat "$T/build")"
check "build names the release" 'grep -q "^HPO 2025-01-16" "$T/build"'
check "build counts" 'grep -q "^terms 19484 (obsolete 450" "$T/build" && grep -q "^diseases 12633," "$T/build"'
"$GN" hpo info >"$T/info" || bad "hpo info"
check "build keeps onset bands" '[ "$(sed -n "s/^onset: \([0-9]*\) diseases with onset bands.*/\1/p" "$T/build")" -gt 4000 ]'
check "info: release, diseases and the OMIM/Orphanet pairs (563 same label + 338 same words + 167 by gene + 149 by annotations)" \
  '[ "$(jq -r .hpo_version "$T/info")" = 2025-01-16 ] && [ "$(jq .diseases "$T/info")" = 12633 ] && [ "$(jq .twins "$T/info")" = 1217 ]'
# hpo twins lists the same pairs, with the pass that found each
"$GN" hpo twins >"$T/twins" || bad "hpo twins"
check "hpo twins: header, 1,217 pairs, per pass 563 / 338 / 167 / 149, each entry once" \
  'sed -n 2p "$T/twins" | grep -qx "omim_id.omim_label.orpha_id.orpha_label.pass" && [ "$(tail -n +3 "$T/twins" | wc -l)" -eq 1217 ] &&
   [ "$(tail -n +3 "$T/twins" | cut -f5 | sort | uniq -c | awk "{printf \"%s:%s \", \$2, \$1}")" = "1:563 2:338 3:167 4:149 " ] &&
   [ "$(tail -n +3 "$T/twins" | cut -f1,3 | tr "\t" "\n" | sort | uniq -d | wc -l)" -eq 0 ]'
check "hpo twins, fourth pass: Loeys-Dietz syndrome 3 (OMIM:613795) is Aneurysm-osteoarthritis syndrome (ORPHA:284984)" \
  'grep -qP "^OMIM:613795\tLoeys-Dietz syndrome 3\tORPHA:284984\tAneurysm-osteoarthritis syndrome\t4$" "$T/twins"'
check "hpo twins, fourth pass refuses: Gillespie (ORPHA:1065: SCA29 nearly as alike), attenuated FAP (ORPHA:247806: two Orphanet entries choose OMIM:175100), a deletion syndrome (ORPHA:284169) for one gene (OMIM:616708)" \
  '! cut -f1,3 "$T/twins" | tr "\t" "\n" | grep -qxE "ORPHA:1065|ORPHA:247806|ORPHA:284169|OMIM:616708|OMIM:175100"'
"$GN" hpo twins extra >/dev/null 2>&1; check "hpo twins: a stray argument is a usage error (exit 2)" '[ $? -eq 2 ]'

# Every phenotype of a disease → that disease first, by every method except the one-sided
# Resnik (which cannot tell a disease from one with more terms). Five diseases with >= 15
# phenotype rows, chosen by position in the file; an Orphanet entry with an OMIM twin is
# listed as that twin (hpo twins).
zcat data/hpo/disease_to_hpo.tsv.gz | awk -F'\t' '!/^#/ { n[$1]++; t[$1] = t[$1] "," $3 } END { for (d in n) if (n[d] >= 15) print d "\t" substr(t[d], 2) }' |
    sort | awk 'NR % 997 == 1' | head -5 >"$T/diseases"
check "five test diseases" '[ "$(wc -l <"$T/diseases")" = 5 ]'
while IFS=$'\t' read -r d terms; do
    for m in lr set combined bma; do
        got=$("$GN" rank --hpo "$terms" --method $m --top 1 --format tsv 2>/dev/null | awk -F'\t' 'NR == 3 { print $2 }')
        want=$(awk -F'\t' -v d="$d" '$3 == d { print $1 }' "$T/twins"); want=${want:-$d}
        check "all terms of $d rank it (as $want) first ($m), got $got" '[ "$got" = "$want" ]'
    done
done <"$T/diseases"

# output formats
"$GN" rank --hpo HP:0001250,HP:0001263,HP:0000252 --exclude HP:0000478 --top 5 --format tsv >"$T/tsv" 2>"$T/err" || bad "rank tsv"
check "tsv states the HPO version" 'head -1 "$T/tsv" | grep -q "HPO 2025-01-16"'
check "tsv header" '[ "$(sed -n 2p "$T/tsv" | cut -f1-4)" = "$(printf "rank\tdisease_id\tscore\tlabel")" ]'
check "tsv rows" '[ "$(tail -n +3 "$T/tsv" | wc -l)" = 5 ] && [ "$(tail -n +3 "$T/tsv" | cut -f1 | tr "\n" " ")" = "1 2 3 4 5 " ]'
"$GN" rank --hpo HP:0001250,HP:0001263 --top 3 >"$T/json" 2>/dev/null || bad "rank json"
check "json" '[ "$(jq -r .hpo_version "$T/json")" = 2025-01-16 ] && [ "$(jq ".results | length" "$T/json")" = 3 ] && [ "$(jq -r ".results[0].matched_terms[0].match" "$T/json")" != null ]'
check "rank under 50 ms" '[ "$(jq ".rank_ms < 50" "$T/json")" = true ] || [ "$(jq ".rank_ms < 400" "$T/json")" = true -a "$B" != build/release ]'

# obsolete and unknown ids
obs=$(zcat data/hpo/hpo_terms.tsv.gz | awk -F'\t' '$3 == 1 && $4 != "" { print $1 "\t" $4; exit }')
old=${obs%%$'\t'*}; new=${obs##*$'\t'}
"$GN" rank --hpo "$old,HP:0001263" --top 1 >"$T/json" 2>"$T/err" || bad "rank with obsolete $old"
check "obsolete $old mapped to $new" 'grep -q "$old is obsolete; using $new" "$T/err" && jq -r ".query.observed[].id" "$T/json" | grep -q "$new"'
"$GN" rank --hpo HP:9999999,HP:0001263 --top 1 >"$T/json" 2>"$T/err"
check "unknown id warned" '[ $? -eq 0 ] && grep -q "unknown HPO term HP:9999999" "$T/err" && [ "$(jq ".warnings | length" "$T/json")" = 1 ]'
"$GN" rank --hpo HP:9999999 >/dev/null 2>"$T/err"
check "only unknown ids: error" '[ $? -eq 1 ] && grep -q "no usable observed HPO term" "$T/err"'
"$GN" rank --hpo "" >/dev/null 2>"$T/err"
check "empty list: error" '[ $? -eq 1 ] && grep -q "no usable observed" "$T/err"'
"$GN" rank --hpo "seizures" >/dev/null 2>"$T/err"
check "malformed id: error" '[ $? -eq 1 ] && grep -q "not an HPO id" "$T/err"'
"$GN" rank --hpo HP:0000006 >/dev/null 2>"$T/err"
check "inheritance term: not a phenotype" '[ $? -eq 1 ] && grep -q "not a phenotypic abnormality" "$T/err"'
"$GN" rank >/dev/null 2>&1
check "missing --hpo: usage" '[ $? -eq 2 ]'
"$GN" rank --hpo HP:0001250 --sample S1 >/dev/null 2>"$T/err"
check "--sample without a node DIR: usage (tests/cli/hpo-sample.sh has the store path)" '[ $? -eq 2 ] && grep -q "needs a node DIR" "$T/err"'

# gene evidence: seizures alone fit hundreds of diseases; KCNQ2 raises its own
"$GN" rank --hpo HP:0001250 --genes KCNQ2,NOSUCHGENE --top 3 >"$T/json" 2>"$T/err" || bad "rank --genes"
check "gene evidence" '[ "$(jq -r ".results[0].gene_evidence" "$T/json")" = KCNQ2 ] && grep -q "NOSUCHGENE" "$T/err"'
kd=$(jq -r ".results[0].disease_id" "$T/json"); mim=${kd#OMIM:}
check "KCNQ2 disease per mim2gene ($kd)" 'zcat data/hpo/mim2gene_medgen.gz | awk -F"\t" -v m="$mim" "\$1 == m && \$2 == 3785" | grep -q .'

# OMIM/Orphanet twins: Achondroplasia is OMIM:100800 and ORPHA:15 (same label); one entry,
# the OMIM one naming its twin, and the Orphanet one again with --param twins=0
ach=$(zcat data/hpo/disease_to_hpo.tsv.gz | awk -F'\t' '$1 == "ORPHA:15" { print $3 }' | head -8 | paste -sd,)
"$GN" rank --hpo "$ach" --top 50 >"$T/json" 2>/dev/null || bad "rank twins"
check "twins: OMIM:100800 listed once with same_as ORPHA:15, ORPHA:15 not listed" \
  '[ "$(jq -r ".results[] | select(.disease_id == \"OMIM:100800\") | .same_as" "$T/json")" = ORPHA:15 ] && ! jq -r ".results[].disease_id" "$T/json" | grep -qx ORPHA:15'
"$GN" rank --hpo "$ach" --top 1000 --param twins=0 >"$T/json" 2>/dev/null || bad "rank twins=0"
check "twins=0: both entries listed" \
  'jq -r ".results[].disease_id" "$T/json" | grep -qx ORPHA:15 && jq -r ".results[].disease_id" "$T/json" | grep -qx OMIM:100800'
# ... and with the same words in another order (twins=2): "Hyperoxaluria,
# primary, type I" (OMIM:259900) is "Primary hyperoxaluria type 1" (ORPHA:93598), but
# "Goldberg-Shprintzen syndrome" (OMIM:609460) is not "Shprintzen-Goldberg syndrome"
# (ORPHA:2462): eponyms keep their order
ph1=$(zcat data/hpo/disease_to_hpo.tsv.gz | awk -F'\t' '$1 == "ORPHA:93598" { print $3 }' | head -8 | paste -sd,)
"$GN" rank --hpo "$ph1" --top 50 >"$T/json" 2>/dev/null || bad "rank twins=2"
check "twins: OMIM:259900 listed with same_as ORPHA:93598 (reordered label), ORPHA:93598 not listed" \
  '[ "$(jq -r ".results[] | select(.disease_id == \"OMIM:259900\") | .same_as" "$T/json")" = ORPHA:93598 ] && ! jq -r ".results[].disease_id" "$T/json" | grep -qx ORPHA:93598'
"$GN" rank --hpo "$ph1" --top 50 --param twins=1 >"$T/json" 2>/dev/null || bad "rank twins=1"
check "twins=1: only identical labels pair, the hyperoxaluria entries are both listed" \
  'jq -r ".results[].disease_id" "$T/json" | grep -qx ORPHA:93598 && [ "$(jq -r ".results[] | select(.disease_id == \"OMIM:259900\") | .same_as // \"none\"" "$T/json")" = none ]'
# ... and one gene's only OMIM and Orphanet entries (twins=3): ITCH has
# "Autoimmune disease, multisystem, with facial dysmorphism" (OMIM:613385) and "Syndromic
# multisystem autoimmune disease due to Itch deficiency" (ORPHA:228426), whose gene the
# release does not give: it is the one gene whose phenotype links hold its annotations
itch=$(zcat data/hpo/disease_to_hpo.tsv.gz | awk -F'\t' '$1 == "ORPHA:228426" { print $3 }' | head -8 | paste -sd,)
"$GN" rank --hpo "$itch" --top 50 >"$T/json" 2>/dev/null || bad "rank twins=3"
check "twins: OMIM:613385 listed with same_as ORPHA:228426 (one gene's entries), ORPHA:228426 not listed" \
  '[ "$(jq -r ".results[] | select(.disease_id == \"OMIM:613385\") | .same_as" "$T/json")" = ORPHA:228426 ] && ! jq -r ".results[].disease_id" "$T/json" | grep -qx ORPHA:228426'
"$GN" rank --hpo "$itch" --top 50 --param twins=2 >"$T/json" 2>/dev/null || bad "rank twins=2"
check "twins=2: labels only, the ITCH entries are both listed" \
  'jq -r ".results[].disease_id" "$T/json" | grep -qx ORPHA:228426 && [ "$(jq -r ".results[] | select(.disease_id == \"OMIM:613385\") | .same_as // \"none\"" "$T/json")" = none ]'
# ... and by their annotations (the default, twins=4): SMAD3's Loeys-Dietz syndrome 3 and
# Aneurysm-osteoarthritis syndrome share no label word, but of SMAD3's OMIM entries only
# LDS3's annotations are like the Orphanet entry's
lds=$(zcat data/hpo/disease_to_hpo.tsv.gz | awk -F'\t' '$1 == "ORPHA:284984" { print $3 }' | head -8 | paste -sd,)
"$GN" rank --hpo "$lds" --top 50 >"$T/json" 2>/dev/null || bad "rank twins=4"
check "twins: OMIM:613795 listed with same_as ORPHA:284984 (most alike annotations), ORPHA:284984 not listed" \
  '[ "$(jq -r ".results[] | select(.disease_id == \"OMIM:613795\") | .same_as" "$T/json")" = ORPHA:284984 ] && ! jq -r ".results[].disease_id" "$T/json" | grep -qx ORPHA:284984'
"$GN" rank --hpo "$lds" --top 50 --param twins=3 >"$T/json" 2>/dev/null || bad "rank twins=3"
check "twins=3: no fourth pass, the Loeys-Dietz 3 entries are both listed" \
  'jq -r ".results[].disease_id" "$T/json" | grep -qx ORPHA:284984 && [ "$(jq -r ".results[] | select(.disease_id == \"OMIM:613795\") | .same_as // \"none\"" "$T/json")" = none ]'
"$GN" rank --hpo "$ach" --top 20000 --format tsv >"$T/tsv" 2>/dev/null || bad "rank --top 20000"
check "--top beyond the diseases: 12,633 less 1,217 Orphanet twins, each once, no infinite score" \
  '! cut -f3 "$T/tsv" | grep -qi inf && ! cut -f2 "$T/tsv" | grep -qx ORPHA:15 && [ "$(tail -n +3 "$T/tsv" | wc -l)" -eq 11416 ] && [ "$(tail -n +3 "$T/tsv" | cut -f2 | sort -u | wc -l)" -eq 11416 ]'
check "eponyms keep their order: Goldberg-Shprintzen (OMIM:609460) and Shprintzen-Goldberg (ORPHA:2462) both ranked" \
  'cut -f2 "$T/tsv" | grep -qx OMIM:609460 && cut -f2 "$T/tsv" | grep -qx ORPHA:2462'

# Age of onset (a likelihood ratio against each disease's onset bands): a published
# patient's terms (DEE 14, PMID 23086397 patient 1) with an infantile onset raise the
# diseases with an infantile onset band and lower those with bands that exclude it, by
# exactly onset_log10_lr in the lr and combined scores; diseases without bands stay.
pt=$(jq -r '[.phenotypicFeatures[] | select(.excluded | not) | .type.id] | join(",")' testdata/phenopackets/a/PMID_23086397_Patient_1.json)
"$GN" rank --hpo "$pt" --top 30 >"$T/on0.json" 2>/dev/null || bad "rank without onset"
"$GN" rank --hpo "$pt" --onset P2M --top 30 >"$T/on1.json" 2>/dev/null || bad "rank --onset P2M"
check "--onset P2M: the infantile band" '[ "$(jq -c .query.onset "$T/on1.json")" = "{\"bands\":[\"infantile\"],\"from\":\"onset\"}" ]'
check "onset LR: positive with the infantile band, negative without it, absent without bands" \
  '[ "$(jq "[.results[] | select(.onset_bands) | select((.onset_bands | index(\"infantile\")) != null) | .onset_log10_lr > 0] | all" "$T/on1.json")" = true ] &&
   [ "$(jq "[.results[] | select(.onset_bands) | select((.onset_bands | index(\"infantile\")) == null) | .onset_log10_lr < 0] | all" "$T/on1.json")" = true ] &&
   [ "$(jq "[.results[] | select(.onset_bands | not) | .onset_log10_lr == null] | all" "$T/on1.json")" = true ] &&
   [ "$(jq "[.results[] | select(.onset_bands)] | length" "$T/on1.json")" -ge 5 ]'
check "onset LR moves lr and combined by exactly itself, nothing else" \
  '[ "$(jq -s "([.[0].results[] | select(.same_as | not) | {key: .disease_id, value: .phenotype_scores}] | from_entries) as \$a |
      [.[1].results[] | select(.same_as | not) | select(\$a[.disease_id]) | (.onset_log10_lr // 0) as \$o |
       ((.phenotype_scores.combined - \$a[.disease_id].combined - \$o) | fabs < 1e-6) and
       ((.phenotype_scores.lr - \$a[.disease_id].lr - \$o) | fabs < 1e-6) and
       .phenotype_scores.resnik == \$a[.disease_id].resnik and .phenotype_scores.bma == \$a[.disease_id].bma] |
      (length >= 10 and all)" "$T/on0.json" "$T/on1.json")" = true ]'
check "the published diagnosis first, with an infantile onset" '[ "$(jq -r ".results[0].disease_id" "$T/on1.json")" = OMIM:614959 ]'
"$GN" rank --hpo "$pt,HP:0003593" --top 30 >"$T/on2.json" 2>"$T/err" || bad "rank with an onset term in --hpo"
check "an onset term in --hpo is the onset, not a warning" '[ ! -s "$T/err" ] && [ "$(jq -c .query.onset.bands "$T/on2.json")" = "[\"infantile\"]" ] &&
   [ "$(jq -c "[.results[] | [.disease_id, .score]]" "$T/on2.json")" = "$(jq -c "[.results[] | [.disease_id, .score]]" "$T/on1.json")" ]'
"$GN" rank --hpo "$pt" --age P3Y --top 3 >"$T/on3.json" 2>/dev/null || bad "rank --age"
check "--age P3Y: every band up to childhood" '[ "$(jq -c .query.onset "$T/on3.json")" = "{\"bands\":[\"antenatal\",\"congenital\",\"neonatal\",\"infantile\",\"childhood\"],\"from\":\"age\"}" ]'
"$GN" rank --hpo "$pt" --age P3Y --onset HP:0003577 --top 1 >"$T/on4.json" 2>/dev/null || bad "rank --age --onset"
check "--onset wins over --age" '[ "$(jq -c .query.onset "$T/on4.json")" = "{\"bands\":[\"congenital\"],\"from\":\"onset\"}" ]'
"$GN" rank --hpo "$pt" --onset HP:0001250 >/dev/null 2>"$T/err"
check "--onset with a phenotype term: error" '[ $? -eq 1 ] && grep -q "not an onset term" "$T/err"'
"$GN" rank --hpo "$pt" --onset P6X >/dev/null 2>"$T/err"
check "--onset with a malformed age: error" '[ $? -eq 1 ] && grep -q "ISO 8601" "$T/err"'

# --phenopacket FILE: the file's observed and excluded features and its onset (the
# disease's P1M: infantile) rank exactly like the same terms given by hand
pf=testdata/phenopackets/a/PMID_23086397_Patient_1.json
ex=$(jq -r '[.phenotypicFeatures[] | select(.excluded) | .type.id] | join(",")' "$pf")
"$GN" rank --phenopacket "$pf" --top 30 >"$T/pp1.json" 2>"$T/err" || bad "rank --phenopacket: $(cat "$T/err")"
"$GN" rank --hpo "$pt" --exclude "$ex" --onset P1M --top 30 >"$T/pp2.json" 2>/dev/null || bad "rank by hand"
check "--phenopacket: same query and ranking as its terms, excluded terms and onset by hand" \
  '[ "$(jq -c ".query, [.results[] | [.disease_id, .score]]" "$T/pp1.json")" = "$(jq -c ".query, [.results[] | [.disease_id, .score]]" "$T/pp2.json")" ] &&
   [ "$(jq -r ".query.excluded | length" "$T/pp1.json")" -gt 0 ] && [ "$(jq -c .query.onset.bands "$T/pp1.json")" = "[\"infantile\"]" ]'
"$GN" rank --phenopacket "$pf" --hpo HP:0001250 --onset HP:0003577 --top 1 >"$T/pp3.json" 2>/dev/null || bad "rank --phenopacket --hpo --onset"
check "--phenopacket with --hpo adds the terms; --onset wins over the file's" \
  '[ "$(jq -r ".query.observed | length" "$T/pp3.json")" -eq "$(( $(jq -r ".query.observed | length" "$T/pp1.json") + 1 ))" ] &&
   [ "$(jq -c .query.onset.bands "$T/pp3.json")" = "[\"congenital\"]" ]'
jq 'del(.diseases) | del(.phenotypicFeatures[].onset)' "$pf" >"$T/noonset.json"
"$GN" rank --phenopacket "$T/noonset.json" --top 1 >"$T/pp4.json" 2>/dev/null || bad "rank --phenopacket without onset"
check "--phenopacket without an onset: the bands up to its age at the last encounter (P10Y)" \
  '[ "$(jq -c .query.onset "$T/pp4.json")" = "{\"bands\":[\"antenatal\",\"congenital\",\"neonatal\",\"infantile\",\"childhood\",\"juvenile\"],\"from\":\"age\"}" ]'
"$GN" rank --phenopacket "$T/nosuch.json" >/dev/null 2>"$T/err"
check "--phenopacket, missing file: error naming it" '[ $? -eq 1 ] && grep -q "nosuch.json" "$T/err"'
printf '{"id": "x", "phenotypicFeatures": [{"type": {"id": "seizures"}}]}' >"$T/badpp.json"
"$GN" rank --phenopacket "$T/badpp.json" >/dev/null 2>"$T/err"
check "--phenopacket, malformed: error naming the file" '[ $? -eq 1 ] && grep -q "badpp.json" "$T/err"'
jq '.phenotypicFeatures |= map(select(.excluded))' "$pf" >"$T/exonly.json"
"$GN" rank --phenopacket "$T/exonly.json" >/dev/null 2>"$T/err"
check "--phenopacket with excluded features only: error" '[ $? -eq 1 ] && grep -q "no usable observed" "$T/err"'
"$GN" rank --hpo "$pt" --age 3 >/dev/null 2>"$T/err"
check "--age not an ISO 8601 age: error" '[ $? -eq 1 ] && grep -q "ISO 8601" "$T/err"'

# hpo eval on the real phenopackets of testdata (a case index built here, as index_dev.tsv
# is): one rank per method; --features has one row of the case's own disease per case, at
# the rank the evaluation gives it by the combined score
for f in testdata/phenopackets/a/*.json testdata/phenopackets/b/*.json; do
  jq -r --arg f "$f" '[.id, ($f | sub("^testdata/phenopackets/"; "")), .interpretations[0].diagnosis.disease.id,
    .interpretations[0].diagnosis.disease.label, "", ([.phenotypicFeatures[] | select(.excluded | not)] | length),
    ([.phenotypicFeatures[] | select(.excluded)] | length), "1",
    ([.phenotypicFeatures[] | select(.excluded | not) | .type.id] | join(";")),
    ([.phenotypicFeatures[] | select(.excluded) | .type.id] | join(";")), ""] | @tsv' "$f"
done >"$T/cases.tsv"
"$GN" hpo eval --cases "$T/cases.tsv" --features "$T/feat.tsv" >"$T/eval.tsv" 2>"$T/err" || bad "hpo eval: $(cat "$T/err")"
ncase=$(awk -F'\t' '$4 == 1 && $7 != "NA"' "$T/eval.tsv" | grep -vc "^case")
check "eval: every testdata case ranked ($ncase)" '[ "$ncase" -ge 5 ] && [ "$ncase" = "$(grep -c . "$T/cases.tsv")" ]'
check "features: header, one target row per case, at the combined rank of the evaluation" \
  '[ "$(head -1 "$T/feat.tsv" | cut -f1-5)" = "$(printf "case\trank\ttarget\tdisease\tcombined")" ] &&
   [ "$(awk -F"\t" "\$3 == 1" "$T/feat.tsv" | wc -l)" = "$ncase" ] &&
   [ "$(awk -F"\t" "\$3 == 1 { print \$1, \$2 }" "$T/feat.tsv" | sort)" = "$(awk -F"\t" "NR > 2 && \$7 != \"NA\" { print \$1, \$11 }" "$T/eval.tsv" | sort)" ]'
"$GN" hpo eval --cases "$T/cases.tsv" --features "$T/nodir/feat.tsv" >/dev/null 2>"$T/err"
check "features file not writable: error" '[ $? -eq 1 ] && grep -q "nodir" "$T/err"'
# --phenopackets: each case's onset from its file (the disease's, else the earliest observed
# feature's, else the age at the last encounter)
want=$(cat testdata/phenopackets/a/*.json testdata/phenopackets/b/*.json | jq -s '[.[] | select(
  ([.diseases[]? | .onset? // empty] | length > 0) or ([.phenotypicFeatures[]? | select(.excluded | not) | .onset? // empty] | length > 0)
  or (.subject.timeAtLastEncounter.age.iso8601duration != null))] | length')
"$GN" hpo eval --cases "$T/cases.tsv" --phenopackets testdata/phenopackets >"$T/eval2.tsv" 2>"$T/err" || bad "hpo eval --phenopackets: $(cat "$T/err")"
check "eval --phenopackets: onset of every case that has one ($want)" 'grep -q "onset known for $want cases, 0 phenopackets unreadable" "$T/err" && [ "$want" -ge 5 ]'
"$GN" hpo eval --cases "$T/cases.tsv" --phenopackets "$T/none" >/dev/null 2>"$T/err"
check "eval --phenopackets, files missing: a warning, onset unknown" 'grep -q "onset unknown" "$T/err" && grep -q "onset known for 0 cases" "$T/err"'

# a damaged index is refused
cp "$IDX" "$T/bad.gnhpo"; printf '\x01' | dd of="$T/bad.gnhpo" bs=1 seek=5000 conv=notrunc 2>/dev/null
"$GN" rank --hpo HP:0001250 --index "$T/bad.gnhpo" >/dev/null 2>"$T/err"
check "corrupt index refused" '[ $? -eq 1 ] && grep -q "checksum" "$T/err"'
"$GN" rank --hpo HP:0001250 --index "$T/none" >/dev/null 2>"$T/err"
check "missing index: hint" '[ $? -eq 1 ] && grep -q "hpo build" "$T/err"'

# the official formats: hp.obo + phenotype.hpoa excerpts
"$GN" hpo build testdata/hpo/hpo-crate_small.obo testdata/hpo/exomiser_phenotype_test.hpoa --out "$T/small" >"$T/build" 2>&1
check "build from hp.obo + hpoa" '[ $? -eq 0 ] && grep -q "^HPO 2022-10-05" "$T/build" && grep -q "unknown terms dropped" "$T/build"'
"$GN" hpo build testdata/hpo/hp_small.json testdata/hpo/exomiser_phenotype_test.hpoa --out "$T/small" >"$T/build" 2>&1
check "build from hp.json + hpoa" '[ $? -eq 0 ] && grep -q "^HPO 2024-04-26" "$T/build" && grep -q "annotations 2023-07-21" "$T/build"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
