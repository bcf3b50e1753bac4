// tus 1.0.0 header grammar and part grid (tus.h).
#include "tus.h"

#include "ascii.h"
#include "decimal.h"
#include "token.h"  // base64_decode

namespace mg {

bool tus_resumable_ok(std::string_view value) { return ascii_trim_ows(value) == kTusVersion; }

bool tus_parse_number(std::string_view value, std::uint64_t* out) {
  return decimal_parse_u64(ascii_trim_ows(value), out);
}

namespace {

// A metadata key: 1*(any byte but SP, ",", control characters).
bool metadata_key_ok(std::string_view k) {
  if (k.empty()) return false;
  for (char c : k) {
    auto u = static_cast<unsigned char>(c);
    if (c == ' ' || c == ',' || u < 0x20 || u == 0x7F) return false;
  }
  return true;
}

}  // namespace

TusMetadata tus_metadata_get(std::string_view header, std::string_view key, unsigned char* out, std::size_t cap,
                             std::size_t* out_len) {
  TusMetadata result = TusMetadata::absent;
  // Keys seen so far, to refuse a duplicate: compared pair by pair (a header
  // holds a handful of pairs; tus-js-client sends filename, filetype, name, type).
  std::string_view rest = header;
  std::size_t pairs = 0;
  while (true) {
    std::size_t comma = rest.find(',');
    std::string_view pair = ascii_trim_ows(rest.substr(0, comma));
    if (pair.empty()) {
      // An empty header holds no pairs; an empty pair between commas is malformed.
      if (pairs == 0 && comma == std::string_view::npos && ascii_trim_ows(header).empty()) return TusMetadata::absent;
      return TusMetadata::malformed;
    }
    ++pairs;
    std::size_t sp = pair.find(' ');
    std::string_view k = pair.substr(0, sp);
    std::string_view v = sp == std::string_view::npos ? std::string_view{} : pair.substr(sp + 1);
    if (!metadata_key_ok(k) || v.find(' ') != std::string_view::npos) return TusMetadata::malformed;
    // Duplicate key: look for it among the pairs before this one.
    std::string_view before = header.substr(0, static_cast<std::size_t>(pair.data() - header.data()));
    while (!before.empty()) {
      std::size_t c = before.find(',');
      std::string_view p = ascii_trim_ows(before.substr(0, c));
      if (p.substr(0, p.find(' ')) == k) return TusMetadata::malformed;
      before = c == std::string_view::npos ? std::string_view{} : before.substr(c + 1);
    }
    if (k == key) {
      if (!base64_decode(v, out, cap, out_len)) return TusMetadata::malformed;
      result = TusMetadata::found;
    } else {
      unsigned char scratch[3 * 64];
      // Other values must be base64 too; decode them in pieces of whole quads.
      std::string_view w = v;
      while (!w.empty()) {
        std::size_t take = w.size() > 256 ? 256 : w.size();
        std::size_t n = 0;
        if (!base64_decode(w.substr(0, take), scratch, sizeof scratch, &n)) return TusMetadata::malformed;
        w.remove_prefix(take);
      }
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return result;
}

std::uint64_t tus_part_size(std::uint64_t length) {
  std::uint64_t p = length / kTusMaxParts + (length % kTusMaxParts != 0);
  if (p < kTusMinPartBytes) p = kTusMinPartBytes;
  return (p + kTusMiB - 1) / kTusMiB * kTusMiB;
}

TusPart tus_part_at(std::uint64_t offset, std::uint64_t length, std::uint64_t part_size) {
  TusPart part;
  if (part_size == 0 || offset >= length) return part;
  std::uint64_t index = offset / part_size;
  part.number = static_cast<std::uint32_t>(index + 1);
  part.first = index * part_size;
  part.end = length - part.first > part_size ? part.first + part_size : length;
  return part;
}

std::uint64_t tus_part_count(std::uint64_t length, std::uint64_t part_size) {
  if (part_size == 0) return 0;
  return length / part_size + (length % part_size != 0);
}

}  // namespace mg
