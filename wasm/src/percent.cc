#include "percent.h"

#include <cstdint>
#include <cstring>

#include "hex.h"

namespace mg {

namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101ull;
constexpr std::uint64_t kHighs = 0x8080808080808080ull;

// True when one of the eight bytes of `v` is `b` (the "has a zero byte" test
// on v ^ b...b: exact, a block without `b` never passes).
constexpr bool has_byte(std::uint64_t v, unsigned char b) {
  const std::uint64_t x = v ^ (kOnes * b);
  return ((x - kOnes) & ~x & kHighs) != 0;
}

}  // namespace

bool percent_decode(std::string_view in, Plus plus, char* out, std::size_t cap, std::size_t* out_len) {
  const bool plus_space = plus == Plus::space;
  const char* p = in.data();
  const char* const end = p + in.size();
  std::size_t n = 0;
  while (p < end) {
    // Most input (a token, a plain key) has no escape: eight bytes that need
    // no decoding are copied at once, while they fit.
    if (end - p >= 8 && cap - n >= 8) {
      std::uint64_t v;
      std::memcpy(&v, p, 8);
      if (!has_byte(v, '%') && !(plus_space && has_byte(v, '+'))) {
        std::memcpy(out + n, p, 8);
        p += 8;
        n += 8;
        continue;
      }
    }
    char c = *p++;
    if (c == '%') {
      if (end - p < 2) return false;  // truncated escape
      const int hi = hex_value(p[0]), lo = hex_value(p[1]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      p += 2;
    } else if (c == '+' && plus_space) {
      c = ' ';
    }
    if (n == cap) return false;
    out[n++] = c;
  }
  *out_len = n;
  return true;
}

}  // namespace mg
