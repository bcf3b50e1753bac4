// The soak (scripts/soak.mjs) at CI size: 3,000 mixed requests against `wrangler dev --local` on
// 127.0.0.1, every answer the expected one (status, content-length, bytes, cache-control), and
// the Wasm core's linear memory flat once warmed up, no token in any output line. The full run
// (100,000 requests) is `node scripts/soak.mjs`; its figures are in docs/SECURITY.md.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function soak(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["scripts/soak.mjs", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => resolve({ code, out, err }));
  });
}

describe("soak against wrangler dev (CI size)", () => {
  it("3,000 mixed requests: no unexpected answer, Wasm memory flat after warm-up, no token logged", { timeout: 180000 }, async () => {
    const { code, out, err } = await soak(["--requests", "3000", "--concurrency", "8", "--max-seconds", "120", "--json"]);
    const last = out.trim().split("\n").at(-1) ?? "";
    let summary;
    try {
      summary = JSON.parse(last);
    } catch {
      assert.fail(`no summary from scripts/soak.mjs (exit ${code}):\n${out.slice(-2000)}\n${err.slice(-3000)}`);
    }
    const detail = JSON.stringify({ examples: summary.examples, memory: summary.memory, kinds: summary.kinds }, null, 1);
    assert.equal(summary.requests, 3000, detail);
    assert.equal(summary.unexpected, 0, detail);
    assert.ok(summary.log_lines >= 3000, `only ${summary.log_lines} output lines`);
    assert.equal(summary.log_lines_with_token_material, 0);
    // Every kind of request was sent (a mix that silently lost a kind would prove less).
    for (const [name, c] of Object.entries(summary.kinds)) assert.ok(c.sent > 0, `${name} was never sent`);
    assert.ok(summary.memory.samples_after_warmup >= 2, detail);
    assert.equal(summary.memory.wasm_memory_bytes_after_warmup.length, 1, detail);
    assert.ok(summary.memory.flat, detail);
    assert.equal(code, 0, err.slice(-2000));
  });
});
