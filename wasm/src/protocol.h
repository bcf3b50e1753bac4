// The text protocol between the JS shim and the Wasm core (docs/ARCHITECTURE.md).
// Lines of `name<TAB>value<LF>`; a value runs to the end of its line and
// may itself contain tabs. The first occurrence of a name wins; unknown
// names are ignored, so the shim and the core can grow independently.
#pragma once
#include <cstddef>
#include <string_view>

#include "config.h"
#include "decision.h"

namespace mg {

// Request facts: method, path, query, now, range, if-match, if-none-match,
// if-modified-since, if-unmodified-since, if-range, and the isolate's
// revocation state: revocations (disabled | unavailable | loaded) and
// revocations_age (seconds), sample (0..999999, for log sampling) and
// x-request-id. The snapshot itself is not text: the caller
// sets req->revocations.
void protocol_read_request(std::string_view text, RequestFacts* req);

// decide_finish inputs appended by the shim after the request facts:
//   mode      the `mode` line of the decision that asked for storage
//   fetch     the `fetch` line of that decision, echoed verbatim
//   result    ok | missing | invalid_range | error
//   size, etag, uploaded (unix seconds), type
// or, for an edge cache hit, instead of size/etag/uploaded/type:
//   source       cache
//   cached       the stored entry's x-mediagate-object header value
//   cached_size  the entry's own length in bytes (content-length of a 200,
//                the /N of a 206's or 416's content-range); when it disagrees
//                with the metadata's size, the hit is a miss
// (`result invalid_range` from the cache may carry cached and cached_size too:
// the refusal then counts only when they agree.)
struct FinishFacts {
  Mode mode = Mode::none;
  Plan performed;
  ObjectFacts object;
  bool valid = false;  // mode and fetch lines present and well-formed
  char cached_buf[512];  // decoded etag and type of a cache hit
};
void protocol_read_finish(std::string_view text, FinishFacts* f);

// Configuration [vars] and bindings: MEDIA_KEY_PREFIXES,
// MEDIA_CLOCK_SKEW_SECONDS, MEDIA_MAX_TOKEN_TTL_SECONDS, MEDIA_CORP, the
// revocation, edge cache, log and debug settings, MEDIA_STORAGE_TIMEOUT_MS,
// and MEDIA_BUCKET (value "1" when bound). Secrets travel separately (binary-safe).
void protocol_read_config(std::string_view text, ConfigText* cfg);

// Writes a decision:
//   fetch  <op> <kind> <offset> <length> <suffix> <attempt>   (then: mode, key,
//          `deadline <ms>` for the operation, and `cache <path>` when the edge
//          cache may answer it)
// or
//   status, reason, mode, body (none|text|object), [span first last],
//   h <name> <value> per header, [text <body>], event <log event>,
//   [log <sampling rate per million>] (write the log line), [key <decoded key>], [request_id <id>],
//   [store <path> <content-length> <x-mediagate-object value>] to fill the edge cache
// and either may carry `refresh 1`: reload the revocation snapshot.
// Returns bytes written, 0 if `cap` is too small.
std::size_t protocol_write_decision(const Decision& d, char* out, std::size_t cap);

std::string_view mode_name(Mode m);

}  // namespace mg
