// Signature families of uploads: docs/UPLOADS.md "Signature families" (issue 14).
// Hand-built byte rows; the real files made by Debian's tools are checked by
// tests/native/test_media_signature_files.cc.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "media_signature.h"

namespace {

using mg::kSignatureBytes;
using mg::signature_check;
using mg::SignatureCheck;
using mg::SignatureFamily;
using namespace std::string_literals;

// Names, so a failed CHECK prints words (doctest 2.4 prints enums as numbers).
std::string str(SignatureCheck c) { return std::string(mg::signature_check_name(c)); }
std::string str(SignatureFamily f) { return std::string(mg::signature_family_name(f)); }
std::string check(SignatureFamily f, std::string_view body) {
  return str(signature_check(f, body));
}

constexpr auto kMatch = SignatureCheck::match;
constexpr auto kMismatch = SignatureCheck::mismatch;
constexpr auto kMore = SignatureCheck::need_more;

constexpr SignatureFamily kFamilies[] = {
    SignatureFamily::jpeg, SignatureFamily::png, SignatureFamily::gif,  SignatureFamily::webp,
    SignatureFamily::heif, SignatureFamily::mp4, SignatureFamily::webm,
};

// ---- byte builders -------------------------------------------------------------------------

std::string bytes(std::initializer_list<int> list) {
  std::string s;
  for (int b : list) s.push_back(static_cast<char>(b));
  return s;
}

std::string be32(std::uint32_t v) {
  return bytes({int(v >> 24) & 0xFF, int(v >> 16) & 0xFF, int(v >> 8) & 0xFF, int(v) & 0xFF});
}

std::string be64(std::uint64_t v) { return be32(std::uint32_t(v >> 32)) + be32(std::uint32_t(v)); }

// An `ftyp` box with a 32-bit size: major brand, minor version 0, compatible brands.
std::string ftyp(std::string_view major, std::initializer_list<std::string_view> compatible) {
  std::string payload = std::string(major) + be32(0);
  for (std::string_view b : compatible) payload += b;
  return be32(std::uint32_t(8 + payload.size())) + "ftyp" + payload;
}

// A box with an explicit size field (possibly a lie) and payload.
std::string box(std::uint32_t size, std::string_view type, std::string_view payload = {}) {
  return be32(size) + std::string(type) + std::string(payload);
}

// An EBML element with a one-byte size (data shorter than 127 bytes).
std::string element(std::initializer_list<int> id, std::string_view data) {
  return bytes(id) + bytes({0x80 | int(data.size())}) + std::string(data);
}

// An EBML header as ffmpeg's WebM muxer writes it, with `doctype`.
std::string ebml(std::string_view doctype) {
  std::string children = element({0x42, 0x86}, "\x01") + element({0x42, 0xF7}, "\x01") +
                         element({0x42, 0xF2}, "\x04") + element({0x42, 0xF3}, "\x08") +
                         element({0x42, 0x82}, doctype) + element({0x42, 0x87}, "\x02") +
                         element({0x42, 0x85}, "\x02");
  return bytes({0x1A, 0x45, 0xDF, 0xA3, 0x80 | int(children.size())}) + children;
}

const std::string kJpeg = bytes({0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10}) + "JFIF";
const std::string kPng = bytes({0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}) + be32(13) + "IHDR";
const std::string kWebp = "RIFF" + bytes({0x24, 0, 0, 0}) + "WEBPVP8 ";
const std::string kAvif = ftyp("avif", {"mif1", "miaf", "MA1B"});         // libavif's
const std::string kHeic = ftyp("heic", {"mif1", "heic"});                 // libheif's
const std::string kMp4 = ftyp("isom", {"isom", "iso2", "avc1", "mp41"});  // ffmpeg's mp4
const std::string kMov = ftyp("qt  ", {"qt  "});                          // ffmpeg's mov
const std::string kWebm = ebml("webm");

// ---- rows ----------------------------------------------------------------------------------

struct Row {
  const char* name;
  SignatureFamily family;
  std::string body;
  SignatureCheck want;
};

TEST_CASE("signature families: declared types (the upload types, any case, parameters ignored)") {
  struct TypeRow {
    const char* type;
    SignatureFamily want;
  };
  const TypeRow rows[] = {
      {"image/jpeg", SignatureFamily::jpeg},
      {"image/png", SignatureFamily::png},
      {"image/gif", SignatureFamily::gif},
      {"image/webp", SignatureFamily::webp},
      {"image/avif", SignatureFamily::heif},
      {"image/heic", SignatureFamily::heif},
      {"image/heif", SignatureFamily::heif},
      {"video/mp4", SignatureFamily::mp4},
      {"video/quicktime", SignatureFamily::mp4},
      {"video/webm", SignatureFamily::webm},
      {"IMAGE/JPEG", SignatureFamily::jpeg},
      {"Video/WebM", SignatureFamily::webm},
      {"video/webm; codecs=\"vp9\"", SignatureFamily::webm},
      {"image/png;charset=binary", SignatureFamily::png},
      {" image/gif ", SignatureFamily::gif},
      {"image/heic ; x=y", SignatureFamily::heif},
      {"", SignatureFamily::none},
      {"image/svg+xml", SignatureFamily::none},
      {"text/html", SignatureFamily::none},
      {"audio/mp4", SignatureFamily::none},
      {"image/jpg", SignatureFamily::none},
      {"image/jpeg2", SignatureFamily::none},
      {"image", SignatureFamily::none},
      {"image/ jpeg", SignatureFamily::none},
      {"video/x-matroska", SignatureFamily::none},
      {"application/octet-stream", SignatureFamily::none},
  };
  for (const TypeRow& r : rows) {
    std::string type = r.type;
    CAPTURE(type);
    CHECK(str(mg::signature_family_of_type(r.type)) == str(r.want));
  }
}

const Row& minimal(SignatureFamily f) {
  static const Row rows[] = {
      {"jpeg", SignatureFamily::jpeg, kJpeg, kMatch},
      {"png", SignatureFamily::png, kPng, kMatch},
      {"gif87a", SignatureFamily::gif, "GIF87a\x01\x00"s, kMatch},
      {"webp", SignatureFamily::webp, kWebp, kMatch},
      {"avif", SignatureFamily::heif, kAvif, kMatch},
      {"mp4", SignatureFamily::mp4, kMp4, kMatch},
      {"webm", SignatureFamily::webm, kWebm, kMatch},
  };
  for (const Row& r : rows) {
    if (r.family == f) return r;
  }
  return rows[0];
}

TEST_CASE("signature families: each family's minimal header matches it and no other family") {
  for (SignatureFamily f : kFamilies) {
    const Row& row = minimal(f);
    for (SignatureFamily g : kFamilies) {
      std::string name = row.name;
      CAPTURE(name);
      std::string family = str(g);
      CAPTURE(family);
      CHECK(check(g, row.body) == str((g == f ? kMatch : kMismatch)));
    }
    CHECK(check(SignatureFamily::none, row.body) == str(kMismatch));
  }
}

TEST_CASE("signature families: hand-built rows (magic numbers, brands, box sizes, DocType)") {
  const Row rows[] = {
      // JPEG: SOI then any marker.
      {"jpeg exif", SignatureFamily::jpeg, bytes({0xFF, 0xD8, 0xFF, 0xE1}), kMatch},
      {"jpeg exactly 3 bytes", SignatureFamily::jpeg, bytes({0xFF, 0xD8, 0xFF}), kMatch},
      {"jpeg SOI without marker", SignatureFamily::jpeg, bytes({0xFF, 0xD8, 0x00}), kMismatch},
      {"jpeg after a space", SignatureFamily::jpeg, " " + kJpeg, kMismatch},
      // PNG: all 8 bytes.
      {"png exactly 8 bytes", SignatureFamily::png, kPng.substr(0, 8), kMatch},
      {"png CRLF turned LF", SignatureFamily::png,
       bytes({0x89, 'P', 'N', 'G', 0x0A, 0x1A, 0x0A, 0}), kMismatch},
      {"png high bit cleared", SignatureFamily::png, "\x09PNG\r\n\x1A\n", kMismatch},
      {"png at offset 1", SignatureFamily::png, "x" + kPng, kMismatch},
      // GIF: both versions, nothing else.
      {"gif89a", SignatureFamily::gif, "GIF89a", kMatch},
      {"gif88a", SignatureFamily::gif, "GIF88a", kMismatch},
      {"gif87b", SignatureFamily::gif, "GIF87b", kMismatch},
      {"gif lower case", SignatureFamily::gif, "gif89a", kMismatch},
      // WebP: RIFF, WEBP, then a VP8 / VP8L / VP8X chunk.
      {"webp lossless", SignatureFamily::webp, "RIFF\x10\x00\x00\x00WEBPVP8L"s, kMatch},
      {"webp extended", SignatureFamily::webp, "RIFF\x10\x00\x00\x00WEBPVP8X"s, kMatch},
      {"riff avi", SignatureFamily::webp,
       "RIFF\x10\x00\x00\x00"
       "AVI LIST"s,
       kMismatch},
      {"riff wave", SignatureFamily::webp, "RIFF\x10\x00\x00\x00WAVEfmt "s, kMismatch},
      {"webp unknown first chunk", SignatureFamily::webp, "RIFF\x10\x00\x00\x00WEBPALPH"s,
       kMismatch},
      {"webp big-endian RIFX", SignatureFamily::webp, "RIFX\x10\x00\x00\x00WEBPVP8 "s, kMismatch},
      // AVIF / HEIF: major or compatible brand.
      {"heic libheif", SignatureFamily::heif, kHeic, kMatch},
      {"heif mif1 only", SignatureFamily::heif, ftyp("mif1", {}), kMatch},
      {"heif msf1 sequence", SignatureFamily::heif, ftyp("msf1", {"iso8", "msf1"}), kMatch},
      {"avif sequence avis", SignatureFamily::heif, ftyp("avis", {"avis", "msf1", "iso8"}), kMatch},
      {"avif compatible only", SignatureFamily::heif, ftyp("MA1B", {"iso8", "avif"}), kMatch},
      {"heix", SignatureFamily::heif, ftyp("heix", {}), kMatch},
      {"apple heic", SignatureFamily::heif,
       ftyp("heic", {"mif1", "MiHE", "MiPr", "miaf", "MiHB", "heic"}), kMatch},
      {"heif brand is case-sensitive", SignatureFamily::heif, ftyp("HEIC", {"AVIF"}), kMismatch},
      {"mp4 declared as avif", SignatureFamily::heif, kMp4, kMismatch},
      {"mov declared as heic", SignatureFamily::heif, kMov, kMismatch},
      {"old quicktime declared as heif", SignatureFamily::heif, box(8, "wide") + box(0, "mdat"),
       kMismatch},
      // MP4 / QuickTime.
      {"mov ffmpeg", SignatureFamily::mp4, kMov, kMatch},
      {"mp4 mp42 major", SignatureFamily::mp4, ftyp("mp42", {"mp42", "isom"}), kMatch},
      {"mp4 xavc with mp42", SignatureFamily::mp4, ftyp("XAVC", {"XAVC", "mp42", "iso2"}), kMatch},
      {"mp4 dash", SignatureFamily::mp4, ftyp("dash", {"iso6", "mp41"}), kMatch},
      {"m4v", SignatureFamily::mp4, ftyp("M4V ", {"M4V ", "M4A ", "mp42", "isom"}), kMatch},
      {"3gp android", SignatureFamily::mp4, ftyp("3gp4", {"isom", "3gp4"}), kMatch},
      {"m4a audio only brands", SignatureFamily::mp4, ftyp("M4A ", {"M4A "}), kMismatch},
      {"avif declared as mp4", SignatureFamily::mp4, kAvif, kMismatch},
      {"heic declared as mp4", SignatureFamily::mp4, kHeic, kMismatch},
      {"quicktime moov first", SignatureFamily::mp4, box(1000, "moov", box(108, "mvhd")), kMatch},
      {"quicktime mdat first", SignatureFamily::mp4, box(0, "mdat"), kMatch},
      {"quicktime wide first", SignatureFamily::mp4, box(8, "wide") + box(100, "mdat"), kMatch},
      {"quicktime free first", SignatureFamily::mp4, box(16, "free"), kMatch},
      {"quicktime skip first", SignatureFamily::mp4, box(16, "skip"), kMatch},
      {"quicktime pnot first", SignatureFamily::mp4, box(20, "pnot"), kMismatch},
      {"quicktime upper case MOOV", SignatureFamily::mp4, box(20, "MOOV"), kMismatch},
      // Box sizes (ISO/IEC 14496-12 4.2).
      {"ftyp size 0: to the end", SignatureFamily::mp4, box(0, "ftyp", "isom" + be32(0)), kMatch},
      {"ftyp size 0 with compatible", SignatureFamily::heif,
       box(0, "ftyp", "xxxx" + be32(0) + "mif1"), kMatch},
      {"ftyp largesize", SignatureFamily::mp4, box(1, "ftyp", be64(28) + "mp42" + be32(0) + "isom"),
       kMatch},
      {"ftyp largesize brand in box", SignatureFamily::heif,
       box(1, "ftyp", be64(32) + "xxxx" + be32(0) + "abcd" + "avif"), kMatch},
      {"ftyp largesize brand past box", SignatureFamily::heif,
       box(1, "ftyp", be64(28) + "xxxx" + be32(0) + "abcd" + "avif"), kMismatch},
      {"ftyp largesize below 16", SignatureFamily::mp4, box(1, "ftyp", be64(15) + "isom" + be32(0)),
       kMismatch},
      {"ftyp largesize 16: no major", SignatureFamily::mp4,
       box(1, "ftyp", be64(16) + "isom" + be32(0)), kMismatch},
      {"ftyp size 2", SignatureFamily::mp4, box(2, "ftyp", "isom" + be32(0)), kMismatch},
      {"ftyp size 7", SignatureFamily::mp4, box(7, "ftyp", "isom" + be32(0)), kMismatch},
      {"ftyp size 8: no major", SignatureFamily::mp4, box(8, "ftyp", "isom" + be32(0)), kMismatch},
      {"ftyp size 12: no minor", SignatureFamily::mp4, box(12, "ftyp", "isom" + be32(0)),
       kMismatch},
      {"ftyp size 16: major only", SignatureFamily::mp4, box(16, "ftyp", "isom" + be32(0)), kMatch},
      {"ftyp size 16, brand after the box", SignatureFamily::mp4,
       box(16, "ftyp", "xxxx" + be32(0) + "isom"), kMismatch},
      {"ftyp size 18: half a brand ignored", SignatureFamily::mp4,
       box(18, "ftyp", "xxxx" + be32(0) + "isom"), kMismatch},
      {"minor version is not a brand", SignatureFamily::mp4,
       box(16, "ftyp",
           "xxxx"
           "isom"),
       kMismatch},
      {"quicktime size 5", SignatureFamily::mp4, box(5, "moov"), kMismatch},
      {"quicktime largesize", SignatureFamily::mp4, box(1, "mdat", be64(1u << 20)), kMatch},
      {"quicktime largesize 8", SignatureFamily::mp4, box(1, "mdat", be64(8)), kMismatch},
      {"ftyp not first", SignatureFamily::mp4, box(8, "free") + kAvif, kMatch},  // free: old QT
      {"ftyp not first (heif)", SignatureFamily::heif, box(8, "free") + kAvif, kMismatch},
      // WebM: EBML header with DocType webm or matroska (RFC 8794, Matroska).
      {"matroska doctype", SignatureFamily::webm, ebml("matroska"), kMatch},
      {"webm doctype zero padded", SignatureFamily::webm, ebml(std::string("webm\0\0", 6)), kMatch},
      {"other doctype", SignatureFamily::webm, ebml("mkv"), kMismatch},
      {"doctype upper case", SignatureFamily::webm, ebml("WEBM"), kMismatch},
      {"doctype prefix", SignatureFamily::webm, ebml("web"), kMismatch},
      {"doctype first", SignatureFamily::webm,
       bytes({0x1A, 0x45, 0xDF, 0xA3, 0x87}) + element({0x42, 0x82}, "webm"), kMatch},
      {"doctype 8-byte size", SignatureFamily::webm,
       bytes({0x1A, 0x45, 0xDF, 0xA3, 0x01, 0, 0, 0, 0, 0, 0,
              0x0E, 0x42, 0x82, 0x01, 0,    0, 0, 0, 0, 0, 0x04}) +
           "webm",
       kMatch},
      {"no doctype", SignatureFamily::webm,
       bytes({0x1A, 0x45, 0xDF, 0xA3, 0x84}) + element({0x42, 0x86}, "\x01") +
           std::string(300, '\0'),
       kMismatch},
      {"doctype past the header", SignatureFamily::webm,
       bytes({0x1A, 0x45, 0xDF, 0xA3, 0x84}) + element({0x42, 0x82}, "webm"), kMismatch},
      {"unknown-size header", SignatureFamily::webm,
       bytes({0x1A, 0x45, 0xDF, 0xA3, 0xFF}) + element({0x42, 0x82}, "webm"), kMismatch},
      {"unknown-size child", SignatureFamily::webm,
       bytes({0x1A, 0x45, 0xDF, 0xA3, 0x87, 0x42, 0x82, 0xFF}) + "webm", kMismatch},
      {"header size byte 0", SignatureFamily::webm, bytes({0x1A, 0x45, 0xDF, 0xA3, 0x00, 0x00}),
       kMismatch},
      {"5-byte element id", SignatureFamily::webm,
       bytes({0x1A, 0x45, 0xDF, 0xA3, 0x8A, 0x08, 1, 2, 3, 4, 0x84}) + "webm", kMismatch},
      {"ebml magic only after a byte", SignatureFamily::webm, std::string(1, '\0') + kWebm,
       kMismatch},
      // Polyglots and mislabelled files: the family's signature at offset 0, nothing else.
      {"html as jpeg", SignatureFamily::jpeg, "<!DOCTYPE html><html>", kMismatch},
      {"html as mp4", SignatureFamily::mp4, "<!DOCTYPE html><html><body>", kMismatch},
      {"svg as png", SignatureFamily::png, "<svg xmlns=\"http://www.w3.org/2000/svg\">", kMismatch},
      {"svg as webp", SignatureFamily::webp, "<?xml version=\"1.0\"?><svg/>", kMismatch},
      {"svg as heif", SignatureFamily::heif, "<svg xmlns=\"http://www.w3.org/2000/svg\">",
       kMismatch},
      {"gif as png", SignatureFamily::png, "GIF89a\x01\x00\x01\x00"s, kMismatch},
      {"png as gif", SignatureFamily::gif, kPng, kMismatch},
      {"jpeg as webm", SignatureFamily::webm, kJpeg, kMismatch},
      {"html with ftyp later", SignatureFamily::mp4, "<html>" + kMp4, kMismatch},
      {"bom then gif", SignatureFamily::gif, "\xEF\xBB\xBFGIF89a", kMismatch},
      {"empty body", SignatureFamily::jpeg, "", kMore},
      {"none family", SignatureFamily::none, kJpeg, kMismatch},
  };
  for (const Row& r : rows) {
    std::string name = r.name;
    CAPTURE(name);
    CHECK(check(r.family, r.body) == str(r.want));
  }
}

// Truncated at every prefix length: need_more until the deciding byte, then the answer stays.
TEST_CASE("signature families: every prefix of a header is need_more until it decides") {
  struct PrefixRow {
    const char* name;
    SignatureFamily family;
    std::string body;
    std::size_t decides_at;  // shortest prefix with an answer other than need_more
    SignatureCheck want;
  };
  const PrefixRow rows[] = {
      {"jpeg", SignatureFamily::jpeg, kJpeg, 3, kMatch},
      {"png", SignatureFamily::png, kPng, 8, kMatch},
      {"gif", SignatureFamily::gif, "GIF89a;", 6, kMatch},
      {"gif wrong version", SignatureFamily::gif, "GIF90a", 4, kMismatch},
      {"webp", SignatureFamily::webp, kWebp, 16, kMatch},
      {"riff avi", SignatureFamily::webp,
       "RIFF\x10\x00\x00\x00"
       "AVI LIST"s,
       9, kMismatch},
      {"avif major", SignatureFamily::heif, kAvif, 12, kMatch},
      {"heic compat 2nd", SignatureFamily::heif, ftyp("xxxx", {"abcd", "heic"}), 24, kMatch},
      {"mp4 major", SignatureFamily::mp4, kMp4, 12, kMatch},
      {"mp4 as heif: after the box's last brand", SignatureFamily::heif, kMp4, 32, kMismatch},
      {"mp4 largesize", SignatureFamily::mp4, box(1, "ftyp", be64(28) + "xxxx" + be32(0) + "mp41"),
       28, kMatch},
      {"quicktime wide", SignatureFamily::mp4, box(8, "wide") + box(0, "mdat"), 8, kMatch},
      {"quicktime wrong type", SignatureFamily::mp4, box(8, "wipe"), 7, kMismatch},
      {"box size 3 decided by the size", SignatureFamily::mp4, box(3, "ftyp"), 4, kMismatch},
      {"webm", SignatureFamily::webm, kWebm, 5 + 16 + 3 + 4, kMatch},
      {"ebml other doctype", SignatureFamily::webm, ebml("mkv"), 5 + 16 + 3 + 3, kMismatch},
      {"html as heif", SignatureFamily::heif, "<html><body>", 5, kMismatch},
      {"html as webm", SignatureFamily::webm, "<html>", 1, kMismatch},
  };
  for (const PrefixRow& r : rows) {
    for (std::size_t n = 0; n <= r.body.size(); ++n) {
      std::string name = r.name;
      CAPTURE(name);
      CAPTURE(n);
      CHECK(check(r.family, std::string_view(r.body).substr(0, n)) ==
            str((n < r.decides_at ? kMore : r.want)));
    }
  }
}

TEST_CASE("signature families: kSignatureBytes always decides, and bytes past it are not read") {
  // An ftyp box of 1000 bytes whose brands never match: need_more below kSignatureBytes,
  // mismatch from there on, whatever comes after.
  std::string big = box(1000, "ftyp", "xxxx" + be32(0));
  while (big.size() < 1000) big += "abcd";
  for (SignatureFamily f : {SignatureFamily::heif, SignatureFamily::mp4}) {
    std::string family = str(f);
    CAPTURE(family);
    CHECK(check(f, std::string_view(big).substr(0, kSignatureBytes - 1)) == str(kMore));
    CHECK(check(f, std::string_view(big).substr(0, kSignatureBytes)) == str(kMismatch));
  }
  // A brand inside the box but past kSignatureBytes is not looked for.
  std::string late = big;
  late.replace(kSignatureBytes, 4, "isom");
  CHECK(check(SignatureFamily::mp4, late) == str(kMismatch));
  late.replace(kSignatureBytes - 4, 4, "isom");
  CHECK(check(SignatureFamily::mp4, late) == str(kMatch));
  CHECK(check(SignatureFamily::mp4, std::string_view(late).substr(0, kSignatureBytes - 1)) ==
        str(kMore));

  // The same for an EBML header whose DocType lies past kSignatureBytes (a long Void first).
  std::string filler(kSignatureBytes, 'x');
  std::string children = bytes({0xEC, 0x40 | int(filler.size() >> 8), int(filler.size() & 0xFF)}) +
                         filler + element({0x42, 0x82}, "webm");
  std::string webm = bytes({0x1A, 0x45, 0xDF, 0xA3, 0x40 | int(children.size() >> 8),
                            int(children.size() & 0xFF)}) +
                     children;
  CHECK(check(SignatureFamily::webm, std::string_view(webm).substr(0, kSignatureBytes - 1)) ==
        str(kMore));
  CHECK(check(SignatureFamily::webm, webm) == str(kMismatch));
  // Every family decides on kSignatureBytes bytes of anything.
  for (SignatureFamily f : kFamilies) {
    std::string family = str(f);
    CAPTURE(family);
    CHECK(check(f, std::string(kSignatureBytes, '\0')) != str(kMore));
    CHECK(check(f, std::string(kSignatureBytes, '\xFF')) != str(kMore));
  }
}

}  // namespace
