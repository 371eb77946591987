// Functional tests of Verifier: every algorithm, claims, WSO2 APIM tokens, issuers.
#include "filters/jwt/verifier.h"

#include <gtest/gtest.h>

#include "filters/jwt/base64url.h"
#include "jwt_test_util.h"

namespace mgw::jwt {
namespace {

using namespace mgw::jwt::testing;
using Json = nlohmann::json;

struct AlgCase {
  const char* alg;
  EVP_PKEY* (*key)();
};

EVP_PKEY* rsa() {
  return rsaKey(0);
}
EVP_PKEY* p256() {
  return ecKey("P-256");
}
EVP_PKEY* p384() {
  return ecKey("P-384");
}
EVP_PKEY* p521() {
  return ecKey("P-521");
}
EVP_PKEY* ed() {
  return edKey();
}

class EveryAlgorithm : public ::testing::TestWithParam<AlgCase> {};

TEST_P(EveryAlgorithm, ValidTokenVerifiesWithCertificateKey) {
  const AlgCase c = GetParam();
  KeySet keys;
  ASSERT_TRUE(keys.addCertificatePem("alias", publicKeyPem(c.key())).ok());
  const Verifier v = makeVerifier(std::make_shared<KeySet>(keys));
  const std::string token = makeToken(c.key(), header(c.alg), basePayload());
  auto result = v.verify(token, kNowMs);
  ASSERT_TRUE(result.ok()) << result.error().reason;
  EXPECT_EQ(result->subject, "admin");
  EXPECT_EQ(result->issuer, kIssuer);
  EXPECT_EQ(result->exp_s, kNowS + 3600);
}

TEST_P(EveryAlgorithm, ValidTokenVerifiesWithJwksKeyByKid) {
  const AlgCase c = GetParam();
  auto keys = KeySet::fromJwks(
      Json{{"keys", {publicJwk(rsaKey(1), "other"), publicJwk(c.key(), "k1", c.alg)}}}.dump());
  ASSERT_TRUE(keys.ok());
  const Verifier v = makeVerifier(*keys);
  EXPECT_EQ(reasonOf(v, makeToken(c.key(), header(c.alg, "k1"), basePayload())), "ok");
}

TEST_P(EveryAlgorithm, FlippedSignatureBitFails) {
  const AlgCase c = GetParam();
  const Verifier v = makeVerifier(certKeys(c.key()));
  std::string token = makeToken(c.key(), header(c.alg), basePayload());
  const size_t dot = token.rfind('.');
  std::string sig;
  ASSERT_TRUE(base64UrlDecode(token.substr(dot + 1), sig));
  sig[sig.size() / 2] ^= 0x01;
  token = token.substr(0, dot + 1) + b64(sig);
  EXPECT_EQ(reasonOf(v, token), "jwt.bad_signature");
}

INSTANTIATE_TEST_SUITE_P(Algs, EveryAlgorithm,
                         ::testing::Values(AlgCase{"RS256", rsa}, AlgCase{"RS384", rsa},
                                           AlgCase{"RS512", rsa}, AlgCase{"PS256", rsa},
                                           AlgCase{"PS384", rsa}, AlgCase{"PS512", rsa},
                                           AlgCase{"ES256", p256}, AlgCase{"ES384", p384},
                                           AlgCase{"ES512", p521}, AlgCase{"EdDSA", ed}),
                         [](const auto& param_info) { return std::string(param_info.param.alg); });

TEST(Verifier, PaddedBase64UrlTokenIsAccepted) {
  // WSO2 test tokens: every segment '='-padded, signature computed over the padded text.
  auto pad = [](std::string s) {
    while (s.size() % 4 != 0)
      s.push_back('=');
    return s;
  };
  Json payload = basePayload();
  payload["sub"] = "ab";  // pick lengths that need padding
  std::string h = pad(b64(header("RS256").dump()));
  std::string p = pad(b64(payload.dump()));
  if (p.find('=') == std::string::npos) {
    payload["sub"] = "abc";
    p = pad(b64(payload.dump()));
  }
  ASSERT_NE(p.find('='), std::string::npos);
  const std::string input = h + "." + p;
  const std::string token = input + "." + pad(b64(signRaw(rsaKey(), "RS256", input)));
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  auto result = v.verify(token, kNowMs);
  ASSERT_TRUE(result.ok()) << result.error().reason;
  EXPECT_EQ(result->signature_b64.find('='), std::string::npos);
}

TEST(Verifier, IatInMillisecondsIsAccepted) {
  Json payload = basePayload();
  payload["iat"] = kNowMs - 1000;
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(), header("RS256"), payload)), "ok");
  payload["iat"] = kNowMs + 60'000;  // a minute in the future, in ms
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(), header("RS256"), payload)), "jwt.iat_in_future");
}

TEST(Verifier, Wso2ApimSelfContainedToken) {
  Json payload = {{"aud", "http://org.wso2.apimgt/gateway"},
                  {"sub", "admin@carbon.super"},
                  {"application",
                   {{"owner", "admin"},
                    {"tier", "Unlimited"},
                    {"name", "DefaultApplication"},
                    {"id", 1},
                    {"uuid", "c1a1e7f0-0000-4000-8000-000000000001"}}},
                  {"scope", "am_application_scope  default"},
                  {"iss", kIssuer},
                  {"tierInfo", {{"Gold", {{"stopOnQuotaReach", true}}}}},
                  {"keytype", "SANDBOX"},
                  {"subscribedAPIs",
                   {{{"subscriberTenantDomain", "carbon.super"},
                     {"name", "PizzaShackAPI"},
                     {"context", "/pizzashack/1.0.0"},
                     {"publisher", "admin"},
                     {"version", "1.0.0"},
                     {"subscriptionTier", "Gold"}}}},
                  {"consumerKey", "XgO39NgBQ5pYWsKzmSBnGA4fJaEa"},
                  {"exp", kNowS + 3600},
                  {"iat", kNowMs},
                  {"jti", "8d0d0c1a-5b1a-4e7e-9a3d-2a1f2c3d4e5f"}};
  Json h = header("RS256", "ZjRmYTMwNTJjOWEzZDBhMTEwZDY2YTBhMWNlYmE2N2ZlMzJjMjg0Zg");
  h["x5t"] = "ZjRmYTMwNTJjOWEzZDBhMTEwZDY2YTBhMWNlYmE2N2ZlMzJjMjg0Zg==";
  IssuerConfig config = issuerConfig();
  config.validate_subscription = true;
  const Verifier v = makeVerifier(certKeys(rsaKey()), config);
  auto result = v.verify(makeToken(rsaKey(), h, payload), kNowMs);
  ASSERT_TRUE(result.ok()) << result.error().reason;
  const VerifiedToken& t = *result;
  EXPECT_EQ(t.subject, "admin@carbon.super");
  EXPECT_EQ(t.key_type, KeyType::Sandbox);
  EXPECT_EQ(t.scopes, (std::vector<std::string>{"am_application_scope", "default"}));
  ASSERT_TRUE(t.application.has_value());
  EXPECT_EQ(t.application->id, "1");
  EXPECT_EQ(t.application->name, "DefaultApplication");
  EXPECT_EQ(t.application->tier, "Unlimited");
  EXPECT_EQ(t.application->owner, "admin");
  EXPECT_EQ(t.application->uuid, "c1a1e7f0-0000-4000-8000-000000000001");
  ASSERT_EQ(t.subscribed_apis.size(), 1u);
  EXPECT_EQ(t.subscribed_apis[0].name, "PizzaShackAPI");
  EXPECT_EQ(t.subscribed_apis[0].version, "1.0.0");
  EXPECT_EQ(t.subscribed_apis[0].subscription_tier, "Gold");
  EXPECT_EQ(t.subscribed_apis[0].publisher, "admin");
  EXPECT_EQ(t.subscribed_apis[0].context, "/pizzashack/1.0.0");
  EXPECT_EQ(t.subscribed_apis[0].subscriber_tenant_domain, "carbon.super");
  EXPECT_EQ(t.consumer_key, "XgO39NgBQ5pYWsKzmSBnGA4fJaEa");
  EXPECT_EQ(t.jti, "8d0d0c1a-5b1a-4e7e-9a3d-2a1f2c3d4e5f");
  EXPECT_TRUE(t.validate_subscription);
  EXPECT_EQ(t.claims["tierInfo"]["Gold"]["stopOnQuotaReach"], true);
}

TEST(Verifier, DefaultsWithoutApimClaims) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  Json payload = basePayload();
  payload["aud"] = {"client-id-1", "other"};
  auto result = v.verify(makeToken(rsaKey(), header("RS256"), payload), kNowMs);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->key_type, KeyType::Production);
  EXPECT_FALSE(result->application.has_value());
  EXPECT_TRUE(result->scopes.empty());
  EXPECT_EQ(result->consumer_key, "client-id-1");  // consumerKeyClaim "aud", first element
}

TEST(Verifier, ScpArrayAndClaimMapping) {
  Json payload = basePayload();
  payload["scp"] = {"read", "write"};
  payload["cid"] = "my-client";
  IssuerConfig config = issuerConfig();
  config.consumer_key_claim = "cid";
  const Verifier v = makeVerifier(certKeys(rsaKey()), config);
  auto result = v.verify(makeToken(rsaKey(), header("RS256"), payload), kNowMs);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->scopes, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(result->consumer_key, "my-client");

  payload.erase("scp");
  payload["roles"] = "admin ops";
  config.claim_mappings = {{"roles", "scope"}};
  const Verifier mapped = makeVerifier(certKeys(rsaKey()), config);
  auto r2 = mapped.verify(makeToken(rsaKey(), header("RS256"), payload), kNowMs);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->scopes, (std::vector<std::string>{"admin", "ops"}));
  EXPECT_FALSE(r2->claims.contains("roles"));
  EXPECT_EQ(r2->claims["scope"], "admin ops");
}

TEST(Verifier, MappedClaimsSerialisedOnce) {
  Json payload = basePayload();
  payload["roles"] = "admin";
  payload["keytype"] = "sandbox";
  IssuerConfig config = issuerConfig();
  config.claim_mappings = {{"roles", "scope"}};
  const Verifier v = makeVerifier(certKeys(rsaKey()), config);
  auto r = v.verify(makeToken(rsaKey(), header("RS256"), payload), kNowMs);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->claims_json, r->claims.dump());
  EXPECT_EQ(Json::parse(r->claims_json)["scope"], "admin");
  EXPECT_EQ(r->key_type, KeyType::Sandbox);  // any case
}

TEST(Verifier, UnmappedClaimsAreTheVerifiedPayloadText) {
  Json payload = basePayload();
  payload["note"] = "caf\u00e9";
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  auto r = v.verify(makeToken(rsaKey(), header("RS256"), payload), kNowMs);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->claims_json, payload.dump());
  EXPECT_EQ(Json::parse(r->claims_json), r->claims);
}

TEST(Verifier, WrongClaimTypesAreMalformed) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  for (const auto& [name, value] : std::vector<std::pair<std::string, Json>>{
           {"sub", 5}, {"jti", Json::array()}, {"scope", 7}, {"scp", {"a", 1}}}) {
    Json payload = basePayload();
    payload[name] = value;
    EXPECT_EQ(reasonOf(v, makeToken(rsaKey(), header("RS256"), payload)), "jwt.malformed_claim")
        << name;
  }
}

TEST(Verifier, IssuersSharingIssTriedInConfigOrder) {
  std::vector<Verifier::Issuer> issuers;
  issuers.push_back({issuerConfig(), certKeys(rsaKey(1))});
  IssuerConfig second = issuerConfig();
  second.name = "second";
  issuers.push_back({second, certKeys(rsaKey(0))});
  const Verifier v(std::move(issuers));
  auto result = v.verify(makeToken(rsaKey(0), header("RS256"), basePayload()), kNowMs);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->issuer_index, 1u);
  EXPECT_EQ(result->issuer_name, "second");
  EXPECT_EQ(Json::parse(result->claims_json), result->claims);
  // Neither key: the first failure is reported.
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(2), header("RS256"), basePayload())), "jwt.bad_signature");
}

// Each thread keeps initialised OpenSSL contexts for a few (key, algorithm) pairs: cycling
// through more pairs than it keeps, twice, must give the right answer every time.
TEST(Verifier, ManyKeysAndAlgorithmsAlternating) {
  struct Case {
    EVP_PKEY* key;
    const char* alg;
  };
  std::vector<Case> cases;
  for (int k = 0; k < 3; ++k) {
    for (const char* alg : {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
      cases.push_back({rsaKey(k), alg});
  }
  cases.push_back({ecKey("P-256"), "ES256"});
  cases.push_back({ecKey("P-384"), "ES384"});
  cases.push_back({edKey(), "EdDSA"});
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < cases.size(); ++i) {
      const std::string token = makeToken(cases[i].key, header(cases[i].alg), basePayload());
      EXPECT_TRUE(makeVerifier(certKeys(cases[i].key)).verify(token, kNowMs).ok())
          << cases[i].alg << " case " << i;
      if (cases[i].key == rsaKey(0) || cases[i].key == rsaKey(1)) {
        EVP_PKEY* other = cases[i].key == rsaKey(0) ? rsaKey(1) : rsaKey(0);
        EXPECT_EQ(reasonOf(makeVerifier(certKeys(other)), token), "jwt.bad_signature")
            << cases[i].alg << " case " << i;
      }
    }
  }
}

TEST(Verifier, IssuerWithoutKeysFailsClosed) {
  EXPECT_EQ(reasonOf(makeVerifier(nullptr), makeToken(rsaKey(), header("RS256"), basePayload())),
            "jwt.no_keys");
  EXPECT_EQ(reasonOf(makeVerifier(std::make_shared<KeySet>()),
                     makeToken(rsaKey(), header("RS256"), basePayload())),
            "jwt.no_keys");
}

TEST(Verifier, AllowedAlgorithmsPerIssuer) {
  IssuerConfig config = issuerConfig();
  config.allowed_algs = {Alg::PS256};
  const Verifier v = makeVerifier(certKeys(rsaKey()), config);
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(), header("RS256"), basePayload())),
            "jwt.alg_not_allowed");
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(), header("PS256"), basePayload())), "ok");
}

TEST(Verifier, WithKeysSwapsKeysAndGeneration) {
  const Verifier v = makeVerifier(certKeys(rsaKey(0)));
  auto swapped = v.withKeys(0, certKeys(rsaKey(1)));
  EXPECT_NE(swapped->generation(), v.generation());
  EXPECT_EQ(reasonOf(*swapped, makeToken(rsaKey(1), header("RS256"), basePayload())), "ok");
  EXPECT_EQ(reasonOf(*swapped, makeToken(rsaKey(0), header("RS256"), basePayload())),
            "jwt.bad_signature");
}

TEST(Verifier, ExpOptionalWhenNotRequired) {
  IssuerConfig config = issuerConfig();
  config.require_exp = false;
  Json payload = basePayload();
  payload.erase("exp");
  const Verifier v = makeVerifier(certKeys(rsaKey()), config);
  auto result = v.verify(makeToken(rsaKey(), header("RS256"), payload), kNowMs);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->exp_s.has_value());
}

TEST(Verifier, CritHeaderRejected) {
  Json h = header("RS256");
  h["crit"] = {"exp"};
  h["exp"] = 1;
  EXPECT_EQ(reasonOf(makeVerifier(certKeys(rsaKey())), makeToken(rsaKey(), h, basePayload())),
            "jwt.crit_unsupported");
}

TEST(Verifier, OversizeTokenAndHeaderRejected) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  Json payload = basePayload();
  payload["pad"] = std::string(20000, 'a');
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(), header("RS256"), payload)), "jwt.oversize");
  Json h = header("RS256");
  h["pad"] = std::string(4000, 'a');
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(), h, basePayload())), "jwt.oversize");
}

TEST(Verifier, GarbageNeverCrashes) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  const std::string good = makeToken(rsaKey(), header("RS256"), basePayload());
  uint32_t seed = 12345;
  for (int i = 0; i < 3000; ++i) {
    std::string t = good;
    seed = seed * 1103515245 + 12345;
    const size_t pos = (seed >> 8) % t.size();
    t[pos] = static_cast<char>(seed >> 24);
    if (i % 3 == 0)
      t = t.substr(0, pos);
    if (t != good) {
      EXPECT_NE(reasonOf(v, t), "ok") << i;
    }
  }
  for (const char* junk : {"", ".", "..", "...", "a.b.c", "Bearer x", "\xff\xfe.\x01.\x02"})
    EXPECT_NE(reasonOf(v, junk), "ok");
}

}  // namespace
}  // namespace mgw::jwt
