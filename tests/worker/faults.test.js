// Fault injection under Miniflare (issue 6; docs/CONTRACT.md section 4): R2 that
// throws, hangs past the deadline, or hands back bytes that disagree with
// what was asked; KV failing after a good load; the Cache API failing or
// holding garbage. Every answer is the contract's: 503 storage_unavailable
// with `private, no-store` (or the documented fallback: R2 answers when the
// cache fails), never a 500, never a body that disagrees with its
// content-length delivered as complete, nothing private or broken cached,
// nothing revoked served. Uploads (docs/UPLOADS.md): R2's put failing or
// hanging, the client going away mid-body or sending another body than it
// declared: a 503 or 400, and R2 as it was. The stand-ins are in
// tests/worker/stand-ins/.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Response } from "miniflare";
import { DEFAULT_BINDINGS, FLAKY_KV_DOWN, OBJECTS, ORIGIN, SECURITY_HEADERS, bytes, get, innerKv, loggedEvents, mediaUrl, mint, quotePath, revocationName, startGate, waitForLog, workerLog } from "./helpers.js";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT, mintPut, rawRequest, storedObject } from "./helpers.js";

const PNG = "u/me_1/0123456789abcdef0123456789abcdef.png"; // 1000 bytes
const JPG = "u/me_1/café 😀.jpg"; // 4096 bytes
const WEBP = "u/me_1/a b%2F~+.webp"; // 300 bytes
const MP4 = "u/v/clip.mp4"; // 200000 bytes
const WEBM = "u/v/clip.webm"; // 50000 bytes
const GIF = "u/one.gif"; // 1 byte
const IMMUTABLE = "public, max-age=31536000, immutable";
const NO_STORE = "private, no-store";

const slice = (key, a, b) => OBJECTS[key].body.slice(a, b + 1);
const b64 = (u8) => Buffer.from(u8).toString("base64");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Like get(), but a body that fails to arrive in full is reported, not
// thrown: { status, headers, error } (the client saw a truncated transfer).
async function attempt(mf, url, opts) {
  try {
    return { ...(await get(mf, url, opts)), error: null };
  } catch (err) {
    return { status: null, headers: {}, body: null, error: err };
  }
}
// The status and headers only, then the body read to its end or its error.
async function transfer(mf, url, { method = "GET", headers = {} } = {}) {
  const res = await mf.dispatchFetch(url, { method, headers: { "accept-encoding": "identity", ...headers }, redirect: "manual" });
  const head = { status: res.status, headers: Object.fromEntries(res.headers) };
  try {
    return { ...head, body: new Uint8Array(await res.arrayBuffer()), error: null };
  } catch (err) {
    return { ...head, body: null, error: err };
  }
}

function assertUnavailable(res, method, label) {
  assert.equal(res.error, null, `${label}: the 503 arrives whole`);
  assert.equal(res.status, 503, label);
  assert.equal(res.headers["cache-control"], NO_STORE, label);
  assert.equal(res.headers["content-type"], "text/plain; charset=utf-8", label);
  assert.equal(res.text, method === "HEAD" ? "" : "storage_unavailable", label);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(res.headers[name], value, `${label}: ${name}`);
}

// A complete, correct answer for `key` (whole, or the inclusive span a-b).
function assertServed(res, key, { status = 200, span, head = false } = {}, label = key) {
  assert.equal(res.error, null, label);
  assert.equal(res.status, status, label);
  const want = span ? slice(key, span[0], span[1]) : OBJECTS[key].body;
  assert.equal(res.headers["content-length"], String(want.length), label);
  if (!head) assert.deepEqual(res.body, want, label);
}

// The edge cache's entry for `key`, or null.
async function cachedEntry(mf, key) {
  const caches = await mf.getCaches();
  const hit = await caches.default.match(`${ORIGIN}/m/${quotePath(key)}`);
  if (!hit) return null;
  const body = new Uint8Array(await hit.arrayBuffer());
  return { meta: hit.headers.get("x-mediagate-object"), body };
}

// The edge cache is filled in waitUntil, after the response: wait (up to ten
// seconds, a bound against hanging) for an entry whose metadata matches `meta`; null when none came.
async function settled(mf, key, meta = /^v1 /) {
  let entry = await cachedEntry(mf, key);
  for (let i = 0; i < 400 && !meta.test(entry?.meta ?? ""); i++) {
    await sleep(25);
    entry = await cachedEntry(mf, key);
  }
  return entry;
}

const CASES = (key) =>
  ["GET", "HEAD"].flatMap((method) =>
    ["pub", "priv"].flatMap((mode) =>
      [undefined, "bytes=0-1"].map((range) => ({ method, mode, range, label: `${method} ${mode} ${range ?? "whole"} ${key}` })),
    ),
  );

describe("R2 get and head throwing", { timeout: 120000 }, () => {
  let mf;
  before(async () => {
    mf = await startGate({
      bucketFaults: {
        [PNG]: { get: "throw", head: "throw" },
        [JPG]: { get: "throw" },
        [WEBP]: { head: "throw" },
      },
    });
  });
  after(async () => {
    await mf?.dispose();
  });

  it("503 storage_unavailable, private no-store, for GET and HEAD, public and private, whole and Range", async () => {
    for (const c of CASES(PNG)) {
      const url = mediaUrl(PNG, mint(PNG, { mode: c.mode }));
      assertUnavailable(await attempt(mf, url, { method: c.method, headers: c.range ? { range: c.range } : {} }), c.method, c.label);
    }
    // A failed public read leaves nothing in the edge cache, so no later hit
    // can serve an error or a partial object.
    assert.equal(await settled(mf, PNG), null);
  });

  it("only the requests needing the failing operation fail; the isolate keeps serving", async () => {
    // get fails, head works: GET is 503, HEAD answers from R2.
    assertUnavailable(await attempt(mf, mediaUrl(JPG, mint(JPG))), "GET", "GET JPG");
    assertServed(await attempt(mf, mediaUrl(JPG, mint(JPG)), { method: "HEAD" }), JPG, { head: true }, "HEAD JPG");
    // head fails, get works.
    assertUnavailable(await attempt(mf, mediaUrl(WEBP, mint(WEBP, { mode: "priv" })), { method: "HEAD" }), "HEAD", "HEAD WEBP");
    assertServed(await attempt(mf, mediaUrl(WEBP, mint(WEBP, { mode: "priv" }))), WEBP, {}, "GET WEBP");
    assert.equal(await settled(mf, WEBP), null, "a private read stores nothing, faults or not");
    // Keys without faults, after all of the above.
    assertServed(await attempt(mf, mediaUrl(MP4, mint(MP4)), { headers: { range: "bytes=0-1" } }), MP4, { status: 206, span: [0, 1] });
  });
});

describe("R2 hanging past MEDIA_STORAGE_TIMEOUT_MS", { timeout: 120000 }, () => {
  let mf;
  before(async () => {
    mf = await startGate({
      metrics: true,
      bindings: { ...DEFAULT_BINDINGS, MEDIA_STORAGE_TIMEOUT_MS: "200" },
      bucketFaults: { [PNG]: { get: "hang", head: "hang" }, [JPG]: { head: "hang" } },
    });
  });
  after(async () => {
    await mf?.dispose();
  });

  // With the default deadline (10 s) these requests would outlast the test's
  // timeout (30 s): the 503s come from the configured 200 ms.
  it("an operation still pending at the deadline is 503 storage_unavailable, no-store", { timeout: 30000 }, async () => {
    for (const c of CASES(PNG)) {
      const url = mediaUrl(PNG, mint(PNG, { mode: c.mode }));
      assertUnavailable(await attempt(mf, url, { method: c.method, headers: c.range ? { range: c.range } : {} }), c.method, c.label);
    }
    assert.equal(await settled(mf, PNG), null);
  });

  it("a timeout and an R2 error log distinct reasons, with the same 503 body", { timeout: 30000 }, async () => {
    const failing = await startGate({ metrics: true, bucketFaults: { [PNG]: { get: "throw", head: "throw" } } });
    try {
      for (const [gate, reason] of [[mf, "storage_timeout"], [failing, "storage_unavailable"]]) {
        for (const c of CASES(PNG)) {
          const from = workerLog.length;
          const url = mediaUrl(PNG, mint(PNG, { mode: c.mode }));
          assertUnavailable(await attempt(gate, url, { method: c.method, headers: c.range ? { range: c.range } : {} }), c.method, `${reason} ${c.label}`);
          const lines = () => loggedEvents(from).filter((e) => e.status !== undefined);
          // One data point per request (the revocation signal's own point aside: no snapshot was ever compacted here).
          const points = () => workerLog.slice(from).filter((l) => l.includes("METRIC {")).map((l) => JSON.parse(l.slice(l.indexOf("METRIC ") + 7))).filter((p) => p.indexes[0] !== "revocations_stale");
          await waitForLog(from, () => Math.min(lines().length, points().length));
          assert.deepEqual(lines().map((e) => [e.event, e.reason, e.status]), [["media.worker.error", reason, 503]], `${reason} ${c.label}`);
          assert.deepEqual(points().map((p) => [p.indexes[0], p.blobs[1], p.doubles[0]]), [[reason, reason, 503]], `${reason} ${c.label}`);
        }
      }
    } finally {
      await failing.dispose();
    }
  });

  it("a hanging head does not hold up GETs of the same key, nor other keys", { timeout: 30000 }, async () => {
    assertUnavailable(await attempt(mf, mediaUrl(JPG, mint(JPG)), { method: "HEAD" }), "HEAD", "HEAD JPG");
    assertServed(await attempt(mf, mediaUrl(JPG, mint(JPG))), JPG);
    assertServed(await attempt(mf, mediaUrl(MP4, mint(MP4, { mode: "priv" })), { headers: { range: "bytes=-500" } }), MP4, { status: 206, span: [199500, 199999] });
  });

  it("an invalid MEDIA_STORAGE_TIMEOUT_MS is 503 worker_not_configured, naming the setting", async () => {
    const from = workerLog.length;
    const bad = await startGate({ bindings: { ...DEFAULT_BINDINGS, MEDIA_STORAGE_TIMEOUT_MS: "10s" } });
    try {
      const res = await get(bad, mediaUrl(PNG, mint(PNG)));
      assert.equal(res.status, 503);
      assert.equal(res.text, "worker_not_configured");
      await waitForLog(from, () => loggedEvents(from).filter((e) => e.setting).length);
      assert.ok(loggedEvents(from).some((e) => e.reason === "not_configured" && e.setting === "MEDIA_STORAGE_TIMEOUT_MS"));
    } finally {
      await bad.dispose();
    }
  });
});

describe("R2 bytes that disagree with what was asked", { timeout: 120000 }, () => {
  const NEW_JPG = bytes(2000, 11); // JPG after it is overwritten
  const NEW_WEBM = bytes(60000, 12); // WEBM after it is overwritten
  let mf;
  before(async () => {
    mf = await startGate({
      bucketFaults: {
        [PNG]: { get: "short" },
        [MP4]: { get: "long" },
        [JPG]: { get: "replace", with: b64(NEW_JPG), type: "image/jpeg" },
        [WEBM]: { get: "replace", with: b64(NEW_WEBM), type: "video/webm" },
      },
    });
  });
  after(async () => {
    await mf?.dispose();
  });

  it("a body shorter than the span decided is never delivered as complete, nor left in the edge cache", async () => {
    for (const mode of ["priv", "pub"]) {
      for (const range of ["bytes=0-9", "bytes=-100", undefined]) {
        const label = `${mode} ${range ?? "whole"}`;
        const res = await transfer(mf, mediaUrl(PNG, mint(PNG, { mode })), { headers: range ? { range } : {} });
        // The status and headers were sent before the bytes ran out; the
        // transfer then fails rather than ending short of content-length.
        assert.equal(res.status, range ? 206 : 200, label);
        assert.ok(res.error, `${label}: a short body must not arrive as a complete response`);
      }
    }
    assert.equal(await settled(mf, PNG), null, "no edge cache entry holds the short body");
    // HEAD reads no body: unaffected.
    assertServed(await attempt(mf, mediaUrl(PNG, mint(PNG)), { method: "HEAD" }), PNG, { head: true });
  });

  it("a body longer than the span decided is never delivered as complete (Safari's probe, a seek, the whole file)", async () => {
    for (const range of ["bytes=0-1", "bytes=100000-100099", undefined]) {
      const label = range ?? "whole";
      const res = await transfer(mf, mediaUrl(MP4, mint(MP4)), { headers: range ? { range } : {} });
      assert.equal(res.status, range ? 206 : 200, label);
      assert.ok(res.error, `${label}: a long body must not arrive as a complete response`);
    }
    assert.equal(await settled(mf, MP4), null, "no edge cache entry holds the long body");
  });

  it("an object overwritten between the core's two reads: answered from the second read alone", async () => {
    // A stale If-Range: a ranged read, then (the validator failing) a whole
    // read, which sees the new object. The answer is the new object, whole,
    // with its own length and etag.
    const res = await attempt(mf, mediaUrl(JPG, mint(JPG, { mode: "priv" })), { headers: { range: "bytes=10-19", "if-range": '"stale"' } });
    assert.equal(res.error, null);
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-length"], "2000");
    assert.deepEqual(res.body, NEW_JPG);
    const head = await get(mf, mediaUrl(JPG, mint(JPG)), { method: "HEAD" });
    assert.equal(res.headers.etag, head.headers.etag);
  });

  it("an object overwritten between two reads whose spans no longer agree: 503 storage_unavailable", async () => {
    // "2-5,-49995" coalesces only once the size is known: a whole read (50000
    // bytes), then an exact read of 2-49999, which finds a 60000-byte object
    // where those ranges no longer meet. Neither read's bytes are the answer.
    const res = await attempt(mf, mediaUrl(WEBM, mint(WEBM)), { headers: { range: "bytes=2-5,-49995" } });
    assertUnavailable(res, "GET", "WEBM replaced");
    assert.equal(await settled(mf, WEBM), null);
    // The next request sees the new object, consistently.
    const again = await attempt(mf, mediaUrl(WEBM, mint(WEBM)), { headers: { range: "bytes=59990-" } });
    assert.equal(again.status, 206);
    assert.equal(again.headers["content-range"], "bytes 59990-59999/60000");
    assert.deepEqual(again.body, NEW_WEBM.slice(59990));
  });
});

describe("KV failing on refresh after a good load (MEDIA_REVOCATION_MODE open)", { timeout: 120000 }, () => {
  it("keeps serving on the last snapshot: the revoked key stays 410 (even when cached), others 200", async () => {
    const mf = await startGate({ flakyKv: true, bindings: { ...DEFAULT_BINDINGS, MEDIA_REVOCATION_REFRESH_SECONDS: "0" } });
    try {
      const kv = await innerKv(mf);
      const pub = mediaUrl(PNG, mint(PNG));
      assert.equal((await get(mf, pub)).status, 200);
      assert.ok(await settled(mf, PNG), "the public copy is in the edge cache");
      // The backend revokes PNG; the scheduled handler compacts the list
      // through KV (up), and the isolate loads it.
      await kv.put(revocationName(PNG), JSON.stringify({ scope: "all", at: Math.floor(Date.now() / 1000) }));
      await (await mf.getWorker()).scheduled({ cron: "* * * * *" });
      assert.equal((await get(mf, pub)).status, 410);

      // KV goes down. Every request asks for a refresh (every 0 s), and each fails.
      await kv.put(FLAKY_KV_DOWN, "1");
      const from = workerLog.length;
      for (let i = 0; i < 3; i++) {
        const revoked = await get(mf, pub);
        assert.equal(revoked.status, 410, `request ${i} while KV is down`);
        assert.equal(revoked.text, "revoked");
        assert.equal((await get(mf, mediaUrl(PNG, mint(PNG, { mode: "priv" })))).status, 410);
        assert.equal((await get(mf, pub, { method: "HEAD" })).status, 410);
        assertServed(await attempt(mf, mediaUrl(MP4, mint(MP4)), { headers: { range: "bytes=0-1" } }), MP4, { status: 206, span: [0, 1] });
        assertServed(await attempt(mf, mediaUrl(GIF, mint(GIF, { mode: "priv" }))), GIF);
      }
      const failedRefresh = () => loggedEvents(from).some((e) => e.reason === "revocations_unavailable");
      await waitForLog(from, () => (failedRefresh() ? 1 : 0));
      assert.ok(failedRefresh(), "the refreshes did run, and failed");
      assert.equal((await get(mf, pub)).status, 410, "still refused after the failed refreshes");
      assert.ok(await cachedEntry(mf, PNG), "the edge cache still holds the revoked copy, unserved");

      // KV is back, the revocation is lifted: served again.
      await kv.delete(FLAKY_KV_DOWN);
      await kv.delete(revocationName(PNG));
      await (await mf.getWorker()).scheduled({ cron: "* * * * *" });
      assertServed(await attempt(mf, pub), PNG);
    } finally {
      await mf.dispose();
    }
  });
});

describe("Cache API failing", { timeout: 120000 }, () => {
  for (const fault of ["reject", "throw", "unavailable"]) {
    it(`${fault}: public media is answered from R2, exactly, and private media is untouched`, async () => {
      const mf = await startGate({ entry: "tests/worker/stand-ins/cache-faults.js", bindings: { ...DEFAULT_BINDINGS, TEST_CACHE_FAULT: fault } });
      try {
        const url = mediaUrl(PNG, mint(PNG));
        for (let i = 0; i < 2; i++) {
          const res = await attempt(mf, url); // the first would fill the cache, the second hit it
          assertServed(res, PNG, {}, `GET ${i}`);
          assert.equal(res.headers["cache-control"], IMMUTABLE);
        }
        assertServed(await attempt(mf, url, { method: "HEAD" }), PNG, { head: true }, "HEAD");
        assertServed(await attempt(mf, url, { headers: { range: "bytes=0-1" } }), PNG, { status: 206, span: [0, 1] }, "Range");
        const etag = (await get(mf, url, { method: "HEAD" })).headers.etag;
        assert.equal((await get(mf, url, { headers: { "if-none-match": etag } })).status, 304);
        assert.equal((await get(mf, url, { headers: { range: "bytes=5000-" } })).status, 416);
        assertServed(await attempt(mf, mediaUrl(MP4, mint(MP4, { mode: "priv" }))), MP4, {}, "private MP4");
      } finally {
        await mf.dispose();
      }
    });
  }
});

describe("Cache API match never answering", { timeout: 120000 }, () => {
  // The cache deadline is the core's: 1000 ms, or the storage deadline when
  // shorter (here 300 ms). Without it these requests would wait forever.
  it("public media is answered from R2 after the core's cache deadline, and the line says cache timeout", { timeout: 30000 }, async () => {
    const mf = await startGate({
      entry: "tests/worker/stand-ins/cache-faults.js",
      metrics: true,
      bindings: { ...DEFAULT_BINDINGS, TEST_CACHE_FAULT: "hang", MEDIA_STORAGE_TIMEOUT_MS: "300", MEDIA_LOG_SAMPLE_RATE: "0" },
    });
    try {
      const from = workerLog.length;
      const url = mediaUrl(PNG, mint(PNG));
      assertServed(await attempt(mf, url), PNG, {}, "GET");
      assertServed(await attempt(mf, url, { method: "HEAD" }), PNG, { head: true }, "HEAD");
      assertServed(await attempt(mf, url, { headers: { range: "bytes=0-1" } }), PNG, { status: 206, span: [0, 1] }, "Range");
      assert.equal((await get(mf, url, { headers: { range: "bytes=5000-" } })).status, 416);
      // Private media never asks the cache.
      assertServed(await attempt(mf, mediaUrl(MP4, mint(MP4, { mode: "priv" }))), MP4, {}, "private MP4");
      const served = () => loggedEvents(from).filter((e) => e.status !== undefined);
      await waitForLog(from, () => served().length, 4);
      // Successes are sampled at 0 here: these lines are logged because the
      // cache timed out, each once, with cache "timeout".
      assert.deepEqual(served().map((e) => [e.status, e.cache, e.sample_rate]), [[200, "timeout", 1], [200, "timeout", 1], [206, "timeout", 1], [416, "timeout", 1]]);
      // One data point per request (the revocation signal's own point aside: no snapshot was ever compacted here).
      const points = workerLog.slice(from).filter((l) => l.includes("METRIC {")).map((l) => JSON.parse(l.slice(l.indexOf("METRIC ") + 7))).filter((p) => p.indexes[0] !== "revocations_stale");
      assert.deepEqual(points.map((p) => p.blobs[3]), ["timeout", "timeout", "timeout", "timeout", "none"]);
    } finally {
      await mf.dispose();
    }
  });
});

describe("edge cache entries that are garbage", { timeout: 120000 }, () => {
  let mf;
  // Entries written straight into the Cache API under each key's canonical path.
  async function plant(key, body, headers, status = 200) {
    const caches = await mf.getCaches();
    await caches.default.put(`${ORIGIN}/m/${quotePath(key)}`, new Response(body, { status, headers: { "cache-control": IMMUTABLE, ...headers } }));
  }
  before(async () => {
    mf = await startGate();
  });
  after(async () => {
    await mf?.dispose();
  });

  it("an entry without x-mediagate-object is a miss: R2 answers, and the entry is replaced", async () => {
    await plant(PNG, "garbage", {});
    // A range past the garbage's 7 bytes (the cache refuses it) and one within.
    for (const [a, b] of [[500, 509], [0, 1]]) {
      const res = await attempt(mf, mediaUrl(PNG, mint(PNG)), { headers: { range: `bytes=${a}-${b}` } });
      assertServed(res, PNG, { status: 206, span: [a, b] }, `bytes=${a}-${b}`);
    }
    assertServed(await attempt(mf, mediaUrl(PNG, mint(PNG)), { method: "HEAD" }), PNG, { head: true }, "HEAD");
    assertServed(await attempt(mf, mediaUrl(PNG, mint(PNG))), PNG);
    const entry = await settled(mf, PNG);
    assert.match(entry.meta ?? "", /^v1 1000 /);
    assert.deepEqual(entry.body, OBJECTS[PNG].body);
  });

  it("unreadable metadata is a miss, for Range, HEAD and GET (which repairs the entry)", async () => {
    const corrupt = ['v2 4096 1 "e" image/jpeg', "v1 4096", 'v1 lots 1 "e" image/jpeg', 'v1 4096 1 "e" %ZZ', ""];
    const url = mediaUrl(JPG, mint(JPG));
    for (const meta of corrupt) {
      const requests = [
        [{ headers: { range: "bytes=10-19" } }, { status: 206, span: [10, 19] }],
        [{ method: "HEAD" }, { head: true }],
        [{}, {}],
      ];
      for (const [opts, want] of requests) {
        await plant(JPG, bytes(4096, 99), { "x-mediagate-object": meta });
        assertServed(await attempt(mf, url, opts), JPG, want, `${opts.method ?? "GET"} ${JSON.stringify(opts.headers ?? {})}, metadata ${JSON.stringify(meta)}`);
      }
      const repaired = await settled(mf, JPG, /^v1 4096 /);
      assert.deepEqual(repaired?.body, OBJECTS[JPG].body, `repaired after ${JSON.stringify(meta)}`);
    }
  });

  it("an entry holding fewer bytes than its metadata says is a miss, not a truncated answer", async () => {
    // Metadata for the whole 200000-byte clip, over its first 1000 bytes.
    const url = mediaUrl(MP4, mint(MP4));
    const requests = [
      [{ headers: { range: "bytes=150000-150009" } }, { status: 206, span: [150000, 150009] }],
      [{ headers: { range: "bytes=0-1" } }, { status: 206, span: [0, 1] }],
      [{ method: "HEAD" }, { head: true }],
      [{}, {}],
    ];
    for (const [opts, want] of requests) {
      await plant(MP4, slice(MP4, 0, 999), { "x-mediagate-object": 'v1 200000 1700000000 "0123456789abcdef0123456789abcdef" video/mp4' });
      assertServed(await attempt(mf, url, opts), MP4, want, `${opts.method ?? "GET"} ${JSON.stringify(opts.headers ?? {})}`);
    }
  });

  it("a stored error response is a miss", async () => {
    await plant(GIF, "not_found", { "x-mediagate-object": 'v1 1 1700000000 "0123456789abcdef0123456789abcdef" image/gif' }, 404);
    assertServed(await attempt(mf, mediaUrl(GIF, mint(GIF))), GIF);
  });
});

// Uploads (docs/UPLOADS.md section 2): R2's put failing or hanging, and the
// client going away or sending a body other than the one it declared. Every
// outcome leaves R2 as it was: nothing under the key, or the old bytes.
const PUT_BINDINGS = { ...DEFAULT_BINDINGS, MEDIA_UPLOADS: "on", MEDIA_LOG_DENIAL_BUDGET: "100000" };
const signature = (name) => new Uint8Array(readFileSync(path.join(ROOT, "build/media/signatures", name)));
const UPLOAD_PNG = signature("magick.png"); // 1430 bytes
// A real MP4 followed by zeros: 200000 bytes, so the put streams many chunks.
const UPLOAD_MP4 = (() => {
  const mp4 = signature("ffmpeg-h264.mp4");
  const b = new Uint8Array(200000);
  b.set(mp4);
  return b;
})();

async function putTo(mf, key, body, ct = "image/png") {
  return attempt(mf, mediaUrl(key, mintPut(key, { ct })), { method: "PUT", body, headers: { "content-type": ct } });
}
// The request line and headers of a PUT of `key` with a put token.
function putHead(key, ct, extra) {
  return `PUT /m/${quotePath(key)}?t=${mintPut(key, { ct })} HTTP/1.1\r\nhost: media.test\r\ncontent-type: ${ct}\r\n${extra}`;
}
// The bytes the bucket holds under `key` (the real bucket behind the stand-in when there is one).
const holds = async (mf, key, inner) => (await storedObject(mf, key, { inner }))?.body ?? null;
// The log line (and, with metrics, the data point) of the one request for `key` answered after `from`.
async function uploadLine(from, key, { metrics = false } = {}) {
  const lines = () => loggedEvents(from).filter((e) => e.status !== undefined && e.key === key);
  const points = () => workerLog.slice(from).filter((l) => l.includes("METRIC {")).map((l) => JSON.parse(l.slice(l.indexOf("METRIC ") + 7))).filter((p) => p.indexes[0] !== "revocations_stale");
  await waitForLog(from, () => Math.min(lines().length, metrics ? points().length : 1));
  assert.equal(lines().length, 1, JSON.stringify(lines()));
  return { line: lines()[0], points: points() };
}

describe("R2 put throwing or hanging (uploads)", { timeout: 120000 }, () => {
  const OLD = bytes(500, 21);
  let mf;
  before(async () => {
    mf = await startGate({
      metrics: true,
      bindings: { ...PUT_BINDINGS, MEDIA_STORAGE_TIMEOUT_MS: "200" },
      bucketFaults: {
        "u/put/throw.png": { put: "throw" },
        "u/put/throw-after.mp4": { put: "throw_after_body" },
        "u/put/hang.png": { put: "hang" },
        "u/put/hang-after.mp4": { put: "hang_after_body" },
        "u/put/taken.png": { head: "throw" },
        "u/put/taken-hang.png": { head: "hang" },
        "u/put/lost-answer.png": { put: "store_then_hang" },
      },
    });
    const r2 = await mf.getR2Bucket("INNER", "faulty-r2");
    for (const key of ["u/put/taken.png", "u/put/taken-hang.png"]) await r2.put(key, OLD, { httpMetadata: { contentType: "image/png" } });
  });
  after(async () => {
    await mf?.dispose();
  });

  const CASES = [
    ["put rejects", "u/put/throw.png", UPLOAD_PNG, "image/png", "storage_unavailable", null],
    ["put rejects after reading the body", "u/put/throw-after.mp4", UPLOAD_MP4, "video/mp4", "storage_unavailable", null],
    // With the default deadline (10 s) these would outlast the test's timeout: the 503s come from the configured 200 ms.
    ["put never reads nor answers", "u/put/hang.png", UPLOAD_PNG, "image/png", "storage_timeout", null],
    ["put reads the body, never answers", "u/put/hang-after.mp4", UPLOAD_MP4, "video/mp4", "storage_timeout", null],
    // The key is taken (the put refuses), and the head that compares fails.
    ["key taken, the comparing head rejects", "u/put/taken.png", UPLOAD_PNG, "image/png", "storage_unavailable", "OLD"],
    ["key taken, the comparing head hangs", "u/put/taken-hang.png", UPLOAD_PNG, "image/png", "storage_timeout", "OLD"],
  ];
  for (const [label, key, body, ct, reason, old] of CASES) {
    it(`${label}: 503 storage_unavailable (reason ${reason}), logged once with one data point, nothing stored`, { timeout: 30000 }, async () => {
      const from = workerLog.length;
      const res = await putTo(mf, key, body, ct);
      assertUnavailable(res, "PUT", label);
      const { line, points } = await uploadLine(from, key, { metrics: true });
      assert.deepEqual([line.event, line.reason, line.status, line.method, line.mode], ["media.upload.rejected", reason, 503, "PUT", "put"]);
      assert.equal(line.bytes, "storage_unavailable".length);
      assert.deepEqual(points.map((p) => [p.indexes[0], p.blobs[0], p.blobs[1], p.blobs[2], p.blobs[5], p.doubles[0]]), [[reason, "media.upload.rejected", reason, "put", "PUT", 503]]);
      assert.deepEqual(await holds(mf, key, true), old ? OLD : null);
    });
  }

  // The one case where a 503 does not mean "nothing stored": R2 wrote the
  // object, and its answer never came. The client's retry of the same bytes
  // is the idempotent 200 with the stored object; other bytes are 412.
  it("R2 stores the object but its answer never comes: 503 storage_timeout; the retry is 200 upload_retry", { timeout: 30000 }, async () => {
    const key = "u/put/lost-answer.png";
    const from = workerLog.length;
    assertUnavailable(await putTo(mf, key, UPLOAD_PNG), "PUT", "lost answer");
    const { line } = await uploadLine(from, key, { metrics: true });
    assert.deepEqual([line.event, line.reason], ["media.upload.rejected", "storage_timeout"]);
    assert.deepEqual(await holds(mf, key, true), UPLOAD_PNG);
    // The retry's put is refused (the key is taken) before the stand-in's fault applies to it.
    const r2 = await mf.getR2Bucket("INNER", "faulty-r2");
    const etag = (await r2.head(key)).httpEtag;
    const retry = await putTo(mf, key, UPLOAD_PNG);
    assert.equal(retry.status, 200, retry.text);
    assert.deepEqual(JSON.parse(retry.text), { key, size: UPLOAD_PNG.length, etag, content_type: "image/png" });
    const other = await putTo(mf, key, signature("ffmpeg.png"));
    assert.equal(other.status, 412);
    assert.deepEqual(await holds(mf, key, true), UPLOAD_PNG);
  });

  it("the isolate keeps taking uploads after the faults", async () => {
    const res = await putTo(mf, "u/put/fine.png", UPLOAD_PNG);
    assert.equal(res.status, 201);
    assert.deepEqual(await holds(mf, "u/put/fine.png", true), UPLOAD_PNG);
  });
});

describe("the client going away, or sending another body than it declared (uploads)", { timeout: 120000 }, () => {
  const OLD = bytes(500, 22);
  let mf;
  before(async () => {
    mf = await startGate({ bindings: PUT_BINDINGS });
  });
  after(async () => {
    await mf?.dispose();
  });

  // Each on a key that holds nothing and on one that holds OLD.
  const keys = (name) => [[`u/gone/${name}`, null], [`u/gone/taken-${name}`, OLD]];
  async function seedOld(key, old) {
    if (old) await (await mf.getR2Bucket("MEDIA_BUCKET")).put(key, old, { httpMetadata: { contentType: "image/png" } });
  }

  it("half the body, then the connection closes: the Worker logs incomplete_upload, and nothing is stored", async () => {
    // Before the first bytes are all in (100 bytes), after them (the put is streaming), and deep into a large body.
    const cuts = [["early.png", UPLOAD_PNG, "image/png", 100], ["half.png", UPLOAD_PNG, "image/png", 715], ["large.mp4", UPLOAD_MP4, "video/mp4", 100000]];
    for (const [name, body, ct, sent] of cuts) {
      for (const [key, old] of keys(name)) {
        await seedOld(key, old);
        const from = workerLog.length;
        const answer = await rawRequest(mf, putHead(key, ct, `content-length: ${body.length}`), body.subarray(0, sent), { after: "destroy" });
        assert.equal(answer, null);
        const { line } = await uploadLine(from, key);
        assert.deepEqual([line.event, line.reason, line.status], ["media.upload.rejected", "incomplete_upload", 400], key);
        assert.deepEqual(await holds(mf, key), old, `${key}: ${sent} of ${body.length} bytes`);
      }
    }
  });

  it("content-length and transfer-encoding both sent, the chunked body longer or shorter than content-length: 400 incomplete_upload, nothing stored", async () => {
    const chunked = (b) => Buffer.concat([Buffer.from(b.length.toString(16) + "\r\n"), Buffer.from(b), Buffer.from("\r\n0\r\n\r\n")]);
    for (const [name, declared] of [["longer.png", UPLOAD_PNG.length - 100], ["shorter.png", UPLOAD_PNG.length + 100]]) {
      for (const [key, old] of keys(name)) {
        await seedOld(key, old);
        const from = workerLog.length;
        const res = await rawRequest(mf, putHead(key, "image/png", `content-length: ${declared}\r\ntransfer-encoding: chunked`), chunked(UPLOAD_PNG));
        assert.equal(res.status, 400, `${key}: ${res.text}`);
        assert.equal(res.text, "incomplete_upload");
        const { line } = await uploadLine(from, key);
        assert.deepEqual([line.event, line.reason], ["media.upload.rejected", "incomplete_upload"]);
        assert.deepEqual(await holds(mf, key), old, key);
      }
    }
  });

  it("bytes past content-length are not the body: the object is exactly the declared bytes, never more", async () => {
    // HTTP/1.1 framing: the bytes after content-length are the next request
    // on the connection (here garbage, which the runtime refuses). The
    // upload is the declared 1000 bytes: a PNG cut short, as declared.
    for (const [key, old] of keys("extra.png")) {
      await seedOld(key, old);
      const from = workerLog.length;
      const res = await rawRequest(mf, putHead(key, "image/png", "content-length: 1000\r\nconnection: close"), UPLOAD_PNG);
      const { line } = await uploadLine(from, key);
      if (old) {
        assert.equal(res.status, 412);
        assert.equal(line.reason, "already_exists");
        assert.deepEqual(await holds(mf, key), old);
      } else {
        assert.equal(res.status, 201);
        assert.equal(JSON.parse(res.text).size, 1000);
        assert.deepEqual(await holds(mf, key), UPLOAD_PNG.subarray(0, 1000));
      }
    }
  });
});
