// Request facts larger than the core's input buffer (wasm/src/protocol.h, wire::kInCap): the
// shim cuts the strings where the buffer ends and says so, and the core answers 431
// request_too_large, at mg_begin and at mg_finish. At the buffer's size and just under, the
// request is decided as any other.
//
// The runtime lets through fewer header bytes than the buffer holds; what fills it is the
// runtime reading each header byte that is not UTF-8 (0xE9 here) as U+FFFD, three bytes in the
// shim's encoding. The sizes below are computed with the shim's own encoder (core.js) from the
// strings the Worker sees; a wrong assumption about them fails the boundary rows.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BUILDS, OBJECTS, SECURITY_HEADERS, startGate, get, mint, mediaUrl, workerLog, loggedEvents } from "./helpers.js";
import { createCore, encodeInput, finishStrings, pathAndQuery, requestFacts } from "../../worker-shim/core.js";

const PNG = "u/me_1/0123456789abcdef0123456789abcdef.png";
const NOT_UTF8 = "\u00e9"; // sent as the byte 0xE9; the Worker reads U+FFFD
const SEEN = "\ufffd";

// Bytes of mg_begin's input (and mg_finish's, given what storage said) for a request to `url`
// whose If-None-Match the Worker reads as `inm` and whose x-request-id is `rid`.
function inputBytes(url, inm, rid, storage = null) {
  const [pathname, search] = pathAndQuery(url);
  const headers = { get: (name) => (name === "if-none-match" ? inm : name === "x-request-id" ? rid : null) };
  const facts = requestFacts("GET", pathname, search, headers, 0, 0, 0, 0);
  const big = 1 << 20; // no cut: the whole length
  if (!storage) return encodeInput(facts, null, null, big).length;
  const key = pathname.slice(3); // the fetch decision's key (these paths need no decoding)
  return encodeInput(facts, { plan: { op: 0, kind: 0, attempt: 1, offset: 0, length: 0, suffix: 0 }, modeCode: 2, key }, storage, big).length;
}

// An If-None-Match the Worker reads as `n` bytes of input beyond `base` (n >= 0): U+FFFD
// (3 bytes each) then ASCII to the exact length.
function inmOf(n) {
  const wide = Math.floor(n / 3);
  return { sent: NOT_UTF8.repeat(wide) + "a".repeat(n - 3 * wide), seen: SEEN.repeat(wide) + "a".repeat(n - 3 * wide) };
}

function assertTooLarge(res, what, head = false) {
  assert.equal(res.status, 431, what);
  assert.equal(res.text, head ? "" : "request_too_large", what);
  assert.equal(res.headers["content-length"], "17", what);
  assert.equal(res.headers["content-type"], "text/plain; charset=utf-8", what);
  assert.equal(res.headers["cache-control"], "private, no-store", what);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(res.headers[name], value, `${what}: ${name}`);
}

const inCap = createCore(new WebAssembly.Module(readFileSync(BUILDS.wasi))).inCap;

for (const [build, wasmPath] of Object.entries(BUILDS)) {
  describe(`request facts larger than the input buffer (${build} build)`, () => {
    let mf;
    before(async () => {
      mf = await startGate({ wasmPath });
    });
    after(async () => {
      await mf?.dispose();
    });

    it("70,000 bytes of 0xE9 in If-None-Match are 431 request_too_large, GET and HEAD", async () => {
      const url = mediaUrl(PNG, mint(PNG, { mode: "priv" }));
      for (const method of ["GET", "HEAD"]) {
        const res = await get(mf, url, { method, headers: { "if-none-match": NOT_UTF8.repeat(70000) } });
        assertTooLarge(res, method, method === "HEAD");
      }
      // Any method: the method itself was not read.
      assertTooLarge(await get(mf, url, { method: "POST", headers: { "if-none-match": NOT_UTF8.repeat(70000) } }), "POST");
    });

    it("mg_begin: just under and at the buffer's size are decided, one byte over is 431", async () => {
      const url = mediaUrl(PNG); // no token: answered at mg_begin (401)
      const base = inputBytes(url, "", "r1");
      for (const total of [inCap - 1, inCap, inCap + 1]) {
        const inm = inmOf(total - base);
        assert.equal(inputBytes(url, inm.seen, "r1"), total);
        const res = await get(mf, url, { headers: { "if-none-match": inm.sent, "x-request-id": "r1" } });
        if (total <= inCap) {
          assert.equal(res.status, 401, String(total));
          assert.equal(res.text, "restricted", String(total));
        } else {
          assertTooLarge(res, String(total));
        }
      }
    });

    it("mg_finish: facts that fit at begin but not with what storage said are 431", async () => {
      const url = mediaUrl(PNG, mint(PNG, { mode: "priv" }));
      const { etag } = (await get(mf, url, { method: "HEAD" })).headers;
      const storage = { source: "storage", etag, type: OBJECTS[PNG].type, size: 1000, uploaded: 0 };
      const base = inputBytes(url, "", "r2", storage);
      assert.equal(base - inputBytes(url, "", "r2"), finishStrings(storage, PNG).length);
      for (const total of [inCap - 1, inCap, inCap + 1]) {
        const inm = inmOf(total - base);
        assert.equal(inputBytes(url, inm.seen, "r2", storage), total);
        assert.ok(inputBytes(url, inm.seen, "r2") < inCap); // mg_begin's facts fit
        const res = await get(mf, url, { headers: { "if-none-match": inm.sent, "x-request-id": "r2" } });
        if (total <= inCap) {
          assert.equal(res.status, 200, String(total));
          assert.deepEqual(res.body, OBJECTS[PNG].body, String(total));
        } else {
          assertTooLarge(res, String(total));
        }
      }
    });

    it("the 431 is logged with its reason, without a key, a request id or the token", async () => {
      const token = mint(PNG, { mode: "priv" });
      const from = workerLog.length;
      // A method no other request of this file uses, one per build: a late line of another
      // test is not taken for this one.
      const method = build === "wasi" ? "PUT" : "DELETE";
      const res = await get(mf, mediaUrl(PNG, token), { method, headers: { "if-none-match": NOT_UTF8.repeat(70000), "x-request-id": "r3" } });
      assert.equal(res.status, 431);
      // stdio arrives asynchronously: give the line a moment to land.
      const mine = () => loggedEvents(from).filter((e) => e.reason === "request_too_large" && e.method === method);
      for (let i = 0; i < 50 && mine().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const lines = mine();
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.equal(lines[0].event, "media.worker.deny");
      assert.equal(lines[0].status, 431);
      assert.equal(lines[0].key, null);
      assert.equal(lines[0].mode, "none");
      assert.equal(lines[0].request_id, null);
      for (const line of workerLog.slice(from)) assert.ok(!line.includes(token.split(".")[1]), "no token in a log line");
    });
  });
}
