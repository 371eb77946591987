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
  // HTTPS (APIs and token endpoints) and the token listener: TLS, only with a key store
  // (tls::buildListenerTls warned otherwise). WSO2 serves both over TLS.
  const tls::ListenerTls& lt = runtime_->listener_tls;
  SSL_CTX* tls = lt.context ? lt.context->get() : nullptr;
  SSL_CTX* token_tls = lt.token_context ? lt.token_context->get() : tls;
  struct Plan {
    ListenerKind kind;
    const char* name;
    uint16_t port;
    SSL_CTX* tls;
  };
  std::vector<Plan> plans = {
      {ListenerKind::Http, "HTTP", static_cast<uint16_t>(lc.http_port), nullptr}};
  if (tls != nullptr) {
    plans.push_back({ListenerKind::Https, "HTTPS", static_cast<uint16_t>(lc.https_port), tls});
    if (lc.token_listener_port != lc.https_port || lc.https_port == 0) {
      plans.push_back(
          {ListenerKind::Token, "token", static_cast<uint16_t>(lc.token_listener_port), token_tls});
    } else {
      log::warn("listener.token_port_shared",
                "tokenListenerPort equals httpsPort: token endpoints are served on HTTPS only");
    }
  }
  for (int i = 0; i < workers; ++i)
    workers_.push_back(std::make_unique<Worker>(*runtime_, i));
  for (Plan& p : plans) {
    for (auto& w : workers_) {
      if (auto s = w->listen(tcp::endpoint(addr, p.port), p.kind, p.tls); !s)
        return s;
      // With port 0 the first worker picks the port and the others share it (SO_REUSEPORT).
      p.port = w->localPort(p.kind);
    }
  }
  for (auto& w : workers_)
    w->start();
  for (const Plan& p : plans) {
    log::info("gateway.listening", std::string(p.name) + " listener started",
              {{"host", lc.host},
               {"port", std::to_string(p.port)},
               {"tls", p.tls ? "true" : "false"},
               {"workers", std::to_string(workers)}});
  }
  return {};
}

uint16_t Server::httpPort() const {
  return workers_.empty() ? 0 : workers_.front()->localPort();
}

uint16_t Server::port(ListenerKind kind) const {
  return workers_.empty() ? 0 : workers_.front()->localPort(kind);
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
