#include "revocation.h"

#include <cstring>

#include "bearssl_hash.h"
#include "hex.h"
#include "json_object.h"

namespace mg {
namespace {

constexpr unsigned char kMagic[4] = {'M', 'G', 'R', 'V'};
constexpr std::uint32_t kVersion = 1;

std::uint64_t load_le64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
std::uint32_t load_le32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
void store_le64(unsigned char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
void store_le32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

// Reads the top-level "scope" member of a revocation value with the core's
// one JSON reader (json_object.h, the token's too), over a copy. Every
// doubt resolves to `none` (read as "all" by the caller: refuse rather than
// serve): not one strict JSON object (json_object.h: duplicate names, bad
// UTF-8, nesting, size), a scope other than the string "all" or "public",
// or a name or scope spelled with escapes ("pub\u006cic" is not read).
RevocationScope value_scope(std::string_view value) {
  static char buf[kJsonMaxBytes + 1];
  if (value.size() > kJsonMaxBytes) return RevocationScope::none;
  std::memcpy(buf, value.data(), value.size());
  JsonMember scope{"scope"};
  if (!json_read_object(buf, value.size(), &scope, 1) || scope.type != JsonType::string) return RevocationScope::none;
  // Written without escapes: the text holds exactly the name and the value,
  // each followed by its closing quote.
  auto as_written = [&](const char* s, std::size_t n) {
    std::size_t at = static_cast<std::size_t>(s - buf);
    return value.substr(at, n) == std::string_view(s, n) && value.substr(at + n, 1) == "\"";
  };
  if (!as_written(scope.key, scope.name.size()) || !as_written(scope.str, scope.len)) return RevocationScope::none;
  std::string_view v(scope.str, scope.len);
  return v == "all" ? RevocationScope::all : v == "public" ? RevocationScope::pub : RevocationScope::none;
}

// In-place heapsort: no allocation, small code, O(n log n) for the
// scheduled handler's million-entry case.
void sift_down(std::uint64_t* a, std::size_t root, std::size_t n) {
  for (;;) {
    std::size_t child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && a[child + 1] > a[child]) ++child;
    if (a[root] >= a[child]) return;
    std::uint64_t t = a[root]; a[root] = a[child]; a[child] = t;
    root = child;
  }
}
void heap_sort(std::uint64_t* a, std::size_t n) {
  if (n < 2) return;
  for (std::size_t i = n / 2; i-- > 0;) sift_down(a, i, n);
  for (std::size_t end = n - 1; end > 0; --end) {
    std::uint64_t t = a[0]; a[0] = a[end]; a[end] = t;
    sift_down(a, 0, end);
  }
}

}  // namespace

void revocation_key_hash(std::string_view key, unsigned char out[32]) {
  br_sha256_context ctx;
  br_sha256_init(&ctx);
  br_sha256_update(&ctx, key.data(), key.size());
  br_sha256_out(&ctx, out);
}

std::uint64_t revocation_entry(const unsigned char sha256[32], RevocationScope scope) {
  std::uint64_t prefix = 0;
  for (int i = 0; i < 8; ++i) prefix = (prefix << 8) | sha256[i];
  return (prefix & ~std::uint64_t{1}) | (scope == RevocationScope::all ? 1u : 0u);
}

bool revocation_view(const unsigned char* data, std::size_t len, RevocationView* out) {
  *out = RevocationView{};
  if (!data || len < kSnapshotHeaderBytes || std::memcmp(data, kMagic, 4) != 0) return false;
  if (load_le32(data + 4) != kVersion || load_le32(data + 12) != 0) return false;
  std::size_t count = load_le32(data + 8);
  if (count > kMaxSnapshotEntries || len != revocation_snapshot_bytes(count)) return false;
  const unsigned char* entries = data + kSnapshotHeaderBytes;
  // Strictly ascending: the binary search depends on it, and a duplicate
  // would mean the writer is not ours.
  for (std::size_t i = 1; i < count; ++i)
    if (load_le64(entries + 8 * (i - 1)) >= load_le64(entries + 8 * i)) return false;
  out->entries = entries;
  out->count = count;
  out->built_at = static_cast<std::int64_t>(load_le64(data + 16));
  return true;
}

RevocationScope revocation_lookup(const RevocationView& view, std::string_view key) {
  if (view.count == 0) return RevocationScope::none;
  unsigned char sha[32];
  revocation_key_hash(key, sha);
  const std::uint64_t base = revocation_entry(sha, RevocationScope::pub);  // low bit 0
  // Lower bound of `base` over the ascending entries.
  std::size_t lo = 0, hi = view.count;
  while (lo < hi) {
    std::size_t mid = lo + (hi - lo) / 2;
    if (load_le64(view.entries + 8 * mid) < base) lo = mid + 1;
    else hi = mid;
  }
  // The writer merges scopes, so at most one of base / base|1 is present; a
  // snapshot from another writer may hold both (base first): "all" wins, as
  // the merge would have it (tests/fuzz/fuzz_revocation.cc found it).
  RevocationScope found = RevocationScope::none;
  for (std::size_t i = lo; i < view.count && i < lo + 2; ++i) {
    std::uint64_t e = load_le64(view.entries + 8 * i);
    if (e == (base | 1)) return RevocationScope::all;
    if (e == base) found = RevocationScope::pub;
  }
  return found;
}

namespace {

// The SHA-256 a KV entry name carries: "rev:" + 64 hex digits.
bool name_hash(std::string_view name, unsigned char sha[32]) {
  constexpr std::string_view kPrefix = "rev:";
  if (name.size() != kPrefix.size() + 64 || name.substr(0, kPrefix.size()) != kPrefix) return false;
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = hex_value(name[4 + 2 * i]), lo = hex_value(name[5 + 2 * i]);
    if (hi < 0 || lo < 0) return false;
    sha[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

}  // namespace

bool revocation_parse_kv(std::string_view name, std::string_view value, std::uint64_t* entry) {
  unsigned char sha[32];
  if (!name_hash(name, sha)) return false;
  // Values are small; anything over kJsonMaxBytes is not the backend's and is read as "all".
  RevocationScope scope = value_scope(value);
  *entry = revocation_entry(sha, scope == RevocationScope::none ? RevocationScope::all : scope);
  return true;
}

bool revocation_name_entry(std::string_view name, std::uint64_t* entry) {
  unsigned char sha[32];
  if (!name_hash(name, sha)) return false;
  *entry = revocation_entry(sha, RevocationScope::pub);
  return true;
}

long revocation_keep_outside(const RevocationView& view, std::string_view after, std::string_view through,
                             std::uint64_t* out) {
  std::uint64_t lo = 0, hi = 0;
  if ((!after.empty() && !revocation_name_entry(after, &lo)) || (!through.empty() && !revocation_name_entry(through, &hi)))
    return -1;
  long n = 0;
  for (std::size_t i = 0; i < view.count; ++i) {
    std::uint64_t e = load_le64(view.entries + 8 * i);
    std::uint64_t k = e & ~std::uint64_t{1};
    bool inside = (after.empty() || k > lo) && (through.empty() || k <= hi);
    if (!inside) out[n++] = e;
  }
  return n;
}

std::size_t revocation_snapshot_write(std::uint64_t* entries, std::size_t n, std::int64_t built_at,
                                      unsigned char* out, std::size_t cap) {
  heap_sort(entries, n);
  // Merge: equal entries, and a key present under both scopes (base, base|1)
  // which sort next to each other; "all" wins.
  std::size_t w = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t e = entries[i];
    if (w > 0 && (entries[w - 1] | 1) == (e | 1)) {
      entries[w - 1] |= e & 1;
      continue;
    }
    entries[w++] = e;
  }
  if (w > kMaxSnapshotEntries || cap < revocation_snapshot_bytes(w)) return 0;
  std::memcpy(out, kMagic, 4);
  store_le32(out + 4, kVersion);
  store_le32(out + 8, static_cast<std::uint32_t>(w));
  store_le32(out + 12, 0);
  store_le64(out + 16, static_cast<std::uint64_t>(built_at));
  for (std::size_t i = 0; i < w; ++i) store_le64(out + kSnapshotHeaderBytes + 8 * i, entries[i]);
  return revocation_snapshot_bytes(w);
}

}  // namespace mg
