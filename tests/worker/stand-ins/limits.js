// Test entry for tests/worker/revocation-limits.test.js: the Worker
// (worker-shim/index.js) unchanged, with production's limits and a test clock
// around it.
// - MEDIA_REVOCATIONS is wrapped in a counter per invocation (a fetch or a
//   scheduled run, its waitUntil work included): any invocation making more
//   than 1,000 KV operations fails (the runtime's limit on external
//   operations; a bulk get of up to 100 keys counts as one), and the most any
//   invocation made is reported. A bulk get of more than 100 keys, or a list
//   page of more than 1,000 keys, throws as production would.
// - The KV can be made to fail (every call rejects) or hang (never settles).
// - With TEST_KV_MODEL = "1", the KV behind the counter is an in-memory model
//   (kv-model.js) instead of Miniflare's: seeding 100,000 entries takes
//   seconds instead of minutes.
// - Date.now() runs ahead of real time by an offset the test sets: time
//   passes for the Worker without the test sleeping.
// Control (never reaches the Worker): POST /__test/clock?advance=SECONDS,
// /__test/kv?mode=ok|fail|hang, /__test/kv?hold=1|0 (snapshot reads wait
// until released), /__test/seed?from=I&n=N&legacy=K (the backend's writes
// for keys u/r/I.png.., every K-th without metadata, uncounted),
// /__test/snapshot (snapshot:v1's bytes, uncounted), GET /__test/stats.
import { AsyncLocalStorage } from "node:async_hooks";
import gate from "../../../worker-shim/index.js";
export { UploadState } from "../../../worker-shim/index.js"; // the Durable Object class (MEDIA_UPLOAD_STATE)
import { KvModel } from "./kv-model.js";

const LIMIT = 1000;
const realNow = Date.now.bind(Date);
let offset = 0;
Date.now = () => realNow() + offset;

const als = new AsyncLocalStorage();
const stats = { invocations: 0, maxOps: 0, maxOpsScheduled: 0, lastScheduledOps: 0, overLimit: 0, snapshotReads: 0, calls: 0 };
let mode = "ok";
let held = [];
let hold = false;

function count(n = 1) {
  stats.calls += n;
  const inv = als.getStore();
  if (!inv) return;
  inv.ops += n;
  if (inv.ops > stats.maxOps) stats.maxOps = inv.ops;
  if (inv.scheduled && inv.ops > stats.maxOpsScheduled) stats.maxOpsScheduled = inv.ops;
  if (inv.scheduled) stats.lastScheduledOps = inv.ops;
  if (inv.ops > LIMIT) {
    stats.overLimit++;
    throw new Error(`more than ${LIMIT} external operations in one invocation`);
  }
}

async function faults() {
  if (mode === "fail") throw new Error("simulated KV outage");
  if (mode === "hang") await new Promise(() => {});
}

function counted(kv) {
  return {
    async get(key, options) {
      count();
      if (Array.isArray(key) && key.length > 100) throw new Error("bulk get of more than 100 keys");
      if (key === "snapshot:v1") {
        stats.snapshotReads++;
        if (hold) await new Promise((resolve) => held.push(resolve));
      }
      await faults();
      return kv.get(key, options);
    },
    async getWithMetadata(key, options) {
      count();
      await faults();
      return kv.getWithMetadata(key, options);
    },
    async list(options = {}) {
      count();
      await faults();
      const page = await kv.list(options);
      if (page.keys.length > 1000) throw new Error("list page of more than 1,000 keys");
      return page;
    },
    async put(key, value, options) {
      count();
      await faults();
      return kv.put(key, value, options);
    },
    async delete(key) {
      count();
      await faults();
      return kv.delete(key);
    },
  };
}

// The KV behind the counter: Miniflare's, or the model.
const model = new KvModel();
const backing = (env) => (env.TEST_KV_MODEL === "1" ? model : env.MEDIA_REVOCATIONS);

// One wrapped env per env the runtime hands in, so the Worker configures once.
const envs = new WeakMap();
function wrap(env) {
  let w = envs.get(env);
  if (!w) {
    w = { ...env, MEDIA_REVOCATIONS: counted(backing(env)) };
    envs.set(env, w);
  }
  return w;
}

// The invocation's context, with its waitUntil work counted to it.
function invocation(ctx, scheduled) {
  stats.invocations++;
  const inv = { ops: 0, scheduled };
  const wrapped = { waitUntil: (p) => ctx.waitUntil(p), passThroughOnException: () => ctx.passThroughOnException?.() };
  return { inv, ctx: wrapped };
}

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
async function seed(kv, from, n, legacy) {
  const puts = [];
  for (let i = from; i < from + n; i++) {
    const name = "rev:" + hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`u/r/${i}.png`)));
    const scope = i % 3 === 0 ? "public" : "all";
    const value = JSON.stringify({ scope, at: 1767225600 });
    puts.push(legacy && i % legacy === 0 ? kv.put(name, value) : kv.put(name, value, { metadata: { scope } }));
    if (puts.length === 500) await Promise.all(puts.splice(0));
  }
  await Promise.all(puts);
}

async function control(url, env) {
  const q = url.searchParams;
  if (url.pathname === "/__test/seed") await seed(backing(env), Number(q.get("from")), Number(q.get("n")), Number(q.get("legacy") ?? 0));
  if (url.pathname === "/__test/snapshot") return new Response(await backing(env).get("snapshot:v1", { type: "arrayBuffer" }));
  if (url.pathname === "/__test/clock") offset += Number(q.get("advance")) * 1000;
  if (url.pathname === "/__test/kv") {
    if (q.has("mode")) mode = q.get("mode");
    if (q.has("hold")) {
      hold = q.get("hold") === "1";
      if (!hold) for (const release of held.splice(0)) release();
    }
  }
  return Response.json({ ...stats, now: Math.floor(Date.now() / 1000), held: held.length });
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/__test/")) return control(url, env);
    const { inv, ctx: c } = invocation(ctx, false);
    return als.run(inv, () => gate.fetch(request, wrap(env), c));
  },
  async scheduled(event, env, ctx) {
    const { inv, ctx: c } = invocation(ctx, true);
    return als.run(inv, () => gate.scheduled(event, wrap(env), c));
  },
};
