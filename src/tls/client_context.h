// The client-side TLS context for upstream connections (https:// endpoints, the token endpoints,
// filter HTTP calls to key managers), built once at start from the gateway trust store
// (`[listenerConfig] trustStorePath/trustStorePassword`) and `[httpClients] verifyHostname /
// disableSslVerification`.
//
// Policy: TLS 1.2 and 1.3 only (RFC 8996), no renegotiation, the peer's chain verified against
// the trust store (the system CAs when no trust store is configured) and its name checked
// against the endpoint host (RFC 6125, done per connection by net::makeTlsClientTransport).
// `verifyHostname = false` skips only the name check; `disableSslVerification = true` accepts any
// certificate. Both weaken security and are announced with one warning each at start.
//
// Threading: create() runs at start; the SSL_CTX is then shared read-only by every worker.
#pragma once

#include <openssl/ssl.h>

#include <memory>

#include "mgw/base/result.h"
#include "mgw/config/gateway_config.h"
#include "tls/stores.h"

namespace mgw::tls {

struct ClientContextOptions {
  // Trust anchors; null: OpenSSL's default verify paths (the system CAs).
  std::shared_ptr<const TrustStore> trust_store;
  bool verify_peer = true;      // !disableSslVerification
  bool verify_hostname = true;  // [httpClients] verifyHostname (ignored without verify_peer)
};

class ClientContext {
 public:
  // Error reason: tls.context_failed.
  static Result<std::shared_ptr<ClientContext>> create(const ClientContextOptions& options);

  ~ClientContext();
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  bool verifyPeer() const { return verify_peer_; }
  // What a connection passes to net::makeTlsClientTransport.
  bool verifyHostname() const { return verify_peer_ && verify_hostname_; }

 private:
  ClientContext() = default;
  SSL_CTX* ctx_ = nullptr;
  std::shared_ptr<const TrustStore> trust_;
  bool verify_peer_ = true;
  bool verify_hostname_ = true;
};

// Reads `[httpClients] verifyHostname` (default true) and `disableSslVerification` (default
// false) and builds the context over `trust_store` (the listeners' trust store, possibly null).
// Logs one warning per weakened check.
Result<std::shared_ptr<ClientContext>> buildClientTls(
    const config::GatewayConfig& config, std::shared_ptr<const TrustStore> trust_store);

}  // namespace mgw::tls
