// Incremental byte-level scan of an HTTP/1.1 message head (RFC 9112 §2-5). Shared by the request
// and response parsers: it finds the end of the head and rejects bad bytes as soon as they arrive,
// so an attacker cannot make us buffer a head that is already known to be invalid.
#pragma once

#include <cstddef>
#include <string_view>

#include "mgw/http/http1_codec.h"

namespace mgw::http1::detail {

// Scan phases kept in HeadScanState::phase between calls:
//
//   Leading --CR--> LeadingCr --LF--> Leading        (requests only: RFC 9112 §2.2 empty lines)
//   Leading --other--> StartLine --CR--> StartLineCr --LF--> FieldStart
//   FieldStart --tchar--> FieldName --':'--> FieldValue --CR--> FieldCr --LF--> FieldStart
//   FieldStart --CR--> EndCr --LF--> complete
//
// Any byte not allowed in the current phase is an error; in particular LF anywhere without the CR
// before it (bare LF), CR not followed by LF (bare CR), SP/HTAB at the start of a field line
// (obs-fold, or a whitespace line before the first field) and whitespace before the colon.
enum Phase : uint8_t {
  kLeading = 0,
  kLeadingCr,
  kStartLine,
  kStartLineCr,
  kFieldStart,
  kFieldName,
  kFieldValue,
  kFieldCr,
  kEndCr,
};

enum class HeadKind { Request, Response };

enum class ScanError {
  None,
  BareLf,
  BareCr,
  BadRequestLine,
  BadMethod,
  BadTarget,
  BadVersion,
  VersionNotSupported,
  UriTooLong,
  BadStatusLine,
  WhitespaceBeforeFirstField,
  ObsFold,
  SpaceBeforeColon,
  BadFieldName,
  MissingColon,
  BadFieldValue,
  HeadTooLarge,
  TooManyFields,
};

enum class ScanStatus { NeedMore, Complete, Error };

struct ScanResult {
  ScanStatus status = ScanStatus::NeedMore;
  ScanError error = ScanError::None;
  size_t end = 0;  // Complete: one past the LF of the empty line ending the head
};

// Continues scanning `buf` at `pos` (updated). Never reads past max_header_bytes.
ScanResult scanHead(std::string_view buf, size_t& pos, HeadScanState& st, const Limits& limits,
                    HeadKind kind);

// Splits a complete, already scanned head into lines (CRLF stripped). All CRs are known to be
// followed by LF, so a plain search for CR is enough.
class LineCursor {
 public:
  explicit LineCursor(std::string_view head) : rest_(head) {}
  // Next line without CRLF; false at the empty line that ends the head.
  bool next(std::string_view& line) {
    size_t cr = rest_.find('\r');
    if (cr == 0 || cr == std::string_view::npos)
      return false;
    line = rest_.substr(0, cr);
    rest_.remove_prefix(cr + 2);
    return true;
  }

 private:
  std::string_view rest_;
};

// Splits a scanned field line at its colon and trims OWS from the value (RFC 9112 §5.1).
void splitField(std::string_view line, std::string_view& name, std::string_view& value);

}  // namespace mgw::http1::detail
