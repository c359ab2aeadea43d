#!/bin/bash
# Phenopackets and Matchmaker Exchange between two real nodes on loopback (docs/mme.md):
# real phenopackets (testdata/phenopackets) imported into node A and node B, each node
# registered as the other's peer, searches in both directions, consent and the per-dataset
# flag honoured, every request and response validated against the MME schema
# (testdata/mme/api.json, ajv from npm, cached in build/npm), errors, audit.
# Usage: tests/cli/mme.sh BUILD_DIR   (ends with "N passed, M failed")
set -u
B=${1:-build/asan}
GN="$B/genomenode"
T=$(mktemp -d /tmp/gn-mme-XXXXXX)
SA=""; SB=""
cleanup() { for s in $SA $SB; do kill "$s" 2>/dev/null; wait "$s" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
. tests/cli/lib.sh
PP=testdata/phenopackets
CT="application/vnd.ga4gh.matchmaker.v1.0+json"
: > "$T/validate.txt"

"$GN" hpo build --out "$T/hpo.gnhpo" > /dev/null 2>&1
export GENOMENODE_HPO_INDEX="$T/hpo.gnhpo"
expect "HPO index built" '[ -s "$T/hpo.gnhpo" ]'

# manifest SUBJECT... : the ingest-format sheet, one made-up CPR number per subject
manifest() { # OUT DATASET BASE SUBJECT...
  local out=$1 ds=$2 base=$3; shift 3
  printf 'national_id\tsample_id\tsex\tdataset\tconsent\n' > "$out"
  local i=0
  for s in "$@"; do i=$((i+1)); printf '0101%02d-%04d\t%s\tunknown\t%s\tclinical\n' $((80+i)) $((base+i)) "$s" "$ds" >> "$out"; done
}
mknode() { # DIR DATASET...
  "$GN" init "$1" --build GRCh38 > /dev/null
  shift_dir=$1; shift
  for d in "$@"; do "$GN" dataset add "$shift_dir" "$d" --terms GRU > /dev/null; done
}
mknode "$T/a" DSA
mknode "$T/b" DSB DSX
"$GN" dataset matchmaking "$T/a" DSA on > /dev/null
"$GN" dataset matchmaking "$T/b" DSB on > /dev/null
manifest "$T/ma.tsv" DSA 1000 "Patient 1" "Patient 2" "Patient 3" "Patient B13"
manifest "$T/mb.tsv" DSB 2000 "Patient 4" "Patient 5" "Patient 6" "Patient B32" "Patient B55"
manifest "$T/mw.tsv" DSB 3000 "Patient 1"
manifest "$T/mx.tsv" DSX 4000 "Patient 2"

# ---- import ----
"$GN" phenopacket import "$T/a" "$PP/a" --manifest "$T/ma.tsv" > "$T/ia" 2> "$T/ia.err"
expect "import: 4 real phenopackets into node A" '[ $? = 0 ] && [ "$(wc -l < "$T/ia")" = 4 ]'
"$GN" phenopacket import "$T/b" "$PP/b" --manifest "$T/mb.tsv" > "$T/ib" 2> "$T/ib.err"
expect "import: 5 real phenopackets into node B" '[ $? = 0 ] && [ "$(wc -l < "$T/ib")" = 5 ]'
"$GN" phenopacket import "$T/b" "$PP/b-withheld/PMID_24029078_Patient_1.json" --manifest "$T/mw.tsv" > "$T/iw" 2>&1
"$GN" phenopacket import "$T/b" "$PP/b-withheld/PMID_24029078_Patient_2.json" --manifest "$T/mx.tsv" > "$T/ix" 2>&1
expect "import: the withheld patients too" '[ "$(cut -f2 "$T/iw" "$T/ix" | grep -c ^gn)" = 2 ]'
WP=$(cut -f2 "$T/iw"); XP=$(cut -f2 "$T/ix")
"$GN" consent withdraw "$T/b" --person 010181-3001 > /dev/null
expect "no national ID or subject id in the catalog" \
  '! grep -a -q -e "0101811001" -e "010181-1001" -e "Patient 1" "$T/a/catalog.db" "$T/a/catalog.db-wal" 2>/dev/null'
expect "phenotype rows stored (observed and excluded)" \
  '[ "$(sqlite3 "$T/a/catalog.db" "select count(*) from phenotypes where excluded=1")" -gt 5 ] && [ "$(sqlite3 "$T/a/catalog.db" "select count(*) from phenotypes where excluded=0")" -gt 20 ]'
expect "diagnoses and genes stored" \
  '[ "$(sqlite3 "$T/a/catalog.db" "select count(*) from diagnoses where disease=\"OMIM:614959\"")" = 3 ] && [ "$(sqlite3 "$T/a/catalog.db" "select count(distinct gene) from pheno_variants")" = 2 ]'
expect "catalog schema version 9" '[ "$(sqlite3 "$T/a/catalog.db" "select max(version) from schema_version")" = 9 ]'

# bad input
printf '{"id": "x", "subject": {"id": "Patient 1"}, "phenotypicFeatures": [' > "$T/trunc.json"
"$GN" phenopacket import "$T/a" "$T/trunc.json" --manifest "$T/ma.tsv" > /dev/null 2> "$T/e1"
expect "malformed JSON: exit 1, line and column named" '[ $? = 1 ] && grep -q "not JSON: line 1" "$T/e1"'
jq '.phenotypicFeatures[0].type.id = "HP:12"' "$PP/a/PMID_23086397_Patient_1.json" > "$T/badid.json"
"$GN" phenopacket import "$T/a" "$T/badid.json" --manifest "$T/ma.tsv" > /dev/null 2> "$T/e2"
expect "malformed HPO id: error naming the field" '[ $? = 1 ] && grep -q "phenotypicFeatures\[0\].type.id: .HP:12. is not an HPO id" "$T/e2"'
jq '.phenotypicFeatures[0].type.id = "HP:9999999"' "$PP/a/PMID_23086397_Patient_1.json" > "$T/unk.json"
"$GN" phenopacket import "$T/a" "$T/unk.json" --manifest "$T/ma.tsv" > /dev/null 2> "$T/e3"
expect "unknown HPO id: imported with a warning" '[ $? = 0 ] && grep -q "warning: .*HP:9999999 unknown to HPO" "$T/e3"'
"$GN" phenopacket import "$T/a" "$PP/a/PMID_23086397_Patient_1.json" --manifest "$T/ma.tsv" > /dev/null 2>&1
jq 'del(.metaData)' "$PP/a/PMID_23086397_Patient_1.json" > "$T/nometa.json"
"$GN" phenopacket import "$T/a" "$T/nometa.json" > /dev/null 2> "$T/e4"
expect "not a v2 phenopacket: error" '[ $? = 1 ] && grep -q "metaData missing" "$T/e4"'
# as published: schema version "2", a deletion spelled out in 2,000 bases; version 1 is not v2
jq '.metaData.phenopacketSchemaVersion = "2" | .interpretations[0].diagnosis.genomicInterpretations[0].variantInterpretation.variationDescriptor.vcfRecord.ref = ("A" * 2000)' \
  "$PP/a/PMID_23086397_Patient_1.json" > "$T/v2long.json"
"$GN" phenopacket import "$T/a" "$T/v2long.json" --manifest "$T/ma.tsv" > /dev/null 2> "$T/e7"
expect "schema version \"2\" and a 2,000-base allele: imported" '[ $? = 0 ]'
jq '.metaData.phenopacketSchemaVersion = "1.0"' "$PP/a/PMID_23086397_Patient_1.json" > "$T/v1.json"
"$GN" phenopacket import "$T/a" "$T/v1.json" --manifest "$T/ma.tsv" > /dev/null 2> "$T/e8"
expect "schema version 1.0: error naming it" '[ $? = 1 ] && grep -q "phenopacketSchemaVersion: .1.0., not 2" "$T/e8"'
"$GN" phenopacket import "$T/a" "$PP/a/PMID_23086397_Patient_1.json" --manifest "$T/ma.tsv" > /dev/null 2>&1
jq '.subject.id = "nobody"' "$PP/a/PMID_23086397_Patient_1.json" > "$T/unknown-subject.json"
"$GN" phenopacket import "$T/a" "$T/unknown-subject.json" > /dev/null 2> "$T/e5"
expect "unknown subject: error that does not quote it" '[ $? = 1 ] && grep -q "neither a sample" "$T/e5" && ! grep -q nobody "$T/e5"'

# export: a valid phenopacket again, re-importable
AP1=$(grep Patient_1 "$T/ia" | cut -f2)
"$GN" phenopacket export "$T/a" --pseudonym "$AP1" > "$T/exp.json" 2> "$T/exp.err"
expect "export: phenopacket v2 named by pseudonym, terms and diagnosis kept" \
  '[ "$(jq -r .metaData.phenopacketSchemaVersion "$T/exp.json")" = 2.0 ] && [ "$(jq -r .subject.id "$T/exp.json")" = "$AP1" ] && [ "$(jq "[.phenotypicFeatures[]|select(.excluded)]|length" "$T/exp.json")" = 5 ] && [ "$(jq -r ".interpretations[0].diagnosis.disease.id" "$T/exp.json")" = OMIM:614959 ] && [ "$(jq -r ".interpretations[0].diagnosis.genomicInterpretations[0].variantInterpretation.variationDescriptor.geneContext.symbol" "$T/exp.json")" = KCNT1 ]'
expect "export: the disease's onset (P1M) and the age at the last encounter (P10Y) kept" \
  '[ "$(jq -r ".diseases[0].onset.age.iso8601duration" "$T/exp.json")" = P1M ] && [ "$(jq -r ".subject.timeAtLastEncounter.age.iso8601duration" "$T/exp.json")" = P10Y ] &&
   [ "$(jq -c "[.phenotypicFeatures[] | .onset // empty]" "$T/exp.json")" = "$(jq -c "[.phenotypicFeatures[] | .onset // empty]" "$PP/a/PMID_23086397_Patient_1.json")" ]'
"$GN" phenopacket import "$T/a" "$T/exp.json" > "$T/reimp" 2> /dev/null
expect "export: re-imported (subject = the pseudonym) unchanged" '[ "$(cut -f3 "$T/reimp")" = "$(grep Patient_1 "$T/ia" | cut -f3)" ]'
"$GN" phenopacket export "$T/a" --out "$T/expdir" 2> /dev/null
expect "export --out: one file per person" '[ "$(ls "$T/expdir" | wc -l)" = 4 ]'
# valid against the phenopacket schema itself: protobuf's JSON parser on the messages compiled
# from testdata/phenopacket-schema, plus the documented required fields and resources
# (tests/cli/phenopacket-validate.py); the real input files pass the same check
mkdir -p "$T/pb"
if protoc -I testdata/phenopacket-schema -I /usr/include --python_out="$T/pb" \
     $(cd testdata/phenopacket-schema && find phenopackets -name '*.proto') 2> "$T/protoc.err"; then
  /usr/bin/python3 tests/cli/phenopacket-validate.py "$T/pb" "$T/exp.json" "$T/expdir"/*.json > "$T/ppv" 2>&1
  expect "export: every exported phenopacket ($(ls "$T/expdir" | wc -l) + 1) is valid against the Phenopacket v2 schema" \
    '[ $? = 0 ] && [ "$(grep -c "^ok" "$T/ppv")" = 5 ]' || cat "$T/ppv"
  /usr/bin/python3 tests/cli/phenopacket-validate.py "$T/pb" "$PP"/*/*.json > "$T/ppv_in" 2>&1
  expect "the validator accepts the 11 real phenopackets of testdata" '[ $? = 0 ] && [ "$(grep -c "^ok" "$T/ppv_in")" = 11 ]'
  jq '.phenotypicFeatures[0].type.idd = "HP:0001250"' "$T/exp.json" > "$T/v1.json"
  jq '.metaData.resources = [.metaData.resources[] | select(.namespacePrefix != "HP")]' "$T/exp.json" > "$T/v2.json"
  jq '.phenotypicFeatures[0].excluded = "yes"' "$T/exp.json" > "$T/v3.json"
  /usr/bin/python3 tests/cli/phenopacket-validate.py "$T/pb" "$T/v1.json" "$T/v2.json" "$T/v3.json" > "$T/ppv_bad" 2>&1
  expect "the validator rejects an unknown field, a missing resource and a wrong type" \
    '[ "$(grep -c "^FAIL" "$T/ppv_bad")" = 3 ] && grep -q "no metaData resource for prefix HP" "$T/ppv_bad"'
  # a disease namespace of any length gets its resource (a 70-byte prefix had none)
  LP=$(printf 'X%.0s' $(seq 70))
  jq --arg d "$LP:1" '.diseases = [{"term": {"id": $d, "label": "x"}}]' "$T/exp.json" > "$T/long.json"
  "$GN" phenopacket import "$T/a" "$T/long.json" > /dev/null 2>&1
  "$GN" phenopacket export "$T/a" --pseudonym "$(jq -r .subject.id "$T/exp.json")" > "$T/long-exp.json" 2> /dev/null
  /usr/bin/python3 tests/cli/phenopacket-validate.py "$T/pb" "$T/long-exp.json" > "$T/ppv_long" 2>&1
  expect "export: a 70-byte disease prefix has its resource and validates" \
    '[ $? = 0 ] && grep -q "^ok" "$T/ppv_long" && jq -e --arg p "$LP" "[.metaData.resources[] | select(.namespacePrefix == \$p)] | length == 1" "$T/long-exp.json" > /dev/null'
  "$GN" phenopacket import "$T/a" "$T/exp.json" > /dev/null 2>&1
else
  ko "protoc cannot compile the phenopacket schema: $(head -c 300 "$T/protoc.err")"
fi

# ---- users, tokens, servers ----
tok() { "$GN" token create "$1" --user "$2" | grep -o 'gnt_[0-9a-f]*'; }
"$GN" user add "$T/a" peer-b --role peer-node > /dev/null
"$GN" user add "$T/b" peer-a --role peer-node > /dev/null
"$GN" user add "$T/b" bob --role researcher > /dev/null
tok "$T/a" peer-b > "$T/tok_b_at_a"   # what B sends to A
tok "$T/b" peer-a > "$T/tok_a_at_b"   # what A sends to B
RT=$(tok "$T/b" bob)
start() { "$GN" serve "$1" --listen 127.0.0.1:0 > "$T/out.$2" 2> "$T/err.$2" & eval "S$2=$!"
  for _ in $(seq 150); do grep -q listening "$T/out.$2" && break; sleep 0.1; done
  eval "P$2=$(grep -o ':[0-9]*$' "$T/out.$2" | tr -d :)"; }
start "$T/a" A; start "$T/b" B
expect "two servers on loopback" '[ -n "$PA" ] && [ -n "$PB" ]'
"$GN" mme peer add "$T/a" nodeB "http://127.0.0.1:$PB" --token-file "$T/tok_a_at_b" > /dev/null
"$GN" mme peer add "$T/b" nodeA "http://127.0.0.1:$PA" --token-file "$T/tok_b_at_a" > /dev/null
"$GN" mme peer add "$T/a" deadpeer "http://127.0.0.1:9" --token-file "$T/tok_a_at_b" > /dev/null
expect "peers file is private (0600)" '[ "$(stat -c %a "$T/a/mme_peers")" = 600 ]'

post() { # PORT TOKEN FILE -> status; body in $T/r
  curl -s -o "$T/r" -w '%{http_code}' -X POST -H "X-Auth-Token: $2" -H "Content-Type: $CT" -H "Accept: $CT" --data-binary @"$3" "http://127.0.0.1:$1/match"; }
# the MME request a node sends for its patient, checked against the schema
jq -c '{patient: {id: "q1", contact: {name: "Dr Test", href: "mailto:test@example.org"},
        features: [.phenotypicFeatures[] | {id: .type.id, observed: (if .excluded then "no" else "yes" end)}],
        genomicFeatures: [{gene: {id: "KCNT1"}}]}}' "$PP/a/PMID_23086397_Patient_1.json" > "$T/req1.json"
echo "request $T/req1.json" >> "$T/validate.txt"
expect "POST /match from A's peer token: 200" '[ "$(post "$PB" "$(cat "$T/tok_a_at_b")" "$T/req1.json")" = 200 ]'
cp "$T/r" "$T/resp1.json"; echo "response $T/resp1.json" >> "$T/validate.txt"
expect "B returns its 3 consented KCNT1 patients, scores in (0.5, 1]" \
  '[ "$(jq "[.results[] | select(.patient.genomicFeatures[0].gene.id == \"KCNT1\")] | length" "$T/resp1.json")" = 3 ] && jq -e "all(.results[]; .score.patient > 0.5 and .score.patient <= 1)" "$T/resp1.json" > /dev/null'
expect "B never returns the withdrawn or non-matchmaking patient" '! grep -q -e "$WP" -e "$XP" "$T/resp1.json"'
expect "results best first" 'jq -e "[.results[].score.patient] as \$s | \$s == (\$s | sort | reverse)" "$T/resp1.json" > /dev/null'
jq -c '.patient.genomicFeatures = []' "$T/req1.json" > "$T/req2.json"; echo "request $T/req2.json" >> "$T/validate.txt"
post "$PB" "$(cat "$T/tok_a_at_b")" "$T/req2.json" > /dev/null; cp "$T/r" "$T/resp2.json"; echo "response $T/resp2.json" >> "$T/validate.txt"
expect "phenotype only: the KCNT1 patients still rank above the Marfan ones" \
  '[ "$(jq -r "[.results[].patient.disorders[0].id][0]" "$T/resp2.json")" = MIM:614959 ]'
jq -c '{patient: {id: "q3", contact: {name: "x", href: "mailto:x@example.org"}, genomicFeatures: [{gene: {id: "FBN1"}}]}}' -n > "$T/req3.json"
echo "request $T/req3.json" >> "$T/validate.txt"
post "$PB" "$(cat "$T/tok_a_at_b")" "$T/req3.json" > /dev/null; cp "$T/r" "$T/resp3.json"; echo "response $T/resp3.json" >> "$T/validate.txt"
expect "gene only: the 2 FBN1 patients, score 1" '[ "$(jq "[.results[] | select(.score.patient == 1)] | length" "$T/resp3.json")" = 2 ]'
expect "results give the age of onset as HPO onset terms (the disease's, and each observed feature's with one)" \
  '[ "$(jq "[.results[].patient | select(.ageOfOnset)] | length" "$T/resp1.json")" -ge 1 ] && jq -e "[.results[].patient | .ageOfOnset // empty, (.features[]? | .ageOfOnset // empty)] | length > 0 and all(test(\"^HP:[0-9]{7}$\"))" "$T/resp1.json" > /dev/null'
jq -c '.patient.ageOfOnset = "HP:0003593" | .patient.features[0].ageOfOnset = "HP:0003577"' "$T/req1.json" > "$T/req4.json"
echo "request $T/req4.json" >> "$T/validate.txt"
expect "a request with ageOfOnset (patient and feature): 200" '[ "$(post "$PB" "$(cat "$T/tok_a_at_b")" "$T/req4.json")" = 200 ]'

# errors
expect "no X-Auth-Token: 401, with WWW-Authenticate (RFC 7235)" '[ "$(curl -s -o /dev/null -w "%{http_code}" -X POST -H "Content-Type: $CT" --data-binary @"$T/req1.json" "http://127.0.0.1:$PB/match")" = 401 ] &&
  curl -s -D - -o /dev/null -X POST -H "Content-Type: $CT" --data-binary @"$T/req1.json" "http://127.0.0.1:$PB/match" | grep -qi "^WWW-Authenticate: Bearer realm="'
expect "unknown token: 401" '[ "$(post "$PB" gnt_0000000000000000000000000000000000000000000000000000000000000000 "$T/req1.json")" = 401 ]'
expect "a researcher token: 403 (policy: peer-node only)" '[ "$(post "$PB" "$RT" "$T/req1.json")" = 403 ]'
printf '{"patient": {"id": "x", "contact": {"name": "a", "href": "b"}, "features": [{"id": "HP:1"}]}}' > "$T/bad1.json"
expect "malformed feature id: 400 naming it" '[ "$(post "$PB" "$(cat "$T/tok_a_at_b")" "$T/bad1.json")" = 400 ] && grep -q "features\[0\].id" "$T/r"'
jq -c '.patient.features[1].ageOfOnset = "infantile"' "$T/req1.json" > "$T/bad4.json"
expect "malformed feature ageOfOnset: 400 naming it" '[ "$(post "$PB" "$(cat "$T/tok_a_at_b")" "$T/bad4.json")" = 400 ] && grep -q "features\[1\].ageOfOnset" "$T/r"'
jq -c '.patient.ageOfOnset = "P6M"' "$T/req1.json" > "$T/bad5.json"
expect "malformed patient ageOfOnset: 400 naming it" '[ "$(post "$PB" "$(cat "$T/tok_a_at_b")" "$T/bad5.json")" = 400 ] && grep -q "patient.ageOfOnset" "$T/r"'
# a malformed id quoted in the message, cut at a character boundary (before: 503, the cut
# split a character and the answer could not be made JSON)
LONG="a$(printf 'é%.0s' $(seq 30))"
jq -c --arg f "$LONG" '.patient.features[0].id = $f' "$T/req1.json" > "$T/bad6.json"
expect "a feature id of 30 non-ASCII characters: 400 naming it, the answer UTF-8 JSON" \
  '[ "$(post "$PB" "$(cat "$T/tok_a_at_b")" "$T/bad6.json")" = 400 ] && jq -e ".error.errorMessage | test(\"features\\\\[0\\\\].id: .aé+\\\\.\\\\.\\\\.. is not an HPO id\")" "$T/r" > /dev/null'
jq -c --arg f "$LONG" '.patient.ageOfOnset = $f' "$T/req1.json" > "$T/bad7.json"
expect "an ageOfOnset of 30 non-ASCII characters: 400 naming it" \
  '[ "$(post "$PB" "$(cat "$T/tok_a_at_b")" "$T/bad7.json")" = 400 ] && jq -e ".error.errorMessage | test(\"patient.ageOfOnset\")" "$T/r" > /dev/null'
printf '{"patient": {"id": "x", "contact": {"name": "a", "href": "b"}}}' > "$T/bad2.json"
expect "no features nor genes: 400" '[ "$(post "$PB" "$(cat "$T/tok_a_at_b")" "$T/bad2.json")" = 400 ]'
printf '{"patient": ' > "$T/bad3.json"
expect "truncated JSON: 400" '[ "$(post "$PB" "$(cat "$T/tok_a_at_b")" "$T/bad3.json")" = 400 ]'
expect "wrong content type: 415" '[ "$(curl -s -o /dev/null -w "%{http_code}" -X POST -H "X-Auth-Token: $(cat "$T/tok_a_at_b")" -H "Content-Type: text/plain" --data-binary @"$T/req1.json" "http://127.0.0.1:$PB/match")" = 415 ]'
expect "unsupported API version: 406" '[ "$(curl -s -o /dev/null -w "%{http_code}" -X POST -H "X-Auth-Token: $(cat "$T/tok_a_at_b")" -H "Accept: application/vnd.ga4gh.matchmaker.v9.0+json" -H "Content-Type: $CT" --data-binary @"$T/req1.json" "http://127.0.0.1:$PB/match")" = 406 ]'
expect "GET /heartbeat: 200, v1.0" '[ "$(curl -s -H "X-Auth-Token: $(cat "$T/tok_a_at_b")" "http://127.0.0.1:$PB/heartbeat" | jq -r .heartbeat.version)" = 1.0 ]'
expect "response content type is the MME one" 'curl -s -D - -o /dev/null -X POST -H "X-Auth-Token: $(cat "$T/tok_a_at_b")" -H "Content-Type: $CT" --data-binary @"$T/req3.json" "http://127.0.0.1:$PB/match" | grep -qi "content-type: $CT"'

# ---- node to node, both ways, with a dead peer ----
"$GN" mme search "$T/a" --pseudonym "$AP1" --timeout 3000 > "$T/sa" 2> "$T/sa.err"
expect "A searches: exit 0 although one peer is down" '[ $? = 0 ] && grep -q "1 of 2 peer(s) answered" "$T/sa.err"'
expect "A's search: the dead peer reported, not fatal" '[ "$(jq -r "select(.peer == \"deadpeer\") | .status" "$T/sa")" = error ]'
expect "A's search: B's 3 consented KCNT1 patients found" \
  '[ "$(jq "select(.peer == \"nodeB\") | [.results[] | select(.patient.genomicFeatures[0].gene.id == \"KCNT1\")] | length" "$T/sa")" = 3 ]'
expect "A's search: local matches too (A's other 2 KCNT1 patients, not itself)" \
  '[ "$(jq "select(.peer == \"local\") | .results | length" "$T/sa")" = 2 ] && ! jq -r "select(.peer == \"local\") | .results[].patient.id" "$T/sa" | grep -q "$AP1"'
expect "A's search: on record before the record leaves, then its outcome (1 peer answered)" \
  '"$GN" audit show "$T/a" | grep "\"action\":\"mme.search\"" | tail -2 | tr -d "\n" | grep -q "\"outcome\":\"allowed\",\"records\":0,.*\"outcome\":\"done\",\"records\":1,"'
sqlite3 "$T/a/catalog.db" "CREATE TRIGGER gn_refuse BEFORE INSERT ON audit WHEN NEW.action = 'mme.search' AND NEW.outcome = 'allowed' BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
"$GN" mme search "$T/a" --pseudonym "$AP1" --timeout 3000 > "$T/sa2" 2> "$T/sa2.err"
expect "a search that cannot be recorded fails and nothing is sent or shown" \
  '[ $? = 1 ] && [ ! -s "$T/sa2" ] && ! grep -q "answered" "$T/sa2.err"'
sqlite3 "$T/a/catalog.db" "DROP TRIGGER gn_refuse"
BP4=$(grep Patient_4 "$T/ib" | cut -f2)
"$GN" mme search "$T/b" --pseudonym "$BP4" > "$T/sb" 2> "$T/sb.err"
expect "B searches A: A's 3 KCNT1 patients found, no Marfan patient" \
  '[ "$(jq "select(.peer == \"nodeA\") | [.results[] | select(.patient.disorders[0].id == \"MIM:614959\")] | length" "$T/sb")" = 3 ] && [ "$(jq "select(.peer == \"nodeA\") | [.results[] | select(.patient.disorders[0].id == \"MIM:154700\")] | length" "$T/sb")" = 0 ]'
expect "a withdrawn patient cannot be sent out" '! "$GN" mme search "$T/b" --pseudonym "$WP" > /dev/null 2> "$T/e6" && grep -q "does not allow matchmaking" "$T/e6"'
expect "heartbeat of the peers" '[ "$("$GN" mme heartbeat "$T/a" 2>/dev/null | jq -r "select(.peer == \"nodeB\") | .heartbeat.version")" = 1.0 ]'
# ---- each person's own say: Patient 4 (010181-2001) of B says no, then yes; opt-in mode ----
kcnt1() { post "$PB" "$(cat "$T/tok_a_at_b")" "$T/req1.json" > /dev/null; jq "[.results[] | select(.patient.genomicFeatures[0].gene.id == \"KCNT1\")] | length" "$T/r"; }
P4=$(grep Patient_4 "$T/ib" | cut -f2)
"$GN" consent matchmaking "$T/b" --person 010181-2001 no > /dev/null
expect "a patient who says no to matchmaking is no longer offered, at once (2 KCNT1 left)" \
  '[ "$(kcnt1)" = 2 ] && ! grep -q "$P4" "$T/r"'
expect "nor can the node search for them" '! "$GN" mme search "$T/b" --pseudonym "$P4" > /dev/null 2>&1'
"$GN" consent matchmaking "$T/b" --person 010181-2001 yes > /dev/null
expect "saying yes again brings them back (3)" '[ "$(kcnt1)" = 3 ] && grep -q "$P4" "$T/r"'
"$GN" setting "$T/b" matchmaking_consent optin > /dev/null
expect "opt-in mode: only the patient who said yes is offered" \
  '[ "$(jq ".results | length" <(post "$PB" "$(cat "$T/tok_a_at_b")" "$T/req1.json" > /dev/null; cat "$T/r"))" = 1 ] && grep -q "$P4" "$T/r"'
"$GN" setting "$T/b" matchmaking_consent optout > /dev/null
expect "back to opt-out: the 3 again" '[ "$(kcnt1)" = 3 ]'
# the profile cache: reused while the catalog stays, rebuilt once after a change, and once
# only for concurrent requests that find it stale (single flight; /metrics counts)
builds() { curl -s "http://127.0.0.1:$PB/metrics" | awk '$1 == "genomenode_mme_profile_builds_total" { print $2 }'; }
kcnt1 > /dev/null; B1=$(builds); kcnt1 > /dev/null; kcnt1 > /dev/null
expect "profile cache reused while the catalog does not change (/metrics)" '[ -n "$B1" ] && [ "$(builds)" = "$B1" ]'
"$GN" setting "$T/b" matchmaking_consent optout > /dev/null  # unchanged, but a catalog change
CP=""; for i in 1 2 3 4 5 6 7 8; do
  curl -s -o /dev/null -X POST -H "X-Auth-Token: $(cat "$T/tok_a_at_b")" -H "Content-Type: $CT" --data-binary @"$T/req1.json" "http://127.0.0.1:$PB/match" & CP="$CP $!"; done
for p in $CP; do wait "$p"; done  # not a bare wait: the servers run in the background too
expect "after a change, 8 concurrent requests build the profiles once" '[ "$(builds)" = $((B1 + 1)) ]'
expect "consent show lists the matchmaking choice; the choices are audited" \
  '"$GN" consent show "$T/b" --person 010181-2001 | tail -1 | grep -q "matchmaking	yes" &&
   [ "$("$GN" audit show "$T/b" --person 010181-2001 | grep -c "consent.matchmaking")" = 2 ]'
expect "bad choices are usage errors" \
  '! "$GN" consent matchmaking "$T/b" --person 010181-2001 maybe 2>/dev/null && ! "$GN" setting "$T/b" matchmaking_consent always 2>/dev/null'
"$GN" dataset matchmaking "$T/b" DSB off > /dev/null
post "$PB" "$(cat "$T/tok_a_at_b")" "$T/req1.json" > /dev/null
expect "matchmaking switched off for the dataset: nobody returned, at once" '[ "$(jq ".results | length" "$T/r")" = 0 ]'

# ---- audit ----
expect "every exchange audited at B (peer-a's mme.match entries)" \
  '[ "$("$GN" audit show "$T/b" --user peer-a | grep -c "\"mme.match\"")" -ge 5 ]'
expect "B's audit names the people it returned (by person)" '"$GN" audit show "$T/b" --person 010184-2004 | grep -q "mme.match"'
expect "refusals audited (researcher denied)" '"$GN" audit show "$T/b" --user bob | grep "mme.match" | grep -q denied'
expect "A's outgoing search audited" '"$GN" audit show "$T/a" | grep -q "\"mme.search\""'
expect "audit chains verify" '"$GN" audit verify "$T/a" > /dev/null && "$GN" audit verify "$T/b" > /dev/null'

# ---- schema ----
for f in "$T"/sa "$T"/sb; do jq -c 'select(.status == "ok" and .results) | {results}' "$f" | while read -r l; do
  n=$(mktemp "$T/peerresp-XXXX.json"); echo "$l" > "$n"; echo "response $n" >> "$T/validate.txt"; done; done
validate_json tests/cli/mme-validate.js testdata/mme/api.json "MME requests and responses validate against the MME schema" 9
[ -n "${KEEP:-}" ] && { echo "$T"; trap - EXIT; exit 0; }
for s in $SA $SB; do kill "$s"; wait "$s"; done; SA=""; SB=""
expect "servers stop cleanly" 'true'
echo "$pass passed, $fail failed"
