// The gate's answer, as plain data the shim turns into a Response.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "range.h"
#include "reason.h"
#include "token.h"

namespace mg {

struct Header {
  std::string_view name;   // lower-case, static storage
  std::string_view value;  // points into Response::arena or static storage
  // The protocol sends headers it can name by number (protocol.h,
  // kOutHeaderCodes): 0 none, else kStaticHeaders[code - 1] (name and value)
  // or, from kHeaderCodeName, kHeaderNames[code - kHeaderCodeName] (name only).
  std::uint8_t code = 0;
};

// The headers whose name and value never change, and the header names, that
// answers carry: sent by number instead of as text (the shim gets both lists
// once, from mg_configure). Order is the protocol: append only.
extern const Header kStaticHeaders[];
extern const std::size_t kStaticHeaderCount;
extern const std::string_view kHeaderNames[];
extern const std::size_t kHeaderNameCount;
constexpr std::uint8_t kHeaderCodeName = 128;

enum class BodySource : std::uint8_t {
  none,    // no body: HEAD, 304, or an empty object
  text,    // `text`: reason_info(reason).body (text/plain), or an upload's JSON
  object,  // the bytes storage returned for the plan that was performed
};

struct Response {
  static constexpr std::size_t kMaxHeaders = 24;
  // 768 for the numbers and dates; a tus Location (docs/UPLOADS.md) is the
  // path as received (at most "/m/" and 3 bytes per key byte) and the token.
  static constexpr std::size_t kArenaBytes = 768 + 3 + 3 * 1024 + 3 + kMaxTokenBytes;

  Reason reason = Reason::storage_unavailable;
  int status = 503;
  Mode mode = Mode::none;
  BodySource body = BodySource::none;
  bool has_span = false;
  ByteSpan span;  // object bytes sent (inclusive), when has_span
  std::string_view text;  // the body, when body == text
  Header headers[kMaxHeaders];
  std::size_t n_headers = 0;
  char arena[kArenaBytes];
  std::size_t arena_used = 0;

  Response() = default;
  Response(const Response&) = delete;  // header views point into arena
  Response& operator=(const Response&) = delete;

  // Adds a header whose value is static or outlives the Response.
  void add_static(std::string_view name, std::string_view value);
  // Adds a header, copying `value` into the arena; dropped if it does not fit
  // (values are bounded by their producers, so this never happens in practice).
  void add_copy(std::string_view name, std::string_view value);
  void add_number(std::string_view name, std::uint64_t value);
  std::string_view find(std::string_view name) const;
  void clear();
};

}  // namespace mg
