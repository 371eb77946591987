#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "mgw/base/strings.h"
#include "mgw/config/gateway_config.h"

namespace mgw::config {
namespace {

// ::ffff:a.b.c.d (RFC 4291 §2.5.5.2)
constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool prefixEqual(const uint8_t* a, const uint8_t* b, int bits) {
  int full = bits / 8;
  if (std::memcmp(a, b, static_cast<size_t>(full)) != 0)
    return false;
  int rest = bits % 8;
  if (rest == 0)
    return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

void maskHostBits(uint8_t* addr, int bytes, int prefix) {
  for (int i = 0; i < bytes; ++i) {
    int bits_here = prefix - i * 8;
    if (bits_here >= 8)
      continue;
    addr[i] = bits_here <= 0 ? 0 : static_cast<uint8_t>(addr[i] & (0xff << (8 - bits_here)));
  }
}

}  // namespace

bool Cidr::contains(bool is_v6, const uint8_t* addr16) const {
  if (addr16 == nullptr)
    return false;
  if (is_v6 == v6)
    return prefixEqual(addr, addr16, prefix);
  if (!v6) {
    // An IPv4 network matches an IPv4-mapped IPv6 peer (dual-stack sockets report those).
    if (std::memcmp(addr16, kV4MappedPrefix, 12) != 0)
      return false;
    return prefixEqual(addr, addr16 + 12, prefix);
  }
  // Only a network inside ::ffff:0:0/96, such as ::ffff:10.0.0.0/104, matches plain IPv4
  // peers; "::/0" means every IPv6 peer, not every peer.
  if (prefix < 96 || std::memcmp(addr, kV4MappedPrefix, 12) != 0)
    return false;
  uint8_t mapped[16];
  std::memcpy(mapped, kV4MappedPrefix, 12);
  std::memcpy(mapped + 12, addr16, 4);
  return prefixEqual(addr, mapped, prefix);
}

Result<Cidr> parseCidr(std::string_view text) {
  std::string_view t = trimOws(text);
  auto bad = [&](std::string_view why) {
    return makeError("config.bad_cidr", "\"" + std::string(text) + "\": " + std::string(why));
  };
  if (t.empty())
    return bad("empty address");
  std::string_view host = t;
  std::optional<uint64_t> prefix;
  if (size_t slash = t.find('/'); slash != std::string_view::npos) {
    host = t.substr(0, slash);
    prefix = parseDecimal(t.substr(slash + 1));
    if (!prefix || t.size() - slash - 1 > 3)
      return bad("prefix length is not a number");
  }
  if (host.empty() || host.size() > INET6_ADDRSTRLEN)
    return bad("not an IP address");
  std::string host_z(host);  // inet_pton needs a NUL-terminated string
  Cidr c;
  if (inet_pton(AF_INET, host_z.c_str(), c.addr) == 1) {
    c.v6 = false;
  } else if (inet_pton(AF_INET6, host_z.c_str(), c.addr) == 1) {
    c.v6 = true;
  } else {
    return bad("not an IPv4 or IPv6 address");
  }
  int max_bits = c.v6 ? 128 : 32;
  if (prefix && *prefix > static_cast<uint64_t>(max_bits)) {
    return bad("prefix length above " + std::to_string(max_bits));
  }
  c.prefix = prefix ? static_cast<int>(*prefix) : max_bits;
  // Host bits are cleared ("10.1.2.3/8" means 10.0.0.0/8), as nginx's set_real_ip_from does.
  maskHostBits(c.addr, c.v6 ? 16 : 4, c.prefix);
  return c;
}

}  // namespace mgw::config
