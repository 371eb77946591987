#include <filesystem>
#include <iostream>
#include <system_error>

#include "commands.h"
#include "openapi/policies.h"

namespace mgw::toolkit {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kHelp =
    R"(Usage: micro-gw init <project> [-a|--api-definition <file|URL>] [-f|--force]

Creates a project directory:
  <project>/api_definitions/          OpenAPI 2.0/3.0 definitions with x-wso2-* extensions
  <project>/interceptors/             Lua (and legacy Ballerina) interceptors
  <project>/policies.yaml             throttling policies (shipped defaults)
  <project>/conf/deployment-config.toml
  <project>/certs/

Options:
  -a, --api-definition <file|URL>  copy a definition into api_definitions/ (http(s) URLs are
                                   downloaded: 30 s timeout, at most 5 redirects, 10 MiB)
  -f, --force                      initialise even if the directory exists (rewrites
                                   policies.yaml and conf/deployment-config.toml, keeps the rest)
  -h, --help                       show this help
)";

constexpr std::string_view kDeploymentConfig =
    R"(# Deployment configuration of this project (WSO2 API Microgateway format).
# The C++ gateway does not generate Docker or Kubernetes artefacts; this file is kept for
# compatibility with WSO2 projects and ignored by `micro-gw build`.
#
# [docker]
#   [docker.dockerConfig]
#     enable = true
#     name = "petstore"
#     tag = "v1"
)";

}  // namespace

int runInit(Args args) {
  if (auto err = args.parse({"-a", "--api-definition"}, {"-f", "--force", "-h", "--help"})) {
    printError(*err + " (see micro-gw init --help)");
    return kExitUsage;
  }
  if (args.has("-h", "--help")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (args.positional().size() != 1) {
    printError("expected exactly one project name (see micro-gw init --help)");
    return kExitUsage;
  }
  const fs::path project = args.positional().front();
  const bool force = args.has("-f", "--force");
  std::error_code ec;
  if (fs::exists(project, ec) && !force) {
    printError("project '" + project.string() + "' already exists (use -f to overwrite)");
    return kExitFailure;
  }
  if (fs::exists(project, ec) && !fs::is_directory(project, ec)) {
    printError(project.string() + " exists and is not a directory");
    return kExitFailure;
  }
  // Fetch before creating anything, so a failed download leaves nothing behind.
  std::optional<FetchedDefinition> definition;
  if (auto source = args.value("-a", "--api-definition")) {
    Result<FetchedDefinition> fetched = fetchDefinition(*source);
    if (!fetched) {
      printError(fetched.error().message);
      return kExitFailure;
    }
    definition = std::move(*fetched);
  }
  for (const char* dir : {"api_definitions", "interceptors", "conf", "certs"}) {
    fs::create_directories(project / dir, ec);
    if (ec) {
      printError("cannot create " + (project / dir).string() + ": " + ec.message());
      return kExitFailure;
    }
  }
  std::string policies(openapi::shippedPoliciesYaml());
  for (const auto& [path, text] :
       {std::pair<fs::path, std::string_view>{project / "policies.yaml", policies},
        std::pair<fs::path, std::string_view>{project / "conf" / "deployment-config.toml",
                                              kDeploymentConfig}}) {
    if (Status st = writeFileAtomic(path.string(), text); !st) {
      printError(st.error().message);
      return kExitFailure;
    }
  }
  if (definition) {
    fs::path target = project / "api_definitions" / definition->file_name;
    if (Status st = writeFileAtomic(target.string(), definition->text); !st) {
      printError(st.error().message);
      return kExitFailure;
    }
    std::cout << "Added " << target.string() << "\n";
  }
  std::cout << "Project '" << project.string() << "' is initialized successfully.\n"
            << "Add OpenAPI definitions to " << (project / "api_definitions").string()
            << "/ and run: micro-gw build " << project.string() << "\n";
  return kExitOk;
}

}  // namespace mgw::toolkit
