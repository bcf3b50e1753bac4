// The shim as Miniflare loads it in the tests, the browser tests and the benchmarks: every
// ES module under worker-shim/ (index.js, the entry, first; wrangler bundles the same files)
// and the core as CompiledWasm. One list, so a module added to the shim is loaded everywhere.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SHIM = path.join(ROOT, "worker-shim");

// The shim's JS files, relative to the repository: worker-shim/index.js first.
export function shimFiles() {
  const names = readdirSync(SHIM).filter((f) => f.endsWith(".js")).sort();
  return ["index.js", ...names.filter((f) => f !== "index.js")].map((f) => `worker-shim/${f}`);
}

// Miniflare `modules` for the shim (absolute paths; modulesRoot is the repository), with
// `wasm` (a file) as the core: default the shipped module.
export function shimModules({ wasm } = {}) {
  return [
    ...shimFiles().map((f) => ({ type: "ESModule", path: path.join(ROOT, f) })),
    { type: "CompiledWasm", path: path.join(SHIM, "mediagate.wasm"), ...(wasm ? { contents: readFileSync(wasm) } : {}) },
  ];
}
