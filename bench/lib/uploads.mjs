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
//
// Resumable uploads (issue 15): the same file-like body, 64 MiB, through
// tus-js-client in Node (the real client, its default options: `endpoint`
// the put-token URL, `metadata.filetype` the token's type, so one PATCH for
// the whole file; and `chunkSize` 5 MiB and 50 MiB), against the floor's
// PUT of the same bytes.
import http from "node:http";
import { randomBytes } from "node:crypto";
import * as tus from "tus-js-client";
import { mintPut, quotePath } from "./common.mjs";

// The first bytes of each body: a JPEG's SOI and JFIF APP0 marker, an MP4's
// ftyp box (major brand isom, compatible isom iso2 avc1 mp41).
const JPEG_HEAD = Buffer.from("ffd8ffe000104a46494600010100000100010000", "hex");
const MP4_HEAD = Buffer.concat([Buffer.from("00000020", "hex"), Buffer.from("ftypisom"), Buffer.from("00000200", "hex"), Buffer.from("isomiso2avc1mp41")]);

export function uploadKinds() {
  return [
    { kind: "upload_1m", what: "PUT 1 MiB JPEG, 201", status: 201, size: 1 << 20, type: "image/jpeg", head: JPEG_HEAD, ext: "jpg" },
    { kind: "upload_32m", what: "PUT 32 MiB MP4, 201", status: 201, size: 32 << 20, type: "video/mp4", head: MP4_HEAD, ext: "mp4" },
  ];
}

// The tus rows: one MP4 body of `size` bytes, each way of sending it (on
// the Worker named), each with the status its last answer has.
export function tusKinds(size) {
  const mib = size / (1 << 20);
  const file = { size, type: "video/mp4", head: MP4_HEAD, ext: "mp4", body: `tus_${size}` };
  return [
    { ...file, kind: "floor_put", worker: "floor", what: `PUT ${mib} MiB MP4 (the floor: one bare R2 put)`, status: 201 },
    { ...file, kind: "put", worker: "mediagate", what: `PUT ${mib} MiB MP4 (mediagate's single PUT)`, status: 201 },
    { ...file, kind: "tus_default", worker: "mediagate", what: `tus ${mib} MiB MP4, tus-js-client defaults (one PATCH)`, tus: {}, status: 204 },
    { ...file, kind: "tus_5m", worker: "mediagate", what: `tus ${mib} MiB MP4, chunkSize 5 MiB`, tus: { chunkSize: 5 << 20 }, status: 204 },
    { ...file, kind: "tus_50m", worker: "mediagate", what: `tus ${mib} MiB MP4, chunkSize 50 MiB`, tus: { chunkSize: 50 << 20 }, status: 204 },
  ];
}

// One body per kind (or per k.body, which kinds may share), made once: the
// head, then random bytes to the size.
const bodies = new Map();
export function uploadBody(k) {
  const name = k.body ?? k.kind;
  if (!bodies.has(name)) {
    const b = randomBytes(k.size);
    k.head.copy(b, 0);
    bodies.set(name, b);
  }
  return bodies.get(name);
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

// One upload of kind `k` to Worker `w` at `origin`, a fresh key: a PUT, or
// with k.tus, tus-js-client with those options. Resolves { key, status, ms,
// requests } (requests: HTTP requests it took).
export async function sendUpload(origin, w, k) {
  const t = uploadTarget(w, k);
  const body = uploadBody(k);
  const r = k.tus ? await tusOnce(origin, t.path, body, k.type, k.tus) : { requests: 1, ...(await putOnce(origin, t.path, body, k.type)) };
  return { key: t.key, ...r };
}

// One upload through tus-js-client (Node), `options` over its defaults:
// `endpoint` the put-token URL, `metadata.filetype` the type. Resolves
// { status, ms, requests, text }: the last answer's status, and on an error
// (after the client's own retries) its message.
export function tusOnce(origin, path, body, type, options = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let requests = 0;
    let status = 0;
    const upload = new tus.Upload(body, {
      endpoint: new URL(path, origin).href,
      metadata: { filetype: type },
      ...options,
      onBeforeRequest: () => {
        requests++;
      },
      onAfterResponse: (req, res) => {
        status = res.getStatus();
      },
      onSuccess: () => resolve({ status, ms: performance.now() - t0, requests, text: "" }),
      onError: (err) => resolve({ status: err.originalResponse?.getStatus() ?? status, ms: performance.now() - t0, requests, text: String(err.message) }),
    });
    upload.start();
  });
}

// One timed cell: uploads of kind `k` to Worker `w` (sendUpload),
// `concurrency` at a time, started until `seconds` have passed (and at least
// `min` of them). Returns the wall time, bytes, per-upload latencies and
// HTTP requests, workerd CPU and the keys stored (to delete).
export async function uploadCell(w, k, { seconds, concurrency, min = 4, cpuMs }) {
  const latencies = [];
  const keys = [];
  let requests = 0;
  let unexpected = 0;
  let started = 0;
  const cpu0 = cpuMs(w.pid);
  const t0 = performance.now();
  const lane = async () => {
    while (performance.now() - t0 < seconds * 1000 || started < min) {
      started++;
      const r = await sendUpload(w.origin, w, k);
      keys.push(r.key);
      if (r.status !== k.status) unexpected++;
      latencies.push(r.ms);
      requests += r.requests;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const wallMs = performance.now() - t0;
  const cpu = cpuMs(w.pid) - cpu0;
  const mib = (latencies.length * k.size) / (1 << 20);
  return {
    requests: latencies.length,
    http_requests: requests,
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
