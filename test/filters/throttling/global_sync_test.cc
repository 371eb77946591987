#include "filters/throttling/global_sync.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace mgw::throttling {
namespace {

int64_t nowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// A tiny in-process Redis stand-in speaking RESP2 on loopback: PING, AUTH, SELECT, INCRBY (a new
// key starts at `others_seed`, as if other gateways had counted), PEXPIREAT, SMEMBERS. With
// `readonly` every INCRBY answers an error reply. Requests are parsed with the client's own
// RespParser (a command is a RESP array of bulk strings).
class MiniRedis {
 public:
  MiniRedis() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
    socklen_t len = sizeof(sa);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    ::listen(fd_, 8);
    thread_ = std::thread([this] { loop(); });
  }
  ~MiniRedis() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  RedisUrl url() const {
    RedisUrl u;
    u.host = "127.0.0.1";
    u.port = port_;
    return u;
  }
  std::atomic<int64_t> others_seed{0};
  std::atomic<bool> readonly{false};
  std::atomic<int> connections{0};
  std::set<std::string> members;  // guarded by mu
  std::map<std::string, int64_t> counts;
  std::mutex mu;

 private:
  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0)
        continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0)
        continue;
      connections.fetch_add(1);
      serve(c);
      ::close(c);
    }
  }
  void serve(int c) {
    RespParser parser;
    char buf[4096];
    while (!stop_) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0)
        continue;
      const ssize_t n = ::recv(c, buf, sizeof(buf), 0);
      if (n <= 0)
        return;
      parser.feed(std::string_view(buf, static_cast<size_t>(n)));
      RedisReply cmd;
      std::string out;
      while (parser.next(cmd) == RespParser::State::Reply) {
        if (cmd.type != RedisReply::Type::Array || cmd.elements.empty())
          return;
        const std::string& name = cmd.elements[0].str;
        std::lock_guard<std::mutex> lock(mu);
        if (name == "INCRBY") {
          if (readonly) {
            out += "-READONLY You can't write against a read only replica.\r\n";
            continue;
          }
          auto [it, fresh] = counts.try_emplace(cmd.elements[1].str, others_seed.load());
          it->second += std::stoll(cmd.elements[2].str);
          out += ":" + std::to_string(it->second) + "\r\n";
        } else if (name == "SMEMBERS") {
          out += "*" + std::to_string(members.size()) + "\r\n";
          for (const std::string& m : members)
            out += "$" + std::to_string(m.size()) + "\r\n" + m + "\r\n";
        } else if (name == "PING") {
          out += "+PONG\r\n";
        } else if (name == "PEXPIREAT") {
          out += ":1\r\n";
        } else {
          out += "+OK\r\n";
        }
      }
      (void)::send(c, out.data(), out.size(), MSG_NOSIGNAL);
    }
  }
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

template <class F>
bool eventually(F f, int ms = 3000) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    if (f())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return f();
}

GlobalConfig config(const MiniRedis& r) {
  GlobalConfig g;
  g.url = r.url();
  g.timeout_ms = 300;
  g.sync_interval_ms = 10;
  g.blocking_poll_ms = 50;
  g.key_prefix = "t:";
  g.table_slots = 64;
  return g;
}

TEST(GlobalSync, PushesLocalCountsAndPublishesOthers) {
  MiniRedis redis;
  redis.others_seed = 5;  // other gateways counted 5 in this window
  GlobalTable table(64);
  BlockList blocking;
  const int64_t now = nowMs();
  const uint64_t key = globalKeyHash(0, "P", "k");
  ASSERT_TRUE(table.acquire(key, 10, now, 600000).allowed);
  ASSERT_TRUE(table.acquire(key, 10, now, 600000).allowed);
  GlobalSync sync(table, blocking, config(redis));
  EXPECT_EQ(sync.state(), RedisState::Starting);
  sync.start();
  ASSERT_TRUE(eventually([&] { return sync.up() && sync.syncRounds() >= 2; }));
  size_t slot = 0;
  while (table.read(slot).key != key)
    ++slot;
  const uint32_t end = table.read(slot).end_sec;
  EXPECT_EQ(table.others(slot, end), 5);
  {
    std::lock_guard<std::mutex> lock(redis.mu);
    ASSERT_EQ(redis.counts.size(), 1u);
    EXPECT_EQ(redis.counts.begin()->second, 7);  // 5 elsewhere + our 2, pushed once
    EXPECT_TRUE(redis.counts.begin()->first.starts_with("t:c:"));
  }
  // The local allowance is now 10 - 5.
  EXPECT_TRUE(table.acquire(key, 10, now, 600000).allowed);
  EXPECT_TRUE(table.acquire(key, 10, now, 600000).allowed);
  EXPECT_TRUE(table.acquire(key, 10, now, 600000).allowed);
  EXPECT_FALSE(table.acquire(key, 10, now, 600000).allowed);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard<std::mutex> lock(redis.mu);
    return redis.counts.begin()->second == 10;  // only the deltas were pushed
  }));
  EXPECT_EQ(sync.keysSynced(), 1u);
  EXPECT_EQ(sync.errors(), 0u);
  sync.stop();
}

TEST(GlobalSync, PollsRemoteBlockingConditions) {
  MiniRedis redis;
  GlobalTable table(64);
  BlockList blocking;
  GlobalSync sync(table, blocking, config(redis));
  sync.start();
  ASSERT_TRUE(eventually([&] { return sync.up(); }));
  EXPECT_EQ(blocking.match({"", "", "", "", "eve"}), nullptr);
  {
    std::lock_guard<std::mutex> lock(redis.mu);
    redis.members = {"USER:eve", "junk", "IPRANGE:10.0.0.0/8"};
  }
  EXPECT_TRUE(eventually([&] { return blocking.match({"", "", "", "", "eve"}) != nullptr; }));
  EXPECT_NE(blocking.match({"", "10.1.2.3", "", "", ""}), nullptr);
  EXPECT_EQ(blocking.size(), 2u);
  {
    std::lock_guard<std::mutex> lock(redis.mu);
    redis.members.clear();
  }
  EXPECT_TRUE(eventually([&] { return blocking.match({"", "", "", "", "eve"}) == nullptr; }));
}

TEST(GlobalSync, ErrorRepliesGoDownWithBackoffAndRecover) {
  MiniRedis redis;
  redis.readonly = true;
  GlobalTable table(64);
  BlockList blocking;
  ASSERT_TRUE(table.acquire(globalKeyHash(0, "P", "k"), 10, nowMs(), 600000).allowed);
  GlobalSync sync(table, blocking, config(redis));
  sync.start();
  ASSERT_TRUE(eventually([&] { return sync.state() == RedisState::Down; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  // 100, 200, 400 ms backoff: a handful of reconnects, not a spin.
  EXPECT_LE(redis.connections.load(), 6);
  EXPECT_GE(sync.errors(), 2u);
  EXPECT_EQ(sync.downTransitions(), 1u);  // one warning per state change
  redis.readonly = false;
  EXPECT_TRUE(eventually([&] { return sync.up(); }, 4000));
  sync.stop();
  sync.stop();  // idempotent
}

TEST(GlobalSync, UnreachableRedisIsDownAndStopsPromptly) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  socklen_t len = sizeof(sa);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  ::close(fd);
  GlobalConfig g;
  g.url.host = "127.0.0.1";
  g.url.port = ntohs(sa.sin_port);
  GlobalTable table(64);
  BlockList blocking;
  auto sync = std::make_unique<GlobalSync>(table, blocking, g);
  sync->start();
  ASSERT_TRUE(eventually([&] { return sync->state() == RedisState::Down; }));
  const auto t0 = std::chrono::steady_clock::now();
  sync.reset();  // joins
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

}  // namespace
}  // namespace mgw::throttling
