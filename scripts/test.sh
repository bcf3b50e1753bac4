#!/usr/bin/env bash
# The test command (README): installs whatever is missing, builds the three
# targets, then runs every test:
#   - the Wasm import/export check (inside scripts/build.sh: fails on any WASI import)
#   - native doctest suites under CTest
#   - the shared test library's checks (tests/lib/: the R2 model vs the plan vectors)
#   - Worker tests under Miniflare with the Node.js test runner, over both
#     Wasm builds, the parity test against the native core, the
#     `wrangler deploy --dry-run` bundle, and the README's dev command
#   - browser tests in headless Chromium (tests/browser/) and the recorded
#     fixture sets replayed on native, Wasm and Worker (tests/fixtures/)
#   - the docs' shell examples run as written (tests/docs/)
#   - the files generated from wasm/spec/ are up to date (tools/gen/generate.mjs --check)
#   - R2 operations per request kind, and a seconds-long smoke run of scripts/bench
#   - a CI-sized soak (scripts/soak.mjs) against wrangler dev
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
# Worker logs and minted tokens of this run, for the log scan after it.
rm -rf build/test-logs
run_node "Worker tests" tests/worker/
# The shared JS test library's own checks: the shim's R2 options and the JS R2 model against
# the C++ plan vectors (tests/vectors/plans.jsonl).
run_node "test library: storage plans vs the C++ vectors" tests/lib/
run_node "log scan (no token material in any Worker log line)" tests/logscan/
# The shell examples of README.md and docs/*.md, run as written; links stay in the repository
# (docs/TESTING.md, "The docs' examples").
run_node "docs: examples and links" tests/docs/
run_node "Browser tests (headless Chromium)" tests/browser/
run_node "Fixture replay (native, Wasm, Worker)" tests/fixtures/
# R2 operations per request kind, and a seconds-long smoke run of scripts/bench (every row
# produced, no thresholds: docs/PERFORMANCE.md).
run_node "bench: R2 operations and smoke run" tests/bench/
# 3,000 mixed requests against wrangler dev on 127.0.0.1: no unexpected answer, Wasm memory flat
# (the 100,000-request run is `node scripts/soak.mjs`, docs/SECURITY.md).
run_node "soak: wrangler dev, 3,000 requests" tests/soak/

# Sanitizers and differential testing (docs/TESTING.md). The asan preset is built here, not in
# scripts/build.sh, so scripts/dev.sh does not wait for it; a failed build counts as a failure
# (never a run of stale binaries).
# run_step LABEL CMD...: one command, one test (passed when it exits 0).
run_step() {
  local label=$1; shift
  log "$label ($*)"
  if "$@"; then
    passed=$(( passed + 1 )); summary+=("$label: 1 passed, 0 failed")
  else
    failed=$(( failed + 1 )); failed_steps+=("$label"); summary+=("$label: 0 passed, 1 failed")
  fi
}
# The layout and settings description (wasm/spec/) and every file generated from it agree
# (docs/ARCHITECTURE.md, "One description, generated code").
run_step "generated files are up to date (tools/gen/generate.mjs --check)" node tools/gen/generate.mjs --check
asan_built=0
build_asan() {
  if [[ ! -f build/asan/CMakeCache.txt || CMakePresets.json -nt build/asan/CMakeCache.txt ]]; then
    cmake --preset asan >/dev/null || return 1
  fi
  cmake --build --preset asan --parallel 2 || return 1
  asan_built=1
}
run_step "build: native under ASan+UBSan (cmake --preset asan)" build_asan
if [[ $asan_built -eq 1 ]]; then
  # The doctest suites, the fuzz corpus replays and the CLI, all under ASan+UBSan.
  run_ctest "native tests under ASan+UBSan" asan
  # The differential generator's calls through the sanitized native core (a CI-sized run of
  # native vs Wasm is tests/worker/differential.test.js).
  run_step "differential: ASan+UBSan native vs Wasm, 2000 requests" \
    node scripts/differential.mjs --count 2000 --seed 7 --native build/asan/mediagate --quiet
fi

for line in "${summary[@]}"; do echo "$line"; done
if [[ ${#failed_steps[@]} -gt 0 ]]; then
  echo "failed steps: ${failed_steps[*]}"
  [[ $failed -gt 0 ]] || failed=1
fi
echo "tests: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
