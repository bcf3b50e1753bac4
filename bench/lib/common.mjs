// Shared by scripts/bench.mjs and the bench's tests: the secret, a token
// minter (the backend's algorithm, node:crypto), the objects every Worker
// under measurement serves, and the request kinds.
import { createHmac } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// docs/CONTRACT.md section 3's test secret: never a deployed one.
export const SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// Python's json.dumps(..., separators=(",", ":"), sort_keys=True), ASCII only.
function pyString(s) {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c < 0x20 || c > 0x7e) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += s[i];
  }
  return out + '"';
}

export function mint(key, { mode = "pub", ttl = 3600, exp } = {}) {
  const k = key.replace(/^\/+/, "");
  const payload = mode === "pub"
    ? `{"k":${pyString(k)},"m":"pub"}`
    : `{"e":${exp ?? Math.floor(Date.now() / 1000) + ttl},"k":${pyString(k)},"m":"priv"}`;
  const mac = createHmac("sha256", Buffer.from(SECRET, "utf8")).update(payload, "utf8").digest();
  return Buffer.from(payload, "utf8").toString("base64url") + "." + mac.toString("base64url");
}

// A well-formed token with a wrong MAC: the costliest denial (full HMAC).
export function forge(token) {
  const last = token.at(-1) === "A" ? "Q" : "A";
  return token.slice(0, -1) + last;
}

// Python's urllib.parse.quote(key, safe="/~").
export function quotePath(key) {
  let out = "";
  for (const byte of Buffer.from(key.replace(/^\/+/, ""), "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.\-~/]/.test(c) ? c : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

// Deterministic bytes.
export function bytes(n, seed = 7) {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

// What every Worker under measurement serves (same bytes in each one's
// local R2). 16 KiB: a typical thumbnail.
export const PUBLIC_KEY = "u/bench/public.png";
export const PRIVATE_KEY = "u/bench/private.png";
export const OBJECT_BYTES = 16 * 1024;
export const BENCH_OBJECTS = {
  [PUBLIC_KEY]: { body: bytes(OBJECT_BYTES, 11), type: "image/png" },
  [PRIVATE_KEY]: { body: bytes(OBJECT_BYTES, 12), type: "image/png" },
};

// The request kinds of the end-to-end rows (paths and headers; the origin
// is the Worker's), and which Workers each is measured on. The cached hit is
// the public request again, on mediagate with its edge cache on (every
// request after the first is a hit); the old Worker has no cache, so its
// figure there is its public image row.
export function e2eKinds() {
  const pub = mint(PUBLIC_KEY);
  const gate = ["mediagate", "baseline", "floor"];
  return [
    { kind: "public", what: "GET public image (16 KiB), 200", path: `/m/${quotePath(PUBLIC_KEY)}?t=${pub}`, headers: {}, status: 200, workers: gate },
    { kind: "private", what: "GET private image (16 KiB), 200", path: `/m/${quotePath(PRIVATE_KEY)}?t=${mint(PRIVATE_KEY, { mode: "priv" })}`, headers: {}, status: 200, workers: gate },
    { kind: "range", what: "GET public, Range bytes=0-1, 206", path: `/m/${quotePath(PUBLIC_KEY)}?t=${pub}`, headers: { range: "bytes=0-1" }, status: 206, workers: gate },
    { kind: "cached", what: "GET public image, edge cache hit", path: `/m/${quotePath(PUBLIC_KEY)}?t=${pub}`, headers: {}, status: 200, workers: ["mediagate-cache", "baseline", "floor"] },
    { kind: "denied", what: "GET public, wrong MAC, 401", path: `/m/${quotePath(PUBLIC_KEY)}?t=${forge(pub)}`, headers: {}, status: 401, workers: [...gate, "mediagate-quiet", "baseline-logged"] },
  ];
}
