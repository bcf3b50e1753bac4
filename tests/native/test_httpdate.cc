// HTTP-date parsing and formatting: RFC 9110 section 5.6.7.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

#include "httpdate.h"

namespace {

constexpr std::int64_t kNow2024 = 1717200000;          // 2024-06-01T00:00:00Z
constexpr std::int64_t kMinFormattable = -62135596800;  // 0001-01-01T00:00:00Z
constexpr std::int64_t kMaxFormattable = 253402300799;  // 9999-12-31T23:59:59Z

struct ParseRow {
  const char* text;
  std::int64_t now;
  bool ok;
  std::int64_t want;  // checked only when ok
};

void check_parse(const ParseRow& row) {
  CAPTURE(row.text);
  CAPTURE(row.now);
  std::int64_t got = 12345;
  const bool ok = mg::http_date_parse(row.text, row.now, &got);
  CHECK(ok == row.ok);
  if (row.ok && ok) CHECK(got == row.want);
  if (!ok) CHECK(got == 12345);  // untouched on failure
}

}  // namespace

TEST_CASE("RFC 9110 5.6.7: the three formats of the same instant") {
  const ParseRow rows[] = {
      {"Sun, 06 Nov 1994 08:49:37 GMT", kNow2024, true, 784111777},   // IMF-fixdate
      {"Sunday, 06-Nov-94 08:49:37 GMT", kNow2024, true, 784111777},  // obsolete RFC 850
      {"Sun Nov  6 08:49:37 1994", kNow2024, true, 784111777},        // ANSI C asctime()
      {"Sun Nov 06 08:49:37 1994", kNow2024, true, 784111777},        // date3: 2DIGIT too
  };
  for (const auto& row : rows) check_parse(row);
}

TEST_CASE("RFC 9110 5.6.7: IMF-fixdate values") {
  const ParseRow rows[] = {
      {"Thu, 01 Jan 1970 00:00:00 GMT", 0, true, 0},
      {"Wed, 31 Dec 1969 23:59:59 GMT", 0, true, -1},
      {"Fri, 31 Dec 1999 23:59:59 GMT", 0, true, 946684799},
      {"Tue, 29 Feb 2000 00:00:00 GMT", 0, true, 951782400},   // 2000: divisible by 400
      {"Thu, 29 Feb 2024 12:00:00 GMT", 0, true, 1709208000},
      {"Tue, 29 Feb 1600 00:00:00 GMT", 0, true, -11670998400},
      {"Tue, 29 Feb 2400 00:00:00 GMT", 0, true, 13574563200},
      {"Wed, 28 Feb 1900 00:00:00 GMT", 0, true, -2203977600},
      {"Thu, 01 Mar 1900 00:00:00 GMT", 0, true, -2203891200},
      {"Tue, 19 Jan 2038 03:14:08 GMT", 0, true, 2147483648},  // past int32
      {"Fri, 31 Dec 9999 23:59:59 GMT", 0, true, kMaxFormattable},
      {"Mon, 01 Jan 0001 00:00:00 GMT", 0, true, kMinFormattable},
      // Leap second: accepted and read as :59.
      {"Sat, 31 Dec 2016 23:59:60 GMT", 0, true, 1483228799},
      // The day name is not checked against the date (1994-11-06 was a Sunday).
      {"Mon, 06 Nov 1994 08:49:37 GMT", 0, true, 784111777},
  };
  for (const auto& row : rows) check_parse(row);
}

TEST_CASE("RFC 9110 5.6.7: two-digit years are read relative to now") {
  const ParseRow rows[] = {
      {"Sunday, 06-Nov-94 08:49:37 GMT", kNow2024, true, 784111777},
      {"Saturday, 01-Jan-00 00:00:00 GMT", kNow2024, true, 946684800},
      {"Tuesday, 29-Feb-00 00:00:00 GMT", kNow2024, true, 951782400},  // 2000 is a leap year
      // Not more than 50 years ahead of 2024-06-01: stays in this century.
      {"Wednesday, 01-Jan-70 00:00:00 GMT", kNow2024, true, 3155760000},
      {"Sunday, 01-Jan-73 00:00:00 GMT", kNow2024, true, 3250454400},
      {"Friday, 01-Jun-74 00:00:00 GMT", kNow2024, true, 3295036800},  // exactly 50 years
      {"Friday, 31-May-74 00:00:00 GMT", kNow2024, true, 3295036800 - 86400},
      // More than 50 years ahead: the most recent past year with those digits.
      {"Saturday, 01-Jun-74 00:00:01 GMT", kNow2024, true, 139276801},
      {"Wednesday, 01-Jan-75 00:00:00 GMT", kNow2024, true, 157766400},
      // Read at the epoch: 1970 + 50 = 2020 is the limit.
      {"Sunday, 06-Nov-94 08:49:37 GMT", 0, true, 784111777},
      {"Tuesday, 01-Jan-19 00:00:00 GMT", 0, true, 1546300800},
      {"Saturday, 01-Jan-21 00:00:00 GMT", 0, true, -1546300800},
      // Read in 2060, "00" is 2100, which is not a leap year.
      {"Monday, 28-Feb-00 00:00:00 GMT", 2840140800, true, 4107456000},
      {"Monday, 29-Feb-00 00:00:00 GMT", 2840140800, false, 0},
      // Absurd clocks are clamped to 0001-9999 first: 9994, and year -6
      // (proleptic Gregorian) for a clock before year 1.
      {"Sunday, 06-Nov-94 08:49:37 GMT", INT64_MAX, true, 253239727777},
      {"Sunday, 06-Nov-94 08:49:37 GMT", INT64_MIN, true, -62329792223},
  };
  for (const auto& row : rows) check_parse(row);
}

TEST_CASE("RFC 9110 5.6.7: invalid dates are rejected") {
  const char* bad[] = {
      "",
      "garbage",
      "784111777",
      // Calendar checks.
      "Sun, 31 Feb 1994 08:49:37 GMT",
      "Sun, 30 Feb 2000 08:49:37 GMT",
      "Tue, 29 Feb 2022 00:00:00 GMT",  // not a leap year
      "Thu, 29 Feb 1900 00:00:00 GMT",  // divisible by 100, not by 400
      "Sun, 31 Apr 1994 08:49:37 GMT",
      "Sun, 00 Nov 1994 08:49:37 GMT",
      "Sun, 32 Jan 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 24:00:00 GMT",
      "Sun, 06 Nov 1994 08:60:00 GMT",
      "Sun, 06 Nov 1994 08:49:61 GMT",
      // Names are case-sensitive and format-specific.
      "Sun, 06 nov 1994 08:49:37 GMT",
      "Sun, 06 NOV 1994 08:49:37 GMT",
      "sun, 06 Nov 1994 08:49:37 GMT",
      "SUN, 06 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:37 gmt",
      "Sun, 06 Nov 1994 08:49:37 UTC",
      "Sun, 06 Nov 1994 08:49:37 +0000",
      "Sunday, 06 Nov 1994 08:49:37 GMT",  // long day name in IMF-fixdate
      "Sun, 06-Nov-94 08:49:37 GMT",       // short day name in RFC 850
      "Sunday, 06-nov-94 08:49:37 GMT",
      "sunday, 06-Nov-94 08:49:37 GMT",
      "Sundai, 06-Nov-94 08:49:37 GMT",
      "Sunday Nov  6 08:49:37 1994",       // long day name in asctime
      "Sun Nov  6 08:49:37 1994 GMT",
      "Xyz, 06 Nov 1994 08:49:37 GMT",
      "Sun, 06 Foo 1994 08:49:37 GMT",
      // Shape: missing or extra pieces.
      "Sun, 06 Nov 1994 08:49:37",
      "Sun, 06 Nov 1994 08:49:37 GMT ",
      " Sun, 06 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:37 GMTx",
      "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
      "Sun, 6 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 94 08:49:37 GMT",
      "Sun, 06 Nov 01994 08:49:37 GMT",
      "Sun 06 Nov 1994 08:49:37 GMT",
      "Sun,06 Nov 1994 08:49:37 GMT ",
      "Sun,  06 Nov 1994 08:49:37 GMT",
      "Sun, 06-Nov-1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 8:49:37 GMT ",
      "Sun, 06 Nov 1994 08-49-37 GMT",
      "Sun, 06 Nov 1994 08:49:3  GMT",
      "Sun, 06 Nov +994 08:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:37 GMT\n",
      "Sunday, 06-Nov-94 08:49:37",
      "Sunday, 06-Nov-94 08:49:37 GMT ",
      "Sunday, 6-Nov-94 08:49:37 GMT",
      "Sunday, 31-Feb-94 08:49:37 GMT",
      "Sunday, 06-Nov-1994 08:49:37 GMT",
      "Sunday, 06 Nov 94 08:49:37 GMT",
      "Sunday,06-Nov-94 08:49:37 GMT",
      "Sun Nov 6 08:49:37 1994",           // date3 needs two characters for the day
      "Sun Nov  6 08:49:37 94",
      "Sun Nov   6 08:49:37 1994",
      "Sun Nov  0 08:49:37 1994",
      "Sun Nov 31 08:49:37 1994",
      "Sun Nov 6  08:49:37 1994",
      "Sun Nov  6 08:49:37 1994 ",
      "Sun, Nov  6 08:49:37 1994",
      ",",
      "Sunday,",
  };
  for (const char* text : bad) {
    CAPTURE(text);
    std::int64_t got = 7;
    CHECK_FALSE(mg::http_date_parse(text, kNow2024, &got));
    CHECK(got == 7);
  }
  // Embedded NUL after a valid date.
  const std::string_view with_nul("Sun, 06 Nov 1994 08:49:37 GMT\0", 30);
  std::int64_t got = 0;
  CHECK_FALSE(mg::http_date_parse(with_nul, kNow2024, &got));
  CHECK_FALSE(mg::http_date_parse(with_nul.substr(0, 28), kNow2024, &got));
}

TEST_CASE("http_date_format writes IMF-fixdate") {
  struct Row {
    std::int64_t t;
    const char* want;
  };
  const Row rows[] = {
      {784111777, "Sun, 06 Nov 1994 08:49:37 GMT"},
      {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
      {-1, "Wed, 31 Dec 1969 23:59:59 GMT"},
      {951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
      {2147483647, "Tue, 19 Jan 2038 03:14:07 GMT"},
      {2147483648, "Tue, 19 Jan 2038 03:14:08 GMT"},
      {kMaxFormattable, "Fri, 31 Dec 9999 23:59:59 GMT"},
      {kMinFormattable, "Mon, 01 Jan 0001 00:00:00 GMT"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.t);
    char buf[mg::kHttpDateLen + 1] = {};
    CHECK(mg::http_date_format(row.t, buf) == mg::kHttpDateLen);
    CHECK(std::string(buf, mg::kHttpDateLen) == row.want);
    CHECK(buf[mg::kHttpDateLen] == '\0');  // exactly 29 bytes written
  }
  const std::int64_t outside[] = {kMinFormattable - 1, kMaxFormattable + 1, INT64_MIN, INT64_MAX};
  for (std::int64_t t : outside) {
    CAPTURE(t);
    char buf[mg::kHttpDateLen] = {};
    CHECK(mg::http_date_format(t, buf) == 0);
  }
}

TEST_CASE("http_date_format agrees with gmtime and round-trips through http_date_parse") {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::int64_t samples[4200];
  std::size_t n = 0;
  const std::int64_t fixed[] = {0,          1,          -1,         784111777, 951782400,
                                2147483647, 2147483648, 4102444800, 4107456000,
                                kMinFormattable, kMaxFormattable, 253402214400};
  for (std::int64_t t : fixed) samples[n++] = t;
  // A spread across the whole formattable range, odd step so every weekday,
  // month and second value shows up.
  const std::int64_t span = kMaxFormattable - kMinFormattable;
  for (std::int64_t i = 0; i < 4000; ++i) {
    samples[n++] = kMinFormattable + span / 4000 * i + i * 7919;
  }
  // Around the epoch, day by day.
  for (std::int64_t d = -90; d < 90; ++d) samples[n++] = d * 86400 + 3661;

  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t t = samples[i];
    CAPTURE(t);
    char buf[mg::kHttpDateLen];
    if (mg::http_date_format(t, buf) != mg::kHttpDateLen) {
      FAIL_CHECK("not formatted");
      continue;
    }
    const std::string formatted(buf, mg::kHttpDateLen);

    // Independent oracle: glibc's gmtime_r with its own weekday.
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    CHECK(gmtime_r(&tt, &tm) != nullptr);
    char want[64];
    std::snprintf(want, sizeof want, "%s, %02d %s %04lld %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                  tm.tm_mday, kMonths[tm.tm_mon], static_cast<long long>(tm.tm_year) + 1900,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    CHECK(formatted == want);

    std::int64_t back = 0;
    CHECK(mg::http_date_parse(formatted, kNow2024, &back));
    CHECK(back == t);
  }
}
