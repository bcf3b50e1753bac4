// Issue 16: the edge cache is filled on a Range miss. A public Range read
// from R2 is answered as before, and the whole object is read once more in
// the background and stored; later ranges, probes, HEAD and 304 are answered
// from the cache with the bytes and headers R2's answers had. The R2 binding
// is wrapped by tests/worker/stand-ins/fill-probe.js, which records every
// operation and can hold, cut short or fail the fill's read.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_BINDINGS, OBJECTS, ORIGIN, startGate, get, mint, mediaUrl, quotePath } from "./helpers.js";

const MP4 = "u/v/clip.mp4"; // 200,000 bytes
const WEBM = "u/v/clip.webm"; // 50,000 bytes
const GIF = "u/one.gif"; // 1 byte
const PROBE = "tests/worker/stand-ins/fill-probe.js";

const start = (vars, options = {}) => startGate({ entry: PROBE, bindings: { ...DEFAULT_BINDINGS, ...vars }, ...options });

// The R2 operations since the last call.
async function ops(mf) {
  return JSON.parse((await get(mf, `${ORIGIN}/__ops?reset`)).text);
}
const fills = (list) => list.filter((o) => o.fill);

// Every background fill the Worker started has finished (held ones released first).
async function settle(mf) {
  assert.equal((await get(mf, `${ORIGIN}/__settle`)).text, "settled");
}

async function cachedEntry(mf, key) {
  const caches = await mf.getCaches();
  const hit = await caches.default.match(`${ORIGIN}/m/${quotePath(key)}`);
  if (!hit) return null;
  return { meta: hit.headers.get("x-mediagate-object"), body: new Uint8Array(await hit.arrayBuffer()) };
}

// What a client sees of an answer.
const seen = (res) => ({ status: res.status, headers: res.headers, body: Buffer.from(res.body).toString("base64") });

describe("edge cache fill on a Range miss", { timeout: 120000 }, () => {
  let mf;
  before(async () => {
    mf = await start({ TEST_FILL: "hold" });
  });
  after(async () => {
    await mf?.dispose();
  });

  it("fills once, then answers ranges, probes, HEAD and 304 from the cache with R2's bytes and headers", async () => {
    const url = mediaUrl(MP4, mint(MP4));
    const body = OBJECTS[MP4].body;
    await ops(mf);
    const first = await get(mf, url, { headers: { range: "bytes=0-1" } });
    assert.equal(first.status, 206);
    assert.deepEqual(first.body, body.slice(0, 2));
    // One R2 read answered the request; the fill's whole read is under way (held here).
    let list = await ops(mf);
    assert.deepEqual(list.map((o) => [o.op, o.ranged, o.fill]), [["get", true, false], ["get", false, true]]);
    const etag = first.headers.etag;
    const requests = [
      { headers: { range: "bytes=0-1" } },
      { headers: { range: "bytes=65536-131071" } }, // a 64 KiB chunk in the middle
      { headers: { range: "bytes=-100" } },
      { headers: { range: "bytes=199990-" } },
      { method: "HEAD" },
      { method: "HEAD", headers: { range: "bytes=0-1" } },
      { headers: { "if-none-match": etag } },
      { headers: { "if-none-match": etag, range: "bytes=0-1" } },
      { headers: { range: "bytes=300000-" } }, // 416
    ];
    // From R2, while the fill is held: each one read, none starts a second fill.
    const fromR2 = [];
    for (const r of requests) fromR2.push(seen(await get(mf, url, r)));
    list = await ops(mf);
    assert.equal(fills(list).length, 0);
    assert.ok(list.length >= requests.length);
    assert.equal(fromR2[1].status, 206);
    assert.deepEqual(Buffer.from(fromR2[1].body, "base64"), Buffer.from(body.slice(65536, 131072)));
    assert.equal(fromR2[6].status, 304);
    assert.equal(fromR2[8].status, 416);

    await settle(mf);
    const entry = await cachedEntry(mf, MP4);
    assert.ok(entry, "the fill stored the object");
    assert.deepEqual(entry.body, body);
    assert.match(entry.meta, /^v1 200000 \d+ "[0-9a-f]+" application\/octet-stream$/);

    // From the cache: the same answers, byte for byte, and no R2 operation.
    for (let i = 0; i < requests.length; i++) {
      assert.deepEqual(seen(await get(mf, url, requests[i])), fromR2[i], JSON.stringify(requests[i]));
    }
    const whole = await get(mf, url);
    assert.equal(whole.status, 200);
    assert.deepEqual(whole.body, body);
    assert.deepEqual(await ops(mf), []);
  });

  it("two concurrent Range misses on one object fill it once", async () => {
    const url = mediaUrl(WEBM, mint(WEBM));
    const body = OBJECTS[WEBM].body;
    await ops(mf);
    const [a, b] = await Promise.all([
      get(mf, url, { headers: { range: "bytes=0-1" } }),
      get(mf, url, { headers: { range: "bytes=1000-1999" } }),
    ]);
    assert.equal(a.status, 206);
    assert.deepEqual(a.body, body.slice(0, 2));
    assert.equal(b.status, 206);
    assert.deepEqual(b.body, body.slice(1000, 2000));
    const list = await ops(mf);
    assert.equal(list.filter((o) => o.ranged).length, 2);
    assert.equal(fills(list).length, 1);
    await settle(mf);
    assert.deepEqual((await cachedEntry(mf, WEBM))?.body, body);
    const again = await get(mf, url, { headers: { range: "bytes=49990-" } });
    assert.equal(again.status, 206);
    assert.deepEqual(again.body, body.slice(49990));
    assert.deepEqual(await ops(mf), []);
  });
});

describe("edge cache fill: what is never filled", { timeout: 120000 }, () => {
  let mf;
  before(async () => {
    mf = await start({ MEDIA_EDGE_CACHE_FILL_MAX_BYTES: "100000" });
  });
  after(async () => {
    await mf?.dispose();
  });

  it("no fill of private media, errors, HEAD, or objects over MEDIA_EDGE_CACHE_FILL_MAX_BYTES", async () => {
    await ops(mf);
    const cases = [
      { label: "private Range", url: mediaUrl(WEBM, mint(WEBM, { mode: "priv" })), range: "bytes=0-1", status: 206 },
      { label: "public Range over the bound (200,000 > 100,000 bytes)", url: mediaUrl(MP4, mint(MP4)), range: "bytes=0-1", status: 206 },
      { label: "public Range past the end: 416", url: mediaUrl(GIF, mint(GIF)), range: "bytes=5-", status: 416 },
      { label: "public Range on a missing object: 404", url: mediaUrl("u/none.mp4", mint("u/none.mp4")), range: "bytes=0-1", status: 404 },
      { label: "public HEAD with a Range", url: mediaUrl(WEBM, mint(WEBM)), range: "bytes=0-1", status: 206, method: "HEAD" },
      { label: "wrong MAC: 401", url: mediaUrl(WEBM, mint(WEBM, { secret: "another secret" })), range: "bytes=0-1", status: 401 },
    ];
    for (const c of cases) {
      const res = await get(mf, c.url, { method: c.method ?? "GET", headers: { range: c.range } });
      assert.equal(res.status, c.status, c.label);
      assert.deepEqual(fills(await ops(mf)), [], c.label);
    }
    await settle(mf);
    for (const key of [WEBM, MP4, GIF]) assert.equal(await cachedEntry(mf, key), null, key);

    // Within the bound, the same public Range fills (the control).
    const res = await get(mf, mediaUrl(WEBM, mint(WEBM)), { headers: { range: "bytes=0-1" } });
    assert.equal(res.status, 206);
    assert.equal(fills(await ops(mf)).length, 1);
    await settle(mf);
    assert.deepEqual((await cachedEntry(mf, WEBM))?.body, OBJECTS[WEBM].body);
  });
});

for (const fault of ["short", "throw"]) {
  describe(`edge cache fill: the fill's read ${fault === "short" ? "returns a byte short" : "fails"}`, { timeout: 120000 }, () => {
    let mf;
    before(async () => {
      // A short read comes from R2's side of the binding (stand-ins/faulty-r2.js), as in production.
      mf = fault === "short" ? await start({}, { bucketFaults: { [MP4]: { get: "short_fill" } } }) : await start({ TEST_FILL: fault });
    });
    after(async () => {
      await mf?.dispose();
    });

    it("stores nothing; the next Range is read from R2 again, with the right bytes", async () => {
      const url = mediaUrl(MP4, mint(MP4));
      const body = OBJECTS[MP4].body;
      await ops(mf);
      for (let round = 0; round < 2; round++) {
        const res = await get(mf, url, { headers: { range: "bytes=100-199" } });
        assert.equal(res.status, 206);
        assert.deepEqual(res.body, body.slice(100, 200));
        const list = await ops(mf);
        assert.equal(list.filter((o) => o.ranged).length, 1, `round ${round}: answered from R2`);
        assert.equal(fills(list).length, 1, `round ${round}: a fill was tried`);
        await settle(mf);
        assert.equal(await cachedEntry(mf, MP4), null, `round ${round}: nothing stored`);
      }
    });
  });
}
