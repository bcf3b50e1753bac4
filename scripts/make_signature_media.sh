#!/usr/bin/env bash
# Real files for the upload signature-family test (tests/native/test_media_signature_files.cc,
# docs/UPLOADS.md "Signature families"), made by Debian's own encoders, never downloaded:
#   ffmpeg       MP4 (H.264, and fragmented), MOV, WebM (VP8, VP9), Matroska, JPEG, PNG, GIF, WebP
#   ImageMagick  JPEG, PNG, GIF (convert-im6.q16, package imagemagick)
#   cwebp        WebP lossy, lossless, with alpha (package webp)
#   avifenc      AVIF (package libavif-bin)
#   heif-enc     HEIC, and AVIF through libheif (package libheif-examples)
# The list of files here and in the test must agree; the test fails on a missing file.
#
#   scripts/make_signature_media.sh [DIR]     (default build/media/signatures; files already
#                                              there are kept)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$ROOT/build/media/signatures}"
mkdir -p "$DIR"

die() { echo "make_signature_media.sh: $*" >&2; exit 1; }
# ImageMagick 6 by its Debian name, so that no other `convert` on PATH stands in for it.
MAGICK="$(command -v convert-im6.q16 || true)"
for tool in ffmpeg cwebp avifenc heif-enc; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (scripts/setup.sh installs it)"
done
[[ -n $MAGICK ]] \
  || die "convert-im6.q16 not found (package imagemagick; scripts/setup.sh installs it)"

GLOBAL=(-hide_banner -loglevel error -nostdin -y)
STILL=(-f lavfi -i testsrc2=size=96x64 -frames:v 1)
CLIP=(-f lavfi -i testsrc2=size=96x64:rate=10:duration=1)

# Each file is written under a temporary name (same extension: the tools pick the format from
# it) and renamed, so an interrupted run leaves no half-written file that looks done.
made=0
make() {  # name command... ({} in the command is the output file)
  local name=$1; shift
  [[ -s $DIR/$name ]] && return 0
  made=1
  local tmp="$DIR/.tmp.$name" args=()
  for a in "$@"; do args+=("${a//\{\}/$tmp}"); done
  rm -f "$tmp"
  "${args[@]}" >/dev/null
  [[ -s $tmp ]] || die "$1 made no $name"
  mv "$tmp" "$DIR/$name"
  echo "==> made ${DIR#"$ROOT"/}/$name ($(stat -c %s "$DIR/$name") bytes)"
}

# Inputs for the still-image encoders (a PNG with and without alpha), made by ffmpeg.
make source.png ffmpeg "${GLOBAL[@]}" "${STILL[@]}" -f image2 -c:v png {}
make source-alpha.png ffmpeg "${GLOBAL[@]}" "${STILL[@]}" -vf format=rgba,colorchannelmixer=aa=0.5 \
  -f image2 -c:v png {}

# ffmpeg
make ffmpeg-h264.mp4 ffmpeg "${GLOBAL[@]}" "${CLIP[@]}" -c:v libx264 -preset ultrafast \
  -pix_fmt yuv420p -f mp4 {}
make ffmpeg-h264-faststart.mp4 ffmpeg "${GLOBAL[@]}" "${CLIP[@]}" -c:v libx264 -preset ultrafast \
  -pix_fmt yuv420p -movflags +faststart -f mp4 {}
make ffmpeg-h264-fragmented.mp4 ffmpeg "${GLOBAL[@]}" "${CLIP[@]}" -c:v libx264 -preset ultrafast \
  -pix_fmt yuv420p -movflags +frag_keyframe+empty_moov+default_base_moof -f mp4 {}
make ffmpeg-h264.mov ffmpeg "${GLOBAL[@]}" "${CLIP[@]}" -c:v libx264 -preset ultrafast \
  -pix_fmt yuv420p -f mov {}
make ffmpeg-vp8.webm ffmpeg "${GLOBAL[@]}" "${CLIP[@]}" -c:v libvpx -deadline realtime -f webm {}
make ffmpeg-vp9.webm ffmpeg "${GLOBAL[@]}" "${CLIP[@]}" -c:v libvpx-vp9 -deadline realtime \
  -cpu-used 8 -f webm {}
make ffmpeg-vp9.mkv ffmpeg "${GLOBAL[@]}" "${CLIP[@]}" -c:v libvpx-vp9 -deadline realtime \
  -cpu-used 8 -f matroska {}
make ffmpeg.jpg ffmpeg "${GLOBAL[@]}" "${STILL[@]}" -f image2 -c:v mjpeg {}
make ffmpeg.png ffmpeg "${GLOBAL[@]}" "${STILL[@]}" -f image2 -c:v png {}
make ffmpeg.gif ffmpeg "${GLOBAL[@]}" "${STILL[@]}" -f gif {}
make ffmpeg.webp ffmpeg "${GLOBAL[@]}" "${STILL[@]}" -c:v libwebp -f webp {}

# ImageMagick
make magick.jpg "$MAGICK" "$DIR/source.png" {}
make magick.png "$MAGICK" "$DIR/source.png" {}
make magick.gif "$MAGICK" "$DIR/source.png" {}

# cwebp
make cwebp-lossy.webp cwebp -quiet -q 75 "$DIR/source.png" -o {}
make cwebp-lossless.webp cwebp -quiet -lossless "$DIR/source.png" -o {}
make cwebp-alpha.webp cwebp -quiet -q 75 "$DIR/source-alpha.png" -o {}

# avifenc (libavif) and heif-enc (libheif)
make avifenc.avif avifenc -s 10 "$DIR/source.png" {}
make heif-enc.heic heif-enc -q 50 "$DIR/source.png" -o {}
make heif-enc.avif heif-enc --avif -q 50 "$DIR/source.png" -o {}

[[ $made -eq 1 ]] || echo "==> signature media: ${DIR#"$ROOT"/} up to date"
