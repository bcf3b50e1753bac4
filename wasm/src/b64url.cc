// Strict base64url without padding (RFC 4648 section 5), as the backend
// writes it: base64.urlsafe_b64encode(x).rstrip(b"="). Exactly one spelling
// is accepted per byte string, so a token cannot be re-encoded into a second
// valid form (RFC 4648 section 3.5: non-zero pad bits are rejected).
#include "token.h"

namespace mg {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0..63 for the 64 alphabet characters, 0xFF for everything else ('=',
// the other alphabet's two, whitespace, NUL, bytes >= 0x80).
struct DecodeTable {
  unsigned char v[256];
  constexpr explicit DecodeTable(const char* alphabet) : v() {
    for (int i = 0; i < 256; ++i) v[i] = 0xFF;
    for (int i = 0; i < 64; ++i) v[static_cast<unsigned char>(alphabet[i])] = static_cast<unsigned char>(i);
  }
};
constexpr DecodeTable kDecodeUrl(kAlphabet);
constexpr DecodeTable kDecodeStandard(kStandard);

// Unpadded text in the table's alphabet, pad bits zero.
bool decode(const DecodeTable& table, std::string_view in, unsigned char* out, std::size_t cap,
            std::size_t* out_len) {
  const std::size_t full = in.size() / 4;
  const std::size_t rem = in.size() % 4;
  if (rem == 1) return false;  // 6 bits cannot hold a byte
  const std::size_t need = full * 3 + (rem == 0 ? 0 : rem - 1);
  if (need > cap) return false;

  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  std::size_t o = 0;
  for (std::size_t i = 0; i < full; ++i, s += 4) {
    unsigned a = table.v[s[0]], b = table.v[s[1]], c = table.v[s[2]], d = table.v[s[3]];
    if ((a | b | c | d) & 0x80) return false;
    unsigned long w = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = static_cast<unsigned char>(w >> 16);
    out[o++] = static_cast<unsigned char>(w >> 8);
    out[o++] = static_cast<unsigned char>(w);
  }
  if (rem == 2) {
    unsigned a = table.v[s[0]], b = table.v[s[1]];
    if ((a | b) & 0x80) return false;
    if (b & 0x0F) return false;  // the 4 pad bits must be zero
    out[o++] = static_cast<unsigned char>((a << 2) | (b >> 4));
  } else if (rem == 3) {
    unsigned a = table.v[s[0]], b = table.v[s[1]], c = table.v[s[2]];
    if ((a | b | c) & 0x80) return false;
    if (c & 0x03) return false;  // the 2 pad bits must be zero
    out[o++] = static_cast<unsigned char>((a << 2) | (b >> 4));
    out[o++] = static_cast<unsigned char>(((b & 0x0F) << 4) | (c >> 2));
  }
  *out_len = o;
  return true;
}

}  // namespace

bool b64url_decode(std::string_view in, unsigned char* out, std::size_t cap, std::size_t* out_len) {
  return decode(kDecodeUrl, in, out, cap, out_len);
}

bool base64_decode(std::string_view in, unsigned char* out, std::size_t cap, std::size_t* out_len) {
  // With padding, the text is whole quads and the '='s stand for the
  // characters an unpadded text would omit: one or two, never more.
  if (!in.empty() && in.back() == '=') {
    if (in.size() % 4 != 0) return false;
    std::size_t pad = in[in.size() - 2] == '=' ? 2 : 1;
    in.remove_suffix(pad);
  }
  return decode(kDecodeStandard, in, out, cap, out_len);
}

std::size_t b64url_encode(const unsigned char* in, std::size_t len, char* out, std::size_t cap) {
  const std::size_t need = len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
  if (need > cap) return 0;
  std::size_t o = 0, i = 0;
  for (; i + 3 <= len; i += 3) {
    unsigned long w = (static_cast<unsigned long>(in[i]) << 16) | (static_cast<unsigned long>(in[i + 1]) << 8) | in[i + 2];
    out[o++] = kAlphabet[(w >> 18) & 63];
    out[o++] = kAlphabet[(w >> 12) & 63];
    out[o++] = kAlphabet[(w >> 6) & 63];
    out[o++] = kAlphabet[w & 63];
  }
  if (len - i == 1) {
    out[o++] = kAlphabet[in[i] >> 2];
    out[o++] = kAlphabet[(in[i] & 0x03) << 4];
  } else if (len - i == 2) {
    out[o++] = kAlphabet[in[i] >> 2];
    out[o++] = kAlphabet[((in[i] & 0x03) << 4) | (in[i + 1] >> 4)];
    out[o++] = kAlphabet[(in[i + 1] & 0x0F) << 2];
  }
  return o;
}

}  // namespace mg
