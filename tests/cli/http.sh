#!/bin/bash
# The HTTP server, really started on 127.0.0.1 (a free port), driven with curl.
# Usage: tests/cli/http.sh BUILD_DIR   (ends with "N passed, M failed")
set -u
B=${1:-build/asan}
GN="$B/genomenode"
T=$(mktemp -d /tmp/gn-http-XXXXXX)
SRV=""
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
EUR=testdata/1kgp_EUR503_chr20_1-4Mb_GRCh37.vcf.gz
. tests/cli/lib.sh

"$GN" init "$T/n" --build GRCh37 >/dev/null
"$GN" ingest "$T/n" --batch a --quiet "$EUR" >/dev/null
start_server "$T/n"
U="http://127.0.0.1:$P"
expect "server starts and reports its port" '[ -n "$P" ]'
code() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
expect "/health answers 200 with the store's samples" '[ "$(code "$U/health")" = 200 ] && grep -q "\"samples\":503" "$T/body"'
expect "unknown endpoint: 404 with a JSON error object" '[ "$(code "$U/nope")" = 404 ] && grep -q "\"errorCode\":404" "$T/body"'
expect "a refused token: 401" '[ "$(code -H "Authorization: Bearer gnt_nope" "$U/health")" = 401 ]'
expect "a malformed Authorization header: 400" '[ "$(code -H "Authorization: Basic abc" "$U/health")" = 400 ]'
expect "a body over the limit: 413" '[ "$(code -X POST --data-binary @<(head -c 2000000 /dev/zero | tr "\0" a) "$U/health")" = 413 ]'
expect "an unsupported method: 405" '[ "$(code -X DELETE "$U/health")" = 405 ]'
# status codes of refused requests: 400 for a value out of range or too many items, 414 for
# a URI too long, 413 only for a body; every 401 names the scheme to use (RFC 7235)
expect "skip over its maximum: 400 (no body to be too large)" \
  '[ "$(code "$U/api/individuals?skip=1000001")" = 400 ] && grep -q "over the maximum" "$T/body"'
expect "65 filters: 400" '[ "$(code "$U/api/individuals?filters=$(seq -s, -f "F:%g" 0 64)")" = 400 ] && grep -q "more than 64 filters" "$T/body"'
expect "65 datasetIds: 400" '[ "$(code "$U/api/individuals?datasetIds=$(seq -s, -f "D%g" 0 64)")" = 400 ]'
expect "65 query parameters: 400" '[ "$(code "$U/api/individuals?$(seq -s "&" -f "x=%g" 0 64)")" = 400 ]'
expect "a query string over 16 KiB: 414" \
  '[ "$(code "$U/api/g_variants?geneId=$(head -c 17000 /dev/zero | tr "\0" A)")" = 414 ] && grep -q "query string is longer" "$T/body"'
expect "a path over 2 KiB: 414" '[ "$(code "$U/api/individuals/$(head -c 3000 /dev/zero | tr "\0" x)")" = 414 ]'
expect "an id over 256 bytes: 414" '[ "$(code "$U/api/individuals/$(head -c 300 /dev/zero | tr "\0" x)")" = 414 ]'
www() { curl -s -D - -o /dev/null "$@" | tr -d '\r' | grep -qix 'WWW-Authenticate: Bearer realm="genomenode"'; }
expect "every 401 carries WWW-Authenticate: Bearer realm=\"genomenode\" (/health, Beacon, /pgx)" \
  'www -H "Authorization: Bearer gnt_nope" "$U/health" && www -H "Authorization: Bearer gnt_nope" "$U/api/individuals" &&
   www "$U/pgx/x" && [ "$(code -H "Authorization: Bearer gnt_nope" "$U/api/individuals")" = 401 ]'
expect "other answers carry no WWW-Authenticate" '! curl -s -D - -o /dev/null "$U/health" | grep -qi "^WWW-Authenticate"'
expect "garbage request line does not kill the server" 'printf "GARBAGE\r\n\r\n" | timeout 2 bash -c "cat > /dev/tcp/127.0.0.1/$P" ; [ "$(code "$U/health")" = 200 ]'
curl -s "$U/metrics" > "$T/metrics"
expect "/metrics: Prometheus counters by endpoint and status" \
  'grep -q "^genomenode_http_requests_total{endpoint=\"health\",code=\"200\"} [0-9]" "$T/metrics" && grep -q "^genomenode_http_requests_total{endpoint=\"other\",code=\"404\"} 1" "$T/metrics"'
expect "/metrics: latency histogram and store gauges" \
  'grep -q "^genomenode_http_request_seconds_bucket{endpoint=\"health\",le=\"+Inf\"}" "$T/metrics" && grep -q "^genomenode_store_samples 503" "$T/metrics"'
bcftools query -l "$EUR" | head -3 > "$T/three"
"$GN" withdraw "$T/n" --sample "$(head -1 "$T/three")" >/dev/null
expect "a commit while serving is seen by the next request" '[ "$(code "$U/health")" = 200 ] && grep -q "\"samples\":502" "$T/body"'
pids=""
for i in $(seq 40); do curl -s -o /dev/null "$U/health" & pids="$pids $!"; done
wait $pids
expect "40 concurrent requests all served" '[ "$(curl -s "$U/metrics" | grep "endpoint=\"health\",code=\"200\"" | grep -o "[0-9]*$")" -ge 42 ]'
kill -TERM "$SRV"; wait "$SRV"; rc=$?; SRV=""
expect "SIGTERM: clean shutdown, exit 0" '[ $rc -eq 0 ] && grep -q stopped "$T/out"'

# --- a GA4GH Passport as the bearer credential: its visas decide, never a project's grants
manifest503 "$T/man.tsv"
M="$T/m"
"$GN" init "$M" --build GRCh37 >/dev/null
"$GN" dataset add "$M" DS1 --terms GRU >/dev/null
"$GN" dataset add "$M" DS2 --terms GRU >/dev/null
"$GN" ingest "$M" --batch a --manifest "$T/man.tsv" --quiet "$EUR" >/dev/null
"$GN" trust add "$M" http://127.0.0.1:8089/broker/ testdata/passport/broker-jwks.json >/dev/null
"$GN" project add "$M" PX --purpose GRU --approval ETH-PX --expires 2099-12-31 >/dev/null
"$GN" grant "$M" --dataset DS2 --project PX --level record >/dev/null
"$GN" trust audience "$M" https://node.example.org/ >/dev/null
PE=$(mint_passport user-0009)
PA=$(mint_passport user-0009 "" '"aud":"https://other.example.org/"')
start_server "$M"
U="http://127.0.0.1:$P/api"
expect "passport without visas: verified, then nothing to see (200, no dataset open)" \
  '[ "$(code -H "Authorization: Bearer $PE" "$U/individuals?requestedGranularity=record")" = 200 ] && grep -q "no dataset on this node is open" "$T/body"'
expect "passport + X-Project of a project it is no member of: 403, audited" \
  '[ "$(code -H "Authorization: Bearer $PE" -H "X-Project: PX" "$U/individuals?requestedGranularity=record")" = 403 ] && grep -q "not a user of this node" "$T/body" && ! grep -q "\"results\"" "$T/body"'
expect "passport for another audience (aud): 401" \
  '[ "$(code -H "Authorization: Bearer $PA" "$U/individuals")" = 401 ] && grep -q "audience mismatch" "$T/body"'
kill -TERM "$SRV"; wait "$SRV"; SRV=""
expect "the passport's project refusal is in the audit log" \
  '"$GN" audit show "$M" --user passport:user-0009 | grep "\"outcome\":\"denied\"" | grep -q "not a user of this node"'

# --- TLS: a self-signed certificate made here; the same answers over HTTPS, none over HTTP
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
: > "$T/out" # not the previous server's port (the redirection below runs in the background)
"$GN" serve "$T/n" --listen 127.0.0.1:0 --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" > "$T/out" 2> "$T/err" &
SRV=$!
for _ in $(seq 100); do grep -q listening "$T/out" && break; sleep 0.1; done
P=$(grep -o ':[0-9]*$' "$T/out" | tr -d :)
expect "TLS: /health over HTTPS, certificate verified" \
  '[ "$(code --cacert "$T/cert.pem" "https://127.0.0.1:$P/health")" = 200 ] && grep -q "\"samples\":502" "$T/body"'
expect "TLS: plain HTTP to the TLS port gets no answer" '[ "$(code --max-time 3 "http://127.0.0.1:$P/health")" = 000 ]'
expect "TLS: an untrusted certificate is refused by the client" '[ "$(code "https://127.0.0.1:$P/health")" = 000 ]'
kill -TERM "$SRV"; wait "$SRV"; SRV=""

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
