#include "openapi/policies.h"

#include <array>
#include <set>

#include "mgw/base/strings.h"
#include "openapi/yaml_source.h"

namespace mgw::openapi {
namespace {

using artifact::Policies;
using artifact::ThrottlePolicy;
using artifact::TimeUnit;

constexpr std::string_view kShipped = R"(# Throttling policies (WSO2 API Microgateway format).
# resourcePolicies: API-level and resource-level tiers (x-wso2-throttling-tier).
# applicationPolicies / subscriptionPolicies: tiers named by access tokens.
# timeUnit: sec | min | hour | day | week | month | year (case-insensitive).
resourcePolicies:
  - 50kPerMin:
      count: 50000
      unitTime: 1
      timeUnit: min
  - 20kPerMin:
      count: 20000
      unitTime: 1
      timeUnit: min
  - 10kPerMin:
      count: 10000
      unitTime: 1
      timeUnit: min
applicationPolicies:
  - 50PerMin:
      count: 50
      unitTime: 1
      timeUnit: min
  - 20PerMin:
      count: 20
      unitTime: 1
      timeUnit: min
  - 10PerMin:
      count: 10
      unitTime: 1
      timeUnit: min
subscriptionPolicies:
  - Gold:
      count: 5000
      unitTime: 1
      timeUnit: min
  - Silver:
      count: 2000
      unitTime: 1
      timeUnit: min
  - Bronze:
      count: 10
      unitTime: 1
      timeUnit: min
  - Unauthenticated:
      count: 500
      unitTime: 1
      timeUnit: min
  - Default:
      count: 500
      unitTime: 1
      timeUnit: min
)";

ThrottlePolicy perMin(std::string name, int64_t count) {
  ThrottlePolicy p;
  p.name = std::move(name);
  p.count = count;
  return p;
}

std::optional<TimeUnit> parseTimeUnit(std::string_view s) {
  std::string u = toLower(s);
  if (u == "sec" || u == "second" || u == "seconds")
    return TimeUnit::Second;
  if (u == "min" || u == "minute" || u == "minutes")
    return TimeUnit::Minute;
  if (u == "hour" || u == "hours")
    return TimeUnit::Hour;
  if (u == "day" || u == "days")
    return TimeUnit::Day;
  if (u == "week" || u == "weeks")
    return TimeUnit::Week;
  if (u == "month" || u == "months")
    return TimeUnit::Month;
  if (u == "year" || u == "years")
    return TimeUnit::Year;
  return std::nullopt;
}

std::optional<ThrottlePolicy> parsePolicy(Diagnostics& d, const std::string& name,
                                          const Cursor& body) {
  if (!body.isMap()) {
    d.error(body, "policy '" + name + "' must be a map {count, unitTime, timeUnit, stopOnQuota}");
    return std::nullopt;
  }
  ThrottlePolicy p;
  p.name = name;
  bool ok = true;
  bool has_count = false;
  bool has_unit = false;
  for (const auto& [key, value] : body.members()) {
    if (key == "count") {
      auto v = readInt(d, value, 0, INT64_MAX);
      ok = ok && v.has_value();
      if (v)
        p.count = *v;
      has_count = true;
    } else if (key == "unitTime") {
      auto v = readInt(d, value, 1, INT32_MAX);
      ok = ok && v.has_value();
      if (v)
        p.unit_time = *v;
    } else if (key == "timeUnit") {
      has_unit = true;
      std::optional<TimeUnit> u = value.isScalar() ? parseTimeUnit(value.scalar()) : std::nullopt;
      if (!u) {
        d.error(value, "unknown timeUnit" +
                           (value.isScalar() ? " '" + value.scalar() + "'" : std::string()) +
                           ": expected sec, min, hour, day, week, month or year");
        ok = false;
      } else {
        p.time_unit = *u;
      }
    } else if (key == "stopOnQuota") {
      auto v = readBool(d, value);
      ok = ok && v.has_value();
      if (v)
        p.stop_on_quota = *v;
    } else {
      d.error(value, "unknown policy key '" + key +
                         "': expected count, unitTime, timeUnit or stopOnQuota");
      ok = false;
    }
  }
  if (!has_count) {
    d.error(body, "policy '" + name + "' has no count");
    ok = false;
  }
  if (!has_unit) {
    d.error(body, "policy '" + name + "' has no timeUnit");
    ok = false;
  }
  if (!ok)
    return std::nullopt;
  return p;
}

void mergeSection(Diagnostics& d, const Cursor& list, std::vector<ThrottlePolicy>& out) {
  if (list.isNull())
    return;
  if (!list.isSeq()) {
    d.error(list, "expected a list of `- <name>: {count, unitTime, timeUnit}` entries");
    return;
  }
  std::set<std::string> seen;
  for (const Cursor& item : list.items()) {
    auto members = item.members();
    if (!item.isMap() || members.size() != 1) {
      d.error(item, "expected one `<name>: {count, unitTime, timeUnit}` entry");
      continue;
    }
    const auto& [name, body] = members.front();
    if (name.empty()) {
      d.error(item, "empty policy name");
      continue;
    }
    if (!seen.insert(name).second) {
      d.error(item, "duplicate policy '" + name + "'");
      continue;
    }
    std::optional<ThrottlePolicy> p = parsePolicy(d, name, body);
    if (!p)
      continue;
    bool replaced = false;
    for (ThrottlePolicy& existing : out) {
      if (existing.name == name) {
        existing = *p;
        replaced = true;
      }
    }
    if (!replaced)
      out.push_back(std::move(*p));
  }
}

}  // namespace

std::string_view shippedPoliciesYaml() {
  return kShipped;
}

Policies shippedPolicies() {
  Policies p;
  p.resource = {perMin("50kPerMin", 50000), perMin("20kPerMin", 20000), perMin("10kPerMin", 10000)};
  p.application = {perMin("50PerMin", 50), perMin("20PerMin", 20), perMin("10PerMin", 10)};
  p.subscription = {perMin("Gold", 5000), perMin("Silver", 2000), perMin("Bronze", 10),
                    perMin("Unauthenticated", 500), perMin("Default", 500)};
  return p;
}

bool isBuiltinTier(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kBuiltin = {
      "Unlimited", "Default", "Unauthenticated", "50kPerMin", "20kPerMin", "10kPerMin",
      "Gold",      "Silver",  "Bronze",          "50PerMin",  "20PerMin",  "10PerMin"};
  for (std::string_view b : kBuiltin) {
    if (b == name)
      return true;
  }
  return false;
}

Policies compilePolicies(DocumentStore& store, Diagnostics& diags, const std::string& rel_path) {
  Policies out = shippedPolicies();
  const Document* doc = store.load(rel_path, nullptr);
  if (doc == nullptr)
    return out;
  Cursor root = Cursor::root(*doc);
  if (root.isNull())
    return out;
  if (!root.isMap()) {
    diags.error(root,
                "policies.yaml must be a map of resourcePolicies, applicationPolicies, "
                "subscriptionPolicies");
    return out;
  }
  for (const auto& [key, value] : root.members()) {
    if (key == "resourcePolicies") {
      mergeSection(diags, value, out.resource);
    } else if (key == "applicationPolicies") {
      mergeSection(diags, value, out.application);
    } else if (key == "subscriptionPolicies") {
      mergeSection(diags, value, out.subscription);
    } else {
      diags.error(value, "unknown section '" + key +
                             "': expected resourcePolicies, applicationPolicies or "
                             "subscriptionPolicies");
    }
  }
  return out;
}

std::string_view timeUnitName(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::Second:
      return "sec";
    case TimeUnit::Minute:
      return "min";
    case TimeUnit::Hour:
      return "hour";
    case TimeUnit::Day:
      return "day";
    case TimeUnit::Week:
      return "week";
    case TimeUnit::Month:
      return "month";
    case TimeUnit::Year:
      return "year";
  }
  return "min";
}

}  // namespace mgw::openapi
