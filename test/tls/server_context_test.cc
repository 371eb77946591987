// ServerContext: protocol and cipher policy, ALPN, client-certificate modes, the listener
// configuration, and the client-certificate helpers shared with the mTLS filter.
#include "tls/server_context.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <utility>

#include "net/transport.h"
#include "test/net/test_certs.h"

namespace mgw::tls {
namespace {

using mgw::testing::makeCert;
using mgw::testing::TestCert;
using mgw::testing::toPem;
using mgw::testing::writeFile;

struct Pki {
  TestCert ca = makeCert("Test CA", nullptr, true);
  TestCert other_ca = makeCert("Other CA", nullptr, true);
  TestCert server = makeCert("localhost", &ca, false, "DNS:localhost,IP:127.0.0.1");
  TestCert client = makeCert("client-one", &ca, false);
  TestCert stranger = makeCert("stranger", &other_ca, false);
  TestCert expired = makeCert("old-client", &ca, false, {}, -1);
};

Pki& pki() {
  static Pki p;
  return p;
}

class ServerContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mgw-sctx-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    key_store_ = dir_ + "/server.pem";
    writeFile(key_store_, toPem(pki().server, true));
    trust_path_ = dir_ + "/trust.pem";
    writeFile(trust_path_, toPem(pki().ca, false));
    auto trust = loadTrustStore(trust_path_, "");
    ASSERT_TRUE(trust.ok());
    trust_ = std::make_shared<const TrustStore>(std::move(*trust));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ServerContextOptions options() {
    ServerContextOptions o;
    o.key_store_path = key_store_;
    o.trust_store = trust_;
    return o;
  }

  std::string dir_, key_store_, trust_path_;
  std::shared_ptr<const TrustStore> trust_;
};

// A raw OpenSSL client against the server transport over a socketpair.
struct Handshake {
  bool ok = false;
  std::string alpn;
  std::string cipher;
  std::string peer_cn;  // subject CN of the certificate the server presented
  int version = 0;
  std::unique_ptr<net::Transport> server;
  // The server end of the socketpair, closed with the Handshake (after the transport).
  struct Fd {
    int fd = -1;
    Fd() = default;
    Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
    ~Fd() {
      if (fd >= 0)
        close(fd);
    }
  } server_fd;
};

Handshake handshake(SSL_CTX* server_ctx, const std::function<void(SSL_CTX*, SSL*)>& configure) {
  Handshake h;
  int fds[2];
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds);
  h.server_fd.fd = fds[0];
  h.server = net::makeTlsServerTransport(fds[0], server_ctx);
  SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(cctx, TLS1_VERSION);
  SSL_CTX_set_security_level(cctx, 0);
  SSL* ssl = SSL_new(cctx);
  SSL_set_fd(ssl, fds[1]);
  SSL_set_connect_state(ssl);
  configure(cctx, ssl);
  bool c_done = false, s_done = false, failed = false;
  for (int i = 0; i < 50 && !failed && !(c_done && s_done); ++i) {
    if (!c_done) {
      int rc = SSL_do_handshake(ssl);
      if (rc == 1)
        c_done = true;
      else {
        int e = SSL_get_error(ssl, rc);
        failed = e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
      }
    }
    if (!s_done) {
      net::IoResult r = h.server->handshake();
      s_done = r.status == net::IoStatus::Ok;
      failed = failed || r.status == net::IoStatus::Error || r.status == net::IoStatus::Closed;
    }
    if (c_done && !s_done) {
      // TLS 1.3: the client is done first; let it process the server's verdict.
      char b;
      SSL_read(ssl, &b, 1);
    }
  }
  if (c_done && s_done) {
    // TLS 1.3 client certificates are checked after the client finished: make the client read.
    char b;
    int rc = SSL_read(ssl, &b, 1);
    int e = SSL_get_error(ssl, rc);
    h.ok = e == SSL_ERROR_WANT_READ;
    const unsigned char* p = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl, &p, &len);
    if (p)
      h.alpn.assign(reinterpret_cast<const char*>(p), len);
    h.cipher = SSL_get_cipher_name(ssl);
    if (X509* peer = SSL_get0_peer_certificate(ssl))
      h.peer_cn = subjectCommonName(peer);
    h.version = SSL_version(ssl);
  }
  ERR_clear_error();
  SSL_free(ssl);
  SSL_CTX_free(cctx);
  close(fds[1]);
  return h;
}

void maxVersion(SSL_CTX*, SSL* ssl, int v) {
  SSL_set_max_proto_version(ssl, v);
}

TEST_F(ServerContextTest, DefaultsAreTls12And13Only) {
  auto ctx = ServerContext::create(options());
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  EXPECT_EQ((*ctx)->minProtocolVersion(), TLS1_2_VERSION);
  EXPECT_FALSE(
      handshake((*ctx)->get(), [](SSL_CTX* c, SSL* s) { maxVersion(c, s, TLS1_1_VERSION); }).ok);
  EXPECT_FALSE(
      handshake((*ctx)->get(), [](SSL_CTX* c, SSL* s) { maxVersion(c, s, TLS1_VERSION); }).ok);
  Handshake h12 =
      handshake((*ctx)->get(), [](SSL_CTX* c, SSL* s) { maxVersion(c, s, TLS1_2_VERSION); });
  EXPECT_TRUE(h12.ok);
  EXPECT_EQ(h12.version, TLS1_2_VERSION);
  Handshake h13 = handshake((*ctx)->get(), [](SSL_CTX*, SSL*) {});
  EXPECT_TRUE(h13.ok);
  EXPECT_EQ(h13.version, TLS1_3_VERSION);
}

TEST_F(ServerContextTest, Tls11IsRefusedWithOneWarning) {
  auto o = options();
  o.protocol_versions = {"TLSv1.2", "TLSv1.1", "TLSv1"};
  ::testing::internal::CaptureStderr();
  auto ctx = ServerContext::create(o);
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ((*ctx)->minProtocolVersion(), TLS1_2_VERSION);
  size_t first = err.find("tls.protocol_refused");
  ASSERT_NE(first, std::string::npos) << err;
  EXPECT_EQ(err.find("tls.protocol_refused", first + 1), std::string::npos);
  EXPECT_NE(err.find("TLSv1.1"), std::string::npos);
  EXPECT_FALSE(
      handshake((*ctx)->get(), [](SSL_CTX* c, SSL* s) { maxVersion(c, s, TLS1_1_VERSION); }).ok);
}

TEST_F(ServerContextTest, OnlyOldVersionsNamedStillServesSecureOnes) {
  auto o = options();
  o.protocol_versions = {"TLSv1.1"};
  ::testing::internal::CaptureStderr();
  auto ctx = ServerContext::create(o);
  ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ((*ctx)->minProtocolVersion(), TLS1_2_VERSION);
}

TEST_F(ServerContextTest, Tls13AndTls11NamedMeansTls13Only) {
  auto o = options();
  o.protocol_versions = {"TLSv1.3", "TLSv1.1"};
  ::testing::internal::CaptureStderr();
  auto ctx = ServerContext::create(o);
  ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ((*ctx)->minProtocolVersion(), TLS1_3_VERSION);
}

TEST_F(ServerContextTest, Tls13OnlyRefusesTls12AndUnknownNamesAreErrors) {
  auto o = options();
  o.protocol_versions = {"TLSv1.3"};
  auto ctx = ServerContext::create(o);
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ((*ctx)->minProtocolVersion(), TLS1_3_VERSION);
  EXPECT_FALSE(
      handshake((*ctx)->get(), [](SSL_CTX* c, SSL* s) { maxVersion(c, s, TLS1_2_VERSION); }).ok);
  o.protocol_versions = {"TLSv9"};
  auto bad = ServerContext::create(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, "tls.bad_protocol_versions");
}

TEST_F(ServerContextTest, IanaCipherNamesAreHonouredAndUnknownOnesSkipped) {
  auto o = options();
  o.ciphers = {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", " SSL_RSA_WITH_3DES_EDE_CBC_SHA",
               "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"};
  ::testing::internal::CaptureStderr();
  auto ctx = ServerContext::create(o);
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  EXPECT_NE(err.find("tls.cipher_skipped"), std::string::npos);
  Handshake h =
      handshake((*ctx)->get(), [](SSL_CTX* c, SSL* s) { maxVersion(c, s, TLS1_2_VERSION); });
  ASSERT_TRUE(h.ok);
  EXPECT_EQ(h.cipher, "ECDHE-ECDSA-AES256-GCM-SHA384");
  // TLS 1.3 keeps its default suites.
  EXPECT_TRUE(handshake((*ctx)->get(), [](SSL_CTX*, SSL*) {}).ok);
}

TEST_F(ServerContextTest, WeakOrUnknownCiphersOnlyIsAnError) {
  auto o = options();
  o.ciphers = {"TLS_NOPE_WITH_NOTHING", "SSL_RSA_WITH_3DES_EDE_CBC_SHA"};
  ::testing::internal::CaptureStderr();
  auto ctx = ServerContext::create(o);
  ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.error().reason, "tls.bad_ciphers");
}

TEST_F(ServerContextTest, StaticRsaAndNullCiphersAreNeverOffered) {
  auto o = options();
  o.ciphers = {"TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"};
  auto ctx = ServerContext::create(o);
  ASSERT_TRUE(ctx.ok());
  EXPECT_FALSE(handshake((*ctx)->get(), [](SSL_CTX* c, SSL* s) {
                 maxVersion(c, s, TLS1_2_VERSION);
                 SSL_set_cipher_list(s, "AES128-GCM-SHA256");
               }).ok);
}

TEST_F(ServerContextTest, AlpnSelectsHttp11OrNothing) {
  auto ctx = ServerContext::create(options());
  ASSERT_TRUE(ctx.ok());
  Handshake h = handshake((*ctx)->get(), [](SSL_CTX*, SSL* s) {
    SSL_set_alpn_protos(s, reinterpret_cast<const unsigned char*>("\x02h2\x08http/1.1"), 12);
  });
  ASSERT_TRUE(h.ok);
  EXPECT_EQ(h.alpn, "http/1.1");
  Handshake h2only = handshake((*ctx)->get(), [](SSL_CTX*, SSL* s) {
    SSL_set_alpn_protos(s, reinterpret_cast<const unsigned char*>("\x02h2"), 3);
  });
  ASSERT_TRUE(h2only.ok);
  EXPECT_EQ(h2only.alpn, "");
}

void useCert(SSL* ssl, const TestCert& c) {
  SSL_use_certificate(ssl, c.cert.get());
  SSL_use_PrivateKey(ssl, c.key.get());
}

TEST_F(ServerContextTest, RequireVerifiesClientCertificates) {
  auto o = options();
  o.verify_client = VerifyClient::Require;
  auto ctx = ServerContext::create(o);
  ASSERT_TRUE(ctx.ok());
  for (int v : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(v);
    EXPECT_FALSE(handshake((*ctx)->get(), [v](SSL_CTX* c, SSL* s) { maxVersion(c, s, v); }).ok);
    EXPECT_FALSE(handshake((*ctx)->get(), [v](SSL_CTX* c, SSL* s) {
                   maxVersion(c, s, v);
                   useCert(s, pki().stranger);
                 }).ok);
    EXPECT_FALSE(handshake((*ctx)->get(), [v](SSL_CTX* c, SSL* s) {
                   maxVersion(c, s, v);
                   useCert(s, pki().expired);
                 }).ok);
    Handshake good = handshake((*ctx)->get(), [v](SSL_CTX* c, SSL* s) {
      maxVersion(c, s, v);
      useCert(s, pki().client);
    });
    ASSERT_TRUE(good.ok);
    const filter::ClientCertificate* cert = good.server->peerCertificate();
    ASSERT_NE(cert, nullptr);
    EXPECT_TRUE(cert->chain_verified);
    EXPECT_EQ(cert->subject, "CN=client-one");
    ASSERT_EQ(cert->aliases.size(), 1u);
    EXPECT_EQ(cert->aliases[0], "Test CA");
  }
}

TEST_F(ServerContextTest, OptionalAcceptsNoCertificateAndRecordsBadOnes) {
  auto o = options();
  o.verify_client = VerifyClient::Optional;
  auto ctx = ServerContext::create(o);
  ASSERT_TRUE(ctx.ok());
  Handshake none = handshake((*ctx)->get(), [](SSL_CTX*, SSL*) {});
  ASSERT_TRUE(none.ok);
  EXPECT_EQ(none.server->peerCertificate(), nullptr);
  Handshake bad = handshake((*ctx)->get(), [](SSL_CTX*, SSL* s) { useCert(s, pki().stranger); });
  ASSERT_TRUE(bad.ok);
  ASSERT_NE(bad.server->peerCertificate(), nullptr);
  EXPECT_FALSE(bad.server->peerCertificate()->chain_verified);
  EXPECT_TRUE(bad.server->peerCertificate()->aliases.empty());
  Handshake good = handshake((*ctx)->get(), [](SSL_CTX*, SSL* s) { useCert(s, pki().client); });
  ASSERT_TRUE(good.ok);
  ASSERT_NE(good.server->peerCertificate(), nullptr);
  EXPECT_TRUE(good.server->peerCertificate()->chain_verified);
}

TEST_F(ServerContextTest, ClientVerificationNeedsATrustStore) {
  auto o = options();
  o.trust_store = nullptr;
  o.verify_client = VerifyClient::Require;
  auto ctx = ServerContext::create(o);
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.error().reason, "tls.no_trust_store");
}

TEST_F(ServerContextTest, BadKeyStoreIsAnError) {
  auto o = options();
  o.key_store_path = dir_ + "/missing.p12";
  auto ctx = ServerContext::create(o);
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.error().reason, "tls.store_unreadable");
}

// A PKCS#12 key store with two key entries (as keytool writes when a store holds several).
void writeTwoKeyStore(const std::string& path, const TestCert& a, const TestCert& b) {
  STACK_OF(PKCS7)* safes = nullptr;
  int id = 0;
  for (const auto& [name, c] : {std::pair<const char*, const TestCert*>{"first", &a},
                                std::pair<const char*, const TestCert*>{"second", &b}}) {
    ++id;
    unsigned char key_id = static_cast<unsigned char>(id);
    STACK_OF(PKCS12_SAFEBAG)* bags = nullptr;
    PKCS12_SAFEBAG* cb = PKCS12_add_cert(&bags, c->cert.get());
    PKCS12_add_friendlyname(cb, name, -1);
    PKCS12_add_localkeyid(cb, &key_id, 1);
    PKCS12_SAFEBAG* kb =
        PKCS12_add_key(&bags, c->key.get(), 0, PKCS12_DEFAULT_ITER, NID_aes_256_cbc, "pw");
    PKCS12_add_friendlyname(kb, name, -1);
    PKCS12_add_localkeyid(kb, &key_id, 1);
    PKCS12_add_safe(&safes, bags, -1, 0, nullptr);
    sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
  }
  PKCS12* p12 = PKCS12_add_safes(safes, 0);
  sk_PKCS7_pop_free(safes, PKCS7_free);
  PKCS12_set_mac(p12, "pw", -1, nullptr, 0, 0, nullptr);
  FILE* f = std::fopen(path.c_str(), "wb");
  i2d_PKCS12_fp(f, p12);
  std::fclose(f);
  PKCS12_free(p12);
}

TEST_F(ServerContextTest, SniSelectsTheKeyEntryWhoseSanMatches) {
  TestCert second = makeCert("second", &pki().ca, false, "DNS:second.example");
  std::string path = dir_ + "/two.p12";
  writeTwoKeyStore(path, pki().server, second);
  auto o = options();
  o.key_store_path = path;
  o.key_store_password = "pw";
  auto ctx = ServerContext::create(o);
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  ASSERT_EQ((*ctx)->keys().size(), 2u);
  for (int v : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    Handshake by_name = handshake((*ctx)->get(), [v](SSL_CTX* c, SSL* s) {
      maxVersion(c, s, v);
      SSL_set_tlsext_host_name(s, "second.example");
    });
    ASSERT_TRUE(by_name.ok);
    EXPECT_EQ(by_name.peer_cn, "second");
    Handshake other = handshake((*ctx)->get(), [v](SSL_CTX* c, SSL* s) {
      maxVersion(c, s, v);
      SSL_set_tlsext_host_name(s, "unknown.example");
    });
    ASSERT_TRUE(other.ok);
    EXPECT_EQ(other.peer_cn, "localhost");
    Handshake none = handshake((*ctx)->get(), [v](SSL_CTX* c, SSL* s) { maxVersion(c, s, v); });
    ASSERT_TRUE(none.ok);
    EXPECT_EQ(none.peer_cn, "localhost");
  }
}

TEST(ParseVerifyClient, AcceptsWso2Values) {
  EXPECT_EQ(*parseVerifyClient("require"), VerifyClient::Require);
  EXPECT_EQ(*parseVerifyClient("OPTIONAL"), VerifyClient::Optional);
  EXPECT_EQ(*parseVerifyClient(""), VerifyClient::None);
  EXPECT_EQ(*parseVerifyClient("none"), VerifyClient::None);
  EXPECT_FALSE(parseVerifyClient("sometimes").ok());
}

TEST_F(ServerContextTest, ListenerTlsFromConfiguration) {
  config::GatewayConfig c;
  ::testing::internal::CaptureStderr();
  auto none = buildListenerTls(c);
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->context, nullptr);
  EXPECT_NE(err.find("tls.https_disabled"), std::string::npos);

  c.values["listenerconfig.keystorepath"] = key_store_;
  c.values["listenerconfig.truststorepath"] = trust_path_;
  c.values["mutualsslconfig.sslverifyclient"] = "optional";
  auto full = buildListenerTls(c);
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_NE(full->context, nullptr);
  ASSERT_NE(full->trust_store, nullptr);
  EXPECT_EQ(full->verify_client, VerifyClient::Optional);
  EXPECT_EQ(trustStoreOf(full->context->get()), full->trust_store.get());

  // Optional / require apply to the HTTPS listener only; the token listener never asks.
  EXPECT_NE(full->token_context, full->context);
  c.values["mutualsslconfig.sslverifyclient"] = "require";
  auto req = buildListenerTls(c);
  ASSERT_TRUE(req.ok());
  EXPECT_FALSE(handshake(req->context->get(), [](SSL_CTX*, SSL*) {}).ok);
  EXPECT_TRUE(handshake(req->token_context->get(), [](SSL_CTX*, SSL*) {}).ok);
  c.values["mutualsslconfig.sslverifyclient"] = "none";
  auto none2 = buildListenerTls(c);
  ASSERT_TRUE(none2.ok());
  EXPECT_EQ(none2->token_context, none2->context);

  c.values["listenerconfig.keystorepath"] = dir_ + "/nope.pem";
  EXPECT_FALSE(buildListenerTls(c).ok());
  c.values["listenerconfig.keystorepath"] = key_store_;
  c.values["mutualsslconfig.sslverifyclient"] = "maybe";
  EXPECT_FALSE(buildListenerTls(c).ok());
}

std::string derBase64(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  std::string out(static_cast<size_t>((len + 2) / 3 * 4), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), der, len);
  OPENSSL_free(der);
  return out;
}

std::string urlEncode(const std::string& s) {
  std::string out;
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

TEST(HeaderCertificate, PemUrlEncodedPemAndBase64DerAreAccepted) {
  std::string pem = toPem(pki().client, false);
  std::string b64 = derBase64(pki().client.cert.get());
  for (const std::string& value : {pem, urlEncode(pem), b64}) {
    auto cert = parseHeaderCertificate(value);
    ASSERT_TRUE(cert.ok()) << value.substr(0, 40);
    EXPECT_EQ(X509_cmp(cert->get(), pki().client.cert.get()), 0);
  }
}

TEST(HeaderCertificate, GarbageIsRejected) {
  std::string b64 = derBase64(pki().client.cert.get());
  for (const std::string& value :
       {std::string(), std::string("not a certificate"), b64.substr(0, b64.size() - 8),
        std::string("-----BEGIN CERTIFICATE-----\nAAAA\n"), std::string("%ZZ%41"),
        std::string(70000, 'A'), b64 + "AAAA"}) {
    auto cert = parseHeaderCertificate(value);
    EXPECT_FALSE(cert.ok()) << value.substr(0, 40);
    if (!cert.ok()) {
      EXPECT_EQ(cert.error().reason, "tls.bad_header_certificate");
    }
  }
}

TEST(HeaderCertificate, VerifiedAgainstTheTrustStoreWithAliases) {
  TrustStore trust;
  X509_up_ref(pki().ca.cert.get());
  trust.add("myca", X509Ptr(pki().ca.cert.get()));
  X509_up_ref(pki().client.cert.get());
  trust.add("pinned-client", X509Ptr(pki().client.cert.get()));
  filter::ClientCertificate good = verifyCertificate(pki().client.cert.get(), trust);
  EXPECT_TRUE(good.chain_verified);
  EXPECT_TRUE(good.from_header);
  EXPECT_EQ(good.aliases, (std::vector<std::string>{"myca", "pinned-client"}));
  filter::ClientCertificate bad = verifyCertificate(pki().stranger.cert.get(), trust);
  EXPECT_FALSE(bad.chain_verified);
  EXPECT_TRUE(bad.aliases.empty());
  filter::ClientCertificate old = verifyCertificate(pki().expired.cert.get(), trust);
  EXPECT_FALSE(old.chain_verified);
}

}  // namespace
}  // namespace mgw::tls
