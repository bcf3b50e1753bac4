// HTTP Range (RFC 9110 section 14). Pure functions over the header text.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mg {

// Inclusive byte span [first, last] of the object.
struct ByteSpan {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::uint64_t length() const { return last - first + 1; }
};

enum class RangeOutcome : std::uint8_t {
  absent,         // no Range header (empty view): serve the whole object, 200
  ignored,        // malformed, unknown unit, ranges apart after coalescing,
                  // or an empty object: RFC 9110 14.2 lets us ignore it, 200
  satisfiable,    // one span after clamping and coalescing: 206
  unsatisfiable,  // well-formed, but no range overlaps the object: 416
};

struct RangeResult {
  RangeOutcome outcome = RangeOutcome::absent;
  ByteSpan span;  // valid only when outcome == satisfiable
};

// Upper bounds on work for pathological headers (contract section 6).
constexpr std::size_t kMaxRangeHeaderBytes = 8192;  // longer: ignored
constexpr std::size_t kMaxRangeSpecs = 64;           // more specs: ignored

// Resolves a Range header against an object of `size` bytes.
//   "bytes=a-b", "bytes=a-", "bytes=-n", comma lists; optional whitespace
//   (SP / HTAB) after "=", around commas and around the "-" of "a-b" / "a-"
//   (not between "-" and n); unit case-insensitive ("bytes"). Numerals longer
//   than 64 bits mean "past every object": "a-<huge>" runs to the end,
//   "<huge>-" is unsatisfiable, "-<huge>" is the whole object (range.cc).
//   Overlapping or touching ranges coalesce into one span; ranges that stay
//   apart give `ignored` (we never send multipart/byteranges).
//   size == 0: any header gives `ignored` (nothing to range over).
RangeResult range_resolve(std::string_view header, std::uint64_t size);

// What to ask storage for before the object's size is known, such that the
// bytes storage returns for it are exactly the span range_resolve() later
// computes for any size where the result is satisfiable.
enum class RangeHintKind : std::uint8_t {
  whole,        // no range: fetch the whole object
  offset_length,// {offset, length}     from "a-b", or specs coalescing into one
  offset,       // {offset}             from "a-", or specs coalescing into "a-"
  suffix,       // {suffix}             from "-n", n > 0
  needs_size,   // specs apart, a suffix among several, "-0": the span depends
                // on the size (the whole object is read, then decided)
};

struct RangeHint {
  RangeHintKind kind = RangeHintKind::whole;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // offset_length: b - a + 1 (may exceed the object)
  std::uint64_t suffix = 0;
};

// Hint for a header. `absent`/`ignored`-for-every-size headers give `whole`.
// Every number in a hint is below 2^53 (the protocol carries plans as f64):
// beyond that, a hint falls back to what the number means for any real object.
RangeHint range_hint(std::string_view header);

// The kind's name as the wire tables and tests/vectors/plans.jsonl spell it.
std::string_view range_hint_kind_name(RangeHintKind kind);

}  // namespace mg
