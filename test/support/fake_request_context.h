// A filter::RequestContext for filter unit tests: the request, the route, the peer and client
// addresses, and everything a filter hands back (local reply, added response fields, the auth
// context, http calls, chain resumption) recorded for the test to assert on.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mgw/filter/filter.h"

namespace mgw::testing {

class FakeRequestContext : public filter::RequestContext {
 public:
  FakeRequestContext(const artifact::Api& api, const artifact::Resource& res,
                     std::string peer = "127.0.0.1", std::string client = {})
      : api_(api), res_(res), peer_(std::move(peer)), client_(std::move(client)) {
    if (client_.empty())
      client_ = peer_;
  }
  const http::RequestHead& request() const override { return head_; }
  http::RequestHead& mutableRequest() override { return head_; }
  const artifact::Api& api() const override { return api_; }
  const artifact::Resource& resource() const override { return res_; }
  std::string_view peerAddress() const override { return peer_; }
  bool secure() const override { return secure_; }
  std::string_view clientIp() const override { return client_; }
  void addResponseHeader(std::string_view name, std::string_view value) override {
    added_.push_back({std::string(name), std::string(value)});
  }
  void sendLocalReply(filter::LocalReply reply) override { reply_ = std::move(reply); }
  const filter::AuthContext* authContext() const override { return auth_ ? &*auth_ : nullptr; }
  void setAuthContext(filter::AuthContext auth) override { auth_ = std::move(auth); }
  const filter::ClientCertificate* clientCertificate() const override {
    return cert_ ? &*cert_ : nullptr;
  }
  // Recorded, not performed: the test answers by calling the callback itself.
  void httpCall(filter::HttpCallRequest request, filter::HttpCallback cb) override {
    calls_.push_back({std::move(request), std::move(cb)});
  }
  void resumeChain() override { ++resumed_; }

  http::RequestHead head_;
  bool secure_ = false;
  std::optional<filter::LocalReply> reply_;
  std::vector<http::Header> added_;
  std::optional<filter::AuthContext> auth_;
  std::optional<filter::ClientCertificate> cert_;
  std::vector<std::pair<filter::HttpCallRequest, filter::HttpCallback>> calls_;
  int resumed_ = 0;

 private:
  const artifact::Api& api_;
  const artifact::Resource& res_;
  std::string peer_;
  std::string client_;
};

}  // namespace mgw::testing
