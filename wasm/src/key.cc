#include "key.h"

#include "percent.h"
#include "utf8.h"

namespace mg {

namespace {

// A "." or ".." segment would let a key name something other than what the
// backend minted once any layer normalises the path (RFC 3986 5.2.4).
bool has_dot_segment(std::string_view key) {
  std::size_t start = 0;
  while (start <= key.size()) {
    std::size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view seg = key.substr(start, end - start);
    if (seg == "." || seg == "..") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

bool key_decode(std::string_view raw, char* out, std::size_t* out_len) {
  *out_len = 0;
  if (raw.size() > kMaxRawKeyBytes) return false;
  std::size_t n = 0;
  if (!percent_decode(raw, Plus::literal, out, kMaxKeyBytes, &n)) return false;
  std::string_view key(out, n);
  if (!utf8_valid(key)) return false;
  for (char ch : key) {
    auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u == 0x7F || ch == '\\') return false;
  }
  // The backend strips leading '/' before quoting; do the same here so a
  // path of "/m//u/x" names the same key the token was minted for.
  std::size_t lead = 0;
  while (lead < n && out[lead] == '/') ++lead;
  if (lead == n) return false;
  if (has_dot_segment(key.substr(lead))) return false;
  if (lead) {
    for (std::size_t k = lead; k < n; ++k) out[k - lead] = out[k];
    n -= lead;
  }
  *out_len = n;
  return true;
}

bool key_prefix_allowed(std::string_view key, const std::string_view* prefixes, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (!prefixes[i].empty() && key.substr(0, prefixes[i].size()) == prefixes[i]) return true;
  }
  return false;
}

std::string_view key_extension(std::string_view key) {
  std::size_t slash = key.rfind('/');
  std::string_view last = slash == std::string_view::npos ? key : key.substr(slash + 1);
  std::size_t dot = last.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == last.size()) return {};
  return last.substr(dot + 1);
}

}  // namespace mg

namespace mg {

QueryToken query_token(std::string_view query, char* out, std::size_t cap, std::size_t* out_len) {
  *out_len = 0;
  if (!query.empty() && query.front() == '?') query.remove_prefix(1);
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.size() < 1 || pair[0] != 't' || (pair.size() > 1 && pair[1] != '=')) continue;
    std::string_view value = pair.size() > 1 ? pair.substr(2) : std::string_view{};
    std::size_t n = 0;
    if (!percent_decode(value, Plus::space, out, cap, &n)) return QueryToken::malformed;
    *out_len = n;
    return n ? QueryToken::found : QueryToken::absent;
  }
  return QueryToken::absent;
}

}  // namespace mg

namespace mg {

std::size_t key_quote(std::string_view key, char* out, std::size_t cap) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::size_t n = 0;
  for (char ch : key) {
    auto c = static_cast<unsigned char>(ch);
    bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '.' || c == '-' || c == '~' || c == '/';
    if (n + (safe ? 1 : 3) > cap) return 0;
    if (safe) {
      out[n++] = ch;
    } else {
      out[n++] = '%';
      out[n++] = kHex[c >> 4];
      out[n++] = kHex[c & 15];
    }
  }
  return n;
}

}  // namespace mg
