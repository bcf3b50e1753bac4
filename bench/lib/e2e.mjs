// End-to-end rows: each Worker under wrangler's local dev server (what
// `wrangler dev --local` runs; started by bench/lib/dev-worker.mjs) on 127.0.0.1,
// loaded by Debian's wrk. Traffic goes to 127.0.0.1 only, every wrk run is
// bounded by its duration (and a kill timeout), and every process started
// here is stopped by its process group when the run ends.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync, readFileSync, cpSync } from "node:fs";
import path from "node:path";
import { Miniflare } from "miniflare";
import { ROOT, SECRET, BENCH_OBJECTS } from "./common.mjs";
import { shimFiles } from "../../tests/lib/shim.mjs";

const DEV_WORKER = path.join(ROOT, "bench/lib/dev-worker.mjs");

// Everything a run writes (local R2 state, the Workers' snapshots, the
// secret file) is under build/bench/run-<pid>/, removed when the run stops:
// two runs at once (a full bench and test.sh's smoke run) never share state.
const RUN_DIR = path.join(ROOT, "build/bench", `run-${process.pid}`);

// The Workers, each run the same way: `config` is its wrangler.toml, and it
// runs from a snapshot of `files` (copied keeping their paths) taken when the
// run starts, so that edits to the tree during a run, or scripts/build.sh
// replacing the .wasm, neither reload a Worker under load nor mix two
// versions in one table. mediagate runs twice: with its edge cache off, so
// that every request takes the gate's full path to R2 (the rows the old
// Worker is compared on), and as configured in wrangler.toml, for the
// cached-hit row.
const GATE_FILES = ["wrangler.toml", "worker-shim"];
export const E2E_WORKERS = [
  { name: "mediagate", config: "wrangler.toml", files: GATE_FILES, vars: ["MEDIA_EDGE_CACHE:off"] },
  { name: "mediagate-cache", config: "wrangler.toml", files: GATE_FILES, vars: [] },
  // The same gate with `console` dropped in its snapshot (the denied row
  // only): what its always-written denial log line costs under wrangler dev.
  { name: "mediagate-quiet", config: "wrangler.toml", files: GATE_FILES, vars: ["MEDIA_EDGE_CACHE:off"],
    edit: { files: shimFiles(), prepend: "const console = { log() {}, info() {}, warn() {}, error() {}, debug() {} };\n" } },
  { name: "baseline", config: "bench/baseline-worker/wrangler.toml", files: ["bench/baseline-worker"], vars: [] },
  // The old Worker writing the contract's log line for each denial too (the denied row only).
  { name: "baseline-logged", config: "bench/baseline-worker/wrangler.toml", files: ["bench/baseline-worker"], vars: ["BASELINE_LOG:on"] },
  { name: "floor", config: "bench/floor-worker/wrangler.toml", files: ["bench/floor-worker"], vars: [] },
];

// Seeds `<dir>/v3` (wrangler dev --persist-to <dir> reads it) with the bench
// objects in bucket "media", through Miniflare (the same version wrangler
// runs): seconds faster than one `wrangler r2 object put` per object.
async function seed(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 404 }); } }",
    r2Buckets: { MEDIA_BUCKET: "media" },
    defaultPersistRoot: path.join(dir, "v3"),
    cf: false,
  });
  await mf.ready;
  const r2 = await mf.getR2Bucket("MEDIA_BUCKET");
  for (const [key, o] of Object.entries(BENCH_OBJECTS)) await r2.put(key, o.body, { httpMetadata: { contentType: o.type } });
  await mf.dispose();
}

// Starts every Worker on its own free loopback port. Returns
// { workers: [{name, origin}], stop() }.
export async function startWorkers({ log = () => {} } = {}) {
  const state = path.join(RUN_DIR, "state");
  mkdirSync(state, { recursive: true });
  // The bench's own secret file: wrangler then does not read the
  // checkout's .dev.vars (scripts/dev.sh's secret).
  const envFile = path.join(state, "bench.env");
  writeFileSync(envFile, `MEDIA_TOKEN_SECRET=${SECRET}\n`);
  const started = [];
  // Stops every process group started here (SIGTERM, then SIGKILL after 5 s
  // for anything left), then removes the run's directory.
  const stop = async () => {
    const signal = (sig) => {
      for (const w of started) {
        try {
          process.kill(-w.child.pid, sig);
        } catch {}
      }
    };
    signal("SIGTERM");
    const exited = (w) => w.child.exitCode !== null || w.child.signalCode !== null;
    for (let waited = 0; waited < 5000 && !started.every(exited); waited += 100) await new Promise((r) => setTimeout(r, 100));
    signal("SIGKILL");
    rmSync(RUN_DIR, { recursive: true, force: true });
  };
  try {
    for (const w of E2E_WORKERS) {
      const dir = path.join(state, w.name);
      await seed(dir);
      const snap = path.join(RUN_DIR, "snapshot", w.name);
      rmSync(snap, { recursive: true, force: true });
      for (const f of w.files) cpSync(path.join(ROOT, f), path.join(snap, f), { recursive: true });
      for (const f of w.edit?.files ?? []) {
        const file = path.join(snap, f);
        writeFileSync(file, w.edit.prepend + readFileSync(file, "utf8"));
      }
      // bench/lib/dev-worker.mjs: wrangler's dev server on a port the
      // kernel picks, reported back once bound and loaded (never a port
      // picked free beforehand: docs/TESTING.md, "Ports"). detached: its own
      // process group (as setsid), so stop() ends node, esbuild and workerd
      // together.
      const opts = { config: path.join(snap, w.config), persist: dir, envFile, vars: Object.fromEntries(w.vars.map((v) => v.split(":"))) };
      const child = spawn(process.execPath, [DEV_WORKER, JSON.stringify(opts)], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" } });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      log(`started ${w.name}: node bench/lib/dev-worker.mjs ${JSON.stringify(opts)}`);
      started.push({ name: w.name, child, output: () => out });
    }
    for (const w of started) w.origin = await readyOrigin(w);
  } catch (err) {
    await stop();
    throw err;
  }
  return { workers: started, stop };
}

// The origin the Worker's dev server reports once it listens ("ready
// <origin>" from dev-worker.mjs).
async function readyOrigin(w, limitMs = 90000) {
  const t0 = Date.now();
  for (;;) {
    const m = /^ready (http:\/\/127\.0\.0\.1:\d+)$/m.exec(w.output());
    if (m) return m[1];
    if (w.child.exitCode !== null || w.child.signalCode !== null) {
      throw new Error(`${w.name}: its dev server exited (${w.child.exitCode ?? w.child.signalCode}):\n${w.output().slice(-2000)}`);
    }
    if (Date.now() - t0 > limitMs) throw new Error(`${w.name}: not listening after ${limitMs} ms:\n${w.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// wrk's latency values: "812.00us", "1.23ms", "2.00s".
function toMs(v) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v);
  if (!m) return NaN;
  return Number(m[1]) * { us: 1e-3, ms: 1, s: 1e3, m: 6e4 }[m[2]];
}

function wrkArgs(url, headers, seconds, connections) {
  const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "--timeout", "5s"];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  args.push(url);
  return args;
}

function wrkResult(url, out, stderr) {
  const pct = (p) => toMs((new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(out) || [])[1] ?? "");
  const num = (re) => Number((re.exec(out) || [])[1] ?? 0);
  const result = {
    rps: num(/^Requests\/sec:\s+([\d.]+)/m),
    p50_ms: pct(50),
    p99_ms: pct(99),
    requests: num(/^\s+(\d+) requests in/m),
    non2xx3xx: num(/Non-2xx or 3xx responses:\s+(\d+)/),
    errors: (/Socket errors:.*/.exec(out) || [""])[0],
  };
  if (!(result.rps > 0)) throw new Error(`wrk gave no result for ${url}:\n${out}\n${stderr}`);
  return result;
}

// One wrk run against `url`. Returns { rps, p50_ms, p99_ms, requests, non2xx3xx, errors }.
export function runWrk(url, headers, { seconds = 5, connections = 8 } = {}) {
  const r = spawnSync("wrk", wrkArgs(url, headers, seconds, connections), { encoding: "utf8", timeout: (seconds + 30) * 1000, killSignal: "SIGKILL" });
  if (r.error) throw new Error(`wrk: ${r.error.message} (is wrk installed? scripts/setup.sh installs it)`);
  return wrkResult(url, r.stdout, r.stderr);
}

// The same, without blocking this process: a Worker whose workerd is this
// process's child (Miniflare) writes its log lines to a pipe this process
// must keep reading, or workerd stops once the pipe is full.
export function runWrkAsync(url, headers, { seconds = 5, connections = 8 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", wrkArgs(url, headers, seconds, connections), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), (seconds + 30) * 1000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`wrk: ${e.message} (is wrk installed? scripts/setup.sh installs it)`));
    });
    child.on("close", () => {
      clearTimeout(timer);
      try {
        resolve(wrkResult(url, out, err));
      } catch (e) {
        reject(e);
      }
    });
  });
}
