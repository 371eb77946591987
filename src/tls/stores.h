// Key stores and trust stores (`[listenerConfig] keyStorePath/trustStorePath`, the JWT
// `certificateAlias` trust store, the API-key and backend-JWT signing keys).
//
// Accepted formats, detected from the content (never from the file name):
//   - PKCS#12 as Java's keytool writes it (WSO2's ballerinaKeystore.p12 / ballerinaTruststore.p12:
//     RC2-40 / 3DES PBE, SHA-1 MAC, Java's "trusted certificate" bag attribute) and as
//     `openssl pkcs12 -export` writes it (AES-256 / PBKDF2, or `-legacy`), including
//     certificates-only stores (`-nokeys`). Aliases are the bags' friendlyName attributes.
//   - PEM: a key store is one file holding the private key (optionally encrypted with the store
//     password) and its certificate, plus any chain certificates. A trust store is a PEM bundle
//     (each certificate's alias is its subject CN) or a directory of `<alias>.pem` files.
//
// Aliases are matched case-insensitively, as Java's KeyStore does. Loading happens once at start
// (or on a reload), never on the request path; the returned objects are immutable and may be
// shared read-only between threads (X509_STORE verification is thread-safe in OpenSSL 3).
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/base/result.h"

namespace mgw::tls {

struct X509Deleter {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct X509StoreDeleter {
  void operator()(X509_STORE* p) const noexcept { X509_STORE_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreDeleter>;

// One private key entry: the key, its certificate and the certificates that issued it.
struct KeyStore {
  std::string alias;
  EvpPkeyPtr private_key;
  X509Ptr certificate;
  // Issuer chain of `certificate` found in the same file, nearest issuer first; empty for a
  // self-signed certificate.
  std::vector<X509Ptr> chain;
  // Every key entry alias of the file (PKCS#12 stores may hold several).
  std::vector<std::string> aliases;
};

struct TrustedCertificate {
  std::string alias;
  X509Ptr certificate;
};

class TrustStore {
 public:
  TrustStore();

  // The certificate registered under `alias` (case-insensitive), or nullptr.
  X509* find(std::string_view alias) const;
  // Certificates in load order (file order; sorted file names for a directory).
  const std::vector<TrustedCertificate>& certificates() const { return certs_; }
  // Every certificate, as trust anchors for chain verification (X509_verify_cert,
  // SSL_CTX_set1_verify_cert_store). Owned by the TrustStore; X509_STORE_up_ref to keep it.
  X509_STORE* store() const { return store_.get(); }
  size_t size() const { return certs_.size(); }
  bool empty() const { return certs_.empty(); }

  // Registers `cert` under `alias`, or under `alias-2`, `alias-3`, ... when the alias is taken.
  // Returns the alias used. An empty alias becomes "cert".
  std::string add(std::string alias, X509Ptr cert);

 private:
  std::vector<TrustedCertificate> certs_;
  std::map<std::string, size_t> index_;  // lowercase alias -> position in certs_
  X509StorePtr store_;
};

// Loads the key entry `alias` (case-insensitive), or the first key entry when `alias` is empty.
// PEM key stores hold one key; `alias` is not checked against them. `password` decrypts a
// PKCS#12 file or an encrypted PEM key; it never appears in errors or logs.
// Error reasons (messages start with the path): tls.store_unreadable, tls.store_corrupt,
// tls.store_bad_password, tls.store_no_key, tls.store_no_certificate, tls.store_key_mismatch,
// tls.store_alias_not_found.
Result<KeyStore> loadKeyStore(const std::string& path, std::string_view password,
                              std::string_view alias = {});

// Loads every certificate of a PKCS#12 file, PEM bundle or directory of PEM files. Private keys
// in the file are ignored (never decrypted). Certificates without a friendlyName (PKCS#12) or in
// a bundle get their subject CN as alias (the RFC 2253 subject when there is no CN).
// Error reasons: as loadKeyStore, plus tls.store_no_certificate for an empty store.
Result<TrustStore> loadTrustStore(const std::string& path, std::string_view password);

// Subject CN as UTF-8 (first CN), or empty.
std::string subjectCommonName(const X509* cert);
// Alias for a certificate without a name: its subject CN, else the RFC 2253 subject, else "cert".
std::string defaultAlias(const X509* cert);

}  // namespace mgw::tls
