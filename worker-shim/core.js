// The Wasm core as the shim calls it: the binary protocol of wasm/src/protocol.h
// (docs/ARCHITECTURE.md, "The Wasm ABI"), and nothing else. Numbers go in and
// come out through typed-array views at fixed offsets; a request's strings go
// in with one encodeInto and a decision's come out with one decode. No
// decision is made here: every value is the core's, or storage's, passed on.
//
// Used by the Worker (index.js) and, unchanged, by the tools that drive the
// core as the Worker does (tests/lib/replay.mjs, tests/lib/differential.mjs, the
// benchmarks). A module's named exports are entrypoints only in the Worker's
// main module, so this file may export freely.

import { RESULT, TUS_STATE, TUS_LEASE, IN, IN_STRINGS, REQUEST_STRINGS, REQUEST_HEADERS, OUT, OUT_STRING as S, OUT_STRING_COUNT, FLAG, HEADER_CODE, WIRE_VERSION, IN_CAP, BODY_NAMES, OP_NAMES, KIND_NAMES } from "./wire.js";

// The layout is generated from wasm/spec/wire.json (wire.js); these are re-exported for the
// shim and the tools: REVOCATION and RESULT map names to codes, OP and KIND codes to names.
export { REQUEST_HEADERS, REVOCATION, VARS } from "./wire.js";
export { RESULT, TUS_STATE, TUS_LEASE };
export const OP = OP_NAMES;
export const KIND = KIND_NAMES;
// The strings mg_finish reads after the request's: etag, type, cached, cached_size, head, body_md5, stored_md5, key.
const FINISH_STRINGS = IN_STRINGS.slice(REQUEST_STRINGS);

// The operations that move an upload's body, or create one (the rest read storage).
const UPLOAD_OPS = new Set(["sniff", "put", "tus_create", "tus_complete"]);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// revocationLoading when no snapshot load is in flight.
export const NO_LOAD = 0xffffffff;

// A protocol string holds no NUL (its terminator). Request headers and URLs
// cannot (the runtime refuses them); storage metadata is uploader-controlled.
function clean(v) {
  const s = String(v);
  return s.includes("\0") ? s.replaceAll("\0", "\uFFFD") : s;
}

// The path (as sent, percent-encoded) and the query ("" or "?..."), as URL's
// pathname and search give them, of `request.url`: the runtime hands the
// Worker a serialized absolute URL, so they are slices of it, without a URL
// object per request (tests/worker/core.test.js checks the two agree).
export function pathAndQuery(url) {
  let end = url.indexOf("#");
  if (end < 0) end = url.length;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0 || start > end) return ["/", ""];
  const q = url.indexOf("?", start);
  if (q < 0 || q > end) return [url.slice(start, end), ""];
  // URL.search is "" for a bare "?".
  return [url.slice(start, q), q + 1 === end ? "" : url.slice(q, end)];
}

// The request part of the input, built once per request: its strings in the
// core's order, and its numbers. `headers` is a Headers (or anything with get()).
// The snapshot's load state: revocationAge (s since the last load attempt
// started), revocationFailures (consecutive failed loads), revocationLoading
// (ms since the load in flight started, NO_LOAD for none). `logRecent`: the
// denial and error lines this isolate wrote in the second `now` (the core's
// log budget); the caller may update it before finish().
export function requestFacts(method, pathname, search, headers, now, sample, revocation, revocationAge, revocationFailures = 0, revocationLoading = NO_LOAD, logRecent = 0) {
  let strings = `${clean(method)}\0${clean(pathname)}\0${clean(search)}\0`;
  for (const name of REQUEST_HEADERS) {
    const v = headers.get(name);
    strings += v === null || v === undefined ? "\0" : `${clean(v)}\0`;
  }
  // cacheTimedOut: set by the shim once this request's edge cache lookup outlived its deadline.
  return { strings, now, sample, revocation, revocationAge, revocationFailures, revocationLoading, logRecent, cacheTimedOut: false };
}

// What storage (or the edge cache) reported for a plan, as mg_finish reads it.
// result: RESULT.*; source: "storage" | "cache". Storage: size, uploaded
// (unix seconds), etag, type. Cache: cached (the entry's x-mediagate-object
// value) and cachedSize (the entry's own length, as its header says).
// Uploads: head (the body's first bytes, hex), body_md5 and stored_md5 (hex).
// `key`: the fetch decision's key, echoed (the core does not decode the path again).
export function finishStrings(s, key) {
  const v = s.source === "cache" ? { cached: s.cached, cached_size: s.cachedSize, key } : { etag: s.etag, type: s.type, head: s.head, body_md5: s.bodyMd5, stored_md5: s.storedMd5, key, tus_type: s.tus?.ct };
  let out = "";
  for (const name of FINISH_STRINGS) out += `${clean(v[name] ?? "")}\0`;
  return out;
}

// No resumable upload (the facts of every op that is not a tus one).
const NO_UPLOAD = Object.freeze({ state: TUS_STATE.none, lease: TUS_LEASE.none, familyOk: 0, length: 0, committed: 0, partSize: 0, partsEnd: 0, created: 0, expires: 0, ct: "" });

// What mg_finish reads of an upload's state: the UploadState object's
// snapshot (worker-shim/upload_state.js; null: no upload) and, after a
// tus_begin, its lease answer.
export function tusFacts(snapshot, lease = "none") {
  if (!snapshot) return { ...NO_UPLOAD, lease: TUS_LEASE[lease] ?? TUS_LEASE.none };
  return {
    state: TUS_STATE[snapshot.state] ?? TUS_STATE.none,
    lease: TUS_LEASE[lease] ?? TUS_LEASE.none,
    familyOk: snapshot.familyOk ? 1 : 0,
    length: snapshot.length,
    committed: snapshot.committed,
    partSize: snapshot.partSize,
    partsEnd: snapshot.partsEnd,
    created: snapshot.created,
    expires: snapshot.expires,
    ct: snapshot.ct,
  };
}

// What mg_finish reads of an object storage returned (an R2Object or
// R2ObjectBody: size, upload time in unix seconds, etag, stored type).
export function storedObject(obj) {
  return {
    result: RESULT.ok,
    source: "storage",
    size: obj.size,
    uploaded: Math.floor(obj.uploaded.getTime() / 1000),
    etag: obj.httpEtag,
    type: obj.httpMetadata?.contentType ?? "",
  };
}

// Typed views over one ArrayBuffer; `base` is 8-aligned.
function views(buffer) {
  return { u8: new Uint8Array(buffer), u32: new Uint32Array(buffer), f64: new Float64Array(buffer, 0, buffer.byteLength >> 3) };
}

// Writes an input at `base` in `v` (views), strings into at most `cap` bytes;
// returns its length. `d` and `s` (the fetch decision and what storage said)
// only for mg_finish: its mode, plan and key are echoed. Offsets are IN's (bytes): >> 2 and >> 3 index the
// u32 and f64 views.
function writeInput(v, base, cap, facts, d, s) {
  v.f64[(base + IN.now) >> 3] = facts.now;
  v.f64[(base + IN.revocationAge) >> 3] = facts.revocationAge;
  v.u32[(base + IN.sample) >> 2] = facts.sample;
  v.u32[(base + IN.revocation) >> 2] = facts.revocation;
  v.u32[(base + IN.revocationFailures) >> 2] = facts.revocationFailures ?? 0;
  v.u32[(base + IN.revocationLoading) >> 2] = facts.revocationLoading ?? NO_LOAD;
  v.u32[(base + IN.cacheTimedOut) >> 2] = facts.cacheTimedOut ? 1 : 0;
  v.u32[(base + IN.logRecent) >> 2] = facts.logRecent ?? 0;
  let strings = facts.strings;
  if (d) {
    const p = d.plan;
    v.u32[(base + IN.mode) >> 2] = d.modeCode;
    v.u32[(base + IN.op) >> 2] = p.op;
    v.u32[(base + IN.kind) >> 2] = p.kind;
    v.u32[(base + IN.attempt) >> 2] = p.attempt;
    v.f64[(base + IN.offset) >> 3] = p.offset;
    v.f64[(base + IN.length) >> 3] = p.length;
    v.f64[(base + IN.suffix) >> 3] = p.suffix;
    v.u32[(base + IN.result) >> 2] = s.result;
    v.u32[(base + IN.source) >> 2] = s.source === "cache" ? 1 : 0;
    v.f64[(base + IN.size) >> 3] = s.size ?? NaN;
    v.f64[(base + IN.uploaded) >> 3] = s.uploaded ?? NaN;
    // A tus op's upload state, as the state object reported it (tusFacts()).
    const t = s.tus ?? NO_UPLOAD;
    v.u32[(base + IN.tusState) >> 2] = t.state;
    v.u32[(base + IN.tusLease) >> 2] = t.lease;
    v.u32[(base + IN.tusFamily) >> 2] = t.familyOk;
    v.f64[(base + IN.tusLength) >> 3] = t.length;
    v.f64[(base + IN.tusOffset) >> 3] = t.committed;
    v.f64[(base + IN.tusPartSize) >> 3] = t.partSize;
    v.f64[(base + IN.tusPartsEnd) >> 3] = t.partsEnd;
    v.f64[(base + IN.tusCreated) >> 3] = t.created;
    v.f64[(base + IN.tusExpires) >> 3] = t.expires;
    strings += finishStrings(s, d.key);
  }
  // Strings that do not fit are cut short, and the input says so (IN.cut): the
  // core reads none of them and answers (431).
  const { read, written } = encoder.encodeInto(strings, v.u8.subarray(base + IN.strings, base + cap));
  v.u32[(base + IN.cut) >> 2] = read < strings.length ? 1 : 0;
  return IN.strings + written;
}

// Reads a decision of `n` bytes at `base`. `names` holds what mg_configure
// listed: { statics: [[name, value]...], names: [name...] }.
function readDecision(v, base, n, names) {
  const u32 = (at) => v.u32[(base + at) >> 2];
  const f64 = (at) => v.f64[(base + at) >> 3];
  const count = u32(OUT.headers);
  const codes = base + OUT.headerCodes;
  if (n < OUT.headerCodes + count || u32(OUT.version) !== WIRE_VERSION) throw new Error("mediagate core: unreadable decision");
  const str = decoder.decode(v.u8.subarray(codes + count, base + n)).split("\0");
  const flags = u32(OUT.flags);
  const fetch = u32(OUT.fetch) === 1;
  const headers = new Array(count);
  for (let i = 0, k = OUT_STRING_COUNT; i < count; i++) {
    const code = v.u8[codes + i];
    if (code === 0) {
      headers[i] = [str[k], str[k + 1]];
      k += 2;
    } else if (code < HEADER_CODE.nameFirst) {
      const h = names.statics[code - HEADER_CODE.staticFirst];
      if (!h) throw new Error("mediagate core: unknown header code");
      headers[i] = h;
    } else {
      const name = names.names[code - HEADER_CODE.nameFirst];
      if (name === undefined) throw new Error("mediagate core: unknown header code");
      headers[i] = [name, str[k++]];
    }
  }
  return {
    fetch,
    status: u32(OUT.status),
    modeCode: u32(OUT.mode),
    reason: str[S.reason],
    event: str[S.event],
    mode: str[S.mode],
    key: str[S.key],
    cache: fetch && flags & FLAG.cache ? str[S.cachePath] : null,
    requestId: str[S.requestId] || null,
    text: str[S.text],
    body: BODY_NAMES[u32(OUT.body)] ?? "none",
    // [name, value] pairs, in order. Shared arrays: read them, never change them.
    headers,
    span: flags & FLAG.span ? [f64(OUT.spanFirst), f64(OUT.spanLast)] : null,
    // The log line's sampling rate per million, or null: no log line.
    log: flags & FLAG.log ? u32(OUT.logRate) : null,
    // The log line carries the configured secrets' fingerprints (a bad signature).
    fingerprints: (flags & FLAG.fingerprints) !== 0,
    refresh: (flags & FLAG.refresh) !== 0,
    // Load the revocation snapshot (or wait for the load in flight) for up
    // to `deadline` ms, then begin again; `stale`: decided on a snapshot
    // past the hard age (or none).
    wait: (flags & FLAG.wait) !== 0,
    stale: (flags & FLAG.stale) !== 0,
    store: flags & FLAG.store ? { path: str[S.cachePath], length: f64(OUT.storeLength), meta: str[S.storeMeta] } : null,
    // Fill the edge cache in the background with a whole read of the object (`length` bytes).
    fill: flags & FLAG.fill ? { path: str[S.cachePath], length: f64(OUT.storeLength), meta: str[S.storeMeta] } : null,
    // The log line counts against the isolate's denial budget (requestFacts' logRecent).
    budget: (flags & FLAG.budget) !== 0,
    plan: fetch
      ? { op: u32(OUT.op), kind: u32(OUT.kind), attempt: u32(OUT.attempt), offset: f64(OUT.offset), length: f64(OUT.length), suffix: f64(OUT.suffix) }
      : null,
    // An upload's sniff or put: the declared size, and (put) the content type to store.
    upload: fetch && UPLOAD_OPS.has(OP_NAMES[u32(OUT.op)]) ? { length: f64(OUT.storeLength), type: str[S.putType] } : null,
    // tus: the plan's part size, expiry (tus_create) and lease (ms), and
    // whether the family check passed (tus_patch); with an answer, abort
    // the upload, or give the lease back, before answering.
    tus: fetch ? { partSize: f64(OUT.tusPartSize), expires: f64(OUT.tusExpires), lease: u32(OUT.tusLease), familyOk: u32(OUT.tusFamily) } : null,
    abort: (flags & FLAG.abort) !== 0,
    release: (flags & FLAG.release) !== 0,
    deadline: u32(OUT.deadline),
    cacheDeadline: u32(OUT.cacheDeadline),
  };
}

// mg_configure's output after its first line: fingerprints and the header tables.
function readConfigured(lines, out, names) {
  names.statics = [];
  names.names = [];
  for (const line of lines) {
    const [name, value, extra] = line.split("\t");
    if (name === "static") names.statics.push(Object.freeze([value, extra]));
    else if (name === "name") names.names.push(value);
    else if (name in out && value !== undefined) out[name] = value;
  }
}

// A fresh instance's exports, initialised (a reactor's _initialize).
// Emscripten's standalone build may import one no-op.
export function coreExports(module) {
  const x = new WebAssembly.Instance(module, { env: { emscripten_notify_memory_growth() {} } }).exports;
  if (typeof x._initialize === "function") x._initialize();
  return x;
}

// One core per isolate.
export function createCore(module) {
  const x = coreExports(module);
  const inPtr = Number(x.mg_in_ptr());
  const inCap = x.mg_in_cap();
  const outPtr = Number(x.mg_out_ptr());
  // Views over linear memory, made again when it has grown (the snapshot
  // grows it): growing detaches the old buffer, and a detached view is empty.
  let v = views(x.memory.buffer);
  const mem = () => (v.u8.length !== 0 ? v : (v = views(x.memory.buffer)));
  const text = (s) => encoder.encodeInto(s, mem().u8.subarray(inPtr, inPtr + inCap)).written;
  const outText = (n) => decoder.decode(mem().u8.subarray(outPtr, outPtr + n));
  // The header tables decisions refer to (mg_configure lists them; they do
  // not depend on the configuration, which the first configure() replaces).
  const names = { statics: [], names: [] };
  readConfigured(outText(x.mg_configure(0)).split("\n").slice(1), {}, names);

  const core = {
    x,
    inCap,
    // Phase 1: request facts in, a decision out.
    begin(facts) {
      const n = x.mg_begin(writeInput(mem(), inPtr, inCap, facts, null, null));
      return readDecision(mem(), outPtr, n, names);
    },
    // Phase 2: the same facts, the fetch decision `d`, what storage said `s`.
    finish(facts, d, s) {
      const n = x.mg_finish(writeInput(mem(), inPtr, inCap, facts, d, s));
      return readDecision(mem(), outPtr, n, names);
    },
    // The core's own answer to an unreadable mg_finish: its 503.
    fallback() {
      return readDecision(mem(), outPtr, x.mg_finish(0), names);
    },
    // Secret `i` (0 current, 1 previous); a non-string marks it absent.
    setSecret(i, s) {
      return typeof s === "string" ? x.mg_set_secret(i, text(s)) : x.mg_set_secret(i, -1);
    },
    // [vars] as name<TAB>value lines -> { problem, fingerprint, fingerprint_previous }.
    configure(lines) {
      const [first, ...rest] = outText(x.mg_configure(text(lines))).split("\n");
      const [status, problem] = first.split("\t");
      const out = { problem: status === "ok" ? "" : problem, fingerprint: null, fingerprint_previous: null };
      readConfigured(rest, out, names);
      return out;
    },
    // Revocation snapshot: copies the bytes in and installs them; the entry
    // count, or -1 (invalid or no memory: the previous snapshot stays).
    installSnapshot(bytes) {
      const ptr = Number(x.mg_snapshot_alloc(bytes.length));
      if (!ptr) return -1;
      mem().u8.set(bytes, ptr);
      return x.mg_snapshot_install();
    },
    clearSnapshot() {
      return x.mg_snapshot_clear();
    },
    // The snapshot builder: reset, add "<kv name>\t<kv value>\n" lines (a
    // batch must fit the input buffer: at most inCap UTF-8 bytes), build.
    buildReset() {
      x.mg_snapshot_build_reset();
    },
    buildAdd(lines) {
      return x.mg_snapshot_build_add(text(lines));
    },
    // Keeps the installed snapshot's entries outside the KV-name span
    // (after, through] ("" for an open end); the count kept, or -1.
    buildKeep(after, through) {
      return x.mg_snapshot_build_keep(text(`${after}\t${through}`));
    },
    // The installed snapshot's build time, unix seconds (0: none).
    builtAt() {
      return x.mg_snapshot_built_at();
    },
    // The installed snapshot is older than the configured hard age at `now`.
    snapshotStale(now) {
      return x.mg_snapshot_stale(now) === 1;
    },
    buildFinish(builtAt) {
      const n = x.mg_snapshot_build_finish(builtAt);
      if (n < 0) return null;
      const p = Number(x.mg_snapshot_build_ptr());
      return mem().u8.slice(p, p + n);
    },
    headerTables() {
      return names;
    },
    memoryBytes() {
      return x.memory.buffer.byteLength;
    },
  };
  return core;
}

// The input bytes mg_begin (no `d`) or mg_finish would receive, outside any
// core: what scripts/differential.mjs sends to the native build as well.
export function encodeInput(facts, d = null, s = null, cap = IN_CAP) {
  const buf = new ArrayBuffer(cap);
  const n = writeInput(views(buf), 0, cap, facts, d, s);
  return new Uint8Array(buf, 0, n);
}

// A decision from output bytes (a copy of the output buffer). Headers sent
// by number need the tables of a core of the same module (core.headerTables()).
export function decodeDecision(bytes, tables = { statics: [], names: [] }) {
  const buf = new ArrayBuffer((bytes.length + 7) & ~7);
  new Uint8Array(buf).set(bytes);
  return readDecision(views(buf), 0, bytes.length, tables);
}
