// Runs one decision row W + N times for callgrind (scripts/bench.mjs
// --callgrind): instructions per call are the difference between two runs
// with different N, divided by the difference in N, so Node's start-up,
// loading and the JIT's warm-up cancel out.
//
//   node bench/lib/ir-driver.mjs TARGET KIND WARMUP CALLS
//   TARGET: wasi | emscripten | baseline (the Worker's fetch, stand-ins as in
//           the bench) | inside (decide_begin looped inside the WASI module)
//           | abi (the text protocol alone, synchronous: decision.mjs abiDecision)
//           | wasm (mg_begin and mg_finish on input encoded once: the Wasm side
//           of the ABI, protocol parsing and writing included, no JS around it)
//   KIND:   public | private | range | denied (the edge cache stand-in misses)
// MG_BENCH_SNAPSHOT=FILE: the revocation snapshot the KV stand-in holds.
import { StandInRequest } from "./shim.mjs";
import { readFileSync } from "node:fs";
import { decisionKinds, ENV, CTX, loadDecisionWorkers, instantiateCore, abiDecision, useSnapshot } from "./decision.mjs";

const [target, kindName, warmupText, callsText] = process.argv.slice(2);
const warmup = Number(warmupText);
const calls = Number(callsText);
const k = decisionKinds().find((x) => x.kind === kindName);
if (!k || !(calls >= 0)) throw new Error("usage: ir-driver.mjs TARGET KIND WARMUP CALLS");

if (process.env.MG_BENCH_SNAPSHOT) useSnapshot(readFileSync(process.env.MG_BENCH_SNAPSHOT));
const { wasiModule, workers } = await loadDecisionWorkers();
if (target === "inside") {
  const { x } = instantiateCore(wasiModule);
  const u = new URL(k.url);
  const facts = `method\tGET\npath\t${u.pathname}\nquery\t${u.search}\nnow\t${Math.floor(Date.now() / 1000)}\n`;
  const { written } = new TextEncoder().encodeInto(facts, new Uint8Array(x.memory.buffer, Number(x.mg_in_ptr()), x.mg_in_cap()));
  x.mg_bench_verify(written, warmup);
  x.mg_bench_verify(written, calls);
} else if (target === "wasm") {
  const core = instantiateCore(wasiModule);
  const x = core.x;
  const u = new URL(k.url);
  const facts = `method\tGET\npath\t${u.pathname}\nquery\t${u.search}\nnow\t${Math.floor(Date.now() / 1000)}\n`;
  const d = Object.fromEntries(core.call(x.mg_begin, facts).split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("\t")), l.slice(l.indexOf("\t") + 1)]));
  const fin = `${facts}mode\t${d.mode}\nfetch\t${d.fetch}\nresult\tok\nsize\t1000\netag\t"45cf2832f7b64d929ddb72900502e024"\nuploaded\t1445412480\ntype\timage/png\n`;
  // Both inputs encoded once, in two places of the input buffer's tail
  // copied in before each call (a memcpy, no UTF-8 encoding).
  const enc = new TextEncoder();
  const a = enc.encode(facts), b = enc.encode(fin);
  const buf = () => new Uint8Array(x.memory.buffer, Number(x.mg_in_ptr()), x.mg_in_cap());
  const run = () => {
    buf().set(a);
    x.mg_begin(a.length);
    buf().set(b);
    x.mg_finish(b.length);
  };
  for (let i = 0; i < warmup; i++) run();
  for (let i = 0; i < calls; i++) run();
} else if (target === "abi") {
  const run = abiDecision(instantiateCore(wasiModule), k);
  if (Number(run().status) !== k.status) throw new Error(`abi ${kindName}: unexpected status`);
  for (let i = 0; i < warmup; i++) run();
  for (let i = 0; i < calls; i++) run();
} else {
  const w = workers[target];
  if (!w) throw new Error(`unknown target ${target}`);
  const request = new StandInRequest(k.url, { headers: k.headers });
  const res = await w.fetch(request, ENV, CTX);
  if (res.status !== k.status) throw new Error(`${target} ${kindName}: status ${res.status}`);
  for (let i = 0; i < warmup; i++) await w.fetch(request, ENV, CTX);
  for (let i = 0; i < calls; i++) await w.fetch(request, ENV, CTX);
}
