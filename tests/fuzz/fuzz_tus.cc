// Fuzz target `tus`: the resumable upload decisions (docs/UPLOADS.md, "Resumable uploads";
// decide_begin and decide_finish driven as worker-shim/index.js and tus.js drive them) over
// structured random tus requests and whatever the upload state object and R2 report: a
// configuration (uploads and the state binding on or off, MEDIA_MAX_RESUMABLE_BYTES,
// MEDIA_UPLOAD_EXPIRY_SECONDS, the type list), a method (OPTIONS, POST, HEAD with and without
// Tus-Resumable, PATCH, DELETE, and others), a key, a token (a put token minted for that key or
// another, valid, expired or too far ahead, with or without n; a pub or priv token; a
// hand-written put payload signed with the configured secret; a good token with one byte
// changed), Tus-Resumable, Upload-Length, Upload-Offset, Upload-Metadata (filetype as
// tus-js-client sends it, or broken), content-type and content-length; then for every op
// asked, a result and the upload's facts (state, lease, family flag, length, offset, part size,
// created, expires, type), mostly those a state object could report for this upload, sometimes
// any at all; the sniff's first bytes (a family's magic number or not, whole or cut short); now
// and then a performed op or mode that is not the one asked (the shim breaking the protocol).
//
// Invariants, for every input:
//  - no crash, no undefined behaviour (ASan+UBSan), every decision final within the shim's six
//    ops; when the harness performs the op asked, within four;
//  - every answer to a tus request (tus on: OPTIONS, POST, PATCH, DELETE, HEAD with
//    Tus-Resumable) carries `Tus-Resumable: 1.0.0`, and no other answer does; `Tus-Version` only on
//    OPTIONS and the version's 412; every answer has its reason's status, in the contract's set
//    for tus (200, 201, 204, 400, 401, 404, 409, 412, 413, 415, 423, 431, 503), the five security
//    headers, `cache-control: private, no-store`, no header twice, no CR/LF/NUL in a value;
//  - a 2xx is the method's own (OPTIONS 204, POST 201, HEAD 200, PATCH 204, DELETE 204) and,
//    but for OPTIONS, only for a put token signed with a configured secret for the request's key;
//    a token the harness did not sign (a byte changed, another secret) asks no op at all;
//  - a 2xx PATCH's Upload-Offset is the last facts' offset; a HEAD 200's Upload-Offset and
//    Upload-Length are the facts'; a 201's Location is the request's path and `?t=` + its token;
//  - abort only on a refusal of the upload itself (412, 413, 415) of a PATCH or HEAD; release only
//    for a PATCH whose tus_begin was granted, never with abort; 423 only when the lease was held;
//    a PATCH 2xx only after a granted tus_begin; upload_completed (PATCH) and
//    upload_completed_head (HEAD) only after tus_complete ok; an expired put token's 2xx only
//    for a live upload created by e + leeway, and a POST's only retrying that creation;
//  - the plans' numbers: tus_begin at the claimed Upload-Offset; the sniff at the facts' offset
//    for min(length, 256) bytes; tus_patch at the facts' offset, length and part size;
//    tus_complete for the facts' length; tus_create with tus_part_size(Upload-Length), expiry
//    now + MEDIA_UPLOAD_EXPIRY_SECONDS, the length within min(n, MEDIA_MAX_RESUMABLE_BYTES), the
//    token's ct; each method asks only its own ops;
//  - the family check: bytes go to tus_patch with family_ok only when the facts say the check
//    passed or this request's sniff matched signature_check for the upload's type; a PATCH
//    completes only an upload that is completing or whose check passed.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <string>

#include "config.h"
#include "decision.h"
#include "fuzz_util.h"
#include "key.h"
#include "media_signature.h"
#include "token.h"
#include "tus.h"

namespace {

using mgfuzz::pick;
using mgfuzz::clamp_add;
using mgfuzz::lower;

using mg::Reason;
using mg::StorageOp;
using mg::StorageResult;
using mg::TusLease;
using mg::TusState;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::string_view kPrevious = "the previous secret";
constexpr std::string_view kUnknown = "a secret nobody configured";
constexpr std::int64_t kBaseNow = 1767225600;

const char* const kKeyPieces[] = {"a", "b", "0", "_", "-", ".", "/", "~", " ", "+", "%", "\xc3\xa9", ".mp4", "me_1/"};
const char* const kTypes[] = {"video/mp4", "video/quicktime", "video/webm", "image/png", "image/jpeg",
                              "image/avif", "Video/MP4",      "text/html",  "image/svg+xml"};
const char* const kTypeLists[] = {"", "video/mp4, image/png", "video/webm", "image/jpeg,video/quicktime"};
const char* const kMaxResumable[] = {"1", "256", "1000", "5242880", "4294967296", "52428800000"};
const char* const kExpiry[] = {"1", "2", "86400", "518400"};
const char* const kMethods[] = {"OPTIONS", "POST", "HEAD", "PATCH", "DELETE", "GET", "PUT", "PROPFIND", "patch", ""};
const std::string_view kMagic[] = {
    std::string_view("\0\0\0\x18" "ftypisom\0\0\x02\0isomiso2", 24),
    std::string_view("\0\0\0\x14" "ftypqt  \0\0\x02\0qt  ", 20),
    std::string_view("\x1A\x45\xDF\xA3", 4),
    std::string_view("\x89PNG\r\n\x1A\n\0\0\0\x0DIHDR", 16),
    std::string_view("\xFF\xD8\xFF\xE0", 4),
    std::string_view("\0\0\0\x1C" "ftypavif\0\0\0\0avifmif1miaf", 28),
    "<!doctype html>",
};
const StorageOp kOps[] = {StorageOp::get,       StorageOp::head,       StorageOp::sniff,
                          StorageOp::put,       StorageOp::tus_state,  StorageOp::tus_begin,
                          StorageOp::tus_create, StorageOp::tus_patch, StorageOp::tus_complete,
                          StorageOp::tus_terminate};

enum class TokenKind : std::uint8_t { put, pub, priv, handmade, mutated, none };

std::string base64(std::string_view in) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  auto byte = [&](std::size_t j) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[j])); };
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], a[v & 63]};
  }
  if (i + 1 == in.size()) out += {a[byte(i) >> 2], a[(byte(i) & 3) << 4], '=', '='};
  if (i + 2 == in.size()) {
    std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8;
    out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], '='};
  }
  return out;
}

// A number header around the interesting values, or any text.
std::string number_header(FuzzedDataProvider& p, std::uint64_t near) {
  switch (p.ConsumeIntegralInRange(0, 11)) {
    case 0: return "";
    case 1: return p.ConsumeRandomLengthString(24);
    case 2: return std::to_string(p.ConsumeIntegral<std::uint64_t>());
    case 3: return " " + std::to_string(near) + "\t";
    case 4: return "-" + std::to_string(near);
    case 5: return std::to_string(near) + ", " + std::to_string(near);
    case 6: return "18446744073709551616";
    case 7: return std::to_string(near + 1);
    case 8: return near ? std::to_string(near - 1) : "0";
    default: return std::to_string(near);
  }
}

struct Scenario {
  // Configuration.
  bool uploads = true, state_bound = true;
  std::string max_resumable, expiry, types, previous;
  bool max_resumable_set = false, expiry_set = false, types_set = false, debug = false;
  // The request.
  std::string method, key, path, query, token;
  std::int64_t now = kBaseNow;
  TokenKind kind = TokenKind::put;
  std::string token_key, token_ct;
  std::uint64_t token_n = 0;
  std::int64_t token_exp = 0;
  std::string_view token_secret;
  bool minted = false;
  std::string tus, upload_length, upload_offset, upload_metadata, content_type, content_length;
  bool too_large = false;
  // The upload as the state object holds it, before this request.
  bool row = false;
  mg::TusFacts facts;
  std::string row_ct;
  std::string body;  // the request body's first bytes (the sniff)
};

void build(FuzzedDataProvider& p, Scenario* s) {
  s->body = p.ConsumeRandomLengthString(300);
  if (p.ConsumeBool()) s->body = std::string(pick(p, kMagic)) + s->body;

  s->uploads = p.ConsumeIntegralInRange(0, 15) != 0;
  s->state_bound = p.ConsumeIntegralInRange(0, 15) != 0;
  s->max_resumable_set = p.ConsumeBool();
  s->max_resumable = pick(p, kMaxResumable);
  s->expiry_set = p.ConsumeBool();
  s->expiry = pick(p, kExpiry);
  s->types = pick(p, kTypeLists);
  s->types_set = !s->types.empty() && p.ConsumeBool();
  if (p.ConsumeIntegralInRange(0, 7) == 0) s->previous = kPrevious;
  s->debug = p.ConsumeIntegralInRange(0, 7) == 0;

  s->method = p.ConsumeIntegralInRange(0, 15) == 0 ? p.ConsumeRandomLengthString(8) : std::string(pick(p, kMethods));
  s->now = p.ConsumeIntegralInRange(0, 15) == 0 ? p.ConsumeIntegral<std::int64_t>() : kBaseNow;
  s->too_large = p.ConsumeIntegralInRange(0, 63) == 0;

  s->key = "u/";
  for (int i = p.ConsumeIntegralInRange(0, 5); i > 0; --i) s->key += pick(p, kKeyPieces);
  s->key += ".mp4";
  s->path = p.ConsumeIntegralInRange(0, 15) == 0 ? p.ConsumeRandomLengthString(40) : "/m/" + mgfuzz::quote_path(s->key);

  // The token.
  const int k = p.ConsumeIntegralInRange(0, 15);
  s->kind = k < 10 ? TokenKind::put : static_cast<TokenKind>(k - 9 > 5 ? 5 : k - 9);
  s->token_key = p.ConsumeIntegralInRange(0, 11) == 0 ? s->key + "x" : s->key;
  s->token_ct = p.ConsumeIntegralInRange(0, 11) == 0 ? p.ConsumeRandomLengthString(40) : std::string(pick(p, kTypes));
  switch (p.ConsumeIntegralInRange(0, 5)) {
    case 0: s->token_n = p.ConsumeIntegral<std::uint64_t>(); break;
    case 1: s->token_n = p.ConsumeIntegralInRange<std::uint64_t>(1, 20000000); break;
    default: s->token_n = 0; break;
  }
  switch (p.ConsumeIntegralInRange(0, 7)) {
    case 0: s->token_exp = p.ConsumeIntegral<std::int64_t>(); break;
    case 1: s->token_exp = clamp_add(s->now, p.ConsumeIntegralInRange<std::int64_t>(-200000, 200000)); break;
    case 2: s->token_exp = clamp_add(s->now, p.ConsumeBool() ? -61 : -60); break;
    case 3: s->token_exp = clamp_add(s->now, -3600); break;
    default: s->token_exp = clamp_add(s->now, 600); break;
  }
  switch (p.ConsumeIntegralInRange(0, 11)) {
    case 0: s->token_secret = kUnknown; break;
    case 1: s->token_secret = kPrevious; break;
    default: s->token_secret = kSecret; break;
  }
  static char tok[mg::kMaxTokenBytes + 64];
  std::size_t n = 0;
  switch (s->kind) {
    case TokenKind::put:
    case TokenKind::mutated:
      n = mg::token_mint_put(s->token_key, s->token_ct, s->token_n, s->token_exp, s->token_secret, tok, sizeof tok);
      s->token.assign(tok, n);
      break;
    case TokenKind::pub:
    case TokenKind::priv:
      n = mg::token_mint(s->token_key, s->kind == TokenKind::pub ? mg::Mode::pub : mg::Mode::priv, s->token_exp,
                         s->token_secret, tok, sizeof tok);
      s->token.assign(tok, n);
      break;
    case TokenKind::handmade: {
      std::string payload = "{\"ct\":" + p.ConsumeRandomLengthString(30) + ",\"e\":" + std::to_string(s->token_exp) +
                            ",\"k\":\"" + s->key + "\",\"m\":\"put\"" + p.ConsumeRandomLengthString(16) + "}";
      unsigned char mac[32];
      mg::hmac_sha256(kSecret, reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac);
      char a[mg::kMaxTokenBytes], b[64];
      std::size_t na = mg::b64url_encode(reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), a,
                                         sizeof a);
      std::size_t nb = mg::b64url_encode(mac, 32, b, sizeof b);
      s->token = std::string(a, na) + "." + std::string(b, nb);
      n = na;
      break;
    }
    case TokenKind::none:
      break;
  }
  s->minted = n > 0;
  if (s->kind == TokenKind::mutated && !s->token.empty()) {
    std::size_t at = p.ConsumeIntegralInRange<std::size_t>(0, s->token.size() - 1);
    s->token[at] = static_cast<char>(s->token[at] ^ p.ConsumeIntegralInRange<std::uint8_t>(1, 255));
  }
  s->query = s->kind == TokenKind::none ? "" : "?t=" + s->token;

  // The upload's row, before this request.
  std::uint64_t length = 0;
  switch (p.ConsumeIntegralInRange(0, 7)) {
    case 0: length = p.ConsumeIntegral<std::uint64_t>(); break;
    case 1: length = p.ConsumeIntegralInRange<std::uint64_t>(1, 300); break;
    case 2: length = 5 * mg::kTusMiB * p.ConsumeIntegralInRange<std::uint64_t>(1, 4); break;
    default: length = p.ConsumeIntegralInRange<std::uint64_t>(1, 30 * mg::kTusMiB); break;
  }
  s->row = p.ConsumeIntegralInRange(0, 5) != 0;
  mg::TusFacts& t = s->facts;
  if (s->row) {
    t.state = static_cast<TusState>(p.ConsumeIntegralInRange(0, 5) < 3 ? 1 : p.ConsumeIntegralInRange(1, 4));
    t.length = length;
    switch (p.ConsumeIntegralInRange(0, 5)) {
      case 0: t.offset = length; break;
      case 1: t.offset = p.ConsumeIntegral<std::uint64_t>(); break;
      case 2: t.offset = 0; break;
      default: t.offset = p.ConsumeIntegralInRange<std::uint64_t>(0, length); break;
    }
    t.part_size = p.ConsumeIntegralInRange(0, 9) == 0 ? p.ConsumeIntegral<std::uint64_t>() : mg::tus_part_size(length);
    t.parts_end = t.part_size ? t.offset / t.part_size * t.part_size : 0;
    t.family_ok = t.offset >= 256 ? p.ConsumeIntegralInRange(0, 7) != 0 : p.ConsumeIntegralInRange(0, 7) == 0;
    t.created = p.ConsumeIntegralInRange(0, 9) == 0 ? p.ConsumeIntegral<std::int64_t>()
                                                    : clamp_add(s->now, -p.ConsumeIntegralInRange<std::int64_t>(0, 100000));
    t.expires = p.ConsumeIntegralInRange(0, 9) == 0 ? p.ConsumeIntegral<std::int64_t>()
                                                    : clamp_add(t.created, p.ConsumeIntegralInRange<std::int64_t>(0, 200000));
    s->row_ct = p.ConsumeIntegralInRange(0, 7) == 0 ? std::string(pick(p, kTypes)) : lower(s->token_ct);
  }

  // Headers around the token and the row.
  switch (p.ConsumeIntegralInRange(0, 9)) {
    case 0: s->tus = ""; break;
    case 1: s->tus = p.ConsumeRandomLengthString(10); break;
    case 2: s->tus = "0.2.2"; break;
    case 3: s->tus = " 1.0.0 "; break;
    default: s->tus = "1.0.0"; break;
  }
  s->upload_length = number_header(p, length);
  s->upload_offset = number_header(p, t.offset);
  switch (p.ConsumeIntegralInRange(0, 9)) {
    case 0: s->upload_metadata = ""; break;
    case 1: s->upload_metadata = p.ConsumeRandomLengthString(60); break;
    case 2: s->upload_metadata = "filetype " + base64(pick(p, kTypes)); break;
    case 3: s->upload_metadata = "filename " + base64("a.mp4"); break;
    case 4: s->upload_metadata = "filetype " + base64(s->token_ct) + ",filetype " + base64(s->token_ct); break;
    case 5: s->upload_metadata = "filetype " + base64(s->token_ct + "; codecs=x"); break;
    default: s->upload_metadata = "filename " + base64("clip.mp4") + ",filetype " + base64(s->token_ct); break;
  }
  switch (p.ConsumeIntegralInRange(0, 9)) {
    case 0: s->content_type = ""; break;
    case 1: s->content_type = p.ConsumeRandomLengthString(40); break;
    case 2: s->content_type = "application/octet-stream"; break;
    case 3: s->content_type = "Application/Offset+Octet-Stream; x=1"; break;
    default: s->content_type = "application/offset+octet-stream"; break;
  }
  const std::uint64_t remaining = t.length > t.offset ? t.length - t.offset : 0;
  switch (p.ConsumeIntegralInRange(0, 7)) {
    case 0: s->content_length = ""; break;
    case 1: s->content_length = p.ConsumeRandomLengthString(12); break;
    case 2: s->content_length = std::to_string(remaining + 1); break;
    case 3: s->content_length = "0"; break;
    default: s->content_length = std::to_string(p.ConsumeIntegralInRange<std::uint64_t>(0, remaining)); break;
  }
}

// --- What the harness knows ----------------------------------------------------------------

bool is_tus_request(const mg::Config& c, const mg::RequestFacts& req) {
  if (!c.uploads || !c.has_upload_state) return false;
  const std::string_view m = req.method;
  return m == "OPTIONS" || m == "POST" || m == "PATCH" || m == "DELETE" || (m == "HEAD" && !req.tus_resumable.empty());
}

bool tus_op(StorageOp op) {
  return op == StorageOp::tus_state || op == StorageOp::tus_begin || op == StorageOp::tus_create ||
         op == StorageOp::tus_patch || op == StorageOp::tus_complete || op == StorageOp::tus_terminate;
}

// The ops a method of tus may ask (docs/UPLOADS.md, "Resumable uploads").
bool op_allowed(std::string_view method, StorageOp op) {
  if (method == "POST") return op == StorageOp::tus_state || op == StorageOp::head || op == StorageOp::tus_create;
  if (method == "HEAD") return op == StorageOp::tus_state || op == StorageOp::tus_complete;
  if (method == "PATCH")
    return op == StorageOp::tus_begin || op == StorageOp::sniff || op == StorageOp::tus_patch ||
           op == StorageOp::tus_complete;
  if (method == "DELETE") return op == StorageOp::tus_state || op == StorageOp::tus_terminate;
  return false;
}

bool tus_status(int status) {
  switch (status) {
    case 200: case 201: case 204: case 400: case 401: case 404: case 409: case 412: case 413: case 415: case 423:
    case 431: case 503:
      return true;
    default:
      return false;
  }
}

// Reasons of the read path or the single PUT: never a tus answer.
bool foreign_reason(Reason r) {
  return r == Reason::serve_full || r == Reason::serve_partial || r == Reason::not_modified ||
         r == Reason::range_not_satisfiable || r == Reason::object_missing || r == Reason::precondition_failed ||
         r == Reason::upload_stored || r == Reason::upload_retry || r == Reason::length_required ||
         r == Reason::bad_length || r == Reason::incomplete_upload || r == Reason::method_not_allowed;
}

void check_headers(const mg::Config& c, const mg::Response& r) {
  MG_FUZZ_CHECK(r.status == mg::reason_info(r.reason).status);
  for (std::size_t i = 0; i < r.n_headers; ++i) {
    MG_FUZZ_CHECK(mgfuzz::clean_value(r.headers[i].value));
    for (std::size_t j = i + 1; j < r.n_headers; ++j) MG_FUZZ_CHECK(r.headers[i].name != r.headers[j].name);
  }
  MG_FUZZ_CHECK(r.find("x-content-type-options") == "nosniff");
  MG_FUZZ_CHECK(r.find("referrer-policy") == "no-referrer");
  MG_FUZZ_CHECK(r.find("cross-origin-resource-policy") == (c.corp_same_site ? "same-site" : "same-origin"));
  MG_FUZZ_CHECK(r.find("x-robots-tag") == "noindex, nofollow");
  MG_FUZZ_CHECK(r.find("content-security-policy") == "default-src 'none'; sandbox");
}

// One op's report: mostly what a state object and R2 could say about this upload
// (`plausible`), sometimes anything at all.
struct Report {
  mg::ObjectFacts obj;
  std::string head, ct, etag;
};

StorageResult any_result(FuzzedDataProvider& p) {
  return static_cast<StorageResult>(p.ConsumeIntegralInRange(0, 8));
}

void report(FuzzedDataProvider& p, const Scenario& s, const mg::Decision& d, const mg::Plan& performed,
            mg::TusFacts* row, Report* rep) {
  mg::ObjectFacts& o = rep->obj;
  o = mg::ObjectFacts{};
  const int fault = p.ConsumeIntegralInRange(0, 9);
  o.result = fault == 0 ? any_result(p) : StorageResult::ok;
  if (p.ConsumeIntegralInRange(0, 15) == 0) {
    // Anything at all.
    row->state = static_cast<TusState>(p.ConsumeIntegralInRange(0, 4));
    row->lease = static_cast<TusLease>(p.ConsumeIntegralInRange(0, 3));
    row->family_ok = p.ConsumeBool();
    row->length = p.ConsumeIntegral<std::uint64_t>();
    row->offset = p.ConsumeIntegral<std::uint64_t>();
    row->part_size = p.ConsumeIntegral<std::uint64_t>();
    row->parts_end = p.ConsumeIntegral<std::uint64_t>();
    row->created = p.ConsumeIntegral<std::int64_t>();
    row->expires = p.ConsumeIntegral<std::int64_t>();
    rep->ct = p.ConsumeRandomLengthString(40);
  } else {
    row->lease = TusLease::none;
    switch (performed.op) {
      case StorageOp::tus_begin:
        if (row->state == TusState::none) break;
        if (p.ConsumeIntegralInRange(0, 5) == 0) row->lease = TusLease::held;
        else row->lease = row->offset == performed.range.offset ? TusLease::granted : TusLease::mismatch;
        break;
      case StorageOp::head:
        if (fault != 0) o.result = p.ConsumeIntegralInRange(0, 2) == 0 ? StorageResult::ok : StorageResult::missing;
        break;
      case StorageOp::tus_create:
        if (row->state == TusState::none || row->state == TusState::done) {
          row->state = TusState::open;
          row->length = d.upload_length;
          row->offset = row->parts_end = 0;
          row->part_size = d.tus_part_size;
          row->family_ok = false;
          row->created = s.now;
          row->expires = d.tus_expires;
          rep->ct = std::string(d.put_type_view());
        } else if (fault != 0) {
          o.result = StorageResult::exists;
        }
        break;
      case StorageOp::tus_patch: {
        const std::uint64_t left = row->length > row->offset ? row->length - row->offset : 0;
        if (fault != 0) {
          const int r = p.ConsumeIntegralInRange(0, 7);
          o.result = r == 0 ? StorageResult::overflow : r == 1 ? StorageResult::stale
                     : r == 2 ? StorageResult::incomplete : StorageResult::ok;
        }
        row->offset += p.ConsumeBool() ? left : p.ConsumeIntegralInRange<std::uint64_t>(0, left);
        row->family_ok = row->family_ok || d.tus_family_ok;
        if (row->offset == row->length && row->length > row->part_size) row->state = TusState::completing;
        break;
      }
      case StorageOp::tus_complete:
        if (fault != 0) {
          const int r = p.ConsumeIntegralInRange(0, 5);
          o.result = r == 0 ? StorageResult::exists : r == 1 ? StorageResult::stale : StorageResult::ok;
        }
        if (o.result == StorageResult::ok) {
          row->state = TusState::done;
          row->offset = row->length;
          o.size = row->length;
          rep->etag = "\"etag-1\"";
          o.etag = rep->etag;
          o.uploaded = s.now;
        }
        break;
      case StorageOp::tus_terminate:
        if (row->state != TusState::none) row->state = TusState::aborting;
        break;
      case StorageOp::sniff: {
        if (fault != 0 && p.ConsumeIntegralInRange(0, 3) == 0) o.result = StorageResult::incomplete;
        std::size_t want = static_cast<std::size_t>(performed.range.length);
        std::size_t got = p.ConsumeIntegralInRange(0, 3) == 0 ? p.ConsumeIntegralInRange<std::size_t>(0, want) : want;
        rep->head = s.body.substr(0, got);
        break;
      }
      default:
        break;
    }
  }
  o.head = rep->head;
  o.tus = *row;
  o.tus.content_type = rep->ct;
}

void run(FuzzedDataProvider& p, const Scenario& s) {
  mg::ConfigText text;
  text.has_bucket = true;
  text.secret = kSecret;
  text.secret_set = true;
  text.secret_previous = s.previous;
  text.secret_previous_set = !s.previous.empty();
  text.uploads = s.uploads ? "on" : "off";
  text.uploads_set = true;
  text.has_upload_state = s.state_bound;
  text.max_resumable_bytes = s.max_resumable;
  text.max_resumable_bytes_set = s.max_resumable_set;
  text.upload_expiry = s.expiry;
  text.upload_expiry_set = s.expiry_set;
  text.upload_types = s.types;
  text.upload_types_set = s.types_set;
  text.debug_headers = "on";
  text.debug_headers_set = s.debug;
  static mg::Config c;
  c = mg::Config{};
  MG_FUZZ_CHECK(mg::config_load(text, &c));

  mg::RequestFacts req;
  req.method = s.method;
  req.path = s.path;
  req.query = s.query;
  req.now = s.now;
  req.tus_resumable = s.tus;
  req.upload_length = s.upload_length;
  req.upload_offset = s.upload_offset;
  req.upload_metadata = s.upload_metadata;
  req.content_type = s.content_type;
  req.content_length = s.content_length;
  req.too_large = s.too_large;
  const bool tus = is_tus_request(c, req);

  // What the harness knows of the token: minted by it with a configured secret, unchanged, a put token.
  const bool signed_ok = s.minted && (s.token_secret == kSecret || (s.token_secret == kPrevious && !s.previous.empty()));
  const bool forged = s.kind == TokenKind::mutated || (s.minted && !signed_ok && s.kind != TokenKind::handmade);
  char decoded[mg::kMaxKeyBytes];
  std::size_t decoded_len = 0;
  const bool key_ok = s.path.substr(0, 3) == "/m/" &&
                      mg::key_decode(std::string_view(s.path).substr(3), decoded, &decoded_len);
  const bool for_key = key_ok && s.token_key == std::string_view(decoded, decoded_len);
  const bool writer = (s.kind == TokenKind::put && signed_ok && for_key) || s.kind == TokenKind::handmade;
  std::uint64_t claimed = 0;
  const bool claimed_ok = mg::tus_parse_number(s.upload_offset, &claimed);

  static mg::Decision da, db;
  mg::Decision* d = &da;
  mg::Decision* next = &db;
  mg::decide_begin(c, req, d);
  if (forged || !tus) MG_FUZZ_CHECK(!d->fetch || !tus_op(d->plan.op));
  if (forged && tus) MG_FUZZ_CHECK(!d->fetch);

  mg::TusFacts row = s.facts;
  Report rep;
  rep.ct = s.row_ct;
  bool honest = true, granted = false, held = false, checked = false, completed = false;
  StorageOp last = StorageOp::get;
  mg::TusFacts seen;   // the facts the core last read
  mg::TusFacts first;  // the facts of the first op (the token is judged on them)
  int ops = 0;
  static const bool trace = std::getenv("MG_FUZZ_TUS_TRACE") != nullptr;
  while (d->fetch && ops < 6) {
    const mg::Plan plan = d->plan;
    ++ops;
    if (trace)
      std::fprintf(stderr, "tus-trace op %d offset=%llu length=%llu family_ok=%d; before it: state=%d offset=%llu length=%llu family_ok=%d\n",
                   static_cast<int>(plan.op), static_cast<unsigned long long>(plan.range.offset),
                   static_cast<unsigned long long>(plan.range.length), d->tus_family_ok, static_cast<int>(seen.state),
                   static_cast<unsigned long long>(seen.offset), static_cast<unsigned long long>(seen.length), seen.family_ok);
    MG_FUZZ_CHECK(d->mode == mg::Mode::put || !tus);
    if (tus && honest) {
      // The method's own ops, with the numbers the shim works from.
      MG_FUZZ_CHECK(op_allowed(s.method, plan.op));
      MG_FUZZ_CHECK(writer);
      switch (plan.op) {
        case StorageOp::tus_begin:
          MG_FUZZ_CHECK(ops == 1 && claimed_ok && plan.range.offset == claimed && d->tus_lease_ms > 0);
          break;
        case StorageOp::sniff:
          MG_FUZZ_CHECK(granted && !seen.family_ok);
          MG_FUZZ_CHECK(plan.range.offset == seen.offset);
          MG_FUZZ_CHECK(plan.range.length == (seen.length < mg::kSignatureBytes ? seen.length : mg::kSignatureBytes));
          break;
        case StorageOp::tus_patch:
          MG_FUZZ_CHECK(granted);
          MG_FUZZ_CHECK(plan.range.offset == seen.offset && plan.range.length == seen.length);
          MG_FUZZ_CHECK(d->tus_part_size == seen.part_size && d->tus_lease_ms > 0);
          // Bytes move as checked only when the check passed.
          if (d->tus_family_ok) MG_FUZZ_CHECK(seen.family_ok || checked);
          break;
        case StorageOp::tus_complete:
          MG_FUZZ_CHECK(plan.range.length == seen.length && d->upload_length == seen.length);
          MG_FUZZ_CHECK(seen.state == TusState::completing || seen.family_ok || checked);
          if (s.method == "PATCH") MG_FUZZ_CHECK(granted);
          break;
        case StorageOp::head:
          // An expired token never creates: only the state is read.
          MG_FUZZ_CHECK(!(s.kind == TokenKind::put && s.now > clamp_add(s.token_exp, c.leeway)));
          break;
        case StorageOp::tus_create: {
          MG_FUZZ_CHECK(!(s.kind == TokenKind::put && s.now > clamp_add(s.token_exp, c.leeway)));
          std::uint64_t length = 0;
          MG_FUZZ_CHECK(mg::tus_parse_number(s.upload_length, &length));
          MG_FUZZ_CHECK(length > 0 && d->upload_length == length);
          std::uint64_t limit = static_cast<std::uint64_t>(c.max_resumable_bytes);
          MG_FUZZ_CHECK(length <= limit);
          MG_FUZZ_CHECK(d->tus_part_size == mg::tus_part_size(length));
          MG_FUZZ_CHECK(d->tus_expires == clamp_add(s.now, c.upload_expiry));
          if (s.kind == TokenKind::put) {
            MG_FUZZ_CHECK(s.token_n == 0 || length <= s.token_n);
            MG_FUZZ_CHECK(d->put_type_view() == lower(s.token_ct));
          }
          break;
        }
        default:
          break;
      }
    }
    mg::Plan performed = plan;
    mg::Mode mode = d->mode;
    std::string_view key = d->key_view();
    static char long_key[mg::kMaxKeyBytes + 2];
    switch (p.ConsumeIntegralInRange(0, 47)) {
      case 0:
        performed.op = pick(p, kOps);
        honest = honest && performed.op == plan.op;
        break;
      case 1:
        mode = static_cast<mg::Mode>(p.ConsumeIntegralInRange(0, 3));
        honest = honest && mode == d->mode;
        break;
      case 2:
        key = p.ConsumeBool() ? std::string_view{} : std::string_view(long_key, sizeof long_key);
        honest = false;
        break;
      default:
        break;
    }
    report(p, s, *d, performed, &row, &rep);
    seen = rep.obj.tus;
    if (ops == 1) first = seen;
    if (trace)
      std::fprintf(stderr, "tus-trace   performed %d result %d: state=%d lease=%d offset=%llu length=%llu family_ok=%d head=%zu\n",
                   static_cast<int>(performed.op), static_cast<int>(rep.obj.result), static_cast<int>(seen.state),
                   static_cast<int>(seen.lease), static_cast<unsigned long long>(seen.offset),
                   static_cast<unsigned long long>(seen.length), seen.family_ok, rep.head.size());
    last = performed.op;
    if (performed.op == StorageOp::tus_begin) {
      granted = rep.obj.result == StorageResult::ok && seen.lease == TusLease::granted;
      held = rep.obj.result == StorageResult::ok && seen.lease == TusLease::held;
    }
    if (performed.op == StorageOp::sniff && rep.obj.result != StorageResult::error &&
        rep.obj.result != StorageResult::timeout && rep.head.size() >= performed.range.length &&
        mg::signature_check(mg::signature_family_of_type(seen.content_type), rep.head) == mg::SignatureCheck::match)
      checked = true;
    completed = performed.op == StorageOp::tus_complete && rep.obj.result == StorageResult::ok;
    mg::decide_finish(c, req, mode, key, performed, rep.obj, next);
    std::swap(d, next);
  }
  if (honest) MG_FUZZ_CHECK(!d->fetch && (!tus || ops <= 4));
  if (d->fetch) return;  // a shim that keeps breaking the protocol: index.js stops at six

  // The answer.
  const mg::Response& r = d->response;
  // MG_FUZZ_TUS_TRACE=1: the ops and the answer, to pick seeds and read a crash.
  if (trace) {
    const std::string_view name = mg::reason_info(r.reason).name;
    std::fprintf(stderr, "tus-trace %s tus=%d ops=%d honest=%d status=%d reason=%.*s abort=%d release=%d\n",
                 s.method.c_str(), tus, ops, honest, r.status, static_cast<int>(name.size()), name.data(), d->tus_abort,
                 d->tus_release);
  }
  check_headers(c, r);
  MG_FUZZ_CHECK((r.find("tus-resumable") == "1.0.0") == tus);
  if (!tus) {
    MG_FUZZ_CHECK(!d->tus_abort && !d->tus_release);
    return;
  }
  MG_FUZZ_CHECK(d->upload || s.too_large);
  MG_FUZZ_CHECK(r.find("cache-control") == "private, no-store");
  MG_FUZZ_CHECK(tus_status(r.status));
  MG_FUZZ_CHECK(!foreign_reason(r.reason));
  MG_FUZZ_CHECK((r.find("tus-version") == "1.0.0") == (r.reason == Reason::tus_version || r.reason == Reason::tus_options));
  if (s.debug) MG_FUZZ_CHECK(r.find("x-mediagate-reason") == mg::reason_info(r.reason).name);

  // Abort only on a refusal of the upload itself; release only for a granted PATCH.
  if (d->tus_abort) {
    MG_FUZZ_CHECK(r.status == 412 || r.status == 413 || r.status == 415);
    MG_FUZZ_CHECK(s.method == "PATCH" || s.method == "HEAD");
    MG_FUZZ_CHECK(!d->tus_release);
  }
  if (d->tus_release) MG_FUZZ_CHECK(s.method == "PATCH" && (granted || !honest));
  if (r.status == 423) MG_FUZZ_CHECK(s.method == "PATCH" && (held || !honest));

  const bool success = r.status >= 200 && r.status < 300;
  if (!success) return;
  if (s.method == "OPTIONS") {
    MG_FUZZ_CHECK(r.reason == Reason::tus_options && r.status == 204);
    MG_FUZZ_CHECK(r.find("tus-max-size") == std::to_string(c.max_resumable_bytes));
    return;
  }
  MG_FUZZ_CHECK(writer);
  MG_FUZZ_CHECK(!d->tus_abort);
  if (!honest) return;
  if (s.kind == TokenKind::put) {
    // An expired put token: only for an upload it could have created, still live.
    MG_FUZZ_CHECK(s.token_exp <= clamp_add(s.now, clamp_add(c.max_upload_ttl, c.leeway)));
    if (s.now > clamp_add(s.token_exp, c.leeway)) {
      MG_FUZZ_CHECK(first.created <= clamp_add(s.token_exp, c.leeway) && s.now < first.expires);
      // A POST only retries the creation of that upload: the same length, nothing created.
      if (s.method == "POST") {
        std::uint64_t length = 0;
        MG_FUZZ_CHECK(ops == 1 && mg::tus_parse_number(s.upload_length, &length) && length == first.length);
      }
    }
  }
  if (s.method == "POST") {
    MG_FUZZ_CHECK(r.reason == Reason::upload_created && r.status == 201);
    MG_FUZZ_CHECK(r.find("location") == s.path + "?t=" + s.token);
  } else if (s.method == "HEAD") {
    // Where it stands, or, when it was completing, completed by this HEAD.
    MG_FUZZ_CHECK(r.status == 200);
    MG_FUZZ_CHECK(r.reason == (last == StorageOp::tus_complete ? Reason::upload_completed_head : Reason::upload_offset));
    if (last == StorageOp::tus_complete) MG_FUZZ_CHECK(completed);
    MG_FUZZ_CHECK(r.find("upload-offset") == std::to_string(seen.offset));
    MG_FUZZ_CHECK(r.find("upload-length") == std::to_string(seen.length));
    if (last == StorageOp::tus_state)
      MG_FUZZ_CHECK(seen.state != TusState::none && seen.state != TusState::aborting && s.now < seen.expires);
  } else if (s.method == "PATCH") {
    MG_FUZZ_CHECK(r.reason == Reason::upload_progress || r.reason == Reason::upload_completed);
    MG_FUZZ_CHECK(r.status == 204 && granted);
    MG_FUZZ_CHECK(r.find("upload-offset") == std::to_string(seen.offset));
    MG_FUZZ_CHECK(r.find("upload-length").empty());
    if (r.reason == Reason::upload_completed) MG_FUZZ_CHECK(completed && last == StorageOp::tus_complete);
  } else if (s.method == "DELETE") {
    MG_FUZZ_CHECK(r.reason == Reason::upload_terminated && r.status == 204);
    MG_FUZZ_CHECK(last == StorageOp::tus_terminate);
  } else {
    MG_FUZZ_CHECK(false);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider p(data, size);
  Scenario s;
  build(p, &s);
  run(p, s);
  return 0;
}
