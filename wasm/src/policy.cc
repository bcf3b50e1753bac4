#include "policy.h"

#include "ascii.h"
#include "key.h"

namespace mg {
namespace {

// RFC 9110 5.6.2 token: the only bytes allowed in a media type's type and subtype.
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!ascii_is_tchar(c)) return false;
  return true;
}

struct Inferred {
  std::string_view ext;
  std::string_view type;
};
// docs/CONTRACT.md section 5: the extensions whose type we infer.
constexpr Inferred kByExtension[] = {
    {"jpg", "image/jpeg"},  {"jpeg", "image/jpeg"}, {"png", "image/png"},
    {"gif", "image/gif"},   {"webp", "image/webp"}, {"avif", "image/avif"},
    {"heic", "image/heic"}, {"mp4", "video/mp4"},   {"m4v", "video/mp4"},
    {"mov", "video/quicktime"}, {"webm", "video/webm"},
};

constexpr std::string_view kOctetStream = "application/octet-stream";

}  // namespace

void policy_security_headers(Response& r, bool corp_same_site) {
  r.add_static("x-content-type-options", "nosniff");
  r.add_static("referrer-policy", "no-referrer");
  r.add_static("cross-origin-resource-policy", corp_same_site ? "same-site" : "same-origin");
  r.add_static("x-robots-tag", "noindex, nofollow");
  r.add_static("content-security-policy", "default-src 'none'; sandbox");
}

std::string_view policy_cache_control(Mode mode, int status) {
  if (mode == Mode::pub) {
    if (status == 200 || status == 206 || status == 304) return "public, max-age=31536000, immutable";
    // A missing or revoked public object may appear (or stay gone) soon:
    // let caches hold the answer briefly, never for long.
    if (status == 404 || status == 410) return "public, max-age=60";
  }
  return "private, no-store";
}

ContentType policy_content_type(std::string_view stored, std::string_view key, char* buf) {
  std::string_view media = ascii_trim_ows(stored.substr(0, stored.find(';')));
  bool generic = media.empty() || ascii_iequals(media, "application/octet-stream") ||
                 ascii_iequals(media, "binary/octet-stream");
  if (generic) {
    std::string_view ext = key_extension(key);
    for (const auto& row : kByExtension)
      if (ascii_iequals(ext, row.ext)) return {row.type, false};
    return {kOctetStream, true};
  }
  std::size_t slash = media.find('/');
  if (slash == std::string_view::npos || media.size() >= kContentTypeBuf) return {kOctetStream, true};
  std::string_view type = media.substr(0, slash), sub = media.substr(slash + 1);
  if (!is_token(type) || !is_token(sub)) return {kOctetStream, true};
  for (std::size_t i = 0; i < media.size(); ++i) buf[i] = ascii_lower(media[i]);
  std::string_view low(buf, media.size());
  std::string_view ltype = low.substr(0, slash), lsub = low.substr(slash + 1);
  if (ltype != "image" && ltype != "video") return {kOctetStream, true};
  // SVG and XML documents can carry script; they are never rendered inline.
  bool xml = lsub == "xml" || (lsub.size() >= 4 && lsub.substr(lsub.size() - 4) == "+xml") ||
             lsub.find("svg") != std::string_view::npos;
  if (xml) return {kOctetStream, true};
  return {low, false};
}

}  // namespace mg
