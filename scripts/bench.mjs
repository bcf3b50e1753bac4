#!/usr/bin/env node
// mediagate's benchmark: every figure next to its baseline from the same
// run (docs/PERFORMANCE.md). Ratios, never timed assertions.
//
//   scripts/bench [options]        (builds first, then runs this file)
//   node scripts/bench.mjs [options]
//
//   --calls N        timed calls per decision row (default 100000; each call
//                    is timed on its own: median and p99)
//   --seconds S      wrk duration per end-to-end cell (default 4)
//   --rounds R       end-to-end rounds, cells interleaved (default 3; median)
//   --connections C  wrk connections (default 8)
//   --revoked K      keys in the revocation snapshot the decision rows run
//                    with (default 1000000; the requested keys are not in it)
//   --no-e2e         skip the wrangler dev + wrk rows and the direct rows
//   --only-e2e       only the wrangler dev + wrk rows (and the direct rows)
//   --no-direct      skip the direct end-to-end rows (bundles on workerd)
//   --only-direct    only the direct end-to-end rows: each Worker's
//                    `wrangler deploy --dry-run` bundle on workerd through
//                    Miniflare on 127.0.0.1 (no wrangler dev proxy), wrk,
//                    workerd CPU per request, R2 operations per request
//   --only-uploads   only the upload rows of the direct end to end: PUTs of
//                    1 MiB and 32 MiB through mediagate against the floor
//                    Worker's bare R2 put (bench/lib/uploads.mjs)
//   --no-uploads     the direct rows without the upload rows (PUT and tus)
//   --upload-concurrency N  PUTs in flight per upload cell (default 2)
//   --only-tus       only the resumable upload rows of the direct end to
//                    end: one 64 MiB MP4 through tus-js-client (defaults:
//                    one PATCH; chunkSize 5 MiB; 50 MiB) against the floor
//                    Worker's bare R2 put of it, mediagate's PUT beside
//                    them; the objects read back once, byte for byte
//                    (with --direct-compare, its default tus row too)
//   --no-tus         the upload rows without the tus rows
//   --tus-mib M      the tus rows' file size, MiB (default 64; smoke 12)
//   --tus-concurrency N  uploads in flight per tus cell (default 1)
//   --direct-compare DIR  also run the mediagate of another checkout (its
//                    wrangler.toml and built worker-shim/) in the direct rows,
//                    as "mediagate-before"
//   --smoke          a seconds-long run of every row (tests/bench/): small
//                    counts, 1 s wrk cells, 1 round; figures meaningless
//   --json FILE      also write every row as JSON (default build/bench/results.json)
//   --callgrind      instead of timing: instructions per call under valgrind
//                    --tool=callgrind (repeatable on a noisy machine), for the
//                    native rows and the JS/Wasm paths (a few minutes)
//
// Sections: 1 decision cost (native C++; Wasm through the shim's own code;
// the old Worker's algorithm in JS with WebCrypto), 2 module size and
// instantiation, 3 R2 operations per request kind (Miniflare, binding
// counted), 4 end to end (wrangler dev on 127.0.0.1, wrk), 5 end to end as
// deployed (the bundles on workerd through Miniflare, wrk, /proc CPU; and
// uploads, 1 MiB and 32 MiB PUTs against the floor Worker's bare put, and a
// 64 MiB file through tus against the floor's put of it).
import { readFileSync, writeFileSync, mkdirSync, existsSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { ROOT, SECRET } from "../bench/lib/common.mjs";
import { StandInRequest, standInConsole, standInCache } from "../bench/lib/shim.mjs";
import { decisionKinds, ENV, CTX, loadDecisionWorkers, instantiateCore, abiDecision, kindFacts, stubBucket, useSnapshot } from "../bench/lib/decision.mjs";
import { encodeInput, decodeDecision } from "../worker-shim/core.js";
import { startCounted, r2Kinds } from "../bench/lib/r2ops.mjs";
import { startWorkers, runWrk, runWrkAsync, E2E_WORKERS } from "../bench/lib/e2e.mjs";
import { e2eKinds } from "../bench/lib/common.mjs";
import { startDirect, directKinds, countR2, countUploadR2, cpuMs, addDirectWorker } from "../bench/lib/direct.mjs";
import { uploadKinds, tusKinds, uploadCell, uploadBody, sendUpload, removeKeys, closeAgents, percentile } from "../bench/lib/uploads.mjs";
import { mint, quotePath } from "../bench/lib/common.mjs";

// ---- options ----------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const SMOKE = argv.includes("--smoke");
const CALLS = Number(opt("--calls", SMOKE ? 2000 : 100000));
const SECONDS = Number(opt("--seconds", SMOKE ? 1 : 4));
const ROUNDS = Number(opt("--rounds", SMOKE ? 1 : 3));
const CONNECTIONS = Number(opt("--connections", 8));
const REVOKED = Number(opt("--revoked", 1000000));
const E2E = !argv.includes("--no-e2e");
const ONLY_E2E = argv.includes("--only-e2e");
const ONLY_UPLOADS = argv.includes("--only-uploads");
const ONLY_TUS = argv.includes("--only-tus");
const ONLY_DIRECT = argv.includes("--only-direct") || ONLY_UPLOADS || ONLY_TUS;
const DIRECT = E2E && !argv.includes("--no-direct");
const UPLOADS = !argv.includes("--no-uploads");
const UPLOAD_CONCURRENCY = Number(opt("--upload-concurrency", 2));
const TUS = UPLOADS && !argv.includes("--no-tus");
const TUS_MIB = Number(opt("--tus-mib", 64));
const TUS_CONCURRENCY = Number(opt("--tus-concurrency", 1));
const CALLGRIND = argv.includes("--callgrind");
const JSON_OUT = opt("--json", path.join(ROOT, "build/bench/results.json"));

const rows = []; // every figure: { section, row, ...values }
const add = (section, row, values) => rows.push({ section, row, ...values });
const log = (s) => console.error(`bench: ${s}`);

// ---- timing -------------------------------------------------------------------------------------
function stats(samplesMs) {
  samplesMs.sort();
  const n = samplesMs.length;
  let sum = 0;
  for (const v of samplesMs) sum += v;
  return {
    calls: n,
    median_us: samplesMs[n >> 1] * 1000,
    p99_us: samplesMs[Math.min(n - 1, Math.floor((n * 99) / 100))] * 1000,
    mean_us: (sum / n) * 1000,
  };
}

// Times `fn` (awaited) call by call after calls/10 warm-up calls.
async function timeCalls(fn, calls) {
  // A synchronous fn is timed without an await (an await costs a microtask
  // turn that is not the function's); a Worker's fetch is awaited.
  const sync = !(fn() instanceof Promise);
  // Warm-up, not recorded: at least a tenth of the calls and (except in the
  // smoke run) 1.5 s, so that V8 has tiered the JS and the Wasm up. Without
  // it the first row timed runs on baseline code: the ABI row measured
  // 8 us for its first ~200,000 calls, 5.3 us after.
  const warmUntil = performance.now() + (SMOKE ? 0 : 1500);
  for (let i = 0; i < Math.ceil(calls / 10) || performance.now() < warmUntil; i++) {
    if (sync) fn();
    else await fn();
  }
  const t = new Float64Array(calls);
  if (sync) {
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      fn();
      t[i] = performance.now() - t0;
    }
    return stats(t);
  }
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await fn();
    t[i] = performance.now() - t0;
  }
  return stats(t);
}

// ---- 1. decision cost ---------------------------------------------------------------------------
function runNative() {
  const exe = path.join(ROOT, "build/native/mediagate_bench");
  if (!existsSync(exe)) throw new Error(`${exe} is missing: run scripts/build.sh (or scripts/bench)`);
  // The same revocation snapshot natively and in the Wasm (KV stand-in).
  const snap = path.join(ROOT, "build/bench", `snapshot-${process.pid}.bin`);
  mkdirSync(path.dirname(snap), { recursive: true });
  const r = spawnSync(exe, ["--json", "--calls", String(CALLS), "--revoked", String(REVOKED), "--write-snapshot", snap], { encoding: "utf8", timeout: 600000 });
  if (r.status !== 0) throw new Error(`mediagate_bench failed: ${r.stderr}`);
  useSnapshot(readFileSync(snap));
  rmSync(snap, { force: true });
  const out = {};
  for (const line of r.stdout.split("\n")) {
    if (!line.trim()) continue;
    const j = JSON.parse(line);
    out[j.row] = j;
  }
  return out;
}

async function decisionSection() {
  log(`native decision rows (${CALLS} calls each)`);
  const native = runNative();
  const nat = (name) => native[name] && { median_us: native[name].median_ns / 1000, p99_us: native[name].p99_ns / 1000, calls: native[name].calls };
  add("decision", "timer.native", { what: "clock_gettime pair (in every native row)", ...nat("timer") });

  const { wasiModule, emccModule, workers } = await loadDecisionWorkers();

  const t = new Float64Array(CALLS);
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    t[i] = performance.now() - t0;
  }
  add("decision", "timer.js", { what: "performance.now() pair (in every JS row)", ...stats(t) });

  for (const k of decisionKinds()) {
    const request = new StandInRequest(k.url, { headers: k.headers });
    standInCache.mode = k.cache;
    standInCache.store.clear();
    // Each Worker must reach the answer it claims to time (a first request
    // fills the edge cache stand-in for the cached row); mediagate must not
    // read R2 on a cache hit.
    for (const [name, w] of Object.entries(workers)) {
      const res = await w.fetch(request, ENV, CTX);
      if (res.status !== k.status) throw new Error(`${name} ${k.kind}: status ${res.status}, want ${k.status}: ${await res.text()}`);
      if (name !== "baseline" && k.cache === "hit") {
        const [reads, hits] = [stubBucket.reads, standInCache.hits];
        await w.fetch(request, ENV, CTX);
        if (stubBucket.reads !== reads || standInCache.hits !== hits + 1) throw new Error(`${name} ${k.kind}: not answered from the edge cache`);
      }
    }
    // The Wasm decision through the shim's ABI (worker-shim/core.js), with the same revocation snapshot.
    const abi = abiDecision(instantiateCore(wasiModule), k, { revocations: true });
    if (abi().status !== k.status) throw new Error(`abi ${k.kind}: unexpected status`);
    log(`decision ${k.kind}: the Wasm decision through the ABI, both Wasm builds through the shim, the old Worker (${CALLS} calls each)`);
    // Log lines per request, as the shim writes them (sampled lines included).
    const lines0 = standInConsole.lines;
    for (let i = 0; i < 1000; i++) await workers.wasi.fetch(request, ENV, CTX);
    const logLines = (standInConsole.lines - lines0) / 1000;
    const row = {
      kind: k.kind,
      log_lines_per_request: logLines,
      native_begin: nat(`native.begin.${k.kind}`),
      native: nat(`native.decision.${k.kind}`),
      abi: await timeCalls(abi, CALLS),
      wasi: await timeCalls(() => workers.wasi.fetch(request, ENV, CTX), CALLS),
      emscripten: await timeCalls(() => workers.emscripten.fetch(request, ENV, CTX), CALLS),
      baseline: await timeCalls(() => workers.baseline.fetch(request, ENV, CTX), CALLS),
    };
    row.ratio_baseline_over_abi = row.baseline.median_us / row.abi.median_us;
    row.ratio_abi_over_native = row.abi.median_us / row.native.median_us;
    row.ratio_baseline_over_wasi = row.baseline.median_us / row.wasi.median_us;
    row.ratio_wasi_over_native = row.wasi.median_us / row.native.median_us;
    add("decision", `decision.${k.kind}`, row);
  }

  // Context rows.
  const k = decisionKinds()[1];
  // The old Worker's check with the key imported once per isolate and
  // crypto.subtle.verify: the best its algorithm could do with WebCrypto.
  const url = new URL(k.url);
  const [p64, m64] = url.searchParams.get("t").split(".");
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const verifyOnce = async () => {
    const payload = Buffer.from(p64, "base64url");
    const ok = await crypto.subtle.verify("HMAC", key, Buffer.from(m64, "base64url"), payload);
    return ok && JSON.parse(payload.toString("utf8")).m === "priv";
  };
  if (!(await verifyOnce())) throw new Error("baseline verify-once did not verify");
  add("decision", "baseline.verify_key_once.private", { what: "old Worker's check, key imported once, subtle.verify + JSON.parse", ...(await timeCalls(verifyOnce, Math.ceil(CALLS / 2))) });

  // The core alone inside Wasm (mg_bench_verify loops mg_begin's decision on
  // the same input, encoded once with core.js's encodeInput): what the shim's
  // JS adds is the difference to the rows above.
  {
    const core = instantiateCore(wasiModule);
    const x = core.x;
    if (typeof x.mg_bench_verify !== "function") {
      add("decision", "wasm.inside.begin.private", { what: "decide_begin looped inside Wasm", pending: "mg_bench_verify not exported" });
    } else {
      const input = encodeInput(kindFacts(k));
      new Uint8Array(x.memory.buffer, Number(x.mg_in_ptr()), core.inCap).set(input);
      const n = CALLS;
      x.mg_bench_verify(input.length, Math.ceil(n / 10));
      const t0 = performance.now();
      const len = x.mg_bench_verify(input.length, n);
      const elapsed = performance.now() - t0;
      const d = decodeDecision(new Uint8Array(x.memory.buffer, Number(x.mg_out_ptr()), len));
      if (!d.fetch) throw new Error(`mg_bench_verify: unexpected decision: status ${d.status} ${d.reason}`);
      add("decision", "wasm.inside.begin.private", { what: "decide_begin looped inside Wasm (mg_bench_verify, no revocation), mean", calls: n, mean_us: (elapsed / n) * 1000 });
    }
  }

  // The binary ABI alone, synchronous: what the Worker does around the core
  // per request through worker-shim/core.js (requestFacts, begin, the storage
  // result, finish), before the handler's own JS (URL, awaits, cache and
  // revocation steps, response).
  {
    const run = abiDecision(instantiateCore(wasiModule), k);
    if (run().status !== k.status) throw new Error("abi row: unexpected status");
    add("decision", "wasm.abi.private", { what: "requestFacts, core.begin, core.finish: the binary ABI (worker-shim/core.js) alone, synchronous, no revocation", ...(await timeCalls(run, CALLS)) });
  }

  // A hostile Range header: 3000 single-byte ranges, all apart (docs/CONTRACT.md
  // section 6: bounded work).
  {
    const many = "bytes=" + Array.from({ length: 3000 }, (_, i) => `${i * 3}-${i * 3}`).join(",");
    const hostile = new StandInRequest(k.url, { headers: { range: many } });
    const res = await workers.wasi.fetch(hostile, ENV, CTX);
    if (res.status !== 200) throw new Error(`hostile Range: status ${res.status}, want 200 (ignored)`);
    add("decision", "wasm.hostile_range.private", { what: "private, 3000-range header (17 KB), through the shim", ...(await timeCalls(() => workers.wasi.fetch(hostile, ENV, CTX), Math.ceil(CALLS / 4))) });
  }

  // LEAD: revocation lookup. The native row comes from mediagate_bench
  // ("native.revocation"); once revocation lands the decision rows above
  // include the lookup, and this row times it alone.
  standInCache.mode = "miss";
  // The revocation lookup alone, natively (the decision rows include it).
  add("decision", "revocation.lookup", { what: `native revocation_lookup, key not revoked, ${REVOKED} keys in the snapshot`, ...nat("native.revocation") });
  add("decision", "revocation.lookup.hit", { what: `native revocation_lookup, a revoked key`, ...nat("native.revocation.hit") });

  for (const f of ["floor.hmac.keyed", "floor.hmac.string", "floor.token_verify.keyed", "floor.token_verify.string"]) {
    add("decision", f, { what: native[f].what, ...nat(f) });
  }
  return { wasiModule, emccModule };
}

// ---- 2. module size and instantiation ---------------------------------------------------------
async function moduleSection() {
  for (const [build, file] of [["wasi (shipped)", "worker-shim/mediagate.wasm"], ["emscripten", "build/emscripten/mediagate.opt.wasm"]]) {
    const bytes = readFileSync(path.join(ROOT, file));
    const n = SMOKE ? 5 : 50;
    const compile = new Float64Array(n);
    let module;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      module = new WebAssembly.Module(bytes);
      compile[i] = performance.now() - t0;
    }
    const m = SMOKE ? 5 : 200;
    const inst = new Float64Array(m);
    for (let i = 0; i < m; i++) inst[i] = instantiateTimed(module).ms;
    add("module", `module.${build.split(" ")[0]}`, {
      build, file,
      raw_bytes: bytes.length,
      gzip_bytes: gzipSync(bytes, { level: 9 }).length,
      compile: stats(compile),
      instantiate: stats(inst),
    });
  }
}

function instantiateTimed(module) {
  const t0 = performance.now();
  instantiateCore(module);
  return { ms: performance.now() - t0 };
}

// ---- 3. R2 operations per request kind ----------------------------------------------------------
async function r2Section() {
  const counts = {};
  for (const which of ["mediagate", "baseline"]) {
    log(`R2 operations: ${which} under Miniflare`);
    const { mf, ops } = await startCounted(which);
    try {
      for (const k of r2Kinds()) {
        if (k.pending) continue;
        (counts[k.kind] ??= {})[which] = await ops(k);
      }
    } finally {
      await mf.dispose();
    }
  }
  for (const k of r2Kinds()) {
    if (k.pending) add("r2", `r2.${k.kind}`, { kind: k.kind, pending: k.pending });
    else add("r2", `r2.${k.kind}`, { kind: k.kind, documented: k.want, want_status: k.status, ...counts[k.kind] });
  }
}

// ---- 4. end to end --------------------------------------------------------------------------------
// wrk against one Worker; on failure, says whether its wrangler is still up
// and what it printed.
function wrkOn(w, url, headers, seconds) {
  try {
    return runWrk(url, headers, { seconds, connections: CONNECTIONS });
  } catch (err) {
    const state = w.child.exitCode === null ? "still running" : `exited with ${w.child.exitCode ?? w.child.signalCode}`;
    throw new Error(`${err.message}\n${w.name}'s wrangler dev is ${state}; its output ends:\n${w.output().slice(-3000)}`);
  }
}

// Runs body(workers) on Workers just started ({ workers, stop }), then stops
// them, also on SIGINT or SIGTERM.
async function withWorkers({ workers, stop }, body) {
  const onSignal = () => {
    stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await body(workers);
  } finally {
    await stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function e2eSection() {
  log(`end to end: starting ${E2E_WORKERS.map((w) => w.name).join(", ")} (wrangler dev on 127.0.0.1, free ports)`);
  await withWorkers(await startWorkers({ log }), async (workers) => {
    const kinds = e2eKinds();
    // The floor serves the same objects with no gate: /m/<key> without a
    // token, and /deny for the constant 401.
    const target = (w, k) => {
      if (w.name !== "floor") return { url: w.origin + k.path, status: k.status };
      if (k.kind === "denied") return { url: `${w.origin}/deny`, status: 401 };
      return { url: w.origin + k.path.replace(/\?.*$/, ""), status: k.status };
    };
    const on = (k) => workers.filter((w) => k.workers.includes(w.name));
    for (const k of kinds) {
      for (const w of on(k)) {
        const { url, status } = target(w, k);
        const res = await fetch(url, { headers: k.headers });
        const body = await res.arrayBuffer();
        if (res.status !== status) throw new Error(`${w.name} ${k.kind}: status ${res.status}, want ${status}: ${Buffer.from(body).toString().slice(0, 200)}`);
      }
    }
    // Warm-up, not recorded: each Worker's isolate, JIT and local R2 (once
    // per Worker, on its first kind).
    if (!SMOKE) {
      for (const w of workers) {
        const k = kinds.find((x) => x.workers.includes(w.name));
        log(`warm-up ${w.name}: wrk -d2s`);
        wrkOn(w, target(w, k).url, k.headers, 2);
      }
    }
    const cells = {};
    for (let r = 0; r < ROUNDS; r++) {
      for (const k of kinds) {
        for (const w of on(k)) {
          const { url } = target(w, k);
          log(`round ${r + 1}/${ROUNDS} ${k.kind} ${w.name}: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s`);
          ((cells[k.kind] ??= {})[w.name] ??= []).push(wrkOn(w, url, k.headers, SECONDS));
        }
      }
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    for (const k of kinds) {
      const row = { kind: k.kind, what: k.what };
      for (const w of on(k)) {
        const runs = cells[k.kind][w.name];
        // mediagate-cache is reported in the mediagate column.
        row[w.name === "mediagate-cache" ? "mediagate" : w.name.replace("-", "_")] = {
          worker: w.name,
          rps: med(runs.map((x) => x.rps)),
          p50_ms: med(runs.map((x) => x.p50_ms)),
          p99_ms: med(runs.map((x) => x.p99_ms)),
          requests: runs.reduce((s, x) => s + x.requests, 0),
          unexpected_status: k.status < 400 ? runs.reduce((s, x) => s + x.non2xx3xx, 0) : 0,
        };
      }
      row.ratio_rps_mediagate_over_baseline = row.mediagate.rps / row.baseline.rps;
      add("e2e", `e2e.${k.kind}`, row);
    }
  });
}

// ---- 5. end to end, as deployed ------------------------------------------------------------------
// Each bundle on workerd through Miniflare, wrk against it directly: no
// wrangler dev proxy Worker, no inspector log pipe (bench/lib/direct.mjs).
async function directSection() {
  const compare = opt("--direct-compare", null);
  if (compare) addDirectWorker("mediagate-before", path.resolve(compare));
  // The old Worker has no uploads; the floor serves only the upload rows.
  const only = ONLY_UPLOADS || ONLY_TUS;
  const want = (w) => (ONLY_TUS ? w.name !== "baseline" : ONLY_UPLOADS ? w.name !== "baseline" : UPLOADS || !w.uploadsOnly);
  await withWorkers(await startDirect({ log, want }), async (started) => {
    try {
      if (!only) await directGetRows(started.filter((w) => !w.spec.uploadsOnly));
      if (UPLOADS && !ONLY_TUS) await uploadRows(started.filter((w) => w.name !== "baseline"));
      if (TUS && !ONLY_UPLOADS) await tusRows(started.filter((w) => w.name !== "baseline"));
    } finally {
      closeAgents();
    }
  });
}

async function directGetRows(workers) {
  {
    const kinds = directKinds();
    for (const k of kinds) {
      for (const w of workers) {
        const res = await fetch(w.origin + k.path, { headers: k.headers });
        const body = await res.arrayBuffer();
        if (res.status !== k.status) throw new Error(`direct ${w.name} ${k.kind}: status ${res.status}, want ${k.status}: ${Buffer.from(body).toString().slice(0, 200)}`);
      }
    }
    // Warm-up, not recorded: each Worker's isolate and JIT, and (mediagate)
    // the edge cache fill of the video the Range rows repeat.
    for (const w of workers) {
      for (const k of kinds) {
        log(`direct warm-up ${w.name} ${k.kind}: wrk -d${SMOKE ? 1 : 2}s`);
        await runWrkAsync(w.origin + k.path, k.headers, { seconds: SMOKE ? 1 : 2, connections: CONNECTIONS });
      }
    }
    const cells = {};
    for (let r = 0; r < ROUNDS; r++) {
      for (const k of kinds) {
        for (const w of workers) {
          log(`direct round ${r + 1}/${ROUNDS} ${k.kind} ${w.name}: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s`);
          const cpu0 = cpuMs(w.pid);
          // Asynchronously: this process must keep reading workerd's log pipe.
          const x = await runWrkAsync(w.origin + k.path, k.headers, { seconds: SECONDS, connections: CONNECTIONS });
          x.cpu_ms_per_request = (cpuMs(w.pid) - cpu0) / x.requests;
          ((cells[k.kind] ??= {})[w.name] ??= []).push(x);
        }
      }
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const n = SMOKE ? 3 : 20;
    for (const k of kinds) {
      const row = { kind: k.kind, what: k.what };
      for (const w of workers) {
        const runs = cells[k.kind][w.name];
        log(`direct R2 operations: ${w.name} ${k.kind} (a counting instance, ${n + 1} requests)`);
        row[w.name] = {
          rps: med(runs.map((x) => x.rps)),
          p50_ms: med(runs.map((x) => x.p50_ms)),
          p99_ms: med(runs.map((x) => x.p99_ms)),
          cpu_ms_per_request: med(runs.map((x) => x.cpu_ms_per_request)),
          requests: runs.reduce((s, x) => s + x.requests, 0),
          rounds: runs.map((x) => ({ rps: x.rps, cpu_ms_per_request: x.cpu_ms_per_request })),
          unexpected_status: k.status < 400 ? runs.reduce((s, x) => s + x.non2xx3xx, 0) : 0,
          r2: await countR2(w, k, n),
        };
      }
      row.ratio_rps_mediagate_over_baseline = row.mediagate.rps / row.baseline.rps;
      row.ratio_cpu_mediagate_over_baseline = row.mediagate.cpu_ms_per_request / row.baseline.cpu_ms_per_request;
      add("direct", `direct.${k.kind}`, row);
    }
  }
}

// Uploads (bench/lib/uploads.mjs): per round, per size, each Worker in
// turn (the order reversed every other round), PUTs for --seconds with
// --upload-concurrency in flight; medians of the rounds' throughput and
// CPU per MiB, latency percentiles over every request of every round.
async function uploadRows(workers) {
  const kinds = uploadKinds();
  // Each Worker must store what it is timed on; warm-up, not recorded.
  for (const k of kinds) {
    for (const w of workers) {
      const keys = [];
      for (let i = 0; i < (SMOKE ? 1 : k.size > 4 << 20 ? 3 : 20); i++) keys.push(await uploadOnce(w, k));
      await removeKeys(w, keys);
    }
  }
  const cells = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const k of kinds) {
      for (const w of r % 2 ? [...workers].reverse() : workers) {
        log(`upload round ${r + 1}/${ROUNDS} ${k.kind} ${w.name}: ${SECONDS}s, ${UPLOAD_CONCURRENCY} in flight`);
        ((cells[k.kind] ??= {})[w.name] ??= []).push(await timedUploads(w, k, UPLOAD_CONCURRENCY, SMOKE ? 2 : 4));
      }
    }
  }
  for (const k of kinds) {
    const row = { kind: k.kind, what: k.what, bytes: k.size, concurrency: UPLOAD_CONCURRENCY };
    for (const w of workers) row[w.name] = await uploadFigures(w, k, cells[k.kind][w.name], SMOKE ? 1 : k.size > 4 << 20 ? 3 : 10);
    row.ratio_throughput_mediagate_over_floor = row.mediagate.mb_per_s / row.floor.mb_per_s;
    row.ratio_cpu_mediagate_over_floor = row.mediagate.cpu_ms_per_mib / row.floor.cpu_ms_per_mib;
    add("upload", `upload.${k.kind}`, row);
  }
}

// One upload of kind `k` to `w`, which must succeed; answers its key.
async function uploadOnce(w, k) {
  const r = await sendUpload(w.origin, w, k);
  if (r.status !== k.status) throw new Error(`upload ${w.name} ${k.kind}: status ${r.status}, want ${k.status}: ${r.text.slice(0, 200)}`);
  return r.key;
}

// One timed cell of uploads (bench/lib/uploads.mjs, uploadCell), on new
// connections (none idled through another cell), its keys deleted after it.
async function timedUploads(w, k, concurrency, min) {
  const x = await uploadCell(w, k, { seconds: SECONDS, concurrency, min, cpuMs });
  closeAgents();
  await removeKeys(w, x.keys);
  delete x.keys;
  return x;
}

// A Worker's figures for kind `k` from its cells (`runs`): medians of the
// rounds' throughput and CPU per MiB, latency percentiles over every upload,
// and the R2 operations and Durable Object calls per upload, counted on a
// separate instance (the first upload, then `n` more).
async function uploadFigures(w, k, runs, n) {
  const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const all = runs.flatMap((x) => x.latencies);
  log(`upload R2 operations: ${w.name} ${k.kind} (a counting instance, ${n + 1} uploads)`);
  return {
    mb_per_s: med(runs.map((x) => x.mb_per_s)),
    cpu_ms_per_mib: med(runs.map((x) => x.cpu_ms_per_mib)),
    p50_ms: percentile(all, 50),
    p99_ms: percentile(all, 99),
    requests: all.length,
    http_requests_per_upload: runs.reduce((s, x) => s + x.http_requests, 0) / all.length,
    rounds: runs.map((x) => ({ mb_per_s: x.mb_per_s, cpu_ms_per_mib: x.cpu_ms_per_mib, requests: x.requests })),
    unexpected_status: runs.reduce((s, x) => s + x.unexpected_status, 0),
    r2: await countUploadR2(w, k, n, async (origin, w2, k2) => (await sendUpload(origin, w2, k2)).status),
  };
}

// Resumable uploads (issue 15; bench/lib/uploads.mjs, tusKinds): one file of
// --tus-mib MiB sent each way in turn per round (the order reversed every
// other round): the floor's bare PUT, mediagate's PUT, and tus-js-client
// with its defaults (one PATCH), chunkSize 5 MiB and 50 MiB, with
// --tus-concurrency uploads in flight for --seconds (at least 2 per cell).
// Before the rounds, each way once, not timed, and each of mediagate's
// objects read back with a public token: the same bytes, or the run stops.
async function tusRows(workers) {
  const kinds = tusKinds((SMOKE ? 12 : TUS_MIB) * (1 << 20));
  // A --direct-compare build runs the default tus row too.
  const defaults = kinds.find((k) => k.kind === "tus_default");
  for (const w of workers.filter((x) => !["mediagate", "floor"].includes(x.name))) {
    kinds.push({ ...defaults, kind: `tus_default.${w.name}`, worker: w.name, what: `${defaults.what}, ${w.name}` });
  }
  const on = (k) => workers.find((w) => w.name === k.worker);
  for (const k of kinds) {
    const w = on(k);
    const key = await uploadOnce(w, k);
    if (w.name !== "floor") await sameBytes(w, key, uploadBody(k), k.kind);
    await removeKeys(w, [key]);
  }
  const cells = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const k of r % 2 ? [...kinds].reverse() : kinds) {
      log(`tus round ${r + 1}/${ROUNDS} ${k.kind} (${k.worker}): ${SECONDS}s, ${TUS_CONCURRENCY} in flight`);
      (cells[k.kind] ??= []).push(await timedUploads(on(k), k, TUS_CONCURRENCY, 2));
    }
  }
  const figures = {};
  for (const k of kinds) figures[k.kind] = await uploadFigures(on(k), k, cells[k.kind], SMOKE ? 1 : 2);
  const floor = figures.floor_put;
  for (const k of kinds) {
    const f = figures[k.kind];
    add("tus", `tus.${k.kind}`, {
      kind: k.kind, what: k.what, worker: k.worker, bytes: k.size, concurrency: TUS_CONCURRENCY, ...f,
      ratio_throughput_over_floor: f.mb_per_s / floor.mb_per_s,
      ratio_cpu_over_floor: f.cpu_ms_per_mib / floor.cpu_ms_per_mib,
    });
  }
}

// The object at `key` read back through `w` with a public token: `want`'s bytes.
async function sameBytes(w, key, want, what) {
  const res = await fetch(`${w.origin}/m/${quotePath(key)}?t=${mint(key)}`);
  const got = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200 || !got.equals(want)) throw new Error(`${what}: GET after the upload: status ${res.status}, ${got.length} bytes, ${got.equals(want) ? "the same" : "not the bytes sent"}`);
  log(`${what}: read back, ${got.length} bytes, byte-identical`);
}

// ---- callgrind: instructions per call ------------------------------------------------------------
// Each figure is (Ir(N2) - Ir(N1)) / (N2 - N1) for two runs that differ only
// in the number of timed calls, so start-up, loading and warm-up cancel out.
function callgrindIr(args, env = process.env) {
  const out = path.join(ROOT, "build/bench", `callgrind.${process.pid}.out`);
  mkdirSync(path.dirname(out), { recursive: true });
  const r = spawnSync("valgrind", ["--tool=callgrind", `--callgrind-out-file=${out}`, ...args], { cwd: ROOT, encoding: "utf8", timeout: 900000, env });
  if (r.status !== 0) throw new Error(`valgrind ${args.join(" ")}: ${r.stderr.slice(-2000)}`);
  const m = /^summary:\s+(\d+)/m.exec(readFileSync(out, "utf8"));
  rmSync(out, { force: true });
  return Number(m[1]);
}
function irPerCall(argsFor, n1, n2, env) {
  return (callgrindIr(argsFor(n2), env) - callgrindIr(argsFor(n1), env)) / (n2 - n1);
}
function callgrindSection() {
  // Valgrind 3.19 cannot read clang's DWARF 5: run a copy without debug info
  // (only the totals are read).
  const exe = path.join(ROOT, "build/bench/mediagate_bench.nodebug");
  mkdirSync(path.dirname(exe), { recursive: true });
  const strip = spawnSync("objcopy", ["--strip-debug", path.join(ROOT, "build/native/mediagate_bench"), exe], { encoding: "utf8" });
  if (strip.status !== 0) throw new Error(`objcopy: ${strip.stderr}`);
  // One revocation snapshot, built once, read by every run (native and the
  // Node runs' KV stand-in).
  const snap = path.join(ROOT, "build/bench", `snapshot-${process.pid}.bin`);
  const w = spawnSync(exe, ["--only", "none", "--calls", "10", "--revoked", String(REVOKED), "--write-snapshot", snap], { encoding: "utf8" });
  if (w.status !== 0) throw new Error(`mediagate_bench --write-snapshot: ${w.stderr}`);
  const nodeEnv = { ...process.env, MG_BENCH_SNAPSHOT: snap };
  const nativeRow = (row) => irPerCall((n) => [exe, "--only", row, "--warmup", "100", "--calls", String(n), "--read-snapshot", snap], 2000, 12000);
  const timer = nativeRow("timer");
  for (const row of ["native.begin.private", "native.decision.private", "native.decision.public", "native.decision.cached", "native.decision.denied",
    "native.revocation", "floor.token_verify.keyed", "floor.token_verify.string", "floor.hmac.keyed", "floor.hmac.string"]) {
    log(`callgrind: ${row}`);
    add("callgrind", `ir.${row}`, { ir: nativeRow(row) - timer, what: "native, clock_gettime pair subtracted" });
  }
  const driver = path.join(ROOT, "bench/lib/ir-driver.mjs");
  for (const [target, kind, what] of [
    ["inside", "private", "decide_begin looped inside the WASI module (mg_bench_verify, no revocation)"],
    ["wasm", "private", "mg_begin + mg_finish on input encoded once (core.js encodeInput): the Wasm side of the binary ABI"],
    ["abi", "private", "the Wasm decision through the binary ABI (worker-shim/core.js: requestFacts, core.begin, core.finish), revocation snapshot loaded"],
    ["wasi", "private", "the shim's fetch handler, WASI build (stand-ins)"],
    ["wasi", "denied", "the shim's fetch handler, WASI build (stand-ins)"],
    ["baseline", "private", "the old Worker's fetch handler (stand-ins; WebCrypto in Node)"],
    ["baseline", "denied", "the old Worker's fetch handler (stand-ins; WebCrypto in Node)"],
  ]) {
    // The old Worker's WebCrypto runs on Node's thread pool, which valgrind
    // serialises: fewer calls there. The native counts are exact.
    const [n1, n2] = target === "baseline" ? [1000, 4000] : [2000, 10000];
    log(`callgrind: node ${target} ${kind} (two runs under valgrind, up to 2 minutes each)`);
    // V8 compiles and tiers up on background threads, which valgrind
    // serialises, so when optimised code arrives varies from run to run (a
    // run can count Liftoff's Wasm code, 2-3x the instructions, or unoptimised
    // JS). --single-threaded makes V8 do that work on the main thread and
    // --no-liftoff compiles the Wasm with TurboFan up front: repeatable
    // within a few per cent.
    const v8 = ["--single-threaded", "--no-liftoff"];
    add("callgrind", `ir.${target}.${kind}`, { ir: irPerCall((n) => [process.execPath, ...v8, driver, target, kind, "5000", String(n)], n1, n2, nodeEnv), what });
  }
  rmSync(snap, { force: true });
}

// ---- report -------------------------------------------------------------------------------------
const f2 = (v) => (v === undefined || Number.isNaN(v) ? "-" : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const mp = (s) => (s ? `${f2(s.median_us)} / ${f2(s.p99_us)}` : "-");

function report() {
  const out = [];
  const p = (s = "") => out.push(s);
  const of = (section) => rows.filter((r) => r.section === section);
  p(`node ${process.version}, ${new Date().toISOString()}, calls per decision row ${CALLS}${SMOKE ? " (SMOKE: figures meaningless)" : ""}`);
  if (of("decision").length) {
    p();
    p(`Decision per request, µs, median / p99 (each call timed alone; revocation snapshot of ${REVOKED} keys loaded)`);
    p();
    p("| kind | native decide_begin | native decision | Wasm decision through the ABI (core.js) | old Worker JS + WebCrypto | old / ABI | ABI / native |");
    p("|---|---|---|---|---|---|---|");
    const dec = of("decision").filter((r) => r.row.startsWith("decision."));
    for (const r of dec) {
      p(`| ${r.kind} | ${mp(r.native_begin)} | ${mp(r.native)} | ${mp(r.abi)} | ${mp(r.baseline)} | ${f2(r.ratio_baseline_over_abi)} | ${f2(r.ratio_abi_over_native)} |`);
    }
    p();
    p("The shim's whole fetch handler, same requests (awaits, cache and revocation steps, response, log line):");
    p();
    p("| kind | Wasm (WASI) through the shim | Wasm (Emscripten) through the shim | old Worker JS + WebCrypto | old / shim | shim / native | shim log lines per request |");
    p("|---|---|---|---|---|---|---|");
    for (const r of dec) {
      p(`| ${r.kind} | ${mp(r.wasi)} | ${mp(r.emscripten)} | ${mp(r.baseline)} | ${f2(r.ratio_baseline_over_wasi)} | ${f2(r.ratio_wasi_over_native)} | ${r.log_lines_per_request} |`);
    }
    p();
    p("| context row | µs median / p99 (or mean) |");
    p("|---|---|");
    for (const r of of("decision").filter((r) => !r.row.startsWith("decision."))) {
      p(`| ${r.row}${r.what ? `: ${r.what}` : ""} | ${r.pending ? r.pending : r.median_us !== undefined ? mp(r) : `${f2(r.mean_us)} (mean)`} |`);
    }
  }
  if (of("module").length) {
    p();
    p("Module");
    p();
    p("| build | raw bytes | gzip -9 bytes | compile ms (median) | instantiate + configure ms (median / p99) |");
    p("|---|---|---|---|---|");
    for (const r of of("module")) {
      p(`| ${r.build} | ${r.raw_bytes} | ${r.gzip_bytes} | ${(r.compile.median_us / 1000).toFixed(3)} | ${(r.instantiate.median_us / 1000).toFixed(3)} / ${(r.instantiate.p99_us / 1000).toFixed(3)} |`);
    }
  }
  if (of("r2").length) {
    p();
    p("R2 operations per request (Miniflare, binding counted; status in brackets)");
    p();
    p("| request | documented (mediagate) | mediagate | old Worker |");
    p("|---|---|---|---|");
    for (const r of of("r2")) {
      if (r.pending) p(`| ${r.kind} | - | ${r.pending} | - |`);
      else p(`| ${r.kind} | ${r.documented} | ${r.mediagate.ops} (${r.mediagate.status}) | ${r.baseline.ops} (${r.baseline.status}) |`);
    }
  }
  if (of("e2e").length) {
    p();
    p(`End to end, wrangler dev --local on 127.0.0.1, wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, median of ${ROUNDS} interleaved rounds`);
    p();
    p("| request | mediagate req/s | p50 / p99 ms | old Worker req/s | p50 / p99 ms | mediagate / old | floor req/s (no gate) |");
    p("|---|---|---|---|---|---|---|");
    const c = (w) => `${f2(w.p50_ms)} / ${f2(w.p99_ms)}`;
    for (const r of of("e2e")) {
      p(`| ${r.what} | ${f2(r.mediagate.rps)} | ${c(r.mediagate)} | ${f2(r.baseline.rps)} | ${c(r.baseline)} | ${f2(r.ratio_rps_mediagate_over_baseline)} | ${f2(r.floor.rps)} |`);
    }
    const quiet = of("e2e").find((r) => r.mediagate_quiet);
    if (quiet) {
      p();
      p(`${quiet.what}, mediagate with \`console\` dropped: ${f2(quiet.mediagate_quiet.rps)} req/s, p50 / p99 ${c(quiet.mediagate_quiet)} ms (${f2(quiet.mediagate_quiet.rps / quiet.baseline.rps)} x the old Worker)`);
    }
    const logged = of("e2e").find((r) => r.baseline_logged);
    if (logged) {
      p();
      p(`${logged.what}, the old Worker writing the contract's log line per denial as mediagate does: ${f2(logged.baseline_logged.rps)} req/s, p50 / p99 ${c(logged.baseline_logged)} ms (mediagate / this: ${f2(logged.mediagate.rps / logged.baseline_logged.rps)})`);
    }
  }
  if (of("direct").length) {
    p();
    p(`End to end as deployed: each \`wrangler deploy --dry-run\` bundle on workerd through Miniflare on 127.0.0.1 (no wrangler dev), wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, median of ${ROUNDS} interleaved rounds; CPU is workerd's (/proc), per request; R2 operations counted on a separate instance of the same bundle: the first request (with any background fill it starts) / per request after it`);
    p();
    p("| request | mediagate req/s | p50 / p99 ms | CPU ms/req | R2 ops first / after | old Worker req/s | p50 / p99 ms | CPU ms/req | R2 ops first / after | req/s mediagate / old | CPU mediagate / old |");
    p("|---|---|---|---|---|---|---|---|---|---|---|");
    const c = (w) => `${f2(w.p50_ms)} / ${f2(w.p99_ms)}`;
    const ops = (w) => `${w.r2.first} / ${f2(w.r2.per_request_after)}`;
    for (const r of of("direct")) {
      p(`| ${r.what} | ${f2(r.mediagate.rps)} | ${c(r.mediagate)} | ${f2(r.mediagate.cpu_ms_per_request)} | ${ops(r.mediagate)} | ${f2(r.baseline.rps)} | ${c(r.baseline)} | ${f2(r.baseline.cpu_ms_per_request)} | ${ops(r.baseline)} | ${f2(r.ratio_rps_mediagate_over_baseline)} | ${f2(r.ratio_cpu_mediagate_over_baseline)} |`);
    }
    if (of("direct")[0]["mediagate-before"]) {
      p();
      p("The same rows for mediagate as built from the --direct-compare checkout (same run):");
      p();
      p("| request | before req/s | p50 / p99 ms | CPU ms/req | R2 ops first / after | before / old Worker (req/s) |");
      p("|---|---|---|---|---|---|");
      for (const r of of("direct")) {
        const b = r["mediagate-before"];
        p(`| ${r.what} | ${f2(b.rps)} | ${c(b)} | ${f2(b.cpu_ms_per_request)} | ${ops(b)} | ${f2(b.rps / r.baseline.rps)} |`);
      }
    }
  }
  if (of("upload").length) {
    const up = of("upload");
    const names = Object.keys(up[0]).filter((n) => up[0][n] && typeof up[0][n] === "object" && "mb_per_s" in up[0][n]);
    p();
    p(`Uploads as deployed: PUTs through each bundle on workerd (Miniflare, 127.0.0.1, local R2), a fresh key per request, ${up[0].concurrency} in flight, ${SECONDS} s per cell, median of ${ROUNDS} alternating rounds (p50 / p99 over every request); CPU is workerd's (/proc) per MiB stored; R2 operations counted on a separate instance: the first upload / per upload after it`);
    p();
    p("| request | Worker | MB/s | p50 / p99 ms | workerd CPU ms/MiB | R2 ops first / after | requests | MB/s / floor | CPU / floor |");
    p("|---|---|---|---|---|---|---|---|---|");
    for (const r of up) {
      for (const n of names) {
        const w = r[n];
        p(`| ${r.what} | ${n} | ${f2(w.mb_per_s)} | ${f2(w.p50_ms)} / ${f2(w.p99_ms)} | ${f2(w.cpu_ms_per_mib)} | ${w.r2.first} / ${f2(w.r2.per_request_after)} | ${w.requests}${w.unexpected_status ? ` (${w.unexpected_status} not 201)` : ""} | ${f2(w.mb_per_s / r.floor.mb_per_s)} | ${f2(w.cpu_ms_per_mib / r.floor.cpu_ms_per_mib)} |`);
      }
    }
  }
  if (of("tus").length) {
    const tus = of("tus");
    p();
    p(`Resumable uploads (tus) as deployed: one ${tus[0].bytes / (1 << 20)} MiB MP4 through each bundle on workerd (Miniflare, 127.0.0.1, local R2), a fresh key per upload, ${tus[0].concurrency} in flight, ${SECONDS} s per cell (at least 2 uploads), median of ${ROUNDS} alternating rounds (p50 / p99 over every upload); tus through tus-js-client in Node; CPU is workerd's (/proc) per MiB stored, the Durable Object's included; R2 operations and Durable Object calls counted on a separate instance: the first upload / per upload after it`);
    p();
    p("| upload | Worker | MB/s | p50 / p99 ms | workerd CPU ms/MiB | HTTP requests per upload | R2 ops first / after | DO calls first / after | uploads | MB/s / floor | CPU / floor |");
    p("|---|---|---|---|---|---|---|---|---|---|---|");
    for (const r of tus) {
      p(`| ${r.what} | ${r.worker} | ${f2(r.mb_per_s)} | ${f2(r.p50_ms)} / ${f2(r.p99_ms)} | ${f2(r.cpu_ms_per_mib)} | ${f2(r.http_requests_per_upload)} | ${r.r2.first} / ${f2(r.r2.per_request_after)} | ${r.r2.do_first} / ${f2(r.r2.do_per_request_after)} | ${r.requests}${r.unexpected_status ? ` (${r.unexpected_status} with another status)` : ""} | ${f2(r.ratio_throughput_over_floor)} | ${f2(r.ratio_cpu_over_floor)} |`);
    }
    p();
    p("Calls per upload by name (after the first upload):");
    p();
    const names = (by) => Object.entries(by).map(([n, c]) => `${n} ${f2(c)}`).join(", ") || "none";
    for (const r of tus) p(`- ${r.what}: R2 ${names(r.r2.by_after.r2)}; DO ${names(r.r2.by_after.do)}`);
  }
  return out.join("\n");
}

// ---- main -----------------------------------------------------------------------------------------
if (CALLGRIND) {
  callgrindSection();
  console.log("Instructions per call (valgrind --tool=callgrind, Ir; difference of two runs)\n");
  console.log("| row | instructions per call |\n|---|---|");
  for (const r of rows) console.log(`| ${r.row.slice(3)}: ${r.what} | ${Math.round(r.ir)} |`);
  process.exit(0);
}
if (!ONLY_E2E && !ONLY_DIRECT) {
  await decisionSection();
  await moduleSection();
  await r2Section();
}
if ((E2E || ONLY_E2E) && !ONLY_DIRECT) await e2eSection();
if (DIRECT || ONLY_DIRECT) await directSection();
console.log(report());
mkdirSync(path.dirname(JSON_OUT), { recursive: true });
writeFileSync(JSON_OUT, JSON.stringify({ node: process.version, date: new Date().toISOString(), smoke: SMOKE, calls: CALLS, seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS, e2e: E2E, rows }, null, 2));
log(`rows written to ${path.relative(process.cwd(), JSON_OUT)}`);
