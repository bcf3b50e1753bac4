// docs/UPLOADS.md, "Resumable uploads (tus 1.0.0)": the tus decisions, driven
// as the shim drives them (decide_begin, then one op at a time, decide_finish,
// and at the end the answer's abort or release), against a model of the upload
// state object (its snapshot, lease and epoch, committed offset, parts and
// tail, and the compare-and-set preconditions of each method) and a model of
// R2 (objects with the upload-id marker, multipart uploads and their parts,
// R2's part-size rules). The tests assert what a client sees: status, body
// word, the tus headers, and the bytes that end up stored.
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "decision.h"
#include "reason.h"
#include "token.h"
#include "tus.h"

namespace {

using mg::StorageOp;
using mg::StorageResult;
using mg::TusLease;
using mg::TusState;

constexpr const char* kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::int64_t kNow = 1767225600;  // Thu, 01 Jan 2026 00:00:00 GMT
constexpr std::uint64_t MiB = 1024 * 1024;
constexpr const char* kKey = "u/clip.mp4";

// ---- The bytes ----------------------------------------------------------------

// An MP4's first bytes (ISO-BMFF ftyp, brand isom), then reproducible noise.
std::string mp4_bytes(std::size_t n, std::uint32_t seed = 1) {
  static const std::string head("\0\0\0\x18" "ftypisom\0\0\x02\0isomiso2", 24);
  std::string s = head.substr(0, n < head.size() ? n : head.size());
  s.reserve(n);
  std::uint32_t x = seed * 2654435761u + 12345u;
  while (s.size() < n) {
    x = x * 1664525u + 1013904223u;
    s.push_back(static_cast<char>(x >> 24));
  }
  return s;
}

const std::string kHtml = "<!doctype html><html><script>alert(1)</script>" + std::string(400, ' ') + "</html>";

std::string base64(const std::string& in) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                      static_cast<unsigned char>(in[i + 2]);
    out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], a[v & 63]};
  }
  if (i + 1 == in.size()) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out += {a[v >> 18], a[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], '='};
  }
  return out;
}

// What tus-js-client sends for metadata {filename, filetype}.
std::string metadata(const std::string& filetype) {
  return "filename " + base64("clip.mp4") + ",filetype " + base64(filetype);
}

std::string put_token(const std::string& key, const std::string& ct, std::uint64_t n = 0,
                      std::int64_t exp = kNow + 600) {
  char out[8192];
  std::size_t len = mg::token_mint_put(key, ct, n, exp, kSecret, out, sizeof out);
  REQUIRE(len > 0);
  return std::string(out, len);
}

std::string read_token(const std::string& key) {
  char out[8192];
  std::size_t len = mg::token_mint(key, mg::Mode::pub, 0, kSecret, out, sizeof out);
  REQUIRE(len > 0);
  return std::string(out, len);
}

// ---- The upload state object (worker-shim/upload_state.js's contract) ------------

struct StateObject {
  bool exists = false;
  std::string id, key, ct;
  std::uint64_t length = 0, part_size = 0, committed = 0, parts_end = 0;
  std::int64_t created = 0, expires = 0;
  std::string mpu_id;
  bool family_ok = false;
  TusState state = TusState::none;
  std::uint64_t epoch = 0;
  std::int64_t lease_until = 0;  // ms
  std::map<std::uint32_t, std::string> parts;  // k -> etag
  std::string tail;                            // bytes parts_end..committed
  int uploads_made = 0;

  bool current(std::uint64_t e) const { return exists && epoch == e; }

  mg::TusFacts facts(TusLease lease = TusLease::none) const {
    mg::TusFacts t;
    t.lease = lease;
    if (!exists) return t;
    t.state = state;
    t.family_ok = family_ok;
    t.length = length;
    t.offset = committed;
    t.part_size = part_size;
    t.parts_end = parts_end;
    t.created = created;
    t.expires = expires;
    t.content_type = ct;
    return t;
  }

  // create(row): only where no row is, or the row is done.
  bool create(const std::string& k, const std::string& type, std::uint64_t len, std::uint64_t p, std::int64_t now,
              std::int64_t exp) {
    if (exists && state != TusState::done) return false;
    clear();
    exists = true;
    id = "upload-" + std::to_string(++uploads_made + 100 * len);
    key = k;
    ct = type;
    length = len;
    part_size = p;
    created = now;
    expires = exp;
    state = TusState::open;
    epoch = 1000 + len;
    return true;
  }

  TusLease begin(std::int64_t now_ms, std::uint64_t claimed, std::int64_t lease_ms) {
    if (!exists) return TusLease::none;
    if (lease_until > now_ms) return TusLease::held;
    if (committed != claimed) return TusLease::mismatch;
    ++epoch;
    lease_until = now_ms + lease_ms;
    return TusLease::granted;
  }

  bool append_tail(std::uint64_t e, std::uint64_t at, const std::string& bytes, bool family, std::int64_t until) {
    if (!current(e) || committed != at) return false;
    tail += bytes;
    committed += bytes.size();
    family_ok = family_ok || family;
    lease_until = until;
    return true;
  }

  bool record_part(std::uint64_t e, std::uint32_t k, const std::string& etag, std::uint64_t end, bool family,
                   bool completing, std::int64_t until) {
    if (!current(e) || parts_end != (k - 1) * part_size || !(end > parts_end)) return false;
    tail.clear();
    parts[k] = etag;
    parts_end = end;
    if (end > committed) committed = end;
    family_ok = family_ok || family;
    lease_until = until;
    if (completing) state = TusState::completing;
    return true;
  }

  // Every row gone; a later upload of the key gets another id.
  void clear() {
    const int made = uploads_made;
    *this = StateObject{};
    uploads_made = made;
  }
};

// ---- R2 ----------------------------------------------------------------------

struct Bucket {
  struct Object {
    std::string bytes, type, upload_id;
  };
  struct Multipart {
    std::string key, type, upload_id;
    std::map<std::uint32_t, std::string> parts;  // k -> bytes
  };
  std::map<std::string, Object> objects;
  std::map<std::string, Multipart> multiparts;  // by multipart upload id
  int next_mpu = 0;
  int aborted = 0;

  std::string create_multipart(const std::string& key, const std::string& type, const std::string& upload_id) {
    const std::string id = "mpu-" + std::to_string(++next_mpu);
    multiparts[id] = Multipart{key, type, upload_id, {}};
    return id;
  }

  // R2's rules at completion: every part but the last the same size, at
  // least 5 MiB; the parts named are the parts uploaded, 1..n.
  bool complete(const std::string& mpu, const std::map<std::uint32_t, std::string>& named) {
    auto it = multiparts.find(mpu);
    if (it == multiparts.end()) return false;
    const Multipart& m = it->second;
    std::string all;
    std::size_t first = 0;
    std::uint32_t k = 0;
    for (const auto& [number, etag] : named) {
      CHECK(number == ++k);
      auto part = m.parts.find(number);
      REQUIRE(part != m.parts.end());
      CHECK(etag == "etag-" + std::to_string(number));
      if (number == 1) first = part->second.size();
      if (number != named.size()) {
        CHECK(part->second.size() == first);
        CHECK(part->second.size() >= 5 * MiB);
      } else {
        CHECK(part->second.size() <= first);
      }
      all += part->second;
    }
    CHECK(named.size() <= mg::kTusMaxParts);
    objects[m.key] = Object{all, m.type, m.upload_id};
    multiparts.erase(it);
    return true;
  }

  void abort(const std::string& mpu) {
    if (multiparts.erase(mpu)) ++aborted;
  }
};

// ---- The client's request and what it sees -----------------------------------

struct Request {
  std::string method;
  std::string key = kKey;
  std::string token;  // the t query value; "" for none
  std::string tus = "1.0.0";
  std::string length, offset, meta, content_type, content_length = "auto";
  std::string body;
  std::int64_t now = kNow;
};

struct Seen {
  int status = 0;
  std::string body, word, reason;  // body: what is sent; word: the reason's body word (HEAD sends none)
  std::map<std::string, std::string> headers;
  std::vector<StorageOp> ops;
  bool abort = false, release = false;
  std::string h(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  bool has(const std::string& name) const { return headers.count(name) != 0; }
};

// The shim's side of one request: the ops the core asks for, performed on the
// models, then the answer's abort or release. `fault` may replace an op's
// outcome (the op is not performed: R2 or the state object failed) or change
// the models just before it runs (another request got there first).
struct World {
  mg::ConfigText text;
  mg::Config config;
  StateObject state;
  Bucket bucket;
  std::map<StorageOp, StorageResult> fail;                 // this op reports this result instead
  std::function<void(StorageOp, World*)> before;           // runs before each op
  // Checked on every plan the core hands over (the numbers the shim works from).
  std::uint64_t created_part_size = 0;

  explicit World(const char* max_resumable = nullptr, bool tus = true, const char* expiry = nullptr) {
    text.secret = kSecret;
    text.secret_set = true;
    text.has_bucket = true;
    text.uploads = "on";
    text.uploads_set = true;
    text.has_upload_state = tus;
    if (max_resumable) text.max_resumable_bytes = max_resumable, text.max_resumable_bytes_set = true;
    if (expiry) text.upload_expiry = expiry, text.upload_expiry_set = true;
    REQUIRE(mg::config_load(text, &config));
  }

  Seen send(Request rq) {
    if (rq.content_length == "auto") rq.content_length = rq.method == "PATCH" ? std::to_string(rq.body.size()) : "";
    const std::string path = "/m/" + rq.key;
    const std::string query = rq.token.empty() ? "" : "t=" + rq.token;
    mg::RequestFacts req;
    req.method = rq.method;
    req.path = path;
    req.query = query;
    req.now = rq.now;
    req.tus_resumable = rq.tus;
    req.upload_length = rq.length;
    req.upload_offset = rq.offset;
    req.upload_metadata = rq.meta;
    req.content_type = rq.content_type;
    req.content_length = rq.content_length;
    const std::int64_t now_ms = rq.now > INT64_MAX / 2000 ? INT64_MAX / 2 : rq.now * 1000;  // the shim's Date.now(), saturated

    auto d = std::make_unique<mg::Decision>();
    mg::decide_begin(config, req, d.get());
    Seen seen;
    std::uint64_t epoch = 0;
    bool have_epoch = false;
    std::size_t body_at = 0;      // body bytes handed to the sniff or the patch so far
    std::string sniffed_body;     // kept by the sniff for the patch (the shim's prefix)
    std::string etag, obj_type, head_bytes;
    while (d->fetch) {
      REQUIRE(seen.ops.size() < 6);  // the shim's bound (worker-shim/index.js)
      const mg::Plan plan = d->plan;
      seen.ops.push_back(plan.op);
      CHECK(d->mode == mg::Mode::put);
      if (before) before(plan.op, this);
      mg::ObjectFacts obj;
      obj.result = StorageResult::ok;
      auto failed = fail.find(plan.op);
      if (failed != fail.end()) {
        obj.result = failed->second;
        obj.tus = state.facts();
      } else {
        switch (plan.op) {
          case StorageOp::tus_state:
            obj.tus = state.facts();
            break;
          case StorageOp::tus_begin: {
            CHECK(d->tus_lease_ms > 0);
            TusLease lease = state.begin(now_ms, plan.range.offset, d->tus_lease_ms);
            if (lease == TusLease::granted) epoch = state.epoch, have_epoch = true;
            obj.tus = state.facts(lease);
            break;
          }
          case StorageOp::head: {
            auto it = bucket.objects.find(std::string(d->key_view()));
            obj.result = it == bucket.objects.end() ? StorageResult::missing : StorageResult::ok;
            if (it != bucket.objects.end()) obj.size = it->second.bytes.size();
            obj.tus = state.facts();
            break;
          }
          case StorageOp::tus_create: {
            // The plan's numbers: the grid fixed by the length, the expiry, the type.
            CHECK(d->tus_part_size == mg::tus_part_size(d->upload_length));
            CHECK(d->tus_expires == (rq.now > INT64_MAX - config.upload_expiry ? INT64_MAX : rq.now + config.upload_expiry));
            created_part_size = d->tus_part_size;
            bool made = state.create(std::string(d->key_view()), std::string(d->put_type_view()), d->upload_length,
                                     d->tus_part_size, rq.now, d->tus_expires);
            obj.result = made ? StorageResult::ok : StorageResult::exists;
            obj.tus = state.facts();
            break;
          }
          case StorageOp::sniff: {
            // The upload's first bytes: what the state object holds, then this body's.
            REQUIRE(have_epoch);
            const std::uint64_t want = plan.range.length;
            std::string head = state.committed > 0 ? state.tail : "";
            CHECK(state.parts_end == 0);  // the check runs before any part is cut
            if (head.size() > want) head.resize(want);
            while (head.size() < want && body_at < rq.body.size()) {
              head.push_back(rq.body[body_at]);
              sniffed_body.push_back(rq.body[body_at]);
              ++body_at;
            }
            head_bytes = head;
            obj.head = head_bytes;
            obj.result = head.size() < want ? StorageResult::incomplete : StorageResult::ok;
            obj.tus = state.facts();
            break;
          }
          case StorageOp::tus_patch:
            REQUIRE(have_epoch);
            obj.result = patch(*d, rq, epoch, now_ms);
            obj.tus = state.facts();
            body_at = rq.body.size();
            break;
          case StorageOp::tus_complete:
            obj.result = complete(*d, have_epoch ? epoch : state.epoch, &etag, &obj_type);
            obj.tus = state.facts();
            if (obj.result == StorageResult::ok) {
              obj.size = d->upload_length;
              obj.etag = etag;
              obj.content_type = obj_type;
              obj.uploaded = rq.now;
            }
            break;
          case StorageOp::tus_terminate: {
            if (state.exists) {
              ++state.epoch;
              state.state = TusState::aborting;
            }
            obj.tus = state.facts();
            if (!state.mpu_id.empty()) bucket.abort(state.mpu_id);
            state.clear();
            break;
          }
          default:
            FAIL("a tus request asks only the tus ops, a sniff and a head");
        }
      }
      auto next = std::make_unique<mg::Decision>();
      mg::decide_finish(config, req, d->mode, d->key_view(), plan, obj, next.get());
      d = std::move(next);
    }
    // The answer's first steps (the shim's settle).
    seen.abort = d->tus_abort;
    seen.release = d->tus_release;
    if (d->tus_abort) {
      if (!state.mpu_id.empty()) bucket.abort(state.mpu_id);
      state.clear();
    } else if (d->tus_release && have_epoch && state.current(epoch)) {
      state.lease_until = 0;
    }
    const mg::Response& r = d->response;
    seen.status = r.status;
    seen.reason = std::string(mg::reason_info(r.reason).name);
    seen.body = r.body == mg::BodySource::text ? std::string(r.text) : "";
    seen.word = std::string(r.text);
    if (rq.method == "HEAD") CHECK(seen.body.empty());
    for (std::size_t i = 0; i < r.n_headers; ++i) {
      CHECK(seen.headers.count(std::string(r.headers[i].name)) == 0);
      seen.headers[std::string(r.headers[i].name)] = std::string(r.headers[i].value);
    }
    return seen;
  }

  // The body on the core's grid: whole parts to R2 (the first one makes the
  // multipart upload), what is left after the last part boundary to the tail.
  StorageResult patch(const mg::Decision& d, const Request& rq, std::uint64_t epoch, std::int64_t now_ms) {
    const mg::Plan& plan = d.plan;
    const std::uint64_t L = plan.range.length;
    const std::uint64_t P = d.tus_part_size;
    // The plan's numbers: where the upload stands, its length, its grid.
    CHECK(plan.range.offset == state.committed);
    CHECK(L == state.length);
    CHECK(P == state.part_size);
    CHECK(P == mg::tus_part_size(L));
    CHECK(d.tus_lease_ms > 0);
    const std::int64_t until = now_ms + d.tus_lease_ms;
    if (state.committed + rq.body.size() > L) return StorageResult::overflow;
    if (!state.current(epoch)) return StorageResult::stale;
    std::string pending = state.tail + rq.body;  // bytes parts_end..
    std::uint64_t start = state.parts_end;
    if (L <= P) {
      // One part at most: every byte to the tail; the completion puts them.
      return state.append_tail(epoch, state.committed, rq.body, d.tus_family_ok, until) ? StorageResult::ok
                                                                                         : StorageResult::stale;
    }
    while (true) {
      const std::uint64_t part_len = std::min(P, L - start);
      if (pending.size() < part_len || part_len == 0) break;
      if (state.mpu_id.empty()) {
        state.mpu_id = bucket.create_multipart(state.key, state.ct, state.id);
      }
      const std::uint32_t k = static_cast<std::uint32_t>(start / P + 1);
      bucket.multiparts[state.mpu_id].parts[k] = pending.substr(0, part_len);
      const std::uint64_t end = start + part_len;
      if (!state.record_part(epoch, k, "etag-" + std::to_string(k), end, d.tus_family_ok, end == L, until))
        return StorageResult::stale;
      pending.erase(0, part_len);
      start = end;
    }
    // pending now holds tail bytes not yet durable plus those already in the tail.
    const std::string fresh = pending.substr(state.tail.size());
    if (!fresh.empty() && !state.append_tail(epoch, state.committed, fresh, d.tus_family_ok, until))
      return StorageResult::stale;
    return StorageResult::ok;
  }

  // The object from the upload's bytes, never over another object.
  StorageResult complete(const mg::Decision& d, std::uint64_t epoch, std::string* etag, std::string* type) {
    CHECK(d.plan.range.length == state.length);
    CHECK(d.upload_length == state.length);
    auto it = bucket.objects.find(state.key);
    if (it != bucket.objects.end()) {
      if (it->second.upload_id != state.id) return StorageResult::exists;
    } else if (state.mpu_id.empty()) {
      if (!state.current(epoch)) return StorageResult::stale;
      REQUIRE(state.tail.size() == state.length);
      bucket.objects[state.key] = Bucket::Object{state.tail, state.ct, state.id};
    } else {
      if (!state.current(epoch)) return StorageResult::stale;
      if (!bucket.complete(state.mpu_id, state.parts)) return StorageResult::error;
    }
    if (!state.current(epoch)) return StorageResult::stale;
    state.parts.clear();
    state.tail.clear();
    state.state = TusState::done;
    state.lease_until = 0;
    state.committed = state.length;
    *etag = "\"etag-of-" + state.id + "\"";
    *type = bucket.objects[state.key].type;
    return StorageResult::ok;
  }

  // ---- Requests as tus-js-client makes them --------------------------------

  Request post(std::uint64_t length, const std::string& ct = "video/mp4", std::uint64_t n = 0) {
    Request rq;
    rq.method = "POST";
    rq.token = put_token(kKey, ct, n);
    rq.length = std::to_string(length);
    rq.meta = metadata(ct);
    return rq;
  }
  Request head(const std::string& token = put_token(kKey, "video/mp4")) {
    Request rq;
    rq.method = "HEAD";
    rq.token = token;
    return rq;
  }
  Request patch_rq(std::uint64_t offset, const std::string& body, const std::string& token = put_token(kKey, "video/mp4")) {
    Request rq;
    rq.method = "PATCH";
    rq.token = token;
    rq.offset = std::to_string(offset);
    rq.content_type = "application/offset+octet-stream";
    rq.body = body;
    return rq;
  }
  Request del(const std::string& token = put_token(kKey, "video/mp4")) {
    Request rq;
    rq.method = "DELETE";
    rq.token = token;
    return rq;
  }

  // POST, then PATCHes of `step` bytes, each at the offset the last answer gave.
  void upload(const std::string& file, std::size_t step) {
    Seen created = send(post(file.size()));
    REQUIRE(created.status == 201);
    std::uint64_t offset = 0;
    while (offset < file.size()) {
      const std::string chunk = file.substr(offset, step);
      Seen s = send(patch_rq(offset, chunk));
      REQUIRE(s.status == 204);
      const std::uint64_t next = std::stoull(s.h("upload-offset"));
      REQUIRE(next == offset + chunk.size());
      CHECK(s.release);
      CHECK_FALSE(s.abort);
      offset = next;
      if (offset < file.size()) CHECK(s.reason == "upload_progress");
      else CHECK(s.reason == "upload_completed");
    }
  }
};

// What every tus answer carries (docs/UPLOADS.md sections 2 and 4).
void check_tus_answer(const Seen& s) {
  CAPTURE(s.reason);
  CHECK(s.h("tus-resumable") == "1.0.0");
  CHECK(s.h("cache-control") == "private, no-store");
  CHECK(s.h("x-content-type-options") == "nosniff");
  CHECK(s.h("referrer-policy") == "no-referrer");
  CHECK(s.h("content-security-policy") == "default-src 'none'; sandbox");
  CHECK(s.h("x-robots-tag") == "noindex, nofollow");
  CHECK(s.h("cross-origin-resource-policy") == "same-origin");
  if (s.status >= 400) CHECK(s.h("content-length") == std::to_string(s.word.size()));
  if (s.status != 412 || s.reason != "tus_version") CHECK_FALSE(s.has("tus-version"));
}

const std::string kExpires = "Fri, 02 Jan 2026 00:00:00 GMT";  // kNow + 86400

std::string location_of(const std::string& token) { return std::string("/m/") + kKey + "?t=" + token; }

}  // namespace

// ---- OPTIONS, versions, methods ----------------------------------------------------

TEST_CASE("tus decision: OPTIONS is discovery: 204 with the versions, extensions and Tus-Max-Size, no token") {
  World w("1000000000");
  Request rq;
  rq.method = "OPTIONS";
  rq.tus = "";
  Seen s = w.send(rq);
  CHECK(s.status == 204);
  CHECK(s.reason == "tus_options");
  CHECK(s.body.empty());
  CHECK(s.ops.empty());
  CHECK(s.h("tus-version") == "1.0.0");
  CHECK(s.h("tus-extension") == "creation,termination,expiration");
  CHECK(s.h("tus-max-size") == "1000000000");
  CHECK(s.h("tus-resumable") == "1.0.0");
  CHECK(s.h("cache-control") == "private, no-store");
  CHECK(World().send(rq).h("tus-max-size") == "4294967296");
}

TEST_CASE("tus decision: without the upload state binding the tus methods stay 405, and other methods list them") {
  World off(nullptr, false);
  for (const char* m : {"OPTIONS", "POST", "PATCH", "DELETE"}) {
    CAPTURE(m);
    Request rq = off.post(100);
    rq.method = m;
    Seen s = off.send(rq);
    CHECK(s.status == 405);
    CHECK(s.h("allow") == "GET, HEAD, PUT");
    CHECK_FALSE(s.has("tus-resumable"));
  }
  World on;
  Request rq = on.post(100);
  rq.method = "PROPFIND";
  Seen s = on.send(rq);
  CHECK(s.status == 405);
  CHECK(s.h("allow") == "GET, HEAD, PUT, POST, PATCH, DELETE, OPTIONS");
}

TEST_CASE("tus decision: every request but OPTIONS must speak tus 1.0.0: 412 with Tus-Version") {
  for (const char* version : {"", "0.2.2", "1.0", "1.0.0,1.0.0"}) {
    for (const char* m : {"POST", "PATCH", "DELETE", "HEAD"}) {
      if (std::string(m) == "HEAD" && std::string(version).empty()) continue;  // a plain HEAD reads
      CAPTURE(version);
      CAPTURE(m);
      World w;
      Request rq = w.patch_rq(0, "x");
      rq.method = m;
      rq.tus = version;
      rq.length = "100";
      rq.meta = metadata("video/mp4");
      Seen s = w.send(rq);
      CHECK(s.status == 412);
      CHECK(s.word == "precondition_failed");
      CHECK(s.reason == "tus_version");
      CHECK(s.h("tus-version") == "1.0.0");
      CHECK(s.ops.empty());
      check_tus_answer(s);
    }
  }
  // A HEAD without Tus-Resumable is a read, where a put token is the wrong mode.
  World w;
  Request rq = w.head();
  rq.tus = "";
  Seen s = w.send(rq);
  CHECK(s.status == 401);
  CHECK(s.reason == "token_wrong_mode");
  CHECK_FALSE(s.has("tus-resumable"));
}

// ---- POST (creation) ---------------------------------------------------------------

TEST_CASE("tus decision: POST creates the upload: 201, Location is the same path and token, Upload-Expires") {
  World w;
  Request rq = w.post(20 * MiB + 3);
  Seen s = w.send(rq);
  CHECK(s.status == 201);
  CHECK(s.reason == "upload_created");
  CHECK(s.body.empty());
  CHECK(s.h("location") == location_of(rq.token));
  CHECK(s.h("upload-expires") == kExpires);
  CHECK(s.ops == std::vector<StorageOp>{StorageOp::tus_state, StorageOp::head, StorageOp::tus_create});
  check_tus_answer(s);
  REQUIRE(w.state.exists);
  CHECK(w.state.length == 20 * MiB + 3);
  CHECK(w.state.ct == "video/mp4");
  CHECK(w.state.part_size == 5 * MiB);
  CHECK(w.state.expires == kNow + 86400);
  CHECK(w.bucket.objects.empty());

  // The same POST again (its answer was lost): the same upload.
  Seen again = w.send(rq);
  CHECK(again.status == 201);
  CHECK(again.h("location") == location_of(rq.token));
  CHECK(again.h("upload-expires") == kExpires);
  CHECK(again.ops == std::vector<StorageOp>{StorageOp::tus_state});
  // Another length while it is open: another upload of the same key.
  Seen other = w.send(w.post(20 * MiB));
  CHECK(other.status == 409);
  CHECK(other.body == "upload_exists");
  check_tus_answer(other);
  CHECK(w.state.length == 20 * MiB + 3);
}

TEST_CASE("tus decision: MEDIA_UPLOAD_EXPIRY_SECONDS sets Upload-Expires") {
  World w(nullptr, true, "2");
  Seen s = w.send(w.post(100));
  CHECK(s.status == 201);
  CHECK(s.h("upload-expires") == "Thu, 01 Jan 2026 00:00:02 GMT");
  CHECK(w.state.expires == kNow + 2);
}

TEST_CASE("tus decision: POST refusals, in the single PUT's order, create nothing") {
  struct Row {
    const char* name;
    void (*edit)(Request*);
    int status;
    const char* body;
    const char* reason;
  };
  const Row rows[] = {
      {"no token", [](Request* r) { r->token = ""; }, 401, "restricted", "token_missing"},
      {"a read token cannot create", [](Request* r) { r->token = read_token(kKey); }, 401, "forbidden", "token_wrong_mode"},
      {"a token for another key", [](Request* r) { r->token = put_token("u/other.mp4", "video/mp4"); }, 401, "forbidden", "token_key_mismatch"},
      {"an expired token never creates (it may only retry a creation: the state is read first)", [](Request* r) { r->token = put_token(kKey, "video/mp4", 0, kNow - 61); }, 401, "expired", "token_expired"},
      {"no Upload-Length (no deferred length)", [](Request* r) { r->length = ""; }, 400, "bad_request", "bad_tus_header"},
      {"Upload-Length not a number", [](Request* r) { r->length = "1e6"; }, 400, "bad_request", "bad_tus_header"},
      {"Upload-Length negative", [](Request* r) { r->length = "-5"; }, 400, "bad_request", "bad_tus_header"},
      {"Upload-Length two numbers", [](Request* r) { r->length = "5, 5"; }, 400, "bad_request", "bad_tus_header"},
      {"Upload-Metadata not pairs", [](Request* r) { r->meta = "filetype dmlkZW8vbXA0,"; }, 400, "bad_request", "bad_tus_header"},
      {"Upload-Metadata not base64", [](Request* r) { r->meta = "filetype dmlkZW8_bXA0"; }, 400, "bad_request", "bad_tus_header"},
      {"Upload-Metadata a key twice", [](Request* r) { r->meta = "filetype dmlkZW8vbXA0,filetype dmlkZW8vbXA0"; }, 400, "bad_request", "bad_tus_header"},
      {"a POST with a body (no creation-with-upload)", [](Request* r) { r->content_length = "10"; }, 400, "bad_request", "bad_tus_header"},
      {"a POST with a content-length not a number", [](Request* r) { r->content_length = "x"; }, 400, "bad_request", "bad_tus_header"},
      {"ct not an upload type", [](Request* r) { r->token = put_token(kKey, "image/svg+xml"); r->meta = metadata("image/svg+xml"); }, 415, "unsupported_type", "unsupported_type"},
      {"filetype not the token's ct", [](Request* r) { r->meta = metadata("image/png"); }, 415, "type_mismatch", "type_mismatch"},
      {"no filetype", [](Request* r) { r->meta = "filename " + base64("clip.mp4"); }, 415, "type_mismatch", "type_mismatch"},
      {"no Upload-Metadata", [](Request* r) { r->meta = ""; }, 415, "type_mismatch", "type_mismatch"},
      {"empty", [](Request* r) { r->length = "0"; }, 400, "empty_upload", "empty_upload"},
      {"over the token's n", [](Request* r) { r->token = put_token(kKey, "video/mp4", 1000); r->length = "1001"; }, 413, "too_large", "too_large"},
      {"over MEDIA_MAX_RESUMABLE_BYTES", [](Request* r) { r->length = "4294967297"; }, 413, "too_large", "too_large"},
      {"over 2^64", [](Request* r) { r->length = "18446744073709551616"; }, 400, "bad_request", "bad_tus_header"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    World w;
    Request rq = w.post(1000);
    row.edit(&rq);
    Seen s = w.send(rq);
    CHECK(s.status == row.status);
    CHECK(s.body == row.body);
    CHECK(s.reason == row.reason);
    // An expired token is decided against the upload's state (a retried
    // creation of an upload it made may pass); nothing else is asked.
    if (row.reason == std::string("token_expired")) CHECK(s.ops == std::vector<StorageOp>{StorageOp::tus_state});
    else CHECK(s.ops.empty());
    check_tus_answer(s);
    CHECK_FALSE(w.state.exists);
  }
}

TEST_CASE("tus decision: the limit is the smaller of n and MEDIA_MAX_RESUMABLE_BYTES, both inclusive") {
  World w("5000");
  Request at = w.post(5000);
  CHECK(w.send(at).status == 201);
  World w2("5000");
  CHECK(w2.send(w2.post(5001)).status == 413);
  World w3("5000");
  CHECK(w3.send(w3.post(4000, "video/mp4", 4000)).status == 201);
  World w4("5000");
  CHECK(w4.send(w4.post(4001, "video/mp4", 4000)).status == 413);
  // Filetype is compared as a media type: case and parameters do not count.
  World w5;
  Request rq = w5.post(100);
  rq.meta = metadata("Video/MP4; codecs=avc1");
  CHECK(w5.send(rq).status == 201);
  CHECK(w5.state.ct == "video/mp4");
}

TEST_CASE("tus decision: POST when the key holds an object is 412 already_exists, never an overwrite") {
  World w;
  w.bucket.objects[kKey] = Bucket::Object{"old bytes", "video/mp4", ""};
  Seen s = w.send(w.post(100));
  CHECK(s.status == 412);
  CHECK(s.body == "already_exists");
  CHECK(s.ops == std::vector<StorageOp>{StorageOp::tus_state, StorageOp::head});
  check_tus_answer(s);
  CHECK_FALSE(w.state.exists);
  CHECK(w.bucket.objects[kKey].bytes == "old bytes");
}

TEST_CASE("tus decision: POST while the upload is being cleaned up, or when storage fails, is 503") {
  World w;
  REQUIRE(w.send(w.post(100)).status == 201);
  w.state.state = TusState::aborting;
  Seen s = w.send(w.post(100));
  CHECK(s.status == 503);
  CHECK(s.body == "storage_unavailable");
  check_tus_answer(s);

  // Expired but its alarm has not run yet.
  World e;
  REQUIRE(e.send(e.post(100)).status == 201);
  Request late = e.post(100);
  late.now = kNow + 86400;
  late.token = put_token(kKey, "video/mp4", 0, late.now + 600);
  CHECK(e.send(late).status == 503);

  for (StorageOp op : {StorageOp::tus_state, StorageOp::head, StorageOp::tus_create}) {
    for (StorageResult r : {StorageResult::error, StorageResult::timeout}) {
      CAPTURE(static_cast<int>(op));
      World f;
      f.fail[op] = r;
      Seen failed = f.send(f.post(100));
      CHECK(failed.status == 503);
      CHECK(failed.body == "storage_unavailable");
      CHECK(failed.reason == (r == StorageResult::timeout ? "storage_timeout" : "storage_unavailable"));
      CHECK_FALSE(failed.abort);
      check_tus_answer(failed);
    }
  }
}

TEST_CASE("tus decision: two POSTs racing: the one that finds the upload created answers as a retry would") {
  World w;
  Request first = w.post(100);
  // Another POST creates the upload between this one's state read and its create.
  w.before = [](StorageOp op, World* world) {
    if (op == StorageOp::tus_create) world->state.create(kKey, "video/mp4", 100, 5 * MiB, kNow, kNow + 86400);
  };
  Seen s = w.send(first);
  CHECK(s.status == 201);
  CHECK(s.h("location") == location_of(first.token));
  World w2;
  w2.before = [](StorageOp op, World* world) {
    if (op == StorageOp::tus_create) world->state.create(kKey, "video/mp4", 99, 5 * MiB, kNow, kNow + 86400);
  };
  CHECK(w2.send(w2.post(100)).status == 409);
}

// ---- HEAD ------------------------------------------------------------------------------

TEST_CASE("tus decision: HEAD says where the upload stands: 200, Upload-Offset, Upload-Length, Upload-Expires") {
  World w;
  const std::string file = mp4_bytes(1000);
  REQUIRE(w.send(w.post(file.size())).status == 201);
  REQUIRE(w.send(w.patch_rq(0, file.substr(0, 300))).status == 204);
  Seen s = w.send(w.head());
  CHECK(s.status == 200);
  CHECK(s.reason == "upload_offset");
  CHECK(s.body.empty());
  CHECK(s.h("upload-offset") == "300");
  CHECK(s.h("upload-length") == "1000");
  CHECK(s.h("upload-expires") == kExpires);
  CHECK(s.ops == std::vector<StorageOp>{StorageOp::tus_state});
  CHECK_FALSE(s.has("location"));
  check_tus_answer(s);
}

TEST_CASE("tus decision: HEAD of no upload, an expired one or a terminated one is 404") {
  World none;
  Seen s = none.send(none.head());
  CHECK(s.status == 404);
  CHECK(s.word == "not_found");
  CHECK(s.body.empty());
  CHECK(s.reason == "upload_missing");
  check_tus_answer(s);

  World w;
  REQUIRE(w.send(w.post(100)).status == 201);
  Request late = w.head(put_token(kKey, "video/mp4", 0, kNow + 86400 + 600));
  late.now = kNow + 86400;  // the upload's expiry: gone, whatever the alarm did
  CHECK(w.send(late).status == 404);
  late.now = kNow + 86399;
  CHECK(w.send(late).status == 200);
  w.state.state = TusState::aborting;
  CHECK(w.send(w.head()).status == 404);

  World f;
  f.fail[StorageOp::tus_state] = StorageResult::error;
  CHECK(f.send(f.head()).status == 503);
}

TEST_CASE("tus decision: HEAD of an upload whose completion was cut completes it first") {
  World w;
  const std::string file = mp4_bytes(12 * MiB);
  REQUIRE(w.send(w.post(file.size())).status == 201);
  // The last part is recorded (state completing), then the completion fails.
  w.fail[StorageOp::tus_complete] = StorageResult::error;
  Seen cut = w.send(w.patch_rq(0, file));
  CHECK(cut.status == 503);
  CHECK(cut.release);
  CHECK(w.state.state == TusState::completing);
  CHECK(w.bucket.objects.empty());
  w.fail.clear();
  Seen s = w.send(w.head());
  CHECK(s.status == 200);
  CHECK(s.h("upload-offset") == std::to_string(file.size()));
  CHECK(s.h("upload-length") == std::to_string(file.size()));
  CHECK(s.ops == std::vector<StorageOp>{StorageOp::tus_state, StorageOp::tus_complete});
  check_tus_answer(s);
  REQUIRE(w.bucket.objects.count(kKey));
  CHECK(w.bucket.objects[kKey].bytes == file);
  CHECK(w.state.state == TusState::done);
  // Done: HEAD says so without a second completion.
  Seen done = w.send(w.head());
  CHECK(done.status == 200);
  CHECK(done.h("upload-offset") == std::to_string(file.size()));
  CHECK(done.ops == std::vector<StorageOp>{StorageOp::tus_state});
}

TEST_CASE("tus decision: an upload of one part whose completion failed is completed by the next HEAD or PATCH") {
  // All its bytes are in the tail (no part, no "completing" state): an offset
  // equal to the length must still mean the object is stored.
  for (const char* next : {"HEAD", "PATCH"}) {
    CAPTURE(std::string(next));
    World w;
    const std::string file = mp4_bytes(1000);
    REQUIRE(w.send(w.post(file.size())).status == 201);
    w.fail[StorageOp::tus_complete] = StorageResult::error;
    Seen cut = w.send(w.patch_rq(0, file));
    CHECK(cut.status == 503);
    CHECK(cut.release);
    CHECK_FALSE(cut.abort);
    CHECK(w.state.committed == file.size());
    CHECK(w.bucket.objects.empty());
    w.fail.clear();
    Seen s = w.send(std::string(next) == "HEAD" ? w.head() : w.patch_rq(file.size(), ""));
    CHECK(s.status == (std::string(next) == "HEAD" ? 200 : 204));
    CHECK(s.h("upload-offset") == "1000");
    CHECK(s.ops.back() == StorageOp::tus_complete);
    REQUIRE(w.bucket.objects.count(kKey));
    CHECK(w.bucket.objects[kKey].bytes == file);
    CHECK(w.state.state == TusState::done);
  }
}

// ---- PATCH -------------------------------------------------------------------------------

TEST_CASE("tus decision: PATCH refusals before the upload's state is read") {
  struct Row {
    const char* name;
    void (*edit)(Request*);
    int status;
    const char* body;
    const char* reason;
  };
  const Row rows[] = {
      {"no content-type", [](Request* r) { r->content_type = ""; }, 415, "bad_content_type", "bad_content_type"},
      {"another content-type", [](Request* r) { r->content_type = "application/octet-stream"; }, 415, "bad_content_type", "bad_content_type"},
      {"no Upload-Offset", [](Request* r) { r->offset = ""; }, 400, "bad_request", "bad_tus_header"},
      {"Upload-Offset negative", [](Request* r) { r->offset = "-1"; }, 400, "bad_request", "bad_tus_header"},
      {"Upload-Offset not an integer", [](Request* r) { r->offset = "1.5"; }, 400, "bad_request", "bad_tus_header"},
      {"content-length not a number", [](Request* r) { r->content_length = "ten"; }, 400, "bad_request", "bad_tus_header"},
      {"a read token cannot write", [](Request* r) { r->token = read_token(kKey); }, 401, "forbidden", "token_wrong_mode"},
      {"no token", [](Request* r) { r->token = ""; }, 401, "restricted", "token_missing"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    World w;
    REQUIRE(w.send(w.post(1000)).status == 201);
    Request rq = w.patch_rq(0, mp4_bytes(10));
    row.edit(&rq);
    Seen s = w.send(rq);
    CHECK(s.status == row.status);
    CHECK(s.body == row.body);
    CHECK(s.reason == row.reason);
    CHECK(s.ops.empty());
    CHECK_FALSE(s.abort);
    check_tus_answer(s);
    CHECK(w.state.committed == 0);
    CHECK(w.state.lease_until == 0);
  }
  // The content-type is a media type: case and parameters do not count.
  World w;
  REQUIRE(w.send(w.post(1000)).status == 201);
  Request rq = w.patch_rq(0, mp4_bytes(10));
  rq.content_type = "Application/Offset+Octet-Stream; x=1";
  CHECK(w.send(rq).status == 204);
}

TEST_CASE("tus decision: PATCH at another offset is 409 and changes nothing, and the next PATCH is not locked out") {
  World w;
  const std::string file = mp4_bytes(1000);
  REQUIRE(w.send(w.post(file.size())).status == 201);
  REQUIRE(w.send(w.patch_rq(0, file.substr(0, 400))).status == 204);
  for (std::uint64_t claimed : {0ull, 399ull, 401ull, 1000ull}) {
    CAPTURE(claimed);
    Seen s = w.send(w.patch_rq(claimed, file.substr(claimed < 1000 ? claimed : 0, 10)));
    CHECK(s.status == 409);
    CHECK(s.body == "offset_mismatch");
    CHECK(s.reason == "offset_mismatch");
    CHECK_FALSE(s.abort);
    CHECK_FALSE(s.has("upload-offset"));
    check_tus_answer(s);
    CHECK(w.state.committed == 400);
    CHECK(w.state.lease_until == 0);
  }
  CHECK(w.send(w.patch_rq(400, file.substr(400))).status == 204);
  CHECK(w.bucket.objects[kKey].bytes == file);
}

TEST_CASE("tus decision: a PATCH while another holds the lease is 423 upload_locked, and once released it goes on") {
  World w;
  const std::string file = mp4_bytes(1000);
  REQUIRE(w.send(w.post(file.size())).status == 201);
  w.state.lease_until = kNow * 1000 + 30000;  // another PATCH's live lease
  const std::uint64_t epoch = w.state.epoch;
  Seen s = w.send(w.patch_rq(0, file));
  CHECK(s.status == 423);
  CHECK(s.body == "upload_locked");
  CHECK_FALSE(s.release);  // the lease is the other PATCH's
  CHECK_FALSE(s.abort);
  check_tus_answer(s);
  CHECK(w.state.epoch == epoch);
  CHECK(w.state.lease_until == kNow * 1000 + 30000);
  // The other PATCH died: its lease lapses.
  Request later = w.patch_rq(0, file);
  later.now = kNow + 31;
  CHECK(w.send(later).status == 204);
}

TEST_CASE("tus decision: PATCH of no upload, an expired or a terminated one is 404") {
  World none;
  Seen s = none.send(none.patch_rq(0, "x"));
  CHECK(s.status == 404);
  CHECK(s.body == "not_found");
  CHECK_FALSE(s.release);
  check_tus_answer(s);

  World w;
  REQUIRE(w.send(w.post(100)).status == 201);
  Request late = w.patch_rq(0, mp4_bytes(100), put_token(kKey, "video/mp4", 0, kNow + 86400 + 600));
  late.now = kNow + 86400;
  Seen expired = w.send(late);
  CHECK(expired.status == 404);
  CHECK(expired.release);  // the lease this request was granted is given back
  CHECK(w.state.lease_until == 0);
  w.state.state = TusState::aborting;
  CHECK(w.send(w.patch_rq(0, mp4_bytes(100))).status == 404);
}

TEST_CASE("tus decision: an expired put token keeps working for an upload created before its e") {
  World w;
  const std::string file = mp4_bytes(1000);
  const std::string token = put_token(kKey, "video/mp4", 0, kNow + 600);
  Request post = w.post(file.size());
  post.token = token;
  REQUIRE(w.send(post).status == 201);
  // An hour later the token has expired; the upload (created at kNow) has not.
  Request rq = w.patch_rq(0, file.substr(0, 500), token);
  rq.now = kNow + 3600;
  Seen s = w.send(rq);
  CHECK(s.status == 204);
  CHECK(s.h("upload-offset") == "500");
  Request head = w.head(token);
  head.now = kNow + 3600;
  CHECK(w.send(head).h("upload-offset") == "500");
  rq = w.patch_rq(500, file.substr(500), token);
  rq.now = kNow + 3600;
  CHECK(w.send(rq).status == 204);
  CHECK(w.bucket.objects[kKey].bytes == file);

  // An upload created after the token's e (a token expired at creation
  // cannot create, so another token made it): 401 expired, the lease given back.
  World w2;
  const std::string old = put_token(kKey, "video/mp4", 0, kNow - 3600);
  REQUIRE(w2.send(w2.post(file.size())).status == 201);  // created at kNow by a fresh token
  for (const char* m : {"PATCH", "HEAD", "DELETE"}) {
    CAPTURE(m);
    Request r = w2.patch_rq(0, file, old);
    r.method = m;
    Seen refused = w2.send(r);
    CHECK(refused.status == 401);
    CHECK(refused.word == "expired");
    CHECK(refused.reason == "token_expired");
    CHECK_FALSE(refused.abort);
    check_tus_answer(refused);
    CHECK(w2.state.lease_until == 0);
    CHECK(w2.state.exists);
  }
  // Created within the leeway after e: still the token's upload.
  World w3;
  Request made = w3.post(file.size());
  made.now = kNow + 60;
  made.token = put_token(kKey, "video/mp4", 0, kNow);
  REQUIRE(w3.send(made).status == 201);
  Request again = w3.patch_rq(0, file, made.token);
  again.now = kNow + 3600;
  CHECK(w3.send(again).status == 204);
}

TEST_CASE("tus decision: the first bytes are checked before any byte reaches R2") {
  // HTML declared as MP4: 415, the upload aborted, nothing anywhere.
  World w;
  REQUIRE(w.send(w.post(kHtml.size())).status == 201);
  Seen s = w.send(w.patch_rq(0, kHtml));
  CHECK(s.status == 415);
  CHECK(s.body == "type_mismatch");
  CHECK(s.reason == "signature_mismatch");
  CHECK(s.abort);
  CHECK(s.ops == std::vector<StorageOp>{StorageOp::tus_begin, StorageOp::sniff});
  check_tus_answer(s);
  CHECK_FALSE(w.state.exists);
  CHECK(w.bucket.objects.empty());
  CHECK(w.bucket.multiparts.empty());
  // The key may be uploaded again.
  CHECK(w.send(w.post(1000)).status == 201);

  // The sniff reads the first min(L, 256) bytes; a passing check is recorded.
  World ok;
  const std::string file = mp4_bytes(12 * MiB);
  REQUIRE(ok.send(ok.post(file.size())).status == 201);
  Seen first = ok.send(ok.patch_rq(0, file.substr(0, 6 * MiB)));
  CHECK(first.status == 204);
  CHECK(first.ops == std::vector<StorageOp>{StorageOp::tus_begin, StorageOp::sniff, StorageOp::tus_patch});
  CHECK(ok.state.family_ok);
  Seen second = ok.send(ok.patch_rq(6 * MiB, file.substr(6 * MiB, MiB)));
  CHECK(second.ops == std::vector<StorageOp>{StorageOp::tus_begin, StorageOp::tus_patch});
}

TEST_CASE("tus decision: a first body shorter than the check continues unchecked, and the next PATCH checks them all") {
  World w;
  const std::string file = mp4_bytes(1000);
  REQUIRE(w.send(w.post(file.size())).status == 201);
  Seen s = w.send(w.patch_rq(0, file.substr(0, 10)));
  CHECK(s.status == 204);
  CHECK(s.h("upload-offset") == "10");
  CHECK_FALSE(w.state.family_ok);
  Seen next = w.send(w.patch_rq(10, file.substr(10, 500)));
  CHECK(next.status == 204);
  CHECK(next.ops == std::vector<StorageOp>{StorageOp::tus_begin, StorageOp::sniff, StorageOp::tus_patch});
  CHECK(w.state.family_ok);

  // Ten bytes of HTML pass for now; the PATCH that brings the check its bytes refuses them.
  World h;
  REQUIRE(h.send(h.post(kHtml.size())).status == 201);
  CHECK(h.send(h.patch_rq(0, kHtml.substr(0, 10))).status == 204);
  Seen refused = h.send(h.patch_rq(10, kHtml.substr(10)));
  CHECK(refused.status == 415);
  CHECK(refused.abort);
  CHECK_FALSE(h.state.exists);
  CHECK(h.bucket.objects.empty());

  // An upload shorter than the check: the check reads all of it.
  World tiny;
  const std::string small = mp4_bytes(40);
  REQUIRE(tiny.send(tiny.post(small.size())).status == 201);
  CHECK(tiny.send(tiny.patch_rq(0, small.substr(0, 20))).status == 204);
  Seen done = tiny.send(tiny.patch_rq(20, small.substr(20)));
  CHECK(done.status == 204);
  CHECK(done.reason == "upload_completed");
  CHECK(tiny.bucket.objects[kKey].bytes == small);
}

TEST_CASE("tus decision: more bytes than the upload has left: 413 too_large, the upload aborted") {
  // Declared in content-length: refused before a byte is read.
  World w;
  const std::string file = mp4_bytes(12 * MiB);
  REQUIRE(w.send(w.post(file.size())).status == 201);
  REQUIRE(w.send(w.patch_rq(0, file.substr(0, 6 * MiB))).status == 204);
  Request over = w.patch_rq(6 * MiB, file.substr(6 * MiB) + "x");
  Seen s = w.send(over);
  CHECK(s.status == 413);
  CHECK(s.body == "too_large");
  CHECK(s.abort);
  CHECK(s.ops == std::vector<StorageOp>{StorageOp::tus_begin});
  check_tus_answer(s);
  CHECK_FALSE(w.state.exists);
  CHECK(w.bucket.multiparts.empty());
  CHECK(w.bucket.aborted == 1);
  CHECK(w.bucket.objects.empty());

  // Without a content-length (chunked): found while the bytes move.
  World c;
  REQUIRE(c.send(c.post(1000)).status == 201);
  Request chunked = c.patch_rq(0, mp4_bytes(1001));
  chunked.content_length = "";
  Seen found = c.send(chunked);
  CHECK(found.status == 413);
  CHECK(found.abort);
  CHECK(found.ops.back() == StorageOp::tus_patch);
  CHECK_FALSE(c.state.exists);
  CHECK(c.bucket.objects.empty());
}

TEST_CASE("tus decision: a PATCH whose token allows less than the upload is refused, the upload kept") {
  World w;
  REQUIRE(w.send(w.post(1000)).status == 201);
  Seen small = w.send(w.patch_rq(0, mp4_bytes(10), put_token(kKey, "video/mp4", 999)));
  CHECK(small.status == 413);
  CHECK_FALSE(small.abort);
  CHECK(small.release);
  Seen other = w.send(w.patch_rq(0, mp4_bytes(10), put_token(kKey, "video/webm")));
  CHECK(other.status == 415);
  CHECK(other.body == "type_mismatch");
  CHECK_FALSE(other.abort);
  CHECK(other.release);
  CHECK(w.state.exists);
  CHECK(w.state.lease_until == 0);
  CHECK(w.send(w.patch_rq(0, mp4_bytes(10))).status == 204);
}

TEST_CASE("tus decision: a PATCH taken over mid-body is 409, storage failures are 503 and give the lease back") {
  World w;
  const std::string file = mp4_bytes(12 * MiB);
  REQUIRE(w.send(w.post(file.size())).status == 201);
  w.before = [](StorageOp op, World* world) {
    if (op == StorageOp::tus_patch) ++world->state.epoch;  // another request's lease
  };
  Seen stale = w.send(w.patch_rq(0, file.substr(0, 6 * MiB)));
  CHECK(stale.status == 409);
  CHECK(stale.body == "offset_mismatch");
  CHECK(stale.reason == "upload_stale");
  CHECK_FALSE(stale.abort);
  check_tus_answer(stale);
  CHECK(w.state.committed == 0);
  w.before = nullptr;

  for (StorageOp op : {StorageOp::tus_begin, StorageOp::sniff, StorageOp::tus_patch}) {
    for (StorageResult r : {StorageResult::error, StorageResult::timeout}) {
      CAPTURE(static_cast<int>(op));
      CAPTURE(static_cast<int>(r));
      World f;
      REQUIRE(f.send(f.post(file.size())).status == 201);
      f.fail[op] = r;
      Seen s = f.send(f.patch_rq(0, file.substr(0, 100)));
      CHECK(s.status == 503);
      CHECK(s.body == "storage_unavailable");
      CHECK(s.reason == (r == StorageResult::timeout ? "storage_timeout" : "storage_unavailable"));
      CHECK_FALSE(s.abort);
      CHECK(s.release == (op != StorageOp::tus_begin));
      check_tus_answer(s);
      f.fail.clear();
      // Nothing held: the client's retry goes on.
      CHECK(f.send(f.patch_rq(f.state.committed, file.substr(f.state.committed, 100))).status == 204);
    }
  }
}

TEST_CASE("tus decision: the completion stores the object once, and an object that appeared meanwhile is 412, aborted") {
  World w;
  const std::string file = mp4_bytes(11 * MiB + 7);
  REQUIRE(w.send(w.post(file.size())).status == 201);
  REQUIRE(w.send(w.patch_rq(0, file.substr(0, 10 * MiB))).status == 204);
  Seen s = w.send(w.patch_rq(10 * MiB, file.substr(10 * MiB)));
  CHECK(s.status == 204);
  CHECK(s.reason == "upload_completed");
  CHECK(s.h("upload-offset") == std::to_string(file.size()));
  CHECK(s.ops == std::vector<StorageOp>{StorageOp::tus_begin, StorageOp::tus_patch, StorageOp::tus_complete});
  check_tus_answer(s);
  CHECK(w.bucket.objects[kKey].bytes == file);
  CHECK(w.bucket.objects[kKey].type == "video/mp4");
  // A PATCH retried after a lost answer: the offset says it is done.
  Seen retry = w.send(w.patch_rq(file.size(), ""));
  CHECK(retry.status == 204);
  CHECK(retry.h("upload-offset") == std::to_string(file.size()));
  CHECK(w.bucket.objects[kKey].bytes == file);

  World taken;
  REQUIRE(taken.send(taken.post(file.size())).status == 201);
  REQUIRE(taken.send(taken.patch_rq(0, file.substr(0, 10 * MiB))).status == 204);
  taken.bucket.objects[kKey] = Bucket::Object{"someone else's", "video/mp4", "another upload"};
  Seen refused = taken.send(taken.patch_rq(10 * MiB, file.substr(10 * MiB)));
  CHECK(refused.status == 412);
  CHECK(refused.body == "already_exists");
  CHECK(refused.abort);
  check_tus_answer(refused);
  CHECK_FALSE(taken.state.exists);
  CHECK(taken.bucket.multiparts.empty());
  CHECK(taken.bucket.objects[kKey].bytes == "someone else's");
}

// ---- DELETE --------------------------------------------------------------------------------

TEST_CASE("tus decision: DELETE terminates: 204, nothing of the upload remains, the key can be uploaded again") {
  World w;
  const std::string file = mp4_bytes(12 * MiB);
  REQUIRE(w.send(w.post(file.size())).status == 201);
  REQUIRE(w.send(w.patch_rq(0, file.substr(0, 7 * MiB))).status == 204);
  REQUIRE(w.bucket.multiparts.size() == 1);
  Seen s = w.send(w.del());
  CHECK(s.status == 204);
  CHECK(s.reason == "upload_terminated");
  CHECK(s.body.empty());
  CHECK(s.ops == std::vector<StorageOp>{StorageOp::tus_state, StorageOp::tus_terminate});
  check_tus_answer(s);
  CHECK_FALSE(w.state.exists);
  CHECK(w.bucket.multiparts.empty());
  CHECK(w.bucket.objects.empty());
  CHECK(w.send(w.head()).status == 404);
  CHECK(w.send(w.patch_rq(7 * MiB, "x")).status == 404);
  CHECK(w.send(w.del()).status == 404);
  w.upload(file, 5 * MiB);
  CHECK(w.bucket.objects[kKey].bytes == file);
  // A finished upload is an object: DELETE never deletes objects.
  Seen done = w.send(w.del());
  CHECK(done.status == 404);
  CHECK(done.body == "not_found");
  CHECK(w.bucket.objects[kKey].bytes == file);

  World f;
  REQUIRE(f.send(f.post(100)).status == 201);
  f.fail[StorageOp::tus_terminate] = StorageResult::error;
  CHECK(f.send(f.del()).status == 503);
}

// ---- Whole uploads ---------------------------------------------------------------------------

TEST_CASE("tus decision: whole uploads in 1-byte, 100 KiB, 3 MiB and 5 MiB PATCHes are stored byte for byte") {
  struct Row {
    std::size_t length, step;
  };
  const Row rows[] = {
      {700, 1},                    // one part, every byte its own PATCH (the check waits for 256)
      {20 * MiB + 3, 100 * 1024},  // five parts, many PATCHes per part
      {20 * MiB + 3, 3 * MiB},     // PATCHes across part boundaries
      {20 * MiB, 5 * MiB},         // one part per PATCH, exactly
      {20 * MiB + 3, 5 * MiB},     // a short last part
      {5 * MiB, 5 * MiB},          // exactly one part: never a multipart upload
      {5 * MiB + 1, 20 * MiB},     // all at once, one byte past a part
      {20 * MiB + 3, 20 * MiB + 3},
  };
  for (const Row& row : rows) {
    CAPTURE(row.length);
    CAPTURE(row.step);
    World w;
    const std::string file = mp4_bytes(row.length, static_cast<std::uint32_t>(row.step));
    w.upload(file, row.step);
    REQUIRE(w.bucket.objects.count(kKey));
    CHECK(w.bucket.objects[kKey].bytes == file);
    CHECK(w.bucket.objects[kKey].type == "video/mp4");
    CHECK(w.bucket.multiparts.empty());
    CHECK(w.bucket.next_mpu == (row.length > 5 * MiB ? 1 : 0));
    CHECK(w.created_part_size == mg::tus_part_size(row.length));
    CHECK(w.state.state == TusState::done);
    Seen head = w.send(w.head());
    CHECK(head.h("upload-offset") == std::to_string(row.length));
  }
}

TEST_CASE("tus decision: 1-byte PATCHes across a part boundary cut the part on the byte that fills it") {
  World w;
  const std::string file = mp4_bytes(11 * MiB);
  REQUIRE(w.send(w.post(file.size())).status == 201);
  const std::uint64_t P = 5 * MiB;
  REQUIRE(w.send(w.patch_rq(0, file.substr(0, P - 3))).status == 204);
  for (std::uint64_t at = P - 3; at < P + 3; ++at) {
    CAPTURE(at);
    Seen s = w.send(w.patch_rq(at, file.substr(at, 1)));
    CHECK(s.status == 204);
    CHECK(s.h("upload-offset") == std::to_string(at + 1));
    CHECK(w.state.parts_end == (at + 1 >= P ? P : 0));
    CHECK(w.state.committed == at + 1);
  }
  REQUIRE(w.send(w.patch_rq(P + 3, file.substr(P + 3))).status == 204);
  CHECK(w.bucket.objects[kKey].bytes == file);
}

TEST_CASE("tus decision: bytes the family check never passed are not completed, whatever offset the state reports") {
  // A state object that reports the length reached by a PATCH whose bytes
  // were never checked (its sniff was short): the core does not complete.
  World w;
  REQUIRE(w.send(w.post(kHtml.size())).status == 201);
  w.before = [](StorageOp op, World* world) {
    if (op != StorageOp::tus_patch) return;
    world->state.tail = kHtml.substr(0, kHtml.size() - 10);
    world->state.committed = world->state.tail.size();
  };
  Request rq = w.patch_rq(kHtml.size() - 10, kHtml.substr(kHtml.size() - 10));
  w.state.committed = kHtml.size() - 10;  // claimed offset; the sniff gets only these 10 bytes
  w.state.tail.clear();
  Seen s = w.send(rq);
  CHECK(s.ops == std::vector<StorageOp>{StorageOp::tus_begin, StorageOp::sniff, StorageOp::tus_patch});
  CHECK(s.status == 204);
  CHECK(s.reason == "upload_progress");
  CHECK_FALSE(w.state.family_ok);
  CHECK(w.state.committed == kHtml.size());
  CHECK(w.bucket.objects.empty());
}

TEST_CASE("tus decision: the fail-closed 503 of unreadable finish facts carries Tus-Resumable too (fuzz tus)") {
  World w;
  const std::string token = put_token(kKey, "video/mp4");
  const std::string path = std::string("/m/") + kKey, query = "t=" + token;
  mg::RequestFacts req;
  req.method = "PATCH";
  req.path = path;
  req.query = query;
  req.now = kNow;
  req.tus_resumable = "1.0.0";
  req.upload_offset = "0";
  req.content_type = "application/offset+octet-stream";
  auto d = std::make_unique<mg::Decision>();
  mg::decide_begin(w.config, req, d.get());
  REQUIRE(d->fetch);
  mg::ObjectFacts obj;
  obj.result = StorageResult::ok;
  const mg::Plan plan = d->plan;
  // A key the shim did not echo, a mode not the request's, and unreadable input.
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    auto out = std::make_unique<mg::Decision>();
    if (i == 0) mg::decide_finish(w.config, req, mg::Mode::put, "", plan, obj, out.get());
    if (i == 1) mg::decide_finish(w.config, req, mg::Mode::pub, kKey, plan, obj, out.get());
    if (i == 2) mg::decide_unreadable(w.config, req, mg::Mode::put, out.get());
    CHECK_FALSE(out->fetch);
    CHECK(out->response.status == 503);
    CHECK(out->response.find("tus-resumable") == "1.0.0");
    CHECK(out->response.find("cache-control") == "private, no-store");
    CHECK_FALSE(out->tus_abort);
    CHECK_FALSE(out->tus_release);
  }
}

TEST_CASE("tus decision: a clock near the end of 64-bit time saturates the upload's expiry (fuzz tus: no overflow)") {
  World w;
  const std::int64_t now = INT64_MAX - 100;
  Request rq = w.post(100);
  rq.now = now;
  rq.token = put_token(kKey, "video/mp4", 0, now + 50);
  Seen s = w.send(rq);
  CHECK(s.status == 201);
  CHECK(w.state.expires == INT64_MAX);
  CHECK_FALSE(s.has("upload-expires"));  // past the year 9999: no IMF-fixdate to give
}
