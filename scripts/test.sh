#!/usr/bin/env bash
# The test command (README): installs whatever is missing, builds the three
# targets, then runs every test:
#   1. the Wasm import/export check (inside scripts/build.sh: fails on any WASI import)
#   2. native doctest suites under CTest
#   3. Worker tests under Miniflare with the Node.js test runner, over both
#      Wasm builds, the parity test against the native core, and the
#      `wrangler deploy --dry-run` bundle
# Ends with one line "tests: N passed, M failed" and exits non-zero on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export WRANGLER_SEND_METRICS=false

bash scripts/setup.sh

log() { printf '==> %s\n' "$*"; }
failed_steps=()

log "native unit tests (ctest)"
ctest_log="$(mktemp)"
if ! ctest --preset native 2>&1 | tee "$ctest_log"; then failed_steps+=(ctest); fi
native_total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p' "$ctest_log" | tail -1)
native_failed=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1/p' "$ctest_log" | tail -1)

log "Worker tests (node --test, Miniflare)"
node_log="$(mktemp)"
# One test file at a time: each starts its own workerd, and the machine has 2 cores.
if ! node --test --test-concurrency=1 --test-reporter=spec tests/worker/ 2>&1 | tee "$node_log"; then failed_steps+=(node); fi
node_pass=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$node_log" | tail -1)
node_fail=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$node_log" | tail -1)

native_total=${native_total:-0}; native_failed=${native_failed:-1}
node_pass=${node_pass:-0}; node_fail=${node_fail:-1}
passed=$(( native_total - native_failed + node_pass ))
failed=$(( native_failed + node_fail ))
rm -f "$ctest_log" "$node_log"
if [[ ${#failed_steps[@]} -gt 0 && $failed -eq 0 ]]; then failed=1; fi
echo "native: $(( native_total - native_failed )) passed, $native_failed failed; worker: $node_pass passed, $node_fail failed"
echo "tests: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
