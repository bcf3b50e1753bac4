// MEDIA_REVOCATIONS stand-in for tests/worker/faults.test.js (a wrapped
// binding, tests/worker/helpers.js): the real local KV namespace INNER, whose
// every call fails while INNER holds the key "test:kv-down". The test sets
// and deletes that key to take KV down and bring it back.
export default function ({ INNER }) {
  const check = async () => {
    if ((await INNER.get("test:kv-down")) !== null) throw new Error("simulated KV outage");
  };
  return {
    async get(...args) {
      await check();
      return INNER.get(...args);
    },
    async getWithMetadata(...args) {
      await check();
      return INNER.getWithMetadata(...args);
    },
    async list(...args) {
      await check();
      return INNER.list(...args);
    },
    async put(...args) {
      await check();
      return INNER.put(...args);
    },
  };
}
