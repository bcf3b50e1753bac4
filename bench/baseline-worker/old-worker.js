// The old hand-written Worker's algorithm, written from docs/CONTRACT.md
// as a measurement baseline for scripts/bench (docs/PERFORMANCE.md). Not
// shipped, not a reference for behaviour: mediagate is. What matters here is
// the cost profile the issue describes: per request, the secret is imported
// with crypto.subtle.importKey and the payload signed with crypto.subtle.sign
// (both awaited), the payload read with JSON.parse, and every view reads R2
// once. Its headers are the contract's, so both Workers send comparable
// responses. Two known old-Worker flaws are left out on purpose, so that both
// Workers serve the same requests: its ASCII-only key allow-list (it refused
// the contract's private vector) and its missing hardening headers.
//
// `decide` stops where a Response would be built (the caller does that), so
// scripts/bench.mjs can time it in Node next to the Wasm decision, excluding
// the same Response construction from both.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const SECURITY = [
  ["x-content-type-options", "nosniff"],
  ["referrer-policy", "no-referrer"],
  ["cross-origin-resource-policy", "same-origin"],
  ["x-robots-tag", "noindex, nofollow"],
  ["content-security-policy", "default-src 'none'; sandbox"],
];

function b64urlDecode(s) {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function deny(status, word, mode) {
  return {
    status,
    headers: [
      ...SECURITY,
      ["cache-control", mode === "pub" && status === 404 ? "public, max-age=60" : "private, no-store"],
      ["content-type", "text/plain; charset=utf-8"],
    ],
    text: word,
  };
}

// The old Worker's token check: importKey + sign, awaited, on every request.
export async function verifyToken(token, key, secret, now, leeway = 60) {
  if (!token) return { word: "restricted" };
  const parts = token.split(".");
  if (parts.length !== 2) return { word: "forbidden" };
  let payload, mac;
  try {
    payload = b64urlDecode(parts[0]);
    mac = b64urlDecode(parts[1]);
  } catch {
    return { word: "forbidden" };
  }
  const cryptoKey = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const want = new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, payload));
  let diff = mac.length ^ want.length;
  for (let i = 0; i < want.length; i++) diff |= want[i] ^ (mac[i] ?? 0);
  if (diff !== 0) return { word: "forbidden" };
  let claims;
  try {
    claims = JSON.parse(decoder.decode(payload));
  } catch {
    return { word: "forbidden" };
  }
  if (typeof claims !== "object" || claims === null || typeof claims.k !== "string") return { word: "forbidden" };
  if (claims.k.replace(/^\/+/, "") !== key) return { word: "forbidden" };
  if (claims.m === "pub") return { mode: "pub" };
  if (claims.m !== "priv" || !Number.isInteger(claims.e)) return { word: "forbidden" };
  if (now > claims.e + leeway) return { word: "expired", mode: "priv" };
  return { mode: "priv" };
}

// request + env -> { status, headers: [[name, value]...], text } or
// { status, headers, object } (the R2 object whose body to stream).
export async function decide(request, env, now = Math.floor(Date.now() / 1000)) {
  if (request.method !== "GET" && request.method !== "HEAD") {
    const d = deny(405, "method_not_allowed");
    d.headers.push(["allow", "GET, HEAD"]);
    return d;
  }
  const url = new URL(request.url);
  if (!url.pathname.startsWith("/m/")) return deny(404, "not_found");
  let key;
  try {
    key = decodeURIComponent(url.pathname.slice(3)).replace(/^\/+/, "");
  } catch {
    return deny(400, "bad_request");
  }
  if (!key.startsWith("u/")) return deny(404, "not_found");
  const verdict = await verifyToken(url.searchParams.get("t"), key, env.MEDIA_TOKEN_SECRET, now);
  if (verdict.word) return deny(401, verdict.word, verdict.mode);

  const range = request.headers.get("range");
  let obj;
  try {
    obj = request.method === "HEAD"
      ? await env.MEDIA_BUCKET.head(key)
      : await env.MEDIA_BUCKET.get(key, range ? { range: request.headers } : {});
  } catch {
    return deny(range ? 416 : 503, range ? "range_not_satisfiable" : "storage_unavailable", verdict.mode);
  }
  if (obj === null) return deny(404, "not_found", verdict.mode);

  const headers = [
    ...SECURITY,
    ["cache-control", verdict.mode === "pub" ? "public, max-age=31536000, immutable" : "private, no-store"],
    ["content-type", obj.httpMetadata?.contentType || "application/octet-stream"],
    ["etag", obj.httpEtag],
    ["last-modified", obj.uploaded.toUTCString()],
    ["accept-ranges", "bytes"],
  ];
  let status = 200;
  let length = obj.size;
  if (range && obj.range && request.method === "GET") {
    const offset = obj.range.offset ?? (obj.range.suffix !== undefined ? obj.size - obj.range.suffix : 0);
    length = obj.range.length ?? obj.size - offset;
    status = 206;
    headers.push(["content-range", `bytes ${offset}-${offset + length - 1}/${obj.size}`]);
  }
  headers.push(["content-length", String(length)]);
  return { status, headers, object: request.method === "HEAD" ? null : obj };
}
