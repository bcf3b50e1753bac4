#include "decimal.h"

#include "ascii.h"

namespace mg {

bool decimal_parse_u64(std::string_view s, std::uint64_t* out) {
  if (s.empty() || s.size() > kDecimalU64Digits) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!ascii_is_digit(c)) return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

std::size_t decimal_format_u64(std::uint64_t v, char* out) {
  char rev[kDecimalU64Digits];
  std::size_t n = 0;
  do {
    rev[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  for (std::size_t i = 0; i < n; ++i) out[i] = rev[n - 1 - i];
  return n;
}

}  // namespace mg
