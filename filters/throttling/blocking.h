// Blocking conditions (reference wso2-mgw3.md §4, §5): requests matching a condition are refused
// with 403 900805 "Message blocked" before any tier is counted. WSO2's kinds and keys:
//
//   API          the API context, artifact::Api::base_path (`/petstore/v1`)
//   APPLICATION  `<owner>:<applicationName>` (WSO2's `subscriber:applicationName`)
//   USER         the end user name (JWT `sub`, Basic user name)
//   IP           one client address (RequestContext::clientIp(), v4 or v6)
//   IPRANGE      a CIDR network, e.g. 10.0.0.0/8 (ours: WSO2 3.x only matched exact IPs)
//
// Conditions come from `[[throttlingConfig.blockingConditions]]` and, in the global mode, from
// the Redis set `<keyPrefix>blocking` that every gateway polls (`TYPE:value` members).
//
// Threading: readers (workers, every request) never lock. The merged conditions are an
// immutable BlockSet published through an atomic shared_ptr; each worker thread caches its
// pointer with the set's generation and only reloads it when the generation changed (a relaxed
// load of one 64-bit atomic per request; no reference-count traffic). With no conditions at
// all the check is a single atomic load. Writers (start-up, the Redis sync thread) are
// serialised by a mutex that readers never touch.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/base/result.h"
#include "mgw/config/gateway_config.h"

namespace mgw::throttling {

enum class BlockType { Api, Application, User, Ip, IpRange };
std::string_view blockTypeName(BlockType type);  // "API", "APPLICATION", ...

struct BlockCondition {
  BlockType type = BlockType::Api;
  std::string value;
};

// `type` case-insensitively (API, APPLICATION, USER, IP, IPRANGE); `value` non-empty, and a
// valid address (IP) or network (IPRANGE). Error reason "throttling.bad_blocking_condition".
Result<BlockCondition> parseBlockCondition(std::string_view type, std::string_view value);
// The Redis member form `TYPE:value` (split at the first ':').
Result<BlockCondition> parseBlockMember(std::string_view member);

// What a request is checked against. Empty fields never match.
struct BlockQuery {
  std::string_view api_context;  // artifact::Api::base_path
  std::string_view client_ip;
  std::string_view app_owner;  // the key is `<owner>:<appName>`; no application: both ""
  std::string_view app_name;
  std::string_view username;
};

// An immutable set of conditions.
class BlockSet {
 public:
  explicit BlockSet(const std::vector<BlockCondition>& conditions);
  // The type of the first matching condition, or nullptr.
  const BlockType* match(const BlockQuery& q) const;
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

 private:
  std::set<std::string, std::less<>> api_, app_, user_;
  std::vector<config::Cidr> networks_;  // IP (full-length prefix) and IPRANGE
  std::vector<BlockType> network_types_;
  size_t size_ = 0;
  static constexpr BlockType kTypes[] = {BlockType::Api, BlockType::Application, BlockType::User,
                                         BlockType::Ip, BlockType::IpRange};
};

class BlockList {
 public:
  BlockList();
  // Replaces the conditions of one source; the published set is their union.
  void setConfigured(std::vector<BlockCondition> conditions);
  void setRemote(std::vector<BlockCondition> conditions);

  // Lock-free: see the header comment. Returns the type of the matching condition or nullptr.
  const BlockType* match(const BlockQuery& q) const;

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  size_t size() const { return size_.load(std::memory_order_relaxed); }

 private:
  void publishLocked();

  std::mutex write_mu_;  // writers only
  std::vector<BlockCondition> configured_, remote_;
  std::atomic<std::shared_ptr<const BlockSet>> current_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<size_t> size_{0};
};

}  // namespace mgw::throttling
