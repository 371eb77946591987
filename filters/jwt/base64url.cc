#include "filters/jwt/base64url.h"

#include <array>
#include <cstdint>

namespace mgw::jwt {
namespace {

constexpr std::array<int8_t, 256> makeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t)
    v = -1;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int i = 0; i < 64; ++i)
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr std::array<int8_t, 256> kTable = makeTable();
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

std::string_view stripPadding(std::string_view in) {
  while (!in.empty() && in.back() == '=')
    in.remove_suffix(1);
  return in;
}

bool base64UrlDecode(std::string_view in, std::string& out) {
  out.clear();
  std::string_view data = stripPadding(in);
  const size_t pad = in.size() - data.size();
  const size_t rem = data.size() % 4;
  if (rem == 1)
    return false;
  // Padding, when present, must complete the last quantum exactly (RFC 4648 §3.2).
  if (pad != 0 && (rem == 0 || (rem + pad) != 4))
    return false;
  out.reserve(data.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : data) {
    const int8_t v = kTable[static_cast<unsigned char>(c)];
    if (v < 0)
      return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits (2 or 4) must be zero: the canonical encoding (RFC 4648 §3.5).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
    return false;
  return true;
}

std::string base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0)
    out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

}  // namespace mgw::jwt
