#include "server/http_call.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <utility>

#include "mgw/base/strings.h"
#include "server/worker.h"
#include "upstream/endpoint.h"
#include "upstream/http1_upstream.h"

namespace mgw::server {
namespace {

namespace asio = boost::asio;

// Characters that would let a URL or a field break out of its place in the request head
// (RFC 9112 §2.2: CR, LF and NUL never appear in a field; a request target has no whitespace).
bool headSafe(std::string_view s, bool allow_space) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u == '\r' || u == '\n' || u == 0 || (!allow_space && (u == ' ' || u == '\t')))
      return false;
  }
  return true;
}

bool validToken(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == ':' || c == '(' || c == ')' || c == '"' || c == '/' ||
        c == '<' || c == '>' || c == '@' || c == ',' || c == ';' || c == '\\' || c == '[' ||
        c == ']' || c == '?' || c == '=' || c == '{' || c == '}') {
      return false;
    }
  }
  return true;
}

// Lifecycle of one exchange:
//   Connecting → (connected) → Exchanging → Finished
//   any state  → (timeout, error, oversize) → Finished
// A reused pooled connection that fails before a byte of the response arrived is retried once
// on a fresh connection (the server may have closed it idle: RFC 9112 §9.3.1).
class HttpCall final : public upstream::UpstreamCallbacks,
                       public std::enable_shared_from_this<HttpCall> {
 public:
  HttpCall(Worker& worker, filter::HttpCallRequest request, filter::HttpCallback cb)
      : worker_(worker), request_(std::move(request)), cb_(std::move(cb)), timer_(worker.io()) {}

  // The pending timer handler owns the exchange until it ends (then the posted callback does):
  // if the worker's loop is torn down first, destroying that handler frees the exchange.
  ~HttpCall() override {
    if (connecting_)
      connecting_->close();
    if (conn_)
      conn_->close();  // detaches this object from the connection
  }

  void start() {
    if (auto s = prepare(); !s) {
      finish(s.error());
      return;
    }
    timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(1, request_.timeout_ms)));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec)
        self->finish(makeError("http_call.timeout", "HTTP call timed out"));
    });
    connect(false);
  }

  void onUpstreamHead(http::ResponseHead& head) override {
    response_.status = head.status;
    response_.headers = std::move(head.headers);
    if (head.framing == http::BodyFraming::ContentLength &&
        head.content_length > request_.max_response_bytes) {
      finish(makeError("http_call.too_large", "HTTP call response exceeds the size limit"));
    }
  }

  void onUpstreamData(std::string_view data, bool end) override {
    if (finished_)
      return;
    if (response_.body.size() + data.size() > request_.max_response_bytes) {
      finish(makeError("http_call.too_large", "HTTP call response exceeds the size limit"));
      return;
    }
    response_.body.append(data);
    if (end) {
      success_ = true;
      finish(std::move(response_));
    }
  }

  void onUpstreamError(const char* reason, bool nothing_received) override {
    if (finished_)
      return;
    if (nothing_received && conn_ && conn_->reused() && !retried_) {
      conn_.reset();  // the connection closed itself (fail() closes it)
      connect(true);
      return;
    }
    conn_.reset();
    finish(makeError(reason, "HTTP call failed"));
  }

  void onUpstreamWritable() override {}

 private:
  Status prepare() {
    const std::string& text = request_.url;
    if (!headSafe(text, false))
      return makeError("http_call.bad_url", "URL contains whitespace or control characters");
    size_t scheme_end = text.find("://");
    if (scheme_end == std::string::npos)
      return makeError("http_call.bad_url", "URL must be absolute");
    size_t path_start = text.find_first_of("/?#", scheme_end + 3);
    std::string_view base(text.data(), path_start == std::string::npos ? text.size() : path_start);
    auto url = upstream::parseUrl(base);
    if (!url)
      return makeError("http_call.bad_url", url.error().message);
    url_ = std::move(*url);
    // https:// URLs: the pool runs the TLS handshake (trust store, SNI, hostname check) or fails
    // with "upstream.tls_unavailable"; never plain HTTP.
    std::string_view target;
    if (path_start != std::string::npos)
      target = std::string_view(text).substr(path_start);
    if (size_t hash = target.find('#'); hash != std::string_view::npos)
      target = target.substr(0, hash);  // RFC 3986 §3.5: fragments stay on the client
    if (!validToken(request_.method))
      return makeError("http_call.bad_request", "bad method");

    std::string& out = head_bytes_;
    out.reserve(256 + request_.body.size());
    out += request_.method;
    out += ' ';
    if (target.empty() || target.front() != '/')
      out += '/';
    out += target;
    out += " HTTP/1.1\r\nHost: ";
    out += url_.host_header;
    out += "\r\n";
    for (const http::Header& h : request_.headers) {
      if (iequals(h.name, "host") || iequals(h.name, "content-length") ||
          iequals(h.name, "connection") || iequals(h.name, "transfer-encoding")) {
        continue;
      }
      if (!validToken(h.name) || !headSafe(h.value, true))
        return makeError("http_call.bad_request", "bad header field");
      out += h.name;
      out += ": ";
      out += h.value;
      out += "\r\n";
    }
    const bool body_allowed =
        !request_.body.empty() || request_.method == "POST" || request_.method == "PUT";
    if (body_allowed) {
      out += "Content-Length: ";
      out += std::to_string(request_.body.size());
      out += "\r\n";
    }
    out += "\r\n";
    out += request_.body;
    return {};
  }

  void connect(bool fresh) {
    retried_ = retried_ || fresh;
    if (!fresh) {
      if (upstream::UpstreamConnectionPtr idle = worker_.pool().takeIdle(url_)) {
        onConnected(std::move(idle));
        return;
      }
    }
    connecting_ = worker_.pool().connect(
        url_, [weak = weak_from_this()](const char* error, upstream::UpstreamConnectionPtr conn) {
          auto self = weak.lock();
          if (!self) {
            if (conn)
              conn->close();
            return;
          }
          self->connecting_.reset();
          if (self->finished_) {
            if (conn)
              conn->close();
            return;
          }
          if (error != nullptr) {
            self->finish(makeError(error, "HTTP call could not connect"));
            return;
          }
          self->onConnected(std::move(conn));
        });
  }

  void onConnected(upstream::UpstreamConnectionPtr conn) {
    conn_ = std::move(conn);
    response_ = filter::HttpCallResponse{};
    conn_->attach(this, request_.method);
    conn_->write(head_bytes_);
  }

  void finish(Result<filter::HttpCallResponse> result) {
    if (finished_)
      return;
    finished_ = true;
    timer_.cancel();
    if (connecting_) {
      connecting_->close();  // cancels the pending connect
      connecting_.reset();
    }
    if (conn_) {
      if (success_)
        conn_->release();  // back to the pool when the response ended cleanly
      else
        conn_->close();
      conn_.reset();
    }
    // Deferred: the caller's callback never runs inside an upstream callback or startHttpCall.
    asio::post(worker_.io(), [self = shared_from_this(), result = std::move(result)]() mutable {
      filter::HttpCallback cb = std::move(self->cb_);
      cb(std::move(result));
    });
  }

  Worker& worker_;
  filter::HttpCallRequest request_;
  filter::HttpCallback cb_;
  asio::steady_timer timer_;
  upstream::Url url_;
  std::string head_bytes_;
  filter::HttpCallResponse response_;
  upstream::UpstreamConnectionPtr conn_;
  upstream::UpstreamConnectionPtr connecting_;
  bool finished_ = false;
  bool success_ = false;
  bool retried_ = false;
};

}  // namespace

void startHttpCall(Worker& worker, filter::HttpCallRequest request, filter::HttpCallback cb) {
  std::make_shared<HttpCall>(worker, std::move(request), std::move(cb))->start();
}

}  // namespace mgw::server
