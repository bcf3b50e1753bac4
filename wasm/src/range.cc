// HTTP Range (RFC 9110 section 14), bytes unit only, single-part responses.
//
// Grammar (RFC 9110 sections 14.1.1, 14.1.2, 5.6.1.2):
//   ranges-specifier = range-unit "=" range-set
//   range-set        = 1#range-spec       ; recipients: empty elements allowed
//   range-spec       = int-range / suffix-range / other-range
//   int-range        = first-pos "-" [ last-pos ]
//   suffix-range     = "-" suffix-length
//
// Whitespace. OWS is SP or HTAB. It is accepted where the list rule puts it,
// around the commas (section 5.6.1.2: [ element ] *( OWS "," OWS [ element ] )),
// plus the leniency every server we compared with shares (Go net/http,
// nginx, Node's range-parser, werkzeug; docs/ARCHITECTURE.md has the table):
//   - after "=", before the first element:      "bytes= 0-1";
//   - around the "-" of an int-range:           "bytes=0 - 1", "bytes=5 -";
//   - leading/trailing whitespace of the value, which is not part of a field
//     value (section 5.5).
// Not accepted, so the header is ignored (a full 200, always safe), because
// at least two of those servers refuse it too: OWS between "-" and a
// suffix-length ("bytes=- 5": nginx and werkzeug refuse, Go and range-parser
// accept), and OWS before "=" ("bytes =0-1": Go and nginx refuse).
// nginx takes SP only; we take HTAB wherever we take SP, as OWS is defined.
//
// Large numbers. Section 14.1.1: recipients anticipate decimal numerals
// larger than any object and read them for what they mean. A numeral of
// more than 64 bits saturates at 2^64 - 1, which is past the last byte of
// every object, so: "a-<huge>" runs to the end (206), "<huge>-" starts past
// the end (416), "-<huge>" is the whole object (206). Only the comparison
// first-pos <= last-pos looks at the exact digits (two huge numerals).
// Work stays linear in the header, which is bounded (kMaxRangeHeaderBytes).
//
// Anything malformed anywhere makes the whole header ignored: section 14.1.1
// calls such a ranges-specifier invalid and section 14.2 lets a server ignore
// it. That includes other-range, which is undefined for bytes.
#include "range.h"

#include <algorithm>

#include "ascii.h"

namespace mg {
namespace {

// One range-spec as written, before the object's size is known.
struct Spec {
  bool suffix = false;    // "-n": `last` holds n
  bool open = false;      // "a-": no last-pos
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

struct ParsedRanges {
  Spec specs[kMaxRangeSpecs];
  std::size_t count = 0;
};

// Range unit names are case-insensitive (RFC 9110 section 14.1).
bool is_bytes_unit(std::string_view unit) {
  constexpr std::string_view kBytes = "bytes";
  if (unit.size() != kBytes.size()) return false;
  for (std::size_t i = 0; i < unit.size(); ++i) {
    if (ascii_lower(unit[i]) != kBytes[i]) return false;
  }
  return true;
}

// A decimal numeral, 1*DIGIT. Above 2^64 - 1 its value saturates there;
// `digits` keeps the exact magnitude (leading zeros dropped) to compare two
// saturated numerals.
struct Numeral {
  std::uint64_t value = 0;
  bool saturated = false;
  std::string_view digits;
};

// 1*DIGIT at s[*i]; false if there is none.
bool parse_numeral(std::string_view s, std::size_t* i, Numeral* out) {
  constexpr std::uint64_t kMax = ~std::uint64_t{0};
  const std::size_t start = *i;
  while (*i < s.size() && ascii_is_digit(s[*i])) ++*i;
  if (*i == start) return false;
  std::size_t lead = start;
  while (lead + 1 < *i && s[lead] == '0') ++lead;
  out->digits = s.substr(lead, *i - lead);
  out->value = 0;
  out->saturated = false;
  for (char c : out->digits) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (out->value > (kMax - d) / 10) {
      out->value = kMax;
      out->saturated = true;
      break;
    }
    out->value = out->value * 10 + d;
  }
  return true;
}

// a <= b for numerals of any length.
bool numeral_le(const Numeral& a, const Numeral& b) {
  if (!a.saturated && !b.saturated) return a.value <= b.value;
  if (a.digits.size() != b.digits.size()) return a.digits.size() < b.digits.size();
  return a.digits <= b.digits;
}

void skip_ows(std::string_view s, std::size_t* i) {
  while (*i < s.size() && ascii_is_ows(s[*i])) ++*i;
}

// range-spec at s[*i], which starts with a digit or '-'.
bool parse_spec(std::string_view s, std::size_t* i, Spec* spec) {
  Numeral n;
  if (s[*i] == '-') {  // suffix-range: no OWS between "-" and the digits
    ++*i;
    spec->suffix = true;
    if (!parse_numeral(s, i, &n)) return false;
    spec->last = n.value;
    return true;
  }
  Numeral first;
  if (!parse_numeral(s, i, &first)) return false;
  spec->first = first.value;
  skip_ows(s, i);
  if (*i >= s.size() || s[*i] != '-') return false;
  ++*i;
  skip_ows(s, i);
  if (*i >= s.size() || !ascii_is_digit(s[*i])) {  // "a-"
    spec->open = true;
    return true;
  }
  if (!parse_numeral(s, i, &n)) return false;
  spec->last = n.value;
  // An int-range with last-pos < first-pos is invalid (section 14.1.2).
  return numeral_le(first, n);
}

// Parses a bytes ranges-specifier. False means "ignore the header": too long,
// too many specs, unknown unit, or malformed. Work is linear in the header and
// stops at kMaxRangeHeaderBytes / kMaxRangeSpecs (contract section 6, and
// RFC 9110 section 14.2 on many-range denial of service).
bool parse_ranges(std::string_view header, ParsedRanges* out) {
  if (header.size() > kMaxRangeHeaderBytes) return false;
  std::string_view s = header;
  s = ascii_trim_ows(s);

  std::size_t i = 0;
  while (i < s.size() && ascii_is_tchar(s[i])) ++i;
  if (i == s.size() || s[i] != '=' || !is_bytes_unit(s.substr(0, i))) return false;
  ++i;

  out->count = 0;
  for (;;) {
    skip_ows(s, &i);
    if (i < s.size() && (ascii_is_digit(s[i]) || s[i] == '-')) {
      if (out->count == kMaxRangeSpecs) return false;
      if (!parse_spec(s, &i, &out->specs[out->count])) return false;
      ++out->count;
    }
    skip_ows(s, &i);
    if (i == s.size()) break;
    if (s[i] != ',') return false;
    ++i;
  }
  return out->count > 0;  // 1#range-spec: at least one non-empty element
}

}  // namespace

RangeResult range_resolve(std::string_view header, std::uint64_t size) {
  RangeResult r;
  if (header.empty()) return r;  // absent
  r.outcome = RangeOutcome::ignored;
  // Contract section 6: an empty object has nothing to range over; a 200 with
  // an empty body answers every Range.
  if (size == 0) return r;

  ParsedRanges parsed;
  if (!parse_ranges(header, &parsed)) return r;

  // Clamp each spec to the object (section 14.1.2) and drop the
  // unsatisfiable ones: first-pos at or past the end, or a zero suffix.
  ByteSpan spans[kMaxRangeSpecs];
  std::size_t n = 0;
  for (std::size_t k = 0; k < parsed.count; ++k) {
    const Spec& sp = parsed.specs[k];
    if (sp.suffix) {
      if (sp.last == 0) continue;
      spans[n++] = ByteSpan{size - std::min(sp.last, size), size - 1};
    } else {
      if (sp.first >= size) continue;
      spans[n++] = ByteSpan{sp.first, sp.open ? size - 1 : std::min(sp.last, size - 1)};
    }
  }
  if (n == 0) {
    r.outcome = RangeOutcome::unsatisfiable;  // 416 (section 14.1.1, 15.5.17)
    return r;
  }

  // Coalesce overlapping or touching spans (section 14.2 allows it). Every
  // `last` is now <= size - 1, so `last + 1` cannot overflow.
  std::sort(spans, spans + n,
            [](const ByteSpan& a, const ByteSpan& b) { return a.first < b.first; });
  ByteSpan merged = spans[0];
  for (std::size_t k = 1; k < n; ++k) {
    // Spans that stay apart would need multipart/byteranges, which we never
    // send; section 14.2 lets us ignore the Range instead.
    if (spans[k].first > merged.last + 1) return r;
    merged.last = std::max(merged.last, spans[k].last);
  }
  r.outcome = RangeOutcome::satisfiable;
  r.span = merged;
  return r;
}

namespace {

// The last byte of an open range ("a-"). A last-pos of 2^64-1 (or a longer
// numeral, saturated there) is past the end of every object, so it reads as
// "a-" too; this also keeps a length from overflowing.
constexpr std::uint64_t kOpen = ~std::uint64_t{0};

// The hint that reads the interval [first, last], to the end when last is kOpen.
RangeHint span_hint(ByteSpan span) {
  RangeHint h;
  h.offset = span.first;
  if (span.last == kOpen) {
    h.kind = RangeHintKind::offset;
  } else {
    h.kind = RangeHintKind::offset_length;
    h.length = span.last - span.first + 1;
  }
  return h;
}

// Several specs without a suffix that already coalesce into one interval
// [a, b] stay one interval for every size: clamping to [0, size - 1] and
// dropping specs that start past the end cannot split it. So storage can be
// asked for [a, b] as for a single spec ("0-5,6-9" reads 0-9 in one
// operation). Specs that stay apart here may still meet once clamped (for
// "0-5,7-9" on a 6-byte object), and suffixes depend on the size: those
// need the size first.
RangeHint multi_range_hint(const ParsedRanges& parsed) {
  RangeHint h;
  h.kind = RangeHintKind::needs_size;
  ByteSpan spans[kMaxRangeSpecs];
  for (std::size_t k = 0; k < parsed.count; ++k) {
    const Spec& sp = parsed.specs[k];
    if (sp.suffix) return h;
    spans[k] = ByteSpan{sp.first, sp.open ? kOpen : sp.last};
  }
  std::sort(spans, spans + parsed.count,
            [](const ByteSpan& a, const ByteSpan& b) { return a.first < b.first; });
  ByteSpan merged = spans[0];
  for (std::size_t k = 1; k < parsed.count; ++k) {
    // Written without `last + 1`, which overflows for an open range.
    if (spans[k].first > merged.last && spans[k].first - merged.last > 1) return h;
    merged.last = std::max(merged.last, spans[k].last);
  }
  return span_hint(merged);
}

}  // namespace

namespace {

// Plans travel to the shim as f64 (protocol.h), exact below 2^53, and no
// object comes near that many bytes (R2's largest is 5 TiB). A number beyond
// is read as what it means for every real object: a start past the end (the
// whole object is read, then decided with its size: 416), a last byte past
// the end ("a-"), a suffix longer than the object (the whole object).
constexpr std::uint64_t kMaxPlanNumber = (std::uint64_t{1} << 53) - 1;

RangeHint bounded(RangeHint h) {
  switch (h.kind) {
    case RangeHintKind::offset_length:
      if (h.offset > kMaxPlanNumber) return RangeHint{RangeHintKind::needs_size, 0, 0, 0};
      if (h.length > kMaxPlanNumber - h.offset) return RangeHint{RangeHintKind::offset, h.offset, 0, 0};
      return h;
    case RangeHintKind::offset:
      return h.offset > kMaxPlanNumber ? RangeHint{RangeHintKind::needs_size, 0, 0, 0} : h;
    case RangeHintKind::suffix:
      return h.suffix > kMaxPlanNumber ? RangeHint{RangeHintKind::needs_size, 0, 0, 0} : h;
    default:
      return h;
  }
}

RangeHint range_hint_unbounded(std::string_view header) {
  RangeHint h;
  ParsedRanges parsed;
  // Absent or ignored for every size: fetch the whole object.
  if (header.empty() || !parse_ranges(header, &parsed)) return h;

  if (parsed.count != 1) return multi_range_hint(parsed);
  const Spec& sp = parsed.specs[0];
  if (sp.suffix) {
    // "-0" is unsatisfiable (or ignored, for size 0): no bytes to ask for.
    if (sp.last == 0) {
      h.kind = RangeHintKind::needs_size;
    } else {
      h.kind = RangeHintKind::suffix;
      h.suffix = sp.last;
    }
  } else {
    h = span_hint(ByteSpan{sp.first, sp.open ? kOpen : sp.last});
  }
  return h;
}

}  // namespace

RangeHint range_hint(std::string_view header) { return bounded(range_hint_unbounded(header)); }

std::string_view range_hint_kind_name(RangeHintKind kind) {
  switch (kind) {
    case RangeHintKind::whole: return "whole";
    case RangeHintKind::offset_length: return "offset_length";
    case RangeHintKind::offset: return "offset";
    case RangeHintKind::suffix: return "suffix";
    case RangeHintKind::needs_size: return "needs_size";
  }
  return "?";
}

}  // namespace mg
