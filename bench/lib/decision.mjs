// The decision rows' inputs, shared by scripts/bench.mjs and the callgrind
// driver (ir-driver.mjs): the request kinds, and stand-ins for everything the
// runtime hands a Worker (R2, KV, the Cache API, ctx), so that what is timed
// is the Worker's own code and the Wasm, not I/O.
import path from "node:path";
import { readFileSync } from "node:fs";
import { ROOT, SECRET, mint, forge, quotePath } from "./common.mjs";
import { loadWorker, installCache, standInBody, StandInHeaders } from "./shim.mjs";
import { createCore, requestFacts, storedObject, REVOCATION, RESULT } from "../../worker-shim/core.js";

// The request kinds of the decision rows. Tokens are minted now (the shim
// reads the clock); the keys are the contract's vectors', so payload sizes
// match the native rows (public 61 bytes, private 67 bytes). `cache`: the
// edge cache stand-in's mode for the row ("hit": filled by a first request).
const PUB_KEY = "u/me_1/0123456789abcdef0123456789abcdef.png";
const PRIV_KEY = "u/me_1/café 😀.jpg";
export const ORIGIN = "http://media.test";
export function decisionKinds() {
  const pub = mint(PUB_KEY);
  const pubUrl = `${ORIGIN}/m/${quotePath(PUB_KEY)}?t=${pub}`;
  return [
    { kind: "public", url: pubUrl, headers: {}, status: 200, cache: "miss" },
    { kind: "private", url: `${ORIGIN}/m/${quotePath(PRIV_KEY)}?t=${mint(PRIV_KEY, { mode: "priv" })}`, headers: {}, status: 200, cache: "miss" },
    { kind: "range", url: pubUrl, headers: { range: "bytes=0-1" }, status: 206, cache: "miss" },
    { kind: "cached", url: pubUrl, headers: {}, status: 200, cache: "hit" },
    { kind: "denied", url: `${ORIGIN}/m/${quotePath(PUB_KEY)}?t=${forge(pub)}`, headers: {}, status: 401, cache: "miss" },
  ];
}

// What storage reports, resolved at once: the decision rows time the gate,
// not R2. The body is a stand-in: nothing is streamed.
const STORED = { size: 1000, httpEtag: '"45cf2832f7b64d929ddb72900502e024"', uploaded: new Date(1445412480000), httpMetadata: { contentType: "image/png" }, body: standInBody };
// `reads` counts R2 operations (none on an edge cache hit).
export const stubBucket = {
  reads: 0,
  async get(key, opts) {
    this.reads++;
    return opts && opts.range ? { ...STORED, range: { offset: 0, length: 2 } } : STORED;
  },
  async head() {
    this.reads++;
    return STORED;
  },
};
// Revocations stand-in: KV holds the snapshot set by useSnapshot (the one
// mediagate_bench built and timed natively), else none.
let snapshot = null;
export function useSnapshot(bytes) {
  snapshot = bytes;
}
const stubKv = {
  get: async () => (snapshot ? snapshot.buffer.slice(snapshot.byteOffset, snapshot.byteOffset + snapshot.byteLength) : null),
  list: async () => ({ keys: [], list_complete: true }),
  put: async () => {},
};
export const CTX = { waitUntil(p) { Promise.resolve(p).catch(() => {}); }, passThroughOnException() {} };
export const ENV = {
  MEDIA_BUCKET: stubBucket,
  MEDIA_REVOCATIONS: stubKv,
  MEDIA_TOKEN_SECRET: SECRET,
  MEDIA_KEY_PREFIXES: "u/",
  MEDIA_CLOCK_SKEW_SECONDS: "60",
  MEDIA_MAX_TOKEN_TTL_SECONDS: "3600",
  MEDIA_CORP: "same-origin",
};

// The Workers under measurement, loaded from their own sources (shim.mjs).
export async function loadDecisionWorkers() {
  const wasiModule = new WebAssembly.Module(readFileSync(path.join(ROOT, "worker-shim/mediagate.wasm")));
  const emccModule = new WebAssembly.Module(readFileSync(path.join(ROOT, "build/emscripten/mediagate.opt.wasm")));
  installCache();
  return {
    wasiModule,
    emccModule,
    workers: {
      wasi: (await loadWorker("worker-shim/index.js", { wasmModule: wasiModule })).default,
      emscripten: (await loadWorker("worker-shim/index.js", { wasmModule: emccModule })).default,
      baseline: (await loadWorker("bench/baseline-worker/index.js")).default,
    },
  };
}

// The core as the shim sets it up once per isolate, through the shim's own
// worker-shim/core.js: createCore (Instance, _initialize), the fallback
// answer, the secrets and [vars] (what isolate.js's newIsolate() and
// configure() do, Node's module loading excluded). Returns core.js's core.
export function instantiateCore(module) {
  const core = createCore(module);
  core.fallback(); // the shim's FALLBACK
  [ENV.MEDIA_TOKEN_SECRET, ENV.MEDIA_TOKEN_SECRET_PREVIOUS].forEach((s, i) => core.setSecret(i, s));
  let vars = "MEDIA_BUCKET\t1\n";
  for (const [name, value] of Object.entries(ENV)) if (typeof value === "string" && !name.startsWith("MEDIA_TOKEN_SECRET")) vars += `${name}\t${value}\n`;
  const cfg = core.configure(vars);
  if (cfg.problem) throw new Error(`configure: ${cfg.problem}`);
  return core;
}

// A decision row's request facts as the shim builds them (core.js
// requestFacts), for the rows that encode them once: revocation disabled,
// as in the rows inside Wasm.
export function kindFacts(k) {
  const u = new URL(k.url);
  return requestFacts("GET", u.pathname, u.search, new StandInHeaders(k.headers), Math.floor(Date.now() / 1000), 0, REVOCATION.disabled, 0);
}

// What perform() hands mg_finish for STORED.
export const STORED_RESULT = storedObject(STORED);

// The Wasm decision through the binary ABI, synchronously: per call, what
// the shim's handle() does around the core, through the shim's own
// worker-shim/core.js: requestFacts from the request's Headers (the stand-in
// the Worker rows get), core.begin, then per storage operation the storage
// result as perform() (or fromCache(), for the cached kind) builds it and
// core.finish; the marshalling both ways included. What the handler adds on
// top (awaits, the cache and revocation steps, the R2 call, building the
// response, the log line) is the difference to the Worker rows.
// `revocations`: the snapshot useSnapshot() holds is installed and the facts
// say "loaded", as in the Worker rows and the native decision (the lookup is
// in the figure); otherwise revocation is disabled, as in the rows inside Wasm.
export function abiDecision(core, k, { revocations = false } = {}) {
  const u = new URL(k.url);
  const method = "GET";
  const pathname = u.pathname;
  const search = u.search;
  const headers = new StandInHeaders(k.headers);
  let rev = REVOCATION.disabled;
  if (revocations && snapshot) {
    if (core.installSnapshot(snapshot) < 0) throw new Error("abi row: the revocation snapshot did not install");
    rev = REVOCATION.loaded;
  }
  const decide = (fromCache) => {
    const facts = requestFacts(method, pathname, search, headers, Math.floor(Date.now() / 1000), Math.floor(Math.random() * 1e6), rev, 0);
    let d = core.begin(facts);
    for (let ops = 0; d.fetch; ops++) {
      if (ops === 3) throw new Error("abi row: a third storage operation");
      d = core.finish(facts, d, d.cache !== null && fromCache ? fromCache : storedObject(STORED));
    }
    return d;
  };
  if (k.cache !== "hit") return () => decide(null);
  // An edge cache hit: the entry's metadata is what the core wrote when a
  // first request filled the cache.
  const filled = decide(null);
  if (!filled.store) throw new Error("abi row: the first public read did not fill the edge cache");
  const hit = { result: RESULT.ok, source: "cache", cached: filled.store.meta, cachedSize: String(filled.store.length) };
  return () => decide(hit);
}
