// The benchmark, run for seconds (scripts/bench.mjs --smoke) so that it
// never rots: every row of docs/PERFORMANCE.md must come out, with numbers.
// No thresholds: figures from a smoke run mean nothing, and timing is never
// asserted in the test suite.
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("scripts/bench.mjs --smoke", () => {
  let run, rows;
  const row = (name) => rows.find((r) => r.row === name);
  const positive = (v, what) => assert.ok(typeof v === "number" && v > 0 && Number.isFinite(v), `${what}: ${v}`);
  const timed = (s, what) => {
    assert.ok(s, `${what}: missing`);
    positive(s.median_us, `${what} median`);
    positive(s.p99_us, `${what} p99`);
  };

  before(() => {
    const dir = mkdtempSync(path.join(tmpdir(), "mg-bench-"));
    const out = path.join(dir, "results.json");
    run = spawnSync(process.execPath, ["scripts/bench.mjs", "--smoke", "--json", out], { cwd: ROOT, encoding: "utf8", timeout: 300000, killSignal: "SIGTERM" });
    try {
      rows = JSON.parse(readFileSync(out, "utf8")).rows;
    } catch {
      rows = [];
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs to the end", { timeout: 310000 }, () => {
    assert.equal(run.status, 0, `exit ${run.status} ${run.signal ?? ""}\n${run.stderr.slice(-3000)}`);
    assert.match(run.stdout, /Decision per request/);
  });

  it("decision rows: public, private, Range, cached hit, denied; native, the Wasm through the ABI, both Wasm builds through the shim, the old Worker", () => {
    for (const kind of ["public", "private", "range", "cached", "denied"]) {
      const r = row(`decision.${kind}`);
      assert.ok(r, `decision.${kind} missing`);
      for (const col of ["native_begin", "native", "abi", "wasi", "emscripten", "baseline"]) timed(r[col], `${kind} ${col}`);
      positive(r.ratio_baseline_over_abi, `${kind} ratio old/ABI`);
      positive(r.ratio_abi_over_native, `${kind} ratio ABI/native`);
      positive(r.ratio_baseline_over_wasi, `${kind} ratio old/Wasm`);
      positive(r.ratio_wasi_over_native, `${kind} ratio Wasm/native`);
    }
    for (const name of ["floor.hmac.keyed", "floor.hmac.string", "floor.token_verify.keyed", "floor.token_verify.string",
      "revocation.lookup", "revocation.lookup.hit", "baseline.verify_key_once.private", "wasm.abi.private", "wasm.hostile_range.private"]) {
      timed(row(name), name);
    }
    positive(row("wasm.inside.begin.private")?.mean_us, "wasm.inside.begin.private");
  });

  it("module rows: size raw and gzip, compile and instantiate time, both builds", () => {
    for (const name of ["module.wasi", "module.emscripten"]) {
      const r = row(name);
      assert.ok(r, `${name} missing`);
      positive(r.raw_bytes, `${name} raw`);
      positive(r.gzip_bytes, `${name} gzip`);
      timed(r.compile, `${name} compile`);
      timed(r.instantiate, `${name} instantiate`);
    }
  });

  it("R2 rows: every request kind counted for mediagate and the old Worker", () => {
    const r2 = rows.filter((r) => r.section === "r2");
    assert.ok(r2.length >= 13, `${r2.length} R2 rows`);
    for (const r of r2) {
      assert.equal(typeof r.mediagate?.ops, "number", `${r.kind} mediagate`);
      assert.equal(typeof r.baseline?.ops, "number", `${r.kind} old Worker`);
    }
  });

  it("end-to-end rows as deployed (bundles on workerd, no wrangler dev): Range probe and chunk, private, tampered, missing; req/s, latency, workerd CPU and R2 operations", () => {
    for (const kind of ["range_probe", "range_chunk", "private", "tampered", "missing"]) {
      const r = row(`direct.${kind}`);
      assert.ok(r, `direct.${kind} missing`);
      for (const w of ["mediagate", "baseline"]) {
        positive(r[w]?.rps, `${kind} ${w} req/s`);
        positive(r[w]?.p50_ms, `${kind} ${w} p50`);
        positive(r[w]?.p99_ms, `${kind} ${w} p99`);
        assert.ok(Number.isFinite(r[w].cpu_ms_per_request) && r[w].cpu_ms_per_request >= 0, `${kind} ${w} CPU per request`);
        assert.equal(typeof r[w].r2?.first, "number", `${kind} ${w} R2 operations, first request`);
        assert.equal(typeof r[w].r2?.per_request_after, "number", `${kind} ${w} R2 operations after it`);
        assert.equal(r[w].unexpected_status, 0, `${kind} ${w}: responses with another status`);
      }
    }
  });

  it("upload rows as deployed: 1 MiB and 32 MiB PUTs through mediagate and the floor Worker; MB/s, latency, workerd CPU per MiB, R2 operations", () => {
    for (const kind of ["upload_1m", "upload_32m"]) {
      const r = row(`upload.${kind}`);
      assert.ok(r, `upload.${kind} missing`);
      for (const w of ["mediagate", "floor"]) {
        positive(r[w]?.mb_per_s, `${kind} ${w} MB/s`);
        positive(r[w]?.p50_ms, `${kind} ${w} p50`);
        positive(r[w]?.p99_ms, `${kind} ${w} p99`);
        assert.ok(Number.isFinite(r[w].cpu_ms_per_mib) && r[w].cpu_ms_per_mib >= 0, `${kind} ${w} CPU per MiB`);
        assert.equal(r[w].r2?.per_request_after, 1, `${kind} ${w}: R2 operations per upload`);
        assert.equal(r[w].unexpected_status, 0, `${kind} ${w}: responses other than 201`);
      }
    }
  });

  it("tus rows as deployed: one file (12 MiB in the smoke run) through tus-js-client (defaults, chunkSize 5 and 50 MiB) and both PUTs; MB/s, workerd CPU per MiB, R2 operations and Durable Object calls per upload", () => {
    for (const kind of ["floor_put", "put", "tus_default", "tus_5m", "tus_50m"]) {
      const r = row(`tus.${kind}`);
      assert.ok(r, `tus.${kind} missing`);
      positive(r.mb_per_s, `${kind} MB/s`);
      positive(r.p50_ms, `${kind} p50`);
      positive(r.ratio_throughput_over_floor, `${kind} MB/s over the floor's`);
      assert.ok(Number.isFinite(r.cpu_ms_per_mib) && r.cpu_ms_per_mib >= 0, `${kind} CPU per MiB`);
      assert.equal(r.unexpected_status, 0, `${kind}: uploads whose last answer had another status`);
      const tus = kind.startsWith("tus_");
      // docs/UPLOADS.md, "Operations per upload": a PUT is one put; tus is
      // head and createMultipartUpload (POST, first part), a part per 5 MiB
      // (3 for 12 MiB), head and complete.
      assert.equal(r.r2?.per_request_after, tus ? 7 : 1, `${kind}: R2 operations per upload`);
      if (tus) positive(r.r2.do_per_request_after, `${kind}: Durable Object calls per upload`);
      else assert.equal(r.r2.do_per_request_after, 0, `${kind}: Durable Object calls per upload`);
    }
  });

  it("end-to-end rows: public, private, 206, cached hit, 401 for mediagate, the old Worker and the floor", () => {
    for (const kind of ["public", "private", "range", "cached", "denied"]) {
      const r = row(`e2e.${kind}`);
      assert.ok(r, `e2e.${kind} missing`);
      for (const w of ["mediagate", "baseline", "floor"]) {
        positive(r[w]?.rps, `${kind} ${w} req/s`);
        positive(r[w]?.p50_ms, `${kind} ${w} p50`);
        positive(r[w]?.p99_ms, `${kind} ${w} p99`);
        assert.equal(r[w].unexpected_status, 0, `${kind} ${w}: responses with another status`);
      }
    }
  });
});
