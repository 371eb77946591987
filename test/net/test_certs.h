// In-memory certificates for TLS unit tests: a CA, and leaf certificates it (or nobody) signs,
// with SANs and validity chosen by the test. EC P-256 keys keep generation fast.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <string>

#include "tls/stores.h"

namespace mgw::testing {

struct TestCert {
  tls::EvpPkeyPtr key;
  tls::X509Ptr cert;
};

inline void addExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// `issuer` null: self-signed. `days_valid` negative: already expired.
inline TestCert makeCert(const std::string& cn, const TestCert* issuer, bool ca,
                         const std::string& san = {}, long days_valid = 30) {
  TestCert out;
  out.key.reset(EVP_EC_gen("P-256"));
  out.cert.reset(X509_new());
  X509* c = out.cert.get();
  X509_set_version(c, X509_VERSION_3);
  static long serial = 1000;
  ASN1_INTEGER_set(X509_get_serialNumber(c), ++serial);
  if (days_valid >= 0) {
    X509_gmtime_adj(X509_getm_notBefore(c), -3600);
    X509_gmtime_adj(X509_getm_notAfter(c), days_valid * 86400L);
  } else {
    X509_gmtime_adj(X509_getm_notBefore(c), -10 * 86400L);
    X509_gmtime_adj(X509_getm_notAfter(c), days_valid * 86400L);
  }
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer->cert.get()) : name);
  X509_set_pubkey(c, out.key.get());
  X509* issuer_cert = issuer ? issuer->cert.get() : c;
  if (ca) {
    addExt(c, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    addExt(c, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    addExt(c, issuer_cert, NID_basic_constraints, "CA:FALSE");
    addExt(c, issuer_cert, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  addExt(c, issuer_cert, NID_subject_key_identifier, "hash");
  if (!san.empty())
    addExt(c, issuer_cert, NID_subject_alt_name, san.c_str());
  X509_sign(c, issuer ? issuer->key.get() : out.key.get(), EVP_sha256());
  return out;
}

inline std::string toPem(const TestCert& tc, bool with_key) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (with_key)
    PEM_write_bio_PrivateKey(bio, tc.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_X509(bio, tc.cert.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

inline void writeFile(const std::string& path, const std::string& data) {
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(data.data(), 1, data.size(), f);
  std::fclose(f);
}

}  // namespace mgw::testing
