// The README's local command, end to end: scripts/dev.sh starts wrangler dev
// on local R2 with demo media and prints sample URLs; those URLs must work.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./helpers.js";
import { startDev } from "../lib/dev.mjs";

describe("scripts/dev.sh", () => {
  let dev;
  after(() => {
    dev?.stop();
  });

  it("serves the printed public, private, Range and video sample URLs on 127.0.0.1", { timeout: 240000 }, async () => {
    dev = startDev([], "Ctrl-C to stop.");
    const ready = await dev.ready;
    assert.ok(ready, `dev.sh did not come up:\n${dev.out().slice(-3000)}`);
    const pub = dev.out().match(/public image\s+\((\d+)\):\s+(\S+)/);
    const priv = dev.out().match(/private image \((\d+)[^)]*\):\s+(\S+)/);
    const range = dev.out().match(/Range request \((\d+)\):\s+curl .* '(\S+)'/);
    assert.ok(pub && priv && range, dev.out());

    const whole = await fetch(pub[2]);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get("content-type"), "image/png");
    assert.equal(whole.headers.get("cache-control"), "public, max-age=31536000, immutable");
    const png = new Uint8Array(await whole.arrayBuffer());
    assert.deepEqual([...png.slice(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"

    const p = await fetch(priv[2]);
    assert.equal(p.status, 200);
    assert.equal(p.headers.get("cache-control"), "private, no-store");
    await p.arrayBuffer();

    const part = await fetch(range[2], { headers: { range: "bytes=0-1" } });
    assert.equal(part.status, 206);
    assert.match(part.headers.get("content-range"), /^bytes 0-1\/\d+$/);
    assert.equal((await part.arrayBuffer()).byteLength, 2);

    // The demo video: each printed URL plays, i.e. answers a Range with a 206 of
    // the right type and the container's first bytes.
    const videos = [
      ["public MP4 \\(H\\.264\\)", "video/mp4", "public, max-age=31536000, immutable"],
      ["public WebM", "video/webm", "public, max-age=31536000, immutable"],
      ["private MP4 \\(1 hour\\)", "video/mp4", "private, no-store"],
      ["private WebM \\(1 hour\\)", "video/webm", "private, no-store"],
    ];
    assert.match(dev.out(), /Range: bytes=1000- answers 206, 206, 206, 206\)/);
    for (const [label, type, cc] of videos) {
      const m = dev.out().match(new RegExp(`${label}:\\s+(\\S+)`));
      assert.ok(m, `no ${label} URL in:\n${dev.out()}`);
      const head = await fetch(m[1], { headers: { range: "bytes=0-11" } });
      assert.equal(head.status, 206, label);
      assert.equal(head.headers.get("content-type"), type);
      assert.equal(head.headers.get("cache-control"), cc);
      assert.match(head.headers.get("content-range"), /^bytes 0-11\/\d+$/);
      const bytes = new Uint8Array(await head.arrayBuffer());
      if (type === "video/mp4") assert.equal(Buffer.from(bytes.slice(4, 8)).toString("latin1"), "ftyp");
      else assert.deepEqual([...bytes.slice(0, 4)], [0x1a, 0x45, 0xdf, 0xa3]); // EBML
    }
    // The hints print a verify that carries the secret (a bare verify answers not_configured).
    assert.match(dev.out(), /export MEDIA_TOKEN_SECRET="\$\(sed -n 's\/\^MEDIA_TOKEN_SECRET=\/\/p' \.dev\.vars\)"/);

    // The upload demo page, on the same origin as /m/* (tests/browser/upload-demo.test.js drives
    // it in Chromium): uploads are on, and its dev-only signer hands out working put URLs.
    const page = dev.out().match(/upload demo page \((\d+)\): (\S+)/);
    assert.ok(page, dev.out());
    assert.equal(page[1], "200");
    assert.equal(new URL(page[2]).origin, new URL(pub[2]).origin);
    const html = await fetch(page[2]);
    assert.equal(html.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(await html.text(), /<input id="file" type="file"/);
    const signed = await (await fetch(new URL("/upload-demo/sign", page[2]), { method: "POST", body: JSON.stringify({ type: "image/png" }) })).json();
    assert.match(signed.key, /^u\/demo-uploads\/[0-9a-f]{32}\.png$/);
    const origin = new URL(page[2]).origin;
    const put = await fetch(origin + signed.upload, { method: "PUT", headers: { "content-type": "image/png" }, body: png });
    const stored = await put.text();
    assert.equal(put.status, 201, stored);
    const { key, size, content_type } = JSON.parse(stored);
    assert.deepEqual({ key, size, content_type }, { key: signed.key, size: png.length, content_type: "image/png" });
    const back = await fetch(origin + signed.private);
    assert.equal(back.status, 200);
    assert.ok(Buffer.from(await back.arrayBuffer()).equals(Buffer.from(png)), "the uploaded bytes are served back");

    const denied = await fetch(pub[2].replace(/t=[^&]+/, "t=x.y"));
    assert.equal(denied.status, 401);
    assert.equal(await denied.text(), "forbidden");

    // The synthetic canary (docs/RUNBOOK.md) against this server passes...
    const base = new URL(pub[2]).origin;
    const secret = readFileSync(path.join(ROOT, ".dev.vars"), "utf8").match(/^MEDIA_TOKEN_SECRET=(.*)$/m)[1];
    const canary = spawnSync("bash", ["scripts/media_canary_smoke.sh", base], { cwd: ROOT, env: { ...process.env, MEDIA_TOKEN_SECRET: secret }, encoding: "utf8" });
    assert.equal(canary.status, 0, canary.stdout + canary.stderr);
    assert.match(canary.stdout, /canary: all \d+ checks passed/);
    assert.ok(!canary.stdout.includes(secret));
    // ...and against a deployment whose secret differs from the backend's, it
    // fails, readably, pointing at the fingerprints.
    const wrong = spawnSync("bash", ["scripts/media_canary_smoke.sh", base], { cwd: ROOT, env: { ...process.env, MEDIA_TOKEN_SECRET: "not-the-deployed-secret" }, encoding: "utf8" });
    assert.equal(wrong.status, 1, wrong.stdout + wrong.stderr);
    assert.match(wrong.stdout, /FAIL  public GET status: got \[401\], want \[200\]/);
    assert.match(wrong.stdout, /checks FAILED/);
    assert.match(wrong.stdout, /the secrets probably differ/);
    assert.ok(!/t=[A-Za-z0-9_-]{10}/.test(wrong.stdout), "the report prints no token");
    // ...and when the canary object was never uploaded, it stops at its first check
    // with one message saying how to upload it, not a list of failures.
    const missing = spawnSync("bash", ["scripts/media_canary_smoke.sh", base], { cwd: ROOT, env: { ...process.env, MEDIA_TOKEN_SECRET: secret, MEDIA_CANARY_KEY: "u/canary/never-uploaded.png" }, encoding: "utf8" });
    assert.equal(missing.status, 1, missing.stdout + missing.stderr);
    assert.match(missing.stdout, /canary: STOP: u\/canary\/never-uploaded\.png is not in the deployment's bucket \(404 not_found\)/);
    assert.match(missing.stdout, /npx wrangler r2 object put <bucket>\/u\/canary\/never-uploaded\.png/);
    assert.doesNotMatch(missing.stdout, /FAIL/);
  });
});
