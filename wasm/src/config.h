// Configuration: the Worker's secrets, bindings and [vars], validated once
// per isolate (docs/CONTRACT.md section 1). Names match wrangler.toml.
#pragma once
#include <string_view>

#include "decision.h"
#include "settings_table.h"

namespace mg {

// ConfigText, the raw setting values, is generated with the table of settings
// (settings_table.h, from wasm/spec/settings.json).

// Builds `out` from `in`. Secrets are trimmed of surrounding whitespace (as
// the backend trims its copy). On a missing or invalid setting, out->problem
// names it (never its value) and every request answers 503
// worker_not_configured. Returns true when the configuration is usable.
bool config_load(const ConfigText& in, Config* out);

// Whitespace as Python's str.strip() sees it for ASCII: space, \t \n \v \f \r.
std::string_view trim_ascii_space(std::string_view s);

}  // namespace mg
