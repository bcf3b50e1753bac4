// Fuzz target `token`: token verification with a fixed secret (token_verify, token_inspect),
// strict base64url (b64url_decode / b64url_encode), and minting (token_mint), docs/CONTRACT.md
// section 3.
//
// Input: line 1 the request key, line 2 the token, line 3 (optional) `now` in decimal; the
// whole input is also decoded as base64url, and the first bytes pick a one-byte edit of a
// freshly minted token.
//
// Invariants:
//  - b64url: a decoded text re-encodes to exactly itself (one spelling per byte string), and
//    any bytes round-trip through encode/decode;
//  - token_verify (secrets as text, and precomputed TokenKeys) and token_inspect agree; an empty token is `restricted`, nothing else is;
//    the reason is one of the token reasons;
//  - the signature verdict is right: past the shape check, "verified" holds exactly when one
//    configured secret's HMAC (recomputed here) equals the decoded MAC;
//  - a token accepted for a key was minted for that key: its k equals the key, m is pub/priv,
//    and a private e lies within [now - leeway, now + max_ttl + leeway];
//  - a minted token for a valid key verifies (pub, and priv with e in the window), fails for
//    another key, and stops verifying after any one-byte change.
#include <cstring>

#include "fuzz_util.h"
#include "utf8.h"
#include "key.h"
#include "token.h"

namespace {

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::string_view kPrevious = "previous secret";
constexpr std::int64_t kNow = 1767225600;

bool is_token_reason(mg::Reason r) {
  switch (r) {
    case mg::Reason::serve_full:
    case mg::Reason::token_missing:
    case mg::Reason::token_malformed:
    case mg::Reason::token_bad_signature:
    case mg::Reason::token_bad_payload:
    case mg::Reason::token_key_mismatch:
    case mg::Reason::token_bad_mode:
    case mg::Reason::token_no_expiry:
    case mg::Reason::token_expiry_too_far:
    case mg::Reason::token_expired:
      return true;
    default:
      return false;
  }
}

void check_b64url(std::string_view text) {
  static unsigned char bytes[8192];
  static char encoded[12000];
  std::size_t n = 0;
  if (text.size() <= 10000 && mg::b64url_decode(text, bytes, sizeof bytes, &n)) {
    std::size_t m = mg::b64url_encode(bytes, n, encoded, sizeof encoded);
    MG_FUZZ_CHECK(m == text.size());
    MG_FUZZ_CHECK(std::memcmp(encoded, text.data(), m) == 0);
  }
  std::size_t len = text.size() < 6000 ? text.size() : 6000;
  std::size_t m = mg::b64url_encode(reinterpret_cast<const unsigned char*>(text.data()), len, encoded,
                                    sizeof encoded);
  MG_FUZZ_CHECK(m == (len * 4 + 2) / 3);
  MG_FUZZ_CHECK(mg::b64url_decode(std::string_view(encoded, m), bytes, sizeof bytes, &n));
  MG_FUZZ_CHECK(n == len && (len == 0 || std::memcmp(bytes, text.data(), len) == 0));
  // One byte too little room: refused.
  if (len > 0) MG_FUZZ_CHECK(!mg::b64url_decode(std::string_view(encoded, m), bytes, len - 1, &n));
}

// The decoded payload and MAC of a token of the right shape (two parts, 43-char MAC).
bool split_token(std::string_view token, unsigned char* payload, std::size_t* payload_len,
                 unsigned char mac[32]) {
  std::size_t dot = token.find('.');
  if (dot == std::string_view::npos) return false;
  std::size_t mac_len = 0;
  return mg::b64url_decode(token.substr(0, dot), payload, mg::kMaxPayloadBytes, payload_len) &&
         mg::b64url_decode(token.substr(dot + 1), mac, 32, &mac_len) && mac_len == 32;
}

bool any_secret_matches(const unsigned char* payload, std::size_t len, const unsigned char mac[32]) {
  for (std::string_view s : {kSecret, kPrevious}) {
    unsigned char want[32];
    mg::hmac_sha256(s, payload, len, want);
    if (std::memcmp(want, mac, 32) == 0) return true;
  }
  return false;
}

// The configured secrets' precomputed HMAC keys, as config_load makes them once per isolate.
const mg::TokenKeys& keys() {
  static mg::TokenKeys k;
  static bool made = false;
  if (!made) {
    const std::string_view secrets[2] = {kSecret, kPrevious};
    mg::token_keys_init(secrets, 2, &k);
    made = true;
  }
  return k;
}

// token_verify, both overloads: the secrets as text and the precomputed keys agree.
mg::TokenVerdict verify(std::string_view token, std::string_view key, const mg::TokenPolicy& policy) {
  const std::string_view secrets[2] = {kSecret, kPrevious};
  mg::TokenVerdict v = mg::token_verify(token, key, secrets, 2, policy);
  mg::TokenVerdict k = mg::token_verify(token, key, keys(), policy);
  MG_FUZZ_CHECK(v.reason == k.reason && v.mode == k.mode && v.exp == k.exp);
  return v;
}

void check_verify(std::string_view key, std::string_view token, const mg::TokenPolicy& policy) {
  const std::string_view secrets[2] = {kSecret, kPrevious};
  mg::TokenVerdict v = verify(token, key, policy);
  static mg::TokenDetails details;
  mg::TokenVerdict w = mg::token_inspect(token, key, true, secrets, 2, policy, &details);
  MG_FUZZ_CHECK(v.reason == w.reason && v.mode == w.mode && v.exp == w.exp);
  MG_FUZZ_CHECK(is_token_reason(v.reason));
  MG_FUZZ_CHECK((v.reason == mg::Reason::token_missing) == token.empty());

  static unsigned char payload[mg::kMaxPayloadBytes];
  std::size_t payload_len = 0;
  unsigned char mac[32];
  bool shaped = v.reason != mg::Reason::token_missing && v.reason != mg::Reason::token_malformed;
  if (shaped) {
    MG_FUZZ_CHECK(split_token(token, payload, &payload_len, mac));
    bool signed_ok = any_secret_matches(payload, payload_len, mac);
    MG_FUZZ_CHECK(signed_ok == (v.reason != mg::Reason::token_bad_signature));
    MG_FUZZ_CHECK(details.signature_ok == signed_ok);
    MG_FUZZ_CHECK(details.payload_len == payload_len &&
                  std::memcmp(details.payload, payload, payload_len) == 0);
  }
  if (v.reason == mg::Reason::serve_full) {
    MG_FUZZ_CHECK(v.mode == mg::Mode::pub || v.mode == mg::Mode::priv);
    MG_FUZZ_CHECK(details.has_key);
    if (key.size() <= sizeof details.key)
      MG_FUZZ_CHECK(std::string_view(details.key, details.key_len) == key);
    if (v.mode == mg::Mode::priv) {
      MG_FUZZ_CHECK(details.has_exp && details.exp == v.exp);
      MG_FUZZ_CHECK(static_cast<__int128>(policy.now) <= static_cast<__int128>(v.exp) + policy.leeway);
      MG_FUZZ_CHECK(static_cast<__int128>(v.exp) <=
                    static_cast<__int128>(policy.now) + policy.max_ttl + policy.leeway);
    }
  }
}

// Minting and verification agree, and a minted token does not survive any edit.
void check_mint(std::string_view key, const mg::TokenPolicy& policy, std::uint8_t pos_seed,
                std::uint8_t flip) {
  std::string_view stripped = key;
  while (!stripped.empty() && stripped.front() == '/') stripped.remove_prefix(1);
  if (stripped.empty() || stripped.size() > mg::kMaxKeyBytes) return;
  static char tok[mg::kMaxTokenBytes + 64];
  std::size_t n = mg::token_mint(key, mg::Mode::pub, 0, kSecret, tok, sizeof tok);
  if (!mg::utf8_valid(stripped)) {
    MG_FUZZ_CHECK(n == 0);
    return;
  }
  if (n == 0) return;  // payload past kMaxPayloadBytes (a key of many escaped characters)
  std::string_view t(tok, n);
  mg::TokenVerdict v = verify(t, stripped, policy);
  MG_FUZZ_CHECK(v.reason == mg::Reason::serve_full && v.mode == mg::Mode::pub);
  std::string other(stripped);
  other += 'x';
  MG_FUZZ_CHECK(verify(t, other, policy).reason == mg::Reason::token_key_mismatch);

  // Any one-byte edit (changed byte, or byte removed when flip == 0) is refused.
  std::string edited(t);
  std::size_t pos = pos_seed % edited.size();
  if (flip == 0) edited.erase(pos, 1);
  else edited[pos] = static_cast<char>(edited[pos] ^ flip);
  MG_FUZZ_CHECK(verify(edited, stripped, policy).reason != mg::Reason::serve_full);

  // Private, inside the window: accepted; just outside either end: refused.
  std::int64_t e = policy.now + 600;
  n = mg::token_mint(key, mg::Mode::priv, e, kPrevious, tok, sizeof tok);
  if (n == 0) return;
  v = verify(std::string_view(tok, n), stripped, policy);
  MG_FUZZ_CHECK(v.reason == mg::Reason::serve_full && v.mode == mg::Mode::priv && v.exp == e);
  // (n == 0 only when one more digit of e no longer fits kMaxPayloadBytes.)
  n = mg::token_mint(key, mg::Mode::priv, policy.now - policy.leeway - 1, kSecret, tok, sizeof tok);
  if (n) MG_FUZZ_CHECK(verify(std::string_view(tok, n), stripped, policy).reason == mg::Reason::token_expired);
  n = mg::token_mint(key, mg::Mode::priv, policy.now + policy.max_ttl + policy.leeway + 1, kSecret, tok,
                     sizeof tok);
  if (n)
    MG_FUZZ_CHECK(verify(std::string_view(tok, n), stripped, policy).reason == mg::Reason::token_expiry_too_far);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = mgfuzz::as_text(data, size);
  check_b64url(text);

  std::string_view rest = text;
  std::string_view key = mgfuzz::next_part(&rest);
  std::string_view token = mgfuzz::next_part(&rest);
  mg::TokenPolicy policy;
  // `now` far from any real clock still must not overflow a comparison.
  policy.now = mgfuzz::parse_i64(mgfuzz::next_part(&rest), kNow);
  policy.leeway = 60;
  policy.max_ttl = 3600;
  check_verify(key, token, policy);
  if (policy.now > INT64_MIN / 2 && policy.now < INT64_MAX / 2)
    check_mint(key, policy, size > 0 ? data[0] : 0, size > 1 ? data[size - 1] : 1);
  return 0;
}
