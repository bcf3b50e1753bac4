// MEDIA_BUCKET stand-in for tests/worker/faults.test.js (a wrapped binding,
// tests/worker/helpers.js): the real local R2 bucket INNER, with faults
// injected per key. env.FAULTS (JSON) maps a key to its faults:
//   { "<key>": { "get": FAULT, "head": FAULT, "with": "<base64>", "type": "<content type>" } }
// FAULT is one of:
//   "throw"    the operation rejects (an R2 outage)
//   "hang"     the operation answers only after an hour (far past any deadline)
//   "short"    get: the body holds one byte less than the object or range read
//   "long"     get: the body holds one byte more
//   "short_fill"  get(key) without options (the edge cache fill's read,
//              tests/worker/fill.test.js): one byte short; other gets as R2
//   "replace"  get: right after the first read, the object is overwritten with
//              the bytes of "with" (content type "type"): a second read sees
//              another object, of another size, as R2 would after an upload
// put FAULT (uploads, docs/UPLOADS.md) is one of:
//   "throw"       put rejects without reading the body (an R2 outage)
//   "hang"        put neither reads the body nor answers
//   "throw_after_body"  put reads the whole body, stores nothing, then rejects
//   "hang_after_body"   put reads the whole body, stores nothing, never answers
//   "store_then_hang"   put stores the object (INNER's put), then never answers:
//              the answer lost after the write, as a cut connection to R2 would
//              (a put that R2 refuses, the key being taken, answers as R2 does)
// abort FAULT (tus, docs/UPLOADS.md "Resumable uploads"): "throw", a multipart
//   upload's abort() rejects (R2 not taking it); its parts stay in INNER.
// Multipart uploads are otherwise INNER's own.
// Keys without faults, and operations without one, are INNER's own answers.
export default function ({ INNER, FAULTS }) {
  const replaced = new Set();
  const hang = () => new Promise((resolve) => setTimeout(resolve, 3600 * 1000));

  // An R2 object whose body is `bytes`, with the metadata of `obj`.
  const withBody = (obj, bytes) => ({
    key: obj.key,
    size: obj.size,
    etag: obj.etag,
    httpEtag: obj.httpEtag,
    uploaded: obj.uploaded,
    httpMetadata: obj.httpMetadata,
    range: obj.range,
    body: new Response(bytes).body,
  });

  return {
    async get(key, options) {
      const fault = FAULTS[key]?.get;
      if (fault === "throw") throw new Error("simulated R2 outage (get)");
      if (fault === "hang") await hang();
      const obj = await INNER.get(key, options);
      const short = fault === "short" || (fault === "short_fill" && options === undefined);
      if (obj === null || !(short || ["long", "replace"].includes(fault))) return obj;
      const bytes = new Uint8Array(await obj.arrayBuffer());
      if (short) return withBody(obj, bytes.slice(0, Math.max(0, bytes.length - 1)));
      if (fault === "long") {
        const longer = new Uint8Array(bytes.length + 1);
        longer.set(bytes);
        longer[bytes.length] = 0x21;
        return withBody(obj, longer);
      }
      if (!replaced.has(key)) {
        replaced.add(key);
        const next = Uint8Array.from(atob(FAULTS[key].with), (c) => c.charCodeAt(0));
        await INNER.put(key, next, { httpMetadata: { contentType: FAULTS[key].type } });
      }
      return withBody(obj, bytes);
    },

    async put(key, value, options) {
      const fault = FAULTS[key]?.put;
      if (fault === "throw") throw new Error("simulated R2 outage (put)");
      if (fault === "hang") await hang();
      if (fault === "throw_after_body" || fault === "hang_after_body") {
        await new Response(value).arrayBuffer();
        if (fault === "hang_after_body") await hang();
        throw new Error("simulated R2 outage (put, after the body)");
      }
      const obj = await INNER.put(key, value, options);
      if (obj !== null && fault === "store_then_hang") await hang();
      return obj;
    },

    async head(key) {
      const fault = FAULTS[key]?.head;
      if (fault === "throw") throw new Error("simulated R2 outage (head)");
      if (fault === "hang") await hang();
      return INNER.head(key);
    },

    createMultipartUpload(key, options) {
      return INNER.createMultipartUpload(key, options);
    },

    resumeMultipartUpload(key, uploadId) {
      const mpu = INNER.resumeMultipartUpload(key, uploadId);
      if (FAULTS[key]?.abort !== "throw") return mpu;
      return {
        key,
        uploadId,
        uploadPart: (n, value) => mpu.uploadPart(n, value),
        complete: (parts) => mpu.complete(parts),
        async abort() {
          throw new Error("simulated R2 outage (abort)");
        },
      };
    },
  };
}
