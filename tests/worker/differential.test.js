// Native vs Wasm through the real ABI (scripts/differential.mjs, docs/TESTING.md): the same
// random calls through worker-shim/mediagate.wasm, the Emscripten build and `mediagate abi`
// must produce byte-identical outputs, reads and uploads (PUT and tus) alike. A CI-sized run; the script
// runs millions.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runDifferential } from "../lib/differential.mjs";

const COUNT = 20000;
const SEED = 20260101;

describe("differential: native core vs both Wasm builds, through the ABI", () => {
  it(`${COUNT} random requests (seed ${SEED}): every output byte-identical`, async () => {
    const stats = await runDifferential({ count: COUNT, seed: SEED });
    assert.equal(stats.requests, COUNT);
    assert.equal(stats.mismatches, 0, `first difference: ${JSON.stringify(stats.first, null, 2)}`);
    // The generator reaches every kind of answer, not only early refusals.
    const seen = Object.keys(stats.statuses).map((s) => s.split(" ")[0]);
    for (const status of ["200", "206", "304", "400", "401", "404", "405", "410", "412", "416", "503"]) {
      assert.ok(seen.includes(status), `no ${status} among ${JSON.stringify(stats.statuses)}`);
    }
    // Uploads (PUT) through begin and every finish phase: the sniff, the put, the comparing head.
    for (const answer of ["201 upload_stored", "200 upload_retry", "412 already_exists", "415 signature_mismatch", "415 type_mismatch",
      "415 unsupported_type", "411 length_required", "413 too_large", "400 empty_upload", "400 incomplete_upload", "400 bad_length", "401 token_wrong_mode"]) {
      assert.ok(stats.uploads[answer] > 0, `no ${answer} among the answers to PUT ${JSON.stringify(stats.uploads)}`);
    }
    // tus requests through begin and the upload state's rounds: creation, the lease, the bytes, the completion.
    const tusAnswers = Object.keys(stats.tus).map((k) => k.slice(k.indexOf(" ") + 1));
    for (const answer of ["204 tus_options", "201 upload_created", "200 upload_offset", "204 upload_progress", "204 upload_completed", "204 upload_terminated",
      "412 tus_version", "400 bad_tus_header", "415 bad_content_type", "404 upload_missing", "409 offset_mismatch", "423 upload_locked", "413 too_large", "415 signature_mismatch"]) {
      assert.ok(tusAnswers.includes(answer), `no ${answer} among the answers to tus requests ${JSON.stringify(stats.tus)}`);
    }
  });
});
