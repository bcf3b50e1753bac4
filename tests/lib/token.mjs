// The one JS token minter and path quoter of the tests, benchmarks and tools
// (docs/CONTRACT.md section 3: the backend's algorithm, written with
// node:crypto, independently of the core's C++). Nothing here is shipped.
import { createHmac } from "node:crypto";

// docs/CONTRACT.md section 3's test secret: never a deployed one.
export const SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// Python's json.dumps(d, separators=(",", ":"), sort_keys=True), as the
// backend writes payloads: compact, sorted, printable ASCII only (the rest as
// lower-case \uXXXX per UTF-16 unit, DEL too, as Python does).
export function pyJson(value) {
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

// A token over the payload bytes: base64url(payload) "." base64url(HMAC-SHA256(secret as UTF-8, payload)).
export function mintBytes(payload, secret = SECRET) {
  const mac = createHmac("sha256", Buffer.from(secret, "utf8")).update(payload).digest();
  return Buffer.from(payload).toString("base64url") + "." + mac.toString("base64url");
}

// A token over a payload's text (UTF-8).
export const mintRaw = (payloadText, secret = SECRET) => mintBytes(Buffer.from(payloadText, "utf8"), secret);

// A token for `key` (leading slashes dropped, as the gate reads keys): public,
// or private until `exp` (default: now + ttl seconds).
export function mint(key, { mode = "pub", ttl = 600, exp, secret = SECRET } = {}) {
  const k = key.replace(/^\/+/, "");
  const payload = mode === "pub" ? { k, m: "pub" } : { e: exp ?? Math.floor(Date.now() / 1000) + ttl, k, m: "priv" };
  return mintRaw(pyJson(payload), secret);
}

// A put token for `key` (docs/UPLOADS.md): ct the declared media type, n
// the backend's size limit (omitted when undefined), e = exp or now + ttl.
export function mintPut(key, { ct = "image/png", n, ttl = 600, exp, secret = SECRET } = {}) {
  const k = key.replace(/^\/+/, "");
  const payload = { ct, e: exp ?? Math.floor(Date.now() / 1000) + ttl, k, m: "put" };
  if (n !== undefined) payload.n = n;
  return mintRaw(pyJson(payload), secret);
}

// A well-formed token with a wrong MAC: the costliest denial (full HMAC).
export function forge(token) {
  const last = token.at(-1) === "A" ? "Q" : "A";
  return token.slice(0, -1) + last;
}

// Python's urllib.parse.quote(text, safe="/~"): UTF-8, unreserved bytes and "/" kept.
export function quotePath(text) {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.\-~/]/.test(c) ? c : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

// A key as the path after /m/: leading slashes dropped, then quoted.
export const keyPath = (key) => quotePath(key.replace(/^\/+/, ""));

// Deterministic object bytes (an LCG from `seed`): bodies are checked byte for byte.
export function bytes(n, seed = 7) {
  const b = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
