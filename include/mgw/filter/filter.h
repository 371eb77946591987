// The policy filter interface. Filters run on every request after route matching, in the order
// the chain lists them (ARCHITECTURE.md §2), and never see the wire protocol: HTTP/1.1 and
// HTTP/2 codecs fill the same RequestHead.
//
// Threading: a Filter object is built once per route at start and shared read-only by every
// worker, so its methods are const and keep per-request state in the RequestContext only.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/artifact/model.h"
#include "mgw/http/message.h"

namespace mgw::filter {

// What a filter tells the chain.
enum class FilterStatus {
  Continue,  // go on with the next filter
  Stop,      // the filter answered locally (sendLocalReply) and the chain ends here
};

struct LocalReply {
  int status = 500;
  std::string body;
  std::string content_type = "application/json";
  http::HeaderMap headers;  // extra response fields (e.g. WWW-Authenticate)
  std::string details;      // reason token for the access log, e.g. "security.missing_credentials"
};

// The request as a filter sees it.
class RequestContext {
 public:
  virtual ~RequestContext() = default;
  virtual const http::RequestHead& request() const = 0;
  virtual http::RequestHead& mutableRequest() = 0;
  virtual const artifact::Api& api() const = 0;
  virtual const artifact::Resource& resource() const = 0;
  // Peer address as text ("127.0.0.1", "::1") and whether it arrived over TLS.
  virtual std::string_view peerAddress() const = 0;
  virtual bool secure() const = 0;
  // The client address as the gateway believes it: the first X-Forwarded-For element when the
  // peer is in `[listenerConfig] trustedProxies` (and that element is non-empty), else the peer
  // address. Keys per-client limits (throttling's Unauthenticated tier).
  virtual std::string_view clientIp() const = 0;
  // Adds a field to the response sent downstream, whether forwarded from the upstream or a local
  // reply (e.g. the RateLimit fields of an allowed request).
  virtual void addResponseHeader(std::string_view name, std::string_view value) = 0;
  // Ends the chain with a locally generated response; the request is never forwarded.
  virtual void sendLocalReply(LocalReply reply) = 0;
};

class Filter {
 public:
  virtual ~Filter() = default;
  virtual std::string_view name() const = 0;
  virtual FilterStatus onRequestHeaders(RequestContext& ctx) const = 0;
};

using FilterPtr = std::shared_ptr<const Filter>;
using FilterChain = std::vector<FilterPtr>;

// WSO2 fault body: {"fault":{"code":<code>, "message":"<message>", "description":"<description>"}}
// with Ballerina's ", " separators; message strings are WSO2's, byte for byte.
std::string faultJson(int code, std::string_view message, std::string_view description);
LocalReply faultReply(int http_status, int code, std::string_view message,
                      std::string_view description, std::string_view details);

}  // namespace mgw::filter
