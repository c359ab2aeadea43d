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
CPIC_MAP = {}  # --cpic-map: gene -> position id -> CPIC allele -> VCF allele


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
            if op != "missing" and len(args) >= 4 and rs.startswith("chr") and args[2].isdigit():
                rs = "%s:%s" % (rs, args[2])  # variation(gene, chrom, position, alleles...)
                args = [gene, rs] + list(args[3:])
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
                    vmap = (v.get("cpicToVcfAlleleMap") or CPIC_MAP.get(gene, {}).get(key)
                            or {x: x for x in [v["ref"]] + v["alts"]})
                    vcf_a = a if as_is else vmap.get(a)
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


def canon_bv(items):
    """DPYD/RYR1/CACNA1S results in one notation: PharmCAT writes "[a + b]/c",
    "x (heterozygous)" (Reference/x) or a list of variants when no diplotype is formed;
    genomenode writes "a + b/c" or lists variants_found with their zygosity."""
    if len(items) == 1 and ("/" in items[0] or items[0].endswith("zygous)")):
        s = items[0]
        if s.endswith(" (heterozygous)"):
            copies = ["Reference", s[:-15]]
        elif s.endswith(" (homozygous)"):
            copies = [s[:-13], s[:-13]]
        else:
            copies = s.split("/")
        return ("diplotype", sorted(
            tuple(sorted(x.strip() for x in c.strip().strip("[]").split(" + "))) for c in copies))
    return ("variants", sorted(x.replace(" (heterozygous)", "") for x in items))


def ours(gene, g):
    """Our diplotype set for a gene."""
    if g is None:
        return None
    if gene in BY_VARIANT:
        d = g.get("diplotypes") or []
        if len(d) == 1 and d[0] != "Reference/Reference":
            return canon_bv(d)
        if g.get("variants_found"):
            return canon_bv(g["variants_found"])
    return sorted(g.get("diplotypes") or [])


def norm_source(gene, want):
    """PharmCAT source diplotypes -> comparable form."""
    if gene in BY_VARIANT and want != ["Reference/Reference"]:
        return canon_bv(want)
    return sorted(want)


def called(g):
    return g is not None and bool(g.get("diplotypes") or g.get("variants_found"))


def write_subset(o, defs):
    names, out = o.write_subset.split(",")
    want = set(x.strip() for x in open(names) if x.strip())
    rows, cmap = [], {}
    for ln in open(o.rows):
        row = json.loads(ln)
        if row["test"] not in want or "vcf_builder" not in row:
            continue
        rows.append(ln.strip())
        for call in row["vcf_builder"]:
            if call[0] not in ("variation", "variationInPhaseSet"):
                continue
            gene, rs = call[1], call[2]
            if len(call) >= 5 and rs.startswith("chr") and call[3].isdigit():
                rs = "%s:%s" % (rs, call[3])
            for v in defs[gene]["variants"]:
                key = v["rsid"] if v.get("rsid") else "%s:%d" % (v["chromosome"], v["position"])
                if key == rs:
                    cmap.setdefault(gene, {})[key] = v["cpicToVcfAlleleMap"]
    with open(os.path.join(out, "rows.jsonl"), "w") as f:
        f.write("\n".join(rows) + "\n")
    with open(os.path.join(out, "cpic_map.json"), "w") as f:
        json.dump(cmap, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %d rows" % len(rows))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", required=True)
    ap.add_argument("--defs", required=True)
    ap.add_argument("--gn", required=True)
    ap.add_argument("--resources")
    ap.add_argument("--known")
    ap.add_argument("--tmp")
    ap.add_argument("--cpic-map", help="CPIC->VCF allele maps for definitions without them")
    ap.add_argument("--write-subset", help="write the rows named in FILE (one test a line) "
                    "and their CPIC maps to DIR/rows.jsonl, DIR/cpic_map.json, then exit")
    ap.add_argument("--verbose", action="store_true")
    o = ap.parse_args()
    if o.cpic_map:
        CPIC_MAP.update(json.load(open(o.cpic_map)))
    defs = load_defs(o.defs)
    known = {}
    if o.known:
        for ln in open(o.known):
            if ln.strip() and not ln.startswith("#"):
                t, g, why = ln.rstrip("\n").split("\t", 2)
                known[(t, g)] = why
    if o.write_subset:
        return write_subset(o, defs)
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
        res_vcf = None
        if o.resources and len(row.get("resource_vcfs", [])) == 1:
            res_vcf = os.path.join(o.resources,
                                   row["resource_vcfs"][0].replace("org/pharmgkb/pharmcat/", ""))
        if res_vcf and res_vcf.endswith(".vcf") and os.path.exists(res_vcf):
            vcf = res_vcf  # the test's own file (a builder in the same row is another test's)
        elif "vcf_builder" in row:
            text, why = build_vcf(row, defs)
            if text is None:
                skipped[why.split(":")[0]] += 1
                if o.verbose:
                    print("skip %s: %s" % (name, why))
                continue
            vcf = os.path.join(tmp, row["test"] + ".vcf")
            with open(vcf, "w") as f:
                f.write(text)
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

        def check(gene, ok, want, got, kind=""):
            nonlocal npass, nfail
            s = stat[gene]
            s["total"] += 1
            if ok:
                s["agree"] += 1
                npass += 1
                return
            why = known.get((row["test"], gene))
            if (not why and kind == "matcher" and isinstance(got, list) and got
                    and set(got) < set(want)):
                why = ("PharmCAT's matcher test lists every matching diplotype "
                       "(topCandidateOnly off); ours are its top-scoring ones")
            if why:
                s["known"] += 1
                npass += 1
                if o.verbose:
                    print("known %s %s: PharmCAT %s, genomenode %s (%s)"
                          % (name, gene, want, got, why))
                return
            s["differ"] += 1
            nfail += 1
            print("DIFF %s %s %s: PharmCAT %s, genomenode %s%s"
                  % (name, gene, kind, want, got, " (error: %s)" % err[0] if err else ""))

        for kind, args, *rest in exp:
            if kind in ("CalledByMatcher", "NotCalledByMatcher"):
                for gene in args:
                    c = called(genes.get(gene))
                    want = kind == "CalledByMatcher"
                    check(gene, c == want, "called" if want else "not called",
                          "called" if c else "not called", kind)
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
            want = norm_source(gene, want)
            check(gene, got == want, want, got, kind)
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
