#!/usr/bin/env node
// Load and soak against the real runtime (issue 6): starts `wrangler dev --local` on 127.0.0.1
// with its own state, secret and seeded media, sends a bounded mix of the requests browsers and
// attackers send (public and private 200s, Safari's and Chrome's 206s, 304s, HEAD, 401, 404, 410,
// 412, 416, 400, 405), checks every answer (status, content-length, bytes, cache-control), and
// samples the Wasm core's linear memory from the Worker's own log lines (`wasm_memory`), which
// must stay flat once warmed up. Traffic goes to 127.0.0.1 only.
//
//   node scripts/soak.mjs [--requests N] [--concurrency C] [--port P] [--max-seconds S] [--json]
//
//   --requests N      requests to send (default 100000)
//   --concurrency C   requests in flight (default 16)
//   --port P          wrangler dev's port (default 0: the kernel picks one, read back from
//                     wrangler's "Ready on" line; never a port picked free beforehand)
//   --max-seconds S   give up (and fail) after S seconds of traffic (default 1800)
//   --json            print only the summary, as one JSON line
//
// Exit status 0 when every answer was the expected one and memory stayed flat; 1 otherwise.
// Each run keeps its state, log and summary in build/soak/<pid>/ (never .wrangler/ or .dev.vars),
// so runs never share state; a later run removes the directories of runs that have ended.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { mint as mintToken } from "../tests/lib/token.mjs";
import { MEDIA, PHOTO, CLIP, REVOKED, running, workerdRss, kinds, prng } from "../tests/lib/soak.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = path.join(ROOT, "build/soak");
const DIR = path.join(RUNS, String(process.pid));
const WRANGLER = path.join(ROOT, "node_modules/.bin/wrangler");

// --- Options ------------------------------------------------------------------------------------

function options(argv) {
  const o = { requests: 100000, concurrency: 16, port: 0, maxSeconds: 1800, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) usage(`${a} needs a positive integer`);
      return v;
    };
    if (a === "--requests") o.requests = num();
    else if (a === "--concurrency") o.concurrency = num();
    else if (a === "--port") o.port = num();
    else if (a === "--max-seconds") o.maxSeconds = num();
    else if (a === "--json") o.json = true;
    else usage(`unknown argument ${a}`);
  }
  return o;
}
function usage(msg) {
  console.error(`soak.mjs: ${msg}\nusage: node scripts/soak.mjs [--requests N] [--concurrency C] [--port P] [--max-seconds S] [--json]`);
  process.exit(2);
}
const opt = options(process.argv.slice(2));
const say = opt.json ? () => {} : (...a) => console.log(...a);

// --- Tokens ---------------------------------------------------------------------------------------

// The backend's token (docs/CONTRACT.md section 3), by the one minter of tests/lib/token.mjs.
const minted = new Set(); // every token sent: none may appear in a log line
function mint(secret, key, mode, exp) {
  const token = mintToken(key, { mode, exp, secret });
  minted.add(token);
  return token;
}

// --- Processes -----------------------------------------------------------------------------------

// Runs wrangler once (seeding local R2/KV); resolves when it exits 0.
function wrangler(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(WRANGLER, args, { cwd: ROOT, env: WRANGLER_ENV, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`wrangler ${args.slice(0, 3).join(" ")} failed:\n${out.slice(-2000)}`))));
  });
}
// Loopback only: no telemetry, no download of the Request.cf object.
const WRANGLER_ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

// --- Main -----------------------------------------------------------------------------------------

let stop = () => {}; // stops wrangler dev's process group once it runs

async function main() {
  if (!existsSync(path.join(ROOT, "worker-shim/mediagate.wasm"))) throw new Error("worker-shim/mediagate.wasm is missing: run scripts/setup.sh");
  const cli = path.join(ROOT, "build/native/mediagate");
  if (!existsSync(cli)) throw new Error("build/native/mediagate is missing: run scripts/setup.sh");
  mkdirSync(RUNS, { recursive: true });
  for (const name of readdirSync(RUNS)) {
    if (/^\d+$/.test(name) && !running(Number(name))) rmSync(path.join(RUNS, name), { recursive: true, force: true });
  }
  mkdirSync(path.join(DIR, "media"), { recursive: true });
  const state = path.join(DIR, "state");
  const secret = randomBytes(32).toString("hex");
  // wrangler dev reads this instead of .dev.vars (--env-file); never committed (build/).
  writeFileSync(path.join(DIR, "soak.env"), `MEDIA_TOKEN_SECRET=${secret}\n`);

  // Seed local R2 (one upload per content type) and KV (the revocation entry, and the snapshot the
  // scheduled handler would build from it). One wrangler at a time: they all open the same local
  // state.
  const started = Date.now();
  const byType = {};
  for (const [key, o] of Object.entries(MEDIA)) {
    const file = path.join(DIR, "media", key.replaceAll("/", "_"));
    writeFileSync(file, o.body);
    (byType[o.type] ??= []).push({ key, file });
  }
  const bulk = path.join(DIR, "bulk.json");
  const snap = spawnSync(cli, ["revocations", "build-snapshot", "--out", path.join(DIR, "snap.bin"), "--bulk", bulk], { input: `${REVOKED}\n`, encoding: "utf8" });
  if (snap.status !== 0) throw new Error(`mediagate revocations build-snapshot failed: ${snap.stderr}`);
  const persist = ["--local", "--persist-to", state];
  for (const [type, list] of Object.entries(byType)) {
    const listFile = path.join(DIR, `r2-${type.replace("/", "-")}.json`);
    writeFileSync(listFile, JSON.stringify(list));
    await wrangler(["r2", "bulk", "put", "media", "--filename", listFile, "--content-type", type, "--concurrency", "1", ...persist]);
  }
  await wrangler(["kv", "bulk", "put", bulk, "--binding", "MEDIA_REVOCATIONS", ...persist]);
  await wrangler(["kv", "key", "put", "snapshot:v1", "--path", path.join(DIR, "snap.bin"), "--binding", "MEDIA_REVOCATIONS", ...persist]);
  const seeded = Date.now();

  // wrangler dev in its own process group (setsid): wrangler, esbuild and workerd all stop with it.
  const dev = spawn(
    WRANGLER,
    ["dev", "--ip", "127.0.0.1", "--port", String(opt.port), "--inspector-port", "0", "--env-file", path.join(DIR, "soak.env"),
      // Reload the revocation snapshot every second: the soak exercises the reload too.
      "--var", "MEDIA_REVOCATION_REFRESH_SECONDS:1", "--show-interactive-dev-session=false", "--log-level", "log", ...persist],
    { cwd: ROOT, env: WRANGLER_ENV, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  stop = () => {
    try {
      process.kill(-dev.pid, "SIGTERM");
    } catch {}
  };
  process.on("exit", stop);
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

  // The Worker's log lines: keep them (<DIR>/wrangler.log), read the memory samples.
  const log = createWriteStream(path.join(DIR, "wrangler.log"));
  const shown = path.relative(ROOT, DIR);
  const memory = []; // { done, wasm_memory }
  const lines = []; // the Worker's and wrangler's output, scanned for tokens at the end
  let done = 0;
  let devOutput = "";
  let base = null; // set from wrangler dev's "Ready on" line
  for (const stream of [dev.stdout, dev.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      log.write(line + "\n");
      lines.push(line);
      if (devOutput.length < 20000) devOutput += line + "\n";
      // The port wrangler dev bound (port 0: the kernel's pick), from its "Ready on" line.
      const ready = /Ready on http:\/\/127\.0\.0\.1:(\d+)/.exec(line.replace(/\x1b\[[0-9;]*m/g, ""));
      if (ready && !base) base = `http://127.0.0.1:${ready[1]}`;
      const i = line.indexOf('{"ts":');
      if (i < 0 || !line.includes('"wasm_memory"')) return;
      try {
        const o = JSON.parse(line.slice(i));
        if (Number.isInteger(o.wasm_memory)) memory.push({ done, wasm_memory: o.wasm_memory });
      } catch {}
    });
  }

  const now = () => Math.floor(Date.now() / 1000);
  let privExp = now() + 3000;
  const t = {
    raw: (key, mode) => mint(secret, key, mode, privExp),
    url: (key, mode) => `/m/${key}?t=${mint(secret, key, mode, privExp)}`,
    forged: mint("not-the-secret", PHOTO, "pub"),
    expired: mint(secret, PHOTO, "priv", now() - 600),
  };

  // Ready when a public URL answers 200 (wrangler dev builds and starts workerd first).
  const readyBy = Date.now() + 90000;
  let etag = null;
  for (;;) {
    if (dev.exitCode !== null) throw new Error(`wrangler dev exited:\n${devOutput.slice(-3000)}`);
    if (Date.now() > readyBy) throw new Error(`wrangler dev not ready after 90 s:\n${devOutput.slice(-3000)}`);
    if (!base) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    try {
      const res = await fetch(base + t.url(PHOTO, "pub"), { method: "HEAD" });
      if (res.status === 200) {
        etag = res.headers.get("etag");
        break;
      }
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  const ready = Date.now();

  // Private tokens expire: re-mint them well before (the run is bounded by --max-seconds).
  let mix = kinds(t, { etag });
  const table = mix.flatMap((k, i) => Array(k.weight).fill(i));
  const counts = mix.map(() => ({ sent: 0, unexpected: 0 }));
  const examples = [];
  const rss = [];
  // Warm-up: the first tenth of the requests (at least 500) and the first 3 s of traffic, so
  // that the isolate has loaded the snapshot into both of its slots (a reload every second).
  let warmup = Math.min(Math.max(500, Math.floor(opt.requests / 10)), Math.floor(opt.requests / 2));
  setTimeout(() => (warmup = Math.max(warmup, done)), 3000).unref();
  const rand = prng(6);
  let next = 0;
  let timedOut = false;
  const deadline = Date.now() + opt.maxSeconds * 1000;

  const check = async (k, req) => {
    const res = await fetch(base + req.path, { method: k.method ?? "GET", headers: { "accept-encoding": "identity", ...(req.headers ?? {}) }, redirect: "manual" });
    const body = Buffer.from(await res.arrayBuffer());
    const problems = [];
    if (res.status !== k.status) problems.push(`status ${res.status}`);
    if (k.cc && res.headers.get("cache-control") !== k.cc) problems.push(`cache-control ${res.headers.get("cache-control")}`);
    if (res.status === k.status && (k.span || k.length !== undefined)) {
      const want = k.span ? k.span[1] - k.span[0] + 1 : k.length;
      if (res.headers.get("content-length") !== String(want)) problems.push(`content-length ${res.headers.get("content-length")}, want ${want}`);
      if (k.span && !body.equals(MEDIA[k.key].body.subarray(k.span[0], k.span[1] + 1))) problems.push(`body of ${body.length} bytes differs`);
    }
    if (k.empty && body.length !== 0) problems.push(`a body of ${body.length} bytes`);
    return problems;
  };

  const worker = async () => {
    for (;;) {
      if (next >= opt.requests) return;
      if (Date.now() > deadline) {
        timedOut = true;
        return;
      }
      const i = next++;
      if (now() > privExp - 600) {
        privExp = now() + 3000;
        mix = kinds(t, { etag });
      }
      const which = table[Math.floor(rand() * table.length)];
      const k = mix[which];
      const req = k.dynamic ? { ...k, ...k.dynamic(rand) } : k;
      const kk = req.span ? { ...k, span: req.span } : k;
      counts[which].sent++;
      let problems;
      try {
        problems = await check(kk, req);
      } catch (err) {
        problems = [`transport: ${err.cause?.code ?? err.message}`];
      }
      if (problems.length) {
        counts[which].unexpected++;
        if (examples.length < 10) examples.push({ request: i, kind: k.name, problems });
      }
      done++;
      if (done % 1000 === 0) rss.push({ done, rss_kib: workerdRss(dev.pid) });
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: opt.concurrency }, worker));
  const seconds = (Date.now() - t0) / 1000;
  rss.push({ done, rss_kib: workerdRss(dev.pid) });
  // The last log lines arrive after their responses.
  await new Promise((r) => setTimeout(r, 500));
  stop();

  const unexpected = counts.reduce((n, c) => n + c.unexpected, 0);
  // docs/CONTRACT.md section 8 under the real runtime: no output line holds a token, either half of
  // one, or a t= query.
  const needles = [...minted].flatMap((tok) => tok.split(".")).filter((p) => p.length >= 16);
  const leaks = lines.filter((l) => l.includes("?t=") || l.includes("&t=") || needles.some((n) => l.includes(n))).length;
  const after = memory.filter((m) => m.done >= warmup);
  const values = after.map((m) => m.wasm_memory);
  const flat = values.length >= 2 && Math.min(...values) === Math.max(...values);
  const total = (pidRss) => Object.values(pidRss).reduce((a, b) => a + b, 0);
  const rssAfter = rss.filter((r) => r.done >= warmup).map((r) => total(r.rss_kib));
  const summary = {
    requests: done,
    requested: opt.requests,
    concurrency: opt.concurrency,
    seconds: Number(seconds.toFixed(1)),
    requests_per_second: Math.round(done / seconds),
    unexpected,
    log_lines: lines.length,
    log_lines_with_token_material: leaks,
    timed_out: timedOut,
    setup_seconds: { seed: (seeded - started) / 1000, start: (ready - seeded) / 1000 },
    kinds: Object.fromEntries(mix.map((k, i) => [k.name, counts[i]])),
    memory: {
      warmup_requests: warmup,
      samples: memory.length,
      samples_after_warmup: after.length,
      wasm_memory_bytes_during_warmup: [...new Set(memory.filter((m) => m.done < warmup).map((m) => m.wasm_memory))],
      wasm_memory_bytes_after_warmup: [...new Set(values)],
      flat,
      workerd_rss_kib_after_warmup: rssAfter.length ? { first: rssAfter[0], last: rssAfter.at(-1), max: Math.max(...rssAfter) } : null,
    },
    examples,
  };
  summary.rss_samples = rss;
  writeFileSync(path.join(DIR, "summary.json"), JSON.stringify(summary, null, 1) + "\n");
  delete summary.rss_samples;
  if (opt.json) console.log(JSON.stringify(summary));
  else {
    say(`\nsoak: ${done} requests in ${summary.seconds} s (${summary.requests_per_second} req/s, concurrency ${opt.concurrency}) against wrangler dev on ${base}`);
    for (const [name, c] of Object.entries(summary.kinds)) say(`  ${name.padEnd(34)} ${String(c.sent).padStart(7)} sent ${String(c.unexpected).padStart(5)} unexpected`);
    say(`  unexpected answers: ${unexpected}${timedOut ? " (stopped at --max-seconds)" : ""}`);
    say(`  log lines: ${lines.length}, with token material: ${leaks}`);
    for (const e of examples) say(`    #${e.request} ${e.kind}: ${e.problems.join("; ")}`);
    say(`  Wasm linear memory: ${summary.memory.samples} samples; during warm-up (${warmup} requests) ${summary.memory.wasm_memory_bytes_during_warmup.join(", ")} bytes; after ${summary.memory.wasm_memory_bytes_after_warmup.join(", ")} bytes (${after.length} samples): ${flat ? "flat" : "NOT FLAT"}`);
    if (summary.memory.workerd_rss_kib_after_warmup) {
      const r = summary.memory.workerd_rss_kib_after_warmup;
      say(`  workerd RSS after warm-up: first ${r.first} KiB, last ${r.last} KiB, max ${r.max} KiB (informational)`);
    }
    say(`  setup: seeding ${summary.setup_seconds.seed} s, wrangler dev ready in ${summary.setup_seconds.start} s; ${shown}/: wrangler.log, summary.json`);
  }
  const ok = unexpected === 0 && leaks === 0 && flat && !timedOut && done === opt.requests;
  process.exitCode = ok ? 0 : 1;
}

main().catch((err) => {
  console.error(`soak.mjs: ${err.message}`);
  process.exitCode = 1;
  stop();
});
