#include "reason.h"

namespace mg {
namespace {
constexpr ReasonInfo kInfo[] = {
    {200, "", "serve_full"},
    {206, "", "serve_partial"},
    {304, "", "not_modified"},
    {405, "method_not_allowed", "method_not_allowed"},
    {503, "worker_not_configured", "not_configured"},
    {400, "bad_request", "bad_key"},
    {404, "not_found", "prefix_not_allowed"},
    {401, "restricted", "token_missing"},
    {401, "forbidden", "token_malformed"},
    {401, "forbidden", "token_bad_signature"},
    {401, "forbidden", "token_bad_payload"},
    {401, "forbidden", "token_key_mismatch"},
    {401, "forbidden", "token_bad_mode"},
    {401, "forbidden", "token_no_expiry"},
    {401, "forbidden", "token_expiry_too_far"},
    {401, "expired", "token_expired"},
    {410, "revoked", "revoked"},
    {404, "not_found", "object_missing"},
    {416, "range_not_satisfiable", "range_not_satisfiable"},
    {412, "precondition_failed", "precondition_failed"},
    {503, "storage_unavailable", "storage_unavailable"},
};
static_assert(sizeof(kInfo) / sizeof(kInfo[0]) == static_cast<int>(Reason::count_),
              "one ReasonInfo row per Reason");
}  // namespace

const ReasonInfo& reason_info(Reason r) {
  auto i = static_cast<unsigned>(r);
  if (i >= static_cast<unsigned>(Reason::count_)) i = static_cast<unsigned>(Reason::storage_unavailable);
  return kInfo[i];
}

}  // namespace mg
