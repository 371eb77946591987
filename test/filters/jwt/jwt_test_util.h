// Test helpers: mint keys, certificates, JWKs and signed tokens with OpenSSL.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "filters/jwt/verifier.h"

namespace mgw::jwt::testing {

using Pkey = std::shared_ptr<EVP_PKEY>;

Pkey makeRsa(int bits = 2048);
Pkey makeEc(const char* curve);  // "P-256", "P-384", "P-521"
Pkey makeEd25519();

// Process-wide keys, generated once (RSA generation is slow): index selects distinct keys.
EVP_PKEY* rsaKey(int index = 0);
EVP_PKEY* ecKey(const char* curve);
EVP_PKEY* edKey();

std::string publicKeyPem(EVP_PKEY* key);
std::string publicKeyDer(EVP_PKEY* key);
std::string selfSignedCertPem(EVP_PKEY* key, const char* cn = "test");
// Public JWK of `key` (kid and alg members only when non-empty).
nlohmann::json publicJwk(EVP_PKEY* key, std::string_view kid, std::string_view alg = {});

std::string b64(std::string_view bytes);  // base64url without padding
// Signature bytes as JWS wants them (ES*: raw R||S). `alg` one of RS/PS/ES*/EdDSA.
std::string signRaw(EVP_PKEY* key, std::string_view alg, std::string_view input);
// ES*: the DER signature OpenSSL produces natively (to test that DER is rejected).
std::string signDer(EVP_PKEY* key, std::string_view alg, std::string_view input);
std::string hmacSha256(std::string_view key, std::string_view input);

// "<b64(header)>.<b64(payload)>.<b64(sig)>" signed with header["alg"].
std::string makeToken(EVP_PKEY* key, const nlohmann::json& header, const nlohmann::json& payload);
// Same from header and payload JSON text (for duplicate members and odd encodings).
std::string makeTokenText(EVP_PKEY* key, std::string_view alg, std::string_view header_text,
                          std::string_view payload_text);

// Fixed clock for tests: 2023-11-14T22:13:20Z.
constexpr int64_t kNowMs = 1'700'000'000'000;
constexpr int64_t kNowS = kNowMs / 1000;
constexpr const char* kIssuer = "https://localhost:9443/oauth2/token";

// {"iss": kIssuer, "sub": "admin", "exp": now + 1 h, "iat": now}
nlohmann::json basePayload();
nlohmann::json header(std::string_view alg, std::string_view kid = {});
// A KeySet holding `key` as a certificate (alias "wso2apim310").
std::shared_ptr<const KeySet> certKeys(EVP_PKEY* key, const char* alias = "wso2apim310");
IssuerConfig issuerConfig(std::string issuer = kIssuer);
Verifier makeVerifier(std::shared_ptr<const KeySet> keys, IssuerConfig config = issuerConfig(),
                      VerifierOptions options = {});
// Error reason of verifying `token` at kNowMs, or "ok".
std::string reasonOf(const Verifier& verifier, std::string_view token);

}  // namespace mgw::jwt::testing
