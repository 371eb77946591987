// One request/response exchange, independent of the downstream protocol: route match, filter
// chain, endpoint selection and proxying to the upstream with backpressure both ways. The
// HTTP/1.1 connection (and later the HTTP/2 codec) drives it through the calls below and
// receives the response through DownstreamSink.
//
// Threading: owned by one downstream connection on one worker thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mgw/filter/filter.h"
#include "mgw/http/message.h"
#include "mgw/http/path.h"
#include "mgw/router/route_table.h"
#include "upstream/http1_upstream.h"

namespace mgw::server {

class Worker;

// Which listener accepted the connection: it selects the route table (Runtime::routesFor).
enum class ListenerKind {
  Http,   // httpPort: APIs whose x-wso2-transports include http
  Https,  // httpsPort: APIs whose x-wso2-transports include https, plus the token endpoints
  Token,  // tokenListenerPort: only the token endpoints (/token /authorize /revoke /userinfo)
};

// What a stream needs from the downstream codec.
class DownstreamSink {
 public:
  virtual ~DownstreamSink() = default;
  // Response head; the codec adds framing and connection-management fields itself.
  // `end_stream`: no body follows.
  virtual void sendResponseHead(http::ResponseHead& head, bool end_stream) = 0;
  virtual void sendResponseData(std::string_view data, bool end_stream) = 0;
  // Aborts a response that already started (HTTP/1.1: close the connection).
  virtual void resetStream(const char* reason) = 0;
  // True once any byte of the response was handed to the transport; before that a started
  // response can still be taken back with discardResponse() and replaced by a fault.
  virtual bool responseCommitted() const = 0;
  virtual void discardResponse() = 0;
  // `100 Continue` for a client waiting on `Expect: 100-continue`.
  virtual void sendContinue() = 0;
  // Stops / resumes delivering request body bytes (upstream backpressure).
  virtual void pauseRequestBody(bool paused) = 0;
  // Bytes queued towards the client and not yet written.
  virtual size_t pendingResponseBytes() const = 0;
  virtual std::string_view peerAddress() const = 0;
  virtual bool peerIsV6() const = 0;
  // The peer is in `[listenerConfig] trustedProxies`: its X-Forwarded-* fields are believed.
  virtual bool peerTrusted() const = 0;
  virtual bool secure() const = 0;
  virtual int downstreamVersionMinor() const = 0;
  // The verified client certificate of a TLS connection, or null.
  virtual const filter::ClientCertificate* clientCertificate() const { return nullptr; }
  virtual ListenerKind listenerKind() const { return ListenerKind::Http; }
};

class Stream final : public filter::RequestContext, public upstream::UpstreamCallbacks {
 public:
  Stream(Worker& worker, DownstreamSink& sink);
  ~Stream() override;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // The request head is complete. `end_stream`: the request has no body.
  void onRequestHead(http::RequestHead&& head, http::RequestTarget&& target, bool end_stream);
  // Request body bytes (copied before return). `end_stream` on the last piece.
  void onRequestData(std::string_view data, bool end_stream);
  // The downstream write buffer drained.
  void onDownstreamWritable();
  // The client went away or the connection is being torn down: abandon everything.
  void onDownstreamReset();
  bool responseComplete() const { return response_complete_; }
  // The endpoint timeout (timeoutInMillis) is a deadline checked by the worker's sweep through
  // the owning connection, not a timer per request.
  bool deadlinePassed(std::chrono::steady_clock::time_point now) const {
    return deadline_armed_ && now >= deadline_;
  }
  // The deadline passed: fails the exchange with 101504. May destroy this stream (the codec
  // closes the connection when the response already started).
  void onDeadline();

  // Buffered request bytes above which the codec should stop reading.
  static constexpr size_t kHighWatermark = 256 * 1024;

  // filter::RequestContext
  const http::RequestHead& request() const override { return request_; }
  http::RequestHead& mutableRequest() override { return request_; }
  const artifact::Api& api() const override;
  const artifact::Resource& resource() const override;
  std::string_view peerAddress() const override { return sink_.peerAddress(); }
  bool secure() const override { return sink_.secure(); }
  std::string_view clientIp() const override;
  void addResponseHeader(std::string_view name, std::string_view value) override;
  void sendLocalReply(filter::LocalReply reply) override;
  const filter::AuthContext* authContext() const override { return auth_ ? &*auth_ : nullptr; }
  void setAuthContext(filter::AuthContext auth) override;
  const filter::ClientCertificate* clientCertificate() const override {
    return sink_.clientCertificate();
  }
  void httpCall(filter::HttpCallRequest request, filter::HttpCallback cb) override;
  void resumeChain() override;

  // upstream::UpstreamCallbacks
  void onUpstreamHead(http::ResponseHead& head) override;
  void onUpstreamData(std::string_view data, bool end) override;
  void onUpstreamError(const char* reason, bool nothing_received) override;
  void onUpstreamWritable() override;

 private:
  // Upstream side of the exchange.
  enum class UpstreamState {
    None,        // not started (local reply, or filters still running)
    Connecting,  // TCP connect in progress (or resolving)
    Sending,     // request head written, body may still be streaming
    Responding,  // response head received, body streaming to the client
    Done,        // response complete or abandoned
  };

  // Runs the route's filters from next_filter_ on; forwards when all of them continued.
  void runChain();
  void forward();
  void startAttempt();
  void onConnected(upstream::UpstreamConnectionPtr conn);
  void sendRequestHead();
  void writeBody(std::string_view data, bool end_stream);
  void upstreamFailure(int code, const char* message, const char* description, const char* reason);
  void finishUpstream(bool reusable);
  void armTimeout();
  void cancelTimeout() { deadline_armed_ = false; }
  void localReply(int status, std::string body, const char* details);
  // Ends a failed exchange: a fault while the response can still be replaced, else a reset.
  void failResponse(int code, const char* description, const char* reason);

  Worker& worker_;
  DownstreamSink& sink_;
  http::RequestHead request_;
  http::RequestTarget target_;
  router::RouteMatch match_;
  size_t next_filter_ = 0;     // next filter of the route's chain to run
  bool chain_paused_ = false;  // a filter answered Pause and has not resumed yet
  std::optional<filter::AuthContext> auth_;
  // The request is for the gateway's own /apikey endpoint: its body is buffered, then answered.
  bool apikey_request_ = false;
  void answerApiKeyRequest();
  const upstream::EndpointRuntime* endpoint_ = nullptr;
  size_t attempt_ = 0;    // attempts made for this request
  size_t url_index_ = 0;  // URL of the current attempt
  bool retried_reused_ = false;
  UpstreamState upstream_state_ = UpstreamState::None;
  upstream::UpstreamConnectionPtr upstream_;
  std::chrono::steady_clock::time_point deadline_;
  bool deadline_armed_ = false;
  std::string pending_body_;  // request body received before the upstream connection is ready
  // Fields filters added for the downstream response (addResponseHeader), appended to the
  // forwarded or local response head.
  http::HeaderMap added_response_headers_;
  bool request_complete_ = false;
  bool request_chunked_upstream_ = false;
  bool response_started_ = false;
  bool response_complete_ = false;
  bool response_chunked_ = false;
  bool local_reply_ = false;
  bool request_paused_ = false;
  bool response_paused_ = false;
  bool head_ended_stream_ = false;  // the response head was sent with end_stream
  // Guards callbacks (connect, httpCall) that may run after the stream is gone; created on the
  // first use (a pooled exchange needs none).
  std::shared_ptr<int> life_;
  std::weak_ptr<int> lifeToken();
};

}  // namespace mgw::server
