#include "percent.h"

#include "hex.h"

namespace mg {

bool percent_decode(std::string_view in, Plus plus, char* out, std::size_t cap, std::size_t* out_len) {
  const bool plus_space = plus == Plus::space;
  std::size_t n = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (in.size() - i < 3) return false;  // truncated escape
      const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
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
