// Fail-closed authentication placeholder: until the security filters (JWT, basic, API key, mTLS)
// land, a resource that is not `x-wso2-disable-security: true` never passes. No credentials ->
// 401 900902; credentials that this build cannot verify -> 401 900901.
#pragma once

#include <string>

#include "mgw/filter/filter.h"

namespace mgw::filters {

class FailClosedSecurityFilter final : public filter::Filter {
 public:
  // `default_auth_header`: `[authConfig] authorizationHeader` (default "Authorization").
  explicit FailClosedSecurityFilter(std::string default_auth_header)
      : default_auth_header_(std::move(default_auth_header)) {}
  std::string_view name() const override { return "security"; }
  filter::FilterStatus onRequestHeaders(filter::RequestContext& ctx) const override;

 private:
  std::string default_auth_header_;
};

// True when the query string (without '?') has a parameter named `name` (raw comparison).
bool queryHasParam(std::string_view query, std::string_view name);

}  // namespace mgw::filters
