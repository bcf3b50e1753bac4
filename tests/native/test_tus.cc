// tus 1.0.0 header grammar and the part grid (wasm/src/tus.h; docs/UPLOADS.md,
// "Resumable uploads (tus 1.0)"). Metadata rows are what tus-js-client
// sends (`filename`, `filetype`, values in padded standard base64).
#include <doctest/doctest.h>

#include <string>

#include "token.h"
#include "tus.h"

TEST_CASE("tus: Tus-Resumable is exactly 1.0.0") {
  CHECK(mg::tus_resumable_ok("1.0.0"));
  CHECK(mg::tus_resumable_ok(" 1.0.0\t"));
  for (const char* bad : {"", "1.0", "1.0.0,1.0.0", "0.2.2", "1.0.0 x", "v1.0.0"}) {
    CAPTURE(bad);
    CHECK_FALSE(mg::tus_resumable_ok(bad));
  }
}

TEST_CASE("tus: Upload-Length and Upload-Offset are one decimal number") {
  std::uint64_t v = 7;
  CHECK(mg::tus_parse_number("0", &v));
  CHECK(v == 0);
  CHECK(mg::tus_parse_number(" 20971520 ", &v));
  CHECK(v == 20971520);
  CHECK(mg::tus_parse_number("18446744073709551615", &v));
  CHECK(v == 18446744073709551615ull);
  for (const char* bad : {"", "-1", "+1", "1.5", "1e3", "0x10", "1, 2", "18446744073709551616", "1 2"}) {
    CAPTURE(bad);
    CHECK_FALSE(mg::tus_parse_number(bad, &v));
  }
}

TEST_CASE("tus: Upload-Metadata pairs, as tus-js-client sends them") {
  struct Row {
    const char* header;
    const char* key;
    mg::TusMetadata want;
    const char* value;
  };
  const Row rows[] = {
      // tus-js-client: metadata {filename: "clip.mp4", filetype: "video/mp4"}.
      {"filename Y2xpcC5tcDQ=,filetype dmlkZW8vbXA0", "filetype", mg::TusMetadata::found, "video/mp4"},
      {"filename Y2xpcC5tcDQ=,filetype dmlkZW8vbXA0", "filename", mg::TusMetadata::found, "clip.mp4"},
      {"filename Y2xpcC5tcDQ=, filetype dmlkZW8vbXA0", "filetype", mg::TusMetadata::found, "video/mp4"},
      {"filetype dmlkZW8vbXA0", "filename", mg::TusMetadata::absent, ""},
      {"", "filetype", mg::TusMetadata::absent, ""},
      {"is_confidential", "is_confidential", mg::TusMetadata::found, ""},
      {"filetype aW1hZ2UvcG5n", "filetype", mg::TusMetadata::found, "image/png"},
      {"filetype aW1hZ2UvcG5n,", "filetype", mg::TusMetadata::malformed, ""},
      {",filetype aW1hZ2UvcG5n", "filetype", mg::TusMetadata::malformed, ""},
      {"filetype aW1hZ2UvcG5n,filetype dmlkZW8vbXA0", "filetype", mg::TusMetadata::malformed, ""},
      {"filetype aW1hZ2UvcG5n,filetype dmlkZW8vbXA0", "other", mg::TusMetadata::malformed, ""},
      {"filetype aW1hZ2U_cG5n", "filetype", mg::TusMetadata::malformed, ""},  // base64url is not base64
      {"filetype aW1hZ2UvcG5n=", "filetype", mg::TusMetadata::malformed, ""},
      {"filetype a W1h", "filetype", mg::TusMetadata::malformed, ""},
      {"filename !!!,filetype aW1hZ2UvcG5n", "filetype", mg::TusMetadata::malformed, ""},
  };
  for (const Row& row : rows) {
    CAPTURE(row.header);
    CAPTURE(row.key);
    unsigned char out[64];
    std::size_t n = 0;
    CHECK(mg::tus_metadata_get(row.header, row.key, out, sizeof out, &n) == row.want);
    if (row.want == mg::TusMetadata::found) CHECK(std::string(reinterpret_cast<char*>(out), n) == row.value);
  }
  unsigned char small[4];
  std::size_t n = 0;
  CHECK(mg::tus_metadata_get("filetype dmlkZW8vbXA0", "filetype", small, sizeof small, &n) == mg::TusMetadata::malformed);
}

TEST_CASE("tus: base64 with and without padding, one spelling per byte string") {
  unsigned char out[16];
  std::size_t n = 0;
  CHECK(mg::base64_decode("aGk=", out, sizeof out, &n));
  CHECK(std::string(reinterpret_cast<char*>(out), n) == "hi");
  CHECK(mg::base64_decode("aGk", out, sizeof out, &n));
  CHECK(n == 2);
  CHECK(mg::base64_decode("+/8=", out, sizeof out, &n));
  CHECK((n == 2 && out[0] == 0xfb && out[1] == 0xff));
  for (const char* bad : {"aGl=", "aGk==", "a===", "aG=k", "-_8=", "aGk=aGk=", " aGk="}) {
    CAPTURE(bad);
    CHECK_FALSE(mg::base64_decode(bad, out, sizeof out, &n));
  }
}

TEST_CASE("tus: the part grid is fixed by the length, 5 MiB parts up to 10,000 of them") {
  constexpr std::uint64_t MiB = 1024 * 1024;
  CHECK(mg::tus_part_size(1) == 5 * MiB);
  CHECK(mg::tus_part_size(20 * MiB) == 5 * MiB);
  CHECK(mg::tus_part_size(10000 * 5 * MiB) == 5 * MiB);
  CHECK(mg::tus_part_size(10000 * 5 * MiB + 1) == 6 * MiB);
  const std::uint64_t big = 100ull * 1024 * MiB;  // 100 GiB: parts of 11 MiB
  const std::uint64_t p = mg::tus_part_size(big);
  CHECK(p % MiB == 0);
  CHECK(mg::tus_part_count(big, p) <= mg::kTusMaxParts);
  CHECK(mg::tus_part_count(big, p - MiB) > mg::kTusMaxParts);

  const std::uint64_t len = 20 * MiB + 3;  // the 20 MiB test video, give or take
  const std::uint64_t P = mg::tus_part_size(len);
  CHECK(mg::tus_part_count(len, P) == 5);
  struct Row {
    std::uint64_t offset;
    std::uint32_t number;
    std::uint64_t first, end;
  };
  const Row rows[] = {
      {0, 1, 0, 5 * MiB},
      {5 * MiB - 1, 1, 0, 5 * MiB},
      {5 * MiB, 2, 5 * MiB, 10 * MiB},
      {20 * MiB, 5, 20 * MiB, len},
      {len - 1, 5, 20 * MiB, len},
      {len, 0, 0, 0},
  };
  for (const Row& r : rows) {
    CAPTURE(r.offset);
    mg::TusPart part = mg::tus_part_at(r.offset, len, P);
    CHECK(part.number == r.number);
    CHECK(part.first == r.first);
    CHECK(part.end == r.end);
  }
  CHECK(mg::tus_part_at(0, 10, 0).number == 0);
  CHECK(mg::tus_part_count(0, P) == 0);
}
