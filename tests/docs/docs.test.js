// The docs run as written (docs/TESTING.md, "The docs' examples"). Every fenced
// `sh`, `bash` or `console` block of README.md and docs/*.md is either run here
// or marked, in its info string, with why it is not:
//   deploy  needs a Cloudflare account (npx wrangler deploy / tail / secret, the live host)
//   long    runs for minutes or keeps running (scripts/dev.sh, scripts/test.sh, benchmarks)
//   dev     needs scripts/dev.sh's server or its .dev.vars
//   input   needs a file or value only the reader has (a HAR from a bug report)
// An unmarked `sh`/`bash` block runs as one bash script and must exit 0. An unmarked
// `console` block is `$ command` lines each followed by its expected output: each command
// runs alone and must exit 0 and print exactly that output (a line `...` stands for any
// number of lines). Commands run from the repository root with no MEDIA_* settings in the
// environment, so an example carries what it needs (the test secret of docs/CONTRACT.md).
// Also: every link in these files stays inside the repository and points at a file (and
// heading) that exists.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TAGS = new Set(["deploy", "long", "dev", "input"]);
const SHELLS = new Set(["sh", "bash", "console"]);

export function docFiles(root = ROOT) {
  const docs = readdirSync(path.join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs];
}

// Fenced blocks of one Markdown text: {lang, tags, body, line}. Fences may be
// indented (inside list items); the body loses that indentation.
export function fencedBlocks(text) {
  const blocks = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^(\s*)(`{3,})\s*([\w-]*)\s*(.*)$/);
    if (!open) continue;
    const [, indent, fence, lang, rest] = open;
    const body = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      if (lines[j].trim() === fence) break;
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
    }
    assert.ok(j < lines.length, `unclosed fence at line ${i + 1}: ${lines[i]}`);
    blocks.push({ lang, tags: rest.split(/\s+/).filter(Boolean), body, line: i + 1 });
    i = j;
  }
  return blocks;
}

// A console block's commands: [{cmd, expected: [lines]}]. A command is a line
// starting with "$ " plus the lines its trailing backslashes continue onto.
export function consoleCommands(body) {
  const cmds = [];
  for (let i = 0; i < body.length; i++) {
    if (!body[i].startsWith("$ ")) {
      assert.ok(cmds.length > 0 || body[i].trim() === "", `output before any command: ${body[i]}`);
      if (cmds.length) cmds[cmds.length - 1].expected.push(body[i]);
      continue;
    }
    let cmd = body[i].slice(2);
    while (cmd.endsWith("\\") && i + 1 < body.length) cmd += "\n" + body[++i];
    cmds.push({ cmd, expected: [] });
  }
  for (const c of cmds) while (c.expected.length && c.expected.at(-1).trim() === "") c.expected.pop();
  return cmds;
}

// Does the output match the expected lines (`...` = any number of lines)?
export function outputMatches(actualLines, expected) {
  const match = (a, e) => {
    if (e.length === 0) return a.length === 0;
    if (e[0] === "...") return match(a, e.slice(1)) || (a.length > 0 && match(a.slice(1), e));
    return a.length > 0 && a[0] === e[0] && match(a.slice(1), e.slice(1));
  };
  return match(actualLines, expected);
}

function cleanEnv() {
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
  for (const k of Object.keys(env)) if (k.startsWith("MEDIA_")) delete env[k];
  return env;
}

function run(script) {
  return spawnSync("bash", ["-o", "pipefail", "-c", script], { cwd: ROOT, env: cleanEnv(), encoding: "utf8", timeout: 300000 });
}

// GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
export function anchors(text) {
  const seen = new Map();
  const out = new Set();
  let fenced = false;
  for (const line of text.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const h = !fenced && line.match(/^#{1,6}\s+(.*?)\s*$/);
    if (!h) continue;
    let slug = h[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n ? `${slug}-${n}` : slug);
  }
  return out;
}

const FILES = docFiles();
const BLOCKS = FILES.flatMap((file) =>
  fencedBlocks(readFileSync(path.join(ROOT, file), "utf8"))
    .filter((b) => SHELLS.has(b.lang))
    .map((b) => ({ ...b, file })),
);
const LOCAL = BLOCKS.filter((b) => b.tags.length === 0);

describe("the docs' shell examples", () => {
  it("are marked local (no tag) or with a known reason not to run here", () => {
    for (const b of BLOCKS) {
      for (const t of b.tags) assert.ok(TAGS.has(t), `${b.file}:${b.line}: unknown tag "${t}" (known: ${[...TAGS].join(", ")})`);
      if (b.tags.length) continue;
      // Unmarked means "runs here": nothing that needs the account or the live host.
      const text = (b.lang === "console" ? consoleCommands(b.body).map((c) => c.cmd) : b.body).join("\n");
      assert.doesNotMatch(text, /wrangler (deploy|tail|secret|rollback|deployments|login|kv namespace create)|--remote|(curl|canary_smoke\.sh)\b.*https:\/\//, `${b.file}:${b.line}: needs a Cloudflare account; mark it \`deploy\``);
    }
    // Enough of them run that this test means something.
    assert.ok(LOCAL.length >= 8, `only ${LOCAL.length} local blocks`);
  });

  for (const b of LOCAL) {
    if (b.lang === "console") {
      for (const { cmd, expected } of consoleCommands(b.body)) {
        it(`${b.file}:${b.line}: $ ${cmd.slice(0, 70)}`, { timeout: 300000 }, () => {
          const r = run(cmd);
          assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}${r.stderr}`);
          const actual = r.stdout.replace(/\n+$/, "").split("\n").map((l) => l.trimEnd());
          const want = expected.map((l) => l.trimEnd());
          assert.ok(outputMatches(r.stdout === "" ? [] : actual, want), `output differs from ${b.file}:${b.line}\n--- documented\n${want.join("\n")}\n--- actual\n${actual.join("\n")}\n${r.stderr}`);
        });
      }
    } else {
      it(`${b.file}:${b.line}: ${b.lang} block`, { timeout: 300000 }, () => {
        const r = run(`set -e\n${b.body.join("\n")}`);
        assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`);
      });
    }
  }
});

describe("the docs' links", () => {
  it("stay inside the repository and point at files and headings that exist", () => {
    const problems = [];
    for (const file of FILES) {
      const text = readFileSync(path.join(ROOT, file), "utf8");
      const prose = text.replace(/^\s*```[\s\S]*?^\s*```/gm, "");
      for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1];
        if (/^[a-z]+:/i.test(target)) {
          problems.push(`${file}: ${target} leaves the repository`);
          continue;
        }
        const [rel, anchor] = target.split("#");
        const abs = rel ? path.resolve(path.dirname(path.join(ROOT, file)), rel) : path.join(ROOT, file);
        if (!abs.startsWith(ROOT + path.sep) && abs !== ROOT) {
          problems.push(`${file}: ${target} leaves the repository`);
          continue;
        }
        if (!existsSync(abs)) {
          problems.push(`${file}: ${target}: no such file`);
          continue;
        }
        if (anchor && abs.endsWith(".md") && statSync(abs).isFile() && !anchors(readFileSync(abs, "utf8")).has(anchor)) {
          problems.push(`${file}: ${target}: no such heading`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it("no file of the repository refers to a contract outside it", () => {
    const r = spawnSync("git", ["grep", "-n", "-e", "shared/CONTRACT", "-e", "shared/UPLOADS", "-e", "shared/TOOLCHAIN", "--", ".", ":!tests/docs/"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.stdout, "", "references outside the repository");
  });
});

// docs/UPLOADS.md, "For the backend team": the Python the backend copies is the vector
// generator's function, and it mints what the core's token_mint_put mints.
describe("docs/UPLOADS.md: the backend's put-token lines", () => {
  it("are tests/vectors/make_token_vectors.py's mint_put_token, and mint the CLI's token and URL byte for byte", () => {
    const block = fencedBlocks(readFileSync(path.join(ROOT, "docs/UPLOADS.md"), "utf8"))
      .find((b) => b.lang === "python" && b.body.some((l) => l.startsWith("def mint_put_token(")));
    assert.ok(block, "no python block with def mint_put_token in docs/UPLOADS.md");
    const start = block.body.findIndex((l) => l.startsWith("def mint_put_token("));
    const fn = block.body.slice(start).join("\n").trimEnd();
    const generator = readFileSync(path.join(ROOT, "tests/vectors/make_token_vectors.py"), "utf8");
    assert.ok(generator.includes(fn + "\n"), `make_token_vectors.py no longer holds:\n${fn}`);

    const secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    // The URL block, with the clock fixed where the CLI's --now puts it.
    const urlBlock = fencedBlocks(readFileSync(path.join(ROOT, "docs/UPLOADS.md"), "utf8"))
      .find((b) => b.lang === "python" && b.body.some((l) => l.startsWith("def upload_url(")));
    assert.ok(urlBlock, "no python block with def upload_url in docs/UPLOADS.md");
    const script = [...block.body, ...urlBlock.body, "time.time = lambda: 1767225600.5",
      `print(mint_put_token("/u/me_1/café 😀.png", "image/png", 1767225900, "${secret}", 10485760))`,
      `print(mint_put_token("u/v/clip.mp4", "video/mp4", 1767225900, "${secret}"))`,
      `print(upload_url("/u/me_1/café 😀.png", "Image/PNG; q=1", "${secret}", 10485760))`].join("\n");
    const py = spawnSync("python3", ["-c", script], { encoding: "utf8" });
    assert.equal(py.status, 0, py.stderr);
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MEDIA_"))), MEDIA_TOKEN_SECRET: secret };
    const cli = (args) => spawnSync(path.join(ROOT, "scripts/mediagate"), ["mint", "--upload", "--now", "1767225600", "--ttl", "300", ...args], { cwd: ROOT, env, encoding: "utf8" }).stdout;
    assert.equal(py.stdout, cli(["--key", "/u/me_1/café 😀.png", "--type", "image/png", "--max-bytes", "10485760"]) + cli(["--key", "u/v/clip.mp4", "--type", "video/mp4"]) +
      cli(["--key", "/u/me_1/café 😀.png", "--type", "Image/PNG; q=1", "--max-bytes", "10485760", "--url"]));
  });
});
