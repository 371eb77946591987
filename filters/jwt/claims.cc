#include "filters/jwt/claims.h"

#include <algorithm>

namespace mgw::jwt {
namespace {

constexpr int64_t kMaxNumericDate = 1'000'000'000'000'000;  // 1e15: x1000 still fits in int64
constexpr int64_t kIatMillisThreshold = 100'000'000'000;    // 1e11
constexpr int64_t kMaxSkewMs = 1'000'000'000'000;           // ~31 years

enum class Date { Absent, Ok, Malformed };

Date numericDate(const nlohmann::json& payload, const char* name, int64_t& out) {
  const auto it = payload.find(name);
  if (it == payload.end())
    return Date::Absent;
  if (it->is_number_unsigned()) {
    const auto v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(kMaxNumericDate))
      return Date::Malformed;
    out = static_cast<int64_t>(v);
    return Date::Ok;
  }
  if (it->is_number_integer()) {
    const auto v = it->get<int64_t>();
    if (v > kMaxNumericDate || v < -kMaxNumericDate)
      return Date::Malformed;
    out = v;
    return Date::Ok;
  }
  return Date::Malformed;
}

}  // namespace

Result<TimeClaims> checkTimes(const nlohmann::json& payload, int64_t now_ms,
                              const TimePolicy& policy) {
  TimeClaims times;
  // Clamped so that a silly configuration cannot overflow the arithmetic below.
  const int64_t skew = std::clamp<int64_t>(policy.skew_ms, 0, kMaxSkewMs);
  int64_t value = 0;
  switch (numericDate(payload, "exp", value)) {
    case Date::Malformed:
      return makeError("jwt.malformed_claim", "exp is not an integer NumericDate");
    case Date::Absent:
      if (policy.require_exp)
        return makeError("jwt.missing_exp", "token has no exp");
      break;
    case Date::Ok:
      if (now_ms >= value * 1000 + skew)
        return makeError("jwt.expired", "token expired");
      times.exp_s = value;
      break;
  }
  switch (numericDate(payload, "nbf", value)) {
    case Date::Malformed:
      return makeError("jwt.malformed_claim", "nbf is not an integer NumericDate");
    case Date::Absent:
      break;
    case Date::Ok:
      if (now_ms + skew < value * 1000)
        return makeError("jwt.not_yet_valid", "token not yet valid");
      times.nbf_s = value;
      break;
  }
  switch (numericDate(payload, "iat", value)) {
    case Date::Malformed:
      return makeError("jwt.malformed_claim", "iat is not an integer NumericDate");
    case Date::Absent:
      break;
    case Date::Ok: {
      const int64_t iat_ms = value > kIatMillisThreshold ? value : value * 1000;
      if (iat_ms > now_ms + skew)
        return makeError("jwt.iat_in_future", "token issued in the future");
      times.iat_ms = iat_ms;
      break;
    }
  }
  return times;
}

Status checkAudience(const nlohmann::json& payload, const std::vector<std::string>& audiences) {
  if (audiences.empty())
    return {};
  const auto aud = payload.find("aud");
  if (aud == payload.end())
    return makeError("jwt.audience_mismatch", "token has no aud");
  auto matches = [&](const nlohmann::json& v) {
    if (!v.is_string())
      return false;
    for (const auto& want : audiences) {
      if (v.get_ref<const std::string&>() == want)
        return true;
    }
    return false;
  };
  if (aud->is_string())
    return matches(*aud) ? Status{} : makeError("jwt.audience_mismatch", "aud does not match");
  if (!aud->is_array())
    return makeError("jwt.malformed_claim", "aud is neither a string nor an array");
  for (const auto& v : *aud) {
    if (!v.is_string())
      return makeError("jwt.malformed_claim", "aud array holds a non-string");
  }
  for (const auto& v : *aud) {
    if (matches(v))
      return {};
  }
  return makeError("jwt.audience_mismatch", "aud does not match");
}

}  // namespace mgw::jwt
