#include "filters/throttling/counter_table.h"

#include <bit>
#include <new>

#include "filters/throttling/policy_set.h"
#include "mgw/base/log.h"

namespace mgw::throttling {

namespace {

constexpr uint64_t kLow32 = 0xFFFFFFFFull;
// Bounded retries keep every call wait-free in practice; exhausting them (each failed CAS means
// another thread made progress, so only under pathological contention) refuses the request.
constexpr int kMaxRestarts = 8;
constexpr int kMaxCasPerSlot = 64;

uint64_t mix64(uint64_t x) {
  // splitmix64 finaliser: spreads FNV's weak low bits over the whole word.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

uint32_t toEndSec(int64_t end_ms) {
  const int64_t s = end_ms / 1000;
  return s >= static_cast<int64_t>(kLow32) ? static_cast<uint32_t>(kLow32)
                                           : static_cast<uint32_t>(s);
}

uint64_t packKey(uint32_t fp, uint32_t end_sec) {
  return (static_cast<uint64_t>(fp) << 32) | end_sec;
}
uint64_t packCount(uint32_t end_sec, uint64_t count) {
  return (static_cast<uint64_t>(end_sec) << 32) | (count & kLow32);
}

}  // namespace

uint64_t counterHash(uint8_t tier, uint32_t policy_id, std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
  auto feed = [&h](unsigned char c) {
    h ^= c;
    h *= 0x100000001b3ull;
  };
  feed(tier);
  for (int i = 0; i < 4; ++i)
    feed(static_cast<unsigned char>(policy_id >> (8 * i)));
  for (char c : key)
    feed(static_cast<unsigned char>(c));
  return mix64(h);
}

CounterTable::CounterTable(size_t slots, size_t policies) {
  if (slots < kMinSlots)
    slots = kMinSlots;
  if (slots > kMaxSlots)
    slots = kMaxSlots;
  slots = std::bit_ceil(slots);
  // calloc of a large block maps fresh zero pages without writing them (glibc, mmap threshold).
  slots_.reset(static_cast<Slot*>(std::calloc(slots, sizeof(Slot))));
  mask_ = slots - 1;
  policies_ = policies == 0 ? 1 : policies;
  overflow_.reset(
      static_cast<uint64_t*>(std::calloc(policies_ * kOverflowPerPolicy, sizeof(uint64_t))));
  if (!slots_ || !overflow_)
    throw std::bad_alloc();
}

size_t CounterTable::memoryBytes() const {
  return capacity() * sizeof(Slot) + policies_ * kOverflowPerPolicy * sizeof(uint64_t);
}

CounterTable::Count CounterTable::countIn(uint64_t& word_ref, uint32_t end_sec, uint32_t limit,
                                          bool follow_newer, Acquired& out) {
  auto word = atomicWord(word_ref);
  uint64_t cw = word.load(std::memory_order_acquire);
  for (;;) {
    uint32_t cend = static_cast<uint32_t>(cw >> 32);
    const uint64_t c = cw & kLow32;
    uint64_t desired;
    if (cend > end_sec && !follow_newer)
      return Count::Superseded;
    if (cend >= end_sec) {
      // Same window (or, for a thread with an older timestamp, the newer one: stricter).
      if (c >= limit) {
        out.allowed = false;
        out.count = static_cast<int64_t>(c);
        out.window_end_ms = static_cast<int64_t>(cend) * 1000;
        return Count::Refused;
      }
      desired = cw + 1;
    } else {
      cend = end_sec;  // an older window: this request opens the new one
      desired = packCount(end_sec, 1);
    }
    if (word.compare_exchange_weak(cw, desired, std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
      out.allowed = true;
      out.count = static_cast<int64_t>(desired & kLow32);
      out.window_end_ms = static_cast<int64_t>(cend) * 1000;
      out.ticket = Ticket{&word_ref, cend};
      return Count::Allowed;
    }
  }
}

CounterTable::Acquired CounterTable::acquire(uint64_t key_hash, uint32_t policy_id, int64_t limit,
                                             int64_t now_ms, int64_t window_ms) {
  const Window w = windowAt(now_ms, window_ms);
  const uint32_t my_end = toEndSec(w.end_ms);
  const uint32_t my_start = toEndSec(w.start_ms);
  Acquired out;
  if (limit <= 0) {
    out.window_end_ms = static_cast<int64_t>(my_end) * 1000;
    return out;  // a zero quota refuses everything and needs no counter
  }
  const uint32_t lim = static_cast<uint32_t>(limit > kMaxLimit ? kMaxLimit : limit);
  const uint32_t fp = static_cast<uint32_t>(key_hash >> 32);
  const size_t home = static_cast<size_t>(key_hash) & mask_;

  for (int attempt = 0; attempt < kMaxRestarts; ++attempt) {
    Slot* slot = nullptr;
    uint32_t end = my_end;
    bool contended = false;
    for (size_t i = 0; i < kProbe && slot == nullptr && !contended; ++i) {
      Slot& s = slots_[(home + i) & mask_];
      auto key_word = atomicWord(s.key);
      uint64_t kw = key_word.load(std::memory_order_acquire);
      int tries = 0;
      for (;;) {
        const uint32_t kfp = static_cast<uint32_t>(kw >> 32);
        const uint32_t kend = static_cast<uint32_t>(kw);
        const bool ours = kw != 0 && kfp == fp;
        if (ours && kend >= my_end) {
          slot = &s;  // ours, current window (or a newer one: follow it, stricter)
          end = kend;
          break;
        }
        if (!ours && kend > my_start)
          break;  // another key's live window: probe on
        // Ours with an older window, empty, or another key's window that ended before ours
        // started: (re)claim it for this window.
        if (key_word.compare_exchange_strong(kw, packKey(fp, my_end), std::memory_order_acq_rel,
                                             std::memory_order_acquire)) {
          slot = &s;
          end = my_end;
          break;
        }
        // kw now holds the current value: evaluate the same slot again. Moving on after a
        // failed claim could give one key two slots, so endless contention refuses instead.
        if (++tries == kMaxCasPerSlot) {
          contended = true;
          break;
        }
      }
    }
    if (contended)
      break;
    if (slot == nullptr)
      return overflowAcquire(key_hash, policy_id, lim, my_end);
    Count r = countIn(slot->count, end, lim, false, out);
    if (r != Count::Superseded)
      return out;
    out = Acquired{};
  }
  // Pathological contention: refuse (stricter) rather than risk a second counter for the key.
  out.allowed = false;
  out.count = lim;
  out.window_end_ms = static_cast<int64_t>(my_end) * 1000;
  return out;
}

CounterTable::Acquired CounterTable::overflowAcquire(uint64_t key_hash, uint32_t policy_id,
                                                     uint32_t limit, uint32_t end_sec) {
  if (overflowed_.fetch_add(1, std::memory_order_relaxed) == 0)
    log::warn("throttling.table_full",
              "throttle counter table neighbourhood full: keys now share overflow counters "
              "(stricter limits); raise the table size",
              {{"slots", std::to_string(capacity())}});
  const size_t idx = (policy_id % policies_) * kOverflowPerPolicy +
                     static_cast<size_t>((key_hash >> 40) % kOverflowPerPolicy);
  Acquired out;
  countIn(overflow_[idx], end_sec, limit, true, out);
  out.overflow = true;
  return out;
}

void CounterTable::release(const Ticket& ticket) {
  if (ticket.word == nullptr)
    return;
  auto word = atomicWord(*ticket.word);
  uint64_t cw = word.load(std::memory_order_acquire);
  while (static_cast<uint32_t>(cw >> 32) == ticket.end_sec && (cw & kLow32) != 0) {
    if (word.compare_exchange_weak(cw, cw - 1, std::memory_order_acq_rel,
                                   std::memory_order_acquire))
      return;
  }
}

}  // namespace mgw::throttling
