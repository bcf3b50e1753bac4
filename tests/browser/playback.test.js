// Real clients: headless Chromium (Debian's /usr/bin/chromium driven by playwright-core; no browser
// is ever downloaded) against the Worker under Miniflare, page and media on one loopback origin
// (tests/browser/front.js). Each test asserts what a person would see, checks the spans the
// Worker answered, and records a HAR (build/har) that `scripts/mediagate fixtures record` turns
// into tests/fixtures/*.jsonl; the last test converts this run's recordings and replays them on
// the native core and the Wasm.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdirSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { launchChromium } from "../lib/browser.mjs";
import { ROOT, SECRET, mint, mintRaw, quotePath } from "../worker/helpers.js";
import { startFront, spanProblems } from "./front.js";
import { SETS } from "./sets.js";
import { fromHar, formatSet } from "../lib/fixtures.mjs";
import { replaySet, renderTable, renderDiffs } from "../lib/replay.mjs";

const HAR_DIR = process.env.MG_HAR_DIR || path.join(ROOT, "build/har");
const MEDIA = path.join(ROOT, "build/media");

const read = (f) => {
  const file = path.join(MEDIA, f);
  if (!existsSync(file)) throw new Error(`${file} is missing: run scripts/setup.sh (it makes the test media with ffmpeg)`);
  return new Uint8Array(readFileSync(file));
};
const hex = (i) => (i.toString(16).padStart(2, "0") + "9d1c4e7a2b5f8036a1e4c7b0d3f62").slice(0, 32);

const K = {
  jpg: "u/me_1/3f2a9c0e5b7d41a8b6c2d9e0f1a2b3c4.jpg",
  webp: "u/me_1/8e1d2c3b4a5f60718293a4b5c6d7e8f9.webp",
  priv: "u/me_1/c0ffee00c0ffee00c0ffee00c0ffee00.jpg",
  unicode: "u/me_2/café 😀.jpg",
  missing: "u/me_1/00000000000000000000000000000000.png",
  mp4: "u/me_1/5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a.mp4",
  webm: "u/me_1/6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b.webm",
  gallery: (i) => `u/me_3/${hex(i)}.${i % 2 ? "webp" : "jpg"}`,
  feed: (i) => `u/me_4/${hex(i + 40)}.jpg`,
};

function objects() {
  const jpg = read("photo.jpg");
  const webp = read("photo.webp");
  const o = {
    [K.jpg]: { body: jpg, type: "image/jpeg" },
    [K.webp]: { body: webp, type: "image/webp" },
    [K.priv]: { body: jpg, type: "image/jpeg" },
    [K.unicode]: { body: jpg, type: "" },
    [K.mp4]: { body: read("clip.mp4"), type: "application/octet-stream" },
    [K.webm]: { body: read("clip.webm"), type: "video/webm" },
  };
  for (let i = 0; i < 6; i++) o[K.gallery(i)] = { body: i % 2 ? webp : jpg, type: i % 2 ? "image/webp" : "image/jpeg" };
  for (let i = 0; i < 8; i++) o[K.feed(i)] = { body: jpg, type: "image/jpeg" };
  return o;
}

const now = () => Math.floor(Date.now() / 1000);
const pub = (key) => `/m/${quotePath(key)}?t=${mint(key)}`;
const priv = (key, ttl = 600) => `/m/${quotePath(key)}?t=${mint(key, { mode: "priv", exp: now() + ttl })}`;
const expired = (key) => `/m/${quotePath(key)}?t=${mint(key, { mode: "priv", exp: now() - 11 * 3600 })}`;

// Every test page: images report their outcome (load or error) into window.outcomes, and
// window.settled(ids) waits for those outcomes: events, not clocks.
function page(title, body) {
  return `<!doctype html><meta charset="utf-8"><title>${title}</title>
<style>img{display:block;width:160px;height:100px;margin:8px} .spacer{height:4000px} video{width:320px}</style>
<script>
window.outcomes = {};
const waiters = {};
function done(el, ok) {
  outcomes[el.id] = { ok, w: el.naturalWidth, h: el.naturalHeight };
  (waiters[el.id] || []).forEach((f) => f());
}
window.settled = (ids) => Promise.all(ids.map((id) => outcomes[id] ? 0 : new Promise((r) => (waiters[id] ||= []).push(r))))
  .then(() => Object.fromEntries(ids.map((id) => [id, outcomes[id]])));
// Plays a video as a person would: metadata, play, seek to the middle, play on; then looks at
// the frame on screen (how many distinct colours a sample of its pixels has).
window.playAndSeek = async (v) => {
  const failed = new Promise((_, reject) => v.addEventListener("error", () => reject(new Error("media error " + (v.error && v.error.code) + ": " + (v.error && v.error.message))), { once: true }));
  const next = (name) => Promise.race([new Promise((r) => v.addEventListener(name, r, { once: true })), failed]);
  if (v.error) throw new Error("media error " + v.error.code + ": " + v.error.message);
  if (v.readyState < 1) await next("loadedmetadata");
  const meta = { duration: v.duration, width: v.videoWidth, height: v.videoHeight };
  await Promise.race([v.play(), failed]);
  while (v.currentTime < 0.5) await next("timeupdate");
  const mid = v.duration / 2;
  v.currentTime = mid;
  await next("seeked");
  const seekedTo = v.currentTime;
  while (v.currentTime < mid + 0.3) await next("timeupdate");
  v.pause();
  const c = document.createElement("canvas");
  c.width = v.videoWidth;
  c.height = v.videoHeight;
  const g = c.getContext("2d");
  g.drawImage(v, 0, 0);
  const px = g.getImageData(0, 0, c.width, c.height).data;
  const colours = new Set();
  for (let i = 0; i < px.length; i += 4 * 61) colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
  return { ...meta, seekedTo, playedTo: v.currentTime, frames: v.getVideoPlaybackQuality().totalVideoFrames, colours: colours.size };
};
</script>
${body}`;
}
const img = (id, src, extra = "") => `<img id="${id}" src="${src}" ${extra} alt="" onload="done(this, true)" onerror="done(this, false)">`;

describe("headless Chromium against the Worker, one origin on 127.0.0.1", () => {
  let front, browser, stored;
  before(async () => {
    mkdirSync(HAR_DIR, { recursive: true });
    stored = objects();
    front = await startFront(stored);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await front?.close();
  });

  // A fresh browser context (own profile state, caches, service workers) recording a HAR.
  async function withContext(har, fn) {
    const context = await browser.newContext({ recordHar: { path: path.join(HAR_DIR, har), content: "embed" } });
    try {
      return await fn(context);
    } finally {
      await context.close(); // writes the HAR
    }
  }
  const logFor = (key, from = 0) => front.log.slice(from).filter((e) => e.path.split("?")[0] === `/m/${quotePath(key)}`);

  it("gallery: public and private images render, a missing one fails, lazy images load on scroll, a prefetch loads", { timeout: 60000 }, async () => {
    const mark = front.log.length;
    front.pages.set("/gallery.html", page("gallery", [
      img("jpg", pub(K.jpg)),
      img("webp", pub(K.webp)),
      img("priv", priv(K.priv)),
      img("unicode", pub(K.unicode)),
      img("missing", pub(K.missing)),
      '<div class="spacer"></div>',
      ...[0, 1, 2, 3, 4].map((i) => img(`lazy${i}`, pub(K.gallery(i)), 'loading="lazy"')),
      `<script>window.prefetched = new Promise((resolve) => { const im = new Image(); im.onload = () => resolve({ ok: true, w: im.naturalWidth }); im.onerror = () => resolve({ ok: false, w: 0 }); im.src = ${JSON.stringify(pub(K.gallery(5)))}; });</script>`,
    ].join("\n")));
    await withContext("gallery.har", async (context) => {
      const p = await context.newPage();
      await p.goto(`${front.origin}/gallery.html`);
      const eager = await p.evaluate(() => window.settled(["jpg", "webp", "priv", "unicode", "missing"]));
      for (const id of ["jpg", "priv", "unicode"]) assert.deepEqual([eager[id].ok, eager[id].w, eager[id].h], [true, 480, 320], `${id}: ${JSON.stringify(eager[id])}`);
      assert.deepEqual([eager.webp.ok, eager.webp.w, eager.webp.h], [true, 320, 200]);
      assert.deepEqual([eager.missing.ok, eager.missing.w], [false, 0], "a missing image shows as broken");
      await p.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      const lazy = await p.evaluate(() => window.settled(["lazy0", "lazy1", "lazy2", "lazy3", "lazy4"]));
      for (const [id, o] of Object.entries(lazy)) assert.ok(o.ok && o.w > 0 && o.h > 0, `${id}: ${JSON.stringify(o)}`);
      const pre = await p.evaluate(() => window.prefetched);
      assert.deepEqual(pre, { ok: true, w: 320 }, "the prefetched WebP (320x200) loads");
    });
    // What the Worker answered: whole images with the cache policy of their token.
    const [pubAnswer] = logFor(K.jpg, mark);
    assert.equal(pubAnswer.status, 200);
    assert.equal(pubAnswer.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal(pubAnswer.headers["cross-origin-resource-policy"], "same-origin");
    const [privAnswer] = logFor(K.priv, mark);
    assert.equal(privAnswer.headers["cache-control"], "private, no-store");
    const [missing] = logFor(K.missing, mark);
    assert.deepEqual([missing.status, missing.text, missing.headers["cache-control"]], [404, "not_found", "public, max-age=60"]);
    for (const key of [K.jpg, K.webp, K.priv, K.unicode, ...[0, 1, 2, 3, 4, 5].map(K.gallery)]) {
      const answers = logFor(key, mark);
      assert.ok(answers.length >= 1, `${key} was requested`);
      for (const e of answers) assert.deepEqual(spanProblems(e, stored[key].body.length), []);
    }
  });

  it("expired private tokens from a warm page cache: scrolling a feed, fresh images render and expired ones fail with 401 expired", { timeout: 60000 }, async () => {
    const mark = front.log.length;
    const isExpired = (i) => i % 3 === 1;
    front.pages.set("/feed.html", page("feed", [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `<div class="spacer" style="height:900px"></div>${img(`f${i}`, isExpired(i) ? expired(K.feed(i)) : priv(K.feed(i)), 'loading="lazy"')}`).join("\n")));
    await withContext("expired-scroll.har", async (context) => {
      const p = await context.newPage();
      await p.goto(`${front.origin}/feed.html`);
      for (let i = 0; i < 8; i++) {
        const id = `f${i}`;
        await p.evaluate((id) => document.getElementById(id).scrollIntoView(), id);
        const o = (await p.evaluate((id) => window.settled([id]), id))[id];
        if (isExpired(i)) assert.deepEqual([o.ok, o.w], [false, 0], `${id} (expired token) shows as broken`);
        else assert.deepEqual([o.ok, o.w, o.h], [true, 480, 320], `${id} renders`);
      }
    });
    for (let i = 0; i < 8; i++) {
      const [e] = logFor(K.feed(i), mark);
      assert.equal(e.headers["cache-control"], "private, no-store");
      if (isExpired(i)) assert.deepEqual([e.status, e.text], [401, "expired"]);
      else assert.deepEqual(spanProblems(e, stored[K.feed(i)].body.length), []);
    }
  });

  for (const [name, key, mint_, type] of [
    ["mp4", K.mp4, priv, "video/mp4"],
    ["webm", K.webm, pub, "video/webm"],
  ]) {
    it(`${name}: a <video> reaches loadedmetadata, plays, seeks to the middle and plays on; every 206 span matches`, { timeout: 60000 }, async () => {
      const mark = front.log.length;
      front.pages.set(`/${name}.html`, page(name, `<video id="v" muted playsinline preload="auto" src="${mint_(key)}"></video>`));
      const seen = await withContext(`${name}.har`, async (context) => {
        const p = await context.newPage();
        await p.goto(`${front.origin}/${name}.html`);
        return p.evaluate(() => window.playAndSeek(document.getElementById("v")));
      });
      assert.equal(seen.duration, 4);
      assert.deepEqual([seen.width, seen.height], [320, 240]);
      assert.ok(Math.abs(seen.seekedTo - 2) < 0.05, `seeked to ${seen.seekedTo}`);
      assert.ok(seen.playedTo >= 2.3, `played on to ${seen.playedTo}`);
      assert.ok(seen.frames > 0, `decoded ${seen.frames} frames`);
      assert.ok(seen.colours > 8, `the frame on screen has ${seen.colours} colours (not blank)`);
      const answers = logFor(key, mark);
      assert.ok(answers.length >= 1, "the video was requested");
      for (const e of answers) {
        assert.equal(e.status, 206, `Chromium asks media with Range (${e.range}); the Worker answers 206`);
        assert.equal(e.headers["content-type"], type);
        assert.deepEqual(spanProblems(e, stored[key].body.length), []);
      }
    });
  }

  it("Safari/iOS pattern (reproduced): a bytes=0-1 probe gets exactly 2 bytes, then ranges and 64 KiB chunks rebuild a video that plays", { timeout: 60000 }, async () => {
    const mark = front.log.length;
    const size = stored[K.mp4].body.length;
    const url = priv(K.mp4, 3600);
    front.pages.set("/safari.html", page("safari pattern", `<video id="v" muted playsinline></video>`));
    const got = await withContext("safari-probe.har", async (context) => {
      const p = await context.newPage();
      await p.goto(`${front.origin}/safari.html`);
      return p.evaluate(async ({ url, size }) => {
        const ask = async (range) => {
          const r = await fetch(url, { headers: { range }, cache: "no-store" });
          const bytes = new Uint8Array(await r.arrayBuffer());
          return { range, status: r.status, contentRange: r.headers.get("content-range"), type: r.headers.get("content-type"), length: bytes.length, bytes };
        };
        const probe = await ask("bytes=0-1");
        const whole = await ask(`bytes=0-${size - 1}`);
        const mid = Math.floor(size / 2);
        const seek = await ask(`bytes=${mid}-${size - 1}`);
        const chunks = [];
        for (let at = 0; at < size; at += 65536) chunks.push(await ask(`bytes=${at}-${Math.min(at + 65535, size - 1)}`));
        const v = document.getElementById("v");
        v.src = URL.createObjectURL(new Blob(chunks.map((c) => c.bytes), { type: "video/mp4" }));
        const played = await window.playAndSeek(v);
        const strip = ({ bytes, ...rest }) => ({ ...rest, first: Array.from(bytes.slice(0, 8)) });
        const same = (a, b, off) => a.every((x, i) => x === b[i + off]);
        return {
          probe: strip(probe), whole: strip(whole), seek: strip(seek), chunks: chunks.map(strip), played,
          wholeMatchesChunks: same(chunks.flatMap((c) => Array.from(c.bytes)), whole.bytes, 0),
          seekMatchesWhole: same(Array.from(seek.bytes), whole.bytes, mid),
        };
      }, { url, size });
    });
    const file = stored[K.mp4].body;
    assert.deepEqual([got.probe.status, got.probe.length, got.probe.contentRange], [206, 2, `bytes 0-1/${size}`], "the probe gets exactly 2 bytes");
    assert.deepEqual(got.probe.first, Array.from(file.slice(0, 2)));
    assert.deepEqual([got.whole.status, got.whole.length, got.whole.contentRange], [206, size, `bytes 0-${size - 1}/${size}`]);
    const mid = Math.floor(size / 2);
    assert.deepEqual([got.seek.status, got.seek.length, got.seek.contentRange], [206, size - mid, `bytes ${mid}-${size - 1}/${size}`]);
    for (const c of [got.probe, got.whole, got.seek, ...got.chunks]) assert.equal(c.type, "video/mp4", "Safari will not play octet-stream");
    got.chunks.forEach((c, i) => assert.deepEqual(c.first, Array.from(file.slice(i * 65536, i * 65536 + 8)), `chunk ${i}`));
    assert.ok(got.wholeMatchesChunks && got.seekMatchesWhole, "chunks, whole and seek agree byte for byte");
    assert.ok(got.played.duration === 4 && got.played.playedTo >= 2.3 && got.played.colours > 8, JSON.stringify(got.played));
    for (const e of logFor(K.mp4, mark)) assert.deepEqual(spanProblems(e, size), []);
  });

  it("service worker (docs/examples/media-sw.js): caches the public image, leaves no private entry in CacheStorage", { timeout: 60000 }, async () => {
    const mark = front.log.length;
    const urls = { pub: pub(K.webp), priv: priv(K.priv), video: priv(K.webm), expired: expired(K.jpg) };
    front.pages.set("/sw.html", page("service worker", [
      img("pub", urls.pub),
      img("priv", urls.priv),
      img("expired", urls.expired),
      `<video id="v" muted playsinline preload="auto" src="${urls.video}"></video>`,
    ].join("\n")));
    front.pages.set("/sw-setup.html", page("sw setup", ""));
    const result = await withContext("service-worker.har", async (context) => {
      const p = await context.newPage();
      await p.goto(`${front.origin}/sw-setup.html`);
      await p.evaluate(async () => {
        await navigator.serviceWorker.register("/media-sw.js");
        await navigator.serviceWorker.ready;
      });
      await p.goto(`${front.origin}/sw.html`);
      const controlled = await p.evaluate(() => navigator.serviceWorker.controller !== null);
      const first = await p.evaluate(() => window.settled(["pub", "priv", "expired"]));
      const video = await p.evaluate(() => window.playAndSeek(document.getElementById("v")));
      // The public copy is written by the worker after it answered (event.waitUntil): wait for it.
      const cached = await p.evaluate(async (u) => {
        for (let i = 0; i < 400; i++) {
          if (await caches.match(u)) return true;
          await new Promise((r) => setTimeout(r, 25));
        }
        return false;
      }, urls.pub);
      const hitsBefore = logFor(K.webp, mark).length;
      await p.reload();
      const second = await p.evaluate(() => window.settled(["pub", "priv", "expired"]));
      const entries = await p.evaluate(async () => {
        const out = [];
        for (const name of await caches.keys()) {
          const cache = await caches.open(name);
          for (const req of await cache.keys()) {
            const res = await cache.match(req);
            out.push({ cache: name, url: req.url, status: res.status, cacheControl: res.headers.get("cache-control") });
          }
        }
        return out;
      });
      return { controlled, first, second, video, cached, hitsBefore, entries };
    });
    assert.ok(result.controlled, "the page is controlled by the service worker");
    for (const visit of [result.first, result.second]) {
      assert.ok(visit.pub.ok && visit.pub.w > 0, "public image renders");
      assert.ok(visit.priv.ok && visit.priv.w > 0, "private image renders");
      assert.deepEqual([visit.expired.ok, visit.expired.w], [false, 0], "expired private image fails");
    }
    assert.ok(result.video.playedTo >= 2.3, "private video plays through the service worker's scope");
    assert.ok(result.cached, "the public image was cached");
    // CacheStorage: exactly the public image; nothing private, nothing partial, nothing failed.
    assert.deepEqual(result.entries.map((e) => [new URL(e.url).pathname + new URL(e.url).search, e.status, e.cacheControl]), [[urls.pub, 200, "public, max-age=31536000, immutable"]]);
    for (const e of result.entries) {
      const payload = JSON.parse(Buffer.from(new URL(e.url).searchParams.get("t").split(".")[0], "base64url").toString());
      assert.equal(payload.m, "pub", `no private entry in CacheStorage: ${e.url}`);
    }
    // Second visit: the public image came from CacheStorage, the private ones from the network.
    assert.equal(logFor(K.webp, mark).length, result.hitsBefore, "the public image was not fetched again");
    assert.equal(logFor(K.priv, mark).length, 2, "the private image was fetched on both visits");
    assert.equal(logFor(K.jpg, mark).filter((e) => e.status === 401).length, 2, "the expired image was asked for on both visits");
    for (const e of logFor(K.webm, mark)) assert.deepEqual(spanProblems(e, stored[K.webm].body.length), []);
  });

  it("a page on another origin cannot embed the media: cross-origin-resource-policy same-origin holds", { timeout: 60000 }, async () => {
    const src = `${front.origin}${pub(K.jpg)}`;
    front.pages.set("/cross.html", page("cross origin", img("x", src)));
    const context = await browser.newContext();
    try {
      const p = await context.newPage();
      await p.goto(`http://localhost:${front.port}/cross.html`); // another origin, same server
      const other = (await p.evaluate(() => window.settled(["x"]))).x;
      assert.deepEqual([other.ok, other.w], [false, 0], "blocked on http://localhost");
      await p.goto(`${front.origin}/cross.html`);
      const same = (await p.evaluate(() => window.settled(["x"]))).x;
      assert.ok(same.ok && same.w === 480, "renders on its own origin");
    } finally {
      await context.close();
    }
  });

  it("attack corpus: path tricks, token tampering, Range abuse and other methods get the contract's answers", { timeout: 60000 }, async () => {
    const key = K.jpg;
    const size = stored[key].body.length;
    const q = quotePath(key);
    const t = mint(key);
    const signed = (payloadText) => mintRaw(payloadText); // correctly signed, whatever the payload
    const etag = (await (await fetch(`${front.origin}${pub(key)}`, { method: "HEAD" })).headers.get("etag"));
    const cases = [
      // Path tricks (as Chromium sends them: it resolves dot segments itself).
      { url: `/m/u/me_1/%2e%2e/%2e%2e/x/outside.png?t=${t}`, want: [404, "not_found"] },
      { url: `/m/u/me_1/..%2f..%2fx%2foutside.png?t=${t}`, want: [400, "bad_request"] },
      { url: `/m/u/me_1/a%5c..%5cb.jpg?t=${t}`, want: [400, "bad_request"] },
      { url: `/m/u/me_1/%00.jpg?t=${t}`, want: [400, "bad_request"] },
      { url: `/m/u/me_1/%zz.jpg?t=${t}`, want: [400, "bad_request"] },
      { url: `/m/u/me_1/caf%C3.jpg?t=${t}`, want: [400, "bad_request"] },
      { url: `/m/u/me_1/%C0%AE%C0%AE/x.jpg?t=${t}`, want: [400, "bad_request"] },
      { url: `/m/u/me_1/${"a".repeat(1100)}.jpg?t=${mint(`u/me_1/${"a".repeat(1100)}.jpg`)}`, want: [400, "bad_request"] },
      { url: `/m/x/outside.png?t=${mint("x/outside.png")}`, want: [404, "not_found"] },
      { url: `/m/?t=${t}`, want: [400, "bad_request"] },
      { url: `/m//${q}?t=${t}`, want: [200] }, // leading "/" of the key is stripped (docs/CONTRACT.md section 2)
      // Token tampering.
      { url: `/m/${q}`, want: [401, "restricted"] },
      { url: `/m/${q}?t=`, want: [401, "restricted"] },
      { url: `/m/${q}?T=${t}`, want: [401, "restricted"] },
      { url: `/m/${q}?t=${mint(key, { secret: "some other secret" })}`, want: [401, "forbidden"] },
      { url: `/m/${q}?t=${mint(K.webp)}`, want: [401, "forbidden"] },
      { url: `/m/${q}?t=${t.split(".")[0]}.${mint(K.webp).split(".")[1]}`, want: [401, "forbidden"] },
      { url: `/m/${q}?t=${t}=`, want: [401, "forbidden"] },
      { url: `/m/${q}?t=${t.split(".")[0]}`, want: [401, "forbidden"] },
      { url: `/m/${q}?t=${signed(`{"k":"${key}","k":"${key}","m":"pub"}`)}`, want: [401, "forbidden"] },
      { url: `/m/${q}?t=${signed(`{"k":"${key}","m":"admin"}`)}`, want: [401, "forbidden"] },
      { url: `/m/${q}?t=${mint(key, { mode: "priv", exp: now() + 3 * 86400 })}`, want: [401, "forbidden"] },
      { url: `/m/${q}?t=${mint(key, { mode: "priv", exp: now() - 7200 })}`, want: [401, "expired"] },
      { url: `/m/${q}?t=${mint(key, { mode: "priv", exp: now() - 20 })}`, want: [200] }, // within the clock-skew leeway
      { url: `/m/${q}?t=x.y&t=${t}`, want: [401, "forbidden"] }, // the first t counts
      { url: `/m/${q}?t=${t}&t=x.y`, want: [200] },
      // Range abuse.
      { url: pub(key), range: Array.from({ length: 100 }, (_, i) => `${i * 2}-${i * 2}`).join(",").replace(/^/, "bytes="), want: [200] },
      { url: pub(key), range: "bytes=99999999-", want: [416, "range_not_satisfiable"] },
      { url: pub(key), range: "bytes=18446744073709551616-", want: [416, "range_not_satisfiable"] }, // past every object (RFC 9110 14.1.1)
      { url: pub(key), range: "bytes=-0", want: [416, "range_not_satisfiable"] },
      { url: pub(key), range: "bytes=9-1", want: [200] },
      { url: pub(key), range: "items=0-1", want: [200] },
      { url: pub(key), range: "bytes=0-5,3-9", want: [206] },
      { url: pub(key), range: "bytes=0-1,100-200", want: [200] },
      { url: pub(key), range: "bytes=" + "0-1,".repeat(2100) + "0-1", want: [200] },
      { url: pub(key), range: `bytes=${size - 10}-${size + 1000}`, want: [206] },
      // Other methods and conditional requests.
      { url: pub(key), method: "POST", want: [405, "method_not_allowed"] },
      { url: pub(key), method: "PUT", want: [405, "method_not_allowed"] },
      { url: pub(key), method: "DELETE", want: [405, "method_not_allowed"] },
      { url: pub(key), method: "OPTIONS", want: [405, "method_not_allowed"] },
      { url: pub(key), method: "HEAD", want: [200] },
      { url: pub(key), headers: { "if-none-match": etag }, want: [304] },
      { url: pub(key), headers: { "if-match": '"nope"' }, want: [412, "precondition_failed"] },
      { url: pub(key), range: "bytes=0-1", headers: { "if-range": '"stale"' }, want: [200] },
      { url: pub(key), range: "bytes=0-1", headers: { "if-range": etag }, want: [206] },
    ];
    const answers = await withContext("attacks.har", async (context) => {
      const p = await context.newPage();
      front.pages.set("/attacks.html", page("attacks", ""));
      await p.goto(`${front.origin}/attacks.html`);
      return p.evaluate(async (cases) => {
        const out = [];
        for (const c of cases) {
          const headers = { ...(c.headers || {}) };
          if (c.range) headers.range = c.range;
          const r = await fetch(c.url, { method: c.method || "GET", headers, cache: "no-store" });
          const text = await r.text();
          out.push({ status: r.status, text: r.headers.get("content-type") === "text/plain; charset=utf-8" ? text : null, length: text.length, contentRange: r.headers.get("content-range") });
        }
        return out;
      }, cases);
    });
    const wrong = [];
    cases.forEach((c, i) => {
      const a = answers[i];
      const [status, body] = c.want;
      if (a.status !== status || (body !== undefined && a.text !== body)) wrong.push(`${c.method || "GET"} ${c.url.slice(0, 90)} ${c.range ? "range " + c.range.slice(0, 40) : ""}: got ${a.status} ${a.text}, want ${status} ${body ?? ""}`);
    });
    assert.deepEqual(wrong, []);
    assert.equal(answers[cases.findIndex((c) => c.range === "bytes=0-5,3-9")].contentRange, `bytes 0-9/${size}`);
  });

  it("this run's recordings become fixture sets that replay on the native core and the Wasm", { timeout: 120000 }, async () => {
    for (const s of SETS) {
      const har = JSON.parse(readFileSync(path.join(HAR_DIR, s.har), "utf8"));
      const set = fromHar(har, { ...s, secrets: [SECRET] });
      assert.ok(set.lines.length > 0, `${s.set}: the recording has /m/ requests`);
      const text = formatSet(set);
      assert.doesNotMatch(text.split("\n").slice(1).join("\n"), /[?&]t=eyJ/, `${s.set}: no live token left`);
      const file = path.join(HAR_DIR, `${s.set}.jsonl`);
      writeFileSync(file, text);
      const result = await replaySet(file, { targets: ["native", "wasm"] });
      assert.equal(result.failures, 0, `${renderTable(result)}\n${renderDiffs(result)}`);
    }
  });
});
