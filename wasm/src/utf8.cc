#include "utf8.h"

#include <cstring>

namespace mg {

std::size_t utf8_next(const unsigned char* p, const unsigned char* end, std::uint32_t* cp) {
  const unsigned c = p[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  std::size_t n;
  std::uint32_t v, min;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, v = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, v = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;  // a continuation byte, an overlong lead (C0, C1), or past F4
  }
  if (static_cast<std::size_t>(end - p) < n) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (p[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}

bool utf8_valid(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  std::uint32_t cp;
  while (p < end) {
    // ASCII needs no decoding: most keys and JSON strings are all ASCII,
    // checked eight bytes at a time.
    if (end - p >= 8) {
      std::uint64_t v;
      std::memcpy(&v, p, 8);
      if ((v & 0x8080808080808080ull) == 0) {
        p += 8;
        continue;
      }
    }
    if (*p < 0x80) {
      ++p;
      continue;
    }
    std::size_t n = utf8_next(p, end, &cp);
    if (!n) return false;
    p += n;
  }
  return true;
}

}  // namespace mg
