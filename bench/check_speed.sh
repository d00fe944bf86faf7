#!/bin/sh
# bench/check_speed.sh — how fast `nnd check` compiles deep models, and how its
# memory grows with them. Generates models of 1,000, 10,000 and 100,000 layers
# (dense/relu pairs, every layer a binding, so names, scopes, shape inference
# and parameter declarations are all exercised), runs `nnd check` on each
# several times and prints the best wall time and the peak resident memory.
#
# usage: bench/check_speed.sh [path/to/nnd]      (default: ./nnd)
# Timings belong here, never in the test suite.
set -eu
NND=${1:-./nnd}
RUNS=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gen() {  # gen LAYERS FILE
  awk -v n="$1" 'BEGIN {
    print "model deep \"generated: " n " layers\""
    print "input x: [16]"
    print "h0 = x"
    for (i = 1; i <= n; i++) {
      if (i % 2) printf "h%d = dense(h%d, units=16)\n", i, i - 1
      else       printf "h%d = relu(h%d)\n", i, i - 1
    }
  }' > "$2"
}

now_ns() { date +%s%N; }

printf '%-8s %10s %12s %14s\n' layers "best ms" "peak RSS" "RSS per layer"
for n in 1000 10000 100000; do
  f="$tmp/deep_$n.nnd"
  gen "$n" "$f"
  best=""
  for _ in $(seq "$RUNS"); do
    t0=$(now_ns)
    "$NND" check -q "$f"
    t1=$(now_ns)
    ms=$(( (t1 - t0) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  if [ -x /usr/bin/time ]; then
    kb=$(/usr/bin/time -f '%M' "$NND" check -q "$f" 2>&1 >/dev/null | tail -n 1)
    per=$(awk -v kb="$kb" -v n="$n" 'BEGIN { printf "%.2f KiB", kb / n }')
    printf '%-8s %10s %9s KiB %14s\n' "$n" "$best" "$kb" "$per"
  else
    printf '%-8s %10s %12s %14s\n' "$n" "$best" "-" "-"
  fi
done
