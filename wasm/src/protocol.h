// The binary protocol between the JS shim and the Wasm core
// (docs/ARCHITECTURE.md, "The Wasm ABI"). One fixed block of numbers at known
// offsets, then NUL-terminated strings in a fixed order: the shim writes the
// numbers through typed-array views and all strings with one encodeInto, and
// reads a decision the same way, with one decode. Little-endian (Wasm always
// is; the native build checks its host). Layout version: kWireVersion.
//
// Configuration stays text (name<TAB>value lines, once per isolate).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config.h"
#include "decision.h"

namespace mg {
namespace wire {

constexpr std::uint32_t kVersion = 4;

// The input buffer's capacity (wasm/abi/abi.cc): request facts are the URL (at
// most 16 KiB at Cloudflare) and seven headers (at most 128 KiB of headers in
// all), as UTF-8, which can be longer than the bytes the client sent.
constexpr std::size_t kInCap = 160 * 1024;

// --- Input: mg_begin reads the request part, mg_finish all of it. ----------
// Numbers (f64 hold integers below 2^53; anything else, NaN included, is unreadable).
constexpr std::size_t kNow = 0;             // f64 unix seconds
constexpr std::size_t kRevocationAge = 8;   // f64 seconds since the last snapshot load attempt started (first: since 0)
constexpr std::size_t kSample = 16;         // u32 0..999999, uniform random, for log sampling
constexpr std::size_t kRevocation = 20;     // u32 RevocationState: 0 disabled, 1 unavailable, 2 loaded (other: unavailable)
// mg_finish only: the fetch decision being answered, echoed, and what storage said.
constexpr std::size_t kMode = 24;           // u32 Mode: 0 none, 1 pub, 2 priv
constexpr std::size_t kOp = 28;             // u32 StorageOp: 0 get, 1 head
constexpr std::size_t kKind = 32;           // u32 RangeHintKind: 0 whole, 1 offset_length, 2 offset, 3 suffix
constexpr std::size_t kAttempt = 36;        // u32 1 | 2
constexpr std::size_t kOffset = 40;         // f64
constexpr std::size_t kLength = 48;         // f64
constexpr std::size_t kSuffix = 56;         // f64
constexpr std::size_t kResult = 64;         // u32 StorageResult: 0 ok, 1 missing, 2 invalid_range, 3 error, 4 timeout
constexpr std::size_t kSource = 68;         // u32 ObjectSource: 0 storage, 1 cache
constexpr std::size_t kSize = 72;           // f64 object size (storage)
constexpr std::size_t kUploaded = 80;       // f64 unix seconds (storage)
constexpr std::size_t kCacheTimedOut = 88;  // u32 1: this request's edge cache lookup outlived its deadline (read as a miss)
// mg_begin and mg_finish: nonzero when the shim's strings did not fit the
// input buffer (cut short). The core reads none of them and answers 431.
constexpr std::size_t kInputCut = 92;       // u32 0 | 1
// mg_begin and mg_finish: the revocation snapshot's load state.
constexpr std::size_t kRevocationFailures = 96;  // u32 consecutive failed load attempts (0 after a success)
constexpr std::size_t kRevocationLoading = 100;  // u32 ms since the load in flight started; 0xffffffff none
// Both: denial/error log lines the isolate wrote in the second `now` (the log budget).
constexpr std::size_t kLogRecent = 104;     // u32
constexpr std::size_t kInStrings = 108;     // first string byte
// The strings, each NUL-terminated, in this order. Absent and empty are the
// same. mg_begin reads the first ten; mg_finish needs all fourteen.
enum InString : std::size_t {
  in_method,
  in_path,                  // URL path as received, percent-encoded
  in_query,                 // URL query, with or without '?'
  in_range,                 // the request headers the core reads...
  in_if_match,
  in_if_none_match,
  in_if_modified_since,
  in_if_unmodified_since,
  in_if_range,
  in_request_id,            // ...x-request-id last
  in_etag,                  // storage: the quoted etag (R2 httpEtag)
  in_type,                  // storage: the stored content type
  in_cached,                // cache: the entry's x-mediagate-object value
  in_cached_size,           // cache: the entry's own length (content-length of a 200, the /N of a 206/416)
  in_count_
};
constexpr std::size_t kRequestStrings = in_etag;

// --- Output: a decision. ----------------------------------------------------
constexpr std::size_t kOutFetch = 0;        // u32 1: perform the plan, then mg_finish; 0: respond
constexpr std::size_t kOutStatus = 4;       // u32 HTTP status (respond)
constexpr std::size_t kOutMode = 8;         // u32 Mode (fetch: echo it into mg_finish)
constexpr std::size_t kOutFlags = 12;       // u32 flag bits below
constexpr std::size_t kOutBody = 16;        // u32 BodySource: 0 none, 1 text, 2 object
constexpr std::size_t kOutHeaders = 20;     // u32 number of header name/value string pairs
constexpr std::size_t kOutLogRate = 24;     // u32 log sampling rate of this answer, per million
constexpr std::size_t kOutDeadline = 28;    // u32 ms the shim may wait for the plan's operation, or for a snapshot load (flag wait or refresh)
constexpr std::size_t kOutOp = 32;          // u32 StorageOp (fetch)
constexpr std::size_t kOutKind = 36;        // u32 RangeHintKind 0..3 (fetch)
constexpr std::size_t kOutAttempt = 40;     // u32 1 | 2 (fetch)
constexpr std::size_t kOutVersion = 44;     // u32 kVersion
constexpr std::size_t kOutOffset = 48;      // f64 (fetch)
constexpr std::size_t kOutLength = 56;      // f64 (fetch)
constexpr std::size_t kOutSuffix = 64;      // f64 (fetch)
constexpr std::size_t kOutSpanFirst = 72;   // f64 object bytes sent, inclusive (flag span)
constexpr std::size_t kOutSpanLast = 80;    // f64
constexpr std::size_t kOutStoreLength = 88; // f64 content-length of the edge cache entry (flag store)
constexpr std::size_t kOutCacheDeadline = 96; // u32 ms the shim may wait for the edge cache lookup (flag cache)
// Then one u8 per header: 0, the header's name and value follow as strings;
// 1..127, it is kStaticHeaders[code - 1] (response.h), no strings; 128 + i,
// its name is kHeaderNames[i] and its value follows as one string.
constexpr std::size_t kOutHeaderCodes = 100;
// The strings start right after the codes: at kOutHeaderCodes + headers.
enum OutFlag : std::uint32_t {
  flag_refresh = 1,       // reload the revocation snapshot in the background
  flag_cache = 2,         // fetch: the edge cache may answer the plan, under the cache path
  flag_log = 4,           // respond: write the log line
  flag_store = 8,         // respond: store the object bytes in the edge cache
  flag_span = 16,         // respond: span first/last are set
  flag_fingerprints = 32, // respond, with log: the line carries the secrets' fingerprints
  flag_wait = 64,         // load the revocation snapshot (or wait for the load in flight), then mg_begin again
  flag_stale = 128,       // decided on a snapshot older than the hard age, or none: log and count it
  flag_fill = 256,        // respond: fill the edge cache in the background with a whole read
                          // (cache path, store meta, store length = the object's size)
  flag_budget = 512,       // respond: the log line counts against the denial budget (kLogRecent)
};
// Then NUL-terminated strings, in this order, then each header's strings (per its code).
enum OutString : std::size_t {
  out_reason,       // reason name (log, metric)
  out_event,        // log event
  out_mode,         // none | pub | priv
  out_key,          // decoded key: the storage key (fetch), for the log line (respond)
  out_cache_path,   // token-free canonical path: the edge cache key (fetch, flag store, flag fill)
  out_request_id,   // x-request-id when it is a plain id, else empty
  out_text,         // text body (body = text)
  out_store_meta,   // x-mediagate-object value of the entry to store (flag store, flag fill)
  out_count_
};

}  // namespace wire

// Request facts from the input (the request part). Strings are views into `in`.
void protocol_read_request(std::string_view in, RequestFacts* req);

// decide_finish's inputs from the input (the whole of it), the request facts
// included. A cache hit's
// metadata comes from the entry's `cached` value, and an entry whose own
// length disagrees with it is a miss (result error); the cache refusing a
// range counts only when the entry is the object its metadata describes.
struct FinishFacts {
  RequestFacts request;  // the request part, read in the same pass
  Mode mode = Mode::none;
  Plan performed;
  ObjectFacts object;
  bool valid = false;   // the whole input present and the echoed plan well-formed
  char cached_buf[512]; // decoded etag and type of a cache hit
};
void protocol_read_finish(std::string_view in, FinishFacts* f);

// Configuration [vars] and bindings, as name<TAB>value lines: MEDIA_KEY_PREFIXES,
// MEDIA_CLOCK_SKEW_SECONDS, MEDIA_MAX_TOKEN_TTL_SECONDS, MEDIA_CORP, the
// revocation, edge cache, log and debug settings, MEDIA_STORAGE_TIMEOUT_MS,
// MEDIA_EDGE_CACHE_FILL_MAX_BYTES, MEDIA_LOG_DENIAL_BUDGET, and MEDIA_BUCKET (value "1" when bound). Secrets travel separately (binary-safe).
void protocol_read_config(std::string_view text, ConfigText* cfg);

// Writes a decision in the layout above. Returns bytes written, 0 if `cap`
// is too small.
std::size_t protocol_write_decision(const Decision& d, char* out, std::size_t cap);

std::string_view mode_name(Mode m);

}  // namespace mg
