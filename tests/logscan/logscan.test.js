// docs/CONTRACT.md section 8: no log line carries token material. Run by
// scripts/test.sh after every Worker test: it reads every line those tests'
// Workers wrote (build/test-logs/worker-*.log) and every token the tests
// minted (build/test-logs/tokens-*.txt).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../build/test-logs");
const read = (prefix) =>
  readdirSync(DIR)
    .filter((f) => f.startsWith(prefix))
    .flatMap((f) => readFileSync(path.join(DIR, f), "utf8").split("\n"))
    .filter(Boolean);

describe("log scan", () => {
  it("no Worker log line of the whole suite contains a token, a token part or a t= query", () => {
    const lines = read("worker-");
    const tokens = [...new Set(read("tokens-"))];
    // A scan over nothing proves nothing.
    assert.ok(lines.length >= 100, `only ${lines.length} log lines`);
    assert.ok(tokens.length >= 40, `only ${tokens.length} distinct tokens`);
    assert.ok(lines.some((l) => l.includes('"event":"media.worker.serve"')), "served requests were logged");
    assert.ok(lines.some((l) => l.includes('"event":"media.worker.deny"')), "denials were logged");
    // Every piece of a token long enough to identify it: the whole token,
    // the base64url payload and the base64url MAC.
    const needles = new Set();
    for (const t of tokens) {
      needles.add(t);
      for (const part of t.split(".")) if (part.length >= 16) needles.add(part);
    }
    const leaks = [];
    for (const line of lines) {
      if (/[?&]t=/.test(line)) leaks.push(line);
      else for (const n of needles) if (line.includes(n)) leaks.push(line);
    }
    assert.deepEqual(leaks.slice(0, 5), [], `${leaks.length} log lines carry token material`);
  });
});
