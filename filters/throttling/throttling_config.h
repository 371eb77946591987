// `[throttlingConfig]` keys of ours beyond the local mode (docs/throttling.md):
//
//   [[throttlingConfig.blockingConditions]]   type = "API"|"APPLICATION"|"USER"|"IP"|"IPRANGE",
//                                             value = "...", enabled = true (default)
//   [throttlingConfig.redis]                  enabled, url, password, timeoutMillis, failOpen,
//                                             syncIntervalMillis, blockingPollMillis, keyPrefix,
//                                             tableSlots
//
// Applied once at start, before the workers run. Every bad value is an error naming the key
// (the gateway refuses to start): a typo in a blocking condition must not silently unblock.
#pragma once

#include "filters/throttling/throttler.h"
#include "mgw/base/result.h"
#include "mgw/config/gateway_config.h"

namespace mgw::throttling {

// Configured blocking conditions, in file order (disabled ones skipped).
Result<std::vector<BlockCondition>> blockingConditionsFromConfig(
    const config::GatewayConfig& config);
// The `[throttlingConfig.redis]` table; nullopt when `enabled` is false (the default).
Result<std::optional<GlobalConfig>> globalConfigFromConfig(const config::GatewayConfig& config);

// Both of the above, applied to `throttler` (the sync thread is not started: startGlobal()).
Status configureThrottler(Throttler& throttler, const config::GatewayConfig& config);

}  // namespace mgw::throttling
