#!/usr/bin/env bash
# Usage: scripts/check-wasm-imports.sh [--emscripten] module.wasm
#
# The Worker instantiates mediagate.wasm with an (almost) empty import object, so an import
# means some libc path (printf, abort -> fd_write, iostream...) leaked into the module, and a
# missing export means the JS shim would break at instantiation. Both are caught here, at build
# time, instead of in a deployed Worker.
#
# Allowed imports: none, except env.emscripten_notify_memory_growth with --emscripten
# (STANDALONE_WASM with memory growth always imports it; a no-op satisfies it).
set -euo pipefail

REQUIRED_EXPORTS=(memory _initialize mg_in_ptr mg_in_cap mg_out_ptr mg_set_secret
                  mg_configure mg_begin mg_finish mg_bench_verify mg_snapshot_alloc
                  mg_snapshot_install mg_snapshot_build_reset mg_snapshot_build_add
                  mg_snapshot_build_finish mg_snapshot_build_ptr mg_snapshot_clear
                  mg_snapshot_build_keep mg_snapshot_built_at mg_snapshot_stale)

allowed=()
if [[ ${1:-} == --emscripten ]]; then
  allowed=(env.emscripten_notify_memory_growth)
  shift
fi
[[ $# -eq 1 ]] || { echo "usage: $0 [--emscripten] module.wasm" >&2; exit 2; }
wasm=$1
[[ -f $wasm ]] || { echo "check-wasm-imports: $wasm: no such file" >&2; exit 2; }

# `wasm-objdump -j X` exits non-zero both for a broken file and for a module that simply has no
# X section; read the section headers first (this also fails on a broken file).
headers="$(wasm-objdump -h "$wasm")"
section() {  # name -> details of that section, empty if the module has none
  if grep -Eq "^ *$1 " <<<"$headers"; then
    wasm-objdump -x -j "$1" "$wasm"
  fi
}

# Lines look like: " - func[0] sig=1 <name> <- module.field"
imports=()
while IFS= read -r imp; do
  imports+=("$imp")
done < <(section Import | sed -n 's/^ - .* <- \(.*\)$/\1/p')

# Lines look like: " - func[1] <_initialize> -> \"_initialize\""
exports=()
while IFS= read -r exp; do
  exports+=("$exp")
done < <(section Export | sed -n 's/^ - .* -> "\(.*\)"$/\1/p')

status=0
for imp in ${imports[@]+"${imports[@]}"}; do
  ok=0
  for a in ${allowed[@]+"${allowed[@]}"}; do [[ $imp == "$a" ]] && ok=1; done
  if [[ $ok -eq 0 ]]; then
    echo "check-wasm-imports: $wasm: forbidden import $imp" >&2
    status=1
  fi
done
for want in "${REQUIRED_EXPORTS[@]}"; do
  found=0
  for e in ${exports[@]+"${exports[@]}"}; do [[ $e == "$want" ]] && found=1; done
  if [[ $found -eq 0 ]]; then
    echo "check-wasm-imports: $wasm: missing export $want" >&2
    status=1
  fi
done

if [[ $status -ne 0 ]]; then
  [[ ${#imports[@]} -gt 0 ]] && echo "  (to find what pulls an import in, relink with -Wl,--trace-symbol=NAME, e.g. abort or __wasi_fd_write)" >&2
  exit 1
fi
echo "  $wasm: ${#imports[@]} import(s)${imports[*]:+ (${imports[*]})}, all ${#REQUIRED_EXPORTS[@]} required exports present"
