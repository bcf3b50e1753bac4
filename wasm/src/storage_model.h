// A model of R2 for the native CLI (`mediagate explain`) and the native
// tests: runs the two decision phases against an object described by its
// metadata, as the Worker runs them against the real bucket.
#pragma once
#include "decision.h"

namespace mg {

struct ModelObject {
  bool exists = false;
  ObjectFacts facts;  // result is set by the model
};

// What R2 does with a plan: a missing object is null; a `get` whose range
// starts at or past the end (any range, on an empty object) fails with
// InvalidRange; otherwise ok.
StorageResult storage_model_result(const Plan& plan, const ModelObject& obj);

// Runs decide_begin, then decide_finish for each storage operation asked
// for. Returns the number of storage operations performed (0..2), or -1 if
// the core asked for a third (a bug: decision.h promises at most two).
int decide_with_model(const Config& config, const RequestFacts& req, const ModelObject& obj,
                      Decision* out);

}  // namespace mg
