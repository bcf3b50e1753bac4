// The isolate's revocation snapshot (docs/REVOCATION.md): loads from KV,
// the facts a request hands the core about them, and the scheduled
// handler's compaction. The shim holds facts about the isolate's snapshot
// loads (when the last one started, how many failed in a row, whether one is
// in flight) and performs the loads the core asks for; the core decides when
// to load, whether a request waits, and what it answers meanwhile.
import { REVOCATION, NO_LOAD } from "./core.js";
import { beforeDeadline } from "./storage.js";
import { oneLine, nowSeconds } from "./isolate.js";

// The KV key the scheduled handler writes the compacted snapshot to.
const SNAPSHOT_KEY = "snapshot:v1";

// Copies snapshot bytes into the core and installs them; false if invalid.
function installSnapshot(iso, bytes) {
  const count = iso.core.installSnapshot(bytes);
  if (count < 0) return false;
  iso.rev.count = count;
  return true;
}

// Loads the snapshot from KV within `ms` and installs it. The read belongs
// to this request: nothing else awaits it (a promise of another request may
// never settle once that request is gone). It is also handed to
// ctx.waitUntil, so a client going away does not cancel it half way.
// Never throws.
export function loadRevocations(iso, kv, ctx, ms) {
  const rev = iso.rev;
  const started = Date.now();
  rev.attemptAt = started;
  rev.loadingSince = started;
  const load = (async () => {
    try {
      const buf = await beforeDeadline(kv.get(SNAPSHOT_KEY, { type: "arrayBuffer" }), ms);
      // No snapshot yet: the scheduled handler has not run; nothing is known revoked.
      if (buf === null) rev.count = iso.core.clearSnapshot();
      else if (!installSnapshot(iso, new Uint8Array(buf))) throw new Error("invalid snapshot");
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
export async function loadInFlight(iso, ms) {
  const until = Date.now() + ms;
  while (iso.rev.loadingSince && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
}

// The revocation facts for a request: state, seconds since the last load
// attempt started, consecutive failures, ms since the load in flight started.
export function revocationFacts(iso, env, nowMs) {
  const kv = env.MEDIA_REVOCATIONS;
  if (!kv || typeof kv.get !== "function") {
    if (!iso.noRevocationLogged) {
      iso.noRevocationLogged = true;
      console.error(JSON.stringify({ event: "media.worker.error", reason: "revocation_disabled", setting: "MEDIA_REVOCATIONS" }));
    }
    return { revocation: REVOCATION.disabled, revocationAge: 0, revocationFailures: 0, revocationLoading: NO_LOAD };
  }
  const rev = iso.rev;
  return {
    revocation: rev.state === "loaded" ? REVOCATION.loaded : REVOCATION.unavailable,
    revocationAge: Math.floor(nowMs / 1000) - Math.floor(rev.attemptAt / 1000),
    revocationFailures: rev.failures,
    revocationLoading: rev.loadingSince ? Math.max(0, nowMs - rev.loadingSince) : NO_LOAD,
  };
}

// The operator's signal that requests are being decided on a snapshot past
// the hard age (or none): a log event and a metric data point.
export function reportStale(iso, env, where) {
  const builtAt = iso.core.builtAt();
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

export async function compactRevocations(iso, env, now) {
  const kv = env.MEDIA_REVOCATIONS;
  if (!kv) return { entries: 0, skipped: "no MEDIA_REVOCATIONS binding" };
  let ops = 1;
  const { value, metadata } = await kv.getWithMetadata(SNAPSHOT_KEY, { type: "arrayBuffer" });
  // Resume the sweep only on top of the snapshot it was written with.
  let sweep = metadata && typeof metadata === "object" && typeof metadata.cursor === "string" ? metadata : null;
  if (value === null || !installSnapshot(iso, new Uint8Array(value))) {
    iso.rev.count = iso.core.clearSnapshot();
    sweep = null;
  }
  const sweepAt = sweep && Number.isSafeInteger(sweep.sweep_at) ? sweep.sweep_at : now;
  const after = sweep && typeof sweep.after === "string" ? sweep.after : "";
  iso.core.buildReset();
  let cursor = sweep ? sweep.cursor : undefined;
  let last = "", complete = false, listed = 0, legacy = 0;
  let batch = "";
  const add = (line) => {
    if ((batch.length + line.length) * 3 > iso.core.inCap) flush();
    batch += line;
  };
  const flush = () => {
    if (batch && iso.core.buildAdd(batch) < 0) throw new Error("out of memory");
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
  if (iso.core.buildKeep(after, complete ? "" : last) < 0) throw new Error("out of memory");
  // Coverage: a completed sweep covers what was listable when it started;
  // a partial run keeps the previous snapshot's.
  const builtAt = complete ? sweepAt : iso.core.builtAt();
  const bytes = iso.core.buildFinish(builtAt);
  if (!bytes) throw new Error("snapshot could not be built");
  const next = complete ? {} : { cursor, after: last, sweep_at: sweepAt };
  await kv.put(SNAPSHOT_KEY, bytes, { metadata: next });
  ops++;
  if (installSnapshot(iso, bytes)) iso.rev.state = "loaded";
  return { entries: iso.rev.count, listed, legacy, ops, complete, built_at: builtAt, bytes: bytes.length };
}

