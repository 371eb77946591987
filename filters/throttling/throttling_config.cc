#include "filters/throttling/throttling_config.h"

#include <string>
#include <utility>

#include "mgw/base/log.h"
#include "mgw/base/strings.h"

namespace mgw::throttling {

namespace {

constexpr std::string_view kBlocking = "throttlingConfig.blockingConditions";
constexpr std::string_view kRedis = "throttlingConfig.redis.";

std::string sourceOf(const config::GatewayConfig& config, const std::string& key) {
  if (auto it = config.sources.find(toLower(key)); it != config.sources.end())
    return it->second + ": ";
  return "";
}

Error badValue(const config::GatewayConfig& config, const std::string& key, std::string why) {
  return makeError("config.bad_value", sourceOf(config, key) + key + ": " + std::move(why));
}

}  // namespace

Result<std::vector<BlockCondition>> blockingConditionsFromConfig(
    const config::GatewayConfig& config) {
  std::vector<BlockCondition> out;
  const size_t n = config.arrayCount(kBlocking);
  for (size_t i = 0; i < n; ++i) {
    const std::string prefix = std::string(kBlocking) + "." + std::to_string(i) + ".";
    if (!config.getBool(prefix + "enabled", true))
      continue;
    auto c =
        parseBlockCondition(config.getString(prefix + "type"), config.getString(prefix + "value"));
    if (!c)
      return badValue(config, prefix + "type", c.error().message);
    out.push_back(std::move(*c));
  }
  return out;
}

Result<std::optional<GlobalConfig>> globalConfigFromConfig(const config::GatewayConfig& config) {
  const std::string p(kRedis);
  if (!config.getBool(p + "enabled", false))
    return std::optional<GlobalConfig>();
  GlobalConfig g;
  const std::string url = config.getString(p + "url", "redis://127.0.0.1:6379/0");
  auto parsed = parseRedisUrl(url);
  if (!parsed)
    return badValue(config, p + "url", parsed.error().message);
  g.url = std::move(*parsed);
  if (const std::string* pw = config.get(p + "password"); pw != nullptr && !pw->empty())
    g.url.password = *pw;
  auto range = [&](const char* key, int64_t fallback, int64_t lo, int64_t hi,
                   int64_t& out) -> Status {
    const int64_t v = config.getInt(p + key, fallback);
    if (v < lo || v > hi)
      return badValue(config, p + key,
                      "expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi) +
                          ", got " + std::to_string(v));
    out = v;
    return {};
  };
  if (Status s = range("timeoutMillis", g.timeout_ms, 10, 60000, g.timeout_ms); !s)
    return s.error();
  if (Status s = range("syncIntervalMillis", g.sync_interval_ms, 5, 10000, g.sync_interval_ms); !s)
    return s.error();
  if (Status s = range("blockingPollMillis", g.blocking_poll_ms, 50, 600000, g.blocking_poll_ms);
      !s)
    return s.error();
  int64_t slots = static_cast<int64_t>(g.table_slots);
  if (Status s = range("tableSlots", slots, static_cast<int64_t>(CounterTable::kMinSlots),
                       static_cast<int64_t>(CounterTable::kMaxSlots), slots);
      !s)
    return s.error();
  g.table_slots = static_cast<size_t>(slots);
  g.fail_open = config.getBool(p + "failOpen", true);
  g.key_prefix = config.getString(p + "keyPrefix", g.key_prefix);
  if (g.key_prefix.size() > 200)
    return badValue(config, p + "keyPrefix", "longer than 200 bytes");
  return std::optional<GlobalConfig>(std::move(g));
}

Status configureThrottler(Throttler& throttler, const config::GatewayConfig& config) {
  auto conditions = blockingConditionsFromConfig(config);
  if (!conditions)
    return conditions.error();
  const size_t configured = conditions->size();
  throttler.blocking().setConfigured(std::move(*conditions));
  if (configured > 0)
    log::info("throttling.blocking", "blocking conditions configured",
              {{"conditions", std::to_string(configured)}});
  auto global = globalConfigFromConfig(config);
  if (!global)
    return global.error();
  if (*global) {
    const GlobalConfig& g = **global;
    log::info("throttling.global", "global throttling through Redis enabled",
              {{"target", g.url.unix_socket ? "unix:" + g.url.host
                                            : g.url.host + ":" + std::to_string(g.url.port)},
               {"db", std::to_string(g.url.db)},
               {"sync_interval_ms", std::to_string(g.sync_interval_ms)},
               {"fail_open", g.fail_open ? "true" : "false"}});
    throttler.enableGlobal(std::move(**global));
  }
  return {};
}

}  // namespace mgw::throttling
