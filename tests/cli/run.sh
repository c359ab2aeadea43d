#!/bin/bash
# CLI behaviour tests over the committed real data in testdata/, compared with bcftools.
# Usage: tests/cli/run.sh BUILD_DIR   (ends with "N passed, M failed")
set -u
B=${1:-build/asan}
GN="$B/genomenode"
T=$(mktemp -d /tmp/gn-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
D=testdata
EUR=$D/1kgp_EUR503_chr20_1-4Mb_GRCh37.vcf.gz
PILOT=$D/pyvcf_1kg_629s.vcf.gz
GVCF=$D/CEUTrio.20.21.gatk3.4.g.vcf.gz
pass=0; fail=0
ok() { echo "ok   $1"; pass=$((pass+1)); }
ko() { echo "FAIL $1"; fail=$((fail+1)); }
expect() { if eval "$2"; then ok "$1"; else ko "$1"; fi; }
ref() { bcftools norm -m- "$1" 2>/dev/null | bcftools +fill-tags -- -t AC,AN 2>/dev/null |
        bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\t%AC\t%AN\n'; }

# --- command line surface
expect "version" '"$GN" --version | grep -q "^genomenode "'
"$GN" nosuch >/dev/null 2>&1; expect "unknown command exits 2" '[ $? -eq 2 ]'
"$GN" freq --bogus x >/dev/null 2>&1; expect "bad flag exits 2" '[ $? -eq 2 ]'
for c in init ingest count freq genotypes export stats compact withdraw; do
  "$GN" $c --help | grep -q "usage: genomenode $c" || { ko "$c --help"; continue; }; ok "$c --help"
done

# --- ingest and frequencies equal bcftools (phased 503-sample panel)
"$GN" init "$T/s" --build GRCh37 >/dev/null
"$GN" ingest "$T/s" --batch eur --quiet "$EUR" >/dev/null
ref "$EUR" > "$T/eur.ref"
"$GN" freq "$T/s" | tail -n +2 > "$T/eur.gn"
expect "freq == bcftools (503 x 24,990)" 'cmp -s "$T/eur.ref" "$T/eur.gn"'
"$GN" freq "$T/s" | head -1 | grep -qP '^CHROM\tPOS\tREF\tALT\tAC\tAN$'; expect "freq header" '[ $? -eq 0 ]'
bcftools query -l "$EUR" | awk 'NR%10<3' > "$T/sub.txt"
bcftools view -S "$T/sub.txt" "$EUR" 2>/dev/null | ref /dev/stdin > "$T/sub.ref"
"$GN" freq "$T/s" --samples "$T/sub.txt" | tail -n +2 > "$T/sub.gn"
expect "30% sub-cohort freq == bcftools view -S" 'cmp -s "$T/sub.ref" "$T/sub.gn"'
"$GN" freq "$T/s" --region 20:2000000-2100000 | tail -n +2 > "$T/reg.gn"
ref "$EUR" | awk '$2>=2000000 && $2<=2100000' > "$T/reg.ref"
expect "region freq == bcftools" 'cmp -s "$T/reg.ref" "$T/reg.gn"'
read -r c1 c2 c3 c4 c5 c6 < <(sed -n 100p "$T/eur.ref")
"$GN" count "$T/s" "$c1:$c2:$c3:$c4" > "$T/count.json"
expect "count ac/an match bcftools" 'grep -q "\"ac\":$c5,\"an\":$c6" "$T/count.json"'
expect "count of an absent allele is found:false" '"$GN" count "$T/s" 20:1000226:A:G | grep -q "\"found\":false,\"ac\":0"'
"$GN" export "$T/s" -o "$T/eur.bcf" 2>/dev/null
expect "export round-trips every genotype (incl. phase)" 'cmp -s <(bcftools query -f "[%GT ]\n" "$EUR") <(bcftools query -f "[%GT ]\n" "$T/eur.bcf")'
bcftools query -l "$EUR" | awk 'NR % 53 == 7' > "$T/few.txt"   # under 1/16: the subset decoder
"$GN" export "$T/s" --samples "$T/few.txt" -o "$T/few.bcf" 2>/dev/null
expect "export of a few samples == bcftools view -S (phase included)" 'cmp -s <(bcftools view -S "$T/few.txt" "$EUR" 2>/dev/null | bcftools query -f "[%GT ]\n") <(bcftools query -f "[%GT ]\n" "$T/few.bcf")'
expect "export names samples by pseudonym" '! bcftools query -l "$T/eur.bcf" | grep -q HG00096 && [ $(bcftools query -l "$T/eur.bcf" | grep -c "^gn") -eq 503 ]'
s1=$(bcftools query -l "$EUR" | sed -n 7p)
"$GN" genotypes "$T/s" --sample "$s1" > "$T/one.vcf" 2>/dev/null
bcftools view -s "$s1" "$EUR" 2>/dev/null | bcftools view -H -i 'GT="alt"' 2>/dev/null | wc -l > "$T/one.ref"
expect "genotypes --sample == bcftools non-ref count" '[ "$(bcftools view -H "$T/one.vcf" | wc -l)" = "$(cat "$T/one.ref")" ]'
expect "no sample ID in clear on disk" '! grep -rq "$s1" "$T/s"'
expect "key file is mode 0600" '[ "$(stat -c %a "$T/s/pseudonym.key")" = 600 ]'

# --- unphased pilot data with missing calls
"$GN" init "$T/p" --build GRCh37 >/dev/null
"$GN" ingest "$T/p" --batch pilot --quiet "$PILOT" >/dev/null
# The pilot file declares no contigs and bcftools' fill-tags writes nothing for it, so
# AC/AN are counted from bcftools query's genotypes (the file is biallelic).
bcftools query -f '%CHROM\t%POS\t%REF\t%ALT[\t%GT]\n' "$PILOT" 2>/dev/null | awk -F'\t' '{ac=0;an=0;for(i=5;i<=NF;i++){n=split($i,a,/[\/|]/);for(j=1;j<=n;j++){if(a[j]!=".")an++;if(a[j]=="1")ac++}} print $1"\t"$2"\t"$3"\t"$4"\t"ac"\t"an}' > "$T/pilot.ref"
expect "pilot (missing calls) freq == bcftools genotypes" 'cmp -s "$T/pilot.ref" <("$GN" freq "$T/p" | tail -n +2)'
"$GN" export "$T/p" -o "$T/p.vcf.gz" 2>/dev/null
expect "pilot export round trip" 'cmp -s <(bcftools query -f "[%GT ]\n" "$PILOT" 2>/dev/null) <(bcftools query -f "[%GT ]\n" "$T/p.vcf.gz")'
bcftools query -l "$PILOT" 2>/dev/null | awk 'NR % 41 == 3' > "$T/pfew.txt"
"$GN" export "$T/p" --samples "$T/pfew.txt" -o "$T/pfew.vcf" 2>/dev/null
expect "pilot: export of a few samples (missing calls) == bcftools query -S" 'cmp -s <(bcftools query -S "$T/pfew.txt" -f "[%GT ]\n" "$PILOT" 2>/dev/null) <(bcftools query -f "[%GT ]\n" "$T/pfew.vcf")'

# --- gVCF: reference blocks are callability, not variants
"$GN" init "$T/g" --build GRCh37 >/dev/null
"$GN" ingest "$T/g" --batch g --quiet "$GVCF" > "$T/g.out"
(bcftools view -h "$GVCF"; bcftools view -H "$GVCF" | awk -F'\t' '$5!="<NON_REF>"') | ref /dev/stdin | awk '$4!="<NON_REF>"' > "$T/g.ref"
expect "gVCF freq == bcftools without <NON_REF>" 'cmp -s "$T/g.ref" <("$GN" freq "$T/g" | tail -n +2)'
expect "gVCF reference blocks not counted as variants" '! "$GN" freq "$T/g" | grep -q NON_REF'
# N+1: a site of another batch inside a reference block of the gVCF sample counts AN=2 more.
bpos=$(bcftools query -i 'ALT="<NON_REF>" && INFO/END>POS+10' -f '%CHROM\t%POS\n' "$GVCF" 2>/dev/null | sed -n 50p)
read -r bc bp <<< "$bpos"; p=$(( bp + 3 ))
printf '##fileformat=VCFv4.2\n##contig=<ID=%s>\n##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tX1\tX2\n%s\t%s\t.\tN\tA\t.\t.\t.\tGT\t0/1\t0/0\n' "$bc" "$bc" "$p" > "$T/nplus1.vcf"
"$GN" ingest "$T/g" --batch n1 --quiet "$T/nplus1.vcf" >/dev/null
expect "N+1: AN counts the gVCF sample as hom-ref where callable" '"$GN" count "$T/g" "$bc:$p:N:A" | grep -q "\"ac\":1,\"an\":6"'

# --- bad input: clear error, store unchanged
"$GN" stats "$T/s" > "$T/before"
zcat "$EUR" | head -200 | awk 'BEGIN{FS=OFS="\t"} /^#CHROM/{for(i=10;i<=NF;i++)$i="NEW"$i} /^#/{print;next} NR==150{print $1,$2,$3;next} {print}' > "$T/bad.vcf"
"$GN" ingest "$T/s" --batch bad --quiet "$T/bad.vcf" > /dev/null 2> "$T/bad.err"; rc=$?
expect "malformed record rejected (exit 1)" '[ $rc -eq 1 ]'
expect "error names file and line" 'grep -q "bad.vcf: line " "$T/bad.err"'
expect "store unchanged after rejected batch" '"$GN" stats "$T/s" | cmp -s - "$T/before" && [ $(ls "$T/s/segments" | wc -l) -eq 1 ]'
"$GN" ingest "$T/s" --batch again --quiet "$EUR" > /dev/null 2> "$T/dup.err"
expect "duplicate samples rejected" 'grep -q "already in the store" "$T/dup.err"'
"$GN" init "$T/d2" --build GRCh37 >/dev/null
"$GN" ingest "$T/d2" --batch twice --quiet "$EUR" "$EUR" > /dev/null 2> "$T/dup2.err"
expect "the same samples twice in one batch rejected, naming the sample" 'grep -q "sample .HG00096. appears twice in the batch" "$T/dup2.err" && [ "$("$GN" stats "$T/d2" | grep -o "\"samples\":[0-9]*")" = "\"samples\":0" ]'
"$GN" init "$T/h38" --build GRCh38 >/dev/null
printf '##fileformat=VCFv4.2\n##contig=<ID=20,length=63025520>\n##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tY1\n20\t100\t.\tA\tC\t.\t.\t.\tGT\t0/1\n' > "$T/b37.vcf"
"$GN" ingest "$T/h38" --batch b --quiet "$T/b37.vcf" > /dev/null 2> "$T/build.err"
expect "mixed builds refused" 'grep -q "another build" "$T/build.err"'
printf '##fileformat=VCFv4.2\n##contig=<ID=20>\n##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tZ1\n20\t1000226\t.\tG\tC\t.\t.\t.\tGT\t0/1\n' > "$T/refx.vcf"
"$GN" ingest "$T/s" --batch refx --quiet "$T/refx.vcf" > /dev/null 2> "$T/ref.err"
expect "REF disagreeing with the store refused" 'grep -q "disagrees with the store" "$T/ref.err"'
expect "REF mismatch names one file:line, the record's" '[ "$(grep -o "refx.vcf[^ ]*" "$T/ref.err" | tr "\n" " ")" = "refx.vcf: " ] && grep -q "refx.vcf: line 5: REF G at 20:1000226 disagrees" "$T/ref.err"'
# Errors name the record's physical line, whatever the header holds: htslib adds a PASS
# filter of its own when the file has none and drops repeated header lines.
hdr='##fileformat=VCFv4.2\n##contig=<ID=20>\n##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n'
cols='#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tL1\tL2\n'
recs='20\t500\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\t0/0\n20\t600\t.\tA\tT\t.\tPASS\t.\tGT\t0/3\t0/0\n'
printf "$hdr$cols$recs" > "$T/ln-nopass.vcf"                                            # bad record: line 6
printf "$hdr##FILTER=<ID=PASS,Description=\"All filters passed\">\n$cols$recs" > "$T/ln-pass.vcf" # line 7
printf "$hdr##contig=<ID=20>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"GT\">\n$cols$recs" > "$T/ln-dup.vcf" # line 8
printf "$hdr$cols"'20\t500\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\t0/0\n20\t600\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\n' > "$T/ln-cols.vcf" # line 6, htslib's error
for c in "nopass 6" "pass 7" "dup 8" "cols 6"; do
  read -r lk ll <<< "$c"
  "$GN" ingest "$T/s" --batch "ln$lk" --quiet "$T/ln-$lk.vcf" > /dev/null 2> "$T/ln-$lk.err"
  expect "bad record's line number ($lk)" 'grep -q "ln-$lk.vcf: line $ll: " "$T/ln-$lk.err"'
done
# --- withdrawal and compaction
s2=$(bcftools query -l "$EUR" | sed -n 3p)
"$GN" withdraw "$T/s" --sample "$s2" >/dev/null
bcftools query -l "$EUR" | grep -vx "$s2" > "$T/keep.txt"
bcftools view -S "$T/keep.txt" "$EUR" 2>/dev/null | ref /dev/stdin > "$T/keep.ref"
expect "withdrawn sample excluded from the next query" 'cmp -s "$T/keep.ref" <("$GN" freq "$T/s" | tail -n +2)'
"$GN" compact "$T/s" >/dev/null
expect "compaction purges the withdrawn sample" '"$GN" stats "$T/s" | grep -q "\"samples\":502,\"withdrawn\":0,\"segments\":1"'
expect "freq unchanged by compaction" 'cmp -s "$T/keep.ref" <("$GN" freq "$T/s" | tail -n +2)'

# --- half-calls: het/hom_alt of 1/. and ./1 follow one rule on every path (hom_alt, like a
# haploid call; bcftools: AC_Hom/2 + AC_Hemi samples, AC_Het): whole population, a masked
# cohort after an unrelated withdrawal, and the compacted segment
printf '##fileformat=VCFv4.2\n##contig=<ID=20,length=63025520>\n##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\tS3\tS4\n20\t1000\t.\tA\tT\t.\tPASS\t.\tGT\t1/.\t0/0\t0/1\t0/0\n20\t2000\t.\tC\tG\t.\tPASS\t.\tGT\t./1\t1/1\t0/0\t0/0\n' > "$T/hc.vcf"
"$GN" init "$T/hc" --build GRCh37 >/dev/null
"$GN" ingest "$T/hc" --batch hc --quiet "$T/hc.vcf" >/dev/null
hc_ref() { bcftools +fill-tags "$T/hc.vcf" -- -t AC_Het,AC_Hom,AC_Hemi 2>/dev/null |
           bcftools query -f '%INFO/AC_Het %INFO/AC_Hom %INFO/AC_Hemi\n' | sed -n "$1p" |
           awk '{printf "\"het\":%d,\"hom_alt\":%d", $1, $2 / 2 + $3}'; }
hc_gn() { "$GN" count "$T/hc" "$1" | grep -o '"het":[0-9]*,"hom_alt":[0-9]*'; }
hc1=$(hc_ref 1); hc2=$(hc_ref 2)
expect "half-calls: het/hom_alt == bcftools AC_Het, AC_Hom + AC_Hemi" '[ "$(hc_gn 20:1000:A:T)" = "$hc1" ] && [ "$(hc_gn 20:2000:C:G)" = "$hc2" ] && [ "$hc1" = "\"het\":1,\"hom_alt\":1" ]'
"$GN" withdraw "$T/hc" --sample S4 >/dev/null
expect "half-calls: het/hom_alt unchanged by an unrelated withdrawal (masked counts)" '[ "$(hc_gn 20:1000:A:T)" = "$hc1" ] && [ "$(hc_gn 20:2000:C:G)" = "$hc2" ]'
"$GN" compact "$T/hc" >/dev/null
expect "half-calls: het/hom_alt unchanged by compaction" '[ "$(hc_gn 20:1000:A:T)" = "$hc1" ] && [ "$(hc_gn 20:2000:C:G)" = "$hc2" ]'

# --- the manifest's N_SITES counts ALT sites (a multi-allelic record is several), as the
# segment header's n_sites and stats' sites do, after ingest and after compaction
printf '##fileformat=VCFv4.2\n##contig=<ID=20>\n##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tM1\tM2\n20\t100\t.\tA\tC,G,T\t.\tPASS\t.\tGT\t1/2\t0/3\n20\t200\t.\tA\tC\t.\tPASS\t.\tGT\t0/1\t0/0\n' > "$T/multi.vcf"
"$GN" init "$T/ms" --build GRCh37 >/dev/null
"$GN" ingest "$T/ms" --batch m --quiet "$T/multi.vcf" >/dev/null
man_sites() { awk '$1=="segment"{n+=$4} END{print n+0}' "$T/ms/MANIFEST"; }
expect "manifest N_SITES == sites (4), not records (2)" '[ "$(man_sites)" = 4 ] && "$GN" stats "$T/ms" | grep -q "\"records\":2,\"sites\":4"'
"$GN" withdraw "$T/ms" --sample M2 >/dev/null; "$GN" compact "$T/ms" >/dev/null
expect "manifest N_SITES == sites after compaction" '[ "$(man_sites)" = "$("$GN" stats "$T/ms" | sed "s/.*\"sites\":\([0-9]*\).*/\1/")" ] && [ "$(man_sites)" -gt 2 ]'

# --- one writer at a time
( flock -x 9; sleep 2 ) 9>"$T/s/LOCK" & sleep 0.3
"$GN" ingest "$T/s" --batch locked --quiet "$T/nplus1.vcf" > /dev/null 2> "$T/lock.err"
expect "second writer refused while the lock is held" 'grep -q "another writer" "$T/lock.err"'
wait

# --- crash safety: kill -9 ingest and compaction at random moments
"$GN" init "$T/c" --build GRCh37 >/dev/null
"$GN" ingest "$T/c" --batch base --quiet "$PILOT" >/dev/null
bcftools view -s HG00096,HG00097,HG00099,HG00100 "$EUR" -Ob -o "$T/c1.bcf" 2>/dev/null
bcftools view -s HG00101,HG00102 "$EUR" -Ob -o "$T/c2.bcf" 2>/dev/null
"$GN" freq "$T/c" > "$T/c.before"
crash_ok=1
for i in $(seq 1 20); do
  if [ $((i % 2)) -eq 0 ]; then cmd=(ingest "$T/c" --batch "k$i" --quiet "$T/c1.bcf"); else cmd=(compact "$T/c"); fi
  "$GN" "${cmd[@]}" >/dev/null 2>&1 & pid=$!
  sleep "0.$(( (RANDOM % 30) ))"; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
  "$GN" stats "$T/c" > /dev/null 2>&1 || { crash_ok=0; echo "  store unreadable after kill $i"; }
  "$GN" freq "$T/c" > /dev/null 2>&1 || { crash_ok=0; echo "  freq failed after kill $i"; }
done
expect "store opens at its last committed state after 20 kill -9 (ingest and compact)" '[ $crash_ok -eq 1 ]'
"$GN" ingest "$T/c" --batch final --quiet "$T/c2.bcf" > /dev/null 2>&1
expect "an ingest after the crashes succeeds" '[ $? -eq 0 ]'
expect "no orphan segment files left" '[ "$(ls "$T/c/segments" | wc -l)" = "$("$GN" stats "$T/c" | sed "s/.*\"segments\":\([0-9]*\).*/\1/")" ]'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
