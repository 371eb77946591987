#include "filters/jwt/jwt.h"

#include <utility>

#include "filters/jwt/base64url.h"
#include "filters/jwt/json_strict.h"

namespace mgw::jwt {

Result<Jwt> parseJwt(std::string_view token, const JwtLimits& limits) {
  if (token.size() > limits.max_token_bytes)
    return makeError("jwt.oversize", "token exceeds the size limit");
  const size_t dot1 = token.find('.');
  if (dot1 == std::string_view::npos)
    return makeError("jwt.malformed", "not a compact JWS");
  const size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return makeError("jwt.malformed", "a JWS has exactly three segments");
  const std::string_view header_b64 = token.substr(0, dot1);
  const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_b64 = token.substr(dot2 + 1);
  if (header_b64.empty() || payload_b64.empty())
    return makeError("jwt.malformed", "empty segment");
  if (header_b64.size() > (limits.max_header_bytes / 3 + 1) * 4)
    return makeError("jwt.oversize", "header exceeds the size limit");

  Jwt jwt;
  std::string buffer;
  if (!base64UrlDecode(header_b64, buffer))
    return makeError("jwt.malformed", "header is not base64url");
  jwt.header = parseStrictJson(buffer, limits.max_json_depth);
  if (jwt.header.is_discarded() || !jwt.header.is_object())
    return makeError("jwt.malformed", "header is not a JSON object");

  const auto alg_it = jwt.header.find("alg");
  if (alg_it == jwt.header.end() || !alg_it->is_string())
    return makeError("jwt.malformed", "header has no alg");
  const auto alg = parseAlg(alg_it->get_ref<const std::string&>());
  if (!alg)
    return makeError("jwt.alg_not_allowed", "algorithm not allowed");
  jwt.alg = *alg;
  if (jwt.header.contains("crit"))
    return makeError("jwt.crit_unsupported", "critical header parameters are not supported");
  if (const auto kid = jwt.header.find("kid"); kid != jwt.header.end()) {
    if (!kid->is_string() || kid->get_ref<const std::string&>().size() > limits.max_kid_bytes)
      return makeError("jwt.kid_invalid", "kid must be a short string");
    jwt.has_kid = true;
    jwt.kid = kid->get_ref<const std::string&>();
  }

  if (signature_b64.empty())
    return makeError("jwt.malformed", "missing signature");
  if (!base64UrlDecode(signature_b64, jwt.signature))
    return makeError("jwt.malformed", "signature is not base64url");
  jwt.signature_b64 = stripPadding(signature_b64);

  if (!base64UrlDecode(payload_b64, buffer))
    return makeError("jwt.malformed", "payload is not base64url");
  jwt.payload = parseStrictJson(buffer, limits.max_json_depth);
  if (jwt.payload.is_discarded() || !jwt.payload.is_object())
    return makeError("jwt.malformed", "payload is not a JSON object");
  jwt.payload_json = std::move(buffer);

  jwt.signing_input = token.substr(0, dot2);
  return jwt;
}

}  // namespace mgw::jwt
