// Shared by the fuzz targets: invariant checks that stop the run, and small input helpers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include <fuzzer/FuzzedDataProvider.h>

// An invariant, not a crash, is what the targets look for: a failed check prints what it was
// and traps, which libFuzzer reports as a crash and saves the input (the replay build fails its
// CTest test the same way).
#define MG_FUZZ_CHECK(cond)                                                              \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      __builtin_trap();                                                                  \
    }                                                                                    \
  } while (0)

namespace mgfuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Splits off the text before the first `sep` (all of it when there is none).
inline std::string_view next_part(std::string_view* rest, char sep = '\n') {
  std::size_t at = rest->find(sep);
  std::string_view part = rest->substr(0, at);
  *rest = at == std::string_view::npos ? std::string_view{} : rest->substr(at + 1);
  return part;
}

// Leading decimal digits (optionally after '-'), saturating; `fallback` when there are none.
inline std::int64_t parse_i64(std::string_view s, std::int64_t fallback) {
  bool neg = !s.empty() && s.front() == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty() || s.front() < '0' || s.front() > '9') return fallback;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    if (v > (UINT64_MAX - 9) / 10) { v = UINT64_MAX; break; }
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > static_cast<std::uint64_t>(INT64_MAX)) v = static_cast<std::uint64_t>(INT64_MAX);
  return neg ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
}

inline std::uint64_t parse_u64(std::string_view s, std::uint64_t fallback) {
  if (s.empty() || s.front() < '0' || s.front() > '9') return fallback;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    if (v > (UINT64_MAX - static_cast<std::uint64_t>(c - '0')) / 10) return UINT64_MAX;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

inline std::string decimal(std::uint64_t v) { return std::to_string(v); }

// An entry of `table`, chosen by the fuzzer's bytes (the scenario-building targets).
template <typename T, std::size_t N>
const T& pick(FuzzedDataProvider& p, const T (&table)[N]) {
  return table[p.ConsumeIntegralInRange<std::size_t>(0, N - 1)];
}

// a + b, saturating at the int64 ends (clocks and expiries built near them).
inline std::int64_t clamp_add(std::int64_t a, std::int64_t b) {
  __int128 s = static_cast<__int128>(a) + b;
  if (s > INT64_MAX) return INT64_MAX;
  if (s < INT64_MIN) return INT64_MIN;
  return static_cast<std::int64_t>(s);
}

// ASCII lowercase (media types as the core compares them).
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Every byte as %XX: decodes back to exactly `bytes`.
inline std::string percent_encode_all(std::string_view bytes) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

// Python's urllib.parse.quote(s, safe="/~"), as the backend builds media URLs.
inline std::string quote_path(std::string_view key) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char ch : key) {
    auto c = static_cast<unsigned char>(ch);
    bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '.' || c == '-' || c == '~' || c == '/';
    if (safe) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

inline bool has_byte(std::string_view s, char c) { return s.find(c) != std::string_view::npos; }

// A header value a Response may carry: no CR, LF or NUL (response splitting).
inline bool clean_value(std::string_view v) {
  return !has_byte(v, '\r') && !has_byte(v, '\n') && !has_byte(v, '\0');
}

}  // namespace mgfuzz
