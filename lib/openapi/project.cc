#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "openapi/compiler.h"
#include "openapi/yaml_source.h"

namespace mgw::openapi {
namespace {

namespace fs = std::filesystem;

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool isDefinitionName(std::string_view name) {
  return endsWith(name, ".yaml") || endsWith(name, ".yml") || endsWith(name, ".json");
}

bool isInterceptorName(std::string_view name) {
  return endsWith(name, ".lua") || endsWith(name, ".bal");
}

// Classifies the project-relative `rel` into the input lists.
void classify(ProjectInput& in, const std::string& rel) {
  std::string_view r = rel;
  for (std::string_view dir :
       {std::string_view("api_definitions/"), std::string_view("gen/api_definitions/")}) {
    if (r.substr(0, dir.size()) == dir) {
      std::string_view name = r.substr(dir.size());
      if (name.find('/') == std::string_view::npos && isDefinitionName(name)) {
        in.definitions.push_back(rel);
      }
    }
  }
  constexpr std::string_view kInterceptors = "interceptors/";
  if (r.substr(0, kInterceptors.size()) == kInterceptors) {
    std::string_view name = r.substr(kInterceptors.size());
    if (name.find('/') == std::string_view::npos && isInterceptorName(name)) {
      in.interceptor_files.push_back(rel);
    }
  }
  if (rel == "policies.yaml")
    in.has_policies = true;
}

void listDir(ProjectInput& in, const fs::path& root, std::string_view sub) {
  std::error_code ec;
  fs::directory_iterator it(root / sub, ec);
  if (ec)
    return;
  for (const fs::directory_entry& e : it) {
    std::error_code fec;
    if (!e.is_regular_file(fec))
      continue;
    classify(in, std::string(sub) + "/" + e.path().filename().string());
  }
}

}  // namespace

std::string formatDiagnostic(const Diagnostic& d) {
  std::string out = d.file.empty() ? std::string("<project>") : d.file;
  if (d.line > 0) {
    out += ":" + std::to_string(d.line) + ":" + std::to_string(d.col > 0 ? d.col : 1);
  }
  out += ": ";
  if (!d.pointer.empty())
    out += d.pointer + ": ";
  if (d.severity == Severity::Warning)
    out += "warning: ";
  out += d.message;
  return out;
}

std::size_t CompileOutput::errorCount() const {
  return static_cast<std::size_t>(
      std::count_if(diagnostics.begin(), diagnostics.end(),
                    [](const Diagnostic& d) { return d.severity == Severity::Error; }));
}

std::size_t CompileOutput::warningCount() const {
  return diagnostics.size() - errorCount();
}

Status checkDefinitionText(std::string_view text) {
  YAML::Node root;
  // yaml-cpp throws on malformed input: module boundary.
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return makeError("definition.parse", std::to_string(e.mark.line + 1) + ":" +
                                             std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const std::exception& e) {
    return makeError("definition.parse", e.what());
  }
  const YAML::Node& croot = root;
  if (!croot.IsMap() || (!croot["openapi"] && !croot["swagger"])) {
    return makeError("definition.not_openapi",
                     "not an OpenAPI definition: no 'openapi' or 'swagger' field");
  }
  return {};
}

Result<ProjectInput> scanProjectDir(const std::string& dir) {
  std::error_code ec;
  fs::path root(dir);
  if (!fs::is_directory(root, ec)) {
    return makeError("project.not_found", "project directory '" + dir + "' does not exist");
  }
  ProjectInput in;
  fs::path abs = fs::weakly_canonical(root, ec);
  in.name = (ec ? root : abs).filename().string();
  if (in.name.empty())
    in.name = "project";
  listDir(in, root, "api_definitions");
  listDir(in, root, "gen/api_definitions");
  listDir(in, root, "interceptors");
  if (fs::is_regular_file(root / "policies.yaml", ec))
    in.has_policies = true;
  std::sort(in.definitions.begin(), in.definitions.end());
  std::sort(in.interceptor_files.begin(), in.interceptor_files.end());
  in.read = [root](const std::string& rel) -> std::optional<std::string> {
    std::optional<std::string> norm = normalizeRelPath(rel);
    if (!norm)
      return std::nullopt;
    fs::path p = root / *norm;
    std::error_code fec;
    if (!fs::is_regular_file(p, fec))
      return std::nullopt;
    auto size = fs::file_size(p, fec);
    if (fec || size > kMaxInputFileBytes)
      return std::nullopt;
    std::ifstream f(p, std::ios::binary);
    if (!f)
      return std::nullopt;
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return text;
  };
  return in;
}

ProjectInput memoryProject(std::string name, std::map<std::string, std::string> files) {
  ProjectInput in;
  in.name = std::move(name);
  for (const auto& entry : files)
    classify(in, entry.first);
  std::sort(in.definitions.begin(), in.definitions.end());
  std::sort(in.interceptor_files.begin(), in.interceptor_files.end());
  in.read = [files = std::move(files)](const std::string& rel) -> std::optional<std::string> {
    auto it = files.find(rel);
    if (it == files.end())
      return std::nullopt;
    return it->second;
  };
  return in;
}

}  // namespace mgw::openapi
