// The deployable bundle: `wrangler deploy --dry-run --outdir dist` output,
// run under Miniflare with only the bindings wrangler.toml declares.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { Miniflare } from "miniflare";
import { ROOT, SECRET, OBJECTS, get, mint, mediaUrl } from "./helpers.js";
import { tomlVars, tomlDurableObjects } from "../lib/wrangler-toml.mjs";

const OUT = path.join(ROOT, "build/dist-test");
const WRANGLER_TOML = path.join(ROOT, "wrangler.toml");

describe("wrangler deploy --dry-run bundle", () => {
  let mf;
  before(async () => {
    rmSync(OUT, { recursive: true, force: true });
    const r = spawnSync(path.join(ROOT, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", OUT], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const files = readdirSync(OUT);
    const wasm = files.filter((f) => f.endsWith(".wasm"));
    assert.equal(wasm.length, 1, `one .wasm in the bundle: ${files}`);
    mf = new Miniflare({
      modulesRoot: OUT,
      modules: [
        { type: "ESModule", path: path.join(OUT, "index.js") },
        { type: "CompiledWasm", path: path.join(OUT, wasm[0]) },
      ],
      compatibilityDate: "2025-09-01",
      r2Buckets: ["MEDIA_BUCKET"],
      kvNamespaces: ["MEDIA_REVOCATIONS"],
      durableObjects: tomlDurableObjects(WRANGLER_TOML),
      bindings: { ...tomlVars(WRANGLER_TOML), MEDIA_TOKEN_SECRET: SECRET },
      cf: false,
    });
    await mf.ready;
    const r2 = await mf.getR2Bucket("MEDIA_BUCKET");
    for (const [key, o] of Object.entries(OBJECTS)) await r2.put(key, o.body, o.type ? { httpMetadata: { contentType: o.type } } : {});
  });
  after(async () => {
    await mf?.dispose();
  });

  it("the bundle serves whole, ranged and denied requests", async () => {
    const key = "u/v/clip.mp4";
    const whole = await get(mf, mediaUrl(key, mint(key)));
    assert.equal(whole.status, 200);
    assert.deepEqual(whole.body, OBJECTS[key].body);
    const part = await get(mf, mediaUrl(key, mint(key, { mode: "priv" })), { headers: { range: "bytes=0-1" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers["content-range"], "bytes 0-1/200000");
    assert.equal(part.headers["cache-control"], "private, no-store");
    const denied = await get(mf, mediaUrl(key, "x.y"));
    assert.equal(denied.status, 401);
    assert.equal(denied.text, "forbidden");
  });

  it("the bundle exports the upload state class wrangler.toml binds, SQLite-backed", async () => {
    assert.deepEqual(tomlDurableObjects(WRANGLER_TOML), { MEDIA_UPLOAD_STATE: { className: "UploadState", useSQLite: true } });
    const ns = await mf.getDurableObjectNamespace("MEDIA_UPLOAD_STATE");
    const stub = ns.get(ns.idFromName("u/v/new.mp4"));
    assert.equal(await stub.state(), null);
    const row = { id: "a", key: "u/v/new.mp4", ct: "video/mp4", length: 9, partSize: 5242880, created: 1, expires: 4000000000, tokenE: 2 };
    assert.equal((await stub.create(row)).created, true);
    assert.equal((await stub.state()).length, 9);
  });
});
