#include "loggable.h"

namespace mg {
namespace {

bool is_b64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool is_segment_char(char c) { return is_b64url(c) || c == '.'; }

bool is_id_char(char c) { return is_b64url(c) || c == '.' || c == ':'; }

struct Shape {
  bool dotted_pair = false;   // two adjacent runs of kMinTokenPart or more
  std::size_t longest = 0;    // the longest run
};

// The runs of one segment (no character outside is_segment_char), at its dots.
Shape segment_shape(std::string_view seg) {
  Shape s;
  std::size_t prev = 0, cur = 0;
  auto end_run = [&] {
    if (prev >= kMinTokenPart && cur >= kMinTokenPart) s.dotted_pair = true;
    if (cur > s.longest) s.longest = cur;
  };
  for (char c : seg) {
    if (c != '.') {
      ++cur;
      continue;
    }
    end_run();
    prev = cur;
    cur = 0;
  }
  end_run();
  return s;
}

// The segment starting at `i` ends before the returned index.
std::size_t segment_end(const char* s, std::size_t len, std::size_t i) {
  while (i < len && is_segment_char(s[i])) ++i;
  return i;
}

// `t=` ends right before `i`, and that `t` begins a word. Reads the three
// bytes before `i` as received: key_redact writes behind `i` either in step
// (nothing replaced yet) or at least six bytes behind (16 became 10).
bool after_t_equals(const char* s, std::size_t i) {
  if (i < 2 || s[i - 1] != '=' || s[i - 2] != 't') return false;
  return i == 2 || !is_segment_char(s[i - 3]);
}

}  // namespace

bool request_id_loggable(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!is_id_char(c)) return false;
  for (std::size_t i = 0; i < id.size();) {
    std::size_t end = segment_end(id.data(), id.size(), i);
    Shape s = segment_shape(id.substr(i, end - i));
    if (s.dotted_pair || s.longest >= kLongRun) return false;
    i = end + 1;  // past the ':'
  }
  return true;
}

std::size_t key_redact(char* key, std::size_t len) {
  std::size_t w = 0;
  for (std::size_t r = 0; r < len;) {
    if (!is_segment_char(key[r])) {
      key[w++] = key[r++];
      continue;
    }
    std::size_t end = segment_end(key, len, r);
    std::string_view seg(key + r, end - r);
    bool redact = segment_shape(seg).dotted_pair || (seg.size() >= kMinTokenPart && after_t_equals(key, r));
    if (redact) {
      for (char c : kRedacted) key[w++] = c;
    } else {
      for (std::size_t i = r; i < end; ++i) key[w++] = key[i];
    }
    r = end;
  }
  return w;
}

}  // namespace mg
