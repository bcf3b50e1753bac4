// HMAC-SHA256 (RFC 2104 / FIPS 198-1) over BearSSL, and the constant-time
// MAC comparison the token check relies on (docs/CONTRACT.md section 3).
#include <cstring>

#include "bearssl_hash.h"
#include "bearssl_hmac.h"
#include "token.h"

namespace mg {
namespace {

// memset called through a volatile function pointer, so the compiler cannot
// drop the wipe of key-derived state that is about to go out of scope.
void* (*const volatile g_wipe)(void*, int, std::size_t) = std::memset;

}  // namespace

void hmac_sha256_keyed(const br_hmac_key_context& key, const unsigned char* msg, std::size_t len,
                       unsigned char mac[32]) {
  static const unsigned char kNone = 0;  // BearSSL memcpy()s: never hand it a null pointer
  br_hmac_context ctx;
  br_hmac_init(&ctx, &key, 0);
  br_hmac_update(&ctx, len ? msg : &kNone, len);
  br_hmac_out(&ctx, mac);
  // The context holds the keyed inner/outer hash states.
  g_wipe(&ctx, 0, sizeof ctx);
}

void hmac_sha256(std::string_view key, const unsigned char* msg, std::size_t len, unsigned char mac[32]) {
  static const unsigned char kNone = 0;
  br_hmac_key_context kc;
  br_hmac_key_init(&kc, &br_sha256_vtable, key.empty() ? &kNone : reinterpret_cast<const unsigned char*>(key.data()),
                   key.size());
  hmac_sha256_keyed(kc, msg, len, mac);
  g_wipe(&kc, 0, sizeof kc);
}

void token_keys_init(const std::string_view* secrets, std::size_t n, TokenKeys* out) {
  token_keys_wipe(out);
  if (!secrets) n = 0;
  if (n > kMaxSecrets) n = kMaxSecrets;
  for (std::size_t i = 0; i < n; ++i) {
    if (secrets[i].empty()) continue;  // an unconfigured slot
    br_hmac_key_init(&out->key[i], &br_sha256_vtable, secrets[i].data(), secrets[i].size());
    out->set[i] = true;
  }
}

void token_keys_wipe(TokenKeys* keys) {
  g_wipe(keys->key, 0, sizeof keys->key);
  for (bool& s : keys->set) s = false;
}

bool mac_equal_ct(const unsigned char a[32], const unsigned char b[32]) {
  // Accumulate every difference, then turn "diff == 0" into a bit without a
  // data-dependent branch: diff is 0..255, so diff + 255 reaches bit 8
  // exactly when diff != 0. Time does not depend on where, or whether, the
  // MACs differ.
  unsigned diff = 0;
  for (int i = 0; i < 32; ++i) diff |= static_cast<unsigned>(a[i] ^ b[i]);
  return ((diff + 0xFFu) >> 8) == 0;
}

}  // namespace mg
