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
      scratch_(new char[kScratchSize]),
      pool_(io_, scratch_.get(), kScratchSize, runtime.limits),
      sweep_timer_(io_) {
  pool_.setTlsContext(runtime.upstream_tls);  // https:// upstreams (null: they fail)
}

Worker::~Worker() {
  stop();
  join();
  // The loop has stopped: close what is left and run the aborted handlers, which own the
  // connections, before the members they refer to go away.
  io_.restart();
  stopped_ = true;
  sweep_timer_.cancel();
  std::vector<Http1Connection*> copy = connections_;
  for (Http1Connection* c : copy)
    c->abort();
  pool_.closeAll();
  closeListeners();
  // A stop() posted after the loop ended may run here: restart after every batch.
  while (io_.poll() > 0) {
    io_.restart();
  }
}

Status Worker::listen(const tcp::endpoint& endpoint, ListenerKind kind, SSL_CTX* tls) {
  auto l = std::make_unique<Listener>(io_);
  l->kind = kind;
  l->tls = tls;
  tcp::acceptor& acceptor = l->acceptor;
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) {
    int one = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec.assign(errno, boost::system::system_category());
    }
  }
  if (!ec)
    acceptor.bind(endpoint, ec);
  if (!ec)
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return makeError("listener.bind_failed", "cannot listen on " + endpoint.address().to_string() +
                                                 ":" + std::to_string(endpoint.port()) + ": " +
                                                 ec.message());
  }
  listeners_.push_back(std::move(l));
  return {};
}

uint16_t Worker::localPort(ListenerKind kind) const {
  for (const auto& l : listeners_) {
    if (l->kind == kind) {
      boost::system::error_code ec;
      return l->acceptor.local_endpoint(ec).port();
    }
  }
  return 0;
}

void Worker::closeListeners() {
  for (auto& l : listeners_) {
    boost::system::error_code ec;
    l->acceptor.close(ec);
  }
}

void Worker::start() {
  for (auto& l : listeners_)
    accept(*l);
  armSweep();
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

void Worker::accept(Listener& l) {
  l.acceptor.async_accept([this, &l](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !l.acceptor.is_open())
      return;
    if (ec) {
      // EMFILE and friends: log, then keep accepting without a busy loop.
      log::warn("listener.accept_failed", ec.message());
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      timer->async_wait([this, timer, &l](const boost::system::error_code&) {
        if (l.acceptor.is_open())
          accept(l);
      });
      return;
    }
    auto conn = std::make_shared<Http1Connection>(*this, std::move(socket), l.kind, l.tls);
    conn->start();
    if (draining_)
      conn->onDrain();
    accept(l);
  });
}

void Worker::armSweep() {
  sweep_timer_.expires_after(std::chrono::milliseconds(kSweepMs));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_)
      return;
    sweep();
    armSweep();
  });
}

void Worker::sweep() {
  if (connections_.empty())
    return;
  const auto now = std::chrono::steady_clock::now();
  // A deadline may close (never destroy, handlers still hold it) a connection: iterate a copy.
  sweep_copy_.assign(connections_.begin(), connections_.end());
  for (Http1Connection* c : sweep_copy_)
    c->checkDeadline(now);
  sweep_copy_.clear();
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
    closeListeners();
    // onDrain may close (and so unregister) connections: iterate over a copy.
    std::vector<Http1Connection*> copy = connections_;
    for (Http1Connection* c : copy)
      c->onDrain();
    pool_.closeAll();
  });
}

void Worker::stop() {
  asio::post(io_, [this] {
    stopped_ = true;
    sweep_timer_.cancel();
    closeListeners();
    pool_.closeAll();
    io_.stop();
  });
}

}  // namespace mgw::server
