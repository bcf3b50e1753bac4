// The storage plan, once: which R2 call a plan makes, and which bytes of an
// object R2 returns for it. decision.cc checks every read against it, the
// test model (tests/support/storage_model.h) answers with it, and
// tests/vectors/plans.jsonl (written by tests/tools/plan_vectors.cc) carries
// it to the JS side, so the shim and its R2 model never re-derive a range.
//
// R2's get (its `range` option): {offset, length}, {offset} or {suffix}.
//  - a start at or past the end is refused (InvalidRange), and so is any
//    range on an empty object; a length past the end is clamped to it;
//  - a suffix longer than the object returns the whole object;
//  - no range returns the whole object (nothing for an empty one).
// A head returns metadata and no bytes. The core never plans an empty range
// (length 0 or suffix 0); R2 returns no bytes for one here.
#pragma once
#include <cstdint>

#include "decision.h"

namespace mg {

// R2's range option for a get plan: `needs_size` reads the whole object, so
// the kind is whole, offset_length, offset or suffix (never needs_size).
RangeHint storage_r2_range(const Plan& plan);

struct StorageRead {
  StorageResult result = StorageResult::ok;  // ok or invalid_range
  bool has_span = false;                     // false: no bytes (head, empty)
  ByteSpan span;                             // inclusive, inside [0, size)
};

// What R2 answers to `plan` on an existing object of `size` bytes.
StorageRead storage_read(const Plan& plan, std::uint64_t size);

}  // namespace mg
