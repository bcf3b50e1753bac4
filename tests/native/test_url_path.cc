// The request path as the Worker receives it (url_path.h): each row's answer
// is what workerd handed a Worker as request.url for that request target
// (wrangler's Miniflare, raw HTTP/1.1 request lines; tests/worker/parity.test.js
// checks a table of them end to end).
#include <doctest/doctest.h>

#include <string>

#include "url_path.h"

namespace {

struct PathRow {
  const char* target;    // the path as sent
  const char* resolved;  // as the Worker sees it
};

std::string resolve(std::string_view path) {
  std::string out(path.size() + 1, '\0');
  std::size_t n = mg::path_resolve_dots(path, out.data(), out.size());
  REQUIRE((n > 0 || path.empty()));
  out.resize(n);
  return out;
}

}  // namespace

TEST_CASE("dot segments: resolved as the runtime resolves them before the Worker runs") {
  const PathRow rows[] = {
      // Nothing to resolve.
      {"/m/u/demo/photo.png", "/m/u/demo/photo.png"},
      {"/m/u/demo/...", "/m/u/demo/..."},
      {"/m/u/demo/.hidden", "/m/u/demo/.hidden"},
      {"/m/u/demo/..a", "/m/u/demo/..a"},
      {"/m/u//x.png", "/m/u//x.png"},
      {"/", "/"},
      // Literal dots.
      {"/m/u/demo/x/../photo.png", "/m/u/demo/photo.png"},
      {"/m/u/demo/./photo.png", "/m/u/demo/photo.png"},
      {"/m/u/demo/x/..", "/m/u/demo/"},
      {"/m/u/demo/x/.", "/m/u/demo/x/"},
      {"/m/u/demo/x/./", "/m/u/demo/x/"},
      {"/m/u//../photo.png", "/m/u/photo.png"},  // ".." removes the empty segment
      // Above the root stays at the root.
      {"/m/../../../etc/passwd", "/etc/passwd"},
      {"/..", "/"},
      {"/../..", "/"},
      {"/.", "/"},
      // Escaped dots, either case, alone or mixed with a literal one.
      {"/m/u/demo/x/%2e%2e/photo.png", "/m/u/demo/photo.png"},
      {"/m/u/demo/x/%2E%2E/photo.png", "/m/u/demo/photo.png"},
      {"/m/u/demo/x/.%2E/photo.png", "/m/u/demo/photo.png"},
      {"/m/u/demo/x/%2e./photo.png", "/m/u/demo/photo.png"},
      {"/m/u/demo/%2e/photo.png", "/m/u/demo/photo.png"},
      {"/m/u/demo/%2E/photo.png", "/m/u/demo/photo.png"},
      {"/m/u/demo/x/%2e", "/m/u/demo/x/"},
      {"/m/u/demo/x/%2e%2e", "/m/u/demo/"},
      // Not dot segments: three dots, an escaped '/', a double escape.
      {"/m/u/demo/%2e%2e%2e", "/m/u/demo/%2e%2e%2e"},
      {"/m/u/demo/x/..%2fphoto.png", "/m/u/demo/x/..%2fphoto.png"},
      {"/m/u/demo/x/%252e%252e/photo.png", "/m/u/demo/x/%252e%252e/photo.png"},
      {"/m/a/..%5cb", "/m/a/..%5cb"},
      {"/m/u/demo/%2", "/m/u/demo/%2"},
      // Backslash separates like '/' (special URLs).
      {"/m/u/demo\\photo.png", "/m/u/demo/photo.png"},
      {"/m/u/demo/x\\..\\photo.png", "/m/u/demo/photo.png"},
      {"/m/u/demo/x/..\\photo.png", "/m/u/demo/photo.png"},
      {"\\m\\u\\x.png", "/m/u/x.png"},
      // The server's step resolves literal dots first, so an escaped ".." that a literal
      // ".." follows is the segment that ".." removes.
      {"/m/u/demo/x/%2e%2E/../y", "/m/u/demo/x/y"},
      {"/m/u/%2e%2e/%2e%2e/../x", "/m/x"},
      // Not a path: left alone.
      {"m/../x", "m/../x"},
      {"", ""},
  };
  for (const auto& row : rows) {
    CAPTURE(row.target);
    CHECK(resolve(row.target) == row.resolved);
  }
}

TEST_CASE("dot segments: a buffer shorter than the path plus one is refused") {
  char out[8];
  CHECK(mg::path_resolve_dots("/m/a/../b", out, sizeof out) == 0);
  CHECK(mg::path_resolve_dots("/m/../b", out, sizeof out) == 2);
}
