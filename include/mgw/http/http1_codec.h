// Strict, incremental HTTP/1.1 parsing (RFC 9112) for both directions, plus the chunked body
// decoder. Stricter than Boost.Beast on purpose: every request-smuggling case of the attack
// catalogue §2 is an error here, never an ambiguity passed on.
//
// Threading: a parser instance belongs to one connection on one worker thread; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mgw/http/message.h"

namespace mgw::http1 {

struct Limits {
  size_t max_uri_length = 4096;       // request-target bytes, over it -> 414
  size_t max_header_bytes = 8192;     // request line + fields, over it -> 431
  size_t max_header_count = 100;      // fields, over it -> 431
  size_t max_chunk_ext_bytes = 4096;  // chunk extensions per chunk line, over it -> 400
  size_t max_trailer_bytes = 8192;
};

namespace detail {
// Where the incremental head scan stopped between two parse() calls. Implementation detail of the
// parsers; the phases are documented in src/http/http1/head_scanner.h.
struct HeadScanState {
  size_t head_start = 0;  // first byte of the start line (leading empty lines skipped)
  size_t mark = 0;        // first byte of the current start-line part
  size_t fields = 0;      // field lines seen so far
  uint8_t phase = 0;
  uint8_t parts = 0;  // SP separators seen in the start line
};
}  // namespace detail

// Outcome of one parse step.
enum class ParseStatus {
  NeedMore,  // all input consumed, head not complete yet
  Complete,  // head parsed; `consumed` bytes belong to it, the rest is body / next message
  Error,     // unrecoverable: answer `error_status` and close the connection
};

struct ParseResult {
  ParseStatus status = ParseStatus::NeedMore;
  size_t consumed = 0;      // bytes of the input belonging to the head (Complete only)
  int error_status = 0;     // 400, 414, 431, 501, 505 ... for requests; 0 for responses
  const char* reason = "";  // reason token for logs/tests, e.g. "http1.cl_and_te"
};

// Parses a request head from a buffer that holds everything received so far for this message
// (the caller keeps unconsumed bytes and calls again with more appended). Returns Complete with
// `head` filled, NeedMore, or Error. Bytes are validated as they arrive, so an error is found
// before the head is complete where possible (bare LF, control characters, over-limit sizes).
class RequestParser {
 public:
  explicit RequestParser(const Limits& limits) : limits_(limits) {}
  ParseResult parse(std::string_view buffered, http::RequestHead& head);
  void reset() { scanned_ = 0; }

 private:
  const Limits& limits_;
  size_t scanned_ = 0;  // bytes of `buffered` already checked by the incremental scan
  detail::HeadScanState scan_;
};

// Parses a response head received from an upstream. `request_method` decides whether a body can
// follow (HEAD) and `status` 1xx/204/304 have none. Errors (reason tokens "upstream.*") mean the
// upstream connection must be discarded and the client answered with a 101503 fault.
class ResponseParser {
 public:
  explicit ResponseParser(const Limits& limits) : limits_(limits) {}
  ParseResult parse(std::string_view buffered, std::string_view request_method,
                    http::ResponseHead& head);
  void reset() { scanned_ = 0; }

 private:
  const Limits& limits_;
  size_t scanned_ = 0;
  detail::HeadScanState scan_;
};

// Decodes a body delimited by Content-Length or the chunked coding, feeding payload bytes out
// without copying (the returned spans point into the input).
class BodyDecoder {
 public:
  BodyDecoder() = default;
  void start(http::BodyFraming framing, uint64_t content_length, const Limits& limits);

  struct Step {
    size_t consumed = 0;    // input bytes used by this step
    std::string_view data;  // payload bytes produced (a view into the input)
    bool done = false;      // message body complete (trailers consumed and dropped)
    bool error = false;
    const char* reason = "";  // when error: e.g. "http1.bad_chunk_size"
  };
  // Consumes as much of `input` as it can in one step; call repeatedly while consumed > 0 and
  // not done. UntilClose bodies are never done until finishUntilClose() is called.
  Step decode(std::string_view input);
  // UntilClose framing: the connection reached EOF, so the body is complete.
  void finishUntilClose();
  bool done() const { return state_ == State::Done; }
  http::BodyFraming framing() const { return framing_; }
  uint64_t bodyBytes() const { return body_bytes_; }

 private:
  // Chunked decoding states (RFC 9112 §7.1).
  enum class State {
    Idle,       // not started
    Fixed,      // Content-Length / until-close payload
    ChunkSize,  // reading "hex[;ext]\r\n"
    ChunkData,  // reading chunk payload
    ChunkCrlf,  // expecting CRLF after chunk payload
    Trailers,   // reading trailer fields until an empty line
    Done,
    Error,  // sticky: every later decode() repeats the error
  };
  State state_ = State::Idle;
  http::BodyFraming framing_ = http::BodyFraming::None;
  uint64_t remaining_ = 0;
  uint64_t body_bytes_ = 0;
  size_t line_bytes_ = 0;  // bytes of the current size/trailer line seen so far
  size_t trailer_bytes_ = 0;
  size_t max_ext_ = 4096;
  size_t max_trailer_ = 8192;
  std::string line_;  // partial chunk-size or trailer line carried across calls (small, bounded)
  const char* error_reason_ = "";

  Step fail(Step step, const char* reason);
  bool chunkLine(std::string_view line, const char*& reason);
};

// Appends "<hex size>\r\n" for a chunk of `size` bytes.
void appendChunkHeader(std::string& out, size_t size);

}  // namespace mgw::http1
