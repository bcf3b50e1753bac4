// A bounded append-only writer over a caller's buffer, for the text the
// core writes (the token's JSON payload, the edge cache's metadata): no
// byte is written past `cap`, and `ok` turns false on the first byte that
// does not fit and stays false.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "decimal.h"
#include "utf8.h"

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

// JSON text as Python's json.dumps writes it (ensure_ascii): the token
// payload (token.cc) and the upload answer's body (decision.cc).
struct JsonWriter : Writer {
  void hex4(std::uint32_t u) {
    static const char kHex[] = "0123456789abcdef";  // Python writes lowercase
    put('\\'), put('u');
    for (int shift = 12; shift >= 0; shift -= 4) put(kHex[(u >> shift) & 0xF]);
  }
  void integer(std::int64_t i) {  // Python's str(int)
    // |INT64_MIN| does not fit an int64: negate i + 1, then add the 1 back.
    std::uint64_t u = i < 0 ? static_cast<std::uint64_t>(-(i + 1)) + 1 : static_cast<std::uint64_t>(i);
    if (i < 0) put('-');
    decimal(u);
  }
  // A JSON string as Python's json.dumps(ensure_ascii=True) writes it: the
  // two-character escapes for " \ \b \f \n \r \t, printable ASCII 0x20-0x7E
  // as is, everything else (other controls, DEL, non-ASCII) as lowercase
  // \uXXXX, characters past U+FFFF as a surrogate pair. `s` is valid UTF-8.
  void json_string(std::string_view s) {
    put('"');
    const auto* p8 = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p8 + s.size();
    while (p8 < end) {
      std::uint32_t cp = 0;
      p8 += utf8_next(p8, end, &cp);
      switch (cp) {
        case '"': put("\\\""); break;
        case '\\': put("\\\\"); break;
        case '\b': put("\\b"); break;
        case '\f': put("\\f"); break;
        case '\n': put("\\n"); break;
        case '\r': put("\\r"); break;
        case '\t': put("\\t"); break;
        default:
          if (cp >= 0x20 && cp <= 0x7E) {
            put(static_cast<char>(cp));
          } else if (cp < 0x10000) {
            hex4(cp);
          } else {
            cp -= 0x10000;
            hex4(0xD800 | (cp >> 10));
            hex4(0xDC00 | (cp & 0x3FF));
          }
      }
    }
    put('"');
  }
};


}  // namespace mg
