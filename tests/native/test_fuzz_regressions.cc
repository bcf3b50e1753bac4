// Regressions for what the fuzz targets (tests/fuzz/, docs/TESTING.md) found in the core. Each
// case names the target and the input that found it; the input is also in the target's corpus.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "revocation.h"

namespace {

// A snapshot laid out by hand, as another writer might: header, then the entries as given.
std::vector<unsigned char> raw_snapshot(const std::vector<std::uint64_t>& entries) {
  std::vector<unsigned char> out = {'M', 'G', 'R', 'V', 1, 0, 0, 0};
  auto put = [&out](std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
  };
  put(entries.size(), 4);
  put(0, 4);
  put(1767225600, 8);
  for (std::uint64_t e : entries) put(e, 8);
  return out;
}

}  // namespace

TEST_CASE("contract 7, fuzz_revocation keys_both_scopes: a key listed under both scopes is revoked for all") {
  // revocation_snapshot_write merges a key's two entries ("all" wins), but revocation_view also
  // loads a sorted, unmerged snapshot, where the public entry (low bit 0) comes first. The
  // lookup used to stop there and answer "public only": a private token would have been served.
  unsigned char sha[32];
  mg::revocation_key_hash("u/a.png", sha);
  std::vector<unsigned char> bytes = raw_snapshot({mg::revocation_entry(sha, mg::RevocationScope::pub),
                                                   mg::revocation_entry(sha, mg::RevocationScope::all)});
  mg::RevocationView view;
  REQUIRE(mg::revocation_view(bytes.data(), bytes.size(), &view));
  CHECK(view.count == 2);
  CHECK(mg::revocation_lookup(view, "u/a.png") == mg::RevocationScope::all);
  CHECK(mg::revocation_lookup(view, "u/b.png") == mg::RevocationScope::none);
}
