#include "config.h"

#include "ascii.h"
#include "media_signature.h"
#include "settings_table.h"

namespace mg {
namespace {

bool parse_int(std::string_view s, std::int64_t lo, std::int64_t hi, std::int64_t* out) {
  s = trim_ascii_space(s);
  // At most 18 digits: the sum below cannot overflow (the largest range ends
  // at 52,428,800,000, MEDIA_MAX_RESUMABLE_BYTES).
  if (s.empty() || s.size() > 18) return false;
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

// A two-way choice (settings_table.h): true, `second` set, when `s` is one of its values.
bool parse_choice(std::string_view s, const settings::Setting& spec, bool* second) {
  s = trim_ascii_space(s);
  if (s != spec.choices[0] && s != spec.choices[1]) return false;
  *second = s == spec.choices[1];
  return true;
}

// Setting `id` read into `out`: true when absent (the default stays) or valid.
bool int_setting(const ConfigText& in, settings::Id id, std::int64_t* out) {
  const settings::Setting& spec = settings::kSettings[id];
  return !(in.*spec.set) || parse_int(in.*spec.value, spec.min, spec.max, out);
}

bool choice_setting(const ConfigText& in, settings::Id id, bool* second) {
  const settings::Setting& spec = settings::kSettings[id];
  return !(in.*spec.set) || parse_choice(in.*spec.value, spec, second);
}

// A comma-separated list setting (its default when absent): the non-empty
// items, trimmed. False when it has none, or more than `cap`.
bool read_list(const ConfigText& in, settings::Id id, std::string_view* items, std::size_t cap, std::size_t* n) {
  const settings::Setting& spec = settings::kSettings[id];
  std::string_view text = (in.*spec.set) ? in.*spec.value : spec.default_text;
  *n = 0;
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    std::string_view item = trim_ascii_space(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    if (*n == cap) return false;
    items[(*n)++] = item;
  }
  return *n > 0;
}

static_assert(settings::kSettings[settings::edge_cache_fill_max].max == static_cast<std::int64_t>(kMaxCacheableBytes),
              "MEDIA_EDGE_CACHE_FILL_MAX_BYTES's range (wasm/spec/settings.json) ends at kMaxCacheableBytes");

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

  namespace set = settings;
  const bool prefixes_ok = read_list(in, set::prefixes, out->prefixes, kMaxPrefixes, &out->n_prefixes);
  // Every upload type must be one whose first bytes the gate can check.
  bool types_ok = read_list(in, set::upload_types, out->upload_types, kMaxUploadTypes, &out->n_upload_types);
  for (std::size_t i = 0; i < out->n_upload_types; ++i)
    if (signature_family_of_type(out->upload_types[i]) == SignatureFamily::none ||
        !ascii_is_lower(out->upload_types[i]))
      types_ok = false;

  // Whether each setting is usable, by its place in the table.
  bool ok[set::count_];
  for (bool& b : ok) b = true;
  ok[set::has_bucket] = in.has_bucket;
  ok[set::secret] = !out->secret.empty();
  ok[set::prefixes] = prefixes_ok;
  ok[set::leeway] = int_setting(in, set::leeway, &out->leeway);
  ok[set::max_ttl] = int_setting(in, set::max_ttl, &out->max_ttl);
  ok[set::corp] = choice_setting(in, set::corp, &out->corp_same_site);
  ok[set::revocation_mode] = choice_setting(in, set::revocation_mode, &out->revocation_fail_closed);
  ok[set::revocation_max_stale] = int_setting(in, set::revocation_max_stale, &out->revocation_max_stale);
  ok[set::revocation_refresh] = int_setting(in, set::revocation_refresh, &out->revocation_refresh);
  bool cache_off = false;
  ok[set::edge_cache] = choice_setting(in, set::edge_cache, &cache_off);
  if (cache_off) out->edge_cache = false;
  ok[set::log_sample_rate] = !in.log_sample_rate_set || parse_rate(in.log_sample_rate, &out->log_sample_ppm);
  ok[set::debug_headers] = choice_setting(in, set::debug_headers, &out->debug_headers);
  ok[set::storage_timeout] = int_setting(in, set::storage_timeout, &out->storage_timeout_ms);
  std::int64_t fill_max = static_cast<std::int64_t>(out->edge_cache_fill_max);
  ok[set::edge_cache_fill_max] = int_setting(in, set::edge_cache_fill_max, &fill_max);
  out->edge_cache_fill_max = static_cast<std::uint64_t>(fill_max);
  std::int64_t budget = out->log_denial_budget;
  ok[set::log_denial_budget] = int_setting(in, set::log_denial_budget, &budget);
  out->log_denial_budget = static_cast<std::uint32_t>(budget);
  ok[set::uploads] = choice_setting(in, set::uploads, &out->uploads);
  ok[set::upload_types] = types_ok;
  ok[set::max_upload_bytes] = int_setting(in, set::max_upload_bytes, &out->max_upload_bytes);
  ok[set::max_upload_ttl] = int_setting(in, set::max_upload_ttl, &out->max_upload_ttl);
  out->has_upload_state = in.has_upload_state;
  ok[set::max_resumable_bytes] = int_setting(in, set::max_resumable_bytes, &out->max_resumable_bytes);
  ok[set::upload_expiry] = int_setting(in, set::upload_expiry, &out->upload_expiry);

  // The first problem found names the setting in the log line; the table's
  // order (wasm/spec/settings.json) is the order an operator would check them in.
  for (std::size_t i = 0; i < set::count_; ++i) {
    if (ok[i]) continue;
    out->problem = set::kSettings[i].name;
    break;
  }
  return out->problem.empty();
}

}  // namespace mg
