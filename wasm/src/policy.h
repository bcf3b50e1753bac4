// Response header policy (docs/CONTRACT.md section 5): what every response
// carries, how it may be cached, and which content type is safe to serve.
#pragma once
#include <string_view>

#include "response.h"
#include "token.h"

namespace mg {

// The five security headers sent on every response, error or not.
// `corp_same_site` selects cross-origin-resource-policy: same-site.
void policy_security_headers(Response& r, bool corp_same_site);

// cache-control for a response of `status` under a token of `mode`
// (Mode::none when no token was read or it did not verify).
std::string_view policy_cache_control(Mode mode, int status);

struct ContentType {
  std::string_view type;  // lower-case type/subtype, parameters dropped
  bool attachment;        // add content-disposition: attachment
};

// Clamps the stored content type: image/* or video/* (not SVG, not XML,
// not *+xml) is served; a missing or generic type is inferred from the
// key's extension; anything else is application/octet-stream as an
// attachment. `buf` (64 bytes) holds the lower-cased copy.
ContentType policy_content_type(std::string_view stored, std::string_view key, char* buf);

constexpr std::size_t kContentTypeBuf = 64;

}  // namespace mg
