// `mediagate stats` (docs/OBSERVABILITY.md) on generated logs holding three
// incidents, in the three input shapes it reads: a secret mismatch (401
// spike, `wrangler tail --format json`), a missing bucket binding (503,
// Workers Logs export shape), and a 404 storm (bare log lines); and upload
// lines, counted by outcome and reason.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ROOT } from "./helpers.js";

const T0 = Date.UTC(2026, 10, 24, 3, 0, 0); // 03:00Z, the 3 a.m. page
const MIN = 60_000;

// One minute of traffic: `n` requests with the given status mix. Successes
// are logged at 1% (sample_rate 0.01), like production; the rest always.
function minute(t, n, mix) {
  const lines = [];
  for (const [status, reason, share] of mix) {
    const count = Math.round(n * share);
    const success = status < 400;
    const logged = success ? Math.round(count / 100) : count;
    for (let i = 0; i < logged; i++) {
      lines.push({
        ts: t + Math.floor((i * MIN) / Math.max(1, logged)),
        event: status === 206 ? "media.worker.range_206" : success ? "media.worker.serve" : status === 404 ? "media.worker.not_found" : status >= 500 ? "media.worker.error" : "media.worker.deny",
        reason,
        status,
        key: "u/me_1/0123456789abcdef0123456789abcdef.png",
        r2_ms: 12,
        sample_rate: success ? 0.01 : 1,
      });
    }
  }
  return lines;
}
const NORMAL = [[200, "serve_full", 0.9], [206, "serve_partial", 0.07], [404, "object_missing", 0.02], [401, "token_expired", 0.01]];

function generate({ normalOnly = false } = {}) {
  const out = [];
  const tail = (o) => JSON.stringify({ outcome: "ok", scriptName: "mediagate", eventTimestamp: o.ts, event: { request: { url: "https://app.example.com/m/[redacted]" } }, logs: [{ message: [JSON.stringify(o)], level: "log", timestamp: o.ts }], exceptions: [] });
  const export_ = (o) => JSON.stringify({ $metadata: { timestamp: new Date(o.ts).toISOString(), service: "mediagate" }, source: o });
  for (let m = 0; m < 10; m++) out.push(...minute(T0 + m * MIN, 2000, NORMAL).map(tail));
  if (normalOnly) return out.join("\n") + "\n";
  // 03:10-03:20: the backend's secret was rotated alone: most tokens fail.
  for (let m = 10; m < 20; m++) out.push(...minute(T0 + m * MIN, 2000, [[200, "serve_full", 0.3], [401, "token_bad_signature", 0.7]]).map(tail));
  // 03:20-03:30: a deploy without the bucket binding.
  out.push(export_({ ts: T0 + 20 * MIN, event: "media.worker.error", reason: "not_configured", setting: "MEDIA_BUCKET" }));
  for (let m = 20; m < 30; m++) out.push(...minute(T0 + m * MIN, 2000, [[503, "not_configured", 1]]).map(export_));
  // 03:30-03:45: a 404 storm (a purge gone wrong).
  for (let m = 30; m < 45; m++) out.push(...minute(T0 + m * MIN, 2000, [[200, "serve_full", 0.75], [404, "object_missing", 0.25]]).map((o) => JSON.stringify(o)));
  return out.join("\n") + "\n";
}

describe("mediagate stats", () => {
  it("finds each seeded incident at its window, and nothing in normal traffic", () => {
    const r = spawnSync(path.join(ROOT, "scripts/mediagate"), ["stats", "--fail-on-alert"], { input: generate(), encoding: "utf8" });
    assert.equal(r.status, 1, r.stdout + r.stderr); // alerts crossed
    const alerts = r.stdout.split("\n").filter((l) => l.startsWith("ALERT"));
    assert.equal(alerts.length, 3, r.stdout);
    assert.match(alerts[0], /^ALERT 401 above 10\.00% for 5 min, at 2026-11-24T03:10:00Z: token_bad_signature/);
    assert.match(alerts[0], /mediagate fingerprint/);
    assert.match(alerts[1], /^ALERT 503 above 0\.50% for 5 min, at 2026-11-24T03:20:00Z: not_configured/);
    assert.match(alerts[2], /^ALERT 404 above 5\.00% for 10 min, at 2026-11-24T03:35:00Z: object_missing/);
    assert.match(r.stdout, /missing or invalid settings logged: MEDIA_BUCKET/);
    // Sampled successes are weighted back: ~2000 requests a minute.
    const first = r.stdout.split("\n").find((l) => l.startsWith("2026-11-24T03:00:00"));
    const requests = Number(first.split(/\s+/)[1]);
    assert.ok(requests > 9000 && requests < 11000, first);
  });

  it("tells a slow R2 (storage_timeout) from a failing one (storage_unavailable), and counts cache timeouts", () => {
    const lines = [];
    // 03:00-03:10: R2 slow, then 03:10-03:20: R2 failing; a few cache lookups time out.
    for (let m = 0; m < 10; m++) lines.push(...minute(T0 + m * MIN, 1000, [[200, "serve_full", 0.9], [503, "storage_timeout", 0.1]]));
    for (let m = 10; m < 20; m++) lines.push(...minute(T0 + m * MIN, 1000, [[200, "serve_full", 0.95], [503, "storage_unavailable", 0.05]]));
    for (let i = 0; i < 7; i++) lines.push({ ts: T0 + i * 1000, event: "media.worker.serve", reason: "serve_full", status: 200, cache: "timeout", sample_rate: 1 });
    const r = spawnSync(path.join(ROOT, "scripts/mediagate"), ["stats"], { input: lines.map((o) => JSON.stringify(o)).join("\n") + "\n", encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /storage 503s: 1000 storage_timeout \(R2 slow\), 500 storage_unavailable \(R2 failing\)/);
    assert.match(r.stdout, /edge cache lookups timed out \(served from R2\): 7/);
    const alerts = r.stdout.split("\n").filter((l) => l.startsWith("ALERT"));
    assert.match(alerts[0], /^ALERT 503 above 0\.50% for 5 min, at 2026-11-24T03:00:00Z: storage_timeout \d+\. .*storage_timeout \(R2 slow/);
  });

  it("counts uploads (stored, retried, rejected by reason), in every input shape; an upload 503 spike raises the 503 alert", () => {
    // Upload lines are never sampled (sample_rate 1). 03:00-03:10: normal
    // reads and uploads; 03:10-03:20: R2 failing for puts only.
    const up = (t, event, reason, status) => ({ ts: t, event, reason, status, method: "PUT", mode: "put", key: "u/me_1/new.png", bytes: 20, r2_ms: 30, sample_rate: 1 });
    const lines = [];
    for (let m = 0; m < 20; m++) {
      const t = T0 + m * MIN;
      lines.push(...minute(t, 1000, [[200, "serve_full", 1]]).map((o) => JSON.stringify(o)));
      for (let i = 0; i < 10; i++) lines.push(JSON.stringify(m < 10 ? up(t + i, "media.upload.ok", "upload_stored", 201) : up(t + i, "media.upload.rejected", "storage_unavailable", 503)));
      lines.push(JSON.stringify(up(t + 20, "media.upload.retry", "upload_retry", 200)));
      // A client sending the wrong files: in the Workers Logs export shape.
      lines.push(JSON.stringify({ $metadata: { timestamp: new Date(t + 30).toISOString(), service: "mediagate" }, source: up(t + 30, "media.upload.rejected", "signature_mismatch", 415) }));
    }
    const r = spawnSync(path.join(ROOT, "scripts/mediagate"), ["stats", "--fail-on-alert"], { input: lines.join("\n") + "\n", encoding: "utf8" });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^uploads: 100 stored \(201\), 20 retried \(200, the same bytes\), 120 rejected: storage_unavailable 100, signature_mismatch 20$/m);
    const alerts = r.stdout.split("\n").filter((l) => l.startsWith("ALERT"));
    assert.equal(alerts.length, 1, r.stdout);
    assert.match(alerts[0], /^ALERT 503 above 0\.50% for 5 min, at 2026-11-24T03:10:00Z: storage_unavailable 50\./);
    // No upload lines: no uploads line.
    const reads = spawnSync(path.join(ROOT, "scripts/mediagate"), ["stats"], { input: minute(T0, 1000, NORMAL).map((o) => JSON.stringify(o)).join("\n") + "\n", encoding: "utf8" });
    assert.equal(reads.status, 0, reads.stderr);
    assert.doesNotMatch(reads.stdout, /uploads:/);
  });

  it("reads the fingerprints off a token_bad_signature line", () => {
    const line = { ts: T0, event: "media.worker.deny", reason: "token_bad_signature", status: 401, fingerprint: "0a1b2c3d", fingerprint_previous: null, sample_rate: 1 };
    const r = spawnSync(path.join(ROOT, "scripts/mediagate"), ["stats"], { input: JSON.stringify(line) + "\n", encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /secret fingerprints seen \(media\.worker\.config, token_bad_signature lines\): 0a1b2c3d\n/);
  });

  it("normal traffic alone crosses nothing", () => {
    const normal = generate({ normalOnly: true });
    const r = spawnSync(path.join(ROOT, "scripts/mediagate"), ["stats", "--fail-on-alert"], { input: normal, encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /no alert thresholds crossed/);
  });

  it("reads lines as wrangler dev prints them: console.error's \"✘ [ERROR] \" prefix and colour codes", () => {
    // Byte for byte what wrangler dev 4 printed (colours on, even into a pipe) for a
    // request to a Worker without MEDIA_TOKEN_SECRET, plus the same record behind a
    // prefix that itself holds a brace.
    const E = "\x1b";
    const error = (o) => `${E}[31m✘ ${E}[41;31m[${E}[41;97mERROR${E}[41;31m]${E}[0m ${E}[1m${JSON.stringify(o)}${E}[0m`;
    const line = (o) => JSON.stringify({ ts: T0, event: "media.worker.error", reason: "not_configured", status: 503, method: "GET", key: null, sample_rate: 1, ...o });
    const input = [
      "[wrangler:info] Ready on http://127.0.0.1:8787",
      error({ event: "media.worker.error", reason: "not_configured", setting: "MEDIA_TOKEN_SECRET" }),
      "",
      line({}),
      `${E}[2m[worker {mediagate}]${E}[0m ${error({ event: "media.worker.error", reason: "not_configured", setting: "MEDIA_BUCKET" })}`,
      error(JSON.parse(line({}))),
      "[wrangler:info] GET /m/u/demo/photo.png 503 Service Unavailable (14ms)",
    ].join("\n");
    const r = spawnSync(path.join(ROOT, "scripts/mediagate"), ["stats"], { input, encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^mediagate stats: 2 request lines,/m);
    assert.match(r.stdout, /missing or invalid settings logged: MEDIA_TOKEN_SECRET, MEDIA_BUCKET/);
    assert.match(r.stdout, /100\.00%\s+0\.00%\s+0\.00%.*503 not_configured \(2\)/);
  });
});
