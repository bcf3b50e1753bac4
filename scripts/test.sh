#!/usr/bin/env bash
# The test command (README): installs whatever is missing, builds the three
# targets, then runs every test:
#   - the Wasm import/export check (inside scripts/build.sh: fails on any WASI import)
#   - native doctest suites under CTest
#   - Worker tests under Miniflare with the Node.js test runner, over both
#     Wasm builds, the parity test against the native core, the
#     `wrangler deploy --dry-run` bundle, and the README's dev command
# Ends with one line "tests: N passed, M failed" and exits non-zero on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export WRANGLER_SEND_METRICS=false

bash scripts/setup.sh

log() { printf '==> %s\n' "$*"; }
passed=0
failed=0
failed_steps=()
summary=()

# run_ctest LABEL PRESET: a CTest preset; counts its tests.
run_ctest() {
  local label=$1 preset=$2 out total bad
  log "$label (ctest --preset $preset)"
  out="$(mktemp)"
  if ! ctest --preset "$preset" 2>&1 | tee "$out"; then failed_steps+=("$label"); fi
  total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p' "$out" | tail -1)
  bad=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1/p' "$out" | tail -1)
  rm -f "$out"
  if [[ -z "$total" ]]; then total=0; bad=1; failed_steps+=("$label: no result"); fi
  passed=$(( passed + total - bad )); failed=$(( failed + bad ))
  summary+=("$label: $(( total - bad )) passed, $bad failed")
}

# run_node LABEL PATH...: the Node.js test runner, one file at a time (each
# file starts its own workerd or browser; the machine has 2 cores).
run_node() {
  local label=$1 out p f; shift
  log "$label (node --test $*)"
  out="$(mktemp)"
  if ! node --test --test-concurrency=1 --test-reporter=spec "$@" 2>&1 | tee "$out"; then failed_steps+=("$label"); fi
  p=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$out" | tail -1)
  f=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$out" | tail -1)
  rm -f "$out"
  if [[ -z "$p" || -z "$f" ]]; then p=${p:-0}; f=${f:-1}; failed_steps+=("$label: no result"); fi
  passed=$(( passed + p )); failed=$(( failed + f ))
  summary+=("$label: $p passed, $f failed")
}

run_ctest "native unit tests" native
run_node "Worker tests" tests/worker/

for line in "${summary[@]}"; do echo "$line"; done
if [[ ${#failed_steps[@]} -gt 0 ]]; then
  echo "failed steps: ${failed_steps[*]}"
  [[ $failed -gt 0 ]] || failed=1
fi
echo "tests: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
