// mediagate Worker shim: binds R2 and the Wasm core, moves bytes, holds no
// policy. Every status, header and byte span is decided by the core
// (wasm/src/decision.cc); this file only marshals facts in and out and
// performs the one storage operation the core asks for.
// Protocol: docs/ARCHITECTURE.md ("The Wasm ABI").
import wasmModule from "./mediagate.wasm";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// The request headers the core reads (lower-case, as the protocol names them).
const FACT_HEADERS = ["range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range"];
// [vars] handed to the core; it validates them and applies the defaults.
const VARS = ["MEDIA_KEY_PREFIXES", "MEDIA_CLOCK_SKEW_SECONDS", "MEDIA_MAX_TOKEN_TTL_SECONDS", "MEDIA_CORP"];

// One core per isolate. Emscripten's standalone build imports one no-op.
function instantiate(module) {
  const instance = new WebAssembly.Instance(module, { env: { emscripten_notify_memory_growth() {} } });
  const x = instance.exports;
  if (typeof x._initialize === "function") x._initialize();
  const inPtr = Number(x.mg_in_ptr());
  const inCap = x.mg_in_cap();
  const outPtr = Number(x.mg_out_ptr());
  // Writes text into the input buffer, calls `fn`, returns the output text.
  // memory.buffer is re-read on every call: the Emscripten build may grow it.
  const call = (fn, text, ...args) => {
    const { written } = encoder.encodeInto(text, new Uint8Array(x.memory.buffer, inPtr, inCap));
    const n = fn(...args, written);
    return decoder.decode(new Uint8Array(x.memory.buffer, outPtr, n));
  };
  return { x, call, env: null, problem: "" };
}

// Output lines -> { status, reason, mode, body, span, headers[], text, fetch, key }.
function parseDecision(text) {
  const d = { headers: [] };
  for (const line of text.split("\n")) {
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const name = line.slice(0, tab);
    const value = line.slice(tab + 1);
    if (name === "h") {
      const t = value.indexOf("\t");
      d.headers.push([value.slice(0, t), value.slice(t + 1)]);
    } else if (!(name in d)) {
      d[name] = value;
    }
  }
  return d;
}

let core = instantiate(wasmModule);
// The core's own 503 answer, kept for the one case where the core cannot be
// asked: it trapped mid-request. Computed from the core, not written here.
const FALLBACK = parseDecision(core.call(core.x.mg_finish, ""));

function configure(env) {
  if (core.env === env) return;
  const secrets = [env.MEDIA_TOKEN_SECRET, env.MEDIA_TOKEN_SECRET_PREVIOUS];
  secrets.forEach((s, i) => {
    if (typeof s === "string") core.call(core.x.mg_set_secret, s, i);
    else core.x.mg_set_secret(i, -1);
  });
  let text = `MEDIA_BUCKET\t${env.MEDIA_BUCKET && typeof env.MEDIA_BUCKET.get === "function" ? 1 : 0}\n`;
  for (const name of VARS) if (typeof env[name] === "string") text += `${name}\t${oneLine(env[name])}\n`;
  const [status, problem] = core.call(core.x.mg_configure, text).trimEnd().split("\t");
  core.env = env;
  core.problem = status === "ok" ? "" : problem;
  // CONTRACT.md section 1: log which setting is missing, never its value.
  if (core.problem) console.error(JSON.stringify({ event: "media.worker.error", reason: "not_configured", setting: core.problem }));
}

// Protocol values are single lines; storage metadata is uploader-controlled.
function oneLine(v) {
  return String(v).replace(/[\r\n]/g, " ");
}

function requestFacts(request, url) {
  let facts = `method\t${request.method}\npath\t${url.pathname}\nquery\t${url.search}\nnow\t${Math.floor(Date.now() / 1000)}\n`;
  for (const name of FACT_HEADERS) {
    const v = request.headers.get(name);
    if (v !== null) facts += `${name}\t${v}\n`;
  }
  return facts;
}

// Performs the storage operation of a `fetch` decision; never throws.
async function perform(bucket, d) {
  const [op, kind, offset, length, suffix] = d.fetch.split("\t");
  try {
    let obj;
    if (op === "head") {
      obj = await bucket.head(d.key);
    } else {
      const range =
        kind === "offset_length" ? { offset: Number(offset), length: Number(length) }
        : kind === "offset" ? { offset: Number(offset) }
        : kind === "suffix" ? { suffix: Number(suffix) }
        : undefined;
      obj = await bucket.get(d.key, range ? { range } : {});
    }
    if (obj === null) return { object: null, facts: "result\tmissing\n" };
    const uploaded = Math.floor(obj.uploaded.getTime() / 1000);
    const type = obj.httpMetadata?.contentType ?? "";
    return {
      object: obj,
      facts: `result\tok\nsize\t${obj.size}\netag\t${oneLine(obj.httpEtag)}\nuploaded\t${uploaded}\ntype\t${oneLine(type)}\n`,
    };
  } catch (err) {
    // R2 refuses a range that starts at or past the end (InvalidRange, 10039).
    const invalidRange = /InvalidRange|10039/.test(String(err && err.message));
    return { object: null, facts: `result\t${invalidRange ? "invalid_range" : "error"}\n` };
  }
}

function discard(obj) {
  if (obj && obj.body) obj.body.cancel().catch(() => {});
}

function toResponse(d, obj) {
  const headers = new Headers();
  for (const [name, value] of d.headers) headers.append(name, value);
  let body = null;
  if (d.body === "object") body = obj.body;
  else if (d.body === "text") body = d.text;
  if (d.body !== "object") discard(obj);
  return new Response(body, { status: Number(d.status), headers });
}

async function handle(request, env) {
  configure(env);
  const url = new URL(request.url);
  const facts = requestFacts(request, url);
  let d = parseDecision(core.call(core.x.mg_begin, facts));
  // Revocation and the public edge cache slot in here (CONTRACT.md section 7):
  // the core decides, after the token, before any storage read.
  let obj = null;
  // The core asks for at most two operations (decision.h); a third would be
  // a core bug, answered as the core's 503.
  for (let ops = 0; d.fetch !== undefined; ops++) {
    if (ops === 2) {
      discard(obj);
      return toResponse(FALLBACK, null);
    }
    discard(obj);
    const done = await perform(env.MEDIA_BUCKET, d);
    obj = done.object;
    const finish = `${facts}mode\t${d.mode}\nfetch\t${d.fetch}\n${done.facts}`;
    d = parseDecision(core.call(core.x.mg_finish, finish));
  }
  return toResponse(d, obj);
}

export default {
  async fetch(request, env, ctx) {
    try {
      return await handle(request, env, ctx);
    } catch (err) {
      // A trap leaves the instance unusable: start a fresh one for the next request.
      console.error(JSON.stringify({ event: "media.worker.error", reason: "storage_unavailable", error: String(err && err.name) }));
      try {
        core = instantiate(wasmModule);
      } catch {}
      return toResponse(FALLBACK, null);
    }
  },
};
