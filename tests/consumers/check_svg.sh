#!/usr/bin/env bash
# Consumer check: every flamegraph SVG written by write_sample_profiles (the
# hostile-names one included) is well-formed XML for libxml2's xmllint.
# A file with a raw '<' in a name is rejected (negative control).
# Exit 77 (ctest SKIP) with a loud message when xmllint is not installed.
set -uo pipefail
dir=$1
if ! command -v xmllint >/dev/null; then
  echo "======================================================================"
  echo "SKIPPED: xmllint not found: flamegraph SVGs NOT checked for well-formedness."
  echo "Install Debian's libxml2-utils (scripts/install-deps does)."
  echo "======================================================================"
  exit 77
fi
echo "consumer: $(xmllint --version 2>&1 | head -1)"
fail=0
n=0
for svg in "$dir"/*.svg; do
  n=$((n + 1))
  if xmllint --noout "$svg"; then
    echo "well-formed: $svg"
  else
    echo "FAIL: $svg is not well-formed XML"
    fail=1
  fi
done
if [ "$n" -eq 0 ]; then
  echo "FAIL: no SVG in $dir"
  exit 1
fi
# Negative control: the same file with one name unescaped must be rejected.
bad=$(mktemp --suffix=.svg)
sed 's/&lt;\/svg&gt;/<\/svg>/' "$dir/hostile.svg" >"$bad"
if xmllint --noout "$bad" 2>/dev/null; then
  echo "FAIL: xmllint accepted a broken SVG: the check cannot fail"
  fail=1
fi
rm -f "$bad"
[ "$fail" -eq 0 ] && echo "$n passed, 0 failed"
exit $fail
