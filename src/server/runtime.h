// Everything the workers share, built once at start from the artifact and the configuration
// and read-only afterwards: the model, the route table, per-route filter chains, the runtime
// endpoints and the codec limits.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "filters/apikey/issuer.h"
#include "filters/throttling/throttler.h"
#include "mgw/artifact/model.h"
#include "mgw/base/result.h"
#include "mgw/config/gateway_config.h"
#include "mgw/filter/filter.h"
#include "mgw/http/http1_codec.h"
#include "mgw/router/route_table.h"
#include "tls/client_context.h"
#include "tls/server_context.h"
#include "upstream/endpoint.h"

namespace mgw::server {

enum class ListenerKind;

struct Runtime {
  artifact::Artifact artifact;
  config::GatewayConfig config;
  std::unique_ptr<router::RouteTable> routes;
  // The routes a listener serves (x-wso2-transports, token endpoints); see ListenerKind. Same
  // api_index space as `artifact.apis` (and `chains`, `endpoints`).
  const router::RouteTable& routesFor(ListenerKind kind) const;
  // artifact.apis[token_api_begin..] are the synthetic token-endpoint APIs (/authorize, /revoke,
  // /token, /userinfo → [keyManager] serverUrl/tokenContext), appended at start.
  size_t token_api_begin = 0;
  // Per ListenerKind: the API view a table indexes (it must outlive the table) and the table.
  std::array<artifact::Artifact, 3> listener_views;
  std::array<std::unique_ptr<router::RouteTable>, 3> listener_routes;
  // Client TLS for https:// upstreams (endpoints, token endpoints, filter HTTP calls): the trust
  // store of `listener_tls` and `[httpClients]` verification settings. Set after a successful
  // build.
  std::shared_ptr<const tls::ClientContext> upstream_tls;
  http1::Limits limits;
  // chains[api][resource]: the filters run before the request is forwarded.
  std::vector<std::vector<filter::FilterChain>> chains;
  // endpoints[i][side]: artifact endpoint i for production (0) / sandbox (1); null if unused.
  std::vector<std::array<std::unique_ptr<upstream::EndpointRuntime>, 2>> endpoints;
  int64_t max_body_bytes = -1;  // [listenerConfig] maxEntityBodySize
  // The process's one local throttler (policies of the artifact over WSO2's built-ins), shared by
  // every worker and every route's throttling filter: its counters are lock-free atomics, so an
  // N-per-window limit holds across all worker threads.
  std::shared_ptr<throttling::Throttler> throttler;
  // The trust store and the HTTPS / token listeners' TLS context (null without a key store:
  // those listeners are then not started).
  tls::ListenerTls listener_tls;
  // WSO2's `/apikey` issuing endpoint on the HTTPS listener (filters/apikey/issuer.h); null when
  // `[apikey.issuer.tokenConfig] enabled = false`.
  std::shared_ptr<const apikey::ApiKeyIssuer> apikey_issuer;
};

// Builds the runtime; applies endpoint URL overrides from the configuration. Errors name the
// endpoint and key (a bad override URL stops the start).
Result<std::unique_ptr<Runtime>> buildRuntime(artifact::Artifact artifact,
                                              config::GatewayConfig config);

}  // namespace mgw::server
