// Replays fixture sets (docs/FIXTURES.md) through three targets and requires the same answers
// from each, and the answer each line expects:
//   native  the native core: `scripts/mediagate explain` (docs/CLI.md), its model of R2
//   wasm    worker-shim/mediagate.wasm in Node, driven through the real ABI by the Worker's own
//           worker-shim/core.js (createCore, requestFacts, begin, finish) as worker-shim/index.js
//           drives it, the plan turned into R2 options by the shim's own worker-shim/storage.js
//           and answered by the R2 model (r2-model.mjs)
//   worker  the deployable bundle (`wrangler deploy --dry-run`) under Miniflare, R2 seeded with
//           each line's object
// Prints a pass/fail table per set and, for every failing line, what was expected and what each
// target answered.
//
//   scripts/mediagate fixtures replay [--targets native,wasm,worker] [--wasm PATH] [--summary] [SET.jsonl ...]
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, rmSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ROOT, readSet, keyOfPath, RESPONSE_HEADERS, FIXTURE_DIR } from "./fixtures.mjs";
import { pyJson, mintBytes, bytes } from "./token.mjs";
import { r2Read } from "./r2-model.mjs";
import { createCore, requestFacts, REVOCATION, RESULT } from "../../worker-shim/core.js";
import { storageRequest } from "../../worker-shim/storage.js";

export const TARGETS = ["native", "wasm", "worker"];
const ORIGIN = "http://media.test";
const WASM = path.join(ROOT, "worker-shim/mediagate.wasm");
const BUNDLE_DIR = path.join(ROOT, "build/replay-bundle");
// The stand-in for "some other secret" that {{token:...:badsig}} signs with.
const WRONG_SECRET = "not-the-secret-of-this-set-not-the-secret-of-this-set-not-the-secret";

// --- Objects ------------------------------------------------------------------------------------

// The bytes of a line's object: "synthetic" (the default) derives them from the key; "file:PATH"
// reads a file relative to the repository.
export function objectBytes(key, obj) {
  const content = obj.content ?? "synthetic";
  if (content === "synthetic") return bytes(obj.size, createHash("sha256").update(key, "utf8").digest().readUInt32BE(0));
  if (content.startsWith("file:")) {
    const bytes = new Uint8Array(readFileSync(path.join(ROOT, content.slice(5))));
    if (bytes.length !== obj.size) throw new Error(`${content}: ${bytes.length} bytes, the line says ${obj.size}`);
    return bytes;
  }
  throw new Error(`unknown object content "${content}"`);
}

const sameObject = (a, b) => (a === null || b === null ? a === b : a.size === b.size && (a.type ?? "") === (b.type ?? "") && (a.content ?? "synthetic") === (b.content ?? "synthetic"));
const httpDate = (unix) => new Date(unix * 1000).toUTCString();
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

// --- Placeholders ---------------------------------------------------------------------------------

// {{token:SPEC}} -> a token minted now with the set's secret (docs/FIXTURES.md, "Tokens").
export function mintPlaceholder(spec, { key, now, config }) {
  const items = spec.split(":");
  let head = items.shift();
  const opts = new Set();
  let forKey = key;
  let exp = now + 600;
  if (head === "bad") {
    head = "pub";
    opts.add("badsig");
  }
  for (const item of items) {
    if (item.startsWith("key=")) forKey = decodeURIComponent(item.slice(4));
    else if (item === "expired") exp = now - 3600;
    else if (item === "future") exp = now + Number(config.MEDIA_MAX_TOKEN_TTL_SECONDS ?? 3600) + Number(config.MEDIA_CLOCK_SKEW_SECONDS ?? 60) + 3600;
    else if (item.startsWith("exp=")) exp = now + Number(item.slice(4));
    else if (item === "badsig" || item === "previous") opts.add(item);
    else throw new Error(`unknown token option "${item}" in {{token:${spec}}}`);
  }
  let secret = config.MEDIA_TOKEN_SECRET;
  if (opts.has("previous")) secret = config.MEDIA_TOKEN_SECRET_PREVIOUS;
  if (opts.has("badsig")) secret = WRONG_SECRET;
  if (typeof secret !== "string") throw new Error(`{{token:${spec}}}: the set's config has no such secret`);
  // The gate reads a configured secret without its surrounding white space.
  secret = secret.trim();
  const k = forKey.replace(/^\/+/, "");
  if (head === "pub") return mintBytes(Buffer.from(pyJson({ k, m: "pub" }), "utf8"), secret);
  if (head === "priv") return mintBytes(Buffer.from(pyJson({ e: exp, k, m: "priv" }), "utf8"), secret);
  if (head === "malformed") return mintBytes(Buffer.from(pyJson({ k, m: "pub" }), "utf8"), secret) + "=";
  if (head.startsWith("payload=")) return mintBytes(Buffer.from(head.slice(8), "base64url"), secret);
  throw new Error(`unknown token placeholder {{token:${spec}}}`);
}

// Replaces every {{...}} in `text`. facts: the seeded object's { etag, uploaded } or null.
function resolve(text, { key, now, config, facts }) {
  return text.replace(/\{\{([^{}]*)\}\}/g, (_, spec) => {
    if (spec.startsWith("token:")) return mintPlaceholder(spec.slice(6), { key, now, config });
    if (spec === "etag" || spec.startsWith("last_modified")) {
      if (!facts) throw new Error(`{{${spec}}} on a line without a stored object`);
      if (spec === "etag") return facts.etag;
      const m = /^last_modified(?::([+-]\d+))?$/.exec(spec);
      if (!m) throw new Error(`unknown placeholder {{${spec}}}`);
      return httpDate(facts.uploaded + Number(m[1] ?? 0));
    }
    throw new Error(`unknown placeholder {{${spec}}}`);
  });
}

// --- The three targets ------------------------------------------------------------------------------

// The answer every target is reduced to: { status, headers: {name: value}, body?, span? }
// (body: the text of an error; span: [first, last] of the object bytes sent, or a string saying
// how the bytes differ).

// native: one `mediagate explain` run for a whole set.
function runNative(cases, config) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MEDIA_")));
  Object.assign(env, config);
  const input = cases.map((c) =>
    JSON.stringify({
      method: c.method,
      url: c.path + c.query,
      headers: c.headers,
      now: c.now,
      object: c.facts ? { size: c.object.size, etag: c.facts.etag, last_modified: httpDate(c.facts.uploaded), content_type: c.object.type ?? "" } : null,
    }),
  );
  const r = spawnSync("bash", [path.join(ROOT, "scripts/mediagate"), "explain"], { input: input.join("\n") + "\n", env, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`mediagate explain failed (${r.status}): ${r.stderr}`);
  const out = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  if (out.length !== cases.length) throw new Error(`mediagate explain answered ${out.length} lines for ${cases.length}`);
  return out.map((o) => {
    if (o.error) return { status: 0, headers: {}, body: `explain error: ${o.error}` };
    const a = { status: o.status, headers: lowerKeys(o.headers) };
    if (o.body !== undefined) a.body = o.body;
    if (o.span) a.span = o.span;
    return a;
  });
}

const lowerKeys = (h) => Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), v]));

// wasm: the shipped module in Node, driven through worker-shim/core.js (the Worker's own
// marshalling) the way worker-shim/index.js drives it.
export class WasmCore {
  constructor(wasmPath = WASM) {
    this.module = new WebAssembly.Module(readFileSync(wasmPath));
  }
  configure(config) {
    const core = (this.core = createCore(this.module));
    [config.MEDIA_TOKEN_SECRET, config.MEDIA_TOKEN_SECRET_PREVIOUS].forEach((s, i) => core.setSecret(i, s));
    let vars = "MEDIA_BUCKET\t1\n";
    for (const [name, value] of Object.entries(config)) if (!name.startsWith("MEDIA_TOKEN_SECRET")) vars += `${name}\t${value}\n`;
    core.configure(vars);
  }
  // A fetch decision's plan as the Worker performs it: the shim's R2 options, answered by the
  // R2 model; a missing object is `missing`.
  static storage(plan, object) {
    if (object === null) return RESULT.missing;
    const { op, options } = storageRequest(plan);
    return RESULT[r2Read(op, options, object.size).result];
  }
  run(c) {
    const core = this.core;
    // The Worker's revocation facts with KV bound and nothing revoked (ignored by a core without
    // revocation); no log sampling (sample 0).
    const headers = { get: (name) => c.headers[name] ?? null };
    const facts = requestFacts(c.method, c.path, c.query, headers, c.now, 0, REVOCATION.loaded, 0);
    let d = core.begin(facts);
    for (let ops = 0; d.fetch; ops++) {
      if (ops === 2) return { status: 0, headers: {}, body: "the core asked for a third storage operation" };
      const object = c.facts ? c.object : null;
      const result = WasmCore.storage(d.plan, object);
      // As the Worker's perform() reports it.
      const storage = result === RESULT.ok
        ? { result, source: "storage", size: object.size, uploaded: c.facts.uploaded, etag: c.facts.etag, type: object.type ?? "" }
        : { result, source: "storage" };
      d = core.finish(facts, d, storage);
    }
    const a = { status: d.status, headers: Object.fromEntries(d.headers) };
    if (c.method !== "HEAD") {
      if (d.body === "text") a.body = d.text;
      if (d.body === "object" && d.span !== null) a.span = d.span;
    }
    return a;
  }
}

// worker: `wrangler deploy --dry-run` once per run, then one Miniflare per set.
export function bundleWorker(outDir = BUNDLE_DIR) {
  rmSync(outDir, { recursive: true, force: true });
  const r = spawnSync(path.join(ROOT, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", outDir], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${r.stdout}${r.stderr}`);
  const wasm = readdirSync(outDir).filter((f) => f.endsWith(".wasm"));
  if (wasm.length !== 1) throw new Error(`expected one .wasm in ${outDir}, found ${wasm}`);
  return { dir: outDir, script: path.join(outDir, "index.js"), wasm: path.join(outDir, wasm[0]) };
}

// wrangler.toml's compatibility date and [vars]: the Worker as deployed.
export function wranglerToml() {
  const text = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(text)?.[1] ?? "2025-09-01";
  const section = (text.split(/^\[vars\]\s*$/m)[1] ?? "").split(/^\[/m)[0];
  const vars = Object.fromEntries([...section.matchAll(/^([A-Z_]+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1], m[2]]));
  return { date, vars };
}

class WorkerTarget {
  constructor(bundle, config, date) {
    this.bundle = bundle;
    this.config = config;
    this.date = date;
    this.mf = null;
    this.state = new Map(); // key -> object seeded
  }
  async start() {
    const { Miniflare } = await import("miniflare");
    await this.dispose();
    this.mf = new Miniflare({
      modulesRoot: this.bundle.dir,
      modules: [
        { type: "ESModule", path: this.bundle.script },
        { type: "CompiledWasm", path: this.bundle.wasm },
      ],
      compatibilityDate: this.date,
      r2Buckets: ["MEDIA_BUCKET"],
      kvNamespaces: ["MEDIA_REVOCATIONS"],
      bindings: this.config,
      cf: false,
    });
    try {
      await this.mf.ready;
    } catch (err) {
      await this.mf.dispose().catch(() => {});
      this.mf = null;
      throw err;
    }
    this.r2 = await this.mf.getR2Bucket("MEDIA_BUCKET");
    const was = this.state;
    this.state = new Map();
    this.facts = new Map();
    for (const [key, obj] of was) await this.seed(key, obj);
  }
  // Puts (or deletes) a key's object; returns the stored { etag, uploaded } or null. A key whose
  // object changes after it was served gets a fresh Worker (an empty edge cache), as a re-upload
  // under a new key would in production.
  async seed(key, obj) {
    if (this.state.has(key) && sameObject(this.state.get(key), obj)) return this.facts.get(key);
    if (this.state.has(key)) {
      this.state.set(key, obj);
      await this.start();
      return this.facts.get(key);
    }
    this.state.set(key, obj);
    let facts = null;
    if (obj !== null) {
      await this.r2.put(key, objectBytes(key, obj), obj.type ? { httpMetadata: { contentType: obj.type } } : {});
      const head = await this.r2.head(key);
      facts = { etag: head.httpEtag, uploaded: Math.floor(head.uploaded.getTime() / 1000) };
    } // else: nothing to put (a key that was never stored needs no delete; some are not even valid R2 names)
    this.facts.set(key, facts);
    return facts;
  }
  async run(c) {
    const res = await this.mf.dispatchFetch(ORIGIN + c.path + c.query, { method: c.method, headers: { "accept-encoding": "identity", ...c.headers }, redirect: "manual" });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const headers = {};
    for (const [name, value] of res.headers) if (!name.startsWith("mf-")) headers[name] = value;
    const a = { status: res.status, headers };
    if (bytes.length === 0) return a;
    if (c.method === "HEAD") {
      a.body = `${bytes.length} body bytes on a HEAD`;
      return a;
    }
    if (/^text\/plain/.test(headers["content-type"] ?? "")) {
      a.body = Buffer.from(bytes).toString("utf8");
      return a;
    }
    // Object bytes: the span announced, and the bytes must be the object's bytes there.
    const cr = /^bytes (\d+)-(\d+)\/\d+$/.exec(headers["content-range"] ?? "");
    const span = res.status === 206 && cr ? [Number(cr[1]), Number(cr[2])] : [0, bytes.length - 1];
    const want = c.facts ? c.content.subarray(span[0], span[1] + 1) : new Uint8Array(0);
    const exact = want.length === span[1] - span[0] + 1 && Buffer.compare(Buffer.from(want), Buffer.from(bytes)) === 0;
    a.span = exact ? span
      : `${bytes.length} bytes, sha256 ${sha256(bytes).slice(0, 16)}; the object's bytes ${span[0]}-${span[1]} are ${want.length} bytes, sha256 ${sha256(want).slice(0, 16)}`;
    return a;
  }
  async dispose() {
    if (this.mf) await this.mf.dispose();
    this.mf = null;
  }
}

// --- Replaying a set ------------------------------------------------------------------------------

// The request label used in tables and diffs.
function label(line, short = false) {
  const r = line.request;
  const cut = (v) => (short && v.length > 28 ? v.slice(0, 27) + "…" : v);
  const hs = Object.entries(r.headers ?? {}).map(([k, v]) => `${k}: ${cut(v)}`).join("; ");
  let url = r.url;
  // In the table, long hex names and placeholders' key= values are shortened.
  if (short) url = url.replace(/\b[0-9a-f]{32}\b/g, (m) => m.slice(0, 6) + "…").replace(/key=[^:}]*/g, "key=…").replace(/payload=[^:}]*/g, "payload=…");
  if (short && url.length > 70) url = url.slice(0, 69) + "…";
  return `${r.method ?? "GET"} ${url}${hs ? "  [" + hs + "]" : ""}`;
}

// Compares the answers: each field against the line's expectation where it states it, otherwise
// against the native core's answer. Returns [{ field, want, got: {target: value} }].
function compare(expect, answers, resolvedHeaders) {
  const problems = [];
  const unchecked = new Set(expect.unchecked ?? []);
  const targets = Object.keys(answers);
  const fields = new Map();
  fields.set("status", { want: expect.status, get: (a) => a.status });
  const names = new Set(RESPONSE_HEADERS);
  for (const a of Object.values(answers)) for (const n of Object.keys(a.headers)) names.add(n);
  for (const n of names) {
    const stated = RESPONSE_HEADERS.includes(n) && !unchecked.has(n);
    fields.set(`header ${n}`, { stated, want: resolvedHeaders[n], get: (a) => a.headers[n] });
  }
  fields.set("body", { stated: !unchecked.has("body"), want: expect.body, get: (a) => a.body });
  fields.set("span", { want: expect.span, get: (a) => a.span });
  for (const [field, f] of fields) {
    const stated = f.stated !== false;
    const ref = stated ? f.want : f.get(answers[targets[0]]);
    const got = Object.fromEntries(targets.map((t) => [t, f.get(answers[t])]));
    const bad = targets.filter((t) => JSON.stringify(got[t]) !== JSON.stringify(ref));
    if (bad.length) problems.push({ field, stated, want: ref, got, bad });
  }
  return problems;
}

// Replays one set. Returns { name, header, rows: [{ n, label, expect, result: {target: "pass"|"FAIL"}, problems }], failures }.
export async function replaySet(file, { targets = TARGETS, bundle, wasmPath = WASM, now = Math.floor(Date.now() / 1000) } = {}) {
  const { header, lines } = readSet(file);
  const toml = wranglerToml();
  // The sets record the read-only gate (the old Worker takes no uploads): they
  // replay with uploads off unless a set's header says otherwise.
  const config = { ...toml.vars, MEDIA_UPLOADS: "off", ...header.config };
  const worker = targets.includes("worker") ? new WorkerTarget(bundle ?? bundleWorker(), config, toml.date) : null;
  const rows = [];
  try {
    if (worker) await worker.start();
    // Each line's object: the line's own, else the latest earlier line's for the same key.
    const current = new Map();
    const cases = [];
    for (const line of lines) {
      const r = line.request;
      const [rawPath] = r.url.split("?");
      let path0;
      try {
        path0 = new URL(rawPath, ORIGIN).pathname; // as the runtime hands the path to the shim
      } catch {
        path0 = rawPath;
      }
      const key = keyOfPath(path0) ?? path0.slice(3);
      if (line.object !== undefined) current.set(key, line.object);
      const object = current.has(key) ? current.get(key) : null;
      let facts = null;
      if (worker) facts = await worker.seed(key, object);
      else if (object !== null) facts = { etag: `"${createHash("md5").update(objectBytes(key, object)).digest("hex")}"`, uploaded: now - 86400 };
      const ctx = { key, now, config, facts };
      const url = new URL(resolve(r.url, ctx), ORIGIN);
      const headers = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), resolve(v, ctx)]));
      const c = { line, method: r.method ?? "GET", path: url.pathname, query: url.search, headers, now, object, facts, content: object && facts ? objectBytes(key, object) : null };
      c.expectHeaders = Object.fromEntries(Object.entries(line.expect.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v === null ? undefined : resolve(v, ctx)]));
      const answers = {};
      if (worker) answers.worker = await worker.run(c);
      c.answers = answers;
      cases.push(c);
    }
    if (targets.includes("wasm")) {
      const core = new WasmCore(wasmPath);
      core.configure(config);
      for (const c of cases) c.answers.wasm = core.run(c);
    }
    if (targets.includes("native")) runNative(cases, config).forEach((a, i) => (cases[i].answers.native = a));
    for (const c of cases) {
      const ordered = Object.fromEntries(TARGETS.filter((t) => c.answers[t]).map((t) => [t, c.answers[t]]));
      const problems = compare(c.line.expect, ordered, c.expectHeaders);
      const result = Object.fromEntries(Object.keys(ordered).map((t) => [t, problems.some((p) => p.bad.includes(t)) ? "FAIL" : "pass"]));
      rows.push({ n: c.line.n ?? rows.length + 1, label: label(c.line), short: label(c.line, true), expect: c.line.expect, result, problems });
    }
  } finally {
    if (worker) await worker.dispose();
  }
  const failures = rows.filter((r) => Object.values(r.result).includes("FAIL")).length;
  return { name: header.set ?? path.basename(file), file, header, rows, failures };
}

// --- Reporting --------------------------------------------------------------------------------------

const pad = (s, n) => (s.length >= n ? s.slice(0, n - 1) + "…" : s + " ".repeat(n - s.length));
const show = (v) => (v === undefined ? "(absent)" : typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v));

export function renderTable(result, { lines = true } = {}) {
  const targets = result.rows.length ? Object.keys(result.rows[0].result) : [];
  const out = [];
  const counts = targets.map((t) => `${t} ${result.rows.filter((r) => r.result[t] === "pass").length}/${result.rows.length}`);
  out.push(`${result.failures ? "FAIL" : "pass"}  ${result.name}: ${result.rows.length} lines  (${counts.join(", ")})`);
  out.push(`      ${result.header.client ?? ""}${result.header.pattern && result.header.pattern !== "recorded" ? " | " + result.header.pattern : ""}`);
  if (lines) {
    out.push(`      ${pad("#", 4)}${pad("want", 6)}${targets.map((t) => pad(t, 8)).join("")}request`);
    for (const r of result.rows) out.push(`      ${pad(String(r.n), 4)}${pad(String(r.expect.status), 6)}${targets.map((t) => pad(r.result[t], 8)).join("")}${r.short}`);
  }
  return out.join("\n");
}

export function renderDiffs(result) {
  const out = [];
  for (const r of result.rows.filter((x) => x.problems.length)) {
    out.push(`--- ${result.name} line ${r.n}: ${r.label}`);
    for (const p of r.problems) {
      out.push(`    ${p.field}: ${p.stated === false ? "native says" : "fixture expects"} ${show(p.want)}`);
      for (const [t, v] of Object.entries(p.got)) out.push(`      ${p.bad.includes(t) ? "✗" : "✓"} ${pad(t, 7)} ${show(v)}`);
    }
  }
  return out.join("\n");
}

export function defaultSets() {
  return readdirSync(FIXTURE_DIR).filter((f) => f.endsWith(".jsonl")).sort().map((f) => path.join(FIXTURE_DIR, f));
}

export async function main(argv) {
  let targets = TARGETS;
  let wasmPath = WASM;
  let lines = true;
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--targets") targets = argv[++i].split(",");
    else if (a === "--wasm") wasmPath = path.resolve(argv[++i]);
    else if (a === "--summary") lines = false;
    else if (a === "--lines") lines = true;
    else if (a.startsWith("--")) throw new Error(`unknown option ${a}`);
    else files.push(path.resolve(a));
  }
  for (const t of targets) if (!TARGETS.includes(t)) throw new Error(`unknown target ${t} (native, wasm, worker)`);
  if (!existsSync(wasmPath)) throw new Error(`${wasmPath} is missing: run scripts/build.sh`);
  const sets = files.length ? files : defaultSets();
  const bundle = targets.includes("worker") ? bundleWorker() : undefined;
  let failed = 0;
  let total = 0;
  const diffs = [];
  for (const file of sets) {
    const result = await replaySet(file, { targets, bundle, wasmPath });
    console.log(renderTable(result, { lines }));
    total += result.rows.length;
    failed += result.failures;
    if (result.failures) diffs.push(renderDiffs(result));
  }
  if (diffs.length) console.log("\n" + diffs.join("\n"));
  console.log(`\nreplay: ${sets.length} sets, ${total} lines through ${targets.join(", ")}: ${failed ? `${failed} lines FAILED` : "every target gave every expected answer"}`);
  return failed ? 1 : 0;
}
