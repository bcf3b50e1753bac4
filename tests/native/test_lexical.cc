// The lexical primitives, each in one module under wasm/src (ascii.h,
// decimal.h, hex.h, percent.h, utf8.h, etag.h): tables of {input, want}.
// Where two copies used to disagree, the row says which rule won and why.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "ascii.h"
#include "conditional.h"
#include "config.h"
#include "decimal.h"
#include "decision.h"
#include "etag.h"
#include "hex.h"
#include "percent.h"
#include "storage_model.h"
#include "token.h"
#include "utf8.h"

using namespace std::string_view_literals;

TEST_CASE("RFC 9110 5.6.2, 5.6.3, 5.5: tchar, OWS, and a field value without surrounding OWS") {
  for (char c : "!#$%&'*+-.^_`|~09azAZ"sv) CHECK(mg::ascii_is_tchar(c));
  for (char c : " \t\"(),/:;<=>?@[\\]{}\x7f\x80\xff"sv) CHECK_FALSE(mg::ascii_is_tchar(c));
  CHECK_FALSE(mg::ascii_is_tchar('\0'));
  CHECK(mg::ascii_is_ows(' '));
  CHECK(mg::ascii_is_ows('\t'));
  for (char c : "\r\n\v\fx"sv) CHECK_FALSE(mg::ascii_is_ows(c));
  const struct { std::string_view in, want; } rows[] = {
      {"", ""}, {" \t ", ""}, {" a ", "a"}, {"\ta b\t", "a b"}, {"a", "a"}, {"\r\na\r\n", "\r\na\r\n"},
  };
  for (const auto& row : rows) CHECK(mg::ascii_trim_ows(row.in) == row.want);
  CHECK(mg::ascii_lower('A') == 'a');
  CHECK(mg::ascii_lower('Z') == 'z');
  CHECK(mg::ascii_lower('[') == '[');
  CHECK(mg::ascii_lower('\xC0') == '\xC0');
}

TEST_CASE("decimal: 1*DIGIT to 2^64 - 1, and back") {
  const struct { std::string_view in; bool ok; std::uint64_t want; } rows[] = {
      {"0", true, 0},
      {"007", true, 7},
      {"18446744073709551615", true, UINT64_MAX},
      {"00000000000000000001", true, 1},  // 20 digits
      {"000000000000000000001", false, 0},  // 21 digits
      {"18446744073709551616", false, 0},  // 2^64
      {"99999999999999999999", false, 0},
      // The edge cache's metadata used to stop at 19 digits, so a size it
      // wrote with 20 did not read back; one parser now takes every u64.
      {"10000000000000000000", true, 10000000000000000000u},
      {"", false, 0}, {"-1", false, 0}, {"+1", false, 0}, {" 1", false, 0}, {"1 ", false, 0}, {"1a", false, 0},
  };
  for (const auto& row : rows) {
    INFO(std::string(row.in));
    std::uint64_t v = 42;
    CHECK(mg::decimal_parse_u64(row.in, &v) == row.ok);
    CHECK(v == (row.ok ? row.want : 42));
  }
  const std::uint64_t values[] = {0, 1, 9, 10, 99, 100, 1000000007, UINT64_MAX};
  const std::string_view texts[] = {"0", "1", "9", "10", "99", "100", "1000000007", "18446744073709551615"};
  for (std::size_t i = 0; i < 8; ++i) {
    char buf[mg::kDecimalU64Digits];
    CHECK(std::string_view(buf, mg::decimal_format_u64(values[i], buf)) == texts[i]);
  }
}

TEST_CASE("hex: HEXDIG, either case") {
  const struct { char in; int want; } rows[] = {
      {'0', 0}, {'9', 9}, {'a', 10}, {'f', 15}, {'A', 10}, {'F', 15},
      {'g', -1}, {'G', -1}, {'/', -1}, {':', -1}, {'@', -1}, {'`', -1}, {' ', -1}, {'\0', -1}, {'\xff', -1},
  };
  for (const auto& row : rows) CHECK(mg::hex_value(row.in) == row.want);
}

TEST_CASE("RFC 3986 2.1: percent-decoding, bounded by the caller's buffer") {
  const struct { std::string_view in; mg::Plus plus; std::size_t cap; bool ok; std::string_view want; } rows[] = {
      {"", mg::Plus::literal, 0, true, ""},
      {"abc", mg::Plus::literal, 3, true, "abc"},
      {"abc", mg::Plus::literal, 2, false, ""},
      {"%41%62", mg::Plus::literal, 2, true, "Ab"},
      {"%e2%82%AC", mg::Plus::literal, 8, true, "\xe2\x82\xac"},
      {"%00", mg::Plus::literal, 8, true, "\0"sv},
      {"%2", mg::Plus::literal, 8, false, ""},
      {"%", mg::Plus::literal, 8, false, ""},
      {"a%", mg::Plus::literal, 8, false, ""},
      {"%4g", mg::Plus::literal, 8, false, ""},
      {"%g4", mg::Plus::literal, 8, false, ""},
      {"%%41", mg::Plus::literal, 8, false, ""},
      {"a+b", mg::Plus::literal, 8, true, "a+b"},
      {"a+b", mg::Plus::space, 8, true, "a b"},
      {"%2B", mg::Plus::space, 8, true, "+"},
      // Longer than eight bytes: escapes and '+' anywhere, the bound at every length.
      {"abcdefghijklmnopq", mg::Plus::literal, 17, true, "abcdefghijklmnopq"},
      {"abcdefghijklmnopq", mg::Plus::literal, 16, false, ""},
      {"abcdefghijklmnop", mg::Plus::literal, 15, false, ""},
      {"abcdefg%41hijklmnop", mg::Plus::literal, 17, true, "abcdefgAhijklmnop"},
      {"abcdefgh%41ijklmnop", mg::Plus::literal, 16, false, ""},
      {"abcdefgh+ijklmnop", mg::Plus::space, 17, true, "abcdefgh ijklmnop"},
      {"abcdefgh+ijklmnop", mg::Plus::literal, 17, true, "abcdefgh+ijklmnop"},
      {"abcdefghijklmno%", mg::Plus::literal, 32, false, ""},
      {"abcdefghijklmn%4", mg::Plus::literal, 32, false, ""},
      {"abcdefghijklmnop%zz", mg::Plus::literal, 32, false, ""},
  };
  for (const auto& row : rows) {
    INFO(std::string(row.in));
    char out[32];
    std::size_t n = 99;
    REQUIRE(row.cap <= sizeof out);
    CHECK(mg::percent_decode(row.in, row.plus, out, row.cap, &n) == row.ok);
    if (row.ok) CHECK(std::string_view(out, n) == row.want);
  }
}

TEST_CASE("RFC 3629: strict UTF-8") {
  const struct { std::string_view in; bool ok; } rows[] = {
      {"", true},
      {"plain ascii", true},
      {"caf\xc3\xa9", true},
      {"\xe2\x82\xac", true},
      {"\xf0\x9f\x98\x80", true},
      {"\xef\xbf\xbf", true},          // U+FFFF, a noncharacter, is still a scalar value
      {"\xf4\x8f\xbf\xbf", true},      // U+10FFFF
      {"\xf4\x90\x80\x80", false},     // U+110000
      {"\xc0\xaf", false},             // overlong '/'
      {"\xc1\xbf", false},
      {"\xe0\x80\xaf", false},         // overlong, three bytes
      {"\xf0\x80\x80\xaf", false},     // overlong, four bytes
      {"\xed\xa0\x80", false},         // U+D800, a surrogate
      {"\xed\xbf\xbf", false},         // U+DFFF
      {"\x80", false},                 // a lone continuation byte
      {"\xc3", false},                 // truncated
      {"\xe2\x82", false},
      {"\xc3\x28", false},             // a lead byte without its continuation
      {"\xf5\x80\x80\x80", false},
      {"\xff", false},
      // Longer than eight bytes: a bad or truncated sequence after an ASCII run.
      {"0123456789abcdef\xc3\xa9", true},
      {"01234567\x80" "abcdefgh", false},
      {"0123456789abcdef\xc3", false},
      {"01234567caf\xc3\xa9 and more ascii", true},
  };
  for (const auto& row : rows) {
    INFO(std::string(row.in));
    CHECK(mg::utf8_valid(row.in) == row.ok);
  }
  std::uint32_t cp = 0;
  const auto* euro = reinterpret_cast<const unsigned char*>("\xe2\x82\xac");
  CHECK(mg::utf8_next(euro, euro + 3, &cp) == 3);
  CHECK(cp == 0x20AC);
  CHECK(mg::utf8_next(euro, euro + 2, &cp) == 0);
}

TEST_CASE("RFC 9110 8.8.3: entity-tag, obs-text allowed, bounded") {
  const std::string longest = "\"" + std::string(mg::kMaxEntityTagBytes - 2, 'a') + "\"";
  const std::string too_long = "\"" + std::string(mg::kMaxEntityTagBytes - 1, 'a') + "\"";
  const struct { std::string_view in; bool ok; bool weak; std::string_view opaque; } rows[] = {
      {"\"xyzzy\"", true, false, "xyzzy"},
      {"W/\"xyzzy\"", true, true, "xyzzy"},
      {"\"\"", true, false, ""},
      {"W/\"\"", true, true, ""},
      {"\"!#~\"", true, false, "!#~"},
      // obs-text (0x80-0xFF) is etagc. The object's ETag from storage used
      // to be refused for it while If-None-Match accepted it; the RFC's rule won.
      {"\"caf\xc3\xa9\"", true, false, "caf\xc3\xa9"},
      {"\"\x80\xff\"", true, false, "\x80\xff"},
      {longest, true, false, std::string_view(longest).substr(1, longest.size() - 2)},
      // Bounded: the storage ETag was capped at 200 bytes, the header's tags
      // were not; one bound now holds for both.
      {too_long, false, false, ""},
      {"w/\"x\"", false, false, ""},   // weak = %s"W/": case-sensitive
      {"xyzzy", false, false, ""},
      {"\"xyzzy", false, false, ""},
      {"\"a b\"", false, false, ""},   // SP is not etagc
      {"\"a\"b\"", false, false, ""},
      {"\"a\x7f\"", false, false, ""},  // DEL
      {"\"a\tb\"", false, false, ""},
      {" \"a\"", false, false, ""},
      {"\"a\" ", false, false, ""},
      {"W/", false, false, ""},
      {"", false, false, ""},
  };
  for (const auto& row : rows) {
    INFO(std::string(row.in));
    mg::EntityTag tag;
    CHECK(mg::etag_parse_whole(row.in, &tag) == row.ok);
    if (row.ok) {
      CHECK(tag.weak == row.weak);
      CHECK(tag.opaque == row.opaque);
    }
  }
  // In a list, etag_parse stops after the tag.
  std::size_t i = 0;
  mg::EntityTag tag;
  CHECK(mg::etag_parse("\"a\", W/\"b\"", &i, &tag));
  CHECK(i == 3);
}

TEST_CASE("RFC 9110 8.8.3: one grammar for the stored ETag and the conditional headers") {
  const std::string too_long = "\"" + std::string(mg::kMaxEntityTagBytes - 1, 'a') + "\"";
  // A list holding a tag past the bound is malformed, as any other bad tag:
  // If-None-Match does not match, If-Match fails (conditional.cc).
  CHECK(mg::etag_list_matches_weak("\"a\", \"b\"", "\"b\""));
  CHECK_FALSE(mg::etag_list_matches_weak("\"b\", " + too_long, "\"b\""));
  CHECK_FALSE(mg::etag_list_matches_strong("\"b\", " + too_long, "\"b\""));
  CHECK(mg::etag_list_matches_strong("\"caf\xc3\xa9\"", "\"caf\xc3\xa9\""));

  // The object's own ETag with obs-text: sent, and If-None-Match matches it
  // (it used to be dropped, so the same request was a 200 without an ETag).
  mg::ConfigText text;
  text.secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  text.secret_set = true;
  text.has_bucket = true;
  text.prefixes = "u/";
  text.prefixes_set = true;
  mg::Config config;
  REQUIRE(mg::config_load(text, &config));
  char token[mg::kMaxTokenBytes];
  std::size_t n = mg::token_mint("u/a.png", mg::Mode::pub, 0, text.secret, token, sizeof token);
  REQUIRE(n > 0);
  const std::string query = "?t=" + std::string(token, n);
  const std::string etag = "\"caf\xc3\xa9\"";
  mg::ModelObject obj;
  obj.exists = true;
  obj.facts.size = 10;
  obj.facts.etag = etag;
  obj.facts.uploaded = 1445412480;
  obj.facts.content_type = "image/png";
  mg::RequestFacts req;
  req.method = "GET";
  req.path = "/m/u/a.png";
  req.query = query;
  req.now = 1767225600;
  static mg::Decision d;
  mg::decide_with_model(config, req, obj, &d);
  CHECK(d.response.status == 200);
  CHECK(d.response.find("etag") == etag);
  req.cond.if_none_match = etag;
  mg::decide_with_model(config, req, obj, &d);
  CHECK(d.response.status == 304);
  CHECK(d.response.find("etag") == etag);
}
