// Reference service worker for the app's /m/* media (mediagate, docs/CONTRACT.md section 5).
//
// It keeps a copy of a media response only when mediagate has said the copy may be kept by
// anyone for good: status 200, a `cache-control` whose directives are `public` and `immutable`
// (mediagate sends exactly `public, max-age=31536000, immutable` for public tokens), and a
// `content-length`. Everything else, above all private media (`private, no-store`), errors
// (`public, max-age=60` on a public 404 is public but not immutable) and partial responses, goes
// to the network every time and is never written to CacheStorage. The old worker cached private
// media here; a shared device then showed it to the next person: the rule below is the fix.
//
// Range requests (video) are left to the browser: CacheStorage refuses 206 responses, and a
// cached full copy would not be the span the player asked for.
//
// Register it from the app's origin:  navigator.serviceWorker.register("/media-sw.js")
"use strict";

const MEDIA_CACHE = "media-v1";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith("/m/")) return;
  if (request.method !== "GET" || request.headers.has("range")) return;
  event.respondWith(cachedOrNetwork(event, request));
});

async function cachedOrNetwork(event, request) {
  const cache = await caches.open(MEDIA_CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (mayKeep(response)) event.waitUntil(cache.put(request, response.clone()));
  return response;
}

// True only for a whole, public, immutable response of known length.
function mayKeep(response) {
  if (response.status !== 200 || response.type !== "basic") return false;
  if (!response.headers.has("content-length")) return false;
  const directives = (response.headers.get("cache-control") || "")
    .toLowerCase()
    .split(",")
    .map((d) => d.trim().split("=")[0]);
  if (directives.includes("private") || directives.includes("no-store") || directives.includes("no-cache")) return false;
  return directives.includes("public") && directives.includes("immutable");
}
