// Test entry for tests/worker/fill.test.js: the Worker (worker-shim/index.js)
// unchanged, with its R2 binding wrapped so that the test can see, and hold,
// what the edge cache fill does in the background:
//   - every R2 operation is recorded (op, key, ranged or whole);
//   - every promise the Worker hands to ctx.waitUntil is tracked;
//   - TEST_FILL = "hold": the fill's reads (get(key) with no options: the
//     shim's storage reads always pass options) wait until /__release or
//     /__settle; "throw": they reject. (A fill that reads the wrong number of
//     bytes: tests/worker/stand-ins/faulty-r2.js, "short_fill", underneath:
//     R2 bodies cross a binding, as they do in production.)
// Test-only paths (never reach the Worker):
//   /__ops      the operations since the last /__ops?reset, as JSON
//   /__release  lets held whole gets go on
//   /__settle   releases, then answers once every tracked waitUntil promise
//               has settled (fills held afterwards wait for the next release)
import gate from "../../../worker-shim/index.js";
export { UploadState } from "../../../worker-shim/index.js"; // the Durable Object class (MEDIA_UPLOAD_STATE)

const ops = [];
// Module state is plain values, never promises: workerd does not wake a
// request waiting on a promise that another request resolves. Waiting is a
// short timer loop on a flag, in the waiting request's own context.
let pending = 0;
let released = false;
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

function track(promise) {
  pending++;
  return Promise.resolve(promise).finally(() => pending--);
}

// The fill's read: the shim's own storage reads always pass options.
const isFill = (options) => options === undefined;

let wrapped = null;
function wrap(env) {
  if (wrapped && wrapped.base === env) return wrapped.env;
  const inner = env.MEDIA_BUCKET;
  const bucket = {
    async get(key, options) {
      ops.push({ op: "get", key, fill: isFill(options), ranged: Boolean(options?.range) });
      if (isFill(options)) {
        if (env.TEST_FILL === "hold") while (!released) await tick();
        if (env.TEST_FILL === "throw") throw new Error("simulated R2 outage (whole get)");
      }
      return inner.get(key, options);
    },
    async head(key) {
      ops.push({ op: "head", key });
      return inner.head(key);
    },
  };
  wrapped = { base: env, env: { ...env, MEDIA_BUCKET: bucket } };
  return wrapped.env;
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/__ops") {
      const body = JSON.stringify(ops);
      if (url.searchParams.has("reset")) ops.length = 0;
      return new Response(body);
    }
    if (url.pathname === "/__release") {
      released = true;
      return new Response("released");
    }
    if (url.pathname === "/__settle") {
      released = true;
      while (pending > 0) await tick();
      released = false;
      return new Response("settled");
    }
    const tracked = { waitUntil: (p) => ctx.waitUntil(track(p)), passThroughOnException: () => ctx.passThroughOnException() };
    return gate.fetch(request, wrap(env), tracked);
  },
};
