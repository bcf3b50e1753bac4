// Media token verification and minting (docs/CONTRACT.md section 3).
//   t = b64url(payload) "." b64url(HMAC-SHA256(secret, payload bytes))
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bearssl_hmac.h"
#include "reason.h"

namespace mg {

// put: an upload token (docs/UPLOADS.md, "The put token"): writes, never reads.
enum class Mode : std::uint8_t { none = 0, pub = 1, priv = 2, put = 3 };

// A put token's `ct` (RFC 6838 4.2: type and subtype of at most 127 characters each).
constexpr std::size_t kMaxMediaTypeBytes = 255;

// Decoded payload bound. The largest payload the backend mints for a key the
// gate serves (1024 bytes of 2-byte UTF-8 characters, each written as a
// 6-byte \uXXXX escape, plus a 20-digit e) is 3116 bytes; the rest is room
// for the format to grow.
constexpr std::size_t kMaxPayloadBytes = 3584;
// b64url(3584 bytes) is 4779 characters, "." and a 43-character MAC follow.
constexpr std::size_t kMaxTokenBytes = 4864;     // longer: token_malformed
constexpr std::size_t kMaxSecrets = 2;           // current + previous
constexpr std::size_t kMaxKeyBytes = 1024;       // docs/CONTRACT.md section 2

struct TokenPolicy {
  std::int64_t now = 0;      // unix seconds, handed in by the caller
  std::int64_t leeway = 60;  // clock-skew leeway, seconds
  std::int64_t max_ttl = 3600;  // longest TTL the backend can mint, seconds
  // The request writes (PUT): only a put token is accepted; otherwise only
  // pub and priv are (token_wrong_mode).
  bool write = false;
  std::int64_t max_upload_ttl = 3600;  // longest TTL of a put token, seconds
};

struct TokenVerdict {
  Reason reason = Reason::token_missing;  // serve_full means "token accepted"
  Mode mode = Mode::none;                 // set once the payload was read
  std::int64_t exp = 0;                   // private and put tokens: e
  // Put tokens: `ct` as signed (copied: the payload is gone when the verdict
  // is read) and `n` (0: absent, no limit of the backend's own).
  char ct[kMaxMediaTypeBytes];
  std::size_t ct_len = 0;
  std::uint64_t max_bytes = 0;
  std::string_view ct_view() const { return std::string_view(ct, ct_len); }
};

// Verifies `token` (the raw t value) for the decoded request `key`.
// `secrets` (used as given: bytes of the UTF-8 text, no trimming, no hex
// decoding) are all tried, each compared in constant time; empty secrets are
// skipped, at most kMaxSecrets are read, and none configured means
// token_bad_signature. Check order is the contract's: missing -> restricted;
// shape/signature/payload -> forbidden (specific Reason); expiry -> expired.
//   token_malformed      over kMaxTokenBytes, not exactly one '.', an empty
//                        payload part, a part that is not strict base64url,
//                        payload over kMaxPayloadBytes, MAC not 32 bytes
//   token_bad_signature  no configured secret's HMAC matches
//   token_bad_payload    not one strict JSON object (RFC 8259, UTF-8 after
//                        unescaping, no NUL byte, nesting <= 32), a duplicate
//                        member name at any depth, or k missing / not a string
//   token_key_mismatch   k, all leading '/' stripped, differs byte for byte
//   token_bad_mode       m missing or not exactly "pub" / "priv" / "put"
//   token_wrong_mode     a put token on a read (policy.write false), or a
//                        pub/priv token on a write
//   token_bad_payload    put: ct not a string of 1..kMaxMediaTypeBytes bytes,
//                        or n present and not an integer >= 1
//   token_no_expiry      private or put without an integer e in int64 range
//   token_expiry_too_far private, e > now + max_ttl + leeway; put, e > now +
//                        max_upload_ttl + leeway
//   token_expired        private or put, now > e + leeway
// Unknown members are ignored, as is e in a public token.
// Mode is reported whenever the signature verified, the payload parsed and m
// was pub/priv, so a denial under a valid private token is still answered
// `private, no-store`. `exp` is set once a private token's integer e was read.
TokenVerdict token_verify(std::string_view token, std::string_view key,
                          const std::string_view* secrets, std::size_t n_secrets,
                          const TokenPolicy& policy);

// The configured secrets' HMAC-SHA256 key state, computed once per secret
// (per isolate) instead of once per request: BearSSL's br_hmac_key_context
// holds SHA-256 already run over the key XOR ipad and XOR opad blocks, so a
// verification costs only the payload's blocks and one outer block (three
// compressions for today's tokens instead of five). Slot i is secret i;
// `set[i]` false is an unconfigured (empty) slot, skipped like an empty
// secret. The contexts are key material, like the secrets they come from:
// a temporary TokenKeys is wiped with token_keys_wipe, and none is ever
// logged or written out.
struct TokenKeys {
  br_hmac_key_context key[kMaxSecrets];
  bool set[kMaxSecrets] = {};
};

// Fills `out` from `secrets` (same rules as token_verify's: bytes as given,
// empty entries skipped, at most kMaxSecrets read, null reads none). The
// secrets' bytes need not outlive `out`.
void token_keys_init(const std::string_view* secrets, std::size_t n, TokenKeys* out);
// Overwrites every context with zeros and marks every slot unset.
void token_keys_wipe(TokenKeys* keys);

// token_verify with precomputed keys: the same checks, the same order, the
// same verdicts as the string_view overload given the secrets `keys` was
// built from (tests/native/test_token.cc checks every vector). Every set
// slot is tried, compared in constant time.
TokenVerdict token_verify(std::string_view token, std::string_view key, const TokenKeys& keys,
                          const TokenPolicy& policy);

// Details for operators (`mediagate verify`): the decoded payload bytes and
// the fields read from it. Filled as far as parsing got.
struct TokenDetails {
  char payload[kMaxPayloadBytes];
  std::size_t payload_len = 0;
  char key[kMaxKeyBytes + 4];  // decoded k (UTF-8), leading '/' stripped; cut at capacity
  std::size_t key_len = 0;
  bool has_key = false;        // k was a string
  Mode mode = Mode::none;
  bool has_exp = false;        // private or put token with an integer e
  std::int64_t exp = 0;
  char ct[kMaxMediaTypeBytes];  // put: ct, when a string that fits
  std::size_t ct_len = 0;
  bool has_ct = false;
  std::uint64_t max_bytes = 0;  // put: n, when an integer >= 1 (0: absent)
  bool signature_ok = false;
  int secret_index = -1;  // which secret verified, -1 none
};
// Same as token_verify, and fills `details` (reset first). The payload bytes
// are copied once the token's shape is valid, even if no secret matches; the
// JSON is read only after the signature verified. `key` may be empty with
// `check_key` false to inspect a token without a request key.
TokenVerdict token_inspect(std::string_view token, std::string_view key, bool check_key,
                           const std::string_view* secrets, std::size_t n_secrets,
                           const TokenPolicy& policy, TokenDetails* details);

// Mints a token exactly as the backend does: payload is Python's
// json.dumps({...}, separators=(",", ":"), sort_keys=True) (ASCII only,
// non-ASCII as lowercase \uXXXX, astral as surrogate pairs), leading '/'
// stripped from key. Private: e = exp. Returns the token length written to
// `out`, not NUL-terminated (0 if `cap` is too small, the key is not valid
// UTF-8, the payload would exceed kMaxPayloadBytes, the mode is none or the
// secret is empty).
std::size_t token_mint(std::string_view key, Mode mode, std::int64_t exp,
                       std::string_view secret, char* out, std::size_t cap);

// Mints a put token as the backend does (docs/UPLOADS.md): the payload
// {"ct":ct,"e":exp,"k":key,"m":"put"} plus "n":max_bytes when max_bytes > 0,
// in Python's sort_keys order. Same return and refusals as token_mint, and 0
// when ct is empty, over kMaxMediaTypeBytes or not valid UTF-8, or max_bytes is
// over INT64_MAX (Python would write it, but no verifier reads it as an integer).
std::size_t token_mint_put(std::string_view key, std::string_view ct, std::uint64_t max_bytes,
                           std::int64_t exp, std::string_view secret, char* out, std::size_t cap);

// Strict base64url without padding (RFC 4648 section 5): rejects '=', '+',
// '/', whitespace, a length of 1 mod 4, and non-zero trailing bits.
// Returns false on any of these or if the output would exceed `cap`.
bool b64url_decode(std::string_view in, unsigned char* out, std::size_t cap, std::size_t* out_len);
// Standard base64 (RFC 4648 section 4: '+' and '/'), as tus's Upload-Metadata
// carries values: with its '=' padding or without, pad bits zero, nothing
// else (no whitespace). Same bounds as b64url_decode.
bool base64_decode(std::string_view in, unsigned char* out, std::size_t cap, std::size_t* out_len);
// Returns the number of characters written (no padding, no NUL), 0 if the
// encoding would exceed `cap`.
std::size_t b64url_encode(const unsigned char* in, std::size_t len, char* out, std::size_t cap);

// HMAC-SHA256 via BearSSL; `mac` receives 32 bytes.
void hmac_sha256(std::string_view key, const unsigned char* msg, std::size_t len, unsigned char mac[32]);
// The same with the key's pads precomputed (br_hmac_key_init over SHA-256).
void hmac_sha256_keyed(const br_hmac_key_context& key, const unsigned char* msg, std::size_t len,
                       unsigned char mac[32]);
// Constant-time equality of two 32-byte MACs.
bool mac_equal_ct(const unsigned char a[32], const unsigned char b[32]);

}  // namespace mg
