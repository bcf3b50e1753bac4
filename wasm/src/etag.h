// The entity-tag grammar (RFC 9110 section 8.8.3), once: for the object's
// own ETag from storage (decision.cc) and for the tags in If-Match,
// If-None-Match and If-Range (conditional.cc).
//
//   entity-tag = [ weak ] opaque-tag      weak = %s"W/" (case-sensitive)
//   opaque-tag = DQUOTE *etagc DQUOTE     etagc = %x21 / %x23-7E / obs-text
//
// obs-text (0x80-0xFF) is allowed, as the RFC allows it. Bounded: a tag whose
// opaque-tag (quotes included) is longer than kMaxEntityTagBytes is not read.
#pragma once
#include <cstddef>
#include <string_view>

namespace mg {

constexpr std::size_t kMaxEntityTagBytes = 200;

struct EntityTag {
  bool weak = false;
  std::string_view opaque;  // between the quotes, a view into the input
};

// Parses one entity-tag at s[*i] and moves *i past it; false (and *i
// unchanged) if there is none there.
bool etag_parse(std::string_view s, std::size_t* i, EntityTag* tag);

// True when the whole of `s` is exactly one entity-tag (no whitespace).
bool etag_parse_whole(std::string_view s, EntityTag* tag);

}  // namespace mg
