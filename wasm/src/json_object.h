// The core's one JSON reader: one strict RFC 8259 object, parsed in place
// by RapidJSON's SAX reader (compiled once, for this reader only), with the
// chosen top-level members recorded. Used for the token's payload
// (token.cc) and a revocation value's scope (revocation.cc).
//
// Beyond RapidJSON's strict parse (no trailing bytes but whitespace, no raw
// control characters, valid UTF-8, valid escapes, no comments, no NaN,
// numbers within double range) it enforces:
//  - the root is an object;
//  - no object has two members with the same name after unescaping
//    ({"k":..,"\u006b":..}), at every depth, so that no reader of the text,
//    now or later, can pick a different duplicate than this one;
//  - every string and name is valid UTF-8 after unescaping (RapidJSON 1.1.0
//    passes a lone low surrogate \udc00 through as CESU bytes);
//  - nesting up to kJsonMaxDepth (refused before the reader descends, which
//    bounds its recursion), at most kJsonMaxBytes bytes, no NUL byte.
// Nothing is allocated.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mg {

constexpr std::size_t kJsonMaxBytes = 3584;
constexpr int kJsonMaxDepth = 32;  // the top-level object is depth 1

enum class JsonType : std::uint8_t { absent, string, integer, other };

struct JsonMember {
  std::string_view name;             // in: a top-level member to record
  JsonType type = JsonType::absent;  // out: integer is any integer in int64
  const char* str = nullptr;         // string: unescaped UTF-8, inside `buf`
  std::size_t len = 0;
  std::int64_t num = 0;              // integer
  const char* key = nullptr;         // where its name was read, inside `buf`
};

// Parses buf[0, len) in place (`buf` has room for len + 1 bytes: a NUL is
// written at len) and fills `members`. False when the text is not one such
// object; the members are then unspecified.
bool json_read_object(char* buf, std::size_t len, JsonMember* members, std::size_t n);

}  // namespace mg
