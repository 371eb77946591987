#include "http/http1/head_scanner.h"

#include <algorithm>

#include "http/syntax.h"
#include "mgw/base/strings.h"

namespace mgw::http1::detail {
namespace {

namespace syntax = http::syntax;

// A method longer than this share of the request line makes the line "too long" (414) before
// its end arrives; real methods are a few bytes.
constexpr size_t kRequestLineSlack = 64;
constexpr size_t kVersionLength = 8;  // "HTTP/1.1"

// version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3). Well formed but not 1.0/1.1 -> 505.
ScanError checkVersion(std::string_view v) {
  if (v.size() != kVersionLength || v.substr(0, 5) != "HTTP/" || !syntax::isDigit(v[5]) ||
      v[6] != '.' || !syntax::isDigit(v[7])) {
    return ScanError::BadVersion;
  }
  if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
    return ScanError::VersionNotSupported;
  return ScanError::None;
}

bool startsWithScheme(std::string_view target) {
  auto ieq = [&](std::string_view prefix) {
    if (target.size() < prefix.size())
      return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
      if (asciiLower(target[i]) != prefix[i])
        return false;
    }
    return true;
  };
  return ieq("http://") || ieq("https://");
}

// request-line = method SP request-target SP HTTP-version (RFC 9112 §3). The bytes were checked
// one by one already; this checks the shape and the target form (§3.2).
ScanError checkRequestLine(std::string_view line, const HeadScanState& st) {
  if (st.parts != 2)
    return ScanError::BadRequestLine;
  size_t sp1 = line.find(' ');
  size_t sp2 = line.find(' ', sp1 + 1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (version.empty())
    return ScanError::BadRequestLine;
  if (ScanError e = checkVersion(version); e != ScanError::None)
    return e;
  if (target.find('#') != std::string_view::npos)
    return ScanError::BadTarget;
  if (target.front() == '/' || target == "*" || startsWithScheme(target))
    return ScanError::None;
  return ScanError::BadTarget;  // "admin", "*/x", authority-form (CONNECT is not proxied)
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4). Also accepted:
// no SP after the code ("HTTP/1.1 200"), common in the wild and harmless for framing.
ScanError checkStatusLine(std::string_view line) {
  if (line.size() < 12 || line[8] != ' ')
    return ScanError::BadStatusLine;
  if (checkVersion(line.substr(0, 8)) != ScanError::None)
    return ScanError::BadVersion;
  for (size_t i = 9; i < 12; ++i) {
    if (!syntax::isDigit(line[i]))
      return ScanError::BadStatusLine;
  }
  if (line[9] < '1' || line[9] > '5')
    return ScanError::BadStatusLine;  // RFC 9110 §15: 100-599
  if (line.size() > 12 && line[12] != ' ')
    return ScanError::BadStatusLine;
  return ScanError::None;
}

}  // namespace

ScanResult scanHead(std::string_view buf, size_t& pos, HeadScanState& st, const Limits& limits,
                    HeadKind kind) {
  const auto* p = reinterpret_cast<const unsigned char*>(buf.data());
  const size_t cap = std::min(buf.size(), limits.max_header_bytes);
  size_t i = pos;
  auto fail = [&](ScanError e) {
    pos = i;
    return ScanResult{ScanStatus::Error, e, 0};
  };
  while (i < cap) {
    const unsigned char c = p[i];
    switch (st.phase) {
      case kLeading:
        if (kind == HeadKind::Request && c == '\r') {
          st.phase = kLeadingCr;
          ++i;
          break;
        }
        if (c == '\n')
          return fail(ScanError::BareLf);
        st.head_start = i;
        st.mark = i;
        st.parts = 0;
        st.phase = kStartLine;
        break;  // the same byte is looked at again as part of the start line
      case kLeadingCr:
        if (c != '\n')
          return fail(ScanError::BareCr);
        st.phase = kLeading;
        ++i;
        break;
      case kStartLine:
        if (c == '\r') {
          st.phase = kStartLineCr;
          ++i;
          break;
        }
        if (c == '\n')
          return fail(ScanError::BareLf);
        if (kind == HeadKind::Response) {
          if (!syntax::kFieldValue[c])
            return fail(ScanError::BadStatusLine);
          ++i;
          break;
        }
        if (c == ' ') {
          if (i == st.mark) {
            return fail(st.parts == 0 ? ScanError::BadMethod : ScanError::BadRequestLine);
          }
          if (++st.parts > 2)
            return fail(ScanError::BadRequestLine);
          st.mark = i + 1;
          ++i;
          break;
        }
        if (st.parts == 0) {
          if (!syntax::kTchar[c])
            return fail(ScanError::BadMethod);
          if (i + 1 - st.head_start > limits.max_uri_length + kRequestLineSlack) {
            return fail(ScanError::UriTooLong);
          }
        } else if (st.parts == 1) {
          // Anything that could change framing downstream (CTL, non-ASCII) never gets past us.
          if (c < 0x21 || c > 0x7e)
            return fail(ScanError::BadTarget);
          if (i + 1 - st.mark > limits.max_uri_length)
            return fail(ScanError::UriTooLong);
        } else {
          if (c < 0x21 || c > 0x7e || i + 1 - st.mark > kVersionLength) {
            return fail(ScanError::BadVersion);
          }
        }
        ++i;
        break;
      case kStartLineCr: {
        if (c != '\n')
          return fail(ScanError::BareCr);
        std::string_view line = buf.substr(st.head_start, i - 1 - st.head_start);
        ScanError e =
            kind == HeadKind::Request ? checkRequestLine(line, st) : checkStatusLine(line);
        if (e != ScanError::None)
          return fail(e);
        st.phase = kFieldStart;
        st.fields = 0;
        ++i;
        break;
      }
      case kFieldStart:
        if (c == '\r') {
          st.phase = kEndCr;
          ++i;
          break;
        }
        if (c == '\n')
          return fail(ScanError::BareLf);
        if (c == ' ' || c == '\t') {
          // RFC 9112 §2.2 (whitespace line after the start line) and §5.2 (obs-fold).
          return fail(st.fields == 0 ? ScanError::WhitespaceBeforeFirstField : ScanError::ObsFold);
        }
        if (!syntax::kTchar[c])
          return fail(ScanError::BadFieldName);
        if (++st.fields > limits.max_header_count)
          return fail(ScanError::TooManyFields);
        st.phase = kFieldName;
        ++i;
        break;
      case kFieldName:
        while (i < cap && syntax::kTchar[p[i]])
          ++i;
        if (i == cap)
          break;
        if (p[i] == ':') {
          st.phase = kFieldValue;
          ++i;
          break;
        }
        if (p[i] == ' ' || p[i] == '\t')
          return fail(ScanError::SpaceBeforeColon);  // §5.1
        if (p[i] == '\r' || p[i] == '\n')
          return fail(ScanError::MissingColon);
        return fail(ScanError::BadFieldName);
      case kFieldValue:
        while (i < cap && syntax::kFieldValue[p[i]])
          ++i;
        if (i == cap)
          break;
        if (p[i] == '\r') {
          st.phase = kFieldCr;
          ++i;
          break;
        }
        if (p[i] == '\n')
          return fail(ScanError::BareLf);
        return fail(ScanError::BadFieldValue);
      case kFieldCr:
        if (c != '\n')
          return fail(ScanError::BareCr);
        st.phase = kFieldStart;
        ++i;
        break;
      case kEndCr:
        if (c != '\n')
          return fail(ScanError::BareCr);
        ++i;
        pos = i;
        return ScanResult{ScanStatus::Complete, ScanError::None, i};
      default:
        return fail(ScanError::BadRequestLine);
    }
  }
  pos = i;
  if (i >= limits.max_header_bytes)
    return ScanResult{ScanStatus::Error, ScanError::HeadTooLarge, 0};
  return ScanResult{};
}

void splitField(std::string_view line, std::string_view& name, std::string_view& value) {
  size_t colon = line.find(':');
  name = line.substr(0, colon);
  value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
    value.remove_suffix(1);
}

}  // namespace mgw::http1::detail
