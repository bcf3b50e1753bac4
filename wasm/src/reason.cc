#include "reason.h"

namespace mg {
namespace {
constexpr std::string_view kServe = "media.worker.serve";
constexpr std::string_view kRange = "media.worker.range_206";
constexpr std::string_view kDeny = "media.worker.deny";
constexpr std::string_view kNotFound = "media.worker.not_found";
constexpr std::string_view kRevoked = "media.worker.revoked";
constexpr std::string_view kError = "media.worker.error";
constexpr std::string_view kUploadOk = "media.upload.ok";
constexpr std::string_view kUploadRetry = "media.upload.retry";
constexpr std::string_view kUploadRejected = "media.upload.rejected";

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
    {401, "forbidden", "token_wrong_mode", kDeny},
    {415, "unsupported_type", "unsupported_type", kUploadRejected},
    {415, "type_mismatch", "type_mismatch", kUploadRejected},
    {411, "length_required", "length_required", kUploadRejected},
    {400, "bad_request", "bad_length", kUploadRejected},
    {400, "empty_upload", "empty_upload", kUploadRejected},
    {413, "too_large", "too_large", kUploadRejected},
    {415, "type_mismatch", "signature_mismatch", kUploadRejected},
    {400, "incomplete_upload", "incomplete_upload", kUploadRejected},
    {412, "already_exists", "already_exists", kUploadRejected},
    {201, "", "upload_stored", kUploadOk},
    {200, "", "upload_retry", kUploadRetry},
    {204, "", "tus_options", "media.upload.options"},
    {201, "", "upload_created", "media.upload.created"},
    {200, "", "upload_offset", "media.upload.offset"},
    {204, "", "upload_progress", "media.upload.progress"},
    {204, "", "upload_completed", kUploadOk},
    {204, "", "upload_terminated", "media.upload.terminated"},
    {412, "precondition_failed", "tus_version", kUploadRejected},
    {400, "bad_request", "bad_tus_header", kUploadRejected},
    {415, "bad_content_type", "bad_content_type", kUploadRejected},
    {404, "not_found", "upload_missing", kUploadRejected},
    {409, "offset_mismatch", "offset_mismatch", kUploadRejected},
    {409, "upload_exists", "upload_exists", kUploadRejected},
    {409, "offset_mismatch", "upload_stale", kUploadRejected},
    {423, "upload_locked", "upload_locked", kUploadRejected},
    {200, "", "upload_completed_head", kUploadOk},
};
static_assert(sizeof(kInfo) / sizeof(kInfo[0]) == static_cast<int>(Reason::count_),
              "one ReasonInfo row per Reason");
}  // namespace

const ReasonInfo& reason_info(Reason r) {
  auto i = static_cast<unsigned>(r);
  if (i >= static_cast<unsigned>(Reason::count_)) i = static_cast<unsigned>(Reason::storage_unavailable);
  return kInfo[i];
}

std::string_view reason_event(Reason r, bool upload) {
  const ReasonInfo& info = reason_info(r);
  return upload && info.status >= 300 ? kUploadRejected : info.event;
}

}  // namespace mg
