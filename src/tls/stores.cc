#include "tls/stores.h"

#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "mgw/base/log.h"
#include "mgw/base/strings.h"

namespace mgw::tls {
namespace {

constexpr size_t kMaxStoreFileBytes = 16u << 20;  // far above any real store; bounds memory
constexpr size_t kMaxDirectoryFiles = 10000;
constexpr int kMaxSafeContentsDepth = 4;  // nested safeContentsBag recursion bound
constexpr int kMaxChainLength = 10;

// Plaintext secrets (decrypted PKCS#8 keys, the password copy) are wiped when dropped.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string s) : bytes_(std::move(s)) {}
  Secret(Secret&& o) noexcept : bytes_(std::move(o.bytes_)) { o.bytes_.clear(); }
  Secret& operator=(Secret&& o) noexcept {
    if (this != &o) {
      wipe();
      bytes_ = std::move(o.bytes_);
      o.bytes_.clear();
    }
    return *this;
  }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  ~Secret() { wipe(); }
  const std::string& str() const { return bytes_; }

 private:
  void wipe() {
    if (!bytes_.empty())
      OPENSSL_cleanse(bytes_.data(), bytes_.size());
  }
  std::string bytes_;
};

// DER blobs extracted from a store, independent of any OpenSSL library context.
struct RawCert {
  std::string der;
  std::string friendly_name;
  std::string local_key_id;
};
struct RawKey {
  Secret pkcs8_der;  // unencrypted PrivateKeyInfo
  std::string friendly_name;
  std::string local_key_id;
};
struct RawStore {
  std::vector<RawCert> certs;
  std::vector<RawKey> keys;
  bool pem = false;  // PEM files have no aliases of their own
};

// Clears OpenSSL's per-thread error queue on every exit path, so that nothing left over from a
// failed store read pollutes a later, unrelated SSL_get_error() on this thread.
struct ErrorQueueGuard {
  ErrorQueueGuard() { ERR_clear_error(); }
  ~ErrorQueueGuard() { ERR_clear_error(); }
};

// Java's keytool protects PKCS#12 stores with pbeWithSHAAnd40BitRC2-CBC and 3DES, which OpenSSL 3
// only implements in its "legacy" provider. Loading that provider into the default library context
// would make those weak algorithms available to every TLS handshake and JWT check of the process.
// Instead, store parsing runs with a private library context (default + legacy providers) made
// the calling thread's default for the duration of the parse; everything parsed under it is
// exported as DER and re-imported in the normal context afterwards, so no object of the private
// context outlives it.
class StoreLibraryContext {
 public:
  StoreLibraryContext() {
    ctx_ = OSSL_LIB_CTX_new();
    if (ctx_ == nullptr)
      return;
    default_ = OSSL_PROVIDER_load(ctx_, "default");
    legacy_ = OSSL_PROVIDER_load(ctx_, "legacy");
    if (legacy_ == nullptr) {
      // Modern (AES) stores still load; legacy ones fail later with a precise message.
      ERR_clear_error();
    }
    previous_ = OSSL_LIB_CTX_set0_default(ctx_);
  }
  ~StoreLibraryContext() {
    if (ctx_ == nullptr)
      return;
    OSSL_LIB_CTX_set0_default(previous_);
    if (legacy_ != nullptr)
      OSSL_PROVIDER_unload(legacy_);
    if (default_ != nullptr)
      OSSL_PROVIDER_unload(default_);
    OSSL_LIB_CTX_free(ctx_);
  }
  StoreLibraryContext(const StoreLibraryContext&) = delete;
  StoreLibraryContext& operator=(const StoreLibraryContext&) = delete;

  bool ok() const { return ctx_ != nullptr && default_ != nullptr; }
  bool hasLegacy() const { return legacy_ != nullptr; }

 private:
  OSSL_LIB_CTX* ctx_ = nullptr;
  OSSL_LIB_CTX* previous_ = nullptr;
  OSSL_PROVIDER* default_ = nullptr;
  OSSL_PROVIDER* legacy_ = nullptr;
};

Error storeError(std::string reason, const std::string& path, std::string_view what) {
  std::string message = path;
  message += ": ";
  message += what;
  return makeError(std::move(reason), std::move(message));
}

// The reason text of the oldest queued OpenSSL error ("" when none). OpenSSL's messages never
// contain the password.
std::string opensslReason() {
  unsigned long e = ERR_peek_error();
  if (e == 0)
    return {};
  const char* r = ERR_reason_error_string(e);
  return r != nullptr ? std::string(r) : "error " + std::to_string(ERR_GET_REASON(e));
}

std::string withOpensslReason(std::string what) {
  std::string r = opensslReason();
  if (!r.empty()) {
    what += " (";
    what += r;
    what += ")";
  }
  return what;
}

Result<std::string> readFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr)
    return storeError("tls.store_unreadable", path, std::strerror(errno));
  std::string data;
  char buf[16384];
  bool too_big = false;
  bool failed = false;
  while (true) {
    size_t n = std::fread(buf, 1, sizeof buf, f);
    if (n > 0) {
      if (data.size() + n > kMaxStoreFileBytes) {
        too_big = true;
        break;
      }
      data.append(buf, n);
    }
    if (n < sizeof buf) {
      failed = std::ferror(f) != 0;
      break;
    }
  }
  int saved_errno = errno;
  std::fclose(f);
  if (too_big)
    return storeError("tls.store_unreadable", path, "file larger than 16 MiB");
  if (failed)
    return storeError("tls.store_unreadable", path, std::strerror(saved_errno));
  return data;
}

std::string asn1Bytes(const ASN1_STRING* s) {
  if (s == nullptr)
    return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

std::string derOf(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0)
    return {};
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

Secret derOf(const PKCS8_PRIV_KEY_INFO* p8) {
  unsigned char* der = nullptr;
  int len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
  if (len <= 0)
    return {};
  Secret out(std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(len)));
  OPENSSL_clear_free(der, static_cast<size_t>(len));
  return out;
}

// ---- PKCS#12 (RFC 7292) -------------------------------------------------------------------

struct Pkcs12Deleter {
  void operator()(PKCS12* p) const noexcept { PKCS12_free(p); }
};
using Pkcs12Ptr = std::unique_ptr<PKCS12, Pkcs12Deleter>;

struct P12Password {
  const char* pass = nullptr;  // nullptr: "no password" (distinct from "" in PKCS#12)
  int len = 0;
};

struct P12Walker {
  const std::string& path;
  P12Password pw;
  bool want_keys;
  bool legacy_available;
  RawStore out;

  Status bags(const STACK_OF(PKCS12_SAFEBAG) * safes, int depth) {
    if (depth > kMaxSafeContentsDepth)
      return storeError("tls.store_corrupt", path, "PKCS#12 safe contents nested too deeply");
    for (int i = 0; i < sk_PKCS12_SAFEBAG_num(safes); ++i) {
      PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(safes, i);
      if (Status s = bag1(bag, depth); !s)
        return s;
    }
    return {};
  }

  Status bag1(PKCS12_SAFEBAG* bag, int depth) {
    std::string friendly;
    if (char* fn = PKCS12_get_friendlyname(bag)) {
      friendly = fn;
      OPENSSL_free(fn);
    }
    std::string lkid;
    if (const ASN1_TYPE* t = PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID);
        t != nullptr && t->type == V_ASN1_OCTET_STRING) {
      lkid = asn1Bytes(t->value.octet_string);
    }
    // Java trust stores add attribute 2.16.840.1.113894.746875.1.1 (trusted key usage) to each
    // certificate; OpenSSL's `-nokeys` exports have none. Both are trusted alike: being in the
    // trust store is what makes a certificate trusted here.
    switch (PKCS12_SAFEBAG_get_nid(bag)) {
      case NID_certBag: {
        if (PKCS12_SAFEBAG_get_bag_nid(bag) != NID_x509Certificate)
          return {};  // SDSI certificates: not used by anyone
        X509* cert = PKCS12_SAFEBAG_get1_cert(bag);
        if (cert == nullptr)
          return storeError("tls.store_corrupt", path,
                            withOpensslReason("unreadable certificate in PKCS#12 file"));
        std::string der = derOf(cert);
        X509_free(cert);
        if (der.empty())
          return storeError("tls.store_corrupt", path, "unencodable certificate");
        out.certs.push_back(RawCert{std::move(der), std::move(friendly), std::move(lkid)});
        return {};
      }
      case NID_keyBag: {
        if (!want_keys)
          return {};
        const PKCS8_PRIV_KEY_INFO* p8 = PKCS12_SAFEBAG_get0_p8inf(bag);
        if (p8 == nullptr)
          return storeError("tls.store_corrupt", path, "unreadable key bag");
        out.keys.push_back(RawKey{derOf(p8), std::move(friendly), std::move(lkid)});
        return {};
      }
      case NID_pkcs8ShroudedKeyBag: {
        if (!want_keys)
          return {};  // a trust store never needs its keys decrypted
        PKCS8_PRIV_KEY_INFO* p8 = PKCS12_decrypt_skey(bag, pw.pass, pw.len);
        if (p8 == nullptr)
          return decryptError("private key");
        Secret der = derOf(p8);
        PKCS8_PRIV_KEY_INFO_free(p8);
        out.keys.push_back(RawKey{std::move(der), std::move(friendly), std::move(lkid)});
        return {};
      }
      case NID_safeContentsBag:
        return bags(PKCS12_SAFEBAG_get0_safes(bag), depth + 1);
      default:
        return {};  // CRL and secret bags carry nothing we use
    }
  }

  Error decryptError(std::string_view what) {
    // The MAC (checked first) already proved the password when present; a decryption failure is
    // then an algorithm OpenSSL cannot run here.
    std::string msg = "cannot decrypt the PKCS#12 ";
    msg += what;
    if (!legacy_available)
      msg +=
          "; OpenSSL's legacy provider (needed for Java keytool's RC2/3DES stores) is not "
          "available";
    return storeError("tls.store_bad_password", path,
                      withOpensslReason(msg + " (wrong password or unsupported encryption)"));
  }
};

// Parses a DER PKCS#12 file. Runs under the store library context.
Result<RawStore> parsePkcs12(const std::string& path, PKCS12* p12, const std::string& password,
                             bool want_keys, bool legacy_available) {
  P12Password pw{password.c_str(), static_cast<int>(password.size())};
  if (PKCS12_mac_present(p12)) {
    bool verified = PKCS12_verify_mac(p12, pw.pass, pw.len) == 1;
    if (!verified && password.empty()) {
      // An empty password is encoded either as an empty BMPString or as no password at all
      // (RFC 7292 B.1 leaves it open); writers differ, so both are tried.
      ERR_clear_error();
      verified = PKCS12_verify_mac(p12, nullptr, 0) == 1;
      if (verified)
        pw = P12Password{nullptr, 0};
    }
    if (!verified) {
      // PKCS12_verify_mac() fails silently on a MAC mismatch and queues an error only when it
      // could not compute the MAC (unknown digest, malformed MAC data).
      unsigned long e = ERR_peek_last_error();
      if (e == 0 ||
          (ERR_GET_LIB(e) == ERR_LIB_PKCS12 && ERR_GET_REASON(e) == PKCS12_R_MAC_VERIFY_FAILURE))
        return storeError("tls.store_bad_password", path,
                          "wrong password (PKCS#12 integrity check failed)");
      std::string msg = "cannot check the PKCS#12 integrity MAC";
      if (!legacy_available)
        msg += "; OpenSSL's legacy provider is not available";
      return storeError("tls.store_corrupt", path, withOpensslReason(msg));
    }
  }

  STACK_OF(PKCS7)* asafes = PKCS12_unpack_authsafes(p12);
  if (asafes == nullptr)
    return storeError("tls.store_corrupt", path,
                      withOpensslReason("malformed PKCS#12 authenticated safe"));
  P12Walker walker{path, pw, want_keys, legacy_available, {}};
  Status status;
  for (int i = 0; i < sk_PKCS7_num(asafes) && status.ok(); ++i) {
    PKCS7* p7 = sk_PKCS7_value(asafes, i);
    STACK_OF(PKCS12_SAFEBAG)* safes = nullptr;
    int nid = OBJ_obj2nid(p7->type);
    if (nid == NID_pkcs7_data) {
      safes = PKCS12_unpack_p7data(p7);
    } else if (nid == NID_pkcs7_encrypted) {
      safes = PKCS12_unpack_p7encdata(p7, pw.pass, pw.len);
      if (safes == nullptr) {
        status = walker.decryptError("certificates");
        break;
      }
    } else {
      continue;  // public-key (enveloped) privacy mode: not produced by keytool or openssl
    }
    if (safes == nullptr) {
      status = storeError("tls.store_corrupt", path,
                          withOpensslReason("malformed PKCS#12 safe contents"));
      break;
    }
    status = walker.bags(safes, 0);
    sk_PKCS12_SAFEBAG_pop_free(safes, PKCS12_SAFEBAG_free);
  }
  sk_PKCS7_pop_free(asafes, PKCS7_free);
  if (!status)
    return status.error();
  return std::move(walker.out);
}

// ---- PEM (RFC 7468) -------------------------------------------------------------------------

struct BioDeleter {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
struct OpensslFree {
  void operator()(char* p) const noexcept { OPENSSL_free(p); }
};
using OpensslString = std::unique_ptr<char, OpensslFree>;

// Decodes one PEM private key block with OpenSSL's decoders and the store password as the
// passphrase (never a terminal prompt). The decoder API is used instead of
// PEM_read_bio_PrivateKey() with a password callback, whose UI wrapper leaks in OpenSSL 3.0.
EVP_PKEY* decodePemKey(BIO* bio, const std::string& password) {
  EVP_PKEY* pkey = nullptr;
  OSSL_DECODER_CTX* dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", nullptr, nullptr,
                                                         EVP_PKEY_KEYPAIR, nullptr, nullptr);
  if (dctx == nullptr)
    return nullptr;
  if (!password.empty())
    OSSL_DECODER_CTX_set_passphrase(dctx, reinterpret_cast<const unsigned char*>(password.data()),
                                    password.size());
  if (OSSL_DECODER_from_bio(dctx, bio) != 1 && pkey != nullptr) {
    EVP_PKEY_free(pkey);
    pkey = nullptr;
  }
  OSSL_DECODER_CTX_free(dctx);
  return pkey;
}

bool isKeyLabel(std::string_view name) {
  return name == "PRIVATE KEY" || name == "ENCRYPTED PRIVATE KEY" || name == "RSA PRIVATE KEY" ||
         name == "EC PRIVATE KEY" || name == "DSA PRIVATE KEY";
}

// Parses every PEM block of `data`. Runs under the store library context when the file holds an
// encrypted key (it may use legacy ciphers), in the normal context otherwise (parseStoreFile).
Result<RawStore> parsePem(const std::string& path, std::string_view data,
                          const std::string& password, bool want_keys) {
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio)
    return storeError("tls.store_corrupt", path, "out of memory");
  RawStore out;
  out.pem = true;
  while (true) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* der = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &der, &len) != 1) {
      unsigned long e = ERR_peek_last_error();
      if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        break;  // no further block
      }
      return storeError("tls.store_corrupt", path, withOpensslReason("malformed PEM block"));
    }
    OpensslString name_guard(name);
    OpensslString header_guard(header);
    std::string label = name;
    Status status;
    if (label == "CERTIFICATE" || label == "X509 CERTIFICATE" || label == "TRUSTED CERTIFICATE") {
      const unsigned char* p = der;
      X509* cert = label == "TRUSTED CERTIFICATE" ? d2i_X509_AUX(nullptr, &p, len)
                                                  : d2i_X509(nullptr, &p, len);
      if (cert == nullptr) {
        status =
            storeError("tls.store_corrupt", path, withOpensslReason("unreadable PEM certificate"));
      } else {
        std::string friendly;
        int alias_len = 0;
        if (unsigned char* a = X509_alias_get0(cert, &alias_len); a != nullptr && alias_len > 0)
          friendly.assign(reinterpret_cast<const char*>(a), static_cast<size_t>(alias_len));
        std::string cert_der = derOf(cert);
        X509_free(cert);
        out.certs.push_back(RawCert{std::move(cert_der), std::move(friendly), {}});
      }
    } else if (label == "PRIVATE KEY" && want_keys) {
      // Unencrypted PKCS#8 (RFC 5958 §2): the block already is the PrivateKeyInfo importKey()
      // reads. Checked here as ASN.1 only, which spares the decoder framework's set-up and an
      // encode back to PKCS#8 (the dearest steps of reading a PEM key store at start).
      const unsigned char* p = der;
      PKCS8_PRIV_KEY_INFO* p8 = d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, len);
      if (p8 == nullptr || p != der + len)
        status =
            storeError("tls.store_corrupt", path, withOpensslReason("unreadable PEM private key"));
      else
        out.keys.push_back(RawKey{
            Secret{std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(len))},
            {},
            {}});
      PKCS8_PRIV_KEY_INFO_free(p8);
    } else if (isKeyLabel(label) && want_keys) {
      // Re-wrap the block so OpenSSL's PEM key reader handles every key format and encryption
      // (PKCS#8 PBES2, traditional Proc-Type/DEK-Info).
      BioPtr one(BIO_new(BIO_s_secmem()));
      EVP_PKEY* pkey = nullptr;
      if (one && PEM_write_bio(one.get(), name, header, der, len) > 0) {
        pkey = decodePemKey(one.get(), password);
      }
      if (pkey == nullptr) {
        bool encrypted = label == "ENCRYPTED PRIVATE KEY" ||
                         (header != nullptr && std::strstr(header, "ENCRYPTED") != nullptr);
        status = encrypted ? storeError("tls.store_bad_password", path,
                                        password.empty()
                                            ? "the private key is encrypted and no password is set"
                                            : "wrong password for the encrypted private key")
                           : storeError("tls.store_corrupt", path,
                                        withOpensslReason("unreadable PEM private key"));
      } else {
        PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(pkey);
        EVP_PKEY_free(pkey);
        if (p8 == nullptr) {
          status =
              storeError("tls.store_corrupt", path, withOpensslReason("unencodable private key"));
        } else {
          out.keys.push_back(RawKey{derOf(p8), {}, {}});
          PKCS8_PRIV_KEY_INFO_free(p8);
        }
      }
    }
    // Other labels (CRLs, parameters, public keys) are not store content and are skipped.
    OPENSSL_clear_free(der, static_cast<size_t>(len));
    if (!status)
      return status.error();
  }
  return out;
}

enum class Format { Pkcs12, Pem, Unknown };

// Parses `data` (a whole file). PKCS#12 stores and encrypted PEM keys are parsed with the store
// library context active (their ciphers may be legacy ones); a plain PEM file needs no cipher at
// all and is parsed in the normal context, which spares a start the set-up of a library context
// and its providers per store (the largest part of reading a PEM store).
Result<RawStore> parseStoreFile(const std::string& path, std::string_view data,
                                std::string_view password, bool want_keys) {
  Secret pw{std::string(password)};
  const auto* der = reinterpret_cast<const unsigned char*>(data.data());
  const auto is_pkcs12 = [&] {
    const unsigned char* p = der;
    Pkcs12Ptr probe(d2i_PKCS12(nullptr, &p, static_cast<long>(data.size())));
    ERR_clear_error();
    return probe != nullptr;
  };
  const bool pem = data.find("-----BEGIN ") != std::string_view::npos;
  if (pem && data.find("ENCRYPTED") == std::string_view::npos && !is_pkcs12())
    return parsePem(path, data, pw.str(), want_keys);
  StoreLibraryContext lib;
  if (!lib.ok())
    return storeError("tls.store_corrupt", path,
                      withOpensslReason("cannot set up OpenSSL for reading stores"));
  const unsigned char* p = der;
  Pkcs12Ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(data.size())));
  if (p12)
    return parsePkcs12(path, p12.get(), pw.str(), want_keys, lib.hasLegacy());
  ERR_clear_error();
  if (pem)
    return parsePem(path, data, pw.str(), want_keys);
  return storeError("tls.store_corrupt", path, "neither a PKCS#12 nor a PEM file");
}

// ---- assembly in the normal library context ------------------------------------------------

struct Cert {
  X509Ptr x509;
  std::string friendly_name;
  std::string local_key_id;
};

Result<std::vector<Cert>> importCerts(const std::string& path, std::vector<RawCert>& raw) {
  std::vector<Cert> out;
  out.reserve(raw.size());
  for (RawCert& r : raw) {
    const auto* p = reinterpret_cast<const unsigned char*>(r.der.data());
    X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(r.der.size())));
    if (!x)
      return storeError("tls.store_corrupt", path, withOpensslReason("unreadable certificate"));
    out.push_back(Cert{std::move(x), std::move(r.friendly_name), std::move(r.local_key_id)});
  }
  return out;
}

Result<EvpPkeyPtr> importKey(const std::string& path, const RawKey& raw) {
  const auto* p = reinterpret_cast<const unsigned char*>(raw.pkcs8_der.str().data());
  PKCS8_PRIV_KEY_INFO* p8 =
      d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(raw.pkcs8_der.str().size()));
  if (p8 == nullptr)
    return storeError("tls.store_corrupt", path, withOpensslReason("unreadable private key"));
  EvpPkeyPtr key(EVP_PKCS82PKEY(p8));
  PKCS8_PRIV_KEY_INFO_free(p8);
  if (!key)
    return storeError("tls.store_corrupt", path, withOpensslReason("unsupported private key type"));
  return key;
}

bool keyMatches(X509* cert, EVP_PKEY* key) {
  bool ok = X509_check_private_key(cert, key) == 1;
  ERR_clear_error();  // a mismatch queues an error we do not report as such
  return ok;
}

bool issued(X509* issuer, X509* subject) {
  return X509_check_issued(issuer, subject) == X509_V_OK;
}

std::vector<X509Ptr> buildChain(X509* leaf, const std::vector<Cert>& certs) {
  std::vector<X509Ptr> chain;
  std::vector<bool> used(certs.size(), false);
  X509* current = leaf;
  for (int depth = 0; depth < kMaxChainLength && !issued(current, current); ++depth) {
    size_t found = certs.size();
    for (size_t i = 0; i < certs.size(); ++i) {
      X509* c = certs[i].x509.get();
      if (!used[i] && c != leaf && X509_cmp(c, current) != 0 && issued(c, current)) {
        found = i;
        break;
      }
    }
    if (found == certs.size())
      break;
    used[found] = true;
    X509* next = certs[found].x509.get();
    X509_up_ref(next);
    chain.emplace_back(next);
    current = next;
  }
  return chain;
}

}  // namespace

std::string subjectCommonName(const X509* cert) {
  const X509_NAME* name = X509_get_subject_name(cert);
  if (name == nullptr)
    return {};
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0)
    return {};
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, value);
  if (len < 0)
    return {};
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

std::string defaultAlias(const X509* cert) {
  std::string cn = subjectCommonName(cert);
  if (!cn.empty())
    return cn;
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio && X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) > 0) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    if (len > 0)
      return std::string(data, static_cast<size_t>(len));
  }
  return "cert";
}

TrustStore::TrustStore() : store_(X509_STORE_new()) {}

X509* TrustStore::find(std::string_view alias) const {
  auto it = index_.find(toLower(alias));
  return it == index_.end() ? nullptr : certs_[it->second].certificate.get();
}

std::string TrustStore::add(std::string alias, X509Ptr cert) {
  if (alias.empty())
    alias = "cert";
  std::string chosen = alias;
  for (int n = 2; index_.count(toLower(chosen)) != 0; ++n)
    chosen = alias + "-" + std::to_string(n);
  if (store_)
    X509_STORE_add_cert(store_.get(), cert.get());  // up-refs; a duplicate is not an error
  ERR_clear_error();
  index_.emplace(toLower(chosen), certs_.size());
  certs_.push_back(TrustedCertificate{chosen, std::move(cert)});
  return chosen;
}

Result<KeyStore> loadKeyStore(const std::string& path, std::string_view password,
                              std::string_view alias) {
  ErrorQueueGuard guard;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return storeError("tls.store_unreadable", path,
                      "is a directory (a key store is one PKCS#12 or PEM file)");
  Result<std::string> data = readFile(path);
  if (!data)
    return data.error();
  Result<RawStore> raw = parseStoreFile(path, *data, password, /*want_keys=*/true);
  if (!raw)
    return raw.error();

  Result<std::vector<Cert>> certs = importCerts(path, raw->certs);
  if (!certs)
    return certs.error();
  if (raw->keys.empty())
    return storeError("tls.store_no_key", path, "no private key in the store");
  if (certs->empty())
    return storeError("tls.store_no_certificate", path, "no certificate in the store");

  // Pair each key with its certificate: by localKeyID (RFC 7292 §4.2, what keytool and openssl
  // write), else by public key.
  struct Entry {
    size_t key;
    size_t cert;
    std::string alias;
  };
  std::vector<Entry> entries;
  std::vector<EvpPkeyPtr> keys;
  for (size_t k = 0; k < raw->keys.size(); ++k) {
    Result<EvpPkeyPtr> key = importKey(path, raw->keys[k]);
    if (!key)
      return key.error();
    keys.push_back(std::move(*key));
    size_t match = certs->size();
    const std::string& lkid = raw->keys[k].local_key_id;
    for (size_t c = 0; c < certs->size() && !lkid.empty(); ++c) {
      if ((*certs)[c].local_key_id == lkid) {
        match = c;
        break;
      }
    }
    if (match == certs->size()) {
      for (size_t c = 0; c < certs->size(); ++c) {
        if (keyMatches((*certs)[c].x509.get(), keys.back().get())) {
          match = c;
          break;
        }
      }
    }
    if (match == certs->size() || !keyMatches((*certs)[match].x509.get(), keys.back().get()))
      return storeError("tls.store_key_mismatch", path,
                        "a private key has no matching certificate in the store");
    std::string name = raw->keys[k].friendly_name;
    if (name.empty())
      name = (*certs)[match].friendly_name;
    if (name.empty())
      name = defaultAlias((*certs)[match].x509.get());
    entries.push_back(Entry{k, match, std::move(name)});
  }

  const Entry* chosen = &entries.front();
  if (!alias.empty()) {
    chosen = nullptr;
    for (const Entry& e : entries) {
      if (iequals(e.alias, alias)) {
        chosen = &e;
        break;
      }
    }
    // PEM key stores have no alias of their own: the requested alias is not checked.
    if (chosen == nullptr && raw->pem)
      chosen = &entries.front();
    if (chosen == nullptr) {
      std::string known;
      for (const Entry& e : entries)
        known += (known.empty() ? "" : ", ") + e.alias;
      return storeError(
          "tls.store_alias_not_found", path,
          "no key entry with alias '" + std::string(alias) + "' (key entries: " + known + ")");
    }
  }

  KeyStore ks;
  ks.alias = chosen->alias;
  ks.private_key = std::move(keys[chosen->key]);
  X509* leaf = (*certs)[chosen->cert].x509.get();
  X509_up_ref(leaf);
  ks.certificate.reset(leaf);
  ks.chain = buildChain(leaf, *certs);
  for (const Entry& e : entries)
    ks.aliases.push_back(e.alias);
  return ks;
}

namespace {

Status addRawCerts(const std::string& path, RawStore& raw, TrustStore& ts,
                   const std::string& fallback_alias) {
  Result<std::vector<Cert>> certs = importCerts(path, raw.certs);
  if (!certs)
    return certs.error();
  for (size_t i = 0; i < certs->size(); ++i) {
    Cert& c = (*certs)[i];
    std::string alias = c.friendly_name;
    if (alias.empty())
      alias = fallback_alias.empty() ? defaultAlias(c.x509.get()) : fallback_alias;
    ts.add(std::move(alias), std::move(c.x509));
  }
  return {};
}

bool isPemFileName(const std::filesystem::path& p) {
  std::string ext = toLower(p.extension().string());
  return ext == ".pem" || ext == ".crt" || ext == ".cer";
}

Result<TrustStore> loadTrustDirectory(const std::string& path) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  std::filesystem::directory_iterator it(path, ec);
  if (ec)
    return storeError("tls.store_unreadable", path, ec.message());
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec)
      return storeError("tls.store_unreadable", path, ec.message());
    const std::filesystem::path& p = it->path();
    std::string fname = p.filename().string();
    if (fname.empty() || fname.front() == '.' || !isPemFileName(p))
      continue;
    std::error_code fec;
    if (!std::filesystem::is_regular_file(p, fec))  // follows symlinks
      continue;
    if (files.size() >= kMaxDirectoryFiles)
      return storeError("tls.store_corrupt", path, "more than 10000 certificate files");
    files.push_back(p);
  }
  std::sort(files.begin(), files.end());
  TrustStore ts;
  for (const std::filesystem::path& p : files) {
    std::string file = p.string();
    Result<std::string> data = readFile(file);
    if (!data)
      return data.error();
    Result<RawStore> raw = parseStoreFile(file, *data, {}, /*want_keys=*/false);
    if (!raw)
      return raw.error();
    if (raw->certs.empty()) {
      log::warn("tls.trust_file_skipped", "file in the trust store directory has no certificate",
                {{"path", file}});
      continue;
    }
    // The file name is the alias (`<alias>.pem`), for every certificate in it: the first keeps
    // it, further ones get -2, -3, ...
    for (RawCert& c : raw->certs)
      c.friendly_name.clear();
    if (Status s = addRawCerts(file, *raw, ts, p.stem().string()); !s)
      return s.error();
  }
  if (ts.empty())
    return storeError("tls.store_no_certificate", path,
                      "no certificate (*.pem, *.crt, *.cer) in the directory");
  return ts;
}

}  // namespace

Result<TrustStore> loadTrustStore(const std::string& path, std::string_view password) {
  ErrorQueueGuard guard;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return loadTrustDirectory(path);
  Result<std::string> data = readFile(path);
  if (!data)
    return data.error();
  Result<RawStore> raw = parseStoreFile(path, *data, password, /*want_keys=*/false);
  if (!raw)
    return raw.error();
  TrustStore ts;
  if (Status s = addRawCerts(path, *raw, ts, {}); !s)
    return s.error();
  if (ts.empty())
    return storeError("tls.store_no_certificate", path, "no certificate in the store");
  return ts;
}

}  // namespace mgw::tls
