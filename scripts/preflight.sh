#!/usr/bin/env bash
# Checks a checkout before `npx wrangler deploy` (docs/DEPLOY.md step 4): what
# a dry run lets through. One line per problem; exit 1 on any, 0 when ready.
#
#   scripts/preflight.sh [--no-bundle]   (--no-bundle: skip the dry-run bundle)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUNDLE=1
[[ "${1:-}" == --no-bundle ]] && BUNDLE=0
PLACEHOLDER=00000000000000000000000000000000
problems=0
problem() { printf 'preflight: %s\n' "$*"; problems=$((problems + 1)); }

# The module wrangler bundles (scripts/build.sh writes it).
[[ -s worker-shim/mediagate.wasm ]] \
  || problem "worker-shim/mediagate.wasm is missing; run scripts/setup.sh"

# The revocation namespace's id, from the uncommented lines of wrangler.toml's
# [[kv_namespaces]] tables: a dry run accepts any id, a deploy fails on the placeholder.
kv_id="$(awk '
  /^[[:space:]]*#/ { next }
  /^[[:space:]]*\[/ { in_kv = ($0 ~ /^[[:space:]]*\[\[kv_namespaces\]\]/); binding = ""; next }
  in_kv && /^[[:space:]]*binding[[:space:]]*=/ { binding = $0 }
  in_kv && /^[[:space:]]*id[[:space:]]*=/ && binding ~ /"MEDIA_REVOCATIONS"/ { gsub(/.*=[[:space:]]*"|".*/, ""); print }
' wrangler.toml)"
if [[ -z "$kv_id" ]]; then
  echo "preflight: note: no MEDIA_REVOCATIONS namespace in wrangler.toml: media is served without revocation"
elif [[ "$kv_id" == "$PLACEHOLDER" ]]; then
  problem "wrangler.toml: [[kv_namespaces]] MEDIA_REVOCATIONS still has the placeholder id $PLACEHOLDER; create the namespace (npx wrangler kv namespace create MEDIA_REVOCATIONS) and put its id there"
elif [[ ! "$kv_id" =~ ^[0-9a-f]{32}$ ]]; then
  problem "wrangler.toml: MEDIA_REVOCATIONS id \"$kv_id\" is not a 32-hex-digit namespace id"
fi

# The bundle wrangler would upload (no account needed).
if (( BUNDLE )) && (( problems == 0 )); then
  out="$(mktemp -d)"
  if ! WRANGLER_SEND_METRICS=false npx --no-install wrangler deploy --dry-run --outdir "$out" >"$out/log" 2>&1; then
    cat "$out/log" >&2
    problem "npx wrangler deploy --dry-run failed (above)"
  fi
  rm -rf "$out"
fi

if (( problems > 0 )); then
  printf 'preflight: %d problem%s, not ready to deploy\n' "$problems" "$([[ $problems -eq 1 ]] || echo s)"
  exit 1
fi
echo "preflight: ready (npx wrangler deploy)"
