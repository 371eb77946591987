// Runtime form of an artifact endpoint for one side (production or sandbox): parsed URLs after
// WSO2's `<ep>_<prod|sand>_endpoint_<i>` overrides, the type and the response timeout.
//
// Threading: built at start, then shared by all workers. The only mutable member is the
// round-robin cursor, a relaxed atomic, so consecutive requests alternate across every worker
// (WSO2's LoadBalanceClient behaviour) without a lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/artifact/model.h"
#include "mgw/base/result.h"

namespace mgw::upstream {

struct Url {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  uint16_t port = 80;
  std::string path_prefix;  // "" or "/api" (never a trailing '/')
  std::string host_header;  // "host" or "host:port" (default port omitted), IPv6 bracketed
  std::string pool_key;     // "host:port" plus scheme: identifies pooled connections
  std::string text;         // as configured, for logs
};

// Parses "http://host[:port][/path]" or "https://..." (proxied over TLS, see
// tls/client_context.h). Query and fragment are not allowed in an endpoint URL.
Result<Url> parseUrl(std::string_view text);

// Appends the upstream request target: endpoint path prefix + the request path after the API's
// base path + "?query" when the request had one (WSO2: rawPath minus the base path).
void appendUpstreamTarget(std::string& out, const Url& url, std::string_view path_after_base,
                          std::string_view query, bool has_query);

enum class Side { Production = 0, Sandbox = 1 };

// RFC 7617 §2: "Basic " + base64(user-id ":" password).
std::string basicAuthorization(std::string_view username, std::string_view password);

class EndpointRuntime {
 public:
  EndpointRuntime(std::string name, artifact::EndpointType type, std::vector<Url> urls,
                  int64_t timeout_ms)
      : name_(std::move(name)), type_(type), urls_(std::move(urls)), timeout_ms_(timeout_ms) {}

  const std::string& name() const { return name_; }
  artifact::EndpointType type() const { return type_; }
  const std::vector<Url>& urls() const { return urls_; }
  int64_t timeoutMs() const { return timeout_ms_; }
  // The `Authorization` value sent upstream for `securityConfig {type: basic}` ("" = none):
  // computed once at start, it replaces any client value. A secret: never log it.
  const std::string& authorization() const { return authorization_; }
  void setAuthorization(std::string value) { authorization_ = std::move(value); }

  // Index of the first URL to try for a new request: the next round-robin slot for
  // load_balance, 0 for failover and http.
  size_t firstAttempt() const;
  // How many URLs a request may try after connect failures: all of them for failover and
  // load_balance (Ballerina's load balancer fails over by default), 1 for http.
  size_t maxAttempts() const;

 private:
  std::string name_;
  artifact::EndpointType type_;
  std::vector<Url> urls_;
  int64_t timeout_ms_;
  std::string authorization_;
  mutable std::atomic<uint64_t> next_{0};
};

}  // namespace mgw::upstream
