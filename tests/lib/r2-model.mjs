// A model of R2 for the tests and tools: what a get or head with given
// options returns from an object of `size` bytes. Written from R2's own
// documentation (R2GetOptions.range: {offset, length} | {offset} | {suffix}),
// independently of the core's C++: tests/lib/plans.test.js checks it, and the
// shim's translation of a plan into R2 options, against the vectors the C++
// definition emits (tests/vectors/plans.jsonl).
//
//   result  "ok", or "invalid_range": R2 refuses a range that starts at or
//           past the end (InvalidRange, 10039), and a suffix of an empty object
//   span    [first, last] of the object bytes returned (inclusive), or null
//           when no bytes come back (head, an empty object or range)
// Exact for every size a plan can carry (BigInt arithmetic).
export function r2Read(op, options, size) {
  const n = BigInt(size);
  const span = (first, end) => (end > first ? [Number(first), Number(end - 1n)] : null);
  if (op === "head") return { result: "ok", span: null };
  const range = options.range;
  if (range === undefined) return { result: "ok", span: span(0n, n) };
  if (range.suffix !== undefined) {
    if (n === 0n) return { result: "invalid_range", span: null };
    const want = BigInt(range.suffix);
    return { result: "ok", span: span(want >= n ? 0n : n - want, n) };
  }
  const offset = BigInt(range.offset);
  if (offset >= n) return { result: "invalid_range", span: null };
  const end = range.length === undefined ? n : offset + BigInt(range.length);
  return { result: "ok", span: span(offset, end < n ? end : n) };
}
