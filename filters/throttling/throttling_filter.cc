#include "filters/throttling/throttling_filter.h"

#include <chrono>
#include <utility>

namespace mgw::throttling {

int64_t systemClockMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::optional<AuthInfo> authFromContext(const filter::RequestContext& ctx) {
  const filter::AuthContext* a = ctx.authContext();
  if (a == nullptr)
    return std::nullopt;
  AuthInfo info;
  info.app_id = a->app_id;
  info.username = a->username;
  info.subscription_tier = a->subscription_tier;
  info.application_tier = a->app_tier;
  info.api_tier = a->api_tier;
  // WSO2 keys application blocking by `subscriber:applicationName`; the application's owner is
  // that subscriber for self-contained tokens.
  info.app_owner = a->app_owner.empty() ? std::string_view(a->subscriber) : a->app_owner;
  info.app_name = a->app_name;
  return info;
}

ThrottlingFilter::ThrottlingFilter(std::shared_ptr<Throttler> throttler, Clock clock,
                                   AuthInfoLookup auth_info)
    : throttler_(std::move(throttler)),
      clock_(std::move(clock)),
      auth_info_(auth_info ? std::move(auth_info) : AuthInfoLookup(authFromContext)) {}

filter::FilterStatus ThrottlingFilter::onRequestHeaders(filter::RequestContext& ctx) const {
  RequestInfo req;
  req.api = &ctx.api();
  req.resource = &ctx.resource();
  req.now_ms = clock_();
  req.client_ip = ctx.clientIp();
  req.auth = auth_info_(ctx);
  const ThrottleDecision d = throttler_->decide(req);
  const bool rate_limit = throttler_->config().rate_limit_headers;
  if (!d.allowed) {
    filter::LocalReply reply;
    reply.status = d.http_status;
    reply.body = faultBody(d);
    reply.details = std::string(d.reason);
    for (const http::Header& h : responseHeaders(d, rate_limit))
      reply.headers.add(h.name, h.value);
    ctx.sendLocalReply(std::move(reply));
    return filter::FilterStatus::Stop;
  }
  for (const http::Header& h : responseHeaders(d, rate_limit))
    ctx.addResponseHeader(h.name, h.value);
  return filter::FilterStatus::Continue;
}

}  // namespace mgw::throttling
