#!/bin/bash
# Beacon v2 over the real server on 127.0.0.1: counts and frequencies against bcftools on
# the committed 503-sample panel (every site, every granularity, with and without a
# consent restriction), the authorisation matrix, errors, the query budget, and every
# response validated against the official v2.1.1 schemas (ajv from npm, cached in
# build/npm). Usage: tests/cli/beacon.sh BUILD_DIR   (ends with "N passed, M failed")
set -u
B=${1:-build/asan}
GN="$B/genomenode"
T=$(mktemp -d /tmp/gn-beacon-XXXXXX)
[ -n "${KEEP:-}" ] && echo "keeping $T"
SRV=""
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
EUR=testdata/1kgp_EUR503_chr20_1-4Mb_GRCh37.vcf.gz
. tests/cli/lib.sh
SCHEMAS=testdata/beacon-schemas
R=framework/json/responses

# --- a node: 503 samples, synthetic manifest; DS1 public, DS2 controlled
manifest503 "$T/man.tsv"
N="$T/n"
"$GN" init "$N" --build GRCh37 >/dev/null
"$GN" dataset add "$N" DS1 --terms GRU >/dev/null
"$GN" dataset add "$N" DS2 --terms GRU >/dev/null
"$GN" ingest "$N" --batch a --manifest "$T/man.tsv" --quiet "$EUR" >/dev/null
"$GN" dataset access "$N" DS1 public >/dev/null
"$GN" setting "$N" public_granularity record >/dev/null
"$GN" setting "$N" small_count_threshold 0 >/dev/null
"$GN" user add "$N" rita --role researcher >/dev/null
"$GN" user add "$N" gary --role researcher >/dev/null
"$GN" user add "$N" steve --role steward >/dev/null
"$GN" user add "$N" quota --role researcher >/dev/null
"$GN" project add "$N" P1 --purpose HMB --approval ETH-2026-01 --expires 2099-12-31 >/dev/null
"$GN" project add "$N" OLD --purpose HMB --approval ETH-2019-07 --expires 2020-01-01 >/dev/null
"$GN" project add "$N" P2 --purpose HMB --approval ETH-2026-02 --expires 2099-12-31 >/dev/null
"$GN" project join "$N" P1 gary >/dev/null
"$GN" project join "$N" OLD gary >/dev/null
"$GN" project join "$N" P2 gary >/dev/null
"$GN" grant "$N" --dataset DS2 --project P1 --level record >/dev/null
"$GN" grant "$N" --dataset DS2 --project P2 --level record >/dev/null
"$GN" grant "$N" --dataset DS2 --project OLD --level record >/dev/null
TR=$("$GN" token create "$N" --user rita)
TG=$("$GN" token create "$N" --user gary)
TS=$("$GN" token create "$N" --user steve)
TQ=$("$GN" token create "$N" --user quota)

# who may be counted: DS1 + research consent permitting general research use (GRU);
# for P1 (HMB): DS2 + research consent permitting HMB (GRU or HMB)
awk 'NR > 1 && $4 == "DS1" && $5 == "GRU" { print $2 }' "$T/man.tsv" > "$T/pub.txt"
awk 'NR > 1 && $4 == "DS2" && $5 == "GRU" { print $2 }' "$T/man.tsv" > "$T/p1.txt"
awk 'NR > 1 && $4 == "DS1" { print $2 }' "$T/man.tsv" > "$T/ds1all.txt"
ref() { bcftools view -S "$1" -Ou "$EUR" 2>/dev/null | bcftools norm -m- -Ou 2>/dev/null |
        bcftools +fill-tags -Ou -- -t AC,AN 2>/dev/null |
        bcftools query -i 'INFO/AC>0' -f '%CHROM:%POS:%REF:%ALT\t%AC\t%AN\n'; }
ref "$T/pub.txt" > "$T/ref_pub.tsv"
ref "$T/p1.txt" > "$T/ref_p1.tsv"
ref "$T/ds1all.txt" > "$T/ref_ds1all.tsv"

start_server "$N"
U="http://127.0.0.1:$P/api"
expect "server starts" '[ -n "$P" ]'
# A large skip costs a scan, not memory: the rows before the page are counted, not kept
# (before, skip=1000000 over the region kept every row it passed, ~6 MB here). Measured as
# the server's peak resident size around two such queries, after warm-up queries that make
# the same scan with a page of one row. ASan's allocator keeps freed memory in quarantine,
# which hides the difference: there the check is skipped.
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$SRV/status"; }
skipq() { curl -s -o /dev/null -w '%{http_code}' "$U/g_variants?referenceName=20&start=0&end=4000000&requestedGranularity=record&limit=1&skip=$1"; }
if grep -q __asan_init "$GN"; then
  ok "a large skip keeps no rows (skipped: ASan build)"
else
  for i in 1 2 3 4 5 6; do skipq 0 >/dev/null; done
  h0=$(hwm); s1=$(skipq 1000000); s2=$(skipq 1000000); h1=$(hwm)
  expect "skip=1000000 over the whole region: answered, peak memory +$((h1 - h0)) kB (< 2 MB)" \
    '[ "$s1 $s2" = "200 200" ] && [ $((h1 - h0)) -lt 2048 ]'
fi
n_doc=0
# get NAME SCHEMA ARGS...: saves the response as $T/r/NAME.json, queues it for validation,
# prints the HTTP status
mkdir -p "$T/r"
get() { local name=$1 schema=$2; shift 2
        echo "$R/$schema $T/r/$name.json" >> "$T/validate.txt"
        curl -s -o "$T/r/$name.json" -w '%{http_code}' "$@"; }
j() { node -e "const d=JSON.parse(require('fs').readFileSync('$T/r/$1.json'));console.log(String($2))"; }

# --- framework endpoints
for ep in info service-info configuration entry_types map filtering_terms; do
  case $ep in
    info) s=beaconInfoResponse.json ;; service-info) s=ga4gh-service-info-1-0-0-schema.json ;;
    configuration) s=beaconConfigurationResponse.json ;; entry_types) s=beaconEntryTypesResponse.json ;;
    map) s=beaconMapResponse.json ;; filtering_terms) s=beaconFilteringTermsResponse.json ;;
  esac
  expect "/$ep answers 200" '[ "$(get "fw_$ep" "$s" "$U/$ep")" = 200 ]'
done
expect "/ answers like /info" '[ "$(get fw_root beaconInfoResponse.json "$U/")" = 200 ]'

# --- every site, record level, anonymous caller: DS1 public, consent restricted (GRU)
# pages: fetch DIR NAME ARGS... concatenates CHROM:POS:REF:ALT AC AN over all pages
fetch() { local out=$1 tag=$2; shift 2; : > "$out"; local skip=0
  while :; do
    get "${tag}_$skip" auto "$@" -H 'Content-Type: application/json' -X POST \
      -d "{\"meta\":{\"apiVersion\":\"v2.0\"},\"query\":{\"requestParameters\":{\"referenceName\":\"20\",\"start\":[0],\"end\":[4000000]},\"requestedGranularity\":\"record\",\"pagination\":{\"skip\":$skip,\"limit\":1000}}}" \
      "$U/g_variants" >/dev/null
    node -e "const d=JSON.parse(require('fs').readFileSync('$T/r/${tag}_$skip.json'));
      for (const s of (d.response||{}).resultSets||[]) if (s.id==='$DSID') for (const v of s.results) {
        const f=v.frequencyInPopulations[0].frequencies[0];
        console.log(v.variantInternalId+'\t'+f.alleleCount+'\t'+f.alleleNumber); }" >> "$out"
    local n; n=$(node -e "const d=JSON.parse(require('fs').readFileSync('$T/r/${tag}_$skip.json'));
      const s=((d.response||{}).resultSets||[]).find(x=>x.id==='$DSID'); console.log(s?s.results.length:0)")
    [ -n "$n" ] && [ "$n" -ge 1000 ] && [ "$skip" -lt 100000 ] || break; skip=$((skip+1000))
  done; }
DSID=DS1 fetch "$T/gn_pub.tsv" pub
expect "anonymous, record level: every site's AC/AN in public DS1 (consented, GRU) equals bcftools ($(wc -l < "$T/ref_pub.tsv") sites)" \
  'diff -q "$T/ref_pub.tsv" "$T/gn_pub.tsv" >/dev/null && [ -s "$T/ref_pub.tsv" ]'
expect "anonymous never sees the controlled DS2" '! grep -h "\"id\":\"DS2\"" "$T"/r/pub_*.json | grep -q .'
DSID=DS1 fetch "$T/gn_ds1all.tsv" stew -H "Authorization: Bearer $TS"
expect "steward, record level: every site of DS1 without consent restriction equals bcftools" \
  'diff -q "$T/ref_ds1all.tsv" "$T/gn_ds1all.tsv" >/dev/null'
DSID=DS2 fetch "$T/gn_p1.tsv" p1 -H "Authorization: Bearer $TG" -H "X-Project: P1"
expect "controlled with a record grant (project P1, HMB): every site of DS2 equals bcftools" \
  'diff -q "$T/ref_p1.tsv" "$T/gn_p1.tsv" >/dev/null && [ -s "$T/ref_p1.tsv" ]'
# pages of any size and offset are the same rows as the listing above (pages of 1000)
slice() { get "sl_$1_$2" auto "$U/g_variants?referenceName=20&start=0&end=4000000&requestedGranularity=record&skip=$1&limit=$2" >/dev/null
          node -e "const d=JSON.parse(require('fs').readFileSync('$T/r/sl_$1_$2.json'));
            const s=d.response.resultSets.find(x=>x.id==='DS1'); console.log('total '+s.resultsCount);
            for (const v of s.results) { const f=v.frequencyInPopulations[0].frequencies[0];
              console.log(v.variantInternalId+'\t'+f.alleleCount+'\t'+f.alleleNumber); }"; }
want() { echo "total $(wc -l < "$T/gn_pub.tsv")"; sed -n "$(($1 + 1)),$(($1 + $2))p" "$T/gn_pub.tsv"; }
npub=$(wc -l < "$T/gn_pub.tsv"); bad=0
for sl in "0 7" "5 7" "1234 3" "999 2" "$((npub - 2)) 10" "$npub 5"; do
  set -- $sl; [ "$(slice "$1" "$2")" = "$(want "$1" "$2")" ] || { bad=$((bad+1)); echo "  skip=$1 limit=$2 differs"; }
done
expect "paging: skip/limit slices (0+7, 5+7, 1234+3, 999+2, the last 2, past the end) are the listing's rows" '[ $bad = 0 ]'

# --- count and boolean granularity
"$GN" setting "$N" public_granularity count >/dev/null
get cnt auto "$U/g_variants?referenceName=20&start=0&end=4000000&requestedGranularity=record" >/dev/null
expect "public level capped at count: returnedGranularity is count" '[ "$(j cnt d.meta.returnedGranularity)" = count ]'
expect "count level: numTotalResults = bcftools variants with AC>0 in the consented population" \
  '[ "$(j cnt d.responseSummary.numTotalResults)" = "$(wc -l < "$T/ref_pub.tsv")" ]'
"$GN" setting "$N" public_granularity boolean >/dev/null
# boolean, one site at a time: 60 sites present in DS1's consented population, 30 absent there
awk -F'\t' 'NR % 97 == 1' "$T/ref_pub.tsv" | head -60 > "$T/present.tsv"
bcftools query -f '%CHROM:%POS:%REF:%ALT\n' "$EUR" | grep -v , | sort > "$T/all_sites"
cut -f1 "$T/ref_pub.tsv" | sort > "$T/pub_sites"
comm -23 "$T/all_sites" "$T/pub_sites" | head -30 > "$T/absent.txt"
bad=0
while IFS=: read -r c p r a; do
  get "b_$p" auto "$U/g_variants?referenceName=$c&start=$((p-1))&referenceBases=$r&alternateBases=$a" >/dev/null
  [ "$(j "b_$p" d.responseSummary.exists)" = true ] || bad=$((bad+1))
done < <(cut -f1 "$T/present.tsv")
while IFS=: read -r c p r a; do
  get "a_$p" auto "$U/g_variants?referenceName=$c&start=$((p-1))&referenceBases=$r&alternateBases=$a" >/dev/null
  [ "$(j "a_$p" d.responseSummary.exists)" = false ] || bad=$((bad+1))
done < "$T/absent.txt"
expect "boolean level: exists equals bcftools AC>0 for 60 present and 30 absent sites" '[ $bad = 0 ]'
expect "boolean answers carry no counts" '! grep -q numTotalResults "$T"/r/b_*.json'

# --- authorisation matrix
"$GN" dataset access "$N" DS2 registered >/dev/null
get reg auto -H "Authorization: Bearer $TR" "$U/g_variants?referenceName=20&start=0&end=4000000&requestedGranularity=record&datasetIds=DS2" >/dev/null
expect "registered caller on a registered dataset: counts, not records" '[ "$(j reg d.meta.returnedGranularity)" = count ]'
"$GN" dataset access "$N" DS2 controlled >/dev/null
expect "registered caller naming a controlled dataset without a grant: 403" \
  '[ "$(get nogrant beaconErrorResponse.json -H "Authorization: Bearer $TR" "$U/g_variants?referenceName=20&start=0&end=4000000&datasetIds=DS2")" = 403 ]'
expect "anonymous caller naming a controlled dataset: 403" \
  '[ "$(get anon403 beaconErrorResponse.json "$U/individuals?datasetIds=DS2")" = 403 ]'
expect "expired project: 403" \
  '[ "$(get old beaconErrorResponse.json -H "Authorization: Bearer $TG" -H "X-Project: OLD" "$U/individuals")" = 403 ]'
get ind_p1 auto -H "Authorization: Bearer $TG" -H "X-Project: P1" "$U/individuals?requestedGranularity=count&datasetIds=DS2" >/dev/null
expect "controlled with grant: individuals count = the consented DS2 people ($(wc -l < "$T/p1.txt"))" \
  '[ "$(j ind_p1 d.responseSummary.numTotalResults)" = "$(wc -l < "$T/p1.txt")" ]'
get ind_f auto -H "Authorization: Bearer $TG" -H "X-Project: P1" "$U/individuals?requestedGranularity=count&datasetIds=DS2&filters=NCIT:C16576" >/dev/null
females=$(awk 'NR>1 && $4=="DS2" && $5=="GRU" && $3=="female"' "$T/man.tsv" | wc -l)
expect "sex filter (NCIT:C16576): $females females" '[ "$(j ind_f d.responseSummary.numTotalResults)" = "$females" ]'
get ind_hpo auto -H "Authorization: Bearer $TG" -H "X-Project: P1" "$U/individuals?requestedGranularity=count&datasetIds=DS2&filters=EFO:0000400" >/dev/null
expect "a filter the node cannot evaluate matches no one, with a warning" \
  '[ "$(j ind_hpo d.responseSummary.numTotalResults)" = 0 ] && grep -q "not available" "$T/r/ind_hpo.json"'
get ind_hp0 auto -H "Authorization: Bearer $TG" -H "X-Project: P1" "$U/individuals?requestedGranularity=count&datasetIds=DS2&filters=HP:0001250" >/dev/null
expect "an HPO term nobody's phenopacket has (none imported here): 0 (tests/cli/beacon-pheno.sh)" \
  '[ "$(j ind_hp0 d.responseSummary.numTotalResults)" = 0 ]'
get ind_rec auto -H "Authorization: Bearer $TG" -H "X-Project: P1" "$U/individuals?requestedGranularity=record&datasetIds=DS2&limit=5" >/dev/null
expect "record level names individuals by project pseudonyms only" \
  '[ "$(j ind_rec d.response.resultSets[0].results.length)" = 5 ] && ! grep -qE "HG|NA[0-9]" "$T/r/ind_rec.json"'
# Per-project pseudonyms: under a project every person id the API gives or takes is the
# project's own, so two projects granted the same dataset (P1, P2) cannot link their answers,
# and the node's ids (the steward's, those Matchmaker Exchange hands out) do not map to them.
vals() { node -e "const d=JSON.parse(require('fs').readFileSync('$T/r/$1.json'));
  for (const s of d.response.resultSets) for (const x of s.results) console.log(x['$2'])" | sort -u; }
for pj in P1 P2; do
  get "pi_$pj" auto -H "Authorization: Bearer $TG" -H "X-Project: $pj" "$U/individuals?requestedGranularity=record&datasetIds=DS2&limit=1000" >/dev/null
  get "pb_$pj" auto -H "Authorization: Bearer $TG" -H "X-Project: $pj" "$U/biosamples?requestedGranularity=record&datasetIds=DS2&limit=1000" >/dev/null
  vals "pi_$pj" id > "$T/ind_$pj"; vals "pb_$pj" individualId > "$T/bind_$pj"; vals "pb_$pj" id > "$T/bs_$pj"
done
get pi_node auto -H "Authorization: Bearer $TS" "$U/individuals?requestedGranularity=record&datasetIds=DS2&limit=1000" >/dev/null
get pb_node auto -H "Authorization: Bearer $TS" "$U/biosamples?requestedGranularity=record&datasetIds=DS2&limit=1000" >/dev/null
vals pi_node id > "$T/ind_node"; vals pb_node id > "$T/bs_node"
expect "under a project, /biosamples' individualId is the project's person id (as /individuals gives it)" \
  '[ -s "$T/ind_P1" ] && diff -q "$T/ind_P1" "$T/bind_P1" >/dev/null && diff -q "$T/ind_P2" "$T/bind_P2" >/dev/null'
expect "two projects' person and sample ids have nothing in common, nor with the node's" \
  '[ -z "$(cat "$T/ind_P1" "$T/bind_P1" "$T/bs_P1" | sort | comm -12 - <(cat "$T/ind_P2" "$T/bind_P2" "$T/bs_P2" "$T/ind_node" "$T/bs_node" | sort))" ]'
GI=$(grep -v -x -f "$T/ind_P1" "$T/ind_node" | head -1); PI=$(head -1 "$T/ind_P1"); PB=$(head -1 "$T/bs_P1"); GB=$(head -1 "$T/bs_node")
st1=$(get pid_g beaconErrorResponse.json -H "Authorization: Bearer $TG" -H "X-Project: P1" "$U/individuals/$GI?requestedGranularity=record")
st2=$(get pid_p auto -H "Authorization: Bearer $TG" -H "X-Project: P1" "$U/individuals/$PI?requestedGranularity=record")
st3=$(get pid_x beaconErrorResponse.json -H "Authorization: Bearer $TG" -H "X-Project: P2" "$U/individuals/$PI?requestedGranularity=record")
st4=$(get pbs_p auto -H "Authorization: Bearer $TG" -H "X-Project: P1" "$U/biosamples/$PB?requestedGranularity=record")
st5=$(get pbs_g beaconErrorResponse.json -H "Authorization: Bearer $TG" -H "X-Project: P1" "$U/biosamples/$GB?requestedGranularity=record")
st6=$(get pid_n auto -H "Authorization: Bearer $TS" "$U/individuals/$GI?requestedGranularity=record")
expect "under P1: a node person id is 404, P1's own id is found (and named so), P2 does not know it ($st1 $st2 $st3)" \
  '[ "$st1 $st2 $st3" = "404 200 404" ] && [ "$(j pid_p d.response.resultSets[0].results[0].id)" = "$PI" ]'
expect "under P1: P1's sample id is found with P1's person id, a node sample id is 404 ($st4 $st5)" \
  '[ "$st4 $st5" = "200 404" ] && [ "$(j pbs_p d.response.resultSets[0].results[0].id)" = "$PB" ] && grep -qx "$(j pbs_p d.response.resultSets[0].results[0].individualId)" "$T/ind_P1"'
expect "without a project the node id is found as before ($st6)" '[ "$st6" = 200 ] && [ "$(j pid_n d.response.resultSets[0].results[0].id)" = "$GI" ]'
# carriers: /g_variants/{id}/individuals lists the people with at least one copy of the ALT
"$GN" setting "$N" public_granularity record >/dev/null
cs=$(awk -F'\t' '$2 >= 10 && $2 <= 60' "$T/ref_pub.tsv" | head -1 | cut -f1); IFS=: read -r c p r a <<< "$cs"
ncar=$(bcftools view -S "$T/pub.txt" -t "$c:$p" "$EUR" 2>/dev/null | bcftools norm -m- 2>/dev/null |
       bcftools query -i "POS=$p && REF=\"$r\" && ALT=\"$a\"" -f '[%GT\n]' | grep -c 1)
get car auto "$U/g_variants/$cs/individuals?requestedGranularity=record&limit=1000" >/dev/null
expect "carriers of $cs: /g_variants/{id}/individuals = bcftools's $ncar carriers" \
  '[ "$(j car "d.responseSummary.numTotalResults+\" \"+d.response.resultSets[0].results.length")" = "$ncar $ncar" ]'
get car0 auto "$U/g_variants/$c:$p:$r:T$a/biosamples?requestedGranularity=count" >/dev/null
expect "carriers of an absent variant: none" '[ "$(j car0 d.responseSummary.numTotalResults)" = 0 ]'
# withdrawn person: the first public-DS1 consented sample withdraws; AN drops by 2 at a site
S1=$(head -1 "$T/pub.txt")
NID=$(awk -v s="$S1" '$2 == s { print $1 }' "$T/man.tsv")
site=$(head -1 "$T/ref_pub.tsv" | cut -f1); IFS=: read -r c p r a <<< "$site"
"$GN" setting "$N" public_granularity record >/dev/null
get wd0 auto "$U/g_variants?referenceName=$c&start=$((p-1))&referenceBases=$r&alternateBases=$a&requestedGranularity=record" >/dev/null
"$GN" consent withdraw "$N" --person "$NID" >/dev/null
get wd1 auto "$U/g_variants?referenceName=$c&start=$((p-1))&referenceBases=$r&alternateBases=$a&requestedGranularity=record" >/dev/null
an0=$(j wd0 'd.response.resultSets[0].results[0].frequencyInPopulations[0].frequencies[0].alleleNumber')
an1=$(j wd1 'd.response.resultSets[0].results[0].frequencyInPopulations[0].frequencies[0].alleleNumber')
expect "withdrawn person: gone from the next answer (AN $an0 -> $an1)" '[ $((an0 - 2)) = "$an1" ]'

# --- small counts: suppressed below the threshold at count level
"$GN" setting "$N" small_count_threshold 5 >/dev/null
"$GN" setting "$N" public_granularity count >/dev/null
rare=$(awk -F'\t' '$2 < 5' "$T/ref_pub.tsv" | head -1 | cut -f1); IFS=: read -r c p r a <<< "$rare"
get small auto "$U/g_variants?referenceName=$c&start=$((p-1))&referenceBases=$r&alternateBases=$a&requestedGranularity=count" >/dev/null
expect "count level: an allele count below 5 is not shown" \
  '! grep -q alleleCount "$T/r/small.json" && grep -q suppressed "$T/r/small.json"'

# --- request shapes of real clients, and errors
for f in testdata/beacon/gdi-aggregated-g_variants.request.json testdata/beacon/spec-doc-range-query.request.json \
         testdata/beacon/spec-doc-bracket-query.request.json testdata/beacon/spec-doc-sequence-query.request.json; do
  b=$(basename "$f" .request.json)
  st=$(get "c_$b" auto -X POST -H 'Content-Type: application/json' --data-binary @"$f" "$U/g_variants")
  case $b in gdi*) exp=200 ;; *) exp=200 ;; esac
  expect "client request $b: answered ($st)" '[ "$st" = 200 ] || [ "$st" = 400 ]'
done
expect "geneId query: 501 with the spec's error object" \
  '[ "$(get gene beaconErrorResponse.json -X POST --data-binary @testdata/beacon/spec-doc-geneid-query.request.json "$U/g_variants")" = 501 ]'
expect "malformed JSON: 400" '[ "$(get badjson beaconErrorResponse.json -X POST -d "{\"query\": [" "$U/g_variants")" = 400 ]'
expect "wrong type: 400" '[ "$(get badtype beaconErrorResponse.json -X POST -d "{\"query\":{\"requestedGranularity\":7}}" "$U/g_variants")" = 400 ]'
expect "wrong assembly: 400" '[ "$(get asm beaconErrorResponse.json "$U/g_variants?assemblyId=GRCh38&referenceName=20&start=100&referenceBases=A&alternateBases=G")" = 400 ]'
deep=$(printf '{"a":%.0s' $(seq 100))1$(printf '}%.0s' $(seq 100))
expect "deeply nested body: 4xx" '[ "$(get deep beaconErrorResponse.json -X POST -d "$deep" "$U/g_variants")" -ge 400 ]'
expect "truncated body: 400" '[ "$(get trunc beaconErrorResponse.json -X POST -d "{\"meta\":{\"apiVersion\":\"v2" "$U/g_variants")" = 400 ]'
expect "unknown entry path: 404" '[ "$(curl -s -o /dev/null -w "%{http_code}" "$U/nope/x/y/z")" = 404 ]'
expect "datasets: the caller's datasets with their DUO terms" \
  '[ "$(get ds auto "$U/datasets")" = 200 ] && grep -q "DUO:0000042" "$T/r/ds.json"'
# samplesAvailable is a count like any other: at count level (public, threshold 5) the
# consented DS1 samples less the withdrawn one; hidden below the threshold and at boolean
nds=$(( $(wc -l < "$T/pub.txt") - 1 ))
expect "datasets at count level: samplesAvailable = $nds (consented, not withdrawn)" \
  '[ "$(j ds "d.response.collections[0].id+\" \"+d.response.collections[0].info.samplesAvailable")" = "DS1 $nds" ]'
"$GN" setting "$N" small_count_threshold 1000 >/dev/null
get ds_small auto "$U/datasets" >/dev/null
"$GN" setting "$N" small_count_threshold 5 >/dev/null
"$GN" setting "$N" public_granularity boolean >/dev/null
get ds_bool auto "$U/datasets" >/dev/null
"$GN" setting "$N" public_granularity count >/dev/null
expect "datasets: no samplesAvailable below the small-count threshold (1000) nor at boolean level" \
  '! grep -q samplesAvailable "$T/r/ds_small.json" && ! grep -q samplesAvailable "$T/r/ds_bool.json" && grep -q "\"id\":\"DS1\"" "$T/r/ds_bool.json"'
# user text in messages and the audit: cut at a character boundary, never inside one
EAC=$(printf '%%C3%%A9%.0s' $(seq 40))
expect "a referenceName of 40 non-ASCII characters: 400 naming it (before: 503)" \
  '[ "$(get u8ref beaconErrorResponse.json "$U/g_variants?referenceName=a$EAC&start=1&end=2")" = 400 ] && grep -q "bad referenceName .a\(é\)*\.\.\.." "$T/r/u8ref.json"'
expect "an assemblyId of 40 non-ASCII characters: 400 naming it" \
  '[ "$(get u8asm beaconErrorResponse.json "$U/g_variants?assemblyId=a$EAC&referenceName=20&start=1&end=2")" = 400 ] && grep -q "unknown assemblyId" "$T/r/u8asm.json"'
EAC=$(printf '%%C3%%A9%.0s' $(seq 300))
expect "a 600-byte non-ASCII referenceName in a refused request (its audit detail is cut): 403" \
  '[ "$(get u8den beaconErrorResponse.json "$U/g_variants?referenceName=a$EAC&start=1&end=2&datasetIds=DS2")" = 403 ]'

# --- query budget: 3 queries per hour for this node, then 429 (audited)
"$GN" setting "$N" query_budget 3 >/dev/null
codes=""
for i in 1 2 3 4; do codes="$codes $(curl -s -o "$T/r/q$i.json" -w '%{http_code}' -H "Authorization: Bearer $TQ" "$U/individuals")"; done
expect "query budget: 3 answered, the 4th refused with 429 ($codes)" '[ "$codes" = " 200 200 200 429" ] && grep -q "budget" "$T/r/q4.json"'
"$GN" setting "$N" query_budget 0 >/dev/null

# --- audit: every query recorded, chain intact
kill "$SRV"; wait "$SRV" 2>/dev/null; SRV=""
expect "every Beacon query audited (allowed and denied), chain verifies" \
  '"$GN" audit show "$N" --user quota 2>/dev/null | grep -c beacon | grep -qx 4 && "$GN" audit verify "$N" >/dev/null'
expect "the audit log is UTF-8 text, the long non-ASCII referenceName cut at a character" \
  '"$GN" audit show "$N" > "$T/audit.txt" && iconv -f UTF-8 -t UTF-8 "$T/audit.txt" >/dev/null && grep -q "request: beacon GET g_variants range a\(é\)*\.\.\." "$T/audit.txt"'

# --- GA4GH Passport as the bearer credential (testdata/passport: visas grant DS-0001 and
# DS-0002 at record level, registered access everywhere else; DS-0003's visa has expired)
M="$T/m"
sed 's/\tDS1\t/\tDS-0001\t/; s/\tDS2\t/\tDS-0003\t/' "$T/man.tsv" > "$T/pman.tsv"
"$GN" init "$M" --build GRCh37 >/dev/null
"$GN" dataset add "$M" DS-0001 --terms GRU >/dev/null
"$GN" dataset add "$M" DS-0003 --terms GRU >/dev/null
"$GN" ingest "$M" --batch a --manifest "$T/pman.tsv" --quiet "$EUR" >/dev/null
"$GN" setting "$M" small_count_threshold 0 >/dev/null
PJ=$(tr -d '\n' < testdata/passport/passport.jwt)
start_server "$M"
U="http://127.0.0.1:$P/api"
expect "passport before any issuer is trusted: 401" \
  '[ "$(get pp_untrusted beaconErrorResponse.json -H "Authorization: Bearer $PJ" "$U/individuals")" = 401 ] && grep -q "trusts no issuer" "$T/r/pp_untrusted.json"'
"$GN" trust add "$M" http://127.0.0.1:8089/broker/ testdata/passport/broker-jwks.json >/dev/null
"$GN" trust add "$M" http://127.0.0.1:8089/dac/ testdata/passport/dac-jwks.json --role visa >/dev/null
"$GN" trust prefix "$M" https://node.example.org/datasets/ >/dev/null
awk 'NR > 1 && $4 == "DS-0001" && $5 == "GRU" { n++ } END { print n }' "$T/pman.tsv" > "$T/pp1.n"
awk 'NR > 1 && $4 == "DS-0003" && $5 == "GRU" { n++ } END { print n }' "$T/pman.tsv" > "$T/pp3.n"
get pp_rec auto -H "Authorization: Bearer $PJ" "$U/individuals?requestedGranularity=record&datasetIds=DS-0001&limit=1000" >/dev/null
expect "passport (trusted while serving): record level on the visa's dataset DS-0001 ($(cat "$T/pp1.n") people)" \
  '[ "$(j pp_rec "d.meta.returnedGranularity+\" \"+d.responseSummary.numTotalResults+\" \"+d.response.resultSets[0].results.length")" = "record $(cat "$T/pp1.n") $(cat "$T/pp1.n")" ]'
get pp_cnt auto -H "Authorization: Bearer $PJ" "$U/individuals?requestedGranularity=record&datasetIds=DS-0003" >/dev/null
expect "passport: an expired visa's dataset DS-0003 only at count (registered access)" \
  '[ "$(j pp_cnt "d.meta.returnedGranularity+\" \"+d.responseSummary.numTotalResults")" = "count $(cat "$T/pp3.n")" ]'
expect "passport: a changed signature is refused with 401" \
  '[ "$(get pp_bad beaconErrorResponse.json -H "Authorization: Bearer ${PJ%????}AAAA" "$U/individuals")" = 401 ] && grep -q "bad signature" "$T/r/pp_bad.json"'
kill "$SRV"; wait "$SRV" 2>/dev/null; SRV=""
expect "passport accesses and refusals are audited" \
  '"$GN" audit show "$M" --user passport:user-0001 | grep -q "\"outcome\":\"allowed\"" && "$GN" audit show "$M" | grep -q "\"action\":\"auth.passport\",\"outcome\":\"denied\""'

# --- schema validation of every response saved above
validate_json tests/cli/beacon-validate.js "$SCHEMAS" "responses validate against the Beacon v2.1.1 schemas" 51
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
