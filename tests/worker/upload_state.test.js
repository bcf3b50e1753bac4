// The tus upload state object (worker-shim/upload_state.js; docs/UPLOADS.md,
// "The upload state object"), driven through its RPC methods from Node, as the
// shim calls them: every precondition refuses with null/false and changes
// nothing; tail bytes come back exactly, in rows of at most 1 MiB; the alarm
// aborts the R2 multipart upload and deletes the state, or re-arms when R2
// fails; the state survives a restart. The binding's class is a subclass
// (stand-ins/upload-state-probe.js) that also reads the alarm and tail rows.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startGate, loggedEvents, waitForLog, workerLog } from "./helpers.js";

const PROBE = { entry: "tests/worker/stand-ins/upload-state-probe.js", uploadState: "UploadStateProbe" };
const MiB = 1 << 20;
const LEASE = 30000;
const T0 = 1_800_000_000_000; // a nowMs; the object never reads the clock for a decision
// Plain values out of Miniflare's RPC proxies (deepEqual compares prototypes).
const plain = (v) => (v === null || v === undefined ? v : JSON.parse(JSON.stringify(v)));
const bytes = (n, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
};

let keys = 0;
// A fresh object (its own key) and a row to create in it: length 10, part size 4.
async function fresh(mf, over = {}) {
  const key = `u/state/${++keys}.mp4`;
  const ns = await mf.getDurableObjectNamespace("MEDIA_UPLOAD_STATE");
  const row = { id: `id-${keys}`, key, ct: "video/mp4", length: 10, partSize: 4, created: 1000, expires: 4_000_000_000, tokenE: 2000, ...over };
  return { key, row, stub: ns.get(ns.idFromName(key)) };
}
// A created upload with a granted lease: its stub and epoch.
async function leased(mf, over) {
  const u = await fresh(mf, over);
  await u.stub.create(u.row);
  const b = await u.stub.begin(T0, 0, LEASE);
  assert.equal(b.lease, "granted");
  return { ...u, epoch: b.snapshot.epoch };
}

// Polls `probe` (bounded: a guard against hanging, not a timing claim) until
// `done(value)`; returns the value.
async function until(probe, done, tries = 400) {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`condition not met after ${tries} polls`);
}

describe("UploadState: rows and preconditions", () => {
  let mf;
  before(async () => (mf = await startGate(PROBE)));
  after(async () => mf?.dispose());

  it("create: inserts once; again while open gives the existing row, created false", async () => {
    const { stub, row } = await fresh(mf);
    assert.equal(await stub.state(), null);
    const first = plain(await stub.create(row));
    assert.equal(first.created, true);
    const { epoch, ...rest } = first.snapshot;
    assert.ok(Number.isSafeInteger(epoch));
    assert.deepEqual(rest, { ...row, committed: 0, partsEnd: 0, mpuId: "", familyOk: 0, state: "open", leaseUntil: 0 });
    assert.equal(await stub.alarmAt(), row.expires * 1000);
    const again = plain(await stub.create({ ...row, id: "other", length: 99, expires: row.expires + 5 }));
    assert.deepEqual(again, { created: false, snapshot: first.snapshot });
    assert.deepEqual(plain(await stub.state()), first.snapshot);
    assert.equal(await stub.alarmAt(), row.expires * 1000);
  });

  it("begin: none, granted, held until the lease lapses, mismatch", async () => {
    const { stub, row } = await fresh(mf);
    assert.deepEqual(plain(await stub.begin(T0, 0, LEASE)), { lease: "none", snapshot: null });
    const { snapshot: s0 } = await stub.create(row);
    const g = plain(await stub.begin(T0, 0, LEASE));
    assert.equal(g.lease, "granted");
    assert.deepEqual(g.snapshot, { ...s0, epoch: s0.epoch + 1, leaseUntil: T0 + LEASE });
    // [nowMs, claimed, want]: held while leaseUntil > nowMs, whatever is claimed.
    const table = [
      [T0, 0, "held"],
      [T0 + LEASE - 1, 5, "held"],
      [T0 + LEASE, 5, "mismatch"],
      [T0 + LEASE, 0, "granted"],
    ];
    for (const [nowMs, claimed, want] of table) {
      const before = plain(await stub.state());
      const r = plain(await stub.begin(nowMs, claimed, LEASE));
      assert.equal(r.lease, want, `begin(${nowMs - T0}, ${claimed})`);
      if (want === "granted") assert.deepEqual(r.snapshot, { ...before, epoch: before.epoch + 1, leaseUntil: nowMs + LEASE });
      else assert.deepEqual(r.snapshot, before, "a refusal changes nothing");
    }
  });

  it("a stale epoch is refused by every mutating method, and changes nothing", async () => {
    const { stub, epoch } = await leased(mf);
    assert.equal((await stub.appendTail(epoch, 0, bytes(3), 1, T0, LEASE, true)).committed, 3);
    assert.equal((await stub.begin(T0 + 1, 3, LEASE)).lease, "granted"); // the lease was released
    const now = plain(await stub.state());
    assert.equal(now.epoch, epoch + 1);
    const calls = {
      readTail: () => stub.readTail(epoch),
      appendTail: () => stub.appendTail(epoch, 3, bytes(1), 1, T0, LEASE, false),
      setUpload: () => stub.setUpload(epoch, "mpu"),
      recordPart: () => stub.recordPart(epoch, 1, "etag", 4, 1, false, T0, LEASE),
      parts: () => stub.parts(epoch),
      done: () => stub.done(epoch, "etag", 10),
      release: () => stub.release(epoch),
    };
    for (const [name, call] of Object.entries(calls)) {
      const r = await call();
      assert.ok(r === null || r === false, `${name} with a stale epoch: ${r}`);
    }
    assert.deepEqual(plain(await stub.state()), now);
    assert.deepEqual(await stub.readTail(now.epoch), bytes(3));
  });

  it("appendTail: only at the committed offset; the offset, family flag and lease move with the bytes", async () => {
    const { stub, epoch } = await leased(mf);
    assert.equal(await stub.appendTail(epoch, 1, bytes(2), 0, T0, LEASE, false), null, "at ≠ committed");
    const a = plain(await stub.appendTail(epoch, 0, bytes(2), 1, T0 + 5, LEASE, false));
    assert.deepEqual([a.committed, a.familyOk, a.leaseUntil], [2, 1, T0 + 5 + LEASE]);
    const b = plain(await stub.appendTail(epoch, 2, bytes(1, 9), 0, T0 + 6, LEASE, true));
    assert.deepEqual([b.committed, b.familyOk, b.leaseUntil], [3, 1, 0], "family_ok only ever set; release frees the lease");
    assert.equal(await stub.appendTail(epoch, 2, bytes(1), 0, T0, LEASE, false), null, "a second copy of acknowledged bytes");
    assert.deepEqual(await stub.readTail(epoch), concat(bytes(2), bytes(1, 9)));
    const c = await stub.appendTail(epoch, 3, bytes(2, 5).buffer, 0, T0, LEASE, false);
    assert.equal(c.committed, 5, "an ArrayBuffer is taken as its bytes");
    assert.deepEqual(await stub.readTail(epoch), concat(bytes(2), bytes(1, 9), bytes(2, 5)));
  });

  it("appendTail: 1-byte appends extend one row; 3 MiB more fills it and adds rows of at most 1 MiB; readTail gives the exact bytes", async () => {
    const { stub, epoch } = await leased(mf, { length: 8 * MiB, partSize: 5 * MiB });
    const small = bytes(200, 7);
    for (let i = 0; i < small.length; i++) {
      assert.notEqual(await stub.appendTail(epoch, i, small.subarray(i, i + 1), 0, T0, LEASE, false), null);
    }
    assert.deepEqual(plain(await stub.tailRows()), [{ start: 0, n: 200 }]);
    const big = bytes(3 * MiB, 3);
    const s = await stub.appendTail(epoch, 200, big, 0, T0, LEASE, false);
    assert.equal(s.committed, 200 + 3 * MiB);
    assert.deepEqual(plain(await stub.tailRows()), [
      { start: 0, n: MiB },
      { start: MiB, n: MiB },
      { start: 2 * MiB, n: MiB },
      { start: 3 * MiB, n: 200 },
    ]);
    assert.deepEqual(await stub.readTail(epoch), concat(small, big));
  });

  it("recordPart: only the next part of the grid, past the recorded end; it empties the tail", async () => {
    const { stub, epoch } = await leased(mf);
    await stub.appendTail(epoch, 0, bytes(3), 0, T0, LEASE, false);
    const before = plain(await stub.state());
    // [k, end]: part 1 must start where the recorded parts end (0) and end past it.
    for (const [k, end] of [[2, 8], [0, 4], [1, 0]]) {
      assert.equal(await stub.recordPart(epoch, k, "e", end, 1, false, T0, LEASE), null, `recordPart(${k}, ${end})`);
    }
    assert.deepEqual(plain(await stub.state()), before);
    const one = plain(await stub.recordPart(epoch, 1, "e1", 4, 1, false, T0 + 7, LEASE));
    assert.deepEqual([one.partsEnd, one.committed, one.familyOk, one.state, one.leaseUntil], [4, 4, 1, "open", T0 + 7 + LEASE]);
    assert.deepEqual(await stub.readTail(epoch), new Uint8Array(0));
    assert.deepEqual(plain(await stub.tailRows()), []);
    assert.equal(await stub.recordPart(epoch, 1, "e1", 4, 1, false, T0, LEASE), null, "part 1 again");
    await stub.appendTail(epoch, 4, bytes(2), 0, T0, LEASE, false);
    assert.equal((await stub.recordPart(epoch, 2, "e2", 8, 0, false, T0, LEASE)).committed, 8);
    const last = plain(await stub.recordPart(epoch, 3, "e3", 10, 0, true, T0, LEASE));
    assert.deepEqual([last.partsEnd, last.committed, last.state], [10, 10, "completing"]);
    assert.deepEqual(plain(await stub.parts(epoch)), [
      { partNumber: 1, etag: "e1" },
      { partNumber: 2, etag: "e2" },
      { partNumber: 3, etag: "e3" },
    ]);
  });

  it("setUpload, done, then a new create replaces the done row", async () => {
    const { stub, row, epoch } = await leased(mf);
    assert.equal(await stub.setUpload(epoch, "mpu-1"), true);
    assert.equal((await stub.state()).mpuId, "mpu-1");
    await stub.appendTail(epoch, 0, bytes(4), 1, T0, LEASE, false);
    await stub.recordPart(epoch, 1, "e1", 4, 1, false, T0, LEASE);
    await stub.appendTail(epoch, 4, bytes(6), 1, T0, LEASE, false);
    assert.equal(await stub.done(epoch, "etag", 10), true);
    const d = plain(await stub.state());
    assert.deepEqual([d.state, d.leaseUntil, d.committed], ["done", 0, 10]);
    assert.deepEqual(plain(await stub.parts(epoch)), []);
    assert.deepEqual(await stub.readTail(epoch), new Uint8Array(0));
    const again = plain(await stub.create({ ...row, id: "next", expires: row.expires + 60 }));
    assert.equal(again.created, true);
    assert.deepEqual([again.snapshot.id, again.snapshot.committed, again.snapshot.state, again.snapshot.mpuId], ["next", 0, "open", ""]);
    assert.equal(await stub.alarmAt(), (row.expires + 60) * 1000);
  });

  it("release frees the lease; terminate fences and arms the alarm; clear deletes everything", async () => {
    const { stub, row, epoch } = await leased(mf);
    assert.equal(await stub.release(epoch), true);
    assert.equal((await stub.state()).leaseUntil, 0);
    await stub.appendTail(epoch, 0, bytes(3), 0, T0, LEASE, false);
    const from = Date.now();
    const t = plain(await stub.terminate());
    const to = Date.now();
    assert.deepEqual([t.epoch, t.state], [epoch + 1, "aborting"]);
    const at = await stub.alarmAt();
    assert.ok(at >= from + 30000 && at <= to + 30000, `alarm at now + 30 s: ${at - from}`);
    assert.equal(await stub.appendTail(epoch, 3, bytes(1), 0, T0, LEASE, false), null, "terminate fenced the PATCH");
    assert.equal((await stub.create({ ...row, id: "next" })).created, false, "aborting: no new upload yet");
    await stub.clear();
    assert.equal(await stub.state(), null);
    assert.equal(await stub.alarmAt(), null);
    assert.deepEqual(plain(await stub.tailRows()), []);
    assert.equal(await stub.terminate(), null, "nothing to terminate");
  });
});

describe("UploadState: the alarm", () => {
  let mf;
  before(async () => (mf = await startGate({ ...PROBE, metrics: true })));
  after(async () => mf?.dispose());

  it("at expiry it aborts the multipart upload, deletes the rows and logs media.upload.expired without the key", async () => {
    const r2 = await mf.getR2Bucket("MEDIA_BUCKET");
    // Counted from before the upload exists: under load the alarm (1 s out)
    // can fire before the steps below are done.
    const from = workerLog.length;
    const expires = Math.floor(Date.now() / 1000) + 3;  // the steps before the alarm fit in 2 s even under load
    const { stub, key, row, epoch } = await leased(mf, { expires });
    const mpu = await r2.createMultipartUpload(key, { httpMetadata: { contentType: "video/mp4" } });
    const part = await mpu.uploadPart(1, bytes(4));
    assert.equal(await stub.setUpload(epoch, mpu.uploadId), true);
    await stub.appendTail(epoch, 0, bytes(4), 1, T0, LEASE, false);
    await stub.recordPart(epoch, 1, part.etag, 4, 1, false, T0, LEASE);
    assert.equal(await until(() => stub.state(), (s) => s === null), null);
    assert.equal(await stub.alarmAt(), null);
    await waitForLog(from, () => loggedEvents(from).filter((e) => e.event === "media.upload.expired").length);
    const line = loggedEvents(from).find((e) => e.event === "media.upload.expired");
    assert.deepEqual([line.upload, line.state, line.offset, line.length], [row.id, "open", 4, 10]);
    assert.ok(!JSON.stringify(line).includes(key), "the key is not logged");
    // One data point too (docs/OBSERVABILITY.md), in the request points' shape.
    await waitForLog(from, () => workerLog.slice(from).filter((l) => l.includes("METRIC") && l.includes("media.upload.expired")).length);
    const point = JSON.parse(workerLog.slice(from).find((l) => l.includes("METRIC") && l.includes("media.upload.expired")).replace(/^.*?METRIC /, ""));
    assert.deepEqual(point, { indexes: ["upload_expired"], blobs: ["media.upload.expired", "upload_expired", "put", "none", "", "ALARM"], doubles: [0, 4, 0, 0] });
    assert.ok(!JSON.stringify(point).includes(key), "the key is not in the point");
    await assert.rejects(r2.resumeMultipartUpload(key, mpu.uploadId).complete([part]), "the upload was aborted");
    assert.equal(await r2.head(key), null);
  });

  it("a done upload's rows are deleted at the alarm, with no R2 call and no expiry line", async () => {
    const { stub, epoch } = await leased(mf, { expires: Math.floor(Date.now() / 1000) + 3 });
    await stub.setUpload(epoch, "no-such-upload"); // an abort of it would fail
    assert.equal(await stub.done(epoch, "etag", 10), true);
    const from = workerLog.length;
    await until(() => stub.state(), (s) => s === null);
    assert.equal(await stub.alarmAt(), null);
    assert.equal(loggedEvents(from).filter((e) => e.event === "media.upload.expired" || e.reason === "upload_abort_failed").length, 0);
  });
});

describe("UploadState: the alarm when R2 fails", () => {
  let mf;
  before(async () => (mf = await startGate({ ...PROBE, failingBucket: true })));
  after(async () => mf?.dispose());

  it("re-arms a minute later instead of throwing; the row stays, fenced and aborting", async () => {
    const from = workerLog.length;
    const expires = Math.floor(Date.now() / 1000) + 3;
    const { stub, epoch } = await leased(mf, { expires });
    assert.equal(await stub.setUpload(epoch, "mpu-1"), true);
    const at = await until(() => stub.alarmAt(), (a) => a !== expires * 1000);
    assert.ok(at >= expires * 1000 + 60000, `re-armed at least 60 s after the expiry: ${at - expires * 1000}`);
    const s = plain(await stub.state());
    assert.deepEqual([s.state, s.epoch, s.leaseUntil, s.mpuId], ["aborting", epoch + 1, 0, "mpu-1"]);
    await waitForLog(from, () => loggedEvents(from).filter((e) => e.reason === "upload_abort_failed").length);
    assert.equal(loggedEvents(from).filter((e) => e.event === "media.upload.expired").length, 0);
  });
});

describe("UploadState: persistence", () => {
  it("the rows, tail bytes and alarm survive a restart on the same persist dir", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "mediagate-upstate-"));
    try {
      let mf = await startGate({ ...PROBE, persistDir: dir });
      const { stub, key, epoch } = await leased(mf, { length: 8 * MiB, partSize: 5 * MiB });
      const body = bytes(MiB + 5, 4);
      await stub.appendTail(epoch, 0, body, 1, T0, LEASE, true);
      await stub.setUpload(epoch, "mpu-9");
      const kept = plain(await stub.state());
      await mf.dispose();
      mf = await startGate({ ...PROBE, persistDir: dir, seed: false });
      try {
        const ns = await mf.getDurableObjectNamespace("MEDIA_UPLOAD_STATE");
        const again = ns.get(ns.idFromName(key));
        assert.deepEqual(plain(await again.state()), kept);
        assert.deepEqual(await again.readTail(epoch), body);
        assert.equal(await again.alarmAt(), kept.expires * 1000);
      } finally {
        await mf.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
