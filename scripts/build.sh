#!/usr/bin/env bash
# Configure and build the three CMake presets (native, wasi, emscripten), shrink the Wasm
# modules, put the Worker's module where wrangler bundles it, and check the modules' imports and
# exports. Run scripts/setup.sh once before (it prepares build/third_party).
#
#   MG_JOBS=N   parallel jobs (default 2: the build machines have 2 cores)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOBS="${MG_JOBS:-2}"

log() { printf '==> %s\n' "$*"; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

[[ -f build/third_party/bearssl/inc/bearssl_hmac.h && -f build/third_party/rapidjson/include/rapidjson/document.h ]] \
  || die "build/third_party is not prepared: run scripts/setup.sh"

# Configure only when needed: CMake re-runs itself when CMakeLists.txt, the toolchain file or a
# CONFIGURE_DEPENDS glob changes, but not when CMakePresets.json does. Skipping the explicit
# configure keeps a no-op build fast. (Changing compilers needs a fresh tree: rm -rf build/<preset>.)
configure() {  # preset [launcher...]
  local preset=$1; shift
  local cache=build/$preset/CMakeCache.txt
  if [[ ! -f $cache || CMakePresets.json -nt $cache ]]; then
    log "configure $preset"
    "$@" cmake --preset "$preset" >/dev/null
  fi
}

log "build native"
configure native
cmake --build --preset native --parallel "$JOBS"

log "build wasi"
configure wasi
cmake --build --preset wasi --parallel "$JOBS"

# emcmake supplies Emscripten's toolchain file; afterwards the cache remembers it, so the
# build step itself needs no wrapper. Do not set EM_CACHE: Debian ships a frozen prebuilt cache
# and pointing elsewhere breaks emcc.
log "build emscripten"
configure emscripten emcmake
cmake --build --preset emscripten --parallel "$JOBS"

# -O2 + LTO at compile time, wasm-opt -O2 here on the whole module: it runs 6 % fewer instructions
# per request than -Oz and, gzipped, is no larger (docs/PERFORMANCE.md, "Module").
# Debian builds wasi-libc/libc++ with -g, and wasm-opt keeps DWARF sections unless told: without
# --strip-debug the Worker's module would be ~4x larger. The unstripped build/*/mediagate.wasm
# stay around for debugging.
WASM_OPT=(wasm-opt -O2 --strip-debug --strip-producers)
log "wasm-opt -O2 (when the module changed)"
for b in wasi emscripten; do
  if [[ ! -f build/$b/mediagate.opt.wasm || build/$b/mediagate.wasm -nt build/$b/mediagate.opt.wasm ||
        scripts/build.sh -nt build/$b/mediagate.opt.wasm ]]; then
    "${WASM_OPT[@]}" "build/$b/mediagate.wasm" -o "build/$b/mediagate.opt.wasm"
  fi
done

size_line() {
  printf '  %-40s %8d bytes raw %8d bytes gzip -9\n' "$1" "$(stat -c %s "$1")" "$(gzip -9c "$1" | wc -c)"
}
log "sizes"
size_line build/wasi/mediagate.wasm
size_line build/wasi/mediagate.opt.wasm
size_line build/emscripten/mediagate.wasm
size_line build/emscripten/mediagate.opt.wasm

# Check both modules (so one run reports every problem), and only then hand the WASI module to
# the Worker. On failure the previous worker-shim/mediagate.wasm is removed too: a stale module
# that still passes the JS tests would hide the breakage.
log "check imports/exports"
ok=1
scripts/check-wasm-imports.sh build/wasi/mediagate.opt.wasm || ok=0
scripts/check-wasm-imports.sh --emscripten build/emscripten/mediagate.opt.wasm || ok=0
# abi.cc takes the revocation snapshot's memory straight from memory.grow;
# a malloc linked in later would hand out the same pages through sbrk.
for b in wasi emscripten; do
  if wasm-objdump -x "build/$b/mediagate.wasm" | grep -qiE 'dlmalloc|sbrk'; then
    echo "build/$b/mediagate.wasm links malloc: wasm/abi/abi.cc's Region scheme is no longer safe" >&2
    ok=0
  fi
done
if [[ $ok -eq 0 ]]; then
  rm -f worker-shim/mediagate.wasm
  die "Wasm import/export check failed (worker-shim/mediagate.wasm removed)"
fi

# Copy only when it changed, so `wrangler dev` does not reload for nothing.
if ! cmp -s build/wasi/mediagate.opt.wasm worker-shim/mediagate.wasm; then
  cp build/wasi/mediagate.opt.wasm worker-shim/mediagate.wasm
  log "updated worker-shim/mediagate.wasm"
fi

log "done (unit tests: ctest --preset native)"
