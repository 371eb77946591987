// Verification keys of ONE issuer: certificates from the trust store (WSO2 `certificateAlias`)
// and/or a JWKS document (RFC 7517). Built once, then shared read-only between worker threads as
// `std::shared_ptr<const KeySet>`; a refresh builds a new set and swaps the pointer.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "filters/jwt/algorithm.h"
#include "mgw/base/result.h"

namespace mgw::jwt {

struct KeyEntry {
  std::string kid;  // JWK `kid`, or the certificate alias
  KeyFamily family = KeyFamily::Rsa;
  std::string curve;       // "P-256" / "P-384" / "P-521" for EC keys
  std::optional<Alg> alg;  // a JWK's `alg` pins the one algorithm the key may verify
  // Certificate keys are tried even when the token's `kid` names no key: WSO2 (Ballerina 1.2) with
  // `certificateAlias` ignores `kid` and verifies with the configured certificate.
  bool fallback = false;
  std::string x5t;  // WSO2 thumbprint (certificates only): base64url('='-padded) of hex SHA-1
  std::shared_ptr<EVP_PKEY> pkey;  // read-only after construction; safe to share across threads
};

class KeySet {
 public:
  // A PEM "CERTIFICATE" (the usual trust-store entry) or, failing that, a PEM "PUBLIC KEY".
  // Certificates also get their WSO2 x5t; the key is found by alias, x5t (padded or not), or as
  // the fallback key. Reasons: keyset.bad_pem, keyset.unsupported_key, keyset.weak_key,
  // keyset.duplicate_kid.
  Status addCertificatePem(std::string_view alias, std::string_view pem);
  // Same for a certificate already parsed by the trust-store loader (not taken over).
  Status addCertificate(std::string_view alias, X509* cert);
  Status addPublicKey(std::string_view alias, EVP_PKEY* pkey);  // up-ref'd, not taken over

  // Adds the usable keys of a JWKS document (RSA n/e; EC P-256/384/521 x/y; OKP Ed25519 x).
  // Keys with an unknown `kty`/`crv`, `use` other than "sig", a non-signature or mismatching
  // `alg`, bad encodings, RSA moduli under 2048 bits or a duplicate `kid` are skipped with a
  // warning (RFC 7517 §5: ignore what is not understood). Reasons: jwks.malformed (not a JSON
  // object with a "keys" array), jwks.no_usable_keys.
  Status addJwks(std::string_view json);
  static Result<std::shared_ptr<const KeySet>> fromJwks(std::string_view json);

  // The key registered under `kid` (JWK kid, certificate alias or x5t), or nullptr.
  const KeyEntry* findKid(std::string_view kid) const;
  const std::vector<KeyEntry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  Status addEntry(KeyEntry entry, std::vector<std::string> extra_names);
  Status addJwk(const nlohmann::json& jwk);

  std::vector<KeyEntry> entries_;
  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> by_name_;
};

// The WSO2 `x5t` of a certificate: base64url with '=' padding (Java's Base64.getUrlEncoder()) of
// the lowercase hex SHA-1 of its DER encoding, as MGWJWTGeneratorImpl writes it.
std::string wso2Thumbprint(X509* cert);

}  // namespace mgw::jwt
