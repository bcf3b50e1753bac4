// `mediagate abi`: the Wasm exports of wasm/abi/abi.cc, run natively, for differential testing
// (scripts/differential.mjs, docs/TESTING.md). Not for operators: it is not in `usage`.
//
// This file compiles wasm/abi/abi.cc itself, unchanged, so the native side runs the very
// exports the Worker calls. The one Wasm-only piece abi.cc uses, memory.grow, is supplied here:
// fresh 64 KiB-aligned pages whose address / 65536 is the "page number" abi.cc multiplies back.
//
// Framing (binary-safe), one call per frame on stdin:
//   <call> <arg> <len>\n<len bytes>
// and one answer per call on stdout:
//   <ret> <n>\n<n bytes>
// where the bytes go into the input buffer before the call, as the shim writes them there (at
// most mg_in_cap()): for begin/finish the binary input of wasm/src/protocol.h (numbers, then
// NUL-terminated strings, as worker-shim/core.js encodeInput makes it), a secret's bytes, and
// text for configure and build_add. `ret` is the export's return value, and the answer's
// bytes are the `ret` bytes of the output buffer for configure/begin/finish (for begin/finish
// a binary decision), the built snapshot for build_finish, and nothing otherwise.
//   secret <index> <len|-1>     mg_set_secret(index, len)
//   configure 0 <len>            mg_configure(len)
//   begin 0 <len>                mg_begin(len)
//   finish 0 <len>               mg_finish(len)
//   snapshot_install 0 <len>     mg_snapshot_alloc(len), the bytes copied there, mg_snapshot_install()
//   snapshot_clear 0 0           mg_snapshot_clear()
//   build_reset 0 0              mg_snapshot_build_reset()
//   build_add 0 <len>            mg_snapshot_build_add(len)
//   build_keep 0 <len>           mg_snapshot_build_keep(len)
//   build_finish <built_at> 0    mg_snapshot_build_finish(built_at), then mg_snapshot_build_ptr()
// Answers are flushed whenever stdin has nothing buffered, so a client may pipeline calls.
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace mg_native {

// memory.grow(0, pages): `pages` zeroed 64 KiB pages; returns their first page's number, -1 when
// memory cannot grow. Regions are never freed (linear memory never shrinks either) and stay
// listed here, so LeakSanitizer sees them as reachable.
long memory_grow(int /*memory index*/, std::size_t pages) {
  constexpr std::size_t kPage = 65536;
  static std::vector<void*> regions;
  void* p = std::aligned_alloc(kPage, pages * kPage);
  if (!p) return -1;
  std::memset(p, 0, pages * kPage);
  regions.push_back(p);
  return static_cast<long>(reinterpret_cast<std::uintptr_t>(p) / kPage);
}

}  // namespace mg_native

#define __builtin_wasm_memory_grow(index, pages) mg_native::memory_grow(index, pages)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wunknown-attributes"
#pragma clang diagnostic ignored "-Wignored-attributes"
#include "wasm/abi/abi.cc"
#pragma clang diagnostic pop
#undef __builtin_wasm_memory_grow

namespace {

// --- Framing -------------------------------------------------------------------------------------

// stdin through one buffer; stdout is flushed before every read that would block.
struct Input {
  char buf[1 << 16];
  std::size_t pos = 0, end = 0;
  bool fill() {
    if (pos < end) return true;
    std::fflush(stdout);
    ssize_t n;
    do n = ::read(0, buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    pos = 0;
    end = static_cast<std::size_t>(n);
    return true;
  }
  bool line(std::string* out) {
    out->clear();
    for (;;) {
      if (!fill()) return false;
      char c = buf[pos++];
      if (c == '\n') return true;
      if (out->size() > 200) return false;
      *out += c;
    }
  }
  bool bytes(char* dst, std::size_t n) {
    while (n) {
      if (!fill()) return false;
      std::size_t k = end - pos < n ? end - pos : n;
      std::memcpy(dst, buf + pos, k);
      pos += k;
      dst += k;
      n -= k;
    }
    return true;
  }
};

void answer(long long ret, const void* bytes, std::size_t n) {
  std::printf("%lld %zu\n", ret, n);
  if (n) std::fwrite(bytes, 1, n, stdout);
}

int fail(const char* what) {
  std::fflush(stdout);
  std::fprintf(stderr, "mediagate abi: %s\n", what);
  return 2;
}

}  // namespace

int cmd_abi(int argc, char** argv) {
  (void)argv;
  if (argc != 0) return fail("takes no arguments (frames on stdin, see wasm/cli/abi_cmd.cc)");
  static Input in;
  static std::string snapshot;
  std::string header;
  while (in.line(&header)) {
    char call[32];
    double arg = 0;
    long long len = 0;
    if (std::sscanf(header.c_str(), "%31s %lf %lld", call, &arg, &len) != 3) return fail("bad frame header");
    std::string_view c = call;
    // The payload: into the input buffer (at most its capacity, as encodeInto would write),
    // or, for a snapshot, into the slot mg_snapshot_alloc returns.
    std::size_t n = len > 0 ? static_cast<std::size_t>(len) : 0;
    if (c == "snapshot_install") {
      snapshot.resize(n);
      if (!in.bytes(snapshot.data(), n)) return fail("truncated frame");
      auto* p = reinterpret_cast<unsigned char*>(mg_snapshot_alloc(static_cast<std::int32_t>(n)));
      if (!p) {
        answer(-1, nullptr, 0);
        continue;
      }
      if (n) std::memcpy(p, snapshot.data(), n);
      answer(mg_snapshot_install(), nullptr, 0);
      continue;
    }
    if (n > static_cast<std::size_t>(mg_in_cap())) return fail("payload larger than the input buffer");
    if (!in.bytes(reinterpret_cast<char*>(mg_in_ptr()), n)) return fail("truncated frame");
    const auto* out = reinterpret_cast<const char*>(mg_out_ptr());
    auto i32 = static_cast<std::int32_t>(len);
    if (c == "secret") {
      answer(mg_set_secret(static_cast<std::int32_t>(arg), i32), nullptr, 0);
    } else if (c == "configure" || c == "begin" || c == "finish") {
      std::int32_t r = c == "configure" ? mg_configure(i32) : c == "begin" ? mg_begin(i32) : mg_finish(i32);
      answer(r, out, r > 0 ? static_cast<std::size_t>(r) : 0);
    } else if (c == "snapshot_clear") {
      answer(mg_snapshot_clear(), nullptr, 0);
    } else if (c == "build_reset") {
      mg_snapshot_build_reset();
      answer(0, nullptr, 0);
    } else if (c == "build_add") {
      answer(mg_snapshot_build_add(i32), nullptr, 0);
    } else if (c == "build_keep") {
      answer(mg_snapshot_build_keep(i32), nullptr, 0);
    } else if (c == "build_finish") {
      std::int32_t r = mg_snapshot_build_finish(arg);
      answer(r, reinterpret_cast<const void*>(mg_snapshot_build_ptr()), r > 0 ? static_cast<std::size_t>(r) : 0);
    } else {
      return fail("unknown call");
    }
  }
  std::fflush(stdout);
  return 0;
}
