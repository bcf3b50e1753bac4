// The CLI's conventions (docs/CLI.md, "Conventions"), for every command, native and Node-run,
// through scripts/mediagate as an operator runs it: help on stdout with exit 0, before anything
// reads the environment or stdin; --version with the project version and the shipped module's
// hash; usage errors on stderr with exit 2.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT, CLI, DEFAULT_BINDINGS, startGate, get } from "./helpers.js";
import { SECRET, mint, mintPut, keyPath } from "../lib/token.mjs";
import { requestFacts, RESULT, REVOCATION, OP } from "../../worker-shim/core.js";
import { newIsolate, configure } from "../../worker-shim/isolate.js";

const COMMANDS = ["mint", "verify", "explain", "fingerprint", "revoke", "revocations", "stats", "fixtures", "abi"];
// No secret in the environment: help must not need one.
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MEDIA_")));
// A request explain would answer if it read stdin.
const REQUEST = JSON.stringify({ url: "/m/u/a.png", now: 1767225600, object: null }) + "\n";

function run(args, input = "", env = ENV) {
  const r = spawnSync(path.join(ROOT, "scripts/mediagate"), args, { cwd: ROOT, env, input, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, what: `mediagate ${args.join(" ")}: exit ${r.status}\n${r.stdout}\n${r.stderr}` };
}

describe("mediagate CLI conventions", () => {
  for (const args of [["--help"], ["-h"], ["help"]]) {
    it(`\`mediagate ${args[0]}\`: usage listing every operator command on stdout, exit 0`, () => {
      const r = run(args);
      assert.equal(r.status, 0, r.what);
      assert.equal(r.stderr, "", r.what);
      assert.match(r.stdout, /^usage: mediagate COMMAND/, r.what);
      for (const c of COMMANDS.filter((c) => c !== "abi")) assert.match(r.stdout, new RegExp(`^  ${c} `, "m"), `${c} missing\n${r.what}`);
    });
  }

  for (const c of COMMANDS) {
    for (const args of [[c, "--help"], [c, "-h"], ["help", c]]) {
      it(`\`mediagate ${args.join(" ")}\`: its usage on stdout, exit 0, no secret needed, stdin not read`, () => {
        const r = run(args, REQUEST);
        assert.equal(r.status, 0, r.what);
        assert.equal(r.stderr, "", r.what);
        assert.match(r.stdout, new RegExp(`usage:\\s+(scripts/)?mediagate ${c}\\b`), r.what);
        assert.doesNotMatch(r.stdout, /"status"|not set/, r.what);
      });
    }
  }

  it("`mediagate --version`: the package.json version and the sha256 of worker-shim/mediagate.wasm", () => {
    const r = run(["--version"]);
    assert.equal(r.status, 0, r.what);
    assert.equal(r.stderr, "", r.what);
    const version = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
    const wasm = path.join(ROOT, "worker-shim/mediagate.wasm");
    const second = existsSync(wasm)
      ? `worker-shim/mediagate.wasm sha256 ${createHash("sha256").update(readFileSync(wasm)).digest("hex")}`
      : "worker-shim/mediagate.wasm: absent (scripts/build.sh builds it)";
    assert.equal(r.stdout, `mediagate ${version}\n${second}\n`);
  });

  const USAGE_ERRORS = [
    [],
    ["bogus"],
    ["help", "bogus"],
    ["mint", "--public"],
    ["mint", "--key", "u/a.png", "--public", "--bogus"],
    ["mint", "--key", "u/a.png", "--upload"],
    ["mint", "--key", "u/a.png", "--upload", "--type", "image/png", "--max-bytes", "0"],
    ["mint", "--key", "u/a.png", "--upload", "--type", "image/png", "--max-bytes", "1.5"],
    ["mint", "--key", "u/a.png", "--upload", "--type", "image/png", "--max-bytes", "-1"],
    ["mint", "--key", "u/a.png", "--public", "--type", "image/png"],
    ["mint", "--key", "u/a.png", "--public", "--upload", "--type", "image/png"],
    ["verify"],
    ["verify", "/m/a", "/m/b"],
    ["explain", "extra"],
    ["fingerprint", "extra"],
    ["revoke"],
    ["revoke", "u/a.png", "--scope", "some"],
    ["revocations"],
    ["revocations", "build-snapshot"],
    ["stats", "--bogus"],
    ["stats", "--window"],
    ["fixtures"],
    ["fixtures", "bogus"],
  ];
  for (const args of USAGE_ERRORS) {
    it(`\`mediagate ${args.join(" ")}\`: a usage error, on stderr, exit 2`, () => {
      const r = run(args, REQUEST);
      assert.equal(r.status, 2, r.what);
      assert.equal(r.stdout, "", r.what);
      assert.match(r.stderr, /usage/, r.what);
    });
  }
});

// Uploads (docs/UPLOADS.md, docs/CLI.md): mint --upload, verify of a put token, explain of PUT lines.
const NOW = 1767225600;
const UPLOADS = { ...ENV, MEDIA_TOKEN_SECRET: SECRET, MEDIA_UPLOADS: "on" };
const media = (name) => readFileSync(path.join(ROOT, "build/media/signatures", name));

describe("mediagate mint --upload", () => {
  it("mints the backend's put token byte for byte (ct, e = now + ttl, k, m, n), and --url its path", () => {
    for (const [key, opts, want] of [
      ["/u/me_1/café 😀.png", ["--type", "image/png", "--max-bytes", "1048576"], { ct: "image/png", n: 1048576, exp: NOW + 300 }],
      ["u/v/clip.mp4", ["--type", "video/mp4", "--ttl", "900"], { ct: "video/mp4", exp: NOW + 900 }],
      ["u/v/clip.mp4", ["--type", "Video/MP4; codecs=avc1", "--ttl", "99999"], { ct: "video/mp4", exp: NOW + 3600 }],
      ["u/a.png", ["--type", "image/png", "--ttl", "1"], { ct: "image/png", exp: NOW + 60 }],
    ]) {
      const token = mintPut(key, want);
      const r = run(["mint", "--upload", "--key", key, ...opts, "--now", String(NOW)], "", UPLOADS);
      assert.equal(r.status, 0, r.what);
      assert.equal(r.stdout, token + "\n", r.what);
      const u = run(["mint", "--upload", "--key", key, ...opts, "--now", String(NOW), "--url"], "", UPLOADS);
      assert.equal(u.stdout, `/m/${keyPath(key)}?t=${token}\n`, u.what);
    }
  });

  it("needs MEDIA_TOKEN_SECRET (exit 2, nothing on stdout)", () => {
    const r = run(["mint", "--upload", "--key", "u/a.png", "--type", "image/png"]);
    assert.equal(r.status, 2, r.what);
    assert.equal(r.stdout, "", r.what);
    assert.match(r.stderr, /MEDIA_TOKEN_SECRET/, r.what);
  });
});

describe("mediagate verify of a put token", () => {
  const verify = (token, key = "u/a.png", env = UPLOADS, now = NOW) => {
    const r = run(["verify", `https://app.example.com/m/${keyPath(key)}?t=${token}`, "--now", String(now)], "", env);
    return { ...r, json: r.stdout ? JSON.parse(r.stdout) : null };
  };

  it("valid: mode put, ct, n, expiry, verdict valid with 201, exit 0", () => {
    const r = verify(mintPut("u/me_1/é.png", { ct: "image/png", n: 5000, exp: NOW + 300 }), "u/me_1/é.png");
    assert.equal(r.status, 0, r.what);
    assert.deepEqual(
      { ...r.json, payload: undefined },
      { now: NOW, key: "u/me_1/é.png", payload: undefined, signature: "MEDIA_TOKEN_SECRET", token_key: "u/me_1/é.png", mode: "put", ct: "image/png", n: 5000, expires: NOW + 300, expires_in: 300, verdict: "valid", status: 201 },
    );
    assert.equal(r.json.payload, `{"ct":"image/png","e":${NOW + 300},"k":"u/me_1/\\u00e9.png","m":"put","n":5000}`);
    const noN = verify(mintPut("u/a.png", { exp: NOW + 300 }));
    assert.equal(noN.json.n, null, noN.what);
    assert.equal(noN.json.verdict, "valid", noN.what);
  });

  for (const [what, token, env, now, verdict, status, body] of [
    ["expired", mintPut("u/a.png", { exp: NOW - 61 }), UPLOADS, NOW, "token_expired", 401, "expired"],
    ["too far ahead (MEDIA_MAX_UPLOAD_TTL_SECONDS 600)", mintPut("u/a.png", { exp: NOW + 700 }), { ...UPLOADS, MEDIA_MAX_UPLOAD_TTL_SECONDS: "600" }, NOW, "token_expiry_too_far", 401, "forbidden"],
    ["a type the deployment does not take", mintPut("u/a.png", { ct: "text/html", exp: NOW + 300 }), UPLOADS, NOW, "unsupported_type", 415, "unsupported_type"],
    ["uploads off: every PUT is 405", mintPut("u/a.png", { exp: NOW + 300 }), { ...UPLOADS, MEDIA_UPLOADS: "off" }, NOW, "method_not_allowed", 405, "method_not_allowed"],
    ["n of 0", mintPut("u/a.png", { n: 0, exp: NOW + 300 }), UPLOADS, NOW, "token_bad_payload", 401, "forbidden"],
  ]) {
    it(`${what}: verdict ${verdict}, exit 1`, () => {
      const r = verify(token, "u/a.png", env, now);
      assert.equal(r.status, 1, r.what);
      assert.equal(r.json.mode, "put", r.what);
      assert.equal(r.json.verdict, verdict, r.what);
      assert.equal(r.json.status, status, r.what);
      assert.equal(r.json.body, body, r.what);
    });
  }

  it("a read token stays judged as a read (valid, 200)", () => {
    const r = verify(mint("u/a.png"));
    assert.equal(r.status, 0, r.what);
    assert.equal(r.json.mode, "pub");
    assert.equal(r.json.status, 200);
    assert.equal("ct" in r.json, false);
  });
});

// What the Worker answers (worker-shim/index.js, with the core it ships): begin, and for a
// sniff, the body's first bytes as worker-shim/upload.js hands them to finish; a put it would
// perform is reported as the storage operation, as explain reports it.
function workerAnswer(env, line) {
  const iso = newIsolate(new WebAssembly.Module(readFileSync(path.join(ROOT, "worker-shim/mediagate.wasm"))));
  configure(iso, { MEDIA_BUCKET: { get() {} }, ...env });
  const u = new URL(line.url, "https://app.example.com");
  const facts = requestFacts(line.method, u.pathname, u.search, new Headers(line.headers ?? {}), line.now, 0, REVOCATION.disabled, 0);
  let d = iso.core.begin(facts);
  if (d.fetch && OP[d.plan.op] === "sniff" && line.body_head !== undefined) {
    const body = Buffer.from(line.body_head, "base64");
    const s = body.length < d.plan.length
      ? { result: RESULT.incomplete, source: "storage" }
      : { result: RESULT.ok, source: "storage", head: body.subarray(0, d.plan.length).toString("hex") };
    d = iso.core.finish(facts, d, s);
  }
  if (d.fetch) {
    const op = OP[d.plan.op];
    return { storage: op === "put" ? { op, key: d.key, length: d.upload.length, content_type: d.upload.type } : { op, length: d.plan.length } };
  }
  const out = { status: d.status, reason: d.reason, headers: Object.fromEntries(d.headers) };
  if (d.body === "text") out.body = d.text;
  return out;
}

describe("mediagate explain of PUT lines: the Worker's answer for the begin and sniff phases", () => {
  const png = media("ffmpeg.png");
  const jpg = media("ffmpeg.jpg");
  const b64 = (b) => b.toString("base64");
  const put = (key, token, headers, body) => ({ method: "PUT", url: `/m/${keyPath(key)}?t=${token}`, headers, now: NOW, ...(body ? { body_head: b64(body) } : {}) });
  const tok = (key, o = {}) => mintPut(key, { exp: NOW + 300, ...o });
  const K = "u/me_1/up 😀.png";
  const pngHeaders = { "Content-Type": "image/png", "content-length": String(png.length) };
  const cases = [
    ["a PNG that passes: the put it would ask of R2", put(K, tok(K), pngHeaders, png.subarray(0, 300)), { storage: { op: "put", key: K, length: png.length, content_type: "image/png" } }],
    ["no body_head: the sniff it would ask", put(K, tok(K), pngHeaders), { storage: { op: "sniff", length: 256 } }],
    ["JPEG bytes under a PNG token", put(K, tok(K), pngHeaders, jpg.subarray(0, 256)), [415, "signature_mismatch", "type_mismatch"]],
    ["fewer first bytes than it reads: the body ended", put(K, tok(K), pngHeaders, png.subarray(0, 100)), [400, "incomplete_upload", "incomplete_upload"]],
    ["a small whole PNG body", put(K, tok(K), { "content-type": "image/png; charset=x", "content-length": "40" }, png.subarray(0, 40)), null],
    ["content-type other than ct", put(K, tok(K), { "content-type": "image/jpeg", "content-length": "10" }, png), [415, "type_mismatch", "type_mismatch"]],
    ["no content-length", put(K, tok(K), { "content-type": "image/png" }, png), [411, "length_required", "length_required"]],
    ["content-length not a number", put(K, tok(K), { "content-type": "image/png", "content-length": "12a" }, png), [400, "bad_length", "bad_request"]],
    ["empty", put(K, tok(K), { "content-type": "image/png", "content-length": "0" }, Buffer.alloc(0)), [400, "empty_upload", "empty_upload"]],
    ["over n", put(K, tok(K, { n: 1000 }), { "content-type": "image/png", "content-length": "1001" }, png), [413, "too_large", "too_large"]],
    ["over MEDIA_MAX_UPLOAD_BYTES", put(K, tok(K), { "content-type": "image/png", "content-length": "104857601" }, png), [413, "too_large", "too_large"]],
    ["ct not an upload type", put(K, tok(K, { ct: "image/svg+xml" }), { "content-type": "image/svg+xml", "content-length": "10" }, png), [415, "unsupported_type", "unsupported_type"]],
    ["a read token", put(K, mint(K), pngHeaders, png), [401, "token_wrong_mode", "forbidden"]],
    ["expired", put(K, tok(K, { exp: NOW - 61 }), pngHeaders, png), [401, "token_expired", "expired"]],
    ["no token", { ...put(K, "", pngHeaders, png), url: `/m/${keyPath(K)}` }, [401, "token_missing", "restricted"]],
    ["a put token on a GET", { method: "GET", url: `/m/${keyPath(K)}?t=${tok(K)}`, now: NOW }, [401, "token_wrong_mode", "forbidden"]],
  ];
  for (const [what, line, want] of cases) {
    it(`${what}`, () => {
      const r = run(["explain"], JSON.stringify(line) + "\n", UPLOADS);
      assert.equal(r.status, 0, r.what);
      const got = JSON.parse(r.stdout);
      assert.deepEqual(got, workerAnswer(UPLOADS, line), r.what);
      if (Array.isArray(want)) {
        assert.deepEqual([got.status, got.reason, got.body], want, r.what);
        assert.equal(got.headers["cache-control"], "private, no-store", r.what);
      } else if (want) {
        assert.deepEqual(got, want, r.what);
      }
    });
  }

  it("uploads off: 405 with allow: GET, HEAD, as the Worker answers", () => {
    const line = put(K, tok(K), pngHeaders, png);
    const off = { ...UPLOADS, MEDIA_UPLOADS: "off" };
    const r = run(["explain"], JSON.stringify(line) + "\n", off);
    const got = JSON.parse(r.stdout);
    assert.deepEqual(got, workerAnswer(off, line), r.what);
    assert.equal(got.status, 405);
    assert.equal(got.headers.allow, "GET, HEAD");
  });

  it("a body_head that is not base64: an error line", () => {
    const r = run(["explain"], JSON.stringify({ ...put(K, tok(K), pngHeaders), body_head: "not base64!" }) + "\n", UPLOADS);
    assert.equal(r.status, 0, r.what);
    assert.deepEqual(JSON.parse(r.stdout), { error: "body_head is not base64" });
  });
});

// The same PUT lines sent to the Worker itself (Miniflare, the WASI build, a real bucket): explain
// answers what the Worker answers up to the write, and for a write names what the Worker stores.
describe("mediagate explain of PUT lines against the Worker under Miniflare", { timeout: 120000 }, () => {
  const BINDINGS = { ...DEFAULT_BINDINGS, MEDIA_UPLOADS: "on" };
  let mf;
  before(async () => {
    mf = await startGate({ bindings: BINDINGS });
  });
  after(async () => {
    await mf?.dispose();
  });

  const png = media("magick.png");
  const jpg = media("ffmpeg.jpg");
  const explain = (line) => {
    const r = spawnSync(CLI, ["explain"], { input: JSON.stringify(line) + "\n", env: { ...ENV, ...BINDINGS }, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  // [what, key, token options (null: a read token), content-type, body (a stream: no content-length)]
  const cases = [
    ["stored", "u/cli/a.png", {}, "image/png", png],
    ["JPEG bytes under a PNG token", "u/cli/b.png", {}, "image/png", jpg],
    ["content-type other than ct", "u/cli/c.png", {}, "image/jpeg", png],
    ["ct not an upload type", "u/cli/d.svg", { ct: "image/svg+xml" }, "image/svg+xml", png],
    ["over n", "u/cli/e.png", { n: 100 }, "image/png", png],
    ["empty", "u/cli/f.png", {}, "image/png", new Uint8Array(0)],
    ["a read token", "u/cli/g.png", null, "image/png", png],
    ["expired", "u/cli/h.png", { ttl: -120 }, "image/png", png],
    ["no content-length (a streamed body)", "u/cli/i.png", {}, "image/png", "stream"],
  ];
  for (const [what, key, opts, type, body] of cases) {
    it(`${what}: explain's answer is the Worker's`, async () => {
      const now = Math.floor(Date.now() / 1000);
      const token = opts === null ? mint(key) : mintPut(key, { exp: now + (opts.ttl ?? 300), ...opts });
      const url = `/m/${keyPath(key)}?t=${token}`;
      const bytes = body === "stream" ? png : body;
      const headers = { "content-type": type };
      const line = { method: "PUT", url, headers: body === "stream" ? headers : { ...headers, "content-length": String(bytes.length) }, now, body_head: Buffer.from(bytes.subarray(0, 256)).toString("base64") };
      const want = explain(line);
      const send = body === "stream" ? new ReadableStream({ start(c) { c.enqueue(png); c.close(); } }) : bytes;
      const res = await get(mf, `https://media.test${url}`, { method: "PUT", headers, body: send });
      if (want.storage) {
        // The write explain names is the one the Worker made: 201, the key, size and type stored.
        assert.equal(res.status, 201, res.text);
        const stored = JSON.parse(res.text);
        assert.deepEqual({ key: stored.key, size: stored.size, content_type: stored.content_type }, { key: want.storage.key, size: want.storage.length, content_type: want.storage.content_type });
        assert.equal(want.storage.op, "put");
        return;
      }
      assert.equal(res.status, want.status, `${res.text}\n${JSON.stringify(want)}`);
      assert.deepEqual(res.headers, want.headers);
      assert.equal(res.text, want.body);
    });
  }
});
