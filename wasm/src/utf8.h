// Strict UTF-8 (RFC 3629): the one validator and decoder. Overlong forms,
// UTF-16 surrogates (U+D800-U+DFFF) and anything past U+10FFFF are invalid,
// so a string that passes holds only Unicode scalar values. Used for keys
// (key.cc), the token's JSON strings (token.cc) and the CLI's revoke input.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mg {

// Decodes the code point starting at p (p < end) into *cp. Returns its
// length in bytes (1-4), or 0 for an invalid or truncated sequence.
std::size_t utf8_next(const unsigned char* p, const unsigned char* end, std::uint32_t* cp);

// True when every byte of `s` belongs to a valid sequence.
bool utf8_valid(std::string_view s);

}  // namespace mg
