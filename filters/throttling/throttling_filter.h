// ThrottlingFilter: the API, resource and unauthenticated tiers of the local throttler as a
// filter of the chain (after validation, before the request interceptor; ARCHITECTURE.md §2).
// Refusals become WSO2 fault replies (429 / 500) with Retry-After and RateLimit fields; allowed
// requests get the RateLimit fields on their response when the context can carry them.
//
// filter::RequestContext has no client address (X-Forwarded-For from trusted proxies) and no way
// to add response fields yet. Until include/mgw/filter/filter.h grows them (proposed in
// README.md), the filter asks for the richer ThrottleRequestContext below with dynamic_cast and
// degrades without it: client IP = peer address, no RateLimit fields on allowed responses
// (refusals carry theirs in the LocalReply either way).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "filters/throttling/throttler.h"
#include "mgw/filter/filter.h"

namespace mgw::throttling {

// Local adapter: what the filter needs beyond filter::RequestContext. The server's stream
// implements it (or filter.h adopts the first two members and this class goes away).
class ThrottleRequestContext : public filter::RequestContext {
 public:
  // The client address as the gateway believes it: see throttling::clientIp().
  virtual std::string_view clientIp() const = 0;
  // Adds a field to the response sent downstream (upstream or local).
  virtual void addResponseHeader(std::string_view name, std::string_view value) = 0;
  // Extension point for the subscription and application tiers: the security filter's view of
  // the caller (app id, user, subscription/application/API tiers from the token). nullptr until
  // the security filter provides it; then decide() applies those tiers too.
  virtual const AuthInfo* authInfo() const { return nullptr; }
};

// Epoch-UTC milliseconds from the system clock (all gateways agree on window boundaries).
int64_t systemClockMs();

class ThrottlingFilter final : public filter::Filter {
 public:
  using Clock = std::function<int64_t()>;
  explicit ThrottlingFilter(std::shared_ptr<Throttler> throttler, Clock clock = systemClockMs);
  std::string_view name() const override { return "throttling"; }
  filter::FilterStatus onRequestHeaders(filter::RequestContext& ctx) const override;

 private:
  // The Throttler's counters are atomics: shared mutable state behind a const filter by design.
  std::shared_ptr<Throttler> throttler_;
  Clock clock_;
};

}  // namespace mgw::throttling
