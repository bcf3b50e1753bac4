// What a wrangler.toml configures, as Miniflare options, for the tests and
// benchmarks that run a bundle under Miniflare with only the bindings the
// file declares. Line-based: enough for this repository's wrangler.toml
// files (one `KEY = "value"` per line), not a TOML parser.
import { readFileSync } from "node:fs";

// The file's top-level tables, each from its header line to the next.
const tables = (file) => readFileSync(file, "utf8").split(/^(?=\[)/m);
const field = (table, name) => table.match(new RegExp(`^${name}\\s*=\\s*(.*)$`, "m"))?.[1];

// The [vars] table: KEY = "value" lines until the next table ({} without one).
export function tomlVars(file) {
  const section = tables(file).find((t) => /^\[vars\]\s*$/m.test(t.split("\n")[0]));
  if (!section) return {};
  return Object.fromEntries([...section.matchAll(/^([A-Z_]+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1], m[2]]));
}

// The [[durable_objects.bindings]], each SQLite-backed when a [[migrations]]
// entry creates its class so ({} without any).
export function tomlDurableObjects(file) {
  const all = tables(file);
  const sqlite = all.filter((t) => t.startsWith("[[migrations]]")).flatMap((t) => JSON.parse(field(t, "new_sqlite_classes") ?? "[]"));
  const bindings = all.filter((t) => t.startsWith("[[durable_objects.bindings]]"));
  return Object.fromEntries(bindings.map((t) => {
    const className = JSON.parse(field(t, "class_name"));
    return [JSON.parse(field(t, "name")), { className, useSQLite: sqlite.includes(className) }];
  }));
}
