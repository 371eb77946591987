#include "upstream/http1_upstream.h"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "mgw/base/log.h"
#include "net/event_scope.h"
#include "net/read_rearm.h"
#include "tls/client_context.h"

namespace mgw::upstream {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr size_t kMaxInformational = 5;  // 1xx responses accepted before the final one
constexpr size_t kMaxBufferedResponse = 256 * 1024;
}  // namespace

UpstreamConnection::UpstreamConnection(asio::io_context& io, ConnPool& pool, std::string key)
    : socket_(io), pool_(pool), key_(std::move(key)), parser_(pool.limits()) {}

UpstreamConnection::~UpstreamConnection() = default;

void UpstreamConnection::attach(UpstreamCallbacks* callbacks, std::string_view method) {
  callbacks_ = callbacks;
  method_ = std::string(method);
  state_ = State::Head;
  received_any_ = false;
  informational_ = 0;
  keep_alive_ = false;
  read_paused_ = false;
  ++exchanges_;
  parser_.reset();
  head_ = http::ResponseHead{};
  startRead();
}

void UpstreamConnection::release() {
  callbacks_ = nullptr;
  if (in_callback_) {
    // Called from inside onUpstreamData: decide once process() has consumed the bytes.
    release_pending_ = true;
    return;
  }
  bool reusable = state_ == State::Done && keep_alive_ && in_.empty() && out_off_ == out_.size() &&
                  !write_in_flight_ && socket_.is_open();
  if (!reusable) {
    close();
    return;
  }
  state_ = State::Idle;
  read_paused_ = false;
  in_.clear();
  // Pooled connections are few (maxIdleConnections per endpoint): keep small buffers for the
  // next exchange rather than allocating them again.
  constexpr size_t kKeepCapacity = 16 * 1024;
  if (in_.capacity() > kKeepCapacity)
    in_.shrink_to_fit();
  if (out_.capacity() > kKeepCapacity)
    out_.shrink_to_fit();
  pool_.putIdle(shared_from_this());
  // The same pending wait watches the idle connection (a backend close discards it) and, once
  // the connection is taken again, delivers the next response: no re-arming per exchange.
  startRead();
}

void UpstreamConnection::close() {
  state_ = State::Broken;
  callbacks_ = nullptr;
  boost::system::error_code ec;
  if (socket_.is_open()) {
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }
}

void UpstreamConnection::write(std::string_view bytes) {
  out_.append(bytes);
  commitWrite();
}

void UpstreamConnection::commitWrite() {
  // Coalesce the request head and the body bytes queued in the same event into one write.
  if (flush_posted_ || write_in_flight_)
    return;
  flush_posted_ = true;
  net::afterEvent<UpstreamConnection, &UpstreamConnection::scheduledFlush>(socket_.get_executor(),
                                                                           shared_from_this());
}

void UpstreamConnection::scheduledFlush() {
  flush_posted_ = false;
  flush();
}

void UpstreamConnection::flush() {
  if (write_in_flight_ || !socket_.is_open() || !transport_)
    return;
  while (out_off_ < out_.size()) {
    net::IoResult r = transport_->write(out_.data() + out_off_, out_.size() - out_off_);
    if (r.status == net::IoStatus::Ok) {
      out_off_ += r.bytes;
      continue;
    }
    if (r.status == net::IoStatus::WantWrite || r.status == net::IoStatus::WantRead) {
      waitThenFlush(r.status == net::IoStatus::WantRead);
      return;
    }
    fail(transport_->secure() ? transport_->lastError() : "upstream.write_failed");
    return;
  }
  out_.clear();
  out_off_ = 0;
  if (callbacks_)
    callbacks_->onUpstreamWritable();
}

void UpstreamConnection::waitThenFlush(bool read) {
  write_in_flight_ = true;
  socket_.async_wait(read ? tcp::socket::wait_read : tcp::socket::wait_write,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       net::EventScope scope;
                       self->write_in_flight_ = false;
                       ++self->write_waits_;
                       if (ec)
                         return;  // closed or cancelled
                       self->flush();
                     });
}

void UpstreamConnection::pauseReading(bool paused) {
  read_paused_ = paused;
  if (!paused) {
    process();
    startRead();
  }
}

void UpstreamConnection::startRead() {
  if (read_in_flight_ || read_paused_ || !socket_.is_open() || !transport_)
    return;
  if (state_ == State::Done || state_ == State::Broken)
    return;
  read_in_flight_ = true;
  if (!transport_->secure()) {
    // Asio's async_receive is registered once with the reactor (edge-triggered) and never
    // re-armed, unlike async_wait, which costs an EPOLL_CTL_MOD every time.
    if (!rbuf_)
      rbuf_.reset(new char[kReadBufSize]);
    socket_.async_receive(asio::buffer(rbuf_.get(), kReadBufSize),
                          [self = shared_from_this(), waits = write_waits_](
                              const boost::system::error_code& ec, size_t n) {
                            net::EventScope scope;
                            self->read_in_flight_ = false;
                            if (ec == asio::error::operation_aborted || !self->socket_.is_open())
                              return;  // closed or cancelled
                            // Read dry (a short read) by a receive the reactor completed in its
                            // pass, with no write wait completing in the same pass (whose handler
                            // would have run first): the next receive needs no speculative recv()
                            // (net/read_rearm.h).
                            if (!ec && n < kReadBufSize && waits == self->write_waits_ &&
                                !self->read_completed_early_) {
                              net::markReadDrained(self->socket_);
                            }
                            net::IoResult r;
                            if (!ec) {
                              r.bytes = n;
                            } else {
                              r.status = ec == asio::error::eof ? net::IoStatus::Closed
                                                                : net::IoStatus::Error;
                            }
                            self->onRead(r, self->rbuf_.get());
                          });
    read_completed_early_ = !net::readQueued(socket_);
    return;
  }
  if (transport_->hasBufferedInput()) {
    // TLS records already decrypted: the socket may never become readable again for them.
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->read_in_flight_ = false;
      self->onReadable();
    });
    return;
  }
  socket_.async_wait(tcp::socket::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       net::EventScope scope;
                       self->read_in_flight_ = false;
                       if (ec)
                         return;  // closed or cancelled
                       self->onReadable();
                     });
}

const char* UpstreamConnection::ioFailure(bool eof) const {
  if (eof)
    return "upstream.early_close";
  return transport_ && transport_->secure() ? transport_->lastError() : "upstream.reset";
}

void UpstreamConnection::onReadable() {
  if (!socket_.is_open() || state_ == State::Broken || state_ == State::Done)
    return;
  net::IoResult r = transport_->read(pool_.scratch(), pool_.scratchSize());
  onRead(r, pool_.scratch());
}

void UpstreamConnection::onRead(net::IoResult r, const char* data) {
  if (state_ == State::Broken)
    return;
  if (state_ == State::Done) {
    // Bytes (or a close) after a complete response: the connection is not reused.
    keep_alive_ = false;
    return;
  }
  if (state_ == State::Idle) {
    // Nothing is expected on an idle pooled connection. TLS may consume a record that carries no
    // application data (a TLS 1.3 NewSessionTicket, RFC 8446 §4.6.1): keep watching. A close,
    // an error or stray bytes discard the connection.
    if (r.status == net::IoStatus::WantRead) {
      startRead();
      return;
    }
    pool_.dropIdle(this);
    close();
    return;
  }
  if (r.status == net::IoStatus::WantRead) {
    startRead();
    return;
  }
  if (r.status == net::IoStatus::WantWrite) {
    // A TLS read that must write first (RFC 8446 §4.6.3 key update): retry once writable.
    read_in_flight_ = true;
    socket_.async_wait(tcp::socket::wait_write,
                       [self = shared_from_this()](const boost::system::error_code& ec) {
                         net::EventScope scope;
                         self->read_in_flight_ = false;
                         if (!ec)
                           self->onReadable();
                       });
    return;
  }
  if (r.status != net::IoStatus::Ok) {
    const bool eof = r.status == net::IoStatus::Closed;
    if (eof && state_ == State::Body && body_.framing() == http::BodyFraming::UntilClose) {
      body_.finishUntilClose();
      state_ = State::Done;
      keep_alive_ = false;
      if (callbacks_)
        callbacks_->onUpstreamData({}, true);
      return;
    }
    fail(ioFailure(eof));
    return;
  }
  received_any_ = true;
  in_.append(data, r.bytes);
  process();
  if (data == rbuf_.get() && r.bytes == kReadBufSize && !read_paused_) {
    // The buffer filled: more is probably waiting. Read it into the large scratch buffer now.
    onReadable();
    return;
  }
  startRead();
}

void UpstreamConnection::process() {
  while (callbacks_ && !read_paused_) {
    if (state_ == State::Head) {
      if (in_.empty())
        return;
      http1::ParseResult r = parser_.parse(in_, method_, head_);
      if (r.status == http1::ParseStatus::NeedMore)
        return;
      if (r.status == http1::ParseStatus::Error) {
        fail(r.reason);
        return;
      }
      in_.erase(0, r.consumed);
      parser_.reset();
      if (head_.status >= 100 && head_.status < 200) {
        // RFC 9110 §15.2: interim responses are consumed here (101 would switch protocols,
        // which this gateway never asked for).
        if (head_.status == 101 || ++informational_ > static_cast<int>(kMaxInformational)) {
          fail("upstream.bad_informational");
          return;
        }
        head_ = http::ResponseHead{};
        continue;
      }
      keep_alive_ = head_.keep_alive;
      body_.start(head_.framing, head_.content_length, pool_.limits());
      if (head_.framing == http::BodyFraming::None) {
        state_ = State::Done;
        if (!in_.empty())
          keep_alive_ = false;  // bytes after a bodiless response
        callbacks_->onUpstreamHead(head_);
        if (callbacks_)
          callbacks_->onUpstreamData({}, true);
        return;
      }
      state_ = State::Body;
      callbacks_->onUpstreamHead(head_);
      continue;
    }
    if (state_ == State::Body) {
      if (in_.empty())
        return;
      http1::BodyDecoder::Step step = body_.decode(in_);
      if (step.error) {
        fail(step.reason);
        return;
      }
      if (step.done)
        state_ = State::Done;
      // The callback may copy the data; erase only after it returns.
      if (!step.data.empty() || step.done) {
        in_callback_ = true;
        callbacks_->onUpstreamData(step.data, step.done);
        in_callback_ = false;
      }
      in_.erase(0, step.consumed);
      if (state_ == State::Done && !in_.empty())
        keep_alive_ = false;  // bytes after the body
      if (release_pending_) {
        release_pending_ = false;
        release();
        return;
      }
      if (state_ == State::Done || !callbacks_)
        return;
      if (step.consumed == 0)
        return;
      continue;
    }
    return;
  }
  if (in_.size() > kMaxBufferedResponse && state_ != State::Body)
    fail("upstream.head_too_large");
}

void UpstreamConnection::fail(const char* reason) {
  bool nothing = !received_any_;
  bool was_active = state_ == State::Head || state_ == State::Body;
  UpstreamCallbacks* cb = callbacks_;
  close();
  if (was_active && cb)
    cb->onUpstreamError(reason, nothing);
}

ConnPool::ConnPool(asio::io_context& io, char* scratch, size_t scratch_size,
                   const http1::Limits& limits)
    : io_(io), scratch_(scratch), scratch_size_(scratch_size), limits_(limits) {
  // Upstream response heads may legitimately be larger than what clients may send.
  limits_.max_header_bytes = std::max<size_t>(limits_.max_header_bytes, 64 * 1024);
  limits_.max_header_count = std::max<size_t>(limits_.max_header_count, 200);
}

ConnPool::~ConnPool() {
  closeAll();
}

void ConnPool::closeAll() {
  for (auto& [key, list] : idle_) {
    for (auto& conn : list)
      conn->close();
  }
  idle_.clear();
}

UpstreamConnectionPtr ConnPool::takeIdle(const Url& url) {
  auto it = idle_.find(url.pool_key);
  if (it == idle_.end() || it->second.empty())
    return nullptr;
  UpstreamConnectionPtr conn = std::move(it->second.back());
  it->second.pop_back();
  return conn;
}

void ConnPool::putIdle(UpstreamConnectionPtr conn) {
  auto& list = idle_[conn->key()];
  if (list.size() >= max_idle_per_key_) {
    conn->close();
    return;
  }
  list.push_back(std::move(conn));
}

void ConnPool::dropIdle(UpstreamConnection* conn) {
  auto it = idle_.find(conn->key());
  if (it == idle_.end())
    return;
  auto& list = it->second;
  list.erase(std::remove_if(list.begin(), list.end(),
                            [conn](const UpstreamConnectionPtr& p) { return p.get() == conn; }),
             list.end());
}

namespace {

// Drives the client handshake of a freshly connected TLS connection: each WantRead / WantWrite
// waits for that readiness and steps again. Bounded by the caller's timeout, which closes the
// connection (the wait then completes with operation_aborted).
void driveHandshake(const UpstreamConnectionPtr& conn, const Url& url,
                    std::shared_ptr<ConnPool::ConnectCallback> cb) {
  if (conn->closed()) {
    (*cb)("upstream.cancelled", nullptr);
    return;
  }
  net::IoResult r = conn->transport()->handshake();
  if (r.status == net::IoStatus::Ok) {
    (*cb)(nullptr, conn);
    return;
  }
  if (r.status == net::IoStatus::WantRead || r.status == net::IoStatus::WantWrite) {
    conn->socket().async_wait(
        r.status == net::IoStatus::WantRead ? tcp::socket::wait_read : tcp::socket::wait_write,
        [conn, url, cb = std::move(cb)](const boost::system::error_code& ec) mutable {
          if (ec) {
            (*cb)("upstream.cancelled", nullptr);
            return;
          }
          driveHandshake(conn, url, std::move(cb));
        });
    return;
  }
  const char* reason = conn->transport()->lastError();
  if (reason == nullptr || *reason == '\0')
    reason = "tls.handshake_failed";
  log::warn("upstream.tls_failed", "TLS handshake with the backend failed",
            {{"url", url.text}, {"reason", reason}});
  conn->close();
  (*cb)(reason, nullptr);
}

}  // namespace

UpstreamConnectionPtr ConnPool::connect(const Url& url, ConnectCallback cb) {
  auto conn = std::make_shared<UpstreamConnection>(io_, *this, url.pool_key);
  if (url.tls && !tls_) {
    // Never fall back to plain HTTP for an https:// URL.
    asio::post(io_, [cb = std::move(cb)] { cb("upstream.tls_unavailable", nullptr); });
    return conn;
  }
  boost::system::error_code ec;
  std::string host = url.host == "localhost" ? std::string("127.0.0.1") : url.host;
  asio::ip::address addr = asio::ip::make_address(host, ec);
  auto onConnected = [conn, url, tls = tls_,
                      cb = std::move(cb)](const boost::system::error_code& e) mutable {
    if (e) {
      cb(e == asio::error::operation_aborted ? "upstream.cancelled" : "upstream.connect_failed",
         nullptr);
      return;
    }
    boost::system::error_code ignored;
    conn->socket().set_option(tcp::no_delay(true), ignored);
    conn->socket().non_blocking(true, ignored);  // the transport reads and writes synchronously
    const int fd = conn->socket().native_handle();
    if (!url.tls) {
      conn->setTransport(net::makePlainTransport(fd));
      cb(nullptr, conn);
      return;
    }
    // SNI and the name check use the URL host (the transport skips SNI for IP literals).
    conn->setTransport(
        net::makeTlsClientTransport(fd, tls->get(), url.host, tls->verifyHostname()));
    driveHandshake(conn, url, std::make_shared<ConnPool::ConnectCallback>(std::move(cb)));
  };
  if (!ec) {
    conn->socket().async_connect(tcp::endpoint(addr, url.port), std::move(onConnected));
    return conn;
  }
  // Names other than literals: resolve per connect (Asio runs getaddrinfo off the event loop).
  auto resolver = std::make_shared<tcp::resolver>(io_);
  resolver->async_resolve(
      url.host, std::to_string(url.port),
      [conn, resolver, onConnected = std::move(onConnected)](
          const boost::system::error_code& e, tcp::resolver::results_type results) mutable {
        if (e || conn->closed()) {
          onConnected(e ? e : asio::error::operation_aborted);
          return;
        }
        asio::async_connect(conn->socket(), results,
                            [onConnected = std::move(onConnected)](
                                const boost::system::error_code& ce, const tcp::endpoint&) mutable {
                              onConnected(ce);
                            });
      });
  return conn;
}

}  // namespace mgw::upstream
