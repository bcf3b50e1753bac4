// Resumable uploads, tus 1.0.0 (docs/UPLOADS.md, "Resumable uploads"):
// every status of the protocol under Miniflare, with raw requests as a tus
// client sends them (OPTIONS, POST, HEAD, PATCH, DELETE with Tus-Resumable).
// Each answer is checked for its status, its body word, its tus headers,
// `cache-control` and the security headers; after each refusal R2 holds
// nothing new under the key and the upload's Durable Object holds no row;
// after each success the object is byte-identical to what was sent and is
// served by a GET with a pub token. No log line carries the put token or a
// query string.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { BUILDS, DEFAULT_BINDINGS, ORIGIN, ROOT, SECURITY_HEADERS, bytes, get, loggedEvents, mediaUrl, mint, mintPut, quotePath, rawRequest, revocationName, startGate, storedObject, waitForLog, workerLog } from "./helpers.js";

const MiB = 1024 * 1024;
const P = 5 * MiB; // the part size of every upload here (docs/UPLOADS.md, "part grid")
// Every denial logged (the tests send more than the default budget of 20 a second).
const TUS = { ...DEFAULT_BINDINGS, MEDIA_UPLOADS: "on", MEDIA_LOG_DENIAL_BUDGET: "100000" };
const TR = { "tus-resumable": "1.0.0" };
const OCTETS = "application/offset+octet-stream";
const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const media = (name) => new Uint8Array(readFileSync(path.join(ROOT, "build/media/signatures", name)));
const b64 = (s) => Buffer.from(s, "utf8").toString("base64");
const metadata = (ct) => `filename ${b64("clip 😀.bin")},filetype ${b64(ct)}`;
const same = (a, b) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
// IMF-fixdate (RFC 9110 section 5.6.7).
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

// A file of `n` bytes that opens as a real MP4 (ffmpeg's) and goes on with
// deterministic bytes: the family check reads only the first bytes.
function video(n, seed = 11) {
  const head = media("ffmpeg-h264.mp4");
  const b = bytes(n, seed);
  b.set(head.subarray(0, Math.min(n, head.length)));
  return b;
}
// A whole 1x1 GIF89a, 43 bytes.
const TINY_GIF = Uint8Array.from(Buffer.from("47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b", "hex"));
const HTML = new TextEncoder().encode("<!doctype html><html><body><script>alert(document.cookie)</script></body></html>" + " ".repeat(400));

// Every put token this file mints (also recorded by helpers.js for logscan):
// no log line may hold one.
const minted = [];
function putToken(key, opts = {}) {
  const t = mintPut(key, { ct: "video/mp4", ...opts });
  minted.push(t);
  return t;
}
const tusUrl = (key, opts) => mediaUrl(key, putToken(key, opts));

// Headers with the null-valued ones left out (a test removes a default so).
const clean = (h) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== null && v !== undefined));

function create(mf, url, length, { ct = "video/mp4", headers = {}, body } = {}) {
  return get(mf, url, { method: "POST", body, headers: clean({ ...TR, "upload-length": String(length), "upload-metadata": metadata(ct), ...headers }) });
}
function patch(mf, url, offset, body, headers = {}) {
  return get(mf, url, { method: "PATCH", body, headers: clean({ ...TR, "content-type": OCTETS, "upload-offset": String(offset), ...headers }) });
}
const headOf = (mf, url, headers = {}) => get(mf, url, { method: "HEAD", headers: clean({ ...TR, ...headers }) });
const del = (mf, url, headers = {}) => get(mf, url, { method: "DELETE", headers: clean({ ...TR, ...headers }) });

// The upload's row in its Durable Object (one per key, idFromName(key)):
// the snapshot as a plain object, or null when it holds none.
async function uploadRow(mf, key) {
  const ns = await mf.getDurableObjectNamespace("MEDIA_UPLOAD_STATE");
  const s = await ns.get(ns.idFromName(key)).state();
  return s === null || s === undefined ? null : JSON.parse(JSON.stringify(s));
}

// An answer to a tus request: status, body word (none on HEAD and 204),
// Tus-Resumable, cache-control and the security headers.
function assertTus(res, status, word, label) {
  assert.equal(res.status, status, `${label}: ${res.status} ${res.text}`);
  if (word !== undefined) assert.equal(res.text, word, label);
  assert.equal(res.headers["tus-resumable"], "1.0.0", `${label}: tus-resumable`);
  assert.equal(res.headers["cache-control"], "private, no-store", `${label}: cache-control`);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(res.headers[name], value, `${label}: ${name}`);
}

// A refusal that leaves nothing: no object under the key, no upload row.
async function assertNothingLeft(mf, key, label) {
  assert.equal(await storedObject(mf, key), null, `${label}: nothing stored`);
  assert.equal(await uploadRow(mf, key), null, `${label}: no upload state`);
}

// HEAD of an open upload: 200, its offset and length, no-store.
async function assertOffset(mf, url, offset, length, label) {
  const h = await headOf(mf, url);
  assertTus(h, 200, "", `${label}: HEAD`);
  assert.equal(h.headers["upload-offset"], String(offset), `${label}: HEAD upload-offset`);
  assert.equal(h.headers["upload-length"], String(length), `${label}: HEAD upload-length`);
  assert.match(h.headers["upload-expires"] ?? "", IMF_FIXDATE, `${label}: HEAD upload-expires`);
  return h;
}

// The object is the file, byte for byte, with the token's type, and a GET
// with a pub token serves exactly those bytes.
async function assertStored(mf, key, file, ct, label) {
  const obj = await storedObject(mf, key);
  assert.ok(obj, `${label}: stored`);
  assert.equal(obj.body.length, file.length, `${label}: size`);
  assert.ok(same(obj.body, file), `${label}: the object is the file byte for byte`);
  assert.equal(obj.type, ct, `${label}: stored type`);
  const back = await get(mf, mediaUrl(key, mint(key)));
  assert.equal(back.status, 200, `${label}: GET with a pub token`);
  assert.equal(back.headers["content-type"], ct, `${label}: served type`);
  assert.ok(same(back.body, file), `${label}: served byte for byte`);
}

// POST → 201; returns the upload's URL (Location resolved against the
// request URL, as tus-js-client does) and the answer.
async function open(mf, key, length, { ct = "video/mp4", token = {} } = {}) {
  const url = tusUrl(key, { ct, ...token });
  const res = await create(mf, url, length, { ct });
  assertTus(res, 201, undefined, `POST ${key}`);
  return { url: new URL(res.headers.location, url).href, res };
}

// Sends `file` from offset `at` in PATCHes of the given sizes (the last one
// takes the rest), each answered 204 with the new offset, and HEAD agreeing.
async function sendPieces(mf, url, file, sizes, label, at = 0) {
  for (let i = 0; at < file.length; i++) {
    const n = i < sizes.length ? Math.min(sizes[i], file.length - at) : file.length - at;
    const res = await patch(mf, url, at, file.subarray(at, at + n));
    assertTus(res, 204, "", `${label}: PATCH ${at}+${n}`);
    at += n;
    assert.equal(res.headers["upload-offset"], String(at), `${label}: PATCH ${at - n}+${n} upload-offset`);
    if (at < file.length) await assertOffset(mf, url, at, file.length, `${label} after ${at}`);
  }
}

// No log line written since `from` holds a put token (whole or a part), a
// query string, or a Location.
function assertNoTokenLogged(from, label) {
  const lines = workerLog.slice(from);
  for (const line of lines) {
    assert.ok(!line.includes("?t="), `${label}: a line holds a query string: ${line}`);
    for (const t of minted) for (const part of [t, ...t.split(".").filter((p) => p.length >= 16)]) assert.ok(!line.includes(part), `${label}: a line holds a put token: ${line}`);
  }
}

describe("tus: creation, HEAD and OPTIONS", { timeout: 180000 }, () => {
  let mf;
  let from;
  before(async () => {
    from = workerLog.length;
    mf = await startGate({ bindings: TUS });
  });
  after(async () => {
    await mf?.dispose();
    assertNoTokenLogged(from, "creation");
  });

  it("OPTIONS: 204 with Tus-Resumable, Tus-Version, Tus-Extension and Tus-Max-Size; with or without a token", async () => {
    const key = "u/tus/options.mp4";
    for (const [label, url] of [["no token", mediaUrl(key)], ["put token", tusUrl(key)], ["pub token", mediaUrl(key, mint(key))], ["no key", `${ORIGIN}/m/`]]) {
      for (const headers of [{}, TR]) {
        const res = await get(mf, url, { method: "OPTIONS", headers });
        assertTus(res, 204, "", `OPTIONS ${label}`);
        assert.equal(res.headers["tus-version"], "1.0.0", label);
        assert.equal(res.headers["tus-extension"], "creation,termination,expiration", label);
        assert.equal(res.headers["tus-max-size"], "4294967296", `${label}: the default MEDIA_MAX_RESUMABLE_BYTES`);
      }
    }
    await assertNothingLeft(mf, key, "OPTIONS");
  });

  it("POST: 201 with Location (the same path and token) and Upload-Expires; HEAD 200 offset 0; the same POST again answers the same", async () => {
    const key = "u/tus/created é.mp4";
    const token = putToken(key);
    const url = mediaUrl(key, token);
    const logFrom = workerLog.length;
    const t0 = now();
    const res = await create(mf, url, 1000);
    const t1 = Math.ceil(Date.now() / 1000);
    assertTus(res, 201, undefined, "POST");
    assert.equal(res.headers.location, `/m/${quotePath(key)}?t=${token}`, "Location: the same path and query");
    assert.match(res.headers["upload-expires"], IMF_FIXDATE);
    const expires = Date.parse(res.headers["upload-expires"]) / 1000;
    assert.ok(expires >= t0 + 86400 && expires <= t1 + 86400, `Upload-Expires ${res.headers["upload-expires"]}: created + MEDIA_UPLOAD_EXPIRY_SECONDS (default 86400)`);
    await waitForLog(logFrom, () => loggedEvents(logFrom).filter((e) => e.event === "media.upload.created").length);
    const h = await assertOffset(mf, url, 0, 1000, "created");
    assert.equal(h.headers["upload-expires"], res.headers["upload-expires"]);
    // Retried POST (a lost 201): the same upload.
    const again = await create(mf, url, 1000);
    assertTus(again, 201, undefined, "POST again");
    assert.equal(again.headers.location, res.headers.location);
    assert.equal(again.headers["upload-expires"], res.headers["upload-expires"]);
    // Another length while it is open: 409, the upload unchanged.
    for (const length of [999, 1001]) {
      const other = await create(mf, url, length);
      assertTus(other, 409, "upload_exists", `POST length ${length}`);
    }
    await assertOffset(mf, url, 0, 1000, "after 409");
    assert.equal(await storedObject(mf, key), null);
  });

  it("the filetype matches case-insensitively, parameters ignored", async () => {
    for (const [i, ct] of ["VIDEO/MP4", "video/mp4; codecs=avc1"].entries()) {
      const key = `u/tus/filetype-${i}.mp4`;
      const res = await create(mf, tusUrl(key), 500, { ct });
      assertTus(res, 201, undefined, ct);
    }
  });

  it("412 already_exists: POST on a key that holds an object; the object unchanged", async () => {
    const key = "u/v/clip.mp4"; // seeded
    const old = await storedObject(mf, key);
    const res = await create(mf, tusUrl(key), 1000);
    assertTus(res, 412, "already_exists", "POST on a taken key");
    assert.deepEqual(await storedObject(mf, key), old);
    assert.equal(await uploadRow(mf, key), null, "no upload state");
  });

  it("415 type_mismatch: filetype missing, not base64, or not the token's ct", async () => {
    const cases = [
      ["no Upload-Metadata", { "upload-metadata": null }],
      ["metadata without filetype", { "upload-metadata": `filename ${b64("a.mp4")}` }],
      ["filetype image/png for a video/mp4 token", { "upload-metadata": `filetype ${b64("image/png")}` }],
      ["filetype text/html", { "upload-metadata": `filetype ${b64("text/html")}` }],
      ["filetype empty", { "upload-metadata": "filetype " }],
      ["filetype a key alone", { "upload-metadata": `filename ${b64("a.mp4")},filetype` }],
    ];
    for (const [i, [label, headers]] of cases.entries()) {
      const key = `u/tus/mismatch-${i}.mp4`;
      const res = await create(mf, tusUrl(key), 1000, { headers });
      assertTus(res, 415, "type_mismatch", label);
      await assertNothingLeft(mf, key, label);
    }
  });

  it("400 empty_upload: Upload-Length 0", async () => {
    const key = "u/tus/empty.mp4";
    assertTus(await create(mf, tusUrl(key), 0), 400, "empty_upload", "length 0");
    await assertNothingLeft(mf, key, "length 0");
  });

  it("413 too_large: Upload-Length above the token's n; at n exactly, 201", async () => {
    const key = "u/tus/n.mp4";
    for (const n of [1, 999]) {
      assertTus(await create(mf, tusUrl(key, { n }), 1000), 413, "too_large", `n = ${n}`);
      await assertNothingLeft(mf, key, `n = ${n}`);
    }
    assertTus(await create(mf, tusUrl(key, { n: 1000 }), 1000), 201, undefined, "n exactly");
    // The default cap (4 GiB) with no n.
    const big = "u/tus/over-cap.mp4";
    assertTus(await create(mf, tusUrl(big), 4294967297), 413, "too_large", "above MEDIA_MAX_RESUMABLE_BYTES");
    await assertNothingLeft(mf, big, "above the cap");
  });

  it("400 bad_request: Upload-Length missing or not one decimal; Upload-Metadata malformed; a POST with a body", async () => {
    for (const [i, value] of ["abc", "-1", "1.5", "+5", "0x10", "1e3", "5 5", "", null].entries()) {
      const key = `u/tus/badlength-${i}.mp4`;
      const res = await create(mf, tusUrl(key), 0, { headers: { "upload-length": value } });
      assertTus(res, 400, "bad_request", `Upload-Length ${JSON.stringify(value)}`);
      await assertNothingLeft(mf, key, `Upload-Length ${value}`);
    }
    // Upload-Metadata that is not a list of `key base64` pairs.
    for (const [i, value] of ["filetype video/mp4", `filetype ${b64("video/mp4")},filetype ${b64("video/mp4")}`, `filetype ${b64("video/mp4")} x`, `file type ${b64("video/mp4")}`].entries()) {
      const key = `u/tus/badmeta-${i}.mp4`;
      const res = await create(mf, tusUrl(key), 1000, { headers: { "upload-metadata": value } });
      assertTus(res, 400, "bad_request", `Upload-Metadata ${JSON.stringify(value)}`);
      await assertNothingLeft(mf, key, `Upload-Metadata ${value}`);
    }
    // No creation-with-upload: a POST carrying bytes is refused, nothing kept.
    const key = "u/tus/post-body.mp4";
    const file = video(2000);
    const res = await create(mf, tusUrl(key), file.length, { body: file, headers: { "content-type": OCTETS } });
    assertTus(res, 400, "bad_request", "POST with a body");
    await assertNothingLeft(mf, key, "POST with a body");
  });

  it("412 precondition_failed with Tus-Version: Tus-Resumable missing or another version, on POST, HEAD, PATCH and DELETE", async () => {
    const key = "u/tus/version.mp4";
    const { url } = await open(mf, key, 1000);
    const file = video(1000);
    for (const version of [null, "0.2.2", "1.0", "1.0.0, 0.2.2", ""]) {
      const h = { "tus-resumable": version };
      const answers = [
        ["POST", await create(mf, url, 1000, { headers: h })],
        ["PATCH", await patch(mf, url, 0, file, h)],
        ["DELETE", await del(mf, url, h)],
      ];
      // A HEAD without Tus-Resumable is a read (next test); with another version it is a tus HEAD.
      if (version !== null && version !== "") answers.push(["HEAD", await headOf(mf, url, h)]);
      for (const [method, res] of answers) {
        const label = `${method} Tus-Resumable ${JSON.stringify(version)}`;
        assertTus(res, 412, method === "HEAD" ? "" : "precondition_failed", label);
        assert.equal(res.headers["tus-version"], "1.0.0", label);
      }
    }
    // Nothing changed: the upload is still there at offset 0.
    await assertOffset(mf, url, 0, 1000, "after 412s");
    assert.equal(await storedObject(mf, key), null);
  });

  it("HEAD: 404 with no upload; a put token on HEAD without Tus-Resumable stays a read: 401 forbidden", async () => {
    const key = "u/tus/nothing.mp4";
    assertTus(await headOf(mf, tusUrl(key)), 404, "", "HEAD no upload");
    const { url } = await open(mf, "u/tus/read.mp4", 1000);
    const read = await get(mf, url, { method: "HEAD" });
    assert.equal(read.status, 401, "put token on a plain HEAD");
    assert.equal(read.headers["cache-control"], "private, no-store");
    assert.equal(read.headers["upload-offset"], undefined);
    const body = await get(mf, url);
    assert.equal(body.status, 401);
    assert.equal(body.text, "forbidden", "put token on GET");
  });

  it("401 forbidden: a pub or priv token on POST, PATCH and DELETE; another key's put token; nothing changes", async () => {
    const key = "u/tus/modes.mp4";
    const { url } = await open(mf, key, 1000);
    const file = video(1000);
    for (const [label, token] of [["pub", mint(key)], ["priv", mint(key, { mode: "priv" })], ["other key", putToken("u/tus/other.mp4")], ["bad MAC", putToken(key, { secret: "not-the-secret" })]]) {
      const u = mediaUrl(key, token);
      assertTus(await create(mf, u, 1000), 401, "forbidden", `${label} on POST`);
      assertTus(await patch(mf, u, 0, file), 401, "forbidden", `${label} on PATCH`);
      assertTus(await del(mf, u), 401, "forbidden", `${label} on DELETE`);
    }
    for (const [label, token] of [["pub", mint("u/tus/fresh.mp4")], ["priv", mint("u/tus/fresh.mp4", { mode: "priv" })]]) {
      assertTus(await create(mf, mediaUrl("u/tus/fresh.mp4", token), 1000), 401, "forbidden", `${label} on POST, no upload`);
    }
    await assertNothingLeft(mf, "u/tus/fresh.mp4", "read tokens on POST");
    await assertOffset(mf, url, 0, 1000, "after 401s");
    assert.equal(await storedObject(mf, key), null);
  });
});

describe("tus: PATCH", { timeout: 300000 }, () => {
  let mf;
  let from;
  before(async () => {
    from = workerLog.length;
    mf = await startGate({ bindings: TUS });
  });
  after(async () => {
    await mf?.dispose();
    assertNoTokenLogged(from, "PATCH");
  });

  it("one PATCH with the whole file: 204 Upload-Offset = length, the object stored and served; HEAD then says offset = length", async () => {
    const key = "u/tus/whole.mp4";
    const file = media("ffmpeg-h264.mp4");
    const { url } = await open(mf, key, file.length);
    const logFrom = workerLog.length;
    const res = await patch(mf, url, 0, file);
    assertTus(res, 204, "", "PATCH whole");
    assert.equal(res.headers["upload-offset"], String(file.length));
    assert.match(res.headers["upload-expires"] ?? "", IMF_FIXDATE, "PATCH upload-expires");
    await assertStored(mf, key, file, "video/mp4", "whole");
    await waitForLog(logFrom, () => loggedEvents(logFrom).filter((e) => e.event === "media.upload.ok").length);
    // A client that lost the 204 asks HEAD: the upload is complete.
    const h = await headOf(mf, url);
    assertTus(h, 200, "", "HEAD after completion");
    assert.equal(h.headers["upload-offset"], String(file.length));
    assert.equal(h.headers["upload-length"], String(file.length));
    // A resend of the last PATCH (its 204 lost) is an offset mismatch, and changes nothing.
    assertTus(await patch(mf, url, 0, file), 409, "offset_mismatch", "PATCH again after completion");
    await assertStored(mf, key, file, "video/mp4", "after the resend");
  });

  it("PATCH in pieces (1 byte, 100 KiB, 3 MiB, 3 MiB, ...): every offset acknowledged, HEAD agrees, parts cut on the 5 MiB grid, the object byte-identical", async () => {
    const key = "u/tus/pieces.mp4";
    const file = video(2 * P + 1234567, 21);
    const { url } = await open(mf, key, file.length);
    await sendPieces(mf, url, file, [1, 100 * 1024, 3 * MiB, 3 * MiB, 1, 3 * MiB, 5 * MiB], "pieces");
    await assertStored(mf, key, file, "video/mp4", "pieces");
  });

  it("three uploads at once, each in pieces across the grid: each object is its own file", async () => {
    const files = [video(P + 5000, 121), video(2 * P + 7, 122), video(900000, 123)];
    const opened = await Promise.all(files.map((f, i) => open(mf, `u/tus/three-${i}.mp4`, f.length)));
    await Promise.all(files.map((f, i) => sendPieces(mf, opened[i].url, f, [3 * MiB, 3 * MiB], `upload ${i}`)));
    for (const [i, f] of files.entries()) await assertStored(mf, `u/tus/three-${i}.mp4`, f, "video/mp4", `upload ${i}`);
  });

  it("a tiny upload (43 bytes, under the 256 bytes the family check reads) completes", async () => {
    const key = "u/tus/tiny.gif";
    const { url } = await open(mf, key, TINY_GIF.length, { ct: "image/gif" });
    const res = await patch(mf, url, 0, TINY_GIF);
    assertTus(res, 204, "", "tiny");
    assert.equal(res.headers["upload-offset"], String(TINY_GIF.length));
    await assertStored(mf, key, TINY_GIF, "image/gif", "tiny");
  });

  it("a tiny upload in 1-byte PATCHes completes", async () => {
    const key = "u/tus/tiny-bytes.gif";
    const { url } = await open(mf, key, TINY_GIF.length, { ct: "image/gif" });
    await sendPieces(mf, url, TINY_GIF, Array(TINY_GIF.length).fill(1), "1-byte pieces");
    await assertStored(mf, key, TINY_GIF, "image/gif", "1-byte pieces");
  });

  for (const [label, length, sizes] of [
    ["exactly 5 MiB in one PATCH", P, []],
    ["5 MiB + 1 in one PATCH", P + 1, []],
    ["5 MiB + 1 as 5 MiB, then 1 byte", P + 1, [P]],
    ["5 MiB + 1 as 1 byte, then 5 MiB", P + 1, [1]],
    ["exactly 10 MiB as 5 MiB + 1, then the rest", 2 * P, [P + 1]],
    ["exactly 5 MiB as 3 MiB, then 2 MiB (all of it in the tail, one put)", P, [3 * MiB]],
    ["5 MiB + 1 in 1 MiB PATCHes (part 1 cut from four tail rows and the fifth PATCH)", P + 1, Array(6).fill(MiB)],
    ["10 MiB + 2 as 1 MiB - 1 byte PATCHes", 2 * P + 2, Array(12).fill(MiB - 1)],
  ]) {
    it(`${label}: stored byte-identical`, async () => {
      const key = `u/tus/grid-${label.replace(/[^a-z0-9]+/gi, "-")}.mp4`;
      const file = video(length, length % 251);
      const { url } = await open(mf, key, file.length);
      await sendPieces(mf, url, file, sizes, label);
      await assertStored(mf, key, file, "video/mp4", label);
    });
  }

  it("415 bad_content_type: a PATCH without application/offset+octet-stream changes nothing", async () => {
    const key = "u/tus/ctype.mp4";
    const file = video(3000);
    const { url } = await open(mf, key, file.length);
    for (const ct of [null, "video/mp4", "application/octet-stream", "application/offset+octet-stream2"]) {
      const res = await patch(mf, url, 0, file, { "content-type": ct });
      assertTus(res, 415, "bad_content_type", `content-type ${ct}`);
    }
    await assertOffset(mf, url, 0, file.length, "after 415");
    assert.equal(await storedObject(mf, key), null);
    await sendPieces(mf, url, file, [], "then the right type");
    await assertStored(mf, key, file, "video/mp4", "after bad_content_type");
  });

  it("409 offset_mismatch: a PATCH at another offset changes nothing; 400 for an Upload-Offset that is not a decimal", async () => {
    const key = "u/tus/offset.mp4";
    const file = video(3000);
    const { url } = await open(mf, key, file.length);
    assertTus(await patch(mf, url, 0, file.subarray(0, 1000)), 204, "", "first 1000");
    for (const at of [0, 999, 1001, 2999, 3000]) {
      const res = await patch(mf, url, at, file.subarray(at, at + 10));
      assertTus(res, 409, "offset_mismatch", `offset ${at}`);
      await assertOffset(mf, url, 1000, file.length, `after offset ${at}`);
    }
    for (const value of [null, "", "abc", "-1", "1e3", "+1000", "1000.0"]) {
      const res = await patch(mf, url, 1000, file.subarray(1000), { "upload-offset": value });
      assertTus(res, 400, "bad_request", `Upload-Offset ${JSON.stringify(value)}`);
    }
    await assertOffset(mf, url, 1000, file.length, "after 400s");
    assert.equal(await storedObject(mf, key), null);
    await sendPieces(mf, url, file, [], "the rest at 1000", 1000);
    await assertStored(mf, key, file, "video/mp4", "after 409s");
  });

  it("404 not_found: PATCH and DELETE with no upload", async () => {
    const key = "u/tus/none.mp4";
    const url = tusUrl(key);
    assertTus(await patch(mf, url, 0, video(100)), 404, "not_found", "PATCH no upload");
    assertTus(await del(mf, url), 404, "not_found", "DELETE no upload");
    await assertNothingLeft(mf, key, "404");
  });

  it("413 too_large: a PATCH beyond Upload-Length aborts the upload (HEAD 404, nothing stored)", async () => {
    for (const [label, first] of [["at offset 0", 0], ["after 100 bytes", 100], ["after 5 MiB + 10", P + 10]]) {
      const key = `u/tus/beyond-${first}.mp4`;
      const length = first + 1000;
      const file = video(length + 1);
      const { url } = await open(mf, key, length);
      if (first) assertTus(await patch(mf, url, 0, file.subarray(0, first)), 204, "", `${label}: first`);
      const res = await patch(mf, url, first, file.subarray(first));
      assertTus(res, 413, "too_large", label);
      assertTus(await headOf(mf, url), 404, "", `${label}: HEAD`);
      await assertNothingLeft(mf, key, label);
      // The key can be uploaded again.
      const again = await open(mf, key, length);
      await sendPieces(mf, again.url, file.subarray(0, length), [], `${label}: again`);
      await assertStored(mf, key, file.subarray(0, length), "video/mp4", `${label}: again`);
    }
  });

  it("415 type_mismatch: first bytes not of the declared family abort the upload, in one PATCH or across PATCHes", async () => {
    const png = media("magick.png");
    const cases = [
      ["HTML declared MP4", video(P + 100).map((b, i) => (i < HTML.length ? HTML[i] : b)), "video/mp4", []],
      ["a PNG declared MP4", png, "video/mp4", []],
      ["a WebM declared MP4, 7 bytes then the rest", media("ffmpeg-vp9.webm"), "video/mp4", [7]],
      ["HTML declared GIF, 1 byte at a time up to the check", HTML, "image/gif", Array(300).fill(1)],
      ["an MP4 declared PNG", video(6 * MiB), "image/png", [3 * MiB]],
    ];
    for (const [label, file, ct, sizes] of cases) {
      const key = `u/tus/family-${label.replace(/[^a-z0-9]+/gi, "-")}`;
      const { url } = await open(mf, key, file.length, { ct });
      let at = 0;
      let res;
      for (let i = 0; at < file.length; i++) {
        const n = i < sizes.length ? sizes[i] : file.length - at;
        res = await patch(mf, url, at, file.subarray(at, at + n));
        if (res.status !== 204) break;
        at += n;
        assert.ok(at < 256, `${label}: PATCHes acknowledged past the first 256 bytes (${at})`);
      }
      assertTus(res, 415, "type_mismatch", label);
      assertTus(await headOf(mf, url), 404, "", `${label}: HEAD`);
      await assertNothingLeft(mf, key, label);
    }
  });

  it("423 upload_locked: a second PATCH while one is in flight changes nothing; the first then completes", async () => {
    const key = "u/tus/locked.mp4";
    const file = video(P + 4096, 31);
    const { url } = await open(mf, key, file.length);
    let ctrl;
    const stream = new ReadableStream({ start(c) { ctrl = c; } });
    ctrl.enqueue(file.slice(0, 1000));
    const first = get(mf, url, { method: "PATCH", body: stream, headers: { ...TR, "content-type": OCTETS, "upload-offset": "0", "content-length": String(file.length) } });
    // The first PATCH holds the lease once its begin() ran (bounded wait, no timing claim).
    let row;
    for (let i = 0; i < 400; i++) {
      row = await uploadRow(mf, key);
      if (row && row.leaseUntil > 0) break;
      await sleep(25);
    }
    assert.ok(row && row.leaseUntil > 0, `the first PATCH took the lease: ${JSON.stringify(row)}`);
    // (Small bodies: workerd resets a connection whose body is still arriving
    // when the answer is complete, and a 423 is answered before the body is read.)
    for (const at of [0, 1000]) {
      const second = await patch(mf, url, at, file.subarray(at, at + 1000));
      assertTus(second, 423, "upload_locked", `second PATCH at ${at}`);
    }
    const during = await headOf(mf, url);
    assertTus(during, 200, "", "HEAD during the first PATCH");
    assert.equal(during.headers["upload-offset"], "0", "the 423s changed nothing");
    ctrl.enqueue(file.slice(1000));
    ctrl.close();
    const res = await first;
    assertTus(res, 204, "", "the first PATCH");
    assert.equal(res.headers["upload-offset"], String(file.length));
    await assertStored(mf, key, file, "video/mp4", "after the lock");
  });

  it("DELETE during a PATCH: 204; the PATCH then finds its upload gone (409), and nothing is stored", async () => {
    const key = "u/tus/delete-during.mp4";
    const file = video(4000, 111);
    const { url } = await open(mf, key, file.length);
    let ctrl;
    const stream = new ReadableStream({ start(c) { ctrl = c; } });
    ctrl.enqueue(file.slice(0, 1000));
    const first = get(mf, url, { method: "PATCH", body: stream, headers: { ...TR, "content-type": OCTETS, "upload-offset": "0", "content-length": String(file.length) } });
    let row;
    for (let i = 0; i < 400; i++) {
      row = await uploadRow(mf, key);
      if (row && row.leaseUntil > 0) break;
      await sleep(25);
    }
    assert.ok(row && row.leaseUntil > 0, `the PATCH took the lease: ${JSON.stringify(row)}`);
    assertTus(await del(mf, url), 204, "", "DELETE during the PATCH");
    ctrl.enqueue(file.slice(1000));
    ctrl.close();
    const res = await first;
    assertTus(res, 409, "offset_mismatch", "the PATCH after its upload was terminated");
    assertTus(await headOf(mf, url), 404, "", "HEAD");
    await assertNothingLeft(mf, key, "DELETE during a PATCH");
  });

  it("DELETE during a PATCH past its first part: the next part's upload to the aborted multipart upload fails, and the PATCH answers 409 (taken over), not 503", async () => {
    const key = "u/tus/delete-during-parts.mp4";
    const file = video(2 * P + 1000, 112);
    const { url } = await open(mf, key, file.length);
    let ctrl;
    const stream = new ReadableStream({ start(c) { ctrl = c; } });
    ctrl.enqueue(file.slice(0, P + 1000));
    const first = get(mf, url, { method: "PATCH", body: stream, headers: { ...TR, "content-type": OCTETS, "upload-offset": "0", "content-length": String(file.length) } });
    let row;
    for (let i = 0; i < 400; i++) {
      row = await uploadRow(mf, key);
      if (row && row.partsEnd === P) break;
      await sleep(25);
    }
    assert.equal(row?.partsEnd, P, `part 1 recorded: ${JSON.stringify(row)}`);
    assertTus(await del(mf, url), 204, "", "DELETE during the PATCH");
    ctrl.enqueue(file.slice(P + 1000));
    ctrl.close();
    assertTus(await first, 409, "offset_mismatch", "the PATCH after its upload was terminated");
    assertTus(await headOf(mf, url), 404, "", "HEAD");
    await assertNothingLeft(mf, key, "DELETE during a PATCH past its first part");
  });

  it("DELETE: 204, then HEAD and PATCH 404, nothing stored; the key can be uploaded again; DELETE again 404", async () => {
    const key = "u/tus/terminate.mp4";
    const file = video(P + 1000, 41);
    const { url } = await open(mf, key, file.length);
    // Past the first part: R2 holds a multipart upload, the DO a part and a tail.
    assertTus(await patch(mf, url, 0, file.subarray(0, P + 10)), 204, "", "before DELETE");
    const res = await del(mf, url);
    assertTus(res, 204, "", "DELETE");
    assertTus(await headOf(mf, url), 404, "", "HEAD after DELETE");
    assertTus(await patch(mf, url, P + 10, file.subarray(P + 10)), 404, "not_found", "PATCH after DELETE");
    assertTus(await del(mf, url), 404, "not_found", "DELETE again");
    await assertNothingLeft(mf, key, "DELETE");
    // Again, with other bytes: the new upload is what is stored.
    const other = video(P + 1000, 42);
    const again = await open(mf, key, other.length);
    await sendPieces(mf, again.url, other, [3 * MiB], "after DELETE");
    await assertStored(mf, key, other, "video/mp4", "after DELETE");
    // A completed upload is not terminated: DELETE never deletes the object.
    assertTus(await del(mf, again.url), 404, "not_found", "DELETE after completion");
    await assertStored(mf, key, other, "video/mp4", "DELETE after completion");
  });

  it("a chunked PATCH (no content-length): within the length 204; past it 413 too_large, the upload aborted", async () => {
    const key = "u/tus/chunked.mp4";
    const file = video(3000);
    const { url } = await open(mf, key, file.length);
    const streamOf = (bytes) => new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } });
    const first = await get(mf, url, { method: "PATCH", body: streamOf(file.slice(0, 1000)), headers: { ...TR, "content-type": OCTETS, "upload-offset": "0" } });
    assertTus(first, 204, "", "chunked PATCH within the length");
    assert.equal(first.headers["upload-offset"], "1000");
    await assertOffset(mf, url, 1000, file.length, "after the chunked PATCH");
    const over = await get(mf, url, { method: "PATCH", body: streamOf(video(2001).map((b, i) => file[1000 + i] ?? b)), headers: { ...TR, "content-type": OCTETS, "upload-offset": "1000" } });
    assertTus(over, 413, "too_large", "chunked PATCH past the length");
    assertTus(await headOf(mf, url), 404, "", "HEAD after the overflow");
    await assertNothingLeft(mf, key, "chunked overflow");
  });

  it("an empty PATCH at the offset: 204, the offset unchanged", async () => {
    const key = "u/tus/empty-patch.mp4";
    const file = video(3000);
    const { url } = await open(mf, key, file.length);
    for (const at of [0, 1000]) {
      if (at) assertTus(await patch(mf, url, 0, file.subarray(0, at)), 204, "", "first bytes");
      const res = await patch(mf, url, at, new Uint8Array(0));
      assertTus(res, 204, "", `empty PATCH at ${at}`);
      assert.equal(res.headers["upload-offset"], String(at));
      await assertOffset(mf, url, at, file.length, `after the empty PATCH at ${at}`);
    }
    await sendPieces(mf, url, file, [], "the rest", 1000);
    await assertStored(mf, key, file, "video/mp4", "after empty PATCHes");
  });

  it("412 already_exists at completion: an object put under the key meanwhile is never overwritten; the upload aborted", async () => {
    for (const length of [12999, P + 1000]) {
      const key = `u/tus/raced-${length}.mp4`;
      const file = video(length, 91);
      const { url } = await open(mf, key, file.length);
      // The same key filled by a single PUT while the upload is open.
      const other = media("ffmpeg-h264.mp4");
      const put = await get(mf, mediaUrl(key, putToken(key)), { method: "PUT", body: other, headers: { "content-type": "video/mp4" } });
      assert.equal(put.status, 201, put.text);
      const before = await storedObject(mf, key);
      const res = await patch(mf, url, 0, file);
      assertTus(res, 412, "already_exists", `completion over an object (${length} bytes)`);
      assert.deepEqual(await storedObject(mf, key), before, `${length}: the object put meanwhile is unchanged`);
      assertTus(await headOf(mf, url), 404, "", `${length}: HEAD after the refusal`);
      assert.equal(await uploadRow(mf, key), null, `${length}: no upload state`);
    }
  });

  it("after completion: the same POST again is 201 (a retry), another length 412 already_exists (the key holds an object)", async () => {
    const key = "u/tus/after-done.mp4";
    const file = video(4000);
    const { url, res: created } = await open(mf, key, file.length);
    await sendPieces(mf, url, file, [], "whole");
    const again = await create(mf, url, file.length);
    assertTus(again, 201, undefined, "the same POST after completion");
    assert.equal(again.headers.location, created.headers.location);
    const other = await create(mf, url, file.length + 1);
    assertTus(other, 412, "already_exists", "another length after completion");
    await assertStored(mf, key, file, "video/mp4", "after the POSTs");
  });

  it("a PATCH cut mid-body: the bytes that arrived are durable, HEAD says so, and the next PATCH resumes there (no lease left behind)", async () => {
    for (const [label, length, sent] of [["a single-part upload", 3000, 1000], ["across the 5 MiB boundary", P + 3000, P + 1000]]) {
      const key = `u/tus/cut-${length}.mp4`;
      const file = video(length, 101);
      const token = putToken(key);
      const url = mediaUrl(key, token);
      assertTus(await create(mf, url, length), 201, undefined, label);
      const head = `PATCH /m/${quotePath(key)}?t=${token} HTTP/1.1\r\nhost: media.test\r\ntus-resumable: 1.0.0\r\ncontent-type: ${OCTETS}\r\nupload-offset: 0\r\ncontent-length: ${length}`;
      await rawRequest(mf, head, file.subarray(0, sent), { after: "destroy" });
      // The flush runs after the client went away (waitUntil): bounded wait for it.
      let h;
      for (let i = 0; i < 100; i++) {
        h = await headOf(mf, url);
        if (h.headers["upload-offset"] === String(sent)) break;
        await sleep(100);
      }
      assertTus(h, 200, "", `${label}: HEAD after the cut`);
      assert.equal(h.headers["upload-offset"], String(sent), `${label}: every byte that arrived is acknowledged`);
      const rest = await patch(mf, url, sent, file.subarray(sent));
      assertTus(rest, 204, "", `${label}: the resumed PATCH`);
      assert.equal(rest.headers["upload-offset"], String(length));
      await assertStored(mf, key, file, "video/mp4", `${label}: resumed after a cut`);
    }
  });

  it("415 type_mismatch / 413 too_large on PATCH: a token for another type, or with a smaller n, than the upload was created under", async () => {
    const key = "u/tus/token-ct.mp4";
    const file = video(2000);
    const { url } = await open(mf, key, file.length);
    const res = await patch(mf, tusUrl(key, { ct: "video/webm" }), 0, file);
    assertTus(res, 415, "type_mismatch", "another ct");
    assert.equal(await storedObject(mf, key), null);
    // A token whose n is below the upload's length: 413.
    assertTus(await patch(mf, tusUrl(key, { n: 1999 }), 0, file), 413, "too_large", "a token with a smaller n");
    assert.equal(await storedObject(mf, key), null);
    // The upload's own token then finds no byte acknowledged from those PATCHes, and no
    // lease left behind by them: its PATCH goes through at once.
    await assertOffset(mf, url, 0, file.length, "after the refusals");
    await sendPieces(mf, url, file, [], "the upload's own token");
    await assertStored(mf, key, file, "video/mp4", "after the refusals");
  });
});

describe("tus: MEDIA_MAX_RESUMABLE_BYTES", { timeout: 60000 }, () => {
  let mf;
  before(async () => {
    mf = await startGate({ bindings: { ...TUS, MEDIA_MAX_RESUMABLE_BYTES: "10000" } });
  });
  after(async () => {
    await mf?.dispose();
  });

  it("OPTIONS says Tus-Max-Size; above the cap 413 whatever n says; at the cap 201", async () => {
    const o = await get(mf, mediaUrl("u/cap.mp4"), { method: "OPTIONS" });
    assertTus(o, 204, "", "OPTIONS");
    assert.equal(o.headers["tus-max-size"], "10000");
    for (const token of [{}, { n: 100000 }, { n: 10001 }]) {
      const key = "u/cap/over.mp4";
      assertTus(await create(mf, tusUrl(key, token), 10001), 413, "too_large", JSON.stringify(token));
      await assertNothingLeft(mf, key, JSON.stringify(token));
    }
    const key = "u/cap/exact.mp4";
    const file = video(10000);
    const { url } = await open(mf, key, 10000, { token: { n: 20000 } });
    await sendPieces(mf, url, file, [5000], "at the cap");
    await assertStored(mf, key, file, "video/mp4", "at the cap");
  });
});

describe("tus: off", { timeout: 60000 }, () => {
  const METHODS = ["POST", "PATCH", "DELETE", "OPTIONS"];
  async function assertOff(mf, allow, label) {
    const key = "u/off/a.mp4";
    const file = video(1000);
    for (const method of METHODS) {
      const headers = method === "OPTIONS" ? TR : method === "POST" ? { ...TR, "upload-length": "1000", "upload-metadata": metadata("video/mp4") } : method === "PATCH" ? { ...TR, "content-type": OCTETS, "upload-offset": "0" } : TR;
      const res = await get(mf, tusUrl(key), { method, headers, body: method === "PATCH" ? file : undefined });
      assert.equal(res.status, 405, `${label}: ${method}`);
      assert.equal(res.text, "method_not_allowed", `${label}: ${method}`);
      assert.equal(res.headers.allow, allow, `${label}: ${method}`);
      assert.equal(res.headers["cache-control"], "private, no-store", `${label}: ${method}`);
      assert.equal(res.headers["tus-resumable"], undefined, `${label}: ${method}: no tus header on the read-only answer`);
      assert.equal(res.headers["tus-version"], undefined, `${label}: ${method}`);
    }
    assert.equal(await storedObject(mf, key), null);
  }

  it("MEDIA_UPLOADS off, the binding present: POST, PATCH, DELETE, OPTIONS 405, allow: GET, HEAD", async () => {
    const mf = await startGate({ bindings: { ...TUS, MEDIA_UPLOADS: "off" } });
    try {
      await assertOff(mf, "GET, HEAD", "uploads off");
      assert.equal(await uploadRow(mf, "u/off/a.mp4"), null);
    } finally {
      await mf.dispose();
    }
  });

  it("uploads on without MEDIA_UPLOAD_STATE: 405, allow: GET, HEAD, PUT; PUT still works", async () => {
    const mf = await startGate({ bindings: TUS, uploadState: false });
    try {
      await assertOff(mf, "GET, HEAD, PUT", "no binding");
      const png = media("magick.png");
      const put = await get(mf, mediaUrl("u/off/put.png", putToken("u/off/put.png", { ct: "image/png" })), { method: "PUT", body: png, headers: { "content-type": "image/png" } });
      assert.equal(put.status, 201);
    } finally {
      await mf.dispose();
    }
  });

  it("everything on: a 405 lists every method", async () => {
    const mf = await startGate({ bindings: TUS });
    try {
      const res = await get(mf, tusUrl("u/off/b.mp4"), { method: "PROPFIND", headers: TR });
      assert.equal(res.status, 405);
      assert.equal(res.text, "method_not_allowed");
      assert.deepEqual(res.headers.allow.split(/,\s*/).sort(), ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]);
    } finally {
      await mf.dispose();
    }
  });
});

describe("tus: expiry, revocation, an expired token", { timeout: 180000 }, () => {
  let from;
  before(() => {
    from = workerLog.length;
  });
  after(() => {
    assertNoTokenLogged(from, "expiry");
  });

  it("MEDIA_UPLOAD_EXPIRY_SECONDS=2: the alarm deletes the upload and its parts; HEAD and PATCH 404, nothing stored; a new POST 201", async () => {
    const mf = await startGate({ bindings: { ...TUS, MEDIA_UPLOAD_EXPIRY_SECONDS: "2" } });
    try {
      const key = "u/exp/clip.mp4";
      const file = video(P + 5000, 51);
      const t0 = now();
      const { url, res } = await open(mf, key, file.length);
      const expires = Date.parse(res.headers["upload-expires"]);
      assert.ok(expires / 1000 >= t0 + 2 && expires / 1000 <= Math.ceil(Date.now() / 1000) + 2, res.headers["upload-expires"]);
      // Past the first part, so R2 holds a multipart upload (unless the 2 s ran out first:
      // a 404 is then the right answer, and only then).
      const sent = await patch(mf, url, 0, file.subarray(0, P + 10));
      if (sent.status === 404) assert.ok(Date.now() >= expires - 1000, "404 before the upload expired");
      else assertTus(sent, 204, "", "PATCH before expiry");
      let h;
      for (let i = 0; i < 120; i++) {
        h = await headOf(mf, url);
        if (h.status === 404) break;
        await sleep(250);
      }
      assertTus(h, 404, "", "HEAD after expiry");
      assert.ok(Date.now() >= expires - 1000, "not before Upload-Expires");
      // The alarm removed the state too (bounded wait: it may run just after HEAD sees expiry).
      let row;
      for (let i = 0; i < 120; i++) {
        row = await uploadRow(mf, key);
        if (row === null) break;
        await sleep(250);
      }
      assert.equal(row, null, "the alarm deleted the upload's rows");
      assert.equal(await storedObject(mf, key), null);
      assertTus(await patch(mf, url, P + 10, file.subarray(P + 10)), 404, "not_found", "PATCH after expiry");
      await waitForLog(from, () => loggedEvents(from).filter((e) => e.event === "media.upload.expired").length);
      const again = await create(mf, tusUrl(key), 10);
      assertTus(again, 201, undefined, "POST after expiry");
    } finally {
      await mf.dispose();
    }
  });

  it("410 revoked: POST and PATCH on a revoked key; nothing stored", async () => {
    const mf = await startGate({ bindings: { ...TUS, MEDIA_REVOCATION_REFRESH_SECONDS: "0" } });
    try {
      const fresh = "u/rev/fresh.mp4";
      const open1 = "u/rev/open.mp4";
      const file = video(2000);
      const { url } = await open(mf, open1, file.length);
      const kv = await mf.getKVNamespace("MEDIA_REVOCATIONS");
      for (const key of [fresh, open1]) await kv.put(revocationName(key), JSON.stringify({ scope: "all", at: now() }));
      await (await mf.getWorker()).scheduled({ cron: "* * * * *" });
      let read;
      for (let i = 0; i < 3; i++) {
        read = await get(mf, mediaUrl(fresh, mint(fresh)));
        if (read.status === 410) break;
      }
      assert.equal(read.status, 410);
      assertTus(await create(mf, tusUrl(fresh), 2000), 410, "revoked", "POST revoked");
      await assertNothingLeft(mf, fresh, "POST revoked");
      assertTus(await patch(mf, url, 0, file), 410, "revoked", "PATCH revoked");
      assert.equal(await storedObject(mf, open1), null);
    } finally {
      await mf.dispose();
    }
  });

  it("an expired put token: POST 401 expired, but HEAD and PATCH of an upload created before e still work and complete it", async () => {
    const mf = await startGate({ bindings: { ...TUS, MEDIA_CLOCK_SKEW_SECONDS: "0" } });
    try {
      const key = "u/tokexp/clip.mp4";
      const e = now() + 3;
      const file = video(P + 2000, 61);
      const { url } = await open(mf, key, file.length, { token: { exp: e } });
      const doomed = await open(mf, "u/tokexp/doomed.mp4", 5000, { token: { exp: e } });
      assertTus(await patch(mf, url, 0, file.subarray(0, 1000)), 204, "", "PATCH before e");
      // Poll until the gate refuses a new POST with a token of the same e (bounded).
      const freshUrl = tusUrl("u/tokexp/fresh.mp4", { exp: e });
      let res;
      for (let i = 0; i < 100; i++) {
        res = await create(mf, freshUrl, 1000);
        if (res.status === 401) break;
        assertTus(res, 201, undefined, "POST before e");
        await del(mf, freshUrl);
        await sleep(100);
      }
      assertTus(res, 401, "expired", "POST with an expired token");
      await assertNothingLeft(mf, "u/tokexp/fresh.mp4", "expired POST");
      // The uploads created before e go on: HEAD, PATCH, DELETE.
      await assertOffset(mf, url, 1000, file.length, "HEAD with the expired token");
      assertTus(await del(mf, doomed.url), 204, "", "DELETE with the expired token");
      await assertNothingLeft(mf, "u/tokexp/doomed.mp4", "DELETE with the expired token");
      assertTus(await patch(mf, url, 0, file.subarray(0, 1000)), 409, "offset_mismatch", "PATCH at 0 with the expired token");
      const rest = await patch(mf, url, 1000, file.subarray(1000));
      assertTus(rest, 204, "", "PATCH with the expired token");
      assert.equal(rest.headers["upload-offset"], String(file.length));
      await assertStored(mf, key, file, "video/mp4", "expired token");
      // A retried POST of that upload (its 201 lost) is one of its requests too
      // (docs/UPLOADS.md, "The token-expiry exception": HEAD, PATCH, DELETE and a retried POST).
      const retried = await create(mf, url, file.length);
      assertTus(retried, 201, undefined, "the same POST again with the expired token");
      assert.equal(new URL(retried.headers.location, url).href, url);
    } finally {
      await mf.dispose();
    }
  });
});

// R2 failing at completion (docs/UPLOADS.md, "What an upload must be": 503
// storage_unavailable), through tests/worker/stand-ins/faulty-r2.js: the
// completion's conditional put throws, or stores the object and never
// answers (the answer lost after the write).
describe("tus: R2 failing at completion", { timeout: 120000 }, () => {
  const THROWS = "u/r2fail/throws.gif";
  const LOST = "u/r2fail/lost.gif";
  const NO_ABORT = "u/r2fail/no-abort.mp4";
  let mf;
  let from;
  before(async () => {
    from = workerLog.length;
    mf = await startGate({ bindings: { ...TUS, MEDIA_STORAGE_TIMEOUT_MS: "300" }, bucketFaults: { [THROWS]: { put: "throw" }, [LOST]: { put: "store_then_hang" }, [NO_ABORT]: { abort: "throw" } } });
  });
  after(async () => {
    await mf?.dispose();
    assertNoTokenLogged(from, "R2 failing");
  });
  const inner = (key) => storedObject(mf, key, { inner: true });

  it("the put throws: 503 storage_unavailable, nothing stored; HEAD retries the completion (503 again); DELETE clears it", async () => {
    const { url } = await open(mf, THROWS, TINY_GIF.length, { ct: "image/gif" });
    assertTus(await patch(mf, url, 0, TINY_GIF), 503, "storage_unavailable", "PATCH completing");
    assert.equal(await inner(THROWS), null);
    assertTus(await headOf(mf, url), 503, "", "HEAD: the completion again, failing again");
    assert.equal(await inner(THROWS), null);
    assertTus(await del(mf, url), 204, "", "DELETE");
    assert.equal(await inner(THROWS), null);
    assert.equal(await uploadRow(mf, THROWS), null);
  });

  it("a DELETE whose R2 abort fails: 204, and the upload stays aborting for its alarm (no part forgotten); a POST meanwhile is 503", async () => {
    const file = video(P + 1000, 91);
    const { url } = await open(mf, NO_ABORT, file.length);
    // One part in R2 (a multipart upload made), 500 bytes in the tail.
    assertTus(await patch(mf, url, 0, file.subarray(0, P + 500)), 204, "", "PATCH: part 1 and a tail");
    assert.notEqual((await uploadRow(mf, NO_ABORT)).mpuId, "", "a multipart upload was made");
    assertTus(await del(mf, url), 204, "", "DELETE, R2 refusing the abort");
    const row = await uploadRow(mf, NO_ABORT);
    assert.equal(row?.state, "aborting", "the row waits for its alarm to abort the parts again");
    assertTus(await headOf(mf, url), 404, "", "HEAD: no live upload");
    assertTus(await create(mf, url, file.length), 503, "storage_unavailable", "POST while the cleanup is pending");
    assert.equal(await inner(NO_ABORT), null, "no object");
  });

  it("the put stores the object and never answers: 503; the next HEAD finds the upload's own object and answers offset = length", async () => {
    const { url } = await open(mf, LOST, TINY_GIF.length, { ct: "image/gif" });
    assertTus(await patch(mf, url, 0, TINY_GIF), 503, "storage_unavailable", "PATCH completing, the answer lost");
    const h = await headOf(mf, url);
    assertTus(h, 200, "", "HEAD after the lost answer");
    assert.equal(h.headers["upload-offset"], String(TINY_GIF.length));
    const obj = await inner(LOST);
    assert.ok(obj && same(obj.body, TINY_GIF), "stored once, byte for byte");
    const back = await get(mf, mediaUrl(LOST, mint(LOST)));
    assert.equal(back.status, 200);
    assert.ok(same(back.body, TINY_GIF));
  });
});

describe("tus: the upload state survives a restart", { timeout: 120000 }, () => {
  it("dispose mid-upload, a new Miniflare on the same persist directory: HEAD has the offset, the upload completes", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "mediagate-tus-"));
    const from = workerLog.length;
    let mf;
    try {
      mf = await startGate({ bindings: TUS, persistDir: dir });
      const key = "u/restart/clip.mp4";
      const file = video(2 * P + 3000, 71);
      const { url } = await open(mf, key, file.length);
      // One part recorded (5 MiB) and a tail of 1 MiB + 7 in SQLite.
      const first = P + MiB + 7;
      assertTus(await patch(mf, url, 0, file.subarray(0, first)), 204, "", "before the restart");
      await mf.dispose();
      mf = await startGate({ bindings: TUS, persistDir: dir, seed: false });
      await assertOffset(mf, url, first, file.length, "after the restart");
      assertTus(await patch(mf, url, 0, file.subarray(0, 1000)), 409, "offset_mismatch", "a stale PATCH at 0");
      await assertOffset(mf, url, first, file.length, "after a stale PATCH");
      const rest = await patch(mf, url, first, file.subarray(first));
      assertTus(rest, 204, "", "after the restart");
      assert.equal(rest.headers["upload-offset"], String(file.length));
      await assertStored(mf, key, file, "video/mp4", "across a restart");
      assertNoTokenLogged(from, "restart");
    } finally {
      await mf?.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("tus: the Emscripten build answers the same", { timeout: 120000 }, () => {
  it("POST, PATCH in two pieces across the grid, HEAD, completion", async () => {
    const mf = await startGate({ wasmPath: BUILDS.emscripten, bindings: TUS });
    try {
      const key = "u/emcc/clip.mp4";
      const file = video(P + 777, 81);
      const { url } = await open(mf, key, file.length);
      await sendPieces(mf, url, file, [3 * MiB], "emscripten");
      await assertStored(mf, key, file, "video/mp4", "emscripten");
    } finally {
      await mf.dispose();
    }
  });
});
