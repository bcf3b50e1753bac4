// The Wasm ABI: the only code that knows the core runs inside a Worker.
// The shim writes UTF-8 text into the input buffer, calls one export, and
// reads the output buffer (docs/ARCHITECTURE.md, "The Wasm ABI").
// State kept here is per isolate: the configuration and the secrets.
// Per-request state is not kept: a request's facts travel with every call,
// so requests interleaving across awaits cannot see each other.
#include <cstddef>
#include <cstdint>

#include "config.h"
#include "decision.h"
#include "protocol.h"

#define MG_EXPORT(name) extern "C" __attribute__((export_name(#name), used))

namespace {

constexpr std::size_t kInCap = 64 * 1024;   // request facts (the runtime caps headers at ~64 KB)
constexpr std::size_t kOutCap = 4 * 1024;   // a decision is a few hundred bytes
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
// and the secrets set before. Output: "ok\t\n" or "problem\t<SETTING>\n".
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
  for (char c : status) g_out[w++] = c;
  g_out[w++] = '\t';
  for (char c : g_config.problem) g_out[w++] = c;
  g_out[w++] = '\n';
  return static_cast<std::int32_t>(w);
}

// Phase 1: request facts in, a decision out (protocol_write_decision).
MG_EXPORT(mg_begin) std::int32_t mg_begin(std::int32_t len) {
  mg::RequestFacts req;
  mg::protocol_read_request(std::string_view(g_in, clamp_in(len)), &req);
  mg::decide_begin(g_config, req, &g_decision);
  return write_decision();
}

// Phase 2: request facts plus what storage reported, a decision out.
MG_EXPORT(mg_finish) std::int32_t mg_finish(std::int32_t len) {
  std::string_view text(g_in, clamp_in(len));
  mg::RequestFacts req;
  mg::protocol_read_request(text, &req);
  mg::FinishFacts fin;
  mg::protocol_read_finish(text, &fin);
  if (!fin.valid) {
    // The shim broke the protocol: fail closed with a clean 503.
    g_decision.fetch = false;
    mg::respond_reason(g_config, mg::Reason::storage_unavailable, fin.mode, req.method == "HEAD",
                       &g_decision.response);
    return write_decision();
  }
  mg::decide_finish(g_config, req, fin.mode, fin.performed, fin.object, &g_decision);
  return write_decision();
}

// Benchmark aid: runs mg_begin's decision `iterations` times on the same
// input without returning to JS, to separate the core's cost from the
// marshalling cost. Returns the output length of the last run.
MG_EXPORT(mg_bench_verify) std::int32_t mg_bench_verify(std::int32_t len, std::int32_t iterations) {
  mg::RequestFacts req;
  mg::protocol_read_request(std::string_view(g_in, clamp_in(len)), &req);
  for (std::int32_t i = 0; i < iterations; ++i) mg::decide_begin(g_config, req, &g_decision);
  return write_decision();
}
