// Media tokens: docs/CONTRACT.md section 3. The bulk of the rows live in
// tests/vectors/tokens.jsonl, made with the backend's own algorithm by
// tests/vectors/make_token_vectors.py and shared with the Worker tests.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

// The tests build with and without exceptions, so no REQUIRE (it throws).
// Same RAPIDJSON_ASSERT as token.cc: both translation units instantiate some
// of the same RapidJSON templates.
#define RAPIDJSON_ASSERT(x) ((x) ? static_cast<void>(0) : __builtin_trap())
#include "rapidjson/reader.h"
#include "token.h"

namespace {

using mg::Mode;
using mg::Reason;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::int64_t kE = 1767226200;

// docs/CONTRACT.md section 3, "Test vectors".
struct ContractVector {
  const char* name;
  std::string_view mint_key;     // as handed to the backend
  std::string_view request_key;  // as the key layer decodes the path
  Mode mode;
  std::string_view token;
};
const ContractVector kContract[] = {
    {"public", "u/me_1/0123456789abcdef0123456789abcdef.png", "u/me_1/0123456789abcdef0123456789abcdef.png",
     Mode::pub,
     "eyJrIjoidS9tZV8xLzAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmLnBuZyIsIm0iOiJwdWIifQ."
     "okscWHgWOe53IHi2ElOPJTTRMZE3dMRqOqc0IP68N5I"},
    {"private", "u/me_1/caf\xc3\xa9 \xf0\x9f\x98\x80.jpg", "u/me_1/caf\xc3\xa9 \xf0\x9f\x98\x80.jpg", Mode::priv,
     "eyJlIjoxNzY3MjI2MjAwLCJrIjoidS9tZV8xL2NhZlx1MDBlOSBcdWQ4M2RcdWRlMDAuanBnIiwibSI6InByaXYifQ."
     "dqyQa-PkJ2Wn8EavPak6uZQHF91QkLcqvsZSsOIYKuE"},
    {"leading slash stripped", "/u/me_1/a b%2F~+.webp", "u/me_1/a b%2F~+.webp", Mode::pub,
     "eyJrIjoidS9tZV8xL2EgYiUyRn4rLndlYnAiLCJtIjoicHViIn0.cuprcm91uKfFQVngOjW_xfeET65l8jfHauXRpgqYa2U"},
};

mg::TokenPolicy policy_at(std::int64_t now, std::int64_t leeway = 60, std::int64_t max_ttl = 3600,
                          bool write = false, std::int64_t max_upload_ttl = 3600) {
  mg::TokenPolicy p;
  p.now = now;
  p.leeway = leeway;
  p.max_ttl = max_ttl;
  p.write = write;
  p.max_upload_ttl = max_upload_ttl;
  return p;
}

std::string reason_name(Reason r) { return std::string(mg::reason_info(r).name); }

std::string mode_name(Mode m) {
  return m == Mode::pub ? "pub" : m == Mode::priv ? "priv" : m == Mode::put ? "put" : "none";
}

std::string verify(std::string_view token, std::string_view key, std::int64_t now, Mode* mode = nullptr,
                   std::string_view secret = kSecret) {
  const std::string_view secrets[] = {secret};
  mg::TokenVerdict v = mg::token_verify(token, key, secrets, 1, policy_at(now));
  if (mode) *mode = v.mode;
  return reason_name(v.reason);
}

std::string mint(std::string_view key, Mode mode, std::int64_t exp, std::string_view secret = kSecret) {
  char out[mg::kMaxTokenBytes];
  std::size_t n = mg::token_mint(key, mode, exp, secret, out, sizeof out);
  return std::string(out, n);
}

std::string mint_put(std::string_view key, std::string_view ct, std::uint64_t n, std::int64_t exp,
                     std::string_view secret = kSecret) {
  char out[mg::kMaxTokenBytes];
  std::size_t len = mg::token_mint_put(key, ct, n, exp, secret, out, sizeof out);
  return std::string(out, len);
}

std::string hex(const unsigned char* p, std::size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += kHex[p[i] >> 4], s += kHex[p[i] & 15];
  return s;
}

// Whole file, or empty if it cannot be opened.
std::string read_file(const std::string& path) {
  std::string data;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
    std::fclose(f);
  }
  return data;
}

// tests/vectors/tokens.jsonl from the repository root (the working directory
// for ctest), else next to this file.
std::string read_vectors() {
  std::string data = read_file("tests/vectors/tokens.jsonl");
  if (!data.empty()) return data;
  std::string here = __FILE__;
  here = here.substr(0, here.find_last_of('/') + 1);
  return read_file(here + "../vectors/tokens.jsonl");
}

// One tokens.jsonl row (field meanings: make_token_vectors.py).
struct Row {
  std::string name, token, key, want, mode;
  std::vector<std::string> secrets;
  std::int64_t now = 0, leeway = 0, max_ttl = 0;
  bool has_exp = false;
  std::int64_t exp = 0;
  bool has_mint = false;
  std::string mint_key, mint_mode, mint_secret;
  std::int64_t mint_exp = 0;
  // Put tokens: the request writes; the upload TTL; the verdict's ct and n;
  // the mint's ct and n (0: none).
  bool write = false;
  std::int64_t max_upload_ttl = 3600;
  bool has_ct = false;
  std::string ct, mint_ct;
  std::uint64_t n = 0, mint_n = 0;
};

// SAX reader for a row, parsed in situ like the payloads in token.cc (the
// DOM would need RapidJSON's internal stack; in situ, nothing is allocated).
class RowReader : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, RowReader> {
 public:
  explicit RowReader(Row* row) : row_(row) {}
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    name_.assign(s, n);
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    std::string v(s, n);
    if (in_secrets_) row_->secrets.push_back(v);
    else if (in_mint_ && name_ == "key") row_->mint_key = v;
    else if (in_mint_ && name_ == "mode") row_->mint_mode = v;
    else if (in_mint_ && name_ == "secret") row_->mint_secret = v;
    else if (in_mint_ && name_ == "ct") row_->mint_ct = v;
    else if (name_ == "ct") row_->has_ct = true, row_->ct = v;
    else if (name_ == "name") row_->name = v;
    else if (name_ == "token") row_->token = v;
    else if (name_ == "key") row_->key = v;
    else if (name_ == "want") row_->want = v;
    else if (name_ == "mode") row_->mode = v;
    return true;
  }
  bool Int(int i) { return Int64(i); }
  bool Uint(unsigned u) { return Int64(u); }
  bool Uint64(std::uint64_t u) { return u <= INT64_MAX && Int64(static_cast<std::int64_t>(u)); }
  bool Bool(bool b) {
    if (name_ == "write") row_->write = b;
    return true;
  }
  bool Int64(std::int64_t i) {
    if (in_mint_ && name_ == "exp") row_->mint_exp = i;
    else if (in_mint_ && name_ == "n") row_->mint_n = static_cast<std::uint64_t>(i);
    else if (name_ == "n") row_->n = static_cast<std::uint64_t>(i);
    else if (name_ == "max_upload_ttl") row_->max_upload_ttl = i;
    else if (name_ == "now") row_->now = i;
    else if (name_ == "leeway") row_->leeway = i;
    else if (name_ == "max_ttl") row_->max_ttl = i;
    else if (name_ == "exp") row_->has_exp = true, row_->exp = i;
    return true;
  }
  bool StartObject() {
    if (++depth_ == 2) in_mint_ = row_->has_mint = name_ == "mint";
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    if (depth_-- == 2) in_mint_ = false;
    return true;
  }
  bool StartArray() { return in_secrets_ = name_ == "secrets"; }
  bool EndArray(rapidjson::SizeType) {
    in_secrets_ = false;
    return true;
  }

 private:
  Row* row_;
  std::string name_;
  int depth_ = 0;
  bool in_mint_ = false, in_secrets_ = false;
};

bool parse_row(std::string line, Row* row) {
  rapidjson::Reader reader;
  rapidjson::InsituStringStream in(&line[0]);
  RowReader handler(row);
  return !reader.Parse<rapidjson::kParseInsituFlag | rapidjson::kParseValidateEncodingFlag>(in, handler).IsError();
}

}  // namespace

TEST_CASE("RFC 4231 HMAC-SHA256 test cases") {
  struct Row {
    std::string key, data, mac;
  };
  const Row rows[] = {
      {std::string(20, '\x0b'), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19",
       std::string(50, '\xcd'), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be "
       "hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const Row& r : rows) {
    unsigned char mac[32];
    mg::hmac_sha256(r.key, reinterpret_cast<const unsigned char*>(r.data.data()), r.data.size(), mac);
    CHECK(hex(mac, 32) == r.mac);
    // The same with the pads precomputed once (TokenKeys), keys over 64 bytes included.
    const std::string_view key = r.key;
    mg::TokenKeys keys;
    mg::token_keys_init(&key, 1, &keys);
    CHECK(keys.set[0]);
    mg::hmac_sha256_keyed(keys.key[0], reinterpret_cast<const unsigned char*>(r.data.data()), r.data.size(), mac);
    CHECK(hex(mac, 32) == r.mac);
  }
  // Empty key and empty message (Python: hmac.new(b"", b"", sha256)).
  unsigned char mac[32];
  mg::hmac_sha256({}, nullptr, 0, mac);
  CHECK(hex(mac, 32) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("3: MACs are compared in full, in constant time") {
  unsigned char a[32], b[32];
  for (int i = 0; i < 32; ++i) a[i] = b[i] = static_cast<unsigned char>(i * 7);
  CHECK(mg::mac_equal_ct(a, b));
  for (int i = 0; i < 32; ++i) {
    for (unsigned char bit = 1; bit; bit = static_cast<unsigned char>(bit << 1)) {
      b[i] ^= bit;
      CHECK_FALSE(mg::mac_equal_ct(a, b));
      b[i] ^= bit;
    }
  }
  CHECK(mg::mac_equal_ct(a, b));
}

TEST_CASE("3 test vectors: each verifies with the contract secret, mint reproduces it byte for byte") {
  for (const ContractVector& v : kContract) {
    CAPTURE(v.name);
    Mode mode = Mode::none;
    CHECK(verify(v.token, v.request_key, kE - 10, &mode) == "serve_full");
    CHECK(mode == v.mode);
    CHECK(mint(v.mint_key, v.mode, kE) == v.token);
    CHECK(verify(v.token, v.request_key, kE - 10, nullptr, "another secret") == "token_bad_signature");
  }
}

TEST_CASE("3.3 private contract vector at the clock boundaries (leeway 60, max TTL 3600)") {
  const ContractVector& v = kContract[1];
  struct Row {
    std::int64_t now;
    const char* want;
  };
  const Row rows[] = {
      {kE - 10, "serve_full"},
      {kE, "serve_full"},
      {kE + 60, "serve_full"},  // now == e + leeway: still valid
      {kE + 61, "token_expired"},
      {kE - 3660, "serve_full"},  // e == now + max_ttl + leeway
      {kE - 3661, "token_expiry_too_far"},
  };
  for (const Row& r : rows) {
    CAPTURE(r.now);
    const std::string_view secrets[] = {kSecret};
    mg::TokenVerdict got = mg::token_verify(v.token, v.request_key, secrets, 1, policy_at(r.now));
    CHECK(reason_name(got.reason) == r.want);
    CHECK(got.mode == Mode::priv);  // reported for the denials too: private, no-store
    CHECK(got.exp == kE);
  }
  CHECK(mg::reason_info(Reason::token_expired).body == "expired");
  CHECK(mg::reason_info(Reason::token_expiry_too_far).body == "forbidden");
}

TEST_CASE("3.1 missing token: restricted") {
  Mode mode = Mode::pub;
  CHECK(verify("", "u/a.png", kE, &mode) == "token_missing");
  CHECK(mode == Mode::none);
  CHECK(mg::reason_info(Reason::token_missing).body == "restricted");
}

TEST_CASE("tests/vectors/tokens.jsonl: verify and mint agree with the backend's algorithm") {
  const std::string data = read_vectors();
  CHECK_MESSAGE(!data.empty(), "tests/vectors/tokens.jsonl not found");
  int rows = 0, accepted = 0, minted = 0, minted_put = 0, writes = 0;
  std::size_t start = 0;
  while (start < data.size()) {
    std::size_t end = data.find('\n', start);
    if (end == std::string::npos) end = data.size();
    const std::string line = data.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;

    Row row;
    const bool parsed = parse_row(line, &row);
    CHECK_MESSAGE(parsed, line);
    if (!parsed) continue;
    ++rows;
    writes += row.write;
    CAPTURE(row.name);
    std::vector<std::string_view> secrets(row.secrets.begin(), row.secrets.end());
    const mg::TokenPolicy policy = policy_at(row.now, row.leeway, row.max_ttl, row.write, row.max_upload_ttl);

    const mg::TokenVerdict v = mg::token_verify(row.token, row.key, secrets.data(), secrets.size(), policy);
    CHECK(reason_name(v.reason) == row.want);
    CHECK(mode_name(v.mode) == row.mode);
    if (row.has_exp) CHECK(v.exp == row.exp);
    if (row.has_ct) {
      CHECK(v.ct_view() == row.ct);
      CHECK(v.max_bytes == row.n);
    }

    // token_inspect reaches the same verdict.
    static mg::TokenDetails details;
    const mg::TokenVerdict vi =
        mg::token_inspect(row.token, row.key, true, secrets.data(), secrets.size(), policy, &details);
    CHECK(vi.reason == v.reason);
    CHECK(vi.mode == v.mode);
    CHECK(vi.exp == v.exp);
    if (v.reason == Reason::serve_full) {
      ++accepted;
      CHECK(details.signature_ok);
      CHECK(details.has_key);
      CHECK(std::string_view(details.key, details.key_len) == row.key);
      CHECK(details.mode == v.mode);
      CHECK(details.has_exp == (v.mode == Mode::priv || v.mode == Mode::put));
      CHECK(details.has_ct == (v.mode == Mode::put));
      CHECK(std::string_view(details.ct, details.ct_len) == v.ct_view());
      CHECK(details.max_bytes == v.max_bytes);
    }

    if (row.has_mint && row.mint_mode == "put") {
      ++minted, ++minted_put;
      CHECK(mint_put(row.mint_key, row.mint_ct, row.mint_n, row.mint_exp, row.mint_secret) == row.token);
    } else if (row.has_mint) {
      ++minted;
      const Mode mode = row.mint_mode == "priv" ? Mode::priv : Mode::pub;
      CHECK(mint(row.mint_key, mode, row.mint_exp, row.mint_secret) == row.token);
    }
  }
  MESSAGE(rows << " rows, " << accepted << " accepted, " << minted << " minted (" << minted_put << " put), "
                << writes << " writes");
  CHECK(rows >= 380);
  CHECK(accepted >= 150);
  CHECK(minted >= 140);
  CHECK(minted_put >= 70);
  CHECK(writes >= 110);
}

TEST_CASE("tests/vectors/tokens.jsonl: precomputed keys (TokenKeys) agree with the string overload on every row") {
  const std::string data = read_vectors();
  CHECK_MESSAGE(!data.empty(), "tests/vectors/tokens.jsonl not found");
  int rows = 0, accepted = 0;
  std::size_t start = 0;
  while (start < data.size()) {
    std::size_t end = data.find('\n', start);
    if (end == std::string::npos) end = data.size();
    const std::string line = data.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    Row row;
    if (!parse_row(line, &row)) continue;  // the test above reports unparsable rows
    ++rows;
    CAPTURE(row.name);
    std::vector<std::string_view> secrets(row.secrets.begin(), row.secrets.end());
    const mg::TokenPolicy policy = policy_at(row.now, row.leeway, row.max_ttl, row.write, row.max_upload_ttl);

    mg::TokenKeys keys;
    mg::token_keys_init(secrets.data(), secrets.size(), &keys);
    const mg::TokenVerdict by_string = mg::token_verify(row.token, row.key, secrets.data(), secrets.size(), policy);
    const mg::TokenVerdict by_keys = mg::token_verify(row.token, row.key, keys, policy);
    CHECK(reason_name(by_keys.reason) == reason_name(by_string.reason));
    CHECK(reason_name(by_keys.reason) == row.want);
    CHECK(by_keys.mode == by_string.mode);
    CHECK(by_keys.exp == by_string.exp);
    if (by_keys.reason == Reason::serve_full) ++accepted;
    mg::token_keys_wipe(&keys);
    // A wiped TokenKeys holds no secret: nothing verifies.
    CHECK(mg::token_verify(row.token, row.key, keys, policy).reason ==
          (row.token.empty() ? Reason::token_missing
           : by_string.reason == Reason::token_malformed ? Reason::token_malformed
                                                          : Reason::token_bad_signature));
  }
  MESSAGE(rows << " rows, " << accepted << " accepted");
  CHECK(rows >= 250);
  CHECK(accepted >= 80);
}

TEST_CASE("3.2 TokenKeys: empty secrets are unset slots, at most kMaxSecrets are read, either slot verifies") {
  const ContractVector& v = kContract[0];
  const mg::TokenPolicy p = policy_at(kE);
  mg::TokenKeys keys;
  mg::token_keys_init(nullptr, 2, &keys);
  CHECK_FALSE(keys.set[0]);
  CHECK_FALSE(keys.set[1]);
  CHECK(mg::token_verify(v.token, v.request_key, keys, p).reason == Reason::token_bad_signature);

  const std::string_view previous_only[] = {"", kSecret};
  mg::token_keys_init(previous_only, 2, &keys);
  CHECK_FALSE(keys.set[0]);
  CHECK(keys.set[1]);
  CHECK(mg::token_verify(v.token, v.request_key, keys, p).reason == Reason::serve_full);

  const std::string_view third[] = {"a", "b", kSecret};
  mg::token_keys_init(third, 3, &keys);
  CHECK(mg::token_verify(v.token, v.request_key, keys, p).reason == Reason::token_bad_signature);

  const std::string_view current[] = {kSecret, "old"};
  mg::token_keys_init(current, 2, &keys);
  CHECK(mg::token_verify(v.token, v.request_key, keys, p).reason == Reason::serve_full);
  mg::token_keys_wipe(&keys);
}

TEST_CASE("3.2 the MAC is checked before the JSON is read") {
  // Not JSON, wrong MAC: the signature decides.
  const std::string t = "bm90IGpzb24." + std::string(43, 'A');
  CHECK(verify(t, "u/a.png", kE) == "token_bad_signature");
  // Shape before signature: a padded MAC is malformed even though it would not match either.
  CHECK(verify("bm90IGpzb24.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "u/a.png", kE) == "token_malformed");
}

TEST_CASE("3.2 secrets: at most kMaxSecrets are read, none configured verifies nothing") {
  const ContractVector& v = kContract[0];
  const mg::TokenPolicy p = policy_at(kE);
  CHECK(mg::token_verify(v.token, v.request_key, nullptr, 0, p).reason == Reason::token_bad_signature);
  CHECK(mg::token_verify(v.token, v.request_key, nullptr, 2, p).reason == Reason::token_bad_signature);
  const std::string_view third[] = {"a", "b", kSecret};
  CHECK(mg::token_verify(v.token, v.request_key, third, 3, p).reason == Reason::token_bad_signature);
  const std::string_view second[] = {"a", kSecret, "c"};
  CHECK(mg::token_verify(v.token, v.request_key, second, 3, p).reason == Reason::serve_full);
}

TEST_CASE("token_inspect reports which secret verified, the payload and its fields") {
  static mg::TokenDetails d;
  const ContractVector& v = kContract[1];
  const mg::TokenPolicy p = policy_at(kE - 10);

  const std::string_view both[] = {"current", kSecret};
  mg::TokenVerdict r = mg::token_inspect(v.token, {}, false, both, 2, p, &d);
  CHECK(r.reason == Reason::serve_full);
  CHECK(d.signature_ok);
  CHECK(d.secret_index == 1);
  CHECK(std::string_view(d.payload, d.payload_len) ==
        "{\"e\":1767226200,\"k\":\"u/me_1/caf\\u00e9 \\ud83d\\ude00.jpg\",\"m\":\"priv\"}");
  CHECK(d.has_key);
  CHECK(std::string_view(d.key, d.key_len) == v.request_key);
  CHECK(d.mode == Mode::priv);
  CHECK(d.has_exp);
  CHECK(d.exp == kE);

  const std::string_view same_twice[] = {kSecret, kSecret};
  mg::token_inspect(v.token, v.request_key, true, same_twice, 2, p, &d);
  CHECK(d.secret_index == 0);  // the first match

  // Wrong secret: the payload is shown, nothing is read from it.
  const std::string_view wrong[] = {"wrong"};
  r = mg::token_inspect(v.token, v.request_key, true, wrong, 1, p, &d);
  CHECK(r.reason == Reason::token_bad_signature);
  CHECK(r.mode == Mode::none);
  CHECK(d.payload_len == 67);
  CHECK_FALSE(d.signature_ok);
  CHECK(d.secret_index == -1);
  CHECK_FALSE(d.has_key);
  CHECK(d.mode == Mode::none);
  CHECK_FALSE(d.has_exp);

  // Malformed: nothing at all.
  r = mg::token_inspect("x.y", v.request_key, true, both, 2, p, &d);
  CHECK(r.reason == Reason::token_malformed);
  CHECK(d.payload_len == 0);
}

TEST_CASE("3 private e at the int64 limits: minted as Python writes it, compared without wrap-around") {
  struct Row {
    std::int64_t e, now;
    const char* payload;
    const char* want;
  };
  const Row rows[] = {
      {INT64_MAX, INT64_MAX - 10, "{\"e\":9223372036854775807,\"k\":\"u/x\",\"m\":\"priv\"}", "serve_full"},
      {INT64_MAX, kE, "{\"e\":9223372036854775807,\"k\":\"u/x\",\"m\":\"priv\"}", "token_expiry_too_far"},
      {INT64_MIN, INT64_MIN, "{\"e\":-9223372036854775808,\"k\":\"u/x\",\"m\":\"priv\"}", "serve_full"},
      {INT64_MIN, kE, "{\"e\":-9223372036854775808,\"k\":\"u/x\",\"m\":\"priv\"}", "token_expired"},
      {-1, -1, "{\"e\":-1,\"k\":\"u/x\",\"m\":\"priv\"}", "serve_full"},
  };
  for (const Row& r : rows) {
    CAPTURE(r.payload);
    const std::string t = mint("u/x", Mode::priv, r.e);
    static mg::TokenDetails d;
    const std::string_view secrets[] = {kSecret};
    mg::TokenVerdict v = mg::token_inspect(t, "u/x", true, secrets, 1, policy_at(r.now), &d);
    CHECK(std::string_view(d.payload, d.payload_len) == r.payload);
    CHECK(reason_name(v.reason) == r.want);
    CHECK(v.exp == r.e);
  }
}

TEST_CASE("2/3 the longest keys the gate serves mint and verify within the bounds") {
  struct Row {
    const char* name;
    std::string unit;
    std::size_t count;
  };
  const Row rows[] = {
      {"ASCII", "a", 1022},
      {"2-byte UTF-8 (6-byte escapes)", "\xc3\xa9", 511},
      {"3-byte UTF-8", "\xe6\x97\xa5", 340},
      {"4-byte UTF-8 (surrogate pairs)", "\xf0\x9f\x98\x80", 255},
      {"quotes", "\"", 1022},
  };
  for (const Row& r : rows) {
    CAPTURE(r.name);
    std::string key = "u/";
    for (std::size_t i = 0; i < r.count; ++i) key += r.unit;
    CHECK(key.size() <= mg::kMaxKeyBytes);
    // The widest e Python can write for an int64.
    const std::string t = mint(key, Mode::priv, INT64_MIN);
    CHECK(!t.empty());
    CHECK(t.size() <= mg::kMaxTokenBytes);
    const std::string_view secrets[] = {kSecret};
    CHECK(mg::token_verify(t, key, secrets, 1, policy_at(INT64_MIN)).reason == Reason::serve_full);
  }
}

TEST_CASE("token_mint refuses what the backend could not have minted or would not fit") {
  char out[mg::kMaxTokenBytes];
  struct Row {
    const char* why;
    std::string_view key;
  };
  const Row invalid_utf8[] = {
      {"lone continuation byte", "u/\x80"},
      {"overlong '/'", "u/\xc0\xaf"},
      {"UTF-8-encoded surrogate", "u/\xed\xa0\x80"},
      {"truncated sequence", "u/\xe6\x97"},
      {"above U+10FFFF", "u/\xf4\x90\x80\x80"},
      {"Latin-1 byte", "u/caf\xe9"},
  };
  for (const Row& r : invalid_utf8) {
    CAPTURE(r.why);
    CHECK(mg::token_mint(r.key, Mode::pub, 0, kSecret, out, sizeof out) == 0);
  }
  CHECK(mg::token_mint("u/a", Mode::none, 0, kSecret, out, sizeof out) == 0);
  CHECK(mg::token_mint("u/a", Mode::pub, 0, "", out, sizeof out) == 0);
  // Payload over kMaxPayloadBytes: control characters take 6 bytes each.
  CHECK(mg::token_mint("u/" + std::string(600, '\x01'), Mode::pub, 0, kSecret, out, sizeof out) == 0);
  CHECK(mg::token_mint("u/" + std::string(590, '\x01'), Mode::pub, 0, kSecret, out, sizeof out) > 0);
  // Capacity: exactly the token length fits, one less does not.
  const std::string_view want = kContract[0].token;
  CHECK(mg::token_mint(kContract[0].mint_key, Mode::pub, 0, kSecret, out, want.size()) == want.size());
  CHECK(std::string_view(out, want.size()) == want);
  CHECK(mg::token_mint(kContract[0].mint_key, Mode::pub, 0, kSecret, out, want.size() - 1) == 0);
  CHECK(mg::token_mint(kContract[0].mint_key, Mode::pub, 0, kSecret, out, 10) == 0);
}

TEST_CASE("3 mint escapes exactly as Python's json.dumps(ensure_ascii=True)") {
  struct Row {
    std::string_view key;
    std::string_view payload;
  };
  const Row rows[] = {
      {"u/\"\\", "{\"k\":\"u/\\\"\\\\\",\"m\":\"pub\"}"},
      {"u/\b\f\n\r\t", "{\"k\":\"u/\\b\\f\\n\\r\\t\",\"m\":\"pub\"}"},
      {std::string_view("u/\x00\x01\x1f", 5), "{\"k\":\"u/\\u0000\\u0001\\u001f\",\"m\":\"pub\"}"},
      {"u/ ~\x7f", "{\"k\":\"u/ ~\\u007f\",\"m\":\"pub\"}"},  // DEL is escaped: not in ' '..'~'
      {"u/\xc2\x80\xef\xbf\xbf", "{\"k\":\"u/\\u0080\\uffff\",\"m\":\"pub\"}"},
      {"u/\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", "{\"k\":\"u/\\ud800\\udc00\\udbff\\udfff\",\"m\":\"pub\"}"},
      {"//u/a/", "{\"k\":\"u/a/\",\"m\":\"pub\"}"},
      {"/", "{\"k\":\"\",\"m\":\"pub\"}"},
  };
  for (const Row& r : rows) {
    CAPTURE(r.payload);
    const std::string t = mint(r.key, Mode::pub, 0);
    CHECK(!t.empty());
    static mg::TokenDetails d;
    const std::string_view secrets[] = {kSecret};
    mg::token_inspect(t, {}, false, secrets, 1, policy_at(kE), &d);
    CHECK(std::string_view(d.payload, d.payload_len) == r.payload);
  }
}

// ---- Put tokens (docs/UPLOADS.md, "The put token") ----------------------------------------

namespace {

// A token over hand-written payload bytes, signed with the contract secret.
std::string sign_payload(std::string_view payload, std::string_view secret = kSecret) {
  unsigned char mac[32];
  mg::hmac_sha256(secret, reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac);
  char a[mg::kMaxTokenBytes], b[64];
  std::size_t na = mg::b64url_encode(reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), a,
                                     sizeof a);
  std::size_t nb = mg::b64url_encode(mac, 32, b, sizeof b);
  return std::string(a, na) + "." + std::string(b, nb);
}

mg::TokenVerdict verify_put(std::string_view token, std::int64_t now, bool write = true,
                            std::int64_t max_upload_ttl = 3600, std::string_view key = "u/a.png") {
  const std::string_view secrets[] = {kSecret};
  return mg::token_verify(token, key, secrets, 1, policy_at(now, 60, 3600, write, max_upload_ttl));
}

}  // namespace

TEST_CASE("uploads 1: every refusal of a put token, and the verdict's mode") {
  // e = kE; now = kE - 10 unless the row says otherwise.
  struct Row {
    const char* why;
    std::string payload;
    const char* want;
    Mode mode;
    bool write = true;
    std::int64_t now = kE - 10;
    std::int64_t max_upload_ttl = 3600;
  };
  const std::string tail = ",\"e\":1767226200,\"k\":\"u/a.png\",\"m\":\"put\"}";
  const std::string ok_head = "{\"ct\":\"image/png\",\"e\":1767226200,\"k\":\"u/a.png\",\"m\":\"put\"";
  const Row rows[] = {
      {"accepted", ok_head + "}", "serve_full", Mode::put},
      {"accepted with n", ok_head + ",\"n\":5}", "serve_full", Mode::put},
      // ct: a string of 1..255 bytes.
      {"ct missing", "{\"e\":1767226200,\"k\":\"u/a.png\",\"m\":\"put\"}", "token_bad_payload", Mode::put},
      {"ct a number", "{\"ct\":1" + tail, "token_bad_payload", Mode::put},
      {"ct null", "{\"ct\":null" + tail, "token_bad_payload", Mode::put},
      {"ct true", "{\"ct\":true" + tail, "token_bad_payload", Mode::put},
      {"ct an array", "{\"ct\":[\"image/png\"]" + tail, "token_bad_payload", Mode::put},
      {"ct an object", "{\"ct\":{}" + tail, "token_bad_payload", Mode::put},
      {"ct empty", "{\"ct\":\"\"" + tail, "token_bad_payload", Mode::put},
      {"ct 256 bytes", "{\"ct\":\"" + std::string(256, 'a') + "\"" + tail, "token_bad_payload", Mode::put},
      {"ct 255 bytes", "{\"ct\":\"" + std::string(255, 'a') + "\"" + tail, "serve_full", Mode::put},
      // n: an integer >= 1 when present.
      {"n 0", ok_head + ",\"n\":0}", "token_bad_payload", Mode::put},
      {"n -1", ok_head + ",\"n\":-1}", "token_bad_payload", Mode::put},
      {"n 1.5", ok_head + ",\"n\":1.5}", "token_bad_payload", Mode::put},
      {"n \"5\"", ok_head + ",\"n\":\"5\"}", "token_bad_payload", Mode::put},
      {"n 5.0", ok_head + ",\"n\":5.0}", "token_bad_payload", Mode::put},
      {"n 1e3", ok_head + ",\"n\":1e3}", "token_bad_payload", Mode::put},
      {"n null", ok_head + ",\"n\":null}", "token_bad_payload", Mode::put},
      {"n past int64", ok_head + ",\"n\":9223372036854775808}", "token_bad_payload", Mode::put},
      {"n 1", ok_head + ",\"n\":1}", "serve_full", Mode::put},
      // e: required, bounded by MEDIA_MAX_UPLOAD_TTL_SECONDS + leeway, expired after e + leeway.
      {"e missing", "{\"ct\":\"image/png\",\"k\":\"u/a.png\",\"m\":\"put\"}", "token_no_expiry", Mode::put},
      {"e a string", "{\"ct\":\"image/png\",\"e\":\"1767226200\",\"k\":\"u/a.png\",\"m\":\"put\"}", "token_no_expiry",
       Mode::put},
      {"e 1.5", "{\"ct\":\"image/png\",\"e\":1.5,\"k\":\"u/a.png\",\"m\":\"put\"}", "token_no_expiry", Mode::put},
      {"ct checked before e", "{\"ct\":\"\",\"k\":\"u/a.png\",\"m\":\"put\"}", "token_bad_payload", Mode::put},
      {"e exactly max TTL + leeway ahead", ok_head + "}", "serve_full", Mode::put, true, kE - 3660},
      {"e one second too far", ok_head + "}", "token_expiry_too_far", Mode::put, true, kE - 3661},
      {"too far under a 300 s upload TTL", ok_head + "}", "token_expiry_too_far", Mode::put, true, kE - 361, 300},
      {"within a 300 s upload TTL", ok_head + "}", "serve_full", Mode::put, true, kE - 360, 300},
      {"now == e + leeway", ok_head + "}", "serve_full", Mode::put, true, kE + 60},
      {"expired", ok_head + "}", "token_expired", Mode::put, true, kE + 61},
      // The mode, both ways: before ct, n and e.
      {"put token on a read", ok_head + "}", "token_wrong_mode", Mode::put, false},
      {"put token with a bad ct on a read", "{\"ct\":1" + tail, "token_wrong_mode", Mode::put, false},
      {"expired put token on a read", ok_head + "}", "token_wrong_mode", Mode::put, false, kE + 1000},
      {"pub token on a write", "{\"k\":\"u/a.png\",\"m\":\"pub\"}", "token_wrong_mode", Mode::pub},
      {"priv token on a write", "{\"e\":1767226200,\"k\":\"u/a.png\",\"m\":\"priv\"}", "token_wrong_mode", Mode::priv},
      {"priv token without e on a write", "{\"k\":\"u/a.png\",\"m\":\"priv\"}", "token_wrong_mode", Mode::priv},
      {"m \"PUT\"", "{\"ct\":\"image/png\"" + std::string(",\"e\":1767226200,\"k\":\"u/a.png\",\"m\":\"PUT\"}"),
       "token_bad_mode", Mode::none},
      {"key before mode", "{\"ct\":\"image/png\",\"e\":1767226200,\"k\":\"u/b.png\",\"m\":\"put\"}",
       "token_key_mismatch", Mode::put, false},
  };
  for (const Row& r : rows) {
    CAPTURE(r.why);
    const mg::TokenVerdict v = verify_put(sign_payload(r.payload), r.now, r.write, r.max_upload_ttl);
    CHECK(reason_name(v.reason) == r.want);
    CHECK(v.mode == r.mode);
    // Every put refusal is the contract's 401 with its word.
    if (v.reason != Reason::serve_full) {
      CHECK(mg::reason_info(v.reason).status == 401);
      CHECK(mg::reason_info(v.reason).body == (v.reason == Reason::token_expired ? "expired" : "forbidden"));
    }
  }
}

TEST_CASE("uploads 1: an accepted put token's verdict carries ct, n and e") {
  const std::string t = mint_put("/u/me_1/caf\xc3\xa9.png", "image/png", 1048576, kE);
  const mg::TokenVerdict v = verify_put(t, kE - 10, true, 3600, "u/me_1/caf\xc3\xa9.png");
  CHECK(v.reason == Reason::serve_full);
  CHECK(v.mode == Mode::put);
  CHECK(v.ct_view() == "image/png");
  CHECK(v.max_bytes == 1048576);
  CHECK(v.exp == kE);
  const mg::TokenVerdict no_n = verify_put(mint_put("u/a.png", "video/mp4", 0, kE), kE - 10);
  CHECK(no_n.reason == Reason::serve_full);
  CHECK(no_n.ct_view() == "video/mp4");
  CHECK(no_n.max_bytes == 0);
}

TEST_CASE("uploads 1: token_inspect's TokenDetails for put tokens") {
  static mg::TokenDetails d;
  const std::string_view secrets[] = {"other", kSecret};
  struct Row {
    const char* why;
    std::string payload;
    bool write;
    const char* want;
    bool has_ct;
    const char* ct;
    std::uint64_t n;
    bool has_exp;
  };
  const Row rows[] = {
      {"with n", "{\"ct\":\"image/webp\",\"e\":1767226200,\"k\":\"/u/a.png\",\"m\":\"put\",\"n\":42}", true, "serve_full",
       true, "image/webp", 42, true},
      {"without n", "{\"ct\":\"image/webp\",\"e\":1767226200,\"k\":\"u/a.png\",\"m\":\"put\"}", true, "serve_full", true,
       "image/webp", 0, true},
      {"on a read: fields still shown", "{\"ct\":\"image/webp\",\"e\":1767226200,\"k\":\"u/a.png\",\"m\":\"put\",\"n\":7}",
       false, "token_wrong_mode", true, "image/webp", 7, true},
      {"bad n: not shown", "{\"ct\":\"image/webp\",\"e\":1767226200,\"k\":\"u/a.png\",\"m\":\"put\",\"n\":0}", true,
       "token_bad_payload", true, "image/webp", 0, true},
      {"bad ct: not shown", "{\"ct\":5,\"e\":1767226200,\"k\":\"u/a.png\",\"m\":\"put\",\"n\":3}", true,
       "token_bad_payload", false, "", 3, true},
      {"no e", "{\"ct\":\"image/gif\",\"k\":\"u/a.png\",\"m\":\"put\"}", true, "token_no_expiry", true, "image/gif", 0,
       false},
      {"a private token: no ct", "{\"ct\":\"image/gif\",\"e\":1767226200,\"k\":\"u/a.png\",\"m\":\"priv\",\"n\":3}", false,
       "serve_full", false, "", 0, true},
  };
  for (const Row& r : rows) {
    CAPTURE(r.why);
    const mg::TokenVerdict v = mg::token_inspect(sign_payload(r.payload), "u/a.png", true, secrets, 2,
                                                 policy_at(kE - 10, 60, 3600, r.write), &d);
    CHECK(reason_name(v.reason) == r.want);
    CHECK(d.signature_ok);
    CHECK(d.secret_index == 1);
    CHECK(std::string_view(d.payload, d.payload_len) == r.payload);
    CHECK(d.has_key);
    CHECK(std::string_view(d.key, d.key_len) == "u/a.png");
    CHECK(d.has_ct == r.has_ct);
    CHECK(std::string_view(d.ct, d.ct_len) == r.ct);
    CHECK(d.max_bytes == r.n);
    CHECK(d.has_exp == r.has_exp);
    if (r.has_exp) CHECK(d.exp == kE);
  }
}

TEST_CASE("uploads 1: token_mint_put writes Python's sort_keys payload and refuses what the backend could not mint") {
  char out[mg::kMaxTokenBytes];
  struct Row {
    const char* why;
    std::string key, ct;
    std::uint64_t n;
    std::int64_t e;
    std::string payload;  // empty: refused
  };
  const Row rows[] = {
      {"no n", "u/a.png", "image/png", 0, kE, "{\"ct\":\"image/png\",\"e\":1767226200,\"k\":\"u/a.png\",\"m\":\"put\"}"},
      {"n", "/u/a.png", "video/mp4", 5, kE, "{\"ct\":\"video/mp4\",\"e\":1767226200,\"k\":\"u/a.png\",\"m\":\"put\",\"n\":5}"},
      {"n at INT64_MAX", "u/a", "image/gif", INT64_MAX, -1,
       "{\"ct\":\"image/gif\",\"e\":-1,\"k\":\"u/a\",\"m\":\"put\",\"n\":9223372036854775807}"},
      {"n past INT64_MAX: no token verifies it", "u/a", "image/gif", static_cast<std::uint64_t>(INT64_MAX) + 1, kE, ""},
      {"non-ASCII ct and key, escaped", "u/\xc3\xa9", "a/\xf0\x9f\x98\x80", 0, kE,
       "{\"ct\":\"a/\\ud83d\\ude00\",\"e\":1767226200,\"k\":\"u/\\u00e9\",\"m\":\"put\"}"},
      {"ct of 255 bytes", "u/a", std::string(255, 'x'), 0, kE,
       "{\"ct\":\"" + std::string(255, 'x') + "\",\"e\":1767226200,\"k\":\"u/a\",\"m\":\"put\"}"},
      {"ct empty", "u/a", "", 0, kE, ""},
      {"ct of 256 bytes", "u/a", std::string(256, 'x'), 0, kE, ""},
      {"ct not UTF-8", "u/a", "image/\xff", 0, kE, ""},
      {"key not UTF-8", "u/\xc0\xaf", "image/png", 0, kE, ""},
  };
  for (const Row& r : rows) {
    CAPTURE(r.why);
    const std::size_t n = mg::token_mint_put(r.key, r.ct, r.n, r.e, kSecret, out, sizeof out);
    if (r.payload.empty()) {
      CHECK(n == 0);
      continue;
    }
    CHECK(std::string(out, n) == sign_payload(r.payload));
  }
  CHECK(mg::token_mint_put("u/a", "image/png", 0, kE, "", out, sizeof out) == 0);  // no secret
  const std::string want = mint_put("u/a", "image/png", 0, kE);
  CHECK(mg::token_mint_put("u/a", "image/png", 0, kE, kSecret, out, want.size()) == want.size());
  CHECK(mg::token_mint_put("u/a", "image/png", 0, kE, kSecret, out, want.size() - 1) == 0);
}
