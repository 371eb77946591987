#include "filters/interceptor/unsupported_interceptor_filter.h"

namespace mgw::filters {

filter::FilterStatus UnsupportedInterceptorFilter::onRequestHeaders(
    filter::RequestContext& ctx) const {
  ctx.sendLocalReply(filter::faultReply(500, 900808, "Internal server error occured",
                                        "Interceptor '" + ref_ + "' cannot run in this gateway",
                                        "interceptor.unsupported"));
  return filter::FilterStatus::Stop;
}

}  // namespace mgw::filters
