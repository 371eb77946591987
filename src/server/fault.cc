#include <string>

#include "mgw/filter/filter.h"

namespace mgw::filter {

namespace {
void appendEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
}
}  // namespace

std::string faultJson(int code, std::string_view message, std::string_view description) {
  std::string out = "{\"fault\":{\"code\":";
  out += std::to_string(code);
  out += ", \"message\":\"";
  appendEscaped(out, message);
  out += "\", \"description\":\"";
  appendEscaped(out, description);
  out += "\"}}";
  return out;
}

LocalReply faultReply(int http_status, int code, std::string_view message,
                      std::string_view description, std::string_view details) {
  LocalReply reply;
  reply.status = http_status;
  reply.body = faultJson(code, message, description);
  reply.details = std::string(details);
  return reply;
}

}  // namespace mgw::filter
