// The fixture sets the browser tests record: one HAR per scenario (build/har/<har>), turned into
// tests/fixtures/<set>.jsonl by `scripts/mediagate fixtures record` (docs/FIXTURES.md).
export const SETS = [
  {
    har: "gallery.har",
    set: "chromium-image-gallery",
    description: "A gallery page: eager public and private images (JPEG, WebP, a non-ASCII key), a missing image, lazy-loaded images below the fold fetched on scroll, and a prefetch with new Image().",
  },
  {
    har: "expired-scroll.har",
    set: "chromium-expired-private-scroll",
    description: "The app's 12-hour warm cache: a feed of private images scrolled through, some URLs minted hours ago whose tokens have expired (401 expired), the rest fresh.",
  },
  {
    har: "mp4.har",
    set: "chromium-mp4-play-seek",
    description: "A private H.264 MP4 (stored as application/octet-stream, served as video/mp4 from its extension) in a <video>: metadata, play, seek to the middle, play on. Chromium opens with bytes=0-; this small clip needs no further request to seek.",
  },
  {
    har: "webm.har",
    set: "chromium-webm-play-seek",
    description: "A public VP9 WebM in a <video>: metadata, play, seek to the middle, play on.",
  },
  {
    har: "safari-probe.har",
    set: "safari-ios-video-probe",
    description: "Safari/iOS's documented video pattern against a private MP4: a bytes=0-1 probe (exactly 2 bytes or Safari gives up), bytes=0-<size-1>, a seek with bytes=<mid>-<size-1>, then iOS-style 64 KiB chunks; the chunks reassembled play in a <video>.",
    pattern: "reproduced: Safari and iOS cannot run here; their request pattern is sent by fetch() from Chromium",
  },
  {
    har: "service-worker.har",
    set: "chromium-service-worker",
    description: "The reference service worker (docs/examples/media-sw.js) controlling the page: public and private images, a private video, an expired private image, then a second visit where the public image comes from CacheStorage and everything private from the network.",
  },
  {
    har: "attacks.har",
    set: "attack-corpus",
    description: "Adversarial requests: path tricks (dot segments, encoded slashes and backslashes, NUL, bad escapes, invalid and overlong UTF-8, over-long keys, other prefixes), token tampering (none, empty, wrong secret, other key, swapped signature, padding, duplicate members, unknown mode, far-future and expired expiry, a second t), Range abuse (too many ranges, overflow, inverted, unknown unit, unsatisfiable, huge header), other methods, conditional requests.",
    pattern: "adversarial requests sent by fetch() from Chromium; paths reach the gate as Chromium normalises them",
  },
];
