// Plain and TLS transports over a connected non-blocking socket (see transport.h).
//
// TLS state machine of TlsTransport (state_):
//   Handshaking --SSL_do_handshake()==1--> Open --SSL_read()==ZERO_RETURN--> (peer closed)
//   any state --fatal SSL error--> Failed   (SSL_shutdown must not be called after a fatal
//   error, RFC 8446 §6.2: the connection is aborted without close_notify)
//   Open --shutdownWrite()--> ShutDown      (close_notify sent, RFC 8446 §6.1)
#include "net/transport.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "tls/server_context.h"

namespace mgw::net {
namespace {

class PlainTransport final : public Transport {
 public:
  explicit PlainTransport(int fd) : fd_(fd) {}

  IoResult handshake() override { return {}; }

  IoResult read(char* buf, size_t len) override {
    for (;;) {
      ssize_t n = ::recv(fd_, buf, len, 0);
      if (n > 0)
        return {IoStatus::Ok, static_cast<size_t>(n)};
      if (n == 0)
        return {IoStatus::Closed, 0};
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return {IoStatus::WantRead, 0};
      last_error_ = "net.read_failed";
      return {IoStatus::Error, 0};
    }
  }

  IoResult write(const char* buf, size_t len) override {
    for (;;) {
      // MSG_NOSIGNAL: a peer that reset the connection must not raise SIGPIPE.
      ssize_t n = ::send(fd_, buf, len, MSG_NOSIGNAL);
      if (n >= 0)
        return {IoStatus::Ok, static_cast<size_t>(n)};
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return {IoStatus::WantWrite, 0};
      last_error_ = "net.write_failed";
      return {IoStatus::Error, 0};
    }
  }

  IoResult shutdownWrite() override {
    ::shutdown(fd_, SHUT_WR);
    return {};
  }

  bool hasBufferedInput() const override { return false; }
  bool secure() const override { return false; }
  const char* lastError() const override { return last_error_; }

 private:
  int fd_;
  const char* last_error_ = "";
};

bool isIpLiteral(std::string_view host) {
  std::string h(host);
  unsigned char tmp[16];
  return inet_pton(AF_INET, h.c_str(), tmp) == 1 || inet_pton(AF_INET6, h.c_str(), tmp) == 1;
}

class TlsTransport final : public Transport {
 public:
  enum class State { Handshaking, Open, Failed, ShutDown };

  TlsTransport(int fd, SSL_CTX* ctx, bool server) : fd_(fd), server_(server) {
    ssl_ = SSL_new(ctx);
    if (ssl_ == nullptr) {
      state_ = State::Failed;
      last_error_ = "tls.init_failed";
      return;
    }
    SSL_set_fd(ssl_, fd);
    // The caller keeps unwritten bytes and retries with the same data, possibly from a moved
    // buffer; partial writes let large bodies stream record by record.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (server) {
      // An idle keep-alive connection should hold no buffers (ARCHITECTURE.md §2): OpenSSL frees
      // its ~34 KiB of record buffers whenever they are empty.
      SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS);
      SSL_set_accept_state(ssl_);
    } else {
      SSL_set_connect_state(ssl_);
    }
  }

  ~TlsTransport() override {
    if (ssl_ != nullptr)
      SSL_free(ssl_);
  }

  // Client side only, before the first handshake step.
  void configureClient(std::string_view host, bool verify_hostname) {
    if (ssl_ == nullptr || host.empty())
      return;
    std::string h(host);
    if (h.size() > 2 && h.front() == '[' && h.back() == ']')
      h = h.substr(1, h.size() - 2);
    bool ip = isIpLiteral(h);
    // RFC 6066 §3: literal IPv4 and IPv6 addresses are not permitted in SNI.
    if (!ip)
      SSL_set_tlsext_host_name(ssl_, h.c_str());
    if (verify_hostname) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
      if (ip)
        X509_VERIFY_PARAM_set1_ip_asc(param, h.c_str());
      else
        SSL_set1_host(ssl_, h.c_str());
    }
  }

  IoResult handshake() override {
    if (state_ == State::Open)
      return {};
    if (state_ != State::Handshaking)
      return {IoStatus::Error, 0};
    ERR_clear_error();
    int rc = SSL_do_handshake(ssl_);
    if (rc == 1) {
      state_ = State::Open;
      if (server_)
        capturePeer();
      return {};
    }
    IoResult r = mapError(rc, "tls.handshake_failed");
    if (r.status == IoStatus::Closed) {
      // EOF during the handshake is a failed handshake, not an orderly close.
      last_error_ = "tls.handshake_eof";
    }
    return r;
  }

  IoResult read(char* buf, size_t len) override {
    if (state_ != State::Open && state_ != State::ShutDown)
      return {IoStatus::Error, 0};
    ERR_clear_error();
    size_t n = 0;
    int rc = SSL_read_ex(ssl_, buf, len, &n);
    if (rc == 1)
      return {IoStatus::Ok, n};
    return mapError(rc, "tls.read_failed");
  }

  IoResult write(const char* buf, size_t len) override {
    if (state_ != State::Open)
      return {IoStatus::Error, 0};
    if (len == 0)
      return {};
    ERR_clear_error();
    size_t n = 0;
    int rc = SSL_write_ex(ssl_, buf, len, &n);
    if (rc == 1)
      return {IoStatus::Ok, n};
    return mapError(rc, "tls.write_failed");
  }

  IoResult shutdownWrite() override {
    if (state_ == State::Open) {
      ERR_clear_error();
      int rc = SSL_shutdown(ssl_);
      // 0: our close_notify is out, the peer's has not arrived; we do not wait for it.
      if (rc < 0) {
        int err = SSL_get_error(ssl_, rc);
        if (err == SSL_ERROR_WANT_WRITE)
          return {IoStatus::WantWrite, 0};
        if (err == SSL_ERROR_WANT_READ)
          return {IoStatus::WantRead, 0};
      }
      ERR_clear_error();
      state_ = State::ShutDown;
    }
    ::shutdown(fd_, SHUT_WR);
    return {};
  }

  // Decrypted application bytes only (SSL_pending): SSL_has_pending is also true for a partial
  // record, which needs more socket bytes and would make the caller spin.
  bool hasBufferedInput() const override {
    return ssl_ != nullptr && state_ == State::Open && SSL_pending(ssl_) > 0;
  }
  bool secure() const override { return true; }
  const char* lastError() const override { return last_error_; }

  std::string_view alpn() const override {
    if (ssl_ == nullptr)
      return {};
    const unsigned char* data = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl_, &data, &len);
    if (data == nullptr)
      return {};
    return {reinterpret_cast<const char*>(data), len};
  }

  const filter::ClientCertificate* peerCertificate() const override {
    return peer_ ? &*peer_ : nullptr;
  }

 private:
  void capturePeer() {
    X509* leaf = SSL_get0_peer_certificate(ssl_);
    if (leaf == nullptr)
      return;
    bool verified = SSL_get_verify_result(ssl_) == X509_V_OK;
    const tls::TrustStore* trust = tls::trustStoreOf(SSL_get_SSL_CTX(ssl_));
    peer_ = tls::describeCertificate(leaf, verified, trust);
  }

  IoResult mapError(int rc, const char* token) {
    int err = SSL_get_error(ssl_, rc);
    switch (err) {
      case SSL_ERROR_WANT_READ:
        return {IoStatus::WantRead, 0};
      case SSL_ERROR_WANT_WRITE:
        return {IoStatus::WantWrite, 0};
      case SSL_ERROR_ZERO_RETURN:
        return {IoStatus::Closed, 0};
      case SSL_ERROR_SYSCALL:
        if (errno == EAGAIN || errno == EWOULDBLOCK)
          return {IoStatus::WantRead, 0};
        state_ = State::Failed;
        last_error_ = token;
        return {IoStatus::Error, 0};
      default:
        break;
    }
    unsigned long e = ERR_peek_last_error();
    state_ = State::Failed;
    // OpenSSL 3 reports a TCP FIN without close_notify as an SSL error; for HTTP/1.1 framing
    // carries message boundaries, so a truncation attack cannot cut a message unnoticed (RFC
    // 9112 §9.8); treat it as end of stream.
    if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
      ERR_clear_error();
      last_error_ = "tls.unexpected_eof";
      return {IoStatus::Closed, 0};
    }
    if (ERR_GET_LIB(e) == ERR_LIB_SSL) {
      int reason = ERR_GET_REASON(e);
      if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED ||
          reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE ||
          reason == SSL_R_NO_CERTIFICATES_RETURNED || reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE ||
          reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED)
        token = "tls.bad_certificate";
      else if (reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_WRONG_VERSION_NUMBER ||
               reason == SSL_R_UNKNOWN_PROTOCOL)
        token = "tls.bad_protocol_version";
      else if (reason == SSL_R_NO_SHARED_CIPHER)
        token = "tls.no_shared_cipher";
      else if (reason == SSL_R_HTTP_REQUEST || reason == SSL_R_HTTPS_PROXY_REQUEST)
        token = "tls.plain_http_request";
    }
    ERR_clear_error();
    last_error_ = token;
    return {IoStatus::Error, 0};
  }

  SSL* ssl_ = nullptr;
  int fd_;
  bool server_;
  State state_ = State::Handshaking;
  const char* last_error_ = "";
  std::optional<filter::ClientCertificate> peer_;
};

}  // namespace

std::unique_ptr<Transport> makePlainTransport(int fd) {
  return std::make_unique<PlainTransport>(fd);
}

std::unique_ptr<Transport> makeTlsServerTransport(int fd, SSL_CTX* ctx) {
  return std::make_unique<TlsTransport>(fd, ctx, true);
}

std::unique_ptr<Transport> makeTlsClientTransport(int fd, SSL_CTX* ctx, std::string_view sni_host,
                                                  bool verify_hostname) {
  auto t = std::make_unique<TlsTransport>(fd, ctx, false);
  t->configureClient(sni_host, verify_hostname);
  return t;
}

}  // namespace mgw::net
