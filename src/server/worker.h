// A worker: one thread, one io_context, its own SO_REUSEPORT listeners (HTTP, and with a key store
// HTTPS and the token listener), read buffer and upstream connection pool (ARCHITECTURE.md §2).
// Workers share only the read-only Runtime (including the TLS server context).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "mgw/base/result.h"
#include "server/runtime.h"
#include "server/stream.h"
#include "upstream/http1_upstream.h"

namespace mgw::server {

class Http1Connection;

class Worker {
 public:
  Worker(const Runtime& runtime, int index);
  ~Worker();

  // Binds a listener (SO_REUSEPORT so every worker has its own accept queue). `tls` null: plain
  // HTTP; otherwise connections run the TLS handshake with that context (owned by the Runtime).
  Status listen(const boost::asio::ip::tcp::endpoint& endpoint,
                ListenerKind kind = ListenerKind::Http, SSL_CTX* tls = nullptr);
  // The bound port of the listener of `kind` (0 when there is none).
  uint16_t localPort(ListenerKind kind = ListenerKind::Http) const;
  void start();  // runs the event loop on a new thread
  void join();
  // Thread-safe: posted to the worker's loop.
  void drain();
  void stop();
  size_t connectionCount() const { return connection_count_.load(std::memory_order_relaxed); }

  // For connections and streams running on this worker's thread.
  const Runtime& runtime() const { return runtime_; }
  boost::asio::io_context& io() { return io_; }
  char* scratch() { return scratch_.get(); }
  static constexpr size_t kScratchSize = 64 * 1024;
  // Granularity of every connection and stream deadline (request head, body idle, keep-alive
  // idle, linger, TLS handshake, endpoint timeoutInMillis): one timer per worker ticks this
  // often and fires the deadlines that have passed, so a deadline fires between 0 and kSweepMs
  // late, never early. No timer is armed or cancelled per request.
  static constexpr int kSweepMs = 100;
  upstream::ConnPool& pool() { return pool_; }
  bool draining() const { return draining_; }
  void addConnection(Http1Connection* c);
  void removeConnection(Http1Connection* c);

 private:
  struct Listener {
    explicit Listener(boost::asio::io_context& io) : acceptor(io) {}
    boost::asio::ip::tcp::acceptor acceptor;
    ListenerKind kind = ListenerKind::Http;
    SSL_CTX* tls = nullptr;
  };
  void accept(Listener& l);
  void armSweep();
  void sweep();
  void closeListeners();

  const Runtime& runtime_;
  int index_;
  boost::asio::io_context io_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unique_ptr<char[]> scratch_;
  upstream::ConnPool pool_;
  std::thread thread_;
  bool draining_ = false;
  std::atomic<size_t> connection_count_{0};
  std::vector<Http1Connection*> connections_;
  std::vector<Http1Connection*> sweep_copy_;  // reused by sweep()
  boost::asio::steady_timer sweep_timer_;
  bool stopped_ = false;
};

}  // namespace mgw::server
