#include "filters/throttling/throttling_filter.h"

#include <chrono>
#include <utility>

namespace mgw::throttling {

int64_t systemClockMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

ThrottlingFilter::ThrottlingFilter(std::shared_ptr<Throttler> throttler, Clock clock)
    : throttler_(std::move(throttler)), clock_(std::move(clock)) {}

filter::FilterStatus ThrottlingFilter::onRequestHeaders(filter::RequestContext& ctx) const {
  auto* rich = dynamic_cast<ThrottleRequestContext*>(&ctx);
  RequestInfo req;
  req.api = &ctx.api();
  req.resource = &ctx.resource();
  req.now_ms = clock_();
  req.client_ip = rich != nullptr ? rich->clientIp() : ctx.peerAddress();
  if (rich != nullptr) {
    if (const AuthInfo* auth = rich->authInfo())
      req.auth = *auth;
  }
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
  if (rich != nullptr) {
    for (const http::Header& h : responseHeaders(d, rate_limit))
      rich->addResponseHeader(h.name, h.value);
  }
  return filter::FilterStatus::Continue;
}

}  // namespace mgw::throttling
