// The baseline Worker for scripts/bench: the old Worker's algorithm
// (old-worker.js) behind a fetch handler. Run the same way as mediagate:
//   wrangler dev -c bench/baseline-worker/wrangler.toml --local --ip 127.0.0.1 --port P
// With BASELINE_LOG = "on" ([vars], or --var) it also writes docs/CONTRACT.md
// section 8's log line for every denial and error, as mediagate must: the
// end-to-end 401 row is measured both ways (docs/PERFORMANCE.md).
import { decide } from "./old-worker.js";

export default {
  async fetch(request, env) {
    try {
      const d = await decide(request, env);
      if (env.BASELINE_LOG === "on" && d.status >= 400) {
        const url = new URL(request.url);
        console.log(JSON.stringify({ ts: Date.now(), event: "media.worker.deny", reason: d.text, status: d.status, method: request.method, key: decodeURIComponent(url.pathname.slice(3)), request_id: request.headers.get("x-request-id") }));
      }
      return new Response(d.object ? d.object.body : d.text ?? null, { status: d.status, headers: d.headers });
    } catch {
      return new Response("storage_unavailable", { status: 503 });
    }
  },
};
