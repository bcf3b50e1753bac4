// The edge cache (the Cache API's caches.default) for the Worker shim: looks
// up the entry a fetch decision allows, and stores the whole object under the
// core's canonical key. What may be cached, under which key and with which
// metadata is the core's (docs/REVOCATION.md, "The edge cache").
import { RESULT } from "./core.js";
import { storageRequest, rangeHeader, DEADLINE, beforeDeadline, exactLength, discard } from "./storage.js";

// The header an entry carries the core's object metadata in.
const CACHE_OBJECT_HEADER = "x-mediagate-object";

// The edge cache's answer to a fetch decision the core allowed it to
// answer, or null for a miss (a cache failure is a miss, never an error),
// or DEADLINE: a lookup still pending at the core's cache deadline (a miss
// the core is told of).
export async function fromCache(d, requestUrl) {
  try {
    const { op, options } = storageRequest(d.plan);
    const range = rangeHeader(options.range);
    const headers = range ? { range } : {};
    const url = new URL(d.cache, requestUrl);
    const hit = await beforeDeadline(caches.default.match(new Request(url, { headers })), d.cacheDeadline);
    if (!hit) return null;
    // The entry's metadata, and its own length (the /N of a 206's
    // content-range), which the core checks against the metadata's size.
    const entry = (result, res, total) => ({ result, source: "cache", cached: res.headers.get(CACHE_OBJECT_HEADER), cachedSize: total ?? "" });
    // The cache holds an entry but refuses the range, as R2 would. The refusal
    // carries none of the entry's headers: read them from the entry itself,
    // so that the core can tell the object from a broken entry.
    if (hit.status === 416) {
      discard(hit);
      const whole = await beforeDeadline(caches.default.match(new Request(url)), d.cacheDeadline);
      discard(whole);
      if (!whole || whole.status !== 200 || !whole.headers.has(CACHE_OBJECT_HEADER)) return null;
      return { object: null, storage: entry(RESULT.invalid_range, whole, whole.headers.get("content-length")) };
    }
    // The bytes must be exactly what the plan asked for, or it is a miss.
    const usable = hit.headers.has(CACHE_OBJECT_HEADER) && hit.status === (headers.range ? 206 : 200);
    if (!usable || op === "head") discard(hit);
    if (!usable) return null;
    const total = hit.status === 200 ? hit.headers.get("content-length") : (hit.headers.get("content-range") ?? "").split("/")[1];
    const body = op === "get" ? hit.body : null;
    return { object: body ? { body } : null, storage: entry(RESULT.ok, hit, total) };
  } catch (err) {
    return err === DEADLINE ? DEADLINE : null;
  }
}

// The edge cache entry the core described (`entry`: path, length, meta) for
// `body`, put under the canonical key. The stored copy is held to its length:
// bytes that do not match fail the put (a tee of a checked stream alone does
// not: the cache kept the bytes it got), so a failed or partial read stores
// nothing. Throws when the cache does, synchronously or not.
function putEntry(entry, body, requestUrl) {
  const { path, length, meta } = entry;
  const stored = new Response(exactLength(body, length), {
    headers: { "content-length": String(length), "cache-control": "public, max-age=31536000, immutable", [CACHE_OBJECT_HEADER]: meta },
  });
  return caches.default.put(new Request(new URL(path, requestUrl)), stored);
}

// Stores the whole object under the core's canonical key; tees the body.
// A cache that fails, even synchronously, costs the entry, never the answer.
export function toCache(d, obj, requestUrl, ctx) {
  const [mine, theirs] = obj.body.tee();
  try {
    ctx.waitUntil(putEntry(d.store, theirs, requestUrl).catch(() => {}));
  } catch {
    theirs.cancel().catch(() => {});
  }
  return { body: mine };
}

// Cache paths this isolate is filling (bookkeeping: the core decides whether
// to fill, this only keeps two Range misses on one object from reading it
// twice while the first fill is in flight).
const filling = new Set();

// The core asked for a fill (d.fill): a Range was read from storage under a
// public token. Reads the whole object once more, in the background, and
// stores it as the entry the core described; later ranges, HEAD and 304 are
// then answered from the cache. Never throws. The copy is read completely
// before it is stored, and stored only when it holds exactly the bytes the
// core named: a cache handed a stream that errors part-way has been seen to
// keep the bytes it received (Miniflare), so a failed or partial read must
// never reach it. The core's bound (MEDIA_EDGE_CACHE_FILL_MAX_BYTES) bounds
// this copy too.
export function fillCache(d, bucket, requestUrl, ctx) {
  const { path, length } = d.fill;
  if (filling.has(path)) return;
  filling.add(path);
  const fill = (async () => {
    try {
      const obj = await bucket.get(d.key);
      if (obj === null || !obj.body) return;
      const bytes = await obj.arrayBuffer();
      if (bytes.byteLength !== length) return;
      await putEntry(d.fill, new Response(bytes).body, requestUrl);
    } catch {
    } finally {
      filling.delete(path);
    }
  })();
  ctx.waitUntil(fill);
}
