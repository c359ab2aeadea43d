#!/bin/bash
# Acceptance checks on the large real panels in ../shared (skipped when absent):
#   freq == bcftools norm -m- | fill-tags | query, full and 30% sub-cohort;
#   the same after ingesting as 4 sample batches and compacting; export round trip.
# Usage: tests/extended/acceptance.sh GENOMENODE_BINARY
set -u
GN=${1:-build/release/genomenode}
SHARED=${SHARED:-../shared/data/vcf}
W=${WORK:-build/extended}
pass=0; fail=0
ok() { echo "ok   $1"; pass=$((pass+1)); }
ko() { echo "FAIL $1"; fail=$((fail+1)); }
if [ ! -d "$SHARED" ]; then echo "skip: $SHARED is absent (extended acceptance needs the shared data)"; echo "0 passed, 0 failed"; exit 0; fi
mkdir -p "$W"
ref() { bcftools norm -m- "$1" 2>/dev/null | bcftools +fill-tags -- -t AC,AN 2>/dev/null | bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\t%AC\t%AN\n'; }
check_panel() { # name file build
  local name=$1 f=$2 build=$3 d=$W/$1
  rm -rf "$d"; "$GN" init "$d" --build "$build" >/dev/null
  "$GN" ingest "$d" --batch all --quiet "$f" >/dev/null || { ko "$name ingest"; return; }
  ref "$f" > "$W/$name.ref"
  "$GN" freq "$d" | tail -n +2 > "$W/$name.gn"
  cmp -s "$W/$name.ref" "$W/$name.gn" && ok "$name freq == bcftools ($(wc -l < "$W/$name.ref") rows)" || ko "$name freq"
  bcftools query -l "$f" | awk 'BEGIN{srand(7)} rand()<0.3' > "$W/$name.sub"
  bcftools view -S "$W/$name.sub" "$f" 2>/dev/null | ref /dev/stdin > "$W/$name.subref"
  "$GN" freq "$d" --samples "$W/$name.sub" 2>/dev/null | tail -n +2 > "$W/$name.subgn"
  cmp -s "$W/$name.subref" "$W/$name.subgn" && ok "$name 30% sub-cohort freq == bcftools view -S" || ko "$name sub-cohort freq"
  "$GN" export "$d" -o "$W/$name.bcf" || ko "$name export"
  if cmp -s <(bcftools query -f '[%GT ]\n' "$f" | tr '|' '/') <(bcftools query -f '[%GT ]\n' "$W/$name.bcf" | tr '|' '/'); then
    ok "$name export round-trips every genotype"; else ko "$name export round trip"; fi
  # four batches of samples, then compaction
  local d4=$W/${name}4; rm -rf "$d4"; "$GN" init "$d4" --build "$build" >/dev/null
  bcftools query -l "$f" > "$W/$name.samples"; split -n l/4 "$W/$name.samples" "$W/${name}.part."
  local i=0
  for p in "$W/${name}".part.*; do i=$((i+1))
    bcftools view -S "$p" -Ob -o "$W/${name}.b$i.bcf" "$f" 2>/dev/null
    "$GN" ingest "$d4" --batch "b$i" --quiet "$W/${name}.b$i.bcf" >/dev/null || ko "$name batch $i"
  done
  "$GN" freq "$d4" | tail -n +2 | cmp -s "$W/$name.ref" - && ok "$name 4 batches freq == bcftools" || ko "$name 4 batches freq"
  "$GN" compact "$d4" >/dev/null || ko "$name compact"
  "$GN" freq "$d4" | tail -n +2 | cmp -s "$W/$name.ref" - && ok "$name after compaction freq == bcftools" || ko "$name compacted freq"
  "$GN" freq "$d4" --samples "$W/$name.sub" 2>/dev/null | tail -n +2 | cmp -s "$W/$name.subref" - && ok "$name compacted sub-cohort" || ko "$name compacted sub-cohort"
}
check_panel grch38_3202 "$SHARED/pypgx-bundle_1kgp/1kgp_pgx_GRCh38.vcf.gz" GRCh38
check_panel grch37_1126 "$SHARED/uwgac_1kg_phase3_subset/1kg_phase3_subset_1126s_GRCh37.vcf.gz" GRCh37
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
