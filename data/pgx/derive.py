#!/usr/bin/env python3
"""derive.py — rebuilds data/pgx/ from a PharmCAT snapshot (see README.md).

Usage: data/pgx/derive.py SRC   (SRC = ../shared/data/pgx/pharmcat, the files named in SOURCES.md)

Only the fields genomenode reads are kept, and the JSON is written without whitespace, so the
data stays small enough to live in the repository. No value is changed: the definition files
keep PharmCAT's own layout (a subset of its keys), and each phenotype file keeps the
haplotype → function and haplotype → activity value tables plus the CPIC diplotype table
reduced to the lookups it encodes (a pair of functions, one function for hemizygous calls,
or an activity score → phenotype), which the script checks are unambiguous.
"""
import glob
import json
import os
import sys

SRC = sys.argv[1]
OUT = os.path.dirname(os.path.abspath(__file__))


def dump(obj, path):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"), sort_keys=False)
        f.write("\n")


def definitions():
    os.makedirs(os.path.join(OUT, "definition"), exist_ok=True)
    for f in sorted(glob.glob(os.path.join(SRC, "definition/alleles/*_translation.json"))):
        d = json.load(open(f))
        keep = {k: d[k] for k in ("formatVersion", "source", "version", "gene", "chromosome",
                                  "genomeBuild")}
        keep["variants"] = [{k: v[k] for k in ("chromosome", "position", "rsid", "ref", "alts")}
                            for v in d["variants"]]
        keep["namedAlleles"] = [{k: n[k] for k in ("name", "alleles", "reference",
                                                    "structuralVariant")}
                                for n in d["namedAlleles"]]
        dump(keep, os.path.join(OUT, "definition", os.path.basename(f)))
    ex = json.load(open(os.path.join(SRC, "definition/alleles/exemptions.json")))
    for g in ex.values():
        for k in ("ignoredAllelesLc", "amp1Alleles", "amp1Positions", "extraPositions"):
            g.pop(k, None)
        g["ignoredPositions"] = [p["position"] for p in g.get("ignoredPositions", [])]
    dump(ex, os.path.join(OUT, "definition", "exemptions.json"))


def one_phenotype(path):
    d = json.load(open(path))
    H = d["haplotypes"]
    A = d.get("activityValues") or {}
    pairs, single, scores = {}, {}, {}
    for x in d["diplotypes"]:
        names = [n for n, c in x["diplotypekey"].items() for _ in range(c)]
        fs = [H.get(n) for n in names]
        if len(names) == 2 and None not in fs:
            pairs.setdefault(tuple(sorted(fs)), set()).add(x["generesult"])
        elif len(names) == 1 and None not in fs:
            single.setdefault(fs[0], set()).add(x["generesult"])
        if A and x["lookupkey"] and isinstance(x["lookupkey"], str):
            try:
                float(x["lookupkey"])
                scores.setdefault(x["lookupkey"], set()).add(x["generesult"])
            except ValueError:
                pass
    out = {"gene": d["gene"], "version": d.get("version"), "haplotypes": H,
           "activityValues": A}
    if scores:
        assert all(len(v) == 1 for v in scores.values()), d["gene"]
        out["activityScores"] = [[k, v.pop()] for k, v in sorted(scores.items())]
    else:
        assert all(len(v) == 1 for v in pairs.values()), d["gene"]
        out["functionPairs"] = [[a, b, v.pop()] for (a, b), v in sorted(pairs.items())]
        out["functionSingle"] = [[a, v.pop()] for a, v in sorted(single.items())]
    return out


def phenotypes():
    os.makedirs(os.path.join(OUT, "phenotype"), exist_ok=True)
    files = {os.path.basename(f)[:-5]: f for f in glob.glob(os.path.join(SRC, "phenotype_head/*.json"))}
    for g in ("CYP2D6", "G6PD", "RYR1"):  # absent from the newer snapshot
        files[g] = os.path.join(SRC, "phenotype_v2.6/cpic/%s.json" % g)
    for g, f in sorted(files.items()):
        dump(one_phenotype(f), os.path.join(OUT, "phenotype", g + ".json"))


definitions()
phenotypes()
