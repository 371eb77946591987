// Request-target checks and splitting (attack catalogue §8). The path used for routing, security,
// throttling and the one forwarded upstream are the same string: this module rejects what could
// be read two ways instead of normalising it.
#pragma once

#include <string>
#include <string_view>

#include "mgw/base/result.h"

namespace mgw::http {

struct RequestTarget {
  std::string path;   // raw path, still percent-encoded ("%2F" stays "%2F")
  std::string query;  // without '?', "" when absent
  bool has_query = false;
  std::string authority;  // from an absolute-form target, else ""
};

// Parses an origin-form ("/p?q"), absolute-form ("http://h/p?q") or asterisk-form ("*", only
// for OPTIONS) target. Rejects (reason token in Error::reason, status 400 for all):
//  - anything not starting with '/' in origin form ("admin", "*/x")
//  - '#' (fragments are never sent by clients; never forwarded), NUL, CTL, space, non-ASCII
//  - bad percent escapes ("%zz", trailing "%"), "%00"
//  - dot-segments "." / ".." raw or percent-encoded (any case), overlong UTF-8 "%c0%ae",
//    "..;" / ".;" segments, backslash or "%5C"
Result<RequestTarget> parseRequestTarget(std::string_view target, std::string_view method);

}  // namespace mgw::http
