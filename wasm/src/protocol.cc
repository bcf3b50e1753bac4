#include "protocol.h"

#include <cstdint>

#include "edge_cache.h"

namespace mg {
namespace {

template <typename F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    f(line.substr(0, tab), line.substr(tab + 1));
  }
}

bool parse_u64(std::string_view s, std::uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool parse_i64(std::string_view s, std::int64_t* out) {
  bool neg = !s.empty() && s.front() == '-';
  if (neg) s.remove_prefix(1);
  std::uint64_t v;
  if (!parse_u64(s, &v) || v > static_cast<std::uint64_t>(INT64_MAX)) return false;
  *out = neg ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
  return true;
}

void set_once(std::string_view* slot, bool* seen, std::string_view v) {
  if (*seen) return;
  *slot = v;
  *seen = true;
}

// Splits off the next tab-separated field.
std::string_view next_field(std::string_view* rest) {
  std::size_t tab = rest->find('\t');
  std::string_view f = rest->substr(0, tab);
  *rest = tab == std::string_view::npos ? std::string_view{} : rest->substr(tab + 1);
  return f;
}

struct Writer {
  char* out;
  std::size_t cap;
  std::size_t n = 0;
  bool ok = true;
  void put(std::string_view s) {
    if (!ok || s.size() > cap - n) { ok = false; return; }
    for (char c : s) out[n++] = c;
  }
  void num(std::uint64_t v) {
    char d[24];
    std::size_t k = 0;
    do { d[k++] = static_cast<char>('0' + v % 10); v /= 10; } while (v);
    while (k) { char c = d[--k]; put(std::string_view(&c, 1)); }
  }
  void line(std::string_view name, std::string_view value) {
    put(name);
    put("\t");
    put(value);
    put("\n");
  }
};

std::string_view kind_name(RangeHintKind k) {
  switch (k) {
    case RangeHintKind::whole: return "whole";
    case RangeHintKind::offset_length: return "offset_length";
    case RangeHintKind::offset: return "offset";
    case RangeHintKind::suffix: return "suffix";
    case RangeHintKind::needs_size: return "whole";  // fetched whole; decided with the size
  }
  return "whole";
}

std::string_view body_name(BodySource b) {
  switch (b) {
    case BodySource::none: return "none";
    case BodySource::text: return "text";
    case BodySource::object: return "object";
  }
  return "none";
}

}  // namespace

std::string_view mode_name(Mode m) {
  switch (m) {
    case Mode::pub: return "pub";
    case Mode::priv: return "priv";
    case Mode::none: return "none";
  }
  return "none";
}

void protocol_read_request(std::string_view text, RequestFacts* req) {
  *req = RequestFacts{};
  bool s_method = false, s_path = false, s_query = false, s_now = false, s_range = false;
  bool s_im = false, s_inm = false, s_ims = false, s_ius = false, s_ir = false;
  bool s_rev = false, s_rev_age = false, s_sample = false, s_rid = false;
  for_each_line(text, [&](std::string_view name, std::string_view value) {
    if (name == "method") set_once(&req->method, &s_method, value);
    else if (name == "path") set_once(&req->path, &s_path, value);
    else if (name == "query") set_once(&req->query, &s_query, value);
    else if (name == "now") {
      std::int64_t v;
      if (!s_now && parse_i64(value, &v)) req->now = v;
      s_now = true;
    }
    else if (name == "range") set_once(&req->range, &s_range, value);
    else if (name == "if-match") set_once(&req->cond.if_match, &s_im, value);
    else if (name == "if-none-match") set_once(&req->cond.if_none_match, &s_inm, value);
    else if (name == "if-modified-since") set_once(&req->cond.if_modified_since, &s_ims, value);
    else if (name == "if-unmodified-since") set_once(&req->cond.if_unmodified_since, &s_ius, value);
    else if (name == "if-range") set_once(&req->cond.if_range, &s_ir, value);
    else if (name == "revocations" && !s_rev) {
      s_rev = true;
      req->revocation = value == "loaded"        ? RevocationState::loaded
                        : value == "unavailable" ? RevocationState::unavailable
                                                 : RevocationState::disabled;
    } else if (name == "sample" && !s_sample) {
      s_sample = true;
      std::uint64_t v;
      if (parse_u64(value, &v) && v < 1000000) req->sample = static_cast<std::uint32_t>(v);
    } else if (name == "x-request-id") {
      set_once(&req->request_id, &s_rid, value);
    } else if (name == "revocations_age" && !s_rev_age) {
      s_rev_age = true;
      std::int64_t v;
      if (parse_i64(value, &v)) req->revocation_age = v;
    }
  });
}

void protocol_read_finish(std::string_view text, FinishFacts* f) {
  *f = FinishFacts{};
  bool s_mode = false, s_fetch = false, s_result = false, s_size = false;
  bool s_etag = false, s_uploaded = false, s_type = false, fetch_ok = false;
  bool s_source = false, s_cached = false, s_cached_size = false, cached_size_ok = false;
  std::string_view cached;
  std::uint64_t cached_size = 0;
  for_each_line(text, [&](std::string_view name, std::string_view value) {
    if (name == "mode" && !s_mode) {
      s_mode = true;
      f->mode = value == "pub" ? Mode::pub : value == "priv" ? Mode::priv : Mode::none;
    } else if (name == "fetch" && !s_fetch) {
      s_fetch = true;
      std::string_view rest = value;
      std::string_view op = next_field(&rest), kind = next_field(&rest);
      std::uint64_t offset = 0, length = 0, suffix = 0, attempt = 0;
      bool nums = parse_u64(next_field(&rest), &offset) && parse_u64(next_field(&rest), &length) &&
                  parse_u64(next_field(&rest), &suffix) && parse_u64(next_field(&rest), &attempt);
      Plan& p = f->performed;
      p.op = op == "head" ? StorageOp::head : StorageOp::get;
      p.range.offset = offset;
      p.range.length = length;
      p.range.suffix = suffix;
      p.attempt = attempt == 2 ? 2 : 1;
      bool kind_ok = true;
      if (kind == "whole") p.range.kind = RangeHintKind::whole;
      else if (kind == "offset_length") p.range.kind = RangeHintKind::offset_length;
      else if (kind == "offset") p.range.kind = RangeHintKind::offset;
      else if (kind == "suffix") p.range.kind = RangeHintKind::suffix;
      else kind_ok = false;
      fetch_ok = nums && kind_ok && (op == "get" || op == "head") && (attempt == 1 || attempt == 2);
    } else if (name == "result" && !s_result) {
      s_result = true;
      ObjectFacts& o = f->object;
      o.result = value == "ok"              ? StorageResult::ok
                 : value == "missing"       ? StorageResult::missing
                 : value == "invalid_range" ? StorageResult::invalid_range
                                            : StorageResult::error;
    } else if (name == "size" && !s_size) {
      s_size = true;
      if (!parse_u64(value, &f->object.size)) f->object.result = StorageResult::error;
    } else if (name == "etag") {
      set_once(&f->object.etag, &s_etag, value);
    } else if (name == "uploaded" && !s_uploaded) {
      s_uploaded = true;
      if (!parse_i64(value, &f->object.uploaded)) f->object.result = StorageResult::error;
    } else if (name == "type") {
      set_once(&f->object.content_type, &s_type, value);
    } else if (name == "source" && !s_source) {
      s_source = true;
      if (value == "cache") f->object.source = ObjectSource::cache;
    } else if (name == "cached" && !s_cached) {
      s_cached = true;
      cached = value;
    } else if (name == "cached_size" && !s_cached_size) {
      s_cached_size = true;
      cached_size_ok = parse_u64(value, &cached_size);
    }
  });
  if (f->object.source == ObjectSource::cache && f->object.result == StorageResult::ok) {
    // A hit: the metadata comes from the stored entry, in one field the core
    // wrote itself. Unreadable, or the entry holding another number of bytes
    // than its metadata says: a miss (decide_finish reads storage instead).
    ObjectFacts hit;
    if (cache_object_read(cached, &hit, f->cached_buf, sizeof f->cached_buf) &&
        (!s_cached_size || (cached_size_ok && cached_size == hit.size))) {
      f->object = hit;
    } else {
      f->object.result = StorageResult::error;
    }
    f->valid = s_mode && fetch_ok && s_result;
    return;
  }
  if (f->object.source == ObjectSource::cache && f->object.result == StorageResult::invalid_range && s_cached) {
    // The cache refused the range against the bytes it holds: believed only
    // when those bytes are the object its metadata describes, else a miss.
    ObjectFacts hit;
    if (!cache_object_read(cached, &hit, f->cached_buf, sizeof f->cached_buf) ||
        (s_cached_size && !(cached_size_ok && cached_size == hit.size)))
      f->object.result = StorageResult::error;
  }
  // Metadata we cannot read is a storage failure, never a guess.
  if (f->object.result == StorageResult::ok && (!s_size || !s_uploaded))
    f->object.result = StorageResult::error;
  f->valid = s_mode && fetch_ok && s_result;
}

void protocol_read_config(std::string_view text, ConfigText* cfg) {
  for_each_line(text, [&](std::string_view name, std::string_view value) {
    if (name == "MEDIA_KEY_PREFIXES") set_once(&cfg->prefixes, &cfg->prefixes_set, value);
    else if (name == "MEDIA_CLOCK_SKEW_SECONDS") set_once(&cfg->leeway, &cfg->leeway_set, value);
    else if (name == "MEDIA_MAX_TOKEN_TTL_SECONDS") set_once(&cfg->max_ttl, &cfg->max_ttl_set, value);
    else if (name == "MEDIA_CORP") set_once(&cfg->corp, &cfg->corp_set, value);
    else if (name == "MEDIA_BUCKET") cfg->has_bucket = value == "1";
    else if (name == "MEDIA_REVOCATION_MODE") set_once(&cfg->revocation_mode, &cfg->revocation_mode_set, value);
    else if (name == "MEDIA_REVOCATION_MAX_STALENESS_SECONDS")
      set_once(&cfg->revocation_max_stale, &cfg->revocation_max_stale_set, value);
    else if (name == "MEDIA_REVOCATION_REFRESH_SECONDS")
      set_once(&cfg->revocation_refresh, &cfg->revocation_refresh_set, value);
    else if (name == "MEDIA_EDGE_CACHE") set_once(&cfg->edge_cache, &cfg->edge_cache_set, value);
    else if (name == "MEDIA_LOG_SAMPLE_RATE") set_once(&cfg->log_sample_rate, &cfg->log_sample_rate_set, value);
    else if (name == "MEDIA_DEBUG_HEADERS") set_once(&cfg->debug_headers, &cfg->debug_headers_set, value);
    else if (name == "MEDIA_STORAGE_TIMEOUT_MS") set_once(&cfg->storage_timeout, &cfg->storage_timeout_set, value);
  });
}

std::size_t protocol_write_decision(const Decision& d, char* out, std::size_t cap) {
  Writer w{out, cap};
  if (d.fetch) {
    const Plan& p = d.plan;
    w.put("fetch\t");
    w.put(p.op == StorageOp::head ? "head" : "get");
    w.put("\t");
    w.put(kind_name(p.range.kind));
    w.put("\t");
    w.num(p.range.offset);
    w.put("\t");
    w.num(p.range.length);
    w.put("\t");
    w.num(p.range.suffix);
    w.put("\t");
    w.num(static_cast<std::uint64_t>(p.attempt));
    w.put("\n");
    w.line("mode", mode_name(d.mode));
    // The decoded key: the storage key to read. It holds no control
    // characters (key_decode refuses them), so it fits on one line.
    w.line("key", d.key_view());
    // How long the shim may wait for this operation (a timeout is `result error`).
    w.put("deadline\t");
    w.num(d.deadline_ms > 0 ? static_cast<std::uint64_t>(d.deadline_ms) : 0);
    w.put("\n");
    if (d.cache_lookup) w.line("cache", std::string_view(d.cache_path, d.cache_path_len));
    if (d.refresh_revocations) w.line("refresh", "1");
    return w.ok ? w.n : 0;
  }
  const Response& r = d.response;
  w.put("status\t");
  w.num(static_cast<std::uint64_t>(r.status));
  w.put("\n");
  w.line("reason", reason_info(r.reason).name);
  w.line("mode", mode_name(r.mode));
  w.line("body", body_name(r.body));
  if (r.has_span) {
    w.put("span\t");
    w.num(r.span.first);
    w.put("\t");
    w.num(r.span.last);
    w.put("\n");
  }
  for (std::size_t i = 0; i < r.n_headers; ++i) {
    w.put("h\t");
    w.put(r.headers[i].name);
    w.put("\t");
    w.put(r.headers[i].value);
    w.put("\n");
  }
  if (r.body == BodySource::text) w.line("text", reason_info(r.reason).body);
  // For the log line and the metric (CONTRACT.md section 8): the event, the
  // decoded key (never the token or the query), the request id.
  w.line("event", reason_info(r.reason).event);
  if (d.log) {
    // The sampling rate, per million, so that counts can be weighted back.
    w.put("log\t");
    w.num(d.log_sample_ppm);
    w.put("\n");
  }
  if (d.key_len) w.line("key", d.key_view());
  if (!d.request_id.empty()) w.line("request_id", d.request_id);
  if (d.cache_store) {
    w.put("store\t");
    w.put(std::string_view(d.cache_path, d.cache_path_len));
    w.put("\t");
    w.num(r.has_span ? r.span.length() : 0);  // content-length of the stored entry
    w.put("\t");
    w.put(std::string_view(d.cache_object, d.cache_object_len));
    w.put("\n");
  }
  if (d.refresh_revocations) w.line("refresh", "1");
  return w.ok ? w.n : 0;
}

}  // namespace mg
