// Range headers that Go's net/http, nginx, Node's range-parser and werkzeug honour, served by
// the Worker as the core reads them (wasm/src/range.cc; the per-server rows are in
// tests/native/test_range.cc): optional whitespace, and numerals longer than 64 bits
// (RFC 9110 14.1.1). Statuses, content-range and the exact bytes, for each Wasm build, and the
// same through curl, a client nobody here wrote.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import http from "node:http";
import { BUILDS, OBJECTS, SECURITY_HEADERS, startGate, get, mint, mediaUrl } from "./helpers.js";

const MP4 = "u/v/clip.mp4"; // 200000 bytes
const SIZE = OBJECTS[MP4].body.length;
const HUGE = "99999999999999999999999"; // about 2^76
const slice = (a, b) => OBJECTS[MP4].body.slice(a, b + 1);

// [Range header, first, last]: a 206 with exactly those bytes.
const PARTIAL = [
  ["bytes= 10-19", 10, 19],
  ["bytes=\t10-19", 10, 19],
  ["bytes=10 - 19", 10, 19],
  ["bytes=10\t-\t19", 10, 19],
  ["bytes= 199990 -", 199990, 199999],
  ["bytes= -5", 199995, 199999],
  ["bytes=   1 -2   ,  3- 5, 6 - 8 , ,,", 1, 8],
  [`bytes=0-${HUGE}`, 0, 199999],
  [`bytes=150000-${HUGE}`, 150000, 199999],
  [`bytes=-${HUGE}`, 0, 199999],
  ["bytes=-18446744073709551616", 0, 199999], // 2^64
  [`bytes= 150000 - ${HUGE} `, 150000, 199999],
  [`bytes=${HUGE}-,0-1`, 0, 1], // the unsatisfiable spec is dropped
];

// A 416 with content-range bytes */size.
const UNSATISFIABLE = [`bytes=${HUGE}-`, "bytes=18446744073709551616-", `bytes= ${HUGE} - ${HUGE}`, `bytes=${HUGE}-,-0`];

// Still malformed: a full 200 (nginx and werkzeug refuse OWS inside a suffix; Go and nginx do
// not see "bytes =" as a Range; a last-pos below the first-pos is invalid however long).
const IGNORED = ["bytes=- 5", "bytes =0-1", `bytes=${HUGE}-5`, "bytes=0 1-2"];

function assertPartial(res, range, a, b) {
  assert.equal(res.status, 206, range);
  assert.equal(res.headers["content-range"], `bytes ${a}-${b}/${SIZE}`, range);
  assert.equal(res.headers["content-length"], String(b - a + 1), range);
  assert.deepEqual(res.body, slice(a, b), range);
}

for (const [build, wasmPath] of Object.entries(BUILDS)) {
  describe(`Range leniency (${build} build)`, () => {
    let mf;
    before(async () => {
      mf = await startGate({ wasmPath });
    });
    after(async () => {
      await mf?.dispose();
    });

    for (const mode of ["priv", "pub"]) {
      it(`optional whitespace and huge numerals are 206 with exactly their span (${mode} token)`, async () => {
        const url = mediaUrl(MP4, mint(MP4, { mode }));
        for (const [range, a, b] of PARTIAL) assertPartial(await get(mf, url, { headers: { range } }), range, a, b);
      });
    }

    it("a first-pos past every object is 416 with bytes */size", async () => {
      const url = mediaUrl(MP4, mint(MP4, { mode: "priv" }));
      for (const range of UNSATISFIABLE) {
        const res = await get(mf, url, { headers: { range } });
        assert.equal(res.status, 416, range);
        assert.equal(res.text, "range_not_satisfiable", range);
        assert.equal(res.headers["content-range"], `bytes */${SIZE}`, range);
        for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(res.headers[name], value, name);
      }
    });

    it("whitespace the servers do not agree on stays a full 200", async () => {
      const url = mediaUrl(MP4, mint(MP4, { mode: "priv" }));
      for (const range of IGNORED) {
        const res = await get(mf, url, { headers: { range } });
        assert.equal(res.status, 200, range);
        assert.equal(res.headers["content-range"], undefined, range);
        assert.equal(res.body.length, SIZE, range);
      }
    });
  });
}

// curl, through a plain Node HTTP server on a port the system picks (port 0), which hands
// each request to the Worker unchanged: curl's own header bytes reach the core.
// curl is a prerequisite of scripts/setup.sh.
describe("Range leniency through curl", () => {
  let mf;
  let server;
  let base;
  before(async () => {
    mf = await startGate();
    server = http.createServer(async (req, res) => {
      const r = await mf.dispatchFetch(`http://media.test${req.url}`, { method: req.method, headers: req.headers, redirect: "manual" });
      const headers = Object.fromEntries([...r.headers].filter(([name]) => !name.startsWith("mf-")));
      res.writeHead(r.status, headers);
      res.end(Buffer.from(await r.arrayBuffer()));
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${server.address().port}`;
  });
  after(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
    await mf?.dispose();
  });

  // curl -r A-B sends "Range: bytes=A-B"; -H sends the header as written. Run
  // asynchronously: the server answering curl lives in this process.
  const curl = (url, args) =>
    new Promise((resolve, reject) => {
      execFile("curl", ["-sS", "--http1.1", "-i", ...args, url], { encoding: "buffer", maxBuffer: 1 << 22 }, (err, stdout, stderr) => {
        if (err) return reject(new Error(`curl ${args.join(" ")}: ${err.message} ${stderr}`));
        const end = stdout.indexOf("\r\n\r\n");
        const head = stdout.subarray(0, end).toString("latin1");
        resolve({
          status: Number(head.match(/^HTTP\/1\.1 (\d+)/)[1]),
          contentRange: head.match(/^content-range: (.*)$/im)?.[1],
          body: new Uint8Array(stdout.subarray(end + 4)),
        });
      });
    });

  it("curl -r with a numeral past 64 bits, and a Range with whitespace, get their spans", async () => {
    const media = new URL(mediaUrl(MP4, mint(MP4, { mode: "priv" })));
    const url = base + media.pathname + media.search;
    const cases = [
      [["-r", "10-19"], 206, "bytes 10-19/200000", slice(10, 19)],
      [["-r", `150000-${HUGE}`], 206, "bytes 150000-199999/200000", slice(150000, 199999)],
      [["-r", `-${HUGE}`], 206, "bytes 0-199999/200000", slice(0, 199999)],
      [["-H", "Range: bytes= 10 - 19"], 206, "bytes 10-19/200000", slice(10, 19)],
      [["-r", `${HUGE}-`], 416, "bytes */200000", null],
    ];
    for (const [args, status, contentRange, body] of cases) {
      const res = await curl(url, args);
      assert.equal(res.status, status, args.join(" "));
      assert.equal(res.contentRange, contentRange, args.join(" "));
      if (body) assert.deepEqual(res.body, body, args.join(" "));
    }
  });
});
