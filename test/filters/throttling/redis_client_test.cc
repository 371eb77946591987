#include "filters/throttling/redis_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace mgw::throttling {
namespace {

TEST(RedisUrl, Forms) {
  auto a = parseRedisUrl("redis://127.0.0.1:6380/2");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->unix_socket);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 2);
  auto b = parseRedisUrl("redis://redis.internal");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->port, 6379);
  EXPECT_EQ(b->db, 0);
  auto c = parseRedisUrl("redis://:s3cret@[::1]:7000/1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 7000);
  EXPECT_EQ(c->password, "s3cret");
  EXPECT_TRUE(c->user.empty());
  auto d = parseRedisUrl("redis://gw:pw@h:1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->user, "gw");
  EXPECT_EQ(d->password, "pw");
  auto u = parseRedisUrl("unix:/run/redis/redis.sock?db=3");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->unix_socket);
  EXPECT_EQ(u->host, "/run/redis/redis.sock");
  EXPECT_EQ(u->db, 3);
  EXPECT_TRUE(parseRedisUrl("unix:///tmp/r.sock").ok());
}

TEST(RedisUrl, RefusesBadAndTls) {
  auto tls = parseRedisUrl("rediss://h:6379");
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.error().message.find("not supported"), std::string::npos);
  for (const char* bad :
       {"", "http://h", "redis://", "redis://:6379", "redis://h:0", "redis://h:65536",
        "redis://h:x", "redis://h/abc", "redis://[::1", "redis://[::1]x", "unix:", "unix:relative",
        "unix:/p?x=1", "unix:/p?db=x"}) {
    EXPECT_FALSE(parseRedisUrl(bad).ok()) << bad;
  }
  EXPECT_FALSE(parseRedisUrl("unix:/" + std::string(200, 'a')).ok());
}

TEST(Resp, EncodesCommands) {
  std::string out;
  appendCommand(out, {"INCRBY", "k", "-1"});
  EXPECT_EQ(out, "*3\r\n$6\r\nINCRBY\r\n$1\r\nk\r\n$2\r\n-1\r\n");
  out.clear();
  appendCommand(out, {"SET", "", "a\r\nb"});
  EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$4\r\na\r\nb\r\n");
}

TEST(Resp, ParsesEveryTypeByteByByte) {
  const std::string wire =
      "+OK\r\n-ERR wrong\r\n:42\r\n:-7\r\n$5\r\nhe\r\nl\r\n$-1\r\n$0\r\n\r\n"
      "*2\r\n$3\r\nAPI\r\n*1\r\n:1\r\n*-1\r\n*0\r\n";
  RespParser p;
  std::vector<RedisReply> got;
  for (char ch : wire) {
    p.feed(std::string_view(&ch, 1));
    RedisReply r;
    while (p.next(r) == RespParser::State::Reply)
      got.push_back(r);
  }
  ASSERT_EQ(got.size(), 10u);
  EXPECT_EQ(got[0].type, RedisReply::Type::Status);
  EXPECT_EQ(got[0].str, "OK");
  EXPECT_EQ(got[1].type, RedisReply::Type::Error);
  EXPECT_EQ(got[1].str, "ERR wrong");
  EXPECT_EQ(got[2].integer, 42);
  EXPECT_EQ(got[3].integer, -7);
  EXPECT_EQ(got[4].type, RedisReply::Type::Bulk);
  EXPECT_EQ(got[4].str, "he\r\nl");
  EXPECT_EQ(got[5].type, RedisReply::Type::Nil);
  EXPECT_EQ(got[6].str, "");
  EXPECT_EQ(got[7].type, RedisReply::Type::Array);
  ASSERT_EQ(got[7].elements.size(), 2u);
  EXPECT_EQ(got[7].elements[0].str, "API");
  EXPECT_EQ(got[7].elements[1].elements[0].integer, 1);
  EXPECT_EQ(got[8].type, RedisReply::Type::Nil);
  EXPECT_EQ(got[9].elements.size(), 0u);
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(Resp, BadInputIsAnErrorNotACrash) {
  for (const std::string& bad :
       {std::string("?what\r\n"), std::string(":12a\r\n"), std::string(":\r\n"),
        std::string("$-2\r\n"), std::string("$99999999\r\n"), std::string("$3\r\nabcXY"),
        std::string("*-5\r\n"), std::string("*99999999999\r\n"),
        std::string("*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n"), std::string(2000, 'x'),
        std::string(":99999999999999999999\r\n")}) {
    RespParser p;
    p.feed(bad);
    RedisReply r;
    EXPECT_EQ(p.next(r), RespParser::State::Bad) << bad.substr(0, 40);
  }
  RespParser partial;
  partial.feed("$5\r\nab");
  RedisReply r;
  EXPECT_EQ(partial.next(r), RespParser::State::NeedMore);
}

// A one-shot fake server on loopback: answers whatever bytes it is given after reading.
class FakeServer {
 public:
  explicit FakeServer(std::string answer, bool silent = false) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    socklen_t len = sizeof(sa);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    ::listen(fd_, 4);
    thread_ = std::thread([this, answer, silent] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0)
        return;
      char buf[4096];
      (void)::recv(c, buf, sizeof(buf), 0);
      if (!silent)
        (void)::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
      char more[16];
      (void)::recv(c, more, sizeof(more), 0);  // until the client closes
      ::close(c);
    });
  }
  ~FakeServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

RedisUrl local(uint16_t port, std::string password = {}) {
  RedisUrl u;
  u.host = "127.0.0.1";
  u.port = port;
  u.password = std::move(password);
  return u;
}

TEST(RedisConnection, ConnectPingAndAuthErrors) {
  {
    FakeServer s("+PONG\r\n");
    RedisConnection c;
    ASSERT_TRUE(c.connect(local(s.port()), 2000).ok());
    EXPECT_TRUE(c.connected());
  }
  {
    FakeServer s("-WRONGPASS invalid username-password pair\r\n+PONG\r\n");
    RedisConnection c;
    Status st = c.connect(local(s.port(), "nope"), 2000);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().reason, "redis.auth");
    EXPECT_EQ(st.error().message.find("nope"), std::string::npos);
    EXPECT_FALSE(c.connected());
  }
  {
    FakeServer s("", true);  // accepts, never answers
    RedisConnection c;
    Status st = c.connect(local(s.port()), 200);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().reason, "redis.timeout");
  }
  {
    FakeServer s("garbage\r\n");
    RedisConnection c;
    Status st = c.connect(local(s.port()), 2000);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().reason, "redis.protocol");
  }
}

TEST(RedisConnection, RefusedPortIsAConnectError) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  socklen_t len = sizeof(sa);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  const uint16_t port = ntohs(sa.sin_port);
  ::close(fd);  // nothing listens there now
  RedisConnection c;
  Status st = c.connect(local(port), 1000);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().reason, "redis.connect");
  auto r = c.pipeline("*1\r\n$4\r\nPING\r\n", 1, 100);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace mgw::throttling
