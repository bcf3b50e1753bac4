#!/usr/bin/env bash
# Synthetic canary for a mediagate deployment (docs/RUNBOOK.md, "Canary").
#
#   MEDIA_TOKEN_SECRET=... scripts/media_canary_smoke.sh https://app.example.com
#
# Mints public, private and expired tokens for a canary object with the
# backend's algorithm (scripts/mediagate mint) and checks, with curl only:
# statuses, exact cache-control, the security headers, a 206 with an exact
# content-range, HEAD, 416, the 401 bodies and a 404. Prints one line per
# check and exits non-zero with a readable report when any fails.
#
# Setup: upload any object of at least 2 bytes under MEDIA_CANARY_KEY
# (default u/canary/canary.png) with an image content type; scripts/dev.sh
# seeds one locally. Needs the deployment's MEDIA_TOKEN_SECRET.
set -uo pipefail

BASE="${1:?usage: MEDIA_TOKEN_SECRET=... $0 BASE_URL}"
BASE="${BASE%/}"
KEY="${MEDIA_CANARY_KEY:-u/canary/canary.png}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLI="$ROOT/scripts/mediagate"
[[ -n "${MEDIA_TOKEN_SECRET:-}" ]] || { echo "canary: MEDIA_TOKEN_SECRET is not set" >&2; exit 2; }
command -v curl >/dev/null || { echo "canary: curl is required" >&2; exit 2; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
failures=()
checks=0

# fetch NAME URL [curl args...]: response headers in $TMP/NAME.h (lower-case
# names), body in $TMP/NAME.b, status in $TMP/NAME.s. Tokens never printed.
fetch() {
  local name=$1 url=$2; shift 2
  curl -sS -o "$TMP/$name.b" -D "$TMP/$name.raw" -w '%{http_code}' "$@" "$url" > "$TMP/$name.s" 2>"$TMP/$name.err" || echo 000 > "$TMP/$name.s"
  tr -d '\r' < "$TMP/$name.raw" 2>/dev/null | awk -F': ' 'NF>1 { printf "%s: %s\n", tolower($1), substr($0, length($1)+3) }' > "$TMP/$name.h"
}
status() { cat "$TMP/$1.s"; }
header() { sed -n "s/^$2: //p" "$TMP/$1.h" | tail -1; }
body() { cat "$TMP/$1.b"; }

check() {  # check DESCRIPTION ACTUAL EXPECTED
  checks=$((checks + 1))
  if [[ "$2" == "$3" ]]; then
    printf 'PASS  %s\n' "$1"
  else
    printf 'FAIL  %s: got [%s], want [%s]\n' "$1" "$2" "$3"
    failures+=("$1: got [$2], want [$3]")
  fi
}

security_headers() {  # security_headers NAME
  check "$1: x-content-type-options" "$(header "$1" x-content-type-options)" "nosniff"
  check "$1: referrer-policy" "$(header "$1" referrer-policy)" "no-referrer"
  check "$1: x-robots-tag" "$(header "$1" x-robots-tag)" "noindex, nofollow"
  check "$1: content-security-policy" "$(header "$1" content-security-policy)" "default-src 'none'; sandbox"
  local corp; corp="$(header "$1" cross-origin-resource-policy)"
  [[ "$corp" == same-site ]] || corp="${corp:-missing}"
  check "$1: cross-origin-resource-policy" "$([[ $corp == same-origin || $corp == same-site ]] && echo ok || echo "$corp")" "ok"
}

mint() { "$CLI" mint --key "$KEY" "$@" --url; }
PUB="$BASE$(mint --public)" || exit 2
PRIV="$BASE$(mint --private --ttl 600)" || exit 2
# Expired: minted an hour and a half ago with a 60 s TTL.
EXPIRED="$BASE$(mint --private --ttl 60 --now $(( $(date +%s) - 5400 )))" || exit 2
PATH_ONLY="${PUB%%\?*}"

echo "mediagate canary against $BASE, object $KEY"

fetch pub "$PUB"
# The first check: is the canary object there at all? A 404 here would fail
# every later check for one reason, so say that reason once and stop. (The
# core answers a missing object with public, max-age=60 under a public token,
# and a key outside MEDIA_KEY_PREFIXES with private, no-store.)
if [[ "$(status pub)" == 404 ]]; then
  if [[ "$(header pub cache-control)" == "public, max-age=60" ]]; then
    echo "canary: STOP: $KEY is not in the deployment's bucket (404 not_found): upload it once, e.g."
    echo "  npx wrangler r2 object put <bucket>/$KEY --file <an image of 2 bytes or more> --content-type image/png --remote"
    echo "  (<bucket> is bucket_name under [[r2_buckets]] in wrangler.toml; docs/RUNBOOK.md, \"Canary\")"
  else
    echo "canary: STOP: $KEY answers 404 before any token is read: its prefix is not in MEDIA_KEY_PREFIXES;"
    echo "  set MEDIA_CANARY_KEY to a key under an allowed prefix, or add the prefix (docs/RUNBOOK.md, \"Canary\")"
  fi
  exit 1
fi
check "public GET status" "$(status pub)" 200
check "public GET cache-control" "$(header pub cache-control)" "public, max-age=31536000, immutable"
SIZE="$(header pub content-length)"
check "public GET content-length matches the body" "$SIZE" "$(wc -c < "$TMP/pub.b" | tr -d ' ')"
security_headers pub

fetch head "$PUB" -I
check "HEAD status" "$(status head)" 200
check "HEAD content-length" "$(header head content-length)" "$SIZE"

fetch priv "$PRIV"
check "private GET status" "$(status priv)" 200
check "private GET cache-control" "$(header priv cache-control)" "private, no-store"

fetch range "$PUB" -H 'range: bytes=0-1'
check "Range bytes=0-1 status" "$(status range)" 206
check "Range bytes=0-1 content-range" "$(header range content-range)" "bytes 0-1/${SIZE:-?}"
check "Range bytes=0-1 content-length" "$(header range content-length)" 2
check "Range bytes=0-1 body bytes" "$(wc -c < "$TMP/range.b" | tr -d ' ')" 2

fetch past "$PUB" -H "range: bytes=${SIZE:-0}-"
check "Range past the end status" "$(status past)" 416
check "Range past the end content-range" "$(header past content-range)" "bytes */${SIZE:-?}"
check "Range past the end body" "$(body past)" "range_not_satisfiable"

fetch expired "$EXPIRED"
check "expired private token" "$(status expired) $(body expired)" "401 expired"
fetch missing "$PATH_ONLY"
check "no token" "$(status missing) $(body missing)" "401 restricted"
fetch bad "$PATH_ONLY?t=x.y"
check "malformed token" "$(status bad) $(body bad)" "401 forbidden"
security_headers bad
check "denial cache-control" "$(header bad cache-control)" "private, no-store"

NOKEY="u/canary/does-not-exist-$$.png"
fetch notfound "$BASE$("$CLI" mint --key "$NOKEY" --public --url)"
check "missing object" "$(status notfound) $(body notfound)" "404 not_found"

echo
if [[ ${#failures[@]} -eq 0 ]]; then
  echo "canary: all $checks checks passed"
  exit 0
fi
echo "canary: ${#failures[@]} of $checks checks FAILED"
for f in "${failures[@]}"; do echo "  - $f"; done
if [[ "$(status pub) $(body pub)" == "401 forbidden" ]]; then
  echo "hint: tokens minted with this MEDIA_TOKEN_SECRET are refused: the secrets probably differ."
  echo "      compare \`scripts/mediagate fingerprint\` with the media.worker.config log line (docs/RUNBOOK.md)."
elif [[ "$(status pub)" == 503 ]]; then
  echo "hint: 503 $(body pub): see docs/RUNBOOK.md, \"503\"."
elif [[ "$(status pub)" == 000 ]]; then
  echo "hint: no HTTP answer from $BASE ($(cat "$TMP/pub.err"))."
fi
exit 1
