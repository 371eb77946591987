#include "server/http1_connection.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>

#include "mgw/base/log.h"
#include "net/event_scope.h"
#include "net/read_rearm.h"
#include "server/worker.h"

namespace mgw::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Pipelined input buffered while a response is in progress; reading stops above it.
constexpr size_t kMaxPipelinedInput = 64 * 1024;
constexpr int64_t kLingerMs = 2000;
constexpr size_t kMaxLingerBytes = 1024 * 1024;
// A TLS handshake must finish within this (or the request-head timeout, if shorter): a client
// that opens connections and stalls the handshake holds no more than this.
constexpr int64_t kHandshakeTimeoutMs = 10000;

std::string statusReportBody(int status) {
  std::string body = "{\"code\":";
  body += std::to_string(status);
  body += ", \"type\":\"Status report\", \"message\":\"Runtime Error\", \"description\":\"";
  body += http::reasonPhrase(status);
  body += "\"}";
  return body;
}

}  // namespace

Http1Connection::Http1Connection(Worker& worker, tcp::socket socket, ListenerKind kind,
                                 SSL_CTX* tls)
    : worker_(worker),
      socket_(std::move(socket)),
      transport_(tls ? net::makeTlsServerTransport(socket_.native_handle(), tls)
                     : net::makePlainTransport(socket_.native_handle())),
      kind_(kind),
      parser_(worker.runtime().limits) {
  boost::system::error_code ec;
  tcp::endpoint remote = socket_.remote_endpoint(ec);
  if (!ec) {
    asio::ip::address addr = remote.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
      addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
    }
    peer_v6_ = addr.is_v6();
    peer_ = addr.to_string();
    uint8_t bytes[16] = {};
    if (peer_v6_) {
      auto b = addr.to_v6().to_bytes();
      std::copy(b.begin(), b.end(), bytes);
    } else {
      auto b = addr.to_v4().to_bytes();
      std::copy(b.begin(), b.end(), bytes);
    }
    for (const config::Cidr& cidr : worker.runtime().config.listener.trusted_proxies) {
      if (cidr.contains(peer_v6_, bytes))
        peer_trusted_ = true;
    }
  }
  socket_.set_option(tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
  if (tls != nullptr)
    phase_ = Phase::Handshake;
  use_receive_ = tls == nullptr && net::readRearmSupported();
  worker_.addConnection(this);
}

Http1Connection::~Http1Connection() {
  worker_.removeConnection(this);
}

void Http1Connection::start() {
  // Nothing else may hold the connection while it waits for neither bytes nor a write (request
  // body paused by upstream backpressure): there is no per-connection timer to keep it alive.
  self_ = shared_from_this();
  if (phase_ == Phase::Handshake) {
    armTimer(
        TimerKind::Handshake,
        std::min(kHandshakeTimeoutMs, worker_.runtime().config.listener.request_header_timeout_ms));
    continueHandshake();
    return;
  }
  armTimer(TimerKind::HeadDeadline, worker_.runtime().config.listener.request_header_timeout_ms);
  startRead();
}

void Http1Connection::onDrain() {
  close_after_response_ = true;
  if (phase_ == Phase::Handshake) {
    closeNow();
    return;
  }
  if (phase_ == Phase::WaitingHead && !stream_ && in_.empty())
    closeNow();
}

// ---- TLS handshake ---------------------------------------------------------------------------

void Http1Connection::continueHandshake() {
  if (phase_ != Phase::Handshake)
    return;
  net::IoResult r = transport_->handshake();
  switch (r.status) {
    case net::IoStatus::Ok:
      phase_ = Phase::WaitingHead;
      armTimer(TimerKind::HeadDeadline,
               worker_.runtime().config.listener.request_header_timeout_ms);
      startRead();
      return;
    case net::IoStatus::WantRead:
    case net::IoStatus::WantWrite:
      waitFor(r.status, &Http1Connection::continueHandshake);
      return;
    case net::IoStatus::Closed:
    case net::IoStatus::Error:
      log::info("tls.handshake_failed", transport_->lastError(), {{"peer", peer_}});
      closeNow();
      return;
  }
}

void Http1Connection::waitFor(net::IoStatus want, void (Http1Connection::*then)()) {
  socket_.async_wait(
      want == net::IoStatus::WantWrite ? tcp::socket::wait_write : tcp::socket::wait_read,
      [self = shared_from_this(), then](const boost::system::error_code& ec) {
        net::EventScope scope;
        if (ec || self->phase_ == Phase::Closed)
          return;
        ((*self).*then)();
      });
}

// ---- reading ---------------------------------------------------------------------------------

void Http1Connection::startRead() {
  if (read_in_flight_ || phase_ == Phase::Closed || peer_closed_)
    return;
  if (phase_ != Phase::Lingering) {
    if (body_paused_ && !in_.empty())
      return;
    if ((phase_ == Phase::AwaitingResponse || stream_) && in_.size() >= kMaxPipelinedInput)
      return;
  }
  read_in_flight_ = true;
  if (use_receive_) {
    startReceive();
    return;
  }
  if (transport_->hasBufferedInput()) {
    // Decrypted bytes wait inside the transport: the socket may never become readable for them.
    asio::post(worker_.io(), [self = shared_from_this()] {
      self->read_in_flight_ = false;
      if (self->phase_ != Phase::Closed)
        self->onReadable();
    });
    return;
  }
  socket_.async_wait(read_wants_write_ ? tcp::socket::wait_write : tcp::socket::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       net::EventScope scope;
                       self->read_in_flight_ = false;
                       if (ec || self->phase_ == Phase::Closed)
                         return;
                       self->onReadable();
                     });
}

namespace {
constexpr size_t kSpillSize = 16 * 1024;
char landing_dummy;  // never written: see landing()
}  // namespace

void Http1Connection::startReceive() {
  if (net::readSpeculative(socket_)) {
    // The reactor saw readiness that no receive took (or the socket is new): read now, from a
    // fresh handler. A read that finds nothing marks the socket drained (onReadable).
    asio::post(worker_.io(), [self = shared_from_this()] {
      self->read_in_flight_ = false;
      if (self->phase_ != Phase::Closed)
        self->onReadable();
    });
    return;
  }
  // Not speculative: the receive is only queued (no recv(), no epoll_ctl) and the reactor
  // performs it when epoll reports the next edge.
  issuing_ = true;
  socket_.async_receive(LandingBuffers{this}, [self = shared_from_this()](
                                                  const boost::system::error_code& ec, size_t n) {
    net::EventScope scope;
    self->read_in_flight_ = false;
    std::unique_ptr<char[]> spill = std::move(self->spill_);
    const char* data = static_cast<const char*>(self->landing_.data());
    const bool in_scratch = self->landed_in_scratch_;
    const size_t size = self->landing_.size();
    if (ec == asio::error::operation_aborted || self->phase_ == Phase::Closed)
      return;
    net::IoResult r;
    if (!ec) {
      r.bytes = n;
      // A short read into the scratch (the handler ran right after the reactor performed
      // the receive): the socket is dry, the next receive needs no speculative recv().
      if (in_scratch && n < size)
        net::markReadDrained(self->socket_);
    } else {
      r.status = ec == asio::error::eof ? net::IoStatus::Closed : net::IoStatus::Error;
    }
    self->onRead(r, data);
  });
  issuing_ = false;
}

const asio::mutable_buffer* Http1Connection::landing() {
  if (issuing_) {
    // async_receive's own emptiness check at initiation; the receive is never performed inside
    // async_receive (startReceive checked that the reactor will not read speculatively).
    landing_ = asio::mutable_buffer(&landing_dummy, 1);
    return &landing_;
  }
  if (write_in_flight_) {
    // A write wait may complete in the same reactor pass, and its handler runs first: this
    // receive's handler is then deferred and the shared scratch could be overwritten meanwhile.
    spill_.reset(new char[kSpillSize]);
    landing_ = asio::mutable_buffer(spill_.get(), kSpillSize);
    landed_in_scratch_ = false;
  } else {
    // The reactor runs the handler of the first completed operation of a descriptor right after
    // performing it: nothing else touches the scratch in between.
    landing_ = asio::mutable_buffer(worker_.scratch(), Worker::kScratchSize);
    landed_in_scratch_ = true;
  }
  return &landing_;
}

void Http1Connection::onReadable() {
  net::IoResult r = transport_->read(worker_.scratch(), Worker::kScratchSize);
  // Read dry, synchronously: nothing is lost by skipping the next speculative recv(), as any
  // later edge the reactor consumes without a queued receive sets the flag again.
  if (use_receive_ && (r.status == net::IoStatus::WantRead ||
                       (r.status == net::IoStatus::Ok && r.bytes < Worker::kScratchSize))) {
    net::markReadDrained(socket_);
  }
  onRead(r, worker_.scratch());
}

void Http1Connection::onRead(net::IoResult r, const char* data) {
  if (r.status == net::IoStatus::WantRead || r.status == net::IoStatus::WantWrite) {
    read_wants_write_ = r.status == net::IoStatus::WantWrite;
    startRead();
    return;
  }
  read_wants_write_ = false;
  size_t n = r.bytes;
  if (phase_ == Phase::Lingering) {
    linger_bytes_ += n;
    if (r.status != net::IoStatus::Ok || linger_bytes_ > kMaxLingerBytes) {
      closeNow();
      return;
    }
    startRead();
    return;
  }
  if (r.status == net::IoStatus::Closed) {
    onPeerClosed();
    return;
  }
  if (r.status == net::IoStatus::Error) {
    if (stream_)
      stream_->onDownstreamReset();
    closeNow();
    return;
  }
  if (phase_ == Phase::WaitingHead && !stream_) {
    if (!head_bytes_seen_) {
      head_bytes_seen_ = true;
      if (timer_kind_ != TimerKind::HeadDeadline) {
        armTimer(TimerKind::HeadDeadline,
                 worker_.runtime().config.listener.request_header_timeout_ms);
      }
    }
  }
  in_.append(data, n);
  process();
  startRead();
}

void Http1Connection::onPeerClosed() {
  peer_closed_ = true;
  switch (phase_) {
    case Phase::AwaitingResponse:
      // Half-close after a complete request: answer it, then close (RFC 9112 §9.6).
      close_after_response_ = true;
      return;
    case Phase::ReadingBody:
      if (stream_)
        stream_->onDownstreamReset();
      closeNow();
      return;
    default:
      if (stream_ && !response_complete_) {
        close_after_response_ = true;
        return;
      }
      if (!stream_)
        closeNow();
      return;
  }
}

void Http1Connection::process() {
  const Runtime& rt = worker_.runtime();
  while (phase_ != Phase::Closed && phase_ != Phase::Lingering && !close_after_flush_) {
    if (phase_ == Phase::WaitingHead) {
      if (stream_ || in_.empty())
        return;
      if (timer_kind_ != TimerKind::HeadDeadline) {
        head_bytes_seen_ = true;
        armTimer(TimerKind::HeadDeadline, rt.config.listener.request_header_timeout_ms);
      }
      // A local: the parser fills the head only once it is complete, and an idle connection
      // should not carry an empty RequestHead around.
      http::RequestHead head;
      http1::ParseResult r = parser_.parse(in_, head);
      if (r.status == http1::ParseStatus::NeedMore)
        return;
      if (r.status == http1::ParseStatus::Error) {
        rejectRequest(r.error_status, r.reason);
        return;
      }
      in_.erase(0, r.consumed);
      parser_.reset();
      beginRequest(std::move(head));
      continue;
    }
    if (phase_ == Phase::ReadingBody) {
      if (in_.empty() || body_paused_)
        return;
      http1::BodyDecoder::Step step = body_.decode(in_);
      if (step.error) {
        failBody(400, step.reason);
        return;
      }
      if (rt.max_body_bytes >= 0 && body_.bodyBytes() > static_cast<uint64_t>(rt.max_body_bytes)) {
        failBody(413, "http1.body_too_large");
        return;
      }
      if (step.done) {
        request_complete_ = true;
        phase_ = Phase::AwaitingResponse;
        cancelTimer();
      } else if (step.consumed > 0) {
        armTimer(TimerKind::BodyIdle, rt.config.listener.body_idle_timeout_ms);
      }
      if (stream_ && (!step.data.empty() || step.done))
        stream_->onRequestData(step.data, step.done);
      in_.erase(0, step.consumed);
      if (step.done && response_complete_)
        onResponseComplete();
      if (step.consumed == 0)
        return;
      continue;
    }
    return;  // AwaitingResponse: pipelined bytes wait for the exchange to finish
  }
}

void Http1Connection::beginRequest(http::RequestHead&& head) {
  const Runtime& rt = worker_.runtime();
  version_minor_ = head.version_minor;
  auto target = http::parseRequestTarget(head.target, head.method);
  if (!target) {
    rejectRequest(400, target.error().reason.c_str());
    return;
  }
  if (head.framing == http::BodyFraming::ContentLength && rt.max_body_bytes >= 0 &&
      head.content_length > static_cast<uint64_t>(rt.max_body_bytes)) {
    rejectRequest(413, "http1.content_length_too_large");
    return;
  }
  if (!head.keep_alive || rt.config.listener.keep_alive == config::KeepAlive::Never) {
    close_after_response_ = true;
  }
  request_complete_ = head.framing == http::BodyFraming::None;
  response_started_ = response_complete_ = response_committed_ = false;
  response_chunked_ = response_until_close_ = false;
  head_bytes_seen_ = false;
  body_.start(head.framing, head.content_length, rt.limits);
  if (request_complete_) {
    phase_ = Phase::AwaitingResponse;
    cancelTimer();
  } else {
    phase_ = Phase::ReadingBody;
    armTimer(TimerKind::BodyIdle, rt.config.listener.body_idle_timeout_ms);
  }
  stream_ = std::make_unique<Stream>(worker_, *this);
  stream_->onRequestHead(std::move(head), std::move(*target), request_complete_);
}

void Http1Connection::rejectRequest(int status, const char* reason) {
  log::info("http1.reject", reason, {{"status", std::to_string(status)}, {"peer", peer_}});
  close_after_response_ = true;
  // Nothing after a rejected request is read as a request: the connection closes.
  phase_ = Phase::AwaitingResponse;
  request_complete_ = true;
  std::string body = statusReportBody(status);
  http::ResponseHead head;
  head.status = status;
  head.reason = std::string(http::reasonPhrase(status));
  head.headers.add("Content-Type", "application/json");
  head.framing = http::BodyFraming::ContentLength;
  head.content_length = body.size();
  response_started_ = false;
  sendResponseHead(head, false);
  sendResponseData(body, true);
}

void Http1Connection::failBody(int status, const char* reason) {
  // The upstream must never see a complete request: abandon it before answering.
  if (stream_)
    stream_->onDownstreamReset();
  if (response_started_) {
    resetStream(reason);
    return;
  }
  stream_.reset();
  rejectRequest(status, reason);
}

// ---- writing ---------------------------------------------------------------------------------

void Http1Connection::sendResponseHead(http::ResponseHead& head, bool end_stream) {
  if (phase_ == Phase::Closed)
    return;
  response_started_ = true;
  if (!request_complete_ || worker_.draining() || peer_closed_)
    close_after_response_ = true;
  response_chunked_ = false;
  response_until_close_ = false;
  if (!end_stream && head.framing == http::BodyFraming::Chunked) {
    if (version_minor_ >= 1) {
      response_chunked_ = true;
    } else {
      response_until_close_ = true;  // HTTP/1.0 client: delimit by closing
      close_after_response_ = true;
    }
  } else if (head.framing == http::BodyFraming::UntilClose) {
    response_until_close_ = true;
    close_after_response_ = true;
  }
  out_ += "HTTP/1.1 ";
  out_ += std::to_string(head.status);
  out_ += ' ';
  out_ += head.reason.empty() ? http::reasonPhrase(head.status) : std::string_view(head.reason);
  out_ += "\r\n";
  for (const http::Header& h : head.headers) {
    out_ += h.name;
    out_ += ": ";
    out_ += h.value;
    out_ += "\r\n";
  }
  if (head.framing == http::BodyFraming::ContentLength) {
    out_ += "Content-Length: ";
    out_ += std::to_string(head.content_length);
    out_ += "\r\n";
  } else if (response_chunked_) {
    out_ += "Transfer-Encoding: chunked\r\n";
  }
  if (close_after_response_) {
    out_ += "Connection: close\r\n";
  } else if (version_minor_ == 0) {
    out_ += "Connection: keep-alive\r\n";
  }
  out_ += "\r\n";
  if (end_stream) {
    onResponseComplete();
  }
  scheduleFlush();
}

void Http1Connection::sendResponseData(std::string_view data, bool end_stream) {
  if (phase_ == Phase::Closed || response_complete_)
    return;
  if (response_chunked_) {
    if (!data.empty()) {
      http1::appendChunkHeader(out_, data.size());
      out_ += data;
      out_ += "\r\n";
    }
    if (end_stream)
      out_ += "0\r\n\r\n";
  } else {
    out_ += data;
  }
  if (end_stream)
    onResponseComplete();
  scheduleFlush();
}

void Http1Connection::sendContinue() {
  if (response_started_ || version_minor_ < 1 || phase_ != Phase::ReadingBody)
    return;
  out_ += "HTTP/1.1 100 Continue\r\n\r\n";
  scheduleFlush();
}

void Http1Connection::resetStream(const char* reason) {
  log::info("http1.stream_reset", reason, {{"peer", peer_}});
  // An HTTP/1.1 response that already started can only be aborted by closing: the client then
  // sees fewer bytes than the framing promised, never a complete-looking response.
  out_.clear();
  closeNow();
}

void Http1Connection::discardResponse() {
  // Only called before any response byte was written: out_ holds nothing but this response
  // (a `100 Continue` still queued may go too; the final response follows anyway).
  out_.clear();
  response_started_ = false;
  response_chunked_ = response_until_close_ = false;
}

void Http1Connection::pauseRequestBody(bool paused) {
  body_paused_ = paused;
  if (!paused) {
    process();
    startRead();
  }
}

void Http1Connection::onResponseComplete() {
  response_complete_ = true;
  if (!request_complete_)
    close_after_response_ = true;
  if (exchange_done_posted_)
    return;
  exchange_done_posted_ = true;
  // The stream may be on the call stack: finish the exchange after the current event.
  net::afterEvent<Http1Connection, &Http1Connection::scheduledExchangeDone>(worker_.io(),
                                                                            shared_from_this());
}

void Http1Connection::scheduledExchangeDone() {
  exchange_done_posted_ = false;
  exchangeDone();
}

void Http1Connection::exchangeDone() {
  if (phase_ == Phase::Closed || phase_ == Phase::Lingering)
    return;
  stream_.reset();
  if (close_after_response_ || response_until_close_) {
    closeAfterFlush();
    return;
  }
  phase_ = Phase::WaitingHead;
  request_complete_ = false;
  response_started_ = response_complete_ = false;
  if (in_.empty()) {
    in_.shrink_to_fit();
    armTimer(TimerKind::KeepAliveIdle, worker_.runtime().config.listener.keep_alive_timeout_ms);
  }
  process();
  startRead();
}

void Http1Connection::scheduleFlush() {
  // Coalesce everything queued during one event (e.g. response head and body) into one write.
  // A write in flight flushes out_ itself when it completes.
  if (flush_posted_ || write_in_flight_)
    return;
  flush_posted_ = true;
  net::afterEvent<Http1Connection, &Http1Connection::scheduledFlush>(worker_.io(),
                                                                     shared_from_this());
}

void Http1Connection::scheduledFlush() {
  flush_posted_ = false;
  flush();
}

void Http1Connection::flush() {
  if (write_in_flight_ || phase_ == Phase::Closed)
    return;
  if (out_.empty()) {
    onWritten();
    return;
  }
  write_in_flight_ = true;
  if (response_started_)
    response_committed_ = true;
  writing_.swap(out_);
  written_ = 0;
  writeSome();
}

void Http1Connection::writeSome() {
  while (written_ < writing_.size()) {
    net::IoResult r = transport_->write(writing_.data() + written_, writing_.size() - written_);
    if (r.status == net::IoStatus::Ok) {
      written_ += r.bytes;
      continue;
    }
    if (r.status == net::IoStatus::WantWrite || r.status == net::IoStatus::WantRead) {
      waitFor(r.status, &Http1Connection::writeSome);
      return;
    }
    write_in_flight_ = false;
    writing_.clear();
    written_ = 0;
    if (stream_)
      stream_->onDownstreamReset();
    closeNow();
    return;
  }
  write_in_flight_ = false;
  writing_.clear();
  written_ = 0;
  flush();
}

void Http1Connection::onWritten() {
  if (close_after_flush_) {
    linger();
    return;
  }
  writing_.shrink_to_fit();
  out_.shrink_to_fit();
  if (stream_)
    stream_->onDownstreamWritable();
}

void Http1Connection::closeAfterFlush() {
  close_after_flush_ = true;
  if (!write_in_flight_ && out_.empty())
    linger();
}

void Http1Connection::linger() {
  if (phase_ == Phase::Lingering || phase_ == Phase::Closed)
    return;
  // Closing with unread input would make the kernel send RST, which can destroy the response
  // before the client reads it: shut the write side and discard input for a short while.
  phase_ = Phase::Lingering;
  stream_.reset();
  // TLS: close_notify first (RFC 8446 §6.1), then the TCP write side.
  net::IoResult r = transport_->shutdownWrite();
  if (r.status != net::IoStatus::Ok || peer_closed_) {
    closeNow();
    return;
  }
  in_.clear();
  in_.shrink_to_fit();
  armTimer(TimerKind::Linger, kLingerMs);
  startRead();
}

void Http1Connection::closeNow() {
  if (phase_ == Phase::Closed)
    return;
  phase_ = Phase::Closed;
  stream_.reset();
  cancelTimer();
  boost::system::error_code ec;
  socket_.close(ec);
  in_.clear();
  in_.shrink_to_fit();
  // Released from a fresh handler: the caller is still running on this object.
  if (self_)
    asio::post(worker_.io(), [self = std::move(self_)] {});
}

// ---- timers ----------------------------------------------------------------------------------

void Http1Connection::armTimer(TimerKind kind, int64_t ms) {
  timer_kind_ = kind;
  deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
}

void Http1Connection::cancelTimer() {
  timer_kind_ = TimerKind::None;
}

void Http1Connection::checkDeadline(std::chrono::steady_clock::time_point now) {
  if (phase_ == Phase::Closed)
    return;
  if (stream_ && stream_->deadlinePassed(now)) {
    auto self = shared_from_this();
    stream_->onDeadline();  // may close this connection
  }
  if (phase_ == Phase::Closed || timer_kind_ == TimerKind::None || now < deadline_)
    return;
  auto self = shared_from_this();
  onTimer();
}

void Http1Connection::onTimer() {
  TimerKind kind = timer_kind_;
  timer_kind_ = TimerKind::None;
  switch (kind) {
    case TimerKind::Handshake:
      log::info("tls.handshake_timeout", "TLS handshake did not finish in time", {{"peer", peer_}});
      closeNow();
      return;
    case TimerKind::HeadDeadline:
      // A slow drip never extends this deadline: it runs from the first byte of the head.
      if (head_bytes_seen_ && !response_started_) {
        rejectRequest(408, "http1.request_head_timeout");
      } else {
        closeNow();
      }
      return;
    case TimerKind::BodyIdle:
      if (stream_)
        stream_->onDownstreamReset();
      if (!response_started_) {
        stream_.reset();
        rejectRequest(408, "http1.body_idle_timeout");
      } else {
        closeNow();
      }
      return;
    case TimerKind::KeepAliveIdle:
    case TimerKind::Linger:
      closeNow();
      return;
    case TimerKind::None:
      return;
  }
}

}  // namespace mgw::server
