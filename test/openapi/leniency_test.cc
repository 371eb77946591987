// Leniency for WSO2 projects (docs/toolkit.md): sloppy definitions that WSO2's parser accepted
// build with a warning, and no resource ends up less secured than WSO2 made it. Reference
// problems that affect routing, endpoints or security schemes stay errors.
#include <gtest/gtest.h>

#include "test_util.h"

namespace mgw::openapi::testing {
namespace {

using artifact::AuthScheme;

// The default when nothing usable is declared: OAuth2 required (empty auth list, security on).
void expectDefaultOAuth2(const artifact::Resource* r) {
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->auth.empty()) << r->path_template;
  EXPECT_FALSE(r->disable_security) << r->path_template;
  EXPECT_TRUE(r->scopes.empty()) << r->path_template;
}

void expectOnlyHeaderKey(const artifact::Resource* r) {
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->auth.size(), 1u) << r->path_template;
  EXPECT_EQ(r->auth[0].type, AuthScheme::Type::ApiKey);
  EXPECT_EQ(r->auth[0].in, "header");
  EXPECT_EQ(r->auth[0].key_name, "X-Key");
  EXPECT_FALSE(r->disable_security);
  EXPECT_TRUE(r->scopes.empty()) << r->path_template;
}

CompileOutput compileLenientFixture() {
  auto in = scanProjectDir(MGW_OPENAPI_FIXTURES "/lenient_project");
  EXPECT_TRUE(in.ok());
  return compileProject(*in, "test");
}

TEST(Leniency, SloppySecurityBuildsWithWarnings) {
  CompileOutput out = compileLenientFixture();
  EXPECT_CLEAN(out);
  const std::string f = "api_definitions/sloppy_security.yaml:";
  const std::string d = dump(out);
  // Root security naming an undeclared scheme: reported once although two operations use it.
  EXPECT_TRUE(hasLine(out, f + "12:17: /security/0/ghost_root: warning: unknown security scheme "
                               "'ghost_root' (not declared in components.securitySchemes): it "
                               "and its scopes are ignored"))
      << d;
  EXPECT_TRUE(hasLine(out, f + "11:1: /security: warning: no usable security requirement: the "
                               "default, OAuth2, is required (as with 'security: []')"))
      << d;
  // A plain string where a requirement map belongs (`- oauth:[]`).
  EXPECT_TRUE(hasLine(out, f + "22:11: /paths/~1string-item/post/security/0: warning: a security "
                               "requirement must be a map of scheme name to scopes, got the "
                               "string 'oauth:[]' (missing space after ':'? write 'oauth: []'): "
                               "this requirement is ignored"))
      << d;
  EXPECT_TRUE(hasLine(out, f + "21:7: /paths/~1string-item/post/security: warning: no usable "
                               "security requirement: the default, OAuth2, is required (as with "
                               "'security: []')"))
      << d;
  EXPECT_TRUE(hasLine(out, f + "29:11: /paths/~1string-item-and-key/get/security/0: warning: a "
                               "security requirement must be a map of scheme name to scopes, got "
                               "the string 'oauth:[]' (missing space after ':'? write 'oauth: "
                               "[]'): this requirement is ignored"))
      << d;
  // A string scope value.
  EXPECT_TRUE(hasLine(out, f + "38:18: /paths/~1string-scope/get/security/1/admin: warning: "
                               "scopes of 'admin' should be a list: the string is read as "
                               "['admin']"))
      << d;
  EXPECT_TRUE(hasLine(out, f + "46:24: /paths/~1partly-unknown/get/security/0/ghost_query: "
                               "warning: unknown security scheme 'ghost_query' (not declared in "
                               "components.securitySchemes): it and its scopes are ignored"))
      << d;
  EXPECT_TRUE(hasLine(out, f + "54:18: /paths/~1all-unknown/get/security/0/ghost: warning: "
                               "unknown security scheme 'ghost' (not declared in "
                               "components.securitySchemes): it and its scopes are ignored"))
      << d;
  std::size_t ghost_root = 0;
  for (const std::string& l : lines(out))
    ghost_root += l.find("'ghost_root'") != std::string::npos ? 1 : 0;
  EXPECT_EQ(ghost_root, 1u) << d;

  const artifact::Api* api = findApi(out, "SloppySecurity");
  ASSERT_NE(api, nullptr) << d;
  expectDefaultOAuth2(findResource(*api, "GET", "/inherits-root"));
  expectDefaultOAuth2(findResource(*api, "POST", "/string-item"));
  expectOnlyHeaderKey(findResource(*api, "GET", "/string-item-and-key"));
  expectOnlyHeaderKey(findResource(*api, "GET", "/partly-unknown"));
  // The ghost scheme's scope `read` would have widened the any-of scope list: it is dropped.
  expectDefaultOAuth2(findResource(*api, "GET", "/all-unknown"));

  const artifact::Resource* scoped = findResource(*api, "GET", "/string-scope");
  ASSERT_NE(scoped, nullptr);
  ASSERT_EQ(scoped->auth.size(), 2u);
  EXPECT_EQ(scoped->auth[0].type, AuthScheme::Type::OAuth2);
  EXPECT_EQ(scoped->auth[1].type, AuthScheme::Type::OAuth2);
  EXPECT_EQ(scoped->scopes, (std::vector<std::string>{"admin"}));
}

TEST(Leniency, UndeclaredSchemesAndSchemasWithoutComponents) {
  CompileOutput out = compileLenientFixture();
  EXPECT_CLEAN(out);
  const std::string f = "api_definitions/no_components.yaml:";
  const std::string d = dump(out);
  EXPECT_TRUE(hasLine(out, f + "32:16: /paths/~1pets~1{id}/get/security/0/key: warning: unknown "
                               "security scheme 'key' (not declared in "
                               "components.securitySchemes): it and its scopes are ignored"))
      << d;
  EXPECT_TRUE(hasLine(out, f + "31:7: /paths/~1pets~1{id}/get/security: warning: no usable "
                               "security requirement: the default, OAuth2, is required (as with "
                               "'security: []')"))
      << d;
  // Only the JSON media type is compiled, so the application/xml twin does not warn.
  EXPECT_TRUE(hasLine(out, f + "28:23: /paths/~1pets~1{id}/get/responses/200/content/"
                               "application~1json/schema/$ref: warning: unresolved $ref "
                               "'#/components/schemas/Pet': 'components' not found; schema "
                               "dropped: the 200 response body of GET /pets/{id} is not "
                               "validated"))
      << d;
  EXPECT_FALSE(mentions(out, "application~1xml")) << d;
  // A dangling $ref deep inside a schema drops the whole schema of that body.
  EXPECT_TRUE(hasLine(out, f + "44:25: /paths/~1pets/post/requestBody/content/application~1json/"
                               "schema/properties/tag/$ref: warning: unresolved $ref "
                               "'#/components/schemas/Tag': 'components' not found; schema "
                               "dropped: the request body of POST /pets is not validated"))
      << d;

  const artifact::Api* api = findApi(out, "NoComponents");
  ASSERT_NE(api, nullptr) << d;
  const artifact::Resource* get = findResource(*api, "GET", "/pets/{id}");
  expectDefaultOAuth2(get);
  EXPECT_TRUE(get->response_schemas.empty());
  const artifact::Resource* post = findResource(*api, "POST", "/pets");
  expectDefaultOAuth2(post);
  EXPECT_TRUE(post->request_schema.empty());
  EXPECT_EQ(post->response_schemas.count("201"), 1u);  // the resolvable response schema stays
}

TEST(Leniency, Swagger2DanglingDefinitionsAndParameters) {
  const char* doc = R"(swagger: "2.0"
info: {title: Old, version: "1"}
basePath: /old
x-wso2-production-endpoints: {urls: ["http://h:1"]}
security: [{basicAuth: []}]
securityDefinitions:
  basicAuth: {type: basic}
paths:
  /pets:
    post:
      parameters:
        - $ref: "#/parameters/Missing"
        - {in: body, name: body, schema: {$ref: "#/definitions/Pet"}}
      responses:
        "200": {description: ok, schema: {$ref: "#/definitions/Pet"}}
    get:
      security: [{petstore_auth: [read]}]
      responses: {"200": {description: ok}}
)";
  CompileOutput out = compileOne(doc);
  EXPECT_CLEAN(out);
  const std::string f = "api_definitions/api.yaml:";
  const std::string d = dump(out);
  EXPECT_TRUE(hasLine(out, f + "12:17: /paths/~1pets/post/parameters/0/$ref: warning: unresolved "
                               "$ref '#/parameters/Missing': 'parameters' not found; parameter "
                               "ignored: if it is the body parameter, the request body of POST "
                               "/pets is not validated"))
      << d;
  EXPECT_TRUE(hasLine(out, f + "13:49: /paths/~1pets/post/parameters/1/schema/$ref: warning: "
                               "unresolved $ref '#/definitions/Pet': 'definitions' not found; "
                               "schema dropped: the request body of POST /pets is not validated"))
      << d;
  EXPECT_TRUE(mentions(out,
                       "/paths/~1pets/post/responses/200/schema/$ref: warning: unresolved "
                       "$ref '#/definitions/Pet': 'definitions' not found; schema dropped: "
                       "the 200 response body of POST /pets is not validated"))
      << d;
  EXPECT_TRUE(mentions(out,
                       "/paths/~1pets/get/security/0/petstore_auth: warning: unknown "
                       "security scheme 'petstore_auth' (not declared in "
                       "securityDefinitions): it and its scopes are ignored"))
      << d;
  const artifact::Api& api = out.artifact.apis.at(0);
  const artifact::Resource* post = findResource(api, "POST", "/pets");
  ASSERT_NE(post, nullptr);
  EXPECT_TRUE(post->request_schema.empty());
  EXPECT_TRUE(post->response_schemas.empty());
  ASSERT_EQ(post->auth.size(), 1u);  // the root's basic auth still applies
  EXPECT_EQ(post->auth[0].type, AuthScheme::Type::Basic);
  // The operation's only requirement is unknown: the default (OAuth2), not the root's basic
  // auth and never unsecured; its `read` scope is not kept.
  expectDefaultOAuth2(findResource(api, "GET", "/pets"));
}

TEST(Leniency, RoutingEndpointAndSchemeReferencesStayErrors) {
  const char* doc = R"(openapi: 3.0.0
info: {title: Strict, version: "1"}
x-wso2-basePath: /strict
x-wso2-production-endpoints: "#/x-wso2-endpoints/nowhere"
components:
  securitySchemes:
    oauth: {$ref: "#/components/x-missing/oauth"}
paths:
  /item:
    $ref: "#/components/pathItems/Missing"
  /shared:
    $ref: "gone.yaml#/paths/~1shared"
  /body:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: "gone.yaml#/Body"}
      responses: {"200": {description: ok}}
)";
  CompileOutput out = compileOne(doc);
  const std::string f = "api_definitions/api.yaml:";
  const std::string d = dump(out);
  EXPECT_TRUE(mentions(out, "/x-wso2-production-endpoints: ")) << d;
  EXPECT_TRUE(hasLine(out, f + "7:19: /components/securitySchemes/oauth/$ref: unresolved $ref "
                               "'#/components/x-missing/oauth': 'x-missing' not found"))
      << d;
  EXPECT_TRUE(hasLine(out, f + "10:11: /paths/~1item/$ref: unresolved $ref "
                               "'#/components/pathItems/Missing': 'pathItems' not found"))
      << d;
  // The same missing file: a warning for the body schema, still an error for the path item.
  EXPECT_TRUE(hasLine(out, f + "12:11: /paths/~1shared/$ref: cannot read referenced file "
                               "'api_definitions/gone.yaml'"))
      << d;
  EXPECT_TRUE(mentions(out,
                       "/schema/$ref: warning: cannot read referenced file "
                       "'api_definitions/gone.yaml'; schema dropped: the request body of "
                       "POST /body is not validated"))
      << d;
  EXPECT_EQ(out.errorCount(), 4u) << d;
  EXPECT_TRUE(out.artifact.apis.empty());
}

TEST(Leniency, ScopeAndRequirementShapes) {
  const char* doc = R"(openapi: 3.0.0
info: {title: Shapes, version: "1"}
x-wso2-basePath: /shapes
x-wso2-production-endpoints: {urls: ["http://h:1"]}
components:
  securitySchemes:
    oauth: {type: oauth2, flows: {}}
    jwt: {type: http, scheme: JWT}
paths:
  /empty-string:
    get:
      security: [{oauth: ""}]
      responses: {"200": {description: ok}}
  /bare-name:
    get:
      security: [oauth]
      responses: {"200": {description: ok}}
  /nested:
    get:
      security: [[oauth]]
      responses: {"200": {description: ok}}
  /jwt:
    get:
      security: [{jwt: [read]}]
      responses: {"200": {description: ok}}
  /map-scopes:
    get:
      security: [{oauth: {read: x}}]
      responses: {"200": {description: ok}}
)";
  CompileOutput out = compileOne(doc);
  const std::string f = "api_definitions/api.yaml:";
  const std::string d = dump(out);
  EXPECT_TRUE(hasLine(out, f + "12:26: /paths/~1empty-string/get/security/0/oauth: warning: "
                               "scopes of 'oauth' should be a list: the string is read as []"))
      << d;
  EXPECT_TRUE(hasLine(out, f + "16:18: /paths/~1bare-name/get/security/0: warning: a security "
                               "requirement must be a map of scheme name to scopes, got the "
                               "string 'oauth': this requirement is ignored"))
      << d;
  EXPECT_TRUE(hasLine(out, f + "20:18: /paths/~1nested/get/security/0: warning: a security "
                               "requirement must be a map of scheme name to scopes: this "
                               "requirement is ignored"))
      << d;
  // A map of scopes is not something WSO2 projects write by accident: still an error.
  EXPECT_TRUE(hasLine(out, f + "28:26: /paths/~1map-scopes/get/security/0/oauth: expected a list "
                               "of strings"))
      << d;
  EXPECT_EQ(out.errorCount(), 1u) << d;

  std::string fixed = doc;
  fixed.erase(fixed.find("  /map-scopes:"));
  CompileOutput ok = compileOne(fixed);
  EXPECT_CLEAN(ok);
  const artifact::Api& api = ok.artifact.apis.at(0);
  const artifact::Resource* empty = findResource(api, "GET", "/empty-string");
  ASSERT_NE(empty, nullptr);
  ASSERT_EQ(empty->auth.size(), 1u);
  EXPECT_EQ(empty->auth[0].type, AuthScheme::Type::OAuth2);
  EXPECT_TRUE(empty->scopes.empty());
  expectDefaultOAuth2(findResource(api, "GET", "/bare-name"));
  expectDefaultOAuth2(findResource(api, "GET", "/nested"));
  // WSO2 read `http` + `scheme: jwt` as OAuth2/JWT.
  const artifact::Resource* jwt = findResource(api, "GET", "/jwt");
  ASSERT_NE(jwt, nullptr);
  ASSERT_EQ(jwt->auth.size(), 1u);
  EXPECT_EQ(jwt->auth[0].type, AuthScheme::Type::OAuth2);
  EXPECT_EQ(jwt->auth[0].name, "jwt");
  EXPECT_EQ(jwt->scopes, (std::vector<std::string>{"read"}));
}

}  // namespace
}  // namespace mgw::openapi::testing
