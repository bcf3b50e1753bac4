// Resumable uploads (tus 1.0) in the Worker shim (docs/UPLOADS.md,
// "Resumable uploads"): performs the core's tus operations against the
// upload's state object (worker-shim/upload_state.js) and R2, and reports
// what happened. No policy: which op runs, at which offset, where a part
// ends, whether the first bytes pass, and every answer are the core's
// (wasm/src/decision.cc, "Resumable uploads"). This file moves bytes on the
// grid the core fixed (part k is bytes [(k-1)P, min(kP, L))) and passes the
// state object's compare-and-set preconditions what it was told.
import { RESULT, OP, tusFacts, storedObject } from "./core.js";
import { perform, beforeDeadline, DEADLINE } from "./storage.js";
import { uploadBody, readBody, releaseBody, hex } from "./upload.js";

// The R2 object's marker of the upload that made it, so that a completion
// retried after a lost answer knows its own object (never served: R2
// custom metadata is not sent by the read path).
const UPLOAD_ID = "mediagate-upload";

// The ops this file performs (a tus request's first op is always one).
export const TUS_OPS = new Set(["tus_state", "tus_begin", "tus_create", "tus_patch", "tus_complete", "tus_terminate"]);

function stateObject(env, key) {
  const ns = env.MEDIA_UPLOAD_STATE;
  return ns.get(ns.idFromName(key));
}

function concat(chunks, length) {
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function reported(result, snapshot, lease) {
  return { result, source: "storage", tus: tusFacts(snapshot, lease) };
}

// One tus request: its state object, the last snapshot it saw, the epoch of
// the lease it holds (a PATCH), and its body.
export function tusRequest(request, env, ctx, key) {
  const stub = stateObject(env, key);
  const bucket = env.MEDIA_BUCKET;
  const t = { snapshot: null, epoch: null, body: null, deadline: 0 };
  // An R2 call, bounded by the core's deadline (MEDIA_STORAGE_TIMEOUT_MS):
  // one still pending then is RESULT.timeout.
  const r2 = (call) => beforeDeadline(call, t.deadline);

  // The first bytes of the upload for the core's family check: what the
  // state object holds, then this body's (kept, for the part they start).
  async function sniff(d) {
    const want = d.plan.length;
    const stored = t.snapshot ? t.snapshot.committed : 0;
    const head = [];
    let got = 0;
    if (stored > 0) {
      const tail = await stub.readTail(t.epoch);
      if (tail === null) return reported(RESULT.stale, t.snapshot);
      const n = Math.min(tail.byteLength, want);
      head.push(tail.subarray(0, n));
      got = n;
    }
    let ended = false;
    try {
      while (t.body.reader && got < want) {
        const { done, value } = await readBody(t.body);
        if (done) break;
        t.body.prefix.push(value);
        const n = Math.min(value.byteLength, want - got);
        head.push(value.subarray(0, n));
        got += n;
      }
    } catch {
      ended = true;
    }
    if (ended) t.body.failed = true;
    return { ...reported(got < want ? RESULT.incomplete : RESULT.ok, t.snapshot), head: hex(concat(head, got)) };
  }

  // The body's next chunk, null at its end; a body that fails reads as
  // ended (t.body.failed): what arrived is still kept.
  async function nextChunk() {
    const kept = t.body.prefix.shift();
    if (kept) return kept;
    if (!t.body.reader || t.body.failed) return null;
    try {
      const { done, value } = await readBody(t.body);
      return done ? null : value;
    } catch {
      t.body.failed = true;
      return null;
    }
  }

  // Whether this request's epoch is no longer the upload's (another PATCH,
  // a DELETE or the alarm fenced it off); false when that cannot be read.
  async function fenced() {
    try {
      const now = await stub.state();
      return now === null || now.epoch !== t.epoch;
    } catch {
      return false;
    }
  }

  // The multipart upload of the key (made when the first part is cut).
  async function multipart(ct) {
    const s = t.snapshot;
    if (s.mpuId) return bucket.resumeMultipartUpload(s.key, s.mpuId);
    const mpu = await r2(bucket.createMultipartUpload(s.key, { httpMetadata: { contentType: ct }, customMetadata: { [UPLOAD_ID]: s.id } }));
    if (!(await stub.setUpload(t.epoch, mpu.uploadId))) throw STALE;
    t.snapshot = { ...s, mpuId: mpu.uploadId };
    return mpu;
  }

  // PATCH's bytes, on the core's grid: every whole part to R2 (two parts in
  // flight at most: a full part starts while the one before it may still be
  // uploading), then what is left after the last part
  // boundary to the state object's tail. Every byte the state object
  // records is durable; only recorded bytes are ever acknowledged.
  async function patch(d) {
    const P = d.tus.partSize;
    const L = d.plan.length;
    const family = d.tus.familyOk;
    const lease = d.tus.lease;
    const s0 = t.snapshot;
    let partStart = s0.partsEnd;
    let tailLen = s0.committed - s0.partsEnd;  // durable, in the state object, not in memory
    let received = 0;
    let overflow = false;
    let failure = null;
    let inflight = Promise.resolve();
    // Uploads of at most one part never make a multipart upload: their
    // bytes go to the tail, and the completion puts them in one conditional put.
    const single = L <= P;
    let partLen = Math.min(P, L - partStart);
    let buf = new Uint8Array(single ? L - s0.committed : partLen);
    let fill = single ? 0 : tailLen;

    // Part k goes to R2 while part k-1 (`before`) may still be uploading;
    // the state object records it only after part k-1, so in grid order.
    let mpu = null;
    const cut = async (bytes, k, end, last, before) => {
      mpu ??= multipart(t.snapshot.ct);
      const part = await r2((await mpu).uploadPart(k, bytes));
      await before;
      const snap = await stub.recordPart(t.epoch, k, part.etag, end, family, last, Date.now(), lease);
      if (snap === null) throw STALE;
      t.snapshot = snap;
    };

    for (;;) {
      const chunk = await nextChunk();
      if (chunk === null) break;
      received += chunk.byteLength;
      if (s0.committed + received > L) {
        overflow = true;
        break;
      }
      let at = 0;
      while (at < chunk.byteLength) {
        const n = Math.min(chunk.byteLength - at, buf.byteLength - fill);
        buf.set(chunk.subarray(at, at + n), fill);
        fill += n;
        at += n;
        if (single || fill < buf.byteLength) continue;
        // A whole part: the tail it starts with, then this body's bytes.
        try {
          if (tailLen > 0) {
            const tail = await stub.readTail(t.epoch);
            if (tail === null || tail.byteLength !== tailLen) throw STALE;
            buf.set(tail, 0);
            tailLen = 0;
          }
        } catch (err) {
          failure = err;
          break;
        }
        const k = partStart / P + 1;
        const end = partStart + partLen;
        const before = inflight;
        inflight = cut(buf, k, end, end === L, before);
        partStart = end;
        partLen = Math.min(P, L - partStart);
        // Two parts in flight at most, so two buffers: the next one fills
        // once the part before this one is recorded.
        try {
          await before;
        } catch (err) {
          failure = err;
          break;
        }
        buf = new Uint8Array(partLen);
        fill = 0;
      }
      if (failure) break;
    }
    try {
      await inflight;
    } catch (err) {
      failure = failure ?? err;
    }
    releaseBody(t.body);
    if (overflow) return reported(RESULT.overflow, t.snapshot);
    // R2 refusing a part because another request took the upload over (a
    // DELETE aborted the multipart upload): that is the fact to report.
    if (failure && failure !== STALE && (await fenced())) failure = STALE;
    if (failure) return reported(failure === STALE ? RESULT.stale : failure === DEADLINE ? RESULT.timeout : RESULT.error, t.snapshot);
    // The bytes after the last part boundary: durable once the state object has them.
    const start = single ? 0 : tailLen;
    if (fill > start) {
      try {
        const snap = await stub.appendTail(t.epoch, t.snapshot.committed, buf.slice(start, fill), family, Date.now(), lease, false);
        if (snap === null) return reported(RESULT.stale, t.snapshot);
        t.snapshot = snap;
      } catch {
        return reported(RESULT.error, t.snapshot);
      }
    }
    return reported(t.body.failed ? RESULT.incomplete : RESULT.ok, t.snapshot);
  }

  // The object from the upload's bytes, never over another object: ours
  // already there (a completion retried), R2's conditional put (one part),
  // or the multipart completion after a head.
  async function complete(d) {
    const s = t.snapshot;
    const epoch = t.epoch ?? s.epoch;
    const existing = await r2(bucket.head(s.key));
    let obj = null;
    if (existing) {
      if (existing.customMetadata?.[UPLOAD_ID] !== s.id) return reported(RESULT.exists, s);
      obj = existing;
    } else if (!s.mpuId) {
      const bytes = await stub.readTail(epoch);
      if (bytes === null) return reported(RESULT.stale, s);
      obj = await r2(bucket.put(s.key, bytes, { httpMetadata: { contentType: s.ct }, customMetadata: { [UPLOAD_ID]: s.id }, onlyIf: { etagDoesNotMatch: "*" } }));
      if (obj === null) {
        // Taken since the head: by this upload's other completion (a HEAD
        // and a PATCH at once), or by another writer.
        obj = await r2(bucket.head(s.key));
        if (obj?.customMetadata?.[UPLOAD_ID] !== s.id) return reported(RESULT.exists, s);
      }
    } else {
      const parts = await stub.parts(epoch);
      if (parts === null) return reported(RESULT.stale, s);
      obj = await r2(bucket.resumeMultipartUpload(s.key, s.mpuId).complete(parts));
    }
    if (!(await stub.done(epoch, obj.httpEtag, obj.size))) return reported(RESULT.stale, s);
    const done = { ...s, state: "done", committed: d.upload.length };
    t.snapshot = done;
    return { ...storedObject(obj), tus: tusFacts(done) };
  }

  // Removes the upload's parts from R2: true when there were none or R2 took
  // the abort.
  async function abortParts(s) {
    if (!s || !s.mpuId) return true;
    return r2(bucket.resumeMultipartUpload(s.key, s.mpuId).abort()).then(() => true, () => false);
  }

  // The upload's parts and state, gone. When R2 does not take the abort,
  // the row stays `aborting` with its alarm 30 s out (terminate()), and the
  // alarm retries the abort until it succeeds: no part is left behind.
  async function terminate() {
    const snap = await stub.terminate();
    if (await abortParts(snap)) await stub.clear();
    return reported(RESULT.ok, snap);
  }

  async function op(d, facts) {
    switch (OP[d.plan.op]) {
      case "tus_state":
        t.snapshot = await stub.state();
        return reported(RESULT.ok, t.snapshot);
      case "tus_begin": {
        const r = await stub.begin(Date.now(), d.plan.offset, d.tus.lease);
        t.snapshot = r.snapshot;
        if (r.lease === "granted") t.epoch = r.snapshot.epoch;
        return reported(RESULT.ok, r.snapshot, r.lease);
      }
      case "tus_create": {
        const row = { id: crypto.randomUUID(), key: d.key, ct: d.upload.type, length: d.upload.length, partSize: d.tus.partSize, created: facts.now, expires: d.tus.expires, tokenE: 0 };
        const r = await stub.create(row);
        t.snapshot = r.snapshot;
        return reported(r.created ? RESULT.ok : RESULT.exists, r.snapshot);
      }
      case "head": {
        const { storage } = await perform(bucket, d);
        return { ...storage, tus: tusFacts(t.snapshot) };
      }
      case "sniff":
        return sniff(d);
      case "tus_patch": {
        // Runs to the end even when the client goes away: the bytes that
        // arrived are made durable (docs/UPLOADS.md, "The byte loop").
        const running = patch(d);
        ctx.waitUntil(running.catch(() => {}));
        return running;
      }
      case "tus_complete":
        return complete(d);
      case "tus_terminate":
        return terminate();
    }
    return { result: RESULT.error, source: "storage" };
  }

  return {
    // Performs the core's op; never throws (a failed call is RESULT.error).
    async perform(d, facts) {
      t.deadline = d.deadline;
      if (OP[d.plan.op] === "sniff" || OP[d.plan.op] === "tus_patch") t.body = t.body ?? uploadBody(request);
      try {
        return await op(d, facts);
      } catch (err) {
        return reported(err === STALE ? RESULT.stale : err === DEADLINE ? RESULT.timeout : RESULT.error, t.snapshot);
      }
    },
    // What the answer asks for first: abort the upload (a refusal stores
    // nothing), or give the PATCH's lease back.
    async settle(d) {
      releaseBody(t.body);
      try {
        if (d.abort) {
          const s = t.snapshot ?? (await stub.state());
          if (await abortParts(s)) await stub.clear();
          else await stub.terminate();
        } else if (d.release && t.epoch !== null) {
          await stub.release(t.epoch);
        }
      } catch {
        // The lease lapses by itself; an upload left behind expires (its alarm).
      }
    },
  };
}

// A state object call refused this request's epoch: another request took the upload over.
const STALE = new Error("the upload was taken over");
