// mediagate revoke / mediagate revocations build-snapshot: the operator's
// and the backend team's side of docs/CONTRACT.md section 7 (docs/REVOCATION.md).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "cli.h"
#include "key.h"
#include "utf8.h"
#include "revocation.h"

namespace {

std::string hex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

std::string kv_name(std::string_view key) {
  unsigned char sha[32];
  mg::revocation_key_hash(key, sha);
  return "rev:" + hex(sha, 32);
}

// Single-quotes `s` for a POSIX shell.
std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string_view strip_slashes(std::string_view key) {
  while (!key.empty() && key.front() == '/') key.remove_prefix(1);
  return key;
}


}  // namespace

// Prints (or, with --apply, runs) the backend's KV write revoking KEY.
int cmd_revoke(int argc, char** argv) {
  const char* key_arg = nullptr;
  std::string scope = "all";
  bool apply = false, local = false;
  for (int i = 0; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--scope" && i + 1 < argc) scope = argv[++i];
    else if (a == "--apply") apply = true;
    else if (a == "--local") local = true;
    else if (!key_arg && !a.empty() && a[0] != '-') key_arg = argv[i];
    else return mgcli::usage_error("revoke", "unknown or incomplete argument");
  }
  if (!key_arg) return mgcli::usage_error("revoke", "needs a KEY");
  if (scope != "all" && scope != "public") return mgcli::usage_error("revoke", "--scope is all or public");
  std::string_view key = strip_slashes(key_arg);
  if (key.empty() || !mg::utf8_valid(key)) {
    std::fputs("mediagate revoke: KEY must be a non-empty UTF-8 object key\n", stderr);
    return 2;
  }
  std::string name = kv_name(key);
  std::string value = "{\"scope\":\"" + scope + "\",\"at\":" + std::to_string(std::time(nullptr)) + "}";
  // The scope again as the key's metadata: compaction reads it from the
  // listing alone (docs/REVOCATION.md, "For the backend team").
  std::string metadata = "{\"scope\":\"" + scope + "\"}";
  std::string where = local ? "--local" : "--remote";
  if (apply) {
    std::fprintf(stderr, "writing %s = %s, metadata %s (%s)\n", name.c_str(), value.c_str(), metadata.c_str(),
                 where.c_str());
    const char* args[] = {"npx", "--no-install", "wrangler", "kv", "key", "put", "--binding", "MEDIA_REVOCATIONS",
                          where.c_str(), "--metadata", metadata.c_str(), name.c_str(), value.c_str(), nullptr};
    execvp("npx", const_cast<char* const*>(args));
    std::perror("mediagate revoke: npx wrangler");
    return 1;
  }
  std::printf("key:   %.*s\nkv:    %s\nvalue: %s\nmetadata: %s\n\n", static_cast<int>(key.size()), key.data(),
              name.c_str(), value.c_str(), metadata.c_str());
  std::printf("wrangler (from the repository, with wrangler.toml's MEDIA_REVOCATIONS namespace):\n");
  std::printf("  npx wrangler kv key put --binding MEDIA_REVOCATIONS %s --metadata %s %s %s\n\n", where.c_str(),
              shell_quote(metadata).c_str(), shell_quote(name).c_str(), shell_quote(value).c_str());
  std::printf("Cloudflare API (the backend's write: value and metadata in one request):\n");
  std::printf(
      "  curl -X PUT \"https://api.cloudflare.com/client/v4/accounts/$CF_ACCOUNT_ID/storage/kv/namespaces/"
      "$MEDIA_REVOCATIONS_NAMESPACE_ID/values/%s\" \\\n"
      "    -H \"Authorization: Bearer $CF_API_TOKEN\" -F %s -F %s\n",
      name.c_str(), shell_quote("value=" + value).c_str(), shell_quote("metadata=" + metadata).c_str());
  return 0;
}

// Reads object keys (one per line, optionally "KEY<TAB>all|public") and
// writes the snapshot the scheduled handler would build from their entries,
// plus, with --bulk, the entries themselves, with their scope as metadata,
// for `wrangler kv bulk put` (the handler's sweeps rebuild from them, so they
// must exist too; re-putting old entries this way also moves them to the
// metadata form).
int cmd_revocations(int argc, char** argv) {
  if (argc < 1 || std::string_view(argv[0]) != "build-snapshot")
    return mgcli::usage_error("revocations", "the only subcommand is build-snapshot");
  const char* out_path = nullptr;
  const char* bulk_path = nullptr;
  std::string scope = "all";
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--out" && i + 1 < argc) out_path = argv[++i];
    else if (a == "--bulk" && i + 1 < argc) bulk_path = argv[++i];
    else if (a == "--scope" && i + 1 < argc) scope = argv[++i];
    else return mgcli::usage_error("revocations", "unknown or incomplete argument");
  }
  if (!out_path) return mgcli::usage_error("revocations", "build-snapshot needs --out FILE");
  if (scope != "all" && scope != "public") return mgcli::usage_error("revocations", "--scope is all or public");
  std::vector<std::uint64_t> entries;
  std::FILE* bulk = bulk_path ? std::fopen(bulk_path, "w") : nullptr;
  if (bulk_path && !bulk) {
    std::perror(bulk_path);
    return 1;
  }
  if (bulk) std::fputs("[", bulk);
  long at = static_cast<long>(std::time(nullptr));
  std::string line;
  std::size_t lineno = 0, skipped = 0;
  int c;
  do {
    line.clear();
    while ((c = std::getchar()) != EOF && c != '\n') line += static_cast<char>(c);
    if (line.empty()) continue;
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view l = line, row_scope = scope;
    std::size_t tab = l.find('\t');
    if (tab != std::string_view::npos) {
      row_scope = l.substr(tab + 1);
      l = l.substr(0, tab);
    }
    std::string_view key = strip_slashes(l);
    if (key.empty() || !mg::utf8_valid(key) || (row_scope != "all" && row_scope != "public")) {
      std::fprintf(stderr, "line %zu: skipped (empty or invalid key, or unknown scope)\n", lineno);
      ++skipped;
      continue;
    }
    unsigned char sha[32];
    mg::revocation_key_hash(key, sha);
    entries.push_back(mg::revocation_entry(sha, row_scope == "all" ? mg::RevocationScope::all : mg::RevocationScope::pub));
    if (bulk)
      std::fprintf(bulk,
                   "%s\n{\"key\":\"rev:%s\",\"value\":\"{\\\"scope\\\":\\\"%.*s\\\",\\\"at\\\":%ld}\","
                   "\"metadata\":{\"scope\":\"%.*s\"}}",
                   entries.size() == 1 ? "" : ",", hex(sha, 32).c_str(), static_cast<int>(row_scope.size()),
                   row_scope.data(), at, static_cast<int>(row_scope.size()), row_scope.data());
  } while (c != EOF);
  if (bulk) {
    std::fputs("\n]\n", bulk);
    std::fclose(bulk);
  }
  std::vector<unsigned char> snapshot(mg::revocation_snapshot_bytes(entries.size()));
  std::size_t n = mg::revocation_snapshot_write(entries.data(), entries.size(), at, snapshot.data(), snapshot.size());
  if (!n) {
    std::fputs("mediagate revocations: too many keys for one snapshot\n", stderr);
    return 1;
  }
  std::FILE* out = std::fopen(out_path, "wb");
  if (!out || std::fwrite(snapshot.data(), 1, n, out) != n || std::fclose(out) != 0) {
    std::perror(out_path);
    return 1;
  }
  std::fprintf(stderr,
               "%zu keys (%zu skipped) -> %s, %zu bytes\n"
               "upload:  npx wrangler kv key put --binding MEDIA_REVOCATIONS --remote snapshot:v1 --path %s\n",
               entries.size(), skipped, out_path, n, out_path);
  if (bulk_path)
    std::fprintf(stderr, "entries: npx wrangler kv bulk put --binding MEDIA_REVOCATIONS --remote %s\n", bulk_path);
  return 0;
}
