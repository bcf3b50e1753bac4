// docs/CONTRACT.md section 8 and docs/OBSERVABILITY.md: one JSON log line per
// request where sampled (denials and errors always), one metric data point
// per request, the secrets' fingerprints at startup, the debug header, and a
// secret rotation that never answers 401.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { CLI, DEFAULT_BINDINGS, ORIGIN, SECRET, startGate, get, mint, mediaUrl, waitForLog, workerLog, loggedEvents } from "./helpers.js";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT, mintPut } from "./helpers.js";

const PNG = "u/me_1/0123456789abcdef0123456789abcdef.png";
const MP4 = "u/v/clip.mp4";

function metricsFrom(from) {
  return workerLog
    .slice(from)
    .filter((l) => l.includes("METRIC {"))
    .map((l) => JSON.parse(l.slice(l.indexOf("METRIC ") + 7)));
}

// Every status of the contract, with the event and reason bucket it logs.
const CASES = [
  { name: "200", req: () => [mediaUrl(PNG, mint(PNG))], status: 200, event: "media.worker.serve", reason: "serve_full" },
  { name: "206", req: () => [mediaUrl(MP4, mint(MP4)), { headers: { range: "bytes=0-1" } }], status: 206, event: "media.worker.range_206", reason: "serve_partial" },
  { name: "304", req: (etag) => [mediaUrl(PNG, mint(PNG)), { headers: { "if-none-match": etag } }], status: 304, event: "media.worker.serve", reason: "not_modified" },
  { name: "405", req: () => [mediaUrl(PNG, mint(PNG)), { method: "POST" }], status: 405, event: "media.worker.deny", reason: "method_not_allowed" },
  { name: "400", req: () => [`${ORIGIN}/m/u/%zz.png?t=x`], status: 400, event: "media.worker.deny", reason: "bad_key" },
  { name: "404 prefix", req: () => [mediaUrl("x/a.png", mint("x/a.png"))], status: 404, event: "media.worker.not_found", reason: "prefix_not_allowed" },
  { name: "401 restricted", req: () => [mediaUrl(PNG)], status: 401, event: "media.worker.deny", reason: "token_missing" },
  { name: "401 forbidden", req: () => [mediaUrl(PNG, mint(PNG, { secret: "wrong" }))], status: 401, event: "media.worker.deny", reason: "token_bad_signature" },
  { name: "401 expired", req: () => [mediaUrl(PNG, mint(PNG, { mode: "priv", exp: Math.floor(Date.now() / 1000) - 600 }))], status: 401, event: "media.worker.deny", reason: "token_expired" },
  { name: "404 missing", req: () => [mediaUrl("u/nope.png", mint("u/nope.png"))], status: 404, event: "media.worker.not_found", reason: "object_missing" },
  { name: "416", req: () => [mediaUrl(PNG, mint(PNG)), { headers: { range: "bytes=5000-" } }], status: 416, event: "media.worker.deny", reason: "range_not_satisfiable" },
  { name: "412", req: () => [mediaUrl(PNG, mint(PNG)), { headers: { "if-match": '"x"' } }], status: 412, event: "media.worker.deny", reason: "precondition_failed" },
];

describe("logs and metrics", () => {
  let mf, etag;
  before(async () => {
    mf = await startGate({ metrics: true, bindings: { ...DEFAULT_BINDINGS, MEDIA_LOG_SAMPLE_RATE: "1" } });
    etag = (await get(mf, mediaUrl(PNG, mint(PNG)), { method: "HEAD" })).headers.etag;
  });
  after(async () => {
    await mf?.dispose();
  });

  it("every contract status writes its documented log line and data point", async () => {
    for (const c of CASES) {
      const from = workerLog.length;
      const [url, opts] = c.req(etag);
      const res = await get(mf, url, { ...opts, headers: { ...(opts?.headers ?? {}), "x-request-id": `req-${c.status}` } });
      assert.equal(res.status, c.status, c.name);
      // stdio arrives asynchronously: give the line a moment to land.
      await waitForLog(from, () => Math.min(metricsFrom(from).length, loggedEvents(from).filter((e) => e.status !== undefined).length));
      const lines = loggedEvents(from).filter((e) => e.event.startsWith("media.worker.") && e.status !== undefined);
      assert.equal(lines.length, 1, `${c.name}: one log line, got ${JSON.stringify(lines)}`);
      const line = lines[0];
      assert.equal(line.event, c.event, c.name);
      assert.equal(line.reason, c.reason, c.name);
      assert.equal(line.status, c.status, c.name);
      assert.equal(line.request_id, `req-${c.status}`, c.name);
      const points = metricsFrom(from);
      assert.equal(points.length, 1, `${c.name}: one data point`);
      assert.deepEqual(points[0].indexes, [c.reason], c.name);
      assert.equal(points[0].doubles[0], c.status, c.name);
      assert.equal(points[0].blobs[0], c.event, c.name);
    }
  });

  it("a served line carries mode, key, span, bytes and cache; never the token or the query", async () => {
    const token = mint(MP4, { mode: "priv" });
    const from = workerLog.length;
    await get(mf, mediaUrl(MP4, token), { headers: { range: "bytes=10-19" } });
    await waitForLog(from, () => loggedEvents(from).length);
    const [line] = loggedEvents(from);
    assert.equal(line.mode, "priv");
    assert.equal(line.key, MP4);
    assert.deepEqual(line.span, [10, 19]);
    assert.equal(line.bytes, 10);
    assert.equal(line.cache, "none");
    assert.ok(!JSON.stringify(line).includes(token.split(".")[0]));
    assert.ok(!JSON.stringify(line).includes("t="));
  });

  it("a request id that is not a plain id is never logged", async () => {
    const from = workerLog.length;
    await get(mf, mediaUrl(PNG), { headers: { "x-request-id": `https://x.example/m/a?t=${mint(PNG)}` } });
    await waitForLog(from, () => loggedEvents(from).length);
    const [line] = loggedEvents(from);
    assert.equal(line.request_id, null);
  });
});

// docs/UPLOADS.md section 5: every answer to a PUT is one log line, never
// sampled (successes included), and one data point, with method PUT and
// mode put; rejections carry their reason; never the put token.
describe("upload logs and metrics", () => {
  let mf;
  const png = new Uint8Array(readFileSync(path.join(ROOT, "build/media/signatures/magick.png")));
  before(async () => {
    // Successes sampled at 0: upload lines are written all the same.
    mf = await startGate({ metrics: true, bindings: { ...DEFAULT_BINDINGS, MEDIA_UPLOADS: "on", MEDIA_LOG_SAMPLE_RATE: "0" } });
  });
  after(async () => {
    await mf?.dispose();
  });

  const put = (key, body, { ct = "image/png", type = ct, n } = {}) => {
    const token = mintPut(key, { ct, n });
    return { token, res: get(mf, mediaUrl(key, token), { method: "PUT", body, headers: { "content-type": type, "x-request-id": "req-up" } }) };
  };
  const CASES = [
    { name: "201 stored", send: () => put("u/obs/a.png", png), status: 201, event: "media.upload.ok", reason: "upload_stored" },
    { name: "200 retry", send: () => put("u/obs/a.png", png), status: 200, event: "media.upload.retry", reason: "upload_retry" },
    { name: "412 other bytes", send: () => put("u/obs/a.png", png.slice(0, 1000)), status: 412, event: "media.upload.rejected", reason: "already_exists" },
    { name: "415 by header", send: () => put("u/obs/b.png", png, { type: "image/gif" }), status: 415, event: "media.upload.rejected", reason: "type_mismatch" },
    { name: "415 by bytes", send: () => put("u/obs/b.png", png, { ct: "image/gif" }), status: 415, event: "media.upload.rejected", reason: "signature_mismatch" },
    { name: "415 unsupported", send: () => put("u/obs/b.svg", png, { ct: "image/svg+xml" }), status: 415, event: "media.upload.rejected", reason: "unsupported_type" },
    { name: "413", send: () => put("u/obs/b.png", png, { n: 10 }), status: 413, event: "media.upload.rejected", reason: "too_large" },
    { name: "400 empty", send: () => put("u/obs/b.png", new Uint8Array(0)), status: 400, event: "media.upload.rejected", reason: "empty_upload" },
    { name: "401 read token", send: () => ({ token: mint("u/obs/b.png"), res: get(mf, mediaUrl("u/obs/b.png", mint("u/obs/b.png")), { method: "PUT", body: png, headers: { "content-type": "image/png", "x-request-id": "req-up" } }) }), status: 401, event: "media.upload.rejected", reason: "token_wrong_mode" },
  ];

  it("each answer to a PUT: one line (sample_rate 1) and one data point, with its event and reason; bytes are the answer's body", async () => {
    for (const c of CASES) {
      const from = workerLog.length;
      const { token, res: pending } = c.send();
      const res = await pending;
      assert.equal(res.status, c.status, `${c.name}: ${res.text}`);
      await waitForLog(from, () => Math.min(metricsFrom(from).filter((p) => p.indexes[0] !== "revocations_stale").length, loggedEvents(from).filter((e) => e.status !== undefined).length));
      const lines = loggedEvents(from).filter((e) => e.status !== undefined);
      assert.equal(lines.length, 1, `${c.name}: ${JSON.stringify(lines)}`);
      const line = lines[0];
      assert.deepEqual([line.event, line.reason, line.status, line.method, line.request_id, line.sample_rate], [c.event, c.reason, c.status, "PUT", "req-up", 1], c.name);
      assert.equal(line.mode, c.reason === "token_wrong_mode" ? "pub" : "put", c.name);
      assert.equal(line.bytes, Number(res.headers["content-length"]), c.name);
      assert.equal(line.bytes, res.body.length, c.name);
      if (c.status === 201) assert.equal(line.bytes, Buffer.byteLength(res.text), "a 201's bytes: its JSON body");
      // One data point per request (the revocation signal's own point aside: no snapshot was ever compacted here).
      const points = metricsFrom(from).filter((p) => p.indexes[0] !== "revocations_stale");
      assert.equal(points.length, 1, `${c.name}: one data point`);
      assert.deepEqual(points[0].indexes, [c.reason], c.name);
      assert.deepEqual([points[0].blobs[0], points[0].blobs[1], points[0].blobs[5]], [c.event, c.reason, "PUT"], c.name);
      assert.deepEqual([points[0].doubles[0], points[0].doubles[1]], [c.status, res.body.length], c.name);
      const text = workerLog.slice(from).join("\n");
      for (const part of [token, ...token.split(".")]) assert.ok(!text.includes(part), `${c.name}: a line holds the token`);
      assert.ok(!text.includes("t="), c.name);
    }
  });

  it("mediagate stats counts the Worker's own upload lines: stored, retried, rejected by reason", async () => {
    const from = workerLog.length;
    const answers = [];
    for (const c of CASES) answers.push((await c.send().res).status);
    const done = () => loggedEvents(from).filter((e) => e.status !== undefined && e.method === "PUT").length;
    await waitForLog(from, done, CASES.length);
    const input = workerLog.slice(from).join("\n") + "\n";
    const r = spawnSync(path.join(ROOT, "scripts/mediagate"), ["stats"], { input, encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // The second round: the 201 is now a retry (200), and the retry too.
    assert.deepEqual(answers, [200, 200, 412, 415, 415, 415, 413, 400, 401]);
    assert.match(r.stdout, /^uploads: 0 stored \(201\), 2 retried \(200, the same bytes\), 7 rejected: already_exists 1, empty_upload 1, signature_mismatch 1, token_wrong_mode 1, too_large 1, type_mismatch 1, unsupported_type 1$/m);
  });
});

describe("upload lines and the denial log budget", () => {
  it("rejections count against the budget (every one a data point); a stored upload is logged past it", async () => {
    const png = new Uint8Array(readFileSync(path.join(ROOT, "build/media/signatures/magick.png")));
    const mf = await startGate({ metrics: true, bindings: { ...DEFAULT_BINDINGS, MEDIA_UPLOADS: "on", MEDIA_LOG_DENIAL_BUDGET: "3", MEDIA_LOG_SAMPLE_RATE: "0" } });
    try {
      const FLOOD = 60;
      const from = workerLog.length;
      const refused = [];
      for (let i = 0; i < FLOOD; i++) {
        const key = `u/budget/${i}.png`;
        refused.push(get(mf, mediaUrl(key, mintPut(key, { ct: "image/gif" })), { method: "PUT", body: png, headers: { "content-type": "image/gif" } }));
      }
      assert.deepEqual(new Set((await Promise.all(refused)).map((r) => r.status)), new Set([415]));
      const stored = await get(mf, mediaUrl("u/budget/ok.png", mintPut("u/budget/ok.png")), { method: "PUT", body: png, headers: { "content-type": "image/png" } });
      assert.equal(stored.status, 201);
      const points = () => metricsFrom(from).filter((p) => p.indexes[0] !== "revocations_stale");
      const okLine = () => loggedEvents(from).filter((e) => e.event === "media.upload.ok");
      await waitForLog(from, () => (okLine().length ? points().length : 0), FLOOD + 1);
      assert.equal(points().filter((p) => p.indexes[0] === "signature_mismatch").length, FLOOD, "every rejection is a data point");
      const rejected = loggedEvents(from).filter((e) => e.event === "media.upload.rejected");
      assert.ok(rejected.length >= 3, `the first rejections are logged (${rejected.length})`);
      assert.ok(rejected.length < FLOOD / 4, `not line for line (${rejected.length} of ${FLOOD})`);
      assert.ok(rejected.every((e) => e.reason === "signature_mismatch" && e.sample_rate === 1));
      assert.deepEqual(okLine().map((e) => [e.key, e.sample_rate]), [["u/budget/ok.png", 1]]);
    } finally {
      await mf.dispose();
    }
  });
});

describe("log sampling", () => {
  it("successes are sampled (rate 0: none), denials and errors always logged", async () => {
    const mf = await startGate({ bindings: { ...DEFAULT_BINDINGS, MEDIA_LOG_SAMPLE_RATE: "0" } });
    try {
      const from = workerLog.length;
      for (let i = 0; i < 5; i++) assert.equal((await get(mf, mediaUrl(PNG, mint(PNG)))).status, 200);
      assert.equal((await get(mf, mediaUrl(PNG))).status, 401);
      await waitForLog(from, () => loggedEvents(from).filter((e) => e.status !== undefined).length);
      await new Promise((r) => setTimeout(r, 100));
      const lines = loggedEvents(from).filter((e) => e.status !== undefined);
      assert.deepEqual(lines.map((l) => l.status), [401]);
    } finally {
      await mf.dispose();
    }
  });
});

describe("secret fingerprints and the debug header", () => {
  it("the Worker logs the same fingerprints `mediagate fingerprint` prints, never the secrets", async () => {
    const from = workerLog.length;
    const mf = await startGate({ bindings: { ...DEFAULT_BINDINGS, MEDIA_TOKEN_SECRET_PREVIOUS: "old-secret", MEDIA_DEBUG_HEADERS: "on" } });
    try {
      const res = await get(mf, mediaUrl(PNG, mint(PNG, { secret: "nope" })));
      assert.equal(res.headers["x-mediagate-reason"], "token_bad_signature");
      for (let i = 0; i < 50 && !loggedEvents(from).some((e) => e.event === "media.worker.config"); i++) await new Promise((r) => setTimeout(r, 10));
      const config = loggedEvents(from).find((e) => e.event === "media.worker.config");
      const cli = spawnSync(CLI, ["fingerprint"], { env: { ...process.env, MEDIA_TOKEN_SECRET: SECRET + "\n", MEDIA_TOKEN_SECRET_PREVIOUS: "old-secret" }, encoding: "utf8" });
      assert.equal(cli.status, 0, cli.stderr);
      assert.equal(cli.stdout, `MEDIA_TOKEN_SECRET ${config.fingerprint}\nMEDIA_TOKEN_SECRET_PREVIOUS ${config.fingerprint_previous}\n`);
      assert.match(config.fingerprint, /^[0-9a-f]{8}$/);
      assert.notEqual(config.fingerprint, config.fingerprint_previous);
      assert.ok(!workerLog.slice(from).some((l) => l.includes(SECRET) || l.includes("old-secret")));
    } finally {
      await mf.dispose();
    }
  });

  it("a bad signature's deny line carries the fingerprints of the config line; no other line does", async () => {
    for (const previous of ["old-secret", undefined]) {
      const from = workerLog.length;
      const bindings = { ...DEFAULT_BINDINGS, MEDIA_LOG_SAMPLE_RATE: "1" };
      if (previous) bindings.MEDIA_TOKEN_SECRET_PREVIOUS = previous;
      const mf = await startGate({ bindings });
      try {
        const requests = [
          [mediaUrl(PNG, mint(PNG, { secret: "the-backend-holds-another-secret" })), 401, "token_bad_signature"],
          [mediaUrl(PNG), 401, "token_missing"],
          [mediaUrl(PNG, mint(MP4)), 401, "token_key_mismatch"],
          [mediaUrl(PNG, mint(PNG)), 200, "serve_full"],
        ];
        for (const [url, status] of requests) assert.equal((await get(mf, url)).status, status, url);
        const lines = () => loggedEvents(from).filter((e) => e.status !== undefined);
        await waitForLog(from, () => lines().length, requests.length);
        const config = loggedEvents(from).find((e) => e.event === "media.worker.config");
        assert.match(config.fingerprint, /^[0-9a-f]{8}$/);
        if (previous) assert.match(config.fingerprint_previous, /^[0-9a-f]{8}$/);
        else assert.equal(config.fingerprint_previous, null);
        assert.deepEqual(lines().map((l) => l.reason), requests.map((r) => r[2]));
        for (const line of lines()) {
          if (line.reason === "token_bad_signature") {
            assert.equal(line.event, "media.worker.deny");
            assert.equal(line.fingerprint, config.fingerprint);
            assert.equal(line.fingerprint_previous, config.fingerprint_previous);
            assert.ok("fingerprint_previous" in line, "null, not absent, when not configured");
          } else {
            assert.ok(!("fingerprint" in line) && !("fingerprint_previous" in line), line.reason);
          }
        }
      } finally {
        await mf.dispose();
      }
    }
  });

  it("the debug header is off by default", async () => {
    const mf = await startGate();
    try {
      const res = await get(mf, mediaUrl(PNG, mint(PNG)));
      assert.equal(res.headers["x-mediagate-reason"], undefined);
    } finally {
      await mf.dispose();
    }
  });
});

describe("secret rotation (docs/RUNBOOK.md)", () => {
  it("rotating MEDIA_TOKEN_SECRET mid-traffic with _PREVIOUS answers no 401", async () => {
    const OLD = SECRET;
    const NEW = "a-brand-new-secret-value-0123456789abcdef";
    const mf = await startGate();
    const statuses = [];
    let backendSecret = OLD; // what the backend mints with
    let stop = false;
    const traffic = (async () => {
      let i = 0;
      while (!stop) {
        const key = i++ % 2 ? PNG : MP4;
        const token = mint(key, { mode: i % 3 ? "pub" : "priv", secret: backendSecret });
        try {
          statuses.push((await get(mf, mediaUrl(key, token))).status);
        } catch {
          statuses.push("transport"); // a request in flight while the runtime restarts
        }
      }
    })();
    try {
      const wait = (n) => new Promise((resolve) => {
        const target = statuses.length + n;
        const t = setInterval(() => statuses.length >= target && (clearInterval(t), resolve()), 5);
      });
      await wait(20);
      // 1. Deploy with the new secret and the old one as _PREVIOUS.
      await mf.setOptions(await optionsWith({ MEDIA_TOKEN_SECRET: NEW, MEDIA_TOKEN_SECRET_PREVIOUS: OLD }));
      await wait(20);
      // 2. The backend switches to the new secret; old URLs are still in clients.
      backendSecret = NEW;
      await wait(20);
      statuses.push((await get(mf, mediaUrl(PNG, mint(PNG, { secret: OLD })))).status);
    } finally {
      stop = true;
      await traffic;
      await mf.dispose();
    }
    const counts = statuses.reduce((m, s) => ((m[s] = (m[s] ?? 0) + 1), m), {});
    assert.equal(counts[401] ?? 0, 0, JSON.stringify(counts));
    assert.ok((counts[200] ?? 0) >= 60, JSON.stringify(counts));
  });
});

// The gate's Miniflare options with some bindings replaced (setOptions
// restarts the runtime, as a deploy starts new isolates).
async function optionsWith(extra) {
  const { ROOT, BUILDS } = await import("./helpers.js");
  const { shimModules } = await import("../lib/shim.mjs");
  return {
    workers: [
      {
        name: "gate",
        modulesRoot: ROOT,
        modules: [
          ...shimModules({ wasm: BUILDS.wasi }),
        ],
        compatibilityDate: "2025-09-01",
        bindings: { ...DEFAULT_BINDINGS, ...extra },
        kvNamespaces: ["MEDIA_REVOCATIONS"],
        r2Buckets: ["MEDIA_BUCKET"],
      },
    ],
    cf: false,
  };
}
