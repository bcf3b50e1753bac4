// Conditional requests: RFC 9110 sections 8.8.3.2, 13.1 and 13.2.2, contract section 6.
#include <doctest/doctest.h>

#include <cstdint>

#include "conditional.h"

namespace doctest {
template <>
struct StringMaker<mg::Precondition> {
  static String convert(mg::Precondition p) {
    switch (p) {
      case mg::Precondition::proceed: return "proceed";
      case mg::Precondition::not_modified: return "not_modified (304)";
      case mg::Precondition::failed: return "failed (412)";
    }
    return "?";
  }
};
}  // namespace doctest

namespace {

using mg::Precondition;

constexpr auto kGo = Precondition::proceed;
constexpr auto k304 = Precondition::not_modified;
constexpr auto k412 = Precondition::failed;

constexpr std::int64_t kNow = 1717200000;  // 2024-06-01T00:00:00Z
constexpr std::int64_t kLastModified = 784111777;

// The object's Last-Modified in each format, and one second either side.
constexpr const char* kAtImf = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr const char* kAtRfc850 = "Sunday, 06-Nov-94 08:49:37 GMT";
constexpr const char* kAtAsctime = "Sun Nov  6 08:49:37 1994";
constexpr const char* kBefore = "Sun, 06 Nov 1994 08:49:36 GMT";
constexpr const char* kAfter = "Sun, 06 Nov 1994 08:49:38 GMT";
constexpr const char* kFuture = "Fri, 31 Dec 9999 23:59:59 GMT";

const mg::Validators kStrongObject{"\"a1b2\"", kLastModified, true};
const mg::Validators kWeakObject{"W/\"a1b2\"", kLastModified, true};
const mg::Validators kNoDateObject{"\"a1b2\"", 0, false};
const mg::Validators kNoEtagObject{"", kLastModified, true};

struct PreconditionRow {
  const char* name;
  const mg::Validators* object;
  const char* if_match;
  const char* if_unmodified_since;
  const char* if_none_match;
  const char* if_modified_since;
  Precondition want;
};

}  // namespace

TEST_CASE("RFC 9110 13.2.2: preconditions in order for GET and HEAD") {
  const mg::Validators* const s = &kStrongObject;
  const PreconditionRow rows[] = {
      {"no conditions", s, "", "", "", "", kGo},

      // Step 1: If-Match, strong comparison (13.1.1).
      {"If-Match matches", s, "\"a1b2\"", "", "", "", kGo},
      {"If-Match misses", s, "\"zzzz\"", "", "", "", k412},
      {"If-Match * with a current representation", s, "*", "", "", "", kGo},
      {"If-Match list with a match", s, "\"x\", \"a1b2\"", "", "", "", kGo},
      {"If-Match weak tag never matches strongly", s, "W/\"a1b2\"", "", "", "", k412},
      {"If-Match malformed list matches nothing", s, "a1b2", "", "", "", k412},
      {"If-Match failing beats If-None-Match matching", s, "\"zzzz\"", "", "\"a1b2\"", "", k412},
      {"If-Match failing beats If-Modified-Since", s, "\"zzzz\"", "", "", kAtImf, k412},
      {"If-Match true goes on to If-None-Match", s, "\"a1b2\"", "", "\"a1b2\"", "", k304},
      {"If-Match true goes on to If-Modified-Since", s, "*", "", "", kAtImf, k304},

      // Step 2: If-Unmodified-Since, only without If-Match (13.1.4).
      {"If-Unmodified-Since at last-modified", s, "", kAtImf, "", "", kGo},
      {"If-Unmodified-Since after last-modified", s, "", kAfter, "", "", kGo},
      {"If-Unmodified-Since before last-modified", s, "", kBefore, "", "", k412},
      {"If-Unmodified-Since in RFC 850 form", s, "", kAtRfc850, "", "", kGo},
      {"If-Unmodified-Since in asctime form", s, "", kAtAsctime, "", "", kGo},
      {"If-Unmodified-Since invalid date is ignored", s, "", "yesterday", "", "", kGo},
      {"If-Unmodified-Since list of dates is ignored", s, "",
       "Sun, 06 Nov 1994 08:49:36 GMT, Sun, 06 Nov 1994 08:49:36 GMT", "", "", kGo},
      {"If-Unmodified-Since 31 Feb is ignored", s, "", "Thu, 31 Feb 1994 08:49:37 GMT", "", "",
       kGo},
      {"If-Unmodified-Since ignored when If-Match matches", s, "\"a1b2\"", kBefore, "", "", kGo},
      {"If-Unmodified-Since ignored when If-Match is *", s, "*", kBefore, "", "", kGo},
      {"If-Unmodified-Since ignored, If-Match decides", s, "\"zzzz\"", kAfter, "", "", k412},
      {"If-Unmodified-Since failing beats If-None-Match", s, "", kBefore, "\"a1b2\"", "", k412},
      {"If-Unmodified-Since failing beats If-Modified-Since", s, "", kBefore, "", kAtImf, k412},
      {"If-Unmodified-Since true goes on to If-None-Match", s, "", kAtImf, "*", "", k304},
      {"If-Unmodified-Since with surrounding OWS", s, "", " Sun, 06 Nov 1994 08:49:36 GMT ", "",
       "", k412},

      // Step 3: If-None-Match, weak comparison (13.1.2).
      {"If-None-Match matches", s, "", "", "\"a1b2\"", "", k304},
      {"If-None-Match weak tag matches weakly", s, "", "", "W/\"a1b2\"", "", k304},
      {"If-None-Match *", s, "", "", "*", "", k304},
      {"If-None-Match list with OWS", s, "", "", "\"x\" ,\t\"a1b2\" , \"y\"", "", k304},
      {"If-None-Match misses", s, "", "", "\"zzzz\"", "", kGo},
      {"If-None-Match malformed matches nothing", s, "", "", "\"a1b2", "", kGo},
      {"If-None-Match present makes If-Modified-Since ignored", s, "", "", "\"zzzz\"", kAtImf,
       kGo},
      {"If-None-Match match wins over a modified date", s, "", "", "\"a1b2\"", kBefore, k304},

      // Step 4: If-Modified-Since, only without If-None-Match (13.1.3).
      {"If-Modified-Since at last-modified", s, "", "", "", kAtImf, k304},
      {"If-Modified-Since after last-modified", s, "", "", "", kAfter, k304},
      {"If-Modified-Since before last-modified", s, "", "", "", kBefore, kGo},
      {"If-Modified-Since in the future is still compared", s, "", "", "", kFuture, k304},
      {"If-Modified-Since in RFC 850 form", s, "", "", "", kAtRfc850, k304},
      {"If-Modified-Since in asctime form", s, "", "", "", kAtAsctime, k304},
      {"If-Modified-Since invalid date is ignored", s, "", "", "", "Sun, 06 Nov 1994", kGo},
      {"If-Modified-Since lower-case month is ignored", s, "", "", "",
       "Sun, 06 nov 1994 08:49:37 GMT", kGo},
      {"If-Modified-Since missing GMT is ignored", s, "", "", "", "Sun, 06 Nov 1994 08:49:37",
       kGo},

      // Objects without a modification date: both date conditions are ignored.
      {"If-Unmodified-Since without last-modified", &kNoDateObject, "", kBefore, "", "", kGo},
      {"If-Modified-Since without last-modified", &kNoDateObject, "", "", "", kFuture, kGo},

      // The object's tag is weak (8.8.3.2): never a strong match.
      {"weak object: If-Match strong tag", &kWeakObject, "\"a1b2\"", "", "", "", k412},
      {"weak object: If-Match weak tag", &kWeakObject, "W/\"a1b2\"", "", "", "", k412},
      {"weak object: If-Match *", &kWeakObject, "*", "", "", "", kGo},
      {"weak object: If-None-Match strong tag", &kWeakObject, "", "", "\"a1b2\"", "", k304},
      {"weak object: If-None-Match weak tag", &kWeakObject, "", "", "W/\"a1b2\"", "", k304},

      // The object has no entity-tag: only "*" matches.
      {"no etag: If-Match tag", &kNoEtagObject, "\"a1b2\"", "", "", "", k412},
      {"no etag: If-Match empty tag", &kNoEtagObject, "\"\"", "", "", "", k412},
      {"no etag: If-Match *", &kNoEtagObject, "*", "", "", "", kGo},
      {"no etag: If-None-Match *", &kNoEtagObject, "", "", "*", "", k304},
      {"no etag: If-None-Match tag", &kNoEtagObject, "", "", "\"\"", "", kGo},
  };
  for (const PreconditionRow& row : rows) {
    CAPTURE(row.name);
    mg::ConditionalHeaders h;
    h.if_match = row.if_match;
    h.if_unmodified_since = row.if_unmodified_since;
    h.if_none_match = row.if_none_match;
    h.if_modified_since = row.if_modified_since;
    CHECK(mg::preconditions_evaluate(h, *row.object, kNow) == row.want);
  }
}

TEST_CASE("RFC 9110 13.2.2: If-Range does not take part in steps 1-4") {
  mg::ConditionalHeaders h;
  h.if_range = "\"zzzz\"";
  CHECK(mg::preconditions_evaluate(h, kStrongObject, kNow) == kGo);
}

namespace {

struct CompareRow {
  const char* list;
  const char* etag;
  bool strong;
  bool weak;
};

}  // namespace

TEST_CASE("RFC 9110 8.8.3.2: strong and weak comparison") {
  const CompareRow rows[] = {
      // The RFC's table.
      {"W/\"1\"", "W/\"1\"", false, true},
      {"W/\"1\"", "W/\"2\"", false, false},
      {"W/\"1\"", "\"1\"", false, true},
      {"\"1\"", "\"1\"", true, true},
      // And its mirror and neighbours.
      {"\"1\"", "W/\"1\"", false, true},
      {"\"1\"", "\"2\"", false, false},
      {"\"\"", "\"\"", true, true},         // an empty opaque-tag is valid
      {"\"abc\"", "\"ABC\"", false, false}, // octet comparison, case matters
      {"\"1\"", "\"1 \"", false, false},    // object tag malformed: SP is not etagc
      {"\"\xe2\x82\xac\"", "\"\xe2\x82\xac\"", true, true},  // obs-text
      {"\"!#~\"", "\"!#~\"", true, true},   // %x21, %x23, %x7E
  };
  for (const CompareRow& row : rows) {
    CAPTURE(row.list);
    CAPTURE(row.etag);
    CHECK(mg::etag_list_matches_strong(row.list, row.etag) == row.strong);
    CHECK(mg::etag_list_matches_weak(row.list, row.etag) == row.weak);
  }
}

TEST_CASE("RFC 9110 13.1.1-13.1.2 and 5.6.1.2: entity-tag lists") {
  const CompareRow rows[] = {
      {"*", "\"a\"", true, true},
      {" * ", "\"a\"", true, true},
      {"*", "W/\"a\"", true, true},         // "*" matches any current representation
      {"*", "", true, true},
      {"\"x\", \"a\"", "\"a\"", true, true},
      {"\"x\",\"a\"", "\"a\"", true, true},
      {"\"x\" , \"a\"", "\"a\"", true, true},
      {"\"x\"\t,\t\"a\"", "\"a\"", true, true},
      {"\"x\",,\"a\"", "\"a\"", true, true},  // empty elements are ignored
      {",\"a\",", "\"a\"", true, true},
      {" \"a\" ", "\"a\"", true, true},
      {"W/\"x\", W/\"a\"", "\"a\"", false, true},
      {"\"a\", W/\"a\"", "W/\"a\"", false, true},
      {"\"x\", \"y\"", "\"a\"", false, false},
      {",", "\"a\"", false, false},          // an empty list matches nothing
      // Malformed lists match nothing, even when a valid tag matches first.
      {"\"a\", b", "\"a\"", false, false},
      {"\"a\" \"b\"", "\"a\"", false, false},
      {"\"a\"\"b\"", "\"a\"", false, false},
      {"\"a", "\"a\"", false, false},
      {"a", "a", false, false},              // unquoted
      {"w/\"a\"", "\"a\"", false, false},    // "W/" is case-sensitive
      {"W/ \"a\"", "\"a\"", false, false},
      {"W\"a\"", "\"a\"", false, false},
      {"*, \"a\"", "\"a\"", false, false},   // "*" only on its own
      {"**", "\"a\"", false, false},
      {"\"a\"*", "\"a\"", false, false},
      {"\"a b\"", "\"a b\"", false, false},  // SP is not etagc
      {"\"a\x7f\"", "\"a\x7f\"", false, false},
      {"\"a\"b\"", "\"a\"", false, false},
      {"\"a\";q=1", "\"a\"", false, false},
      // The object's tag must be a valid entity-tag (R2's httpEtag).
      {"\"a1b2\"", "a1b2", false, false},
      {"\"a1b2\"", "\"a1b2", false, false},
  };
  for (const CompareRow& row : rows) {
    CAPTURE(row.list);
    CAPTURE(row.etag);
    CHECK(mg::etag_list_matches_strong(row.list, row.etag) == row.strong);
    CHECK(mg::etag_list_matches_weak(row.list, row.etag) == row.weak);
  }
}

namespace {

struct IfRangeRow {
  const char* name;
  const mg::Validators* object;
  const char* if_range;
  bool allows;
};

}  // namespace

TEST_CASE("RFC 9110 13.1.5: If-Range") {
  const mg::Validators* const s = &kStrongObject;
  const IfRangeRow rows[] = {
      {"absent", s, "", true},
      {"strong tag matches", s, "\"a1b2\"", true},
      {"strong tag with OWS", s, " \"a1b2\" ", true},
      {"strong tag differs", s, "\"zzzz\"", false},
      {"weak tag never matches", s, "W/\"a1b2\"", false},
      {"weak tag against a weak object", &kWeakObject, "W/\"a1b2\"", false},
      {"strong tag against a weak object", &kWeakObject, "\"a1b2\"", false},
      {"object without an etag", &kNoEtagObject, "\"\"", false},
      {"a list is not an entity-tag", s, "\"a1b2\", \"x\"", false},
      {"unterminated tag", s, "\"a1b2", false},
      {"tag with trailing junk", s, "\"a1b2\"x", false},
      {"* is not allowed", s, "*", false},
      {"date equal (IMF-fixdate)", s, kAtImf, true},
      {"date equal (RFC 850)", s, kAtRfc850, true},
      {"date equal (asctime)", s, kAtAsctime, true},
      {"date one second early", s, kBefore, false},
      {"date one second late", s, kAfter, false},
      {"date far in the future", s, kFuture, false},
      {"date without last-modified", &kNoDateObject, kAtImf, false},
      {"invalid date", s, "Sun, 06 Nov 1994 08:49:37 UTC", false},
      {"garbage", s, "yesterday", false},
      {"lower-case weak prefix is garbage", s, "w/\"a1b2\"", false},
  };
  for (const IfRangeRow& row : rows) {
    CAPTURE(row.name);
    CHECK(mg::if_range_allows(row.if_range, *row.object, kNow) == row.allows);
  }
}
