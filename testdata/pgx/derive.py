#!/usr/bin/env python3
"""derive.py — rebuilds the PharmCAT fixtures of tests/cli/pgx.sh from the PharmCAT snapshot
(see README.md here and ../../data/pgx/README.md for the commit and licence).

Usage: testdata/pgx/derive.py SRC   (SRC = the pharmcat directory named in SOURCES.md)

Copies the example inputs verbatim and reduces PharmCAT's expected outputs (1.5 MB report
JSONs) to the facts the test compares:

  expected_calls.tsv  file, gene, kind (diplotypes | haplotypes), names sorted and joined by ';'
                      — from *.match.json (haplotypes: DPYD/RYR1 results PharmCAT gives as
                      haplotype matches)
  expected_recs.tsv   example, source (CPIC|DPWG), drug, classification, recommendation
                      (whitespace collapsed) — one row per annotation with a recommendation
                      in *.report.json
"""
import json
import os
import re
import shutil
import sys

SRC = sys.argv[1]
OUT = os.path.dirname(os.path.abspath(__file__))
INPUTS = ["examples/pharmcat.example.vcf", "examples/pharmcat.example2.vcf",
          "examples/pharmcat.example.outsideCall.tsv", "test_resources/Sample_1.preprocessed.vcf"]
MATCH = [("pharmcat.example.vcf", "examples/pharmcat.example.match.json"),
         ("pharmcat.example2.vcf", "examples/pharmcat.example2.match.json"),
         ("Sample_1.preprocessed.vcf", "test_resources/Sample_1.match.json")]
REPORTS = [("pharmcat.example", "examples/pharmcat.example.report.json"),
           ("pharmcat.example2", "examples/pharmcat.example2.report.json")]


def ws(s):
    return re.sub(r"\s+", " ", s or "").strip()


def main():
    for f in INPUTS:
        shutil.copyfile(os.path.join(SRC, f), os.path.join(OUT, os.path.basename(f)))
    with open(os.path.join(OUT, "expected_calls.tsv"), "w") as o:
        for vcf, path in MATCH:
            for r in json.load(open(os.path.join(SRC, path)))["results"]:
                if r["diplotypes"]:
                    kind, names = "diplotypes", [d["name"] for d in r["diplotypes"]]
                else:
                    kind, names = "haplotypes", [h["name"] for h in r.get("haplotypeMatches") or []]
                o.write("\t".join([vcf, r["gene"], kind, ";".join(sorted(names))]) + "\n")
    with open(os.path.join(OUT, "expected_recs.tsv"), "w") as o:
        for ex, path in REPORTS:
            d = json.load(open(os.path.join(SRC, path)))
            for label, src in (("CPIC Guideline Annotation", "CPIC"),
                               ("DPWG Guideline Annotation", "DPWG")):
                for drug, x in sorted(d["drugs"][label].items()):
                    for g in x["guidelines"]:
                        for a in g["annotations"]:
                            if a.get("drugRecommendation"):
                                o.write("\t".join([ex, src, drug, a.get("classification") or "",
                                                   ws(a["drugRecommendation"])]) + "\n")


main()
