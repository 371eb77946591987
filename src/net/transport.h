// The byte transport under an HTTP/1.1 codec, downstream and upstream: plain TCP or TLS
// (OpenSSL 3) over a connected non-blocking socket. Readiness-based, like the connections that
// drive it: a call that cannot progress answers WantRead / WantWrite and the caller waits for
// that readiness on its asio socket (async_wait) before calling again. TLS may need to write
// while reading (and the reverse), which is why both directions are reported.
//
// Threading: a Transport belongs to one connection on one worker thread. SSL_CTX objects are
// built at start and shared read-only (OpenSSL 3 allows concurrent SSL_new from one SSL_CTX).
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "mgw/filter/filter.h"

namespace mgw::net {

enum class IoStatus {
  Ok,         // `bytes` transferred (or the handshake / shutdown finished)
  WantRead,   // wait until the socket is readable, then call again
  WantWrite,  // wait until the socket is writable, then call again
  Closed,     // orderly end of stream from the peer (TCP FIN, TLS close_notify)
  Error,      // reset, protocol or certificate failure; the connection is finished
};

struct IoResult {
  IoStatus status = IoStatus::Ok;
  size_t bytes = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // TLS handshake step; plain TCP answers Ok at once. read/write before Ok is reached are
  // invalid.
  virtual IoResult handshake() = 0;
  virtual IoResult read(char* buf, size_t len) = 0;
  virtual IoResult write(const char* buf, size_t len) = 0;
  // Ends the write side: TLS close_notify then shutdown(SHUT_WR); plain TCP shutdown(SHUT_WR).
  virtual IoResult shutdownWrite() = 0;
  // Decrypted bytes are buffered inside the transport: read again before waiting for
  // readability.
  virtual bool hasBufferedInput() const = 0;
  virtual bool secure() const = 0;
  // After Error: a short reason token for logs ("tls.handshake_failed", "tls.bad_certificate").
  virtual const char* lastError() const = 0;
  // TLS: the ALPN protocol chosen ("" when none) and the client certificate verified during the
  // handshake (null without one).
  virtual std::string_view alpn() const { return {}; }
  virtual const filter::ClientCertificate* peerCertificate() const { return nullptr; }
};

std::unique_ptr<Transport> makePlainTransport(int fd);
// `ctx` outlives the transport.
std::unique_ptr<Transport> makeTlsServerTransport(int fd, SSL_CTX* ctx);
// `sni_host` is sent as SNI (not for IP literals) and, with `verify_hostname`, checked against the
// certificate (RFC 6125) when the context verifies peers.
std::unique_ptr<Transport> makeTlsClientTransport(int fd, SSL_CTX* ctx, std::string_view sni_host,
                                                  bool verify_hostname);

}  // namespace mgw::net
