// The Wasm ABI: the only code that knows the core runs inside a Worker.
// The shim writes a request's facts into the input buffer (the binary layout
// of wasm/src/protocol.h: numbers at fixed offsets, then NUL-terminated
// strings), calls one export, and reads the decision from the output buffer
// the same way (docs/ARCHITECTURE.md, "The Wasm ABI"). Configuration and the
// revocation builder's entries are text.
// State kept here is per isolate: the configuration and the secrets.
// Per-request state is not kept: a request's facts travel with every call,
// so requests interleaving across awaits cannot see each other.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "config.h"
#include "decision.h"
#include "fingerprint.h"
#include "protocol.h"
#include "revocation.h"

#define MG_EXPORT(name) extern "C" __attribute__((export_name(#name), used))

namespace {

// Request facts (protocol.h, wire::kInCap). Strings that do not fit are cut
// short by the shim, which says so (wire::kInputCut): the core answers 431.
constexpr std::size_t kInCap = mg::wire::kInCap;
// A decision is a few hundred bytes; the largest carries a 1024-byte key, its
// quoted cache path (up to 3 bytes per key byte) and the entry's metadata.
constexpr std::size_t kOutCap = 16 * 1024;
constexpr std::size_t kSecretCap = 4096;
constexpr std::size_t kConfigCap = 4096;

alignas(16) char g_in[kInCap];
alignas(16) char g_out[kOutCap];
char g_secret[mg::kMaxSecrets][kSecretCap];
std::size_t g_secret_len[mg::kMaxSecrets];
bool g_secret_set[mg::kMaxSecrets];
char g_config_text[kConfigCap];
mg::Config g_config;   // views into g_secret and g_config_text
mg::Decision g_decision;

// Memory for the revocation snapshot (docs/REVOCATION.md), taken straight
// from memory.grow rather than through malloc (which would add ~4.5 KB to
// every download of the module). Linear memory never shrinks anyway, so a
// region is reused while it is large enough and abandoned when outgrown:
// with doubling, what is abandoned stays below what is in use. The module
// links no malloc (scripts/build.sh checks): one would take the same pages
// through sbrk.
struct Region {
  unsigned char* p = nullptr;
  std::size_t cap = 0;
};

// Ensures `r` holds at least `n` bytes, copying `keep` bytes into a new
// region when it has to move. False when memory cannot grow.
bool region_reserve(Region* r, std::size_t n, std::size_t keep) {
  if (n <= r->cap) return true;
  constexpr std::size_t kPage = 65536;
  std::size_t want = n > 2 * r->cap ? n : 2 * r->cap;
  std::size_t pages = (want + kPage - 1) / kPage;
  long old = __builtin_wasm_memory_grow(0, pages);
  if (old < 0) return false;
  auto* p = reinterpret_cast<unsigned char*>(static_cast<std::uintptr_t>(old) * kPage);
  if (keep && r->p) std::memcpy(p, r->p, keep);
  r->p = p;
  r->cap = pages * kPage;
  return true;
}

// Two snapshot slots: one installed (read by every decision), one being
// filled by the shim; they swap on install.
Region g_slot[2];
int g_installed = -1;
std::size_t g_pending_len = 0;
mg::RevocationView g_revocations;

// The snapshot builder's entries (scheduled handler), and its output.
Region g_build;
std::size_t g_build_len = 0;
Region g_built;

int pending_slot() { return g_installed == 0 ? 1 : 0; }

std::size_t clamp_in(std::int32_t len) {
  if (len < 0) return 0;
  return static_cast<std::size_t>(len) > kInCap ? kInCap : static_cast<std::size_t>(len);
}

std::int32_t write_decision() {
  std::size_t n = mg::protocol_write_decision(g_decision, g_out, kOutCap);
  return static_cast<std::int32_t>(n);
}

}  // namespace

MG_EXPORT(mg_in_ptr) std::uintptr_t mg_in_ptr() { return reinterpret_cast<std::uintptr_t>(g_in); }
MG_EXPORT(mg_in_cap) std::int32_t mg_in_cap() { return static_cast<std::int32_t>(kInCap); }
MG_EXPORT(mg_out_ptr) std::uintptr_t mg_out_ptr() { return reinterpret_cast<std::uintptr_t>(g_out); }

// Stores secret `index` (0 = MEDIA_TOKEN_SECRET, 1 = _PREVIOUS) from the
// first `len` input bytes; len < 0 marks it absent. Returns 0, or -1 when
// the index or length is out of range (the secret is then absent).
MG_EXPORT(mg_set_secret) std::int32_t mg_set_secret(std::int32_t index, std::int32_t len) {
  if (index < 0 || static_cast<std::size_t>(index) >= mg::kMaxSecrets) return -1;
  auto i = static_cast<std::size_t>(index);
  g_secret_set[i] = false;
  g_secret_len[i] = 0;
  if (len < 0) return 0;
  if (static_cast<std::size_t>(len) > kSecretCap) return -1;
  for (std::int32_t k = 0; k < len; ++k) g_secret[i][k] = g_in[k];
  g_secret_len[i] = static_cast<std::size_t>(len);
  g_secret_set[i] = true;
  return 0;
}

// Loads the configuration from `len` input bytes (protocol_read_config)
// and the secrets set before. Output: "ok\t\n" or "problem\t<SETTING>\n",
// then "fingerprint\t<8 hex>" and "fingerprint_previous\t<8 hex>" lines for
// the secrets that are set, then "static\t<name>\t<value>" per entry of
// kStaticHeaders and "name\t<name>" per entry of kHeaderNames, in order.
MG_EXPORT(mg_configure) std::int32_t mg_configure(std::int32_t len) {
  std::size_t n = clamp_in(len);
  if (n > kConfigCap) n = 0;  // oversized [vars]: treated as absent, then validated
  for (std::size_t k = 0; k < n; ++k) g_config_text[k] = g_in[k];
  mg::ConfigText text;
  mg::protocol_read_config(std::string_view(g_config_text, n), &text);
  text.secret_set = g_secret_set[0];
  text.secret = std::string_view(g_secret[0], g_secret_len[0]);
  text.secret_previous_set = g_secret_set[1];
  text.secret_previous = std::string_view(g_secret[1], g_secret_len[1]);
  mg::config_load(text, &g_config);
  std::string_view status = g_config.problem.empty() ? std::string_view("ok") : std::string_view("problem");
  std::size_t w = 0;
  auto put = [&w](std::string_view s) {
    for (char c : s) g_out[w++] = c;
  };
  put(status);
  put("\t");
  put(g_config.problem);
  put("\n");
  // Fingerprints of the configured secrets, for the one-time config log line.
  const std::string_view secrets[2] = {g_config.secret, g_config.secret_previous};
  const std::string_view names[2] = {"fingerprint\t", "fingerprint_previous\t"};
  for (int i = 0; i < 2; ++i) {
    if (secrets[i].empty()) continue;
    char fp[mg::kFingerprintChars];
    mg::secret_fingerprint(secrets[i], fp);
    put(names[i]);
    put(std::string_view(fp, sizeof fp));
    put("\n");
  }
  // The headers decisions name by number (protocol.h, kOutHeaderCodes).
  for (std::size_t i = 0; i < mg::kStaticHeaderCount; ++i) {
    put("static\t");
    put(mg::kStaticHeaders[i].name);
    put("\t");
    put(mg::kStaticHeaders[i].value);
    put("\n");
  }
  for (std::size_t i = 0; i < mg::kHeaderNameCount; ++i) {
    put("name\t");
    put(mg::kHeaderNames[i]);
    put("\n");
  }
  return static_cast<std::int32_t>(w);
}

// Phase 1: request facts in (`len` bytes), a decision out; returns its length.
MG_EXPORT(mg_begin) std::int32_t mg_begin(std::int32_t len) {
  mg::RequestFacts req;
  mg::protocol_read_request(std::string_view(g_in, clamp_in(len)), &req);
  req.revocations = g_revocations;
  mg::decide_begin(g_config, req, &g_decision);
  return write_decision();
}

// Phase 2: request facts, the fetch decision's plan and key echoed, and what storage
// (or the edge cache) reported, in; a decision out.
MG_EXPORT(mg_finish) std::int32_t mg_finish(std::int32_t len) {
  mg::FinishFacts fin;
  mg::protocol_read_finish(std::string_view(g_in, clamp_in(len)), &fin);
  mg::RequestFacts& req = fin.request;
  if (!fin.valid) {
    // The shim broke the protocol: fail closed with a clean 503.
    mg::decide_unreadable(g_config, req, fin.mode, &g_decision);
    return write_decision();
  }
  req.revocations = g_revocations;
  mg::decide_finish(g_config, req, fin.mode, fin.key, fin.performed, fin.object, &g_decision);
  return write_decision();
}

// Benchmark aid: runs mg_begin's decision `iterations` times on the same
// input without returning to JS, to separate the core's cost from the
// marshalling cost. Returns the output length of the last run.
MG_EXPORT(mg_bench_verify) std::int32_t mg_bench_verify(std::int32_t len, std::int32_t iterations) {
  mg::RequestFacts req;
  mg::protocol_read_request(std::string_view(g_in, clamp_in(len)), &req);
  req.revocations = g_revocations;
  for (std::int32_t i = 0; i < iterations; ++i) mg::decide_begin(g_config, req, &g_decision);
  return write_decision();
}

// --- Revocation snapshot ------------------------------------------------------

// Returns a buffer of `len` bytes for the shim to copy a snapshot into
// (0 when memory cannot grow).
MG_EXPORT(mg_snapshot_alloc) std::uintptr_t mg_snapshot_alloc(std::int32_t len) {
  g_pending_len = 0;
  Region* slot = &g_slot[pending_slot()];
  if (len < 0 || !region_reserve(slot, static_cast<std::size_t>(len) + 1, 0)) return 0;
  g_pending_len = static_cast<std::size_t>(len);
  return reinterpret_cast<std::uintptr_t>(slot->p);
}

// Validates the filled buffer and makes it the snapshot every later
// decision reads. Returns the number of entries, or -1 (invalid: the
// previous snapshot stays).
MG_EXPORT(mg_snapshot_install) std::int32_t mg_snapshot_install() {
  int slot = pending_slot();
  mg::RevocationView view;
  if (!g_slot[slot].p || !mg::revocation_view(g_slot[slot].p, g_pending_len, &view)) return -1;
  g_installed = slot;
  g_pending_len = 0;
  g_revocations = view;
  return static_cast<std::int32_t>(view.count);
}

// Installs the empty snapshot (KV holds none yet: nothing is revoked).
MG_EXPORT(mg_snapshot_clear) std::int32_t mg_snapshot_clear() {
  g_revocations = mg::RevocationView{};
  return 0;
}

// Builder: reset, add batches of "<kv name>\t<kv value>\n" lines from the
// input buffer (returns how many were revocation entries, -1 when memory
// cannot grow), then finish.
MG_EXPORT(mg_snapshot_build_reset) void mg_snapshot_build_reset() { g_build_len = 0; }

MG_EXPORT(mg_snapshot_build_add) std::int32_t mg_snapshot_build_add(std::int32_t len) {
  std::int32_t added = 0;
  bool grown = mg::protocol_for_each_line(std::string_view(g_in, clamp_in(len)), [&added](std::string_view name,
                                                                                          std::string_view value) {
    std::uint64_t entry;
    if (!mg::revocation_parse_kv(name, value, &entry)) return true;
    if (!region_reserve(&g_build, (g_build_len + 1) * sizeof entry, g_build_len * sizeof entry)) return false;
    std::memcpy(g_build.p + g_build_len * sizeof entry, &entry, sizeof entry);
    ++g_build_len;
    ++added;
    return true;
  });
  return grown ? added : -1;
}

// Adds the installed snapshot's entries outside the span (after, through]
// named by the input "<after name>\t<through name>" (an empty name: an open
// end): an incremental run replaces only the span it listed. Returns how many
// were kept, -1 for a bad name or when memory cannot grow.
MG_EXPORT(mg_snapshot_build_keep) std::int32_t mg_snapshot_build_keep(std::int32_t len) {
  std::string_view text(g_in, clamp_in(len));
  std::size_t tab = text.find('\t');
  if (tab == std::string_view::npos) return -1;
  constexpr std::size_t kEntry = sizeof(std::uint64_t);
  if (!region_reserve(&g_build, (g_build_len + g_revocations.count) * kEntry, g_build_len * kEntry)) return -1;
  auto* entries = reinterpret_cast<std::uint64_t*>(g_build.p) + g_build_len;
  long kept = mg::revocation_keep_outside(g_revocations, text.substr(0, tab), text.substr(tab + 1), entries);
  if (kept < 0) return -1;
  g_build_len += static_cast<std::size_t>(kept);
  return static_cast<std::int32_t>(kept);
}

// The installed snapshot's build time (0: none, or the empty one), and
// whether it is older than the hard age at `now` (1) or not (0): the
// scheduled handler's stuck-compaction signal.
MG_EXPORT(mg_snapshot_built_at) double mg_snapshot_built_at() { return static_cast<double>(g_revocations.built_at); }
MG_EXPORT(mg_snapshot_stale) std::int32_t mg_snapshot_stale(double now) {
  return mg::revocation_fresh(g_config, g_revocations, static_cast<std::int64_t>(now)) ? 0 : 1;
}

// Writes the snapshot of everything added; returns its length (read it at
// mg_snapshot_build_ptr()), or -1 if it cannot be built.
MG_EXPORT(mg_snapshot_build_finish) std::int32_t mg_snapshot_build_finish(double built_at) {
  std::size_t cap = mg::revocation_snapshot_bytes(g_build_len);
  if (!region_reserve(&g_built, cap, 0)) return -1;
  // g_build.p comes from memory.grow: page-aligned, so u64-aligned.
  auto* entries = reinterpret_cast<std::uint64_t*>(g_build.p);
  std::size_t n = mg::revocation_snapshot_write(entries, g_build_len, static_cast<std::int64_t>(built_at),
                                                g_built.p, cap);
  return n ? static_cast<std::int32_t>(n) : -1;
}

MG_EXPORT(mg_snapshot_build_ptr) std::uintptr_t mg_snapshot_build_ptr() {
  return reinterpret_cast<std::uintptr_t>(g_built.p);
}
