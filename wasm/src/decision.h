// The gate's decision: request facts and `now` in; either an answer, or one
// storage operation to perform and then an answer (docs/ARCHITECTURE.md).
//
//   decide_begin(config, request)            -> respond | fetch(plan)
//   decide_finish(config, request, plan, obj) -> respond | fetch(exact plan)
//
// decide_finish asks for a second operation only on rare paths (a range
// that starts past the end, an If-Range that no longer matches, several
// ranges that coalesce into a sub-span); the second plan is always exact,
// so there is never a third.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "conditional.h"
#include "range.h"
#include "response.h"
#include "token.h"

namespace mg {

constexpr std::size_t kMaxPrefixes = 16;

struct Config {
  // Secrets already trimmed of surrounding whitespace; empty = not set.
  std::string_view secret;
  std::string_view secret_previous;
  std::string_view prefixes[kMaxPrefixes];
  std::size_t n_prefixes = 0;
  std::int64_t leeway = 60;
  std::int64_t max_ttl = 3600;
  bool corp_same_site = false;
  bool has_bucket = false;
  // Set by config validation: the first missing or invalid setting's name,
  // empty when the configuration is usable.
  std::string_view problem;
};

struct RequestFacts {
  std::string_view method;
  std::string_view path;   // URL path as received, percent-encoded, starts with "/m/"
  std::string_view query;  // URL query, with or without the leading '?'
  std::int64_t now = 0;    // unix seconds
  std::string_view range;
  ConditionalHeaders cond;
};

enum class StorageOp : std::uint8_t { get, head };

struct Plan {
  StorageOp op = StorageOp::get;
  RangeHint range;  // for get; kind == whole or an exact R2 range
  int attempt = 1;  // 1 or 2
};

enum class StorageResult : std::uint8_t {
  ok,             // metadata present (and a body for get)
  missing,        // no such object
  invalid_range,  // storage refused the range (it starts at or past the end)
  error,          // anything else went wrong
};

struct ObjectFacts {
  StorageResult result = StorageResult::error;
  std::uint64_t size = 0;
  std::string_view etag;          // quoted, as storage reports it (R2 httpEtag)
  std::int64_t uploaded = 0;      // unix seconds
  std::string_view content_type;  // stored, may be empty
};

struct Decision {
  bool fetch = false;  // true: perform `plan`, then call decide_finish
  Plan plan;
  Mode mode = Mode::none;  // token mode, to hand back to decide_finish
  Response response;       // valid when !fetch
  // The decoded object key (valid when the key parsed).
  char key[kMaxKeyBytes];
  std::size_t key_len = 0;
  std::string_view key_view() const { return std::string_view(key, key_len); }
};

// Checks method, configuration, key, prefix, token (and, later, revocation)
// in the contract's order. Either answers now or asks for one storage op.
void decide_begin(const Config& config, const RequestFacts& req, Decision* out);

// Given the op that was performed and what storage reported, evaluates
// preconditions (RFC 9110 13.2.2), Range and If-Range, and builds the
// response; or asks for one more, exact, operation.
void decide_finish(const Config& config, const RequestFacts& req, Mode mode, const Plan& performed,
                   const ObjectFacts& obj, Decision* out);

// Fills `r` with an error/denial answer for `reason` (status, text body,
// headers), as every path of the gate does.
void respond_reason(const Config& config, Reason reason, Mode mode, bool head, Response* r);

}  // namespace mg
