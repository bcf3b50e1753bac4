// Conditional requests (RFC 9110 section 13) for GET and HEAD: one function
// per precondition, evaluated in the order of section 13.2.2.
//
// Choices where the RFC leaves room:
// - A malformed entity-tag list matches nothing. For If-Match that fails the
//   precondition (412): a client that conditions a request on a tag we cannot
//   read must not get a representation it did not ask for. For If-None-Match
//   it means "no match", so the request proceeds to a full response.
// - "*" is only "*" when it is the whole field value; "*" inside a list is
//   malformed (If-Match = "*" / #entity-tag).
// - The object's own etag must itself be a valid entity-tag (R2's httpEtag,
//   quoted); if it is not, no listed tag matches it, though "*" still does.
// - If-Range with a date: allowed only when it equals last_modified exactly
//   (contract section 6), without the strong-validator test on Last-Modified
//   of section 8.8.2.2 (we do not know the Date the object was stored with).
#include "conditional.h"

#include "ascii.h"
#include "etag.h"
#include "httpdate.h"

namespace mg {
namespace {

// Section 8.8.3.2: strong comparison needs both tags strong; weak comparison
// ignores the weak indicator. Both then compare the opaque-tags octet by octet.
bool strong_match(const EntityTag& a, const EntityTag& b) {
  return !a.weak && !b.weak && a.opaque == b.opaque;
}

bool weak_match(const EntityTag& a, const EntityTag& b) { return a.opaque == b.opaque; }

// "*" / #entity-tag against the selected representation (which exists
// whenever these are evaluated, so "*" matches). Empty list elements are
// allowed (section 5.6.1.2). Linear in the value; nothing is stored.
bool list_matches(std::string_view list, std::string_view etag, bool strong) {
  list = ascii_trim_ows(list);
  if (list == "*") return true;
  EntityTag current;
  const bool have_current = etag_parse_whole(ascii_trim_ows(etag), &current);
  bool matched = false;
  std::size_t i = 0;
  for (;;) {
    if (i < list.size() && list[i] != ',') {
      EntityTag tag;
      if (!etag_parse(list, &i, &tag)) return false;  // malformed: no match
      if (have_current && (strong ? strong_match(tag, current) : weak_match(tag, current))) {
        matched = true;  // keep going: a malformed tail still voids the list
      }
    }
    while (i < list.size() && ascii_is_ows(list[i])) ++i;
    if (i == list.size()) break;
    if (list[i] != ',') return false;
    ++i;
    while (i < list.size() && ascii_is_ows(list[i])) ++i;
  }
  return matched;
}

// Result of one precondition: `none` when the header is absent or must be
// ignored, so the next step of section 13.2.2 runs.
enum class Cond : std::uint8_t { none, is_true, is_false };

// Section 13.1.1: If-Match uses the strong comparison.
Cond check_if_match(const ConditionalHeaders& h, const Validators& v) {
  if (h.if_match.empty()) return Cond::none;
  return etag_list_matches_strong(h.if_match, v.etag) ? Cond::is_true : Cond::is_false;
}

// Sections 13.1.3 and 13.1.4: a date precondition (`header`) is ignored
// when absent, with its entity-tag counterpart (`etag_header`), with an
// invalid date, or when the object has no modification date; otherwise it
// asks whether last_modified <= the date (`not_later` is the answer to give
// when it is).
Cond check_date(std::string_view header, std::string_view etag_header, const Validators& v, std::int64_t now,
                Cond not_later) {
  if (header.empty() || !etag_header.empty() || !v.has_last_modified) return Cond::none;
  std::int64_t date = 0;
  if (!http_date_parse(ascii_trim_ows(header), now, &date)) return Cond::none;
  if (v.last_modified <= date) return not_later;
  return not_later == Cond::is_true ? Cond::is_false : Cond::is_true;
}

// Section 13.1.4: ignored with If-Match. True when last_modified <= date.
Cond check_if_unmodified_since(const ConditionalHeaders& h, const Validators& v,
                               std::int64_t now) {
  return check_date(h.if_unmodified_since, h.if_match, v, now, Cond::is_true);
}

// Section 13.1.2: If-None-Match uses the weak comparison; false on a match.
Cond check_if_none_match(const ConditionalHeaders& h, const Validators& v) {
  if (h.if_none_match.empty()) return Cond::none;
  return etag_list_matches_weak(h.if_none_match, v.etag) ? Cond::is_false : Cond::is_true;
}

// Section 13.1.3: ignored with If-None-Match. False when last_modified <=
// date; a date in the future is compared like any other (contract section 6).
Cond check_if_modified_since(const ConditionalHeaders& h, const Validators& v,
                             std::int64_t now) {
  return check_date(h.if_modified_since, h.if_none_match, v, now, Cond::is_false);
}

}  // namespace

bool etag_list_matches_strong(std::string_view list, std::string_view etag) {
  return list_matches(list, etag, true);
}

bool etag_list_matches_weak(std::string_view list, std::string_view etag) {
  return list_matches(list, etag, false);
}

Precondition preconditions_evaluate(const ConditionalHeaders& h, const Validators& v,
                                    std::int64_t now) {
  // Steps 1-2: a failed If-Match, or failed If-Unmodified-Since when there is
  // no If-Match, is 412 before anything else is looked at.
  if (check_if_match(h, v) == Cond::is_false) return Precondition::failed;
  if (check_if_unmodified_since(h, v, now) == Cond::is_false) return Precondition::failed;
  // Steps 3-4: for GET/HEAD a false If-None-Match, or a false
  // If-Modified-Since when there is no If-None-Match, is 304.
  if (check_if_none_match(h, v) == Cond::is_false) return Precondition::not_modified;
  if (check_if_modified_since(h, v, now) == Cond::is_false) return Precondition::not_modified;
  return Precondition::proceed;
}

bool if_range_allows(std::string_view if_range, const Validators& v, std::int64_t now) {
  if_range = ascii_trim_ows(if_range);
  if (if_range.empty()) return true;
  // If-Range = entity-tag / HTTP-date; an entity-tag starts with DQUOTE or
  // "W/", which no HTTP-date does.
  if (if_range.front() == '"' || if_range.substr(0, 2) == "W/") {
    EntityTag given;
    EntityTag current;
    // A weak tag never matches: the strong comparison requires both strong.
    return etag_parse_whole(if_range, &given) &&
           etag_parse_whole(ascii_trim_ows(v.etag), &current) && strong_match(given, current);
  }
  std::int64_t date = 0;
  return v.has_last_modified && http_date_parse(if_range, now, &date) &&
         date == v.last_modified;
}

}  // namespace mg
