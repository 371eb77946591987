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
  // Four characters make three bytes; a last quantum of two or three characters makes one or
  // two. An invalid character has the table value -1, so OR-ing a quantum's values is negative.
  const size_t full = data.size() / 4;
  out.resize(full * 3 + (rem == 0 ? 0 : rem - 1));
  const auto* in_chars = reinterpret_cast<const unsigned char*>(data.data());
  char* o = out.data();
  auto value = [&](size_t i) { return static_cast<int32_t>(kTable[in_chars[i]]); };
  for (size_t q = 0; q < full; ++q, o += 3) {
    const size_t i = q * 4;
    const int32_t a = value(i), b = value(i + 1), c = value(i + 2), d = value(i + 3);
    if ((a | b | c | d) < 0) {
      out.clear();
      return false;
    }
    const uint32_t v = static_cast<uint32_t>(a << 18 | b << 12 | c << 6 | d);
    o[0] = static_cast<char>(v >> 16);
    o[1] = static_cast<char>(v >> 8);
    o[2] = static_cast<char>(v);
  }
  if (rem == 0)
    return true;
  const size_t i = full * 4;
  const int32_t a = value(i), b = value(i + 1), c = rem == 3 ? value(i + 2) : 0;
  if ((a | b | c) < 0) {
    out.clear();
    return false;
  }
  const uint32_t v = static_cast<uint32_t>(a << 18 | b << 12 | c << 6);
  o[0] = static_cast<char>(v >> 16);
  if (rem == 3)
    o[1] = static_cast<char>(v >> 8);
  // Leftover bits (4 after two characters, 2 after three) must be zero: the canonical encoding
  // (RFC 4648 §3.5).
  const uint32_t unused = rem == 2 ? 0xffffu : 0xffu;
  if ((v & unused) != 0) {
    out.clear();
    return false;
  }
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
