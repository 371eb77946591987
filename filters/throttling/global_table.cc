#include "filters/throttling/global_table.h"

#include <bit>
#include <new>
#include <string>

#include "filters/throttling/policy_set.h"
#include "mgw/base/log.h"

namespace mgw::throttling {

namespace {

constexpr uint64_t kLow32 = 0xFFFFFFFFull;
constexpr int kMaxCas = 64;

uint32_t toEndSec(int64_t ms) {
  const int64_t s = ms / 1000;
  return s >= static_cast<int64_t>(kLow32) ? static_cast<uint32_t>(kLow32)
                                           : static_cast<uint32_t>(s < 0 ? 0 : s);
}

uint64_t pack(uint32_t end_sec, uint64_t count) {
  return (static_cast<uint64_t>(end_sec) << 32) | (count & kLow32);
}

}  // namespace

uint64_t globalKeyHash(uint8_t tier, std::string_view policy_name, std::string_view key) {
  // The policy name is framed by its length so that ("ab", "c") and ("a", "bc") differ.
  uint64_t h = counterHash(tier, static_cast<uint32_t>(policy_name.size()), policy_name);
  h ^= counterHash(tier, static_cast<uint32_t>(h), key);
  return h == 0 ? 1 : h;  // 0 marks an empty slot
}

GlobalTable::GlobalTable(size_t slots) {
  if (slots < CounterTable::kMinSlots)
    slots = CounterTable::kMinSlots;
  if (slots > CounterTable::kMaxSlots)
    slots = CounterTable::kMaxSlots;
  slots = std::bit_ceil(slots);
  // Zero pages mapped on first touch, as CounterTable's (counter_table.h).
  slots_.reset(static_cast<Slot*>(std::calloc(slots, sizeof(Slot))));
  if (!slots_)
    throw std::bad_alloc();
  mask_ = slots - 1;
}

GlobalTable::Acquired GlobalTable::acquire(uint64_t key_hash, int64_t limit, int64_t now_ms,
                                           int64_t window_ms) {
  if (key_hash == 0)
    key_hash = 1;
  const Window w = windowAt(now_ms, window_ms);
  const uint32_t my_end = toEndSec(w.end_ms);
  const uint32_t my_start = toEndSec(w.start_ms);
  Acquired out;
  out.window_end_ms = static_cast<int64_t>(my_end) * 1000;
  const uint64_t lim =
      static_cast<uint64_t>(limit > CounterTable::kMaxLimit ? CounterTable::kMaxLimit : limit);

  Slot* slot = nullptr;
  const size_t home = static_cast<size_t>(key_hash) & mask_;
  for (size_t i = 0; i < kProbe && slot == nullptr; ++i) {
    Slot& s = slots_[(home + i) & mask_];
    uint64_t k = atomicWord(s.key).load(std::memory_order_acquire);
    for (int tries = 0; tries < kMaxCas; ++tries) {
      if (k == key_hash) {
        slot = &s;
        break;
      }
      if (k != 0) {
        // Another key: reclaimable only when its window (and its reported one) ended before
        // ours began.
        const uint32_t cend =
            static_cast<uint32_t>(atomicWord(s.count).load(std::memory_order_acquire) >> 32);
        const uint32_t oend =
            static_cast<uint32_t>(atomicWord(s.others).load(std::memory_order_acquire) >> 32);
        if (cend > my_start || oend > my_start)
          break;
      }
      if (atomicWord(s.key).compare_exchange_strong(k, key_hash, std::memory_order_acq_rel,
                                                    std::memory_order_acquire)) {
        slot = &s;
        break;
      }
    }
  }
  if (slot == nullptr) {
    if (full_.fetch_add(1, std::memory_order_relaxed) == 0)
      log::warn("throttling.global_table_full",
                "global counter table neighbourhood full: some keys are counted per gateway; "
                "raise [throttlingConfig.redis] tableSlots",
                {{"slots", std::to_string(capacity())}});
    return out;  // found = false
  }
  out.found = true;
  if (limit <= 0)
    return out;

  uint64_t cw = atomicWord(slot->count).load(std::memory_order_acquire);
  for (int tries = 0; tries < kMaxCas; ++tries) {
    const uint32_t cend = static_cast<uint32_t>(cw >> 32);
    uint32_t end = my_end;
    uint64_t base = 0;
    if (cend >= my_end) {  // same window, or a newer one another thread opened: stricter
      end = cend;
      base = cw & kLow32;
    }
    const uint64_t ow = atomicWord(slot->others).load(std::memory_order_acquire);
    const uint64_t others = static_cast<uint32_t>(ow >> 32) == end ? (ow & kLow32) : 0;
    out.window_end_ms = static_cast<int64_t>(end) * 1000;
    if (base + others >= lim) {
      out.allowed = false;
      out.count = static_cast<int64_t>(base + others);
      return out;
    }
    const uint64_t desired = pack(end, base + 1);
    if (atomicWord(slot->count)
            .compare_exchange_weak(cw, desired, std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
      out.allowed = true;
      out.count = static_cast<int64_t>(base + 1 + others);
      out.ticket = CounterTable::Ticket{&slot->count, end};
      return out;
    }
  }
  // Pathological contention: refuse (stricter).
  out.allowed = false;
  out.count = limit;
  return out;
}

GlobalTable::SlotView GlobalTable::read(size_t i) const {
  const Slot& s = slots_[i & mask_];
  SlotView v;
  const uint64_t k1 = atomicWord(s.key).load(std::memory_order_acquire);
  if (k1 == 0)
    return v;
  const uint64_t cw = atomicWord(s.count).load(std::memory_order_acquire);
  if (atomicWord(s.key).load(std::memory_order_acquire) != k1)
    return v;
  v.key = k1;
  v.end_sec = static_cast<uint32_t>(cw >> 32);
  v.local = static_cast<uint32_t>(cw & kLow32);
  return v;
}

void GlobalTable::setOthers(size_t i, uint64_t key, uint32_t end_sec, int64_t others) {
  Slot& s = slots_[i & mask_];
  if (atomicWord(s.key).load(std::memory_order_acquire) != key)
    return;
  const uint64_t n =
      others < 0 ? 0 : (others > CounterTable::kMaxLimit ? CounterTable::kMaxLimit : others);
  uint64_t ow = atomicWord(s.others).load(std::memory_order_acquire);
  // Never move the others word back to an older window.
  while (static_cast<uint32_t>(ow >> 32) <= end_sec) {
    if (atomicWord(s.others).compare_exchange_weak(ow, pack(end_sec, n), std::memory_order_acq_rel,
                                                   std::memory_order_acquire))
      return;
  }
}

int64_t GlobalTable::others(size_t i, uint32_t end_sec) const {
  const uint64_t ow = atomicWord(slots_[i & mask_].others).load(std::memory_order_acquire);
  return static_cast<uint32_t>(ow >> 32) == end_sec ? static_cast<int64_t>(ow & kLow32) : 0;
}

}  // namespace mgw::throttling
