// mediagate_plan_vectors: writes tests/vectors/plans.jsonl from the one
// definition of what a storage plan reads (wasm/src/storage_plan.h), so the
// shim's R2 options and the JS R2 model are checked against the C++ side.
// The ctest "plan vectors are current" regenerates and compares.
//
// One JSON object per line:
//   size    the object's size
//   op      "get" | "head"
//   kind    "whole" | "offset_length" | "offset" | "suffix"
//   offset, length, suffix   the plan's numbers (0 where the kind has none)
//   r2      the options object the shim passes to R2's get ({} for head)
//   result  "ok" | "invalid_range"
//   first, last   the inclusive span R2 returns; null when no bytes
#include <cinttypes>
#include <cstdio>
#include <string>

#include "storage_plan.h"

namespace {

void print_r2(const mg::Plan& plan) {
  if (plan.op != mg::StorageOp::get) return (void)std::printf("{}");
  mg::RangeHint h = mg::storage_r2_range(plan);
  switch (h.kind) {
    case mg::RangeHintKind::offset_length:
      std::printf("{\"range\":{\"offset\":%" PRIu64 ",\"length\":%" PRIu64 "}}", h.offset, h.length);
      return;
    case mg::RangeHintKind::offset:
      std::printf("{\"range\":{\"offset\":%" PRIu64 "}}", h.offset);
      return;
    case mg::RangeHintKind::suffix:
      std::printf("{\"range\":{\"suffix\":%" PRIu64 "}}", h.suffix);
      return;
    default:
      std::printf("{}");
  }
}

void row(std::uint64_t size, const mg::Plan& plan) {
  const mg::RangeHint& h = plan.range;
  std::printf("{\"size\":%" PRIu64 ",\"op\":\"%s\",\"kind\":\"%s\",\"offset\":%" PRIu64 ",\"length\":%" PRIu64
              ",\"suffix\":%" PRIu64 ",\"r2\":",
              size, plan.op == mg::StorageOp::get ? "get" : "head", std::string(mg::range_hint_kind_name(h.kind)).c_str(), h.offset, h.length,
              h.suffix);
  print_r2(plan);
  mg::StorageRead r = mg::storage_read(plan, size);
  std::printf(",\"result\":\"%s\"", r.result == mg::StorageResult::ok ? "ok" : "invalid_range");
  if (r.has_span)
    std::printf(",\"first\":%" PRIu64 ",\"last\":%" PRIu64 "}\n", r.span.first, r.span.last);
  else
    std::printf(",\"first\":null,\"last\":null}\n");
}

mg::Plan plan_of(mg::StorageOp op, mg::RangeHintKind kind, std::uint64_t a, std::uint64_t b) {
  mg::Plan p;
  p.op = op;
  p.range.kind = kind;
  if (kind == mg::RangeHintKind::suffix) p.range.suffix = a;
  else p.range.offset = a;
  if (kind == mg::RangeHintKind::offset_length) p.range.length = b;
  return p;
}

}  // namespace

int main() {
  // Sizes around the edges; the largest a plan can carry is 2^53 - 1 (f64).
  const std::uint64_t kBig = (std::uint64_t{1} << 53) - 1;
  const std::uint64_t sizes[] = {0, 1, 2, 10, kBig};
  const std::uint64_t offsets[] = {0, 1, 9, 10, 11, kBig - 1};
  // Lengths and suffixes; `kBig - o` reaches the last byte a plan can name (offset + length
  // never passes 2^53 in a plan the core makes).
  const std::uint64_t counts[] = {1, 2, 10, 11};
  using K = mg::RangeHintKind;
  for (std::uint64_t size : sizes) {
    row(size, plan_of(mg::StorageOp::head, K::whole, 0, 0));
    row(size, plan_of(mg::StorageOp::get, K::whole, 0, 0));
    for (std::uint64_t o : offsets) {
      for (std::uint64_t n : counts) row(size, plan_of(mg::StorageOp::get, K::offset_length, o, n));
      row(size, plan_of(mg::StorageOp::get, K::offset_length, o, kBig - o));
      row(size, plan_of(mg::StorageOp::get, K::offset, o, 0));
    }
    for (std::uint64_t n : counts) row(size, plan_of(mg::StorageOp::get, K::suffix, n, 0));
    row(size, plan_of(mg::StorageOp::get, K::suffix, kBig, 0));
  }
  return 0;
}
