// docs/CONTRACT.md section 8: no log line carries token material. Run by
// scripts/test.sh after every Worker test: it reads every line those tests'
// Workers wrote (build/test-logs/worker-*.log) and every token the tests
// minted (build/test-logs/tokens-*.txt). Before the scan, it sends a Worker
// of its own the inputs a misbehaving client could use to put a token into a
// line: a minted token (read or put) as x-request-id, and inside the key (`%3Ft%3D`).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { DEFAULT_BINDINGS, ORIGIN, get, loggedEvents, mint, quotePath, startGate, waitForLog, workerLog } from "../worker/helpers.js";
import { mintPut } from "../worker/helpers.js";

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../build/test-logs");
const read = (prefix) =>
  readdirSync(DIR)
    .filter((f) => f.startsWith(prefix))
    .flatMap((f) => readFileSync(path.join(DIR, f), "utf8").split("\n"))
    .filter(Boolean);

// The token material of `token`: the whole token and its parts of 16 or more characters.
const material = (token) => [token, ...token.split(".").filter((p) => p.length >= 16)];

describe("a token where a client should not put it", () => {
  // A short key: its tokens, private ones too, are 128 characters or fewer,
  // the length a plain request id may have.
  const KEY = "u/one.gif";
  let mf;
  before(async () => {
    // Every answer logged, successes too; uploads on.
    mf = await startGate({ bindings: { ...DEFAULT_BINDINGS, MEDIA_LOG_SAMPLE_RATE: "1", MEDIA_UPLOADS: "on" } });
  });
  after(async () => {
    await mf?.dispose();
  });

  // Each request once, its one log line back.
  async function logged(url, headers, opts = {}) {
    const from = workerLog.length;
    const res = await get(mf, url, { headers, ...opts });
    await waitForLog(from, () => loggedEvents(from).filter((e) => e.status !== undefined).length);
    const lines = loggedEvents(from).filter((e) => e.status !== undefined);
    assert.equal(lines.length, 1, JSON.stringify(lines));
    return { res, line: lines[0], text: workerLog.slice(from).join("\n") };
  }

  it("a minted token as x-request-id is dropped from the line; the request is answered as without it", async () => {
    for (const mode of ["pub", "priv"]) {
      const token = mint(KEY, { mode });
      assert.ok(token.length <= 128, "within the length a plain id may have");
      for (const id of [token, `req:${token}`, token.split(".")[1]]) {
        const { res, line, text } = await logged(`${ORIGIN}/m/${quotePath(KEY)}?t=${token}`, { "x-request-id": id });
        assert.equal(res.status, 200);
        assert.equal(line.request_id, null, id);
        for (const m of material(token)) assert.ok(!text.includes(m), `${id}: the line holds ${m}`);
      }
    }
    // A plain id still is logged.
    const { line } = await logged(`${ORIGIN}/m/${quotePath(KEY)}`, { "x-request-id": "550e8400-e29b-41d4-a716-446655440000" });
    assert.equal(line.request_id, "550e8400-e29b-41d4-a716-446655440000");
  });

  it("a minted token inside the key (%3Ft%3D) is redacted in the line's key", async () => {
    const token = mint("u/demo/photo.png");
    const cases = [
      [`${ORIGIN}/m/u/demo/photo.png%3Ft%3D${token}`, "u/demo/photo.png?t=[redacted]"],
      [`${ORIGIN}/m/u/demo/photo.png%3ft%3d${token}?t=${token}`, "u/demo/photo.png?t=[redacted]"],
      [`${ORIGIN}/m/u/demo/photo.png%26t%3D${token}`, "u/demo/photo.png&t=[redacted]"],
      [`${ORIGIN}/m/u/demo/${token}`, "u/demo/[redacted]"],
    ];
    for (const [url, key] of cases) {
      const { res, line, text } = await logged(url, { "x-request-id": token });
      assert.equal(res.status, 401, url);
      assert.equal(line.event, "media.worker.deny", url);
      assert.equal(line.key, key, url);
      assert.equal(line.request_id, null, url);
      for (const m of material(token)) assert.ok(!text.includes(m), `${url}: the line holds ${m}`);
    }
  });

  // docs/UPLOADS.md section 5: a put token is a credential like any other.
  it("a put token as x-request-id, or inside an upload's key, is never logged; the upload is answered as without it", async () => {
    const GIF = new Uint8Array([...Buffer.from("GIF89a"), 1, 0, 1, 0, 0, 0, 0, 0x3b]);
    const put = (url, id) => logged(url, { "x-request-id": id, "content-type": "image/gif" }, { method: "PUT", body: GIF });
    for (const key of ["u/scan-1.gif", "u/scan-2.gif"]) {
      const token = mintPut(key, { ct: "image/gif" });
      assert.ok(token.length <= 128, "within the length a plain id may have");
      // Stored the first time, the same bytes again after that.
      for (const [i, id] of [token, `req:${token}`, token.split(".")[1]].entries()) {
        const { res, line, text } = await put(`${ORIGIN}/m/${quotePath(key)}?t=${token}`, id);
        assert.deepEqual([res.status, line.event], i === 0 ? [201, "media.upload.ok"] : [200, "media.upload.retry"], id);
        assert.equal(line.request_id, null, id);
        for (const m of material(token)) assert.ok(!text.includes(m), `${id}: the line holds ${m}`);
      }
      // The put token on a read, and inside the key of an upload.
      const read = await logged(`${ORIGIN}/m/${quotePath(key)}?t=${token}`, { "x-request-id": token });
      assert.equal(read.res.status, 401);
      assert.equal(read.line.reason, "token_wrong_mode");
      const inKey = await put(`${ORIGIN}/m/${quotePath(key)}%3Ft%3D${token}?t=${token}`, token);
      assert.equal(inKey.res.status, 401);
      assert.equal(inKey.line.event, "media.upload.rejected");
      assert.equal(inKey.line.key, `${key}?t=[redacted]`);
      for (const { text } of [read, inKey]) for (const m of material(token)) assert.ok(!text.includes(m), `the line holds ${m}`);
    }
  });
});

describe("log scan", () => {
  it("no Worker log line of the whole suite contains a token (read or put), a token part or a t= query", () => {
    const lines = read("worker-");
    const tokens = [...new Set(read("tokens-"))];
    // A scan over nothing proves nothing.
    assert.ok(lines.length >= 100, `only ${lines.length} log lines`);
    assert.ok(tokens.length >= 40, `only ${tokens.length} distinct tokens`);
    assert.ok(lines.some((l) => l.includes('"event":"media.worker.serve"')), "served requests were logged");
    assert.ok(lines.some((l) => l.includes('"event":"media.worker.deny"')), "denials were logged");
    assert.ok(lines.some((l) => l.includes('"event":"media.upload.ok"')), "stored uploads were logged");
    assert.ok(lines.some((l) => l.includes('"event":"media.upload.rejected"')), "refused uploads were logged");
    const payload = (t) => Buffer.from(t.split(".")[0], "base64url").toString("utf8");
    assert.ok(tokens.some((t) => payload(t).includes('"m":"put"')), "put tokens are among those scanned");
    // Every piece of a token long enough to identify it: the whole token,
    // the base64url payload and the base64url MAC.
    const needles = new Set();
    for (const t of tokens) {
      needles.add(t);
      for (const part of t.split(".")) if (part.length >= 16) needles.add(part);
    }
    const leaks = [];
    for (const line of lines) {
      // A query pasted into a key is logged as `?t=[redacted]`: no token in it.
      if (/[?&]t=(?!\[redacted\])/.test(line)) leaks.push(line);
      else for (const n of needles) if (line.includes(n)) leaks.push(line);
    }
    assert.deepEqual(leaks.slice(0, 5), [], `${leaks.length} log lines carry token material`);
  });
});
