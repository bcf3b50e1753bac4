// The baseline Worker for scripts/bench: the old Worker's algorithm
// (old-worker.js) behind a fetch handler. Run the same way as mediagate:
//   wrangler dev -c bench/baseline-worker/wrangler.toml --local --ip 127.0.0.1 --port P
import { decide } from "./old-worker.js";

export default {
  async fetch(request, env) {
    try {
      const d = await decide(request, env);
      return new Response(d.object ? d.object.body : d.text ?? null, { status: d.status, headers: d.headers });
    } catch {
      return new Response("storage_unavailable", { status: 503 });
    }
  },
};
