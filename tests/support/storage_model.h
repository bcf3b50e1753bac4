// A model of R2 for the native CLI (`mediagate explain`) and the native
// tests: runs the two decision phases against an object described by its
// metadata, as the Worker runs them against the real bucket. What R2 does
// with a plan is wasm/src/storage_plan.h's; this file only adds the loop.
#pragma once
#include "decision.h"

namespace mg {

struct ModelObject {
  bool exists = false;
  ObjectFacts facts;  // result is set by the model
};

// What R2 does with a plan: a missing object is null; otherwise
// storage_read's result (storage_plan.h).
StorageResult storage_model_result(const Plan& plan, const ModelObject& obj);

// Runs decide_begin, then decide_finish for each storage operation asked
// for. Returns the number of storage operations performed (0..2), or -1 if
// the core asked for a third (a bug: decision.h promises at most two).
int decide_with_model(const Config& config, const RequestFacts& req, const ModelObject& obj,
                      Decision* out);

}  // namespace mg
