// Loads a Worker's own source (worker-shim/index.js, the baseline Worker) in
// Node, so the bench times the code the Worker runs, through its default
// export's fetch(request, env, ctx), rather than a copy of it. Mechanical
// edits make it loadable outside workerd, nothing else:
//   - `import wasmModule from "./mediagate.wasm"` becomes a module the bench
//     compiled (so the WASI and the Emscripten builds can both be loaded);
//   - the shim's own modules (worker-shim/*.js) are loaded with the same
//     edits, except worker-shim/core.js, the shim's marshalling, imported as
//     it is: the same module the decision rows' ABI-alone figures drive
//     (bench/lib/decision.mjs); other relative imports point at the
//     original files;
//   - Request, Response and Headers are module-local stand-ins (below), so
//     that what is timed is the Worker's own work, not Node's undici classes
//     (workerd's are native code). The bench hands in a StandInRequest too,
//     and stand-ins for R2, KV and the Cache API: every runtime object is a
//     minimal JS object, and both Workers get the same ones;
//   - `console` is a stand-in that counts lines and drops them: the Worker
//     still builds every log line (JSON.stringify included), but Node's
//     synchronous write to a pipe is not timed (workerd buffers its logs),
//     and the bench's stdout stays the report.
// Nothing under test is copied: if the Worker's source changes shape so that
// it no longer loads this way, this throws, and the bench smoke test fails.
import { readFileSync, mkdirSync, writeFileSync, unlinkSync } from "node:fs";
import { pathToFileURL } from "node:url";
import path from "node:path";
import { ROOT } from "./common.mjs";

const WASM_IMPORT = /^import (\w+) from "\.\/mediagate\.wasm";$/m;

// Minimal Headers/Response: what the Workers under test construct.
export class StandInHeaders {
  constructor(init) {
    this.list = [];
    if (Array.isArray(init)) for (const [k, v] of init) this.list.push([k.toLowerCase(), String(v)]);
    else if (init instanceof StandInHeaders) this.list = [...init.list];
    else if (init) for (const k of Object.keys(init)) this.list.push([k.toLowerCase(), String(init[k])]);
  }
  append(name, value) {
    this.list.push([name.toLowerCase(), String(value)]);
  }
  set(name, value) {
    const n = name.toLowerCase();
    this.list = this.list.filter(([k]) => k !== n);
    this.list.push([n, String(value)]);
  }
  // No allocation for a header that is absent (the runtime's get is native
  // code; a stand-in that allocates per call would be timed as the Worker's).
  get(name) {
    const n = name.toLowerCase();
    let out = null;
    for (let i = 0; i < this.list.length; i++) {
      const h = this.list[i];
      if (h[0] === n) out = out === null ? h[1] : `${out}, ${h[1]}`;
    }
    return out;
  }
  has(name) {
    return this.get(name) !== null;
  }
  [Symbol.iterator]() {
    return this.list[Symbol.iterator]();
  }
}
export class StandInRequest {
  constructor(url, init = {}) {
    this.url = String(url instanceof StandInRequest ? url.url : url);
    this.method = init.method ?? "GET";
    this.headers = new StandInHeaders(init.headers);
  }
}
export class StandInResponse {
  constructor(body = null, init = {}) {
    this.body = body;
    this.status = init.status ?? 200;
    this.headers = new StandInHeaders(init.headers);
  }
  async text() {
    return typeof this.body === "string" ? this.body : "";
  }
}

// Log lines the Workers under test wrote, by method (the bench reports
// lines per request).
export const standInConsole = {
  lines: 0,
  log() {
    this.lines++;
  },
  info() {
    this.lines++;
  },
  warn() {
    this.lines++;
  },
  error() {
    this.lines++;
  },
  debug() {
    this.lines++;
  },
};

let seq = 0;

const SHIM_DIR = path.join(ROOT, "worker-shim");

// Writes `abs` with the edits above as a file under build/bench (its imports of the shim's
// modules edited too, core.js excepted) and returns the file's URL. `made`: the
// files written, removed by the caller once imported.
function edited(abs, made, wasmModule) {
  let src = readFileSync(abs, "utf8");
  const m = WASM_IMPORT.exec(src);
  if (m) {
    if (!wasmModule) throw new Error(`bench: ${path.relative(ROOT, abs)} imports a .wasm: pass wasmModule`);
    src = src.replace(WASM_IMPORT, `const ${m[1]} = globalThis.__MG_BENCH_WASM_MODULE;`);
  }
  // The upload state object's base class (worker-shim/upload_state.js): Node has no
  // cloudflare:workers, and the decision rows never reach the object.
  src = src.replace(/import\s*\{\s*DurableObject\s*\}\s*from\s*"cloudflare:workers";/, "const DurableObject = class {};");
  src = src.replace(/(from\s+")(\.{1,2}\/[^"]+)(")/g, (_, a, rel, b) => {
    const target = path.resolve(path.dirname(abs), rel);
    const shimModule = path.dirname(target) === SHIM_DIR && path.basename(target) !== "core.js";
    return a + (shimModule ? edited(target, made, wasmModule) : pathToFileURL(target).href) + b;
  });
  src = "const { StandInRequest: Request, StandInResponse: Response, StandInHeaders: Headers, standInConsole: console } = globalThis.__MG_BENCH_STANDINS;\n" + src;
  const dir = path.join(ROOT, "build/bench");
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `under-bench.${process.pid}.${seq++}.${path.basename(abs, ".js")}.mjs`);
  writeFileSync(tmp, src);
  made.push(tmp);
  return pathToFileURL(tmp).href;
}

// Imports `file` (relative to the repository root) with the edits above.
// `wasmModule` (a WebAssembly.Module) replaces its .wasm import. Returns the
// module's namespace (default export: { fetch, ... }).
export async function loadWorker(file, { wasmModule } = {}) {
  const abs = path.join(ROOT, file);
  const src = readFileSync(abs, "utf8");
  if (!WASM_IMPORT.test(src) && wasmModule) throw new Error(`bench: ${file} no longer has \`import ... from "./mediagate.wasm"\``);
  if (!/export default/.test(src)) throw new Error(`bench: ${file} has no default export`);
  const made = [];
  globalThis.__MG_BENCH_WASM_MODULE = wasmModule;
  globalThis.__MG_BENCH_STANDINS = { StandInRequest, StandInResponse, StandInHeaders, standInConsole };
  try {
    return await import(edited(abs, made, wasmModule));
  } finally {
    delete globalThis.__MG_BENCH_WASM_MODULE;
    for (const f of made) unlinkSync(f);
  }
}

// The edge cache stand-in (`caches.default`; Node has none). In "miss" mode
// every lookup misses and every put is dropped; in "hit" mode puts are kept
// (whole responses, by URL) and a lookup without a Range header finds them.
// `hits` counts lookups answered.
export const standInCache = {
  mode: "miss",
  hits: 0,
  store: new Map(),
  async match(request) {
    if (this.mode !== "hit" || request.headers?.get?.("range")) return undefined;
    const stored = this.store.get(String(request.url));
    if (!stored) return undefined;
    this.hits++;
    return new StandInResponse(standInBody, { status: stored.status, headers: stored.headers });
  },
  async put(request, response) {
    if (this.mode === "hit") this.store.set(String(request.url), { status: response.status, headers: new StandInHeaders(response.headers) });
  },
  async delete(request) {
    return this.store.delete(String(request.url));
  },
};
export function installCache() {
  if (globalThis.caches === undefined) globalThis.caches = { default: standInCache, open: async () => standInCache };
  return standInCache;
}

// A body stand-in: what the Workers do with an R2 body (tee, cancel).
export const standInBody = {
  tee() {
    return [standInBody, standInBody];
  },
  cancel() {
    return Promise.resolve();
  },
};
