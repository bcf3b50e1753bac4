// The CLI's conventions (docs/CLI.md, "Conventions"), for every command, native and Node-run,
// through scripts/mediagate as an operator runs it: help on stdout with exit 0, before anything
// reads the environment or stdin; --version with the project version and the shipped module's
// hash; usage errors on stderr with exit 2.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./helpers.js";

const COMMANDS = ["mint", "verify", "explain", "fingerprint", "revoke", "revocations", "stats", "fixtures", "abi"];
// No secret in the environment: help must not need one.
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MEDIA_")));
// A request explain would answer if it read stdin.
const REQUEST = JSON.stringify({ url: "/m/u/a.png", now: 1767225600, object: null }) + "\n";

function run(args, input = "") {
  const r = spawnSync(path.join(ROOT, "scripts/mediagate"), args, { cwd: ROOT, env: ENV, input, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, what: `mediagate ${args.join(" ")}: exit ${r.status}\n${r.stdout}\n${r.stderr}` };
}

describe("mediagate CLI conventions", () => {
  for (const args of [["--help"], ["-h"], ["help"]]) {
    it(`\`mediagate ${args[0]}\`: usage listing every operator command on stdout, exit 0`, () => {
      const r = run(args);
      assert.equal(r.status, 0, r.what);
      assert.equal(r.stderr, "", r.what);
      assert.match(r.stdout, /^usage: mediagate COMMAND/, r.what);
      for (const c of COMMANDS.filter((c) => c !== "abi")) assert.match(r.stdout, new RegExp(`^  ${c} `, "m"), `${c} missing\n${r.what}`);
    });
  }

  for (const c of COMMANDS) {
    for (const args of [[c, "--help"], [c, "-h"], ["help", c]]) {
      it(`\`mediagate ${args.join(" ")}\`: its usage on stdout, exit 0, no secret needed, stdin not read`, () => {
        const r = run(args, REQUEST);
        assert.equal(r.status, 0, r.what);
        assert.equal(r.stderr, "", r.what);
        assert.match(r.stdout, new RegExp(`usage:\\s+(scripts/)?mediagate ${c}\\b`), r.what);
        assert.doesNotMatch(r.stdout, /"status"|not set/, r.what);
      });
    }
  }

  it("`mediagate --version`: the package.json version and the sha256 of worker-shim/mediagate.wasm", () => {
    const r = run(["--version"]);
    assert.equal(r.status, 0, r.what);
    assert.equal(r.stderr, "", r.what);
    const version = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
    const wasm = path.join(ROOT, "worker-shim/mediagate.wasm");
    const second = existsSync(wasm)
      ? `worker-shim/mediagate.wasm sha256 ${createHash("sha256").update(readFileSync(wasm)).digest("hex")}`
      : "worker-shim/mediagate.wasm: absent (scripts/build.sh builds it)";
    assert.equal(r.stdout, `mediagate ${version}\n${second}\n`);
  });

  const USAGE_ERRORS = [
    [],
    ["bogus"],
    ["help", "bogus"],
    ["mint", "--public"],
    ["mint", "--key", "u/a.png", "--public", "--bogus"],
    ["verify"],
    ["verify", "/m/a", "/m/b"],
    ["explain", "extra"],
    ["fingerprint", "extra"],
    ["revoke"],
    ["revoke", "u/a.png", "--scope", "some"],
    ["revocations"],
    ["revocations", "build-snapshot"],
    ["stats", "--bogus"],
    ["stats", "--window"],
    ["fixtures"],
    ["fixtures", "bogus"],
  ];
  for (const args of USAGE_ERRORS) {
    it(`\`mediagate ${args.join(" ")}\`: a usage error, on stderr, exit 2`, () => {
      const r = run(args, REQUEST);
      assert.equal(r.status, 2, r.what);
      assert.equal(r.stdout, "", r.what);
      assert.match(r.stderr, /usage/, r.what);
    });
  }
});
