// The upload demo page of scripts/dev.sh, driven by headless Chromium (Debian's /usr/bin/chromium
// through playwright-core) as a person would: pick a photo, a video and a wrong file on the page
// (tools/upload-demo.html, served by tools/dev-front.mjs on the same origin as /m/*). The page
// uploads each as the app's frontend does (a fetch PUT of the file with its content-type) through
// wrangler dev, then shows it back through the gate. The test checks what a person sees (the photo
// drawn, the video playing and seeking with a public and a private token, the refusal's word) and
// what the gate serves back (the uploaded bytes, byte for byte). It writes a screenshot of the
// page to build/screenshots/upload-demo.png (README's picture is a copy: docs/images/).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdirSync, existsSync } from "node:fs";
import path from "node:path";
import { launchChromium, installPlayAndSeek } from "../lib/browser.mjs";
import { ROOT } from "../worker/helpers.js";
import { startDev } from "../lib/dev.mjs";

const SHOT = path.join(ROOT, "build/screenshots/upload-demo.png");

const media = (f) => {
  const file = path.join(ROOT, "build/media", f);
  if (!existsSync(file)) throw new Error(`${file} is missing: run scripts/setup.sh (it makes the test media with ffmpeg)`);
  return file;
};
const PHOTO = media("photo.jpg"); // 480x320 JPEG
const VIDEO = media("clip.mp4"); // 4 s, 320x240, H.264
// An HTML page under a photo's name: the browser declares it image/png, the gate reads its first bytes.
const WRONG = { name: "not-a-photo.png", mimeType: "image/png", buffer: Buffer.from("<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n") };

describe("the upload demo page of scripts/dev.sh, in headless Chromium", () => {
  let dev, browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await dev?.stop();
  });

  it("uploads a photo and a video as the app does, shows and plays them back byte-identical, and shows type_mismatch for HTML named .png", { timeout: 300000 }, async () => {
    dev = startDev([], "Ctrl-C to stop.");
    assert.ok(await dev.ready, `dev.sh did not come up:\n${dev.out().slice(-3000)}`);
    const printed = dev.out().match(/upload demo page \((\d+)\): (\S+)/);
    assert.ok(printed, dev.out());
    assert.equal(printed[1], "200");
    const pageUrl = printed[2];
    const origin = new URL(pageUrl).origin;
    assert.match(dev.out(), new RegExp(`mediagate is running on ${origin} `), "the page and /m/* share one origin");

    const context = await browser.newContext({ viewport: { width: 900, height: 700 }, deviceScaleFactor: 1 });
    try {
      const p = await context.newPage();
      await p.goto(pageUrl);
      const input = p.locator("#file");
      await input.setInputFiles([PHOTO, VIDEO]);
      await input.setInputFiles(WRONG);
      await p.waitForFunction(() => window.uploads.length === 3 && window.uploads.every((u) => u.shown));
      const [photo, video, wrong] = await p.evaluate(() => window.uploads);

      // The photo: stored (201), drawn on the page from its public URL.
      assert.deepEqual([photo.name, photo.type, photo.ok, photo.status], ["photo.jpg", "image/jpeg", true, 201]);
      assert.ok(photo.shown.ok && photo.shown.w > 0, `the photo is drawn: ${JSON.stringify(photo.shown)}`);
      assert.deepEqual([photo.shown.w, photo.shown.h], [480, 320]);
      assert.equal(await p.locator("img").first().evaluate((img) => img.naturalWidth), 480);

      // The video: stored, and plays and seeks through /m/* with the public and the private token.
      assert.deepEqual([video.name, video.type, video.ok, video.status], ["clip.mp4", "video/mp4", true, 201]);
      assert.ok(video.shown.ok, `the video reached loadedmetadata: ${JSON.stringify(video.shown)}`);
      await installPlayAndSeek(p);
      const played = await p.evaluate(playAndSeekIn, { privateUrl: video.private });
      for (const [which, seen] of Object.entries(played)) {
        assert.equal(seen.error, null, `${which}: no media error`);
        assert.equal(seen.duration, 4, which);
        assert.deepEqual([seen.width, seen.height], [320, 240], which);
        assert.ok(Math.abs(seen.seekedTo - 2) < 0.05, `${which}: seeked to ${seen.seekedTo}`);
        assert.ok(seen.playedTo > seen.seekedTo, `${which}: played on from the seek to ${seen.playedTo}`);
      }

      // The wrong file: refused with the gate's word, shown on the page, and nothing stored.
      assert.deepEqual([wrong.name, wrong.type, wrong.ok, wrong.status, wrong.reason], ["not-a-photo.png", "image/png", false, 415, "type_mismatch"]);
      assert.equal(await p.locator("li.refused .reason").textContent(), "type_mismatch");
      const after = await fetch(origin + wrong.public);
      assert.deepEqual([after.status, await after.text()], [404, "not_found"]);

      // What the gate serves back: the uploaded bytes, whole, with the declared type, to both tokens.
      for (const [u, file] of [[photo, PHOTO], [video, VIDEO]]) {
        const want = readFileSync(file);
        for (const url of [u.public, u.private]) {
          const r = await fetch(origin + url);
          assert.equal(r.status, 200, url.split("?")[0]);
          assert.equal(r.headers.get("content-type"), u.type);
          assert.equal(r.headers.get("content-length"), String(want.length));
          const got = Buffer.from(await r.arrayBuffer());
          assert.ok(got.equals(want), `${u.name}: ${got.length} bytes served back, ${want.length} uploaded, byte-identical`);
        }
      }

      // The page as a person sees it after the three uploads.
      mkdirSync(path.dirname(SHOT), { recursive: true });
      await p.evaluate(() => document.activeElement?.blur());
      await p.screenshot({ path: SHOT, fullPage: true, animations: "disabled", caret: "hide" });
      assert.ok(readFileSync(SHOT).length > 1000, "the screenshot was written");
    } finally {
      await context.close();
    }
  });
});

// Runs in the page: plays and seeks the page's own <video> (public URL), then a second <video>
// with the private URL, as a person would: metadata, play, seek to the middle, play on, pause.
// Rejects on a media error.
async function playAndSeekIn({ privateUrl }) {
  const out = { public: await window.mgPlayAndSeek(document.querySelector("video")) };
  const priv = Object.assign(document.createElement("video"), { src: privateUrl, muted: true, playsInline: true, preload: "auto" });
  document.body.append(priv);
  out.private = await window.mgPlayAndSeek(priv);
  priv.remove();
  return out;
}
