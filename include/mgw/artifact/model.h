// The compiled API model: what `micro-gw build` writes into the artifact and what the gateway
// serves. The gateway never reads OpenAPI; it only sees these types (see ARCHITECTURE.md §1).
// Plain value types, no behaviour; immutable once loaded (shared read-only by all workers).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mgw::artifact {

// Where a definition came from, for runtime messages that point at the source.
struct SourceRef {
  std::string file;  // path relative to the project
  int line = 0;      // 1-based; 0 = unknown
};

enum class EndpointType { Http, LoadBalance, Failover };

struct EndpointUrl {
  std::string url;       // default URL (for etcd(...) the default)
  std::string etcd_key;  // non-empty for `etcd(<key>,<defaultUrl>)`
};

struct RetryConfig {
  int count = 0;
  int64_t interval_ms = 0;
  double back_off_factor = 1.0;
  int64_t max_wait_interval_ms = 0;
  std::vector<int> status_codes;
};

struct CircuitBreakerConfig {
  int request_volume_threshold = 10;
  int64_t time_window_ms = 60000;
  int64_t bucket_size_ms = 10000;
  double failure_threshold = 0.0;
  int64_t reset_time_ms = 0;
  std::vector<int> status_codes;
};

struct PoolConfig {
  int max_active_connections = -1;
  int max_idle_connections = 100;
  int64_t wait_time_ms = 30000;
  int max_active_streams_per_connection = 50;
};

struct AdvanceEndpointConfig {
  std::optional<int64_t> timeout_ms;  // WSO2 default 60000 applies when absent
  std::optional<RetryConfig> retry;
  std::optional<CircuitBreakerConfig> circuit_breaker;
  std::optional<PoolConfig> pool;
};

// Outbound credentials of an endpoint (`securityConfig`). The password is normally injected at
// run time (`<ep>_<prod|sand>_basic_password`); one written in the definition is kept.
struct EndpointSecurity {
  std::string type;  // "basic"
  std::string username;
  std::string password;
};

// A named endpoint. `name` is the runtime key prefix used by WSO2's overrides
// `<name>_<prod|sand>_endpoint_<i>`: the `x-wso2-endpoints` reference name, or
// `api_<sha256hex(title:version)>` for inline API-level endpoints, or a generated per-operation
// name for inline operation endpoints.
struct Endpoint {
  std::string name;
  EndpointType type = EndpointType::Http;
  std::vector<EndpointUrl> urls;
  std::optional<EndpointSecurity> security;
  AdvanceEndpointConfig advance;
};

// Index into Artifact::endpoints, per side. Empty = no endpoint on that side.
struct EndpointRefs {
  std::optional<uint32_t> production;
  std::optional<uint32_t> sandbox;
};

enum class InterceptorKind {
  Function,  // a function name, to be provided as Lua (later issue); `.bal` today
  Module,    // `org/module[/ver]:fn` Ballerina module function — cannot run here
  Java,      // `java:<fqcn>` — cannot run here
};

struct Interceptor {
  std::string ref;  // as written in the definition
  InterceptorKind kind = InterceptorKind::Function;
};

// One authentication scheme accepted by a resource (OR semantics across the list).
struct AuthScheme {
  enum class Type { OAuth2, Basic, ApiKey } type = Type::OAuth2;
  std::string name;      // OpenAPI securitySchemes name (empty when synthesised)
  std::string in;        // api key: "header" | "query"
  std::string key_name;  // api key: header or query parameter name
};

struct Cors {
  std::vector<std::string> allow_origins;
  bool allow_credentials = false;
  std::vector<std::string> allow_headers;
  std::vector<std::string> allow_methods;
};

struct ResponseCache {
  bool enabled = false;
  int64_t timeout_seconds = 300;
};

enum class MutualSsl { None, Mandatory, Optional };

struct Resource {
  std::string path_template;  // as in the definition, e.g. "/pet/{petId}"
  std::string method;         // upper case: GET, POST, ...
  std::string operation_id;
  EndpointRefs endpoints;  // already resolved: operation-level, else API-level
  bool disable_security = false;
  std::vector<AuthScheme> auth;  // effective schemes; empty with !disable_security = oauth2
  bool app_security_optional = false;
  std::vector<std::string> scopes;                      // any-of
  std::string throttling_tier;                          // resource tier ("" = none)
  std::vector<Interceptor> request_interceptors;        // effective order: API then resource
  std::vector<Interceptor> response_interceptors;       // effective order: resource then API
  std::string request_schema;                           // JSON Schema as JSON text ("" = none)
  std::map<std::string, std::string> response_schemas;  // status ("200", "default") -> schema
  SourceRef source;
};

struct Api {
  std::string name;     // info.title
  std::string version;  // info.version
  std::string base_path;
  std::string owner;
  std::vector<std::string> transports;  // subset of {"http","https"}
  MutualSsl mutual_ssl = MutualSsl::None;
  std::string auth_header;      // x-wso2-auth-header ("" = [authConfig] authorizationHeader)
  std::string throttling_tier;  // API tier ("" = none)
  std::optional<Cors> cors;
  ResponseCache response_cache;
  EndpointRefs endpoints;  // API-level, for inspect; resources carry the effective ones
  std::vector<Resource> resources;
  SourceRef source;
};

enum class TimeUnit { Second, Minute, Hour, Day, Week, Month, Year };

struct ThrottlePolicy {
  std::string name;
  int64_t count = 0;
  int64_t unit_time = 1;
  TimeUnit time_unit = TimeUnit::Minute;
  bool stop_on_quota = true;
};

struct Policies {
  std::vector<ThrottlePolicy> resource;
  std::vector<ThrottlePolicy> application;
  std::vector<ThrottlePolicy> subscription;
};

struct Artifact {
  std::string project;
  std::string toolkit_version;
  std::vector<Api> apis;
  std::vector<Endpoint> endpoints;
  Policies policies;
  std::map<std::string, std::string> interceptor_sources;  // project-relative path -> text
};

}  // namespace mgw::artifact
