#!/usr/bin/env node
// Differential test: the same randomly generated calls through the Wasm core (both builds,
// loaded in Node exactly as worker-shim/index.js loads them) and through the native core
// (`mediagate abi`, the same exports run natively: wasm/cli/abi_cmd.cc). Every call's output
// must be byte-identical (docs/TESTING.md).
//
//   node scripts/differential.mjs [--count N] [--seed S] [--native PATH] [--quiet]
//
// N requests (default 100000), each one mg_begin and, when the core asks for storage, one to
// three mg_finish calls with a simulated storage or edge cache result; configuration
// (secrets, [vars]) and the revocation snapshot (built by the core's builder, installed, or
// garbage) change along the way. Prints the counts and the first differing call; exits 1 on
// any difference. Needs the builds of scripts/setup.sh.
import { spawn } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BUILDS = {
  wasi: path.join(ROOT, "worker-shim/mediagate.wasm"),
  emscripten: path.join(ROOT, "build/emscripten/mediagate.opt.wasm"),
};
export const NATIVE = path.join(ROOT, "build/native/mediagate");

const encoder = new TextEncoder();

// --- The Wasm side: instantiated and called as worker-shim/index.js does ----------------------

function loadWasm(file) {
  const module = new WebAssembly.Module(readFileSync(file));
  const instance = new WebAssembly.Instance(module, { env: { emscripten_notify_memory_growth() {} } });
  const x = instance.exports;
  if (typeof x._initialize === "function") x._initialize();
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
  return function call(name, arg, bytes) {
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
      case "build_finish": {
        const r = x.mg_snapshot_build_finish(arg);
        const p = Number(x.mg_snapshot_build_ptr());
        return [r, r > 0 ? Buffer.from(mem().slice(p, p + r)) : none];
      }
      default:
        throw new Error(`unknown call ${name}`);
    }
  };
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

// Python's json.dumps(d, separators=(",", ":"), sort_keys=True), as the backend mints.
function pyJson(value) {
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value === "string") {
    let out = '"';
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c === 0x22) out += '\\"';
      else if (c === 0x5c) out += "\\\\";
      else if (c === 0x0a) out += "\\n";
      else if (c === 0x0d) out += "\\r";
      else if (c === 0x09) out += "\\t";
      else if (c === 0x08) out += "\\b";
      else if (c === 0x0c) out += "\\f";
      else if (c < 0x20 || c > 0x7e) out += "\\u" + c.toString(16).padStart(4, "0");
      else out += value[i];
    }
    return out + '"';
  }
  const keys = Object.keys(value).sort();
  return "{" + keys.map((k) => pyJson(k) + ":" + pyJson(value[k])).join(",") + "}";
}

function mintRaw(payload, secret) {
  const mac = createHmac("sha256", Buffer.from(secret, "utf8")).update(Buffer.from(payload, "utf8")).digest();
  return Buffer.from(payload, "utf8").toString("base64url") + "." + mac.toString("base64url");
}

function quotePath(key) {
  let out = "";
  for (const byte of Buffer.from(key, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.\-~/]/.test(c) ? c : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
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
  if (r.chance(0.01)) key = "u/" + "k".repeat(r.range(1015, 1030));
  return key;
}

function randomPath(r, key) {
  switch (r.int(12)) {
    case 0: return "/m/" + key; // raw (unicode, spaces) as the ABI takes any text
    case 1: return "/m/" + quotePath(key).replace(/%[0-9A-F]{2}/g, (m) => (r.chance(0.5) ? m.toLowerCase() : m));
    case 2: return "/m/" + quotePath(key) + r.pick(["%", "%z", "%zz", "%FF", "%C0%AF", "%ED%A0%80", "%00", "%2e%2e", "/..", "%5C"]);
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
  const pos = () => r.pick([0, 1, size - 1, size, size + 1, r.int(size + 10), r.bigDecimal()]);
  switch (r.int(8)) {
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
  maybe("MEDIA_REVOCATION_MAX_STALENESS_SECONDS", ["0", "900", "86400"], ["-5"]);
  maybe("MEDIA_REVOCATION_REFRESH_SECONDS", ["0", "30", "3600"], ["3601"]);
  maybe("MEDIA_EDGE_CACHE", ["on", "off"], ["yes"]);
  maybe("MEDIA_LOG_SAMPLE_RATE", ["0", "0.01", "1", "0.000001", " 0.5 "], ["2", "1.5", "x", "0.0000000000001"]);
  maybe("MEDIA_DEBUG_HEADERS", ["on", "off"], ["1"]);
  maybe("MEDIA_STORAGE_TIMEOUT_MS", ["100", "5000", "60000"], ["99", "60001", "5s"]);
  if (r.chance(0.02)) lines.push("MEDIA_KEY_PREFIXES\t" + "p/,".repeat(20)); // more than 16 prefixes
  for (let i = lines.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [lines[i], lines[j]] = [lines[j], lines[i]];
  }
  return lines.join("\n") + "\n";
}

// --- The run ------------------------------------------------------------------------------------

// Output text for a report; long inputs are shortened in the middle.
const show = (b) => {
  const t = b.toString("utf8");
  return JSON.stringify(t.length <= 600 ? t : `${t.slice(0, 300)} [... ${t.length - 600} chars ...] ${t.slice(-300)}`);
};

export async function runDifferential({ count = 100000, seed = 1, native = NATIVE, builds = BUILDS, log = () => {} } = {}) {
  const r = rng(seed);
  const wasm = Object.entries(builds).map(([name, file]) => ({ name, call: loadWasm(file) }));
  const nat = new Native(native);
  const stats = { requests: 0, calls: 0, mismatches: 0, first: null, finishes: 0, statuses: {} };
  let pending = [];

  // One call through every build: the first Wasm build drives, the others must agree.
  const call = (name, arg, bytes, what) => {
    stats.calls++;
    const [ret, out] = wasm[0].call(name, arg, bytes);
    const results = [[wasm[0].name, ret, out]];
    for (const w of wasm.slice(1)) {
      const [ret2, out2] = w.call(name, arg, bytes);
      results.push([w.name, ret2, out2]);
    }
    // What reached the input buffer (encodeInto stops at its capacity); a snapshot is copied
    // into memory the core allocated for it, whole.
    const input = bytes === null || name === "snapshot_install" ? bytes : bytes.subarray(0, 65536);
    pending.push(
      nat.call(name, arg, input).then(([ret3, out3]) => {
        results.push(["native", ret3, out3]);
        if (results.some(([, rr, oo]) => rr !== ret || !oo.equals(out))) {
          stats.mismatches++;
          if (!stats.first) {
            stats.first = {
              what,
              call: `${name}(${arg})`,
              input: input === null ? null : show(input),
              outputs: Object.fromEntries(results.map(([n, rr, oo]) => [n, { ret: rr, out: show(oo) }])),
            };
          }
        }
      }),
    );
    return [ret, out];
  };
  const text = (s) => Buffer.from(encoder.encode(s));

  const keys = Array.from({ length: 64 }, () => randomKey(r));
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
        const [n, bytes] = call("build_finish", now, null, "build finish");
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
    const key = r.pick(keys);
    const method = r.chance(0.7) ? "GET" : r.chance(0.7) ? "HEAD" : r.pick(METHODS);
    const reqNow = r.chance(0.01) ? r.pick([0, -1, 2 ** 40, "x", "99999999999999999999"]) : now;
    let facts = `method\t${method}\npath\t${randomPath(r, key)}\nquery\t${randomQuery(r, randomToken(r, key, now))}\nnow\t${reqNow}\n`;
    const size = r.chance(0.05) ? 0 : r.chance(0.02) ? Number.MAX_SAFE_INTEGER : r.range(1, 5000);
    const etag = r.pick(ETAGS);
    if (r.chance(0.4)) facts += `range\t${randomRange(r, size)}\n`;
    if (r.chance(0.1)) facts += `if-match\t${r.pick([etag, "*", '"x", ' + etag, "W/" + etag])}\n`;
    if (r.chance(0.1)) facts += `if-none-match\t${r.pick([etag, "*", "W/" + etag, '"x"'])}\n`;
    if (r.chance(0.1)) facts += `if-modified-since\t${r.pick(DATES)}\n`;
    if (r.chance(0.1)) facts += `if-unmodified-since\t${r.pick(DATES)}\n`;
    if (r.chance(0.1)) facts += `if-range\t${r.pick([etag, "W/" + etag, ...DATES])}\n`;
    if (r.chance(0.3)) facts += `x-request-id\t${r.pick(["abc-123", "req:1.2_3", "x".repeat(128), "y".repeat(129), "has space", "é", "?t=secret"])}\n`;
    if (r.chance(0.9)) facts += `sample\t${r.pick([0, r.int(1000000), 999999, 1000000, "x"])}\n`;
    if (r.chance(0.8)) facts += `revocations\t${r.pick(["loaded", "loaded", "unavailable", "disabled", "odd"])}\nrevocations_age\t${r.pick([0, 5, 31, 901, 100000, -3])}\n`;
    if (r.chance(0.01)) facts += r.pick(["garbage line\n", "method\tPOST\n", "\t\t\n", "x".repeat(70000)]);
    // Around the 64 KiB input buffer: the text is cut wherever the buffer ends.
    if (facts.length < 60000 && r.chance(0.005))
      facts = `if-none-match\t"${"a".repeat(65536 - facts.length - 17 + r.int(8))}"\n` + facts;
    stats.requests++;

    let [, out] = call("begin", 0, text(facts), "begin");
    let d = out.toString("utf8");
    for (let round = 0; round < 3 && d.startsWith("fetch\t"); round++) {
      const fetchLine = d.split("\n")[0].slice(6);
      const mode = /\nmode\t([^\n]*)/.exec(d)?.[1] ?? "";
      const cache = /\ncache\t/.test(d);
      let storage;
      const uploaded = r.chance(0.95) ? 1445412480 : r.pick([-1, 0, "x", r.bigDecimal()]);
      const type = r.pick(TYPES);
      if (cache && r.chance(0.5)) {
        const meta = r.chance(0.8) ? `v1 ${size} 1445412480 ${etag ? etag.replace(/ /g, "%20") : "-"} ${type ? encodeURIComponent(type) : "-"}` : r.pick(["v2 1 2 - -", "v1 x", ""]);
        storage = `result\t${r.pick(["ok", "ok", "invalid_range"])}\nsource\tcache\ncached\t${meta}\ncached_size\t${r.pick([size, "", size + 1, "x"])}\n`;
      } else {
        const result = r.chance(0.85) ? "ok" : r.pick(["missing", "invalid_range", "error", "weird"]);
        storage = `result\t${result}\n`;
        if (result === "ok" || r.chance(0.1)) {
          storage += `size\t${r.chance(0.98) ? size : r.pick([size * 2 + 1, "-1", "x", r.bigDecimal()])}\netag\t${etag}\nuploaded\t${uploaded}\ntype\t${type}\n`;
        }
      }
      const echo = r.chance(0.99) ? `mode\t${mode}\nfetch\t${fetchLine}\n` : r.pick(["", "mode\tpub\n", `mode\tpriv\nfetch\tget\twhole\t0\t0\t0\t3\n`, `fetch\t${fetchLine}\n`]);
      stats.finishes++;
      [, out] = call("finish", 0, text(facts + echo + storage), "finish");
      d = out.toString("utf8");
    }
    const status = /^status\t(\d+\nreason\t\w+)/.exec(d)?.[1].replace("\nreason\t", " ") ?? (d.startsWith("fetch") ? "fetch" : "other");
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;

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

// --- Command line ---------------------------------------------------------------------------------

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
  };
  const count = Number(opt("--count", 100000));
  const seed = Number(opt("--seed", 1));
  const native = opt("--native", NATIVE);
  const quiet = args.includes("--quiet");
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) {
    console.error("usage: node scripts/differential.mjs [--count N] [--seed S] [--native PATH] [--quiet]");
    process.exit(2);
  }
  const t0 = process.hrtime.bigint();
  const stats = await runDifferential({ count, seed, native, log: quiet ? () => {} : (m) => console.log(m) });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`builds: ${Object.keys(BUILDS).join(", ")}, native (${path.relative(ROOT, native)})`);
  console.log(`seed ${seed}: ${stats.requests} requests, ${stats.finishes} finish calls, ${stats.calls} calls in ${seconds.toFixed(1)} s`);
  console.log(`final answers: ${JSON.stringify(stats.statuses)}`);
  if (stats.mismatches) {
    console.log(`DIFFERENT: ${stats.mismatches} calls; the first:`);
    console.log(JSON.stringify(stats.first, null, 2));
    process.exit(1);
  }
  console.log(`identical: every output byte-identical across ${Object.keys(BUILDS).length} Wasm builds and native`);
}
