#!/usr/bin/env node
// Differential test, native vs Wasm byte for byte (docs/TESTING.md; the harness is
// tests/lib/differential.mjs).
//
//   node scripts/differential.mjs [--count N] [--seed S] [--native PATH] [--quiet]
import path from "node:path";
import { runDifferential, BUILDS, NATIVE, ROOT } from "../tests/lib/differential.mjs";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const count = Number(opt("--count", 100000));
const seed = Number(opt("--seed", 1));
const native = opt("--native", NATIVE);
const quiet = args.includes("--quiet");
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) {
  console.error("usage: node scripts/differential.mjs [--count N] [--seed S] [--native PATH] [--quiet]");
  process.exit(2);
}
const t0 = process.hrtime.bigint();
const stats = await runDifferential({ count, seed, native, log: quiet ? () => {} : (m) => console.log(m) });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`builds: ${Object.keys(BUILDS).join(", ")}, native (${path.relative(ROOT, native)})`);
console.log(`seed ${seed}: ${stats.requests} requests, ${stats.finishes} finish calls, ${stats.calls} calls in ${seconds.toFixed(1)} s`);
console.log(`garbled inputs: ${stats.garbled} (begin and finish inputs made wrong after encoding)`);
console.log(`final answers: ${JSON.stringify(stats.statuses)}`);
console.log(`final answers to PUT: ${JSON.stringify(stats.uploads)}`);
console.log(`final answers to tus requests: ${JSON.stringify(stats.tus)}`);
if (stats.mismatches) {
  console.log(`DIFFERENT: ${stats.mismatches} calls; the first:`);
  console.log(JSON.stringify(stats.first, null, 2));
  process.exit(1);
}
console.log(`identical: every output byte-identical across ${Object.keys(BUILDS).length} Wasm builds and native`);
