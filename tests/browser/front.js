// One origin on loopback for the browser tests, as production puts /m/* on the app's own host:
// a small Node HTTP server on 127.0.0.1 serves the test pages and the reference service worker,
// and hands every /m/* request to the Worker (worker-shim/index.js + worker-shim/mediagate.wasm)
// running under Miniflare with R2 seeded from build/media.
//
// It also keeps a log of what the Worker answered for each /m/* request, and checks the bytes it
// streams against the stored object, so a test can say "the 206 spans match" from the server's
// side as well as from the browser's.
import http from "node:http";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Miniflare } from "miniflare";
import { ROOT, DEFAULT_BINDINGS } from "../worker/helpers.js";
import { shimModules } from "../lib/shim.mjs";

const SW_PATH = path.join(ROOT, "docs/examples/media-sw.js");
// Hop-by-hop and transport headers are not passed on. accept-encoding is set to identity: the tests
// compare what the Worker produced, not workerd's optional gzip of text bodies.
const DROP_REQUEST = new Set(["host", "connection", "keep-alive", "accept-encoding", "transfer-encoding", "upgrade"]);

// The object key a /m/ path names (what the gate decodes), or null.
export function keyOfPath(p) {
  try {
    return decodeURIComponent(p.slice(3).split("?")[0]).replace(/^\/+/, "");
  } catch {
    return null;
  }
}

// objects: { key: { body: Uint8Array, type } }. Returns { origin, log, pages, close }.
// pages: a Map of path -> HTML text that the tests fill before navigating.
export async function startFront(objects) {
  // The shim and the shipped module as wrangler bundles them (tests/worker/helpers.js startGate's
  // options), disposed again if the runtime does not come up, so a failure never leaves workerd
  // running.
  const mf = new Miniflare({
    modulesRoot: ROOT,
    modules: [
      ...shimModules(),
    ],
    compatibilityDate: "2025-09-01",
    bindings: DEFAULT_BINDINGS,
    r2Buckets: ["MEDIA_BUCKET"],
    kvNamespaces: ["MEDIA_REVOCATIONS"],
    cf: false,
  });
  try {
    await mf.ready;
  } catch (err) {
    await mf.dispose().catch(() => {});
    throw err;
  }
  const r2 = await mf.getR2Bucket("MEDIA_BUCKET");
  for (const [key, o] of Object.entries(objects)) await r2.put(key, new Uint8Array(o.body), o.type ? { httpMetadata: { contentType: o.type } } : {});

  const log = [];
  const pages = new Map();
  const server = http.createServer((req, res) => {
    const pathname = req.url.split("?")[0];
    if (pathname.startsWith("/m/")) {
      proxy(req, res).catch((err) => {
        // Reached only if the proxy itself breaks: make it loud in the log, not a hang.
        log.push({ method: req.method, path: req.url, error: String(err) });
        res.destroy();
      });
    } else if (pathname === "/media-sw.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" });
      res.end(readFileSync(SW_PATH));
    } else if (pages.has(pathname)) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(pages.get(pathname));
    } else {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("no such test page");
    }
  });

  async function proxy(req, res) {
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) if (!DROP_REQUEST.has(name)) headers[name] = value;
    headers["accept-encoding"] = "identity";
    const entry = { method: req.method, path: req.url, range: req.headers.range ?? null, status: 0, headers: {}, bytes: 0, mismatch: false, aborted: false };
    log.push(entry);
    const answer = await mf.dispatchFetch(`http://127.0.0.1:${port}${req.url}`, { method: req.method, headers, redirect: "manual" });
    entry.status = answer.status;
    for (const [name, value] of answer.headers) if (!name.startsWith("mf-")) entry.headers[name] = value;
    res.writeHead(answer.status, entry.headers);
    if (!answer.body) return void res.end();

    // The bytes the Worker streams must be the stored object's bytes at the span it announced.
    const key = keyOfPath(req.url);
    const stored = key !== null && objects[key] ? objects[key].body : null;
    const cr = /^bytes (\d+)-\d+\/\d+$/.exec(entry.headers["content-range"] ?? "");
    let pos = answer.status === 206 && cr ? Number(cr[1]) : 0;
    const reader = answer.body.getReader();
    let gone = false;
    res.on("close", () => {
      if (!res.writableFinished) {
        gone = true;
        entry.aborted = true;
        reader.cancel().catch(() => {});
      }
    });
    for (;;) {
      let step;
      try {
        step = await reader.read();
      } catch {
        break; // cancelled because the browser went away
      }
      if (step.done || gone) break;
      const chunk = step.value;
      if (stored && entry.headers["content-type"] !== "text/plain; charset=utf-8") {
        const want = stored.subarray(pos, pos + chunk.length);
        if (want.length !== chunk.length || Buffer.compare(Buffer.from(want), Buffer.from(chunk)) !== 0) entry.mismatch = true;
      }
      if (/^text\/plain/.test(entry.headers["content-type"] ?? "")) entry.text = (entry.text ?? "") + Buffer.from(chunk).toString("utf8");
      pos += chunk.length;
      entry.bytes += chunk.length;
      if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
    }
    if (!gone) res.end();
  }

  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = server.address().port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    log,
    pages,
    async close() {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
      await mf.dispose();
    },
  };
}

// The checks a person would make on one logged 206/200: the span announced is the span asked
// for, content-length matches it, and every byte streamed is the object's byte at that place.
// Returns a list of problems (empty when all is right).
export function spanProblems(entry, size) {
  const problems = [];
  const h = entry.headers;
  const say = (what) => problems.push(`${entry.method} ${entry.path.split("?")[0]} range=${entry.range}: ${what}`);
  if (entry.mismatch) say("streamed bytes differ from the stored object at the announced span");
  if (entry.status === 200) {
    if (h["content-length"] !== String(size)) say(`200 content-length ${h["content-length"]}, object size ${size}`);
    return problems;
  }
  if (entry.status !== 206) return [`${entry.method} ${entry.path.split("?")[0]}: status ${entry.status}`];
  const m = /^bytes=(\d*)-(\d*)$/.exec(entry.range ?? "");
  if (!m) return [`206 for an unexpected Range header ${entry.range}`];
  let first, last;
  if (m[1] === "") {
    first = Math.max(0, size - Number(m[2]));
    last = size - 1;
  } else {
    first = Number(m[1]);
    last = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  const want = `bytes ${first}-${last}/${size}`;
  if (h["content-range"] !== want) say(`content-range "${h["content-range"]}", want "${want}"`);
  if (h["content-length"] !== String(last - first + 1)) say(`content-length ${h["content-length"]}, want ${last - first + 1}`);
  if (!entry.aborted && entry.bytes !== last - first + 1) say(`streamed ${entry.bytes} bytes, want ${last - first + 1}`);
  return problems;
}
