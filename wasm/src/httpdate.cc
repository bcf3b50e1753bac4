// HTTP-date (RFC 9110 section 5.6.7). Strict, allocation-free parsers for the
// three formats a recipient MUST accept, and the IMF-fixdate formatter.
//
// Choices where the RFC leaves room:
// - Names are matched with exact case: the grammar spells day names, month
//   names and "GMT" as case-sensitive literals (%s"..." / %x codes).
// - The day name must be one the format allows (short for IMF-fixdate and
//   asctime, long for RFC 850) but is not checked against the actual weekday:
//   the date fields carry the meaning, and rejecting a mismatch would only
//   make us ignore conditionals that an old client got slightly wrong.
// - Second 60 (a leap second, allowed by the grammar's "23:59:60") is
//   accepted and read as :59. Unix time has no leap seconds; :59 keeps the
//   value inside the minute the sender named.
// - No surrounding whitespace is accepted: a field value never carries it
//   (RFC 9110 section 5.5); callers trim.
#include "httpdate.h"

namespace mg {
namespace {

constexpr std::string_view kShortDays[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::string_view kLongDays[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                           "Thursday", "Friday", "Saturday"};
constexpr std::string_view kMonths[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr std::int64_t kSecondsPerDay = 86400;

// Years 0001-9999, the range IMF-fixdate's 4DIGIT year can express.
constexpr std::int64_t kMinFormattable = -62135596800;  // 0001-01-01T00:00:00Z
constexpr std::int64_t kMaxFormattable = 253402300799;  // 9999-12-31T23:59:59Z

// Broken-down UTC time as read from the text.
struct Civil {
  std::int64_t year = 0;
  int month = 0;  // 1-12
  int day = 0;    // 1-31
  int hour = 0;
  int minute = 0;
  int second = 0;
};

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(std::int64_t y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (m == 2 && is_leap(y)) ? 29 : kDays[m - 1];
}

// Floor division for the negative side of the epoch.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil). Valid for any year the parsers can produce.
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;                                 // [0, 399]
  const std::int64_t mp = (m + 9) % 12;                                   // March = 0
  const std::int64_t doy = (153 * mp + 2) / 5 + d - 1;                    // [0, 365]
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;         // [0, 146096]
  return era * 146097 + doe - 719468;
}

// Inverse of days_from_civil.
void civil_from_days(std::int64_t z, std::int64_t* y, int* m, int* d) {
  z += 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t doe = z - era * 146097;                                   // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);            // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                 // [0, 11]
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

void civil_from_time(std::int64_t t, Civil* c) {
  const std::int64_t days = floor_div(t, kSecondsPerDay);
  const std::int64_t secs = t - days * kSecondsPerDay;  // [0, 86399]
  civil_from_days(days, &c->year, &c->month, &c->day);
  c->hour = static_cast<int>(secs / 3600);
  c->minute = static_cast<int>(secs / 60 % 60);
  c->second = static_cast<int>(secs % 60);
}

// s[pos, pos + n) where the caller has checked the length. Unlike substr it
// has no out_of_range path, which without exceptions would be an abort().
std::string_view field(std::string_view s, std::size_t pos, std::size_t n) {
  return std::string_view(s.data() + pos, n);
}

// Exactly `n` ASCII digits at s[pos...]; the caller has checked the length.
bool read_digits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    const char ch = s[i];
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + (ch - '0');
  }
  *out = v;
  return true;
}

int month_from_name(std::string_view name) {
  for (int i = 0; i < 12; ++i) {
    if (name == kMonths[i]) return i + 1;
  }
  return 0;
}

bool is_name_in(std::string_view name, const std::string_view (&names)[7]) {
  for (const auto& n : names) {
    if (name == n) return true;
  }
  return false;
}

// time-of-day = hour ":" minute ":" second, 8 bytes at s[pos].
bool read_time_of_day(std::string_view s, std::size_t pos, Civil* c) {
  return read_digits(s, pos, 2, &c->hour) && s[pos + 2] == ':' &&
         read_digits(s, pos + 3, 2, &c->minute) && s[pos + 5] == ':' &&
         read_digits(s, pos + 6, 2, &c->second);
}

// Range checks the grammar leaves to prose: "00:00:00 - 23:59:60".
bool valid_civil(Civil* c) {
  if (c->month < 1 || c->month > 12) return false;
  if (c->day < 1 || c->day > days_in_month(c->year, c->month)) return false;
  if (c->hour > 23 || c->minute > 59 || c->second > 60) return false;
  if (c->second == 60) c->second = 59;  // leap second: see the file comment
  return true;
}

std::int64_t time_from_civil(const Civil& c) {
  return days_from_civil(c.year, c.month, c.day) * kSecondsPerDay + c.hour * 3600 +
         c.minute * 60 + c.second;
}

// IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT
//   "Sun, 06 Nov 1994 08:49:37 GMT"
bool parse_imf_fixdate(std::string_view s, Civil* c) {
  if (s.size() != 29) return false;
  int year = 0;
  if (!is_name_in(field(s, 0, 3), kShortDays) || field(s, 3, 2) != ", ") return false;
  if (!read_digits(s, 5, 2, &c->day) || s[7] != ' ') return false;
  if ((c->month = month_from_name(field(s, 8, 3))) == 0 || s[11] != ' ') return false;
  if (!read_digits(s, 12, 4, &year) || s[16] != ' ') return false;
  if (!read_time_of_day(s, 17, c) || field(s, 25, 4) != " GMT") return false;
  c->year = year;
  return true;
}

// The year with last two digits `yy` that a two-digit-year date means when
// read at `now` (RFC 9110 section 5.6.7: a date that appears to be more than
// 50 years in the future is the most recent past year with those digits).
// That is the latest such year whose date is not more than 50 years (in
// calendar terms, field by field) after `now`.
std::int64_t resolve_two_digit_year(int yy, const Civil& date, std::int64_t now) {
  // Any real clock is inside 0001-9999; clamping keeps the arithmetic small.
  if (now < kMinFormattable) now = kMinFormattable;
  if (now > kMaxFormattable) now = kMaxFormattable;
  Civil limit;
  civil_from_time(now, &limit);
  limit.year += 50;
  auto after_limit = [&limit, &date](std::int64_t year) {
    const std::int64_t a[6] = {year, date.month, date.day, date.hour, date.minute, date.second};
    const std::int64_t b[6] = {limit.year, limit.month, limit.day,
                               limit.hour, limit.minute, limit.second};
    for (int i = 0; i < 6; ++i) {
      if (a[i] != b[i]) return a[i] > b[i];
    }
    return false;
  };
  // The candidate in the limit's century is the latest one that can be at or
  // before the limit (the next is past the limit's year); if it is after the
  // limit, the one a century earlier is before it.
  const std::int64_t year = limit.year - limit.year % 100 + yy;
  return after_limit(year) ? year - 100 : year;
}

// rfc850-date = day-name-l "," SP date2 SP time-of-day SP GMT
//   "Sunday, 06-Nov-94 08:49:37 GMT"
bool parse_rfc850(std::string_view s, std::int64_t now, Civil* c) {
  const std::size_t comma = s.find(',');
  if (comma == std::string_view::npos || !is_name_in(field(s, 0, comma), kLongDays)) {
    return false;
  }
  const std::string_view r = field(s, comma, s.size() - comma);  // ", 06-Nov-94 08:49:37 GMT"
  int yy = 0;
  if (r.size() != 24 || field(r, 0, 2) != ", ") return false;
  if (!read_digits(r, 2, 2, &c->day) || r[4] != '-') return false;
  if ((c->month = month_from_name(field(r, 5, 3))) == 0 || r[8] != '-') return false;
  if (!read_digits(r, 9, 2, &yy) || r[11] != ' ') return false;
  if (!read_time_of_day(r, 12, c) || field(r, 20, 4) != " GMT") return false;
  c->year = resolve_two_digit_year(yy, *c, now);
  return true;
}

// asctime-date = day-name SP date3 SP time-of-day SP year
// date3        = month SP ( 2DIGIT / ( SP DIGIT ) )
//   "Sun Nov  6 08:49:37 1994"
bool parse_asctime(std::string_view s, Civil* c) {
  if (s.size() != 24) return false;
  int year = 0;
  if (!is_name_in(field(s, 0, 3), kShortDays) || s[3] != ' ') return false;
  if ((c->month = month_from_name(field(s, 4, 3))) == 0 || s[7] != ' ') return false;
  const bool day_ok = s[8] == ' ' ? read_digits(s, 9, 1, &c->day) : read_digits(s, 8, 2, &c->day);
  if (!day_ok || s[10] != ' ') return false;
  if (!read_time_of_day(s, 11, c) || s[19] != ' ') return false;
  if (!read_digits(s, 20, 4, &year)) return false;
  c->year = year;
  return true;
}

void put2(char* p, int v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

bool http_date_parse(std::string_view text, std::int64_t now, std::int64_t* out) {
  Civil c;
  const bool parsed =
      parse_imf_fixdate(text, &c) || parse_asctime(text, &c) || parse_rfc850(text, now, &c);
  if (!parsed || !valid_civil(&c)) return false;
  *out = time_from_civil(c);
  return true;
}

std::size_t http_date_format(std::int64_t t, char* out) {
  if (t < kMinFormattable || t > kMaxFormattable) return 0;
  Civil c;
  civil_from_time(t, &c);
  // 1970-01-01 was a Thursday (index 4 with Sunday = 0).
  const std::int64_t weekday = ((floor_div(t, kSecondsPerDay) + 4) % 7 + 7) % 7;
  const std::string_view day = kShortDays[weekday];
  const std::string_view month = kMonths[c.month - 1];
  char* p = out;
  p[0] = day[0], p[1] = day[1], p[2] = day[2], p[3] = ',', p[4] = ' ';
  put2(p + 5, c.day);
  p[7] = ' ';
  p[8] = month[0], p[9] = month[1], p[10] = month[2], p[11] = ' ';
  put2(p + 12, static_cast<int>(c.year / 100));
  put2(p + 14, static_cast<int>(c.year % 100));
  p[16] = ' ';
  put2(p + 17, c.hour);
  p[19] = ':';
  put2(p + 20, c.minute);
  p[22] = ':';
  put2(p + 23, c.second);
  p[25] = ' ', p[26] = 'G', p[27] = 'M', p[28] = 'T';
  return kHttpDateLen;
}

}  // namespace mg
