// Test entry for tests/worker/upload.test.js: the Worker (worker-shim/index.js)
// unchanged, behind a front that replaces the request's content-length with
// the value of its x-test-content-length header. workerd's own HTTP parser
// refuses a malformed content-length before any Worker runs; a Worker behind
// another proxy may still see one, and the core must answer it (400
// bad_request), not the shim.
import gate from "../../../worker-shim/index.js";
export { UploadState } from "../../../worker-shim/index.js"; // the Durable Object class (MEDIA_UPLOAD_STATE)

export default {
  fetch(request, env, ctx) {
    const value = request.headers.get("x-test-content-length");
    if (value === null) return gate.fetch(request, env, ctx);
    const headers = new Headers(request.headers);
    headers.delete("x-test-content-length");
    headers.set("content-length", value);
    return gate.fetch(new Request(request, { headers }), env, ctx);
  },
};
