// The local throttling decision (reference wso2-mgw3.md §4, codes §5): which tiers apply to a
// request, under which keys, and what the gateway answers. One Throttler per process, shared by
// every worker thread; decide() is lock-free (see counter_table.h) and allocates only the key
// strings.
//
// Order, as WSO2's throttle_filter.bal:
//   0. blocking conditions (blocking.h): API context, application `<owner>:<appName>`, user,
//      client IP / IP range -> 403 900805 "Message blocked". Nothing is counted.
//      Global mode with Redis unavailable and failOpen = false: a request that some tier would
//      count -> 503 900808 (see docs/throttling.md).
//   1. API tier (the API's x-wso2-throttling-tier, else the tier the token's key validation gave)
//      - policy missing -> 500 900809; over quota -> 429 900800. Key `<basePath>:<version>`.
//   2. resource tier - only when the API has no tier (or `Unlimited`): with an API tier WSO2's
//      resource check reuses the API key and tier, i.e. the very counter of step 1, so it is not
//      counted twice. Missing -> 500 900809; over -> 429 900802.
//      Key `<basePath>/<version><template>:<METHOD>` (template as written, e.g. /pet/{petId}).
//   3a. unsecured resource (x-wso2-disable-security): subscription policy `Unauthenticated`
//      keyed `<clientIp>:<basePath>:<version>` - missing -> 500 900809; over -> 429 900804
//      unless its stopOnQuota is false.
//   3b. authenticated request (AuthInfo present): subscription tier (default `Default`) keyed
//      `<appId>:<basePath>:<version>` - missing -> 500 900809; over -> 429 900804, or, with
//      stopOnQuota false, passes marked `over_quota_allowed` (for billing/analytics);
//      then application tier (default `Unlimited`) keyed `<appId>:<username>` - missing -> 500
//      900809; over -> 429 900803.
//   A secured resource without AuthInfo only gets steps 1-2 (no filter::AuthContext was set;
//   throttling_filter.h maps the AuthContext to AuthInfo).
// A tier named `Unlimited` is skipped everywhere. A refused request is not counted: counts taken
// by earlier tiers of the same request are given back (CounterTable::release), so a request
// refused by its application tier does not eat its API quota.
//
// `basePath` is artifact::Api::base_path verbatim: the path the API is routed under, with
// `{version}` already substituted by the toolkit - what WSO2's getContext() returns.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters/throttling/blocking.h"
#include "filters/throttling/counter_table.h"
#include "filters/throttling/global_sync.h"
#include "filters/throttling/global_table.h"
#include "filters/throttling/policy_set.h"
#include "mgw/artifact/model.h"
#include "mgw/http/message.h"

namespace mgw::throttling {

// What the security filter knows about the caller (from the JWT / key validation). Empty fields
// take WSO2's defaults. Views: they point into the request's filter::AuthContext (or the test's
// strings), which outlive the decide() call, so nothing is copied per request.
struct AuthInfo {
  std::string_view app_id;             // "" -> "__unknown__" (WSO2: no `application` claim)
  std::string_view username;           // end user
  std::string_view subscription_tier;  // "" -> "Default"
  std::string_view application_tier;   // "" -> "Unlimited"
  std::string_view api_tier;           // from key validation; used when the API has no tier
  std::string_view app_owner;          // blocking key `<owner>:<appName>`
  std::string_view app_name;
};

struct RequestInfo {
  const artifact::Api* api = nullptr;
  const artifact::Resource* resource = nullptr;
  int64_t now_ms = 0;            // epoch UTC milliseconds
  std::string_view client_ip;    // see clientIp()
  std::optional<AuthInfo> auth;  // absent: no authenticated caller
};

enum class Tier { Api, Resource, Subscription, Application, Unauthenticated };
std::string_view tierName(Tier tier);

// The limit state of one tier that counted this request, for the RateLimit fields.
struct TierUsage {
  Tier tier = Tier::Api;
  std::string policy;     // policy name
  int64_t limit = 0;      // quota per window
  int64_t window_s = 0;   // window length, seconds
  int64_t remaining = 0;  // quota left in the current window after this request
  int64_t reset_s = 0;    // seconds until the window ends (ceil, >= 1)
  bool overflow = false;  // counted in a shared overflow counter
};

struct ThrottleDecision {
  bool allowed = true;
  int http_status = 200;  // 429 / 500 when refused
  int code = 0;  // WSO2 fault code: 900800 / 900802 / 900803 / 900804 / 900805 / 900808 / 900809
  std::string_view message;               // fault message (§5)
  std::string_view description;           // fault description (§5)
  std::string_view reason;                // log token, e.g. "throttling.api"
  bool over_quota_allowed = false;        // subscription quota reached, passed (stopOnQuota false)
  std::optional<TierUsage> tightest;      // refusing tier, else the tier with the least remaining
  int64_t retry_after_s = 0;              // on 429: seconds until the refusing window ends
  std::string missing_policy;             // on 900809: "<prefix><name>", e.g. "sub_Platinum"
  const BlockType* blocked_by = nullptr;  // on 900805: the matching condition's kind
};

// WSO2's fault body for a refusal: {"fault":{"code":..., "message":"...", "description":"..."}}
// with Ballerina's ", " separators (the same bytes as filter::faultJson).
std::string faultBody(const ThrottleDecision& d);

// Response fields for a decision: `Retry-After` (RFC 9110 §10.2.3, delta-seconds) on 429, and,
// when `rate_limit_headers`, `RateLimit-Policy` and `RateLimit` for the tightest tier in the
// syntax of draft-ietf-httpapi-ratelimit-headers-10 (unchanged since -08): Structured Field
// lists (RFC 9651) of one quoted policy name with `q` (quota) and `w` (window seconds), and
// `r` (remaining) and `t` (seconds to reset):
//   RateLimit-Policy: "10PerMin";q=10;w=60
//   RateLimit: "10PerMin";r=3;t=42
std::vector<http::Header> responseHeaders(const ThrottleDecision& d, bool rate_limit_headers);

// Client address for the unauthenticated key: the first X-Forwarded-For element when the peer
// is a trusted proxy (`[listenerConfig] trustedProxies`, checked by the caller with
// config::Cidr::contains) and that element is non-empty, else the peer. WSO2 believed
// X-Forwarded-For from anyone; we do not. The element is returned verbatim (trimmed); it only
// ever names a counter.
std::string_view clientIp(std::string_view peer, bool peer_is_trusted,
                          const std::string* xff_header);

// Throttle keys exactly as WSO2 builds them.
std::string apiKey(const artifact::Api& api);
std::string resourceKey(const artifact::Api& api, const artifact::Resource& resource);
std::string subscriptionKey(std::string_view app_id, const artifact::Api& api);
std::string applicationKey(std::string_view app_id, std::string_view username);
std::string unauthenticatedKey(std::string_view client_ip, const artifact::Api& api);

struct ThrottleConfig {
  size_t table_slots = 65536;  // 1 MiB of counters; rounded up to a power of two
  bool rate_limit_headers = true;
};

class Throttler {
 public:
  Throttler(PolicySet policies, ThrottleConfig config);
  ThrottleDecision decide(const RequestInfo& request);

  const PolicySet& policies() const { return policies_; }
  const ThrottleConfig& config() const { return config_; }
  const CounterTable& table() const { return table_; }

  // Blocking conditions (always present; empty by default).
  BlockList& blocking() { return blocking_; }

  // Global mode: counters shared through Redis (global_sync.h). Call once before serving, then
  // startGlobal() to run the sync thread. Without startGlobal() (unit tests) the table works and
  // `others` comes from setGlobalUp()/GlobalTable::setOthers.
  void enableGlobal(GlobalConfig config);
  void startGlobal();
  bool globalEnabled() const { return global_ != nullptr; }
  GlobalTable* globalTable() { return global_.get(); }
  GlobalSync* globalSync() { return sync_.get(); }
  // Unit tests without a sync thread: pretend Redis is up (true) or down (false).
  void setGlobalUp(bool up) { test_up_.store(up ? 1 : 0, std::memory_order_release); }
  bool globalUp() const;
  // Requests refused with 503 because Redis was unavailable and failOpen is false.
  uint64_t unavailableRefusals() const {
    return unavailable_refusals_.load(std::memory_order_relaxed);
  }

 private:
  struct Counted;
  bool countsAnyTier(const RequestInfo& req) const;
  const ThrottleConfig config_;
  const PolicySet policies_;
  CounterTable table_;
  BlockList blocking_;
  bool fail_open_ = true;
  std::unique_ptr<GlobalTable> global_;
  std::atomic<int> test_up_{-1};  // -1: ask the sync thread
  std::atomic<uint64_t> unavailable_refusals_{0};
  std::unique_ptr<GlobalSync> sync_;  // last: stopped before the table it reads goes away
};

}  // namespace mgw::throttling
