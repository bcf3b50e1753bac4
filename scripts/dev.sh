#!/usr/bin/env bash
# The local gate (README): installs whatever is missing, builds, seeds local
# R2 with demo media (two images and a short MP4 and WebM video), starts
# `wrangler dev` on 127.0.0.1, checks that the sample URLs work, and prints
# them. Ctrl-C stops it (and workerd with it). wrangler dev reads .dev.vars
# only when it starts: restart this after editing it.
#
# Uploads are on (wrangler.toml's MEDIA_UPLOADS, forced "on" here too), and the
# upload demo page is served on the same origin as /m/*: PORT is the dev front
# (tools/dev-front.mjs, a Node server that serves the page, mints its put tokens
# with the dev secret and passes everything else to wrangler dev, which listens
# on a port the kernel picks). The front is a development tool, never deployed.
#
#   PORT=8787   listen port; PORT=0 lets the kernel pick a free one (what the tests
#               use: a port picked free beforehand can be taken before it is bound);
#               the URLs printed carry the port actually bound
#   scripts/dev.sh --record FILE.jsonl
#               also append every /m/* exchange it serves to FILE.jsonl as fixture
#               lines (docs/FIXTURES.md): a recording proxy between the front and
#               wrangler dev (on a port the kernel picks)
#   DEV_VARS="NAME:value ..."
#               more `--var NAME:value` for wrangler dev, space-separated, on top of
#               wrangler.toml's [vars] (what a test needs, e.g. DEV_VARS=MEDIA_UPLOAD_EXPIRY_SECONDS:2
#               in tests/worker/tus_client.test.js); values without spaces
#   DEV_PERSIST=DIR
#               keep the local state (R2, KV, Durable Objects) in DIR instead of .wrangler/state
#               (wrangler's --persist-to): the tus tests upload hundreds of MiB into a temporary
#               DIR that they delete afterwards
#
# Ctrl-C (or a TERM) returns only once wrangler dev and workerd have exited, so a dev.sh started
# right after it finds the local state under .wrangler/ free (tests restart it mid-upload).
set -euo pipefail
RECORD=""
if [[ "${1:-}" == --record ]]; then
  RECORD="${2:?scripts/dev.sh --record needs a file, e.g. --record build/session.jsonl}"
  [[ "$RECORD" = /* ]] || RECORD="$PWD/$RECORD"   # relative to where it was run
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# Offline quiet, where wrangler allows it (errors and warnings about this
# project are still printed): no usage metrics; no banner, and with it no
# update check against the npm registry ("update available"); no fetch of the
# `Request.cf` object from workers.cloudflare.com (offline it warns "Unable to
# fetch the Request.cf object"; wrangler then uses its built-in placeholder,
# as it does here). `--test-scheduled` below replaces the "Scheduled Workers
# are not automatically triggered" warning with a route that triggers the cron.
export WRANGLER_SEND_METRICS=false
export WRANGLER_HIDE_BANNER=true
export CLOUDFLARE_CF_FETCH_ENABLED=false
PORT="${PORT:-8787}"
WRANGLER="$ROOT/node_modules/.bin/wrangler"

log() { printf '==> %s\n' "$*"; }

bash scripts/setup.sh

# A per-checkout dev secret, never committed (.dev.vars is ignored). wrangler
# dev reads it as if it had been set with `wrangler secret put`.
if [[ ! -f .dev.vars ]]; then
  secret="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
  printf 'MEDIA_TOKEN_SECRET=%s\n' "$secret" > .dev.vars
  log "wrote a new local dev secret to .dev.vars"
fi
MEDIA_TOKEN_SECRET="$(sed -n 's/^MEDIA_TOKEN_SECRET=//p' .dev.vars)"
export MEDIA_TOKEN_SECRET

# Demo media in the local R2 bucket (wrangler's local state under .wrangler/).
PERSIST=()
[[ -z ${DEV_PERSIST:-} ]] || PERSIST=(--persist-to "$DEV_PERSIST")
log "seeding local R2 (bucket \"media\") with demo media"
python3 scripts/make_demo_media.py build/demo
# The demo video: setup.sh's ffmpeg clips (4 s, 320x240, H.264 MP4 and VP9
# WebM), or, without ffmpeg, the small fallback clips that need nothing
# (scripts/make_demo_video.py).
VIDEO_DIR=build/media
if [[ ! -s $VIDEO_DIR/clip.mp4 || ! -s $VIDEO_DIR/clip.webm ]]; then
  VIDEO_DIR=build/demo
  python3 scripts/make_demo_video.py "$VIDEO_DIR"
  log "no ffmpeg clips in build/media: seeding the fallback demo video (scripts/make_demo_video.py)"
fi
declare -A DEMO=(
  ["u/demo/clip.mp4"]="$VIDEO_DIR/clip.mp4 video/mp4"
  ["u/demo/clip.webm"]="$VIDEO_DIR/clip.webm video/webm"
  ["u/demo/photo.png"]="build/demo/photo.png image/png"
  ["u/demo/noise.png"]="build/demo/noise.png image/png"
  ["u/demo/private.png"]="build/demo/photo.png image/png"
  # For trying revocation (docs/REVOCATION.md) without touching the sample URLs above.
  ["u/demo/revocable.png"]="build/demo/photo.png image/png"
  # The synthetic canary's object (scripts/media_canary_smoke.sh, docs/RUNBOOK.md).
  ["u/canary/canary.png"]="build/demo/noise.png image/png"
)
for key in "${!DEMO[@]}"; do
  read -r file type <<<"${DEMO[$key]}"
  "$WRANGLER" r2 object put "media/$key" --file "$file" --content-type "$type" --local "${PERSIST[@]}" >/dev/null
done

# setsid: wrangler starts npm, node, esbuild and workerd; one process group
# lets us stop all of them. Its output goes to a log file (shown as it comes,
# by tail), so that the port it bound can be read from its "Ready on" line.
# --var MEDIA_UPLOADS:on: the demo page uploads whatever wrangler.toml says.
mkdir -p build/tmp
DEV_LOG="$(mktemp build/tmp/dev.XXXXXX.log)"
log "starting wrangler dev on 127.0.0.1 (port picked by the kernel, behind the dev front)"
VARS=(--var MEDIA_UPLOADS:on)
for v in ${DEV_VARS:-}; do VARS+=(--var "$v"); done
setsid "$WRANGLER" dev --local --ip 127.0.0.1 --port 0 --inspector-port 0 "${VARS[@]}" "${PERSIST[@]}" --show-interactive-dev-session=false --test-scheduled >"$DEV_LOG" 2>&1 &
DEV_PID=$!
tail -n +1 -f "$DEV_LOG" &
TAIL_PID=$!
REC_PID=""
REC_LOG=""
FRONT_PID=""
FRONT_LOG=""
# Stops wrangler dev's process group and waits (up to 10 s, then KILL) until none of it is left.
stop_dev() {
  kill -- -"$DEV_PID" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 -- -"$DEV_PID" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- -"$DEV_PID" 2>/dev/null || true
}
trap 'stop_dev; kill "$TAIL_PID" 2>/dev/null || true; [[ -z $REC_PID ]] || kill "$REC_PID" 2>/dev/null || true; [[ -z $FRONT_PID ]] || kill "$FRONT_PID" 2>/dev/null || true; rm -f "$DEV_LOG" ${REC_LOG:+"$REC_LOG"} ${FRONT_LOG:+"$FRONT_LOG"}' EXIT INT TERM

# The origin a line "<what> http://127.0.0.1:<port>" in FILE names, once it is there (colour
# codes stripped); fails when process PID exits first or after 120 s.
wait_origin() { # FILE PATTERN PID
  local origin=""
  for _ in $(seq 1 1200); do
    origin="$(sed 's/\x1b\[[0-9;]*m//g' "$1" | sed -n "s|.*$2 \(http://127\.0\.0\.1:[0-9]*\).*|\1|p" | head -1)"
    if [[ -n $origin ]]; then echo "$origin"; return 0; fi
    if ! kill -0 "$3" 2>/dev/null; then echo "exited before printing '$2'" >&2; return 1; fi
    sleep 0.1
  done
  echo "no '$2' line after 120 s" >&2
  return 1
}
UPSTREAM="$(wait_origin "$DEV_LOG" "Ready on" "$DEV_PID")"
if [[ -n $RECORD ]]; then
  REC_LOG="$(mktemp build/tmp/record.XXXXXX.log)"
  node tools/record-proxy.mjs --listen 0 --upstream "$UPSTREAM" --out "$RECORD" >"$REC_LOG" 2>&1 &
  REC_PID=$!
  RECORDER="$(wait_origin "$REC_LOG" "listening on" "$REC_PID")"
  log "recording /m/* exchanges to $RECORD (proxy on $RECORDER -> wrangler dev on $UPSTREAM)"
  UPSTREAM="$RECORDER"
fi
# The origin everything is printed with: the dev front (the demo page, and /m/* passed on).
FRONT_LOG="$(mktemp build/tmp/front.XXXXXX.log)"
node tools/dev-front.mjs --listen "$PORT" --upstream "$UPSTREAM" >"$FRONT_LOG" 2>&1 &
FRONT_PID=$!
BASE="$(wait_origin "$FRONT_LOG" "listening on" "$FRONT_PID")"

PUB="$BASE$(scripts/mediagate mint --key u/demo/photo.png --public --url)"
NOISE="$BASE$(scripts/mediagate mint --key u/demo/noise.png --public --url)"
PRIV="$BASE$(scripts/mediagate mint --key u/demo/private.png --private --ttl 3600 --url)"
MP4="$BASE$(scripts/mediagate mint --key u/demo/clip.mp4 --public --url)"
WEBM="$BASE$(scripts/mediagate mint --key u/demo/clip.webm --public --url)"
MP4_PRIV="$BASE$(scripts/mediagate mint --key u/demo/clip.mp4 --private --ttl 3600 --url)"
WEBM_PRIV="$BASE$(scripts/mediagate mint --key u/demo/clip.webm --private --ttl 3600 --url)"

status_pub=$(curl -s -o /dev/null -w '%{http_code}' "$PUB")
status_range=$(curl -s -o /dev/null -w '%{http_code}' -H 'range: bytes=0-1' "$NOISE")
status_priv=$(curl -s -o /dev/null -w '%{http_code}' "$PRIV")
seek() { curl -s -o /dev/null -w '%{http_code}' -H 'range: bytes=1000-' "$1"; }  # what a player's seek asks
status_mp4=$(seek "$MP4"); status_webm=$(seek "$WEBM")
status_mp4_priv=$(seek "$MP4_PRIV"); status_webm_priv=$(seek "$WEBM_PRIV")
status_page=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/upload-demo")

cat <<MSG

mediagate is running on $BASE (local R2 and KV under ${DEV_PERSIST:-.wrangler/}, secret in .dev.vars)

  upload demo page ($status_page): $BASE/upload-demo
                pick a photo or video: PUT through the gate, shown back with public and private URLs

  public image  ($status_pub):  $PUB
  private image ($status_priv, expires in 1 hour):
                $PRIV
  Range request ($status_range):  curl -s -D - -o /dev/null -H 'range: bytes=0-1' '$NOISE'

  video, open in a browser and seek (Range: bytes=1000- answers $status_mp4, $status_webm, $status_mp4_priv, $status_webm_priv):
    public MP4 (H.264):   $MP4
    public WebM:          $WEBM
    private MP4 (1 hour): $MP4_PRIV
    private WebM (1 hour): $WEBM_PRIV

  more URLs and 401s (the secret is in .dev.vars):
                export MEDIA_TOKEN_SECRET="\$(sed -n 's/^MEDIA_TOKEN_SECRET=//p' .dev.vars)"
                scripts/mediagate mint --key u/demo/photo.png --private --url
                scripts/mediagate verify '<url>'
  revocation:   scripts/mediagate revoke u/demo/revocable.png --local --apply, then
                curl '$BASE/__scheduled' runs the cron's compaction: that key answers 410
  .dev.vars is read only at start: after editing it, Ctrl-C and run scripts/dev.sh again.

Ctrl-C to stop.
MSG
[[ -z $RECORD ]] || echo "  (recording: every /m/* exchange is appended to $RECORD)"
wait "$DEV_PID"
