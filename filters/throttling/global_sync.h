// The global (Redis) mode's background thread: one per process, with its own blocking Redis
// connection (redis_client.h); the workers never wait on it. Every `sync_interval_ms` it scans
// the GlobalTable, pushes each live counter's local increase since the last push with one
// pipelined `INCRBY <prefix>c:<key hash>:<window end s> <delta>` (+ `PEXPIREAT` at the window
// end plus a grace) per key, and stores `total - own pushes` back as that key's `others`
// (global_table.h). Every `blocking_poll_ms` it reads `SMEMBERS <prefix>blocking` and swaps the
// remote blocking conditions when the set changed.
//
// Connection state machine (the enum below):
//   Starting --connect ok--> Up --any error or timeout--> Down --connect ok--> Up ...
//   Starting --connect failed--> Down
// Entering Down logs `throttling.redis_down` (warn) once, entering Up logs
// `throttling.redis_up` once; while Down it reconnects by itself with a doubling backoff
// (100 ms ... 2 s). While not Up, counting continues with the last `others` each key received
// (failOpen = true), or the Throttler refuses counted requests with 503 (failOpen = false).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "filters/throttling/blocking.h"
#include "filters/throttling/global_table.h"
#include "filters/throttling/redis_client.h"

namespace mgw::throttling {

struct GlobalConfig {
  RedisUrl url;
  int64_t timeout_ms = 500;       // connect and each pipelined round trip
  bool fail_open = true;          // Redis unavailable: local limits (true) or 503 (false)
  int64_t sync_interval_ms = 50;  // counter push/pull period
  int64_t blocking_poll_ms = 1000;
  std::string key_prefix = "mgw:";
  size_t table_slots = 16384;  // GlobalTable slots (32 bytes each)
};

enum class RedisState { Starting, Up, Down };

class GlobalSync {
 public:
  GlobalSync(GlobalTable& table, BlockList& blocking, GlobalConfig config);
  ~GlobalSync();  // stops and joins
  GlobalSync(const GlobalSync&) = delete;
  GlobalSync& operator=(const GlobalSync&) = delete;

  void start();
  void stop();

  RedisState state() const { return state_.load(std::memory_order_acquire); }
  bool up() const { return state() == RedisState::Up; }
  const GlobalConfig& config() const { return config_; }

  // Counters (exported as metrics once the gateway has a metrics endpoint; read them with
  // relaxed loads from any thread).
  uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }
  uint64_t downTransitions() const { return down_transitions_.load(std::memory_order_relaxed); }
  uint64_t syncRounds() const { return sync_rounds_.load(std::memory_order_relaxed); }
  uint64_t keysSynced() const { return keys_synced_.load(std::memory_order_relaxed); }

 private:
  struct Pending {
    uint64_t key = 0;
    uint32_t end_sec = 0;
    uint32_t pushed = 0;
  };
  void run();
  bool syncCounters();
  bool pollBlocking();
  void markUp();
  void markDown(const Error& e);
  void sleepFor(int64_t ms);

  GlobalTable& table_;
  BlockList& blocking_;
  const GlobalConfig config_;
  RedisConnection conn_;
  std::vector<Pending> pending_;  // per slot; sync thread only
  std::vector<std::string> last_members_;
  bool have_members_ = false;

  std::atomic<RedisState> state_{RedisState::Starting};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> down_transitions_{0};
  std::atomic<uint64_t> sync_rounds_{0};
  std::atomic<uint64_t> keys_synced_{0};

  std::mutex mu_;  // stop flag and sleeping; sync thread and stop() only
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace mgw::throttling
