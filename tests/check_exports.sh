#!/bin/sh
# tests/check_exports.sh — libnnd.so exports exactly the functions <nnd/nnd.h>
# declares: no internal function leaks into the ABI (and so into
# debian/libnnd0.symbols), and none of the header's is missing.
set -u
srcdir=${srcdir:-.}
lib=.libs/libnnd.so
if ! command -v nm > /dev/null; then
  echo "nm not found"
  # under CI a missing tool fails the test instead of skipping it
  [ -n "${CI:-}" ] && exit 1
  exit 77
fi
test -f "$lib" || { echo "$lib not built"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ { print $3 }' | sort > "$tmp/exported"
sed -n 's/^[a-z_][a-z0-9_ ]*[ *]\(nnd_[a-z0-9_]*\)(.*/\1/p' "$srcdir/include/nnd/nnd.h" |
  sort > "$tmp/declared"
test -s "$tmp/declared" || { echo "no function found in nnd.h"; exit 1; }
status=0
extra=$(comm -23 "$tmp/exported" "$tmp/declared")
missing=$(comm -13 "$tmp/exported" "$tmp/declared")
if [ -n "$extra" ]; then
  echo "libnnd.so exports $(echo "$extra" | wc -l) functions nnd.h does not declare:"
  echo "$extra" | head -20
  status=1
fi
# the Debian symbols file lists the same functions, so a new one of nnd.h
# is caught here and not first by lintian in the package build
symbols="$srcdir/debian/libnnd0.symbols"
if [ -f "$symbols" ]; then
  sed -n 's/^ \(nnd_[a-z0-9_]*\)@Base .*/\1/p' "$symbols" | sort > "$tmp/symbols"
  if ! cmp -s "$tmp/symbols" "$tmp/exported"; then
    echo "debian/libnnd0.symbols and libnnd.so differ (< symbols file, > library):"
    diff "$tmp/symbols" "$tmp/exported" | grep '^[<>]'
    status=1
  fi
fi
if [ -n "$missing" ]; then
  echo "nnd.h declares functions libnnd.so does not export:"
  echo "$missing"
  status=1
fi
[ $status -eq 0 ] && echo "libnnd.so exports the $(wc -l < "$tmp/declared") functions of nnd.h"
exit $status
