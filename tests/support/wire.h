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

// An input's fields. Codes are plain numbers so that a test can write ones the core must refuse.
struct Input {
  // The request part (mg_begin reads it; mg_finish reads it too).
  std::string method, path, query, range;
  std::string if_match, if_none_match, if_modified_since, if_unmodified_since, if_range;
  std::string request_id;
  double now = 0;             // unix seconds
  std::uint32_t sample = 0;   // 0..999999
  std::uint32_t revocation = 0;  // RevocationState code
  double revocation_age = 0;
  std::uint32_t log_recent = 0;  // denial lines this second (the log budget)
  // The finish part: the fetch decision echoed, and what storage (or the edge cache) said.
  std::uint32_t mode = 0;     // Mode code
  std::uint32_t op = 0;       // StorageOp code
  std::uint32_t kind = 0;     // RangeHintKind code 0..3
  std::uint32_t attempt = 1;
  double offset = 0, length = 0, suffix = 0;
  std::uint32_t result = 0;   // StorageResult code
  std::uint32_t source = 0;   // ObjectSource code
  double size = 0, uploaded = 0;
  std::string etag, type, cached, cached_size;
  std::uint32_t cache_timed_out = 0;  // 1: the request's edge cache lookup outlived its deadline
  std::uint32_t cut = 0;      // nonzero: the shim's strings did not fit (kInputCut)
  // The snapshot's load state (both phases).
  std::uint32_t revocation_failures = 0;
  std::uint32_t revocation_loading = 0xffffffffu;  // none in flight
};

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

inline const std::string& in_string(const Input& in, std::size_t s) {
  namespace w = mg::wire;
  switch (s) {
    case w::in_method: return in.method;
    case w::in_path: return in.path;
    case w::in_query: return in.query;
    case w::in_range: return in.range;
    case w::in_if_match: return in.if_match;
    case w::in_if_none_match: return in.if_none_match;
    case w::in_if_modified_since: return in.if_modified_since;
    case w::in_if_unmodified_since: return in.if_unmodified_since;
    case w::in_if_range: return in.if_range;
    case w::in_request_id: return in.request_id;
    case w::in_etag: return in.etag;
    case w::in_type: return in.type;
    case w::in_cached: return in.cached;
    case w::in_cached_size: return in.cached_size;
    default: break;
  }
  static const std::string empty;
  return empty;
}

}  // namespace detail

// The bytes of an input: every number at its offset, then the first `n_strings` strings, each
// NUL-terminated (a string holding a NUL is written as is: the test's business).
inline std::string encode(const Input& in, std::size_t n_strings) {
  namespace w = mg::wire;
  std::string b(w::kInStrings, '\0');
  detail::put_f64(&b, w::kNow, in.now);
  detail::put_f64(&b, w::kRevocationAge, in.revocation_age);
  detail::put_u32(&b, w::kSample, in.sample);
  detail::put_u32(&b, w::kRevocation, in.revocation);
  detail::put_u32(&b, w::kMode, in.mode);
  detail::put_u32(&b, w::kOp, in.op);
  detail::put_u32(&b, w::kKind, in.kind);
  detail::put_u32(&b, w::kAttempt, in.attempt);
  detail::put_f64(&b, w::kOffset, in.offset);
  detail::put_f64(&b, w::kLength, in.length);
  detail::put_f64(&b, w::kSuffix, in.suffix);
  detail::put_u32(&b, w::kResult, in.result);
  detail::put_u32(&b, w::kSource, in.source);
  detail::put_f64(&b, w::kSize, in.size);
  detail::put_f64(&b, w::kUploaded, in.uploaded);
  detail::put_u32(&b, w::kCacheTimedOut, in.cache_timed_out);
  detail::put_u32(&b, w::kInputCut, in.cut);
  detail::put_u32(&b, w::kRevocationFailures, in.revocation_failures);
  detail::put_u32(&b, w::kRevocationLoading, in.revocation_loading);
  detail::put_u32(&b, w::kLogRecent, in.log_recent);
  for (std::size_t s = 0; s < n_strings && s < w::in_count_; ++s) {
    b += detail::in_string(in, s);
    b += '\0';
  }
  return b;
}

// mg_begin's input: the request strings only.
inline std::string encode_begin(const Input& in) { return encode(in, mg::wire::kRequestStrings); }

// mg_finish's input: all the strings.
inline std::string encode_finish(const Input& in) { return encode(in, mg::wire::in_count_); }

// A decision read back from its bytes.
struct Decoded {
  // Well-formed: at least the number block, version kVersion, a known code per header, and
  // exactly the out_count_ strings plus each header's (per its code), each NUL-terminated,
  // ending the bytes. Headers sent by code are read back as their name and value.
  bool ok = false;
  std::size_t bytes = 0;
  std::uint32_t fetch = 0, status = 0, mode = 0, flags = 0, body = 0, n_headers = 0;
  std::uint32_t log_rate = 0, deadline = 0, op = 0, kind = 0, attempt = 0, version = 0;
  double offset = 0, length = 0, suffix = 0, span_first = 0, span_last = 0, store_length = 0;
  std::uint32_t cache_deadline = 0;
  std::string reason, event, mode_name, key, cache_path, request_id, text, store_meta;
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
  d.fetch = detail::get_u32(b, w::kOutFetch);
  d.status = detail::get_u32(b, w::kOutStatus);
  d.mode = detail::get_u32(b, w::kOutMode);
  d.flags = detail::get_u32(b, w::kOutFlags);
  d.body = detail::get_u32(b, w::kOutBody);
  d.n_headers = detail::get_u32(b, w::kOutHeaders);
  d.log_rate = detail::get_u32(b, w::kOutLogRate);
  d.deadline = detail::get_u32(b, w::kOutDeadline);
  d.op = detail::get_u32(b, w::kOutOp);
  d.kind = detail::get_u32(b, w::kOutKind);
  d.attempt = detail::get_u32(b, w::kOutAttempt);
  d.version = detail::get_u32(b, w::kOutVersion);
  d.offset = detail::get_f64(b, w::kOutOffset);
  d.length = detail::get_f64(b, w::kOutLength);
  d.suffix = detail::get_f64(b, w::kOutSuffix);
  d.span_first = detail::get_f64(b, w::kOutSpanFirst);
  d.span_last = detail::get_f64(b, w::kOutSpanLast);
  d.store_length = detail::get_f64(b, w::kOutStoreLength);
  d.cache_deadline = detail::get_u32(b, w::kOutCacheDeadline);

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
  d.reason = s[w::out_reason];
  d.event = s[w::out_event];
  d.mode_name = s[w::out_mode];
  d.key = s[w::out_key];
  d.cache_path = s[w::out_cache_path];
  d.request_id = s[w::out_request_id];
  d.text = s[w::out_text];
  d.store_meta = s[w::out_store_meta];
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
