#include "url_path.h"

namespace mg {

namespace {

// Which spellings of a dot segment a step recognises, and its separators.
struct DotRules {
  bool escaped_dots;       // "%2e" (either case) counts as "."
  bool backslash_is_sep;   // '\' separates segments like '/'
};

bool is_separator(char c, const DotRules& rules) { return c == '/' || (rules.backslash_is_sep && c == '\\'); }

// Consumes one dot ("." or, when allowed, "%2e"/"%2E") at the front of `s`.
bool take_dot(std::string_view* s, const DotRules& rules) {
  if (!s->empty() && (*s)[0] == '.') {
    s->remove_prefix(1);
    return true;
  }
  if (rules.escaped_dots && s->size() >= 3 && (*s)[0] == '%' && (*s)[1] == '2' && ((*s)[2] == 'e' || (*s)[2] == 'E')) {
    s->remove_prefix(3);
    return true;
  }
  return false;
}

// 0: not a dot segment, 1: single-dot, 2: double-dot.
int dot_segment(std::string_view seg, const DotRules& rules) {
  int dots = 0;
  while (dots < 3 && take_dot(&seg, rules)) ++dots;
  return seg.empty() && dots <= 2 ? dots : 0;
}

// One step over `path` (which starts with a separator), appending "/segment"
// for each kept segment to out[0..*n).
void resolve_step(std::string_view path, const DotRules& rules, char* out, std::size_t* n) {
  *n = 0;
  std::size_t start = 1;  // after the leading separator
  for (;;) {
    std::size_t end = start;
    while (end < path.size() && !is_separator(path[end], rules)) ++end;
    std::string_view seg = path.substr(start, end - start);
    bool last = end >= path.size();
    int dots = dot_segment(seg, rules);
    if (dots == 2) {
      // Shorten the path: drop the last "/segment", if any.
      while (*n > 0 && out[*n - 1] != '/') --*n;
      if (*n > 0) --*n;
    }
    if (dots == 0 || last) {
      // A kept segment, or the empty one a final "." or ".." leaves.
      out[(*n)++] = '/';
      if (dots == 0)
        for (char c : seg) out[(*n)++] = c;
    }
    if (last) return;
    start = end + 1;
  }
}

}  // namespace

std::size_t path_resolve_dots(std::string_view path, char* out, std::size_t cap) {
  if (cap < path.size() + 1) return 0;
  if (path.empty() || (path[0] != '/' && path[0] != '\\')) {
    for (std::size_t i = 0; i < path.size(); ++i) out[i] = path[i];
    return path.size();
  }
  // Step 1 writes to `out`; step 2 reads it back into a copy of its own
  // length: both fit in `cap`, since neither step lengthens the path.
  std::size_t n1 = 0;
  if (path[0] == '/') {
    resolve_step(path, DotRules{false, false}, out, &n1);
  } else {
    // workerd's server never sees a target starting with '\' (not an
    // origin-form path); only the URL parser's rules apply.
    for (std::size_t i = 0; i < path.size(); ++i) out[i] = path[i];
    n1 = path.size();
  }
  // Step 2 in place: a segment's output never starts before its input, so
  // reading ahead of the write position is safe.
  std::size_t n2 = 0;
  resolve_step(std::string_view(out, n1), DotRules{true, true}, out, &n2);
  return n2;
}

}  // namespace mg
