// scripts/dev.sh under a test (tests/worker/dev.test.js, tests/fixtures/record.test.js).
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// Starts `scripts/dev.sh ...args` in its own process group with PORT=0: wrangler dev (and the
// recording proxy) bind a port the kernel picks, and dev.sh prints the URLs with it (a port
// picked here could be taken before wrangler binds it). Returns { out(), ready, stop() }:
// `ready` resolves true once `marker` is printed, false if dev.sh exits first or `limitMs`
// pass; stop() ends dev.sh's group, whose trap stops wrangler and workerd, and resolves once
// dev.sh has exited (by then wrangler and workerd have too). `env`: more environment for dev.sh,
// e.g. { DEV_VARS: "MEDIA_UPLOAD_EXPIRY_SECONDS:2" } (wrangler dev `--var`s).
export function startDev(args, marker, { limitMs = 200000, env = {} } = {}) {
  const child = spawn("bash", ["scripts/dev.sh", ...args], { cwd: ROOT, detached: true, env: { ...process.env, ...env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const ready = new Promise((resolve) => {
    const timer = setInterval(() => {
      if (out.includes(marker)) done(true);
      else if (child.exitCode !== null) done(false);
    }, 200);
    const limit = setTimeout(() => done(false), limitMs);
    function done(ok) {
      clearInterval(timer);
      clearTimeout(limit);
      resolve(ok);
    }
  });
  return {
    out: () => out,
    ready,
    stop() {
      if (child.exitCode !== null) return Promise.resolve();
      const exited = new Promise((resolve) => child.on("exit", resolve));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      return exited;
    },
  };
}
