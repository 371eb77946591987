// Small buffered HTTP/1.1 exchanges made by filters on a worker's event loop (token
// introspection, key fetches): RequestContext::httpCall.
//
// Threading: runs on the calling worker's io_context; the callback runs there too, never inside
// startHttpCall itself.
#pragma once

#include "mgw/filter/filter.h"

namespace mgw::server {

class Worker;

void startHttpCall(Worker& worker, filter::HttpCallRequest request, filter::HttpCallback cb);

}  // namespace mgw::server
