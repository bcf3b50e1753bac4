// Fuzz target `protocol`: the binary protocol between the shim and the core (wasm/src/protocol.h:
// protocol_read_config, protocol_read_request, protocol_read_finish, protocol_write_decision),
// run the way wasm/abi/abi.cc runs it: mg_configure, mg_begin, mg_finish.
//
// Input: `[vars] text` FF (0x0C) `facts`. The facts are an input in the binary layout (numbers
// at the mg::wire offsets, then NUL-terminated strings); without a form feed the whole input is
// the facts and the [vars] are MEDIA_BUCKET only. The facts are used both for mg_begin and, as
// they stand, for mg_finish (their own plan and storage fields). Decisions are read back with
// tests/support/wire.h, as worker-shim/core.js reads them.
//
// Invariants:
//  - a configuration config_load accepts is in range (bucket, secret, 1..16 non-empty trimmed
//    prefixes, leeway 0..3600, max TTL 60..86400); one it refuses names the setting;
//  - facts whose request strings lack a terminator are no request (every string empty);
//  - every decision is written into the ABI's 16 KiB output buffer, decodes (version, exactly
//    the strings its header count says) and reads back as the decision it was written from;
//  - every answer carries the five security headers once, no header value holds CR, LF or NUL,
//    and its status is the reason's; facts the shim says it cut (kInputCut) are 431
//    request_too_large at mg_begin and mg_finish alike; else a method other than GET/HEAD is
//    405, an unusable configuration 503;
//  - a fetch decision read back through protocol_read_finish (its mode, key and plan echoed after the
//    request part, as the shim does) is valid and names the same operation and range;
//  - mg_finish on unreadable facts (fewer than all fifteen strings, or a plan the core never
//    writes) fails closed: 503 storage_unavailable (431 when cut), private, no-store;
//  - a 206 names a span inside the object size it was given, with a matching content-range
//    and content-length.
#include <cstring>
#include <string>

#include "config.h"
#include "decision.h"
#include "fuzz_util.h"
#include "protocol.h"
#include "wire.h"

namespace {

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::size_t kOutCap = 16 * 1024;  // wasm/abi/abi.cc

char g_out[kOutCap];
mg::Decision g_decision;

void check_config(const mg::ConfigText& text, const mg::Config& c, bool ok) {
  MG_FUZZ_CHECK(ok == c.problem.empty());
  if (!ok) {
    // The setting's name, never its value.
    MG_FUZZ_CHECK(c.problem.substr(0, 6) == "MEDIA_");
    for (char ch : c.problem) MG_FUZZ_CHECK((ch >= 'A' && ch <= 'Z') || ch == '_');
    return;
  }
  MG_FUZZ_CHECK(c.has_bucket && text.has_bucket && !c.secret.empty());
  MG_FUZZ_CHECK(c.n_prefixes >= 1 && c.n_prefixes <= mg::kMaxPrefixes);
  for (std::size_t i = 0; i < c.n_prefixes; ++i) {
    std::string_view p = c.prefixes[i];
    MG_FUZZ_CHECK(!p.empty() && p == mg::trim_ascii_space(p) && !mgfuzz::has_byte(p, ','));
  }
  MG_FUZZ_CHECK(c.leeway >= 0 && c.leeway <= 3600);
  MG_FUZZ_CHECK(c.max_ttl >= 60 && c.max_ttl <= 86400);
}

// How many strings the facts carry (terminated strings after the number block).
std::size_t count_strings(std::string_view facts) {
  if (facts.size() < mg::wire::kInStrings) return 0;
  std::size_t n = 0;
  for (std::size_t i = mg::wire::kInStrings; i < facts.size(); ++i) n += facts[i] == '\0';
  return n;
}

// Writes the decision and reads it back as the shim would: it fits, decodes, and says what the
// decision says.
mgtest::Decoded write(const mg::Decision& d) {
  std::size_t n = mg::protocol_write_decision(d, g_out, kOutCap);
  MG_FUZZ_CHECK(n >= mg::wire::kOutHeaderCodes && n <= kOutCap);
  mgtest::Decoded got = mgtest::decode(std::string_view(g_out, n));
  MG_FUZZ_CHECK(got.ok && got.version == mg::wire::kVersion);
  MG_FUZZ_CHECK(got.fetch == (d.fetch ? 1u : 0u));
  MG_FUZZ_CHECK(got.has(mg::wire::flag_refresh) == d.refresh_revocations);
  MG_FUZZ_CHECK(got.key == d.key_view());
  if (d.fetch) {
    MG_FUZZ_CHECK(got.mode == mgtest::code(d.mode) && got.mode_name == mg::mode_name(d.mode));
    MG_FUZZ_CHECK(got.has(mg::wire::flag_cache) == d.cache_lookup);
    MG_FUZZ_CHECK(got.cache_path == (d.cache_lookup ? std::string_view(d.cache_path, d.cache_path_len)
                                                    : std::string_view()));
    MG_FUZZ_CHECK(got.status == 0 && got.n_headers == 0 && got.reason.empty() && got.text.empty());
    std::int64_t ms = d.deadline_ms <= 0 ? 0 : d.deadline_ms > 0x7fffffff ? 0x7fffffff : d.deadline_ms;
    MG_FUZZ_CHECK(got.deadline == static_cast<std::uint32_t>(ms));
    return got;
  }
  const mg::Response& r = d.response;
  const mg::ReasonInfo& info = mg::reason_info(r.reason);
  MG_FUZZ_CHECK(got.status == static_cast<std::uint32_t>(r.status) && got.reason == info.name &&
                got.event == info.event);
  MG_FUZZ_CHECK(got.mode == mgtest::code(r.mode) && got.mode_name == mg::mode_name(r.mode));
  MG_FUZZ_CHECK(got.body == mgtest::code(r.body));
  MG_FUZZ_CHECK(got.text == (r.body == mg::BodySource::text ? info.body : std::string_view()));
  MG_FUZZ_CHECK(got.request_id == d.request_id);
  MG_FUZZ_CHECK(got.has(mg::wire::flag_log) == d.log);
  MG_FUZZ_CHECK(got.log_rate == (d.log ? d.log_sample_ppm : 0u));
  MG_FUZZ_CHECK(got.has(mg::wire::flag_span) == r.has_span);
  if (r.has_span)
    MG_FUZZ_CHECK(got.span_first == static_cast<double>(r.span.first) &&
                  got.span_last == static_cast<double>(r.span.last));
  MG_FUZZ_CHECK(got.has(mg::wire::flag_store) == d.cache_store);
  MG_FUZZ_CHECK(got.has(mg::wire::flag_fill) == d.cache_fill);
  MG_FUZZ_CHECK(got.has(mg::wire::flag_budget) == d.log_budget);
  if (d.cache_store || d.cache_fill) {
    MG_FUZZ_CHECK(got.cache_path == std::string_view(d.cache_path, d.cache_path_len));
    MG_FUZZ_CHECK(got.store_meta == std::string_view(d.cache_object, d.cache_object_len));
    if (d.cache_fill) MG_FUZZ_CHECK(got.store_length == static_cast<double>(d.cache_fill_length));
    else MG_FUZZ_CHECK(got.store_length == (r.has_span ? static_cast<double>(r.span.length()) : 0.0));
  } else {
    MG_FUZZ_CHECK(got.cache_path.empty() && got.store_meta.empty() && got.store_length == 0);
  }
  MG_FUZZ_CHECK(!got.has(mg::wire::flag_cache));
  MG_FUZZ_CHECK(got.headers.size() == r.n_headers);
  for (std::size_t i = 0; i < r.n_headers && i < got.headers.size(); ++i)
    MG_FUZZ_CHECK(got.headers[i].first == r.headers[i].name && got.headers[i].second == r.headers[i].value);
  return got;
}

void check_answer(const mg::Decision& d, const mgtest::Decoded& got, bool has_size, std::uint64_t size) {
  const mg::Response& r = d.response;
  MG_FUZZ_CHECK(r.status == mg::reason_info(r.reason).status);
  static const std::string_view kSecurity[] = {"x-content-type-options", "referrer-policy",
                                               "cross-origin-resource-policy", "x-robots-tag",
                                               "content-security-policy"};
  for (std::string_view name : kSecurity) MG_FUZZ_CHECK(got.count(name) == 1);
  for (const auto& h : got.headers) MG_FUZZ_CHECK(mgfuzz::clean_value(h.first) && mgfuzz::clean_value(h.second));
  if (r.mode == mg::Mode::priv) MG_FUZZ_CHECK(got.header("cache-control") == "private, no-store");
  if (r.status == 206) {
    MG_FUZZ_CHECK(has_size && r.has_span && r.span.first <= r.span.last && r.span.last < size);
    MG_FUZZ_CHECK(got.header("content-length") == mgfuzz::decimal(r.span.length()));
    MG_FUZZ_CHECK(got.header("content-range") == "bytes " + mgfuzz::decimal(r.span.first) + "-" +
                                                     mgfuzz::decimal(r.span.last) + "/" + mgfuzz::decimal(size));
  }
}

// A fetch decision, echoed back after the request part as the shim does, reads back as the same
// plan (and the same request).
void check_fetch_roundtrip(const mg::Decision& d, const mgtest::Decoded& got, const mg::RequestFacts& req) {
  mgtest::Input in;
  in.method = std::string(req.method);
  in.path = std::string(req.path);
  in.query = std::string(req.query);
  in.range = std::string(req.range);
  in.if_match = std::string(req.cond.if_match);
  in.if_none_match = std::string(req.cond.if_none_match);
  in.if_modified_since = std::string(req.cond.if_modified_since);
  in.if_unmodified_since = std::string(req.cond.if_unmodified_since);
  in.if_range = std::string(req.cond.if_range);
  in.request_id = std::string(req.request_id);
  in.now = static_cast<double>(req.now);
  in.sample = req.sample;
  in.revocation = mgtest::code(req.revocation);
  in.revocation_age = static_cast<double>(req.revocation_age);
  in.mode = got.mode;
  in.key = got.key;
  in.op = got.op;
  in.kind = got.kind;
  in.attempt = got.attempt;
  in.offset = got.offset;
  in.length = got.length;
  in.suffix = got.suffix;
  in.result = mgtest::code(mg::StorageResult::ok);
  in.source = mgtest::code(mg::ObjectSource::storage);
  in.size = 1;
  in.uploaded = 0;
  const std::string bytes = mgtest::encode_finish(in);
  mg::FinishFacts fin;
  mg::protocol_read_finish(bytes, &fin);
  MG_FUZZ_CHECK(fin.valid && fin.mode == d.mode && fin.key == d.key_view());
  const mg::Plan& p = fin.performed;
  mg::RangeHintKind want = d.plan.range.kind == mg::RangeHintKind::needs_size ? mg::RangeHintKind::whole
                                                                              : d.plan.range.kind;
  MG_FUZZ_CHECK(p.op == d.plan.op && p.range.kind == want && p.attempt == d.plan.attempt);
  MG_FUZZ_CHECK(p.range.offset == d.plan.range.offset && p.range.length == d.plan.range.length &&
                p.range.suffix == d.plan.range.suffix);
  mg::RequestFacts again;
  mg::protocol_read_request(bytes, &again);
  MG_FUZZ_CHECK(again.method == req.method && again.path == req.path && again.query == req.query &&
                again.range == req.range && again.cond.if_range == req.cond.if_range &&
                again.request_id == req.request_id && again.now == req.now && again.sample == req.sample &&
                again.revocation == req.revocation && again.revocation_age == req.revocation_age);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = mgfuzz::as_text(data, size);
  std::string_view vars = "MEDIA_BUCKET\t1\n";
  std::string_view facts = input;
  std::size_t ff = input.find('\f');
  if (ff != std::string_view::npos) {
    vars = input.substr(0, ff);
    facts = input.substr(ff + 1);
  }
  const std::size_t n_strings = count_strings(facts);

  // mg_configure.
  mg::ConfigText text;
  mg::protocol_read_config(vars, &text);
  text.secret = kSecret;
  text.secret_set = true;
  static mg::Config config;
  bool ok = mg::config_load(text, &config);
  check_config(text, config, ok);

  // mg_begin.
  mg::RequestFacts req;
  mg::protocol_read_request(facts, &req);
  if (n_strings < mg::wire::kRequestStrings)
    MG_FUZZ_CHECK(req.method.empty() && req.path.empty() && req.query.empty() && req.range.empty() &&
                  req.cond.if_match.empty() && req.cond.if_none_match.empty() &&
                  req.cond.if_modified_since.empty() && req.cond.if_unmodified_since.empty() &&
                  req.cond.if_range.empty() && req.request_id.empty());
  mg::decide_begin(config, req, &g_decision);
  mgtest::Decoded out = write(g_decision);
  if (req.too_large) {
    MG_FUZZ_CHECK(!g_decision.fetch && out.status == 431 && out.reason == "request_too_large");
    MG_FUZZ_CHECK(out.key.empty() && out.header("cache-control") == "private, no-store");
    check_answer(g_decision, out, false, 0);
  } else if (g_decision.fetch) {
    MG_FUZZ_CHECK(ok && (req.method == "GET" || req.method == "HEAD"));
    check_fetch_roundtrip(g_decision, out, req);
  } else {
    check_answer(g_decision, out, false, 0);
    if (req.method != "GET" && req.method != "HEAD") MG_FUZZ_CHECK(g_decision.response.status == 405);
    else if (!ok) MG_FUZZ_CHECK(g_decision.response.status == 503);
  }

  // mg_finish on the same facts.
  mg::FinishFacts fin;
  mg::protocol_read_finish(facts, &fin);
  if (n_strings < mg::wire::in_count_) MG_FUZZ_CHECK(!fin.valid);
  if (req.too_large) MG_FUZZ_CHECK(!fin.valid);
  if (!fin.valid) {
    mg::decide_unreadable(config, fin.request, fin.mode, &g_decision);  // as mg_finish does
    out = write(g_decision);
    check_answer(g_decision, out, false, 0);
    if (req.too_large) MG_FUZZ_CHECK(out.status == 431 && out.reason == "request_too_large" && out.key.empty());
    else MG_FUZZ_CHECK(out.status == 503 && out.reason == "storage_unavailable");
    MG_FUZZ_CHECK(out.header("cache-control") == "private, no-store");
    return 0;
  }
  mg::decide_finish(config, req, fin.mode, fin.key, fin.performed, fin.object, &g_decision);
  out = write(g_decision);
  if (g_decision.fetch) {
    // Another read: after an unreadable edge cache entry, the same plan from storage; else
    // the second, exact, storage read (there is never a third).
    if (fin.object.source == mg::ObjectSource::cache && fin.object.result != mg::StorageResult::ok &&
        fin.object.result != mg::StorageResult::invalid_range) {
      MG_FUZZ_CHECK(g_decision.plan.op == fin.performed.op && g_decision.plan.attempt == fin.performed.attempt);
      MG_FUZZ_CHECK(!g_decision.cache_lookup);
    } else {
      MG_FUZZ_CHECK(fin.performed.attempt == 1 && g_decision.plan.attempt == 2);
      MG_FUZZ_CHECK(g_decision.plan.op == mg::StorageOp::get);
    }
    check_fetch_roundtrip(g_decision, out, req);
  } else {
    check_answer(g_decision, out, fin.object.result == mg::StorageResult::ok, fin.object.size);
  }
  return 0;
}
