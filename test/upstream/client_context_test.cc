// The upstream TLS client context: verification modes from `[httpClients]`, protocol floor.
#include "tls/client_context.h"

#include <gtest/gtest.h>

#include "net/test_certs.h"

namespace mgw::tls {
namespace {

config::GatewayConfig configWith(std::vector<std::string> overrides) {
  config::LoadOptions options;
  options.overrides = std::move(overrides);
  options.use_environment = false;
  options.config_path = std::nullopt;
  auto cfg = config::load(options);
  EXPECT_TRUE(cfg) << (cfg ? "" : cfg.error().message);
  return cfg ? *cfg : config::GatewayConfig{};
}

std::shared_ptr<const TrustStore> storeWithCa() {
  auto store = std::make_shared<TrustStore>();
  auto ca = testing::makeCert("test-ca", nullptr, true);
  store->add("test-ca", std::move(ca.cert));
  return store;
}

TEST(ClientContext, VerifiesChainAndHostnameByDefault) {
  auto ctx = buildClientTls(configWith({}), storeWithCa());
  ASSERT_TRUE(ctx);
  EXPECT_TRUE((*ctx)->verifyPeer());
  EXPECT_TRUE((*ctx)->verifyHostname());
  EXPECT_EQ(SSL_CTX_get_verify_mode((*ctx)->get()), SSL_VERIFY_PEER);
  // RFC 8996: nothing below TLS 1.2.
  EXPECT_EQ(SSL_CTX_get_min_proto_version((*ctx)->get()), TLS1_2_VERSION);
  EXPECT_NE(SSL_CTX_get_options((*ctx)->get()) & SSL_OP_NO_RENEGOTIATION, 0u);
  // The trust store's X509_STORE is the context's verification store.
  X509_STORE* store = SSL_CTX_get_cert_store((*ctx)->get());
  EXPECT_NE(store, nullptr);
}

TEST(ClientContext, VerifyHostnameFalseKeepsChainVerification) {
  auto ctx = buildClientTls(configWith({"--httpClients.verifyHostname=false"}), storeWithCa());
  ASSERT_TRUE(ctx);
  EXPECT_TRUE((*ctx)->verifyPeer());
  EXPECT_FALSE((*ctx)->verifyHostname());
  EXPECT_EQ(SSL_CTX_get_verify_mode((*ctx)->get()), SSL_VERIFY_PEER);
}

TEST(ClientContext, DisableSslVerificationTurnsEveryCheckOff) {
  auto ctx = buildClientTls(configWith({"--httpClients.disableSslVerification=true"}), nullptr);
  ASSERT_TRUE(ctx);
  EXPECT_FALSE((*ctx)->verifyPeer());
  EXPECT_FALSE((*ctx)->verifyHostname());
  EXPECT_EQ(SSL_CTX_get_verify_mode((*ctx)->get()), SSL_VERIFY_NONE);
}

TEST(ClientContext, WithoutATrustStoreTheSystemCasAreUsed) {
  ClientContextOptions options;
  auto ctx = ClientContext::create(options);
  ASSERT_TRUE(ctx);
  EXPECT_TRUE((*ctx)->verifyPeer());
  EXPECT_EQ(SSL_CTX_get_verify_mode((*ctx)->get()), SSL_VERIFY_PEER);
}

}  // namespace
}  // namespace mgw::tls
