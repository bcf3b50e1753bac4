// Uploads of many chunks (docs/UPLOADS.md): bodies of a few MiB, which the
// shim reads in many reads and streams to R2 while the client still sends,
// hashing every byte. A whole body is stored byte for byte; a retry of the
// same bytes is told from other bytes by the MD5 of the whole body (the
// bytes R2 never read included); a body cut short after the put started
// stores nothing.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { createHash, randomBytes } from "node:crypto";
import { DEFAULT_BINDINGS, startGate, get, mintPut, mediaUrl, quotePath, waitForLog, loggedEvents, workerLog, storedObject } from "./helpers.js";

const UPLOADS = { ...DEFAULT_BINDINGS, MEDIA_UPLOADS: "on" };
const md5 = (b) => createHash("md5").update(b).digest("hex");

// A JPEG's first bytes (SOI, JFIF APP0), then random bytes to `size`.
function jpegLike(size) {
  const b = randomBytes(size);
  Buffer.from("ffd8ffe000104a46494600010100000100010000", "hex").copy(b, 0);
  return new Uint8Array(b);
}

async function upload(mf, key, body) {
  return get(mf, mediaUrl(key, mintPut(key, { ct: "image/jpeg" })), { method: "PUT", body, headers: { "content-type": "image/jpeg" } });
}

// The bytes the bucket holds under `key`, or null.
const stored = async (mf, key) => (await storedObject(mf, key))?.body ?? null;

describe("PUT uploads of many chunks", { timeout: 120000 }, () => {
  let mf;
  before(async () => {
    mf = await startGate({ bindings: UPLOADS });
  });
  after(async () => {
    await mf?.dispose();
  });

  it("stores a 5 MiB body byte for byte: 201 with its size", async () => {
    const body = jpegLike(5 * 1024 * 1024 + 123);
    const key = "u/up/big.jpg";
    const res = await upload(mf, key, body);
    assert.equal(res.status, 201);
    assert.equal(JSON.parse(res.text).size, body.length);
    assert.equal(md5(await stored(mf, key)), md5(body));
  });

  it("a retry of the same 3 MiB is 200; 3 MiB that differ only in the last byte are 412 and change nothing", async () => {
    const body = jpegLike(3 * 1024 * 1024);
    const key = "u/up/big-retry.jpg";
    const first = await upload(mf, key, body);
    assert.equal(first.status, 201);
    const again = await upload(mf, key, body);
    assert.equal(again.status, 200);
    assert.deepEqual(JSON.parse(again.text), JSON.parse(first.text));
    const other = body.slice();
    other[other.length - 1] ^= 1;
    const refused = await upload(mf, key, other);
    assert.equal(refused.status, 412);
    assert.equal(refused.text, "already_exists");
    assert.equal(md5(await stored(mf, key)), md5(body));
  });

  it("a body that ends 2 MiB short of its content-length, after the put started, stores nothing (400 incomplete_upload)", async () => {
    const size = 3 * 1024 * 1024;
    const body = jpegLike(size);
    const key = "u/up/cut.jpg";
    const url = new URL(await mf.ready);
    const from = workerLog.length;
    // A raw connection: the head declares the whole size, 1 MiB follows,
    // then the client closes its side.
    const socket = net.connect(Number(url.port), url.hostname);
    const closed = new Promise((resolve) => socket.on("close", resolve));
    socket.on("error", () => {});
    socket.on("data", () => {});
    socket.write(
      `PUT /m/${quotePath(key)}?t=${mintPut(key, { ct: "image/jpeg" })} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: image/jpeg\r\ncontent-length: ${size}\r\n\r\n`,
    );
    socket.end(body.subarray(0, 1024 * 1024));
    await closed;
    // The Worker logs every upload answer, after its put has settled.
    const rejected = (lines) => lines.filter((l) => l.includes('"media.upload.rejected"') && l.includes(JSON.stringify(key))).length;
    await waitForLog(from, rejected);
    const e = loggedEvents(from).find((x) => x.event === "media.upload.rejected" && x.key === key);
    assert.equal(e.reason, "incomplete_upload");
    assert.equal(await stored(mf, key), null);
  });
});
