// Runs one decision row W + N times for callgrind (scripts/bench.mjs
// --callgrind): instructions per call are the difference between two runs
// with different N, divided by the difference in N, so Node's start-up,
// loading and the JIT's warm-up cancel out.
//
//   node bench/lib/ir-driver.mjs TARGET KIND WARMUP CALLS
//   TARGET: wasi | emscripten | baseline (the Worker's fetch, stand-ins as in
//           the bench) | inside (decide_begin looped inside the WASI module)
//           | abi (the binary ABI alone through worker-shim/core.js, synchronous:
//           decision.mjs abiDecision)
//           | wasm (mg_begin and mg_finish on input encoded once with core.js's
//           encodeInput and copied in per call: the Wasm side of the ABI,
//           protocol reading and writing included, no JS marshalling around it)
//   KIND:   public | private | range | denied (the edge cache stand-in misses)
//           | missing (the public key's URL without ?t=: a 401, as the direct
//           rows' missing token; the Worker targets only)
// MG_BENCH_SNAPSHOT=FILE: the revocation snapshot the KV stand-in holds.
import { StandInRequest } from "./shim.mjs";
import { readFileSync } from "node:fs";
import { decisionKinds, ENV, CTX, loadDecisionWorkers, instantiateCore, abiDecision, kindFacts, STORED_RESULT, useSnapshot } from "./decision.mjs";
import { encodeInput, decodeDecision } from "../../worker-shim/core.js";

const [target, kindName, warmupText, callsText] = process.argv.slice(2);
const warmup = Number(warmupText);
const calls = Number(callsText);
const kinds = decisionKinds();
const pub = kinds.find((x) => x.kind === "public");
kinds.push({ kind: "missing", url: pub.url.slice(0, pub.url.indexOf("?")), headers: {}, status: 401, cache: "miss" });
const k = kinds.find((x) => x.kind === kindName);
if (!k || !(calls >= 0)) throw new Error("usage: ir-driver.mjs TARGET KIND WARMUP CALLS");

if (process.env.MG_BENCH_SNAPSHOT) useSnapshot(readFileSync(process.env.MG_BENCH_SNAPSHOT));
const { wasiModule, workers } = await loadDecisionWorkers();
if (target === "inside" || target === "wasm") {
  const core = instantiateCore(wasiModule);
  const x = core.x;
  const facts = kindFacts(k);
  const begin = encodeInput(facts);
  // The input buffer, looked up per call as core.js does (memory may grow).
  const buf = () => new Uint8Array(x.memory.buffer, Number(x.mg_in_ptr()), core.inCap);
  if (target === "inside") {
    buf().set(begin);
    x.mg_bench_verify(begin.length, warmup);
    x.mg_bench_verify(begin.length, calls);
  } else {
    // The fetch decision mg_finish answers, and both inputs encoded once.
    const d = core.begin(facts);
    if (!d.fetch) throw new Error(`wasm ${kindName}: mg_begin did not ask for storage`);
    const finish = encodeInput(facts, d, STORED_RESULT);
    const run = () => {
      buf().set(begin);
      x.mg_begin(begin.length);
      buf().set(finish);
      x.mg_finish(finish.length);
    };
    // The pre-encoded answer is the one the row claims to time.
    buf().set(finish);
    const n = x.mg_finish(finish.length);
    const done = decodeDecision(new Uint8Array(x.memory.buffer, Number(x.mg_out_ptr()), n), core.headerTables());
    if (done.status !== k.status) throw new Error(`wasm ${kindName}: mg_finish answered ${done.status} ${done.reason}`);
    for (let i = 0; i < warmup; i++) run();
    for (let i = 0; i < calls; i++) run();
  }
} else if (target === "abi") {
  const run = abiDecision(instantiateCore(wasiModule), k, { revocations: true });
  if (run().status !== k.status) throw new Error(`abi ${kindName}: unexpected status`);
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
