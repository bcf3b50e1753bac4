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

# The required exports are listed once, in wasm/spec/wire.json; wasm/abi/exports.txt is generated
# from it (tools/gen/generate.mjs).
EXPORTS_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/wasm/abi/exports.txt"
REQUIRED_EXPORTS=()
while IFS= read -r line; do
  [[ -z $line || $line == \#* ]] || REQUIRED_EXPORTS+=("$line")
done <"$EXPORTS_FILE"

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

listed() {  # word list... -> whether the word is one of the list
  local word=$1 w
  shift
  for w in "$@"; do [[ $w == "$word" ]] && return 0; done
  return 1
}

status=0
for imp in ${imports[@]+"${imports[@]}"}; do
  listed "$imp" ${allowed[@]+"${allowed[@]}"} && continue
  echo "check-wasm-imports: $wasm: forbidden import $imp" >&2
  status=1
done
for want in "${REQUIRED_EXPORTS[@]}"; do
  listed "$want" ${exports[@]+"${exports[@]}"} && continue
  echo "check-wasm-imports: $wasm: missing export $want" >&2
  status=1
done

if [[ $status -ne 0 ]]; then
  [[ ${#imports[@]} -gt 0 ]] && echo "  (to find what pulls an import in, relink with -Wl,--trace-symbol=NAME, e.g. abort or __wasi_fd_write)" >&2
  exit 1
fi
echo "  $wasm: ${#imports[@]} import(s)${imports[*]:+ (${imports[*]})}, all ${#REQUIRED_EXPORTS[@]} required exports present"
