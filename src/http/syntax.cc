#include "http/syntax.h"

#include <limits>

#include "mgw/base/strings.h"

namespace mgw::http::syntax {
namespace {

// unreserved / sub-delims (RFC 3986 §2.2-2.3): the reg-name alphabet besides pct-encoded.
constexpr Table makeRegNameTable() {
  return makeAlnumTable("-._~!$&'()*+,;=");
}
constexpr Table kRegName = makeRegNameTable();

bool isPort(std::string_view port) {
  if (port.size() > 5)
    return false;
  for (char c : port) {
    if (!isDigit(c))
      return false;
  }
  return true;
}

}  // namespace

bool isToken(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s) {
    if (!isTchar(c))
      return false;
  }
  return true;
}

std::optional<uint64_t> parseContentLength(std::string_view value) {
  if (value.empty() || value.size() > 19)
    return std::nullopt;
  uint64_t v = 0;
  for (char c : value) {
    if (!isDigit(c))
      return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');  // 19 digits cannot overflow uint64_t
  }
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return std::nullopt;
  return v;
}

bool isValidAuthority(std::string_view a, bool allow_empty) {
  if (a.empty())
    return allow_empty;
  std::string_view host;
  std::string_view rest;
  if (a.front() == '[') {
    // IP-literal (RFC 3986 §3.2.2): IPv6address or IPvFuture, checked for alphabet only.
    size_t close = a.find(']');
    if (close == std::string_view::npos || close == 1)
      return false;
    for (char c : a.substr(1, close - 1)) {
      if (!kRegName[static_cast<unsigned char>(c)] && c != ':')
        return false;
    }
    rest = a.substr(close + 1);
  } else {
    size_t colon = a.find(':');
    host = a.substr(0, colon);
    if (host.empty())
      return false;
    for (size_t i = 0; i < host.size(); ++i) {
      char c = host[i];
      if (c == '%') {
        if (i + 2 >= host.size() || hexValue(host[i + 1]) < 0 || hexValue(host[i + 2]) < 0) {
          return false;
        }
        i += 2;
        continue;
      }
      if (!kRegName[static_cast<unsigned char>(c)])
        return false;
    }
    rest = colon == std::string_view::npos ? std::string_view() : a.substr(colon);
  }
  if (rest.empty())
    return true;
  if (rest.front() != ':')
    return false;
  return isPort(rest.substr(1));
}

TeClass classifyTransferEncoding(std::string_view value) {
  size_t count = 0;
  size_t chunked = 0;
  bool last_chunked = false;
  bool bad_syntax = false;
  bool unknown = false;
  forEachListElement(value, [&](std::string_view el) {
    ++count;
    if (!isToken(el)) {
      bad_syntax = true;
      return false;
    }
    last_chunked = iequals(el, "chunked");
    if (last_chunked) {
      ++chunked;
    } else if (!iequals(el, "gzip") && !iequals(el, "x-gzip") && !iequals(el, "deflate") &&
               !iequals(el, "compress") && !iequals(el, "x-compress")) {
      unknown = true;
    }
    return true;
  });
  if (bad_syntax)
    return TeClass::BadSyntax;
  if (unknown)
    return TeClass::Unknown;
  if (!last_chunked)
    return TeClass::ChunkedNotFinal;
  if (count == 1)
    return TeClass::Chunked;
  return TeClass::BadCombination;
}

void scanConnection(std::string_view value, ConnectionTokens& out) {
  forEachListElement(value, [&](std::string_view el) {
    if (iequals(el, "close"))
      out.close = true;
    if (iequals(el, "keep-alive"))
      out.keep_alive = true;
    return true;
  });
}

}  // namespace mgw::http::syntax
