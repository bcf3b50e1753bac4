// Fuzz target `key`: the URL path after "/m/" (key_decode) and the query's `t` parameter
// (query_token), docs/CONTRACT.md sections 2 and 3.1. The whole input is used as both.
//
// Invariants:
//  - a decoded key is 1..1024 bytes of valid UTF-8 (checked against an independent decoder),
//    without control characters, '\', a leading '/', or a "." / ".." segment;
//  - decoding is exact: the key percent-encoded byte by byte decodes to itself, and a raw path
//    without '%' decodes to itself minus its leading '/';
//  - key_extension is a suffix of the key's last segment without '/' or '.';
//  - a found token is 1..cap bytes and decodes again to itself once re-encoded; a cap one
//    byte short of it is `malformed`, never a truncated token.
#include <cstring>

#include "fuzz_util.h"
#include "utf8.h"
#include "key.h"
#include "token.h"

namespace {

// RFC 3629 section 4 syntax, written as the table of byte ranges (independent of key.cc).
bool reference_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size(), i = 0;
  auto in = [](unsigned char c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; };
  while (i < n) {
    unsigned char c = p[i];
    std::size_t left = n - i;
    if (c <= 0x7F) { i += 1; continue; }
    if (in(c, 0xC2, 0xDF)) {
      if (left < 2 || !in(p[i + 1], 0x80, 0xBF)) return false;
      i += 2;
    } else if (c == 0xE0) {
      if (left < 3 || !in(p[i + 1], 0xA0, 0xBF) || !in(p[i + 2], 0x80, 0xBF)) return false;
      i += 3;
    } else if (in(c, 0xE1, 0xEC) || in(c, 0xEE, 0xEF)) {
      if (left < 3 || !in(p[i + 1], 0x80, 0xBF) || !in(p[i + 2], 0x80, 0xBF)) return false;
      i += 3;
    } else if (c == 0xED) {
      if (left < 3 || !in(p[i + 1], 0x80, 0x9F) || !in(p[i + 2], 0x80, 0xBF)) return false;
      i += 3;
    } else if (c == 0xF0) {
      if (left < 4 || !in(p[i + 1], 0x90, 0xBF) || !in(p[i + 2], 0x80, 0xBF) || !in(p[i + 3], 0x80, 0xBF))
        return false;
      i += 4;
    } else if (in(c, 0xF1, 0xF3)) {
      if (left < 4 || !in(p[i + 1], 0x80, 0xBF) || !in(p[i + 2], 0x80, 0xBF) || !in(p[i + 3], 0x80, 0xBF))
        return false;
      i += 4;
    } else if (c == 0xF4) {
      if (left < 4 || !in(p[i + 1], 0x80, 0x8F) || !in(p[i + 2], 0x80, 0xBF) || !in(p[i + 3], 0x80, 0xBF))
        return false;
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

bool has_dot_segment(std::string_view key) {
  std::size_t start = 0;
  for (;;) {
    std::size_t end = key.find('/', start);
    std::string_view seg = key.substr(start, end == std::string_view::npos ? end : end - start);
    if (seg == "." || seg == "..") return true;
    if (end == std::string_view::npos) return false;
    start = end + 1;
  }
}

void check_key(std::string_view raw) {
  static char key[mg::kMaxKeyBytes];
  std::size_t len = 12345;
  bool ok = mg::key_decode(raw, key, &len);
  if (!ok) {
    MG_FUZZ_CHECK(len == 0);
    return;
  }
  std::string_view k(key, len);
  MG_FUZZ_CHECK(len >= 1 && len <= mg::kMaxKeyBytes);
  MG_FUZZ_CHECK(reference_utf8(k));
  MG_FUZZ_CHECK(mg::utf8_valid(k));
  for (char ch : k) {
    auto c = static_cast<unsigned char>(ch);
    MG_FUZZ_CHECK(c >= 0x20 && c != 0x7F && ch != '\\');
  }
  MG_FUZZ_CHECK(k.front() != '/');
  MG_FUZZ_CHECK(!has_dot_segment(k));

  // Exact decoding: the key, every byte escaped, decodes to itself.
  std::string copy(k);
  std::string encoded = mgfuzz::percent_encode_all(copy);
  static char again[mg::kMaxKeyBytes];
  std::size_t again_len = 0;
  if (encoded.size() <= mg::kMaxRawKeyBytes) {
    MG_FUZZ_CHECK(mg::key_decode(encoded, again, &again_len));
    MG_FUZZ_CHECK(std::string_view(again, again_len) == copy);
  }
  // Without escapes nothing changes but the leading '/'.
  if (!mgfuzz::has_byte(raw, '%')) {
    std::string_view stripped = raw;
    while (!stripped.empty() && stripped.front() == '/') stripped.remove_prefix(1);
    MG_FUZZ_CHECK(stripped == copy);
  }

  std::string_view ext = mg::key_extension(k);
  if (!ext.empty()) {
    MG_FUZZ_CHECK(ext.size() < k.size());
    MG_FUZZ_CHECK(k.substr(k.size() - ext.size()) == ext);
    MG_FUZZ_CHECK(k[k.size() - ext.size() - 1] == '.');
    MG_FUZZ_CHECK(!mgfuzz::has_byte(ext, '/') && !mgfuzz::has_byte(ext, '.'));
  }
}

void check_query(std::string_view query) {
  static char token[mg::kMaxTokenBytes];
  std::size_t len = 12345;
  mg::QueryToken qt = mg::query_token(query, token, sizeof token, &len);
  if (qt == mg::QueryToken::absent) {
    MG_FUZZ_CHECK(len == 0);
    return;
  }
  if (qt == mg::QueryToken::malformed) return;
  MG_FUZZ_CHECK(len >= 1 && len <= sizeof token);
  std::string value(token, len);

  // Re-encoded as the only parameter, it reads back identically.
  std::string again_query = "?t=" + mgfuzz::percent_encode_all(value);
  static char again[mg::kMaxTokenBytes];
  std::size_t again_len = 0;
  MG_FUZZ_CHECK(mg::query_token(again_query, again, sizeof again, &again_len) == mg::QueryToken::found);
  MG_FUZZ_CHECK(std::string_view(again, again_len) == value);

  // One byte less room: refused, never cut short.
  std::size_t short_len = 0;
  MG_FUZZ_CHECK(mg::query_token(query, again, len - 1, &short_len) == mg::QueryToken::malformed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = mgfuzz::as_text(data, size);
  check_key(text);
  check_query(text);
  return 0;
}
