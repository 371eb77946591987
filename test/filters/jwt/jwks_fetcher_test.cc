// JwksFetcher scheduling (initial fetch, refresh, max-age, rate-limited refetch, failures keep
// the last keys) with an injected fetch function and clock, VerifierSource publication, and the
// libcurl transport against a loopback server.
#include "filters/jwt/jwks_fetcher.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "test/filters/jwt/jwt_test_util.h"

namespace mgw::jwt {
namespace {

namespace jt = testing;

std::string jwks(std::initializer_list<std::pair<int, const char*>> keys) {
  nlohmann::json doc{{"keys", nlohmann::json::array()}};
  for (auto [index, kid] : keys)
    doc["keys"].push_back(jt::publicJwk(jt::rsaKey(index), kid, "RS256"));
  return doc.dump();
}

std::string token(int key_index, const char* kid) {
  return jt::makeToken(jt::rsaKey(key_index), jt::header("RS256", kid), jt::basePayload());
}

// A scripted key server: the next response per URL, and a log of fetches.
struct FakeServer {
  std::map<std::string, Result<JwksResponse>> responses;
  std::vector<std::string> fetched;
  JwksFetchFn fn() {
    return [this](const std::string& url, const std::atomic<bool>&) -> Result<JwksResponse> {
      fetched.push_back(url);
      auto it = responses.find(url);
      if (it == responses.end())
        return makeError("jwks.fetch_failed", "connection refused");
      return it->second;
    };
  }
  void serve(const std::string& url, std::string body, std::optional<int64_t> max_age = {}) {
    JwksResponse r;
    r.status = 200;
    r.body = std::move(body);
    r.max_age_s = max_age;
    responses.insert_or_assign(url, r);
  }
};

std::shared_ptr<const Verifier> jwksVerifier(size_t issuers = 1) {
  std::vector<Verifier::Issuer> list;
  for (size_t i = 0; i < issuers; ++i) {
    IssuerConfig ic = jt::issuerConfig(i == 0 ? jt::kIssuer : "https://other/issuer");
    ic.jwks_url = "http://keys/" + std::to_string(i);
    list.push_back({ic, std::make_shared<KeySet>()});
  }
  return std::make_shared<const Verifier>(std::move(list));
}

std::string reason(const VerifierSource& source, const std::string& tok) {
  return jt::reasonOf(source.current(), tok);
}

class JwksFetcherTest : public ::testing::Test {
 protected:
  JwksFetcherTest() : source_(jwksVerifier()) {}
  JwksFetcher make(JwksOptions o = {}) {
    return JwksFetcher(source_, {{0, "http://keys/0", o}}, server_.fn());
  }

  FakeServer server_;
  VerifierSource source_;
};

TEST_F(JwksFetcherTest, NoKeysFailClosedUntilTheFirstFetch) {
  EXPECT_EQ(reason(source_, token(0, "k1")), "jwt.no_keys");
  JwksFetcher f(source_, {{0, "http://keys/0", {}}}, server_.fn());
  // Server down at start: still no keys, retried after 1 s, 2 s, ...
  EXPECT_EQ(f.runOnce(0), 1000);
  EXPECT_EQ(reason(source_, token(0, "k1")), "jwt.no_keys");
  EXPECT_EQ(f.runOnce(500), 500);  // not due yet
  EXPECT_EQ(server_.fetched.size(), 1u);
  EXPECT_EQ(f.runOnce(1000), 2000);
  EXPECT_EQ(server_.fetched.size(), 2u);
  server_.serve("http://keys/0", jwks({{0, "k1"}}));
  EXPECT_EQ(f.runOnce(3000), 900000);
  EXPECT_EQ(reason(source_, token(0, "k1")), "ok");
  EXPECT_EQ(source_.publications(), 1u);
}

TEST_F(JwksFetcherTest, RefreshesOnScheduleAndHonoursMaxAge) {
  server_.serve("http://keys/0", jwks({{0, "k1"}}), 60);
  JwksOptions o;
  o.refresh_ms = 600000;
  o.min_refetch_ms = 30000;
  JwksFetcher f(source_, {{0, "http://keys/0", o}}, server_.fn());
  EXPECT_EQ(f.runOnce(0), 60000);                        // max-age 60 s < refresh 10 min
  server_.serve("http://keys/0", jwks({{1, "k2"}}), 5);  // max-age under the minimum
  EXPECT_EQ(f.runOnce(60000), 30000);
  EXPECT_EQ(reason(source_, token(1, "k2")), "ok");
  EXPECT_EQ(reason(source_, token(0, "k1")), "jwt.unknown_kid");  // rotated out
  server_.serve("http://keys/0", jwks({{1, "k2"}}));              // no max-age: refresh_ms
  EXPECT_EQ(f.runOnce(90000), 600000);
}

TEST_F(JwksFetcherTest, UnchangedDocumentIsNotRepublished) {
  server_.serve("http://keys/0", jwks({{0, "k1"}}));
  JwksFetcher f = make();
  f.runOnce(0);
  uint64_t gen = source_.current().generation();
  f.runOnce(900000);
  EXPECT_EQ(server_.fetched.size(), 2u);
  EXPECT_EQ(source_.publications(), 1u);
  EXPECT_EQ(source_.current().generation(), gen);
}

TEST_F(JwksFetcherTest, UnknownKidRefetchIsRateLimited) {
  server_.serve("http://keys/0", jwks({{0, "k1"}}));
  JwksFetcher f = make();
  f.runOnce(0);
  server_.serve("http://keys/0", jwks({{0, "k1"}, {1, "k2"}}));
  EXPECT_EQ(reason(source_, token(1, "k2")), "jwt.unknown_kid");
  // Asked 10 s after the last fetch: waits until 30 s have passed.
  f.requestRefresh();
  EXPECT_EQ(f.runOnce(10000), 20000);
  EXPECT_EQ(server_.fetched.size(), 1u);
  f.requestRefresh();
  f.requestRefresh();
  f.runOnce(30000);
  EXPECT_EQ(server_.fetched.size(), 2u);
  EXPECT_EQ(reason(source_, token(1, "k2")), "ok");
  EXPECT_EQ(reason(source_, token(0, "k1")), "ok");
  // A flood of requests right after: nothing before another 30 s.
  for (int i = 0; i < 100; ++i)
    f.requestRefresh();
  f.runOnce(30001);
  f.runOnce(59999);
  EXPECT_EQ(server_.fetched.size(), 2u);
  f.runOnce(60000);
  EXPECT_EQ(server_.fetched.size(), 3u);
}

TEST_F(JwksFetcherTest, FailuresKeepTheLastGoodKeys) {
  server_.serve("http://keys/0", jwks({{0, "k1"}}));
  JwksFetcher f = make();
  f.runOnce(0);
  const char* bad_bodies[] = {"not json", "{}", R"({"keys":[]})", R"({"keys":[{"kty":"oct"}]})"};
  int64_t now = 900000;
  for (const char* body : bad_bodies) {
    server_.serve("http://keys/0", body);
    f.runOnce(now);
    now += 120000;
    EXPECT_EQ(reason(source_, token(0, "k1")), "ok") << body;
  }
  JwksResponse error_status;
  error_status.status = 503;
  server_.responses.insert_or_assign("http://keys/0", error_status);
  f.runOnce(now);
  server_.responses.erase("http://keys/0");
  f.runOnce(now + 120000);
  EXPECT_EQ(reason(source_, token(0, "k1")), "ok");
  EXPECT_EQ(source_.publications(), 1u);
}

TEST_F(JwksFetcherTest, IssuersAreIndependent) {
  VerifierSource two(jwksVerifier(2));
  server_.serve("http://keys/1", jwks({{1, "b"}}));
  JwksFetcher f(two, {{0, "http://keys/0", {}}, {1, "http://keys/1", {}}}, server_.fn());
  f.runOnce(0);
  auto v = two.snapshot();
  EXPECT_TRUE(v->issuers()[0].keys->empty());
  EXPECT_EQ(v->issuers()[1].keys->size(), 1u);
}

TEST_F(JwksFetcherTest, ThreadFetchesAtStartAndOnRequest) {
  server_.serve("http://keys/0", jwks({{0, "k1"}}));
  std::mutex mu;  // the fake server is not thread-safe; the fetcher thread is its only user
  JwksOptions o;
  o.min_refetch_ms = 100;
  JwksFetcher f(source_, {{0, "http://keys/0", o}},
                [&](const std::string& url, const std::atomic<bool>& stop) {
                  std::lock_guard lock(mu);
                  return server_.fn()(url, stop);
                });
  source_.setRefreshHook([&f] { f.requestRefresh(); });
  f.start(2000);
  EXPECT_EQ(reason(source_, token(0, "k1")), "ok");
  {
    std::lock_guard lock(mu);
    server_.serve("http://keys/0", jwks({{1, "k2"}}));
  }
  std::string r;
  for (int i = 0; i < 100 && (r = reason(source_, token(1, "k2"))) != "ok"; ++i) {
    source_.requestRefresh();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(r, "ok");
  f.stop();
}

TEST(VerifierSource, OtherThreadsSeePublishedVerifiers) {
  VerifierSource source(jwksVerifier());
  const uint64_t first = source.current().generation();
  auto next = source.snapshot()->withKeys(0, KeySet::fromJwks(jwks({{0, "k1"}})).value());
  const uint64_t target = next->generation();
  std::atomic<bool> seen{false};
  std::thread reader([&] {
    EXPECT_EQ(source.current().generation(), first);
    for (int i = 0; i < 2000 && !seen; ++i) {
      if (source.current().generation() == target)
        seen = true;
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  source.publish(next);
  reader.join();
  EXPECT_TRUE(seen);
  EXPECT_EQ(source.publications(), 1u);
  EXPECT_EQ(jt::reasonOf(source.current(), token(0, "k1")), "ok");
}

// One-shot HTTP server: answers every connection with `response`, then closes it.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0)
          return;
        std::string in;
        char buf[2048];
        while (in.find("\r\n\r\n") == std::string::npos) {
          ssize_t n = ::recv(c, buf, sizeof buf, 0);
          if (n <= 0)
            break;
          in.append(buf, static_cast<size_t>(n));
        }
        ::send(c, response_.data(), response_.size(), MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/jwks"; }

 private:
  std::string response_;
  int fd_;
  uint16_t port_ = 0;
  std::thread thread_;
};

std::string httpOk(const std::string& body, const std::string& extra = {}) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra +
         "\r\n" + body;
}

TEST(CurlFetch, FetchesBodyAndMaxAge) {
  OneShotServer server(httpOk(R"({"keys":[]})", "Cache-Control: public, max-age=120\r\n"));
  std::atomic<bool> stop{false};
  auto r = makeCurlFetch({})(server.url(), stop);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"keys":[]})");
  EXPECT_EQ(r->max_age_s, 120);
}

TEST(CurlFetch, RefusesOversizeBodies) {
  OneShotServer server(httpOk(std::string(5000, 'x')));
  CurlFetchOptions o;
  o.max_bytes = 1000;
  std::atomic<bool> stop{false};
  auto r = makeCurlFetch(o)(server.url(), stop);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "jwks.too_large");
}

TEST(CurlFetch, ConnectionRefusedAndBadSchemesFail) {
  uint16_t port;
  {
    OneShotServer server("");
    port = static_cast<uint16_t>(std::stoi(server.url().substr(17)));
  }
  std::atomic<bool> stop{false};
  auto fetch = makeCurlFetch({});
  EXPECT_FALSE(fetch("http://127.0.0.1:" + std::to_string(port) + "/", stop));
  EXPECT_FALSE(fetch("file:///etc/passwd", stop));
  EXPECT_FALSE(fetch("gopher://127.0.0.1/", stop));
}

TEST(CurlFetch, NonOkStatusIsReported) {
  OneShotServer server("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  std::atomic<bool> stop{false};
  auto r = makeCurlFetch({})(server.url(), stop);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST(MaxAge, Parses) {
  EXPECT_EQ(parseMaxAge("max-age=300"), 300);
  EXPECT_EQ(parseMaxAge("public, max-age=\"60\""), 60);
  EXPECT_EQ(parseMaxAge("no-cache"), 0);
  EXPECT_EQ(parseMaxAge("public"), std::nullopt);
  EXPECT_EQ(parseMaxAge("max-age=abc"), std::nullopt);
  EXPECT_EQ(parseMaxAge("max-age=-5"), std::nullopt);
  EXPECT_EQ(parseMaxAge("max-age=99999999999999999999"), std::nullopt);
}

}  // namespace
}  // namespace mgw::jwt
