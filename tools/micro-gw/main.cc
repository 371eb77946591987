// micro-gw: the toolkit of the C++ API microgateway (WSO2 API Microgateway 3.x compatible).
#include <curl/curl.h>

#include <iostream>
#include <string>
#include <vector>

#include "commands.h"

namespace {

constexpr std::string_view kUsage =
    R"(micro-gw - build WSO2 API Microgateway 3.x projects into gateway artifacts

Usage: micro-gw <command> [options]

Commands:
  init <project> [-a|--api-definition <file|URL>] [-f|--force]
                      create a project (api_definitions/, interceptors/, policies.yaml,
                      conf/deployment-config.toml, certs/)
  import <project> -a|--api-definition <file|URL> [-f|--force]
                      add an OpenAPI definition to a project
  validate <project>  run every build check, write nothing
  build <project> [--sign-key <ed25519 private key PEM>]
                      compile the project into <project>/target/<project>.mgw
  inspect <artifact> [--json] [--verify-key <ed25519 public key PEM>]
                      print the APIs, resources, endpoints and policies of an artifact
  help [command]      show help for a command

Options:
  -h, --help          show help (also after a command)
  --version           print the toolkit version

Exit status: 0 success, 1 failure, 2 usage error.
)";

int help(std::string_view command) {
  using namespace mgw::toolkit;
  if (command.empty()) {
    std::cout << kUsage;
    return kExitOk;
  }
  std::vector<std::string> args{"--help"};
  if (command == "init")
    return runInit(Args(args));
  if (command == "import")
    return runImport(Args(args));
  if (command == "validate")
    return runValidate(Args(args));
  if (command == "build")
    return runBuild(Args(args));
  if (command == "inspect")
    return runInspect(Args(args));
  printError("unknown command '" + std::string(command) + "' (see micro-gw --help)");
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mgw::toolkit;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::string command = args.front();
  args.erase(args.begin());
  if (command == "--help" || command == "-h")
    return help("");
  if (command == "help")
    return help(args.empty() ? "" : args.front());
  if (command == "--version" || command == "version") {
    std::cout << "micro-gw " << MGW_VERSION << "\n";
    return kExitOk;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = kExitUsage;
  if (command == "init") {
    rc = runInit(Args(args));
  } else if (command == "import") {
    rc = runImport(Args(args));
  } else if (command == "validate") {
    rc = runValidate(Args(args));
  } else if (command == "build") {
    rc = runBuild(Args(args));
  } else if (command == "inspect") {
    rc = runInspect(Args(args));
  } else {
    printError("unknown command '" + command + "' (see micro-gw --help)");
  }
  curl_global_cleanup();
  return rc;
}
