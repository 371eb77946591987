#include "filters/throttling/blocking.h"

#include <arpa/inet.h>

#include <cstring>
#include <utility>

#include "mgw/base/strings.h"

namespace mgw::throttling {

namespace {

// Distinct across every BlockList of the process, so one per-thread cache slot serves them all.
std::atomic<uint64_t> g_generations{0};

struct ThreadCache {
  uint64_t generation = 0;
  std::shared_ptr<const BlockSet> set;
};
thread_local ThreadCache t_cache;

Error badCondition(std::string why) {
  return makeError("throttling.bad_blocking_condition", std::move(why));
}

// The client address as 16 bytes for config::Cidr::contains (IPv4 in the first 4 bytes).
bool parseAddress(std::string_view text, bool& v6, uint8_t out[16]) {
  if (text.empty() || text.size() >= 64)
    return false;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::memset(out, 0, 16);
  if (inet_pton(AF_INET, buf, out) == 1) {
    v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out) == 1) {
    v6 = true;
    return true;
  }
  return false;
}

}  // namespace

std::string_view blockTypeName(BlockType type) {
  switch (type) {
    case BlockType::Api:
      return "API";
    case BlockType::Application:
      return "APPLICATION";
    case BlockType::User:
      return "USER";
    case BlockType::Ip:
      return "IP";
    case BlockType::IpRange:
      return "IPRANGE";
  }
  return "API";
}

Result<BlockCondition> parseBlockCondition(std::string_view type, std::string_view value) {
  BlockCondition c;
  const std::string t = toLower(trimOws(type));
  if (t == "api") {
    c.type = BlockType::Api;
  } else if (t == "application") {
    c.type = BlockType::Application;
  } else if (t == "user") {
    c.type = BlockType::User;
  } else if (t == "ip") {
    c.type = BlockType::Ip;
  } else if (t == "iprange") {
    c.type = BlockType::IpRange;
  } else {
    return badCondition("type \"" + std::string(type) +
                        "\": expected API, APPLICATION, USER, IP or IPRANGE");
  }
  c.value = std::string(trimOws(value));
  if (c.value.empty())
    return badCondition(std::string(blockTypeName(c.type)) + ": empty value");
  if (c.type == BlockType::Ip || c.type == BlockType::IpRange) {
    const bool has_prefix = c.value.find('/') != std::string::npos;
    if (c.type == BlockType::Ip && has_prefix)
      return badCondition("IP \"" + c.value + "\": a single address (use IPRANGE for networks)");
    if (c.type == BlockType::IpRange && !has_prefix)
      return badCondition("IPRANGE \"" + c.value + "\": expected address/prefix");
    auto cidr = config::parseCidr(c.value);
    if (!cidr)
      return badCondition(std::string(blockTypeName(c.type)) + " " + cidr.error().message);
  }
  return c;
}

Result<BlockCondition> parseBlockMember(std::string_view member) {
  const size_t colon = member.find(':');
  if (colon == std::string_view::npos)
    return badCondition("\"" + std::string(member.substr(0, 200)) + "\": expected TYPE:value");
  return parseBlockCondition(member.substr(0, colon), member.substr(colon + 1));
}

BlockSet::BlockSet(const std::vector<BlockCondition>& conditions) {
  for (const BlockCondition& c : conditions) {
    switch (c.type) {
      case BlockType::Api:
        api_.insert(c.value);
        break;
      case BlockType::Application:
        app_.insert(c.value);
        break;
      case BlockType::User:
        user_.insert(c.value);
        break;
      case BlockType::Ip:
      case BlockType::IpRange:
        if (auto cidr = config::parseCidr(c.value)) {
          networks_.push_back(*cidr);
          network_types_.push_back(c.type);
        }
        break;
    }
  }
  size_ = api_.size() + app_.size() + user_.size() + networks_.size();
}

const BlockType* BlockSet::match(const BlockQuery& q) const {
  if (!q.api_context.empty() && api_.find(q.api_context) != api_.end())
    return &kTypes[0];
  if (!app_.empty() && !q.app_name.empty()) {
    // `<owner>:<appName>` without allocating for ordinary lengths.
    char buf[256];
    const size_t n = q.app_owner.size() + 1 + q.app_name.size();
    std::string big;
    std::string_view key;
    if (n <= sizeof(buf)) {
      std::memcpy(buf, q.app_owner.data(), q.app_owner.size());
      buf[q.app_owner.size()] = ':';
      std::memcpy(buf + q.app_owner.size() + 1, q.app_name.data(), q.app_name.size());
      key = std::string_view(buf, n);
    } else {
      big = std::string(q.app_owner) + ":" + std::string(q.app_name);
      key = big;
    }
    if (app_.find(key) != app_.end())
      return &kTypes[1];
  }
  if (!q.username.empty() && user_.find(q.username) != user_.end())
    return &kTypes[2];
  if (!networks_.empty()) {
    bool v6 = false;
    uint8_t addr[16];
    if (parseAddress(q.client_ip, v6, addr)) {
      for (size_t i = 0; i < networks_.size(); ++i) {
        if (networks_[i].contains(v6, addr))
          return network_types_[i] == BlockType::Ip ? &kTypes[3] : &kTypes[4];
      }
    }
  }
  return nullptr;
}

BlockList::BlockList() {
  std::lock_guard<std::mutex> lock(write_mu_);
  publishLocked();
}

void BlockList::setConfigured(std::vector<BlockCondition> conditions) {
  std::lock_guard<std::mutex> lock(write_mu_);
  configured_ = std::move(conditions);
  publishLocked();
}

void BlockList::setRemote(std::vector<BlockCondition> conditions) {
  std::lock_guard<std::mutex> lock(write_mu_);
  remote_ = std::move(conditions);
  publishLocked();
}

void BlockList::publishLocked() {
  std::vector<BlockCondition> all = configured_;
  all.insert(all.end(), remote_.begin(), remote_.end());
  auto set = std::make_shared<const BlockSet>(all);
  const size_t n = set->size();
  current_.store(std::move(set), std::memory_order_release);
  // Published after the set: a reader that sees the new generation loads the new set (or a
  // newer one, which it then reloads once more at the next generation; harmless).
  generation_.store(g_generations.fetch_add(1, std::memory_order_relaxed) + 1,
                    std::memory_order_release);
  size_.store(n, std::memory_order_release);
}

const BlockType* BlockList::match(const BlockQuery& q) const {
  if (size_.load(std::memory_order_acquire) == 0)
    return nullptr;
  const uint64_t gen = generation_.load(std::memory_order_acquire);
  if (t_cache.generation != gen || !t_cache.set) {
    t_cache.set = current_.load(std::memory_order_acquire);
    t_cache.generation = gen;
  }
  return t_cache.set->match(q);
}

}  // namespace mgw::throttling
