#include "response.h"

namespace mg {

void Response::add_static(std::string_view name, std::string_view value) {
  if (n_headers < kMaxHeaders) headers[n_headers++] = Header{name, value};
}

void Response::add_copy(std::string_view name, std::string_view value) {
  if (n_headers >= kMaxHeaders || value.size() > kArenaBytes - arena_used) return;
  char* dst = arena + arena_used;
  for (std::size_t i = 0; i < value.size(); ++i) dst[i] = value[i];
  arena_used += value.size();
  headers[n_headers++] = Header{name, std::string_view(dst, value.size())};
}

void Response::add_number(std::string_view name, std::uint64_t value) {
  char buf[24];
  std::size_t n = 0;
  do {
    buf[sizeof buf - 1 - n] = static_cast<char>('0' + value % 10);
    value /= 10;
    ++n;
  } while (value);
  add_copy(name, std::string_view(buf + sizeof buf - n, n));
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
  n_headers = 0;
  arena_used = 0;
}

}  // namespace mg
