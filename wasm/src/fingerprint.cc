#include "fingerprint.h"

#include "token.h"

namespace mg {

void secret_fingerprint(std::string_view secret, char out[kFingerprintChars]) {
  static constexpr std::string_view kLabel = "mediagate secret fingerprint v1";
  static constexpr char kHex[] = "0123456789abcdef";
  unsigned char mac[32];
  hmac_sha256(secret, reinterpret_cast<const unsigned char*>(kLabel.data()), kLabel.size(), mac);
  for (std::size_t i = 0; i < kFingerprintChars / 2; ++i) {
    out[2 * i] = kHex[mac[i] >> 4];
    out[2 * i + 1] = kHex[mac[i] & 15];
  }
}

}  // namespace mg
