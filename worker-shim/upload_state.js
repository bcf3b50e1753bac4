// The state of one resumable (tus) upload: a SQLite-backed Durable Object,
// one per key (MEDIA_UPLOAD_STATE.idFromName(key); docs/UPLOADS.md, "The
// upload state object"). It decides nothing: the core hands it every time
// and value, and each method applies only the compare-and-set preconditions
// named at it, reporting a failed one as a fact (null or false). Each method
// is one synchronous transactionSync with no await inside, so it is atomic
// whatever the input gate lets interleave; the bytes it holds (the tail) are
// durable when the method returns. The alarm is the one place it calls R2.
import { DurableObject } from "cloudflare:workers";

// A tail row holds at most this many bytes (SQLite rows stay far below the
// 2 MB limit; 1-byte appends extend the last row instead of adding rows).
const TAIL_ROW_BYTES = 1 << 20;
// Retrying an alarm whose R2 abort failed: one minute later, for as long as
// it fails (the platform's own retries stop after six).
const ALARM_RETRY_MS = 60 * 1000;
// terminate()'s safety net: the alarm finishes a DELETE the shim could not.
const TERMINATE_ALARM_MS = 30 * 1000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS upload (
    id TEXT NOT NULL, key TEXT NOT NULL, ct TEXT NOT NULL, length INTEGER NOT NULL,
    part_size INTEGER NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL,
    token_e INTEGER NOT NULL,
    committed INTEGER NOT NULL,   -- the offset: every byte below it is durable
    parts_end INTEGER NOT NULL,   -- bytes held by recorded parts
    mpu_id TEXT NOT NULL,         -- the R2 multipart upload, "" until the first part
    family_ok INTEGER NOT NULL,   -- 1 once the first bytes passed the family check
    state TEXT NOT NULL,          -- open | completing | done | aborting
    epoch INTEGER NOT NULL,       -- fences every mutating call
    lease_until INTEGER NOT NULL  -- ms; 0: no lease
  );
  CREATE TABLE IF NOT EXISTS part (n INTEGER PRIMARY KEY, etag TEXT NOT NULL);
  -- Contiguous bytes parts_end..committed, each row at most TAIL_ROW_BYTES.
  CREATE TABLE IF NOT EXISTS tail (start INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
`;

// A fresh row's epoch: random below 2^52 (begin() counts up from it), so a
// PATCH fenced off an earlier upload of this key never matches a later one.
function firstEpoch() {
  const [hi, lo] = crypto.getRandomValues(new Uint32Array(2));
  return (hi & 0xfffff) * 2 ** 32 + lo;
}

export class UploadState extends DurableObject {
  #sql;

  constructor(ctx, env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(SCHEMA); // IF NOT EXISTS: synchronous, before any call is delivered
  }

  // The upload row as a plain object, or null.
  #row() {
    const r = this.#sql.exec("SELECT * FROM upload").toArray()[0];
    if (r === undefined) return null;
    return {
      id: r.id, key: r.key, ct: r.ct, length: r.length, partSize: r.part_size,
      created: r.created, expires: r.expires, tokenE: r.token_e, committed: r.committed,
      partsEnd: r.parts_end, mpuId: r.mpu_id, familyOk: r.family_ok, state: r.state,
      epoch: r.epoch, leaseUntil: r.lease_until,
    };
  }

  // The row, when it exists and `epoch` is its epoch; else null (stale).
  #current(epoch) {
    const row = this.#row();
    return row !== null && row.epoch === epoch ? row : null;
  }

  #set(assignments, ...values) {
    this.#sql.exec(`UPDATE upload SET ${assignments}`, ...values);
  }

  #deleteAll() {
    this.#sql.exec("DELETE FROM upload; DELETE FROM part; DELETE FROM tail");
  }

  state() {
    return this.ctx.storage.transactionSync(() => this.#row());
  }

  // Inserts the upload unless one is there that is not done (one open upload
  // per key); the alarm is set at its expiry.
  create({ id, key, ct, length, partSize, created, expires, tokenE }) {
    return this.ctx.storage.transactionSync(() => {
      const existing = this.#row();
      if (existing !== null && existing.state !== "done") return { created: false, snapshot: existing };
      this.#deleteAll();
      this.#sql.exec(
        "INSERT INTO upload VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, '', 0, 'open', ?, 0)",
        id, key, ct, length, partSize, created, expires, tokenE, firstEpoch(),
      );
      this.ctx.storage.setAlarm(expires * 1000);
      return { created: true, snapshot: this.#row() };
    });
  }

  // A lease for one PATCH: granted (a new epoch) only when no live lease is
  // held and the committed offset is the one the client claimed.
  begin(nowMs, claimed, leaseMs) {
    return this.ctx.storage.transactionSync(() => {
      const row = this.#row();
      if (row === null) return { lease: "none", snapshot: null };
      if (row.leaseUntil > nowMs) return { lease: "held", snapshot: row };
      if (row.committed !== claimed) return { lease: "mismatch", snapshot: row };
      this.#set("epoch = epoch + 1, lease_until = ?", nowMs + leaseMs);
      return { lease: "granted", snapshot: this.#row() };
    });
  }

  // The tail's bytes (parts_end..committed), or null when `epoch` is stale.
  readTail(epoch) {
    return this.ctx.storage.transactionSync(() => {
      if (this.#current(epoch) === null) return null;
      const rows = this.#sql.exec("SELECT bytes FROM tail ORDER BY start").toArray();
      const out = new Uint8Array(rows.reduce((n, r) => n + r.bytes.byteLength, 0));
      let at = 0;
      for (const r of rows) {
        out.set(new Uint8Array(r.bytes), at);
        at += r.bytes.byteLength;
      }
      return out;
    });
  }

  // Makes `bytes` durable at offset `at` (only when `at` is the committed
  // offset): the last tail row is extended up to TAIL_ROW_BYTES, the rest
  // goes in new rows. The offset moves in the same transaction.
  appendTail(epoch, at, bytes, familyOk, nowMs, leaseMs, release) {
    return this.ctx.storage.transactionSync(() => {
      const row = this.#current(epoch);
      if (row === null || row.committed !== at) return null;
      if (!(bytes instanceof Uint8Array)) bytes = new Uint8Array(bytes); // an ArrayBuffer
      let rest = bytes;
      const last = this.#sql.exec("SELECT start, bytes FROM tail ORDER BY start DESC LIMIT 1").toArray()[0];
      if (last !== undefined && last.bytes.byteLength < TAIL_ROW_BYTES && rest.length > 0) {
        const take = Math.min(TAIL_ROW_BYTES - last.bytes.byteLength, rest.length);
        const grown = new Uint8Array(last.bytes.byteLength + take);
        grown.set(new Uint8Array(last.bytes));
        grown.set(rest.subarray(0, take), last.bytes.byteLength);
        this.#sql.exec("UPDATE tail SET bytes = ? WHERE start = ?", grown, last.start);
        rest = rest.subarray(take);
      }
      for (let start = at + bytes.length - rest.length; rest.length > 0; ) {
        const chunk = rest.subarray(0, TAIL_ROW_BYTES);
        this.#sql.exec("INSERT INTO tail VALUES (?, ?)", start, chunk);
        start += chunk.length;
        rest = rest.subarray(chunk.length);
      }
      this.#set(
        "committed = committed + ?, family_ok = family_ok | ?, lease_until = ?",
        bytes.length, familyOk ? 1 : 0, release ? 0 : nowMs + leaseMs,
      );
      return this.#row();
    });
  }

  // The multipart upload made for the first part.
  setUpload(epoch, mpuId) {
    return this.ctx.storage.transactionSync(() => {
      if (this.#current(epoch) === null) return false;
      this.#set("mpu_id = ?", mpuId);
      return true;
    });
  }

  // Records part k (bytes up to `end`), which R2 now holds: only the next part
  // of the grid, (k-1) * part size being where the recorded parts end. The
  // tail rows it was cut from go in the same transaction.
  recordPart(epoch, k, etag, end, familyOk, completing, nowMs, leaseMs) {
    return this.ctx.storage.transactionSync(() => {
      const row = this.#current(epoch);
      if (row === null || row.partsEnd !== (k - 1) * row.partSize || !(end > row.partsEnd)) return null;
      this.#sql.exec("DELETE FROM tail");
      this.#sql.exec("INSERT OR REPLACE INTO part VALUES (?, ?)", k, etag);
      this.#set(
        "parts_end = ?, committed = max(committed, ?), family_ok = family_ok | ?, lease_until = ?" +
          (completing ? ", state = 'completing'" : ""),
        end, end, familyOk ? 1 : 0, nowMs + leaseMs,
      );
      return this.#row();
    });
  }

  // The recorded parts, as R2's complete() takes them.
  parts(epoch) {
    return this.ctx.storage.transactionSync(() => {
      if (this.#current(epoch) === null) return null;
      return this.#sql
        .exec("SELECT n, etag FROM part ORDER BY n")
        .toArray()
        .map((r) => ({ partNumber: r.n, etag: r.etag }));
    });
  }

  // The object is stored. The row stays, as "done", until the alarm, so a
  // retried POST or HEAD is answered well. (etag and size are not kept.)
  done(epoch, etag, size) {
    return this.ctx.storage.transactionSync(() => {
      if (this.#current(epoch) === null) return false;
      this.#sql.exec("DELETE FROM part; DELETE FROM tail");
      this.#set("state = 'done', lease_until = 0");
      return true;
    });
  }

  release(epoch) {
    return this.ctx.storage.transactionSync(() => {
      if (this.#current(epoch) === null) return false;
      this.#set("lease_until = 0");
      return true;
    });
  }

  // DELETE's first step: fences every PATCH (a new epoch) and marks the row
  // aborting; the alarm, soon, finishes the cleanup if the shim cannot.
  terminate() {
    return this.ctx.storage.transactionSync(() => {
      if (this.#row() === null) return null;
      this.#set("epoch = epoch + 1, state = 'aborting'");
      this.ctx.storage.setAlarm(Date.now() + TERMINATE_ALARM_MS);
      return this.#row();
    });
  }

  clear() {
    return this.ctx.storage.transactionSync(() => {
      this.#deleteAll();
      this.ctx.storage.deleteAlarm();
    });
  }

  // Expiry (and the safety net of terminate): aborts the multipart upload and
  // deletes the state. The row is fenced first (a new epoch, "aborting"), the
  // R2 call runs outside any transaction, and the rows go only if they still
  // belong to the upload aborted. An R2 failure re-arms the alarm instead of
  // throwing, so the cleanup outlives the platform's retries.
  async alarm() {
    const row = this.ctx.storage.transactionSync(() => {
      const r = this.#row();
      if (r === null || r.state === "done") {
        this.#deleteAll();
        return null;
      }
      this.#set("epoch = epoch + 1, state = 'aborting', lease_until = 0");
      return r;
    });
    if (row === null) return;
    if (row.mpuId !== "") {
      try {
        await this.env.MEDIA_BUCKET.resumeMultipartUpload(row.key, row.mpuId).abort();
      } catch (err) {
        this.ctx.storage.setAlarm(Date.now() + ALARM_RETRY_MS);
        // The error's message only: never the key (which the core alone redacts).
        console.error(JSON.stringify({ ts: Date.now(), event: "media.worker.error", reason: "upload_abort_failed", upload: row.id, error: String(err && err.message) }));
        return;
      }
    }
    this.ctx.storage.transactionSync(() => {
      if (this.#row()?.id === row.id) this.#deleteAll();
    });
    // The upload id, not the key: the key may hold token-shaped text, which
    // only the core redacts (docs/OBSERVABILITY.md).
    console.log(JSON.stringify({ ts: Date.now(), event: "media.upload.expired", upload: row.id, state: row.state, offset: row.committed, length: row.length }));
    // And its data point, in the request points' shape (worker-shim/observe.js):
    // no status and no bytes served; the committed offset as bytes.
    const metrics = this.env.MEDIA_METRICS;
    if (metrics && typeof metrics.writeDataPoint === "function") {
      try {
        metrics.writeDataPoint({ indexes: ["upload_expired"], blobs: ["media.upload.expired", "upload_expired", "put", "none", "", "ALARM"], doubles: [0, row.committed, 0, 0] });
      } catch {}
    }
  }
}
