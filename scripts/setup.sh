#!/usr/bin/env bash
# One-time (and re-runnable) setup for a Debian 12 machine, then a full build.
#
# Idempotent and cheap when everything is already in place: every step checks first and only
# then acts, and nothing under build/third_party is rewritten unless it has to be (rewriting the
# headers would touch their mtimes and force full rebuilds).
#
# Steps: Debian packages -> Node check -> BearSSL (Debian source package, pinned by sha256)
#        -> patched RapidJSON copy -> npm ci -> test media (ffmpeg, image encoders) -> scripts/build.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

THIRD_PARTY="$ROOT/build/third_party"
STAMPS="$ROOT/build/.stamps"

BEARSSL_VERSION="0.6+dfsg.1-3"
BEARSSL_ORIG="bearssl_0.6+dfsg.1.orig.tar.xz"
BEARSSL_SHA256="102a625bd8f6155260867a50c508df8d8c3f796985dd744df1a68e5cd1a79004"

# make: CMake's default generator needs it; cmake only Recommends it, so name it explicitly.
PACKAGES=(clang lld cmake make emscripten wasi-libc libc++-dev-wasm32 libclang-rt-dev-wasm32
          rapidjson-dev doctest-dev binaryen wabt python3 xz-utils ca-certificates curl)
# Test and measurement tools, one line per concern.
PACKAGES+=(chromium ffmpeg)   # browser tests and demo video (chromium, ffmpeg)
PACKAGES+=(libclang-rt-14-dev)   # fuzzing and sanitizer builds (clang's runtime)
PACKAGES+=(wrk valgrind)   # benchmarks (load generator, callgrind instruction counts)
PACKAGES+=(imagemagick webp libavif-bin libheif-examples)   # upload signature test files (convert, cwebp, avifenc, heif-enc)

# Nothing npm or wrangler runs should try to phone home (machines here have no general
# internet access, and a blocked metrics request only adds delay).
export WRANGLER_SEND_METRICS=false
export DEBIAN_FRONTEND=noninteractive

log() { printf '==> %s\n' "$*"; }
die() { printf 'setup.sh: error: %s\n' "$*" >&2; exit 1; }

# apt needs root; use sudo when run as a normal user, and say so plainly when neither works.
SUDO=()
if [[ $EUID -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); fi
fi
as_root() {
  if [[ $EUID -ne 0 && ${#SUDO[@]} -eq 0 ]]; then
    die "need root (or sudo) for: $*"
  fi
  "${SUDO[@]}" "$@"
}

APT_UPDATED=0
apt_update_once() {
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
}

mkdir -p "$STAMPS" "$THIRD_PARTY"

# --- 1. Debian packages -------------------------------------------------------------------------
# `dpkg -s` alone also succeeds for removed-but-not-purged packages, so check the real state.
missing=()
for pkg in "${PACKAGES[@]}"; do
  if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)" != installed ]]; then
    missing+=("$pkg")
  fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
  apt_update_once
  log "apt-get install ${missing[*]}"
  as_root apt-get install -y -qq "${missing[@]}"
else
  log "Debian packages: all present"
fi

# --- 2. Node.js ---------------------------------------------------------------------------------
# Node 20 + npm come with the machine image (not from Debian: bookworm's node is 18).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  die "node and npm are required (Node.js 20 or newer) but were not found on PATH.
       Install Node.js 20 (e.g. from nodesource) and re-run scripts/setup.sh."
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if (( node_major < 20 )); then
  die "Node.js 20 or newer is required (found $(node --version)); wrangler 4 and miniflare 4 need it."
fi
log "node $(node --version), npm $(npm --version)"

# --- 3. BearSSL from Debian's source package ----------------------------------------------------
# Same sources for native and Wasm (the system libbearssl would be a different build from the one
# the Worker runs). The orig tarball is pinned by sha256 on top of apt's own signature checks.
BEARSSL_DIR="$THIRD_PARTY/bearssl"
BEARSSL_STAMP="$STAMPS/bearssl.sha256"
DL="$THIRD_PARTY/dl"

# Prints the URI of the system's bookworm main archive (deb822 .sources or one-line .list).
system_debian_uri() {
  local uri
  # deb822: the first URI of a stanza whose Types has deb, Suites has bookworm, Components main.
  uri="$(awk '
    function flush() {
      if (types ~ / deb / && suites ~ / bookworm / && comps ~ / main / && uri != "") {
        print uri; found = 1; exit
      }
      types = suites = comps = uri = ""
    }
    FNR == 1 && NR > 1      { flush() }
    /^[ \t]*$/              { flush(); next }
    /^[ \t]*#/              { next }
    tolower($1) == "types:"      { $1 = ""; types = $0 " " }
    tolower($1) == "suites:"     { $1 = ""; suites = $0 " " }
    tolower($1) == "components:" { $1 = ""; comps = $0 " " }
    tolower($1) == "uris:"       { uri = $2 }
    END { if (!found) flush() }
  ' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 || true)"
  if [[ -z $uri ]]; then
    # One-line format: deb [options] URI bookworm main ...
    uri="$(sed -E -n 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+bookworm[[:space:]]+(.*[[:space:]])?main([[:space:]].*)?$/\2/p' \
           /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1 || true)"
  fi
  printf '%s\n' "$uri"
}

deb_src_configured() {
  grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    || grep -Eiqs '^[[:space:]]*Types:.*deb-src' /etc/apt/sources.list.d/*.sources
}

bearssl_source_known() {
  apt-cache showsrc bearssl 2>/dev/null | grep -qx "Version: $BEARSSL_VERSION"
}

if [[ -f $BEARSSL_STAMP && "$(cat "$BEARSSL_STAMP")" == "$BEARSSL_SHA256" \
      && -d $BEARSSL_DIR/inc && -d $BEARSSL_DIR/src ]]; then
  log "BearSSL $BEARSSL_VERSION: already extracted"
else
  mkdir -p "$DL"
  tarball="$DL/$BEARSSL_ORIG"
  if [[ ! -f $tarball ]] || ! echo "$BEARSSL_SHA256  $tarball" | sha256sum --status -c -; then
    if ! bearssl_source_known; then
      if ! deb_src_configured; then
        uri="$(system_debian_uri)"
        [[ -n $uri ]] || die "could not find the system's bookworm main apt source to mirror as deb-src"
        log "adding deb-src for $uri (bookworm main)"
        printf '%s\n' \
          "# Added by mediagate scripts/setup.sh: source packages (BearSSL is built from source)." \
          "Types: deb-src" \
          "URIs: $uri" \
          "Suites: bookworm" \
          "Components: main" \
          "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" \
          | as_root tee /etc/apt/sources.list.d/mediagate-deb-src.sources >/dev/null
      fi
      APT_UPDATED=0   # the source indexes are new even if packages were installed above
      apt_update_once
      bearssl_source_known || die "apt does not know the source package bearssl=$BEARSSL_VERSION"
    fi
    log "apt-get source --download-only bearssl=$BEARSSL_VERSION"
    # apt's _apt user cannot write into root-owned build dirs, so apt warns that it downloads
    # unsandboxed: expected and harmless here, so only that line is filtered out.
    (cd "$DL" && apt-get source -qq --download-only "bearssl=$BEARSSL_VERSION") 2>&1 \
      | { grep -v 'unsandboxed as root' || true; }
    [[ -f $tarball ]] || die "apt-get source did not produce $tarball"
  fi

  actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
  if [[ $actual != "$BEARSSL_SHA256" ]]; then
    die "sha256 mismatch for $BEARSSL_ORIG
       expected $BEARSSL_SHA256
       got      $actual
       Refusing to build with an unexpected BearSSL. Delete $DL to retry the download."
  fi

  # Extract next to the final place, then swap, so an interrupted run never leaves a half tree
  # that looks complete.
  rm -rf "$THIRD_PARTY"/.bearssl.*   # left over by an interrupted run
  tmp="$(mktemp -d "$THIRD_PARTY/.bearssl.XXXXXX")"
  tar -xJf "$tarball" -C "$tmp" --strip-components=1
  [[ -d $tmp/inc && -f $tmp/src/mac/hmac.c ]] || die "unexpected layout in $BEARSSL_ORIG"
  rm -rf "$BEARSSL_DIR"
  mv "$tmp" "$BEARSSL_DIR"
  echo "$BEARSSL_SHA256" > "$BEARSSL_STAMP"
  log "BearSSL $BEARSSL_VERSION: extracted to build/third_party/bearssl"
fi

# --- 4. RapidJSON (patched copy) ----------------------------------------------------------------
# Debian's 1.1.0 document.h has a GenericStringRef::operator= that assigns a const member: clang-14
# accepts it, newer compilers reject it. Emscripten does not see /usr/include anyway, so the build
# uses a patched copy, first on the include path. The stamp records which system headers it was
# made from, so a rapidjson-dev upgrade refreshes it.
RJ_SRC=/usr/include/rapidjson
RJ_DIR="$THIRD_PARTY/rapidjson/include/rapidjson"
RJ_STAMP="$STAMPS/rapidjson"
RJ_BAD='GenericStringRef& operator=(const GenericStringRef& rhs) { s = rhs.s; length = rhs.length; }'
RJ_GOOD='GenericStringRef\& operator=(const GenericStringRef\& rhs) = delete;'
# internal/stack.h's Stack::Reserve computes `stackTop_ + n` while the stack is still null (the
# first push of a Document or Writer): undefined behaviour that clang's UBSan reports ("applying
# non-zero offset to null pointer"). Compare the room left instead, as upstream RapidJSON does
# since 1.1.0 (null - null is 0).
RJ_STACK_BAD='if (RAPIDJSON_UNLIKELY(stackTop_ + sizeof(T) * count > stackEnd_))'
RJ_STACK_GOOD='if (RAPIDJSON_UNLIKELY(static_cast<std::ptrdiff_t>(sizeof(T) * count) > (stackEnd_ - stackTop_)))'

# "stack-ub": the copies made before the stack.h patch are refreshed.
rj_want="$(dpkg-query -W -f='${Version}' rapidjson-dev) $(sha256sum "$RJ_SRC/document.h" "$RJ_SRC/internal/stack.h" | cut -d' ' -f1 | tr '\n' ' ')stack-ub"
if [[ -f $RJ_STAMP && "$(cat "$RJ_STAMP")" == "$rj_want" && -f $RJ_DIR/document.h ]]; then
  log "RapidJSON: patched copy up to date"
else
  rm -rf "$THIRD_PARTY"/.rapidjson.*   # left over by an interrupted run
  tmp="$(mktemp -d "$THIRD_PARTY/.rapidjson.XXXXXX")"
  cp -a "$RJ_SRC" "$tmp/rapidjson"
  doc="$tmp/rapidjson/document.h"
  lines="$(grep -nF "$RJ_BAD" "$doc" | cut -d: -f1)"
  [[ $(wc -w <<<"$lines") -eq 1 ]] \
    || die "expected exactly one GenericStringRef::operator= line in $RJ_SRC/document.h, found: '${lines}'"
  # Keep the indentation, replace the body with `= delete;`.
  sed -i -E "${lines}s/GenericStringRef& operator=\(.*$/${RJ_GOOD}/" "$doc"
  if ! grep -qF 'GenericStringRef& operator=(const GenericStringRef& rhs) = delete;' "$doc" \
     || grep -qF "$RJ_BAD" "$doc"; then
    die "patching $doc failed"
  fi
  stack="$tmp/rapidjson/internal/stack.h"
  [[ $(grep -cF "$RJ_STACK_BAD" "$stack") -eq 1 ]] \
    || die "expected exactly one Stack::Reserve comparison in $RJ_SRC/internal/stack.h"
  python3 - "$stack" "$RJ_STACK_BAD" "$RJ_STACK_GOOD" <<'PY'
import sys
path, bad, good = sys.argv[1:]
text = open(path).read()
open(path, "w").write(text.replace(bad, good))
PY
  grep -qF "$RJ_STACK_GOOD" "$stack" || die "patching $stack failed"
  mkdir -p "$(dirname "$RJ_DIR")"
  rm -rf "$RJ_DIR"
  mv "$tmp/rapidjson" "$RJ_DIR"
  rmdir "$tmp"
  echo "$rj_want" > "$RJ_STAMP"
  log "RapidJSON: copied and patched (document.h line $lines, internal/stack.h Reserve)"
fi

# doctest: used straight from /usr/include/doctest (doctest-dev), nothing to prepare.

# --- 5. npm -------------------------------------------------------------------------------------
# `npm ci` wipes node_modules, so run it only when needed: node_modules missing, or the lock file
# newer than npm's own record of the last install (node_modules/.package-lock.json).
if [[ ! -f package.json ]]; then
  log "npm: no package.json yet, skipping npm ci"
elif [[ ! -f package-lock.json ]]; then
  log "npm: package.json has no package-lock.json; skipping npm ci (create the lock with npm install)"
elif [[ ! -d node_modules || ! -f node_modules/.package-lock.json \
        || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "npm ci"
  npm ci --no-audit --no-fund
else
  log "npm: node_modules up to date"
fi

# --- 5b. Test media -----------------------------------------------------------------------------
# Short MP4 and WebM clips and two stills for the browser tests, made by ffmpeg from its built-in
# test sources into build/media (never downloaded); files already there are kept.
bash "$ROOT/scripts/make_test_media.sh" "$ROOT/build/media"
# Real JPEG, PNG, GIF, WebP, AVIF, HEIC, MP4, MOV and WebM files for the upload signature-family
# test, made by ffmpeg, ImageMagick, cwebp, avifenc and heif-enc into build/media/signatures.
bash "$ROOT/scripts/make_signature_media.sh" "$ROOT/build/media/signatures"

# --- 6. Build -----------------------------------------------------------------------------------
exec "$ROOT/scripts/build.sh"
