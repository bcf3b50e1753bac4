// The public edge cache (Cache API): what may be stored, and the object
// metadata kept beside the bytes so that a hit is decided exactly as a read
// from R2 would be (docs/REVOCATION.md, "Edge cache").
#pragma once
#include <cstddef>
#include <string_view>

#include "decision.h"

namespace mg {

// The header the stored entry carries its metadata in. The value:
//   "v1 <size> <uploaded> <etag> <type>"
// with etag and type percent-encoded (%, controls, space, non-ASCII), so the
// stored content type reaches the core byte for byte, whatever it holds.
constexpr std::string_view kCacheObjectHeader = "x-mediagate-object";

// Writes the metadata value for `obj`; returns its length, 0 if it does not
// fit (then the object is not stored).
std::size_t cache_object_write(const ObjectFacts& obj, char* out, std::size_t cap);

// Reads a metadata value back into `obj` (size, uploaded, etag, type). The
// etag and type are decoded into `buf` (cap bytes), which must outlive `obj`.
// False when the value is not one this version wrote.
bool cache_object_read(std::string_view value, ObjectFacts* obj, char* buf, std::size_t cap);

}  // namespace mg
