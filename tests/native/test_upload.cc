// docs/UPLOADS.md sections 1-3: the upload decision, phase by phase, driven
// as the shim drives it (sniff the first bytes, put unless the key is taken,
// compare with what it holds), against a model of R2 over byte strings.
#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "bearssl_hash.h"
#include "config.h"
#include "decision.h"
#include "reason.h"
#include "token.h"

namespace {

constexpr const char* kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::int64_t kNow = 1767225600;

std::string md5_hex(const std::string& b) {
  br_md5_context c;
  br_md5_init(&c);
  br_md5_update(&c, b.data(), b.size());
  unsigned char out[16];
  br_md5_out(&c, out);
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (unsigned char x : out) s += kHex[x >> 4], s += kHex[x & 15];
  return s;
}

const std::string kPng = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + std::string(300, 'p');
const std::string kJpeg = std::string("\xff\xd8\xff\xe0\0\x10JFIF", 10) + std::string(100, 'j');
const std::string kHtml = "<!doctype html><script>alert(1)</script>";

std::string put_token(const std::string& key, const std::string& ct, std::uint64_t n = 0, std::int64_t exp = kNow + 600,
                      const char* secret = kSecret) {
  char out[8192];
  std::size_t len = mg::token_mint_put(key, ct, n, exp, secret, out, sizeof out);
  REQUIRE(len > 0);
  return std::string(out, len);
}

std::string read_token(const std::string& key) {
  char out[8192];
  std::size_t len = mg::token_mint(key, mg::Mode::pub, 0, kSecret, out, sizeof out);
  REQUIRE(len > 0);
  return std::string(out, len);
}

struct Setup {
  mg::ConfigText text;
  mg::Config config;
  explicit Setup(bool uploads = true, const char* types = nullptr, const char* max_bytes = nullptr) {
    text.secret = kSecret;
    text.secret_set = true;
    text.has_bucket = true;
    if (uploads) text.uploads = "on", text.uploads_set = true;
    if (types) text.upload_types = types, text.upload_types_set = true;
    if (max_bytes) text.max_upload_bytes = max_bytes, text.max_upload_bytes_set = true;
    REQUIRE(mg::config_load(text, &config));
  }
};

// R2 as the decision sees it: objects with their MD5, and faults.
struct Bucket {
  struct Obj {
    std::string bytes, type;
  };
  std::map<std::string, Obj> objects;
  mg::StorageResult put_fault = mg::StorageResult::ok;  // ok: no fault
  int puts = 0;
};

struct Request {
  std::string method = "PUT";
  std::string key;
  std::string token;
  std::string content_type;
  std::string content_length;  // "" absent; "auto": the body's size
  std::string body;            // what arrives (the declared length may differ)
  bool body_fails = false;     // the client goes away mid-body
};

struct Outcome {
  int status = 0;
  std::string reason, event, body, content_type, cache_control, allow;
  int phases = 0;
};

Outcome run(const mg::Config& config, Request rq, Bucket* bucket) {
  if (rq.content_length == "auto") rq.content_length = std::to_string(rq.body.size());
  mg::RequestFacts req;
  req.method = rq.method;
  std::string path = "/m/" + rq.key, query = "t=" + rq.token;
  req.path = path;
  req.query = query;
  req.now = kNow;
  req.content_type = rq.content_type;
  req.content_length = rq.content_length;
  auto d = std::make_unique<mg::Decision>();
  mg::decide_begin(config, req, d.get());
  Outcome o;
  std::string head, body_md5, stored_md5, etag, type;
  std::string key(d->key_view());
  std::uint64_t declared = 0;
  while (d->fetch && o.phases < 5) {
    ++o.phases;
    mg::ObjectFacts obj;
    obj.result = mg::StorageResult::ok;
    switch (d->plan.op) {
      case mg::StorageOp::sniff:
        declared = d->upload_length;
        head = rq.body.substr(0, d->plan.range.length);
        obj.head = head;
        if (head.size() < d->plan.range.length || rq.body_fails) obj.result = mg::StorageResult::incomplete;
        break;
      case mg::StorageOp::put: {
        CHECK(d->upload_length == declared);
        ++bucket->puts;
        const bool whole = !rq.body_fails && rq.body.size() == declared;
        body_md5 = whole ? md5_hex(rq.body) : "";
        obj.body_md5 = body_md5;
        if (bucket->put_fault != mg::StorageResult::ok) obj.result = bucket->put_fault;
        else if (bucket->objects.count(key)) obj.result = whole ? mg::StorageResult::exists : mg::StorageResult::incomplete;
        else if (!whole) obj.result = mg::StorageResult::incomplete;
        else {
          bucket->objects[key] = {rq.body, std::string(d->put_type_view())};
          etag = "\"" + body_md5 + "\"";
          obj.size = rq.body.size();
          obj.etag = etag;
        }
        break;
      }
      case mg::StorageOp::head: {
        auto it = bucket->objects.find(key);
        if (it == bucket->objects.end()) {
          obj.result = mg::StorageResult::missing;
          break;
        }
        stored_md5 = md5_hex(it->second.bytes);
        etag = "\"" + stored_md5 + "\"";
        obj.size = it->second.bytes.size();
        obj.etag = etag;
        obj.stored_md5 = stored_md5;
        obj.body_md5 = body_md5;
        break;
      }
      default:
        FAIL("a single PUT only sniffs, puts and heads");
    }
    auto next = std::make_unique<mg::Decision>();
    mg::decide_finish(config, req, d->mode, d->key_view(), d->plan, obj, next.get());
    d = std::move(next);
  }
  REQUIRE_FALSE(d->fetch);
  const mg::Response& r = d->response;
  o.status = r.status;
  o.reason = std::string(mg::reason_info(r.reason).name);
  o.event = std::string(mg::reason_event(r.reason, d->upload));
  o.body = r.body == mg::BodySource::text ? std::string(r.text) : "";
  o.content_type = std::string(r.find("content-type"));
  o.cache_control = std::string(r.find("cache-control"));
  o.allow = std::string(r.find("allow"));
  return o;
}

Request png_put(const std::string& key, const std::string& body = kPng) {
  Request rq;
  rq.key = key;
  rq.token = put_token(key, "image/png");
  rq.content_type = "image/png";
  rq.content_length = "auto";
  rq.body = body;
  return rq;
}

}  // namespace

TEST_CASE("upload: a PNG is stored (201) with its JSON answer, then the same bytes again are 200") {
  Setup s;
  Bucket b;
  Outcome o = run(s.config, png_put("u/a.png"), &b);
  CHECK(o.status == 201);
  CHECK(o.reason == "upload_stored");
  CHECK(o.event == "media.upload.ok");
  CHECK(o.content_type == "application/json");
  CHECK(o.cache_control == "private, no-store");
  const std::string want = "{\"key\":\"u/a.png\",\"size\":316,\"etag\":\"\\\"" + md5_hex(kPng) +
                           "\\\"\",\"content_type\":\"image/png\"}";
  CHECK(o.body == want);
  REQUIRE(b.objects.count("u/a.png"));
  CHECK(b.objects["u/a.png"].bytes == kPng);
  CHECK(b.objects["u/a.png"].type == "image/png");

  Outcome again = run(s.config, png_put("u/a.png"), &b);
  CHECK(again.status == 200);
  CHECK(again.reason == "upload_retry");
  CHECK(again.event == "media.upload.retry");
  CHECK(again.body == want);

  std::string other = kPng;
  other.back() = 'q';
  Outcome taken = run(s.config, png_put("u/a.png", other), &b);
  CHECK(taken.status == 412);
  CHECK(taken.body == "already_exists");
  CHECK(taken.event == "media.upload.rejected");
  CHECK(b.objects["u/a.png"].bytes == kPng);
}

TEST_CASE("upload: every refusal of docs/UPLOADS.md, in check order, stores nothing") {
  struct Row {
    const char* name;
    void (*edit)(Request*);
    int status;
    const char* body;
    const char* reason;
  };
  const Row rows[] = {
      {"uploads are for PUT only: POST is 405", [](Request* r) { r->method = "POST"; }, 405, "method_not_allowed", "method_not_allowed"},
      {"no token", [](Request* r) { r->token = ""; }, 401, "restricted", "token_missing"},
      {"a read token cannot write", [](Request* r) { r->token = read_token(r->key); }, 401, "forbidden", "token_wrong_mode"},
      {"a token for another key", [](Request* r) { r->token = put_token("u/other.png", "image/png"); }, 401, "forbidden", "token_key_mismatch"},
      {"another secret", [](Request* r) { r->token = put_token(r->key, "image/png", 0, kNow + 600, "not-the-secret"); }, 401, "forbidden", "token_bad_signature"},
      {"expired", [](Request* r) { r->token = put_token(r->key, "image/png", 0, kNow - 61); }, 401, "expired", "token_expired"},
      {"expiry too far ahead", [](Request* r) { r->token = put_token(r->key, "image/png", 0, kNow + 3600 + 61); }, 401, "forbidden", "token_expiry_too_far"},
      {"ct not an upload type (SVG)", [](Request* r) { r->token = put_token(r->key, "image/svg+xml"); r->content_type = "image/svg+xml"; }, 415, "unsupported_type", "unsupported_type"},
      {"ct with parameters is not an upload type", [](Request* r) { r->token = put_token(r->key, "image/png; q=1"); }, 415, "unsupported_type", "unsupported_type"},
      {"content-type differs from ct", [](Request* r) { r->content_type = "image/jpeg"; }, 415, "type_mismatch", "type_mismatch"},
      {"no content-type", [](Request* r) { r->content_type = ""; }, 415, "type_mismatch", "type_mismatch"},
      {"no content-length", [](Request* r) { r->content_length = ""; }, 411, "length_required", "length_required"},
      {"content-length not a number", [](Request* r) { r->content_length = "12, 12"; }, 400, "bad_request", "bad_length"},
      {"empty", [](Request* r) { r->body = ""; }, 400, "empty_upload", "empty_upload"},
      {"over the token's n", [](Request* r) { r->token = put_token(r->key, "image/png", 100); }, 413, "too_large", "too_large"},
      {"HTML declared as PNG", [](Request* r) { r->body = kHtml; }, 415, "type_mismatch", "signature_mismatch"},
      {"a JPEG declared as PNG", [](Request* r) { r->body = kJpeg; }, 415, "type_mismatch", "signature_mismatch"},
      {"a body shorter than the PNG signature", [](Request* r) { r->body = kPng.substr(0, 5); }, 415, "type_mismatch", "signature_mismatch"},
      {"the body ends before content-length (sniff)", [](Request* r) { r->content_length = "1000"; r->body = kPng.substr(0, 100); }, 400, "incomplete_upload", "incomplete_upload"},
      {"the body ends before content-length (put)", [](Request* r) { r->content_length = "1000"; r->body = kPng; }, 400, "incomplete_upload", "incomplete_upload"},
      {"more bytes than content-length", [](Request* r) { r->content_length = "316"; r->body = kPng + "xx"; }, 400, "incomplete_upload", "incomplete_upload"},
      {"the client goes away", [](Request* r) { r->body_fails = true; }, 400, "incomplete_upload", "incomplete_upload"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    Setup s;
    Bucket b;
    Request rq = png_put("u/a.png");
    row.edit(&rq);
    Outcome o = run(s.config, rq, &b);
    CHECK(o.status == row.status);
    CHECK(o.body == row.body);
    CHECK(o.reason == row.reason);
    CHECK(o.cache_control == "private, no-store");
    if (row.status != 405) CHECK(o.event == "media.upload.rejected");
    CHECK(b.objects.empty());
  }
}

TEST_CASE("upload: the limit is the smaller of n and MEDIA_MAX_UPLOAD_BYTES") {
  Setup s(true, nullptr, "316");
  Bucket b;
  CHECK(run(s.config, png_put("u/a.png"), &b).status == 201);
  Setup small(true, nullptr, "315");
  Bucket b2;
  Outcome o = run(small.config, png_put("u/a.png"), &b2);
  CHECK(o.status == 413);
  CHECK(b2.objects.empty());
  Request rq = png_put("u/b.png");
  rq.token = put_token("u/b.png", "image/png", 316);
  CHECK(run(s.config, rq, &b).status == 201);
}

TEST_CASE("upload: the content-type is compared case-insensitively, parameters ignored, and ct is stored") {
  Setup s;
  Bucket b;
  Request rq = png_put("u/a.png");
  rq.content_type = "Image/PNG ; charset=binary";
  CHECK(run(s.config, rq, &b).status == 201);
  CHECK(b.objects["u/a.png"].type == "image/png");
}

TEST_CASE("upload: storage failures are 503 and store nothing, and with uploads off PUT is the read-only 405") {
  Setup s;
  for (auto fault : {mg::StorageResult::error, mg::StorageResult::timeout}) {
    Bucket b;
    b.put_fault = fault;
    Outcome o = run(s.config, png_put("u/a.png"), &b);
    CHECK(o.status == 503);
    CHECK(o.body == "storage_unavailable");
    CHECK(o.event == "media.upload.rejected");
    CHECK(b.objects.empty());
  }
  Setup off(false);
  Bucket b;
  Outcome o = run(off.config, png_put("u/a.png"), &b);
  CHECK(o.status == 405);
  CHECK(o.allow == "GET, HEAD");
  CHECK(o.event == "media.worker.deny");
  CHECK(b.puts == 0);
  Request post = png_put("u/a.png");
  post.method = "POST";
  CHECK(run(s.config, post, &b).allow == "GET, HEAD, PUT");
}

TEST_CASE("upload: a put token never reads") {
  Setup s;
  Bucket b;
  Request rq = png_put("u/a.png");
  rq.method = "GET";
  Outcome o = run(s.config, rq, &b);
  CHECK(o.status == 401);
  CHECK(o.body == "forbidden");
  CHECK(o.reason == "token_wrong_mode");
  CHECK(o.cache_control == "private, no-store");
}
