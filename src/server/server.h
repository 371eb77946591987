// The gateway process: loads nothing itself (main() hands it the artifact and configuration),
// starts the workers, and handles SIGTERM/SIGINT with a bounded drain.
#pragma once

#include <memory>
#include <vector>

#include "mgw/base/result.h"
#include "server/runtime.h"
#include "server/stream.h"

namespace mgw::server {

class Worker;

class Server {
 public:
  explicit Server(std::unique_ptr<Runtime> runtime);
  ~Server();

  // Binds the listeners of `workers` workers (0 = number of cores).
  Status start(int workers);
  uint16_t httpPort() const;
  // Bound port of a listener (0 when it was not started, e.g. HTTPS without a key store).
  uint16_t port(ListenerKind kind) const;
  // Blocks until a signal ends the drain. Returns the process exit code.
  int waitForShutdown();

 private:
  std::unique_ptr<Runtime> runtime_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace mgw::server
