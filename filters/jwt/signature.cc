#include "filters/jwt/signature.h"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include <array>
#include <memory>

namespace mgw::jwt {
namespace {

struct MdFree {
  void operator()(EVP_MD* p) const { EVP_MD_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};

// Digests fetched once: implicit fetching by name on every verification costs a provider lookup.
const EVP_MD* digestFor(Alg alg) {
  static const std::array<std::unique_ptr<EVP_MD, MdFree>, 3> kDigests{
      std::unique_ptr<EVP_MD, MdFree>(EVP_MD_fetch(nullptr, "SHA256", nullptr)),
      std::unique_ptr<EVP_MD, MdFree>(EVP_MD_fetch(nullptr, "SHA384", nullptr)),
      std::unique_ptr<EVP_MD, MdFree>(EVP_MD_fetch(nullptr, "SHA512", nullptr)),
  };
  const std::string_view name = algDigest(alg);
  if (name == "SHA256")
    return kDigests[0].get();
  if (name == "SHA384")
    return kDigests[1].get();
  if (name == "SHA512")
    return kDigests[2].get();
  return nullptr;
}

// One EVP_MD_CTX per thread, reset after each use.
EVP_MD_CTX* threadContext() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

// Appends a DER INTEGER (X.690 §8.3) holding the unsigned big-endian `value`.
size_t derInteger(std::string_view value, unsigned char* out) {
  while (value.size() > 1 && value.front() == '\0')
    value.remove_prefix(1);
  const bool pad = (static_cast<unsigned char>(value.front()) & 0x80) != 0;
  const size_t len = value.size() + (pad ? 1 : 0);
  size_t n = 0;
  out[n++] = 0x02;
  out[n++] = static_cast<unsigned char>(len);  // <= 67 bytes: short form
  if (pad)
    out[n++] = 0x00;
  for (char c : value)
    out[n++] = static_cast<unsigned char>(c);
  return n;
}

bool allZero(std::string_view bytes) {
  for (char c : bytes) {
    if (c != '\0')
      return false;
  }
  return true;
}

// Raw R||S (RFC 7518 §3.4) to the DER ECDSA-Sig-Value OpenSSL verifies (RFC 3279 §2.2.3).
// Returns the DER length, 0 when the raw form is invalid.
size_t rawToDer(std::string_view raw, size_t coordinate, unsigned char* out, size_t out_size) {
  if (raw.size() != 2 * coordinate)
    return 0;
  const std::string_view r = raw.substr(0, coordinate);
  const std::string_view s = raw.substr(coordinate);
  if (allZero(r) || allZero(s))
    return 0;
  unsigned char body[2 * (2 + 67)];
  size_t body_len = derInteger(r, body);
  body_len += derInteger(s, body + body_len);
  const size_t header = body_len < 128 ? 2 : 3;
  if (header + body_len > out_size)
    return 0;
  size_t n = 0;
  out[n++] = 0x30;
  if (body_len >= 128)
    out[n++] = 0x81;
  out[n++] = static_cast<unsigned char>(body_len);
  for (size_t i = 0; i < body_len; ++i)
    out[n++] = body[i];
  return n;
}

bool keyFits(const KeyEntry& key, Alg alg) {
  if (!key.pkey || key.family != algFamily(alg))
    return false;
  if (key.alg && *key.alg != alg)
    return false;
  if (key.family == KeyFamily::Ec && key.curve != ecCurveFor(alg))
    return false;
  return true;
}

}  // namespace

bool verifySignature(const KeyEntry& key, Alg alg, std::string_view signing_input,
                     std::string_view signature) {
  if (!keyFits(key, alg))
    return false;
  unsigned char der[160];
  const unsigned char* sig = reinterpret_cast<const unsigned char*>(signature.data());
  size_t sig_len = signature.size();
  if (key.family == KeyFamily::Ec) {
    sig_len = rawToDer(signature, ecCoordinateSize(alg), der, sizeof(der));
    if (sig_len == 0)
      return false;
    sig = der;
  }
  EVP_MD_CTX* ctx = threadContext();
  if (ctx == nullptr)
    return false;
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(ctx, &pctx, digestFor(alg), nullptr, key.pkey.get()) == 1;
  if (ok && (alg == Alg::PS256 || alg == Alg::PS384 || alg == Alg::PS512)) {
    // RFC 7518 §3.5: MGF1 with the same hash, salt length equal to the hash output size.
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, digestFor(alg)) == 1;
  }
  if (ok) {
    ok = EVP_DigestVerify(ctx, sig, sig_len,
                          reinterpret_cast<const unsigned char*>(signing_input.data()),
                          signing_input.size()) == 1;
  }
  EVP_MD_CTX_reset(ctx);
  if (!ok)
    ERR_clear_error();
  return ok;
}

}  // namespace mgw::jwt
