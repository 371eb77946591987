// Helpers for the OpenAPI compiler tests: compile an in-memory project and query diagnostics.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "openapi/compiler.h"

namespace mgw::openapi::testing {

using Files = std::map<std::string, std::string>;

inline CompileOutput compileFiles(Files files) {
  return compileProject(memoryProject("proj", std::move(files)), "test");
}

inline CompileOutput compileOne(const std::string& yaml) {
  return compileFiles({{"api_definitions/api.yaml", yaml}});
}

inline std::vector<std::string> lines(const CompileOutput& out) {
  std::vector<std::string> v;
  for (const Diagnostic& d : out.diagnostics)
    v.push_back(formatDiagnostic(d));
  return v;
}

inline std::string dump(const CompileOutput& out) {
  std::string s;
  for (const std::string& l : lines(out))
    s += l + "\n";
  return s;
}

inline bool hasLine(const CompileOutput& out, const std::string& line) {
  auto v = lines(out);
  return std::find(v.begin(), v.end(), line) != v.end();
}

inline bool mentions(const CompileOutput& out, const std::string& text) {
  for (const std::string& l : lines(out)) {
    if (l.find(text) != std::string::npos)
      return true;
  }
  return false;
}

// A minimal OpenAPI 3 API with one GET operation and an inline production endpoint; `root`
// lines go at the root, `op` lines inside the operation (both pre-indented by the caller).
inline std::string oas3(const std::string& root, const std::string& op = "",
                        const std::string& title = "Test") {
  return "openapi: 3.0.0\n"
         "info:\n"
         "  title: " +
         title +
         "\n"
         "  version: 1.0.0\n"
         "x-wso2-basePath: /" +
         title +
         "\n"
         "x-wso2-production-endpoints:\n"
         "  urls:\n"
         "    - http://127.0.0.1:8081/v1\n" +
         root +
         "paths:\n"
         "  /items:\n"
         "    get:\n"
         "      responses:\n"
         "        \"200\":\n"
         "          description: ok\n" +
         op;
}

// The API named `name` in a compile result, or nullptr.
inline const artifact::Api* findApi(const CompileOutput& out, const std::string& name) {
  for (const auto& a : out.artifact.apis) {
    if (a.name == name)
      return &a;
  }
  return nullptr;
}

// The resource of `api` with this method and path template, or nullptr.
inline const artifact::Resource* findResource(const artifact::Api& api, const std::string& method,
                                              const std::string& path) {
  for (const auto& r : api.resources) {
    if (r.method == method && r.path_template == path)
      return &r;
  }
  return nullptr;
}

#define EXPECT_CLEAN(out) EXPECT_EQ((out).errorCount(), 0u) << dump(out)

}  // namespace mgw::openapi::testing
