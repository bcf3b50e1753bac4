// mediagate: the operator's and the test suite's view of the same core that
// runs in the Worker (docs/CLI.md).
//   mediagate mint --key KEY (--public | --private [--ttl SECONDS]) [--url] [--now T]
//   mediagate mint --upload --key KEY --type TYPE [--max-bytes N] [--ttl SECONDS] [--url] [--now T]
//   mediagate verify URL [--now T]
//   mediagate explain            (JSON lines on stdin -> JSON lines on stdout)
//   mediagate revoke KEY [--scope all|public] [--local] [--apply]
//   mediagate revocations build-snapshot --out FILE [--bulk FILE.json] < keys.txt
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cctype>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>

#include "rapidjson_config.h"
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "bearssl_hash.h"
#include "cli.h"
#include "config.h"
#include "decision.h"
#include "fingerprint.h"
#include "httpdate.h"
#include "key.h"
#include "protocol.h"
#include "settings_table.h"
#include "storage_model.h"
#include "token.h"
#include "url_path.h"

namespace {

using mgcli::usage_error;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

const char* env(const char* name, bool* set) {
  const char* v = std::getenv(name);
  *set = v != nullptr;
  return v ? v : "";
}

// Configuration from the environment: every setting the Worker reads
// (settings_table.h, from wasm/spec/settings.json), named as in wrangler.toml,
// so that explain answers as the Worker does. The bucket is taken as bound
// unless MEDIA_BUCKET is set to "" or "0".
mg::Config load_config() {
  mg::ConfigText t;
  for (const mg::settings::Setting& s : mg::settings::kSettings) {
    bool set;
    std::string_view v = env(s.name.data(), &set);  // the table's names are NUL-terminated literals
    if (s.kind == mg::settings::Kind::binding) t.*s.set = !set || (!v.empty() && v != "0");
    else t.*s.value = v, t.*s.set = set;
  }
  mg::Config c;
  mg::config_load(t, &c);
  return c;
}

std::int64_t now_or(const char* arg) {
  if (arg) return std::strtoll(arg, nullptr, 10);
  return static_cast<std::int64_t>(std::time(nullptr));
}

// Each command's usage: printed on stdout for `mediagate help CMD` and
// `mediagate CMD --help` (exit 0), on stderr after a usage error (exit 2).
struct Command {
  std::string_view name;
  const char* synopsis;  // "mediagate ..." lines
  const char* summary;   // one line for the command list
};
const Command kCommands[] = {
    {"mint",
     "mediagate mint --key KEY (--public | --private [--ttl SECONDS]) [--url] [--now T]\n"
     "       mediagate mint --upload --key KEY --type TYPE [--max-bytes N] [--ttl SECONDS] [--url] [--now T]\n",
     "a token (or with --url the whole path), byte-identical to the backend's"},
    {"verify", "mediagate verify URL [--now T]\n", "what the gate thinks of a URL's token (exit 1 unless valid)"},
    {"explain", "mediagate explain < requests.jsonl > answers.jsonl\n",
     "the Worker's answer for each JSON request line on stdin"},
    {"fingerprint", "mediagate fingerprint\n",
     "fingerprints of MEDIA_TOKEN_SECRET [and _PREVIOUS]: compare with the Worker's log"},
    {"revoke", "mediagate revoke KEY [--scope all|public] [--local] [--apply]\n",
     "the KV write that revokes KEY (printed, or run with --apply)"},
    {"revocations",
     "mediagate revocations build-snapshot --out FILE [--bulk FILE.json] [--scope all|public] < keys.txt\n",
     "a revocation snapshot (and bulk entries) from a list of keys"},
    {"stats", "mediagate stats [--window SECONDS] [--fail-on-alert] [FILE...]\n",
     "rates and alerts from the Worker's log lines (Node, through scripts/mediagate)"},
    {"fixtures", "mediagate fixtures (from-har | replay | record) ...\n",
     "fixture sets: convert HAR, replay on every target (Node, through scripts/mediagate)"},
    {"abi", "mediagate abi < frames\n", "the core's ABI over stdin frames (tests only)"},
};

const Command* find_command(std::string_view name) {
  for (const Command& c : kCommands)
    if (c.name == name) return &c;
  return nullptr;
}

void print_help(std::FILE* out) {
  std::fputs(
      "usage: mediagate COMMAND [ARGS]   (scripts/mediagate builds and runs it)\n"
      "       mediagate help [COMMAND] | --help | --version\n"
      "       mediagate COMMAND --help\n\ncommands:\n",
      out);
  for (const Command& c : kCommands)
    if (c.name != "abi") std::fprintf(out, "  %-12.*s %s\n", static_cast<int>(c.name.size()), c.name.data(), c.summary);
  std::fputs(
      "\nenvironment: MEDIA_TOKEN_SECRET [MEDIA_TOKEN_SECRET_PREVIOUS] and the [vars] of wrangler.toml\n"
      "exit status: 0 done, 1 a negative answer (verify: not valid), 2 a usage error\n",
      out);
}

void print_command_help(const Command& c, std::FILE* out) {
  std::fprintf(out, "usage: %s  %s\n", c.synopsis, c.summary);
  if (c.name == "mint")
    std::fputs(
        "  --public | --private   a read token (--ttl: default 600, clamped to 60..3600)\n"
        "  --upload               a put token for one PUT of --type (lower-cased, parameters dropped),\n"
        "                         at most --max-bytes bytes if given (--ttl: default 300, clamped to 60..3600)\n"
        "  --url                  the whole path, /m/<quoted key>?t=<token>\n",
        out);
  if (c.name == "explain")
    std::fputs(
        "input, one JSON object per line:\n"
        "  {\"method\":\"GET\",\"url\":\"/m/<key>?t=<token>\",\"headers\":{\"range\":\"bytes=0-1\"},\"now\":1767225600,\n"
        "   \"object\":{\"size\":1000,\"etag\":\"\\\"abc\\\"\",\"last_modified\":\"<HTTP-date>\",\"content_type\":\"image/png\"}}\n"
        "  {\"method\":\"PUT\",\"url\":\"/m/<key>?t=<put token>\",\"headers\":{\"content-type\":\"image/png\",\n"
        "   \"content-length\":\"1000\"},\"now\":1767225600,\"body_head\":\"<base64 of the body's first bytes>\"}\n"
        "  body_head (PUT): at least min(content-length, 256) bytes; fewer: the body ends there\n"
        "output, one JSON object per line: status, reason, headers, body, span (docs/CLI.md); for a PUT\n"
        "  whose first bytes pass, the write the Worker would ask of R2 instead:\n"
        "  {\"storage\":{\"op\":\"put\",\"key\",\"length\",\"content_type\"}} (without body_head: {\"op\":\"sniff\",\"length\"})\n",
        out);
  if (c.name == "mint" || c.name == "verify" || c.name == "explain" || c.name == "fingerprint")
    std::fputs("environment: MEDIA_TOKEN_SECRET [MEDIA_TOKEN_SECRET_PREVIOUS] and the [vars] of wrangler.toml\n", out);
}

// `mediagate --version`: the project version (package.json's, passed in by
// CMake) and the sha256 of the Wasm module the Worker ships.
int print_version() {
  std::printf("mediagate %s\n", MG_VERSION);
  unsigned char digest[br_sha256_SIZE];
  std::FILE* f = std::fopen(MG_WASM_PATH, "rb");
  if (!f) {
    std::printf("worker-shim/mediagate.wasm: absent (scripts/build.sh builds it)\n");
    return 0;
  }
  br_sha256_context ctx;
  br_sha256_init(&ctx);
  unsigned char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) br_sha256_update(&ctx, buf, n);
  std::fclose(f);
  br_sha256_out(&ctx, digest);
  std::printf("worker-shim/mediagate.wasm sha256 ");
  for (unsigned char b : digest) std::printf("%02x", b);
  std::printf("\n");
  return 0;
}

// The key as the backend quotes it in media URLs (key.h, key_quote).
std::string quote_path(std::string_view key) {
  std::string out(3 * key.size(), '\0');  // every byte may become %XX
  out.resize(mg::key_quote(key, out.data(), out.size()));
  return out;
}

// The fingerprints the Worker logs at startup (media.worker.config), for the
// secrets in this environment: equal fingerprints, equal secrets.
int cmd_fingerprint() {
  bool any = false;
  const char* names[2] = {"MEDIA_TOKEN_SECRET", "MEDIA_TOKEN_SECRET_PREVIOUS"};
  for (const char* name : names) {
    bool set;
    std::string_view secret = mg::trim_ascii_space(env(name, &set));
    if (secret.empty()) continue;
    char fp[mg::kFingerprintChars];
    mg::secret_fingerprint(secret, fp);
    std::printf("%s %.*s\n", name, static_cast<int>(sizeof fp), fp);
    any = true;
  }
  if (!any) {
    std::fputs("mediagate fingerprint: MEDIA_TOKEN_SECRET is not set\n", stderr);
    return 2;
  }
  return 0;
}

// The media type a put token's ct names, as the backend writes it
// (docs/UPLOADS.md, "For the backend team"): before any ';', trimmed, lower-case.
std::string put_type(std::string_view type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  std::string out(type);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A positive decimal number (--max-bytes): digits only, 1 .. 2^53 - 1 (the
// backend's JSON integers must survive a JavaScript reader too).
bool positive_decimal(const char* text, std::uint64_t* out) {
  std::uint64_t v = 0;
  if (!*text) return false;
  for (const char* p = text; *p; ++p) {
    if (*p < '0' || *p > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(*p - '0');
    if (v > (1ull << 53) - 1) return false;
  }
  *out = v;
  return v >= 1;
}

int cmd_mint(int argc, char** argv) {
  const char* key = nullptr;
  const char* now_arg = nullptr;
  const char* type = nullptr;
  const char* max_arg = nullptr;
  int mode = 0;  // 1 public, 2 private, 3 put (--upload)
  const char* ttl_arg = nullptr;
  bool url = false;
  for (int i = 0; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--key" && i + 1 < argc) key = argv[++i];
    else if (a == "--public" && !mode) mode = 1;
    else if (a == "--private" && !mode) mode = 2;
    else if (a == "--upload" && !mode) mode = 3;
    else if (a == "--type" && i + 1 < argc) type = argv[++i];
    else if (a == "--max-bytes" && i + 1 < argc) max_arg = argv[++i];
    else if (a == "--ttl" && i + 1 < argc) ttl_arg = argv[++i];
    else if (a == "--url") url = true;
    else if (a == "--now" && i + 1 < argc) now_arg = argv[++i];
    else return usage_error("mint", "unknown, repeated or incomplete argument");
  }
  if (!key || !mode) return usage_error("mint", "needs --key and one of --public, --private, --upload");
  if (mode != 3 && (type || max_arg)) return usage_error("mint", "--type and --max-bytes go with --upload");
  if (mode == 3 && !type) return usage_error("mint", "--upload needs --type (the media type the upload declares)");
  std::uint64_t max_bytes = 0;  // no n
  if (max_arg && !positive_decimal(max_arg, &max_bytes))
    return usage_error("mint", "--max-bytes takes a whole number of bytes, 1 or more");
  bool set;
  std::string_view secret = mg::trim_ascii_space(env("MEDIA_TOKEN_SECRET", &set));
  if (secret.empty()) {
    std::fputs("mediagate mint: MEDIA_TOKEN_SECRET is not set\n", stderr);
    return 2;
  }
  // The backend clamps the TTL to 60..3600 seconds: 600 by default for
  // reading, 300 for uploading (as long as the presigned URLs it replaces).
  long ttl = ttl_arg ? std::strtol(ttl_arg, nullptr, 10) : mode == 3 ? 300 : 600;
  if (ttl < 60) ttl = 60;
  if (ttl > 3600) ttl = 3600;
  std::string_view k = key;
  while (!k.empty() && k.front() == '/') k.remove_prefix(1);
  std::int64_t exp = now_or(now_arg) + ttl;
  static char token[mg::kMaxTokenBytes * 2];
  std::size_t n = 0;
  if (mode == 3) {
    const std::string ct = put_type(type);
    n = mg::token_mint_put(k, ct, max_bytes, exp, secret, token, sizeof token);
    if (!n) {
      std::fputs("mediagate mint: the key or the type is not valid UTF-8, or too long (or the type is empty)\n", stderr);
      return 2;
    }
  } else {
    n = mg::token_mint(k, mode == 1 ? mg::Mode::pub : mg::Mode::priv, exp, secret, token, sizeof token);
    if (!n) {
      std::fputs("mediagate mint: the key is not valid UTF-8 or too long\n", stderr);
      return 2;
    }
  }
  if (url) std::printf("/m/%s?t=%.*s\n", quote_path(k).c_str(), static_cast<int>(n), token);
  else std::printf("%.*s\n", static_cast<int>(n), token);
  return 0;
}

// Splits "https://host/m/...?t=..#frag" or "/m/...?t=..." into path and query,
// the path's dot segments resolved into `resolved` as the runtime resolves
// them before the Worker sees the path (url_path.h): the CLI answers for the
// path the Worker would receive.
void split_url(std::string_view url, std::string_view* path, std::string_view* query, std::string* resolved) {
  std::size_t hash = url.find('#');
  if (hash != std::string_view::npos) url = url.substr(0, hash);
  std::size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    std::size_t slash = url.find('/', scheme + 3);
    url = slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
  }
  std::size_t q = url.find('?');
  *query = q == std::string_view::npos ? std::string_view{} : url.substr(q);
  std::string_view raw = url.substr(0, q);
  resolved->assign(raw.size() + 1, '\0');
  resolved->resize(mg::path_resolve_dots(raw, resolved->data(), resolved->size()));
  *path = *resolved;
}

// The token's ct is one of MEDIA_UPLOAD_TYPES (as the core compares them).
bool upload_type_listed(const mg::Config& config, std::string_view ct) {
  for (std::size_t i = 0; i < config.n_upload_types; ++i)
    if (config.upload_types[i] == ct) return true;
  return false;
}

int cmd_verify(int argc, char** argv) {
  const char* url_arg = nullptr;
  const char* now_arg = nullptr;
  for (int i = 0; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--now" && i + 1 < argc) now_arg = argv[++i];
    else if (!url_arg) url_arg = argv[i];
    else return usage_error("verify", "takes one URL");
  }
  if (!url_arg) return usage_error("verify", "needs a URL");
  mg::Config config = load_config();
  std::string_view path, query;
  std::string resolved;
  split_url(url_arg, &path, &query, &resolved);
  std::int64_t now = now_or(now_arg);

  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("now");
  w.Int64(now);
  char key[mg::kMaxKeyBytes];
  std::size_t key_len = 0;
  bool key_ok = path.substr(0, 3) == "/m/" && mg::key_decode(path.substr(3), key, &key_len);
  w.Key("key");
  if (key_ok) w.String(key, static_cast<rapidjson::SizeType>(key_len));
  else w.Null();
  static char token[mg::kMaxTokenBytes];
  std::size_t token_len = 0;
  mg::QueryToken qt = mg::query_token(query, token, sizeof token, &token_len);
  mg::Reason reason;
  bool put = false;
  static mg::TokenDetails details;
  if (!config.problem.empty()) {
    reason = mg::Reason::not_configured;
  } else if (!key_ok) {
    reason = mg::Reason::bad_key;
  } else if (qt == mg::QueryToken::absent) {
    reason = mg::Reason::token_missing;
  } else if (qt == mg::QueryToken::malformed) {
    reason = mg::Reason::token_malformed;
  } else {
    std::string_view secrets[2] = {config.secret, config.secret_previous};
    mg::TokenPolicy policy;
    policy.now = now;
    policy.leeway = config.leeway;
    policy.max_ttl = config.max_ttl;
    policy.max_upload_ttl = config.max_upload_ttl;
    mg::TokenVerdict v = mg::token_inspect(std::string_view(token, token_len),
                                           std::string_view(key, key_len), true, secrets, 2,
                                           policy, &details);
    // A put token is judged as the PUT it was minted for (docs/UPLOADS.md).
    if (details.mode == mg::Mode::put) {
      put = true;
      policy.write = true;
      v = mg::token_inspect(std::string_view(token, token_len), std::string_view(key, key_len), true, secrets, 2,
                            policy, &details);
    }
    reason = v.reason;
    w.Key("payload");
    if (details.payload_len) w.String(details.payload, static_cast<rapidjson::SizeType>(details.payload_len));
    else w.Null();
    w.Key("signature");
    w.String(details.signature_ok
                 ? (details.secret_index == 0 ? "MEDIA_TOKEN_SECRET" : "MEDIA_TOKEN_SECRET_PREVIOUS")
             : v.reason == mg::Reason::token_malformed ? "not checked: the token is malformed"
                                                        : "no configured secret matches");
    w.Key("token_key");
    if (details.has_key) w.String(details.key, static_cast<rapidjson::SizeType>(details.key_len));
    else w.Null();
    w.Key("mode");
    w.String(mg::mode_name(details.mode).data(),
             static_cast<rapidjson::SizeType>(mg::mode_name(details.mode).size()));
    if (put) {
      w.Key("ct");
      if (details.has_ct) w.String(details.ct, static_cast<rapidjson::SizeType>(details.ct_len));
      else w.Null();
      w.Key("n");
      if (details.max_bytes) w.Uint64(details.max_bytes);
      else w.Null();
    }
    if (details.has_exp) {
      w.Key("expires");
      w.Int64(details.exp);
      w.Key("expires_in");
      w.Int64(details.exp - now);
    }
  }
  if (key_ok && reason == mg::Reason::serve_full &&
      !mg::key_prefix_allowed(std::string_view(key, key_len), config.prefixes, config.n_prefixes))
    reason = mg::Reason::prefix_not_allowed;
  // A valid put token still needs uploads on (else every PUT is 405) and a
  // ct the deployment takes (else 415).
  if (put && reason == mg::Reason::serve_full && !config.uploads) reason = mg::Reason::method_not_allowed;
  if (put && reason == mg::Reason::serve_full && !upload_type_listed(config, std::string_view(details.ct, details.ct_len)))
    reason = mg::Reason::unsupported_type;
  const mg::ReasonInfo& info = mg::reason_info(reason);
  w.Key("verdict");
  w.String(reason == mg::Reason::serve_full ? "valid" : info.name.data());
  w.Key("status");
  // Valid: 200 for a read, 201 for an upload whose body then passes its checks.
  w.Int(reason == mg::Reason::serve_full ? (put ? 201 : 200) : info.status);
  if (!info.body.empty()) {
    w.Key("body");
    w.String(info.body.data(), static_cast<rapidjson::SizeType>(info.body.size()));
  }
  if (!config.problem.empty()) {
    w.Key("missing_setting");
    w.String(config.problem.data(), static_cast<rapidjson::SizeType>(config.problem.size()));
  }
  w.EndObject();
  std::printf("%s\n", sb.GetString());
  return reason == mg::Reason::serve_full ? 0 : 1;
}

std::string_view str_member(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return {};
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return std::string_view(it->value.GetString(), it->value.GetStringLength());
}

void explain_error(const char* message) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("error");
  w.String(message);
  w.EndObject();
  std::printf("%s\n", sb.GetString());
}

// body_head: standard base64 (RFC 4648 section 4, padding optional) or
// base64url (section 5), decoded by the core's own decoders (token.h).
bool body_head_decode(std::string_view in, std::string* out) {
  out->assign(in.size(), '\0');  // decoded bytes never outnumber the characters
  auto* bytes = reinterpret_cast<unsigned char*>(out->data());
  std::size_t n = 0;
  if (!mg::base64_decode(in, bytes, out->size(), &n) && !mg::b64url_decode(in, bytes, out->size(), &n)) return false;
  out->resize(n);
  return true;
}

// Prints what the Worker would ask storage to do next for an upload, and
// stops there: {"storage":{"op":"sniff","length":N}} when the body's first
// bytes were not given, {"storage":{"op":"put",...}} once they passed.
void explain_storage_ask(const mg::Decision& d) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("storage");
  w.StartObject();
  w.Key("op");
  w.String(d.plan.op == mg::StorageOp::sniff ? "sniff" : "put");
  if (d.plan.op == mg::StorageOp::sniff) {
    w.Key("length");
    w.Uint64(d.plan.range.length);
  } else {
    w.Key("key");
    w.String(d.key, static_cast<rapidjson::SizeType>(d.key_len));
    w.Key("length");
    w.Uint64(d.upload_length);
    w.Key("content_type");
    w.String(d.put_type, static_cast<rapidjson::SizeType>(d.put_type_len));
  }
  w.EndObject();
  w.EndObject();
  std::printf("%s\n", sb.GetString());
}

// A PUT through the core's begin and sniff phases, as the Worker runs them:
// the sniff reads the first min(content-length, 256) bytes of the body, and
// a body that ends before them is `incomplete` (worker-shim/upload.js).
// Returns true with the answer in `d`, false after printing the storage
// operation the Worker would perform next (the put, or a sniff with no
// body_head given).
bool explain_upload(const mg::Config& config, const mg::RequestFacts& req, const std::string* body_head,
                    mg::Decision* d) {
  mg::decide_begin(config, req, d);
  if (!d->fetch) return true;
  if (d->plan.op != mg::StorageOp::sniff || !body_head) {
    explain_storage_ask(*d);
    return false;
  }
  const mg::Plan performed = d->plan;
  const mg::Mode mode = d->mode;
  mg::ObjectFacts facts;
  facts.source = mg::ObjectSource::storage;
  if (body_head->size() < performed.range.length) {
    facts.result = mg::StorageResult::incomplete;
  } else {
    facts.result = mg::StorageResult::ok;
    facts.head = std::string_view(*body_head).substr(0, performed.range.length);
  }
  mg::decide_finish(config, req, mode, d->key_view(), performed, facts, d);
  if (!d->fetch) return true;
  explain_storage_ask(*d);
  return false;
}

void explain_line(const mg::Config& config, const std::string& line) {
  rapidjson::Document doc;
  doc.Parse(line.c_str(), line.size());
  if (doc.HasParseError() || !doc.IsObject()) return explain_error("input is not a JSON object");

  // Header names are case-insensitive: lower-case them into owned strings.
  constexpr int kHeaders = 8;
  std::string headers[kHeaders];
  bool have[kHeaders] = {};
  static const char* kNames[kHeaders] = {"range", "if-match", "if-none-match", "if-modified-since",
                                         "if-unmodified-since", "if-range", "content-type", "content-length"};
  auto hit = doc.FindMember("headers");
  if (hit != doc.MemberEnd() && hit->value.IsObject()) {
    for (auto& m : hit->value.GetObject()) {
      std::string name(m.name.GetString(), m.name.GetStringLength());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      for (int i = 0; i < kHeaders; ++i)
        if (name == kNames[i] && m.value.IsString() && !have[i]) {
          headers[i].assign(m.value.GetString(), m.value.GetStringLength());
          have[i] = true;
        }
    }
  }
  mg::RequestFacts req;
  req.method = str_member(doc, "method");
  if (req.method.empty()) req.method = "GET";
  std::string_view url = str_member(doc, "url");
  std::string resolved;
  split_url(url, &req.path, &req.query, &resolved);
  auto nit = doc.FindMember("now");
  req.now = (nit != doc.MemberEnd() && nit->value.IsInt64()) ? nit->value.GetInt64() : now_or(nullptr);
  req.range = headers[0];
  req.cond.if_match = headers[1];
  req.cond.if_none_match = headers[2];
  req.cond.if_modified_since = headers[3];
  req.cond.if_unmodified_since = headers[4];
  req.cond.if_range = headers[5];
  req.content_type = headers[6];
  req.content_length = headers[7];

  mg::ModelObject object;
  auto oit = doc.FindMember("object");
  if (oit != doc.MemberEnd() && oit->value.IsObject()) {
    const rapidjson::Value& o = oit->value;
    object.exists = true;
    auto sit = o.FindMember("size");
    object.facts.size = (sit != o.MemberEnd() && sit->value.IsUint64()) ? sit->value.GetUint64() : 0;
    object.facts.etag = str_member(o, "etag");
    object.facts.content_type = str_member(o, "content_type");
    std::int64_t lm = 0;
    std::string_view lm_text = str_member(o, "last_modified");
    if (!lm_text.empty() && !mg::http_date_parse(lm_text, req.now, &lm))
      return explain_error("object.last_modified is not an HTTP-date");
    object.facts.uploaded = lm;
  }

  // An upload's body: its first bytes, base64 (absent: not given).
  std::string body_head;
  bool have_body_head = false;
  auto bit = doc.FindMember("body_head");
  if (bit != doc.MemberEnd()) {
    if (!bit->value.IsString() ||
        !body_head_decode(std::string_view(bit->value.GetString(), bit->value.GetStringLength()), &body_head))
      return explain_error("body_head is not base64");
    have_body_head = true;
  }

  static mg::Decision d;
  if (req.method == "PUT") {
    if (!explain_upload(config, req, have_body_head ? &body_head : nullptr, &d)) return;
  } else if (mg::decide_with_model(config, req, object, &d) < 0) {
    return explain_error("the gate asked for more than two storage operations");
  }

  const mg::Response& r = d.response;
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("status");
  w.Int(r.status);
  w.Key("reason");
  std::string_view rn = mg::reason_info(r.reason).name;
  w.String(rn.data(), static_cast<rapidjson::SizeType>(rn.size()));
  w.Key("headers");
  w.StartObject();
  for (std::size_t i = 0; i < r.n_headers; ++i) {
    w.Key(r.headers[i].name.data(), static_cast<rapidjson::SizeType>(r.headers[i].name.size()));
    w.String(r.headers[i].value.data(), static_cast<rapidjson::SizeType>(r.headers[i].value.size()));
  }
  w.EndObject();
  if (r.body == mg::BodySource::text) {
    std::string_view body = r.text.empty() ? mg::reason_info(r.reason).body : r.text;
    w.Key("body");
    w.String(body.data(), static_cast<rapidjson::SizeType>(body.size()));
  }
  if (r.body == mg::BodySource::object && r.has_span) {
    w.Key("span");
    w.StartArray();
    w.Uint64(r.span.first);
    w.Uint64(r.span.last);
    w.EndArray();
  }
  w.EndObject();
  std::printf("%s\n", sb.GetString());
}

int cmd_explain() {
  mg::Config config = load_config();
  std::string line;
  int c;
  while (true) {
    line.clear();
    while ((c = std::getchar()) != EOF && c != '\n') line += static_cast<char>(c);
    if (!line.empty()) explain_line(config, line);
    std::fflush(stdout);
    if (c == EOF) break;
  }
  return 0;
}

}  // namespace

namespace mgcli {

int usage_error(std::string_view cmd, std::string_view what) {
  std::fprintf(stderr, "mediagate %.*s: %.*s\n", static_cast<int>(cmd.size()), cmd.data(),
               static_cast<int>(what.size()), what.data());
  if (const Command* c = find_command(cmd)) std::fprintf(stderr, "usage: %s", c->synopsis);
  else print_help(stderr);
  return 2;
}

}  // namespace mgcli

int main(int argc, char** argv) {
  if (argc < 2) {
    print_help(stderr);
    return 2;
  }
  std::string_view cmd = argv[1];
  if (cmd == "--help" || cmd == "-h") {
    print_help(stdout);
    return 0;
  }
  if (cmd == "--version") return print_version();
  if (cmd == "help") {
    if (argc == 2) {
      print_help(stdout);
      return 0;
    }
    const Command* c = find_command(argv[2]);
    if (!c || argc > 3) return usage_error("help", "takes one command name");
    print_command_help(*c, stdout);
    return 0;
  }
  const Command* c = find_command(cmd);
  if (!c) {
    std::fprintf(stderr, "mediagate: unknown command '%s'\n", argv[1]);
    print_help(stderr);
    return 2;
  }
  // COMMAND --help (or -h) anywhere among its arguments: its usage, before
  // anything reads the environment or stdin.
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      print_command_help(*c, stdout);
      return 0;
    }
  }
  if (cmd == "mint") return cmd_mint(argc - 2, argv + 2);
  if (cmd == "verify") return cmd_verify(argc - 2, argv + 2);
  if (cmd == "explain") return argc == 2 ? cmd_explain() : usage_error("explain", "takes no arguments");
  if (cmd == "fingerprint") return argc == 2 ? cmd_fingerprint() : usage_error("fingerprint", "takes no arguments");
  if (cmd == "revoke") { int cmd_revoke(int, char**); return cmd_revoke(argc - 2, argv + 2); }  // revoke_cmd.cc
  if (cmd == "revocations") { int cmd_revocations(int, char**); return cmd_revocations(argc - 2, argv + 2); }
  if (cmd == "abi") { int cmd_abi(int, char**); return cmd_abi(argc - 2, argv + 2); }  // abi_cmd.cc: tests only
  // stats and fixtures are Node tools: scripts/mediagate runs them.
  std::fprintf(stderr, "mediagate %s: a Node tool; run it through scripts/mediagate\n", argv[1]);
  return 2;
}
