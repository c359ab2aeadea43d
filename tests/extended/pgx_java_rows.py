#!/usr/bin/env python3
"""PharmCAT Java-test rows -> VCFs -> `genomenode pgx --vcf` -> concordance.

Rows: expected_calls_from_java_tests.jsonl (facts extracted from PharmCAT's Java tests at
5431bf1, MPL-2.0; see /work/shared/data/pgx/SOURCES.md), one JSON object per test method:
`vcf_builder` (the TestVcfBuilder calls), `resource_vcfs`, `definition_gene`, `expect`.

The VCF is built as PharmCAT's TestVcfBuilder documents its output (behaviour only, no code
taken): every definition position of each gene the test names, reference (0/0, or 0|0 when
phased; one allele on chrX for male) unless the test edits it; `missing` drops the line;
`variation(gene, rsid, a1, a2)` gives CPIC alleles, mapped to VCF alleles with the
definition's cpicToVcfAlleleMap (an allele not in the map with `allowUnknownAllele` is
written as an extra ALT); `variationInPhaseSet(gene, rsid, ps, a1, a2)` adds PS.

Compared, per expectation (the matcher layer only):
  matcher            NamedAlleleMatcher's diplotypes for definition_gene (set equality)
  SourceDiplotypes   the gene's source diplotypes (set; DPYD/RYR1/CACNA1S as variants)
  PrintCpicCalls     same, CPIC notation (CYP2C19 *38 printed *1 as PharmCAT prints it)
  CalledByMatcher / NotCalledByMatcher
RecommendedDiplotypes, PrintCalls and RecommendedPhenotype are PharmCAT's phenotype/report
layer and are counted as "not compared". Rows whose extraction is doubtful (empty expected
lists, a builder repeated in one method, builder calls we do not model) are "skipped"
with the reason. Known, explained disagreements: --known FILE (test<TAB>gene<TAB>reason).

Usage: pgx_java_rows.py --rows ROWS --defs DIR --gn GENOMENODE [--resources DIR]
       [--known FILE] [--tmp DIR] [--verbose]
Prints one line per disagreement, a per-gene table, and "N passed, M failed".
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

MATCHER_LAYER = {"matcher", "SourceDiplotypes", "PrintCpicCalls", "CalledByMatcher",
                 "NotCalledByMatcher"}
BY_VARIANT = {"DPYD", "RYR1", "CACNA1S"}
NOT_FROM_VCF = {"CYP2D6", "HLA-A", "HLA-B", "MT-RNR1"}


def load_defs(d):
    defs = {}
    for f in os.listdir(d):
        if f.endswith("_translation.json"):
            j = json.load(open(os.path.join(d, f)))
            defs[j["gene"]] = j
    return defs


def build_vcf(row, defs):
    """Returns (vcf text, None) or (None, reason)."""
    phased = False
    unknown_ok = False
    n_x = 2
    edits = {}  # gene -> {id: (alleles or None, ps, as_is)}
    order = []
    seen = set()
    for call in row["vcf_builder"]:
        op, args = call[0], call[1:]
        if op == "phased":
            phased = True
        elif op == "allowUnknownAllele":
            unknown_ok = True
        elif op == "male":
            n_x = 1
        elif op == "female":
            n_x = 2
        elif op in ("reference", "variation", "missing", "variationInPhaseSet",
                    "variationAsIs", "extraPosition", "missingExtraPosition"):
            gene = args[0]
            if gene not in defs:
                return None, "gene %s has no definition" % gene
            if gene not in edits:
                edits[gene] = {}
                order.append(gene)
            if op == "reference":
                continue
            if op in ("extraPosition", "missingExtraPosition"):
                continue  # PharmCAT's extra positions are not definition positions
            if op == "missing":
                for rs in args[1:]:
                    edits[gene][rs] = (None, None, False)
                continue
            rs = args[1]
            if (gene, rs) in seen:
                return None, "several VCFs built in one test method"
            seen.add((gene, rs))
            if op == "variationInPhaseSet":
                ps, alleles = args[2], args[3:]
            else:
                ps, alleles = None, args[2:]
            if any(a in ("true", "false") for a in alleles) or not 1 <= len(alleles) <= 2:
                return None, "builder arguments not understood: %s" % call
            edits[gene][rs] = (list(alleles), ps, op == "variationAsIs")
        else:
            return None, "builder call %s not modelled" % op
    if not edits:
        return None, "no gene in the builder"
    sep = "|" if phased else "/"
    lines = ["##fileformat=VCFv4.2", "##reference=GRCh38",
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">']
    chroms = []
    body = []
    for gene in order:
        d = defs[gene]
        chrom = d["chromosome"]
        if chrom not in chroms:
            chroms.append(chrom)
        used = set()
        for v in d["variants"]:
            key = v["rsid"] if v.get("rsid") else "%s:%d" % (chrom, v["position"])
            e = edits[gene].get(key)
            alts = list(v["alts"])
            fmt, ps = "GT", None
            if e is None:
                n = 1 if (chrom == "chrX" and n_x == 1) or chrom == "chrM" else 2
                gt = sep.join(["0"] * n)
            else:
                used.add(key)
                alleles, ps, as_is = e
                if alleles is None:
                    continue
                idx = []
                for a in alleles:
                    vcf_a = a if as_is else v["cpicToVcfAlleleMap"].get(a)
                    if vcf_a is None:
                        if not unknown_ok:
                            return None, "%s: no VCF allele for %s" % (key, a)
                        vcf_a = a
                    if vcf_a == v["ref"]:
                        idx.append("0")
                    else:
                        if vcf_a not in alts:
                            if not (unknown_ok or as_is):
                                return None, "%s: %s neither REF nor ALT" % (key, vcf_a)
                            alts.append(vcf_a)
                        idx.append(str(alts.index(vcf_a) + 1))
                gt = sep.join(idx)
                if ps is not None:
                    fmt = "GT:PS"
                    gt += ":" + ps
            body.append((chrom, v["position"], "\t".join(
                [chrom, str(v["position"]), v.get("rsid") or ".", v["ref"], ",".join(alts),
                 ".", "PASS", "PX=" + gene, fmt, gt])))
        extra = set(edits[gene]) - used
        if extra:
            return None, "not a %s definition position: %s" % (gene, ",".join(sorted(extra)))
    for c in chroms:
        lines.append("##contig=<ID=%s>" % c)
    lines.append('##INFO=<ID=PX,Number=.,Type=String,Description="gene">')
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
                            "FORMAT", "SAMPLE"]))
    lines += [b[2] for b in body]
    return "\n".join(lines) + "\n", None


def ours(gene, g):
    """Our diplotype set for a gene, in PharmCAT's source-diplotype notation."""
    if g is None:
        return None
    if gene in BY_VARIANT and g.get("variants_found"):
        return sorted(g["variants_found"])
    return sorted(g.get("diplotypes") or [])


def norm_source(gene, want):
    """PharmCAT source diplotypes -> comparable strings."""
    out = []
    for w in want:
        out.append(w)
    return sorted(out)


def called(g):
    return g is not None and bool(g.get("diplotypes") or g.get("variants_found"))


def cpic_notation(gene, dips):
    if gene != "CYP2C19":
        return dips
    return sorted("/".join("*1" if a == "*38" else a for a in d.split("/")) for d in dips)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", required=True)
    ap.add_argument("--defs", required=True)
    ap.add_argument("--gn", required=True)
    ap.add_argument("--resources")
    ap.add_argument("--known")
    ap.add_argument("--tmp")
    ap.add_argument("--verbose", action="store_true")
    o = ap.parse_args()
    defs = load_defs(o.defs)
    known = {}
    if o.known:
        for ln in open(o.known):
            if ln.strip() and not ln.startswith("#"):
                t, g, why = ln.rstrip("\n").split("\t", 2)
                known[(t, g)] = why
    tmp = o.tmp or tempfile.mkdtemp()
    stat = defaultdict(lambda: defaultdict(int))
    skipped = defaultdict(int)
    not_compared = 0
    npass = nfail = 0
    for ln in open(o.rows):
        row = json.loads(ln)
        exp = [e for e in row.get("expect", []) if e[0] in MATCHER_LAYER]
        not_compared += len(row.get("expect", [])) - len(exp)
        if not exp:
            continue
        name = row["class"] + "." + row["test"]
        vcf = None
        if "vcf_builder" in row:
            text, why = build_vcf(row, defs)
            if text is None:
                skipped[why.split(":")[0]] += 1
                if o.verbose:
                    print("skip %s: %s" % (name, why))
                continue
            vcf = os.path.join(tmp, row["test"] + ".vcf")
            with open(vcf, "w") as f:
                f.write(text)
        elif o.resources and len(row.get("resource_vcfs", [])) == 1:
            p = row["resource_vcfs"][0].replace("org/pharmgkb/pharmcat/", "")
            vcf = os.path.join(o.resources, p)
            if not os.path.exists(vcf):
                skipped["resource VCF not in the snapshot"] += 1
                continue
        else:
            skipped["no single input"] += 1
            continue
        r = subprocess.run([o.gn, "pgx", "--vcf", vcf], capture_output=True, text=True)
        if r.returncode != 0:
            res = {"genes": []}
            err = r.stderr.strip().splitlines()[-1:] or ["?"]
        else:
            res = json.loads(r.stdout)
            err = None
        genes = {g["gene"]: g for g in res["genes"]}

        def check(gene, ok, want, got):
            nonlocal npass, nfail
            s = stat[gene]
            s["total"] += 1
            if ok:
                s["agree"] += 1
                npass += 1
                return
            why = known.get((row["test"], gene))
            if why:
                s["known"] += 1
                npass += 1
                if o.verbose:
                    print("known %s %s: PharmCAT %s, genomenode %s (%s)"
                          % (name, gene, want, got, why))
                return
            s["differ"] += 1
            nfail += 1
            print("DIFF %s %s: PharmCAT %s, genomenode %s%s"
                  % (name, gene, want, got, " (error: %s)" % err[0] if err else ""))

        for kind, args, *rest in exp:
            if kind in ("CalledByMatcher", "NotCalledByMatcher"):
                for gene in args:
                    if gene in NOT_FROM_VCF:
                        g = genes.get(gene)
                        c = called(g) and gene != "CYP2D6"
                    else:
                        c = called(genes.get(gene))
                    want = kind == "CalledByMatcher"
                    check(gene, c == want, "called" if want else "not called",
                          "called" if c else "not called")
                continue
            if kind == "matcher":
                gene = row.get("definition_gene")
                want = sorted(args)
            else:
                if not args or rest:
                    skipped["expected value not extracted"] += 1
                    continue
                gene, want = args[0], sorted(args[1:])
            if not gene or not want:
                skipped["expected value not extracted"] += 1
                continue
            got = ours(gene, genes.get(gene))
            if kind == "PrintCpicCalls":
                got = cpic_notation(gene, got or [])
            if kind == "SourceDiplotypes" or kind == "PrintCpicCalls":
                want = norm_source(gene, want)
            check(gene, got == want, want, got)
    print("pgx java rows: per gene (agree / known / differ of compared expectations)")
    for g in sorted(stat):
        s = stat[g]
        print("pgx java %-8s %3d/%3d agree, %d known, %d differ"
              % (g, s["agree"], s["total"], s["known"], s["differ"]))
    t = sum(s["total"] for s in stat.values())
    a = sum(s["agree"] for s in stat.values())
    print("pgx java all      %3d/%3d agree (%.1f%%)" % (a, t, 100.0 * a / max(t, 1)))
    for why, n in sorted(skipped.items()):
        print("pgx java skipped %d: %s" % (n, why))
    print("pgx java not compared (phenotype/report layer): %d expectations" % not_compared)
    print("%d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
