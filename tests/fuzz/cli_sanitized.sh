#!/usr/bin/env bash
# The CLI under ASan+UBSan (registered as a CTest test by tests/fuzz/CMakeLists.txt in the asan
# preset). The CLI reads and writes JSON with RapidJSON's Document and Writer, which the core
# never uses, so the doctest suites do not reach them: UBSan once reported RapidJSON 1.1.0's
# internal/stack.h here (patched by scripts/setup.sh). Any sanitizer report aborts the CLI.
#   tests/fuzz/cli_sanitized.sh PATH_TO_MEDIAGATE
set -euo pipefail
cli=$1
export MEDIA_TOKEN_SECRET=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
fail() { echo "cli_sanitized: $*" >&2; exit 1; }

url="$("$cli" mint --key 'u/me_1/café.png' --public --url --now 1767225600)"
[[ $url == "/m/u/me_1/caf%C3%A9.png?t="* ]] || fail "mint --url printed: $url"
verdict="$("$cli" verify "$url" --now 1767225600)" || fail "verify refused its own token: $verdict"
[[ $verdict == *'"verdict":"valid"'* ]] || fail "verify printed: $verdict"
"$cli" verify "/m/u/a.png?t=abc.def" >/dev/null && fail "verify accepted a malformed token"

answers="$(printf '%s\n' \
  "{\"method\":\"GET\",\"url\":\"$url\",\"now\":1767225600,\"headers\":{\"Range\":\"bytes=0-1\"},\"object\":{\"size\":10,\"etag\":\"\\\"e\\\"\",\"content_type\":\"image/png\",\"last_modified\":\"Wed, 21 Oct 2015 07:28:00 GMT\"}}" \
  '{"method":"GET","url":"/m/u/%zz"}' \
  'not json' \
  | "$cli" explain)"
[[ $(wc -l <<<"$answers") -eq 3 ]] || fail "explain answered: $answers"
[[ $(sed -n 1p <<<"$answers") == *'"status":206'*'"content-range":"bytes 0-1/10"'* ]] || fail "explain 206: $answers"
[[ $(sed -n 2p <<<"$answers") == *'"status":400'* ]] || fail "explain 400: $answers"
[[ $(sed -n 3p <<<"$answers") == *'"error"'* ]] || fail "explain error: $answers"

# Uploads: a put token, its verdict, and PUT lines through the sniff (body_head, base64).
export MEDIA_UPLOADS=on
put="$("$cli" mint --upload --key 'u/me_1/café.png' --type image/png --max-bytes 1000 --url --now 1767225600)"
[[ $put == "/m/u/me_1/caf%C3%A9.png?t="* ]] || fail "mint --upload --url printed: $put"
verdict="$("$cli" verify "$put" --now 1767225600)" || fail "verify refused its own put token: $verdict"
[[ $verdict == *'"mode":"put","ct":"image/png","n":1000'*'"verdict":"valid","status":201'* ]] || fail "verify printed: $verdict"
answers="$(printf '%s\n' \
  "{\"method\":\"PUT\",\"url\":\"$put\",\"now\":1767225600,\"headers\":{\"content-type\":\"image/png\",\"content-length\":\"16\"},\"body_head\":\"iVBORw0KGgoAAAANSUhEUg==\"}" \
  "{\"method\":\"PUT\",\"url\":\"$put\",\"now\":1767225600,\"headers\":{\"content-type\":\"image/png\",\"content-length\":\"16\"},\"body_head\":\"/9j/4AAQSkZJRgABAgAAAQ\"}" \
  "{\"method\":\"PUT\",\"url\":\"$put\",\"now\":1767225600,\"headers\":{\"content-type\":\"image/png\",\"content-length\":\"16\"},\"body_head\":\"%%\"}" \
  | "$cli" explain)"
[[ $(sed -n 1p <<<"$answers") == '{"storage":{"op":"put","key":"u/me_1/café.png","length":16,"content_type":"image/png"}}' ]] || fail "explain put: $answers"
[[ $(sed -n 2p <<<"$answers") == *'"status":415'*'"body":"type_mismatch"'* ]] || fail "explain 415: $answers"
[[ $(sed -n 3p <<<"$answers") == *'"error"'* ]] || fail "explain body_head error: $answers"
echo "cli under sanitizers: mint, verify, explain ok"
