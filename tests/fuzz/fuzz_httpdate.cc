// Fuzz target `httpdate`: HTTP-date, RFC 9110 section 5.6.7 (http_date_parse for IMF-fixdate,
// RFC 850 and asctime; http_date_format).
//
// Input: the whole input is parsed as a date at a fixed `now` and at a `now` taken from its
// first 8 bytes; the first 8 bytes are also formatted as a time.
//
// Invariants:
//  - a parsed date formats back to an IMF-fixdate that parses to the same second, and for a
//    29-byte IMF-fixdate input the text comes back unchanged after the day name (which is not
//    checked against the date) unless the input named a leap second;
//  - only RFC 850's two-digit year depends on `now`: IMF-fixdate and asctime parse the same at
//    any `now`, and an RFC 850 year lands in the century ending 50 years after `now`;
//  - any time in years 0001-9999 formats to 29 bytes that parse back to it; others format to
//    nothing.
#include <cstring>

#include "fuzz_util.h"
#include "httpdate.h"

namespace {

constexpr std::int64_t kNow = 1767225600;
constexpr std::int64_t kMinFormattable = -62135596800;  // 0001-01-01T00:00:00Z
constexpr std::int64_t kMaxFormattable = 253402300799;  // 9999-12-31T23:59:59Z
constexpr std::int64_t kYear = 31556952;                // mean Gregorian year, seconds

bool looks_rfc850(std::string_view s) {
  std::size_t comma = s.find(',');
  return comma != std::string_view::npos && comma > 3;  // "Sunday," ... (long day names)
}

void check_parse(std::string_view text, std::int64_t now) {
  std::int64_t t = 0;
  if (!mg::http_date_parse(text, now, &t)) return;
  char out[mg::kHttpDateLen];
  std::size_t n = mg::http_date_format(t, out);
  if (n == 0) {
    // Year 0000 (4DIGIT allows it) is outside what IMF-fixdate can be formatted from.
    MG_FUZZ_CHECK(t < kMinFormattable || t > kMaxFormattable);
    return;
  }
  MG_FUZZ_CHECK(n == mg::kHttpDateLen);
  std::int64_t back = 0;
  MG_FUZZ_CHECK(mg::http_date_parse(std::string_view(out, n), now, &back) && back == t);
  bool leap_second = text.size() >= 8 && text.find(":60") != std::string_view::npos;
  if (text.size() == mg::kHttpDateLen && !leap_second && !looks_rfc850(text))
    MG_FUZZ_CHECK(std::memcmp(out + 3, text.data() + 3, mg::kHttpDateLen - 3) == 0);

  if (!looks_rfc850(text)) {
    // IMF-fixdate and asctime do not depend on `now`.
    std::int64_t other = 0;
    MG_FUZZ_CHECK(mg::http_date_parse(text, kNow + 40 * kYear, &other) && other == t);
  } else if (now > kMinFormattable + 100 * kYear && now < kMaxFormattable - 100 * kYear) {
    // At most 50 years (plus a day of calendar slack) ahead, less than a century behind that.
    MG_FUZZ_CHECK(t <= now + 50 * kYear + 2 * 86400);
    MG_FUZZ_CHECK(t > now + 50 * kYear - 100 * kYear - 2 * 86400);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = mgfuzz::as_text(data, size);
  std::int64_t raw = 0;
  if (size >= 8) std::memcpy(&raw, data, 8);

  check_parse(text, kNow);
  check_parse(text, raw);

  // Formatting any time.
  char out[mg::kHttpDateLen];
  std::size_t n = mg::http_date_format(raw, out);
  if (raw < kMinFormattable || raw > kMaxFormattable) {
    MG_FUZZ_CHECK(n == 0);
  } else {
    MG_FUZZ_CHECK(n == mg::kHttpDateLen);
    std::int64_t back = 0;
    MG_FUZZ_CHECK(mg::http_date_parse(std::string_view(out, n), raw, &back) && back == raw);
  }
  return 0;
}
