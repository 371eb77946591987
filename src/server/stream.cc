#include "server/stream.h"

#include <array>
#include <chrono>

#include "mgw/base/log.h"
#include "mgw/base/strings.h"
#include "server/http_call.h"
#include "server/worker.h"

namespace mgw::server {

namespace {

constexpr std::string_view kNotFoundBody =
    R"({"code":404, "type":"Status report", "message":"Runtime Error", "description":"No matching resource found for given API Request"})";
constexpr std::string_view kMethodNotAllowedBody =
    R"({"code":405, "type":"Status report", "message":"Runtime Error", "description":"Method not allowed for given API resource"})";
constexpr std::string_view kHealthyBody = R"({"status":"healthy"})";
constexpr std::string_view kNoProductionEndpointBody =
    R"({"ERROR_CODE":"900901","ERROR_MESSAGE":"Production key offered to the API with no production endpoint"})";
constexpr std::string_view kNoSandboxEndpointBody =
    R"({"ERROR_CODE":"900901","ERROR_MESSAGE":"Sandbox key offered to the API with no sandbox endpoint"})";

// RFC 9110 §7.6.1 connection-specific fields, plus framing fields the gateway sets itself.
constexpr std::array<std::string_view, 9> kHopByHop = {
    "connection", "keep-alive",        "proxy-connection", "te",  "trailer",
    "upgrade",    "transfer-encoding", "content-length",   "host"};

bool isHopByHop(std::string_view name) {
  for (std::string_view h : kHopByHop) {
    if (iequals(name, h))
      return true;
  }
  return false;
}

// True if `name` is listed in any Connection field of `headers` (RFC 9110 §7.6.1).
bool listedInConnection(const http::HeaderMap& headers, std::string_view name) {
  for (const http::Header& h : headers) {
    if (!iequals(h.name, "connection"))
      continue;
    for (std::string_view token : splitList(h.value, ',')) {
      if (iequals(token, name))
        return true;
    }
  }
  return false;
}

}  // namespace

Stream::Stream(Worker& worker, DownstreamSink& sink) : worker_(worker), sink_(sink) {}

std::weak_ptr<int> Stream::lifeToken() {
  if (!life_)
    life_ = std::make_shared<int>(0);
  return life_;
}

Stream::~Stream() {
  if (upstream_) {
    upstream_->close();
    upstream_.reset();
  }
}

const artifact::Api& Stream::api() const {
  return worker_.runtime().artifact.apis[match_.api_index];
}

const artifact::Resource& Stream::resource() const {
  return api().resources[match_.resource_index];
}

std::string_view Stream::clientIp() const {
  // X-Forwarded-For (de facto; RFC 7239 §5.2 has the same meaning for `for=`) lists the client
  // first. Only a trusted proxy's list is believed; a client could write anything there.
  if (sink_.peerTrusted()) {
    if (const std::string* xff = request_.headers.get("X-Forwarded-For")) {
      std::string_view first = trimOws(std::string_view(*xff).substr(0, xff->find(',')));
      if (!first.empty())
        return first;
    }
  }
  return sink_.peerAddress();
}

void Stream::addResponseHeader(std::string_view name, std::string_view value) {
  added_response_headers_.add(name, value);
}

void Stream::onRequestHead(http::RequestHead&& head, http::RequestTarget&& target,
                           bool end_stream) {
  request_ = std::move(head);
  target_ = std::move(target);
  request_complete_ = end_stream;

  if (target_.path == "/health" && (request_.method == "GET" || request_.method == "HEAD")) {
    localReply(200, std::string(kHealthyBody), "health");
    return;
  }
  const Runtime& rt = worker_.runtime();
  if (rt.apikey_issuer && sink_.listenerKind() == ListenerKind::Https &&
      apikey::ApiKeyIssuer::matches(request_.method, target_.path)) {
    apikey_request_ = true;
    if (request_.expect_continue && !end_stream)
      sink_.sendContinue();
    if (end_stream)
      answerApiKeyRequest();
    return;
  }
  match_ = rt.routesFor(sink_.listenerKind()).match(request_.method, target_.path);
  if (match_.status == router::MatchStatus::NotFound) {
    localReply(404, std::string(kNotFoundBody), "route.not_found");
    return;
  }
  if (match_.status == router::MatchStatus::MethodNotAllowed) {
    filter::LocalReply reply;
    reply.status = 405;
    reply.body = std::string(kMethodNotAllowedBody);
    reply.headers.add("Allow", match_.allow);
    reply.details = "route.method_not_allowed";
    sendLocalReply(std::move(reply));
    return;
  }
  // Chunk framing is decided now: body bytes may arrive while a filter has paused the chain.
  request_chunked_upstream_ = request_.framing == http::BodyFraming::Chunked;
  next_filter_ = 0;
  runChain();
}

void Stream::runChain() {
  const filter::FilterChain& chain =
      worker_.runtime().chains[match_.api_index][match_.resource_index];
  while (next_filter_ < chain.size()) {
    const filter::FilterPtr& f = chain[next_filter_++];
    filter::FilterStatus status = f->onRequestHeaders(*this);
    if (local_reply_ || status == filter::FilterStatus::Stop)
      return;
    if (status == filter::FilterStatus::Pause) {
      chain_paused_ = true;
      return;
    }
  }
  forward();
}

void Stream::resumeChain() {
  if (!chain_paused_ || local_reply_ || upstream_state_ == UpstreamState::Done)
    return;
  chain_paused_ = false;
  runChain();
}

void Stream::setAuthContext(filter::AuthContext auth) {
  auth_ = std::move(auth);
}

void Stream::httpCall(filter::HttpCallRequest request, filter::HttpCallback cb) {
  // The callback must not outlive the stream: the downstream may reset while the call runs.
  startHttpCall(worker_, std::move(request),
                [life = lifeToken(), cb = std::move(cb)](Result<filter::HttpCallResponse> result) {
                  if (!life.expired())
                    cb(std::move(result));
                });
}

void Stream::sendLocalReply(filter::LocalReply reply) {
  if (local_reply_ || response_started_)
    return;
  local_reply_ = true;
  response_started_ = true;
  upstream_state_ = UpstreamState::Done;
  if (reply.status >= 400) {
    log::info("request.local_reply", reply.details,
              {{"status", std::to_string(reply.status)},
               {"method", request_.method},
               {"path", target_.path},
               {"peer", sink_.peerAddress()}});
  }
  http::ResponseHead head;
  head.status = reply.status;
  head.reason = std::string(http::reasonPhrase(reply.status));
  head.headers = std::move(reply.headers);
  for (const http::Header& h : added_response_headers_)
    head.headers.add(h.name, h.value);
  if (!reply.body.empty())
    head.headers.add("Content-Type", reply.content_type);
  head.framing = http::BodyFraming::ContentLength;
  head.content_length = reply.body.size();
  bool head_only = request_.method == "HEAD";
  sink_.sendResponseHead(head, head_only || reply.body.empty());
  if (!head_only && !reply.body.empty())
    sink_.sendResponseData(reply.body, true);
  response_complete_ = true;
}

void Stream::localReply(int status, std::string body, const char* details) {
  filter::LocalReply reply;
  reply.status = status;
  reply.body = std::move(body);
  reply.details = details;
  sendLocalReply(std::move(reply));
}

void Stream::forward() {
  const artifact::Resource& res = resource();
  // Reference §2: KEY_TYPE PRODUCTION goes to the production endpoints, SANDBOX to the sandbox
  // ones; a missing side is refused in WSO2's non-fault shape.
  const bool sandbox = auth_ && auth_->sandbox;
  const std::optional<uint32_t>& side_endpoint =
      sandbox ? res.endpoints.sandbox : res.endpoints.production;
  if (!side_endpoint) {
    if (sandbox)
      localReply(403, std::string(kNoSandboxEndpointBody), "route.no_sandbox_endpoint");
    else
      localReply(403, std::string(kNoProductionEndpointBody), "route.no_production_endpoint");
    return;
  }
  endpoint_ = worker_.runtime().endpoints[*side_endpoint][sandbox ? 1 : 0].get();
  if (endpoint_ == nullptr || endpoint_->urls().empty()) {
    upstreamFailure(101503, "Runtime Error", "Error connecting to the back end",
                    "upstream.no_endpoint");
    return;
  }
  url_index_ = endpoint_->firstAttempt();
  attempt_ = 0;
  // WSO2 answers `Expect: 100-continue` itself and never forwards it; only now, after every
  // filter passed, so a rejected request is answered without `100 Continue`.
  if (request_.expect_continue && !request_complete_)
    sink_.sendContinue();
  armTimeout();
  startAttempt();
}

void Stream::armTimeout() {
  deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(endpoint_->timeoutMs());
  deadline_armed_ = true;
}

void Stream::onDeadline() {
  deadline_armed_ = false;
  if (response_complete_)
    return;
  finishUpstream(false);
  failResponse(101504, "Connection timed out",
               response_started_ ? "upstream.body_timeout" : "upstream.timeout");
}

void Stream::startAttempt() {
  // https:// URLs: the pool runs the TLS handshake (never a plain-HTTP fallback).
  const upstream::Url& url = endpoint_->urls()[url_index_];
  upstream_state_ = UpstreamState::Connecting;
  if (!retried_reused_) {
    if (upstream::UpstreamConnectionPtr idle = worker_.pool().takeIdle(url)) {
      onConnected(std::move(idle));
      return;
    }
  }
  upstream_ = worker_.pool().connect(
      url, [this, life = lifeToken()](const char* error, upstream::UpstreamConnectionPtr conn) {
        if (life.expired() || upstream_state_ != UpstreamState::Connecting)
          return;
        if (error == nullptr) {
          onConnected(std::move(conn));
          return;
        }
        upstream_.reset();
        const upstream::Url& failed = endpoint_->urls()[url_index_];
        log::warn("upstream.connect_failed", "cannot connect to endpoint",
                  {{"endpoint", endpoint_->name()}, {"url", failed.text}, {"reason", error}});
        if (++attempt_ < endpoint_->maxAttempts()) {
          url_index_ = (url_index_ + 1) % endpoint_->urls().size();
          startAttempt();
          return;
        }
        upstreamFailure(101503, "Runtime Error", "Error connecting to the back end", error);
      });
}

void Stream::onConnected(upstream::UpstreamConnectionPtr conn) {
  upstream_ = std::move(conn);
  upstream_state_ = UpstreamState::Sending;
  upstream_->attach(this, request_.method);
  sendRequestHead();
  if (!pending_body_.empty()) {
    upstream_->write(pending_body_);
    pending_body_.clear();
    pending_body_.shrink_to_fit();
  }
}

void Stream::sendRequestHead() {
  const upstream::Url& url = endpoint_->urls()[url_index_];
  const http::HeaderMap& in = request_.headers;
  // Built straight into the connection's write buffer (no temporary, no copy).
  std::string& out = upstream_->writeBuffer();
  out += request_.method;
  out += ' ';
  upstream::appendUpstreamTarget(out, url, match_.path_after_base, target_.query,
                                 target_.has_query);
  out += " HTTP/1.1\r\nHost: ";
  out += url.host_header;
  out += "\r\n";
  std::string forwarded_for;
  const std::string* trusted_proto = nullptr;
  const std::string* trusted_host = nullptr;
  // Endpoint `securityConfig {type: basic}`: the endpoint's credentials replace the client's.
  const std::string& outbound_auth = endpoint_->authorization();
  for (const http::Header& h : in) {
    if (isHopByHop(h.name) || iequals(h.name, "expect") || listedInConnection(in, h.name)) {
      continue;
    }
    if (!outbound_auth.empty() && iequals(h.name, "authorization"))
      continue;
    if (iequals(h.name, "x-forwarded-for")) {
      if (!forwarded_for.empty())
        forwarded_for += ", ";
      forwarded_for += h.value;
      continue;
    }
    if (iequals(h.name, "x-forwarded-proto") || iequals(h.name, "x-forwarded-host")) {
      // Only a trusted proxy may set these; otherwise the gateway's own values replace them.
      if (sink_.peerTrusted()) {
        (iequals(h.name, "x-forwarded-proto") ? trusted_proto : trusted_host) = &h.value;
      }
      continue;
    }
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  if (!outbound_auth.empty()) {
    out += "Authorization: ";
    out += outbound_auth;
    out += "\r\n";
  }
  // Added after the client's Connection list was applied, so a client cannot strip them.
  if (!forwarded_for.empty())
    forwarded_for += ", ";
  forwarded_for += sink_.peerAddress();
  out += "X-Forwarded-For: ";
  out += forwarded_for;
  out += "\r\nX-Forwarded-Proto: ";
  out += trusted_proto ? std::string_view(*trusted_proto) : (sink_.secure() ? "https" : "http");
  if (trusted_host || !request_.authority.empty()) {
    out += "\r\nX-Forwarded-Host: ";
    out += trusted_host ? *trusted_host : request_.authority;
  }
  out += "\r\n";
  if (request_.framing == http::BodyFraming::ContentLength) {
    out += "Content-Length: ";
    out += std::to_string(request_.content_length);
    out += "\r\n";
  } else if (request_chunked_upstream_) {
    out += "Transfer-Encoding: chunked\r\n";
  }
  out += "\r\n";
  upstream_->commitWrite();
}

void Stream::answerApiKeyRequest() {
  sendLocalReply(worker_.runtime().apikey_issuer->handle(request_, pending_body_));
}

void Stream::onRequestData(std::string_view data, bool end_stream) {
  if (end_stream)
    request_complete_ = true;
  if (apikey_request_) {
    // A small JSON body at most ({"validityTime": n}); anything larger is refused.
    constexpr size_t kMaxApiKeyBody = 16 * 1024;
    if (local_reply_)
      return;
    if (pending_body_.size() + data.size() > kMaxApiKeyBody) {
      localReply(413, "", "apikey.body_too_large");
      return;
    }
    pending_body_.append(data);
    if (end_stream)
      answerApiKeyRequest();
    return;
  }
  if (local_reply_ || upstream_state_ == UpstreamState::Done)
    return;
  std::string framed;
  std::string_view bytes = data;
  if (request_chunked_upstream_) {
    if (!data.empty()) {
      http1::appendChunkHeader(framed, data.size());
      framed += data;
      framed += "\r\n";
    }
    if (end_stream)
      framed += "0\r\n\r\n";
    bytes = framed;
  }
  if (bytes.empty())
    return;
  if (upstream_state_ == UpstreamState::Connecting || upstream_state_ == UpstreamState::None) {
    pending_body_.append(bytes);
  } else if (upstream_) {
    upstream_->write(bytes);
  }
  size_t queued = pending_body_.size() + (upstream_ ? upstream_->pendingWriteBytes() : 0);
  if (queued > kHighWatermark && !request_paused_) {
    request_paused_ = true;
    sink_.pauseRequestBody(true);
  }
}

void Stream::onUpstreamWritable() {
  if (request_paused_) {
    request_paused_ = false;
    sink_.pauseRequestBody(false);
  }
}

void Stream::onUpstreamHead(http::ResponseHead& head) {
  upstream_state_ = UpstreamState::Responding;
  armTimeout();  // from here on the endpoint timeout bounds silence in the body
  http::ResponseHead out;
  out.status = head.status;
  // The upstream's head is rebuilt for every exchange: take its fields instead of copying them.
  out.reason = std::move(head.reason);
  bool bodiless = request_.method == "HEAD" || head.status == 204 || head.status == 304;
  // A HEAD or 304 response keeps the representation's Content-Length (RFC 9110 §8.6).
  const bool keep_content_length = bodiless && head.status != 204;
  bool strip = false;
  for (const http::Header& h : head.headers) {
    if (isHopByHop(h.name) || listedInConnection(head.headers, h.name)) {
      if (!(keep_content_length && iequals(h.name, "content-length"))) {
        strip = true;
        break;
      }
    }
  }
  if (!strip) {
    out.headers = std::move(head.headers);
  } else {
    // Fields named in Connection first: the Connection fields themselves go with the
    // hop-by-hop names.
    std::vector<std::string> listed;
    for (const http::Header& h : head.headers) {
      if (!iequals(h.name, "connection"))
        continue;
      for (std::string_view token : splitList(h.value, ',')) {
        // Hop-by-hop names (keep-alive, ...) go below anyway: usually nothing is listed.
        if (!isHopByHop(token))
          listed.emplace_back(token);
      }
    }
    out.headers = std::move(head.headers);
    for (const std::string& name : listed)
      out.headers.remove(name);
    for (std::string_view name : kHopByHop) {
      if (!(keep_content_length && name == "content-length"))
        out.headers.remove(name);
    }
  }
  for (const http::Header& h : added_response_headers_)
    out.headers.add(h.name, h.value);
  switch (head.framing) {
    case http::BodyFraming::ContentLength:
      out.framing = http::BodyFraming::ContentLength;
      out.content_length = head.content_length;
      break;
    case http::BodyFraming::Chunked:
    case http::BodyFraming::UntilClose:
      out.framing = http::BodyFraming::Chunked;
      break;
    case http::BodyFraming::None:
      out.framing = http::BodyFraming::None;
      break;
  }
  response_started_ = true;
  head_ended_stream_ =
      head.framing == http::BodyFraming::None ||
      (head.framing == http::BodyFraming::ContentLength && head.content_length == 0);
  sink_.sendResponseHead(out, head_ended_stream_);
}

void Stream::onUpstreamData(std::string_view data, bool end) {
  if (!head_ended_stream_ && (!data.empty() || end))
    sink_.sendResponseData(data, end);
  if (end) {
    response_complete_ = true;
    cancelTimeout();
    finishUpstream(request_complete_);
    return;
  }
  armTimeout();
  if (sink_.pendingResponseBytes() > kHighWatermark && upstream_ && !response_paused_) {
    response_paused_ = true;
    upstream_->pauseReading(true);
  }
}

void Stream::onDownstreamWritable() {
  if (response_paused_ && upstream_) {
    response_paused_ = false;
    upstream_->pauseReading(false);
  }
}

void Stream::onUpstreamError(const char* reason, bool nothing_received) {
  bool reused = upstream_ && upstream_->reused();
  upstream_.reset();
  if (response_started_) {
    upstream_state_ = UpstreamState::Done;
    failResponse(101503, "Error connecting to the back end", reason);
    return;
  }
  // A pooled connection the backend closed just as it was reused: one retry on a fresh
  // connection when nothing of the request body has to be replayed.
  if (nothing_received && reused && !retried_reused_ &&
      request_.framing == http::BodyFraming::None) {
    retried_reused_ = true;
    startAttempt();
    return;
  }
  upstreamFailure(101503, "Runtime Error", "Error connecting to the back end", reason);
}

void Stream::failResponse(int code, const char* description, const char* reason) {
  if (response_started_ && !sink_.responseCommitted()) {
    // Nothing reached the client yet: answer with the fault instead of a truncated response.
    sink_.discardResponse();
    response_started_ = false;
    head_ended_stream_ = false;
  }
  if (!response_started_) {
    upstreamFailure(code, "Runtime Error", description, reason);
    return;
  }
  cancelTimeout();
  log::warn("upstream.aborted", "upstream failed mid-response", {{"reason", reason}});
  sink_.resetStream(reason);
}

void Stream::finishUpstream(bool reusable) {
  upstream_state_ = UpstreamState::Done;
  if (!upstream_)
    return;
  upstream::UpstreamConnectionPtr conn = std::move(upstream_);
  if (reusable) {
    conn->release();
  } else {
    conn->close();
  }
}

void Stream::upstreamFailure(int code, const char* message, const char* description,
                             const char* reason) {
  cancelTimeout();
  if (upstream_) {
    upstream_->close();
    upstream_.reset();
  }
  log::warn("upstream.failure", description,
            {{"reason", reason},
             {"endpoint", endpoint_ ? std::string_view(endpoint_->name()) : std::string_view()},
             {"path", target_.path}});
  sendLocalReply(filter::faultReply(500, code, message, description, reason));
}

void Stream::onDownstreamReset() {
  cancelTimeout();
  upstream_state_ = UpstreamState::Done;
  if (upstream_) {
    upstream_->close();
    upstream_.reset();
  }
}

}  // namespace mgw::server
