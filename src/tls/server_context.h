// The server-side TLS context of the HTTPS and token listeners, built once at start from
// `[listenerConfig] keyStorePath/keyStorePassword/trustStorePath/trustStorePassword` and
// `[mutualSSLConfig] protocolVersions/ciphers/sslVerifyClient`, plus the client-certificate
// helpers shared by the handshake (net::Transport) and the X-WSO2-CLIENT-CERTIFICATE header path
// (filters/mtls).
//
// Policy: TLS 1.2 and 1.3 only (RFC 8996 deprecates 1.0/1.1; a configured TLSv1.1 or lower is
// refused with one warning and TLS 1.3 always stays on), no renegotiation (SSL_OP_NO_RENEGOTIATION,
// attack-catalogue §7), session resumption by tickets and a server session cache, ALPN http/1.1,
// SNI picks the key-store certificate whose SAN matches the server name.
//
// Threading: create() runs at start; the SSL_CTX is then shared read-only by every worker
// (OpenSSL 3 allows concurrent SSL_new and handshakes on one SSL_CTX).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/base/result.h"
#include "mgw/config/gateway_config.h"
#include "mgw/filter/filter.h"
#include "tls/stores.h"

namespace mgw::tls {

// `[mutualSSLConfig] sslVerifyClient`: require (a missing or bad certificate fails the
// handshake), optional (requested; verified against the trust store when sent), none.
enum class VerifyClient { None, Optional, Require };
Result<VerifyClient> parseVerifyClient(std::string_view text);

struct ServerContextOptions {
  std::string key_store_path;
  std::string key_store_password;
  // Null: no client certificates can be verified (sslVerifyClient must then be none).
  std::shared_ptr<const TrustStore> trust_store;
  std::vector<std::string> protocol_versions;  // "TLSv1.2", "TLSv1.3"; empty = both
  // IANA (RFC names, as WSO2 lists them) or OpenSSL names; empty = OpenSSL's defaults.
  std::vector<std::string> ciphers;
  VerifyClient verify_client = VerifyClient::None;
  std::vector<std::string> alpn = {"http/1.1"};
  // False for a second context built from the same settings: its warnings were already logged.
  bool log_warnings = true;
};

class ServerContext {
 public:
  // Loads the stores and builds the SSL_CTX. Configuration problems that can be survived (TLS 1.1
  // or lower named, unknown or weak cipher names among valid ones) are logged as one warning each;
  // the rest are errors (reasons tls.store_*, tls.bad_protocol_versions, tls.bad_ciphers,
  // tls.no_trust_store, tls.context_failed).
  static Result<std::shared_ptr<ServerContext>> create(const ServerContextOptions& options);

  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  // Null when no trust store was configured.
  const TrustStore* trustStore() const { return trust_.get(); }
  int minProtocolVersion() const { return SSL_CTX_get_min_proto_version(ctx_); }

  // Internal (SNI callback): the key entries, default first.
  const std::vector<KeyStore>& keys() const { return keys_; }

 private:
  ServerContext() = default;
  SSL_CTX* ctx_ = nullptr;
  std::vector<KeyStore> keys_;
  std::shared_ptr<const TrustStore> trust_;
  std::string alpn_wire_;  // RFC 7301 §3.1 ProtocolNameList
  friend int alpnSelect(SSL*, const unsigned char**, unsigned char*, const unsigned char*,
                        unsigned int, void*);
};

// What the listeners and the mTLS filter share, from the configuration.
struct ListenerTls {
  std::shared_ptr<const TrustStore> trust_store;  // null without `trustStorePath`
  std::shared_ptr<ServerContext> context;         // null: the HTTPS listeners are not started
  // The token listener's context: same key store, protocols and ciphers, but never asks for a
  // client certificate (WSO2's tokenListenerEndpoint has no mutualSSL settings). Null with
  // `context`; the same object when sslVerifyClient is none.
  std::shared_ptr<ServerContext> token_context;
  VerifyClient verify_client = VerifyClient::None;
};
// Reads `[listenerConfig] keyStorePath/keyStorePassword/trustStorePath/trustStorePassword` (or
// the 3.0 spelling `keyStore.path`) and `[mutualSSLConfig]`. No key store configured: `context`
// stays null and a warning (tls.https_disabled) says why. A configured store that cannot be
// loaded, or a bad TLS setting, is an error: the gateway refuses to start.
Result<ListenerTls> buildListenerTls(const config::GatewayConfig& config);
// The same with the trust store already loaded by loadListenerTrustStore (null: none).
Result<ListenerTls> buildListenerTls(const config::GatewayConfig& config,
                                     std::shared_ptr<const TrustStore> trust_store);

// `[listenerConfig] trustStorePath/trustStorePassword` (or `trustStore.path/password`), loaded
// once at start and shared: listeners, JWT certificate aliases, API keys, JWKS, upstream TLS.
// Null when none is configured; an error when the configured store cannot be loaded.
Result<std::shared_ptr<const TrustStore>> loadListenerTrustStore(
    const config::GatewayConfig& config);

// The trust store a ServerContext attached to its SSL_CTX (null for other contexts).
const TrustStore* trustStoreOf(const SSL_CTX* ctx);

// Describes a client certificate: subject, SHA-256 fingerprint and, when `verified`, the
// trust-store aliases whose certificate equals `leaf` or issued it.
filter::ClientCertificate describeCertificate(X509* leaf, bool verified, const TrustStore* trust,
                                              bool from_header = false);

// Verifies `leaf` against the trust store as the handshake would (purpose: TLS client), then
// describes it (from_header = true).
filter::ClientCertificate verifyCertificate(X509* leaf, const TrustStore& trust);

// Decodes a certificate forwarded in a header by a TLS-terminating proxy: PEM (possibly
// URL-encoded, as nginx's $ssl_client_escaped_cert and WSO2's CertificateUtils accept) or
// base64 DER without the PEM markers. Error reason: tls.bad_header_certificate.
Result<X509Ptr> parseHeaderCertificate(std::string_view value);

}  // namespace mgw::tls
