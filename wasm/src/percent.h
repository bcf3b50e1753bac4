// Percent-decoding (RFC 3986 section 2.1): the one decoder, for the key in
// the path, the token in the query and the edge cache's metadata fields.
// Bounded by the caller's buffer; no allocation.
#pragma once
#include <cstddef>
#include <string_view>

namespace mg {

enum class Plus : bool {
  literal,  // '+' stays '+' (paths, RFC 3986)
  space,    // '+' is ' ' (form-encoded query values)
};

// Decodes `in` into `out` (cap bytes, caller-owned): "%" HEXDIG HEXDIG
// (either case) becomes that byte, every other byte is copied (see Plus).
// False for a truncated escape ("%", "%4" at the end), a non-hex digit in
// one, or output longer than `cap`; then *out_len and `out` are unspecified.
bool percent_decode(std::string_view in, Plus plus, char* out, std::size_t cap, std::size_t* out_len);

}  // namespace mg
