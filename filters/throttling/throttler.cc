#include "filters/throttling/throttler.h"

#include <algorithm>
#include <utility>

#include "mgw/base/strings.h"

namespace mgw::throttling {

namespace {

constexpr std::string_view kThrottledMessage = "Message throttled out";
constexpr std::string_view kThrottledDescription = "You have exceeded your quota";
constexpr std::string_view kInternalMessage = "Internal server error occured";  // sic, WSO2
constexpr std::string_view kPolicyMissingDescription = "POLICY ENFORCEMENT ERROR";
constexpr std::string_view kUnknownAppId = "__unknown__";
constexpr std::string_view kBlockedMessage = "Message blocked";
constexpr std::string_view kBlockedDescription =
    "You have been blocked from accesing the resource";  // sic

int64_t ceilSeconds(int64_t ms) {
  return ms <= 0 ? 0 : (ms + 999) / 1000;
}

// RFC 9651 §3.3.3 sf-string: printable ASCII, `"` and `\` escaped. Policy names come from the
// project's policies.yaml; anything else is replaced so the field always parses.
std::string sfString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c >= 0x20 && c <= 0x7e) {
      out += c;
    } else {
      out += '?';
    }
  }
  out += '"';
  return out;
}

uint8_t tierByte(Tier t) {
  return static_cast<uint8_t>(t);
}

}  // namespace

std::string_view tierName(Tier tier) {
  switch (tier) {
    case Tier::Api:
      return "api";
    case Tier::Resource:
      return "resource";
    case Tier::Subscription:
      return "subscription";
    case Tier::Application:
      return "application";
    case Tier::Unauthenticated:
      return "unauthenticated";
  }
  return "api";
}

std::string apiKey(const artifact::Api& api) {
  return api.base_path + ":" + api.version;
}

std::string resourceKey(const artifact::Api& api, const artifact::Resource& resource) {
  return api.base_path + "/" + api.version + resource.path_template + ":" + resource.method;
}

std::string subscriptionKey(std::string_view app_id, const artifact::Api& api) {
  std::string k(app_id);
  k += ':';
  k += apiKey(api);
  return k;
}

std::string applicationKey(std::string_view app_id, std::string_view username) {
  std::string k(app_id);
  k += ':';
  k += username;
  return k;
}

std::string unauthenticatedKey(std::string_view client_ip, const artifact::Api& api) {
  return subscriptionKey(client_ip, api);
}

std::string_view clientIp(std::string_view peer, bool peer_is_trusted,
                          const std::string* xff_header) {
  if (!peer_is_trusted || xff_header == nullptr)
    return peer;
  std::string_view v = *xff_header;
  const size_t comma = v.find(',');
  std::string_view first = trimOws(v.substr(0, comma));
  return first.empty() ? peer : first;
}

std::string faultBody(const ThrottleDecision& d) {
  // The message strings are WSO2's constants: no escaping needed.
  std::string out = "{\"fault\":{\"code\":";
  out += std::to_string(d.code);
  out += ", \"message\":\"";
  out += d.message;
  out += "\", \"description\":\"";
  out += d.description;
  out += "\"}}";
  return out;
}

std::vector<http::Header> responseHeaders(const ThrottleDecision& d, bool rate_limit_headers) {
  std::vector<http::Header> out;
  if ((d.http_status == 429 || d.http_status == 503) && d.retry_after_s > 0)
    out.push_back({"Retry-After", std::to_string(d.retry_after_s)});
  if (rate_limit_headers && d.tightest) {
    const TierUsage& t = *d.tightest;
    const std::string name = sfString(t.policy);
    out.push_back({"RateLimit-Policy",
                   name + ";q=" + std::to_string(t.limit) + ";w=" + std::to_string(t.window_s)});
    out.push_back({"RateLimit",
                   name + ";r=" + std::to_string(t.remaining) + ";t=" + std::to_string(t.reset_s)});
  }
  return out;
}

Throttler::Throttler(PolicySet policies, ThrottleConfig config)
    : config_(config),
      policies_(std::move(policies)),
      table_(config.table_slots, policies_.size()) {}

void Throttler::enableGlobal(GlobalConfig config) {
  fail_open_ = config.fail_open;
  global_ = std::make_unique<GlobalTable>(config.table_slots);
  sync_ = std::make_unique<GlobalSync>(*global_, blocking_, std::move(config));
}

void Throttler::startGlobal() {
  if (sync_)
    sync_->start();
}

bool Throttler::globalUp() const {
  const int t = test_up_.load(std::memory_order_acquire);
  if (t >= 0)
    return t == 1;
  return sync_ != nullptr && sync_->up();
}

// Whether decide() would count `req` in some tier (then, with Redis unavailable and failOpen
// false, it is refused rather than counted per gateway).
bool Throttler::countsAnyTier(const RequestInfo& req) const {
  std::string_view api_tier = req.api->throttling_tier;
  if (api_tier.empty() && req.auth)
    api_tier = req.auth->api_tier;
  if (!api_tier.empty() && !PolicySet::isUnlimited(api_tier))
    return true;
  const std::string& res_tier = req.resource->throttling_tier;
  if (!res_tier.empty() && !PolicySet::isUnlimited(res_tier))
    return true;
  if (req.resource->disable_security)
    return true;
  if (!req.auth)
    return false;
  const std::string_view sub =
      req.auth->subscription_tier.empty() ? kDefaultSubscriptionTier : req.auth->subscription_tier;
  const std::string_view app = req.auth->application_tier;
  return !PolicySet::isUnlimited(sub) || (!app.empty() && !PolicySet::isUnlimited(app));
}

// The tiers one request has counted so far, given back if a later tier refuses it.
struct Throttler::Counted {
  CounterTable::Ticket tickets[4];
  int n = 0;
  void releaseAll() {
    for (int i = 0; i < n; ++i)
      CounterTable::release(tickets[i]);
    n = 0;
  }
};

ThrottleDecision Throttler::decide(const RequestInfo& req) {
  ThrottleDecision d;
  if (req.api == nullptr || req.resource == nullptr)
    return d;
  const artifact::Api& api = *req.api;
  Counted counted;

  // 0. Blocking conditions, before anything is counted.
  BlockQuery bq;
  bq.api_context = api.base_path;
  bq.client_ip = req.client_ip;
  if (req.auth) {
    bq.username = req.auth->username;
    bq.app_owner = req.auth->app_owner;
    bq.app_name = req.auth->app_name;
  }
  if (const BlockType* b = blocking_.match(bq)) {
    d.allowed = false;
    d.http_status = 403;
    d.code = 900805;
    d.message = kBlockedMessage;
    d.description = kBlockedDescription;
    d.reason = "throttling.blocked";
    d.blocked_by = b;
    return d;
  }
  if (global_ && !fail_open_ && !globalUp() && countsAnyTier(req)) {
    unavailable_refusals_.fetch_add(1, std::memory_order_relaxed);
    d.allowed = false;
    d.http_status = 503;
    d.code = 900808;
    d.message = kInternalMessage;
    d.description = kPolicyMissingDescription;
    d.reason = "throttling.global_unavailable";
    d.retry_after_s = 1;
    return d;
  }

  auto refuse = [&](int status, int code, std::string_view reason) {
    counted.releaseAll();
    d.allowed = false;
    d.http_status = status;
    d.code = code;
    d.reason = reason;
    if (status == 429) {
      d.message = kThrottledMessage;
      d.description = kThrottledDescription;
    } else {
      d.message = kInternalMessage;
      d.description = kPolicyMissingDescription;
    }
    return d;
  };
  auto missing = [&](PolicySection section, std::string_view name) {
    d.missing_policy = std::string(sectionPrefix(section)) + std::string(name);
    d.tightest.reset();  // earlier tiers were given back: nothing to advertise
    return refuse(500, 900809, "throttling.policy_missing");
  };
  // Counts the request in one tier. Returns false when the tier's quota is exhausted (then
  // `d.tightest` describes it and `d.retry_after_s` is set).
  auto count = [&](Tier tier, const Policy& policy, const std::string& key) {
    CounterTable::Acquired a;
    bool counted_globally = false;
    if (global_) {
      // Global mode: one slot per key and window, limit = limit - what the other gateways
      // counted (global_table.h). A full neighbourhood falls back to the local table.
      GlobalTable::Acquired g = global_->acquire(globalKeyHash(tierByte(tier), policy.name, key),
                                                 policy.count, req.now_ms, policy.window_ms);
      if (g.found) {
        counted_globally = true;
        a.allowed = g.allowed;
        a.count = g.count;
        a.window_end_ms = g.window_end_ms;
        a.ticket = g.ticket;
      }
    }
    if (!counted_globally)
      a = table_.acquire(counterHash(tierByte(tier), policy.id, key), policy.id, policy.count,
                         req.now_ms, policy.window_ms);
    TierUsage u;
    u.tier = tier;
    u.policy = policy.name;
    u.limit = policy.count;
    u.window_s = policy.window_ms / 1000;
    u.remaining = a.allowed ? std::max<int64_t>(0, policy.count - a.count) : 0;
    u.reset_s = std::max<int64_t>(1, ceilSeconds(a.window_end_ms - req.now_ms));
    u.overflow = a.overflow;
    if (a.allowed) {
      counted.tickets[counted.n++] = a.ticket;
      // Tightest: least remaining; on a tie the one that resets last.
      if (!d.tightest || u.remaining < d.tightest->remaining ||
          (u.remaining == d.tightest->remaining && u.reset_s > d.tightest->reset_s))
        d.tightest = std::move(u);
      return true;
    }
    d.retry_after_s = u.reset_s;
    d.tightest = std::move(u);
    return false;
  };

  // 1. API tier.
  std::string_view api_tier = api.throttling_tier;
  if (api_tier.empty() && req.auth)
    api_tier = req.auth->api_tier;
  const bool api_tier_counts = !api_tier.empty() && !PolicySet::isUnlimited(api_tier);
  if (api_tier_counts) {
    const Policy* p = policies_.find(PolicySection::Resource, api_tier);
    if (p == nullptr)
      return missing(PolicySection::Resource, api_tier);
    if (!count(Tier::Api, *p, apiKey(api)))
      return refuse(429, 900800, "throttling.api");
  }

  // 2. Resource tier (its own counter only without an API tier, see throttler.h).
  const std::string& res_tier = req.resource->throttling_tier;
  if (!api_tier_counts && !res_tier.empty() && !PolicySet::isUnlimited(res_tier)) {
    const Policy* p = policies_.find(PolicySection::Resource, res_tier);
    if (p == nullptr)
      return missing(PolicySection::Resource, res_tier);
    if (!count(Tier::Resource, *p, resourceKey(api, *req.resource)))
      return refuse(429, 900802, "throttling.resource");
  }

  // 3. Subscription and application tiers.
  auto subscription = [&](Tier tier, std::string_view tier_name, const std::string& key) {
    const Policy* p = policies_.find(PolicySection::Subscription, tier_name);
    if (p == nullptr) {
      missing(PolicySection::Subscription, tier_name);
      return false;
    }
    if (count(tier, *p, key))
      return true;
    if (p->stop_on_quota) {
      refuse(429, 900804, "throttling.subscription");
      return false;
    }
    // Over quota but allowed through (WSO2: ALLOWED_ON_QUOTA_REACHED, billed later).
    d.over_quota_allowed = true;
    d.retry_after_s = 0;
    return true;
  };

  if (req.resource->disable_security) {
    if (!subscription(Tier::Unauthenticated, kUnauthenticatedTier,
                      unauthenticatedKey(req.client_ip, api)))
      return d;
  } else if (req.auth) {
    const AuthInfo& auth = *req.auth;
    const std::string_view app_id = auth.app_id.empty() ? kUnknownAppId : auth.app_id;
    const std::string_view sub_tier =
        auth.subscription_tier.empty() ? kDefaultSubscriptionTier : auth.subscription_tier;
    if (!PolicySet::isUnlimited(sub_tier) &&
        !subscription(Tier::Subscription, sub_tier, subscriptionKey(app_id, api)))
      return d;
    const std::string_view app_tier =
        auth.application_tier.empty() ? kUnlimitedTier : auth.application_tier;
    if (!PolicySet::isUnlimited(app_tier)) {
      const Policy* p = policies_.find(PolicySection::Application, app_tier);
      if (p == nullptr)
        return missing(PolicySection::Application, app_tier);
      if (!count(Tier::Application, *p, applicationKey(app_id, auth.username)))
        return refuse(429, 900803, "throttling.application");
    }
  }
  return d;
}

}  // namespace mgw::throttling
