// Request head parsing: byte scan (head_scanner.cc), then one pass over the complete head that
// fills RequestHead and decides the framing (RFC 9112 §6). Status and reason tokens are listed in
// src/http/README.md.
#include <string_view>

#include "http/http1/head_scanner.h"
#include "http/syntax.h"
#include "mgw/base/strings.h"
#include "mgw/http/http1_codec.h"

namespace mgw::http1 {
namespace {

using detail::ScanError;
using http::syntax::TeClass;

ParseResult failure(int status, const char* reason) {
  return ParseResult{ParseStatus::Error, 0, status, reason};
}

ParseResult scanFailure(ScanError e) {
  switch (e) {
    case ScanError::BareLf:
      return failure(400, "http1.bare_lf");
    case ScanError::BareCr:
      return failure(400, "http1.bare_cr");
    case ScanError::BadMethod:
      return failure(400, "http1.bad_method");
    case ScanError::BadTarget:
      return failure(400, "http1.bad_target");
    case ScanError::BadVersion:
      return failure(400, "http1.bad_version");
    case ScanError::VersionNotSupported:
      return failure(505, "http1.version_not_supported");
    case ScanError::UriTooLong:
      return failure(414, "http1.uri_too_long");
    case ScanError::WhitespaceBeforeFirstField:
      return failure(400, "http1.whitespace_before_first_field");
    case ScanError::ObsFold:
      return failure(400, "http1.obs_fold");
    case ScanError::SpaceBeforeColon:
      return failure(400, "http1.space_before_colon");
    case ScanError::BadFieldName:
      return failure(400, "http1.bad_field_name");
    case ScanError::MissingColon:
      return failure(400, "http1.missing_colon");
    case ScanError::BadFieldValue:
      return failure(400, "http1.bad_field_value");
    case ScanError::HeadTooLarge:
      return failure(431, "http1.header_too_large");
    case ScanError::TooManyFields:
      return failure(431, "http1.too_many_fields");
    case ScanError::BadRequestLine:
    case ScanError::BadStatusLine:
    case ScanError::None:
      break;
  }
  return failure(400, "http1.bad_request_line");
}

// Origin-form path and query of an absolute-form target (RFC 9112 §3.2.2); the authority it
// names replaces Host. Returns false when the authority is not a valid uri-host [":" port].
bool splitAbsoluteForm(std::string_view target, std::string_view& authority,
                       std::string_view& rest) {
  size_t scheme_end = target.find("://") + 3;
  std::string_view after = target.substr(scheme_end);
  size_t end = after.find_first_of("/?");
  authority = after.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : after.substr(end);
  return http::syntax::isValidAuthority(authority, false);
}

}  // namespace

ParseResult RequestParser::parse(std::string_view buffered, http::RequestHead& head) {
  if (scanned_ == 0 || scanned_ > buffered.size()) {
    scanned_ = 0;
    scan_ = detail::HeadScanState{};
  }
  detail::ScanResult scan =
      detail::scanHead(buffered, scanned_, scan_, limits_, detail::HeadKind::Request);
  if (scan.status == detail::ScanStatus::NeedMore)
    return ParseResult{};
  const size_t head_start = scan_.head_start;
  scanned_ = 0;  // the next call starts a new message whether or not the caller calls reset()
  if (scan.status == detail::ScanStatus::Error)
    return scanFailure(scan.error);

  detail::LineCursor lines(buffered.substr(head_start, scan.end - head_start));
  std::string_view line;
  lines.next(line);
  size_t sp1 = line.find(' ');
  size_t sp2 = line.find(' ', sp1 + 1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  head.method.assign(line.substr(0, sp1));
  head.version_minor = line[sp2 + 8] - '0';  // "HTTP/1.x" follows the second SP
  head.headers.clear();
  head.framing = http::BodyFraming::None;
  head.content_length = 0;
  head.expect_continue = false;

  std::string_view absolute_authority;
  if (target.front() == '/' || target == "*") {
    head.target.assign(target);
  } else {
    std::string_view rest;
    if (!splitAbsoluteForm(target, absolute_authority, rest)) {
      return failure(400, "http1.bad_target");
    }
    if (rest.empty() || rest.front() == '?') {
      // push_back rather than assign("/"): g++ 12 -O3 warns (-Wrestrict) on the latter.
      head.target.clear();
      head.target.push_back('/');
      head.target.append(rest);
    } else {
      head.target.assign(rest);
    }
  }
  if (target == "*" && head.method != "OPTIONS")
    return failure(400, "http1.bad_target");

  size_t cl_count = 0;
  size_t te_count = 0;
  size_t host_count = 0;
  std::string_view cl_value;
  std::string_view te_value;
  std::string_view host_value;
  bool bad_expect = false;
  http::syntax::ConnectionTokens connection;
  head.headers.reserve(scan_.fields);
  while (lines.next(line)) {
    std::string_view name;
    std::string_view value;
    detail::splitField(line, name, value);
    head.headers.add(name, value);
    switch (name.size()) {
      case 4:
        if (iequals(name, "host")) {
          ++host_count;
          host_value = value;
        }
        break;
      case 6:
        if (iequals(name, "expect")) {
          if (iequals(value, "100-continue")) {
            head.expect_continue = true;
          } else {
            bad_expect = true;
          }
        }
        break;
      case 10:
        if (iequals(name, "connection"))
          http::syntax::scanConnection(value, connection);
        break;
      case 14:
        if (iequals(name, "content-length")) {
          ++cl_count;
          cl_value = value;
        }
        break;
      case 17:
        if (iequals(name, "transfer-encoding")) {
          ++te_count;
          te_value = value;
        }
        break;
      default:
        break;
    }
  }

  // Framing first (RFC 9112 §6.1, §6.3): these are the smuggling vectors.
  if (te_count > 0) {
    if (cl_count > 0)
      return failure(400, "http1.cl_and_te");
    if (te_count > 1)
      return failure(400, "http1.duplicate_transfer_encoding");
    if (head.version_minor == 0)
      return failure(400, "http1.te_in_http10");
    switch (http::syntax::classifyTransferEncoding(te_value)) {
      case TeClass::Chunked:
        head.framing = http::BodyFraming::Chunked;
        break;
      case TeClass::Unknown:
        return failure(501, "http1.unknown_transfer_coding");
      case TeClass::ChunkedNotFinal:
        return failure(400, "http1.chunked_not_final");
      case TeClass::BadSyntax:
      case TeClass::BadCombination:
        return failure(400, "http1.bad_transfer_encoding");
    }
  } else if (cl_count > 1) {
    return failure(400, "http1.duplicate_content_length");  // even when equal (RFC 9110 §8.6)
  } else if (cl_count == 1) {
    auto length = http::syntax::parseContentLength(cl_value);
    if (!length)
      return failure(400, "http1.bad_content_length");
    head.framing = http::BodyFraming::ContentLength;
    head.content_length = *length;
  }

  // Host (RFC 9112 §3.2): exactly one in HTTP/1.1, at most one in HTTP/1.0, always well formed.
  if (host_count > 1)
    return failure(400, "http1.duplicate_host");
  if (host_count == 0 && head.version_minor == 1)
    return failure(400, "http1.missing_host");
  if (host_count == 1 && !http::syntax::isValidAuthority(host_value, true)) {
    return failure(400, "http1.bad_host");
  }
  head.authority.assign(absolute_authority.empty() ? host_value : absolute_authority);

  // RFC 9110 §10.1.1: only 100-continue is defined; HTTP/1.0 clients' expectations are ignored.
  if (head.version_minor == 0) {
    head.expect_continue = false;
  } else if (bad_expect) {
    return failure(417, "http1.unsupported_expectation");
  }

  head.keep_alive =
      head.version_minor == 1 ? !connection.close : (connection.keep_alive && !connection.close);
  return ParseResult{ParseStatus::Complete, scan.end, 0, ""};
}

}  // namespace mgw::http1
