#include "filters/throttling/redis_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "mgw/base/strings.h"

namespace mgw::throttling {

namespace {

int64_t monoMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

Error urlError(std::string why) {
  return makeError("config.bad_value", "throttlingConfig.redis.url: " + std::move(why));
}

// Waits for `events` on `fd` until `deadline_ms` (steady clock). False on timeout or error.
bool waitFor(int fd, short events, int64_t deadline_ms) {
  for (;;) {
    const int64_t left = deadline_ms - monoMs();
    if (left <= 0)
      return false;
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left > 60000 ? 60000 : left));
    if (r > 0)
      return true;
    if (r < 0 && errno != EINTR)
      return false;
  }
}

std::optional<int64_t> parseInt(std::string_view s) {
  if (s.empty())
    return std::nullopt;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 18)
    return std::nullopt;
  auto v = parseDecimal(s);
  if (!v)
    return std::nullopt;
  return neg ? -static_cast<int64_t>(*v) : static_cast<int64_t>(*v);
}

}  // namespace

Result<RedisUrl> parseRedisUrl(std::string_view url) {
  RedisUrl u;
  if (url.starts_with("rediss://"))
    return urlError(
        "rediss:// (TLS) is not supported; use redis:// on a trusted network or "
        "unix:/path");
  if (url.starts_with("unix:")) {
    std::string_view rest = url.substr(5);
    if (rest.starts_with("//"))
      rest.remove_prefix(2);
    if (size_t q = rest.find('?'); q != std::string_view::npos) {
      std::string_view query = rest.substr(q + 1);
      rest = rest.substr(0, q);
      if (!query.starts_with("db="))
        return urlError("unix socket URL: only ?db=N is understood");
      auto db = parseDecimal(query.substr(3));
      if (!db || *db > 1000000)
        return urlError("bad db number");
      u.db = static_cast<int>(*db);
    }
    if (rest.empty() || rest[0] != '/')
      return urlError("unix socket URL needs an absolute path (unix:/run/redis.sock)");
    if (rest.size() >= sizeof(sockaddr_un{}.sun_path))
      return urlError("unix socket path too long");
    u.unix_socket = true;
    u.host = std::string(rest);
    return u;
  }
  if (!url.starts_with("redis://"))
    return urlError("expected redis://host:port/db or unix:/path");
  std::string_view rest = url.substr(8);
  std::string_view authority = rest;
  std::string_view path;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view cred = authority.substr(0, at);
    authority = authority.substr(at + 1);
    if (size_t colon = cred.find(':'); colon != std::string_view::npos) {
      u.user = std::string(cred.substr(0, colon));
      u.password = std::string(cred.substr(colon + 1));
    } else {
      u.password = std::string(cred);
    }
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return urlError("unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':')
        return urlError("junk after [IPv6] host");
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty())
    return urlError("missing host");
  u.host = std::string(host);
  if (!port.empty()) {
    auto p = parseDecimal(port);
    if (!p || *p == 0 || *p > 65535)
      return urlError("bad port \"" + std::string(port) + "\"");
    u.port = static_cast<uint16_t>(*p);
  }
  if (!path.empty()) {
    auto db = parseDecimal(path);
    if (!db || *db > 1000000)
      return urlError("bad db number \"" + std::string(path) + "\"");
    u.db = static_cast<int>(*db);
  }
  return u;
}

void appendCommand(std::string& out, std::initializer_list<std::string_view> args) {
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (std::string_view a : args) {
    out += '$';
    out += std::to_string(a.size());
    out += "\r\n";
    out.append(a);
    out += "\r\n";
  }
}

RespParser::State RespParser::next(RedisReply& out) {
  size_t pos = pos_;
  out = RedisReply{};
  const State s = parse(pos, out, 0);
  if (s == State::Reply) {
    pos_ = pos;
    if (pos_ > 65536 && pos_ * 2 > buf_.size()) {  // compact now and then
      buf_.erase(0, pos_);
      pos_ = 0;
    }
  }
  return s;
}

RespParser::State RespParser::parse(size_t& pos, RedisReply& out, int depth) {
  if (depth > kMaxDepth)
    return State::Bad;
  if (pos >= buf_.size())
    return State::NeedMore;
  const size_t eol = buf_.find("\r\n", pos);
  if (eol == std::string::npos)
    return buf_.size() - pos > 1024 ? State::Bad : State::NeedMore;
  const char kind = buf_[pos];
  const std::string_view line(buf_.data() + pos + 1, eol - pos - 1);
  switch (kind) {
    case '+':
    case '-':
      out.type = kind == '+' ? RedisReply::Type::Status : RedisReply::Type::Error;
      out.str = std::string(line);
      pos = eol + 2;
      return State::Reply;
    case ':': {
      auto v = parseInt(line);
      if (!v)
        return State::Bad;
      out.type = RedisReply::Type::Integer;
      out.integer = *v;
      pos = eol + 2;
      return State::Reply;
    }
    case '$': {
      auto n = parseInt(line);
      if (!n || *n < -1 || *n > static_cast<int64_t>(kMaxBulk))
        return State::Bad;
      if (*n == -1) {
        out.type = RedisReply::Type::Nil;
        pos = eol + 2;
        return State::Reply;
      }
      const size_t len = static_cast<size_t>(*n);
      if (buf_.size() < eol + 2 + len + 2)
        return State::NeedMore;
      if (buf_.compare(eol + 2 + len, 2, "\r\n") != 0)
        return State::Bad;
      out.type = RedisReply::Type::Bulk;
      out.str = buf_.substr(eol + 2, len);
      pos = eol + 2 + len + 2;
      return State::Reply;
    }
    case '*': {
      auto n = parseInt(line);
      if (!n || *n < -1 || *n > static_cast<int64_t>(kMaxElements))
        return State::Bad;
      pos = eol + 2;
      if (*n == -1) {
        out.type = RedisReply::Type::Nil;
        return State::Reply;
      }
      out.type = RedisReply::Type::Array;
      for (int64_t i = 0; i < *n; ++i) {
        RedisReply el;
        const State s = parse(pos, el, depth + 1);
        if (s != State::Reply)
          return s;
        out.elements.push_back(std::move(el));
      }
      return State::Reply;
    }
    default:
      return State::Bad;
  }
}

RedisConnection::~RedisConnection() {
  close();
}

void RedisConnection::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  parser_ = RespParser{};
}

Status RedisConnection::connect(const RedisUrl& url, int64_t timeout_ms) {
  close();
  const int64_t deadline = monoMs() + timeout_ms;
  auto tryConnect = [&](int family, const sockaddr* addr, socklen_t len) -> Status {
    const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return makeError("redis.connect", std::strerror(errno));
    if (::connect(fd, addr, len) != 0) {
      if (errno != EINPROGRESS) {
        const int e = errno;
        ::close(fd);
        return makeError("redis.connect", std::strerror(e));
      }
      if (!waitFor(fd, POLLOUT, deadline)) {
        ::close(fd);
        return makeError("redis.timeout", "connect timed out");
      }
      int err = 0;
      socklen_t el = sizeof(err);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
      if (err != 0) {
        ::close(fd);
        return makeError("redis.connect", std::strerror(err));
      }
    }
    if (family != AF_UNIX) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    fd_ = fd;
    return {};
  };

  Status st = makeError("redis.connect", "no address");
  if (url.unix_socket) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, url.host.data(), url.host.size());
    st = tryConnect(AF_UNIX, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa));
  } else {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(url.port);
    if (const int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &res); rc != 0)
      return makeError("redis.connect", std::string("resolve: ") + gai_strerror(rc));
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      st = tryConnect(ai->ai_family, ai->ai_addr, ai->ai_addrlen);
      if (st)
        break;
    }
    ::freeaddrinfo(res);
  }
  if (!st)
    return st;

  std::string hello;
  size_t n = 0;
  if (!url.password.empty()) {
    if (url.user.empty())
      appendCommand(hello, {"AUTH", url.password});
    else
      appendCommand(hello, {"AUTH", url.user, url.password});
    ++n;
  }
  const std::string db = std::to_string(url.db);
  if (url.db != 0) {
    appendCommand(hello, {"SELECT", db});
    ++n;
  }
  appendCommand(hello, {"PING"});
  ++n;
  auto replies = pipeline(hello, n, deadline - monoMs());
  if (!replies) {
    close();
    return replies.error();
  }
  for (const RedisReply& r : *replies) {
    if (r.type == RedisReply::Type::Error) {
      close();
      // The server's message ("WRONGPASS ...", "NOAUTH ...") never contains the password.
      return makeError(r.str.starts_with("WRONGPASS") || r.str.starts_with("NOAUTH") ||
                               r.str.find("AUTH") != std::string::npos
                           ? "redis.auth"
                           : "redis.protocol",
                       r.str.substr(0, 200));
    }
  }
  return {};
}

Status RedisConnection::writeAll(std::string_view data, int64_t deadline_ms) {
  while (!data.empty()) {
    const ssize_t w = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (w > 0) {
      data.remove_prefix(static_cast<size_t>(w));
      continue;
    }
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!waitFor(fd_, POLLOUT, deadline_ms))
        return makeError("redis.timeout", "write timed out");
      continue;
    }
    return makeError("redis.connect", w == 0 ? "connection closed" : std::strerror(errno));
  }
  return {};
}

Status RedisConnection::readReplies(std::vector<RedisReply>& out, size_t count,
                                    int64_t deadline_ms) {
  char buf[16384];
  while (out.size() < count) {
    RedisReply r;
    const RespParser::State s = parser_.next(r);
    if (s == RespParser::State::Reply) {
      out.push_back(std::move(r));
      continue;
    }
    if (s == RespParser::State::Bad)
      return makeError("redis.protocol", "malformed reply");
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      parser_.feed(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n == 0)
      return makeError("redis.connect", "connection closed by the server");
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return makeError("redis.connect", std::strerror(errno));
    if (!waitFor(fd_, POLLIN, deadline_ms))
      return makeError("redis.timeout", "reply timed out");
  }
  return {};
}

Result<std::vector<RedisReply>> RedisConnection::pipeline(std::string_view commands, size_t count,
                                                          int64_t timeout_ms) {
  if (fd_ < 0)
    return makeError("redis.connect", "not connected");
  const int64_t deadline = monoMs() + (timeout_ms < 1 ? 1 : timeout_ms);
  if (Status s = writeAll(commands, deadline); !s) {
    close();
    return s.error();
  }
  std::vector<RedisReply> out;
  out.reserve(count);
  if (Status s = readReplies(out, count, deadline); !s) {
    close();
    return s.error();
  }
  return out;
}

}  // namespace mgw::throttling
