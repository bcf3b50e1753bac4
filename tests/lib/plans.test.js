// The shim's R2 request (worker-shim/storage.js) and the JS R2 model (r2-model.mjs) against
// the vectors the one C++ definition of a storage plan emits (tests/vectors/plans.jsonl,
// docs/TESTING.md): for every plan, the same R2 options, result and byte span. The sample
// beside this file is checked too: hand-written rows that read like R2's documentation.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { OP, KIND } from "../../worker-shim/core.js";
import { storageRequest, rangeHeader } from "../../worker-shim/storage.js";
import { r2Read } from "./r2-model.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const VECTORS = path.join(HERE, "../vectors/plans.jsonl");
const SAMPLE = path.join(HERE, "plans.sample.jsonl");

const rows = (file) => readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));

// A vector's plan as core.js decodes a fetch decision's plan (op and kind are indices).
const planOf = (v) => ({ op: OP.indexOf(v.op), kind: KIND.indexOf(v.kind), offset: v.offset, length: v.length, suffix: v.suffix });

function check(file) {
  const vectors = rows(file);
  assert.ok(vectors.length > 0, `${file} has no rows`);
  for (const v of vectors) {
    const at = JSON.stringify(v);
    assert.ok(OP.includes(v.op) && KIND.includes(v.kind), `a plan the shim cannot hold: ${at}`);
    const { op, options } = storageRequest(planOf(v));
    assert.equal(op, v.op, at);
    assert.deepEqual(options, v.r2, `R2 options of ${at}`);
    const read = r2Read(op, options, v.size);
    assert.equal(read.result, v.result, `the R2 model's result for ${at}`);
    assert.deepEqual(read.span, v.first === null ? null : [v.first, v.last], `the R2 model's span for ${at}`);
  }
  return vectors.length;
}

describe("storage plans: shim's R2 options and the JS R2 model agree with the C++ definition", () => {
  // The generated file is committed by the C++ side (its ctest fails when it is stale); the
  // sample is always checked.
  it("every row of tests/vectors/plans.jsonl and of the sample", () => {
    for (const file of [VECTORS, SAMPLE]) if (existsSync(file)) check(file);
    assert.ok(existsSync(SAMPLE));
  });
  it("the edge cache lookup's Range header asks for the R2 range's bytes (RFC 9110 14.1.2)", () => {
    const table = [
      [{ op: 0, kind: 0 }, undefined],
      [{ op: 1, kind: 1, offset: 0, length: 2 }, undefined],
      [{ op: 0, kind: 1, offset: 0, length: 2 }, "bytes=0-1"],
      [{ op: 0, kind: 1, offset: 5, length: 1 }, "bytes=5-5"],
      [{ op: 0, kind: 2, offset: 7 }, "bytes=7-"],
      [{ op: 0, kind: 3, suffix: 500 }, "bytes=-500"],
    ];
    for (const [plan, want] of table) assert.equal(rangeHeader(storageRequest(plan).options.range), want, JSON.stringify(plan));
  });
});
