// Fuzz target `signature`: upload signature families (signature_check,
// signature_family_of_type; docs/UPLOADS.md "Signature families").
//
// Input: the bytes as the first bytes of a body, checked against every family, and as a
// declared media type.
//
// Invariants, for every family:
//  - never a read past the bytes given: every prefix (up to kSignatureBytes + 1 bytes) is
//    checked from its own exact-size heap copy, so ASan sees a byte too far;
//  - need_more only when fewer than kSignatureBytes bytes were given;
//  - an answer, once given, stays: a prefix answering match or mismatch answers the same for
//    every longer prefix and for the whole input (so a prefix of a match is match or
//    need_more, and bytes past kSignatureBytes never change the answer);
//  - the `none` family never matches;
//  - independent models of the magic numbers: jpeg matches exactly when the bytes open with
//    FF D8 FF, png with the 8-byte signature, gif with GIF87a/GIF89a, webp with RIFF....WEBP
//    and a VP8/VP8L/VP8X chunk; a heif match has `ftyp` at offset 4, an mp4 match `ftyp` or an
//    old QuickTime atom there, a webm match opens with 1A 45 DF A3.
// And for the bytes as a media type: the family ignores ASCII case and parameters.
#include <cstring>
#include <memory>
#include <string>

#include "fuzz_util.h"
#include "media_signature.h"

namespace {

using mg::SignatureCheck;
using mg::SignatureFamily;

constexpr SignatureFamily kFamilies[] = {
    SignatureFamily::none, SignatureFamily::jpeg, SignatureFamily::png, SignatureFamily::gif,
    SignatureFamily::webp, SignatureFamily::heif, SignatureFamily::mp4, SignatureFamily::webm,
};

bool starts(std::string_view b, std::size_t off, std::string_view magic) {
  return b.size() >= off + magic.size() && b.substr(off, magic.size()) == magic;
}

// What the model says a full header (kSignatureBytes or more, or all the bytes there are)
// must answer; `unknown` where the model only constrains a match.
enum class Model { match, mismatch, unknown };

Model model(SignatureFamily f, std::string_view b) {
  switch (f) {
    case SignatureFamily::none: return Model::mismatch;
    case SignatureFamily::jpeg:
      return starts(b, 0, std::string_view("\xFF\xD8\xFF", 3)) ? Model::match : Model::mismatch;
    case SignatureFamily::png:
      return starts(b, 0, std::string_view("\x89PNG\r\n\x1A\n", 8)) ? Model::match
                                                                    : Model::mismatch;
    case SignatureFamily::gif:
      return starts(b, 0, "GIF87a") || starts(b, 0, "GIF89a") ? Model::match : Model::mismatch;
    case SignatureFamily::webp:
      return starts(b, 0, "RIFF") && starts(b, 8, "WEBP") &&
                     (starts(b, 12, "VP8 ") || starts(b, 12, "VP8L") || starts(b, 12, "VP8X"))
                 ? Model::match
                 : Model::mismatch;
    case SignatureFamily::heif: return starts(b, 4, "ftyp") ? Model::unknown : Model::mismatch;
    case SignatureFamily::mp4:
      for (const char* t : {"ftyp", "moov", "mdat", "wide", "free", "skip"}) {
        if (starts(b, 4, t)) return Model::unknown;
      }
      return Model::mismatch;
    case SignatureFamily::webm:
      return starts(b, 0, std::string_view("\x1A\x45\xDF\xA3", 4)) ? Model::unknown
                                                                   : Model::mismatch;
  }
  return Model::unknown;
}

SignatureCheck check_copy(SignatureFamily f, const char* data, std::size_t n) {
  // An exact-size heap copy: a read past n is a heap overflow ASan reports.
  std::unique_ptr<char[]> copy(new char[n == 0 ? 1 : n]);
  if (n) std::memcpy(copy.get(), data, n);
  return mg::signature_check(f, std::string_view(copy.get(), n));
}

void check_family(SignatureFamily f, std::string_view body) {
  const SignatureCheck whole = mg::signature_check(f, body);
  if (body.size() >= mg::kSignatureBytes) MG_FUZZ_CHECK(whole != SignatureCheck::need_more);
  if (f == SignatureFamily::none) MG_FUZZ_CHECK(whole == SignatureCheck::mismatch);

  const std::size_t last =
      body.size() < mg::kSignatureBytes + 1 ? body.size() : mg::kSignatureBytes + 1;
  bool decided = false;
  SignatureCheck first_answer = SignatureCheck::need_more;
  for (std::size_t n = 0; n <= last; ++n) {
    SignatureCheck r = check_copy(f, body.data(), n);
    if (r == SignatureCheck::need_more) {
      MG_FUZZ_CHECK(n < mg::kSignatureBytes);
      MG_FUZZ_CHECK(!decided);  // an answer never goes back to need_more
      continue;
    }
    if (!decided) {
      decided = true;
      first_answer = r;
    }
    MG_FUZZ_CHECK(r == first_answer);
  }
  if (decided) MG_FUZZ_CHECK(whole == first_answer);

  if (whole != SignatureCheck::need_more) {
    Model m = model(f, body.substr(0, mg::kSignatureBytes));
    if (m == Model::match) MG_FUZZ_CHECK(whole == SignatureCheck::match);
    if (m == Model::mismatch) MG_FUZZ_CHECK(whole == SignatureCheck::mismatch);
  }
}

void check_media_type(std::string_view text) {
  SignatureFamily f = mg::signature_family_of_type(text);
  std::string upper(text);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  MG_FUZZ_CHECK(mg::signature_family_of_type(upper) == f);
  std::string with_parameter(text);
  with_parameter += ";codecs=x";
  MG_FUZZ_CHECK(mg::signature_family_of_type(with_parameter) == f);
  // A known type is type/subtype.
  if (f != SignatureFamily::none)
    MG_FUZZ_CHECK(text.substr(0, text.find(';')).find('/') != std::string_view::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body = mgfuzz::as_text(data, size);
  for (SignatureFamily f : kFamilies) check_family(f, body);
  check_media_type(body);
  return 0;
}
