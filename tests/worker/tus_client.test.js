// tus 1.0.0 resumable uploads end to end with the real client: tus-js-client 4.3.1, its Node build
// (`import * as tus from "tus-js-client"`), against `wrangler dev` started by scripts/dev.sh (local
// R2, the upload-state Durable Object in local SQLite, kept in a temporary directory). Every upload goes
// through a TCP proxy on port 0 (tests/lib/tus.mjs) that can cut a PATCH body after exactly N bytes
// and that keeps its origin when wrangler dev restarts. What is checked is what the client and a
// reader see: statuses, the client's callbacks, and the object served back through /m/* with a
// public and a private token, compared by SHA-256 with the file uploaded.
//
// One wrangler dev serves every test but the expiry one, which needs MEDIA_UPLOAD_EXPIRY_SECONDS=2
// (dev.sh's DEV_VARS) and gets its own; the restart test stops and restarts the shared one last.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createReadStream, readFileSync, writeFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import * as tus from "tus-js-client";
import { ROOT, SECURITY_HEADERS } from "./helpers.js";
import { startDev } from "../lib/dev.mjs";
import { mint, mintPut, keyPath } from "../lib/token.mjs";
import { MiB, VIDEO_BYTES, tusVideo, sha256, sha256File, startCutProxy } from "../lib/tus.mjs";

const CLIENT = "tus-js-client 4.3.1 (Node)";
// Retries after a cut: the cut PATCH may still hold the upload's lease while it saves what it
// received (423), and a resend at a stale offset is 409; tus-js-client retries both. Small delays,
// many of them: the budget (about 40 s) is not a measurement, only how long the client keeps trying.
const RETRY = [0, 100, 250, 500, 1000, 1000, 2000, 2000, 3000, 5000, 5000, 10000, 10000];
const READY = "Ctrl-C to stop.";

function secretOf() {
  return readFileSync(path.join(ROOT, ".dev.vars"), "utf8").match(/^MEDIA_TOKEN_SECRET=(.*)$/m)[1];
}
const newKey = (ext = "mp4") => `u/tus-test/${randomBytes(8).toString("hex")}.${ext}`;

// A fresh directory for wrangler dev's local state (dev.sh's DEV_PERSIST): the uploads of a run
// (hundreds of MiB) go there and are deleted with it, not left in .wrangler/state.
function stateDir() {
  mkdirSync(path.join(ROOT, "build/tmp"), { recursive: true });
  return mkdtempSync(path.join(ROOT, "build/tmp/tus-state-"));
}

// scripts/dev.sh keeping its state in `persist`, with more `env`, and its wrangler dev origin
// (the "Ready on" line it shows).
async function startGate(persist, env = {}) {
  const dev = startDev([], READY, { env: { ...env, DEV_PERSIST: persist } });
  assert.ok(await dev.ready, `dev.sh did not come up:\n${dev.out().slice(-3000)}`);
  const ready = dev.out().replace(/\x1b\[[0-9;]*m/g, "").match(/Ready on (http:\/\/127\.0\.0\.1:\d+)/);
  assert.ok(ready, dev.out().slice(-3000));
  return { dev, upstream: ready[1] };
}

// One gate under test: wrangler dev behind the cut proxy, the dev secret, and URL builders.
function gateUrls(proxy, secret) {
  const m = (key, t) => `${proxy.origin}/m/${keyPath(key)}?t=${t}`;
  return {
    put: (key, ct = "video/mp4") => m(key, mintPut(key, { ct, secret })),
    pub: (key) => m(key, mint(key, { secret })),
    priv: (key) => m(key, mint(key, { mode: "priv", secret })),
  };
}

// A tus-js-client upload of `input` (an fs.ReadStream or a Buffer) to `endpoint`. Returns u =
// { upload, log, start() }: start() resolves on onSuccess and rejects with onError's error; log
// lists every request the client sent ("PATCH @<Upload-Offset>") and every answer it read
// ("PATCH 204 offset=<Upload-Offset>"); u.expires is the POST's Upload-Expires. `stop(upload, accepted)`, called on each acknowledged
// chunk, may stop the upload: the promise it returns (upload.abort's) becomes u.stopped.
//
// Every answer the client reads is also checked against the tus interface: `Tus-Resumable: 1.0.0`,
// `cache-control: private, no-store`, the security headers, and for a POST a `Location` that is
// the endpoint's own path and token. What differs is listed in u.wrong (assertUpload checks it).
function tusUpload(input, endpoint, { ct = "video/mp4", stop, ...options } = {}) {
  const u = { log: [], stopped: null, wrong: [] };
  const { pathname, search } = new URL(endpoint);
  let done;
  u.upload = new tus.Upload(input, {
    endpoint,
    metadata: { filetype: ct },
    retryDelays: RETRY,
    onBeforeRequest(req) {
      const at = req.getHeader("Upload-Offset");
      u.log.push(`${req.getMethod()}${at === undefined ? "" : ` @${at}`}`);
    },
    onAfterResponse(req, res) {
      const offset = res.getHeader("Upload-Offset");
      u.log.push(`${req.getMethod()} ${res.getStatus()}${offset === undefined ? "" : ` offset=${offset}`}`);
      if (req.getMethod() === "POST") u.expires = res.getHeader("Upload-Expires");
      const want = { "tus-resumable": "1.0.0", "cache-control": "private, no-store", ...SECURITY_HEADERS };
      if (req.getMethod() === "POST" && res.getStatus() === 201) want.location = pathname + search;
      for (const [name, value] of Object.entries(want)) {
        if (res.getHeader(name) !== value) u.wrong.push(`${req.getMethod()} ${res.getStatus()}: ${name}: ${res.getHeader(name)}, want ${value}`);
      }
    },
    onChunkComplete(size, accepted) {
      if (stop && !u.stopped) u.stopped = stop(u.upload, accepted) || null;
    },
    onSuccess: () => done.resolve(),
    onError: (err) => done.reject(err),
    ...options,
  });
  u.start = () =>
    new Promise((resolve, reject) => {
      done = { resolve, reject };
      u.upload.start();
    });
  return u;
}

// The answers u read all carried what every tus answer carries.
function assertHeaders(u) {
  assert.deepEqual(u.wrong, [], u.log.join("\n"));
}

// Starts u and waits until something stopped it (u.stopped set, then settled); fails if the
// upload ends first.
async function untilStopped(u) {
  const ended = u.start().then(() => new Error("it completed"), (err) => err);
  while (!u.stopped) {
    const early = await Promise.race([ended, sleep(50)]);
    if (early) assert.fail(`the upload ended before it was stopped: ${early.message}\n${u.log.join("\n")}`);
  }
  return u.stopped;
}

// GET the object with a public and a private token: 200, video/mp4 (or `ct`), the uploaded size,
// and the SHA-256 of what was uploaded.
async function assertServed(urls, key, file, ct = "video/mp4") {
  const want = sha256File(file);
  const size = readFileSync(file).length;
  for (const [which, url] of [["public", urls.pub(key)], ["private", urls.priv(key)]]) {
    const res = await fetch(url);
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(res.status, 200, `${which} GET ${key}: ${body.subarray(0, 100).toString()}`);
    assert.equal(res.headers.get("content-type"), ct, which);
    assert.equal(res.headers.get("content-length"), String(size), which);
    assert.equal(sha256(body), want, `${which} GET ${key}: ${body.length} bytes served back, byte-identical to the ${size} uploaded`);
  }
}

// Nothing stored under the key: a reader gets 404 not_found, and the upload URL answers a tus
// HEAD with 404 (no open upload).
async function assertNothing(urls, key) {
  const res = await fetch(urls.pub(key));
  assert.deepEqual([res.status, await res.text()], [404, "not_found"], `GET ${key}`);
  const head = await fetch(urls.put(key), { method: "HEAD", headers: { "tus-resumable": "1.0.0" } });
  assert.equal(head.status, 404, `tus HEAD ${key}`);
}

describe("the cut proxy of the tus tests (tests/lib/tus.mjs) against a Node HTTP server", () => {
  it("passes requests on a keep-alive connection unchanged, and cuts a body after exactly N bytes with a FIN", async () => {
    const seen = [];
    const server = http.createServer((req, res) => {
      let n = 0;
      req.on("data", (c) => (n += c.length));
      req.on("end", () => {
        seen.push([req.method, n, "whole"]);
        res.end(String(n));
      });
      req.on("aborted", () => seen.push([req.method, n, "cut"]));
      req.on("error", () => {});
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const proxy = await startCutProxy(`http://127.0.0.1:${server.address().port}`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method, body) =>
      new Promise((resolve) => {
        const req = http.request(`${proxy.origin}/x?t=secret`, { method, agent, headers: { "content-length": body.length } }, (res) => {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () => resolve(`${res.statusCode} ${text}`));
        });
        req.on("error", (err) => resolve(`error ${err.code}`));
        req.end(body);
      });
    try {
      assert.equal(await send("POST", Buffer.alloc(10)), "200 10");
      const cut = proxy.cutAfter("PATCH", 5 * MiB);
      assert.equal(await send("HEAD", Buffer.alloc(0)), "200 ");
      assert.equal(await send("PATCH", Buffer.alloc(3 * MiB)), "200 3145728", "a body no longer than N is not cut");
      assert.match(await send("PATCH", Buffer.alloc(8 * MiB)), /^error /);
      assert.equal(await cut, "PATCH /x HTTP/1.1", "the cut names the request, without its query");
      assert.equal(await send("PATCH", Buffer.alloc(8 * MiB)), "200 8388608", "one cut per arming");
      // What the server received (the cut body's end and the next request come on two connections,
      // in either order): the cut PATCH ended after exactly 5 MiB.
      for (let i = 0; i < 500 && seen.length < 5; i++) await sleep(20);
      const sorted = (list) => list.map((e) => e.join(" ")).sort();
      assert.deepEqual(sorted(seen), sorted([["POST", 10, "whole"], ["HEAD", 0, "whole"], ["PATCH", 3 * MiB, "whole"], ["PATCH", 5 * MiB, "cut"], ["PATCH", 8 * MiB, "whole"]]));
    } finally {
      agent.destroy();
      await proxy.close();
      server.close();
    }
  });
});

describe(`tus uploads with ${CLIENT} through wrangler dev (scripts/dev.sh)`, () => {
  let gate, proxy, urls;
  const video = tusVideo();
  const persist = stateDir();
  before(async () => {
    gate = await startGate(persist);
    proxy = await startCutProxy(gate.upstream);
    urls = gateUrls(proxy, secretOf());
  });
  after(async () => {
    await proxy?.close();
    await gate?.dev.stop();
    rmSync(persist, { recursive: true, force: true });
  });

  it(`${CLIENT}, default options: a 20 MiB H.264 MP4 in one PATCH, served back byte-identical`, { timeout: 120000 }, async () => {
    const key = newKey();
    const u = tusUpload(createReadStream(video), urls.put(key));
    await u.start();
    assertHeaders(u);
    assert.deepEqual(u.log, ["POST", "POST 201", "PATCH @0", `PATCH 204 offset=${VIDEO_BYTES}`]);
    await assertServed(urls, key, video);
  });

  for (const chunk of [1, 3]) {
    it(`${CLIENT}, chunkSize ${chunk} MiB: the 20 MiB MP4 in ${Math.ceil(20 / chunk)} PATCHes, served back byte-identical`, { timeout: 180000 }, async () => {
      const key = newKey();
      const u = tusUpload(createReadStream(video), urls.put(key), { chunkSize: chunk * MiB });
      await u.start();
    assertHeaders(u);
      const offsets = u.log.filter((l) => l.startsWith("PATCH 204")).map((l) => Number(l.split("=")[1]));
      const want = [];
      for (let at = chunk * MiB; at < VIDEO_BYTES; at += chunk * MiB) want.push(at);
      want.push(VIDEO_BYTES);
      assert.deepEqual(offsets, want, "every PATCH acknowledged whole");
      await assertServed(urls, key, video);
    });
  }

  for (const [label, at] of [["3 MiB", 3 * MiB], ["7 MiB", 7 * MiB], ["exactly 5 MiB (a part boundary)", 5 * MiB], ["1 byte before the end (the completing PATCH)", VIDEO_BYTES - 1]]) {
    it(`${CLIENT}, default options, the connection cut mid-PATCH at ${label}: resumes and the object is byte-identical`, { timeout: 180000 }, async (t) => {
      const key = newKey();
      const cut = proxy.cutAfter("PATCH", at);
      const u = tusUpload(createReadStream(video), urls.put(key));
      await u.start();
    assertHeaders(u);
      assert.equal(await cut, `PATCH /m/${keyPath(key)} HTTP/1.1`);
      // The first PATCH sent everything from 0 and was cut; the client then asked where to resume.
      assert.equal(u.log[2], "PATCH @0");
      assert.notEqual(u.log[3], `PATCH 204 offset=${VIDEO_BYTES}`, "the cut PATCH got no answer");
      const resumed = u.log.slice(3).filter((l) => /^HEAD 200/.test(l)).map((l) => Number(l.split("=")[1]));
      assert.ok(resumed.length >= 1, u.log.join("\n"));
      for (const o of resumed) assert.ok(o <= at, `HEAD after the cut said ${o}, more than the ${at} bytes that reached the gate`);
      // The cut PATCH saved what it had received (docs/UPLOADS.md, "a cut PATCH"): a HEAD sent before
      // that save ended may say less, and the client then asks again.
      assert.equal(Math.max(...resumed), at, "every byte that reached the gate before the cut was kept");
      assert.equal(u.log.at(-1), `PATCH 204 offset=${VIDEO_BYTES}`);
      t.diagnostic(`cut at ${at}: ${u.log.join(", ")} (nudges so far: ${proxy.nudges})`);
      await assertServed(urls, key, video);
    });
  }

  it(`${CLIENT}: three uploads at once to three keys (default options, chunkSize 5 MiB, a Buffer in 2 MiB chunks), all byte-identical`, { timeout: 240000 }, async () => {
    const keys = [newKey(), newKey(), newKey()];
    const ups = [
      tusUpload(createReadStream(video), urls.put(keys[0])),
      tusUpload(createReadStream(video), urls.put(keys[1]), { chunkSize: 5 * MiB }),
      tusUpload(readFileSync(video), urls.put(keys[2]), { chunkSize: 2 * MiB }),
    ];
    await Promise.all(ups.map((u) => u.start()));
    ups.forEach(assertHeaders);
    for (const u of ups) assert.equal(u.log.at(-1), `PATCH 204 offset=${VIDEO_BYTES}`);
    for (const key of keys) await assertServed(urls, key, video);
  });

  it(`${CLIENT}: termination (abort(true)) after 6 MiB of 3 MiB chunks: DELETE 204, HEAD 404, nothing stored, and a new upload to the key works`, { timeout: 180000 }, async () => {
    const key = newKey();
    const first = tusUpload(createReadStream(video), urls.put(key), { chunkSize: 3 * MiB, stop: (upload, accepted) => accepted >= 6 * MiB && upload.abort(true) });
    await untilStopped(first);
    assertHeaders(first);
    assert.deepEqual(first.log.filter((l) => l.startsWith("PATCH 204")), [`PATCH 204 offset=${3 * MiB}`, `PATCH 204 offset=${6 * MiB}`]);
    assert.deepEqual(first.log.slice(-2), ["DELETE", "DELETE 204"], first.log.join("\n"));
    await assertNothing(urls, key);

    const again = tusUpload(createReadStream(video), urls.put(key));
    await again.start();
    assertHeaders(again);
    assert.deepEqual(again.log, ["POST", "POST 201", "PATCH @0", `PATCH 204 offset=${VIDEO_BYTES}`], "a new POST starts a new upload from 0");
    await assertServed(urls, key, video);
  });

  it(`${CLIENT}: a mislabelled file (HTML, then a PNG, as filetype video/mp4 with a video/mp4 token): onError with 415 type_mismatch, nothing stored`, { timeout: 60000 }, async () => {
    // The gate answers these from their first bytes, before the body's end: wrangler dev's proxy
    // may then hold the next request, which the cut proxy's nudge lets through (tests/lib/tus.mjs).
    const html = Buffer.from("<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n".repeat(64));
    const png = readFileSync(path.join(ROOT, "build/demo/photo.png"));
    for (const [what, bytes] of [["HTML", html], ["PNG", png]]) {
      const key = newKey();
      const u = tusUpload(bytes, urls.put(key));
      const err = await u.start().then(
        () => assert.fail(`${what}: the upload succeeded`),
        (e) => e,
      );
      assert.ok(err instanceof tus.DetailedError, `${what}: ${err}`);
      assert.equal(err.originalResponse?.getStatus(), 415, `${what}: ${err.message}`);
      assert.equal(err.originalResponse.getBody(), "type_mismatch", what);
      assert.deepEqual(u.log, ["POST", "POST 201", "PATCH @0", "PATCH 415"], `${what}: not retried`);
      assertHeaders(u);
      await assertNothing(urls, key);
    }
  });

  // Last in this describe (with the next): it stops the shared wrangler dev and starts it again.
  it(`${CLIENT}: wrangler dev (and with it the upload's state holder) stopped after 7 MiB of 1 MiB PATCHes and started again on the same local state: findPreviousUploads resumes at 7 MiB, byte-identical`, { timeout: 240000 }, async () => {
    const key = newKey();
    mkdirSync(path.join(ROOT, "build/tmp"), { recursive: true });
    const store = path.join(ROOT, "build/tmp", `tus-urls-${randomBytes(6).toString("hex")}.json`);
    writeFileSync(store, "{}");
    const urlStorage = new tus.FileUrlStorage(store);
    const endpoint = urls.put(key);
    const first = tusUpload(createReadStream(video), endpoint, { chunkSize: 1 * MiB, urlStorage, stop: (upload, accepted) => accepted >= 7 * MiB && upload.abort(false) });
    await untilStopped(first);
    assertHeaders(first);
    assert.equal(first.log.at(-1), `PATCH 204 offset=${7 * MiB}`);

    await gate.dev.stop();
    proxy.dropConnections();
    gate = await startGate(persist);
    proxy.setUpstream(gate.upstream);

    const again = tusUpload(createReadStream(video), endpoint, { urlStorage });
    const previous = await again.upload.findPreviousUploads();
    assert.equal(previous.length, 1, "the client stored the upload URL");
    again.upload.resumeFromPreviousUpload(previous[0]);
    await again.start();
    assertHeaders(again);
    assert.deepEqual(again.log, ["HEAD", `HEAD 200 offset=${7 * MiB}`, `PATCH @${7 * MiB}`, `PATCH 204 offset=${VIDEO_BYTES}`], "resumed where the gate had acknowledged, after the restart");
    await assertServed(urls, key, video);
  });

  it(`${CLIENT}, default options: wrangler dev stopped while the one PATCH is held after 8 MiB, started again on the same local state: findPreviousUploads resumes where the gate's state says (423 until the dead PATCH's lease lapses), byte-identical`, { timeout: 240000 }, async (t) => {
    const key = newKey();
    const store = path.join(ROOT, "build/tmp", `tus-urls-${randomBytes(6).toString("hex")}.json`);
    writeFileSync(store, "{}");
    const urlStorage = new tus.FileUrlStorage(store);
    const endpoint = urls.put(key);
    const held = proxy.holdAfter("PATCH", 8 * MiB);
    const first = tusUpload(createReadStream(video), endpoint, { urlStorage, retryDelays: null });
    const failed = first.start().then(() => null, (err) => err);
    assert.equal(await held, `PATCH /m/${keyPath(key)} HTTP/1.1`);
    await gate.dev.stop();
    const err = await failed;
    assert.ok(err, "the PATCH failed when wrangler dev stopped");
    assert.deepEqual(first.log, ["POST", "POST 201", "PATCH @0"], "the held PATCH got no answer");

    proxy.dropConnections();
    gate = await startGate(persist);
    proxy.setUpstream(gate.upstream);
    // More retries than RETRY's 40 s: the lease may have nearly all of its 30 s left.
    const again = tusUpload(createReadStream(video), endpoint, { urlStorage, retryDelays: [...RETRY, 10000, 10000] });
    const previous = await again.upload.findPreviousUploads();
    assert.equal(previous.length, 1, "the client stored the upload URL");
    again.upload.resumeFromPreviousUpload(previous[0]);
    await again.start();
    assertHeaders(again);
    const resumedAt = Number(again.log[1].split("=")[1]);
    assert.match(again.log[1], /^HEAD 200 offset=\d+$/);
    assert.ok(resumedAt <= 8 * MiB, `the gate says ${resumedAt}: never more than the 8 MiB it received`);
    // The stopped PATCH's lease outlives it (up to 30 s, docs/UPLOADS.md "Lease and epoch"): until it
    // lapses every PATCH is 423 and changes nothing, and the client retries (RETRY outlasts it).
    const rest = again.log.slice(2);
    assert.equal(rest.at(-1), `PATCH 204 offset=${VIDEO_BYTES}`, again.log.join("\n"));
    for (const l of rest.slice(0, -1)) assert.ok([`PATCH @${resumedAt}`, "PATCH 423", "HEAD", `HEAD 200 offset=${resumedAt}`].includes(l), `${l}\n${again.log.join("\n")}`);
    t.diagnostic(`resumed at ${resumedAt} after the restart, after ${rest.filter((l) => l === "PATCH 423").length} answers 423`);
    await assertServed(urls, key, video);
  });
});

describe(`tus expiry with ${CLIENT}: wrangler dev with MEDIA_UPLOAD_EXPIRY_SECONDS=2`, () => {
  let gate, proxy, urls;
  const persist = stateDir();
  before(async () => {
    gate = await startGate(persist, { DEV_VARS: "MEDIA_UPLOAD_EXPIRY_SECONDS:2" });
    proxy = await startCutProxy(gate.upstream);
    urls = gateUrls(proxy, secretOf());
  });
  after(async () => {
    await proxy?.close();
    await gate?.dev.stop();
    rmSync(persist, { recursive: true, force: true });
  });

  it(`${CLIENT}: an upload created and sent 64 KiB expires: HEAD turns 404, nothing stored, and a new POST creates a new upload`, { timeout: 120000 }, async () => {
    const key = newKey();
    const first = tusUpload(createReadStream(tusVideo()), urls.put(key), { chunkSize: 64 * 1024, retryDelays: null, stop: (upload) => upload.abort(false) });
    await untilStopped(first);
    assertHeaders(first);
    assert.deepEqual(first.log, ["POST", "POST 201", "PATCH @0", "PATCH 204 offset=65536"]);
    const expires = first.expires;
    assert.match(expires, /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/);
    assert.ok(Date.parse(expires) <= Date.now() + 3000, `Upload-Expires ${expires} is 2 s after creation`);

    // Poll until the gate says the upload is gone (bounded: 600 polls, 100 ms apart).
    let status = 0;
    for (let i = 0; i < 600 && status !== 404; i++) {
      const head = await fetch(urls.put(key), { method: "HEAD", headers: { "tus-resumable": "1.0.0" } });
      status = head.status;
      if (status !== 404) {
        assert.equal(status, 200, "HEAD before the expiry");
        await sleep(100);
      }
    }
    assert.equal(status, 404, "HEAD after the expiry");
    await assertNothing(urls, key);

    const again = tusUpload(createReadStream(tusVideo()), urls.put(key), { onUploadUrlAvailable: () => (again.stopped = again.upload.abort(false)) });
    await untilStopped(again);
    assertHeaders(again);
    assert.deepEqual(again.log, ["POST", "POST 201"], "a new upload is created after the expiry");
  });
});
