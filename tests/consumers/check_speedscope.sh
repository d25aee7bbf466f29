#!/usr/bin/env bash
# Consumer check: speedscope JSON validated against the schema shipped in the
# npm speedscope package, with ajv (validate_speedscope.cjs). The packages are
# installed into a build-local directory (scripts/install-npm-tools), never
# globally. Exit 77 (ctest SKIP) with a loud message when node or the npm
# registry is not available.
#   check_speedscope.sh PROFILE_DIR INSTALL_NPM_TOOLS NPM_DIR
set -uo pipefail
dir=$1 install=$2 npm_dir=$3
skip() {
  echo "======================================================================"
  echo "SKIPPED: $1"
  echo "speedscope files NOT validated against speedscope's schema."
  echo "======================================================================"
  exit 77
}
command -v node >/dev/null || skip "node not found (scripts/install-deps installs nodejs)"
# One installer at a time (ctest -j).
mkdir -p "$(dirname "$npm_dir")"
exec 9>"$npm_dir.lock"
flock 9
"$install" "$npm_dir" || skip "could not install speedscope + ajv from the npm registry"
flock -u 9
exec node "$(dirname "$0")/validate_speedscope.cjs" "$npm_dir" "$dir"/*.speedscope.json
