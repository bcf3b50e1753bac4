#!/usr/bin/env node
// The record switch of the local gate (`scripts/dev.sh --record FILE`): an HTTP proxy on
// 127.0.0.1 in front of `wrangler dev` that passes every request through unchanged and appends
// each /m/* exchange to FILE as a fixture line (docs/FIXTURES.md), tokens replaced by
// placeholders as `mediagate fixtures from-har` replaces them.
//
//   node tools/record-proxy.mjs --listen PORT --upstream http://127.0.0.1:UPSTREAM --out FILE [--set NAME]
//
// MEDIA_TOKEN_SECRET (dev.sh exports the one in .dev.vars) lets it verify tokens exactly.
import http from "node:http";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fromHar } from "../tests/lib/fixtures.mjs";

function args(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i += 2) o[argv[i].replace(/^--/, "")] = argv[i + 1];
  if (!o.listen || !o.upstream || !o.out) throw new Error("usage: record-proxy.mjs --listen PORT --upstream URL --out FILE [--set NAME]");
  return o;
}

const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "host", "accept-encoding"]);

export function startRecorder({ listen, upstream, out, set }) {
  const name = set || path.basename(out).replace(/\.jsonl$/, "");
  // Lines already in the file: this session's lines are numbered after them.
  const before = existsSync(out) ? readFileSync(out, "utf8").split("\n").filter((l) => l.trim()).length : 0;
  let needHeader = before === 0;
  const offset = Math.max(0, before - 1);
  const entries = []; // this session's exchanges, as HAR entries
  const secrets = [process.env.MEDIA_TOKEN_SECRET, process.env.MEDIA_TOKEN_SECRET_PREVIOUS];

  function record(entry) {
    entries.push(entry);
    // The whole session converts again, so a line can use what earlier exchanges told about
    // its object (its size, its etag); only the new line is appended.
    const converted = fromHar({ log: { creator: { name: "mediagate dev.sh --record", version: "1" }, browser: { name: "clients of scripts/dev.sh", version: "" }, entries } }, {
      set: name,
      description: "Recorded by scripts/dev.sh --record: what the local gate served.",
      client: "clients of the local gate (scripts/dev.sh --record)",
      source: "scripts/dev.sh --record",
      secrets,
    });
    const line = converted.lines.at(-1);
    if (!line) return;
    line.n = offset + entries.length;
    const header = needHeader ? JSON.stringify(converted.header) + "\n" : "";
    needHeader = false;
    appendFileSync(out, header + JSON.stringify(line) + "\n");
  }

  const server = http.createServer((req, res) => {
    const started = new Date();
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
    headers["accept-encoding"] = "identity";
    const up = http.request(new URL(req.url, upstream), { method: req.method, headers }, (upRes) => {
      res.writeHead(upRes.statusCode, upRes.headers);
      const isMedia = req.url.startsWith("/m/");
      const text = /^text\/plain/.test(upRes.headers["content-type"] ?? "");
      const chunks = [];
      let size = 0;
      upRes.on("data", (c) => {
        size += c.length;
        if (text) chunks.push(c);
        res.write(c);
      });
      upRes.on("end", () => {
        // Recorded (synchronously) before the client sees the end of the response, so a client
        // that stops the recorder right after its last answer finds that answer in the file.
        if (isMedia) recordExchange();
        res.end();
      });
      const recordExchange = () => {
        const list = (h) => Object.entries(h).flatMap(([name, v]) => (Array.isArray(v) ? v : [v]).map((value) => ({ name, value: String(value) })));
        try {
          record({
            startedDateTime: started.toISOString(),
            request: { method: req.method, url: `http://${req.headers.host ?? "127.0.0.1"}${req.url}`, headers: list(req.headers) },
            response: { status: upRes.statusCode, headers: list(upRes.headers), content: text ? { size, text: Buffer.concat(chunks).toString("utf8") } : { size }, bodySize: size },
          });
        } catch (err) {
          console.error(`record-proxy: could not record ${req.method} ${req.url.split("?")[0]}: ${err.message}`);
        }
      };
    });
    up.on("error", (err) => {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`record-proxy: upstream ${upstream}: ${err.message}`);
    });
    req.pipe(up);
  });
  return new Promise((resolve) => server.listen(Number(listen), "127.0.0.1", () => resolve(server)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  startRecorder(args(process.argv.slice(2))).then((server) => {
    // The port it bound (--listen 0: the kernel's pick); scripts/dev.sh reads this line.
    console.log(`record-proxy: listening on http://127.0.0.1:${server.address().port}`);
  }, (err) => {
    console.error(`record-proxy: ${err.message}`);
    process.exit(2);
  });
}
