#include <chrono>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "commands.h"
#include "mgw/artifact/artifact_io.h"
#include "openapi/compiler.h"

namespace mgw::toolkit {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kBuildHelp =
    R"(Usage: micro-gw build <project> [--sign-key <ed25519 private key PEM file>]

Compiles every definition of <project>/api_definitions/ and <project>/gen/api_definitions/
(*.yaml, *.yml, *.json) with policies.yaml and interceptors/ into
<project>/target/<project>.mgw. Every error is reported (file:line:col: /json/pointer: message);
on any error nothing is written and the exit status is 1.

Options:
  --sign-key <pem>  sign the artifact with this Ed25519 private key (gateway --verify-key)
  -h, --help        show this help
)";

constexpr std::string_view kValidateHelp = R"(Usage: micro-gw validate <project>

Runs every check of `micro-gw build` and writes nothing. Exit status 0 when there is no error
(warnings are printed), 1 otherwise.

Options:
  -h, --help  show this help
)";

struct Compiled {
  openapi::CompileOutput output;
  std::string project_dir;
};

// Shared by validate and build: scan, compile, print diagnostics. nullopt (after printing) when
// the project cannot be built.
std::optional<Compiled> compile(const std::string& dir) {
  Result<openapi::ProjectInput> input = openapi::scanProjectDir(dir);
  if (!input) {
    printError(input.error().message);
    return std::nullopt;
  }
  if (input->definitions.empty()) {
    printError("Nothing to build: no .yaml, .yml or .json definition in " + dir +
               "/api_definitions or " + dir + "/gen/api_definitions");
    return std::nullopt;
  }
  Compiled c;
  c.project_dir = dir;
  c.output = openapi::compileProject(*input, MGW_VERSION);
  for (const openapi::Diagnostic& d : c.output.diagnostics) {
    std::cerr << openapi::formatDiagnostic(d) << "\n";
  }
  std::size_t errors = c.output.errorCount();
  if (errors != 0) {
    std::cerr << "micro-gw: " << errors << " error" << (errors == 1 ? "" : "s") << ", "
              << c.output.warningCount() << " warning" << (c.output.warningCount() == 1 ? "" : "s")
              << "\n";
    return std::nullopt;
  }
  return c;
}

std::string summary(const artifact::Artifact& a) {
  std::size_t resources = 0;
  for (const artifact::Api& api : a.apis)
    resources += api.resources.size();
  return std::to_string(a.apis.size()) + " API" + (a.apis.size() == 1 ? "" : "s") + ", " +
         std::to_string(resources) + " resource" + (resources == 1 ? "" : "s") + ", " +
         std::to_string(a.endpoints.size()) + " endpoint" + (a.endpoints.size() == 1 ? "" : "s");
}

}  // namespace

int runValidate(Args args) {
  if (auto err = args.parse({}, {"-h", "--help"})) {
    printError(*err + " (see micro-gw validate --help)");
    return kExitUsage;
  }
  if (args.has("-h", "--help")) {
    std::cout << kValidateHelp;
    return kExitOk;
  }
  if (args.positional().size() != 1) {
    printError("expected exactly one project directory (see micro-gw validate --help)");
    return kExitUsage;
  }
  std::optional<Compiled> c = compile(args.positional().front());
  if (!c)
    return kExitFailure;
  std::cout << "Validation successful: " << summary(c->output.artifact) << "\n";
  return kExitOk;
}

int runBuild(Args args) {
  if (auto err = args.parse({"--sign-key"}, {"-h", "--help"})) {
    printError(*err + " (see micro-gw build --help)");
    return kExitUsage;
  }
  if (args.has("-h", "--help")) {
    std::cout << kBuildHelp;
    return kExitOk;
  }
  if (args.positional().size() != 1) {
    printError("expected exactly one project directory (see micro-gw build --help)");
    return kExitUsage;
  }
  std::string key;
  if (auto key_path = args.value("--sign-key")) {
    Result<std::string> k = readFile(*key_path);
    if (!k) {
      printError("cannot read signing key " + *key_path);
      return kExitFailure;
    }
    key = std::move(*k);
  }
  std::optional<Compiled> c = compile(args.positional().front());
  if (!c)
    return kExitFailure;
  Result<std::string> bytes = artifact::serialize(c->output.artifact, key);
  if (!bytes) {
    printError("cannot write the artifact: " + bytes.error().message);
    return kExitFailure;
  }
  fs::path target = fs::path(c->project_dir) / "target";
  std::error_code ec;
  fs::create_directories(target, ec);
  if (ec) {
    printError("cannot create " + target.string() + ": " + ec.message());
    return kExitFailure;
  }
  fs::path out = target / (c->output.artifact.project + ".mgw");
  if (Status st = writeFileAtomic(out.string(), *bytes); !st) {
    printError(st.error().message);
    return kExitFailure;
  }
  std::cout << "Build successful: " << out.string() << " (" << summary(c->output.artifact)
            << (key.empty() ? "" : ", signed") << ")\n";
  return kExitOk;
}

}  // namespace mgw::toolkit
