#!/usr/bin/env node
// `mediagate fixtures ...` (docs/FIXTURES.md): HAR -> fixture lines, the replay, and the
// recording of the shipped sets from the browser tests.
//
//   scripts/mediagate fixtures from-har FILE.har [--set NAME] [--description TEXT]
//                                       [--client TEXT] [--anonymize-keys] [--out FILE]
//   scripts/mediagate fixtures replay [options] [SET.jsonl ...]      (tests/lib/replay.mjs)
//   scripts/mediagate fixtures record                                (browser tests -> tests/fixtures)
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT, DEFAULT_CONFIG, TEST_SECRET, HAR_DIR, FIXTURE_DIR, fromHar, formatSet } from "../tests/lib/fixtures.mjs";
import { main as replayMain } from "../tests/lib/replay.mjs";

// --- Recording the shipped sets ---------------------------------------------------------------


async function record() {
  const { SETS } = await import(path.join(ROOT, "tests/browser/sets.js"));
  console.log("==> recording: node --test tests/browser/ (HAR files into build/har)");
  const r = spawnSync(process.execPath, ["--test", "--test-concurrency=1", "--test-reporter=spec", "tests/browser/"], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, MG_HAR_DIR: HAR_DIR },
  });
  if (r.status !== 0) throw new Error("the browser tests failed: fixtures not written");
  for (const s of SETS) {
    const harFile = path.join(HAR_DIR, s.har);
    const set = fromHar(JSON.parse(readFileSync(harFile, "utf8")), { ...s, source: `tests/browser (${s.har}), converted by scripts/mediagate fixtures from-har`, secrets: [TEST_SECRET] });
    mkdirSync(FIXTURE_DIR, { recursive: true });
    const out = path.join(FIXTURE_DIR, `${s.set}.jsonl`);
    writeFileSync(out, formatSet(set));
    console.log(`==> ${path.relative(ROOT, out)}: ${set.lines.length} lines`);
  }
}

// --- CLI --------------------------------------------------------------------------------------

function usage() {
  return `usage:
  scripts/mediagate fixtures from-har FILE.har [--set NAME] [--description TEXT] [--client TEXT]
                                      [--anonymize-keys] [--out FILE]
      HAR -> fixture lines (stdout, or --out). With MEDIA_TOKEN_SECRET (and _PREVIOUS) set, tokens
      are verified exactly; without, a token's fate is read off the recorded answer. Other
      MEDIA_* variables set the configuration the set records (MEDIA_KEY_PREFIXES, ...).
  scripts/mediagate fixtures replay [--targets native,wasm,worker] [--summary] [--wasm FILE] [SET.jsonl ...]
      runs sets (default tests/fixtures/*.jsonl) through the native core, the Wasm in Node and
      the bundled Worker under Miniflare; prints a pass/fail table (one row per line, or one per
      set with --summary) and a diff for each failure; exits 1 if any line failed.
  scripts/mediagate fixtures record
      runs the browser tests (HAR into build/har) and rewrites tests/fixtures/*.jsonl from them.`;
}

async function main(argv) {
  const [cmd, ...rest] = argv;
  // docs/CLI.md, "Conventions": help on stdout with exit 0, usage errors on stderr with exit 2.
  if (cmd === undefined) {
    console.error(usage());
    return 2;
  }
  if (["--help", "-h", "help"].includes(cmd) || rest.includes("--help") || rest.includes("-h")) {
    console.log(usage());
    return 0;
  }
  if (cmd === "from-har") {
    const opts = { secrets: [process.env.MEDIA_TOKEN_SECRET, process.env.MEDIA_TOKEN_SECRET_PREVIOUS], config: {} };
    for (const name of Object.keys(DEFAULT_CONFIG)) if (name !== "MEDIA_TOKEN_SECRET" && process.env[name] !== undefined) opts.config[name] = process.env[name];
    let file, out;
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i];
      const next = () => {
        if (i + 1 >= rest.length) throw new Error(`${a} needs a value`);
        return rest[++i];
      };
      if (a === "--set") opts.set = next();
      else if (a === "--description") opts.description = next();
      else if (a === "--client") opts.client = next();
      else if (a === "--anonymize-keys") opts.anonymizeKeys = true;
      else if (a === "--out") out = next();
      else if (!a.startsWith("--") && file === undefined) file = a;
      else throw new Error(`unknown argument ${a}\n${usage()}`);
    }
    if (!file) throw new Error(usage());
    if (!opts.set) opts.set = path.basename(file).replace(/\.har$/i, "");
    const set = fromHar(JSON.parse(readFileSync(file, "utf8")), { ...opts, source: `${path.basename(file)}, converted by scripts/mediagate fixtures from-har` });
    const text = formatSet(set);
    if (out) {
      writeFileSync(out, text);
      console.error(`${out}: ${set.lines.length} lines`);
    } else process.stdout.write(text);
    return 0;
  }
  if (cmd === "replay") {
    return replayMain(rest);
  }
  if (cmd === "record") {
    await record();
    return 0;
  }
  console.error(`mediagate fixtures: unknown subcommand ${cmd}\n${usage()}`);
  return 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`fixtures: ${err.message}`);
      process.exit(2);
    },
  );
}
