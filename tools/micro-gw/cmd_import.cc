#include <filesystem>
#include <iostream>
#include <system_error>

#include "commands.h"

namespace mgw::toolkit {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kHelp =
    R"(Usage: micro-gw import <project> -a|--api-definition <file|URL> [-f|--force]

Adds an OpenAPI definition (file, or http(s) URL: 30 s timeout, at most 5 redirects, 10 MiB) to
<project>/api_definitions/. The file name comes from the path (api.yaml / api.json otherwise).

Options:
  -a, --api-definition <file|URL>  the definition to add
  -f, --force                      replace a definition of the same file name
  -h, --help                       show this help

Importing from a WSO2 API Manager (--api-name, --label) is not supported by this toolkit.
)";

constexpr std::string_view kUnsupported =
    "importing from WSO2 API Manager (--api-name, --label) is not supported by this toolkit; use "
    "--api-definition <file|URL>";

}  // namespace

int runImport(Args args) {
  if (auto err =
          args.parse({"-a", "--api-definition", "--api-name", "-l", "--label", "-v", "--version",
                      "-u", "--username", "-p", "--password", "-s", "--server-url", "-t",
                      "--truststore", "-w", "--truststore-pass", "-c", "--config"},
                     {"-f", "--force", "-k", "--insecure", "-h", "--help"})) {
    printError(*err + " (see micro-gw import --help)");
    return kExitUsage;
  }
  if (args.has("-h", "--help")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (args.has("--api-name") || args.has("-l", "--label")) {
    printError(kUnsupported);
    return kExitUsage;
  }
  if (args.positional().size() != 1) {
    printError("expected exactly one project name (see micro-gw import --help)");
    return kExitUsage;
  }
  std::optional<std::string> source = args.value("-a", "--api-definition");
  if (!source) {
    printError("missing -a|--api-definition <file|URL> (see micro-gw import --help)");
    return kExitUsage;
  }
  const fs::path project = args.positional().front();
  std::error_code ec;
  if (!fs::is_directory(project, ec)) {
    printError("project '" + project.string() + "' does not exist (create it with micro-gw init " +
               project.string() + ")");
    return kExitFailure;
  }
  Result<FetchedDefinition> fetched = fetchDefinition(*source);
  if (!fetched) {
    printError(fetched.error().message);
    return kExitFailure;
  }
  fs::path dir = project / "api_definitions";
  fs::create_directories(dir, ec);
  fs::path target = dir / fetched->file_name;
  if (fs::exists(target, ec) && !args.has("-f", "--force")) {
    printError(target.string() + " already exists (use -f to replace it)");
    return kExitFailure;
  }
  if (Status st = writeFileAtomic(target.string(), fetched->text); !st) {
    printError(st.error().message);
    return kExitFailure;
  }
  std::cout << "Imported " << *source << " as " << target.string() << "\n";
  return kExitOk;
}

}  // namespace mgw::toolkit
