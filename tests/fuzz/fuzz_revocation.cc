// Fuzz target `revocation`: the revocation snapshot (docs/CONTRACT.md section 7, wasm/src/revocation.h):
// the KV entry reader (revocation_parse_kv), the snapshot writer (revocation_snapshot_write), the
// loader (revocation_view) and the lookup on every request (revocation_lookup).
//
// Input: the whole input is also tried as snapshot bytes; its lines are read as KV entries
// ("<name> TAB <value>") and as revoked keys ("<key> TAB <scope letter>": a = all, else public).
//
// Invariants:
//  - a snapshot the loader accepts has the size its count says and strictly ascending entries,
//    and looking any key up in it is safe;
//  - a KV entry is read only for "rev:" + 64 hex digits, keeps that hash, and is read as public
//    only when its value says "public" (any doubt revokes for all tokens);
//  - a snapshot written from keys loads back with one entry per distinct key, and each key looks
//    up as revoked for all tokens if any of its entries said so, else for public tokens; a key
//    not written is not revoked;
//  - a snapshot from another writer (entries sorted but not merged, so one key may be listed under
//    both scopes) still answers "all" for such a key: the lookup errs towards refusing.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "revocation.h"

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::uint64_t load_le64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void check_view(std::string_view bytes) {
  mg::RevocationView view;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (!mg::revocation_view(data, bytes.size(), &view)) {
    MG_FUZZ_CHECK(view.count == 0 && view.entries == nullptr);
    return;
  }
  MG_FUZZ_CHECK(bytes.size() == mg::revocation_snapshot_bytes(view.count));
  for (std::size_t i = 1; i < view.count; ++i)
    MG_FUZZ_CHECK(load_le64(view.entries + 8 * (i - 1)) < load_le64(view.entries + 8 * i));
  mg::revocation_lookup(view, bytes.substr(0, 16));
  mg::revocation_lookup(view, "u/a.png");
}

void check_kv(std::string_view name, std::string_view value) {
  std::uint64_t entry = 0;
  if (!mg::revocation_parse_kv(name, value, &entry)) return;
  MG_FUZZ_CHECK(name.size() == 68 && name.substr(0, 4) == "rev:");
  unsigned char sha[32];
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = hex_value(name[4 + 2 * i]), lo = hex_value(name[5 + 2 * i]);
    MG_FUZZ_CHECK(hi >= 0 && lo >= 0);
    sha[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  bool pub = (entry & 1) == 0;
  MG_FUZZ_CHECK(entry == mg::revocation_entry(sha, pub ? mg::RevocationScope::pub : mg::RevocationScope::all));
  if (pub) MG_FUZZ_CHECK(value.find("\"public\"") != std::string_view::npos);
}

struct Revoked {
  std::string key;
  bool all;
};

void check_written(const std::vector<Revoked>& keys) {
  std::vector<std::uint64_t> entries;
  unsigned char sha[32];
  for (const Revoked& r : keys) {
    mg::revocation_key_hash(r.key, sha);
    entries.push_back(mg::revocation_entry(sha, r.all ? mg::RevocationScope::all : mg::RevocationScope::pub));
  }
  std::vector<std::uint64_t> raw = entries;  // before the writer sorts and merges them
  std::vector<unsigned char> out(mg::revocation_snapshot_bytes(entries.size()));
  std::size_t n = mg::revocation_snapshot_write(entries.data(), entries.size(), 1767225600, out.data(), out.size());
  MG_FUZZ_CHECK(n > 0 && n <= out.size());
  mg::RevocationView view;
  MG_FUZZ_CHECK(mg::revocation_view(out.data(), n, &view));

  std::vector<std::string> distinct;
  for (const Revoked& r : keys) distinct.push_back(r.key);
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  MG_FUZZ_CHECK(view.count == distinct.size());  // (a 63-bit hash collision would break this)
  for (const Revoked& r : keys) {
    bool any_all = false;
    for (const Revoked& s : keys) any_all = any_all || (s.key == r.key && s.all);
    MG_FUZZ_CHECK(mg::revocation_lookup(view, r.key) ==
                  (any_all ? mg::RevocationScope::all : mg::RevocationScope::pub));
  }
  MG_FUZZ_CHECK(mg::revocation_lookup(view, "not a revoked key \x01") == mg::RevocationScope::none);

  // Another writer: sorted, strictly ascending, but not merged.
  std::sort(raw.begin(), raw.end());
  raw.erase(std::unique(raw.begin(), raw.end()), raw.end());
  std::vector<unsigned char> foreign(out.begin(), out.begin() + mg::kSnapshotHeaderBytes);
  std::uint32_t count = static_cast<std::uint32_t>(raw.size());
  for (int i = 0; i < 4; ++i) foreign[8 + i] = static_cast<unsigned char>(count >> (8 * i));
  for (std::uint64_t e : raw)
    for (int i = 0; i < 8; ++i) foreign.push_back(static_cast<unsigned char>(e >> (8 * i)));
  mg::RevocationView other;
  if (!mg::revocation_view(foreign.data(), foreign.size(), &other)) return;
  for (const Revoked& r : keys) {
    bool any_all = false;
    for (const Revoked& s : keys) any_all = any_all || (s.key == r.key && s.all);
    if (any_all) MG_FUZZ_CHECK(mg::revocation_lookup(other, r.key) == mg::RevocationScope::all);
    else MG_FUZZ_CHECK(mg::revocation_lookup(other, r.key) == mg::RevocationScope::pub);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = mgfuzz::as_text(data, size);
  check_view(text);

  std::vector<Revoked> keys;
  std::string_view rest = text;
  while (!rest.empty() && keys.size() < 64) {
    std::string_view line = mgfuzz::next_part(&rest);
    std::size_t tab = line.find('\t');
    std::string_view name = line.substr(0, tab);
    std::string_view value = tab == std::string_view::npos ? std::string_view{} : line.substr(tab + 1);
    check_kv(name, value);
    keys.push_back(Revoked{std::string(name), !value.empty() && value.front() == 'a'});
  }
  check_written(keys);
  return 0;
}
