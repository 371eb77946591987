// Request-target checks (attack catalogue §8). Nothing is decoded or normalised: the string that
// is routed, secured, throttled and forwarded is the one received, so anything a backend could
// resolve differently (dot-segments in any spelling, "..;" matrix tricks, backslashes) is refused.
#include "mgw/http/path.h"

#include "http/syntax.h"
#include "mgw/base/strings.h"

namespace mgw::http {
namespace {

using syntax::hexValue;

// Path bytes besides '%' (RFC 3986 §3.3 pchar + '/'): unreserved, sub-delims, ':' and '@'.
constexpr syntax::Table makePathTable() {
  return syntax::makeAlnumTable("-._~!$&'()*+,;=:@/");
}
constexpr syntax::Table kPathChar = makePathTable();

Error reject(const char* reason, const char* message) {
  return makeError(reason, message);
}

bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Decoded value of the escape at s[i] == '%', or -1 when it is not "%" HEXDIG HEXDIG.
int escapeAt(std::string_view s, size_t i) {
  if (i + 2 >= s.size())
    return -1;
  int hi = hexValue(s[i + 1]);
  int lo = hexValue(s[i + 2]);
  return (hi < 0 || lo < 0) ? -1 : hi * 16 + lo;
}

// Checks bytes and escapes shared by path and query. Returns a reason or nullptr.
const char* checkEscapes(std::string_view s, bool path) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '#')
      return "path.fragment";
    if (c == 0)
      return "path.nul";
    if (c < 0x21 || c > 0x7e)
      return "path.bad_char";  // CTL, space, non-ASCII
    if (c == '\\')
      return "path.backslash";
    if (c == '%') {
      int v = escapeAt(s, i);
      if (v < 0)
        return "path.bad_escape";
      if (v == 0)
        return "path.nul";
      if (path) {
        if (v == 0x5c)
          return "path.backslash";
        // Overlong UTF-8 (RFC 3629 §3): C0/C1 never start a valid sequence, E0 80-9F and
        // F0 80-8F are overlong forms ("%c0%ae" and "%e0%80%ae" are '.' to lax decoders).
        if (v == 0xc0 || v == 0xc1)
          return "path.overlong_utf8";
        int next = (i + 3 < s.size() && s[i + 3] == '%') ? escapeAt(s, i + 3) : -1;
        if (v == 0xe0 && next >= 0x80 && next <= 0x9f)
          return "path.overlong_utf8";
        if (v == 0xf0 && next >= 0x80 && next <= 0x8f)
          return "path.overlong_utf8";
      }
      i += 2;
      continue;
    }
    // The query may carry characters RFC 3986 excludes ('{', '|', '"'...); many clients send
    // them raw and they cannot affect routing. The path stays strict.
    if (path && !kPathChar[c])
      return "path.bad_char";
  }
  return nullptr;
}

// True when a segment is "." or ".." (raw or %2e in any case), or starts with ".;" / "..;"
// (Tomcat-style path parameters on a dot-segment, also with the ';' as %3B).
bool isDotSegment(std::string_view seg) {
  size_t i = 0;
  int dots = 0;
  while (i < seg.size()) {
    if (seg[i] == '.') {
      ++i;
    } else if (startsWithIgnoreCase(seg.substr(i), "%2e")) {
      i += 3;
    } else {
      break;
    }
    ++dots;
  }
  if (dots == 0 || dots > 2)
    return false;
  std::string_view rest = seg.substr(i);
  return rest.empty() || rest.front() == ';' || startsWithIgnoreCase(rest, "%3b");
}

// Segments are split at '/' and also at "%2F": a backend that decodes "%2F" would otherwise see
// "a%2F..%2Fb" as a dot-segment the gateway never checked (Envoy CVE-2021-29492).
const char* checkSegments(std::string_view path) {
  size_t start = 0;
  for (size_t i = 0; i <= path.size(); ++i) {
    size_t sep_len = 0;
    if (i == path.size() || path[i] == '/') {
      sep_len = 1;
    } else if (path[i] == '%' && startsWithIgnoreCase(path.substr(i), "%2f")) {
      sep_len = 3;
    } else {
      continue;
    }
    if (isDotSegment(path.substr(start, i - start)))
      return "path.dot_segment";
    start = i + sep_len;
    i += sep_len - 1;
  }
  return nullptr;
}

}  // namespace

Result<RequestTarget> parseRequestTarget(std::string_view target, std::string_view method) {
  RequestTarget out;
  if (target == "*") {
    if (method != "OPTIONS")
      return reject("path.asterisk_form", "'*' is only valid for OPTIONS");
    out.path = "*";
    return out;
  }
  std::string_view rest = target;
  if (rest.empty() || rest.front() != '/') {
    // Absolute-form (RFC 9112 §3.2.2): only http and https; the host is never connected to.
    size_t scheme_len = startsWithIgnoreCase(rest, "http://")    ? 7
                        : startsWithIgnoreCase(rest, "https://") ? 8
                                                                 : 0;
    if (scheme_len == 0) {
      return reject("path.not_origin_form", "request-target must start with '/'");
    }
    rest.remove_prefix(scheme_len);
    size_t end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, end);
    if (!syntax::isValidAuthority(authority, false)) {
      return reject("path.bad_authority", "invalid authority in absolute-form target");
    }
    out.authority.assign(authority);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  size_t q = rest.find('?');
  std::string_view path = rest.substr(0, q);
  if (const char* r = checkEscapes(path, true))
    return reject(r, "invalid request-target path");
  if (const char* r = checkSegments(path))
    return reject(r, "dot-segment in request-target path");
  if (q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    if (const char* r = checkEscapes(query, false)) {
      return reject(r, "invalid request-target query");
    }
    out.query.assign(query);
    out.has_query = true;
  }
  if (path.empty()) {
    out.path = "/";  // "http://host" and "http://host?q" (RFC 9112 §3.2.2)
  } else {
    out.path.assign(path);
  }
  return out;
}

}  // namespace mgw::http
