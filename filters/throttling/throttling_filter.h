// ThrottlingFilter: the local throttler as a filter of the chain (after the security filter,
// before the request interceptors; ARCHITECTURE.md §2, reference wso2-mgw3.md §4). Refusals become
// WSO2 fault replies (429 / 500) with Retry-After and RateLimit fields; allowed requests get the
// RateLimit fields on their response through RequestContext::addResponseHeader. The client
// address of the Unauthenticated tier is RequestContext::clientIp() (X-Forwarded-For only from
// trusted proxies).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "filters/throttling/throttler.h"
#include "mgw/filter/filter.h"

namespace mgw::throttling {

// Epoch-UTC milliseconds from the system clock (all gateways agree on window boundaries).
int64_t systemClockMs();

// The caller as the security filter established it, for the subscription and application tiers
// and the application/user blocking conditions. The default, authFromContext, maps
// RequestContext::authContext() (views into it, no copies); tests may substitute their own.
// No caller (nullopt): only the API and resource tiers (and Unauthenticated on unsecured
// resources) apply.
using AuthInfoLookup = std::function<std::optional<AuthInfo>(const filter::RequestContext&)>;
std::optional<AuthInfo> authFromContext(const filter::RequestContext& ctx);

class ThrottlingFilter final : public filter::Filter {
 public:
  using Clock = std::function<int64_t()>;
  explicit ThrottlingFilter(std::shared_ptr<Throttler> throttler, Clock clock = systemClockMs,
                            AuthInfoLookup auth_info = authFromContext);
  std::string_view name() const override { return "throttling"; }
  filter::FilterStatus onRequestHeaders(filter::RequestContext& ctx) const override;

 private:
  // The Throttler's counters are atomics: shared mutable state behind a const filter by design.
  std::shared_ptr<Throttler> throttler_;
  Clock clock_;
  AuthInfoLookup auth_info_;
};

}  // namespace mgw::throttling
