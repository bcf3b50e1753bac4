// HTTP-date (RFC 9110 section 5.6.7): IMF-fixdate, obsolete RFC 850 and asctime.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mg {

// Parses any of the three formats; recipients MUST accept all three.
// Returns false for anything else (then the header is ignored by callers).
// *out is seconds since the Unix epoch (UTC). RFC 850 two-digit years are
// read per RFC 9110 5.6.7: a date that would be more than 50 years after
// `now` is the most recent past year with the same last two digits.
bool http_date_parse(std::string_view text, std::int64_t now, std::int64_t* out);

// Formats `t` as IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), exactly 29 bytes.
// `out` must have room for 29 bytes; returns 29 (0 if t is outside years 0001-9999).
std::size_t http_date_format(std::int64_t t, char* out);

constexpr std::size_t kHttpDateLen = 29;

}  // namespace mg
