// A bounded append-only writer over a caller's buffer, for the text the
// core writes (the token's JSON payload, the edge cache's metadata): no
// byte is written past `cap`, and `ok` turns false on the first byte that
// does not fit and stays false.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "decimal.h"

namespace mg {

struct Writer {
  char* p;
  std::size_t cap;
  std::size_t len = 0;
  bool ok = true;

  void put(char c) {
    if (len < cap) p[len++] = c;
    else ok = false;
  }
  void put(std::string_view s) {
    for (char c : s) put(c);
  }
  // `v` in decimal (decimal.h).
  void decimal(std::uint64_t v) {
    char d[kDecimalU64Digits];
    put(std::string_view(d, decimal_format_u64(v, d)));
  }
};

}  // namespace mg
