// explain answers as the Worker does under every setting: for each setting of
// wasm/spec/settings.json, its non-default `example` value given to the Worker
// (Miniflare binding, secret or var) and to `mediagate explain` (its
// environment), the same requests get the same status, headers, body and span.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { CLI, OBJECTS, DEFAULT_BINDINGS, ROOT, startGate, get, mint, mediaUrl } from "./helpers.js";

const SETTINGS = JSON.parse(readFileSync(path.join(ROOT, "wasm/spec/settings.json"), "utf8")).settings;
const PNG = "u/me_1/0123456789abcdef0123456789abcdef.png";
const MP4 = "u/v/clip.mp4";

function requestList(previousSecret) {
  const now = Math.floor(Date.now() / 1000);
  const list = [
    { method: "GET", url: mediaUrl(PNG, mint(PNG)) },
    { method: "HEAD", url: mediaUrl(MP4, mint(MP4)) },
    { method: "GET", url: mediaUrl(MP4, mint(MP4)), headers: { range: "bytes=10-19" } },
    // 900 s ahead: past a shorter MEDIA_MAX_TOKEN_TTL_SECONDS.
    { method: "GET", url: mediaUrl(PNG, mint(PNG, { mode: "priv", exp: now + 900 })), headers: { range: "bytes=0-1" } },
    // Expired 30 s ago: within the default clock skew, not within 0.
    { method: "GET", url: mediaUrl(PNG, mint(PNG, { mode: "priv", exp: now - 30 })) },
    { method: "GET", url: mediaUrl(PNG, mint(PNG, { secret: previousSecret })) },
    { method: "GET", url: mediaUrl("u/missing.png", mint("u/missing.png")) },
    { method: "GET", url: mediaUrl(PNG) },
  ];
  return list.map((r) => ({ ...r, now, headers: r.headers ?? {} }));
}

function explainAll(requests, meta, env) {
  const lines = requests.map((r) => {
    const u = new URL(r.url);
    const key = decodeURIComponent(u.pathname.slice(3));
    return JSON.stringify({ method: r.method, url: u.pathname + u.search, headers: r.headers, now: r.now, object: meta[key] ?? null });
  });
  const out = spawnSync(CLI, ["explain"], { input: lines.join("\n") + "\n", env: { ...process.env, ...env }, encoding: "utf8" });
  assert.equal(out.status, 0, out.stderr);
  return out.stdout.trim().split("\n").map((l) => JSON.parse(l));
}

// The Worker's options and explain's environment for one setting at value `v`. The
// Worker runs without the revocation KV binding: what KV holds is a request fact, not a
// setting, and explain's requests carry none (revocation disabled, as without the binding).
// startGate's option that leaves each binding the core reads unbound.
const UNBOUND = { MEDIA_BUCKET: { bucket: false }, MEDIA_UPLOAD_STATE: { uploadState: false } };
function under(setting, v) {
  if (setting.kind === "binding") return { gate: { ...UNBOUND[setting.name], revocations: false }, env: { ...DEFAULT_BINDINGS, [setting.name]: "0" } };
  const bindings = { ...DEFAULT_BINDINGS, [setting.name]: v };
  return { gate: { bindings, revocations: false }, env: bindings };
}

// A value the setting's type refuses (the Worker and explain then both answer 503
// worker_not_configured).
const invalid = (setting) => (setting.type === "list" ? " , " : "not a value");

describe("settings parity: explain honours every setting the Worker honours", () => {
  const core = SETTINGS.filter((s) => s.kind !== "doc");

  it("every setting the core reads has a non-default example", () => {
    for (const s of core) if (s.kind !== "binding") assert.ok(s.example !== undefined && s.example !== s.default, s.name);
    assert.ok(core.length >= 14);
  });

  const cases = [
    ...core.map((setting) => [setting, setting.example]),
    ...core.filter((setting) => setting.kind === "var").map((setting) => [setting, invalid(setting)]),
  ];
  for (const [setting, value] of cases) {
    it(`${setting.name} = ${setting.kind === "binding" ? "(unbound)" : JSON.stringify(value)}`, async () => {
      const { gate, env } = under(setting, value);
      const mf = await startGate(gate);
      try {
        const meta = {};
        if (gate.bucket !== false) {
          const r2 = await mf.getR2Bucket("MEDIA_BUCKET");
          for (const key of Object.keys(OBJECTS)) {
            const o = await r2.head(key);
            const lastModified = new Date(Math.floor(o.uploaded.getTime() / 1000) * 1000).toUTCString();
            meta[key] = { size: o.size, etag: o.httpEtag, last_modified: lastModified, content_type: o.httpMetadata?.contentType ?? "" };
          }
        }
        const previous = setting.name === "MEDIA_TOKEN_SECRET_PREVIOUS" ? setting.example : "not-a-configured-secret";
        const requests = requestList(previous);
        const expected = explainAll(requests, meta, env);
        for (const [i, r] of requests.entries()) {
          const want = expected[i];
          const label = `${setting.name}: ${r.method} ${r.url.slice(0, 70)} ${JSON.stringify(r.headers)}`;
          const res = await get(mf, r.url, { method: r.method, headers: r.headers });
          assert.equal(res.status, want.status, label);
          assert.deepEqual(res.headers, want.headers, label);
          if (want.body !== undefined && r.method !== "HEAD") assert.equal(res.text, want.body, label);
          if (want.span) {
            const key = decodeURIComponent(new URL(r.url).pathname.slice(3));
            assert.deepEqual(res.body, OBJECTS[key].body.slice(want.span[0], want.span[1] + 1), label);
          } else if (want.body === undefined) {
            assert.equal(res.body.length, 0, label);
          }
        }
      } finally {
        await mf.dispose();
      }
    });
  }
});
