// docs/CONTRACT.md section 8: no log line carries token material, whatever a
// client puts where (wasm/src/loggable.h states the rule).
#include <doctest/doctest.h>

#include <string>

#include "config.h"
#include "decision.h"
#include "loggable.h"
#include "token.h"

namespace {

constexpr const char* kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string mint(const std::string& key, mg::Mode mode, std::int64_t exp) {
  char out[1024];
  std::size_t n = mg::token_mint(key, mode, exp, kSecret, out, sizeof out);
  REQUIRE(n > 0);
  return std::string(out, n);
}

std::string redact(std::string key) {
  std::size_t n = mg::key_redact(key.data(), key.size());
  return key.substr(0, n);
}

const std::string k16(16, 'A'), k15(15, 'A'), k39(39, 'x'), k40(40, 'x');

}  // namespace

TEST_CASE("contract 8: a request id is logged unless it is token-shaped") {
  struct Row {
    std::string id;
    bool logged;
  } rows[] = {
      // Ids as proxies and clients send them.
      {"550e8400-e29b-41d4-a716-446655440000", true},      // UUID (one 36-character run)
      {"550e8400e29b41d4a716446655440000", true},          // 32-hex trace id
      {"8f3c1a2b3c4d5e6f-SJC", true},                      // ray-like
      {"abc-123", true},
      {"req-123:abc", true},
      {"web-01.ams.example:8080", true},                   // dots between short runs
      {"1.2.3.4", true},
      {std::string(39, 'f') + ":" + k39, true},  // ':' splits runs: 39 and 39
      {k39, true},
      {k15 + "." + k16, true},                             // one side under 16
      {k16 + ".." + k16, true},                            // two dots: not one token's shape
      // Token-shaped: dropped.
      {k40, false},                                        // a run of 40 (a MAC is 43)
      {std::string(64, 'f'), false},                       // 64 hex
      {k16 + "." + k16, false},                            // <payload>.<mac>, cut short
      {"id:" + k16 + "." + k16 + ":x", false},
      {"a." + k16 + "." + k16, false},
      // Not ids at all (as before).
      {"", false},
      {std::string(129, 'a'), false},
      {"https://evil.example/?t=abc", false},
      {"a b", false},
      {"a=b", false},
  };
  for (const auto& row : rows) {
    CAPTURE(row.id);
    CHECK(mg::request_id_loggable(row.id) == row.logged);
  }
  // Every token the gate mints, whole, at 128 characters or fewer, and its MAC alone.
  for (const char* key : {"u/a.png", "u/me_1/0123456789abcdef.png", "u/v/clip.mp4"}) {
    for (std::int64_t exp : {0LL, 1767225600LL}) {
      std::string t = mint(key, exp ? mg::Mode::priv : mg::Mode::pub, exp);
      CAPTURE(t);
      CHECK(t.size() <= 128);
      CHECK_FALSE(mg::request_id_loggable(t));
      CHECK_FALSE(mg::request_id_loggable(t.substr(t.find('.') + 1)));
    }
  }
}

TEST_CASE("contract 8: token-shaped text in a key is redacted in the log line") {
  const std::string t = mint("u/demo/photo.png", mg::Mode::pub, 0);
  struct Row {
    std::string key, logged;
  } rows[] = {
      // Keys as the backend mints them: unchanged.
      {"u/demo/photo.png", "u/demo/photo.png"},
      {"u/me_1/0123456789abcdef0123456789abcdef.png", "u/me_1/0123456789abcdef0123456789abcdef.png"},
      {"u/h/" + std::string(64, 'f') + ".jpg", "u/h/" + std::string(64, 'f') + ".jpg"},  // a content hash
      {"u/me_1/caf\xC3\xA9 \xF0\x9F\x98\x80.jpg", "u/me_1/caf\xC3\xA9 \xF0\x9F\x98\x80.jpg"},
      {"u/set=" + k16, "u/set=" + k16},                     // `t=` inside a word
      {"u/t=" + k15, "u/t=" + k15},                         // under 16 after t=
      {"u/" + k15 + "." + k16, "u/" + k15 + "." + k16},
      // A query pasted into the path (`%3Ft%3D`), or a token anywhere.
      {"u/demo/photo.png?t=" + t, "u/demo/photo.png?t=[redacted]"},
      {"u/demo/photo.png&t=" + t + "&x=1", "u/demo/photo.png&t=[redacted]&x=1"},
      {"u/demo/" + t, "u/demo/[redacted]"},
      {"u/demo/photo.png." + t, "u/demo/[redacted]"},       // the whole dotted segment
      {"u/demo/photo.png?t=" + t.substr(0, t.find('.')), "u/demo/photo.png?t=[redacted]"},  // the payload alone
      {"u/t=" + t.substr(t.find('.') + 1), "u/t=[redacted]"},  // the MAC alone
      {"t=" + k16, "t=[redacted]"},
      {"u/" + k16 + "." + k16 + "/" + t, "u/[redacted]/[redacted]"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.key);
    CHECK(redact(row.key) == row.logged);
  }
}

TEST_CASE("contract 8: the decision's log key is redacted, the storage key is not") {
  mg::ConfigText text;
  text.secret = kSecret;
  text.secret_set = true;
  text.has_bucket = true;
  mg::Config config;
  REQUIRE(mg::config_load(text, &config));
  const std::string t = mint("u/demo/photo.png", mg::Mode::pub, 0);
  // The token pasted into the path: a denial (no token in the query), its key redacted.
  std::string path = "/m/u/demo/photo.png%3Ft%3D" + t;
  mg::RequestFacts req;
  req.method = "GET";
  req.path = path;
  req.now = 1767225600;
  req.request_id = t;
  static mg::Decision d;
  mg::decide_begin(config, req, &d);
  REQUIRE_FALSE(d.fetch);
  CHECK(d.response.status == 401);
  CHECK(d.log);
  CHECK(d.key_view() == "u/demo/photo.png?t=[redacted]");
  CHECK(d.request_id.empty());
  // A key that only looks token-shaped is still the storage key to read.
  const std::string odd = "u/" + k16 + "." + k16;
  const std::string odd_token = mint(odd, mg::Mode::pub, 0);
  path = "/m/" + odd;
  std::string query = "?t=" + odd_token;
  req.path = path;
  req.query = query;
  mg::decide_begin(config, req, &d);
  REQUIRE(d.fetch);
  CHECK(d.key_view() == odd);
}
