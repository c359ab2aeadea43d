# Shared helpers of the CLI test scripts (sourced; they set GN, T and EUR first).

# manifest503 OUT: the synthetic manifest of the 503-sample panel: made-up CPR numbers,
# sex alternating, DS1/DS2 (every 5th), consent clinical (every 10th), HMB,NPU (every 7th)
# or GRU. Also writes $T/samples.txt (the panel's sample IDs).
manifest503() {
  bcftools query -l "$EUR" > "$T/samples.txt"
  awk 'BEGIN { OFS = "\t"; print "national_id", "sample_id", "sex", "dataset", "consent", "year_of_birth" }
       { i = NR; d = 1 + i % 28; m = 1 + int(i / 28) % 12
         c = (i % 10 == 0) ? "clinical" : (i % 7 == 0) ? "HMB,NPU" : "GRU"
         ds = (i % 5 == 0) ? "DS2" : "DS1"
         printf "%02d%02d85-%04d\t%s\t%s\t%s\t%s\t1985\n", d, m, 1000 + i, $1, (i % 2 ? "female" : "male"), ds, c }' \
      "$T/samples.txt" > "$1"
}

# start_server DIR: starts `genomenode serve DIR` on a free 127.0.0.1 port; sets SRV (pid)
# and P (port, empty when it did not start within 10 s).
start_server() {
  "$GN" serve "$1" --listen 127.0.0.1:0 > "$T/out" 2> "$T/err" &
  SRV=$!
  for _ in $(seq 100); do grep -q listening "$T/out" && break; sleep 0.1; done
  P=$(grep -o ':[0-9]*$' "$T/out" | tr -d :)
}
