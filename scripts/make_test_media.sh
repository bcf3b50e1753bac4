#!/usr/bin/env bash
# Test media for the browser tests (tests/browser/), made with Debian's ffmpeg from its built-in
# test sources, never downloaded: two 4-second 320x240 clips (H.264 MP4 with the index up front,
# VP9 WebM; about 200 KB each) and two still images (JPEG, WebP).
#
#   scripts/make_test_media.sh [DIR]     (default build/media; files already there are kept)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$ROOT/build/media}"
mkdir -p "$DIR"
command -v ffmpeg >/dev/null 2>&1 || { echo "make_test_media.sh: ffmpeg not found (scripts/setup.sh installs it)" >&2; exit 1; }

# -threads 1 and bitexact flags: the same bytes on every run of the same ffmpeg build.
GLOBAL=(-hide_banner -loglevel error -nostdin -y)
OUTPUT=(-threads 1 -fflags +bitexact -map_metadata -1)
CLIP=(-f lavfi -i testsrc2=size=320x240:rate=25:duration=4)

# Each file is written under a temporary name and renamed, so an interrupted run leaves no
# half-written file that looks done.
made=0
make() {  # name ffmpeg-args...
  local name=$1; shift
  [[ -s $DIR/$name ]] && return 0
  made=1
  local tmp="$DIR/.tmp.$name"
  ffmpeg "${GLOBAL[@]}" "$@" "${OUTPUT[@]}" "$tmp"
  mv "$tmp" "$DIR/$name"
  echo "==> made $DIR/$name ($(stat -c %s "$DIR/$name") bytes)"
}

make clip.mp4 "${CLIP[@]}" -c:v libx264 -preset veryfast -profile:v baseline -pix_fmt yuv420p \
  -b:v 400k -maxrate 400k -bufsize 400k -g 25 -movflags +faststart -f mp4
make clip.webm "${CLIP[@]}" -c:v libvpx-vp9 -b:v 400k -deadline realtime -cpu-used 8 -g 25 -f webm
make photo.jpg -f lavfi -i testsrc2=size=480x320 -frames:v 1 -f mjpeg
make photo.webp -f lavfi -i testsrc=size=320x200 -frames:v 1 -c:v libwebp -f webp
[[ $made -eq 1 ]] || echo "==> test media: ${DIR#"$ROOT"/} up to date"
