// Conditional requests (RFC 9110 section 13). Pure functions.
#pragma once
#include <cstdint>
#include <string_view>

namespace mg {

// What the object offers to compare against.
struct Validators {
  std::string_view etag;          // the quoted entity-tag, e.g. "\"abc\"" or "W/\"abc\""
  std::int64_t last_modified = 0; // seconds since epoch (already truncated to seconds)
  bool has_last_modified = false;
};

// The request's conditional header values (empty view = header absent).
struct ConditionalHeaders {
  std::string_view if_match;
  std::string_view if_none_match;
  std::string_view if_modified_since;
  std::string_view if_unmodified_since;
  std::string_view if_range;
};

enum class Precondition : std::uint8_t {
  proceed,       // evaluate Range next / serve normally
  not_modified,  // 304
  failed,        // 412
};

// RFC 9110 section 13.2.2 steps 1-4 for a GET or HEAD request:
// 1. If-Match present: strong comparison; false -> 412.
// 2. else If-Unmodified-Since (valid date): last_modified > date -> 412.
// 3. If-None-Match present: weak comparison; match -> 304.
// 4. else If-Modified-Since (valid date): last_modified <= date -> 304
//    (a date in the future is still compared).
// `now` (seconds since epoch) only places RFC 850 two-digit years
// (RFC 9110 section 5.6.7); nothing else reads it.
Precondition preconditions_evaluate(const ConditionalHeaders& h, const Validators& v,
                                    std::int64_t now);

// RFC 9110 section 13.1.5: true when the Range may be applied. An absent
// If-Range (empty view) allows it. An entity-tag must match strongly (a weak
// tag never matches); a date must equal last_modified exactly. Anything
// malformed does not allow the Range. `now` as for preconditions_evaluate.
bool if_range_allows(std::string_view if_range, const Validators& v, std::int64_t now);

// Entity-tag list matching helpers (exposed for tests). `list` is a whole
// If-Match / If-None-Match value: "*" matches (the object exists), a
// malformed list matches nothing.
bool etag_list_matches_strong(std::string_view list, std::string_view etag);
bool etag_list_matches_weak(std::string_view list, std::string_view etag);

}  // namespace mg
