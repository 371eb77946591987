#include "mgw/http/message.h"

#include <algorithm>

#include "mgw/base/strings.h"

namespace mgw::http {

void HeaderMap::add(std::string_view name, std::string_view value) {
  fields_.push_back(Header{std::string(name), std::string(value)});
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  auto it = std::find_if(fields_.begin(), fields_.end(),
                         [&](const Header& h) { return iequals(h.name, name); });
  if (it == fields_.end()) {
    add(name, value);
    return;
  }
  it->value.assign(value);
  // Later duplicates go; the first keeps its position (and its name's spelling).
  auto tail =
      std::remove_if(it + 1, fields_.end(), [&](const Header& h) { return iequals(h.name, name); });
  fields_.erase(tail, fields_.end());
}

const std::string* HeaderMap::get(std::string_view name) const {
  for (const Header& h : fields_) {
    if (iequals(h.name, name))
      return &h.value;
  }
  return nullptr;
}

size_t HeaderMap::count(std::string_view name) const {
  return static_cast<size_t>(std::count_if(fields_.begin(), fields_.end(),
                                           [&](const Header& h) { return iequals(h.name, name); }));
}

size_t HeaderMap::remove(std::string_view name) {
  auto tail = std::remove_if(fields_.begin(), fields_.end(),
                             [&](const Header& h) { return iequals(h.name, name); });
  size_t removed = static_cast<size_t>(fields_.end() - tail);
  fields_.erase(tail, fields_.end());
  return removed;
}

std::string_view reasonPhrase(int status) {
  // RFC 9110 §15 (and RFC 6585 for 428/429/431).
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 203:
      return "Non-Authoritative Information";
    case 204:
      return "No Content";
    case 205:
      return "Reset Content";
    case 206:
      return "Partial Content";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 421:
      return "Misdirected Request";
    case 422:
      return "Unprocessable Content";
    case 426:
      return "Upgrade Required";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace mgw::http
