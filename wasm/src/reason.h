// One enum names every outcome of the gate. The same value gives the HTTP
// status, the response body word (docs/CONTRACT.md section 4) and the log/metric
// reason bucket (docs/CONTRACT.md section 8). Nothing else decides these strings.
#pragma once
#include <cstdint>
#include <string_view>

namespace mg {

enum class Reason : std::uint8_t {
  // Success outcomes.
  serve_full = 0,        // 200
  serve_partial,         // 206
  not_modified,          // 304
  // Denials and errors, in the order the checks run (docs/CONTRACT.md section 4).
  method_not_allowed,    // 405 method_not_allowed
  not_configured,        // 503 worker_not_configured
  bad_key,               // 400 bad_request
  prefix_not_allowed,    // 404 not_found (no token read yet)
  token_missing,         // 401 restricted
  token_malformed,       // 401 forbidden: not two strict base64url parts / too long
  token_bad_signature,   // 401 forbidden: HMAC matches no configured secret
  token_bad_payload,     // 401 forbidden: not a JSON object / duplicate members / bad JSON
  token_key_mismatch,    // 401 forbidden: k differs from the request key
  token_bad_mode,        // 401 forbidden: m not pub/priv
  token_no_expiry,       // 401 forbidden: private without integer e
  token_expiry_too_far,  // 401 forbidden: e beyond now + max TTL + leeway
  token_expired,         // 401 expired
  revoked,               // 410 revoked (issue: revocation)
  object_missing,        // 404 not_found
  range_not_satisfiable, // 416 range_not_satisfiable
  precondition_failed,   // 412 precondition_failed
  storage_unavailable,   // 503 storage_unavailable
  storage_timeout,       // 503 storage_unavailable: the operation outlived its deadline
  request_too_large,     // 431 request_too_large: the facts did not fit the core's input (checked first)
  // Uploads (docs/UPLOADS.md), in the order the checks run.
  token_wrong_mode,      // 401 forbidden: a put token on a read, a pub/priv token on a write
  unsupported_type,      // 415 unsupported_type: the token's ct is not an upload type
  type_mismatch,         // 415 type_mismatch: content-type (or filetype) is not the token's ct
  length_required,       // 411 length_required: no content-length on a PUT
  bad_length,            // 400 bad_request: a content-length that is not one decimal number
  empty_upload,          // 400 empty_upload
  too_large,             // 413 too_large: over the token's n or the Worker's cap
  signature_mismatch,    // 415 type_mismatch: the first bytes are not the declared family
  incomplete_upload,     // 400 incomplete_upload: the body ended before content-length bytes
  already_exists,        // 412 already_exists: the key holds other bytes
  upload_stored,         // 201: stored
  upload_retry,          // 200: the key already held exactly these bytes
  // Resumable uploads (tus 1.0, docs/UPLOADS.md "Resumable uploads").
  tus_options,           // 204: OPTIONS, the server's tus capabilities
  upload_created,        // 201: POST created the upload (or it was already open)
  upload_offset,         // 200: HEAD, the upload's offset
  upload_progress,       // 204: PATCH, bytes made durable
  upload_completed,      // 204: PATCH (or HEAD 200) that completed the object
  upload_terminated,     // 204: DELETE
  tus_version,           // 412 precondition_failed: Tus-Resumable is not 1.0.0
  bad_tus_header,        // 400 bad_request: Upload-Length / Upload-Offset / Upload-Metadata unreadable, or a POST body
  bad_content_type,      // 415 bad_content_type: PATCH without application/offset+octet-stream
  upload_missing,        // 404 not_found: no open upload (never created, finished, terminated or expired)
  offset_mismatch,       // 409 offset_mismatch: Upload-Offset is not the upload's offset
  upload_exists,         // 409 upload_exists: an open upload of the key has another length
  upload_stale,          // 409 offset_mismatch: another request took the upload over mid-PATCH
  upload_locked,         // 423 upload_locked: another PATCH of the upload is in flight
  upload_completed_head, // 200: HEAD that completed the object (its offset, now the length)
  count_
};

struct ReasonInfo {
  int status;
  std::string_view body;   // empty for 200/206/304: they carry object bytes or nothing
  std::string_view name;   // log / metric bucket, stable identifier
  std::string_view event;  // log event name (docs/CONTRACT.md section 8)
};

// Total over every Reason value; Reason::count_ maps to storage_unavailable.
const ReasonInfo& reason_info(Reason r);

// The log event of an answer: the reason's, except that every answer to an
// upload (docs/UPLOADS.md section 5) that is not a success is
// media.upload.rejected, whatever refused it (the token, the key, storage).
std::string_view reason_event(Reason r, bool upload);

}  // namespace mg
