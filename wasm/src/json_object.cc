#include "json_object.h"

#include <cstring>

// RapidJSON relies on its asserts for internal invariants; rapidjson_config.h
// makes a failed one trap (abort() would pull in WASI imports).
#include "rapidjson_config.h"
#include "rapidjson/allocators.h"
#include "rapidjson/reader.h"
#include "rapidjson/stream.h"
#include "utf8.h"

namespace mg {
namespace {

// Every member needs at least `"":0` and a separator.
constexpr std::size_t kMaxNames = kJsonMaxBytes / 4 + 1;
static_assert(kJsonMaxBytes < 65536, "member name offsets are 16-bit");

// RapidJSON SAX handler (json_object.h states what it enforces). Parsing is
// in situ: strings are unescaped in place, so member names stay addressable
// after their event.
class ObjectReader {
 public:
  ObjectReader(const char* base, JsonMember* members, std::size_t n) : base_(base), members_(members), n_(n) {}

  bool Null() { return scalar(JsonType::other, nullptr, 0, 0); }
  bool Bool(bool) { return scalar(JsonType::other, nullptr, 0, 0); }
  bool Int(int i) { return scalar(JsonType::integer, nullptr, 0, i); }
  bool Uint(unsigned u) { return scalar(JsonType::integer, nullptr, 0, u); }
  bool Int64(std::int64_t i) { return scalar(JsonType::integer, nullptr, 0, i); }
  bool Uint64(std::uint64_t u) {
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return scalar(JsonType::other, nullptr, 0, 0);
    return scalar(JsonType::integer, nullptr, 0, static_cast<std::int64_t>(u));
  }
  // Fractions, exponents and integers beyond 64 bits all arrive here.
  bool Double(double) { return scalar(JsonType::other, nullptr, 0, 0); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; }  // flag not used
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    if (copy || !utf8_valid(std::string_view(s, n))) return false;
    return scalar(JsonType::string, s, n, 0);
  }

  bool StartObject() { return open(); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    if (copy || !utf8_valid(std::string_view(s, n))) return false;
    for (std::size_t i = frame_[depth_]; i < n_names_; ++i) {
      if (name_len_[i] == n && std::memcmp(base_ + name_off_[i], s, n) == 0) return false;
    }
    if (n_names_ == kMaxNames) return false;
    name_off_[n_names_] = static_cast<std::uint16_t>(s - base_);
    name_len_[n_names_] = static_cast<std::uint16_t>(n);
    ++n_names_;
    pending_ = nullptr;
    if (depth_ == 1) pending_ = recorded(s, n);
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    n_names_ = frame_[depth_--];
    return true;
  }
  bool StartArray() { return depth_ > 0 && open(); }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }

 private:
  // The recorded member named s[0, n), if any (names are a few bytes: a
  // plain loop, no memcmp call).
  JsonMember* recorded(const char* s, std::size_t n) {
    for (std::size_t i = 0; i < n_; ++i) {
      std::string_view want = members_[i].name;
      if (want.size() != n) continue;
      std::size_t k = 0;
      while (k < n && want[k] == s[k]) ++k;
      if (k == n) {
        members_[i].key = s;
        return &members_[i];
      }
    }
    return nullptr;
  }

  // A value that is not a container. At depth 0 it would be the root.
  bool scalar(JsonType t, const char* s, std::size_t n, std::int64_t num) {
    if (depth_ == 0) return false;
    if (depth_ == 1 && pending_) {
      pending_->type = t, pending_->str = s, pending_->len = n, pending_->num = num;
      pending_ = nullptr;
    }
    return true;
  }
  bool open() {
    if (depth_ == 1 && pending_) {  // a recorded member holding an object or array
      pending_->type = JsonType::other;
      pending_ = nullptr;
    }
    if (depth_ == kJsonMaxDepth) return false;
    frame_[++depth_] = static_cast<std::uint16_t>(n_names_);
    return true;
  }

  const char* base_;
  JsonMember* members_;
  std::size_t n_;
  int depth_ = 0;
  JsonMember* pending_ = nullptr;  // recorded member whose value comes next
  std::size_t n_names_ = 0;        // names of all open objects, innermost last
  std::uint16_t name_off_[kMaxNames];
  std::uint16_t name_len_[kMaxNames];
  std::uint16_t frame_[kJsonMaxDepth + 1] = {};  // first name index per open container
};

}  // namespace

// In situ, and without the full-precision or numbers-as-strings flags, the
// reader never uses its own stack (the allocator exists only for the type).
bool json_read_object(char* buf, std::size_t len, JsonMember* members, std::size_t n) {
  // A NUL byte is never valid JSON, and the in-situ stream would take it for
  // the end of input.
  if (len > kJsonMaxBytes || std::memchr(buf, 0, len)) return false;
  buf[len] = '\0';
  for (std::size_t i = 0; i < n; ++i) members[i] = JsonMember{members[i].name};
  ObjectReader reader_handler(buf, members, n);
  rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator> reader(nullptr, 0);
  rapidjson::InsituStringStream in(buf);
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseValidateEncodingFlag;
  return !reader.Parse<kFlags>(in, reader_handler).IsError();
}

}  // namespace mg
