// Test entry for tests/worker/faults.test.js: the Worker (worker-shim/index.js)
// unchanged, with the Workers Cache API replaced by a failing one according to
// the TEST_CACHE_FAULT binding:
//   reject       caches.default.match/put/delete return rejected promises
//   throw        they throw before returning a promise
//   unavailable  reading `caches` itself throws
//   hang         caches.default.match never settles; put and delete are the real ones
// Unset: the real Cache API.
import gate from "../../../worker-shim/index.js";
export { UploadState } from "../../../worker-shim/index.js"; // the Durable Object class (MEDIA_UPLOAD_STATE)

const realCaches = globalThis.caches;
const fail = () => {
  throw new Error("simulated Cache API failure");
};
const FAULTY = {
  reject: { default: { match: async () => fail(), put: async () => fail(), delete: async () => fail() } },
  throw: { default: { match: fail, put: fail, delete: fail } },
  hang: {
    default: {
      match: () => new Promise(() => {}),
      put: (...args) => realCaches.default.put(...args),
      delete: (...args) => realCaches.default.delete(...args),
    },
  },
};
let fault;
Object.defineProperty(globalThis, "caches", {
  configurable: true,
  get() {
    if (fault === "unavailable") fail();
    return FAULTY[fault] ?? realCaches;
  },
});

export default {
  fetch(request, env, ctx) {
    fault = env.TEST_CACHE_FAULT;
    return gate.fetch(request, env, ctx);
  },
  scheduled(event, env, ctx) {
    return gate.scheduled(event, env, ctx);
  },
};
