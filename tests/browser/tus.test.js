// tus in a browser: headless Chromium (Debian's /usr/bin/chromium through playwright-core) loads
// the upload demo page of scripts/dev.sh, and in it the real client's browser bundle,
// tus-js-client 4.3.1 (node_modules/tus-js-client/dist/tus.min.js, served by tools/dev-front.mjs on
// the page's origin). The page picks the 20 MiB H.264 test video (tests/lib/tus.mjs) from a file
// input, asks the dev signer for a put URL as the app asks its backend, and uploads it with
// tus-js-client in 3 MiB chunks (so parts and tails both occur) through the same origin to wrangler
// dev. Then a <video> plays and seeks it through /m/* with the public and then the private token,
// and the bytes served back are compared with the file by SHA-256.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../worker/helpers.js";
import { launchChromium, installPlayAndSeek } from "../lib/browser.mjs";
import { startDev } from "../lib/dev.mjs";
import { MiB, VIDEO_BYTES, tusVideo, sha256 } from "../lib/tus.mjs";

const CLIENT = "tus-js-client 4.3.1 (browser bundle, headless Chromium)";

describe(`tus uploads with ${CLIENT} through scripts/dev.sh`, () => {
  let dev, browser;
  const video = tusVideo();
  // wrangler dev's local state in a directory of its own, deleted afterwards (dev.sh's DEV_PERSIST).
  mkdirSync(path.join(ROOT, "build/tmp"), { recursive: true });
  const persist = mkdtempSync(path.join(ROOT, "build/tmp/tus-state-"));
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await dev?.stop();
    rmSync(persist, { recursive: true, force: true });
  });

  it(`${CLIENT}: uploads the 20 MiB MP4 in 3 MiB chunks, then plays and seeks it through /m/* with a public and a private token; served back byte-identical`, { timeout: 300000 }, async () => {
    dev = startDev([], "Ctrl-C to stop.", { env: { DEV_PERSIST: persist } });
    assert.ok(await dev.ready, `dev.sh did not come up:\n${dev.out().slice(-3000)}`);
    const printed = dev.out().match(/upload demo page \((\d+)\): (\S+)/);
    assert.ok(printed, dev.out());
    const origin = new URL(printed[2]).origin;

    const context = await browser.newContext();
    try {
      const p = await context.newPage();
      await p.goto(printed[2]);
      await p.addScriptTag({ url: "/upload-demo/tus.min.js" });
      assert.equal(await p.evaluate(() => typeof window.tus?.Upload === "function" && window.tus.isSupported), true, "the bundle loaded");
      await p.evaluate(() => {
        const input = Object.assign(document.createElement("input"), { type: "file", id: "tus-file", accept: "video/*" });
        document.body.append(input);
      });
      await p.setInputFiles("#tus-file", { name: "tus-20mib.mp4", mimeType: "video/mp4", buffer: readFileSync(video) });

      const result = await p.evaluate(uploadWithTus, { chunkSize: 3 * MiB });
      assert.equal(result.error, null, result.log.join("\n"));
      const offsets = result.log.filter((l) => l.startsWith("PATCH 204")).map((l) => Number(l.split("=")[1]));
      const want = [];
      for (let at = 3 * MiB; at < VIDEO_BYTES; at += 3 * MiB) want.push(at);
      want.push(VIDEO_BYTES);
      assert.deepEqual(offsets, want, `every PATCH acknowledged whole: ${result.log.join(", ")}`);
      assert.equal(result.log[0], "POST");
      assert.equal(result.log[1], "POST 201");

      await installPlayAndSeek(p);
      const played = await p.evaluate(playAndSeekIn, { urls: [result.signed.public, result.signed.private] });
      for (const [i, seen] of played.entries()) {
        const which = i === 0 ? "public" : "private";
        assert.equal(seen.error, null, `${which}: no media error`);
        assert.equal(seen.duration, 10, which);
        assert.deepEqual([seen.width, seen.height], [1280, 720], which);
        assert.ok(Math.abs(seen.seekedTo - 5) < 0.05, `${which}: seeked to ${seen.seekedTo}`);
        assert.ok(seen.playedTo > seen.seekedTo, `${which}: played on from the seek to ${seen.playedTo}`);
      }

      const wantHash = sha256(readFileSync(video));
      for (const url of [result.signed.public, result.signed.private]) {
        const r = await fetch(origin + url);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get("content-type"), "video/mp4");
        assert.equal(sha256(Buffer.from(await r.arrayBuffer())), wantHash, "served back byte-identical");
      }
    } finally {
      await context.close();
    }
  });
});

// Runs in the page: a put URL from the dev signer (the backend's sign-upload), then the picked file
// uploaded with tus-js-client to it. Resolves with the signer's answer, the client's log of requests
// and answers, and onError's message (null on success).
async function uploadWithTus({ chunkSize }) {
  const file = document.querySelector("#tus-file").files[0];
  const signed = await (await fetch("/upload-demo/sign", { method: "POST", body: JSON.stringify({ type: file.type }) })).json();
  const log = [];
  const error = await new Promise((resolve) => {
    const upload = new window.tus.Upload(file, {
      endpoint: location.origin + signed.upload,
      chunkSize,
      metadata: { filetype: file.type },
      removeFingerprintOnSuccess: true,
      onBeforeRequest: (req) => void log.push(req.getMethod()),
      onAfterResponse(req, res) {
        const offset = res.getHeader("Upload-Offset");
        log.push(`${req.getMethod()} ${res.getStatus()}${offset == null ? "" : ` offset=${offset}`}`);
      },
      onSuccess: () => resolve(null),
      onError: (err) => resolve(String(err)),
    });
    upload.start();
  });
  return { signed, log, error };
}

// Runs in the page: for each URL a <video> plays it, seeks to the middle and plays on, as a person
// would. Rejects on a media error.
async function playAndSeekIn({ urls }) {
  const out = [];
  for (const src of urls) {
    const v = Object.assign(document.createElement("video"), { src, muted: true, playsInline: true, preload: "auto" });
    document.body.append(v);
    out.push(await window.mgPlayAndSeek(v));
    v.remove();
  }
  return out;
}
