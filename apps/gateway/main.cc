// gateway <artifact.mgw> [--config <micro-gw.conf>] [--workers N] [--verify-key <pem>]
//         [--<section.key>=<value> ...]
// Serves a micro-gw artifact. Exit status: 0 after a drain, 1 for a bad artifact or config,
// 2 for bad usage.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "mgw/artifact/artifact_io.h"
#include "mgw/base/log.h"
#include "mgw/config/gateway_config.h"
#include "server/server.h"

namespace {

constexpr const char* kUsage =
    R"(Usage: gateway <artifact.mgw> [options] [--<section.key>=<value> ...]

Serves the APIs of an artifact built by `micro-gw build`.

Options:
  --config <file>       micro-gw.conf (TOML); default $MGW_CONF_DIR/conf/micro-gw.conf if present
  --workers <n>         worker threads (default: number of cores)
  --verify-key <file>   Ed25519 public key (PEM): refuse an artifact without a valid signature
  --version             print the version and exit
  --help                print this help and exit

Any configuration key can be overridden: --listenerConfig.httpPort=19090, and so can WSO2's
endpoint URLs: --<endpoint>_prod_endpoint_0=http://host:port/path.
Environment: MGW_<SECTION>_<KEY> (e.g. MGW_LISTENERCONFIG_HTTPPORT=19090), MGW_CONF_DIR.
)";

bool readFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

int fail(const std::string& reason, const std::string& message) {
  mgw::log::error("gateway.start_failed", message, {{"reason", reason}});
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string artifact_path;
  std::string verify_key_path;
  int workers = 0;
  mgw::config::LoadOptions options;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto takeValue = [&](const std::string& name, std::string& out) -> bool {
      if (a == name) {
        if (i + 1 >= args.size())
          return false;
        out = args[++i];
        return true;
      }
      if (a.rfind(name + "=", 0) == 0) {
        out = a.substr(name.size() + 1);
        return true;
      }
      return false;
    };
    std::string value;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--version") {
      std::printf("gateway %s\n", MGW_VERSION);
      return 0;
    }
    if (takeValue("--config", value)) {
      options.config_path = value;
    } else if (takeValue("--verify-key", value)) {
      verify_key_path = value;
    } else if (takeValue("--workers", value)) {
      try {
        workers = std::stoi(value);
      } catch (...) {
        workers = -1;
      }
      if (workers < 1 || workers > 1024) {
        std::fprintf(stderr, "gateway: --workers needs a number between 1 and 1024\n");
        return 2;
      }
    } else if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      options.overrides.push_back(a);
    } else if (a.rfind("-", 0) == 0) {
      std::fprintf(stderr, "gateway: unknown option %s\n%s", a.c_str(), kUsage);
      return 2;
    } else if (artifact_path.empty()) {
      artifact_path = a;
    } else {
      std::fprintf(stderr, "gateway: more than one artifact given\n%s", kUsage);
      return 2;
    }
  }
  if (artifact_path.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }

  // Signals are handled by the main thread only; worker threads inherit this mask.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto config = mgw::config::load(options);
  if (!config)
    return fail(config.error().reason, config.error().message);
  mgw::log::Level level;
  if (mgw::log::parseLevel(config->server.log_level, level))
    mgw::log::setLevel(level);
  mgw::log::setJson(config->server.log_json);
  if (workers > 0)
    config->server.workers = workers;

  std::string verify_key;
  if (!verify_key_path.empty() && !readFile(verify_key_path, verify_key)) {
    return fail("artifact.verify_key_unreadable", "cannot read --verify-key " + verify_key_path);
  }
  auto artifact = mgw::artifact::loadFile(artifact_path, verify_key);
  if (!artifact) {
    return fail(artifact.error().reason, artifact_path + ": " + artifact.error().message);
  }
  size_t api_count = artifact->apis.size();
  auto runtime = mgw::server::buildRuntime(std::move(*artifact), std::move(*config));
  if (!runtime)
    return fail(runtime.error().reason, runtime.error().message);
  int worker_count = (*runtime)->config.server.workers;

  mgw::server::Server server(std::move(*runtime));
  if (auto s = server.start(worker_count); !s)
    return fail(s.error().reason, s.error().message);
  mgw::log::info("gateway.started", "serving artifact",
                 {{"artifact", artifact_path}, {"apis", std::to_string(api_count)}});
  return server.waitForShutdown();
}
