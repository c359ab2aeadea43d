#!/usr/bin/python3
"""bench/hpo-rerank.py — what a learned combination of ranking features could add.

Builds the HPO index and runs `genomenode hpo eval --features FEAT > EVAL` on the development
cases (EVAL gives each case's cohort; FEAT has, per case, the 200 best diseases by the
combined score and the case's own disease), then and fits, for several feature sets, a linear listwise model (softmax over a case's
candidates, the case's disease the answer; cases weighted 1/sqrt(cohort size) so that large
cohorts do not dominate; L2 1e-3; Adam, 300 steps). Each set is scored by 5-fold
cross-validation over cohorts (a cohort is one gene or disease, so no disease is in both the
training and the test folds) and by training on one cohort half and testing on the other
(the halves of bench/hpo-eval.sh). Ranks beyond the 200 re-ranked candidates keep their
combined rank. Prints a Markdown table (docs/hpo.md, round 5).

Usage: bench/hpo-rerank.py [GENOMENODE] [CASES]   (make eval-hpo-rerank; needs python3-numpy;
skips, saying so, when the cases or numpy are absent). About 4 minutes on 2 cores.
"""
import collections
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("hpo-rerank: skipped, python3-numpy is not installed")
    sys.exit(0)

ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
TOP = 200


def cohort_hash(c):
    """The cohort hash of bench/hpo-eval.sh (awk index() is 1-based, 0 when absent)."""
    h = 0
    for ch in c:
        h = (h * 31 + ALPHA.find(ch) + 1) % 1000003
    return h


def load(eval_path, feat_path):
    cohort = {}
    with open(eval_path) as f:
        for line in f:
            if line.startswith("#") or line.startswith("case\t"):
                continue
            v = line.rstrip("\n").split("\t")
            cohort[v[0]] = v[1]
    with open(feat_path) as f:
        head = f.readline().rstrip("\n").split("\t")
        rows = [line.rstrip("\n").split("\t") for line in f]
    case = [r[0] for r in rows]
    num = np.array([[float(x) for x in r[1:3] + r[4:]] for r in rows])
    cols = {k: i for i, k in enumerate(head[1:3] + head[4:])}
    return cohort, case, num, cols


def features(num, cols):
    c = lambda k: num[:, cols[k]]  # noqa: E731
    n_obs = np.maximum(c("n_obs"), 1)
    n_annot = np.maximum(c("n_annot"), 1)
    ann = {
        "combined": c("combined"), "lr": c("lr"), "resnik": c("resnik"), "bma": c("bma"),
        "set": c("set"), "rev": c("rev"), "log_annot": np.log(n_annot + 1),
        "frac_explained": (c("n_exact") + c("n_implied")) / n_obs,
        "frac_exact": c("n_exact") / n_obs, "frac_specific": c("n_specific") / n_obs,
        "frac_partial": c("n_partial") / n_obs, "n_partial": c("n_partial"),
        "ic_explained": c("ic_explained") / np.maximum(c("ic_obs"), 1e-9),
        "ic_unexplained": c("ic_obs") - c("ic_explained"),
        "sim_unexplained": c("sim_unexplained") / n_obs,
        "frac_shown": c("n_shown") / n_annot, "n_shown": c("n_shown"),
        "ic_shown": c("ic_shown") / np.maximum(c("ic_annot"), 1e-9),
        "log_ic_annot": np.log(c("ic_annot") + 1), "twin": c("twin"),
    }
    extra = {"omim": c("omim"), "has_gene": c("has_gene"),
             "n_excluded_has": c("n_excluded_has")}
    return ann, extra


def main():
    gn = sys.argv[1] if len(sys.argv) > 1 else "build/release/genomenode"
    cases = sys.argv[2] if len(sys.argv) > 2 else os.environ.get(
        "HPO_CASES", "../shared/data/phenopackets/index_dev.tsv")
    if not os.path.isfile(cases):
        print("hpo-rerank: skipped, no development cases (%s)" % cases)
        return
    with tempfile.TemporaryDirectory() as tmp:
        idx, ev, feat = (os.path.join(tmp, x) for x in ("hpo.gnhpo", "eval.tsv", "feat.tsv"))
        subprocess.run([gn, "hpo", "build", "--out", idx], check=True, stdout=subprocess.DEVNULL)
        with open(ev, "w") as out:
            subprocess.run([gn, "hpo", "eval", "--index", idx, "--cases", cases, "--features", feat],
                           check=True, stdout=out, stderr=subprocess.DEVNULL)
        cohort, case, num, cols = load(ev, feat)
    rank, target = num[:, cols["rank"]], num[:, cols["target"]]
    ann, extra = features(num, cols)
    groups = collections.OrderedDict()
    for i, c in enumerate(case):
        groups.setdefault(c, []).append(i)
    groups = [(c, np.array(ix)) for c, ix in groups.items() if target[ix].sum() > 0]
    n, k = len(groups), max(len(ix) for _, ix in groups)
    coh = [cohort[c] for c, _ in groups]
    h = np.array([cohort_hash(c) for c in coh])
    size = collections.Counter(coh)
    weight = np.array([1 / np.sqrt(size[c]) for c in coh])
    rk = np.zeros((n, k))
    valid = np.zeros((n, k), bool)
    tgt = np.zeros(n, int)
    for g, (_, ix) in enumerate(groups):
        rk[g, :len(ix)] = rank[ix]
        valid[g, :len(ix)] = rank[ix] <= TOP
        tgt[g] = int(np.argmax(target[ix]))
    trank = rk[np.arange(n), tgt]

    def tensor(names):
        pool = {**ann, **extra}
        f = np.stack([pool[x] for x in names], 1)
        f = (f - f.mean(0)) / (f.std(0) + 1e-9)
        t = np.zeros((n, k, len(names)))
        for g, (_, ix) in enumerate(groups):
            t[g, :len(ix)] = f[ix]
        return t

    def fit(t, mask, start):
        w = start.copy()
        m1 = np.zeros_like(w)
        m2 = np.zeros_like(w)
        tm, vm, gm = t[mask], valid[mask] | (np.arange(k)[None, :] == tgt[mask][:, None]), tgt[mask]
        wm = weight[mask] / weight[mask].sum()
        for it in range(300):
            s = np.where(vm, tm @ w, -1e30)
            s -= s.max(1, keepdims=True)
            p = np.exp(s)
            p /= p.sum(1, keepdims=True)
            grad = np.einsum("n,nk,nkf->f", wm, p, tm) - wm @ tm[np.arange(len(gm)), gm] + 1e-3 * w
            m1 = 0.9 * m1 + 0.1 * grad
            m2 = 0.999 * m2 + 0.001 * grad * grad
            w -= 0.05 * (m1 / (1 - 0.9 ** (it + 1))) / (np.sqrt(m2 / (1 - 0.999 ** (it + 1))) + 1e-8)
        return w

    def ranks(score):
        st = score[np.arange(n), tgt][:, None]
        r = 1 + ((score > st) & valid).sum(1) + 0.5 * ((score == st) & valid).sum(1) - 0.5
        return np.where(trank > TOP, trank, r)

    def line(label, r, mask):
        r = r[mask]
        return "| %s | %d | %.1f%% | %.1f%% | %.1f%% | %.3f |" % (
            label, len(r), 100 * np.mean(r <= 1), 100 * np.mean(r <= 3),
            100 * np.mean(r <= 10), np.mean(1 / r))

    sets = [
        ("learned: annotation features", list(ann)),
        ("learned: combined + exact share", ["combined", "frac_exact"]),
        ("learned: + OMIM namespace and has-gene (not a method)", list(ann) + ["omim", "has_gene"]),
        ("learned: + excluded terms the disease has (not a method)", list(ann) + ["n_excluded_has"]),
    ]
    every = np.ones(n, bool)
    half_a = h % 2 == 0
    print("| model | cases | top-1 | top-3 | top-10 | MRR |")
    print("|---|---|---|---|---|---|")
    base = ranks(tensor(["combined"])[:, :, 0])
    print(line("combined (the default, not re-ranked)", base, every))
    print(line("combined, half B", base, ~half_a))
    for label, names in sets:
        t = tensor(names)
        start = np.zeros(len(names))
        start[names.index("combined")] = 1.0
        score = np.zeros((n, k))
        for fold in range(5):
            test = h % 5 == fold
            score[test] = t[test] @ fit(t, ~test, start)
        print(line(label + ", 5-fold CV", ranks(score), every))
        score = t @ fit(t, half_a, start)
        print(line(label + ", trained on A, half B", ranks(score), ~half_a))


if __name__ == "__main__":
    main()
