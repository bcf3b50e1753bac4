// R2 operations per request kind, counted under Miniflare by wrapping the
// Worker's R2 binding (bench/r2count/). Used by scripts/bench.mjs (the
// table) and tests/bench/r2ops.test.js (which holds mediagate to
// docs/ARCHITECTURE.md's "Storage reads" table).
import { readFileSync } from "node:fs";
import path from "node:path";
import { Miniflare } from "miniflare";
import { ROOT, SECRET, mint, forge, quotePath, bytes } from "./common.mjs";
import { shimFiles } from "../../tests/lib/shim.mjs";

const ORIGIN = "http://media.test";

const WORKERS = {
  mediagate: {
    modules: [
      { type: "ESModule", path: "bench/r2count/mediagate.js" },
      { type: "ESModule", path: "bench/r2count/wrap.js" },
      ...shimFiles().map((f) => ({ type: "ESModule", path: f })),
      { type: "CompiledWasm", path: "worker-shim/mediagate.wasm" },
    ],
    bindings: {
      MEDIA_TOKEN_SECRET: SECRET,
      MEDIA_KEY_PREFIXES: "u/",
      MEDIA_CLOCK_SKEW_SECONDS: "60",
      MEDIA_MAX_TOKEN_TTL_SECONDS: "3600",
      MEDIA_CORP: "same-origin",
    },
  },
  baseline: {
    modules: [
      { type: "ESModule", path: "bench/r2count/baseline.js" },
      { type: "ESModule", path: "bench/r2count/wrap.js" },
      { type: "ESModule", path: "bench/baseline-worker/index.js" },
      { type: "ESModule", path: "bench/baseline-worker/old-worker.js" },
    ],
    bindings: { MEDIA_TOKEN_SECRET: SECRET },
  },
};

// Starts `which` ("mediagate" | "baseline") under Miniflare (with its
// Cache API, so an edge cache behaves as it would locally) and R2 seeded
// with every kind's object. Returns { mf, ops(kind) -> {status, ops} }.
export async function startCounted(which) {
  const w = WORKERS[which];
  const mf = new Miniflare({
    modulesRoot: ROOT,
    modules: w.modules.map((m) => ({ ...m, path: path.join(ROOT, m.path), contents: readFileSync(path.join(ROOT, m.path)) })),
    compatibilityDate: "2025-09-01",
    bindings: w.bindings,
    r2Buckets: ["MEDIA_BUCKET"],
    kvNamespaces: which === "mediagate" ? ["MEDIA_REVOCATIONS"] : [],
    cf: false,
    // The Workers' log lines are not what is counted here: drop them, so
    // that the bench's stdout stays its report.
    handleRuntimeStdio(stdout, stderr) {
      stdout.resume();
      stderr.resume();
    },
    handleStructuredLogs() {},
  });
  await mf.ready;
  const r2 = await mf.getR2Bucket("MEDIA_BUCKET");
  for (const k of r2Kinds()) {
    if (k.key && k.size !== undefined) await r2.put(k.key, bytes(k.size, 21), { httpMetadata: { contentType: "image/png" } });
  }
  const ops = async (k) => {
    const etag = k.key ? (await r2.head(k.key))?.httpEtag : undefined;
    const send = async () => {
      const res = await mf.dispatchFetch(ORIGIN + k.path, { method: k.method ?? "GET", headers: { "accept-encoding": "identity", ...(k.headers?.(etag) ?? {}) } });
      await res.arrayBuffer();
      return { status: res.status, ops: Number(res.headers.get("x-bench-r2-ops")) };
    };
    // A cached hit: the same request again, once the first has been answered.
    if (k.repeat) await send();
    // After a fill: the same request again once the background fill has
    // stored the object (waited for, up to 5 s; a fill that never lands
    // shows as R2 operations in the count).
    if (k.afterFill) {
      await send();
      const caches = await mf.getCaches();
      for (let i = 0; i < 200 && !(await caches.default.match(`${ORIGIN}/m/${quotePath(k.key)}`)); i++) await new Promise((r) => setTimeout(r, 25));
    }
    return send();
  };
  return { mf, ops };
}

// Request kinds with mediagate's documented count (docs/ARCHITECTURE.md,
// "Storage reads"). `status` is mediagate's answer. Each kind reads its own
// object, so that no kind is answered from an edge cache filled by another;
// only "cached hit" repeats a request on purpose.
export function r2Kinds() {
  const obj = (name, size = 1000) => {
    const key = `u/bench/r2/${name}.png`;
    const t = mint(key);
    return { key, size, path: `/m/${quotePath(key)}?t=${t}`, token: t };
  };
  const pub = obj("public");
  const priv = { key: "u/bench/r2/private.png", size: 1000 };
  priv.path = `/m/${quotePath(priv.key)}?t=${mint(priv.key, { mode: "priv" })}`;
  return [
    { kind: "public 200", ...pub, status: 200, want: 1 },
    { kind: "private 200", ...priv, status: 200, want: 1 },
    // A public Range miss: the range is read (1), and the whole object once
    // more in the background to fill the edge cache (1, started before the
    // answer returns); the same Range again, once the fill is stored: 0.
    { kind: "Range 206", ...obj("range"), headers: () => ({ range: "bytes=0-1" }), status: 206, want: 2 },
    { kind: "Range 206, private", ...priv, headers: () => ({ range: "bytes=0-1" }), status: 206, want: 1 },
    { kind: "Range 206 again, after the fill", ...obj("range-filled"), headers: () => ({ range: "bytes=500-599" }), afterFill: true, status: 206, want: 0 },
    { kind: "HEAD 200", ...obj("head"), method: "HEAD", status: 200, want: 1 },
    { kind: "If-None-Match 304", ...obj("inm"), headers: (etag) => ({ "if-none-match": etag }), status: 304, want: 1 },
    { kind: "If-Match 412", ...obj("im"), headers: () => ({ "if-match": '"other"' }), status: 412, want: 1 },
    { kind: "object missing 404", path: `/m/u/bench/r2/none.png?t=${mint("u/bench/r2/none.png")}`, status: 404, want: 1 },
    { kind: "Range past the end 416", ...obj("past"), headers: () => ({ range: "bytes=99999-" }), status: 416, want: 2 },
    { kind: "Range on an empty object 200", ...obj("empty", 0), headers: () => ({ range: "bytes=0-1" }), status: 200, want: 2 },
    { kind: "wrong MAC 401", path: `/m/${quotePath(pub.key)}?t=${forge(pub.token)}`, status: 401, want: 0 },
    { kind: "no token 401", path: `/m/${quotePath(pub.key)}`, status: 401, want: 0 },
    { kind: "prefix not allowed 404", path: `/m/x/a.png?t=${pub.token}`, status: 404, want: 0 },
    // The edge cache: the second identical public GET. 0 once the cache
    // serves it (LEAD: edge cache); 1 for a Worker without one.
    { kind: "cached hit (public 200, repeated)", ...obj("cached"), repeat: true, status: 200, want: 0 },
  ];
}
