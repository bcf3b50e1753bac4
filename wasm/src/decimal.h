// Decimal numerals: the one parser and the one writer of unsigned 64-bit
// numbers (RFC 5234 1*DIGIT, no sign, no spaces). Header values, the
// protocol's size fields and the edge cache's metadata use these.
// (Range numerals saturate instead of failing: range.cc, RFC 9110 14.1.1.)
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mg {

// 2^64 - 1 has 20 digits.
constexpr std::size_t kDecimalU64Digits = 20;

// 1*DIGIT, leading zeros allowed, at most kDecimalU64Digits digits, value at
// most 2^64 - 1. False (and *out untouched) otherwise, for the empty string
// too.
bool decimal_parse_u64(std::string_view s, std::uint64_t* out);

// Writes `v` in decimal, without leading zeros ("0" for zero), to `out`,
// which holds at least kDecimalU64Digits bytes. Returns the length written.
std::size_t decimal_format_u64(std::uint64_t v, char* out);

}  // namespace mg
