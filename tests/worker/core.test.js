// worker-shim/core.js on its own: the request facts it gathers are the ones
// URL would give, and what it encodes the core reads back.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { pathAndQuery, createCore, requestFacts, encodeInput, REVOCATION } from "../../worker-shim/core.js";
import { BUILDS, SECRET, mint, mediaUrl } from "./helpers.js";

describe("core.js", () => {
  it("pathAndQuery slices request.url exactly as URL's pathname and search", () => {
    const urls = [
      "http://127.0.0.1:8787/m/u/a.png?t=abc",
      "https://app.example.com/m/u/caf%C3%A9%20%F0%9F%98%80.jpg?t=x.y",
      "https://app.example.com/m/u/a.png",
      "https://app.example.com/m/u/a.png?",
      "https://app.example.com/m/u/a.png?t=1#frag",
      "https://app.example.com/m/u/a.png#frag?t=1",
      "https://app.example.com/m/u/a.png?t=1?x=2&y",
      "https://user:pw@app.example.com:8443/m//u/%2e%2E/a?t=%41",
      "http://[::1]:8787/m/u/a%00b.png?t=%00",
      "https://app.example.com/",
      "https://app.example.com/?",
    ];
    for (const raw of urls) {
      const u = new URL(raw);
      // What the runtime hands a Worker: the serialized URL.
      assert.deepEqual(pathAndQuery(u.href), [u.pathname, u.search], raw);
      if (!u.username) assert.deepEqual(pathAndQuery(new Request(raw).url), [u.pathname, u.search], raw);
    }
  });

  it("the core reads back every request fact the shim encodes", () => {
    const core = createCore(new WebAssembly.Module(readFileSync(BUILDS.wasi)));
    core.setSecret(0, SECRET);
    core.setSecret(1, null);
    assert.equal(core.configure("MEDIA_BUCKET\t1\nMEDIA_KEY_PREFIXES\tu/\n").problem, "");
    const key = "u/me_1/café.png";
    const url = new URL(mediaUrl(key, mint(key)));
    const headers = new Headers({ range: "bytes=0-1", "x-request-id": "req-1" });
    const facts = requestFacts("GET", url.pathname, url.search, headers, Math.floor(Date.now() / 1000), 0, REVOCATION.disabled, 0);
    const d = core.begin(facts);
    assert.equal(d.fetch, true);
    assert.equal(d.key, key);
    assert.deepEqual([d.plan.op, d.plan.kind, d.plan.offset, d.plan.length], [0, 1, 0, 2]);
    // Facts larger than the input buffer are cut short, and the input says so: 431.
    const bytes = encodeInput(facts);
    assert.ok(bytes.length > 96);
    assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint32(92, true), 0);
    const cut = requestFacts("GET".repeat(60000), url.pathname, url.search, headers, 0, 0, REVOCATION.disabled, 0);
    const cutBytes = encodeInput(cut);
    assert.equal(cutBytes.length, core.inCap);
    assert.equal(new DataView(cutBytes.buffer, cutBytes.byteOffset).getUint32(92, true), 1);
    const refused = core.begin(cut);
    assert.equal(refused.fetch, false);
    assert.equal(refused.status, 431);
    assert.equal(refused.reason, "request_too_large");
    assert.equal(refused.key, "");
  });
});
