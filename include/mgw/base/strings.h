// Small string helpers shared by every module. Look here before writing a new one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mgw {

inline char asciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
}

// ASCII case-insensitive equality (HTTP field names, TOML section names).
bool iequals(std::string_view a, std::string_view b);
std::string toLower(std::string_view s);
// Trims spaces and horizontal tabs (HTTP OWS, RFC 9110 §5.6.3).
std::string_view trimOws(std::string_view s);
// Splits on `sep`, trimming OWS around each element; empty elements are kept.
std::vector<std::string_view> splitList(std::string_view s, char sep);
// Strict unsigned decimal: digits only, no sign, no whitespace, no overflow.
std::optional<uint64_t> parseDecimal(std::string_view s);
std::string hexEncode(std::string_view bytes);
// Value of a hex digit, or -1.
inline int hexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}
// Lowercase hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);

}  // namespace mgw
