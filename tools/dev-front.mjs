#!/usr/bin/env node
// The front of the local gate (scripts/dev.sh): an HTTP server on 127.0.0.1 in front of
// `wrangler dev` that serves the upload demo page (tools/upload-demo.html) on the same origin as
// /m/*, as production puts the gate on the app's own host. It is a development tool only: never
// part of the deployed Worker, and it holds the dev secret of .dev.vars.
//
//   node tools/dev-front.mjs --listen PORT --upstream http://127.0.0.1:UPSTREAM
//
//   GET  /  and  /upload-demo    the page
//   POST /upload-demo/sign       {"type": <the file's media type>} -> {"key", "upload", "public",
//                                "private"}: what the backend's sign-upload would return (a put
//                                token, 10 minutes), plus the read URLs the app would build
//                                (public, and private for 1 hour); paths on this origin
//   GET  /upload-demo/tus.min.js tus-js-client's browser bundle (node_modules/tus-js-client/dist),
//                                for pages that upload with tus (tests/browser/tus.test.js)
//   anything else                passed to UPSTREAM unchanged, bodies streamed both ways
//                                (content-length kept, so a PUT reaches the gate with it)
//
// MEDIA_TOKEN_SECRET (dev.sh exports the one in .dev.vars) signs the tokens. Tokens are never
// logged.
import http from "node:http";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { mint, mintPut, keyPath } from "../tests/lib/token.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PAGE = path.join(HERE, "upload-demo.html");
const TUS_JS = path.join(HERE, "../node_modules/tus-js-client/dist/tus.min.js");
const PREFIX = "u/demo-uploads/";
const PUT_TTL = 600;
const PRIV_TTL = 3600; // MEDIA_MAX_TOKEN_TTL_SECONDS in wrangler.toml
// The object key's extension for a media type the gate accepts; anything else is uploaded as
// ".bin" and the gate answers 415 unsupported_type.
const EXT = {
  "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp", "image/avif": "avif",
  "image/heic": "heic", "image/heif": "heif", "video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm",
};
// Hop-by-hop headers are not passed on; host is the upstream's. accept-encoding is identity: the
// browser gets the bytes and content-length the gate sent.
const HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host", "accept-encoding"]);

function args(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i += 2) o[argv[i].replace(/^--/, "")] = argv[i + 1];
  if (o.listen === undefined || !o.upstream) throw new Error("usage: dev-front.mjs --listen PORT --upstream URL");
  return o;
}

function passHeaders(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP.has(k)) out[k] = v;
  return out;
}

// The backend's sign-upload, for the dev secret: a fresh key under u/demo-uploads/, its put URL,
// and the public and private URLs that read it once stored.
export function sign(type, secret, now = Math.floor(Date.now() / 1000)) {
  const ct = type.toLowerCase() || "application/octet-stream";
  const key = PREFIX + randomBytes(16).toString("hex") + "." + (EXT[ct] ?? "bin");
  const url = (t) => `/m/${keyPath(key)}?t=${t}`;
  return {
    key,
    upload: url(mintPut(key, { ct, exp: now + PUT_TTL, secret })),
    public: url(mint(key, { secret })),
    private: url(mint(key, { mode: "priv", exp: now + PRIV_TTL, secret })),
  };
}

function answer(res, status, type, body) {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function readJson(req, limit = 4096) {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c) => {
      text += c;
      if (text.length > limit) reject(new Error("request too large"));
    });
    req.on("end", () => {
      try {
        resolve(JSON.parse(text || "{}"));
      } catch {
        reject(new Error("not JSON"));
      }
    });
    req.on("error", reject);
  });
}

function proxy(req, res, upstream) {
  const up = http.request(new URL(req.url, upstream), { method: req.method, headers: { ...passHeaders(req.headers), "accept-encoding": "identity" } }, (upRes) => {
    res.writeHead(upRes.statusCode, passHeaders(upRes.headers));
    upRes.pipe(res);
    // The browser went away mid-answer: stop reading from upstream.
    res.on("close", () => {
      if (!res.writableFinished) upRes.destroy();
    });
  });
  up.on("error", (err) => {
    if (res.headersSent) return void res.destroy();
    answer(res, 502, "text/plain; charset=utf-8", `dev-front: upstream ${upstream}: ${err.message}`);
  });
  // The browser went away mid-upload: the gate sees the body end early (and stores nothing).
  req.on("close", () => {
    if (!req.complete) up.destroy();
  });
  req.pipe(up);
}

export function startFront({ listen, upstream, secret }) {
  if (!secret) throw new Error("MEDIA_TOKEN_SECRET is not set (scripts/dev.sh exports the one in .dev.vars)");
  const server = http.createServer((req, res) => {
    const pathname = req.url.split("?")[0];
    if ((pathname === "/" || pathname === "/upload-demo") && (req.method === "GET" || req.method === "HEAD")) {
      answer(res, 200, "text/html; charset=utf-8", readFileSync(PAGE, "utf8"));
    } else if (pathname === "/upload-demo/tus.min.js" && (req.method === "GET" || req.method === "HEAD")) {
      answer(res, 200, "text/javascript; charset=utf-8", readFileSync(TUS_JS, "utf8"));
    } else if (pathname === "/upload-demo/sign" && req.method === "POST") {
      readJson(req).then(
        (body) => answer(res, 200, "application/json", JSON.stringify(sign(typeof body.type === "string" ? body.type : "", secret))),
        (err) => answer(res, 400, "text/plain; charset=utf-8", err.message),
      );
    } else {
      proxy(req, res, upstream);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(listen), "127.0.0.1", () => resolve(server));
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const o = args(process.argv.slice(2));
  startFront({ ...o, secret: process.env.MEDIA_TOKEN_SECRET }).then((server) => {
    // The port it bound (--listen 0: the kernel's pick); scripts/dev.sh reads this line.
    console.log(`dev-front: listening on http://127.0.0.1:${server.address().port}`);
  }, (err) => {
    console.error(`dev-front: ${err.message}`);
    process.exit(2);
  });
}
