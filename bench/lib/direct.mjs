// Production-shaped end-to-end rows (issue 16): each Worker as it deploys
// (`wrangler deploy --dry-run --outdir` output, the bundle) served by
// workerd through Miniflare directly on 127.0.0.1, with no proxy Worker and
// no inspector log pipe in front of it (what `wrangler dev` adds), local R2
// seeded with the bench objects, and the Cache API as Miniflare emulates it.
// Ports are the OS's (port 0). Per cell: wrk's requests per second and
// latency, and workerd's CPU time per request from /proc/<pid>/stat. R2
// operations per request are counted in a separate pass, with the same bundle
// behind a counting R2 binding (a wrapper entry module), so that the timed
// pass runs the bundle alone.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { Miniflare } from "miniflare";
import { ROOT, SECRET, mint, forge, quotePath, bytes, PRIVATE_KEY, BENCH_OBJECTS } from "./common.mjs";
import { tomlVars, tomlDurableObjects } from "../../tests/lib/wrangler-toml.mjs";

const WRANGLER = path.join(ROOT, "node_modules/.bin/wrangler");
const RUN_DIR = path.join(ROOT, "build/bench", `direct-${process.pid}`);

// The public video of the Range rows: 2 MiB.
export const VIDEO_KEY = "u/bench/video.mp4";
const VIDEO_BYTES = 2 * 1024 * 1024;
const OBJECTS = { ...BENCH_OBJECTS, [VIDEO_KEY]: { body: bytes(VIDEO_BYTES, 13), type: "video/mp4" } };

// The Workers: mediagate as wrangler.toml configures it (edge cache on, its
// revocation KV bound), and the old Worker.
export const DIRECT_WORKERS = [
  { name: "mediagate", config: "wrangler.toml", kv: ["MEDIA_REVOCATIONS"] },
  { name: "baseline", config: "bench/baseline-worker/wrangler.toml", kv: [] },
  // The upload rows' floor (bench/lib/uploads.mjs): a PUT is one R2 put of
  // the request's body, nothing else. Not run on the GET kinds.
  { name: "floor", config: "bench/floor-worker/wrangler.toml", kv: [], uploadsOnly: true },
];

// Another build of mediagate to run beside these (a checkout of an earlier
// version, say): its wrangler.toml and worker-shim/ (with the .wasm built)
// are copied into the run's directory first, then bundled like the others.
export function addDirectWorker(name, dir) {
  const copy = path.join(RUN_DIR, "copies", name);
  rmSync(copy, { recursive: true, force: true });
  for (const f of ["wrangler.toml", "worker-shim"]) cpSync(path.join(dir, f), path.join(copy, f), { recursive: true });
  DIRECT_WORKERS.push({ name, config: path.relative(ROOT, path.join(copy, "wrangler.toml")), kv: ["MEDIA_REVOCATIONS"] });
}

// The request kinds: repeated Range requests on one public 2 MiB video (a
// probe and a 64 KiB chunk in the middle), a private image, a tampered token
// and a missing one.
export function directKinds() {
  const pub = mint(VIDEO_KEY);
  const video = `/m/${quotePath(VIDEO_KEY)}`;
  const mid = VIDEO_BYTES / 2 - 32 * 1024;
  return [
    { kind: "range_probe", what: "public 2 MiB video, repeated Range bytes=0-1, 206", path: `${video}?t=${pub}`, headers: { range: "bytes=0-1" }, status: 206 },
    { kind: "range_chunk", what: `public 2 MiB video, repeated Range of 64 KiB in the middle (bytes=${mid}-${mid + 65535}), 206`, path: `${video}?t=${pub}`, headers: { range: `bytes=${mid}-${mid + 65535}` }, status: 206 },
    { kind: "private", what: "private image (16 KiB), 200", path: `/m/${quotePath(PRIVATE_KEY)}?t=${mint(PRIVATE_KEY, { mode: "priv" })}`, headers: {}, status: 200 },
    { kind: "tampered", what: "tampered token (wrong MAC), 401", path: `${video}?t=${forge(pub)}`, headers: {}, status: 401 },
    { kind: "missing", what: "missing token, 401", path: video, headers: {}, status: 401 },
  ];
}

// Bundles `w` as `wrangler deploy --dry-run` does; returns its modules.
function bundle(w) {
  const out = path.join(RUN_DIR, "dist", w.name);
  rmSync(out, { recursive: true, force: true });
  const r = spawnSync(WRANGLER, ["deploy", "--dry-run", "--outdir", out, "-c", path.join(ROOT, w.config)], {
    cwd: ROOT, encoding: "utf8", timeout: 120000, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run (${w.name}): ${r.stdout}${r.stderr}`);
  const files = readdirSync(out);
  return {
    out,
    modules: [
      { type: "ESModule", path: path.join(out, "index.js") },
      ...files.filter((f) => f.endsWith(".wasm")).map((f) => ({ type: "CompiledWasm", path: path.join(out, f) })),
    ],
  };
}

// workerd processes that are children of this process, by pid.
function workerdChildren() {
  const pids = new Set();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (comm === "workerd" && ppid === process.pid) pids.add(Number(name));
    } catch {}
  }
  return pids;
}

const TICK_MS = 1000 / (Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout) || 100);

// CPU time (user + system, all threads) of process `pid`, milliseconds.
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the comm.
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

// The entry module of the counting pass: the bundle's Worker (and its
// Durable Object classes), its R2 binding and its upload state namespace
// wrapped, the calls counted since the isolate started (background ones
// too). An R2 operation is one call of the bucket's get, head, put, delete,
// list or createMultipartUpload, or of a multipart upload's uploadPart,
// complete or abort (resumeMultipartUpload only makes a handle); a Durable
// Object call is one RPC on a stub. GET /__r2ops answers the R2 count, and
// GET /__ops every count by name (JSON), once every promise the Worker
// handed to waitUntil has settled (a timer loop on a counter: workerd does
// not wake a request waiting on another request's promise). GET
// /__timeline answers (and forgets) each call's and each request's start
// and end, ms (workerd's clock, which moves only across I/O: enough to
// see what waited on what). With the binding BENCH_PART_DELAY_MS, each
// uploadPart answers that much later (R2 at a distance, simulated).
const COUNTING_ENTRY = `import worker from "./index.js";
export * from "./index.js";
const COUNTED = ["get", "head", "put", "delete", "list"];
const MULTIPART = ["uploadPart", "complete", "abort"];
const by = { r2: {}, do: {} };
const timeline = [];
let ops = 0;
let calls = 0;
let pending = 0;
let wrapped = null;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// f's call, counted and timed.
const counted = (kind, name, f) => async (...args) => {
  by[kind][name] = (by[kind][name] ?? 0) + 1;
  if (kind === "r2") ops++;
  else calls++;
  const start = performance.now();
  try {
    return await f(...args);
  } finally {
    timeline.push([kind, name, start, performance.now()]);
  }
};
function multipart(mpu, delay) {
  const out = { key: mpu.key, uploadId: mpu.uploadId };
  for (const name of MULTIPART) out[name] = counted("r2", name, (...args) => mpu[name](...args));
  if (delay > 0) out.uploadPart = counted("r2", "uploadPart", async (...args) => { const part = await mpu.uploadPart(...args); await sleep(delay); return part; });
  return out;
}
function stub(s) {
  return new Proxy({}, { get: (_, name) => (name === "then" ? undefined : counted("do", name, (...args) => s[name](...args))) });
}
function wrap(env) {
  if (wrapped && wrapped.base === env) return wrapped.env;
  const b = env.MEDIA_BUCKET;
  const delay = Number(env.BENCH_PART_DELAY_MS ?? 0);
  const bucket = {};
  for (const name of COUNTED) bucket[name] = counted("r2", name, (...args) => b[name](...args));
  bucket.createMultipartUpload = counted("r2", "createMultipartUpload", async (...args) => multipart(await b.createMultipartUpload(...args), delay));
  bucket.resumeMultipartUpload = (...args) => multipart(b.resumeMultipartUpload(...args), delay);
  const next = { ...env, MEDIA_BUCKET: bucket };
  const ns = env.MEDIA_UPLOAD_STATE;
  if (ns) next.MEDIA_UPLOAD_STATE = { idFromName: (n) => ns.idFromName(n), get: (id, o) => stub(ns.get(id, o)) };
  wrapped = { base: env, env: next };
  return wrapped.env;
}
export default {
  async fetch(request, env, ctx) {
    const at = new URL(request.url).pathname;
    if (at === "/__r2ops" || at === "/__ops" || at === "/__timeline") {
      for (let i = 0; pending > 0 && i < 2000; i++) await sleep(5);
      if (at === "/__timeline") return Response.json(timeline.splice(0));
      return new Response(at === "/__ops" ? JSON.stringify({ r2: ops, do: calls, by }) : String(ops));
    }
    const tracked = {
      waitUntil(p) { pending++; ctx.waitUntil(Promise.resolve(p).finally(() => pending--)); },
      passThroughOnException() { ctx.passThroughOnException(); },
    };
    const start = performance.now();
    const res = await worker.fetch(request, wrap(env), tracked);
    timeline.push(["request", request.method, start, performance.now()]);
    return res;
  },
};
`;

async function startOne(w, b, { counting = false, bindings = {} } = {}) {
  const before = workerdChildren();
  const modules = counting
    ? [{ type: "ESModule", path: path.join(b.out, "__count.js"), contents: COUNTING_ENTRY }, ...b.modules]
    : b.modules;
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    modulesRoot: b.out,
    modules,
    compatibilityDate: "2025-09-01",
    r2Buckets: ["MEDIA_BUCKET"],
    kvNamespaces: w.kv,
    durableObjects: tomlDurableObjects(path.join(ROOT, w.config)),
    bindings: { ...tomlVars(path.join(ROOT, w.config)), MEDIA_TOKEN_SECRET: SECRET, ...bindings },
    cf: false,
    // The Workers' log lines are written (to a pipe, as workerd writes them)
    // but not printed: the bench's stdout is its report.
    handleRuntimeStdio(stdout, stderr) {
      stdout.resume();
      stderr.resume();
    },
  });
  const url = await mf.ready;
  const pids = [...workerdChildren()].filter((p) => !before.has(p));
  const r2 = await mf.getR2Bucket("MEDIA_BUCKET");
  for (const [key, o] of Object.entries(OBJECTS)) await r2.put(key, o.body, { httpMetadata: { contentType: o.type } });
  return { name: w.name, mf, origin: url.origin, pid: pids.length === 1 ? pids[0] : null };
}

// Bundles and starts every Worker (those `want` accepts). Returns { workers, stop }.
export async function startDirect({ log = () => {}, want = () => true } = {}) {
  mkdirSync(RUN_DIR, { recursive: true });
  const started = [];
  const stop = async () => {
    for (const w of started) await w.mf.dispose().catch(() => {});
    rmSync(RUN_DIR, { recursive: true, force: true });
  };
  try {
    for (const w of DIRECT_WORKERS.filter(want)) {
      log(`direct: bundling ${w.name} (wrangler deploy --dry-run)`);
      const b = bundle(w);
      const s = await startOne(w, b);
      if (!s.pid) throw new Error(`${w.name}: could not tell its workerd process`);
      log(`direct: ${w.name} at ${s.origin} (workerd pid ${s.pid})`);
      started.push({ ...s, bundle: b, spec: w });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { workers: started, stop };
}

// A counting instance of a started Worker `w`'s bundle (the entry above),
// with extra `bindings`; the caller disposes of it (its .mf).
export function countingInstance(w, bindings = {}) {
  return startOne(w.spec, w.bundle, { counting: true, bindings });
}

// R2 operations for one kind on a fresh counting instance of `w`'s bundle:
// the first request (with the background work it started), and per request
// over the `n` after it, once that work has finished.
export async function countR2(w, k, n) {
  const s = await startOne(w.spec, w.bundle, { counting: true });
  try {
    const ops = async () => Number(await (await fetch(`${s.origin}/__r2ops`)).text());
    const send = async () => {
      const res = await fetch(s.origin + k.path, { headers: k.headers });
      await res.arrayBuffer();
      if (res.status !== k.status) throw new Error(`${w.name} ${k.kind}: status ${res.status}, want ${k.status}`);
    };
    await send();
    // (ops() waits for the Worker's background work: a fill is stored by then.)
    const first = await ops();
    const settled = first;
    for (let i = 0; i < n; i++) await send();
    return { first, after: (await ops()) - settled, per_request_after: ((await ops()) - settled) / n, n };
  } finally {
    await s.mf.dispose();
  }
}

// R2 operations and Durable Object calls per upload of kind `k` on a fresh
// counting instance of `w`'s bundle: the first upload (with any background
// work it started), and per upload over the `n` after it, with the calls by
// name (per upload, after the first). `put(origin, w, k)` sends one and
// answers its status (which must be k.status).
export async function countUploadR2(w, k, n, put) {
  const s = await startOne(w.spec, w.bundle, { counting: true });
  try {
    const ops = async () => JSON.parse(await (await fetch(`${s.origin}/__ops`)).text());
    const send = async () => {
      const status = await put(s.origin, w, k);
      if (status !== k.status) throw new Error(`${w.name} ${k.kind}: status ${status}, want ${k.status}`);
    };
    await send();
    const first = await ops();
    for (let i = 0; i < n; i++) await send();
    const last = await ops();
    const per = (kind) => Object.fromEntries(Object.entries(last.by[kind]).map(([name, c]) => [name, (c - (first.by[kind][name] ?? 0)) / n]));
    const after = last.r2 - first.r2;
    return {
      first: first.r2, after, per_request_after: after / n, n,
      do_first: first.do, do_per_request_after: (last.do - first.do) / n,
      by_after: { r2: per("r2"), do: per("do") },
    };
  } finally {
    await s.mf.dispose();
  }
}
