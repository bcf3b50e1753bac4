// ASCII character classes of HTTP (RFC 9110 section 5.6) and trimming of a
// field value's surrounding whitespace. Pure functions over bytes; bytes
// 0x80-0xFF are in no class here. Inline: they run per byte of every header.
#pragma once
#include <cstddef>
#include <string_view>

namespace mg {

// DIGIT (RFC 5234 appendix B.1): '0'-'9'.
constexpr bool ascii_is_digit(char c) { return c >= '0' && c <= '9'; }

// ALPHA (RFC 5234 appendix B.1): 'A'-'Z', 'a'-'z'.
constexpr bool ascii_is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// tchar (RFC 9110 section 5.6.2): the bytes of a token.
constexpr bool ascii_is_tchar(char c) {
  if (ascii_is_digit(c) || ascii_is_alpha(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// OWS (RFC 9110 section 5.6.3): SP or HTAB.
constexpr bool ascii_is_ows(char c) { return c == ' ' || c == '\t'; }

// 'A'-'Z' to 'a'-'z'; every other byte unchanged.
constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// No byte of `s` is 'A'-'Z'.
constexpr bool ascii_is_lower(std::string_view s) {
  for (char c : s)
    if (c >= 'A' && c <= 'Z') return false;
  return true;
}

// `a` and `b` are equal, 'A'-'Z' compared as 'a'-'z'.
constexpr bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// A field value excludes leading and trailing whitespace (RFC 9110 section
// 5.5): `s` without its leading and trailing OWS.
constexpr std::string_view ascii_trim_ows(std::string_view s) {
  while (!s.empty() && ascii_is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && ascii_is_ows(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace mg
