// Counts the R2 operations a Worker performs per request (scripts/bench and
// tests/worker/r2ops.test.js): the Worker's MEDIA_BUCKET is wrapped, and
// the count is returned in the `x-bench-r2-ops` response header. Requests
// must be sent one at a time (the count is per isolate, reset per request).
// Measurement only: never part of a deployed Worker.
const COUNTED = ["get", "head", "put", "delete", "list"];

export function countingWorker(worker) {
  let wrapped = null;  // one wrapped env per env, so the shim's per-env setup runs once
  let ops = 0;
  const wrap = (env) => {
    if (wrapped && wrapped.base === env) return wrapped.env;
    const bucket = {};
    for (const name of COUNTED) {
      bucket[name] = (...args) => {
        ops++;
        return env.MEDIA_BUCKET[name](...args);
      };
    }
    wrapped = { base: env, env: { ...env, MEDIA_BUCKET: bucket } };
    return wrapped.env;
  };
  return {
    async fetch(request, env, ctx) {
      ops = 0;
      const res = await worker.fetch(request, wrap(env), ctx);
      const headers = new Headers(res.headers);
      headers.set("x-bench-r2-ops", String(ops));
      return new Response(res.body, { status: res.status, headers });
    },
  };
}
