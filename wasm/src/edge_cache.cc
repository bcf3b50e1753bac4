#include "edge_cache.h"

#include "decimal.h"
#include "percent.h"
#include "writer.h"

namespace mg {
namespace {

// The metadata writer (writer.h) with the field escaping.
struct Out : Writer {
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

bool unescape(std::string_view s, char* buf, std::size_t cap, std::size_t* used, std::string_view* out) {
  if (s == "-") { *out = {}; return true; }
  char* start = buf + *used;
  std::size_t n = 0;
  if (!percent_decode(s, Plus::literal, start, cap - *used, &n)) return false;
  *used += n;
  *out = std::string_view(start, n);
  return true;
}

}  // namespace

std::size_t cache_object_write(const ObjectFacts& obj, char* out, std::size_t cap) {
  Out w{{out, cap}};
  for (char c : std::string_view("v1 ")) w.put(c);
  w.decimal(obj.size);
  w.put(' ');
  if (obj.uploaded < 0) return 0;
  w.decimal(static_cast<std::uint64_t>(obj.uploaded));
  w.put(' ');
  w.escaped(obj.etag);
  w.put(' ');
  w.escaped(obj.content_type);
  return w.ok ? w.len : 0;
}

bool cache_object_read(std::string_view value, ObjectFacts* obj, char* buf, std::size_t cap) {
  std::string_view rest = value, version, size, uploaded, etag, type;
  if (!next_field(&rest, &version) || version != "v1") return false;
  if (!next_field(&rest, &size) || !next_field(&rest, &uploaded) || !next_field(&rest, &etag) ||
      !next_field(&rest, &type) || !rest.empty())
    return false;
  std::uint64_t sz, up;
  if (!decimal_parse_u64(size, &sz) || !decimal_parse_u64(uploaded, &up)) return false;
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
