// The policy filter interface. Filters run on every request after route matching, in the order
// the chain lists them (ARCHITECTURE.md §2), and never see the wire protocol: HTTP/1.1 and
// HTTP/2 codecs fill the same RequestHead.
//
// Threading: a Filter object is built once per route at start and shared read-only by every
// worker, so its methods are const and keep per-request state in the RequestContext only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/artifact/model.h"
#include "mgw/base/result.h"
#include "mgw/http/message.h"

namespace mgw::filter {

// What a filter tells the chain.
enum class FilterStatus {
  Continue,  // go on with the next filter
  Stop,      // the filter answered locally (sendLocalReply) and the chain ends here
  // The filter started asynchronous work (an httpCall). The chain waits; the filter later calls
  // exactly one of RequestContext::resumeChain() or sendLocalReply(), on the same worker thread.
  // If the downstream goes away first, the pending callback is never invoked.
  Pause,
};

// Who the security filters established the caller to be (reference wso2-mgw3.md §5, §6, §8).
// Set by the authentication filter (setAuthContext) and read by later filters: throttling
// (subscription and application tiers), sandbox routing, the backend JWT, analytics.
struct AuthContext {
  std::string auth_type;     // "oauth2" (JWT or opaque), "basic", "api_key", "mutual_ssl"
  std::string username;      // end user: JWT `sub`, Basic user name
  std::string consumer_key;  // OAuth2 client id
  std::string issuer;        // token issuer ("" for Basic)
  std::string app_id;        // "" -> throttling keys use "__unknown__" as WSO2 does
  std::string app_uuid;
  std::string app_name;
  std::string app_owner;
  std::string app_tier;           // "" -> "Unlimited"
  std::string subscription_tier;  // tier of the matched subscribedAPIs entry; "" -> "Default"
  std::string subscriber;         // subscriber of the matched subscription
  std::string subscriber_tenant_domain;
  std::string api_tier;  // tier the key manager reported for the API, if any
  bool sandbox = false;  // `keytype: SANDBOX`: the request goes to the sandbox endpoints
  std::vector<std::string> scopes;
  // The verified claim set as JSON text (JWT and API-key JWT), for the backend JWT; "" otherwise.
  std::string claims_json;
};

// A small HTTP exchange a filter makes on the worker's event loop (introspection, key fetches):
// HTTP/1.1 over the worker's upstream connection pool (TLS for https:// URLs, verified against
// the gateway trust store like any endpoint). The response body is buffered whole.
struct HttpCallRequest {
  std::string url;  // absolute http:// or https:// URL
  std::string method = "GET";
  http::HeaderMap headers;  // Host, Content-Length and Connection are set by the client
  std::string body;
  int64_t timeout_ms = 5000;                // whole exchange, connect included
  size_t max_response_bytes = 1024 * 1024;  // larger bodies fail with "http_call.too_large"
};
struct HttpCallResponse {
  int status = 0;
  http::HeaderMap headers;
  std::string body;
};
using HttpCallback = std::function<void(Result<HttpCallResponse>)>;

// The client certificate of the downstream connection: from the TLS handshake, or from the
// `X-WSO2-CLIENT-CERTIFICATE` header when that is enabled and the peer is a trusted proxy.
struct ClientCertificate {
  bool from_header = false;
  bool chain_verified = false;  // the chain verified against the trust store
  std::string subject;          // RFC 2253 text, for logs
  std::string sha256_hex;       // fingerprint of the leaf certificate (DER)
  // Trust-store aliases whose certificate equals the leaf or signed it; matched against
  // `[[mutualSSLConfig.api.certificates]] aliasList`.
  std::vector<std::string> aliases;
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

  // The authenticated caller, or null before (or without) authentication.
  virtual const AuthContext* authContext() const = 0;
  virtual void setAuthContext(AuthContext auth) = 0;
  // The downstream client certificate, or null (plain HTTP, or none presented and none trusted
  // from a header).
  virtual const ClientCertificate* clientCertificate() const = 0;

  // Asynchronous HTTP exchange for filters that answered FilterStatus::Pause. `cb` runs later on
  // this worker's thread, never inside httpCall, and never after the request was abandoned.
  virtual void httpCall(HttpCallRequest request, HttpCallback cb) = 0;
  // Continues the chain after a Pause, with the filter after the one that paused.
  virtual void resumeChain() = 0;
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
