#include "server/worker.h"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "mgw/base/log.h"
#include "server/http1_connection.h"

namespace mgw::server {

namespace asio = boost::asio;
using asio::ip::tcp;

Worker::Worker(const Runtime& runtime, int index)
    : runtime_(runtime),
      index_(index),
      io_(1),  // one thread per io_context: Asio can skip its internal locking
      acceptor_(io_),
      scratch_(new char[kScratchSize]),
      pool_(io_, scratch_.get(), kScratchSize, runtime.limits) {}

Worker::~Worker() {
  stop();
  join();
  // The loop has stopped: close what is left and run the aborted handlers, which own the
  // connections, before the members they refer to go away.
  io_.restart();
  std::vector<Http1Connection*> copy = connections_;
  for (Http1Connection* c : copy)
    c->abort();
  pool_.closeAll();
  boost::system::error_code ec;
  acceptor_.close(ec);
  // A stop() posted after the loop ended may run here: restart after every batch.
  while (io_.poll() > 0) {
    io_.restart();
  }
}

Status Worker::listen(const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) {
    int one = 1;
    if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec.assign(errno, boost::system::system_category());
    }
  }
  if (!ec)
    acceptor_.bind(endpoint, ec);
  if (!ec)
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return makeError("listener.bind_failed", "cannot listen on " + endpoint.address().to_string() +
                                                 ":" + std::to_string(endpoint.port()) + ": " +
                                                 ec.message());
  }
  return {};
}

uint16_t Worker::localPort() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void Worker::start() {
  accept();
  thread_ = std::thread([this] {
    io_.run();
    // Give in-flight close handlers a chance to run before the pool goes away.
    io_.restart();
    io_.poll();
  });
}

void Worker::join() {
  if (thread_.joinable())
    thread_.join();
}

void Worker::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open())
      return;
    if (ec) {
      // EMFILE and friends: log, then keep accepting without a busy loop.
      log::warn("listener.accept_failed", ec.message());
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      timer->async_wait([this, timer](const boost::system::error_code&) {
        if (acceptor_.is_open())
          accept();
      });
      return;
    }
    auto conn = std::make_shared<Http1Connection>(*this, std::move(socket));
    conn->start();
    if (draining_)
      conn->onDrain();
    accept();
  });
}

void Worker::addConnection(Http1Connection* c) {
  connections_.push_back(c);
  connection_count_.store(connections_.size(), std::memory_order_relaxed);
}

void Worker::removeConnection(Http1Connection* c) {
  auto it = std::find(connections_.begin(), connections_.end(), c);
  if (it != connections_.end()) {
    *it = connections_.back();
    connections_.pop_back();
  }
  connection_count_.store(connections_.size(), std::memory_order_relaxed);
}

void Worker::drain() {
  asio::post(io_, [this] {
    draining_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    // onDrain may close (and so unregister) connections: iterate over a copy.
    std::vector<Http1Connection*> copy = connections_;
    for (Http1Connection* c : copy)
      c->onDrain();
    pool_.closeAll();
  });
}

void Worker::stop() {
  asio::post(io_, [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
    pool_.closeAll();
    io_.stop();
  });
}

}  // namespace mgw::server
