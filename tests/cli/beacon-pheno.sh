#!/bin/bash
# Beacon phenotype and diagnosis filters over the real server: the 11 real phenopackets of
# testdata/phenopackets imported for 11 panel samples, then every observed term (exact),
# a spread of their ancestors (with descendants, the Beacon default), excluded terms, an
# obsolete id, an unknown id, diagnoses, a sex + phenotype AND, /biosamples and /g_variants
# counted through the Beacon and compared with counts computed independently from the
# phenopacket JSON and the HPO release's is_a TSV (tests/cli/pheno-ref.js) and bcftools;
# /filtering_terms lists the node's terms; every response validated against the Beacon
# v2.1.1 schemas. Usage: tests/cli/beacon-pheno.sh BUILD_DIR   (ends with "N passed, M failed")
set -u
B=${1:-build/asan}
GN="$B/genomenode"
T=$(mktemp -d /tmp/gn-bpheno-XXXXXX)
[ -n "${KEEP:-}" ] && echo "keeping $T"
SRV=""
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
EUR=testdata/1kgp_EUR503_chr20_1-4Mb_GRCh37.vcf.gz
. tests/cli/lib.sh
SCHEMAS=testdata/beacon-schemas
R=framework/json/responses
HPO=data/hpo

hpo_index

# --- a node: the 503-sample panel; DS1 public at record level
N="$T/n"
panel_node "$N"
"$GN" dataset access "$N" DS1 public >/dev/null
"$GN" setting "$N" public_granularity record >/dev/null
"$GN" setting "$N" small_count_threshold 0 >/dev/null

# the phenopackets' subjects become 11 consented DS1 samples (one person each)
import_panel_phenopackets "$N"
ref() { node tests/cli/pheno-ref.js "$T/map.tsv" "$HPO" "$@"; }
# and two people no anonymous caller may see, each with a diagnosis and a phenotype term
# nobody else has: a DS1 person whose consent becomes clinical use only (OMIM:143100) and a
# person of the controlled DS2 (OMIM:219700); both have HP:0000107 (Renal cyst)
HID=HP:0000107
ref terms | grep -qx "$HID" && ko "setup: $HID must be a term none of the 11 has"
read -r h1nid h1 < <(awk 'NR > 1 && $4 == "DS1" && $5 == "GRU" && ++n == 12 { print $1, $2 }' "$T/man.tsv")
h2=$(awk 'NR > 1 && $4 == "DS2" && $5 == "GRU" { print $2; exit }' "$T/man.tsv")
"$GN" consent set "$N" --person "$h1nid" --clinical >/dev/null
mkdir -p "$T/hidden"
for x in "$h1 OMIM:143100" "$h2 OMIM:219700"; do
  set -- $x
  jq --arg s "$1" --arg d "$2" --arg h "$HID" '.subject.id = $s | .diseases = [{"term": {"id": $d, "label": "hidden"}}] |
      .interpretations = [] | .phenotypicFeatures += [{"type": {"id": $h, "label": "Renal cyst"}}]' \
    testdata/phenopackets/a/PMID_10756346_Patient_B13.json > "$T/hidden/$1.json"
done
"$GN" phenopacket import "$N" "$T/hidden" > /dev/null 2>&1
expect "two people anonymous callers cannot see imported (clinical consent only; controlled dataset)" \
  '[ "$(sqlite3 "$N/catalog.db" "select count(*) from diagnoses where disease in (\"OMIM:143100\", \"OMIM:219700\")")" = 2 ]'
"$GN" user add "$N" steve --role steward >/dev/null
TS=$("$GN" token create "$N" --user steve)

start_server "$N"
U="http://127.0.0.1:$P/api"
expect "server starts" '[ -n "$P" ]'
mkdir -p "$T/r"
: > "$T/validate.txt"
get() { local name=$1 schema=$2; shift 2
        echo "$R/$schema $T/r/$name.json" >> "$T/validate.txt"
        curl -s -o "$T/r/$name.json" -w '%{http_code}' "$@"; }
j() { node -e "const d=JSON.parse(require('fs').readFileSync('$T/r/$1.json'));console.log(String($2))"; }
# post NAME ENTRY FILTERS_JSON: a count query by POST
post() { get "$1" auto -X POST -H 'Content-Type: application/json' \
  -d "{\"meta\":{\"apiVersion\":\"v2.0\"},\"query\":{\"filters\":$3,\"requestedGranularity\":\"count\"}}" "$U/$2" >/dev/null; }
cnt() { j "$1" d.responseSummary.numTotalResults; }

# --- every observed term, exact (includeDescendantTerms false, POST)
ref terms > "$T/terms.txt"
bad=0; n=0
while read -r t; do
  n=$((n+1)); post "ex_$n" individuals "[{\"id\":\"$t\",\"includeDescendantTerms\":false}]"
  [ "$(cnt "ex_$n")" = "$(ref count "$t" exact)" ] || { bad=$((bad+1)); echo "  exact $t: beacon $(cnt "ex_$n"), reference $(ref count "$t" exact)"; }
done < "$T/terms.txt"
expect "every observed term ($n), exact: Beacon count = reference from the phenopacket JSON" '[ $bad = 0 ] && [ $n -gt 30 ]'

# --- ancestors with descendants (GET, the default): every 3rd of them, and the roots
ref ancestors > "$T/anc.txt"
{ awk 'NR % 3 == 1' "$T/anc.txt"; echo HP:0000118; echo HP:0000707; echo HP:0001250; } | sort -u > "$T/anc_q.txt"
bad=0; n=0; wider=0
while read -r t; do
  n=$((n+1)); get "de_$n" auto "$U/individuals?requestedGranularity=count&filters=$t" >/dev/null
  want=$(ref count "$t" desc)
  [ "$(cnt "de_$n")" = "$want" ] || { bad=$((bad+1)); echo "  desc $t: beacon $(cnt "de_$n"), reference $want"; }
  [ "$want" -gt "$(ref count "$t" exact)" ] && wider=$((wider+1))
done < "$T/anc_q.txt"
expect "$n ancestor terms with descendants: Beacon count = reference over the is_a TSV ($wider wider than exact)" \
  '[ $bad = 0 ] && [ $n -gt 50 ] && [ $wider -gt 25 ]'
expect "Phenotypic abnormality with descendants matches all 11 people" '[ "$(cnt "de_$(grep -n HP:0000118 "$T/anc_q.txt" | cut -d: -f1)")" = 11 ]'

# --- excluded phenotypes never match
ref excluded-only > "$T/exc.txt"
bad=0; n=0
while read -r t; do
  n=$((n+1)); post "xc_$n" individuals "[{\"id\":\"$t\",\"includeDescendantTerms\":false}]"
  [ "$(cnt "xc_$n")" = 0 ] || bad=$((bad+1))
done < "$T/exc.txt"
expect "terms only ever excluded ($n), exact: nobody matches" '[ $bad = 0 ] && [ $n -gt 3 ]'

# --- obsolete and unknown ids
read -r OBS REP < <(ref obsolete | head -1)
get obs auto "$U/individuals?requestedGranularity=count&filters=$OBS" >/dev/null
expect "obsolete $OBS: counted as its replacement $REP ($(ref count "$REP" desc)), with a warning" \
  '[ -n "$OBS" ] && [ "$(cnt obs)" = "$(ref count "$REP" desc)" ] && grep -q "obsolete in HPO 2025-01-16: evaluated as its replacement $REP" "$T/r/obs.json"'
get unk auto "$U/individuals?requestedGranularity=count&filters=HP:9999999" >/dev/null
expect "unknown HP:9999999: nobody, with a warning" \
  '[ "$(cnt unk)" = 0 ] && grep -q "not a current term of HPO" "$T/r/unk.json"'

# --- diagnoses, AND with sex, biosamples, g_variants
for d in OMIM:614959 OMIM:154700; do
  get "dx_${d#OMIM:}" auto "$U/individuals?requestedGranularity=count&filters=$d" >/dev/null
done
expect "diagnosis filters: OMIM:614959 $(ref dx OMIM:614959), OMIM:154700 $(ref dx OMIM:154700)" \
  '[ "$(cnt dx_614959)" = "$(ref dx OMIM:614959)" ] && [ "$(cnt dx_154700)" = "$(ref dx OMIM:154700)" ] && [ "$(cnt dx_614959)" -gt 0 ]'
ref samples HP:0001250 | sort > "$T/seiz.txt"
fem=$(awk -F'\t' 'NR == FNR { s[$1] = 1; next } ($2 in s) && $3 == "female"' "$T/seiz.txt" "$T/man.tsv" | wc -l)
get and auto "$U/individuals?requestedGranularity=count&filters=HP:0001250,NCIT:C16576" >/dev/null
expect "Seizure AND female: $fem (reference with the manifest's sex)" '[ "$(cnt and)" = "$fem" ]'
get bios auto "$U/biosamples?requestedGranularity=count&filters=HP:0001250" >/dev/null
expect "/biosamples with Seizure: $(wc -l < "$T/seiz.txt") (one sample each)" '[ "$(cnt bios)" = "$(wc -l < "$T/seiz.txt")" ]'
get recs auto "$U/individuals?requestedGranularity=record&filters=HP:0001250&limit=100" >/dev/null
expect "record level with a phenotype filter: as many records as the count" \
  '[ "$(j recs d.response.resultSets[0].results.length)" = "$(wc -l < "$T/seiz.txt")" ]'
want=$(bcftools view -S "$T/seiz.txt" -Ou "$EUR" 2>/dev/null | bcftools norm -m- -Ou 2>/dev/null |
       bcftools +fill-tags -Ou -- -t AC 2>/dev/null | bcftools query -i 'INFO/AC>0' -f '%POS\n' | wc -l)
get gv auto "$U/g_variants?referenceName=20&start=0&end=4000000&requestedGranularity=count&filters=HP:0001250" >/dev/null
expect "/g_variants with Seizure: the variants the matching samples carry ($want, bcftools)" \
  '[ "$(cnt gv)" = "$want" ] && [ "$want" -gt 0 ]'
get gvn auto "$U/g_variants?referenceName=20&start=0&end=4000000&requestedGranularity=count&filters=HP:0000118" >/dev/null
expect "/g_variants with the root phenotype term: fewer variants than without a filter" \
  '[ "$(cnt gvn)" -gt "$want" ]'

# --- /filtering_terms
get ft beaconFilteringTermsResponse.json "$U/filtering_terms" >/dev/null
node -e "const d=JSON.parse(require('fs').readFileSync('$T/r/ft.json'));
  for (const t of d.response.filteringTerms) if (t.id.startsWith('HP:')) console.log(t.id)" | sort > "$T/ft.txt"
expect "/filtering_terms lists exactly the node's observed HP terms ($(wc -l < "$T/terms.txt"))" 'diff -q "$T/terms.txt" "$T/ft.txt" >/dev/null'
expect "/filtering_terms lists the diagnoses with labels and the HPO resource" \
  'grep -q "\"OMIM:614959\",\"label\":\"Developmental and epileptic encephalopathy 14\"" "$T/r/ft.json" && grep -q "\"nameSpacePrefix\":\"HP\"" "$T/r/ft.json"'

# --- /filtering_terms goes through policy: only the terms of people the caller may see
ftids() { node -e "const d=JSON.parse(require('fs').readFileSync('$T/r/$1.json'));
  for (const t of d.response.filteringTerms) console.log(t.id)" | sort; }
ftids ft > "$T/ft_anon.txt"
get ft_stew beaconFilteringTermsResponse.json -H "Authorization: Bearer $TS" "$U/filtering_terms" >/dev/null
ftids ft_stew > "$T/ft_stew.txt"
expect "the steward's /filtering_terms lists the hidden people's terms (they are on the node)" \
  'grep -qx OMIM:143100 "$T/ft_stew.txt" && grep -qx OMIM:219700 "$T/ft_stew.txt" && grep -qx $HID "$T/ft_stew.txt"'
expect "anonymous /filtering_terms lists none of them (no research consent; a controlled dataset)" \
  '! grep -qx -e OMIM:143100 -e OMIM:219700 -e $HID "$T/ft_anon.txt"'
# a diagnosis only people the caller may not see have: the same answer as an absent one
for d in OMIM:143100 OMIM:219700 OMIM:999999; do
  get "dxh_${d#OMIM:}" auto "$U/individuals?requestedGranularity=count&filters=$d" >/dev/null
  sed "s/$d/ID/g" "$T/r/dxh_${d#OMIM:}.json" > "$T/dxh_${d#OMIM:}.norm"
done
expect "filters=OMIM:143100 / OMIM:219700 (hidden people only) answer exactly as an absent OMIM:999999" \
  'cmp -s "$T/dxh_143100.norm" "$T/dxh_999999.norm" && cmp -s "$T/dxh_219700.norm" "$T/dxh_999999.norm" && grep -q "not available on this node" "$T/dxh_999999.norm"'
get hidh auto "$U/individuals?requestedGranularity=count&filters=$HID" >/dev/null
expect "and their HPO term counts nobody for the anonymous caller" '[ "$(cnt hidh)" = 0 ]'
# the small-count threshold: at count level with threshold 3, only terms at least 3 people
# the caller may see carry (every term of 3 or more, none of fewer)
"$GN" setting "$N" small_count_threshold 3 >/dev/null
"$GN" setting "$N" public_granularity count >/dev/null
get ft3 beaconFilteringTermsResponse.json "$U/filtering_terms" >/dev/null
"$GN" setting "$N" public_granularity record >/dev/null
"$GN" setting "$N" small_count_threshold 0 >/dev/null
ftids ft3 > "$T/ft3.txt"
bad=0; few=0; n3=0
while read -r t; do
  c=$(ref count "$t" exact)
  if [ "$c" -ge 3 ]; then n3=$((n3+1)); grep -qx "$t" "$T/ft3.txt" || bad=$((bad+1)); else few=$((few+1)); grep -qx "$t" "$T/ft3.txt" && bad=$((bad+1)); fi
done < "$T/terms.txt"
for d in $(grep -E '^(OMIM|ORPHA|MONDO)' "$T/ft3.txt"); do [ "$(ref dx "$d")" -ge 3 ] || bad=$((bad+1)); done
expect "threshold 3 at count level: the $n3 HP terms of 3+ people listed, none of the $few of fewer; diagnoses alike" \
  '[ $bad = 0 ] && [ $n3 -gt 0 ] && [ $few -gt 0 ] && grep -qx OMIM:614959 "$T/ft3.txt"'
expect "/filtering_terms is audited like any query" \
  '"$GN" audit show "$N" | grep -q "\"detail\":\"beacon GET filtering_terms"'

# --- a re-import changes the answer at once (people table per catalog generation)
# (someone with Seizure now has only "Seizure: excluded")
jq '.phenotypicFeatures = [{"type": {"id": "HP:0001250", "label": "Seizure"}, "excluded": true}]' \
  "$T/pp/$(head -1 "$T/seiz.txt").json" > "$T/re.json"
before=$(ref count HP:0001250 desc)
was=1
"$GN" phenopacket import "$N" "$T/re.json" > /dev/null 2>&1
get re auto "$U/individuals?requestedGranularity=count&filters=HP:0001250" >/dev/null
expect "after a re-import that excludes Seizure: $((before - was)) people" '[ "$(cnt re)" = "$((before - was))" ]'
kill "$SRV"; wait "$SRV" 2>/dev/null; SRV=""

# --- a re-import by sample id keeps the record's dataset (here DS2, chosen at the first
# import), not the sample's (DS1)
h3=$(awk 'NR > 1 && $4 == "DS1" && $5 == "GRU" && ++n == 13 { print $2 }' "$T/man.tsv")
jq --arg s "$h3" '.subject.id = $s' testdata/phenopackets/a/PMID_10756346_Patient_B13.json > "$T/h3.json"
ds2="SELECT count(*) FROM phenopackets p JOIN datasets d ON d.id = p.dataset_id WHERE d.name = 'DS2'"
n2=$(sqlite3 "$N/catalog.db" "$ds2")
"$GN" phenopacket import "$N" "$T/h3.json" --dataset DS2 > /dev/null 2>&1
"$GN" phenopacket import "$N" "$T/h3.json" > /dev/null 2>&1
expect "a re-import by sample id keeps the record's dataset (DS2), not the sample's" '[ "$(sqlite3 "$N/catalog.db" "$ds2")" = $((n2 + 1)) ]'

# --- schema validation of every response saved above
validate_json tests/cli/beacon-validate.js "$SCHEMAS" "responses validate against the Beacon v2.1.1 schemas" 51
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
