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

bool isPss(Alg alg) {
  return alg == Alg::PS256 || alg == Alg::PS384 || alg == Alg::PS512;
}

// Initialised verification contexts, per thread, for the last few (key, algorithm) pairs.
// Creating an EVP_PKEY_CTX and running EVP_PKEY_verify_init costs about a fifth of an RS256
// verification in OpenSSL 3 (provider and key-manager look-ups); EVP_PKEY_verify may be called
// any number of times on one initialised context (EVP_PKEY_verify(3)). A context holds a
// reference to its key, so a cached key pointer cannot be freed and reused for another key while
// its slot lives. Round-robin replacement bounds what a key rotation leaves behind.
class VerifyContexts {
 public:
  VerifyContexts() = default;
  VerifyContexts(const VerifyContexts&) = delete;
  VerifyContexts& operator=(const VerifyContexts&) = delete;
  ~VerifyContexts() {
    for (auto& slot : slots_)
      EVP_PKEY_CTX_free(slot.ctx);
  }

  // The context for `pkey` and `alg`, initialised for verification; nullptr on failure.
  EVP_PKEY_CTX* get(EVP_PKEY* pkey, Alg alg) {
    for (const auto& slot : slots_) {
      if (slot.ctx != nullptr && slot.pkey == pkey && slot.alg == alg)
        return slot.ctx;
    }
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
    if (ctx == nullptr || !initialise(ctx, alg)) {
      EVP_PKEY_CTX_free(ctx);
      return nullptr;
    }
    Slot& slot = slots_[next_];
    next_ = (next_ + 1) % slots_.size();
    EVP_PKEY_CTX_free(slot.ctx);
    slot = Slot{pkey, alg, ctx};
    return ctx;
  }

 private:
  static bool initialise(EVP_PKEY_CTX* ctx, Alg alg) {
    const EVP_MD* md = digestFor(alg);
    if (EVP_PKEY_verify_init(ctx) != 1)
      return false;
    if (isPss(alg)) {
      // RFC 7518 §3.5: MGF1 with the same hash, salt length equal to the hash output size.
      if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) != 1 ||
          EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
          EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1)
        return false;
    } else if (algFamily(alg) == KeyFamily::Rsa &&
               EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) {
      return false;
    }
    return EVP_PKEY_CTX_set_signature_md(ctx, md) == 1;
  }

  struct Slot {
    EVP_PKEY* pkey = nullptr;
    Alg alg = Alg::RS256;
    EVP_PKEY_CTX* ctx = nullptr;
  };
  std::array<Slot, 8> slots_{};
  size_t next_ = 0;
};

VerifyContexts& threadVerifyContexts() {
  thread_local VerifyContexts contexts;
  return contexts;
}

// EdDSA (RFC 8037 §3.1) signs the message itself, not a digest: one-shot EVP_DigestVerify.
bool verifyEdDsa(EVP_PKEY* pkey, std::string_view signing_input, const unsigned char* sig,
                 size_t sig_len) {
  EVP_MD_CTX* ctx = threadContext();
  if (ctx == nullptr)
    return false;
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx, sig, sig_len,
                             reinterpret_cast<const unsigned char*>(signing_input.data()),
                             signing_input.size()) == 1;
  EVP_MD_CTX_reset(ctx);
  return ok;
}

// RS*, PS* and ES*: the digest of the signing input, then EVP_PKEY_verify on a cached context.
bool verifyDigest(EVP_PKEY* pkey, Alg alg, std::string_view signing_input, const unsigned char* sig,
                  size_t sig_len) {
  const EVP_MD* md = digestFor(alg);
  EVP_MD_CTX* md_ctx = threadContext();
  if (md == nullptr || md_ctx == nullptr)
    return false;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  const bool hashed = EVP_DigestInit_ex2(md_ctx, md, nullptr) == 1 &&
                      EVP_DigestUpdate(md_ctx, signing_input.data(), signing_input.size()) == 1 &&
                      EVP_DigestFinal_ex(md_ctx, digest, &digest_len) == 1;
  EVP_MD_CTX_reset(md_ctx);
  if (!hashed)
    return false;
  EVP_PKEY_CTX* ctx = threadVerifyContexts().get(pkey, alg);
  return ctx != nullptr && EVP_PKEY_verify(ctx, sig, sig_len, digest, digest_len) == 1;
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
  const bool ok = key.family == KeyFamily::Ed25519
                      ? verifyEdDsa(key.pkey.get(), signing_input, sig, sig_len)
                      : verifyDigest(key.pkey.get(), alg, signing_input, sig, sig_len);
  if (!ok)
    ERR_clear_error();
  return ok;
}

}  // namespace mgw::jwt
