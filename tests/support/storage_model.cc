#include "storage_model.h"

#include "storage_plan.h"

namespace mg {

StorageResult storage_model_result(const Plan& plan, const ModelObject& obj) {
  if (!obj.exists) return StorageResult::missing;
  return storage_read(plan, obj.facts.size).result;
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
    decide_finish(config, req, mode, out->key_view(), performed, facts, out);
  }
  return ops;
}

}  // namespace mg
