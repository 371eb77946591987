#include "server/server.h"

#include <pthread.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <functional>
#include <thread>

#include "mgw/base/log.h"
#include "server/worker.h"

namespace mgw::server {

namespace asio = boost::asio;
using asio::ip::tcp;

Server::Server(std::unique_ptr<Runtime> runtime) : runtime_(std::move(runtime)) {}

Server::~Server() {
  for (auto& w : workers_)
    w->stop();
  for (auto& w : workers_)
    w->join();
}

Status Server::start(int workers) {
  if (workers <= 0)
    workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const config::ListenerConfig& lc = runtime_->config.listener;
  boost::system::error_code ec;
  asio::ip::address addr = asio::ip::make_address(lc.host, ec);
  if (ec) {
    return makeError("config.bad_value", "listenerConfig.host: not an IP address: " + lc.host);
  }
  uint16_t port = static_cast<uint16_t>(lc.http_port);
  for (int i = 0; i < workers; ++i) {
    auto w = std::make_unique<Worker>(*runtime_, i);
    if (auto s = w->listen(tcp::endpoint(addr, port)); !s)
      return s;
    // With port 0 the first worker picks the port and the others share it (SO_REUSEPORT).
    port = w->localPort();
    workers_.push_back(std::move(w));
  }
  for (auto& w : workers_)
    w->start();
  log::info(
      "gateway.listening", "HTTP listener started",
      {{"host", lc.host}, {"port", std::to_string(port)}, {"workers", std::to_string(workers)}});
  return {};
}

uint16_t Server::httpPort() const {
  return workers_.empty() ? 0 : workers_.front()->localPort();
}

int Server::waitForShutdown() {
  asio::io_context io(1);
  asio::signal_set signals(io, SIGTERM, SIGINT);
  // main() blocked these before starting the workers; only this thread takes them.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  pthread_sigmask(SIG_UNBLOCK, &mask, nullptr);
  asio::steady_timer poll(io);
  int64_t grace_ms = runtime_->config.server.shutdown_grace_ms;
  std::chrono::steady_clock::time_point deadline;
  bool draining = false;

  std::function<void()> checkDrained = [&] {
    size_t open = 0;
    for (auto& w : workers_)
      open += w->connectionCount();
    if (open == 0 || std::chrono::steady_clock::now() >= deadline) {
      if (open > 0) {
        log::warn("gateway.drain_timeout", "grace period over, closing remaining connections",
                  {{"connections", std::to_string(open)}});
      }
      io.stop();
      return;
    }
    poll.expires_after(std::chrono::milliseconds(20));
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (!ec)
        checkDrained();
    });
  };

  std::function<void(const boost::system::error_code&, int)> onSignal =
      [&](const boost::system::error_code& ec, int signo) {
        if (ec)
          return;
        if (draining) {
          log::warn("gateway.exit", "second signal: exiting immediately");
          ::_exit(1);
        }
        draining = true;
        log::info("gateway.draining", "signal received, draining",
                  {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"},
                   {"grace_ms", std::to_string(grace_ms)}});
        for (auto& w : workers_)
          w->drain();
        deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
        signals.async_wait(onSignal);
        checkDrained();
      };
  signals.async_wait(onSignal);
  io.run();
  for (auto& w : workers_)
    w->stop();
  for (auto& w : workers_)
    w->join();
  log::info("gateway.stopped", "all workers stopped");
  return 0;
}

}  // namespace mgw::server
