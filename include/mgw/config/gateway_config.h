// Runtime configuration: `micro-gw.conf` (TOML, WSO2 keys), overridden by MGW_* environment
// variables, overridden by `--section.key=value` flags. Loaded once at start; immutable after.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/base/result.h"

namespace mgw::config {

// An IPv4 or IPv6 network, e.g. 10.0.0.0/8 or ::1/128.
struct Cidr {
  bool v6 = false;
  uint8_t addr[16] = {};
  int prefix = 0;
  // `addr16` is an IPv4 address in the first 4 bytes (v6=false) or an IPv6 address.
  bool contains(bool is_v6, const uint8_t* addr16) const;
};
Result<Cidr> parseCidr(std::string_view text);

enum class KeepAlive { Auto, Always, Never };

struct ListenerConfig {
  std::string host = "0.0.0.0";
  int http_port = 9090;
  int https_port = 9095;
  int token_listener_port = 9096;
  KeepAlive keep_alive = KeepAlive::Auto;
  int max_pipelined_requests = 10;
  int64_t max_uri_length = 4096;              // 414 above
  int64_t max_header_size = 8192;             // 431 above (WSO2 answered 413)
  int64_t max_header_count = 100;             // 431 above
  int64_t max_entity_body_size = -1;          // -1 = unlimited; 413 above
  int64_t request_header_timeout_ms = 30000;  // total deadline for the request head -> 408
  int64_t body_idle_timeout_ms = 60000;       // no body bytes for this long -> 408 / close
  int64_t keep_alive_timeout_ms = 60000;      // idle keep-alive connection closed after this
  std::vector<Cidr> trusted_proxies;          // peers whose X-Forwarded-For is believed
};

struct ServerConfig {
  int workers = 0;                    // 0 = number of cores
  int64_t shutdown_grace_ms = 10000;  // SIGTERM drain period
  std::string log_level = "INFO";
  bool log_json = false;
};

struct GatewayConfig {
  ListenerConfig listener;
  ServerConfig server;
  // Every configuration value as a flat, normalised key ("listenerconfig.httpport",
  // "b7a.users.alice.password", top-level "myep_prod_endpoint_0") -> string form. Later issues
  // read their sections through get*() instead of growing this struct blindly.
  std::map<std::string, std::string> values;
  // TOML arrays keep their elements here (same lowercase key); `values` holds them joined with
  // ",". Env/flag values are single strings and are split on "," by getList().
  std::map<std::string, std::vector<std::string>> lists;
  // Where each entry of `values` came from: "path:line:col", "env NAME" or "flag --key".
  std::map<std::string, std::string> sources;
  // WSO2 endpoint overrides (`<ep>_<prod|sand>_endpoint_<i>`, `..._basic_username|password`,
  // `<ep>_<prod|sand>_<i>_etcdKey`) with their ORIGINAL case: endpoint names are case-sensitive
  // in WSO2. They are in `values` too (lowercased).
  std::map<std::string, std::string> endpoint_overrides;
  std::string config_file;  // file that was loaded, empty when defaults only

  const std::string* get(std::string_view key) const;  // key matched case-insensitively
  // Elements of an array value (or of a comma-separated string), trimmed, empty ones dropped.
  std::vector<std::string> getList(std::string_view key) const;
  // Number of entries of an array of tables, e.g. arrayCount("jwtTokenConfig") for
  // `jwttokenconfig.0.*`, `jwttokenconfig.1.*` (highest index + 1; 0 when absent).
  size_t arrayCount(std::string_view prefix) const;
  // Exact-case lookup in endpoint_overrides first, then case-insensitive in `values`.
  const std::string* getEndpointOverride(std::string_view key) const;
  // Typed getters; load() already type-checked every known key, so these only fall back to
  // `fallback` when the key is absent (or, for unknown keys, unparsable).
  std::string getString(std::string_view key, std::string_view fallback = {}) const;
  int64_t getInt(std::string_view key, int64_t fallback) const;
  double getDouble(std::string_view key, double fallback) const;
  bool getBool(std::string_view key, bool fallback) const;
};

struct LoadOptions {
  std::optional<std::string> config_path;  // --config; else $MGW_CONF_DIR/conf/micro-gw.conf
  std::vector<std::string> overrides;      // "--a.b=c" arguments (leading dashes removed or not)
  bool use_environment = true;             // read MGW_* variables
};

// Loads, merges and type-checks. Unknown keys warn (log); wrong types, a missing explicit
// config file or bad values are errors ("config.*" reasons) and stop the start.
Result<GatewayConfig> load(const LoadOptions& options);

}  // namespace mgw::config
