#include "tls/client_context.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <string>

#include "mgw/base/log.h"

namespace mgw::tls {
namespace {

std::string subjectOf(X509* cert) {
  if (cert == nullptr)
    return {};
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

// Logs why an upstream certificate was refused (the transport only reports
// "tls.bad_certificate"); the handshake then fails as OpenSSL decided.
int verifyCallback(int preverify_ok, X509_STORE_CTX* store_ctx) {
  if (preverify_ok == 1)
    return 1;
  const int err = X509_STORE_CTX_get_error(store_ctx);
  const auto* ssl = static_cast<const SSL*>(
      X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  const char* sni = ssl ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) : nullptr;
  log::warn("tls.upstream_verify_failed", "upstream certificate refused",
            {{"reason", X509_verify_cert_error_string(err)},
             {"depth", std::to_string(X509_STORE_CTX_get_error_depth(store_ctx))},
             {"subject", subjectOf(X509_STORE_CTX_get_current_cert(store_ctx))},
             {"server_name", sni ? sni : ""}});
  return 0;
}

}  // namespace

Result<std::shared_ptr<ClientContext>> ClientContext::create(const ClientContextOptions& options) {
  std::shared_ptr<ClientContext> out(new ClientContext());
  out->ctx_ = SSL_CTX_new(TLS_client_method());
  if (out->ctx_ == nullptr)
    return makeError("tls.context_failed", "cannot create the upstream TLS context");
  SSL_CTX* ctx = out->ctx_;
  // RFC 8996: TLS 1.0 and 1.1 are deprecated.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  out->verify_peer_ = options.verify_peer;
  out->verify_hostname_ = options.verify_hostname;
  out->trust_ = options.trust_store;
  if (!options.verify_peer) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return out;
  }
  if (out->trust_) {
    // set1 takes a reference: the X509_STORE stays owned (and immutable) in the TrustStore.
    if (SSL_CTX_set1_verify_cert_store(ctx, out->trust_->store()) != 1) {
      ERR_clear_error();
      return makeError("tls.context_failed",
                       "cannot attach the trust store to the upstream TLS "
                       "context");
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    ERR_clear_error();
    return makeError("tls.context_failed", "cannot load the system CA certificates");
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verifyCallback);
  return out;
}

ClientContext::~ClientContext() {
  if (ctx_ != nullptr)
    SSL_CTX_free(ctx_);
}

Result<std::shared_ptr<ClientContext>> buildClientTls(
    const config::GatewayConfig& config, std::shared_ptr<const TrustStore> trust_store) {
  ClientContextOptions options;
  options.trust_store = std::move(trust_store);
  options.verify_peer = !config.getBool("httpClients.disableSslVerification", false);
  options.verify_hostname = config.getBool("httpClients.verifyHostname", true);
  if (!options.verify_peer) {
    log::warn("tls.upstream_verification_disabled",
              "[httpClients] disableSslVerification = true: upstream TLS certificates are not "
              "verified (any server can impersonate a backend)");
  } else if (!options.verify_hostname) {
    log::warn("tls.upstream_hostname_unchecked",
              "[httpClients] verifyHostname = false: upstream certificates are verified against "
              "the trust store but not matched to the endpoint host");
  }
  if (options.verify_peer && !options.trust_store) {
    log::info("tls.upstream_system_trust",
              "no [listenerConfig] trustStorePath: upstream certificates are verified against "
              "the system CA certificates");
  }
  auto ctx = ClientContext::create(options);
  if (!ctx)
    return ctx.error();
  return std::move(*ctx);
}

}  // namespace mgw::tls
