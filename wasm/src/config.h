// Configuration: the Worker's secrets, bindings and [vars], validated once
// per isolate (docs/CONTRACT.md section 1). Names match wrangler.toml.
#pragma once
#include <string_view>

#include "decision.h"

namespace mg {

// Raw setting values as the environment holds them; `*_set` false means
// the variable (or binding) is absent. Strings are caller-owned and must
// outlive the Config built from them.
struct ConfigText {
  std::string_view secret;           // MEDIA_TOKEN_SECRET
  bool secret_set = false;
  std::string_view secret_previous;  // MEDIA_TOKEN_SECRET_PREVIOUS (optional)
  bool secret_previous_set = false;
  std::string_view prefixes;         // MEDIA_KEY_PREFIXES, comma-separated, default "u/"
  bool prefixes_set = false;
  std::string_view leeway;           // MEDIA_CLOCK_SKEW_SECONDS, default 60, 0..3600
  bool leeway_set = false;
  std::string_view max_ttl;          // MEDIA_MAX_TOKEN_TTL_SECONDS, default 3600, 60..86400
  bool max_ttl_set = false;
  std::string_view corp;             // MEDIA_CORP: same-origin (default) | same-site
  bool corp_set = false;
  bool has_bucket = false;           // MEDIA_BUCKET binding present
  std::string_view revocation_mode;  // MEDIA_REVOCATION_MODE: open (default) | closed
  bool revocation_mode_set = false;
  std::string_view revocation_max_stale;  // MEDIA_REVOCATION_MAX_STALENESS_SECONDS: the hard snapshot age, default 300, 0..86400
  bool revocation_max_stale_set = false;
  std::string_view revocation_refresh;    // MEDIA_REVOCATION_REFRESH_SECONDS, default 30, 0..3600
  bool revocation_refresh_set = false;
  std::string_view edge_cache;       // MEDIA_EDGE_CACHE: on (default) | off
  bool edge_cache_set = false;
  std::string_view log_sample_rate;  // MEDIA_LOG_SAMPLE_RATE: 0..1, default 0.01
  bool log_sample_rate_set = false;
  std::string_view debug_headers;    // MEDIA_DEBUG_HEADERS: off (default) | on
  bool debug_headers_set = false;
  std::string_view storage_timeout;  // MEDIA_STORAGE_TIMEOUT_MS, default 10000, 100..60000
  bool storage_timeout_set = false;
  std::string_view edge_cache_fill_max;  // MEDIA_EDGE_CACHE_FILL_MAX_BYTES, default 16777216, 0..536870912
  bool edge_cache_fill_max_set = false;
  std::string_view log_denial_budget;    // MEDIA_LOG_DENIAL_BUDGET, lines/s per isolate, default 20, 0..100000
  bool log_denial_budget_set = false;
};

// Builds `out` from `in`. Secrets are trimmed of surrounding whitespace (as
// the backend trims its copy). On a missing or invalid setting, out->problem
// names it (never its value) and every request answers 503
// worker_not_configured. Returns true when the configuration is usable.
bool config_load(const ConfigText& in, Config* out);

// Whitespace as Python's str.strip() sees it for ASCII: space, \t \n \v \f \r.
std::string_view trim_ascii_space(std::string_view s);

}  // namespace mg
