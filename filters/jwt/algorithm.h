// JWS algorithms we verify (RFC 7518 §3.1, RFC 8037 §3.1) and the key family each one needs.
#pragma once

#include <optional>
#include <string_view>

namespace mgw::jwt {

// Only asymmetric algorithms: the gateway never holds an issuer's HMAC secret, and accepting HS*
// with a public key as the secret is the classic key-confusion attack (RFC 8725 §2.1, §3.1).
// `none` is never accepted in any spelling.
enum class Alg { RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA };

// The kind of public key an algorithm verifies with. The configured key decides the family; a
// token naming another family is rejected before any crypto (catalogue §6 rows 2-3).
enum class KeyFamily { Rsa, Ec, Ed25519 };

// Exact, case-sensitive match of the JOSE `alg` value (RFC 7515 §4.1.1: case-sensitive).
std::optional<Alg> parseAlg(std::string_view name);
std::string_view algName(Alg alg);
KeyFamily algFamily(Alg alg);
// SHA-2 digest name ("SHA256"...) for RS/PS/ES; empty for EdDSA (pure Ed25519 hashes internally).
std::string_view algDigest(Alg alg);
// Size of one ECDSA integer (R or S) for ES* (RFC 7518 §3.4), 0 otherwise.
size_t ecCoordinateSize(Alg alg);
// OpenSSL group name an ES* algorithm requires ("P-256"...), empty otherwise.
std::string_view ecCurveFor(Alg alg);

}  // namespace mgw::jwt
