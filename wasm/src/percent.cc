#include "percent.h"

#include "hex.h"

namespace mg {
namespace {

// One loop per (Plus, bounded) pair, so the byte loop tests neither: the
// key and the token are decoded on every request. `bounded` is false when
// the input fits `cap` (the output is never longer than the input).
template <bool kPlusSpace, bool kBounded>
bool decode(std::string_view in, char* out, std::size_t cap, std::size_t* out_len) {
  std::size_t n = 0;
  const std::size_t size = in.size();
  for (std::size_t i = 0; i < size; ++i) {
    char c = in[i];
    if (kPlusSpace && c == '+') {
      c = ' ';
    } else if (c == '%') {
      if (size - i < 3) return false;  // truncated escape
      const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (kBounded && n == cap) return false;
    out[n++] = c;
  }
  *out_len = n;
  return true;
}

}  // namespace

bool percent_decode(std::string_view in, Plus plus, char* out, std::size_t cap, std::size_t* out_len) {
  const bool bounded = in.size() > cap;
  if (plus == Plus::space)
    return bounded ? decode<true, true>(in, out, cap, out_len) : decode<true, false>(in, out, cap, out_len);
  return bounded ? decode<false, true>(in, out, cap, out_len) : decode<false, false>(in, out, cap, out_len);
}

}  // namespace mg
