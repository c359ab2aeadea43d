# Shared helpers of the CLI test scripts (sourced; they set GN, T and EUR first).

# The counters and checks every script reports with (a script may redefine ok and ko after
# sourcing, e.g. to prefix a mode); the script ends with: echo "$pass passed, $fail failed".
pass=0; fail=0
ok() { echo "ok   $1"; pass=$((pass+1)); }
ko() { echo "FAIL $1"; fail=$((fail+1)); }
expect() { if eval "$2"; then ok "$1"; else ko "$1"; fi; }

# manifest503 OUT: the synthetic manifest of the 503-sample panel: made-up CPR numbers,
# sex alternating, DS1/DS2 (every 5th), consent clinical (every 10th), HMB,NPU (every 7th)
# or GRU. Also writes $T/samples.txt (the panel's sample IDs).
manifest503() {
  bcftools query -l "$EUR" > "$T/samples.txt"
  awk 'BEGIN { OFS = "\t"; print "national_id", "sample_id", "sex", "dataset", "consent", "year_of_birth" }
       { i = NR; d = 1 + i % 28; m = 1 + int(i / 28) % 12
         c = (i % 10 == 0) ? "clinical" : (i % 7 == 0) ? "HMB,NPU" : "GRU"
         ds = (i % 5 == 0) ? "DS2" : "DS1"
         printf "%02d%02d85-%04d\t%s\t%s\t%s\t%s\t1985\n", d, m, 1000 + i, $1, (i % 2 ? "female" : "male"), ds, c }' \
      "$T/samples.txt" > "$1"
}

# start_server DIR: starts `genomenode serve DIR` on a free 127.0.0.1 port; sets SRV (pid)
# and P (port, empty when it did not start within 10 s).
start_server() {
  : > "$T/out" # emptied first: the background redirection may come after the first grep
  "$GN" serve "$1" --listen 127.0.0.1:0 > "$T/out" 2> "$T/err" &
  SRV=$!
  for _ in $(seq 100); do grep -q listening "$T/out" && break; sleep 0.1; done
  P=$(grep -o ':[0-9]*$' "$T/out" | tr -d :)
}

# validate_json VALIDATOR SCHEMAS WHAT MIN: validates every "schema document" pair listed in
# $T/validate.txt with VALIDATOR (node + ajv 8, installed from npm once into build/npm or
# $GN_NPM_DIR), and expects no failure and at least MIN documents. Uses expect/ko.
validate_json() {
  local npm=${GN_NPM_DIR:-build/npm} min=$4
  if [ ! -d "$npm/node_modules/ajv" ]; then
    mkdir -p "$npm" && (cd "$npm" && npm install --no-audit --no-fund --silent ajv@8 >/dev/null 2>&1)
  fi
  if [ ! -d "$npm/node_modules/ajv" ]; then
    ko "cannot install the JSON-schema validator (npm install ajv@8 into $npm)"
    return
  fi
  NODE_PATH="$npm/node_modules" node "$1" "$2" "$T/validate.txt" > "$T/valid.log"
  nv=$(grep -c '^ok' "$T/valid.log"); nf=$(grep -c '^FAIL' "$T/valid.log")
  grep '^FAIL' "$T/valid.log" | head -5
  expect "all $nv $3 ($nf fail)" '[ "$nf" = 0 ] && [ "$nv" -ge '"$min"' ]'
}

# import_panel_phenopackets N: the 11 real phenopackets of testdata/phenopackets become 11
# consented DS1 GRU samples of node N (one person each; manifest $T/man.tsv from
# manifest503). Writes $T/map.tsv (SAMPLE<TAB>PHENOPACKET, for pheno-ref.js) and $T/imp
# (the import's output), and checks the import.
import_panel_phenopackets() {
  awk 'NR > 1 && $4 == "DS1" && $5 == "GRU" { print $2 }' "$T/man.tsv" | head -11 > "$T/chosen.txt"
  ls testdata/phenopackets/*/*.json | paste "$T/chosen.txt" - > "$T/map.tsv"
  mkdir -p "$T/pp"
  local s f
  while IFS=$'\t' read -r s f; do
    jq --arg s "$s" '.subject.id = $s' "$f" > "$T/pp/$s.json"
  done < "$T/map.tsv"
  "$GN" phenopacket import "$1" "$T/pp" > "$T/imp" 2> "$T/imp.err"
  expect "11 real phenopackets imported for 11 panel samples" '[ $? = 0 ] && [ "$(wc -l < "$T/imp")" = 11 ]'
}

# bref VCF: CHROM POS REF ALT AC AN per ALT allele, from bcftools (the reference of freq).
bref() { bcftools norm -m- "$1" 2>/dev/null | bcftools +fill-tags -- -t AC,AN 2>/dev/null |
         bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\t%AC\t%AN\n'; }

# hpo_index: the HPO index of data/hpo built into $T/hpo.gnhpo and exported as
# GENOMENODE_HPO_INDEX (checked with expect).
hpo_index() {
  "$GN" hpo build --out "$T/hpo.gnhpo" > /dev/null 2>&1
  export GENOMENODE_HPO_INDEX="$T/hpo.gnhpo"
  expect "HPO index built" '[ -s "$T/hpo.gnhpo" ]'
}

# panel_node N: node N (GRCh37) with datasets DS1 and DS2 (GRU) and the 503-sample panel
# ingested with the manifest $T/man.tsv (manifest503).
panel_node() {
  manifest503 "$T/man.tsv"
  "$GN" init "$1" --build GRCh37 >/dev/null
  "$GN" dataset add "$1" DS1 --terms GRU >/dev/null
  "$GN" dataset add "$1" DS2 --terms GRU >/dev/null
  "$GN" ingest "$1" --batch a --manifest "$T/man.tsv" --quiet "$EUR" >/dev/null
}

# b64url: stdin in unpadded base64url. mint_jwt KEY_PEM KID TYP PAYLOAD_JSON: an RS256 JWS
# signed with KEY_PEM (testdata/passport's *TESTONLY* keys: tokens for tests only).
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
mint_jwt() {
  local h p
  h=$(printf '{"alg":"RS256","typ":"%s","kid":"%s"}' "$3" "$2" | b64url)
  p=$(printf '%s' "$4" | b64url)
  printf '%s.%s.%s\n' "$h" "$p" "$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -sign "$1" -binary | b64url)"
}
# mint_passport SUB [VISAS [EXTRA_CLAIMS]]: a Passport signed by the testdata broker, valid
# for an hour; VISAS: names in testdata/passport/visas.json, comma-separated (none when
# empty); EXTRA_CLAIMS: JSON members to add (e.g. '"aud":"x"').
mint_passport() {
  local now visas="" v; now=$(date +%s)
  for v in $(echo "${2:-}" | tr , ' '); do
    visas="$visas${visas:+,}\"$(jq -r --arg v "$v" '.[$v]' testdata/passport/visas.json)\""
  done
  mint_jwt testdata/passport/broker-private-TESTONLY.pem broker-key-1 vnd.ga4gh.passport+jwt \
    "{\"iss\":\"http://127.0.0.1:8089/broker/\",\"sub\":\"$1\",\"iat\":$((now - 10)),\"exp\":$((now + 3600)),\"ga4gh_passport_v1\":[$visas]${3:+,$3}}"
}
