// Media token verification and minting (docs/CONTRACT.md section 3).
//
// Check order: shape (two strict base64url parts, bounded sizes), then the
// HMAC against every configured secret, and only then the JSON, read from
// the payload bytes exactly as sent (never re-serialised).
#include "token.h"

#include <cstdint>
#include <climits>
#include <cstring>

#include "json_object.h"
#include "utf8.h"
#include "writer.h"

namespace mg {
namespace {

constexpr std::size_t kMacBytes = 32;
constexpr std::size_t kMacChars = 43;  // b64url of 32 bytes, no padding
// The payload is read by json_object.h, which takes up to kJsonMaxBytes
// (nesting up to kJsonMaxDepth: the backend writes a flat object; the bound
// leaves room to grow the format).
static_assert(kMaxPayloadBytes <= kJsonMaxBytes, "json_read_object reads every payload");
static_assert((kMaxPayloadBytes * 4 + 2) / 3 + 1 + kMacChars <= kMaxTokenBytes,
              "a token carrying the largest payload fits kMaxTokenBytes");

// memset through a volatile function pointer: not removable as a dead store.
void* (*const volatile g_memset)(void*, int, std::size_t) = std::memset;

// ---- Signature -------------------------------------------------------------

// Index of the first configured secret whose HMAC matches, or -1. Every
// set slot is tried and compared in constant time; the index is selected
// without branching on the comparison, so timing does not tell which secret
// (if any) matched. Unset slots are unconfigured secrets.
int match_secret(const unsigned char* msg, std::size_t len, const unsigned char mac[kMacBytes],
                 const TokenKeys& keys) {
  unsigned found = 0, index = 0;
  for (std::size_t i = 0; i < kMaxSecrets; ++i) {
    if (!keys.set[i]) continue;
    unsigned char want[kMacBytes];
    hmac_sha256_keyed(keys.key[i], msg, len, want);
    const unsigned eq = mac_equal_ct(want, mac) ? 1u : 0u;
    const unsigned first = eq & (found ^ 1u);
    index |= static_cast<unsigned>(i) * first;
    found |= eq;
    g_memset(want, 0, sizeof want);  // the MAC this payload needs: forgery material
  }
  return found ? static_cast<int>(index) : -1;
}

// ---- Expiry ----------------------------------------------------------------

// e and the policy are 64-bit; sums are taken in 128 bits so no value of e
// can wrap around a comparison.
__extension__ typedef __int128 Wide;

Reason check_expiry(std::int64_t e, std::int64_t max_ttl, const TokenPolicy& p) {
  // A private e further ahead than the backend can mint is not a token the
  // backend made: forbidden, not merely "not yet expired".
  if (Wide{e} > Wide{p.now} + max_ttl + p.leeway) return Reason::token_expiry_too_far;
  if (Wide{p.now} > Wide{e} + p.leeway) return Reason::token_expired;
  return Reason::serve_full;
}

// ---- Verification ----------------------------------------------------------

bool equals(const JsonMember& f, std::string_view s) {
  return f.type == JsonType::string && f.len == s.size() && std::memcmp(f.str, s.data(), f.len) == 0;
}

TokenVerdict check(std::string_view token, std::string_view key, bool check_key, const TokenKeys& keys,
                   const TokenPolicy& policy, TokenDetails* details) {
  TokenVerdict v;
  // 1. Missing or empty: restricted.
  if (token.empty()) return v;

  // 2a. Shape: exactly two non-empty strict base64url parts, bounded sizes.
  v.reason = Reason::token_malformed;
  if (token.size() > kMaxTokenBytes) return v;
  const std::size_t dot = token.find('.');
  if (dot == std::string_view::npos || token.find('.', dot + 1) != std::string_view::npos) return v;
  const std::string_view payload_b64 = token.substr(0, dot);
  const std::string_view mac_b64 = token.substr(dot + 1);
  if (payload_b64.empty() || mac_b64.size() != kMacChars) return v;
  char payload[kMaxPayloadBytes + 1];  // +1: NUL terminator for the in-situ parse
  std::size_t payload_len = 0, mac_len = 0;
  unsigned char mac[kMacBytes];
  if (!b64url_decode(payload_b64, reinterpret_cast<unsigned char*>(payload), kMaxPayloadBytes, &payload_len))
    return v;
  if (!b64url_decode(mac_b64, mac, sizeof mac, &mac_len) || mac_len != kMacBytes) return v;
  if (details) {
    std::memcpy(details->payload, payload, payload_len);
    details->payload_len = payload_len;
  }

  // 2b. HMAC over the payload bytes as sent.
  const int secret_index =
      match_secret(reinterpret_cast<const unsigned char*>(payload), payload_len, mac, keys);
  if (details) {
    details->signature_ok = secret_index >= 0;
    details->secret_index = secret_index;
  }
  if (secret_index < 0) {
    v.reason = Reason::token_bad_signature;
    return v;
  }

  // 2c. Only now is the JSON read (json_object.h), in place.
  v.reason = Reason::token_bad_payload;
  JsonMember members[5] = {{"k"}, {"m"}, {"e"}, {"ct"}, {"n"}};
  if (!json_read_object(payload, payload_len, members, 5)) return v;
  const JsonMember& pk = members[0];
  const JsonMember& pm = members[1];
  const JsonMember& pe = members[2];
  const JsonMember& pct = members[3];
  const JsonMember& pn = members[4];

  // The mode is known from here on, so even a denial under a private token
  // is answered `private, no-store`.
  const Mode mode = equals(pm, "pub")    ? Mode::pub
                    : equals(pm, "priv") ? Mode::priv
                    : equals(pm, "put")  ? Mode::put
                                         : Mode::none;
  v.mode = mode;
  const char* k = pk.str;
  std::size_t k_len = pk.len;
  while (k_len && *k == '/') ++k, --k_len;  // the backend mints key.lstrip("/")
  const bool expires = mode == Mode::priv || mode == Mode::put;
  const bool ct_ok = pct.type == JsonType::string && pct.len > 0 && pct.len <= kMaxMediaTypeBytes;
  const bool n_ok = pn.type == JsonType::absent || (pn.type == JsonType::integer && pn.num >= 1);
  if (details) {
    details->mode = mode;
    if (pk.type == JsonType::string) {
      details->has_key = true;
      details->key_len = k_len < sizeof details->key ? k_len : sizeof details->key;
      std::memcpy(details->key, k, details->key_len);
    }
    if (expires && pe.type == JsonType::integer) {
      details->has_exp = true;
      details->exp = pe.num;
    }
    if (mode == Mode::put && ct_ok) {
      details->has_ct = true;
      details->ct_len = pct.len;
      std::memcpy(details->ct, pct.str, pct.len);
    }
    if (mode == Mode::put && pn.type == JsonType::integer && pn.num >= 1)
      details->max_bytes = static_cast<std::uint64_t>(pn.num);
  }

  // k: a string (missing or another type: bad payload), equal byte for byte
  // (both UTF-8: code point for code point) to the request key.
  if (pk.type != JsonType::string) return v;
  if (check_key && (k_len != key.size() || (k_len && std::memcmp(k, key.data(), k_len) != 0))) {
    v.reason = Reason::token_key_mismatch;
    return v;
  }
  // m: exactly "pub", "priv" or "put", and put exactly when the request writes.
  if (mode == Mode::none) {
    v.reason = Reason::token_bad_mode;
    return v;
  }
  if ((mode == Mode::put) != policy.write) {
    v.reason = Reason::token_wrong_mode;
    return v;
  }
  // ct and n: what a put token allows (docs/UPLOADS.md, "The put token").
  if (mode == Mode::put) {
    if (!ct_ok || !n_ok) return v;  // token_bad_payload
    std::memcpy(v.ct, pct.str, pct.len);
    v.ct_len = pct.len;
    v.max_bytes = pn.type == JsonType::integer ? static_cast<std::uint64_t>(pn.num) : 0;
  }
  // e: private and put tokens, a JSON integer in 64-bit range. Public
  // tokens never expire; an e there is ignored like any unknown member.
  if (expires) {
    if (pe.type != JsonType::integer) {
      v.reason = Reason::token_no_expiry;
      return v;
    }
    v.exp = pe.num;
    v.reason = check_expiry(pe.num, mode == Mode::put ? policy.max_upload_ttl : policy.max_ttl, policy);
    return v;
  }
  v.reason = Reason::serve_full;
  return v;
}

// ---- Minting ---------------------------------------------------------------

}  // namespace

TokenVerdict token_verify(std::string_view token, std::string_view key, const TokenKeys& keys,
                          const TokenPolicy& policy) {
  return check(token, key, true, keys, policy, nullptr);
}

// The string overloads key the secrets per call (two extra SHA-256 blocks
// per secret) and then run the very same check.
TokenVerdict token_verify(std::string_view token, std::string_view key, const std::string_view* secrets,
                          std::size_t n_secrets, const TokenPolicy& policy) {
  TokenKeys keys;
  token_keys_init(secrets, n_secrets, &keys);
  TokenVerdict v = check(token, key, true, keys, policy, nullptr);
  token_keys_wipe(&keys);
  return v;
}

TokenVerdict token_inspect(std::string_view token, std::string_view key, bool check_key,
                           const std::string_view* secrets, std::size_t n_secrets, const TokenPolicy& policy,
                           TokenDetails* details) {
  if (details) *details = TokenDetails{};
  TokenKeys keys;
  token_keys_init(secrets, n_secrets, &keys);
  TokenVerdict v = check(token, key, check_key, keys, policy, details);
  token_keys_wipe(&keys);
  return v;
}

namespace {

// HMAC-SHA256 over the payload, then b64url(payload) "." b64url(MAC).
std::size_t sign_payload(const JsonWriter& json, std::string_view secret, char* out, std::size_t cap) {
  if (!json.ok) return 0;  // would not fit kMaxPayloadBytes: could never verify
  const auto* bytes = reinterpret_cast<const unsigned char*>(json.p);
  unsigned char mac[kMacBytes];
  hmac_sha256(secret, bytes, json.len, mac);
  const std::size_t n = b64url_encode(bytes, json.len, out, cap);
  if (n == 0 || n + 1 + kMacChars > cap) return 0;
  out[n] = '.';
  return n + 1 + b64url_encode(mac, sizeof mac, out + n + 1, cap - n - 1);
}

}  // namespace

std::size_t token_mint(std::string_view key, Mode mode, std::int64_t exp, std::string_view secret, char* out,
                       std::size_t cap) {
  if ((mode != Mode::pub && mode != Mode::priv) || secret.empty() || !out) return 0;
  while (!key.empty() && key.front() == '/') key.remove_prefix(1);
  if (!utf8_valid(key)) return 0;

  // json.dumps(d, separators=(",", ":"), sort_keys=True): e < k < m.
  char payload[kMaxPayloadBytes];
  JsonWriter json{{payload, sizeof payload}};
  json.put('{');
  if (mode == Mode::priv) {
    json.put("\"e\":");
    json.integer(exp);
    json.put(',');
  }
  json.put("\"k\":");
  json.json_string(key);
  json.put(mode == Mode::priv ? ",\"m\":\"priv\"}" : ",\"m\":\"pub\"}");
  return sign_payload(json, secret, out, cap);
}

std::size_t token_mint_put(std::string_view key, std::string_view ct, std::uint64_t max_bytes, std::int64_t exp,
                           std::string_view secret, char* out, std::size_t cap) {
  if (secret.empty() || !out || ct.empty() || ct.size() > kMaxMediaTypeBytes || !utf8_valid(ct)) return 0;
  if (max_bytes > static_cast<std::uint64_t>(INT64_MAX)) return 0;
  while (!key.empty() && key.front() == '/') key.remove_prefix(1);
  if (!utf8_valid(key)) return 0;

  // sort_keys: ct < e < k < m < n.
  char payload[kMaxPayloadBytes];
  JsonWriter json{{payload, sizeof payload}};
  json.put("{\"ct\":");
  json.json_string(ct);
  json.put(",\"e\":");
  json.integer(exp);
  json.put(",\"k\":");
  json.json_string(key);
  json.put(",\"m\":\"put\"");
  if (max_bytes > 0) {
    json.put(",\"n\":");
    json.integer(static_cast<std::int64_t>(max_bytes));
  }
  json.put('}');
  return sign_payload(json, secret, out, cap);
}

}  // namespace mg
