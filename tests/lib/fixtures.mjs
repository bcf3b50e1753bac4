// Recorded request fixtures (docs/FIXTURES.md): the format and HAR -> fixture conversion
// (the `mediagate fixtures ...` subcommands are tools/fixtures.mjs; the replay, replay.mjs).
//
// A fixture never carries a live token: every token is replaced by a placeholder such as
// {{token:pub}} that the replay mints with the set's own test secret.
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { pyJson } from "./token.mjs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const FORMAT = "mediagate-fixtures/1";
// The set's own test secret (docs/CONTRACT.md section 3's test vectors). Never a deployment's secret.
export const TEST_SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
export const TEST_SECRET_PREVIOUS = "previous-test-secret-previous-test-secret-previous-test-secret";
export const DEFAULT_CONFIG = {
  MEDIA_TOKEN_SECRET: TEST_SECRET,
  MEDIA_KEY_PREFIXES: "u/",
  MEDIA_CLOCK_SKEW_SECONDS: "60",
  MEDIA_MAX_TOKEN_TTL_SECONDS: "3600",
  MEDIA_CORP: "same-origin",
};
// The request headers the gate reads; every other request header (cookies, authorization,
// user-agent, referer, ...) is dropped from a recording.
export const REQUEST_HEADERS = ["range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range"];
// The response headers that matter: each one's presence and value is part of the expectation
// (docs/CONTRACT.md section 5). The last three must never appear.
export const RESPONSE_HEADERS = [
  "content-type", "content-length", "content-range", "content-disposition", "accept-ranges",
  "etag", "last-modified", "cache-control", "allow",
  "x-content-type-options", "referrer-policy", "cross-origin-resource-policy", "x-robots-tag",
  "content-security-policy", "set-cookie", "vary", "location",
];

// --- Reading and writing sets -----------------------------------------------------------------

// A set file: a header line, then one line per request. Returns { header, lines }.
export function parseSet(text, name = "set") {
  const rows = text.split("\n").filter((l) => l.trim() !== "");
  if (rows.length === 0) throw new Error(`${name}: empty`);
  const parsed = rows.map((l, i) => {
    try {
      return JSON.parse(l);
    } catch (err) {
      throw new Error(`${name}:${i + 1}: not JSON: ${err.message}`);
    }
  });
  const [header, ...lines] = parsed;
  if (header.format !== FORMAT) throw new Error(`${name}: first line must be a header with "format":"${FORMAT}"`);
  lines.forEach((l, i) => {
    if (!l.request || typeof l.request.url !== "string" || !l.expect || typeof l.expect.status !== "number")
      throw new Error(`${name}:${i + 2}: a line needs request.url and expect.status`);
  });
  return { header, lines };
}

export function readSet(file) {
  return parseSet(readFileSync(file, "utf8"), path.relative(ROOT, file));
}

export function formatSet({ header, lines }) {
  return [header, ...lines].map((l) => JSON.stringify(l)).join("\n") + "\n";
}

// --- Keys and tokens --------------------------------------------------------------------------

// The object key a request path names, as the gate decodes it (percent-decoded UTF-8, leading
// "/" stripped), or null when it does not decode.
export function keyOfPath(pathname) {
  if (!pathname.startsWith("/m/")) return null;
  try {
    return decodeURIComponent(pathname.slice(3)).replace(/^\/+/, "");
  } catch {
    return null;
  }
}

// The HMAC of a payload under a secret as the gate reads it (surrounding white space trimmed).
const hmac = (secret, bytes) => createHmac("sha256", Buffer.from(secret.trim(), "utf8")).update(bytes).digest();

// Canonical base64url (no padding, canonical trailing bits), as the gate reads it; else null.
function strictB64(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  const b = Buffer.from(s, "base64url");
  return b.toString("base64url") === s ? b : null;
}

// Does any dot-separated part of `value` look like a token payload (base64 of a JSON object),
// however loosely encoded? Such a value may be (or contain) a live token.
export function looksLikeToken(value) {
  let text = value;
  try {
    text = decodeURIComponent(value);
  } catch {}
  return text.split(".").some((part) => {
    try {
      const v = JSON.parse(Buffer.from(part.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_"), "base64url").toString("utf8"));
      return v !== null && typeof v === "object";
    } catch {
      return false;
    }
  });
}

// The placeholder for a recorded token (docs/FIXTURES.md, "Tokens"), or null to keep the value
// as it is (it cannot be a token: nothing in it decodes to a payload).
//   ctx: { key, at (unix seconds of the request), answer: { status, body }, secrets: [primary, previous],
//          config, anon (the key renaming of --anonymize-keys, if any) }
export function tokenPlaceholder(value, ctx) {
  if (value === "" || !looksLikeToken(value)) return null;
  const parts = value.split(".");
  const payload = parts.length === 2 ? strictB64(parts[0]) : null;
  const sig = parts.length === 2 ? strictB64(parts[1]) : null;
  if (!payload || !sig) return "{{token:malformed}}";
  let fields = null;
  try {
    fields = JSON.parse(payload.toString("utf8"));
  } catch {}
  const leeway = Number(ctx.config.MEDIA_CLOCK_SKEW_SECONDS ?? 60);
  const maxTtl = Number(ctx.config.MEDIA_MAX_TOKEN_TTL_SECONDS ?? 3600);
  const standard =
    fields !== null && typeof fields === "object" && typeof fields.k === "string" &&
    ((fields.m === "pub" && Object.keys(fields).length === 2) ||
     (fields.m === "priv" && Number.isInteger(fields.e) && Object.keys(fields).length === 3)) &&
    pyJson(fields) === payload.toString("utf8");

  // Which secret signed it: known exactly when the secret is at hand, else read off the answer
  // that was recorded (a 401 forbidden that the payload itself does not explain).
  let signer = null; // "primary" | "previous" | null (neither)
  const secrets = (ctx.secrets ?? []).filter(Boolean);
  if (secrets.length) {
    secrets.forEach((s, i) => {
      const mac = hmac(s, payload);
      if (signer === null && mac.length === sig.length && timingSafeEqual(mac, sig)) signer = i === 0 ? "primary" : "previous";
    });
  } else {
    const explained =
      !standard || (ctx.anon ?? ((x) => x))(fields.k.replace(/^\/+/, "")) !== ctx.key ||
      (fields.m === "priv" && (fields.e - ctx.at > maxTtl + leeway || ctx.at > fields.e + leeway));
    const refused = ctx.answer.status === 401 && (ctx.answer.body === "forbidden" || ctx.answer.body === undefined);
    signer = refused && !explained ? null : "primary";
  }

  const opts = [];
  if (standard) {
    opts.push(fields.m);
    const k = (ctx.anon ?? ((x) => x))(fields.k.replace(/^\/+/, ""));
    if (k !== ctx.key) opts.push("key=" + encodeURIComponent(k));
    if (fields.m === "priv") {
      const delta = Math.round(fields.e - ctx.at);
      if (delta > maxTtl + leeway) opts.push("future");
      else if (delta < -leeway - 60) opts.push("expired");
      else if (delta < 60) opts.push(`exp=${delta}`);
    }
  } else {
    opts.push("payload=" + parts[0]);
  }
  if (signer === null) opts.push("badsig");
  else if (signer === "previous") opts.push("previous");
  return `{{token:${opts.join(":")}}}`;
}

// --- HAR -> fixture set -----------------------------------------------------------------------

const headerOf = (list, name) => {
  const h = (list ?? []).find((x) => x.name.toLowerCase() === name);
  return h === undefined ? undefined : h.value;
};

// The response body text, when the recording kept it (an empty text for a non-empty body means
// it did not: playwright records a service worker's own fetches that way).
function bodyText(response) {
  const content = response.content;
  if (!content || typeof content.text !== "string") return undefined;
  if (content.text === "" && response.bodySize > 0) return undefined;
  return content.encoding === "base64" ? Buffer.from(content.text, "base64").toString("utf8") : content.text;
}

// Did this exchange reach the server? Not when a browser cache or a service worker answered it:
// Chrome's export marks those (_fromCache, _fetchedViaServiceWorker); playwright's has no marker,
// but such an entry lacks the server address every network entry carries. (A service worker's
// own network fetches are entries of their own and are kept.)
function reachedServer(e, addressed) {
  if (e._fromCache || e.response._fromDiskCache || e.response._fromMemoryCache || e.response._fetchedViaServiceWorker) return false;
  if (addressed && !e.serverIPAddress && e._serverPort === undefined) return false;
  return true;
}

// u/me_<id>/ -> u/me_<n>/, n numbered by first appearance (--anonymize-keys).
function keyAnonymizer() {
  const ids = new Map();
  return (s) => s.replace(/(^|\/)me_(\d+)\//g, (_, lead, id) => {
    if (!ids.has(id)) ids.set(id, String(ids.size + 1));
    return `${lead}me_${ids.get(id)}/`;
  });
}

// A 404 whose key is inside the prefixes comes from storage: the object was missing.
function withinPrefixes(key, config) {
  return String(config.MEDIA_KEY_PREFIXES ?? "u/").split(",").map((p) => p.trim()).filter(Boolean).some((p) => key.startsWith(p));
}

// What one recorded exchange tells about the stored object: { exists, size?, type?, etag?, lastModified? } or null.
function objectEvidence(e, key, config) {
  const { status } = e.response;
  const h = (n) => headerOf(e.response.headers, n);
  if (status === 404 && (e.body === "not_found" || e.body === undefined) && key !== null && withinPrefixes(key, config) && e.tokenSeen)
    return { exists: false };
  if (![200, 206, 304, 412, 416].includes(status)) return null;
  const ev = { exists: true };
  const cr = /^bytes (?:\d+-\d+|\*)\/(\d+)$/.exec(h("content-range") ?? "");
  if (cr) ev.size = Number(cr[1]);
  else if (status === 200 && h("content-length") !== undefined && h("content-encoding") === undefined) ev.size = Number(h("content-length"));
  if (status === 200 || status === 206) {
    const type = h("content-type");
    if (type !== undefined) ev.type = h("content-disposition") !== undefined && /^application\/octet-stream/.test(type) ? "application/octet-stream" : type;
  }
  if (h("etag") !== undefined) ev.etag = h("etag");
  if (h("last-modified") !== undefined) ev.lastModified = h("last-modified");
  return ev;
}

// Replaces the recorded object's etag and dates in a conditional header by placeholders.
function conditionalPlaceholders(name, value, obj) {
  if (!obj) return value;
  if (obj.etag && value.includes(obj.etag)) return value.split(obj.etag).join("{{etag}}");
  if (["if-modified-since", "if-unmodified-since", "if-range"].includes(name) && obj.lastModified) {
    const at = Date.parse(value);
    const base = Date.parse(obj.lastModified);
    if (/GMT$/.test(value.trim()) && Number.isFinite(at) && Number.isFinite(base)) {
      const d = Math.round((at - base) / 1000);
      return d === 0 ? "{{last_modified}}" : `{{last_modified:${d > 0 ? "+" : ""}${d}}}`;
    }
  }
  return value;
}

// HAR (as Chrome, Firefox, Safari and playwright's recordHar export it) -> { header, lines }.
// Keeps the /m/* exchanges that reached the gate, in the recorded order.
//   opts: { set, description, client, pattern, source, secrets: [..], config, anonymizeKeys }
export function fromHar(har, opts = {}) {
  const config = { ...DEFAULT_CONFIG, ...(opts.config ?? {}), MEDIA_TOKEN_SECRET: TEST_SECRET };
  delete config.MEDIA_TOKEN_SECRET_PREVIOUS;
  const anon = opts.anonymizeKeys ? keyAnonymizer() : (s) => s;
  const all = har.log?.entries ?? [];
  const addressed = all.some((e) => e.serverIPAddress || e._serverPort !== undefined);
  // Bodies by exchange, to fill in a body one record of an exchange lacks (a service worker's
  // fetch) from another record of the same exchange (the page's request it answered).
  const bodies = new Map();
  const exchange = (e) => [e.request.method, e.request.url, e.response?.status, headerOf(e.request.headers, "range") ?? ""].join(" ");
  for (const e of all) {
    const text = e.response ? bodyText(e.response) : undefined;
    if (text !== undefined && !bodies.has(exchange(e))) bodies.set(exchange(e), text);
  }
  const entries = [];
  for (const e of all) {
    let url;
    try {
      url = new URL(e.request.url);
    } catch {
      continue;
    }
    if (!url.pathname.startsWith("/m/")) continue;
    // No answer (blocked, failed) or answered by a browser cache: the gate never saw it.
    if (!e.response || !(e.response.status > 0)) continue;
    if (!reachedServer(e, addressed)) continue;
    const pathname = anon(url.pathname);
    const key = keyOfPath(pathname);
    // `t` parameters are kept (their tokens replaced), and so is any other parameter whose value
    // looks like a token (a `T=` trick); other parameters are dropped: the gate ignores them and
    // they may be personal.
    const rawQuery = url.search.replace(/^\?/, "");
    const tParams = rawQuery === "" ? [] : rawQuery.split("&").filter((p) => p === "t" || p.startsWith("t=") || (p.includes("=") && looksLikeToken(p.slice(p.indexOf("=") + 1))));
    entries.push({
      e,
      at: Date.parse(e.startedDateTime) / 1000,
      pathname,
      key,
      tParams,
      tokenSeen: tParams.length > 0,
      response: e.response,
      body: bodyText(e.response) ?? bodies.get(exchange(e)),
    });
  }

  // The stored object at each exchange: the latest evidence at or before it, else the first after.
  const timeline = new Map(); // key -> [{ index, ev }]
  entries.forEach((x, i) => {
    const ev = objectEvidence(x, x.key, config);
    if (ev && x.key !== null) {
      if (!timeline.has(x.key)) timeline.set(x.key, []);
      timeline.get(x.key).push({ index: i, ev });
    }
  });
  // Evidence merges forward while the object exists (a 304 adds an etag, a 206 the size).
  for (const list of timeline.values()) {
    let acc = null;
    for (const item of list) {
      acc = item.ev.exists ? { ...(acc && acc.exists ? acc : {}), ...item.ev } : item.ev;
      item.ev = acc;
    }
    // Sizes and types learnt later fill in earlier states of the same object.
    let later = null;
    for (const item of [...list].reverse()) {
      if (!item.ev.exists) {
        later = null;
        continue;
      }
      if (later) item.ev = { ...later, ...item.ev };
      later = item.ev;
    }
  }
  const stateAt = (key, i) => {
    const list = timeline.get(key);
    if (!list) return undefined;
    let best = list[0].ev;
    for (const item of list) if (item.index <= i) best = item.ev;
    return best;
  };

  const t0 = entries.length ? entries[0].at : 0;
  const lines = entries.map((x, i) => {
    const obj = x.key === null ? undefined : stateAt(x.key, i);
    const answer = { status: x.response.status, body: x.body };
    const ctx = { key: x.key ?? x.pathname.slice(3), at: x.at, answer, secrets: opts.secrets ?? [], config, anon };
    const query = x.tParams.map((p) => {
      const eq = p.indexOf("=");
      if (eq < 0) return p;
      const value = p.slice(eq + 1);
      return p.slice(0, eq + 1) + (tokenPlaceholder(value, ctx) ?? value);
    });
    const headers = {};
    for (const name of REQUEST_HEADERS) {
      const v = headerOf(x.e.request.headers, name);
      if (v !== undefined) headers[name] = conditionalPlaceholders(name, v, obj && obj.exists ? obj : null);
    }
    const request = { method: x.e.request.method, url: x.pathname + (query.length ? "?" + query.join("&") : "") };
    if (Object.keys(headers).length) request.headers = headers;

    const expect = { status: x.response.status, headers: {} };
    const unchecked = [];
    const compressed = headerOf(x.response.headers, "content-encoding") !== undefined;
    for (const name of RESPONSE_HEADERS) {
      let v = headerOf(x.response.headers, name);
      if (v === undefined) continue;
      if (name === "content-length" && compressed) continue;
      if (name === "etag" && obj && obj.etag === v) v = "{{etag}}";
      if (name === "last-modified" && obj && obj.lastModified === v) v = "{{last_modified}}";
      expect.headers[name] = v;
    }
    if (compressed) unchecked.push("content-length"); // the transport compressed it in flight
    const method = x.e.request.method;
    const cr = /^bytes (\d+)-(\d+)\/\d+$/.exec(headerOf(x.response.headers, "content-range") ?? "");
    if (method !== "HEAD") {
      if (x.response.status === 206 && cr) expect.span = [Number(cr[1]), Number(cr[2])];
      else if (x.response.status === 200 && obj && obj.exists && obj.size > 0 && /^(image|video)\/|^application\/octet-stream/.test(expect.headers["content-type"] ?? ""))
        expect.span = [0, obj.size - 1];
      else if (x.response.status >= 400) {
        if (x.body !== undefined) expect.body = x.body;
        else unchecked.push("body"); // the recording kept no body text
      }
    }
    if (unchecked.length) expect.unchecked = unchecked;

    const line = { n: i + 1, t: Math.round((x.at - t0) * 1000) / 1000, request };
    if (obj !== undefined) line.object = obj.exists ? { size: obj.size ?? 1024, type: obj.type ?? "", content: "synthetic" } : null;
    line.expect = expect;
    if (obj && obj.exists && obj.size === undefined) line.note = "object size not seen in the recording; 1024 assumed";
    return line;
  });

  const browser = har.log?.browser ? `${har.log.browser.name} ${har.log.browser.version}` : "unknown client";
  const creator = har.log?.creator ? `${har.log.creator.name} ${har.log.creator.version}` : "";
  const header = {
    format: FORMAT,
    set: opts.set ?? "from-har",
    description: opts.description ?? "",
    client: opts.client ?? (creator ? `${browser} (HAR by ${creator})` : browser),
    pattern: opts.pattern ?? "recorded",
    source: opts.source ?? "scripts/mediagate fixtures from-har",
    recorded: entries.length ? new Date(t0 * 1000).toISOString().slice(0, 10) : "",
    config,
  };
  if (opts.anonymizeKeys) header.anonymized = "user ids in u/me_<id>/ renumbered";
  return { header, lines };
}

// The browser tests write one HAR per scenario here (tests/browser/sets.js names them).
export const HAR_DIR = path.join(ROOT, "build/har");
export const FIXTURE_DIR = path.join(ROOT, "tests/fixtures");
