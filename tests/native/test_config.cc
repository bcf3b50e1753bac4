// docs/CONTRACT.md section 1: settings, defaults, and what "not configured" means.
#include <doctest/doctest.h>

#include <string>

#include "config.h"

TEST_CASE("contract 1: defaults when [vars] are absent") {
  mg::ConfigText t;
  t.secret = "s";
  t.secret_set = true;
  t.has_bucket = true;
  mg::Config c;
  CHECK(mg::config_load(t, &c));
  CHECK(c.n_prefixes == 1);
  CHECK(c.prefixes[0] == "u/");
  CHECK(c.leeway == 60);
  CHECK(c.max_ttl == 3600);
  CHECK_FALSE(c.corp_same_site);
  CHECK(c.secret_previous.empty());
}

TEST_CASE("contract 1: secrets are trimmed as the backend trims its copy") {
  mg::ConfigText t;
  t.secret = "  abc \r\n";
  t.secret_set = true;
  t.secret_previous = "\told\n";
  t.secret_previous_set = true;
  t.has_bucket = true;
  mg::Config c;
  CHECK(mg::config_load(t, &c));
  CHECK(c.secret == "abc");
  CHECK(c.secret_previous == "old");
}

TEST_CASE("contract 1: each bad setting is named, never its value") {
  struct Row {
    const char* name;
    const char* prefixes;
    const char* leeway;
    const char* ttl;
    const char* corp;
    const char* problem;
  } rows[] = {
      {"prefix list", " u/ , pub/ ,", nullptr, nullptr, nullptr, ""},
      {"empty prefix list", " , ", nullptr, nullptr, nullptr, "MEDIA_KEY_PREFIXES"},
      {"leeway not a number", nullptr, "1m", nullptr, nullptr, "MEDIA_CLOCK_SKEW_SECONDS"},
      {"leeway negative", nullptr, "-1", nullptr, nullptr, "MEDIA_CLOCK_SKEW_SECONDS"},
      {"leeway too large", nullptr, "3601", nullptr, nullptr, "MEDIA_CLOCK_SKEW_SECONDS"},
      {"leeway zero", nullptr, "0", nullptr, nullptr, ""},
      {"ttl too small", nullptr, nullptr, "59", nullptr, "MEDIA_MAX_TOKEN_TTL_SECONDS"},
      {"ttl ok", nullptr, nullptr, "7200", nullptr, ""},
      {"corp same-site", nullptr, nullptr, nullptr, "same-site", ""},
      {"corp other", nullptr, nullptr, nullptr, "cross-origin", "MEDIA_CORP"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    mg::ConfigText t;
    t.secret = "s";
    t.secret_set = true;
    t.has_bucket = true;
    if (row.prefixes) { t.prefixes = row.prefixes; t.prefixes_set = true; }
    if (row.leeway) { t.leeway = row.leeway; t.leeway_set = true; }
    if (row.ttl) { t.max_ttl = row.ttl; t.max_ttl_set = true; }
    if (row.corp) { t.corp = row.corp; t.corp_set = true; }
    mg::Config c;
    mg::config_load(t, &c);
    CHECK(c.problem == row.problem);
  }
  mg::ConfigText t;
  t.secret = "s";
  t.secret_set = true;
  t.has_bucket = true;
  t.prefixes = " u/ , pub/ ,";
  t.prefixes_set = true;
  mg::Config c;
  mg::config_load(t, &c);
  REQUIRE(c.n_prefixes == 2);
  CHECK(c.prefixes[0] == "u/");
  CHECK(c.prefixes[1] == "pub/");
}

TEST_CASE("config: MEDIA_STORAGE_TIMEOUT_MS, the storage deadline (default 10000, 100..60000)") {
  struct Row {
    const char* value;  // nullptr: unset
    bool ok;
    std::int64_t ms;
  } rows[] = {{nullptr, true, 10000}, {"100", true, 100},   {"60000", true, 60000}, {" 2500 ", true, 2500},
              {"99", false, 0},       {"60001", false, 0},  {"0", false, 0},        {"-5", false, 0},
              {"10s", false, 0},      {"1e4", false, 0},    {"", false, 0}};
  for (const auto& row : rows) {
    CAPTURE(std::string(row.value ? row.value : "(unset)"));
    mg::ConfigText t;
    t.secret = "s";
    t.secret_set = true;
    t.has_bucket = true;
    if (row.value) { t.storage_timeout = row.value; t.storage_timeout_set = true; }
    mg::Config c;
    CHECK(mg::config_load(t, &c) == row.ok);
    if (row.ok) CHECK(c.storage_timeout_ms == row.ms);
    else CHECK(c.problem == "MEDIA_STORAGE_TIMEOUT_MS");
  }
}

TEST_CASE("config: MEDIA_EDGE_CACHE_FILL_MAX_BYTES (default 16 MiB, 0..512 MiB) and MEDIA_LOG_DENIAL_BUDGET (default 20, 0..100000)") {
  struct Row {
    const char* fill;    // nullptr: unset
    const char* budget;  // nullptr: unset
    const char* problem;
    std::uint64_t fill_max;
    std::uint32_t lines;
  } rows[] = {{nullptr, nullptr, "", 16777216, 20},
              {"0", "0", "", 0, 0},
              {"536870912", "100000", "", 536870912, 100000},
              {" 1048576 ", " 5 ", "", 1048576, 5},
              {"536870913", nullptr, "MEDIA_EDGE_CACHE_FILL_MAX_BYTES", 0, 0},
              {"-1", nullptr, "MEDIA_EDGE_CACHE_FILL_MAX_BYTES", 0, 0},
              {"32MiB", nullptr, "MEDIA_EDGE_CACHE_FILL_MAX_BYTES", 0, 0},
              {"", nullptr, "MEDIA_EDGE_CACHE_FILL_MAX_BYTES", 0, 0},
              {nullptr, "100001", "MEDIA_LOG_DENIAL_BUDGET", 0, 0},
              {nullptr, "1.5", "MEDIA_LOG_DENIAL_BUDGET", 0, 0},
              {nullptr, "", "MEDIA_LOG_DENIAL_BUDGET", 0, 0}};
  for (const auto& row : rows) {
    CAPTURE(std::string(row.fill ? row.fill : "(unset)"));
    CAPTURE(std::string(row.budget ? row.budget : "(unset)"));
    mg::ConfigText t;
    t.secret = "s";
    t.secret_set = true;
    t.has_bucket = true;
    if (row.fill) { t.edge_cache_fill_max = row.fill; t.edge_cache_fill_max_set = true; }
    if (row.budget) { t.log_denial_budget = row.budget; t.log_denial_budget_set = true; }
    mg::Config c;
    bool ok = *row.problem == '\0';
    CHECK(mg::config_load(t, &c) == ok);
    CHECK(c.problem == row.problem);
    if (ok) {
      CHECK(c.edge_cache_fill_max == row.fill_max);
      CHECK(c.log_denial_budget == row.lines);
    }
  }
}
