#!/usr/bin/env node
// Where a tus upload's time goes (docs/PERFORMANCE.md, "Resumable uploads
// (tus)"): mediagate's bundle on workerd behind the counting entry
// (bench/lib/direct.mjs), one file through tus-js-client at a time, and per
// upload the client's time, the PATCHes' time, the time R2's uploadPart
// calls took (summed, and how many were in flight at once at most), and the
// Durable Object calls'. A diagnostic, not a benchmark: no floor, no ratios.
//
//   node bench/tus-timeline.mjs [options]
//   --mib M          the file, MiB (default 64)
//   --chunk BYTES    tus-js-client's chunkSize (default: its default, one PATCH)
//   --uploads N      uploads per Worker (default 3; the Workers alternate)
//   --part-delay MS  each uploadPart answers MS later (R2 at a distance; default 0)
//   --compare DIR    also another checkout's mediagate (its wrangler.toml and
//                    worker-shim/, .wasm built), as "mediagate-before"
//   --timeline       also print every call of each Worker's last upload
import path from "node:path";
import { startDirect, addDirectWorker, countingInstance } from "./lib/direct.mjs";
import { tusKinds, sendUpload } from "./lib/uploads.mjs";

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const MIB = Number(opt("--mib", 64));
const CHUNK = opt("--chunk", null);
const UPLOADS = Number(opt("--uploads", 3));
const DELAY = Number(opt("--part-delay", 0));
const COMPARE = opt("--compare", null);
const log = (s) => console.error(`tus-timeline: ${s}`);

const base = tusKinds(MIB * (1 << 20)).find((k) => k.kind === "tus_default");
const kind = CHUNK ? { ...base, tus: { chunkSize: Number(CHUNK) } } : base;

// Time covered by the union of `spans` ([start, end]) and the most that overlap.
function cover(spans) {
  const edges = spans.flatMap(([s, e]) => [[s, 1], [e, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let depth = 0;
  let most = 0;
  let busy = 0;
  let from = 0;
  for (const [t, d] of edges) {
    if (depth > 0) busy += t - from;
    depth += d;
    most = Math.max(most, depth);
    from = t;
  }
  return { busy, most };
}

function summary(calls) {
  const of = (kind, name) => calls.filter((c) => c[0] === kind && (name === undefined || c[1] === name)).map((c) => [c[2], c[3]]);
  const sum = (spans) => spans.reduce((s, [a, b]) => s + (b - a), 0);
  const parts = of("r2", "uploadPart");
  const patch = sum(of("request", "PATCH"));
  const { busy, most } = cover(parts);
  return {
    patch_ms: patch,
    upload_part_ms: sum(parts),
    r2_busy_ms: busy,
    parts_in_flight_max: most,
    do_ms: sum(of("do")),
    do_calls: of("do").length,
  };
}

if (COMPARE) addDirectWorker("mediagate-before", path.resolve(COMPARE));
const names = ["mediagate", ...(COMPARE ? ["mediagate-before"] : [])];
const { workers, stop } = await startDirect({ log, want: (w) => names.includes(w.name) });
const instances = [];
try {
  for (const w of workers) {
    const c = await countingInstance(w, { BENCH_PART_DELAY_MS: String(DELAY) });
    instances.push({ ...c, spec: w.spec });
  }
  const last = {};
  console.log(`${MIB} MiB MP4 through tus-js-client (${CHUNK ? `chunkSize ${CHUNK}` : "default options: one PATCH"}), uploadPart delayed by ${DELAY} ms; ms per upload`);
  console.log("| Worker | upload | client ms | PATCH ms | uploadPart ms (summed) | R2 busy ms (any part in flight) | parts in flight at most | DO calls | DO ms |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (let i = 0; i < UPLOADS; i++) {
    for (const w of i % 2 ? [...instances].reverse() : instances) {
      const r = await sendUpload(w.origin, w, kind);
      if (r.status !== kind.status) throw new Error(`${w.name}: status ${r.status}: ${r.text}`);
      const calls = await (await fetch(`${w.origin}/__timeline`)).json();
      last[w.name] = calls;
      const s = summary(calls);
      console.log(`| ${w.name} | ${i + 1} | ${r.ms.toFixed(0)} | ${s.patch_ms.toFixed(0)} | ${s.upload_part_ms.toFixed(0)} | ${s.r2_busy_ms.toFixed(0)} | ${s.parts_in_flight_max} | ${s.do_calls} | ${s.do_ms.toFixed(0)} |`);
    }
  }
  if (argv.includes("--timeline")) {
    for (const [name, calls] of Object.entries(last)) {
      const t0 = Math.min(...calls.map((c) => c[2]));
      console.log(`\n${name}, the last upload: start / end ms, call`);
      for (const [k, n, s, e] of calls.sort((a, b) => a[2] - b[2])) console.log(`${(s - t0).toFixed(0).padStart(6)} ${(e - t0).toFixed(0).padStart(6)}  ${k}.${n}`);
    }
  }
} finally {
  for (const c of instances) await c.mf.dispose().catch(() => {});
  await stop();
}
