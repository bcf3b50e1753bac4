#!/usr/bin/env node
// mediagate stats [--window SECONDS] [--fail-on-alert] [FILE...]
//
// Reads mediagate's log lines (JSON Lines as `wrangler tail --format json`
// prints them, as Workers Logs exports them, or the bare lines), and prints
// per time window the rates the go-live alerts use (docs/OBSERVABILITY.md):
//   worker 503 > 0.5% for 5 minutes, 401 > 10% for 5 minutes (usually a
//   secret mismatch), 404 > 5% for 10 minutes; plus 206 counts and p95 R2
//   latency; storage 503s split into timeouts (R2 slow) and errors (R2
//   failing), and edge cache lookups that timed out; uploads (docs/UPLOADS.md)
//   stored, retried and rejected by reason. Successes are logged at a sampled rate; each line is weighted
//   by 1 / its sample_rate so the rates are of requests, not of lines.
// Reads stdin when no FILE is given. Exit status 1 with --fail-on-alert when
// a threshold is crossed.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

const args = process.argv.slice(2);
let windowSeconds = 300;
let failOnAlert = false;
const files = [];
const USAGE = "usage: mediagate stats [--window SECONDS] [--fail-on-alert] [FILE...]   (stdin when no FILE)\n" +
  "  rates and alerts from the Worker's log lines (docs/OBSERVABILITY.md)";
// A usage error: stderr, exit 2 (docs/CLI.md, "Conventions").
function usageError(what) {
  console.error(`mediagate stats: ${what}\n${USAGE}`);
  process.exit(2);
}
if (args.includes("-h") || args.includes("--help")) {
  console.log(USAGE);
  process.exit(0);
}
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--window") {
    if (i + 1 >= args.length) usageError("--window needs a value");
    windowSeconds = Number(args[++i]);
  } else if (args[i] === "--fail-on-alert") failOnAlert = true;
  else if (args[i].startsWith("-")) usageError(`unknown option ${args[i]}`);
  else files.push(args[i]);
}
if (!(windowSeconds > 0)) usageError("--window must be a positive number of seconds");

const THRESHOLDS = [
  { name: "503", match: (s) => s === 503, rate: 0.005, minutes: 5, hint: "see reasons: not_configured (a setting or binding, named in its log line), storage_timeout (R2 slow: operations still pending at MEDIA_STORAGE_TIMEOUT_MS) or storage_unavailable (R2/KV failing)" },
  { name: "401", match: (s) => s === 401, rate: 0.10, minutes: 5, hint: "token_bad_signature dominating usually means the secrets differ: compare `mediagate fingerprint` with media.worker.config" },
  { name: "404", match: (s) => s === 404, rate: 0.05, minutes: 10, hint: "object_missing: keys the bucket lacks; prefix_not_allowed: MEDIA_KEY_PREFIXES" },
];

function toMillis(v) {
  if (typeof v === "number") return v < 1e12 ? v * 1000 : v; // seconds or milliseconds
  if (typeof v === "string") {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

// Finds mediagate's records inside any of the accepted shapes.
function* records(value, ts = null) {
  if (value === null || typeof value !== "object") {
    if (typeof value === "string" && value.startsWith("{")) {
      try {
        yield* records(JSON.parse(value), ts);
      } catch {}
    }
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) yield* records(v, ts);
    return;
  }
  const own = toMillis(value.ts ?? value.timestamp ?? value.eventTimestamp ?? value.time ?? value.$metadata?.timestamp);
  const at = own ?? ts;
  if (typeof value.event === "string" && (value.event.startsWith("media.worker.") || value.event.startsWith("media.upload."))) {
    yield { ...value, at };
    return;
  }
  for (const k of Object.keys(value)) if (k !== "event" || typeof value.event === "object") yield* records(value[k], at);
}

const windows = new Map();
const settings = new Set();
const fingerprints = new Set();
// Weighted counts over the whole input: storage 503s by cause, and edge
// cache lookups past their deadline.
const storage = { storage_timeout: 0, storage_unavailable: 0, cache_timeout: 0 };
// Weighted counts of upload answers: stored (201), retried (200), rejected by reason.
const uploads = { ok: 0, retry: 0, rejected: new Map() };
let seen = 0;
function add(r) {
  // The config line, and every token_bad_signature line, carry the fingerprints.
  if (r.fingerprint) fingerprints.add(`${r.fingerprint}${r.fingerprint_previous ? ` (previous ${r.fingerprint_previous})` : ""}`);
  if (r.event === "media.worker.config") return;
  if (r.reason === "not_configured" && r.setting) settings.add(r.setting);
  if (typeof r.status !== "number" || r.at === null) return;
  seen++;
  const w = Math.floor(r.at / 1000 / windowSeconds) * windowSeconds;
  if (!windows.has(w)) windows.set(w, { total: 0, byStatus: new Map(), reasons: new Map(), r2: [] });
  const s = windows.get(w);
  const weight = r.sample_rate > 0 && r.sample_rate <= 1 ? 1 / r.sample_rate : 1;
  s.total += weight;
  s.byStatus.set(r.status, (s.byStatus.get(r.status) ?? 0) + weight);
  const key = `${r.status} ${r.reason}`;
  s.reasons.set(key, (s.reasons.get(key) ?? 0) + weight);
  if (r.reason === "storage_timeout" || r.reason === "storage_unavailable") storage[r.reason] += weight;
  if (r.cache === "timeout") storage.cache_timeout += weight;
  if (r.event === "media.upload.ok") uploads.ok += weight;
  else if (r.event === "media.upload.retry") uploads.retry += weight;
  else if (r.event === "media.upload.rejected") uploads.rejected.set(r.reason, (uploads.rejected.get(r.reason) ?? 0) + weight);
  if (typeof r.r2_ms === "number") s.r2.push(r.r2_ms);
}

// The JSON value a log line carries, wherever it starts: the bare line, or
// after a prefix such as wrangler dev's "✘ [ERROR] " for console.error lines,
// with the terminal colour codes wrangler wraps around it removed first.
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
function lineValue(line) {
  const text = line.replace(ANSI, "").trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text); // a whole line of JSON (wrangler tail, Workers Logs exports)
  } catch {}
  const end = text.lastIndexOf("}");
  for (let i = text.indexOf("{"); i >= 0 && i < end; i = text.indexOf("{", i + 1)) {
    try {
      return JSON.parse(text.slice(i, end + 1));
    } catch {}
  }
  return undefined;
}

async function readAll(stream) {
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    const value = lineValue(line);
    if (value !== undefined) for (const r of records(value)) add(r);
  }
}

if (files.length === 0) await readAll(process.stdin);
else for (const f of files) await readAll(createReadStream(f));

const pct = (x) => `${(100 * x).toFixed(2)}%`;
const p95 = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(0.95 * xs.length))] : null);
const keys = [...windows.keys()].sort((a, b) => a - b);
console.log(`mediagate stats: ${seen} request lines, ${keys.length} windows of ${windowSeconds} s`);
console.log("window start (UTC)     requests     503      401      404    206s  p95 r2_ms  top denial");
const alerts = [];
const streak = new Map();
let previous = null;
for (const w of keys) {
  const s = windows.get(w);
  if (previous !== null && w !== previous + windowSeconds) streak.clear(); // a gap resets "for N minutes"
  previous = w;
  const rate = (code) => (s.byStatus.get(code) ?? 0) / s.total;
  const top = [...s.reasons].filter(([k]) => !k.startsWith("2") && !k.startsWith("3")).sort((a, b) => b[1] - a[1])[0];
  console.log(
    `${new Date(w * 1000).toISOString().slice(0, 19)}  ${String(Math.round(s.total)).padStart(9)}  ${pct(rate(503)).padStart(7)}  ${pct(rate(401)).padStart(7)}  ${pct(rate(404)).padStart(7)}  ${String(Math.round(s.byStatus.get(206) ?? 0)).padStart(6)}  ${String(p95(s.r2) ?? "-").padStart(9)}  ${top ? `${top[0]} (${Math.round(top[1])})` : "-"}`,
  );
  for (const t of THRESHOLDS) {
    const over = [...s.byStatus].filter(([code]) => t.match(code)).reduce((a, [, n]) => a + n, 0) / s.total > t.rate;
    const run = over ? (streak.get(t.name) ?? 0) + windowSeconds : 0;
    streak.set(t.name, run);
    if (over && run >= t.minutes * 60 && run - windowSeconds < t.minutes * 60) {
      const reasons = [...s.reasons].filter(([k]) => k.startsWith(t.name)).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k.split(" ")[1]} ${Math.round(n)}`);
      alerts.push(`ALERT ${t.name} above ${pct(t.rate)} for ${t.minutes} min, at ${new Date(w * 1000).toISOString().slice(0, 19)}Z: ${reasons.join(", ")}. ${t.hint}`);
    }
  }
}
if (settings.size) console.log(`missing or invalid settings logged: ${[...settings].join(", ")}`);
if (fingerprints.size) console.log(`secret fingerprints seen (media.worker.config, token_bad_signature lines): ${[...fingerprints].join("; ")}`);
if (storage.storage_timeout || storage.storage_unavailable)
  console.log(`storage 503s: ${Math.round(storage.storage_timeout)} storage_timeout (R2 slow), ${Math.round(storage.storage_unavailable)} storage_unavailable (R2 failing)`);
if (storage.cache_timeout) console.log(`edge cache lookups timed out (served from R2): ${Math.round(storage.cache_timeout)}`);
if (uploads.ok || uploads.retry || uploads.rejected.size) {
  const rejected = [...uploads.rejected].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const total = rejected.reduce((n, [, c]) => n + c, 0);
  console.log(`uploads: ${Math.round(uploads.ok)} stored (201), ${Math.round(uploads.retry)} retried (200, the same bytes), ${Math.round(total)} rejected${rejected.length ? ": " + rejected.map(([k, n]) => `${k} ${Math.round(n)}`).join(", ") : ""}`);
}
for (const a of alerts) console.log(a);
if (!alerts.length) console.log("no alert thresholds crossed");
process.exit(failOnAlert && alerts.length ? 1 : 0);
