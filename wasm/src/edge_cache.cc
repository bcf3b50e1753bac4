#include "edge_cache.h"

#include "key.h"

namespace mg {
namespace {

struct Out {
  char* p;
  std::size_t cap;
  std::size_t n = 0;
  bool ok = true;
  void put(char c) {
    if (n == cap) { ok = false; return; }
    p[n++] = c;
  }
  void num(std::uint64_t v) {
    char d[24];
    std::size_t k = 0;
    do { d[k++] = static_cast<char>('0' + v % 10); v /= 10; } while (v);
    while (k) put(d[--k]);
  }
  void escaped(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    if (s.empty()) { put('-'); return; }  // an empty field is "-", never ""
    for (char ch : s) {
      auto c = static_cast<unsigned char>(ch);
      if (c <= 0x20 || c >= 0x7F || c == '%' || (c == '-' && s.size() == 1)) {
        put('%'); put(kHex[c >> 4]); put(kHex[c & 15]);
      } else {
        put(ch);
      }
    }
  }
};

bool next_field(std::string_view* rest, std::string_view* field) {
  if (rest->empty()) return false;
  std::size_t sp = rest->find(' ');
  *field = rest->substr(0, sp);
  *rest = sp == std::string_view::npos ? std::string_view{} : rest->substr(sp + 1);
  return !field->empty();
}

bool parse_u64(std::string_view s, std::uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

bool unescape(std::string_view s, char* buf, std::size_t cap, std::size_t* used, std::string_view* out) {
  if (s == "-") { *out = {}; return true; }
  char* start = buf + *used;
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return false;
      int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (*used + n == cap) return false;
    start[n++] = c;
  }
  *used += n;
  *out = std::string_view(start, n);
  return true;
}

}  // namespace

std::size_t cache_object_write(const ObjectFacts& obj, char* out, std::size_t cap) {
  Out w{out, cap};
  for (char c : std::string_view("v1 ")) w.put(c);
  w.num(obj.size);
  w.put(' ');
  if (obj.uploaded < 0) return 0;
  w.num(static_cast<std::uint64_t>(obj.uploaded));
  w.put(' ');
  w.escaped(obj.etag);
  w.put(' ');
  w.escaped(obj.content_type);
  return w.ok ? w.n : 0;
}

bool cache_object_read(std::string_view value, ObjectFacts* obj, char* buf, std::size_t cap) {
  std::string_view rest = value, version, size, uploaded, etag, type;
  if (!next_field(&rest, &version) || version != "v1") return false;
  if (!next_field(&rest, &size) || !next_field(&rest, &uploaded) || !next_field(&rest, &etag) ||
      !next_field(&rest, &type) || !rest.empty())
    return false;
  std::uint64_t sz, up;
  if (!parse_u64(size, &sz) || !parse_u64(uploaded, &up)) return false;
  std::size_t used = 0;
  if (!unescape(etag, buf, cap, &used, &obj->etag) || !unescape(type, buf, cap, &used, &obj->content_type))
    return false;
  obj->size = sz;
  obj->uploaded = static_cast<std::int64_t>(up);
  obj->result = StorageResult::ok;
  obj->source = ObjectSource::cache;
  return true;
}

}  // namespace mg
