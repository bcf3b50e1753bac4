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

// A rate in 0..1 written as a decimal ("0", "1", "0.01", ".5"), as parts per million.
bool parse_rate(std::string_view s, std::uint32_t* ppm) {
  s = trim_ascii_space(s);
  if (s.empty() || s.size() > 12) return false;
  std::uint64_t whole = 0, frac = 0, scale = 1000000;
  std::size_t i = 0;
  bool digits = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) whole = whole * 10 + (s[i] - '0'), digits = true;
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      scale /= 10;
      frac += static_cast<std::uint64_t>(s[i] - '0') * scale;
      digits = true;
    }
  }
  if (!digits || i != s.size() || whole > 1 || (whole == 1 && frac > 0)) return false;
  *ppm = static_cast<std::uint32_t>(whole * 1000000 + frac);
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
  const std::string_view secrets[] = {out->secret, out->secret_previous};
  token_keys_init(secrets, 2, &out->keys);

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

  bool rev_mode_ok = true;
  if (in.revocation_mode_set) {
    std::string_view mode = trim_ascii_space(in.revocation_mode);
    if (mode == "closed") out->revocation_fail_closed = true;
    else if (mode != "open") rev_mode_ok = false;
  }
  bool rev_stale_ok =
      !in.revocation_max_stale_set || parse_int(in.revocation_max_stale, 0, 86400, &out->revocation_max_stale);
  bool rev_refresh_ok =
      !in.revocation_refresh_set || parse_int(in.revocation_refresh, 0, 3600, &out->revocation_refresh);
  bool cache_ok = true;
  if (in.edge_cache_set) {
    std::string_view v = trim_ascii_space(in.edge_cache);
    if (v == "off") out->edge_cache = false;
    else if (v != "on") cache_ok = false;
  }

  bool sample_ok = !in.log_sample_rate_set || parse_rate(in.log_sample_rate, &out->log_sample_ppm);
  bool debug_ok = true;
  if (in.debug_headers_set) {
    std::string_view v = trim_ascii_space(in.debug_headers);
    if (v == "on") out->debug_headers = true;
    else if (v != "off") debug_ok = false;
  }
  bool timeout_ok =
      !in.storage_timeout_set || parse_int(in.storage_timeout, 100, 60000, &out->storage_timeout_ms);
  std::int64_t fill_max = static_cast<std::int64_t>(out->edge_cache_fill_max);
  bool fill_ok = !in.edge_cache_fill_max_set ||
                 parse_int(in.edge_cache_fill_max, 0, static_cast<std::int64_t>(kMaxCacheableBytes), &fill_max);
  out->edge_cache_fill_max = static_cast<std::uint64_t>(fill_max);
  std::int64_t budget = out->log_denial_budget;
  bool budget_ok = !in.log_denial_budget_set || parse_int(in.log_denial_budget, 0, 100000, &budget);
  out->log_denial_budget = static_cast<std::uint32_t>(budget);

  // The first problem found names the setting in the log line; order is the
  // order an operator would check them in.
  if (!in.has_bucket) out->problem = "MEDIA_BUCKET";
  else if (out->secret.empty()) out->problem = "MEDIA_TOKEN_SECRET";
  else if (!prefixes_ok) out->problem = "MEDIA_KEY_PREFIXES";
  else if (!leeway_ok) out->problem = "MEDIA_CLOCK_SKEW_SECONDS";
  else if (!ttl_ok) out->problem = "MEDIA_MAX_TOKEN_TTL_SECONDS";
  else if (!corp_ok) out->problem = "MEDIA_CORP";
  else if (!rev_mode_ok) out->problem = "MEDIA_REVOCATION_MODE";
  else if (!rev_stale_ok) out->problem = "MEDIA_REVOCATION_MAX_STALENESS_SECONDS";
  else if (!rev_refresh_ok) out->problem = "MEDIA_REVOCATION_REFRESH_SECONDS";
  else if (!cache_ok) out->problem = "MEDIA_EDGE_CACHE";
  else if (!sample_ok) out->problem = "MEDIA_LOG_SAMPLE_RATE";
  else if (!debug_ok) out->problem = "MEDIA_DEBUG_HEADERS";
  else if (!timeout_ok) out->problem = "MEDIA_STORAGE_TIMEOUT_MS";
  else if (!fill_ok) out->problem = "MEDIA_EDGE_CACHE_FILL_MAX_BYTES";
  else if (!budget_ok) out->problem = "MEDIA_LOG_DENIAL_BUDGET";
  return out->problem.empty();
}

}  // namespace mg
