// The decision rows' inputs, shared by scripts/bench.mjs and the callgrind
// driver (ir-driver.mjs): the request kinds, and stand-ins for everything the
// runtime hands a Worker (R2, KV, the Cache API, ctx), so that what is timed
// is the Worker's own code and the Wasm, not I/O.
import path from "node:path";
import { readFileSync } from "node:fs";
import { ROOT, SECRET, mint, forge, quotePath } from "./common.mjs";
import { loadWorker, installCache, standInBody } from "./shim.mjs";

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

// The core as the shim sets it up once per isolate: Instance, _initialize,
// the secrets and [vars] (the calls the shim's instantiate() and configure()
// make, Node's module loading excluded).
export function instantiateCore(module) {
  const instance = new WebAssembly.Instance(module, { env: { emscripten_notify_memory_growth() {} } });
  const x = instance.exports;
  if (typeof x._initialize === "function") x._initialize();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const inPtr = Number(x.mg_in_ptr()), inCap = x.mg_in_cap(), outPtr = Number(x.mg_out_ptr());
  const call = (fn, text, ...args) => {
    const { written } = encoder.encodeInto(text, new Uint8Array(x.memory.buffer, inPtr, inCap));
    return decoder.decode(new Uint8Array(x.memory.buffer, outPtr, fn(...args, written)));
  };
  call(x.mg_finish, ""); // the shim's fallback answer
  call(x.mg_set_secret, ENV.MEDIA_TOKEN_SECRET, 0);
  x.mg_set_secret(1, -1);
  const cfg = call(x.mg_configure, "MEDIA_BUCKET\t1\n");
  if (!cfg.startsWith("ok")) throw new Error(`configure: ${cfg}`);
  return { x, call };
}

// The text protocol alone, synchronously (a breakdown row, not the shim):
// the facts the shim writes, mg_begin, the decision split into lines, the
// finish facts, mg_finish, split again. parseLines mirrors the shim's
// parseDecision. What the handler adds on top (URL parsing, awaits, the
// cache and revocation steps, building the response) is the difference to
// the Worker rows.
function parseLines(text) {
  const d = { headers: [] };
  for (const line of text.split("\n")) {
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const name = line.slice(0, tab);
    const value = line.slice(tab + 1);
    if (name === "h") {
      const t = value.indexOf("\t");
      d.headers.push([value.slice(0, t), value.slice(t + 1)]);
    } else if (!(name in d)) {
      d[name] = value;
    }
  }
  return d;
}
export function abiDecision(core, k) {
  const u = new URL(k.url);
  let facts = `method\tGET\npath\t${u.pathname}\nquery\t${u.search}\nnow\t${Math.floor(Date.now() / 1000)}\n`;
  for (const [name, v] of Object.entries(k.headers)) facts += `${name}\t${v}\n`;
  return () => {
    let d = parseLines(core.call(core.x.mg_begin, facts));
    if (d.fetch !== undefined) {
      const stored = `result\tok\nsize\t${STORED.size}\netag\t${STORED.httpEtag}\nuploaded\t${STORED.uploaded.getTime() / 1000}\ntype\t${STORED.httpMetadata.contentType}\n`;
      d = parseLines(core.call(core.x.mg_finish, `${facts}mode\t${d.mode}\nfetch\t${d.fetch}\n${stored}`));
    }
    return d;
  };
}
