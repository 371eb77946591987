// A small synchronous Redis client (RESP2, https://redis.io/docs/reference/protocol-spec/) for
// the throttling sync thread: TCP or unix-domain socket, AUTH and SELECT at connect, pipelined
// commands, every wait bounded by a deadline (poll(2)). It blocks the calling thread, so only
// the sync thread uses it — never a worker.
//
// Replies are parsed incrementally with hard limits (bulk strings ≤ 1 MiB, arrays ≤ 1 Mi
// elements, nesting ≤ 4): a misbehaving server gets an error value, never a crash or a hang.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/base/result.h"

namespace mgw::throttling {

// `redis://[[user]:password@]host[:port][/db]` (host may be [v6]) or `unix:/path[?db=N]`.
// `rediss://` (TLS) is refused: not supported.
struct RedisUrl {
  bool unix_socket = false;
  std::string host;  // or the socket path
  uint16_t port = 6379;
  int db = 0;
  std::string user;
  std::string password;
};
Result<RedisUrl> parseRedisUrl(std::string_view url);

struct RedisReply {
  enum class Type { Status, Error, Integer, Bulk, Nil, Array };
  Type type = Type::Nil;
  std::string str;  // Status, Error, Bulk
  int64_t integer = 0;
  std::vector<RedisReply> elements;
};

// Incremental RESP2 reply parser. feed() bytes, then next() until it says NeedMore.
class RespParser {
 public:
  static constexpr size_t kMaxBulk = 1 << 20;
  static constexpr size_t kMaxElements = 1 << 20;
  static constexpr int kMaxDepth = 4;
  enum class State { Reply, NeedMore, Bad };
  void feed(std::string_view bytes) { buf_.append(bytes); }
  State next(RedisReply& out);
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  State parse(size_t& pos, RedisReply& out, int depth);
  std::string buf_;
  size_t pos_ = 0;
};

// RESP encoding of one command (an array of bulk strings), appended to `out`.
void appendCommand(std::string& out, std::initializer_list<std::string_view> args);

class RedisConnection {
 public:
  RedisConnection() = default;
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects, then AUTH (when a password is set), SELECT (db != 0) and PING, all within
  // `timeout_ms`. Error reasons: redis.connect, redis.auth, redis.protocol, redis.timeout.
  Status connect(const RedisUrl& url, int64_t timeout_ms);
  void close();
  bool connected() const { return fd_ >= 0; }

  // Sends the pipelined `commands` (RESP bytes of `count` commands) and reads `count` replies,
  // all within `timeout_ms`. An -ERR reply is a reply (Type::Error), not a failure.
  Result<std::vector<RedisReply>> pipeline(std::string_view commands, size_t count,
                                           int64_t timeout_ms);

 private:
  Status writeAll(std::string_view data, int64_t deadline_ms);
  Status readReplies(std::vector<RedisReply>& out, size_t count, int64_t deadline_ms);
  int fd_ = -1;
  RespParser parser_;
};

}  // namespace mgw::throttling
