// Shared by scripts/bench.mjs and the bench's tests: the secret and token
// minter of tests/lib/token.mjs, the objects every Worker
// under measurement serves, and the request kinds.
import { fileURLToPath } from "node:url";
import path from "node:path";
import { mint as mintToken, keyPath as quotePath, forge, bytes } from "../../tests/lib/token.mjs";
export { SECRET, forge, bytes, keyPath as quotePath, mintPut } from "../../tests/lib/token.mjs";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// A token for `key`, valid for an hour by default (the one minter, tests/lib/token.mjs).
export const mint = (key, opts = {}) => mintToken(key, { ttl: 3600, ...opts });

// What every Worker under measurement serves (same bytes in each one's
// local R2). 16 KiB: a typical thumbnail.
export const PUBLIC_KEY = "u/bench/public.png";
export const PRIVATE_KEY = "u/bench/private.png";
export const OBJECT_BYTES = 16 * 1024;
export const BENCH_OBJECTS = {
  [PUBLIC_KEY]: { body: bytes(OBJECT_BYTES, 11), type: "image/png" },
  [PRIVATE_KEY]: { body: bytes(OBJECT_BYTES, 12), type: "image/png" },
};

// The request kinds of the end-to-end rows (paths and headers; the origin
// is the Worker's), and which Workers each is measured on. The cached hit is
// the public request again, on mediagate with its edge cache on (every
// request after the first is a hit); the old Worker has no cache, so its
// figure there is its public image row.
export function e2eKinds() {
  const pub = mint(PUBLIC_KEY);
  const gate = ["mediagate", "baseline", "floor"];
  return [
    { kind: "public", what: "GET public image (16 KiB), 200", path: `/m/${quotePath(PUBLIC_KEY)}?t=${pub}`, headers: {}, status: 200, workers: gate },
    { kind: "private", what: "GET private image (16 KiB), 200", path: `/m/${quotePath(PRIVATE_KEY)}?t=${mint(PRIVATE_KEY, { mode: "priv" })}`, headers: {}, status: 200, workers: gate },
    { kind: "range", what: "GET public, Range bytes=0-1, 206", path: `/m/${quotePath(PUBLIC_KEY)}?t=${pub}`, headers: { range: "bytes=0-1" }, status: 206, workers: gate },
    { kind: "cached", what: "GET public image, edge cache hit", path: `/m/${quotePath(PUBLIC_KEY)}?t=${pub}`, headers: {}, status: 200, workers: ["mediagate-cache", "baseline", "floor"] },
    { kind: "denied", what: "GET public, wrong MAC, 401", path: `/m/${quotePath(PUBLIC_KEY)}?t=${forge(pub)}`, headers: {}, status: 401, workers: [...gate, "mediagate-quiet", "baseline-logged"] },
  ];
}
