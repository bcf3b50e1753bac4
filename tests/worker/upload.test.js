// Uploads through the gate (docs/UPLOADS.md): a PUT with a put token, as the
// app's frontend sends it (`fetch(url, {method: "PUT", headers:
// {"content-type": type}, body: file})`, which only reads `res.ok`). Files
// are real ones made at setup by ffmpeg, ImageMagick, cwebp, avifenc and
// heif-enc (build/media/signatures). After every answer the bucket is read
// back: a refusal leaves it exactly as it was.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { DEFAULT_BINDINGS, ORIGIN, ROOT, SECURITY_HEADERS, startGate, get, mint, mintPut, mediaUrl } from "./helpers.js";

const UPLOADS = { ...DEFAULT_BINDINGS, MEDIA_UPLOADS: "on" };
const media = (name) => new Uint8Array(readFileSync(path.join(ROOT, "build/media/signatures", name)));
const md5 = (b) => createHash("md5").update(b).digest("hex");

// PUT `body` to `key` with a put token (options for mintPut) and a content-type.
function putUrl(key, opts) {
  return mediaUrl(key, mintPut(key, opts));
}
async function upload(mf, key, body, { ct = "image/png", type = ct, token = {}, headers = {} } = {}) {
  return get(mf, putUrl(key, { ct, ...token }), { method: "PUT", body, headers: { "content-type": type, ...headers } });
}

// What the bucket holds under `key`: null, or its bytes and stored type.
async function stored(mf, key) {
  const r2 = await mf.getR2Bucket("MEDIA_BUCKET");
  const obj = await r2.get(key);
  if (!obj) return null;
  return { body: new Uint8Array(await obj.arrayBuffer()), type: obj.httpMetadata?.contentType, etag: obj.httpEtag };
}

describe("PUT uploads", { timeout: 120000 }, () => {
  let mf;
  before(async () => {
    mf = await startGate({ bindings: UPLOADS });
  });
  after(async () => {
    await mf?.dispose();
  });

  it("stores a PNG: 201 with key, size, etag and type; then served to a public token byte for byte", async () => {
    const png = media("magick.png");
    const key = "u/up/first.png";
    const res = await upload(mf, key, png);
    assert.equal(res.status, 201);
    assert.equal(res.headers["content-type"], "application/json");
    assert.equal(res.headers["cache-control"], "private, no-store");
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(res.headers[name], value);
    const body = JSON.parse(res.text);
    const obj = await stored(mf, key);
    assert.deepEqual(body, { key, size: png.length, etag: obj.etag, content_type: "image/png" });
    assert.deepEqual(obj.body, png);
    assert.equal(obj.type, "image/png");
    const back = await get(mf, mediaUrl(key, mint(key)));
    assert.equal(back.status, 200);
    assert.deepEqual(back.body, png);
    assert.equal(back.headers["content-type"], "image/png");
  });

  it("a retry of the same bytes is 200 with the same body; other bytes are 412 and the object is unchanged", async () => {
    const jpg = media("magick.jpg");
    const key = "u/up/retry.jpg";
    const first = await upload(mf, key, jpg, { ct: "image/jpeg" });
    assert.equal(first.status, 201);
    const again = await upload(mf, key, jpg, { ct: "image/jpeg" });
    assert.equal(again.status, 200);
    assert.deepEqual(JSON.parse(again.text), JSON.parse(first.text));
    const other = media("ffmpeg.jpg");
    const refused = await upload(mf, key, other, { ct: "image/jpeg" });
    assert.equal(refused.status, 412);
    assert.equal(refused.text, "already_exists");
    assert.equal(md5((await stored(mf, key)).body), md5(jpg));
  });

  it("refuses HTML declared as PNG (415 type_mismatch) and stores nothing", async () => {
    const key = "u/up/html.png";
    const html = new TextEncoder().encode("<!doctype html><script>alert(1)</script>");
    const res = await upload(mf, key, html);
    assert.equal(res.status, 415);
    assert.equal(res.text, "type_mismatch");
    assert.equal(await stored(mf, key), null);
  });
});
