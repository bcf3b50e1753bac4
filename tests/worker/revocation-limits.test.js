// Revocation within production's limits (docs/REVOCATION.md): the Worker runs
// behind tests/worker/stand-ins/limits.js, which fails any invocation making
// more than 1,000 KV operations (a bulk get counted as one), can make KV fail
// or hang, and moves the Worker's clock forward without the test sleeping.
// Claims shown here:
// - compaction of 100,000 entries never exceeds the limit, in the legacy
//   (value-only) form as in the metadata form, with 10,000 new revocations
//   between runs; a fresh isolate then answers 410 for the revoked keys
//   (a sample of 300 through the Worker, and all 110,000 through the same
//   core on the snapshot it loaded) and 200 for others;
// - an idle isolate honours a revocation on its very next request past the
//   hard snapshot age, measured from the snapshot's build time;
// - a stuck compaction: closed mode answers 503, and the signal fires;
// - the first load's client going away leaves later requests unaffected;
// - KV hanging or failing: the load's deadline, and backoff.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { mint as mintToken } from "../lib/token.mjs";
import { DEFAULT_BINDINGS, ROOT, startGate, get, mint, mediaUrl, revocationName, loggedEvents, waitForLog, workerLog } from "./helpers.js";
import { createCore, requestFacts, REVOCATION } from "../../worker-shim/core.js";

const LIMITS = { entry: "tests/worker/stand-ins/limits.js", extraModules: ["tests/worker/stand-ins/kv-model.js"], compatibilityFlags: ["nodejs_als"] };
const HARD_AGE = 300; // MEDIA_REVOCATION_MAX_STALENESS_SECONDS's default
const TEST = "http://media.test/__test";
const KEY = "u/one.gif"; // an object in R2 (helpers.js OBJECTS)
const wasm = new WebAssembly.Module(readFileSync(path.join(ROOT, "worker-shim/mediagate.wasm")));

const control = async (mf, what) => JSON.parse((await get(mf, `${TEST}/${what}`)).text);
const stats = (mf) => control(mf, "stats");
const advance = (mf, seconds) => control(mf, `clock?advance=${seconds}`);
const compact = async (mf) => (await mf.getWorker()).scheduled({ cron: "* * * * *" });
const seededKey = (i) => `u/r/${i}.png`;
// limits.js seeds every third key public-only, the others for all tokens.
const seededScope = (i) => (i % 3 === 0 ? "public" : "all");

// A snapshot of `entries` ([key, scope]) built at `builtAt`, by the core's
// builder: what a compaction elsewhere would have written.
function snapshotOf(entries, builtAt) {
  const core = createCore(wasm);
  core.buildReset();
  for (const [key, scope] of entries) core.buildAdd(`${revocationName(key)}\t{"scope":"${scope}"}\n`);
  return core.buildFinish(builtAt);
}
async function putSnapshot(mf, bytes) {
  const kv = await mf.getKVNamespace("MEDIA_REVOCATIONS");
  await kv.put("snapshot:v1", bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}
async function revokeInKv(mf, key) {
  const kv = await mf.getKVNamespace("MEDIA_REVOCATIONS");
  await kv.put(revocationName(key), JSON.stringify({ scope: "all", at: 0 }), { metadata: { scope: "all" } });
}
const events = (from, reason) => loggedEvents(from).filter((e) => e.reason === reason);
// Log lines arrive through workerd's output pipe, after the response: wait for them.
const waitEvents = (from, pred, n = 1) => waitForLog(from, () => loggedEvents(from).filter(pred).length, n);
const metricLines = (from, index) => workerLog.slice(from).filter((l) => l.includes("METRIC ") && l.includes(`"indexes":["${index}"]`));

describe("compaction within 1,000 operations per invocation", { timeout: 90000 }, () => {
  it("100,000 entries, legacy and metadata forms, 10,000 new between runs: within the limit; a fresh isolate answers 410", async () => {
    const mf = await startGate({ ...LIMITS, bindings: { ...DEFAULT_BINDINGS, TEST_KV_MODEL: "1" } });
    let snapshot;
    try {
      // The transition's worst case: every entry without metadata, so every
      // scope is read (bulk, 100 names an operation): the sweep spans runs.
      await control(mf, "seed?from=0&n=100000&legacy=1");
      const from = workerLog.length;
      let runs = 0;
      for (; runs < 5; runs++) {
        await compact(mf);
        await waitEvents(from, (e) => e.event === "media.worker.revocations_compacted", runs + 1);
        const done = loggedEvents(from).filter((e) => e.event === "media.worker.revocations_compacted");
        assert.equal(done.length, runs + 1, "every run completed");
        if (done[runs].complete) break;
      }
      let s = await stats(mf);
      assert.equal(s.overLimit, 0);
      assert.ok(s.maxOpsScheduled <= 1000, `a run made ${s.maxOpsScheduled} operations`);
      assert.ok(runs >= 1, "the legacy form's sweep took more than one run");
      assert.equal(events(from, "revocations_compaction_failed").length, 0);

      // The backend writes the metadata form (and re-puts the old entries so),
      // and 10,000 more keys are revoked: one run, about one operation per 1,000 entries.
      await control(mf, "seed?from=0&n=110000&legacy=0");
      await compact(mf);
      await waitEvents(from, (e) => e.event === "media.worker.revocations_compacted", runs + 2);
      s = await stats(mf);
      assert.equal(s.overLimit, 0);
      assert.ok(s.lastScheduledOps <= 1 + 111 + 1, `the metadata form's run made ${s.lastScheduledOps} operations`);
      const last = loggedEvents(from).filter((e) => e.event === "media.worker.revocations_compacted").at(-1);
      assert.equal(last.complete, true);
      assert.equal(last.entries, 110000);
      snapshot = (await get(mf, `${TEST}/snapshot`)).body;
    } finally {
      await mf.dispose();
    }

    // Every key, through the core the Worker runs, on that snapshot.
    const core = createCore(wasm);
    core.setSecret(0, DEFAULT_BINDINGS.MEDIA_TOKEN_SECRET);
    core.configure("MEDIA_BUCKET\t1\n");
    assert.equal(core.installSnapshot(snapshot), 110000);
    const now = Math.floor(Date.now() / 1000);
    const none = { get: () => null };
    // Tokens minted here never reach a Worker (helpers.js mint records each one for the log scan).
    const token = (key, mode) => mintToken(key, { mode, exp: now + 600, secret: DEFAULT_BINDINGS.MEDIA_TOKEN_SECRET });
    const status = (key, mode) => {
      const d = core.begin(requestFacts("GET", `/m/${key}`, `?t=${token(key, mode)}`, none, now, 0, REVOCATION.loaded, 0));
      return d.fetch ? 200 : d.status;
    };
    for (let i = 0; i < 110000; i++) {
      assert.equal(status(seededKey(i), "pub"), 410, seededKey(i));
      if (i % 50 === 0) assert.equal(status(seededKey(i), "priv"), seededScope(i) === "all" ? 410 : 200, `${seededKey(i)} private`);
    }
    for (let i = 0; i < 2000; i++) assert.equal(status(`u/free/${i}.png`, "pub"), 200);

    // A fresh isolate that loads it from KV: a sample through the Worker.
    const fresh = await startGate();
    try {
      await putSnapshot(fresh, snapshot);
      for (let i = 0; i < 110000; i += 367) {
        const res = await get(fresh, mediaUrl(seededKey(i), mint(seededKey(i))));
        assert.equal(res.status, 410, seededKey(i));
        assert.equal(res.text, "revoked");
      }
      for (const key of ["u/one.gif", "u/page.html", "u/v/clip.webm"]) assert.equal((await get(fresh, mediaUrl(key, mint(key)))).status, 200, key);
    } finally {
      await fresh.dispose();
    }
  });
});

describe("the hard snapshot age, from the snapshot's build time", { timeout: 60000 }, () => {
  it("an idle isolate honours a revocation on its very next request past the hard age", async () => {
    const mf = await startGate({ ...LIMITS });
    try {
      const t0 = (await stats(mf)).now;
      await putSnapshot(mf, snapshotOf([["u/other.png", "all"]], t0));
      const url = mediaUrl(KEY, mint(KEY));
      assert.equal((await get(mf, url)).status, 200); // the isolate loads the snapshot built at t0
      // While the isolate sits idle, the backend revokes KEY and compaction
      // (elsewhere) writes a snapshot holding it.
      await revokeInKv(mf, KEY);
      await advance(mf, 60);
      await putSnapshot(mf, snapshotOf([["u/other.png", "all"], [KEY, "all"]], t0 + 60));
      await advance(mf, HARD_AGE - 60 + 1); // the held snapshot is now past the hard age
      const reads = (await stats(mf)).snapshotReads;
      const res = await get(mf, url);
      assert.equal(res.status, 410, "the very next request waited for the fresh snapshot");
      assert.equal((await stats(mf)).snapshotReads, reads + 1);
      assert.equal((await get(mf, mediaUrl("u/page.html", mint("u/page.html")))).status, 200);
    } finally {
      await mf.dispose();
    }
  });

  it("a stuck compaction: closed mode answers 503 past the hard age, and the signal fires", async () => {
    const bindings = { ...DEFAULT_BINDINGS, MEDIA_REVOCATION_MODE: "closed" };
    const mf = await startGate({ ...LIMITS, metrics: true, bindings });
    try {
      const t0 = (await stats(mf)).now;
      await putSnapshot(mf, snapshotOf([["u/other.png", "all"]], t0));
      const url = mediaUrl(KEY, mint(KEY));
      assert.equal((await get(mf, url)).status, 200);
      // No compaction writes a newer snapshot: it stays the one built at t0.
      await advance(mf, HARD_AGE + 1);
      const from = workerLog.length;
      const refused = await get(mf, url);
      assert.equal(refused.status, 503);
      assert.equal(refused.text, "storage_unavailable");
      assert.equal(refused.headers["cache-control"], "private, no-store");
      await waitEvents(from, (e) => e.reason === "revocations_stale");
      await waitForLog(from, () => metricLines(from, "revocations_stale").length);
      const signal = events(from, "revocations_stale");
      assert.equal(signal.length, 1);
      assert.ok(signal[0].snapshot_age > HARD_AGE);
      assert.equal(metricLines(from, "revocations_stale").length, 1);
      // Within the backoff, no new load: still refused, without a KV read.
      const reads = (await stats(mf)).snapshotReads;
      assert.equal((await get(mf, url)).status, 503);
      assert.equal((await stats(mf)).snapshotReads, reads);
      // The scheduled run, failing too, reports it from its side.
      await control(mf, "kv?mode=fail");
      const cron = workerLog.length;
      await compact(mf);
      await waitEvents(cron, (e) => e.reason === "revocations_compaction_failed");
      await waitEvents(cron, (e) => e.reason === "revocations_stale" && e.where === "compaction");
      assert.equal(events(cron, "revocations_compaction_failed").length, 1);
      assert.equal(events(cron, "revocations_stale").filter((e) => e.where === "compaction").length, 1);
      // Compaction recovers: a fresh snapshot, served again.
      await control(mf, "kv?mode=ok");
      await compact(mf);
      assert.equal((await get(mf, url)).status, 200);
    } finally {
      await mf.dispose();
    }
  });
});

describe("snapshot loads belong to their request", { timeout: 60000 }, () => {
  it("the first load's client going away leaves later requests unaffected", async () => {
    const mf = await startGate({ ...LIMITS, bindings: { ...DEFAULT_BINDINGS, MEDIA_STORAGE_TIMEOUT_MS: "2000" } });
    try {
      await putSnapshot(mf, snapshotOf([[KEY, "all"]], (await stats(mf)).now));
      await control(mf, "kv?hold=1");
      const url = mediaUrl(KEY, mint(KEY));
      const gone = new AbortController();
      const first = mf.dispatchFetch(url, { signal: gone.signal }).catch((err) => err);
      let s;
      for (let i = 0; i < 500 && !((s = await stats(mf)).held >= 1); i++);
      assert.equal(s.held, 1, "the first request's load is in flight");
      gone.abort();
      await first;
      // A second request arrives while that load is pending, then KV answers.
      const second = get(mf, url);
      await control(mf, "kv?hold=0");
      assert.equal((await second).status, 410);
      assert.equal((await get(mf, url)).status, 410);
      assert.equal((await get(mf, mediaUrl("u/page.html", mint("u/page.html")))).status, 200);
    } finally {
      await mf.dispose();
    }
  });

  for (const mode of ["hang", "fail"]) {
    it(`KV ${mode === "hang" ? "hanging: the load's deadline" : "failing"}, then backoff, then recovery`, async () => {
      const bindings = { ...DEFAULT_BINDINGS, MEDIA_STORAGE_TIMEOUT_MS: "200", MEDIA_REVOCATION_MODE: "closed" };
      const mf = await startGate({ ...LIMITS, bindings });
      try {
        await putSnapshot(mf, snapshotOf([[KEY, "all"]], (await stats(mf)).now));
        await control(mf, `kv?mode=${mode}`);
        const url = mediaUrl(KEY, mint(KEY));
        const from = workerLog.length;
        const res = await get(mf, url);
        assert.equal(res.status, 503, "closed: no snapshot could be had");
        await waitEvents(from, (e) => e.reason === "revocations_unavailable");
        const failed = events(from, "revocations_unavailable");
        assert.equal(failed.length, 1);
        assert.equal(failed[0].error, mode === "hang" ? "deadline exceeded" : "simulated KV outage");
        // Backoff: 30 s doubled after one failure (60 s). No load before it ends.
        const reads = (await stats(mf)).snapshotReads;
        assert.equal((await get(mf, url)).status, 503);
        await advance(mf, 50);
        assert.equal((await get(mf, url)).status, 503);
        assert.equal((await stats(mf)).snapshotReads, reads, "no load within the backoff");
        await advance(mf, 15);
        assert.equal((await get(mf, url)).status, 503);
        assert.equal((await stats(mf)).snapshotReads, reads + 1, "one load once it ended");
        // Two failures: 120 s. KV is back.
        await control(mf, "kv?mode=ok");
        await advance(mf, 100);
        assert.equal((await get(mf, url)).status, 503);
        assert.equal((await stats(mf)).snapshotReads, reads + 1, "no load within the longer backoff");
        await advance(mf, 25);
        assert.equal((await get(mf, url)).status, 410);
        assert.equal((await get(mf, mediaUrl("u/page.html", mint("u/page.html")))).status, 200);
      } finally {
        await mf.dispose();
      }
    });
  }
});
