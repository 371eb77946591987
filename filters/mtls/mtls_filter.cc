#include "filters/mtls/mtls_filter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "mgw/base/log.h"
#include "mgw/base/strings.h"
#include "tls/server_context.h"

namespace mgw::filters {
namespace {

constexpr std::string_view kChallenge = "Mutual SSL realm=\"WSO2 API Microgateway\"";

std::string apiKey(std::string_view name, std::string_view version) {
  return toLower(name) + "\n" + toLower(version);
}

// The first CN of an RFC 2253 subject ("CN=client,O=Org"); escaped commas stay inside.
std::string commonName(std::string_view subject) {
  size_t i = 0;
  while (i < subject.size()) {
    size_t end = i;
    while (end < subject.size() && subject[end] != ',') {
      if (subject[end] == '\\')
        ++end;
      ++end;
    }
    std::string_view rdn = subject.substr(i, std::min(end, subject.size()) - i);
    if (rdn.size() > 3 && (rdn[0] == 'C' || rdn[0] == 'c') && (rdn[1] == 'N' || rdn[1] == 'n') &&
        rdn[2] == '=') {
      std::string out;
      for (size_t k = 3; k < rdn.size(); ++k) {
        if (rdn[k] == '\\' && k + 1 < rdn.size())
          ++k;
        out += rdn[k];
      }
      return out;
    }
    i = end + 1;
  }
  return {};
}

filter::FilterStatus refuse(filter::RequestContext& ctx, const char* details) {
  filter::LocalReply reply =
      filter::faultReply(401, 900901, "Invalid Credentials",
                         "Make sure you have provided the correct security credentials", details);
  reply.headers.add("WWW-Authenticate", kChallenge);
  ctx.sendLocalReply(std::move(reply));
  return filter::FilterStatus::Stop;
}

}  // namespace

MtlsFilterConfig MtlsFilterConfig::fromConfig(const config::GatewayConfig& config,
                                              std::shared_ptr<const tls::TrustStore> trust_store) {
  MtlsFilterConfig c;
  c.trust_store = std::move(trust_store);
  std::string header = config.getString("mutualSSLConfig.certificateHeaderName");
  if (!header.empty())
    c.header_name = header;
  c.trust_header = config.getBool("mutualSSLConfig.trustCertificateHeader", false);
  c.trusted_proxies = config.listener.trusted_proxies;
  size_t n = config.arrayCount("mutualSSLConfig.api.certificates");
  for (size_t i = 0; i < n; ++i) {
    std::string prefix = "mutualSSLConfig.api.certificates." + std::to_string(i) + ".";
    std::string name = config.getString(prefix + "name");
    std::string version = config.getString(prefix + "version");
    if (name.empty())
      continue;
    std::vector<std::string>& aliases = c.api_aliases[apiKey(name, version)];
    // WSO2 wrote aliasList as one space-separated string; TOML arrays and commas work too.
    for (const std::string& item : config.getList(prefix + "aliasList")) {
      std::string_view rest = item;
      while (!rest.empty()) {
        size_t sp = rest.find_first_of(" \t");
        std::string_view one = rest.substr(0, sp);
        if (!one.empty())
          aliases.push_back(toLower(one));
        if (sp == std::string_view::npos)
          break;
        rest.remove_prefix(sp + 1);
      }
    }
  }
  return c;
}

bool MtlsFilter::peerIsTrustedProxy(std::string_view peer) const {
  if (config_.trusted_proxies.empty())
    return false;
  std::string p(peer);
  uint8_t bytes[16] = {};
  bool v6 = false;
  if (inet_pton(AF_INET, p.c_str(), bytes) != 1) {
    if (inet_pton(AF_INET6, p.c_str(), bytes) != 1)
      return false;
    v6 = true;
  }
  for (const config::Cidr& cidr : config_.trusted_proxies) {
    if (cidr.contains(v6, bytes))
      return true;
  }
  return false;
}

bool MtlsFilter::accepted(const filter::ClientCertificate& cert, const artifact::Api& api) const {
  if (!cert.chain_verified)
    return false;
  auto it = config_.api_aliases.find(apiKey(api.name, api.version));
  if (it == config_.api_aliases.end())
    return false;
  for (const std::string& alias : cert.aliases) {
    if (std::find(it->second.begin(), it->second.end(), toLower(alias)) != it->second.end())
      return true;
  }
  return false;
}

filter::FilterStatus MtlsFilter::onRequestHeaders(filter::RequestContext& ctx) const {
  // The header never reaches a backend, and only a trusted proxy's is read.
  std::optional<filter::ClientCertificate> from_header;
  bool header_refused = false;
  if (const std::string* value = ctx.request().headers.get(config_.header_name)) {
    if (config_.trust_header && peerIsTrustedProxy(ctx.peerAddress())) {
      auto parsed = tls::parseHeaderCertificate(*value);
      if (parsed && config_.trust_store) {
        from_header = tls::verifyCertificate(parsed->get(), *config_.trust_store);
      } else {
        header_refused = true;
        log::info("mtls.bad_header_certificate",
                  parsed ? "no trust store to verify the header certificate"
                         : "client certificate header is not a certificate",
                  {{"peer", ctx.peerAddress()}});
      }
    } else {
      log::debug("mtls.header_ignored", "client certificate header from an untrusted peer removed",
                 {{"peer", ctx.peerAddress()}});
    }
    ctx.mutableRequest().headers.remove(config_.header_name);
  }

  const artifact::Api& api = ctx.api();
  if (api.mutual_ssl == artifact::MutualSsl::None)
    return filter::FilterStatus::Continue;

  // A certificate forwarded by the trusted load balancer stands for the client; the connection's
  // own certificate is then the load balancer's.
  const filter::ClientCertificate* cert =
      from_header ? &*from_header : (header_refused ? nullptr : ctx.clientCertificate());
  // `x-wso2-application-security: {optional: true}` on a mandatory-mTLS API means mTLS OR
  // application security (reference §2, §8): without an acceptable certificate the request is
  // not refused here; the authentication filter then demands valid credentials.
  const bool either =
      api.mutual_ssl == artifact::MutualSsl::Mandatory && ctx.resource().app_security_optional;
  if (cert == nullptr) {
    if (either)
      return filter::FilterStatus::Continue;
    if (api.mutual_ssl == artifact::MutualSsl::Mandatory || header_refused)
      return refuse(ctx, "mtls.missing_certificate");
    return filter::FilterStatus::Continue;
  }
  if (!accepted(*cert, api)) {
    if (either)
      return filter::FilterStatus::Continue;
    return refuse(ctx,
                  cert->chain_verified ? "mtls.alias_not_allowed" : "mtls.untrusted_certificate");
  }
  if (either) {
    filter::AuthContext auth;
    auth.auth_type = "mutual_ssl";
    auth.username = commonName(cert->subject);
    ctx.setAuthContext(std::move(auth));
  }
  return filter::FilterStatus::Continue;
}

}  // namespace mgw::filters
