// Differential test: the same randomly generated calls through the Wasm core (both builds,
// loaded in Node exactly as worker-shim/index.js loads them) and through the native core
// (`mediagate abi`, the same exports run natively: wasm/cli/abi_cmd.cc). Every call's output
// must be byte-identical (docs/TESTING.md).
//
//   node scripts/differential.mjs [--count N] [--seed S] [--native PATH] [--quiet]   (the command)
//
// N requests (default 100000), each one mg_begin and, when the core asks for storage, one to
// four mg_finish calls (as the shim allows) with a simulated storage or edge cache result (for an
// upload, PUT with content-type and content-length under a put token: the sniff's first bytes,
// the put's outcome, the comparing head's MD5s; docs/UPLOADS.md); configuration
// (secrets, [vars]) and the revocation snapshot (built by the core's builder, installed, or
// garbage) change along the way. Prints the counts and the first differing call; exits 1 on
// any difference. Needs the builds of scripts/setup.sh.
//
// Begin and finish inputs are the binary protocol of wasm/src/protocol.h, written by the
// shim's own encoder (worker-shim/core.js encodeInput), and a fetch decision is read back with
// its decodeDecision to answer it, as the Worker does; every build gets the same input bytes.
// Besides well-formed facts (odd ones too: NaN, fractional and huge numbers, codes out of
// range, NULs in strings, inputs at the buffer's capacity), some inputs are garbled after
// encoding: random bytes, cut short, a NUL terminator lost or added, bits flipped or a field
// overwritten in the number block. Configuration and the revocation builder's entries are text.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pyJson, mintRaw, quotePath } from "./token.mjs";
import { IN } from "../../worker-shim/wire.js";
import { coreExports, createCore, decodeDecision, encodeInput, finishStrings, KIND, NO_LOAD, OP, REQUEST_HEADERS, requestFacts, RESULT, REVOCATION, tusFacts } from "../../worker-shim/core.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BUILDS = {
  wasi: path.join(ROOT, "worker-shim/mediagate.wasm"),
  emscripten: path.join(ROOT, "build/emscripten/mediagate.opt.wasm"),
};
export const NATIVE = path.join(ROOT, "build/native/mediagate");

const encoder = new TextEncoder();

// --- The Wasm side: instantiated and called as worker-shim/index.js does ----------------------

function loadWasm(file) {
  // The exports alone (not createCore, which also reads the header tables through
  // mg_configure: the native side must start from the same state).
  const x = coreExports(new WebAssembly.Module(readFileSync(file)));
  const inPtr = Number(x.mg_in_ptr());
  const inCap = x.mg_in_cap();
  const outPtr = Number(x.mg_out_ptr());
  const mem = () => new Uint8Array(x.memory.buffer);
  // Writes bytes into the input buffer (at most inCap, as encodeInto would), returns how many.
  const put = (bytes) => {
    const n = Math.min(bytes.length, inCap);
    mem().set(bytes.subarray(0, n), inPtr);
    return n;
  };
  const out = (n) => Buffer.from(mem().slice(outPtr, outPtr + Math.max(n, 0)));
  const none = Buffer.alloc(0);
  // One call of the framing in wasm/cli/abi_cmd.cc: [ret, output bytes].
  function call(name, arg, bytes) {
    switch (name) {
      case "secret":
        if (bytes === null) return [x.mg_set_secret(arg, -1), none];
        return [x.mg_set_secret(arg, put(bytes)), none];
      case "configure":
      case "begin":
      case "finish": {
        const fn = name === "configure" ? x.mg_configure : name === "begin" ? x.mg_begin : x.mg_finish;
        const r = fn(put(bytes));
        return [r, out(r)];
      }
      case "snapshot_install": {
        const ptr = Number(x.mg_snapshot_alloc(bytes.length));
        if (!ptr) return [-1, none];
        mem().set(bytes, ptr);
        return [x.mg_snapshot_install(), none];
      }
      case "snapshot_clear":
        return [x.mg_snapshot_clear(), none];
      case "build_reset":
        x.mg_snapshot_build_reset();
        return [0, none];
      case "build_add":
        return [x.mg_snapshot_build_add(put(bytes)), none];
      case "build_keep":
        return [x.mg_snapshot_build_keep(put(bytes)), none];
      case "build_finish": {
        const r = x.mg_snapshot_build_finish(arg);
        const p = Number(x.mg_snapshot_build_ptr());
        return [r, r > 0 ? Buffer.from(mem().slice(p, p + r)) : none];
      }
      default:
        throw new Error(`unknown call ${name}`);
    }
  }
  call.inCap = inCap;
  return call;
}

// --- The native side: `mediagate abi`, pipelined ---------------------------------------------

class Native {
  constructor(bin) {
    this.proc = spawn(bin, ["abi"], { stdio: ["pipe", "pipe", "inherit"] });
    this.buf = Buffer.alloc(0);
    this.waiting = []; // resolvers, in call order
    this.answers = [];
    this.exited = null;
    this.proc.stdout.on("data", (d) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.parse();
    });
    this.proc.on("exit", (code, signal) => {
      this.exited = `mediagate abi exited (${signal ?? code})`;
      for (const w of this.waiting.splice(0)) w.reject(new Error(this.exited));
    });
    this.proc.stdin.on("error", () => {});
  }
  parse() {
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl < 0) return;
      const [ret, n] = this.buf.subarray(0, nl).toString("latin1").split(" ").map(Number);
      if (this.buf.length < nl + 1 + n) return;
      const bytes = Buffer.from(this.buf.subarray(nl + 1, nl + 1 + n));
      this.buf = this.buf.subarray(nl + 1 + n);
      const w = this.waiting.shift();
      if (w) w.resolve([ret, bytes]);
    }
  }
  // Queues one call; the promise resolves with [ret, bytes].
  call(name, arg, bytes) {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const len = bytes === null ? -1 : bytes.length;
    const head = Buffer.from(`${name} ${arg} ${len}\n`, "latin1");
    this.proc.stdin.write(bytes && bytes.length ? Buffer.concat([head, bytes]) : head);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
  close() {
    this.proc.stdin.end();
    return new Promise((resolve) => (this.exited ? resolve() : this.proc.on("exit", resolve)));
  }
}

// --- Random inputs ----------------------------------------------------------------------------

// xoshiro128** seeded by splitmix32: fast, and the same sequence for the same seed.
function rng(seed) {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const st = [split(), split(), split(), split()];
  const next = () => {
    const r = Math.imul(((Math.imul(st[1], 5) << 7) | (Math.imul(st[1], 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = st[1] << 9;
    st[2] ^= st[0];
    st[3] ^= st[1];
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    st[3] = ((st[3] << 11) | (st[3] >>> 21)) >>> 0;
    return r >>> 0;
  };
  const r = {
    u32: next,
    int: (n) => (n <= 0 ? 0 : next() % n), // 0..n-1
    range: (lo, hi) => lo + (next() % (hi - lo + 1)),
    chance: (p) => next() / 4294967296 < p,
    pick: (a) => a[next() % a.length],
    // A decimal that may pass 2^53 (the protocol reads unsigned 64-bit).
    bigDecimal: () => (BigInt(next()) * 4294967296n + BigInt(next())).toString(),
    str: (n, alphabet) => {
      let s = "";
      for (let i = 0; i < n; i++) s += alphabet[next() % alphabet.length];
      return s;
    },
  };
  return r;
}

const SECRETS = [
  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  "previous-secret-value",
  " padded secret\n",
];
// Key pieces: the first ones make valid keys, the rest every kind of trouble.
const CLEAN_PIECES = ["a", "b", "0", "_", "-", "/", "~", " ", "+", "é", "😀", "x.png", "clip.mp4", "doc.svg",
  "page.html", "me_1/", "0123456789abcdef"];
const WILD_PIECES = ["%", "\\", "..", ".", "\u202e", "\t", "\u0001", "\u007f", "?", "#", "&", "//", "\ud800"];
const PREFIXES = ["u/", "u/", "u/", "u/me_1/", "v/", "x/", "", "/u/", "//u/"];
const METHODS = ["POST", "get", "", "OPTIONS", "GET "];
const TYPES = ["image/png", "image/jpeg", "", "image/svg+xml", "text/html", "video/mp4; codecs=avc1", "IMAGE/PNG",
  "application/octet-stream", "image/", "image/x\u0001", "image/" + "a".repeat(70), "ümage/png"];
const DATES = ["Wed, 21 Oct 2015 07:28:00 GMT", "Wednesday, 21-Oct-15 07:28:00 GMT", "Wed Oct 21 07:28:00 2015",
  "Thu, 01 Jan 2026 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:60 GMT", "not a date", "Wed, 21 Oct 2015 07:28:00 gmt"];
const ETAGS = ['"45cf2832f7b64d929ddb72900502e024"', 'W/"e1"', '"e1"', "", "unquoted", '"sp ace"', '"é"'];

function randomKey(r) {
  let key = r.pick(PREFIXES);
  const n = r.range(0, 8);
  const wild = r.chance(0.25);
  for (let i = 0; i < n; i++) key += wild && r.chance(0.3) ? r.pick(WILD_PIECES) : r.pick(CLEAN_PIECES);
  // Around the 1024-byte key limit; the non-ASCII ones triple in the edge cache path.
  if (r.chance(0.01)) key = "u/" + (r.chance(0.5) ? "k".repeat(r.range(1015, 1030)) : r.pick(["é", " "]).repeat(r.range(440, 520)));
  return key;
}

function randomPath(r, key) {
  switch (r.int(12)) {
    case 0: return "/m/" + key; // raw (unicode, spaces) as the ABI takes any text
    case 1: return "/m/" + quotePath(key).replace(/%[0-9A-F]{2}/g, (m) => (r.chance(0.5) ? m.toLowerCase() : m));
    case 2: return "/m/" + quotePath(key) + r.pick(["%", "%z", "%zz", "%FF", "%C0%AF", "%ED%A0%80", "%00", "%2e%2e", "/..", "%5C"]);
    // A token pasted into the path: the log line's key is redacted (wasm/src/loggable.h).
    case 4: return "/m/" + quotePath(key) + r.pick(["%3Ft%3D", "%26t%3D", "/t=", "/", "."]) + mintRaw(pyJson({ k: key, m: "pub" }), SECRETS[0]).slice(0, r.pick([16, 30, 200]));
    case 3: return r.pick(["/m", "/m/", "/x/" + quotePath(key), "", "/M/" + quotePath(key), "/m//" + quotePath(key)]);
    default: return "/m/" + quotePath(key);
  }
}

function randomToken(r, key, now) {
  const k = key.replace(/^\/+/, "");
  const secret = r.chance(0.95) ? (r.chance(0.8) ? SECRETS[0] : SECRETS[1]) : "not-configured";
  switch (r.int(26)) {
    case 0: return "";
    case 1: return "abc.def";
    case 2: return mintRaw(pyJson({ k, m: "pub" }), secret).replace(/.$/, (c) => (c === "A" ? "B" : "A"));
    case 3: return mintRaw(pyJson({ k, m: "priv" }), secret); // no e
    case 4: return mintRaw(pyJson({ e: now - r.range(0, 200), k, m: "priv" }), secret);
    case 5: return mintRaw(pyJson({ e: now + r.range(3500, 90000), k, m: "priv" }), secret);
    case 6: return mintRaw(pyJson({ k: k + "x", m: "pub" }), secret);
    case 7: return mintRaw(r.pick(['{"k":"' + k + '","k":"x","m":"pub"}', '{"k":1,"m":"pub"}', "[]", "{", '{"m":"pub"}']), secret);
    case 8: return mintRaw(pyJson({ e: r.bigDecimal(), k, m: "priv" }).replace(/"e":"(\d+)"/, '"e":$1'), secret);
    case 9: return mintRaw(pyJson({ k, m: "pub" }), secret) + r.pick(["", ".", "=", "%", "+"]);
    case 10: case 11: case 12: case 13: case 14: case 15:
      return mintRaw(pyJson({ e: now + r.range(-60, 3600), k, m: "priv" }), secret);
    default: return mintRaw(pyJson({ k, m: "pub" }), secret);
  }
}

// Uploads (docs/UPLOADS.md): the media types a put token names, and first bytes of each family.
const UPLOAD_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/heic", "video/mp4", "video/quicktime", "video/webm", "text/html", "image/svg+xml", "Image/PNG", "é/x"];
const MAGIC = [
  "ffd8ffe0", "89504e470d0a1a0a0000000d49484452", "474946383961", "52494646000000005745425056503820",
  "0000001866747970686569630000000068656963", "0000001c667479706176696600000000617669666d696631",
  "00000018667479706973736f6d00000200", "0000001466747970717420200000020071742020", "1a45dfa3", "3c737667",
];

// Resumable uploads (tus 1.0.0, docs/UPLOADS.md): the five methods and the values of their headers.
const TUS_METHODS = ["OPTIONS", "POST", "HEAD", "PATCH", "DELETE"];
const TUS_VERSIONS = ["0.2.2", "1.0", "", " 1.0.0 ", "1.0.0, 0.2.2", "1.0.0\t", "1.0.1"];
const b64 = (s) => Buffer.from(s, "utf8").toString("base64");

// Upload-Metadata: comma-separated `key base64value` pairs (or a key alone), the filetype
// mostly the token's ct, sometimes another type, broken base64, a duplicate or no filetype.
function randomMetadata(r, ct) {
  const pairs = [];
  if (r.chance(0.5)) pairs.push(`filename ${b64(r.pick(["clip.mp4", "é 😀.jpg", "", "a,b c"]))}`);
  switch (r.int(12)) {
    case 0: break; // no filetype
    case 1: pairs.push(`filetype ${b64(r.pick(UPLOAD_TYPES))}`); break;
    case 2: pairs.push(r.pick(["filetype", "filetype ", "filetype =", `filetype ${b64(ct).replace(/=+$/, "")}`, `filetype ${b64(ct)}==`, `filetype ${ct}`, `filetype  ${b64(ct)}`, `FILETYPE ${b64(ct)}`])); break;
    case 3: pairs.push(`filetype ${b64(ct)}`, `filetype ${b64(r.pick(UPLOAD_TYPES))}`); break; // duplicate key
    case 4: pairs.push(`filetype ${b64(r.pick([ct.toUpperCase(), `${ct}; codecs=x`, ` ${ct}`, ct + "\0", "é/x"]))}`); break;
    default: pairs.push(`filetype ${b64(ct)}`);
  }
  if (r.chance(0.2)) pairs.push(r.pick(["is_confidential", "x " + b64("y"), "", " ", "k v w", "%", "filename\u0001 eA=="]));
  for (let i = pairs.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [pairs[i], pairs[j]] = [pairs[j], pairs[i]];
  }
  return pairs.join(r.chance(0.9) ? "," : r.pick([", ", " ,", ",,"]));
}

// A tus request's method and headers (into `headers`), as tus-js-client sends them, or wrong.
function randomTus(r, headers, size, ct) {
  const method = r.pick(TUS_METHODS);
  if (r.chance(0.93)) headers.set("tus-resumable", r.chance(0.9) ? "1.0.0" : r.pick(TUS_VERSIONS));
  const decimal = () => r.pick(["", "0", " 5 ", "+5", "-1", "1.5", "1e3", "0x10", "007", "18446744073709551616", "52428800000", "52428800001", "4294967297", "9007199254740993", r.bigDecimal()]);
  if (method === "POST" || r.chance(0.03)) {
    if (r.chance(0.95)) headers.set("upload-length", r.chance(0.85) ? String(size) : decimal());
    if (r.chance(0.9)) headers.set("upload-metadata", randomMetadata(r, ct));
    if (r.chance(0.05)) headers.set("content-length", String(r.range(0, 10)));
  }
  if (method === "PATCH" || r.chance(0.03)) {
    if (r.chance(0.95)) headers.set("content-type", r.chance(0.85) ? "application/offset+octet-stream" : r.pick([ct, "", "application/offset+octet-stream; x=1", "APPLICATION/OFFSET+OCTET-STREAM", "application/octet-stream"]));
    if (r.chance(0.95)) headers.set("upload-offset", r.chance(0.85) ? String(r.pick([0, 0, r.int(size + 1), size, 5242880])) : decimal());
    if (r.chance(0.8)) headers.set("content-length", r.chance(0.9) ? String(r.range(0, size + 2)) : decimal());
  }
  return method;
}

// A put token for `key`: minted as the backend mints it, or one the gate must refuse.
function randomPutToken(r, key, now, ct) {
  const k = key.replace(/^\/+/, "");
  const secret = r.chance(0.95) ? SECRETS[0] : "not-configured";
  const put = (o) => mintRaw(pyJson({ ct, e: now + 300, k, m: "put", ...o }), secret);
  switch (r.int(16)) {
    case 0: return mintRaw(pyJson({ k, m: "pub" }), secret); // a read token on a write
    case 1: return mintRaw(pyJson({ e: now + 300, k, m: "priv" }), secret);
    case 2: return put({ e: now - r.range(61, 500) });
    case 3: return put({ e: now + r.range(3600, 90000) });
    case 4: return put({ n: r.pick([0, -1, 1.5, "5", 1, 100, 256, 2 ** 53 - 1]) });
    case 5: return mintRaw(`{"ct":${r.pick(['""', "5", "null", '["image/png"]'])},"e":${now + 300},"k":${pyJson(k)},"m":"put"}`, secret);
    case 6: return mintRaw(pyJson({ ct, k, m: "put" }), secret); // no e
    case 7: return put({ k: k + "x" });
    case 8: case 9: return put({ n: r.range(1, 6000) });
    default: return put({});
  }
}

// The sniffed first bytes (hex): a family's magic number and random bytes, `want` of them or fewer.
const FAMILY = { "image/jpeg": 0, "image/png": 1, "image/gif": 2, "image/webp": 3, "image/heic": 4, "image/avif": 5, "video/mp4": 6, "video/quicktime": 7, "video/webm": 8 };
function randomHead(r, want, ct) {
  const own = MAGIC[FAMILY[ct]];
  let hex = own !== undefined && r.chance(0.75) ? own : r.chance(0.6) ? r.pick(MAGIC) : "";
  while (hex.length < want * 2) hex += r.int(256).toString(16).padStart(2, "0");
  hex = hex.slice(0, want * 2);
  if (r.chance(0.05)) hex = hex.slice(0, 2 * r.int(want + 1)); // fewer than asked
  if (r.chance(0.01)) hex = r.pick(["zz", "0", "é", hex + "0"]); // not hex
  return hex;
}

const MD5 = "0123456789abcdef0123456789abcdef";

function randomQuery(r, token) {
  switch (r.int(20)) {
    case 0: return "";
    case 1: return "?t=";
    case 2: return "?a=1&t=" + token + "&t=x";
    case 3: return "?t=" + encodeURIComponent(token).replace(/\./g, "%2E");
    case 4: return "?x=" + token;
    case 5: return "?t=" + token + r.pick(["%", "%zz", "+", "%20"]);
    default: return "?t=" + token;
  }
}

function randomRange(r, size) {
  // Numerals past 64 bits too (RFC 9110 14.1.1), and optional whitespace where the core
  // takes it and where it does not (after "-" of a suffix, before "=").
  const huge = () => r.bigDecimal() + "9".repeat(r.range(1, 40));
  const pos = () => r.pick([0, 1, size - 1, size, size + 1, r.int(size + 10), r.bigDecimal(), huge()]);
  const ws = () => r.pick(["", "", " ", "\t", "  ", " \t"]);
  switch (r.int(9)) {
    case 8: return `bytes${r.chance(0.1) ? " " : ""}=${ws()}${pos()}${ws()}-${ws()}${r.chance(0.8) ? pos() : ""}${ws()},${ws()}-${ws()}${pos()}${ws()}`;
    case 0: return r.pick(["bytes=", "bytes=-0", "items=0-1", "bytes=5-1", "bytes = 0-1", "bytes=0-1,,2-3", "bytes=--1", "bytes=" + "0-1,".repeat(70)]);
    case 1: return `bytes=-${pos()}`;
    case 2: return `bytes=${pos()}-`;
    case 3: return `bytes=${pos()}-${pos()}, ${pos()}-${pos()}`;
    case 4: return `Bytes=${pos()}-${pos()},-${pos()}`;
    default: return `bytes=${pos()}-${pos()}`;
  }
}

function randomConfig(r) {
  const lines = [`MEDIA_BUCKET\t${r.chance(0.99) ? 1 : 0}`];
  const maybe = (name, valid, invalid) => {
    if (r.chance(0.5)) return;
    lines.push(`${name}\t${r.chance(0.98) ? r.pick(valid) : r.pick(invalid)}`);
  };
  maybe("MEDIA_KEY_PREFIXES", ["u/", "u/, v/", "u/,x/,é/", " u/ ", "u/,"], ["", ",", " , "]);
  maybe("MEDIA_CLOCK_SKEW_SECONDS", ["0", "60", "3600", " 30 "], ["1m", "-1", "3601", ""]);
  maybe("MEDIA_MAX_TOKEN_TTL_SECONDS", ["60", "3600", "86400"], ["59", "86401", "x"]);
  maybe("MEDIA_CORP", ["same-origin", "same-site"], ["cross-origin", ""]);
  maybe("MEDIA_REVOCATION_MODE", ["open", "closed"], ["maybe"]);
  maybe("MEDIA_REVOCATION_MAX_STALENESS_SECONDS", ["0", "300", "900", "86400"], ["-5"]);
  maybe("MEDIA_REVOCATION_REFRESH_SECONDS", ["0", "30", "3600"], ["3601"]);
  maybe("MEDIA_EDGE_CACHE", ["on", "off"], ["yes"]);
  maybe("MEDIA_LOG_SAMPLE_RATE", ["0", "0.01", "1", "0.000001", " 0.5 "], ["2", "1.5", "x", "0.0000000000001"]);
  maybe("MEDIA_DEBUG_HEADERS", ["on", "off"], ["1"]);
  maybe("MEDIA_STORAGE_TIMEOUT_MS", ["100", "5000", "60000"], ["99", "60001", "5s"]);
  maybe("MEDIA_EDGE_CACHE_FILL_MAX_BYTES", ["0", "100", "1000", " 4096 ", "16777216", "536870912"], ["536870913", "-1", "1MB", ""]);
  maybe("MEDIA_LOG_DENIAL_BUDGET", ["0", "1", "20", "100000"], ["100001", "x", "2.5"]);
  if (r.chance(0.8)) lines.push(`MEDIA_UPLOADS\t${r.chance(0.9) ? "on" : r.pick(["off", "yes"])}`);
  maybe("MEDIA_UPLOAD_TYPES", ["image/png, video/mp4", "image/jpeg,image/gif,image/webp,video/webm", " image/avif , image/heic "], ["text/html", "IMAGE/PNG", ""]);
  maybe("MEDIA_MAX_UPLOAD_BYTES", ["1", "300", "5000", "104857600", "536870912"], ["0", "536870913", "1e6"]);
  maybe("MEDIA_MAX_UPLOAD_TTL_SECONDS", ["60", "300", "3600", "86400"], ["59", "86401"]);
  if (r.chance(0.8)) lines.push("MEDIA_UPLOAD_STATE\t1");
  maybe("MEDIA_MAX_RESUMABLE_BYTES", ["1", "300", "5000", "5242880", "4294967296", "52428800000"], ["0", "52428800001", "4GiB"]);
  maybe("MEDIA_UPLOAD_EXPIRY_SECONDS", ["1", "2", "86400", "518400"], ["0", "518401", "1d"]);
  if (r.chance(0.02)) lines.push("MEDIA_KEY_PREFIXES\t" + "p/,".repeat(20)); // more than 16 prefixes
  for (let i = lines.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [lines[i], lines[j]] = [lines[j], lines[i]];
  }
  return lines.join("\n") + "\n";
}

// --- Binary inputs: the shim's facts, storage's answers, and garbling -----------------------------

// The input layout (wasm/spec/wire.json, as worker-shim/wire.js generates it), to garble and
// to report: each number's name, offset and type, and where the strings start.
const IN_NUMBERS = JSON.parse(readFileSync(path.join(ROOT, "wasm/spec/wire.json"), "utf8")).input.numbers.map((n) => [n.js, IN[n.js], n.type]);
const IN_STRINGS = IN.strings;
// f64 values the shim never sends but the wire carries: NaN, infinities, fractions, -0,
// negatives, integers past 2^53 (no longer exact).
const ODD_F64 = [NaN, Infinity, -Infinity, -0, 0.5, -0.5, 1e-310, 2 ** 53 + 2, -(2 ** 53) - 2, 2 ** 63, 2 ** 64, 1e300, -1];
const ODD_U32 = [3, 4, 5, 7, 255, 256, 999999, 1000000, 2 ** 31, 2 ** 32 - 1];
// Strings the runtime would refuse in a request, or uploader-controlled metadata with them:
// the encoder replaces NUL (a terminator) and lone surrogates.
const ODD_STRINGS = ["\0", "a\0b", "\0\0", "\ud800", "x\udc00y", "\uffff", "é\0"];

// The core's own escaping of a cache metadata field (wasm/src/edge_cache.cc), sometimes not.
function metaField(r, v) {
  if (v === "") return "-";
  if (r.chance(0.05)) return v.replace(/ /g, "_");
  let out = "";
  for (const byte of Buffer.from(v, "utf8")) {
    out += byte <= 0x20 || byte >= 0x7f || byte === 0x25 || (byte === 0x2d && v === "-")
      ? "%" + byte.toString(16).toUpperCase().padStart(2, "0")
      : String.fromCharCode(byte);
  }
  return out;
}

function randomBytes(r, n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = r.chance(0.3) ? r.pick([0, 0, 1, 2, 0x7f, 0xff, 0x3f, 0xf0]) : r.int(256);
  return b;
}

// An encoded input made wrong after encoding: [bytes, what]. At most `cap` bytes.
function garble(r, input, cap) {
  const b = Buffer.from(input); // a copy
  const nuls = [];
  for (let i = IN_STRINGS; i < b.length; i++) if (b[i] === 0) nuls.push(i);
  switch (r.int(7)) {
    case 0: // random bytes: lengths around the fixed block, NULs among them
      return [randomBytes(r, r.pick([0, 1, 7, 8, 23, 24, 87, 88, 89, 91, 92, 93, 95, 96, 99, 100, 103, 104, 105, IN_STRINGS - 1, IN_STRINGS, IN_STRINGS + 1, r.int(200), r.int(4096)])), "random bytes"];
    case 1: // cut short: inside the number block, inside the strings, before the last NUL
      return [b.subarray(0, r.chance(0.3) ? r.int(IN_STRINGS + 1) : r.range(IN_STRINGS, Math.max(IN_STRINGS, b.length - 1))), "truncated"];
    case 2: { // a terminator lost: overwritten, or taken out
      if (!nuls.length) return [b, "no terminator to lose"];
      const at = r.chance(0.5) ? nuls[nuls.length - 1] : r.pick(nuls);
      if (r.chance(0.5)) {
        b[at] = r.range(1, 255);
        return [b, "NUL overwritten"];
      }
      return [Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]), "NUL removed"];
    }
    case 3: { // one NUL too many: every later string moves one place
      const at = r.range(IN_STRINGS, b.length);
      return [Buffer.concat([b.subarray(0, at), Buffer.from([0]), b.subarray(at)]).subarray(0, cap), "NUL added"];
    }
    case 4: { // bit flips in the number block
      for (let k = r.range(1, 4); k > 0; k--) {
        const bit = r.int(IN_STRINGS * 8);
        b[bit >> 3] ^= 1 << (bit & 7);
      }
      return [b, "bit flips"];
    }
    case 5: { // one number field set to a value the shim never writes
      const [name, at, type] = r.pick(IN_NUMBERS);
      if (type === "f64") b.writeDoubleLE(r.chance(0.1) ? r.u32() * 4294967296 + r.u32() : r.pick(ODD_F64), at);
      else b.writeUInt32LE(r.chance(0.2) ? r.u32() : r.pick(ODD_U32), at);
      return [b, `field ${name}`];
    }
    default: // bytes after the last terminator, or invalid UTF-8 inside a string
      if (r.chance(0.5) || !nuls.length) return [Buffer.concat([b, randomBytes(r, r.range(1, 40))]).subarray(0, cap), "trailing bytes"];
      {
        const at = r.range(IN_STRINGS, b.length - 1);
        if (b[at] !== 0) b[at] = r.pick([0x80, 0xc0, 0xed, 0xff]);
        return [b, "invalid UTF-8"];
      }
  }
}

// A request's facts, as the shim's requestFacts builds them: mostly plausible, sometimes odd.
function randomRequest(r, key, now, size, etag, cap, upload = false, tus = false) {
  // An upload (docs/UPLOADS.md): PUT, its content-type and content-length; or a tus request.
  let method = upload ? "PUT" : r.chance(0.7) ? "GET" : r.chance(0.7) ? "HEAD" : r.pick(METHODS);
  const headers = new Map(); // anything with get(), as requestFacts takes it; absent is undefined
  let ct = "";
  if (tus) {
    ct = r.pick(UPLOAD_TYPES);
    method = randomTus(r, headers, size, ct);
  }
  if (upload) {
    ct = r.pick(UPLOAD_TYPES);
    if (r.chance(0.95)) headers.set("content-type", r.chance(0.8) ? ct : r.pick([ct.toUpperCase(), ` ${ct}; charset=x`, "image/png", "", "text/plain"]));
    if (r.chance(0.95)) headers.set("content-length", r.chance(0.85) ? String(size) : r.pick(["", " 5 ", "5.0", "+5", "-1", "0", "18446744073709551616", "007", r.bigDecimal(), "1, 1"]));
  }
  if (r.chance(0.4)) headers.set("range", randomRange(r, size));
  if (r.chance(0.1)) headers.set("if-match", r.pick([etag, "*", '"x", ' + etag, "W/" + etag]));
  if (r.chance(0.1)) headers.set("if-none-match", r.pick([etag, "*", "W/" + etag, '"x"']));
  if (r.chance(0.1)) headers.set("if-modified-since", r.pick(DATES));
  if (r.chance(0.1)) headers.set("if-unmodified-since", r.pick(DATES));
  if (r.chance(0.1)) headers.set("if-range", r.pick([etag, "W/" + etag, ...DATES]));
  if (r.chance(0.3)) {
    // Plain ids, and token-shaped ones (a token, its MAC, long runs: never logged).
    const token = mintRaw(pyJson({ k: key, m: "pub" }), SECRETS[0]);
    const ids = ["abc-123", "req:1.2_3", "x".repeat(128), "y".repeat(129), "has space", "é", "?t=secret", "", "550e8400-e29b-41d4-a716-446655440000", "8f3c1a2b3c4d5e6f-SJC"];
    headers.set("x-request-id", r.chance(0.7) ? r.pick(ids) : r.pick([token, token.split(".")[1], "a".repeat(r.range(38, 42)), "b".repeat(r.range(14, 17)) + "." + "c".repeat(r.range(14, 17)), "id:" + token]));
  }
  if (r.chance(0.005)) headers.set(r.pick(REQUEST_HEADERS), r.pick([...ODD_STRINGS, "x".repeat(70000), "é".repeat(40000)]));
  const reqNow = r.chance(0.98) ? now : r.pick([0, -1, now + 0.5, 2 ** 40, 2 ** 53, -(2 ** 53), ...ODD_F64]);
  const sample = r.chance(0.95) ? r.pick([0, r.int(1000000), r.int(1000000), 999999]) : r.pick([1000000, -1, 2 ** 32 + 7, NaN, 0.5, 1e12, ...ODD_U32]);
  let revocation = REVOCATION.disabled;
  let age = 0;
  let failures = 0;
  let loading = NO_LOAD;
  if (r.chance(0.8)) {
    revocation = r.chance(0.97) ? r.pick([REVOCATION.loaded, REVOCATION.loaded, REVOCATION.unavailable, REVOCATION.disabled]) : r.pick(ODD_U32);
    age = r.chance(0.97) ? r.pick([0, 1, 5, 31, 61, 301, 901, 100000, -3, now]) : r.pick(ODD_F64);
    failures = r.chance(0.7) ? 0 : r.pick([1, 2, 3, 9, 40, 2 ** 32 - 1]);
    loading = r.chance(0.8) ? NO_LOAD : r.pick([0, 5, 99, 100, 9999, 10000, 60000, 2 ** 31]);
  }
  // Denial lines this isolate wrote this second (the log budget): around the budgets configured.
  const logRecent = r.chance(0.97) ? r.pick([0, 0, 1, r.int(25), 19, 20, 21, 99999, 100000]) : r.pick([...ODD_U32, NaN, -1, 2 ** 32 + 3]);
  const writes = upload || tus;
  let path = writes && r.chance(0.9) ? "/m/" + quotePath(key) : randomPath(r, key);
  // A tus request's token mostly the backend's own, so that many reach the upload's state.
  const token = tus && r.chance(0.6) ? mintRaw(pyJson({ ct: ct.toLowerCase(), e: now + 300, k: key.replace(/^\/+/, ""), m: "put" }), SECRETS[0])
    : writes && r.chance(0.95) ? randomPutToken(r, key, now, ct.toLowerCase()) : randomToken(r, key, now);
  const query = writes && r.chance(method === "OPTIONS" ? 0.5 : 0.9) ? "?t=" + token : randomQuery(r, token);
  if (r.chance(0.003)) path = r.pick(ODD_STRINGS) + path;
  const make = () => requestFacts(r.chance(0.995) ? method : method + r.pick(ODD_STRINGS), path, query, headers, reqNow, sample, revocation, age, failures, loading, logRecent);
  let facts = make();
  // Around the input buffer's capacity: a string the encoder cuts where the buffer ends (or,
  // with two-byte characters, just before), and says so: the core answers 431.
  if (r.chance(0.005)) {
    headers.delete("if-none-match");
    const base = encodeInput(facts, null, null, cap).length;
    const two = r.chance(0.3);
    const room = cap - base - 2 + r.range(-6, 6);
    headers.set("if-none-match", `"${two ? "é".repeat(Math.max(0, room >> 1)) : "a".repeat(Math.max(0, room))}"`);
    facts = make();
  }
  // Set by the shim once the request's edge cache lookup timed out.
  if (r.chance(0.05)) facts.cacheTimedOut = true;
  facts.uploadType = ct.toLowerCase(); // the harness's own note (the encoder reads only the wire's fields)
  return facts;
}

// What storage (or the edge cache, when the decision allows it) says about a fetch decision `d`,
// as the shim hands it to finish: RESULT codes, numbers, and strings.
function randomStorage(r, d, size, etag, type, stored, upload, ct) {
  const op = OP[d.plan?.op];
  if (op === "sniff") {
    const result = r.chance(0.85) ? RESULT.ok : r.pick([RESULT.incomplete, RESULT.error, RESULT.timeout, RESULT.missing, RESULT.exists, r.pick(ODD_U32)]);
    return { result, source: "storage", head: result === RESULT.ok || r.chance(0.1) ? randomHead(r, d.plan.length, ct) : undefined };
  }
  if (op === "put") {
    const result = r.chance(0.6) ? RESULT.ok : r.pick([RESULT.exists, RESULT.exists, RESULT.incomplete, RESULT.error, RESULT.timeout, RESULT.missing, r.pick(ODD_U32)]);
    // As the shim reports a put: the stored object's facts (storedObject) and the body's MD5.
    return {
      result, source: "storage", size: r.chance(0.95) ? size : r.pick([size + 1, ...ODD_F64]), uploaded: r.chance(0.97) ? 1445412480 : r.pick([undefined, ...ODD_F64]),
      etag: r.chance(0.95) ? etag : r.pick(ODD_STRINGS), type, bodyMd5: r.chance(0.95) ? MD5 : r.pick(["", "x", MD5.toUpperCase()]),
    };
  }
  if (upload && op === "head") {
    // The comparing head after a put found the key taken: the stored object and the two MD5s.
    const result = r.chance(0.85) ? RESULT.ok : r.pick([RESULT.missing, RESULT.error, RESULT.timeout, r.pick(ODD_U32)]);
    return {
      result, source: "storage", size: r.chance(0.8) ? size : size + 1, uploaded: 1445412480, etag, type,
      bodyMd5: MD5, storedMd5: r.chance(0.6) ? MD5 : r.pick(["", "ffffffffffffffffffffffffffffffff", MD5.slice(0, 31), MD5 + "0"]),
    };
  }
  if (d.cache !== null && r.chance(0.5)) {
    // The entry's metadata: the core's own (from an earlier decision's store), one written
    // here in its format, or a broken one; the entry's own length, right or wrong.
    const own = stored.get(d.cache);
    const meta = own !== undefined && r.chance(0.5)
      ? own
      : r.chance(0.8)
        ? `v1 ${size} ${r.chance(0.95) ? 1445412480 : r.pick([0, r.bigDecimal()])} ${metaField(r, etag)} ${metaField(r, type)}`
        : r.pick(["v2 1 2 - -", "v1 x", "", "v1 1 2 - - extra", "v1 1 2 %zz -", "v1 99999999999999999999 1 - -", "v1 1  - -", "v1 1 2 - -\0"]);
    const metaSize = /^v1 (\d+) /.exec(meta)?.[1] ?? String(size);
    const cachedSize = r.chance(0.7) ? metaSize : r.pick(["", String(Number(metaSize) + 1), "x", ` ${metaSize}`, `0${metaSize}`, `${metaSize}.0`, r.bigDecimal(), null, Number(metaSize)]);
    const result = r.chance(0.95) ? r.pick([RESULT.ok, RESULT.ok, RESULT.invalid_range]) : r.pick([RESULT.missing, RESULT.error, RESULT.timeout, ...ODD_U32]);
    return { result, source: "cache", cached: meta, cachedSize };
  }
  const result = r.chance(0.85) ? RESULT.ok : r.pick([RESULT.missing, RESULT.invalid_range, RESULT.error, RESULT.timeout, r.pick(ODD_U32)]);
  const s = { result, source: "storage" };
  if (result === RESULT.ok || r.chance(0.1)) {
    s.size = r.chance(0.97) ? size : r.pick([size * 2 + 1, size + 0.5, undefined, 2 ** 53, ...ODD_F64]);
    s.uploaded = r.chance(0.95) ? 1445412480 : r.pick([0, 2 ** 53, -(2 ** 53), 2 ** 40, undefined, ...ODD_F64]);
    s.etag = r.chance(0.99) ? etag : r.pick([...ODD_STRINGS, undefined, null]);
    s.type = r.chance(0.99) ? type : r.pick([...ODD_STRINGS, undefined]);
  }
  return s;
}

// What the upload's state object (and R2, for its ops) reports for a tus op, as the shim hands
// it to finish (tusFacts of the DO's snapshot and, after tus_begin, its lease answer): rows
// near the request's own numbers (its claimed offset, its length, now against the expiry),
// and odd ones.
const TUS_SIZES = [1, 255, 256, 5242879, 5242880, 5242881, 10485760, 52428800000, 2 ** 53, 2 ** 64];
function randomTusStorage(r, d, facts, size, ct) {
  const op = OP[d.plan?.op];
  const now = facts.now;
  let result = RESULT.ok;
  switch (op) {
    case "head": result = r.pick([RESULT.missing, RESULT.missing, RESULT.missing, RESULT.ok, RESULT.error, RESULT.timeout]); break;
    case "tus_create": result = r.chance(0.8) ? RESULT.ok : r.pick([RESULT.exists, RESULT.error, RESULT.timeout]); break;
    case "tus_patch": result = r.chance(0.6) ? RESULT.ok : r.pick([RESULT.incomplete, RESULT.overflow, RESULT.stale, RESULT.error, RESULT.timeout]); break;
    case "tus_complete": result = r.chance(0.6) ? RESULT.ok : r.pick([RESULT.exists, RESULT.stale, RESULT.error, RESULT.timeout]); break;
    case "sniff": result = r.chance(0.8) ? RESULT.ok : r.pick([RESULT.incomplete, RESULT.error, RESULT.timeout]); break;
    default: result = r.chance(0.9) ? RESULT.ok : r.pick([RESULT.error, RESULT.timeout]);
  }
  if (r.chance(0.02)) result = r.pick([RESULT.missing, RESULT.invalid_range, RESULT.exists, RESULT.incomplete, RESULT.stale, RESULT.overflow, r.pick(ODD_U32)]);
  const none = op === "tus_create" ? result !== RESULT.ok && r.chance(0.3) : r.chance(op === "tus_state" || op === "tus_begin" ? 0.2 : 0.05);
  const state = r.chance(0.98) ? r.pick(["open", "open", "open", "completing", "done", "aborting"]) : r.pick(["", "other", undefined]);
  const length = r.chance(0.8) && size > 0 ? size : r.pick(TUS_SIZES);
  const partSize = r.chance(0.95) ? Math.max(5242880, Math.ceil(length / 10000 / 1048576) * 1048576) : r.pick([0, 1, 5242879, ...ODD_F64]);
  const claimed = d.plan?.offset ?? 0;
  let committed = r.pick([0, claimed, claimed, length, r.int(Math.min(length, 2 ** 31) + 1)]);
  if (op === "tus_patch" || op === "tus_complete") committed = r.chance(0.5) ? length : r.pick([claimed, claimed + r.int(5000), r.int(length + 1)]);
  const partsEnd = r.chance(0.95) ? Math.floor(committed / (partSize || 1)) * partSize : r.pick([committed + 1, -1, ...ODD_F64]);
  const created = r.chance(0.95) ? now - r.pick([0, 1, 2, 100, 3600, 86399, 86400]) : r.pick(ODD_F64);
  const expires = r.chance(0.95) ? created + r.pick([2, 86400, 518400]) : r.pick([now, now - 1, now + 1, ...ODD_F64]);
  const lease = op === "tus_begin" ? r.pick(["granted", "granted", "granted", "held", "mismatch", "none"]) : "none";
  let snapshot = none ? null : {
    state, length: r.chance(0.98) ? length : r.pick(ODD_F64), committed, partSize, partsEnd, created, expires,
    familyOk: r.chance(0.5) ? 1 : 0, ct: r.chance(0.85) ? ct : r.pick([...UPLOAD_TYPES, ...ODD_STRINGS, ""]),
  };
  // Mostly an upload in step with the request (open, live, its type, the claimed offset, the
  // lease granted), so that PATCHes get as far as the bytes and the completion.
  let leaseSaid = lease;
  if (snapshot && r.chance(0.6)) {
    const L = size > 0 && size < 2 ** 53 ? size : 5242881;
    const P = Math.max(5242880, Math.ceil(L / 10000 / 1048576) * 1048576);
    const at = op === "tus_patch" || op === "tus_complete" ? (r.chance(0.5) ? L : Math.min(L, claimed + r.int(5000))) : Math.min(claimed, L);
    // A PATCH that brought the offset to L passed the family check first (the state object
    // records it with the bytes), so its upload is then due for completion.
    const checked = r.chance(0.5) || (op === "tus_patch" && at === L);
    snapshot = { state: op === "tus_complete" && r.chance(0.5) ? "completing" : "open", length: L, committed: at, partSize: P, partsEnd: Math.floor(at / P) * P, created: now, expires: now + 86400, familyOk: checked ? 1 : 0, ct };
    if (op === "tus_begin") leaseSaid = r.chance(0.85) ? "granted" : r.pick(["held", "mismatch"]);
  }
  const s = { result, source: "storage", tus: tusFacts(snapshot, leaseSaid) };
  if (op === "sniff") s.head = randomHead(r, Math.max(0, Math.min(Number(d.plan.length) || 0, 256)), ct);
  // R2's object (the key's, or the one the completion made), as the shim reports it.
  if ((op === "head" || op === "tus_complete") && result === RESULT.ok) {
    Object.assign(s, { size: r.chance(0.95) ? snapshot?.length ?? size : r.pick([size + 1, ...ODD_F64]), uploaded: r.chance(0.97) ? 1445412480 : r.pick([undefined, ...ODD_F64]), etag: r.pick(ETAGS), type: ct });
  }
  return s;
}

// The fetch decision as echoed into finish: the decoded one, or (rarely) one the core never
// made, with codes, numbers and the key out of range.
function echo(r, d, size) {
  if (r.chance(0.98)) return d;
  const plan = { ...d.plan };
  const e = { modeCode: d.modeCode, key: d.key, plan };
  switch (r.int(7)) {
    case 0: e.modeCode = r.pick([0, 1, 2, 3, 2 ** 32 - 1]); break;
    case 1: plan.op = r.pick([0, 1, 2, 7]); break;
    case 2: plan.kind = r.pick([...KIND.keys(), KIND.length, 255]); break;
    case 3: plan.attempt = r.pick([0, 1, 2, 3]); break;
    case 4: plan[r.pick(["offset", "length", "suffix"])] = r.pick([0, 1, size, size + 1, 2 ** 53, ...ODD_F64]); break;
    case 5: e.key = r.pick(["", undefined, "k".repeat(1024), "k".repeat(1025), "é".repeat(512), "é".repeat(513), "other/key.mp4"]); break;
    default: return { modeCode: r.pick([1, 2]), key: d.key, plan: { op: 0, kind: 0, attempt: 1, offset: 0, length: 0, suffix: 0 } };
  }
  return e;
}

// The header tables decisions refer to (the module's own, as core.js reads them).
let headerTables = null;

// A decision from output bytes, or null when it cannot be read (no output).
function decision(out) {
  headerTables ??= createCore(new WebAssembly.Module(readFileSync(BUILDS.wasi))).headerTables();
  try {
    return decodeDecision(out, headerTables);
  } catch {
    return null;
  }
}

// --- The run ------------------------------------------------------------------------------------

// Output text for a report; long inputs are shortened in the middle.
const show = (b) => {
  const t = b.toString("utf8");
  return JSON.stringify(t.length <= 600 ? t : `${t.slice(0, 300)} [... ${t.length - 600} chars ...] ${t.slice(-300)}`);
};
const num = (v) => (Object.is(v, -0) ? "-0" : String(v));
// A binary input for a report: its numbers, its strings, and the bytes themselves (base64).
const showInput = (b) => {
  const numbers = {};
  for (const [name, at, type] of IN_NUMBERS) {
    if (at + (type === "f64" ? 8 : 4) <= b.length) numbers[name] = type === "f64" ? num(b.readDoubleLE(at)) : b.readUInt32LE(at);
  }
  return { length: b.length, numbers, strings: show(b.subarray(IN_STRINGS)), base64: b.length <= 8192 ? b.toString("base64") : "(long)" };
};
// A decision for a report: decoded, and its bytes (base64).
const showDecision = (b) => {
  const d = decision(b);
  const odd = (k, v) => (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0)) ? num(v) : v);
  return { decoded: d && JSON.stringify(d, odd), base64: b.toString("base64") };
};

export async function runDifferential({ count = 100000, seed = 1, native = NATIVE, builds = BUILDS, log = () => {} } = {}) {
  const r = rng(seed);
  const wasm = Object.entries(builds).map(([name, file]) => ({ name, call: loadWasm(file) }));
  const inCap = wasm[0].call.inCap;
  for (const w of wasm) if (w.call.inCap !== inCap) throw new Error(`input buffers differ: ${w.name} ${w.call.inCap}, ${wasm[0].name} ${inCap}`);
  const nat = new Native(native);
  const stats = { requests: 0, calls: 0, mismatches: 0, first: null, finishes: 0, garbled: 0, statuses: {}, uploads: {}, tus: {} };
  let pending = [];

  // One call through every build: the first Wasm build drives, the others must agree.
  const call = (name, arg, bytes, what) => {
    stats.calls++;
    const index = stats.calls;
    // What reaches the input buffer (encodeInto stops at its capacity, as encodeInput does);
    // a snapshot is copied into memory the core allocated for it, whole.
    const input = bytes === null || name === "snapshot_install" ? bytes : bytes.subarray(0, inCap);
    const [ret, out] = wasm[0].call(name, arg, input);
    const results = [[wasm[0].name, ret, out]];
    for (const w of wasm.slice(1)) {
      const [ret2, out2] = w.call(name, arg, input);
      results.push([w.name, ret2, out2]);
    }
    const binary = name === "begin" || name === "finish";
    pending.push(
      nat.call(name, arg, input).then(([ret3, out3]) => {
        results.push(["native", ret3, out3]);
        if (results.some(([, rr, oo]) => rr !== ret || !oo.equals(out))) {
          stats.mismatches++;
          if (!stats.first) {
            stats.first = {
              what,
              call: `${name}(${arg})`,
              index,
              input: input === null ? null : binary ? showInput(input) : show(input),
              outputs: Object.fromEntries(results.map(([n, rr, oo]) => [n, { ret: rr, out: binary ? showDecision(oo) : show(oo) }])),
            };
          }
        }
      }),
    );
    return [ret, out];
  };
  const text = (s) => Buffer.from(encoder.encode(s));
  // The bytes the shim's encoder writes for begin (no `d`) or finish, into a buffer of the
  // core's capacity; sometimes garbled afterwards. The buffer is smaller where that changes no
  // byte (a UTF-16 code unit is at most 3 UTF-8 bytes): 160 KiB per call is slow to allocate.
  const encoded = (facts, d, s, what) => {
    const units = facts.strings.length + (d ? finishStrings(s, d.key).length : 0);
    const cap = Math.min(inCap, (IN_STRINGS + 3 * units + 15) & ~7); // encodeInput takes multiples of 4
    let bytes = Buffer.from(encodeInput(facts, d, s, cap)); // a copy of just the input
    if (r.chance(0.02)) {
      stats.garbled++;
      let how;
      [bytes, how] = garble(r, bytes, inCap);
      what = `${what}, garbled: ${how}`;
    }
    return [bytes, what];
  };

  const keys = Array.from({ length: 64 }, () => randomKey(r));
  // A long key of two-byte characters: its decisions (key, edge cache path) are the longest.
  keys.push("u/" + "é".repeat(r.range(440, 520)));
  const uploadKeys = Array.from({ length: 16 }, (_, i) => `u/me_${i}/` + r.pick(CLEAN_PIECES.filter((p) => p !== "/")) + r.pick([".png", ".mp4", " é😀.jpg", ""]));
  // The metadata each edge cache path's entry was stored with, by the core's decisions.
  const stored = new Map();
  let now = 1767225600;

  let configured = false;
  const configure = () => {
    for (let i = 0; i < 2; i++) {
      const pickSecret = r.int(30);
      const secret = pickSecret === 0 ? null : pickSecret === 1 ? "" : pickSecret === 2 ? "s".repeat(r.range(4090, 4100)) : i === 0 ? r.pick([SECRETS[0], SECRETS[0], SECRETS[2]]) : SECRETS[1];
      if (i === 1 && r.chance(0.4)) call("secret", 1, null, "secret absent");
      else call("secret", i, secret === null ? null : text(secret), "secret");
    }
    const [, out] = call("configure", 0, text(randomConfig(r)), "configure");
    configured = out.toString("utf8").startsWith("ok\t");
  };

  const revocations = () => {
    switch (r.int(4)) {
      case 0:
        call("snapshot_clear", 0, Buffer.alloc(0), "snapshot clear");
        return;
      case 1: { // garbage snapshot: refused, the previous one stays
        const junk = Buffer.from(Array.from({ length: r.int(64) }, () => r.int(256)));
        if (r.chance(0.5)) Buffer.from("MGRV").copy(junk);
        call("snapshot_install", 0, junk, "snapshot garbage");
        return;
      }
      default: { // the scheduled handler's path: build from KV lines, install what was built
        call("build_reset", 0, Buffer.alloc(0), "build reset");
        let lines = "";
        for (let i = 0; i < r.range(0, 30); i++) {
          const k = r.pick(keys).replace(/^\/+/, "");
          const name = r.chance(0.9) ? "rev:" + createHash("sha256").update(k, "utf8").digest("hex") : r.pick(["rev:xyz", "other", "rev:" + "A".repeat(64)]);
          const value = r.pick(['{"scope":"all","at":1}', '{"scope":"public","at":2}', '{"scope":"none"}', "not json", '{"scope":"public","scope":"all"}', '{"a":{"scope":"public"}}', ""]);
          lines += `${name}\t${value}\n`;
        }
        call("build_add", 0, text(lines), "build add");
        // An incremental run: keep the installed snapshot's entries outside a span.
        if (r.chance(0.5)) {
          const name = () => r.pick(["", "", "rev:" + createHash("sha256").update(r.pick(keys), "utf8").digest("hex"), "rev:" + "f".repeat(64), "rev:" + "0".repeat(64), "rev:xyz"]);
          call("build_keep", 0, text(r.chance(0.95) ? `${name()}\t${name()}` : name()), "build keep");
        }
        const [n, bytes] = call("build_finish", r.chance(0.7) ? now - r.pick([0, 10, 299, 300, 301, 100000]) : now, null, "build finish");
        if (n > 0) call("snapshot_install", 0, bytes, "snapshot install");
      }
    }
  };

  configure();
  for (let i = 0; i < count; i++) {
    // A configuration problem answers 503 to everything: keep those stretches short.
    if (r.chance(configured ? 0.002 : 0.03)) configure();
    if (r.chance(0.001)) revocations();
    now += r.int(3);
    // One request in six is an upload, mostly to keys the gate serves (so that many get as far
    // as the sniff, the put and the comparing head).
    // Another one in six is a tus request (OPTIONS, POST, HEAD, PATCH, DELETE with tus headers).
    const upload = r.chance(1 / 6);
    const tus = !upload && r.chance(1 / 5);
    const key = (upload || tus) && r.chance(0.8) ? r.pick(uploadKeys) : r.pick(keys);
    const size = r.chance(0.05) ? 0 : r.chance(0.02) ? Number.MAX_SAFE_INTEGER : tus && r.chance(0.2) ? r.pick([5242879, 5242880, 5242881, 10485761]) : r.range(1, 5000);
    const etag = r.pick(ETAGS);
    const facts = randomRequest(r, key, now, size, etag, inCap, upload, tus);
    stats.requests++;

    let [bytes, what] = encoded(facts, null, null, "begin");
    let [, out] = call("begin", 0, bytes, what);
    let d = decision(out);
    // At most four rounds, as the shim (two storage reads, each after an edge cache lookup).
    // A tus PATCH takes up to four (begin, sniff, the bytes, the completion), a POST three.
    for (let round = 0; round < (tus ? 5 : 4) && d?.fetch; round++) {
      // As the shim does: the decoded fetch decision, what storage said, the same facts
      // (rarely another request's, as a shim mixing requests up would send).
      const s = tus && r.chance(0.98) ? randomTusStorage(r, d, facts, size, facts.uploadType) : randomStorage(r, d, size, etag, r.pick(TYPES), stored, facts.strings.startsWith("PUT\0"), facts.uploadType);
      const f = r.chance(0.995) ? facts : randomRequest(r, r.pick(keys), now, size, etag, inCap);
      stats.finishes++;
      [bytes, what] = encoded(f, echo(r, d, size), s, "finish");
      [, out] = call("finish", 0, bytes, what);
      d = decision(out);
    }
    if (d?.store) stored.set(d.store.path, d.store.meta);
    const status = d === null ? "other" : d.fetch ? "fetch" : `${d.status} ${d.reason}`;
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
    if (facts.strings.startsWith("PUT\0")) stats.uploads[status] = (stats.uploads[status] ?? 0) + 1;
    if (tus) {
      const m = facts.strings.slice(0, facts.strings.indexOf("\0"));
      stats.tus[`${m} ${status}`] = (stats.tus[`${m} ${status}`] ?? 0) + 1;
    }

    if (pending.length >= 4096) {
      await Promise.all(pending);
      pending = [];
      if (i % 100000 < 1500) log(`  ${i + 1} requests, ${stats.mismatches} differences`);
    }
  }
  await Promise.all(pending);
  await nat.close();
  return stats;
}
