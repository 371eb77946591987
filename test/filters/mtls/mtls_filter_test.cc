// MtlsFilter with FakeRequestContext: per-API aliases, mandatory/optional, mTLS OR app security,
// and the client-certificate header (stripped always, believed only from trusted proxies).
#include "filters/mtls/mtls_filter.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "test/net/test_certs.h"
#include "test/support/fake_request_context.h"

namespace mgw::filters {
namespace {

using mgw::testing::FakeRequestContext;
using mgw::testing::makeCert;
using mgw::testing::TestCert;

struct Pki {
  TestCert ca = makeCert("Client CA", nullptr, true);
  TestCert other_ca = makeCert("Other CA", nullptr, true);
  TestCert client = makeCert("alice", &ca, false);
  TestCert stranger = makeCert("mallory", &other_ca, false);
};

Pki& pki() {
  static Pki p;
  return p;
}

filter::ClientCertificate cert(bool verified, std::vector<std::string> aliases,
                               std::string subject = "CN=alice,O=Example") {
  filter::ClientCertificate c;
  c.chain_verified = verified;
  c.aliases = std::move(aliases);
  c.subject = std::move(subject);
  return c;
}

class MtlsFilterTest : public ::testing::Test {
 protected:
  MtlsFilterTest() {
    api_.name = "Pets";
    api_.version = "1.0.0";
    api_.mutual_ssl = artifact::MutualSsl::Mandatory;
    res_.method = "GET";
    res_.path_template = "/pets";
    config_.api_aliases["pets\n1.0.0"] = {"client ca", "partner"};
    auto trust = std::make_shared<tls::TrustStore>();
    X509_up_ref(pki().ca.cert.get());
    trust->add("Client CA", tls::X509Ptr(pki().ca.cert.get()));
    config_.trust_store = trust;
    config_.trusted_proxies.push_back(*config::parseCidr("10.0.0.0/8"));
  }

  filter::FilterStatus run(FakeRequestContext& ctx) {
    return MtlsFilter(config_).onRequestHeaders(ctx);
  }

  void expectRefused(FakeRequestContext& ctx, filter::FilterStatus st) {
    EXPECT_EQ(st, filter::FilterStatus::Stop);
    ASSERT_TRUE(ctx.reply_.has_value());
    EXPECT_EQ(ctx.reply_->status, 401);
    EXPECT_NE(ctx.reply_->body.find("900901"), std::string::npos);
    const std::string* challenge = ctx.reply_->headers.get("WWW-Authenticate");
    ASSERT_NE(challenge, nullptr);
    EXPECT_EQ(*challenge, "Mutual SSL realm=\"WSO2 API Microgateway\"");
  }

  std::string pem(const TestCert& c) { return mgw::testing::toPem(c, false); }

  artifact::Api api_;
  artifact::Resource res_;
  MtlsFilterConfig config_;
};

TEST_F(MtlsFilterTest, MandatoryWithoutCertificateIsRefused) {
  FakeRequestContext ctx(api_, res_);
  expectRefused(ctx, run(ctx));
  EXPECT_EQ(ctx.reply_->details, "mtls.missing_certificate");
}

TEST_F(MtlsFilterTest, MandatoryWithListedAliasContinuesToAppSecurity) {
  FakeRequestContext ctx(api_, res_);
  ctx.secure_ = true;
  ctx.cert_ = cert(true, {"Client CA"});
  EXPECT_EQ(run(ctx), filter::FilterStatus::Continue);
  EXPECT_FALSE(ctx.reply_.has_value());
  EXPECT_EQ(ctx.auth_, std::nullopt);  // AND: the auth filter still runs
}

TEST_F(MtlsFilterTest, OptionalAppSecuritySetsTheMutualSslAuthContext) {
  res_.app_security_optional = true;
  FakeRequestContext ctx(api_, res_);
  ctx.cert_ = cert(true, {"partner"}, "CN=svc\\,one,O=Example");
  EXPECT_EQ(run(ctx), filter::FilterStatus::Continue);
  ASSERT_TRUE(ctx.auth_.has_value());
  EXPECT_EQ(ctx.auth_->auth_type, "mutual_ssl");
  EXPECT_EQ(ctx.auth_->username, "svc,one");
}

TEST_F(MtlsFilterTest, OptionalAppSecurityLeavesAMissingOrUnlistedCertificateToTheAuthFilter) {
  // mTLS OR application security: no refusal here and no caller set, so the authentication
  // filter demands credentials.
  res_.app_security_optional = true;
  FakeRequestContext none(api_, res_);
  EXPECT_EQ(run(none), filter::FilterStatus::Continue);
  EXPECT_FALSE(none.reply_.has_value());
  EXPECT_EQ(none.auth_, std::nullopt);

  FakeRequestContext unlisted(api_, res_);
  unlisted.cert_ = cert(true, {"someone-else"});
  EXPECT_EQ(run(unlisted), filter::FilterStatus::Continue);
  EXPECT_FALSE(unlisted.reply_.has_value());
  EXPECT_EQ(unlisted.auth_, std::nullopt);
}

TEST_F(MtlsFilterTest, AliasNotListedOrChainNotVerifiedIsRefused) {
  FakeRequestContext ctx(api_, res_);
  ctx.cert_ = cert(true, {"someone-else"});
  expectRefused(ctx, run(ctx));
  EXPECT_EQ(ctx.reply_->details, "mtls.alias_not_allowed");

  FakeRequestContext ctx2(api_, res_);
  ctx2.cert_ = cert(false, {"Client CA"});
  expectRefused(ctx2, run(ctx2));
  EXPECT_EQ(ctx2.reply_->details, "mtls.untrusted_certificate");
}

TEST_F(MtlsFilterTest, ApiWithoutAnAliasEntryRefusesEveryCertificate) {
  api_.version = "2.0.0";
  FakeRequestContext ctx(api_, res_);
  ctx.cert_ = cert(true, {"Client CA"});
  expectRefused(ctx, run(ctx));
}

TEST_F(MtlsFilterTest, OptionalMtlsWithoutCertificateContinuesButABadOneIsRefused) {
  api_.mutual_ssl = artifact::MutualSsl::Optional;
  FakeRequestContext ctx(api_, res_);
  EXPECT_EQ(run(ctx), filter::FilterStatus::Continue);
  FakeRequestContext ctx2(api_, res_);
  ctx2.cert_ = cert(false, {});
  expectRefused(ctx2, run(ctx2));
  FakeRequestContext ctx3(api_, res_);
  ctx3.cert_ = cert(true, {"client ca"});
  EXPECT_EQ(run(ctx3), filter::FilterStatus::Continue);
  EXPECT_EQ(ctx3.auth_, std::nullopt);
}

TEST_F(MtlsFilterTest, ApisWithoutMtlsPassButLoseTheHeader) {
  api_.mutual_ssl = artifact::MutualSsl::None;
  FakeRequestContext ctx(api_, res_);
  ctx.head_.headers.add("X-WSO2-CLIENT-CERTIFICATE", pem(pki().client));
  EXPECT_EQ(run(ctx), filter::FilterStatus::Continue);
  EXPECT_EQ(ctx.head_.headers.get("X-WSO2-CLIENT-CERTIFICATE"), nullptr);
}

TEST_F(MtlsFilterTest, HeaderIsIgnoredWhenTheSwitchIsOff) {
  config_.trust_header = false;
  FakeRequestContext ctx(api_, res_, "10.1.2.3");
  ctx.head_.headers.add("x-wso2-client-certificate", pem(pki().client));
  expectRefused(ctx, run(ctx));
  EXPECT_EQ(ctx.head_.headers.get("X-WSO2-CLIENT-CERTIFICATE"), nullptr);
}

TEST_F(MtlsFilterTest, HeaderFromAnUntrustedPeerIsIgnoredEvenWithTheSwitchOn) {
  config_.trust_header = true;
  FakeRequestContext ctx(api_, res_, "192.0.2.7");
  ctx.head_.headers.add("X-WSO2-CLIENT-CERTIFICATE", pem(pki().client));
  expectRefused(ctx, run(ctx));
  EXPECT_EQ(ctx.head_.headers.get("X-WSO2-CLIENT-CERTIFICATE"), nullptr);
}

TEST_F(MtlsFilterTest, HeaderFromATrustedProxyIsVerifiedAndAccepted) {
  config_.trust_header = true;
  res_.app_security_optional = true;
  FakeRequestContext ctx(api_, res_, "10.1.2.3");
  ctx.head_.headers.add("X-WSO2-CLIENT-CERTIFICATE", pem(pki().client));
  EXPECT_EQ(run(ctx), filter::FilterStatus::Continue);
  EXPECT_FALSE(ctx.reply_.has_value());
  ASSERT_TRUE(ctx.auth_.has_value());
  EXPECT_EQ(ctx.auth_->username, "alice");
  EXPECT_EQ(ctx.head_.headers.get("X-WSO2-CLIENT-CERTIFICATE"), nullptr);
}

TEST_F(MtlsFilterTest, HeaderFromATrustedProxyWithAnUntrustedOrBadCertificateIsRefused) {
  config_.trust_header = true;
  FakeRequestContext ctx(api_, res_, "10.1.2.3");
  ctx.head_.headers.add("X-WSO2-CLIENT-CERTIFICATE", pem(pki().stranger));
  expectRefused(ctx, run(ctx));
  FakeRequestContext ctx2(api_, res_, "10.1.2.3");
  ctx2.head_.headers.add("X-WSO2-CLIENT-CERTIFICATE", "garbage");
  // A verified handshake certificate does not rescue a bad forwarded one.
  ctx2.cert_ = cert(true, {"Client CA"});
  expectRefused(ctx2, run(ctx2));
}

TEST_F(MtlsFilterTest, CustomHeaderNameFromConfiguration) {
  config::GatewayConfig c;
  c.values["mutualsslconfig.certificateheadername"] = "X-Client-Cert";
  c.values["mutualsslconfig.trustcertificateheader"] = "true";
  c.values["mutualsslconfig.api.certificates.0.name"] = "Pets";
  c.values["mutualsslconfig.api.certificates.0.version"] = "1.0.0";
  c.values["mutualsslconfig.api.certificates.0.aliaslist"] = "Client CA";
  c.lists["mutualsslconfig.api.certificates.0.aliaslist"] = {"partner  other"};
  MtlsFilterConfig fc = MtlsFilterConfig::fromConfig(c, nullptr);
  EXPECT_EQ(fc.header_name, "X-Client-Cert");
  EXPECT_TRUE(fc.trust_header);
  ASSERT_EQ(fc.api_aliases.count("pets\n1.0.0"), 1u);
  EXPECT_EQ(fc.api_aliases["pets\n1.0.0"], (std::vector<std::string>{"partner", "other"}));
}

}  // namespace
}  // namespace mgw::filters
