// worker-shim/response.js on its own: the Response init it builds from a
// decision's headers carries the same headers, in the core's order, as
// appending each pair did, and names the core repeats are kept.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createCore, requestFacts, REVOCATION } from "../../worker-shim/core.js";
import { headerInit } from "../../worker-shim/response.js";
import { BUILDS, SECRET, mint, mediaUrl } from "./helpers.js";

function appendedHeaders(list) {
  const h = new Headers();
  for (const [name, value] of list) h.append(name, value);
  return [...h];
}

describe("response.js headerInit", () => {
  it("gives the core's headers of real decisions as one object, in order, equal to appending them", () => {
    const core = createCore(new WebAssembly.Module(readFileSync(BUILDS.wasi)));
    core.setSecret(0, SECRET);
    core.setSecret(1, null);
    assert.equal(core.configure("MEDIA_BUCKET\t1\nMEDIA_KEY_PREFIXES\tu/\nMEDIA_DEBUG_HEADERS\ton\n").problem, "");
    const key = "u/me_1/a.png";
    const now = Math.floor(Date.now() / 1000);
    const path = new URL(mediaUrl(key, mint(key))).pathname;
    // Answers the core gives without storage: a 401, a 405 (with its allow header), a key refused.
    const cases = [
      ["missing token", "GET", path, ""],
      ["method not allowed", "POST", path, ""],
      ["key outside the prefixes", "GET", "/m/x/a.png", "?t=abc"],
    ];
    for (const [what, method, pathname, search] of cases) {
      const d = core.begin(requestFacts(method, pathname, search, new Headers(), now, 0, REVOCATION.disabled, 0));
      assert.equal(d.fetch, false, what);
      assert.ok(d.headers.length >= 7, `${what}: the core's headers`);
      const init = headerInit(d.headers);
      assert.ok(!(init instanceof Headers), `${what}: an object, not the fallback`);
      assert.deepEqual(Object.entries(init), d.headers.map(([n, v]) => [n, v]), `${what}: the core's pairs, in its order`);
      assert.deepEqual([...new Response(null, { status: d.status, headers: init }).headers], appendedHeaders(d.headers), what);
    }
  });

  it("appends a list that repeats a name, so no value is lost", () => {
    const list = [["vary", "range"], ["content-type", "text/plain"], ["vary", "accept"]];
    const init = headerInit(list);
    assert.ok(init instanceof Headers);
    assert.equal(init.get("vary"), "range, accept");
    assert.deepEqual([...new Response(null, { headers: init }).headers], appendedHeaders(list));
  });

  it("keeps names that are Object.prototype's own keys as headers", () => {
    const list = [["constructor", "a"], ["tostring", "c"], ["hasownproperty", "d"]];
    const init = headerInit(list);
    assert.deepEqual(Object.entries(init), list);
    assert.deepEqual([...new Response(null, { headers: init }).headers], appendedHeaders(list));
    const proto = [["__proto__", "b"], ["x", "1"]];
    assert.deepEqual([...new Response(null, { headers: headerInit(proto) }).headers], appendedHeaders(proto));
  });
});
