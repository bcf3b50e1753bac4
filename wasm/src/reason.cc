#include "reason.h"

namespace mg {
namespace {
constexpr std::string_view kServe = "media.worker.serve";
constexpr std::string_view kRange = "media.worker.range_206";
constexpr std::string_view kDeny = "media.worker.deny";
constexpr std::string_view kNotFound = "media.worker.not_found";
constexpr std::string_view kRevoked = "media.worker.revoked";
constexpr std::string_view kError = "media.worker.error";

constexpr ReasonInfo kInfo[] = {
    {200, "", "serve_full", kServe},
    {206, "", "serve_partial", kRange},
    {304, "", "not_modified", kServe},
    {405, "method_not_allowed", "method_not_allowed", kDeny},
    {503, "worker_not_configured", "not_configured", kError},
    {400, "bad_request", "bad_key", kDeny},
    {404, "not_found", "prefix_not_allowed", kNotFound},
    {401, "restricted", "token_missing", kDeny},
    {401, "forbidden", "token_malformed", kDeny},
    {401, "forbidden", "token_bad_signature", kDeny},
    {401, "forbidden", "token_bad_payload", kDeny},
    {401, "forbidden", "token_key_mismatch", kDeny},
    {401, "forbidden", "token_bad_mode", kDeny},
    {401, "forbidden", "token_no_expiry", kDeny},
    {401, "forbidden", "token_expiry_too_far", kDeny},
    {401, "expired", "token_expired", kDeny},
    {410, "revoked", "revoked", kRevoked},
    {404, "not_found", "object_missing", kNotFound},
    {416, "range_not_satisfiable", "range_not_satisfiable", kDeny},
    {412, "precondition_failed", "precondition_failed", kDeny},
    {503, "storage_unavailable", "storage_unavailable", kError},
    {503, "storage_unavailable", "storage_timeout", kError},
    {431, "request_too_large", "request_too_large", kDeny},
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
