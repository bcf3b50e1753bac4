#include "response.h"

#include "decimal.h"

namespace mg {

const Header kStaticHeaders[] = {
    {"x-content-type-options", "nosniff"},
    {"referrer-policy", "no-referrer"},
    {"cross-origin-resource-policy", "same-origin"},
    {"cross-origin-resource-policy", "same-site"},
    {"x-robots-tag", "noindex, nofollow"},
    {"content-security-policy", "default-src 'none'; sandbox"},
    {"cache-control", "public, max-age=31536000, immutable"},
    {"cache-control", "private, no-store"},
    {"cache-control", "public, max-age=60"},
    {"content-type", "text/plain; charset=utf-8"},
    {"accept-ranges", "bytes"},
    {"content-disposition", "attachment"},
    {"allow", "GET, HEAD"},
    {"allow", "GET, HEAD, PUT"},
    {"content-type", "application/json"},
    {"allow", "GET, HEAD, PUT, POST, PATCH, DELETE, OPTIONS"},
    {"tus-resumable", "1.0.0"},
    {"tus-version", "1.0.0"},
    {"tus-extension", "creation,termination,expiration"},
};
const std::size_t kStaticHeaderCount = sizeof kStaticHeaders / sizeof kStaticHeaders[0];

const std::string_view kHeaderNames[] = {
    "content-type", "content-length", "etag", "last-modified", "content-range", "x-mediagate-reason",
    "location", "upload-offset", "upload-length", "upload-expires", "tus-max-size",
};
const std::size_t kHeaderNameCount = sizeof kHeaderNames / sizeof kHeaderNames[0];

namespace {

// A small table, and most lookups fail on the length: a few comparisons.
std::uint8_t code_of(std::string_view name, std::string_view value) {
  for (std::size_t i = 0; i < kStaticHeaderCount; ++i)
    if (kStaticHeaders[i].value == value && kStaticHeaders[i].name == name) return static_cast<std::uint8_t>(i + 1);
  return 0;
}

std::uint8_t code_of_name(std::string_view name) {
  for (std::size_t i = 0; i < kHeaderNameCount; ++i)
    if (kHeaderNames[i] == name) return static_cast<std::uint8_t>(kHeaderCodeName + i);
  return 0;
}

}  // namespace

void Response::add_static(std::string_view name, std::string_view value) {
  if (n_headers >= kMaxHeaders) return;
  std::uint8_t code = code_of(name, value);
  headers[n_headers++] = Header{name, value, code ? code : code_of_name(name)};
}

void Response::add_copy(std::string_view name, std::string_view value) {
  if (n_headers >= kMaxHeaders || value.size() > kArenaBytes - arena_used) return;
  char* dst = arena + arena_used;
  for (std::size_t i = 0; i < value.size(); ++i) dst[i] = value[i];
  arena_used += value.size();
  headers[n_headers++] = Header{name, std::string_view(dst, value.size()), code_of_name(name)};
}

void Response::add_number(std::string_view name, std::uint64_t value) {
  char buf[kDecimalU64Digits];
  add_copy(name, std::string_view(buf, decimal_format_u64(value, buf)));
}

std::string_view Response::find(std::string_view name) const {
  for (std::size_t i = 0; i < n_headers; ++i)
    if (headers[i].name == name) return headers[i].value;
  return {};
}

void Response::clear() {
  reason = Reason::storage_unavailable;
  status = 503;
  mode = Mode::none;
  body = BodySource::none;
  has_span = false;
  span = ByteSpan{};
  text = {};
  n_headers = 0;
  arena_used = 0;
}

}  // namespace mg
