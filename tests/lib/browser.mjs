// Headless Chromium for the browser tests (tests/browser/): Debian's /usr/bin/chromium through
// playwright-core, launched one way, and what more than one test runs inside a page.
import { chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"];

export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

// Runs in the page: the <video> `v` plays, seeks to the middle and plays on, as a person would.
// Rejects on a media error. What it saw: duration, size, where the seek landed, how far it played.
async function playAndSeek(v) {
  const failed = new Promise((_, reject) => v.addEventListener("error", () => reject(new Error(`media error ${v.error?.code}: ${v.error?.message}`)), { once: true }));
  const next = (name) => Promise.race([new Promise((r) => v.addEventListener(name, r, { once: true })), failed]);
  if (v.error) throw new Error(`media error ${v.error.code}: ${v.error.message}`);
  v.muted = true;
  if (v.readyState < 1) await next("loadedmetadata");
  await Promise.race([v.play(), failed]);
  while (v.currentTime < 0.3) await next("timeupdate");
  const mid = v.duration / 2;
  v.currentTime = mid;
  await next("seeked");
  const seekedTo = v.currentTime;
  while (v.currentTime < mid + 0.3) await next("timeupdate");
  v.pause();
  return { duration: v.duration, width: v.videoWidth, height: v.videoHeight, seekedTo, playedTo: v.currentTime, error: v.error ? v.error.code : null };
}

// Defines playAndSeek in `page` as window.mgPlayAndSeek, for the functions a test evaluates there
// (page.evaluate runs outside the page's CSP). Again after every navigation.
export function installPlayAndSeek(page) {
  return page.evaluate(`window.mgPlayAndSeek = ${playAndSeek}`);
}
