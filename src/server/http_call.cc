#include "server/http_call.h"

#include <boost/asio/post.hpp>

#include "server/worker.h"

namespace mgw::server {

void startHttpCall(Worker& worker, filter::HttpCallRequest request, filter::HttpCallback cb) {
  (void)request;
  boost::asio::post(worker.io(), [cb = std::move(cb)] {
    cb(Error{"http_call.unavailable", "outbound HTTP calls from filters are not implemented yet"});
  });
}

}  // namespace mgw::server
