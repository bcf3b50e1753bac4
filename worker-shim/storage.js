// Storage I/O of the Worker shim: the R2 request of a plan the core handed
// over, performed within the core's deadline, and bodies held to the length
// the core decided. No policy: the plan, the deadline and the length are the
// core's (docs/ARCHITECTURE.md, "The Wasm ABI").
import { storedObject, RESULT, OP, KIND } from "./core.js";

// The R2 request of a fetch decision's plan: the operation and the options
// object for R2's get ({} for a whole object, and for head). The one
// translation of a plan: the edge cache lookup's Range header is made from
// these options (rangeHeader), never from the plan again.
export function storageRequest(plan) {
  const op = OP[plan.op];
  const kind = KIND[plan.kind];
  if (op !== "get") return { op, options: {} };
  if (kind === "offset_length") return { op, options: { range: { offset: plan.offset, length: plan.length } } };
  if (kind === "offset") return { op, options: { range: { offset: plan.offset } } };
  if (kind === "suffix") return { op, options: { range: { suffix: plan.suffix } } };
  return { op, options: {} };
}

// The HTTP Range header (RFC 9110 14.1.2) that asks for the bytes an R2
// range asks for, or undefined for the whole object.
export function rangeHeader(range) {
  if (range === undefined) return undefined;
  if (range.suffix !== undefined) return `bytes=-${range.suffix}`;
  if (range.length !== undefined) return `bytes=${range.offset}-${range.offset + range.length - 1}`;
  return `bytes=${range.offset}-`;
}

// What beforeDeadline rejects with once the deadline has passed.
export const DEADLINE = new Error("deadline exceeded");

// `read`'s result, or a rejection with DEADLINE once `ms` milliseconds have
// passed (a deadline of the core's). A result that arrives late is released unread.
export function beforeDeadline(read, ms) {
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
export async function perform(bucket, d) {
  const { op, options } = storageRequest(d.plan);
  try {
    const read = op === "head" ? bucket.head(d.key) : bucket.get(d.key, options);
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

// workerd's FixedLengthStream (absent only where this file is loaded outside
// workerd, as the decision benchmark does in Node with stand-in bodies).
const FIXED_LENGTH = typeof FixedLengthStream === "function";

// `body` held to `length` bytes, the content-length the core decided: storage
// that hands back fewer or more bytes errors the stream (the client sees a
// truncated transfer) instead of completing it with the wrong bytes. The
// length stays known to the runtime, so content-length is sent as decided.
export function exactLength(body, length) {
  if (!FIXED_LENGTH) return body;
  const { readable, writable } = new FixedLengthStream(length);
  // A mismatch, or the reader gone, ends the copy. A copy that could not
  // even start leaves the writable open: error it, so no reader waits forever.
  body.pipeTo(writable).catch((err) => writable.abort(err).catch(() => {}));
  return readable;
}

// Releases a body nobody will read.
export function discard(obj) {
  if (obj && obj.body) obj.body.cancel().catch(() => {});
}
