#!/usr/bin/env node
// Revocation at scale (docs/REVOCATION.md, docs/PERFORMANCE.md): a snapshot
// of N revoked keys (default 1,000,000) built through the Wasm exactly as the
// scheduled handler builds it, then: bytes per key, time to load it into a
// fresh Wasm instance, the lookup's cost per request (the decision with the
// snapshot loaded minus the same decision without revocation, same run), and
// the instance's linear memory. Then compaction: the Worker's own scheduled
// handler (worker-shim/index.js, loaded in Node as bench/lib/shim.mjs does)
// over an in-memory KV model (tests/worker/stand-ins/kv-model.js) holding
// 1,000, 100,000 and 1,000,000 entries, with no churn and with 10,000 new
// revocations between runs (one run a minute): KV operations per run (the
// runtime allows 1,000), runs per full sweep, and time per run.
//
//   node scripts/bench-revocation.mjs [--keys N] [--sizes 1000,100000,1000000]
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { SECRET, mint } from "../tests/lib/token.mjs";
import { createCore, requestFacts, encodeInput, REVOCATION } from "../worker-shim/core.js";
import { loadWorker } from "../bench/lib/shim.mjs";
import { KvModel } from "../tests/worker/stand-ins/kv-model.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg("--keys", 1_000_000);
const module = await WebAssembly.compile(readFileSync(path.join(ROOT, "worker-shim/mediagate.wasm")));

// A core as the Worker sets one up, through the Worker's own worker-shim/core.js.
function core() {
  const c = createCore(module);
  c.setSecret(0, SECRET);
  c.setSecret(1, undefined);
  c.configure("MEDIA_BUCKET\t1\n");
  return c;
}

const keyOf = (i) => `u/me_${i}/${createHash("md5").update(String(i)).digest("hex")}.jpg`;
const token = (key) => mint(key);

// 1. Build, as the scheduled handler does: KV names and values fed in batches.
const builder = core();
builder.buildReset();
let t0 = process.hrtime.bigint();
let batch = "";
for (let i = 0; i < N; i++) {
  const name = "rev:" + createHash("sha256").update(keyOf(i)).digest("hex");
  batch += `${name}\t{"scope":"${i % 4 === 0 ? "public" : "all"}","at":1767225600}\n`;
  if (batch.length > 20000) {
    if (builder.buildAdd(batch) < 0) throw new Error("snapshot builder: out of memory");
    batch = "";
  }
}
if (builder.buildAdd(batch) < 0) throw new Error("snapshot builder: out of memory");
const feedMs = Number(process.hrtime.bigint() - t0) / 1e6;
t0 = process.hrtime.bigint();
const snapshot = builder.buildFinish(1767225600);
const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
if (!snapshot) throw new Error("snapshot could not be built");

// 2. Load into fresh instances (copy + validate + install), median of 5.
const loads = [];
let gate, memBefore, memAfter;
for (let r = 0; r < 5; r++) {
  gate = core();
  memBefore = gate.memoryBytes();
  const s = process.hrtime.bigint();
  const count = gate.installSnapshot(snapshot);
  loads.push(Number(process.hrtime.bigint() - s) / 1e6);
  if (count !== N) throw new Error(`installed ${count} of ${N}`);
  memAfter = gate.memoryBytes();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 3. Lookup cost: the whole begin decision, looped inside Wasm, with the
// snapshot loaded vs revocation disabled (same instance, same request). The
// input is encoded once (core.js encodeInput) and copied into the core's
// input buffer.
const per = (facts, iters) => {
  const input = encodeInput(facts);
  new Uint8Array(gate.x.memory.buffer, Number(gate.x.mg_in_ptr()), gate.inCap).set(input);
  const s = process.hrtime.bigint();
  gate.x.mg_bench_verify(input.length, iters);
  return Number(process.hrtime.bigint() - s) / iters / 1000;
};
const NO_HEADERS = { get: () => null };
const facts = (key, rev) =>
  requestFacts("GET", `/m/${key}`, `?t=${token(key)}`, NO_HEADERS, 1767225600, 0, rev ? REVOCATION.loaded : REVOCATION.disabled, 0);
const revokedKey = keyOf(1), freeKey = "u/me_x/not-revoked.jpg";
const revoked1 = gate.begin(facts(revokedKey, true));
if (revoked1.fetch || revoked1.status !== 410) throw new Error(`revoked key not refused: ${revoked1.fetch ? "fetch" : revoked1.status} ${revoked1.reason}`);
const free1 = gate.begin(facts(freeKey, true));
if (!free1.fetch) throw new Error(`free key refused: ${free1.status} ${free1.reason}`);
const rounds = { off: [], free: [], revoked: [] };
for (let r = 0; r < 15; r++) {
  rounds.off.push(per(facts(freeKey, false), 20000));
  rounds.free.push(per(facts(freeKey, true), 20000));
  rounds.revoked.push(per(facts(revokedKey, true), 20000));
}
const off = median(rounds.off), free = median(rounds.free), revoked = median(rounds.revoked);

const f = (v, d = 2) => v.toFixed(d);
console.log(`revocation snapshot, ${N.toLocaleString("en")} keys (node ${process.version})`);
console.log(`  snapshot bytes                 ${snapshot.length.toLocaleString("en")} (${f(snapshot.length / N, 3)} bytes/key; target <= 12)`);
console.log(`  build in Wasm (feed + sort)    ${f(feedMs, 0)} ms + ${f(buildMs, 0)} ms`);
console.log(`  load into a fresh instance     ${f(median(loads), 1)} ms median of 5 (copy + validate + install; target <= 100)`);
console.log(`  decision, revocation disabled  ${f(off)} µs`);
console.log(`  decision, key not revoked      ${f(free)} µs   lookup cost ${f(free - off)} µs (target <= 1)`);
console.log(`  decision, key revoked (410)    ${f(revoked)} µs`);
console.log(`  Wasm linear memory             ${(memBefore / 1048576).toFixed(1)} MiB -> ${(memAfter / 1048576).toFixed(1)} MiB`);

// 4. Compaction, through the Worker's scheduled handler.
const sizesArg = process.argv.indexOf("--sizes");
const SIZES = sizesArg > 0 ? process.argv[sizesArg + 1].split(",").map(Number) : [1000, 100_000, 1_000_000];
const worker = (await loadWorker("worker-shim/index.js", { wasmModule: module })).default;

// KV operations, counted per invocation, as the runtime counts them.
function counted(kv, counter) {
  const op = (f) => (...args) => {
    counter.ops++;
    return f.apply(kv, args);
  };
  return { get: op(kv.get), getWithMetadata: op(kv.getWithMetadata), list: op(kv.list), put: op(kv.put), delete: op(kv.delete) };
}
async function seed(kv, from, n, legacy) {
  for (let i = from; i < from + n; i++) {
    const name = "rev:" + createHash("sha256").update(keyOf(i)).digest("hex");
    const scope = i % 4 === 0 ? "public" : "all";
    const value = `{"scope":"${scope}","at":1767225600}`;
    await kv.put(name, value, legacy ? {} : { metadata: { scope } });
  }
}
// One cron run; its operations and wall time.
async function run(kv) {
  const counter = { ops: 0 };
  await kv.list({ prefix: "rev:", limit: 1 }); // the model sorts new names outside the timed run
  const env = { MEDIA_TOKEN_SECRET: SECRET, MEDIA_BUCKET: { get() {}, head() {} }, MEDIA_REVOCATIONS: counted(kv, counter) };
  let work;
  const s = process.hrtime.bigint();
  await worker.scheduled({ cron: "* * * * *" }, env, { waitUntil: (p) => (work = p) });
  await work;
  const ms = Number(process.hrtime.bigint() - s) / 1e6;
  const { metadata } = await kv.getWithMetadata("snapshot:v1");
  return { ops: counter.ops, ms, complete: !metadata || typeof metadata.cursor !== "string" };
}
// Runs until `sweeps` full sweeps have completed, adding `churn` entries
// between runs. Max operations and time of any run, runs per sweep.
async function sweep(kv, churn, next) {
  let runs = 0, maxOps = 0, maxMs = 0, done = 0, perSweep = [];
  let since = 0;
  while (done < 2 && runs < 40) {
    const r = await run(kv);
    runs++;
    since++;
    maxOps = Math.max(maxOps, r.ops);
    maxMs = Math.max(maxMs, r.ms);
    if (r.complete) {
      done++;
      perSweep.push(since);
      since = 0;
    }
    if (churn) {
      await seed(kv, next.i, churn, false);
      next.i += churn;
    }
  }
  return { maxOps, maxMs, perSweep: perSweep.at(-1) ?? NaN };
}
console.log("");
console.log("compaction (the Worker's scheduled handler, in Node, over an in-memory KV model)");
console.log("  entries     form      churn/run  ops/run (max; limit 1,000)  runs/sweep  ms/run (max)");
for (const size of SIZES) {
  for (const [form, legacy] of [["metadata", false], ["value", true]]) {
    if (legacy && size > 100_000) continue; // the transition's form: shown up to 100,000
    for (const churn of [0, 10_000]) {
      if (legacy && churn) continue;
      const kv = new KvModel();
      await seed(kv, 0, size, legacy);
      const r = await sweep(kv, churn, { i: size + 1e7 });
      console.log(`  ${size.toLocaleString("en").padStart(9)}   ${form.padEnd(8)}  ${churn.toLocaleString("en").padStart(9)}  ${String(r.maxOps).padStart(26)}  ${String(r.perSweep).padStart(10)}  ${f(r.maxMs, 0).padStart(12)}`);
    }
  }
}
