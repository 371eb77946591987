// Message body decoding (RFC 9112 §6, §7.1). Payload spans are views into the caller's input;
// only a chunk-size or trailer line split across reads is copied, into line_, bounded by the
// chunk-extension and trailer limits.
#include <algorithm>
#include <limits>

#include "http/syntax.h"
#include "mgw/http/http1_codec.h"

namespace mgw::http1 {
namespace {

using http::syntax::hexValue;
using http::syntax::isFieldValueChar;
using http::syntax::isTchar;

constexpr size_t kMaxChunkSizeDigits = 16;
constexpr uint64_t kMaxChunkSize = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

size_t skipBws(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
    ++i;
  return i;
}

size_t skipToken(std::string_view s, size_t i) {
  while (i < s.size() && isTchar(s[i]))
    ++i;
  return i;
}

// quoted-string (RFC 9110 §5.6.4) starting at s[i] == '"'; returns the index after the closing
// quote, or npos.
size_t skipQuoted(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"')
      return i + 1;
    if (c == '\\') {
      if (++i == s.size() || !isFieldValueChar(s[i]))
        return std::string_view::npos;
      continue;
    }
    if (!isFieldValueChar(c))
      return std::string_view::npos;
  }
  return std::string_view::npos;
}

// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) (RFC 9112 §7.1.1).
bool validChunkExt(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    i = skipBws(s, i);
    if (i == s.size() || s[i] != ';')
      return false;
    i = skipBws(s, i + 1);
    size_t name_end = skipToken(s, i);
    if (name_end == i)
      return false;
    i = skipBws(s, name_end);
    if (i < s.size() && s[i] == '=') {
      i = skipBws(s, i + 1);
      if (i < s.size() && s[i] == '"') {
        i = skipQuoted(s, i);
        if (i == std::string_view::npos)
          return false;
      } else {
        size_t val_end = skipToken(s, i);
        if (val_end == i)
          return false;
        i = val_end;
      }
    }
  }
  return true;
}

// A trailer field line: same rules as header fields (no obs-fold, no space before the colon).
bool validTrailerLine(std::string_view s) {
  size_t colon = skipToken(s, 0);
  if (colon == 0 || colon == s.size() || s[colon] != ':')
    return false;
  for (size_t i = colon + 1; i < s.size(); ++i) {
    if (!isFieldValueChar(s[i]))
      return false;
  }
  return true;
}

}  // namespace

void BodyDecoder::start(http::BodyFraming framing, uint64_t content_length, const Limits& limits) {
  framing_ = framing;
  remaining_ = 0;
  body_bytes_ = 0;
  line_bytes_ = 0;
  trailer_bytes_ = 0;
  max_ext_ = limits.max_chunk_ext_bytes;
  max_trailer_ = limits.max_trailer_bytes;
  line_.clear();
  error_reason_ = "";
  switch (framing) {
    case http::BodyFraming::None:
      state_ = State::Done;
      break;
    case http::BodyFraming::ContentLength:
      remaining_ = content_length;
      state_ = content_length == 0 ? State::Done : State::Fixed;
      break;
    case http::BodyFraming::Chunked:
      state_ = State::ChunkSize;
      break;
    case http::BodyFraming::UntilClose:
      state_ = State::Fixed;
      break;
  }
}

void BodyDecoder::finishUntilClose() {
  if (framing_ == http::BodyFraming::UntilClose && state_ == State::Fixed)
    state_ = State::Done;
}

BodyDecoder::Step BodyDecoder::fail(Step step, const char* reason) {
  state_ = State::Error;
  error_reason_ = reason;
  line_.clear();
  line_.shrink_to_fit();
  step.error = true;
  step.reason = reason;
  return step;
}

// chunk = chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1); `line` is without CRLF.
bool BodyDecoder::chunkLine(std::string_view line, const char*& reason) {
  size_t i = 0;
  uint64_t size = 0;
  for (; i < line.size(); ++i) {
    int d = hexValue(line[i]);
    if (d < 0)
      break;
    if (i == kMaxChunkSizeDigits) {
      reason = "http1.chunk_size_overflow";
      return false;
    }
    size = size * 16 + static_cast<uint64_t>(d);
  }
  if (i == 0) {
    reason = "http1.bad_chunk_size";
    return false;
  }
  if (size > kMaxChunkSize) {
    reason = "http1.chunk_size_overflow";
    return false;
  }
  std::string_view ext = line.substr(i);
  if (ext.size() > max_ext_) {
    reason = "http1.chunk_ext_too_long";
    return false;
  }
  if (!validChunkExt(ext)) {
    // "0x5" or "5 " (the size is not followed by BWS ";") versus a malformed extension.
    size_t semi = skipBws(ext, 0);
    reason = semi < ext.size() && ext[semi] == ';' ? "http1.bad_chunk_ext" : "http1.bad_chunk_size";
    return false;
  }
  remaining_ = size;
  state_ = size == 0 ? State::Trailers : State::ChunkData;
  return true;
}

BodyDecoder::Step BodyDecoder::decode(std::string_view input) {
  Step step;
  while (true) {
    std::string_view rest = input.substr(step.consumed);
    switch (state_) {
      case State::Idle:
        return fail(step, "http1.decoder_not_started");
      case State::Error:
        step.error = true;
        step.reason = error_reason_;
        return step;
      case State::Done:
        step.done = true;
        return step;
      case State::Fixed: {
        size_t n = rest.size();
        if (framing_ == http::BodyFraming::ContentLength) {
          n = static_cast<size_t>(std::min<uint64_t>(remaining_, n));
          remaining_ -= n;
          if (remaining_ == 0) {
            state_ = State::Done;
            step.done = true;
          }
        }
        step.data = rest.substr(0, n);
        step.consumed += n;
        body_bytes_ += n;
        return step;
      }
      case State::ChunkData: {
        if (rest.empty())
          return step;
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, rest.size()));
        remaining_ -= n;
        if (remaining_ == 0) {
          state_ = State::ChunkCrlf;
          line_bytes_ = 0;
        }
        step.data = rest.substr(0, n);
        step.consumed += n;
        body_bytes_ += n;
        return step;  // one payload span per step
      }
      case State::ChunkCrlf: {
        if (rest.empty())
          return step;
        // line_bytes_ is 0 before the CR, 1 after it.
        char want = line_bytes_ == 0 ? '\r' : '\n';
        if (rest.front() != want)
          return fail(step, "http1.bad_chunk_terminator");
        ++step.consumed;
        if (++line_bytes_ == 2) {
          line_bytes_ = 0;
          state_ = State::ChunkSize;
        }
        continue;
      }
      case State::ChunkSize:
      case State::Trailers: {
        if (rest.empty())
          return step;
        const bool trailers = state_ == State::Trailers;
        // Longest acceptable line including CRLF: size digits + extensions, or what is left of
        // the trailer budget. Nothing longer is ever copied into line_.
        const size_t max_line = trailers ? max_trailer_ - std::min(max_trailer_, trailer_bytes_) + 2
                                         : kMaxChunkSizeDigits + max_ext_ + 2;
        const size_t room = max_line - std::min(max_line, line_.size());
        size_t lf = rest.substr(0, room).find('\n');
        if (lf == std::string_view::npos) {
          if (rest.size() >= room) {
            return fail(step, trailers ? "http1.trailers_too_large" : "http1.chunk_ext_too_long");
          }
          line_.append(rest);
          step.consumed += rest.size();
          return step;
        }
        std::string_view line = rest.substr(0, lf + 1);
        if (!line_.empty()) {
          line_.append(line);
          line = line_;
        }
        step.consumed += lf + 1;
        if (line.size() < 2 || line[line.size() - 2] != '\r')
          return fail(step, "http1.bare_lf");
        line.remove_suffix(2);
        if (line.find('\r') != std::string_view::npos)
          return fail(step, "http1.bare_cr");
        if (trailers) {
          if (line.empty()) {
            line_.clear();
            state_ = State::Done;
            step.done = true;
            return step;
          }
          // Trailer fields are checked and dropped: never merged into the head, so a
          // Content-Length or Transfer-Encoding here can change nothing (catalogue §2 row 13).
          if (!validTrailerLine(line))
            return fail(step, "http1.bad_trailer");
          trailer_bytes_ += line.size() + 2;
          if (trailer_bytes_ > max_trailer_)
            return fail(step, "http1.trailers_too_large");
        } else {
          const char* reason = "";
          if (!chunkLine(line, reason))
            return fail(step, reason);
        }
        line_.clear();
        continue;
      }
    }
  }
}

void appendChunkHeader(std::string& out, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[2 * sizeof(size_t)];
  size_t n = 0;
  do {
    buf[n++] = kHex[size & 0xf];
    size >>= 4;
  } while (size != 0);
  while (n > 0)
    out += buf[--n];
  out += "\r\n";
}

}  // namespace mgw::http1
