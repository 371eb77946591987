// Character classes and small grammar checks shared by the HTTP/1.1 codec and the request-target
// checks (RFC 9110 §5.6, RFC 3986 §2-3). Internal to mgw_http; table lookups, no allocation.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "mgw/base/strings.h"

namespace mgw::http::syntax {

using Table = std::array<bool, 256>;

// ALPHA / DIGIT plus the characters of `extra`: the shape of tchar, reg-name and pchar alike.
constexpr Table makeAlnumTable(std::string_view extra) {
  Table t{};
  for (int c = '0'; c <= '9'; ++c)
    t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c)
    t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c)
    t[c] = true;
  for (char c : extra)
    t[static_cast<unsigned char>(c)] = true;
  return t;
}

// tchar (RFC 9110 §5.6.2).
constexpr Table makeTcharTable() {
  return makeAlnumTable("!#$%&'*+-.^_`|~");
}

// field-value octets (RFC 9110 §5.5): HTAB, SP, VCHAR, obs-text. Never CR, LF, NUL or other CTL.
constexpr Table makeFieldValueTable() {
  Table t{};
  t['\t'] = true;
  for (int c = 0x20; c <= 0x7e; ++c)
    t[c] = true;
  for (int c = 0x80; c <= 0xff; ++c)
    t[c] = true;
  return t;
}

inline constexpr Table kTchar = makeTcharTable();
inline constexpr Table kFieldValue = makeFieldValueTable();

inline bool isTchar(char c) {
  return kTchar[static_cast<unsigned char>(c)];
}
inline bool isFieldValueChar(char c) {
  return kFieldValue[static_cast<unsigned char>(c)];
}
inline bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

using mgw::hexValue;

bool isToken(std::string_view s);

// Content-Length (RFC 9110 §8.6): 1*DIGIT only, no sign, no list, no whitespace; values that do
// not fit in int64_t (>= 2^63) are refused so no consumer can overflow a signed length.
std::optional<uint64_t> parseContentLength(std::string_view value);

// Host field value / URI authority: uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2).
// No userinfo, no whitespace, pct-encoding well formed, port at most 5 digits. An empty value is
// accepted only when `allow_empty` (RFC 9110 §7.2 allows an empty Host).
bool isValidAuthority(std::string_view authority, bool allow_empty);

// Transfer-Encoding field value classification (RFC 9112 §6.1, §6.3, §7). See README for the
// status each class maps to.
enum class TeClass {
  Chunked,          // exactly one coding, "chunked"
  BadSyntax,        // empty element, not a token, parameters
  Unknown,          // a coding we do not know at all ("xchunked", "foo")
  ChunkedNotFinal,  // "gzip", "chunked, gzip": length cannot be determined
  BadCombination,   // "chunked, chunked", "gzip, chunked": chunked twice or codings we do not apply
};
TeClass classifyTransferEncoding(std::string_view value);

// Connection header tokens that matter for persistence (RFC 9112 §9.3).
struct ConnectionTokens {
  bool close = false;
  bool keep_alive = false;
};
void scanConnection(std::string_view value, ConnectionTokens& out);

// Calls f(element) for each comma-separated list element with OWS trimmed (RFC 9110 §5.6.1);
// empty elements are passed too. Stops early and returns false when f returns false.
template <class F>
bool forEachListElement(std::string_view value, F&& f) {
  size_t start = 0;
  while (true) {
    size_t comma = value.find(',', start);
    std::string_view el = value.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!el.empty() && (el.front() == ' ' || el.front() == '\t'))
      el.remove_prefix(1);
    while (!el.empty() && (el.back() == ' ' || el.back() == '\t'))
      el.remove_suffix(1);
    if (!f(el))
      return false;
    if (comma == std::string_view::npos)
      return true;
    start = comma + 1;
  }
}

}  // namespace mgw::http::syntax
