#include "decision.h"

#include "decimal.h"
#include "edge_cache.h"
#include "etag.h"
#include "httpdate.h"
#include "key.h"
#include "loggable.h"
#include "policy.h"
#include "revocation.h"
#include "storage_plan.h"

namespace mg {
namespace {

constexpr std::string_view kPathPrefix = "/m/";

bool is_head(const RequestFacts& req) { return req.method == "HEAD"; }

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
  }
  if (reason == Reason::method_not_allowed) r->add_static("allow", "GET, HEAD");
}

namespace {

void begin(const Config& config, const RequestFacts& req, Decision* out) {
  out->fetch = false;
  out->key_len = 0;
  out->mode = Mode::none;
  out->cache_lookup = false;
  out->cache_path_len = 0;
  out->cache_store = false;
  out->cache_object_len = 0;
  // Keep the snapshot fresh whatever this request's answer is; a failed
  // load is retried at the same pace, not on every request.
  out->refresh_revocations = req.revocation != RevocationState::disabled &&
                             req.revocation_age >= config.revocation_refresh;

  // Facts that did not fit were not read at all (not even the method):
  // RFC 6585 section 5, request header fields too large.
  if (req.too_large) return answer(config, req, Reason::request_too_large, Mode::none, out);
  // docs/CONTRACT.md section 4 order: method, configuration, key syntax, key
  // prefix, token, revocation, then storage.
  if (req.method != "GET" && req.method != "HEAD")
    return answer(config, req, Reason::method_not_allowed, Mode::none, out);
  if (!config.problem.empty() || !config.has_bucket || config.secret.empty())
    return answer(config, req, Reason::not_configured, Mode::none, out);

  if (req.path.substr(0, kPathPrefix.size()) != kPathPrefix ||
      !key_decode(req.path.substr(kPathPrefix.size()), out->key, &out->key_len))
    return answer(config, req, Reason::bad_key, Mode::none, out);
  std::string_view key = out->key_view();
  if (!key_prefix_allowed(key, config.prefixes, config.n_prefixes))
    return answer(config, req, Reason::prefix_not_allowed, Mode::none, out);

  char token[kMaxTokenBytes];
  std::size_t token_len = 0;
  QueryToken qt = query_token(req.query, token, sizeof token, &token_len);
  if (qt == QueryToken::absent) return answer(config, req, Reason::token_missing, Mode::none, out);
  if (qt == QueryToken::malformed) return answer(config, req, Reason::token_malformed, Mode::none, out);

  TokenPolicy policy;
  policy.now = req.now;
  policy.leeway = config.leeway;
  policy.max_ttl = config.max_ttl;
  TokenVerdict v = token_verify(std::string_view(token, token_len), key, config.keys, policy);
  if (v.reason != Reason::serve_full) return answer(config, req, v.reason, v.mode, out);

  // Revocation (docs/CONTRACT.md section 7): after the token, before any cache
  // or storage read, so a copy in the edge cache is never served once revoked.
  switch (req.revocation) {
    case RevocationState::disabled:
      break;
    case RevocationState::unavailable:
      if (config.revocation_fail_closed)
        return answer(config, req, Reason::storage_unavailable, v.mode, out);
      break;
    case RevocationState::loaded: {
      if (config.revocation_fail_closed && req.revocation_age > config.revocation_max_stale)
        return answer(config, req, Reason::storage_unavailable, v.mode, out);
      RevocationScope scope = revocation_lookup(req.revocations, key);
      if (scope == RevocationScope::all || (scope == RevocationScope::pub && v.mode == Mode::pub))
        return answer(config, req, Reason::revoked, v.mode, out);
      break;
    }
  }

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

void finish(const Config& config, const RequestFacts& req, Mode mode, const Plan& performed,
            const ObjectFacts& obj, Decision* out) {
  out->fetch = false;
  out->mode = mode;
  out->cache_store = false;
  out->cache_object_len = 0;
  out->refresh_revocations = false;
  out->cache_lookup = false;
  // The key was checked by decide_begin; decode again for the extension.
  std::string_view key;
  if (req.path.substr(0, kPathPrefix.size()) == kPathPrefix &&
      key_decode(req.path.substr(kPathPrefix.size()), out->key, &out->key_len))
    key = out->key_view();

  // A cache entry whose metadata this version cannot read is a miss: read
  // the same plan from storage (the cache read cost no storage operation).
  if (obj.source == ObjectSource::cache && obj.result != StorageResult::ok &&
      obj.result != StorageResult::invalid_range)
    return ask_storage(out, performed, mode);
  out->cache_lookup = mode == Mode::pub && config.edge_cache && key_quote_into(key, out);

  bool ranged_first_read = performed.attempt == 1 && performed.op == StorageOp::get &&
                           performed.range.kind != RangeHintKind::whole &&
                           performed.range.kind != RangeHintKind::needs_size;
  switch (obj.result) {
    case StorageResult::error:
      // A ranged read can fail for range reasons storage does not name
      // (Miniflare reports "Unspecified error (0)" for a range on an empty
      // object): read the whole object once. In a real outage that read
      // fails too, and the answer is the same 503.
      if (ranged_first_read) return ask_storage(out, whole_plan(), mode);
      return answer(config, req, Reason::storage_unavailable, mode, out);
    case StorageResult::timeout:
      // Slow, not failing: a second read would wait out another deadline.
      return answer(config, req, Reason::storage_timeout, mode, out);
    case StorageResult::missing:
      return answer(config, req, Reason::object_missing, mode, out);
    case StorageResult::invalid_range:
      // R2 refuses a range that starts at or past the end. Read the whole
      // object once: that gives the size for 416, or the bytes for 200.
      if (ranged_first_read) return ask_storage(out, whole_plan(), mode);
      return answer(config, req, Reason::storage_unavailable, mode, out);
    case StorageResult::ok:
      break;
  }

  // RFC 9110 8.8.3: an ETag storage hands us that is not an entity-tag is
  // not sent and never matches, rather than being echoed into a header.
  EntityTag stored_tag;
  bool etag_ok = etag_parse_whole(obj.etag, &stored_tag);
  Validators val;
  val.etag = etag_ok ? obj.etag : std::string_view{};
  val.last_modified = obj.uploaded;
  val.has_last_modified = true;

  // RFC 9110 13.2.2 steps 1-4.
  switch (preconditions_evaluate(req.cond, val, req.now)) {
    case Precondition::failed:
      return answer(config, req, Reason::precondition_failed, mode, out);
    case Precondition::not_modified: {
      Response& r = out->response;
      r.clear();
      r.reason = Reason::not_modified;
      r.status = 304;
      r.mode = mode;
      policy_security_headers(r, config.corp_same_site);
      r.add_static("cache-control", policy_cache_control(mode, 304));
      if (etag_ok) r.add_copy("etag", obj.etag);
      return;
    }
    case Precondition::proceed:
      break;
  }

  // RFC 9110 13.2.2 step 5 and 14.2: Range, unless If-Range says the
  // client's copy is stale.
  RangeResult rr = range_resolve(req.range, obj.size);
  if ((rr.outcome == RangeOutcome::satisfiable || rr.outcome == RangeOutcome::unsatisfiable) &&
      !if_range_allows(req.cond.if_range, val, req.now))
    rr.outcome = RangeOutcome::ignored;

  if (rr.outcome == RangeOutcome::unsatisfiable) {
    answer(config, req, Reason::range_not_satisfiable, mode, out);
    char buf[40] = "bytes */";
    std::size_t n = 8 + decimal_format_u64(obj.size, buf + 8);
    out->response.add_copy("content-range", std::string_view(buf, n));
    return;
  }

  bool partial = rr.outcome == RangeOutcome::satisfiable;
  bool empty = obj.size == 0;
  ByteSpan want = partial ? rr.span : ByteSpan{0, empty ? 0 : obj.size - 1};

  // GET streams what storage returned; it must be exactly the span we send.
  if (!is_head(req) && !empty) {
    StorageRead got = storage_read(performed, obj.size);
    if (!got.has_span || got.span.first != want.first || got.span.last != want.last) {
      if (performed.attempt == 1) return ask_storage(out, exact_plan(want, obj.size), mode);
      // The object changed between our two reads: fail closed, the client retries.
      return answer(config, req, Reason::storage_unavailable, mode, out);
    }
  }

  Response& r = out->response;
  r.clear();
  r.reason = partial ? Reason::serve_partial : Reason::serve_full;
  r.status = partial ? 206 : 200;
  r.mode = mode;
  policy_security_headers(r, config.corp_same_site);
  r.add_static("cache-control", policy_cache_control(mode, r.status));
  char ct_buf[kContentTypeBuf];
  ContentType ct = policy_content_type(obj.content_type, key, ct_buf);
  r.add_copy("content-type", ct.type);
  if (ct.attachment) r.add_static("content-disposition", "attachment");
  r.add_number("content-length", empty ? 0 : want.length());
  if (partial) {
    char buf[80];
    std::size_t n = 0;
    auto put = [&](std::uint64_t v) { n += decimal_format_u64(v, buf + n); };
    for (char c : std::string_view("bytes ")) buf[n++] = c;
    put(want.first);
    buf[n++] = '-';
    put(want.last);
    buf[n++] = '/';
    put(obj.size);
    r.add_copy("content-range", std::string_view(buf, n));
  }
  r.add_static("accept-ranges", "bytes");
  if (etag_ok) r.add_copy("etag", obj.etag);
  char date[kHttpDateLen];
  if (http_date_format(obj.uploaded, date) == kHttpDateLen)
    r.add_copy("last-modified", std::string_view(date, kHttpDateLen));
  if (!empty) {
    r.has_span = true;
    r.span = want;
  }
  r.body = (!is_head(req) && !empty) ? BodySource::object : BodySource::none;

  // Fill the edge cache from a storage read that returned the whole object
  // under a public token (never a 206 span, never private, never an error).
  if (mode == Mode::pub && config.edge_cache && !is_head(req) && obj.source == ObjectSource::storage &&
      !empty && want.first == 0 && want.last + 1 == obj.size && obj.size <= kMaxCacheableBytes &&
      key_quote_into(key, out)) {
    out->cache_object_len = cache_object_write(obj, out->cache_object, sizeof out->cache_object);
    out->cache_store = out->cache_object_len > 0;
  }
}


// What every final answer carries besides status and headers: whether to
// log it (a cache lookup that timed out is logged like a fault), the request
// id and the key as the log line may show them (loggable.h), the
// fingerprints for a bad signature, and the debug header.
void observe(const Config& config, const RequestFacts& req, Decision* out) {
  out->log = false;
  out->request_id = {};
  out->log_fingerprints = false;
  out->cache_deadline_ms = cache_deadline(config);
  if (out->fetch) return;
  Response& r = out->response;
  bool success = r.status >= 200 && r.status < 400;
  bool unsampled = !success || req.cache_timed_out;
  out->log = unsampled || req.sample < config.log_sample_ppm;
  out->log_sample_ppm = unsampled ? 1000000 : config.log_sample_ppm;
  if (request_id_loggable(req.request_id)) out->request_id = req.request_id;
  out->key_len = key_redact(out->key, out->key_len);
  out->log_fingerprints = out->log && r.reason == Reason::token_bad_signature;
  if (config.debug_headers) r.add_static("x-mediagate-reason", reason_info(r.reason).name);
}

}  // namespace

std::int64_t cache_deadline(const Config& config) {
  return config.storage_timeout_ms < kCacheDeadlineMs ? config.storage_timeout_ms : kCacheDeadlineMs;
}

void decide_begin(const Config& config, const RequestFacts& req, Decision* out) {
  begin(config, req, out);
  out->deadline_ms = config.storage_timeout_ms;
  observe(config, req, out);
}

void decide_finish(const Config& config, const RequestFacts& req, Mode mode, const Plan& performed,
                   const ObjectFacts& obj, Decision* out) {
  if (req.too_large) return decide_unreadable(config, req, mode, out);
  finish(config, req, mode, performed, obj, out);
  out->deadline_ms = config.storage_timeout_ms;
  observe(config, req, out);
}

void decide_unreadable(const Config& config, const RequestFacts& req, Mode mode, Decision* out) {
  out->key_len = 0;
  out->cache_lookup = false;
  out->cache_path_len = 0;
  out->cache_store = false;
  out->cache_object_len = 0;
  out->refresh_revocations = false;
  if (req.too_large) answer(config, req, Reason::request_too_large, Mode::none, out);
  else answer(config, req, Reason::storage_unavailable, mode, out);
  out->deadline_ms = config.storage_timeout_ms;
  observe(config, req, out);
}

}  // namespace mg
