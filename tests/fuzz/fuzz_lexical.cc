// Fuzz target `lexical`: the lexical primitives (ascii.h, decimal.h, hex.h, percent.h, utf8.h,
// etag.h), each against a naive model written here, over the same input bytes.
//
// Invariants:
//  - ascii_trim_ows returns a substring with no OWS at either end, and drops only OWS;
//  - decimal_parse_u64 agrees with a 128-bit reference (1 to 20 digits, at most 2^64 - 1), and
//    decimal_format_u64 writes back the numeral without its leading zeros;
//  - percent_decode agrees with a reference decoder (either Plus mode, a small and a large
//    buffer), and decoding the all-escaped form of its output gives the output again;
//  - utf8_valid agrees with a reference built on the code point ranges of RFC 3629 section 4,
//    and utf8_next's code points re-encode to exactly the input;
//  - etag_parse_whole accepts exactly [W/] DQUOTE *etagc DQUOTE with the opaque-tag (quotes
//    included) at most kMaxEntityTagBytes, and its opaque is the text between the quotes.
#include <string>

#include "ascii.h"
#include "decimal.h"
#include "etag.h"
#include "fuzz_util.h"
#include "hex.h"
#include "percent.h"
#include "utf8.h"

namespace {

void check_trim(std::string_view s) {
  std::string_view t = mg::ascii_trim_ows(s);
  MG_FUZZ_CHECK(t.data() >= s.data() && t.data() + t.size() <= s.data() + s.size());
  if (!t.empty()) MG_FUZZ_CHECK(!mg::ascii_is_ows(t.front()) && !mg::ascii_is_ows(t.back()));
  for (const char* p = s.data(); p < t.data(); ++p) MG_FUZZ_CHECK(*p == ' ' || *p == '\t');
  for (const char* p = t.data() + t.size(); p < s.data() + s.size(); ++p) MG_FUZZ_CHECK(*p == ' ' || *p == '\t');
}

void check_decimal(std::string_view s) {
  bool ref_ok = !s.empty() && s.size() <= 20;
  unsigned __int128 v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') ref_ok = false;
    else v = v * 10 + static_cast<unsigned>(c - '0');
  }
  ref_ok = ref_ok && v <= UINT64_MAX;
  std::uint64_t got = 7;
  MG_FUZZ_CHECK(mg::decimal_parse_u64(s, &got) == ref_ok);
  if (!ref_ok) {
    MG_FUZZ_CHECK(got == 7);
    return;
  }
  MG_FUZZ_CHECK(got == static_cast<std::uint64_t>(v));
  char buf[mg::kDecimalU64Digits];
  std::string_view back(buf, mg::decimal_format_u64(got, buf));
  std::size_t lead = 0;
  while (lead + 1 < s.size() && s[lead] == '0') ++lead;
  MG_FUZZ_CHECK(back == s.substr(lead));
}

// A reference percent-decoder: the input's bytes, escape by escape.
bool ref_percent(std::string_view in, bool plus_space, std::string* out) {
  out->clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      std::string hex(in.substr(i + 1, 2));
      int v = 0;
      for (char c : hex) {
        const char* digits = "0123456789abcdef";
        char lc = (c >= 'A' && c <= 'F') ? static_cast<char>(c + 32) : c;
        const char* at = std::char_traits<char>::find(digits, 16, lc);
        if (!at) return false;
        v = v * 16 + static_cast<int>(at - digits);
      }
      *out += static_cast<char>(v);
      i += 2;
    } else {
      *out += (plus_space && in[i] == '+') ? ' ' : in[i];
    }
  }
  return true;
}

void check_percent(std::string_view s) {
  for (mg::Plus plus : {mg::Plus::literal, mg::Plus::space}) {
    std::string want;
    const bool ok = ref_percent(s, plus == mg::Plus::space, &want);
    for (std::size_t cap : {std::size_t{8}, s.size()}) {
      std::string out(cap, '\0');
      std::size_t n = 0;
      const bool got = mg::percent_decode(s, plus, out.data(), cap, &n);
      MG_FUZZ_CHECK(got == (ok && want.size() <= cap));
      if (got) MG_FUZZ_CHECK(std::string_view(out.data(), n) == want);
    }
    if (!ok) continue;
    std::string escaped;
    for (char c : want) {
      const auto u = static_cast<unsigned char>(c);
      escaped += '%';
      escaped += "0123456789ABCDEF"[u >> 4];
      escaped += "0123456789abcdef"[u & 15];
      MG_FUZZ_CHECK(mg::hex_value(escaped[escaped.size() - 2]) == (u >> 4));
    }
    std::string again(want.size(), '\0');
    std::size_t n = 0;
    MG_FUZZ_CHECK(mg::percent_decode(escaped, plus, again.data(), again.size(), &n) && again == want);
  }
}

// RFC 3629 section 4, the well-formed byte sequences, as a table.
bool ref_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0, n = s.size();
  auto in = [&](std::size_t k, unsigned lo, unsigned hi) { return i + k < n && p[i + k] >= lo && p[i + k] <= hi; };
  while (i < n) {
    unsigned c = p[i];
    if (c <= 0x7F) { i += 1; continue; }
    if (c >= 0xC2 && c <= 0xDF && in(1, 0x80, 0xBF)) { i += 2; continue; }
    if (c == 0xE0 && in(1, 0xA0, 0xBF) && in(2, 0x80, 0xBF)) { i += 3; continue; }
    if (((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) && in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF)) { i += 3; continue; }
    if (c == 0xED && in(1, 0x80, 0x9F) && in(2, 0x80, 0xBF)) { i += 3; continue; }
    if (c == 0xF0 && in(1, 0x90, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF)) { i += 4; continue; }
    if (c >= 0xF1 && c <= 0xF3 && in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF)) { i += 4; continue; }
    if (c == 0xF4 && in(1, 0x80, 0x8F) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF)) { i += 4; continue; }
    return false;
  }
  return true;
}

void check_utf8(std::string_view s) {
  const bool ok = ref_utf8(s);
  MG_FUZZ_CHECK(mg::utf8_valid(s) == ok);
  if (!ok) return;
  std::string back;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    std::uint32_t cp = 0;
    std::size_t n = mg::utf8_next(p, end, &cp);
    MG_FUZZ_CHECK(n >= 1 && n <= 4);
    if (cp < 0x80) {
      back += static_cast<char>(cp);
    } else if (cp < 0x800) {
      back += static_cast<char>(0xC0 | (cp >> 6));
      back += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      back += static_cast<char>(0xE0 | (cp >> 12));
      back += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      back += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      back += static_cast<char>(0xF0 | (cp >> 18));
      back += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      back += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      back += static_cast<char>(0x80 | (cp & 0x3F));
    }
    p += n;
  }
  MG_FUZZ_CHECK(back == s);
}

void check_etag(std::string_view s) {
  std::string_view rest = s;
  bool weak = rest.size() >= 2 && rest[0] == 'W' && rest[1] == '/';
  if (weak) rest.remove_prefix(2);
  bool ok = rest.size() >= 2 && rest.front() == '"' && rest.back() == '"' && rest.size() <= mg::kMaxEntityTagBytes;
  for (std::size_t i = 1; ok && i + 1 < rest.size(); ++i) {
    const auto c = static_cast<unsigned char>(rest[i]);
    ok = c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80;
  }
  mg::EntityTag tag;
  MG_FUZZ_CHECK(mg::etag_parse_whole(s, &tag) == ok);
  if (ok) MG_FUZZ_CHECK(tag.weak == weak && tag.opaque == rest.substr(1, rest.size() - 2));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  std::string_view s = mgfuzz::as_text(data, size);
  check_trim(s);
  check_decimal(s);
  check_percent(s);
  check_utf8(s);
  check_etag(s);
  return 0;
}
