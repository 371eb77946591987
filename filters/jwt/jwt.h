// Structural parsing of a compact JWS (RFC 7515 §7.1) carrying a JWT (RFC 7519). No crypto here:
// these are the cheap checks that run before any signature work.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "filters/jwt/algorithm.h"
#include "mgw/base/result.h"

namespace mgw::jwt {

struct JwtLimits {
  size_t max_token_bytes = 16384;  // WSO2 APIM tokens with many subscribedAPIs run to a few KiB
  size_t max_header_bytes = 2048;  // decoded JOSE header
  size_t max_kid_bytes = 256;
  int max_json_depth = 64;
};

// A parsed, NOT yet verified token. The string_views point into the caller's token string, which
// must outlive this value.
struct Jwt {
  std::string_view signing_input;  // "<header>.<payload>" exactly as received (RFC 7515 §5.2)
  std::string_view signature_b64;  // third segment without '=' padding: its canonical spelling
  Alg alg = Alg::RS256;
  bool has_kid = false;
  std::string kid;        // opaque map key, never a path, URL or query (RFC 8725 §3.10)
  std::string signature;  // decoded signature bytes
  nlohmann::json header;
  nlohmann::json payload;
  std::string payload_json;  // the decoded payload text that `payload` was parsed from
};

// Reason tokens (Error::reason): jwt.oversize, jwt.malformed, jwt.alg_not_allowed,
// jwt.crit_unsupported, jwt.kid_invalid.
//
// Rules: exactly three non-empty segments (a JWE's five are rejected: we do not decrypt), strict
// base64url (see base64url.h), header and payload strict JSON objects (json_strict.h), `alg` on
// the asymmetric allow-list, no `crit` (we understand no extension, RFC 7515 §4.1.11 says
// reject), `kid` a bounded string. `jku`, `x5u`, `x5c` and `jwk` are ignored: keys come only from
// configuration, never from the token (RFC 8725 §3.10).
Result<Jwt> parseJwt(std::string_view token, const JwtLimits& limits = {});

}  // namespace mgw::jwt
