#include "storage_plan.h"

namespace mg {

RangeHint storage_r2_range(const Plan& plan) {
  RangeHint h = plan.range;
  if (h.kind == RangeHintKind::needs_size) h = RangeHint{};
  return h;
}

StorageRead storage_read(const Plan& plan, std::uint64_t size) {
  StorageRead r;
  if (plan.op != StorageOp::get) return r;
  const RangeHint h = storage_r2_range(plan);
  const bool ranged = h.kind != RangeHintKind::whole;
  if (ranged && size == 0) {
    r.result = StorageResult::invalid_range;
    return r;
  }
  if ((h.kind == RangeHintKind::offset_length || h.kind == RangeHintKind::offset) && h.offset >= size) {
    r.result = StorageResult::invalid_range;
    return r;
  }
  if (size == 0) return r;
  switch (h.kind) {
    case RangeHintKind::whole:
    case RangeHintKind::needs_size:
      r.span = {0, size - 1};
      break;
    case RangeHintKind::offset_length:
      if (h.length == 0) return r;
      // Written without offset + length, which may overflow.
      r.span = {h.offset, h.length - 1 > size - 1 - h.offset ? size - 1 : h.offset + h.length - 1};
      break;
    case RangeHintKind::offset:
      r.span = {h.offset, size - 1};
      break;
    case RangeHintKind::suffix:
      if (h.suffix == 0) return r;
      r.span = {h.suffix >= size ? 0 : size - h.suffix, size - 1};
      break;
  }
  r.has_span = true;
  return r;
}

}  // namespace mg
