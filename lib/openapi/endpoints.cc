#include "openapi/endpoints.h"

#include <algorithm>

#include "mgw/base/strings.h"

namespace mgw::openapi {
namespace {

using artifact::AdvanceEndpointConfig;
using artifact::CircuitBreakerConfig;
using artifact::Endpoint;
using artifact::EndpointSecurity;
using artifact::EndpointType;
using artifact::EndpointUrl;
using artifact::PoolConfig;
using artifact::RetryConfig;

constexpr std::string_view kRefPrefix = "#/x-wso2-endpoints/";
constexpr int64_t kMaxMillis = int64_t{1} << 40;

bool hasPrefixNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool isHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool validEndpointName(std::string_view n) {
  if (n.empty())
    return false;
  return std::all_of(n.begin(), n.end(), [](char c) { return isHostChar(c) && c != '.'; });
}

std::optional<std::vector<int>> readStatusCodes(Diagnostics& d, const Cursor& c) {
  if (!c.isSeq()) {
    d.error(c, "expected a list of HTTP status codes");
    return std::nullopt;
  }
  std::vector<int> out;
  bool ok = true;
  for (const Cursor& item : c.items()) {
    auto v = readInt(d, item, 100, 599);
    if (v) {
      out.push_back(static_cast<int>(*v));
    } else {
      ok = false;
    }
  }
  if (!ok)
    return std::nullopt;
  return out;
}

bool parseRetry(Diagnostics& d, const Cursor& c, RetryConfig& r) {
  if (!c.isMap()) {
    d.error(c, "retryConfig must be a map");
    return false;
  }
  bool ok = true;
  for (const auto& [key, v] : c.members()) {
    if (key == "count") {
      auto x = readInt(d, v, 0, 1000);
      ok = ok && x.has_value();
      if (x)
        r.count = static_cast<int>(*x);
    } else if (key == "intervalInMillis") {
      auto x = readInt(d, v, 0, kMaxMillis);
      ok = ok && x.has_value();
      if (x)
        r.interval_ms = *x;
    } else if (key == "backOffFactor") {
      auto x = readNumber(d, v, 0.0, 1000.0);
      ok = ok && x.has_value();
      if (x)
        r.back_off_factor = *x;
    } else if (key == "maxWaitIntervalInMillis") {
      auto x = readInt(d, v, 0, kMaxMillis);
      ok = ok && x.has_value();
      if (x)
        r.max_wait_interval_ms = *x;
    } else if (key == "statusCodes") {
      auto x = readStatusCodes(d, v);
      ok = ok && x.has_value();
      if (x)
        r.status_codes = *x;
    } else {
      d.warning(v, "unknown retryConfig key '" + key + "' ignored");
    }
  }
  return ok;
}

bool parseCircuitBreaker(Diagnostics& d, const Cursor& c, CircuitBreakerConfig& cb) {
  if (!c.isMap()) {
    d.error(c, "circuitBreaker must be a map");
    return false;
  }
  bool ok = true;
  for (const auto& [key, v] : c.members()) {
    if (key == "rollingWindow") {
      if (!v.isMap()) {
        d.error(v, "rollingWindow must be a map");
        ok = false;
        continue;
      }
      for (const auto& [wkey, wv] : v.members()) {
        if (wkey == "requestVolumeThreshold") {
          auto x = readInt(d, wv, 0, INT32_MAX);
          ok = ok && x.has_value();
          if (x)
            cb.request_volume_threshold = static_cast<int>(*x);
        } else if (wkey == "timeWindowInMillis") {
          auto x = readInt(d, wv, 1, kMaxMillis);
          ok = ok && x.has_value();
          if (x)
            cb.time_window_ms = *x;
        } else if (wkey == "bucketSizeInMillis") {
          auto x = readInt(d, wv, 1, kMaxMillis);
          ok = ok && x.has_value();
          if (x)
            cb.bucket_size_ms = *x;
        } else {
          d.warning(wv, "unknown rollingWindow key '" + wkey + "' ignored");
        }
      }
    } else if (key == "failureThreshold") {
      auto x = readNumber(d, v, 0.0, 1.0);
      ok = ok && x.has_value();
      if (x)
        cb.failure_threshold = *x;
    } else if (key == "resetTimeInMillis") {
      auto x = readInt(d, v, 0, kMaxMillis);
      ok = ok && x.has_value();
      if (x)
        cb.reset_time_ms = *x;
    } else if (key == "statusCodes") {
      auto x = readStatusCodes(d, v);
      ok = ok && x.has_value();
      if (x)
        cb.status_codes = *x;
    } else {
      d.warning(v, "unknown circuitBreaker key '" + key + "' ignored");
    }
  }
  return ok;
}

bool parsePool(Diagnostics& d, const Cursor& c, PoolConfig& p) {
  if (!c.isMap()) {
    d.error(c, "poolConfig must be a map");
    return false;
  }
  bool ok = true;
  for (const auto& [key, v] : c.members()) {
    if (key == "maxActiveConnections") {
      auto x = readInt(d, v, -1, INT32_MAX);
      ok = ok && x.has_value();
      if (x)
        p.max_active_connections = static_cast<int>(*x);
    } else if (key == "maxIdleConnections") {
      auto x = readInt(d, v, 0, INT32_MAX);
      ok = ok && x.has_value();
      if (x)
        p.max_idle_connections = static_cast<int>(*x);
    } else if (key == "waitTimeInMillis") {
      auto x = readInt(d, v, 0, kMaxMillis);
      ok = ok && x.has_value();
      if (x)
        p.wait_time_ms = *x;
    } else if (key == "maxActiveStreamsPerConnection") {
      auto x = readInt(d, v, 1, INT32_MAX);
      ok = ok && x.has_value();
      if (x)
        p.max_active_streams_per_connection = static_cast<int>(*x);
    } else {
      d.warning(v, "unknown poolConfig key '" + key + "' ignored");
    }
  }
  return ok;
}

bool parseAdvance(Diagnostics& d, const Cursor& c, AdvanceEndpointConfig& a) {
  if (!c.isMap()) {
    d.error(c, "advanceEndpointConfig must be a map");
    return false;
  }
  bool ok = true;
  for (const auto& [key, v] : c.members()) {
    if (key == "timeoutInMillis") {
      auto x = readInt(d, v, 0, kMaxMillis);
      ok = ok && x.has_value();
      if (x)
        a.timeout_ms = *x;
    } else if (key == "retryConfig") {
      RetryConfig r;
      if (parseRetry(d, v, r)) {
        a.retry = r;
      } else {
        ok = false;
      }
    } else if (key == "circuitBreaker") {
      CircuitBreakerConfig cb;
      if (parseCircuitBreaker(d, v, cb)) {
        a.circuit_breaker = cb;
      } else {
        ok = false;
      }
    } else if (key == "poolConfig") {
      PoolConfig p;
      if (parsePool(d, v, p)) {
        a.pool = p;
      } else {
        ok = false;
      }
    } else {
      d.warning(v, "unknown advanceEndpointConfig key '" + key + "' ignored");
    }
  }
  return ok;
}

bool parseSecurity(Diagnostics& d, const Cursor& c, EndpointSecurity& s) {
  if (!c.isMap()) {
    d.error(c, "securityConfig must be a map {type: basic, username, password}");
    return false;
  }
  bool ok = true;
  bool has_type = false;
  bool has_user = false;
  for (const auto& [key, v] : c.members()) {
    if (key == "type") {
      has_type = true;
      auto t = readString(d, v);
      if (t && iequals(*t, "basic")) {
        s.type = "basic";
      } else {
        if (t)
          d.error(v, "unsupported securityConfig type '" + *t + "': expected basic");
        ok = false;
      }
    } else if (key == "username") {
      has_user = true;
      auto u = readString(d, v);
      ok = ok && u.has_value();
      if (u)
        s.username = *u;
    } else if (key == "password") {
      auto p = readString(d, v);
      ok = ok && p.has_value();
      if (p)
        s.password = *p;
    } else {
      d.warning(v, "unknown securityConfig key '" + key + "' ignored");
    }
  }
  if (!has_type) {
    d.error(c, "securityConfig has no type (expected type: basic)");
    ok = false;
  }
  if (!has_user) {
    d.error(c, "securityConfig has no username");
    ok = false;
  }
  return ok;
}

std::optional<EndpointUrl> parseUrl(Diagnostics& d, const Cursor& c) {
  auto text = readString(d, c);
  if (!text)
    return std::nullopt;
  std::string_view s = trimOws(*text);
  EndpointUrl out;
  if (s.substr(0, 5) == "etcd(") {
    if (s.back() != ')' || s.find(',') == std::string_view::npos) {
      d.error(c, "malformed etcd endpoint '" + *text + "': expected etcd(<key>,<defaultUrl>)");
      return std::nullopt;
    }
    std::string_view inner = s.substr(5, s.size() - 6);
    std::size_t comma = inner.find(',');
    std::string_view key = trimOws(inner.substr(0, comma));
    std::string_view url = trimOws(inner.substr(comma + 1));
    if (key.empty() || std::any_of(key.begin(), key.end(), [](char ch) {
          return static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f;
        })) {
      d.error(c, "malformed etcd endpoint '" + *text + "': empty or invalid etcd key");
      return std::nullopt;
    }
    if (auto why = checkEndpointUrl(url)) {
      d.error(c, "malformed etcd default URL '" + std::string(url) + "': " + *why);
      return std::nullopt;
    }
    out.etcd_key = std::string(key);
    out.url = std::string(url);
    return out;
  }
  if (auto why = checkEndpointUrl(s)) {
    d.error(c, "malformed endpoint URL '" + *text + "': " + *why);
    return std::nullopt;
  }
  out.url = std::string(s);
  return out;
}

std::string endpointKey(const Endpoint& e) {
  std::string k = e.name;
  k += '\x1f';
  k += std::to_string(static_cast<int>(e.type));
  for (const EndpointUrl& u : e.urls)
    k += "\x1fu" + u.url + "\x1e" + u.etcd_key;
  if (e.security) {
    k += "\x1fs" + e.security->type + "\x1e" + e.security->username + "\x1e" + e.security->password;
  }
  const AdvanceEndpointConfig& a = e.advance;
  auto num = [&k](auto v) { k += "\x1e" + std::to_string(v); };
  if (a.timeout_ms) {
    k += "\x1ft";
    num(*a.timeout_ms);
  }
  if (a.retry) {
    k += "\x1fr";
    num(a.retry->count);
    num(a.retry->interval_ms);
    num(a.retry->back_off_factor);
    num(a.retry->max_wait_interval_ms);
    for (int code : a.retry->status_codes)
      num(code);
  }
  if (a.circuit_breaker) {
    const CircuitBreakerConfig& cb = *a.circuit_breaker;
    k += "\x1f"
         "c";
    num(cb.request_volume_threshold);
    num(cb.time_window_ms);
    num(cb.bucket_size_ms);
    num(cb.failure_threshold);
    num(cb.reset_time_ms);
    for (int code : cb.status_codes)
      num(code);
  }
  if (a.pool) {
    k += "\x1fp";
    num(a.pool->max_active_connections);
    num(a.pool->max_idle_connections);
    num(a.pool->wait_time_ms);
    num(a.pool->max_active_streams_per_connection);
  }
  return k;
}

}  // namespace

std::optional<std::string> checkEndpointUrl(std::string_view url) {
  std::string_view rest;
  if (hasPrefixNoCase(url, "http://")) {
    rest = url.substr(7);
  } else if (hasPrefixNoCase(url, "https://")) {
    rest = url.substr(8);
  } else {
    return "expected an absolute http:// or https:// URL";
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return "contains whitespace or a control character";
    }
  }
  if (url.find('#') != std::string_view::npos)
    return "a fragment ('#') is not allowed";
  std::size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos) {
    return "user info in the URL is not supported (use securityConfig)";
  }
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return "unterminated IPv6 address";
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return "unexpected characters after the IPv6 address";
      port = after.substr(1);
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                 c == ':' || c == '.';
        })) {
      return "invalid IPv6 address";
    }
  } else {
    std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos)
      port = authority.substr(colon + 1);
    if (host.empty())
      return "missing host";
    if (!std::all_of(host.begin(), host.end(), isHostChar))
      return "invalid host name";
  }
  if (authority.find(':') != std::string_view::npos && authority.front() != '[' && port.empty()) {
    return "empty port";
  }
  if (!port.empty()) {
    std::optional<uint64_t> p = parseDecimal(port);
    if (!p || *p == 0 || *p > 65535)
      return "invalid port '" + std::string(port) + "'";
  }
  return std::nullopt;
}

std::string urlPath(std::string_view url) {
  std::string_view rest = url;
  std::size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    rest = url.substr(scheme + 3);
    std::size_t slash = rest.find_first_of("/?");
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  std::size_t q = rest.find('?');
  return std::string(rest.substr(0, q));
}

std::vector<std::string> serverUrls(Diagnostics& d, const Cursor& servers) {
  std::vector<std::string> out;
  if (servers.isNull())
    return out;
  if (!servers.isSeq()) {
    d.error(servers, "servers must be a list of {url}");
    return out;
  }
  for (const Cursor& server : servers.items()) {
    Cursor url = server.child("url");
    if (!server.isMap() || !url.valid()) {
      d.error(server, "a server must be a map with a url");
      continue;
    }
    auto text = readString(d, url);
    if (!text)
      continue;
    std::string u = *text;
    Cursor vars = server.child("variables");
    // Replace every {name} by the variable's default (OAS 3.0 §4.7.6).
    bool ok = true;
    for (std::size_t open = u.find('{'); open != std::string::npos; open = u.find('{', open)) {
      std::size_t close = u.find('}', open);
      if (close == std::string::npos) {
        d.error(url, "unterminated '{' in server URL");
        ok = false;
        break;
      }
      std::string name = u.substr(open + 1, close - open - 1);
      Cursor def = vars.child(name).child("default");
      if (!def.isScalar()) {
        d.error(url, "server variable '" + name + "' has no default");
        ok = false;
        break;
      }
      u.replace(open, close - open + 1, def.scalar());
      open += def.scalar().size();
    }
    if (ok)
      out.push_back(std::move(u));
  }
  return out;
}

std::string_view endpointTypeName(EndpointType t) {
  switch (t) {
    case EndpointType::Http:
      return "http";
    case EndpointType::LoadBalance:
      return "load_balance";
    case EndpointType::Failover:
      return "failover";
  }
  return "http";
}

uint32_t EndpointRegistry::intern(Endpoint ep, const Cursor& at, bool named) {
  std::string key = endpointKey(ep);
  if (auto it = index_.find(key); it != index_.end())
    return it->second;
  if (named) {
    auto [it, inserted] = named_keys_.emplace(ep.name, key);
    if (!inserted && it->second != key) {
      diags_.warning(at, "endpoint '" + ep.name +
                             "' is also defined, differently, by another API: runtime overrides " +
                             ep.name + "_<prod|sand>_endpoint_<i> apply to both");
    }
  }
  auto index = static_cast<uint32_t>(endpoints_.size());
  endpoints_.push_back(std::move(ep));
  index_.emplace(std::move(key), index);
  return index;
}

std::optional<Endpoint> parseEndpointBody(Diagnostics& d, const Cursor& body, std::string name) {
  if (!body.isMap()) {
    d.error(body, "expected an endpoint object {urls: [...]} or \"#/x-wso2-endpoints/<name>\"");
    return std::nullopt;
  }
  Endpoint ep;
  ep.name = std::move(name);
  bool ok = true;
  std::optional<EndpointType> type;
  Cursor type_at;
  Cursor urls = body.child("urls");
  if (!urls.valid()) {
    d.error(body, "endpoint has no urls");
    ok = false;
  }
  for (const auto& [key, v] : body.members()) {
    if (key == "urls") {
      if (!v.isSeq() || v.node.size() == 0) {
        d.error(v, "urls must be a non-empty list of URLs");
        ok = false;
        continue;
      }
      for (const Cursor& item : v.items()) {
        if (auto u = parseUrl(d, item)) {
          ep.urls.push_back(std::move(*u));
        } else {
          ok = false;
        }
      }
    } else if (key == "type") {
      type_at = v;
      auto t = readString(d, v);
      if (!t) {
        ok = false;
      } else if (*t == "http") {
        type = EndpointType::Http;
      } else if (*t == "load_balance") {
        type = EndpointType::LoadBalance;
      } else if (*t == "failover") {
        type = EndpointType::Failover;
      } else {
        d.error(v, "unknown endpoint type '" + *t + "': expected http, load_balance or failover");
        ok = false;
      }
    } else if (key == "securityConfig") {
      EndpointSecurity s;
      if (parseSecurity(d, v, s)) {
        ep.security = s;
      } else {
        ok = false;
      }
    } else if (key == "advanceEndpointConfig") {
      ok = parseAdvance(d, v, ep.advance) && ok;
    } else {
      d.warning(v, "unknown endpoint key '" + key + "' ignored");
    }
  }
  if (!ok)
    return std::nullopt;
  ep.type = type.value_or(ep.urls.size() > 1 ? EndpointType::LoadBalance : EndpointType::Http);
  if (type == EndpointType::Http && ep.urls.size() > 1) {
    d.warning(type_at, "endpoint type http uses only the first of " +
                           std::to_string(ep.urls.size()) + " urls");
  }
  return ep;
}

void EndpointContext::parseNamedEndpoints(Diagnostics& d, const Cursor& list) {
  if (!list.valid() || list.isNull())
    return;
  std::vector<std::pair<std::string, Cursor>> entries;
  if (list.isSeq()) {
    for (const Cursor& item : list.items()) {
      auto members = item.members();
      if (!item.isMap() || members.size() != 1) {
        d.error(item, "expected one `<name>: {urls: [...]}` entry");
        continue;
      }
      entries.push_back(members.front());
    }
  } else if (list.isMap()) {
    entries = list.members();
  } else {
    d.error(list, "x-wso2-endpoints must be a list of `- <name>: {urls: [...]}` entries");
    return;
  }
  for (auto& [name, body] : entries) {
    if (!validEndpointName(name)) {
      d.error(body, "invalid endpoint name '" + name + "': use letters, digits, '_' and '-'");
      invalid_named.insert(name);
      continue;
    }
    if (named.count(name) != 0 || invalid_named.count(name) != 0) {
      d.error(body, "duplicate endpoint '" + name + "' in x-wso2-endpoints");
      continue;
    }
    if (auto ep = parseEndpointBody(d, body, name)) {
      named.emplace(name, std::move(*ep));
    } else {
      invalid_named.insert(name);
    }
  }
}

std::optional<uint32_t> EndpointContext::endpointValue(Diagnostics& d, EndpointRegistry& reg,
                                                       const Cursor& value,
                                                       const std::string& inline_name) {
  Cursor ref = value;
  if (value.isMap() && value.has("$ref"))
    ref = value.child("$ref");
  if (ref.isScalar()) {
    const std::string& text = ref.scalar();
    if (text.substr(0, kRefPrefix.size()) != kRefPrefix) {
      d.error(ref, "expected an endpoint object {urls: [...]} or \"#/x-wso2-endpoints/<name>\"");
      return std::nullopt;
    }
    std::string name = text.substr(kRefPrefix.size());
    if (auto it = named.find(name); it != named.end())
      return reg.intern(it->second, ref, true);
    if (invalid_named.count(name) == 0) {
      d.error(ref, "unknown endpoint reference '" + name + "': not defined in x-wso2-endpoints");
    }
    return std::nullopt;
  }
  auto ep = parseEndpointBody(d, value, inline_name);
  if (!ep)
    return std::nullopt;
  return reg.intern(std::move(*ep), value, false);
}

std::optional<uint32_t> EndpointContext::fromServers(Diagnostics& d, EndpointRegistry& reg,
                                                     const std::vector<std::string>& urls,
                                                     const Cursor& at, const std::string& name) {
  Endpoint ep;
  ep.name = name;
  for (const std::string& u : urls) {
    if (!hasPrefixNoCase(u, "http://") && !hasPrefixNoCase(u, "https://"))
      continue;
    if (auto why = checkEndpointUrl(u)) {
      d.warning(at, "server URL '" + u + "' is not used as an endpoint: " + *why);
      continue;
    }
    // Servers are alternatives (e.g. https and http of one host), not a pool: the first
    // usable one is the endpoint.
    ep.urls.push_back(EndpointUrl{u, ""});
    break;
  }
  if (ep.urls.empty())
    return std::nullopt;
  ep.type = EndpointType::Http;
  return reg.intern(std::move(ep), at, false);
}

}  // namespace mgw::openapi
