// Key and trust store loading against files made here by the openssl CLI (and Java's keytool
// when present): nothing is checked in, so the tests also document how each format is made.
#include "tls/stores.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/x509_vfy.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "mgw/base/strings.h"

namespace mgw::tls {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPassword = "S3cret-Pa55word";

class StoresTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/mgw-tls-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const std::string pw = std::string("pass:") + kPassword;
    // A CA, a leaf it signed, and an unrelated self-signed certificate.
    ASSERT_TRUE(
        sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 "
           "-subj '/CN=Test Root CA'"));
    ASSERT_TRUE(
        sh("openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr "
           "-subj '/O=mgw/CN=gateway.local'"));
    ASSERT_TRUE(
        sh("openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
           "-out leaf.pem -days 30"));
    ASSERT_TRUE(
        sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
           "-keyout self.key -out self.pem -days 30 -subj '/CN=wso2apim310'"));
    // Same CN as self.pem, different key: a duplicate alias in a bundle.
    ASSERT_TRUE(
        sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
           "-keyout dup.key -out dup.pem -days 30 -subj '/CN=wso2apim310'"));
    ASSERT_TRUE(
        sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
           "-keyout nocn.key -out nocn.pem -days 30 -subj '/O=No Common Name/C=LK'"));

    // PKCS#12 key stores: modern (AES-256, PBKDF2) and -legacy (RC2-40 + 3DES, like keytool).
    ASSERT_TRUE(
        sh("openssl pkcs12 -export -in leaf.pem -inkey leaf.key -certfile ca.pem "
           "-name ballerina -passout " +
           pw + " -out modern.p12"));
    ASSERT_TRUE(
        sh("openssl pkcs12 -export -legacy -in leaf.pem -inkey leaf.key -certfile ca.pem "
           "-name ballerina -passout " +
           pw + " -out legacy.p12"));
    ASSERT_TRUE(
        sh("openssl pkcs12 -export -in self.pem -inkey self.key -name nopass "
           "-passout pass: -out nopass.p12"));
    // Certificates-only trust store: no keys, no Java "trusted" attribute. With -nokeys every
    // certificate is a "CA" one: each -caname names the next certificate (-name is unused).
    ASSERT_TRUE(
        sh("openssl pkcs12 -export -nokeys -in ca.pem -certfile self.pem -name unused "
           "-caname rootca -caname wso2apim310 -passout " +
           pw + " -out trust.p12"));
    ASSERT_TRUE(
        sh("openssl pkcs12 -export -nokeys -legacy -in ca.pem -certfile self.pem "
           "-caname rootca -caname wso2apim310 -passout " +
           pw + " -out trust-legacy.p12"));
    // Only the first certificate named: the second one's alias is its subject CN.
    ASSERT_TRUE(
        sh("openssl pkcs12 -export -nokeys -in ca.pem -certfile nocn.pem -caname rootca "
           "-passout " +
           pw + " -out trust-partial.p12"));

    // PEM key stores: certificate + key (+ chain), plain and with an encrypted key.
    ASSERT_TRUE(sh("cat leaf.pem leaf.key ca.pem > keystore.pem"));
    ASSERT_TRUE(sh("openssl pkey -in leaf.key -aes256 -passout " + pw + " -out leaf.enc.key"));
    ASSERT_TRUE(sh("cat leaf.enc.key leaf.pem > keystore-enc.pem"));
    ASSERT_TRUE(sh("cat leaf.pem self.key > mismatch.pem"));
    // Traditional formats: "RSA PRIVATE KEY" with Proc-Type/DEK-Info encryption, "EC PRIVATE KEY".
    ASSERT_TRUE(
        sh("openssl rsa -in leaf.key -traditional -aes128 -passout " + pw + " -out leaf.trad.key"));
    ASSERT_TRUE(sh("cat leaf.pem leaf.trad.key > keystore-trad.pem"));
    ASSERT_TRUE(
        sh("openssl ec -in self.key -out self.trad.key && cat self.trad.key self.pem > "
           "keystore-ec.pem"));
    // PEM trust stores: a bundle and a directory.
    ASSERT_TRUE(sh("cat ca.pem self.pem dup.pem nocn.pem > bundle.pem"));
    ASSERT_TRUE(
        sh("mkdir trust.d && cp ca.pem trust.d/myroot.pem && cp self.pem trust.d/apim.pem "
           "&& echo hello > trust.d/README.txt && cp self.pem trust.d/.hidden.pem"));
    ASSERT_TRUE(sh("mkdir empty.d"));
    // Damaged files.
    ASSERT_TRUE(sh("head -c 700 modern.p12 > truncated.p12"));
    ASSERT_TRUE(sh("head -c 4000 /dev/urandom > random.bin"));
    std::ofstream(path("badblock.pem")) << "-----BEGIN CERTIFICATE-----\n!!not base64!!\n"
                                           "-----END CERTIFICATE-----\n";
    std::ofstream(path("empty.pem")) << "";
    // A PKCS#8 block that is base64 but no PrivateKeyInfo, next to a good certificate.
    std::ofstream(path("badkey.pem")) << "-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n"
                                         "-----END PRIVATE KEY-----\n";
    ASSERT_TRUE(sh("cat self.pem >> badkey.pem"));
  }

  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  static bool sh(const std::string& cmd) {
    std::string full = "cd '" + dir_ + "' && { " + cmd + "; } >/dev/null 2>&1";
    return std::system(full.c_str()) == 0;
  }
  static std::string path(const std::string& name) { return dir_ + "/" + name; }

  static X509Ptr readPem(const std::string& name) {
    std::FILE* f = std::fopen(path(name).c_str(), "r");
    if (f == nullptr)
      return nullptr;
    X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    return X509Ptr(x);
  }

  static void expectError(const Error& e, const std::string& reason, const std::string& file) {
    EXPECT_EQ(e.reason, reason) << e.message;
    EXPECT_NE(e.message.find(file), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find(kPassword), std::string::npos) << "password leaked: " << e.message;
  }

  // Signs with the loaded key and verifies with the certificate, in the default library context.
  static bool keyWorks(const KeyStore& ks) {
    const unsigned char msg[] = "hello";
    unsigned char sig[1024];
    size_t siglen = sizeof sig;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, ks.private_key.get()) == 1 &&
              EVP_DigestSign(ctx, sig, &siglen, msg, sizeof msg) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
      return false;
    ctx = EVP_MD_CTX_new();
    ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr,
                              X509_get0_pubkey(ks.certificate.get())) == 1 &&
         EVP_DigestVerify(ctx, sig, siglen, msg, sizeof msg) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
  }

  static bool verifies(const TrustStore& ts, X509* leaf) {
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, ts.store(), leaf, nullptr);
    bool ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    return ok;
  }

  static std::string dir_;
};

std::string StoresTest::dir_;

TEST_F(StoresTest, ModernPkcs12KeyStore) {
  auto ks = loadKeyStore(path("modern.p12"), kPassword);
  ASSERT_TRUE(ks.ok()) << ks.error().message;
  EXPECT_EQ(ks->alias, "ballerina");
  EXPECT_EQ(subjectCommonName(ks->certificate.get()), "gateway.local");
  ASSERT_EQ(ks->chain.size(), 1u);
  EXPECT_EQ(subjectCommonName(ks->chain[0].get()), "Test Root CA");
  EXPECT_TRUE(keyWorks(*ks));
}

TEST_F(StoresTest, LegacyPkcs12KeyStoreNeedsNoGlobalLegacyProvider) {
  auto ks = loadKeyStore(path("legacy.p12"), kPassword);
  ASSERT_TRUE(ks.ok()) << ks.error().message;
  EXPECT_EQ(ks->alias, "ballerina");
  EXPECT_TRUE(keyWorks(*ks));
  // The legacy provider stayed in the private store context: the process default has no RC2.
  EXPECT_EQ(OSSL_PROVIDER_available(nullptr, "legacy"), 0);
  EVP_CIPHER* rc2 = EVP_CIPHER_fetch(nullptr, "RC2-40-CBC", nullptr);
  EXPECT_EQ(rc2, nullptr);
  EVP_CIPHER_free(rc2);
  ERR_clear_error();
}

TEST_F(StoresTest, AliasSelectionIsCaseInsensitive) {
  auto ks = loadKeyStore(path("modern.p12"), kPassword, "BALLERINA");
  ASSERT_TRUE(ks.ok()) << ks.error().message;
  EXPECT_EQ(ks->alias, "ballerina");
  ASSERT_EQ(ks->aliases.size(), 1u);
  auto missing = loadKeyStore(path("modern.p12"), kPassword, "wso2carbon");
  ASSERT_FALSE(missing.ok());
  expectError(missing.error(), "tls.store_alias_not_found", "modern.p12");
  EXPECT_NE(missing.error().message.find("ballerina"), std::string::npos);
}

TEST_F(StoresTest, EmptyPasswordPkcs12) {
  auto ks = loadKeyStore(path("nopass.p12"), "");
  ASSERT_TRUE(ks.ok()) << ks.error().message;
  EXPECT_EQ(ks->alias, "nopass");
  EXPECT_TRUE(ks->chain.empty());  // self-signed
  EXPECT_TRUE(keyWorks(*ks));
}

TEST_F(StoresTest, WrongPasswordIsNamedAndNotLeaked) {
  for (const char* f : {"modern.p12", "legacy.p12", "trust.p12"}) {
    auto ks = loadKeyStore(path(f), "wrong");
    ASSERT_FALSE(ks.ok()) << f;
    expectError(ks.error(), "tls.store_bad_password", f);
    EXPECT_NE(ks.error().message.find("wrong password"), std::string::npos);
  }
  auto ts = loadTrustStore(path("trust.p12"), "wrong");
  ASSERT_FALSE(ts.ok());
  expectError(ts.error(), "tls.store_bad_password", "trust.p12");
  // A wrong password that happens to be the real one of another store must not show either.
  auto other = loadKeyStore(path("nopass.p12"), kPassword);
  ASSERT_FALSE(other.ok());
  expectError(other.error(), "tls.store_bad_password", "nopass.p12");
}

TEST_F(StoresTest, PemKeyStoreWithChain) {
  auto ks = loadKeyStore(path("keystore.pem"), "", "ignored-for-pem");
  ASSERT_TRUE(ks.ok()) << ks.error().message;
  EXPECT_EQ(ks->alias, "gateway.local");  // subject CN
  ASSERT_EQ(ks->chain.size(), 1u);
  EXPECT_TRUE(keyWorks(*ks));
}

TEST_F(StoresTest, EncryptedPemKeyStore) {
  auto ks = loadKeyStore(path("keystore-enc.pem"), kPassword);
  ASSERT_TRUE(ks.ok()) << ks.error().message;
  EXPECT_TRUE(keyWorks(*ks));
  auto wrong = loadKeyStore(path("keystore-enc.pem"), "wrong");
  ASSERT_FALSE(wrong.ok());
  expectError(wrong.error(), "tls.store_bad_password", "keystore-enc.pem");
  auto none = loadKeyStore(path("keystore-enc.pem"), "");
  ASSERT_FALSE(none.ok());
  expectError(none.error(), "tls.store_bad_password", "keystore-enc.pem");
}

TEST_F(StoresTest, TraditionalPemKeys) {
  auto rsa = loadKeyStore(path("keystore-trad.pem"), kPassword);
  ASSERT_TRUE(rsa.ok()) << rsa.error().message;
  EXPECT_TRUE(keyWorks(*rsa));
  auto wrong = loadKeyStore(path("keystore-trad.pem"), "wrong");
  ASSERT_FALSE(wrong.ok());
  expectError(wrong.error(), "tls.store_bad_password", "keystore-trad.pem");
  auto ec = loadKeyStore(path("keystore-ec.pem"), "");
  ASSERT_TRUE(ec.ok()) << ec.error().message;
  EXPECT_EQ(ec->alias, "wso2apim310");
  EXPECT_TRUE(keyWorks(*ec));
}

TEST_F(StoresTest, KeyStoreWithoutKeyOrCertificate) {
  auto certs_only = loadKeyStore(path("trust.p12"), kPassword);
  ASSERT_FALSE(certs_only.ok());
  expectError(certs_only.error(), "tls.store_no_key", "trust.p12");
  auto pem_cert = loadKeyStore(path("ca.pem"), "");
  ASSERT_FALSE(pem_cert.ok());
  expectError(pem_cert.error(), "tls.store_no_key", "ca.pem");
  auto key_only = loadKeyStore(path("leaf.key"), "");
  ASSERT_FALSE(key_only.ok());
  expectError(key_only.error(), "tls.store_no_certificate", "leaf.key");
  auto mismatch = loadKeyStore(path("mismatch.pem"), "");
  ASSERT_FALSE(mismatch.ok());
  expectError(mismatch.error(), "tls.store_key_mismatch", "mismatch.pem");
}

TEST_F(StoresTest, UnreadableAndCorruptFiles) {
  auto missing = loadKeyStore(path("does-not-exist.p12"), kPassword);
  ASSERT_FALSE(missing.ok());
  expectError(missing.error(), "tls.store_unreadable", "does-not-exist.p12");
  auto missing_trust = loadTrustStore(path("nope.pem"), kPassword);
  ASSERT_FALSE(missing_trust.ok());
  expectError(missing_trust.error(), "tls.store_unreadable", "nope.pem");
  auto dir = loadKeyStore(path("trust.d"), kPassword);
  ASSERT_FALSE(dir.ok());
  expectError(dir.error(), "tls.store_unreadable", "trust.d");
  auto bad_key = loadKeyStore(path("badkey.pem"), "");
  ASSERT_FALSE(bad_key.ok());
  expectError(bad_key.error(), "tls.store_corrupt", "badkey.pem");
  for (const char* f : {"truncated.p12", "random.bin", "badblock.pem", "empty.pem"}) {
    auto ks = loadKeyStore(path(f), kPassword);
    ASSERT_FALSE(ks.ok()) << f;
    expectError(ks.error(), "tls.store_corrupt", f);
    auto ts = loadTrustStore(path(f), kPassword);
    ASSERT_FALSE(ts.ok()) << f;
    expectError(ts.error(), "tls.store_corrupt", f);
  }
  EXPECT_EQ(ERR_peek_error(), 0u) << "OpenSSL error queue left dirty";
}

TEST_F(StoresTest, CertificatesOnlyPkcs12TrustStore) {
  for (const char* f : {"trust.p12", "trust-legacy.p12"}) {
    auto ts = loadTrustStore(path(f), kPassword);
    ASSERT_TRUE(ts.ok()) << f << ": " << ts.error().message;
    ASSERT_EQ(ts->size(), 2u) << f;
    ASSERT_NE(ts->find("wso2apim310"), nullptr) << f;
    EXPECT_EQ(subjectCommonName(ts->find("WSO2APIM310")), "wso2apim310");
    EXPECT_EQ(subjectCommonName(ts->find("rootca")), "Test Root CA") << f;
    auto leaf = readPem("leaf.pem");
    EXPECT_TRUE(verifies(*ts, leaf.get())) << f;
  }
}

TEST_F(StoresTest, UnnamedPkcs12CertificateGetsSubjectAlias) {
  auto ts = loadTrustStore(path("trust-partial.p12"), kPassword);
  ASSERT_TRUE(ts.ok()) << ts.error().message;
  ASSERT_EQ(ts->size(), 2u);
  EXPECT_EQ(ts->certificates()[0].alias, "rootca");
  EXPECT_EQ(ts->certificates()[1].alias, "C=LK,O=No Common Name");
}

TEST_F(StoresTest, KeyStoreAsTrustStoreIgnoresKeys) {
  auto ts = loadTrustStore(path("modern.p12"), kPassword);
  ASSERT_TRUE(ts.ok()) << ts.error().message;
  EXPECT_EQ(ts->size(), 2u);
  EXPECT_NE(ts->find("ballerina"), nullptr);
}

TEST_F(StoresTest, PemBundleAliasesAreSubjectCn) {
  auto ts = loadTrustStore(path("bundle.pem"), "");
  ASSERT_TRUE(ts.ok()) << ts.error().message;
  ASSERT_EQ(ts->size(), 4u);
  EXPECT_EQ(ts->certificates()[0].alias, "Test Root CA");
  EXPECT_EQ(ts->certificates()[1].alias, "wso2apim310");
  EXPECT_EQ(ts->certificates()[2].alias, "wso2apim310-2");
  EXPECT_EQ(ts->certificates()[3].alias, "C=LK,O=No Common Name");
  EXPECT_NE(ts->find("test root ca"), nullptr);
  EXPECT_EQ(ts->find("nothing"), nullptr);
  auto dup = readPem("dup.pem");
  EXPECT_EQ(X509_cmp(ts->find("wso2apim310-2"), dup.get()), 0);
  auto leaf = readPem("leaf.pem");
  EXPECT_TRUE(verifies(*ts, leaf.get()));
}

TEST_F(StoresTest, PemDirectoryAliasesAreFileNames) {
  auto ts = loadTrustStore(path("trust.d"), "");
  ASSERT_TRUE(ts.ok()) << ts.error().message;
  ASSERT_EQ(ts->size(), 2u);  // README.txt and the hidden file are not certificates
  EXPECT_EQ(ts->certificates()[0].alias, "apim");  // sorted by file name
  EXPECT_EQ(ts->certificates()[1].alias, "myroot");
  EXPECT_EQ(subjectCommonName(ts->find("myroot")), "Test Root CA");
  auto leaf = readPem("leaf.pem");
  EXPECT_TRUE(verifies(*ts, leaf.get()));
  auto empty = loadTrustStore(path("empty.d"), "");
  ASSERT_FALSE(empty.ok());
  expectError(empty.error(), "tls.store_no_certificate", "empty.d");
}

TEST_F(StoresTest, UntrustedLeafDoesNotVerify) {
  auto ts = loadTrustStore(path("trust.d/apim.pem"), "");
  ASSERT_TRUE(ts.ok()) << ts.error().message;
  auto leaf = readPem("leaf.pem");
  EXPECT_FALSE(verifies(*ts, leaf.get()));
  ERR_clear_error();
}

TEST_F(StoresTest, AddDeduplicatesAliases) {
  TrustStore ts;
  EXPECT_EQ(ts.add("a", readPem("ca.pem")), "a");
  EXPECT_EQ(ts.add("A", readPem("self.pem")), "A-2");
  EXPECT_EQ(ts.add("a", readPem("dup.pem")), "a-3");
  EXPECT_EQ(ts.add("", readPem("nocn.pem")), "cert");
  EXPECT_EQ(ts.size(), 4u);
}

// ---- Java keytool (skipped where Java is not installed, e.g. a fresh CI machine) ----------

class KeytoolStoresTest : public StoresTest {
 protected:
  void SetUp() override {
    if (std::system("which keytool >/dev/null 2>&1") != 0)
      GTEST_SKIP() << "keytool not installed";
  }
};

TEST_F(KeytoolStoresTest, KeyStoreDefaultAndLegacy) {
  const std::string common = std::string(" -alias Ballerina -keyalg RSA -keysize 2048 ") +
                             "-dname CN=localhost -validity 30 -storetype PKCS12 -storepass " +
                             kPassword + " -keypass " + kPassword;
  ASSERT_TRUE(sh("keytool -genkeypair -keystore jks-modern.p12" + common));
  // -J-Dkeystore.pkcs12.legacy: the RC2-40 / 3DES / SHA-1 MAC layout of WSO2's shipped stores.
  ASSERT_TRUE(
      sh("keytool -J-Dkeystore.pkcs12.legacy -genkeypair -keystore jks-legacy.p12" + common));
  for (const char* f : {"jks-modern.p12", "jks-legacy.p12"}) {
    auto ks = loadKeyStore(path(f), kPassword, "ballerina");
    ASSERT_TRUE(ks.ok()) << f << ": " << ks.error().message;
    EXPECT_TRUE(iequals(ks->alias, "ballerina")) << ks->alias;
    EXPECT_EQ(subjectCommonName(ks->certificate.get()), "localhost");
    EXPECT_TRUE(keyWorks(*ks)) << f;
    auto wrong = loadKeyStore(path(f), "wrong");
    ASSERT_FALSE(wrong.ok());
    expectError(wrong.error(), "tls.store_bad_password", f);
  }
}

TEST_F(KeytoolStoresTest, ImportCertTrustStore) {
  const std::string opts = std::string(" -noprompt -storetype PKCS12 -storepass ") + kPassword;
  ASSERT_TRUE(
      sh("keytool -importcert -alias wso2apim310 -file self.pem -keystore jtrust.p12" + opts));
  ASSERT_TRUE(sh("keytool -importcert -alias rootca -file ca.pem -keystore jtrust.p12" + opts));
  ASSERT_TRUE(
      sh("keytool -J-Dkeystore.pkcs12.legacy -importcert -alias wso2apim310 -file "
         "self.pem -keystore jtrust-legacy.p12" +
         opts));
  ASSERT_TRUE(
      sh("keytool -J-Dkeystore.pkcs12.legacy -importcert -alias rootca -file ca.pem "
         "-keystore jtrust-legacy.p12" +
         opts));
  for (const char* f : {"jtrust.p12", "jtrust-legacy.p12"}) {
    auto ts = loadTrustStore(path(f), kPassword);
    ASSERT_TRUE(ts.ok()) << f << ": " << ts.error().message;
    EXPECT_EQ(ts->size(), 2u);
    EXPECT_NE(ts->find("wso2apim310"), nullptr) << f;
    EXPECT_NE(ts->find("rootca"), nullptr) << f;
    auto leaf = readPem("leaf.pem");
    EXPECT_TRUE(verifies(*ts, leaf.get())) << f;
  }
}

}  // namespace
}  // namespace mgw::tls
