// Logs and metrics of the Worker shim: one JSON line and one Analytics
// Engine data point per request, as the core's decision describes them.
// Denial and error lines this isolate wrote in one second (the core's log
// budget reads the count; counting is all this does).
const denialLines = { second: 0, count: 0 };
export function recentDenialLines(second) {
  return denialLines.second === second ? denialLines.count : 0;
}
function countDenialLine(second) {
  if (denialLines.second !== second) {
    denialLines.second = second;
    denialLines.count = 0;
  }
  denialLines.count++;
}

// One JSON log line (when the core says so) and one metric data point per
// request (docs/CONTRACT.md section 8, docs/OBSERVABILITY.md). The key may be
// logged; the token, the query string and the URL never are. `second`: the
// request's `now`, whose denial lines the line counts in (when d.budget).
export function observe(iso, d, request, env, io, second) {
  if (d.budget) countDenialLine(second);
  const metrics = env.MEDIA_METRICS;
  const point = metrics && typeof metrics.writeDataPoint === "function";
  // No line and no data point: nothing below would be sent, so nothing is read.
  if (d.log === null && !point) return;
  const bytes = d.body === "none" ? 0 : contentLength(d);
  const colo = request.cf?.colo ?? null;
  if (d.log !== null) {
    console.log(
      JSON.stringify({
        ts: Date.now(),
        event: d.event,
        reason: d.reason,
        status: d.status,
        method: request.method,
        mode: d.mode,
        key: d.key || null,
        span: d.span,
        bytes,
        cache: io.cache,
        r2_ms: io.r2Ms,
        kv_ms: io.kvMs,
        request_id: d.requestId,
        ...(d.fingerprints ? iso.fingerprints : {}),
        colo,
        // The core's linear memory, bytes: flat in a healthy isolate (it
        // grows only to hold a larger revocation snapshot; scripts/soak.mjs).
        wasm_memory: iso.core.memoryBytes(),
        // Successes, and denials past the isolate's budget, are sampled:
        // weight this line by 1 / sample_rate.
        sample_rate: d.log / 1e6,
      }),
    );
  }
  if (point) {
    try {
      metrics.writeDataPoint({
        indexes: [d.reason || "unknown"],
        blobs: [d.event, d.reason, d.mode, io.cache, colo ?? "", request.method],
        doubles: [d.status, bytes, io.r2Ms, io.kvMs],
      });
    } catch {}
  }
}

// The content-length header the core decided, as a number (0 when none).
export function contentLength(d) {
  for (const [name, value] of d.headers) if (name === "content-length") return Number(value);
  return 0;
}
