#include "filters/security/fail_closed_filter.h"

#include "mgw/base/strings.h"

namespace mgw::filters {

bool queryHasParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    std::string_view key = pair.substr(0, pair.find('='));
    if (key == name)
      return true;
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

namespace {

std::string_view queryOf(std::string_view target) {
  size_t q = target.find('?');
  return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

}  // namespace

filter::FilterStatus FailClosedSecurityFilter::onRequestHeaders(filter::RequestContext& ctx) const {
  const artifact::Resource& resource = ctx.resource();
  if (resource.disable_security)
    return filter::FilterStatus::Continue;

  const artifact::Api& api = ctx.api();
  const http::RequestHead& req = ctx.request();
  std::string_view auth_header =
      api.auth_header.empty() ? std::string_view(default_auth_header_) : api.auth_header;

  bool presented = false;
  if (resource.auth.empty()) {
    presented = req.headers.get(auth_header) != nullptr;
  }
  for (const artifact::AuthScheme& scheme : resource.auth) {
    if (scheme.type == artifact::AuthScheme::Type::ApiKey) {
      std::string_view key = scheme.key_name.empty() ? std::string_view("apikey") : scheme.key_name;
      presented |= scheme.in == "query" ? queryHasParam(queryOf(req.target), key)
                                        : req.headers.get(key) != nullptr;
    } else {
      presented |= req.headers.get(auth_header) != nullptr;
    }
  }

  if (!presented) {
    ctx.sendLocalReply(
        filter::faultReply(401, 900902, "Missing Credentials",
                           "Make sure your API request provides required credentials",
                           "security.missing_credentials"));
  } else {
    ctx.sendLocalReply(filter::faultReply(401, 900901, "Invalid Credentials",
                                          "Make sure you have given the correct access token",
                                          "security.unverifiable_credentials"));
  }
  return filter::FilterStatus::Stop;
}

}  // namespace mgw::filters
