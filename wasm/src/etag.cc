#include "etag.h"

namespace mg {
namespace {

// etagc = %x21 / %x23-7E / obs-text.
bool is_etagc(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80;
}

}  // namespace

bool etag_parse(std::string_view s, std::size_t* i, EntityTag* tag) {
  std::size_t p = *i;
  bool weak = false;
  if (s.size() - p >= 2 && s[p] == 'W' && s[p + 1] == '/') {
    weak = true;
    p += 2;
  }
  if (p >= s.size() || s[p] != '"') return false;
  const std::size_t open = ++p;
  while (p < s.size() && is_etagc(s[p])) ++p;
  if (p >= s.size() || s[p] != '"') return false;
  if (p + 2 - open > kMaxEntityTagBytes) return false;  // the opaque-tag, quotes included
  tag->weak = weak;
  tag->opaque = s.substr(open, p - open);
  *i = p + 1;
  return true;
}

bool etag_parse_whole(std::string_view s, EntityTag* tag) {
  std::size_t i = 0;
  return etag_parse(s, &i, tag) && i == s.size();
}

}  // namespace mg
