// What the tus end-to-end tests share (tests/worker/tus_client.test.js, tests/browser/tus.test.js):
// the 20 MiB test video, a TCP proxy that cuts a request body after N bytes, and small helpers
// around tus-js-client (the real client, its Node build). Nothing here is shipped.
import net from "node:net";
import http from "node:http";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, openSync, writeSync, closeSync, renameSync, statSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const MiB = 1024 * 1024;

// An H.264 MP4 of exactly 20 MiB (20,971,520 bytes: four 5 MiB parts), made with Debian's ffmpeg
// from its built-in test source and cached as build/media/tus-20mib.mp4: 10 s of 1280x720 at
// 25 fps with noise (so the encoder spends its bit rate), the index up front (+faststart), then a
// top-level `free` box that pads it to the exact size (players skip `free` boxes).
export const VIDEO_BYTES = 20 * MiB;
export function tusVideo() {
  const file = path.join(ROOT, "build/media/tus-20mib.mp4");
  if (existsSync(file) && statSync(file).size === VIDEO_BYTES) return file;
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp.${process.pid}`;
  const ff = spawnSync("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=10", "-vf", "noise=alls=25:allf=t+u",
    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-b:v", "15M", "-maxrate", "15M", "-bufsize", "8M", "-g", "25",
    "-threads", "1", "-fflags", "+bitexact", "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", tmp,
  ], { encoding: "utf8" });
  if (ff.status !== 0) throw new Error(`ffmpeg failed (scripts/setup.sh installs it): ${ff.stderr || ff.error}`);
  const made = statSync(tmp).size;
  const pad = VIDEO_BYTES - made;
  if (pad < 8) throw new Error(`ffmpeg made ${made} bytes, more than ${VIDEO_BYTES - 8}: lower the bit rate in tests/lib/tus.mjs`);
  const box = Buffer.alloc(pad);
  box.writeUInt32BE(pad, 0);
  box.write("free", 4, "latin1");
  const fd = openSync(tmp, "a");
  writeSync(fd, box);
  closeSync(fd);
  renameSync(tmp, file);
  return file;
}

export const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
export const sha256File = (file) => sha256(readFileSync(file));

// A TCP proxy on 127.0.0.1, port 0, in front of an HTTP origin (wrangler dev). It passes bytes
// both ways unchanged and follows the requests on each client connection (keep-alive: several
// requests per connection; bodies framed by content-length; a chunked body ends the following of
// that connection, which then passes as is), so that it can cut one request:
//   cutAfter(method, n) arms a cut of the next request with that method: once exactly n bytes of
//   its body have been passed on, the upstream side gets those bytes and a FIN (the body ends
//   early) and both sockets are destroyed. Returns a promise resolved (with the request line)
//   when the cut happened. One cut per arming. holdAfter(method, n) holds that request instead.
// Nudges: wrangler dev's own proxy in front of the Worker (its ProxyWorker) sometimes holds a
// request that follows one the Worker answered before reading its body to the end (a 409 or 423 to
// a PATCH sent while the previous one was still saving its bytes; a 415 after the first bytes):
// the request waits until another request reaches wrangler dev. That is a local-development
// artifact (seen with PUT too), not the gate's behaviour, and it would hang a client. So when an
// upstream has sent nothing for `nudgeMs` after a request was passed on whole, the proxy sends one
// `OPTIONS /m/nudge` (answered by the core at once, no token) to the upstream, which lets the held
// request through. It changes no answer; `nudges` counts them.
// setUpstream(origin) points new connections at another origin (wrangler dev restarted on another
// port); the proxy's own origin stays the same, so the client's upload URL stays valid.
export async function startCutProxy(upstream, { nudgeMs = 2000 } = {}) {
  let target = new URL(upstream);
  let nudges = 0;
  const nudge = () => {
    nudges++;
    const req = http.request(new URL("/m/nudge", target), { method: "OPTIONS", agent: false }, (res) => res.resume());
    req.on("error", () => {});
    req.end();
  };
  let armed = null; // { method, n, resolve }
  const sockets = new Set();
  const server = net.createServer((client) => {
    const up = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(up);
    const forget = () => {
      sockets.delete(client);
      sockets.delete(up);
    };
    let cutting = false; // the upstream side is being ended with the bytes passed on: leave it be
    client.on("close", forget);
    client.on("error", () => cutting || up.destroy());
    up.on("error", () => client.destroy());
    up.on("close", () => client.destroy());
    client.on("close", () => cutting || up.destroy());
    up.pipe(client);
    // The nudge timer: armed when a request has been passed on whole, cleared by any answer bytes.
    let quiet = null;
    const watch = () => {
      clearTimeout(quiet);
      quiet = setTimeout(nudge, nudgeMs);
    };
    up.on("data", () => clearTimeout(quiet));
    up.on("close", () => clearTimeout(quiet));

    // The client -> upstream direction, request by request.
    let head = Buffer.alloc(0); // header bytes of the request being read
    let bodyLeft = 0; // body bytes of the current request still to come
    let cut = null; // { left, resolve, line, hold } while the current request is the one to cut
    let raw = false; // a chunked request body: not followed, the rest of the connection passes as is
    let held = false; // a held request: nothing more passes from this client
    client.on("data", (data) => {
      if (held) return;
      if (raw) return void up.write(data);
      let at = 0;
      while (at < data.length) {
        if (bodyLeft > 0) {
          const take = Math.min(bodyLeft, data.length - at);
          if (cut && take >= cut.left && cut.hold) {
            // Held: the bytes so far passed on, the rest never; both sockets stay open.
            up.write(data.subarray(at, at + cut.left));
            client.pause();
            held = true;
            cut.resolve(cut.line);
            return;
          }
          if (cut && take >= cut.left) {
            cutting = true;
            up.end(data.subarray(at, at + cut.left));
            client.destroy();
            // The FIN first, then the socket: the upstream has every byte passed on.
            up.once("finish", () => setImmediate(() => up.destroy()));
            cut.resolve(cut.line);
            return;
          }
          if (cut) cut.left -= take;
          up.write(data.subarray(at, at + take));
          bodyLeft -= take;
          at += take;
          if (bodyLeft === 0) {
            cut = null;
            watch();
          }
          continue;
        }
        // Reading a header block: pass it on once it is complete.
        head = Buffer.concat([head, data.subarray(at)]);
        at = data.length;
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) break;
        const block = head.subarray(0, end + 4);
        const rest = head.subarray(end + 4);
        head = Buffer.alloc(0);
        const text = block.toString("latin1");
        const line = text.slice(0, text.indexOf("\r\n"));
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(text);
        if (/\r\ntransfer-encoding:/i.test(text)) {
          raw = true;
          up.write(Buffer.concat([block, rest]));
          return;
        }
        bodyLeft = length ? Number(length[1]) : 0;
        const method = line.split(" ")[0];
        if (armed && armed.method === method && bodyLeft > armed.n) {
          cut = { left: armed.n, resolve: armed.resolve, hold: armed.hold, line: line.replace(/\?.*? /, " ") };
          armed = null;
        }
        up.write(block);
        if (bodyLeft === 0) watch();
        // The rest of this chunk: body bytes or the next request.
        data = rest;
        at = 0;
      }
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    get nudges() {
      return nudges;
    },
    setUpstream(origin) {
      target = new URL(origin);
    },
    cutAfter(method, n) {
      return new Promise((resolve) => (armed = { method, n, resolve }));
    },
    // Like cutAfter, but the request is held instead of cut: exactly n body bytes passed on, then
    // nothing more, both sockets left open (until the upstream goes away, say).
    holdAfter(method, n) {
      return new Promise((resolve) => (armed = { method, n, resolve, hold: true }));
    },
    // Ends every open connection (after wrangler dev stops, the client's keep-alive sockets are dead).
    dropConnections() {
      for (const s of sockets) s.destroy();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}
