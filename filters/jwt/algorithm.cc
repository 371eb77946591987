#include "filters/jwt/algorithm.h"

#include <array>

namespace mgw::jwt {
namespace {

struct AlgInfo {
  Alg alg;
  std::string_view name;
  KeyFamily family;
  std::string_view digest;
  size_t ec_size;
  std::string_view curve;
};

constexpr std::array<AlgInfo, 10> kAlgs{{
    {Alg::RS256, "RS256", KeyFamily::Rsa, "SHA256", 0, ""},
    {Alg::RS384, "RS384", KeyFamily::Rsa, "SHA384", 0, ""},
    {Alg::RS512, "RS512", KeyFamily::Rsa, "SHA512", 0, ""},
    {Alg::PS256, "PS256", KeyFamily::Rsa, "SHA256", 0, ""},
    {Alg::PS384, "PS384", KeyFamily::Rsa, "SHA384", 0, ""},
    {Alg::PS512, "PS512", KeyFamily::Rsa, "SHA512", 0, ""},
    {Alg::ES256, "ES256", KeyFamily::Ec, "SHA256", 32, "P-256"},
    {Alg::ES384, "ES384", KeyFamily::Ec, "SHA384", 48, "P-384"},
    {Alg::ES512, "ES512", KeyFamily::Ec, "SHA512", 66, "P-521"},
    {Alg::EdDSA, "EdDSA", KeyFamily::Ed25519, "", 0, ""},
}};

const AlgInfo& info(Alg alg) {
  return kAlgs[static_cast<size_t>(alg)];
}

}  // namespace

std::optional<Alg> parseAlg(std::string_view name) {
  for (const auto& a : kAlgs) {
    if (a.name == name)
      return a.alg;
  }
  return std::nullopt;
}

std::string_view algName(Alg alg) {
  return info(alg).name;
}
KeyFamily algFamily(Alg alg) {
  return info(alg).family;
}
std::string_view algDigest(Alg alg) {
  return info(alg).digest;
}
size_t ecCoordinateSize(Alg alg) {
  return info(alg).ec_size;
}
std::string_view ecCurveFor(Alg alg) {
  return info(alg).curve;
}

}  // namespace mgw::jwt
