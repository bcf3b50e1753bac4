// A short, non-reversible fingerprint of a secret, so an operator can tell
// whether the Worker and the backend hold the same value without either
// secret ever being printed (docs/RUNBOOK.md, "401 spike").
#pragma once
#include <cstddef>
#include <string_view>

namespace mg {

constexpr std::size_t kFingerprintChars = 8;

// The first 4 bytes of HMAC-SHA256(key = secret, "mediagate secret
// fingerprint v1"), as 8 lowercase hex characters. The secret is used as
// given (callers trim it as the gate does). 32 bits tell two secrets apart
// and reveal nothing usable about either.
void secret_fingerprint(std::string_view secret, char out[kFingerprintChars]);

}  // namespace mg
