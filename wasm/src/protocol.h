// The binary protocol between the JS shim and the Wasm core
// (docs/ARCHITECTURE.md, "The Wasm ABI"). One fixed block of numbers at known
// offsets, then NUL-terminated strings in a fixed order: the shim writes the
// numbers through typed-array views and all strings with one encodeInto, and
// reads a decision the same way, with one decode. Little-endian (Wasm always
// is; the native build checks its host).
//
// The layout itself (offsets, string order, flags, codes, wire::kVersion) is
// described once, in wasm/spec/wire.json; wire_layout.h is generated from it
// (tools/gen/generate.mjs), as is the shim's worker-shim/wire.js. A decision's
// header codes: 0, the header's name and value follow as strings; a static
// code, its name and value are kStaticHeaders' (no strings); from
// kHeaderCodeName, its name is kHeaderNames' and only its value follows.
// Input numbers: an f64 holds an integer below 2^53; anything else, NaN
// included, is unreadable. Strings: absent and empty are the same; an input
// whose strings lack a terminator is read as no input; a nonzero kInputCut
// (the shim's strings did not fit) makes the core read none and answer 431.
//
// Configuration stays text (name<TAB>value lines, once per isolate).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config.h"
#include "decision.h"
#include "media_signature.h"
#include "wire_layout.h"

namespace mg {

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
  std::string_view key;  // the fetch decision's key, echoed (decide_finish checks it)
  Plan performed;
  ObjectFacts object;
  bool valid = false;   // the whole input present and the echoed plan well-formed
  char cached_buf[512]; // decoded etag and type of a cache hit
  char head_buf[kSignatureBytes];  // an upload's first bytes, decoded
};
void protocol_read_finish(std::string_view in, FinishFacts* f);

// The text inputs (configuration, the revocation builder's entries): calls
// f(name, value) for each "name<TAB>value" line of `text`, in order (a line
// without a tab is skipped), until f returns false. False when it did.
template <typename F>
bool protocol_for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    if (!f(line.substr(0, tab), line.substr(tab + 1))) return false;
  }
  return true;
}

// Configuration [vars] and bindings, as name<TAB>value lines: every var of
// settings_table.h (generated from wasm/spec/settings.json; the first line of
// a name counts), and MEDIA_BUCKET (value "1" when bound). Secrets travel
// separately (binary-safe).
void protocol_read_config(std::string_view text, ConfigText* cfg);

// Writes a decision in the layout above. Returns bytes written, 0 if `cap`
// is too small.
std::size_t protocol_write_decision(const Decision& d, char* out, std::size_t cap);

std::string_view mode_name(Mode m);

}  // namespace mg
