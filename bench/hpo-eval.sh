#!/bin/bash
# bench/hpo-eval.sh — disease-ranking accuracy on the development phenopackets
# (../shared/data/phenopackets/index_dev.tsv: 5,867 solved published cases) and timings.
#
# For every case whose disease is annotated in the index: top-1/3/10 recall and mean
# reciprocal rank per method, phenotype only and with the causal gene(s) given as the
# candidate-gene list (--genes); then with fewer terms (1, 3, 5 observed, no excluded);
# and on two halves of the cohorts (split by a hash of the cohort name) to show the tuned
# combination does not only fit one half. The patient's age of onset comes from each case's
# phenopacket (phenopacket-store_dev.tar.gz next to the cases, unpacked to a temporary
# directory; hpo eval --phenopackets); the "no onset" rows rank the same cases without it.
# Usage: bench/hpo-eval.sh [GENOMENODE] [CASES] (make eval-hpo). Skips, saying so, when the
# cases are absent.
set -eu
GN=${1:-build/release/genomenode}
CASES=${2:-${HPO_CASES:-../shared/data/phenopackets/index_dev.tsv}}
[ -f "$CASES" ] || CASES=/work/shared/data/phenopackets/index_dev.tsv
if [ ! -f "$CASES" ]; then echo "eval-hpo: skipped, no development cases ($CASES)"; exit 0; fi
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
IDX=$T/hpo.gnhpo
PP=()
TAR=$(dirname "$CASES")/phenopacket-store_dev.tar.gz
if [ -f "$TAR" ]; then
  mkdir "$T/pp" && tar -xzf "$TAR" -C "$T/pp" && PP=(--phenopackets "$T/pp")
else
  echo "eval-hpo: no $TAR: ranking without the cases' onset"
fi
/usr/bin/time -f "%e s, %M KB" -o "$T/build.time" "$GN" hpo build --out "$IDX" >"$T/build.txt"
echo "index build: $(cat "$T/build.time") ($(grep -c . "$T/build.txt") lines of report)"
"$GN" hpo info --index "$IDX"

summ() { # file label [cohort-half]
  awk -F'\t' -v label="$2" -v half="${3:-}" '
    $1 == "case" { nm = NF - 6; for (m = 1; m <= nm; m++) M[m] = $(6 + m); next }
    /^#/ || $4 != 1 || $7 == "NA" { next }
    half != "" { h = 0; for (i = 1; i <= length($2); i++) h = (h * 31 + index("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", substr($2, i, 1))) % 1000003; if (h % 2 != half) next }
    { n++; for (m = 1; m <= nm; m++) { r = $(6 + m); t1[m] += r <= 1; t3[m] += r <= 3; t10[m] += r <= 10; mrr[m] += 1 / r } }
    END { for (m = 1; m <= nm; m++) printf "| %s | %s | %d | %.1f%% | %.1f%% | %.1f%% | %.3f |\n", label, M[m], n, 100 * t1[m] / n, 100 * t3[m] / n, 100 * t10[m] / n, mrr[m] / n }' "$1"
}

echo
echo "| terms | method | cases | top-1 | top-3 | top-10 | MRR |"
echo "|---|---|---|---|---|---|---|"
"$GN" hpo eval --index "$IDX" --cases "$CASES" "${PP[@]}" ${EVAL_ARGS:-} >"$T/all.tsv" 2>"$T/all.err"
summ "$T/all.tsv" all
if [ ${#PP[@]} -gt 0 ]; then
  "$GN" hpo eval --index "$IDX" --cases "$CASES" ${EVAL_ARGS:-} >"$T/noonset.tsv" 2>/dev/null
  summ "$T/noonset.tsv" "all, no onset"
fi
for k in 1 3 5; do
  "$GN" hpo eval --index "$IDX" --cases "$CASES" "${PP[@]}" --max-terms $k --max-excluded 0 ${EVAL_ARGS:-} >"$T/k$k.tsv" 2>/dev/null
  summ "$T/k$k.tsv" "$k observed, 0 excluded"
done
echo
echo "| cohort half | method | cases | top-1 | top-3 | top-10 | MRR |"
echo "|---|---|---|---|---|---|---|"
summ "$T/all.tsv" "half A" 0
summ "$T/all.tsv" "half B" 1
echo
echo "cases: $(grep -vc '^#' "$CASES") in $CASES; annotated in the index: $(awk -F'\t' '$4 == 1' "$T/all.tsv" | wc -l)"
cat "$T/all.err"
