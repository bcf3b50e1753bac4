// Media token verification and minting (docs/CONTRACT.md section 3).
//
// Check order: shape (two strict base64url parts, bounded sizes), then the
// HMAC against every configured secret, and only then the JSON, read from
// the payload bytes exactly as sent (never re-serialised).
#include "token.h"

#include <cstdint>
#include <cstring>

// RapidJSON relies on its asserts for internal invariants; rapidjson_config.h
// makes a failed one trap (abort() would pull in WASI imports).
#include "rapidjson_config.h"
#include "rapidjson/allocators.h"
#include "rapidjson/reader.h"
#include "rapidjson/stream.h"

#include "utf8.h"
#include "writer.h"

namespace mg {
namespace {

constexpr std::size_t kMacBytes = 32;
constexpr std::size_t kMacChars = 43;  // b64url of 32 bytes, no padding
// Nesting bound for the payload (the top-level object is depth 1). The
// backend writes a flat object; the bound leaves room to grow the format
// and bounds RapidJSON's recursion.
constexpr int kMaxJsonDepth = 32;
// Every member needs at least `"":0` and a separator.
constexpr std::size_t kMaxNames = kMaxPayloadBytes / 4 + 1;
static_assert(kMaxPayloadBytes < 65536, "member name offsets are 16-bit");
static_assert((kMaxPayloadBytes * 4 + 2) / 3 + 1 + kMacChars <= kMaxTokenBytes,
              "a token carrying the largest payload fits kMaxTokenBytes");

// memset through a volatile function pointer: not removable as a dead store.
void* (*const volatile g_memset)(void*, int, std::size_t) = std::memset;

// ---- Payload reader --------------------------------------------------------

enum class Type : std::uint8_t { absent, string, integer, other };

struct Field {
  Type type = Type::absent;
  const char* str = nullptr;  // Type::string: unescaped UTF-8, in the payload buffer
  std::size_t len = 0;
  std::int64_t num = 0;       // Type::integer
};

// RapidJSON SAX handler over the MAC-verified payload. Parsing is in situ:
// strings are unescaped in place, so member names stay addressable after
// their event. It enforces what RapidJSON alone does not:
//  - the root is an object;
//  - no object has two members with the same name after unescaping
//    ({"k":..,"\u006b":..}); checked at every depth so that no reader of the
//    payload, now or later, can pick a different duplicate than this one;
//  - every string and name is valid UTF-8 after unescaping (RapidJSON 1.1.0
//    passes a lone low surrogate \udc00 through as CESU bytes);
//  - nesting up to kMaxJsonDepth (checked before the reader descends).
// It records the top-level members k, m and e; everything else is ignored.
class PayloadReader {
 public:
  explicit PayloadReader(const char* base) : base_(base) {}

  Field k, m, e;

  bool Null() { return scalar(Type::other, nullptr, 0, 0); }
  bool Bool(bool) { return scalar(Type::other, nullptr, 0, 0); }
  bool Int(int i) { return scalar(Type::integer, nullptr, 0, i); }
  bool Uint(unsigned u) { return scalar(Type::integer, nullptr, 0, u); }
  bool Int64(std::int64_t i) { return scalar(Type::integer, nullptr, 0, i); }
  bool Uint64(std::uint64_t u) {
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return scalar(Type::other, nullptr, 0, 0);
    return scalar(Type::integer, nullptr, 0, static_cast<std::int64_t>(u));
  }
  // Fractions, exponents and integers beyond 64 bits all arrive here.
  bool Double(double) { return scalar(Type::other, nullptr, 0, 0); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; }  // flag not used
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    if (copy || !utf8_valid(std::string_view(s, n))) return false;
    return scalar(Type::string, s, n, 0);
  }

  bool StartObject() { return open(); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    if (copy || !utf8_valid(std::string_view(s, n))) return false;
    for (std::size_t i = frame_[depth_]; i < n_names_; ++i) {
      if (name_len_[i] == n && std::memcmp(base_ + name_off_[i], s, n) == 0) return false;
    }
    if (n_names_ == kMaxNames) return false;
    name_off_[n_names_] = static_cast<std::uint16_t>(s - base_);
    name_len_[n_names_] = static_cast<std::uint16_t>(n);
    ++n_names_;
    pending_ = nullptr;
    if (depth_ == 1 && n == 1) pending_ = *s == 'k' ? &k : *s == 'm' ? &m : *s == 'e' ? &e : nullptr;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    n_names_ = frame_[depth_--];
    return true;
  }
  bool StartArray() { return depth_ > 0 && open(); }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }

 private:
  // A value that is not a container. At depth 0 it would be the root.
  bool scalar(Type t, const char* s, std::size_t n, std::int64_t num) {
    if (depth_ == 0) return false;
    if (depth_ == 1 && pending_) {
      pending_->type = t, pending_->str = s, pending_->len = n, pending_->num = num;
      pending_ = nullptr;
    }
    return true;
  }
  bool open() {
    if (depth_ == 1 && pending_) {  // k, m or e holding an object or array
      pending_->type = Type::other;
      pending_ = nullptr;
    }
    if (depth_ == kMaxJsonDepth) return false;
    frame_[++depth_] = static_cast<std::uint16_t>(n_names_);
    return true;
  }

  const char* base_;
  int depth_ = 0;
  Field* pending_ = nullptr;  // top-level member whose value comes next
  std::size_t n_names_ = 0;   // names of all open objects, innermost last
  std::uint16_t name_off_[kMaxNames];
  std::uint16_t name_len_[kMaxNames];
  std::uint16_t frame_[kMaxJsonDepth + 1] = {};  // first name index per open container
};

// Parses the NUL-terminated payload in place. False on anything but one
// strict RFC 8259 JSON object (trailing bytes other than whitespace, raw
// control characters in strings, invalid UTF-8, bad escapes, comments, NaN,
// numbers out of double range: all rejected).
//
// Nothing is allocated: in situ, and without the full-precision or
// numbers-as-strings flags, the reader never uses its own stack (the
// allocator below exists only for the type). Its recursive descent is
// bounded too, as the handler refuses containers past kMaxJsonDepth before
// the reader descends into them.
bool read_payload(char* buf, PayloadReader* out) {
  rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator> reader(nullptr, 0);
  rapidjson::InsituStringStream in(buf);
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseValidateEncodingFlag;
  return !reader.Parse<kFlags>(in, *out).IsError();
}

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

Reason check_expiry(std::int64_t e, const TokenPolicy& p) {
  // A private e further ahead than the backend can mint is not a token the
  // backend made: forbidden, not merely "not yet expired".
  if (Wide{e} > Wide{p.now} + p.max_ttl + p.leeway) return Reason::token_expiry_too_far;
  if (Wide{p.now} > Wide{e} + p.leeway) return Reason::token_expired;
  return Reason::serve_full;
}

// ---- Verification ----------------------------------------------------------

bool equals(const Field& f, std::string_view s) {
  return f.type == Type::string && f.len == s.size() && std::memcmp(f.str, s.data(), f.len) == 0;
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

  // 2c. Only now is the JSON read. A NUL byte is never valid JSON, and the
  // in-situ stream would take it for the end of input.
  v.reason = Reason::token_bad_payload;
  if (std::memchr(payload, 0, payload_len)) return v;
  payload[payload_len] = '\0';
  PayloadReader pr(payload);
  if (!read_payload(payload, &pr)) return v;

  // The mode is known from here on, so even a denial under a private token
  // is answered `private, no-store`.
  const Mode mode = equals(pr.m, "pub") ? Mode::pub : equals(pr.m, "priv") ? Mode::priv : Mode::none;
  v.mode = mode;
  const char* k = pr.k.str;
  std::size_t k_len = pr.k.len;
  while (k_len && *k == '/') ++k, --k_len;  // the backend mints key.lstrip("/")
  if (details) {
    details->mode = mode;
    if (pr.k.type == Type::string) {
      details->has_key = true;
      details->key_len = k_len < sizeof details->key ? k_len : sizeof details->key;
      std::memcpy(details->key, k, details->key_len);
    }
    if (mode == Mode::priv && pr.e.type == Type::integer) {
      details->has_exp = true;
      details->exp = pr.e.num;
    }
  }

  // k: a string (missing or another type: bad payload), equal byte for byte
  // (both UTF-8: code point for code point) to the request key.
  if (pr.k.type != Type::string) return v;
  if (check_key && (k_len != key.size() || (k_len && std::memcmp(k, key.data(), k_len) != 0))) {
    v.reason = Reason::token_key_mismatch;
    return v;
  }
  // m: exactly "pub" or "priv".
  if (mode == Mode::none) {
    v.reason = Reason::token_bad_mode;
    return v;
  }
  // e: private tokens only, a JSON integer in 64-bit range. Public tokens
  // never expire; an e there is ignored like any unknown member.
  if (mode == Mode::priv) {
    if (pr.e.type != Type::integer) {
      v.reason = Reason::token_no_expiry;
      return v;
    }
    v.exp = pr.e.num;
    v.reason = check_expiry(pr.e.num, policy);
    return v;
  }
  v.reason = Reason::serve_full;
  return v;
}

// ---- Minting ---------------------------------------------------------------

// The payload writer (writer.h) with Python's JSON spellings.
struct Out : Writer {
  void hex4(std::uint32_t u) {
    static const char kHex[] = "0123456789abcdef";  // Python writes lowercase
    put('\\'), put('u');
    for (int shift = 12; shift >= 0; shift -= 4) put(kHex[(u >> shift) & 0xF]);
  }
  void integer(std::int64_t i) {  // Python's str(int)
    // |INT64_MIN| does not fit an int64: negate i + 1, then add the 1 back.
    std::uint64_t u = i < 0 ? static_cast<std::uint64_t>(-(i + 1)) + 1 : static_cast<std::uint64_t>(i);
    if (i < 0) put('-');
    decimal(u);
  }
  // A JSON string as Python's json.dumps(ensure_ascii=True) writes it: the
  // two-character escapes for " \ \b \f \n \r \t, printable ASCII 0x20-0x7E
  // as is, everything else (other controls, DEL, non-ASCII) as lowercase
  // \uXXXX, characters past U+FFFF as a surrogate pair. `s` is valid UTF-8.
  void json_string(std::string_view s) {
    put('"');
    const auto* p8 = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p8 + s.size();
    while (p8 < end) {
      std::uint32_t cp = 0;
      p8 += utf8_next(p8, end, &cp);
      switch (cp) {
        case '"': put("\\\""); break;
        case '\\': put("\\\\"); break;
        case '\b': put("\\b"); break;
        case '\f': put("\\f"); break;
        case '\n': put("\\n"); break;
        case '\r': put("\\r"); break;
        case '\t': put("\\t"); break;
        default:
          if (cp >= 0x20 && cp <= 0x7E) {
            put(static_cast<char>(cp));
          } else if (cp < 0x10000) {
            hex4(cp);
          } else {
            cp -= 0x10000;
            hex4(0xD800 | (cp >> 10));
            hex4(0xDC00 | (cp & 0x3FF));
          }
      }
    }
    put('"');
  }
};

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

std::size_t token_mint(std::string_view key, Mode mode, std::int64_t exp, std::string_view secret, char* out,
                       std::size_t cap) {
  if ((mode != Mode::pub && mode != Mode::priv) || secret.empty() || !out) return 0;
  while (!key.empty() && key.front() == '/') key.remove_prefix(1);
  if (!utf8_valid(key)) return 0;

  // json.dumps(d, separators=(",", ":"), sort_keys=True): e < k < m.
  char payload[kMaxPayloadBytes];
  Out json{{payload, sizeof payload}};
  json.put('{');
  if (mode == Mode::priv) {
    json.put("\"e\":");
    json.integer(exp);
    json.put(',');
  }
  json.put("\"k\":");
  json.json_string(key);
  json.put(mode == Mode::priv ? ",\"m\":\"priv\"}" : ",\"m\":\"pub\"}");
  if (!json.ok) return 0;  // would not fit kMaxPayloadBytes: could never verify

  const auto* bytes = reinterpret_cast<const unsigned char*>(payload);
  unsigned char mac[kMacBytes];
  hmac_sha256(secret, bytes, json.len, mac);
  const std::size_t n = b64url_encode(bytes, json.len, out, cap);
  if (n == 0 || n + 1 + kMacChars > cap) return 0;
  out[n] = '.';
  return n + 1 + b64url_encode(mac, sizeof mac, out + n + 1, cap - n - 1);
}

}  // namespace mg
