#!/bin/bash
# Phenotype filters and named cohorts at scale, on the 5,867 real solved cases of the
# development phenopackets in ../shared (skipped when absent): every case becomes a
# consented sample of one node (a small synthetic VCF gives them genotypes), all
# phenopackets are imported, then Beacon phenotype and diagnosis filters, /cohorts sizes and
# `count --cohort` are compared with the independent reference (tests/cli/pheno-ref.js,
# reading the phenopacket JSON and the HPO release's TSV). Prints the import time and the
# Beacon latencies. Usage: tests/extended/pheno-scale.sh GENOMENODE_BINARY
set -u
GN=${1:-build/release/genomenode}
PP=${PHENOPACKETS:-../shared/data/phenopackets}
W=${WORK:-build/extended}/pheno
T=$W
SRV=""
. tests/cli/lib.sh
if [ ! -s "$PP/phenopacket-store_dev.tar.gz" ]; then
  echo "skip: $PP is absent (the phenotype scale test needs the shared development phenopackets)"
  echo "0 passed, 0 failed"; exit 0
fi
trap '[ -n "$SRV" ] && kill "$SRV" 2>/dev/null' EXIT
rm -rf "$W"; mkdir -p "$W/src" "$W/pp"
tar xzf "$PP/phenopacket-store_dev.tar.gz" -C "$W/src"

# every case a sample S00001..: the phenopackets rewritten with that subject id, the
# reference's map, a manifest (made-up national IDs, sex from the phenopacket) and a VCF of
# 8 sites with a deterministic genotype pattern
node -e '
const fs = require("fs"), path = require("path");
const [src, out, map, man] = process.argv.slice(1);
const files = [];
const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) {
  const p = path.join(d, e.name);
  if (e.isDirectory()) walk(p); else if (e.name.endsWith(".json")) files.push(p); } };
walk(src); files.sort();
const m = [], s = ["national_id\tsample_id\tsex\tdataset\tconsent"];
files.forEach((f, i) => {
  const id = "S" + String(i + 1).padStart(5, "0");
  const pp = JSON.parse(fs.readFileSync(f, "utf8"));
  pp.subject = Object.assign({}, pp.subject, { id });
  fs.writeFileSync(path.join(out, id + ".json"), JSON.stringify(pp));
  m.push(id + "\t" + path.join(out, id + ".json"));
  const sex = { MALE: "male", FEMALE: "female" }[(pp.subject || {}).sex] || "unknown";
  const d = 1 + (i % 28), mo = 1 + Math.floor(i / 28) % 12, n = 1000 + i;
  s.push(`${String(d).padStart(2, "0")}${String(mo).padStart(2, "0")}90-${n}\t${id}\t${sex}\tDS1\tGRU`);
});
fs.writeFileSync(map, m.join("\n") + "\n"); fs.writeFileSync(man, s.join("\n") + "\n");
' "$W/src" "$W/pp" "$W/map.tsv" "$W/man.tsv"
NS=$(grep -c . "$W/map.tsv")
expect "$NS real phenopackets found in the development set" '[ "$NS" -gt 5000 ]'
cut -f1 "$W/map.tsv" | awk -v n="$NS" 'BEGIN { printf "##fileformat=VCFv4.2\n##contig=<ID=20,length=64444167>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT" }
  { printf "\t%s", $1 } END { printf "\n"
    for (r = 1; r <= 8; r++) { printf "20\t%d\t.\tA\tG\t.\tPASS\t.\tGT", 100000 * r
      for (i = 1; i <= n; i++) printf "\t%s", ((i * r) % 7 == 0) ? "0/1" : ((i * r) % 31 == 0) ? "1/1" : "0/0"; printf "\n" } }' \
  | bgzip > "$W/cases.vcf.gz"

N="$W/node"
"$GN" init "$N" --build GRCh38 >/dev/null
"$GN" dataset add "$N" DS1 --terms GRU >/dev/null
"$GN" ingest "$N" --batch cases --manifest "$W/man.tsv" --quiet "$W/cases.vcf.gz" >/dev/null
expect "ingest: $NS samples with a manifest" '[ $? = 0 ]'
"$GN" dataset access "$N" DS1 public >/dev/null
"$GN" setting "$N" public_granularity count >/dev/null
"$GN" setting "$N" small_count_threshold 0 >/dev/null
"$GN" hpo build --out "$W/hpo.gnhpo" >/dev/null 2>&1
export GENOMENODE_HPO_INDEX="$W/hpo.gnhpo"
t0=$(date +%s.%N)
"$GN" phenopacket import "$N" "$W/pp" > "$W/imp" 2> "$W/imp.err"
t1=$(date +%s.%N)
nimp=$(grep -c . "$W/imp")
echo "import: $nimp of $NS phenopackets in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s ($(tail -1 "$W/imp.err"))"
expect "import: all $NS real phenopackets" '[ "$nimp" = "$NS" ]'
# the reference over exactly the imported people
awk -F'\t' 'NR == FNR { ok[$1] = 1; next } ($2 in ok)' "$W/imp" "$W/map.tsv" > "$W/map_ok.tsv"
expect "the reference reads the $nimp imported phenopackets" '[ "$(grep -c . "$W/map_ok.tsv")" = "$nimp" ]'
ref() { node tests/cli/pheno-ref.js "$W/map_ok.tsv" data/hpo "$@"; }

# queries: every 97th observed term, a spread of ancestors, and the 8 commonest diagnoses
ref terms > "$W/terms.txt"
ref ancestors > "$W/anc.txt"
{ awk 'NR % 97 == 1' "$W/terms.txt"; awk 'NR % 211 == 1' "$W/anc.txt"; echo HP:0001250; echo HP:0000707; } | sort -u > "$W/q.txt"
node -e 'const fs=require("fs"); const c={};
  for (const l of fs.readFileSync(process.argv[1],"utf8").split("\n").filter(Boolean)) {
    const pp=JSON.parse(fs.readFileSync(l.split("\t")[1],"utf8"));
    for (const i of pp.interpretations||[]) if (i.diagnosis) { const d=i.diagnosis.disease.id; c[d]=(c[d]||0)+1; } }
  Object.entries(c).sort((a,b)=>b[1]-a[1]||(a[0]<b[0]?-1:1)).slice(0,8).forEach(([d])=>console.log(d));' "$W/map_ok.tsv" > "$W/dx.txt"

start_server "$N"
U="http://127.0.0.1:$P/api"
expect "server starts" '[ -n "$P" ]'
cnt() { curl -s "$U/individuals?requestedGranularity=count&filters=$1" | jq .responseSummary.numTotalResults; }
bad=0; n=0; : > "$W/lat.txt"
while read -r t; do
  n=$((n + 1))
  got=$(cnt "$t"); want=$(ref count "$t" desc)
  [ "$got" = "$want" ] || { bad=$((bad + 1)); echo "  $t: beacon $got, reference $want"; }
  curl -s -o /dev/null -w '%{time_total}\n' "$U/individuals?requestedGranularity=count&filters=$t" >> "$W/lat.txt"
done < "$W/q.txt"
expect "$n HP filters with descendants over $nimp people: Beacon count = reference" '[ $bad = 0 ] && [ $n -gt 40 ]'
bad=0
while read -r d; do
  got=$(cnt "$d"); want=$(ref dx "$d")
  [ "$got" = "$want" ] && [ "$want" -gt 0 ] || { bad=$((bad + 1)); echo "  $d: beacon $got, reference $want"; }
done < "$W/dx.txt"
expect "the 8 commonest diagnoses: Beacon count = reference" '[ $bad = 0 ] && [ "$(grep -c . "$W/dx.txt")" = 8 ]'
echo "Beacon filter latency over $nimp people (s): median $(sort -n "$W/lat.txt" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'), max $(sort -n "$W/lat.txt" | tail -1)"

# named cohorts: a diagnosis AND a phenotype; /cohorts size and count --cohort against the reference
d1=$(head -1 "$W/dx.txt")
"$GN" cohort define "$N" big --phenotype HP:0001250 >/dev/null
"$GN" cohort define "$N" dx1 --diagnosis "$d1" --phenotype HP:0000707 >/dev/null
want_big=$(ref count HP:0001250 desc)
want_dx1=$(comm -12 <(ref dx-samples "$d1" | sort) <(ref samples HP:0000707 | sort) | grep -c .)
t0=$(date +%s.%N)
curl -s "$U/cohorts" > "$W/cohorts.json"
t1=$(date +%s.%N)
size() { jq ".response.collections[] | select(.id == \"$1\") | .cohortSize" "$W/cohorts.json"; }
expect "/cohorts: seizures $want_big, $d1 with a nervous-system abnormality $want_dx1 (reference)" \
  '[ "$(size big)" = "$want_big" ] && [ "$(size dx1)" = "$want_dx1" ] && [ "$want_dx1" -gt 0 ]'
echo "/cohorts with 2 cohorts over $nimp people: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
# AN at site 1 is twice the number of cohort samples (every sample is called there)
expect "count --cohort dx1: AN = 2 x $want_dx1" \
  '[ "$("$GN" count "$N" 20:100000:A:G --cohort dx1 | jq .an)" = $((2 * want_dx1)) ]'
# Matchmaker Exchange over the same people: 60 of them (every 97th) sent back as /match
# queries by a peer, on phenotype alone and with their genes; precision at 5 = the share of
# the 5 best other patients (the query person excluded) diagnosed with the same disease
"$GN" dataset matchmaking "$N" DS1 on >/dev/null
"$GN" user add "$N" peer --role peer-node >/dev/null
PT=$("$GN" token create "$N" --user peer | grep -o 'gnt_[0-9a-f]*')
mkdir -p "$W/mq"
awk -F'\t' 'NR == FNR { ps[$1] = $2; next } { print $2 "\t" ps[$2] }' "$W/imp" "$W/map_ok.tsv" | awk 'NR % 97 == 1' > "$W/mq.tsv"
node -e '
const fs = require("fs"); const [list, dir] = process.argv.slice(1); let i = 0;
for (const l of fs.readFileSync(list, "utf8").split("\n").filter(Boolean)) {
  const [file, ps] = l.split("\t"), pp = JSON.parse(fs.readFileSync(file, "utf8")); i++;
  const dx = (pp.interpretations || []).map((x) => x.diagnosis && x.diagnosis.disease.id).filter(Boolean)[0] || "";
  const genes = [...new Set((pp.interpretations || []).flatMap((x) => ((x.diagnosis || {}).genomicInterpretations || [])
    .map((g) => ((((g.variantInterpretation || {}).variationDescriptor || {}).geneContext) || g.gene || {}).symbol).filter(Boolean)))];
  const features = (pp.phenotypicFeatures || []).map((f) => ({ id: f.type.id, observed: f.excluded ? "no" : "yes" }));
  const q = { patient: { id: "q" + i, contact: { name: "scale test", href: "mailto:t@example.org" }, features } };
  fs.writeFileSync(dir + "/p" + i + ".json", JSON.stringify(q));
  q.patient.genomicFeatures = genes.map((g) => ({ gene: { id: g } }));
  fs.writeFileSync(dir + "/g" + i + ".json", JSON.stringify(q));
  console.log(i + "\t" + dx.replace(/^OMIM:/, "MIM:") + "\t" + ps);
}' "$W/mq.tsv" "$W/mq" > "$W/mq.meta"
CT=application/vnd.ga4gh.matchmaker.v1.0+json
: > "$W/mlat.txt"
prec() { # KIND(p|g): mean precision at 5 over the queries, as a percentage
  local k=$1 i dx ps
  while IFS=$'\t' read -r i dx ps; do
    curl -s -o "$W/mq/r$k$i.json" -w '%{time_total}\n' -X POST -H "X-Auth-Token: $PT" -H "Content-Type: $CT" \
      -H "Accept: $CT" --data-binary @"$W/mq/$k$i.json" "http://127.0.0.1:$P/match" >> "$W/mlat.txt"
    jq -r --arg dx "$dx" --arg ps "$ps" '[.results[] | select(.patient.id != $ps)][:5] |
      (map(select([.patient.disorders[]?.id] | index($dx))) | length) / 5' "$W/mq/r$k$i.json"
  done < "$W/mq.meta" | awk '{ s += $1; n++ } END { printf "%.1f", 100 * s / n }'
}
pp=$(prec p); pg=$(prec g)
nq=$(grep -c . "$W/mq.meta")
echo "MME over $nimp people, $nq queries: precision at 5 (same diagnosis) ${pp}% on phenotype alone, ${pg}% with genes;" \
     "/match latency median $(sort -n "$W/mlat.txt" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }') s"
expect "MME: $nq queries answered; genes lift precision at 5 over phenotype alone (${pp}% -> ${pg}%)" \
  '[ "$nq" -ge 50 ] && awk -v a="$pp" -v b="$pg" "BEGIN { exit !(b > a && a > 20) }"'
# single flight at scale: after a catalog change, 8 concurrent /match requests build the
# profiles of every person once; the others wait for that build (/metrics)
metric() { curl -s "http://127.0.0.1:$P/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
b0=$(metric genomenode_mme_profile_builds_total); w0=$(metric genomenode_mme_profile_waits_total)
"$GN" setting "$N" matchmaking_consent optout > /dev/null  # the default again: a catalog change
CP=""; for i in 1 2 3 4 5 6 7 8; do
  curl -s -o /dev/null -X POST -H "X-Auth-Token: $PT" -H "Content-Type: $CT" --data-binary @"$W/mq/p1.json" "http://127.0.0.1:$P/match" & CP="$CP $!"; done
for p in $CP; do wait "$p"; done
b1=$(metric genomenode_mme_profile_builds_total); w1=$(metric genomenode_mme_profile_waits_total)
echo "single flight: $((b1 - b0)) build(s), $((w1 - w0)) request(s) waited, $(metric genomenode_mme_profile_people) people in the snapshot"
expect "MME: 8 concurrent requests after a change build the profiles once" '[ "$b1" = $((b0 + 1)) ]'
kill "$SRV"; wait "$SRV" 2>/dev/null; SRV=""

# every person exported again, each document valid against the Phenopacket v2 schema
# (tests/cli/phenopacket-validate.py); the same check over the real inputs, for scale
mkdir -p "$W/pb"
protoc -I testdata/phenopacket-schema -I /usr/include --python_out="$W/pb" \
  $(cd testdata/phenopacket-schema && find phenopackets -name '*.proto')
"$GN" phenopacket export "$N" --out "$W/exp" 2> /dev/null
find "$W/exp" -name '*.json' | xargs /usr/bin/python3 tests/cli/phenopacket-validate.py "$W/pb" > "$W/exp.valid"
expect "export: all $nimp people written, every document valid against the Phenopacket v2 schema" \
  '[ "$(grep -c "^ok" "$W/exp.valid")" = "$nimp" ] && ! grep -q "^FAIL" "$W/exp.valid"'
find "$W/src" -name '*.json' | xargs /usr/bin/python3 tests/cli/phenopacket-validate.py "$W/pb" > "$W/src.valid"
echo "the published inputs: $(grep -c "^ok" "$W/src.valid") valid, $(grep -c "^FAIL" "$W/src.valid") not:"
grep "^FAIL" "$W/src.valid" | cut -c1-300
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
