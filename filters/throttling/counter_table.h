// Lock-free fixed-window request counters shared by every worker thread of one process.
//
// Layout: a fixed, power-of-two array of 16-byte slots, allocated once at start (nothing is
// allocated on the request path) as zero pages the kernel maps on first touch: a start does not
// pay for a table it has not used yet (1 MiB is 256 page faults). Each slot holds two 64-bit
// words, only ever accessed through std::atomic_ref:
//
//   key word   = [fingerprint:32][window end, epoch seconds:32]   who owns the slot, which window
//   count word = [window end, epoch seconds:32][count:32]          the window's counter
//
// A key hashes to a home slot and probes kProbe slots linearly. In its neighbourhood a request:
//   1. uses the slot whose fingerprint is its own (renewing the key word to its window by CAS
//      when the recorded window is older);
//   2. else claims, by CAS, the first slot that is empty or whose window ended no later than the
//      start of the request's own window (expired for every thread of the same key and window, so
//      two threads of one key can never claim two different slots for the same window);
//   3. else (the neighbourhood is full of live windows) counts in one of kOverflowPerPolicy shared
//      overflow counters of its policy, picked by hash. Keys sharing an overflow counter share its
//      limit: the table may then refuse early, it never allows more than the limit and never
//      blocks or grows.
// Counting is a CAS loop on the count word: a window end older than the slot's current window
// resets the count to 1, the same window increments while count < limit, otherwise refuses. The
// count word carries its window, so a reset and an increment can never mix up two windows, and
// the limit is exact: at most `limit` acquisitions succeed per key and window, whatever the
// number of threads. Window ends only grow per slot, which also makes release() (undo one
// acquisition when a later tier refuses the request) safe: it only decrements the same window.
//
// Known imprecision, documented rather than hidden: a thread whose timestamp is older than a
// window boundary another thread has already crossed may find its (expired) slot recycled and
// count in a fresh one (only requests in flight exactly at the boundary, only when the table is
// under pressure); a 2^-32 fingerprint collision between two keys in one neighbourhood merges
// their counters (stricter, never looser, unless their policies have different window lengths).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

namespace mgw::throttling {

// The counter tables' words are plain uint64_t in zero-filled memory, shared by threads only
// through these views. The const form is for loads (a reader's view of a table it does not own).
inline std::atomic_ref<uint64_t> atomicWord(uint64_t& word) {
  return std::atomic_ref(word);
}
inline std::atomic_ref<uint64_t> atomicWord(const uint64_t& word) {
  return std::atomic_ref(const_cast<uint64_t&>(word));
}

// 64-bit hash of a counter identity: the tier kind (so that an API key and an unauthenticated key
// can never meet), the policy id (a key limited by two policies has two counters) and the key.
uint64_t counterHash(uint8_t tier, uint32_t policy_id, std::string_view key);

class CounterTable {
 public:
  static constexpr size_t kProbe = 16;
  static constexpr size_t kOverflowPerPolicy = 64;
  static constexpr size_t kMinSlots = 64;
  static constexpr size_t kMaxSlots = size_t{1} << 24;  // 256 MiB
  // Counts are 32-bit: larger policy limits are enforced as this value.
  static constexpr int64_t kMaxLimit = 0xFFFFFFFE;

  // `slots` is rounded up to a power of two within [kMinSlots, kMaxSlots]; `policies` is the
  // number of policy ids (PolicySet::size()) that get overflow counters.
  CounterTable(size_t slots, size_t policies);
  CounterTable(const CounterTable&) = delete;
  CounterTable& operator=(const CounterTable&) = delete;

  // What release() needs to give one acquisition back.
  struct Ticket {
    uint64_t* word = nullptr;
    uint32_t end_sec = 0;
  };
  struct Acquired {
    bool allowed = false;
    int64_t count = 0;          // the window's count including this request (or, refused, as is)
    int64_t window_end_ms = 0;  // end of the window that was counted in
    bool overflow = false;      // counted in a shared overflow counter
    Ticket ticket;              // valid when allowed
  };

  // Counts one request of `key_hash` under a policy of `limit` requests per `window_ms` at
  // `now_ms` (epoch UTC). Lock-free; never blocks, never allocates.
  Acquired acquire(uint64_t key_hash, uint32_t policy_id, int64_t limit, int64_t now_ms,
                   int64_t window_ms);
  static void release(const Ticket& ticket);

  size_t capacity() const { return mask_ + 1; }
  size_t memoryBytes() const;
  // How many acquisitions fell back to an overflow counter since start (exported as a metric).
  uint64_t overflowed() const { return overflowed_.load(std::memory_order_relaxed); }

 private:
  // Plain words, created zeroed by calloc (an implicit-lifetime type) and accessed only through
  // std::atomic_ref, so that no constructor has to write, and so touch, every page at start.
  struct Slot {
    uint64_t key;
    uint64_t count;
  };
  struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
  };
  enum class Count { Allowed, Refused, Superseded };
  static Count countIn(uint64_t& word, uint32_t end_sec, uint32_t limit, bool follow_newer,
                       Acquired& out);
  Acquired overflowAcquire(uint64_t key_hash, uint32_t policy_id, uint32_t limit, uint32_t end_sec);

  std::unique_ptr<Slot[], FreeDeleter> slots_;
  size_t mask_ = 0;
  std::unique_ptr<uint64_t[], FreeDeleter> overflow_;
  size_t policies_ = 0;
  std::atomic<uint64_t> overflowed_{0};
};

}  // namespace mgw::throttling
