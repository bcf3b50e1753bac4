// What of a request a log line may carry: never token material, whatever a
// client puts where (docs/OBSERVABILITY.md, "What is never logged").
//
// A token is `<base64url payload>.<base64url HMAC-SHA256>`: a payload of 26
// or more characters (the smallest JSON object the gate accepts) and a MAC of
// 43. Text is cut into segments, maximal runs of base64url characters
// (A-Z a-z 0-9 - _) and '.', and each segment into runs at its dots. A
// segment is token-shaped when
//   - two adjacent runs are both kMinTokenPart (16) characters or longer
//     (`<payload>.<mac>`, also cut short), or
//   - one run is kLongRun (40) characters or longer (a MAC on its own);
//     request ids only: object keys often name content hashes.
// In a key, a segment of 16 or more characters right after `t=` (at the
// start or after a character outside segments, as in `?t=`, `&t=`, `/t=`)
// is token-shaped too: a query pasted into the path.
#pragma once
#include <cstddef>
#include <string_view>

namespace mg {

constexpr std::size_t kMinTokenPart = 16;
constexpr std::size_t kLongRun = 40;
constexpr std::string_view kRedacted = "[redacted]";

// x-request-id is logged only when it is 1-128 characters of
// [A-Za-z0-9._:-] and no segment of it is token-shaped. UUIDs (36), 32-hex
// trace ids, ray ids and `abc-123` pass; a token, or half of one, does not.
bool request_id_loggable(std::string_view id);

// Replaces each token-shaped segment of the decoded key `key[0..len)` with
// kRedacted, in place (a replaced segment is always longer than the
// marker); returns the new length. For the log line only: the storage key
// and the response are the key as decoded.
std::size_t key_redact(char* key, std::size_t len);

}  // namespace mg
