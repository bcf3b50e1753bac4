// Test helper: the binary shim <-> core protocol of wasm/src/protocol.h (namespace mg::wire),
// written and read here independently of protocol.cc, the way worker-shim/core.js does it:
// an input (mg_begin / mg_finish) from a plain struct of named fields, and a decision's bytes
// back into a plain struct for assertions. Offsets and string order are protocol.h's constants;
// numbers are little-endian. Header-only; used by tests/native and tests/fuzz.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol.h"

namespace mgtest {

// The wire code of a protocol enum (Mode, StorageOp, RangeHintKind, StorageResult,
// ObjectSource, RevocationState, BodySource): its value, as protocol.h documents.
template <typename E>
constexpr std::uint32_t code(E e) {
  return static_cast<std::uint32_t>(e);
}

namespace detail {

inline void put_u32(std::string* b, std::size_t at, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) (*b)[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

inline void put_f64(std::string* b, std::size_t at, double d) {
  std::uint64_t v;
  std::memcpy(&v, &d, sizeof v);
  for (std::size_t i = 0; i < 8; ++i) (*b)[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

inline std::uint32_t get_u32(std::string_view b, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
  return v;
}

inline double get_f64(std::string_view b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
  double d;
  std::memcpy(&d, &v, sizeof d);
  return d;
}

}  // namespace detail
}  // namespace mgtest

// The fields and their offsets, generated from wasm/spec/wire.json.
#include "wire_fields.h"

namespace mgtest {

// The bytes of an input: every number at its offset, then the first `n_strings` strings, each
// NUL-terminated (a string holding a NUL is written as is: the test's business).
inline std::string encode(const Input& in, std::size_t n_strings) {
  namespace w = mg::wire;
  std::string b(w::kInStrings, '\0');
  detail::put_numbers(in, &b);
  for (std::size_t s = 0; s < n_strings && s < w::in_count_; ++s) {
    b += *detail::in_strings(in, s);
    b += '\0';
  }
  return b;
}

// mg_begin's input: the request strings only.
inline std::string encode_begin(const Input& in) { return encode(in, mg::wire::kRequestStrings); }

// mg_finish's input: all the strings.
inline std::string encode_finish(const Input& in) { return encode(in, mg::wire::in_count_); }

// A decision read back from its bytes.
struct Decoded : DecodedFields {
  // Well-formed: at least the number block, version kVersion, a known code per header, and
  // exactly the out_count_ strings plus each header's (per its code), each NUL-terminated,
  // ending the bytes. Headers sent by code are read back as their name and value.
  bool ok = false;
  std::size_t bytes = 0;
  std::vector<std::pair<std::string, std::string>> headers;

  bool has(mg::wire::OutFlag f) const { return (flags & f) != 0; }
  // How many headers are named `name`.
  std::size_t count(std::string_view name) const {
    std::size_t n = 0;
    for (const auto& h : headers) n += h.first == name;
    return n;
  }
  // The value of the first header named `name`, empty when there is none.
  std::string header(std::string_view name) const {
    for (const auto& h : headers)
      if (h.first == name) return h.second;
    return {};
  }
};

inline Decoded decode(std::string_view b) {
  namespace w = mg::wire;
  Decoded d;
  d.bytes = b.size();
  if (b.size() < w::kOutHeaderCodes) return d;
  detail::get_numbers(b, &d);
  // One code per header (response.h: kStaticHeaders, kHeaderNames), then the strings.
  if (b.size() < w::kOutHeaderCodes + d.n_headers) return d;
  std::string_view codes = b.substr(w::kOutHeaderCodes, d.n_headers);
  std::size_t want = w::out_count_;
  for (char c : codes) {
    auto code = static_cast<std::uint8_t>(c);
    if (code == 0) want += 2;
    else if (code >= mg::kHeaderCodeName && code - mg::kHeaderCodeName < mg::kHeaderNameCount) want += 1;
    else if (code >= mg::kHeaderCodeName || code > mg::kStaticHeaderCount) return d;  // an unknown code
  }
  std::vector<std::string> s;
  std::string_view rest = b.substr(w::kOutHeaderCodes + d.n_headers);
  while (!rest.empty()) {
    std::size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) return d;  // an unterminated string
    s.emplace_back(rest.substr(0, nul));
    rest.remove_prefix(nul + 1);
  }
  if (s.size() != want) return d;
  detail::get_strings(s, &d);
  std::size_t k = w::out_count_;
  for (char c : codes) {
    auto code = static_cast<std::uint8_t>(c);
    if (code == 0) {
      d.headers.emplace_back(s[k], s[k + 1]);
      k += 2;
    } else if (code < mg::kHeaderCodeName) {
      const mg::Header& h = mg::kStaticHeaders[code - 1];
      d.headers.emplace_back(std::string(h.name), std::string(h.value));
    } else {
      d.headers.emplace_back(std::string(mg::kHeaderNames[code - mg::kHeaderCodeName]), s[k++]);
    }
  }
  d.ok = d.version == w::kVersion;
  return d;
}

}  // namespace mgtest
