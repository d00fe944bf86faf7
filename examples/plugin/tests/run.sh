#!/bin/sh
# tests/run.sh — the plugin, as `make check` built it (NND_PLUGIN_PATH points
# at .libs), in the installed nnd: it loads with both kernels, passes
# `nnd plugins --check`, every kernel
# passes nnd gradcheck, and a model through acme.hardswish learns xor on
# each backend. Exit 77 (skipped) only when nnd itself is missing, and not
# under CI, where a missing nnd is a failure.
set -u
NND=${NND:-nnd}
srcdir=${srcdir:-.}
if ! command -v "$NND" > /dev/null 2>&1; then
  echo "nnd not found (configure looked for it on PATH)"
  [ -n "${CI:-}" ] && exit 1
  exit 77
fi
model=$srcdir/tests/xor_hardswish.nnd
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$NND" plugins > "$tmp/plugins" 2>&1
cat "$tmp/plugins"
grep -q "acme-hardswish" "$tmp/plugins" || fail "the plugin did not load"
grep "kernels:" "$tmp/plugins" | grep -q "acme.hardswish/naive" ||
  fail "no naive kernel for acme.hardswish"
# the openmp kernel exists when configure found OpenMP (ACME_OPENMP=yes)
if [ "${ACME_OPENMP:-yes}" = yes ]; then
  grep "kernels:" "$tmp/plugins" | grep -q "acme.hardswish/openmp" ||
    fail "no openmp kernel for acme.hardswish"
fi

# the conformance run nnd gives plugin authors: schema, kernels against
# finite differences and against each other, no write outside the output
so=$(grep -o '^/.*/hardswish\.so$' "$tmp/plugins" | head -n 1)
[ -n "$so" ] || fail "nnd plugins did not show where hardswish.so was loaded from"
"$NND" plugins --check "$so" || fail "nnd plugins --check $so"

for backend in naive openmp; do
  echo "== $backend"
  NND_BACKEND=$backend,naive "$NND" gradcheck "$model" || fail "gradcheck on $backend"
  NND_BACKEND=$backend,naive "$NND" train "$model" --checkpoint "$tmp/$backend.safetensors" \
    --log "$tmp/$backend.csv" > "$tmp/train.out" 2>&1 || { cat "$tmp/train.out"; fail "train on $backend"; }
  tail -n 2 "$tmp/train.out"
  # the last epoch's test accuracy, from the CSV log's header-named column
  acc=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "test_accuracy") c = i; next }
                 { a = $c } END { print a }' "$tmp/$backend.csv")
  echo "test accuracy on $backend: $acc"
  awk -v a="$acc" 'BEGIN { exit !(a != "" && a + 0 >= 0.9 && a + 0 <= 1) }' ||
    fail "xor through acme.hardswish on $backend: test accuracy '$acc', expected >= 0.9"
done
echo "PASS"
