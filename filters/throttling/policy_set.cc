#include "filters/throttling/policy_set.h"

namespace mgw::throttling {

namespace {

using artifact::ThrottlePolicy;
using artifact::TimeUnit;

ThrottlePolicy perMinute(std::string name, int64_t count) {
  ThrottlePolicy p;
  p.name = std::move(name);
  p.count = count;
  p.unit_time = 1;
  p.time_unit = TimeUnit::Minute;
  p.stop_on_quota = true;
  return p;
}

// WSO2 API Microgateway 3.x distribution/resources/definitions/policies.yaml.
artifact::Policies shippedPolicies() {
  artifact::Policies p;
  p.resource = {perMinute("50kPerMin", 50000), perMinute("20kPerMin", 20000),
                perMinute("10kPerMin", 10000)};
  p.application = {perMinute("50PerMin", 50), perMinute("20PerMin", 20), perMinute("10PerMin", 10)};
  p.subscription = {perMinute("Gold", 5000), perMinute("Silver", 2000), perMinute("Bronze", 10),
                    perMinute(std::string(kUnauthenticatedTier), 500),
                    perMinute(std::string(kDefaultSubscriptionTier), 500)};
  return p;
}

}  // namespace

std::string_view sectionPrefix(PolicySection section) {
  switch (section) {
    case PolicySection::Resource:
      return "res_";
    case PolicySection::Application:
      return "app_";
    case PolicySection::Subscription:
      return "sub_";
  }
  return "res_";
}

int64_t unitMillis(TimeUnit unit) {
  constexpr int64_t kSec = 1000;
  constexpr int64_t kDay = 86400 * kSec;
  switch (unit) {
    case TimeUnit::Second:
      return kSec;
    case TimeUnit::Minute:
      return 60 * kSec;
    case TimeUnit::Hour:
      return 3600 * kSec;
    case TimeUnit::Day:
      return kDay;
    case TimeUnit::Week:
      return 7 * kDay;
    case TimeUnit::Month:
      return 30 * kDay;
    case TimeUnit::Year:
      return 365 * kDay;
  }
  return 60 * kSec;
}

int64_t windowLengthMs(int64_t unit_time, TimeUnit unit) {
  const int64_t u = unitMillis(unit);
  if (unit_time < 1)
    unit_time = 1;
  if (unit_time > kMaxWindowMs / u)
    return kMaxWindowMs;
  return unit_time * u;
}

Window windowAt(int64_t now_ms, int64_t window_ms) {
  if (now_ms < 0)
    now_ms = 0;
  if (window_ms < 1)
    window_ms = 1;
  Window w;
  w.start_ms = now_ms - now_ms % window_ms;
  w.end_ms = w.start_ms + window_ms;
  return w;
}

PolicySet::PolicySet() : PolicySet(artifact::Policies{}) {}

PolicySet::PolicySet(const artifact::Policies& project) {
  const artifact::Policies shipped = shippedPolicies();
  auto addSection = [&](const std::vector<ThrottlePolicy>& base,
                        const std::vector<ThrottlePolicy>& own, PolicySection section) {
    for (const ThrottlePolicy& p : base)
      add(p, section, true);
    for (const ThrottlePolicy& p : own)
      add(p, section, false);
  };
  addSection(shipped.resource, project.resource, PolicySection::Resource);
  addSection(shipped.application, project.application, PolicySection::Application);
  addSection(shipped.subscription, project.subscription, PolicySection::Subscription);
}

void PolicySet::add(const ThrottlePolicy& p, PolicySection section, bool built_in) {
  if (isUnlimited(p.name))
    return;  // never enforced, see kUnlimitedTier
  Index& idx = index(section);
  Policy policy;
  policy.name = p.name;
  policy.section = section;
  policy.count = p.count < 0 ? 0 : p.count;
  policy.window_ms = windowLengthMs(p.unit_time, p.time_unit);
  // stopOnQuota is honoured for subscription policies only (reference §4).
  policy.stop_on_quota = section == PolicySection::Subscription ? p.stop_on_quota : true;
  policy.built_in = built_in;
  auto it = idx.find(p.name);
  if (it != idx.end()) {
    // Redefinition keeps the id so that ids stay dense.
    policy.id = it->second;
    policies_[it->second] = std::move(policy);
    return;
  }
  policy.id = static_cast<uint32_t>(policies_.size());
  idx.emplace(p.name, policy.id);
  policies_.push_back(std::move(policy));
}

const PolicySet::Index& PolicySet::index(PolicySection section) const {
  switch (section) {
    case PolicySection::Application:
      return application_;
    case PolicySection::Subscription:
      return subscription_;
    case PolicySection::Resource:
      break;
  }
  return resource_;
}

const Policy* PolicySet::find(PolicySection section, std::string_view name) const {
  const auto& idx = index(section);
  auto it = idx.find(name);
  return it == idx.end() ? nullptr : &policies_[it->second];
}

const Policy* PolicySet::findByKey(std::string_view key) const {
  for (PolicySection s :
       {PolicySection::Resource, PolicySection::Application, PolicySection::Subscription}) {
    std::string_view prefix = sectionPrefix(s);
    if (key.substr(0, prefix.size()) == prefix)
      return find(s, key.substr(prefix.size()));
  }
  return nullptr;
}

}  // namespace mgw::throttling
