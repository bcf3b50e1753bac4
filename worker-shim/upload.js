// Upload I/O of the Worker shim (docs/UPLOADS.md): the request body as the
// core's plans ask for it, and nothing else. `sniff` reads the body's first
// bytes for the core's signature check; `put` streams the body to R2 in one
// conditional put that cannot overwrite, hashing it (MD5) on the way so the
// core can tell a retry of the same bytes from other bytes. The body is never
// held whole: the bytes read by `sniff` are the only ones kept, until the put
// takes them. No policy: which checks run, in which order, and what each
// outcome answers are the core's (wasm/src/decision.cc, "Uploads").
import { RESULT, storedObject } from "./core.js";

// A plan's operation timed out (the core's deadline, as storage.js's DEADLINE).
const STALLED = new Error("upload stalled past the deadline");

export function hex(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return s;
}

// Bytes asked for per read of the body. The body is read with a BYOB reader
// into buffers of this size: a read answers what has arrived, up to the
// buffer (the default reader answers 4 KiB chunks, so a 32 MiB body cost
// 8,192 trips through the JS below, and R2 took as many small writes;
// docs/PERFORMANCE.md, "Uploads"). A slow client still makes progress with
// each read, however small.
const CHUNK = 256 * 1024;

// Memory the put's stream reads (and hashes) ahead of what R2 has taken, so
// that the client's bytes keep arriving while R2 takes the ones before
// (without it each chunk waited for R2 to ask for it). Counted in the
// chunks' buffers, not their bytes (a slow client's short reads each hold
// a whole buffer): the body is never held whole.
const READ_AHEAD = { highWaterMark: 1024 * 1024, size: (chunk) => chunk.buffer.byteLength };

// One upload's body: its reader (BYOB when the body is a byte stream, as
// the runtime's request bodies are), the chunks `sniff` read (handed to the
// put first), and whether it failed (ended early, errored, or held other
// than the declared bytes).
export function uploadBody(request) {
  return { reader: request.body ? bodyReader(request.body) : null, prefix: [], failed: false };
}

function bodyReader(body) {
  try {
    return { byob: true, r: body.getReader({ mode: "byob" }) };
  } catch {
    return { byob: false, r: body.getReader() };
  }
}

// The body's next chunk: { done, value }, as a reader's read().
export async function readBody(u) {
  const { byob, r } = u.reader;
  for (;;) {
    const got = await (byob ? r.read(new Uint8Array(CHUNK)) : r.read());
    if (got.done || got.value.byteLength > 0) return got;
  }
}

// Releases a body the core refused before the put took it.
export function releaseBody(u) {
  if (u && u.reader) u.reader.r.cancel().catch(() => {});
}

// The first `d.plan.length` bytes (fewer only when the body ends first): the
// storage facts mg_finish reads for a sniff.
export async function sniff(u, d) {
  const want = d.plan.length;
  let got = 0;
  try {
    while (u.reader && got < want) {
      const { done, value } = await readBody(u);
      if (done) break;
      u.prefix.push(value);
      got += value.byteLength;
    }
  } catch {
    u.failed = true;
  }
  if (u.failed || got < want) {
    u.failed = true;
    return { result: RESULT.incomplete, source: "storage" };
  }
  const head = new Uint8Array(want);
  let at = 0;
  for (const chunk of u.prefix) {
    const n = Math.min(chunk.byteLength, want - at);
    head.set(chunk.subarray(0, n), at);
    at += n;
    if (at === want) break;
  }
  return { result: RESULT.ok, source: "storage", head: hex(head) };
}

// The body as one stream of exactly `length` bytes (the runtime's
// FixedLengthStream, so R2 knows its size), hashed as it is read. Reads
// at most READ_AHEAD ahead of what R2 has taken. A body that ends early, carries more, or
// errors marks the upload failed and errors the stream, so R2 stores
// nothing. `progress` is called on every chunk (the stall deadline).
// `rest()` hashes what R2 did not read (a put refused because the key is
// taken), so that `md5` always covers the whole body.
function bodyStream(u, length, progress) {
  const digest = new crypto.DigestStream("MD5");
  const hash = digest.getWriter();
  let seen = 0;
  let ended = false;
  // The next chunk, hashed; null at the end. Throws when the body fails.
  const read = async () => {
    if (ended) return null;
    let chunk = u.prefix.shift();
    if (!chunk) {
      const r = await readBody(u);
      if (r.done) {
        ended = true;
        if (seen !== length) throw new Error("body shorter than content-length");
        await hash.close();
        return null;
      }
      chunk = r.value;
    }
    seen += chunk.byteLength;
    if (seen > length) throw new Error("body longer than content-length");
    await hash.write(chunk);
    return chunk;
  };
  // One read at a time, in order: R2's pulls and rest() may overlap.
  let lock = Promise.resolve();
  const next = () => {
    const p = lock.then(read);
    lock = p.catch(() => {});
    return p;
  };
  const failed = (err) => {
    u.failed = true;
    hash.abort(err).catch(() => {});
    releaseBody(u);
  };
  const source = new ReadableStream({
    async pull(controller) {
      progress();
      try {
        const chunk = await next();
        if (chunk === null) controller.close();
        else controller.enqueue(chunk);
      } catch (err) {
        failed(err);
        controller.error(err);
      }
    },
  }, READ_AHEAD);
  const fixed = new FixedLengthStream(length);
  source.pipeTo(fixed.writable).catch(() => {});
  const md5 = digest.digest.then((b) => hex(new Uint8Array(b)), () => "");
  const rest = async () => {
    try {
      while (!ended && !u.failed && (await next()) !== null) progress();
    } catch (err) {
      failed(err);
    }
    return md5;
  };
  return { stream: fixed.readable, md5, rest };
}

// Performs the core's put: the body under d.key, only if the key holds
// nothing (R2's onlyIf, etagDoesNotMatch "*"), stored with the core's
// content type and nothing else of the request's. Never throws. A put that
// makes no progress for d.deadline ms (R2 not taking bytes, or not
// answering once the body is in) is RESULT.timeout; its stream is errored,
// so a put still reading stores nothing.
export async function put(bucket, u, d) {
  let timer;
  let stalled;
  const stall = new Promise((_, reject) => (stalled = reject));
  const progress = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stalled(STALLED), d.deadline);
  };
  progress();
  const body = bodyStream(u, d.upload.length, progress);
  const write = bucket.put(d.key, body.stream, {
    httpMetadata: { contentType: d.upload.type },
    onlyIf: { etagDoesNotMatch: "*" },
  });
  try {
    const obj = await Promise.race([write, stall]);
    if (obj !== null) return { ...storedObject(obj), bodyMd5: await body.md5 };
    // The key is taken: the core compares what it holds with this body.
    const bodyMd5 = await Promise.race([body.rest(), stall]);
    return u.failed ? incomplete() : { result: RESULT.exists, source: "storage", bodyMd5 };
  } catch (err) {
    if (err === STALLED) {
      write.catch(() => {});
      u.failed = true;
      releaseBody(u);
      return { result: RESULT.timeout, source: "storage" };
    }
    return u.failed ? incomplete() : { result: RESULT.error, source: "storage" };
  } finally {
    clearTimeout(timer);
  }
}

function incomplete() {
  return { result: RESULT.incomplete, source: "storage" };
}

// The head after a put found the key taken: the stored object's facts and
// MD5 (R2's checksums.md5; none for a multipart object), with the body's.
export function compared(obj, bodyMd5) {
  const md5 = obj.checksums && obj.checksums.md5 ? hex(new Uint8Array(obj.checksums.md5)) : "";
  return { ...storedObject(obj), storedMd5: md5, bodyMd5 };
}
