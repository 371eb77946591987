// Upstream response head parsing (RFC 9112 §4, §6.3). Every fault is an "upstream.*" reason: the
// caller discards the connection and answers the client with a 101503 fault, so nothing here is
// repaired (a response with both Content-Length and Transfer-Encoding is refused, not stripped).
#include <string_view>

#include "http/http1/head_scanner.h"
#include "http/syntax.h"
#include "mgw/base/strings.h"
#include "mgw/http/http1_codec.h"

namespace mgw::http1 {
namespace {

using detail::ScanError;

ParseResult failure(const char* reason) {
  return ParseResult{ParseStatus::Error, 0, 0, reason};
}

ParseResult scanFailure(ScanError e) {
  switch (e) {
    case ScanError::BareLf:
      return failure("upstream.bare_lf");
    case ScanError::BareCr:
      return failure("upstream.bare_cr");
    case ScanError::BadVersion:
    case ScanError::VersionNotSupported:
      return failure("upstream.bad_version");
    case ScanError::WhitespaceBeforeFirstField:
    case ScanError::ObsFold:
      return failure("upstream.obs_fold");
    case ScanError::SpaceBeforeColon:
      return failure("upstream.space_before_colon");
    case ScanError::BadFieldName:
    case ScanError::MissingColon:
      return failure("upstream.bad_field_name");
    case ScanError::BadFieldValue:
      return failure("upstream.bad_field_value");
    case ScanError::HeadTooLarge:
      return failure("upstream.head_too_large");
    case ScanError::TooManyFields:
      return failure("upstream.too_many_fields");
    default:
      break;
  }
  return failure("upstream.bad_status_line");
}

}  // namespace

ParseResult ResponseParser::parse(std::string_view buffered, std::string_view request_method,
                                  http::ResponseHead& head) {
  if (scanned_ == 0 || scanned_ > buffered.size()) {
    scanned_ = 0;
    scan_ = detail::HeadScanState{};
  }
  detail::ScanResult scan =
      detail::scanHead(buffered, scanned_, scan_, limits_, detail::HeadKind::Response);
  if (scan.status == detail::ScanStatus::NeedMore)
    return ParseResult{};
  scanned_ = 0;
  if (scan.status == detail::ScanStatus::Error)
    return scanFailure(scan.error);

  detail::LineCursor lines(buffered.substr(0, scan.end));
  std::string_view line;
  lines.next(line);
  head.version_minor = line[7] - '0';
  head.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  head.reason.assign(line.size() > 13 ? line.substr(13) : std::string_view());
  head.headers.clear();
  head.headers.reserve(scan_.fields);
  head.framing = http::BodyFraming::None;
  head.content_length = 0;

  size_t cl_count = 0;
  size_t te_count = 0;
  std::string_view cl_value;
  std::string_view te_value;
  http::syntax::ConnectionTokens connection;
  while (lines.next(line)) {
    std::string_view name;
    std::string_view value;
    detail::splitField(line, name, value);
    head.headers.add(name, value);
    if (name.size() == 14 && iequals(name, "content-length")) {
      ++cl_count;
      cl_value = value;
    } else if (name.size() == 17 && iequals(name, "transfer-encoding")) {
      ++te_count;
      te_value = value;
    } else if (name.size() == 10 && iequals(name, "connection")) {
      http::syntax::scanConnection(value, connection);
    }
  }

  // The framing fields are validated even when the status says there is no body: a response
  // that lies about them is from a broken or hostile upstream either way.
  if (te_count > 0) {
    if (cl_count > 0)
      return failure("upstream.cl_and_te");
    // RFC 9112 §6.1: TE in an HTTP/1.0 message means faulty framing.
    if (head.version_minor == 0)
      return failure("upstream.te_in_http10");
    // Only a lone "chunked" is decoded; other codings cannot be re-framed for the client.
    if (te_count > 1 ||
        http::syntax::classifyTransferEncoding(te_value) != http::syntax::TeClass::Chunked) {
      return failure("upstream.unsupported_transfer_coding");
    }
    head.framing = http::BodyFraming::Chunked;
  } else if (cl_count > 1) {
    return failure("upstream.duplicate_content_length");
  } else if (cl_count == 1) {
    auto length = http::syntax::parseContentLength(cl_value);
    if (!length)
      return failure("upstream.bad_content_length");
    head.framing = http::BodyFraming::ContentLength;
    head.content_length = *length;
  } else {
    head.framing = http::BodyFraming::UntilClose;
  }

  // RFC 9112 §6.3 rule 1: HEAD responses and 1xx/204/304 end at the empty line.
  if (request_method == "HEAD" || (head.status >= 100 && head.status < 200) || head.status == 204 ||
      head.status == 304) {
    head.framing = http::BodyFraming::None;
    head.content_length = 0;
  }

  head.keep_alive =
      head.version_minor == 1 ? !connection.close : (connection.keep_alive && !connection.close);
  if (head.framing == http::BodyFraming::UntilClose)
    head.keep_alive = false;
  return ParseResult{ParseStatus::Complete, scan.end, 0, ""};
}

}  // namespace mgw::http1
