#include "storage_model.h"

namespace mg {

StorageResult storage_model_result(const Plan& plan, const ModelObject& obj) {
  if (!obj.exists) return StorageResult::missing;
  if (plan.op == StorageOp::get) {
    const RangeHint& h = plan.range;
    if ((h.kind == RangeHintKind::offset_length || h.kind == RangeHintKind::offset) &&
        h.offset >= obj.facts.size)
      return StorageResult::invalid_range;
    if (h.kind == RangeHintKind::suffix && obj.facts.size == 0) return StorageResult::invalid_range;
  }
  return StorageResult::ok;
}

int decide_with_model(const Config& config, const RequestFacts& req, const ModelObject& obj,
                      Decision* out) {
  decide_begin(config, req, out);
  int ops = 0;
  while (out->fetch) {
    if (ops == 2) return -1;
    ++ops;
    Plan performed = out->plan;
    Mode mode = out->mode;
    ObjectFacts facts = obj.facts;
    facts.result = storage_model_result(performed, obj);
    decide_finish(config, req, mode, performed, facts, out);
  }
  return ops;
}

}  // namespace mg
