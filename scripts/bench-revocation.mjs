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
import { createHash, createHmac } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg("--keys", 1_000_000);
const SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const module = await WebAssembly.compile(readFileSync(path.join(ROOT, "worker-shim/mediagate.wasm")));

async function core() {
  const instance = await WebAssembly.instantiate(module, { env: { emscripten_notify_memory_growth() {} } });
  const x = instance.exports;
  x._initialize?.();
  const inPtr = Number(x.mg_in_ptr()), inCap = x.mg_in_cap(), outPtr = Number(x.mg_out_ptr());
  const write = (text) => encoder.encodeInto(text, new Uint8Array(x.memory.buffer, inPtr, inCap)).written;
  const call = (fn, text, ...args) => decoder.decode(new Uint8Array(x.memory.buffer, outPtr, fn(...args, write(text))));
  call(x.mg_set_secret, SECRET, 0);
  x.mg_set_secret(1, -1);
  call(x.mg_configure, "MEDIA_BUCKET\t1\n");
  return { x, write, call };
}

const keyOf = (i) => `u/me_${i}/${createHash("md5").update(String(i)).digest("hex")}.jpg`;
const b64 = (b) => Buffer.from(b).toString("base64url");
const token = (key) => {
  const p = Buffer.from(`{"k":"${key}","m":"pub"}`);
  return `${b64(p)}.${b64(createHmac("sha256", SECRET).update(p).digest())}`;
};

// 1. Build, as the scheduled handler does: KV names and values fed in batches.
const builder = await core();
builder.x.mg_snapshot_build_reset();
let t0 = process.hrtime.bigint();
let batch = "";
for (let i = 0; i < N; i++) {
  const name = "rev:" + createHash("sha256").update(keyOf(i)).digest("hex");
  batch += `${name}\t{"scope":"${i % 4 === 0 ? "public" : "all"}","at":1767225600}\n`;
  if (batch.length > 20000) {
    builder.x.mg_snapshot_build_add(builder.write(batch));
    batch = "";
  }
}
builder.x.mg_snapshot_build_add(builder.write(batch));
const feedMs = Number(process.hrtime.bigint() - t0) / 1e6;
t0 = process.hrtime.bigint();
const len = builder.x.mg_snapshot_build_finish(1767225600);
const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
const snapshot = new Uint8Array(builder.x.memory.buffer, Number(builder.x.mg_snapshot_build_ptr()), len).slice();

// 2. Load into fresh instances (copy + validate + install), median of 5.
const loads = [];
let gate, memBefore, memAfter;
for (let r = 0; r < 5; r++) {
  gate = await core();
  memBefore = gate.x.memory.buffer.byteLength;
  const s = process.hrtime.bigint();
  const ptr = Number(gate.x.mg_snapshot_alloc(snapshot.length));
  new Uint8Array(gate.x.memory.buffer, ptr, snapshot.length).set(snapshot);
  const count = gate.x.mg_snapshot_install();
  loads.push(Number(process.hrtime.bigint() - s) / 1e6);
  if (count !== N) throw new Error(`installed ${count} of ${N}`);
  memAfter = gate.x.memory.buffer.byteLength;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 3. Lookup cost: the whole begin decision, looped inside Wasm, with the
// snapshot loaded vs revocation disabled (same instance, same request).
const per = (facts, iters) => {
  const n = gate.write(facts);
  const s = process.hrtime.bigint();
  gate.x.mg_bench_verify(n, iters);
  return Number(process.hrtime.bigint() - s) / iters / 1000;
};
const facts = (key, rev) =>
  `method\tGET\npath\t/m/${key}\nquery\t?t=${token(key)}\nnow\t1767225600\n` + (rev ? "revocations\tloaded\nrevocations_age\t0\n" : "");
const revokedKey = keyOf(1), freeKey = "u/me_x/not-revoked.jpg";
if (!gate.call(gate.x.mg_begin, facts(revokedKey, true)).startsWith("status\t410")) throw new Error("revoked key not refused");
if (!gate.call(gate.x.mg_begin, facts(freeKey, true)).startsWith("fetch")) throw new Error("free key refused");
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
