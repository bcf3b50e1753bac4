// docs/CONTRACT.md section 7: the revocation snapshot, its lookup, and where the
// decision consults it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "config.h"
#include "decision.h"
#include "edge_cache.h"
#include "revocation.h"
#include "storage_model.h"

namespace {

std::string sha_hex(std::string_view key) {
  unsigned char sha[32];
  mg::revocation_key_hash(key, sha);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : sha) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

std::vector<unsigned char> snapshot(std::vector<std::uint64_t> entries, std::int64_t built_at = 1767225600) {
  std::vector<unsigned char> out(mg::revocation_snapshot_bytes(entries.size()));
  std::size_t n = mg::revocation_snapshot_write(entries.data(), entries.size(), built_at, out.data(), out.size());
  out.resize(n);
  return out;
}

std::uint64_t entry(std::string_view key, std::string_view value) {
  std::uint64_t e = 0;
  REQUIRE(mg::revocation_parse_kv("rev:" + sha_hex(key), value, &e));
  return e;
}

}  // namespace

TEST_CASE("contract 7: the KV name is the lowercase hex SHA-256 of the key's UTF-8 bytes") {
  // sha256("abc"), FIPS 180-2 appendix B.1.
  CHECK(sha_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("contract 7: backend values and their scopes") {
  struct Row {
    const char* value;
    mg::RevocationScope scope;
  } rows[] = {
      {R"({"scope":"all","at":1767225600})", mg::RevocationScope::all},
      {R"({"at":1767225600,"scope":"public"})", mg::RevocationScope::pub},
      {R"( { "scope" : "public" , "why" : {"scope":"all"}, "list":[1,"scope",{"a":[]}] } )", mg::RevocationScope::pub},
      {R"({"note":"\"scope\":\"public\"","scope":"all"})", mg::RevocationScope::all},
      {R"({"scope":"public","at":1,"more":null,"flag":true,"n":-1.5e3})", mg::RevocationScope::pub},
      // Anything the scanner cannot vouch for is read as "all": refuse, never serve.
      {R"({"scope":"PUBLIC"})", mg::RevocationScope::all},
      {R"({"scope":"pub\u006cic"})", mg::RevocationScope::all},
      {R"({"scope":"public","scope":"public"})", mg::RevocationScope::all},
      {R"({"at":1})", mg::RevocationScope::all},
      {R"(["public"])", mg::RevocationScope::all},
      {R"({"scope":"public")", mg::RevocationScope::all},
      {R"({"scope":"public"} x)", mg::RevocationScope::all},
      {"", mg::RevocationScope::all},
      {"not json", mg::RevocationScope::all},
      // Read with RapidJSON: a value that is not strict JSON is read as
      // "all" wherever the fault is (the hand-written scanner before it let
      // a bad member past when "scope" itself was well formed).
      {R"({"at":abc,"scope":"public"})", mg::RevocationScope::all},
      {R"({"at":01,"scope":"public"})", mg::RevocationScope::all},
      {"{\"why\":\"\xff\",\"scope\":\"public\"}", mg::RevocationScope::all},
      {R"({"sc\u006fpe":"public"})", mg::RevocationScope::all},
      // Nesting: the object is depth 1, so 31 arrays reach the bound, 32 pass it.
      {R"({"scope":"public","deep":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})", mg::RevocationScope::pub},
      {R"({"scope":"public","deep":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]})", mg::RevocationScope::all},
      // Duplicate names are refused at every depth, as in the token.
      {R"({"scope":"public","n":{"a":1,"a":2}})", mg::RevocationScope::all},
      {R"({"scope":"public","sc\u006fpe":"public"})", mg::RevocationScope::all},
      {R"({"scope":{"all":1}})", mg::RevocationScope::all},
      {R"({"scope":null})", mg::RevocationScope::all},
  };
  for (const auto& row : rows) {
    CAPTURE(std::string(row.value));
    std::uint64_t e = entry("u/a.png", row.value);
    auto snap = snapshot({e});
    mg::RevocationView view;
    REQUIRE(mg::revocation_view(snap.data(), snap.size(), &view));
    CHECK(mg::revocation_lookup(view, "u/a.png") == row.scope);
  }
}

TEST_CASE("contract 7: a value with a NUL byte is read as all") {
  std::uint64_t e;
  std::string hex = sha_hex("u/a.png");
  REQUIRE(mg::revocation_parse_kv("rev:" + hex, std::string("{\"scope\":\"public\"}\0x", 21), &e));
  CHECK((e & 1) == 1);
  REQUIRE(mg::revocation_parse_kv("rev:" + hex, R"({"scope":"public"})", &e));
  CHECK((e & 1) == 0);
}

TEST_CASE("contract 7: KV names that are not revocation entries are skipped") {
  std::uint64_t e;
  std::string hex = sha_hex("u/a.png");
  CHECK(mg::revocation_parse_kv("rev:" + hex, "{}", &e));
  CHECK(mg::revocation_parse_kv("rev:" + std::string(64, 'F'), "{}", &e));  // either hex case
  CHECK_FALSE(mg::revocation_parse_kv("snapshot:v1", "{}", &e));
  CHECK_FALSE(mg::revocation_parse_kv("rev:" + hex.substr(1), "{}", &e));
  CHECK_FALSE(mg::revocation_parse_kv("rev:" + hex + "0", "{}", &e));
  CHECK_FALSE(mg::revocation_parse_kv("rev:" + std::string(63, '0') + "g", "{}", &e));
  CHECK_FALSE(mg::revocation_parse_kv("REV:" + hex, "{}", &e));
}

TEST_CASE("revocation snapshot: lookup over many keys, scopes merged, others untouched") {
  std::vector<std::uint64_t> entries;
  for (int i = 0; i < 5000; ++i) {
    std::string key = "u/me_" + std::to_string(i) + "/x.png";
    entries.push_back(entry(key, i % 3 == 0 ? R"({"scope":"public"})" : R"({"scope":"all"})"));
  }
  // The same key revoked under both scopes: all wins; duplicates merge.
  entries.push_back(entry("u/both.png", R"({"scope":"public"})"));
  entries.push_back(entry("u/both.png", R"({"scope":"all"})"));
  entries.push_back(entries[0]);
  auto snap = snapshot(entries);
  CHECK(snap.size() == mg::revocation_snapshot_bytes(5001));  // 8 bytes a key
  mg::RevocationView view;
  REQUIRE(mg::revocation_view(snap.data(), snap.size(), &view));
  CHECK(view.count == 5001);
  CHECK(view.built_at == 1767225600);
  for (int i = 0; i < 5000; ++i) {
    std::string key = "u/me_" + std::to_string(i) + "/x.png";
    CHECK(mg::revocation_lookup(view, key) == (i % 3 == 0 ? mg::RevocationScope::pub : mg::RevocationScope::all));
    CHECK(mg::revocation_lookup(view, key + "x") == mg::RevocationScope::none);
  }
  CHECK(mg::revocation_lookup(view, "u/both.png") == mg::RevocationScope::all);
  mg::RevocationView empty;
  CHECK(mg::revocation_lookup(empty, "u/me_1/x.png") == mg::RevocationScope::none);
}

TEST_CASE("revocation snapshot: anything but what the writer writes is refused") {
  auto good = snapshot({entry("u/a", "{}"), entry("u/b", "{}"), entry("u/c", "{}")});
  mg::RevocationView view;
  REQUIRE(mg::revocation_view(good.data(), good.size(), &view));
  auto bad = good;
  bad[0] = 'X';  // magic
  CHECK_FALSE(mg::revocation_view(bad.data(), bad.size(), &view));
  bad = good;
  bad[4] = 2;  // version
  CHECK_FALSE(mg::revocation_view(bad.data(), bad.size(), &view));
  bad = good;
  bad[8] = 4;  // count disagrees with the size
  CHECK_FALSE(mg::revocation_view(bad.data(), bad.size(), &view));
  CHECK_FALSE(mg::revocation_view(good.data(), good.size() - 1, &view));
  CHECK_FALSE(mg::revocation_view(good.data(), 10, &view));
  bad = good;  // entries out of order
  std::memcpy(bad.data() + 24, good.data() + 32, 8);
  std::memcpy(bad.data() + 32, good.data() + 24, 8);
  CHECK_FALSE(mg::revocation_view(bad.data(), bad.size(), &view));
  CHECK(view.count == 0);  // a refused snapshot leaves nothing half-read
}

namespace {

constexpr const char* kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::int64_t kNow = 1767225600;

struct Gate {
  mg::ConfigText text;
  mg::Config config;
  explicit Gate(bool closed = false) {
    text.secret = kSecret;
    text.secret_set = true;
    text.has_bucket = true;
    if (closed) {
      text.revocation_mode = "closed";
      text.revocation_mode_set = true;
    }
    REQUIRE(mg::config_load(text, &config));
  }
  int status(std::string_view key, mg::Mode mode, mg::RevocationState state, std::int64_t age,
             const mg::RevocationView& view) {
    char tok[4096];
    // Mode::none stands for a token that does not verify: a public one with its MAC altered.
    bool bad = mode == mg::Mode::none;
    std::size_t n = mg::token_mint(key, bad ? mg::Mode::pub : mode, kNow + 600, kSecret, tok, sizeof tok);
    REQUIRE(n > 0);
    if (bad) tok[n - 1] = tok[n - 1] == 'A' ? 'E' : 'A';  // both canonical final characters
    path = "/m/" + std::string(key);
    query = "?t=" + std::string(tok, n);
    mg::RequestFacts req;
    req.method = "GET";
    req.path = path;
    req.query = query;
    req.now = kNow;
    req.revocation = state;
    req.revocation_age = age;
    req.revocations = view;
    mg::ModelObject obj;
    obj.exists = true;
    obj.facts.size = 10;
    obj.facts.etag = "\"e\"";
    static mg::Decision d;
    mg::decide_with_model(config, req, obj, &d);
    cache_control = std::string(d.response.find("cache-control"));
    return d.response.status;
  }
  std::string path, query, cache_control;
};

}  // namespace

TEST_CASE("contract 7: a revoked key is 410 revoked, a public-only revocation spares private tokens") {
  auto snap = snapshot({entry("u/all.png", R"({"scope":"all"})"), entry("u/pub.png", R"({"scope":"public"})")});
  mg::RevocationView view;
  REQUIRE(mg::revocation_view(snap.data(), snap.size(), &view));
  Gate g;
  using mg::Mode;
  using S = mg::RevocationState;
  CHECK(g.status("u/all.png", Mode::pub, S::loaded, 0, view) == 410);
  CHECK(g.cache_control == "public, max-age=60");
  CHECK(g.status("u/all.png", Mode::priv, S::loaded, 0, view) == 410);
  CHECK(g.cache_control == "private, no-store");
  CHECK(g.status("u/pub.png", Mode::pub, S::loaded, 0, view) == 410);
  CHECK(g.status("u/pub.png", Mode::priv, S::loaded, 0, view) == 200);
  CHECK(g.status("u/other.png", Mode::pub, S::loaded, 0, view) == 200);
  // A bad token is still 401: revocation is checked after the token.
  CHECK(g.status("u/all.png", Mode::none, S::loaded, 0, view) == 401);
}

TEST_CASE("contract 7: revocation data unavailable, fail open and fail closed") {
  auto snap = snapshot({entry("u/all.png", R"({"scope":"all"})")});
  mg::RevocationView view;
  REQUIRE(mg::revocation_view(snap.data(), snap.size(), &view));
  mg::RevocationView none;
  using mg::Mode;
  using S = mg::RevocationState;
  Gate open;
  CHECK(open.status("u/x.png", Mode::pub, S::unavailable, 5, none) == 200);
  CHECK(open.status("u/x.png", Mode::pub, S::loaded, 100000, view) == 200);  // last attempt long ago: fresh snapshot
  CHECK(open.status("u/all.png", Mode::pub, S::loaded, 100000, view) == 410);
  CHECK(open.status("u/x.png", Mode::pub, S::disabled, 0, none) == 200);
  Gate closed(true);
  CHECK(closed.status("u/x.png", Mode::pub, S::unavailable, 5, none) == 503);
  CHECK(closed.cache_control == "private, no-store");
  CHECK(closed.status("u/x.png", Mode::priv, S::disabled, 0, none) == 200);  // no binding: no revocation
}

// The hard snapshot age is measured from the snapshot's build time, never
// from when the isolate loaded it; past it the core asks for a load first
// (within the backoff), then falls back per the mode (docs/REVOCATION.md).
TEST_CASE("contract 7: past the hard age, wait for a fresh snapshot, then fall back per mode") {
  constexpr std::int64_t kHard = 300;  // MEDIA_REVOCATION_MAX_STALENESS_SECONDS default
  constexpr std::uint32_t kNone = mg::RequestFacts::kNoLoad;
  enum Want { serve, revoked, wait, refuse };
  struct Row {
    const char* name;
    bool closed;
    bool held;                 // a snapshot is installed (else: unavailable)
    std::int64_t built_ago;    // now - built_at
    std::int64_t attempt_ago;  // seconds since the last load attempt started
    std::uint32_t failures;
    std::uint32_t loading_ms;
    const char* key;
    Want want;
    bool stale;
    bool refresh;
  } rows[] = {
      {"fresh: looked up, no load", false, true, kHard, 5, 0, kNone, "u/all.png", revoked, false, false},
      {"fresh, refresh due", false, true, 10, 30, 0, kNone, "u/x.png", serve, false, true},
      {"past the hard age: load first", false, true, kHard + 1, 30, 0, kNone, "u/x.png", wait, false, false},
      {"closed, past the hard age: load first", true, true, kHard + 1, 30, 0, kNone, "u/x.png", wait, false, false},
      {"first request of an isolate: load first", true, false, 0, 1767225600, 0, kNone, "u/x.png", wait, false, false},
      {"just loaded, still old (stuck compaction), open", false, true, 100000, 0, 0, kNone, "u/x.png", serve, true, false},
      {"stuck compaction, open: still revoked", false, true, 100000, 0, 0, kNone, "u/all.png", revoked, true, false},
      {"stuck compaction, closed", true, true, 100000, 0, 0, kNone, "u/x.png", refuse, true, false},
      {"load in flight: wait for it", true, true, kHard + 1, 30, 0, 200, "u/x.png", wait, false, false},
      {"load in flight past its deadline: given up, load again", true, true, kHard + 1, 30, 0, 10000, "u/x.png", wait, false, false},
      {"one failure: backoff 60 s not over", true, true, kHard + 1, 59, 1, kNone, "u/x.png", refuse, true, false},
      {"one failure: backoff over", true, true, kHard + 1, 60, 1, kNone, "u/x.png", wait, false, false},
      {"many failures: backoff capped at 300 s", false, false, 0, 300, 40, kNone, "u/x.png", wait, false, false},
      {"many failures, open, none held: served unchecked", false, false, 0, 299, 40, kNone, "u/all.png", serve, true, false},
      {"failures at the u32 limit: capped, and quick", false, false, 0, 300, 0xffffffffu, kNone, "u/x.png", wait, false, false},
      {"fresh, failures: refresh after the backoff", false, true, 0, 120, 2, kNone, "u/x.png", serve, false, true},
      {"fresh, failures: no refresh before it", false, true, 0, 119, 2, kNone, "u/x.png", serve, false, false},
      // MEDIA_REVOCATION_REFRESH_SECONDS 0 (tests): a request that just loaded does not load again.
      {"refresh 0: just loaded, still old", false, true, 100000, 0, 0, kNone, "u/x.png", serve, true, true},
      {"refresh 0: a second later, load first", false, true, 100000, 1, 0, kNone, "u/x.png", wait, false, false},
  };
  for (const Row& row : rows) {
    const std::string name = row.name;
    CAPTURE(name);
    auto snap = snapshot({entry("u/all.png", R"({"scope":"all"})")}, kNow - row.built_ago);
    mg::RevocationView view;
    REQUIRE(mg::revocation_view(snap.data(), snap.size(), &view));
    Gate g(row.closed);
    if (std::string_view(row.name).substr(0, 9) == "refresh 0") g.config.revocation_refresh = 0;
    char tok[4096];
    std::size_t n = mg::token_mint(row.key, mg::Mode::pub, kNow + 600, kSecret, tok, sizeof tok);
    REQUIRE(n > 0);
    std::string path = "/m/" + std::string(row.key), query = "?t=" + std::string(tok, n);
    mg::RequestFacts req;
    req.method = "GET";
    req.path = path;
    req.query = query;
    req.now = kNow;
    req.revocation = row.held ? mg::RevocationState::loaded : mg::RevocationState::unavailable;
    req.revocations = row.held ? view : mg::RevocationView{};
    req.revocation_age = row.attempt_ago;
    req.revocation_failures = row.failures;
    req.revocation_loading_ms = row.loading_ms;
    static mg::Decision d;
    mg::decide_begin(g.config, req, &d);
    CHECK(d.wait_revocations == (row.want == wait));
    CHECK(d.revocations_stale == row.stale);
    CHECK(d.refresh_revocations == row.refresh);
    switch (row.want) {
      case serve: CHECK(d.fetch); break;
      case revoked: CHECK(!d.fetch); CHECK(d.response.status == 410); break;
      case wait:  // a shim that cannot wait answers the held 503
        CHECK(!d.fetch);
        CHECK(d.response.status == 503);
        CHECK(d.deadline_ms == 10000);
        break;
      case refuse: CHECK(!d.fetch); CHECK(d.response.status == 503); break;
    }
  }
}

TEST_CASE("edge cache: lookups only under public tokens, stores only whole public reads") {
  Gate g;
  auto run = [&](mg::Mode mode, const char* range, mg::ObjectSource source) {
    char tok[4096];
    std::size_t n = mg::token_mint("u/a b.png", mode, kNow + 600, kSecret, tok, sizeof tok);
    std::string path = "/m/u/a%20b.png", query = "?t=" + std::string(tok, n);
    mg::RequestFacts req;
    req.method = "GET";
    req.path = path;
    req.query = query;
    req.now = kNow;
    req.range = range;
    static mg::Decision d;
    mg::decide_begin(g.config, req, &d);
    REQUIRE(d.fetch);
    bool lookup = d.cache_lookup;
    CHECK(std::string(d.cache_path, d.cache_path_len) == (lookup ? "/m/u/a%20b.png" : ""));
    mg::ObjectFacts obj;
    obj.result = mg::StorageResult::ok;
    obj.source = source;
    obj.size = 100;
    obj.etag = "\"e\"";
    obj.uploaded = 1445412480;
    obj.content_type = "image/png";
    mg::Plan performed = d.plan;
    mg::decide_finish(g.config, req, d.mode, d.key_view(), performed, obj, &d);
    return std::make_pair(lookup, d.cache_store);
  };
  using mg::Mode;
  using Src = mg::ObjectSource;
  CHECK(run(Mode::pub, "", Src::storage) == std::make_pair(true, true));
  CHECK(run(Mode::pub, "bytes=0-", Src::storage) == std::make_pair(true, true));    // the span is whole
  CHECK(run(Mode::pub, "bytes=0-1", Src::storage) == std::make_pair(true, false));  // a 206 is never stored
  CHECK(run(Mode::pub, "", Src::cache) == std::make_pair(true, false));             // already there
  CHECK(run(Mode::priv, "", Src::storage) == std::make_pair(false, false));         // never private
}

TEST_CASE("edge cache: stored metadata reads back byte for byte") {
  const char* types[] = {"image/png", "", "text/html; charset=\"x y\"", "image/p%ng\t", "-", "caf\xC3\xA9"};
  for (const char* type : types) {
    CAPTURE(std::string(type));
    mg::ObjectFacts obj;
    obj.size = 123456789;
    obj.uploaded = 1445412480;
    obj.etag = "\"45cf2832f7b64d929ddb72900502e024\"";
    obj.content_type = type;
    char value[256];
    std::size_t n = mg::cache_object_write(obj, value, sizeof value);
    REQUIRE(n > 0);
    std::string_view v(value, n);
    for (char c : v) CHECK((static_cast<unsigned char>(c) > 0x20 || c == ' '));
    mg::ObjectFacts back;
    char buf[512];
    REQUIRE(mg::cache_object_read(v, &back, buf, sizeof buf));
    CHECK(back.size == obj.size);
    CHECK(back.uploaded == obj.uploaded);
    CHECK(back.etag == obj.etag);
    CHECK(back.content_type == obj.content_type);
    CHECK(back.source == mg::ObjectSource::cache);
  }
  mg::ObjectFacts back;
  char buf[512];
  CHECK_FALSE(mg::cache_object_read("v2 1 2 - -", &back, buf, sizeof buf));
  CHECK_FALSE(mg::cache_object_read("v1 1 2 -", &back, buf, sizeof buf));
  CHECK_FALSE(mg::cache_object_read("v1 x 2 - -", &back, buf, sizeof buf));
  CHECK_FALSE(mg::cache_object_read("v1 1 2 %zz -", &back, buf, sizeof buf));
}

TEST_CASE("compaction: an incremental run replaces exactly the span of key hashes it listed") {
  // Keys whose KV names sort in the order a, b, c, d (by hash).
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) names.push_back("rev:" + sha_hex("u/k" + std::to_string(i)));
  std::sort(names.begin(), names.end());
  std::vector<std::uint64_t> entries;
  for (const auto& n : names) {
    std::uint64_t e = 0;
    REQUIRE(mg::revocation_parse_kv(n, R"({"scope":"public"})", &e));
    entries.push_back(e);
  }
  auto snap = snapshot(entries);
  mg::RevocationView view;
  REQUIRE(mg::revocation_view(snap.data(), snap.size(), &view));
  std::vector<std::uint64_t> out(view.count);
  struct Row {
    const char* name;
    std::string after, through;
    long kept;
  } rows[] = {
      {"the whole space", "", "", 0},
      {"from the start through the 10th name", "", names[9], 30},
      {"after the 10th through the 20th", names[9], names[19], 30},
      {"after the 30th to the end", names[29], "", 30},
      {"an empty span", names[5], names[5], 40},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    long kept = mg::revocation_keep_outside(view, row.after, row.through, out.data());
    CHECK(kept == row.kept);
  }
  // Kept entries are exactly those outside the span, scope bits intact.
  long kept = mg::revocation_keep_outside(view, names[9], names[19], out.data());
  REQUIRE(kept == 30);
  CHECK(out[9] == entries[9]);
  CHECK(out[10] == entries[20]);
  CHECK(mg::revocation_keep_outside(view, "rev:xyz", "", out.data()) == -1);
  CHECK(mg::revocation_keep_outside(view, "", "snapshot:v1", out.data()) == -1);
}
