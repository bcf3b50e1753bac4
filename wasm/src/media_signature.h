// Signature families of uploads (docs/UPLOADS.md "Signature families"; issue 14).
// Pure functions over the first bytes of a body: no allocation, no I/O.
//
// An upload is stored only when its first bytes open a file of the family of
// its declared media type. The check reads the container's own header at
// offset 0 (a magic number, an ISO-BMFF `ftyp` box with its brands, an EBML
// header with its DocType); anything else first (HTML, SVG, a GIF declared as
// PNG, a video-only `ftyp` declared as image/avif) is a mismatch.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mg {

enum class SignatureFamily : std::uint8_t {
  none,  // not an upload type: every body mismatches
  jpeg,  // image/jpeg
  png,   // image/png
  gif,   // image/gif
  webp,  // image/webp
  heif,  // image/avif, image/heic, image/heif: `ftyp` with an AVIF or HEIF brand
  mp4,   // video/mp4, video/quicktime: `ftyp` with an MP4 or QuickTime brand,
         // or a QuickTime file opening with moov, mdat, wide, free or skip
  webm,  // video/webm: EBML header with DocType "webm" or "matroska"
};

enum class SignatureCheck : std::uint8_t {
  match,      // the bytes open a file of the family
  mismatch,   // they do not, whatever follows
  need_more,  // too few bytes to decide: only when first_bytes.size() < kSignatureBytes
};

// How many first bytes always suffice to decide. The longest header read is an
// ISO-BMFF `ftyp` box: 16 bytes of box header (with a 64-bit largesize), 8 of
// major brand and minor version, then 4 per compatible brand. 256 bytes hold 58
// compatible brands; real writers list 3 to 8 (docs/UPLOADS.md). A brand past
// byte 256 is not looked for: such a box is a mismatch.
constexpr std::size_t kSignatureBytes = 256;

// The family of a declared media type (the token's `ct`, or a content-type
// header): type/subtype compared ASCII case-insensitively, parameters (from the
// first ';') and surrounding whitespace ignored. Unknown types give `none`.
SignatureFamily signature_family_of_type(std::string_view media_type);

// Checks the first bytes of a body against family `f`. Reads only
// first_bytes[0 .. min(size, kSignatureBytes)): the answer on kSignatureBytes
// or more bytes never changes when more are appended, and a prefix of a body
// that matches answers match or need_more. A body that ends while the answer is
// still need_more is truncated: the caller treats it as a mismatch.
SignatureCheck signature_check(SignatureFamily f, std::string_view first_bytes);

// Lower-case name of a family ("jpeg", ..., "none"), for tests and logs.
std::string_view signature_family_name(SignatureFamily f);
// Name of a check's answer ("match", "mismatch", "need_more"), for tests and logs.
std::string_view signature_check_name(SignatureCheck c);

}  // namespace mg
