#!/bin/bash
# tests/cli/hpo-sample.sh — `genomenode rank DIR --sample ID --gene-regions BED`: gene
# evidence from the node's store. A store is built from the committed 503-sample panel; a
# sample and an allele it carries that is rare in the panel are picked with bcftools (AC/AN
# of the whole panel by +fill-tags, the node's population), a BED region around it is named
# after a gene HPO links to diseases, and a second region around a common allele the sample
# carries is named after another gene. Checks the ranking, the JSON evidence against
# bcftools, errors, policy refusal and the audit, and malformed BED lines (file:line).
# Prints "N passed, M failed". Usage: tests/cli/hpo-sample.sh BUILD_DIR
set -u
B=${1:-build/asan}
GN="$B/genomenode"
EUR=testdata/1kgp_EUR503_chr20_1-4Mb_GRCh37.vcf.gz
for t in jq bcftools; do command -v $t >/dev/null || { echo "$t missing"; echo "0 passed, 1 failed"; exit 1; }; done
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL $*"; fail=$((fail+1)); }
check() { if eval "$2"; then ok; else bad "$1"; fi; }
export GENOMENODE_HPO_INDEX=$T/hpo.gnhpo
N=$T/node

"$GN" hpo build --out "$GENOMENODE_HPO_INDEX" >/dev/null 2>&1 || bad "hpo build"
# the panel's manifest (tests/cli/lib.sh: synthetic national IDs, DS1/DS2, consents)
manifest503() { # OUT
    bcftools query -l "$EUR" | awk 'BEGIN { OFS = "\t"; print "national_id", "sample_id", "sex", "dataset", "consent", "year_of_birth" }
       { i = NR; d = 1 + i % 28; m = 1 + int(i / 28) % 12
         c = (i % 10 == 0) ? "clinical" : (i % 7 == 0) ? "HMB,NPU" : "GRU"
         ds = (i % 5 == 0) ? "DS2" : "DS1"
         printf "%02d%02d85-%04d\t%s\t%s\t%s\t%s\t1985\n", d, m, 1000 + i, $1, (i % 2 ? "female" : "male"), ds, c }' >"$1"
}
manifest503 "$T/man.tsv"
"$GN" init "$N" --build GRCh37 >/dev/null && "$GN" dataset add "$N" DS1 --terms GRU >/dev/null &&
    "$GN" dataset add "$N" DS2 --terms GRU >/dev/null &&
    "$GN" ingest "$N" --batch eur --quiet --manifest "$T/man.tsv" "$EUR" >/dev/null || bad "ingest"

# the sample (the 7th of the panel) and its alleles with panel AC/AN
S=$(bcftools query -l "$EUR" | sed -n 7p)
bcftools +fill-tags "$EUR" -Ou -- -t AC,AN 2>/dev/null | bcftools view -I -s "$S" -Ou |
    bcftools view -i 'GT="alt"' | bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\t%INFO/AC\t%INFO/AN\t[%GT]\n' >"$T/alt.tsv"
awk -F'\t' '$3 !~ /,/ && $4 !~ /,/ && $5 / $6 < 0.01' "$T/alt.tsv" | head -1 >"$T/rare"
awk -F'\t' '$3 !~ /,/ && $4 !~ /,/ && $5 / $6 > 0.2' "$T/alt.tsv" | head -1 >"$T/common"
check "a rare and a common allele of $S" '[ -s "$T/rare" ] && [ -s "$T/common" ]'
IFS=$'\t' read -r chr pos ref alt ac an gt <"$T/rare"
IFS=$'\t' read -r cchr cpos _ _ _ _ _ <"$T/common"
# two genes HPO links to seizure diseases (gene_to_hpo of the shipped release)
G=$(zcat data/hpo/gene_to_hpo.tsv.gz | awk -F'\t' '$3 == "HP:0001250" { print $2 }' | sort -u | sed -n 1p)
G2=$(zcat data/hpo/gene_to_hpo.tsv.gz | awk -F'\t' '$3 == "HP:0001250" { print $2 }' | sort -u | sed -n 2p)
printf '# regions\ntrack name=genes\n%s\t%d\t%d\t%s\nchr%s\t%d\t%d\t%s\n' "$chr" $((pos - 50)) $((pos + 50)) "$G" \
    "$cchr" $((cpos - 1)) "$cpos" "$G2" >"$T/genes.bed"

# the gene's best disease for seizures, and its rank without the sample
D=$("$GN" rank --hpo HP:0001250 --genes "$G" --top 1 --format tsv 2>/dev/null | awk -F'\t' 'NR == 3 { print $2 }')
r0=$("$GN" rank --hpo HP:0001250 --top 20000 --format tsv 2>/dev/null | awk -F'\t' -v d="$D" '$2 == d { print $1 }')
"$GN" rank "$N" --sample "$S" --gene-regions "$T/genes.bed" --hpo HP:0001250 --top 20000 --format tsv >"$T/tsv" 2>"$T/err" || bad "rank --sample tsv: $(cat "$T/err")"
r1=$(awk -F'\t' -v d="$D" '$2 == d { print $1 }' "$T/tsv")
check "$G's disease $D ranks higher with $S's variants ($r0 -> $r1)" '[ -n "$r0" ] && [ -n "$r1" ] && [ "$r1" -lt "$r0" ] && [ "$r1" = 1 ]'
check "tsv header unchanged" '[ "$(sed -n 2p "$T/tsv" | cut -f1-4)" = "$(printf "rank\tdisease_id\tscore\tlabel")" ]'
"$GN" rank "$N" --sample "$S" --gene-regions "$T/genes.bed" --hpo HP:0001250 --top 3 >"$T/json" 2>"$T/err" || bad "rank --sample json"
v="$chr:$pos:$ref:$alt"
check "json names $v with its genotype and node AF ($ac/$an)" \
    '[ "$(jq -r --arg v "$v" ".results[0].gene_variants[] | select(.variant == \$v) | \"\(.genotype) \(.node_ac) \(.node_an)\"" "$T/json")" = "$gt $ac $an" ] &&
     jq -e --arg v "$v" --argjson a "$ac" --argjson n "$an" "[.query.sample.gene_evidence[] | .variants[] | select(.variant == \$v) | (.node_af - \$a / \$n) | fabs < 1e-9] == [true]" "$T/json" >/dev/null'
check "evidence gene is $G, from the sample" '[ "$(jq -r ".results[0].gene_evidence" "$T/json")" = "$G" ] && [ "$(jq -r ".query.sample.gene_evidence[0].from_genes_option" "$T/json")" = false ]'
check "a common allele gives $G2 no evidence" '! jq -r ".query.sample.gene_evidence[].gene" "$T/json" | grep -qx "$G2" && ! jq -r ".query.genes[]" "$T/json" | grep -qx "$G2"'
check "the sample ID is not in the output" '! grep -q "$S" "$T/json" "$T/tsv" "$T/err"'
"$GN" rank "$N" --sample "$S" --gene-regions "$T/genes.bed" --genes "$G2" --hpo HP:0001250 --top 3 >"$T/json2" 2>/dev/null
check "union with --genes" '[ "$(jq -r ".query.genes | sort | join(\",\")" "$T/json2")" = "$(printf "%s\n%s\n" "$G" "$G2" | sort | paste -sd,)" ]'
amax=$(awk -v a="$ac" -v n="$an" 'BEGIN { printf "%.17g", a / n }')
"$GN" rank "$N" --sample "$S" --gene-regions "$T/genes.bed" --max-af "$amax" --hpo HP:0001250 --top 1 >"$T/json3" 2>/dev/null
check "--max-af at the allele's AF: no evidence" '[ "$(jq ".query.sample.gene_evidence | length" "$T/json3")" = 0 ] && [ "$(jq -r ".results[0].gene_evidence" "$T/json3")" = null ]'

# the node's counts are everyone's: an allele that 1 to 4 other people carry (the default
# small-count threshold 5) gets no node counts; with the threshold off it gets bcftools' AC/AN
awk -F'\t' '$3 !~ /,/ && $4 !~ /,/ && $5 / $6 < 0.01 { g = $7; own = gsub(/1/, "1", g); o = $5 - own; if (o >= 1 && o <= 4) { print; exit } }' "$T/alt.tsv" >"$T/few"
check "an allele of $S that 1 to 4 others carry" '[ -s "$T/few" ]'
IFS=$'\t' read -r fchr fpos fref falt fac fan fgt <"$T/few"
printf '%s\t%d\t%d\t%s\n' "$fchr" $((fpos - 5)) $((fpos + 5)) "$G" >"$T/few.bed"
"$GN" rank "$N" --sample "$S" --gene-regions "$T/few.bed" --hpo HP:0001250 --top 1 >"$T/jf" 2>/dev/null || bad "rank --sample (few carriers)"
check "few other carriers: node counts hidden" \
    '[ "$(jq -c --arg v "$fchr:$fpos:$fref:$falt" "[.query.sample.gene_evidence[].variants[] | select(.variant == \$v) | [.node_ac, .node_an, .node_af, .node_counts]]" "$T/jf")" = "[[null,null,null,\"below the small-count threshold\"]]" ]'
"$GN" setting "$N" small_count_threshold 0 >/dev/null
"$GN" rank "$N" --sample "$S" --gene-regions "$T/few.bed" --hpo HP:0001250 --top 1 >"$T/jf" 2>/dev/null || bad "rank --sample (threshold off)"
check "threshold off: the node counts, as bcftools ($fac/$fan)" \
    '[ "$(jq -c --arg v "$fchr:$fpos:$fref:$falt" "[.query.sample.gene_evidence[].variants[] | select(.variant == \$v) | [.node_ac, .node_an]]" "$T/jf")" = "[[$fac,$fan]]" ]'
"$GN" setting "$N" small_count_threshold 5 >/dev/null

# the audit: allowed record-level access naming the person's pseudonym, not the sample ID
"$GN" audit show "$N" >"$T/audit"
check "the access is audited" 'grep "\"action\":\"rank\"" "$T/audit" | grep -q "\"outcome\":\"allowed\",\"records\":[1-9]"'
check "audit without the sample ID" '! grep -q "$S" "$T/audit"'

# errors
"$GN" rank "$N" --sample NOSUCHSAMPLE --gene-regions "$T/genes.bed" --hpo HP:0001250 >/dev/null 2>"$T/err"
check "unknown sample: clear error" '[ $? -eq 1 ] && grep -q "is not in the store" "$T/err"'
"$GN" user add "$N" eve --role researcher >/dev/null
TE=$("$GN" token create "$N" --user eve)
"$GN" rank "$N" --sample "$S" --gene-regions "$T/genes.bed" --hpo HP:0001250 --token "$TE" >"$T/out" 2>"$T/err"
check "caller without access refused" '[ $? -eq 1 ] && grep -q "access denied" "$T/err" && [ ! -s "$T/out" ]'
check "the refusal is audited" '"$GN" audit show "$N" | grep "\"actor\":\"eve\"" | grep -q "\"action\":\"rank\",\"outcome\":\"denied\""'
"$GN" rank --sample "$S" --hpo HP:0001250 >/dev/null 2>&1
check "--sample without DIR: usage" '[ $? -eq 2 ]'
"$GN" rank "$N" --sample "$S" --hpo HP:0001250 >/dev/null 2>&1
check "--sample without --gene-regions: usage" '[ $? -eq 2 ]'
"$GN" rank "$N" --sample "$S" --gene-regions "$T/genes.bed" --max-af 2 --hpo HP:0001250 >/dev/null 2>&1
check "bad --max-af: usage" '[ $? -eq 2 ]'

# the access options of rank are the usual ones (--project, --patient): a researcher of a
# project granted the sample's dataset at record level, and a clinician for their patient
"$GN" user add "$N" rita --role researcher >/dev/null
"$GN" project add "$N" P1 --purpose HMB,NPU --approval ETH-1 --expires 2099-12-31 >/dev/null
"$GN" project join "$N" P1 rita >/dev/null
"$GN" grant "$N" --dataset DS1 --project P1 --level record >/dev/null
TR=$("$GN" token create "$N" --user rita)
"$GN" rank "$N" --sample "$S" --gene-regions "$T/genes.bed" --hpo HP:0001250 --top 3 --token "$TR" --project P1 >"$T/jr" 2>"$T/err"
check "researcher: rank --sample --project P1 ($(head -c 200 "$T/err"))" \
    '[ $? -eq 0 ] && [ "$(jq -r ".results[0].gene_evidence" "$T/jr")" = "$G" ]'
"$GN" user add "$N" doc --role clinician >/dev/null
TDOC=$("$GN" token create "$N" --user doc)
PID=$(awk -F'\t' -v s="$S" '$2 == s { print $1 }' "$T/man.tsv")
"$GN" rank "$N" --sample "$S" --gene-regions "$T/genes.bed" --hpo HP:0001250 --top 3 --token "$TDOC" --patient "$PID" >"$T/jc" 2>"$T/err"
check "clinician: rank --sample --patient ($(head -c 200 "$T/err" | tr -d 0-9))" \
    '[ $? -eq 0 ] && [ "$(jq -r ".results[0].gene_evidence" "$T/jc")" = "$G" ] && ! grep -q -- "$PID" "$T/err"'

# malformed BED lines: file and line named, nothing read (no new audit entry)
before=$("$GN" audit show "$N" | grep -c "\"action\":\"rank\"")
bedcase() { # name line3 expected-message
    msg=$3
    printf '# x\n20\t100\t200\tGENE1\n%b\n' "$2" >"$T/bad.bed"
    "$GN" rank "$N" --sample "$S" --gene-regions "$T/bad.bed" --hpo HP:0001250 >/dev/null 2>"$T/err"
    check "BED $1" '[ $? -eq 1 ] && grep -q "bad.bed:3: $msg" "$T/err"'
}
bedcase "three columns" '20\t100\t200' "expected chrom, start, end and gene symbol"
bedcase "start not a number" '20\tabc\t200\tG' "bad start"
bedcase "negative start" '20\t-5\t200\tG' "bad start"
bedcase "end before start" '20\t300\t200\tG' "end 200 is not after start 300"
bedcase "long symbol" "20\t1\t2\t$(printf 'A%.0s' $(seq 70))" "gene symbol"
bedcase "bad contig" '\x01\t1\t2\tG' "bad contig name"
check "malformed BED: no access audited" '[ "$("$GN" audit show "$N" | grep -c "\"action\":\"rank\"")" = "$before" ]'
"$GN" rank "$N" --sample "$S" --gene-regions "$T/none.bed" --hpo HP:0001250 >/dev/null 2>"$T/err"
check "missing BED named" '[ $? -eq 1 ] && grep -q "none.bed" "$T/err"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
