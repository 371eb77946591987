// ConnPool and UpstreamConnection over TLS against an in-process OpenSSL server (a blocking
// thread): handshake with SNI and verification inside connect(), keep-alive reuse of the TLS
// connection, certificate and hostname failures reported as connect errors, no plain fallback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <csignal>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "net/test_certs.h"
#include "tls/client_context.h"
#include "upstream/http1_upstream.h"

namespace mgw::upstream {
namespace {

// Serves one connection at a time: TLS handshake, then "hello" for every request head.
class TlsServer {
 public:
  explicit TlsServer(const testing::TestCert& leaf) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx_, leaf.cert.get());
    SSL_CTX_use_PrivateKey(ctx_, leaf.key.get());
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~TlsServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    int c = client_.exchange(-1);
    if (c >= 0)
      ::shutdown(c, SHUT_RDWR);
    thread_.join();
    SSL_CTX_free(ctx_);
  }
  uint16_t port() const { return port_; }
  int accepts() const { return accepts_.load(); }
  int handshakes() const { return handshakes_.load(); }
  // The SNI of the last handshake; waits (bounded) for the server thread to finish it.
  std::string sni() {
    for (int i = 0; i < 500 && handshakes_.load() == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::lock_guard<std::mutex> lock(mu_);
    return sni_;
  }

 private:
  void run() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0)
        return;
      ++accepts_;
      client_ = c;
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, c);
      if (SSL_accept(ssl) == 1) {
        const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        {
          std::lock_guard<std::mutex> lock(mu_);
          sni_ = name ? name : "";
        }
        ++handshakes_;
        serve(ssl);
      }
      SSL_free(ssl);
      client_ = -1;
      ::close(c);
    }
  }
  static void serve(SSL* ssl) {
    std::string in;
    char buf[4096];
    for (;;) {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0)
        return;
      in.append(buf, static_cast<size_t>(n));
      size_t end;
      while ((end = in.find("\r\n\r\n")) != std::string::npos) {
        in.erase(0, end + 4);
        static const std::string kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        SSL_write(ssl, kResponse.data(), static_cast<int>(kResponse.size()));
      }
    }
  }

  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> client_{-1};
  std::atomic<int> accepts_{0};
  std::atomic<int> handshakes_{0};
  std::mutex mu_;
  std::string sni_;
  std::thread thread_;
};

struct Recorder : UpstreamCallbacks {
  int status = 0;
  std::string body;
  bool done = false;
  const char* error = nullptr;
  void onUpstreamHead(http::ResponseHead& head) override { status = head.status; }
  void onUpstreamData(std::string_view data, bool end) override {
    body.append(data);
    done = done || end;
  }
  void onUpstreamError(const char* reason, bool) override {
    error = reason;
    done = true;
  }
  void onUpstreamWritable() override {}
};

class TlsPoolTest : public ::testing::Test {
 protected:
  TlsPoolTest()
      : ca_(testing::makeCert("pool-ca", nullptr, true)),
        other_ca_(testing::makeCert("other-ca", nullptr, true)),
        pool_(io_, scratch_, sizeof scratch_, http1::Limits{}) {
    // OpenSSL writes with write(2); the gateway ignores SIGPIPE in main(), so do the tests.
    std::signal(SIGPIPE, SIG_IGN);
  }

  std::shared_ptr<const tls::ClientContext> context(const testing::TestCert& ca,
                                                    bool verify_hostname = true) {
    auto store = std::make_shared<tls::TrustStore>();
    X509_up_ref(ca.cert.get());
    store->add("ca", tls::X509Ptr(ca.cert.get()));
    tls::ClientContextOptions options;
    options.trust_store = store;
    options.verify_hostname = verify_hostname;
    auto ctx = tls::ClientContext::create(options);
    EXPECT_TRUE(ctx);
    return ctx ? *ctx : nullptr;
  }

  void runUntil(const std::function<bool()>& cond) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!cond() && std::chrono::steady_clock::now() < end) {
      io_.restart();
      io_.run_one_for(std::chrono::milliseconds(20));
    }
  }

  // Connects to `url`; returns the error reason ("" on success) and the connection.
  std::pair<std::string, UpstreamConnectionPtr> connect(const std::string& url_text) {
    auto url = parseUrl(url_text);
    EXPECT_TRUE(url);
    bool called = false;
    std::string error;
    UpstreamConnectionPtr out;
    pool_.connect(*url, [&](const char* e, UpstreamConnectionPtr conn) {
      called = true;
      error = e ? e : "";
      out = std::move(conn);
    });
    runUntil([&] { return called; });
    EXPECT_TRUE(called);
    return {error, out};
  }

  void exchange(const UpstreamConnectionPtr& conn, Recorder& rec) {
    conn->attach(&rec, "GET");
    conn->write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    runUntil([&] { return rec.done; });
  }

  std::string url(const TlsServer& server, const std::string& host = "localhost") {
    return "https://" + host + ":" + std::to_string(server.port()) + "/";
  }

  testing::TestCert ca_;
  testing::TestCert other_ca_;
  boost::asio::io_context io_{1};
  char scratch_[65536];
  ConnPool pool_;
};

TEST_F(TlsPoolTest, HandshakesVerifiesAndReusesTheConnection) {
  auto leaf = testing::makeCert("backend", &ca_, false, "DNS:localhost,IP:127.0.0.1");
  TlsServer server(leaf);
  pool_.setTlsContext(context(ca_));
  auto [error, conn] = connect(url(server));
  ASSERT_EQ(error, "");
  ASSERT_TRUE(conn);
  EXPECT_TRUE(conn->secure());
  EXPECT_EQ(server.sni(), "localhost");
  Recorder first;
  exchange(conn, first);
  EXPECT_EQ(first.error, nullptr);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "hello");
  conn->release();
  // Give the idle watch a chance to run (a TLS 1.3 ticket must not discard the connection).
  for (int i = 0; i < 5; ++i)
    io_.poll();
  auto parsed = parseUrl(url(server));
  UpstreamConnectionPtr idle = pool_.takeIdle(*parsed);
  ASSERT_EQ(idle, conn);
  Recorder second;
  exchange(idle, second);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, "hello");
  EXPECT_EQ(server.accepts(), 1);
  idle->close();
  // The plain pool key never hands out the TLS connection.
  auto plain = parseUrl("http://localhost:" + std::to_string(server.port()) + "/");
  EXPECT_EQ(pool_.takeIdle(*plain), nullptr);
}

TEST_F(TlsPoolTest, IpLiteralIsVerifiedAgainstTheIpSanWithoutSni) {
  auto leaf = testing::makeCert("backend", &ca_, false, "DNS:localhost,IP:127.0.0.1");
  TlsServer server(leaf);
  pool_.setTlsContext(context(ca_));
  auto [error, conn] = connect(url(server, "127.0.0.1"));
  ASSERT_EQ(error, "");
  EXPECT_EQ(server.sni(), "");
  conn->close();
}

TEST_F(TlsPoolTest, UntrustedCertificateIsAConnectError) {
  auto leaf = testing::makeCert("backend", &other_ca_, false, "DNS:localhost");
  TlsServer server(leaf);
  pool_.setTlsContext(context(ca_));
  auto [error, conn] = connect(url(server));
  EXPECT_EQ(error, "tls.bad_certificate");
  EXPECT_EQ(conn, nullptr);
}

TEST_F(TlsPoolTest, HostnameMismatchIsAConnectErrorUnlessHostnameChecksAreOff) {
  auto leaf = testing::makeCert("backend", &ca_, false, "DNS:other.example");
  TlsServer server(leaf);
  pool_.setTlsContext(context(ca_));
  EXPECT_EQ(connect(url(server)).first, "tls.bad_certificate");
  pool_.setTlsContext(context(ca_, false));
  auto [error, conn] = connect(url(server));
  EXPECT_EQ(error, "");
  ASSERT_TRUE(conn);
  conn->close();
}

TEST_F(TlsPoolTest, HttpsWithoutAClientContextNeverConnectsInPlain) {
  auto leaf = testing::makeCert("backend", &ca_, false, "DNS:localhost");
  TlsServer server(leaf);
  auto [error, conn] = connect(url(server));
  EXPECT_EQ(error, "upstream.tls_unavailable");
  EXPECT_EQ(conn, nullptr);
  EXPECT_EQ(server.accepts(), 0);
}

TEST_F(TlsPoolTest, PlainServerBehindHttpsUrlFailsTheHandshake) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread t([fd] {
    int c = ::accept(fd, nullptr, nullptr);
    if (c < 0)
      return;
    char buf[512];
    (void)::recv(c, buf, sizeof buf, 0);
    static const char kReply[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    (void)::send(c, kReply, sizeof kReply - 1, MSG_NOSIGNAL);
    ::close(c);
  });
  pool_.setTlsContext(context(ca_));
  auto [error, conn] = connect("https://localhost:" + std::to_string(ntohs(addr.sin_port)));
  EXPECT_NE(error, "");
  EXPECT_EQ(conn, nullptr);
  t.join();
  ::close(fd);
}

}  // namespace
}  // namespace mgw::upstream
