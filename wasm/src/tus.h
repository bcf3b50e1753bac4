// tus 1.0.0 (tus.io, "Resumable upload protocol"): the header grammar and the
// part grid of resumable uploads (docs/UPLOADS.md, "Resumable uploads (tus
// 1.0)"). Pure functions over header values and numbers: no allocation, no
// I/O. The decisions that use them are in decision.cc, "Resumable uploads".
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mg {

// The one protocol version spoken (Tus-Resumable, Tus-Version).
constexpr std::string_view kTusVersion = "1.0.0";

// Tus-Resumable names the version spoken: exactly "1.0.0" (surrounding OWS
// allowed, as for every field value).
bool tus_resumable_ok(std::string_view value);

// Upload-Length and Upload-Offset: one non-negative decimal integer
// (1*DIGIT, surrounding OWS allowed; no sign, no list, at most 2^64 - 1).
bool tus_parse_number(std::string_view value, std::uint64_t* out);

enum class TusMetadata : std::uint8_t {
  found,      // the key is there; its value (maybe empty) was decoded into `out`
  absent,     // the header is well-formed and does not hold the key
  malformed,  // not a list of `key [SP base64]` pairs, a key twice, bad base64, or
              // a decoded value over the caller's capacity
};

// Upload-Metadata: comma-separated pairs, each a key, then optionally one
// space and the value in standard base64 (RFC 4648 section 4; tus-js-client
// pads it). Keys are non-empty, unique, and hold no space or comma. OWS
// around a pair is allowed. The whole header is checked even when the key is
// found early, so a header is either read or refused, never half-read.
TusMetadata tus_metadata_get(std::string_view header, std::string_view key, unsigned char* out, std::size_t cap,
                             std::size_t* out_len);

// ---- The part grid --------------------------------------------------------------

// R2 multipart rules: every part but the last is the same size, at least
// 5 MiB; at most 10,000 parts.
constexpr std::uint64_t kTusMiB = 1024 * 1024;
constexpr std::uint64_t kTusMinPartBytes = 5 * kTusMiB;
constexpr std::uint64_t kTusMaxParts = 10000;

// P for an upload of `length` bytes, fixed at creation: max(5 MiB,
// ceil(length / 10000)) rounded up to a whole MiB.
std::uint64_t tus_part_size(std::uint64_t length);

// Part k (1-based) holds bytes [(k-1)P, min(kP, length)).
struct TusPart {
  std::uint32_t number = 0;  // 0: no such part (offset at or past the end)
  std::uint64_t first = 0;   // first byte
  std::uint64_t end = 0;     // one past the last byte
};

// The part that holds byte `offset` of an upload of `length` bytes cut in
// parts of `part_size`; number 0 when offset >= length or part_size is 0.
TusPart tus_part_at(std::uint64_t offset, std::uint64_t length, std::uint64_t part_size);

// The number of parts of an upload (0 for length 0).
std::uint64_t tus_part_count(std::uint64_t length, std::uint64_t part_size);

}  // namespace mg
