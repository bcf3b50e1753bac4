// The request path as the Worker receives it: dot segments resolved by the
// runtime's URL handling before the Worker runs (docs/ARCHITECTURE.md, "Dot
// segments"). Used by the CLI (explain, verify) so that it answers for the
// path the Worker would see; the core itself still refuses any "." or ".."
// segment left in a key (key_decode), as a defence.
#pragma once
#include <cstddef>
#include <string_view>

namespace mg {

// Resolves the dot segments of `path` (the part of a request target before
// '?', starting with '/') in the runtime's two steps:
//   1. workerd's HTTP server: literal "." and ".." segments between '/'
//      (an escaped dot is not a dot here);
//   2. the WHATWG URL parser, for an http(s) URL's path: '\' is a separator
//      like '/', and "." / ".." match case-insensitively with either dot
//      written as %2e ("%2E", ".%2e", "%2e.", "%2e%2e", ...).
// In both, ".." removes the previous segment (none above the root) and a
// final "." or ".." leaves a trailing '/'. Writes the result, which is never
// longer than max(path.size(), 1), to `out`; returns its length, or 0 when
// `cap` is too small. A path not starting with '/' or '\' is copied as is.
std::size_t path_resolve_dots(std::string_view path, char* out, std::size_t cap);

}  // namespace mg
