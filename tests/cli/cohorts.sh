#!/bin/bash
# Named cohorts (`genomenode cohort define|list|drop`): phenotype and diagnosis criteria kept
# in the catalog, used by the data commands (--cohort NAME) and served by the Beacon
# (/cohorts, /cohorts/{id}, /cohorts/{id}/individuals). The 11 real phenopackets of
# testdata/phenopackets are imported for 11 panel samples; every size and member list is
# compared with an independent reference computed from the phenopacket JSON and the HPO
# release's TSV (tests/cli/pheno-ref.js) and with bcftools; counts follow policy (public
# granularity, small-count suppression, withdrawal); bad definitions are clear errors; every
# response validates against the Beacon v2.1.1 schemas, each cohort against the cohort
# model. Usage: tests/cli/cohorts.sh BUILD_DIR   (ends with "N passed, M failed")
set -u
B=${1:-build/asan}
GN="$B/genomenode"
T=$(mktemp -d /tmp/gn-cohorts-XXXXXX)
[ -n "${KEEP:-}" ] && echo "keeping $T"
SRV=""
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
EUR=testdata/1kgp_EUR503_chr20_1-4Mb_GRCh37.vcf.gz
. tests/cli/lib.sh
SCHEMAS=testdata/beacon-schemas
R=framework/json/responses
COHORT_SCHEMA=models/json/beacon-v2-default-model/cohorts/defaultSchema.json
HPO=data/hpo

hpo_index

# --- a node: the 503-sample panel, DS1 public; a researcher without steward rights
N="$T/n"
panel_node "$N"
"$GN" dataset access "$N" DS1 public >/dev/null
"$GN" setting "$N" public_granularity record >/dev/null
"$GN" setting "$N" small_count_threshold 0 >/dev/null
"$GN" user add "$N" alice --role researcher >/dev/null
TA=$("$GN" token create "$N" --user alice)
import_panel_phenopackets "$N"
ref() { node tests/cli/pheno-ref.js "$T/map.tsv" "$HPO" "$@"; }
ds1() { sqlite3 "$N/catalog.db" "SELECT count(*) FROM phenopackets WHERE dataset_id = (SELECT id FROM datasets WHERE name = 'DS1')"; }
"$GN" phenopacket import "$N" "$T/pp/$(head -1 "$T/chosen.txt").json" > /dev/null 2>&1
expect "records imported by sample id take the sample's dataset, and a re-import keeps it (11 in DS1)" '[ "$(ds1)" = 11 ]'

# --- definitions: three cohorts, one of each kind, and the errors
ref samples HP:0001250 > "$T/seiz.txt"
ref dx-samples OMIM:154700 > "$T/mfs.txt"
comm -12 <(sort "$T/mfs.txt") <(ref samples HP:0001166 | sort) > "$T/mfs_ar.txt"
"$GN" cohort define "$N" seizures --phenotype HP:0001250 --description "Seizures (any kind)" > "$T/def1" 2>&1
expect "define a phenotype cohort" '[ $? = 0 ] && grep -q "cohort seizures defined (phenotype HP:0001250)" "$T/def1"'
"$GN" cohort define "$N" marfan --diagnosis OMIM:154700 >/dev/null 2>&1
expect "define a diagnosis cohort" '[ $? = 0 ]'
"$GN" cohort define "$N" marfan-arachnodactyly --diagnosis OMIM:154700 --phenotype HP:0001166 >/dev/null 2>&1
expect "define a cohort by diagnosis AND phenotype" '[ $? = 0 ]'
read -r OBS REP < <(ref obsolete | head -1)
"$GN" cohort define "$N" obsolete-term --phenotype "$OBS" > "$T/def4" 2>&1
expect "an obsolete term is stored as its replacement ($OBS -> $REP), and said" \
  '[ $? = 0 ] && grep -q "$OBS is obsolete, counted as $REP" "$T/def4" && "$GN" cohort list "$N" | grep -q "^obsolete-term	$REP	-	"'
bad_def() { # label expected-message args...
  local l=$1 m=$2; shift 2
  local msg; msg=$("$GN" cohort define "$N" "$@" 2>&1)
  if [ $? -ne 0 ] && echo "$msg" | grep -q -- "$m"; then ok "define error: $l"; else ko "define error: $l ($msg)"; fi
}
bad_def "unknown term" "HP:9999999" bad1 --phenotype HP:9999999
bad_def "no criteria" "usage" bad2
bad_def "empty item" "empty item" bad3 --phenotype HP:0001250,
bad_def "disease id without prefix" "bad disease id" bad4 --diagnosis 154700
bad_def "a name that is not a path segment" "bad cohort name" "a/b" --phenotype HP:0001250
bad_def "a name already taken" "already exists" seizures --phenotype HP:0000118
bad_def "a researcher is not a steward" "steward" bad5 --phenotype HP:0001250 --token "$TA"
expect "cohort list: the four cohorts, no failed one" \
  '[ "$("$GN" cohort list "$N" | cut -f1 | tr "\n" " ")" = "marfan marfan-arachnodactyly obsolete-term seizures " ]'

# --- --cohort NAME in the data commands == the same criteria given directly == bcftools
freq_cohort() { # label reference-samples args...
  local label=$1 want=$2; shift 2
  bcftools view -S "$want" --force-samples "$EUR" 2>/dev/null | bref /dev/stdin > "$T/want.ref"
  "$GN" freq "$N" "$@" 2> "$T/freq.err" | tail -n +2 > "$T/got.gn"
  if [ "$(grep -c . "$want")" -gt 0 ] && cmp -s "$T/want.ref" "$T/got.gn"; then
    ok "$label: freq == bcftools on the $(grep -c . "$want") reference samples"
  else ko "$label: freq differs ($(head -c 300 "$T/freq.err"))"; fi
}
freq_cohort "--cohort seizures" "$T/seiz.txt" --cohort seizures
freq_cohort "--cohort marfan-arachnodactyly" "$T/mfs_ar.txt" --cohort marfan-arachnodactyly
freq_cohort "--cohort seizures --diagnosis: criteria add up (AND)" "$T/mfs_ar.txt" \
  --cohort marfan --phenotype HP:0001166
"$GN" freq "$N" --cohort nosuch > "$T/bad.out" 2> "$T/bad.err"
expect "--cohort of an unknown name: an error naming it, nothing printed" \
  '[ $? -ne 0 ] && grep -q "no cohort .nosuch." "$T/bad.err" && [ ! -s "$T/bad.out" ]'
read -r c1 c2 c3 c4 _ < <(bref "$EUR" | awk '$5 > 50' | sed -n 10p)
bcftools view -S "$T/seiz.txt" "$EUR" 2>/dev/null | bref /dev/stdin | awk -v p="$c2" -v a="$c4" '$2 == p && $4 == a' > "$T/one.ref"
read -r _ _ _ _ rac ran < "$T/one.ref"
expect "count --cohort seizures == bcftools (ac $rac, an $ran)" \
  '"$GN" count "$N" "$c1:$c2:$c3:$c4" --cohort seizures | grep -q "\"ac\":$rac,\"an\":$ran"'
"$GN" export "$N" --cohort marfan -o "$T/mfs.vcf.gz" > /dev/null 2>&1
expect "export --cohort marfan: exactly the $(grep -c . "$T/mfs.txt") reference people, by pseudonym" \
  '[ "$(bcftools query -l "$T/mfs.vcf.gz" | wc -l)" = "$(grep -c . "$T/mfs.txt")" ]'

# --- the Beacon: /cohorts, /cohorts/{id}, /cohorts/{id}/individuals
start_server "$N"
U="http://127.0.0.1:$P/api"
expect "server starts" '[ -n "$P" ]'
mkdir -p "$T/r"
: > "$T/validate.txt"
get() { local name=$1 schema=$2; shift 2
        echo "$R/$schema $T/r/$name.json" >> "$T/validate.txt"
        curl -s -o "$T/r/$name.json" -w '%{http_code}' "$@"; }
j() { node -e "const d=JSON.parse(require('fs').readFileSync('$T/r/$1.json'));console.log(String($2))"; }
size() { j "$1" "(d.response.collections.find((c) => c.id === '$2') || {}).cohortSize"; }
# each cohort of a response, alone, for the cohort model's schema
split_cohorts() {
  node -e "const d=JSON.parse(require('fs').readFileSync('$T/r/$1.json'));
    for (const c of d.response.collections) require('fs').writeFileSync('$T/r/$1.' + c.id + '.json', JSON.stringify(c))"
  for f in "$T/r/$1".*.json; do echo "$COHORT_SCHEMA $f" >> "$T/validate.txt"; done
}

code=$(get all auto "$U/cohorts")
split_cohorts all
expect "GET /cohorts: 200, the four cohorts" '[ "$code" = 200 ] && [ "$(j all d.responseSummary.numTotalResults)" = 4 ]'
expect "cohortSize of seizures = $(grep -c . "$T/seiz.txt") (reference)" '[ "$(size all seizures)" = "$(grep -c . "$T/seiz.txt")" ]'
expect "cohortSize of marfan = $(grep -c . "$T/mfs.txt"), of marfan-arachnodactyly = $(grep -c . "$T/mfs_ar.txt") (reference)" \
  '[ "$(size all marfan)" = "$(grep -c . "$T/mfs.txt")" ] && [ "$(size all marfan-arachnodactyly)" = "$(grep -c . "$T/mfs_ar.txt")" ]'
expect "cohortSize of obsolete-term = people with $REP ($(ref count "$REP" desc))" '[ "$(size all obsolete-term)" = "$(ref count "$REP" desc)" ]'
expect "inclusion criteria carry the HPO and disease labels; the description is the name" \
  'grep -q "\"phenotypicConditions\":\[{\"featureType\":{\"id\":\"HP:0001250\",\"label\":\"Seizure\"}}\]" "$T/r/all.json" &&
   grep -q "\"diseaseCode\":{\"id\":\"OMIM:154700\",\"label\":\"Marfan syndrome\"}" "$T/r/all.json" &&
   grep -q "\"name\":\"Seizures (any kind)\"" "$T/r/all.json"'
code=$(get one auto "$U/cohorts/marfan")
split_cohorts one
expect "GET /cohorts/marfan: that cohort only" '[ "$code" = 200 ] && [ "$(j one d.response.collections.length)" = 1 ] && [ "$(j one d.response.collections[0].id)" = marfan ]'
code=$(get none beaconErrorResponse.json "$U/cohorts/nosuch")
expect "GET /cohorts/nosuch: 404 with a message" '[ "$code" = 404 ] && grep -q "no cohort" "$T/r/none.json"'
code=$(get nonei beaconErrorResponse.json "$U/cohorts/nosuch/individuals")
expect "GET /cohorts/nosuch/individuals: 404" '[ "$code" = 404 ]'

get ind auto "$U/cohorts/seizures/individuals?requestedGranularity=record&limit=100" >/dev/null
expect "/cohorts/seizures/individuals: as many records as the reference ($(grep -c . "$T/seiz.txt"))" \
  '[ "$(j ind d.responseSummary.numTotalResults)" = "$(grep -c . "$T/seiz.txt")" ] && [ "$(j ind d.response.resultSets[0].results.length)" = "$(grep -c . "$T/seiz.txt")" ]'
get indf auto "$U/cohorts/seizures/individuals?requestedGranularity=count&filters=NCIT:C16576" >/dev/null
fem=$(awk -F'\t' 'NR == FNR { s[$1] = 1; next } ($2 in s) && $3 == "female"' "$T/seiz.txt" "$T/man.tsv" | wc -l)
expect "/cohorts/seizures/individuals with a female filter: $fem (reference with the manifest's sex)" '[ "$(j indf d.responseSummary.numTotalResults)" = "$fem" ]'
get indm auto "$U/cohorts/marfan-arachnodactyly/individuals?requestedGranularity=count" >/dev/null
expect "/cohorts/marfan-arachnodactyly/individuals: $(grep -c . "$T/mfs_ar.txt") (reference)" '[ "$(j indm d.responseSummary.numTotalResults)" = "$(grep -c . "$T/mfs_ar.txt")" ]'

# --- policy: withdrawal, small counts, boolean granularity
w=$(head -1 "$T/seiz.txt")
"$GN" withdraw "$N" --sample "$w" >/dev/null
get aw auto "$U/cohorts" >/dev/null
expect "after withdrawing one member: seizures has $(( $(grep -c . "$T/seiz.txt") - 1 ))" '[ "$(size aw seizures)" = "$(( $(grep -c . "$T/seiz.txt") - 1 ))" ]'
"$GN" setting "$N" public_granularity count >/dev/null
"$GN" setting "$N" small_count_threshold "$(( $(grep -c . "$T/mfs.txt") + 1 ))" >/dev/null
get small auto "$U/cohorts" >/dev/null
split_cohorts small
expect "below the small-count threshold ($(( $(grep -c . "$T/mfs.txt") + 1 ))) marfan shows no size, seizures does" \
  '[ "$(size small marfan)" = undefined ] && [ "$(size small seizures)" = "$(( $(grep -c . "$T/seiz.txt") - 1 ))" ]'
"$GN" setting "$N" public_granularity boolean >/dev/null
get bool auto "$U/cohorts" >/dev/null
expect "a boolean-level caller sees the definitions without any size" \
  '[ "$(j bool d.response.collections.length)" = 4 ] && ! grep -q cohortSize "$T/r/bool.json"'

# --- drop; the audit trail
"$GN" cohort drop "$N" obsolete-term >/dev/null
get dropped auto "$U/cohorts" >/dev/null
expect "a dropped cohort is gone from /cohorts at once" '[ "$(j dropped d.response.collections.length)" = 3 ]'
"$GN" cohort drop "$N" obsolete-term > /dev/null 2> "$T/drop.err"
expect "dropping it again: an error" '[ $? -ne 0 ] && grep -q "no cohort" "$T/drop.err"'
kill "$SRV"; wait "$SRV" 2>/dev/null; SRV=""
expect "audit: definitions and drops are recorded with their criteria" \
  '"$GN" audit show "$N" | grep "\"action\":\"cohort.define\"" | grep -q "marfan-arachnodactyly phenotype HP:0001166 diagnosis OMIM:154700" &&
   "$GN" audit show "$N" | grep -q "\"action\":\"cohort.drop\""'
expect "audit: a Beacon query of a cohort names it" '"$GN" audit show "$N" | grep "\"action\":\"beacon\"" | grep -q "individuals.* cohort seizures"'
expect "audit chain verifies" '"$GN" audit verify "$N" >/dev/null'

validate_json tests/cli/beacon-validate.js "$SCHEMAS" "responses and cohorts validate against the Beacon v2.1.1 schemas" 20
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
