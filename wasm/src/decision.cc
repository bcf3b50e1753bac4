#include "decision.h"

#include <cstring>

#include "ascii.h"
#include "decimal.h"
#include "edge_cache.h"
#include "etag.h"
#include "httpdate.h"
#include "key.h"
#include "loggable.h"
#include "media_signature.h"
#include "policy.h"
#include "revocation.h"
#include "storage_plan.h"
#include "tus.h"
#include "utf8.h"
#include "writer.h"

namespace mg {
namespace {

constexpr std::string_view kPathPrefix = "/m/";

bool is_head(const RequestFacts& req) { return req.method == "HEAD"; }

// The request is an upload (docs/UPLOADS.md): a PUT, with uploads on. The one
// place every phase asks, so begin, finish and the unreadable answer agree.
bool is_upload(const Config& config, const RequestFacts& req) { return config.uploads && req.method == "PUT"; }

// Resumable uploads (tus 1.0, docs/UPLOADS.md "Resumable uploads") are on
// when uploads are and the upload state object is bound. A tus request is
// one of its methods; a HEAD is one only with Tus-Resumable (without it, a
// HEAD reads, as it always did).
bool tus_on(const Config& config) { return config.uploads && config.has_upload_state; }
bool is_tus(const Config& config, const RequestFacts& req) {
  if (!tus_on(config)) return false;
  const std::string_view m = req.method;
  return m == "OPTIONS" || m == "POST" || m == "PATCH" || m == "DELETE" || (m == "HEAD" && !req.tus_resumable.empty());
}

// Every request that writes: its answers are upload events (media.upload.*).
bool is_write(const Config& config, const RequestFacts& req) { return is_upload(config, req) || is_tus(config, req); }

Plan exact_plan(ByteSpan span, std::uint64_t size) {
  Plan p;
  p.op = StorageOp::get;
  p.attempt = 2;
  if (span.first == 0 && span.last + 1 == size) {
    p.range.kind = RangeHintKind::whole;
  } else {
    p.range.kind = RangeHintKind::offset_length;
    p.range.offset = span.first;
    p.range.length = span.length();
  }
  return p;
}

Plan whole_plan() {
  Plan p;
  p.op = StorageOp::get;
  p.attempt = 2;
  return p;
}

// Sets the canonical cache path for `key`; false if it does not fit.
bool key_quote_into(std::string_view key, Decision* out) {
  constexpr std::string_view kPrefix = "/m/";
  if (key.empty()) return false;
  for (std::size_t i = 0; i < kPrefix.size(); ++i) out->cache_path[i] = kPrefix[i];
  std::size_t n = key_quote(key, out->cache_path + kPrefix.size(), kMaxCachePath - kPrefix.size());
  out->cache_path_len = n ? kPrefix.size() + n : 0;
  return n > 0;
}

void ask_storage(Decision* out, const Plan& plan, Mode mode) {
  out->fetch = true;
  out->plan = plan;
  out->mode = mode;
}

void answer(const Config& config, const RequestFacts& req, Reason reason, Mode mode, Decision* out) {
  out->fetch = false;
  out->mode = mode;
  respond_reason(config, reason, mode, is_head(req), &out->response);
}

}  // namespace

void respond_reason(const Config& config, Reason reason, Mode mode, bool head, Response* r) {
  const ReasonInfo& info = reason_info(reason);
  r->clear();
  r->reason = reason;
  r->status = info.status;
  r->mode = mode;
  policy_security_headers(*r, config.corp_same_site);
  r->add_static("cache-control", policy_cache_control(mode, info.status));
  if (!info.body.empty()) {
    r->add_static("content-type", "text/plain; charset=utf-8");
    r->add_number("content-length", info.body.size());
    r->body = head ? BodySource::none : BodySource::text;
    r->text = info.body;
  }
  if (reason == Reason::method_not_allowed)
    r->add_static("allow", tus_on(config)    ? "GET, HEAD, PUT, POST, PATCH, DELETE, OPTIONS"
                           : config.uploads ? "GET, HEAD, PUT"
                                            : "GET, HEAD");
}

namespace {

// The one reset: every field a phase decides, cleared before it decides
// (the response is filled whole by whatever answers, Response::clear).
void reset(Decision* out) {
  out->fetch = false;
  out->mode = Mode::none;
  out->key_len = 0;
  out->cache_lookup = false;
  out->cache_path_len = 0;
  out->refresh_revocations = false;
  out->wait_revocations = false;
  out->revocations_stale = false;
  out->cache_store = false;
  out->cache_fill = false;
  out->cache_fill_length = 0;
  out->cache_object_len = 0;
  out->log = false;
  out->log_budget = false;
  out->request_id = {};
  out->log_fingerprints = false;
  out->upload = false;
  out->upload_length = 0;
  out->put_type_len = 0;
  out->tus_part_size = 0;
  out->tus_expires = 0;
  out->tus_lease_ms = 0;
  out->tus_family_ok = false;
  out->tus_abort = false;
  out->tus_release = false;
}

// The object key the path names (docs/CONTRACT.md section 2), decoded into
// out->key: the one place a request's key is read from its path. False
// when the path does not name a key.
bool request_key(const RequestFacts& req, Decision* out) {
  return req.path.substr(0, kPathPrefix.size()) == kPathPrefix &&
         key_decode(req.path.substr(kPathPrefix.size()), out->key, &out->key_len);
}

// The wait before the next load attempt: the refresh interval, doubled per
// consecutive failure, at most kMaxLoadBackoff.
constexpr std::int64_t kMaxLoadBackoff = 300;
std::int64_t load_backoff(const Config& config, std::uint32_t failures) {
  std::int64_t wait = config.revocation_refresh;
  // At most 9 doublings reach the cap from 1 s (a refresh of 0 stays 0).
  for (std::uint32_t i = 0; i < failures && i < 9; ++i) wait *= 2;
  return failures > 0 && wait > kMaxLoadBackoff ? kMaxLoadBackoff : wait;
}

// A load is in flight and within its deadline (one older is given up on:
// its request may be gone).
bool load_in_flight(const Config& config, const RequestFacts& req) {
  return req.revocation_loading_ms != RequestFacts::kNoLoad &&
         static_cast<std::int64_t>(req.revocation_loading_ms) < config.storage_timeout_ms;
}

// A load may start now: none in flight, and the backoff has passed. A
// request waits for at most one load it starts itself: never for a second
// in the second its own started (min_age 1).
bool may_load(const Config& config, const RequestFacts& req, std::int64_t min_age = 0) {
  std::int64_t backoff = load_backoff(config, req.revocation_failures);
  return !load_in_flight(config, req) && req.revocation_age >= (backoff > min_age ? backoff : min_age);
}

// A snapshot is held, built (its coverage started) at most the hard age ago.
bool snapshot_fresh(const Config& config, const RequestFacts& req) {
  return req.revocation == RevocationState::loaded && revocation_fresh(config, req.revocations, req.now);
}

// Revocation (docs/CONTRACT.md section 7): after the token, before any cache
// or storage read, so a copy in the edge cache is never served once revoked.
// True when it settles the answer (410, or 503 while a fresh snapshot loads
// or in closed mode); may mark the answer stale (docs/REVOCATION.md).
bool revocation_answers(const Config& config, const RequestFacts& req, std::string_view key, Mode mode,
                        Decision* out) {
  if (req.revocation == RevocationState::disabled) return false;
  if (!snapshot_fresh(config, req)) {
    // Past the hard age (or none held): a fresh snapshot first, from the
    // load in flight or a new one if the backoff allows; the 503 held
    // meanwhile is what a shim that cannot wait answers.
    if (load_in_flight(config, req) || may_load(config, req, 1)) {
      answer(config, req, Reason::storage_unavailable, mode, out);
      out->refresh_revocations = false;
      out->wait_revocations = true;
      return true;
    }
    out->revocations_stale = true;
    if (config.revocation_fail_closed) {
      answer(config, req, Reason::storage_unavailable, mode, out);
      return true;
    }
  }
  if (req.revocation != RevocationState::loaded) return false;
  RevocationScope scope = revocation_lookup(req.revocations, key);
  if (scope != RevocationScope::all && !(scope == RevocationScope::pub && mode == Mode::pub)) return false;
  answer(config, req, Reason::revoked, mode, out);
  return true;
}

// ---- Uploads (docs/UPLOADS.md): what may be stored ---------------------------

// The media type of a content-type value: before any ';', without OWS.
std::string_view media_type_of(std::string_view content_type) {
  return ascii_trim_ows(content_type.substr(0, content_type.find(';')));
}

bool upload_type_allowed(const Config& config, std::string_view ct) {
  for (std::size_t i = 0; i < config.n_upload_types; ++i)
    if (config.upload_types[i] == ct) return true;
  return false;
}

// The declared size: content-length, one decimal number (RFC 9110 8.6).
enum class Declared : std::uint8_t { ok, absent, malformed };
Declared declared_length(const RequestFacts& req, std::uint64_t* size) {
  if (req.content_length.empty()) return Declared::absent;
  return decimal_parse_u64(ascii_trim_ows(req.content_length), size) ? Declared::ok : Declared::malformed;
}

// The upload's checks after the token and revocation, in the contract's
// order (docs/UPLOADS.md, "What an upload must be"); then a sniff of the
// body's first bytes, before anything is written.
void upload_begin(const Config& config, const RequestFacts& req, const TokenVerdict& v, Decision* out) {
  const std::string_view ct = v.ct_view();
  Reason refuse = Reason::count_;
  std::uint64_t size = 0;
  Declared declared = declared_length(req, &size);
  std::uint64_t limit = static_cast<std::uint64_t>(config.max_upload_bytes);
  if (v.max_bytes != 0 && v.max_bytes < limit) limit = v.max_bytes;
  if (!upload_type_allowed(config, ct)) refuse = Reason::unsupported_type;
  else if (!ascii_iequals(media_type_of(req.content_type), ct)) refuse = Reason::type_mismatch;
  else if (declared == Declared::absent) refuse = Reason::length_required;
  else if (declared == Declared::malformed) refuse = Reason::bad_length;
  else if (size == 0) refuse = Reason::empty_upload;
  else if (size > limit) refuse = Reason::too_large;
  if (refuse != Reason::count_) return answer(config, req, refuse, Mode::put, out);

  Plan sniff;
  sniff.op = StorageOp::sniff;
  sniff.range.kind = RangeHintKind::offset_length;
  sniff.range.offset = 0;
  sniff.range.length = size < kSignatureBytes ? size : kSignatureBytes;
  out->upload_length = size;
  ask_storage(out, sniff, Mode::put);
}

// 201 (stored) or 200 (the key already held exactly these bytes), with
// {"key":...,"size":...,"etag":...,"content_type":...}.
void respond_upload(const Config& config, Reason reason, std::string_view key, std::uint64_t size,
                    std::string_view etag, std::string_view ct, Decision* out) {
  JsonWriter json{{out->upload_body, sizeof out->upload_body}};
  json.put("{\"key\":");
  json.json_string(key);
  json.put(",\"size\":");
  json.decimal(size);
  json.put(",\"etag\":");
  json.json_string(utf8_valid(etag) ? etag : std::string_view{});
  json.put(",\"content_type\":");
  json.json_string(ct);
  json.put('}');
  Response& r = out->response;
  if (!json.ok) return respond_reason(config, Reason::storage_unavailable, Mode::put, false, &r);
  const ReasonInfo& info = reason_info(reason);
  r.clear();
  r.reason = reason;
  r.status = info.status;
  r.mode = Mode::put;
  policy_security_headers(r, config.corp_same_site);
  r.add_static("cache-control", policy_cache_control(Mode::put, r.status));
  r.add_static("content-type", "application/json");
  r.add_number("content-length", json.len);
  r.body = BodySource::text;
  r.text = std::string_view(out->upload_body, json.len);
}

// The put that writes the body, unless the key holds an object.
void ask_put(std::uint64_t size, std::string_view ct, Decision* out) {
  Plan put;
  put.op = StorageOp::put;
  out->upload_length = size;
  for (std::size_t i = 0; i < ct.size(); ++i) out->put_type[i] = ct[i];
  out->put_type_len = ct.size();
  ask_storage(out, put, Mode::put);
}

// The shim's facts contradict what decide_begin saw: 503, as decide_unreadable.
void protocol_broken(const Config& config, const RequestFacts& req, Decision* out) {
  answer(config, req, Reason::storage_unavailable, Mode::put, out);
}

// Storage failed an upload's operation: 503, the client retries.
void upload_storage_failed(const Config& config, const RequestFacts& req, StorageResult result, Decision* out) {
  answer(config, req, result == StorageResult::timeout ? Reason::storage_timeout : Reason::storage_unavailable,
         Mode::put, out);
}

// The phases after upload_begin: the first bytes against the declared
// family, the put's outcome, and, when the key was taken, whether it holds
// exactly these bytes. The declared type and size are read again from the
// request (decide_begin checked them); a request that no longer names an
// upload type is the shim breaking the protocol.
void upload_finish(const Config& config, const RequestFacts& req, const Plan& performed, const ObjectFacts& obj,
                   std::string_view key, Decision* out) {
  out->upload = true;
  char ct_buf[kMaxMediaTypeBytes];
  std::string_view header_type = media_type_of(req.content_type);
  std::uint64_t size = 0;
  if (header_type.size() > sizeof ct_buf || declared_length(req, &size) != Declared::ok || size == 0 || key.empty())
    return protocol_broken(config, req, out);
  for (std::size_t i = 0; i < header_type.size(); ++i) ct_buf[i] = ascii_lower(header_type[i]);
  const std::string_view ct(ct_buf, header_type.size());
  if (!upload_type_allowed(config, ct)) return protocol_broken(config, req, out);

  switch (performed.op) {
    case StorageOp::sniff:
      if (obj.result == StorageResult::incomplete || (obj.result == StorageResult::ok && obj.head.size() < performed.range.length))
        return answer(config, req, Reason::incomplete_upload, Mode::put, out);
      if (obj.result != StorageResult::ok) return upload_storage_failed(config, req, obj.result, out);
      // A body shorter than kSignatureBytes that still needs more bytes is
      // truncated for its family: a mismatch (media_signature.h).
      if (signature_check(signature_family_of_type(ct), obj.head) != SignatureCheck::match)
        return answer(config, req, Reason::signature_mismatch, Mode::put, out);
      return ask_put(size, ct, out);
    case StorageOp::put:
      switch (obj.result) {
        case StorageResult::ok:
          return respond_upload(config, Reason::upload_stored, key, obj.size, obj.etag, ct, out);
        case StorageResult::exists: {
          // Compare with what the key holds (a retry after a lost answer?).
          Plan compare;
          compare.op = StorageOp::head;
          compare.attempt = 2;
          out->upload_length = size;
          return ask_storage(out, compare, Mode::put);
        }
        case StorageResult::incomplete:
          return answer(config, req, Reason::incomplete_upload, Mode::put, out);
        default:
          return upload_storage_failed(config, req, obj.result, out);
      }
    case StorageOp::head:
      if (obj.result == StorageResult::ok) {
        // The same bytes: the same size and MD5 (R2's checksums.md5; a
        // multipart object has none, and is never taken for a retry).
        bool same = obj.size == size && obj.stored_md5.size() == 32 && obj.body_md5 == obj.stored_md5;
        if (same) return respond_upload(config, Reason::upload_retry, key, obj.size, obj.etag, ct, out);
        return answer(config, req, Reason::already_exists, Mode::put, out);
      }
      // Gone again since the put saw it: the client's retry will store it.
      return upload_storage_failed(config, req, obj.result == StorageResult::missing ? StorageResult::error : obj.result, out);
    default:
      break;
  }
  protocol_broken(config, req, out);
}

// ---- Resumable uploads (tus 1.0, docs/UPLOADS.md "Resumable uploads") --------
//
// The upload's state lives in a Durable Object; the shim reads it, and
// moves bytes, as the ops below ask, and reports what it found (TusFacts).
// Every status, limit, offset, part boundary and completion is decided here.

// A PATCH's lease on its upload: each call to the state object renews it,
// so only a dead PATCH loses it (docs/UPLOADS.md, "Lease and epoch").
constexpr std::int64_t kTusLeaseMs = 30000;
constexpr std::string_view kTusPatchType = "application/offset+octet-stream";

// The largest upload this token and this Worker allow.
std::uint64_t tus_limit(const Config& config, const TokenVerdict& v) {
  std::uint64_t limit = static_cast<std::uint64_t>(config.max_resumable_bytes);
  return v.max_bytes != 0 && v.max_bytes < limit ? v.max_bytes : limit;
}

// The query's token, verified for the key, a put token when the request
// writes: decide_begin's check, repeated by a tus request's decide_finish
// (which is handed no verdict). Missing or malformed: reason
// token_missing or token_malformed, mode none.
TokenVerdict request_token(const Config& config, const RequestFacts& req, std::string_view key, bool write) {
  char token[kMaxTokenBytes];
  std::size_t token_len = 0;
  TokenVerdict v;
  QueryToken qt = query_token(req.query, token, sizeof token, &token_len);
  if (qt != QueryToken::found) {
    v.reason = qt == QueryToken::absent ? Reason::token_missing : Reason::token_malformed;
    return v;
  }
  TokenPolicy policy;
  policy.now = req.now;
  policy.leeway = config.leeway;
  policy.max_ttl = config.max_ttl;
  policy.write = write;
  policy.max_upload_ttl = config.max_upload_ttl;
  return token_verify(std::string_view(token, token_len), key, config.keys, policy);
}

// An upload that can still be written to or asked about: created, not
// aborting, not past its expiry.
bool tus_live(const TusFacts& t, std::int64_t now) {
  return t.state != TusState::none && t.state != TusState::aborting && now < t.expires;
}

// Every byte is in and the object may not exist yet: the last part was
// recorded ("completing"), or, for an upload of at most one part (no part,
// every byte in the tail), the offset reached the length but the completion
// failed or was cut. HEAD and PATCH complete it first, so an offset equal to
// the length always means the object is stored. Bytes the family check has
// not passed are never completed (a PATCH checks them first), whatever
// offset the facts report.
bool tus_complete_due(const TusFacts& t) {
  return t.state == TusState::completing || (t.state == TusState::open && t.offset == t.length && t.family_ok);
}

// The put token expired: a request of an upload created while it was valid
// keeps working until the upload expires (docs/UPLOADS.md, "The put token").
bool tus_token_ok(const Config& config, const RequestFacts& req, const TokenVerdict& v, const TusFacts& t) {
  if (v.reason == Reason::serve_full) return true;
  return v.reason == Reason::token_expired && tus_live(t, req.now) &&
         static_cast<__int128>(t.created) <= static_cast<__int128>(v.exp) + config.leeway;
}

// The tus fields of an answer: every answer says the version spoken; an
// upload's answers say where it stands.
void tus_headers(const Config& config, const RequestFacts& req, Decision* out) {
  if (out->fetch || !is_tus(config, req)) return;
  Response& r = out->response;
  r.add_static("tus-resumable", "1.0.0");
  if (r.reason == Reason::tus_version) r.add_static("tus-version", "1.0.0");
}

void tus_answer(const Config& config, const RequestFacts& req, Reason reason, Decision* out) {
  answer(config, req, reason, Mode::put, out);
}

// Refusals that leave the upload as it was (the client can correct them),
// giving back a lease this request was granted.
void tus_refuse(const Config& config, const RequestFacts& req, Reason reason, bool granted, Decision* out) {
  tus_answer(config, req, reason, out);
  out->tus_release = granted;
}

// Refusals of the upload itself: abort it, so nothing is stored under the key.
void tus_reject(const Config& config, const RequestFacts& req, Reason reason, Decision* out) {
  tus_answer(config, req, reason, out);
  out->tus_abort = true;
}

// Upload-Offset and Upload-Expires (HEAD also Upload-Length): where the upload stands.
void tus_position(const Config& config, const RequestFacts& req, Reason reason, const TusFacts& t, Decision* out) {
  tus_answer(config, req, reason, out);
  Response& r = out->response;
  r.add_number("upload-offset", t.offset);
  if (is_head(req)) r.add_number("upload-length", t.length);
  char date[32];
  std::size_t n = http_date_format(t.expires, date);
  if (n) r.add_copy("upload-expires", std::string_view(date, n));
}

// 201: the upload's URL is the request's own (the same path and token: one
// open upload per key), and when it expires.
void tus_created(const Config& config, const RequestFacts& req, const TusFacts& t, Decision* out) {
  tus_answer(config, req, Reason::upload_created, out);
  Response& r = out->response;
  char location[3 + 3 * kMaxKeyBytes + 3 + kMaxTokenBytes];
  std::size_t n = 0;
  char token[kMaxTokenBytes];
  std::size_t token_len = 0;
  if (query_token(req.query, token, sizeof token, &token_len) != QueryToken::found || req.path.size() > 3 + 3 * kMaxKeyBytes)
    return tus_answer(config, req, Reason::storage_unavailable, out);
  for (char c : req.path) location[n++] = c;
  for (char c : std::string_view("?t=")) location[n++] = c;
  for (std::size_t i = 0; i < token_len; ++i) location[n++] = token[i];
  r.add_copy("location", std::string_view(location, n));
  char date[32];
  std::size_t d = http_date_format(t.expires, date);
  if (d) r.add_copy("upload-expires", std::string_view(date, d));
}

void tus_ask(Decision* out, StorageOp op) {
  Plan p;
  p.op = op;
  ask_storage(out, p, Mode::put);
}

// What a POST declares: the length, and the type in Upload-Metadata's
// `filetype`, checked in the single PUT's order against the token.
struct TusCreation {
  Reason refuse = Reason::count_;
  std::uint64_t length = 0;
  char type[kMaxMediaTypeBytes];
  std::size_t type_len = 0;
};
TusCreation tus_creation(const Config& config, const RequestFacts& req, const TokenVerdict& v) {
  TusCreation c;
  unsigned char filetype[kMaxMediaTypeBytes];
  std::size_t filetype_len = 0;
  std::uint64_t body = 0;
  TusMetadata meta = tus_metadata_get(req.upload_metadata, "filetype", filetype, sizeof filetype, &filetype_len);
  const std::string_view declared(reinterpret_cast<const char*>(filetype), filetype_len);
  const std::string_view ct = v.ct_view();
  // No creation-with-upload: a POST carries no body.
  bool body_ok = req.content_length.empty() || (decimal_parse_u64(ascii_trim_ows(req.content_length), &body) && body == 0);
  if (!tus_parse_number(req.upload_length, &c.length) || meta == TusMetadata::malformed || !body_ok)
    c.refuse = Reason::bad_tus_header;
  else if (!upload_type_allowed(config, ct)) c.refuse = Reason::unsupported_type;
  else if (meta == TusMetadata::absent || !ascii_iequals(media_type_of(declared), ct)) c.refuse = Reason::type_mismatch;
  else if (c.length == 0) c.refuse = Reason::empty_upload;
  else if (c.length > tus_limit(config, v)) c.refuse = Reason::too_large;
  for (std::size_t i = 0; i < ct.size(); ++i) c.type[i] = ascii_lower(ct[i]);
  c.type_len = ct.size();
  return c;
}

// decide_begin's part of a tus request, after the key, token and revocation.
void tus_begin_request(const Config& config, const RequestFacts& req, const TokenVerdict& v, Decision* out) {
  if (req.method == "POST") {
    TusCreation c = tus_creation(config, req, v);
    if (c.refuse != Reason::count_) return tus_answer(config, req, c.refuse, out);
    return tus_ask(out, StorageOp::tus_state);
  }
  if (req.method == "PATCH") {
    std::uint64_t claimed = 0, body = 0;
    if (!ascii_iequals(media_type_of(req.content_type), kTusPatchType))
      return tus_answer(config, req, Reason::bad_content_type, out);
    if (!tus_parse_number(req.upload_offset, &claimed) ||
        (!req.content_length.empty() && !decimal_parse_u64(ascii_trim_ows(req.content_length), &body)))
      return tus_answer(config, req, Reason::bad_tus_header, out);
    Plan p;
    p.op = StorageOp::tus_begin;
    p.range.kind = RangeHintKind::offset_length;
    p.range.offset = claimed;
    out->tus_lease_ms = kTusLeaseMs;
    return ask_storage(out, p, Mode::put);
  }
  // HEAD and DELETE start from the upload's state.
  tus_ask(out, StorageOp::tus_state);
}

// The op that moves a PATCH's body (after the family check, when needed).
void tus_ask_patch(const TusFacts& t, bool family_ok, Decision* out) {
  Plan p;
  p.op = StorageOp::tus_patch;
  p.range.kind = RangeHintKind::offset_length;
  p.range.offset = t.offset;
  p.range.length = t.length;
  out->tus_part_size = t.part_size;
  out->tus_family_ok = family_ok;
  out->tus_lease_ms = kTusLeaseMs;
  ask_storage(out, p, Mode::put);
}

void tus_ask_complete(const TusFacts& t, Decision* out) {
  Plan p;
  p.op = StorageOp::tus_complete;
  p.range.kind = RangeHintKind::offset_length;
  p.range.length = t.length;
  out->tus_part_size = t.part_size;
  out->upload_length = t.length;
  ask_storage(out, p, Mode::put);
}

// A storage or state-object failure: 503, the client retries (tus-js-client
// retries 5xx); a PATCH gives its lease back.
void tus_failed(const Config& config, const RequestFacts& req, StorageResult result, bool granted, Decision* out) {
  tus_refuse(config, req, result == StorageResult::timeout ? Reason::storage_timeout : Reason::storage_unavailable,
             granted, out);
}

// POST, once the state is known.
void tus_post(const Config& config, const RequestFacts& req, const TokenVerdict& v, const Plan& performed,
              const ObjectFacts& obj, Decision* out) {
  TusCreation c = tus_creation(config, req, v);
  if (c.refuse != Reason::count_) return protocol_broken(config, req, out);
  const TusFacts& t = obj.tus;
  switch (performed.op) {
    case StorageOp::tus_state:
    case StorageOp::tus_create:
      if (obj.result != StorageResult::ok && obj.result != StorageResult::exists)
        return tus_failed(config, req, obj.result, false, out);
      if (performed.op == StorageOp::tus_create && obj.result == StorageResult::ok) return tus_created(config, req, t, out);
      // An expired token only retries the creation of an upload made while it was valid.
      if (!tus_token_ok(config, req, v, t) || (v.reason != Reason::serve_full && !(tus_live(t, req.now) && t.length == c.length)))
        return tus_answer(config, req, v.reason, out);
      if (tus_live(t, req.now)) {
        // A retried POST: the same upload. Another length: another upload,
        // or, once this one is stored, an object in the way.
        if (t.length == c.length) return tus_created(config, req, t, out);
        return tus_answer(config, req, t.state == TusState::done ? Reason::already_exists : Reason::upload_exists, out);
      }
      // Being cleaned up (terminated, or expired before its alarm ran): retry shortly.
      if (t.state != TusState::none && t.state != TusState::done) return tus_failed(config, req, StorageResult::error, false, out);
      if (performed.op == StorageOp::tus_create) return tus_failed(config, req, StorageResult::error, false, out);
      // No upload: is the key free? (Never an overwrite.)
      {
        Plan head;
        head.op = StorageOp::head;
        return ask_storage(out, head, Mode::put);
      }
    case StorageOp::head:
      if (obj.result == StorageResult::ok) return tus_answer(config, req, Reason::already_exists, out);
      if (obj.result != StorageResult::missing) return tus_failed(config, req, obj.result, false, out);
      {
        Plan create;
        create.op = StorageOp::tus_create;
        out->tus_part_size = tus_part_size(c.length);
        // Saturating: `now` is any 64-bit time to the core (the ABI's stay below 2^53).
        out->tus_expires = req.now > INT64_MAX - config.upload_expiry ? INT64_MAX : req.now + config.upload_expiry;
        out->upload_length = c.length;
        for (std::size_t i = 0; i < c.type_len; ++i) out->put_type[i] = c.type[i];
        out->put_type_len = c.type_len;
        return ask_storage(out, create, Mode::put);
      }
    default:
      return protocol_broken(config, req, out);
  }
}

// The completion's outcome (HEAD or PATCH): stored, or refused and aborted.
void tus_completed(const Config& config, const RequestFacts& req, const ObjectFacts& obj, bool granted, Decision* out) {
  switch (obj.result) {
    case StorageResult::ok:
      if (is_head(req)) return tus_position(config, req, Reason::upload_completed_head, obj.tus, out);
      tus_position(config, req, Reason::upload_completed, obj.tus, out);
      out->tus_release = granted;
      return;
    case StorageResult::exists:
      return tus_reject(config, req, Reason::already_exists, out);
    case StorageResult::stale:
      return tus_answer(config, req, Reason::upload_stale, out);
    default:
      return tus_failed(config, req, obj.result, granted, out);
  }
}

// HEAD: where the upload stands (a completing one is completed first, so
// an offset equal to the length means the object is there).
void tus_head(const Config& config, const RequestFacts& req, const TokenVerdict& v, const Plan& performed,
              const ObjectFacts& obj, Decision* out) {
  const TusFacts& t = obj.tus;
  if (performed.op == StorageOp::tus_complete) return tus_completed(config, req, obj, false, out);
  if (performed.op != StorageOp::tus_state) return protocol_broken(config, req, out);
  if (obj.result != StorageResult::ok) return tus_failed(config, req, obj.result, false, out);
  // The token before the upload (the contract's order): an expired one
  // that no live upload made while it was valid covers is 401, not 404.
  if (!tus_token_ok(config, req, v, t)) return tus_answer(config, req, v.reason, out);
  if (!tus_live(t, req.now)) return tus_answer(config, req, Reason::upload_missing, out);
  if (tus_complete_due(t)) return tus_ask_complete(t, out);
  tus_position(config, req, Reason::upload_offset, t, out);
}

// DELETE: terminate an open upload (its parts and state go at once).
void tus_delete(const Config& config, const RequestFacts& req, const TokenVerdict& v, const Plan& performed,
                const ObjectFacts& obj, Decision* out) {
  const TusFacts& t = obj.tus;
  if (performed.op == StorageOp::tus_terminate) {
    if (obj.result != StorageResult::ok) return tus_failed(config, req, obj.result, false, out);
    return tus_answer(config, req, Reason::upload_terminated, out);
  }
  if (performed.op != StorageOp::tus_state) return protocol_broken(config, req, out);
  if (obj.result != StorageResult::ok) return tus_failed(config, req, obj.result, false, out);
  // A finished upload is an object: termination never deletes objects.
  if (!tus_token_ok(config, req, v, t)) return tus_answer(config, req, v.reason, out);
  if (!tus_live(t, req.now) || t.state == TusState::done) return tus_answer(config, req, Reason::upload_missing, out);
  tus_ask(out, StorageOp::tus_terminate);
}

// PATCH: the lease, the offset, the family check, the bytes, the completion.
void tus_patch(const Config& config, const RequestFacts& req, const TokenVerdict& v, const Plan& performed,
               const ObjectFacts& obj, Decision* out) {
  const TusFacts& t = obj.tus;
  switch (performed.op) {
    case StorageOp::tus_begin: {
      if (obj.result != StorageResult::ok) return tus_failed(config, req, obj.result, false, out);
      const bool granted = t.lease == TusLease::granted;
      if (!tus_token_ok(config, req, v, t)) return tus_refuse(config, req, v.reason, granted, out);
      if (t.lease == TusLease::none || !tus_live(t, req.now))
        return tus_refuse(config, req, Reason::upload_missing, granted, out);
      if (t.lease == TusLease::held) return tus_answer(config, req, Reason::upload_locked, out);
      if (t.lease == TusLease::mismatch || t.offset != performed.range.offset)
        return tus_refuse(config, req, Reason::offset_mismatch, granted, out);
      // This token must allow this upload (another key's token cannot reach it).
      if (!ascii_iequals(v.ct_view(), t.content_type)) return tus_refuse(config, req, Reason::type_mismatch, true, out);
      if (t.length > tus_limit(config, v)) return tus_refuse(config, req, Reason::too_large, true, out);
      std::uint64_t body = 0;
      if (!req.content_length.empty() && decimal_parse_u64(ascii_trim_ows(req.content_length), &body) &&
          body > t.length - t.offset) {
        // Bytes past the end: the upload is refused, unless all of it is
        // already in (stored, or completing): then only this PATCH is.
        if (t.state == TusState::done || tus_complete_due(t)) return tus_refuse(config, req, Reason::too_large, true, out);
        return tus_reject(config, req, Reason::too_large, out);
      }
      if (tus_complete_due(t)) return tus_ask_complete(t, out);
      if (t.state == TusState::done) {
        tus_position(config, req, Reason::upload_progress, t, out);
        out->tus_release = true;
        return;
      }
      if (t.family_ok) return tus_ask_patch(t, true, out);
      // The family check reads the upload's first bytes before any is
      // written to R2: what the state object holds, then this body's.
      Plan sniff;
      sniff.op = StorageOp::sniff;
      sniff.range.kind = RangeHintKind::offset_length;
      sniff.range.offset = t.offset;
      sniff.range.length = t.length < kSignatureBytes ? t.length : kSignatureBytes;
      out->tus_lease_ms = kTusLeaseMs;
      return ask_storage(out, sniff, Mode::put);
    }
    case StorageOp::sniff: {
      if (obj.result == StorageResult::stale) return tus_answer(config, req, Reason::upload_stale, out);
      if (obj.result != StorageResult::ok && obj.result != StorageResult::incomplete)
        return tus_failed(config, req, obj.result, true, out);
      // Fewer bytes than the check reads: this body is all there is for
      // now (shorter than the check, so shorter than a part); the next
      // PATCH checks again, with them.
      if (obj.head.size() < performed.range.length) return tus_ask_patch(t, false, out);
      if (signature_check(signature_family_of_type(t.content_type), obj.head) != SignatureCheck::match)
        return tus_reject(config, req, Reason::signature_mismatch, out);
      return tus_ask_patch(t, true, out);
    }
    case StorageOp::tus_patch:
      switch (obj.result) {
        case StorageResult::overflow:
          return tus_reject(config, req, Reason::too_large, out);
        case StorageResult::stale:
          return tus_answer(config, req, Reason::upload_stale, out);
        case StorageResult::ok:
        case StorageResult::incomplete:
          if (tus_complete_due(t)) return tus_ask_complete(t, out);
          tus_position(config, req, Reason::upload_progress, t, out);
          out->tus_release = true;
          return;
        default:
          return tus_failed(config, req, obj.result, true, out);
      }
    case StorageOp::tus_complete:
      return tus_completed(config, req, obj, true, out);
    default:
      return protocol_broken(config, req, out);
  }
}

// decide_finish's part of a tus request.
void tus_finish(const Config& config, const RequestFacts& req, const Plan& performed, const ObjectFacts& obj,
                std::string_view key, Decision* out) {
  out->upload = true;
  const TokenVerdict v = request_token(config, req, key, true);
  if (v.reason != Reason::serve_full && v.reason != Reason::token_expired) return protocol_broken(config, req, out);
  if (req.method == "POST") return tus_post(config, req, v, performed, obj, out);
  if (req.method == "HEAD") return tus_head(config, req, v, performed, obj, out);
  if (req.method == "DELETE") return tus_delete(config, req, v, performed, obj, out);
  if (req.method == "PATCH") return tus_patch(config, req, v, performed, obj, out);
  protocol_broken(config, req, out);
}

void begin(const Config& config, const RequestFacts& req, Decision* out) {
  reset(out);
  // Keep the snapshot fresh whatever this request's answer is; a failed
  // load is retried after a backoff, not on every request.
  out->refresh_revocations = req.revocation != RevocationState::disabled && may_load(config, req);

  // Facts that did not fit were not read at all (not even the method):
  // RFC 6585 section 5, request header fields too large.
  if (req.too_large) return answer(config, req, Reason::request_too_large, Mode::none, out);
  // docs/CONTRACT.md section 4 order: method, configuration, key syntax, key
  // prefix, token, revocation, then storage.
  const bool tus = is_tus(config, req);
  const bool write = is_upload(config, req) || tus;
  if (req.method != "GET" && req.method != "HEAD" && !write)
    return answer(config, req, Reason::method_not_allowed, Mode::none, out);
  out->upload = write;
  if (!config.problem.empty() || !config.has_bucket || config.secret.empty())
    return answer(config, req, Reason::not_configured, Mode::none, out);
  // tus: OPTIONS is discovery (no key, no token); every other request must
  // speak tus 1.0.0 (412, with the versions spoken).
  if (tus && req.method == "OPTIONS") {
    answer(config, req, Reason::tus_options, Mode::none, out);
    out->response.add_static("tus-version", "1.0.0");
    out->response.add_static("tus-extension", "creation,termination,expiration");
    out->response.add_number("tus-max-size", static_cast<std::uint64_t>(config.max_resumable_bytes));
    return;
  }
  if (tus && !tus_resumable_ok(req.tus_resumable))
    return answer(config, req, Reason::tus_version, Mode::none, out);

  if (!request_key(req, out)) return answer(config, req, Reason::bad_key, Mode::none, out);
  std::string_view key = out->key_view();
  if (!key_prefix_allowed(key, config.prefixes, config.n_prefixes))
    return answer(config, req, Reason::prefix_not_allowed, Mode::none, out);

  TokenVerdict v = request_token(config, req, key, write);
  // An expired put token may still finish an upload created before it
  // expired (or retry its creation): decided once the upload's state is known.
  const bool deferred = tus && v.reason == Reason::token_expired;
  if (v.reason != Reason::serve_full && !deferred) return answer(config, req, v.reason, v.mode, out);

  if (revocation_answers(config, req, key, v.mode, out)) return;
  if (tus) return tus_begin_request(config, req, v, out);
  if (write) return upload_begin(config, req, v, out);

  Plan plan;
  if (is_head(req)) {
    plan.op = StorageOp::head;
  } else {
    plan.op = StorageOp::get;
    plan.range = range_hint(req.range);
  }
  // Public objects may come from the edge cache, keyed by the token-free
  // canonical path: every spelling of the key's URL shares one entry.
  out->cache_lookup = v.mode == Mode::pub && config.edge_cache && key_quote_into(key, out);
  ask_storage(out, plan, v.mode);
}

// ---- decide_finish: the RFC 9110 steps, in order ---------------------------

// What the finish phase works from: the request, the token's mode, the read
// performed, what it returned, and the request's key (decide_begin's, echoed).
struct Finish {
  const Config& config;
  const RequestFacts& req;
  Mode mode;
  const Plan& performed;
  const ObjectFacts& obj;
  std::string_view key;
  Decision* out;
};

// A first read that named a range (not the whole object).
bool ranged_first_read(const Plan& p) {
  return p.attempt == 1 && p.op == StorageOp::get && p.range.kind != RangeHintKind::whole &&
         p.range.kind != RangeHintKind::needs_size;
}

// The storage outcome (docs/CONTRACT.md section 5): true when it settles the
// decision (an answer, or one more read); false for a usable object.
bool storage_outcome(const Finish& f) {
  Decision* out = f.out;
  // A cache entry whose metadata this version cannot read is a miss: read
  // the same plan from storage (the cache read cost no storage operation).
  if (f.obj.source == ObjectSource::cache && f.obj.result != StorageResult::ok &&
      f.obj.result != StorageResult::invalid_range) {
    ask_storage(out, f.performed, f.mode);
    return true;
  }
  out->cache_lookup = f.mode == Mode::pub && f.config.edge_cache && key_quote_into(f.key, out);
  switch (f.obj.result) {
    case StorageResult::ok:
      return false;
    case StorageResult::error:
      // A ranged read can fail for range reasons storage does not name
      // (Miniflare reports "Unspecified error (0)" for a range on an empty
      // object): read the whole object once. In a real outage that read
      // fails too, and the answer is the same 503.
    case StorageResult::invalid_range:
      // R2 refuses a range that starts at or past the end. Read the whole
      // object once: that gives the size for 416, or the bytes for 200.
      if (ranged_first_read(f.performed)) ask_storage(out, whole_plan(), f.mode);
      else answer(f.config, f.req, Reason::storage_unavailable, f.mode, out);
      return true;
    case StorageResult::timeout:
      // Slow, not failing: a second read would wait out another deadline.
      answer(f.config, f.req, Reason::storage_timeout, f.mode, out);
      return true;
    case StorageResult::missing:
      answer(f.config, f.req, Reason::object_missing, f.mode, out);
      return true;
    case StorageResult::exists:
    case StorageResult::incomplete:
    case StorageResult::stale:
    case StorageResult::overflow:
      // Upload outcomes: a read reporting one is the shim breaking the protocol.
      answer(f.config, f.req, Reason::storage_unavailable, f.mode, out);
      return true;
  }
  return true;
}

// The object's validators (RFC 9110 8.8): its ETag when it is an
// entity-tag (etag.h; otherwise it is not sent and never matches, rather
// than being echoed into a header), and its upload time.
Validators object_validators(const ObjectFacts& obj) {
  EntityTag tag;
  Validators v;
  v.etag = etag_parse_whole(obj.etag, &tag) ? obj.etag : std::string_view{};
  v.last_modified = obj.uploaded;
  v.has_last_modified = true;
  return v;
}

// RFC 9110 15.4.5: 304 carries the validators a 200 would, and no body.
void respond_not_modified(const Finish& f, const Validators& val) {
  Response& r = f.out->response;
  r.clear();
  r.reason = Reason::not_modified;
  r.status = 304;
  r.mode = f.mode;
  policy_security_headers(r, f.config.corp_same_site);
  r.add_static("cache-control", policy_cache_control(f.mode, 304));
  if (!val.etag.empty()) r.add_copy("etag", val.etag);
}

// RFC 9110 13.2.2 steps 1-4; true when they settle the answer (412 or 304).
bool preconditions(const Finish& f, const Validators& val) {
  switch (preconditions_evaluate(f.req.cond, val, f.req.now)) {
    case Precondition::failed:
      answer(f.config, f.req, Reason::precondition_failed, f.mode, f.out);
      return true;
    case Precondition::not_modified:
      respond_not_modified(f, val);
      return true;
    case Precondition::proceed:
      return false;
  }
  return false;
}

// RFC 9110 13.2.2 step 5, 14.2 and 13.1.5: the Range header against the
// object, ignored when If-Range says the client's copy is stale.
RangeResult range_with_if_range(const Finish& f, const Validators& val) {
  RangeResult rr = range_resolve(f.req.range, f.obj.size);
  if ((rr.outcome == RangeOutcome::satisfiable || rr.outcome == RangeOutcome::unsatisfiable) &&
      !if_range_allows(f.req.cond.if_range, val, f.req.now))
    rr.outcome = RangeOutcome::ignored;
  return rr;
}

// RFC 9110 15.5.17 and 14.4: 416 with "bytes */size".
void respond_range_not_satisfiable(const Finish& f) {
  answer(f.config, f.req, Reason::range_not_satisfiable, f.mode, f.out);
  char buf[8 + kDecimalU64Digits] = "bytes */";
  std::size_t n = 8 + decimal_format_u64(f.obj.size, buf + 8);
  f.out->response.add_copy("content-range", std::string_view(buf, n));
}

// A GET streams what storage returned, so that must be exactly `want`
// (storage_plan.h). True when it is not: one exact re-read, or, when the
// object changed between the two reads, 503 (fail closed; the client retries).
bool reread_unless_span(const Finish& f, ByteSpan want) {
  if (is_head(f.req) || f.obj.size == 0) return false;
  StorageRead got = storage_read(f.performed, f.obj.size);
  if (got.has_span && got.span.first == want.first && got.span.last == want.last) return false;
  if (f.performed.attempt == 1) ask_storage(f.out, exact_plan(want, f.obj.size), f.mode);
  else answer(f.config, f.req, Reason::storage_unavailable, f.mode, f.out);
  return true;
}

// RFC 9110 14.4: "bytes first-last/size".
void add_content_range(Response* r, ByteSpan span, std::uint64_t size) {
  char buf[6 + 3 * kDecimalU64Digits + 2] = "bytes ";
  std::size_t n = 6;
  n += decimal_format_u64(span.first, buf + n);
  buf[n++] = '-';
  n += decimal_format_u64(span.last, buf + n);
  buf[n++] = '/';
  n += decimal_format_u64(size, buf + n);
  r->add_copy("content-range", std::string_view(buf, n));
}

// RFC 9110 15.3.1 and 15.3.7: 200 with the whole object, or 206 with `want`.
void respond_object(const Finish& f, const Validators& val, bool partial, ByteSpan want) {
  const bool empty = f.obj.size == 0;
  Response& r = f.out->response;
  r.clear();
  r.reason = partial ? Reason::serve_partial : Reason::serve_full;
  r.status = partial ? 206 : 200;
  r.mode = f.mode;
  policy_security_headers(r, f.config.corp_same_site);
  r.add_static("cache-control", policy_cache_control(f.mode, r.status));
  char ct_buf[kContentTypeBuf];
  ContentType ct = policy_content_type(f.obj.content_type, f.key, ct_buf);
  r.add_copy("content-type", ct.type);
  if (ct.attachment) r.add_static("content-disposition", "attachment");
  r.add_number("content-length", empty ? 0 : want.length());
  if (partial) add_content_range(&r, want, f.obj.size);
  r.add_static("accept-ranges", "bytes");
  if (!val.etag.empty()) r.add_copy("etag", val.etag);
  char date[kHttpDateLen];
  if (http_date_format(f.obj.uploaded, date) == kHttpDateLen)
    r.add_copy("last-modified", std::string_view(date, kHttpDateLen));
  if (!empty) {
    r.has_span = true;
    r.span = want;
  }
  r.body = (!is_head(f.req) && !empty) ? BodySource::object : BodySource::none;
}

// The edge cache, from a storage read under a public token (never private,
// never an error, never a HEAD): a read of the whole object is stored as it
// streams; a Range read fills the entry in the background with a second,
// whole read, when the object is small enough for that read to finish
// within the runtime's waitUntil time (Config::edge_cache_fill_max).
void fill_edge_cache(const Finish& f, ByteSpan want) {
  const ObjectFacts& obj = f.obj;
  Decision* out = f.out;
  const bool whole = want.first == 0 && want.last + 1 == obj.size;
  const bool fill = !whole && obj.size <= f.config.edge_cache_fill_max;
  if (f.mode == Mode::pub && f.config.edge_cache && !is_head(f.req) && obj.source == ObjectSource::storage &&
      obj.size != 0 && (whole || fill) && obj.size <= kMaxCacheableBytes && key_quote_into(f.key, out)) {
    out->cache_object_len = cache_object_write(obj, out->cache_object, sizeof out->cache_object);
    out->cache_store = whole && out->cache_object_len > 0;
    out->cache_fill = fill && out->cache_object_len > 0;
    out->cache_fill_length = out->cache_fill ? obj.size : 0;
  }
}

void finish(const Finish& f) {
  if (storage_outcome(f)) return;
  const Validators val = object_validators(f.obj);
  if (preconditions(f, val)) return;
  RangeResult rr = range_with_if_range(f, val);
  if (rr.outcome == RangeOutcome::unsatisfiable) return respond_range_not_satisfiable(f);
  const bool partial = rr.outcome == RangeOutcome::satisfiable;
  const ByteSpan want = partial ? rr.span : ByteSpan{0, f.obj.size == 0 ? 0 : f.obj.size - 1};
  if (reread_unless_span(f, want)) return;
  respond_object(f, val, partial, want);
  fill_edge_cache(f, want);
}

// What every final answer carries besides status and headers: whether to
// log it (a cache lookup that timed out is logged like a fault), the request
// id and the key as the log line may show them (loggable.h), the
// fingerprints for a bad signature, and the debug header. Successes are
// sampled. Denials and errors are logged up to the isolate's budget per
// second (every one is counted in the metric regardless), then sampled as
// successes are; each line says its rate, so counts weight back
// (docs/OBSERVABILITY.md). The log fields start cleared (reset).
void observe(const Config& config, const RequestFacts& req, Decision* out) {
  out->cache_deadline_ms = cache_deadline(config);
  if (out->fetch) return;
  Response& r = out->response;
  bool success = r.status >= 200 && r.status < 400;
  bool within_budget = !success && req.log_recent < config.log_denial_budget;
  // Every upload's outcome is logged (uploads are few, and each one matters).
  bool unsampled = within_budget || req.cache_timed_out || (out->upload && success);
  out->log = unsampled || req.sample < config.log_sample_ppm;
  out->log_sample_ppm = unsampled ? 1000000 : config.log_sample_ppm;
  out->log_budget = out->log && !success;
  if (request_id_loggable(req.request_id)) out->request_id = req.request_id;
  out->key_len = key_redact(out->key, out->key_len);
  out->log_fingerprints = out->log && r.reason == Reason::token_bad_signature;
  if (config.debug_headers) r.add_static("x-mediagate-reason", reason_info(r.reason).name);
}

}  // namespace

bool revocation_fresh(const Config& config, const RevocationView& view, std::int64_t now) {
  // In 128 bits: a clock and a build time far apart must not overflow (UBSan, fuzz `decision`).
  return static_cast<__int128>(now) - view.built_at <= config.revocation_max_stale;
}

std::int64_t cache_deadline(const Config& config) {
  return config.storage_timeout_ms < kCacheDeadlineMs ? config.storage_timeout_ms : kCacheDeadlineMs;
}

void decide_begin(const Config& config, const RequestFacts& req, Decision* out) {
  begin(config, req, out);
  out->deadline_ms = config.storage_timeout_ms;
  tus_headers(config, req, out);
  observe(config, req, out);
}

void decide_finish(const Config& config, const RequestFacts& req, Mode mode, std::string_view key,
                   const Plan& performed, const ObjectFacts& obj, Decision* out) {
  if (req.too_large || key.empty() || key.size() > kMaxKeyBytes) return decide_unreadable(config, req, mode, out);
  reset(out);
  out->mode = mode;
  // The key decide_begin decoded, echoed: copied, not decoded again (it may
  // be out->key itself, Decision::key_view()).
  if (key.data() != out->key) std::memcpy(out->key, key.data(), key.size());
  out->key_len = key.size();
  key = out->key_view();
  // An upload's phases, and only an upload's (a read never sniffs or puts;
  // only tus asks the upload state object).
  const bool tus = is_tus(config, req);
  const bool write = is_upload(config, req) || tus;
  const bool write_op = performed.op != StorageOp::get && performed.op != StorageOp::head;
  const bool tus_op = write_op && performed.op != StorageOp::sniff && performed.op != StorageOp::put;
  if (write != (mode == Mode::put) || (write_op && !write) || (tus_op && !tus) || (tus && performed.op == StorageOp::put))
    return decide_unreadable(config, req, mode, out);
  if (tus) tus_finish(config, req, performed, obj, key, out);
  else if (write) upload_finish(config, req, performed, obj, key, out);
  else finish(Finish{config, req, mode, performed, obj, key, out});
  out->deadline_ms = config.storage_timeout_ms;
  tus_headers(config, req, out);
  observe(config, req, out);
}

void decide_unreadable(const Config& config, const RequestFacts& req, Mode mode, Decision* out) {
  reset(out);
  out->upload = is_write(config, req);
  if (req.too_large) answer(config, req, Reason::request_too_large, Mode::none, out);
  else answer(config, req, Reason::storage_unavailable, mode, out);
  out->deadline_ms = config.storage_timeout_ms;
  tus_headers(config, req, out);
  observe(config, req, out);
}

}  // namespace mg
