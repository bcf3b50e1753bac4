#!/usr/bin/env node
// Per-request cost of the gate's decision, measured from JS through the
// Wasm ABI exactly as the shim calls it (encode facts, mg_begin, decode the
// decision), next to the old Worker's WebCrypto HMAC verification of the
// same token, in the same run. Ratios, not absolute targets: see
// docs/PERFORMANCE.md.
//
//   node scripts/bench.mjs [--rounds N]      (scripts/bench.sh builds first)
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { webcrypto } from "node:crypto";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
// CONTRACT.md section 3, private vector; verified at e - 300 s.
const PATH = "/m/u/me_1/caf%C3%A9%20%F0%9F%98%80.jpg";
const TOKEN =
  "eyJlIjoxNzY3MjI2MjAwLCJrIjoidS9tZV8xL2NhZlx1MDBlOSBcdWQ4M2RcdWRlMDAuanBnIiwibSI6InByaXYifQ.dqyQa-PkJ2Wn8EavPak6uZQHF91QkLcqvsZSsOIYKuE";
const NOW = 1767226200 - 300;
const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 15;
const PER_ROUND = 20000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function loadCore(file) {
  const module = await WebAssembly.compile(readFileSync(file));
  const instance = await WebAssembly.instantiate(module, { env: { emscripten_notify_memory_growth() {} } });
  const x = instance.exports;
  x._initialize?.();
  const inPtr = Number(x.mg_in_ptr()), inCap = x.mg_in_cap(), outPtr = Number(x.mg_out_ptr());
  const call = (fn, text, ...args) => {
    const { written } = encoder.encodeInto(text, new Uint8Array(x.memory.buffer, inPtr, inCap));
    const n = fn(...args, written);
    return decoder.decode(new Uint8Array(x.memory.buffer, outPtr, n));
  };
  call(x.mg_set_secret, SECRET, 0);
  x.mg_set_secret(1, -1);
  const cfg = call(x.mg_configure, "MEDIA_BUCKET\t1\n");
  if (!cfg.startsWith("ok")) throw new Error(`configure: ${cfg}`);
  return { x, call };
}

// A hostile Range header: 3000 single-byte ranges, all apart (CONTRACT.md
// section 6: bounded work, a few microseconds at most).
const MANY_RANGES = "bytes=" + Array.from({ length: 3000 }, (_, i) => `${i * 3}-${i * 3}`).join(",");

// The shim's per-request work: build the facts, call mg_begin, split lines.
function shimDecision(core, range = "bytes=0-1") {
  const facts = `method\tGET\npath\t${PATH}\nquery\t?t=${TOKEN}\nnow\t${NOW}\nrange\t${range}\n`;
  const text = core.call(core.x.mg_begin, facts);
  const d = {};
  for (const line of text.split("\n")) {
    const tab = line.indexOf("\t");
    if (tab > 0) d[line.slice(0, tab)] ??= line.slice(tab + 1);
  }
  return d;
}

// The old Worker: importKey once per isolate, then subtle.verify per request.
async function webcryptoSetup() {
  const key = await webcrypto.subtle.importKey("raw", encoder.encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const [p, m] = TOKEN.split(".");
  return { key, p, m };
}
async function webcryptoVerify({ key, p, m }) {
  const payload = Buffer.from(p, "base64url");
  const mac = Buffer.from(m, "base64url");
  const ok = await webcrypto.subtle.verify("HMAC", key, mac, payload);
  const claims = JSON.parse(payload.toString("utf8"));
  return ok && claims.m === "priv" && claims.e >= NOW;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeRound(fn, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / n / 1000; // µs per call
}
function timeRoundSync(fn, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / n / 1000;
}

const wasi = await loadCore(path.join(ROOT, "worker-shim/mediagate.wasm"));
const emcc = await loadCore(path.join(ROOT, "build/emscripten/mediagate.opt.wasm"));
const wc = await webcryptoSetup();

for (const core of [wasi, emcc]) {
  const d = shimDecision(core);
  if (d.fetch === undefined || d.mode !== "priv") throw new Error(`unexpected decision: ${JSON.stringify(d)}`);
}
if (!(await webcryptoVerify(wc))) throw new Error("webcrypto baseline did not verify");

const results = { wasi: [], emscripten: [], wasiInside: [], wasiManyRanges: [], webcrypto: [] };
for (let r = 0; r < rounds; r++) {
  results.wasi.push(timeRoundSync(() => shimDecision(wasi), PER_ROUND));
  results.emscripten.push(timeRoundSync(() => shimDecision(emcc), PER_ROUND));
  results.wasiManyRanges.push(timeRoundSync(() => shimDecision(wasi, MANY_RANGES), PER_ROUND / 4));
  // The core alone, looping inside Wasm (mg_bench_verify), per decision.
  const facts = `method\tGET\npath\t${PATH}\nquery\t?t=${TOKEN}\nnow\t${NOW}\nrange\tbytes=0-1\n`;
  const { written } = encoder.encodeInto(facts, new Uint8Array(wasi.x.memory.buffer, Number(wasi.x.mg_in_ptr()), wasi.x.mg_in_cap()));
  const t0 = process.hrtime.bigint();
  wasi.x.mg_bench_verify(written, PER_ROUND);
  results.wasiInside.push(Number(process.hrtime.bigint() - t0) / PER_ROUND / 1000);
  results.webcrypto.push(await timeRound(() => webcryptoVerify(wc), PER_ROUND / 4));
}

const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
const fmt = (v) => v.toFixed(2).padStart(7);
console.log(`node ${process.version}, ${rounds} rounds x ${PER_ROUND} calls, median of round means (µs per request)`);
console.log(`  wasi build, through the shim's ABI      ${fmt(m.wasi)} µs`);
console.log(`  emscripten build, through the ABI       ${fmt(m.emscripten)} µs`);
console.log(`  wasi core alone (loop inside Wasm)      ${fmt(m.wasiInside)} µs`);
console.log(`  wasi, 3000-range header (17 KB)         ${fmt(m.wasiManyRanges)} µs`);
console.log(`  old Worker: crypto.subtle.verify        ${fmt(m.webcrypto)} µs   (baseline)`);
console.log(`  ratio wasi-through-ABI / webcrypto      ${(m.wasi / m.webcrypto).toFixed(3)}`);
console.log(`  ratio 3000-range / bytes=0-1 decision   ${(m.wasiManyRanges / m.wasi).toFixed(3)}`);
