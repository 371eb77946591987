// Downstream HTTP/1.1 connection: reads requests with the strict codec, runs one Stream at a time
// (pipelined requests wait in the input buffer), writes responses, and enforces the slow-client
// deadlines. An idle keep-alive connection holds no read or write buffer: it waits for
// readability and reads into the worker's shared scratch buffer.
//
// Bytes go through a net::Transport: plain TCP on the HTTP listener, TLS on the HTTPS and token
// listeners. A TLS connection first runs the handshake (Phase::Handshake, bounded by one
// deadline), then the same codec; readiness waits follow the direction the transport asks for
// (TLS may need to write while reading), and decrypted bytes buffered inside the transport are
// read before waiting again.
//
// Threading: lives on one worker's io_context.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "mgw/http/http1_codec.h"
#include "net/transport.h"
#include "server/stream.h"

namespace mgw::server {

class Worker;

class Http1Connection final : public DownstreamSink,
                              public std::enable_shared_from_this<Http1Connection> {
 public:
  // `tls` null: plain HTTP; otherwise the server context of the HTTPS / token listener.
  Http1Connection(Worker& worker, boost::asio::ip::tcp::socket socket,
                  ListenerKind kind = ListenerKind::Http, SSL_CTX* tls = nullptr);
  ~Http1Connection() override;

  void start();
  // The worker is draining: idle connections close now, busy ones after their response.
  void onDrain();
  // Closes the connection at once (grace period over, or the worker is being destroyed).
  void abort() { closeNow(); }
  // Called by the worker's deadline sweep (every Worker::kSweepMs): fires the connection's
  // deadline and its stream's upstream timeout when they have passed.
  void checkDeadline(std::chrono::steady_clock::time_point now);

  // DownstreamSink
  void sendResponseHead(http::ResponseHead& head, bool end_stream) override;
  void sendResponseData(std::string_view data, bool end_stream) override;
  void resetStream(const char* reason) override;
  void sendContinue() override;
  bool responseCommitted() const override { return response_committed_; }
  void discardResponse() override;
  void pauseRequestBody(bool paused) override;
  size_t pendingResponseBytes() const override { return out_.size() + writing_.size(); }
  std::string_view peerAddress() const override { return peer_; }
  bool peerIsV6() const override { return peer_v6_; }
  bool peerTrusted() const override { return peer_trusted_; }
  bool secure() const override { return transport_->secure(); }
  int downstreamVersionMinor() const override { return version_minor_; }
  const filter::ClientCertificate* clientCertificate() const override {
    return transport_->peerCertificate();
  }
  ListenerKind listenerKind() const override { return kind_; }

 private:
  // Connection phases.
  enum class Phase {
    Handshake,         // TLS handshake in progress (TLS listeners only)
    WaitingHead,       // between requests or reading a request head
    ReadingBody,       // request head done, body streaming to the Stream
    AwaitingResponse,  // request complete, response in progress (pipelined bytes wait)
    Lingering,         // response sent, write side shut, draining input before close
    Closed,
  };
  // What the single connection deadline currently measures. There is no timer per connection:
  // the worker's sweep compares deadline_ with the clock every Worker::kSweepMs.
  enum class TimerKind { None, Handshake, HeadDeadline, BodyIdle, KeepAliveIdle, Linger };

  void continueHandshake();
  void waitFor(net::IoStatus want, void (Http1Connection::*then)());
  void startRead();
  void onReadable();
  // Handles one read result whose bytes are at `data`.
  void onRead(net::IoResult r, const char* data);
  // Plain TCP: the pending read is an async_receive whose buffer is chosen when the reactor
  // performs it (LandingBuffers), so an idle connection holds no buffer and the descriptor is
  // never re-armed (net/read_rearm.h).
  void startReceive();
  const boost::asio::mutable_buffer* landing();
  struct LandingBuffers {
    Http1Connection* conn;
    const boost::asio::mutable_buffer* begin() const { return conn->landing(); }
    const boost::asio::mutable_buffer* end() const { return &conn->landing_ + 1; }
  };
  void writeSome();
  void onPeerClosed();
  void process();
  void beginRequest(http::RequestHead&& head);
  void rejectRequest(int status, const char* reason);
  void failBody(int status, const char* reason);
  void onResponseComplete();
  void exchangeDone();
  void scheduledExchangeDone();  // exchangeDone() at the end of the event (net::afterEvent)
  void scheduleFlush();
  void scheduledFlush();  // flush() at the end of the event that queued the output
  void flush();
  void onWritten();
  void closeAfterFlush();
  void linger();
  void closeNow();
  void armTimer(TimerKind kind, int64_t ms);
  void cancelTimer();
  void onTimer();

  Worker& worker_;
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<net::Transport> transport_;
  ListenerKind kind_;
  std::chrono::steady_clock::time_point deadline_;
  TimerKind timer_kind_ = TimerKind::None;
  Phase phase_ = Phase::WaitingHead;
  std::string peer_;
  bool peer_v6_ = false;
  bool peer_trusted_ = false;
  std::string in_;
  std::string out_;
  std::string writing_;
  size_t written_ = 0;  // bytes of writing_ already handed to the transport
  http1::RequestParser parser_;
  http1::BodyDecoder body_;
  std::unique_ptr<Stream> stream_;
  int version_minor_ = 1;
  bool read_in_flight_ = false;
  bool read_wants_write_ = false;  // TLS read needs the socket writable first
  bool write_in_flight_ = false;
  bool body_paused_ = false;
  bool head_bytes_seen_ = false;  // some bytes of the current request head arrived
  bool request_complete_ = false;
  bool response_started_ = false;
  bool response_complete_ = false;
  bool response_chunked_ = false;  // chunked framing applied to response data
  bool response_until_close_ = false;
  bool close_after_response_ = false;
  bool close_after_flush_ = false;
  bool peer_closed_ = false;
  bool exchange_done_posted_ = false;
  bool flush_posted_ = false;
  bool response_committed_ = false;  // response bytes were handed to the socket
  size_t linger_bytes_ = 0;          // input discarded while lingering
  bool use_receive_ = false;         // plain TCP with net::readRearmSupported()
  bool issuing_ = false;             // inside socket_.async_receive()
  bool landed_in_scratch_ = false;
  boost::asio::mutable_buffer landing_;
  // Landing buffer when the worker's scratch is not safe (the handler may run after other
  // handlers): only while a write wait is pending on the socket.
  std::unique_ptr<char[]> spill_;
  // Keeps the connection alive from start() until closeNow().
  std::shared_ptr<Http1Connection> self_;
};

}  // namespace mgw::server
