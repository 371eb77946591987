#include "filters/jwt/key_set.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "filters/jwt/base64url.h"
#include "jwt_test_util.h"

namespace mgw::jwt {
namespace {

using namespace mgw::jwt::testing;
using Json = nlohmann::json;

std::string jwks(std::initializer_list<Json> keys) {
  Json array = Json::array();
  for (const auto& k : keys)
    array.push_back(k);
  return Json{{"keys", array}}.dump();
}

TEST(KeySetJwks, LoadsRsaEcAndEd25519Keys) {
  auto set = KeySet::fromJwks(
      jwks({publicJwk(rsaKey(), "rsa", "RS256"), publicJwk(ecKey("P-256"), "ec256"),
            publicJwk(ecKey("P-384"), "ec384", "ES384"), publicJwk(ecKey("P-521"), "ec521"),
            publicJwk(edKey(), "ed", "EdDSA")}));
  ASSERT_TRUE(set.ok()) << set.error().reason;
  const KeySet& keys = **set;
  EXPECT_EQ(keys.size(), 5u);
  ASSERT_NE(keys.findKid("rsa"), nullptr);
  EXPECT_EQ(keys.findKid("rsa")->family, KeyFamily::Rsa);
  EXPECT_EQ(keys.findKid("rsa")->alg, Alg::RS256);
  EXPECT_FALSE(keys.findKid("rsa")->fallback);
  EXPECT_EQ(keys.findKid("ec256")->curve, "P-256");
  EXPECT_EQ(keys.findKid("ec384")->curve, "P-384");
  EXPECT_EQ(keys.findKid("ec521")->curve, "P-521");
  EXPECT_EQ(keys.findKid("ed")->family, KeyFamily::Ed25519);
  EXPECT_EQ(keys.findKid("unknown"), nullptr);
}

TEST(KeySetJwks, RejectsMalformedDocuments) {
  EXPECT_EQ(KeySet::fromJwks("not json").error().reason, "jwks.malformed");
  EXPECT_EQ(KeySet::fromJwks("[]").error().reason, "jwks.malformed");
  EXPECT_EQ(KeySet::fromJwks(R"({"keys":{}})").error().reason, "jwks.malformed");
  EXPECT_EQ(KeySet::fromJwks(R"({"keys":[]})").error().reason, "jwks.no_usable_keys");
  EXPECT_EQ(KeySet::fromJwks(R"({"keys":[1,"x",null]})").error().reason, "jwks.no_usable_keys");
  EXPECT_EQ(KeySet::fromJwks(R"({"keys":[],"keys":[]})").error().reason, "jwks.malformed");
}

TEST(KeySetJwks, SkipsUnknownKeyTypesButKeepsTheRest) {
  Json oct = {{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "hmac"}};
  Json x25519 = {{"kty", "OKP"}, {"crv", "X25519"}, {"x", b64(std::string(32, 'a'))}};
  EXPECT_EQ(KeySet::fromJwks(jwks({oct})).error().reason, "jwks.no_usable_keys");
  auto set = KeySet::fromJwks(jwks({oct, x25519, publicJwk(rsaKey(), "good")}));
  ASSERT_TRUE(set.ok());
  EXPECT_EQ((*set)->size(), 1u);
  EXPECT_NE((*set)->findKid("good"), nullptr);
  EXPECT_EQ((*set)->findKid("hmac"), nullptr);
}

TEST(KeySetJwks, SkipsBadKeys) {
  Json short_x = publicJwk(ecKey("P-256"), "a");
  short_x["x"] = b64(std::string(31, '\x01'));
  Json off_curve = publicJwk(ecKey("P-256"), "b");
  off_curve["y"] = b64(std::string(32, '\x01'));
  Json bad_b64 = publicJwk(rsaKey(), "c");
  bad_b64["n"] = "a+b/";
  Json no_e = publicJwk(rsaKey(), "d");
  no_e.erase("e");
  Json weak = publicJwk(makeRsa(1024).get(), "e");
  Json enc_use = publicJwk(rsaKey(), "f");
  enc_use["use"] = "enc";
  Json hs_alg = publicJwk(rsaKey(), "g", "HS256");
  Json wrong_family = publicJwk(rsaKey(), "h", "ES256");
  Json wrong_curve = publicJwk(ecKey("P-384"), "i", "ES256");
  Json bad_curve = publicJwk(ecKey("P-256"), "j");
  bad_curve["crv"] = "secp256k1";
  Json ed_short = publicJwk(edKey(), "k");
  ed_short["x"] = b64(std::string(31, 'a'));
  Json numeric_kid = publicJwk(rsaKey(), "l");
  numeric_kid["kid"] = 7;
  for (const Json& bad : {short_x, off_curve, bad_b64, no_e, weak, enc_use, hs_alg, wrong_family,
                          wrong_curve, bad_curve, ed_short, numeric_kid}) {
    EXPECT_EQ(KeySet::fromJwks(jwks({bad})).error().reason, "jwks.no_usable_keys") << bad.dump();
  }
}

TEST(KeySetJwks, DuplicateKidKeepsTheFirstKey) {
  auto set = KeySet::fromJwks(jwks({publicJwk(rsaKey(0), "dup"), publicJwk(rsaKey(1), "dup")}));
  ASSERT_TRUE(set.ok());
  EXPECT_EQ((*set)->size(), 1u);
}

TEST(KeySetPem, CertificateGetsAliasAndWso2Thumbprint) {
  KeySet keys;
  ASSERT_TRUE(keys.addCertificatePem("wso2apim310", selfSignedCertPem(rsaKey())).ok());
  const KeyEntry* key = keys.findKid("wso2apim310");
  ASSERT_NE(key, nullptr);
  EXPECT_TRUE(key->fallback);
  // base64url of 40 hex characters, '='-padded as Java's URL encoder writes it.
  ASSERT_EQ(key->x5t.size(), 56u);
  EXPECT_EQ(key->x5t.substr(54), "==");
  std::string hex;
  ASSERT_TRUE(base64UrlDecode(key->x5t, hex));
  EXPECT_EQ(hex.size(), 40u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(keys.findKid(key->x5t), key);
  EXPECT_EQ(keys.findKid(stripPadding(key->x5t)), key);
}

TEST(KeySetPem, AcceptsPublicKeyPemAndEcCertificates) {
  KeySet keys;
  ASSERT_TRUE(keys.addCertificatePem("pub", publicKeyPem(rsaKey(1))).ok());
  ASSERT_TRUE(keys.addCertificatePem("ec", selfSignedCertPem(ecKey("P-384"))).ok());
  ASSERT_TRUE(keys.addCertificatePem("ed", publicKeyPem(edKey())).ok());
  EXPECT_EQ(keys.findKid("ec")->curve, "P-384");
  EXPECT_EQ(keys.findKid("ed")->family, KeyFamily::Ed25519);
}

TEST(KeySetPem, RejectsGarbageWeakAndDuplicateAliases) {
  KeySet keys;
  EXPECT_EQ(keys.addCertificatePem("x", "-----BEGIN CERTIFICATE-----\nAAAA\n").error().reason,
            "keyset.bad_pem");
  EXPECT_EQ(keys.addCertificatePem("x", "").error().reason, "keyset.bad_pem");
  EXPECT_EQ(keys.addCertificatePem("weak", publicKeyPem(makeRsa(1024).get())).error().reason,
            "keyset.weak_key");
  ASSERT_TRUE(keys.addCertificatePem("a", selfSignedCertPem(rsaKey())).ok());
  EXPECT_EQ(keys.addCertificatePem("a", selfSignedCertPem(rsaKey(1))).error().reason,
            "keyset.duplicate_kid");
  EXPECT_EQ(keys.size(), 1u);
}

}  // namespace
}  // namespace mgw::jwt
