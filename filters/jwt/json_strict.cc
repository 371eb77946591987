#include "filters/jwt/json_strict.h"

#include <cmath>
#include <cstdlib>
#include <exception>
#include <limits>
#include <string>
#include <utility>

#include "mgw/base/strings.h"

namespace mgw::jwt {
namespace {

using Json = nlohmann::json;

// A recursive-descent parser of RFC 8259 JSON into nlohmann::json, for the token path: JOSE
// headers and claim sets are parsed on every uncached verification, and nlohmann's own lexer
// (a virtual-free but character-at-a-time input adapter, a token buffer per string) cost more
// than the rest of the non-RSA work together. Values are exactly those nlohmann's parser builds
// (non-negative integers unsigned, negative ones signed, others and overflowing integers double;
// test/filters/jwt/json_strict_test.cc compares the two on generated input), with the strict
// rules of json_strict.h: a repeated member name or nesting deeper than the limit rejects the
// text. Recursion is bounded by that limit. Strings must be well-formed UTF-8 (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), escapes \uXXXX must pair surrogates,
// and raw control characters are refused, as nlohmann does.
class StrictParser {
 public:
  StrictParser(std::string_view text, int max_depth)
      : p_(text.data()), end_(text.data() + text.size()), max_depth_(max_depth) {}

  bool parse(Json& out) {
    // nlohmann skips a UTF-8 byte order mark before the value; so do we.
    if (end_ - p_ >= 3 && static_cast<unsigned char>(p_[0]) == 0xEF &&
        static_cast<unsigned char>(p_[1]) == 0xBB && static_cast<unsigned char>(p_[2]) == 0xBF)
      p_ += 3;
    skipWhitespace();
    if (!value(out, 0))
      return false;
    skipWhitespace();
    return p_ == end_;
  }

 private:
  void skipWhitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
      ++p_;
  }

  bool value(Json& out, int depth) {
    if (p_ == end_)
      return false;
    switch (*p_) {
      case '{':
        return object(out, depth + 1);
      case '[':
        return array(out, depth + 1);
      case '"': {
        std::string s;
        if (!string(s))
          return false;
        out = std::move(s);
        return true;
      }
      case 't':
        return literal("true", 4) && (out = true, true);
      case 'f':
        return literal("false", 5) && (out = false, true);
      case 'n':
        return literal("null", 4) && (out = nullptr, true);
      default:
        return number(out);
    }
  }

  bool literal(const char* word, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n || std::string_view(p_, n) != std::string_view(word, n))
      return false;
    p_ += n;
    return true;
  }

  // The members or elements of a container up to `close`, each read by `element`, separated by
  // commas (RFC 8259 §4, §5). p_ is just past the opening bracket.
  template <class Element>
  bool sequence(char close, Element&& element) {
    skipWhitespace();
    if (p_ != end_ && *p_ == close) {
      ++p_;
      return true;
    }
    for (;;) {
      if (!element())
        return false;
      skipWhitespace();
      if (p_ == end_)
        return false;
      if (*p_ == close) {
        ++p_;
        return true;
      }
      if (*p_ != ',')
        return false;
      ++p_;
      skipWhitespace();
    }
  }

  bool object(Json& out, int depth) {
    if (depth > max_depth_)
      return false;
    ++p_;  // '{'
    out = Json::object();
    auto& members = out.get_ref<Json::object_t&>();
    return sequence('}', [&] {
      if (p_ == end_ || *p_ != '"')
        return false;
      std::string name;
      if (!string(name))
        return false;
      const auto [it, inserted] = members.try_emplace(std::move(name));
      if (!inserted)
        return false;  // a repeated member name (json_strict.h)
      skipWhitespace();
      if (p_ == end_ || *p_ != ':')
        return false;
      ++p_;
      skipWhitespace();
      return value(it->second, depth);
    });
  }

  bool array(Json& out, int depth) {
    if (depth > max_depth_)
      return false;
    ++p_;  // '['
    out = Json::array();
    auto& elements = out.get_ref<Json::array_t&>();
    return sequence(']', [&] {
      elements.emplace_back();
      return value(elements.back(), depth);
    });
  }

  // Reads the four hex digits after "\u"; -1 when they are not.
  int hex4() {
    if (end_ - p_ < 4)
      return -1;
    int v = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = hexValue(p_[i]);
      if (d < 0)
        return -1;
      v = v << 4 | d;
    }
    p_ += 4;
    return v;
  }

  static void appendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // Length of the well-formed UTF-8 sequence at p_ (RFC 3629 §4), 0 when it is not one.
  size_t utf8Sequence() const {
    const auto* u = reinterpret_cast<const unsigned char*>(p_);
    const size_t left = static_cast<size_t>(end_ - p_);
    const auto cont = [&](size_t i) { return i < left && (u[i] & 0xC0) == 0x80; };
    const unsigned char b = u[0];
    if (b >= 0xC2 && b <= 0xDF)
      return cont(1) ? 2 : 0;
    if (b >= 0xE0 && b <= 0xEF) {
      if (left < 2)
        return 0;
      const unsigned char lo = b == 0xE0 ? 0xA0 : 0x80;  // no overlong form
      const unsigned char hi = b == 0xED ? 0x9F : 0xBF;  // no surrogate
      return u[1] >= lo && u[1] <= hi && cont(2) ? 3 : 0;
    }
    if (b >= 0xF0 && b <= 0xF4) {
      if (left < 2)
        return 0;
      const unsigned char lo = b == 0xF0 ? 0x90 : 0x80;  // no overlong form
      const unsigned char hi = b == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
      return u[1] >= lo && u[1] <= hi && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
  }

  // A string literal at p_ (on its opening quote), unescaped into `out`.
  bool string(std::string& out) {
    ++p_;  // '"'
    for (;;) {
      const char* run = p_;
      while (p_ != end_) {
        const auto c = static_cast<unsigned char>(*p_);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
          break;
        ++p_;
      }
      out.append(run, static_cast<size_t>(p_ - run));
      if (p_ == end_)
        return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20)
        return false;  // control characters must be escaped (RFC 8259 §7)
      if (c >= 0x80) {
        const size_t n = utf8Sequence();
        if (n == 0)
          return false;
        out.append(p_, n);
        p_ += n;
        continue;
      }
      // A backslash escape.
      if (++p_ == end_)
        return false;
      const char e = *p_++;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          const int first = hex4();
          if (first < 0)
            return false;
          uint32_t cp = static_cast<uint32_t>(first);
          if (cp >= 0xDC00 && cp <= 0xDFFF)
            return false;  // a low surrogate alone
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
              return false;  // a high surrogate must be followed by a low one
            p_ += 2;
            const int second = hex4();
            if (second < 0xDC00 || second > 0xDFFF)
              return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<uint32_t>(second) - 0xDC00);
          }
          appendUtf8(out, cp);
          break;
        }
        default:
          return false;
      }
    }
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  // RFC 8259 §6: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
  bool number(Json& out) {
    const char* start = p_;
    const bool negative = *p_ == '-';
    if (negative)
      ++p_;
    if (p_ == end_ || !isDigit(*p_))
      return false;
    if (*p_ == '0')
      ++p_;
    else
      while (p_ != end_ && isDigit(*p_))
        ++p_;
    bool integer = true;
    if (p_ != end_ && *p_ == '.') {
      integer = false;
      ++p_;
      if (p_ == end_ || !isDigit(*p_))
        return false;
      while (p_ != end_ && isDigit(*p_))
        ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-'))
        ++p_;
      if (p_ == end_ || !isDigit(*p_))
        return false;
      while (p_ != end_ && isDigit(*p_))
        ++p_;
    }
    if (integer && integerValue(start, negative, out))
      return true;
    // A fraction, an exponent, or an integer beyond 64 bits: a double, as nlohmann makes it;
    // one that overflows to infinity is an error there too. strtod reads the C locale's '.',
    // and the gateway never changes the locale.
    const std::string text(start, p_);
    const double d = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(d))
      return false;
    out = d;
    return true;
  }

  // The integer in [start, p_) when it fits: unsigned when non-negative, signed when negative.
  bool integerValue(const char* start, bool negative, Json& out) const {
    const char* digits = negative ? start + 1 : start;
    uint64_t v = 0;
    for (const char* d = digits; d != p_; ++d) {
      const auto digit = static_cast<uint64_t>(*d - '0');
      if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10)
        return false;
      v = v * 10 + digit;
    }
    if (!negative) {
      out = static_cast<Json::number_unsigned_t>(v);
      return true;
    }
    constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;  // |INT64_MIN|
    if (v > kMinMagnitude)
      return false;
    out = v == kMinMagnitude ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(v);
    return true;
  }

  const char* p_;
  const char* const end_;
  const int max_depth_;
};

}  // namespace

nlohmann::json parseStrictJson(std::string_view text, int max_depth) {
  try {
    Json result;
    StrictParser parser(text, max_depth);
    if (!parser.parse(result))
      return Json(Json::value_t::discarded);
    return result;
  } catch (const std::exception&) {
    // Only allocation failures can get here.
    return Json(Json::value_t::discarded);
  }
}

}  // namespace mgw::jwt
