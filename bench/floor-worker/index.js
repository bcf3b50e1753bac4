// The floor for scripts/bench's end-to-end rows (never deployed): what
// wrangler dev + workerd cost per request with no gate at all.
//   /m/<key>  one R2 get (the Range header handed to R2 as is), streamed,
//             no token, no checks: the cheapest possible served request
//   PUT /m/<key>  the request's body stored under the key, one R2 put and
//             nothing else (no token, no checks, no hash): the upload floor
//   anything else (the bench asks /deny): a constant 401 "forbidden", no
//             work: the cheapest denial
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "PUT" && url.pathname.startsWith("/m/")) {
      await env.MEDIA_BUCKET.put(decodeURIComponent(url.pathname.slice(3)), request.body);
      return new Response(null, { status: 201 });
    }
    if (url.pathname.startsWith("/m/")) {
      const range = request.headers.get("range");
      const obj = await env.MEDIA_BUCKET.get(decodeURIComponent(url.pathname.slice(3)), range ? { range: request.headers } : {});
      if (obj === null) return new Response("not_found", { status: 404 });
      return new Response(obj.body, {
        status: range ? 206 : 200,
        headers: { "content-type": obj.httpMetadata?.contentType || "application/octet-stream", etag: obj.httpEtag },
      });
    }
    return new Response("forbidden", { status: 401, headers: { "content-type": "text/plain; charset=utf-8" } });
  },
};
