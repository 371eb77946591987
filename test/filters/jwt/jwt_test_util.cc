#include "jwt_test_util.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "filters/jwt/base64url.h"

namespace mgw::jwt::testing {
namespace {

Pkey wrap(EVP_PKEY* p) {
  if (p == nullptr)
    throw std::runtime_error("key generation failed");
  return Pkey(p, EVP_PKEY_free);
}

std::string bioText(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

const EVP_MD* mdFor(std::string_view alg) {
  if (alg == "EdDSA")
    return nullptr;
  const std::string_view bits = alg.substr(2);
  if (bits == "256")
    return EVP_sha256();
  if (bits == "384")
    return EVP_sha384();
  return EVP_sha512();
}

std::string bnPad(const BIGNUM* bn, size_t size) {
  std::string out(size, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size));
  return out;
}

}  // namespace

Pkey makeRsa(int bits) {
  return wrap(EVP_RSA_gen(static_cast<unsigned>(bits)));
}
Pkey makeEc(const char* curve) {
  return wrap(EVP_EC_gen(curve));
}
Pkey makeEd25519() {
  return wrap(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
}

EVP_PKEY* rsaKey(int index) {
  static Pkey keys[3] = {makeRsa(), makeRsa(), makeRsa()};
  return keys[index].get();
}

EVP_PKEY* ecKey(const char* curve) {
  static Pkey p256 = makeEc("P-256");
  static Pkey p384 = makeEc("P-384");
  static Pkey p521 = makeEc("P-521");
  const std::string_view c(curve);
  return c == "P-256" ? p256.get() : c == "P-384" ? p384.get() : p521.get();
}

EVP_PKEY* edKey() {
  static Pkey key = makeEd25519();
  return key.get();
}

std::string publicKeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  return bioText(bio);
}

std::string publicKeyDer(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string selfSignedCertPem(EVP_PKEY* key, const char* cn) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  X509_free(cert);
  return bioText(bio);
}

nlohmann::json publicJwk(EVP_PKEY* key, std::string_view kid, std::string_view alg) {
  nlohmann::json jwk;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: {
      BIGNUM* n = nullptr;
      BIGNUM* e = nullptr;
      EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
      EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e);
      jwk = {{"kty", "RSA"},
             {"n", b64(bnPad(n, static_cast<size_t>(BN_num_bytes(n))))},
             {"e", b64(bnPad(e, static_cast<size_t>(BN_num_bytes(e))))}};
      BN_free(n);
      BN_free(e);
      break;
    }
    case EVP_PKEY_EC: {
      char group[32] = {};
      size_t glen = 0;
      EVP_PKEY_get_group_name(key, group, sizeof(group), &glen);
      const std::string g(group, glen);
      const std::string crv = g == "prime256v1" ? "P-256" : g == "secp384r1" ? "P-384" : "P-521";
      const size_t size = crv == "P-256" ? 32 : crv == "P-384" ? 48 : 66;
      BIGNUM* x = nullptr;
      BIGNUM* y = nullptr;
      EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x);
      EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
      jwk = {{"kty", "EC"}, {"crv", crv}, {"x", b64(bnPad(x, size))}, {"y", b64(bnPad(y, size))}};
      BN_free(x);
      BN_free(y);
      break;
    }
    case EVP_PKEY_ED25519: {
      unsigned char raw[32];
      size_t len = sizeof(raw);
      EVP_PKEY_get_raw_public_key(key, raw, &len);
      jwk = {{"kty", "OKP"},
             {"crv", "Ed25519"},
             {"x", b64(std::string_view(reinterpret_cast<char*>(raw), len))}};
      break;
    }
    default:
      throw std::runtime_error("unsupported key");
  }
  if (!kid.empty())
    jwk["kid"] = std::string(kid);
  if (!alg.empty())
    jwk["alg"] = std::string(alg);
  return jwk;
}

std::string b64(std::string_view bytes) {
  return base64UrlEncode(bytes);
}

std::string signDer(EVP_PKEY* key, std::string_view alg, std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(ctx, &pctx, mdFor(alg), nullptr, key) != 1)
    throw std::runtime_error("sign init failed");
  if (alg.substr(0, 2) == "PS") {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t len = 0;
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    throw std::runtime_error("sign failed");
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  return sig;
}

std::string signRaw(EVP_PKEY* key, std::string_view alg, std::string_view input) {
  std::string sig = signDer(key, alg, input);
  if (alg.substr(0, 2) != "ES")
    return sig;
  const size_t size = alg == "ES256" ? 32 : alg == "ES384" ? 48 : 66;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* ec = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  std::string raw = bnPad(ECDSA_SIG_get0_r(ec), size) + bnPad(ECDSA_SIG_get0_s(ec), size);
  ECDSA_SIG_free(ec);
  return raw;
}

std::string hmacSha256(std::string_view key, std::string_view input) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string makeTokenText(EVP_PKEY* key, std::string_view alg, std::string_view header_text,
                          std::string_view payload_text) {
  const std::string input = b64(header_text) + "." + b64(payload_text);
  return input + "." + b64(signRaw(key, alg, input));
}

std::string makeToken(EVP_PKEY* key, const nlohmann::json& header, const nlohmann::json& payload) {
  return makeTokenText(key, header.at("alg").get<std::string>(), header.dump(), payload.dump());
}

nlohmann::json basePayload() {
  return {{"iss", kIssuer}, {"sub", "admin"}, {"exp", kNowS + 3600}, {"iat", kNowS}};
}

nlohmann::json header(std::string_view alg, std::string_view kid) {
  nlohmann::json h = {{"alg", std::string(alg)}, {"typ", "JWT"}};
  if (!kid.empty())
    h["kid"] = std::string(kid);
  return h;
}

std::shared_ptr<const KeySet> certKeys(EVP_PKEY* key, const char* alias) {
  auto set = std::make_shared<KeySet>();
  if (!set->addCertificatePem(alias, selfSignedCertPem(key)).ok())
    throw std::runtime_error("certificate rejected");
  return set;
}

IssuerConfig issuerConfig(std::string issuer) {
  IssuerConfig config;
  config.name = "jwtTokenConfig[0]";
  config.issuer = std::move(issuer);
  return config;
}

Verifier makeVerifier(std::shared_ptr<const KeySet> keys, IssuerConfig config,
                      VerifierOptions options) {
  std::vector<Verifier::Issuer> issuers;
  issuers.push_back(Verifier::Issuer{std::move(config), std::move(keys)});
  return Verifier(std::move(issuers), options);
}

std::string reasonOf(const Verifier& verifier, std::string_view token) {
  auto result = verifier.verify(token, kNowMs);
  return result ? std::string("ok") : result.error().reason;
}

}  // namespace mgw::jwt::testing
