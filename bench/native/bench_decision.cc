// mediagate_bench: the native cost of the gate's decision, per request kind,
// timed call by call (median and p99), plus the HMAC floor it is built on.
// scripts/bench.mjs runs it and puts its rows next to the Wasm and the old
// Worker's figures from the same run (docs/PERFORMANCE.md).
//
//   mediagate_bench [--calls N] [--warmup W] [--only ROW] [--revoked K]
//                   [--write-snapshot FILE | --read-snapshot FILE] [--json]
//
// The decisions run as deployed: the revocation snapshot loaded, holding K
// revoked keys (default 1,000,000; none of them the requested key), so every
// decision pays the lookup. --write-snapshot saves that snapshot, so that
// scripts/bench.mjs hands the Wasm the same one; --read-snapshot uses a saved
// one instead of building it (callgrind runs).
//
// Every row first checks that the decision is the one it claims to time
// (status, reason), then times N calls after W warm-up calls (default N/10).
// Timing is clock_gettime(CLOCK_MONOTONIC) around each call; the "timer" row
// is that pair around nothing, included in every other row. --only runs the
// one row named ROW (scripts/bench --callgrind counts instructions per call
// that way).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "decision.h"
#include "revocation.h"
#include "token.h"

namespace {

// docs/CONTRACT.md section 3: the test secret and vectors.
constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::string_view kPubPath = "/m/u/me_1/0123456789abcdef0123456789abcdef.png";
constexpr std::string_view kPubQuery =
    "?t=eyJrIjoidS9tZV8xLzAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmLnBuZyIsIm0iOiJwdWIifQ."
    "okscWHgWOe53IHi2ElOPJTTRMZE3dMRqOqc0IP68N5I";
constexpr std::string_view kPrivPath = "/m/u/me_1/caf%C3%A9%20%F0%9F%98%80.jpg";
constexpr std::string_view kPrivQuery =
    "?t=eyJlIjoxNzY3MjI2MjAwLCJrIjoidS9tZV8xL2NhZlx1MDBlOSBcdWQ4M2RcdWRlMDAuanBnIiwibSI6InByaXYifQ."
    "dqyQa-PkJ2Wn8EavPak6uZQHF91QkLcqvsZSsOIYKuE";
// The public vector with its MAC's last character changed: well formed,
// wrong signature, so the denial pays the full HMAC (the costliest 401).
constexpr std::string_view kBadQuery =
    "?t=eyJrIjoidS9tZV8xLzAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmLnBuZyIsIm0iOiJwdWIifQ."
    "okscWHgWOe53IHi2ElOPJTTRMZE3dMRqOqc0IP68N5A";
constexpr std::int64_t kNow = 1767226200 - 300;

bool g_json = false;
long g_warmup = -1;             // -1: calls / 10 + 1
const char* g_only = nullptr;   // run only rows with this name prefix

std::int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Keeps a result alive so the optimiser cannot drop the call.
volatile std::uint32_t g_sink;

template <typename F>
void time_row(const char* name, const char* what, std::size_t calls, F&& fn) {
  if (g_only && std::strcmp(name, g_only) != 0) return;
  const std::size_t warmup = g_warmup < 0 ? calls / 10 + 1 : static_cast<std::size_t>(g_warmup);
  for (std::size_t i = 0; i < warmup; ++i) fn();
  std::vector<std::int64_t> ns(calls);
  for (std::size_t i = 0; i < calls; ++i) {
    const std::int64_t t0 = now_ns();
    fn();
    ns[i] = now_ns() - t0;
  }
  std::sort(ns.begin(), ns.end());
  double sum = 0;
  for (std::int64_t v : ns) sum += static_cast<double>(v);
  const std::int64_t median = ns[calls / 2];
  const std::int64_t p99 = ns[std::min(calls - 1, calls * 99 / 100)];
  if (g_json) {
    std::printf("{\"row\":\"%s\",\"what\":\"%s\",\"calls\":%zu,\"median_ns\":%lld,\"p99_ns\":%lld,\"mean_ns\":%.1f}\n",
                name, what, calls, static_cast<long long>(median), static_cast<long long>(p99), sum / calls);
  } else {
    std::printf("  %-28s median %8.3f us  p99 %8.3f us  (%zu calls)  %s\n", name, median / 1000.0, p99 / 1000.0,
                calls, what);
  }
}

[[noreturn]] void die(const char* row, const char* why) {
  std::fprintf(stderr, "mediagate_bench: %s: %s\n", row, why);
  std::exit(1);
}

// One request kind: the facts, and what storage (or the edge cache) reports
// if the core asks.
struct Kind {
  const char* name;
  const char* what;
  std::string_view path, query, range;
  mg::ObjectSource source;
  int want_status;
};

const Kind kKinds[] = {
    {"public", "GET public image, 200 (begin + finish)", kPubPath, kPubQuery, "", mg::ObjectSource::storage, 200},
    {"private", "GET private image, 200 (begin + finish)", kPrivPath, kPrivQuery, "", mg::ObjectSource::storage, 200},
    {"range", "GET public, Range bytes=0-1, 206 (begin + finish)", kPubPath, kPubQuery, "bytes=0-1",
     mg::ObjectSource::storage, 206},
    {"cached", "GET public image, edge cache hit, 200 (begin + finish)", kPubPath, kPubQuery, "",
     mg::ObjectSource::cache, 200},
    {"denied", "GET, wrong MAC, 401 forbidden (begin answers)", kPubPath, kBadQuery, "", mg::ObjectSource::storage, 401},
};

// A snapshot of `n` revoked keys ("u/revoked/<i>.png", alternating scopes),
// as the scheduled handler builds it.
std::vector<unsigned char> revocation_snapshot(std::size_t n) {
  std::vector<std::uint64_t> entries(n);
  unsigned char sha[32];
  char key[64];
  for (std::size_t i = 0; i < n; ++i) {
    const int len = std::snprintf(key, sizeof key, "u/revoked/%zu.png", i);
    mg::revocation_key_hash(std::string_view(key, static_cast<std::size_t>(len)), sha);
    entries[i] = mg::revocation_entry(sha, i % 2 ? mg::RevocationScope::all : mg::RevocationScope::pub);
  }
  std::vector<unsigned char> out(mg::revocation_snapshot_bytes(n));
  const std::size_t len = mg::revocation_snapshot_write(entries.data(), n, kNow, out.data(), out.size());
  if (len == 0 && n > 0) die("snapshot", "revocation_snapshot_write failed");
  out.resize(len);
  return out;
}

mg::ObjectFacts stored_object() {
  mg::ObjectFacts obj;
  obj.result = mg::StorageResult::ok;
  obj.size = 1000;
  obj.etag = "\"45cf2832f7b64d929ddb72900502e024\"";
  obj.uploaded = 1445412480;
  obj.content_type = "image/png";
  return obj;
}

// The per-request decision exactly as the Worker runs it: decide_begin, and
// when it asks for storage, decide_finish with what storage reported.
// Returns the final status.
int decide(const mg::Config& config, const mg::RequestFacts& req, const mg::ObjectFacts& obj, mg::Decision* d) {
  mg::decide_begin(config, req, d);
  if (!d->fetch) return d->response.status;
  const mg::Plan plan = d->plan;
  const mg::Mode mode = d->mode;
  mg::decide_finish(config, req, mode, d->key_view(), plan, obj, d);
  return d->response.status;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t calls = 100000;
  std::size_t revoked = 1000000;
  const char* snapshot_file = nullptr;
  const char* snapshot_in = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      g_json = true;
    } else if (std::strcmp(argv[i], "--calls") == 0 && i + 1 < argc) {
      calls = static_cast<std::size_t>(std::strtoull(argv[++i], nullptr, 10));
    } else if (std::strcmp(argv[i], "--warmup") == 0 && i + 1 < argc) {
      g_warmup = std::strtol(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      g_only = argv[++i];
    } else if (std::strcmp(argv[i], "--revoked") == 0 && i + 1 < argc) {
      revoked = static_cast<std::size_t>(std::strtoull(argv[++i], nullptr, 10));
    } else if (std::strcmp(argv[i], "--write-snapshot") == 0 && i + 1 < argc) {
      snapshot_file = argv[++i];
    } else if (std::strcmp(argv[i], "--read-snapshot") == 0 && i + 1 < argc) {
      snapshot_in = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: mediagate_bench [--calls N] [--warmup W] [--only ROW] [--revoked K] "
                   "[--write-snapshot FILE | --read-snapshot FILE] [--json]\n");
      return 2;
    }
  }
  if (calls < 10) calls = 10;

  mg::ConfigText text;
  text.secret = kSecret;
  text.secret_set = true;
  text.has_bucket = true;
  mg::Config config;
  if (!mg::config_load(text, &config)) die("config", "config_load failed");
  static mg::Decision d;  // ~1 KiB key buffer and the response: keep it off the stack

  std::vector<unsigned char> snapshot;
  if (snapshot_in) {
    std::FILE* f = std::fopen(snapshot_in, "rb");
    if (!f) die("snapshot", "cannot open --read-snapshot file");
    unsigned char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) snapshot.insert(snapshot.end(), buf, buf + n);
    std::fclose(f);
    revoked = (snapshot.size() - mg::kSnapshotHeaderBytes) / mg::kSnapshotEntryBytes;
  } else {
    snapshot = revocation_snapshot(revoked);
  }
  mg::RevocationView view;
  if (!mg::revocation_view(snapshot.data(), snapshot.size(), &view)) die("snapshot", "revocation_view refused it");
  if (snapshot_file) {
    std::FILE* f = std::fopen(snapshot_file, "wb");
    if (!f || std::fwrite(snapshot.data(), 1, snapshot.size(), f) != snapshot.size() || std::fclose(f) != 0)
      die("snapshot", "cannot write --write-snapshot file");
  }

  time_row("timer", "clock_gettime pair around nothing (included in every row)", calls, [] {});

  for (const Kind& k : kKinds) {
    mg::RequestFacts req;
    req.method = "GET";
    req.path = k.path;
    req.query = k.query;
    req.now = kNow;
    req.range = k.range;
    req.revocation = mg::RevocationState::loaded;
    req.revocations = view;
    mg::ObjectFacts obj = stored_object();
    obj.source = k.source;
    if (decide(config, req, obj, &d) != k.want_status) die(k.name, "unexpected status");
    std::string begin_name = std::string("native.begin.") + k.name;
    time_row(begin_name.c_str(), "decide_begin alone", calls, [&] {
      mg::decide_begin(config, req, &d);
      g_sink = d.fetch;
    });
    std::string name = std::string("native.decision.") + k.name;
    time_row(name.c_str(), k.what, calls, [&] { g_sink = static_cast<std::uint32_t>(decide(config, req, obj, &d)); });
  }

  // The floor: the token check alone, and the HMAC inside it. The private
  // vector's payload is 67 bytes: with the pads precomputed, HMAC-SHA256 is
  // three SHA-256 blocks (two inner, one outer); keying per call adds two.
  const std::string_view token = kPrivQuery.substr(3);
  const std::string_view key = "u/me_1/caf\xc3\xa9 \xf0\x9f\x98\x80.jpg";
  mg::TokenPolicy policy;
  policy.now = kNow;
  const std::string_view secrets[] = {kSecret};
  mg::TokenKeys keys;
  mg::token_keys_init(secrets, 1, &keys);
  if (mg::token_verify(token, key, keys, policy).reason != mg::Reason::serve_full) die("token", "keyed verify failed");
  if (mg::token_verify(token, key, secrets, 1, policy).reason != mg::Reason::serve_full)
    die("token", "string verify failed");
  time_row("floor.token_verify.keyed", "token_verify, pads precomputed (TokenKeys)", calls,
           [&] { g_sink = static_cast<std::uint32_t>(mg::token_verify(token, key, keys, policy).reason); });
  time_row("floor.token_verify.string", "token_verify, pads computed per call", calls,
           [&] { g_sink = static_cast<std::uint32_t>(mg::token_verify(token, key, secrets, 1, policy).reason); });
  static const char kPayload[] = "{\"e\":1767226200,\"k\":\"u/me_1/caf\\u00e9 \\ud83d\\ude00.jpg\",\"m\":\"priv\"}";
  static_assert(sizeof kPayload - 1 == 67, "the private vector's payload");
  const auto* payload = reinterpret_cast<const unsigned char*>(kPayload);
  unsigned char mac[32];
  time_row("floor.hmac.keyed", "HMAC-SHA256 of the 67-byte payload, pads precomputed (3 blocks)", calls, [&] {
    mg::hmac_sha256_keyed(keys.key[0], payload, sizeof kPayload - 1, mac);
    g_sink = mac[0];
  });
  time_row("floor.hmac.string", "HMAC-SHA256 of the 67-byte payload, keyed per call (5 blocks)", calls, [&] {
    mg::hmac_sha256(kSecret, payload, sizeof kPayload - 1, mac);
    g_sink = mac[0];
  });
  mg::token_keys_wipe(&keys);

  // The revocation lookup alone (the decision rows above include it): the
  // request key's SHA-256, then a binary search of the snapshot.
  time_row("native.revocation", "revocation_lookup, key not revoked, snapshot of --revoked keys", calls, [&] {
    g_sink = static_cast<std::uint32_t>(mg::revocation_lookup(view, "u/me_1/0123456789abcdef0123456789abcdef.png"));
  });
  time_row("native.revocation.hit", "revocation_lookup, a revoked key", calls,
           [&] { g_sink = static_cast<std::uint32_t>(mg::revocation_lookup(view, "u/revoked/12345.png")); });
  if (revoked > 12345 && mg::revocation_lookup(view, "u/revoked/12345.png") == mg::RevocationScope::none)
    die("native.revocation.hit", "a revoked key was not found");
  return 0;
}
