// The soak's library (scripts/soak.mjs is the command): the seeded media, the request mix and
// what each kind must answer, and the process probes it samples.
import { readdirSync, readFileSync } from "node:fs";
import { bytes as lcgBytes } from "./token.mjs";

// Deterministic bytes (tests/lib/token.mjs), so every body can be checked byte for byte.
const bytes = (n, seed) => Buffer.from(lcgBytes(n, seed).buffer);
export const MEDIA = {
  "u/soak/photo.png": { body: bytes(20000, 1), type: "image/png" },
  "u/soak/revoked.png": { body: bytes(500, 2), type: "image/png" },
  "u/soak/empty.png": { body: Buffer.alloc(0), type: "image/png" },
  "u/soak/clip.mp4": { body: bytes(512 * 1024, 3), type: "video/mp4" },
};
export const PHOTO = "u/soak/photo.png";
export const CLIP = "u/soak/clip.mp4";
export const REVOKED = "u/soak/revoked.png";

// Whether process `pid` is still running.
export function running(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

// RSS (KiB) of the workerd processes in wrangler dev's process group.
export function workerdRss(pgid) {
  const out = {};
  for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid || !stat.includes("(workerd)")) continue;
      const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (rss) out[pid] = Number(rss[1]);
    } catch {}
  }
  return out;
}

// Each kind: weight, the request, and what must come back. `span` [a, b] (inclusive) is checked
// byte for byte against the seeded object; `empty` means no body.
export function kinds(t, size) {
  const photo = MEDIA[PHOTO].body.length;
  const clip = MEDIA[CLIP].body.length;
  const PUB = "public, max-age=31536000, immutable";
  const PRIV = "private, no-store";
  return [
    { name: "public 200", weight: 16, path: t.url(PHOTO, "pub"), status: 200, key: PHOTO, span: [0, photo - 1], cc: PUB },
    { name: "private 200", weight: 12, path: t.url(PHOTO, "priv"), status: 200, key: PHOTO, span: [0, photo - 1], cc: PRIV },
    { name: "Safari probe bytes=0-1", weight: 10, path: t.url(CLIP, "pub"), headers: { range: "bytes=0-1" }, status: 206, key: CLIP, span: [0, 1], cc: PUB },
    { name: "private Safari probe", weight: 4, path: t.url(CLIP, "priv"), headers: { range: "bytes=0-1" }, status: 206, key: CLIP, span: [0, 1], cc: PRIV },
    {
      name: "Safari bounded range",
      weight: 10,
      dynamic: (r) => {
        const a = Math.floor(r() * (clip - 65536));
        return { path: t.url(CLIP, "pub"), headers: { range: `bytes=${a}-${a + 65535}` }, span: [a, a + 65535] };
      },
      status: 206,
      key: CLIP,
      cc: PUB,
    },
    { name: "Chrome open range, near the end", weight: 6, path: t.url(CLIP, "priv"), headers: { range: `bytes=${clip - 4096}-` }, status: 206, key: CLIP, span: [clip - 4096, clip - 1], cc: PRIV },
    { name: "Chrome bytes=0- (whole clip)", weight: 1, path: t.url(CLIP, "pub"), headers: { range: "bytes=0-" }, status: 206, key: CLIP, span: [0, clip - 1], cc: PUB },
    { name: "suffix bytes=-500", weight: 4, path: t.url(CLIP, "pub"), headers: { range: "bytes=-500" }, status: 206, key: CLIP, span: [clip - 500, clip - 1], cc: PUB },
    { name: "304 If-None-Match", weight: 8, path: t.url(PHOTO, "pub"), headers: { "if-none-match": size.etag }, status: 304, empty: true, cc: PUB },
    { name: "HEAD", weight: 5, method: "HEAD", path: t.url(PHOTO, "pub"), status: 200, empty: true, length: photo, cc: PUB },
    { name: "HEAD Range", weight: 2, method: "HEAD", path: t.url(CLIP, "priv"), headers: { range: "bytes=0-1" }, status: 206, empty: true, length: 2, cc: PRIV },
    { name: "stale If-Range (200 whole)", weight: 2, path: t.url(PHOTO, "priv"), headers: { range: "bytes=0-9", "if-range": '"stale"' }, status: 200, key: PHOTO, span: [0, photo - 1], cc: PRIV },
    { name: "empty object, Range", weight: 1, path: t.url("u/soak/empty.png", "pub"), headers: { range: "bytes=0-1" }, status: 200, empty: true, length: 0, cc: PUB },
    { name: "401 restricted", weight: 2, path: `/m/${PHOTO}`, status: 401 },
    { name: "401 forbidden", weight: 2, path: `/m/${PHOTO}?t=${t.forged}`, status: 401 },
    { name: "401 expired", weight: 1, path: `/m/${PHOTO}?t=${t.expired}`, status: 401 },
    { name: "404 missing", weight: 2, path: t.url("u/soak/missing.png", "pub"), status: 404 },
    { name: "404 prefix", weight: 1, path: `/m/x/outside.png?t=${t.raw("x/outside.png", "pub")}`, status: 404 },
    { name: "410 revoked", weight: 2, path: t.url(REVOKED, "pub"), status: 410 },
    { name: "412 If-Match", weight: 1, path: t.url(PHOTO, "priv"), headers: { "if-match": '"other"' }, status: 412 },
    { name: "416 past the end", weight: 2, path: t.url(PHOTO, "pub"), headers: { range: "bytes=999999-" }, status: 416 },
    { name: "400 bad key", weight: 1, path: "/m/u/%zz.png?t=x", status: 400 },
    // A method no configuration accepts (POST is tus creation where uploads and the state object are on).
    { name: "405 PROPFIND", weight: 1, method: "PROPFIND", path: t.url(PHOTO, "pub"), status: 405 },
  ];
}

// Deterministic choice of kinds (the same run sends the same mix).
export function prng(seed) {
  let x = seed >>> 0;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}
