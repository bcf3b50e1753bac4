// mediagate Worker shim: binds R2, KV and the Cache API to the Wasm core,
// moves bytes, holds no policy. Every status, header, byte span, cache and
// revocation decision is made by the core (wasm/src/decision.cc); this file
// only gathers facts, performs the I/O the core asks for, and hands the
// results back (through core.js: docs/ARCHITECTURE.md, "The Wasm ABI").
// Revocation and the edge cache: docs/REVOCATION.md.
import wasmModule from "./mediagate.wasm";
import { createCore, requestFacts, pathAndQuery, storedObject, REVOCATION, NO_LOAD, RESULT, OP, KIND } from "./core.js";

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
  "MEDIA_EDGE_CACHE_FILL_MAX_BYTES",
  "MEDIA_LOG_DENIAL_BUDGET",
];
// The KV key the scheduled handler writes the compacted snapshot to. (Not
// exported: a Worker module's named exports are entrypoints.)
const SNAPSHOT_KEY = "snapshot:v1";
const CACHE_OBJECT_HEADER = "x-mediagate-object";

const nowSeconds = () => Math.floor(Date.now() / 1000);

// One core per isolate, with the facts of its revocation snapshot loads:
// state loaded | unavailable (none installed), when the last attempt
// started (ms, 0: never), consecutive failures, when the load in flight
// started (ms, 0: none) (docs/REVOCATION.md).
function instantiate(module) {
  const core = createCore(module);
  return Object.assign(core, { env: null, problem: "", fingerprints: { fingerprint: null, fingerprint_previous: null }, rev: { state: "unavailable", attemptAt: 0, failures: 0, loadingSince: 0, count: 0, kvMs: 0 }, noRevocationLogged: false });
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
// The shim holds facts about the isolate's snapshot loads (when the last one
// started, how many failed in a row, whether one is in flight) and performs
// the loads the core asks for; the core decides when to load, whether a
// request waits, and what it answers meanwhile (docs/REVOCATION.md).

// Copies snapshot bytes into the core and installs them; false if invalid.
function installSnapshot(bytes) {
  const count = core.installSnapshot(bytes);
  if (count < 0) return false;
  core.rev.count = count;
  return true;
}

// Loads the snapshot from KV within `ms` and installs it. The read belongs
// to this request: nothing else awaits it (a promise of another request may
// never settle once that request is gone). It is also handed to
// ctx.waitUntil, so a client going away does not cancel it half way.
// Never throws.
function loadRevocations(kv, ctx, ms) {
  const rev = core.rev;
  const started = Date.now();
  rev.attemptAt = started;
  rev.loadingSince = started;
  const load = (async () => {
    try {
      const buf = await beforeDeadline(kv.get(SNAPSHOT_KEY, { type: "arrayBuffer" }), ms);
      // No snapshot yet: the scheduled handler has not run; nothing is known revoked.
      if (buf === null) rev.count = core.clearSnapshot();
      else if (!installSnapshot(new Uint8Array(buf))) throw new Error("invalid snapshot");
      rev.state = "loaded";
      rev.failures = 0;
    } catch (err) {
      rev.failures++;
      if (rev.state !== "loaded") rev.state = "unavailable";
      console.error(JSON.stringify({ event: "media.worker.error", reason: "revocations_unavailable", error: String(err && err.message) }));
    } finally {
      rev.kvMs = Date.now() - started;
      if (rev.loadingSince === started) rev.loadingSince = 0;
    }
  })();
  ctx.waitUntil(load);
  return load;
}

// Waits, on this request's own timers, until the load another request has
// in flight ends or `ms` pass. (Polling the isolate's state rather than
// awaiting that request's promise: see loadRevocations.)
async function loadInFlight(ms) {
  const until = Date.now() + ms;
  while (core.rev.loadingSince && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
}

// The revocation facts for a request: state, seconds since the last load
// attempt started, consecutive failures, ms since the load in flight started.
function revocationFacts(env, nowMs) {
  const kv = env.MEDIA_REVOCATIONS;
  if (!kv || typeof kv.get !== "function") {
    if (!core.noRevocationLogged) {
      core.noRevocationLogged = true;
      console.error(JSON.stringify({ event: "media.worker.error", reason: "revocation_disabled", setting: "MEDIA_REVOCATIONS" }));
    }
    return { revocation: REVOCATION.disabled, revocationAge: 0, revocationFailures: 0, revocationLoading: NO_LOAD };
  }
  const rev = core.rev;
  return {
    revocation: rev.state === "loaded" ? REVOCATION.loaded : REVOCATION.unavailable,
    revocationAge: Math.floor(nowMs / 1000) - Math.floor(rev.attemptAt / 1000),
    revocationFailures: rev.failures,
    revocationLoading: rev.loadingSince ? Math.max(0, nowMs - rev.loadingSince) : NO_LOAD,
  };
}

// The operator's signal that requests are being decided on a snapshot past
// the hard age (or none): a log event and a metric data point.
function reportStale(env, where) {
  const builtAt = core.builtAt();
  const age = builtAt > 0 ? nowSeconds() - builtAt : null;
  console.error(JSON.stringify({ event: "media.worker.error", reason: "revocations_stale", where, snapshot_built_at: builtAt || null, snapshot_age: age }));
  const metrics = env.MEDIA_METRICS;
  if (metrics && typeof metrics.writeDataPoint === "function") {
    try {
      metrics.writeDataPoint({ indexes: ["revocations_stale"], blobs: ["media.worker.revocations_stale", where], doubles: [age ?? -1] });
    } catch {}
  }
}

// Compaction (docs/REVOCATION.md, "Compaction"). Each cron run stays within
// the runtime's 1,000 external operations whatever the list's size: it
// continues a sweep of the rev:* listing from the cursor the last run left
// in snapshot:v1's metadata, lists pages while its budget lasts, reads the
// scope from each key's metadata (entries written without metadata are
// read in bulk, 100 names per operation), and replaces the span of key
// hashes it listed in the previous snapshot. Operations per run: 1 read,
// at most RUN_PAGES_BUDGET lists and bulk reads, 1 write.
const RUN_OPS_BUDGET = 900;        // of the runtime's 1,000, the rest kept spare
const PAGE_OPS_WORST = 11;         // one list of 1,000 names + ten bulk reads of 100
const BULK_GET = 100;              // names per bulk read (one operation)

// The scope member of a listed key's metadata, as the line the builder
// reads, or null when the entry has none (written before the transition).
function metadataLine(name, metadata) {
  const scope = metadata && typeof metadata === "object" ? metadata.scope : undefined;
  return typeof scope === "string" ? `${name}\t${oneLine(JSON.stringify({ scope }))}\n` : null;
}

async function compactRevocations(env, now) {
  const kv = env.MEDIA_REVOCATIONS;
  if (!kv) return { entries: 0, skipped: "no MEDIA_REVOCATIONS binding" };
  let ops = 1;
  const { value, metadata } = await kv.getWithMetadata(SNAPSHOT_KEY, { type: "arrayBuffer" });
  // Resume the sweep only on top of the snapshot it was written with.
  let sweep = metadata && typeof metadata === "object" && typeof metadata.cursor === "string" ? metadata : null;
  if (value === null || !installSnapshot(new Uint8Array(value))) {
    core.rev.count = core.clearSnapshot();
    sweep = null;
  }
  const sweepAt = sweep && Number.isSafeInteger(sweep.sweep_at) ? sweep.sweep_at : now;
  const after = sweep && typeof sweep.after === "string" ? sweep.after : "";
  core.buildReset();
  let cursor = sweep ? sweep.cursor : undefined;
  let last = "", complete = false, listed = 0, legacy = 0;
  let batch = "";
  const add = (line) => {
    if ((batch.length + line.length) * 3 > core.inCap) flush();
    batch += line;
  };
  const flush = () => {
    if (batch && core.buildAdd(batch) < 0) throw new Error("out of memory");
    batch = "";
  };
  while (ops + PAGE_OPS_WORST + 1 <= RUN_OPS_BUDGET) {
    const page = await kv.list({ prefix: "rev:", cursor });
    ops++;
    const unread = [];
    for (const k of page.keys) {
      const line = metadataLine(k.name, k.metadata);
      if (line) add(line);
      else unread.push(k.name);
    }
    for (let i = 0; i < unread.length; i += BULK_GET) {
      const values = await kv.get(unread.slice(i, i + BULK_GET), "text");
      ops++;
      // A name deleted since the listing reads as null: not revoked.
      for (const [name, v] of values) if (v !== null && v !== undefined) add(`${name}\t${oneLine(v)}\n`);
    }
    flush();
    listed += page.keys.length;
    legacy += unread.length;
    if (page.keys.length) last = page.keys[page.keys.length - 1].name;
    if (page.list_complete) {
      complete = true;
      break;
    }
    cursor = page.cursor;
  }
  // Nothing listed and more to come: keep everything as it is.
  if (!complete && !last) return { entries: 0, ops, complete, skipped: "empty page" };
  if (core.buildKeep(after, complete ? "" : last) < 0) throw new Error("out of memory");
  // Coverage: a completed sweep covers what was listable when it started;
  // a partial run keeps the previous snapshot's.
  const builtAt = complete ? sweepAt : core.builtAt();
  const bytes = core.buildFinish(builtAt);
  if (!bytes) throw new Error("snapshot could not be built");
  const next = complete ? {} : { cursor, after: last, sweep_at: sweepAt };
  await kv.put(SNAPSHOT_KEY, bytes, { metadata: next });
  ops++;
  if (installSnapshot(bytes)) core.rev.state = "loaded";
  return { entries: core.rev.count, listed, legacy, ops, complete, built_at: builtAt, bytes: bytes.length };
}

// --- Storage and the edge cache -------------------------------------------

// The storage operation and R2 range options of a fetch decision's plan.
function plan(d) {
  const p = d.plan;
  const kind = KIND[p.kind];
  const range =
    kind === "offset_length" ? { offset: p.offset, length: p.length }
    : kind === "offset" ? { offset: p.offset }
    : kind === "suffix" ? { suffix: p.suffix }
    : undefined;
  return { op: OP[p.op], range };
}

// What beforeDeadline rejects with once the deadline has passed.
const DEADLINE = new Error("deadline exceeded");

// `read`'s result, or a rejection with DEADLINE once `ms` milliseconds have
// passed (a deadline of the core's). A result that arrives late is released unread.
function beforeDeadline(read, ms) {
  if (!(ms > 0)) return read;
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => {
      read.then(discard, () => {});
      reject(DEADLINE);
    }, ms);
  });
  return Promise.race([read, expired]).finally(() => clearTimeout(timer));
}

// Performs the storage operation of a fetch decision; never throws. An
// operation still pending at the deadline is RESULT.timeout, a failing one
// RESULT.error.
async function perform(bucket, d) {
  const { op, range } = plan(d);
  try {
    const read = op === "head" ? bucket.head(d.key) : bucket.get(d.key, range ? { range } : {});
    const obj = await beforeDeadline(read, d.deadline);
    if (obj === null) return { object: null, storage: { result: RESULT.missing, source: "storage" } };
    return { object: obj, storage: storedObject(obj) };
  } catch (err) {
    if (err === DEADLINE) return { object: null, storage: { result: RESULT.timeout, source: "storage" } };
    // R2 refuses a range that starts at or past the end (InvalidRange, 10039).
    const invalidRange = /InvalidRange|10039/.test(String(err && err.message));
    return { object: null, storage: { result: invalidRange ? RESULT.invalid_range : RESULT.error, source: "storage" } };
  }
}

// The edge cache's answer to a fetch decision the core allowed it to
// answer, or null for a miss (a cache failure is a miss, never an error),
// or DEADLINE: a lookup still pending at the core's cache deadline (a miss
// the core is told of).
async function fromCache(d, requestUrl) {
  try {
    const { op, range } = plan(d);
    const headers = {};
    if (op === "get" && range) {
      headers.range =
        range.suffix !== undefined ? `bytes=-${range.suffix}`
        : range.length !== undefined ? `bytes=${range.offset}-${range.offset + range.length - 1}`
        : `bytes=${range.offset}-`;
    }
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

// workerd's FixedLengthStream (absent only where this file is loaded outside
// workerd, as the decision benchmark does in Node with stand-in bodies).
const FIXED_LENGTH = typeof FixedLengthStream === "function";

// `body` held to `length` bytes, the content-length the core decided: storage
// that hands back fewer or more bytes errors the stream (the client sees a
// truncated transfer) instead of completing it with the wrong bytes. The
// length stays known to the runtime, so content-length is sent as decided.
function exactLength(body, length) {
  if (!FIXED_LENGTH) return body;
  const { readable, writable } = new FixedLengthStream(length);
  // A mismatch, or the reader gone, ends the copy. A copy that could not
  // even start leaves the writable open: error it, so no reader waits forever.
  body.pipeTo(writable).catch((err) => writable.abort(err).catch(() => {}));
  return readable;
}

// The edge cache entry the core described (`entry`: path, length, meta) for
// `body`, put under the canonical key. The stored copy is held to its length:
// bytes that do not match fail the put (a tee of a checked stream alone does
// not: the cache kept the bytes it got), so a failed or partial read stores
// nothing. Throws when the cache does, synchronously or not.
function putEntry(entry, body, requestUrl) {
  const { path, length, meta } = entry;
  const stored = new Response(exactLength(body, length), {
    headers: { "content-length": String(length), "cache-control": "public, max-age=31536000, immutable", [CACHE_OBJECT_HEADER]: meta },
  });
  return caches.default.put(new Request(new URL(path, requestUrl)), stored);
}

// Stores the whole object under the core's canonical key; tees the body.
// A cache that fails, even synchronously, costs the entry, never the answer.
function toCache(d, obj, requestUrl, ctx) {
  const [mine, theirs] = obj.body.tee();
  try {
    ctx.waitUntil(putEntry(d.store, theirs, requestUrl).catch(() => {}));
  } catch {
    theirs.cancel().catch(() => {});
  }
  return { body: mine };
}

// Cache paths this isolate is filling (bookkeeping: the core decides whether
// to fill, this only keeps two Range misses on one object from reading it
// twice while the first fill is in flight).
const filling = new Set();

// The core asked for a fill (d.fill): a Range was read from storage under a
// public token. Reads the whole object once more, in the background, and
// stores it as the entry the core described; later ranges, HEAD and 304 are
// then answered from the cache. Never throws. The copy is read completely
// before it is stored, and stored only when it holds exactly the bytes the
// core named: a cache handed a stream that errors part-way has been seen to
// keep the bytes it received (Miniflare), so a failed or partial read must
// never reach it. The core's bound (MEDIA_EDGE_CACHE_FILL_MAX_BYTES) bounds
// this copy too.
function fillCache(d, bucket, requestUrl, ctx) {
  const { path, length } = d.fill;
  if (filling.has(path)) return;
  filling.add(path);
  const fill = (async () => {
    try {
      const obj = await bucket.get(d.key);
      if (obj === null || !obj.body) return;
      const bytes = await obj.arrayBuffer();
      if (bytes.byteLength !== length) return;
      await putEntry(d.fill, new Response(bytes).body, requestUrl);
    } catch {
    } finally {
      filling.delete(path);
    }
  })();
  ctx.waitUntil(fill);
}

function discard(obj) {
  if (obj && obj.body) obj.body.cancel().catch(() => {});
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

// Denial and error lines this isolate wrote in one second (the core's log
// budget reads the count; counting is all this does).
const denialLines = { second: 0, count: 0 };
function recentDenialLines(second) {
  return denialLines.second === second ? denialLines.count : 0;
}
function countDenialLine(second) {
  if (denialLines.second !== second) {
    denialLines.second = second;
    denialLines.count = 0;
  }
  denialLines.count++;
}

// One JSON log line (when the core says so) and one metric data point per
// request (docs/CONTRACT.md section 8, docs/OBSERVABILITY.md). The key may be
// logged; the token, the query string and the URL never are. `second`: the
// request's `now`, whose denial lines the line counts in (when d.budget).
function observe(d, request, env, io, second) {
  const bytes = d.body === "none" ? 0 : contentLength(d);
  const colo = request.cf?.colo ?? null;
  if (d.budget) countDenialLine(second);
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
        // Successes, and denials past the isolate's budget, are sampled:
        // weight this line by 1 / sample_rate.
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
  observe(FALLBACK, request, env, io, nowSeconds());
  return toResponse(FALLBACK, null);
}

async function handle(request, env, ctx) {
  configure(env);
  const [pathname, search] = pathAndQuery(request.url);
  const io = { cache: "none", r2Ms: 0, kvMs: 0 };
  const kv = env.MEDIA_REVOCATIONS;
  const state = () => {
    const nowMs = Date.now();
    const rev = core.problem ? null : revocationFacts(env, nowMs);
    return rev ? { now: Math.floor(nowMs / 1000), ...rev } : { now: Math.floor(nowMs / 1000), revocation: REVOCATION.disabled, revocationAge: 0 };
  };
  let s = state();
  const facts = requestFacts(request.method, pathname, search, request.headers, s.now, Math.floor(Math.random() * 1e6), s.revocation, s.revocationAge, s.revocationFailures, s.revocationLoading, recentDenialLines(s.now));
  let d = core.begin(facts);
  // The core asks for a fresh snapshot before it decides (the isolate's
  // first request, or a snapshot past the hard age): load it, or wait for
  // the load in flight, then ask again. It asks at most twice (the second
  // time only after a load in flight was given up on); a third ask keeps
  // the 503 it holds.
  let loaded = false;
  for (let asks = 0; d.wait && asks < 2; asks++) {
    const started = Date.now();
    if (core.rev.loadingSince) await loadInFlight(d.deadline);
    else {
      await loadRevocations(kv, ctx, d.deadline);
      loaded = true;
    }
    io.kvMs += Date.now() - started;
    s = state();
    Object.assign(facts, s);
    d = core.begin(facts);
  }
  if (d.stale && loaded) reportStale(env, "request");
  if (d.refresh && kv) loadRevocations(kv, ctx, d.deadline);
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
    // Other requests may have written denial lines while this one waited.
    facts.logRecent = recentDenialLines(facts.now);
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
      if (d.fill !== null) fillCache(d, env.MEDIA_BUCKET, request.url, ctx);
      obj = { body: exactLength(obj.body, length) };
    }
  }
  observe(d, request, env, io, facts.now);
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
          const result = await compactRevocations(env, nowSeconds());
          console.log(JSON.stringify({ event: "media.worker.revocations_compacted", ...result }));
        } catch (err) {
          console.error(JSON.stringify({ event: "media.worker.error", reason: "revocations_compaction_failed", error: String(err && err.message) }));
        }
        // The newest snapshot this run knows is older than the hard age:
        // compaction is failing or not keeping up; closed mode refuses.
        if (env.MEDIA_REVOCATIONS && !core.problem && core.snapshotStale(nowSeconds())) reportStale(env, "compaction");
      })(),
    );
  },
};
