// WSO2-style sample definitions (modelled on WSO2's integration-test definitions) and the
// examples/petstore project build unchanged.
#include <gtest/gtest.h>

#include "test_util.h"

namespace mgw::openapi::testing {
namespace {

using artifact::AuthScheme;
using artifact::EndpointType;

CompileOutput compileDir(const std::string& dir) {
  auto in = scanProjectDir(dir);
  EXPECT_TRUE(in.ok());
  return compileProject(*in, "test");
}

TEST(Samples, Wso2ProjectBuildsUnchanged) {
  CompileOutput out = compileDir(MGW_OPENAPI_FIXTURES "/wso2_project");
  EXPECT_CLEAN(out);
  EXPECT_EQ(out.artifact.project, "wso2_project");
  ASSERT_EQ(out.artifact.apis.size(), 6u);
  // Sorted by file name.
  EXPECT_EQ(out.artifact.apis[0].name, "AdvanceEndpoint");
  EXPECT_EQ(out.artifact.apis[1].name, "PetStoreAPI");

  const artifact::Api* pet = findApi(out, "PetStoreAPI");
  ASSERT_NE(pet, nullptr);
  EXPECT_EQ(pet->base_path, "/petstore/v1");
  EXPECT_EQ(pet->throttling_tier, "15PerMin");
  const auto* put = findResource(*pet, "PUT", "/pet");
  ASSERT_NE(put, nullptr);
  EXPECT_TRUE(put->disable_security);
  EXPECT_EQ(put->throttling_tier, "");  // discarded: the API has a tier
  const auto* post = findResource(*pet, "POST", "/pet");
  ASSERT_NE(post, nullptr);
  ASSERT_EQ(post->auth.size(), 3u);
  EXPECT_EQ(post->scopes, (std::vector<std::string>{"write:petsNew"}));
  EXPECT_NE(post->request_schema.find("\"required\":[\"name\",\"photoUrls\"]"), std::string::npos);
  const auto* inv = findResource(*pet, "GET", "/store/inventory");
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(out.artifact.endpoints.at(*inv->endpoints.production).type, EndpointType::Failover);
  const auto* tags = findResource(*pet, "GET", "/pet/findByTags");
  EXPECT_EQ(out.artifact.endpoints.at(*tags->endpoints.production).type, EndpointType::LoadBalance);
  const auto* byId = findResource(*pet, "GET", "/pet/{petId}");
  ASSERT_EQ(byId->auth.size(), 3u);
  EXPECT_EQ(byId->auth[1].key_name, "api_key_query");
  EXPECT_TRUE(mentions(out, "warning: resource tier 'NonExistingPolicy' is ignored")) << dump(out);

  const artifact::Api* refs = findApi(out, "EndpointsByReference");
  ASSERT_NE(refs, nullptr);
  const auto* order = findResource(*refs, "POST", "/order");
  EXPECT_EQ(out.artifact.endpoints.at(*order->endpoints.production).name, "myEndpoint3");
  EXPECT_EQ(out.artifact.endpoints.at(*order->endpoints.sandbox).name, "myEndpoint2");
  const auto* byOrder = findResource(*refs, "GET", "/order/{orderId}");
  const auto& ep4 = out.artifact.endpoints.at(*byOrder->endpoints.sandbox);
  EXPECT_EQ(ep4.name, "myEndpoint4");
  ASSERT_TRUE(ep4.security.has_value());
  EXPECT_EQ(ep4.security->username, "admin");

  const artifact::Api* dis = findApi(out, "DisableSecurity");
  ASSERT_NE(dis, nullptr);
  EXPECT_EQ(dis->base_path, "/petstore/v2");
  EXPECT_EQ(dis->auth_header, "auth");
  EXPECT_TRUE(findResource(*dis, "GET", "/pet/findByStatus")->disable_security);
  const auto* secured = findResource(*dis, "GET", "/pet/{petId}");
  EXPECT_FALSE(secured->disable_security);
  EXPECT_EQ(secured->auth.at(0).type, AuthScheme::Type::Basic);
  const auto* scoped = findResource(*dis, "POST", "/pet/{petId}");
  EXPECT_EQ(scoped->scopes, (std::vector<std::string>{"write:pets"}));
  EXPECT_NE(scoped->request_schema.find("\"required\":[\"name\"]"), std::string::npos);

  const artifact::Api* icp = findApi(out, "InterceptorAPI");
  ASSERT_NE(icp, nullptr);
  EXPECT_EQ(icp->mutual_ssl, artifact::MutualSsl::Mandatory);
  EXPECT_EQ(icp->transports, (std::vector<std::string>{"https"}));
  ASSERT_TRUE(icp->cors.has_value());
  EXPECT_EQ(icp->cors->allow_origins, (std::vector<std::string>{"test.com"}));
  EXPECT_TRUE(icp->response_cache.enabled);
  const auto& r = icp->resources.at(0);
  EXPECT_TRUE(r.app_security_optional);
  EXPECT_EQ(r.request_interceptors.at(0).ref, "validateRequest");
  ASSERT_EQ(r.response_interceptors.size(), 2u);
  EXPECT_EQ(r.response_interceptors[1].ref, "validateResponse");
  EXPECT_EQ(out.artifact.interceptor_sources.size(), 2u);

  const artifact::Api* etcd = findApi(out, "EtcdAPI");
  ASSERT_NE(etcd, nullptr);
  EXPECT_EQ(out.artifact.endpoints.at(*etcd->endpoints.production).urls.at(0).etcd_key,
            "pizzashackprod");
  EXPECT_EQ(etcd->owner, "admin");
  EXPECT_EQ(etcd->resources.at(0).throttling_tier, "10kPerMin");

  // Shipped Gold/Silver/Bronze/Unauthenticated/Default (two redefined) + Unlimited +
  // allowOnLimitExceed.
  EXPECT_EQ(out.artifact.policies.subscription.size(), 7u);
}

TEST(Samples, ExamplePetstoreBuildsWithoutWarnings) {
  CompileOutput out = compileDir(MGW_EXAMPLES_DIR "/petstore");
  EXPECT_CLEAN(out);
  EXPECT_EQ(out.warningCount(), 0u) << dump(out);
  ASSERT_EQ(out.artifact.apis.size(), 1u);
  const auto& api = out.artifact.apis[0];
  EXPECT_EQ(api.base_path, "/petstore/v1");
  EXPECT_EQ(out.artifact.endpoints.at(*api.endpoints.production).name, "petstore");
  EXPECT_TRUE(findResource(api, "GET", "/pet/{petId}")->disable_security);
  EXPECT_FALSE(findResource(api, "GET", "/store/inventory")->disable_security);
}

TEST(Samples, BrokenProjectReportsEveryError) {
  CompileOutput out = compileDir(MGW_OPENAPI_FIXTURES "/broken_project");
  EXPECT_EQ(dump(out),
            "api_definitions/one.yaml:6:26: /x-wso2-disable-security: expected a boolean (true or "
            "false), got 'nope'\n"
            "api_definitions/one.yaml:9:5: /paths/~1a/get: no endpoint for GET /a: set "
            "x-wso2-production-endpoints or x-wso2-sandbox-endpoints on the API or the operation "
            "(or OpenAPI 3 servers)\n"
            "api_definitions/two.yaml:5:18: /x-wso2-basePath: duplicate base path '/broken': "
            "already used by api_definitions/one.yaml\n");
}

TEST(Samples, MissingProjectDirectory) {
  auto in = scanProjectDir("/nonexistent/project/dir");
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.error().reason, "project.not_found");
}

}  // namespace
}  // namespace mgw::openapi::testing
