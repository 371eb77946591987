// The OpenAPI compiler: WSO2 Microgateway 3.x projects (OpenAPI 2.0 / 3.0.x definitions with
// x-wso2-* extensions, policies.yaml, interceptors/) -> mgw::artifact::Artifact.
// Used by `micro-gw validate|build`; every problem is collected as a Diagnostic so that one run
// reports all of them (ARCHITECTURE.md §1).
// Thread-safety: compileProject() has no global state; concurrent calls on distinct inputs are
// fine.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mgw/artifact/model.h"
#include "mgw/base/result.h"

namespace mgw::openapi {

enum class Severity { Error, Warning };

// One finding, located in a project file. `line`/`col` are 1-based (0 = unknown) and `pointer`
// is the RFC 6901 JSON pointer of the offending node inside `file` ("" = the whole document).
struct Diagnostic {
  Severity severity = Severity::Error;
  std::string file;  // project-relative path
  int line = 0;
  int col = 0;
  std::string pointer;
  std::string message;
};

// `file:line:col: /json/pointer: message`, warnings with `warning: ` before the message. An empty
// pointer (whole document) is left out: `file:line:col: message`.
std::string formatDiagnostic(const Diagnostic& d);

// Reads a project-relative file; nullopt when it does not exist or cannot be read.
using FileReader = std::function<std::optional<std::string>(const std::string& rel_path)>;

// What the compiler reads, independent of the file system so tests can compile in memory.
struct ProjectInput {
  std::string name;                            // the artifact's project name
  std::vector<std::string> definitions;        // project-relative, sorted
  std::vector<std::string> interceptor_files;  // interceptors/*.lua and *.bal, sorted
  bool has_policies = false;                   // policies.yaml present
  FileReader read;
};

// Largest file the compiler reads (definitions, referenced files, interceptors, policies).
inline constexpr std::size_t kMaxInputFileBytes = 16u << 20;

// Scans a project directory: api_definitions/ and gen/api_definitions/ (top level only, *.yaml
// *.yml *.json), interceptors/*.lua|*.bal, policies.yaml. The project name is the directory's
// base name. Error "project.not_found" when `dir` is not a directory.
Result<ProjectInput> scanProjectDir(const std::string& dir);

// The same scan over an in-memory file map (project-relative path -> contents).
ProjectInput memoryProject(std::string name, std::map<std::string, std::string> files);

// Checks that `text` parses as YAML/JSON and has a root `openapi` or `swagger` field (what
// `micro-gw init -a` / `import` accept). Error reasons "definition.parse" (message carries
// line:col) and "definition.not_openapi".
Status checkDefinitionText(std::string_view text);

struct CompileOutput {
  artifact::Artifact artifact;
  std::vector<Diagnostic> diagnostics;  // errors and warnings, in discovery order
  std::size_t errorCount() const;
  std::size_t warningCount() const;
};

// Compiles every definition of the project. The artifact is meaningful only when
// errorCount() == 0. Never throws.
CompileOutput compileProject(const ProjectInput& input, std::string_view toolkit_version);

}  // namespace mgw::openapi
