// HTTP/1.1 client side: one upstream connection and the per-worker pool of idle keep-alive
// connections, over a net::Transport (plain TCP, or TLS for https:// URLs). Asio types appear
// here, so include this header from .cc files of src/server and src/upstream only.
//
// Threading: everything belongs to one worker's io_context; no locks.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mgw/http/http1_codec.h"
#include "net/transport.h"
#include "upstream/endpoint.h"

namespace mgw::tls {
class ClientContext;
}

namespace mgw::upstream {

// Receives the events of one exchange. The owner detaches before it is destroyed.
class UpstreamCallbacks {
 public:
  virtual ~UpstreamCallbacks() = default;
  virtual void onUpstreamHead(http::ResponseHead& head) = 0;
  // Response payload; `end` on the last call (possibly with empty data).
  virtual void onUpstreamData(std::string_view data, bool end) = 0;
  // Reset, early close or protocol fault. `nothing_received`: not a byte of the response arrived.
  virtual void onUpstreamError(const char* reason, bool nothing_received) = 0;
  // The write buffer drained below the low watermark.
  virtual void onUpstreamWritable() = 0;
};

class ConnPool;

class UpstreamConnection : public std::enable_shared_from_this<UpstreamConnection> {
 public:
  UpstreamConnection(boost::asio::io_context& io, ConnPool& pool, std::string key);
  ~UpstreamConnection();

  boost::asio::ip::tcp::socket& socket() { return socket_; }
  const std::string& key() const { return key_; }
  // Set once by ConnPool::connect after the TCP connect (before the TLS handshake).
  void setTransport(std::unique_ptr<net::Transport> transport) {
    transport_ = std::move(transport);
  }
  net::Transport* transport() { return transport_.get(); }
  bool secure() const { return transport_ && transport_->secure(); }

  // Starts an exchange: `method` decides response framing (HEAD has no body).
  void attach(UpstreamCallbacks* callbacks, std::string_view method);
  // The owner is done with the exchange; the connection goes back to the pool if reusable.
  void release();
  void write(std::string_view bytes);
  // Appending to writeBuffer() then calling commitWrite() is write() without a temporary.
  std::string& writeBuffer() { return out_; }
  void commitWrite();
  size_t pendingWriteBytes() const { return out_.size() - out_off_; }
  void pauseReading(bool paused);
  bool reused() const { return exchanges_ > 1; }
  // Closes the socket now; pending operations complete with operation_aborted.
  void close();
  bool closed() const { return state_ == State::Broken; }

 private:
  void scheduledFlush();  // flush() at the end of the event that queued the output
  // Exchange states (one request/response at a time, no upstream pipelining).
  enum class State {
    Idle,    // in the pool, watching for the server closing it
    Head,    // waiting for / parsing the response head
    Body,    // streaming the response body
    Done,    // response complete
    Broken,  // error seen or closed: never reused
  };

  void startRead();
  void onReadable();
  // Handles one read result whose bytes are at `data` (the shared scratch or rbuf_).
  void onRead(net::IoResult r, const char* data);
  void process();
  void flush();
  // Waits for `read` or write readiness, then runs flush() (a TLS write may need to read).
  void waitThenFlush(bool read);
  void fail(const char* reason);
  const char* ioFailure(bool eof) const;

  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<net::Transport> transport_;
  ConnPool& pool_;
  std::string key_;
  UpstreamCallbacks* callbacks_ = nullptr;
  State state_ = State::Idle;
  std::string method_;
  std::string in_;
  // Plain TCP: the pending read is an async_receive into this buffer rather than a readiness
  // wait, so Asio's reactor never re-arms the descriptor (no epoll_ctl per exchange). Allocated
  // on the first read; TLS connections read through the transport into the shared scratch.
  static constexpr size_t kReadBufSize = 8 * 1024;
  std::unique_ptr<char[]> rbuf_;
  std::string out_;
  size_t out_off_ = 0;            // bytes of out_ already handed to the transport
  bool write_in_flight_ = false;  // waiting for readiness to continue a write
  bool read_in_flight_ = false;
  bool read_paused_ = false;
  bool keep_alive_ = false;
  bool received_any_ = false;
  bool in_callback_ = false;
  bool flush_posted_ = false;
  bool release_pending_ = false;
  bool read_completed_early_ = false;  // the pending receive completed inside async_receive
  uint32_t write_waits_ = 0;           // write-readiness waits completed so far
  int informational_ = 0;
  uint64_t exchanges_ = 0;
  http1::ResponseParser parser_;
  http1::BodyDecoder body_;
  http::ResponseHead head_;
};

using UpstreamConnectionPtr = std::shared_ptr<UpstreamConnection>;

class ConnPool {
 public:
  ConnPool(boost::asio::io_context& io, char* scratch, size_t scratch_size,
           const http1::Limits& limits);
  ~ConnPool();

  // An idle keep-alive connection to `url`, or null.
  UpstreamConnectionPtr takeIdle(const Url& url);
  using ConnectCallback = std::function<void(const char* error, UpstreamConnectionPtr)>;
  // Opens a new connection (numeric hosts and "localhost" directly, other names through the
  // resolver); for an https:// URL it also runs the TLS handshake (SNI and certificate checks of
  // the client context). `cb` gets an error reason or the connected connection; TLS failures are
  // "upstream.tls_unavailable" (no client context) or the transport's token
  // ("tls.bad_certificate", "tls.handshake_failed", ...), never a plain-HTTP fallback. The
  // returned pointer can be closed to cancel.
  UpstreamConnectionPtr connect(const Url& url, ConnectCallback cb);
  // The context for https:// URLs, shared read-only; null: https connects fail.
  void setTlsContext(std::shared_ptr<const tls::ClientContext> ctx) { tls_ = std::move(ctx); }
  void closeAll();

  // Used by UpstreamConnection.
  void putIdle(UpstreamConnectionPtr conn);
  void dropIdle(UpstreamConnection* conn);
  char* scratch() { return scratch_; }
  size_t scratchSize() const { return scratch_size_; }
  const http1::Limits& limits() const { return limits_; }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context& io_;
  char* scratch_;
  size_t scratch_size_;
  http1::Limits limits_;
  std::shared_ptr<const tls::ClientContext> tls_;
  std::unordered_map<std::string, std::vector<UpstreamConnectionPtr>> idle_;
  size_t max_idle_per_key_ = 100;  // WSO2 poolConfig maxIdleConnections default
};

}  // namespace mgw::upstream
