// docs/CONTRACT.md section 2: the URL path after /m/ names the object key.
#include <doctest/doctest.h>

#include <string>

#include "key.h"

namespace {

struct KeyRow {
  const char* raw;
  bool ok;
  const char* key;  // decoded, when ok
};

std::string decode(std::string_view raw, bool* ok) {
  char out[mg::kMaxKeyBytes];
  std::size_t n = 0;
  *ok = mg::key_decode(raw, out, &n);
  return std::string(out, n);
}

}  // namespace

TEST_CASE("contract 2: keys the backend mints decode to the minted key") {
  const KeyRow rows[] = {
      {"u/me_1/0123456789abcdef0123456789abcdef.png", true, "u/me_1/0123456789abcdef0123456789abcdef.png"},
      {"u/me_1/caf%C3%A9%20%F0%9F%98%80.jpg", true, "u/me_1/caf\xC3\xA9 \xF0\x9F\x98\x80.jpg"},
      {"u/me_1/a%20b%252F~%2B.webp", true, "u/me_1/a b%2F~+.webp"},
      {"u/me_1/caf%c3%a9.jpg", true, "u/me_1/caf\xC3\xA9.jpg"},  // lower-case hex too
      {"/u/x.png", true, "u/x.png"},                              // leading '/' stripped
      {"%2Fu/x.png", true, "u/x.png"},                            // also when encoded
      {"u//x.png", true, "u//x.png"},                             // empty segment is a name
      {"u/.hidden", true, "u/.hidden"},
      {"u/...", true, "u/..."},
      {"u/a+b~c", true, "u/a+b~c"},
      {"u/%E4%BD%A0%E5%A5%BD.png", true, "u/\xE4\xBD\xA0\xE5\xA5\xBD.png"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.raw);
    bool ok;
    std::string key = decode(row.raw, &ok);
    CHECK(ok == row.ok);
    if (row.ok) CHECK(key == row.key);
  }
}

TEST_CASE("contract 2: malformed keys are 400 bad_request") {
  const char* rows[] = {
      "",                  // empty
      "/",                 // empty after stripping
      "%2F%2F",            // empty after stripping
      "u/%",               // truncated escape
      "u/%4",              // truncated escape
      "u/%zz.png",         // not hex
      "u/%C3.png",         // truncated UTF-8
      "u/%C0%AF",          // overlong '/'
      "u/%ED%A0%80",       // UTF-16 surrogate
      "u/%F4%90%80%80",    // above U+10FFFF
      "u/%FF",             // never valid in UTF-8
      "u/%00.png",         // NUL
      "u/%0A.png",         // LF
      "u/%1F.png",         // unit separator
      "u/%7F.png",         // DEL
      "u/a%5Cb.png",       // backslash, encoded
      "u/a\\b.png",        // backslash, raw
      "u/./x.png",         // dot segment
      "u/../x.png",        // dot-dot segment
      "u/%2E%2E/x.png",    // dot-dot, encoded
      "u/x/..",            // trailing dot-dot
      "..",
  };
  for (const char* raw : rows) {
    CAPTURE(raw);
    bool ok;
    decode(raw, &ok);
    CHECK_FALSE(ok);
  }
}

TEST_CASE("contract 2: keys up to 1024 bytes, not one more") {
  bool ok;
  std::string key = "u/" + std::string(1022, 'a');
  CHECK(decode(key, &ok) == key);
  CHECK(ok);
  decode(key + "a", &ok);
  CHECK_FALSE(ok);
  // 1024 bytes written as escapes: 3072 raw bytes are still looked at.
  std::string enc = "u/";
  for (int i = 0; i < 1022; ++i) enc += "%61";
  CHECK(decode(enc, &ok) == key);
  CHECK(ok);
  decode(enc + "%61", &ok);
  CHECK_FALSE(ok);
  decode(std::string(10000, 'a'), &ok);  // a 10 KB path
  CHECK_FALSE(ok);
}

TEST_CASE("contract 2: allowed prefixes") {
  std::string_view prefixes[] = {"u/", "pub/"};
  CHECK(mg::key_prefix_allowed("u/me_1/x.png", prefixes, 2));
  CHECK(mg::key_prefix_allowed("pub/x.png", prefixes, 2));
  CHECK_FALSE(mg::key_prefix_allowed("x/u/x.png", prefixes, 2));
  CHECK_FALSE(mg::key_prefix_allowed("u", prefixes, 2));
  CHECK_FALSE(mg::key_prefix_allowed("U/x.png", prefixes, 2));
}

TEST_CASE("contract 3: t is read from the query, first one wins") {
  struct Row {
    const char* query;
    mg::QueryToken want;
    const char* token;
  } rows[] = {
      {"?t=abc.def", mg::QueryToken::found, "abc.def"},
      {"t=abc.def", mg::QueryToken::found, "abc.def"},
      {"?x=1&t=abc", mg::QueryToken::found, "abc"},
      {"?t=first&t=second", mg::QueryToken::found, "first"},
      {"?t=a%2Eb", mg::QueryToken::found, "a.b"},
      {"?t=", mg::QueryToken::absent, ""},
      {"?t", mg::QueryToken::absent, ""},
      {"?tt=abc", mg::QueryToken::absent, ""},
      {"?T=abc", mg::QueryToken::absent, ""},
      {"", mg::QueryToken::absent, ""},
      {"?t=a%zz", mg::QueryToken::malformed, ""},
      {"?t=a%", mg::QueryToken::malformed, ""},
  };
  for (const auto& row : rows) {
    CAPTURE(row.query);
    char out[64];
    std::size_t n = 0;
    CHECK(mg::query_token(row.query, out, sizeof out, &n) == row.want);
    if (row.want == mg::QueryToken::found) CHECK(std::string(out, n) == row.token);
  }
  char small[4];
  std::size_t n = 0;
  CHECK(mg::query_token("?t=abcdef", small, sizeof small, &n) == mg::QueryToken::malformed);
}

TEST_CASE("key extension is the last segment's suffix") {
  CHECK(mg::key_extension("u/a.b/c.JPG") == "JPG");
  CHECK(mg::key_extension("u/a.b/c") == "");
  CHECK(mg::key_extension("u/a/c.") == "");
  CHECK(mg::key_extension("u/a/.mp4") == "mp4");
}
