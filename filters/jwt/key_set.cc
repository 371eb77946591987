#include "filters/jwt/key_set.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "filters/jwt/base64url.h"
#include "filters/jwt/json_strict.h"
#include "mgw/base/log.h"
#include "mgw/base/strings.h"

namespace mgw::jwt {
namespace {

constexpr int kMinRsaBits = 2048;   // RFC 7518 §3.3
constexpr int kMaxRsaBits = 16384;  // bounds the cost of one verification
constexpr size_t kMaxJwksKeys = 256;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};

std::shared_ptr<EVP_PKEY> share(EVP_PKEY* p) {
  return std::shared_ptr<EVP_PKEY>(p, PkeyFree{});
}

// Classifies an OpenSSL key into the families we verify with, enforcing key-size rules.
Status classify(EVP_PKEY* pkey, KeyEntry& entry) {
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA: {
      const int bits = EVP_PKEY_get_bits(pkey);
      if (bits < kMinRsaBits || bits > kMaxRsaBits)
        return makeError("keyset.weak_key", "RSA key size must be 2048..16384 bits");
      entry.family = KeyFamily::Rsa;
      return {};
    }
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t len = 0;
      if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &len) != 1)
        return makeError("keyset.unsupported_key", "EC key without a named curve");
      const std::string_view name(group, len);
      if (name == "prime256v1" || name == "P-256")
        entry.curve = "P-256";
      else if (name == "secp384r1" || name == "P-384")
        entry.curve = "P-384";
      else if (name == "secp521r1" || name == "P-521")
        entry.curve = "P-521";
      else
        return makeError("keyset.unsupported_key", "EC curve not supported for JWS");
      entry.family = KeyFamily::Ec;
      return {};
    }
    case EVP_PKEY_ED25519:
      entry.family = KeyFamily::Ed25519;
      return {};
    default:
      return makeError("keyset.unsupported_key", "key type not supported for JWS");
  }
}

std::shared_ptr<EVP_PKEY> fromParams(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1)
    return nullptr;
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return nullptr;
  return share(pkey);
}

bool decodeMember(const nlohmann::json& jwk, const char* name, std::string& out) {
  const auto it = jwk.find(name);
  return it != jwk.end() && it->is_string() &&
         base64UrlDecode(it->get_ref<const std::string&>(), out) && !out.empty();
}

Result<std::shared_ptr<EVP_PKEY>> rsaFromJwk(const nlohmann::json& jwk) {
  std::string n, e;
  if (!decodeMember(jwk, "n", n) || !decodeMember(jwk, "e", e))
    return makeError("jwks.bad_key", "RSA key needs base64url n and e");
  if (e.size() > 8)
    return makeError("jwks.bad_key", "RSA exponent too large");
  std::unique_ptr<BIGNUM, BnFree> bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                                                 static_cast<int>(n.size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                                                 static_cast<int>(e.size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld || BN_num_bits(bn_n.get()) > kMaxRsaBits ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
    return makeError("jwks.bad_key", "RSA parameters rejected");
  auto pkey = fromParams("RSA", bld.get());
  if (!pkey)
    return makeError("jwks.bad_key", "RSA parameters rejected");
  return pkey;
}

Result<std::shared_ptr<EVP_PKEY>> ecFromJwk(const nlohmann::json& jwk, std::string& curve) {
  const auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string())
    return makeError("jwks.bad_key", "EC key needs crv");
  const auto& name = crv->get_ref<const std::string&>();
  size_t size = 0;
  if (name == "P-256")
    size = 32;
  else if (name == "P-384")
    size = 48;
  else if (name == "P-521")
    size = 66;
  else
    return makeError("jwks.unsupported_key", "EC curve not supported");
  std::string x, y;
  // RFC 7518 §6.2.1.2-3: coordinates are exactly the field size, leading zeros included.
  if (!decodeMember(jwk, "x", x) || !decodeMember(jwk, "y", y) || x.size() != size ||
      y.size() != size)
    return makeError("jwks.bad_key", "EC coordinates must be base64url of the field size");
  std::string point;
  point.reserve(1 + 2 * size);
  point.push_back('\x04');  // SEC 1 §2.3.3 uncompressed point
  point += x;
  point += y;
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, name.c_str(), 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1)
    return makeError("jwks.bad_key", "EC parameters rejected");
  // Decoding the point checks it lies on the curve.
  auto pkey = fromParams("EC", bld.get());
  if (!pkey)
    return makeError("jwks.bad_key", "EC point rejected");
  curve = name;
  return pkey;
}

Result<std::shared_ptr<EVP_PKEY>> okpFromJwk(const nlohmann::json& jwk) {
  const auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string() || *crv != "Ed25519")
    return makeError("jwks.unsupported_key", "only Ed25519 OKP keys are supported");
  std::string x;
  if (!decodeMember(jwk, "x", x) || x.size() != 32)
    return makeError("jwks.bad_key", "Ed25519 x must be 32 bytes");
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size());
  if (!pkey)
    return makeError("jwks.bad_key", "Ed25519 key rejected");
  return share(pkey);
}

}  // namespace

std::string wso2Thumbprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha1(), md, &len) != 1)
    return {};
  const std::string hex = hexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
  std::string out = base64UrlEncode(hex);
  while (out.size() % 4 != 0)
    out.push_back('=');
  return out;
}

Status KeySet::addEntry(KeyEntry entry, std::vector<std::string> extra_names) {
  if (by_name_.count(entry.kid) != 0)
    return makeError("keyset.duplicate_kid", "a key with this kid or alias already exists");
  const size_t index = entries_.size();
  if (!entry.kid.empty())
    by_name_.emplace(entry.kid, index);
  for (auto& name : extra_names) {
    if (!name.empty())
      by_name_.emplace(std::move(name), index);  // keeps the first owner of a name
  }
  entries_.push_back(std::move(entry));
  return {};
}

Status KeySet::addPublicKey(std::string_view alias, EVP_PKEY* pkey) {
  if (pkey == nullptr)
    return makeError("keyset.bad_pem", "no key");
  KeyEntry entry;
  entry.kid = std::string(alias);
  entry.fallback = true;
  if (auto s = classify(pkey, entry); !s)
    return s;
  EVP_PKEY_up_ref(pkey);
  entry.pkey = share(pkey);
  return addEntry(std::move(entry), {});
}

Status KeySet::addCertificate(std::string_view alias, X509* cert) {
  if (cert == nullptr)
    return makeError("keyset.bad_pem", "no certificate");
  EVP_PKEY* pkey = X509_get0_pubkey(cert);
  if (pkey == nullptr) {
    ERR_clear_error();
    return makeError("keyset.unsupported_key", "certificate public key unreadable");
  }
  KeyEntry entry;
  entry.kid = std::string(alias);
  entry.fallback = true;
  if (auto s = classify(pkey, entry); !s)
    return s;
  EVP_PKEY_up_ref(pkey);
  entry.pkey = share(pkey);
  entry.x5t = wso2Thumbprint(cert);
  std::vector<std::string> names{entry.x5t, std::string(stripPadding(entry.x5t))};
  return addEntry(std::move(entry), std::move(names));
}

Status KeySet::addCertificatePem(std::string_view alias, std::string_view pem) {
  if (pem.size() > static_cast<size_t>(INT32_MAX))
    return makeError("keyset.bad_pem", "PEM too large");
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio)
    return makeError("keyset.bad_pem", "out of memory");
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert) {
    ERR_clear_error();
    return addCertificate(alias, cert.get());
  }
  ERR_clear_error();
  std::unique_ptr<BIO, BioFree> bio2(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
      bio2 ? PEM_read_bio_PUBKEY(bio2.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  if (!pkey)
    return makeError("keyset.bad_pem", "neither a PEM certificate nor a PEM public key");
  return addPublicKey(alias, pkey.get());
}

Status KeySet::addJwk(const nlohmann::json& jwk) {
  if (!jwk.is_object())
    return makeError("jwks.bad_key", "a JWK is a JSON object");
  const auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string())
    return makeError("jwks.bad_key", "JWK without kty");
  if (const auto use = jwk.find("use"); use != jwk.end() && (!use->is_string() || *use != "sig"))
    return makeError("jwks.unsupported_key", "JWK not meant for signatures");
  KeyEntry entry;
  if (const auto kid = jwk.find("kid"); kid != jwk.end()) {
    if (!kid->is_string())
      return makeError("jwks.bad_key", "kid must be a string");
    entry.kid = kid->get_ref<const std::string&>();
  }
  if (const auto alg = jwk.find("alg"); alg != jwk.end()) {
    if (!alg->is_string())
      return makeError("jwks.bad_key", "alg must be a string");
    entry.alg = parseAlg(alg->get_ref<const std::string&>());
    if (!entry.alg)
      return makeError("jwks.unsupported_key", "JWK alg is not an accepted signature algorithm");
  }
  Result<std::shared_ptr<EVP_PKEY>> pkey = makeError("jwks.unsupported_key", "unknown kty");
  const auto& type = kty->get_ref<const std::string&>();
  if (type == "RSA")
    pkey = rsaFromJwk(jwk);
  else if (type == "EC")
    pkey = ecFromJwk(jwk, entry.curve);
  else if (type == "OKP")
    pkey = okpFromJwk(jwk);
  ERR_clear_error();
  if (!pkey)
    return pkey.error();
  if (auto s = classify(pkey->get(), entry); !s)
    return s;
  if (entry.alg && algFamily(*entry.alg) != entry.family)
    return makeError("jwks.bad_key", "JWK alg does not match its kty");
  if (entry.alg && entry.family == KeyFamily::Ec && ecCurveFor(*entry.alg) != entry.curve)
    return makeError("jwks.bad_key", "JWK alg does not match its curve");
  entry.pkey = std::move(*pkey);
  return addEntry(std::move(entry), {});
}

Status KeySet::addJwks(std::string_view json) {
  const nlohmann::json doc = parseStrictJson(json);
  if (doc.is_discarded() || !doc.is_object())
    return makeError("jwks.malformed", "JWKS is not a JSON object");
  const auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_array())
    return makeError("jwks.malformed", "JWKS has no keys array");
  size_t added = 0;
  size_t seen = 0;
  for (const auto& jwk : *keys) {
    if (++seen > kMaxJwksKeys) {
      log::warn("jwks.too_many_keys", "JWKS keys beyond the limit ignored");
      break;
    }
    if (auto s = addJwk(jwk); !s) {
      const auto kid = jwk.is_object() ? jwk.find("kid") : jwk.end();
      const std::string kid_text = (jwk.is_object() && kid != jwk.end() && kid->is_string())
                                       ? kid->get<std::string>().substr(0, 64)
                                       : std::string();
      log::warn("jwks.key_skipped", s.error().message,
                {{"reason", s.error().reason}, {"kid", kid_text}});
      continue;
    }
    ++added;
  }
  if (added == 0)
    return makeError("jwks.no_usable_keys", "JWKS holds no usable signature key");
  return {};
}

Result<std::shared_ptr<const KeySet>> KeySet::fromJwks(std::string_view json) {
  auto set = std::make_shared<KeySet>();
  if (auto s = set->addJwks(json); !s)
    return s.error();
  return std::shared_ptr<const KeySet>(std::move(set));
}

const KeyEntry* KeySet::findKid(std::string_view kid) const {
  const auto it = by_name_.find(kid);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

}  // namespace mgw::jwt
