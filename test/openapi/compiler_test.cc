// Core compilation: OpenAPI 2/3, base paths, resources, endpoints, build errors, determinism.
#include <gtest/gtest.h>

#include "mgw/artifact/artifact_io.h"
#include "mgw/base/strings.h"
#include "test_util.h"

namespace mgw::openapi::testing {
namespace {

using artifact::EndpointType;

TEST(Compiler, MinimalOas3) {
  CompileOutput out = compileOne(oas3(""));
  EXPECT_CLEAN(out);
  EXPECT_EQ(out.warningCount(), 0u) << dump(out);
  ASSERT_EQ(out.artifact.apis.size(), 1u);
  const auto& api = out.artifact.apis[0];
  EXPECT_EQ(out.artifact.project, "proj");
  EXPECT_EQ(out.artifact.toolkit_version, "test");
  EXPECT_EQ(api.name, "Test");
  EXPECT_EQ(api.version, "1.0.0");
  EXPECT_EQ(api.base_path, "/Test");
  EXPECT_EQ(api.transports, (std::vector<std::string>{"http", "https"}));
  EXPECT_EQ(api.source.file, "api_definitions/api.yaml");
  ASSERT_EQ(api.resources.size(), 1u);
  const auto& r = api.resources[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path_template, "/items");
  EXPECT_EQ(r.source.line, 11);  // the `get:` key
  ASSERT_TRUE(r.endpoints.production.has_value());
  EXPECT_FALSE(r.endpoints.sandbox.has_value());
  ASSERT_EQ(out.artifact.endpoints.size(), 1u);
  const auto& ep = out.artifact.endpoints[*r.endpoints.production];
  EXPECT_EQ(ep.name, "api_" + sha256Hex("Test:1.0.0"));
  EXPECT_EQ(ep.type, EndpointType::Http);
  ASSERT_EQ(ep.urls.size(), 1u);
  EXPECT_EQ(ep.urls[0].url, "http://127.0.0.1:8081/v1");
  EXPECT_FALSE(r.disable_security);
  EXPECT_TRUE(r.auth.empty());  // nothing declared: oauth2 at runtime
}

TEST(Compiler, Oas2WithBasePathAndBodyParameter) {
  const char* doc = R"(swagger: "2.0"
info: {title: Legacy, version: "2.1"}
basePath: /legacy/v2/
host: ignored.example.com
schemes: [https]
x-wso2-production-endpoints:
  urls: [http://127.0.0.1:9000/api]
securityDefinitions:
  basicAuth: {type: basic}
  key: {type: apiKey, in: query, name: k}
  oauth: {type: oauth2, flow: implicit, authorizationUrl: "http://a/b", scopes: {read: r}}
security:
  - oauth: [read]
paths:
  /pets:
    parameters:
      - name: body
        in: body
        schema: {$ref: "#/definitions/Pet"}
    post:
      security: [{basicAuth: []}, {key: []}]
      responses:
        "200": {description: ok, schema: {$ref: "#/definitions/Pet"}}
    get:
      responses: {"200": {description: ok}}
definitions:
  Pet:
    type: object
    required: [name]
    properties: {name: {type: string}}
)";
  CompileOutput out = compileOne(doc);
  EXPECT_CLEAN(out);
  ASSERT_EQ(out.artifact.apis.size(), 1u);
  const auto& api = out.artifact.apis[0];
  EXPECT_EQ(api.base_path, "/legacy/v2");
  ASSERT_EQ(api.resources.size(), 2u);
  const auto& post = api.resources[0];
  EXPECT_EQ(post.method, "POST");
  ASSERT_EQ(post.auth.size(), 2u);
  EXPECT_EQ(post.auth[0].type, artifact::AuthScheme::Type::Basic);
  EXPECT_EQ(post.auth[1].type, artifact::AuthScheme::Type::ApiKey);
  EXPECT_EQ(post.auth[1].in, "query");
  EXPECT_EQ(post.auth[1].key_name, "k");
  EXPECT_EQ(post.request_schema,
            R"({"properties":{"name":{"type":"string"}},"required":["name"],"type":"object"})");
  EXPECT_EQ(post.response_schemas.at("200"), post.request_schema);
  const auto& get = api.resources[1];
  ASSERT_EQ(get.auth.size(), 1u);  // root security applies
  EXPECT_EQ(get.auth[0].type, artifact::AuthScheme::Type::OAuth2);
  EXPECT_EQ(get.auth[0].name, "oauth");
  EXPECT_EQ(get.scopes, (std::vector<std::string>{"read"}));
  EXPECT_EQ(get.request_schema,
            R"({"properties":{"name":{"type":"string"}},"required":["name"],"type":"object"})");
}

TEST(Compiler, Oas2WithoutEndpointIsAnError) {
  const char* doc = R"(swagger: "2.0"
info: {title: NoEp, version: "1"}
host: api.example.com
basePath: /noep
paths:
  /a:
    get:
      responses: {"200": {description: ok}}
)";
  CompileOutput out = compileOne(doc);
  EXPECT_TRUE(hasLine(out,
                      "api_definitions/api.yaml:7:5: /paths/~1a/get: no endpoint for GET /a: set "
                      "x-wso2-production-endpoints or x-wso2-sandbox-endpoints on the API or the "
                      "operation (or OpenAPI 3 servers)"))
      << dump(out);
}

TEST(Compiler, Oas3ServersGiveBasePathAndEndpoint) {
  const char* doc = R"(openapi: 3.0.3
info: {title: Srv, version: "1"}
servers:
  - url: "{scheme}://backend.local:{port}/srv/v1"
    variables:
      scheme: {default: https, enum: [http, https]}
      port: {default: "8443"}
  - url: http://backend.local/srv/v1
paths:
  /a:
    get:
      responses: {"200": {description: ok}}
    put:
      servers: [{url: "http://other.local:81/x"}]
      responses: {"200": {description: ok}}
)";
  CompileOutput out = compileOne(doc);
  EXPECT_CLEAN(out);
  const auto& api = out.artifact.apis.at(0);
  EXPECT_EQ(api.base_path, "/srv/v1");
  const auto& get = api.resources.at(0);
  const auto& ep = out.artifact.endpoints.at(*get.endpoints.production);
  ASSERT_EQ(ep.urls.size(), 1u);  // servers are alternatives: the first one is used
  EXPECT_EQ(ep.urls[0].url, "https://backend.local:8443/srv/v1");
  EXPECT_EQ(ep.name, "api_" + sha256Hex("Srv:1"));
  const auto& put = api.resources.at(1);
  const auto& op_ep = out.artifact.endpoints.at(*put.endpoints.production);
  EXPECT_EQ(op_ep.urls[0].url, "http://other.local:81/x");
  EXPECT_EQ(op_ep.name, "res_" + sha256Hex("Srv:1:PUT:/a").substr(0, 16));
}

TEST(Compiler, RelativeServerGivesBasePathOnly) {
  const char* doc = R"(openapi: 3.0.0
info: {title: Rel, version: "1"}
servers: [{url: /rel/v1}]
x-wso2-sandbox-endpoints: {urls: ["http://sand:80/"]}
paths:
  /a: {get: {responses: {"200": {description: ok}}}}
)";
  CompileOutput out = compileOne(doc);
  EXPECT_CLEAN(out);
  EXPECT_EQ(out.artifact.apis.at(0).base_path, "/rel/v1");
  const auto& r = out.artifact.apis.at(0).resources.at(0);
  EXPECT_FALSE(r.endpoints.production.has_value());
  EXPECT_TRUE(r.endpoints.sandbox.has_value());
}

TEST(Compiler, BasePathVersionAndFallbackToRoot) {
  std::string doc = oas3("");
  doc.replace(doc.find("x-wso2-basePath: /Test"), 22, "x-wso2-basePath: /t/{version}/");
  CompileOutput out = compileOne(doc);
  EXPECT_CLEAN(out);
  EXPECT_EQ(out.artifact.apis.at(0).base_path, "/t/1.0.0");

  std::string none = oas3("");
  none.erase(none.find("x-wso2-basePath: /Test\n"), 23);
  CompileOutput out2 = compileOne(none);
  EXPECT_CLEAN(out2);
  EXPECT_EQ(out2.artifact.apis.at(0).base_path, "/");
  EXPECT_TRUE(hasLine(out2,
                      "api_definitions/api.yaml:1:1: warning: no x-wso2-basePath, servers or "
                      "basePath: the API is served at '/'"))
      << dump(out2);
}

TEST(Compiler, BadBasePath) {
  std::string doc = oas3("");
  doc.replace(doc.find("x-wso2-basePath: /Test"), 22, "x-wso2-basePath: no-slash");
  CompileOutput out = compileOne(doc);
  EXPECT_TRUE(hasLine(out,
                      "api_definitions/api.yaml:5:18: /x-wso2-basePath: base path "
                      "'no-slash' must start with '/'"))
      << dump(out);
}

TEST(Compiler, EveryHttpMethodUpperCased) {
  std::string doc = R"(openapi: 3.0.0
info: {title: M, version: "1"}
x-wso2-basePath: /m
x-wso2-production-endpoints: {urls: ["http://h:1"]}
paths:
  /r:
    summary: all methods
    parameters: []
)";
  for (const char* m : {"get", "put", "post", "delete", "options", "head", "patch", "trace"}) {
    doc += std::string("    ") + m + ": {responses: {\"200\": {description: ok}}}\n";
  }
  CompileOutput out = compileOne(doc);
  EXPECT_CLEAN(out);
  std::vector<std::string> methods;
  for (const auto& r : out.artifact.apis.at(0).resources)
    methods.push_back(r.method);
  EXPECT_EQ(methods, (std::vector<std::string>{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD",
                                               "PATCH", "TRACE"}));
}

TEST(Compiler, UpperCaseMethodKeyAndConflictingRoutes) {
  const char* doc = R"(openapi: 3.0.0
info: {title: C, version: "1"}
x-wso2-basePath: /c
x-wso2-production-endpoints: {urls: ["http://h:1"]}
paths:
  /pets/{id}:
    GET: {responses: {"200": {description: ok}}}
    get: {responses: {"200": {description: ok}}}
  /pets/{petId}:
    get: {responses: {"200": {description: ok}}}
  bad:
    get: {responses: {"200": {description: ok}}}
  /x/{}:
    get: {responses: {"200": {description: ok}}}
)";
  CompileOutput out = compileOne(doc);
  EXPECT_TRUE(hasLine(out,
                      "api_definitions/api.yaml:7:10: /paths/~1pets~1{id}/GET: HTTP method "
                      "keys must be lower case: 'get'"))
      << dump(out);
  EXPECT_TRUE(hasLine(out,
                      "api_definitions/api.yaml:10:10: /paths/~1pets~1{petId}/get: GET "
                      "/pets/{petId} conflicts with GET /pets/{id}"))
      << dump(out);
  EXPECT_TRUE(hasLine(out,
                      "api_definitions/api.yaml:11:3: /paths/bad: invalid path 'bad': path "
                      "must start with '/'"))
      << dump(out);
  EXPECT_TRUE(mentions(out, "/paths/~1x~1{}: invalid path '/x/{}': empty parameter name"))
      << dump(out);
  EXPECT_EQ(out.errorCount(), 4u) << dump(out);
}

TEST(Compiler, UnsupportedVersionsAndNonApiFiles) {
  CompileOutput out = compileFiles({
      {"api_definitions/a.yaml", "openapi: 2.5.0\ninfo: {title: A, version: '1'}\npaths: {}\n"},
      {"api_definitions/b.yaml", "swagger: '1.2'\n"},
      {"api_definitions/c.yaml", "just: a map\n"},
      {"api_definitions/d.yaml", "- a list\n"},
  });
  EXPECT_TRUE(hasLine(out,
                      "api_definitions/a.yaml:1:10: /openapi: unsupported OpenAPI version "
                      "'2.5.0': expected openapi 3.0.x (or 3.1.x) or swagger \"2.0\""))
      << dump(out);
  EXPECT_TRUE(hasLine(out,
                      "api_definitions/b.yaml:1:10: /swagger: unsupported Swagger version "
                      "'1.2': expected swagger \"2.0\" or openapi 3.0.x"))
      << dump(out);
  EXPECT_TRUE(hasLine(out,
                      "api_definitions/c.yaml:1:1: not an OpenAPI definition: no 'openapi' "
                      "or 'swagger' field"))
      << dump(out);
  EXPECT_TRUE(hasLine(out, "api_definitions/d.yaml:1:1: an OpenAPI definition must be a map"))
      << dump(out);
  EXPECT_EQ(out.errorCount(), 4u);
}

TEST(Compiler, Oas31Accepted) {
  std::string doc = oas3("");
  doc.replace(0, 14, "openapi: 3.1.0");
  CompileOutput out = compileOne(doc);
  EXPECT_CLEAN(out);
}

TEST(Compiler, MissingInfoAndPaths) {
  CompileOutput out = compileOne("openapi: 3.0.0\nx-wso2-basePath: /x\n");
  EXPECT_TRUE(
      hasLine(out, "api_definitions/api.yaml:1:1: missing 'info' object with title and version"))
      << dump(out);
  EXPECT_TRUE(hasLine(out, "api_definitions/api.yaml:1:1: missing 'paths'")) << dump(out);
  CompileOutput out2 =
      compileOne("openapi: 3.0.0\ninfo: {title: T}\nx-wso2-basePath: /x\npaths: {}\n");
  EXPECT_TRUE(hasLine(out2, "api_definitions/api.yaml:2:7: /info: missing info.version"))
      << dump(out2);
}

TEST(Compiler, DuplicateBasePathAndNameVersion) {
  CompileOutput out = compileFiles({
      {"api_definitions/a.yaml", oas3("", "", "Same")},
      {"gen/api_definitions/b.yaml", oas3("", "", "Same")},
  });
  EXPECT_TRUE(hasLine(out,
                      "gen/api_definitions/b.yaml:5:18: /x-wso2-basePath: duplicate base "
                      "path '/Same': already used by api_definitions/a.yaml"))
      << dump(out);
  EXPECT_TRUE(hasLine(out,
                      "gen/api_definitions/b.yaml:2:1: /info: duplicate API 'Same:1.0.0': "
                      "already defined by api_definitions/a.yaml"))
      << dump(out);
  EXPECT_EQ(out.errorCount(), 2u);
}

TEST(Compiler, AllErrorsReportedInOneRun) {
  const char* bad1 = R"(openapi: 3.0.0
info: {title: B1, version: "1"}
x-wso2-basePath: /b1
x-wso2-disable-security: "yes"
x-wso2-transports: [http, ftp]
x-wso2-production-endpoints: "#/x-wso2-endpoints/nope"
paths:
  /a:
    get:
      x-wso2-request-interceptor: missingFn
      responses: {"200": {description: ok}}
)";
  const char* bad2 = R"(openapi: 3.0.0
info: {title: B2, version: "1"}
x-wso2-basePath: /b2
x-wso2-production-endpoints: {urls: ["ftp://x"], type: round_robin}
paths:
  /a: {get: {responses: {"200": {description: ok}}}}
)";
  CompileOutput out = compileFiles(
      {{"api_definitions/1.yaml", bad1},
       {"api_definitions/2.yaml", bad2},
       {"policies.yaml", "resourcePolicies:\n  - X: {count: 1, timeUnit: fortnight}\n"}});
  EXPECT_EQ(dump(out),
            "policies.yaml:2:29: /resourcePolicies/0/X/timeUnit: unknown timeUnit 'fortnight': "
            "expected sec, min, hour, day, week, month or year\n"
            "api_definitions/1.yaml:4:26: /x-wso2-disable-security: expected a boolean (true or "
            "false), got 'yes'\n"
            "api_definitions/1.yaml:5:27: /x-wso2-transports/1: unknown transport 'ftp': expected "
            "http or https\n"
            "api_definitions/1.yaml:6:30: /x-wso2-production-endpoints: unknown endpoint "
            "reference 'nope': not defined in x-wso2-endpoints\n"
            "api_definitions/1.yaml:10:35: /paths/~1a/get/x-wso2-request-interceptor: unknown "
            "interceptor 'missingFn': no function of that name in interceptors/*.lua or "
            "interceptors/*.bal\n"
            "api_definitions/2.yaml:4:38: /x-wso2-production-endpoints/urls/0: malformed endpoint "
            "URL 'ftp://x': expected an absolute http:// or https:// URL\n"
            "api_definitions/2.yaml:4:56: /x-wso2-production-endpoints/type: unknown endpoint "
            "type 'round_robin': expected http, load_balance or failover\n");
  EXPECT_TRUE(out.artifact.apis.empty());
}

TEST(Compiler, DeterministicArtifactBytes) {
  Files files = {{"api_definitions/b.yaml", oas3("", "", "Bee")},
                 {"api_definitions/a.yaml", oas3("", "", "Ay")},
                 {"interceptors/x.lua", "function x(ctx) end\n"}};
  CompileOutput one = compileFiles(files);
  CompileOutput two = compileFiles(files);
  EXPECT_CLEAN(one);
  ASSERT_EQ(one.artifact.apis.size(), 2u);
  EXPECT_EQ(one.artifact.apis[0].name, "Ay");  // sorted by file name
  auto b1 = artifact::serialize(one.artifact);
  auto b2 = artifact::serialize(two.artifact);
  ASSERT_TRUE(b1.ok());
  ASSERT_TRUE(b2.ok());
  EXPECT_EQ(*b1, *b2);
  EXPECT_EQ(artifact::toJson(one.artifact, false), artifact::toJson(two.artifact, false));
}

TEST(Compiler, SerializedArtifactRoundTrips) {
  CompileOutput out = compileOne(oas3("", "      x-wso2-throttling-tier: Gold\n"));
  EXPECT_CLEAN(out);
  auto bytes = artifact::serialize(out.artifact);
  ASSERT_TRUE(bytes.ok());
  auto back = artifact::deserialize(*bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(artifact::toJson(*back, false), artifact::toJson(out.artifact, false));
}

TEST(Compiler, JsonPointerEscaping) {
  const char* doc = R"(openapi: 3.0.0
info: {title: P, version: "1"}
x-wso2-basePath: /p
x-wso2-production-endpoints: {urls: ["http://h:1"]}
paths:
  /a~b/c:
    get:
      x-wso2-disable-security: 1
      responses: {"200": {description: ok}}
)";
  CompileOutput out = compileOne(doc);
  EXPECT_TRUE(hasLine(out,
                      "api_definitions/api.yaml:8:32: /paths/~1a~0b~1c/get/"
                      "x-wso2-disable-security: expected a boolean (true or false), got '1'"))
      << dump(out);
}

}  // namespace
}  // namespace mgw::openapi::testing
