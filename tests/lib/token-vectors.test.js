// The token vectors (tests/vectors/tokens.jsonl, made by make_token_vectors.py with Python's
// standard library, as the backend mints): the JS minter of the tests (token.mjs) reproduces
// every minted row byte for byte, read and put tokens alike; and every put-token row on a
// PUT gets the verdict the row names from the core the Worker ships (worker-shim/mediagate.wasm),
// as test_token.cc checks it natively.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { mint, mintPut, keyPath } from "./token.mjs";
import { requestFacts, REVOCATION, OP } from "../../worker-shim/core.js";
import { newIsolate, configure } from "../../worker-shim/isolate.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROWS = readFileSync(path.join(HERE, "../vectors/tokens.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const WASM = new WebAssembly.Module(readFileSync(path.join(HERE, "../../worker-shim/mediagate.wasm")));

describe("tests/vectors/tokens.jsonl through the JS minter", () => {
  it("mint and mintPut reproduce every minted row", () => {
    let puts = 0;
    for (const r of ROWS.filter((r) => r.mint)) {
      const m = r.mint;
      const got = m.mode === "put"
        ? mintPut(m.key, { ct: m.ct, n: m.n, exp: m.exp, secret: m.secret })
        : mint(m.key, { mode: m.mode, exp: m.exp, secret: m.secret });
      assert.equal(got, r.token, r.name);
      if (m.mode === "put") puts++;
    }
    assert.ok(puts >= 70, `${puts} put rows`);
  });
});

// Keys the key layer (docs/CONTRACT.md section 2) serves under the default prefix: the token
// layer's verdict is then the answer's.
const servable = (key) => key.startsWith("u/") && Buffer.byteLength(key) <= 1024 && !/[\u0000-\u001f\u007f\\]/.test(key) &&
  !key.split("/").some((s) => s === "." || s === "..");

describe("tests/vectors/tokens.jsonl: the put rows through the Wasm core, as PUT (or GET) requests", () => {
  it("a refused token answers the row's reason; an accepted one reaches the type check or the sniff", () => {
    let checked = 0;
    // The writes, and the put tokens presented on a read (GET).
    for (const r of ROWS.filter((r) => (r.write || r.mode === "put") && servable(r.key))) {
      const iso = newIsolate(WASM);
      configure(iso, {
        MEDIA_BUCKET: { get() {} },
        MEDIA_TOKEN_SECRET: r.secrets[0] || undefined,
        MEDIA_TOKEN_SECRET_PREVIOUS: r.secrets[1] || undefined,
        MEDIA_UPLOADS: "on",
        MEDIA_CLOCK_SKEW_SECONDS: String(r.leeway),
        MEDIA_MAX_TOKEN_TTL_SECONDS: String(r.max_ttl),
        MEDIA_MAX_UPLOAD_TTL_SECONDS: String(r.max_upload_ttl ?? 3600),
      });
      assert.equal(iso.problem, "", r.name);
      const ct = r.ct ?? "image/png";
      const facts = requestFacts(r.write ? "PUT" : "GET", "/m/" + keyPath(r.key), "?t=" + r.token, new Map([["content-type", ct], ["content-length", "1"]]), r.now, 0, REVOCATION.disabled, 0);
      const d = iso.core.begin(facts);
      const got = d.fetch ? `fetch ${OP[d.plan.op]}` : d.reason;
      const listed = ["image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/heic", "image/heif", "video/mp4", "video/quicktime", "video/webm"].includes(ct);
      const want = r.want !== "serve_full" ? r.want : listed ? "fetch sniff" : "unsupported_type";
      assert.equal(got, want, `${r.name}: ${JSON.stringify(d.status)}`);
      checked++;
    }
    assert.ok(checked >= 100, `${checked} rows checked`);
  });
});
