#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset `fuzz`: clang -fsanitize=fuzzer,address,undefined)
# and runs each one for a bounded time over its committed seeds (docs/TESTING.md).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     default: 60 seconds, every target
#
#   MG_FUZZ_JOBS=N   targets run at once (default 1; the build machines have 2 cores)
#   MG_FUZZ_RUNS=N   also stop a target after N executions (libFuzzer -runs)
#
# Seeds are read from tests/fuzz/corpus/<target>/ and never written: new inputs go to
# build/fuzz/corpus/<target>/ (kept between runs, so later runs start where earlier ones
# stopped), crashes to build/fuzz/artifacts/<target>/, logs to build/fuzz/logs/<target>.log.
# Exits non-zero if any target crashed or broke an invariant; the last line says which.
# Run scripts/setup.sh once first (third-party sources and libclang-rt-14-dev).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SECONDS_PER_TARGET="${1:-60}"
shift || true
[[ $SECONDS_PER_TARGET =~ ^[0-9]+$ && $SECONDS_PER_TARGET -gt 0 ]] \
  || { echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2; }
JOBS="${MG_FUZZ_JOBS:-1}"
RUNS="${MG_FUZZ_RUNS:-}"

log() { printf '==> %s\n' "$*"; }

[[ -f build/third_party/bearssl/inc/bearssl_hmac.h ]] \
  || { echo "fuzz.sh: build/third_party is not prepared: run scripts/setup.sh" >&2; exit 2; }

log "build fuzz targets (cmake --preset fuzz)"
if [[ ! -f build/fuzz/CMakeCache.txt || CMakePresets.json -nt build/fuzz/CMakeCache.txt ]]; then
  cmake --preset fuzz >/dev/null
fi
cmake --build --preset fuzz --parallel 2

if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  targets=()
  for src in tests/fuzz/fuzz_*.cc; do
    name="$(basename "$src" .cc)"
    targets+=("${name#fuzz_}")
  done
fi

mkdir -p build/fuzz/logs
# run_target NAME: one bounded libFuzzer run; prints a summary line.
run_target() {
  local name=$1
  local bin="build/fuzz/tests/fuzz/fuzz_$name"
  local seeds="tests/fuzz/corpus/$name"
  local work="build/fuzz/corpus/$name"
  local artifacts="build/fuzz/artifacts/$name/"
  local logf="build/fuzz/logs/$name.log"
  [[ -x $bin ]] || { echo "fuzz $name: no binary $bin"; return 1; }
  [[ -d $seeds ]] || { echo "fuzz $name: no seed directory $seeds"; return 1; }
  mkdir -p "$work" "$artifacts"
  local args=(-max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 -artifact_prefix="$artifacts"
              -timeout=10 -rss_limit_mb=2048)
  [[ -f tests/fuzz/$name.dict ]] && args+=(-dict="tests/fuzz/$name.dict")
  [[ -n $RUNS ]] && args+=(-runs="$RUNS")
  local rc=0
  "$bin" "${args[@]}" "$work" "$seeds" >"$logf" 2>&1 || rc=$?
  local execs corpus
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$logf" | tail -1)"
  corpus="$(find "$work" -type f | wc -l)"
  if [[ $rc -ne 0 ]]; then
    echo "fuzz $name: FAILED (exit $rc) after ${execs:-?} executions; see $logf and $artifacts"
    grep -m3 -E 'invariant failed|ERROR: (AddressSanitizer|libFuzzer)|runtime error' "$logf" | sed 's/^/    /' || true
    return 1
  fi
  echo "fuzz $name: ok, ${execs:-?} executions in ${SECONDS_PER_TARGET}s max, corpus $corpus files"
}

log "run ${#targets[@]} targets, ${SECONDS_PER_TARGET}s each, $JOBS at a time"
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
running=0
for t in "${targets[@]}"; do
  ( if run_target "$t"; then echo "ok $t"; else echo "fail $t"; fi ) | tee -a "$results" | grep -v '^ok \|^fail ' &
  running=$((running + 1))
  if [[ $running -ge $JOBS ]]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=$(grep -c '^fail ' "$results" || true)
passed=$(grep -c '^ok ' "$results" || true)
if [[ $failed -gt 0 ]]; then
  echo "fuzz: $passed ok, $failed failed: $(grep '^fail ' "$results" | cut -d' ' -f2 | tr '\n' ' ')"
  exit 1
fi
echo "fuzz: $passed ok, 0 failed"
