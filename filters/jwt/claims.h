// Registered-claim checks (RFC 7519 §4.1): exp, nbf, iat, aud. Issuer matching lives in the
// Verifier because it selects the issuer configuration and its keys.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mgw/base/result.h"

namespace mgw::jwt {

struct TimePolicy {
  int64_t skew_ms = 5000;   // WSO2 `[keyManager] timestampSkew` (ms)
  bool require_exp = true;  // Ballerina 1.2 rejects a JWT without exp; API keys may not have one
};

struct TimeClaims {
  std::optional<int64_t> exp_s;  // seconds since the epoch
  std::optional<int64_t> nbf_s;
  std::optional<int64_t> iat_ms;  // normalised to milliseconds, see checkTimes
};

// Validates exp/nbf/iat against `now_ms`, each tolerating `skew_ms`:
//   exp: reject when now >= exp + skew (RFC 7519 §4.1.4); missing → reject if require_exp;
//   nbf: reject when now + skew < nbf (§4.1.5);
//   iat: WSO2 test tokens carry iat in milliseconds, so a value above 1e11 (year 5138 in seconds,
//        1973 in milliseconds) is read as milliseconds. An iat later than now + skew is rejected
//        (catalogue §6 row 12: a token cannot be issued in the future); there is no max-age rule.
// NumericDates must be JSON integers within ±1e15: strings, floats (1.5, 1e300) and huge values
// are "jwt.malformed_claim" (RFC 7519 §2 allows fractions; WSO2 and every issuer we know emit
// integers, and rejecting avoids float edge cases). Reasons: jwt.expired, jwt.not_yet_valid,
// jwt.iat_in_future, jwt.missing_exp, jwt.malformed_claim.
Result<TimeClaims> checkTimes(const nlohmann::json& payload, int64_t now_ms,
                              const TimePolicy& policy);

// `aud` (a string or an array of strings, RFC 7519 §4.1.3) must contain one of `audiences`
// (exact match). No configured audience: not checked. Configured but `aud` missing or of another
// type: rejected. Reasons: jwt.audience_mismatch, jwt.malformed_claim.
Status checkAudience(const nlohmann::json& payload, const std::vector<std::string>& audiences);

}  // namespace mgw::jwt
