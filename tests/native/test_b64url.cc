// Strict base64url (RFC 4648 section 5, no padding) as the token uses it
// (docs/CONTRACT.md section 3).
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "token.h"

namespace {

std::string encode(std::string_view bytes) {
  char out[256];
  std::size_t n = mg::b64url_encode(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out,
                                    sizeof out);
  return std::string(out, n);
}

// Decoded bytes, or "<rejected>".
std::string decode(std::string_view text) {
  unsigned char out[256];
  std::size_t n = 12345;
  if (!mg::b64url_decode(text, out, sizeof out, &n)) return "<rejected>";
  return std::string(reinterpret_cast<const char*>(out), n);
}

}  // namespace

TEST_CASE("RFC 4648 section 10 test vectors, unpadded") {
  struct Row {
    std::string_view bytes, text;
  };
  const Row rows[] = {
      {"", ""},           {"f", "Zg"},           {"fo", "Zm8"},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const Row& r : rows) {
    CAPTURE(r.text);
    CHECK(encode(r.bytes) == r.text);
    CHECK(decode(r.text) == r.bytes);
  }
}

TEST_CASE("RFC 4648 section 5: the URL-safe alphabet uses '-' and '_' for 62 and 63") {
  const std::string_view bytes("\xfb\xff\xbf\xfe", 4);
  CHECK(encode(bytes) == "-_-__g");
  CHECK(decode("-_-__g") == bytes);
  // Every alphabet character in every position of a group.
  const std::string_view all = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string got = decode(all);
  CHECK(got.size() == 48);
  CHECK(encode(got) == all);
}

TEST_CASE("round trip for every length 0..100 and every byte value") {
  std::string bytes;
  for (int len = 0; len <= 100; ++len) {
    CAPTURE(len);
    std::string text = encode(bytes);
    CHECK(text.size() == static_cast<std::size_t>((len * 4 + 2) / 3));  // unpadded length
    CHECK(text.find('=') == std::string::npos);
    CHECK(decode(text) == bytes);
    bytes.push_back(static_cast<char>(len * 37 + 11));
  }
  std::string every;
  for (int b = 0; b < 256; ++b) every.push_back(static_cast<char>(b));
  for (std::size_t off = 0; off < 3; ++off) {
    std::string_view slice = std::string_view(every).substr(off, 180);
    CHECK(decode(encode(slice)) == slice);
  }
}

TEST_CASE("strict decoding rejects every other spelling (RFC 4648 sections 3.3, 3.5, 5)") {
  struct Row {
    std::string_view text;
    const char* why;
  };
  const Row rows[] = {
      {"Zg==", "padding"},
      {"Zg=", "partial padding"},
      {"Zm8=", "padding"},
      {"Zm9v====", "padding after a full group"},
      {"=", "padding alone"},
      {"Z", "length 1 mod 4"},
      {"Zm9vY", "length 1 mod 4"},
      {"Zh", "non-zero trailing bits (4 pad bits)"},
      {"Zm9", "non-zero trailing bits (2 pad bits)"},
      {"Zm-", "non-zero trailing bits (2 pad bits)"},
      {"+_-_", "standard alphabet '+'"},
      {"-/-_", "standard alphabet '/'"},
      {" Zm9v", "leading space"},
      {"Zm9v ", "trailing space"},
      {"Zm 9v", "inner space"},
      {"Zm9v\n", "newline"},
      {"Zm\t9v", "tab"},
      {"Zm9v.", "dot"},
      {"Zm9v%3D", "percent-escape"},
      {std::string_view("Zm\0v", 4), "NUL"},
      {"Zm\xc3\xa9v", "non-ASCII"},
      {"Zm9\x80", "high byte"},
  };
  for (const Row& r : rows) {
    CAPTURE(r.why);
    CHECK(decode(r.text) == "<rejected>");
  }
}

TEST_CASE("decode honours the output capacity exactly") {
  unsigned char out[6];
  std::size_t n = 0;
  CHECK(mg::b64url_decode("Zm9vYmFy", out, 6, &n));
  CHECK(n == 6);
  CHECK_FALSE(mg::b64url_decode("Zm9vYmFy", out, 5, &n));
  CHECK(mg::b64url_decode("Zm9vYmE", out, 5, &n));
  CHECK(n == 5);
  CHECK_FALSE(mg::b64url_decode("Zm9vYmE", out, 4, &n));
  CHECK(mg::b64url_decode("", nullptr, 0, &n));
  CHECK(n == 0);
}

TEST_CASE("encode honours the output capacity exactly") {
  const unsigned char in[] = {'f', 'o', 'o', 'b', 'a'};
  char out[8];
  CHECK(mg::b64url_encode(in, 5, out, 7) == 7);
  CHECK(std::string_view(out, 7) == "Zm9vYmE");
  CHECK(mg::b64url_encode(in, 5, out, 6) == 0);
  CHECK(mg::b64url_encode(in, 3, out, 4) == 4);
  CHECK(mg::b64url_encode(in, 3, out, 3) == 0);
  CHECK(mg::b64url_encode(in, 0, out, 0) == 0);
}
