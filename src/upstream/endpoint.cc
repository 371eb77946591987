#include "upstream/endpoint.h"

#include <openssl/evp.h>

#include "mgw/base/strings.h"

namespace mgw::upstream {

Result<Url> parseUrl(std::string_view text) {
  Url url;
  url.text = std::string(text);
  std::string_view rest = text;
  if (rest.size() >= 7 && iequals(rest.substr(0, 7), "http://")) {
    rest.remove_prefix(7);
  } else if (rest.size() >= 8 && iequals(rest.substr(0, 8), "https://")) {
    rest.remove_prefix(8);
    url.tls = true;
    url.port = 443;
  } else {
    return makeError("upstream.bad_url",
                     "endpoint URL must start with http:// or https://: " + std::string(text));
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (path.find_first_of("?#") != std::string_view::npos) {
    return makeError("upstream.bad_url",
                     "endpoint URL must not carry a query or fragment: " + std::string(text));
  }
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return makeError("upstream.bad_url", "endpoint URL has no usable host: " + std::string(text));
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return makeError("upstream.bad_url", "unterminated IPv6 literal: " + std::string(text));
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return makeError("upstream.bad_url", "bad authority: " + url.text);
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
  }
  if (host.empty())
    return makeError("upstream.bad_url", "empty host: " + url.text);
  uint16_t default_port = url.port;
  if (!port.empty()) {
    auto p = parseDecimal(port);
    if (!p || *p == 0 || *p > 65535) {
      return makeError("upstream.bad_url", "bad port in endpoint URL: " + url.text);
    }
    url.port = static_cast<uint16_t>(*p);
  }
  url.host = std::string(host);
  bool v6 = url.host.find(':') != std::string::npos;
  url.host_header = v6 ? "[" + url.host + "]" : url.host;
  if (url.port != default_port)
    url.host_header += ":" + std::to_string(url.port);
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  url.path_prefix = std::string(path);
  url.pool_key = (url.tls ? "https://" : "http://") + url.host + ":" + std::to_string(url.port);
  return url;
}

void appendUpstreamTarget(std::string& out, const Url& url, std::string_view path_after_base,
                          std::string_view query, bool has_query) {
  out += url.path_prefix;
  out += path_after_base;
  if (url.path_prefix.empty() && path_after_base.empty())
    out += '/';
  if (has_query) {
    out += '?';
    out += query;
  }
}

std::string basicAuthorization(std::string_view username, std::string_view password) {
  std::string plain;
  plain.reserve(username.size() + 1 + password.size());
  plain.append(username).append(":").append(password);
  std::string out = "Basic ";
  const size_t prefix = out.size();
  out.resize(prefix + 4 * ((plain.size() + 2) / 3) + 1);
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + prefix),
                                reinterpret_cast<const unsigned char*>(plain.data()),
                                static_cast<int>(plain.size()));
  out.resize(prefix + static_cast<size_t>(n));
  return out;
}

size_t EndpointRuntime::firstAttempt() const {
  if (type_ != artifact::EndpointType::LoadBalance || urls_.size() < 2)
    return 0;
  return static_cast<size_t>(next_.fetch_add(1, std::memory_order_relaxed) % urls_.size());
}

size_t EndpointRuntime::maxAttempts() const {
  return type_ == artifact::EndpointType::Http ? 1 : urls_.size();
}

}  // namespace mgw::upstream
