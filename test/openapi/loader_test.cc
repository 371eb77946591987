// Loading: YAML/JSON parse errors with positions, $ref resolution (local, relative files,
// cycles), schema inlining and hostile inputs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace mgw::openapi::testing {
namespace {

const char* kRefApi = R"(openapi: 3.0.0
info: {title: Refs, version: "1"}
x-wso2-basePath: /refs
x-wso2-production-endpoints: {urls: ["http://h:1"]}
paths:
  /pets:
    $ref: "paths/pets.yaml"
  /one:
    post:
      requestBody: {$ref: "./common/bodies.json#/Pet"}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "common/schemas.yaml#/components/schemas/Pet"}
)";

TEST(Loader, RelativeFileRefs) {
  Files files = {
      {"api_definitions/refs.yaml", kRefApi},
      {"api_definitions/paths/pets.yaml",
       "get:\n  responses:\n    \"200\":\n      description: ok\n      content:\n"
       "        application/json:\n          schema: {$ref: "
       "'../common/schemas.yaml#/components/schemas/Pet'}\n"},
      {"api_definitions/common/schemas.yaml",
       "components:\n  schemas:\n    Pet:\n      type: object\n      properties:\n"
       "        name: {type: string}\n        tag: {$ref: '#/components/schemas/Tag'}\n"
       "    Tag: {type: string, enum: [a, b]}\n"},
      {"api_definitions/common/bodies.json",
       R"({"Pet": {"content": {"application/json": {"schema": {"$ref": "schemas.yaml#/components/schemas/Tag"}}}}})"},
  };
  CompileOutput out = compileFiles(files);
  EXPECT_CLEAN(out);
  const auto& rs = out.artifact.apis.at(0).resources;
  ASSERT_EQ(rs.size(), 2u);
  const std::string pet =
      R"({"properties":{"name":{"type":"string"},"tag":{"enum":["a","b"],"type":"string"}},"type":"object"})";
  EXPECT_EQ(rs[0].response_schemas.at("200"), pet);
  EXPECT_EQ(rs[1].response_schemas.at("200"), pet);
  EXPECT_EQ(rs[1].request_schema, R"({"enum":["a","b"],"type":"string"})");
}

TEST(Loader, ReferencedFileInApiDefinitionsIsNotAnApi) {
  Files files = {
      {"api_definitions/a.yaml", oas3("",
                                      "      requestBody: {content: {application/json: {schema: "
                                      "{$ref: 'shared.yaml#/Pet'}}}}\n")},
      {"api_definitions/shared.yaml", "Pet: {type: object}\n"},
  };
  CompileOutput out = compileFiles(files);
  EXPECT_CLEAN(out);
  EXPECT_EQ(out.artifact.apis.size(), 1u);
  EXPECT_EQ(out.artifact.apis[0].resources.at(0).request_schema, R"({"type":"object"})");
}

TEST(Loader, UnresolvedRefs) {
  const char* doc = R"(openapi: 3.0.0
info: {title: Bad, version: "1"}
x-wso2-basePath: /bad
x-wso2-production-endpoints: {urls: ["http://h:1"]}
paths:
  /a:
    post:
      requestBody: {$ref: "#/components/requestBodies/Missing"}
      responses:
        "200": {$ref: "missing.yaml#/x"}
        "201": {description: x, content: {application/json: {schema: {$ref: "../../../etc/passwd"}}}}
        "202": {description: x, content: {application/json: {schema: {$ref: "http://example.com/s.json"}}}}
        "203": {description: x, content: {application/json: {schema: {$ref: "#no-slash"}}}}
        "204": {description: x, content: {application/json: {schema: {$ref: 42}}}}
  /b: {$ref: "#/paths/~1c"}
  /c: {$ref: "#/paths/~1b"}
)";
  CompileOutput out = compileOne(doc);
  const std::string f = "api_definitions/api.yaml:";
  std::string d = dump(out);
  // Body and schema references only feed validation: warnings (leniency for WSO2 projects).
  EXPECT_TRUE(hasLine(out, f + "8:27: /paths/~1a/post/requestBody/$ref: warning: unresolved $ref "
                               "'#/components/requestBodies/Missing': 'components' not found; "
                               "schema dropped: the request body of POST /a is not validated"))
      << d;
  EXPECT_TRUE(hasLine(out, f + "10:23: /paths/~1a/post/responses/200/$ref: warning: cannot read "
                               "referenced file 'api_definitions/missing.yaml'; schema dropped: "
                               "the 200 response body of POST /a is not validated"))
      << d;
  EXPECT_TRUE(mentions(out,
                       "warning: unresolved $ref '../../../etc/passwd': the file is outside "
                       "the project; schema dropped: the 201 response body"))
      << d;
  EXPECT_TRUE(mentions(out,
                       "warning: unsupported $ref 'http://example.com/s.json': only local and "
                       "relative file references; schema dropped: the 202 response body"))
      << d;
  EXPECT_TRUE(mentions(out,
                       "warning: unresolved $ref '#no-slash': the fragment is not a JSON "
                       "pointer; schema dropped: the 203 response body"))
      << d;
  EXPECT_TRUE(
      mentions(out, "/schema/$ref: warning: $ref must be a string; schema dropped: the 204"))
      << d;
  // Path items decide routing: a reference problem there stays an error.
  EXPECT_TRUE(mentions(out, "circular $ref")) << d;
  EXPECT_EQ(out.errorCount(), 2u) << d;
  EXPECT_EQ(out.warningCount(), 6u) << d;
  EXPECT_TRUE(out.artifact.apis.empty());
}

TEST(Loader, RecursiveSchemaUsesDefinitionsBundle) {
  const char* doc = R"(openapi: 3.0.0
info: {title: Tree, version: "1"}
x-wso2-basePath: /tree
x-wso2-production-endpoints: {urls: ["http://h:1"]}
paths:
  /node:
    post:
      requestBody:
        content:
          application/vnd.api+json:
            schema: {$ref: "#/components/schemas/Node"}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: array
                items: {$ref: "#/components/schemas/Node"}
components:
  schemas:
    Node:
      type: object
      properties:
        value: {type: integer}
        children:
          type: array
          items: {$ref: "#/components/schemas/Node"}
)";
  CompileOutput out = compileOne(doc);
  EXPECT_CLEAN(out);
  const auto& r = out.artifact.apis.at(0).resources.at(0);
  const std::string node =
      R"({"properties":{"children":{"items":{"$ref":"#/definitions/Node"},"type":"array"},"value":{"type":"integer"}},"type":"object"})";
  EXPECT_EQ(r.request_schema,
            R"({"allOf":[{"$ref":"#/definitions/Node"}],"definitions":{"Node":)" + node + "}}");
  EXPECT_EQ(r.response_schemas.at("200"),
            R"({"definitions":{"Node":)" + node +
                R"(},"items":{"$ref":"#/definitions/Node"},"type":"array"})");
}

TEST(Loader, ScalarTypesInSchemas) {
  std::string doc = oas3("",
                         "      requestBody:\n        content:\n          application/json:\n"
                         "            schema: {type: object, maxLength: 10, minimum: -1.5, "
                         "nullable: true, default: null, enum: [\"1\", 2, yes, ~]}\n");
  CompileOutput out = compileOne(doc);
  EXPECT_CLEAN(out);
  auto j = nlohmann::json::parse(out.artifact.apis.at(0).resources.at(0).request_schema);
  EXPECT_EQ(j["maxLength"], 10);
  EXPECT_EQ(j["minimum"], -1.5);
  EXPECT_EQ(j["nullable"], true);
  EXPECT_TRUE(j["default"].is_null());
  EXPECT_EQ(j["enum"], nlohmann::json::parse(R"(["1", 2, "yes", null])"));
}

TEST(Loader, JsonDefinition) {
  const char* doc = R"({
  "swagger": "2.0",
  "info": {"title": "Json", "version": "1.0"},
  "x-wso2-basePath": "/json",
  "x-wso2-production-endpoints": {"urls": ["http://h:1"]},
  "paths": {"/a": {"get": {"x-wso2-disable-security": "true", "responses": {}}}}
})";
  CompileOutput out = compileFiles({{"api_definitions/api.json", doc}});
  EXPECT_TRUE(hasLine(out,
                      "api_definitions/api.json:6:55: /paths/~1a/get/x-wso2-disable-security: "
                      "expected a boolean (true or false), got 'true'"))
      << dump(out);
}

TEST(Loader, ParseErrorsHaveLineAndColumn) {
  CompileOutput yaml =
      compileFiles({{"api_definitions/a.yaml", "openapi: 3.0.0\ninfo: [1, 2\npaths: {}\n"}});
  ASSERT_EQ(yaml.errorCount(), 1u);
  EXPECT_EQ(yaml.diagnostics[0].file, "api_definitions/a.yaml");
  EXPECT_GT(yaml.diagnostics[0].line, 0);
  EXPECT_TRUE(mentions(yaml, "invalid YAML/JSON: ")) << dump(yaml);
  CompileOutput json =
      compileFiles({{"api_definitions/a.json", "{\"openapi\": \"3.0.0\",\n  \"info\": }"}});
  // yaml-cpp reads `"info": }` as null: the definition checks report it.
  ASSERT_GE(json.errorCount(), 1u);
  EXPECT_EQ(json.diagnostics[0].line, 2) << dump(json);
  CompileOutput tabs = compileFiles({{"api_definitions/a.yaml", "a:\n\t- b\n"}});
  EXPECT_EQ(tabs.errorCount(), 1u) << dump(tabs);
}

TEST(Loader, HostileInputsDoNotCrashOrHang) {
  // Valid but odd documents (a self-referencing alias, bytes that are not UTF-8) may build; the
  // rest must fail. None may crash or hang.
  std::vector<std::string> may_build = {
      "openapi: 3.0.0\ninfo: &a {title: T, version: 1, self: *a}\npaths: {}\n",
      std::string("openapi: 3.0.0\ninfo: {title: \xff\xfe, version: 1}\npaths: {}\n"),
  };
  for (const std::string& in : may_build) {
    CompileOutput out = compileFiles({{"api_definitions/a.yaml", in}});
    EXPECT_EQ(out.artifact.apis.size() + (out.errorCount() > 0 ? 1 : 0), 1u) << dump(out);
  }
  std::vector<std::string> inputs = {
      "",
      "~",
      "42",
      "\"just a string\"",
      std::string(200000, '['),
      std::string(5000, '{'),
      std::string("openapi: 3.0.0\0hidden", 21),
      "openapi: 3.0.0\npaths: !!binary AAAA\n",
      "openapi: [3.0.0]\n",
      "openapi: 3.0.0\ninfo: {title: [x], version: {a: b}}\npaths: [1]\n",
      "openapi: 3.0.0\ninfo: {title: T, version: 1}\npaths:\n  /a: 5\n  /b: {get: 7}\n",
      "? [complex, key]\n: value\nopenapi: 3.0.0\n",
  };
  for (const std::string& in : inputs) {
    CompileOutput out = compileFiles({{"api_definitions/a.yaml", in}});
    EXPECT_GT(out.errorCount(), 0u) << in.substr(0, 80) << "\n" << dump(out);
  }
}

TEST(Loader, ReferenceFanOutIsBounded) {
  // Each level references the previous one 10 times: 10^8 nodes if expanded naively.
  std::string doc = oas3("",
                         "      requestBody:\n        content:\n          application/json:\n"
                         "            schema: {$ref: '#/components/schemas/L8'}\n");
  doc += "components:\n  schemas:\n    L0: {type: string}\n";
  for (int i = 1; i <= 8; ++i) {
    doc += "    L" + std::to_string(i) + ":\n      allOf:\n";
    for (int k = 0; k < 10; ++k) {
      doc += "        - $ref: '#/components/schemas/L" + std::to_string(i - 1) + "'\n";
    }
  }
  CompileOutput out = compileOne(doc);
  EXPECT_EQ(out.errorCount(), 1u) << dump(out);
  EXPECT_TRUE(mentions(out, "schema too large: more than 100000 values after inlining $refs"))
      << dump(out);
}

TEST(Loader, YamlAliasBombIsBounded) {
  std::string doc = oas3("",
                         "      requestBody:\n        content:\n          application/json:\n"
                         "            schema: *l9\n");
  std::string anchors = "x-bomb:\n  a0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    anchors += "  a" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k)
      anchors += std::string(k ? ", " : "") + "*l" + std::to_string(i - 1);
    anchors += "]\n";
  }
  doc.insert(doc.find("paths:"), anchors);
  CompileOutput out = compileOne(doc);
  EXPECT_TRUE(mentions(out, "schema too large")) << dump(out);
}

TEST(Loader, DeepSchemaNestingIsBounded) {
  std::string schema = "{type: string}";
  for (int i = 0; i < 200; ++i)
    schema = "{type: array, items: " + schema + "}";
  CompileOutput out = compileOne(
      oas3("", "      requestBody: {content: {application/json: {schema: " + schema + "}}}\n"));
  EXPECT_TRUE(mentions(out, "schema nested too deeply")) << dump(out);
}

}  // namespace
}  // namespace mgw::openapi::testing
