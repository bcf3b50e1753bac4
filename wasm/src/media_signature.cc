// Signature families (media_signature.h; byte and brand lists with their
// sources in docs/UPLOADS.md "Signature families").
#include "media_signature.h"

#include "ascii.h"
#include "config.h"  // trim_ascii_space

namespace mg {
namespace {

using SC = SignatureCheck;

// ---- declared types ------------------------------------------------------------------------

struct TypeRow {
  std::string_view type;
  SignatureFamily family;
};

// The upload types (docs/UPLOADS.md; MEDIA_UPLOAD_TYPES' default list).
constexpr TypeRow kTypes[] = {
    {"image/jpeg", SignatureFamily::jpeg},     {"image/png", SignatureFamily::png},
    {"image/gif", SignatureFamily::gif},       {"image/webp", SignatureFamily::webp},
    {"image/avif", SignatureFamily::heif},     {"image/heic", SignatureFamily::heif},
    {"image/heif", SignatureFamily::heif},     {"video/mp4", SignatureFamily::mp4},
    {"video/quicktime", SignatureFamily::mp4}, {"video/webm", SignatureFamily::webm},
};

// ---- byte checks ---------------------------------------------------------------------------

// The bytes looked at: at most kSignatureBytes, and whether more could still come.
struct Input {
  std::string_view b;
  bool more;
};

// Out of bytes before a decision: wait for more, unless kSignatureBytes were given.
SC out_of_bytes(const Input& in) { return in.more ? SC::need_more : SC::mismatch; }

bool have(const Input& in, std::uint64_t pos, std::uint64_t n) {
  return pos <= in.b.size() && n <= in.b.size() - pos;
}

// `magic` at offset `off`, judged on the bytes there are.
SC check_bytes(const Input& in, std::size_t off, std::string_view magic) {
  if (off >= in.b.size()) return out_of_bytes(in);
  std::size_t n = in.b.size() - off;
  if (n > magic.size()) n = magic.size();
  if (in.b.substr(off, n) != magic.substr(0, n)) return SC::mismatch;
  return n == magic.size() ? SC::match : out_of_bytes(in);
}

// One of `magics` at offset `off`: match if one matches, need_more if one may still.
template <std::size_t N>
SC check_any(const Input& in, std::size_t off, const std::string_view (&magics)[N]) {
  SC r = SC::mismatch;
  for (std::string_view m : magics) {
    SC c = check_bytes(in, off, m);
    if (c == SC::match) return SC::match;
    if (c == SC::need_more) r = SC::need_more;
  }
  return r;
}

// Both checks hold: mismatch if either is one, else need_more if either is one.
SC check_both(SC a, SC b) {
  if (a == SC::mismatch || b == SC::mismatch) return SC::mismatch;
  if (a == SC::need_more || b == SC::need_more) return SC::need_more;
  return SC::match;
}

std::uint64_t be(const Input& in, std::size_t pos, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(in.b[pos + i]);
  return v;
}

// ---- JPEG, PNG, GIF, WebP: magic numbers at offset 0 ---------------------------------------

// JPEG (ITU-T T.81 B.1.1.2, JFIF/Exif): SOI marker FF D8, then the next marker's FF.
SC check_jpeg(const Input& in) { return check_bytes(in, 0, std::string_view("\xFF\xD8\xFF", 3)); }

// PNG (PNG spec, section 5.2 "PNG signature"): 89 50 4E 47 0D 0A 1A 0A.
SC check_png(const Input& in) {
  return check_bytes(in, 0, std::string_view("\x89PNG\r\n\x1A\n", 8));
}

// GIF (GIF89a spec, section 17 "Header"): "GIF" and version "87a" or "89a".
constexpr std::string_view kGifMagic[] = {"GIF87a", "GIF89a"};
SC check_gif(const Input& in) { return check_any(in, 0, kGifMagic); }

// WebP (WebP container spec, "RIFF File Format" and "WebP File Header"): "RIFF", a
// 32-bit size, "WEBP", then the first chunk: "VP8 " (lossy), "VP8L" (lossless) or
// "VP8X" (extended).
constexpr std::string_view kWebpFirstChunk[] = {"VP8 ", "VP8L", "VP8X"};
SC check_webp(const Input& in) {
  return check_both(check_both(check_bytes(in, 0, "RIFF"), check_bytes(in, 8, "WEBP")),
                    check_any(in, 12, kWebpFirstChunk));
}

// ---- ISO-BMFF (ISO/IEC 14496-12 section 4.2 Box, 4.3 FileTypeBox) --------------------------

// AVIF (AV1 Image File Format, "Brands"), HEIF (ISO/IEC 23008-12: structural brands
// and the HEVC brands of its annex B) and MIAF (ISO/IEC 23000-22).
constexpr std::string_view kHeifBrands[] = {
    "avif", "avis", "avio",          // AVIF: image, sequence, intra-only sequence
    "mif1", "msf1", "miaf",          // HEIF / MIAF structural brands
    "heic", "heix", "heim", "heis",  // HEVC images
    "hevc", "hevx", "hevm", "hevs",  // HEVC image sequences
};

// MP4 and QuickTime video: ISO base media (isom, iso2..iso9), MP4 (ISO/IEC 14496-14:
// mp41, mp42), AVC in ISO-BMFF (avc1, ISO/IEC 14496-15), DASH (dash), Apple's M4V
// variants, QuickTime ("qt  ") and 3GPP release brands Android recorders write
// (3gp4..3gp6, 3GPP TS 26.244). Audio-only brands (M4A, M4B) are not listed.
constexpr std::string_view kMp4Brands[] = {
    "isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso7", "iso8", "iso9", "mp41",
    "mp42", "avc1", "dash", "M4V ", "M4VH", "M4VP", "qt  ", "3gp4", "3gp5", "3gp6",
};

// Box types that may open a QuickTime movie written before `ftyp` existed
// (QuickTime File Format: atoms at the top level of a movie file).
constexpr std::string_view kFtyp[] = {"ftyp"};
constexpr std::string_view kFtypOrQuickTime[] = {"ftyp", "moov", "mdat", "wide", "free", "skip"};

template <std::size_t N>
bool is_brand(std::string_view brand, const std::string_view (&list)[N]) {
  for (std::string_view b : list) {
    if (brand == b) return true;
  }
  return false;
}

constexpr std::uint64_t kToEnd = ~std::uint64_t{0};

// The first box's header (14496-12 4.2): size 0 = to the end of the file, 1 = a
// 64-bit largesize follows the type, 2..7 invalid (smaller than the header).
// `types` are the box types allowed first. On match, *header and *end are the
// header's length and the box's end (kToEnd for size 0).
template <std::size_t N>
SC read_first_box(const Input& in, const std::string_view (&types)[N], std::uint64_t* header,
                  std::uint64_t* end) {
  SC type = check_any(in, 4, types);
  if (type == SC::mismatch) return SC::mismatch;
  if (!have(in, 0, 4)) return out_of_bytes(in);
  std::uint64_t size = be(in, 0, 4);
  if (size >= 2 && size < 8) return SC::mismatch;
  if (type == SC::need_more) return SC::need_more;
  *header = 8;
  *end = size == 0 ? kToEnd : size;
  if (size == 1) {
    if (!have(in, 8, 8)) return out_of_bytes(in);
    std::uint64_t large = be(in, 8, 8);
    if (large < 16) return SC::mismatch;
    *header = 16;
    *end = large;
  }
  return SC::match;
}

// An `ftyp` box first whose major brand, or a compatible brand inside the box,
// is in `brands` (or, with `quicktime`, an old QuickTime atom first).
template <std::size_t N>
SC check_isobmff(const Input& in, const std::string_view (&brands)[N], bool quicktime) {
  std::uint64_t header = 0, end = 0;
  SC r = quicktime ? read_first_box(in, kFtypOrQuickTime, &header, &end)
                   : read_first_box(in, kFtyp, &header, &end);
  if (r != SC::match) return r;
  if (in.b.substr(4, 4) != "ftyp") return SC::match;  // a QuickTime atom
  // major_brand, minor_version, then compatible_brands[] to the end of the box.
  if (end < header + 8) return SC::mismatch;
  for (std::uint64_t pos = header; pos + 4 <= end; pos = (pos == header) ? pos + 8 : pos + 4) {
    if (!have(in, pos, 4)) return out_of_bytes(in);
    if (is_brand(in.b.substr(static_cast<std::size_t>(pos), 4), brands)) return SC::match;
  }
  return SC::mismatch;
}

// ---- EBML (RFC 8794) and the Matroska / WebM DocType ---------------------------------------

struct Vint {
  std::uint64_t value = 0;
  std::uint64_t length = 0;
  bool all_ones = false;  // every value bit set: "unknown size" (RFC 8794 section 6.2)
};

// A variable-size integer at `pos` (RFC 8794 section 4): its length is one plus
// the leading zero bits of its first byte, at most `max_length`. Element IDs keep
// their marker bit (`keep_marker`), as the specs write them (0x1A45DFA3, 0x4282).
SC read_vint(const Input& in, std::uint64_t pos, std::uint64_t max_length, bool keep_marker,
             Vint* v) {
  if (!have(in, pos, 1)) return out_of_bytes(in);
  unsigned first = static_cast<unsigned char>(in.b[static_cast<std::size_t>(pos)]);
  std::uint64_t length = 1;
  while (length <= 8 && !(first & (0x100u >> length))) ++length;
  if (length > max_length) return SC::mismatch;  // also first == 0 (length 9)
  if (!have(in, pos, length)) return out_of_bytes(in);
  std::uint64_t marker = 0x100u >> length;
  std::uint64_t value = keep_marker ? first : (first & (marker - 1));
  for (std::uint64_t i = 1; i < length; ++i) {
    value = (value << 8) | static_cast<unsigned char>(in.b[static_cast<std::size_t>(pos + i)]);
  }
  v->value = value;
  v->length = length;
  v->all_ones = !keep_marker && value == (std::uint64_t{1} << (7 * length)) - 1;
  return SC::match;
}

constexpr std::uint64_t kEbmlDocTypeId = 0x4282;
// WebM is a Matroska profile; browsers play either DocType under video/webm when the
// codecs are WebM's (docs/UPLOADS.md says why both are accepted).
constexpr std::string_view kWebmDocTypes[] = {"webm", "matroska"};

// DocType is an EBML String; null octets may follow its value (RFC 8794 section 13).
SC check_doctype(const Input& in, std::uint64_t pos, std::uint64_t size) {
  if (!have(in, pos, size)) return out_of_bytes(in);
  std::string_view doc = in.b.substr(static_cast<std::size_t>(pos), static_cast<std::size_t>(size));
  while (!doc.empty() && doc.back() == '\0') doc.remove_suffix(1);
  return is_brand(doc, kWebmDocTypes) ? SC::match : SC::mismatch;
}

// The EBML header (RFC 8794 sections 8 and 11.2: the EBML Element 0x1A45DFA3 first, of
// known size, as it does not allow an unknown one), read child by child until its DocType
// (0x4282).
SC check_webm(const Input& in) {
  SC r = check_bytes(in, 0, std::string_view("\x1A\x45\xDF\xA3", 4));
  if (r != SC::match) return r;
  Vint size;
  if ((r = read_vint(in, 4, 8, false, &size)) != SC::match) return r;
  if (size.all_ones) return SC::mismatch;
  std::uint64_t pos = 4 + size.length;
  const std::uint64_t end = pos + size.value;  // value < 2^56: no overflow
  while (pos < end) {
    Vint id, len;
    if ((r = read_vint(in, pos, 4, true, &id)) != SC::match) return r;
    if ((r = read_vint(in, pos + id.length, 8, false, &len)) != SC::match) return r;
    if (len.all_ones) return SC::mismatch;  // the header's children are not masters
    std::uint64_t data = pos + id.length + len.length;
    if (data > end || len.value > end - data) return SC::mismatch;  // past the header
    if (id.value == kEbmlDocTypeId) return check_doctype(in, data, len.value);
    pos = data + len.value;
  }
  return SC::mismatch;  // no DocType: RFC 8794 requires one
}

}  // namespace

SignatureFamily signature_family_of_type(std::string_view media_type) {
  std::size_t semi = media_type.find(';');
  if (semi != std::string_view::npos) media_type = media_type.substr(0, semi);
  media_type = trim_ascii_space(media_type);
  for (const TypeRow& row : kTypes) {
    if (ascii_iequals(media_type, row.type)) return row.family;
  }
  return SignatureFamily::none;
}

SignatureCheck signature_check(SignatureFamily f, std::string_view first_bytes) {
  Input in{first_bytes.substr(0, kSignatureBytes), first_bytes.size() < kSignatureBytes};
  switch (f) {
    case SignatureFamily::jpeg: return check_jpeg(in);
    case SignatureFamily::png: return check_png(in);
    case SignatureFamily::gif: return check_gif(in);
    case SignatureFamily::webp: return check_webp(in);
    case SignatureFamily::heif: return check_isobmff(in, kHeifBrands, false);
    case SignatureFamily::mp4: return check_isobmff(in, kMp4Brands, true);
    case SignatureFamily::webm: return check_webm(in);
    case SignatureFamily::none: break;
  }
  return SC::mismatch;
}

std::string_view signature_family_name(SignatureFamily f) {
  switch (f) {
    case SignatureFamily::jpeg: return "jpeg";
    case SignatureFamily::png: return "png";
    case SignatureFamily::gif: return "gif";
    case SignatureFamily::webp: return "webp";
    case SignatureFamily::heif: return "heif";
    case SignatureFamily::mp4: return "mp4";
    case SignatureFamily::webm: return "webm";
    case SignatureFamily::none: break;
  }
  return "none";
}

std::string_view signature_check_name(SignatureCheck c) {
  switch (c) {
    case SignatureCheck::match: return "match";
    case SignatureCheck::mismatch: return "mismatch";
    case SignatureCheck::need_more: return "need_more";
  }
  return "?";
}

}  // namespace mg
