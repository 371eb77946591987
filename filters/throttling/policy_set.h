// Throttling policies as the gateway enforces them: the policies compiled from `policies.yaml`
// (artifact::Policies) merged over WSO2's shipped built-ins, looked up by section as WSO2's
// runtime map does (`res_<name>`, `app_<name>`, `sub_<name>`; reference wso2-mgw3.md §4).
//
// Windows are fixed and aligned to the clock: a window of a policy starts at epoch-UTC
// milliseconds floored to a multiple of its length (unitTime x timeUnit), so every gateway
// (and every worker thread) agrees on the boundaries without talking to the others.
//
// Immutable after construction; shared read-only by every worker.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/artifact/model.h"

namespace mgw::throttling {

// The name WSO2 compares against before any look-up: a tier named `Unlimited` is never counted,
// in every section, even when policies.yaml defines a policy of that name (throttle_filter.bal
// checks `tier != UNLIMITED_TIER` before `isPolicyExist`).
inline constexpr std::string_view kUnlimitedTier = "Unlimited";
inline constexpr std::string_view kUnauthenticatedTier = "Unauthenticated";
inline constexpr std::string_view kDefaultSubscriptionTier = "Default";

enum class PolicySection { Resource, Application, Subscription };

// WSO2's runtime key prefix: "res_", "app_", "sub_".
std::string_view sectionPrefix(PolicySection section);

// One enforceable policy. `id` is dense (0..size-1) and stable for the life of the PolicySet: the
// counter table keys overflow counters by it.
struct Policy {
  std::string name;
  PolicySection section = PolicySection::Resource;
  uint32_t id = 0;
  int64_t count = 0;      // requests allowed per window (>= 0)
  int64_t window_ms = 0;  // unitTime x timeUnit, >= 1000
  bool stop_on_quota = true;
  bool built_in = false;  // from WSO2's shipped policies.yaml, not redefined by the project
};

// Length of one `timeUnit` in milliseconds (week = 7 d, month = 30 d, year = 365 d as WSO2).
int64_t unitMillis(artifact::TimeUnit unit);
// unitTime x unit, with unitTime < 1 read as 1 and the product saturated at kMaxWindowMs so
// that a hostile or mistyped policy cannot overflow the arithmetic.
int64_t windowLengthMs(int64_t unit_time, artifact::TimeUnit unit);
// ~136 years: window ends are kept in 32-bit epoch seconds by the counter table.
inline constexpr int64_t kMaxWindowMs = int64_t{1} << 42;

// The window that contains `now_ms` (negative clocks are read as 0): [start, end).
struct Window {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
};
Window windowAt(int64_t now_ms, int64_t window_ms);

class PolicySet {
 public:
  // WSO2's shipped policies only (distribution/resources/definitions/policies.yaml).
  PolicySet();
  // The shipped policies, each replaced by a project policy of the same section and name, plus
  // the project's other policies. Duplicates inside a section were refused by `micro-gw build`;
  // if one still arrives, the last definition wins.
  explicit PolicySet(const artifact::Policies& project);

  // nullptr when the section has no policy of that name (the caller answers 500 900809).
  // Never returns a policy for kUnlimitedTier: callers test isUnlimited() first.
  const Policy* find(PolicySection section, std::string_view name) const;
  // Look-up by WSO2's runtime key, e.g. "sub_Gold".
  const Policy* findByKey(std::string_view key) const;
  static bool isUnlimited(std::string_view tier) { return tier == kUnlimitedTier; }

  size_t size() const { return policies_.size(); }
  const std::vector<Policy>& all() const { return policies_; }

 private:
  void add(const artifact::ThrottlePolicy& p, PolicySection section, bool built_in);
  using Index = std::map<std::string, uint32_t, std::less<>>;
  const Index& index(PolicySection section) const;
  Index& index(PolicySection section) {
    return const_cast<Index&>(static_cast<const PolicySet*>(this)->index(section));
  }

  std::vector<Policy> policies_;
  Index resource_;
  Index application_;
  Index subscription_;
};

}  // namespace mgw::throttling
