#!/bin/bash
# tests/extended/pgx_java_rows.sh — every row of PharmCAT's Java-test expectations
# (expected_calls_from_java_tests.jsonl, MPL-2.0, /work/shared/data/pgx/SOURCES.md) through
# `genomenode pgx --vcf`, with the test's own resource VCFs where it has one. Needs the
# shared data; skips clearly without it. The committed subset (testdata/pgx/java_rows/) runs
# in tests/cli/pgx.sh. Usage: tests/extended/pgx_java_rows.sh [BUILD_DIR] [--verbose]
set -u
B=${1:-build/debug}
shift || true
S=${PGX_SHARED:-/work/shared/data/pgx/pharmcat}
if [ ! -f "$S/expected_calls_from_java_tests.jsonl" ] || [ ! -d "$S/definition/alleles" ]; then
    echo "SKIP pgx java rows: $S not present (needs the PharmCAT snapshot, see docs/pgx.md)"
    exit 0
fi
exec python3 tests/extended/pgx_java_rows.py --rows "$S/expected_calls_from_java_tests.jsonl" \
    --defs "$S/definition/alleles" --resources "$S/test_resources" \
    --known testdata/pgx/java_rows/known.tsv --gn "$B/genomenode" "$@"
