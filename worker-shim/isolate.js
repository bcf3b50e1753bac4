// The isolate's state, in one object of its own: the core (worker-shim/core.js,
// the ABI), the configuration it was given, and the facts of the isolate's
// revocation snapshot loads (docs/REVOCATION.md). Nothing here is per request:
// requests interleave across awaits, and each carries its own facts.
// VARS: the [vars] handed to the core (it validates them and applies the defaults), from
// wasm/spec/settings.json (worker-shim/wire.js, generated).
import { createCore, VARS } from "./core.js";

export const nowSeconds = () => Math.floor(Date.now() / 1000);

// A fresh isolate state around a new instance of the core. rev: the facts of
// the snapshot loads: state loaded | unavailable (none installed), when the
// last attempt started (ms, 0: never), consecutive failures, when the load in
// flight started (ms, 0: none), the installed entry count, the last load's
// KV time (ms).
export function newIsolate(module) {
  return {
    core: createCore(module),
    env: null,
    problem: "",
    fingerprints: { fingerprint: null, fingerprint_previous: null },
    rev: { state: "unavailable", attemptAt: 0, failures: 0, loadingSince: 0, count: 0, kvMs: 0 },
    noRevocationLogged: false,
  };
}

// Hands the core the Worker's secrets and [vars] once per `env` (the core
// validates them and applies the defaults).
export function configure(iso, env) {
  if (iso.env === env) return;
  const secrets = [env.MEDIA_TOKEN_SECRET, env.MEDIA_TOKEN_SECRET_PREVIOUS];
  secrets.forEach((s, i) => iso.core.setSecret(i, s));
  let text = `MEDIA_BUCKET\t${env.MEDIA_BUCKET && typeof env.MEDIA_BUCKET.get === "function" ? 1 : 0}\n`;
  // Resumable uploads need the upload state object's namespace (docs/UPLOADS.md).
  text += `MEDIA_UPLOAD_STATE\t${env.MEDIA_UPLOAD_STATE && typeof env.MEDIA_UPLOAD_STATE.idFromName === "function" ? 1 : 0}\n`;
  for (const name of VARS) if (typeof env[name] === "string") text += `${name}\t${oneLine(env[name])}\n`;
  const out = iso.core.configure(text);
  iso.env = env;
  iso.problem = out.problem;
  // Once per isolate, and on every line the core marks (a bad signature):
  // which secrets are configured, as fingerprints an operator compares with
  // `mediagate fingerprint` (docs/RUNBOOK.md).
  iso.fingerprints = { fingerprint: out.fingerprint ?? null, fingerprint_previous: out.fingerprint_previous ?? null };
  console.log(JSON.stringify({ event: "media.worker.config", ...iso.fingerprints }));
  // docs/CONTRACT.md section 1: log which setting is missing, never its value.
  if (iso.problem) console.error(JSON.stringify({ event: "media.worker.error", reason: "not_configured", setting: iso.problem }));
}

// Config and builder lines are name<TAB>value, one per line: values must be single lines.
export function oneLine(v) {
  return String(v).replace(/[\r\n]/g, " ");
}
