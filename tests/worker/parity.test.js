// One request list through the native core (`mediagate explain`) and the
// Worker (WASI build under Miniflare): identical statuses, headers and spans.
// The list covers every status of docs/CONTRACT.md section 4.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { CLI, OBJECTS, DEFAULT_BINDINGS, startGate, get, mint, mediaUrl, ORIGIN } from "./helpers.js";

const PNG = "u/me_1/0123456789abcdef0123456789abcdef.png";
const MP4 = "u/v/clip.mp4";
const JPG = "u/me_1/café 😀.jpg";

function requestList(meta) {
  const now = Math.floor(Date.now() / 1000);
  const pub = (k) => mint(k);
  const priv = (k) => mint(k, { mode: "priv", exp: now + 900 });
  const list = [
    { method: "GET", url: mediaUrl(PNG, pub(PNG)) },
    { method: "GET", url: mediaUrl(PNG, priv(PNG)) },
    { method: "HEAD", url: mediaUrl(MP4, pub(MP4)) },
    { method: "GET", url: mediaUrl(JPG, priv(JPG)), headers: { range: "bytes=0-1" } },
    { method: "GET", url: mediaUrl(MP4, pub(MP4)), headers: { range: "bytes=100000-" } },
    { method: "GET", url: mediaUrl(MP4, pub(MP4)), headers: { range: "bytes=-10" } },
    { method: "GET", url: mediaUrl(MP4, pub(MP4)), headers: { range: "bytes=0-5,3-9" } },
    { method: "GET", url: mediaUrl(MP4, pub(MP4)), headers: { range: "bytes=0-5,100-200" } },
    { method: "GET", url: mediaUrl(MP4, pub(MP4)), headers: { range: "bytes=900000-" } },
    { method: "HEAD", url: mediaUrl(MP4, pub(MP4)), headers: { range: "bytes=-0" } },
    { method: "GET", url: mediaUrl("u/empty.png", pub("u/empty.png")), headers: { range: "bytes=0-1" } },
    { method: "GET", url: mediaUrl(PNG, pub(PNG)), headers: { "if-none-match": meta[PNG].etag } },
    { method: "GET", url: mediaUrl(PNG, priv(PNG)), headers: { "if-modified-since": meta[PNG].lastModified } },
    { method: "GET", url: mediaUrl(PNG, pub(PNG)), headers: { "if-match": '"nope"' } },
    { method: "GET", url: mediaUrl(PNG, pub(PNG)), headers: { range: "bytes=1-2", "if-range": '"stale"' } },
    { method: "GET", url: mediaUrl(PNG, pub(PNG)), headers: { range: "bytes=1-2", "if-range": meta[PNG].etag } },
    { method: "POST", url: mediaUrl(PNG, pub(PNG)) },
    { method: "GET", url: `${ORIGIN}/m/u/%zz?t=x` },
    { method: "GET", url: mediaUrl("x/outside.png", pub("x/outside.png")) },
    { method: "GET", url: mediaUrl(PNG) },
    { method: "GET", url: mediaUrl(PNG, "abc.def") },
    { method: "GET", url: mediaUrl(PNG, mint(PNG, { mode: "priv", exp: now - 3600 })) },
    { method: "GET", url: mediaUrl("u/missing.png", pub("u/missing.png")) },
    { method: "HEAD", url: mediaUrl("u/missing.png", priv("u/missing.png")) },
    { method: "GET", url: mediaUrl("u/page.html", pub("u/page.html")) },
    { method: "GET", url: mediaUrl("u/me_1/a b%2F~+.webp", pub("u/me_1/a b%2F~+.webp")) },
  ];
  return list.map((r) => ({ ...r, now, headers: r.headers ?? {} }));
}

// The object key a URL names, or null when its path does not decode.
function keyOf(url) {
  try {
    return decodeURIComponent(new URL(url).pathname.slice(3));
  } catch {
    return null;
  }
}

function explainAll(requests, meta) {
  const lines = requests.map((r) => {
    const u = new URL(r.url);
    const key = keyOf(r.url);
    return JSON.stringify({ method: r.method, url: u.pathname + u.search, headers: r.headers, now: r.now, object: key && meta[key] ? meta[key].object : null });
  });
  const env = { ...process.env, ...DEFAULT_BINDINGS };
  const out = spawnSync(CLI, ["explain"], { input: lines.join("\n") + "\n", env, encoding: "utf8" });
  assert.equal(out.status, 0, out.stderr);
  return out.stdout.trim().split("\n").map((l) => JSON.parse(l));
}

describe("parity: native core (mediagate explain) and the Worker agree", () => {
  let mf;
  const meta = {};
  before(async () => {
    mf = await startGate();
    const r2 = await mf.getR2Bucket("MEDIA_BUCKET");
    for (const key of Object.keys(OBJECTS)) {
      const o = await r2.head(key);
      const lastModified = new Date(Math.floor(o.uploaded.getTime() / 1000) * 1000).toUTCString();
      meta[key] = { etag: o.httpEtag, lastModified, object: { size: o.size, etag: o.httpEtag, last_modified: lastModified, content_type: o.httpMetadata?.contentType ?? "" } };
    }
  });
  after(async () => {
    await mf?.dispose();
  });

  it("every request gets the same status, headers, body and span", async () => {
    const requests = requestList(meta);
    const expected = explainAll(requests, meta);
    const statuses = new Set();
    for (const [i, r] of requests.entries()) {
      const want = expected[i];
      const label = `${r.method} ${r.url.slice(0, 80)} ${JSON.stringify(r.headers)}`;
      const res = await get(mf, r.url, { method: r.method, headers: r.headers });
      statuses.add(res.status);
      assert.equal(res.status, want.status, label);
      assert.deepEqual(res.headers, want.headers, label);
      if (want.body !== undefined && r.method !== "HEAD") assert.equal(res.text, want.body, label);
      if (want.span) {
        const key = keyOf(r.url);
        assert.deepEqual(res.body, OBJECTS[key].body.slice(want.span[0], want.span[1] + 1), label);
      } else if (want.body === undefined) {
        assert.equal(res.body.length, 0, label);
      }
    }
    // The list exercises every status the gate can answer with a seeded bucket.
    for (const s of [200, 206, 304, 400, 401, 404, 405, 412, 416]) assert.ok(statuses.has(s), `status ${s} covered`);
  });
});
