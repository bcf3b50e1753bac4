// One Worker under wrangler's local dev server (what `wrangler dev --local`
// runs), started in this process and listening on a port the kernel picks:
//
//   node bench/lib/dev-worker.mjs '{"config": ..., "persist": ..., "envFile": ..., "vars": {...}}'
//
// prints `ready http://127.0.0.1:<port>` once the server is bound and the
// Worker loaded, then serves until SIGTERM. Binding port 0 and reading the
// port back is the only way to get a port nobody else holds: a port picked
// free beforehand (listen on 0, close, pass the number to wrangler) can be
// taken by any other process's socket before wrangler binds it, and then
// requests reach that process instead (docs/TESTING.md, "Ports").
// The wrangler CLI reports its bound port only at log level info, which also
// logs every request; this keeps the log level at warn.
import { unstable_startWorker } from "wrangler";

const o = JSON.parse(process.argv[2]);
const worker = await unstable_startWorker({
  config: o.config,
  envFiles: o.envFile ? [o.envFile] : [],
  bindings: Object.fromEntries(Object.entries(o.vars || {}).map(([k, v]) => [k, { type: "plain_text", value: v }])),
  dev: {
    server: { hostname: "127.0.0.1", port: 0 },
    inspector: false,
    persist: o.persist,
    logLevel: o.logLevel || "warn",
    watch: false,
    liveReload: false,
  },
});
await worker.ready;
const url = await worker.url;
process.stdout.write(`ready ${url.origin}\n`);
const stop = () => worker.dispose().finally(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
