// mediagate Worker shim: binds R2, KV and the Cache API to the Wasm core,
// moves bytes, holds no policy. Every status, header, byte span, cache and
// revocation decision is made by the core (wasm/src/decision.cc); this file
// only gathers facts, performs the I/O the core asks for, and hands the
// results back (through core.js: docs/ARCHITECTURE.md, "The Wasm ABI").
// Revocation and the edge cache: docs/REVOCATION.md.
import wasmModule from "./mediagate.wasm";
import { createCore, requestFacts, pathAndQuery, REVOCATION, RESULT } from "./core.js";
import { storageRequest, rangeHeader, DEADLINE, beforeDeadline, perform, exactLength, discard } from "./storage.js";

// [vars] handed to the core; it validates them and applies the defaults.
const VARS = [
  "MEDIA_KEY_PREFIXES",
  "MEDIA_CLOCK_SKEW_SECONDS",
  "MEDIA_MAX_TOKEN_TTL_SECONDS",
  "MEDIA_CORP",
  "MEDIA_REVOCATION_MODE",
  "MEDIA_REVOCATION_MAX_STALENESS_SECONDS",
  "MEDIA_REVOCATION_REFRESH_SECONDS",
  "MEDIA_EDGE_CACHE",
  "MEDIA_LOG_SAMPLE_RATE",
  "MEDIA_DEBUG_HEADERS",
  "MEDIA_STORAGE_TIMEOUT_MS",
];
// The KV key the scheduled handler writes the compacted snapshot to. (Not
// exported: a Worker module's named exports are entrypoints.)
const SNAPSHOT_KEY = "snapshot:v1";
const CACHE_OBJECT_HEADER = "x-mediagate-object";

const nowSeconds = () => Math.floor(Date.now() / 1000);

// One core per isolate, with the isolate's revocation snapshot state:
// never | loaded | unavailable (docs/REVOCATION.md).
function instantiate(module) {
  const core = createCore(module);
  return Object.assign(core, { env: null, problem: "", fingerprints: { fingerprint: null, fingerprint_previous: null }, rev: { state: "never", loadedAt: 0, attemptAt: 0, loading: null, count: 0 }, noRevocationLogged: false });
}

let core = instantiate(wasmModule);
// The core's own 503 answer, kept for the one case where the core cannot be
// asked: it trapped mid-request. Computed from the core, not written here.
const FALLBACK = core.fallback();

function configure(env) {
  if (core.env === env) return;
  const secrets = [env.MEDIA_TOKEN_SECRET, env.MEDIA_TOKEN_SECRET_PREVIOUS];
  secrets.forEach((s, i) => core.setSecret(i, s));
  let text = `MEDIA_BUCKET\t${env.MEDIA_BUCKET && typeof env.MEDIA_BUCKET.get === "function" ? 1 : 0}\n`;
  for (const name of VARS) if (typeof env[name] === "string") text += `${name}\t${oneLine(env[name])}\n`;
  const out = core.configure(text);
  core.env = env;
  core.problem = out.problem;
  // Once per isolate, and on every line the core marks (a bad signature):
  // which secrets are configured, as fingerprints an operator compares with
  // `mediagate fingerprint` (docs/RUNBOOK.md).
  core.fingerprints = { fingerprint: out.fingerprint ?? null, fingerprint_previous: out.fingerprint_previous ?? null };
  console.log(JSON.stringify({ event: "media.worker.config", ...core.fingerprints }));
  // docs/CONTRACT.md section 1: log which setting is missing, never its value.
  if (core.problem) console.error(JSON.stringify({ event: "media.worker.error", reason: "not_configured", setting: core.problem }));
}

// Config and builder lines are name<TAB>value, one per line: values must be single lines.
function oneLine(v) {
  return String(v).replace(/[\r\n]/g, " ");
}

// --- Revocation snapshot ----------------------------------------------------

// Copies snapshot bytes into the core and installs them; false if invalid.
function installSnapshot(bytes) {
  const count = core.installSnapshot(bytes);
  if (count < 0) return false;
  core.rev.count = count;
  return true;
}

// Loads the snapshot from KV; concurrent callers share one read. Never throws.
function loadRevocations(kv) {
  const rev = core.rev;
  if (rev.loading) return rev.loading;
  rev.loading = (async () => {
    try {
      const started = Date.now();
      const buf = await kv.get(SNAPSHOT_KEY, { type: "arrayBuffer" });
      rev.kvMs = Date.now() - started;
      // No snapshot yet: the scheduled handler has not run; nothing is revoked.
      if (buf === null) core.rev.count = core.clearSnapshot();
      else if (!installSnapshot(new Uint8Array(buf))) throw new Error("invalid snapshot");
      rev.state = "loaded";
      rev.loadedAt = nowSeconds();
    } catch (err) {
      rev.attemptAt = nowSeconds();
      if (rev.state !== "loaded") rev.state = "unavailable";
      console.error(JSON.stringify({ event: "media.worker.error", reason: "revocations_unavailable", error: String(err && err.message) }));
    } finally {
      rev.loading = null;
    }
  })();
  return rev.loading;
}

// The revocation facts for this request: [state, age in seconds]. The
// snapshot is loaded on the isolate's first request (awaited by the caller).
function revocationFacts(env) {
  const kv = env.MEDIA_REVOCATIONS;
  if (!kv || typeof kv.get !== "function") {
    if (!core.noRevocationLogged) {
      core.noRevocationLogged = true;
      console.error(JSON.stringify({ event: "media.worker.error", reason: "revocation_disabled", setting: "MEDIA_REVOCATIONS" }));
    }
    return [REVOCATION.disabled, 0];
  }
  const rev = core.rev;
  const age = nowSeconds() - (rev.state === "loaded" ? rev.loadedAt : rev.attemptAt);
  return [rev.state === "loaded" ? REVOCATION.loaded : REVOCATION.unavailable, age];
}

// The scheduled handler's work: compact every rev:<sha256> entry into one
// snapshot value (docs/REVOCATION.md), write it to KV, install it here.
async function compactRevocations(env) {
  const kv = env.MEDIA_REVOCATIONS;
  if (!kv) return { entries: 0, skipped: "no MEDIA_REVOCATIONS binding" };
  core.buildReset();
  let entries = 0;
  let cursor;
  do {
    const page = await kv.list({ prefix: "rev:", cursor });
    const values = await Promise.all(page.keys.map((k) => kv.get(k.name)));
    // Feed the core in pieces that fit its input buffer.
    let batch = "";
    const flush = () => {
      if (batch && core.buildAdd(batch) < 0) throw new Error("out of memory");
      batch = "";
    };
    page.keys.forEach((k, i) => {
      if (values[i] === null) return; // deleted since the listing: not revoked
      const line = `${k.name}\t${oneLine(values[i])}\n`;
      if ((batch.length + line.length) * 3 > core.inCap) flush();
      batch += line;
      entries++;
    });
    flush();
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  const bytes = core.buildFinish(nowSeconds());
  if (!bytes) throw new Error("snapshot could not be built");
  await kv.put(SNAPSHOT_KEY, bytes);
  if (installSnapshot(bytes)) {
    core.rev.state = "loaded";
    core.rev.loadedAt = nowSeconds();
  }
  return { entries, bytes: bytes.length };
}

// --- Storage and the edge cache -------------------------------------------

// The edge cache's answer to a fetch decision the core allowed it to
// answer, or null for a miss (a cache failure is a miss, never an error),
// or DEADLINE: a lookup still pending at the core's cache deadline (a miss
// the core is told of).
async function fromCache(d, requestUrl) {
  try {
    const { op, options } = storageRequest(d.plan);
    const range = rangeHeader(options.range);
    const headers = range ? { range } : {};
    const url = new URL(d.cache, requestUrl);
    const hit = await beforeDeadline(caches.default.match(new Request(url, { headers })), d.cacheDeadline);
    if (!hit) return null;
    // The entry's metadata, and its own length (the /N of a 206's
    // content-range), which the core checks against the metadata's size.
    const entry = (result, res, total) => ({ result, source: "cache", cached: res.headers.get(CACHE_OBJECT_HEADER), cachedSize: total ?? "" });
    // The cache holds an entry but refuses the range, as R2 would. The refusal
    // carries none of the entry's headers: read them from the entry itself,
    // so that the core can tell the object from a broken entry.
    if (hit.status === 416) {
      discard(hit);
      const whole = await beforeDeadline(caches.default.match(new Request(url)), d.cacheDeadline);
      discard(whole);
      if (!whole || whole.status !== 200 || !whole.headers.has(CACHE_OBJECT_HEADER)) return null;
      return { object: null, storage: entry(RESULT.invalid_range, whole, whole.headers.get("content-length")) };
    }
    // The bytes must be exactly what the plan asked for, or it is a miss.
    const usable = hit.headers.has(CACHE_OBJECT_HEADER) && hit.status === (headers.range ? 206 : 200);
    if (!usable || op === "head") discard(hit);
    if (!usable) return null;
    const total = hit.status === 200 ? hit.headers.get("content-length") : (hit.headers.get("content-range") ?? "").split("/")[1];
    const body = op === "get" ? hit.body : null;
    return { object: body ? { body } : null, storage: entry(RESULT.ok, hit, total) };
  } catch (err) {
    return err === DEADLINE ? DEADLINE : null;
  }
}

// Stores the whole object under the core's canonical key; tees the body.
// The stored copy is held to its length too: bytes that do not match fail
// the put (a tee of a checked stream alone does not: the cache kept the
// bytes it got). A cache that fails, even synchronously, costs the entry,
// never the answer.
function toCache(d, obj, requestUrl, ctx) {
  const { path, length, meta } = d.store;
  const [mine, theirs] = obj.body.tee();
  try {
    const stored = new Response(exactLength(theirs, length), {
      headers: { "content-length": String(length), "cache-control": "public, max-age=31536000, immutable", [CACHE_OBJECT_HEADER]: meta },
    });
    ctx.waitUntil(caches.default.put(new Request(new URL(path, requestUrl)), stored).catch(() => {}));
  } catch {
    theirs.cancel().catch(() => {});
  }
  return { body: mine };
}

function toResponse(d, obj) {
  const headers = new Headers();
  for (const [name, value] of d.headers) headers.append(name, value);
  let body = null;
  if (d.body === "object") body = obj.body;
  else if (d.body === "text") body = d.text;
  if (d.body !== "object") discard(obj);
  return new Response(body, { status: d.status, headers });
}

// One JSON log line (when the core says so) and one metric data point per
// request (docs/CONTRACT.md section 8, docs/OBSERVABILITY.md). The key may be
// logged; the token, the query string and the URL never are.
function observe(d, request, env, io) {
  const bytes = d.body === "none" ? 0 : contentLength(d);
  const colo = request.cf?.colo ?? null;
  if (d.log !== null) {
    console.log(
      JSON.stringify({
        ts: Date.now(),
        event: d.event,
        reason: d.reason,
        status: d.status,
        method: request.method,
        mode: d.mode,
        key: d.key || null,
        span: d.span,
        bytes,
        cache: io.cache,
        r2_ms: io.r2Ms,
        kv_ms: io.kvMs,
        request_id: d.requestId,
        ...(d.fingerprints ? core.fingerprints : {}),
        colo,
        // The core's linear memory, bytes: flat in a healthy isolate (it
        // grows only to hold a larger revocation snapshot; scripts/soak.mjs).
        wasm_memory: core.memoryBytes(),
        // Successes are sampled: weight this line by 1 / sample_rate.
        sample_rate: d.log / 1e6,
      }),
    );
  }
  const metrics = env.MEDIA_METRICS;
  if (metrics && typeof metrics.writeDataPoint === "function") {
    try {
      metrics.writeDataPoint({
        indexes: [d.reason || "unknown"],
        blobs: [d.event, d.reason, d.mode, io.cache, colo ?? "", request.method],
        doubles: [d.status, bytes, io.r2Ms, io.kvMs],
      });
    } catch {}
  }
}

// The content-length header the core decided, as a number (0 when none).
function contentLength(d) {
  for (const [name, value] of d.headers) if (name === "content-length") return Number(value);
  return 0;
}

// The core's 503, logged, when the core asked for more than it may.
function fallback(request, env, io) {
  observe(FALLBACK, request, env, io);
  return toResponse(FALLBACK, null);
}

async function handle(request, env, ctx) {
  configure(env);
  const [pathname, search] = pathAndQuery(request.url);
  const io = { cache: "none", r2Ms: 0, kvMs: 0 };
  let revocation = [REVOCATION.disabled, 0];
  if (!core.problem) {
    // The isolate's first request waits for the snapshot; later ones do not wait.
    if (core.rev.state === "never" && env.MEDIA_REVOCATIONS && typeof env.MEDIA_REVOCATIONS.get === "function") {
      await loadRevocations(env.MEDIA_REVOCATIONS);
      io.kvMs = core.rev.kvMs ?? 0;
    }
    revocation = revocationFacts(env);
  }
  const facts = requestFacts(request.method, pathname, search, request.headers, nowSeconds(), Math.floor(Math.random() * 1e6), revocation[0], revocation[1]);
  let d = core.begin(facts);
  if (d.refresh && env.MEDIA_REVOCATIONS) ctx.waitUntil(loadRevocations(env.MEDIA_REVOCATIONS));
  let obj = null;
  // The core asks for at most two storage operations (decision.h), and for an
  // edge cache lookup before each when the object is public; more would be a
  // core bug, answered as the core's 503 without performing it.
  let storageOps = 0;
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
    if (!done) {
      if (storageOps === 2) return fallback(request, env, io);
      storageOps++;
      const started = Date.now();
      done = await perform(env.MEDIA_BUCKET, d);
      io.r2Ms += Date.now() - started;
    }
    obj = done.object;
    d = core.finish(facts, d, done.storage);
  }
  if (d.body === "object") {
    const length = contentLength(d);
    // Storage said ok but handed over no bytes: the core's 503, not an empty 200.
    if (!obj || !obj.body || !(length > 0)) {
      discard(obj);
      obj = null;
      d = FALLBACK;
    } else {
      if (d.store !== null) obj = toCache(d, obj, request.url, ctx);
      obj = { body: exactLength(obj.body, length) };
    }
  }
  observe(d, request, env, io);
  return toResponse(d, obj);
}

export default {
  async fetch(request, env, ctx) {
    try {
      return await handle(request, env, ctx);
    } catch (err) {
      // A trap leaves the instance unusable: start a fresh one for the next request.
      console.error(JSON.stringify({ event: "media.worker.error", reason: "storage_unavailable", error: String(err && err.name) }));
      try {
        core = instantiate(wasmModule);
      } catch {}
      return toResponse(FALLBACK, null);
    }
  },

  // Cron Trigger (wrangler.toml [triggers]): compacts the revocation list.
  async scheduled(event, env, ctx) {
    ctx.waitUntil(
      (async () => {
        try {
          configure(env);
          const result = await compactRevocations(env);
          console.log(JSON.stringify({ event: "media.worker.revocations_compacted", ...result }));
        } catch (err) {
          console.error(JSON.stringify({ event: "media.worker.error", reason: "revocations_compaction_failed", error: String(err && err.message) }));
        }
      })(),
    );
  },
};
