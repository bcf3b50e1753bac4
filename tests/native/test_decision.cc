// docs/CONTRACT.md sections 4-6: the whole decision, against a model of R2.
#include <doctest/doctest.h>

#include <string>

#include "config.h"
#include "decision.h"
#include "storage_model.h"
#include "token.h"

namespace {

constexpr const char* kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::int64_t kNow = 1767225600;

enum Tok { none, pub, priv, priv_expired, priv_far, pub_other_key, garbage, pub_old_secret };

std::string mint(const std::string& key, Tok t) {
  char out[8192];
  std::size_t n = 0;
  switch (t) {
    case none: return "";
    case garbage: return "not-a-token";
    case pub: n = mg::token_mint(key, mg::Mode::pub, 0, kSecret, out, sizeof out); break;
    case pub_old_secret: n = mg::token_mint(key, mg::Mode::pub, 0, "old-secret", out, sizeof out); break;
    case pub_other_key: n = mg::token_mint(key + "x", mg::Mode::pub, 0, kSecret, out, sizeof out); break;
    case priv: n = mg::token_mint(key, mg::Mode::priv, kNow + 600, kSecret, out, sizeof out); break;
    case priv_expired: n = mg::token_mint(key, mg::Mode::priv, kNow - 61, kSecret, out, sizeof out); break;
    case priv_far: n = mg::token_mint(key, mg::Mode::priv, kNow + 3600 + 61, kSecret, out, sizeof out); break;
  }
  REQUIRE(n > 0);
  return std::string(out, n);
}

struct Setup {
  mg::ConfigText text;
  mg::Config config;
  explicit Setup(const char* secret = kSecret, bool bucket = true) {
    if (secret) {
      text.secret = secret;
      text.secret_set = true;
    }
    text.has_bucket = bucket;
    mg::config_load(text, &config);
  }
};

struct Object {
  bool exists;
  std::uint64_t size;
  const char* type;
};

struct Row {
  const char* name;
  const char* method;
  const char* key;  // raw path after /m/ (percent-encoded)
  const char* token_key;  // decoded key the token is minted for
  Tok tok;
  const char* range;
  Object obj;
  int status;
  const char* body;           // text body, "" for none
  const char* cache_control;
  const char* content_range;  // "" when absent
  std::int64_t span_first;    // -1 when no object bytes are sent
  std::int64_t span_last;
};

constexpr Object kPng{true, 1000, "image/png"};
constexpr Object kMissing{false, 0, ""};
constexpr Object kEmpty{true, 0, "image/png"};
constexpr const char* kPub = "public, max-age=31536000, immutable";
constexpr const char* kNoStore = "private, no-store";

const Row kRows[] = {
    {"public 200", "GET", "u/a.png", "u/a.png", pub, "", kPng, 200, "", kPub, "", 0, 999},
    {"private 200", "GET", "u/a.png", "u/a.png", priv, "", kPng, 200, "", kNoStore, "", 0, 999},
    {"HEAD sends no bytes", "HEAD", "u/a.png", "u/a.png", pub, "", kPng, 200, "", kPub, "", -1, -1},
    {"POST is 405", "POST", "u/a.png", "u/a.png", pub, "", kPng, 405, "method_not_allowed", kNoStore, "", -1, -1},
    {"bad escape is 400", "GET", "u/%zz.png", "u/a.png", pub, "", kPng, 400, "bad_request", kNoStore, "", -1, -1},
    {"dot segment is 400", "GET", "u/../a.png", "u/a.png", pub, "", kPng, 400, "bad_request", kNoStore, "", -1, -1},
    {"empty key is 400", "GET", "", "u/a.png", pub, "", kPng, 400, "bad_request", kNoStore, "", -1, -1},
    {"outside prefixes is 404 no-store", "GET", "x/a.png", "x/a.png", pub, "", kPng, 404, "not_found", kNoStore, "", -1, -1},
    {"no token is restricted", "GET", "u/a.png", "u/a.png", none, "", kPng, 401, "restricted", kNoStore, "", -1, -1},
    {"garbage token is forbidden", "GET", "u/a.png", "u/a.png", garbage, "", kPng, 401, "forbidden", kNoStore, "", -1, -1},
    {"token for another key", "GET", "u/a.png", "u/a.png", pub_other_key, "", kPng, 401, "forbidden", kNoStore, "", -1, -1},
    {"unknown secret", "GET", "u/a.png", "u/a.png", pub_old_secret, "", kPng, 401, "forbidden", kNoStore, "", -1, -1},
    {"expired private", "GET", "u/a.png", "u/a.png", priv_expired, "", kPng, 401, "expired", kNoStore, "", -1, -1},
    {"private too far ahead", "GET", "u/a.png", "u/a.png", priv_far, "", kPng, 401, "forbidden", kNoStore, "", -1, -1},
    {"missing object, public", "GET", "u/a.png", "u/a.png", pub, "", kMissing, 404, "not_found", "public, max-age=60", "", -1, -1},
    {"missing object, private", "GET", "u/a.png", "u/a.png", priv, "", kMissing, 404, "not_found", kNoStore, "", -1, -1},
    {"Safari probe 0-1", "GET", "u/a.png", "u/a.png", pub, "bytes=0-1", kPng, 206, "", kPub, "bytes 0-1/1000", 0, 1},
    {"Chrome open range", "GET", "u/a.png", "u/a.png", pub, "bytes=0-", kPng, 206, "", kPub, "bytes 0-999/1000", 0, 999},
    {"seek", "GET", "u/a.png", "u/a.png", priv, "bytes=500-", kPng, 206, "", kNoStore, "bytes 500-999/1000", 500, 999},
    {"suffix", "GET", "u/a.png", "u/a.png", pub, "bytes=-100", kPng, 206, "", kPub, "bytes 900-999/1000", 900, 999},
    {"end clamped", "GET", "u/a.png", "u/a.png", pub, "bytes=990-5000", kPng, 206, "", kPub, "bytes 990-999/1000", 990, 999},
    {"start past end is 416", "GET", "u/a.png", "u/a.png", pub, "bytes=1000-", kPng, 416, "range_not_satisfiable", kNoStore, "bytes */1000", -1, -1},
    {"touching ranges coalesce", "GET", "u/a.png", "u/a.png", pub, "bytes=0-5,6-9", kPng, 206, "", kPub, "bytes 0-9/1000", 0, 9},
    {"apart ranges are a 200", "GET", "u/a.png", "u/a.png", pub, "bytes=0-5,10-20", kPng, 200, "", kPub, "", 0, 999},
    {"malformed range is a 200", "GET", "u/a.png", "u/a.png", pub, "bytes=5-1", kPng, 200, "", kPub, "", 0, 999},
    {"unknown unit is a 200", "GET", "u/a.png", "u/a.png", pub, "items=0-1", kPng, 200, "", kPub, "", 0, 999},
    {"HEAD with range", "HEAD", "u/a.png", "u/a.png", pub, "bytes=0-1", kPng, 206, "", kPub, "bytes 0-1/1000", -1, -1},
    {"empty object ignores range", "GET", "u/a.png", "u/a.png", pub, "bytes=0-1", kEmpty, 200, "", kPub, "", -1, -1},
    {"empty object", "GET", "u/a.png", "u/a.png", pub, "", kEmpty, 200, "", kPub, "", -1, -1},
};

}  // namespace

TEST_CASE("contract 4-6: statuses, bodies, cache-control and spans") {
  Setup s;
  for (const Row& row : kRows) {
    INFO(std::string(row.name));
    std::string path = std::string("/m/") + row.key;
    std::string query = "?t=" + mint(row.token_key, row.tok);
    mg::RequestFacts req;
    req.method = row.method;
    req.path = path;
    req.query = query;
    req.now = kNow;
    req.range = row.range;
    mg::ModelObject obj;
    obj.exists = row.obj.exists;
    obj.facts.size = row.obj.size;
    obj.facts.etag = "\"e1\"";
    obj.facts.uploaded = 1445412480;
    obj.facts.content_type = row.obj.type;
    static mg::Decision d;
    int ops = mg::decide_with_model(s.config, req, obj, &d);
    const mg::Response& r = d.response;
    CHECK(r.status == row.status);
    CHECK(mg::reason_info(r.reason).body == row.body);
    CHECK(r.find("cache-control") == row.cache_control);
    CHECK(r.find("content-range") == row.content_range);
    CHECK(r.find("x-content-type-options") == "nosniff");
    CHECK(r.find("content-security-policy") == "default-src 'none'; sandbox");
    bool sends = r.body == mg::BodySource::object;
    CHECK(sends == (row.span_first >= 0));
    if (sends) {
      CHECK(r.span.first == static_cast<std::uint64_t>(row.span_first));
      CHECK(r.span.last == static_cast<std::uint64_t>(row.span_last));
      CHECK(r.find("content-length") == std::to_string(row.span_last - row.span_first + 1));
    }
    if (row.status == 200 || row.status == 206) {
      CHECK(r.find("accept-ranges") == "bytes");
      CHECK(r.find("etag") == "\"e1\"");
      CHECK(r.find("last-modified") == "Wed, 21 Oct 2015 07:28:00 GMT");
      CHECK(r.find("content-type") == row.obj.type);
    }
    if (*row.body) {
      CHECK(r.find("content-type") == "text/plain; charset=utf-8");
      CHECK(r.find("content-length") == std::to_string(std::string_view(row.body).size()));
    }
    if (row.status == 405) CHECK(r.find("allow") == "GET, HEAD");
    // Contract 6: a successful response costs exactly one storage operation
    // on the common paths (the rare second read is tested below).
    // An empty object with a Range is the exception: R2 refuses any range on
    // it, so the whole (empty) object is read a second time.
    if (row.status == 200 || row.status == 206) CHECK(ops == (row.obj.size == 0 && *row.range ? 2 : 1));
    if (row.status == 400 || row.status == 401 || row.status == 405) CHECK(ops == 0);
  }
}

TEST_CASE("contract 1: missing secret or bucket is 503 worker_not_configured") {
  mg::RequestFacts req;
  req.method = "GET";
  req.path = "/m/u/a.png";
  req.query = "?t=x";
  req.now = kNow;
  mg::ModelObject obj;
  static mg::Decision d;
  Setup no_secret(nullptr);
  mg::decide_with_model(no_secret.config, req, obj, &d);
  CHECK(d.response.status == 503);
  CHECK(mg::reason_info(d.response.reason).body == "worker_not_configured");
  CHECK(no_secret.config.problem == "MEDIA_TOKEN_SECRET");
  Setup blank_secret(" \n");
  CHECK(blank_secret.config.problem == "MEDIA_TOKEN_SECRET");
  Setup no_bucket(kSecret, false);
  mg::decide_with_model(no_bucket.config, req, obj, &d);
  CHECK(d.response.status == 503);
  CHECK(no_bucket.config.problem == "MEDIA_BUCKET");
  // Method is checked before configuration.
  req.method = "PUT";
  mg::decide_with_model(no_bucket.config, req, obj, &d);
  CHECK(d.response.status == 405);
}

TEST_CASE("contract 1: a secret pasted with a trailing newline still verifies") {
  std::string padded = std::string(kSecret) + "\n";
  Setup s(padded.c_str());
  std::string path = "/m/u/a.png", query = "?t=" + mint("u/a.png", pub);
  mg::RequestFacts req;
  req.method = "GET";
  req.path = path;
  req.query = query;
  req.now = kNow;
  mg::ModelObject obj;
  obj.exists = true;
  obj.facts.size = 10;
  obj.facts.etag = "\"e\"";
  static mg::Decision d;
  mg::decide_with_model(s.config, req, obj, &d);
  CHECK(d.response.status == 200);
}

namespace {

struct CondRow {
  const char* name;
  const char* method;
  const char* range;
  const char* if_match;
  const char* if_none_match;
  const char* if_modified_since;
  const char* if_unmodified_since;
  const char* if_range;
  int status;
  int ops;
};

// RFC 9110 13.2.2 order, evaluated by the whole gate. Object: 1000 bytes,
// etag "e1", last-modified Wed, 21 Oct 2015 07:28:00 GMT.
const CondRow kCondRows[] = {
    {"If-None-Match match is 304", "GET", "", "", "\"e1\"", "", "", "", 304, 1},
    {"If-None-Match weak match is 304", "GET", "", "", "W/\"e1\"", "", "", "", 304, 1},
    {"If-None-Match other is 200", "GET", "", "", "\"e2\"", "", "", "", 200, 1},
    {"If-None-Match * is 304", "HEAD", "", "", "*", "", "", "", 304, 1},
    {"If-Match other is 412", "GET", "", "\"e2\"", "", "", "", "", 412, 1},
    {"If-Match beats If-None-Match", "GET", "", "\"e2\"", "\"e1\"", "", "", "", 412, 1},
    {"If-Match match then range", "GET", "bytes=0-1", "\"e1\"", "", "", "", "", 206, 1},
    {"If-Unmodified-Since earlier is 412", "GET", "", "", "", "", "Wed, 21 Oct 2015 07:27:59 GMT", "", 412, 1},
    {"If-Unmodified-Since equal passes", "GET", "", "", "", "", "Wed, 21 Oct 2015 07:28:00 GMT", "", 200, 1},
    {"If-Modified-Since equal is 304", "GET", "", "", "", "Wed, 21 Oct 2015 07:28:00 GMT", "", "", 304, 1},
    {"If-Modified-Since future is 304", "GET", "", "", "", "Fri, 01 Jan 2100 00:00:00 GMT", "", "", 304, 1},
    {"If-Modified-Since earlier is 200", "GET", "", "", "", "Wed, 21 Oct 2015 07:27:59 GMT", "", "", 200, 1},
    {"If-Modified-Since ignored with If-None-Match", "GET", "", "", "\"e2\"", "Fri, 01 Jan 2100 00:00:00 GMT", "", "", 200, 1},
    {"If-Modified-Since garbage ignored", "GET", "", "", "", "yesterday", "", "", 200, 1},
    {"If-Range strong match applies range", "GET", "bytes=0-1", "", "", "", "", "\"e1\"", 206, 1},
    {"If-Range weak never matches", "GET", "bytes=0-1", "", "", "", "", "W/\"e1\"", 200, 2},
    {"If-Range other etag is 200 full", "GET", "bytes=0-1", "", "", "", "", "\"e2\"", 200, 2},
    {"If-Range exact date applies range", "GET", "bytes=5-9", "", "", "", "", "Wed, 21 Oct 2015 07:28:00 GMT", 206, 1},
    {"If-Range other date is 200", "GET", "bytes=5-9", "", "", "", "", "Wed, 21 Oct 2015 07:28:01 GMT", 200, 2},
    {"If-Range mismatch beats 416", "GET", "bytes=5000-", "", "", "", "", "\"e2\"", 200, 2},
    {"If-Range on HEAD costs one op", "HEAD", "bytes=0-1", "", "", "", "", "\"e2\"", 200, 1},
    {"several ranges coalescing to a sub-span", "GET", "bytes=0-5,3-7", "", "", "", "", "", 206, 1},
    {"several ranges apart are a 200 in one read", "GET", "bytes=0-5,7-9,990-1200", "", "", "", "", "", 200, 1},
    {"suffix -0 is 416", "GET", "bytes=-0", "", "", "", "", "", 416, 1},
};

}  // namespace

TEST_CASE("RFC 9110 13.2.2: preconditions, If-Range, and the storage reads they cost") {
  Setup s;
  std::string path = "/m/u/a.png", query = "?t=" + mint("u/a.png", pub);
  for (const CondRow& row : kCondRows) {
    INFO(std::string(row.name));
    mg::RequestFacts req;
    req.method = row.method;
    req.path = path;
    req.query = query;
    req.now = kNow;
    req.range = row.range;
    req.cond.if_match = row.if_match;
    req.cond.if_none_match = row.if_none_match;
    req.cond.if_modified_since = row.if_modified_since;
    req.cond.if_unmodified_since = row.if_unmodified_since;
    req.cond.if_range = row.if_range;
    mg::ModelObject obj;
    obj.exists = true;
    obj.facts.size = 1000;
    obj.facts.etag = "\"e1\"";
    obj.facts.uploaded = 1445412480;
    obj.facts.content_type = "image/png";
    static mg::Decision d;
    int ops = mg::decide_with_model(s.config, req, obj, &d);
    CHECK(d.response.status == row.status);
    CHECK(ops == row.ops);
    if (row.status == 304) {
      CHECK(d.response.find("etag") == "\"e1\"");
      CHECK(d.response.find("cache-control") == kPub);
      CHECK(d.response.body == mg::BodySource::none);
    }
  }
}

TEST_CASE("storage failures are 503 storage_unavailable, never a guess") {
  Setup s;
  std::string path = "/m/u/a.png", query = "?t=" + mint("u/a.png", priv);
  mg::RequestFacts req;
  req.method = "GET";
  req.path = path;
  req.query = query;
  req.now = kNow;
  static mg::Decision d;
  mg::decide_begin(s.config, req, &d);
  REQUIRE(d.fetch);
  CHECK(d.mode == mg::Mode::priv);
  mg::ObjectFacts facts;
  facts.result = mg::StorageResult::error;
  mg::Plan performed = d.plan;
  mg::decide_finish(s.config, req, d.mode, d.key_view(), performed, facts, &d);
  CHECK_FALSE(d.fetch);
  CHECK(d.response.status == 503);
  CHECK(mg::reason_info(d.response.reason).body == "storage_unavailable");
  CHECK(d.response.find("cache-control") == kNoStore);
}

TEST_CASE("a storage timeout is 503 storage_unavailable, reason storage_timeout, never retried") {
  Setup s;
  std::string path = "/m/u/a.png", query = "?t=" + mint("u/a.png", pub);
  mg::RequestFacts req;
  req.method = "GET";
  req.path = path;
  req.query = query;
  req.now = kNow;
  for (const char* range : {"", "bytes=0-1"}) {
    CAPTURE(range);
    req.range = range;
    static mg::Decision d;
    mg::decide_begin(s.config, req, &d);
    REQUIRE(d.fetch);
    mg::ObjectFacts facts;
    facts.result = mg::StorageResult::timeout;
    mg::Plan performed = d.plan;
    mg::decide_finish(s.config, req, d.mode, d.key_view(), performed, facts, &d);
    CHECK_FALSE(d.fetch);  // slow, not refusing a range: no second read
    CHECK(d.response.status == 503);
    CHECK(d.response.reason == mg::Reason::storage_timeout);
    CHECK(mg::reason_info(d.response.reason).body == "storage_unavailable");
    CHECK(mg::reason_info(d.response.reason).name == "storage_timeout");
    CHECK(mg::reason_info(d.response.reason).event == "media.worker.error");
    CHECK(d.response.find("cache-control") == kNoStore);
    CHECK(d.log);
  }
  // An edge cache lookup reported as timed out is a miss: storage is read.
  static mg::Decision d;
  req.range = "";
  mg::decide_begin(s.config, req, &d);
  REQUIRE(d.cache_lookup);
  mg::ObjectFacts cache;
  cache.source = mg::ObjectSource::cache;
  cache.result = mg::StorageResult::timeout;
  mg::Plan performed = d.plan;
  mg::decide_finish(s.config, req, d.mode, d.key_view(), performed, cache, &d);
  CHECK(d.fetch);
  CHECK_FALSE(d.cache_lookup);
}

TEST_CASE("a success after an edge cache timeout is logged whatever the sampling") {
  Setup s;
  s.text.log_sample_rate = "0";
  s.text.log_sample_rate_set = true;
  REQUIRE(mg::config_load(s.text, &s.config));
  std::string path = "/m/u/a.png", query = "?t=" + mint("u/a.png", pub);
  mg::RequestFacts req;
  req.method = "GET";
  req.path = path;
  req.query = query;
  req.now = kNow;
  req.sample = 999999;
  for (bool timed_out : {false, true}) {
    CAPTURE(timed_out);
    req.cache_timed_out = timed_out;
    static mg::Decision d;
    mg::decide_begin(s.config, req, &d);
    REQUIRE(d.fetch);
    mg::ObjectFacts obj;
    obj.result = mg::StorageResult::ok;
    obj.size = 1000;
    obj.etag = "\"e\"";
    obj.uploaded = kNow - 10;
    mg::Plan performed = d.plan;
    mg::decide_finish(s.config, req, d.mode, d.key_view(), performed, obj, &d);
    REQUIRE_FALSE(d.fetch);
    CHECK(d.response.status == 200);
    CHECK(d.log == timed_out);
    if (timed_out) CHECK(d.log_sample_ppm == 1000000);
  }
}

TEST_CASE("a bad signature's log line carries the secrets' fingerprints, and no other line does") {
  Setup s;
  std::string path = "/m/u/a.png";
  for (Tok t : {pub_old_secret, garbage, none, priv_expired, pub_other_key, pub}) {
    CAPTURE(static_cast<int>(t));
    std::string query = t == none ? "" : "?t=" + mint("u/a.png", t);
    mg::RequestFacts req;
    req.method = "GET";
    req.path = path;
    req.query = query;
    req.now = kNow;
    static mg::Decision d;
    mg::decide_begin(s.config, req, &d);
    CHECK(d.log_fingerprints == (t == pub_old_secret));
  }
}

TEST_CASE("a failed ranged read is retried once as a whole read, then 503") {
  Setup s;
  std::string path = "/m/u/a.png", query = "?t=" + mint("u/a.png", pub);
  mg::RequestFacts req;
  req.method = "GET";
  req.path = path;
  req.query = query;
  req.now = kNow;
  req.range = "bytes=0-1";
  static mg::Decision d;
  mg::decide_begin(s.config, req, &d);
  REQUIRE(d.fetch);
  mg::ObjectFacts facts;
  facts.result = mg::StorageResult::error;
  mg::Plan first = d.plan;
  mg::decide_finish(s.config, req, d.mode, d.key_view(), first, facts, &d);
  REQUIRE(d.fetch);
  CHECK(d.plan.range.kind == mg::RangeHintKind::whole);
  mg::Plan second = d.plan;
  mg::decide_finish(s.config, req, d.mode, d.key_view(), second, facts, &d);
  CHECK_FALSE(d.fetch);
  CHECK(d.response.status == 503);
  CHECK(d.response.find("cache-control") == "private, no-store");  // never cached, even under a public token
}

TEST_CASE("an object that changes between the two reads fails closed") {
  // If-Range names a validator the object no longer has: the whole object is
  // read again (second, exact read). If the object changed back meanwhile,
  // what was read is no longer what the answer needs: 503, the client retries.
  Setup s;
  std::string path = "/m/u/a.png", query = "?t=" + mint("u/a.png", pub);
  mg::RequestFacts req;
  req.method = "GET";
  req.path = path;
  req.query = query;
  req.now = kNow;
  req.range = "bytes=0-1";
  req.cond.if_range = "\"e2\"";
  static mg::Decision d;
  mg::decide_begin(s.config, req, &d);
  REQUIRE(d.fetch);
  mg::ObjectFacts facts;
  facts.result = mg::StorageResult::ok;
  facts.size = 1000;
  facts.etag = "\"e1\"";
  mg::Plan first = d.plan;
  mg::decide_finish(s.config, req, d.mode, d.key_view(), first, facts, &d);
  REQUIRE(d.fetch);
  CHECK(d.plan.range.kind == mg::RangeHintKind::whole);
  CHECK(d.plan.attempt == 2);
  facts.etag = "\"e2\"";
  mg::Plan second = d.plan;
  mg::decide_finish(s.config, req, d.mode, d.key_view(), second, facts, &d);
  CHECK_FALSE(d.fetch);
  CHECK(d.response.status == 503);
}

TEST_CASE("unreadable finish facts: 503 storage_unavailable, logged, nothing of the decision before") {
  Setup s;
  std::string path = "/m/u/a.png", query = "?t=" + mint("u/a.png", pub);
  mg::RequestFacts req;
  req.method = "GET";
  req.path = path;
  req.query = query;
  req.now = kNow;
  req.sample = 999999;  // a sampled-out success: no log line of its own
  static mg::Decision d;
  mg::decide_begin(s.config, req, &d);
  REQUIRE(d.fetch);
  CHECK(d.cache_lookup);
  mg::ObjectFacts obj;
  obj.result = mg::StorageResult::ok;
  obj.size = 1000;
  obj.etag = "\"e\"";
  obj.uploaded = 1445412480;
  mg::decide_finish(s.config, req, d.mode, d.key_view(), d.plan, obj, &d);
  REQUIRE(d.response.status == 200);
  REQUIRE(d.cache_store);  // a whole public read fills the edge cache
  CHECK_FALSE(d.log);
  mg::decide_unreadable(s.config, req, mg::Mode::pub, &d);
  CHECK_FALSE(d.fetch);
  CHECK(d.response.status == 503);
  CHECK(d.response.reason == mg::Reason::storage_unavailable);
  CHECK(d.response.find("cache-control") == kNoStore);
  CHECK(d.response.body == mg::BodySource::text);
  CHECK_FALSE(d.cache_store);
  CHECK_FALSE(d.cache_lookup);
  CHECK_FALSE(d.refresh_revocations);
  CHECK(d.key_len == 0);
  CHECK(d.log);
  CHECK(d.log_sample_ppm == 1000000);
}

// Issue 16: a public Range read from storage fills the edge cache with the
// whole object in the background (a second, whole read by the shim); a whole
// read is stored as it streams. Nothing private, nothing over the bound,
// nothing that is not a 206 from storage.
TEST_CASE("edge cache: a public 206 from storage asks for a whole-object fill, within the bound") {
  struct Row {
    const char* name;
    const char* method;
    Tok tok;
    const char* range;
    std::uint64_t size;
    const char* fill_max;  // MEDIA_EDGE_CACHE_FILL_MAX_BYTES, nullptr: default
    const char* edge_cache;
    int status;
    bool store;
    bool fill;
  } rows[] = {
      {"probe 0-1 fills", "GET", pub, "bytes=0-1", 1000, nullptr, nullptr, 206, false, true},
      {"a chunk in the middle fills", "GET", pub, "bytes=300-399", 1000, nullptr, nullptr, 206, false, true},
      {"suffix fills", "GET", pub, "bytes=-10", 1000, nullptr, nullptr, 206, false, true},
      {"a range of the whole object is stored as it streams", "GET", pub, "bytes=0-", 1000, nullptr, nullptr, 206, true, false},
      {"no range: stored as it streams", "GET", pub, "", 1000, nullptr, nullptr, 200, true, false},
      {"private never", "GET", priv, "bytes=0-1", 1000, nullptr, nullptr, 206, false, false},
      {"HEAD never", "HEAD", pub, "bytes=0-1", 1000, nullptr, nullptr, 206, false, false},
      {"416 never", "GET", pub, "bytes=5000-", 1000, nullptr, nullptr, 416, false, false},
      {"an empty object never", "GET", pub, "bytes=0-1", 0, nullptr, nullptr, 200, false, false},
      {"at the bound fills", "GET", pub, "bytes=0-1", 1000, "1000", nullptr, 206, false, true},
      {"over the bound never", "GET", pub, "bytes=0-1", 1001, "1000", nullptr, 206, false, false},
      {"bound 0: never", "GET", pub, "bytes=0-1", 1000, "0", nullptr, 206, false, false},
      {"over the default bound (16 MiB) never", "GET", pub, "bytes=0-1", 16777217, nullptr, nullptr, 206, false, false},
      {"at the default bound fills", "GET", pub, "bytes=0-1", 16777216, nullptr, nullptr, 206, false, true},
      {"edge cache off: never", "GET", pub, "bytes=0-1", 1000, nullptr, "off", 206, false, false},
  };
  for (const Row& row : rows) {
    INFO(std::string(row.name));
    Setup s;
    if (row.fill_max) { s.text.edge_cache_fill_max = row.fill_max; s.text.edge_cache_fill_max_set = true; }
    if (row.edge_cache) { s.text.edge_cache = row.edge_cache; s.text.edge_cache_set = true; }
    REQUIRE(mg::config_load(s.text, &s.config));
    std::string path = "/m/u/v/clip.mp4", query = "?t=" + mint("u/v/clip.mp4", row.tok);
    mg::RequestFacts req;
    req.method = row.method;
    req.path = path;
    req.query = query;
    req.now = kNow;
    req.range = row.range;
    mg::ModelObject obj;
    obj.exists = true;
    obj.facts.size = row.size;
    obj.facts.etag = "\"e1\"";
    obj.facts.uploaded = 1445412480;
    obj.facts.content_type = "video/mp4";
    static mg::Decision d;
    mg::decide_with_model(s.config, req, obj, &d);
    CHECK(d.response.status == row.status);
    CHECK(d.cache_store == row.store);
    CHECK(d.cache_fill == row.fill);
    if (row.fill) {
      CHECK(d.cache_fill_length == row.size);
      CHECK(std::string_view(d.cache_path, d.cache_path_len) == "/m/u/v/clip.mp4");
      // The entry's metadata is the object's, as a whole read would store it.
      CHECK(std::string_view(d.cache_object, d.cache_object_len) ==
            "v1 " + std::to_string(row.size) + " 1445412480 \"e1\" video/mp4");
    }
  }
}

TEST_CASE("edge cache: a Range answered from the cache asks for no fill") {
  Setup s;
  std::string path = "/m/u/a.png", query = "?t=" + mint("u/a.png", pub);
  mg::RequestFacts req;
  req.method = "GET";
  req.path = path;
  req.query = query;
  req.now = kNow;
  req.range = "bytes=0-1";
  static mg::Decision d;
  mg::decide_begin(s.config, req, &d);
  REQUIRE(d.fetch);
  REQUIRE(d.cache_lookup);
  mg::ObjectFacts hit;
  hit.result = mg::StorageResult::ok;
  hit.source = mg::ObjectSource::cache;
  hit.size = 1000;
  hit.etag = "\"e\"";
  hit.uploaded = 1445412480;
  mg::decide_finish(s.config, req, d.mode, d.key_view(), d.plan, hit, &d);
  CHECK(d.response.status == 206);
  CHECK_FALSE(d.cache_fill);
  CHECK_FALSE(d.cache_store);
}

// Issue 16: denial and error lines, every one up to the isolate's budget per
// second, then sampled at MEDIA_LOG_SAMPLE_RATE with that rate on the line.
TEST_CASE("logs: denials within the budget are all written, then sampled, successes as before") {
  struct Row {
    const char* name;
    Tok tok;
    const char* budget;  // nullptr: default 20
    const char* rate;    // MEDIA_LOG_SAMPLE_RATE, nullptr: default 0.01
    std::uint32_t recent;
    std::uint32_t sample;
    bool log;
    std::uint32_t ppm;
    bool counted;
  } rows[] = {
      {"first denial of the second", garbage, nullptr, nullptr, 0, 999999, true, 1000000, true},
      {"the last within the default budget", garbage, nullptr, nullptr, 19, 999999, true, 1000000, true},
      {"past the budget, sampled out", garbage, nullptr, nullptr, 20, 999999, false, 10000, false},
      {"past the budget, sampled in", garbage, nullptr, nullptr, 20, 9999, true, 10000, true},
      {"budget 5, the fifth", none, "5", nullptr, 4, 500000, true, 1000000, true},
      {"budget 5, the sixth", none, "5", nullptr, 5, 500000, false, 10000, false},
      {"budget 0: every denial sampled", none, "0", "0.5", 0, 499999, true, 500000, true},
      {"budget 0, sampled out", none, "0", "0.5", 0, 500000, false, 500000, false},
      {"a success ignores the budget (sampled in)", pub, "0", nullptr, 1000, 0, true, 10000, false},
      {"a success ignores the budget (sampled out)", pub, nullptr, nullptr, 0, 10000, false, 10000, false},
  };
  for (const Row& row : rows) {
    INFO(std::string(row.name));
    Setup s;
    if (row.budget) { s.text.log_denial_budget = row.budget; s.text.log_denial_budget_set = true; }
    if (row.rate) { s.text.log_sample_rate = row.rate; s.text.log_sample_rate_set = true; }
    REQUIRE(mg::config_load(s.text, &s.config));
    std::string path = "/m/u/a.png", query = row.tok == none ? "" : "?t=" + mint("u/a.png", row.tok);
    mg::RequestFacts req;
    req.method = "GET";
    req.path = path;
    req.query = query;
    req.now = kNow;
    req.sample = row.sample;
    req.log_recent = row.recent;
    mg::ModelObject obj;
    obj.exists = true;
    obj.facts.size = 1000;
    obj.facts.etag = "\"e1\"";
    obj.facts.uploaded = 1445412480;
    static mg::Decision d;
    mg::decide_with_model(s.config, req, obj, &d);
    CHECK(d.log == row.log);
    CHECK(d.log_budget == row.counted);
    if (row.log) CHECK(d.log_sample_ppm == row.ppm);
  }
}
