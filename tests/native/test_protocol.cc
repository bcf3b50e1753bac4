// The shim <-> core binary protocol (wasm/src/protocol.h, docs/ARCHITECTURE.md): what the
// Worker writes is read back exactly, and decisions are written as documented. Inputs are
// written and decisions read by tests/support/wire.h, independently of protocol.cc. The facts
// read are views into the input: its bytes are kept for as long as they are used.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "protocol.h"
#include "wire.h"

namespace {

using mgtest::code;
namespace wire = mg::wire;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A fetch decision's answer as mg_finish reads it: a private ranged read storage answered.
mgtest::Input storage_read() {
  mgtest::Input in;
  in.method = "GET";
  in.path = "/m/u/a.png";
  in.query = "?t=x";
  in.now = 1767225600;
  in.range = "bytes=10-14";
  in.mode = code(mg::Mode::priv);
  in.key = "u/a.png";  // the fetch decision's key, echoed
  in.op = code(mg::StorageOp::get);
  in.kind = code(mg::RangeHintKind::offset_length);
  in.offset = 10;
  in.length = 5;
  in.attempt = 1;
  in.result = code(mg::StorageResult::ok);
  in.source = code(mg::ObjectSource::storage);
  in.size = 1000;
  in.etag = "\"e\"";
  in.uploaded = 1445412480;
  in.type = "image/png";
  return in;
}

// A public whole read the edge cache answered, with the entry's metadata.
mgtest::Input cache_hit() {
  mgtest::Input in;
  in.method = "GET";
  in.path = "/m/u/a.png";
  in.mode = code(mg::Mode::pub);
  in.key = "u/a.png";
  in.op = code(mg::StorageOp::get);
  in.kind = code(mg::RangeHintKind::whole);
  in.attempt = 1;
  in.result = code(mg::StorageResult::ok);
  in.source = code(mg::ObjectSource::cache);
  in.size = kNaN;  // as the shim writes them for the cache: storage's numbers absent
  in.uploaded = kNaN;
  in.cached = "v1 1000 1445412480 \"e\" image/png";
  in.cached_size = "1000";
  return in;
}

mgtest::Decoded write_decision(const mg::Decision& d) {
  static char out[16 * 1024];  // wasm/abi/abi.cc's output buffer (kOutCap)
  std::size_t n = mg::protocol_write_decision(d, out, sizeof out);
  REQUIRE(n > 0);
  mgtest::Decoded got = mgtest::decode(std::string_view(out, n));
  REQUIRE(got.ok);
  return got;
}

}  // namespace

TEST_CASE("protocol: the layout is the one worker-shim/core.js writes and reads") {
  // wasm/spec/wire.json describes the layout once; wire_layout.h (here) and worker-shim/wire.js
  // (core.js) are generated from it. These pin today's values: appending a field leaves them
  // true, moving or renumbering one (which a shim of another build would misread) fails here.
  static_assert(wire::kVersion == 7);
  static_assert(wire::kNow == 0 && wire::kRevocationAge == 8 && wire::kSample == 16 && wire::kRevocation == 20);
  static_assert(wire::kMode == 24 && wire::kOp == 28 && wire::kKind == 32 && wire::kAttempt == 36);
  static_assert(wire::kOffset == 40 && wire::kLength == 48 && wire::kSuffix == 56);
  static_assert(wire::kResult == 64 && wire::kSource == 68 && wire::kSize == 72 && wire::kUploaded == 80);
  static_assert(wire::kCacheTimedOut == 88 && wire::kInputCut == 92 && wire::kRevocationFailures == 96 &&
                wire::kRevocationLoading == 100 && wire::kLogRecent == 104);
  static_assert(wire::kTusState == 108 && wire::kTusLease == 112 && wire::kTusFamily == 116 && wire::kTusLength == 120 &&
                wire::kTusOffset == 128 && wire::kTusPartSize == 136 && wire::kTusPartsEnd == 144 &&
                wire::kTusCreated == 152 && wire::kTusExpires == 160);
  static_assert(wire::kInStrings == 168 && wire::kRequestStrings == 16 && wire::in_count_ == 25);
  static_assert(wire::kInCap == 160 * 1024);
  static_assert(wire::in_range == 3 && wire::in_request_id == 9 && wire::in_content_length == 11 &&
                wire::in_tus_resumable == 12 && wire::in_upload_metadata == 15 && wire::in_cached_size == 19 &&
                wire::in_stored_md5 == 22 && wire::in_key == 23 && wire::in_tus_type == 24);
  static_assert(wire::kOutFetch == 0 && wire::kOutStatus == 4 && wire::kOutMode == 8 && wire::kOutFlags == 12);
  static_assert(wire::kOutBody == 16 && wire::kOutHeaders == 20 && wire::kOutLogRate == 24 && wire::kOutDeadline == 28);
  static_assert(wire::kOutOp == 32 && wire::kOutKind == 36 && wire::kOutAttempt == 40 && wire::kOutVersion == 44);
  static_assert(wire::kOutOffset == 48 && wire::kOutLength == 56 && wire::kOutSuffix == 64);
  static_assert(wire::kOutSpanFirst == 72 && wire::kOutSpanLast == 80 && wire::kOutStoreLength == 88);
  static_assert(wire::kOutCacheDeadline == 96 && wire::kOutTusPartSize == 104 && wire::kOutTusExpires == 112 &&
                wire::kOutTusLease == 120 && wire::kOutTusFamily == 124 && wire::kOutHeaderCodes == 128 &&
                wire::out_count_ == 9);
  static_assert(wire::flag_refresh == 1 && wire::flag_cache == 2 && wire::flag_log == 4 && wire::flag_store == 8 &&
                wire::flag_span == 16 && wire::flag_fingerprints == 32 && wire::flag_wait == 64 &&
                wire::flag_stale == 128 && wire::flag_fill == 256 && wire::flag_budget == 512 &&
                wire::flag_abort == 1024 && wire::flag_release == 2048);
  // Every f64 slot is 8-aligned (core.js reads them through a Float64Array).
  static_assert(wire::kOffset % 8 == 0 && wire::kSize % 8 == 0 && wire::kOutOffset % 8 == 0 &&
                wire::kOutStoreLength % 8 == 0);
  // The codes core.js uses (REVOCATION, RESULT, OP, KIND, BODY, modes).
  static_assert(code(mg::RevocationState::disabled) == 0 && code(mg::RevocationState::unavailable) == 1 &&
                code(mg::RevocationState::loaded) == 2);
  static_assert(code(mg::StorageResult::ok) == 0 && code(mg::StorageResult::missing) == 1 &&
                code(mg::StorageResult::invalid_range) == 2 && code(mg::StorageResult::error) == 3 &&
                code(mg::StorageResult::timeout) == 4);
  static_assert(code(mg::StorageOp::get) == 0 && code(mg::StorageOp::head) == 1);
  static_assert(code(mg::RangeHintKind::whole) == 0 && code(mg::RangeHintKind::offset_length) == 1 &&
                code(mg::RangeHintKind::offset) == 2 && code(mg::RangeHintKind::suffix) == 3);
  static_assert(code(mg::ObjectSource::storage) == 0 && code(mg::ObjectSource::cache) == 1);
  static_assert(code(mg::BodySource::none) == 0 && code(mg::BodySource::text) == 1 && code(mg::BodySource::object) == 2);
  static_assert(code(mg::Mode::none) == 0 && code(mg::Mode::pub) == 1 && code(mg::Mode::priv) == 2);
  CHECK(mgtest::encode_begin(mgtest::Input{}).size() == wire::kInStrings + wire::kRequestStrings);
  CHECK(mgtest::encode_finish(mgtest::Input{}).size() == wire::kInStrings + wire::in_count_);
}

TEST_CASE("protocol: request facts are read back exactly") {
  mgtest::Input in;
  in.method = "GET";
  in.path = "/m/u/a%20b.png";
  in.query = "?t=x";
  in.now = 1767225600;
  in.range = "bytes=0-1";
  in.if_match = "\"m\"";
  in.if_none_match = "\"a\", \"b\"";
  in.if_modified_since = "Wed, 21 Oct 2015 07:28:00 GMT";
  in.if_unmodified_since = "Thu, 22 Oct 2015 07:28:00 GMT";
  in.if_range = "W/\"x\"\tmore\nlines";  // a value may hold tabs and newlines
  in.request_id = "req-123";
  in.sample = 999999;
  in.revocation = code(mg::RevocationState::loaded);
  in.revocation_age = 42;
  in.cache_timed_out = 1;
  in.revocation_failures = 3;
  in.revocation_loading = 1500;
  // mg_begin's input, and mg_finish's (the same request part, then the rest).
  for (const std::string& bytes : {mgtest::encode_begin(in), mgtest::encode_finish(in)}) {
    mg::RequestFacts req;
    mg::protocol_read_request(bytes, &req);
    CHECK(req.method == "GET");
    CHECK(req.path == "/m/u/a%20b.png");
    CHECK(req.query == "?t=x");
    CHECK(req.now == 1767225600);
    CHECK(req.range == "bytes=0-1");
    CHECK(req.cond.if_match == "\"m\"");
    CHECK(req.cond.if_none_match == "\"a\", \"b\"");
    CHECK(req.cond.if_modified_since == "Wed, 21 Oct 2015 07:28:00 GMT");
    CHECK(req.cond.if_unmodified_since == "Thu, 22 Oct 2015 07:28:00 GMT");
    CHECK(req.cond.if_range == "W/\"x\"\tmore\nlines");
    CHECK(req.request_id == "req-123");
    CHECK(req.sample == 999999);
    CHECK(req.revocation == mg::RevocationState::loaded);
    CHECK(req.revocation_age == 42);
    CHECK(req.cache_timed_out);
    CHECK(req.revocation_failures == 3);
    CHECK(req.revocation_loading_ms == 1500);
  }
  mgtest::Input absent;  // absent and empty are the same
  absent.method = "HEAD";
  absent.now = -5;
  absent.revocation = code(mg::RevocationState::unavailable);
  mg::RequestFacts req;
  const std::string req_bytes = mgtest::encode_begin(absent);
  mg::protocol_read_request(req_bytes, &req);
  CHECK(req.method == "HEAD");
  CHECK(req.path.empty());
  CHECK(req.range.empty());
  CHECK(req.cond.if_match.empty());
  CHECK(req.request_id.empty());
  CHECK(req.now == -5);
  CHECK(req.revocation == mg::RevocationState::unavailable);
  CHECK_FALSE(req.cache_timed_out);
  CHECK(req.revocation_failures == 0);
  CHECK(req.revocation_loading_ms == mg::RequestFacts::kNoLoad);
}

TEST_CASE("protocol: request numbers the core cannot read keep their defaults") {
  struct Row {
    const char* name;
    double now;
    double age;
    std::uint32_t sample;
    std::uint32_t revocation;
  } rows[] = {
      {"NaN", kNaN, kNaN, 0, 0},
      {"fractions", 1767225600.5, 0.25, 0, 0},
      {"beyond 2^53", 18014398509481984.0, -18014398509481984.0, 0, 0},
      {"infinities", std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(), 0, 0},
      {"sample out of range, unknown revocation code", 0, 0, 1000000, 3},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    mgtest::Input in;
    in.method = "GET";
    in.now = row.now;
    in.revocation_age = row.age;
    in.sample = row.sample;
    in.revocation = row.revocation;
    mg::RequestFacts req;
    const std::string req_bytes = mgtest::encode_begin(in);
    mg::protocol_read_request(req_bytes, &req);
    CHECK(req.method == "GET");
    CHECK(req.now == 0);
    CHECK(req.revocation_age == 0);
    CHECK(req.sample == 0);
    // An unknown revocation code is "unavailable" (never "disabled": that would serve unchecked).
    CHECK(req.revocation == (row.revocation == 0 ? mg::RevocationState::disabled : mg::RevocationState::unavailable));
  }
}

TEST_CASE("protocol: a truncated or short input is read as no input") {
  mgtest::Input in = storage_read();
  in.request_id = "req-1";
  const std::string begin = mgtest::encode_begin(in);
  const std::string finish = mgtest::encode_finish(in);
  auto no_request = [](std::string_view bytes) {
    mg::RequestFacts req;
    mg::protocol_read_request(bytes, &req);
    CHECK(req.method.empty());
    CHECK(req.path.empty());
    CHECK(req.query.empty());
    CHECK(req.range.empty());
    CHECK(req.cond.if_match.empty());
    CHECK(req.cond.if_none_match.empty());
    CHECK(req.cond.if_modified_since.empty());
    CHECK(req.cond.if_unmodified_since.empty());
    CHECK(req.cond.if_range.empty());
    CHECK(req.request_id.empty());
  };
  // The request strings cut anywhere before their last terminator: never shorter values.
  for (std::size_t cut : {begin.size() - 1, begin.size() - 3, wire::kInStrings + 2, wire::kInStrings + 0}) {
    CAPTURE(cut);
    no_request(std::string_view(begin).substr(0, cut));
  }
  // Shorter than the number block: nothing at all (numbers past the end are unreadable).
  for (std::size_t cut : {wire::kInStrings - 1, std::size_t{8}, std::size_t{0}}) {
    CAPTURE(cut);
    std::string_view bytes = std::string_view(begin).substr(0, cut);
    no_request(bytes);
    mg::RequestFacts req;
    mg::protocol_read_request(bytes, &req);
    if (cut < wire::kNow + 8) CHECK(req.now == 0);
    mg::FinishFacts f;
    mg::protocol_read_finish(bytes, &f);
    CHECK_FALSE(f.valid);
  }
  // mg_finish needs all fifteen strings: mg_begin's input, or a finish input cut short, is no
  // finish input (the request part of a cut finish input is whole, and still read).
  mg::FinishFacts f;
  mg::protocol_read_finish(finish, &f);
  CHECK(f.valid);
  for (std::size_t cut : {finish.size() - 1, finish.size() - 2, begin.size(), begin.size() - 1, wire::kInStrings}) {
    CAPTURE(cut);
    mg::FinishFacts cut_f;
    mg::protocol_read_finish(std::string_view(finish).substr(0, cut), &cut_f);
    CHECK_FALSE(cut_f.valid);
  }
  mg::FinishFacts from_begin;
  mg::protocol_read_finish(begin, &from_begin);
  CHECK_FALSE(from_begin.valid);
  // A string holding a NUL ends there, and every string after it shifts: the shim replaces NUL
  // in what it writes (worker-shim/core.js, clean()).
  mgtest::Input nul = in;
  nul.method = std::string("GET\0x", 5);
  mg::RequestFacts req;
  const std::string req_bytes = mgtest::encode_begin(nul);
  mg::protocol_read_request(req_bytes, &req);
  CHECK(req.method == "GET");
  CHECK(req.path == "x");
}

TEST_CASE("protocol: finish facts") {
  mgtest::Input in = storage_read();
  mg::FinishFacts f;
  const std::string f_bytes = mgtest::encode_finish(in);
  mg::protocol_read_finish(f_bytes, &f);
  CHECK(f.valid);
  CHECK(f.mode == mg::Mode::priv);
  CHECK(f.key == "u/a.png");
  CHECK(f.performed.op == mg::StorageOp::get);
  CHECK(f.performed.range.kind == mg::RangeHintKind::offset_length);
  CHECK(f.performed.range.offset == 10);
  CHECK(f.performed.range.length == 5);
  CHECK(f.performed.range.suffix == 0);
  CHECK(f.performed.attempt == 1);
  CHECK(f.object.result == mg::StorageResult::ok);
  CHECK(f.object.source == mg::ObjectSource::storage);
  CHECK(f.object.size == 1000);
  CHECK(f.object.etag == "\"e\"");
  CHECK(f.object.uploaded == 1445412480);
  CHECK(f.object.content_type == "image/png");

  in.op = code(mg::StorageOp::head);
  in.kind = code(mg::RangeHintKind::suffix);
  in.offset = in.length = 0;
  in.suffix = 100;
  in.attempt = 2;
  in.mode = code(mg::Mode::none);
  mg::FinishFacts g;
  const std::string g_bytes = mgtest::encode_finish(in);
  mg::protocol_read_finish(g_bytes, &g);
  CHECK(g.valid);
  CHECK(g.mode == mg::Mode::none);
  CHECK(g.performed.op == mg::StorageOp::head);
  CHECK(g.performed.range.kind == mg::RangeHintKind::suffix);
  CHECK(g.performed.range.suffix == 100);
  CHECK(g.performed.attempt == 2);

  // A plan the core never writes: the shim broke the protocol.
  struct Bad {
    const char* name;
    void (*edit)(mgtest::Input*);
  } bad[] = {
      {"op 10 (no such operation)", [](mgtest::Input* i) { i->op = 10; }},
      {"kind 4 (needs_size is never on the wire)", [](mgtest::Input* i) { i->kind = code(mg::RangeHintKind::needs_size); }},
      {"kind 99", [](mgtest::Input* i) { i->kind = 99; }},
      {"attempt 0", [](mgtest::Input* i) { i->attempt = 0; }},
      {"attempt 3", [](mgtest::Input* i) { i->attempt = 3; }},
      {"mode 4", [](mgtest::Input* i) { i->mode = 4; }},
      {"offset NaN", [](mgtest::Input* i) { i->offset = kNaN; }},
      {"length negative", [](mgtest::Input* i) { i->length = -1; }},
      {"suffix fractional", [](mgtest::Input* i) { i->suffix = 0.5; }},
      {"offset beyond 2^53", [](mgtest::Input* i) { i->offset = 18014398509481984.0; }},
  };
  for (const auto& row : bad) {
    CAPTURE(row.name);
    mgtest::Input b = storage_read();
    row.edit(&b);
    mg::FinishFacts h;
    const std::string h_bytes = mgtest::encode_finish(b);
    mg::protocol_read_finish(h_bytes, &h);
    CHECK_FALSE(h.valid);
  }

  // Metadata the core cannot read is a storage failure (result error), never a guess.
  struct Meta {
    const char* name;
    double size;
    double uploaded;
    mg::StorageResult want;
  } meta[] = {
      {"size missing (the shim writes NaN)", kNaN, 1, mg::StorageResult::error},
      {"size fractional", 1.5, 1, mg::StorageResult::error},
      {"size negative", -1, 1, mg::StorageResult::error},
      {"size above 2^53", 9007199254740994.0, 1, mg::StorageResult::error},
      {"size infinite", std::numeric_limits<double>::infinity(), 1, mg::StorageResult::error},
      {"uploaded unreadable", 1000, kNaN, mg::StorageResult::error},
      {"uploaded fractional", 1000, 1.5, mg::StorageResult::error},
      {"size 0", 0, 1, mg::StorageResult::ok},
      {"size 2^53 - 1", 9007199254740991.0, 1, mg::StorageResult::ok},
      {"uploaded before 1970", 1000, -86400, mg::StorageResult::ok},
  };
  for (const auto& row : meta) {
    CAPTURE(row.name);
    mgtest::Input m = storage_read();
    m.size = row.size;
    m.uploaded = row.uploaded;
    mg::FinishFacts h;
    const std::string h_bytes = mgtest::encode_finish(m);
    mg::protocol_read_finish(h_bytes, &h);
    CHECK(h.valid);
    CHECK(h.object.result == row.want);
  }
  // Without an object there is no metadata to read; an unknown result is an error.
  mgtest::Input missing = storage_read();
  missing.result = code(mg::StorageResult::missing);
  missing.size = missing.uploaded = kNaN;
  mg::FinishFacts h;
  const std::string missing_bytes = mgtest::encode_finish(missing);
  mg::protocol_read_finish(missing_bytes, &h);
  CHECK(h.valid);
  CHECK(h.object.result == mg::StorageResult::missing);
  missing.result = code(mg::StorageResult::timeout);
  const std::string timeout_bytes = mgtest::encode_finish(missing);
  mg::protocol_read_finish(timeout_bytes, &h);
  CHECK(h.valid);
  CHECK(h.object.result == mg::StorageResult::timeout);
  for (std::uint32_t unknown : {9u, 11u}) {
    missing.result = unknown;
    const std::string unknown_bytes = mgtest::encode_finish(missing);
    mg::protocol_read_finish(unknown_bytes, &h);
    CHECK(h.valid);
    CHECK(h.object.result == mg::StorageResult::error);
  }
}

TEST_CASE("protocol: an edge cache hit is read from its metadata, an entry of another length is a miss") {
  struct Row {
    const char* name;
    const char* cached_size;
    mg::StorageResult want;
  } rows[] = {
      {"cached_size equal", "1000", mg::StorageResult::ok},
      {"no cached_size (required for a hit)", "", mg::StorageResult::error},
      {"cached_size shorter (a truncated entry)", "999", mg::StorageResult::error},
      {"cached_size longer", "1001", mg::StorageResult::error},
      {"cached_size unreadable", "abc", mg::StorageResult::error},
      {"cached_size with a sign", "+1000", mg::StorageResult::error},
      {"cached_size with spaces", " 1000", mg::StorageResult::error},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    mgtest::Input in = cache_hit();
    in.cached_size = row.cached_size;
    mg::FinishFacts f;
    const std::string f_bytes = mgtest::encode_finish(in);
    mg::protocol_read_finish(f_bytes, &f);
    CHECK(f.valid);
    CHECK(f.object.source == mg::ObjectSource::cache);
    CHECK(f.object.result == row.want);
    if (row.want == mg::StorageResult::ok) {
      CHECK(f.object.size == 1000);
      CHECK(f.object.etag == "\"e\"");
      CHECK(f.object.uploaded == 1445412480);
      CHECK(f.object.content_type == "image/png");
    }
  }
  // A hit's metadata is the entry's own: storage's fields are not read for it.
  mgtest::Input mixed = cache_hit();
  mixed.size = 5;
  mixed.uploaded = 7;
  mixed.etag = "\"storage\"";
  mixed.type = "text/html";
  mg::FinishFacts m;
  const std::string m_bytes = mgtest::encode_finish(mixed);
  mg::protocol_read_finish(m_bytes, &m);
  CHECK(m.object.result == mg::StorageResult::ok);
  CHECK(m.object.size == 1000);
  CHECK(m.object.etag == "\"e\"");
  CHECK(m.object.uploaded == 1445412480);
  CHECK(m.object.content_type == "image/png");

  // The cache refusing a range (416) counts only when the entry is the object its metadata describes.
  const struct {
    const char* name;
    const char* cached;
    const char* cached_size;
    mg::StorageResult want;
  } refusals[] = {
      {"416, entry agrees", "v1 1000 1 \"e\" image/png", "1000", mg::StorageResult::invalid_range},
      {"416, truncated entry", "v1 1000 1 \"e\" image/png", "10", mg::StorageResult::error},
      {"416, entry length missing", "v1 1000 1 \"e\" image/png", "", mg::StorageResult::error},
      {"416, unreadable metadata", "v1 x", "1000", mg::StorageResult::error},
      {"416, nothing to check", "", "", mg::StorageResult::invalid_range},
  };
  for (const auto& row : refusals) {
    CAPTURE(row.name);
    mgtest::Input in = cache_hit();
    in.kind = code(mg::RangeHintKind::offset);
    in.offset = 5000;
    in.result = code(mg::StorageResult::invalid_range);
    in.cached = row.cached;
    in.cached_size = row.cached_size;
    mg::FinishFacts f;
    const std::string f_bytes = mgtest::encode_finish(in);
    mg::protocol_read_finish(f_bytes, &f);
    CHECK(f.valid);
    CHECK(f.object.source == mg::ObjectSource::cache);
    CHECK(f.object.result == row.want);
  }
  mgtest::Input garbage = cache_hit();  // metadata this version did not write: a miss too
  garbage.cached = "v2 1000";
  mg::FinishFacts g;
  const std::string g_bytes = mgtest::encode_finish(garbage);
  mg::protocol_read_finish(g_bytes, &g);
  CHECK(g.valid);
  CHECK(g.object.result == mg::StorageResult::error);
}

TEST_CASE("protocol: config lines") {
  mg::ConfigText t;
  mg::protocol_read_config("MEDIA_BUCKET\t1\nMEDIA_KEY_PREFIXES\tu/,p/\nMEDIA_CORP\tsame-site\n", &t);
  CHECK(t.has_bucket);
  CHECK(t.prefixes_set);
  CHECK(t.prefixes == "u/,p/");
  CHECK(t.corp == "same-site");
  CHECK_FALSE(t.leeway_set);
  CHECK_FALSE(t.storage_timeout_set);
  mg::ConfigText u;
  mg::protocol_read_config("MEDIA_STORAGE_TIMEOUT_MS\t250\nMEDIA_STORAGE_TIMEOUT_MS\t900\n", &u);
  CHECK(u.storage_timeout_set);
  CHECK(u.storage_timeout == "250");  // the first occurrence wins
  mg::ConfigText v;
  mg::protocol_read_config("MEDIA_EDGE_CACHE_FILL_MAX_BYTES\t1048576\nMEDIA_LOG_DENIAL_BUDGET\t5\n", &v);
  CHECK(v.edge_cache_fill_max_set);
  CHECK(v.edge_cache_fill_max == "1048576");
  CHECK(v.log_denial_budget_set);
  CHECK(v.log_denial_budget == "5");
}

TEST_CASE("protocol: every storage plan carries the configured deadline, in both phases") {
  mg::ConfigText t;
  t.secret = "s";
  t.secret_set = true;
  t.has_bucket = true;
  t.storage_timeout = "2500";
  t.storage_timeout_set = true;
  mg::Config config;
  REQUIRE(mg::config_load(t, &config));
  static mg::Decision d;
  mgtest::Input in;
  in.method = "GET";
  in.path = "/m/u/a.png";
  in.query = "?t=x";
  in.now = 1767225600;
  const std::string bytes = mgtest::encode_begin(in);
  mg::RequestFacts req;
  mg::protocol_read_request(bytes, &req);
  mg::decide_begin(config, req, &d);  // a bad token: an answer, no plan
  mgtest::Decoded denial = write_decision(d);
  CHECK(denial.fetch == 0);
  CHECK(denial.deadline == 0);

  // A ranged read that storage refused: decide_finish asks for a second read,
  // under the same deadline.
  mg::Plan first;
  first.op = mg::StorageOp::get;
  first.range.kind = mg::RangeHintKind::offset;
  first.range.offset = 5000;
  mg::ObjectFacts refused;
  refused.result = mg::StorageResult::invalid_range;
  req.range = "bytes=5000-";
  mg::decide_finish(config, req, mg::Mode::priv, "u/a.png", first, refused, &d);
  REQUIRE(d.fetch);
  mgtest::Decoded again = write_decision(d);
  CHECK(again.fetch == 1);
  CHECK(again.op == code(mg::StorageOp::get));
  CHECK(again.kind == code(mg::RangeHintKind::whole));
  CHECK(again.offset == 0);
  CHECK(again.length == 0);
  CHECK(again.suffix == 0);
  CHECK(again.attempt == 2);
  CHECK(again.mode == code(mg::Mode::priv));
  CHECK(again.deadline == 2500);
  // The edge cache lookup's deadline: kCacheDeadlineMs, or the storage
  // deadline when that is shorter.
  CHECK(again.cache_deadline == 1000);
  t.storage_timeout = "200";
  REQUIRE(mg::config_load(t, &config));
  mg::decide_finish(config, req, mg::Mode::priv, "u/a.png", first, refused, &d);
  REQUIRE(d.fetch);
  mgtest::Decoded shorter = write_decision(d);
  CHECK(shorter.deadline == 200);
  CHECK(shorter.cache_deadline == 200);
}

TEST_CASE("protocol: decisions are written as documented") {
  static mg::Decision d;
  d.fetch = true;
  d.plan.op = mg::StorageOp::get;
  d.plan.range.kind = mg::RangeHintKind::suffix;
  d.plan.range.suffix = 100;
  d.mode = mg::Mode::pub;
  const char key[] = "u/a b.png";
  for (std::size_t i = 0; i < sizeof key - 1; ++i) d.key[i] = key[i];
  d.key_len = sizeof key - 1;
  mgtest::Decoded fetch = write_decision(d);
  CHECK(fetch.version == wire::kVersion);
  CHECK(fetch.fetch == 1);
  CHECK(fetch.op == code(mg::StorageOp::get));
  CHECK(fetch.kind == code(mg::RangeHintKind::suffix));
  CHECK(fetch.offset == 0);
  CHECK(fetch.length == 0);
  CHECK(fetch.suffix == 100);
  CHECK(fetch.attempt == 1);
  CHECK(fetch.mode == code(mg::Mode::pub));
  CHECK(fetch.mode_name == "pub");
  CHECK(fetch.key == "u/a b.png");
  CHECK(fetch.deadline == 10000);
  CHECK(fetch.flags == 0);  // no edge cache lookup, no refresh
  CHECK(fetch.cache_path.empty());
  CHECK(fetch.status == 0);
  CHECK(fetch.n_headers == 0);
  CHECK(fetch.reason.empty());
  CHECK(fetch.event.empty());
  CHECK(fetch.bytes == wire::kOutHeaderCodes + fetch.key.size() + fetch.mode_name.size() + wire::out_count_);

  // needs_size is fetched whole; an edge cache lookup names the cache path.
  d.plan.range.kind = mg::RangeHintKind::needs_size;
  d.plan.range.suffix = 0;
  d.cache_lookup = true;
  const char path[] = "/m/u/a%20b.png";
  for (std::size_t i = 0; i < sizeof path - 1; ++i) d.cache_path[i] = path[i];
  d.cache_path_len = sizeof path - 1;
  d.refresh_revocations = true;
  d.deadline_ms = 0;
  mgtest::Decoded whole = write_decision(d);
  CHECK(whole.kind == code(mg::RangeHintKind::whole));
  CHECK(whole.has(wire::flag_cache));
  CHECK(whole.has(wire::flag_refresh));
  CHECK(whole.cache_path == "/m/u/a%20b.png");
  CHECK(whole.deadline == 0);
  d.cache_lookup = false;
  d.refresh_revocations = false;
  d.deadline_ms = 10000;

  mg::Config config;
  d.fetch = false;
  mg::respond_reason(config, mg::Reason::token_expired, mg::Mode::priv, false, &d.response);
  char out[512];
  std::size_t n = mg::protocol_write_decision(d, out, sizeof out);
  REQUIRE(n > 0);
  const std::string bytes(out, n);
  mgtest::Decoded r = mgtest::decode(bytes);
  REQUIRE(r.ok);
  CHECK(r.version == wire::kVersion);
  CHECK(r.fetch == 0);
  CHECK(r.status == 401);
  CHECK(r.reason == "token_expired");
  CHECK(r.mode == code(mg::Mode::priv));
  CHECK(r.mode_name == "priv");
  CHECK(r.body == code(mg::BodySource::text));
  CHECK(r.n_headers == d.response.n_headers);
  CHECK(r.headers.size() == d.response.n_headers);
  CHECK(r.header("cache-control") == "private, no-store");
  CHECK(r.header("content-length") == "7");
  CHECK(r.text == "expired");
  CHECK(r.event == "media.worker.deny");
  CHECK(r.key == "u/a b.png");           // the decoded key, for the log line
  CHECK_FALSE(r.has(wire::flag_log));    // only when decided
  CHECK(r.log_rate == 0);
  CHECK_FALSE(r.has(wire::flag_span));
  CHECK_FALSE(r.has(wire::flag_store));
  CHECK(r.cache_path.empty());
  CHECK(r.store_meta.empty());
  CHECK(r.request_id.empty());
  CHECK(r.deadline == 0);
  CHECK(bytes.find("?t=") == std::string::npos);
  CHECK(mg::protocol_write_decision(d, out, 10) == 0);  // too small: nothing half-written is used
  CHECK(mg::protocol_write_decision(d, out, wire::kOutHeaderCodes) == 0);
  CHECK(mg::protocol_write_decision(d, out, n - 1) == 0);
  CHECK(mg::protocol_write_decision(d, out, n) == n);  // an exact fit
}

TEST_CASE("protocol: a logged answer, its span and an edge cache entry to store") {
  static mg::Decision d;
  mg::Config config;
  mg::respond_reason(config, mg::Reason::token_expired, mg::Mode::pub, false, &d.response);
  d.response.has_span = true;
  d.response.span.first = 0;
  d.response.span.last = 999;
  d.log = true;
  d.log_sample_ppm = 250000;
  d.request_id = "req-123:abc";
  d.cache_store = true;
  const char path[] = "/m/u/a.png";
  for (std::size_t i = 0; i < sizeof path - 1; ++i) d.cache_path[i] = path[i];
  d.cache_path_len = sizeof path - 1;
  const char meta[] = "v1 1000 1445412480 \"e\" image/png";
  for (std::size_t i = 0; i < sizeof meta - 1; ++i) d.cache_object[i] = meta[i];
  d.cache_object_len = sizeof meta - 1;
  mgtest::Decoded r = write_decision(d);
  CHECK(r.has(wire::flag_log));
  CHECK(r.log_rate == 250000);
  CHECK(r.has(wire::flag_span));
  CHECK(r.span_first == 0);
  CHECK(r.span_last == 999);
  CHECK(r.has(wire::flag_store));
  CHECK(r.store_length == 1000);
  CHECK(r.cache_path == "/m/u/a.png");
  CHECK(r.store_meta == "v1 1000 1445412480 \"e\" image/png");
  CHECK(r.request_id == "req-123:abc");
  CHECK_FALSE(r.has(wire::flag_cache));  // a lookup flag belongs to fetch decisions
  CHECK_FALSE(r.has(wire::flag_refresh));
}

TEST_CASE("protocol: a fill in the background and a line counted against the denial budget") {
  static mg::Decision d;
  mg::Config config;
  mg::respond_reason(config, mg::Reason::serve_partial, mg::Mode::pub, false, &d.response);
  d.response.has_span = true;
  d.response.span.first = 0;
  d.response.span.last = 1;
  d.log = true;
  d.log_budget = true;
  d.cache_store = false;
  d.cache_fill = true;
  d.cache_fill_length = 2097152;
  const char path[] = "/m/u/v.mp4";
  for (std::size_t i = 0; i < sizeof path - 1; ++i) d.cache_path[i] = path[i];
  d.cache_path_len = sizeof path - 1;
  const char meta[] = "v1 2097152 1445412480 \"e\" video/mp4";
  for (std::size_t i = 0; i < sizeof meta - 1; ++i) d.cache_object[i] = meta[i];
  d.cache_object_len = sizeof meta - 1;
  mgtest::Decoded r = write_decision(d);
  CHECK(r.has(wire::flag_fill));
  CHECK_FALSE(r.has(wire::flag_store));
  CHECK(r.has(wire::flag_budget));
  CHECK(r.store_length == 2097152);  // the whole object, not the span sent
  CHECK(r.cache_path == "/m/u/v.mp4");
  CHECK(r.store_meta == "v1 2097152 1445412480 \"e\" video/mp4");
  d.cache_fill = false;
  d.log_budget = false;
  r = write_decision(d);
  CHECK_FALSE(r.has(wire::flag_fill));
  CHECK_FALSE(r.has(wire::flag_budget));
  CHECK(r.cache_path.empty());
  CHECK(r.store_meta.empty());
}

TEST_CASE("protocol: the denial-line count is read from its slot, in both phases") {
  mgtest::Input in;
  in.method = "GET";
  in.path = "/m/u/a.png";
  in.log_recent = 4000000000u;
  std::string b = mgtest::encode_begin(in);
  mg::RequestFacts req;
  mg::protocol_read_request(b, &req);
  CHECK(req.log_recent == 4000000000u);
  CHECK(req.path == "/m/u/a.png");
  static mg::FinishFacts f;
  mg::protocol_read_finish(mgtest::encode_finish(in), &f);
  CHECK(f.request.log_recent == 4000000000u);
}

TEST_CASE("protocol: the largest decisions fit the ABI's output buffer") {
  // A fetch decision with the longest key and its edge cache path (every byte %XX), and an
  // answer storing that entry: more than 4 KiB, within wasm/abi/abi.cc's 16 KiB.
  static mg::Decision d;
  d.fetch = true;
  d.mode = mg::Mode::pub;
  d.key_len = mg::kMaxKeyBytes;
  for (std::size_t i = 0; i < d.key_len; ++i) d.key[i] = 'k';
  d.cache_lookup = true;
  d.cache_path_len = mg::kMaxCachePath;
  for (std::size_t i = 0; i < d.cache_path_len; ++i) d.cache_path[i] = '%';
  mgtest::Decoded fetch = write_decision(d);
  CHECK(fetch.bytes > 4096);
  CHECK(fetch.key.size() == mg::kMaxKeyBytes);
  CHECK(fetch.cache_path.size() == mg::kMaxCachePath);

  d.fetch = false;
  d.cache_lookup = false;
  mg::Config config;
  mg::respond_reason(config, mg::Reason::token_expired, mg::Mode::pub, false, &d.response);
  d.cache_store = true;
  d.cache_object_len = sizeof d.cache_object;
  for (std::size_t i = 0; i < d.cache_object_len; ++i) d.cache_object[i] = 'm';
  d.request_id = std::string_view("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                                  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  mgtest::Decoded store = write_decision(d);
  CHECK(store.bytes > 4096);
  CHECK(store.store_meta.size() == sizeof d.cache_object);
  CHECK(store.request_id.size() == 128);
}

TEST_CASE("contract 8: every answer is logged unless it is a sampled-out success") {
  mg::ConfigText t;
  t.secret = "s";
  t.secret_set = true;
  t.has_bucket = true;
  t.log_sample_rate = "0.25";
  t.log_sample_rate_set = true;
  mg::Config config;
  REQUIRE(mg::config_load(t, &config));
  CHECK(config.log_sample_ppm == 250000);
  static mg::Decision d;
  mg::RequestFacts req;
  req.method = "GET";
  req.path = "/m/u/a.png";
  req.query = "";
  req.request_id = "req-123:abc";
  for (std::uint32_t sample : {0u, 249999u, 250000u, 999999u}) {
    req.sample = sample;
    mg::decide_begin(config, req, &d);  // no token: a denial
    CHECK(d.response.status == 401);
    CHECK(d.log);
    CHECK(d.request_id == "req-123:abc");
  }
  req.request_id = "https://evil.example/?t=abc";
  mg::decide_begin(config, req, &d);
  CHECK(d.request_id.empty());  // not an id: never echoed into a log
}

TEST_CASE("config: log sample rate and debug header values") {
  struct Row {
    const char* rate;
    bool ok;
    std::uint32_t ppm;
  } rows[] = {{"0", true, 0}, {"1", true, 1000000}, {"0.01", true, 10000}, {".5", true, 500000},
              {"1.0", true, 1000000}, {"0.0000001", true, 0}, {"1.5", false, 0}, {"-0.1", false, 0},
              {"abc", false, 0}, {"", false, 0}, {"0.5x", false, 0}};
  for (const auto& row : rows) {
    CAPTURE(std::string(row.rate));
    mg::ConfigText t;
    t.secret = "s";
    t.secret_set = true;
    t.has_bucket = true;
    t.log_sample_rate = row.rate;
    t.log_sample_rate_set = true;
    mg::Config c;
    CHECK(mg::config_load(t, &c) == row.ok);
    if (row.ok) CHECK(c.log_sample_ppm == row.ppm);
    else CHECK(c.problem == "MEDIA_LOG_SAMPLE_RATE");
  }
}

TEST_CASE("protocol: headers that never change are sent by number, names by number with their value") {
  mg::Config config;
  static mg::Decision d;
  d.fetch = false;
  d.key_len = 0;
  mg::respond_reason(config, mg::Reason::token_expired, mg::Mode::priv, false, &d.response);
  char out[4096];
  std::size_t n = mg::protocol_write_decision(d, out, sizeof out);
  REQUIRE(n > mg::wire::kOutHeaderCodes);
  const std::string bytes(out, n);
  const mg::Response& r = d.response;
  std::size_t by_pair = 0, by_name = 0;
  for (std::size_t i = 0; i < r.n_headers; ++i) {
    auto code = static_cast<std::uint8_t>(bytes[mg::wire::kOutHeaderCodes + i]);
    CHECK(code == r.headers[i].code);
    if (code && code < mg::kHeaderCodeName) {
      ++by_pair;
      CHECK(mg::kStaticHeaders[code - 1].name == r.headers[i].name);
      CHECK(mg::kStaticHeaders[code - 1].value == r.headers[i].value);
    } else if (code) {
      ++by_name;
      CHECK(mg::kHeaderNames[code - mg::kHeaderCodeName] == r.headers[i].name);
    }
  }
  // The five security headers, cache-control and content-type by number; content-length by name.
  CHECK(by_pair == 7);
  CHECK(by_name == 1);
  CHECK(bytes.find("nosniff") == std::string::npos);
  CHECK(bytes.find("x-content-type-options") == std::string::npos);
  const mgtest::Decoded got = mgtest::decode(bytes);
  REQUIRE(got.ok);
  CHECK(got.header("x-content-type-options") == "nosniff");
  CHECK(got.header("content-length") == "7");
  CHECK(got.header("cache-control") == "private, no-store");
  // A header the tables do not know travels as text: the debug header's value is the reason.
  mg::Response extra;
  extra.add_static("x-mediagate-reason", "token_expired");
  extra.add_copy("vary", "origin");
  CHECK(extra.headers[0].code == mg::kHeaderCodeName + 5);
  CHECK(extra.headers[1].code == 0);
  // The tables hold no duplicates (a pair or a name is found at its first entry).
  for (std::size_t i = 0; i < mg::kStaticHeaderCount; ++i)
    for (std::size_t j = i + 1; j < mg::kStaticHeaderCount; ++j)
      CHECK_FALSE((mg::kStaticHeaders[i].name == mg::kStaticHeaders[j].name &&
                   mg::kStaticHeaders[i].value == mg::kStaticHeaders[j].value));
  CHECK(mg::kStaticHeaderCount < mg::kHeaderCodeName);
}

namespace {

// The input as worker-shim/core.js writes it into the core's buffer: whole when it fits in
// wire::kInCap bytes, else cut at the capacity with kInputCut set (ASCII strings here, so the
// cut is exact, as encodeInto's would be).
std::string shim_input(mgtest::Input in, bool finish) {
  std::string b = finish ? mgtest::encode_finish(in) : mgtest::encode_begin(in);
  if (b.size() <= wire::kInCap) return b;
  in.cut = 1;
  b = finish ? mgtest::encode_finish(in) : mgtest::encode_begin(in);
  b.resize(wire::kInCap);
  return b;
}

// What mg_begin / mg_finish (wasm/abi/abi.cc) answer to that input.
mgtest::Decoded decide_input(const mg::Config& config, const std::string& bytes, bool finish) {
  static mg::Decision d;
  if (!finish) {
    mg::RequestFacts req;
    mg::protocol_read_request(bytes, &req);
    mg::decide_begin(config, req, &d);
  } else {
    static mg::FinishFacts f;
    mg::protocol_read_finish(bytes, &f);
    if (!f.valid) mg::decide_unreadable(config, f.request, f.mode, &d);
    else mg::decide_finish(config, f.request, f.mode, f.key, f.performed, f.object, &d);
  }
  return write_decision(d);
}

void check_too_large(const mgtest::Decoded& got) {
  CHECK(got.fetch == 0);
  CHECK(got.status == 431);
  CHECK(got.reason == "request_too_large");
  CHECK(got.text == "request_too_large");
  CHECK(got.event == "media.worker.deny");
  CHECK(got.mode_name == "none");
  CHECK(got.key.empty());  // logged without a key: none was read
  CHECK(got.request_id.empty());
  CHECK(got.has(wire::flag_log));
  CHECK_FALSE(got.has(wire::flag_store));
  CHECK(got.header("cache-control") == "private, no-store");
  CHECK(got.header("content-type") == "text/plain; charset=utf-8");
  CHECK(got.header("content-length") == "17");
  CHECK(got.header("x-content-type-options") == "nosniff");
  CHECK(got.header("content-security-policy") == "default-src 'none'; sandbox");
  CHECK(got.count("allow") == 0);
}

mg::Config configured() {
  mg::ConfigText t;
  t.secret = "s";
  t.secret_set = true;
  t.has_bucket = true;
  mg::Config config;
  REQUIRE(mg::config_load(t, &config));
  return config;
}

}  // namespace

TEST_CASE("protocol: request facts that do not fit the input buffer are 431 request_too_large") {
  const mg::Config config = configured();
  SUBCASE("mg_begin: at, just under and just over the buffer") {
    mgtest::Input in;
    in.method = "GET";
    in.path = "/m/u/a.png";
    in.query = "?t=x";
    in.now = 1767225600;
    in.request_id = "req-1";
    const std::size_t base = mgtest::encode_begin(in).size();
    for (std::size_t total : {wire::kInCap - 1, wire::kInCap, wire::kInCap + 1, wire::kInCap + 70000}) {
      CAPTURE(total);
      in.if_none_match = std::string(total - base, 'a');
      const std::string bytes = shim_input(in, false);
      CHECK(bytes.size() == std::min(total, wire::kInCap));
      const mgtest::Decoded got = decide_input(config, bytes, false);
      if (total <= wire::kInCap) {
        CHECK(got.status == 401);  // read whole: the token "x" is malformed
        CHECK(got.reason == "token_malformed");
        CHECK(got.request_id == "req-1");
      } else {
        check_too_large(got);
      }
    }
    // HEAD too: no body, the same status and headers.
    in.method = "HEAD";
    in.if_none_match = std::string(wire::kInCap, 'a');
    const mgtest::Decoded head = decide_input(config, shim_input(in, false), false);
    CHECK(head.status == 431);  // the method was not read either
    CHECK(head.text == "request_too_large");
  }
  SUBCASE("mg_finish: the request fit at begin, not with what storage said") {
    mgtest::Input in = storage_read();  // a private ranged read storage answered (206)
    in.query = "?t=x";
    const std::size_t base = mgtest::encode_finish(in).size();
    for (std::size_t total : {wire::kInCap - 1, wire::kInCap, wire::kInCap + 1}) {
      CAPTURE(total);
      in.if_none_match = std::string(total - base, 'a');
      CHECK(mgtest::encode_begin(in).size() < wire::kInCap);  // begin's facts fit
      const mgtest::Decoded got = decide_input(config, shim_input(in, true), true);
      if (total <= wire::kInCap) {
        CHECK(got.status == 206);
        CHECK(got.reason == "serve_partial");
      } else {
        check_too_large(got);
      }
    }
  }
  SUBCASE("the flag decides, not the strings") {
    mgtest::Input in;
    in.method = "GET";
    in.path = "/m/u/a.png";
    in.cut = 1;  // whole strings, flag set: still 431 (the shim says they were cut)
    check_too_large(decide_input(config, mgtest::encode_begin(in), false));
    mgtest::Input fin = storage_read();
    fin.cut = 1;
    check_too_large(decide_input(config, mgtest::encode_finish(fin), true));
    // Cut short without the flag (the shim broke the protocol): no input, as before.
    in.cut = 0;
    std::string cut = mgtest::encode_begin(in);
    cut.resize(cut.size() - 1);
    CHECK(decide_input(config, cut, false).status == 405);
    std::string cut_finish = mgtest::encode_finish(fin);
    cut_finish.resize(cut_finish.size() - 1);
    cut_finish[wire::kInputCut] = 0;
    CHECK(decide_input(config, cut_finish, true).status == 503);
  }
}

TEST_CASE("protocol: mg_finish works from the key mg_begin decoded, echoed, and fails closed without it") {
  const mg::Config config = configured();
  // The key is the echo, never the path decoded again: the answer's key, and the type its
  // extension gives (storage reported none), are the echoed key's.
  mgtest::Input in = storage_read();  // path /m/u/a.png
  in.type = "";
  in.key = "v/clip.mp4";
  mgtest::Decoded got = decide_input(config, mgtest::encode_finish(in), true);
  CHECK(got.status == 206);
  CHECK(got.key == "v/clip.mp4");
  CHECK(got.header("content-type") == "video/mp4");
  in.key = std::string(mg::kMaxKeyBytes, 'k');  // the longest key a path can name
  CHECK(decide_input(config, mgtest::encode_finish(in), true).status == 206);
  // Absent (empty), or longer than any decoded key: the shim broke the protocol, 503.
  for (const std::string& key : {std::string(), std::string(mg::kMaxKeyBytes + 1, 'k')}) {
    CAPTURE(key.size());
    in.key = key;
    got = decide_input(config, mgtest::encode_finish(in), true);
    CHECK(got.status == 503);
    CHECK(got.reason == "storage_unavailable");
    CHECK(got.header("cache-control") == "private, no-store");
    CHECK(got.key.empty());
  }
}
