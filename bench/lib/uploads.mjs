// Upload rows of the end-to-end bench as deployed (issue 14): PUTs of a
// 1 MiB JPEG and a 32 MiB MP4 through mediagate (MEDIA_UPLOADS on, as
// wrangler.toml sets it), against the floor Worker's PUT, which only does
// `await env.MEDIA_BUCKET.put(key, request.body)` and answers 201
// (bench/floor-worker). Both run as bundles on workerd through Miniflare
// (bench/lib/direct.mjs). Every request is a fresh key and a file-like body
// (the format's first bytes, so that mediagate's signature check passes,
// then random bytes) with a content-length, sent by Node's http client over
// 127.0.0.1, a new connection per request. The keys a cell stored are deleted after it,
// outside the timing, so local R2 stays small.
import http from "node:http";
import { randomBytes } from "node:crypto";
import { mintPut, quotePath } from "./common.mjs";

// The first bytes of each body: a JPEG's SOI and JFIF APP0 marker, an MP4's
// ftyp box (major brand isom, compatible isom iso2 avc1 mp41).
const JPEG_HEAD = Buffer.from("ffd8ffe000104a46494600010100000100010000", "hex");
const MP4_HEAD = Buffer.concat([Buffer.from("00000020", "hex"), Buffer.from("ftypisom"), Buffer.from("00000200", "hex"), Buffer.from("isomiso2avc1mp41")]);

export function uploadKinds() {
  return [
    { kind: "upload_1m", what: "PUT 1 MiB JPEG, 201", size: 1 << 20, type: "image/jpeg", head: JPEG_HEAD, ext: "jpg" },
    { kind: "upload_32m", what: "PUT 32 MiB MP4, 201", size: 32 << 20, type: "video/mp4", head: MP4_HEAD, ext: "mp4" },
  ];
}

// One body per kind, made once: the head, then random bytes to the size.
const bodies = new Map();
export function uploadBody(k) {
  if (!bodies.has(k.kind)) {
    const b = randomBytes(k.size);
    k.head.copy(b, 0);
    bodies.set(k.kind, b);
  }
  return bodies.get(k.kind);
}

let serial = 0;
// A fresh key and the path a Worker is asked to PUT it at: mediagate's
// with a put token for the kind's type, the floor's bare.
export function uploadTarget(w, k) {
  const key = `u/bench/up/${process.pid}-${++serial}.${k.ext}`;
  const token = w.name === "floor" ? "" : `?t=${mintPut(key, { ct: k.type, ttl: 3600 })}`;
  return { key, path: `/m/${quotePath(key)}${token}` };
}

const agents = new Map();
const agentFor = (origin) => {
  if (!agents.has(origin)) agents.set(origin, new http.Agent({ keepAlive: false, maxSockets: 16 }));
  return agents.get(origin);
};
export function closeAgents() {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

// One PUT of `body` to origin + path, on a connection of its own: with
// keep-alive, a connection workerd had closed after an answer was found
// closed only by the next request's write (EPIPE, ECONNRESET mid-run).
// Resolves { status, ms, text }.
export function putOnce(origin, path, body, type) {
  return putOn(origin, path, body, type);
}

function putOn(origin, path, body, type) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const u = new URL(path, origin);
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: "PUT", agent: agentFor(origin),
        headers: { "content-type": type, "content-length": body.length } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, ms: performance.now() - t0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.setTimeout(120000, () => req.destroy(new Error(`PUT ${path}: no answer in 120 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

// One timed cell: PUTs of kind `k` to Worker `w`, `concurrency` at a time,
// started until `seconds` have passed (and at least `min` requests).
// Returns the wall time, bytes, per-request latencies, workerd CPU and the
// keys stored (to delete).
export async function uploadCell(w, k, { seconds, concurrency, min = 4, cpuMs }) {
  const body = uploadBody(k);
  const latencies = [];
  const keys = [];
  let unexpected = 0;
  let started = 0;
  const cpu0 = cpuMs(w.pid);
  const t0 = performance.now();
  const lane = async () => {
    while (performance.now() - t0 < seconds * 1000 || started < min) {
      started++;
      const t = uploadTarget(w, k);
      const r = await putOnce(w.origin, t.path, body, k.type);
      keys.push(t.key);
      if (r.status !== 201) unexpected++;
      latencies.push(r.ms);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const wallMs = performance.now() - t0;
  const cpu = cpuMs(w.pid) - cpu0;
  const mib = (latencies.length * k.size) / (1 << 20);
  return {
    requests: latencies.length,
    wall_ms: wallMs,
    mb_per_s: (latencies.length * k.size) / 1e6 / (wallMs / 1000),
    cpu_ms_per_mib: cpu / mib,
    latencies,
    unexpected_status: unexpected,
    keys,
  };
}

// Deletes what a cell stored (Miniflare's R2, outside the timing).
export async function removeKeys(w, keys) {
  const r2 = await w.mf.getR2Bucket("MEDIA_BUCKET");
  for (let i = 0; i < keys.length; i += 500) await r2.delete(keys.slice(i, i + 500));
}

export const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))];
};
