// An in-memory model of a Workers KV namespace, as far as mediagate uses it:
// get (one name, or a bulk get of up to 100 names answering a Map), getWithMetadata,
// put (with metadata of up to 1,024 bytes), delete, and list (names in
// lexicographic order, at most 1,000 a page, each with its metadata, an
// opaque cursor). It stands in for Miniflare's KV where a test or benchmark
// needs 100,000 or a million entries: seeding those through Miniflare takes
// minutes (tests/worker/revocation-limits.test.js, scripts/bench-revocation.mjs).
// No limits are counted here; a wrapper counts operations.
const utf8 = new TextEncoder();
const text = new TextDecoder();

export class KvModel {
  constructor() {
    this.entries = new Map(); // name -> { value: string | Uint8Array, metadata }
    this.sorted = null; // names in order, rebuilt after a new name or a delete
  }

  #names() {
    if (!this.sorted) this.sorted = [...this.entries.keys()].sort();
    return this.sorted;
  }

  #read(name, type) {
    const e = this.entries.get(name);
    if (!e) return null;
    if (type === "arrayBuffer") {
      const bytes = typeof e.value === "string" ? utf8.encode(e.value) : e.value;
      return bytes.slice().buffer;
    }
    const s = typeof e.value === "string" ? e.value : text.decode(e.value);
    return type === "json" ? JSON.parse(s) : s;
  }

  async get(name, options) {
    const type = typeof options === "string" ? options : options?.type ?? "text";
    if (Array.isArray(name)) {
      if (name.length > 100) throw new Error("KV bulk get: at most 100 keys");
      return new Map(name.map((n) => [n, this.#read(n, type)]));
    }
    return this.#read(name, type);
  }

  async getWithMetadata(name, options) {
    const type = typeof options === "string" ? options : options?.type ?? "text";
    return { value: this.#read(name, type), metadata: this.entries.get(name)?.metadata ?? null };
  }

  async put(name, value, options = {}) {
    let metadata = null;
    if (options.metadata !== undefined) {
      const json = JSON.stringify(options.metadata);
      if (utf8.encode(json).length > 1024) throw new Error("KV metadata: at most 1,024 bytes");
      metadata = JSON.parse(json);
    }
    const stored = typeof value === "string" ? value : new Uint8Array(value instanceof ArrayBuffer ? value : value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
    if (stored.length > 25 * 1024 * 1024) throw new Error("KV value: at most 25 MiB");
    if (!this.entries.has(name)) this.sorted = null;
    this.entries.set(name, { value: stored, metadata });
  }

  async delete(name) {
    if (this.entries.delete(name)) this.sorted = null;
  }

  async list({ prefix = "", cursor, limit = 1000 } = {}) {
    const names = this.#names();
    const after = cursor ? atob(cursor) : null;
    // First name past the cursor (or at the prefix): a binary search.
    let lo = 0;
    let hi = names.length;
    const from = after ?? prefix;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (after !== null ? names[mid] <= from : names[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    const keys = [];
    let i = lo;
    for (; i < names.length && keys.length < Math.min(limit, 1000) && names[i].startsWith(prefix); i++) {
      const metadata = this.entries.get(names[i]).metadata;
      keys.push(metadata === null ? { name: names[i] } : { name: names[i], metadata });
    }
    const complete = !(i < names.length && names[i].startsWith(prefix));
    return complete ? { keys, list_complete: true, cacheStatus: null } : { keys, list_complete: false, cursor: btoa(keys[keys.length - 1].name), cacheStatus: null };
  }
}
