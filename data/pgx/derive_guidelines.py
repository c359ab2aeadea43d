#!/usr/bin/env python3
"""derive_guidelines.py — rebuilds data/pgx/guideline/guidelines.json from PharmCAT's CPIC and
DPWG recommendation tables (see README.md for the snapshot and licence).

Usage: data/pgx/derive_guidelines.py SRC   (SRC = the pharmcat directory named in SOURCES.md)

One compact JSON file, read by src/pgx_guide.c:

    {"formatVersion": 1,
     "sources": {"CPIC": {"version": "v1.30.0", "commit": ...}, "DPWG": {...}},
     "texts": ["Initiate therapy with recommended starting dose.", ...],   (deduplicated)
     "drugs": [{"drug": "codeine", "source": "CPIC", "guideline": "...", "url": "...",
                "match": "lookup" | "function", "genes": ["CYP2D6"],
                "recs": [[{"CYP2D6": ["1.0"]}, text, "Moderate", "general", change], ...]}]}

A row matches a patient when, for every gene of its key, one of the listed values is one of
the patient's values for that gene: CPIC rows ("match": "lookup") list PharmCAT's lookup keys
(phenotype, activity score, or HLA allele status such as "*57:01 positive"); DPWG rows
("match": "function") list allele-function pairs ("Decreased function/Normal function",
sorted, DPWG's "(AV …)" annotations removed).

Nothing is reworded: recommendation texts are the published ones (DPWG's HTML reduced to
text). `change` is added here, once, so the rule is reviewable in one place:

  0  consistent — the row's recommendation is the standard one: for CPIC, it is the same text
     as the drug's row (same population) for a patient whose every gene is normal (NORMAL
     below), or it says so in words (STANDARD below); for DPWG, rxChangeStatus is "No".
  1  change recommended — anything else with a recommendation (DPWG "Yes" or "Possibly").
  2  no recommendation — CPIC classification "No Recommendation" or text "No recommendation…"
     / "n/a": the guideline gives no genotype-based advice for this phenotype.
"""
import glob
import html
import json
import os
import re
import sys

SRC = sys.argv[1]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "guideline")
COMMIT = "c115ed253a489969330afbf56a66b4c2afe5ca39"

# Lookup values of a patient for whom the drug's label dosing was written: normal function,
# allele negative. CYP3A5 is the exception: most people are non-expressers (*3/*3, "Poor
# Metabolizer"), and tacrolimus's standard dose is theirs; expressers need more.
NORMAL = {
    "Normal Metabolizer", "Normal Function", "Normal", "2.0",
    "normal risk of aminoglycoside-induced hearing loss", "Uncertain Susceptibility",
    "ivacaftor responsive in CF patients",
    "*57:01 negative", "*58:01 negative", "*15:02 negative", "*31:01 negative",
}
NORMAL_BY_GENE = {"CYP3A5": {"Poor Metabolizer"}}


def is_normal(gene, value):
    return value in NORMAL_BY_GENE.get(gene, NORMAL)

# Wordings that state standard prescribing, for rows whose normal row differs only in detail.
STANDARD = re.compile(
    r"^(Initiate therapy with (recommended (starting|standard)|standard recommended dose)|"
    r"Use .{0,40}(per standard dosing|label[- ]recommended|according to the product label)|"
    r"No reason to avoid|Initiate standard starting (daily )?dose\.?$|"
    r"(Based on \w+( status)?, )?(prescribe desired starting dose|start with normal starting dose)|"
    r"Prescribe desired starting dose|No action recommended|There is no need to avoid|"
    r"Based on genotype, there is no indication to change|No adjustments needed|"
    r"If considering clopidogrel, use at standard dose|Initiate efavirenz with standard dosing)")


def texts_index():
    texts, index = [], {}

    def add(t):
        if t not in index:
            index[t] = len(texts)
            texts.append(t)
        return index[t]
    return texts, add


def no_rec(r):
    t = (r["drugrecommendation"] or "").strip()
    return (r["classification"] == "No Recommendation" or t.lower().startswith("no recommendation")
            or t in ("", "n/a"))


def cpic(add):
    drugs, version = [], None
    for f in sorted(glob.glob(os.path.join(SRC, "guidelines_v2.6/cpic/*.json"))):
        d = json.load(open(f))
        version = version or d.get("cpicVersion")
        recs = d.get("recommendations") or []
        if not recs:  # warfarin and a few others: a dosing algorithm, not a lookup table
            continue
        normal = {}
        for r in recs:
            if r["lookupkey"] and all(is_normal(g, v) for g, v in r["lookupkey"].items()):
                normal.setdefault(r["population"], r["drugrecommendation"])
        rows = []
        for r in recs:
            t = (r["drugrecommendation"] or "").strip()
            if no_rec(r):
                change = 2
            elif t == (normal.get(r["population"]) or "").strip() or STANDARD.search(t):
                change = 0
            else:
                change = 1
            rows.append([{g: [v] for g, v in sorted(r["lookupkey"].items())}, add(t),
                         r["classification"] or "", (r["population"] or "general").strip(), change])
        genes = sorted({g for r in recs for g in r["lookupkey"]})
        drugs.append({"drug": d["drugname"], "source": "CPIC", "guideline": d["guidelinename"],
                      "url": d["url"], "match": "lookup", "genes": genes, "recs": rows})
    return drugs, version


def strip_html(s):
    s = re.sub(r"<li>", "- ", s or "")
    s = re.sub(r"</(p|li|ol|ul)>", " ", s)
    s = html.unescape(re.sub(r"<[^>]+>", "", s))
    return re.sub(r"\s+", " ", s).strip()


def fn_pair(gp):
    gene, pair = gp.split(":", 1)
    fs = sorted(re.sub(r"\s*\(AV [^)]*\)", "", x).strip() for x in pair.split("/"))
    return gene, "/".join(fs)


def dpwg(add):
    drugs, versions = [], set()
    for f in sorted(glob.glob(os.path.join(SRC, "guidelines_v2.6/dpwg/*.json"))):
        d = json.load(open(f))
        g = d["guideline"]
        versions.add(g.get("version"))
        chem = [c["name"] for c in g.get("relatedChemicals", [])]
        rows, genes = [], set()
        for grp in d.get("annotationGroups") or []:
            key = {}
            for gp in grp.get("genePhenotypes") or []:
                gene, pair = fn_pair(gp)
                key.setdefault(gene, [])
                if pair not in key[gene]:
                    key[gene].append(pair)
            if not key:
                continue
            genes.update(key)
            status = (grp.get("rxChangeStatus") or {}).get("term", "")
            text = strip_html(grp["recommendation"]["html"])
            change = 0 if status == "No" else 1
            if text.startswith("It is not possible to recommend") or not text:
                change = 2
            rows.append([{k: key[k] for k in sorted(key)}, add(text),
                         (grp.get("strength") or {}).get("term", "") or "", grp.get("name", ""),
                         change])
        for c in chem:
            drugs.append({"drug": c, "source": "DPWG", "guideline": g["name"], "url": g["url"],
                          "match": "function", "genes": sorted(genes), "recs": rows})
    return drugs, versions


def main():
    os.makedirs(OUT, exist_ok=True)
    texts, add = texts_index()
    c, cver = cpic(add)
    d, dvers = dpwg(add)
    out = {"formatVersion": 1,
           "sources": {"CPIC": {"version": "CPIC data " + cver, "commit": COMMIT},
                       "DPWG": {"version": "PharmGKB DPWG annotations (PharmCAT " + COMMIT[:7]
                                + ")", "commit": COMMIT}},
           "texts": texts, "drugs": c + d}
    with open(os.path.join(OUT, "guidelines.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")


main()
