// Fuzz target `conditional`: conditional requests, RFC 9110 section 13 (preconditions_evaluate,
// if_range_allows, etag_list_matches_strong / _weak).
//
// Input, one field per line: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since,
// If-Range, the object's etag, its last-modified (decimal), `now` (decimal). Missing lines are
// absent headers.
//
// Invariants:
//  - a strong list match is also a weak match; "*" matches both ways;
//  - preconditions_evaluate follows section 13.2.2's order exactly (re-derived here from the
//    list matchers and http_date_parse): If-Match, else If-Unmodified-Since -> 412;
//    If-None-Match, else If-Modified-Since -> 304;
//  - If-Range: absent allows; a weak tag never allows; a value that allows is either the
//    object's own strong tag or exactly its last-modified date; the object's own strong tag
//    and its own last-modified (IMF-fixdate) always allow.
#include "conditional.h"
#include "fuzz_util.h"
#include "httpdate.h"

namespace {

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True when `s` is exactly one strong entity-tag (RFC 9110 8.8.3), written out independently.
bool strong_tag(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (!(c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80)) return false;
  }
  return true;
}

bool date_le(std::string_view header, std::int64_t lm, std::int64_t now, bool* valid) {
  std::int64_t date = 0;
  *valid = mg::http_date_parse(trim_ows(header), now, &date);
  return lm <= date;
}

mg::Precondition reference(const mg::ConditionalHeaders& h, const mg::Validators& v, std::int64_t now) {
  bool valid = false;
  if (!h.if_match.empty()) {
    if (!mg::etag_list_matches_strong(h.if_match, v.etag)) return mg::Precondition::failed;
  } else if (!h.if_unmodified_since.empty()) {
    bool le = date_le(h.if_unmodified_since, v.last_modified, now, &valid);
    if (valid && !le) return mg::Precondition::failed;
  }
  if (!h.if_none_match.empty()) {
    if (mg::etag_list_matches_weak(h.if_none_match, v.etag)) return mg::Precondition::not_modified;
  } else if (!h.if_modified_since.empty()) {
    bool le = date_le(h.if_modified_since, v.last_modified, now, &valid);
    if (valid && le) return mg::Precondition::not_modified;
  }
  return mg::Precondition::proceed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest = mgfuzz::as_text(data, size);
  mg::ConditionalHeaders h;
  h.if_match = mgfuzz::next_part(&rest);
  h.if_none_match = mgfuzz::next_part(&rest);
  h.if_modified_since = mgfuzz::next_part(&rest);
  h.if_unmodified_since = mgfuzz::next_part(&rest);
  h.if_range = mgfuzz::next_part(&rest);
  mg::Validators v;
  v.etag = mgfuzz::next_part(&rest);
  v.last_modified = mgfuzz::parse_i64(mgfuzz::next_part(&rest), 1445412480);
  v.has_last_modified = true;
  std::int64_t now = mgfuzz::parse_i64(mgfuzz::next_part(&rest), 1767225600);

  // List matchers, on every field taken as a list against the etag.
  for (std::string_view list : {h.if_match, h.if_none_match, h.if_range, v.etag}) {
    bool strong = mg::etag_list_matches_strong(list, v.etag);
    bool weak = mg::etag_list_matches_weak(list, v.etag);
    if (strong) MG_FUZZ_CHECK(weak);
    if (trim_ows(list) == "*") MG_FUZZ_CHECK(strong && weak);
  }
  // The object's own strong tag matches itself.
  if (strong_tag(trim_ows(v.etag))) {
    MG_FUZZ_CHECK(mg::etag_list_matches_strong(v.etag, v.etag));
    MG_FUZZ_CHECK(mg::if_range_allows(v.etag, v, now));
  }

  MG_FUZZ_CHECK(mg::preconditions_evaluate(h, v, now) == reference(h, v, now));
  mg::Validators no_date = v;
  no_date.has_last_modified = false;
  // Without a modification date only the entity-tag headers count.
  mg::ConditionalHeaders tags_only = h;
  tags_only.if_modified_since = tags_only.if_unmodified_since = {};
  MG_FUZZ_CHECK(mg::preconditions_evaluate(h, no_date, now) ==
                mg::preconditions_evaluate(tags_only, no_date, now));

  // If-Range.
  MG_FUZZ_CHECK(mg::if_range_allows({}, v, now));
  MG_FUZZ_CHECK(mg::if_range_allows(" \t", v, now));
  std::string_view ir = trim_ows(h.if_range);
  bool allows = mg::if_range_allows(h.if_range, v, now);
  if (!ir.empty() && allows) {
    std::int64_t date = 0;
    bool tag = strong_tag(ir) && ir == trim_ows(v.etag);
    bool same_date = mg::http_date_parse(ir, now, &date) && date == v.last_modified;
    MG_FUZZ_CHECK(tag || same_date);
  }
  if (ir.substr(0, 2) == "W/") MG_FUZZ_CHECK(!allows);
  char lm[mg::kHttpDateLen];
  if (mg::http_date_format(v.last_modified, lm) == mg::kHttpDateLen) {
    std::string_view lm_text(lm, mg::kHttpDateLen);
    MG_FUZZ_CHECK(mg::if_range_allows(lm_text, v, now));
    MG_FUZZ_CHECK(!mg::if_range_allows(lm_text, no_date, now));
  }
  return 0;
}
