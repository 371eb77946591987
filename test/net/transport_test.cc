// net::Transport over a non-blocking socketpair: plain and TLS (handshake, data both ways, ALPN,
// SNI and hostname verification, client certificates, close_notify, bad input).
#include "net/transport.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "test/net/test_certs.h"

namespace mgw::net {
namespace {

using mgw::testing::makeCert;
using mgw::testing::TestCert;

struct Pair {
  int a = -1, b = -1;
  Pair() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    a = fds[0];
    b = fds[1];
  }
  ~Pair() {
    close(a);
    close(b);
  }
};

struct Ctx {
  SSL_CTX* ctx;
  explicit Ctx(SSL_CTX* c) : ctx(c) {}
  ~Ctx() { SSL_CTX_free(ctx); }
};

// Steps both handshakes until both finish or one fails.
bool handshakeBoth(Transport& client, Transport& server) {
  bool c_done = false, s_done = false;
  for (int i = 0; i < 100 && !(c_done && s_done); ++i) {
    if (!c_done) {
      IoResult r = client.handshake();
      if (r.status == IoStatus::Error || r.status == IoStatus::Closed)
        return false;
      c_done = r.status == IoStatus::Ok;
    }
    if (!s_done) {
      IoResult r = server.handshake();
      if (r.status == IoStatus::Error || r.status == IoStatus::Closed)
        return false;
      s_done = r.status == IoStatus::Ok;
    }
  }
  return c_done && s_done;
}

std::string readAll(Transport& t, size_t want) {
  std::string out;
  char buf[4096];
  for (int i = 0; i < 1000 && out.size() < want; ++i) {
    IoResult r = t.read(buf, sizeof buf);
    if (r.status == IoStatus::Ok)
      out.append(buf, r.bytes);
    else if (r.status != IoStatus::WantRead)
      break;
  }
  return out;
}

struct Pki {
  TestCert ca = makeCert("Test CA", nullptr, true);
  TestCert server = makeCert("localhost", &ca, false, "DNS:localhost,IP:127.0.0.1");
  TestCert client = makeCert("client-one", &ca, false);
};

Pki& pki() {
  static Pki p;
  return p;
}

SSL_CTX* serverCtx(bool want_client_cert = false) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(ctx, pki().server.cert.get());
  SSL_CTX_use_PrivateKey(ctx, pki().server.key.get());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (want_client_cert) {
    X509_STORE* store = X509_STORE_new();
    X509_STORE_add_cert(store, pki().ca.cert.get());
    SSL_CTX_set0_verify_cert_store(ctx, store);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  static const unsigned char kAlpn[] = "\x08http/1.1";
  SSL_CTX_set_alpn_select_cb(
      ctx,
      [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
         unsigned int inlen, void*) {
        unsigned char* sel = nullptr;
        if (SSL_select_next_proto(&sel, outlen, kAlpn, sizeof kAlpn - 1, in, inlen) !=
            OPENSSL_NPN_NEGOTIATED)
          return SSL_TLSEXT_ERR_NOACK;
        *out = sel;
        return SSL_TLSEXT_ERR_OK;
      },
      nullptr);
  return ctx;
}

SSL_CTX* clientCtx(bool verify, bool with_cert = false) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (verify) {
    X509_STORE* store = X509_STORE_new();
    X509_STORE_add_cert(store, pki().ca.cert.get());
    SSL_CTX_set0_verify_cert_store(ctx, store);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  if (with_cert) {
    SSL_CTX_use_certificate(ctx, pki().client.cert.get());
    SSL_CTX_use_PrivateKey(ctx, pki().client.key.get());
  }
  SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>("\x02h2\x08http/1.1"), 12);
  return ctx;
}

TEST(PlainTransport, ReadWriteWouldBlockAndClose) {
  Pair p;
  auto a = makePlainTransport(p.a);
  auto b = makePlainTransport(p.b);
  EXPECT_EQ(a->handshake().status, IoStatus::Ok);
  EXPECT_FALSE(a->secure());
  char buf[16];
  EXPECT_EQ(b->read(buf, sizeof buf).status, IoStatus::WantRead);
  IoResult w = a->write("hello", 5);
  EXPECT_EQ(w.status, IoStatus::Ok);
  EXPECT_EQ(w.bytes, 5u);
  EXPECT_EQ(readAll(*b, 5), "hello");
  EXPECT_FALSE(b->hasBufferedInput());
  EXPECT_EQ(a->shutdownWrite().status, IoStatus::Ok);
  EXPECT_EQ(b->read(buf, sizeof buf).status, IoStatus::Closed);
}

TEST(PlainTransport, WriteReportsWantWriteWhenTheSocketIsFull) {
  Pair p;
  auto a = makePlainTransport(p.a);
  std::string chunk(65536, 'x');
  IoResult r;
  for (int i = 0; i < 1000; ++i) {
    r = a->write(chunk.data(), chunk.size());
    if (r.status != IoStatus::Ok)
      break;
  }
  EXPECT_EQ(r.status, IoStatus::WantWrite);
}

TEST(PlainTransport, WriteToAClosedPeerIsAnError) {
  Pair p;
  auto a = makePlainTransport(p.a);
  close(p.b);
  p.b = socket(AF_UNIX, SOCK_STREAM, 0);  // keep the destructor's close harmless
  IoResult r = a->write("x", 1);
  EXPECT_EQ(r.status, IoStatus::Error);
  EXPECT_STREQ(a->lastError(), "net.write_failed");
}

TEST(TlsTransport, HandshakeDataBothWaysAlpnAndCloseNotify) {
  Pair p;
  Ctx sc(serverCtx()), cc(clientCtx(true));
  auto server = makeTlsServerTransport(p.a, sc.ctx);
  auto client = makeTlsClientTransport(p.b, cc.ctx, "localhost", true);
  ASSERT_TRUE(handshakeBoth(*client, *server));
  EXPECT_TRUE(server->secure());
  EXPECT_EQ(server->alpn(), "http/1.1");
  EXPECT_EQ(client->alpn(), "http/1.1");
  EXPECT_EQ(server->peerCertificate(), nullptr);

  char buf[64];
  EXPECT_EQ(server->read(buf, sizeof buf).status, IoStatus::WantRead);
  ASSERT_EQ(client->write("GET / HTTP/1.1\r\n\r\n", 18).status, IoStatus::Ok);
  EXPECT_EQ(readAll(*server, 18), "GET / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(server->write("HTTP/1.1 200 OK\r\n", 17).status, IoStatus::Ok);
  EXPECT_EQ(readAll(*client, 17), "HTTP/1.1 200 OK\r\n");

  EXPECT_EQ(server->shutdownWrite().status, IoStatus::Ok);
  IoResult r = client->read(buf, sizeof buf);
  EXPECT_EQ(r.status, IoStatus::Closed);
}

TEST(TlsTransport, BufferedInputIsReportedAfterAPartialRead) {
  Pair p;
  Ctx sc(serverCtx()), cc(clientCtx(false));
  auto server = makeTlsServerTransport(p.a, sc.ctx);
  auto client = makeTlsClientTransport(p.b, cc.ctx, "localhost", false);
  ASSERT_TRUE(handshakeBoth(*client, *server));
  std::string msg(1000, 'a');
  ASSERT_EQ(client->write(msg.data(), msg.size()).bytes, msg.size());
  char small[10];
  IoResult r;
  for (int i = 0; i < 10; ++i) {
    r = server->read(small, sizeof small);
    if (r.status == IoStatus::Ok)
      break;
  }
  ASSERT_EQ(r.status, IoStatus::Ok);
  EXPECT_EQ(r.bytes, 10u);
  // The rest of the record is decrypted inside OpenSSL: the socket is no longer readable.
  EXPECT_TRUE(server->hasBufferedInput());
  EXPECT_EQ(readAll(*server, 990).size(), 990u);
  EXPECT_FALSE(server->hasBufferedInput());
}

TEST(TlsTransport, APartialRecordIsNotBufferedInput) {
  Pair p;
  Ctx sc(serverCtx()), cc(clientCtx(false));
  auto server = makeTlsServerTransport(p.a, sc.ctx);
  auto client = makeTlsClientTransport(p.b, cc.ctx, "localhost", false);
  ASSERT_TRUE(handshakeBoth(*client, *server));
  ASSERT_EQ(client->write("hello", 5).status, IoStatus::Ok);
  // Take the raw record off the server's socket, then feed it back through a new socket that
  // replaces the server's descriptor, half at a time.
  char raw[512];
  ssize_t n = recv(p.a, raw, sizeof raw, 0);
  ASSERT_GT(n, 10);
  int q[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, q), 0);
  ASSERT_EQ(dup2(q[0], p.a), p.a);
  close(q[0]);
  ASSERT_EQ(write(q[1], raw, static_cast<size_t>(n / 2)), n / 2);
  char buf[64];
  EXPECT_EQ(server->read(buf, sizeof buf).status, IoStatus::WantRead);
  EXPECT_FALSE(server->hasBufferedInput());
  ASSERT_EQ(write(q[1], raw + n / 2, static_cast<size_t>(n - n / 2)), n - n / 2);
  IoResult r = server->read(buf, sizeof buf);
  ASSERT_EQ(r.status, IoStatus::Ok);
  EXPECT_EQ(std::string(buf, r.bytes), "hello");
  close(q[1]);
}

TEST(TlsTransport, LargeWritesProgressWithPartialWrites) {
  Pair p;
  Ctx sc(serverCtx()), cc(clientCtx(false));
  auto server = makeTlsServerTransport(p.a, sc.ctx);
  auto client = makeTlsClientTransport(p.b, cc.ctx, "localhost", false);
  ASSERT_TRUE(handshakeBoth(*client, *server));
  std::string big(2 * 1024 * 1024, 'z');
  size_t sent = 0;
  std::string got;
  char buf[65536];
  for (int i = 0; i < 100000 && got.size() < big.size(); ++i) {
    if (sent < big.size()) {
      IoResult w = server->write(big.data() + sent, big.size() - sent);
      ASSERT_NE(w.status, IoStatus::Error);
      if (w.status == IoStatus::Ok)
        sent += w.bytes;
    }
    IoResult r = client->read(buf, sizeof buf);
    ASSERT_NE(r.status, IoStatus::Error);
    if (r.status == IoStatus::Ok)
      got.append(buf, r.bytes);
  }
  EXPECT_EQ(got.size(), big.size());
  EXPECT_EQ(got, big);
}

TEST(TlsTransport, HostnameMismatchFailsWhenVerifying) {
  Pair p;
  Ctx sc(serverCtx()), cc(clientCtx(true));
  auto server = makeTlsServerTransport(p.a, sc.ctx);
  auto client = makeTlsClientTransport(p.b, cc.ctx, "other.example", true);
  EXPECT_FALSE(handshakeBoth(*client, *server));
  EXPECT_STREQ(client->lastError(), "tls.bad_certificate");
}

TEST(TlsTransport, HostnameMismatchIsAcceptedWithoutHostnameVerification) {
  Pair p;
  Ctx sc(serverCtx()), cc(clientCtx(true));
  auto server = makeTlsServerTransport(p.a, sc.ctx);
  auto client = makeTlsClientTransport(p.b, cc.ctx, "other.example", false);
  EXPECT_TRUE(handshakeBoth(*client, *server));
}

TEST(TlsTransport, IpLiteralIsVerifiedAgainstTheIpSanAndNotSentAsSni) {
  Pair p;
  Ctx sc(serverCtx()), cc(clientCtx(true));
  std::string seen_sni = "unset";
  SSL_CTX_set_tlsext_servername_arg(sc.ctx, &seen_sni);
  SSL_CTX_set_tlsext_servername_callback(
      sc.ctx, +[](SSL* ssl, int*, void* arg) {
        const char* n = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        *static_cast<std::string*>(arg) = n ? n : "";
        return SSL_TLSEXT_ERR_OK;
      });
  auto server = makeTlsServerTransport(p.a, sc.ctx);
  auto client = makeTlsClientTransport(p.b, cc.ctx, "127.0.0.1", true);
  EXPECT_TRUE(handshakeBoth(*client, *server));
  EXPECT_EQ(seen_sni, "");  // the callback runs, but without a server name

  Pair q;
  auto server2 = makeTlsServerTransport(q.a, sc.ctx);
  auto client2 = makeTlsClientTransport(q.b, cc.ctx, "127.0.0.2", true);
  EXPECT_FALSE(handshakeBoth(*client2, *server2));
}

TEST(TlsTransport, SniIsSentForHostNames) {
  Pair p;
  Ctx sc(serverCtx()), cc(clientCtx(false));
  std::string seen_sni;
  SSL_CTX_set_tlsext_servername_arg(sc.ctx, &seen_sni);
  SSL_CTX_set_tlsext_servername_callback(
      sc.ctx, +[](SSL* ssl, int*, void* arg) {
        const char* n = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        *static_cast<std::string*>(arg) = n ? n : "";
        return SSL_TLSEXT_ERR_OK;
      });
  auto server = makeTlsServerTransport(p.a, sc.ctx);
  auto client = makeTlsClientTransport(p.b, cc.ctx, "localhost", false);
  EXPECT_TRUE(handshakeBoth(*client, *server));
  EXPECT_EQ(seen_sni, "localhost");
}

TEST(TlsTransport, UntrustedServerCertificateFailsTheClientHandshake) {
  Pair p;
  TestCert other_ca = makeCert("Other CA", nullptr, true);
  Ctx sc(serverCtx());
  SSL_CTX* c = SSL_CTX_new(TLS_client_method());
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, other_ca.cert.get());
  SSL_CTX_set0_verify_cert_store(c, store);
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
  Ctx cc(c);
  auto server = makeTlsServerTransport(p.a, sc.ctx);
  auto client = makeTlsClientTransport(p.b, cc.ctx, "localhost", true);
  EXPECT_FALSE(handshakeBoth(*client, *server));
  EXPECT_STREQ(client->lastError(), "tls.bad_certificate");
}

TEST(TlsTransport, ClientCertificateIsCapturedOnTheServer) {
  Pair p;
  Ctx sc(serverCtx(true)), cc(clientCtx(false, true));
  auto server = makeTlsServerTransport(p.a, sc.ctx);
  auto client = makeTlsClientTransport(p.b, cc.ctx, "localhost", false);
  ASSERT_TRUE(handshakeBoth(*client, *server));
  // TLS 1.3 sends the client certificate after the client considers the handshake done; the
  // server finished only when it verified it.
  const filter::ClientCertificate* cert = server->peerCertificate();
  ASSERT_NE(cert, nullptr);
  EXPECT_TRUE(cert->chain_verified);
  EXPECT_EQ(cert->subject, "CN=client-one");
  EXPECT_EQ(cert->sha256_hex.size(), 64u);
  EXPECT_FALSE(cert->from_header);
}

TEST(TlsTransport, MissingRequiredClientCertificateFailsTheServerHandshake) {
  Pair p;
  Ctx sc(serverCtx(true)), cc(clientCtx(false, false));
  auto server = makeTlsServerTransport(p.a, sc.ctx);
  auto client = makeTlsClientTransport(p.b, cc.ctx, "localhost", false);
  bool ok = handshakeBoth(*client, *server);
  if (ok) {
    // TLS 1.3: the client finished first; the server fails when it reads the empty Certificate.
    IoResult r = server->handshake();
    EXPECT_EQ(r.status, IoStatus::Error);
  }
  EXPECT_STREQ(server->lastError(), "tls.bad_certificate");
}

TEST(TlsTransport, PlainHttpToATlsListenerIsAnError) {
  Pair p;
  Ctx sc(serverCtx());
  auto server = makeTlsServerTransport(p.a, sc.ctx);
  const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(write(p.b, req, sizeof req - 1), static_cast<ssize_t>(sizeof req - 1));
  IoResult r = server->handshake();
  EXPECT_EQ(r.status, IoStatus::Error);
  EXPECT_STREQ(server->lastError(), "tls.plain_http_request");
  char buf[8];
  EXPECT_EQ(server->read(buf, sizeof buf).status, IoStatus::Error);
  EXPECT_EQ(server->write("x", 1).status, IoStatus::Error);
  EXPECT_EQ(server->shutdownWrite().status, IoStatus::Ok);  // no close_notify after an error
}

TEST(TlsTransport, GarbageAndEofDuringHandshakeAreErrors) {
  Pair p;
  Ctx sc(serverCtx());
  auto server = makeTlsServerTransport(p.a, sc.ctx);
  std::string junk(300, '\x16');
  ASSERT_GT(write(p.b, junk.data(), junk.size()), 0);
  shutdown(p.b, SHUT_WR);
  IoResult r{IoStatus::WantRead, 0};
  for (int i = 0; i < 10 && r.status == IoStatus::WantRead; ++i)
    r = server->handshake();
  EXPECT_EQ(r.status, IoStatus::Error);

  Pair q;
  auto server2 = makeTlsServerTransport(q.a, sc.ctx);
  shutdown(q.b, SHUT_WR);
  IoResult r2 = server2->handshake();
  EXPECT_NE(r2.status, IoStatus::Ok);
  EXPECT_NE(r2.status, IoStatus::WantRead);
}

TEST(TlsTransport, PeerEofWithoutCloseNotifyIsAnOrderlyClose) {
  Pair p;
  Ctx sc(serverCtx()), cc(clientCtx(false));
  auto server = makeTlsServerTransport(p.a, sc.ctx);
  auto client = makeTlsClientTransport(p.b, cc.ctx, "localhost", false);
  ASSERT_TRUE(handshakeBoth(*client, *server));
  shutdown(p.b, SHUT_WR);
  char buf[8];
  IoResult r{IoStatus::WantRead, 0};
  for (int i = 0; i < 10 && r.status == IoStatus::WantRead; ++i)
    r = server->read(buf, sizeof buf);
  EXPECT_EQ(r.status, IoStatus::Closed);
}

}  // namespace
}  // namespace mgw::net
