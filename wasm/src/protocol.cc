#include "protocol.h"

#include <cstdint>
#include <cstring>

#include "decimal.h"
#include "edge_cache.h"
#include "hex.h"
#include "media_signature.h"
#include "settings_table.h"

namespace mg {
namespace {

void set_once(std::string_view* slot, bool* seen, std::string_view v) {
  if (*seen) return;
  *slot = v;
  *seen = true;
}

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the wire format is little-endian, as Wasm is");

std::uint32_t get_u32(std::string_view in, std::size_t at) {
  std::uint32_t v = 0;
  if (at + 4 <= in.size()) std::memcpy(&v, in.data() + at, 4);
  return v;
}

double get_f64(std::string_view in, std::size_t at) {
  double v = __builtin_nan("");  // missing: unreadable for every field
  if (at + 8 <= in.size()) std::memcpy(&v, in.data() + at, 8);
  return v;
}

constexpr double kMaxExact = 9007199254740991.0;  // 2^53 - 1: beyond, f64 integers are not exact

// An f64 that holds a non-negative integer (NaN and fractions fail).
bool to_u64(double v, std::uint64_t* out) {
  if (!(v >= 0 && v <= kMaxExact)) return false;
  auto u = static_cast<std::uint64_t>(v);
  if (static_cast<double>(u) != v) return false;
  *out = u;
  return true;
}

bool to_i64(double v, std::int64_t* out) {
  if (!(v >= -kMaxExact && v <= kMaxExact)) return false;
  auto i = static_cast<std::int64_t>(v);
  if (static_cast<double>(i) != v) return false;
  *out = i;
  return true;
}

// Splits the strings after `at` into `out[0..n)`. False (and every field
// empty) unless all n terminators are there: a truncated input is read as
// no input, never as shorter values.
bool read_strings(std::string_view in, std::size_t at, std::string_view* out, std::size_t n) {
  const char* p = in.data() + (at < in.size() ? at : in.size());
  const char* end = in.data() + in.size();
  for (std::size_t i = 0; i < n; ++i) {
    const char* q = p;
    while (q < end && *q) ++q;
    if (q == end) {
      for (std::size_t k = 0; k < n; ++k) out[k] = {};
      return false;
    }
    out[i] = std::string_view(p, static_cast<std::size_t>(q - p));
    p = q + 1;
  }
  return true;
}

struct Writer {
  char* out;
  std::size_t cap;
  std::size_t n = wire::kOutHeaderCodes;
  bool ok = true;
  Writer(char* o, std::size_t c) : out(o), cap(c) {
    ok = cap >= n;
    if (ok) std::memset(out, 0, n);
  }
  void u32(std::size_t at, std::uint32_t v) {
    if (ok) std::memcpy(out + at, &v, 4);
  }
  void f64(std::size_t at, std::uint64_t v) {
    double d = static_cast<double>(v);
    if (ok) std::memcpy(out + at, &d, 8);
  }
  // One code per header (the strings come after them).
  void codes(const Response& r) {
    if (!ok || r.n_headers > cap - n) { ok = false; return; }
    for (std::size_t i = 0; i < r.n_headers; ++i) out[n++] = static_cast<char>(r.headers[i].code);
  }
  void str(std::string_view s) {
    if (!ok || s.size() + 1 > cap - n) { ok = false; return; }
    if (!s.empty()) std::memcpy(out + n, s.data(), s.size());  // an empty view may hold nullptr
    n += s.size();
    out[n++] = '\0';
  }
};

std::uint32_t ms_code(std::int64_t ms) {
  return ms <= 0 ? 0 : ms > 0x7fffffff ? 0x7fffffff : static_cast<std::uint32_t>(ms);
}

std::uint32_t kind_code(RangeHintKind k) {
  // needs_size is fetched whole, then decided with the size.
  return k == RangeHintKind::needs_size ? 0 : static_cast<std::uint32_t>(k);
}

}  // namespace

std::string_view mode_name(Mode m) {
  switch (m) {
    case Mode::pub: return "pub";
    case Mode::priv: return "priv";
    case Mode::put: return "put";
    case Mode::none: return "none";
  }
  return "none";
}

namespace {

// The request part, from strings already split and the number block.
void fill_request(std::string_view in, const std::string_view* s, RequestFacts* req) {
  *req = RequestFacts{};
  req->method = s[wire::in_method];
  req->path = s[wire::in_path];
  req->query = s[wire::in_query];
  req->range = s[wire::in_range];
  req->cond.if_match = s[wire::in_if_match];
  req->cond.if_none_match = s[wire::in_if_none_match];
  req->cond.if_modified_since = s[wire::in_if_modified_since];
  req->cond.if_unmodified_since = s[wire::in_if_unmodified_since];
  req->cond.if_range = s[wire::in_if_range];
  req->request_id = s[wire::in_request_id];
  req->content_type = s[wire::in_content_type];
  req->content_length = s[wire::in_content_length];
  req->tus_resumable = s[wire::in_tus_resumable];
  req->upload_length = s[wire::in_upload_length];
  req->upload_offset = s[wire::in_upload_offset];
  req->upload_metadata = s[wire::in_upload_metadata];
  req->too_large = get_u32(in, wire::kInputCut) != 0;
  std::int64_t v;
  if (to_i64(get_f64(in, wire::kNow), &v)) req->now = v;
  if (to_i64(get_f64(in, wire::kRevocationAge), &v)) req->revocation_age = v;
  std::uint32_t sample = get_u32(in, wire::kSample);
  if (sample < 1000000) req->sample = sample;
  req->revocation_failures = get_u32(in, wire::kRevocationFailures);
  // Missing (a short input) reads as 0: a load in flight that just started.
  req->revocation_loading_ms = get_u32(in, wire::kRevocationLoading);
  req->cache_timed_out = get_u32(in, wire::kCacheTimedOut) == 1;
  std::uint32_t rev = get_u32(in, wire::kRevocation);
  // An unknown code is read as "unavailable", never as "disabled" (which serves unchecked).
  req->revocation = rev == 0 ? RevocationState::disabled : rev == 2 ? RevocationState::loaded : RevocationState::unavailable;
  req->log_recent = get_u32(in, wire::kLogRecent);
}

}  // namespace

void protocol_read_request(std::string_view in, RequestFacts* req) {
  std::string_view s[wire::kRequestStrings];
  read_strings(in, wire::kInStrings, s, wire::kRequestStrings);
  fill_request(in, s, req);
}

void protocol_read_finish(std::string_view in, FinishFacts* f) {
  *f = FinishFacts{};
  std::string_view s[wire::in_count_];
  bool complete = read_strings(in, wire::kInStrings, s, wire::in_count_);
  fill_request(in, s, &f->request);

  std::uint32_t mode = get_u32(in, wire::kMode), op = get_u32(in, wire::kOp);
  std::uint32_t kind = get_u32(in, wire::kKind), attempt = get_u32(in, wire::kAttempt);
  f->mode = mode < wire::kModeCodes ? static_cast<Mode>(mode) : Mode::none;
  f->key = s[wire::in_key];
  Plan& p = f->performed;
  p.op = op < wire::kStorageOpCodes ? static_cast<StorageOp>(op) : StorageOp::get;
  p.range.kind = kind < wire::kRangeHintKindCodes ? static_cast<RangeHintKind>(kind) : RangeHintKind::whole;
  p.attempt = attempt == 2 ? 2 : 1;
  bool nums = to_u64(get_f64(in, wire::kOffset), &p.range.offset) &&
              to_u64(get_f64(in, wire::kLength), &p.range.length) &&
              to_u64(get_f64(in, wire::kSuffix), &p.range.suffix);
  f->valid = !f->request.too_large && complete && mode < wire::kModeCodes && op < wire::kStorageOpCodes &&
             kind < wire::kRangeHintKindCodes && (attempt == 1 || attempt == 2) && nums;

  ObjectFacts& o = f->object;
  std::uint32_t result = get_u32(in, wire::kResult);
  o.result = result < wire::kStorageResultCodes ? static_cast<StorageResult>(result) : StorageResult::error;
  o.source = get_u32(in, wire::kSource) == 1 ? ObjectSource::cache : ObjectSource::storage;
  std::string_view cached = s[wire::in_cached];
  std::uint64_t cached_size = 0;
  bool cached_size_ok = decimal_parse_u64(s[wire::in_cached_size], &cached_size);
  if (o.source == ObjectSource::cache) {
    // The entry's metadata, in one field the core wrote itself. Unreadable,
    // or the entry holding another number of bytes than its metadata says:
    // a miss (decide_finish reads storage instead). A refused range with
    // nothing to check it against is believed, as storage's would be.
    bool check = o.result == StorageResult::ok || (o.result == StorageResult::invalid_range && !cached.empty());
    if (check) {
      ObjectFacts hit;
      bool agrees = cache_object_read(cached, &hit, f->cached_buf, sizeof f->cached_buf) && cached_size_ok &&
                    cached_size == hit.size;
      if (!agrees) o.result = StorageResult::error;
      else if (o.result == StorageResult::ok) o = hit;
    }
    return;
  }
  o.etag = s[wire::in_etag];
  o.content_type = s[wire::in_type];
  o.body_md5 = s[wire::in_body_md5];
  o.stored_md5 = s[wire::in_stored_md5];
  // A tus op's upload state (numbers that do not read as whole numbers are unreadable).
  TusFacts& t = o.tus;
  std::uint32_t state = get_u32(in, wire::kTusState), lease = get_u32(in, wire::kTusLease);
  t.state = state < wire::kTusStateCodes ? static_cast<TusState>(state) : TusState::none;
  t.lease = lease < wire::kTusLeaseCodes ? static_cast<TusLease>(lease) : TusLease::none;
  t.family_ok = get_u32(in, wire::kTusFamily) == 1;
  t.content_type = s[wire::in_tus_type];
  if (!(to_u64(get_f64(in, wire::kTusLength), &t.length) && to_u64(get_f64(in, wire::kTusOffset), &t.offset) &&
        to_u64(get_f64(in, wire::kTusPartSize), &t.part_size) && to_u64(get_f64(in, wire::kTusPartsEnd), &t.parts_end) &&
        to_i64(get_f64(in, wire::kTusCreated), &t.created) && to_i64(get_f64(in, wire::kTusExpires), &t.expires)) ||
      state >= wire::kTusStateCodes || lease >= wire::kTusLeaseCodes)
    f->valid = false;
  // The first bytes of an upload's body, in hex: anything else is unreadable.
  std::string_view hex = s[wire::in_head];
  if (hex.size() % 2 != 0 || hex.size() / 2 > sizeof f->head_buf) f->valid = false;
  std::size_t n = 0;
  for (std::size_t i = 0; f->valid && i < hex.size(); i += 2) {
    int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) f->valid = false;
    else f->head_buf[n++] = static_cast<char>(hi * 16 + lo);
  }
  o.head = std::string_view(f->head_buf, f->valid ? n : 0);
  // Metadata we cannot read is a storage failure, never a guess (a sniff
  // reads the request body, and the tus ops but completion the upload
  // state object: they have none).
  const bool has_object = p.op == StorageOp::get || p.op == StorageOp::head || p.op == StorageOp::put ||
                          p.op == StorageOp::tus_complete;
  if (o.result == StorageResult::ok && has_object &&
      !(to_u64(get_f64(in, wire::kSize), &o.size) && to_i64(get_f64(in, wire::kUploaded), &o.uploaded)))
    o.result = StorageResult::error;
}

void protocol_read_config(std::string_view text, ConfigText* cfg) {
  protocol_for_each_line(text, [&](std::string_view name, std::string_view value) {
    for (const settings::Setting& s : settings::kSettings) {
      if (s.name != name) continue;
      // The bucket binding's presence ("1"); secrets travel separately (mg_set_secret).
      if (s.kind == settings::Kind::binding) cfg->*s.set = value == "1";
      else if (s.kind == settings::Kind::var) set_once(&(cfg->*s.value), &(cfg->*s.set), value);
      break;
    }
    return true;
  });
}

std::size_t protocol_write_decision(const Decision& d, char* out, std::size_t cap) {
  Writer w(out, cap);
  w.u32(wire::kOutVersion, wire::kVersion);
  std::uint32_t flags = d.refresh_revocations ? wire::flag_refresh : 0;
  if (d.revocations_stale) flags |= wire::flag_stale;
  if (d.fetch) {
    const Plan& p = d.plan;
    w.u32(wire::kOutFetch, 1);
    w.u32(wire::kOutMode, static_cast<std::uint32_t>(d.mode));
    w.u32(wire::kOutOp, static_cast<std::uint32_t>(p.op));
    w.u32(wire::kOutKind, kind_code(p.range.kind));
    w.u32(wire::kOutAttempt, static_cast<std::uint32_t>(p.attempt));
    w.f64(wire::kOutOffset, p.range.offset);
    w.f64(wire::kOutLength, p.range.length);
    w.f64(wire::kOutSuffix, p.range.suffix);
    w.u32(wire::kOutDeadline, ms_code(d.deadline_ms));
    w.u32(wire::kOutCacheDeadline, ms_code(d.cache_deadline_ms));
    if (d.cache_lookup) flags |= wire::flag_cache;
    w.u32(wire::kOutFlags, flags);
    // An upload's sniff or put: the declared size.
    if (d.upload) w.f64(wire::kOutStoreLength, d.upload_length);
    // tus: the part size, expiry, lease and family check of the plan.
    w.f64(wire::kOutTusPartSize, d.tus_part_size);
    w.f64(wire::kOutTusExpires, d.tus_expires);
    w.u32(wire::kOutTusLease, ms_code(d.tus_lease_ms));
    w.u32(wire::kOutTusFamily, d.tus_family_ok ? 1 : 0);
    w.str("");
    w.str("");
    w.str(mode_name(d.mode));
    // The decoded key: the storage key to read or write (key_decode refuses NUL).
    w.str(d.key_view());
    w.str(d.cache_lookup ? std::string_view(d.cache_path, d.cache_path_len) : std::string_view());
    for (std::size_t i = wire::out_request_id; i < wire::out_put_type; ++i) w.str("");
    w.str(d.put_type_view());
    return w.ok ? w.n : 0;
  }
  const Response& r = d.response;
  const ReasonInfo& info = reason_info(r.reason);
  w.u32(wire::kOutStatus, static_cast<std::uint32_t>(r.status));
  w.u32(wire::kOutMode, static_cast<std::uint32_t>(r.mode));
  w.u32(wire::kOutBody, static_cast<std::uint32_t>(r.body));
  w.u32(wire::kOutHeaders, static_cast<std::uint32_t>(r.n_headers));
  w.codes(r);
  if (r.has_span) {
    flags |= wire::flag_span;
    w.f64(wire::kOutSpanFirst, r.span.first);
    w.f64(wire::kOutSpanLast, r.span.last);
  }
  if (d.log) {
    flags |= wire::flag_log;
    // The sampling rate, per million, so that counts can be weighted back.
    w.u32(wire::kOutLogRate, d.log_sample_ppm);
    if (d.log_fingerprints) flags |= wire::flag_fingerprints;
  }
  if (d.wait_revocations) flags |= wire::flag_wait;
  // The snapshot load's deadline, for a wait or a background refresh.
  if (d.wait_revocations || d.refresh_revocations) {
    std::int64_t ms = d.deadline_ms;
    w.u32(wire::kOutDeadline, ms <= 0 ? 0 : ms > 0x7fffffff ? 0x7fffffff : static_cast<std::uint32_t>(ms));
  }
  if (d.cache_store) {
    flags |= wire::flag_store;
    w.f64(wire::kOutStoreLength, r.has_span ? r.span.length() : 0);
  }
  if (d.cache_fill) {
    flags |= wire::flag_fill;
    w.f64(wire::kOutStoreLength, d.cache_fill_length);
  }
  if (d.log_budget) flags |= wire::flag_budget;
  if (d.tus_abort) flags |= wire::flag_abort;
  if (d.tus_release) flags |= wire::flag_release;
  w.u32(wire::kOutFlags, flags);
  // For the log line and the metric (docs/CONTRACT.md section 8): the event, the
  // decoded key (never the token or the query), the request id.
  w.str(info.name);
  w.str(reason_event(r.reason, d.upload));
  w.str(mode_name(r.mode));
  w.str(d.key_view());
  bool entry = d.cache_store || d.cache_fill;
  w.str(entry ? std::string_view(d.cache_path, d.cache_path_len) : std::string_view());
  w.str(d.request_id);
  w.str(r.body == BodySource::text ? r.text : std::string_view());
  w.str(entry ? std::string_view(d.cache_object, d.cache_object_len) : std::string_view());
  w.str("");
  for (std::size_t i = 0; i < r.n_headers; ++i) {
    const Header& h = r.headers[i];
    if (h.code == 0) w.str(h.name);
    if (h.code == 0 || h.code >= kHeaderCodeName) w.str(h.value);
  }
  return w.ok ? w.n : 0;
}

}  // namespace mg
