// The Worker under Miniflare, with each Wasm build of the core: every status
// of docs/CONTRACT.md section 4, the headers of section 5, Range and conditionals
// of section 6, and bad input that must never reach a 500.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { BUILDS, OBJECTS, SECRET, DEFAULT_BINDINGS, SECURITY_HEADERS, startGate, get, mint, mintRaw, mediaUrl, ORIGIN } from "./helpers.js";

const PNG = "u/me_1/0123456789abcdef0123456789abcdef.png";
const JPG = "u/me_1/café 😀.jpg";
const WEBP = "u/me_1/a b%2F~+.webp";
const MP4 = "u/v/clip.mp4";
const IMMUTABLE = "public, max-age=31536000, immutable";
const NO_STORE = "private, no-store";

function assertSecurityHeaders(res) {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(res.headers[name], value, name);
  assert.equal(res.headers["set-cookie"], undefined);
  assert.ok(!/cookie|authorization/i.test(res.headers.vary ?? ""));
}

function assertError(res, status, body, cacheControl = NO_STORE) {
  assert.equal(res.status, status);
  assert.equal(res.text, body);
  assert.equal(res.headers["content-type"], "text/plain; charset=utf-8");
  assert.equal(res.headers["cache-control"], cacheControl);
  assertSecurityHeaders(res);
}

const slice = (key, a, b) => OBJECTS[key].body.slice(a, b + 1);

for (const [build, wasmPath] of Object.entries(BUILDS)) {
  describe(`gate (${build} build)`, () => {
    let mf;
    before(async () => {
      mf = await startGate({ wasmPath });
    });
    after(async () => {
      await mf?.dispose();
    });

    it("serves a public image whole, with the immutable public headers", async () => {
      const res = await get(mf, mediaUrl(PNG, mint(PNG)));
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, OBJECTS[PNG].body);
      assert.equal(res.headers["cache-control"], IMMUTABLE);
      assert.equal(res.headers["content-type"], "image/png");
      assert.equal(res.headers["content-length"], "1000");
      assert.equal(res.headers["accept-ranges"], "bytes");
      assert.match(res.headers.etag, /^"[0-9a-f]+"$/);
      assert.match(res.headers["last-modified"], /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/);
      assert.equal(res.headers["content-disposition"], undefined);
      assertSecurityHeaders(res);
    });

    it("keeps content-length on media for a browser that accepts gzip (the service worker needs it)", async () => {
      for (const key of [PNG, MP4]) {
        const res = await get(mf, mediaUrl(key, mint(key)), { headers: { "accept-encoding": "gzip, deflate, br" } });
        assert.equal(res.status, 200);
        assert.equal(res.headers["content-length"], String(OBJECTS[key].body.length), key);
        assert.deepEqual(res.body, OBJECTS[key].body);
      }
    });

    it("serves a private image as private, no-store", async () => {
      const res = await get(mf, mediaUrl(PNG, mint(PNG, { mode: "priv" })));
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, OBJECTS[PNG].body);
      assert.equal(res.headers["cache-control"], NO_STORE);
      assertSecurityHeaders(res);
    });

    it("serves the contract's test-vector keys (non-ASCII, space, %, +, ~)", async () => {
      for (const key of [JPG, WEBP]) {
        const res = await get(mf, mediaUrl(key, mint(key, { mode: key === JPG ? "priv" : "pub" })));
        assert.equal(res.status, 200, key);
        assert.deepEqual(res.body, OBJECTS[key].body, key);
      }
      // The contract's literal paths and a key minted with a leading '/'.
      const res = await get(mf, `${ORIGIN}/m/u/me_1/a%20b%252F~%2B.webp?t=${mint("/" + WEBP)}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers["content-type"], "image/webp"); // inferred: no stored type
    });

    it("serves a public key of the longest length, every byte percent-encoded (twice: R2, then the edge cache)", async () => {
      // 1024 bytes decoded, 3072 in the URL: the decision carries the key and its quoted cache path.
      const key = "u/" + "é".repeat(511);
      const body = OBJECTS[PNG].body.slice(0, 100);
      const r2 = await mf.getR2Bucket("MEDIA_BUCKET");
      await r2.put(key, body, { httpMetadata: { contentType: "image/png" } });
      for (let i = 0; i < 2; i++) {
        const res = await get(mf, mediaUrl(key, mint(key)));
        assert.equal(res.status, 200, `request ${i + 1}: ${res.text}`);
        assert.deepEqual(res.body, body);
        assert.equal(res.headers["cache-control"], IMMUTABLE);
      }
      const ranged = await get(mf, mediaUrl(key, mint(key)), { headers: { range: "bytes=10-19" } });
      assert.equal(ranged.status, 206);
      assert.deepEqual(ranged.body, body.slice(10, 20));
    });

    it("Safari's bytes=0-1 probe gets exactly 2 bytes", async () => {
      const res = await get(mf, mediaUrl(MP4, mint(MP4)), { headers: { range: "bytes=0-1" } });
      assert.equal(res.status, 206);
      assert.equal(res.headers["content-range"], "bytes 0-1/200000");
      assert.equal(res.headers["content-length"], "2");
      assert.deepEqual(res.body, slice(MP4, 0, 1));
      assert.equal(res.headers["content-type"], "video/mp4"); // generic stored type, inferred
      assert.equal(res.headers["cache-control"], IMMUTABLE);
    });

    it("open, suffix and clamped ranges return exactly their span", async () => {
      const url = mediaUrl(MP4, mint(MP4, { mode: "priv" }));
      const cases = [
        ["bytes=0-", 0, 199999],
        ["bytes=150000-", 150000, 199999],
        ["bytes=-500", 199500, 199999],
        ["bytes=199990-300000", 199990, 199999],
        ["bytes=-999999", 0, 199999],
        ["bytes=0-5,6-9", 0, 9],
        ["bytes=0-5,3-7", 0, 7],
        ["BYTES=10-19", 10, 19],
        // Numbers past 2^53 (beyond any object; the plan cannot carry them exactly).
        ["bytes=0-18446744073709551614", 0, 199999],
        ["bytes=150000-9007199254740993", 150000, 199999],
        ["bytes=-18014398509481984", 0, 199999],
      ];
      for (const [range, a, b] of cases) {
        const res = await get(mf, url, { headers: { range } });
        assert.equal(res.status, 206, range);
        assert.equal(res.headers["content-range"], `bytes ${a}-${b}/200000`, range);
        assert.equal(res.headers["content-length"], String(b - a + 1), range);
        assert.deepEqual(res.body, slice(MP4, a, b), range);
        assert.equal(res.headers["cache-control"], NO_STORE);
      }
    });

    it("a range past the end is 416 with bytes */size", async () => {
      for (const range of ["bytes=200000-", "bytes=300000-300010", "bytes=-0", "bytes=18014398509481984-", "bytes=9007199254740993-9007199254740999"]) {
        const res = await get(mf, mediaUrl(MP4, mint(MP4)), { headers: { range } });
        assertError(res, 416, "range_not_satisfiable");
        assert.equal(res.headers["content-range"], "bytes */200000", range);
      }
    });

    it("malformed, unknown-unit and apart ranges are a full 200", async () => {
      const url = mediaUrl(PNG, mint(PNG));
      for (const range of ["bytes=5-1", "items=0-1", "bytes=0-1,500-600", "bytes=abc", "bytes=0-1,,x", "bytes=- 1", "bytes =0-1", "bytes=99999999999999999999999-5"]) {
        const res = await get(mf, url, { headers: { range } });
        assert.equal(res.status, 200, range);
        assert.deepEqual(res.body, OBJECTS[PNG].body, range);
      }
      const many = "bytes=" + Array.from({ length: 3000 }, (_, i) => `${i * 3}-${i * 3}`).join(",");
      const res = await get(mf, url, { headers: { range: many } });
      assert.equal(res.status, 200);
      assert.equal(res.body.length, 1000);
    });

    it("an empty object answers any Range with an empty 200", async () => {
      const key = "u/empty.png";
      for (const range of [undefined, "bytes=0-1", "bytes=-5", "bytes=5-"]) {
        const res = await get(mf, mediaUrl(key, mint(key)), { headers: range ? { range } : {} });
        assert.equal(res.status, 200, String(range));
        assert.equal(res.body.length, 0);
        assert.equal(res.headers["content-length"], "0");
      }
    });

    it("HEAD answers what GET would, without a body", async () => {
      const url = mediaUrl(MP4, mint(MP4));
      const head = await get(mf, url, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      assert.equal(head.headers["content-length"], "200000");
      assert.equal(head.headers["cache-control"], IMMUTABLE);
      const headRange = await get(mf, url, { method: "HEAD", headers: { range: "bytes=0-1" } });
      assert.equal(headRange.status, 206);
      assert.equal(headRange.headers["content-range"], "bytes 0-1/200000");
      assert.equal(headRange.headers["content-length"], "2");
      const headDenied = await get(mf, mediaUrl(MP4, "x.y"), { method: "HEAD" });
      assert.equal(headDenied.status, 401);
      assert.equal(headDenied.body.length, 0);
    });

    it("conditional requests: 304 and 412 (RFC 9110 13.2.2)", async () => {
      const url = mediaUrl(PNG, mint(PNG));
      const first = await get(mf, url);
      const etag = first.headers.etag;
      const lastModified = first.headers["last-modified"];
      const notModified = await get(mf, url, { headers: { "if-none-match": etag } });
      assert.equal(notModified.status, 304);
      assert.equal(notModified.body.length, 0);
      assert.equal(notModified.headers.etag, etag);
      assert.equal(notModified.headers["cache-control"], IMMUTABLE);
      assertSecurityHeaders(notModified);
      assert.equal((await get(mf, url, { headers: { "if-none-match": `W/${etag}` } })).status, 304);
      assert.equal((await get(mf, url, { headers: { "if-modified-since": lastModified } })).status, 304);
      assert.equal((await get(mf, url, { headers: { "if-modified-since": "Fri, 01 Jan 2100 00:00:00 GMT" } })).status, 304);
      assert.equal((await get(mf, url, { headers: { "if-none-match": '"other"' } })).status, 200);
      assertError(await get(mf, url, { headers: { "if-match": '"other"' } }), 412, "precondition_failed");
      assertError(await get(mf, url, { headers: { "if-unmodified-since": "Thu, 01 Jan 1970 00:00:00 GMT" } }), 412, "precondition_failed");
      const ok = await get(mf, url, { headers: { "if-match": etag, range: "bytes=0-1" } });
      assert.equal(ok.status, 206);
    });

    it("If-Range: a matching validator applies the range, a stale one gets the whole object", async () => {
      const url = mediaUrl(PNG, mint(PNG));
      const { headers } = await get(mf, url, { method: "HEAD" });
      const hit = await get(mf, url, { headers: { range: "bytes=10-19", "if-range": headers.etag } });
      assert.equal(hit.status, 206);
      assert.deepEqual(hit.body, slice(PNG, 10, 19));
      const byDate = await get(mf, url, { headers: { range: "bytes=10-19", "if-range": headers["last-modified"] } });
      assert.equal(byDate.status, 206);
      const stale = await get(mf, url, { headers: { range: "bytes=10-19", "if-range": '"stale"' } });
      assert.equal(stale.status, 200);
      assert.deepEqual(stale.body, OBJECTS[PNG].body);
      const weak = await get(mf, url, { headers: { range: "bytes=10-19", "if-range": `W/${headers.etag}` } });
      assert.equal(weak.status, 200);
    });

    it("content type is clamped: HTML and SVG are attachments, never rendered", async () => {
      for (const key of ["u/page.html", "u/icon.svg"]) {
        const res = await get(mf, mediaUrl(key, mint(key)));
        assert.equal(res.status, 200);
        assert.equal(res.headers["content-type"], "application/octet-stream", key);
        assert.equal(res.headers["content-disposition"], "attachment", key);
      }
      const webm = await get(mf, mediaUrl("u/v/clip.webm", mint("u/v/clip.webm")), { method: "HEAD" });
      assert.equal(webm.headers["content-type"], "video/webm");
    });

    it("405 for other methods, with allow", async () => {
      for (const method of ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"]) {
        const res = await get(mf, mediaUrl(PNG, mint(PNG)), { method });
        assertError(res, 405, "method_not_allowed");
        assert.equal(res.headers.allow, "GET, HEAD");
      }
    });

    it("401 restricted, forbidden and expired", async () => {
      assertError(await get(mf, mediaUrl(PNG)), 401, "restricted");
      assertError(await get(mf, mediaUrl(PNG, "")), 401, "restricted");
      const now = Math.floor(Date.now() / 1000);
      const forbidden = [
        "garbage",
        mint(PNG) + "x",
        mint(PNG, { secret: "not-the-secret" }),
        mint("u/other.png"),
        mint(PNG, { mode: "priv", exp: now + 3600 + 600 }),
        mintRaw(`{"k":"${PNG}","m":"pub","k":"${PNG}"}`),
        mintRaw(`{"k":"${PNG}","m":"priv"}`),
        mintRaw(`{"e":"${now + 60}","k":"${PNG}","m":"priv"}`),
        mintRaw(`{"k":"${PNG}","m":"PUB"}`),
        mintRaw(`["${PNG}"]`),
        "A".repeat(10000) + "." + "B".repeat(43),
        mint(PNG).replace(".", ".."),
        mint(PNG) + "=",
      ];
      for (const token of forbidden) {
        const res = await get(mf, mediaUrl(PNG, token));
        assertError(res, 401, "forbidden");
      }
      const expired = await get(mf, mediaUrl(PNG, mint(PNG, { mode: "priv", exp: now - 120 })));
      assertError(expired, 401, "expired");
      // Within the clock-skew leeway the token still works.
      const skewed = await get(mf, mediaUrl(PNG, mint(PNG, { mode: "priv", exp: now - 20 })));
      assert.equal(skewed.status, 200);
    });

    it("404 for keys outside the prefixes (no-store) and for missing objects", async () => {
      assertError(await get(mf, mediaUrl("x/outside.png", mint("x/outside.png"))), 404, "not_found");
      assertError(await get(mf, mediaUrl("u/missing.png", mint("u/missing.png"))), 404, "not_found", "public, max-age=60");
      assertError(await get(mf, mediaUrl("u/missing.png", mint("u/missing.png", { mode: "priv" }))), 404, "not_found");
    });

    it("bad keys are 400 bad_request, never a 500", async () => {
      const t = mint(PNG);
      const paths = ["/m/u/%zz.png", "/m/u/%C3.png", "/m/u/%FF%FE", "/m/u/a%00b.png", "/m/u/a%0Ab.png", "/m/u/a%5Cb.png", "/m/", "/m/" + "a".repeat(10240), "/m/u/%ED%A0%80.png"];
      for (const p of paths) {
        const res = await get(mf, `${ORIGIN}${p}?t=${t}`);
        assertError(res, 400, "bad_request");
      }
    });

    it("garbage of every kind never answers 500 and always carries the security headers", async () => {
      const t = mint(PNG);
      const probes = [
        [`/m/u/${"%F0%9F%98%80".repeat(200)}.png?t=${t}`, {}],
        [`/m/${PNG}?t=${"x".repeat(20000)}`, {}],
        [`/m/${PNG}?t=${t}&t=other`, {}],
        [`/m/${PNG}?t=%ZZ`, {}],
        [`/m/${PNG}?t=${t}`, { "if-none-match": "garbage,,,\"" }],
        [`/m/${PNG}?t=${t}`, { "if-modified-since": "Feb 31 2024" }],
        [`/m/${PNG}?t=${t}`, { "if-range": "x", range: "bytes=0-1" }],
        [`/m/${PNG}?t=${t}`, { range: "bytes=" + "9".repeat(5000) + "-" }],
        [`/m/${PNG}?t=${t}`, { range: "bytes=0-1\t,2-3" }],
        [`/m/%2e%2e/u/a.png?t=${t}`, {}],
      ];
      for (const [p, headers] of probes) {
        const res = await get(mf, `${ORIGIN}${p}`, { headers });
        assert.ok(res.status < 500, `${p.slice(0, 60)} -> ${res.status}`);
        assertSecurityHeaders(res);
      }
    });
  });
}

describe("configuration (wasi build)", () => {
  it("a missing secret is 503 worker_not_configured, after the method check", async () => {
    const { MEDIA_TOKEN_SECRET, ...rest } = DEFAULT_BINDINGS;
    const mf = await startGate({ bindings: rest });
    try {
      assertError(await get(mf, mediaUrl(PNG, mint(PNG))), 503, "worker_not_configured");
      assert.equal((await get(mf, mediaUrl(PNG, mint(PNG)), { method: "POST" })).status, 405);
    } finally {
      await mf.dispose();
    }
  });

  it("a missing MEDIA_BUCKET binding is 503 worker_not_configured", async () => {
    const mf = await startGate({ bucket: false });
    try {
      assertError(await get(mf, mediaUrl(PNG, mint(PNG))), 503, "worker_not_configured");
    } finally {
      await mf.dispose();
    }
  });

  it("an invalid [vars] value is 503 worker_not_configured", async () => {
    const mf = await startGate({ bindings: { ...DEFAULT_BINDINGS, MEDIA_CLOCK_SKEW_SECONDS: "a minute" } });
    try {
      assertError(await get(mf, mediaUrl(PNG, mint(PNG))), 503, "worker_not_configured");
    } finally {
      await mf.dispose();
    }
  });

  it("a secret pasted with a trailing newline, and the previous secret during rotation, both verify", async () => {
    const mf = await startGate({ bindings: { ...DEFAULT_BINDINGS, MEDIA_TOKEN_SECRET: "new-secret\n", MEDIA_TOKEN_SECRET_PREVIOUS: ` ${SECRET} ` } });
    try {
      assert.equal((await get(mf, mediaUrl(PNG, mint(PNG, { secret: "new-secret" })))).status, 200);
      assert.equal((await get(mf, mediaUrl(PNG, mint(PNG)))).status, 200);
      assert.equal((await get(mf, mediaUrl(PNG, mint(PNG, { secret: "third" })))).status, 401);
    } finally {
      await mf.dispose();
    }
  });

  it("same-site CORP and extra prefixes from [vars]", async () => {
    const mf = await startGate({ bindings: { ...DEFAULT_BINDINGS, MEDIA_CORP: "same-site", MEDIA_KEY_PREFIXES: "u/, x/" } });
    try {
      const res = await get(mf, mediaUrl("x/outside.png", mint("x/outside.png")));
      assert.equal(res.status, 200);
      assert.equal(res.headers["cross-origin-resource-policy"], "same-site");
    } finally {
      await mf.dispose();
    }
  });

  it("an R2 failure is 503 storage_unavailable", async () => {
    const mf = await startGate({ failingBucket: true });
    try {
      for (const method of ["GET", "HEAD"]) {
        const res = await get(mf, mediaUrl(PNG, mint(PNG)), { method });
        assert.equal(res.status, 503);
        assert.equal(res.headers["cache-control"], NO_STORE);
        if (method === "GET") assert.equal(res.text, "storage_unavailable");
        assertSecurityHeaders(res);
      }
    } finally {
      await mf.dispose();
    }
  });
});
