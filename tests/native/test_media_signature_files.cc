// Signature families against real files made by Debian's encoders (ffmpeg, ImageMagick, cwebp,
// avifenc, heif-enc): scripts/make_signature_media.sh, run by scripts/setup.sh, writes them to
// build/media/signatures (MG_SIGNATURE_MEDIA overrides the directory). A missing file fails.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "media_signature.h"

namespace {

using mg::SignatureCheck;
using mg::SignatureFamily;

struct RealFile {
  const char* name;  // under build/media/signatures, as make_signature_media.sh names it
  const char* declared;
};

constexpr RealFile kFiles[] = {
    {"ffmpeg-h264.mp4", "video/mp4"},
    {"ffmpeg-h264-faststart.mp4", "video/mp4"},
    {"ffmpeg-h264-fragmented.mp4", "video/mp4"},
    {"ffmpeg-h264.mov", "video/quicktime"},
    {"ffmpeg-vp8.webm", "video/webm"},
    {"ffmpeg-vp9.webm", "video/webm"},
    {"ffmpeg-vp9.mkv", "video/webm"},  // DocType matroska, accepted as video/webm
    {"ffmpeg.jpg", "image/jpeg"},
    {"ffmpeg.png", "image/png"},
    {"ffmpeg.gif", "image/gif"},
    {"ffmpeg.webp", "image/webp"},
    {"source.png", "image/png"},
    {"source-alpha.png", "image/png"},
    {"magick.jpg", "image/jpeg"},
    {"magick.png", "image/png"},
    {"magick.gif", "image/gif"},
    {"cwebp-lossy.webp", "image/webp"},
    {"cwebp-lossless.webp", "image/webp"},
    {"cwebp-alpha.webp", "image/webp"},
    {"avifenc.avif", "image/avif"},
    {"heif-enc.heic", "image/heic"},
    {"heif-enc.avif", "image/avif"},
};

constexpr SignatureFamily kFamilies[] = {
    SignatureFamily::jpeg, SignatureFamily::png, SignatureFamily::gif,  SignatureFamily::webp,
    SignatureFamily::heif, SignatureFamily::mp4, SignatureFamily::webm,
};

std::string str(SignatureCheck c) { return std::string(mg::signature_check_name(c)); }

std::string media_dir() {
  const char* env = std::getenv("MG_SIGNATURE_MEDIA");
  return env && *env ? env : "build/media/signatures";
}

bool read_file(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out->assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

TEST_CASE("signature families: real files match their declared type's family and no other") {
  for (const RealFile& file : kFiles) {
    std::string path = media_dir() + "/" + file.name;
    CAPTURE(path);
    std::string body;
    REQUIRE_MESSAGE(read_file(path, &body),
                    "missing: run scripts/setup.sh (scripts/make_signature_media.sh makes it)");
    REQUIRE(body.size() > mg::kSignatureBytes);
    SignatureFamily own = mg::signature_family_of_type(file.declared);
    REQUIRE(own != SignatureFamily::none);
    std::string_view head = std::string_view(body).substr(0, mg::kSignatureBytes);

    // The whole file, and what an upload hands the check: its first kSignatureBytes.
    CHECK(str(mg::signature_check(own, body)) == "match");
    CHECK(str(mg::signature_check(own, head)) == "match");
    // Every shorter prefix waits for more or already matches.
    for (std::size_t n = 0; n < head.size(); ++n) {
      SignatureCheck c = mg::signature_check(own, head.substr(0, n));
      if (c != SignatureCheck::need_more) CHECK(str(c) == "match");
    }
    for (SignatureFamily other : kFamilies) {
      if (other == own) continue;
      std::string_view family = mg::signature_family_name(other);
      CAPTURE(family);
      CHECK(str(mg::signature_check(other, head)) == "mismatch");
    }
  }
}

}  // namespace
