// Fuzz target `upload`: the upload decision (docs/UPLOADS.md; decide_begin and decide_finish
// driven as worker-shim/index.js and upload.js drive them) over structured random PUTs: a
// valid configuration with uploads on or off, a key, a token (a put token minted with
// token_mint_put for that key or another, a pub or priv token, a hand-written put payload
// signed with the configured secret, or a good token with one byte changed), content-type
// and content-length headers around the token's ct and the limit, the body's first bytes
// (a family's magic number or not, whole or cut short), and what storage reports for the
// sniff, the put and the comparing head (every StorageResult, MD5s equal or not).
//
// Invariants:
//  - the signature check: a token the harness did not mint with a configured secret (a byte
//    changed, another secret) never gets past the token check: no sniff, no put, no 2xx;
//  - PUT with uploads off is 405 `allow: GET, HEAD`; a method other than GET, HEAD and PUT
//    with uploads on is 405 `allow: GET, HEAD, PUT`; a put token on GET/HEAD and a pub/priv
//    token on PUT are 401 token_wrong_mode;
//  - for a good put token, the answer before the body is the one an independent model of the
//    contract's check order gives (unsupported_type, type_mismatch, length_required,
//    bad_length, empty_upload, too_large against min(n, MEDIA_MAX_UPLOAD_BYTES)); otherwise
//    the one operation asked is a sniff of bytes [0, min(size, 256)) with the declared size;
//  - after the sniff: a short or failed body is 400 incomplete_upload, a storage failure 503,
//    bytes that fail signature_check for the ct's family 415 type_mismatch, and only bytes that
//    pass it lead to the put, of exactly the declared size and the token's ct;
//  - after the put: ok is 201 with the JSON body {"key","size","etag","content_type"}; exists
//    asks one head, and only the same size and MD5 (R2's, 32 hex digits) give 200, else 412;
//    at most three operations (sniff, put, head) in all;
//  - 5xx only for a failure the harness injected, storage_timeout only for a timeout;
//  - every answer to a PUT: the status is its reason's, `cache-control: private, no-store`,
//    the five security headers, no header twice, no CR/LF/NUL in a value.
#include <fuzzer/FuzzedDataProvider.h>

#include <iterator>
#include <string>

#include "config.h"
#include "decision.h"
#include "fuzz_util.h"
#include "key.h"
#include "media_signature.h"
#include "token.h"

namespace {

using mgfuzz::pick;
using mgfuzz::clamp_add;
using mgfuzz::lower;

using mg::Reason;
using mg::StorageOp;
using mg::StorageResult;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr std::string_view kPrevious = "the previous secret";
constexpr std::string_view kUnknown = "a secret nobody configured";
constexpr std::int64_t kBaseNow = 1767225600;

const char* const kKeyPieces[] = {"a", "b", "0", "_", "-", ".", "/", "~", " ", "+", "%", "\xc3\xa9",
                                  "\xf0\x9f\x98\x80", ".png", ".mp4", "me_1/"};
const char* const kTypes[] = {"image/png",  "image/jpeg",      "image/gif",  "image/webp",
                              "image/avif", "image/heic",      "image/heif", "video/mp4",
                              "video/quicktime", "video/webm", "text/html",  "image/svg+xml"};
const char* const kTypeLists[] = {"", "image/png, video/mp4", "image/jpeg", "video/webm,image/gif,image/avif"};
const char* const kMaxBytes[] = {"1", "256", "1000", "104857600", "536870912"};
const char* const kTtls[] = {"60", "300", "3600", "86400"};
// A family's first bytes (docs/UPLOADS.md, "Signature families"); random bytes follow.
const std::string_view kMagic[] = {
    std::string_view("\xFF\xD8\xFF\xE0", 4),
    std::string_view("\x89PNG\r\n\x1A\n\0\0\0\x0DIHDR", 16),
    "GIF89a",
    std::string_view("RIFF\0\0\0\0WEBPVP8 ", 16),
    std::string_view("\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24),
    std::string_view("\0\0\0\x1C" "ftypavif\0\0\0\0avifmif1miaf", 28),
    std::string_view("\0\0\0\x18" "ftypisom\0\0\x02\0isomiso2", 24),
    std::string_view("\0\0\0\x14" "ftypqt  \0\0\x02\0qt  ", 20),
    std::string_view("\0\0\0\x08wide", 8),
    std::string_view("\x1A\x45\xDF\xA3", 4),
};
const std::string_view kMd5 = "0123456789abcdef0123456789abcdef";

enum class TokenKind : std::uint8_t { put, pub, priv, handmade, mutated };

struct Scenario {
  std::string uploads, types, max_bytes, ttl, previous;
  bool uploads_set = false, types_set = false, max_bytes_set = false, ttl_set = false;
  std::string method, key, path, query, content_type, content_length, body_head;
  std::int64_t now = kBaseNow;
  TokenKind kind = TokenKind::put;
  std::string token_key, token_ct;
  std::uint64_t token_n = 0;
  std::int64_t token_exp = 0;
  std::string_view token_secret;
  bool minted = false;
  // Storage: the results of the operations in order, the head's size and MD5s.
  StorageResult results[3] = {StorageResult::ok, StorageResult::ok, StorageResult::ok};
  bool short_head_ok = false;  // the sniff says ok with fewer bytes than asked
  std::uint64_t stored_size = 0;
  std::string body_md5, stored_md5;
  std::uint64_t put_size = 0;
};

StorageResult pick_result(FuzzedDataProvider& p) {
  if (p.ConsumeIntegralInRange(0, 2) != 0) return StorageResult::ok;
  return static_cast<StorageResult>(p.ConsumeIntegralInRange(0, 6));
}

void build(FuzzedDataProvider& p, Scenario* s) {
  // The body first: seeds that hold a real file's first bytes land here.
  std::string body = p.ConsumeRandomLengthString(320);
  if (p.ConsumeBool()) body = std::string(pick(p, kMagic)) + body;
  s->body_head = body;

  s->uploads_set = p.ConsumeIntegralInRange(0, 7) != 0;
  s->uploads = p.ConsumeIntegralInRange(0, 5) != 0 ? "on" : "off";
  s->types_set = p.ConsumeBool();
  s->types = pick(p, kTypeLists);
  if (s->types.empty()) s->types_set = false;
  s->max_bytes_set = p.ConsumeBool();
  s->max_bytes = pick(p, kMaxBytes);
  s->ttl_set = p.ConsumeBool();
  s->ttl = pick(p, kTtls);
  if (p.ConsumeBool()) s->previous = kPrevious;

  switch (p.ConsumeIntegralInRange(0, 9)) {
    case 0: s->method = "GET"; break;
    case 1: s->method = p.ConsumeBool() ? "HEAD" : p.ConsumeRandomLengthString(6); break;
    default: s->method = "PUT"; break;
  }
  s->now = p.ConsumeIntegralInRange(0, 9) == 0 ? p.ConsumeIntegral<std::int64_t>() : kBaseNow;

  s->key = "u/";
  for (int i = p.ConsumeIntegralInRange(0, 6); i > 0; --i) s->key += pick(p, kKeyPieces);
  s->key += p.ConsumeBool() ? ".png" : ".mp4";
  s->path = p.ConsumeIntegralInRange(0, 15) == 0 ? p.ConsumeRandomLengthString(40) : "/m/" + mgfuzz::quote_path(s->key);

  // The token.
  s->kind = static_cast<TokenKind>(p.ConsumeIntegralInRange(0, 11) < 7 ? 0 : p.ConsumeIntegralInRange(1, 4));
  s->token_key = p.ConsumeIntegralInRange(0, 9) == 0 ? s->key + "x" : (p.ConsumeBool() ? "/" : "") + s->key;
  s->token_ct = p.ConsumeIntegralInRange(0, 9) == 0 ? p.ConsumeRandomLengthString(300) : std::string(pick(p, kTypes));
  switch (p.ConsumeIntegralInRange(0, 5)) {
    case 0: s->token_n = 0; break;
    case 1: s->token_n = p.ConsumeIntegral<std::uint64_t>(); break;
    case 2: s->token_n = 1; break;
    default: s->token_n = p.ConsumeIntegralInRange<std::uint64_t>(0, 2000); break;
  }
  switch (p.ConsumeIntegralInRange(0, 6)) {
    case 0: s->token_exp = p.ConsumeIntegral<std::int64_t>(); break;
    case 1: s->token_exp = clamp_add(s->now, p.ConsumeIntegralInRange<std::int64_t>(-200000, 200000)); break;
    case 2: s->token_exp = clamp_add(s->now, p.ConsumeBool() ? -61 : -60); break;
    default: s->token_exp = clamp_add(s->now, 300); break;
  }
  switch (p.ConsumeIntegralInRange(0, 9)) {
    case 0: s->token_secret = kUnknown; break;
    case 1: s->token_secret = kPrevious; break;
    default: s->token_secret = kSecret; break;
  }
  static char tok[mg::kMaxTokenBytes + 64];
  std::size_t n = 0;
  std::string token;
  switch (s->kind) {
    case TokenKind::put:
    case TokenKind::mutated:
      n = mg::token_mint_put(s->token_key, s->token_ct, s->token_n, s->token_exp, s->token_secret, tok, sizeof tok);
      token.assign(tok, n);
      break;
    case TokenKind::pub:
    case TokenKind::priv:
      n = mg::token_mint(s->token_key, s->kind == TokenKind::pub ? mg::Mode::pub : mg::Mode::priv, s->token_exp,
                         s->token_secret, tok, sizeof tok);
      token.assign(tok, n);
      break;
    case TokenKind::handmade: {
      // Random member text behind a good signature: the JSON layer decides.
      std::string payload = "{\"ct\":" + p.ConsumeRandomLengthString(40) + ",\"e\":" + std::to_string(s->token_exp) +
                            ",\"k\":\"" + s->key + "\",\"m\":\"put\"" + p.ConsumeRandomLengthString(20) + "}";
      unsigned char mac[32];
      mg::hmac_sha256(kSecret, reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac);
      char a[mg::kMaxTokenBytes], b[64];
      std::size_t na = mg::b64url_encode(reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), a,
                                         sizeof a);
      std::size_t nb = mg::b64url_encode(mac, 32, b, sizeof b);
      token = std::string(a, na) + "." + std::string(b, nb);
      break;
    }
  }
  s->minted = n > 0;
  if (s->kind == TokenKind::mutated && !token.empty()) {
    std::size_t at = p.ConsumeIntegralInRange<std::size_t>(0, token.size() - 1);
    std::uint8_t x = p.ConsumeIntegralInRange<std::uint8_t>(1, 255);
    token[at] = static_cast<char>(token[at] ^ x);
  }
  s->query = "?t=" + token;

  // Headers around the token's ct and the limit.
  switch (p.ConsumeIntegralInRange(0, 9)) {
    case 0: s->content_type = ""; break;
    case 1: s->content_type = pick(p, kTypes); break;
    case 2: s->content_type = p.ConsumeRandomLengthString(40); break;
    case 3: {
      std::string upper(s->token_ct);
      for (char& c : upper)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      s->content_type = upper;
      break;
    }
    case 4: s->content_type = " " + s->token_ct + " ;charset=binary"; break;
    case 5: s->content_type = "\t" + s->token_ct + "\t"; break;
    default: s->content_type = s->token_ct; break;
  }
  std::uint64_t size = 0;
  switch (p.ConsumeIntegralInRange(0, 9)) {
    case 0: size = 0; break;
    case 1: size = p.ConsumeIntegral<std::uint64_t>(); break;
    case 2: size = s->token_n; break;
    case 3: size = s->token_n + 1; break;
    case 4: size = p.ConsumeIntegralInRange<std::uint64_t>(255, 257); break;
    default: size = p.ConsumeIntegralInRange<std::uint64_t>(1, 1200); break;
  }
  switch (p.ConsumeIntegralInRange(0, 11)) {
    case 0: s->content_length = ""; break;
    case 1: s->content_length = p.ConsumeRandomLengthString(24); break;
    case 2: s->content_length = " " + std::to_string(size) + "\t"; break;
    case 3: s->content_length = "+" + std::to_string(size); break;
    case 4: s->content_length = std::to_string(size) + ".0"; break;
    case 5: s->content_length = std::string(p.ConsumeIntegralInRange(1, 3), '0') + std::to_string(size); break;
    case 6: s->content_length = std::to_string(size) + ", " + std::to_string(size); break;
    default: s->content_length = std::to_string(size); break;
  }

  // Storage.
  for (StorageResult& r : s->results) r = pick_result(p);
  s->short_head_ok = p.ConsumeIntegralInRange(0, 7) == 0;
  s->put_size = p.ConsumeIntegralInRange(0, 9) == 0 ? p.ConsumeIntegral<std::uint64_t>() : size;
  s->stored_size = p.ConsumeIntegralInRange(0, 5) == 0 ? size + 1 : size;
  s->body_md5 = std::string(kMd5);
  switch (p.ConsumeIntegralInRange(0, 5)) {
    case 0: s->stored_md5 = ""; break;
    case 1: s->stored_md5 = "ffffffffffffffffffffffffffffffff"; break;
    case 2: s->stored_md5 = kMd5.substr(0, 31); break;
    default: s->stored_md5 = std::string(kMd5); break;
  }
}

// --- The oracle: the contract's check order, written from docs/UPLOADS.md ----------------------

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// content-length as one decimal number of at most 20 digits that fits 64 bits.
bool declared(std::string_view text, std::uint64_t* size) {
  text = trim_ows(text);
  if (text.empty() || text.size() > 20) return false;
  unsigned __int128 v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > UINT64_MAX) return false;
  *size = static_cast<std::uint64_t>(v);
  return true;
}

bool listed(const mg::Config& c, std::string_view ct) {
  for (std::size_t i = 0; i < c.n_upload_types; ++i)
    if (c.upload_types[i] == ct) return true;
  return false;
}

// The refusal before the body for a good put token, or count_ for none (then *size is set).
Reason before_body(const Scenario& s, const mg::Config& c, std::uint64_t* size) {
  if (!listed(c, s.token_ct)) return Reason::unsupported_type;
  std::string_view header = s.content_type;
  header = trim_ows(header.substr(0, header.find(';')));
  if (lower(header) != lower(s.token_ct)) return Reason::type_mismatch;
  if (s.content_length.empty()) return Reason::length_required;
  if (!declared(s.content_length, size)) return Reason::bad_length;
  if (*size == 0) return Reason::empty_upload;
  std::uint64_t limit = static_cast<std::uint64_t>(c.max_upload_bytes);
  if (s.token_n != 0 && s.token_n < limit) limit = s.token_n;
  if (*size > limit) return Reason::too_large;
  return Reason::count_;
}

void check_answer(const mg::Config& c, const mg::Decision& d) {
  const mg::Response& r = d.response;
  MG_FUZZ_CHECK(!d.fetch);
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
  MG_FUZZ_CHECK(r.find("cache-control") == "private, no-store");
}

void expect(const mg::Decision& d, Reason want) {
  MG_FUZZ_CHECK(!d.fetch);
  if (d.response.reason != want) {
    const std::string_view got = mg::reason_info(d.response.reason).name, w = mg::reason_info(want).name;
    std::fprintf(stderr, "answered %.*s, the model says %.*s\n", static_cast<int>(got.size()), got.data(),
                 static_cast<int>(w.size()), w.data());
  }
  MG_FUZZ_CHECK(d.response.reason == want);
}

void run(const Scenario& s) {
  mg::ConfigText text;
  text.has_bucket = true;
  text.secret = kSecret;
  text.secret_set = true;
  text.secret_previous = s.previous;
  text.secret_previous_set = !s.previous.empty();
  text.uploads = s.uploads;
  text.uploads_set = s.uploads_set;
  text.upload_types = s.types;
  text.upload_types_set = s.types_set;
  text.max_upload_bytes = s.max_bytes;
  text.max_upload_bytes_set = s.max_bytes_set;
  text.max_upload_ttl = s.ttl;
  text.max_upload_ttl_set = s.ttl_set;
  static mg::Config c;
  c = mg::Config{};
  MG_FUZZ_CHECK(mg::config_load(text, &c));
  MG_FUZZ_CHECK(c.uploads == (s.uploads_set && s.uploads == "on"));

  mg::RequestFacts req;
  req.method = s.method;
  req.path = s.path;
  req.query = s.query;
  req.now = s.now;
  req.content_type = s.content_type;
  req.content_length = s.content_length;

  static mg::Decision d;
  mg::decide_begin(c, req, &d);

  const bool put = s.method == "PUT";
  const bool write = put && c.uploads;
  // What the harness knows of the token: minted by it, unchanged, for this request's key, with
  // a configured secret, inside its validity window.
  char decoded[mg::kMaxKeyBytes];
  std::size_t decoded_len = 0;
  const bool key_ok = s.path.substr(0, 3) == "/m/" && mg::key_decode(std::string_view(s.path).substr(3), decoded, &decoded_len) &&
                      std::string_view(decoded, decoded_len).substr(0, 2) == "u/";
  std::string_view token_key = s.token_key;
  while (!token_key.empty() && token_key.front() == '/') token_key.remove_prefix(1);
  const bool signed_ok = s.minted && (s.token_secret == kSecret || (s.token_secret == kPrevious && !s.previous.empty()));
  const bool for_key = key_ok && token_key == std::string_view(decoded, decoded_len);
  const bool forged = s.kind == TokenKind::mutated || (s.minted && !signed_ok);
  const std::int64_t leeway = c.leeway;
  const bool in_window = s.now <= clamp_add(s.token_exp, leeway) &&
                         s.token_exp <= clamp_add(s.now, clamp_add(c.max_upload_ttl, leeway));

  if (!c.uploads && put) {
    expect(d, Reason::method_not_allowed);
    MG_FUZZ_CHECK(d.response.find("allow") == "GET, HEAD");
    return;
  }
  if (c.uploads && !put && s.method != "GET" && s.method != "HEAD") {
    expect(d, Reason::method_not_allowed);
    MG_FUZZ_CHECK(d.response.find("allow") == "GET, HEAD, PUT");
    return;
  }
  // The signature check: a forged token is refused, whatever else the request holds.
  if (forged) {
    MG_FUZZ_CHECK(!d.fetch);
    MG_FUZZ_CHECK(d.response.status >= 400 && d.response.status < 500);
    if (write) check_answer(c, d);
    return;
  }
  if (!write) {
    // A read: a good put token is the wrong mode.
    const bool read = s.method == "GET" || s.method == "HEAD";
    if (read && s.kind == TokenKind::put && signed_ok && for_key) expect(d, Reason::token_wrong_mode);
    return;
  }
  MG_FUZZ_CHECK(d.upload);
  if (s.kind == TokenKind::pub || s.kind == TokenKind::priv) {
    MG_FUZZ_CHECK(!d.fetch);
    if (signed_ok && for_key) expect(d, Reason::token_wrong_mode);
    check_answer(c, d);
    return;
  }
  const bool good = s.kind == TokenKind::put && signed_ok && for_key && in_window;
  if (!good) {
    // A handmade payload may be a good token; the others are refused before the body.
    if (s.kind != TokenKind::handmade) MG_FUZZ_CHECK(!d.fetch);
    if (!d.fetch) {
      check_answer(c, d);
      const int st = d.response.status;
      if (s.kind == TokenKind::put) MG_FUZZ_CHECK(st == 400 || st == 401 || st == 404);  // key, prefix, token
      return;
    }
    if (d.plan.op != StorageOp::sniff) MG_FUZZ_CHECK(false);
    return;  // the rest of a handmade token's path is the put token's, checked below for minted ones
  }

  std::uint64_t size = 0;
  Reason refuse = before_body(s, c, &size);
  if (refuse != Reason::count_) {
    expect(d, refuse);
    check_answer(c, d);
    return;
  }
  // The sniff: the first min(size, 256) bytes, the declared size.
  MG_FUZZ_CHECK(d.fetch);
  MG_FUZZ_CHECK(d.plan.op == StorageOp::sniff);
  const std::uint64_t want = size < mg::kSignatureBytes ? size : mg::kSignatureBytes;
  MG_FUZZ_CHECK(d.plan.range.offset == 0 && d.plan.range.length == want);
  MG_FUZZ_CHECK(d.upload_length == size);
  MG_FUZZ_CHECK(!d.cache_lookup);

  // The sniff's result, as the shim reports it.
  mg::ObjectFacts sniffed;
  sniffed.result = s.results[0];
  std::string head = s.body_head.substr(0, want);
  if (sniffed.result == StorageResult::ok && head.size() < want && !s.short_head_ok)
    sniffed.result = StorageResult::incomplete;  // the body ended first
  if (sniffed.result == StorageResult::ok) sniffed.head = head;
  mg::Plan performed = d.plan;
  mg::Mode mode = d.mode;
  mg::decide_finish(c, req, mode, d.key_view(), performed, sniffed, &d);
  if (sniffed.result == StorageResult::incomplete ||
      (sniffed.result == StorageResult::ok && head.size() < want)) {
    expect(d, Reason::incomplete_upload);
    return check_answer(c, d);
  }
  if (sniffed.result != StorageResult::ok) {
    expect(d, sniffed.result == StorageResult::timeout ? Reason::storage_timeout : Reason::storage_unavailable);
    return check_answer(c, d);
  }
  const mg::SignatureCheck sig = mg::signature_check(mg::signature_family_of_type(s.token_ct), head);
  if (sig != mg::SignatureCheck::match) {
    expect(d, Reason::signature_mismatch);
    MG_FUZZ_CHECK(d.response.status == 415);
    return check_answer(c, d);
  }
  // The put: exactly the declared size, the token's ct.
  MG_FUZZ_CHECK(d.fetch);
  MG_FUZZ_CHECK(d.plan.op == StorageOp::put);
  MG_FUZZ_CHECK(d.upload_length == size);
  MG_FUZZ_CHECK(d.put_type_view() == s.token_ct);
  MG_FUZZ_CHECK(std::string_view(d.key, d.key_len) == std::string_view(decoded, decoded_len));

  mg::ObjectFacts stored;
  stored.result = s.results[1];
  stored.size = s.put_size;
  stored.etag = "\"etag-1\"";
  stored.body_md5 = s.body_md5;
  performed = d.plan;
  mode = d.mode;
  mg::decide_finish(c, req, mode, d.key_view(), performed, stored, &d);
  switch (stored.result) {
    case StorageResult::ok: {
      expect(d, Reason::upload_stored);
      MG_FUZZ_CHECK(d.response.status == 201);
      check_answer(c, d);
      const std::string tail = ",\"size\":" + std::to_string(s.put_size) + ",\"etag\":\"\\\"etag-1\\\"\",\"content_type\":\"" +
                               s.token_ct + "\"}";
      std::string_view body = d.response.text;
      MG_FUZZ_CHECK(body.substr(0, 8) == "{\"key\":\"");
      MG_FUZZ_CHECK(body.size() > tail.size() && body.substr(body.size() - tail.size()) == tail);
      MG_FUZZ_CHECK(d.response.find("content-length") == std::to_string(body.size()));
      return;
    }
    case StorageResult::exists: break;
    case StorageResult::incomplete:
      expect(d, Reason::incomplete_upload);
      return check_answer(c, d);
    default:
      expect(d, stored.result == StorageResult::timeout ? Reason::storage_timeout : Reason::storage_unavailable);
      return check_answer(c, d);
  }
  // The key was taken: one head compares.
  MG_FUZZ_CHECK(d.fetch);
  MG_FUZZ_CHECK(d.plan.op == StorageOp::head);
  mg::ObjectFacts held;
  held.result = s.results[2];
  held.size = s.stored_size;
  held.etag = "\"etag-0\"";
  held.body_md5 = s.body_md5;
  held.stored_md5 = s.stored_md5;
  performed = d.plan;
  mode = d.mode;
  mg::decide_finish(c, req, mode, d.key_view(), performed, held, &d);
  if (held.result == StorageResult::ok) {
    const bool same = s.stored_size == size && s.stored_md5.size() == 32 && s.stored_md5 == s.body_md5;
    expect(d, same ? Reason::upload_retry : Reason::already_exists);
    MG_FUZZ_CHECK(d.response.status == (same ? 200 : 412));
  } else {
    expect(d, held.result == StorageResult::timeout ? Reason::storage_timeout : Reason::storage_unavailable);
  }
  check_answer(c, d);  // and no fourth operation: the answer is final
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider p(data, size);
  Scenario s;
  build(p, &s);
  run(s);
  return 0;
}
