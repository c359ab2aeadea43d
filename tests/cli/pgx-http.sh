#!/bin/bash
# GET /pgx/{id} on the real server (127.0.0.1, a free port): the clinician's report equals
# the CLI's for the same patient (JSON, HTML, TSV, one drug), the denials, and the audit.
# Usage: tests/cli/pgx-http.sh BUILD_DIR   (ends with "N passed, M failed")
set -u
B=${1:-build/asan}
GN="$B/genomenode"
D=testdata/pgx
T=$(mktemp -d /tmp/gn-pgxhttp-XXXXXX)
SRV=""
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
. tests/cli/lib.sh

# Two people: Sample_2 (PharmCAT's example 2) and the same genotypes under another name.
N="$T/node"
"$GN" init "$N" --build GRCh38 >/dev/null
"$GN" dataset add "$N" DS1 --terms GRU >/dev/null
printf 'national_id\tsample_id\tsex\tdataset\tconsent\tyear_of_birth\n010185-1001\tSample_2\tfemale\tDS1\tclinical\t1985\n' > "$T/m1.tsv"
printf 'national_id\tsample_id\tsex\tdataset\tconsent\tyear_of_birth\n020185-1002\tOther\tmale\tDS1\tGRU\t1985\n' > "$T/m2.tsv"
sed 's/\tSample_2$/\tOther/' "$D/pharmcat.example2.vcf" > "$T/other.vcf"
"$GN" ingest "$N" --batch a --quiet --manifest "$T/m1.tsv" "$D/pharmcat.example2.vcf" >/dev/null &&
  "$GN" ingest "$N" --batch b --quiet --manifest "$T/m2.tsv" "$T/other.vcf" >/dev/null || ko "setup: ingest"
"$GN" user add "$N" dora --role clinician >/dev/null
"$GN" user add "$N" rex --role researcher >/dev/null
TD=$("$GN" token create "$N" --user dora)
TR=$("$GN" token create "$N" --user rex)

# The CLI's answers for the clinician's patient.
cli() { "$GN" pgx "$N" --sample Sample_2 --token "$TD" --patient 010185-1001 "$@"; }
cli > "$T/cli.json" 2>"$T/e" || ko "CLI clinician report: $(cat "$T/e")"
cli --format html > "$T/cli.html" && cli --format tsv > "$T/cli.tsv" && cli --drug clopidogrel > "$T/cli.clop.json" || ko "CLI reports"

start_server "$N"
U="http://127.0.0.1:$P"
expect "server starts" '[ -n "$P" ]'
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
get() { code -H "Authorization: Bearer $TD" "$U/pgx/$1"; }

expect "JSON over HTTP: 200, identical to the CLI's" '[ "$(get Sample_2)" = 200 ] && cmp -s "$T/body" "$T/cli.json"'
expect "JSON content type" '[ "$(curl -s -o /dev/null -w "%{content_type}" -H "Authorization: Bearer $TD" "$U/pgx/Sample_2")" = application/json ]'
expect "HTML over HTTP: identical to the CLI's" '[ "$(get "Sample_2?format=html")" = 200 ] && cmp -s "$T/body" "$T/cli.html"'
expect "TSV over HTTP: identical to the CLI's" '[ "$(get "Sample_2?format=tsv")" = 200 ] && cmp -s "$T/body" "$T/cli.tsv"'
expect "one drug: identical to the CLI's --drug" '[ "$(get "Sample_2?drug=clopidogrel&format=json")" = 200 ] && cmp -s "$T/body" "$T/cli.clop.json"'
expect "the report has the genes and the drug" 'grep -q "\"gene\": \"CYP2C19\"" "$T/body" && grep -q "\"drug\": \"clopidogrel\"" "$T/body"'
expect "a drug name percent-encoded, + as a space" '[ "$(get "Sample_2?drug=Clopidogrel")" = 200 ] && [ "$(get "Sample_2?drug=peginterferon+alfa-2a")" != 500 ]'
expect "by national ID: the person's sample" '[ "$(get 010185-1001)" = 200 ] && diff <(grep -v "\"sample\"" "$T/body") <(grep -v "\"sample\"" "$T/cli.json") >/dev/null'

# Denials, each a JSON error object.
err() { # label status args...
  local label=$1 want=$2; shift 2
  local got; got=$(code "$@")
  if [ "$got" = "$want" ] && grep -q "\"errorCode\":$want" "$T/body"; then ok "$label"; else ko "$label: $got $(cat "$T/body")"; fi
}
err "no token: 401" 401 "$U/pgx/Sample_2"
err "a refused token: 401" 401 -H "Authorization: Bearer gnt_nope" "$U/pgx/Sample_2"
err "not a clinician: 403" 403 -H "Authorization: Bearer $TR" "$U/pgx/Sample_2"
err "unknown sample, clinician: 404" 404 -H "Authorization: Bearer $TD" "$U/pgx/NOSUCH"
err "unknown sample, not a clinician: 403 (existence not revealed)" 403 -H "Authorization: Bearer $TR" "$U/pgx/NOSUCH"
err "unknown drug: 400" 400 -H "Authorization: Bearer $TD" "$U/pgx/Sample_2?drug=aspirinx"
err "bad format: 400" 400 -H "Authorization: Bearer $TD" "$U/pgx/Sample_2?format=xml"
err "unknown parameter: 400" 400 -H "Authorization: Bearer $TD" "$U/pgx/Sample_2?dose=1"
err "bad escape: 400" 400 -H "Authorization: Bearer $TD" "$U/pgx/Sample_%zz"
err "no id: 400" 400 -H "Authorization: Bearer $TD" "$U/pgx/"
err "POST: 405" 405 -X POST -H "Authorization: Bearer $TD" "$U/pgx/Sample_2"
# Text that is not UTF-8, and long non-ASCII text quoted in a message, are answered (before:
# 503 "out of memory", the message could not be made JSON).
err "an id that is not UTF-8 (%FF): 400" 400 -H "Authorization: Bearer $TD" "$U/pgx/%FF"
err "a drug that is not UTF-8: 400" 400 -H "Authorization: Bearer $TD" "$U/pgx/Sample_2?drug=%C3%28"
EACUTE=$(printf '%%C3%%A9%.0s' $(seq 40))
err "an unknown id of 40 non-ASCII characters: 404, quoted whole characters only" 404 -H "Authorization: Bearer $TD" "$U/pgx/a$EACUTE"
expect "... and the message is UTF-8 and ends its quote with \"...\"" 'iconv -f UTF-8 -t UTF-8 "$T/body" >/dev/null && grep -q "\.\.\.. in the store" "$T/body"'

# The audit: allowed reads name the patient's pseudonym; the denial is on record too.
kill "$SRV"; wait "$SRV" 2>/dev/null; SRV=""
"$GN" audit show "$N" --person 010185-1001 > "$T/audit"
expect "HTTP reads audited under the patient's pseudonym, actor dora" \
  '[ "$(grep "\"action\":\"pgx\",\"outcome\":\"allowed\"" "$T/audit" | grep -c "dora")" -ge 6 ]'
expect "the audit entry counts the records read" 'grep "pgx report over HTTP" "$T/audit" | grep -q "\"records\":[1-9]"'
"$GN" audit show "$N" > "$T/audit.all"
expect "the researcher's attempt is audited as a denial" 'grep "rex" "$T/audit.all" | grep -q "\"outcome\":\"denied\""'
expect "no national ID in the audit log" '! grep -q "010185-1001" "$T/audit.all"'

# A report that fails after policy allowed it is still audited: on a GRCh37 store the
# definitions (GRCh38) cannot be read, 500, and the allowed access is on record all the same.
G="$T/g37"
"$GN" init "$G" --build GRCh37 >/dev/null
"$GN" dataset add "$G" DS1 --terms GRU >/dev/null
printf 'national_id\tsample_id\tsex\tdataset\tconsent\tyear_of_birth\n030185-1003\tHG00096\tmale\tDS1\tclinical\t1985\n' > "$T/m3.tsv"
bcftools view -s HG00096 -Oz -o "$T/hg96.vcf.gz" testdata/1kgp_EUR503_chr20_1-4Mb_GRCh37.vcf.gz 2>/dev/null
"$GN" ingest "$G" --batch a --quiet --manifest "$T/m3.tsv" "$T/hg96.vcf.gz" >/dev/null || ko "setup: GRCh37 ingest"
"$GN" user add "$G" cleo --role clinician >/dev/null
TC=$("$GN" token create "$G" --user cleo)
start_server "$G"
U="http://127.0.0.1:$P"
st=$(code -H "Authorization: Bearer $TC" "$U/pgx/HG00096?drug=clopidogrel")
kill "$SRV"; wait "$SRV" 2>/dev/null; SRV=""
expect "GRCh37 store: the report fails ($st)" '[ "$st" = 500 ]'
expect "... and the allowed access is audited all the same (actor cleo, the patient's pseudonym)" \
  '"$GN" audit show "$G" --person 030185-1003 | grep "\"actor\":\"cleo\"" | grep -q "\"action\":\"pgx\",\"outcome\":\"allowed\""'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
