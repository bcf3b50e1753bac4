#!/usr/bin/env node
// Revocation at scale (docs/REVOCATION.md, docs/PERFORMANCE.md): a snapshot
// of N revoked keys (default 1,000,000) built through the Wasm exactly as the
// scheduled handler builds it, then: bytes per key, time to load it into a
// fresh Wasm instance, the lookup's cost per request (the decision with the
// snapshot loaded minus the same decision without revocation, same run), and
// the instance's linear memory.
//
//   node scripts/bench-revocation.mjs [--keys N]
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { SECRET, mint } from "../tests/lib/token.mjs";
import { createCore, requestFacts, encodeInput, REVOCATION } from "../worker-shim/core.js";

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
