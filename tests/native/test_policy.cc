// docs/CONTRACT.md section 5: cache-control, security headers, content type.
#include <doctest/doctest.h>

#include <string>

#include "policy.h"

using mg::Mode;

TEST_CASE("contract 5: cache-control by token mode and status") {
  struct Row {
    Mode mode;
    int status;
    const char* want;
  } rows[] = {
      {Mode::pub, 200, "public, max-age=31536000, immutable"},
      {Mode::pub, 206, "public, max-age=31536000, immutable"},
      {Mode::pub, 304, "public, max-age=31536000, immutable"},
      {Mode::pub, 404, "public, max-age=60"},
      {Mode::pub, 410, "public, max-age=60"},
      {Mode::pub, 412, "private, no-store"},
      {Mode::pub, 416, "private, no-store"},
      {Mode::pub, 503, "private, no-store"},
      {Mode::priv, 200, "private, no-store"},
      {Mode::priv, 206, "private, no-store"},
      {Mode::priv, 304, "private, no-store"},
      {Mode::priv, 404, "private, no-store"},
      {Mode::priv, 410, "private, no-store"},
      {Mode::none, 400, "private, no-store"},
      {Mode::none, 401, "private, no-store"},
      {Mode::none, 404, "private, no-store"},  // prefix 404: no token read yet
      {Mode::none, 405, "private, no-store"},
      {Mode::none, 503, "private, no-store"},
  };
  for (const auto& row : rows) {
    CAPTURE(static_cast<int>(row.mode));
    CAPTURE(row.status);
    CHECK(mg::policy_cache_control(row.mode, row.status) == row.want);
  }
}

TEST_CASE("contract 5: security headers on every response") {
  mg::Response r;
  mg::policy_security_headers(r, false);
  CHECK(r.find("x-content-type-options") == "nosniff");
  CHECK(r.find("referrer-policy") == "no-referrer");
  CHECK(r.find("cross-origin-resource-policy") == "same-origin");
  CHECK(r.find("x-robots-tag") == "noindex, nofollow");
  CHECK(r.find("content-security-policy") == "default-src 'none'; sandbox");
  mg::Response s;
  mg::policy_security_headers(s, true);
  CHECK(s.find("cross-origin-resource-policy") == "same-site");
}

TEST_CASE("contract 5: content type is clamped to images and videos") {
  struct Row {
    const char* stored;
    const char* key;
    const char* type;
    bool attachment;
  } rows[] = {
      {"image/png", "u/a.png", "image/png", false},
      {"IMAGE/PNG", "u/a.png", "image/png", false},
      {"image/jpeg; charset=binary", "u/a.jpg", "image/jpeg", false},
      {"video/mp4", "u/a.mp4", "video/mp4", false},
      {"video/webm", "u/a.bin", "video/webm", false},
      {"image/svg+xml", "u/a.svg", "application/octet-stream", true},
      {"image/svg", "u/a.svg", "application/octet-stream", true},
      {"image/xml", "u/a.png", "application/octet-stream", true},
      {"video/foo+xml", "u/a.mp4", "application/octet-stream", true},
      {"text/html", "u/a.png", "application/octet-stream", true},
      {"application/javascript", "u/a.jpg", "application/octet-stream", true},
      {"image/", "u/a.png", "application/octet-stream", true},
      {"image/p ng", "u/a.png", "application/octet-stream", true},
      {"imagepng", "u/a.png", "application/octet-stream", true},
      // Missing or generic: inferred from the extension, case-insensitive.
      {"", "u/a.jpg", "image/jpeg", false},
      {"", "u/a.JPEG", "image/jpeg", false},
      {"application/octet-stream", "u/a.png", "image/png", false},
      {"binary/octet-stream", "u/a.gif", "image/gif", false},
      {"Application/Octet-Stream", "u/a.webp", "image/webp", false},
      {"", "u/a.avif", "image/avif", false},
      {"", "u/a.heic", "image/heic", false},
      {"", "u/a.mp4", "video/mp4", false},
      {"", "u/a.m4v", "video/mp4", false},
      {"", "u/a.MOV", "video/quicktime", false},
      {"", "u/a.webm", "video/webm", false},
      {"", "u/a.svg", "application/octet-stream", true},
      {"", "u/a.html", "application/octet-stream", true},
      {"", "u/noext", "application/octet-stream", true},
      {"", "u/a.png/x", "application/octet-stream", true},
  };
  for (const auto& row : rows) {
    CAPTURE(row.stored);
    CAPTURE(row.key);
    char buf[mg::kContentTypeBuf];
    mg::ContentType ct = mg::policy_content_type(row.stored, row.key, buf);
    CHECK(ct.type == row.type);
    CHECK(ct.attachment == row.attachment);
  }
  char buf[mg::kContentTypeBuf];
  std::string longtype = "image/" + std::string(100, 'x');
  CHECK(mg::policy_content_type(longtype, "u/a.png", buf).attachment);
}
