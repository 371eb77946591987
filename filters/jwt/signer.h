// Signing side of the gateway's own JWTs (API keys from /apikey, the backend JWT): the RS256
// signature of a JWS signing input (RFC 7515 §5.1, RFC 7518 §3.3) and the random `jti`.
#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>

namespace mgw::jwt {

// RSASSA-PKCS1-v1_5 with SHA-256 over `input`, raw bytes; "" when the key cannot sign.
std::string signRs256(EVP_PKEY* key, std::string_view input);
// A random (version 4) UUID in its 8-4-4-4-12 text form, as Java's UUID.randomUUID().
std::string randomUuid();

}  // namespace mgw::jwt
