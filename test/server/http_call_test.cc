// startHttpCall against a scripted loopback HTTP/1.1 server (a blocking thread).
#include "server/http_call.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/runtime.h"
#include "server/worker.h"

namespace mgw::server {
namespace {

// Accepts connections on 127.0.0.1; for every request read (head + Content-Length body) calls
// `respond`, which returns the raw bytes to write back ("" = write nothing and keep the
// connection open until the test ends, "CLOSE" = close without answering).
class ScriptedServer {
 public:
  using Respond = std::function<std::string(const std::string& request)>;
  explicit ScriptedServer(Respond respond) : respond_(std::move(respond)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    for (int c : clients_)
      ::shutdown(c, SHUT_RDWR);
    thread_.join();
    for (int c : clients_)
      ::close(c);
  }
  uint16_t port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int accepts() const { return accepts_.load(); }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void run() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0)
        return;
      ++accepts_;
      clients_.push_back(c);
      serve(c);
    }
  }
  // One connection at a time: enough for sequential test calls.
  void serve(int c) {
    std::string buf;
    char tmp[4096];
    while (!stop_) {
      size_t end = buf.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t need = end + 4;
        size_t cl = buf.find("Content-Length: ");
        if (cl != std::string::npos && cl < end)
          need += std::stoul(buf.substr(cl + 16));
        if (buf.size() >= need) {
          std::string req = buf.substr(0, need);
          buf.erase(0, need);
          {
            std::lock_guard lock(mu_);
            requests_.push_back(req);
          }
          std::string out = respond_(req);
          if (out == "CLOSE") {
            ::shutdown(c, SHUT_RDWR);
            return;
          }
          if (!out.empty() && ::send(c, out.data(), out.size(), MSG_NOSIGNAL) < 0)
            return;
          continue;
        }
      }
      ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
      if (n <= 0)
        return;
      buf.append(tmp, static_cast<size_t>(n));
    }
  }

  Respond respond_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepts_{0};
  std::vector<int> clients_;
  std::mutex mu_;
  std::vector<std::string> requests_;
};

std::string ok(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

class HttpCallTest : public ::testing::Test {
 protected:
  HttpCallTest() : worker_(runtime_, 0) {}

  // Runs one call on the worker loop (this thread) until its callback ran.
  Result<filter::HttpCallResponse> call(filter::HttpCallRequest req) {
    int calls = 0;
    std::optional<Result<filter::HttpCallResponse>> out;
    bool returned = false;
    startHttpCall(worker_, std::move(req), [&](Result<filter::HttpCallResponse> r) {
      EXPECT_TRUE(returned) << "callback ran inside startHttpCall";
      ++calls;
      out = std::move(r);
    });
    returned = true;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!out && std::chrono::steady_clock::now() < deadline) {
      worker_.io().restart();
      worker_.io().run_for(std::chrono::milliseconds(20));
    }
    // Let anything else queued run: the callback must not run a second time.
    worker_.io().restart();
    worker_.io().run_for(std::chrono::milliseconds(20));
    EXPECT_EQ(calls, 1);
    if (!out)
      return makeError("test.no_callback", "callback never ran");
    return std::move(*out);
  }

  Runtime runtime_;
  Worker worker_;
};

TEST_F(HttpCallTest, GetWithHeadersAndBody) {
  ScriptedServer server([](const std::string&) { return ok("{\"keys\":[]}"); });
  filter::HttpCallRequest req;
  req.url = server.url("/jwks/keys?x=1#frag");
  req.headers.add("Accept", "application/json");
  auto r = call(req);
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"keys\":[]}");
  ASSERT_NE(r->headers.get("content-type"), nullptr);
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].rfind("GET /jwks/keys?x=1 HTTP/1.1\r\n", 0), 0u) << reqs[0];
  EXPECT_NE(reqs[0].find("Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"),
            std::string::npos);
  EXPECT_NE(reqs[0].find("Accept: application/json\r\n"), std::string::npos);
}

TEST_F(HttpCallTest, PostSetsContentLengthAndIgnoresCallerFraming) {
  ScriptedServer server([](const std::string&) { return ok("{}"); });
  filter::HttpCallRequest req;
  req.url = server.url("/oauth2/introspect");
  req.method = "POST";
  req.body = "token=abc";
  req.headers.add("Content-Length", "999");
  req.headers.add("Host", "evil");
  auto r = call(req);
  ASSERT_TRUE(r) << r.error().reason;
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_NE(reqs[0].find("Content-Length: 9\r\n"), std::string::npos) << reqs[0];
  EXPECT_EQ(reqs[0].find("999"), std::string::npos);
  EXPECT_EQ(reqs[0].find("evil"), std::string::npos);
  EXPECT_EQ(reqs[0].substr(reqs[0].size() - 9), "token=abc");
}

TEST_F(HttpCallTest, ChunkedResponseIsReassembled) {
  ScriptedServer server([](const std::string&) {
    return std::string(
        "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: "
        "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  });
  filter::HttpCallRequest req;
  req.url = server.url("/");
  auto r = call(req);
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "abcde");
}

TEST_F(HttpCallTest, KeepAliveConnectionIsReused) {
  ScriptedServer server([](const std::string&) { return ok("1"); });
  filter::HttpCallRequest req;
  req.url = server.url("/a");
  ASSERT_TRUE(call(req));
  ASSERT_TRUE(call(req));
  EXPECT_EQ(server.accepts(), 1);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST_F(HttpCallTest, StaleReusedConnectionIsRetriedOnce) {
  int n = 0;
  ScriptedServer server([&n](const std::string&) {
    // The first response says keep-alive, then the server closes the idle connection silently
    // on the next request: the client retries on a new connection.
    return ++n == 2 ? std::string("CLOSE") : ok("x");
  });
  filter::HttpCallRequest req;
  req.url = server.url("/a");
  ASSERT_TRUE(call(req));
  auto r = call(req);
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r->body, "x");
  EXPECT_EQ(server.accepts(), 2);
}

TEST_F(HttpCallTest, ConnectRefusedIsAnError) {
  uint16_t port;
  {
    ScriptedServer server([](const std::string&) { return ok(""); });
    port = server.port();
  }
  filter::HttpCallRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto r = call(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "upstream.connect_failed");
}

TEST_F(HttpCallTest, SilentServerTimesOut) {
  ScriptedServer server([](const std::string&) { return std::string(); });
  filter::HttpCallRequest req;
  req.url = server.url("/slow");
  req.timeout_ms = 200;
  auto start = std::chrono::steady_clock::now();
  auto r = call(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "http_call.timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(HttpCallTest, OversizeContentLengthIsRefused) {
  ScriptedServer server([](const std::string&) { return ok(std::string(2000, 'a')); });
  filter::HttpCallRequest req;
  req.url = server.url("/");
  req.max_response_bytes = 1000;
  auto r = call(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "http_call.too_large");
}

TEST_F(HttpCallTest, OversizeChunkedBodyIsRefused) {
  ScriptedServer server([](const std::string&) {
    std::string out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 10; ++i)
      out += "64\r\n" + std::string(100, 'b') + "\r\n";
    return out + "0\r\n\r\n";
  });
  filter::HttpCallRequest req;
  req.url = server.url("/");
  req.max_response_bytes = 500;
  auto r = call(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "http_call.too_large");
}

TEST_F(HttpCallTest, MalformedResponseIsAnError) {
  ScriptedServer server([](const std::string&) { return std::string("NOT HTTP\r\n\r\n"); });
  filter::HttpCallRequest req;
  req.url = server.url("/");
  auto r = call(req);
  ASSERT_FALSE(r);
}

TEST_F(HttpCallTest, BadRequestsFailWithoutNetwork) {
  for (std::string url : {"ftp://x/", "not a url", "http://", "http://127.0.0.1:0/",
                          "http://127.0.0.1:1/a b", "http://127.0.0.1:1/a\r\nX: y"}) {
    filter::HttpCallRequest req;
    req.url = url;
    auto r = call(req);
    ASSERT_FALSE(r) << url;
    EXPECT_EQ(r.error().reason, "http_call.bad_url") << url;
  }
  filter::HttpCallRequest req;
  req.url = "http://127.0.0.1:1/";
  req.headers.add("X-A", "v\r\nInjected: 1");
  auto r = call(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "http_call.bad_request");
  req.headers.clear();
  req.method = "GET /x";
  r = call(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "http_call.bad_request");
}

TEST_F(HttpCallTest, HttpsWithoutAClientContextFailsCleanly) {
  // The test worker has no TLS client context: the pool refuses rather than speak plain HTTP.
  ScriptedServer server([](const std::string&) { return ok("plain"); });
  filter::HttpCallRequest req;
  req.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  auto r = call(req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "upstream.tls_unavailable");
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace mgw::server
