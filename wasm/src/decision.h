// The gate's decision: request facts and `now` in; either an answer, or one
// storage operation to perform and then an answer (docs/ARCHITECTURE.md).
//
//   decide_begin(config, request)            -> respond | fetch(plan)
//   decide_finish(config, request, key, plan, obj) -> respond | fetch(exact plan)
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
#include "revocation.h"
#include "token.h"

namespace mg {

constexpr std::size_t kMaxPrefixes = 16;
constexpr std::size_t kMaxUploadTypes = 16;

struct Config {
  // Secrets already trimmed of surrounding whitespace; empty = not set.
  std::string_view secret;
  std::string_view secret_previous;
  // HMAC key state of {secret, secret_previous}, computed once by
  // config_load (token.h, TokenKeys): a request pays no key setup.
  TokenKeys keys;
  std::string_view prefixes[kMaxPrefixes];
  std::size_t n_prefixes = 0;
  std::int64_t leeway = 60;
  std::int64_t max_ttl = 3600;
  bool corp_same_site = false;
  bool has_bucket = false;
  // Revocation (docs/CONTRACT.md section 7, docs/REVOCATION.md).
  bool revocation_fail_closed = false;      // MEDIA_REVOCATION_MODE = "closed"
  // The hard snapshot age, from its build time (docs/REVOCATION.md, "The
  // bound"): past it a request waits for a fresh snapshot before deciding;
  // if none comes, closed mode answers 503 and open mode serves (flagged stale).
  std::int64_t revocation_max_stale = 300;
  std::int64_t revocation_refresh = 30;     // load attempts at most this often (doubling after failures)
  // The public edge cache (Cache API) for public GET/HEAD.
  bool edge_cache = true;                   // MEDIA_EDGE_CACHE = "on" | "off"
  // Logs (docs/CONTRACT.md section 8, docs/OBSERVABILITY.md): 2xx/3xx are
  // sampled at this rate (per million); denials and errors always logged.
  std::uint32_t log_sample_ppm = 10000;     // MEDIA_LOG_SAMPLE_RATE, default 0.01
  bool debug_headers = false;               // MEDIA_DEBUG_HEADERS = "on": x-mediagate-reason
  // How long the shim waits for one storage operation before reporting
  // `result timeout` (503 storage_unavailable, reason storage_timeout).
  // MEDIA_STORAGE_TIMEOUT_MS.
  std::int64_t storage_timeout_ms = 10000;
  // Issue 16. A public Range read from storage fills the edge cache with the
  // whole object in the background when it is at most this many bytes
  // (MEDIA_EDGE_CACHE_FILL_MAX_BYTES; 0: never). Denial and error log lines:
  // this many per second per isolate, then sampled at log_sample_ppm
  // (MEDIA_LOG_DENIAL_BUDGET).
  std::uint64_t edge_cache_fill_max = 16ull * 1024 * 1024;
  std::uint32_t log_denial_budget = 20;
  // Uploads (docs/UPLOADS.md): off unless MEDIA_UPLOADS = "on". The media
  // types a put token's ct may name (MEDIA_UPLOAD_TYPES: each has a signature
  // family), the largest single PUT (MEDIA_MAX_UPLOAD_BYTES) and the longest
  // put-token lifetime (MEDIA_MAX_UPLOAD_TTL_SECONDS).
  bool uploads = false;
  std::string_view upload_types[kMaxUploadTypes];
  std::size_t n_upload_types = 0;
  std::int64_t max_upload_bytes = 104857600;
  std::int64_t max_upload_ttl = 3600;
  // Resumable uploads (tus 1.0, docs/UPLOADS.md "Resumable uploads"): on
  // when uploads are and the MEDIA_UPLOAD_STATE Durable Object is bound.
  // The largest upload (MEDIA_MAX_RESUMABLE_BYTES) and the lifetime of an
  // unfinished one (MEDIA_UPLOAD_EXPIRY_SECONDS).
  bool has_upload_state = false;
  std::int64_t max_resumable_bytes = 4294967296;
  std::int64_t upload_expiry = 86400;
  // Set by config validation: the first missing or invalid setting's name,
  // empty when the configuration is usable.
  std::string_view problem;
};

// What the isolate knows of the revocation list when the request arrives.
enum class RevocationState : std::uint8_t {
  disabled,     // no MEDIA_REVOCATIONS binding: serve without revocation
  unavailable,  // no snapshot is held (none loaded yet, or every load failed)
  loaded,       // `revocations` below is the snapshot (its age comes from its built_at)
};

struct RequestFacts {
  std::string_view method;
  std::string_view path;   // URL path as received, percent-encoded, starts with "/m/"
  std::string_view query;  // URL query, with or without the leading '?'
  std::int64_t now = 0;    // unix seconds
  std::string_view range;
  ConditionalHeaders cond;
  RevocationState revocation = RevocationState::disabled;
  // Seconds since the last snapshot load attempt started (successful or
  // not; the isolate's first request: since the epoch).
  std::int64_t revocation_age = 0;
  // Consecutive failed load attempts (0 after a success): the backoff.
  std::uint32_t revocation_failures = 0;
  // Milliseconds since the load in flight started; kNoLoad: none.
  static constexpr std::uint32_t kNoLoad = 0xffffffffu;
  std::uint32_t revocation_loading_ms = kNoLoad;
  // The snapshot held (`loaded`); its built_at is the time its coverage starts.
  RevocationView revocations;
  // A uniform random number in 0..999999 from the shim, for log sampling.
  std::uint32_t sample = 0;
  std::string_view request_id;  // the x-request-id header, if any
  // The edge cache lookup of this request outlived its deadline (read as a
  // miss): the answer is logged whatever the sampling says.
  bool cache_timed_out = false;
  // The shim could not fit the request's facts in the input (protocol.h,
  // kInputCut): nothing above was read, and the answer is 431.
  bool too_large = false;
  // Denial and error log lines this isolate wrote in the second `now` (the
  // shim counts the lines the core marked `log_budget`).
  std::uint32_t log_recent = 0;
  // Uploads: the content-type and content-length headers, as received.
  std::string_view content_type;
  std::string_view content_length;
  // tus: Tus-Resumable, Upload-Length, Upload-Offset, Upload-Metadata.
  std::string_view tus_resumable;
  std::string_view upload_length;
  std::string_view upload_offset;
  std::string_view upload_metadata;
};

// get and head read; sniff reads the first bytes of the request body (an
// upload's, plan range 0..length); put writes the body under the key if the
// key holds nothing (docs/UPLOADS.md).
//
// tus (docs/UPLOADS.md, "Resumable uploads"): tus_state reads the upload's
// state from its Durable Object; tus_begin takes its lease for a PATCH at
// the plan's offset; tus_create creates it; tus_patch moves the body into
// parts and the tail as the plan's numbers say; tus_complete makes the
// object; tus_terminate aborts it and deletes its state.
enum class StorageOp : std::uint8_t { get, head, sniff, put, tus_state, tus_begin, tus_create, tus_patch, tus_complete, tus_terminate };

// A resumable upload's state, as its Durable Object holds it.
enum class TusState : std::uint8_t { none, open, completing, done, aborting };
// What tus_begin found: no upload, the lease granted, held by another PATCH,
// or the upload's offset not the claimed one (nothing granted).
enum class TusLease : std::uint8_t { none, granted, held, mismatch };

// The Durable Object's facts of one upload (every tus op reports them).
struct TusFacts {
  TusState state = TusState::none;
  TusLease lease = TusLease::none;
  bool family_ok = false;
  std::uint64_t length = 0;
  std::uint64_t offset = 0;      // committed: every byte before it is durable
  std::uint64_t part_size = 0;
  std::uint64_t parts_end = 0;
  std::int64_t created = 0;
  std::int64_t expires = 0;
  std::string_view content_type;
};

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
  timeout,        // the operation outlived the decision's deadline
  exists,         // put: the key holds an object; nothing was written
  incomplete,     // sniff, put: the request body ended early, failed, or held
                  // other than the declared bytes; nothing was written
  stale,          // tus: another request took the upload over (its epoch);
                  // nothing of this one was recorded after that
  overflow,       // tus_patch: the body held more than the upload's remaining length
};

enum class ObjectSource : std::uint8_t { storage, cache };

struct ObjectFacts {
  StorageResult result = StorageResult::error;
  ObjectSource source = ObjectSource::storage;
  std::uint64_t size = 0;
  std::string_view etag;          // quoted, as storage reports it (R2 httpEtag)
  std::int64_t uploaded = 0;      // unix seconds
  std::string_view content_type;  // stored, may be empty
  // Uploads. sniff: the body's first bytes. put (and the head after it): the
  // body's MD5 as received, and the stored object's (R2 checksums.md5), as
  // lowercase hex; empty when unknown.
  std::string_view head;
  std::string_view body_md5;
  std::string_view stored_md5;
  // tus ops: the upload's state after the op.
  TusFacts tus;
};

// Bytes of the quoted canonical path "/m/" + quote(key): every key byte may
// become %XX.
constexpr std::size_t kMaxCachePath = 3 + 3 * kMaxKeyBytes;
// The Cache API stores objects up to 512 MiB.
constexpr std::uint64_t kMaxCacheableBytes = 512ull * 1024 * 1024;

struct Decision {
  bool fetch = false;  // true: perform `plan`, then call decide_finish
  Plan plan;
  // With fetch: the storage operation's deadline, milliseconds (the
  // `deadline` line; Config::storage_timeout_ms).
  std::int64_t deadline_ms = 10000;
  // With fetch and cache_lookup: the edge cache lookup's deadline, ms; a
  // lookup still pending is a miss (cache_deadline()).
  std::int64_t cache_deadline_ms = 1000;
  Mode mode = Mode::none;  // token mode, to hand back to decide_finish
  Response response;       // valid when !fetch
  // With fetch: the edge cache may answer the plan (a public token). The
  // cache key is the token-free canonical path (`cache_path`).
  bool cache_lookup = false;
  char cache_path[kMaxCachePath];
  std::size_t cache_path_len = 0;
  // The shim should reload the revocation snapshot in the background.
  bool refresh_revocations = false;
  // Load the snapshot (or wait for the load in flight), up to deadline_ms,
  // then ask decide_begin again; the answer held meanwhile is a 503.
  bool wait_revocations = false;
  // The decision was made on a snapshot older than the hard age (or none):
  // the operator's signal (log event, metric).
  bool revocations_stale = false;
  // With a response: store the object bytes storage returned (the whole
  // object) in the edge cache, under cache_path, with the metadata in
  // `cache_object` (docs/REVOCATION.md, "Edge cache").
  bool cache_store = false;
  char cache_object[256];
  std::size_t cache_object_len = 0;
  // With a response: write the log line (docs/CONTRACT.md section 8), sampled for
  // 2xx/3xx, always for denials and errors; the request id, if it is a
  // plain token (never echoed otherwise).
  bool log = false;
  std::uint32_t log_sample_ppm = 1000000;  // the rate this answer was logged at
  std::string_view request_id;
  // With log: the line carries the configured secrets' fingerprints (a bad
  // signature: one line settles whether the secrets match).
  bool log_fingerprints = false;
  // With a response: the line is a denial or error line, counted against
  // Config::log_denial_budget (RequestFacts::log_recent).
  bool log_budget = false;
  // With a 206 from storage under a public token: fill the edge cache in the
  // background with a second, whole read of the object (cache_fill_length
  // bytes), under cache_path with the metadata in cache_object.
  bool cache_fill = false;
  std::uint64_t cache_fill_length = 0;
  // The decoded object key (valid when the key parsed): the storage key with
  // fetch; with a response, the key for the log line, token-shaped text
  // redacted (loggable.h).
  char key[kMaxKeyBytes];
  std::size_t key_len = 0;
  std::string_view key_view() const { return std::string_view(key, key_len); }
  // Uploads (docs/UPLOADS.md). The request writes: its answers are upload
  // events (media.upload.*). With fetch, op sniff or put: the declared size
  // and the content type to store. A 201 or 200 answer's JSON body.
  bool upload = false;
  std::uint64_t upload_length = 0;
  char put_type[kMaxMediaTypeBytes];
  std::size_t put_type_len = 0;
  std::string_view put_type_view() const { return std::string_view(put_type, put_type_len); }
  static constexpr std::size_t kUploadBodyBytes = 8192;
  char upload_body[kUploadBodyBytes];
  // tus. With fetch: tus_create's part size and expiry; tus_begin's and
  // tus_patch's lease (ms); tus_patch's P and whether the family check
  // passed. With an answer: abort the upload first (a refusal), or give the
  // lease back first.
  std::uint64_t tus_part_size = 0;
  std::int64_t tus_expires = 0;
  std::int64_t tus_lease_ms = 0;
  bool tus_family_ok = false;
  bool tus_abort = false;
  bool tus_release = false;
};

// The edge cache's deadline: the cache answers from the colo in
// milliseconds, so a lookup gets kCacheDeadlineMs, or the storage deadline
// when that is shorter; past it the object is read from storage.
constexpr std::int64_t kCacheDeadlineMs = 1000;
std::int64_t cache_deadline(const Config& config);

// Checks method, configuration, key, prefix, token (and, later, revocation)
// in the contract's order. Either answers now or asks for one storage op.
void decide_begin(const Config& config, const RequestFacts& req, Decision* out);

// Given the op that was performed and what storage reported, evaluates
// preconditions (RFC 9110 13.2.2), Range and If-Range, and builds the
// response; or asks for one more, exact, operation. `mode` and `key` are
// the fetch decision's, echoed: the key decide_begin decoded from the path
// (Decision::key_view()), never decoded again here (it may be out->key
// itself). An empty key, or one longer than kMaxKeyBytes, is unreadable
// input: decide_unreadable's answer.
void decide_finish(const Config& config, const RequestFacts& req, Mode mode, std::string_view key,
                   const Plan& performed, const ObjectFacts& obj, Decision* out);

// The answer when decide_finish's inputs cannot be read (the shim broke the
// protocol): 503 storage_unavailable, private, no-store, logged as every
// answer is; nothing of an earlier decision is carried over. When they did
// not fit the input (req.too_large): 431 request_too_large instead.
void decide_unreadable(const Config& config, const RequestFacts& req, Mode mode, Decision* out);

// The snapshot was built at most the hard age (revocation_max_stale) before
// `now`: what a request may be decided on without waiting for a fresh one.
bool revocation_fresh(const Config& config, const RevocationView& view, std::int64_t now);

// Fills `r` with an error/denial answer for `reason` (status, text body,
// headers), as every path of the gate does.
// `allow` lists the methods the configuration accepts (405).
void respond_reason(const Config& config, Reason reason, Mode mode, bool head, Response* r);

}  // namespace mg
