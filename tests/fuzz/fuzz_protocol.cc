// Fuzz target `protocol`: the text protocol between the shim and the core
// (protocol_read_config, protocol_read_request, protocol_read_finish, protocol_write_decision),
// run the way wasm/abi/abi.cc runs it: mg_configure, mg_begin, mg_finish.
//
// Input: `[vars] text` FF (0x0C) `request text`; without a form feed the whole input is the
// request text and the [vars] are MEDIA_BUCKET only. The request text is used both for
// mg_begin and, as it stands, for mg_finish (its own mode/fetch/result lines).
//
// Invariants:
//  - a configuration config_load accepts is in range (bucket, secret, 1..16 non-empty trimmed
//    prefixes, leeway 0..3600, max TTL 60..86400); one it refuses names the setting;
//  - every decision is written into the ABI's 4 KiB output buffer, one `name<TAB>value` line
//    each, with no CR or NUL anywhere and no LF inside a value;
//  - every answer starts with its status, carries the five security headers, and its status is
//    the reason's; a method other than GET/HEAD is 405, an unusable configuration 503;
//  - a `fetch` decision read back through protocol_read_finish (its mode and fetch lines
//    echoed, as the shim does) is valid and names the same operation and range;
//  - mg_finish on unreadable facts fails closed: 503 storage_unavailable, private, no-store;
//  - a 206 names a span inside the object size it was given, with a matching content-range
//    and content-length.
#include <cstring>
#include <string>

#include "config.h"
#include "decision.h"
#include "fuzz_util.h"
#include "protocol.h"

namespace {

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::size_t kOutCap = 4 * 1024;  // wasm/abi/abi.cc

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

struct Line {
  std::string_view name, value;
};

// Checks the written text line by line; returns the number of lines.
std::size_t check_lines(std::string_view out, Line* lines, std::size_t cap) {
  MG_FUZZ_CHECK(!out.empty() && out.back() == '\n');
  MG_FUZZ_CHECK(!mgfuzz::has_byte(out, '\r') && !mgfuzz::has_byte(out, '\0'));
  std::size_t n = 0;
  std::string_view rest = out;
  while (!rest.empty()) {
    std::string_view line = mgfuzz::next_part(&rest);
    std::size_t tab = line.find('\t');
    MG_FUZZ_CHECK(tab != std::string_view::npos && tab > 0);
    if (n < cap) lines[n] = Line{line.substr(0, tab), line.substr(tab + 1)};
    ++n;
  }
  return n;
}

void check_answer(const mg::Decision& d, std::string_view out, bool has_size, std::uint64_t size) {
  static Line lines[64];
  std::size_t n = check_lines(out, lines, 64);
  MG_FUZZ_CHECK(n <= 64);
  const mg::Response& r = d.response;
  MG_FUZZ_CHECK(lines[0].name == "status" && lines[0].value == mgfuzz::decimal(r.status));
  MG_FUZZ_CHECK(lines[1].name == "reason" && lines[1].value == mg::reason_info(r.reason).name);
  MG_FUZZ_CHECK(r.status == mg::reason_info(r.reason).status);
  static const std::string_view kSecurity[] = {"x-content-type-options", "referrer-policy",
                                               "cross-origin-resource-policy", "x-robots-tag",
                                               "content-security-policy"};
  for (std::string_view name : kSecurity) {
    std::size_t seen = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (lines[i].name == "h" && lines[i].value.substr(0, lines[i].value.find('\t')) == name) ++seen;
    MG_FUZZ_CHECK(seen == 1);
  }
  for (std::size_t i = 0; i < r.n_headers; ++i) MG_FUZZ_CHECK(mgfuzz::clean_value(r.headers[i].value));
  if (r.mode == mg::Mode::priv) MG_FUZZ_CHECK(r.find("cache-control") == "private, no-store");
  if (r.status == 206) {
    MG_FUZZ_CHECK(has_size && r.has_span && r.span.first <= r.span.last && r.span.last < size);
    MG_FUZZ_CHECK(r.find("content-length") == mgfuzz::decimal(r.span.length()));
    MG_FUZZ_CHECK(r.find("content-range") == "bytes " + mgfuzz::decimal(r.span.first) + "-" +
                                                 mgfuzz::decimal(r.span.last) + "/" + mgfuzz::decimal(size));
  }
}

std::string_view write(const mg::Decision& d) {
  std::size_t n = mg::protocol_write_decision(d, g_out, kOutCap);
  MG_FUZZ_CHECK(n > 0 && n <= kOutCap);
  return std::string_view(g_out, n);
}

// A fetch decision, echoed back as the shim does, reads back as the same plan.
void check_fetch_roundtrip(const mg::Decision& d, std::string_view out, std::string_view facts) {
  static Line lines[8];
  std::size_t n = check_lines(out, lines, 8);
  MG_FUZZ_CHECK(n >= 3 && lines[0].name == "fetch" && lines[1].name == "mode" && lines[2].name == "key");
  MG_FUZZ_CHECK(lines[2].value == d.key_view());
  std::string finish = "mode\t" + std::string(lines[1].value) + "\nfetch\t" + std::string(lines[0].value) +
                       "\nresult\tok\nsize\t1\nuploaded\t0\n" + std::string(facts);
  mg::FinishFacts fin;
  mg::protocol_read_finish(finish, &fin);
  MG_FUZZ_CHECK(fin.valid && fin.mode == d.mode);
  const mg::Plan& p = fin.performed;
  mg::RangeHintKind want = d.plan.range.kind == mg::RangeHintKind::needs_size ? mg::RangeHintKind::whole
                                                                              : d.plan.range.kind;
  MG_FUZZ_CHECK(p.op == d.plan.op && p.range.kind == want && p.attempt == d.plan.attempt);
  MG_FUZZ_CHECK(p.range.offset == d.plan.range.offset && p.range.length == d.plan.range.length &&
                p.range.suffix == d.plan.range.suffix);
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
  mg::decide_begin(config, req, &g_decision);
  std::string_view out = write(g_decision);
  if (g_decision.fetch) {
    MG_FUZZ_CHECK(ok && (req.method == "GET" || req.method == "HEAD"));
    check_fetch_roundtrip(g_decision, out, facts);
  } else {
    check_answer(g_decision, out, false, 0);
    if (req.method != "GET" && req.method != "HEAD") MG_FUZZ_CHECK(g_decision.response.status == 405);
    else if (!ok) MG_FUZZ_CHECK(g_decision.response.status == 503);
  }

  // mg_finish on the same text.
  mg::FinishFacts fin;
  mg::protocol_read_finish(facts, &fin);
  if (!fin.valid) {
    g_decision.fetch = false;
    mg::respond_reason(config, mg::Reason::storage_unavailable, fin.mode, req.method == "HEAD",
                       &g_decision.response);
    out = write(g_decision);
    check_answer(g_decision, out, false, 0);
    MG_FUZZ_CHECK(g_decision.response.status == 503);
    MG_FUZZ_CHECK(g_decision.response.find("cache-control") == "private, no-store");
    return 0;
  }
  mg::decide_finish(config, req, fin.mode, fin.performed, fin.object, &g_decision);
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
    check_fetch_roundtrip(g_decision, out, facts);
  } else {
    check_answer(g_decision, out, fin.object.result == mg::StorageResult::ok, fin.object.size);
  }
  return 0;
}
