// Fuzz target `range`: the Range header (range_resolve, range_hint), RFC 9110 section 14.
//
// Input: line 1 the object size in decimal (saturating; none: 1000), the rest the header.
// Each header is also resolved against sizes derived from the hint (its offset, offset + 1,
// its end, 1, 2^53 - 1, 2^53, 2^64 - 1), where the edge cases live.
//
// Invariants:
//  - absent exactly for an empty header; every non-empty header on an empty object is ignored;
//  - a satisfiable span lies inside the object: first <= last < size;
//  - range_hint agrees with range_resolve for every object a plan can describe (at most
//    2^53 - 1 bytes: sizes travel as f64, protocol.cc reads a larger one as a storage error, and
//    a hint reads a larger number as "past every object"): wherever the header is satisfiable
//    and the hint names a range, the bytes storage returns for that range (R2: the end clamped to the object,
//    a start at or past the end refused) are exactly the span; a `whole` hint means the header
//    is absent or ignored for every size; an unsatisfiable header has a hint storage refuses
//    (start at or past the end) or one that needs the size; a header ignored on a non-empty
//    object has a hint of `whole` or `needs_size` (never a range that would be served as 206);
//  - every number of a hint is below 2^53 (the protocol carries plans as f64).
#include "fuzz_util.h"
#include "range.h"
#include "storage_plan.h"

namespace {

// What R2 returns for the hint on an object of `size` bytes (storage_plan.h, the one
// definition); false: no bytes (it refuses the range, or the object is empty).
bool storage_span(const mg::RangeHint& h, std::uint64_t size, mg::ByteSpan* out) {
  mg::Plan plan;
  plan.range = h;
  mg::StorageRead r = mg::storage_read(plan, size);
  if (r.has_span) *out = r.span;
  return r.has_span;
}

bool names_range(mg::RangeHintKind k) {
  return k == mg::RangeHintKind::offset_length || k == mg::RangeHintKind::offset ||
         k == mg::RangeHintKind::suffix;
}

constexpr std::uint64_t kMaxPlan = (std::uint64_t{1} << 53) - 1;

void check_size(std::string_view header, const mg::RangeHint& hint, std::uint64_t size) {
  const bool plannable = size <= kMaxPlan;
  mg::RangeResult r = mg::range_resolve(header, size);
  MG_FUZZ_CHECK((r.outcome == mg::RangeOutcome::absent) == header.empty());
  if (size == 0 && !header.empty()) MG_FUZZ_CHECK(r.outcome == mg::RangeOutcome::ignored);

  switch (r.outcome) {
    case mg::RangeOutcome::absent:
      MG_FUZZ_CHECK(hint.kind == mg::RangeHintKind::whole);
      break;
    case mg::RangeOutcome::satisfiable: {
      MG_FUZZ_CHECK(r.span.first <= r.span.last && r.span.last < size);
      MG_FUZZ_CHECK(hint.kind != mg::RangeHintKind::whole);
      if (plannable && names_range(hint.kind)) {
        mg::ByteSpan got;
        MG_FUZZ_CHECK(storage_span(hint, size, &got));
        MG_FUZZ_CHECK(got.first == r.span.first && got.last == r.span.last);
      }
      break;
    }
    case mg::RangeOutcome::unsatisfiable: {
      MG_FUZZ_CHECK(size > 0);
      MG_FUZZ_CHECK(hint.kind != mg::RangeHintKind::whole);
      mg::ByteSpan got;
      if (plannable && names_range(hint.kind)) MG_FUZZ_CHECK(!storage_span(hint, size, &got));
      break;
    }
    case mg::RangeOutcome::ignored:
      if (size > 0)
        MG_FUZZ_CHECK(hint.kind == mg::RangeHintKind::whole || hint.kind == mg::RangeHintKind::needs_size);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest = mgfuzz::as_text(data, size);
  std::uint64_t object_size = mgfuzz::parse_u64(mgfuzz::next_part(&rest), 1000);
  std::string_view header = rest;

  mg::RangeHint hint = mg::range_hint(header);
  MG_FUZZ_CHECK(header.empty() ? hint.kind == mg::RangeHintKind::whole : true);
  if (hint.kind == mg::RangeHintKind::offset_length) {
    MG_FUZZ_CHECK(hint.length >= 1);
    MG_FUZZ_CHECK(hint.length - 1 <= ~std::uint64_t{0} - hint.offset);  // the end fits 64 bits
  }
  if (hint.kind == mg::RangeHintKind::suffix) MG_FUZZ_CHECK(hint.suffix >= 1);
  // Plans travel as f64 (protocol.h): every number of a hint is exact, below 2^53, even for
  // numerals of any length (RFC 9110 14.1.1).
  MG_FUZZ_CHECK(hint.offset <= kMaxPlan && hint.length <= kMaxPlan && hint.suffix <= kMaxPlan);
  MG_FUZZ_CHECK(hint.length <= kMaxPlan - hint.offset);

  const std::uint64_t end = hint.kind == mg::RangeHintKind::offset_length ? hint.offset + hint.length - 1
                            : hint.kind == mg::RangeHintKind::suffix      ? hint.suffix
                                                                          : hint.offset;
  const std::uint64_t sizes[] = {object_size, 0, 1, hint.offset, hint.offset + 1, end, end + 1,
                                 kMaxPlan, kMaxPlan + 1, ~std::uint64_t{0}};
  for (std::uint64_t s : sizes) check_size(header, hint, s);
  return 0;
}
