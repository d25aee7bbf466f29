#!/usr/bin/env bash
# Browser check: the flamegraph SVG and the speedscope file opened in headless
# chromium (Debian's), driven by puppeteer-core (browser_check.cjs says what is
# checked). Exit 77 (ctest SKIP) with a loud message when chromium, node or
# the npm registry is not available.
#   check_browser.sh PROFILE_DIR INSTALL_NPM_TOOLS NPM_DIR
set -uo pipefail
dir=$1 install=$2 npm_dir=$3
skip() {
  echo "======================================================================"
  echo "SKIPPED: $1"
  echo "flamegraph and speedscope files NOT checked in a browser."
  echo "======================================================================"
  exit 77
}
chromium=$(command -v chromium) || skip "chromium not found (scripts/install-deps installs it)"
command -v node >/dev/null || skip "node not found (scripts/install-deps installs nodejs)"
# One installer at a time (ctest -j).
mkdir -p "$(dirname "$npm_dir")"
exec 9>"$npm_dir.lock"
flock 9
"$install" "$npm_dir" || skip "could not install puppeteer-core + speedscope from the npm registry"
flock -u 9
exec timeout 240 node "$(dirname "$0")/browser_check.cjs" "$npm_dir" "$chromium" "$dir"
