// Counters of the global (Redis) mode, shared by the workers of one process and its sync thread
// (global_sync.h). Like CounterTable it is a fixed array of slots allocated at start, probed
// linearly from the key's hash, lock-free on the request path; unlike it, a slot keeps the
// whole 64-bit key hash (the sync thread names the Redis key after it) and the count the other
// gateways reported for the same window:
//
//   key word    = 64-bit global key hash (0 = empty)
//   count word  = [window end, epoch s:32][this process's count:32]
//   others word = [window end, epoch s:32][count of every other gateway:32]  (written by sync)
//
// A request is allowed when `others + local < limit` for its window (an `others` word of another
// window counts as 0), by a CAS on the count word, so the local part stays exact across worker
// threads. The sync thread reads the count word, pushes the difference since its last push to
// Redis (INCRBY), and stores `total - local_pushed` back as `others`. A window end only grows per
// slot; a slot is reclaimed by another key only when its window ended before the new key's
// window began (so the two windows' ends always differ and a stale `others` can never apply to
// the new key).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "filters/throttling/counter_table.h"

namespace mgw::throttling {

// The global identity of a counter: tier, policy *name* (ids are per process) and key. Two
// gateways with the same policies agree on it without talking.
uint64_t globalKeyHash(uint8_t tier, std::string_view policy_name, std::string_view key);

class GlobalTable {
 public:
  static constexpr size_t kProbe = 16;

  explicit GlobalTable(size_t slots);
  GlobalTable(const GlobalTable&) = delete;
  GlobalTable& operator=(const GlobalTable&) = delete;

  struct Acquired {
    bool found = false;         // false: no slot (neighbourhood full); the caller counts locally
    bool allowed = false;       //
    int64_t count = 0;          // others + local, including this request when allowed
    int64_t window_end_ms = 0;  //
    CounterTable::Ticket ticket;
  };
  // Lock-free, allocation-free.
  Acquired acquire(uint64_t key_hash, int64_t limit, int64_t now_ms, int64_t window_ms);

  // What the sync thread sees of slot `i`.
  struct SlotView {
    uint64_t key = 0;  // 0: empty (or changing under the reader: skip it this round)
    uint32_t end_sec = 0;
    uint32_t local = 0;
  };
  SlotView read(size_t i) const;
  // Publishes the other gateways' count of `key`'s window `end_sec`, unless the slot changed
  // hands meanwhile.
  void setOthers(size_t i, uint64_t key, uint32_t end_sec, int64_t others);
  int64_t others(size_t i, uint32_t end_sec) const;

  size_t capacity() const { return mask_ + 1; }
  uint64_t full() const { return full_.load(std::memory_order_relaxed); }

 private:
  // Plain words in zero-filled memory, accessed through atomicWord() (counter_table.h).
  struct Slot {
    uint64_t key;
    uint64_t count;
    uint64_t others;
  };
  struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<Slot[], FreeDeleter> slots_;
  size_t mask_ = 0;
  std::atomic<uint64_t> full_{0};
};

}  // namespace mgw::throttling
