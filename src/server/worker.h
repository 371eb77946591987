// A worker: one thread, one io_context, its own SO_REUSEPORT listener, read buffer and upstream
// connection pool (ARCHITECTURE.md §2). Workers share only the read-only Runtime.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "mgw/base/result.h"
#include "server/runtime.h"
#include "upstream/http1_upstream.h"

namespace mgw::server {

class Http1Connection;

class Worker {
 public:
  Worker(const Runtime& runtime, int index);
  ~Worker();

  // Binds the listener (SO_REUSEPORT so every worker has its own accept queue).
  Status listen(const boost::asio::ip::tcp::endpoint& endpoint);
  uint16_t localPort() const;
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
  upstream::ConnPool& pool() { return pool_; }
  bool draining() const { return draining_; }
  void addConnection(Http1Connection* c);
  void removeConnection(Http1Connection* c);

 private:
  void accept();

  const Runtime& runtime_;
  int index_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<char[]> scratch_;
  upstream::ConnPool pool_;
  std::thread thread_;
  bool draining_ = false;
  std::atomic<size_t> connection_count_{0};
  std::vector<Http1Connection*> connections_;
};

}  // namespace mgw::server
