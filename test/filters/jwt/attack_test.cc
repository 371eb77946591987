// Attack catalogue §6, one test (or more) per row. Every case must be rejected without a crash.
#include <gtest/gtest.h>

#include <unordered_set>

#include "filters/jwt/base64url.h"
#include "filters/jwt/token_cache.h"
#include "filters/jwt/verifier.h"
#include "jwt_test_util.h"

namespace mgw::jwt {
namespace {

using namespace mgw::jwt::testing;
using Json = nlohmann::json;

std::string segment(const std::string& token, int index) {
  size_t start = 0;
  for (int i = 0; i < index; ++i)
    start = token.find('.', start) + 1;
  const size_t end = token.find('.', start);
  return token.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string hsToken(std::string_view secret, const Json& h = header("HS256")) {
  const std::string input = b64(h.dump()) + "." + b64(basePayload().dump());
  return input + "." + b64(hmacSha256(secret, input));
}

// Row 1
TEST(AttackRow1, AlgNoneInAnySpellingRejected) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  for (const char* alg : {"none", "None", "NONE", "nOnE"}) {
    const std::string input =
        b64(Json{{"alg", alg}, {"typ", "JWT"}}.dump()) + "." + b64(basePayload().dump());
    EXPECT_EQ(reasonOf(v, input + "."), "jwt.alg_not_allowed") << alg;
    EXPECT_EQ(reasonOf(v, input + "." + b64("sig")), "jwt.alg_not_allowed") << alg;
    EXPECT_EQ(reasonOf(v, input + "." + b64(signRaw(rsaKey(), "RS256", input))),
              "jwt.alg_not_allowed")
        << alg;
  }
}

// Row 2
TEST(AttackRow2, HmacWithPublicKeyAsSecretRejected) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  const std::string pem = publicKeyPem(rsaKey());
  const std::string der = publicKeyDer(rsaKey());
  const std::string jwk = publicJwk(rsaKey(), "").dump();
  for (const std::string& secret : {pem, der, jwk}) {
    EXPECT_EQ(reasonOf(v, hsToken(secret)), "jwt.alg_not_allowed");
    EXPECT_EQ(reasonOf(v, hsToken(secret, header("HS384"))), "jwt.alg_not_allowed");
    EXPECT_EQ(reasonOf(v, hsToken(secret, header("HS512"))), "jwt.alg_not_allowed");
  }
  // Same with a JWKS key found by kid.
  auto keys = KeySet::fromJwks(Json{{"keys", {publicJwk(rsaKey(), "k")}}}.dump());
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(reasonOf(makeVerifier(*keys), hsToken(jwk, header("HS256", "k"))),
            "jwt.alg_not_allowed");
}

// Row 3
TEST(AttackRow3, AlgorithmFamilySwapRejected) {
  const Verifier rsa = makeVerifier(certKeys(rsaKey()));
  const std::string rs = makeToken(rsaKey(), header("RS256"), basePayload());
  // RS -> PS with the RS signature: same key family, signature fails.
  const std::string as_ps =
      b64(header("PS256").dump()) + "." + segment(rs, 1) + "." + segment(rs, 2);
  EXPECT_EQ(reasonOf(rsa, as_ps), "jwt.bad_signature");
  // RS -> ES / EdDSA against an RSA key: the key decides the family.
  for (const char* alg : {"ES256", "EdDSA"}) {
    const std::string swapped =
        b64(header(alg).dump()) + "." + segment(rs, 1) + "." + segment(rs, 2);
    EXPECT_EQ(reasonOf(rsa, swapped), "jwt.key_mismatch") << alg;
  }
  // A genuine ES256 token against an RSA-configured issuer.
  EXPECT_EQ(reasonOf(rsa, makeToken(ecKey("P-256"), header("ES256"), basePayload())),
            "jwt.key_mismatch");
  // RS token against an EC-configured issuer.
  EXPECT_EQ(reasonOf(makeVerifier(certKeys(ecKey("P-256"))), rs), "jwt.key_mismatch");
  // ES384 token against a P-256 key: curve decides too.
  EXPECT_EQ(reasonOf(makeVerifier(certKeys(ecKey("P-256"))),
                     makeToken(ecKey("P-384"), header("ES384"), basePayload())),
            "jwt.key_mismatch");
  // A JWK pinned to RS256 refuses a valid PS256 signature by the same key.
  auto pinned = KeySet::fromJwks(Json{{"keys", {publicJwk(rsaKey(), "k", "RS256")}}}.dump());
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(
      reasonOf(makeVerifier(*pinned), makeToken(rsaKey(), header("PS256", "k"), basePayload())),
      "jwt.key_mismatch");
}

// Row 4
TEST(AttackRow4, PsychicSignatureZeroRSRejected) {
  const Verifier v = makeVerifier(certKeys(ecKey("P-256")));
  const std::string input = b64(header("ES256").dump()) + "." + b64(basePayload().dump());
  EXPECT_EQ(reasonOf(v, input + "." + b64(std::string(64, '\0'))), "jwt.bad_signature");
  // r = 0 with a plausible s, and the reverse.
  const std::string good = signRaw(ecKey("P-256"), "ES256", input);
  EXPECT_EQ(reasonOf(v, input + "." + b64(std::string(32, '\0') + good.substr(32))),
            "jwt.bad_signature");
  EXPECT_EQ(reasonOf(v, input + "." + b64(good.substr(0, 32) + std::string(32, '\0'))),
            "jwt.bad_signature");
  EXPECT_EQ(reasonOf(v, input + "." + b64(good)), "ok");
}

TEST(AttackRow4, RAndSAtOrAboveOrderRejected) {
  const Verifier v = makeVerifier(certKeys(ecKey("P-256")));
  const std::string input = b64(header("ES256").dump()) + "." + b64(basePayload().dump());
  // n of P-256 (FIPS 186-4 D.1.2.3) and all-ones.
  std::string n;
  ASSERT_TRUE(base64UrlDecode("_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE", n));
  ASSERT_EQ(n.size(), 32u);
  const std::string good = signRaw(ecKey("P-256"), "ES256", input);
  EXPECT_EQ(reasonOf(v, input + "." + b64(n + n)), "jwt.bad_signature");
  EXPECT_EQ(reasonOf(v, input + "." + b64(good.substr(0, 32) + n)), "jwt.bad_signature");
  EXPECT_EQ(reasonOf(v, input + "." + b64(std::string(64, '\xff'))), "jwt.bad_signature");
}

TEST(AttackRow4, DerEncodedEcdsaSignatureRejected) {
  for (const char* curve : {"P-256", "P-384", "P-521"}) {
    const char* alg = std::string_view(curve) == "P-256"   ? "ES256"
                      : std::string_view(curve) == "P-384" ? "ES384"
                                                           : "ES512";
    const Verifier v = makeVerifier(certKeys(ecKey(curve)));
    const std::string input = b64(header(alg).dump()) + "." + b64(basePayload().dump());
    EXPECT_EQ(reasonOf(v, input + "." + b64(signDer(ecKey(curve), alg, input))),
              "jwt.bad_signature")
        << curve;
    // Wrong raw length (one byte short) as well.
    const std::string raw = signRaw(ecKey(curve), alg, input);
    EXPECT_EQ(reasonOf(v, input + "." + b64(raw.substr(1))), "jwt.bad_signature");
  }
}

// Row 5
TEST(AttackRow5, WrongSegmentCountsAndEmptySegmentsRejected) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  const std::string t = makeToken(rsaKey(), header("RS256"), basePayload());
  const std::string h = segment(t, 0), p = segment(t, 1), s = segment(t, 2);
  for (const std::string& bad :
       {h, h + "." + p, h + "." + p + "." + s + "." + s, h + "." + p + "." + s + "." + s + "." + s,
        "." + p + "." + s, h + ".." + s, h + "." + p + ".", t + ".", "." + t, h + "." + p + "..",
        std::string("..")}) {
    const std::string reason = reasonOf(v, bad);
    EXPECT_EQ(reason, "jwt.malformed") << bad;
  }
  EXPECT_EQ(reasonOf(v, t), "ok");
}

// Row 6
TEST(AttackRow6, ChangedPayloadWithOriginalSignatureRejectedColdAndWarm) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  const std::string genuine = makeToken(rsaKey(), header("RS256"), basePayload());
  Json evil = basePayload();
  evil["sub"] = "root";
  evil["scope"] = "admin";
  const std::string tampered =
      segment(genuine, 0) + "." + b64(evil.dump()) + "." + segment(genuine, 2);
  TokenCache cache;
  // Cold cache.
  auto cold = verifyCached(v, tampered, kNowMs, &cache, nullptr);
  ASSERT_FALSE(cold.ok());
  EXPECT_EQ(cold.error().reason, "jwt.bad_signature");
  // Warm: the genuine token is cached first.
  ASSERT_TRUE(verifyCached(v, genuine, kNowMs, &cache, nullptr).ok());
  ASSERT_EQ(cache.size(), 1u);
  auto warm = verifyCached(v, tampered, kNowMs, &cache, nullptr);
  ASSERT_FALSE(warm.ok());
  EXPECT_EQ(warm.error().reason, "jwt.bad_signature");
  EXPECT_EQ(cache.size(), 1u);  // failures are not cached
}

// Row 7
TEST(AttackRow7, NonCanonicalBase64UrlRejected) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  const std::string t = makeToken(rsaKey(), header("RS256"), basePayload());
  const std::string h = segment(t, 0), p = segment(t, 1), s = segment(t, 2);
  // RSA-2048 signature: 256 bytes -> 342 chars, the last carrying 4 unused bits.
  ASSERT_EQ(s.size() % 4, 2u);
  std::string altered = s;
  altered.back() = altered.back() == 'A' ? 'B' : static_cast<char>(altered.back() + 1);
  EXPECT_EQ(reasonOf(v, h + "." + p + "." + altered), "jwt.malformed");
  // Plain base64 alphabet, whitespace, bad padding.
  auto swapAlphabet = [](std::string x) {
    for (char& c : x) {
      if (c == '-')
        c = '+';
      else if (c == '_')
        c = '/';
    }
    return x;
  };
  const std::string std_b64 = swapAlphabet(s);
  if (std_b64 != s) {
    EXPECT_EQ(reasonOf(v, h + "." + p + "." + std_b64), "jwt.malformed");
  }
  EXPECT_EQ(reasonOf(v, h + "." + p + ".+" + s.substr(1)), "jwt.malformed");
  EXPECT_EQ(reasonOf(v, h + "." + p + "./" + s.substr(1)), "jwt.malformed");
  EXPECT_EQ(reasonOf(v, h + "." + p + "." + s.substr(0, 10) + " " + s.substr(10)), "jwt.malformed");
  EXPECT_EQ(reasonOf(v, h + "." + p + "." + s + "\n"), "jwt.malformed");
  EXPECT_EQ(reasonOf(v, " " + t), "jwt.malformed");
  EXPECT_EQ(reasonOf(v, h + "." + p + "." + s + "="), "jwt.malformed");
  // The complete padding is one accepted spelling; revocation uses the canonical form
  // (row 18), so the two spellings share one signature key.
  auto padded = v.verify(h + "." + p + "." + s + "==", kNowMs);
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(padded->signature_b64, s);
}

// Row 8
TEST(AttackRow8, UnknownKidRejected) {
  auto keys = KeySet::fromJwks(Json{{"keys", {publicJwk(rsaKey(0), "k1")}}}.dump());
  ASSERT_TRUE(keys.ok());
  const Verifier v = makeVerifier(*keys);
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(0), header("RS256", "k2"), basePayload())),
            "jwt.unknown_kid");
  // Signed by an attacker key under an unknown kid: same answer, no fallback to other keys.
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(1), header("RS256", "k2"), basePayload())),
            "jwt.unknown_kid");
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(0), header("RS256", "k1"), basePayload())), "ok");
}

// Row 9
TEST(AttackRow9, HostileKidIsAnOpaqueKey) {
  auto keys = KeySet::fromJwks(Json{{"keys", {publicJwk(rsaKey(0), "k1")}}}.dump());
  ASSERT_TRUE(keys.ok());
  const Verifier jwks = makeVerifier(*keys);
  const Verifier cert = makeVerifier(certKeys(rsaKey(0)));
  using namespace std::string_literals;
  for (const std::string& kid :
       {"../../etc/passwd"s, "/dev/zero"s, "' OR '1'='1' --"s, "k1\0x"s, "k1 "s, "K1"s}) {
    const std::string token = makeToken(rsaKey(0), header("RS256", kid), basePayload());
    EXPECT_EQ(reasonOf(jwks, token), "jwt.unknown_kid") << kid;
    // The certificate issuer ignores kid as WSO2 does: the signature alone decides.
    EXPECT_EQ(reasonOf(cert, token), "ok") << kid;
    EXPECT_EQ(reasonOf(cert, makeToken(rsaKey(1), header("RS256", kid), basePayload())),
              "jwt.bad_signature");
  }
  const std::string huge(10 * 1024, 'k');
  EXPECT_EQ(reasonOf(jwks, makeToken(rsaKey(0), header("RS256", huge), basePayload())),
            "jwt.oversize");
  JwtLimits roomy;
  roomy.max_header_bytes = 16384;
  roomy.max_token_bytes = 65536;
  VerifierOptions options;
  options.limits = roomy;
  const Verifier big = makeVerifier(*keys, issuerConfig(), options);
  EXPECT_EQ(reasonOf(big, makeToken(rsaKey(0), header("RS256", huge), basePayload())),
            "jwt.kid_invalid");
  Json numeric_kid = header("RS256");
  numeric_kid["kid"] = 1;
  EXPECT_EQ(reasonOf(jwks, makeToken(rsaKey(0), numeric_kid, basePayload())), "jwt.kid_invalid");
}

// Row 10
TEST(AttackRow10, EmbeddedKeyReferencesIgnored) {
  // The library has no network code at all; these headers cannot trigger a fetch. They must not
  // make an attacker-signed token valid, nor a genuine token invalid.
  const Verifier v = makeVerifier(certKeys(rsaKey(0)));
  Json h = header("RS256", "attacker");
  h["jku"] = "http://127.0.0.1:1/jwks.json";
  h["x5u"] = "http://127.0.0.1:1/cert.pem";
  h["jwk"] = publicJwk(rsaKey(1), "attacker");
  h["x5c"] = {"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"};
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(1), h, basePayload())), "jwt.bad_signature");
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(0), h, basePayload())), "ok");
}

// Row 11
TEST(AttackRow11, ExpirationRules) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));  // skew 5000 ms
  auto withExp = [](const Json& exp) {
    Json p = basePayload();
    p["iat"] = kNowS - 7200;
    p["exp"] = exp;
    return makeToken(rsaKey(), header("RS256"), p);
  };
  EXPECT_EQ(reasonOf(v, withExp(kNowS - 6)), "jwt.expired");
  EXPECT_EQ(reasonOf(v, withExp(kNowS - 5)), "jwt.expired");  // now >= exp + skew
  EXPECT_EQ(reasonOf(v, withExp(kNowS - 4)), "ok");           // within skew
  EXPECT_EQ(reasonOf(v, withExp(kNowS)), "ok");
  EXPECT_EQ(reasonOf(v, withExp(std::to_string(kNowS + 60))), "jwt.malformed_claim");
  EXPECT_EQ(reasonOf(v, withExp(static_cast<double>(kNowS) + 60.5)), "jwt.malformed_claim");
  EXPECT_EQ(reasonOf(v, withExp(1e300)), "jwt.malformed_claim");
  EXPECT_EQ(reasonOf(v, withExp(nullptr)), "jwt.malformed_claim");
  EXPECT_EQ(reasonOf(v, withExp(true)), "jwt.malformed_claim");
  EXPECT_EQ(reasonOf(v, withExp(Json::array({kNowS + 60}))), "jwt.malformed_claim");
  EXPECT_EQ(reasonOf(v, withExp(INT64_MAX)), "jwt.malformed_claim");
  EXPECT_EQ(reasonOf(v, withExp(UINT64_MAX)), "jwt.malformed_claim");
  EXPECT_EQ(reasonOf(v, withExp(INT64_MIN)), "jwt.malformed_claim");
  EXPECT_EQ(reasonOf(v, withExp(-1)), "jwt.expired");
  // 1e300 and an integer too large for 64 bits, written as raw JSON text.
  for (const char* number : {"1e300", "99999999999999999999999", "1E400", "-0"}) {
    std::string text = R"({"iss":")" + std::string(kIssuer) + R"(","exp":)" + number + "}";
    const std::string token = makeTokenText(rsaKey(), "RS256", header("RS256").dump(), text);
    const std::string reason = reasonOf(v, token);
    EXPECT_TRUE(reason == "jwt.malformed_claim" || reason == "jwt.malformed" ||
                reason == "jwt.expired")
        << number << " " << reason;
    EXPECT_NE(reason, "ok");
  }
  Json missing = basePayload();
  missing.erase("exp");
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(), header("RS256"), missing)), "jwt.missing_exp");
}

// Row 12
TEST(AttackRow12, NotBeforeAndIssuedAtRules) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  auto with = [](const char* claim, const Json& value) {
    Json p = basePayload();
    p[claim] = value;
    return makeToken(rsaKey(), header("RS256"), p);
  };
  EXPECT_EQ(reasonOf(v, with("nbf", kNowS + 6)), "jwt.not_yet_valid");
  EXPECT_EQ(reasonOf(v, with("nbf", kNowS + 5)), "ok");  // within skew
  EXPECT_EQ(reasonOf(v, with("nbf", kNowS - 100)), "ok");
  EXPECT_EQ(reasonOf(v, with("nbf", "soon")), "jwt.malformed_claim");
  EXPECT_EQ(reasonOf(v, with("iat", kNowS + 86400 * 365)), "jwt.iat_in_future");
  EXPECT_EQ(reasonOf(v, with("iat", kNowMs + 86400LL * 365 * 1000)), "jwt.iat_in_future");
  EXPECT_EQ(reasonOf(v, with("iat", kNowS + 3)), "ok");  // within skew
  EXPECT_EQ(reasonOf(v, with("iat", 1.5)), "jwt.malformed_claim");
}

// Row 13
TEST(AttackRow13, IssuerMatchingAndPerIssuerKeys) {
  std::vector<Verifier::Issuer> issuers;
  issuers.push_back({issuerConfig("https://a.example/token"), certKeys(rsaKey(0))});
  issuers.push_back({issuerConfig("https://b.example/token"), certKeys(rsaKey(1))});
  const Verifier v(std::move(issuers));
  auto tokenFor = [](const char* iss, EVP_PKEY* key) {
    Json p = basePayload();
    p["iss"] = iss;
    return makeToken(key, header("RS256"), p);
  };
  EXPECT_EQ(reasonOf(v, tokenFor("https://a.example/token", rsaKey(0))), "ok");
  EXPECT_EQ(reasonOf(v, tokenFor("https://b.example/token", rsaKey(1))), "ok");
  // A's token signed with B's key, and the reverse.
  EXPECT_EQ(reasonOf(v, tokenFor("https://a.example/token", rsaKey(1))), "jwt.bad_signature");
  EXPECT_EQ(reasonOf(v, tokenFor("https://b.example/token", rsaKey(0))), "jwt.bad_signature");
  for (const char* iss : {"https://c.example/token", "https://a.example/token/",
                          "HTTPS://A.EXAMPLE/TOKEN", "https://a.example/token ", ""}) {
    EXPECT_EQ(reasonOf(v, tokenFor(iss, rsaKey(0))), "jwt.unknown_issuer") << iss;
  }
  Json no_iss = basePayload();
  no_iss.erase("iss");
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(0), header("RS256"), no_iss)), "jwt.unknown_issuer");
  Json array_iss = basePayload();
  array_iss["iss"] = {"https://a.example/token"};
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(0), header("RS256"), array_iss)), "jwt.unknown_issuer");
}

// Row 14
TEST(AttackRow14, AudienceRules) {
  IssuerConfig config = issuerConfig();
  config.audiences = {"http://org.wso2.apimgt/gateway"};
  const Verifier v = makeVerifier(certKeys(rsaKey()), config);
  const Verifier open = makeVerifier(certKeys(rsaKey()));
  auto withAud = [](const Json& aud) {
    Json p = basePayload();
    p["aud"] = aud;
    return makeToken(rsaKey(), header("RS256"), p);
  };
  EXPECT_EQ(reasonOf(v, withAud("http://org.wso2.apimgt/gateway")), "ok");
  EXPECT_EQ(reasonOf(v, withAud({"x", "http://org.wso2.apimgt/gateway"})), "ok");
  EXPECT_EQ(reasonOf(v, withAud("other")), "jwt.audience_mismatch");
  EXPECT_EQ(reasonOf(v, withAud({"x", "y"})), "jwt.audience_mismatch");
  EXPECT_EQ(reasonOf(v, withAud(Json::array())), "jwt.audience_mismatch");
  EXPECT_EQ(reasonOf(v, withAud("http://org.wso2.apimgt/gateway/")), "jwt.audience_mismatch");
  EXPECT_EQ(reasonOf(v, withAud(5)), "jwt.malformed_claim");
  EXPECT_EQ(reasonOf(v, withAud({"http://org.wso2.apimgt/gateway", 5})), "jwt.malformed_claim");
  EXPECT_EQ(reasonOf(v, makeToken(rsaKey(), header("RS256"), basePayload())),
            "jwt.audience_mismatch");
  // No audience configured: aud is not checked.
  EXPECT_EQ(reasonOf(open, withAud("anything")), "ok");
  EXPECT_EQ(reasonOf(open, makeToken(rsaKey(), header("RS256"), basePayload())), "ok");
}

// Row 15
TEST(AttackRow15, DuplicateClaimsRejected) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  const std::string h = header("RS256").dump();
  const std::string iss = std::string("\"") + kIssuer + "\"";
  const std::string exp = std::to_string(kNowS + 3600);
  const std::string dup_iss = R"({"iss":)" + iss + R"(,"exp":)" + exp + R"(,"iss":"https://evil"})";
  const std::string dup_sub =
      R"({"iss":)" + iss + R"(,"exp":)" + exp + R"(,"sub":"alice","sub":"admin"})";
  const std::string dup_exp = R"({"iss":)" + iss + R"(,"exp":1,"exp":)" + exp + "}";
  for (const auto& payload : {dup_iss, dup_sub, dup_exp})
    EXPECT_EQ(reasonOf(v, makeTokenText(rsaKey(), "RS256", h, payload)), "jwt.malformed");
  const std::string dup_alg = R"({"alg":"none","alg":"RS256"})";
  EXPECT_EQ(reasonOf(v, makeTokenText(rsaKey(), "RS256", dup_alg, basePayload().dump())),
            "jwt.malformed");
}

TEST(AttackRow15, DeepNestingRejectedWithBoundedStack) {
  const std::string h = header("RS256").dump();
  const std::string deep = R"({"iss":")" + std::string(kIssuer) + R"(","x":)" +
                           std::string(10000, '[') + std::string(10000, ']') + "}";
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  EXPECT_EQ(reasonOf(v, makeTokenText(rsaKey(), "RS256", h, deep)), "jwt.oversize");
  VerifierOptions options;
  options.limits.max_token_bytes = 1 << 20;
  const Verifier roomy = makeVerifier(certKeys(rsaKey()), issuerConfig(), options);
  EXPECT_EQ(reasonOf(roomy, makeTokenText(rsaKey(), "RS256", h, deep)), "jwt.malformed");
  const std::string deep_obj = R"({"iss":")" + std::string(kIssuer) + R"(","x":)" + [] {
    std::string s;
    for (int i = 0; i < 5000; ++i)
      s += R"({"a":)";
    s += "1";
    s += std::string(5000, '}');
    return s;
  }() + "}";
  EXPECT_EQ(reasonOf(roomy, makeTokenText(rsaKey(), "RS256", h, deep_obj)), "jwt.malformed");
}

TEST(AttackRow15, InvalidUtf8Rejected) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  const std::string h = header("RS256").dump();
  const std::string exp = std::to_string(kNowS + 3600);
  for (const char* bad : {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82"}) {
    const std::string payload =
        R"({"iss":")" + std::string(kIssuer) + R"(","exp":)" + exp + R"(,"sub":")" + bad + "\"}";
    EXPECT_EQ(reasonOf(v, makeTokenText(rsaKey(), "RS256", h, payload)), "jwt.malformed");
  }
  EXPECT_EQ(reasonOf(v, makeTokenText(rsaKey(), "RS256", "{\"alg\":\"RS256\xff\"}",
                                      basePayload().dump())),
            "jwt.malformed");
  // Not JSON objects at all.
  for (const char* payload : {"[]", "\"x\"", "null", "{", "{}x"})
    EXPECT_EQ(reasonOf(v, makeTokenText(rsaKey(), "RS256", h, payload)), "jwt.malformed");
}

// Row 18
class SetRevocation : public RevocationSet {
 public:
  bool isRevoked(std::string_view key) const override {
    return revoked.count(std::string(key)) != 0;
  }
  std::unordered_set<std::string> revoked;
};

TEST(AttackRow18, RevokedJtiRejectedOnMissAndHit) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  Json p = basePayload();
  p["jti"] = "jti-1";
  const std::string token = makeToken(rsaKey(), header("RS256"), p);
  TokenCache cache;
  SetRevocation revoked;
  ASSERT_TRUE(verifyCached(v, token, kNowMs, &cache, &revoked).ok());
  ASSERT_EQ(cache.size(), 1u);
  revoked.revoked.insert("jti-1");
  auto hit = verifyCached(v, token, kNowMs, &cache, &revoked);
  ASSERT_FALSE(hit.ok());
  EXPECT_EQ(hit.error().reason, "jwt.revoked");
  EXPECT_EQ(cache.size(), 0u);
  auto miss = verifyCached(v, token, kNowMs, &cache, &revoked);
  ASSERT_FALSE(miss.ok());
  EXPECT_EQ(miss.error().reason, "jwt.revoked");
  EXPECT_EQ(cache.size(), 0u);
}

TEST(AttackRow18, RevokedSignatureRejectedInEverySpelling) {
  const Verifier v = makeVerifier(certKeys(rsaKey()));
  const std::string token = makeToken(rsaKey(), header("RS256"), basePayload());
  SetRevocation revoked;
  revoked.revoked.insert(segment(token, 2));
  TokenCache cache;
  EXPECT_EQ(verifyCached(v, token, kNowMs, &cache, &revoked).error().reason, "jwt.revoked");
  EXPECT_EQ(verifyCached(v, token + "==", kNowMs, &cache, &revoked).error().reason, "jwt.revoked");
  EXPECT_EQ(verifyCached(v, token, kNowMs, nullptr, &revoked).error().reason, "jwt.revoked");
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace mgw::jwt
