// The object key carried in the URL path (docs/CONTRACT.md section 2).
#pragma once
#include <cstddef>
#include <string_view>

#include "token.h"  // kMaxKeyBytes

namespace mg {

// Bound on the raw (percent-encoded) path we look at: every byte of a
// 1024-byte key may be encoded as %XX.
constexpr std::size_t kMaxRawKeyBytes = 3 * kMaxKeyBytes;

// Decodes the part of the path after "/m/" into `out` (caller-owned,
// kMaxKeyBytes bytes). Percent escapes (%XX, either hex case) are decoded;
// the result must be valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF)
// without control characters (U+0000-U+001F, U+007F) or '\', with no "." or
// ".." segment, non-empty after stripping leading '/', and at most
// kMaxKeyBytes bytes. Returns false (-> 400 bad_request) otherwise.
bool key_decode(std::string_view raw, char* out, std::size_t* out_len);

// True when the key starts with one of `prefixes` (byte comparison).
bool key_prefix_allowed(std::string_view key, const std::string_view* prefixes, std::size_t n);

// The key's extension after the last '.' of its last segment, or empty.
std::string_view key_extension(std::string_view key);

}  // namespace mg

namespace mg {

enum class QueryToken { absent, found, malformed };

// Finds the first `t` parameter in a URL query (with or without the leading
// '?'), percent-decoding it ('+' as space, as forms do) into `out` (cap
// bytes). A value longer than `cap` or with a bad escape is malformed.
// An empty value is `absent` (docs/CONTRACT.md section 3, step 1: missing or empty).
QueryToken query_token(std::string_view query, char* out, std::size_t cap, std::size_t* out_len);

}  // namespace mg

namespace mg {

// Python's urllib.parse.quote(key, safe="/~"): every byte but A-Z a-z 0-9
// _ . - ~ / as %XX (uppercase hex), as the backend builds media URLs.
// Returns the length written, 0 if `cap` is too small.
std::size_t key_quote(std::string_view key, char* out, std::size_t cap);

}  // namespace mg
