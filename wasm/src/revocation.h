// Revocation (docs/CONTRACT.md section 7): the compact snapshot of revoked keys
// the Wasm holds, its binary format, and the lookup on every request.
// docs/REVOCATION.md argues the design.
//
// The backend writes one KV entry per revoked key:
//   rev:<lowercase hex SHA-256 of the key's UTF-8 bytes>  ->  {"scope":"all"|"public","at":<s>}
// The scheduled handler compacts them into one snapshot value. Each entry
// is 8 bytes: the first 64 bits of the key's SHA-256 (big-endian), with the
// lowest bit replaced by the scope (1 = all tokens, 0 = public tokens only).
// Two different keys share an entry with probability ~n / 2^63 per lookup:
// with a million entries, about once in ten trillion requests, and then the
// answer errs towards refusing (410), never towards serving.
//
// Snapshot layout (little-endian):
//   0  "MGRV"   4  u32 version (1)   8  u32 count   12 u32 reserved (0)
//   16 i64 built_at (unix seconds)   24 count x u64 entries, strictly ascending
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mg {

enum class RevocationScope : std::uint8_t { none = 0, pub = 1, all = 2 };

constexpr std::size_t kSnapshotHeaderBytes = 24;
constexpr std::size_t kSnapshotEntryBytes = 8;
// KV values are at most 25 MiB: about 3.2 million entries.
constexpr std::size_t kMaxSnapshotEntries = (25u * 1024 * 1024 - kSnapshotHeaderBytes) / kSnapshotEntryBytes;

// A validated snapshot in caller-owned memory (no copy is made).
struct RevocationView {
  const unsigned char* entries = nullptr;  // count x 8 bytes, little-endian
  std::size_t count = 0;
  std::int64_t built_at = 0;
};

// Validates `data` as a snapshot (magic, version, size, strictly ascending
// entries) and points `out` into it. False leaves `out` empty.
bool revocation_view(const unsigned char* data, std::size_t len, RevocationView* out);

// SHA-256 of the key's bytes (the backend's KV name is its lowercase hex).
void revocation_key_hash(std::string_view key, unsigned char out[32]);

// The scope under which `key` is revoked, if any: a binary search, no
// allocation.
RevocationScope revocation_lookup(const RevocationView& view, std::string_view key);

// --- Building a snapshot (scheduled handler, CLI) ---------------------------

// The entry for a key hash under a scope (pub or all).
std::uint64_t revocation_entry(const unsigned char sha256[32], RevocationScope scope);

// Reads one backend KV entry: `name` must be "rev:" + 64 hex digits (else
// false: not a revocation entry). The value's "scope" is "all" or
// "public"; a value that is not a JSON object with one of those scopes is
// read as "all" (the backend meant to revoke something: refuse rather than
// serve). Unknown members are ignored.
bool revocation_parse_kv(std::string_view name, std::string_view value, std::uint64_t* entry);

// Sorts `entries` in place, merges duplicates (a key revoked under both
// scopes is revoked for all), and writes the snapshot into `out`. Returns
// the bytes written, 0 if `cap` is too small or there are more than
// kMaxSnapshotEntries distinct keys.
std::size_t revocation_snapshot_write(std::uint64_t* entries, std::size_t n, std::int64_t built_at,
                                      unsigned char* out, std::size_t cap);

// Incremental compaction (docs/REVOCATION.md, "Compaction"): a run lists
// the KV names after one name through another, and replaces that span of
// the key-hash space in the previous snapshot. `name` is a KV entry name
// ("rev:" + 64 hex digits); its entry with the scope bit clear, or false.
bool revocation_name_entry(std::string_view name, std::uint64_t* entry);

// Copies to `out` (room for view.count) the entries of `view` outside the
// span (after, through]: `after` and `through` are KV names, empty for an
// open end. Returns the number copied, or -1 when a name is not a KV entry name.
long revocation_keep_outside(const RevocationView& view, std::string_view after, std::string_view through,
                             std::uint64_t* out);

constexpr std::size_t revocation_snapshot_bytes(std::size_t n) {
  return kSnapshotHeaderBytes + n * kSnapshotEntryBytes;
}

}  // namespace mg
