// Fuzz target `decision`: the whole gate (decide_begin, decide_finish, through
// decide_with_model from tests/support/storage_model.h) over structured random requests: a valid
// configuration, a method, a key and a path that encodes it (or not), a query carrying a token
// minted with token_mint (so most requests get past the token check) or a broken one, Range
// and conditional headers built around the object, the object's metadata, a revocation
// snapshot (the key revoked or not, the snapshot fresh, stale or unavailable), the public edge
// cache (a miss, a hit, a stale or unreadable entry), and sometimes storage faults (an error, a
// missing object, a refused range, or an object that changed between the two reads).
//
// Invariants (docs/CONTRACT.md sections 4-7, docs/ARCHITECTURE.md):
//  - at most two storage operations, the second one exact (cache lookups are not storage
//    operations; the loop is bounded anyway);
//  - no 5xx for any request: a 503 only when storage failed (an injected fault) or, in
//    MEDIA_REVOCATION_MODE=closed, the snapshot is unavailable or stale; always
//    storage_unavailable, private, no-store;
//  - the status is the reason's; 200/206/304 only for a token this harness minted with a
//    configured secret for exactly the key being read, in its validity window, on GET/HEAD,
//    for a key not revoked for that token's mode; such a token is never refused (no 401);
//  - a revoked key is answered before any cache or storage read;
//  - under Mode::priv (and without a verified token) cache-control is `private, no-store`;
//    `public` only under a public token and for 200/206/304/404/410; the edge cache is
//    consulted and filled only under a public token, under the key's canonical path, and filled
//    only with a whole 200 GET read from storage, whose metadata reads back unchanged;
//  - a 206 span lies inside the object, content-length is its length, content-range names it
//    and the object's size, and for GET the bytes the last read returned (a naive model of R2
//    over a byte array, not storage_plan.h) are exactly that span; a 200 sends the whole object; a 416 says
//    `bytes */size`; 304/412 only with a conditional header;
//  - every response carries the five security headers once, no header twice, and no header
//    value holds CR, LF or NUL; the decision fits the ABI's 16 KiB output;
//  - denials and errors are always logged; a request id is passed on only when it looks like
//    one; the debug header appears only when configured and names the reason;
//  - HEAD answers exactly what GET answers (status, reason, headers), without a body.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "config.h"
#include "decision.h"
#include "edge_cache.h"
#include "fuzz_util.h"
#include "httpdate.h"
#include "key.h"
#include "protocol.h"
#include "revocation.h"
#include "storage_model.h"
#include "token.h"

namespace {

using mgfuzz::pick;
using mgfuzz::clamp_add;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::string_view kPrevious = "the previous secret";
constexpr std::string_view kUnknown = "a secret nobody configured";
constexpr std::int64_t kBaseNow = 1767225600;

// Pieces keys are built from: ordinary characters, separators, and every kind of byte
// key_decode must refuse or treat specially.
const char* const kKeyPieces[] = {
    "a", "b", "Z", "0", "9", "_", "-", ".", "..", "/", "//", "~", " ", "+", "%", "%2F", "%2e", "%zz",
    "?", "#", "&", "=", "t=", "\\", "\x01", "\t", "\x7f", "\xc3\xa9", "\xf0\x9f\x98\x80", "\xff",
    "\xc0\xaf", "\xed\xa0\x80", "\xe2\x80\xae", ".png", ".jpg", ".svg", ".mp4", ".html", "u/", "v/",
};
const char* const kPrefixes[] = {"u/", "v/", "x/", "\xc3\xa9/", "", "/u/", "u"};
const char* const kTypes[] = {"image/png", "", "image/svg+xml", "text/html", "video/mp4; codecs=\"avc1\"",
                              "IMAGE/JPEG", "application/octet-stream", "image/png\r\nx-evil: 1",
                              "image/", "image/x\x01", "image/png%20"};

enum class Fault : std::uint8_t { none, error, missing, invalid_range, changed, timeout };
enum class CacheEntry : std::uint8_t { none, same, stale, unreadable };

struct Scenario {
  // Configuration.
  std::string secret_text, previous_text, prefixes, leeway, max_ttl, corp, rev_mode, rev_stale,
      rev_refresh, edge_cache, sample_rate, debug_headers;
  bool previous_set = false, prefixes_set = false, leeway_set = false, max_ttl_set = false,
       corp_set = false, rev_mode_set = false, rev_stale_set = false, rev_refresh_set = false,
       edge_cache_set = false, sample_rate_set = false, debug_headers_set = false;
  // Request.
  std::string method, path, query, range, if_match, if_none_match, ims, ius, if_range, request_id;
  std::int64_t now = kBaseNow;
  std::uint32_t sample = 0;
  // The token and what the harness knows about it.
  std::string token_key;  // the key it was minted for
  mg::Mode token_mode = mg::Mode::none;
  std::int64_t token_exp = 0;
  std::string_view token_secret;
  bool token_minted = false;     // minted by token_mint, unedited
  bool token_delivered = false;  // the query hands the gate exactly that token
  // Revocation: the snapshot, and the scope the request's key is revoked under.
  mg::RevocationState rev_state = mg::RevocationState::disabled;
  std::int64_t rev_age = 0;  // seconds since the snapshot was built
  std::string revoked_key;
  mg::RevocationScope revoked_scope = mg::RevocationScope::none;
  std::vector<unsigned char> snapshot;
  // Object, edge cache and storage.
  mg::ModelObject object;
  std::string etag, type;
  CacheEntry cache = CacheEntry::none;
  Fault faults[2] = {Fault::none, Fault::none};
};

std::string pick_key(FuzzedDataProvider& p) {
  switch (p.ConsumeIntegralInRange(0, 9)) {
    case 0:
      return p.ConsumeRandomLengthString(1100);
    case 1:  // around the 1024-byte bound
      return "u/" + std::string(p.ConsumeIntegralInRange<std::size_t>(1015, 1030), 'a');
    default: {
      std::string key = pick(p, kPrefixes);
      int n = p.ConsumeIntegralInRange(0, 12);
      bool plain = p.ConsumeBool();  // ordinary characters only: mostly valid keys
      for (int i = 0; i < n; ++i)
        key += kKeyPieces[p.ConsumeIntegralInRange<std::size_t>(0, plain ? 10 : std::size(kKeyPieces) - 1)];
      return key;
    }
  }
}

std::string pick_path(FuzzedDataProvider& p, const std::string& key) {
  switch (p.ConsumeIntegralInRange(0, 9)) {
    case 0: return "/m/" + mgfuzz::percent_encode_all(key);
    case 1: return "/m/" + key;  // unencoded (the ABI takes any text)
    case 2: return "/m//" + mgfuzz::quote_path(key);
    case 3: return "/x/" + mgfuzz::quote_path(key);
    case 4: return p.ConsumeRandomLengthString(200);
    default: return "/m/" + mgfuzz::quote_path(key);
  }
}

std::string pick_date(FuzzedDataProvider& p, std::int64_t around) {
  char buf[mg::kHttpDateLen];
  std::int64_t delta = 0;
  switch (p.ConsumeIntegralInRange(0, 5)) {
    case 0: return p.ConsumeRandomLengthString(40);
    case 1: delta = -1; break;
    case 2: delta = 1; break;
    case 3: delta = p.ConsumeIntegralInRange<std::int64_t>(-100000000, 100000000); break;
    case 4: return "Sunday, 06-Nov-94 08:49:37 GMT";
    default: break;
  }
  std::size_t n = mg::http_date_format(clamp_add(around, delta), buf);
  return std::string(buf, n);
}

std::string pick_etag_header(FuzzedDataProvider& p, const std::string& etag) {
  switch (p.ConsumeIntegralInRange(0, 6)) {
    case 0: return "*";
    case 1: return "W/" + etag;
    case 2: return "\"other\", " + etag;
    case 3: return "\"other\"";
    case 4: return p.ConsumeRandomLengthString(40);
    default: return etag;
  }
}

std::uint64_t pick_position(FuzzedDataProvider& p, std::uint64_t size) {
  switch (p.ConsumeIntegralInRange(0, 6)) {
    case 0: return 0;
    case 1: return size ? size - 1 : 0;
    case 2: return size;
    case 3: return size + 1;
    case 4: return p.ConsumeIntegral<std::uint64_t>();
    default: return p.ConsumeIntegralInRange<std::uint64_t>(0, size + 10);
  }
}

std::string pick_range(FuzzedDataProvider& p, std::uint64_t size) {
  if (p.ConsumeIntegralInRange(0, 5) == 0) return p.ConsumeRandomLengthString(60);
  std::string r = p.ConsumeIntegralInRange(0, 9) == 0 ? "Bytes=" : "bytes=";
  int specs = p.ConsumeIntegralInRange(1, 4);
  for (int i = 0; i < specs; ++i) {
    if (i) r += p.ConsumeBool() ? "," : " , ";
    std::uint64_t a = pick_position(p, size), b = pick_position(p, size);
    switch (p.ConsumeIntegralInRange(0, 3)) {
      case 0: r += std::to_string(a) + "-"; break;
      case 1: r += "-" + std::to_string(b); break;
      default: r += std::to_string(a) + "-" + std::to_string(b); break;
    }
  }
  return r;
}

// The key the gate reads for the request path, as the harness built it: the key without its
// leading '/' (key_decode strips them). Used for the revocation snapshot only.
std::string stripped(std::string_view key) {
  while (!key.empty() && key.front() == '/') key.remove_prefix(1);
  return std::string(key);
}

void build_snapshot(FuzzedDataProvider& p, Scenario* s) {
  std::vector<std::uint64_t> entries;
  unsigned char sha[32];
  if (s->revoked_scope != mg::RevocationScope::none) {
    mg::revocation_key_hash(s->revoked_key, sha);
    entries.push_back(mg::revocation_entry(sha, s->revoked_scope));
  }
  int others = p.ConsumeIntegralInRange(0, 4);
  for (int i = 0; i < others; ++i) {
    std::string other = "u/other/" + std::to_string(i) + p.ConsumeRandomLengthString(8);
    if (other == s->revoked_key) continue;
    mg::revocation_key_hash(other, sha);
    entries.push_back(mg::revocation_entry(sha, p.ConsumeBool() ? mg::RevocationScope::all
                                                                : mg::RevocationScope::pub));
  }
  s->snapshot.resize(mg::revocation_snapshot_bytes(entries.size()));
  // Built rev_age seconds ago: the core measures the hard age from the build time. A clock
  // near either end of int64 leaves less room: the age is cut to what fits (no overflow).
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (s->rev_age > 0 && s->now < kMin + s->rev_age) s->rev_age = s->now - kMin;
  if (s->rev_age < 0 && s->now > kMax + s->rev_age) s->rev_age = s->now - kMax;
  std::size_t n = mg::revocation_snapshot_write(entries.data(), entries.size(), s->now - s->rev_age,
                                                s->snapshot.data(), s->snapshot.size());
  MG_FUZZ_CHECK(n > 0);
  s->snapshot.resize(n);
}

void build(FuzzedDataProvider& p, Scenario* s) {
  // Configuration: always valid.
  s->secret_text = p.ConsumeBool() ? std::string(kSecret) : " " + std::string(kSecret) + "\n";
  s->previous_set = p.ConsumeBool();
  if (s->previous_set) s->previous_text = kPrevious;
  s->prefixes_set = p.ConsumeBool();
  if (s->prefixes_set) s->prefixes = p.ConsumeBool() ? "u/, v/" : "u/,\xc3\xa9/,x/";
  s->leeway_set = p.ConsumeBool();
  if (s->leeway_set) s->leeway = std::to_string(p.ConsumeIntegralInRange(0, 3600));
  s->max_ttl_set = p.ConsumeBool();
  if (s->max_ttl_set) s->max_ttl = std::to_string(p.ConsumeIntegralInRange(60, 86400));
  s->corp_set = p.ConsumeBool();
  if (s->corp_set) s->corp = p.ConsumeBool() ? "same-site" : "same-origin";
  s->rev_mode_set = p.ConsumeBool();
  if (s->rev_mode_set) s->rev_mode = p.ConsumeBool() ? "closed" : "open";
  s->rev_stale_set = p.ConsumeBool();
  if (s->rev_stale_set) s->rev_stale = std::to_string(p.ConsumeIntegralInRange(0, 86400));
  s->rev_refresh_set = p.ConsumeBool();
  if (s->rev_refresh_set) s->rev_refresh = std::to_string(p.ConsumeIntegralInRange(0, 3600));
  s->edge_cache_set = p.ConsumeBool();
  if (s->edge_cache_set) s->edge_cache = p.ConsumeBool() ? "on" : "off";
  s->sample_rate_set = p.ConsumeBool();
  if (s->sample_rate_set) s->sample_rate = p.ConsumeBool() ? "0" : p.ConsumeBool() ? "1" : "0.25";
  s->debug_headers_set = p.ConsumeBool();
  if (s->debug_headers_set) s->debug_headers = p.ConsumeBool() ? "on" : "off";
  s->sample = p.ConsumeIntegralInRange<std::uint32_t>(0, 999999);
  if (p.ConsumeIntegralInRange(0, 3) == 0)
    s->request_id = p.ConsumeBool() ? "req-1.2_3:x" : p.ConsumeRandomLengthString(140);

  // Method and clock.
  switch (p.ConsumeIntegralInRange(0, 9)) {
    case 0: s->method = p.ConsumeRandomLengthString(8); break;
    case 1: case 2: case 3: s->method = "HEAD"; break;
    default: s->method = "GET"; break;
  }
  switch (p.ConsumeIntegralInRange(0, 7)) {
    case 0: s->now = p.ConsumeIntegral<std::int64_t>(); break;
    case 1: s->now = p.ConsumeIntegralInRange<std::int64_t>(-100000000000, 300000000000); break;
    default: s->now = kBaseNow; break;
  }

  // Key and path.
  std::string key = pick_key(p);
  s->path = pick_path(p, key);

  // Token.
  s->token_key = p.ConsumeIntegralInRange(0, 7) == 0 ? pick_key(p) : key;
  s->token_mode = p.ConsumeBool() ? mg::Mode::pub : mg::Mode::priv;
  switch (p.ConsumeIntegralInRange(0, 7)) {
    case 0: s->token_exp = p.ConsumeIntegral<std::int64_t>(); break;
    case 1: s->token_exp = clamp_add(s->now, p.ConsumeIntegralInRange<std::int64_t>(-200000, 200000)); break;
    case 2: s->token_exp = clamp_add(s->now, -61); break;
    case 3: s->token_exp = clamp_add(s->now, 3661); break;
    default: s->token_exp = clamp_add(s->now, 600); break;
  }
  switch (p.ConsumeIntegralInRange(0, 9)) {
    case 0: s->token_secret = kUnknown; break;
    case 1: case 2: s->token_secret = kPrevious; break;
    default: s->token_secret = kSecret; break;
  }
  static char tok[mg::kMaxTokenBytes + 64];
  std::size_t n = mg::token_mint(s->token_key, s->token_mode, s->token_exp, s->token_secret, tok, sizeof tok);
  std::string token(tok, n);
  s->token_minted = n > 0;
  switch (p.ConsumeIntegralInRange(0, 11)) {
    case 0:  // one byte changed or dropped
      if (!token.empty()) {
        std::size_t at = p.ConsumeIntegralInRange<std::size_t>(0, token.size() - 1);
        std::uint8_t x = p.ConsumeIntegral<std::uint8_t>();
        if (x == 0) token.erase(at, 1);
        else token[at] = static_cast<char>(token[at] ^ x);
        s->token_minted = false;
      }
      break;
    case 1:
      token = p.ConsumeRandomLengthString(100);
      s->token_minted = false;
      break;
    default:
      break;
  }
  switch (p.ConsumeIntegralInRange(0, 9)) {
    case 0: s->query = ""; break;
    case 1: s->query = "?t="; break;
    case 2: s->query = "?t=" + mgfuzz::percent_encode_all(token); s->token_delivered = true; break;
    case 3: s->query = "?a=1&t=" + token + "&t=x"; s->token_delivered = true; break;
    case 4: s->query = "t=" + token; s->token_delivered = true; break;
    case 5: s->query = "?tt=" + token; break;
    case 6: s->query = p.ConsumeRandomLengthString(80); break;
    default: s->query = "?t=" + token; s->token_delivered = true; break;
  }
  if (token.empty()) s->token_delivered = false;

  // Revocation: the request's key (as the harness built it) revoked or not.
  switch (p.ConsumeIntegralInRange(0, 3)) {
    case 0: s->rev_state = mg::RevocationState::disabled; break;
    case 1: s->rev_state = mg::RevocationState::unavailable; break;
    default: s->rev_state = mg::RevocationState::loaded; break;
  }
  s->rev_age = p.ConsumeBool() ? p.ConsumeIntegralInRange<std::int64_t>(0, 1000)
                               : p.ConsumeIntegralInRange<std::int64_t>(-10, 100000);
  s->revoked_key = stripped(p.ConsumeIntegralInRange(0, 5) == 0 ? s->token_key : key);
  switch (p.ConsumeIntegralInRange(0, 3)) {
    case 0: s->revoked_scope = mg::RevocationScope::all; break;
    case 1: s->revoked_scope = mg::RevocationScope::pub; break;
    default: s->revoked_scope = mg::RevocationScope::none; break;
  }
  build_snapshot(p, s);

  // Object.
  s->object.exists = p.ConsumeIntegralInRange(0, 9) != 0;
  std::uint64_t size = 0;
  switch (p.ConsumeIntegralInRange(0, 7)) {
    case 0: size = 0; break;
    case 1: size = 1; break;
    case 2: size = p.ConsumeIntegral<std::uint64_t>(); break;
    default: size = p.ConsumeIntegralInRange<std::uint64_t>(0, 5000); break;
  }
  s->object.facts.size = size;
  switch (p.ConsumeIntegralInRange(0, 5)) {
    case 0: s->etag = p.ConsumeRandomLengthString(40); break;
    case 1: s->etag = "W/\"45cf2832f7b64d929ddb72900502e024\""; break;
    case 2: s->etag = ""; break;
    default: s->etag = "\"45cf2832f7b64d929ddb72900502e024\""; break;
  }
  std::int64_t uploaded = p.ConsumeBool() ? 1445412480 : p.ConsumeIntegral<std::int64_t>();
  s->object.facts.uploaded = uploaded;
  s->type = p.ConsumeIntegralInRange(0, 5) == 0 ? p.ConsumeRandomLengthString(70) : pick(p, kTypes);

  // Headers.
  if (p.ConsumeBool()) s->range = pick_range(p, size);
  if (p.ConsumeIntegralInRange(0, 4) == 0) s->if_match = pick_etag_header(p, s->etag);
  if (p.ConsumeIntegralInRange(0, 4) == 0) s->if_none_match = pick_etag_header(p, s->etag);
  if (p.ConsumeIntegralInRange(0, 4) == 0) s->ims = pick_date(p, uploaded);
  if (p.ConsumeIntegralInRange(0, 4) == 0) s->ius = pick_date(p, uploaded);
  if (p.ConsumeIntegralInRange(0, 3) == 0)
    s->if_range = p.ConsumeBool() ? pick_etag_header(p, s->etag) : pick_date(p, uploaded);

  // Edge cache entry, and storage faults (one slot per storage operation).
  s->cache = static_cast<CacheEntry>(p.ConsumeIntegralInRange(0, 3));
  if (p.ConsumeIntegralInRange(0, 4) == 0) {
    for (Fault& f : s->faults) f = static_cast<Fault>(p.ConsumeIntegralInRange(0, 5));
  }
}

// The oracle for storage: a naive model of R2 over a byte array, written from R2's documented
// behaviour (not from storage_plan.h, the code under test). Object byte i is byte_at(i); the
// read is the half-open interval [begin, end) in 128-bit arithmetic (nothing can overflow),
// and for objects up to 64 KiB the bytes themselves are gathered index by index.
std::uint8_t byte_at(std::uint64_t i) { return static_cast<std::uint8_t>(i * 131 + 7); }

struct NaiveRead {
  bool refused = false;  // InvalidRange
  unsigned __int128 begin = 0, end = 0;
  std::vector<std::uint8_t> bytes;  // objects up to kNaiveBytes only
};
constexpr std::uint64_t kNaiveBytes = 65536;

NaiveRead naive_r2(const mg::Plan& plan, std::uint64_t size) {
  NaiveRead r;
  if (plan.op != mg::StorageOp::get) return r;  // head: metadata only
  const mg::RangeHint& h = plan.range;
  const unsigned __int128 n = size;
  switch (h.kind) {
    case mg::RangeHintKind::whole:
    case mg::RangeHintKind::needs_size:  // sent without a range
      r.end = n;
      break;
    case mg::RangeHintKind::offset_length:
      r.begin = h.offset;
      r.end = std::min<unsigned __int128>(n, static_cast<unsigned __int128>(h.offset) + h.length);
      r.refused = r.begin >= n;
      break;
    case mg::RangeHintKind::offset:
      r.begin = h.offset;
      r.end = n;
      r.refused = r.begin >= n;
      break;
    case mg::RangeHintKind::suffix:
      r.begin = h.suffix >= size ? 0 : n - h.suffix;
      r.end = n;
      r.refused = n == 0;
      break;
  }
  if (r.refused) r.begin = r.end = 0;
  if (!r.refused && size <= kNaiveBytes)
    for (std::uint64_t i = static_cast<std::uint64_t>(r.begin); i < r.end; ++i) r.bytes.push_back(byte_at(i));
  return r;
}

mg::StorageResult naive_result(const mg::Plan& plan, const mg::ModelObject& obj) {
  if (!obj.exists) return mg::StorageResult::missing;
  return naive_r2(plan, obj.facts.size).refused ? mg::StorageResult::invalid_range : mg::StorageResult::ok;
}

struct Run {
  int storage_ops = 0;
  int cache_lookups = 0;
  bool injected = false;  // a storage fault, or a stale/unreadable cache entry, was used
  bool any_read = false;  // the gate asked for a cache or storage read
  mg::Plan last_plan;
  mg::ObjectFacts last_facts;
  char cache_buf[512];
};

void check_fetch(const Scenario& s, const mg::Config& c, const mg::Decision& d) {
  // Only a public token may use the edge cache, under the key's own canonical path.
  if (!d.cache_lookup) return;
  MG_FUZZ_CHECK(d.mode == mg::Mode::pub && c.edge_cache);
  std::string_view path(d.cache_path, d.cache_path_len);
  MG_FUZZ_CHECK(path == "/m/" + mgfuzz::quote_path(d.key_view()));
  (void)s;
}

// The gate's reads against the model: storage (with the scenario's faults) and the edge cache.
void run(const mg::Config& config, const mg::RequestFacts& req, const Scenario& s, mg::Decision* d, Run* out) {
  *out = Run{};
  bool plain = s.faults[0] == Fault::none && s.faults[1] == Fault::none && s.cache == CacheEntry::none;
  if (plain) {
    int ops = mg::decide_with_model(config, req, s.object, d);
    MG_FUZZ_CHECK(ops >= 0 && ops <= 2);  // -1: the core asked for a third read
  }
  // (Again, step by step, to check each read and know what the last one returned; without
  // faults it must end exactly where decide_with_model ended.)
  static mg::Decision step;
  mg::Decision* cur = plain ? &step : d;
  mg::decide_begin(config, req, cur);
  for (int round = 0; cur->fetch; ++round) {
    MG_FUZZ_CHECK(round < 4);
    out->any_read = true;
    check_fetch(s, config, *cur);
    const mg::Plan performed = cur->plan;
    const mg::Mode mode = cur->mode;
    mg::ObjectFacts facts = s.object.facts;
    bool from_cache = cur->cache_lookup && s.cache != CacheEntry::none && s.object.exists;
    if (from_cache) {
      ++out->cache_lookups;
      MG_FUZZ_CHECK(out->cache_lookups <= 2);
      mg::ModelObject entry = s.object;
      if (s.cache == CacheEntry::stale) {
        entry.facts.size = entry.facts.size / 2;
        entry.facts.etag = "\"stale\"";
        entry.facts.uploaded = 1;
      }
      // The shim keeps the metadata in one header the core wrote; read back as the core does.
      char meta[256];
      std::size_t n = mg::cache_object_write(entry.facts, meta, sizeof meta);
      if (s.cache == CacheEntry::unreadable) n = 0;
      if (!mg::cache_object_read(std::string_view(meta, n), &facts, out->cache_buf, sizeof out->cache_buf)) {
        facts = mg::ObjectFacts{};
        facts.source = mg::ObjectSource::cache;
        facts.result = mg::StorageResult::error;
      } else {
        facts.result = naive_result(performed, entry);
      }
      out->injected = out->injected || s.cache != CacheEntry::same;
    } else {
      MG_FUZZ_CHECK(out->storage_ops < 2);
      MG_FUZZ_CHECK(performed.attempt == out->storage_ops + 1 || out->cache_lookups > 0);
      facts.result = naive_result(performed, s.object);
      switch (s.faults[out->storage_ops]) {
        case Fault::none: break;
        case Fault::error: facts.result = mg::StorageResult::error; break;
        case Fault::missing: facts.result = mg::StorageResult::missing; break;
        case Fault::invalid_range: facts.result = mg::StorageResult::invalid_range; break;
        case Fault::timeout: facts.result = mg::StorageResult::timeout; break;
        case Fault::changed: {  // the object was replaced since the first read
          mg::ModelObject changed = s.object;
          changed.facts.size = facts.size * 2 + 7;
          changed.facts.etag = "\"changed\"";
          facts = changed.facts;
          facts.result = naive_result(performed, changed);
          break;
        }
      }
      out->injected = out->injected || s.faults[out->storage_ops] != Fault::none;
      ++out->storage_ops;
    }
    out->last_plan = performed;
    out->last_facts = facts;
    mg::decide_finish(config, req, mode, cur->key_view(), performed, facts, cur);
  }
  if (plain) {
    MG_FUZZ_CHECK(step.response.status == d->response.status && step.response.reason == d->response.reason);
  }
}

bool configured_secret(const Scenario& s, std::string_view secret) {
  return secret == kSecret || (s.previous_set && secret == kPrevious);
}

// True when the harness knows the gate received a genuine, current token for `key`.
bool token_good(const Scenario& s, const mg::Config& c, std::string_view key) {
  if (!s.token_minted || !s.token_delivered || !configured_secret(s, s.token_secret)) return false;
  if (key.empty() || stripped(s.token_key) != key) return false;  // empty: the key did not decode
  if (s.token_mode == mg::Mode::pub) return true;
  __int128 now = s.now, e = s.token_exp;
  return now <= e + c.leeway && e <= now + c.max_ttl + c.leeway;
}

// The scope the request's decoded key is revoked under, as the harness built the snapshot.
mg::RevocationScope revoked_for(const Scenario& s, std::string_view key) {
  if (s.rev_state != mg::RevocationState::loaded || key != s.revoked_key) return mg::RevocationScope::none;
  return s.revoked_scope;
}

bool is_token_reason(mg::Reason r) {
  return r >= mg::Reason::token_missing && r <= mg::Reason::token_expired;
}

void check_response(const Scenario& s, const mg::Config& c, const mg::RequestFacts& req,
                    const mg::Decision& d, const Run& run) {
  const mg::Response& r = d.response;
  MG_FUZZ_CHECK(!d.fetch);
  MG_FUZZ_CHECK(r.status == mg::reason_info(r.reason).status);
  bool head = req.method == "HEAD";
  bool get_or_head = head || req.method == "GET";
  // The key as the gate decoded it (an answer's own key is the log's, redacted: loggable.h).
  char decoded[mg::kMaxKeyBytes];
  std::size_t decoded_len = 0;
  std::string_view key;
  if (d.key_len > 0 && req.path.substr(0, 3) == "/m/" && mg::key_decode(req.path.substr(3), decoded, &decoded_len))
    key = std::string_view(decoded, decoded_len);
  MG_FUZZ_CHECK(d.key_len <= key.size());
  bool good = token_good(s, c, key);
  mg::RevocationScope revoked = revoked_for(s, key);
  bool revoked_for_token = good && (revoked == mg::RevocationScope::all ||
                                    (revoked == mg::RevocationScope::pub && s.token_mode == mg::Mode::pub));
  bool rev_closed = c.revocation_fail_closed &&
                    (s.rev_state == mg::RevocationState::unavailable ||
                     (s.rev_state == mg::RevocationState::loaded && s.rev_age > c.revocation_max_stale));

  // No 5xx for any request: storage failures, and a closed-mode revocation outage, only.
  if (r.status >= 500) {
    MG_FUZZ_CHECK(r.reason == mg::Reason::storage_unavailable || r.reason == mg::Reason::storage_timeout);
    MG_FUZZ_CHECK(run.injected || (rev_closed && !run.any_read));
    // A timeout only when storage was slow, and never retried: it is the last read.
    if (r.reason == mg::Reason::storage_timeout) MG_FUZZ_CHECK(run.storage_ops > 0 && s.faults[run.storage_ops - 1] == Fault::timeout);
  }

  // Headers: security headers once each, nothing twice, values without CR/LF/NUL.
  for (std::size_t i = 0; i < r.n_headers; ++i) {
    MG_FUZZ_CHECK(mgfuzz::clean_value(r.headers[i].value));
    for (char ch : r.headers[i].name) MG_FUZZ_CHECK((ch >= 'a' && ch <= 'z') || ch == '-');
    for (std::size_t j = i + 1; j < r.n_headers; ++j) MG_FUZZ_CHECK(r.headers[i].name != r.headers[j].name);
  }
  MG_FUZZ_CHECK(r.find("x-content-type-options") == "nosniff");
  MG_FUZZ_CHECK(r.find("referrer-policy") == "no-referrer");
  MG_FUZZ_CHECK(r.find("cross-origin-resource-policy") == (c.corp_same_site ? "same-site" : "same-origin"));
  MG_FUZZ_CHECK(r.find("x-robots-tag") == "noindex, nofollow");
  MG_FUZZ_CHECK(r.find("content-security-policy") == "default-src 'none'; sandbox");

  // Caching.
  std::string_view cc = r.find("cache-control");
  if (r.mode != mg::Mode::pub) MG_FUZZ_CHECK(cc == "private, no-store");
  if (cc.find("public") != std::string_view::npos) {
    MG_FUZZ_CHECK(r.mode == mg::Mode::pub);
    MG_FUZZ_CHECK(r.status == 200 || r.status == 206 || r.status == 304 || r.status == 404 || r.status == 410);
  }
  // An edge cache entry to store or fill: under the canonical path, with the
  // object's own metadata (the fill's and the store's share this).
  auto entry_is_the_object = [&] {
    MG_FUZZ_CHECK(std::string_view(d.cache_path, d.cache_path_len) == "/m/" + mgfuzz::quote_path(key));
    mg::ObjectFacts back;
    char buf[512];
    MG_FUZZ_CHECK(mg::cache_object_read(std::string_view(d.cache_object, d.cache_object_len), &back, buf,
                                        sizeof buf));
    MG_FUZZ_CHECK(back.size == run.last_facts.size && back.uploaded == run.last_facts.uploaded &&
                  back.etag == run.last_facts.etag && back.content_type == run.last_facts.content_type);
  };
  if (d.cache_store) {
    // (A 206 whose span is the whole object stores the whole object, which is what was read.)
    MG_FUZZ_CHECK((r.status == 200 || r.status == 206) && !head && r.mode == mg::Mode::pub && c.edge_cache);
    MG_FUZZ_CHECK(run.last_facts.source == mg::ObjectSource::storage);
    MG_FUZZ_CHECK(r.has_span && r.span.first == 0 && r.span.last + 1 == run.last_facts.size);
    entry_is_the_object();
  }

  if (d.cache_fill) {
    // Issue 16: a public 206 read from storage, not the whole object, within the bound: the shim
    // reads the whole object again in the background and stores it with this metadata.
    MG_FUZZ_CHECK(r.status == 206 && !head && r.mode == mg::Mode::pub && c.edge_cache && !d.cache_store);
    MG_FUZZ_CHECK(run.last_facts.source == mg::ObjectSource::storage);
    MG_FUZZ_CHECK(r.has_span && !(r.span.first == 0 && r.span.last + 1 == run.last_facts.size));
    MG_FUZZ_CHECK(d.cache_fill_length == run.last_facts.size && d.cache_fill_length <= c.edge_cache_fill_max);
    entry_is_the_object();
  }

  // Serving only on a genuine token for the very key read, never a revoked key; a genuine token
  // is never refused; a revoked key is answered before any read.
  bool success = r.status == 200 || r.status == 206 || r.status == 304;
  if (success) {
    MG_FUZZ_CHECK(get_or_head && good && r.mode == s.token_mode && !revoked_for_token);
    MG_FUZZ_CHECK(run.last_facts.result == mg::StorageResult::ok);
  }
  if (good && get_or_head) MG_FUZZ_CHECK(!is_token_reason(r.reason));
  if (revoked_for_token && get_or_head) {
    // Only the key prefix is checked before the token; a closed-mode outage may answer 503.
    MG_FUZZ_CHECK(r.reason == mg::Reason::revoked || r.reason == mg::Reason::prefix_not_allowed ||
                  (rev_closed && r.status == 503));
    MG_FUZZ_CHECK(!run.any_read);
  }
  if (r.status == 410) MG_FUZZ_CHECK(revoked_for_token && !run.any_read);
  if (r.status == 304 || r.status == 412)
    MG_FUZZ_CHECK(!s.if_match.empty() || !s.if_none_match.empty() || !s.ims.empty() || !s.ius.empty());

  // Bytes and spans.
  std::uint64_t size = run.last_facts.size;
  if (r.body == mg::BodySource::text) MG_FUZZ_CHECK(!head && !success);
  if (r.body == mg::BodySource::object) MG_FUZZ_CHECK(!head && (r.status == 200 || r.status == 206));
  if (r.status == 206) {
    MG_FUZZ_CHECK(!s.range.empty() && r.has_span);
    MG_FUZZ_CHECK(r.span.first <= r.span.last && r.span.last < size);
    MG_FUZZ_CHECK(r.find("content-length") == mgfuzz::decimal(r.span.length()));
    MG_FUZZ_CHECK(r.find("content-range") == "bytes " + mgfuzz::decimal(r.span.first) + "-" +
                                                 mgfuzz::decimal(r.span.last) + "/" + mgfuzz::decimal(size));
  }
  if (r.status == 200) {
    MG_FUZZ_CHECK(r.find("content-length") == mgfuzz::decimal(size));
    MG_FUZZ_CHECK(r.find("content-range").empty());
    MG_FUZZ_CHECK(r.has_span == (size > 0));
    if (size > 0) MG_FUZZ_CHECK(r.span.first == 0 && r.span.last == size - 1);
    MG_FUZZ_CHECK((r.body == mg::BodySource::object) == (!head && size > 0));
  }
  if ((r.status == 200 || r.status == 206) && !head && size > 0) {
    // What the shim streams is what the last read returned: it must be exactly the span.
    NaiveRead got = naive_r2(run.last_plan, size);
    MG_FUZZ_CHECK(!got.refused && got.begin == r.span.first && got.end == r.span.last + static_cast<unsigned __int128>(1));
    if (size <= kNaiveBytes) {
      MG_FUZZ_CHECK(got.bytes.size() == r.span.length());
      for (std::uint64_t i = 0; i < got.bytes.size(); ++i) MG_FUZZ_CHECK(got.bytes[i] == byte_at(r.span.first + i));
    }
  }
  if (r.status == 416) {
    MG_FUZZ_CHECK(!s.range.empty());
    MG_FUZZ_CHECK(r.find("content-range") == "bytes */" + mgfuzz::decimal(size));
  }

  // Logs (docs/CONTRACT.md section 8): denials and errors always; the request id only when it is an
  // id (never a URL or a pasted token); the debug header only when configured, naming the reason.
  // Issue 16: up to the isolate's denial budget per second, then sampled as successes are.
  if (!success) {
    bool within = req.log_recent < c.log_denial_budget;
    MG_FUZZ_CHECK(d.log == (within || req.sample < c.log_sample_ppm));
    if (d.log) MG_FUZZ_CHECK(d.log_sample_ppm == (within ? 1000000u : c.log_sample_ppm));
    MG_FUZZ_CHECK(d.log_budget == d.log);
  } else {
    MG_FUZZ_CHECK(!d.log_budget);
  }
  if (!d.request_id.empty()) {
    MG_FUZZ_CHECK(d.request_id == s.request_id && d.request_id.size() <= 128);
    for (char ch : d.request_id)
      MG_FUZZ_CHECK((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    ch == '.' || ch == '_' || ch == ':' || ch == '-');
  }
  MG_FUZZ_CHECK(r.find("x-mediagate-reason") ==
                (c.debug_headers ? mg::reason_info(r.reason).name : std::string_view{}));

  // It fits the ABI's output buffer.
  static char out[16 * 1024];  // wasm/abi/abi.cc kOutCap
  MG_FUZZ_CHECK(mg::protocol_write_decision(d, out, sizeof out) > 0);
}

// MG_FUZZ_DEBUG=1 prints each scenario and answer (replaying one input to see why it failed).
void debug_print(const Scenario& s, const mg::Decision& d, const Run& r) {
  static const bool on = std::getenv("MG_FUZZ_DEBUG") != nullptr;
  if (!on) return;
  std::fprintf(stderr,
               "method=%s path=%s query=%s now=%lld range=%s if-match=%s if-none-match=%s ims=%s ius=%s "
               "if-range=%s\ntoken: key=%s mode=%d exp=%lld minted=%d delivered=%d\n"
               "revocation: state=%d age=%lld key=%s scope=%d\nobject: exists=%d size=%llu etag=%s "
               "uploaded=%lld type=%s cache=%d faults=%d,%d\n"
               "answer: status=%d reason=%s mode=%d key=%s storage_ops=%d cache_lookups=%d injected=%d\n",
               s.method.c_str(), s.path.c_str(), s.query.c_str(), static_cast<long long>(s.now), s.range.c_str(),
               s.if_match.c_str(), s.if_none_match.c_str(), s.ims.c_str(), s.ius.c_str(), s.if_range.c_str(),
               s.token_key.c_str(), static_cast<int>(s.token_mode), static_cast<long long>(s.token_exp),
               s.token_minted, s.token_delivered, static_cast<int>(s.rev_state),
               static_cast<long long>(s.rev_age), s.revoked_key.c_str(), static_cast<int>(s.revoked_scope),
               s.object.exists, static_cast<unsigned long long>(s.object.facts.size), s.etag.c_str(),
               static_cast<long long>(s.object.facts.uploaded), s.type.c_str(), static_cast<int>(s.cache),
               static_cast<int>(s.faults[0]), static_cast<int>(s.faults[1]), d.response.status,
               std::string(mg::reason_info(d.response.reason).name).c_str(), static_cast<int>(d.response.mode),
               std::string(d.key_view()).c_str(), r.storage_ops, r.cache_lookups, r.injected);
}

bool same_answer(const mg::Response& a, const mg::Response& b) {
  if (a.status != b.status || a.reason != b.reason || a.mode != b.mode || a.n_headers != b.n_headers)
    return false;
  for (std::size_t i = 0; i < a.n_headers; ++i) {
    if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  static Scenario s;
  s = Scenario{};
  build(provider, &s);

  mg::ConfigText text;
  text.has_bucket = true;
  text.secret = s.secret_text;
  text.secret_set = true;
  text.secret_previous = s.previous_text;
  text.secret_previous_set = s.previous_set;
  text.prefixes = s.prefixes;
  text.prefixes_set = s.prefixes_set;
  text.leeway = s.leeway;
  text.leeway_set = s.leeway_set;
  text.max_ttl = s.max_ttl;
  text.max_ttl_set = s.max_ttl_set;
  text.corp = s.corp;
  text.corp_set = s.corp_set;
  text.revocation_mode = s.rev_mode;
  text.revocation_mode_set = s.rev_mode_set;
  text.revocation_max_stale = s.rev_stale;
  text.revocation_max_stale_set = s.rev_stale_set;
  text.revocation_refresh = s.rev_refresh;
  text.revocation_refresh_set = s.rev_refresh_set;
  text.edge_cache = s.edge_cache;
  text.edge_cache_set = s.edge_cache_set;
  text.log_sample_rate = s.sample_rate;
  text.log_sample_rate_set = s.sample_rate_set;
  text.debug_headers = s.debug_headers;
  text.debug_headers_set = s.debug_headers_set;
  static mg::Config config;
  MG_FUZZ_CHECK(mg::config_load(text, &config));

  s.object.facts.etag = s.etag;
  s.object.facts.content_type = s.type;
  mg::RequestFacts req;
  req.method = s.method;
  req.path = s.path;
  req.query = s.query;
  req.now = s.now;
  req.range = s.range;
  req.cond.if_match = s.if_match;
  req.cond.if_none_match = s.if_none_match;
  req.cond.if_modified_since = s.ims;
  req.cond.if_unmodified_since = s.ius;
  req.cond.if_range = s.if_range;
  req.revocation = s.rev_state;
  // The isolate's last load attempt started this second: the core never asks
  // to load again (its wait path is tests/native/test_revocation.cc's table).
  req.revocation_age = 0;
  req.sample = s.sample;
  // Denial lines already written this second: from the sample's bits (no input byte of its own,
  // so the corpus keeps its meaning), across the default budget of 20.
  req.log_recent = s.sample % 40;
  req.request_id = s.request_id;
  if (s.rev_state == mg::RevocationState::loaded)
    MG_FUZZ_CHECK(mg::revocation_view(s.snapshot.data(), s.snapshot.size(), &req.revocations));

  static mg::Decision d;
  Run r;
  run(config, req, s, &d, &r);
  debug_print(s, d, r);
  check_response(s, config, req, d, r);

  // HEAD answers what GET answers (without faults or a stale cache entry: those differ per
  // read by design).
  if (!r.injected && (s.method == "GET" || s.method == "HEAD")) {
    static mg::Decision other;
    mg::RequestFacts flipped = req;
    flipped.method = s.method == "GET" ? "HEAD" : "GET";
    Run r2;
    run(config, flipped, s, &other, &r2);
    if (!r2.injected) MG_FUZZ_CHECK(same_answer(d.response, other.response));
  }
  return 0;
}
