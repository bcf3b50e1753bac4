// Hexadecimal digits (RFC 5234 HEXDIG, either case, as RFC 3986 section 2.1
// allows in percent-encoding): the one decoder.
#pragma once

namespace mg {

// Value of one hex digit, '0'-'9', 'a'-'f' or 'A'-'F'; -1 for any other byte.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace mg
