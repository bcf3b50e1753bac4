// The shim <-> core text protocol (docs/ARCHITECTURE.md): what the Worker
// writes is read back exactly, and decisions are written as documented.
#include <doctest/doctest.h>

#include <string>

#include "protocol.h"

TEST_CASE("protocol: request facts, first occurrence wins, unknown names ignored") {
  std::string text =
      "method\tGET\npath\t/m/u/a.png\nquery\t?t=x\nnow\t1767225600\nrange\tbytes=0-1\n"
      "if-none-match\t\"a\", \"b\"\nif-range\tW/\"x\"\tmore\nfuture\tx\nrange\tbytes=5-6\nno tab line\n";
  mg::RequestFacts req;
  mg::protocol_read_request(text, &req);
  CHECK(req.method == "GET");
  CHECK(req.path == "/m/u/a.png");
  CHECK(req.query == "?t=x");
  CHECK(req.now == 1767225600);
  CHECK(req.range == "bytes=0-1");
  CHECK(req.cond.if_none_match == "\"a\", \"b\"");
  CHECK(req.cond.if_range == "W/\"x\"\tmore");  // a value may hold tabs
  CHECK(req.cond.if_match.empty());
}

TEST_CASE("protocol: finish facts") {
  std::string text =
      "mode\tpriv\nfetch\tget\toffset_length\t10\t5\t0\t1\nresult\tok\nsize\t1000\n"
      "etag\t\"e\"\nuploaded\t1445412480\ntype\timage/png\n";
  mg::FinishFacts f;
  mg::protocol_read_finish(text, &f);
  CHECK(f.valid);
  CHECK(f.mode == mg::Mode::priv);
  CHECK(f.performed.op == mg::StorageOp::get);
  CHECK(f.performed.range.kind == mg::RangeHintKind::offset_length);
  CHECK(f.performed.range.offset == 10);
  CHECK(f.performed.range.length == 5);
  CHECK(f.performed.attempt == 1);
  CHECK(f.object.result == mg::StorageResult::ok);
  CHECK(f.object.size == 1000);
  CHECK(f.object.etag == "\"e\"");
  CHECK(f.object.uploaded == 1445412480);
  CHECK(f.object.content_type == "image/png");

  mg::FinishFacts bad;
  mg::protocol_read_finish("mode\tpub\nfetch\tput\twhole\t0\t0\t0\t1\nresult\tok\n", &bad);
  CHECK_FALSE(bad.valid);
  mg::FinishFacts nosize;
  mg::protocol_read_finish("mode\tpub\nfetch\tget\twhole\t0\t0\t0\t1\nresult\tok\nuploaded\t1\n", &nosize);
  CHECK(nosize.valid);
  CHECK(nosize.object.result == mg::StorageResult::error);  // unreadable metadata fails closed
  mg::FinishFacts huge;
  mg::protocol_read_finish(
      "mode\tpub\nfetch\tget\twhole\t0\t0\t0\t1\nresult\tok\nsize\t99999999999999999999999\nuploaded\t1\n", &huge);
  CHECK(huge.object.result == mg::StorageResult::error);
}

TEST_CASE("protocol: an edge cache hit is read from its metadata; an entry of another length is a miss") {
  const std::string hit =
      "mode\tpub\nfetch\tget\twhole\t0\t0\t0\t1\nresult\tok\nsource\tcache\n"
      "cached\tv1 1000 1445412480 \"e\" image/png\n";
  struct Row {
    const char* name;
    std::string extra;
    mg::StorageResult want;
  } rows[] = {
      {"no cached_size (trusted)", "", mg::StorageResult::ok},
      {"cached_size equal", "cached_size\t1000\n", mg::StorageResult::ok},
      {"cached_size shorter (a truncated entry)", "cached_size\t999\n", mg::StorageResult::error},
      {"cached_size longer", "cached_size\t1001\n", mg::StorageResult::error},
      {"cached_size unreadable", "cached_size\tabc\n", mg::StorageResult::error},
      {"cached_size empty", "cached_size\t\n", mg::StorageResult::error},
      {"first cached_size wins", "cached_size\t5\ncached_size\t1000\n", mg::StorageResult::error},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    mg::FinishFacts f;
    mg::protocol_read_finish(hit + row.extra, &f);
    CHECK(f.valid);
    CHECK(f.object.source == mg::ObjectSource::cache);
    CHECK(f.object.result == row.want);
    if (row.want == mg::StorageResult::ok) {
      CHECK(f.object.size == 1000);
      CHECK(f.object.etag == "\"e\"");
    }
  }
  // The cache refusing a range (416) counts only when the entry is the object its metadata describes.
  const std::string refused = "mode\tpub\nfetch\tget\toffset\t0\t5000\t0\t1\nresult\tinvalid_range\nsource\tcache\n";
  const struct {
    const char* name;
    std::string extra;
    mg::StorageResult want;
  } refusals[] = {
      {"416, entry agrees", "cached\tv1 1000 1 \"e\" image/png\ncached_size\t1000\n", mg::StorageResult::invalid_range},
      {"416, truncated entry", "cached\tv1 1000 1 \"e\" image/png\ncached_size\t10\n", mg::StorageResult::error},
      {"416, unreadable metadata", "cached\tv1 x\ncached_size\t1000\n", mg::StorageResult::error},
      {"416, nothing to check", "", mg::StorageResult::invalid_range},
  };
  for (const auto& row : refusals) {
    CAPTURE(row.name);
    mg::FinishFacts f;
    mg::protocol_read_finish(refused + row.extra, &f);
    CHECK(f.valid);
    CHECK(f.object.result == row.want);
  }
  mg::FinishFacts garbage;  // metadata this version did not write: a miss too
  mg::protocol_read_finish("mode\tpub\nfetch\tget\twhole\t0\t0\t0\t1\nresult\tok\nsource\tcache\ncached\tv2 1000\n", &garbage);
  CHECK(garbage.object.result == mg::StorageResult::error);
}

TEST_CASE("protocol: config lines") {
  mg::ConfigText t;
  mg::protocol_read_config("MEDIA_BUCKET\t1\nMEDIA_KEY_PREFIXES\tu/,p/\nMEDIA_CORP\tsame-site\n", &t);
  CHECK(t.has_bucket);
  CHECK(t.prefixes_set);
  CHECK(t.prefixes == "u/,p/");
  CHECK(t.corp == "same-site");
  CHECK_FALSE(t.leeway_set);
  CHECK_FALSE(t.storage_timeout_set);
  mg::ConfigText u;
  mg::protocol_read_config("MEDIA_STORAGE_TIMEOUT_MS\t250\nMEDIA_STORAGE_TIMEOUT_MS\t900\n", &u);
  CHECK(u.storage_timeout_set);
  CHECK(u.storage_timeout == "250");  // the first occurrence wins
}

TEST_CASE("protocol: every storage plan carries the configured deadline, in both phases") {
  mg::ConfigText t;
  t.secret = "s";
  t.secret_set = true;
  t.has_bucket = true;
  t.storage_timeout = "2500";
  t.storage_timeout_set = true;
  mg::Config config;
  REQUIRE(mg::config_load(t, &config));
  static mg::Decision d;
  mg::RequestFacts req;
  mg::protocol_read_request("method\tGET\npath\t/m/u/a.png\nquery\t?t=x\nnow\t1767225600\n", &req);
  mg::decide_begin(config, req, &d);  // a bad token: an answer, no plan
  char out[4096];
  std::string denial(out, mg::protocol_write_decision(d, out, sizeof out));
  CHECK(denial.find("deadline\t") == std::string::npos);

  // A ranged read that storage refused: decide_finish asks for a second read,
  // under the same deadline.
  mg::Plan first;
  first.op = mg::StorageOp::get;
  first.range.kind = mg::RangeHintKind::offset;
  first.range.offset = 5000;
  mg::ObjectFacts refused;
  refused.result = mg::StorageResult::invalid_range;
  req.range = "bytes=5000-";
  mg::decide_finish(config, req, mg::Mode::priv, first, refused, &d);
  REQUIRE(d.fetch);
  std::string again(out, mg::protocol_write_decision(d, out, sizeof out));
  CHECK(again.find("fetch\tget\twhole\t0\t0\t0\t2\n") == 0);
  CHECK(again.find("\ndeadline\t2500\n") != std::string::npos);
}

TEST_CASE("protocol: decisions are written as documented") {
  static mg::Decision d;
  d.fetch = true;
  d.plan.op = mg::StorageOp::get;
  d.plan.range.kind = mg::RangeHintKind::suffix;
  d.plan.range.suffix = 100;
  d.mode = mg::Mode::pub;
  const char key[] = "u/a b.png";
  for (std::size_t i = 0; i < sizeof key - 1; ++i) d.key[i] = key[i];
  d.key_len = sizeof key - 1;
  char out[512];
  std::size_t n = mg::protocol_write_decision(d, out, sizeof out);
  CHECK(std::string(out, n) == "fetch\tget\tsuffix\t0\t0\t100\t1\nmode\tpub\nkey\tu/a b.png\ndeadline\t10000\n");

  mg::Config config;
  d.fetch = false;
  mg::respond_reason(config, mg::Reason::token_expired, mg::Mode::priv, false, &d.response);
  n = mg::protocol_write_decision(d, out, sizeof out);
  std::string text(out, n);
  CHECK(text.find("status\t401\nreason\ttoken_expired\nmode\tpriv\nbody\ttext\n") == 0);
  CHECK(text.find("h\tcache-control\tprivate, no-store\n") != std::string::npos);
  CHECK(text.find("h\tcontent-length\t7\n") != std::string::npos);
  CHECK(text.find("text\texpired\nevent\tmedia.worker.deny\n") != std::string::npos);
  CHECK(text.find("key\tu/a b.png\n") != std::string::npos);  // the decoded key, for the log line
  CHECK(text.find("log\t") == std::string::npos);              // only when decided
  CHECK(text.find("?t=") == std::string::npos);
  CHECK(mg::protocol_write_decision(d, out, 10) == 0);  // too small: nothing half-written is used
}

TEST_CASE("contract 8: every answer is logged unless it is a sampled-out success") {
  mg::ConfigText t;
  t.secret = "s";
  t.secret_set = true;
  t.has_bucket = true;
  t.log_sample_rate = "0.25";
  t.log_sample_rate_set = true;
  mg::Config config;
  REQUIRE(mg::config_load(t, &config));
  CHECK(config.log_sample_ppm == 250000);
  static mg::Decision d;
  mg::RequestFacts req;
  req.method = "GET";
  req.path = "/m/u/a.png";
  req.query = "";
  req.request_id = "req-123:abc";
  for (std::uint32_t sample : {0u, 249999u, 250000u, 999999u}) {
    req.sample = sample;
    mg::decide_begin(config, req, &d);  // no token: a denial
    CHECK(d.response.status == 401);
    CHECK(d.log);
    CHECK(d.request_id == "req-123:abc");
  }
  req.request_id = "https://evil.example/?t=abc";
  mg::decide_begin(config, req, &d);
  CHECK(d.request_id.empty());  // not an id: never echoed into a log
}

TEST_CASE("config: log sample rate and debug header values") {
  struct Row {
    const char* rate;
    bool ok;
    std::uint32_t ppm;
  } rows[] = {{"0", true, 0}, {"1", true, 1000000}, {"0.01", true, 10000}, {".5", true, 500000},
              {"1.0", true, 1000000}, {"0.0000001", true, 0}, {"1.5", false, 0}, {"-0.1", false, 0},
              {"abc", false, 0}, {"", false, 0}, {"0.5x", false, 0}};
  for (const auto& row : rows) {
    CAPTURE(std::string(row.rate));
    mg::ConfigText t;
    t.secret = "s";
    t.secret_set = true;
    t.has_bucket = true;
    t.log_sample_rate = row.rate;
    t.log_sample_rate_set = true;
    mg::Config c;
    CHECK(mg::config_load(t, &c) == row.ok);
    if (row.ok) CHECK(c.log_sample_ppm == row.ppm);
    else CHECK(c.problem == "MEDIA_LOG_SAMPLE_RATE");
  }
}
