// Per-API mutual TLS (`x-wso2-mutual-ssl: mandatory|optional`) and the client-certificate header
// of a TLS-terminating load balancer. Runs first in every chain, because it must also remove
// the certificate header from every request, whichever API it targets.
//
// Certificate source: the TLS handshake of the connection, or - only when
// `[mutualSSLConfig] trustCertificateHeader = true` AND the peer is in `[listenerConfig]
// trustedProxies` - the `certificateHeaderName` header (default X-WSO2-CLIENT-CERTIFICATE),
// verified against the trust store exactly like a handshake certificate. Anyone else's header is
// dropped unread: a client could write any certificate there (attack-catalogue §7).
//
// Decision (reference §2, §5, §8): a certificate is accepted for an API when its chain verified
// and one of its trust-store aliases is in that API's `[[mutualSSLConfig.api.certificates]]
// aliasList`. Mandatory without an accepted certificate, or optional with a certificate that is
// not accepted: 401 900901 with `WWW-Authenticate: Mutual SSL realm="WSO2 API Microgateway"`.
// Accepted on a resource whose application security is `optional: true` (mTLS OR app security):
// AuthContext{auth_type="mutual_ssl", username=<subject CN>} is set and the auth filter lets the
// request through; otherwise (AND) the chain continues to the auth filter.
//
// Threading: immutable after construction; shared by every worker.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mgw/config/gateway_config.h"
#include "mgw/filter/filter.h"
#include "tls/stores.h"

namespace mgw::filters {

struct MtlsFilterConfig {
  std::shared_ptr<const tls::TrustStore> trust_store;  // null: header certificates never verify
  std::string header_name = "X-WSO2-CLIENT-CERTIFICATE";
  bool trust_header = false;  // [mutualSSLConfig] trustCertificateHeader
  std::vector<config::Cidr> trusted_proxies;
  // "<lowercase name>\n<lowercase version>" -> aliases (lowercase; Java aliases are
  // case-insensitive).
  std::map<std::string, std::vector<std::string>> api_aliases;

  static MtlsFilterConfig fromConfig(const config::GatewayConfig& config,
                                     std::shared_ptr<const tls::TrustStore> trust_store);
};

class MtlsFilter final : public filter::Filter {
 public:
  explicit MtlsFilter(MtlsFilterConfig config) : config_(std::move(config)) {}
  std::string_view name() const override { return "mtls"; }
  filter::FilterStatus onRequestHeaders(filter::RequestContext& ctx) const override;

  // The certificate is accepted for `api` (chain verified, an alias listed for the API).
  bool accepted(const filter::ClientCertificate& cert, const artifact::Api& api) const;

 private:
  bool peerIsTrustedProxy(std::string_view peer) const;
  MtlsFilterConfig config_;
};

}  // namespace mgw::filters
