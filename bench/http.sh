#!/bin/bash
# make bench-http: the Beacon server under load (wrk, loopback) on a 100,000-sample store.
#
#   HTTP_SAMPLES=100000   samples of the synthetic cohort (bench/gen_mosaic, as make bench)
#   HTTP_SECONDS=30       each load run
#   HTTP_SOAK=300         soak run: RSS sampled every 10 s must stay flat (0 skips it)
#   HTTP_CONN=32          concurrent connections
#
# Builds a node from the cohort (national ID format "opaque", one public dataset at count
# level, no query budget), starts `genomenode serve` with 2 threads, and drives it with
# point queries (GET sequence queries over 2,000 real sites of the cohort, in turn).
# Prints requests/s, p50/p99 latency, errors, and the targets (>= 10,000 req/s, p99 < 20 ms).
set -u
GN=${GN:-build/release/genomenode}
N=${HTTP_SAMPLES:-100000}
SECS=${HTTP_SECONDS:-30}
SOAK=${HTTP_SOAK:-300}
CONN=${HTTP_CONN:-32}
SHARED=${SHARED_DATA:-../shared/data}
W=build/bench/http
mkdir -p "$W"
COH=build/bench/work/synth_$N/cohort.bcf
PANEL=$SHARED/vcf/shapeit4_1kgp_EUR_chr20/1kgp_EUR503_chr20_1-4Mb_GRCh37.vcf.gz
command -v wrk >/dev/null || { echo "bench-http: wrk is not installed (apt-get install wrk)"; exit 1; }
if [ ! -s "$COH" ]; then
  [ -s "$PANEL" ] || { echo "SKIPPED: no cohort and no panel ($PANEL)"; exit 0; }
  mkdir -p "$(dirname "$COH")" build/bench
  cc -std=c11 -O2 bench/gen_mosaic.c $(pkg-config --cflags --libs htslib) -lm -o build/bench/gen_mosaic || exit 1
  echo "-- generating $N samples"
  build/bench/gen_mosaic -q -n "$N" -s 42 -x -o "$COH" "$PANEL" || exit 1
fi
S="$W/store_$N"
if [ ! -s "$S/.ready" ]; then
  rm -rf "$S"
  echo "-- building the node ($N samples)"
  "$GN" init "$S" --build GRCh37 >/dev/null
  "$GN" setting "$S" national_id_format opaque >/dev/null
  "$GN" dataset add "$S" COHORT --terms GRU >/dev/null
  bcftools query -l "$COH" | awk 'BEGIN { OFS = "\t"; print "national_id", "sample_id", "sex", "dataset", "consent" }
       { print "P" $1, $1, (NR % 2 ? "female" : "male"), "COHORT", "GRU" }' > "$W/man.tsv"
  "$GN" ingest "$S" --batch b1 --manifest "$W/man.tsv" --quiet "$COH" >/dev/null || exit 1
  "$GN" dataset access "$S" COHORT public >/dev/null
  "$GN" setting "$S" public_granularity count >/dev/null
  "$GN" setting "$S" query_budget 0 >/dev/null
  touch "$S/.ready"
fi
bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\n' "$COH" | awk -F'\t' '$4 !~ /,/ && NR % 12 == 0' | head -2000 > "$W/sites.tsv"
{ echo "local paths = {}"
  awk -F'\t' '{ printf "paths[%d] = \"/api/g_variants?referenceName=%s&start=%d&referenceBases=%s&alternateBases=%s&requestedGranularity=count\"\n", NR, $1, $2 - 1, $3, $4 }' "$W/sites.tsv"
  echo 'local i = 0'
  echo 'request = function() i = i % #paths + 1; return wrk.format("GET", paths[i]) end'
  echo 'done = function(summary, latency, requests)'
  echo '  io.write(string.format("RESULT %.1f %.3f %.3f %d %d\n", summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.requests))'
  echo 'end'; } > "$W/points.lua"

"$GN" serve "$S" --listen 127.0.0.1:0 --threads ${HTTP_THREADS:-2} > "$W/serve.out" 2> "$W/serve.err" &
SRV=$!
trap 'kill $SRV 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q listening "$W/serve.out" && break; sleep 0.1; done
P=$(grep -o ':[0-9]*$' "$W/serve.out" | tr -d :)
U="http://127.0.0.1:$P"
curl -sf "$U/api/g_variants?referenceName=20&start=$(( $(head -1 "$W/sites.tsv" | cut -f2) - 1 ))&referenceBases=$(head -1 "$W/sites.tsv" | cut -f3)&alternateBases=$(head -1 "$W/sites.tsv" | cut -f4)&requestedGranularity=count" | head -c 300; echo
wrk -t1 -c8 -d3s -s "$W/points.lua" "$U" >/dev/null 2>&1 # warm-up
echo "-- point queries: $CONN connections, ${SECS}s, wrk on the same 2 cores"
r=$(wrk -t2 -c"$CONN" -d"${SECS}s" --latency -s "$W/points.lua" "$U" | grep '^RESULT')
read -r _ rps p50 p99 errs total <<< "$r"
printf "   requests/s %s   p50 %s ms   p99 %s ms   errors %s of %s\n" "$rps" "$p50" "$p99" "$errs" "$total"
awk -v r="$rps" 'BEGIN { exit !(r >= 10000) }' && v1=PASS || v1=MISS
awk -v p="$p99" 'BEGIN { exit !(p < 20) }' && v2=PASS || v2=MISS
[ "$errs" = 0 ] && v3=PASS || v3=MISS
echo "   $v1  throughput >= 10,000 req/s"
echo "   $v2  p99 < 20 ms"
echo "   $v3  no errors"
if [ "$SOAK" -gt 0 ]; then
  echo "-- soak: ${SOAK}s, RSS every 10 s"
  wrk -t2 -c"$CONN" -d"${SOAK}s" -s "$W/points.lua" "$U" > "$W/soak.out" 2>&1 &
  WRK=$!
  : > "$W/rss.txt"
  for _ in $(seq $((SOAK / 10))); do sleep 10; awk '/VmRSS/ { print $2 }' /proc/$SRV/status >> "$W/rss.txt"; done
  wait $WRK
  first=$(sed -n 2p "$W/rss.txt"); last=$(tail -1 "$W/rss.txt")
  echo "   RSS (KiB) after 20 s: $first, at the end: $last; $(grep RESULT "$W/soak.out")"
  awk -v a="$first" -v b="$last" 'BEGIN { exit !(b <= a * 1.10 + 4096) }' && echo "   PASS  memory flat (within 10%)" || echo "   MISS  memory grew"
fi
