// Shared helpers for the Worker tests: a Miniflare instance running the
// shim with one of the two Wasm builds, R2 seeded with test media, and the
// token minter (tests/lib/token.mjs), whose tokens are recorded for logscan.
import { createHash } from "node:crypto";
import { existsSync, appendFileSync, mkdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { Miniflare } from "miniflare";
import * as tokens from "../lib/token.mjs";
import { shimModules } from "../lib/shim.mjs";
import { SECRET, bytes, keyPath as quotePath } from "../lib/token.mjs";
export { SECRET, pyJson, bytes, keyPath as quotePath } from "../lib/token.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const ORIGIN = "http://media.test";

// The two builds of the core: the shipped WASI module and the Emscripten one.
export const BUILDS = {
  wasi: path.join(ROOT, "worker-shim/mediagate.wasm"),
  emscripten: path.join(ROOT, "build/emscripten/mediagate.opt.wasm"),
};
export const CLI = path.join(ROOT, "build/native/mediagate");

// Every log line any test's Worker writes, and every token any test mints,
// go to build/test-logs/ so that tests/logscan.test.js (run after the whole
// suite by scripts/test.sh) can check no log line carries token material.
export const LOG_DIR = path.join(ROOT, "build/test-logs");
mkdirSync(LOG_DIR, { recursive: true });
const TOKENS_FILE = path.join(LOG_DIR, `tokens-${process.pid}.txt`);
const LOGS_FILE = path.join(LOG_DIR, `worker-${process.pid}.log`);
// The lines this process's Workers wrote, for tests that read them.
export const workerLog = [];

// A token minted by the one minter (tests/lib/token.mjs), recorded for logscan.
function recorded(t) {
  appendFileSync(TOKENS_FILE, t + "\n");
  return t;
}
export const mintRaw = (payloadText, secret = SECRET) => recorded(tokens.mintRaw(payloadText, secret));
export const mint = (key, opts) => recorded(tokens.mint(key, opts));
export const mintPut = (key, opts) => recorded(tokens.mintPut(key, opts));

function captureStdio(stdout, stderr) {
  for (const stream of [stdout, stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      workerLog.push(line);
      appendFileSync(LOGS_FILE, line + "\n");
      for (const waiter of [...lineWaiters]) waiter();
    });
  }
}

// Resolves once `count(workerLog.slice(from))` reaches `n`: workerd's output
// reaches this process through a pipe, after the response it belongs to (and
// after a scheduled() run's promise), so a test reads lines only once they
// arrived. Rejects after `ms` (a bound against hanging, not a timing claim).
const lineWaiters = new Set();
export function waitForLog(from, count, n = 1, ms = 20000) {
  const met = () => count(workerLog.slice(from)) >= n;
  if (met()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const waiter = () => {
      if (!met()) return;
      lineWaiters.delete(waiter);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      lineWaiters.delete(waiter);
      reject(new Error(`waited ${ms} ms for ${n} matching log line(s); have ${count(workerLog.slice(from))}`));
    }, ms);
    lineWaiters.add(waiter);
  });
}

// The JSON lines the Worker logged with `event` set, from index `from` on.
export function loggedEvents(from = 0) {
  return workerLog.slice(from).flatMap((line) => {
    const i = line.indexOf("{");
    if (i < 0) return [];
    try {
      const o = JSON.parse(line.slice(i));
      return o && typeof o.event === "string" ? [o] : [];
    } catch {
      return [];
    }
  });
}

export function mediaUrl(key, token) {
  return `${ORIGIN}/m/${quotePath(key)}` + (token === undefined ? "" : `?t=${token}`);
}

export const OBJECTS = {
  "u/me_1/0123456789abcdef0123456789abcdef.png": { body: bytes(1000, 1), type: "image/png" },
  "u/me_1/café 😀.jpg": { body: bytes(4096, 2), type: "image/jpeg" },
  "u/me_1/a b%2F~+.webp": { body: bytes(300, 3), type: "" },
  "u/v/clip.mp4": { body: bytes(200000, 4), type: "application/octet-stream" },
  "u/v/clip.webm": { body: bytes(50000, 5), type: "video/webm" },
  "u/empty.png": { body: new Uint8Array(0), type: "image/png" },
  "u/page.html": { body: bytes(64, 6), type: "text/html" },
  "u/icon.svg": { body: bytes(64, 7), type: "image/svg+xml" },
  "u/one.gif": { body: bytes(1, 8), type: "image/gif" },
  "x/outside.png": { body: bytes(10, 9), type: "image/png" },
};

export const DEFAULT_BINDINGS = {
  MEDIA_TOKEN_SECRET: SECRET,
  MEDIA_KEY_PREFIXES: "u/",
  MEDIA_CLOCK_SKEW_SECONDS: "60",
  MEDIA_MAX_TOKEN_TTL_SECONDS: "3600",
  MEDIA_CORP: "same-origin",
};

// A Miniflare running the shim with `wasmPath`. `bucket: false` leaves the
// R2 binding out; `failingBucket: true` binds an R2 stand-in that throws;
// `failingKv: true` binds a MEDIA_REVOCATIONS stand-in whose every call
// throws; `revocations: false` leaves the KV binding out; `metrics: true`
// binds a MEDIA_METRICS stand-in that logs each data point as a
// "METRIC {json}" line; `persistDir` keeps R2/KV/cache state on disk, so a
// second Miniflare (a fresh isolate) sees it.
// Fault injection (tests/worker/faults.test.js, stand-ins/): `bucketFaults`
// binds MEDIA_BUCKET to stand-ins/faulty-r2.js over a real bucket (seeded
// as usual; faults per key, see that file); `flakyKv: true` binds
// MEDIA_REVOCATIONS to stand-ins/flaky-kv.js over a real namespace, down
// while it holds FLAKY_KV_DOWN (set it through `innerKv(mf)`); `entry` runs
// another module (under ROOT) as the Worker's main module, in front of the
// shim, importing `extraModules` (paths under ROOT); `compatibilityFlags`
// are the Worker's (e.g. nodejs_als for such an entry; an entry re-exports
// UploadState, the main module's Durable Object class).
// `uploadState` (default true) binds MEDIA_UPLOAD_STATE, the tus upload state
// (worker-shim/upload_state.js), SQLite-backed, persisted under `persistDir`
// too; a string binds that class of the main module instead (a test's
// subclass); false leaves the binding out.
export async function startGate({ wasmPath = BUILDS.wasi, bindings = DEFAULT_BINDINGS, bucket = true, failingBucket = false, failingKv = false, revocations = true, metrics = false, persistDir, seed = true, bucketFaults, flakyKv = false, entry, extraModules = [], compatibilityFlags = [], uploadState = true } = {}) {
  if (!existsSync(wasmPath)) throw new Error(`${wasmPath} is missing: run scripts/build.sh`);
  const standIn = Boolean(bucketFaults) || failingBucket;
  const gate = {
    name: "gate",
    modulesRoot: ROOT,
    modules: [
      ...(entry ? [{ type: "ESModule", path: path.join(ROOT, entry) }] : []),
      ...extraModules.map((m) => ({ type: "ESModule", path: path.join(ROOT, m) })),
      ...shimModules({ wasm: wasmPath }),
    ],
    compatibilityDate: "2025-09-01",
    compatibilityFlags,
    bindings,
    kvNamespaces: revocations && !failingKv && !flakyKv ? ["MEDIA_REVOCATIONS"] : [],
    r2Buckets: bucket && !standIn ? ["MEDIA_BUCKET"] : [],
    wrappedBindings: {},
    durableObjects: uploadState ? { MEDIA_UPLOAD_STATE: { className: uploadState === true ? "UploadState" : uploadState, useSQLite: true } } : {},
  };
  const helpers = [];
  const stub = (name, binding, body) => {
    gate.wrappedBindings[binding] = { scriptName: name };
    helpers.push({ name, modules: true, script: `export default function () { ${body} }` });
  };
  if (failingBucket) stub("failing-r2", "MEDIA_BUCKET", `const fail = async () => { throw new Error("simulated R2 outage"); }; return { get: fail, head: fail, resumeMultipartUpload: () => ({ abort: fail }) };`);
  if (failingKv) stub("failing-kv", "MEDIA_REVOCATIONS", `const fail = async () => { throw new Error("simulated KV outage"); }; return { get: fail, list: fail, put: fail };`);
  if (metrics) stub("metrics", "MEDIA_METRICS", `return { writeDataPoint(p) { console.log("METRIC " + JSON.stringify(p)); } };`);
  if (bucketFaults) {
    gate.wrappedBindings.MEDIA_BUCKET = { scriptName: "faulty-r2", bindings: { FAULTS: bucketFaults } };
    helpers.push({ name: "faulty-r2", modules: true, scriptPath: path.join(ROOT, "tests/worker/stand-ins/faulty-r2.js"), r2Buckets: ["INNER"] });
  }
  if (flakyKv) {
    gate.wrappedBindings.MEDIA_REVOCATIONS = { scriptName: "flaky-kv" };
    helpers.push({ name: "flaky-kv", modules: true, scriptPath: path.join(ROOT, "tests/worker/stand-ins/flaky-kv.js"), kvNamespaces: ["INNER"] });
  }
  const options = { workers: [gate, ...helpers], cf: false, handleRuntimeStdio: captureStdio };
  if (persistDir) {
    options.r2Persist = path.join(persistDir, "r2");
    options.kvPersist = path.join(persistDir, "kv");
    options.cachePersist = path.join(persistDir, "cache");
    options.durableObjectsPersist = path.join(persistDir, "do");
  }
  const mf = new Miniflare(options);
  try {
    await mf.ready;
  } catch (err) {
    await mf.dispose().catch(() => {}); // never leave a workerd behind
    throw err;
  }
  if (bucket && !failingBucket && seed) {
    const r2 = bucketFaults ? await mf.getR2Bucket("INNER", "faulty-r2") : await mf.getR2Bucket("MEDIA_BUCKET");
    for (const [key, o] of Object.entries(OBJECTS)) {
      await r2.put(key, o.body, o.type ? { httpMetadata: { contentType: o.type } } : {});
    }
  }
  return mf;
}

// What the bucket holds under `key`, read back after an upload or a refusal:
// null, or its bytes, stored content type and etag. `inner`: the real bucket
// behind a `bucketFaults` gate's stand-in.
export async function storedObject(mf, key, { inner = false } = {}) {
  const r2 = inner ? await mf.getR2Bucket("INNER", "faulty-r2") : await mf.getR2Bucket("MEDIA_BUCKET");
  const obj = await r2.get(key);
  if (!obj) return null;
  return { body: new Uint8Array(await obj.arrayBuffer()), type: obj.httpMetadata?.contentType, etag: obj.httpEtag };
}

// The real KV namespace behind a `flakyKv` gate's MEDIA_REVOCATIONS.
export const FLAKY_KV_DOWN = "test:kv-down";
export function innerKv(mf) {
  return mf.getKVNamespace("INNER", "flaky-kv");
}

// dispatchFetch, returning status, headers (plain object) and body bytes.
// Sends accept-encoding: identity unless the test sets it: workerd gzips
// text bodies for clients that accept gzip (dropping content-length), and the
// tests compare what the Worker produced, not that transport step.
// `send`: a request body (uploads). It goes over loopback with Node's fetch
// (undici, standing in for a browser's fetch), which sends content-length
// for a byte body as browsers do for a File; dispatchFetch would re-send it
// chunked. A stream body goes chunked, as a browser's streaming upload does.
export async function get(mf, url, { method = "GET", headers = {}, body: send } = {}) {
  const init = { method, headers: { "accept-encoding": "identity", ...headers }, redirect: "manual" };
  let res;
  if (send === undefined) res = await mf.dispatchFetch(url, init);
  else {
    const u = new URL(url);
    const target = new URL(u.pathname + u.search, await mf.ready);
    res = await fetch(target, { ...init, body: send, ...(typeof send.getReader === "function" ? { duplex: "half" } : {}) });
  }
  const body = new Uint8Array(await res.arrayBuffer());
  // mf-* headers are Miniflare's own transport between workerd and Node
  // (it moves content-encoding there), not part of the Worker's response.
  const kept = Object.fromEntries([...res.headers].filter(([name]) => !name.startsWith("mf-")));
  return { status: res.status, headers: kept, body, text: Buffer.from(body).toString("utf8") };
}

export const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
  "x-robots-tag": "noindex, nofollow",
  "content-security-policy": "default-src 'none'; sandbox",
};

// The backend's revocation write (docs/CONTRACT.md section 7).
export function revocationName(key) {
  return "rev:" + createHash("sha256").update(Buffer.from(key, "utf8")).digest("hex");
}

// A request written byte for byte on a socket to the Worker: what fetch
// cannot send (a body shorter or longer than its content-length, both
// content-length and transfer-encoding, a client that goes away mid-body).
// `head`: the request line and header lines, without the blank line.
// `after`: "end" half-closes once the bytes are out and reads the answer
// ({status, headers, text}); "destroy" closes the connection once the bytes
// are out and reads nothing (null): the client went away. (Not a TCP reset:
// a reset may reach workerd before it read the request, and then there was
// no request at all.)
export async function rawRequest(mf, head, body, { after = "end" } = {}) {
  const { hostname, port } = await mf.ready;
  const { connect } = await import("node:net");
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks = [];
    const gone = after === "destroy";
    socket.on("data", (d) => chunks.push(d));
    socket.on("error", (err) => (gone ? null : reject(err)));
    socket.on("close", () => resolve(gone ? null : parseResponse(Buffer.concat(chunks))));
    // One write: a small request reaches workerd in one read, so an answer
    // sent before the body is read still leaves nothing unread to reset on.
    socket.write(Buffer.concat([Buffer.from(head + "\r\n\r\n", "latin1"), body]), () => (gone ? socket.destroy() : socket.end()));
  });
}

function parseResponse(buf) {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return { status: null, headers: {}, text: buf.toString("latin1") };
  const [statusLine, ...lines] = buf.subarray(0, end).toString("latin1").split("\r\n");
  const headers = {};
  for (const line of lines) {
    const i = line.indexOf(":");
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = buf.subarray(end + 4);
  if (headers["content-length"] !== undefined) body = body.subarray(0, Number(headers["content-length"]));
  return { status: Number(statusLine.split(" ")[1]), headers, text: body.toString("utf8") };
}
