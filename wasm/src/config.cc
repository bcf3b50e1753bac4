#include "config.h"

namespace mg {
namespace {

bool parse_int(std::string_view s, std::int64_t lo, std::int64_t hi, std::int64_t* out) {
  s = trim_ascii_space(s);
  if (s.empty() || s.size() > 9) return false;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

}  // namespace

std::string_view trim_ascii_space(std::string_view s) {
  auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool config_load(const ConfigText& in, Config* out) {
  *out = Config{};
  out->has_bucket = in.has_bucket;
  out->secret = in.secret_set ? trim_ascii_space(in.secret) : std::string_view{};
  out->secret_previous =
      in.secret_previous_set ? trim_ascii_space(in.secret_previous) : std::string_view{};

  std::string_view prefixes = in.prefixes_set ? in.prefixes : std::string_view("u/");
  bool prefixes_ok = true;
  while (!prefixes.empty()) {
    std::size_t comma = prefixes.find(',');
    std::string_view item = trim_ascii_space(prefixes.substr(0, comma));
    prefixes = comma == std::string_view::npos ? std::string_view{} : prefixes.substr(comma + 1);
    if (item.empty()) continue;
    if (out->n_prefixes == kMaxPrefixes) { prefixes_ok = false; break; }
    out->prefixes[out->n_prefixes++] = item;
  }
  if (out->n_prefixes == 0) prefixes_ok = false;

  bool leeway_ok = !in.leeway_set || parse_int(in.leeway, 0, 3600, &out->leeway);
  bool ttl_ok = !in.max_ttl_set || parse_int(in.max_ttl, 60, 86400, &out->max_ttl);
  bool corp_ok = true;
  if (in.corp_set) {
    std::string_view corp = trim_ascii_space(in.corp);
    if (corp == "same-site") out->corp_same_site = true;
    else if (corp != "same-origin") corp_ok = false;
  }

  // The first problem found names the setting in the log line; order is the
  // order an operator would check them in.
  if (!in.has_bucket) out->problem = "MEDIA_BUCKET";
  else if (out->secret.empty()) out->problem = "MEDIA_TOKEN_SECRET";
  else if (!prefixes_ok) out->problem = "MEDIA_KEY_PREFIXES";
  else if (!leeway_ok) out->problem = "MEDIA_CLOCK_SKEW_SECONDS";
  else if (!ttl_ok) out->problem = "MEDIA_MAX_TOKEN_TTL_SECONDS";
  else if (!corp_ok) out->problem = "MEDIA_CORP";
  return out->problem.empty();
}

}  // namespace mg
