// mediagate Worker shim: binds R2, KV and the Cache API to the Wasm core,
// moves bytes, holds no policy. Every status, header, byte span, cache and
// revocation decision is made by the core (wasm/src/decision.cc); this file
// only gathers facts, performs the I/O the core asks for, and hands the
// results back (through core.js: docs/ARCHITECTURE.md, "The Wasm ABI").
// Revocation and the edge cache: docs/REVOCATION.md.
import wasmModule from "./mediagate.wasm";
import { requestFacts, pathAndQuery, REVOCATION, OP } from "./core.js";
import { newIsolate, configure, nowSeconds } from "./isolate.js";
import { DEADLINE, perform, exactLength, discard } from "./storage.js";
import { fromCache, toCache, fillCache } from "./cache.js";
import { loadRevocations, loadInFlight, revocationFacts, reportStale, compactRevocations } from "./revocation.js";
import { observe, contentLength, recentDenialLines } from "./observe.js";
import { uploadBody, releaseBody, sniff, put, compared } from "./upload.js";
import { headerInit } from "./response.js";
import { tusRequest, TUS_OPS } from "./tus.js";
export { UploadState } from "./upload_state.js";

// The isolate's state: its core, configuration and revocation snapshot facts.
let iso = newIsolate(wasmModule);
// The core's own 503 answer, kept for the one case where the core cannot be
// asked: it trapped mid-request. Computed from the core, not written here.
const FALLBACK = iso.core.fallback();

// The core's answer as a Response: its status, its headers, its body.
function toResponse(d, obj) {
  let body = null;
  if (d.body === "object") body = obj.body;
  else {
    if (d.body === "text") body = d.text;
    discard(obj);
  }
  return new Response(body, { status: d.status, headers: headerInit(d.headers) });
}

// The core's 503, logged, when the core asked for more than it may.
function fallback(request, env, io) {
  observe(iso, FALLBACK, request, env, io, nowSeconds());
  return toResponse(FALLBACK, null);
}

// The request's clock and the isolate's revocation snapshot facts (none
// while the core is not configured).
function stateFacts(env) {
  const nowMs = Date.now();
  const now = Math.floor(nowMs / 1000);
  if (iso.problem) return { now, revocation: REVOCATION.disabled, revocationAge: 0 };
  const rev = revocationFacts(iso, env, nowMs);
  rev.now = now;
  return rev;
}

// What observe() reads of a request that performed no I/O.
const NO_IO = Object.freeze({ cache: "none", r2Ms: 0, kvMs: 0 });

// Up to the core's first decision, without an await. An answer that needs
// neither the snapshot nor storage (a denial, say) is sent from here, as
// the core decided it; every other continues in handleIo(). Returns the
// Response, or a promise of it.
function handle(request, env, ctx) {
  configure(iso, env);
  const [pathname, search] = pathAndQuery(request.url);
  const s = stateFacts(env);
  const facts = requestFacts(request.method, pathname, search, request.headers, s.now, Math.floor(Math.random() * 1e6), s.revocation, s.revocationAge, s.revocationFailures, s.revocationLoading, recentDenialLines(s.now));
  const d = iso.core.begin(facts);
  if (d.wait || d.fetch || d.body === "object") return handleIo(request, env, ctx, facts, d);
  if (d.refresh && env.MEDIA_REVOCATIONS) loadRevocations(iso, env.MEDIA_REVOCATIONS, ctx, d.deadline);
  observe(iso, d, request, env, NO_IO, facts.now);
  return toResponse(d, null);
}

// A resumable upload's request (docs/UPLOADS.md, "Resumable uploads"): the
// core's tus ops, performed in turn (worker-shim/tus.js), then its answer.
// A tus request takes at most six ops (PATCH: begin, sniff, patch,
// complete); more would be a core bug, answered as the core's 503.
async function handleTus(request, env, ctx, facts, d, io) {
  const tus = tusRequest(request, env, ctx, d.key);
  for (let rounds = 0; d.fetch; rounds++) {
    if (rounds === 6) {
      await tus.settle({ release: true });
      return fallback(request, env, io);
    }
    const started = Date.now();
    const storage = await tus.perform(d, facts);
    io.r2Ms += Date.now() - started;
    facts.logRecent = recentDenialLines(facts.now);
    d = iso.core.finish(facts, d, storage);
  }
  await tus.settle(d);
  observe(iso, d, request, env, io, facts.now);
  return toResponse(d, null);
}

// The rest of a request: the snapshot load the core waits for, the edge
// cache and storage operations it asks for, and its answer.
async function handleIo(request, env, ctx, facts, d) {
  const io = { cache: "none", r2Ms: 0, kvMs: 0 };
  const kv = env.MEDIA_REVOCATIONS;
  // The core asks for a fresh snapshot before it decides (the isolate's
  // first request, or a snapshot past the hard age): load it, or wait for
  // the load in flight, then ask again. It asks at most twice (the second
  // time only after a load in flight was given up on); a third ask keeps
  // the 503 it holds.
  let loaded = false;
  for (let asks = 0; d.wait && asks < 2; asks++) {
    const started = Date.now();
    if (iso.rev.loadingSince) await loadInFlight(iso, d.deadline);
    else {
      await loadRevocations(iso, kv, ctx, d.deadline);
      loaded = true;
    }
    io.kvMs += Date.now() - started;
    Object.assign(facts, stateFacts(env));
    d = iso.core.begin(facts);
  }
  if (d.stale && loaded) reportStale(iso, env, "request");
  if (d.refresh && kv) loadRevocations(iso, kv, ctx, d.deadline);
  if (d.fetch && TUS_OPS.has(OP[d.plan.op])) return handleTus(request, env, ctx, facts, d, io);
  let obj = null;
  // The core asks for at most two storage operations (decision.h), and for an
  // edge cache lookup before each when the object is public; more would be a
  // core bug, answered as the core's 503 without performing it.
  let storageOps = 0;
  // An upload's body (docs/UPLOADS.md): read by the core's sniff, then streamed by its put.
  let upload = null;
  let bodyMd5 = "";
  for (let rounds = 0; d.fetch; rounds++) {
    discard(obj);
    obj = null;
    if (rounds === 4) return fallback(request, env, io);
    let done = d.cache !== null ? await fromCache(d, request.url) : null;
    if (done === DEADLINE) {
      done = null;
      facts.cacheTimedOut = true;
    }
    if (d.cache !== null) io.cache = done ? "hit" : facts.cacheTimedOut ? "timeout" : "miss";
    if (!done && OP[d.plan.op] === "sniff") {
      upload = upload ?? uploadBody(request);
      done = { object: null, storage: await sniff(upload, d) };
    }
    if (!done) {
      if (storageOps === 2) return fallback(request, env, io);
      storageOps++;
      const started = Date.now();
      if (OP[d.plan.op] === "put" && upload) {
        const storage = await put(env.MEDIA_BUCKET, upload, d);
        bodyMd5 = storage.bodyMd5 ?? "";
        done = { object: null, storage };
      } else {
        done = await perform(env.MEDIA_BUCKET, d);
        if (upload && done.object) done.storage = compared(done.object, bodyMd5);
      }
      io.r2Ms += Date.now() - started;
    }
    obj = done.object;
    // Other requests may have written denial lines while this one waited.
    facts.logRecent = recentDenialLines(facts.now);
    d = iso.core.finish(facts, d, done.storage);
  }
  releaseBody(upload);
  if (d.body === "object") {
    const length = contentLength(d);
    // Storage said ok but handed over no bytes: the core's 503, not an empty 200.
    if (!obj || !obj.body || !(length > 0)) {
      discard(obj);
      obj = null;
      d = FALLBACK;
    } else {
      if (d.store !== null) obj = toCache(d, obj, request.url, ctx);
      if (d.fill !== null) fillCache(d, env.MEDIA_BUCKET, request.url, ctx);
      obj = { body: exactLength(obj.body, length) };
    }
  }
  observe(iso, d, request, env, io, facts.now);
  return toResponse(d, obj);
}

// A request that threw (a trap leaves the instance unusable): the core's
// 503, and a fresh instance for the next request.
function failed(err) {
  console.error(JSON.stringify({ event: "media.worker.error", reason: "storage_unavailable", error: String(err && err.name) }));
  try {
    iso = newIsolate(wasmModule);
  } catch {}
  return toResponse(FALLBACK, null);
}

export default {
  // A Response, or a promise of one (the runtime takes either).
  fetch(request, env, ctx) {
    try {
      const out = handle(request, env, ctx);
      return out instanceof Promise ? out.catch(failed) : out;
    } catch (err) {
      return failed(err);
    }
  },

  // Cron Trigger (wrangler.toml [triggers]): compacts the revocation list.
  async scheduled(event, env, ctx) {
    ctx.waitUntil(
      (async () => {
        try {
          configure(iso, env);
          const result = await compactRevocations(iso, env, nowSeconds());
          console.log(JSON.stringify({ event: "media.worker.revocations_compacted", ...result }));
        } catch (err) {
          console.error(JSON.stringify({ event: "media.worker.error", reason: "revocations_compaction_failed", error: String(err && err.message) }));
        }
        // The newest snapshot this run knows is older than the hard age:
        // compaction is failing or not keeping up; closed mode refuses.
        if (env.MEDIA_REVOCATIONS && !iso.problem && iso.core.snapshotStale(nowSeconds())) reportStale(iso, env, "compaction");
      })(),
    );
  },
};
