// Internal to lib/openapi: x-wso2-*-endpoints, x-wso2-endpoints and OAS3 servers -> deduplicated
// artifact::Endpoint entries (reference §2).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/artifact/model.h"
#include "openapi/yaml_source.h"

namespace mgw::openapi {

// Why `url` is not an acceptable endpoint URL (absolute http/https, host, optional port 1-65535,
// no userinfo, fragment, whitespace or control characters); nullopt when it is fine.
std::optional<std::string> checkEndpointUrl(std::string_view url);

// The path of a URL ("https://h:1/a/b?q" -> "/a/b"; a relative "/v1" stays "/v1").
std::string urlPath(std::string_view url);

// OAS3 `servers[].url` with `{variables}` replaced by their defaults.
std::vector<std::string> serverUrls(Diagnostics& d, const Cursor& servers);

std::string_view endpointTypeName(artifact::EndpointType t);

// Endpoints of the whole artifact, deduplicated by value.
class EndpointRegistry {
 public:
  explicit EndpointRegistry(Diagnostics& d) : diags_(d) {}
  // Index of `ep`, adding it when no equal endpoint exists. A `named` (x-wso2-endpoints) endpoint
  // whose name is already used with different settings is kept, with a warning at `at`.
  uint32_t intern(artifact::Endpoint ep, const Cursor& at, bool named);
  std::vector<artifact::Endpoint> take() { return std::move(endpoints_); }

 private:
  Diagnostics& diags_;
  std::vector<artifact::Endpoint> endpoints_;
  std::map<std::string, uint32_t> index_;
  std::map<std::string, std::string> named_keys_;
};

// Endpoint declarations of one API.
struct EndpointContext {
  std::string api_name;
  std::string api_version;
  std::map<std::string, artifact::Endpoint> named;  // valid x-wso2-endpoints entries
  std::set<std::string> invalid_named;              // declared, but with reported errors

  void parseNamedEndpoints(Diagnostics& d, const Cursor& list);
  // A production/sandbox value: inline object (named `inline_name`) or
  // "#/x-wso2-endpoints/<name>". nullopt after a reported error.
  std::optional<uint32_t> endpointValue(Diagnostics& d, EndpointRegistry& reg, const Cursor& value,
                                        const std::string& inline_name);
  // An http endpoint on the first absolute http(s) URL among `urls`; nullopt when none.
  std::optional<uint32_t> fromServers(Diagnostics& d, EndpointRegistry& reg,
                                      const std::vector<std::string>& urls, const Cursor& at,
                                      const std::string& name);
};

std::optional<artifact::Endpoint> parseEndpointBody(Diagnostics& d, const Cursor& body,
                                                    std::string name);

}  // namespace mgw::openapi
