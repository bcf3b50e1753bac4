// R2 operations per request kind, counted by wrapping the Worker's R2
// binding under Miniflare (bench/r2count/): mediagate must match
// docs/ARCHITECTURE.md's "Storage reads" table and docs/CONTRACT.md section 6
// ("exactly one R2 operation" per successful response), and read nothing for
// a denial or an edge-cache hit. The same counts are a table in
// docs/PERFORMANCE.md (scripts/bench).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCounted, r2Kinds } from "../../bench/lib/r2ops.mjs";

describe("R2 operations per request (docs/ARCHITECTURE.md, Storage reads)", () => {
  let gate;
  before(async () => {
    gate = await startCounted("mediagate");
  });
  after(async () => {
    await gate?.mf.dispose();
  });

  for (const k of r2Kinds()) {
    it(`${k.kind}: ${k.want} operation${k.want === 1 ? "" : "s"}`, async () => {
      const got = await gate.ops(k);
      assert.equal(got.status, k.status);
      assert.equal(got.ops, k.want);
    });
  }
});

describe("the old Worker baseline reads R2 once per served view, never for a denial", () => {
  let base;
  before(async () => {
    base = await startCounted("baseline");
  });
  after(async () => {
    await base?.mf.dispose();
  });

  for (const k of r2Kinds().filter((k) => ["public 200", "private 200", "Range 206", "wrong MAC 401", "cached hit (public 200, repeated)"].includes(k.kind))) {
    it(k.kind, async () => {
      const got = await base.ops(k);
      assert.equal(got.status, k.status);
      assert.equal(got.ops, k.status === 401 ? 0 : 1);
    });
  }
});
