#!/usr/bin/env bash
# bench/run.sh - genomenode vs bcftools vs plink2, run side by side on the same data.
#
# Called by `make bench` from the repository root:
#     bash bench/run.sh
#     BENCH_SAMPLES=10000 bash bench/run.sh      # quick run
#
# The result is the *ratios* (same machine, same run, same files), not the
# absolute times.  See bench/README.md for what each row measures.
#
# Settings (environment variables):
#   GN                 genomenode binary           (build/release/genomenode)
#   BENCH_DIR          work directory              (build/bench/work)
#   BENCH_REPORT       copy of the output          (build/bench/report.txt)
#   BENCH_SAMPLES      synthetic cohort size       (100000)
#   BENCH_SITES        first K panel sites only    (all)
#   BENCH_SEED         seed for cohort and subsets (42)
#   BENCH_SWITCH_RATE  template switches per Mb    (1)
#   BENCH_DATASETS     which data sets             ("real synth")
#   BENCH_REPEATS      timed runs per command      (3; the median is reported)
#   BENCH_LOOKUPS      random sites for CLI lookups (20)
#   BENCH_LB_N         lookups for `genomenode lookup-bench` (10000)
#   BENCH_ADD_SAMPLES  samples in the add-batch test (100)
#   BENCH_ADD_TOL      add-batch ratio counted as "~1" up to this value (1.5)
#   BENCH_THREADS      threads for plink2 and the generator (2)
#   BENCH_PLINK_MEM    plink2 --memory in MiB      (4000)
#   BENCH_TIMEOUT      seconds before a command is killed (1800)
#   BENCH_TIMER        auto | builtin | hyperfine  (auto: hyperfine if installed)
#   BENCH_CHECK        1 = also cross-check genomenode answers against bcftools (1)
#   SHARED_DATA        shared data folder          (../shared/data)
#
# A genomenode command that is missing or fails prints n/a; the peers still run.

set -u
set -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

GN=${GN:-build/release/genomenode}
BENCH_DIR=${BENCH_DIR:-build/bench/work}
BENCH_REPORT=${BENCH_REPORT:-build/bench/report.txt}
BENCH_SAMPLES=${BENCH_SAMPLES:-100000}
BENCH_SITES=${BENCH_SITES:-}
BENCH_SEED=${BENCH_SEED:-42}
BENCH_SWITCH_RATE=${BENCH_SWITCH_RATE:-1}
BENCH_DATASETS=${BENCH_DATASETS:-real synth}
BENCH_REPEATS=${BENCH_REPEATS:-3}
BENCH_LOOKUPS=${BENCH_LOOKUPS:-20}
BENCH_LB_N=${BENCH_LB_N:-10000}
BENCH_ADD_SAMPLES=${BENCH_ADD_SAMPLES:-100}
BENCH_ADD_TOL=${BENCH_ADD_TOL:-1.5}
# Each add is timed once (it changes the large store), so at least five pairs: one slow
# fsync on a shared disk moves a median of three.
ADD_N=$((BENCH_REPEATS > 5 ? BENCH_REPEATS : 5))
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_PLINK_MEM=${BENCH_PLINK_MEM:-4000}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1800}
BENCH_TIMER=${BENCH_TIMER:-auto}
BENCH_CHECK=${BENCH_CHECK:-1}
SHARED_DATA=${SHARED_DATA:-../shared/data}

REAL_PANEL=$SHARED_DATA/vcf/pypgx-bundle_1kgp/1kgp_pgx_GRCh38.vcf.gz
SYNTH_PANEL=$SHARED_DATA/vcf/shapeit4_1kgp_EUR_chr20/1kgp_EUR503_chr20_1-4Mb_GRCh37.vcf.gz
GEN=build/bench/gen_mosaic
LOGDIR=$BENCH_DIR/logs
LOG=$LOGDIR/run.log   # stderr of every command goes here, not into the report

# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------

say() { printf '%s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# q ARGS... -> shell-quoted words, for building command strings that are
# later run with eval (builtin timer) or by hyperfine's shell.
# Words are separated by single spaces, with no trailing space.
q() {
    local out='' a
    for a in "$@"; do out+="${out:+ }$(printf '%q' "$a")"; done
    printf '%s' "$out"
}

# Wall clock into the global _T, without forking (bash >= 5 has EPOCHREALTIME).
if [[ -n ${EPOCHREALTIME:-} ]]; then
    _now() { _T=${EPOCHREALTIME/,/.}; }
else
    _now() { _T=$(date +%s.%N); }
fi

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{if(NR==0){print "n/a"; exit}
    if(NR%2) print a[(NR+1)/2]; else printf "%.9g\n", (a[NR/2]+a[NR/2+1])/2}'; }

isnum() { [[ ${1:-} =~ ^[0-9]+([.][0-9]*)?([eE][-+]?[0-9]+)?$ ]]; }

# calc 'awk expression' a b ... -> result, or n/a if any operand is not a number
calc() {
    local expr=$1 v
    shift
    for v in "$@"; do isnum "$v" || { echo n/a; return; }; done
    awk -v a="${1:-0}" -v b="${2:-0}" -v c="${3:-0}" "BEGIN{ x = ($expr); printf \"%.6g\n\", x }"
}

# seconds -> human time
fmt_t() {
    isnum "${1:-}" || { echo n/a; return; }
    awk -v t="$1" 'BEGIN{ if (t < 1e-3) printf "%.1f us\n", t*1e6; else if (t < 1) printf "%.1f ms\n", t*1e3;
                          else printf "%.2f s\n", t }'
}
fmt_x() { isnum "${1:-}" && awk -v x="$1" 'BEGIN{printf (x>=100 ? "%.0fx\n" : "%.2fx\n"), x}' || echo n/a; }
fmt_pct() { isnum "${1:-}" && awk -v x="$1" 'BEGIN{printf "%.3g%%\n", x}' || echo n/a; }
fmt_us() { isnum "${1:-}" && awk -v x="$1" 'BEGIN{printf "%.4g us\n", x}' || echo n/a; }
fmt_n() { isnum "${1:-}" && awk -v x="$1" -v p="${2:-4}" 'BEGIN{printf "%.*g\n", p, x}' || echo n/a; }

# JSON number for key: json_num KEY < json
json_num() { grep -o "\"$1\"[[:space:]]*:[[:space:]]*[-0-9.eE+]*" | head -n 1 | sed 's/.*:[[:space:]]*//'; }

# Deterministic byte stream for shuf --random-source.
seeded() { yes "genomenode-bench-$1" 2>/dev/null; }

filesize() { stat -c %s "$1" 2>/dev/null || echo n/a; }

# PASS / MISS / n/a for "value OP limit"
verdict() {
    local v=$1 op=$2 lim=$3
    isnum "$v" || { echo n/a; return; }
    awk -v v="$v" -v l="$lim" -v op="$op" 'BEGIN{ ok = (op=="<=") ? (v <= l) : (v >= l); print ok ? "PASS" : "MISS" }'
}

# ---------------------------------------------------------------------------
# timing: time_cmd LABEL PREP CMD -> R_T = median wall seconds, or n/a
#   PREP runs (untimed) before every repetition; CMD's stdout goes to
#   /dev/null, stderr to $LOG.  A failing PREP or CMD gives n/a.
# ---------------------------------------------------------------------------

TIMER=builtin
case $BENCH_TIMER in
    builtin) ;;
    hyperfine) TIMER=hyperfine ;;
    auto) command -v hyperfine >/dev/null 2>&1 && TIMER=hyperfine ;;
    *) die "BENCH_TIMER must be auto, builtin or hyperfine" ;;
esac

R_T=n/a
time_cmd() {
    local label=$1 prep=$2 cmd=$3 i rc t0 ts=()
    R_T=n/a
    printf '=== %s\n+ prep: %s\n+ cmd: %s\n' "$label" "$prep" "$cmd" >>"$LOG"
    if [[ $TIMER == hyperfine ]]; then
        local json=$LOGDIR/hf.json run=$cmd
        # At least BENCH_REPEATS runs; hyperfine adds runs up to 3 s of timing (at most
        # 30), so a 30 ms command gets a median of 30 runs rather than of 3.
        local args=(--min-runs "$BENCH_REPEATS" --max-runs 30 --warmup 1 --style none
            --export-json "$json")
        # (with -N hyperfine runs the preparation without a shell too: hence bash -c)
        [[ -n $prep ]] && args+=(--prepare "bash -c $(q "$prep >>$(q "$LOG") 2>&1")")
        # A plain command (no pipe or redirection) runs without a shell and without the
        # timeout wrapper: each of them is a process start that would be added to every
        # tool's time and so flatten the ratios toward 1.
        local plain=${cmd#"$TOQ "}
        if [[ $plain != *['|;&<>$`']* ]]; then
            args+=(-N)
            run=$plain
        else
            args+=(--shell=bash)
            run="$cmd >/dev/null 2>>$(q "$LOG")"
        fi
        rm -f "$json"
        if hyperfine "${args[@]}" "$run" >>"$LOG" 2>&1; then
            R_T=$(json_num median <"$json")
            isnum "$R_T" || R_T=n/a
        else
            note "$label: failed (see $LOG)"
        fi
        return 0
    fi
    for ((i = 1; i <= BENCH_REPEATS; i++)); do
        if [[ -n $prep ]] && ! eval "$prep" >>"$LOG" 2>&1; then
            note "$label: preparation failed (see $LOG)"
            return 0
        fi
        _now; t0=$_T
        eval "$cmd" >/dev/null 2>>"$LOG"
        rc=$?
        _now
        if ((rc != 0)); then
            note "$label: exit status $rc (see $LOG)"
            return 0
        fi
        ts+=("$(awk -v a="$t0" -v b="$_T" 'BEGIN{printf "%.6f", b-a}')")
    done
    R_T=$(median "${ts[@]}")
    echo "+ times: ${ts[*]} -> median $R_T" >>"$LOG"
}

# Time one short command once (no timeout wrapper, so process start-up is the
# same for every tool): sets R_T.
time_once() {
    local cmd=$1 rc t0
    _now; t0=$_T
    eval "$cmd" >/dev/null 2>>"$LOG"
    rc=$?
    _now
    if ((rc != 0)); then R_T=n/a; return 1; fi
    R_T=$(awk -v a="$t0" -v b="$_T" 'BEGIN{printf "%.6f", b-a}')
}

# ---------------------------------------------------------------------------
# tools
# ---------------------------------------------------------------------------

TO=(timeout --kill-after=10 "$BENCH_TIMEOUT")
TOQ=$(q "${TO[@]}")

have_gn=0
have_plink=0
check_tools() {
    command -v bcftools >/dev/null 2>&1 || die "bcftools is required (apt-get install bcftools)"
    command -v shuf >/dev/null 2>&1 || die "shuf (coreutils) is required"
    command -v plink2 >/dev/null 2>&1 && have_plink=1
    if [[ -x $GN ]]; then
        have_gn=1
    else
        say "NOTE: genomenode binary '$GN' not found or not executable: genomenode columns print n/a."
    fi
}

build_gen() {
    if [[ ! -x $GEN || bench/gen_mosaic.c -nt $GEN ]]; then
        mkdir -p "$(dirname "$GEN")"
        # shellcheck disable=SC2046
        ${CC:-cc} -std=c11 -O2 -Wall -Wextra bench/gen_mosaic.c \
            $(pkg-config --cflags --libs htslib 2>/dev/null || echo -lhts) -lm -o "$GEN" ||
            die "cannot build $GEN (needs libhts-dev)"
    fi
}

print_env() {
    say "genomenode benchmark - $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(hostname)"
    say "machine   : $(nproc) CPUs, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
    say "git       : $(git rev-parse --short HEAD 2>/dev/null || echo 'no commit')$(git diff --quiet HEAD 2>/dev/null || echo ' (dirty)')"
    local gv='(not built)'
    if ((have_gn)); then
        gv=$(timeout 10 "$GN" --version 2>/dev/null | head -n 1)
        gv=${gv:-(no --version output)}
    fi
    say "genomenode: $GN $gv"
    say "bcftools  : $(bcftools --version | head -n 2 | tr '\n' ' ')"
    if ((have_plink)); then say "plink2    : $(plink2 --version 2>/dev/null | head -n 1)"; else say "plink2    : not installed (n/a)"; fi
    say "timer     : $TIMER, median of $BENCH_REPEATS runs (CLI lookups: one call per site, median of $BENCH_LOOKUPS sites)"
    say "settings  : BENCH_SAMPLES=$BENCH_SAMPLES BENCH_SEED=$BENCH_SEED BENCH_THREADS=$BENCH_THREADS BENCH_DIR=$BENCH_DIR"
    say ""
}

# ---------------------------------------------------------------------------
# data sets
# ---------------------------------------------------------------------------

# Outputs of prepare_*:  DS_NAME DS_DIR DS_FILE (indexed BCF, GT only)
# DS_BUILD DS_PANEL (panel for add batches) DS_INFO_BCF (optional, full INFO)
DS_NAME='' DS_DIR='' DS_FILE='' DS_BUILD='' DS_PANEL='' DS_INFO_BCF='' DS_DESC=''

prepare_real() {
    DS_NAME=real
    DS_DIR=$BENCH_DIR/real
    DS_BUILD=GRCh38
    DS_DESC="1000G NYGC 30x, 58 pharmacogenes (pypgx-bundle), real phased genotypes"
    mkdir -p "$DS_DIR"
    DS_FILE=$DS_DIR/input.bcf
    DS_INFO_BCF=$DS_DIR/input_with_info.bcf
    local stamp
    stamp="real $(filesize "$REAL_PANEL")"
    if [[ -s $DS_FILE && -s $DS_FILE.csi && $(cat "$DS_DIR/.stamp" 2>/dev/null) == "$stamp" ]]; then
        note "reusing $DS_FILE"
    else
        note "converting $REAL_PANEL to GT-only BCF ..."
        rm -f "$DS_DIR/.stamp"
        bcftools annotate --threads "$BENCH_THREADS" -x INFO,^FORMAT/GT -Ob -o "$DS_FILE" "$REAL_PANEL" 2>>"$LOG" &&
            bcftools index -f "$DS_FILE" 2>>"$LOG" &&
            bcftools view --threads "$BENCH_THREADS" -Ob -o "$DS_INFO_BCF" "$REAL_PANEL" 2>>"$LOG" ||
            { note "preparation failed (see $LOG)"; return 1; }
        echo "$stamp" >"$DS_DIR/.stamp"
    fi
    # add batches are mosaics of the same panel, so they have the same sites
    DS_PANEL=$DS_FILE
}

prepare_synth() {
    local n=$BENCH_SAMPLES
    DS_NAME=synth
    DS_DIR=$BENCH_DIR/synth_$n${BENCH_SITES:+_k$BENCH_SITES}
    DS_BUILD=GRCh37
    DS_DESC="Li & Stephens mosaic of 1000G EUR (503 samples) chr20:1-4 Mb, $n synthetic samples"
    DS_INFO_BCF=''
    DS_PANEL=$SYNTH_PANEL
    mkdir -p "$DS_DIR"
    DS_FILE=$DS_DIR/cohort.bcf
    local stamp
    stamp="n=$n seed=$BENCH_SEED rate=$BENCH_SWITCH_RATE sites=${BENCH_SITES:-all} panel=$(filesize "$SYNTH_PANEL")"
    if [[ -s $DS_FILE && -s $DS_FILE.csi && $DS_FILE -nt $GEN && $(cat "$DS_DIR/.stamp" 2>/dev/null) == "$stamp" ]]; then
        note "reusing $DS_FILE"
    else
        rm -f "$DS_DIR/.stamp"
        note "generating $n samples with gen_mosaic ..."
        _now; local t0=$_T
        "$GEN" -q -n "$n" -s "$BENCH_SEED" -R "$BENCH_SWITCH_RATE" ${BENCH_SITES:+-k "$BENCH_SITES"} \
            -t $((BENCH_THREADS > 1 ? BENCH_THREADS - 1 : 0)) -x -o "$DS_FILE" "$SYNTH_PANEL" 2>>"$LOG" ||
            { note "gen_mosaic failed (see $LOG)"; return 1; }
        _now
        note "generated in $(fmt_t "$(calc 'b-a' "$t0" "$_T")"), $(filesize "$DS_FILE") bytes"
        echo "$stamp" >"$DS_DIR/.stamp"
    fi
}

# ---------------------------------------------------------------------------
# one data set: all measurements
# ---------------------------------------------------------------------------

declare -A RES
SUMMARY=()

bench_dataset() {
    RES=()
    local D=$DS_DIR F=$DS_FILE B=$DS_BUILD
    local W=$D/gn_store P=$D/plink/p
    mkdir -p "$D/plink"

    # ---- shape of the data --------------------------------------------------
    local n_samples n_records n_split
    n_samples=$(bcftools query -l "$F" | wc -l)
    n_records=$(bcftools index -n "$F" 2>/dev/null || bcftools view -H -G "$F" | wc -l)
    bcftools view -G -Ou "$F" 2>>"$LOG" | bcftools norm -m- -Ou 2>>"$LOG" |
        bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\n' >"$D/split_sites.tsv" 2>>"$LOG"
    n_split=$(wc -l <"$D/split_sites.tsv")
    local n_gt=$((n_samples * n_split))
    say "-- data set '$DS_NAME' ($B): $DS_DESC"
    note "file: $F ($(filesize "$F") bytes)"
    note "$n_samples samples x $n_records records ($n_split after splitting multi-allelics) = $n_gt genotypes"

    # ---- inputs for the queries --------------------------------------------
    local k=$((n_samples * 3 / 10))
    ((k < 1)) && k=1
    bcftools query -l "$F" | shuf -n "$k" --random-source=<(seeded "sub$BENCH_SEED") >"$D/sub.txt"
    { echo '#IID'; cat "$D/sub.txt"; } >"$D/sub_plink.txt"
    local one
    one=$(bcftools query -l "$F" | sed -n "$(((n_samples + 1) / 2))p")
    echo "$one" >"$D/one.txt"
    { echo '#IID'; echo "$one"; } >"$D/one_plink.txt"
    awk -F'\t' '$4 != "." && $4 != "*" && $4 !~ /^</' "$D/split_sites.tsv" |
        shuf -n "$BENCH_LOOKUPS" --random-source=<(seeded "look$BENCH_SEED") >"$D/lookups.tsv"
    note "sub-cohort: $k samples (30%); one sample: $one; $(wc -l <"$D/lookups.tsv") lookup sites"

    # The region lookups need a sound index: every lookup site must be found.
    local c p miss=0
    while IFS=$'\t' read -r c p _; do
        [[ -n $(bcftools view -H -G -r "$c:$p" "$F" 2>>"$LOG" | head -c 1) ]] || miss=$((miss + 1))
    done <"$D/lookups.tsv"
    if ((miss)); then
        note "index of $F misses $miss lookup sites: rebuilding it with bcftools index -f"
        bcftools index -f "$F" 2>>"$LOG" || note "bcftools index failed (see $LOG)"
    fi

    # add batches: same sites, new samples (prefix ADD<r>_), one file per repetition
    local r kopt=()
    [[ $DS_NAME == synth && -n $BENCH_SITES ]] && kopt=(-k "$BENCH_SITES")
    for ((r = 1; r <= ADD_N; r++)); do
        "$GEN" -q -n "$BENCH_ADD_SAMPLES" -s $((BENCH_SEED + 1000 + r)) -p "ADD${r}_" "${kopt[@]}" \
            -o "$D/add_$r.bcf" "$DS_PANEL" 2>>"$LOG" || { note "gen_mosaic (add batch) failed"; rm -f "$D/add_$r.bcf"; }
    done

    local gn pl
    gn=$(q "$GN")
    pl="$(q plink2) --threads $BENCH_THREADS --memory $BENCH_PLINK_MEM"
    local plink_in=--bcf

    # ---- 1. ingest ---------------------------------------------------------
    say "  ingest ..."
    if ((have_gn)); then
        time_cmd "genomenode ingest" "rm -rf $(q "$W") && $gn init $(q "$W") --build $B" \
            "$TOQ $gn ingest $(q "$W") --batch b1 $(q "$F")"
        RES[ingest_gn]=$R_T
    fi
    time_cmd "bcftools view -Ou" "" "$TOQ bcftools view -Ou $(q "$F")"
    RES[ingest_bcf]=$R_T
    if ((have_plink)); then
        time_cmd "plink2 --make-pgen" "rm -f $(q "$P.pgen" "$P.pvar" "$P.psam" "$P.log")" \
            "$TOQ $pl $plink_in $(q "$F") --vcf-half-call missing --allow-extra-chr --make-pgen --out $(q "$P")"
        RES[ingest_pl]=$R_T
    fi

    # ---- 2. store size ----------------------------------------------------------
    local stats gn_bytes=n/a gn_self_bits=n/a gn_segments=n/a
    if ((have_gn)) && stats=$("${TO[@]}" "$GN" stats "$W" 2>>"$LOG"); then
        gn_bytes=$(json_num bytes <<<"$stats")
        gn_self_bits=$(json_num bits_per_genotype <<<"$stats")
        gn_segments=$(json_num segments <<<"$stats")
        local s_samples s_sites
        s_samples=$(json_num samples <<<"$stats")
        s_sites=$(json_num sites <<<"$stats")
        note "genomenode stats: samples=${s_samples:-?} sites=${s_sites:-?} segments=${gn_segments:-?} bytes=${gn_bytes:-?} bits_per_genotype=${gn_self_bits:-?}"
        [[ -n ${s_samples:-} && $s_samples != "$n_samples" ]] && note "WARNING: genomenode reports $s_samples samples, the file has $n_samples"
        [[ -n ${s_sites:-} && $s_sites != "$n_split" ]] && note "WARNING: genomenode reports $s_sites sites, bcftools norm -m- gives $n_split"
    elif ((have_gn)); then
        note "genomenode stats: n/a"
    fi
    RES[size_gn]=$(calc 'a*8/b' "${gn_bytes:-n/a}" "$n_gt")
    RES[size_bcf]=$(calc 'a*8/b' "$(filesize "$F")" "$n_gt")
    RES[size_pl]=$(calc 'a*8/b' "$(filesize "$P.pgen")" "$n_gt")
    if [[ -s $P.pvar ]]; then
        note "plink2 .pgen $(filesize "$P.pgen") B (+ .pvar $(filesize "$P.pvar") B, .psam $(filesize "$P.psam") B, not counted)"
    fi
    if [[ -n $DS_INFO_BCF && -s $DS_INFO_BCF ]]; then
        note "BCF as distributed (all INFO fields): $(fmt_n "$(calc 'a*8/b' "$(filesize "$DS_INFO_BCF")" "$n_gt")") bits/genotype (the table uses the GT-only BCF)"
    fi

    # ---- 3. single-variant lookup ----------------------------------------------
    say "  lookups ..."
    local chrom pos ref alt key ts_gn=() ts_bcf=() agree=0 checked=0
    local gn_ok=0
    if ((have_gn)); then
        # warm-up call under a timeout: if it fails or hangs, skip genomenode lookups
        read -r chrom pos ref alt <"$D/lookups.tsv"
        "${TO[@]}" "$GN" count "$W" "$chrom:$pos:$ref:$alt" >/dev/null 2>>"$LOG" && gn_ok=1
        ((gn_ok)) || note "genomenode count: failed on the warm-up call (see $LOG)"
    fi
    bcftools view -H -r "$(head -n 1 "$D/lookups.tsv" | cut -f1,2 | tr '\t' ':')" "$F" >/dev/null 2>>"$LOG"
    while IFS=$'\t' read -r chrom pos ref alt; do
        key=$chrom:$pos:$ref:$alt
        if ((gn_ok)); then
            time_once "$gn count $(q "$W") $(q "$key")" && ts_gn+=("$R_T")
        fi
        time_once "bcftools view -H -r $(q "$chrom:$pos") $(q "$F")" && ts_bcf+=("$R_T")
        if ((gn_ok && BENCH_CHECK)); then
            local j gac gan bac ban
            j=$("$GN" count "$W" "$key" 2>>"$LOG")
            gac=$(json_num ac <<<"$j")
            gan=$(json_num an <<<"$j")
            read -r bac ban < <(bcftools view -r "$chrom:$pos" -Ou "$F" 2>>"$LOG" | bcftools norm -m- -Ou 2>>"$LOG" |
                bcftools +fill-tags -Ou - -- -t AC,AN 2>>"$LOG" |
                bcftools query -f '%POS\t%REF\t%ALT\t%AC\t%AN\n' 2>>"$LOG" |
                awk -F'\t' -v p="$pos" -v r="$ref" -v a="$alt" '$1==p && $2==r && $3==a {print $4, $5; exit}')
            checked=$((checked + 1))
            if [[ -n ${gac:-} && ${gac:-x} == "${bac:-y}" && ${gan:-x} == "${ban:-y}" ]]; then
                agree=$((agree + 1))
            else
                echo "lookup mismatch $key: genomenode ac=${gac:-?} an=${gan:-?}, bcftools ac=${bac:-?} an=${ban:-?}" >>"$LOG"
            fi
        fi
    done <"$D/lookups.tsv"
    ((${#ts_gn[@]})) && RES[look_gn]=$(median "${ts_gn[@]}")
    ((${#ts_bcf[@]})) && RES[look_bcf]=$(median "${ts_bcf[@]}")
    ((gn_ok && ${#ts_gn[@]} < $(wc -l <"$D/lookups.tsv"))) && note "genomenode count failed on $(($(wc -l <"$D/lookups.tsv") - ${#ts_gn[@]})) sites"
    ((checked)) && note "check: genomenode count AC/AN equals bcftools on $agree/$checked sites"

    # in-process lookups
    if ((have_gn)); then
        local p50s=() p99s=() out i
        for ((i = 1; i <= BENCH_REPEATS; i++)); do
            if out=$("${TO[@]}" "$GN" lookup-bench "$W" --n "$BENCH_LB_N" 2>>"$LOG"); then
                local a b
                a=$(json_num p50_us <<<"$out")
                b=$(json_num p99_us <<<"$out")
                isnum "$a" && p50s+=("$a")
                isnum "$b" && p99s+=("$b")
            fi
        done
        ((${#p50s[@]})) && RES[lb_p50]=$(median "${p50s[@]}")
        ((${#p99s[@]})) && RES[lb_p99]=$(median "${p99s[@]}")
        ((${#p50s[@]})) || note "genomenode lookup-bench: n/a"
    fi

    # ---- 4. 30% sub-cohort allele frequencies -----------------------------
    say "  sub-cohort AF ..."
    if ((have_gn)); then
        time_cmd "genomenode freq --samples" "" "$TOQ $gn freq $(q "$W") --samples $(q "$D/sub.txt")"
        RES[freq_gn]=$R_T
    fi
    time_cmd "bcftools view -S | query %AC" "" \
        "$TOQ bcftools view -S $(q "$D/sub.txt") -Ou $(q "$F") | $TOQ bcftools query -f '%AC\n'"
    RES[freq_bcf]=$R_T
    if ((have_plink)) && [[ -s $P.pgen ]]; then
        time_cmd "plink2 --keep --freq" "" "$TOQ $pl --pfile $(q "$P") --keep $(q "$D/sub_plink.txt") --freq --out $(q "$D/plink/fsub")"
        RES[freq_pl]=$R_T
    fi
    if ((have_gn && BENCH_CHECK)) && isnum "${RES[freq_gn]:-}"; then
        # AC/AN per split allele, compared without the chr prefix
        "${TO[@]}" "$GN" freq "$W" --samples "$D/sub.txt" 2>>"$LOG" |
            awk -F'\t' 'NR>1 || $1 !~ /^#?CHROM/ {sub(/^chr/,"",$1); print $1"\t"$2"\t"$3"\t"$4"\t"$5"\t"$6}' |
            sort >"$D/freq_gn.tsv"
        bcftools view -S "$D/sub.txt" -Ou "$F" 2>>"$LOG" | bcftools norm -m- -Ou 2>>"$LOG" |
            bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\t%AC\t%AN\n' 2>>"$LOG" |
            awk -F'\t' '{sub(/^chr/,"",$1); print}' OFS='\t' | sort >"$D/freq_bcf.tsv"
        local same
        same=$(comm -12 "$D/freq_gn.tsv" "$D/freq_bcf.tsv" | wc -l)
        note "check: genomenode freq rows identical to bcftools (CHROM POS REF ALT AC AN): $same of $(wc -l <"$D/freq_bcf.tsv") (genomenode printed $(wc -l <"$D/freq_gn.tsv"))"
    fi

    # ---- 5. one sample's genotypes ------------------------------------------
    say "  one sample's genotypes ..."
    if ((have_gn)); then
        time_cmd "genomenode genotypes --sample" "" "$TOQ $gn genotypes $(q "$W") --sample $(q "$one")"
        RES[geno_gn]=$R_T
    fi
    time_cmd "bcftools view -s | view -i GT=alt" "" \
        "$TOQ bcftools view -s $(q "$one") -Ou $(q "$F") | $TOQ bcftools view -i 'GT=\"alt\"'"
    RES[geno_bcf]=$R_T
    if ((have_plink)) && [[ -s $P.pgen ]]; then
        time_cmd "plink2 --keep one --export vcf" "" \
            "$TOQ $pl --pfile $(q "$P") --keep $(q "$D/one_plink.txt") --export vcf --out $(q "$D/plink/one")"
        RES[geno_pl]=$R_T
    fi

    # ---- 6. add a batch: empty store vs the large store ------------------------
    # (last, because it adds samples to the large store)
    say "  add a $BENCH_ADD_SAMPLES-sample batch ..."
    if ((have_gn)) && [[ -s $D/add_1.bcf ]]; then
        local E=$D/gn_empty ts_e=() ts_l=() why=''
        echo "=== add batch (empty store $E, large store $W)" >>"$LOG"
        for ((r = 1; r <= ADD_N; r++)); do
            rm -rf "$E"
            "${TO[@]}" "$GN" init "$E" --build "$B" >>"$LOG" 2>&1 || { why="init of the empty store failed"; break; }
            time_once "$TOQ $gn ingest $(q "$E") --batch add$r $(q "$D/add_$r.bcf")" ||
                { why="ingest into the empty store failed"; break; }
            ts_e+=("$R_T")
            time_once "$TOQ $gn ingest $(q "$W") --batch add$r $(q "$D/add_$r.bcf")" ||
                { why="ingest into the large store failed"; break; }
            ts_l+=("$R_T")
        done
        rm -rf "$E"
        if [[ -z $why ]]; then
            RES[add_empty]=$(median "${ts_e[@]}")
            RES[add_large]=$(median "${ts_l[@]}")
            echo "+ empty: ${ts_e[*]}; large: ${ts_l[*]}" >>"$LOG"
        else
            note "genomenode add-batch: n/a, $why (see $LOG)"
        fi
    fi

    report_dataset "$n_samples" "$n_split"
}

# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

tline() { # verdict text target [note]
    printf '%-5s %-44s %s%s' "$1" "$2" "$3" "${4:-}"
}

row() { # name gn bcftools plink2 ratio_bcf ratio_pl
    printf '  %-36s %12s %12s %12s %12s %12s\n' "$@"
}

report_dataset() {
    local ns=$1 nsites=$2
    local r
    say ""
    say "== Results: $DS_NAME ($ns samples x $nsites sites; $DS_BUILD)"
    say "   ratio columns = peer / genomenode: above 1 means genomenode is smaller or faster"
    row "measurement" "genomenode" "bcftools" "plink2" "bcftools/GN" "plink2/GN"
    row "------------------------------------" "----------" "----------" "----------" "----------" "----------"
    row "store size (bits/genotype)" "$(fmt_n "${RES[size_gn]:-}")" "$(fmt_n "${RES[size_bcf]:-}")" "$(fmt_n "${RES[size_pl]:-}")" \
        "$(fmt_x "$(calc 'a/b' "${RES[size_bcf]:-}" "${RES[size_gn]:-}")")" \
        "$(fmt_x "$(calc 'a/b' "${RES[size_pl]:-}" "${RES[size_gn]:-}")")"
    local t
    for t in "ingest|ingest (bcftools: view -Ou)" "look|lookup, 1 CLI call (median)" \
        "freq|30% sub-cohort AF, all sites" "geno|one sample's genotypes"; do
        local k=${t%%|*} name=${t#*|}
        row "$name" "$(fmt_t "${RES[${k}_gn]:-}")" "$(fmt_t "${RES[${k}_bcf]:-}")" "$(fmt_t "${RES[${k}_pl]:-}")" \
            "$(fmt_x "$(calc 'a/b' "${RES[${k}_bcf]:-}" "${RES[${k}_gn]:-}")")" \
            "$(fmt_x "$(calc 'a/b' "${RES[${k}_pl]:-}" "${RES[${k}_gn]:-}")")"
    done
    row "lookup in-process p50 / p99" "$(fmt_us "${RES[lb_p50]:-}")" "-" "-" "" ""
    row "" "$(fmt_us "${RES[lb_p99]:-}")" "" "" "" ""
    local addr
    addr=$(calc 'a/b' "${RES[add_large]:-}" "${RES[add_empty]:-}")
    say "  add $BENCH_ADD_SAMPLES samples: into an empty store $(fmt_t "${RES[add_empty]:-}"), into the large store $(fmt_t "${RES[add_large]:-}"), ratio large/empty $(fmt_n "$addr" 3)"

    # targets from the issue
    local size_bcf size_pl freq_x ingest_x p50
    size_bcf=$(calc 'a/b' "${RES[size_gn]:-}" "${RES[size_bcf]:-}")
    size_pl=$(calc 'a/b' "${RES[size_gn]:-}" "${RES[size_pl]:-}")
    freq_x=$(calc 'a/b' "${RES[freq_pl]:-}" "${RES[freq_gn]:-}")
    ingest_x=$(calc 'a/b' "${RES[ingest_bcf]:-}" "${RES[ingest_gn]:-}")
    p50=${RES[lb_p50]:-n/a}
    local at=""
    ((ns < 100000)) && at="  (at $ns samples; the target is for 100k)"
    local ingest_pct
    ingest_pct=$(calc 'a*100' "$ingest_x")
    local lines=(
        "$(tline "$(verdict "$size_bcf" '<=' 0.5)" "store size GN/BCF = $(fmt_n "$size_bcf" 3)" "target <= 0.5")"
        "$(tline "$(verdict "$size_pl" '<=' 1)" "store size GN/pgen = $(fmt_n "$size_pl" 3)" "target <= 1")"
        "$(tline "$(verdict "$freq_x" '>=' 5)" "sub-cohort AF vs plink2 = $(fmt_x "$freq_x") faster" "target >= 5x")"
        "$(tline "$(verdict "$p50" '<=' 50)" "in-process lookup p50 = $(fmt_us "$p50")" "target <= 50 us" "$at")"
        "$(tline "$(verdict "$ingest_x" '>=' 0.5)" "ingest = $(fmt_pct "$ingest_pct") of bcftools view -Ou" "target >= 50%")"
        "$(tline "$(verdict "$addr" '<=' "$BENCH_ADD_TOL")" "add-batch time large/empty = $(fmt_n "$addr" 3)" "target ~1 (<= $BENCH_ADD_TOL)")"
    )
    say ""
    say "   targets ($DS_NAME):"
    local l
    for l in "${lines[@]}"; do
        say "   $l"
        SUMMARY+=("$(printf '%-6s %s' "$DS_NAME" "$l")")
    done
    say ""
}

# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

main() {
    mkdir -p "$BENCH_DIR" "$LOGDIR"
    : >"$LOG"
    check_tools
    build_gen
    print_env

    local ds ran=0
    for ds in $BENCH_DATASETS; do
        case $ds in
            real)
                if [[ ! -r $REAL_PANEL ]]; then
                    say "-- data set 'real': SKIPPED, $REAL_PANEL not found (set SHARED_DATA=/path/to/shared/data)"
                    say ""
                    continue
                fi
                say "-- preparing 'real'"
                prepare_real || continue
                ;;
            synth)
                if [[ ! -r $SYNTH_PANEL ]]; then
                    say "-- data set 'synth': SKIPPED, panel $SYNTH_PANEL not found (set SHARED_DATA=/path/to/shared/data)"
                    say ""
                    continue
                fi
                say "-- preparing 'synth'"
                prepare_synth || continue
                ;;
            *)
                say "-- unknown data set '$ds' (use real, synth)"
                continue
                ;;
        esac
        bench_dataset
        ran=$((ran + 1))
    done

    say "== Summary of targets (PASS/MISS; n/a = not measured)"
    if ((${#SUMMARY[@]} == 0)); then
        say "   no data set was run"
    else
        local l
        for l in "${SUMMARY[@]}"; do say "   $l"; done
    fi
    say ""
    say "Ratios are the result; absolute times depend on the machine and its load."
    say "Command log: $LOG    Report: $BENCH_REPORT"
    ((ran > 0))
}

mkdir -p "$(dirname "$BENCH_REPORT")" "$BENCH_DIR"
main "$@" 2>&1 | tee "$BENCH_REPORT"
exit "${PIPESTATUS[0]}"
